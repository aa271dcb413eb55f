"""The client workbook: Summary, Scope and assumptions, VMs, Findings, Rules, Hosts, Data
gaps, Fields.

Written with XlsxWriter in ``constant_memory`` mode: each row goes to disk as soon as the next
row starts, so 100,000 VMs and 300,000 findings need little memory. The price: rows are
written strictly in order, one sheet after the other, and Excel *tables* are unavailable, so
lists get an autofilter and header cells styled by hand (LibreOffice does not draw table
styles anyway). For speed, the list rows are serialised in bulk by ``excel_rows`` (the bytes
XlsxWriter would write, several times faster) and the finished parts are deflated on several
threads by ``xlsx_zip`` (the same archive, sooner).

Headers are for people (``fields``): "VM", "Verdict", "Effort (h)"; each header cell carries
a note with its meaning and its snake_case field name, and the ``Fields`` sheet lists every
header with its field, the contract of the JSON and CSV files (see ``sheet_tables``). Columns run
in reading order: name and host first, the decision next, facts after, ids last.

Every sheet prints: landscape, one page wide, header row repeated, client and engagement in
the page header, page numbers in the footer (``print_setup``); a "Scope and assumptions"
sheet states what the figures rest on (``scope_sheet``).

Safety: nothing from an inventory is ever written with ``write()`` (which guesses types) and
the workbook is opened with ``strings_to_formulas``/``strings_to_urls``/``strings_to_numbers``
off. Text that starts like a formula is written as a string with the quote-prefix flag, so it
stays text even after someone edits the cell. Hyperlinks are made only from the URLs of our
own rule catalog (at most 65,530 per sheet, Excel's limit; the rest stay plain text).

Dates: ``generated_at`` and ``collected_at`` are shown in UTC when they carry a time zone.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter.packager
import xlsxwriter.workbook
from xlsxwriter.worksheet import Worksheet

from assess import __version__
from assess.atomic import atomic_path
from assess.model.assessment import Assessment
from assess.render.sheet_tables import workbook_frames
from assess.render.styles import host_status_colour, severity_colour, verdict_colour
from assess.render.text_safety import (
    DANGEROUS_LEADS,
    excel_text,
    find_urls,
    is_plain_url,
    looks_like_formula,
    reflow,
    to_text,
)
from assess.render.xlsx import fast_links, fast_paths, fast_rows, parallel_zip
from assess.render.xlsx.fast_rows import RowWriter
from assess.render.xlsx.fields import FieldInfo, printed_columns, sheet_headers
from assess.render.xlsx.formats import (
    KEEP_LINES_KINDS,
    Formats,
    estimate_width,
    open_workbook,
    sample_values,
)
from assess.render.xlsx.print_setup import setup_page
from assess.render.xlsx.scope_sheet import write_scope
from assess.render.xlsx.summary_sheet import write_summary

ProgressCallback = Callable[[int, int], None]

SHEET_ORDER: tuple[str, ...] = (
    "Summary",
    "Scope and assumptions",
    "VMs",
    "Findings",
    "Rules",
    "Hosts",
    "Data gaps",
    "Fields",
)
#: The sheets written as filtered lists.
LIST_SHEETS: tuple[str, ...] = ("VMs", "Findings", "Rules", "Hosts", "Data gaps", "Fields")

#: Cell kinds chosen by column name (the rest follows the dtype).
NAME_KINDS: dict[str, str] = {
    "effort_hours": "hours",
    "effort_if_converted_hours": "hours",
    "stays_gen1_expires": "date",
    "confidence": "percent",
    "verdict": "verdict",
    "severity": "severity",
    "reference": "url",
    "references": "references",
    "collected_at": "datetime",
    "waiver_expires": "date",
    "blocker_rules": "lines",
    "fix_rules": "lines",
}
SHEET_NAME_KINDS: dict[tuple[str, str], str] = {("Hosts", "status"): "host_status"}

#: Long free-text columns: wrapped, at this width (characters).
WRAP_WIDTHS: dict[str, int] = {
    "evidence": 48,
    "remediation": 60,
    "rationale": 60,
    "how_to_get": 50,
    "reason": 40,
    "needs": 30,
    "needed_by": 30,
    "missing_facts": 36,
    "waiver_reason": 36,
    "references": 60,
    "blocker_rules": 34,
    "fix_rules": 34,
    "reasons_to_convert_text": 34,
    "stays_gen1": 30,
    "stays_gen1_reason": 36,
    "meaning": 70,
}
#: Columns whose content matters less than the space it would take.
FIXED_WIDTHS: dict[str, int] = {"vm_key": 14, "vm_id": 14, "source": 18}

#: Cell colour by column kind.
_COLOURS: dict[str, Callable[[object], Any]] = {
    "verdict": verdict_colour,
    "severity": severity_colour,
    "host_status": host_status_colour,
}
#: Write the list rows in bulk where XlsxWriter allows it (``excel_rows``); tests turn it
#: off to compare with XlsxWriter's own cell-by-cell output.
FAST_ROWS = True

FREEZE: dict[str, tuple[int, int]] = {"VMs": (1, 1), "Findings": (1, 1)}
MAX_LINKS_PER_SHEET = 65_530
MAX_URL_LENGTH = 2_079
CHUNK_ROWS = 2_000
LINE_HEIGHT = 13.0  # points per line of 10-point text
MAX_LINES_PER_ROW = 12
PROGRESS_EVERY = 2_000


@dataclass
class _Column:
    name: str
    kind: str
    wrap: bool
    width: int


def write_workbook(
    assessment: Assessment,
    path: str | os.PathLike[str],
    *,
    on_progress: ProgressCallback | None = None,
) -> Path:
    """Write the workbook to ``path`` atomically (an existing file is replaced only by a
    complete new one). ``on_progress(done_rows, total_rows)`` is called every few thousand
    rows and once at the end. Returns ``path``."""
    target = Path(path)
    frames = workbook_frames(assessment)
    headers = {
        name: sheet_headers(name, frame.columns, assessment.fact_labels, _fact_meanings())
        for name, frame in frames.items()
    }
    frames["Fields"] = _fields_frame(headers)
    headers["Fields"] = sheet_headers("Fields", frames["Fields"].columns, {})
    progress = _Progress(sum(len(f) for f in frames.values()), on_progress)
    with (
        atomic_path(target, suffix=".xlsx") as tmp,
        tempfile.TemporaryDirectory(prefix="gen2-xlsx-", ignore_cleanup_errors=True) as work,
    ):
        workbook = open_workbook(str(tmp), work)
        workbook.set_properties(
            {
                "title": "Generation 2 readiness assessment",
                "subject": "Hyper-V Generation 1 to Generation 2",
                "comments": f"gen2-assess {__version__}",
                "created": _naive_utc(assessment.generated_at),
            }
        )
        fmts = Formats(workbook)
        sheets = {name: workbook.add_worksheet(name) for name in SHEET_ORDER}
        write_summary(workbook, sheets["Summary"], fmts, assessment)
        write_scope(sheets["Scope and assumptions"], fmts, assessment)
        catalog_urls = {url for value in assessment.rules["references"] for url in find_urls(value)}
        for name in LIST_SHEETS:
            writer = _ListWriter(sheets[name], name, fmts, catalog_urls, headers[name])
            writer.write(frames[name], progress)
            printed = printed_columns(name, list(frames[name].columns))
            setup_page(sheets[name], assessment, rows=len(frames[name]) + 1, cols=printed)
        with (
            parallel_zip.parallel_zip(xlsxwriter.workbook),  # the parts deflate on all cores
            fast_links.bulk_relationships(xlsxwriter.packager)
            if FAST_ROWS and fast_paths.enabled("bulk-rows")
            else contextlib.nullcontext(),
        ):
            workbook.close()
    progress.finish()
    return target


def _fact_meanings() -> dict[str, str]:
    from assess.facts.derive import FACTS

    return {fact.name: fact.description for fact in FACTS}


def _fields_frame(headers: dict[str, list[FieldInfo]]) -> pd.DataFrame:
    """One row per column of every list: sheet, header, field name, meaning."""
    rows = [
        (sheet, info.header, info.field, info.meaning)
        for sheet, infos in headers.items()
        for info in infos
    ]
    return pd.DataFrame(rows, columns=["sheet", "header", "field", "meaning"], dtype="string")


class _Progress:
    def __init__(self, total: int, callback: ProgressCallback | None) -> None:
        self.total = total
        self.done = 0
        self._callback = callback
        self._next = PROGRESS_EVERY

    def add(self, rows: int) -> None:
        self.done += rows
        if self._callback is not None and self.done >= self._next:
            self._callback(self.done, self.total)
            self._next = self.done + PROGRESS_EVERY

    def finish(self) -> None:
        if self._callback is not None:
            self._callback(self.total, self.total)


def _naive_utc(moment: datetime) -> datetime:
    """Excel has no time zones: aware datetimes are shown in UTC."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


