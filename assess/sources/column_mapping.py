"""From a table of text cells to the ``vms`` table: shared by every one-row-per-VM input.

Each input kind declares its fields (which header, which parser, which inventory column);
this module parses whole columns at once, turns unreadable cells into NA plus a warning,
skips rows without a VM name, gives VMs without an id a synthetic one, and keeps the first
of two rows that describe the same VM.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from assess.gc_pause import gc_paused
from assess.model.diagnostics import RowWarning
from assess.model.inventory import SCHEMA, make_vm_key, synthetic_vm_id
from assess.sources.cell_values import Parser, parse_column
from assess.sources.header_match import HeaderMatch, match_headers
from assess.sources.table_files import Table


@dataclass(frozen=True)
class Field:
    """One input column: its canonical header, the ``vms`` column it fills, how to read it."""

    header: str
    column: str
    parser: Parser
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)

    @property
    def dtype(self) -> str:
        return SCHEMA["vms"][self.column]


def match_fields(headers: Sequence[str], fields: Sequence[Field]) -> HeaderMatch:
    return match_headers(headers, {f.column: f.names for f in fields})


def vms_from_table(
    table: Table,
    fields: Sequence[Field],
    *,
    kind: str,
    origin: str,
    clean: Callable[[str, np.ndarray], np.ndarray] | None = None,
    parsers: dict[str, Parser] | None = None,
) -> tuple[pd.DataFrame, list[RowWarning]]:
    """The ``vms`` rows of ``table`` and the warnings about its cells, in line order.

    ``clean(column, cells)`` pre-processes each raw column; ``parsers`` overrides a field's
    parser (e.g. one tuned to the file's date format). Pass the frame through
    ``Inventory.from_frames``.
    """
    with gc_paused():
        return _vms_from_table(table, fields, kind, origin, clean, parsers or {})


def _vms_from_table(
    table: Table,
    fields: Sequence[Field],
    kind: str,
    origin: str,
    clean: Callable[[str, np.ndarray], np.ndarray] | None,
    parsers: dict[str, Parser],
) -> tuple[pd.DataFrame, list[RowWarning]]:
    match = match_fields(table.headers, fields)
    lines = table.lines
    count = len(table)
    data: dict[str, object] = {}
    problems: list[tuple[str, list[str | None]]] = []
    for spec in fields:
        if spec.column not in match:
            continue
        raw = table.columns[match.columns[spec.column]]
        if clean is not None:
            raw = clean(spec.column, raw)
        values, messages = parse_column(raw, parsers.get(spec.column, spec.parser), spec.dtype)
        data[spec.column] = values
        if messages is not None:
            problems.append((match.header(spec.column), messages))

    names = data.get("name")
    keep = ~pd.isna(np.asarray(names, dtype=object)) if names is not None else np.zeros(count, bool)
    found: list[tuple[int, int, RowWarning]] = []
    for header, messages in problems:
        for i, message in enumerate(messages):
            if message is not None and keep[i]:
                line = int(lines[i])
                found.append(
                    (line, 0, RowWarning(origin, line, header, f"{message}; left unknown"))
                )
    for skipped in np.flatnonzero(~keep):
        line = int(lines[skipped])
        found.append((line, -1, RowWarning(origin, line, None, "no VM name; row skipped")))

    frame = pd.DataFrame(data, index=range(count))
    if not keep.all():
        frame = frame.loc[keep].reset_index(drop=True)
    row_lines = lines[keep]
    frame = _identify(frame, kind=kind, origin=origin, lines=row_lines)
    frame, duplicates = _first_of_each_vm(frame, row_lines, origin)
    found.extend((w.line or 0, 1, w) for w in duplicates)
    found.sort(key=lambda item: (item[0], item[1]))
    return frame, [w for _, _, w in found]


def _identify(frame: pd.DataFrame, *, kind: str, origin: str, lines: np.ndarray) -> pd.DataFrame:
    """Add ``vm_id`` (synthetic where missing), ``vm_key``, ``origin``, ``source``, kind."""
    count = len(frame)
    hosts = _objects(frame.get("host"), count)
    names = _objects(frame.get("name"), count)
    given = _objects(frame.get("vm_id"), count)
    given = [v if v is not None and make_vm_key(v) else None for v in given]
    ids = [
        v if v is not None else synthetic_vm_id(h, n)
        for v, h, n in zip(given, hosts, names, strict=True)
    ]
    extra = pd.DataFrame(
        {
            "vm_id": pd.array(ids, dtype="string"),
            "vm_id_synthetic": pd.array([v is None for v in given], dtype="boolean"),
            "vm_key": pd.array([make_vm_key(v) for v in ids], dtype="string"),
            "origin": pd.array([origin] * count, dtype="string"),
            "source": pd.array([f"{origin}:{n}" for n in lines.tolist()], dtype="string"),
            "source_kind": pd.array([kind] * count, dtype="string"),
        },
        index=frame.index,
    )
    return pd.concat([frame.drop(columns=["vm_id"], errors="ignore"), extra], axis=1)


def _objects(series: pd.Series | None, count: int) -> list[str | None]:
    if series is None:
        return [None] * count
    return series.to_numpy(dtype=object, na_value=None).tolist()


def _first_of_each_vm(
    frame: pd.DataFrame, lines: np.ndarray, path: str
) -> tuple[pd.DataFrame, list[RowWarning]]:
    keys = frame["vm_key"]
    duplicated = keys.duplicated(keep="first").to_numpy()
    if not duplicated.any():
        return frame, []
    first_line: dict[str, int] = {}
    for key, line in zip(keys.tolist(), lines.tolist(), strict=True):
        first_line.setdefault(key, line)
    warnings = [
        RowWarning(
            path,
            int(lines[i]),
            None,
            f"same VM as line {first_line[keys.iat[i]]} "
            "(same id, or same host and name without an id); the first row is used",
        )
        for i in np.flatnonzero(duplicated)
    ]
    return frame.loc[~duplicated].reset_index(drop=True), warnings
