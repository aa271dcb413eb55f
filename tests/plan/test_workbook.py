"""runbook.xlsx: the bulk row writer writes what XlsxWriter writes cell by cell, and every
inventory text stays text (formula leads, XML specials, XlsxWriter's rich-string markup)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from assess.plan.render import workbook
from assess.plan.render.workbook import RUNBOOK_COLUMNS, write_runbook_workbook
from assess.render.xlsx import fast_paths, fast_rows
from tests.plan.plan_support import plan_for, sql_estate, vm_row
from tests.render.test_fast_rows import NASTY_TEXTS

KEY = "2089973a-7095-521a-84c1-711c7e7a6973"


def _plan():
    """The SQL estate plus one VM per hostile text (names, hosts, clusters), some convertible."""
    tables = sql_estate()
    verdicts = {KEY: ("ready-with-fixes", "mbr2gpt")}
    for index, text in enumerate(NASTY_TEXTS):
        key = f"{index:08x}-0000-0000-0000-000000000000"
        tables["vms"].append(
            vm_row(key, text[:200], host=text[:30] or "HV03", cluster=text[-30:] or None)
        )
        verdicts[key] = ("ready", "mbr2gpt") if index % 2 else ("blocked", "rebuild")
    return plan_for(tables, verdicts)


def _sheet(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if "docProps" not in name}


def test_bulk_rows_are_what_xlsxwriter_writes(tmp_path, monkeypatch):
    monkeypatch.delenv(fast_paths.ENV_SWITCH, raising=False)
    plan = _plan()
    used = []
    original = fast_rows.write_plain_rows
    monkeypatch.setattr(fast_rows, "write_plain_rows", lambda *a: used.append(1) or original(*a))
    write_runbook_workbook(plan, tmp_path / "bulk.xlsx")
    assert used
    monkeypatch.setattr(workbook, "FAST_ROWS", False)
    write_runbook_workbook(plan, tmp_path / "cells.xlsx")
    assert _sheet(tmp_path / "bulk.xlsx") == _sheet(tmp_path / "cells.xlsx")


@pytest.mark.parametrize("fast", [True, False])
def test_every_text_stays_text(tmp_path, monkeypatch, fast):
    monkeypatch.setattr(workbook, "FAST_ROWS", fast)
    plan = _plan()
    write_runbook_workbook(plan, tmp_path / "runbook.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "runbook.xlsx")["Runbook"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(RUNBOOK_COLUMNS)
    names = [row[2] for row in rows[1:]]
    # Control characters and a literal _xHHHH_ are written as XlsxWriter's _xHHHH_ escapes,
    # which Excel reads back and openpyxl does not: those names are not compared here.
    expected = [vm.name for vm in plan.vms]
    kept = [e is None or (e.isprintable() and "_x" not in e) for e in expected]
    assert [n for n, k in zip(names, kept, strict=True) if k] == [
        e for e, k in zip(expected, kept, strict=True) if k
    ]
    assert "<r><t>rich-string lookalike</t></r>" in names
    assert [row[9] for row in rows[1:]] == [len(vm.steps) for vm in plan.vms]
    for row in sheet.iter_rows(min_row=2):
        assert all(cell.data_type in ("s", "n") for cell in row)
