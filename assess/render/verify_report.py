"""``assess verify`` output: the terminal report, the JSON document and the workbook sheet.

JSON (``"schema": "gen2-assess/verify"``, ``"schema_version": 1``): ``generated_at``,
``tool``, ``before`` / ``after`` (the inputs read), ``plan`` (its path or null), ``summary``
(VMs per status, unexpected differences, VMs skipped, the outcome), ``notes`` and ``vms[]``:
``name``, ``host``, ``vm_id``, ``status``, ``new_vm`` (``name``, ``host``, ``id``, or null),
``rollback_vm`` (its name in AFTER, or null), ``differences[]`` (``field``, ``group``,
``before``, ``after``, ``expected``, ``reason``), ``not_compared[]`` (``field``, ``group``,
``reason``) and ``unknown_groups`` (essential groups with no data at all).

Workbook, sheet ``Verification``: one row per difference, one per reason fields were not
compared (the fields listed), and one row for a VM with neither; columns ``VERIFY_COLUMNS``;
``result`` is ``unexpected``, ``expected``, ``not compared`` or blank. Text is always
written as text (quote-prefixed when it starts like a formula): a VM named
``=HYPERLINK(...)`` stays a name.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from assess import __version__
from assess.atomic import atomic_path
from assess.render.styles import VERDICT_COLOURS, Colour
from assess.render.text_safety import excel_text, looks_like_formula, terminal_text
from assess.render.xlsx.formats import Formats, estimate_width, sample_values, workbook_file
from assess.verify.compare import (
    DIFFERS,
    MATCH,
    MISSING,
    NOT_CONVERTED,
    STATUSES,
    Difference,
    NotCompared,
    Verification,
    VmResult,
)

VERIFY_SCHEMA_NAME = "gen2-assess/verify"
VERIFY_SCHEMA_VERSION = 1
SHEET_NAME = "Verification"

VERIFY_COLUMNS: tuple[str, ...] = (
    "vm_name",
    "status",
    "host",
    "new_vm_name",
    "new_host",
    "group",
    "field",
    "result",
    "before",
    "after",
    "reason",
    "vm_id",
    "new_vm_id",
)
UNEXPECTED, EXPECTED, NOT_COMPARED = "unexpected", "expected", "not compared"

STATUS_COLOURS: dict[str, Colour] = {
    MATCH: VERDICT_COLOURS["ready"],
    DIFFERS: VERDICT_COLOURS["blocked"],
    MISSING: VERDICT_COLOURS["blocked"],
    NOT_CONVERTED: VERDICT_COLOURS["already-gen2"],
}
RESULT_COLOURS: dict[str, Colour] = {
    UNEXPECTED: VERDICT_COLOURS["blocked"],
    EXPECTED: VERDICT_COLOURS["ready"],
    NOT_COMPARED: VERDICT_COLOURS["needs-data"],
}
_FIXED_WIDTHS = {"reason": 60, "before": 40, "after": 40, "vm_id": 38, "new_vm_id": 38}
DEFAULT_LIMIT = 50


# -- JSON ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON value: numbers, booleans and text as they are; anything else as text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _difference(d: Difference) -> dict[str, Any]:
    return {
        "field": d.field,
        "group": d.group,
        "before": _plain(d.before),
        "after": _plain(d.after),
        "expected": d.expected,
        "reason": d.reason,
    }


def _gap(g: NotCompared) -> dict[str, Any]:
    return {"field": g.field, "group": g.group, "reason": g.reason}


def _vm(vm: VmResult) -> dict[str, Any]:
    new_vm = (
        {"name": vm.new_name, "host": vm.new_host, "id": vm.new_vm_id}
        if vm.new_name is not None
        else None
    )
    return {
        "name": vm.name,
        "host": vm.host,
        "vm_id": vm.vm_id,
        "status": vm.status,
        "new_vm": new_vm,
        "rollback_vm": vm.rollback_name,
        "differences": [_difference(d) for d in vm.differences],
        "not_compared": [_gap(g) for g in vm.not_compared],
        "unknown_groups": list(vm.unknown_groups),
    }


def verification_to_dict(result: Verification) -> dict[str, Any]:
    generated = result.generated_at or datetime.now(UTC)
    return {
        "schema": VERIFY_SCHEMA_NAME,
        "schema_version": VERIFY_SCHEMA_VERSION,
        "generated_at": generated.isoformat(timespec="seconds"),
        "tool": {"name": "gen2-assess", "version": __version__},
        "before": [dict(item) for item in result.before_inputs],
        "after": [dict(item) for item in result.after_inputs],
        "plan": result.plan_path,
        "summary": {
            **result.counts(),
            "unexpected_differences": result.unexpected_count,
            "incomplete": len(result.incomplete),
            "skipped": result.skipped,
            "outcome": result.outcome,
        },
        "notes": list(result.notes),
        "vms": [_vm(vm) for vm in result.vms],
    }


def write_verification_json(result: Verification, path: str | os.PathLike[str]) -> Path:
    """Write the ``gen2-assess/verify`` document to ``path`` atomically: the head indented,
    then one VM per line. Indented output goes through the json module's Python encoder
    (about five times slower than its C encoder, which writes one VM per line); a VM per
    line also suits ``grep`` and line-based tools."""
    target = Path(path)
    document = verification_to_dict(result)
    vms = document.pop("vms")
    head = json.dumps(document, ensure_ascii=False, indent=1)
    assert head.endswith("\n}")
    with atomic_path(target, suffix=".json") as tmp, tmp.open("w", encoding="utf-8") as out:
        out.write(head[:-2])
        if not vms:
            out.write(',\n "vms": []\n}\n')
            return target
        out.write(',\n "vms": [\n')
        last = len(vms) - 1
        for number, vm in enumerate(vms):
            out.write("  " + json.dumps(vm, ensure_ascii=False))
            out.write(",\n" if number < last else "\n")
        out.write(" ]\n}\n")
    return target


# -- terminal -----------------------------------------------------------------------------


def _show(value: Any, field: str = "") -> str:
    """A value for people: sizes in GiB, booleans as yes/no, nothing as a dash."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and field.endswith("bytes") and value >= 1024**2:
        gib = value / 1024**3
        return f"{value:,} ({gib:,.2f} GiB)" if gib < 10 else f"{value:,} ({gib:,.0f} GiB)"
    return terminal_text(value)


