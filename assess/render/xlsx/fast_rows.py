"""List-sheet rows serialised in bulk: the workbook's hot loop.

XlsxWriter spends about 7 µs per cell (a method call, a tuple, then per-attribute escaping
when the row is flushed): 140,000 cells a second, 15 s for the 2 million cells of 20,000
VMs. In ``constant_memory`` mode a worksheet only appends finished ``<row>`` elements to a
temporary file, and this module writes exactly those elements itself, a chunk of rows at a
time, with the cell decisions (which format, text or number, quote prefix, hyperlink) made
column-wise and each distinct text escaped once: the whole workbook then goes at 700,000 to
900,000 cells a second.

What it writes is what XlsxWriter would write for the same calls on a
``formats.TextOnlyWorksheet``, byte for byte (the test suite compares both): every string is
escaped, including one that looks like XlsxWriter's rich-string markup, so inventory text can
never inject XML.

It reaches into XlsxWriter internals (the row file, dimensions, hyperlink table, format
indices). ``supported()`` checks that they are all there and the writer falls back to
XlsxWriter's own cell-by-cell calls otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

from assess.render.text_safety import (
    DANGEROUS_LEADS,
    excel_text,
    is_plain_url,
    looks_like_formula,
    reflow,
    to_text,
)
from assess.render.xlsx import fast_paths
from assess.render.xlsx.formats import KEEP_LINES_KINDS, Formats

try:  # private helpers: their absence only means the slower path
    from xlsxwriter.url import Url
    from xlsxwriter.utility import _utf16_len, _utf16_truncate, xl_col_to_name
    from xlsxwriter.worksheet import RowInfo
except ImportError:  # pragma: no cover - depends on the installed XlsxWriter
    Url = None

_LEADS = frozenset(DANGEROUS_LEADS)
#: Characters and sequences XlsxWriter rewrites in cell text (XML specials, control
#: characters as ``_xHHHH_``, and literal ``_xHHHH_`` sequences, which it escapes).
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_ESCAPED_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_PRESERVE = ' xml:space="preserve"'
_NONE = type(None)
_WORKSHEET_ATTRIBUTES = (
    "constant_memory",
    "fh",
    "row_data_fh",
    "row_data_fh_closed",
    "previous_row",
    "table",
    "row_info",
    "row_sizes",
    "comments",
    "hyperlinks",
    "hlink_count",
    "max_url_length",
    "xls_strmax",
    "xls_rowmax",
    "dim_rowmin",
    "dim_rowmax",
    "dim_colmin",
    "dim_colmax",
    "default_row_height",
    "original_row_height",
    "excel_version",
    "_write_single_row",
    "_convert_date_time",
)

Pair = tuple[Any, Any]  # (format for an open row, format for a waived finding)


def supported(ws: Any) -> bool:
    """Whether ``ws`` is a constant-memory XlsxWriter worksheet with the internals used here,
    from an XlsxWriter release this module was verified with (see ``fast_paths``)."""
    if not fast_paths.enabled("bulk-rows"):
        return False
    if Url is None or not all(hasattr(ws, name) for name in _WORKSHEET_ATTRIBUTES):
        return False
    return (
        bool(ws.constant_memory)
        and ws.fh is ws.row_data_fh
        and not ws.row_data_fh_closed
        and ws.excel_version == 2007
        and ws.xls_strmax == 32_767
    )


# -- cell XML --------------------------------------------------------------------------------
def string_tail(text: str) -> str:
    """An inline-string cell after ``s="N"``, escaped as XlsxWriter escapes it."""
    text = _escape_controls(text)
    preserve = _PRESERVE if text[:1].isspace() or text[-1:].isspace() else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f' t="inlineStr"><is><t{preserve}>{text}</t></is></c>'


def _escape_controls(text: str) -> str:
    text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    return text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")


def _plain_tail(text: str) -> str:
    """``string_tail`` for text known to hold nothing to escape."""
    if text[0].isspace() or text[-1].isspace():
        return f' t="inlineStr"><is><t{_PRESERVE}>{text}</t></is></c>'
    return f' t="inlineStr"><is><t>{text}</t></is></c>'


def _string_tails(texts: list[str]) -> list[str]:
    """``string_tail`` of many texts; the slow path only when one of them needs it."""
    if _SPECIAL.search("\n".join(texts)) is None:
        return [_plain_tail(text) for text in texts]
    return [string_tail(text) for text in texts]


def _excel_string(text: str, limit: int) -> str:
    """What XlsxWriter's ``write_string`` keeps of a long string (UTF-16 units)."""
    if len(text) > limit // 2 and _utf16_len(text) > limit:
        return _utf16_truncate(text, limit)
    return text


