"""--anonymize: stable, salted pseudonyms at the inventory boundary; nothing else changes."""

from __future__ import annotations

import json
import re
import zipfile

import pytest

from assess.cli.main import main
from assess.model.anonymize import Pseudonymizer
from assess.model.inventory import Inventory, synthetic_vm_id, table_from_rows

REAL = ["WEB01", "HV-PROD01", "CL-PROD", "DC-AMS", "web01.corp.example", "10.1.2.3",
        "00:50:56:aa:bb:01", "fe80::1"]  # fmt: skip


APP01 = synthetic_vm_id("HV-PROD01", "APP01")


def inventory() -> Inventory:
    vms = [
        {"vm_key": "k1", "vm_id": "K1", "vm_id_synthetic": False, "name": "WEB01",
         "host": "HV-PROD01", "cluster": "CL-PROD", "datacenter": "DC-AMS",
         "guest_fqdn": "web01.corp.example", "ip_addresses": "10.1.2.3;fe80::1",
         "boot_disk_path": r"C:\VMs\web01\web01.vhdx", "origin": "hv-prod01-gen2-inventory.jsonl",
         "source": "hv-prod01-gen2-inventory.jsonl:3", "os_name": "Windows Server 2019",
         "generation": 1},
        {"vm_key": APP01, "vm_id": APP01,
         "vm_id_synthetic": True, "name": "APP01", "host": "HV-PROD01", "origin": "inv.csv",
         "source": "inv.csv:2"},
    ]  # fmt: skip
    disks = [{"vm_key": "k1", "host": "HV-PROD01", "origin": "x", "path": "[ds1] WEB01/WEB01.vmdk"}]
    nics = [{"vm_key": "k1", "host": "HV-PROD01", "origin": "x", "mac": "00:50:56:aa:bb:01"}]
    hosts = [{"host": "HV-PROD01", "cluster": "CL-PROD", "fqdn": "hv-prod01.corp.example"}]
    return Inventory.from_frames(
        {
            "vms": table_from_rows("vms", vms),
            "disks": table_from_rows("disks", disks),
            "nics": table_from_rows("nics", nics),
            "hosts": table_from_rows("hosts", hosts),
        }
    )


def _all_text(inv: Inventory) -> str:
    return " ".join(frame.astype(str).to_csv() for frame in inv.tables.values())


def test_names_addresses_and_paths_are_replaced_everything_else_kept() -> None:
    out = Pseudonymizer(b"salt").inventory(inventory())
    text = _all_text(out)
    for real in REAL:
        assert real.lower() not in text.lower(), real
    vm = out.vms.iloc[0]
    assert re.fullmatch(r"vm-[0-9a-f]{12}", vm["name"])
    assert vm["host"].startswith("host-") and vm["cluster"].startswith("cluster-")
    assert vm["datacenter"].startswith("dc-") and vm["guest_fqdn"].startswith("dns-")
    assert re.fullmatch(r"ip-[0-9a-f]{12};ip-[0-9a-f]{12}", vm["ip_addresses"])
    assert vm["boot_disk_path"] == rf"C:\VMs\{vm['name']}\{vm['name']}.vhdx"
    assert out["disks"]["path"].iat[0] == f"[ds1] {vm['name']}/{vm['name']}.vmdk"
    assert re.fullmatch(r"02(:[0-9a-f]{2}){5}", out["nics"]["mac"].iat[0])
    assert vm["source"] == f"{vm['host']}-gen2-inventory.jsonl:3"
    assert (vm["os_name"], vm["generation"], vm["vm_id"]) == ("Windows Server 2019", 1, "K1")
    # A synthetic id was a hash of the real host and name: made again, every table re-keyed.
    app = out.vms.iloc[1]
    assert app["vm_id"] == synthetic_vm_id(app["host"], app["name"])
    assert out["hosts"]["host"].iat[0] == vm["host"]


def test_same_salt_same_pseudonyms_other_salt_others() -> None:
    one = Pseudonymizer(b"a").inventory(inventory()).vms["name"].tolist()
    again = Pseudonymizer(b"a").inventory(inventory()).vms["name"].tolist()
    other = Pseudonymizer(b"b").inventory(inventory()).vms["name"].tolist()
    assert one == again and set(one).isdisjoint(other)
    # Case does not make a second pseudonym.
    assert Pseudonymizer(b"a").name("host", "hv01") == Pseudonymizer(b"a").name("host", "HV01")


def test_free_text_names_known_names() -> None:
    pseudonyms = Pseudonymizer(b"x")
    host = pseudonyms.name("host", "hv-branch01.corp.example")
    vm = pseudonyms.name("vm", "Web Server 1")
    assert pseudonyms.text("getvm-hv-branch01.csv:3: 'Web Server 1' has no OS") == (
        f"getvm-{host}.csv:3: '{vm}' has no OS"
    )


@pytest.mark.slow
def test_run_anonymize_writes_no_real_name_and_is_stable(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "hv-prod01-inventory.csv").write_text(
        "Host,Cluster,VMName,Generation,OSName,OSArchitecture,Notes\n"
        "HV-PROD01,CL-PROD,WEB01,1,Windows Server 2019,x64,keep this note\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("GEN2_SALT", "s3cret")
    outputs = []
    for run in ("a", "b"):
        json_path, xlsx = tmp_path / f"{run}.json", tmp_path / f"{run}.xlsx"
        code = main(["run", str(folder), "--anonymize-salt-env", "GEN2_SALT", "--quiet",
                     "--json", str(json_path), "--xlsx", str(xlsx)])  # fmt: skip
        assert code == 0
        with zipfile.ZipFile(xlsx) as book:
            workbook_text = " ".join(
                book.read(n).decode("utf-8", "replace") for n in book.namelist()
            )
        text = json_path.read_text(encoding="utf-8")
        for real in ("WEB01", "HV-PROD01", "CL-PROD", "hv-prod01"):
            assert real.lower() not in text.lower() and real.lower() not in workbook_text.lower()
        assert "keep this note" in text
        outputs.append([(vm["name"], vm["host"]) for vm in json.loads(text)["vms"]])
    assert outputs[0] == outputs[1]


def test_salt_variable_must_be_set(monkeypatch, capsys) -> None:
    monkeypatch.delenv("NO_SUCH_SALT", raising=False)
    assert main(["run", "sample_inventory", "--anonymize-salt-env", "NO_SUCH_SALT"]) == 2
    assert "NO_SUCH_SALT" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("flag", [["--anonymize"]])
def test_random_salt_says_so(flag, tmp_path, capsys) -> None:
    path = tmp_path / "v.csv"
    path.write_text("Host,VMName,Generation\nHV01,WEB01,1\n", encoding="utf-8")
    assert main(["run", str(path), *flag, "--no-save"]) == 0
    captured = capsys.readouterr()
    assert "random salt" in captured.err and "WEB01" not in captured.out
