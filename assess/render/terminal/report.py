"""Terminal views with Rich: the run summary, one VM in detail, the rule catalog, progress.

Everything from an inventory is printed as ``rich.text.Text`` (never parsed as markup) after
``safety.terminal_text`` removed control characters. Tables never wrap a cell onto a second
line: long names are cut with an ellipsis so one VM stays one line at any width.

Rich lays out about 1,000 table rows per second, so the run view lists the worst ``limit``
VMs unless ``show_all`` is set.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

import pandas as pd
from rich import box
from rich.console import Console, Group, JustifyMethod, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.style import Style
from rich.table import Table
from rich.text import Text

from assess.model.assessment import SEVERITIES, Assessment
from assess.render import figures
from assess.render.sheet_tables import decision_text
from assess.render.styles import host_status_colour, severity_colour, verdict_colour
from assess.render.text_safety import is_na, is_plain_url, reflow, terminal_text

DEFAULT_LIMIT = 50
TOP_RULES = 8
TOP_HOSTS = 8
UNKNOWN = "unknown"
#: The progress bar is redrawn at most this often (seconds).
REDRAW_EVERY_S = 0.1
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


# -- consoles and progress ----------------------------------------------------------------
def make_console(quiet: bool = False, stream: IO[str] | None = None) -> Console:
    """A console for reports. Rich already does the right thing with the environment: no
    escape codes when ``stream`` is not a terminal, ``NO_COLOR`` honoured, width from
    ``COLUMNS`` or the terminal (80 when neither). ``quiet`` prints nothing (errors go to a
    separate console on stderr)."""
    return Console(
        file=stream,
        quiet=quiet,
        highlight=False,
        markup=False,
        emoji=False,
    )


Advance = Callable[..., None]


def _progress_args(args: tuple[object, ...]) -> tuple[str | None, int | None, int | None]:
    """``()``, ``(done)``, ``(done, total)`` or ``(what, done, total)`` -> (what, done, total)."""
    what = None
    if args and not isinstance(args[0], int):
        what, args = terminal_text(args[0]), args[1:]
    done = args[0] if len(args) > 0 else None
    total = args[1] if len(args) > 1 else None
    return what, done, total  # type: ignore[return-value]


@contextlib.contextmanager
def progress(console: Console, description: str, total: int | None = None) -> Iterator[Advance]:
    """A progress bar on stderr while the block runs, only when stderr is a terminal (and
    the console is not quiet); otherwise a no-op.

    Yields ``advance(...)``, usable directly as a progress callback: ``advance()`` counts
    one step, ``advance(done)`` and ``advance(done, total)`` set the count (the workbook's
    ``on_progress``), ``advance(what, done, total)`` also names the current item (the
    source loader's ``on_progress(path, done, total)``).

    The bar is redrawn by ``advance`` (a few times a second at most), never by a thread of
    its own: a process with a second thread cannot be forked safely, and reading a big
    collector file or writing a plan hands part of the work to a forked child
    (``assess.forked``)."""
    err = Console(stderr=True, highlight=False, markup=False)
    if console.quiet or not err.is_terminal:
        yield _no_progress
        return
    bar = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        auto_refresh=False,
    )
    task = bar.add_task(description, total=total)
    drawn = 0.0

    def advance(*args: object) -> None:
        nonlocal drawn
        what, done, new_total = _progress_args(args)
        if what is not None:
            bar.update(task, description=f"{description}: {terminal_text(what)}")
        if new_total is not None:
            bar.update(task, total=new_total)
        if done is None:
            bar.advance(task)
        else:
            bar.update(task, completed=done)
        now = time.monotonic()
        if now - drawn >= REDRAW_EVERY_S:
            drawn = now
            bar.refresh()

    with bar:
        yield advance


def _no_progress(*args: object) -> None:
    return None


def _side_by_side(left: RenderableType, right: RenderableType, width: int) -> list[RenderableType]:
    """Two blocks next to each other on a wide terminal, one above the other otherwise."""
    if width >= 96:
        row = Table.grid(padding=(0, 4))
        row.add_row(left, right)
        return [row]
    return [left, Text(), right]


# -- small formatting helpers ---------------------------------------------------------------
def _text(value: object, style: str = "") -> Text:
    """Inventory text, safe to print, never markup."""
    if is_na(value):
        return Text(UNKNOWN, style="dim italic")
    return Text(terminal_text(value), style=style)


def _prose(value: object) -> Text:
    """Catalog or evidence text: source line breaks joined, intended ones (steps) kept."""
    if is_na(value):
        return Text(UNKNOWN, style="dim italic")
    return Text(terminal_text(reflow(str(value)), single_line=False))


def _link(value: object) -> Text:
    """A reference; an http(s) URL becomes a terminal hyperlink where the terminal has them."""
    text = terminal_text(value)
    if is_plain_url(text):
        return Text(text, style=Style(underline=True, link=text))
    return Text(text)


def _verdict(verdict: object) -> Text:
    colour = verdict_colour(verdict)
    return Text(terminal_text(verdict), style=colour.rich if colour else "")


def _severity(severity: object) -> Text:
    colour = severity_colour(severity)
    return Text(terminal_text(severity), style=colour.rich if colour else "")


def _hours(value: object, digits: int = 1) -> str:
    """Hours without noise: ``16``, ``2.5``; ``digits=2`` keeps a finding's ``0.25``."""
    if is_na(value):
        return "-"
    number = round(float(value), digits)  # type: ignore[arg-type]
    if number == int(number):
        return f"{int(number):,}"
    return f"{number:,.{digits}f}".rstrip("0")


def _column_hours(value: object) -> str:
    """A VM's hours in a table column: two decimals always, so the points line up."""
    return "-" if is_na(value) else f"{float(value):,.2f}"  # type: ignore[arg-type]


def _int(value: object) -> str:
    return "-" if is_na(value) else f"{int(value):,}"  # type: ignore[call-overload]


def _value(value: object) -> Text:
    """A fact value as a reader expects it: yes/no, trimmed numbers, "unknown" for NA."""
    if is_na(value):
        return Text(UNKNOWN, style="dim italic")
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return Text("yes" if value else "no")
    if isinstance(value, float):
        return Text(f"{value:g}" if math.isfinite(value) else str(value))
    return _text(value)


# -- assess run -----------------------------------------------------------------------------
def render_run(
    assessment: Assessment,
    console: Console,
    *,
    show_all: bool = False,
    limit: int = DEFAULT_LIMIT,
    warnings: Sequence[object] = (),
) -> None:
    """The summary panel, then one line per VM, worst first (the worst ``limit`` unless
    ``show_all``), then a closing line on the input warnings (``warnings``: the run's,
    printed in full on stderr before the report)."""
    console.print(summary_panel(assessment, console.width))
    vms = figures.report_vms(assessment.vms)
    shown = vms if show_all else vms.head(limit)
    if len(shown):
        console.print(vm_table(shown, console.width, assessment.rules))
    hidden = len(vms) - len(shown)
    if hidden:
        console.print(
            Text(
                f"... {hidden:,} more VM{'s' if hidden != 1 else ''} not listed "
                f"(--all lists every VM; --vm NAME shows one in detail)",
                style="dim",
            )
        )
    console.print(input_warnings_summary(assessment, warnings))


def summary_panel(assessment: Assessment, width: int = 100) -> Panel:
    """VMs by verdict, the most frequent findings, effort by path and by host."""
    vms = assessment.vms
    hosts = vms["host"].nunique(dropna=True) if len(vms) else 0
    title = f"Generation 2 readiness: {len(vms):,} VM{'s' if len(vms) != 1 else ''}"
    title += f" on {hosts:,} host{'s' if hosts != 1 else ''}"
    parts: list[RenderableType] = []
    parts.extend(_side_by_side(_verdict_grid(assessment), _rule_grid(assessment, width), width))
    parts.append(Text())
    parts.extend(_side_by_side(_path_grid(assessment), _host_grid(assessment), width))
    paragraph = figures.status_paragraph(assessment)
    if paragraph:
        parts.extend([Text(), Text(terminal_text(paragraph), style="italic")])
    return Panel(
        Group(*parts),
        title=Text(title, style="bold"),
        title_align="left",
        box=box.ROUNDED,
        padding=(0, 1),
    )


def _grid(title: str, *columns: tuple[str, str]) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=None,
        show_header=True,
        header_style="dim",
        padding=(0, 1),
        pad_edge=False,
    )
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=True, overflow="ellipsis")  # type: ignore[arg-type]
    return table


