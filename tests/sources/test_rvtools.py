"""RVTools exports: workbooks in the column layouts of 3.11, 4.6 and 4.8, and the per-tab CSV
export (prefixed and plain headers), written by the tests themselves."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assess.sources import registry, rvtools
from assess.sources.cell_values import NA_TOKENS
from tests.rvtools_books import write_csv_export, write_workbook
from tests.sources_support import assert_conforms, by_name, messages

W2019 = "Microsoft Windows Server 2019 (64-bit)"


def _disk(n: int, **kw: object) -> dict:
    return {
        "disk": f"Hard disk {n}",
        "capacity": 40960,
        "raw": False,
        "disk_mode": "persistent",
        "sharing": "sharingNone",
        "thin": True,
        "controller": "LSI Logic SAS",
        "controller_label": "SCSI controller 0",
        "unit": n - 1,
        "path": f"[ds1] vm/vm_{n}.vmdk",
        **kw,
    }


def estate() -> list[dict]:
    return [
        {
            "vm": "web01",
            "powerstate": "poweredOn",
            "template": False,
            "firmware": "bios",
            "hw_version": "vmx-13",
            "host": "esx01.corp.example",
            "cluster": "C1",
            "datacenter": "DC1",
            "cpus": 2,
            "memory": 4096,
            "ip": "10.0.0.11",
            # Configured type is stale; the running VM's Tools say what runs.
            "os_config": "Microsoft Windows Server 2016 or later (64-bit)",
            "os_tools": W2019,
            "uuid": "50aa0000-0000-4000-8000-000000000001",
            "moref": "vm-1",
            "disks": [_disk(1), _disk(2, controller="", controller_label="SATA controller 0")],
            "nics": [
                {"label": "Network adapter 1", "adapter": "vmxnet3", "network": "VM Network",
                 "mac": "00:50:56:aa:bb:01"},
            ],
            "snapshots": [{"snapshot": "before patch"}, {"snapshot": "after patch"}],
        },
        {
            "vm": "tmpl-w2022",
            "powerstate": "poweredOff",
            "template": True,
            "firmware": "efi",
            "host": "esx01.corp.example",
            "uuid": "50aa0000-0000-4000-8000-000000000002",
            "moref": "vm-2",
            "disks": [_disk(1)],
            "nics": [{"label": "Network adapter 1", "mac": "00:50:56:aa:bb:02"}],
        },
        {
            "vm": "db01",
            "powerstate": "poweredOff",
            "template": False,
            "firmware": "efi",
            "secure_boot": True,
            "hw_version": "19",
            "host": "esx02.corp.example",
            "cluster": "C1",
            "os_config": "Red Hat Enterprise Linux 8 (64-bit)",
            "os_tools": "Red Hat Enterprise Linux 9 (64-bit)",  # stale: the VM is off
            "uuid": "50aa0000-0000-4000-8000-000000000003",
            "moref": "vm-3",
            "disks": [
                _disk(1, controller="IDE 0", controller_label="IDE 0", unit=0),
                _disk(2, raw=True, disk_mode="independent_persistent",
                      sharing="sharingMultiWriter", controller_label="SCSI controller 1", unit=0),
                _disk(3, controller="NVME controller 0", controller_label="NVME controller 0",
                      path="[ds1] db01/db01-000001.vmdk"),
            ],
            "cds": [{"device": "CD/DVD drive 1", "device_type": "Host Device", "connected": True}],
            "usbs": [{"device": "USB 1"}],
            "floppies": [{"device": "Floppy drive 1", "device_type": "Floppy image",
                          "connected": True, "path": "[ds1] drivers.flp"}],
        },
    ]  # fmt: skip


@pytest.fixture(params=["3.11", "4.6", "4.8"])
def layout_result(request, tmp_path):
    path = write_workbook(tmp_path / "RVTools_export.xlsx", request.param, estate(),
                          trailing_blank_rows=5)  # fmt: skip
    return request.param, rvtools.load(str(path))


def test_every_layout_gives_the_vms_and_lists_templates_apart(layout_result) -> None:
    layout, result = layout_result
    assert_conforms(result)
    assert result.kind == "rvtools"
    vms = by_name(result)
    assert set(vms) == {"web01", "db01"}
    assert result.warnings == []  # trailing empty rows are no rows
    assert any("1 VMware template(s) listed apart" in n and "tmpl-w2022" in n for n in result.notes)
    web, db = vms["web01"], vms["db01"]
    assert (web["source_platform"], web["firmware"], db["firmware"]) == ("vmware", "bios", "efi")
    assert web["vm_id"] == "50aa0000-0000-4000-8000-000000000001"
    assert (web["host"], web["cluster"]) == ("esx01.corp.example", "C1")
    assert web["hardware_version"] == "13" and web["state"] == "Running"
    assert web["memory_startup_bytes"] == 4096 * 2**20
    # VMware Tools when the VM runs, else the configuration file.
    assert (web["os_name"], web["os_architecture"]) == (W2019, "64-bit")
    assert db["os_name"] == "Red Hat Enterprise Linux 8 (64-bit)"
    assert web["checkpoint_count"] == 2 and db["checkpoint_count"] == 0
    if layout != "3.11":
        assert db["secure_boot"] is True
        assert (db["usb_device_count"], web["usb_device_count"]) == (1, 0)
    hosts = result.inventory["hosts"]
    assert set(hosts["host"]) == {"esx01.corp.example", "esx02.corp.example"}
    assert hosts["os_caption"].str.startswith("VMware ESXi").all()


def test_disks_carry_bus_raw_mapping_sharing_and_mode(layout_result) -> None:
    layout, result = layout_result
    disks = result.inventory["disks"].set_index(["vm_key", "label"])
    db = "50aa0000-0000-4000-8000-000000000003"
    web = "50aa0000-0000-4000-8000-000000000001"
    assert disks.loc[(db, "Hard disk 1"), "controller_type"] == "IDE"
    assert disks.loc[(db, "Hard disk 3"), "controller_type"] == "NVMe"
    assert disks.loc[(db, "Hard disk 3"), "vhd_type"] == "Differencing"  # a snapshot's delta
    assert disks.loc[(web, "Hard disk 1"), "controller_type"] == "SCSI"
    assert disks.loc[(web, "Hard disk 1"), "vhd_format"] == "VMDK"
    assert disks.loc[(web, "Hard disk 2"), "controller_type"] == "SATA"
    rdm = disks.loc[(db, "Hard disk 2")]
    assert rdm["raw_mapping"] and rdm["controller_number"] == 1
    assert rdm["disk_mode"] == "independent_persistent"
    assert disks.loc[(web, "Hard disk 1"), "size_bytes"] == 40960 * 2**20
    vms = by_name(result)
    assert vms["db01"]["independent_disk_count"] == 1
    if layout != "3.11":  # 3.x has no Sharing mode column
        assert rdm["shared"] and not disks.loc[(web, "Hard disk 1"), "shared"]
    assert len(disks) == 5  # the template's disk is not listed
    assert vms["db01"]["disks_listed"] and not vms["db01"]["com_ports_listed"]


def test_adapters_cds_and_floppies(layout_result) -> None:
    layout, result = layout_result
    nics = result.inventory["nics"]
    assert nics["mac"].tolist() == ["00:50:56:aa:bb:01"]
    assert not nics["is_legacy"].any()
    assert nics["switch_name"].tolist() == ["VM Network"]
    dvd = result.inventory["dvd_drives"]
    assert dvd["media_type"].tolist() == ["Physical"]
    floppies = result.inventory["floppies"]
    vms = by_name(result)
    if layout == "3.11":
        assert floppies["path"].tolist() == ["[ds1] drivers.flp"]
        assert vms["db01"]["floppies_listed"]
    else:  # RVTools 4.x has no vFloppy tab: floppies stay unknown
        assert floppies.empty and not vms["db01"]["floppies_listed"]


def test_csv_export_with_prefixed_headers_is_read_as_one_export(tmp_path) -> None:
    folder = write_csv_export(tmp_path / "export", estate())
    results = registry.load_sources([str(folder)])
    assert {Path(r.path).name for r in results} == {
        "RVTools_tabvInfo.csv", "RVTools_tabvDisk.csv", "RVTools_tabvNetwork.csv",
    }  # fmt: skip
    [main] = [r for r in results if len(r.inventory.vms)]
    assert Path(main.path).name == "RVTools_tabvInfo.csv"
    assert_conforms(main)
    vms = by_name(main)
    assert set(vms) == {"web01", "db01"}
    assert vms["web01"]["hardware_version"] == "13"
    assert vms["web01"]["datacenter"] == "DC1"
    disks = main.inventory["disks"]
    assert len(disks) == 5  # tied by VM name (the export has no VM UUID in vDisk)
    assert disks["source"].str.contains("RVTools_tabvDisk.csv:").all()
    assert disks["origin"].eq(main.path).all()
    nics = main.inventory["nics"]
    assert nics["mac"].tolist() == ["00:50:56:aa:bb:01"]
    assert all(r.warnings == [] for r in results)


@pytest.mark.slow
def test_csv_export_with_plain_headers_and_a_second_export_beside_it(tmp_path) -> None:
    folder = tmp_path / "exports"
    write_csv_export(folder, estate(), prefix="vc1_RVTools_tab", prefixed=False)
    other = [dict(estate()[0], vm="web99", uuid="50bb0000-0000-4000-8000-000000000099")]
    write_csv_export(folder, other, prefix="vc2_RVTools_tab", prefixed=False)
    results = [r for r in registry.load_sources([str(folder)]) if len(r.inventory.vms)]
    assert sorted(Path(r.path).name for r in results) == [
        "vc1_RVTools_tabvInfo.csv", "vc2_RVTools_tabvInfo.csv",
    ]  # fmt: skip
    by_file = {Path(r.path).name: r for r in results}
    vc2 = by_file["vc2_RVTools_tabvInfo.csv"]
    assert set(by_name(vc2)) == {"web99"}
    assert len(vc2.inventory["disks"]) == 2  # its own vDisk file only
    assert by_name(by_file["vc1_RVTools_tabvInfo.csv"])["db01"]["usb_device_count"] == 1


def test_a_tab_without_its_vinfo_file_says_so(tmp_path) -> None:
    folder = write_csv_export(tmp_path / "export", estate())
    (folder / "RVTools_tabvInfo.csv").unlink()
    result = rvtools.load(str(folder / "RVTools_tabvDisk.csv"))
    assert len(result.inventory.vms) == 0
    assert any("without its vInfo file" in n for n in result.notes)


def test_bad_cells_are_warned_with_sheet_line_and_column_and_rows_kept(tmp_path) -> None:
    vms = estate()
    vms[0]["firmware"] = "legacy"
    vms[0]["disks"][0]["capacity"] = "lots"
    vms.append({"vm": "orphan-disk-owner", "template": False})
    path = write_workbook(tmp_path / "bad.xlsx", "4.6", vms)
    vms.pop()
    result = rvtools.load(str(path))
    text = messages(result)
    assert f"{path} (vInfo):2: column 'Firmware': 'legacy' is not bios or efi; left unknown" in text
    assert any(m.startswith(f"{path} (vDisk):2: column 'Capacity MiB'") for m in text)
    assert by_name(result)["web01"]["firmware"] is None
    assert set(by_name(result)) == {"web01", "db01", "orphan-disk-owner"}


def test_rows_of_other_tabs_naming_no_vm_are_counted(tmp_path) -> None:
    vms = estate()
    path = write_workbook(tmp_path / "a.xlsx", "4.8", vms, tabs=["vInfo"])
    ghost = [{"vm": "ghost", "uuid": "50cc", "disks": [_disk(1)]}]
    write_workbook(tmp_path / "b.xlsx", "4.8", ghost, tabs=["vDisk"])
    other = tmp_path / "b.xlsx"
    tabs = {
        **rvtools._read_workbook(str(path), path.read_bytes()),
        "vdisk": rvtools._read_workbook(str(other), other.read_bytes())["vdisk"],
    }
    result = rvtools.build(str(path), tabs)
    assert result.inventory["disks"].empty
    assert any("1 row(s) name no VM of vInfo" in m for m in messages(result))


def test_same_name_in_two_datacenters_are_two_vms(tmp_path) -> None:
    vms = [
        {"vm": "app", "datacenter": "DC1", "uuid": "50dd0000-0000-4000-8000-000000000001"},
        {"vm": "app", "datacenter": "DC2", "uuid": "50dd0000-0000-4000-8000-000000000002"},
    ]
    result = rvtools.load(str(write_workbook(tmp_path / "x.xlsx", "4.8", vms)))
    assert sorted(result.inventory.vms["datacenter"]) == ["DC1", "DC2"]


def test_sniffing(tmp_path) -> None:
    book = write_workbook(tmp_path / "r.xlsx", "4.8", estate())
    assert registry.source_for(str(book)) is rvtools
    folder = write_csv_export(tmp_path / "csv", estate(), prefixed=False)
    for name in ("RVTools_tabvInfo.csv", "RVTools_tabvDisk.csv", "RVTools_tabvNetwork.csv"):
        assert registry.source_for(str(folder / name)) is rvtools
    assert rvtools.csv_tab("x.csv", b"vDiskVMName,vDiskCapacityMiB\nweb01,1\n") == "vdisk"
    assert rvtools.csv_tab("x.csv", b"VMName,State,Generation\nweb01,Running,1\n") is None


@pytest.mark.parametrize(
    ("texts", "bus"),
    [
        (("VMware paravirtual SCSI", "SCSI controller 0"), "SCSI"),
        (("LSI Logic SAS",), "SCSI"),
        (("IDE 1",), "IDE"),
        (("SATA controller 0",), "SATA"),
        (("AHCI",), "SATA"),
        (("NVME controller 0",), "NVMe"),
        (("",), None),
    ],
)
def test_controller_bus(texts: tuple[str, ...], bus: str | None) -> None:
    assert rvtools.controller_bus(*texts) == bus


names = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(
    lambda s: s.strip() and s.strip().lower() not in NA_TOKENS
)
machines = st.lists(
    st.tuples(names, st.sampled_from(["bios", "efi", ""]), st.booleans(), st.integers(0, 3)),
    max_size=12,
    unique_by=lambda m: m[0].strip(),
)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(machines=machines, prefixed=st.booleans())
def test_property_every_vm_once_templates_never(machines, prefixed) -> None:
    vms = [
        {
            "vm": name,
            "template": template,
            "firmware": firmware,
            "powerstate": "poweredOn",
            "uuid": f"50ee0000-0000-4000-8000-{i:012d}",
            "disks": [_disk(n + 1) for n in range(disks)],
        }
        for i, (name, firmware, template, disks) in enumerate(machines)
    ]
    with tempfile.TemporaryDirectory() as folder:
        write_csv_export(Path(folder), vms, prefixed=prefixed)
        result = rvtools.load(str(Path(folder) / "RVTools_tabvInfo.csv"))
    assert_conforms(result)
    got = by_name(result)
    expected = {vm["vm"].strip(): vm for vm in vms if not vm["template"]}
    assert set(got) == set(expected)
    for name, vm in expected.items():
        assert got[name]["firmware"] == (vm["firmware"] or None)
    disks = result.inventory["disks"]
    assert len(disks) == sum(len(vm["disks"]) for vm in expected.values())
    assert result.warnings == []


def test_rows_tie_to_the_name_as_written_before_any_case(tmp_path: Path) -> None:
    # The 4.6 CSV export's vDisk has no VM UUID: rows are tied by name. A template and a VM
    # whose names differ only in case, and two VMs likewise, keep their own disks.
    def machine(i: int, name: str, template: bool, disks: int) -> dict:
        return {
            "vm": name,
            "template": template,
            "firmware": "bios",
            "powerstate": "poweredOn",
            "uuid": f"50ee0000-0000-4000-8000-{i:012d}",
            "disks": [_disk(n + 1) for n in range(disks)],
        }

    vms = [
        machine(0, "FALSE", False, 0),
        machine(1, "fALSE", True, 1),
        machine(2, "Web", False, 1),
        machine(3, "WEB", False, 2),
    ]
    folder = write_csv_export(tmp_path / "csv", vms, prefixed=False)
    result = rvtools.load(str(folder / "RVTools_tabvInfo.csv"))
    assert_conforms(result)
    got = by_name(result)
    assert set(got) == {"FALSE", "Web", "WEB"}
    disks = result.inventory["disks"]
    per_vm = disks["vm_key"].value_counts().to_dict()
    assert per_vm == {got["Web"]["vm_key"]: 1, got["WEB"]["vm_key"]: 2}
