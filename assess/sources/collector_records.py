"""Collector output: JSON Lines records (``host``, ``vm`` ..., ``end``) from one or more hosts.

The offline collector writes these lines to a file; the live scan receives the very same lines
over PowerShell Remoting and feeds them through ``parse_record_lines``. The reader is
tolerant of what Windows PowerShell 5.1 ``ConvertTo-Json`` and hand-edited files produce:

- enums as names or numbers; ``/Date(ms)/`` or ISO dates;
- a lone object where a list is expected (5.1 unwraps one-element arrays without
  ``-InputObject``), ``null`` for a section that could not be read;
- ``diskNumber`` null, ``""`` or 4294967295 for a virtual (not pass-through) disk;
- UTF-8 with or without BOM, UTF-16 (``Out-File``); a whole-file JSON array of records;
- keys in any case; unknown keys are ignored; a line that is not JSON is a warning and the
  rest is read;
- a host section without its ``end`` record means the output was cut short: the result is
  marked ``truncated`` and says how many VMs were read.

A section the collector could not read is ``null`` (and named in the record's ``errors``):
it is unknown, never "none". A ``*_listed`` flag is True when the record holds that device
list (``[]`` included) and no collection error names its cmdlet: only then does "no rows"
mean "no such device".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from assess import forked
from assess.gc_pause import gc_paused
from assess.model.diagnostics import InputError, RowWarning
from assess.model.inventory import (
    TABLE_NAMES,
    Inventory,
    make_vm_key,
    synthetic_vm_id,
    table_from_rows,
    with_key_protector_nodes,
)
from assess.model.os_identity import OsNames
from assess.sources import SourceResult, text_files
from assess.sources.cell_values import (
    as_list,
    os_architecture_parser,
    to_bool,
    to_boot_device,
    to_checkpoint_type,
    to_config_version,
    to_controller_type,
    to_count,
    to_disk_number,
    to_generation,
    to_int,
    to_iso_datetime,
    to_mac,
    to_media_type,
    to_on_off,
    to_port_mirroring,
    to_private_vlan_mode,
    to_replication_state,
    to_start_action,
    to_stop_action,
    to_text,
    to_vhd_format,
    to_vhd_type,
    to_vlan_id,
    to_vlan_list,
    to_vlan_mode,
    to_vm_checkpoint_type,
    to_vm_state,
)
from assess.sources.field_bounds import clean_record, needs_cleaning

KIND = "collector"
#: Record schema this reader knows. 1: the assessment facts; 2 adds what a rebuild needs
#: (processor, memory, NIC port and VLAN settings, disk QoS, DVD slot, start/stop actions,
#: checkpoint type, paths, vTPM, Replica settings, cluster role, host guardian). Schema 1
#: records read as before, the schema 2 columns unknown.
SCHEMA_VERSION = 2

#: Device lists: flag column -> (record key, what a collection error names for it).
_LISTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "disks_listed": ("disks", ("get-vmharddiskdrive", "harddiskdrive", "disks")),
    "nics_listed": ("nics", ("get-vmnetworkadapter", "networkadapter", "nics")),
    "floppies_listed": ("floppy", ("get-vmfloppydiskdrive", "floppy")),
    "com_ports_listed": ("comPorts", ("get-vmcomport", "comport")),
    "dvd_drives_listed": ("dvd", ("get-vmdvddrive", "dvddrive", "dvd")),
    "integration_services_listed": (
        "integrationServices",
        ("get-vmintegrationservice", "integrationservice"),
    ),
}
#: Other sections whose values are unknown when their cmdlet failed.
_SECTIONS: dict[str, tuple[str, ...]] = {
    "snapshots": ("get-vmsnapshot", "get-vmcheckpoint", "snapshot", "checkpoint"),
    "bios": ("get-vmbios", "bios"),
    "firmware": ("get-vmfirmware", "firmware"),
    "integrationServices": ("get-vmintegrationservice", "integrationservice"),
    "guest": ("kvp", "guest", "msvm_kvpexchangecomponent"),
    "remoteFx3d": ("get-vmremotefx3dvideoadapter", "remotefx"),
    "processor": ("get-vmprocessor",),
    "memory": ("get-vmmemory",),
    "security": ("get-vmsecurity",),
    "replication": ("get-vmreplication",),
    "clusterGroup": ("get-clustergroup", "get-clusterownernode"),
}
#: A failed VLAN query costs that adapter's VLAN, not the adapter list.
_NOT_THE_NIC_LIST = ("vlan",)
#: Guest KVP item -> ``vms`` column.
_KVP: dict[str, str] = {
    "osname": "os_name",
    "osversion": "os_version",
    "osmajorversion": "os_major",
    "osminorversion": "os_minor",
    "osbuildnumber": "os_build",
    "producttype": "os_product_type",
    "integrationservicesversion": "integration_services_version",
    "fullyqualifieddomainname": "guest_fqdn",
}
_KVP_LABELS = tuple((key, column, f"guest.{key}") for key, column in _KVP.items())
_DATA_EXCHANGE = ("key-value pair exchange", "data exchange")


def sniff(path: str, head: bytes) -> bool:
    """The first JSON object in the file is a collector record (has a known ``kind``)."""
    text = text_files.decode_head(head).lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        text = text[1:].lstrip()
    if not text.startswith("{"):
        return False
    try:
        first, _ = _DECODER.raw_decode(text)
    except (json.JSONDecodeError, RecursionError):
        # The head ends inside the first record: the collector writes "kind" first.
        return _KIND_FIRST.match(text) is not None
    return isinstance(first, dict) and str(_get(first, "kind", "")).lower() in _KINDS


_KINDS = ("host", "vm", "end")
_KIND_FIRST = re.compile(r'\{\s*"kind"\s*:\s*"(host|vm|end)"', re.IGNORECASE)


def load(path: str, os_names: OsNames | None = None) -> SourceResult:
    """Read a collector output file. ``InputError`` when it holds no record at all.
    ``os_names`` (with ``--rules`` names) reads ProcessorArchitecture; built-in if None."""
    text = text_files.read_text(path)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("[") or _one_document(stripped):
        items = _array_items(text, path)
        result = _parse(((line, None, item) for line, item in items), path, path, os_names)
    else:
        result = _parse_file_lines(text.split("\n"), path, os_names)
    if result.rows_read == 0:
        raise InputError(path, "no collector records (JSON objects with kind host, vm or end)")
    return result


def parse_record_lines(
    lines: Iterable[str],
    origin: str,
    path_for_messages: str,
    os_names: OsNames | None = None,
) -> SourceResult:
    """Parse collector lines as they come (a file, or output received from a host).

    ``origin`` fills the ``origin`` column and prefixes ``source`` (``origin:line``);
    ``path_for_messages`` names the input in warnings. Line numbers count the strings
    given, one per line (a string holding several lines is split). ``os_names``: the
    guest OS names in use (with ``--rules`` names); the built-in ones when None.
    """

    def numbered() -> Iterator[tuple[int, str | None, Any]]:
        number = 0
        for chunk in lines:
            for line in chunk.split("\n") if "\n" in chunk else (chunk,):
                number += 1
                yield number, line, None

    return _parse(numbered(), origin, path_for_messages, os_names)


def _one_document(text: str) -> bool:
    """A single record written over several lines (pretty-printed), not JSON Lines."""
    first_line = text.split("\n", 1)[0].strip()
    try:
        _DECODER.decode(first_line)
        return False
    except (json.JSONDecodeError, RecursionError):
        pass
    try:
        return isinstance(_DECODER.decode(text), dict)
    except (json.JSONDecodeError, RecursionError):
        return False


def _array_items(text: str, path: str) -> list[tuple[int, Any]]:
    """Elements of a whole-file JSON array (or one pretty-printed record) with the line
    each starts on."""
    decoder = _DECODER
    stripped = text.lstrip("\ufeff \t\r\n")
    start = text.index("[") + 1 if stripped.startswith("[") else text.index("{")
    items: list[tuple[int, Any]] = []
    position = start
    length = len(text)
    while True:
        while position < length and text[position] in " \t\r\n,":
            position += 1
        if position >= length or text[position] == "]":
            return items
        line = text.count("\n", 0, position) + 1
        try:
            item, position = decoder.raw_decode(text, position)
        except (ValueError, RecursionError) as exc:
            problem = _json_problem(exc)
            after = _value_end(text, position) if not isinstance(exc, json.JSONDecodeError) else -1
            if after < 0:
                items.append((line, _Broken(f"not valid JSON ({problem}); the rest is ignored")))
                return items
            # Well-formed but unusable (too deep, a too long number): skip this element only.
            items.append((line, _Broken(f"record not read ({problem}); skipped")))
            position = after
            continue
        items.append((line, item))
        if len(items) == 1 and not isinstance(item, dict):
            raise InputError(path, "a JSON array, but not of collector records")


def _value_end(text: str, start: int) -> int:
    """Index just after the JSON value starting at ``start`` (brackets matched outside
    strings), or -1 when it does not end."""
    depth = 0
    in_string = escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                if depth == 0:
                    return index + 1
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth <= 0:
                return index + 1
        elif depth == 0 and char in ",\r\n \t":
            return index
    return -1


@dataclass
class _Broken:
    message: str


# --------------------------------------------------------------------------- parsing


class _LowerCase(dict[str, str]):
    """Each key in lower case, computed once per key: the few dozen names a collector
    writes repeat on every record (a lookup is cheaper than ``str.lower``, and each record
    then shares one string per key). Kept for ``MAX_KEYS`` keys at most: hostile input
    may bring millions of distinct ones."""

    MAX_KEYS = 4_096

    def __missing__(self, key: str) -> str:
        lower = key.lower()
        if len(self) < self.MAX_KEYS:
            self[key] = lower
        return lower


_LOWER = _LowerCase()
_lower = _LOWER.__getitem__


def _lower_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {_lower(key): value for key, value in pairs}


#: Decodes JSON with every object key in lower case, so fields match in any case.
_DECODER = json.JSONDecoder(object_pairs_hook=_lower_keys)


def _get(record: Any, key: str, default: Any = None) -> Any:
    """``record[key]``, the key matched in any case (decoded keys are lower case)."""
    if not isinstance(record, dict):
        return default
    return record.get(_LOWER[key], default)


@dataclass
class _HostSection:
    row: dict[str, Any]
    line: int
    name: str | None
    cluster: str | None
    vms: int = 0
    ended: bool = False


@dataclass
class _State:
    origin: str
    path: str
    warnings: list[RowWarning] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in TABLE_NAMES}
    )
    section: _HostSection | None = None
    records: int = 0
    truncated: bool = False
    warned_no_host: bool = False
    seen_keys: dict[str, int] = field(default_factory=dict)  # vm_key -> line
    os_names: OsNames | None = None  # with the names of --rules folders; None: built-in

    def warn(self, line: int | None, column: str | None, message: str) -> None:
        self.warnings.append(RowWarning(self.path, line, column, message))


def _parse(
    items: Iterable[tuple[int, str | None, Any]],
    origin: str,
    path: str,
    os_names: OsNames | None = None,
) -> SourceResult:
    state = _State(origin=origin, path=path, os_names=os_names)
    with gc_paused():
        _read(state, items)
        return _finish(state)


def _read(state: _State, items: Iterable[tuple[int, str | None, Any]]) -> None:
    """Read ``(line number, line text or None, decoded value or None)`` items into ``state``."""
    for line, text, value in items:
        if text is not None:
            value = _decode_line(state, line, text)
            if value is None:
                continue
        else:
            value = _clean(state, line, value)
        if isinstance(value, _Broken):
            state.warn(line, None, value.message)
            continue
        if value is None:
            continue
        for record in value if isinstance(value, list) else [value]:
            _dispatch(state, line, record)


def _finish(state: _State) -> SourceResult:
    """The last section closed, the rows made tables."""
    _close_section(state, at_end=True)
    return _result(state, _tables(state))


def _tables(state: _State) -> dict[str, pd.DataFrame]:
    return {name: table_from_rows(name, rows) for name, rows in state.tables.items()}


def _result(state: _State, tables: dict[str, pd.DataFrame]) -> SourceResult:
    inventory = Inventory.from_frames(tables)
    inventory.tables["hosts"] = with_key_protector_nodes(inventory.tables["hosts"])
    return SourceResult(
        path=state.origin,
        kind=KIND,
        inventory=inventory,
        warnings=state.warnings,
        rows_read=state.records,
        truncated=state.truncated,
    )


# ------------------------------------------------------------- a big file read in two parts
#: Files with fewer lines are read in one go (a second process costs more than it saves).
SPLIT_FROM_LINES = 4_000
#: The share of the lines read here; a forked child reads the rest and sends its tables
#: (about 0.1 s to send and 0.05 s to receive at 10,000 VMs), so this side reads a bit more.
HERE_SHARE = 0.52


@dataclass
class _Part:
    """What the child sends back: its state (without rows) and its rows as tables."""

    state: _State
    tables: dict[str, pd.DataFrame]


def _parse_file_lines(lines: list[str], path: str, os_names: OsNames | None) -> SourceResult:
    """``parse_record_lines`` of a file's lines, the second part read by a forked child.

    The file is cut just before a host record. There a sequential read carries over only
    the open host section (closed here as that host record would close it), the VM keys
    seen (for "same VM as line N") and whether a host-less VM was warned about. When the
    child's part starts otherwise (the line only looks like a host record), or shares a VM
    key or that warning with this part, both parts are dropped and the file is read again
    in one go: the result is the sequential one either way.
    """
    cut = _cut_line(lines)
    if cut is None:
        return parse_record_lines(lines, path, path, os_names)
    job = forked.start(
        lambda report: _read_part(lines, cut, path, os_names),
        name="gen2-assess-records",
        what=f"reading {path}",
    )
    if job is None:
        return parse_record_lines(lines, path, path, os_names)
    state = _State(origin=path, path=path, os_names=os_names)
    with gc_paused():
        try:
            _read(state, _numbered(lines, 0, cut))
            _close_section(state, at_end=False)  # what the child's first host record does
            tables = _tables(state)
        except BaseException:
            job.cancel()
            raise
        part: _Part | None = job.wait()
        if part is None or not _joins(state, part.state):
            return parse_record_lines(lines, path, path, os_names)
        return _result(_merged(state, part.state), _concat(tables, part.tables))


def _cut_line(lines: list[str]) -> int | None:
    """Index of the first host record line at or after ``HERE_SHARE`` of the lines."""
    if len(lines) < SPLIT_FROM_LINES:
        return None
    for index in range(int(len(lines) * HERE_SHARE), len(lines)):
        found = _KIND_FIRST.match(lines[index])
        if found is not None and found.group(1).lower() == "host":
            return index
    return None


def _numbered(lines: list[str], start: int, stop: int) -> Iterator[tuple[int, str | None, Any]]:
    for index in range(start, stop):
        yield index + 1, lines[index], None


def _read_part(lines: list[str], cut: int, path: str, os_names: OsNames | None) -> _Part | None:
    """The child's part, read to the end of the file; None when its first line is not a
    host record that opens a section."""
    state = _State(origin=path, path=path, os_names=os_names)
    _read(state, _numbered(lines, cut, cut + 1))
    if state.section is None or state.section.line != cut + 1:
        return None
    _read(state, _numbered(lines, cut + 1, len(lines)))
    _close_section(state, at_end=True)
    tables = _tables(state)
    state.tables, state.os_names = {}, None  # the parent has both: not sent back
    return _Part(state, tables)


def _joins(state: _State, other: _State) -> bool:
    """Whether the child's part reads the same after this part as on its own."""
    if state.warned_no_host and other.warned_no_host:
        return False
    return state.seen_keys.keys().isdisjoint(other.seen_keys)


