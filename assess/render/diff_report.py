"""``assess diff`` output: the terminal summary, the ``Changes`` workbook and the diff JSON.

Terminal: a summary panel (verdict counts old -> new, effort, VMs added and removed,
findings resolved and new), then one table per kind of change, worst news first, each cut at
``limit`` rows with a line saying how many more there are.

Workbook, sheet ``Changes`` (a contract: tools filter on these headers and values), one row
per change, columns ``CHANGE_COLUMNS``:

==================  ======================================================================
change              one of ``CHANGE_TYPES`` (below)
vm_name, host,      the VM (for a VM in both runs: where it is now)
cluster
rule, severity      the finding's rule id and severity (finding rows only)
old_verdict,        the VM's verdict in the old and the new run (blank where the VM is not
new_verdict         in that run, and on ``effort-changed`` rows)
old_effort_hours,   finding rows: the finding's own estimate in each run where it exists;
new_effort_hours    other rows: the VM's effort in each run
detail              a sentence for people: rules opened or closed, the finding's title...
vm_id               the VM id as the newer run has it
==================  ======================================================================

Sheet ``Summary``: the two runs' dates, verdict counts old / new / change, effort and open
findings old / new / change, and the number of changes of each type.

Every string from an assessment (names, hosts, titles, evidence) is written with
``write_string``, with the quote-prefix flag when it starts like a formula, and the workbook is
opened with string conversions off: a VM named ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from xlsxwriter.worksheet import Worksheet

from assess.atomic import atomic_path
from assess.diff.compare import (
    CHANGED,
    EFFORT_CHANGED,
    Diff,
    EffortChange,
    FindingChange,
    PathChange,
    VerdictChange,
    VmPresence,
    diff_to_dict,
)
from assess.render.styles import (
    VERDICT_COLOURS,
    VERDICT_LABELS,
    Colour,
    severity_colour,
    verdict_colour,
)
from assess.render.text_safety import excel_text, looks_like_formula, terminal_text
from assess.render.xlsx.formats import Formats, estimate_width, sample_values, workbook_file

CHANGE_COLUMNS: tuple[str, ...] = (
    "change",
    "vm_name",
    "host",
    "cluster",
    "rule",
    "severity",
    "old_verdict",
    "new_verdict",
    "old_effort_hours",
    "new_effort_hours",
    "detail",
    "vm_id",
)

#: Values of the ``change`` column, in the order the sheet lists them (worst news first).
CHANGE_TYPES: tuple[str, ...] = (
    "verdict-worse",
    "verdict-reopened",  # no longer stays on Gen 1: the decision expired or was withdrawn
    "finding-new",
    "finding-unwaived",
    "vm-added",
    "vm-removed",
    "path-changed",
    "effort-changed",
    "verdict-changed",  # to or from a verdict this version does not know
    "verdict-decided",  # now stays on Gen 1 by the client's decision
    "finding-waived",
    "finding-resolved",
    "verdict-improved",
)

_BAD = VERDICT_COLOURS["blocked"]
_GOOD = VERDICT_COLOURS["ready"]
CHANGE_COLOURS: dict[str, Colour] = {
    "verdict-worse": _BAD,
    "finding-new": _BAD,
    "finding-unwaived": _BAD,
    "finding-resolved": _GOOD,
    "verdict-improved": _GOOD,
}
#: More VMs with these verdicts is bad news; more with the others is good news.
_BAD_VERDICTS = frozenset({"blocked", "needs-data"})
_GOOD_VERDICTS = frozenset({"ready", "already-gen2"})

_HOURS_COLUMNS = frozenset({"old_effort_hours", "new_effort_hours"})
_COLOURED_COLUMNS: dict[str, Callable[[object], Colour | None]] = {
    "old_verdict": verdict_colour,
    "new_verdict": verdict_colour,
    "severity": severity_colour,
    "change": lambda value: CHANGE_COLOURS.get(str(value)),
}
_FIXED_WIDTHS = {"detail": 70, "vm_id": 38}

DEFAULT_LIMIT = 50


# -- small text helpers -------------------------------------------------------------------


def _number(value: float, sign: str = "") -> str:
    """``1,234.5``: up to two decimals, none when whole (effort is often 0.5 or 2)."""
    text = f"{value:{sign},.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _hours(value: float | None) -> str:
    return "-" if value is None else _number(value)


def _signed(value: float, unit: str = "") -> str:
    if abs(value) < 0.005:
        return f"0{unit}"
    return _number(value, "+") + unit


def _rules(rules: Iterable[str]) -> str:
    return " ".join(rules)


def _verdict_detail(change: VerdictChange) -> str:
    parts = []
    if change.rules_opened:
        parts.append(f"newly open: {', '.join(change.rules_opened)}")
    if change.rules_closed:
        parts.append(f"closed: {', '.join(change.rules_closed)}")
    return "; ".join(parts)


def _finding_detail(change: FindingChange) -> str:
    parts = [change.title or ""]
    if change.new_status == "waived" and change.waiver_reason:
        parts.append(f"waiver: {change.waiver_reason}")
    elif change.new_status is not None and change.evidence:
        parts.append(change.evidence)
    return "; ".join(p for p in parts if p)


def _presence_detail(vm: VmPresence) -> str:
    parts = [f"path: {vm.conversion_path or 'unknown'}"]
    if vm.open_rules:
        parts.append(f"open: {', '.join(vm.open_rules)}")
    return "; ".join(parts)


# -- terminal -----------------------------------------------------------------------------


def _cell(value: object, style: str | None = None) -> Text:
    """Assessment text for a table cell: control characters removed, never parsed as markup."""
    return Text(terminal_text(value) if value is not None else "", style=style or "")


def _verdict_cell(verdict: str | None) -> Text:
    colour = verdict_colour(verdict)
    return _cell(verdict, colour.rich if colour else None)


def _severity_cell(severity: str | None) -> Text:
    colour = severity_colour(severity)
    return _cell(severity, colour.rich if colour else None)


def _delta_text(verdict: str, delta: int) -> Text:
    style = ""
    if delta and verdict in _BAD_VERDICTS:
        style = "red" if delta > 0 else "green"
    elif delta and verdict in _GOOD_VERDICTS:
        style = "green" if delta > 0 else "red"
    return Text(_signed(delta), style=style)


def _summary_panel(diff: Diff) -> Panel:
    counts = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    counts.add_column("Verdict")
    counts.add_column("Old", justify="right")
    counts.add_column("New", justify="right")
    counts.add_column("Change", justify="right")
    total_old = total_new = 0
    deltas = diff.verdict_deltas()
    for number, (verdict, (before, after, delta)) in enumerate(deltas.items(), start=1):
        total_old, total_new = total_old + before, total_new + after
        colour = verdict_colour(verdict)
        label = VERDICT_LABELS.get(verdict, verdict)
        counts.add_row(
            _cell(label, colour.rich if colour else None),
            f"{before:,}",
            f"{after:,}",
            _delta_text(verdict, delta),
            end_section=number == len(deltas),
        )
    counts.add_row(
        Text("All VMs", style="bold"),
        f"{total_old:,}",
        f"{total_new:,}",
        _signed(total_new - total_old),
    )

    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    effort = diff.effort_delta
    facts.add_row(
        "Effort",
        Text(
            f"{_hours(diff.old.effort_hours)} h -> {_hours(diff.new.effort_hours)} h "
            f"({_signed(effort, ' h')})",
            style="green" if effort < 0 else ("red" if effort > 0 else ""),
        ),
    )
    vms = f"{len(diff.vms_added):,} added, {len(diff.vms_removed):,} removed"
    if diff.matched_by_name:
        vms += f"; {diff.matched_by_name:,} matched by host and name"
    facts.add_row("VMs", vms)
    facts.add_row(
        "Verdicts",
        f"{len(diff.improved):,} improved ({len(diff.converted):,} now Gen 2), "
        f"{len(diff.worse):,} worse, {len(diff.decided):,} decided to stay on Gen 1"
        + (f", {len(diff.reopened):,} reopened" if diff.reopened else ""),
    )
    facts.add_row(
        "Findings",
        f"{len(diff.findings_resolved):,} resolved, {len(diff.findings_new):,} new, "
        f"{len(diff.findings_waived):,} waived, {len(diff.findings_unwaived):,} unwaived "
        f"(open: {diff.old.open_findings:,} -> {diff.new.open_findings:,})",
    )
    facts.add_row("Paths", f"{len(diff.path_changes):,} conversion path change(s)")
    title = Text("Changes ")
    title.append(terminal_text(diff.old.generated_at or "?"))
    title.append(" -> ")
    title.append(terminal_text(diff.new.generated_at or "?"))
    return Panel(Group(counts, Text(""), facts), title=title, title_align="left", expand=False)


@dataclass(frozen=True)
class _Section:
    title: str
    style: str
    headers: tuple[str, ...]
    items: Sequence[Any]
    row: Callable[[Any], Sequence[Text | str]]


def _verdict_row(change: VerdictChange) -> Sequence[Text | str]:
    return (
        _cell(change.vm_name),
        _cell(change.host),
        _verdict_cell(change.old_verdict),
        _verdict_cell(change.new_verdict),
        f"{_hours(change.old_effort_hours)} -> {_hours(change.new_effort_hours)}",
        _cell(_verdict_detail(change)),
    )


def _finding_row(change: FindingChange) -> Sequence[Text | str]:
    return (
        _cell(change.vm_name),
        _cell(change.host),
        _cell(change.rule),
        _severity_cell(change.severity),
        _cell(_finding_detail(change)),
    )


def _presence_row(vm: VmPresence) -> Sequence[Text | str]:
    return (
        _cell(vm.vm_name),
        _cell(vm.host),
        _verdict_cell(vm.verdict),
        _cell(vm.conversion_path),
        _hours(vm.effort_hours),
        _cell(_rules(vm.open_rules)),
    )


def _path_row(change: PathChange) -> Sequence[Text | str]:
    return (
        _cell(change.vm_name),
        _cell(change.host),
        _cell(change.old_conversion_path),
        _cell(change.new_conversion_path),
        _verdict_cell(change.new_verdict),
    )


def _effort_row(change: EffortChange) -> Sequence[Text | str]:
    return (
        _cell(change.vm_name),
        _cell(change.host),
        _hours(change.old_effort_hours),
        _hours(change.new_effort_hours),
        Text(
            _signed(change.delta_hours),
            style="red" if change.delta_hours > 0 else "green",
        ),
    )


_WRAPPING_HEADERS = frozenset({"VM", "Host", "Why", "Detail", "Open findings"})
_VERDICT_HEADERS = ("VM", "Host", "Old", "New", "Effort h", "Why")
_FINDING_HEADERS = ("VM", "Host", "Rule", "Severity", "Detail")
_PRESENCE_HEADERS = ("VM", "Host", "Verdict", "Path", "Effort h", "Open findings")


def _sections(diff: Diff) -> list[_Section]:
    newly_open = [c for c in diff.findings_new if c.new_status == "open"]
    new_waived = [c for c in diff.findings_new if c.new_status != "open"]
    return [
        _Section("Got worse", "bold red", _VERDICT_HEADERS, diff.worse, _verdict_row),
        _Section(
            "No longer stays on Gen 1", "bold red", _VERDICT_HEADERS, diff.reopened, _verdict_row
        ),
        _Section("New findings", "bold red", _FINDING_HEADERS, newly_open, _finding_row),
        _Section(
            "No longer waived", "bold red", _FINDING_HEADERS, diff.findings_unwaived, _finding_row
        ),
        _Section("VMs added", "bold", _PRESENCE_HEADERS, diff.vms_added, _presence_row),
        _Section("VMs removed", "bold", _PRESENCE_HEADERS, diff.vms_removed, _presence_row),
        _Section(
            "Conversion path changes",
            "bold",
            ("VM", "Host", "Old path", "New path", "Verdict"),
            diff.path_changes,
            _path_row,
        ),
        _Section(
            "Effort changes, VMs in both runs",
            "bold",
            ("VM", "Host", "Old h", "New h", "Change h"),
            [c for c in diff.effort_changes if c.change == EFFORT_CHANGED],
            _effort_row,
        ),
        _Section(
            "Verdict changed (unknown verdict)",
            "bold",
            _VERDICT_HEADERS,
            [c for c in diff.verdict_changes if c.direction == CHANGED],
            _verdict_row,
        ),
        _Section("Decided: stays on Gen 1", "bold", _VERDICT_HEADERS, diff.decided, _verdict_row),
        _Section("New findings, waived", "bold", _FINDING_HEADERS, new_waived, _finding_row),
        _Section("Waived", "bold", _FINDING_HEADERS, diff.findings_waived, _finding_row),
        _Section(
            "Resolved findings",
            "bold green",
            _FINDING_HEADERS,
            diff.findings_resolved,
            _finding_row,
        ),
        _Section("Improved", "bold green", _VERDICT_HEADERS, diff.improved, _verdict_row),
    ]


def render_diff(diff: Diff, console: Console, *, limit: int = DEFAULT_LIMIT) -> None:
    """Print the summary panel and the change tables, each cut at ``limit`` rows."""
    console.print(_summary_panel(diff))
    if diff.is_empty:
        console.print("No changes between the two assessments.", highlight=False)
        return
    for section in _sections(diff):
        if not section.items:
            continue
        table = Table(
            title=Text(f"{section.title} ({len(section.items):,})", style=section.style),
            title_justify="left",
            box=box.SIMPLE_HEAD,
        )
        for header in section.headers:
            # Short fixed vocabularies stay on one line; names and prose wrap.
            wraps = header in _WRAPPING_HEADERS
            table.add_column(header, overflow="fold", no_wrap=not wraps)
        for item in section.items[:limit]:
            table.add_row(*section.row(item))
        console.print(table)
        hidden = len(section.items) - limit
        if hidden > 0:
            console.print(
                f"... {hidden:,} more (all of them: --xlsx or --json)",
                style="dim",
                highlight=False,
            )


# -- JSON ---------------------------------------------------------------------------------


def write_diff_json(diff: Diff, path: str | os.PathLike[str]) -> Path:
    """Write the ``gen2-assess/diff`` document to ``path`` atomically."""
    target = Path(path)
    with atomic_path(target, suffix=".json") as tmp, tmp.open("w", encoding="utf-8") as out:
        json.dump(diff_to_dict(diff), out, ensure_ascii=False, indent=1)
        out.write("\n")
    return target


# -- workbook rows ------------------------------------------------------------------------

Row = tuple[Any, ...]


def _row(change: str, vm: Any, **values: Any) -> Row:
    cells = {
        "change": change,
        "vm_name": vm.vm_name,
        "host": vm.host,
        "cluster": vm.cluster,
        "vm_id": vm.vm_id,
        **values,
    }
    return tuple(cells.get(name) for name in CHANGE_COLUMNS)


def _verdict_rows(changes: Iterable[VerdictChange]) -> Iterable[Row]:
    for c in changes:
        yield _row(
            f"verdict-{c.direction}",
            c,
            old_verdict=c.old_verdict,
            new_verdict=c.new_verdict,
            old_effort_hours=c.old_effort_hours,
            new_effort_hours=c.new_effort_hours,
            detail=_verdict_detail(c),
        )


def _finding_rows(kind: str, changes: Iterable[FindingChange]) -> Iterable[Row]:
    for c in changes:
        yield _row(
            kind,
            c,
            rule=c.rule,
            severity=c.severity,
            old_verdict=c.old_verdict,
            new_verdict=c.new_verdict,
            old_effort_hours=c.effort_hours if c.old_status is not None else None,
            new_effort_hours=c.effort_hours if c.new_status is not None else None,
            detail=_finding_detail(c),
        )


def _presence_rows(kind: str, vms: Iterable[VmPresence]) -> Iterable[Row]:
    side = "new" if kind == "vm-added" else "old"
    for vm in vms:
        yield _row(
            kind,
            vm,
            **{f"{side}_verdict": vm.verdict, f"{side}_effort_hours": vm.effort_hours},
            detail=_presence_detail(vm),
        )


def change_rows(diff: Diff) -> list[Row]:
    """Every row of the ``Changes`` sheet, in ``CHANGE_TYPES`` order."""
    by_type: dict[str, Iterable[Row]] = {
        "verdict-worse": _verdict_rows(diff.worse),
        "verdict-reopened": _verdict_rows(diff.reopened),
        "finding-new": _finding_rows("finding-new", diff.findings_new),
        "finding-unwaived": _finding_rows("finding-unwaived", diff.findings_unwaived),
        "vm-added": _presence_rows("vm-added", diff.vms_added),
        "vm-removed": _presence_rows("vm-removed", diff.vms_removed),
        "path-changed": (
            _row(
                "path-changed",
                c,
                old_verdict=c.old_verdict,
                new_verdict=c.new_verdict,
                detail=f"{c.old_conversion_path or 'unknown'} -> "
                f"{c.new_conversion_path or 'unknown'}",
            )
            for c in diff.path_changes
        ),
        "effort-changed": (
            _row(
                "effort-changed",
                c,
                old_effort_hours=c.old_effort_hours,
                new_effort_hours=c.new_effort_hours,
                detail=f"{_signed(c.delta_hours, ' h')}",
            )
            for c in diff.effort_changes
            if c.change == EFFORT_CHANGED
        ),
        "verdict-changed": _verdict_rows(c for c in diff.verdict_changes if c.direction == CHANGED),
        "verdict-decided": _verdict_rows(diff.decided),
        "finding-waived": _finding_rows("finding-waived", diff.findings_waived),
        "finding-resolved": _finding_rows("finding-resolved", diff.findings_resolved),
        "verdict-improved": _verdict_rows(diff.improved),
    }
    return [row for kind in CHANGE_TYPES for row in by_type[kind]]


# -- workbook -----------------------------------------------------------------------------


class _Cells:
    """Typed cell writers: text is always ``write_string`` (quote-prefixed when it starts
    like a formula), numbers ``write_number``, nothing is left to ``write()``'s guessing."""

    def __init__(self, ws: Worksheet, fmts: Formats) -> None:
        self.ws = ws
        self.fmts = fmts

    def text(
        self,
        row: int,
        col: int,
        value: object,
        *,
        colour: Colour | None = None,
        bold: bool = False,
        wrap: bool = False,
    ) -> None:
        if value is None:
            return
        text = excel_text(value if isinstance(value, str) else str(value))
        if not text:
            return
        fmt = self.fmts.cell(colour=colour, bold=bold, wrap=wrap, quote=looks_like_formula(text))
        self.ws.write_string(row, col, text, fmt)

    def number(
        self,
        row: int,
        col: int,
        value: float | int | None,
        kind: str = "int",
        *,
        bold: bool = False,
    ) -> None:
        if value is None:
            return
        self.ws.write_number(row, col, value, self.fmts.cell(kind=kind, bold=bold))


