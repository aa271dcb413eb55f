"""RVTools exports of a VMware vSphere estate: the workbook, or its per-tab CSV files.

RVTools writes one worksheet per tab (``vInfo``, ``vDisk``, ``vNetwork``, ...) or, with its
CSV export, one file per tab (``RVTools_tabvInfo.csv``, ``RVTools_tabvDisk.csv``, ...).
Only ``vInfo`` is required; ``vDisk``, ``vNetwork``, ``vCD``, ``vUSB``, ``vSnapshot``,
``vHost`` and ``vFloppy`` (3.x) are read when present. A tab that is missing leaves its
facts unknown, never "none".

Columns are found by name, never by position, because every RVTools release adds, renames
or moves some. Known spellings:

- 3.x: ``VM``, ``Powerstate``, ``Template``, ``HW version``, ``Firmware`` (3.9+),
  ``OS according to the configuration file`` / ``... the VMware Tools``, ``VM UUID``;
  vDisk ``Capacity MB``, ``Controller`` = ``SCSI controller 0``, ``Unit #``, ``Path``;
  a ``vFloppy`` tab.
- 4.0-4.6: vInfo adds ``EFI Secure boot``, ``SRM Placeholder``, ``VM ID``; vDisk
  ``Capacity MiB``, ``Disk Path``, ``Sharing mode``, ``Controller`` = the controller model
  (``VMware paravirtual SCSI``) and ``Label`` = ``SCSI controller 0``.
- 4.7/4.8: vInfo ``VM SMBIOS UUID``, ``VI SDK UUID`` (the vCenter's, not the VM's);
  vDisk ``SCSI label``, ``Unit number``, ``Path``; vCD ``Backing type``.
- The CSV export and some tools prefix every header with its tab: ``vInfoVMName``,
  ``vInfoOSTools``, ``vDiskCapacityMiB``, ``vNetworkMacAddress``.

Templates and SRM placeholders are not VMs to migrate: they are listed apart (a note),
and their rows in the other tabs are skipped. Rows of the other tabs are tied to their VM
by VM UUID, else by VM ID (with the vCenter), else by name.
"""

from __future__ import annotations

import functools
import io
import operator
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook, SheetTypeEnum

from assess.gc_pause import gc_paused
from assess.model.diagnostics import InputError, RowWarning
from assess.model.inventory import Inventory, table_from_rows
from assess.model.os_identity import OsNames
from assess.sources import SourceResult, table_files, text_files
from assess.sources.cell_values import (
    is_blank,
    parse_column,
    to_bool,
    to_count,
    to_int,
    to_mac,
    to_text,
    to_vm_state,
)
from assess.sources.column_mapping import Field, vms_from_table
from assess.sources.header_match import header_key, match_headers
from assess.sources.table_files import Table, cell_text

KIND = "rvtools"

