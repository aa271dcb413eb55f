"""Azure Migrate discovery report (xlsx, a sheet with ``Machine Name`` and ``Boot Type``).

``Boot Type`` BIOS means Generation 1 and EFI Generation 2; the operating system text and its
``(64-bit)``/``(32-bit)`` suffix give the guest. Machines of VMware and physical discovery
sites are not Hyper-V VMs and are left out, with a warning that counts them.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from assess.model.diagnostics import InputError, RowWarning
from assess.model.inventory import Inventory
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


def load(path: str) -> SourceResult:
    data = text_files.read_bytes(path)
    return _load_azure_migrate(path, table_files.read_workbook(path, data))


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
_NOT_HYPERV_SITE = re.compile(r"/(vmwaresites|serversites|physicalsites)/", re.IGNORECASE)


def _is_azure_migrate(headers: list[str]) -> bool:
    keys = {header_key(h) for h in headers}
    return {"machinename", "boottype"} <= keys


def _load_azure_migrate(path: str, tables: list[Table]) -> SourceResult:
    table = next((t for t in tables if _is_azure_migrate(t.headers)), None)
    if table is None:
        raise InputError(path, "no sheet with Machine Name and Boot Type columns")
    warnings: list[RowWarning] = []
    rows_read = len(table)
    ids = [header_key(h) for h in table.headers]
    if "machineid" in ids:
        machine_ids = table.columns[ids.index("machineid")].tolist()
        hyperv = np.array([not _NOT_HYPERV_SITE.search(m) for m in machine_ids], dtype=bool)
        skipped = int((~hyperv).sum())
        if skipped:
            warnings.append(
                RowWarning(
                    path,
                    None,
                    None,
                    f"{skipped} machine(s) from VMware or physical discovery sites left out: "
                    "not Hyper-V VMs",
                )
            )
            table = Table(
                path=table.path,
                headers=table.headers,
                columns=[c[hyperv] for c in table.columns],
                lines=table.lines[hyperv],
                header_line=table.header_line,
                sheet=table.sheet,
            )
    vms, cell_warnings = vms_from_table(table, _AZURE_FIELDS, kind=KIND, origin=path)
    if "os_name" in vms:
        bits = vms["os_name"].str.extract(r"\((32|64)-bit\)", expand=False)
        vms["os_architecture"] = (bits + "-bit").astype("string")
    matched = match_fields(table.headers, _AZURE_FIELDS)
    if "os_name" in matched:
        cell_warnings += unreadable_os_names(vms, path, matched.header("os_name"))
    return SourceResult(
        path=path,
        kind=KIND,
        inventory=Inventory.from_frames({"vms": vms}),
        warnings=[*warnings, *cell_warnings],
        rows_read=rows_read,
    )
