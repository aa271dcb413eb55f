"""Collector records for the ``assess verify`` tests: the BEFORE fixture, and a helper that
turns it into the AFTER records a correct conversion leaves behind.

``fixtures/verify/before.jsonl`` (host HV01):

=======  =========================================================================
WEB01    Windows Server 2019; boot disk IDE 0:0 VHDX, data disk SCSI 0:0; one
         synthetic adapter, static MAC, VLAN 10
APP01    Ubuntu 22.04, dynamic memory; boot disk IDE 0:0 **VHD**; a **legacy**
         adapter (VLAN 20); COM 1 on a named pipe, floppy media, an ISO in the DVD
DB01     Windows Server 2016 (left on Generation 1 in the tests)
FILE01   Windows Server 2019 (converted or removed, per test)
NEW02    already Generation 2 (never verified)
=======  =========================================================================

``after_records`` converts the named VMs the way a runbook does: the old VM renamed to
``<name>-gen1``, switched off, no automatic start; a new Generation 2 VM under the old name
with a new id, its disks on SCSI in the same order (``.vhd`` converted to ``.vhdx``), legacy
adapters replaced by synthetic ones with the same MAC, no floppy, COM connections removed,
empty DVD drives dropped and ISOs on SCSI, Secure Boot on with the template for the guest.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "verify"
BEFORE = FIXTURES / "before.jsonl"

Record = dict[str, Any]
Tweak = Callable[[Record], None]


def load_records(path: Path = BEFORE) -> list[Record]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def vm_records(records: Iterable[Record]) -> dict[str, Record]:
    return {r["name"]: r for r in records if r.get("kind") == "vm"}


def new_id(old_id: str) -> str:
    """A different id for the new VM, stable for the tests."""
    return "2" + old_id[1:]


def _template(vm: Record) -> str:
    name = vm.get("guest", {}).get("OSName", "").lower()
    return "MicrosoftWindows" if "windows" in name else "MicrosoftUEFICertificateAuthority"


def convert(vm: Record) -> tuple[Record, Record]:
    """(the old VM as it is after the window, the new Generation 2 VM)."""
    rollback = copy.deepcopy(vm)
    rollback["name"] = f"{vm['name']}-gen1"
    rollback["state"] = "Off"
    rollback["automaticStartAction"] = "Nothing"

    new = copy.deepcopy(vm)
    new["id"] = new_id(vm["id"])
    new["generation"] = 2
    new["version"] = "10.0"
    new.pop("bios", None)
    new["firmware"] = {"secureBoot": "On", "template": _template(vm)}
    slots = sorted(
        new["disks"],
        key=lambda d: (
            d["controllerType"] != "IDE",
            d["controllerNumber"],
            d["controllerLocation"],
        ),
    )
    for location, disk in enumerate(slots):
        disk.update(controllerType="SCSI", controllerNumber=0, controllerLocation=location)
        if disk["path"].lower().endswith(".vhd"):
            disk["path"] += "x"
            disk["vhd"]["format"] = "VHDX"
    new["disks"] = slots
    for nic in new["nics"]:
        if nic["isLegacy"]:
            nic.update(isLegacy=False, name="Network Adapter")
    new["floppy"] = []
    new["comPorts"] = [{"name": p["name"], "path": ""} for p in new["comPorts"]]
    isos = [d for d in new["dvd"] if d.get("path")]
    for number, drive in enumerate(isos, start=len(slots)):
        drive.update(controllerType="SCSI", controllerNumber=0, controllerLocation=number)
    new["dvd"] = isos
    return rollback, new


def after_records(
    records: Iterable[Record],
    *,
    converted: Iterable[str] = ("WEB01", "APP01"),
    removed: Iterable[str] = (),
    tweaks: Mapping[str, Tweak] | None = None,
    rollback_tweaks: Mapping[str, Tweak] | None = None,
) -> list[Record]:
    """The records of the host after the change window. ``tweaks[name]`` changes the new VM,
    ``rollback_tweaks[name]`` the old one (to build unexpected differences)."""
    converted, removed = set(converted), set(removed)
    out: list[Record] = []
    count = 0
    for record in records:
        if record.get("kind") == "end":
            out.append({**record, "vmCount": count})
            continue
        if record.get("kind") != "vm" or (
            record["name"] not in converted and record["name"] not in removed
        ):
            out.append(copy.deepcopy(record))
            count += record.get("kind") == "vm"
            continue
        if record["name"] in removed:
            continue
        rollback, new = convert(record)
        if rollback_tweaks and record["name"] in rollback_tweaks:
            rollback_tweaks[record["name"]](rollback)
        if tweaks and record["name"] in tweaks:
            tweaks[record["name"]](new)
        out.extend(r for r in (rollback, new) if r)
        count += 2
    return out


def write_records(path: Path, records: Iterable[Record]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
