"""Pair each converted VM of BEFORE with its new Generation 2 VM in AFTER, and compare them.

Which VMs are verified
    Without a plan: every VM of BEFORE that is not Generation 2 (Generation 1, or unknown).
    With a plan: the plan's VMs (found in BEFORE by id, else by host and name).

Finding the new VM in AFTER
    A VM named as the plan says (``new_name``, default the old name; without a plan the old
    name), case-insensitively, that is not the old VM itself and is Generation 2 (a VM of
    that name whose generation is unknown is taken when there is no Generation 2 one; its
    generation is then "not compared"). Several candidates: the one on the old VM's host,
    else in its cluster; still several is an unexpected difference (two new VMs).

Finding the rollback VM in AFTER
    The old VM keeps its id when it is renamed, so it is found by id. An inventory without
    VM ids (a spreadsheet) cannot say: the rollback check is then "not compared".

Status
    ``match``: the new VM was found and every difference is expected. ``differs``: at least
    one unexpected difference. ``not-converted``: no new VM, and the old VM is still there
    under its name. ``missing``: no new VM, and the old VM is gone or renamed (the
    conversion started and did not finish), or the plan names a VM BEFORE does not have.

Pairing network adapters (old VM -> new VM)
    1. same MAC address; 2. the remaining ones by adapter name when the name is unique on
    both sides; 3. the rest in listed order when as many remain on both sides. What is left
    is a lost adapter (in BEFORE) or an extra one (in AFTER).

Pairing disks (old VM -> new VM)
    0. with a ``recapture`` plan, the two boot disks (first in slot order: IDE before SCSI,
    then controller number and location); 1. pass-through disks by host disk number;
    2. the same file path; 3. the same file name without extension (``SQL01.vhd`` and
    ``SQL01.vhdx``) when unique on both sides; 4. the same virtual size when unique on both
    sides; 5. the rest in slot order when as many remain on both sides. What is left is a
    missing disk or an extra one. Paired disks must keep their relative order (the boot disk
    first); new slot numbers alone are expected (IDE 0:0 becomes SCSI 0:0).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import pandas as pd

from assess.model.inventory import Inventory, make_vm_key
from assess.verify.fields import (
    DISK_FIELDS,
    ESSENTIAL_GROUPS,
    GROUPS,
    NIC_FIELDS,
    NOT_LESS,
    ROLLBACK_FIELDS,
    TARGET,
    VM_FIELDS,
    Context,
    FieldSpec,
    PlannedTarget,
    file_name,
    file_stem,
    folded,
    mac_key,
)
from assess.verify.plan_file import PlannedVm


class VmStatus(StrEnum):
    """What verification says of one VM (the ``status`` of the report)."""

    MATCH = "match"
    DIFFERS = "differs"
    MISSING = "missing"
    NOT_CONVERTED = "not-converted"


MATCH, DIFFERS, MISSING, NOT_CONVERTED = (
    VmStatus.MATCH,
    VmStatus.DIFFERS,
    VmStatus.MISSING,
    VmStatus.NOT_CONVERTED,
)
#: Report order: worst news first.
STATUSES: tuple[VmStatus, ...] = (MISSING, DIFFERS, MATCH, NOT_CONVERTED)
NO_DATA = "no data"

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Difference:
    field: str
    group: str
    before: Any
    after: Any
    expected: bool
    reason: str


@dataclass(frozen=True)
class NotCompared:
    field: str
    group: str
    reason: str


@dataclass
class VmResult:
    name: str
    host: str | None
    vm_id: str | None
    status: VmStatus
    new_name: str | None = None
    new_host: str | None = None
    new_vm_id: str | None = None
    rollback_name: str | None = None
    differences: list[Difference] = field(default_factory=list)
    not_compared: list[NotCompared] = field(default_factory=list)
    unknown_groups: tuple[str, ...] = ()  # essential groups with no data at all

    @property
    def unexpected(self) -> list[Difference]:
        return [d for d in self.differences if not d.expected]

    @property
    def expected(self) -> list[Difference]:
        return [d for d in self.differences if d.expected]


@dataclass
class Verification:
    vms: list[VmResult]
    skipped: int = 0  # VMs of BEFORE not verified (already Generation 2, or not in the plan)
    notes: list[str] = field(default_factory=list)
    partial_inputs: list[str] = field(default_factory=list)  # inputs cut short
    # Set by the command: what was read, for the reports.
    generated_at: datetime | None = None
    before_inputs: list[dict[str, Any]] = field(default_factory=list)
    after_inputs: list[dict[str, Any]] = field(default_factory=list)
    plan_path: str | None = None

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for vm in self.vms:
            counts[vm.status] += 1
        return counts

    @property
    def unexpected_count(self) -> int:
        return sum(len(vm.unexpected) for vm in self.vms)

    @property
    def incomplete(self) -> list[VmResult]:
        """Converted VMs with an essential group that could not be compared at all."""
        return [vm for vm in self.vms if vm.unknown_groups and vm.status in (MATCH, DIFFERS)]

    @property
    def outcome(self) -> str:
        """``unexpected`` (exit 1), ``partial`` (exit 3) or ``ok`` (exit 0)."""
        if self.unexpected_count:
            return "unexpected"
        if self.partial_inputs or self.incomplete:
            return "partial"
        return "ok"


# -- the inventories, indexed -------------------------------------------------------------


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values, NA as None (column by column: fast)."""
    if frame.empty:
        return []
    columns = {
        column: [None if _missing(v) else v for v in frame[column].tolist()]
        for column in frame.columns
    }
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