_VM_UUIDS = ("VM UUID", "Instance UUID", "InstanceUUID", "VM SMBIOS UUID", "SMBIOS UUID")
_IDENTITY = {
    "vm": ("VM", "VM Name", "VMName"),
    "uuid": _VM_UUIDS,
    "moref": ("VM ID", "Object ID", "ObjectID"),
    "server": ("VI SDK Server", "VISDKServer"),
    "template": ("Template",),
}
#: Columns read from each tab: field -> accepted headers, best first.
TABS: dict[str, dict[str, tuple[str, ...]]] = {
    "vinfo": {
        **_IDENTITY,
        "vm": ("VM", "VM Name", "Name"),
        # vInfoUUID is the VM's; in the other tabs a bare UUID may be a disk's.
        "uuid": (*_VM_UUIDS, "UUID"),
        "powerstate": ("Powerstate", "Power State"),
        "srm": ("SRM Placeholder",),
        "firmware": ("Firmware",),
        "secure_boot": ("EFI Secure boot", "Secure Boot", "EFISecureBoot"),
        "os_config": ("OS according to the configuration file", "OS", "Guest OS", "OSConfig"),
        "os_tools": ("OS according to the VMware Tools", "OSTools", "Guest OS full name"),
        "hw_version": ("HW version", "HWVersion", "Version"),
        "host": ("Host",),
        "cluster": ("Cluster",),
        "datacenter": ("Datacenter",),
        "cpus": ("CPUs",),
        "memory": ("Memory", "Memory MiB", "Memory MB"),
        "annotation": ("Annotation", "Notes"),
        "ip": ("Primary IP Address", "Primary IP"),
        "dns": ("DNS Name", "GuestHostName"),
        "created": ("Creation date", "CreateDate"),
    },
    "vdisk": {
        **_IDENTITY,
        "disk": ("Disk", "Name", "Disk Name"),
        "capacity": ("Capacity MiB", "Capacity MB", "CapacityMiB"),
        "raw": ("Raw",),
        "disk_mode": ("Disk Mode", "DiskMode"),
        "sharing": ("Sharing mode", "Sharing"),
        "thin": ("Thin",),
        "controller": ("Controller",),
        "controller_label": ("Label", "SCSI label", "Controller label"),
        "unit": ("Unit #", "Unit number", "Unit"),
        "path": ("Disk Path", "Path", "Filename"),
    },
    "vnetwork": {
        **_IDENTITY,
        "label": ("NIC label", "Label", "NIC"),
        "adapter": ("Adapter",),
        "network": ("Network", "Port Group", "Name"),
        "mac": ("Mac Address", "MAC", "MacAddress"),
        "ipv4": ("IPv4 Address", "IP Address"),
    },
    "vcd": {
        **_IDENTITY,
        "device": ("Device Node", "Device", "Label"),
        "device_type": ("Device Type", "Backing type", "Backing"),
        "connected": ("Connected",),
        "path": ("Backing path", "ISO Path", "Summary"),
    },
    "vfloppy": {
        **_IDENTITY,
        "device": ("Device Node", "Device", "Label"),
        "device_type": ("Device Type", "Backing type", "Backing"),
        "connected": ("Connected",),
        "path": ("Backing path", "Image", "Summary"),
    },
    "vusb": {**_IDENTITY, "device": ("Device", "Device Node", "Label", "Path")},
    "vsnapshot": {**_IDENTITY, "snapshot": ("Name", "Snapshot")},
    "vhost": {
        "host": ("Host", "Name"),
        "datacenter": ("Datacenter",),
        "cluster": ("Cluster",),
        "esx": ("ESX Version", "FullName", "Full Name"),
    },
}
OPTIONAL_TABS = tuple(tab for tab in TABS if tab != "vinfo")
#: Every RVTools tab name (lower case), for recognising the per-tab CSV files.
ALL_TABS = (
    *("vinfo", "vcpu", "vmemory", "vdisk", "vpartition", "vnetwork", "vcd", "vusb"),
    *("vsnapshot", "vtools", "vhost", "vhba", "vnic", "vswitch", "vport", "dvswitch"),
    *("dvport", "vsc_vmk", "vdatastore", "vmultipath", "vlicense", "vfileinfo", "vhealth"),
    *("vsource", "vcluster", "vrp", "vmetadata", "vfloppy"),
)
_TAB_IN_NAME = re.compile(r"tab(v\w+|dv\w+)\.csv$", re.IGNORECASE)
_TAB_KEYS = sorted(((header_key(t), t) for t in ALL_TABS), key=lambda kv: -len(kv[0]))


def _aliases(tab: str) -> dict[str, tuple[str, ...]]:
    """The accepted headers of a tab, each also with the tab's prefix (``vInfoVMName``)."""
    prefix = {"vinfo": "vInfo", "vhost": "vHost"}.get(tab, tab)
    return {
        field: tuple(dict.fromkeys([*names, *(prefix + n for n in names)]))
        for field, names in TABS[tab].items()
    }


_ALIASES = {tab: _aliases(tab) for tab in TABS}
_WANTED_KEYS = {
    tab: {header_key(a) for names in f.values() for a in names} for tab, f in _ALIASES.items()
}


# --------------------------------------------------------------------------- sniffing


def sniff(path: str, head: bytes) -> bool:
    """A workbook with a ``vInfo`` sheet (its sheet names only: a 20,000-VM export is not
    parsed twice), or a CSV file of one RVTools tab."""
    if table_files.is_workbook(head):
        return any(name.strip().lower() == "vinfo" for name in table_files.sheet_names(path))
    return csv_tab(path, head) is not None


