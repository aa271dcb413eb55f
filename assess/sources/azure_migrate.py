"""Azure Migrate discovery report (xlsx, a sheet with ``Machine Name`` and ``Boot Type``).

``Boot Type`` BIOS means Generation 1 and EFI Generation 2; the operating system text and its
``(64-bit)``/``(32-bit)`` suffix give the guest. The discovery site in ``Machine ID`` says
where a machine runs: a Hyper-V site's VM keeps its generation; a VMware or physical
machine gets its ``firmware`` (and ``source_platform``), and the facts work out the
generation it lands as.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from assess.model.diagnostics import InputError
from assess.model.inventory import Inventory
from assess.model.os_identity import OsNames
from assess.sources import SourceResult, table_files, text_files
from assess.sources.cell_values import (
    is_blank,
    to_count,
    to_int,
    to_text,
    to_vm_state,
)
from assess.sources.column_mapping import Field, match_fields, vms_from_table
from assess.sources.header_match import header_key
from assess.sources.os_names import unreadable_os_names
from assess.sources.table_files import Table

KIND = "azure-migrate"


def sniff(path: str, head: bytes) -> bool:
    if not table_files.is_workbook(head):
        return False
    return any(_is_azure_migrate(headers) for _, headers in table_files.workbook_heads(path))


def load(path: str, os_names: OsNames | None = None) -> SourceResult:
    """The machines of an Azure Migrate export; ``os_names`` (with ``--rules`` names) says
    which OS names are readable, the built-in names when None."""
    data = text_files.read_bytes(path)
    return _load_azure_migrate(path, table_files.read_workbook(path, data), os_names)


def _boot_type(value: Any) -> int | None:
    """Azure Migrate ``Boot Type``: BIOS is a Generation 1 VM, EFI/UEFI Generation 2."""
    if is_blank(value):
        return None
    key = str(value).strip().lower()
    if key == "bios":
        return 1
    if key in ("efi", "uefi"):
        return 2
    raise ValueError(f"{value!r} is not BIOS or EFI")


def _megabytes(value: Any) -> int | None:
    number = to_count(value)
    return None if number is None else to_int(number * 1024 * 1024)


def _power(value: Any) -> str | None:
    if isinstance(value, str) and value.strip().lower() in ("on", "off"):
        return "Running" if value.strip().lower() == "on" else "Off"
    return to_vm_state(value)


_AZURE_FIELDS: tuple[Field, ...] = (
    Field("Machine Name", "name", to_text, ("Name", "Server Name")),
    Field("Operating System", "os_name", to_text, ("OS Name",)),
    Field("Boot Type", "generation", _boot_type),
    Field("Cores", "processor_count", to_count),
    Field("Memory (in MB)", "memory_startup_bytes", _megabytes, ("Memory (MB)", "Memory in MB")),
    Field("Power Stats", "state", _power, ("Power State", "Power Status")),
)
_SITE = re.compile(r"/(vmwaresites|serversites|physicalsites|hypervsites)/", re.IGNORECASE)
_SITE_COLUMN = "\x00site"
_PLATFORM = {
    "vmwaresites": "vmware",
    "serversites": "physical",
    "physicalsites": "physical",
    "hypervsites": "hyper-v",
}


def _is_azure_migrate(headers: list[str]) -> bool:
    keys = {header_key(h) for h in headers}
    return {"machinename", "boottype"} <= keys


def _load_azure_migrate(
    path: str, tables: list[Table], os_names: OsNames | None = None
) -> SourceResult:
    table = next((t for t in tables if _is_azure_migrate(t.headers)), None)
    if table is None:
        raise InputError(path, "no sheet with Machine Name and Boot Type columns")
    rows_read = len(table)
    ids = [header_key(h) for h in table.headers]
    platforms: list[str | None] = [None] * len(table)
    if "machineid" in ids:
        sites = [_SITE.search(str(m)) for m in table.columns[ids.index("machineid")].tolist()]
        platforms = [_PLATFORM[m.group(1).lower()] if m else None for m in sites]
    table = Table(
        path=table.path,
        headers=[*table.headers, _SITE_COLUMN],
        columns=[*table.columns, np.array([p or "" for p in platforms], dtype=object)],
        lines=table.lines,
        header_line=table.header_line,
        sheet=table.sheet,
    )
    fields = (*_AZURE_FIELDS, Field(_SITE_COLUMN, "source_platform", to_text))
    vms, cell_warnings = vms_from_table(table, fields, kind=KIND, origin=path)
    if "os_name" in vms:
        bits = vms["os_name"].str.extract(r"\((32|64)-bit\)", expand=False)
        vms["os_architecture"] = (bits + "-bit").astype("string")
    moved = vms["source_platform"].isin(["vmware", "physical"]).fillna(False)
    if moved.any():
        vms["firmware"] = vms["generation"].map({1: "bios", 2: "efi"}).where(moved).astype("string")
        vms["generation"] = vms["generation"].mask(moved)
    matched = match_fields(table.headers, _AZURE_FIELDS)
    if "os_name" in matched:
        cell_warnings += unreadable_os_names(vms, path, matched.header("os_name"), os_names)
    return SourceResult(
        path=path,
        kind=KIND,
        inventory=Inventory.from_frames({"vms": vms}),
        warnings=cell_warnings,
        rows_read=rows_read,
    )