def _write_summary(ws: Worksheet, fmts: Formats, diff: Diff) -> None:
    cells = _Cells(ws, fmts)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 3, 12)
    ws.set_column(4, 4, 40)
    ws.set_row(0, 28)
    ws.write_string(0, 0, "Assessment changes", fmts.title())
    cells.text(1, 0, "Old assessment", bold=True)
    cells.text(1, 1, diff.old.generated_at)
    cells.text(2, 0, "New assessment", bold=True)
    cells.text(2, 1, diff.new.generated_at)

    row = 4
    for col, header in enumerate(("Verdict", "Old", "New", "Change")):
        ws.write_string(row, col, header, fmts.header())
    for verdict, (before, after, delta) in diff.verdict_deltas().items():
        row += 1
        cells.text(row, 0, VERDICT_LABELS.get(verdict, verdict), colour=verdict_colour(verdict))
        cells.number(row, 1, before)
        cells.number(row, 2, after)
        cells.number(row, 3, delta)
    row += 1
    cells.text(row, 0, "All VMs", bold=True)
    cells.number(row, 1, diff.old.vm_count, bold=True)
    cells.number(row, 2, diff.new.vm_count, bold=True)
    cells.number(row, 3, diff.new.vm_count - diff.old.vm_count, bold=True)

    row += 2
    for col, header in enumerate(("Measure", "Old", "New", "Change")):
        ws.write_string(row, col, header, fmts.header())
    measures: tuple[tuple[str, float, float, float, str], ...] = (
        (
            "Effort (hours)",
            diff.old.effort_hours,
            diff.new.effort_hours,
            diff.effort_delta,
            "hours",
        ),
        (
            "Open findings",
            diff.old.open_findings,
            diff.new.open_findings,
            diff.new.open_findings - diff.old.open_findings,
            "int",
        ),
        (
            "Waived findings",
            diff.old.waived_findings,
            diff.new.waived_findings,
            diff.new.waived_findings - diff.old.waived_findings,
            "int",
        ),
    )
    for label, old_value, new_value, change, kind in measures:
        row += 1
        cells.text(row, 0, label)
        cells.number(row, 1, old_value, kind)
        cells.number(row, 2, new_value, kind)
        cells.number(row, 3, change, kind)

    row += 2
    ws.write_string(row, 0, "Change (sheet Changes)", fmts.header())
    ws.write_string(row, 1, "Rows", fmts.header())
    counts = _change_counts(diff)
    for kind in CHANGE_TYPES:
        row += 1
        cells.text(row, 0, kind, colour=CHANGE_COLOURS.get(kind))
        cells.number(row, 1, counts[kind])
    row += 1
    cells.text(row, 0, "VMs in both runs", bold=True)
    cells.number(row, 1, diff.matched, bold=True)
    row += 1
    cells.text(row, 0, "  of which matched by host and name")
    cells.number(row, 1, diff.matched_by_name)
    row += 1
    cells.text(row, 0, "VMs now Generation 2")
    cells.number(row, 1, len(diff.converted))

    if diff.notes:
        row += 2
        cells.text(row, 0, "Notes", bold=True)
        for note in diff.notes:
            row += 1
            cells.text(row, 0, note)