def _verdict_grid(assessment: Assessment) -> Table:
    table = _grid(
        "VMs by verdict",
        ("verdict", "left"),
        ("VMs", "right"),
        ("share", "right"),
        ("effort h", "right"),
    )
    rows = figures.verdict_table(assessment)
    for item in rows.itertuples(index=False):
        table.add_row(
            _verdict(item.verdict), f"{item.vms:,}", f"{item.share:.0%}", _hours(item.effort_hours)
        )
    table.add_row(
        Text("total", style="bold"),
        Text(f"{int(rows['vms'].sum()):,}", style="bold"),
        "",
        Text(_hours(rows["effort_hours"].sum()), style="bold"),
    )
    return table


def _rule_grid(assessment: Assessment, width: int = 100) -> Table:
    table = _grid("Top findings", ("rule", "left"), ("VMs", "right"), ("title", "left"))
    # Titles are cut only where the width is short: beside the verdicts from 96 columns up.
    table.columns[2].max_width = 40 if width < 140 else 72
    rules = figures.rule_table(assessment)
    for item in rules.head(TOP_RULES).itertuples(index=False):
        table.add_row(_severity_id(item.rule, item.severity), f"{item.vms:,}", _text(item.title))
    if len(rules) > TOP_RULES:
        table.add_row(Text(f"+{len(rules) - TOP_RULES} more", style="dim"), "", "")
    if rules.empty:
        table.add_row(Text("none", style="dim"), "", "")
    return table


