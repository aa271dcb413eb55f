"""The workbook as a deliverable: print setup, scope and assumptions, decisions, one rounding."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import column_index_from_string
from rich.console import Console

from assess.model.assessment import ReportContext
from assess.render.figures import round_hour, round_hours, share
from assess.render.styles import VERDICT_COLOURS
from assess.render.terminal.report import render_run
from assess.render.xlsx.workbook import LIST_SHEETS, SHEET_ORDER, write_workbook
from tests.assessment_factory import sample

CLIENT = "Contoso & Partners"
ENGAGEMENT = "Gen 2 wave 1"


def _decided():
    """The sample with APP-LEGACY kept on Generation 1 and a full report context."""
    a = sample()
    a.vms = a.vms.assign(
        **{
            c: pd.Series(pd.NA, index=a.vms.index, dtype="string")
            for c in ("stays_gen1_reason", "stays_gen1_owner", "stays_gen1_expires")
        }
    )
    row = a.vms.index[a.vms["name"] == "APP-LEGACY"][0]
    a.vms.loc[row, ["verdict", "effort_hours"]] = ["stays-gen1", 0.0]
    a.vms.loc[row, ["stays_gen1_reason", "stays_gen1_owner", "stays_gen1_expires"]] = [
        "Stays on Gen 1 until the ERP replacement in 2027",
        "cio@corp.example",
        "2027-06-30",
    ]
    blocker = (a.findings["vm_name"] == "APP-LEGACY") & (a.findings["severity"] == "blocker")
    a.findings.loc[blocker, ["status", "waiver_reason", "waiver_owner", "waiver_expires"]] = [
        "waived",
        "Stays on Gen 1 until the ERP replacement in 2027",
        "cio@corp.example",
        "2027-06-30",
    ]
    a.context = ReportContext(
        client=CLIENT,
        engagement=ENGAGEMENT,
        policy_path="policy.toml",
        disabled_rules=("VM004",),
        severity_overrides=(("VM003", "warning", "info"),),
        rule_effort_overrides={"BOOT003": 3.0},
        path_effort_overrides={"recapture": 2.0},
        path_effort={"mbr2gpt": 1.0, "recapture": 2.0, "rebuild": 16.0},
        waivers=(
            {
                "vm": "APP-LEGACY",
                "rule": "OS002",
                "reason": "Stays on Gen 1 until the ERP replacement in 2027",
                "owner": "cio@corp.example",
                "expires": "2027-06-30",
            },
        ),
        scope_exclusions=(("exclude_vms", "*-old", 3),),
        scope_seen=16,
        input_times={a.inputs[0].path: datetime(2025, 3, 13, 17, 5, tzinfo=UTC)},
        catalog="gen2-assess 0.1.0 catalog, 25 rules, digest 0123456789ab",
    )
    return a


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("deliverable") / "book.xlsx"
    write_workbook(_decided(), path)
    return openpyxl.load_workbook(path)


def _texts(ws) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def _by_field(ws, field: str) -> list:
    rows = list(ws.parent["Fields"].iter_rows(min_row=2, values_only=True))
    header = {h: f for sheet, h, f, _ in rows if sheet == ws.title}
    fields = [header[c.value] for c in ws[1]]
    index = fields.index(field) + 1
    return [ws.cell(row=r, column=index) for r in range(2, ws.max_row + 1)]


def test_every_sheet_prints_landscape_one_page_wide_with_header_and_footer(book):
    assert book.sheetnames == list(SHEET_ORDER)
    for ws in book.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert setup.paperSize == 9, ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert setup.fitToWidth in (None, 1) and setup.fitToHeight == 0, ws.title
        assert CLIENT.replace("&", "&&") in ws.oddHeader.left.text, ws.title
        assert ENGAGEMENT in ws.oddHeader.left.text, ws.title
        assert "Page &P of &N" in ws.oddFooter.center.text, ws.title
        assert ws.print_area, ws.title
    for name in LIST_SHEETS:
        assert book[name].print_title_rows == "$1:$1", name


def test_the_vms_sheet_prints_the_decision_columns(book):
    ws = book["VMs"]
    area = ws.print_area[0] if isinstance(ws.print_area, list) else ws.print_area
    last = column_index_from_string(re.search(r":\$?([A-Z]+)\$?\d+$", area).group(1))
    printed = [c.value for c in ws[1] if c.column <= last]
    assert printed[:5] == ["VM", "Host", "Verdict", "Path", "Effort (h)"]
    assert "Blockers" in printed and "Fixes" in printed and "Stays on Gen 1 because" in printed
    assert "OS architecture" not in printed  # the facts are in the file, not on paper


def test_letter_paper_when_asked(tmp_path):
    a = _decided()
    a.context.paper = "letter"
    ws = openpyxl.load_workbook(write_workbook(a, tmp_path / "x.xlsx"))["VMs"]
    assert ws.page_setup.paperSize == 1


def test_the_waived_vm_stays_on_gen1_with_its_decision(book):
    ws = book["VMs"]
    names = [c.value for c in _by_field(ws, "name")]
    row = names.index("APP-LEGACY")
    verdict = _by_field(ws, "verdict")[row]
    assert verdict.value == "stays-gen1"
    assert verdict.fill.fgColor.rgb.endswith(VERDICT_COLOURS["stays-gen1"].fill.lstrip("#"))
    assert _by_field(ws, "stays_gen1")[row].value == (
        "Stays on Gen 1 until the ERP replacement in 2027 (cio@corp.example, until 2027-06-30)"
    )
    assert _by_field(ws, "stays_gen1_owner")[row].value == "cio@corp.example"
    assert _by_field(ws, "effort_hours")[row].value == 0
    verdicts = [c.value for c in _by_field(ws, "verdict")]
    assert verdicts.index("stays-gen1") > verdicts.index("needs-data")
    assert verdicts.index("stays-gen1") < verdicts.index("ready-with-fixes")


def test_scope_and_assumptions(book):
    texts = _texts(book["Scope and assumptions"])
    for expected in (
        CLIENT,
        ENGAGEMENT,
        "gen2-assess 0.1.0 catalog, 25 rules, digest 0123456789ab",
        "policy.toml",
        "Rule disabled",
        "VM004",
        "warning -> info",
        "BOOT003",
        "3 h",
        "recapture",
        "2 h",
        "Stays on Gen 1 until the ERP replacement in 2027",
        "cio@corp.example",
        "2027-06-30",
        "1 VM",
        "exclude_vms",
        "*-old",
        "13 of 16 VMs read are in scope; each setting below leaves out the VMs counted "
        "(a VM can be left out by several).",
        "Effort assumed per conversion path",
        "Effort assumed per rule",
    ):
        assert expected in texts, expected
    ws = book["Scope and assumptions"]
    dates = [c.value for row in ws.iter_rows() for c in row if c.is_date and c.value]
    assert datetime(2025, 3, 13, 17, 5) in dates  # the input's file time, in UTC
    assert datetime(2025, 3, 14, 8, 12, 3) in dates  # a host's collection time, in UTC


@pytest.mark.slow
def test_scope_without_policy_says_so(tmp_path):
    ws = openpyxl.load_workbook(write_workbook(sample(), tmp_path / "x.xlsx"))[
        "Scope and assumptions"
    ]
    texts = _texts(ws)
    assert "None: the catalog's severities and effort figures apply." in texts
    assert "None: every VM read (13) is in scope." in texts
    assert "not stated" in texts  # no client named


def test_client_and_engagement_on_the_summary(book):
    texts = _texts(book["Summary"])
    assert CLIENT in texts and ENGAGEMENT in texts


def test_terminal_and_workbook_show_the_same_figures(book):
    a = _decided()
    console = Console(file=io.StringIO(), width=120)
    render_run(a, console)
    out = console.file.getvalue()
    summary = book["Summary"]
    rows = [[c.value for c in row] for row in summary.iter_rows()]
    start = next(i for i, r in enumerate(rows) if r[0] == "VMs by verdict")
    checked = []
    for row in rows[start + 2 : start + 9]:
        verdict, vms, share_value, hours = row[0], row[2], row[3], row[4]
        if verdict == "Total":
            break
        shown_hours = f"{hours:,.1f}".rstrip("0").rstrip(".")
        pattern = rf"{re.escape(verdict)}\s+{vms}\s+{round(share_value * 100)}%\s+{shown_hours}\b"
        assert re.search(pattern, out), (verdict, vms, share_value, hours)
        checked.append(verdict)
    assert len(checked) == 6 and "stays-gen1" in checked
    # The VMs sheet adds up to the Summary's effort.
    efforts = [c.value or 0 for c in _by_field(book["VMs"], "effort_hours")]
    total = next(r for r in rows[start:] if r[0] == "Total")[4]
    assert round_hour(sum(efforts)) == total


def test_one_rounding_half_up():
    values = pd.Series([2.25, 2.35, 0.05, 19.449999, None], dtype="float64")  # one decimal
    assert round_hours(values).tolist()[:4] == [2.3, 2.4, 0.1, 19.4]
    assert pd.isna(round_hours(values).iloc[4])
    quarters = pd.Series([1.75, 2.125, 0.333333], dtype="float64")
    assert round_hours(quarters, 2).tolist() == [1.75, 2.13, 0.33]  # a VM keeps its quarters
    assert round_hour(68.55) == 68.6  # Excel's 0.0 format shows the same
    assert share(9, 40) == 0.23  # 22.5 % -> 23 %, as Excel shows it
    assert share(1, 3) == 0.33 and share(0, 0) == 0.0


def test_fields_sheet_documents_every_header(book):
    rows = list(book["Fields"].iter_rows(min_row=1, values_only=True))
    assert rows[0] == ("Sheet", "Column", "Field", "Meaning")
    sheets = {r[0] for r in rows[1:]}
    assert sheets == {"VMs", "Findings", "Rules", "Hosts", "Data gaps"}
    vms = {r[2]: r[1] for r in rows[1:] if r[0] == "VMs"}
    assert vms["name"] == "VM" and vms["effort_hours"] == "Effort (h)"
    assert vms["stays_gen1_reason"] == "Stays on Gen 1: reason"


def test_csv_keeps_the_snake_case_contract(tmp_path):
    from assess.render.sheet_tables import write_csv

    vms, _ = write_csv(_decided(), tmp_path)
    header = vms.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[:4] == ["vm_key", "host", "cluster", "name"]
    assert "stays_gen1_reason" in header
    assert "blocker_rules" not in header  # workbook only


def test_plain_sample_still_writes(tmp_path: Path):
    path = write_workbook(sample(), tmp_path / "x.xlsx")
    assert openpyxl.load_workbook(path)["VMs"].max_row == len(sample().vms) + 1
