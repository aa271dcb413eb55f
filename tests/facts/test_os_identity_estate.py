"""Verdicts on an inventory typed the way CMDBs and VMware exports name guest systems."""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.engine.catalog import load_catalog
from assess.pipeline import assess_sources
from assess.sources.registry import load_sources

ESTATE = Path(__file__).parent.parent / "fixtures" / "os_identity" / "estate.csv"

#: name -> (verdict, conversion path, rules that must fire)
EXPECTED = {
    "WIN10-32": ("blocked", "rebuild", {"OS001"}),
    "WIN10-X86NAME": ("blocked", "rebuild", {"OS001"}),
    "CENTOS-BARE": ("needs-data", "unknown", {"OS003"}),
    "UBUNTU-64": ("needs-data", "unknown", {"OS003"}),
    "SOLARIS": ("blocked", "rebuild", {"OS002"}),
    "WIN10-1607": ("ready-with-fixes", "mbr2gpt", {"BOOT001", "BOOT003"}),
    "W2K12R2": ("ready-with-fixes", "recapture", {"BOOT001", "BOOT003"}),
    "APPLIANCE": ("needs-data", "unknown", {"OS003"}),
    "BANANA-ARCH": ("needs-data", "unknown", {"OS003"}),
}


@pytest.fixture(scope="module")
def result():
    return assess_sources(load_sources([str(ESTATE)]), load_catalog())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_verdicts(result, name: str) -> None:
    verdict, path, rules = EXPECTED[name]
    row = result.assessment.vms.set_index("name").loc[name]
    assert (row["verdict"], row["conversion_path"]) == (verdict, path)
    assert rules <= set(row["finding_ids"].split())


def test_unknown_release_is_needs_data_and_says_what_is_missing(result) -> None:
    findings = result.assessment.findings
    centos = findings[(findings["vm_name"] == "CENTOS-BARE")]
    assert "OS003" in set(centos["rule"])
    assert "OS002" not in set(centos["rule"])  # never "blocked" on an upper-bound-only row
    vm = result.assessment.vms.set_index("name").loc["CENTOS-BARE"]
    assert vm["confidence"] <= 0.5


def test_unreadable_values_are_warnings_with_line_and_column(result) -> None:
    texts = [str(w) for w in result.warnings]
    assert any(
        t.startswith(f"{ESTATE}:9: column 'OSName'") and "Acme Appliance OS" in t for t in texts
    ), texts
    assert any(
        t.startswith(f"{ESTATE}:10: column 'OSArchitecture'") and "banana" in t for t in texts
    ), texts


def test_solaris_finding_says_hyper_v_cannot_run_it(result) -> None:
    findings = result.assessment.findings.set_index(["vm_name", "rule"])
    assert "Hyper-V does not run Solaris" in findings.loc[("SOLARIS", "OS002"), "evidence"]


def test_boot006_names_what_the_bios_passed_over() -> None:
    from assess.engine.evaluate import assess
    from assess.facts.derive import derive_facts
    from assess.facts.support_matrix import SupportMatrix
    from assess.model.inventory import Inventory, table_from_rows

    listed = {f"{t}_listed": True for t in ("disks", "nics", "floppies", "com_ports", "dvd_drives")}
    vms = [
        {"vm_key": key, "vm_id": key, "name": key, "host": "HV1", "origin": "f", "source": "f:1",
         "source_kind": "collector", "generation": 1, "boot_order": "CD;LegacyNetworkAdapter;IDE",
         "os_name": "Windows Server 2019 Standard", "os_version": "10.0.17763",
         "os_product_type": "3", "os_architecture": "9", **listed}
        for key in ("pxe", "nolegacy")
    ]  # fmt: skip
    frames = {
        "vms": table_from_rows("vms", vms),
        "nics": table_from_rows("nics", [{"vm_key": "pxe", "is_legacy": True},
                                         {"vm_key": "nolegacy", "is_legacy": False}]),
        "dvd_drives": table_from_rows("dvd_drives", [{"vm_key": k, "media_type": "None"}
                                                     for k in ("pxe", "nolegacy")]),
    }  # fmt: skip
    facts = derive_facts(Inventory.from_frames(frames), SupportMatrix.load())
    findings = assess(facts, load_catalog()).findings
    boot006 = findings[findings["rule"] == "BOOT006"]
    assert list(boot006["vm_key"]) == ["pxe"]  # never without a legacy adapter
    assert boot006["evidence"].iloc[0].endswith("can boot (passed over: DVD drive empty)")
