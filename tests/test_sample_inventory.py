"""The shipped sample estate: every core rule fires, every verdict occurs, and each VM gets
the verdict, path and findings the Generation 2 facts imply."""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.engine.catalog import load_catalog
from assess.pipeline import assess_sources
from assess.sources.registry import load_sources

SAMPLE = Path(__file__).resolve().parent.parent / "sample_inventory"

#: name -> (verdict, conversion path, rules that must fire)
EXPECTED = {
    # Collector, WS2019 cluster node: the modern record shapes.
    "DC01": ("ready-with-fixes", "mbr2gpt", {"BOOT001", "BOOT003"}),
    "SQL01": ("ready-with-fixes", "recapture", {"BOOT001", "BOOT003", "VM002", "VM004"}),
    "APP01": ("ready-with-fixes", "recapture",
              {"BOOT002", "DISK001", "DISK002", "VM003", "VM004"}),
    "WEB01": ("ready-with-fixes", "linux-efi", {"BOOT001", "OS004"}),
    "CTX-PVS01": ("ready-with-fixes", "mbr2gpt", {"BOOT006", "NET001", "NET002"}),
    "LEGACY-ERP01": ("blocked", "rebuild", {"OS002"}),
    "KIOSK-LIVE01": ("ready", "unknown", {"OS004"}),  # no disk: nothing to convert
    "FS01": ("ready-with-fixes", "mbr2gpt", {"BOOT005", "VM001", "DISK003"}),
    "WEB02": ("already-gen2", "none", set()),
    "BUILD01": ("ready-with-fixes", "mbr2gpt", {"DEV001", "DEV002", "DEV004"}),
    # Collector, WS2016 cluster node.
    "RDS-GPU01": ("ready-with-fixes", "recapture", {"DEV003"}),
    "XP-LAB01": ("blocked", "rebuild", {"OS001", "OS002"}),
    "WIN7-CAD01": ("blocked", "rebuild", {"OS002"}),
    "DB02": ("needs-data", "unknown", {"OS003"}),
    "MON01": ("ready-with-fixes", "linux-efi", {"BOOT001", "OS004", "VM004"}),
    "SAP-SLES01": ("blocked", "rebuild", {"OS002"}),
    "SQL03": ("ready-with-fixes", "recapture", {"BOOT004"}),
    "ORA-DB01": ("ready-with-fixes", "linux-efi", {"OS004"}),
    "APP02": ("blocked", "rebuild", {"OS002"}),
    "APP03": ("already-gen2", "none", set()),
    # Collector, WS2012 host, older record shapes in UTF-16.
    "PRINT01": ("blocked", "recapture", {"HOST001"}),
    "FILE-OLD01": ("blocked", "rebuild", {"HOST001", "OS002", "BOOT002"}),
    "TOOLS01": ("blocked", "unknown", {"HOST001", "OS003"}),
    # The template.
    "DEV-WEB01": ("ready-with-fixes", "mbr2gpt", {"BOOT001", "BOOT003"}),
    "DEV-SQL01": ("ready-with-fixes", "recapture", {"VM001"}),
    "DEV-UBUNTU01": ("ready-with-fixes", "linux-efi", {"OS004"}),
    "DEV-DEB09": ("ready-with-fixes", "linux-efi", {"OS004"}),
    "DEV-FBSD01": ("ready-with-fixes", "linux-efi", {"OS004"}),
    "DEV-W2K3-01": ("blocked", "rebuild", {"OS001", "OS002", "BOOT002"}),
    "DEV-ALPINE01": ("needs-data", "unknown", {"OS003"}),
    "DEV-SPARE01": ("needs-data", "unknown", {"OS003", "VM005"}),
    "DEV-WIN11-01": ("already-gen2", "none", set()),
    "DEV-TOOL02": ("ready-with-fixes", "mbr2gpt", {"DEV001", "DEV002", "VM002"}),
    "DEV-PXE01": ("ready-with-fixes", "mbr2gpt", {"BOOT006", "NET001"}),
    # A raw Get-VM export: no guest OS, so every Gen 1 VM needs data.
    "BRANCH-DC01": ("needs-data", "unknown", {"OS003"}),
    "BRANCH-FS01": ("needs-data", "unknown", {"OS003"}),
    "BRANCH-PRINT01": ("needs-data", "unknown", {"OS003"}),
    "BRANCH-APP01": ("needs-data", "unknown", {"OS003", "VM001"}),
    "BRANCH-OLD01": ("needs-data", "unknown", {"OS003", "VM003"}),
    "BRANCH-WEB02": ("already-gen2", "none", set()),
    # RVTools CSV export of a vCenter: machines that land on Hyper-V by their firmware.
    "VC-WEB01": ("ready-with-fixes", "mbr2gpt", {"VMW001", "BOOT003"}),
    "VC-APP01": ("ready-with-fixes", "recapture", {"VMW001", "BOOT003"}),
    "VC-SQL01": ("ready-with-fixes", "none", {"VM001", "VMW006"}),
    "VC-LEGACY01": ("blocked", "rebuild", {"OS001", "VMW001"}),
    # Oracle Linux 7 without its minor release: the matrix cannot settle it.
    "VC-RAC01": ("needs-data", "none", {"VMW004", "VMW005", "DISK003", "OS003"}),
    # "Windows Server 2016 or later" is a bound, not a release.
    "VC-FILE01": ("needs-data", "unknown",
                  {"VMW001", "VMW003", "VMW007", "DEV004", "BOOT001", "OS003"}),
    "VC-OLDHW01": ("needs-data", "unknown", {"VMW002", "OS003"}),
}  # fmt: skip


