"""``assess scan`` end to end: the real pypsrp client against two fake hosts and a closed
port; the healthy hosts' VMs are assessed, the dead one is reported, exit code 3, and the
password appears in no output."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from assess.cli.main import main
from tests.fakewsman import FakeFleet, FakeHost, FakeWSManServer, closed_port

SAMPLE = Path(__file__).resolve().parents[2] / "sample_inventory"
PASSWORD = "S3cret-Scan-Pw!"
RECORDS = {
    name: (SAMPLE / f"{name}-gen2-inventory.jsonl").read_text(encoding="utf-8").splitlines()
    for name in ("hv-prod01", "hv-prod02")
}


def host(name: str) -> FakeHost:
    return FakeHost(lines=RECORDS[name], username="scanner", password=PASSWORD, name=name)


def scan_args(*targets: str, tmp_path: Path) -> list[str]:
    return [
        "scan", *targets,
        "--http", "--auth", "basic", "--allow-unencrypted",
        "--user", "scanner", "--password-env", "GEN2_TEST_PASSWORD",
        "--timeout", "20",
        "--json", str(tmp_path / "scan.json"),
        "--xlsx", str(tmp_path / "scan.xlsx"),
        "--csv", str(tmp_path / "csv"),
        "--out", str(tmp_path / "raw.jsonl"),
    ]  # fmt: skip


def all_text(tmp_path: Path) -> str:
    texts = []
    for path in tmp_path.rglob("*"):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                texts += [book.read(n).decode("utf-8", "replace") for n in book.namelist()]
        elif path.is_file():
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(texts)


@pytest.fixture
def fleet():
    hosts = [host("hv-prod01"), host("hv-prod02")]
    with FakeFleet(hosts) as running:
        yield hosts, running


@pytest.mark.slow
def test_scan_two_hosts_and_a_closed_port(fleet, tmp_path: Path, monkeypatch, capsys) -> None:
    hosts, running = fleet
    monkeypatch.setenv("GEN2_TEST_PASSWORD", PASSWORD)
    dead = f"http://127.0.0.1:{closed_port()}/wsman"
    code = main(scan_args(*running.urls, dead, tmp_path=tmp_path))
    out, err = capsys.readouterr()
    assert code == 3
    assert [h.invocations for h in hosts] == [1, 1]

    document = json.loads((tmp_path / "scan.json").read_text(encoding="utf-8"))
    assert len(document["vms"]) == 20
    assert {vm["host"] for vm in document["vms"]} == {"HV-PROD01", "HV-PROD02"}
    statuses = {h["host"]: h["status"] for h in document["hosts"]}
    assert statuses["HV-PROD01"] == statuses["HV-PROD02"] == "ok"
    assert "unreachable" in statuses.values()
    assert "unreachable" in err

    for text in (out, err, all_text(tmp_path)):
        assert PASSWORD not in text

    # The raw records assess again, offline, to the same VMs.
    again = tmp_path / "again.json"
    assert main(["run", str(tmp_path / "raw.jsonl"), "--json", str(again), "--quiet"]) == 0
    assert len(json.loads(again.read_text(encoding="utf-8"))["vms"]) == 20


@pytest.mark.slow
def test_scan_reads_guest_os_names_from_a_rules_folder(tmp_path: Path, monkeypatch) -> None:
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "os_names"
    lines = (fixtures / "collector.jsonl").read_text(encoding="utf-8").splitlines()
    monkeypatch.setenv("GEN2_TEST_PASSWORD", PASSWORD)
    with FakeFleet([FakeHost(lines=lines, username="scanner", password=PASSWORD)]) as running:
        args = [*scan_args(*running.urls, tmp_path=tmp_path), "--rules", str(fixtures / "rules")]
        assert main(args) == 0
    vm = json.loads((tmp_path / "scan.json").read_text(encoding="utf-8"))["vms"][0]
    assert (vm["facts"]["os_display"], vm["facts"]["os_arch"]) == ("ContosoOS 9", "x64")


def test_wrong_password_is_auth_failed(fleet, tmp_path: Path, monkeypatch, capsys) -> None:
    _, running = fleet
    monkeypatch.setenv("GEN2_TEST_PASSWORD", "not-the-password")
    assert main(scan_args(running.urls[0], tmp_path=tmp_path)) == 3
    # Every host failed: not a success, and no empty report passing for one.
    assert not (tmp_path / "scan.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.suffix in (".xlsx", ".json", ".jsonl")]
    err = capsys.readouterr().err
    assert "nothing assessed: every host failed (" in err and "auth-failed" in err
    assert "not-the-password" not in err


def test_password_from_an_unset_variable_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert main(scan_args("hv01", tmp_path=tmp_path)) == 2
    assert "GEN2_TEST_PASSWORD is not set" in capsys.readouterr().err


def test_basic_over_http_needs_allow_unencrypted(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GEN2_TEST_PASSWORD", PASSWORD)
    args = [a for a in scan_args("hv01", tmp_path=tmp_path) if a != "--allow-unencrypted"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "unencrypted" in err and PASSWORD not in err


def records(host_name: str, *vms: tuple[str, str]) -> list[str]:
    lines = [
        {
            "kind": "host",
            "schema": 1,
            "computerName": host_name,
            "osCaption": "WS2022",
            "osVersion": "10.0.20348",
            "cluster": {"name": "CL9", "nodes": []},
            "errors": [],
        }
    ]
    lines += [
        {
            "kind": "vm",
            "name": name,
            "id": vm_id,
            "generation": 1,
            "version": "10.0",
            "state": "Off",
            "isClustered": True,
            "errors": [],
        }
        for name, vm_id in vms
    ]
    lines.append({"kind": "end", "vmCount": len(vms), "errors": []})
    return [json.dumps(line) for line in lines]  # fmt: skip


@pytest.mark.slow
def test_cluster_nodes_are_scanned_and_shared_vms_counted_once(tmp_path: Path, monkeypatch) -> None:
    """Node names are bare host names: each node is reached on the cluster's scheme and port
    (here the nodes listen on other loopback addresses, same port as the cluster name)."""
    monkeypatch.setenv("GEN2_TEST_PASSWORD", PASSWORD)
    node_a = FakeHost(lines=records("NODE-A", ("SQL01", "ID-1"), ("APP01", "ID-2")),
                      password=PASSWORD)  # fmt: skip
    node_b = FakeHost(lines=records("NODE-B", ("SQL01", "ID-1")), password=PASSWORD)
    listing = json.dumps(
        {"kind": "cluster", "name": "CL9", "nodes": [{"name": "127.0.0.2", "state": "Up"},
                                                     {"name": "127.0.0.3", "state": "Down"}]}
    )  # fmt: skip
    cluster = FakeHost(lines=[listing], password=PASSWORD)
    with (
        FakeWSManServer(cluster) as front,
        FakeWSManServer(node_a, address="127.0.0.2", port=front.port),
        FakeWSManServer(node_b, address="127.0.0.3", port=front.port),
    ):
        args = scan_args("--cluster", front.url, tmp_path=tmp_path)
        assert main(args) == 0
    assert node_a.invocations == node_b.invocations == 1
    document = json.loads((tmp_path / "scan.json").read_text(encoding="utf-8"))
    assert sorted(vm["name"] for vm in document["vms"]) == ["APP01", "SQL01"]
    assert {h["host"] for h in document["hosts"]} == {"NODE-A", "NODE-B"}


@pytest.mark.slow
def test_a_node_list_cannot_redirect_the_credentials(tmp_path: Path, monkeypatch, capsys) -> None:
    """A cluster that names URLs, ports or odd text as nodes: each of those is a failed node
    (never contacted), the good node is scanned, the scan goes on (exit 3)."""
    monkeypatch.setenv("GEN2_TEST_PASSWORD", PASSWORD)
    node = FakeHost(lines=records("NODE-A", ("SQL01", "ID-1")), password=PASSWORD)
    elsewhere = FakeHost(lines=records("EVIL", ("X", "ID-X")), password=PASSWORD)
    with FakeWSManServer(elsewhere) as evil:
        bad_names = [
            evil.url,
            evil.address,
            f"scanner@127.0.0.1:{evil.port}",
            "http://127.0.0.2",
            "bad name",
            "-leading-dash",
            "x" * 300,
            "\x1b]0;title\x07",
            "n\u00f6de",
        ]
        listing = json.dumps(
            {"kind": "cluster", "name": "CL9", "nodes": ["127.0.0.2", *bad_names, 42]}
        )
        cluster = FakeHost(lines=[listing], password=PASSWORD)
        with (
            FakeWSManServer(cluster) as front,
            FakeWSManServer(node, address="127.0.0.2", port=front.port),
        ):
            assert main(scan_args("--cluster", front.url, tmp_path=tmp_path)) == 3
    assert node.invocations == 1
    assert elsewhere.shells_created == elsewhere.auth_failures == 0  # never contacted
    document = json.loads((tmp_path / "scan.json").read_text(encoding="utf-8"))
    assert [vm["name"] for vm in document["vms"]] == ["SQL01"]
    failed = [h for h in document["hosts"] if h["status"] != "ok"]
    assert len(failed) == len(bad_names) + 1
    assert all("not a bare host name" in h["reason"] or "not text" in h["reason"]
               for h in failed)  # fmt: skip
    err = capsys.readouterr().err
    assert "\x1b" not in err and "not a bare host name" in err