class Side:
    """One inventory (BEFORE or AFTER) indexed for pairing."""

    def __init__(self, inventory: Inventory) -> None:
        self.vms = records(inventory.vms)
        self.by_key = {vm["vm_key"]: vm for vm in self.vms}
        self.by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for vm in self.vms:
            self.by_name[folded(vm["name"])].append(vm)
        self.details: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for table in ("nics", "disks", "dvd_drives", "floppies", "com_ports"):
            grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for row in records(inventory[table]):
                grouped[row["vm_key"]].append(row)
            self.details[table] = grouped

    def rows(self, table: str, vm: Row) -> list[dict[str, Any]]:
        return self.details[table].get(vm["vm_key"], [])

    def listed(self, table: str, vm: Row) -> bool:
        """Whether the inventory holds this VM's device list (``[]`` included)."""
        flag = {
            "nics": "nics_listed",
            "disks": "disks_listed",
            "dvd_drives": "dvd_drives_listed",
            "floppies": "floppies_listed",
            "com_ports": "com_ports_listed",
        }[table]
        return vm.get(flag) is True or bool(self.rows(table, vm))


# -- entry point --------------------------------------------------------------------------


def verify(
    before: Inventory,
    after: Inventory,
    plan: Sequence[PlannedVm] | None = None,
    *,
    partial_inputs: Sequence[str] = (),
) -> Verification:
    """Compare every VM to verify (see the module docstring) and collect the results."""
    old, new = Side(before), Side(after)
    results: list[VmResult] = []
    notes: list[str] = []
    skipped = 0
    if plan is None:
        for vm in old.vms:
            if vm.get("generation") == 2:
                skipped += 1
                continue
            results.append(_verify_vm(vm, old, new, None))
        if skipped:
            notes.append(f"{skipped:,} VM(s) of BEFORE are Generation 2 already: not verified")
    else:
        planned_keys: set[str] = set()
        for planned in plan:
            in_before = _find_planned(planned, old)
            if in_before is None:
                results.append(_not_in_before(planned))
                continue
            planned_keys.add(in_before["vm_key"])
            results.append(_verify_vm(in_before, old, new, planned))
        skipped = sum(1 for vm in old.vms if vm["vm_key"] not in planned_keys)
        waiting = [
            r.name
            for r, p in zip(results, plan, strict=True)
            if p.convert and r.status == NOT_CONVERTED
        ]
        if waiting:
            notes.append(
                f"{len(waiting):,} VM(s) the plan converts are not converted yet: "
                + ", ".join(waiting[:10])
                + (" ..." if len(waiting) > 10 else "")
            )
        if skipped:
            notes.append(f"{skipped:,} VM(s) of BEFORE are not in the plan: not verified")
    if partial_inputs:
        notes.append(
            "input incomplete (cut short, or a host that failed): "
            + ", ".join(partial_inputs)
            + "; a VM in the part not read shows as missing"
        )
    order = {status: rank for rank, status in enumerate(STATUSES)}
    results.sort(key=lambda r: (order[r.status], folded(r.host or ""), folded(r.name)))
    return Verification(
        vms=results, skipped=skipped, notes=notes, partial_inputs=list(partial_inputs)
    )


