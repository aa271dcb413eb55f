"""The workbook's Summary sheet: what a client reads first.

Top to bottom: title and generation date, a status paragraph to paste into a mail, the
inputs, VMs by verdict (with a doughnut chart), findings by rule (with a bar chart of the top
15), effort by conversion path, by cluster and by host, then notes about the inputs.

In ``constant_memory`` mode rows must be written top to bottom, so the layout is a cursor
moving down; charts are floating objects anchored next to their table, and a section is
padded with empty rows until its chart ends so charts never overlap the next table.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from assess import __version__
from assess.model.assessment import VERDICTS, Assessment
from assess.render import figures
from assess.render.styles import (
    FONT_NAME,
    VERDICT_COLOURS,
    severity_colour,
    verdict_colour,
)
from assess.render.text_safety import excel_text, looks_like_formula, to_text
from assess.render.xlsx.formats import Formats
from assess.render.xlsx.print_setup import setup_page

SHEET = "Summary"
#: Column widths (characters): A keys, B names and explanations, C.. numbers.
WIDTHS = (24, 56, 11, 11, 11, 11, 11, 11, 11, 11, 11)
CHART_COL = 6  # charts float from column G, right of the 5-column tables
ROW_PX = 20
TOP_RULES_IN_CHART = 15

VERDICT_MEANING = {
    "blocked": "Needs an OS upgrade or a rebuild first",
    "needs-data": "A blocker rule could not be checked: data missing",
    "stays-gen1": "Client decided it stays on Gen 1 (waiver or policy)",
    "ready-with-fixes": "Converts after known fixes",
    "ready": "Converts as is",
    "already-gen2": "Nothing to do",
}
PATH_MEANING = {
    "mbr2gpt": "MBR2GPT in the guest, boot disk into a new Gen 2 VM",
    "recapture": "Capture the OS volume onto a new GPT disk (DISM + bcdboot)",
    "linux-efi": "Manual: GPT, EFI partition, grub-install for UEFI",
    "rebuild": "New VM: upgrade or reinstall the guest OS",
    "unknown": "Decided once the missing data is in",
    "none": "Already Generation 2",
}


class SheetCursor:
    """A cursor over the Summary sheet plus the few cell helpers it needs."""

    def __init__(self, ws: Worksheet, fmts: Formats) -> None:
        self.ws = ws
        self.fmts = fmts
        self.row = 0

    def text(self, row: int, col: int, value: object, **props: Any) -> None:
        text = to_text(value)
        if not text:
            if props:
                self.ws.write_blank(row, col, None, self.fmts.get(**props))
            return
        if looks_like_formula(text):
            props["quote_prefix"] = True
        self.ws.write_string(row, col, excel_text(text), self.fmts.get(**props))

    def number(self, row: int, col: int, value: float, num_format: str, **props: Any) -> None:
        fmt = self.fmts.get(num_format=num_format, **props)
        if isinstance(value, (int, float)) and math.isfinite(value):
            self.ws.write_number(row, col, value, fmt)
        else:
            self.ws.write_blank(row, col, None, fmt)

    def section(self, title: str, columns: int = 5) -> int:
        """A section title with a rule under it; returns its row."""
        self.row += 1
        row = self.row
        self.ws.set_row(row, 22)
        self.text(row, 0, title, **_SECTION)
        for col in range(1, columns):
            self.ws.write_blank(row, col, None, self.fmts.get(**_SECTION))
        self.row += 1
        return row

    def header(self, labels: list[str], numeric_from: int = 2, numeric_to: int = 99) -> None:
        for col, label in enumerate(labels):
            props = dict(_HEADER)
            if numeric_from <= col <= numeric_to:
                props["align"] = "right"
            elif col > numeric_to:
                props["indent"] = 1
            self.text(self.row, col, label, **props)
        self.row += 1

    def pad_to(self, row: int) -> None:
        self.row = max(self.row, row)


_SECTION = {
    "bold": True,
    "font_size": 12,
    "font_color": "#1F3864",
    "bottom": 2,
    "bottom_color": "#8EA9DB",
    "valign": "bottom",
}
_HEADER = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F3864", "valign": "vcenter"}
_TOTAL = {"bold": True, "top": 1, "top_color": "#7F7F7F"}
_INT = "#,##0"
_HOURS = "#,##0.0"
_PCT = "0%"


def write_summary(workbook: Workbook, ws: Worksheet, fmts: Formats, assessment: Assessment) -> None:
    sheet = SheetCursor(ws, fmts)
    for col, width in enumerate(WIDTHS):
        ws.set_column(col, col, width)
    ws.hide_gridlines(2)

    _title(sheet, assessment)
    _status(sheet, assessment)
    _inputs(sheet, assessment)
    _verdicts(sheet, workbook, assessment)
    _rules(sheet, workbook, assessment)
    _paths(sheet, assessment)
    _groups(sheet, assessment)
    _notes(sheet, assessment)
    # The charts float from column G, about 5.5 columns wide: print through column L.
    setup_page(ws, assessment, rows=sheet.row, cols=CHART_COL + 6, repeat_header=False)


def _title(sheet: SheetCursor, assessment: Assessment) -> None:
    ws = sheet.ws
    ws.set_row(0, 30)
    sheet.text(
        0,
        0,
        "Generation 2 readiness assessment",
        bold=True,
        font_size=18,
        font_color="#1F3864",
        valign="vcenter",
    )
    sheet.text(
        1,
        0,
        "Hyper-V Generation 1 VMs: what stands between each VM and "
        "Generation 2, how to fix it, how much work it is.",
        font_color="#595959",
    )
    generated = assessment.generated_at
    label = "Generated (UTC)" if generated.tzinfo is not None else "Generated"
    if generated.tzinfo is not None:
        generated = generated.astimezone(__import__("datetime").UTC).replace(tzinfo=None)
    sheet.text(3, 0, label, bold=True, font_color="#404040")
    ws.write_datetime(3, 1, generated, sheet.fmts.get(num_format="yyyy-mm-dd hh:mm", align="left"))
    sheet.text(4, 0, "Produced by", bold=True, font_color="#404040")
    sheet.text(4, 1, f"gen2-assess {__version__}")
    sheet.row = 5
    context = assessment.context
    for label, value in (("Client", context.client), ("Engagement", context.engagement)):
        if value and value.strip():
            sheet.text(sheet.row, 0, label, bold=True, font_color="#404040")
            sheet.text(sheet.row, 1, value.strip())
            sheet.row += 1


def _status(sheet: SheetCursor, assessment: Assessment) -> None:
    sheet.section("Status", columns=9)
    paragraph = figures.status_paragraph(assessment)
    last_col = 8
    # Column widths count "0" digits; running text averages about 1.2 characters per digit
    # width (a low estimate, so the row errs on the tall side): Excel and LibreOffice do not
    # grow a merged row to fit its text.
    chars_per_line = sum(WIDTHS[: last_col + 1]) * 1.2
    lines = sum(max(1, math.ceil(len(part) / chars_per_line)) for part in paragraph.split("\n"))
    row = sheet.row
    sheet.ws.set_row(row, 15 * lines + 6)
    fmt = sheet.fmts.get(text_wrap=True, valign="top", font_size=11)
    sheet.ws.merge_range(row, 0, row, last_col, "", fmt)
    sheet.text(row, 0, paragraph, text_wrap=True, valign="top", font_size=11)
    sheet.row += 1


def _inputs(sheet: SheetCursor, assessment: Assessment) -> None:
    sheet.section("Inputs", columns=6)
    sheet.header(
        ["Kind", "Path", "VMs", "Warnings", "Status", "Detail"], numeric_from=2, numeric_to=3
    )
    for item in assessment.inputs:
        row = sheet.row
        sheet.text(row, 0, item.kind)
        sheet.text(row, 1, item.path)
        sheet.number(row, 2, item.vms, _INT)
        sheet.number(row, 3, item.warnings, _INT)
        colour = {"ok": "#155724", "partial": "#7A4100"}.get(item.status, "#842029")
        sheet.text(row, 4, item.status, font_color=colour, bold=True, indent=2)
        sheet.text(row, 5, item.detail, font_color="#595959")
        sheet.row += 1
    if not assessment.inputs:
        sheet.text(sheet.row, 0, "(no inputs recorded)", font_color="#595959")
        sheet.row += 1


def _verdicts(sheet: SheetCursor, workbook: Workbook, assessment: Assessment) -> None:
    top = sheet.section("VMs by verdict")
    sheet.header(["Verdict", "What it means", "VMs", "Share", "Effort (h)"])
    table = figures.verdict_table(assessment)
    first = sheet.row
    for item in table.itertuples(index=False):
        row = sheet.row
        colour = verdict_colour(item.verdict)
        props = {"bg_color": colour.fill, "font_color": colour.text, "bold": True} if colour else {}
        sheet.text(row, 0, item.verdict, **props)
        sheet.text(row, 1, VERDICT_MEANING.get(item.verdict, ""), font_color="#404040")
        sheet.number(row, 2, item.vms, _INT)
        sheet.number(row, 3, item.share, _PCT)
        sheet.number(row, 4, item.effort_hours, _HOURS)
        sheet.row += 1
    last = sheet.row - 1
    row = sheet.row
    sheet.text(row, 0, "Total", **_TOTAL)
    sheet.text(row, 1, "", **_TOTAL)
    sheet.number(row, 2, int(table["vms"].sum()), _INT, **_TOTAL)
    sheet.number(row, 3, 1.0 if table["vms"].sum() else 0.0, _PCT, **_TOTAL)
    sheet.number(row, 4, float(table["effort_hours"].sum()), _HOURS, **_TOTAL)
    sheet.row += 1

    chart = workbook.add_chart({"type": "doughnut"})
    counts = table["vms"].tolist()
    chart.add_series(
        {
            "name": "VMs by verdict",
            "categories": [SHEET, first, 0, last, 0],
            "values": [SHEET, first, 2, last, 2],
            "points": [
                {"fill": {"color": VERDICT_COLOURS[v].chart}, "border": {"color": "#FFFFFF"}}
                for v in VERDICTS
            ],
            "data_labels": {
                "value": True,
                "font": {"name": FONT_NAME, "size": 10, "bold": True, "color": "#FFFFFF"},
                "custom": [{"delete": True} if not n else None for n in counts],
            },
        }
    )
    chart.set_hole_size(55)
    chart.set_rotation(0)
    _chart_frame(chart, "VMs by verdict")
    chart.set_legend({"position": "right", "font": {"name": FONT_NAME, "size": 10}})
    height = 260
    sheet.ws.insert_chart(
        top, CHART_COL, chart, {"x_offset": 10, "y_offset": 4, "object_position": 3}
    )
    chart.set_size({"width": 440, "height": height})
    sheet.pad_to(top + math.ceil(height / ROW_PX) + 1)


def _rules(sheet: SheetCursor, workbook: Workbook, assessment: Assessment) -> None:
    table = figures.rule_table(assessment)
    top = sheet.section("Findings by rule")
    sheet.header(["Rule", "Title", "Severity", "VMs", "Waived"], numeric_from=3)
    first = sheet.row
    for item in table.itertuples(index=False):
        row = sheet.row
        sheet.text(row, 0, item.rule, bold=True)
        sheet.text(row, 1, item.title)
        colour = severity_colour(item.severity)
        props = {"font_color": colour.text, "bg_color": colour.fill} if colour else {}
        sheet.text(row, 2, item.severity, **props)
        sheet.number(row, 3, item.vms, _INT)
        if item.waived:
            sheet.number(row, 4, item.waived, _INT)
        else:
            sheet.text(row, 4, "-", align="right", font_color="#A6A6A6")
        sheet.row += 1
    if table.empty:
        sheet.text(sheet.row, 0, "No findings.", font_color="#595959")
        sheet.row += 1
        return
    shown = min(len(table), TOP_RULES_IN_CHART)
    chart = workbook.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": "VMs with an open finding",
            "categories": [SHEET, first, 0, first + shown - 1, 0],
            "values": [SHEET, first, 3, first + shown - 1, 3],
            "points": [
                {"fill": {"color": colour.chart if (colour := severity_colour(s)) else "#7F7F7F"}}
                for s in table["severity"].head(shown)
            ],
            "gap": 40,
            "data_labels": {"value": True, "font": {"name": FONT_NAME, "size": 9}},
        }
    )
    font = {"name": FONT_NAME, "size": 9}
    # Categories top-down in table order; "crossing: max" keeps the value axis at the bottom.
    chart.set_y_axis(
        {"reverse": True, "crossing": "max", "num_font": font, "major_tick_mark": "none"}
    )
    chart.set_x_axis(
        {
            "num_font": font,
            "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}},
            "num_format": "0",
            "min": 0,
        }
    )
    title = "Open findings by rule (VMs)" + (f", top {shown}" if len(table) > shown else "")
    _chart_frame(chart, title)
    chart.set_legend({"none": True})
    height = max(220, 60 + 18 * shown)
    chart.set_size({"width": 440, "height": height})
    sheet.ws.insert_chart(
        top, CHART_COL, chart, {"x_offset": 10, "y_offset": 4, "object_position": 3}
    )
    sheet.pad_to(top + math.ceil(height / ROW_PX) + 1)


def _chart_frame(chart: Any, title: str) -> None:
    chart.set_title(
        {
            "name": title,
            "name_font": {"name": FONT_NAME, "size": 11, "bold": True, "color": "#1F3864"},
        }
    )
    chart.set_chartarea({"border": {"color": "#D9D9D9"}})


def _paths(sheet: SheetCursor, assessment: Assessment) -> None:
    table = figures.path_table(assessment)
    sheet.section("Effort by conversion path")
    sheet.header(["Path", "What it means", "VMs", "Effort (h)", "h per VM"])
    for item in table.itertuples(index=False):
        row = sheet.row
        sheet.text(row, 0, item.conversion_path, bold=True)
        sheet.text(row, 1, PATH_MEANING.get(item.conversion_path, ""), font_color="#404040")
        sheet.number(row, 2, item.vms, _INT)
        sheet.number(row, 3, item.effort_hours, _HOURS)
        sheet.number(row, 4, item.effort_hours / item.vms if item.vms else 0.0, _HOURS)
        sheet.row += 1
    _total_row(
        sheet, [(2, table["vms"].sum(), _INT), (3, table["effort_hours"].sum(), _HOURS)], last_col=4
    )


def _total_row(sheet: SheetCursor, cells: list[tuple[int, Any, str]], last_col: int) -> None:
    row = sheet.row
    sheet.text(row, 0, "Total", **_TOTAL)
    filled = {col for col, _, _ in cells}
    for col in range(1, last_col + 1):
        if col not in filled:
            sheet.text(row, col, "", **_TOTAL)
    for col, value, num_format in cells:
        sheet.number(row, col, float(value), num_format, **_TOTAL)
    sheet.row += 1


def _verdict_header(sheet: SheetCursor, first: list[str]) -> None:
    labels = [*first, "VMs", *VERDICTS, "Effort (h)"]
    for col, label in enumerate(labels):
        props = dict(_HEADER)
        if col >= len(first):
            props["align"] = "right"
        colour = VERDICT_COLOURS.get(label)
        if colour is not None:
            props.update(bg_color=colour.fill, font_color=colour.text, text_wrap=True)
        sheet.text(sheet.row, col, label, **props)
    sheet.ws.set_row(sheet.row, 28)
    sheet.row += 1


def _group_rows(sheet: SheetCursor, table: pd.DataFrame, keys: list[str]) -> None:
    for item in table.to_dict("records"):
        row = sheet.row
        for col, key in enumerate(keys):
            sheet.text(row, col, item[key], bold=col == 0)
        col = len(keys)
        sheet.number(row, col, item["vms"], _INT)
        for offset, verdict in enumerate(VERDICTS, 1):
            count = int(item[verdict])
            if count:
                sheet.number(row, col + offset, count, _INT)
            else:
                sheet.text(row, col + offset, "-", align="right", font_color="#A6A6A6")
        sheet.number(row, col + len(VERDICTS) + 1, item["effort_hours"], _HOURS)
        sheet.row += 1
    last = len(keys) + len(VERDICTS) + 1
    cells = [(len(keys), table["vms"].sum(), _INT)]
    cells += [(len(keys) + i, table[v].sum(), _INT) for i, v in enumerate(VERDICTS, 1)]
    cells.append((last, table["effort_hours"].sum(), _HOURS))
    _total_row(sheet, cells, last_col=last)


def _groups(sheet: SheetCursor, assessment: Assessment) -> None:
    clusters = figures.cluster_table(assessment)
    hosts = figures.host_table(assessment)
    width = 2 + len(VERDICTS) + 2
    if len(clusters) > 1 or (
        len(clusters) == 1 and clusters["cluster"].iloc[0] != figures.NO_CLUSTER
    ):
        sheet.section("Effort by cluster", columns=width - 1)
        host_counts = hosts.groupby("cluster")["host"].nunique()
        clusters = clusters.assign(
            hosts=clusters["cluster"]
            .map(host_counts)
            .map(lambda n: f"{n} host" if n == 1 else f"{n} hosts")
        )
        _verdict_header(sheet, ["Cluster", "Hosts"])
        _group_rows(sheet, clusters, ["cluster", "hosts"])
    sheet.section("Effort by host", columns=width)
    _verdict_header(sheet, ["Cluster", "Host"])
    _group_rows(sheet, hosts, ["cluster", "host"])


def _notes(sheet: SheetCursor, assessment: Assessment) -> None:
    sheet.section("Notes", columns=9)
    notes = [
        "Effort figures are planning defaults per finding (see the Rules sheet), not "
        "measurements: adjust them with a policy file.",
        "Lists: VMs (one row per VM, worst first), Findings (one row per finding, with "
        "evidence, remediation and reference), Data gaps (what was missing and how to get it).",
        "Scope and assumptions: inputs and collection times, policy overrides, waivers, "
        "scope exclusions and the effort figures assumed. Fields: every column header with "
        "its field name in the JSON and CSV outputs.",
        *assessment.messages,
    ]
    for note in notes:
        sheet.text(sheet.row, 0, "•", align="right", font_color="#595959")
        sheet.text(sheet.row, 1, note, font_color="#404040")
        sheet.row += 1
