"""One reader for CSV text and workbooks: rows of text cells with their line numbers.

CSV goes through the standard ``csv`` module, which handles quoted fields that span lines
(multi-line Notes); the reader tracks the physical line on which each record starts, so a
warning points at the line an editor shows. The delimiter (``,``, ``;`` or tab) is taken
from the header line; a ``#TYPE ...`` first line (Windows PowerShell ``Export-Csv``) and an
Excel ``sep=;`` hint are understood.

A quote that never closes would make the ``csv`` module read the rest of the file as one
field. A record that spans lines but has the wrong number of fields, or whose lines read one
by one look like whole rows of their own, is therefore read again line by line: one bad row
costs one row, never the rest of the file.

Workbooks (xlsx, xlsm, xlsb, xls, ods) are read with python-calamine, which keeps text as
text; each worksheet becomes one table whose line numbers are the sheet's row numbers.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from assess.gc_pause import gc_paused
from assess.model.diagnostics import InputError, RowWarning
from assess.sources import text_files
from assess.sources.field_bounds import cap_row

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SEP_HINT = re.compile(r'^"?sep=(.)"?\s*$')
_DELIMITERS = (",", ";", "\t")

# The csv module refuses a field over 128 KiB by default, which would read a long quoted
# cell (multi-line notes) as broken quoting. A field's size is bounded by the file's; the
# reader cuts each cell to its bound afterwards (``field_bounds``).
CSV_FIELD_LIMIT = 2**31 - 1
csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))


@dataclass
class Table:
    """Text cells of one CSV file or worksheet: one object array of ``str`` per column
    (blank cells are ``""``), and the line on which each row starts."""

    path: str
    headers: list[str]
    columns: list[np.ndarray]
    lines: np.ndarray  # editor line (CSV) or sheet row (workbook) where each row starts
    header_line: int
    type_name: str | None = None  # "#TYPE" of a PowerShell export
    delimiter: str | None = None
    sheet: str | None = None
    warnings: list[RowWarning] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)


def is_workbook(head: bytes) -> bool:
    """A zip container (xlsx, xlsm, xlsb, ods) or an OLE file (xls)."""
    return head.startswith((_ZIP_MAGIC, _OLE_MAGIC))


def read_tables(path: str, data: bytes | None = None) -> list[Table]:
    """Every table of a file: one for CSV text, one per worksheet for a workbook."""
    if data is None:
        data = text_files.read_bytes(path)
    if is_workbook(data[:8]):
        return read_workbook(path, data)
    return [read_csv_text(text_files.decode(data, path), path)]


# --------------------------------------------------------------------------- CSV


@dataclass(frozen=True)
class CsvHead:
    """What the first lines of a CSV say: headers, delimiter, and the ``#TYPE`` if any."""

    headers: list[str]
    delimiter: str
    type_name: str | None
    header_index: int  # 0-based index of the header line


def sniff_delimiter(line: str) -> str:
    """The delimiter of a header line: the most frequent of ``,`` ``;`` tab outside quotes."""
    outside = re.sub(r'"[^"]*"', "", line)
    counts = {d: outside.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv_head(lines: list[str]) -> CsvHead | None:
    """Parse the preamble and header of CSV lines; ``None`` when there is no header line."""
    index = 0
    type_name = None
    delimiter = None
    if lines and lines[0].startswith("#TYPE"):
        type_name = lines[0][5:].strip() or None
        index = 1
    elif lines and (hint := _SEP_HINT.match(lines[0])):
        delimiter = hint.group(1)
        index = 1
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines):
        return None
    delimiter = delimiter or sniff_delimiter(lines[index])
    headers = _parse_line(lines[index], delimiter)
    if not any(h.strip() for h in headers):
        return None
    return CsvHead(headers, delimiter, type_name, index)


#: Characters ``str.splitlines`` breaks on but the ``csv`` module does not.
_OTHER_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def split_lines(text: str) -> list[str]:
    """Physical lines with their endings, split where the ``csv`` module splits (CR, LF)."""
    if _OTHER_BREAKS.search(text) is None:
        return text.splitlines(keepends=True)
    return list(io.StringIO(text, newline=""))