def _find_planned(planned: PlannedVm, side: Side) -> dict[str, Any] | None:
    if planned.vm_id:
        vm = side.by_key.get(make_vm_key(planned.vm_id))
        if vm is not None:
            return vm
    same_name = side.by_name.get(folded(planned.name), [])
    if planned.host:
        same_name = [vm for vm in same_name if folded(vm.get("host")) == folded(planned.host)]
    return same_name[0] if len(same_name) == 1 else None


def _not_in_before(planned: PlannedVm) -> VmResult:
    return VmResult(
        name=planned.name,
        host=planned.host,
        vm_id=planned.vm_id,
        status=MISSING,
        differences=[
            Difference(
                "vm",
                "identity",
                planned.name,
                None,
                False,
                "the plan names a VM that BEFORE does not have (by id, or by host and name)",
            )
        ],
    )


# -- one VM -------------------------------------------------------------------------------


class _Collector:
    """Differences and gaps of one VM, and which groups had data to compare."""

    def __init__(self) -> None:
        self.differences: list[Difference] = []
        self.not_compared: list[NotCompared] = []
        self.compared: set[str] = set()
        self.attempted: set[str] = set()

    def differ(self, name: str, group: str, before: Any, after: Any, ok: bool, why: str) -> None:
        self.compared.add(group)
        self.attempted.add(group)
        self.differences.append(Difference(name, group, before, after, ok, why))

    def same(self, group: str) -> None:
        self.compared.add(group)
        self.attempted.add(group)

    def gap(self, name: str, group: str, reason: str = NO_DATA) -> None:
        self.attempted.add(group)
        self.not_compared.append(NotCompared(name, group, reason))

    def unknown_groups(self) -> tuple[str, ...]:
        return tuple(
            g for g in GROUPS if g in ESSENTIAL_GROUPS and g in self.attempted - self.compared
        )