@pytest.fixture(scope="module")
def result():
    return assess_sources(load_sources([str(SAMPLE)]), load_catalog())


def test_sample_estate_shape(result) -> None:
    vms = result.assessment.vms
    assert len(vms) == len(EXPECTED) >= 40
    assert vms["host"].nunique() >= 3
    assert vms["cluster"].dropna().nunique() >= 2
    kinds = {i.kind for i in result.assessment.inputs}
    assert {"collector", "template", "getvm-csv", "rvtools"} <= kinds
    assert result.warnings == [] and not result.partial


def test_every_rule_fires_and_every_verdict_occurs(result) -> None:
    assessment = result.assessment
    assert set(assessment.findings["rule"]) == set(assessment.rules["id"])
    assert set(assessment.vms["verdict"]) == {
        "blocked", "needs-data", "ready-with-fixes", "ready", "already-gen2",
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_vm(result, name: str) -> None:
    verdict, path, rules = EXPECTED[name]
    row = result.assessment.vms.set_index("name").loc[name]
    assert (row["verdict"], row["conversion_path"]) == (verdict, path)
    assert rules <= set(row["finding_ids"].split())


def test_cluster_nodes_carry_what_a_rebuild_needs() -> None:
    from assess.model.inventory import Inventory

    inventory = Inventory.concat(s.inventory for s in load_sources([str(SAMPLE)]))
    hosts = inventory["hosts"].set_index("host")
    for node in ("HV-PROD01", "HV-PROD02"):
        assert hosts.loc[node, "key_protector_nodes"] == "HV-PROD02"
        assert hosts.loc[node, "cluster_nodes"] == "HV-PROD01;HV-PROD02"
    vms = inventory.vms.set_index("name")
    collected = vms[vms["host"].isin(["HV-PROD01", "HV-PROD02"])]
    for column in ("processor_limit", "memory_buffer", "automatic_stop_action", "config_path"):
        assert collected[column].notna().all(), column
    assert vms.loc["APP03", "vtpm_enabled"]
    assert vms.loc["SQL01", "preferred_owners"] == "HV-PROD01;HV-PROD02"
    assert vms.loc["SQL01", "replication_replica_server"] == "hv-dr01.corp.example"
    vm_names = inventory.vms[["vm_key", "name"]].rename(columns={"name": "vm"})
    nics = inventory["nics"].merge(vm_names, on="vm_key")
    assert set(nics.loc[nics["host"] == "HV-PROD01", "vlan_mode"]) >= {"Access", "Trunk"}
    assert nics.set_index("vm").loc["FS01", "vlan_allowed"] == "20,30,40-42"
