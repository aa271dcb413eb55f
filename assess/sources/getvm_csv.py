"""A raw ``Get-VM | Export-Csv`` (or ``ConvertTo-Csv``) from Windows PowerShell 5.1.

What such a file holds: one row per VM with every property of the ``VirtualMachine`` object,
each written with ``ToString()``. Scalars survive (name, id, generation, state, version,
memory, notes, clustering, replication, the parent checkpoint id); collections and device
objects become their type name (``Microsoft.HyperV.PowerShell.HardDiskDrive[]``,
``System.Collections.Generic.List`1[...]``, ``Microsoft.HyperV.PowerShell.VMComPort``).
Those cells carry no data and are read as NA: nothing is inferred from a type name (every
Generation 1 VM has a floppy drive object and two COM port objects, configured or not).
Guest OS and disk detail are not in the file and stay NA.

Variants seen: with or without the ``#TYPE Microsoft.HyperV.PowerShell.VirtualMachine``
line; ASCII (the 5.1 default), UTF-8 with BOM, UTF-16 (``ConvertTo-Csv | Out-File``);
``;`` as delimiter (``-UseCulture`` on European systems); dates in the exporting user's
culture; enum values as names or numbers; a ``Select-Object`` subset of the columns.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from assess.model.diagnostics import InputError
from assess.model.inventory import Inventory
from assess.model.os_identity import OsNames
from assess.sources import SourceResult, table_files, text_files
from assess.sources.cell_values import (
    infer_day_first,
    to_bool,
    to_config_version,
    to_count,
    to_generation,
    to_int,
    to_iso_datetime,
    to_replication_state,
    to_text,
    to_vm_state,
)
from assess.sources.column_mapping import Field, match_fields, vms_from_table
from assess.sources.header_match import count_known, header_key
from assess.sources.table_files import Table

KIND = "getvm-csv"


def _guid(value: object) -> str | None:
    """A GUID cell (``ParentSnapshotId``): blank when the VM has no checkpoint."""
    text = to_text(value)
    if text is None:
        return None
    if not re.fullmatch(r"\{?[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\}?", text):
        raise ValueError(f"{text!r} is not a GUID")
    return text


def _memory_bytes(value: object) -> int | None:
    number = to_int(value)
    if number is not None and number < 0:
        raise ValueError(f"{value!r} is not a memory size in bytes")
    return number


FIELDS: tuple[Field, ...] = (
    Field("VMName", "name", to_text, ("Name",)),
    Field("VMId", "vm_id", to_text, ("Id",)),
    Field("ComputerName", "host", to_text),
    Field("Generation", "generation", to_generation),
    Field("Version", "config_version", to_config_version),
    Field("State", "state", to_vm_state),
    Field("ProcessorCount", "processor_count", to_count),
    Field("MemoryStartup", "memory_startup_bytes", _memory_bytes),
    Field("DynamicMemoryEnabled", "dynamic_memory", to_bool),
    Field("Notes", "notes", to_text),
    Field("IsClustered", "is_clustered", to_bool),
    Field("ReplicationState", "replication_state", to_replication_state),
    Field("ParentSnapshotId", "parent_checkpoint_id", _guid),
    Field("CreationTime", "creation_time", to_iso_datetime),
    Field("IntegrationServicesVersion", "integration_services_version", to_text),
)

#: Columns only a Get-VM object has: three of them (with a name column) identify an export
#: that lost its ``#TYPE`` line.
GETVM_ONLY = (
    "VMId",
    "ConfigurationLocation",
    "SmartPagingFilePath",
    "SnapshotFileLocation",
    "AutomaticStartAction",
    "AutomaticStopAction",
    "AutomaticCheckpointsEnabled",
    "IntegrationServicesState",
    "MemoryStartup",
    "DynamicMemoryEnabled",
    "HardDrives",
    "NetworkAdapters",
    "FloppyDrive",
    "ComPort1",
    "DVDDrives",
    "ParentSnapshotId",
    "CheckpointType",
    "ReplicationHealth",
    "PrimaryOperationalStatus",
    "VMIntegrationService",
)

_TYPE_LINE = re.compile(
    r"^(Selected\.|Deserialized\.)*Microsoft\.HyperV\.PowerShell\.VirtualMachine$"
)
#: ``ToString()`` of an object without its own: a .NET type name, or a CIM session.
_TYPE_NAME = re.compile(r"^(System|Microsoft)\.[\w.`+\[\],]+$|^CimSession: ")


def _is_getvm(headers: list[str], type_name: str | None) -> bool:
    if type_name and _TYPE_LINE.match(type_name):
        return True
    keys = {header_key(h) for h in headers}
    has_name = "vmname" in keys or "name" in keys
    return has_name and count_known(headers, GETVM_ONLY) >= 3


def sniff(path: str, head: bytes) -> bool:
    if table_files.is_workbook(head):  # Get-VM | Export-Excel
        return any(_is_getvm(headers, None) for _, headers in table_files.workbook_heads(path))
    text = text_files.decode_head(head)
    if not text:
        return False
    csv_head = table_files.read_csv_head(table_files.split_lines(text)[:5])
    return csv_head is not None and _is_getvm(csv_head.headers, csv_head.type_name)


def load(path: str, os_names: OsNames | None = None) -> SourceResult:
    """The VMs of a Get-VM export (which has no guest OS columns: ``os_names`` is unused)."""
    tables = table_files.read_tables(path)
    chosen = [t for t in tables if _is_getvm(t.headers, t.type_name)]
    if not chosen:  # read directly: any table with a VMName or Name column will do
        chosen = [t for t in tables if "name" in match_fields(t.headers, FIELDS)][:1]
    if not chosen:
        raise InputError(path, "not a Get-VM export: no VMName or Name column")
    if len(chosen) == 1 and len(tables) == 1:
        return load_table(chosen[0], path)
    from assess.sources.template import load_sheets

    return load_sheets(path, tables, chosen, load_table)


def load_table(table: Table, path: str) -> SourceResult:
    """The ``vms`` rows of one Get-VM export table."""
    parsers: dict[str, Callable[[Any], Any]] = {}
    match = match_fields(table.headers, FIELDS)
    if "creation_time" in match:
        # Dates are in the exporting user's culture: the column as a whole tells whether
        # 03/01/2019 is the 3rd of January or the 1st of March.
        cells = table.columns[match.columns["creation_time"]].tolist()
        day_first = infer_day_first(cells)
        parsers["creation_time"] = functools.partial(to_iso_datetime, day_first=day_first)
    vms, warnings = vms_from_table(
        table, FIELDS, kind=KIND, origin=path, clean=_without_type_names, parsers=parsers
    )
    return SourceResult(
        path=path,
        kind=KIND,
        inventory=Inventory.from_frames({"vms": vms}),
        warnings=sorted([*table.warnings, *warnings], key=lambda w: w.line or 0),
        rows_read=len(table),
    )


def _without_type_names(name: str, column: np.ndarray) -> np.ndarray:
    """Blank out cells that hold a type name instead of data (not in free text columns)."""
    if name in ("name", "notes"):
        return column
    cells = column.tolist()
    if not any(cell[:2] in ("Sy", "Mi", "Ci") for cell in cells):
        return column
    return np.array(["" if _TYPE_NAME.match(cell) else cell for cell in cells], dtype=object)
