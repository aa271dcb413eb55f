"""The hyperlink XML of a worksheet and its relationships, written in one piece.

Every finding row links to the rule's reference (about 54,000 links at 20,000 VMs). For
each, XlsxWriter writes a ``<hyperlink>`` element in the sheet and a ``<Relationship>`` in
the sheet's ``.rels`` part, one call per attribute, each attribute searched for characters
to escape: about a sixth of the workbook's time. Here each distinct URL is escaped once and
the elements are joined into one write; the XML is the same byte for byte (the identity
tests in ``tests/render/test_fast_rows.py`` compare both paths).

Part of the ``bulk-rows`` fast path (``fast_paths``): it reaches into the same private
XlsxWriter internals and runs only with the releases those were verified with.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator
from typing import Any

try:  # private helpers: their absence only means the slower path
    from xlsxwriter import relationships as _relationships
    from xlsxwriter.url import UrlTypes
    from xlsxwriter.utility import xl_col_to_name
except ImportError:  # pragma: no cover - depends on the installed XlsxWriter
    _relationships = None

#: Elements joined into one write: bounds the memory the pieces take at once.
PIECE = 4_096
_WORKSHEET_ATTRIBUTES = (
    "hyperlinks",
    "table",
    "rel_count",
    "external_hyper_links",
    "_escape_attributes",
    "_write_hyperlinks",
    "fh",
)


def install(ws: Any) -> bool:
    """Let ``ws`` write its hyperlinks in bulk (its own method otherwise); whether it does."""
    if _relationships is None or not all(hasattr(ws, name) for name in _WORKSHEET_ATTRIBUTES):
        return False
    original = ws._write_hyperlinks

    def write_hyperlinks(self: Any) -> None:
        if not _write_external_links(self):
            original()

    ws._write_hyperlinks = types.MethodType(write_hyperlinks, ws)
    return True


def _write_external_links(ws: Any) -> bool:
    """``Worksheet._write_hyperlinks`` for a sheet whose links are all external; False (and
    nothing written) when some link is not, so that XlsxWriter writes them itself."""
    hyperlinks = ws.hyperlinks
    row_numbers = sorted(hyperlinks)
    if not row_numbers:
        return True
    external = (UrlTypes.URL, UrlTypes.EXTERNAL)
    if any(url._link_type not in external for row in hyperlinks.values() for url in row.values()):
        return False
    escape = ws._escape_attributes
    table = ws.table
    letters: dict[int, str] = {}
    tails: dict[tuple[int, bool], str] = {}
    targets: dict[int, list[str]] = {}
    parts = ["<hyperlinks>"]
    rel = ws.rel_count
    links = ws.external_hyper_links
    for row_number in row_numbers:
        row = hyperlinks[row_number]
        number = str(row_number + 1)
        for col_number in sorted(row):
            url = row[col_number]
            # As XlsxWriter: a link over a cell that is not a string displays the URL.
            if (
                table
                and table[row_number]
                and table[row_number][col_number]
                and table[row_number][col_number].__class__.__name__ != "String"
            ):
                url._is_object_link = True
            rel += 1
            key = (id(url), bool(url._is_object_link))
            tail = tails.get(key)
            if tail is None:
                tail = tails[key] = _attributes_after_id(url, escape)
                targets[id(url)] = ["/hyperlink", url._target(), "External"]
            letter = letters.get(col_number)
            if letter is None:
                letter = letters[col_number] = xl_col_to_name(col_number)
            parts.append(f'<hyperlink ref="{letter}{number}" r:id="rId{rel}"{tail}/>')
            links.append(list(targets[id(url)]))
            if len(parts) >= PIECE:
                ws.fh.write("".join(parts))
                parts.clear()
    parts.append("</hyperlinks>")
    ws.rel_count = rel
    ws.fh.write("".join(parts))
    return True


def _attributes_after_id(url: Any, escape: Any) -> str:
    """What ``_write_hyperlink_external`` writes after ``r:id`` for this URL."""
    attributes = []
    if url._anchor:
        attributes.append(("location", url._anchor))
    if url._is_object_link:
        attributes.append(("display", url._text))
    if url._tip:
        attributes.append(("tooltip", url._tip))
    return "".join(f' {key}="{escape(value)}"' for key, value in attributes)


@contextlib.contextmanager
def bulk_relationships(packager_module: Any) -> Iterator[None]:
    """While the workbook closes, write every ``.rels`` part in one piece."""
    original = getattr(packager_module, "Relationships", None)
    if _relationships is None or original is not _relationships.Relationships:
        yield
        return
    packager_module.Relationships = _BulkRelationships
    try:
        yield
    finally:
        packager_module.Relationships = original


if _relationships is not None:

    class _BulkRelationships(_relationships.Relationships):
        """``Relationships`` writing its elements with one write, each distinct
        (type, target, mode) escaped once."""

        def _write_relationships(self) -> None:
            self._xml_start_tag("Relationships", [("xmlns", _relationships.PACKAGE_SCHEMA)])
            escape = self._escape_attributes
            tails: dict[tuple[str, str, str | None], str] = {}
            parts = []
            for relationship in self.relationships:
                tail = tails.get(relationship)
                if tail is None:
                    rel_type, target, target_mode = relationship
                    tail = f' Type="{escape(rel_type)}" Target="{escape(target)}"'
                    if target_mode:
                        tail += f' TargetMode="{escape(target_mode)}"'
                    tails[relationship] = tail
                parts.append(f'<Relationship Id="rId{self.id}"{tail}/>')
                self.id += 1
                if len(parts) >= PIECE:
                    self.fh.write("".join(parts))
                    parts.clear()
            self.fh.write("".join(parts))
            self._xml_end_tag("Relationships")
