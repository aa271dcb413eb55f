"""The workbook's "Scope and assumptions" sheet: what the numbers rest on.

A client reading the Summary asks: for whom, from which data collected when, under which
agreed overrides, waivers and exclusions, and with which effort figures. This sheet answers
from ``Assessment.context`` (filled by the command line from its options, the policy and the
catalog), the inputs, the hosts and the rules:

Engagement (client, engagement, generated, tool, catalog, policy), Inputs (with file time),
Hosts (with collection time), Policy overrides (disabled rules, severity and effort
overrides), Waivers and keep-on-Gen-1 decisions, Scope exclusions (VMs left out by each
setting), Effort assumed (per conversion path, per rule).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from assess import __version__
from assess.model.assessment import Assessment
from assess.render.text_safety import is_na
from assess.render.xlsx.formats import Formats
from assess.render.xlsx.print_setup import setup_page
from assess.render.xlsx.summary_sheet import PATH_MEANING, SheetCursor

SHEET = "Scope and assumptions"
WIDTHS = (26, 48, 16, 16, 22, 40)
_HEADER = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F3864", "valign": "vcenter"}
_SECTION = {
    "bold": True,
    "font_size": 12,
    "font_color": "#1F3864",
    "bottom": 2,
    "bottom_color": "#8EA9DB",
    "valign": "bottom",
}
_MUTED = {"font_color": "#595959"}
_DATETIME = "yyyy-mm-dd hh:mm"
_HOURS = "#,##0.0#"


def write_scope(ws: Worksheet, fmts: Formats, assessment: Assessment) -> None:
    sheet = SheetCursor(ws, fmts)
    for col, width in enumerate(WIDTHS):
        ws.set_column(col, col, width)
    ws.hide_gridlines(2)
    ws.set_row(0, 26)
    sheet.text(0, 0, SHEET, bold=True, font_size=16, font_color="#1F3864", valign="vcenter")
    sheet.text(
        1,
        0,
        "What the figures of this workbook rest on: the data, when it was collected, and "
        "what was agreed with the client.",
        **_MUTED,
    )
    sheet.row = 2
    _engagement(sheet, assessment)
    _inputs(sheet, assessment)
    _hosts(sheet, assessment)
    _overrides(sheet, assessment)
    _waivers(sheet, assessment)
    _scope(sheet, assessment)
    _effort(sheet, assessment)
    setup_page(ws, assessment, rows=sheet.row, cols=len(WIDTHS), repeat_header=False)


# -- helpers ----------------------------------------------------------------------------------
def _section(sheet: SheetCursor, title: str) -> None:
    sheet.row += 1
    sheet.ws.set_row(sheet.row, 22)
    sheet.text(sheet.row, 0, title, **_SECTION)
    for col in range(1, len(WIDTHS)):
        sheet.ws.write_blank(sheet.row, col, None, sheet.fmts.get(**_SECTION))
    sheet.row += 1


def _header(sheet: SheetCursor, labels: list[str], numeric: tuple[int, ...] = ()) -> None:
    for col, label in enumerate(labels):
        props = dict(_HEADER)
        if col in numeric:
            props["align"] = "right"
        elif col:
            props["indent"] = 1  # clear of a right-aligned number header to its left
        sheet.text(sheet.row, col, label, **props)
    sheet.row += 1


def _none(sheet: SheetCursor, text: str) -> None:
    sheet.text(sheet.row, 0, text, italic=True, **_MUTED)
    sheet.row += 1


def _moment(sheet: SheetCursor, col: int, value: Any, indent: int = 1) -> None:
    """A time in UTC as a date cell; text that is not a time stays text; NA stays empty."""
    if is_na(value) or value == "":
        sheet.text(sheet.row, col, "unknown", italic=True, **_MUTED)
        return
    moment = (
        pd.to_datetime(value, errors="coerce", utc=True)
        if not isinstance(value, datetime)
        else value
    )
    if moment is None or pd.isna(moment):
        sheet.text(sheet.row, col, value)
        return
    if isinstance(moment, pd.Timestamp):
        moment = moment.to_pydatetime()
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    sheet.ws.write_datetime(
        sheet.row, col, moment, sheet.fmts.get(num_format=_DATETIME, align="left", indent=indent)
    )


def _wrapped(sheet: SheetCursor, col: int, value: object) -> None:
    """Wrapped text, the row made tall enough (no spreadsheet grows it by itself)."""
    text = "" if is_na(value) else str(value)
    lines = max(1, -(-len(text) // int(WIDTHS[col] * 1.1)))
    if lines > 1:
        sheet.ws.set_row(sheet.row, 15 * lines)
    sheet.text(sheet.row, col, text, text_wrap=True, valign="top")


def _parse_times(values: pd.Series) -> list[datetime | None]:
    """A column of times (datetimes or ISO 8601 text) as aware datetimes, None where not."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = values if values.dt.tz is not None else values.dt.tz_localize(UTC)
    else:
        parsed = pd.to_datetime(
            values.astype("string"), errors="coerce", utc=True, format="ISO8601"
        )
    return [None if pd.isna(v) else v.to_pydatetime() for v in parsed.tolist()]


