"""``assess.verify.compare``: pairing VMs, adapters and disks, the field spec, and gaps.

The rebuild columns (VLAN, start/stop actions, checkpoint type, processor and memory
settings, static MAC...) are set on the tables directly here, so these cases hold whatever
reader fills them.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pandas as pd
import pytest

from assess.model.inventory import Inventory
from assess.sources import collector_records
from assess.verify.compare import DIFFERS, MATCH, MISSING, NOT_CONVERTED, Verification, verify
from assess.verify.fields import VM_FIELDS, PlannedTarget, file_stem, guest_family, mac_key
from assess.verify.plan_file import PlannedVm
from tests.verify_support import BEFORE, Record, after_records, load_records

GiB = 1024**3


def _inventory(records: list[Record]) -> Inventory:
    lines = [json.dumps(r) for r in records]
    return collector_records.parse_record_lines(
        lines, origin="after", path_for_messages="after"
    ).inventory


@functools.cache
def _parsed_before() -> Inventory:
    return collector_records.load(str(BEFORE)).inventory


@functools.cache
def _parsed_after() -> Inventory:
    return _inventory(after_records(load_records()))


def _copy(inventory: Inventory) -> Inventory:
    """A copy whose tables can be replaced (``_set`` replaces, never edits, a table)."""
    return Inventory(dict(inventory.tables))


@pytest.fixture()
def before() -> Inventory:
    return _copy(_parsed_before())


def _converted() -> Inventory:
    """AFTER for the default conversion (WEB01 and APP01), parsed once."""
    return _copy(_parsed_after())


def _set(inventory: Inventory, table: str, vm_name: str, column: str, value: Any) -> None:
    """Set ``column`` on the rows of ``table`` that belong to the VM named ``vm_name``."""
    vms = inventory.tables["vms"]
    keys = set(vms.loc[vms["name"] == vm_name, "vm_key"])
    frame = inventory.tables[table].copy()
    if column not in frame.columns:
        frame[column] = pd.Series([None] * len(frame), dtype=object)
    else:
        frame[column] = frame[column].astype(object)
    frame.loc[frame["vm_key"].isin(keys), column] = value
    inventory.tables[table] = frame


def _result(verification: Verification, name: str):
    return next(vm for vm in verification.vms if vm.name == name)


def _reasons(vm) -> list[str]:
    return [d.reason for d in vm.unexpected]


# -- the rebuild columns ------------------------------------------------------------------

REBUILD_CASES = [
    ("vms", "automatic_start_action", "StartIfRunning", "Nothing", "automatic start action"),
    ("vms", "automatic_stop_action", "Save", "ShutDown", "automatic stop action"),
    ("vms", "automatic_start_delay", 0, 120, "automatic start delay"),
    ("vms", "checkpoint_type", "Production", "Standard", "checkpoint type"),
    ("vms", "processor_reserve", 10, 0, "processor reserve"),
    ("vms", "processor_limit", 100, 50, "processor limit"),
    ("vms", "processor_weight", 100, 200, "processor weight"),
    ("vms", "processor_compat_migration", True, False, "processor compatibility"),
    ("vms", "memory_priority", 50, 80, "memory weight"),
    ("vms", "preferred_owners", "HV01;HV02", "HV02", "preferred owners"),
    ("nics", "vlan_id", 10, 30, "VLAN changed"),  # the fixture's adapters are in access mode
    ("nics", "vlan_mode", "Access", "Untagged", "VLAN mode"),
    ("nics", "mac_static", True, False, "static MAC"),
    ("nics", "mac_spoofing", False, True, "MAC spoofing"),
    ("nics", "dhcp_guard", True, False, "DHCP guard"),
    ("nics", "bandwidth_max", 1_000_000_000, 0, "maximum bandwidth"),
    ("disks", "qos_max_iops", 500, 0, "maximum IOPS"),
]


@pytest.mark.parametrize(
    ("table", "column", "old", "new", "reason"),
    REBUILD_CASES,
    ids=[case[1] for case in REBUILD_CASES],
)
def test_rebuild_settings_must_be_carried_over(
    before: Inventory, table: str, column: str, old: Any, new: Any, reason: str
) -> None:
    after = _converted()
    _set(before, table, "WEB01", column, old)
    _set(after, table, "WEB01", column, old)
    same = _result(verify(before, after), "WEB01")
    assert same.status == MATCH
    assert not [
        g
        for g in same.not_compared
        if g.field.endswith(column) and not g.field.startswith("rollback_vm")
    ]

    _set(after, table, "WEB01", column, new)
    changed = _result(verify(before, after), "WEB01")
    assert changed.status == DIFFERS
    assert any(reason in r for r in _reasons(changed)), _reasons(changed)


def test_dynamic_memory_settings_compared_only_when_dynamic(before: Inventory) -> None:
    after = _converted()
    for name in ("WEB01", "APP01"):  # WEB01 static, APP01 dynamic memory
        _set(before, "vms", name, "memory_maximum_bytes", 16 * GiB)
        _set(after, "vms", name, "memory_maximum_bytes", 8 * GiB)
    result = verify(before, after)
    assert _result(result, "WEB01").status == MATCH
    assert any("maximum" in r for r in _reasons(_result(result, "APP01")))


def test_dynamic_mac_made_static_is_expected(before: Inventory) -> None:
    after = _converted()
    _set(before, "nics", "WEB01", "mac_static", False)
    _set(after, "nics", "WEB01", "mac_static", True)
    vm = _result(verify(before, after), "WEB01")
    assert vm.status == MATCH
    assert any("static MAC" in d.reason for d in vm.expected)


def test_rollback_vm_that_starts_with_the_host(before: Inventory) -> None:
    after = _converted()
    _set(after, "vms", "WEB01-gen1", "automatic_start_action", "StartIfRunning")
    _set(after, "vms", "WEB01", "automatic_start_action", None)
    vm = _result(verify(before, after), "WEB01")
    assert any("starts with the host" in r for r in _reasons(vm))


def test_replica_off_after_the_window_is_expected(before: Inventory) -> None:
    after = _converted()
    _set(before, "vms", "WEB01", "replication_state", "Replicating")
    vm = _result(verify(before, after), "WEB01")
    assert vm.status == MATCH
    assert any("Replica" in d.reason for d in vm.expected)


# -- gaps ---------------------------------------------------------------------------------


def test_columns_an_inventory_does_not_have_are_not_compared(before: Inventory) -> None:
    """Records of an older collector: the rebuild columns are absent, never 'equal'."""
    after = _converted()
    for inventory in (before, after):
        vms = inventory.tables["vms"]
        inventory.tables["vms"] = vms.drop(columns=["data_exchange_enabled"])
    vm = _result(verify(before, after), "WEB01")
    gaps = {g.field: g for g in vm.not_compared}
    assert gaps["data_exchange_enabled"].reason == "no data in BEFORE and AFTER"
    assert "data_exchange_enabled" not in {d.field for d in vm.differences}


def test_collector_notes_cleared_are_a_difference(before: Inventory) -> None:
    """The collector reads every VM's notes: blank notes are empty, not unknown."""
    clear = {"WEB01": lambda r: r.update(notes="")}
    converted = ("WEB01", "FILE01")  # FILE01 has no notes
    after = _inventory(after_records(load_records(), converted=converted, tweaks=clear))
    result = verify(before, after)
    assert "notes changed" in _reasons(_result(result, "WEB01"))
    file01 = _result(result, "FILE01")
    assert file01.status == MATCH
    assert "notes" not in {g.field for g in file01.not_compared}