class _ListWriter:
    """Writes one frame as a filtered list: styled header, typed cells, widths, freeze."""

    def __init__(
        self,
        ws: Worksheet,
        sheet: str,
        fmts: Formats,
        catalog_urls: set[str],
        headers: list[FieldInfo],
    ) -> None:
        self.ws = ws
        self.sheet = sheet
        self.fmts = fmts
        self.catalog_urls = catalog_urls
        self.headers = {info.field: info for info in headers}
        self.links = 0

    # -- layout ---------------------------------------------------------------------------
    def _columns(self, frame: pd.DataFrame) -> list[_Column]:
        columns = []
        sample_rows = _sample_index(len(frame))
        for name in frame.columns:
            kind = SHEET_NAME_KINDS.get((self.sheet, name)) or NAME_KINDS.get(name)
            series = frame[name]
            kind = kind or _dtype_kind(series)
            wrap = name in WRAP_WIDTHS
            header = self.headers[name].header if name in self.headers else name
            if name in FIXED_WIDTHS:
                width = FIXED_WIDTHS[name]
            elif wrap:
                sample = [to_text(v) for v in series.iloc[sample_rows].tolist()]
                width = estimate_width(header, sample, maximum=WRAP_WIDTHS[name])
            elif kind in ("int", "hours", "percent", "number", "bool"):
                width = max(8, len(header) + 4)
            elif kind in ("datetime", "date"):
                width = max(17 if kind == "datetime" else 11, len(header) + 4)
            else:
                sample = [to_text(v) for v in series.iloc[sample_rows].tolist()]
                width = estimate_width(header, sample, maximum=45 if kind != "url" else 40)
            columns.append(_Column(name, kind, wrap, width))
        return columns

    def _header(self, columns: list[_Column], rows: int) -> None:
        ws = self.ws
        header = self.fmts.header()
        numeric_header = self.fmts.header(align="right")  # over right-aligned numbers
        ws.set_row(0, 20)
        for col, column in enumerate(columns):
            ws.set_column(col, col, column.width)
            info = self.headers.get(column.name)
            numeric = column.kind in ("int", "hours", "percent", "number")
            ws.write_string(
                0, col, info.header if info else column.name, numeric_header if numeric else header
            )
            if info is not None and self.sheet != "Fields":
                note = f"{info.meaning} Field: {info.field}".strip()
                ws.write_comment(0, col, note, {"x_scale": 1.6, "y_scale": 0.6})
        ws.freeze_panes(*FREEZE.get(self.sheet, (1, 0)))
        ws.autofilter(0, 0, max(rows, 1), len(columns) - 1)

    # -- cells ----------------------------------------------------------------------------
    def write(self, frame: pd.DataFrame, progress: _Progress) -> None:
        columns = self._columns(frame)
        self._header(columns, len(frame))
        writers = [self._writer(column) for column in columns]
        # All rows but the last in bulk (see ``excel_rows``); the last one through
        # XlsxWriter, which keeps it pending until the workbook closes, as it always does.
        bulk = self._row_writer(columns, len(frame)) if FAST_ROWS and len(frame) > 1 else None
        waived_flags: list[bool] | None = None
        if self.sheet == "Findings" and "status" in frame.columns:
            waived_flags = (frame["status"].astype("string") == "waived").fillna(False).tolist()
        row = 1
        for start in range(0, len(frame), CHUNK_ROWS):
            chunk = frame.iloc[start : start + CHUNK_ROWS]
            values = [_prepare(column, chunk[column.name]) for column in columns]
            flags = (
                waived_flags[start : start + CHUNK_ROWS]
                if waived_flags is not None
                else [False] * len(chunk)
            )
            heights = _row_heights(chunk, columns)
            rows: Iterator[tuple[tuple[Any, ...], bool, float | None]] = zip(
                zip(*values, strict=True), flags, heights, strict=True
            )
            if bulk is not None:
                done = min(len(chunk), len(frame) - 1 - start)
                bulk.links = self.links
                bulk.write(row, [v[:done] for v in values], flags[:done], heights[:done])
                self.links = bulk.links
                rows = itertools.islice(rows, done, None)
                row += done
            for cells, flag, height in rows:
                for col, value in enumerate(cells):
                    if value is not None:
                        writers[col](row, col, value, flag)
                if height:
                    self.ws.set_row(row, height)
                row += 1
            progress.add(len(chunk))

    def _row_writer(self, columns: list[_Column], rows: int) -> RowWriter | None:
        """The bulk writer for this sheet, or None where XlsxWriter must write every cell:
        internals not as expected, more rows than a sheet holds (XlsxWriter drops the
        rest), or more than one link column (links are counted row by row against Excel's
        per-sheet limit)."""
        if not fast_rows.supported(self.ws) or rows >= self.ws.xls_rowmax:
            return None
        if sum(column.kind in ("url", "references") for column in columns) > 1:
            return None
        plans = [
            RowWriter.plan(self.fmts, column.kind, column.wrap, _COLOURS.get(column.kind))
            for column in columns
        ]
        fast_links.install(self.ws)
        return RowWriter(
            self.ws,
            self.fmts,
            plans,
            self.catalog_urls,
            MAX_LINKS_PER_SHEET,
            MAX_URL_LENGTH,
            _naive_utc,
        )

    def _writer(self, column: _Column) -> Callable[[int, int, Any, bool], None]:
        fmts, ws = self.fmts, self.ws
        kind, wrap = column.kind, column.wrap

        def pair(**props: Any) -> tuple[Any, Any]:
            return (fmts.cell(**props), fmts.cell(waived=True, **props))

        reflow_text = wrap and kind not in KEEP_LINES_KINDS
        text = _text_writer(
            ws, pair(wrap=wrap), pair(wrap=wrap, quote=True), reflow_text=reflow_text
        )
        if kind in ("int", "hours", "percent", "number"):
            return _number_writer(ws, pair(kind=kind), text)
        if kind == "bool":
            return _bool_writer(ws, pair(), text)
        if kind in ("datetime", "date"):
            return _date_writer(ws, pair(kind=kind), text)
        if kind in _COLOURS:
            return _coloured_writer(ws, fmts, _COLOURS[kind], text)
        if kind in ("url", "references"):
            return self._link_writer(pair(link=True, wrap=wrap), text)
        if kind == "auto":
            return _auto_writer(ws, pair(kind="number"), pair(), pair(kind="datetime"), text)
        return text

    def _link_writer(
        self, link_fmts: tuple[Any, Any], text: Callable[[int, int, Any, bool], None]
    ) -> Callable[[int, int, Any, bool], None]:
        write_url = self.ws.write_url

        def write(row: int, col: int, value: str, waived: bool) -> None:
            url = value.strip()
            if (
                url in self.catalog_urls
                and self.links < MAX_LINKS_PER_SHEET
                and len(url) <= MAX_URL_LENGTH
                and is_plain_url(url)
            ):
                self.links += 1
                write_url(row, col, url, link_fmts[waived], string=url)
            else:
                text(row, col, value, waived)

        return write