def _pairs(sheet: SheetCursor, rows: list[tuple[str, object]]) -> None:
    for label, value in rows:
        sheet.text(sheet.row, 0, label, bold=True, font_color="#404040")
        if isinstance(value, datetime):
            _moment(sheet, 1, value, indent=0)
        else:
            text = "" if value is None else str(value)
            sheet.text(sheet.row, 1, text or "not stated", **({} if text else _MUTED))
        sheet.row += 1


# -- sections ---------------------------------------------------------------------------------
def _engagement(sheet: SheetCursor, assessment: Assessment) -> None:
    context = assessment.context
    _section(sheet, "Engagement")
    _pairs(
        sheet,
        [
            ("Client", context.client.strip()),
            ("Engagement", context.engagement.strip()),
            ("Generated (UTC)", assessment.generated_at),
            ("Tool", f"gen2-assess {__version__}"),
            ("Rule catalog", context.catalog or "built-in"),
            ("Policy file", context.policy_path or "none (catalog defaults)"),
        ],
    )


def _inputs(sheet: SheetCursor, assessment: Assessment) -> None:
    _section(sheet, "Inputs")
    _header(sheet, ["Kind", "Path", "VMs", "Warnings", "File time (UTC)", "Status"], (2, 3))
    times = assessment.context.input_times
    for item in assessment.inputs:
        sheet.text(sheet.row, 0, item.kind)
        sheet.text(sheet.row, 1, item.path)
        sheet.number(sheet.row, 2, item.vms, "#,##0")
        sheet.number(sheet.row, 3, item.warnings, "#,##0")
        collected = getattr(item, "collected_at", None) or times.get(item.path)
        _moment(sheet, 4, collected)
        detail = f"{item.status}: {item.detail}" if item.detail else item.status
        sheet.text(sheet.row, 5, detail, text_wrap=True, valign="top")
        sheet.row += 1
    if not assessment.inputs:
        _none(sheet, "No inputs recorded.")


def _hosts(sheet: SheetCursor, assessment: Assessment) -> None:
    _section(sheet, "Hosts and collection times")
    _header(sheet, ["Host", "Source", "VMs", "Gen 1 VMs", "Collected (UTC)", "Status"], (2, 3))
    hosts = assessment.hosts
    # Parsed once for the column (per cell, pandas takes milliseconds a value).
    parsed = _parse_times(hosts["collected_at"]) if len(hosts) else []
    for item, moment in zip(hosts.to_dict("records"), parsed, strict=True):
        sheet.text(sheet.row, 0, item.get("host"), bold=True)
        sheet.text(sheet.row, 1, item.get("source"), **_MUTED)
        for col, key in ((2, "vm_count"), (3, "gen1_vms")):
            value = item.get(key)
            if not is_na(value):
                sheet.number(sheet.row, col, float(value), "#,##0")
        raw = item.get("collected_at")
        _moment(sheet, 4, moment if moment is not None else raw)
        status = item.get("status")
        reason = item.get("reason")
        text = f"{status}: {reason}" if not is_na(reason) and reason else status
        _wrapped(sheet, 5, text)
        sheet.row += 1
    if hosts.empty:
        _none(sheet, "No hosts recorded.")


