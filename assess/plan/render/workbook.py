"""Plan -> ``runbook.xlsx``: the Runbook sheet, one row per VM (steps are in each script's
header and in ``plan.json``).

Every cell from the inventory is text: the workbook is the tool's text-only workbook
(``formats.open_workbook``), which never turns a string into a formula, a URL, a number or
rich-string markup, so a VM named ``=HYPERLINK(...)`` stays a name. The rows go in bulk
(``fast_rows.write_plain_rows``, what XlsxWriter writes cell by cell, byte for byte), or cell
by cell where that writer is not supported.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from assess.plan.model import Plan, VmPlan
from assess.render.xlsx import fast_rows
from assess.render.xlsx.formats import open_workbook

RUNBOOK_COLUMNS: tuple[str, ...] = (
    "host",
    "cluster",
    "name",
    "id",
    "verdict",
    "path",
    "guest_os",
    "host_script",
    "guest_script",
    "steps",
    "manual_steps",
    "read_at_run_time",
    "no_script_reason",
)
_WIDTHS = (14, 12, 22, 38, 16, 11, 24, 44, 44, 7, 60, 40, 60)
#: Whether the rows may go through the bulk writer (tests turn it off to compare).
FAST_ROWS = True


def _row(vm: VmPlan) -> tuple[Any, ...]:
    """One VM's cells: text, and the number of steps."""
    manual = [s.title for s in vm.steps if s.where == "manual"]
    scripts = vm.scripts
    return (
        vm.host or "",
        vm.cluster or "",
        vm.name,
        vm.id or "",
        vm.verdict,
        vm.path,
        vm.os or "",
        scripts[0] if scripts and vm.convertible else "",
        scripts[1] if len(scripts) > 1 else (scripts[0] if scripts else ""),
        len(vm.steps),
        "; ".join(manual),
        ", ".join(vm.read_at_run_time),
        vm.no_script_reason or "",
    )


def write_runbook_workbook(plan: Plan, path: str | Path) -> None:
    with tempfile.TemporaryDirectory(prefix="gen2-xlsx-", ignore_cleanup_errors=True) as work:
        workbook = open_workbook(str(path), work)
        try:
            bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7"})
            runbook = workbook.add_worksheet("Runbook")
            for col, (name, width) in enumerate(zip(RUNBOOK_COLUMNS, _WIDTHS, strict=True)):
                runbook.set_column(col, col, width)
                runbook.write_string(0, col, name, bold)
            runbook.freeze_panes(1, 3)
            rows = [_row(vm) for vm in plan.vms]
            if rows and FAST_ROWS and fast_rows.supported(runbook):
                fast_rows.write_plain_rows(runbook, 1, list(zip(*rows, strict=True)))
            else:
                for number, values in enumerate(rows, 1):
                    for col, value in enumerate(values):
                        if isinstance(value, int):
                            runbook.write_number(number, col, value)
                        else:
                            runbook.write_string(number, col, value)
            runbook.autofilter(0, 0, max(len(rows), 1), len(RUNBOOK_COLUMNS) - 1)
        finally:
            workbook.close()
