"""An anonymized copy of an RVTools workbook (``assess anonymize``), to share an export.

Every sheet is copied cell by cell; the cells of name and address columns are replaced with
the pseudonyms ``assess run --anonymize`` gives with the same salt (VM, host, cluster,
datacenter, vCenter and DNS names, IPs, MACs), and names inside paths and folders too.
Everything else (firmware, OS, sizes, modes) is kept, so the copy assesses the same.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import xlsxwriter
from python_calamine import CalamineWorkbook, SheetTypeEnum

from assess.atomic import atomic_path
from assess.model.anonymize import Pseudonymizer
from assess.model.diagnostics import InputError
from assess.sources import table_files, text_files
from assess.sources.header_match import header_key

#: Column (header key, tab prefix removed) -> what it holds.
_KINDS = {
    "vm": "vm", "vmname": "vm", "name": "vm",
    "host": "host", "visdkserver": "host",
    "cluster": "cluster", "datacenter": "datacenter",
    "dnsname": "dns", "guesthostname": "dns",
    "primaryipaddress": "ip", "ipaddress": "ip", "ipv4address": "ip", "ipv6address": "ip",
    "macaddress": "mac",
    "path": "text", "diskpath": "text", "filename": "text", "folder": "text",
    "resourcepool": "text",
}  # fmt: skip
_VM_SHEETS_NAME = {"vinfo"}  # where "Name" is the VM (vHost: the host; vSnapshot: the snapshot)


def _kind(sheet: str, header: str) -> str | None:
    key = header_key(header)
    tab = sheet.strip().lower()
    prefix = header_key(tab)
    if key.startswith(prefix) and len(key) > len(prefix):
        key = key[len(prefix) :]
    if key == "name":
        return "vm" if tab in _VM_SHEETS_NAME else ("host" if tab == "vhost" else None)
    return _KINDS.get(key)


def anonymize_workbook(source: str, out: str, pseudonyms: Pseudonymizer) -> int:
    """Write the anonymized copy; returns the number of cells replaced."""
    data = text_files.read_bytes(source)
    if not table_files.is_workbook(data[:8]):
        raise InputError(source, "not a workbook: only RVTools .xlsx exports can be copied")
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [
            (m.name, book.get_sheet_by_name(m.name).to_python(skip_empty_area=False))
            for m in book.sheets_metadata
            if m.typ == SheetTypeEnum.WorkSheet
        ]
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # the workbook reader raises many kinds on bad bytes
        raise InputError(source, f"cannot read the workbook: {exc}") from None
    if not any(name.strip().lower() == "vinfo" for name, _ in sheets):
        raise InputError(source, "no vInfo sheet: not an RVTools export")
    # Names first, so that paths and folders in any sheet find every VM and host.
    order = sorted(sheets, key=lambda s: s[0].strip().lower() not in ("vinfo", "vhost"))
    for name, rows in order:
        kinds = [_kind(name, str(h)) for h in (rows[0] if rows else [])]
        for row in rows[1:]:
            for j, kind in enumerate(kinds):
                if kind in ("vm", "host", "cluster", "datacenter", "dns") and j < len(row):
                    pseudonyms.name(kind, row[j])
    replaced = 0
    with atomic_path(Path(out), suffix=".xlsx") as target:
        workbook = xlsxwriter.Workbook(str(target), {"constant_memory": True})
        stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for name, rows in sheets:
            sheet = workbook.add_worksheet(name[:31])
            kinds = [_kind(name, str(h)) for h in (rows[0] if rows else [])]
            for i, row in enumerate(rows):
                for j, value in enumerate(row):
                    kind = kinds[j] if i and j < len(kinds) else None
                    new = _replace(pseudonyms, kind, value) if kind else value
                    replaced += new is not value
                    _write(sheet, i, j, new, stamp)
        workbook.close()
    return replaced


def _replace(pseudonyms: Pseudonymizer, kind: str, value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        return value
    if kind == "ip":
        return pseudonyms.addresses(value)
    if kind == "mac":
        return pseudonyms.mac(value)
    if kind == "text":
        return pseudonyms.text(value)
    return pseudonyms.name(kind, value)


def _write(sheet: Any, row: int, column: int, value: Any, stamp: Any) -> None:
    if value is None or value == "":
        return
    if isinstance(value, str):
        sheet.write_string(row, column, value)
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, column, value)
    elif isinstance(value, (datetime, date)):
        sheet.write_datetime(row, column, value, stamp)
    elif isinstance(value, (time, timedelta)):
        sheet.write_string(row, column, str(value))
    else:
        sheet.write_string(row, column, str(value))