def test_a_value_missing_on_one_side_is_not_compared(before: Inventory) -> None:
    after = _converted()
    processor = [spec.column for spec in VM_FIELDS if spec.group == "processor"]
    for column in processor:
        _set(after, "vms", "WEB01", column, None)
    vm = _result(verify(before, after), "WEB01")
    assert {g.field: g.reason for g in vm.not_compared}["processor_count"] == "no data in AFTER"
    # No processor field with data: the group is entirely unknown, and said so.
    assert "processor" in vm.unknown_groups
    assert vm.status == MATCH  # nothing unexpected, but the run is partial
    assert verify(before, after).outcome == "partial"


def test_without_vm_ids_the_rollback_check_is_not_compared(before: Inventory) -> None:
    after = _converted()
    before.tables["vms"] = before.tables["vms"].assign(vm_id_synthetic=True)
    vm = _result(verify(before, after), "WEB01")
    assert "rollback" in vm.unknown_groups
    assert any(g.field == "rollback_vm" for g in vm.not_compared)


# -- pairing VMs --------------------------------------------------------------------------


def test_two_new_vms_with_the_name_on_the_same_host(before: Inventory) -> None:
    records = after_records(load_records())
    twin = dict(next(r for r in records if r.get("name") == "WEB01" and r.get("generation") == 2))
    twin["id"] = "3" + twin["id"][1:]
    vm = _result(verify(before, _inventory([*records[:-1], twin, records[-1]])), "WEB01")
    assert any("2 Generation 2 VMs named 'WEB01'" in r for r in _reasons(vm))


