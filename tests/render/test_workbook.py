"""The client workbook, read back with openpyxl (and, where installed, LibreOffice)."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from assess.model.assessment import (
    DATA_GAP_COLUMNS,
    FINDING_COLUMNS,
    HOST_COLUMNS,
    RULE_COLUMNS,
    VM_COLUMNS,
)
from assess.render.styles import VERDICT_COLOURS, WAIVED_TEXT
from assess.render.xlsx import workbook
from assess.render.xlsx.workbook import LIST_SHEETS, SHEET_ORDER, write_workbook
from tests.assessment_factory import DANGEROUS_NAME, FACT_COLUMNS, big, sample

DANGEROUS_NOTES = ("@SUM(A1:A2)", "+1 555 0100 helpdesk", "-- do not touch during month end --")
TAB_NOTE = "\tCI runner, indented note"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "assessment.xlsx"
    write_workbook(sample(), path)
    return path


@pytest.fixture(scope="module")
def book(written: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(written)


def _header(ws) -> list[str]:
    return [cell.value for cell in next(ws.iter_rows(min_row=1, max_row=1))]


def _fields(ws) -> list[str]:
    """The sheet's columns as field names, read from the workbook's Fields sheet."""
    rows = list(ws.parent["Fields"].iter_rows(min_row=2, values_only=True))
    by_header = {header: field for sheet, header, field, _ in rows if sheet == ws.title}
    return [by_header[h] for h in _header(ws)]


def _column(ws, field: str) -> list:
    index = _fields(ws).index(field) + 1
    return [ws.cell(row=r, column=index) for r in range(2, ws.max_row + 1)]


def test_sheets_in_order(book):
    assert book.sheetnames == list(SHEET_ORDER)


def test_headers_are_for_people_and_the_fields_sheet_names_every_field(book):
    workbook_only = {"blocker_rules", "fix_rules", "stays_gen1"}
    vms = set(_fields(book["VMs"]))
    assert {*VM_COLUMNS, *FACT_COLUMNS} <= vms <= {*VM_COLUMNS, *FACT_COLUMNS, *workbook_only}
    assert {"blocker_rules", "fix_rules"} <= vms
    assert set(_fields(book["Findings"])) == set(FINDING_COLUMNS)
    assert set(_fields(book["Rules"])) == set(RULE_COLUMNS)
    assert _fields(book["Hosts"]) == list(HOST_COLUMNS)
    assert set(_fields(book["Data gaps"])) == set(DATA_GAP_COLUMNS)
    for sheet in ("VMs", "Findings", "Rules", "Hosts", "Data gaps"):
        headers = _header(book[sheet])
        assert len(set(headers)) == len(headers), sheet
        assert not any("_" in h for h in headers if "(" not in h), sheet
    meanings = [row[3] for row in book["Fields"].iter_rows(min_row=2, values_only=True)]
    assert all(meanings), "every field has a one-line meaning"


def test_vms_lead_with_name_host_and_the_decision_and_end_with_the_ids(book):
    vms = _fields(book["VMs"])
    lead = ["name", "host", "verdict", "conversion_path", "effort_hours", "blocker_rules"]
    lead.append("fix_rules")
    assert vms[:5] == lead[:5]
    assert [f for f in vms if f in lead] == lead  # reasons to convert may come between
    assert vms.index("fix_rules") < vms.index("cluster") < vms.index("os_arch")
    assert vms[-2:] == ["vm_id", "vm_key"]
    assert vms.index("os_arch") > vms.index("notes")
    assert _header(book["VMs"])[:5] == ["VM", "Host", "Verdict", "Path", "Effort (h)"]
    findings = _fields(book["Findings"])
    assert findings[:3] == ["vm_name", "host", "rule"] and findings[-1] == "vm_key"


def test_blockers_and_fixes_list_rule_ids_and_titles_one_per_line(book):
    vms = book["VMs"]
    names = [c.value for c in _column(vms, "name")]
    row = names.index("XP-TOOLS")
    blockers = _column(vms, "blocker_rules")[row].value
    assert blockers.split("\n")[0].startswith("OS001 ")
    assert len(blockers.split("\n")) == 2
    assert _column(vms, "blocker_rules")[row].alignment.wrap_text


def test_fact_headers_are_their_label_with_meaning_and_field_as_a_note(book):
    vms = book["VMs"]
    cell = vms.cell(row=1, column=_fields(vms).index("os_arch") + 1)
    assert cell.value == "OS architecture"
    assert cell.comment is not None and cell.comment.text.endswith("Field: os_arch")


def test_row_counts_match_the_assessment(book):
    a = sample()
    for sheet, frame in (
        ("VMs", a.vms),
        ("Findings", a.findings),
        ("Rules", a.rules),
        ("Hosts", a.hosts),
        ("Data gaps", a.data_gaps),
    ):
        assert book[sheet].max_row == len(frame) + 1, sheet


def test_header_frozen_and_every_list_filtered(book):
    for sheet in LIST_SHEETS:
        ws = book[sheet]
        expected = "B2" if sheet in ("VMs", "Findings") else "A2"
        assert ws.freeze_panes == expected, sheet
        last = get_column_letter(len(_header(ws)))
        assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}", sheet


def test_vms_are_worst_first(book):
    verdicts = [c.value for c in _column(book["VMs"], "verdict")]
    order = ["blocked", "needs-data", "stays-gen1", "ready-with-fixes", "ready", "already-gen2"]
    assert verdicts == sorted(verdicts, key=order.index)
    assert _column(book["VMs"], "name")[0].value == "XP-TOOLS"  # 2 blockers beat 1


def test_numbers_are_numbers_with_formats(book):
    vms = book["VMs"]
    effort = _column(vms, "effort_hours")
    assert all(isinstance(c.value, (int, float)) for c in effort)
    assert {c.number_format for c in effort} == {"#,##0.0#"}
    confidence = _column(vms, "confidence")
    assert {c.number_format for c in confidence} == {"0%"}
    assert {round(c.value, 2) for c in confidence} == {0.6, 1.0}
    blockers = _column(vms, "blockers")
    assert all(isinstance(c.value, int) for c in blockers)
    assert {c.number_format for c in blockers} == {"#,##0"}
    floppy = _column(vms, "floppy_media")
    assert {c.value for c in floppy} == {True, False}
    assert all(isinstance(c.value, (int, float)) for c in _column(book["Findings"], "effort_hours"))


def test_dates_are_dates(book):
    summary = book["Summary"]
    assert summary["A4"].value == "Generated (UTC)"
    assert summary["B4"].value == datetime(2025, 3, 14, 9, 30)
    assert summary["B4"].is_date
    collected = [c for c in _column(book["Hosts"], "collected_at") if c.value is not None]
    assert collected and all(c.is_date for c in collected)
    # 09:12:03+01:00 is shown in UTC.
    assert collected[0].value == datetime(2025, 3, 14, 8, 12, 3)
    expires = [c for c in _column(book["Findings"], "waiver_expires") if c.value is not None]
    assert [c.value for c in expires] == [datetime(2025, 6, 30)]
    assert expires[0].number_format == "yyyy-mm-dd"


def test_references_link_to_catalog_urls_only(book):
    catalog = {ref for refs in sample().rules["references"] for ref in refs.split()}
    cells = _column(book["Findings"], "reference")
    assert cells and all(c.hyperlink is not None for c in cells)
    for cell in cells:
        assert cell.hyperlink.target == cell.value
        assert cell.value in catalog
    rules = _column(book["Rules"], "references")
    assert all(c.hyperlink is not None and c.hyperlink.target == c.value for c in rules)


@pytest.mark.slow
def test_a_reference_not_in_the_catalog_stays_text(tmp_path):
    a = sample()
    a.findings.loc[0, "reference"] = "https://evil.example/phish"
    path = write_workbook(a, tmp_path / "x.xlsx")
    ws = openpyxl.load_workbook(path)["Findings"]
    cell = next(c for c in _column(ws, "reference") if c.value == "https://evil.example/phish")
    assert cell.hyperlink is None
    assert cell.data_type == "s"


def test_no_cell_anywhere_is_a_formula(book):
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


def test_inventory_text_reads_back_literally_with_quote_prefix(book):
    vms = book["VMs"]
    names = {c.value: c for c in _column(vms, "name")}
    assert DANGEROUS_NAME in names
    assert names[DANGEROUS_NAME].data_type == "s"
    assert names[DANGEROUS_NAME].quotePrefix
    notes = {c.value: c for c in _column(vms, "notes") if c.value}
    for note in (*DANGEROUS_NOTES, TAB_NOTE):
        assert note in notes, note
        assert notes[note].quotePrefix, note
    assert not notes["IIS front end"].quotePrefix
    findings_names = {c.value for c in _column(book["Findings"], "vm_name")}
    assert DANGEROUS_NAME in findings_names


def test_verdicts_coloured_and_waived_findings_greyed(book):
    for cell in _column(book["VMs"], "verdict"):
        colour = VERDICT_COLOURS[cell.value].fill.lstrip("#").upper()
        assert cell.fill.fgColor.rgb.endswith(colour), cell.value
    findings = book["Findings"]
    status = _column(findings, "status")
    waived_rows = [c.row for c in status if c.value == "waived"]
    assert len(waived_rows) == 1
    row = waived_rows[0]
    grey = WAIVED_TEXT.lstrip("#").upper()
    for cell in findings[row]:
        if cell.value is not None:
            assert cell.font.color is not None and cell.font.color.rgb.endswith(grey)
            assert cell.font.i


def test_readable_widths_and_wrapped_long_text(book):
    vms = book["VMs"]
    name_width = vms.column_dimensions[get_column_letter(_fields(vms).index("name") + 1)].width
    assert 12 <= name_width <= 46
    findings = book["Findings"]
    letter = get_column_letter(_fields(findings).index("evidence") + 1)
    assert 20 <= findings.column_dimensions[letter].width <= 50
    assert all(c.alignment.wrap_text for c in _column(findings, "remediation"))
    assert all(c.font.name for c in _column(findings, "remediation"))


def test_summary_has_charts_and_the_status_paragraph(written, book):
    with zipfile.ZipFile(written) as archive:
        names = archive.namelist()
        charts = [archive.read(n).decode() for n in names if n.startswith("xl/charts/chart")]
    assert any("<c:doughnutChart>" in c for c in charts)
    assert any("<c:barChart>" in c for c in charts)
    texts = [c.value for row in book["Summary"].iter_rows() for c in row if c.value]
    paragraph = next(t for t in texts if isinstance(t, str) and t.startswith("Of 12 Generation"))
    assert "6 are ready with fixes (est. 20 h)" in paragraph
    assert "3 are blocked" in paragraph
    assert "Findings by rule" in texts and "Effort by host" in texts


@pytest.mark.slow
def test_progress_is_reported(tmp_path):
    calls: list[tuple[int, int]] = []
    a = big(3_000)
    write_workbook(a, tmp_path / "big.xlsx", on_progress=lambda d, t: calls.append((d, t)))
    lists = len(a.vms) + len(a.findings) + len(a.rules) + len(a.hosts) + len(a.data_gaps)
    done, total = calls[-1]
    assert done == total > lists  # the lists plus the Fields sheet
    assert len(calls) >= 3
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_hyperlinks_stop_at_the_sheet_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook, "MAX_LINKS_PER_SHEET", 5)
    path = write_workbook(sample(), tmp_path / "x.xlsx")
    cells = _column(openpyxl.load_workbook(path)["Findings"], "reference")
    assert sum(c.hyperlink is not None for c in cells) == 5
    assert all(c.value for c in cells)


def test_an_empty_assessment_still_makes_a_workbook(tmp_path):
    a = sample()
    a.vms = a.vms.iloc[0:0]
    a.findings = a.findings.iloc[0:0]
    a.data_gaps = a.data_gaps.iloc[0:0]
    path = write_workbook(a, tmp_path / "empty.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == list(SHEET_ORDER)
    assert book["VMs"].max_row == 1


@pytest.mark.slow
def test_failure_mid_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "report.xlsx"
    write_workbook(sample(), target)
    before = target.read_bytes()

    def explode(done: int, total: int) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_workbook(big(12_000), target, on_progress=explode)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


# -- LibreOffice round trip ------------------------------------------------------------------
def _soffice() -> str | None:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found or os.environ.get("GEN2_INSTALL_LIBREOFFICE") != "1":
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, timeout=300)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "libreoffice-calc-nogui"],
        check=False,
        env=env,
        timeout=900,
    )
    return shutil.which("soffice")


@pytest.mark.slow
def test_libreoffice_shows_the_literal_text(written, tmp_path):
    soffice = _soffice()
    if soffice is None:
        pytest.skip(
            "LibreOffice (soffice) is not installed; set GEN2_INSTALL_LIBREOFFICE=1 to install "
            "libreoffice-calc-nogui for this test"
        )
    source = tmp_path / "book.xlsx"
    shutil.copy(written, source)
    profile = tmp_path / "lo-profile"
    out = tmp_path / "csv"
    command = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--convert-to",
        "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1",
        str(source),
        "--outdir",
        str(out),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=240)
    vms = (out / "book-VMs.csv").read_text(encoding="utf-8")
    assert '"=HYPERLINK(""http://x"",""y"")"' in vms or DANGEROUS_NAME in vms
    for note in DANGEROUS_NOTES:
        assert note in vms, note
    assert "'@SUM" not in vms  # the quote prefix is a flag, not part of the text
    findings = (out / "book-Findings.csv").read_text(encoding="utf-8")
    assert "HYPERLINK" in findings and ',"y",' not in findings