def _severity_id(rule: object, severity: object) -> Text:
    colour = severity_colour(severity)
    return Text(terminal_text(rule), style=colour.rich if colour else "")


def _path_grid(assessment: Assessment) -> Table:
    table = _grid("Effort by path", ("path", "left"), ("VMs", "right"), ("effort h", "right"))
    for item in figures.path_table(assessment).itertuples(index=False):
        table.add_row(_text(item.conversion_path), f"{item.vms:,}", _hours(item.effort_hours))
    return table


def _host_grid(assessment: Assessment) -> Table:
    hosts = figures.host_table(assessment)
    by_cluster = len(hosts) > TOP_HOSTS
    if by_cluster:
        table = figures.cluster_table(assessment)
        grid = _grid(
            "Effort by cluster",
            ("cluster", "left"),
            ("VMs", "right"),
            ("blocked", "right"),
            ("effort h", "right"),
        )
        keys = ["cluster"]
    else:
        table = hosts
        grid = _grid(
            "Effort by host",
            ("host", "left"),
            ("cluster", "left"),
            ("VMs", "right"),
            ("blocked", "right"),
            ("effort h", "right"),
        )
        keys = ["host", "cluster"]
    for column in grid.columns[: len(keys)]:
        column.max_width = 24
    table = table.sort_values("effort_hours", ascending=False, kind="stable")
    for item in table.head(TOP_HOSTS).to_dict("records"):
        grid.add_row(
            *(_text(item[k]) for k in keys),
            f"{item['vms']:,}",
            Text(f"{item['blocked']:,}", style="red" if item["blocked"] else "dim"),
            _hours(item["effort_hours"]),
        )
    if len(table) > TOP_HOSTS:
        grid.add_row(
            Text(f"+{len(table) - TOP_HOSTS} more", style="dim"), *([""] * (len(keys) + 2))
        )
    return grid


