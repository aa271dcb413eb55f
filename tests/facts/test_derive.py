"""Facts from inventory tables: what each input implies, with its evidence, NA when unknown."""

from __future__ import annotations

import pandas as pd
import pytest

from assess.facts import derive as derive_module
from assess.facts.derive import derive_facts
from assess.facts.support_matrix import SupportMatrix
from assess.model.inventory import Inventory, table_from_rows

MATRIX = SupportMatrix.load()
LISTED = {f"{t}_listed": True for t in ("disks", "nics", "floppies", "com_ports", "dvd_drives")}
WS2019_KVP = {"os_name": "Windows Server 2019 Standard", "os_version": "10.0.17763",
              "os_product_type": "3", "os_architecture": "9"}  # fmt: skip


def collector_vm(key: str = "a", **fields: object) -> dict:
    return {"vm_key": key, "vm_id": key, "name": key.upper(), "host": "HV01", "origin": "f",
            "source": "f:2", "source_kind": "collector", "generation": 1, **LISTED,
            **fields}  # fmt: skip


def disk(key: str, ctype: str, number: int, location: int, path: str, **fields) -> dict:
    return {"vm_key": key, "origin": "f", "controller_type": ctype, "controller_number": number,
            "controller_location": location, "path": path, **fields}  # fmt: skip


def facts(vms: list[dict], **tables: list[dict]) -> pd.DataFrame:
    frames = {"vms": table_from_rows("vms", vms)}
    frames |= {name: table_from_rows(name, rows) for name, rows in tables.items()}
    result = derive_facts(Inventory.from_frames(frames), MATRIX)
    return result.frame.join(result.evidence.add_suffix(".evidence"))


def test_boot_disk_is_the_first_ide_disk_by_controller_and_location() -> None:
    frame = facts(
        [collector_vm(**WS2019_KVP)],
        disks=[
            disk("a", "SCSI", 0, 0, r"D:\data.vhdx", vhd_format="VHDX"),
            disk("a", "IDE", 1, 0, r"D:\second.vhd", vhd_format="VHD"),
            disk("a", "IDE", 0, 1, r"D:\os.vhdx", vhd_format="VHDX", vhd_type="Dynamic"),
        ],
    )
    vm = frame.loc["a"]
    assert vm["boot_disk_path"] == r"D:\os.vhdx" and vm["boot_disk_location"] == "0:1"
    assert vm["boot_disk_format"] == "VHDX"
    assert vm["ide_data_disk_count"] == 1 and vm["vhd_data_disk_count"] == 1
    assert vm["boot_disk_partition_style"] == "MBR"
    assert vm["boot_disk_partition_style.evidence"].startswith("inferred:")


def test_no_ide_disk_means_no_boot_disk_not_unknown() -> None:
    frame = facts([collector_vm()], disks=[disk("a", "SCSI", 0, 0, r"D:\data.vhdx")])
    assert not frame.loc["a", "has_boot_disk"]


def test_pass_through_and_differencing_boot_disks() -> None:
    frame = facts(
        [collector_vm("p"), collector_vm("d")],
        disks=[
            disk("p", "IDE", 0, 0, "Disk 3", disk_number=3),
            disk("d", "IDE", 0, 0, r"D:\os_1234.avhdx"),
        ],
    )
    assert frame.loc["p", "boot_disk_format"] == "PassThrough"
    assert frame.loc["p", "boot_disk_type"] == "Physical"
    assert frame.loc["d", "boot_disk_format"] == "VHDX"
    assert frame.loc["d", "boot_disk_format.evidence"] == "inferred: file name"
    assert frame.loc["d", "boot_disk_type"] == "Differencing"


def test_linux_partition_style_is_not_inferred() -> None:
    frame = facts(
        [collector_vm(os_name="Ubuntu", os_major="22.04", os_architecture="x86_64")],
        disks=[disk("a", "IDE", 0, 0, r"D:\root.vhdx")],
    )
    assert pd.isna(frame.loc["a", "boot_disk_partition_style"])
    assert frame.loc["a", "os_conversion_path"] == "linux-efi"
    assert frame.loc["a", "secure_boot_support"] == "uefi-ca"


def test_devices_from_detail_tables() -> None:
    frame = facts(
        [collector_vm(boot_order="LegacyNetworkAdapter;IDE;CD;Floppy")],
        nics=[{"vm_key": "a", "is_legacy": True}, {"vm_key": "a", "is_legacy": False}],
        floppies=[{"vm_key": "a", "path": r"D:\a.vfd"}],
        com_ports=[{"vm_key": "a", "path": r"\\.\pipe\x"}, {"vm_key": "a", "path": None}],
        dvd_drives=[{"vm_key": "a", "media_type": "Physical"}],
    )
    vm = frame.loc["a"]
    assert (vm["legacy_nic_count"], vm["synthetic_nic_count"]) == (1, 1)
    assert vm["boot_from_network"] and vm["floppy_media"] and vm["floppy_path"] == r"D:\a.vfd"
    assert vm["com_port_count"] == 1 and vm["physical_dvd_count"] == 1


