"""Build a facts frame directly (bypassing sources) for rule and engine tests."""

from __future__ import annotations

from typing import Any

import pandas as pd

from assess.facts.derive import FACTS, IDENTITY_COLUMNS, Facts
from assess.model.inventory import empty_table


def facts_of(*vms: dict[str, Any]) -> Facts:
    """One row per dict: facts not named are unknown; ``generation`` defaults to 1 and the
    word "unknown" makes it NA; ``source_platform`` defaults to hyper-v (derived facts always
    know it). Identity columns get simple values."""
    rows = []
    for number, given in enumerate(vms, start=1):
        row: dict[str, Any] = {
            "vm_key": given.get("vm_key", f"vm-{number}"),
            "host": given.get("host", "HV01"),
            "cluster": given.get("cluster"),
            "name": given.get("name", f"vm{number:02d}"),
            "vm_id": given.get("vm_id", f"vm-{number}"),
            "notes": given.get("notes"),
            "source": "test:1",
            "origin": "test",
            "source_kind": "test",
            "generation": 1,
            "source_platform": "hyper-v",
        }
        defaults = ("generation", "source_platform")
        row.update({k: v for k, v in given.items() if k not in row or k in defaults})
        if row["generation"] == "unknown":
            row["generation"] = None
        rows.append(row)
    data = {}
    for column in IDENTITY_COLUMNS:
        data[column] = pd.array([r.get(column) for r in rows], dtype="string")
    for fact in FACTS:
        data[fact.name] = pd.array([r.get(fact.name) for r in rows], dtype=fact.dtype)
    frame = pd.DataFrame(data)
    frame.index = frame["vm_key"].to_numpy()
    evidence = pd.DataFrame(
        {fact.name: pd.Series(pd.NA, index=frame.index, dtype="string") for fact in FACTS}
    )
    return Facts(frame=frame, evidence=evidence, hosts=empty_table("hosts"))