def number_tail(number: float | int) -> str:
    return f"><v>{number:.16G}</v></c>"


_TRUE = ' t="b"><v>1</v></c>'
_FALSE = ' t="b"><v>0</v></c>'


# -- per-column plans ---------------------------------------------------------------------
@dataclass
class _Plan:
    """How one column's values become cells, mirroring ``excel._ListWriter._writer``."""

    kind: str
    text: Pair
    quoted: Pair
    typed: Pair | None = None  # number / date / boolean / link format
    auto_number: Pair | None = None
    auto_bool: Pair | None = None
    auto_date: Pair | None = None
    colour_of: Callable[[object], Any] | None = None
    reflow_text: bool = False


class RowWriter:
    """Writes the data rows of one list sheet straight into its row file."""

    def __init__(
        self,
        ws: Any,
        fmts: Formats,
        plans: Sequence[_Plan],
        catalog_urls: set[str],
        max_links: int,
        max_url_length: int,
        naive_utc: Callable[[datetime], datetime],
    ) -> None:
        self.ws = ws
        self.fmts = fmts
        self.plans = list(plans)
        self.catalog_urls = catalog_urls
        self.max_links = max_links
        self.max_url_length = max_url_length
        self.naive_utc = naive_utc
        self.links = 0
        self.letters = [xl_col_to_name(col) for col in range(len(self.plans))]
        self._flushed_header = False
        self._urls: dict[str, tuple[bool, Any, str]] = {}
        # What set_row stores per row, shared by rows of one height (XlsxWriter only reads it).
        self._row_infos: dict[int, tuple[Any, list[Any]]] = {}

    @classmethod
    def plan(cls, fmts: Formats, kind: str, wrap: bool, colour_of: Callable | None) -> _Plan:
        """The formats ``_ListWriter._writer`` would use for a column of this kind."""

        def pair(**props: Any) -> Pair:
            return (fmts.cell(**props), fmts.cell(waived=True, **props))

        plan = _Plan(
            kind=kind,
            text=pair(wrap=wrap),
            quoted=pair(wrap=wrap, quote=True),
            reflow_text=wrap and kind not in KEEP_LINES_KINDS,
        )
        if kind in ("int", "hours", "percent", "number", "datetime", "date"):
            plan.typed = pair(kind=kind)
        elif kind == "bool":
            plan.typed = pair()
        elif kind in ("url", "references"):
            plan.typed = pair(link=True, wrap=wrap)
        elif kind == "auto":
            plan.auto_number = pair(kind="number")
            plan.auto_bool = pair()
            plan.auto_date = pair(kind="datetime")
        plan.colour_of = colour_of
        return plan

    # -- rows ----------------------------------------------------------------------------
    def write(
        self,
        first_row: int,
        values: Sequence[list[Any]],
        waived: Sequence[bool],
        heights: Sequence[float | None],
    ) -> None:
        """Write rows ``first_row ...`` (one list of prepared values per column, as
        ``excel._prepare`` makes them; None = empty cell)."""
        ws = self.ws
        count = len(waived)
        if not count:
            return
        if not self._flushed_header:
            # Hand the header row (and anything else pending) to XlsxWriter's own writer.
            ws._write_single_row(first_row)
            self._flushed_header = True
        rows = range(first_row, first_row + count)
        columns = [
            self._cells(col, plan, column_values, waived, rows)
            for col, (plan, column_values) in enumerate(zip(self.plans, values, strict=True))
        ]
        index = self._format_indices([fmts for fmts, _ in columns])
        xf = {fmt: f'" s="{number}"' for fmt, number in index.items()}
        numbers = [str(row + 1) for row in rows]
        texts = []
        used_cols = []
        for col, (fmts, tails) in enumerate(columns):
            head = f'<c r="{self.letters[col]}'
            cells = [
                "" if tail is None else f"{head}{number}{xf[fmt]}{tail}"
                for number, fmt, tail in zip(numbers, fmts, tails, strict=True)
            ]
            texts.append(cells)
            if tails.count(None) < len(tails):
                used_cols.append(col)
        row_texts = list(map("".join, zip(*texts, strict=True)))
        customs = [""] * count
        tall = [(i, height) for i, height in enumerate(heights) if height]
        for i, height in tall:
            row = rows[i]
            pixels = int(height * 4.0 / 3.0 + 0.5)
            shared = self._row_infos.get(pixels)
            if shared is None:
                shared = self._row_infos[pixels] = (_row_info(pixels), [pixels, False])
            ws.row_info[row], ws.row_sizes[row] = shared
            if pixels != ws.original_row_height or pixels != ws.default_row_height:
                customs[i] = f' ht="{pixels * 0.75:.16g}" customHeight="1"'
        out = [
            f'<row r="{number}"{custom}>{text}</row>' if text else f'<row r="{number}"{custom}/>'
            for number, custom, text in zip(numbers, customs, row_texts, strict=True)
        ]
        used = [i for i, text in enumerate(row_texts) if text]
        if len(used) < count:  # a row with neither cells nor height has no element
            tall_rows = {i for i, _ in tall}
            out = [row for i, row in enumerate(out) if row_texts[i] or i in tall_rows]
            used = sorted({*used, *tall_rows})
        ws.fh.write("".join(out))
        used_rows = (rows[used[0]], rows[used[-1]]) if used else None
        _record_extent(ws, used_rows, used_cols, first_row + count)

    @staticmethod
    def _format_indices(columns: list[list[Any]]) -> dict[Any, int]:
        """Format index per format, assigned in the order XlsxWriter assigns them: by each
        format's first cell, row by row, left to right."""
        firsts: dict[Any, tuple[int, int]] = {}
        for col, fmts in enumerate(columns):
            for fmt in dict.fromkeys(fmts):
                if fmt is not None:
                    first = (fmts.index(fmt), col)
                    if fmt not in firsts or first < firsts[fmt]:
                        firsts[fmt] = first
        ordered = sorted(firsts, key=firsts.__getitem__)
        return {fmt: fmt._get_xf_index() for fmt in ordered}

    # -- cells ---------------------------------------------------------------------------
    def _cells(
        self,
        col: int,
        plan: _Plan,
        values: list[Any],
        waived: Sequence[bool],
        rows: range,
    ) -> tuple[list[Any], list[str | None]]:
        """Each cell's format and XML after ``s="N"`` (None: no cell)."""
        kind = plan.kind
        size = len(values)
        fmts: list[Any] = [None] * size
        tails: list[str | None] = [None] * size
        text_rows: list[int] = []
        if kind in ("int", "hours", "percent", "number", "bool"):
            fast = self._typed_cells(plan, values, waived)
            if fast is not None:
                return fast
        if kind in ("int", "hours", "percent", "number"):
            typed = plan.typed
            assert typed is not None
            known: dict[Any, str] = {}
            for i, value in enumerate(values):
                if value is None:
                    continue
                if (isinstance(value, float) and math.isfinite(value)) or (
                    isinstance(value, int) and not isinstance(value, bool)
                ):
                    tail = known.get(value)
                    if tail is None:
                        tail = known[value] = number_tail(value)
                    fmts[i] = typed[waived[i]]
                    tails[i] = tail
                else:
                    text_rows.append(i)
        elif kind == "bool":
            typed = plan.typed
            assert typed is not None
            for i, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, (bool, np.bool_)):
                    fmts[i] = typed[waived[i]]
                    tails[i] = _TRUE if value else _FALSE
                else:
                    text_rows.append(i)
        elif kind in ("datetime", "date"):
            typed = plan.typed
            assert typed is not None
            for i, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, (datetime, date)):
                    if isinstance(value, datetime) and value.tzinfo is not None:
                        value = self.naive_utc(value)
                    fmts[i] = typed[waived[i]]
                    tails[i] = number_tail(self.ws._convert_date_time(value))
                else:
                    text_rows.append(i)
        elif kind in ("verdict", "severity", "host_status"):
            self._coloured(plan, values, waived, fmts, tails, text_rows)
        elif kind in ("url", "references"):
            self._links(col, plan, values, waived, rows, fmts, tails, text_rows)
        elif kind == "auto":
            self._auto(plan, values, waived, fmts, tails, text_rows)
        else:
            self._texts(plan, values, waived, None, fmts, tails)
            return fmts, tails
        if text_rows:
            self._texts(plan, values, waived, text_rows, fmts, tails)
        return fmts, tails

    @staticmethod
    def _typed_cells(
        plan: _Plan, values: list[Any], waived: Sequence[bool]
    ) -> tuple[list[Any], list[str | None]] | None:
        """The usual number or boolean column, all at once: every value is a finite number
        (or, for booleans, a bool) or missing. None when some value needs the general path."""
        typed = plan.typed
        assert typed is not None
        kinds = set(map(type, values))
        if plan.kind == "bool":
            if not kinds <= {bool, _NONE}:
                return None
            tail_of: dict[Any, str] = {True: _TRUE, False: _FALSE}
        else:
            if not kinds <= {int, float, _NONE}:
                return None
            distinct = dict.fromkeys(values)  # 1 and 1.0 are one key: both write "1"
            distinct.pop(None, None)
            if not all(math.isfinite(value) for value in distinct):
                return None
            tail_of = {value: number_tail(value) for value in distinct}
        tails = list(map(tail_of.get, values))
        if any(waived):
            fmts = [None if t is None else typed[w] for t, w in zip(tails, waived, strict=True)]
        else:
            fmts = [None if t is None else typed[0] for t in tails]
        return fmts, tails

    def _texts(
        self,
        plan: _Plan,
        values: list[Any],
        waived: Sequence[bool],
        where: list[int] | None,
        fmts: list[Any],
        tails: list[str | None],
    ) -> None:
        """``excel._text_writer`` for the cells at ``where`` (None: every cell). Each
        distinct text is examined once."""
        if where is None and set(map(type, values)) <= {str, _NONE}:
            # The usual column: text or nothing, so values are their own keys.
            found = list(map(self._describe_texts(plan, dict.fromkeys(values)).get, values))
            if any(waived):
                fmts[:] = [None if d is None else d[w] for d, w in zip(found, waived, strict=True)]
            else:
                fmts[:] = [None if d is None else d[0] for d in found]
            tails[:] = [None if d is None else d[2] for d in found]
            return
        if where is None:
            where = [i for i, value in enumerate(values) if value is not None]
        texts = [
            value if isinstance(value, str) else to_text(value)
            for value in (values[i] for i in where)
        ]
        described = self._describe_texts(plan, dict.fromkeys(texts))
        for i, text in zip(where, texts, strict=True):
            item = described.get(text)
            if item is not None:
                fmts[i] = item[waived[i]]
                tails[i] = item[2]

    def _describe_texts(
        self, plan: _Plan, texts: dict[str | None, None]
    ) -> dict[str | None, tuple[Any, Any, str]]:
        """Text -> (format for an open row, for a waived one, cell XML tail); texts that
        make no cell are left out."""
        limit = self.ws.xls_strmax
        keys: list[str] = []
        kept: list[str] = []
        for text in texts:
            if not text:
                continue  # None or "": no cell
            value = text
            if plan.reflow_text and "\n" in value:
                value = reflow(value)
            if len(value) > 32_767:
                value = excel_text(value)
            keys.append(text)
            kept.append(value)
        leads = _LEADS
        plain, quoted = plan.text, plan.quoted
        tails = _string_tails([_excel_string(value, limit) for value in kept])
        described: dict[str | None, tuple[Any, Any, str]] = {}
        for key, value, tail in zip(keys, kept, tails, strict=True):
            first = value[0]
            pair = (
                quoted if first in leads or (first == " " and looks_like_formula(value)) else plain
            )
            described[key] = (pair[0], pair[1], tail)
        return described

    def _coloured(
        self,
        plan: _Plan,
        values: list[Any],
        waived: Sequence[bool],
        fmts: list[Any],
        tails: list[str | None],
        text_rows: list[int],
    ) -> None:
        colour_of = plan.colour_of
        assert colour_of is not None
        limit = self.ws.xls_strmax
        known: dict[tuple[Any, bool], tuple[Any, str] | None] = {}
        for i, value in enumerate(values):
            if value is None:
                continue
            key = (value, waived[i])
            if key in known:
                cell = known[key]
            else:
                colour = colour_of(value)
                if colour is None or looks_like_formula(str(value)):
                    cell = None
                else:
                    fmt = (
                        self.fmts.cell(waived=True)
                        if waived[i]
                        else self.fmts.cell(colour=colour, bold=True)
                    )
                    cell = (fmt, string_tail(_excel_string(value, limit)))
                known[key] = cell
            if cell is None:
                text_rows.append(i)
            else:
                fmts[i], tails[i] = cell

    def _links(
        self,
        col: int,
        plan: _Plan,
        values: list[Any],
        waived: Sequence[bool],
        rows: range,
        fmts: list[Any],
        tails: list[str | None],
        text_rows: list[int],
    ) -> None:
        """``excel._ListWriter._link_writer`` then XlsxWriter's ``write_url``. Cells with the
        same URL share one ``Url`` (XlsxWriter only reads it once the row is written)."""
        typed = plan.typed
        assert typed is not None
        ws = self.ws
        limit = ws.xls_strmax
        for i, value in enumerate(values):
            if value is None:
                continue
            url = value.strip()
            known = self._urls.get(url)
            if known is None:
                known = self._urls[url] = self._link_for(url, limit)
            eligible, link, tail = known
            if not eligible or self.links >= self.max_links:
                text_rows.append(i)
                continue
            self.links += 1
            if link is None:
                continue  # XlsxWriter skips a URL over its length limit (and warns): no cell
            ws.hlink_count += 1
            ws.hyperlinks[rows[i]][col] = link
            fmts[i] = typed[waived[i]]
            tails[i] = tail

    def _link_for(self, url: str, limit: int) -> tuple[bool, Any, str]:
        """Whether ``url`` may become a link, its ``Url`` and its cell XML tail."""
        if not (url in self.catalog_urls and len(url) <= self.max_url_length and is_plain_url(url)):
            return (False, None, "")
        target, _, anchor = url.partition("#")
        if max(_utf16_len(target), _utf16_len(anchor)) > self.ws.max_url_length:
            return (True, None, "")
        link = Url(url)
        link._text = url
        return (True, link, string_tail(_excel_string(url, limit)))

    def _auto(
        self,
        plan: _Plan,
        values: list[Any],
        waived: Sequence[bool],
        fmts: list[Any],
        tails: list[str | None],
        text_rows: list[int],
    ) -> None:
        """``excel._auto_writer``: the value's own type decides."""
        number, boolean, moment = plan.auto_number, plan.auto_bool, plan.auto_date
        assert number is not None and boolean is not None and moment is not None
        for i, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, (bool, np.bool_)):
                fmts[i] = boolean[waived[i]]
                tails[i] = _TRUE if value else _FALSE
            elif isinstance(value, (int, float, np.integer, np.floating)):
                if math.isfinite(float(value)):
                    fmts[i] = number[waived[i]]
                    tails[i] = number_tail(float(value))
            elif isinstance(value, (datetime, date)):
                if isinstance(value, datetime):
                    value = self.naive_utc(value)
                fmts[i] = moment[waived[i]]
                tails[i] = number_tail(self.ws._convert_date_time(value))
            else:
                text_rows.append(i)


