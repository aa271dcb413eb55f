"""Pairing and comparing a VM's devices: network adapters, disks, floppy, COM ports, DVD.

The pairing rules are described in ``assess.verify.compare``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from assess.verify.fields import (
    DISK_FIELDS,
    NIC_FIELDS,
    Context,
    PlannedTarget,
    Row,
    file_name,
    file_stem,
    folded,
    mac_key,
)
from assess.verify.findings import Difference, Findings, compare_field
from assess.verify.inventory_view import Side

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


def compare_nics(
    vm: Row, new_vm: Row, old: Side, new: Side, plan: PlannedTarget | None, found: Findings
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
            compare_field(spec, ctx, f"{label}.{spec.column}", found)
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


def compare_disks(
    vm: Row, new_vm: Row, old: Side, new: Side, plan: PlannedTarget | None, found: Findings
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
            compare_field(spec, ctx, f"{label}.{spec.column}", found)
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


def _note_weak_pairing(found: Findings, name: str, how: str) -> None:
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


def compare_devices(vm: Row, new_vm: Row, old: Side, new: Side, found: Findings) -> None:
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