def _cell(value: Any, style: str | None = None) -> Text:
    return Text(terminal_text(value) if value is not None else "", style=style or "")


def _status_cell(status: str) -> Text:
    colour = STATUS_COLOURS.get(status)
    return _cell(status, colour.rich if colour else None)


def _summary_panel(result: Verification) -> Panel:
    counts = result.counts()
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(justify="right")
    for status in STATUSES:
        colour = STATUS_COLOURS[status]
        grid.add_row(Text(status, style=colour.rich), f"{counts[status]:,}")
    grid.add_row("unexpected differences", f"{result.unexpected_count:,}")
    if result.incomplete:
        grid.add_row("not fully verified (no data)", f"{len(result.incomplete):,}")
    if result.skipped:
        grid.add_row("skipped (not to verify)", f"{result.skipped:,}")
    lines: list[Any] = [grid]
    converted = counts[MATCH] + counts[DIFFERS] + counts[MISSING]
    outcome = {
        "ok": Text(
            "Every converted VM matches: only expected differences."
            if converted
            else "No VM was converted.",
            style="green",
        ),
        "unexpected": Text("Unexpected differences: see below.", style="bold red"),
        "partial": Text(
            "No unexpected difference, but not everything could be checked: see below.",
            style="bold dark_orange",
        ),
    }[result.outcome]
    lines += [Text(""), outcome]
    for note in result.notes:
        lines.append(Text(f"note: {terminal_text(note)}", style="dim"))
    return Panel(Group(*lines), title="Verification", title_align="left", expand=False)