def _merged(state: _State, other: _State) -> _State:
    state.warnings += other.warnings
    state.records += other.records
    state.truncated = state.truncated or other.truncated
    return state


def _concat(
    first: dict[str, pd.DataFrame], second: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Each table of the first part followed by the same table of the second."""
    joined = {}
    for name, table in first.items():
        other = second[name]
        if not len(other):
            joined[name] = table
        elif not len(table):
            joined[name] = other
        else:
            joined[name] = pd.concat([table, other], ignore_index=True)
    return joined


def _decode_line(state: _State, line: int, text: str) -> Any:
    stripped = text.strip().lstrip("\ufeff").rstrip(",")
    if not stripped or stripped in ("[", "]"):
        return None
    try:
        value = _DECODER.decode(stripped)
    except (ValueError, RecursionError) as exc:
        preview = stripped if len(stripped) <= 40 else stripped[:37] + "..."
        reason = _json_problem(exc)
        state.warn(line, None, f"not a JSON record ({reason}): {preview!r}; line skipped")
        return None
    if needs_cleaning(stripped):
        value = _clean(state, line, value)
    return value


def _json_problem(exc: BaseException) -> str:
    """What is wrong with a JSON text, in a few words."""
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc).split(";")[0][:120]  # e.g. an integer over Python's 4,300 digits


def _clean(state: _State, line: int, value: Any) -> Any:
    """The record with over-long texts cut and invalid characters replaced (warned)."""

    def warn(column: str, message: str) -> None:
        state.warn(line, column or None, message)

    try:
        return clean_record(value, warn)
    except RecursionError:
        state.warn(line, None, "nested too deeply; line skipped")
        return None


def _dispatch(state: _State, line: int, record: Any) -> None:
    if not isinstance(record, dict):
        state.warn(line, None, "not a JSON object; line skipped")
        return
    kind = str(_get(record, "kind", "") or "").strip().lower()
    handler: Callable[[_State, int, dict[str, Any]], None] | None = {
        "host": _host_record,
        "vm": _vm_record,
        "end": _end_record,
    }.get(kind)
    if handler is None:
        state.warn(line, "kind", f"unknown record kind {kind!r}; line skipped")
        return
    state.records += 1
    try:
        handler(state, line, record)
    except (TypeError, ValueError, AttributeError, OverflowError, RecursionError) as exc:
        # Arbitrary JSON can be shaped in ways no field reader expects; one such record
        # must not stop the others.
        state.warn(line, None, f"{kind} record could not be read ({exc}); skipped")


_Spec = tuple[tuple[str, str, Callable[[Any], Any], str], ...]


def _spec(
    *fields: tuple[str, str, Callable[[Any], Any]] | tuple[str, str, Callable[[Any], Any], str],
) -> _Spec:
    """``(column, key, parser[, label])`` -> ``(column, key in lower case, parser, label)``;
    the label names the field in a warning and defaults to the key as written."""
    return tuple(
        (field[0], field[1].lower(), field[2], field[3] if len(field) > 3 else field[1])
        for field in fields
    )


class _Reader:
    """Reads fields of one record, turning bad values into NA plus a warning."""

    def __init__(self, state: _State, line: int, prefix: str) -> None:
        self.state = state
        self.line = line
        self.prefix = prefix

    def read(self, record: Any, key: str, parser: Callable[[Any], Any], label: str = "") -> Any:
        """Parse ``record[key]``; ``label`` names the field in a warning (default: the key)."""
        return self.read_at("", record, key, parser, label)

    def read_at(
        self, at: str, record: Any, key: str, parser: Callable[[Any], Any], label: str = ""
    ) -> Any:
        """``read`` for a field under ``at`` (``disks[0].``): the warning names ``at`` +
        ``label`` (default: the key), joined only when there is a warning."""
        if not isinstance(record, dict):
            return None
        return self.parse_at(at, record.get(_LOWER[key]), parser, label or key)

    def parse_at(self, at: str, value: Any, parser: Callable[[Any], Any], label: str) -> Any:
        """``parser(value)`` for a value under ``at``; NA stays NA, a bad value is NA plus a
        warning naming ``at`` + ``label``."""
        if value is None:
            return None
        try:
            return parser(value)
        except (ValueError, TypeError) as exc:
            self.state.warn(self.line, f"{self.prefix}{at}{label}", f"{exc}; left unknown")
            return None

    def fields(
        self, record: dict[str, Any], spec: _Spec, row: dict[str, Any], at: str = ""
    ) -> None:
        """``row[column] = read_at(at, record, key, parser, label)`` for each field of
        ``spec`` (see ``_spec``), in order: the loop every record's fields go through."""
        get = record.get
        for column, key, parser, label in spec:
            value = get(key)
            if value is not None:
                try:
                    value = parser(value)
                except (ValueError, TypeError) as exc:
                    self.state.warn(self.line, f"{self.prefix}{at}{label}", f"{exc}; left unknown")
                    value = None
            row[column] = value

    def parse(self, value: Any, parser: Callable[[Any], Any], label: str) -> Any:
        return self.parse_at("", value, parser, label)


def _section_failed(
    errors: list[tuple[str, str]], aliases: tuple[str, ...], unless: tuple[str, ...] = ()
) -> bool:
    if not errors:
        return False
    return any(
        alias in what and not any(other in what for other in unless)
        for what, _ in errors
        for alias in aliases
    )


def _errors(record: dict[str, Any]) -> list[tuple[str, str]]:
    """``(what, message)`` of each entry of a record's ``errors`` (strings are messages)."""
    found = []
    for item in as_list(_get(record, "errors")):
        if isinstance(item, dict):
            what = _text_of(_get(item, "what")) or ""
            message = _text_of(_get(item, "message")) or ""
        else:
            what, message = "", _text_of(item) or ""
        found.append((what, message))
    return found


def _text_of(value: Any) -> str | None:
    """Text of any JSON value (objects and lists as compact JSON), for error entries."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)[:500]
    return to_text(value)


# --------------------------------------------------------------------------- records


def _host_record(state: _State, line: int, record: dict[str, Any]) -> None:
    _close_section(state, at_end=False)
    reader = _Reader(state, line, "")
    read = reader.read
    schema = _int_or_none(_get(record, "schema"))
    if schema is not None and schema > SCHEMA_VERSION:
        state.warn(
            line,
            "schema",
            f"written by a newer collector (schema {schema}); reading the fields this "
            "version knows",
        )
    name = read(record, "computerName", to_text)
    if name is None:
        state.warn(line, "computerName", "host record without computerName")
    cluster_value = _get(record, "cluster")
    if isinstance(cluster_value, dict):
        cluster = read(cluster_value, "name", to_text, "cluster.name")
    else:
        cluster = read(record, "cluster", to_text)
    versions = [
        reader.parse(v, _version_text, "supportedVmVersions")
        for v in as_list(_get(record, "supportedVmVersions"))
    ]
    errors = _errors(record)
    cluster_nodes = None
    if isinstance(cluster_value, dict):
        node_names = {
            found
            for node in as_list(_get(cluster_value, "nodes"))
            if (found := _node_name(reader, _get(node, "name") if isinstance(node, dict) else node))
        }
        cluster_nodes = ";".join(sorted(node_names, key=str.lower)) or None
    row = {
        "host": name,
        "cluster": cluster,
        "cluster_nodes": cluster_nodes,
        "key_protector_available": _key_protector(reader, record, errors),
        "fqdn": read(record, "fqdn", to_text),
        "os_caption": read(record, "osCaption", to_text),
        "os_version": read(record, "osVersion", _version_text),
        "os_build": read(record, "osBuild", to_text),
        "ps_version": read(record, "psVersion", _version_text),
        "supported_vm_versions": ";".join(v for v in versions if v) or None,
        "collected_at": read(record, "collectedAt", to_iso_datetime),
        "status": "partial" if errors else "ok",
        "reason": "; ".join(f"{w}: {m}" if w else m for w, m in errors) or None,
        "vm_count": None,
        "source": f"{state.origin}:{line}",
    }
    state.tables["hosts"].append(row)
    state.section = _HostSection(row=row, line=line, name=name, cluster=cluster)
    _error_rows(state, line, errors, name, None)


def _node_name(reader: _Reader, value: Any) -> str | None:
    """A cluster node name as written: a node called "NA" is still a node."""
    if isinstance(value, str):
        return value.strip() or None
    return reader.parse(value, to_text, "cluster.nodes")


def _key_protector(reader: _Reader, record: dict[str, Any], errors: list) -> bool | None:
    """``keyProtector``: ``{"available": bool, "guardians": [...]}`` or a bare bool."""
    value = _get(record, "keyProtector")
    if value is None or _section_failed(
        [(w.lower(), m) for w, m in errors], ("get-hgsguardian", "hgsclient")
    ):
        return None
    if isinstance(value, dict):
        return reader.read(value, "available", to_bool, "keyProtector.available")
    return reader.parse(value, to_bool, "keyProtector")


def _int_or_none(value: Any) -> int | None:
    try:
        return to_int(value)
    except ValueError:
        return None


def _version_text(value: Any) -> str | None:
    """A version as text; a serialised ``System.Version`` object becomes ``5.1.17763.1``."""
    if isinstance(value, dict):
        parts = [_get(value, key) for key in ("Major", "Minor", "Build", "Revision")]
        numbers = [str(p) for p in parts if isinstance(p, int) and not isinstance(p, bool)]
        numbers = [n for n in numbers if n != "-1"]
        if not numbers:
            raise ValueError("not a version")
        return ".".join(numbers)
    if isinstance(value, float):
        return f"{value:.1f}" if value.is_integer() else repr(value)
    return to_text(value)


def _end_record(state: _State, line: int, record: dict[str, Any]) -> None:
    section = state.section
    errors = _errors(record)
    count = _Reader(state, line, "").read(record, "vmCount", to_count)
    if section is None or section.ended:
        state.warn(line, None, "end record without a host record before it")
        _error_rows(state, line, errors, None, None)
        return
    section.ended = True
    section.row["vm_count"] = count
    if count is not None and count != section.vms:
        state.warn(line, "vmCount", f"end record says {count} VMs, {section.vms} were read")
    if errors:
        section.row["status"] = "partial"
        reason = "; ".join(f"{w}: {m}" if w else m for w, m in errors)
        section.row["reason"] = "; ".join(r for r in (section.row["reason"], reason) if r)
    _error_rows(state, line, errors, section.name, None)


def _close_section(state: _State, *, at_end: bool) -> None:
    """Before a new host record and at the end: a section without ``end`` was cut short."""
    section = state.section
    if section is None:
        if at_end and state.records == 0:
            state.truncated = True
            state.warn(None, None, "output cut short: no end record; 0 VMs read")
        return
    if not section.ended:
        state.truncated = True
        message = f"output cut short: no end record; {section.vms} VMs read"
        state.warn(section.line, None, message)
        section.row["status"] = "partial"
        section.row["reason"] = "; ".join(r for r in (section.row["reason"], message) if r)
    state.section = None


def _error_rows(
    state: _State,
    line: int,
    errors: list[tuple[str, str]],
    host: str | None,
    vm_key: str | None,
) -> None:
    for what, message in errors:
        state.tables["collection_errors"].append(
            {
                "host": host,
                "vm_key": vm_key,
                "origin": state.origin,
                "source": f"{state.origin}:{line}",
                "what": what or None,
                "message": message or None,
            }
        )


def _vm_record(state: _State, line: int, record: dict[str, Any]) -> None:
    section = state.section
    if section is None or section.ended:
        if not state.warned_no_host:
            state.warn(line, None, "vm record without a host record before it; host unknown")
            state.warned_no_host = True
        section = _HostSection(row={"reason": None}, line=line, name=None, cluster=None)
        state.section = section
    reader = _Reader(state, line, "")
    read = reader.read
    name = read(record, "name", to_text)
    if name is None:
        state.warn(line, "name", "vm record without a name; skipped")
        return
    section.vms += 1
    host = section.name
    vm_id = read(record, "id", to_text)
    if vm_id is not None and not make_vm_key(vm_id):
        vm_id = None
    synthetic = vm_id is None
    if vm_id is None:
        vm_id = synthetic_vm_id(host, name)
    vm_key = make_vm_key(vm_id)
    if vm_key in state.seen_keys:
        state.warn(
            line,
            None,
            f"same VM as line {state.seen_keys[vm_key]} (same id, or same host and name "
            "without an id); the first record is used",
        )
        return
    state.seen_keys[vm_key] = line
    source = f"{state.origin}:{line}"
    keys = {"host": host, "vm_key": vm_key, "origin": state.origin, "source": source}
    reported = _errors(record)
    errors = [(what.lower(), message) for what, message in reported]

    row: dict[str, Any] = {
        **keys,
        "vm_id": vm_id,
        "vm_id_synthetic": synthetic,
        "name": name,
        "cluster": section.cluster,
        "source_kind": KIND,
    }
    reader.fields(record, _VM_FIELDS, row)
    _snapshots(reader, record, row, errors)
    _firmware(reader, record, row, errors)
    _guest(reader, record, row, errors)
    _integration_services(record, row, errors)
    _remotefx(reader, record, row, errors)
    _rebuild_settings(reader, record, row, errors)
    for flag, (key, aliases) in _LISTS.items():
        unless = _NOT_THE_NIC_LIST if key == "nics" else ()
        listed = _get(record, key) is not None and not _section_failed(errors, aliases, unless)
        row[flag] = True if listed else None
    state.tables["vms"].append(row)

    _details(state, reader, record, keys)
    if row["integration_services_listed"]:
        services = state.tables["integration_services"]
        for index, service in enumerate(_items(state, reader, record, "integrationServices")):
            service_row = dict(keys)
            reader.fields(service, _SERVICE_FIELDS, service_row, f"integrationServices[{index}].")
            services.append(service_row)
    _error_rows(state, line, reported, host, vm_key)


_VM_FIELDS = _spec(
    ("generation", "generation", to_generation),
    ("config_version", "version", to_config_version),
    ("state", "state", to_vm_state),
    ("processor_count", "processorCount", to_count),
    ("memory_startup_bytes", "memoryStartup", to_count),
    ("dynamic_memory", "dynamicMemory", to_bool),
    ("notes", "notes", to_text),
    ("is_clustered", "isClustered", to_bool),
    ("replication_state", "replicationState", to_replication_state),
    ("creation_time", "creationTime", to_iso_datetime),
    ("parent_checkpoint_id", "parentSnapshotId", to_text),
)
_SERVICE_FIELDS = _spec(("name", "name", to_text), ("enabled", "enabled", to_bool))


def _section(record: Any, key: str, errors: list) -> dict[str, Any] | None:
    """A sub-object section (``processor``, ``memory``...): None when absent, not an object,
    or named by a collection error."""
    value = _get(record, key)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]  # a lone object some writers wrap in a list
    if not isinstance(value, dict) or _section_failed(errors, _SECTIONS[key]):
        return None
    return value


def _rebuild_settings(reader: _Reader, record: Any, row: dict[str, Any], errors: list) -> None:
    """The schema 2 fields: what a faithful rebuild of the VM must carry over."""
    read = reader.read
    read_at = reader.read_at
    row["automatic_start_action"] = read(record, "automaticStartAction", to_start_action)
    row["automatic_start_delay"] = read(record, "automaticStartDelay", to_count)
    row["automatic_stop_action"] = read(record, "automaticStopAction", to_stop_action)
    row["checkpoint_type"] = read(record, "checkpointType", to_vm_checkpoint_type)
    row["smart_paging_path"] = read(record, "smartPagingFilePath", to_text)
    row["config_path"] = read(record, "configurationLocation", to_text) or read(
        record, "path", to_text
    )
    processor = _section(record, "processor", errors)
    if processor is not None:
        at = "processor."
        if row["processor_count"] is None:
            row["processor_count"] = read_at(at, processor, "count", to_count)
        row["processor_compat_migration"] = read_at(
            at, processor, "compatibilityForMigration", to_bool
        )
        row["processor_reserve"] = read_at(at, processor, "reserve", to_count)
        row["processor_limit"] = read_at(at, processor, "maximum", to_count)
        row["processor_weight"] = read_at(at, processor, "relativeWeight", to_count)
    memory = _section(record, "memory", errors)
    if memory is not None:
        at = "memory."
        if row["memory_startup_bytes"] is None:
            row["memory_startup_bytes"] = read_at(at, memory, "startup", to_count)
        if row["dynamic_memory"] is None:
            row["dynamic_memory"] = read_at(at, memory, "dynamicMemoryEnabled", to_bool)
        row["memory_minimum_bytes"] = read_at(at, memory, "minimum", to_count)
        row["memory_maximum_bytes"] = read_at(at, memory, "maximum", to_count)
        row["memory_buffer"] = read_at(at, memory, "buffer", to_count)
        row["memory_priority"] = read_at(at, memory, "priority", to_count)
    security = _section(record, "security", errors)
    if security is not None:
        row["vtpm_enabled"] = read(security, "tpmEnabled", to_bool, "security.tpmEnabled")
    replication = _section(record, "replication", errors)
    if replication is not None:
        at = "replication."
        row["replication_primary_server"] = read_at(at, replication, "primaryServer", to_text)
        row["replication_replica_server"] = read_at(at, replication, "replicaServer", to_text)
        row["replication_frequency"] = read_at(at, replication, "frequencySec", to_count)
    group = _section(record, "clusterGroup", errors)
    if group is not None:
        row["cluster_group"] = read(group, "name", to_text, "clusterGroup.name")
        owners = _get(group, "preferredOwners")
        if isinstance(owners, str):
            owners = [part for part in owners.replace(",", ";").split(";")]
        names = []
        for owner in as_list(owners):
            if isinstance(owner, dict):
                owner = _get(owner, "name")
            name = _node_name(reader, owner)
            if name is not None and name not in names:
                names.append(name)
        # [] is known: no preferred owner set (any node may run the role).
        row["preferred_owners"] = ";".join(names) if owners is not None else None


def _snapshots(reader: _Reader, record: Any, row: dict[str, Any], errors: list) -> None:
    value = _get(record, "snapshots")
    if value is None or _section_failed(errors, _SECTIONS["snapshots"]):
        return
    if isinstance(value, dict):
        row["checkpoint_count"] = reader.read(value, "count", to_count, "snapshots.count")
        types = as_list(_get(value, "types"))
        names = {n for t in types if (n := _checkpoint_type(t)) is not None}
        row["checkpoint_types"] = ";".join(sorted(names)) if names else None
    elif isinstance(value, list):
        row["checkpoint_count"] = len(value)
    else:
        row["checkpoint_count"] = reader.read(record, "snapshots", to_count)


def _checkpoint_type(value: Any) -> str | None:
    try:
        return to_checkpoint_type(value)
    except ValueError:
        return _text_of(value)


def _firmware(reader: _Reader, record: Any, row: dict[str, Any], errors: list) -> None:
    bios = _get(record, "bios")
    if isinstance(bios, dict) and not _section_failed(errors, _SECTIONS["bios"]):
        order = _get(bios, "startupOrder")
        if isinstance(order, str):
            order = [part for part in order.replace(";", ",").split(",") if part.strip()]
        names = []
        for item in as_list(order):
            name = reader.parse(item, to_boot_device, "bios.startupOrder")
            if name is not None:
                names.append(name)
        row["boot_order"] = ";".join(names) or None
    firmware = _get(record, "firmware")
    if isinstance(firmware, dict) and not _section_failed(errors, _SECTIONS["firmware"]):
        row["secure_boot"] = reader.read(firmware, "secureBoot", to_on_off, "firmware.secureBoot")
        row["secure_boot_template"] = reader.read(
            firmware, "template", to_text, "firmware.template"
        )


def _guest(reader: _Reader, record: Any, row: dict[str, Any], errors: list) -> None:
    guest = _get(record, "guest")
    if guest is None or _section_failed(errors, _SECTIONS["guest"]):
        return
    items: dict[str, Any] = {}
    if isinstance(guest, dict) and not ("name" in guest and "data" in guest):
        items = guest  # decoded keys are lower case already
    else:
        for item in as_list(guest):  # [{"Name": "OSName", "Data": "..."}, ...]
            if isinstance(item, dict):
                key = _text_of(_get(item, "name"))
                if key:
                    items[key.lower()] = _get(item, "data")
    for key, column, label in _KVP_LABELS:
        value = items.get(key)
        if isinstance(value, str):
            value = value.strip().strip("\x00")
        row[column] = reader.parse(value, to_text, label)
    arch = items.get("processorarchitecture")
    if isinstance(arch, str):
        arch = arch.strip().strip("\x00")
    parser = os_architecture_parser(reader.state.os_names)
    row["os_architecture"] = reader.parse(arch, parser, "guest.ProcessorArchitecture")


def _integration_services(record: Any, row: dict[str, Any], errors: list) -> None:
    services = _get(record, "integrationServices")
    if services is None or _section_failed(errors, _SECTIONS["integrationServices"]):
        return
    for item in as_list(services):
        name = (_text_of(_get(item, "name")) or "").lower()
        if name in _DATA_EXCHANGE:
            try:
                row["data_exchange_enabled"] = to_bool(_get(item, "enabled"))
            except ValueError:
                row["data_exchange_enabled"] = None
            return


def _remotefx(reader: _Reader, record: Any, row: dict[str, Any], errors: list) -> None:
    """``remoteFx3d``: a count, or the adapter(s) themselves."""
    value = _get(record, "remoteFx3d")
    if value is None or _section_failed(errors, _SECTIONS["remoteFx3d"]):
        return
    if isinstance(value, (list, dict)):
        row["remotefx_3d_count"] = len(as_list(value))
    elif isinstance(value, bool):
        row["remotefx_3d_count"] = int(value)
    else:
        row["remotefx_3d_count"] = reader.read(record, "remoteFx3d", to_count)


def _details(state: _State, reader: _Reader, record: Any, keys: dict[str, Any]) -> None:
    read_at = reader.read_at
    tables = state.tables
    fields = reader.fields
    for index, disk in enumerate(_items(state, reader, record, "disks")):
        at = f"disks[{index}]."
        disk_number = read_at(at, disk, "diskNumber", to_disk_number)
        vhd = disk.get("vhd")
        if disk_number is not None or not isinstance(vhd, dict):
            vhd = {}
        shared = disk.get("shared", disk.get("supportpersistentreservations"))
        row = dict(keys)
        fields(disk, _DISK_FIELDS, row, at)
        row["disk_number"] = disk_number
        row["shared"] = reader.parse_at(at, shared, to_bool, "shared")
        fields(vhd, _VHD_FIELDS, row, at)
        fields(disk, _QOS_FIELDS, row, at)
        tables["disks"].append(row)
    for index, nic in enumerate(_items(state, reader, record, "nics")):
        at = f"nics[{index}]."
        mac = nic.get("mac", nic.get("macaddress"))
        dynamic_mac = read_at(at, nic, "dynamicMac", to_bool)
        bandwidth = nic.get("bandwidth")
        if not isinstance(bandwidth, dict):
            bandwidth = {}
        vlan = nic.get("vlan")
        if not isinstance(vlan, dict):
            vlan = {}
        row = dict(keys)
        fields(nic, _NIC_FIELDS, row, at)
        row["mac"] = reader.parse_at(at, mac, to_mac, "mac")
        row["adapter_id"] = read_at(at, nic, "id", to_text)
        row["mac_static"] = None if dynamic_mac is None else not dynamic_mac
        fields(nic, _NIC_PORT_FIELDS, row, at)
        fields(bandwidth, _BANDWIDTH_FIELDS, row, at)
        fields(vlan, _VLAN_FIELDS, row, at)
        row.update(_private_vlan(reader, vlan, at))
        tables["nics"].append(row)
    for index, floppy in enumerate(_items(state, reader, record, "floppy", scalars=True)):
        path = floppy if not isinstance(floppy, dict) else _get(floppy, "path")
        tables["floppies"].append(
            {**keys, "path": reader.parse(path, to_text, f"floppy[{index}].path")}
        )
    for index, port in enumerate(_items(state, reader, record, "comPorts")):
        row = dict(keys)
        fields(port, _COM_PORT_FIELDS, row, f"comPorts[{index}].")
        tables["com_ports"].append(row)
    for index, dvd in enumerate(_items(state, reader, record, "dvd")):
        row = dict(keys)
        fields(dvd, _DVD_FIELDS, row, f"dvd[{index}].")
        tables["dvd_drives"].append(row)


_NIC_FIELDS = _spec(
    ("name", "name", to_text),
    ("is_legacy", "isLegacy", to_bool),
    ("switch_name", "switchName", to_text),
)
_NIC_PORT_FIELDS = _spec(
    ("device_naming", "deviceNaming", to_on_off),
    ("dhcp_guard", "dhcpGuard", to_on_off),
    ("router_guard", "routerGuard", to_on_off),
    ("mac_spoofing", "macSpoofing", to_on_off),
    ("port_mirroring", "portMirroring", to_port_mirroring),
)
_BANDWIDTH_FIELDS = _spec(
    ("bandwidth_min", "minimumAbsolute", to_count, "bandwidth.minimumAbsolute"),
    ("bandwidth_min_weight", "minimumWeight", to_count, "bandwidth.minimumWeight"),
    ("bandwidth_max", "maximum", to_count, "bandwidth.maximum"),
)
_VLAN_FIELDS = _spec(
    ("vlan_mode", "mode", to_vlan_mode, "vlan.mode"),
    ("vlan_id", "accessVlanId", to_vlan_id, "vlan.accessVlanId"),
    ("vlan_native", "nativeVlanId", to_vlan_id, "vlan.nativeVlanId"),
    ("vlan_allowed", "allowedVlanIdList", to_vlan_list, "vlan.allowedVlanIdList"),
)
_COM_PORT_FIELDS = _spec(("name", "name", to_text), ("path", "path", to_text))
_DVD_FIELDS = _spec(
    ("controller_type", "controllerType", to_controller_type, "type"),
    ("controller_number", "controllerNumber", to_count, "number"),
    ("controller_location", "controllerLocation", to_count),
    ("path", "path", to_text),
    ("media_type", "mediaType", to_media_type),
)
_DISK_FIELDS = _spec(
    ("controller_type", "controllerType", to_controller_type, "type"),
    ("controller_number", "controllerNumber", to_count, "number"),
    ("controller_location", "controllerLocation", to_count),
    ("path", "path", to_text),
)
_VHD_FIELDS = _spec(
    ("vhd_format", "format", to_vhd_format, "vhd.format"),
    ("vhd_type", "type", to_vhd_type, "vhd.type"),
    ("size_bytes", "size", to_count, "vhd.size"),
    ("file_size_bytes", "fileSize", to_count, "vhd.fileSize"),
    ("parent_path", "parentPath", to_text, "vhd.parentPath"),
)
_QOS_FIELDS = _spec(
    ("qos_min_iops", "minimumIops", to_count),
    ("qos_max_iops", "maximumIops", to_count),
)


def _private_vlan(reader: _Reader, vlan: dict[str, Any], at: str) -> dict[str, Any]:
    """Private VLAN settings, read only in Private mode (elsewhere the ids are 0 fillers)."""
    private = {"vlan_private_mode": None, "vlan_primary": None, "vlan_secondary": None}
    mode = _get(vlan, "mode")
    try:
        if mode is None or to_vlan_mode(mode) != "Private":
            return private
    except ValueError:
        return private  # warned about once, with the mode itself
    read_at = reader.read_at
    private["vlan_private_mode"] = read_at(
        at, vlan, "privateVlanMode", to_private_vlan_mode, "vlan.privateVlanMode"
    )
    private["vlan_primary"] = read_at(at, vlan, "primaryVlanId", to_vlan_id, "vlan.primaryVlanId")
    private["vlan_secondary"] = read_at(
        at, vlan, "secondaryVlanIdList", to_vlan_list, "vlan.secondaryVlanIdList"
    ) or read_at(at, vlan, "secondaryVlanId", to_vlan_list, "vlan.secondaryVlanId")
    return private


def _items(
    state: _State, reader: _Reader, record: Any, key: str, *, scalars: bool = False
) -> list[Any]:
    """The entries of a device list; entries that are not objects are skipped with a warning."""
    entries = []
    for index, item in enumerate(as_list(_get(record, key))):
        if isinstance(item, dict) or (scalars and not isinstance(item, list)):
            entries.append(item)
        elif item is not None:
            state.warn(reader.line, f"{key}[{index}]", "not an object; entry skipped")
    return entries
