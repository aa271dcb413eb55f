"""The assessment JSON written column by column, in chunks.

``json.dump(..., indent=1)`` runs the pure-Python encoder (the C one does not indent) over
one dict per VM and per finding: about 4 s and several hundred MB for 20,000 VMs. This
module writes the very same text (``json_report`` keeps the dict version, and the tests
compare the two byte for byte): each column is encoded once with the C string encoder, the
fixed key layout is filled in with joins, and the VMs go out a few thousand at a time, so
memory stays flat at any size.

The layout rules it follows are those of ``json.dump(indent=1)``: a non-empty object or
list opens on its line, each member on its own line indented one space deeper than its
parent, the closing bracket back at the parent's indentation; ``{}`` and ``[]`` when empty.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

import numpy as np
import pandas as pd

from assess.model.assessment import Assessment

#: The string encoder ``json.dumps(..., ensure_ascii=False)`` uses (C when available).
_encode_string = json.encoder.encode_basestring
CHUNK_VMS = 5_000


def write_document(
    handle: TextIO,
    skeleton: dict[str, Any],
    lists: dict[str, Iterator[str]],
) -> None:
    """Write ``skeleton`` as ``json.dump(indent=1)`` would, with each top-level key named in
    ``lists`` (present in the skeleton as ``[]``) filled by the item texts that iterator
    yields (already laid out at depth 2)."""
    text = dumps(skeleton, 0)
    position = 0
    for key in lists:
        marker = f"\n {_encode_string(key)}: []"
        found = text.index(marker, position)
        handle.write(text[position : found + len(marker) - 2])
        first = True
        for item in lists[key]:
            handle.write(("[\n  " if first else ",\n  ") + item)
            first = False
        handle.write("[]" if first else "\n ]")
        position = found + len(marker)
    handle.write(text[position:])


def dumps(value: Any, level: int) -> str:
    """``value`` as ``json.dumps(indent=1, ensure_ascii=False, default=str)`` writes it when
    it sits ``level`` deep in a document."""
    text = json.dumps(value, ensure_ascii=False, indent=1, default=str)
    return text.replace("\n", "\n" + " " * level) if level else text


# -- columns ----------------------------------------------------------------------------
def plain_values(series: pd.Series) -> list[Any]:
    """A column as ``DataFrame.to_dict(orient="records")`` gives it after
    ``astype(object).where(notna, None)``: Python scalars, None for NA."""
    values = series.to_numpy(dtype=object, na_value=None).tolist()
    if any(issubclass(kind, np.generic) for kind in set(map(type, values))):
        values = [_native(value) for value in values]  # what to_dict does
    return values


def _native(value: Any) -> Any:
    """A numpy scalar as the Python scalar ``DataFrame.to_dict`` gives (public API only)."""
    if isinstance(value, np.datetime64 | np.timedelta64):
        return pd.Timestamp(value) if isinstance(value, np.datetime64) else pd.Timedelta(value)
    return value.item() if isinstance(value, np.generic) else value


_NONE = type(None)
_SCALARS = frozenset({str, int, float, bool, _NONE})


def encode(values: Sequence[Any], level: int) -> list[str]:
    """JSON text of each value, as it would appear ``level`` deep."""
    kinds = set(map(type, values))
    if kinds <= {str, _NONE}:  # texts repeat (hosts, states, verdicts): encode each once
        table = {v: "null" if v is None else _encode_string(v) for v in dict.fromkeys(values)}
        return list(map(table.__getitem__, values))
    if kinds <= {float, _NONE} and all(
        math.isfinite(value) for value in values if value is not None
    ):
        return ["null" if value is None else float.__repr__(value) for value in values]
    if kinds <= _SCALARS and float not in kinds:
        return [
            "null"
            if value is None
            else _encode_string(value)
            if type(value) is str
            else ("true" if value else "false")
            if type(value) is bool
            else int.__repr__(value)
            for value in values
        ]
    return [_encode_one(value, level) for value in values]


def _encode_one(value: Any, level: int) -> str:
    if value is None:
        return "null"
    kind = type(value)
    if kind is str:
        return _encode_string(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    return dumps(value, level)


def objects(keys: Sequence[str], columns: Sequence[Sequence[str]], level: int) -> list[str]:
    """One object per row: ``keys`` with the already encoded ``columns``; the object's
    braces sit at ``level``."""
    if not keys:
        size = len(columns[0]) if columns else 0
        return ["{}"] * size
    inner = "\n" + " " * (level + 1)
    names = [_encode_string(key) + ": " for key in keys]
    pieces: list[Any] = []
    for i, (name, column) in enumerate(zip(names, columns, strict=True)):
        pieces.append(("{" + inner if i == 0 else "," + inner) + name)
        pieces.append(column)
    pieces.append("\n" + " " * level + "}")
    constant = [not isinstance(piece, list) for piece in pieces]
    size = len(columns[0])
    rows = zip(
        *(
            _repeat(piece, size) if fixed else piece
            for piece, fixed in zip(pieces, constant, strict=True)
        ),
        strict=True,
    )
    return ["".join(row) for row in rows]


def array(items: Sequence[str], level: int) -> str:
    """A list of already laid-out items whose brackets sit at ``level``."""
    if not items:
        return "[]"
    inner = "\n" + " " * (level + 1)
    return "[" + inner + ("," + inner).join(items) + "\n" + " " * level + "]"


def _repeat(piece: str, size: int) -> list[str]:
    return [piece] * size


# -- the assessment ---------------------------------------------------------------------
def record_items(frame: pd.DataFrame, level: int = 2) -> Iterator[str]:
    """The rows of ``frame`` as objects (what ``json_report._records`` gives), in chunks."""
    keys = [str(column) for column in frame.columns]
    for start in range(0, len(frame), CHUNK_VMS):
        chunk = frame.iloc[start : start + CHUNK_VMS]
        columns = [encode(plain_values(chunk[column]), level + 1) for column in frame.columns]
        yield from objects(keys, columns, level)


def vm_items(assessment: Assessment, finding_keys: Sequence[str]) -> Iterator[str]:
    """The ``vms`` entries of ``json_report.assessment_to_dict``, laid out at depth 2."""
    vms = assessment.vms
    fact_names = [c for c in assessment.fact_columns if c in vms.columns]
    findings = _FindingsByVM(assessment, finding_keys)
    for start in range(0, len(vms), CHUNK_VMS):
        chunk = vms.iloc[start : start + CHUNK_VMS]
        value = {name: plain_values(chunk[name]) for name in dict.fromkeys([
            "vm_id", "vm_key", "name", "host", "cluster", "generation", "state", "verdict",
            "conversion_path", "effort_hours", "confidence", "notes", "source", "unknown_rules",
            "effort_if_converted_hours", "stays_gen1_reason", "stays_gen1_owner",
            "stays_gen1_expires", "reasons_to_convert", "reasons_to_convert_text",
            *fact_names,
        ])}  # fmt: skip
        facts = objects(fact_names, [encode(value[n], 4) for n in fact_names], 3)
        unknown = [
            array([_encode_string(rule) for rule in (text or "").split()], 3)
            for text in value["unknown_rules"]
        ]
        reasons = [
            array([_encode_string(reason) for reason in (text or "").split()], 3)
            for text in value["reasons_to_convert"]
        ]
        fields = {
            "id": encode(value["vm_id"], 3),
            "key": encode(value["vm_key"], 3),
            "name": encode(value["name"], 3),
            "host": encode(value["host"], 3),
            "cluster": encode(value["cluster"], 3),
            "generation": encode(value["generation"], 3),
            "state": encode(value["state"], 3),
            "verdict": encode(value["verdict"], 3),
            "conversion_path": encode(value["conversion_path"], 3),
            "effort_hours": encode(value["effort_hours"], 3),
            "effort_if_converted_hours": encode(value["effort_if_converted_hours"], 3),
            "confidence": encode(value["confidence"], 3),
            "stays_gen1_reason": encode(value["stays_gen1_reason"], 3),
            "stays_gen1_owner": encode(value["stays_gen1_owner"], 3),
            "stays_gen1_expires": encode(value["stays_gen1_expires"], 3),
            "reasons_to_convert": reasons,
            "reasons_to_convert_text": encode(value["reasons_to_convert_text"], 3),
            "notes": encode(value["notes"], 3),
            "source": encode(value["source"], 3),
            "facts": facts,
            "findings": findings.arrays(start, len(chunk), value["vm_key"]),
            "unknown_rules": unknown,
        }
        yield from objects(list(fields), list(fields.values()), 2)


class _FindingsByVM:
    """Finding objects (depth 4) grouped by VM, produced a chunk of VMs at a time.

    ``assessment_to_dict`` lists under each VM the findings whose ``vm_key`` is the VM's,
    in the findings' order. With unique VM keys (the inventory makes them unique) the
    findings of a chunk of VMs are found by position; otherwise every finding is laid out
    up front and looked up by key."""

    def __init__(self, assessment: Assessment, keys: Sequence[str]) -> None:
        self.keys = list(keys)
        self.findings = assessment.findings
        vm_keys = pd.Index(assessment.vms["vm_key"])
        self.by_key: dict[Any, list[str]] | None = None
        if len(self.findings) and not vm_keys.is_unique:
            self.by_key = {}
            texts = self._texts(self.findings)
            for key, text in zip(plain_values(self.findings["vm_key"]), texts, strict=True):
                self.by_key.setdefault(key, []).append(text)
            return
        position = vm_keys.get_indexer(self.findings["vm_key"]) if len(self.findings) else []
        position = np.asarray(position, dtype=np.int64)
        listed = np.flatnonzero(position >= 0)
        order = listed[np.argsort(position[listed], kind="stable")]
        self.order = order
        self.sorted_position = position[order]

    def _texts(self, rows: pd.DataFrame) -> list[str]:
        columns = [encode(plain_values(rows[key]), 5) for key in self.keys]
        return objects(self.keys, columns, 4)

    def arrays(self, start: int, size: int, vm_keys: list[Any]) -> list[str]:
        if not len(self.findings):
            return ["[]"] * size
        if self.by_key is not None:
            return [array(self.by_key.get(key, []), 3) for key in vm_keys]
        low, high = np.searchsorted(self.sorted_position, [start, start + size])
        rows = self.order[low:high]
        texts = self._texts(self.findings.iloc[rows]) if len(rows) else []
        owners = (self.sorted_position[low:high] - start).tolist()
        grouped: list[list[str]] = [[] for _ in range(size)]
        for owner, text in zip(owners, texts, strict=True):
            grouped[owner].append(text)
        return [array(items, 3) for items in grouped]