def stays_gen1_text(vm: Mapping[str, Any]) -> str:
    """The decision that keeps a VM on Generation 1: reason (owner, until date)."""
    reason = vm.get("stays_gen1_reason")
    owner = vm.get("stays_gen1_owner")
    expires = vm.get("stays_gen1_expires")
    text = "stays on Gen 1" if is_na(reason) else f"stays on Gen 1: {reason}"
    extra = [str(owner)] if not is_na(owner) else []
    if not is_na(expires):
        extra.append(f"until {expires}")
    return text + (f" ({', '.join(extra)})" if extra else "")


@dataclass
class _Col:
    """A column of the VM table: ``natural`` is what its longest cell needs (capped),
    ``least`` what it can be cut to (equal to ``natural``: never cut)."""

    name: str
    natural: int
    least: int
    justify: JustifyMethod = "left"


#: VM table columns most useful first; a narrow terminal drops from the end of
#: ``_OPTIONAL`` first (``verdict`` and ``path`` are never dropped).
_REQUIRED = ("VM", "verdict", "path")
_OPTIONAL = ("effort", "rules", "host", "B/F", "why convert")
_ORDER = ("host", "VM", "verdict", "path", "B/F", "effort", "rules", "why convert")
_CAPS = {"VM": 40, "host": 20, "why convert": 48}
_LEAST = {"VM": 10, "host": 8, "rules": 16, "why convert": 16}
#: How spare width is handed out: (column, up to this width; None: its natural width).
_GROWTH = (
    ("VM", None),
    ("host", 14),
    ("rules", 40),
    ("host", None),
    ("rules", None),
    ("why convert", None),
)


def _table_width(columns: list[_Col], widths: dict[str, int]) -> int:
    # One space of padding each side of every column but the outer edges, one separator
    # between columns and one edge each side.
    return sum(widths[c.name] for c in columns) + 3 * len(columns) - 1


def _fit_columns(columns: list[_Col], width: int) -> tuple[list[_Col], dict[str, int]]:
    """Which columns to show and how wide: every column at its least width, dropping the
    least useful optional ones until that fits; then the spare width goes to the columns
    in usefulness order, each up to its natural width."""
    shown = list(columns)
    droppable = list(reversed(_OPTIONAL))
    least = {c.name: c.least for c in shown}
    while _table_width(shown, least) > width and droppable:
        name = droppable.pop(0)
        shown = [c for c in shown if c.name != name]
    widths = {c.name: c.least for c in shown}
    spare = width - _table_width(shown, widths)
    for name, cap in _GROWTH:
        column = next((c for c in shown if c.name == name), None)
        if column is None or spare <= 0:
            continue
        target = column.natural if cap is None else min(cap, column.natural)
        grow = max(0, min(target - widths[name], spare))
        widths[name] += grow
        spare -= grow
    return shown, widths


def _severity_order(rules: pd.DataFrame | None) -> dict[str, int]:
    if rules is None or rules.empty:
        return {}
    return {
        str(rule): _SEVERITY_RANK.get(str(sev), 99)
        for rule, sev in zip(rules["id"], rules["severity"], strict=True)
    }


def _rules_cell(ids: object, rank: Mapping[str, int], cache: dict[str, str]) -> str:
    """Rule ids, blockers first (then needs-data, fixes, warnings, info), stable within."""
    if is_na(ids):
        return ""
    text = terminal_text(ids)
    done = cache.get(text)
    if done is None:
        listed = text.split()
        done = cache[text] = " ".join(sorted(listed, key=lambda i: rank.get(i, 99)))
    return done