def read_csv_text(text: str, path: str) -> Table:
    """Read CSV text into a table. ``InputError`` when there is no header line."""
    with gc_paused():
        return _read_csv_text(text, path)


def _read_csv_text(text: str, path: str) -> Table:
    lines = split_lines(text)
    head = read_csv_head(lines)
    if head is None:
        raise InputError(path, "no header line")
    rows = _Rows(path, len(head.headers), [h.strip().lstrip("\ufeff") for h in head.headers])
    delimiter = head.delimiter
    ncols = rows.ncols
    for begin, end, fields in _records(lines, head.header_index + 1, delimiter):
        if end - begin == 1 and fields is not None:
            rows.add(fields, end)
        elif fields is not None and not _suspicious(lines, begin, end, fields, ncols, delimiter):
            rows.add(fields, begin + 1)
        else:
            rows.warnings.append(
                RowWarning(
                    path,
                    begin + 1,
                    None,
                    f"unbalanced quotes: lines {begin + 1}-{end} read one line at a time",
                )
            )
            for index in range(begin, end):
                rows.add(_parse_line(lines[index], delimiter), index + 1)
    return Table(
        path=path,
        headers=[h.strip().lstrip("\ufeff") for h in head.headers],
        columns=_columns(rows.cells, rows.ncols),
        lines=np.array(rows.starts, dtype=np.int64),
        header_line=head.header_index + 1,
        type_name=head.type_name,
        delimiter=delimiter,
        warnings=rows.warnings,
    )


class _Rows:
    """Collects rows of exactly ``ncols`` cells; blank rows are dropped."""

    def __init__(self, path: str, ncols: int, headers: list[str]) -> None:
        self.path = path
        self.ncols = ncols
        self.headers = headers
        self.cells: list[list[str]] = []
        self.starts: list[int] = []
        self.warnings: list[RowWarning] = []

    def add(self, fields: list[str], line: int) -> None:
        if not "".join(fields).strip():
            return
        ncols = self.ncols
        if len(fields) != ncols:
            if len(fields) < ncols:
                fields = fields + [""] * (ncols - len(fields))
            else:
                extra = fields[ncols:]
                if "".join(extra).strip():
                    self.warnings.append(
                        RowWarning(
                            self.path,
                            line,
                            None,
                            f"{len(extra)} value(s) beyond the last column ignored",
                        )
                    )
                fields = fields[:ncols]
        fields = cap_row(fields, self.headers, self._warner(line))
        self.cells.append(fields)
        self.starts.append(line)

    def _warner(self, line: int) -> Any:
        def warn(column: str, message: str) -> None:
            self.warnings.append(RowWarning(self.path, line, column, message))

        return warn


def _reader(lines: Iterator[str], delimiter: str) -> Any:
    return csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)


def _parse_line(line: str, delimiter: str) -> list[str]:
    """One physical line as a record on its own (an unclosed quote runs to its end)."""
    line = line.rstrip("\r\n")
    try:
        return next(_reader(iter([line]), delimiter), [])
    except csv.Error:
        return line.split(delimiter)


def _records(
    lines: list[str], start: int, delimiter: str
) -> Iterator[tuple[int, int, list[str] | None]]:
    """``(first line index, end index, fields)`` per record; fields ``None`` if unreadable."""
    position = start
    while position < len(lines):
        reader = _reader(itertools.islice(lines, position, None), delimiter)
        consumed = 0
        try:
            for fields in reader:
                begin = consumed
                consumed = reader.line_num
                yield position + begin, position + consumed, fields
            return
        except csv.Error:
            begin = position + consumed
            end = max(position + reader.line_num, begin + 1)
            yield begin, end, None
            position = end