def test_a_section_that_was_not_listed_stays_unknown() -> None:
    frame = facts([collector_vm(nics_listed=None, floppies_listed=None)])
    assert pd.isna(frame.loc["a", "legacy_nic_count"])
    assert pd.isna(frame.loc["a", "floppy_media"])
    assert frame.loc["a", "com_port_count"] == 0


def template_vm(**fields: object) -> dict:
    return {"vm_key": "t", "vm_id": "t", "name": "T", "host": "HV9", "origin": "t.csv",
            "source": "t.csv:2", "source_kind": "template", **fields}  # fmt: skip


def test_template_values_fill_the_facts() -> None:
    frame = facts(
        [
            template_vm(
                generation=1,
                os_name="Windows Server 2016",
                os_architecture="x64",
                boot_controller="IDE",
                boot_disk_path=r"C:\v\t.vhd",
                partition_style="GPT",
                legacy_nic_count=2,
                pxe_boot=True,
                floppy_media=False,
                com_port_count=0,
                dvd_media="Physical",
                ide_data_disk_count=1,
                remotefx_3d_count=0,
                host_os="Windows Server 2012",
            )
        ]
    )
    vm = frame.loc["t"]
    assert vm["boot_disk_format"] == "VHD"  # from the path's extension
    assert vm["boot_disk_partition_style"] == "GPT"  # stated beats inferred
    assert vm["legacy_nic_count"] == 2 and vm["boot_from_network"]
    assert vm["physical_dvd_count"] == 1 and vm["ide_data_disk_count"] == 1
    assert not vm["host_gen2_capable"]
    assert vm["host_gen2_capable.evidence"] == "inventory: HostOS"
    assert vm["boot_disk_controller.evidence"] == "template: BootController"


def test_blank_template_cells_stay_unknown() -> None:
    vm = facts([template_vm(generation=1)]).loc["t"]
    for fact in ("os_family", "os_arch", "boot_disk_controller", "legacy_nic_count",
                 "floppy_media", "checkpoint_count", "host_gen2_capable"):  # fmt: skip
        assert pd.isna(vm[fact]), fact


@pytest.mark.parametrize(
    ("fields", "capable", "evidence"),
    [
        ({"config_version": "5.0"}, True, "inferred: configuration version 5.0+"),
        ({"config_version": "4.0"}, None, None),
        ({}, None, None),
    ],
)
def test_host_capability_inferred_from_configuration_version(fields, capable, evidence) -> None:
    vm = facts([template_vm(generation=1, **fields)]).loc["t"]
    if capable is None:
        assert pd.isna(vm["host_gen2_capable"])
    else:
        assert vm["host_gen2_capable"] == capable
        assert vm["host_gen2_capable.evidence"].startswith(evidence)


def test_a_host_running_gen2_vms_can_run_gen2() -> None:
    frame = facts([template_vm(generation=1), {**template_vm(generation=2), "vm_key": "g"}])
    assert frame.loc["t", "host_gen2_capable"]


def test_host_record_decides_over_inference() -> None:
    frame = facts(
        [collector_vm(config_version="5.0")],
        hosts=[
            {
                "host": "HV01",
                "os_caption": "Microsoft Windows Server 2012 Datacenter",
                "os_version": "6.2.9200",
            }
        ],
    )
    vm = frame.loc["a"]
    assert not vm["host_gen2_capable"]
    assert vm["host_os"] == "Microsoft Windows Server 2012 Datacenter (6.2.9200)"


def test_parent_checkpoint_implies_a_checkpoint() -> None:
    vm = facts([template_vm(parent_checkpoint_id="1234-abcd")]).loc["t"]
    assert vm["checkpoint_count"] == 1
    assert vm["checkpoint_count.evidence"].startswith("inferred:")


def test_replication_states() -> None:
    rows = [{**template_vm(replication_state=s), "vm_key": s} for s in ("Disabled", "Replicating")]
    frame = facts(rows)
    assert not frame.loc["Disabled", "replication_enabled"]
    assert frame.loc["Replicating", "replication_enabled"]


def test_unsupported_and_32bit_guests() -> None:
    frame = facts(
        [
            template_vm(os_name="Windows Server 2008 R2"),
            {**template_vm(os_name="Windows 10 Pro", os_architecture="x86"), "vm_key": "x"},
            {**template_vm(os_name="Ubuntu 26.04", os_architecture="x64"), "vm_key": "u"},
        ]
    )
    assert frame.loc["t", "os_gen2_support"] == "no"
    assert frame.loc["x", "os_arch"] == "x86" and frame.loc["x", "os_gen2_support"] == "yes"
    assert frame.loc["u", "os_gen2_support"] == "yes"
    assert "assumed" in frame.loc["u", "os_gen2_support.evidence"]


# --- guest OS through the one identifier ------------------------------------------------------


def test_unknown_release_is_not_judged_by_an_upper_bound_row() -> None:
    frame = facts(
        [
            template_vm(os_name="CentOS", os_architecture="x64"),
            {**template_vm(os_name="SLES 12", os_architecture="x64"), "vm_key": "s"},
        ]
    )
    for key in ("t", "s"):
        assert pd.isna(frame.loc[key, "os_gen2_support"])
        assert pd.isna(frame.loc[key, "os_conversion_path"])
        assert pd.isna(frame.loc[key, "os_release"]) or key == "s"
    assert "release unknown" in frame.loc["t", "os_family.evidence"]