def vm_table(vms: pd.DataFrame, width: int = 100, rules: pd.DataFrame | None = None) -> Table:
    """One line per VM, every column but ``VM``, ``rules`` and ``host`` at its natural width.
    From 60 columns up the verdict and the path are always shown: narrower terminals drop
    the least useful columns first (reasons to convert, blocker/fix counts, host, rules,
    effort). ``rules`` (the catalog table) orders each VM's rule ids blockers first.
    Column widths are computed here, not by Rich, whose own shrinking can squeeze a column
    to nothing; long cells are cut with an ellipsis so one VM stays one line."""
    rank = _severity_order(rules)
    cache: dict[str, str] = {}
    has_gains = "reasons_to_convert_text" in vms.columns
    records = vms.to_dict("records")
    rows: list[dict[str, Text]] = []
    for vm in records:
        if vm.get("verdict") == "stays-gen1":
            # The verdict says "stays-gen1": the column gives the decision itself.
            decision = decision_text(
                *(vm.get(f"stays_gen1_{k}") for k in ("reason", "owner", "expires"))
            )
            rule_text = Text(terminal_text(decision or stays_gen1_text(vm)), style="magenta")
        else:
            rule_text = Text(_rules_cell(vm.get("finding_ids"), rank, cache), style="dim")
        gains = vm.get("reasons_to_convert_text") if has_gains else None
        rows.append(
            {
                "host": _text(vm["host"]),
                "VM": _text(vm["name"]),
                "verdict": _verdict(vm["verdict"]),
                "path": _text(vm["conversion_path"]),
                "B/F": Text(f"{_int(vm['blockers'])}/{_int(vm['fixes'])}"),
                "effort": Text(_column_hours(vm["effort_hours"])),
                "rules": rule_text,
                "why convert": Text("" if is_na(gains) else terminal_text(gains), style="dim"),
            }
        )
    names = [n for n in _ORDER if n != "why convert" or has_gains]
    columns = []
    for name in names:
        longest = max([len(name), *(row[name].cell_len for row in rows)])
        natural = min(longest, _CAPS.get(name, longest))
        least = min(natural, _LEAST.get(name, natural))
        justify: JustifyMethod = "right" if name in ("B/F", "effort") else "left"
        columns.append(_Col(name, natural, least, justify))
    shown, widths = _fit_columns(columns, width)

    table = Table(
        box=box.SIMPLE_HEAD,
        header_style="bold",
        pad_edge=False,
        expand=False,
        title="VMs, worst first",
        title_justify="left",
        title_style="bold",
    )
    for column in shown:
        table.add_column(
            column.name,
            width=widths[column.name],
            no_wrap=True,
            overflow="ellipsis",
            justify=column.justify,
        )
    for row in rows:
        table.add_row(*(row[column.name] for column in shown))
    return table


def input_warnings_summary(
    assessment: Assessment, warnings: Sequence[object] = (), show: int = 3
) -> RenderableType:
    """The closing lines of a run: how many input warnings, in which inputs, the first
    few, and where all of them are."""
    per_input = [(item.path, item.warnings) for item in assessment.inputs if item.warnings]
    total = max(sum(n for _, n in per_input), len(warnings))
    notes = len(assessment.messages)
    notes_line = Text(
        f"Notes about the policy and waivers: {notes:,} (printed above).", style="dim"
    )
    if not total:
        line = Text("Input warnings: none.", style="dim")
        return Group(line, notes_line) if notes else line
    where = ", ".join(f"{terminal_text(path)} {count:,}" for path, count in per_input[:4])
    if len(per_input) > 4:
        where += f" and {len(per_input) - 4} more inputs"
    head = Text(f"Input warnings: {total:,}", style="bold yellow")
    head.append(f" ({where})" if where else "")
    parts: list[RenderableType] = [head]
    listed = list(warnings)[:show]
    parts.extend(Padding(Text(terminal_text(w)), (0, 0, 0, 2)) for w in listed)
    if total > len(listed):
        parts.append(Padding(Text(f"... {total - len(listed):,} more", style="dim"), (0, 0, 0, 2)))
    parts.append(
        Text(
            "Every warning is printed above (stderr) with its file, line and column; the "
            "workbook's Inputs table counts them per input; --strict makes them errors.",
            style="dim",
        )
    )
    if notes:
        parts.append(notes_line)
    return Group(*parts)


