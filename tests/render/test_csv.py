"""``vms.csv`` and ``findings.csv``: the sheets' columns, inert text, atomic writes."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from assess.model.assessment import FINDING_COLUMNS, VM_COLUMNS
from assess.render.sheet_tables import write_csv
from assess.render.text_safety import csv_text, find_urls, looks_like_formula, reflow
from assess.render.xlsx.workbook import write_workbook
from tests.assessment_factory import DANGEROUS_NAME, big, sample


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("csv")
    write_csv(sample(), folder)
    write_workbook(sample(), folder / "book.xlsx")
    return folder


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _sheet_fields(book, sheet: str) -> list[str]:
    """The sheet's columns as field names, through the workbook's Fields sheet."""
    rows = list(book["Fields"].iter_rows(min_row=2, values_only=True))
    by_header = {header: field for name, header, field, _ in rows if name == sheet}
    return [by_header[c.value] for c in next(book[sheet].iter_rows(max_row=1))]


def test_columns_are_the_contract_and_the_sheets_hold_them(out):
    book = openpyxl.load_workbook(out / "book.xlsx", read_only=True)
    a = sample()
    expected = {
        "vms.csv": [*VM_COLUMNS, *(c for c in a.fact_columns if c not in VM_COLUMNS)],
        "findings.csv": list(FINDING_COLUMNS),
    }
    for name, sheet in (("vms.csv", "VMs"), ("findings.csv", "Findings")):
        rows = _rows(out / name)
        assert rows[0] == expected[name], name  # snake_case, contract order
        assert set(rows[0]) <= set(_sheet_fields(book, sheet)), name
        assert len(rows) - 1 == book[sheet].max_row - 1, name


def test_rows_in_the_same_order_as_the_sheet(out):
    book = openpyxl.load_workbook(out / "book.xlsx", read_only=True)
    key = _sheet_fields(book, "VMs").index("vm_key")
    sheet_keys = [r[key] for r in book["VMs"].iter_rows(min_row=2, values_only=True)]
    assert [r[0] for r in _rows(out / "vms.csv")[1:]] == sheet_keys


def test_csv_starts_with_a_bom_so_excel_reads_utf8(tmp_path):
    a = sample()
    a.vms.loc[a.vms.index[0], "notes"] = "Überwachung für São Paulo"
    vms, findings = write_csv(a, tmp_path)
    for path in (vms, findings):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "Überwachung für São Paulo" in vms.read_text(encoding="utf-8-sig")


def test_dangerous_cells_are_prefixed(out):
    rows = _rows(out / "vms.csv")
    header = rows[0]
    name, notes = header.index("name"), header.index("notes")
    names = [r[name] for r in rows[1:]]
    assert "'" + DANGEROUS_NAME in names
    assert DANGEROUS_NAME not in names
    all_notes = {r[notes] for r in rows[1:]}
    for note in (
        "'@SUM(A1:A2)",
        "'+1 555 0100 helpdesk",
        "'-- do not touch during month end --",
        "'\tCI runner, indented note",
    ):
        assert note in all_notes, note
    assert "IIS front end" in all_notes
    for row in rows[1:]:
        for cell in row:
            assert not looks_like_formula(cell), cell
    finding_rows = _rows(out / "findings.csv")
    vm_name = finding_rows[0].index("vm_name")
    assert "'" + DANGEROUS_NAME in {r[vm_name] for r in finding_rows[1:]}


def test_values_are_plain(out):
    frame = pd.read_csv(out / "vms.csv", dtype=str, keep_default_na=False)
    xp = frame.loc[frame["name"] == "XP-TOOLS"].iloc[0]
    assert xp["effort_hours"] == "16.0"
    assert xp["blockers"] == "2"
    assert xp["replication_enabled"] == "false"
    assert xp["secure_boot_support"] == ""  # NA is an empty field
    dc01 = frame.loc[frame["name"] == "DC01"].iloc[0]
    assert dc01["confidence"] == "0.6"
    assert dc01["os_arch"] == ""
    raw = (out / "vms.csv").read_bytes()
    assert b"\r\n" in raw


def test_csv_text_rules():
    assert csv_text("=1+1") == "'=1+1"
    assert csv_text("  =1+1") == "'  =1+1"
    assert csv_text("\rcmd") == "'\rcmd"
    assert csv_text("plain") == "plain"
    assert csv_text("") == ""


def test_existing_files_are_replaced_whole(tmp_path):
    write_csv(big(500), tmp_path)
    first = (tmp_path / "vms.csv").read_text(encoding="utf-8")
    write_csv(sample(), tmp_path)
    second = (tmp_path / "vms.csv").read_text(encoding="utf-8")
    assert first != second and len(second.splitlines()) == 14
    assert sorted(p.name for p in tmp_path.iterdir()) == ["findings.csv", "vms.csv"]


@pytest.mark.slow
def test_big_list_in_chunks(tmp_path):
    a = big(45_000, findings_per_vm=0.5)
    vms, findings = write_csv(a, tmp_path)
    assert sum(1 for _ in vms.open(encoding="utf-8")) == 45_001
    assert sum(1 for _ in findings.open(encoding="utf-8")) == len(a.findings) + 1


def test_urls_and_reflow():
    text = "see https://x.example/dn282285(v=ws.11) and https://y.example/a."
    assert find_urls(text) == ["https://x.example/dn282285(v=ws.11)", "https://y.example/a"]
    assert find_urls("(https://z.example/p)") == ["https://z.example/p"]
    wrapped = "Shut the VM down and run\nConvert-VHD.\nLinux: convert\nwith gdisk.\n- step"
    assert (
        reflow(wrapped)
        == "Shut the VM down and run Convert-VHD.\nLinux: convert with gdisk.\n- step"
    )
    assert reflow("https://a.example\nhttps://b.example") == "https://a.example\nhttps://b.example"