def _row_info(pixels: int) -> Any:
    """The ``RowInfo`` XlsxWriter's ``set_row`` would store (used for object positions)."""
    return RowInfo(height=pixels, row_format=None, hidden=False, level=0, collapsed=False)


# -- unformatted rows ------------------------------------------------------------------------
_EMPTY_STRING = ' t="inlineStr"><is><t></t></is></c>'


def write_plain_rows(ws: Any, first_row: int, columns: Sequence[Sequence[Any]]) -> None:
    """Rows ``first_row ...`` of cells without a format, one sequence of values per column:
    a ``str`` as ``write_string`` writes it (``""`` included), an ``int`` as ``write_number``,
    ``None`` no cell. The rows above must be written already; call only when
    ``supported(ws)``. Each distinct text is escaped once."""
    count = len(columns[0]) if columns else 0
    if not count:
        return
    ws._write_single_row(first_row)  # hand the rows above (the header) to XlsxWriter first
    limit = ws.xls_strmax
    numbers = [str(row + 1) for row in range(first_row, first_row + count)]
    cells_by_column = []
    used_cols = []
    for col, values in enumerate(columns):
        tail_of = _plain_tails(values, limit)
        head = f'<c r="{xl_col_to_name(col)}'
        tails = list(map(tail_of.__getitem__, values))
        cells_by_column.append(
            [
                "" if tail is None else f'{head}{number}"{tail}'
                for number, tail in zip(numbers, tails, strict=True)
            ]
        )
        if tails.count(None) < count:
            used_cols.append(col)
    row_texts = list(map("".join, zip(*cells_by_column, strict=True)))
    used = [i for i, text in enumerate(row_texts) if text]
    ws.fh.write("".join(f'<row r="{numbers[i]}">{row_texts[i]}</row>' for i in used))
    used_rows = (first_row + used[0], first_row + used[-1]) if used else None
    _record_extent(ws, used_rows, used_cols, first_row + count)