def csv_tab(path: str, head: bytes) -> str | None:
    """The RVTools tab a CSV file holds (``vinfo``, ``vdisk``, ...), or None."""
    text = text_files.decode_head(head)
    lines = table_files.split_lines(text)[:3]
    parsed = table_files.read_csv_head(lines)
    if parsed is None:
        return None
    keys = [header_key(h) for h in parsed.headers if h.strip()]
    if not keys:
        return None
    # Prefixed headers name their tab: vInfoVMName, vDiskCapacityMiB ...
    prefixed = [_prefix_tab(k) for k in keys[:3]]
    if prefixed[0] is not None and prefixed.count(prefixed[0]) == len(prefixed):
        return prefixed[0]
    named = _TAB_IN_NAME.search(os.path.basename(path))
    tab = named.group(1).lower() if named else None
    if tab in ALL_TABS:  # RVTools_tabvDisk.csv: the CSV export names its tab
        return tab
    keyset = set(keys)
    if {"vm", "powerstate", "template"} <= keyset and keyset & {
        "firmware",
        "hwversion",
        "provisionedmib",
        "totaldiskcapacitymib",
        "osaccordingtothevmwaretools",
    }:
        return "vinfo"
    return None


def _prefix_tab(key: str) -> str | None:
    for prefix, tab in _TAB_KEYS:
        if key.startswith(prefix) and len(key) > len(prefix):
            return tab
    return None


# --------------------------------------------------------------------------- loading


@dataclass
class _Tab:
    """One tab as read: its table (only the wanted columns) and where it came from."""

    name: str
    table: Table
    where: str  # how warnings name it: "file.xlsx (vDisk)" or the CSV file


def load(path: str, os_names: OsNames | None = None) -> SourceResult:
    """The VMs of an RVTools export. ``os_names`` is not read here: the guest OS names are
    kept as written and identified with the facts."""
    data = text_files.read_bytes(path)
    if table_files.is_workbook(data[:8]):
        tabs = _read_workbook(path, data)
        if "vinfo" not in tabs:
            raise InputError(path, "an RVTools export without rows in its vInfo sheet")
        return build(path, tabs)
    tab = csv_tab(path, data[:65536])
    if tab != "vinfo":
        return _lone_tab(path, tab)
    tabs = {"vinfo": _read_csv(path, "vinfo", data)}
    for sibling, sibling_tab in _csv_siblings(path):
        if sibling_tab in OPTIONAL_TABS and sibling_tab not in tabs:
            tabs[sibling_tab] = _read_csv(sibling, sibling_tab)
    return build(path, tabs)


def _lone_tab(path: str, tab: str | None) -> SourceResult:
    """A per-tab CSV other than vInfo: read together with its vInfo file, nothing on its own."""
    vinfo = [p for p, t in _csv_siblings(path) if t == "vinfo"]
    notes = []
    if not vinfo:
        notes.append(
            f"{path}: RVTools {tab or ''} tab without its vInfo file in the same folder: "
            "nothing assessed from it"
        )
    return SourceResult(path=path, kind=KIND, inventory=Inventory(), notes=notes)


def _csv_prefix(name: str) -> str | None:
    match = _TAB_IN_NAME.search(name)
    return name[: match.start()].lower() if match else None


def _csv_siblings(path: str) -> list[tuple[str, str]]:
    """Per-tab CSV files of the same export: same folder, same name before ``tab...``."""
    folder = os.path.dirname(os.path.abspath(path))
    own = os.path.basename(path)
    prefix = _csv_prefix(own)
    found = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    for name in names:
        if name == own or not name.lower().endswith(".csv"):
            continue
        if prefix is not None and _csv_prefix(name) != prefix:
            continue
        sibling = os.path.join(os.path.dirname(path), name)
        try:
            tab = csv_tab(sibling, text_files.read_head(sibling))
        except (OSError, InputError):
            continue
        if tab is not None:
            found.append((sibling, tab))
    return found


def _read_csv(path: str, tab: str, data: bytes | None = None) -> _Tab:
    if data is None:
        data = text_files.read_bytes(path)
    table = table_files.read_csv_text(text_files.decode(data, path), path)
    return _Tab(tab, _only_wanted(table, tab), path)


def _only_wanted(table: Table, tab: str) -> Table:
    wanted = _WANTED_KEYS[tab]
    keep = [i for i, h in enumerate(table.headers) if header_key(h) in wanted]
    return Table(
        path=table.path,
        headers=[table.headers[i] for i in keep],
        columns=[table.columns[i] for i in keep],
        lines=table.lines,
        header_line=table.header_line,
        sheet=table.sheet,
        warnings=table.warnings,
    )


