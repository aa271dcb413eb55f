"""Nothing is lost without a word: every inventory sheet of a workbook is read, a quoted CSV
cell over the csv module's 128 KiB default is read as one cell, and a flood of alike
warnings is counted in one line instead of thousands."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import xlsxwriter

from assess.cli.main import main
from assess.sources.field_bounds import MAX_NOTES_CHARS
from assess.sources.registry import load_sources

SAMPLE = Path(__file__).resolve().parents[2] / "sample_inventory"
TEMPLATE = SAMPLE / "dev-cluster-inventory.csv"


def template_rows() -> list[list[str]]:
    with TEMPLATE.open(encoding="utf-8-sig", newline="") as source:
        return list(csv.reader(source))


def test_every_inventory_sheet_of_a_workbook_is_read(tmp_path: Path) -> None:
    header, *rows = template_rows()
    path = tmp_path / "by-cluster.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for sheet_name, part in (("CL-A", rows[:3]), ("CL-B", rows[3:6])):
        sheet = book.add_worksheet(sheet_name)
        for r, row in enumerate([header, *part]):
            sheet.write_row(r, 0, row)
    other = book.add_worksheet("Owners")
    other.write_row(0, 0, ["Name", "Owner"])
    other.write_row(1, 0, ["DEV-WEB01", "web team"])
    book.close()
    (result,) = load_sources([str(path)])
    assert len(result.inventory.vms) == 6
    assert set(result.inventory.vms["name"]) == {row[2] for row in rows[:6]}
    assert any("sheet 'Owners' skipped" in str(w) for w in result.warnings)


def test_a_quoted_cell_over_128_kib_is_one_cell(tmp_path: Path) -> None:
    header, *rows = template_rows()
    notes = header.index("Notes")
    rows[1][notes] = 'long, "quoted"\nnotes ' * 20_000  # ~400 KiB with commas and line breaks
    path = tmp_path / "long-notes.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([header, *rows])
    (result,) = load_sources([str(path)])
    assert len(result.inventory.vms) == len(rows)
    messages = [str(w) for w in result.warnings]
    assert not any("unbalanced quotes" in m for m in messages)
    assert any(f"column 'Notes': value of {len(rows[1][notes]):,} characters" in m
               for m in messages)  # fmt: skip
    vm = result.inventory.vms.set_index("name").loc[rows[1][2]]
    assert vm["notes"].startswith('long, "quoted"') and len(vm["notes"]) <= MAX_NOTES_CHARS


@pytest.mark.slow
def test_a_flood_of_alike_warnings_is_counted(tmp_path: Path, capsys) -> None:
    lines = (SAMPLE / "hv-prod01-gen2-inventory.jsonl").read_text(encoding="utf-8").splitlines()
    lines[2:2] = [lines[1]] * 5_000  # one host repeating a record
    path = tmp_path / "repeats.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["run", str(path), "--no-save", "--quiet", "--json", str(tmp_path / "a.json")]) == 0
    err = capsys.readouterr().err
    assert len(err.splitlines()) < 20
    assert "more like this" in err
    assert len(json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))["vms"]) == 10
