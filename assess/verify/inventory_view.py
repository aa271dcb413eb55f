"""An inventory as plain rows, indexed for pairing VMs and their devices."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from assess.model.inventory import Inventory
from assess.verify.fields import Row, folded


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values, NA (and NaN, NaT) as None; column by column."""
    if frame.empty:
        return []
    columns = {
        column: frame[column].to_numpy(dtype=object, na_value=None).tolist()
        for column in frame.columns
    }
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


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