def _read_workbook(path: str, data: bytes) -> dict[str, _Tab]:
    """The wanted tabs of a workbook, only their wanted columns."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        tabs: dict[str, _Tab] = {}
        for meta in book.sheets_metadata:
            tab = meta.name.strip().lower()
            if meta.typ != SheetTypeEnum.WorkSheet or tab not in TABS or tab in tabs:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=True)
            first_row = sheet.start[0] if sheet.start else 0
            table = _sheet_table(path, meta.name, rows, first_row, _WANTED_KEYS[tab])
            if table is not None:
                tabs[tab] = _Tab(tab, table, f"{path} ({meta.name})")
    except InputError:
        raise
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # the workbook reader raises many kinds on bad bytes
        raise InputError(path, f"cannot read the workbook: {exc}") from None
    return tabs


def _sheet_table(
    path: str, sheet: str, rows: list[list[Any]], first_row: int, wanted: set[str]
) -> Table | None:
    """A table of the wanted columns; rows blank in all of them are dropped (RVTools and
    Excel leave formatted empty rows at the end)."""
    header_at = None
    for i, row in enumerate(rows[:50]):
        if sum(1 for v in row if not is_blank(v)) >= 2:
            header_at = i
            break
    if header_at is None:
        return None
    headers = [cell_text(v).strip() for v in rows[header_at]]
    keep = [j for j, h in enumerate(headers) if header_key(h) in wanted]
    body = rows[header_at + 1 :]
    width = min((len(r) for r in body), default=0)
    if body and keep and width > max(keep):
        # Pick the wanted cells and transpose them at C speed (itemgetter, zip).
        picked = map(operator.itemgetter(*keep, keep[0]), body)
        raw = list(zip(*picked, strict=True))[: len(keep)]
    else:
        raw = [tuple(r[j] if j < len(r) else "" for r in body) for j in keep]
    columns = [
        np.array([v if v.__class__ is str else cell_text(v) for v in column], dtype=object)
        for column in raw
    ]
    lines = np.arange(len(body), dtype=np.int64) + first_row + header_at + 2
    if columns and len(body):
        filled = np.zeros(len(body), dtype=bool)
        for column in columns:
            filled |= column != ""
        if not filled.all():
            columns = [c[filled] for c in columns]
            lines = lines[filled]
    elif not columns:
        lines = lines[:0]
    return Table(
        path=path,
        headers=[headers[j] for j in keep],
        columns=columns,
        lines=lines,
        header_line=first_row + header_at + 1,
        sheet=sheet,
    )


# --------------------------------------------------------------------------- cell parsers


def _firmware(value: Any) -> str | None:
    if is_blank(value):
        return None
    key = str(value).strip().lower()
    if key in ("bios", "efi"):
        return key
    if key == "uefi":
        return "efi"
    raise ValueError(f"{value!r} is not bios or efi")


def _power_state(value: Any) -> str | None:
    if isinstance(value, str) and value.strip().lower() == "suspended":
        return "Saved"
    return to_vm_state(value)


def _mebibytes(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else round(number * 2**20)


def _number(value: Any) -> float | None:
    if is_blank(value):
        return None
    try:
        number = float(str(value).strip().replace(",", ""))
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if number < 0 or number != number:
        raise ValueError(f"{value!r} is not a size")
    return number


def _hardware_version(value: Any) -> str | None:
    text = to_text(value)
    if text is None:
        return None
    match = re.fullmatch(r"(?:vmx-?)?0*(\d{1,3})(?:\.0+)?", text.strip(), re.IGNORECASE)
    if not match:
        raise ValueError(f"{text!r} is not a hardware version (such as vmx-19 or 19)")
    return match.group(1)


@dataclass(frozen=True)
class _Link(Field):
    """A vInfo column kept beside the ``vms`` columns to tie the other tabs to their VM."""

    @property
    def dtype(self) -> str:
        return "string"


_CHOSEN_OS = "\x00os"
_VINFO_FIELDS: tuple[Field, ...] = (
    Field("VM", "name", to_text, _ALIASES["vinfo"]["vm"][1:]),
    Field("VM UUID", "vm_id", to_text, _ALIASES["vinfo"]["uuid"][1:]),
    Field("Host", "host", to_text, _ALIASES["vinfo"]["host"][1:]),
    Field("Cluster", "cluster", to_text, _ALIASES["vinfo"]["cluster"][1:]),
    Field("Datacenter", "datacenter", to_text, _ALIASES["vinfo"]["datacenter"][1:]),
    Field("Powerstate", "state", _power_state, _ALIASES["vinfo"]["powerstate"][1:]),
    Field("Firmware", "firmware", _firmware, _ALIASES["vinfo"]["firmware"][1:]),
    Field("EFI Secure boot", "secure_boot", to_bool, _ALIASES["vinfo"]["secure_boot"][1:]),
    Field("HW version", "hardware_version", _hardware_version, _ALIASES["vinfo"]["hw_version"][1:]),
    Field("CPUs", "processor_count", to_count, _ALIASES["vinfo"]["cpus"][1:]),
    Field("Memory", "memory_startup_bytes", _mebibytes, _ALIASES["vinfo"]["memory"][1:]),
    Field("Annotation", "notes", to_text, _ALIASES["vinfo"]["annotation"][1:]),
    Field("Primary IP Address", "ip_addresses", to_text, _ALIASES["vinfo"]["ip"][1:]),
    Field("DNS Name", "guest_fqdn", to_text, _ALIASES["vinfo"]["dns"][1:]),
    Field(_CHOSEN_OS, "os_name", to_text),
    _Link("VM ID", "_moref", to_text, _ALIASES["vinfo"]["moref"][1:]),
    _Link("VI SDK Server", "_server", to_text, _ALIASES["vinfo"]["server"][1:]),
)


# --------------------------------------------------------------------------- building


def build(path: str, tabs: dict[str, _Tab]) -> SourceResult:
    """The inventory of one RVTools export (``tabs`` by lower-case tab name)."""
    with gc_paused():
        return _build(path, tabs)


def _build(path: str, tabs: dict[str, _Tab]) -> SourceResult:
    info = tabs["vinfo"]
    table = info.table
    match = match_headers(table.headers, _ALIASES["vinfo"])
    if "vm" not in match:
        raise InputError(
            info.where, "an RVTools vInfo sheet without a VM column (VM, Name or vInfoVMName)"
        )
    warnings: list[RowWarning] = list(table.warnings)
    notes: list[str] = []

    def raw(field: str) -> np.ndarray:
        if field in match:
            return table.columns[match.columns[field]]
        return np.full(len(table), "", dtype=object)

    template = _flags(raw("template"))
    placeholder = _flags(raw("srm"))
    skipped = template | placeholder
    names = raw("vm")
    for flag, what in ((template, "template(s)"), (placeholder, "SRM placeholder(s)")):
        count = int(flag.sum())
        if count:
            shown = ", ".join(str(n) for n in names[flag][:5]) + (", ..." if count > 5 else "")
            notes.append(
                f"{path}: {count} VMware {what} listed apart, not assessed as VMs ({shown})"
            )
    skipped_ids = _identities(table, match, skipped)

    running = np.array(
        [str(s).strip().lower() == "poweredon" for s in raw("powerstate")], dtype=bool
    )
    tools, config = raw("os_tools"), raw("os_config")
    tools_known = np.array([bool(str(t).strip()) for t in tools], dtype=bool)
    chosen = np.where(running & tools_known, tools, config)
    kept = Table(
        path=table.path,
        headers=[*table.headers, _CHOSEN_OS],
        columns=[c[~skipped] for c in [*table.columns, chosen]],
        lines=table.lines[~skipped],
        header_line=table.header_line,
        sheet=table.sheet,
    )
    vms, cell_warnings = vms_from_table(kept, _VINFO_FIELDS, kind=KIND, origin=path)
    warnings += [_rename(w, info.where) for w in cell_warnings]
    _guest_columns(vms, dict(zip(kept.lines.tolist(), config[~skipped].tolist(), strict=True)))
    vms["source_platform"] = "vmware"

    link = _Linker(vms, skipped_ids, path)
    frames: dict[str, pd.DataFrame] = {"vms": vms}
    listed = {"disks": False, "nics": False, "dvd_drives": False, "floppies": False}
    readers: dict[str, tuple[str, Callable[[_Tab, _Linker, list[RowWarning]], pd.DataFrame]]] = {
        "vdisk": ("disks", _disks),
        "vnetwork": ("nics", _nics),
        "vcd": ("dvd_drives", _dvd_drives),
        "vfloppy": ("floppies", _floppies),
    }
    for tab, (name, reader) in readers.items():
        if tab in tabs:
            frames[name] = reader(tabs[tab], link, warnings)
            listed[name] = True
    for tab, column in (("vusb", "usb_device_count"), ("vsnapshot", "checkpoint_count")):
        if tab in tabs:
            counts = _counts(tabs[tab], link)
            vms[column] = vms["vm_key"].map(counts).fillna(0).astype("Int64")
    if "vdisk" in tabs:
        disks = frames["disks"]
        independent = disks["disk_mode"].str.startswith("independent").fillna(False)
        counts = disks.loc[independent, "vm_key"].value_counts()
        vms["independent_disk_count"] = vms["vm_key"].map(counts).fillna(0).astype("Int64")
    for table_name, is_listed in listed.items():
        vms[f"{table_name}_listed"] = is_listed
    vms["com_ports_listed"] = False
    if "vhost" in tabs:
        frames["hosts"] = _hosts(tabs["vhost"], warnings)
    if link.orphans:
        for where, count in link.orphans.items():
            warnings.append(
                RowWarning(where, None, None, f"{count} row(s) name no VM of vInfo; left out")
            )
    return SourceResult(
        path=path,
        kind=KIND,
        inventory=Inventory.from_frames(frames),
        warnings=warnings,
        rows_read=len(table),
        notes=notes,
        templates=[str(n).strip() for n in names[skipped] if str(n).strip()],
    )


def _rename(warning: RowWarning, where: str) -> RowWarning:
    return RowWarning(where, warning.line, warning.column, warning.message)


def _flags(cells: np.ndarray) -> np.ndarray:
    """``True`` cells of a True/False column (blank or unreadable: not flagged)."""
    return np.array([str(c).strip().lower() in ("true", "yes", "1") for c in cells], dtype=bool)


_BITS = re.compile(r"\((32|64)-?bit\)", re.IGNORECASE)


def _bits(text: object) -> str | None:
    found = _BITS.search(text) if isinstance(text, str) else None
    return f"{found.group(1)}-bit" if found else None


def _guest_columns(vms: pd.DataFrame, config_by_line: dict[int, str]) -> None:
    """The architecture from vCenter's ``(64-bit)``; a Tools name without it takes the
    configured type's. The OS name stays as written: the OS identification reads it."""
    if "os_name" not in vms:
        return
    lines = vms["source"].str.rsplit(":", n=1).str[1].astype(int)
    arches = [
        _bits(text) or _bits(config_by_line.get(line))
        for text, line in zip(vms["os_name"].tolist(), lines.tolist(), strict=True)
    ]
    vms["os_architecture"] = pd.array(arches, dtype="string")


