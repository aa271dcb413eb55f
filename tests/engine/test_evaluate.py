"""Verdicts, conversion paths, effort and confidence from facts."""

from __future__ import annotations

import pytest

from assess.engine.catalog import load_catalog
from assess.engine.evaluate import assess
from tests.factsframe import facts_of

CATALOG = load_catalog()

#: A Gen 1 Windows Server 2019 VM with every fact known and nothing in the way but the
#: standard steps (IDE boot disk, MBR).
CLEAN_2019 = {
    "os_family": "windows", "os_distro": "windows-server", "os_display": "Windows Server 2019",
    "os_release": "2019", "os_kind": "server",
    "os_arch": "x64", "os_gen2_support": "yes", "secure_boot_support": "yes",
    "os_conversion_path": "mbr2gpt", "has_boot_disk": True, "boot_disk_controller": "IDE",
    "boot_disk_format": "VHDX", "boot_disk_type": "Dynamic", "boot_disk_partition_style": "MBR",
    "boot_from_network": False, "legacy_nic_count": 0, "synthetic_nic_count": 1,
    "floppy_media": False, "com_port_count": 0, "remotefx_3d_count": 0, "physical_dvd_count": 0,
    "ide_data_disk_count": 0, "vhd_data_disk_count": 0, "shared_disk_count": 0,
    "passthrough_disk_count": 0, "checkpoint_count": 0, "replication_enabled": False,
    "config_version_number": 9.0, "config_version": "9.0", "is_clustered": False,
    "host_gen2_capable": True,
}  # fmt: skip


def vm(**changes: object) -> dict:
    return {**CLEAN_2019, **changes}


def one(**changes: object):
    assessment = assess(facts_of(vm(**changes)), CATALOG)
    return assessment, assessment.vms.iloc[0]


def test_standard_candidate_is_ready_with_fixes_on_the_mbr2gpt_path() -> None:
    _, row = one()
    assert row["verdict"] == "ready-with-fixes"
    assert row["conversion_path"] == "mbr2gpt"
    assert row["finding_ids"] == "BOOT001 BOOT003"
    assert row["confidence"] == 1.0
    # Base of the path (1.0) + BOOT001 (0.25) + BOOT003 on mbr2gpt (0.5).
    assert row["effort_hours"] == pytest.approx(1.75)


def test_vm_without_boot_disk_and_nothing_else_is_ready() -> None:
    _, row = one(has_boot_disk=False, boot_disk_controller=None, boot_disk_partition_style=None)
    assert row["verdict"] == "ready"
    assert row["finding_ids"] == ""


def test_blocker_wins_over_everything() -> None:
    _, row = one(os_arch="x86", checkpoint_count=None)
    assert row["verdict"] == "blocked"
    assert row["conversion_path"] == "rebuild"
    assert row["finding_ids"].startswith("OS001")


def test_unknown_blocker_rule_means_needs_data() -> None:
    _, row = one(host_gen2_capable=None)
    assert row["verdict"] == "needs-data"
    assert "HOST001" in row["unknown_rules"].split()


def test_missing_data_is_never_ready() -> None:
    _, row = one(has_boot_disk=False, boot_disk_partition_style=None, checkpoint_count=None)
    assert row["verdict"] == "needs-data"
    assert "VM001" in row["unknown_rules"].split()


def test_unknown_fix_rule_does_not_hide_known_fixes() -> None:
    _, row = one(checkpoint_count=None)
    assert row["verdict"] == "ready-with-fixes"
    assert row["confidence"] < 1.0


def test_os_unknown_needs_data_with_a_data_gap() -> None:
    assessment, row = one(
        os_family=None, os_distro=None, os_display=None, os_arch=None, os_gen2_support=None,
        secure_boot_support=None, os_conversion_path=None, boot_disk_partition_style=None,
    )  # fmt: skip
    assert row["verdict"] == "needs-data"
    assert row["conversion_path"] == "unknown"
    assert "OS003" in row["finding_ids"].split()
    gap = assessment.data_gaps.iloc[0]
    assert gap["affects_verdict"] == "yes"
    assert "os_arch" in gap["missing_facts"] and "OS001" in gap["needed_by"]
    assert "Data Exchange" in gap["how_to_get"]


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"os_conversion_path": "recapture"}, "recapture"),
        ({"os_family": "linux", "os_conversion_path": "linux-efi"}, "linux-efi"),
        ({"os_gen2_support": "no"}, "rebuild"),
        ({"generation": 2}, "none"),
    ],
)
def test_conversion_paths(changes: dict, path: str) -> None:
    _, row = one(**changes)
    assert row["conversion_path"] == path


def test_effort_depends_on_the_path() -> None:
    _, mbr2gpt = one()
    _, recapture = one(os_conversion_path="recapture")
    # BOOT003 costs 0.5 h with MBR2GPT and 2.0 h as a recapture.
    assert recapture["effort_hours"] - mbr2gpt["effort_hours"] == pytest.approx(1.5)


def test_findings_carry_evidence_remediation_and_reference() -> None:
    assessment, _ = one(
        boot_disk_path=r"D:\VMs\app01.vhd", boot_disk_format="VHD", boot_disk_size_gb=127.0
    )
    finding = assessment.findings.set_index("rule").loc["BOOT002"]
    assert finding["evidence"] == r"boot disk D:\VMs\app01.vhd is VHD (127.0 GB)"
    assert "Convert-VHD" in finding["remediation"]
    assert finding["reference"].startswith("https://learn.microsoft.com/")
    assert finding["status"] == "open"


def test_optional_evidence_parts_drop_out_when_unknown() -> None:
    assessment, _ = one(boot_disk_format="VHD")
    finding = assessment.findings.set_index("rule").loc["BOOT002"]
    assert finding["evidence"] == "boot disk is VHD"


def test_verdict_counts_and_sorting_over_many_vms() -> None:
    facts = facts_of(vm(), vm(os_arch="x86"), vm(generation=2), vm(host_gen2_capable=None))
    assessment = assess(facts, CATALOG)
    assert assessment.verdict_counts() == {
        "blocked": 1, "needs-data": 1, "stays-gen1": 0, "ready-with-fixes": 1, "ready": 0,
        "already-gen2": 1,
    }  # fmt: skip
    order = ["blocker", "needs-data", "fix", "warning", "info"]
    for _, group in assessment.findings.groupby("vm_key", sort=False):
        ranks = [order.index(s) for s in group["severity"]]
        assert ranks == sorted(ranks)


@pytest.mark.parametrize(
    "changes",
    [
        {"os_arch": None},  # the architecture decides whether the guest can convert at all
        {"has_boot_disk": False, "boot_disk_controller": None},  # nothing to convert
    ],
)
def test_path_is_unknown_without_architecture_or_boot_disk(changes: dict) -> None:
    _, row = one(**changes)
    assert row["conversion_path"] == "unknown"


def test_known_cannot_convert_stays_rebuild_without_a_disk() -> None:
    _, row = one(os_gen2_support="no", has_boot_disk=False, boot_disk_controller=None)
    assert row["conversion_path"] == "rebuild"


def test_confidence_drops_when_the_release_is_unknown() -> None:
    _, known = one()
    _, unknown = one(os_release=None)
    assert known["confidence"] == 1.0
    assert unknown["confidence"] <= 0.5
