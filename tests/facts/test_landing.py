"""Machines moving to Hyper-V from VMware: the generation they land as, the route to land as
Generation 2, the boot disk and the facts RVTools cannot give; verdicts and the summary."""

from __future__ import annotations

import pandas as pd
import pytest

from assess.engine.catalog import load_catalog
from assess.engine.evaluate import assess
from assess.facts.derive import derive_facts
from assess.facts.support_matrix import SupportMatrix
from assess.model.inventory import Inventory, table_from_rows
from assess.render.figures import landing_figures, landing_sentence, status_paragraph

MATRIX = SupportMatrix.load()
CATALOG = load_catalog()


def vmware_vm(key: str, firmware: str | None, os_name: str | None, **fields: object) -> dict:
    return {
        "vm_key": key, "vm_id": key, "name": key.upper(), "host": "esx01", "origin": "r",
        "source": "r:2", "source_kind": "rvtools", "source_platform": "vmware",
        "firmware": firmware, "os_name": os_name, "os_architecture": "64-bit",
        "disks_listed": True, "nics_listed": True, "dvd_drives_listed": True,
        "checkpoint_count": 0, "usb_device_count": 0, "independent_disk_count": 0,
        **fields,
    }  # fmt: skip


def vmdk(key: str, n: int, bus: str = "SCSI", **fields: object) -> dict:
    return {"vm_key": key, "origin": "r", "label": f"Hard disk {n}", "controller_type": bus,
            "controller_number": 0, "controller_location": n, "vhd_format": "VMDK",
            "vhd_type": "Dynamic", "shared": False, "raw_mapping": False, **fields}  # fmt: skip


def inventory(vms: list[dict], disks: list[dict] = ()) -> Inventory:
    return Inventory.from_frames(
        {"vms": table_from_rows("vms", vms), "disks": table_from_rows("disks", list(disks))}
    )


@pytest.fixture(scope="module")
def estate():
    vms = [
        vmware_vm("web", "bios", "Microsoft Windows Server 2019"),
        vmware_vm("app", "bios", "Microsoft Windows Server 2012 R2"),
        vmware_vm("sql", "efi", "Microsoft Windows Server 2022", secure_boot=True),
        vmware_vm("old", "bios", "Microsoft Windows Server 2003", os_architecture="32-bit"),
        vmware_vm("lnx", "bios", "Red Hat Enterprise Linux 8"),
        vmware_vm("nofw", None, "Microsoft Windows Server 2019"),
        vmware_vm("rdm", "bios", "Microsoft Windows Server 2019"),
        {"vm_key": "hv2", "vm_id": "hv2", "name": "HV2", "host": "HV01", "origin": "t",
         "source": "t:2", "source_kind": "template", "generation": 2},
    ]  # fmt: skip
    disks = [
        # The first hard disk boots, whatever order the rows come in and whatever the bus.
        vmdk("web", 2, "IDE"),
        vmdk("web", 1, "SCSI"),
        vmdk("rdm", 1, raw_mapping=True, vhd_format=None, vhd_type=None),
        *(vmdk(k, 1) for k in ("app", "sql", "old", "lnx", "nofw")),
    ]
    facts = derive_facts(inventory(vms, disks), MATRIX)
    return facts, assess(facts, CATALOG)


def test_landing_generation_follows_the_firmware(estate) -> None:
    facts, _ = estate
    frame = facts.frame
    columns = ["source_platform", "firmware", "landing_generation", "generation"]
    assert frame.loc["web", columns].tolist() == ["vmware", "bios", 1, 1]
    assert frame.loc["sql", "landing_generation"] == 2
    assert pd.isna(frame.loc["nofw", "landing_generation"])
    assert "SCVMM" in facts.evidence.loc["web", "landing_generation"]
    # A Hyper-V VM keeps its generation; its firmware follows from it.
    assert frame.loc["hv2", ["source_platform", "firmware", "landing_generation"]].tolist() == [
        "hyper-v", "efi", 2,
    ]  # fmt: skip
    assert pd.isna(frame.loc["hv2", "landing_route"])