def _vm_table(vms: list[VmResult]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="VMs", title_justify="left")
    for header, wraps in (
        ("Status", False),
        ("VM", True),
        ("Host", True),
        ("New VM", True),
        ("Unexpected", False),
        ("Expected", False),
        ("Not compared", False),
    ):
        table.add_column(header, overflow="fold", no_wrap=not wraps)
    for vm in vms:
        new = f"{vm.new_name} on {vm.new_host}" if vm.new_name is not None else "-"
        gaps = f"{len(vm.not_compared):,}"
        if vm.unknown_groups:
            gaps += f" (no data: {', '.join(vm.unknown_groups)})"
        table.add_row(
            _status_cell(vm.status),
            _cell(vm.name),
            _cell(vm.host),
            _cell(new),
            Text(f"{len(vm.unexpected):,}", style="bold red" if vm.unexpected else ""),
            f"{len(vm.expected):,}",
            _cell(gaps),
        )
    return table


def _detail_table(vm: VmResult) -> Table:
    title = Text(f"{terminal_text(vm.name)}: ", style="bold")
    title.append(vm.status, style=STATUS_COLOURS[vm.status].rich)
    table = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left")
    table.add_column("Field", overflow="fold")
    table.add_column("Before", overflow="fold")
    table.add_column("After", overflow="fold")
    table.add_column("Expected", no_wrap=True)
    table.add_column("Reason", overflow="fold")
    for d in [*vm.unexpected, *vm.expected]:
        table.add_row(
            _cell(d.field),
            _cell(_show(d.before, d.field)),
            _cell(_show(d.after, d.field)),
            Text("yes", style="green") if d.expected else Text("NO", style="bold red"),
            _cell(d.reason),
        )
    return table


def render_verification(
    result: Verification, console: Console, *, show_all: bool = False, limit: int = DEFAULT_LIMIT
) -> None:
    """The summary, the VM table and the differences of each VM that is not a match (of
    every VM with ``show_all``); VMs not converted are only counted unless ``show_all``."""
    console.print(_summary_panel(result))
    shown = [vm for vm in result.vms if show_all or vm.status != NOT_CONVERTED]
    if shown:
        console.print(_vm_table(shown[:limit] if not show_all else shown))
        if not show_all and len(shown) > limit:
            console.print(
                f"... {len(shown) - limit:,} more (all of them: --all, --xlsx or --json)",
                style="dim",
                highlight=False,
            )
    hidden = len(result.vms) - len(shown)
    if hidden:
        console.print(
            f"{hidden:,} VM(s) not converted (listed with --all, --xlsx or --json)",
            style="dim",
            highlight=False,
        )
    for vm in result.vms:
        detailed = vm.status in (DIFFERS, MISSING) or (show_all and vm.differences)
        if detailed and vm.differences:
            console.print(_detail_table(vm))
        if (detailed or show_all) and vm.not_compared:
            console.print(
                Text(
                    f"{terminal_text(vm.name)}: not compared (no data): "
                    + terminal_text(_gap_list(vm.not_compared))
                ),
                style="dim",
            )
    for vm in result.incomplete:
        console.print(
            Text(
                f"{terminal_text(vm.name)}: no data at all for {', '.join(vm.unknown_groups)}: "
                "not verified",
                style="dark_orange",
            )
        )


def _gap_list(gaps: list[NotCompared]) -> str:
    """``a, b, nics[X]: c, d``: the fields of one adapter or disk under one label."""
    by_item: dict[str, list[str]] = {}
    for gap in gaps:
        item, _, column = gap.field.rpartition(".") if "[" in gap.field else ("", "", gap.field)
        by_item.setdefault(item, []).append(column)
    parts = [", ".join(by_item.pop("", []))] if "" in by_item else []
    parts += [f"{item}: {', '.join(columns)}" for item, columns in by_item.items()]
    return "; ".join(p for p in parts if p)


# -- workbook -----------------------------------------------------------------------------

