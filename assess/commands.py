"""What each sub-command does, once ``cli`` has parsed its arguments."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from assess.atomic import write_text_atomic
from assess.cli import (
    EXIT_FAIL_ON,
    EXIT_OK,
    EXIT_PARTIAL,
    FAIL_ON_LEVELS,
    UsageError,
    default_report_path,
)
from assess.pipeline import RunResult


def output_console(args: argparse.Namespace):
    from assess.render.terminal import make_console

    return make_console(quiet=getattr(args, "quiet", False))


def error_console():
    from assess.render.terminal import make_console

    return make_console(stream=sys.stderr)


def load_policy(args: argparse.Namespace):
    from assess.policy import Policy

    return Policy.load(args.policy) if getattr(args, "policy", None) else Policy.empty()


def build_catalog(args: argparse.Namespace, policy=None):
    from assess.rulebook import load_catalog

    folders = [Path(p) for p in getattr(args, "rules", [])]
    if policy is not None:
        folders = [*policy.rule_folders, *folders]
    catalog = load_catalog(folders)
    return policy.apply_to_catalog(catalog) if policy is not None else catalog


def report_warnings(result: RunResult, strict: bool) -> None:
    err = error_console()
    for warning in result.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    for message in result.assessment.messages:
        err.print(f"note: {message}", markup=False, highlight=False, soft_wrap=True)
    if strict and result.warnings:
        raise UsageError(f"{len(result.warnings)} input warning(s) and --strict is set")


def report_context(args: argparse.Namespace, policy, catalog, scope=None, inputs=()):
    """The engagement and assumptions the reports state (``ReportContext``)."""
    from assess.report_context import build_context

    return build_context(
        client=getattr(args, "client", None),
        engagement=getattr(args, "engagement", None),
        paper=getattr(args, "paper", "a4") or "a4",
        policy=policy,
        catalog=catalog,
        scope=scope,
        input_paths=inputs,
    )


def finish_run(args: argparse.Namespace, result: RunResult, context=None) -> int:
    """Everything after the assessment: terminal, files, exit code. Shared by run and scan."""
    from assess.render import terminal, workbook_job
    from assess.render.json_report import write_json

    assessment = result.assessment
    if context is not None:
        assessment.context = context
    report_warnings(result, args.strict)
    console = output_console(args)
    written: list[Path] = []
    named = args.xlsx or args.json or args.csv
    xlsx, json_path = args.xlsx, args.json
    if not named and not args.no_save:
        xlsx = default_report_path(args.reports_dir, ".xlsx", assessment.generated_at)
        json_path = xlsx.with_suffix(".json")
    # The workbook takes longest: a second process writes it meanwhile where it can.
    job = workbook_job.start(assessment, xlsx) if xlsx else None
    try:
        if args.vm:
            if not terminal.render_vm(assessment, console, args.vm):
                raise UsageError(f"no VM named or with id {args.vm!r} in the assessment")
        else:
            terminal.render_run(
                assessment, console, show_all=args.all, warnings=[str(w) for w in result.warnings]
            )

        if json_path:
            write_json(assessment, json_path)
            written.append(Path(json_path))
        if args.csv:
            from assess.render.tabular import write_csv

            written.extend(write_csv(assessment, args.csv))
        if xlsx:
            from assess.render.excel import write_workbook

            with terminal.progress(console, "Writing workbook", total=None) as advance:
                if job is not None:
                    job.wait(on_progress=advance)
                else:
                    write_workbook(assessment, xlsx, on_progress=advance)
            written.append(Path(xlsx))
    except BaseException:
        if job is not None:
            job.cancel()
        raise
    for path in written:
        console.print(f"wrote {path}", markup=False, highlight=False, soft_wrap=True)

    if args.fail_on:
        levels = FAIL_ON_LEVELS[args.fail_on]
        if assessment.vms["verdict"].isin(levels).any():
            return EXIT_FAIL_ON
    return EXIT_PARTIAL if result.partial else EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from assess.pipeline import assess_sources
    from assess.render.terminal import progress
    from assess.report_context import ScopeRecorder
    from assess.sources.registry import load_sources

    policy = load_policy(args)
    catalog = build_catalog(args, policy)
    console = output_console(args)
    with progress(console, "Reading inventories", total=None) as advance:
        results = load_sources(args.sources, on_progress=advance)
    scope = ScopeRecorder(policy)
    result = assess_sources(
        results,
        catalog,
        scope=scope,
        waive=policy.waive,
        messages=policy.messages,
    )
    context = report_context(args, policy, catalog, scope, [r.path for r in results])
    del results  # the inventories: only the assessment is needed from here on
    return finish_run(args, result, context)


def cmd_collector(args: argparse.Namespace) -> int:
    from assess.collector import script_text

    text = script_text()
    if args.out:
        # Windows PowerShell 5.1 reads a BOM-less file as the ANSI code page: keep the BOM.
        write_text_atomic(args.out, text, encoding="utf-8-sig")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    from assess.sources.template import template_text, write_template

    if args.out and Path(args.out).suffix.lower() == ".xlsx":
        from assess.render.template_workbook import write_template_workbook

        write_template_workbook(args.out)
        print(f"wrote {args.out}", file=sys.stderr)
    elif args.out:
        write_template(args.out)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(template_text())
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from assess.engine import rules_table
    from assess.facts import FACTS
    from assess.render import terminal

    policy = load_policy(args)
    catalog = build_catalog(args, policy)
    if args.facts:
        rows = [
            {
                "name": f.name,
                "type": f.dtype,
                "label": f.label,
                "description": f.description,
                "how_to_get": f.how_to_get,
            }
            for f in FACTS
        ]
        if args.json:
            print(json.dumps(rows, indent=1))
        else:
            terminal.render_facts(rows, output_console(args))
        return EXIT_OK
    table = rules_table(catalog)
    if args.json:
        records = table.astype(object).where(table.notna(), None).to_dict(orient="records")
        for record, rule in zip(records, catalog.rules, strict=True):
            record["when"] = rule.when
            record["evidence"] = rule.evidence
            record["effort_by_path"] = rule.effort_by_path
            record["references"] = list(rule.references)
            record["needs"] = list(rule.needs)
            record["aliases"] = list(rule.aliases)
        print(json.dumps(records, indent=1))
    else:
        terminal.render_rules(table, output_console(args))
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from assess.engine import rules_table
    from assess.render import terminal

    catalog = build_catalog(args)
    rule = catalog.get(args.rule_id)
    if rule is None:
        known = ", ".join(r.id for r in catalog.rules)
        raise UsageError(f"no rule {args.rule_id!r}; known rules: {known}")
    row = rules_table(catalog).set_index("id").loc[rule.id].copy()
    row["id"] = rule.id
    row["when"] = rule.when
    row["effort_by_path"] = ", ".join(f"{k} {v:g} h" for k, v in rule.effort_by_path.items())
    terminal.render_rule(row, output_console(args))
    return EXIT_OK


def cmd_scan(args: argparse.Namespace) -> int:
    from assess.scan_command import run_scan

    return run_scan(args)


def cmd_diff(args: argparse.Namespace) -> int:
    from assess.diff_command import run_diff

    return run_diff(args)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "scan": cmd_scan,
    "collector": cmd_collector,
    "template": cmd_template,
    "rules": cmd_rules,
    "explain": cmd_explain,
    "diff": cmd_diff,
}