def _record_extent(ws: Any, rows: tuple[int, int] | None, cols: list[int], next_row: int) -> None:
    """What XlsxWriter's own writes record: the used range (first and last row written,
    first and last column) grown to cover these rows, and the next row to write."""
    if rows is not None:
        low, high = rows
        ws.dim_rowmin = low if ws.dim_rowmin is None else min(ws.dim_rowmin, low)
        ws.dim_rowmax = high if ws.dim_rowmax is None else max(ws.dim_rowmax, high)
    if cols:
        low, high = cols[0], cols[-1]
        ws.dim_colmin = low if ws.dim_colmin is None else min(ws.dim_colmin, low)
        ws.dim_colmax = high if ws.dim_colmax is None else max(ws.dim_colmax, high)
    ws.previous_row = next_row


def _plain_tails(values: Sequence[Any], limit: int) -> dict[Any, str | None]:
    """Value -> cell XML after ``r="..."`` (None: no cell), for each distinct value."""
    distinct = dict.fromkeys(values)
    texts = [v for v in distinct if type(v) is str and v]
    tail_of: dict[Any, str | None] = dict(
        zip(texts, _string_tails([_excel_string(text, limit) for text in texts]), strict=True)
    )
    for value in distinct:
        if value is None:
            tail_of[None] = None
        elif value == "" and type(value) is str:
            tail_of[""] = _EMPTY_STRING
        elif type(value) is int:
            tail_of[value] = number_tail(value)
        elif type(value) is not str:
            raise TypeError(f"a plain row holds text, whole numbers or None, not {value!r}")
    return tail_of