@pytest.mark.parametrize(
    ("key", "route"),
    [
        ("web", "fix-before-move"),  # MBR2GPT on VMware, then EFI
        ("lnx", "fix-before-move"),  # GPT + ESP + GRUB EFI on VMware
        ("app", "convert-after-landing"),  # WS2012 R2: recapture after landing
        ("sql", "lands-gen2"),
        ("old", "blocked"),  # 32-bit
        ("nofw", None),
    ],
)
def test_cheapest_route(estate, key: str, route: str | None) -> None:
    facts, _ = estate
    value = facts.frame.loc[key, "landing_route"]
    assert (None if pd.isna(value) else value) == route


def test_boot_disk_ide_count_and_raw_mapping(estate) -> None:
    facts, _ = estate
    frame = facts.frame
    assert frame.loc["web", "boot_disk_controller"] == "SCSI"  # Hard disk 1
    assert frame.loc["web", ["ide_disk_count", "ide_data_disk_count"]].tolist() == [1, 1]
    assert frame.loc["web", "boot_disk_partition_style"] == "MBR"  # BIOS Windows
    assert frame.loc["sql", "boot_disk_partition_style"] == "GPT"  # EFI Windows
    assert pd.isna(frame.loc["lnx", "boot_disk_partition_style"])  # RVTools cannot say
    assert frame.loc["rdm", "boot_disk_format"] == "PassThrough"
    assert frame.loc["rdm", "passthrough_disk_count"] == 1
    assert frame.loc["web", "boot_disk_format"] == "VMDK"
    # Hyper-V-only settings a VMware VM cannot have; serial ports stay unknown.
    assert frame.loc["web", ["remotefx_3d_count", "legacy_nic_count"]].tolist() == [0, 0]
    assert not frame.loc["web", "replication_enabled"]
    assert pd.isna(frame.loc["web", "com_port_count"])


def test_verdicts_rules_and_data_gaps(estate) -> None:
    _, assessment = estate
    vms = assessment.vms.set_index("name")
    assert vms.loc["HV2", "verdict"] == "already-gen2"
    # An EFI VMware VM is still judged (the move has its own fixes); no conversion path.
    assert vms.loc["SQL", "verdict"] != "already-gen2"
    assert vms.loc["SQL", "conversion_path"] == "none"
    assert vms.loc["WEB", ["source_platform", "landing_generation"]].tolist() == ["vmware", 1]
    fired = assessment.findings.groupby("vm_name")["rule"].apply(set)
    assert {"VMW001", "VMW003", "BOOT003", "DISK001"} <= fired["WEB"]
    assert "VMW001" not in fired.get("SQL", set())
    assert {"OS001", "VMW001"} <= fired["OLD"] and vms.loc["OLD", "verdict"] == "blocked"
    assert {"VMW004", "BOOT004"} <= fired["RDM"]
    assert "VMW002" in fired["NOFW"] and vms.loc["NOFW", "verdict"] == "needs-data"
    assert not {"HOST001", "VM003", "VM005"} & set(assessment.findings["rule"])
    # What RVTools cannot say is listed as a data gap.
    gaps = assessment.data_gaps.set_index("vm_name")
    assert "com_port_count" in gaps.loc["SQL", "missing_facts"]
    assert "boot_disk_partition_style" in gaps.loc["LNX", "missing_facts"]
    assert "vSphere" in gaps.loc["SQL", "how_to_get"]


def test_summary_counts_the_landing(estate) -> None:
    _, assessment = estate
    assert landing_figures(assessment) == {
        "moved": 7, "gen1": 5, "gen2": 1, "unknown": 1,
        "fix-before-move": 3, "convert-after-landing": 1, "blocked": 1,
    }  # fmt: skip
    sentence = landing_sentence(assessment)
    assert sentence.startswith("Of 7 VMs moving from VMware or physical servers: 5 VMs would land")
    assert "3 can land as Gen 2 after a fix before the move" in sentence
    assert "1 VM lands as Gen 2 as it is" in sentence
    assert sentence in status_paragraph(assessment)


def test_no_landing_sentence_for_a_hyper_v_estate() -> None:
    vms = [{"vm_key": "a", "vm_id": "a", "name": "A", "host": "H", "origin": "t",
            "source": "t:2", "source_kind": "template", "generation": 1}]  # fmt: skip
    assessment = assess(derive_facts(inventory(vms), MATRIX), CATALOG)
    assert landing_sentence(assessment) == ""
    assert status_paragraph(assessment).startswith("Of 1 Generation 1 VM")