def test_new_vm_on_the_old_host_preferred(before: Inventory) -> None:
    records = after_records(load_records())
    other_host = [
        {**records[0], "computerName": "HV09"},
        {**next(r for r in records if r.get("name") == "WEB01" and r["generation"] == 2)},
        {"kind": "end", "vmCount": 1, "errors": []},
    ]
    other_host[1]["id"] = "4" + other_host[1]["id"][1:]
    other_host[1]["notes"] = "another copy"
    vm = _result(verify(before, _inventory([*records, *other_host])), "WEB01")
    assert vm.new_host == "HV01"
    assert vm.status == MATCH


def test_same_name_gen1_vm_with_same_id_is_not_converted(before: Inventory) -> None:
    vm = _result(verify(before, _inventory(load_records())), "WEB01")
    assert vm.status == NOT_CONVERTED


def test_renamed_old_vm_without_new_vm_is_missing(before: Inventory) -> None:
    records = after_records(load_records(), tweaks={"WEB01": lambda r: r.clear()})
    vm = _result(verify(before, _inventory(records)), "WEB01")
    assert vm.status == MISSING
    assert vm.rollback_name == "WEB01-gen1"


# -- pairing adapters and disks -----------------------------------------------------------


def test_adapters_paired_by_mac_whatever_their_order(before: Inventory) -> None:
    def two_nics(vm: Record) -> None:
        # Same adapter name, other switch: only the MAC tells them apart.
        vm["nics"].append(dict(vm["nics"][0], mac="00155D0001FE", switchName="vSwitch-Backup"))

    records = load_records()
    two_nics(next(r for r in records if r.get("name") == "WEB01"))
    after = after_records(records, tweaks={"WEB01": lambda vm: vm["nics"].reverse()})
    before = _inventory(records)
    vm = _result(verify(before, _inventory(after)), "WEB01")
    assert vm.status == MATCH


def test_disks_paired_by_file_name_across_vhd_to_vhdx(before: Inventory) -> None:
    vm = _result(verify(before, _converted()), "APP01")
    fields = {d.field: d for d in vm.differences}
    assert fields["disks[APP01.vhd].path"].expected
    assert fields["disks[APP01.vhd].path"].after.endswith("APP01.vhdx")


def test_disk_paired_by_size_only_says_so(before: Inventory) -> None:
    def renamed(vm: Record) -> None:
        vm["disks"][1]["path"] = "E:\\Data\\web-data-copy.vhdx"

    vm = _result(
        verify(before, _inventory(after_records(load_records(), tweaks={"WEB01": renamed}))),
        "WEB01",
    )
    path = next(d for d in vm.unexpected if d.field.endswith(".path"))
    assert "paired by size only" in path.reason
    assert "disk missing" not in _reasons(vm)