#: How another tab's rows are tied to a VM, in order: (link, vInfo column, compared in
#: lower case). The name is tried as written before in any case, so that a template named
#: like a VM but for case ("fALSE" / "FALSE") keeps its rows out of that VM.
_LINKS = (
    ("uuid", "uuid", True),
    ("moref", "moref", True),
    ("name", "vm", False),
    ("vm", "vm", True),
)


def _link_value(value: object, lower: bool) -> str:
    text = str(value).strip()
    return text.lower() if lower else text


def _identities(table: Table, match: Any, mask: np.ndarray) -> set[str]:
    """Link keys of the rows in ``mask`` (templates): their rows elsewhere are skipped."""
    found: set[str] = set()
    for link, field, lower in _LINKS:
        if field in match:
            column = table.columns[match.columns[field]][mask]
            found.update(f"{link}:{_link_value(v, lower)}" for v in column if str(v).strip())
    return found


class _Linker:
    """Ties the rows of another tab to their VM: by VM UUID, else VM ID, else name (as
    written, then in any case)."""

    def __init__(self, vms: pd.DataFrame, skipped: set[str], origin: str) -> None:
        self.origin = origin
        self.skipped = skipped
        keys = vms["vm_key"]
        self.by: dict[str, pd.Series] = {}
        real_ids = vms["vm_id"].where(~vms["vm_id_synthetic"].fillna(True).astype(bool))
        columns = {"uuid": real_ids, "moref": vms.get("_moref"), "vm": vms["name"]}
        for link, field, lower in _LINKS:
            column = columns[field]
            if column is None:
                continue
            values = column.astype("string").str.strip()
            if lower:
                values = values.str.lower()
            table = pd.Series(keys.to_numpy(), index=values.to_numpy())
            table = table[table.index.notna() & ~table.index.duplicated()]
            self.by[link] = table
        self.host = pd.Series(vms["host"].to_numpy(), index=keys.to_numpy())
        self.orphans: dict[str, int] = {}

    def keys(self, tab: _Tab, match: Any) -> pd.Series:
        """The ``vm_key`` of every row (NA: a template's row, or no VM found)."""
        table = tab.table
        found = pd.Series(pd.NA, index=range(len(table)), dtype="string")
        settled = np.zeros(len(table), dtype=bool)  # found, or a template's row
        for link, field, lower in _LINKS:
            if field not in match:
                continue
            values = pd.Series(table.columns[match.columns[field]]).str.strip()
            if lower:
                values = values.str.lower()
            usable = ~settled & values.ne("").to_numpy()
            if not usable.any():
                continue
            hits = values.map(self.by.get(link, pd.Series(dtype=object)))
            hit = usable & hits.notna().to_numpy()
            found[hit] = hits[hit]
            skipped = usable & ~hit & values.map(lambda v, f=link: f"{f}:{v}" in self.skipped)
            settled |= hit | skipped.to_numpy(dtype=bool)
        orphans = int((~settled).sum())
        if orphans:
            self.orphans[tab.where] = self.orphans.get(tab.where, 0) + orphans
        return found


