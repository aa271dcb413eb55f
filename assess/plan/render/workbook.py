"""Plan -> ``runbook.xlsx``: the Runbook sheet, one row per VM (steps are in each script's
header and in ``plan.json``).

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

    finally:
        workbook.close()