def test_os_evidence_names_the_source_and_fields() -> None:
    frame = facts([collector_vm(os_name="Ubuntu", os_major="22.04", os_architecture="x86_64")])
    assert frame.loc["a", "os_release.evidence"] == (
        "collector: Ubuntu 22.04 from KVP OSName 'Ubuntu' and OSMajorVersion '22.04'"
    )


def test_an_os_hyper_v_cannot_run_has_no_gen2_support() -> None:
    vm = facts([template_vm(os_name="Oracle Solaris 10 (64-bit)")]).loc["t"]
    assert vm["os_gen2_support"] == "no" and vm["os_conversion_path"] == "rebuild"
    assert "Hyper-V does not run Solaris" in vm["os_note"]


def test_windows_10_before_1703_converts_with_mbr2gpt_offline() -> None:
    vm = facts([template_vm(os_name="Windows 10 Enterprise 2016 LTSB", os_architecture="64")])
    assert vm.loc["t", "os_conversion_path"] == "mbr2gpt"
    assert "Windows PE" in vm.loc["t", "os_note"]


# --- boot order: what the BIOS really boots first ---------------------------------------------

BIOS = "CD;IDE;LegacyNetworkAdapter;Floppy"


@pytest.mark.parametrize(
    ("order", "tables", "first", "network", "because"),
    [
        # An empty DVD drive is passed over: the legacy NIC behind it boots.
        ("CD;LegacyNetworkAdapter;IDE;Floppy", {"legacy": True}, "legacy network adapter",
         True, "(DVD drive empty)"),
        ("LegacyNetworkAdapter;IDE;CD;Floppy", {"legacy": True}, "legacy network adapter",
         True, ""),
        # A legacy-network entry without a legacy adapter is passed over: IDE boots.
        ("LegacyNetworkAdapter;IDE;CD;Floppy", {"legacy": False}, "IDE disk", False,
         "(no legacy adapter)"),
        # A DVD with media boots before the NIC.
        ("CD;LegacyNetworkAdapter;IDE;Floppy", {"legacy": True, "iso": True}, "DVD drive",
         False, ""),
        # IDE without a disk, empty floppy: the NIC is first that can boot.
        ("IDE;Floppy;LegacyNetworkAdapter;CD", {"legacy": True, "disk": False},
         "legacy network adapter", True, "(no IDE disk, floppy drive empty)"),
        (BIOS, {"legacy": True}, "IDE disk", False, "(DVD drive empty)"),
    ],
)  # fmt: skip
def test_first_bootable_device(order, tables, first, network, because) -> None:
    nics = [{"vm_key": "a", "is_legacy": tables["legacy"]}]
    dvd = [{"vm_key": "a", "media_type": "ISO" if tables.get("iso") else "None",
            "path": r"D:\x.iso" if tables.get("iso") else None}]  # fmt: skip
    disks = [] if tables.get("disk") is False else [disk("a", "IDE", 0, 0, r"D:\os.vhdx")]
    frame = facts(
        [collector_vm(boot_order=order, **WS2019_KVP)], nics=nics, dvd_drives=dvd, disks=disks
    )
    vm = frame.loc["a"]
    assert vm["first_boot_device"] == first
    assert bool(vm["boot_from_network"]) is network
    assert vm["first_boot_device.evidence"].startswith(f"first bootable device: {first}")
    assert because in vm["first_boot_device.evidence"]


def test_first_bootable_device_unknown_when_an_earlier_device_is_unknown() -> None:
    frame = facts(
        [collector_vm(boot_order="CD;LegacyNetworkAdapter", dvd_drives_listed=None)],
        nics=[{"vm_key": "a", "is_legacy": True}],
    )
    assert pd.isna(frame.loc["a", "first_boot_device"])
    assert pd.isna(frame.loc["a", "boot_from_network"])


def test_pxe_column_without_a_legacy_adapter_is_not_network_boot() -> None:
    vm = facts([template_vm(pxe_boot=True, legacy_nic_count=0)]).loc["t"]
    assert not vm["boot_from_network"]
    assert "no legacy network adapter" in vm["boot_from_network.evidence"]


@pytest.mark.parametrize(
    "derive",
    [derive_module._host_windows_version, derive_module._host_capable_from_text],
    ids=["host version", "host OS text"],
)
def test_worked_out_per_distinct_value_as_for_every_row(derive) -> None:
    values = pd.Series(
        ["10.0.17763", None, "6.2.9200", "Windows Server 2012 R2", "10.0.17763", None] * 5,
        index=range(100, 130),
        dtype="string",
    )
    once = derive_module._per_distinct(values, derive)
    every = derive(values)
    assert once.index.equals(values.index)
    assert once.dtype == every.dtype
    assert once.equals(every)
    # Mostly distinct values: worked out row by row, the same.
    assert derive_module._per_distinct(values.iloc[:3], derive).equals(derive(values.iloc[:3]))
