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
from collections.abc import Callable, Iterator, Mapping, Sequence
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

from assess.model.assessment import Assessment
from assess.render import figures
from assess.render.styles import host_status_colour, severity_colour, verdict_colour
from assess.render.text_safety import is_na, is_plain_url, reflow, terminal_text

DEFAULT_LIMIT = 50
TOP_RULES = 8
TOP_HOSTS = 8
UNKNOWN = "unknown"


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
    source loader's ``on_progress(path, done, total)``)."""
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
    )
    task = bar.add_task(description, total=total)

    def advance(*args: object) -> None:
        what, done, new_total = _progress_args(args)
        if what is not None:
            bar.update(task, description=f"{description}: {terminal_text(what)}")
        if new_total is not None:
            bar.update(task, total=new_total)
        if done is None:
            bar.advance(task)
        else:
            bar.update(task, completed=done)

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
) -> None:
    """The summary panel, then one line per VM, worst first (the worst ``limit`` unless
    ``show_all``)."""
    console.print(summary_panel(assessment, console.width))
    vms = figures.worst_first(assessment.vms)
    shown = vms if show_all else vms.head(limit)
    if len(shown):
        console.print(vm_table(shown, console.width))
    hidden = len(vms) - len(shown)
    if hidden:
        console.print(
            Text(
                f"... {hidden:,} more VM{'s' if hidden != 1 else ''} not listed "
                f"(--all lists every VM; --vm NAME shows one in detail)",
                style="dim",
            )
        )


def summary_panel(assessment: Assessment, width: int = 100) -> Panel:
    """VMs by verdict, the most frequent findings, effort by path and by host."""
    vms = assessment.vms
    hosts = vms["host"].nunique(dropna=True) if len(vms) else 0
    title = f"Generation 2 readiness: {len(vms):,} VM{'s' if len(vms) != 1 else ''}"
    title += f" on {hosts:,} host{'s' if hosts != 1 else ''}"
    parts: list[RenderableType] = []
    parts.extend(_side_by_side(_verdict_grid(assessment), _rule_grid(assessment), width))
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


def _rule_grid(assessment: Assessment) -> Table:
    table = _grid("Top findings", ("rule", "left"), ("VMs", "right"), ("title", "left"))
    table.columns[2].max_width = 40
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


def vm_table(vms: pd.DataFrame, width: int = 100) -> Table:
    """One line per VM. Column widths are computed here, not by Rich: with long rule lists
    Rich's own shrinking can squeeze a column to nothing. Names are cut with an ellipsis."""
    records = vms[
        [
            "host",
            "name",
            "verdict",
            "conversion_path",
            "blockers",
            "fixes",
            "effort_hours",
            "finding_ids",
        ]
    ].to_dict("records")
    decisions = (
        vms[["stays_gen1_reason", "stays_gen1_owner", "stays_gen1_expires"]].to_dict("records")
        if "stays_gen1_reason" in vms
        else [{}] * len(records)
    )
    rows = []
    for vm, decision in zip(records, decisions, strict=True):
        rules = "" if is_na(vm["finding_ids"]) else terminal_text(vm["finding_ids"])
        if vm["verdict"] == "stays-gen1":
            rules = terminal_text(stays_gen1_text(decision))
        rows.append(
            (
                _text(vm["host"]),
                _text(vm["name"]),
                _verdict(vm["verdict"]),
                _text(vm["conversion_path"]),
                Text(f"{_int(vm['blockers'])}/{_int(vm['fixes'])}"),
                Text(_hours(vm["effort_hours"])),
                Text(rules, style="dim"),
            )
        )
    narrow = width < 100
    headers = ("host", "VM", "verdict", "path", "B/F", "effort", "rules")
    longest = [max([len(h), *(r[i].cell_len for r in rows)]) for i, h in enumerate(headers)]
    widths = {
        "host": min(longest[0], 14 if narrow else 20),
        "VM": min(longest[1], 22 if narrow else 40),
        "verdict": longest[2],
        "path": longest[3],
        "B/F": longest[4],
        "effort": longest[5],
    }
    if narrow:
        del widths["path"]
    columns = [*widths, "rules"]
    # Each column but the outer edges has one space of padding each side, plus one box
    # character between and around the columns.
    overhead = 2 * len(columns) - 2 + len(columns) + 1
    spare = width - overhead - sum(widths.values())
    for name, floor in (("VM", 12), ("host", 6), ("VM", 8)):
        if spare >= 8:
            break
        cut = min(widths[name] - floor, 8 - spare)
        if cut > 0:
            widths[name] -= cut
            spare += cut
    widths["rules"] = max(min(spare, longest[6]), 5)

    table = Table(
        box=box.SIMPLE_HEAD,
        header_style="bold",
        pad_edge=False,
        expand=False,
        title="VMs, worst first",
        title_justify="left",
        title_style="bold",
    )
    for name in columns:
        justify: JustifyMethod = "right" if name in ("B/F", "effort") else "left"
        table.add_column(
            name, width=widths[name], no_wrap=True, overflow="ellipsis", justify=justify
        )
    keep = [headers.index(name) for name in columns]
    for row in rows:
        table.add_row(*(row[i] for i in keep))
    return table


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
        console.print(_facts_table(assessment, vm))
        own = findings.loc[(findings["vm_key"] == vm["vm_key"]).fillna(False)]
        own = figures.findings_in_report_order(own, matches)
        console.print(_findings_view(own))
        own_gaps = gaps.loc[(gaps["vm_key"] == vm["vm_key"]).fillna(False)]
        if len(own_gaps):
            console.print(_gaps_view(assessment, own_gaps))
        console.print()
    return True


def _vm_panel(assessment: Assessment, vm: Mapping[str, Any]) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("verdict", _verdict(vm["verdict"]))
    if vm["verdict"] == "stays-gen1":
        grid.add_row("decided", _text(stays_gen1_text(vm)))
    grid.add_row("conversion path", _text(vm["conversion_path"]))
    effort = "-" if is_na(vm["effort_hours"]) else f"{_hours(vm['effort_hours'])} h"
    if not is_na(vm.get("effort_if_converted_hours")):
        effort += (
            f" (not converted; converting would take {_hours(vm['effort_if_converted_hours'])} h)"
        )
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


def _findings_view(findings: pd.DataFrame) -> RenderableType:
    if findings.empty:
        return Text("No findings.", style="green")
    blocks: list[RenderableType] = [Text("Findings", style="bold")]
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
        if not is_na(item.get("reference")):
            detail.add_row("reference", _link(item["reference"]))
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
        blocks.extend([head, Padding(detail, (0, 0, 1, 4))])
    return Group(*blocks)


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
            refs = value.split() if isinstance(value, str) else list(value or ())
            grid.add_row(label, Text("\n").join(_link(r) for r in refs))
        else:
            shown = Text(_hours(value, 2)) if key == "effort_hours" else _prose(value)
            grid.add_row(label, shown)
    title = Text.assemble(Text(terminal_text(get("id")), style="bold"), "  ", _text(get("title")))
    console.print(Panel(grid, title=title, title_align="left", box=box.ROUNDED))


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