# -- assess run --vm NAME ---------------------------------------------------------------------
def find_vms(assessment: Assessment, name_or_id: str) -> pd.DataFrame:
    """VMs whose name (any case), id, key, or ``host/name`` / ``host\\name`` matches."""
    vms = assessment.vms
    wanted = name_or_id.strip()
    folded = wanted.casefold()
    key = wanted.strip("{}").lower()
    names = vms["name"].astype("string").str.casefold()
    hosts = vms["host"].astype("string").str.casefold()
    match = (
        (names == folded)
        | (vms["vm_key"].astype("string").str.lower() == key)
        | (vms["vm_id"].astype("string").str.strip("{}").str.lower() == key)
        | ((hosts + "/" + names) == folded.replace("\\", "/"))
    )
    return figures.worst_first(vms.loc[match.fillna(False).to_numpy(dtype=bool)])


def render_vm(assessment: Assessment, console: Console, name_or_id: str) -> bool:
    """Every VM matching ``name_or_id`` (a name can exist on several hosts): its verdict,
    facts and findings with evidence, remediation and reference. False when none matches."""
    matches = find_vms(assessment, name_or_id)
    if matches.empty:
        return False
    if len(matches) > 1:
        console.print(
            Text(f"{len(matches)} VMs match {terminal_text(name_or_id)!r}:", style="bold")
        )
    findings = assessment.findings
    gaps = assessment.data_gaps
    for vm in matches.to_dict("records"):
        console.print(_vm_panel(assessment, vm))
        own = findings.loc[(findings["vm_key"] == vm["vm_key"]).fillna(False)]
        own = figures.findings_in_report_order(own, matches)
        _print_findings(console, own)
        own_gaps = gaps.loc[(gaps["vm_key"] == vm["vm_key"]).fillna(False)]
        if len(own_gaps):
            console.print(_gaps_view(assessment, own_gaps))
        console.print(_facts_table(assessment, vm))
        console.print()
    return True


def _print_link_line(console: Console, label: str, value: object, indent: int = 4) -> None:
    """``label  URL`` on a line of its own, never wrapped by us: a narrow terminal folds
    it visually, the URL stays one string (copy, click) and, where the terminal has
    hyperlinks, one link."""
    line = Text(" " * indent)
    line.append(label, style="dim")
    line.append("  ")
    line.append_text(_link(value))
    console.print(line, soft_wrap=True)


def _vm_panel(assessment: Assessment, vm: Mapping[str, Any]) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("verdict", _verdict(vm["verdict"]))
    if vm["verdict"] == "stays-gen1":
        decision = decision_text(
            *(vm.get(f"stays_gen1_{k}") for k in ("reason", "owner", "expires"))
        )
        grid.add_row("decided", _text(decision or stays_gen1_text(vm)))
    grid.add_row("conversion path", _text(vm["conversion_path"]))
    effort = "-" if is_na(vm["effort_hours"]) else f"{_hours(vm['effort_hours'], 2)} h"
    if not is_na(vm.get("effort_if_converted_hours")):
        converting = _hours(vm["effort_if_converted_hours"], 2)
        effort += f" (not converted; converting would take {converting} h)"
    grid.add_row("effort", effort)
    if not is_na(vm.get("reasons_to_convert_text")):
        grid.add_row("reasons to convert", _prose(vm["reasons_to_convert_text"]))
    confidence = vm.get("confidence")
    grid.add_row(
        "confidence",
        UNKNOWN
        if is_na(confidence)
        else f"{float(confidence):.0%} of the rules evaluated on known data",  # type: ignore[arg-type]
    )
    grid.add_row(
        "open findings",
        f"{_int(vm['blockers'])} blocker, {_int(vm['fixes'])} fix, "
        f"{_int(vm['warnings'])} warning; {_int(vm['waived'])} waived",
    )
    if not is_na(vm.get("unknown_rules")) and vm.get("unknown_rules"):
        grid.add_row("not evaluated", _text(vm["unknown_rules"]))
    grid.add_row("host / cluster", Text.assemble(_text(vm["host"]), " / ", _text(vm["cluster"])))
    grid.add_row(
        "generation / state", Text.assemble(_value(vm["generation"]), " / ", _text(vm["state"]))
    )
    grid.add_row("VM id", _text(vm["vm_id"]))
    if not is_na(vm.get("notes")) and vm.get("notes"):
        grid.add_row("notes", _text(vm["notes"]))
    grid.add_row("source", _text(vm["source"]))
    title = Text.assemble(_text(vm["name"], "bold"), " on ", _text(vm["host"]))
    return Panel(grid, title=title, title_align="left", box=box.ROUNDED)


