"""CSV and workbook reading: line numbers, delimiters, preambles, broken quotes."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.model.diagnostics import InputError
from assess.sources import table_files
from tests.sources_support import fixture


def cells(table: table_files.Table, header: str) -> list[str]:
    return table.columns[table.headers.index(header)].tolist()


def test_type_line_and_multi_line_quoted_notes_keep_editor_line_numbers() -> None:
    text = (
        "#TYPE Microsoft.HyperV.PowerShell.VirtualMachine\r\n"
        '"VMName","Notes"\r\n'  # line 2
        '"A","one"\r\n'  # line 3
        '"B","two\r\nlines"\r\n'  # lines 4-5
        '"C","three"\r\n'  # line 6
    )
    table = table_files.read_csv_text(text, "f.csv")
    assert table.type_name == "Microsoft.HyperV.PowerShell.VirtualMachine"
    assert table.header_line == 2
    assert table.headers == ["VMName", "Notes"]
    assert table.lines.tolist() == [3, 4, 6]
    assert cells(table, "Notes") == ["one", "two\r\nlines", "three"]


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [("a,b;c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ('"a;x",b', ","), ("single", ",")],
)
def test_delimiter_is_sniffed_from_the_header(header: str, delimiter: str) -> None:
    assert table_files.sniff_delimiter(header) == delimiter


def test_excel_sep_hint_sets_the_delimiter() -> None:
    table = table_files.read_csv_text("sep=;\nVMName;Host\nA;H1,H2\n", "f.csv")
    assert table.delimiter == ";"
    assert table.header_line == 2
    assert cells(table, "Host") == ["H1,H2"]
    assert table.lines.tolist() == [3]


def test_blank_rows_are_skipped_and_short_rows_padded() -> None:
    table = table_files.read_csv_text("VMName,Host,Notes\n\nA\n,,\nB,H,n\n", "f.csv")
    assert cells(table, "VMName") == ["A", "B"]
    assert cells(table, "Notes") == ["", "n"]
    assert table.lines.tolist() == [3, 5]


def test_extra_values_are_ignored_with_a_warning_unless_blank() -> None:
    table = table_files.read_csv_text("VMName,Host\nA,H,,\nB,H,surprise\n", "f.csv")
    assert cells(table, "Host") == ["H", "H"]
    assert [(w.line, w.message) for w in table.warnings] == [
        (3, "1 value(s) beyond the last column ignored")
    ]


def test_an_unclosed_quote_costs_one_row_not_the_rest_of_the_file() -> None:
    text = 'VMName,Host,Notes\nA,H,fine\nB,H,"never closed\nC,H,fine\nD,H,"ok"\nE,H,fine\n'
    table = table_files.read_csv_text(text, "f.csv")
    assert cells(table, "VMName") == ["A", "B", "C", "D", "E"]
    assert table.lines.tolist() == [2, 3, 4, 5, 6]
    assert any("unbalanced quotes" in w.message and w.line == 3 for w in table.warnings)


def test_a_legitimate_multi_line_record_is_not_split() -> None:
    text = 'VMName,Host,Notes\nA,H,"line one\nline two, with a comma"\nB,H,x\n'
    table = table_files.read_csv_text(text, "f.csv")
    assert cells(table, "Notes") == ["line one\nline two, with a comma", "x"]
    assert table.warnings == []


def test_no_header_line_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no header"):
        table_files.read_csv_text("#TYPE Something\n\n\n", "f.csv")


def test_workbook_rows_keep_sheet_row_numbers_and_numbers_become_text() -> None:
    (table, *_rest) = table_files.read_tables(fixture("template_title_row.xlsx"))
    assert table.sheet == "Inventory"
    assert table.header_line == 3
    assert table.headers[:3] == ["VM Name", "Hyper-V Host", "Generation"]
    assert table.lines.tolist() == [4, 5, 6, 8]
    assert cells(table, "Generation") == ["1", "1", "one", "2"]
    assert cells(table, "Config Version") == ["8", "9.1", "5", "10"]
    assert cells(table, "PXE Boot") == ["false", "true", "ja", ""]


def test_workbook_without_worksheets_content_gives_no_tables(tmp_path) -> None:
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    assert table_files.read_tables(str(path)) == []


def test_broken_workbook_is_an_input_error(tmp_path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(InputError, match="workbook"):
        table_files.read_tables(str(path))
    assert table_files.workbook_heads(str(path)) == []


good_cell = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00\r\n\"',;\t", exclude_categories=("Cs",)),
    max_size=8,
)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(st.lists(good_cell, min_size=3, max_size=3), min_size=1, max_size=8),
    junk=st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r\n"), max_size=30),
    at=st.integers(min_value=0, max_value=8),
    delimiter=st.sampled_from([",", ";"]),
)
@pytest.mark.slow
def test_one_junk_line_never_costs_the_good_rows(rows, junk, at, delimiter) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["VMName", "Host", "Notes"])
    good = [[f"GOOD{i:03d}", host, notes] for i, (_, host, notes) in enumerate(rows)]
    writer.writerows(good)
    lines = [line + "\n" for line in buffer.getvalue().split("\n")[:-1]]
    position = 1 + min(at, len(good))
    lines.insert(position, junk + "\n")
    table = table_files.read_csv_text("".join(lines), "f.csv")
    names = cells(table, "VMName")
    for row in good:
        assert row[0] in names
    for name, line in zip(names, table.lines.tolist(), strict=True):
        if name.startswith("GOOD"):
            expected = int(name[4:]) + 2 + (1 if int(name[4:]) + 1 >= position else 0)
            assert line == expected


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=200))
def test_any_text_reads_or_raises_input_error(text: str) -> None:
    try:
        table = table_files.read_csv_text(text, "f.csv")
    except InputError:
        return
    assert len(table.columns) == len(table.headers)
    assert all(len(c) == len(table) for c in table.columns)
