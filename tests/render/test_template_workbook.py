"""``assess template --out x.xlsx``: a real workbook with drop-down lists that imports back."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

from assess.cli.main import main
from assess.render.xlsx.template_workbook import CHOICES, SHEET, write_template_workbook
from assess.sources import template


def _drop_downs(ws) -> dict[str, list[str]]:
    headers = {c.column_letter: c.value for c in ws[1]}
    out = {}
    for validation in ws.data_validations.dataValidation:
        letter = str(validation.sqref).split(":")[0].rstrip("0123456789")
        out[headers[letter]] = validation.formula1.strip('"').split(",")
    return out


def test_the_workbook_has_the_template_headers_examples_and_drop_downs(tmp_path: Path) -> None:
    path = write_template_workbook(tmp_path / "inventory.xlsx")
    ws = openpyxl.load_workbook(path)[SHEET]
    assert tuple(c.value for c in ws[1]) == template.TEMPLATE_HEADERS
    assert ws.max_row - 1 == len(template.EXAMPLE_ROWS)
    lists = _drop_downs(ws)
    assert lists["Generation"] == ["1", "2"]
    assert lists["BootController"] == ["IDE", "SCSI"]
    assert lists["BootDiskFormat"] == ["VHD", "VHDX", "PassThrough"]
    assert lists["PartitionStyle"] == ["MBR", "GPT"]
    assert lists["OSArchitecture"] == ["x64", "x86", "ARM64"]
    assert lists["PXEBoot"] == ["yes", "no"]
    assert set(lists) == set(CHOICES)
    validation = ws.data_validations.dataValidation[0]
    assert validation.errorStyle == "warning"  # aliases like "64-bit" stay possible
    assert ws.freeze_panes == "A2"
    assert ws["C1"].comment is not None  # every header says what goes in it


def test_the_workbook_imports_like_the_csv_template(tmp_path: Path) -> None:
    xlsx = write_template_workbook(tmp_path / "inventory.xlsx")
    csv_path = tmp_path / "inventory.csv"
    template.write_template(csv_path)
    from_xlsx = template.load(str(xlsx))
    from_csv = template.load(str(csv_path))
    assert [(w.line, w.column, w.message) for w in from_xlsx.warnings] == [
        (w.line, w.column, w.message) for w in from_csv.warnings
    ]
    columns = [c for c in from_csv.inventory.vms.columns if c not in ("source", "origin")]
    left = from_xlsx.inventory.vms[columns].astype("string").reset_index(drop=True)
    right = from_csv.inventory.vms[columns].astype("string").reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right)


def _add_row(path: Path, values: dict[str, str]) -> int:
    """Type a VM into the template workbook below the examples; returns its line."""
    book = openpyxl.load_workbook(path)
    ws = book[SHEET]
    headers = [c.value for c in ws[1]]
    row = ws.max_row + 1
    for name, value in values.items():
        ws.cell(row=row, column=headers.index(name) + 1, value=value)
    book.save(path)
    return row


def test_values_picked_from_the_lists_import(tmp_path: Path) -> None:
    path = write_template_workbook(tmp_path / "inventory.xlsx")
    picked = {"VMName": "NEW01", "Host": "HV09", **{h: v[-1] for h, v in CHOICES.items()}}
    line = _add_row(path, picked)
    result = template.load(str(path))
    assert not [w for w in result.warnings if w.line == line]
    vm = result.inventory.vms.set_index("name").loc["NEW01"]
    assert vm["generation"] == 2
    assert vm["boot_controller"] == "SCSI"
    assert vm["partition_style"] == "GPT"


def test_the_command_writes_a_workbook_for_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    assert main(["template", "--out", str(path)]) == 0
    assert openpyxl.load_workbook(path).sheetnames == [SHEET]
    _add_row(path, {"VMName": "NEW01", "Host": "HV09", "Generation": "2"})
    assert main(["run", str(path), "--no-save", "--quiet"]) == 0