def _facts_table(assessment: Assessment, vm: Mapping[str, Any]) -> Table:
    """Label, value and, where the assessment carries it (``fact_evidence``), evidence."""
    facts = [f for f in assessment.fact_columns if f in vm and f not in ("generation", "state")]
    known = assessment.fact_evidence
    if known is not None and vm.get("vm_key") in known.index:
        row_evidence = known.loc[vm["vm_key"]]
        evidence = {f: row_evidence.get(f) for f in facts}
    else:
        evidence = {f: vm.get(f"evidence.{f}") for f in facts}
    has_evidence = any(not is_na(v) and v for v in evidence.values())
    table = Table(
        title="Facts",
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        header_style="dim",
    )
    table.add_column("fact", no_wrap=True, overflow="ellipsis", max_width=28)
    table.add_column("value", overflow="fold")
    if has_evidence:
        table.add_column("evidence", overflow="fold", style="dim")
    for fact in facts:
        label = assessment.fact_labels.get(fact, fact)
        row: list[RenderableType] = [Text(terminal_text(label)), _value(vm[fact])]
        if has_evidence:
            note = evidence[fact]
            row.append(Text("" if is_na(note) else terminal_text(note)))
        table.add_row(*row)
    return table


def _print_findings(console: Console, findings: pd.DataFrame) -> None:
    """Each finding: severity, rule and title; evidence, remediation (catalog line breaks
    reflowed), effort and waiver in a grid; the reference on its own unwrapped line."""
    if findings.empty:
        console.print(Text("No findings.", style="green"))
        return
    console.print(Text("Findings", style="bold"))
    for item in findings.to_dict("records"):
        waived = item.get("status") == "waived"
        head = Text.assemble(
            _severity(item["severity"]) if not waived else Text(str(item["severity"]), style="dim"),
            "  ",
            Text(terminal_text(item["rule"]), style="bold" if not waived else "dim"),
            "  ",
            _text(item["title"], "dim" if waived else ""),
            Text("  (waived)", style="dim italic") if waived else Text(""),
        )
        detail = Table.grid(padding=(0, 2))
        detail.add_column(style="dim", no_wrap=True)
        detail.add_column(overflow="fold")
        detail.add_row("evidence", _prose(item["evidence"]))
        detail.add_row("remediation", _prose(item["remediation"]))
        if not is_na(item.get("effort_hours")):
            detail.add_row("effort", f"{_hours(item['effort_hours'], 2)} h")
        if waived:
            who = ", ".join(
                terminal_text(item[k])
                for k in ("waiver_owner", "waiver_expires")
                if not is_na(item.get(k)) and item.get(k)
            )
            reason = (
                "" if is_na(item.get("waiver_reason")) else terminal_text(item["waiver_reason"])
            )
            detail.add_row("waived", Text(reason + (f" ({who})" if who else "")))
        console.print(head)
        console.print(Padding(detail, (0, 0, 0, 4)))
        if not is_na(item.get("reference")):
            _print_link_line(console, "reference  ", item["reference"])
        console.print()


def _gaps_view(assessment: Assessment, gaps: pd.DataFrame) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    for item in gaps.to_dict("records"):
        facts = [f.strip() for f in str(item.get("missing_facts") or "").split(",") if f.strip()]
        labels = ", ".join(assessment.fact_labels.get(f, f) for f in facts)
        grid.add_row("missing", Text(terminal_text(labels)))
        grid.add_row("needed by", _text(item.get("needed_by")))
        grid.add_row("how to get it", _text(item.get("how_to_get")))
    return Group(Text("Missing data", style="bold"), Padding(grid, (0, 0, 0, 4)))


