"""Plan -> ``runbook.xlsx``: a Runbook sheet (one row per VM) and a Steps sheet.

Every cell from the inventory is written with ``write_string`` and the workbook refuses to
turn strings into formulas, URLs or numbers: a VM named ``=HYPERLINK(...)`` stays a name.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from assess.plan.model import Plan

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
STEP_COLUMNS: tuple[str, ...] = ("host", "name", "number", "where", "title", "check")
_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "constant_memory": True,
}
_WIDTHS = (14, 12, 22, 38, 16, 11, 24, 44, 44, 7, 60, 40, 60)


def write_runbook_workbook(plan: Plan, path: str | Path) -> None:
    workbook = xlsxwriter.Workbook(str(path), _OPTIONS)
    try:
        bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7"})
        runbook = workbook.add_worksheet("Runbook")
        for col, (name, width) in enumerate(zip(RUNBOOK_COLUMNS, _WIDTHS, strict=True)):
            runbook.set_column(col, col, width)
            runbook.write_string(0, col, name, bold)
        runbook.freeze_panes(1, 3)
        row = 1
        for vm in plan.vms:
            manual = [s.title for s in vm.steps if s.where == "manual"]
            values = (
                vm.host or "",
                vm.cluster or "",
                vm.name,
                vm.id or "",
                vm.verdict,
                vm.path,
                vm.os or "",
                vm.scripts[0] if vm.scripts and vm.convertible else "",
                vm.scripts[1] if len(vm.scripts) > 1 else (vm.scripts[0] if vm.scripts else ""),
                None,
                "; ".join(manual),
                ", ".join(vm.read_at_run_time),
                vm.no_script_reason or "",
            )
            for col, value in enumerate(values):
                if value is None:
                    runbook.write_number(row, col, len(vm.steps))
                else:
                    runbook.write_string(row, col, value)
            row += 1
        runbook.autofilter(0, 0, max(row - 1, 1), len(RUNBOOK_COLUMNS) - 1)

        steps = workbook.add_worksheet("Steps")
        for col, (name, width) in enumerate(zip(STEP_COLUMNS, (14, 22, 7, 8, 80, 60), strict=True)):
            steps.set_column(col, col, width)
            steps.write_string(0, col, name, bold)
        steps.freeze_panes(1, 2)
        row = 1
        for vm in plan.vms:
            for number, step in enumerate(vm.steps, 1):
                steps.write_string(row, 0, vm.host or "")
                steps.write_string(row, 1, vm.name)
                steps.write_number(row, 2, number)
                steps.write_string(row, 3, step.where)
                steps.write_string(row, 4, step.title)
                steps.write_string(row, 5, step.check)
                row += 1
    finally:
        workbook.close()