Row = tuple[Any, ...]


def verification_rows(result: Verification) -> list[Row]:
    """Every row of the ``Verification`` sheet, VMs in report order."""
    rows: list[Row] = []
    for vm in result.vms:
        base = {
            "vm_name": vm.name,
            "status": vm.status,
            "host": vm.host,
            "new_vm_name": vm.new_name,
            "new_host": vm.new_host,
            "vm_id": vm.vm_id,
            "new_vm_id": vm.new_vm_id,
        }
        items: list[dict[str, Any]] = [
            {
                "group": d.group,
                "field": d.field,
                "result": EXPECTED if d.expected else UNEXPECTED,
                "before": d.before,
                "after": d.after,
                "reason": d.reason,
            }
            for d in [*vm.unexpected, *vm.expected]
        ]
        # Fields not compared: one row per reason, the fields listed (a VM read by an older
        # collector has dozens; one row each would bury the differences).
        by_reason: dict[str, list[NotCompared]] = {}
        for gap in vm.not_compared:
            by_reason.setdefault(gap.reason, []).append(gap)
        items += [
            {
                "group": ", ".join(dict.fromkeys(g.group for g in gaps)),
                "field": _gap_list(gaps),
                "result": NOT_COMPARED,
                "reason": reason,
            }
            for reason, gaps in by_reason.items()
        ]
        if not items:
            reason = {
                MATCH: "every compared field carried over",
                NOT_CONVERTED: "not converted: still Generation 1 under its name",
            }.get(vm.status, "")
            items = [{"reason": reason}]
        for item in items:
            cells = {**base, **item}
            rows.append(tuple(cells.get(name) for name in VERIFY_COLUMNS))
    return rows


class _Cells:
    """Text always as ``write_string`` (quote-prefixed when it starts like a formula),
    numbers as numbers, booleans as yes/no text."""

    def __init__(self, ws: Worksheet, fmts: Formats) -> None:
        self.ws = ws
        self.fmts = fmts

    def value(self, row: int, col: int, value: Any, colour: Colour | None = None) -> None:
        if value is None:
            return
        if isinstance(value, bool):
            value = "yes" if value else "no"
        if isinstance(value, (int, float)):
            self.ws.write_number(row, col, value, self.fmts.cell(kind="int"))
            return
        text = excel_text(str(value))
        if not text:
            return
        fmt = self.fmts.cell(colour=colour, quote=looks_like_formula(text))
        self.ws.write_string(row, col, text, fmt)


def write_verification_sheet(workbook: Workbook, rows: list[Row]) -> Worksheet:
    """Add the ``Verification`` sheet to an open workbook."""
    fmts = Formats(workbook)
    ws = workbook.add_worksheet(SHEET_NAME)
    for col, name in enumerate(VERIFY_COLUMNS):
        if name in _FIXED_WIDTHS:
            width = _FIXED_WIDTHS[name]
        else:
            width = estimate_width(name, sample_values([r[col] for r in rows]), maximum=40)
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 1)
    ws.autofilter(0, 0, max(len(rows), 1), len(VERIFY_COLUMNS) - 1)
    header = fmts.header()
    for col, name in enumerate(VERIFY_COLUMNS):
        ws.write_string(0, col, name, header)
    cells = _Cells(ws, fmts)
    status_col = VERIFY_COLUMNS.index("status")
    result_col = VERIFY_COLUMNS.index("result")
    for number, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            colour = None
            if col == status_col:
                colour = STATUS_COLOURS.get(str(value))
            elif col == result_col:
                colour = RESULT_COLOURS.get(str(value))
            cells.value(number, col, value, colour)
    return ws


def write_verification_workbook(result: Verification, path: str | os.PathLike[str]) -> Path:
    """Write a workbook with the ``Verification`` sheet to ``path`` atomically."""
    target = Path(path)
    rows = verification_rows(result)
    with workbook_file(target, "Generation 2 conversion: verification") as workbook:
        write_verification_sheet(workbook, rows)
    return target