# -- assess rules / explain / rules --facts -----------------------------------------------------
def render_rules(rules: pd.DataFrame, console: Console) -> None:
    """The catalog, one line per rule."""
    table = Table(
        box=box.SIMPLE_HEAD,
        header_style="bold",
        pad_edge=False,
        title=f"{len(rules)} rules",
        title_justify="left",
        title_style="bold",
    )
    id_width = max((len(str(i)) for i in rules["id"]), default=2)
    table.add_column("id", no_wrap=True, min_width=id_width)
    table.add_column("severity", no_wrap=True, min_width=10)
    table.add_column("family", no_wrap=True, overflow="ellipsis", min_width=8)
    table.add_column("effort h", justify="right", no_wrap=True, min_width=8)
    table.add_column("title", overflow="fold")
    for rule in rules.to_dict("records"):
        table.add_row(
            Text(terminal_text(rule["id"]), style="bold"),
            _severity(rule["severity"]),
            _text(rule.get("family")),
            _hours(rule.get("effort_hours"), 2),
            _text(rule.get("title")),
        )
    console.print(table)


_RULE_FIELDS = (
    ("severity", "severity"),
    ("family", "family"),
    ("needs", "needs"),
    ("when", "when"),
    ("rationale", "rationale"),
    ("remediation", "remediation"),
    ("effort_hours", "effort (h)"),
    ("effort_by_path", "effort by path"),
    ("references", "references"),
    ("aliases", "aliases"),
    ("origin", "origin"),
)


def _blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, dict)):
        return not value
    return is_na(value)


def render_rule(rule: Mapping[str, Any] | pd.Series, console: Console) -> None:
    """One rule with everything the catalog knows about it."""
    get = rule.get
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, label in _RULE_FIELDS:
        value = get(key)
        if _blank(value):
            continue
        if key == "severity":
            grid.add_row(label, _severity(value))
        elif key == "references":
            continue  # printed below the panel, one whole URL per line
        else:
            shown = Text(_hours(value, 2)) if key == "effort_hours" else _prose(value)
            grid.add_row(label, shown)
    title = Text.assemble(Text(terminal_text(get("id")), style="bold"), "  ", _text(get("title")))
    console.print(Panel(grid, title=title, title_align="left", box=box.ROUNDED))
    refs = get("references")
    if not _blank(refs):
        listed = refs.split() if isinstance(refs, str) else list(refs or ())
        for number, ref in enumerate(listed):
            _print_link_line(console, "references" if number == 0 else " " * 10, ref, indent=2)


def render_facts(rows: Sequence[Mapping[str, Any]], console: Console) -> None:
    """The facts the rules can use (``assess rules --facts``)."""
    table = Table(
        box=box.SIMPLE_HEAD,
        header_style="bold",
        pad_edge=False,
        title=f"{len(rows)} facts",
        title_justify="left",
        title_style="bold",
    )
    table.add_column("name", no_wrap=True)
    table.add_column("type", no_wrap=True)
    table.add_column("label", no_wrap=True, overflow="ellipsis", max_width=24)
    table.add_column("how to get it", overflow="fold", ratio=1)
    for row in rows:
        table.add_row(
            Text(terminal_text(row.get("name"))),
            _text(row.get("type")),
            _text(row.get("label")),
            _text(row.get("how_to_get") or ""),
        )
    console.print(table)


def host_status_text(status: object) -> Text:
    colour = host_status_colour(status)
    return Text(terminal_text(status), style=colour.rich if colour else "")


__all__ = [
    "find_vms",
    "make_console",
    "progress",
    "render_facts",
    "render_rule",
    "render_rules",
    "render_run",
    "render_vm",
    "summary_panel",
    "vm_table",
]
