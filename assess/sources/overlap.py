"""The same VM in two inputs: the newest collection wins, and the report says so.

Last week's and this week's export in one folder, or a collector file next to the CSV the
client typed: a VM listed by two inputs must be assessed once, from the newer data, and
never silently. Two rows are the same VM when they share the VM id, or, where one of them
has no real id (a synthetic ``name-...`` id), when they share host and name (both compared
without regard to case).

An input's time is when it was collected: the latest ``collectedAt`` of its collector host
records, else the file's modification time; a live scan is as new as it gets. The older
input's rows for those VMs are dropped before the inputs are joined; each pair of inputs
that overlap gets one warning naming both files, the count and the first VMs, and the older
input's summary says which input superseded it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from assess.model.diagnostics import RowWarning
from assess.model.inventory import Inventory
from assess.sources import SourceResult

_SHOWN = 5


@dataclass
class Overlap:
    """What joining the inputs decided: the inputs to join (newest first, older duplicates
    removed), when each was collected, and what each older input lost."""

    results: list[SourceResult]
    collected_at: dict[str, str | None]
    superseded: dict[str, str]  # path -> detail for the input summary


def collected_at(result: SourceResult) -> datetime | None:
    """When the input was collected: collector time, else file time; None when unknown."""
    hosts = result.inventory.tables["hosts"]
    if len(hosts) and hosts["collected_at"].notna().any():
        times = pd.to_datetime(hosts["collected_at"], errors="coerce", utc=True, format="ISO8601")
        if times.notna().any():
            return times.max().to_pydatetime()
    if result.kind == "live":
        return datetime.now(UTC)
    try:
        return datetime.fromtimestamp(os.path.getmtime(result.path), UTC)
    except OSError:
        return None


def resolve(results: Sequence[SourceResult]) -> Overlap:
    times = {r.path: collected_at(r) for r in results}
    oldest = datetime.min.replace(tzinfo=UTC)
    # Newest first; inputs of equal (or unknown) time keep their order.
    ordered = sorted(results, key=lambda r: times[r.path] or oldest, reverse=True)
    stamps = {p: (t.isoformat(timespec="seconds") if t else None) for p, t in times.items()}
    rows = []
    for rank, result in enumerate(ordered):
        vms = result.inventory.vms
        if not len(vms):
            continue
        rows.append(
            pd.DataFrame(
                {
                    "rank": rank,
                    "vm_key": vms["vm_key"].astype("string"),
                    "synthetic": vms["vm_id_synthetic"].astype("boolean").fillna(False),
                    "host": vms["host"].astype("string").fillna("").str.lower(),
                    "name": vms["name"].astype("string").fillna("").str.lower(),
                    "label": vms["name"].astype("string").fillna("?"),
                }
            )
        )
    if len(rows) < 2:
        return Overlap(list(ordered), stamps, {})
    every = pd.concat(rows, ignore_index=True)
    # The winner of each VM: the first (newest) input that lists it, by id ...
    winner = every.groupby("vm_key", sort=False)["rank"].transform("min")
    # ... or, for rows without a real id, by host and name.
    by_name = every.groupby(["host", "name"], sort=False)["rank"].transform("min")
    named = every["synthetic"] | every.groupby(["host", "name"], sort=False)["synthetic"].transform(
        "any"
    )
    winner = winner.where(~named, winner.combine(by_name, min))
    lost = every[every["rank"] > winner].assign(winner=winner[every["rank"] > winner])
    if lost.empty:
        return Overlap(list(ordered), stamps, {})
    drop: dict[int, set[str]] = {}
    superseded: dict[str, list[str]] = {}
    for (older, newer), group in lost.groupby(["rank", "winner"], sort=True):
        drop.setdefault(int(older), set()).update(group["vm_key"].tolist())
        old, new = ordered[int(older)], ordered[int(newer)]
        names = group["label"].tolist()
        shown = ", ".join(names[:_SHOWN]) + (
            f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
        )
        count = f"{len(names)} VM{'s' if len(names) != 1 else ''}"
        old.warnings.append(
            RowWarning(
                old.path,
                None,
                None,
                f"{count} also in {new.path} (same id, or same host and name): the newer "
                f"collection is used ({new.path}, {_when(stamps[new.path])}; this file "
                f"{_when(stamps[old.path])}): {shown}",
            )
        )
        superseded.setdefault(old.path, []).append(f"{count} older duplicates of {new.path}")
    out = []
    for rank, result in enumerate(ordered):
        keys = drop.get(rank)
        if keys:
            result.inventory = _without(result.inventory, keys)
        out.append(result)
    return Overlap(out, stamps, {p: "; ".join(d) for p, d in superseded.items()})


def _when(stamp: str | None) -> str:
    return stamp or "time unknown"


def _without(inventory: Inventory, keys: set[str]) -> Inventory:
    tables = {}
    for name, frame in inventory.tables.items():
        if "vm_key" in frame.columns and len(frame):
            frame = frame[~frame["vm_key"].isin(keys).fillna(False)].reset_index(drop=True)
        tables[name] = frame
    return Inventory(tables)