# -- value preparation (vectorised per chunk) -----------------------------------------------
def _sample_index(rows: int, size: int = 400) -> list[int]:
    return sample_values(list(range(rows)), size)


def _row_heights(chunk: pd.DataFrame, columns: list[_Column]) -> list[float | None]:
    """Heights for rows whose wrapped text needs more than one line, else None.

    Neither LibreOffice nor every Excel grows a row to fit wrapped text it did not lay out
    itself, so the writer sets the height from an estimate: a column ``width`` characters
    wide holds about ``width`` characters of 10-point text per line (a little more in fact,
    so the estimate errs on the tall side).
    """
    lines = [1] * len(chunk)
    for column in columns:
        if not column.wrap:
            continue
        per_line = max(int(column.width * 1.1), 1)
        values = chunk[column.name].tolist()
        known: dict[str, int] = {}  # texts repeat (remediation, how to get): count each once
        for i, value in enumerate(values):
            needed = known.get(value) if isinstance(value, str) else None
            if needed is None:
                needed = _lines_needed(value, column.kind, per_line)
                if isinstance(value, str):
                    known[value] = needed
            if needed > lines[i]:
                lines[i] = needed
    return [LINE_HEIGHT * min(n, MAX_LINES_PER_ROW) + 3 if n > 1 else None for n in lines]