def _verify_vm(vm: Row, old: Side, new: Side, planned: PlannedVm | None) -> VmResult:
    real_id = vm.get("vm_id_synthetic") is not True and bool(vm.get("vm_id"))
    target = planned.target if planned is not None else None
    rollback = new.by_key.get(vm["vm_key"]) if real_id else None
    # Without an id, the plan's name for the kept VM finds it.
    findable = real_id or bool(target and target.kept_name)
    if not real_id and target is not None and target.kept_name:
        kept = _closest(new.by_name.get(folded(target.kept_name), []), vm)
        rollback = kept[0] if kept else None
    new_name = (target.new_name if target and target.new_name else None) or vm["name"]
    candidates = [
        c
        for c in new.by_name.get(folded(new_name), [])
        if not real_id or c["vm_key"] != vm["vm_key"]
    ]
    pool = [c for c in candidates if c.get("generation") == 2] or [
        c for c in candidates if c.get("generation") is None
    ]
    pool = _closest(pool, vm)
    result = VmResult(name=vm["name"], host=vm.get("host"), vm_id=vm.get("vm_id"), status=MATCH)
    found = _Collector()
    if rollback is not None:
        result.rollback_name = rollback.get("name")

    if not pool:
        same_name_still = (
            rollback is not None and folded(rollback["name"]) == folded(vm["name"])
        ) or (not real_id and any(c.get("generation") == 1 for c in candidates))
        if same_name_still:
            result.status = NOT_CONVERTED
            return result
        result.status = MISSING
        found.differ(
            "vm",
            "identity",
            vm["name"],
            None,
            False,
            f"no Generation 2 VM named {new_name!r} in AFTER",
        )
        _check_rollback(vm, rollback, findable, found, target.kept_name if target else None)
        result.differences = found.differences
        result.not_compared = found.not_compared
        return result

    new_vm = pool[0]
    result.new_name, result.new_host = new_vm.get("name"), new_vm.get("host")
    result.new_vm_id = new_vm.get("vm_id")
    if len(pool) > 1:
        hosts = ", ".join(sorted({str(c.get("host")) for c in pool}))
        found.differ(
            "vm",
            "identity",
            vm["name"],
            f"{len(pool)} VMs",
            False,
            f"{len(pool)} Generation 2 VMs named {new_name!r} in AFTER (hosts {hosts}); "
            f"compared with the one on {new_vm.get('host')}",
        )
    if planned is not None and not planned.convert:
        found.differ(
            "plan",
            "identity",
            "not planned",
            "converted",
            False,
            "converted although the plan does not convert it"
            + (f" ({planned.reason})" if planned.reason else ""),
        )
    ctx = Context(before=vm, after=new_vm, vm_before=vm, vm_after=new_vm, plan=target)
    for spec in VM_FIELDS:
        _compare(spec, ctx, spec.column, found)
    _check_rollback(vm, rollback, findable, found, target.kept_name if target else None)
    _compare_nics(vm, new_vm, old, new, target, found)
    _compare_disks(vm, new_vm, old, new, target, found)
    _compare_devices(vm, new_vm, old, new, found)

    result.differences = found.differences
    result.not_compared = found.not_compared
    result.unknown_groups = found.unknown_groups()
    result.status = DIFFERS if result.unexpected else MATCH
    return result


def _closest(pool: list[dict[str, Any]], vm: Row) -> list[dict[str, Any]]:
    """Of several candidates, those on the old VM's host, else in its cluster."""
    if len(pool) <= 1:
        return pool
    for column in ("host", "cluster"):
        value = folded(vm.get(column))
        if value:
            near = [c for c in pool if folded(c.get(column)) == value]
            if near:
                return near
    return pool


def _compare(spec: FieldSpec, ctx: Context, name: str, found: _Collector) -> None:
    """Compare one field; record a difference, a match, or a gap."""
    if spec.applies is not None and not spec.applies(ctx):
        return
    before, after = ctx.before.get(spec.column), ctx.after.get(spec.column)
    if (
        spec.blank_is_empty_in
        and {
            ctx.vm_before.get("source_kind"),
            ctx.vm_after.get("source_kind"),
        }
        <= spec.blank_is_empty_in
    ):
        before, after = before or "", after or ""
    norm = spec.normalize or (lambda value: value)
    if spec.how == TARGET:
        if after is None:
            found.gap(name, spec.group, "no data in AFTER")
            return
        checked = spec.target(after, ctx) if spec.target else None
        if checked is None:
            return
        ok, why = checked
        if ok and norm(before) == norm(after):
            found.same(spec.group)
        else:
            found.differ(name, spec.group, before, after, ok, why)
        return
    if before is None and after is None and spec.optional:
        found.same(spec.group)
        return
    if before is None or after is None:
        side = (
            "BEFORE and AFTER"
            if before is None and after is None
            else ("BEFORE" if before is None else "AFTER")
        )
        found.gap(name, spec.group, f"no data in {side}")
        return
    if norm(before) == norm(after):
        found.same(spec.group)
        return
    if spec.how == NOT_LESS:
        if after < before:
            found.differ(name, spec.group, before, after, False, spec.why)
        else:
            found.differ(name, spec.group, before, after, True, "more than before: nothing lost")
        return
    reason = spec.expected(before, after, ctx) if spec.expected else None
    found.differ(name, spec.group, before, after, reason is not None, reason or spec.why)


