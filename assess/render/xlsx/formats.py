"""Cell formats and column widths for the workbook.

XlsxWriter formats are workbook objects; a list sheet needs many combinations (text or number,
wrapped or not, verdict colour, greyed for a waived finding, quote prefix for text that looks
like a formula). ``Formats`` creates each combination once, on first use, and always names the
font: LibreOffice falls back to a serif face for cells whose font has no name.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from assess.atomic import atomic_path
from assess.render.styles import (
    FONT_NAME,
    HEADER_FILL,
    HEADER_TEXT,
    RULE_LINE,
    SECTION_TEXT,
    TITLE_TEXT,
    WAIVED_TEXT,
    Colour,
)

T = TypeVar("T")
FONT_SIZE = 10
#: Column kinds whose line breaks are meant (one URL or one rule per line): never reflowed.
KEEP_LINES_KINDS = frozenset({"references", "lines"})

#: Every workbook the tool writes: inventory text is never a formula, a link or a number, and
#: rows stream to disk (constant memory) so 100,000 VMs fit.
WORKBOOK_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "constant_memory": True,
}
_EDGE_SPACE = re.compile(r"^\s|\s$")


class TextOnlyWorksheet(Worksheet):
    """A worksheet on which every string is text.

    In constant-memory mode XlsxWriter writes a string that starts with ``<r>`` and ends with
    ``</r>`` into the sheet XML unescaped, taking it for its own rich-string markup: inventory
    text could inject XML (a formula cell, say). The tool writes no rich strings, so such a
    string is escaped like any other, as the bulk row writer does (``fast_rows``)."""

    def _xml_rich_inline_string(self, string: str, attributes: Any = None) -> None:
        preserve = _EDGE_SPACE.search(string) is not None
        self._xml_inline_string(string, preserve, attributes or [])


class TextOnlyWorkbook(Workbook):
    """An XlsxWriter workbook whose worksheets are ``TextOnlyWorksheet``."""

    def add_worksheet(self, name: str | None = None, worksheet_class: Any = None) -> Worksheet:
        return super().add_worksheet(name, worksheet_class or TextOnlyWorksheet)


def open_workbook(path: str, tmpdir: str) -> Workbook:
    """A new workbook at ``path`` with the tool's options, temporary files in ``tmpdir``."""
    return TextOnlyWorkbook(path, {**WORKBOOK_OPTIONS, "tmpdir": tmpdir})


@contextlib.contextmanager
def workbook_file(path: str | os.PathLike[str], title: str) -> Iterator[Workbook]:
    """A workbook written to ``path`` atomically: its rows spool in a private temporary
    folder, and the file replaces ``path`` only when the block ends without an error."""
    with (
        atomic_path(Path(path), suffix=".xlsx") as tmp,
        tempfile.TemporaryDirectory(prefix="gen2-xlsx-", ignore_cleanup_errors=True) as work,
    ):
        workbook = open_workbook(str(tmp), work)
        try:
            workbook.set_properties({"title": title})
            yield workbook
        finally:
            workbook.close()


NUMBER_FORMATS = {
    "int": "#,##0",
    "hours": "#,##0.0#",
    "percent": "0%",
    "datetime": "yyyy-mm-dd hh:mm",
    "date": "yyyy-mm-dd",
}
BASE: dict[str, Any] = {"font_name": FONT_NAME, "font_size": FONT_SIZE, "valign": "top"}


class Formats:
    """A cache of formats keyed by their properties."""

    def __init__(self, workbook: Workbook) -> None:
        self._workbook = workbook
        self._cache: dict[tuple[tuple[str, Any], ...], Format] = {}

    def get(self, **props: Any) -> Format:
        merged = {**BASE, **{k: v for k, v in props.items() if v is not None}}
        key = tuple(sorted(merged.items()))
        fmt = self._cache.get(key)
        if fmt is None:
            fmt = self._cache[key] = self._workbook.add_format(merged)
        return fmt

    # Named formats used in several places.
    def cell(
        self,
        *,
        kind: str = "text",
        wrap: bool = False,
        waived: bool = False,
        colour: Colour | None = None,
        quote: bool = False,
        link: bool = False,
        bold: bool = False,
    ) -> Format:
        props: dict[str, Any] = {}
        if kind in NUMBER_FORMATS:
            props["num_format"] = NUMBER_FORMATS[kind]
        if wrap:
            props["text_wrap"] = True
            props["indent"] = 1  # keeps text clear of a right-aligned number to its left
        if quote:
            props["quote_prefix"] = True
        if colour is not None:
            props["bg_color"] = colour.fill
            props["font_color"] = colour.text
        if link:
            props["font_color"] = "#0563C1"
            props["underline"] = 1
        if waived:
            props["font_color"] = WAIVED_TEXT
            props["italic"] = True
        if bold:
            props["bold"] = True
        return self.get(**props)

    def header(self, *, align: str | None = None) -> Format:
        return self.get(
            bold=True,
            font_color=HEADER_TEXT,
            bg_color=HEADER_FILL,
            border=1,
            border_color=HEADER_FILL,
            valign="vcenter",
            align=align,
        )

    def title(self) -> Format:
        return self.get(bold=True, font_size=18, font_color=TITLE_TEXT, valign="vcenter")

    def section(self) -> Format:
        return self.get(
            bold=True,
            font_size=12,
            font_color=SECTION_TEXT,
            bottom=2,
            bottom_color=RULE_LINE,
            valign="bottom",
        )

    def section_rule(self) -> Format:
        return self.get(bottom=2, bottom_color=RULE_LINE)

    def label(self) -> Format:
        return self.get(bold=True, font_color="#404040")

    def muted(self, *, wrap: bool = False) -> Format:
        return self.get(font_color="#595959", text_wrap=wrap or None)

    def total(self, kind: str = "text") -> Format:
        return self.get(bold=True, top=1, top_color="#7F7F7F", num_format=NUMBER_FORMATS.get(kind))


def estimate_width(
    header: str,
    values: Iterable[object],
    *,
    minimum: int = 6,
    maximum: int = 45,
) -> int:
    """A readable column width in characters: the header (plus room for the filter button)
    or the 95th percentile of the sampled values' lengths, whichever is larger, capped."""
    lengths = sorted(len(str(v)) for v in values if v is not None and v == v)
    typical = lengths[int(0.95 * (len(lengths) - 1))] if lengths else 0
    return max(minimum, min(maximum, max(len(header) + 4, typical + 2)))


def sample_values(values: list[T], size: int = 400) -> list[T]:
    """The first rows and an even spread of the rest: enough to size a column."""
    if len(values) <= size:
        return values
    head = values[: size // 2]
    step = max(1, (len(values) - size // 2) // (size // 2))
    return head + values[size // 2 :: step]