def _suspicious(
    lines: list[str], begin: int, end: int, fields: list[str], ncols: int, delimiter: str
) -> bool:
    """Does a record spanning several lines look like a quote gone wrong?

    Yes when its field count is wrong, or when its lines read one by one give at least as
    many whole rows (the right field count, balanced quotes) as the record itself: the lines
    of a real multi-line cell hold an opening or closing quote, rows swallowed by an unclosed
    quote do not.
    """
    if len(fields) != ncols:
        return True
    record_rows = 0 if "".join(lines[begin:end]).count('"') % 2 else 1
    line_rows = 0
    for index in range(begin, end):
        line = lines[index]
        if (
            line.count('"') % 2 == 0
            and line.count(delimiter) >= ncols - 1
            and len(_parse_line(line, delimiter)) == ncols
        ):
            line_rows += 1
    return line_rows > 0 and line_rows >= record_rows


def _columns(rows: list[list[str]], ncols: int) -> list[np.ndarray]:
    grid = np.empty((len(rows), ncols), dtype=object)
    if rows:
        grid[:] = rows
    return [grid[:, j] for j in range(ncols)]


# --------------------------------------------------------------------------- workbooks

#: What a workbook may hold once decompressed (all its parts together). A 100,000-VM
#: template workbook is about 60 MiB; a client's RVTools export rarely reaches 200 MiB.
MAX_WORKBOOK_BYTES = 512 * 1024 * 1024
#: A part this large that decompresses more than ``MAX_WORKBOOK_RATIO`` times is a bomb
#: (spreadsheet XML deflates 5-20 times; one huge repeated string, thousands of times).
MAX_PART_RATIO_FROM = 16 * 1024 * 1024
MAX_WORKBOOK_RATIO = 200
MAX_WORKBOOK_PARTS = 20_000