def _change_counts(diff: Diff) -> dict[str, int]:
    return {
        "verdict-worse": len(diff.worse),
        "verdict-reopened": len(diff.reopened),
        "finding-new": len(diff.findings_new),
        "finding-unwaived": len(diff.findings_unwaived),
        "vm-added": len(diff.vms_added),
        "vm-removed": len(diff.vms_removed),
        "path-changed": len(diff.path_changes),
        "effort-changed": sum(1 for c in diff.effort_changes if c.change == EFFORT_CHANGED),
        "verdict-changed": sum(1 for c in diff.verdict_changes if c.direction == CHANGED),
        "verdict-decided": len(diff.decided),
        "finding-waived": len(diff.findings_waived),
        "finding-resolved": len(diff.findings_resolved),
        "verdict-improved": len(diff.improved),
    }


def _write_changes(ws: Worksheet, fmts: Formats, rows: list[Row]) -> None:
    for col, name in enumerate(CHANGE_COLUMNS):
        if name in _FIXED_WIDTHS:
            width = _FIXED_WIDTHS[name]
        elif name in _HOURS_COLUMNS:
            width = len(name) + 4
        else:
            width = estimate_width(name, sample_values([r[col] for r in rows]), maximum=40)
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 2)
    ws.autofilter(0, 0, max(len(rows), 1), len(CHANGE_COLUMNS) - 1)
    header = fmts.header()
    for col, name in enumerate(CHANGE_COLUMNS):
        ws.write_string(0, col, name, header)
    cells = _Cells(ws, fmts)
    for number, values in enumerate(rows, start=1):
        for col, name in enumerate(CHANGE_COLUMNS):
            value = values[col]
            if name in _HOURS_COLUMNS:
                cells.number(number, col, value, "hours")
            else:
                colour_of = _COLOURED_COLUMNS.get(name)
                cells.text(number, col, value, colour=colour_of(value) if colour_of else None)


def write_diff_workbook(diff: Diff, path: str | os.PathLike[str]) -> Path:
    """Write sheets ``Summary`` and ``Changes`` to ``path`` atomically."""
    target = Path(path)
    rows = change_rows(diff)
    with workbook_file(target, "Generation 2 assessment: changes") as workbook:
        fmts = Formats(workbook)
        summary = workbook.add_worksheet("Summary")
        changes = workbook.add_worksheet("Changes")
        _write_summary(summary, fmts, diff)
        _write_changes(changes, fmts, rows)
    return target