def _check_rollback(
    vm: Row, rollback: Row | None, findable: bool, found: _Collector, kept_name: str | None
) -> None:
    if not findable:
        found.gap(
            "rollback_vm",
            "rollback",
            "no data: BEFORE has no VM id, so the renamed Generation 1 VM cannot be found",
        )
        return
    if rollback is None:
        found.differ(
            "rollback_vm",
            "rollback",
            vm["name"],
            None,
            False,
            f"rollback VM missing: no VM with the old VM's id ({vm.get('vm_id')})"
            + (f" or named {kept_name!r}" if kept_name else "")
            + " in AFTER",
        )
        return
    ctx = Context(before=vm, after=rollback, vm_before=vm, vm_after=rollback)
    for spec in ROLLBACK_FIELDS:
        _compare(spec, ctx, f"rollback_vm.{spec.column}", found)


# -- network adapters ---------------------------------------------------------------------


def _nic_label(nic: Row, index: int) -> str:
    return nic.get("mac") or nic.get("name") or f"#{index + 1}"


def _position(rows: list[dict[str, Any]], row: dict[str, Any]) -> int:
    return next(index for index, candidate in enumerate(rows) if candidate is row)


def _nic_summary(nic: Row) -> str:
    parts = [nic.get("name") or "adapter"]
    if nic.get("mac"):
        parts.append(nic["mac"])
    if nic.get("switch_name"):
        parts.append(f"on {nic['switch_name']}")
    return " ".join(parts)


def _compare_nics(
    vm: Row, new_vm: Row, old: Side, new: Side, plan: PlannedTarget | None, found: _Collector
) -> None:
    if not (old.listed("nics", vm) and new.listed("nics", new_vm)):
        side = "BEFORE" if not old.listed("nics", vm) else "AFTER"
        found.gap("nics", "network", f"no data: network adapters not listed in {side}")
        return
    found.same("network")
    before, after = old.rows("nics", vm), new.rows("nics", new_vm)
    pairs, lost, extra = _pair(
        before,
        after,
        [
            ("MAC", lambda nic: mac_key(nic.get("mac"))),
            ("name", lambda nic: folded(nic.get("name"))),
        ],
    )
    for b, a, how in pairs:
        label = f"nics[{_nic_label(b, _position(before, b))}]"
        ctx = Context(b, a, vm, new_vm, plan, matched_by=how)
        for spec in NIC_FIELDS:
            _compare(spec, ctx, f"{label}.{spec.column}", found)
    for b in lost:
        label = f"nics[{_nic_label(b, _position(before, b))}]"
        found.differ(label, "network", _nic_summary(b), None, False, "network adapter lost")
    for a in extra:
        label = f"nics[{_nic_label(a, _position(after, a))}]"
        found.differ(label, "network", None, _nic_summary(a), False, "extra network adapter")


Key = Any


def _pair(
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    keys: Iterable[tuple[str, Any]],
) -> tuple[list[tuple[dict[str, Any], dict[str, Any], str]], list[dict], list[dict]]:
    """Pair rows by each key in turn (a key pairs only values unique on both sides), then
    the rest in the given order when as many remain on both sides."""
    left, right = list(before), list(after)
    pairs: list[tuple[dict[str, Any], dict[str, Any], str]] = []
    for how, key in keys:
        left_keys = _unique_by(left, key)
        right_keys = _unique_by(right, key)
        for value, b in left_keys.items():
            a = right_keys.get(value)
            if a is not None:
                pairs.append((b, a, how))
                left = [row for row in left if row is not b]
                right = [row for row in right if row is not a]
    if left and len(left) == len(right):
        pairs.extend((b, a, "order") for b, a in zip(left, right, strict=True))
        left, right = [], []
    return pairs, left, right