def check_workbook_bounds(path: str, data: bytes | None = None) -> None:
    """Refuse a zip-based workbook that would decompress to more than the bounds, from its
    central directory alone (nothing is decompressed). Other workbooks (xls, xlsb's OLE
    container) are not compressed: their size is the file's."""
    try:
        source: Any = io.BytesIO(data) if data is not None else os.fspath(path)
        with zipfile.ZipFile(source) as archive:
            parts = archive.infolist()
    except Exception:  # zipfile raises many kinds on bad bytes (NotImplementedError too)
        return  # not a zip (xls) or a broken one: the workbook reader says what is wrong
    if len(parts) > MAX_WORKBOOK_PARTS:
        raise InputError(
            path, f"refused: the workbook has {len(parts):,} parts (at most {MAX_WORKBOOK_PARTS:,})"
        )
    total = sum(part.file_size for part in parts)
    if total > MAX_WORKBOOK_BYTES:
        raise InputError(
            path,
            f"refused: the workbook would decompress to {_mib(total)} "
            f"(at most {_mib(MAX_WORKBOOK_BYTES)}); save the inventory as CSV instead",
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > MAX_PART_RATIO_FROM and ratio > MAX_WORKBOOK_RATIO:
            raise InputError(
                path,
                f"refused: part {part.filename!r} decompresses {ratio:,.0f} times to "
                f"{_mib(part.file_size)} (a decompression bomb, not a spreadsheet)",
            )


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MiB"


def read_workbook(path: str, data: bytes | None = None, *, nrows: int | None = None) -> list[Table]:
    """One table per non-empty worksheet, visible sheets first.

    ``nrows`` limits the rows read per sheet (for sniffing). Any failure of the workbook
    reader becomes ``InputError``: it parses arbitrary bytes and raises many kinds of errors.
    """
    check_workbook_bounds(path, data)
    try:
        book = (
            CalamineWorkbook.from_filelike(io.BytesIO(data))
            if data is not None
            else CalamineWorkbook.from_path(os.fspath(path))
        )
        sheets = [m for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        sheets.sort(key=lambda m: m.visible != SheetVisibleEnum.Visible)
        tables = []
        for meta in sheets:
            sheet = book.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=True, nrows=nrows)
            first_row = sheet.start[0] if sheet.start else 0
            first_col = sheet.start[1] if sheet.start else 0
            filled = _fill_merged(rows, sheet.merged_cell_ranges or [], first_row, first_col)
            table = _sheet_table(path, meta.name, rows, first_row)
            if table is not None:
                table.warnings.extend(
                    RowWarning(path, line, None, message) for line, message in filled
                )
                tables.append(table)
    except InputError:
        raise
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:
        # The workbook reader raises many kinds of errors on bad bytes, and a panic in its
        # native code arrives as a BaseException: all of them mean "cannot read it".
        raise InputError(path, f"cannot read the workbook: {exc}") from None
    return tables


@functools.lru_cache(maxsize=32)
def _workbook_heads(path: str, size: int, mtime_ns: int) -> tuple[tuple[str, tuple[str, ...]], ...]:
    tables = read_workbook(path, nrows=20)
    return tuple((t.sheet or "", tuple(t.headers)) for t in tables)


def sheet_names(path: str) -> list[str]:
    """The worksheet names of a workbook (cheap: no sheet is parsed); ``[]`` when unreadable."""
    try:
        book = CalamineWorkbook.from_path(os.fspath(path))
        return [m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException:  # the workbook reader raises many kinds on bad bytes
        return []


def workbook_heads(path: str) -> list[tuple[str, list[str]]]:
    """``(sheet, headers)`` of every worksheet, for sniffing; ``[]`` when unreadable."""
    try:
        stat = os.stat(path)
        heads = _workbook_heads(os.fspath(path), stat.st_size, stat.st_mtime_ns)
    except (OSError, InputError):
        return []
    return [(sheet, list(headers)) for sheet, headers in heads]


def _cell_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _fill_merged(
    rows: list[list[Any]], ranges: list[Any], first_row: int, first_col: int
) -> list[tuple[int, str]]:
    """Fill merged cells down: Excel keeps a merged cell's value in its top cell only, so a
    host merged over five VM rows would leave four VMs without a host. Only merges that
    span rows are filled, in their first column (a title merged across columns stays one
    cell). Returns ``(sheet row, message)`` per range filled."""
    notes = []
    for (top, left), (bottom, _right) in ranges:
        if bottom <= top:
            continue
        row0, col = top - first_row, left - first_col
        if not (0 <= row0 < len(rows)) or not (0 <= col < len(rows[row0])):
            continue
        value = rows[row0][col]
        if value is None or value == "":
            continue
        changed = 0
        for row in rows[row0 + 1 : bottom - first_row + 1]:
            if col < len(row) and (row[col] is None or row[col] == ""):
                row[col] = value
                changed += 1
        if changed:
            where = f"{_column_letter(left)}{top + 1}:{_column_letter(left)}{bottom + 1}"
            notes.append((top + 1, f"merged cells {where} filled down with {_cell_text(value)!r}"))
    return notes


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


#: One workbook cell as text (numbers without a trailing ``.0``, dates ISO 8601).
cell_text = _cell_text


def _sheet_table(path: str, sheet: str, rows: list[list[Any]], first_row: int) -> Table | None:
    texts = [[_cell_text(v) for v in row] for row in rows]
    filled = [sum(1 for c in row if c.strip()) for row in texts]
    # The header is the first row with two or more cells: a title line above it is skipped.
    header_at = next((i for i, n in enumerate(filled) if n >= 2), None)
    if header_at is None:
        header_at = next((i for i, n in enumerate(filled) if n), None)
    if header_at is None:
        return None
    headers = [h.strip() for h in texts[header_at]]
    while headers and not headers[-1]:
        headers.pop()
    ncols = len(headers)
    body: list[list[str]] = []
    starts: list[int] = []
    warnings: list[RowWarning] = []
    for offset, row in enumerate(texts[header_at + 1 :], start=header_at + 1):
        cells = (row + [""] * ncols)[:ncols]
        if any(c.strip() for c in cells):
            line = first_row + offset + 1

            def warn(column: str, message: str, line: int = line) -> None:
                warnings.append(RowWarning(f"{path} [{sheet}]", line, column, message))

            body.append(cap_row(cells, headers, warn))
            starts.append(line)
    return Table(
        path=path,
        headers=headers,
        columns=_columns(body, ncols),
        lines=np.array(starts, dtype=np.int64),
        header_line=first_row + header_at + 1,
        sheet=sheet,
        warnings=warnings,
    )