def test_recapture_plan_expects_a_new_boot_disk(before: Inventory) -> None:
    def recaptured(vm: Record) -> None:
        vm["disks"][0]["path"] = "D:\\VMs\\WEB01\\WEB01-uefi.vhdx"
        vm["disks"][0]["vhd"]["size"] = 100 * GiB

    after = _inventory(after_records(load_records(), tweaks={"WEB01": recaptured}))
    planned = PlannedVm(
        vm_id="1d7c5b2a-0000-4000-8000-000000000001",
        name="WEB01",
        host="HV01",
        verdict="ready-with-fixes",
        convert=True,
        reason=None,
        target=PlannedTarget(path="recapture"),
    )
    assert _result(verify(before, after, [planned]), "WEB01").status == MATCH
    # Without the plan the same new boot file is a difference to look at.
    assert _result(verify(before, after), "WEB01").status == DIFFERS


# -- helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("00-15-5D-10-A5-2E", "00155D10A52E"),
        ("00:15:5d:10:a5:2e", "00155D10A52E"),
        ("000000000000", None),
        (None, None),
    ],
)
def test_mac_key(text: Any, key: Any) -> None:
    assert mac_key(text) == key


def test_file_stem() -> None:
    assert file_stem("D:\\VMs\\SQL01.vhd") == file_stem("/mnt/vms/sql01.VHDX") == "sql01"


@pytest.mark.parametrize(
    ("os_name", "family"),
    [
        ("Windows Server 2019", "windows"),
        ("Ubuntu 22.04", "linux"),
        ("FreeBSD 13", "freebsd"),
        ("", None),
        (None, None),
        ("Plan 9", None),
    ],
)
def test_guest_family(os_name: Any, family: Any) -> None:
    assert guest_family({"os_name": os_name}) == family


def test_without_vm_ids_the_plan_kept_name_finds_the_rollback_vm(before: Inventory) -> None:
    after = _converted()
    before.tables["vms"] = before.tables["vms"].assign(vm_id_synthetic=True)
    planned = PlannedVm(
        vm_id=None,
        name="WEB01",
        host="HV01",
        verdict="ready-with-fixes",
        convert=True,
        reason=None,
        target=PlannedTarget(kept_name="web01-GEN1"),
    )
    vm = _result(verify(before, after, [planned]), "WEB01")
    assert vm.status == MATCH
    assert vm.rollback_name == "WEB01-gen1"
    assert vm.unknown_groups == ()

    gone = PlannedVm(**{**planned.__dict__, "target": PlannedTarget(kept_name="WEB01-old")})
    vm = _result(verify(before, after, [gone]), "WEB01")
    assert any("or named 'WEB01-old'" in r for r in _reasons(vm))


def test_trunk_vlans(before: Inventory) -> None:
    after = _converted()
    for inventory in (before, after):
        _set(inventory, "nics", "WEB01", "vlan_mode", "Trunk")
        _set(inventory, "nics", "WEB01", "vlan_native", 10)
        _set(inventory, "nics", "WEB01", "vlan_allowed", "10,20-30")
    assert _result(verify(before, after), "WEB01").status == MATCH
    _set(after, "nics", "WEB01", "vlan_allowed", "10")
    _set(after, "nics", "WEB01", "vlan_native", 1)
    reasons = _reasons(_result(verify(before, after), "WEB01"))
    assert "allowed VLANs changed" in reasons and "native VLAN changed" in reasons


def test_vlan_id_of_an_untagged_adapter_is_not_a_gap(before: Inventory) -> None:
    after = _converted()
    for inventory in (before, after):
        _set(inventory, "nics", "WEB01", "vlan_mode", "Untagged")
    vm = _result(verify(before, after), "WEB01")
    gaps = {g.field for g in vm.not_compared}
    assert not {f for f in gaps if ".vlan_" in f}
    # With the mode unknown the VLAN id is a gap, never "equal".
    for inventory in (before, after):
        _set(inventory, "nics", "WEB01", "vlan_mode", None)
    _set(before, "nics", "WEB01", "vlan_id", 10)
    _set(after, "nics", "WEB01", "vlan_id", None)
    vm = _result(verify(before, after), "WEB01")
    assert "nics[00155D000101].vlan_id" in {g.field for g in vm.not_compared}