def _unique_by(rows: list[dict[str, Any]], key: Any) -> dict[Key, dict[str, Any]]:
    seen: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        value = key(row)
        if value not in (None, ""):
            seen[value].append(row)
    return {value: found[0] for value, found in seen.items() if len(found) == 1}


# -- disks --------------------------------------------------------------------------------


def _slot_key(disk: Row) -> tuple[int, int, int]:
    kind = {"ide": 0, "scsi": 1}.get(folded(disk.get("controller_type")) or "", 2)
    number = disk.get("controller_number")
    location = disk.get("controller_location")
    return (kind, number if number is not None else 99, location if location is not None else 99)


def _slot(disk: Row) -> str:
    return (
        f"{disk.get('controller_type') or '?'} "
        f"{_or_q(disk.get('controller_number'))}:{_or_q(disk.get('controller_location'))}"
    )


def _or_q(value: Any) -> str:
    return "?" if value is None else str(value)


def _disk_label(disk: Row) -> str:
    if disk.get("disk_number") is not None:
        return f"disk {disk['disk_number']}"
    return file_name(disk.get("path")) or _slot(disk)


def _disk_summary(disk: Row) -> str:
    what = disk.get("path") or (
        f"pass-through disk {disk['disk_number']}" if disk.get("disk_number") is not None else ""
    )
    return f"{_slot(disk)} {what}".strip()


def _compare_disks(
    vm: Row, new_vm: Row, old: Side, new: Side, plan: PlannedTarget | None, found: _Collector
) -> None:
    if not (old.listed("disks", vm) and new.listed("disks", new_vm)):
        side = "BEFORE" if not old.listed("disks", vm) else "AFTER"
        found.gap("disks", "storage", f"no data: disks not listed in {side}")
        return
    found.same("storage")
    before = sorted(old.rows("disks", vm), key=_slot_key)
    after = sorted(new.rows("disks", new_vm), key=_slot_key)
    pairs: list[tuple[dict[str, Any], dict[str, Any], str]] = []
    left, right = list(before), list(after)
    boot_pair: tuple[int, int] | None = None
    if plan is not None and folded(plan.path) == "recapture" and left and right:
        pairs.append((left[0], right[0], "boot disk (recapture)"))
        boot_pair = (id(left[0]), id(right[0]))
        left, right = left[1:], right[1:]
    more, lost, extra = _pair(
        left,
        right,
        [
            ("disk number", lambda d: d.get("disk_number")),
            ("path", lambda d: folded(d.get("path")) if d.get("disk_number") is None else None),
            ("file name", lambda d: file_stem(d.get("path")) or None),
            ("size", lambda d: d.get("size_bytes")),
        ],
    )
    pairs.extend(more)
    if boot_pair is None and before and after:
        boot_pair = (id(before[0]), id(after[0]))
    rank_before = {
        id(b): rank for rank, b in enumerate(sorted((b for b, _, _ in pairs), key=_slot_key))
    }
    rank_after = {
        id(a): rank for rank, a in enumerate(sorted((a for _, a, _ in pairs), key=_slot_key))
    }
    for b, a, how in sorted(pairs, key=lambda p: _slot_key(p[0])):
        label = f"disks[{_disk_label(b)}]"
        kept = rank_before[id(b)] == rank_after[id(a)]
        is_boot = boot_pair == (id(b), id(a))
        ctx = Context(b, a, vm, new_vm, plan, matched_by=how, boot_pair=is_boot, rank_kept=kept)
        for spec in DISK_FIELDS:
            _compare(spec, ctx, f"{label}.{spec.column}", found)
        if not kept:
            found.differ(
                f"{label}.order",
                "storage",
                f"{_slot(b)} (disk {rank_before[id(b)] + 1})",
                f"{_slot(a)} (disk {rank_after[id(a)] + 1})",
                False,
                "disk order changed"
                + (": not the boot disk any more" if rank_before[id(b)] == 0 else ""),
            )
        if how in ("size", "order"):
            _note_weak_pairing(found, f"{label}.path", how)
    for b in lost:
        found.differ(
            f"disks[{_disk_label(b)}]", "storage", _disk_summary(b), None, False, "disk missing"
        )
    for a in extra:
        found.differ(
            f"disks[{_disk_label(a)}]", "storage", None, _disk_summary(a), False, "extra disk"
        )


