"""Bounds on what one inventory field may hold, applied as each source is read.

Every text in an inventory is controlled by whoever named a VM or wrote its notes. The
later steps (header matching, OS identification, the reports) are linear in the text they
get, but a 100 MB VM name still costs 100 MB at every step and makes an unreadable report.
So a field is cut at read time, with a warning naming the file, line and column:

* :data:`MAX_FIELD_CHARS` (4 KiB) for names, OS texts, paths and every other field;
* :data:`MAX_NOTES_CHARS` (64 KiB) for free text (notes, descriptions, comments).

Collector records are also made safe to keep: a lone surrogate (``"\\ud800"`` in JSON, which
no UTF-8 file can hold) becomes U+FFFD, and nesting deeper than :data:`MAX_DEPTH` is
dropped. Each such change is a warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

MAX_FIELD_CHARS = 4 * 1024
MAX_NOTES_CHARS = 64 * 1024
#: Nesting of a collector record (the collector writes at most 4 levels).
MAX_DEPTH = 16
#: Header or key names (compared without case, spaces, ``_`` and ``-``) of free-text fields.
FREE_TEXT_KEYS = frozenset({"notes", "note", "description", "annotation", "comment", "comments"})

_KEY_NOISE = re.compile(r"[\s_\-]+")
_SURROGATE = re.compile("[\ud800-\udfff]")

Warn = Callable[[str, str], None]  # (column, message)


def limit_for(key: str | None) -> int:
    """The longest text a field named ``key`` may hold."""
    if key and _KEY_NOISE.sub("", key).lower() in FREE_TEXT_KEYS:
        return MAX_NOTES_CHARS
    return MAX_FIELD_CHARS


def cut_message(length: int, limit: int) -> str:
    return f"value of {length:,} characters cut to the first {limit:,}"


def clean_record(value: Any, warn: Warn, key: str = "", depth: int = 0) -> Any:
    """A decoded JSON value with long texts cut, lone surrogates replaced and deep nesting
    dropped; ``warn(column, message)`` is called for each change."""
    if isinstance(value, str):
        limit = limit_for(key.rsplit(".", 1)[-1])
        if len(value) > limit:
            warn(key, cut_message(len(value), limit))
            value = value[:limit]
        if _SURROGATE.search(value):
            warn(key, "text with an invalid character (lone UTF-16 surrogate) replaced by U+FFFD")
            value = _SURROGATE.sub("\ufffd", value)
        return value
    if not isinstance(value, dict | list):
        return value
    if depth >= MAX_DEPTH:
        warn(key, f"nested deeper than {MAX_DEPTH} levels; left out")
        return None
    if isinstance(value, list):
        return [clean_record(item, warn, key, depth + 1) for item in value]
    out: dict[Any, Any] = {}
    for name, item in value.items():
        clean_name = clean_record(name, warn, key, depth + 1) if isinstance(name, str) else name
        path = f"{key}.{clean_name}" if key else str(clean_name)
        out[clean_name] = clean_record(item, warn, path, depth + 1)
    return out


def needs_cleaning(line: str) -> bool:
    """Whether a JSON line may hold a field over the bounds or an escaped surrogate
    (cheap: most lines are short and plain)."""
    return len(line) > MAX_FIELD_CHARS or "\\ud" in line or "\\uD" in line


def cap_row(cells: list[str], headers: list[str], warn: Callable[[str, str], None]) -> list[str]:
    """A row of cells with each over-long cell cut; ``warn(column, message)`` for each.

    Cheap for ordinary rows: only a row longer than :data:`MAX_FIELD_CHARS` in all is
    looked at cell by cell.
    """
    if len("".join(cells)) <= MAX_FIELD_CHARS:
        return cells
    out = list(cells)
    for index, text in enumerate(out):
        header = headers[index] if index < len(headers) else f"#{index + 1}"
        limit = limit_for(header)
        if len(text) > limit:
            warn(header, cut_message(len(text), limit))
            out[index] = text[:limit]
    return out