def _overrides(sheet: SheetCursor, assessment: Assessment) -> None:
    context = assessment.context
    _section(sheet, "Policy overrides")
    rows: list[tuple[str, str, str, str]] = []
    for rule in context.disabled_rules:
        rows.append(("Rule disabled", rule, "not evaluated", ""))
    for rule, before, after in context.severity_overrides:
        rows.append(("Severity", rule, f"{before} -> {after}", ""))
    for rule, hours in context.rule_effort_overrides.items():
        rows.append(("Effort per rule", rule, f"{hours:g} h", ""))
    for path, hours in context.path_effort_overrides.items():
        rows.append(("Effort per path", path, f"{hours:g} h", ""))
    if not rows:
        _none(sheet, "None: the catalog's severities and effort figures apply.")
        return
    _header(sheet, ["Override", "Rule or path", "Value"])
    for kind, what, value, _ in rows:
        sheet.text(sheet.row, 0, kind)
        sheet.text(sheet.row, 1, what, bold=True)
        sheet.text(sheet.row, 2, value)
        sheet.row += 1


def _waivers(sheet: SheetCursor, assessment: Assessment) -> None:
    context = assessment.context
    _section(sheet, "Waivers and keep-on-Gen-1 decisions")
    decisions = [*context.waivers, *context.keep_gen1]
    if not decisions:
        _none(sheet, "None.")
        return
    _header(sheet, ["VM (name, glob or id)", "Reason", "Rule", "Expires", "Owner", "Applies to"])
    findings = assessment.findings
    waived = findings.loc[(findings["status"] == "waived").fillna(False)]
    for item in decisions:
        rule = item.get("rule") or "whole VM: stays on Gen 1"
        sheet.text(sheet.row, 0, item.get("vm"), bold=True)
        _wrapped(sheet, 1, item.get("reason"))
        sheet.text(sheet.row, 2, rule)
        sheet.text(sheet.row, 3, item.get("expires") or "no expiry")
        sheet.text(sheet.row, 4, item.get("owner"))
        if item.get("rule"):
            same = (waived["waiver_reason"] == item.get("reason")) & (
                waived["rule"] == item.get("rule")
            )
            count = int(waived.loc[same.fillna(False), "vm_key"].nunique())
            sheet.text(sheet.row, 5, f"{count} VM{'s' if count != 1 else ''}")
        sheet.row += 1


def _scope(sheet: SheetCursor, assessment: Assessment) -> None:
    context = assessment.context
    _section(sheet, "Scope exclusions")
    if not context.scope_exclusions:
        _none(sheet, f"None: every VM read ({len(assessment.vms):,}) is in scope.")
        return
    seen = context.scope_seen
    sheet.text(
        sheet.row,
        0,
        f"{len(assessment.vms):,} of {seen:,} VMs read are in scope; each setting below "
        "leaves out the VMs counted (a VM can be left out by several).",
        **_MUTED,
    )
    sheet.row += 1
    _header(sheet, ["Setting", "Patterns", "VMs left out"], (2,))
    for setting, patterns, count in context.scope_exclusions:
        sheet.text(sheet.row, 0, setting, bold=True)
        sheet.text(sheet.row, 1, patterns)
        sheet.number(sheet.row, 2, count, "#,##0")
        sheet.row += 1


def _effort(sheet: SheetCursor, assessment: Assessment) -> None:
    context = assessment.context
    _section(sheet, "Effort assumed per conversion path")
    sheet.text(
        sheet.row,
        0,
        "Base hours per VM for its path, plus the hours of its open findings. Planning "
        "defaults, not measurements; a policy file overrides them.",
        **_MUTED,
    )
    sheet.row += 1
    _header(sheet, ["Path", "What it means", "Hours"], (2,))
    for path, hours in context.path_effort.items():
        sheet.text(sheet.row, 0, path, bold=True)
        sheet.text(sheet.row, 1, PATH_MEANING.get(path, ""), **_MUTED)
        sheet.number(sheet.row, 2, hours, _HOURS)
        sheet.row += 1
    if not context.path_effort:
        _none(sheet, "Not recorded for this run.")

    _section(sheet, "Effort assumed per rule")
    _header(sheet, ["Rule", "Title", "Severity", "Hours"], (3,))
    for item in assessment.rules.to_dict("records"):
        sheet.text(sheet.row, 0, item.get("id"), bold=True)
        _wrapped(sheet, 1, item.get("title"))
        sheet.text(sheet.row, 2, item.get("severity"))
        hours = item.get("effort_hours")
        if not is_na(hours):
            sheet.number(sheet.row, 3, float(hours), _HOURS)
        sheet.row += 1
