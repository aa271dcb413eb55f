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

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from assess.model.inventory import Inventory, make_vm_key
from assess.model.os_identity import OsNames
from assess.verify.devices import compare_devices, compare_disks, compare_nics
from assess.verify.fields import ROLLBACK_FIELDS, VM_FIELDS, Context, Row, folded
from assess.verify.findings import Difference, Findings, NotCompared, compare_field
from assess.verify.inventory_view import Side
from assess.verify.plan_file import PlannedVm

__all__ = [
    "DIFFERS",
    "MATCH",
    "MISSING",
    "NOT_CONVERTED",
    "STATUSES",
    "Difference",
    "NotCompared",
    "Verification",
    "VmResult",
    "VmStatus",
    "verify",
]


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


# -- entry point --------------------------------------------------------------------------


def verify(
    before: Inventory,
    after: Inventory,
    plan: Sequence[PlannedVm] | None = None,
    *,
    partial_inputs: Sequence[str] = (),
    os_names: OsNames | None = None,
) -> Verification:
    """Compare every VM to verify (see the module docstring) and collect the results.
    ``os_names``: the guest OS names the Secure Boot checks read the old VM's guest with
    (``load_os_names``); the built-in ones when None."""
    old, new = Side(before), Side(after)
    results: list[VmResult] = []
    notes: list[str] = []
    skipped = 0
    if plan is None:
        for vm in old.vms:
            if vm.get("generation") == 2:
                skipped += 1
                continue
            results.append(_verify_vm(vm, old, new, None, os_names))
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
            results.append(_verify_vm(in_before, old, new, planned, os_names))
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


def _verify_vm(
    vm: Row, old: Side, new: Side, planned: PlannedVm | None, os_names: OsNames | None
) -> VmResult:
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
    found = Findings()
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
    ctx = Context(
        before=vm, after=new_vm, vm_before=vm, vm_after=new_vm, plan=target, os_names=os_names
    )
    for spec in VM_FIELDS:
        compare_field(spec, ctx, spec.column, found)
    _check_rollback(vm, rollback, findable, found, target.kept_name if target else None)
    compare_nics(vm, new_vm, old, new, target, found)
    compare_disks(vm, new_vm, old, new, target, found)
    compare_devices(vm, new_vm, old, new, found)

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


def _check_rollback(
    vm: Row, rollback: Row | None, findable: bool, found: Findings, kept_name: str | None
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
        compare_field(spec, ctx, f"rollback_vm.{spec.column}", found)
