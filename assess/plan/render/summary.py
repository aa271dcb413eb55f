"""Plan -> the terminal: what was planned, per verdict and path, and where the scripts are."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from assess.plan.model import Plan

SHOWN = 30


def render_summary(plan: Plan, out_dir: str, console: Console, show_all: bool = False) -> None:
    convertible = [vm for vm in plan.vms if vm.convertible]
    checklists = [vm for vm in plan.vms if vm.scripts and not vm.convertible]
    without = [vm for vm in plan.vms if not vm.scripts]
    console.print(
        f"Plan for {len(plan.vms)} VMs in {out_dir}: {len(convertible)} with conversion runbooks, "
        f"{len(checklists)} rebuild checklists, {len(without)} without a script.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    by_path = Counter(vm.path for vm in convertible)
    if by_path:
        console.print(
            "Runbooks by path: " + ", ".join(f"{path} {n}" for path, n in sorted(by_path.items())),
            markup=False,
            highlight=False,
        )
    table = Table(title="Conversion runbooks", title_justify="left", show_edge=False)
    for column in ("host", "VM", "path", "steps", "host script"):
        table.add_column(column, overflow="fold")
    rows = convertible if show_all else convertible[:SHOWN]
    for vm in rows:
        table.add_row(vm.host or "", vm.name, vm.path, str(len(vm.steps)), vm.scripts[0])
    if rows:
        console.print(table)
    if len(convertible) > len(rows):
        console.print(f"... and {len(convertible) - len(rows)} more (--all lists every one)")
    reasons = Counter(
        _reason_kind(vm.no_script_reason or "") for vm in plan.vms if not vm.convertible
    )
    if reasons:
        console.print(
            "No conversion script: "
            + ", ".join(f"{kind} {n}" for kind, n in reasons.most_common()),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        "Every script previews by default; read its header, then run it with -Execute.",
        markup=False,
        highlight=False,
    )


def _reason_kind(reason: str) -> str:
    for prefix in ("already Generation 2", "stays on Generation 1", "blocked", "needs data"):
        if reason.startswith(prefix):
            return prefix
    if "rebuild" in reason:
        return "rebuild"
    return reason.split(":")[0] or "other"