def _parsed(
    tab: _Tab,
    match: Any,
    field: str,
    parser: Callable[[Any], Any],
    dtype: str,
    warnings: list[RowWarning],
) -> pd.Series:
    """One column parsed (NA where blank or unreadable, with a warning naming the cell)."""
    table = tab.table
    if field not in match:
        return pd.Series(pd.NA, index=range(len(table)), dtype=dtype)
    values, messages = parse_column(table.columns[match.columns[field]], parser, dtype)
    if messages is not None:
        header = match.header(field)
        for i, message in enumerate(messages):
            if message is not None:
                warnings.append(
                    RowWarning(tab.where, int(table.lines[i]), header, f"{message}; left unknown")
                )
    return pd.Series(values, index=range(len(table)))


def _detail_frame(
    tab: _Tab, link: _Linker, keys: pd.Series, columns: dict[str, Any]
) -> pd.DataFrame:
    """The rows tied to a VM, with their row keys (host, vm_key, origin, source)."""
    tied = keys.notna().to_numpy()
    lines = tab.table.lines[tied]
    frame = pd.DataFrame(
        {name: pd.Series(values)[tied].reset_index(drop=True) for name, values in columns.items()}
    )
    vm_keys = keys[tied].reset_index(drop=True)
    frame["vm_key"] = vm_keys
    frame["host"] = vm_keys.map(link.host).astype("string")
    frame["origin"] = link.origin
    frame["source"] = [f"{tab.where}:{line}" for line in lines.tolist()]
    return frame