def _lines_needed(value: Any, kind: str, per_line: int) -> int:
    if kind == "references":
        urls = find_urls(value)
        return sum(len(url) // per_line + 1 for url in urls) or 1
    if isinstance(value, str) and (len(value) > per_line or "\n" in value):
        text = value if kind in KEEP_LINES_KINDS else reflow(value)
        return sum(len(part) // per_line + 1 for part in text.split("\n"))
    return 1


def _dtype_kind(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_object_dtype(dtype):
        return "auto"
    return "text"


def _prepare(column: _Column, series: pd.Series) -> list[Any]:
    """A chunk of one column as Python values for its writer; None means "leave empty"."""
    kind = column.kind
    if kind in ("int", "hours", "percent", "number"):
        if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
            series.dtype
        ):
            numbers = pd.to_numeric(series, errors="coerce")
            values = numbers.astype("float64").to_numpy(na_value=np.nan).tolist()
            # Keep what is not a number as text rather than dropping it.
            raw = series.tolist()
            return [
                raw[i] if v != v and not _missing(raw[i]) else (None if v != v else v)
                for i, v in enumerate(values)
            ]
        values = series.to_numpy(dtype="float64", na_value=np.nan).tolist()
        return [None if v != v else v for v in values]
    if kind in ("datetime", "date"):
        return _prepare_dates(series)
    if kind == "bool":
        return series.to_numpy(dtype=object, na_value=None).tolist()
    if kind == "auto":
        return [None if _missing(v) else v for v in series.tolist()]
    if kind == "references":
        # One reference per line, whatever separates them in the catalog.
        return [
            None if _missing(v) else ("\n".join(find_urls(v)) or to_text(v, "\n"))
            for v in series.tolist()
        ]
    sep = " "
    if pd.api.types.is_object_dtype(series.dtype):
        return [to_text(v, sep) for v in series.tolist()]
    return series.to_numpy(dtype=object, na_value=None).tolist()


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _prepare_dates(series: pd.Series) -> list[Any]:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        parsed = series
        if getattr(series.dt, "tz", None) is not None:
            parsed = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return [None if pd.isna(v) else v.to_pydatetime() for v in parsed.tolist()]
    raw = series.astype("string")
    parsed = pd.to_datetime(raw, errors="coerce", utc=True, format="ISO8601")
    parsed = parsed.dt.tz_localize(None)
    out: list[Any] = []
    for text, moment in zip(raw.tolist(), parsed.tolist(), strict=True):
        if not pd.isna(moment):
            out.append(moment.to_pydatetime())
        elif _missing(text) or text == "":
            out.append(None)
        else:
            out.append(str(text))  # not a date we can read: keep it as text
    return out


# -- cell writers -------------------------------------------------------------------------
Writer = Callable[[int, int, Any, bool], None]


def _text_writer(
    ws: Worksheet, plain: tuple[Any, Any], quoted: tuple[Any, Any], *, reflow_text: bool = False
) -> Writer:
    write_string = ws.write_string
    leads = frozenset(DANGEROUS_LEADS)

    def write(row: int, col: int, value: Any, waived: bool) -> None:
        if not isinstance(value, str):
            value = to_text(value)
            if value is None:
                return
        if not value:
            return
        if reflow_text and "\n" in value:
            value = reflow(value)
        if len(value) > 32_767:
            value = excel_text(value)
        first = value[0]
        if first in leads or (first == " " and looks_like_formula(value)):
            write_string(row, col, value, quoted[waived])
        else:
            write_string(row, col, value, plain[waived])

    return write


def _number_writer(ws: Worksheet, fmts: tuple[Any, Any], text: Writer) -> Writer:
    write_number = ws.write_number

    def write(row: int, col: int, value: Any, waived: bool) -> None:
        finite = isinstance(value, float) and math.isfinite(value)
        if finite or (isinstance(value, int) and not isinstance(value, bool)):
            write_number(row, col, value, fmts[waived])
        else:
            text(row, col, value, waived)

    return write


def _bool_writer(ws: Worksheet, fmts: tuple[Any, Any], text: Writer) -> Writer:
    write_boolean = ws.write_boolean

    def write(row: int, col: int, value: Any, waived: bool) -> None:
        if isinstance(value, (bool, np.bool_)):
            write_boolean(row, col, bool(value), fmts[waived])
        else:
            text(row, col, value, waived)

    return write


def _date_writer(ws: Worksheet, fmts: tuple[Any, Any], text: Writer) -> Writer:
    write_datetime = ws.write_datetime

    def write(row: int, col: int, value: Any, waived: bool) -> None:
        if isinstance(value, (datetime, date)):
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = _naive_utc(value)
            write_datetime(row, col, value, fmts[waived])
        else:
            text(row, col, value, waived)

    return write


def _coloured_writer(
    ws: Worksheet, fmts: Formats, colour_of: Callable[[object], Any], text: Writer
) -> Writer:
    write_string = ws.write_string
    cache: dict[tuple[str, bool], Any] = {}

    def write(row: int, col: int, value: Any, waived: bool) -> None:
        colour = colour_of(value)
        if colour is None or looks_like_formula(str(value)):
            text(row, col, value, waived)
            return
        key = (value, waived)
        fmt = cache.get(key)
        if fmt is None:
            fmt = cache[key] = (
                fmts.cell(waived=True) if waived else fmts.cell(colour=colour, bold=True)
            )
        write_string(row, col, value, fmt)

    return write


def _auto_writer(
    ws: Worksheet,
    number: tuple[Any, Any],
    boolean: tuple[Any, Any],
    moment: tuple[Any, Any],
    text: Writer,
) -> Writer:
    """For object columns: the value's own type decides, strings always stay strings."""

    def write(row: int, col: int, value: Any, waived: bool) -> None:
        if isinstance(value, (bool, np.bool_)):
            ws.write_boolean(row, col, bool(value), boolean[waived])
        elif isinstance(value, (int, float, np.integer, np.floating)):
            if math.isfinite(float(value)):
                ws.write_number(row, col, float(value), number[waived])
        elif isinstance(value, (datetime, date)):
            ws.write_datetime(
                row,
                col,
                _naive_utc(value) if isinstance(value, datetime) else value,
                moment[waived],
            )
        else:
            text(row, col, value, waived)

    return write