def _note_weak_pairing(found: _Collector, name: str, how: str) -> None:
    """A disk paired by size or slot order whose file differs: say how it was paired."""
    for index, diff in enumerate(found.differences):
        if diff.field == name and not diff.expected:
            found.differences[index] = Difference(
                diff.field,
                diff.group,
                diff.before,
                diff.after,
                False,
                f"{diff.reason} (paired by {how} only: check that this is the same disk)",
            )


# -- floppy, COM, DVD ---------------------------------------------------------------------


def _compare_devices(vm: Row, new_vm: Row, old: Side, new: Side, found: _Collector) -> None:
    group = "devices"
    for table, name in (
        ("floppies", "floppy"),
        ("com_ports", "com_ports"),
        ("dvd_drives", "dvd_drives"),
    ):
        if not (old.listed(table, vm) and new.listed(table, new_vm)):
            side = "BEFORE" if not old.listed(table, vm) else "AFTER"
            found.gap(name, group, f"no data: not listed in {side}")
    if old.listed("floppies", vm) and new.listed("floppies", new_vm):
        drives = old.rows("floppies", vm)
        if drives and not new.rows("floppies", new_vm):
            media = [d["path"] for d in drives if d.get("path")]
            found.differ(
                "floppy",
                group,
                "media " + ", ".join(media) if media else "drive, empty",
                None,
                True,
                "Generation 2 has no floppy drive",
            )
        else:
            found.same(group)
    if old.listed("com_ports", vm) and new.listed("com_ports", new_vm):
        after_ports = {folded(p.get("name")): p for p in new.rows("com_ports", new_vm)}
        found.same(group)
        for port in old.rows("com_ports", vm):
            path = port.get("path")
            if not path:
                continue
            now = after_ports.get(folded(port.get("name")))
            now_path = now.get("path") if now else None
            label = f"com_ports[{port.get('name')}].path"
            if not now_path:
                found.differ(label, group, path, now_path, True, "COM port connection removed")
            elif folded(now_path) != folded(path):
                found.differ(label, group, path, now_path, False, "COM port connected elsewhere")
    if old.listed("dvd_drives", vm) and new.listed("dvd_drives", new_vm):
        found.same(group)
        after_isos = {
            folded(d.get("path")) for d in new.rows("dvd_drives", new_vm) if d.get("path")
        }
        dropped = 0
        for drive in old.rows("dvd_drives", vm):
            iso = drive.get("path")
            if iso and folded(drive.get("media_type")) != "physical":
                if folded(iso) not in after_isos:
                    found.differ(
                        f"dvd_drives[{file_name(iso)}]",
                        group,
                        iso,
                        None,
                        False,
                        "ISO no longer attached",
                    )
            else:
                dropped += 1
        drives_now = len(new.rows("dvd_drives", new_vm))
        before_count = len(old.rows("dvd_drives", vm))
        if dropped and drives_now < before_count:
            found.differ(
                "dvd_drives",
                group,
                before_count,
                drives_now,
                True,
                "empty or physical DVD drive not carried over",
            )
