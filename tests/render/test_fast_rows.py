"""The bulk row writer produces the workbook XlsxWriter writes cell by cell, byte for byte."""

from __future__ import annotations

import dataclasses
import math
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from assess.render.xlsx import fast_paths, fast_rows, workbook
from assess.render.xlsx.workbook import write_workbook
from tests.assessment_factory import big, sample

#: Text that stresses escaping: XML specials, control characters, XlsxWriter's own
#: ``_xHHHH_`` escape written literally, edge whitespace, formula leads, astral characters.
NASTY_TEXTS = (
    "a & b < c > d \"quoted\" 'single'",
    "bell\x07 and nul\x00 and unit\x1f separator",
    "literal _x0041_ and _X00ff_ sequences",
    "  leading and trailing spaces  ",
    "\ttab first",
    "line one\nline two\r\nline three",
    '=HYPERLINK("http://x","y")',
    "  =SUM(A1) after spaces",
    "@user +plus -minus",
    "emoji 🚀 and ünïcödé and 漢字",
    "\ufffe non-character \uffff",
    "x" * 40_000,
    "🚀" * 20_000,
    "",
    "<r><t>rich-string lookalike</t></r>",
    '<r></is></c><c r="A1"><f>1+1</f></c><is></r>',
)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_both(assessment, tmp_path: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    bulk = write_workbook(assessment, tmp_path / "bulk.xlsx")
    workbook.FAST_ROWS = False
    try:
        reference = write_workbook(assessment, tmp_path / "reference.xlsx")
    finally:
        workbook.FAST_ROWS = True
    return _parts(bulk), _parts(reference)


def _assert_identical(assessment, tmp_path: Path) -> None:
    bulk, reference = _write_both(assessment, tmp_path)
    assert list(bulk) == list(reference)
    different = [name for name in reference if bulk[name] != reference[name]]
    assert different == []


def nasty() -> object:
    """``sample()`` with hostile text in names, notes and evidence, odd numbers and dates,
    waived findings, and an object column of mixed values (written by type)."""
    base = sample()
    vms = base.vms.copy()
    texts = [NASTY_TEXTS[i % len(NASTY_TEXTS)] for i in range(len(vms))]
    vms["notes"] = pd.array(texts, dtype="string")
    vms["name"] = pd.array([t[:60] or "x" for t in reversed(texts)], dtype="string")
    odd = [math.nan, math.inf, 1.5, -2.0, 1e17, 3.25, 0.0]
    vms["odd_number"] = pd.array([odd[i % len(odd)] for i in range(len(vms))], dtype="float64")
    mixed = [
        True,
        3,
        2.5,
        math.nan,
        datetime(2025, 1, 2, 3, 4, tzinfo=UTC),
        date(2025, 5, 6),
        "text <&>",
        None,
        ["a", "b"],
        float("inf"),
        False,
        "=1+1",
        "",
    ]
    vms["mixed"] = pd.Series((mixed * 3)[: len(vms)], dtype=object, index=vms.index)
    findings = base.findings.copy()
    findings["evidence"] = pd.array(
        [NASTY_TEXTS[i % len(NASTY_TEXTS)] for i in range(len(findings))], dtype="string"
    )
    findings.loc[findings.index[::3], "status"] = "waived"
    findings.loc[findings.index[::4], "reference"] = "https://not-in-the-catalog.example/x"
    return dataclasses.replace(
        base,
        vms=vms,
        findings=findings,
        fact_columns=(*base.fact_columns, "odd_number", "mixed"),
    )


def test_sample_is_identical(tmp_path: Path) -> None:
    _assert_identical(sample(), tmp_path)


@pytest.mark.slow
def test_hostile_text_and_odd_values_are_identical(tmp_path: Path) -> None:
    _assert_identical(nasty(), tmp_path)


@pytest.mark.slow
def test_chunk_boundaries_and_link_limit_are_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook, "CHUNK_ROWS", 7)
    monkeypatch.setattr(workbook, "MAX_LINKS_PER_SHEET", 40)
    _assert_identical(big(120), tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("rows", [0, 1, 2])
def test_tiny_lists_are_identical(tmp_path: Path, rows: int) -> None:
    base = sample()
    small = dataclasses.replace(
        base,
        vms=base.vms.head(rows),
        findings=base.findings.head(rows),
        data_gaps=base.data_gaps.head(rows),
    )
    _assert_identical(small, tmp_path)


def test_bulk_rows_are_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fast_paths.ENV_SWITCH, raising=False)
    calls = []
    original = fast_rows.RowWriter.write

    def spy(self, first_row, values, waived, heights):
        calls.append(len(waived))
        return original(self, first_row, values, waived, heights)

    monkeypatch.setattr(fast_rows.RowWriter, "write", spy)
    write_workbook(big(50), tmp_path / "x.xlsx")
    assert sum(calls) > 100


def test_text_that_looks_like_xlsxwriter_markup_stays_text(tmp_path: Path) -> None:
    # XlsxWriter takes "<r>...</r>" for its own rich-string markup and writes it
    # unescaped; both the bulk writer and the cell-by-cell path escape it like any text.
    base = sample()
    vms = base.vms.copy()
    markup = "<r><t>injected</t></r>"
    vms["notes"] = pd.array([markup] * len(vms), dtype="string")
    path = write_workbook(dataclasses.replace(base, vms=vms), tmp_path / "x.xlsx")
    ws = openpyxl.load_workbook(path)["VMs"]
    header = [cell.value for cell in ws[1]]
    column = header.index("Notes") + 1
    values = {ws.cell(row=r, column=column).value for r in range(2, ws.max_row)}
    assert values == {markup}


def test_unsupported_worksheet_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_rows, "supported", lambda ws: False)
    calls = []
    monkeypatch.setattr(fast_rows.RowWriter, "write", lambda *a: calls.append(a))
    path = write_workbook(sample(), tmp_path / "x.xlsx")
    assert calls == []
    assert openpyxl.load_workbook(path)["VMs"].max_row == len(sample().vms) + 1