def _counts(tab: _Tab, link: _Linker) -> pd.Series:
    """Rows per VM (vUSB devices, vSnapshot snapshots)."""
    match = match_headers(tab.table.headers, _ALIASES[tab.name])
    return link.keys(tab, match).dropna().value_counts()


_CONTROLLER_NUMBER = re.compile(r"(?:controller|ide|sata|nvme)\s*(\d+)", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def controller_bus(*texts: object) -> str | None:
    """IDE, SATA, NVMe or SCSI from a controller model or label."""
    text = " ".join(str(t) for t in texts if isinstance(t, str)).lower()
    if not text.strip():
        return None
    if re.search(r"\bide\b", text):
        return "IDE"
    if "sata" in text or "ahci" in text:
        return "SATA"
    if "nvme" in text:
        return "NVMe"
    if re.search(r"scsi|lsi|buslogic|paravirtual|pvscsi", text):
        return "SCSI"
    return None


@functools.lru_cache(maxsize=1024)
def _controller_number(*texts: object) -> int | None:
    found = _CONTROLLER_NUMBER.search(" ".join(str(t) for t in texts if isinstance(t, str)))
    return int(found.group(1)) if found else None


def _na(value: Any) -> Any:
    return None if value is pd.NA else value


def _disks(tab: _Tab, link: _Linker, warnings: list[RowWarning]) -> pd.DataFrame:
    match = match_headers(tab.table.headers, _ALIASES["vdisk"])
    keys = link.keys(tab, match)

    def column(field: str, parser: Callable[[Any], Any], dtype: str) -> pd.Series:
        return _parsed(tab, match, field, parser, dtype, warnings)

    raw = column("raw", to_bool, "boolean")
    thin = column("thin", to_bool, "boolean")
    sharing = column("sharing", to_text, "string")
    paths = column("path", to_text, "string")
    pairs = list(
        zip(
            map(_na, column("controller", to_text, "string").tolist()),
            map(_na, column("controller_label", to_text, "string").tolist()),
            strict=True,
        )
    )
    is_raw = raw.fillna(False).astype(bool)
    vhd_type = thin.map({True: "Dynamic", False: "Fixed"}).astype("string")
    delta = paths.str.contains(r"-\d{6}\.vmdk$", case=False, regex=True).fillna(False)
    vhd_type = vhd_type.mask(delta.astype(bool), "Differencing").mask(is_raw)
    shared = sharing.str.lower().str.replace("-", "").str.contains("multiwriter", regex=False)
    columns = {
        "controller_type": [controller_bus(c, label) for c, label in pairs],
        "controller_number": [_controller_number(label, c) for c, label in pairs],
        "controller_location": column("unit", to_int, "Int64"),
        "label": column("disk", to_text, "string"),
        "path": paths,
        "raw_mapping": raw,
        "disk_mode": column("disk_mode", to_text, "string"),
        "shared": shared,
        "vhd_format": pd.Series("VMDK", index=raw.index, dtype="string").mask(is_raw),
        "vhd_type": vhd_type,
        "size_bytes": column("capacity", _mebibytes, "Int64"),
    }
    return _detail_frame(tab, link, keys, columns)


def _nics(tab: _Tab, link: _Linker, warnings: list[RowWarning]) -> pd.DataFrame:
    match = match_headers(tab.table.headers, _ALIASES["vnetwork"])
    keys = link.keys(tab, match)
    labels = _parsed(tab, match, "label", to_text, "string", warnings)
    adapters = _parsed(tab, match, "adapter", to_text, "string", warnings)
    name = labels.fillna(adapters)
    name = name.mask(labels.notna() & adapters.notna(), labels + " (" + adapters + ")")
    columns = {
        "name": name,
        # A VMware adapter (E1000, VMXNET3 ...) is no Hyper-V legacy adapter: the
        # conversion gives the new VM synthetic adapters.
        "is_legacy": pd.Series(False, index=labels.index, dtype="boolean"),
        "switch_name": _parsed(tab, match, "network", to_text, "string", warnings),
        "mac": _parsed(tab, match, "mac", to_mac, "string", warnings),
    }
    return _detail_frame(tab, link, keys, columns)


@functools.lru_cache(maxsize=1024)
def media_type(device_type: object, path: object, connected: object) -> str | None:
    """ISO, Physical (a host's drive) or None (nothing attached) from a vCD/vFloppy row."""
    text = " ".join(str(t) for t in (device_type, path) if isinstance(t, str)).lower()
    if ".iso" in text or "iso" in re.findall(r"[a-z]+", text) or ".flp" in text or "image" in text:
        return "ISO"
    if "host" in text or "passthrough" in text or "atapi" in text:
        return "Physical"
    if "client" in text or "remote" in text or connected is False:
        return "None"
    return None


def _devices(tab: _Tab, link: _Linker, warnings: list[RowWarning]) -> tuple[pd.Series, ...]:
    match = match_headers(tab.table.headers, _ALIASES[tab.name])
    keys = link.keys(tab, match)
    types = _parsed(tab, match, "device_type", to_text, "string", warnings)
    paths = _parsed(tab, match, "path", to_text, "string", warnings)
    connected = _parsed(tab, match, "connected", to_bool, "boolean", warnings)
    media = pd.Series(
        [
            media_type(_na(t), _na(p), _na(c))
            for t, p, c in zip(types.tolist(), paths.tolist(), connected.tolist(), strict=True)
        ],
        index=types.index,
        dtype="string",
    )
    return keys, media, paths


def _dvd_drives(tab: _Tab, link: _Linker, warnings: list[RowWarning]) -> pd.DataFrame:
    keys, media, paths = _devices(tab, link, warnings)
    columns = {"media_type": media, "path": paths.where(media.eq("ISO").fillna(False))}
    return _detail_frame(tab, link, keys, columns)


def _floppies(tab: _Tab, link: _Linker, warnings: list[RowWarning]) -> pd.DataFrame:
    keys, media, paths = _devices(tab, link, warnings)
    # A floppy with an image (or a host's drive) attached counts as media.
    attached = media.isin(["ISO", "Physical"]).fillna(False)
    return _detail_frame(tab, link, keys, {"path": paths.fillna(media).where(attached)})


def _hosts(tab: _Tab, warnings: list[RowWarning]) -> pd.DataFrame:
    match = match_headers(tab.table.headers, _ALIASES["vhost"])
    names = _parsed(tab, match, "host", to_text, "string", warnings)
    clusters = _parsed(tab, match, "cluster", to_text, "string", warnings)
    versions = _parsed(tab, match, "esx", to_text, "string", warnings)
    known = names.notna().to_numpy()
    rows: Iterable[dict[str, Any]] = (
        {
            "host": names[i],
            "cluster": _na(clusters[i]),
            "os_caption": _na(versions[i]),
            "source": f"{tab.where}:{int(tab.table.lines[i])}",
        }
        for i in np.flatnonzero(known).tolist()
    )
    return table_from_rows("hosts", rows)
