"""``assess run``, and what ``scan`` shares with it: policy, catalog, warnings, outputs."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from assess.atomic import STDOUT, check_target, deferred_signals
from assess.cli.exits import EXIT_FAIL_ON, EXIT_OK, EXIT_PARTIAL, FAIL_ON_LEVELS, UsageError
from assess.pipeline import RunResult


def output_console(args: argparse.Namespace):
    from assess.render.terminal.report import make_console

    return make_console(quiet=getattr(args, "quiet", False))


def error_console():
    from assess.render.terminal.report import make_console

    return make_console(stream=sys.stderr)


def load_policy(args: argparse.Namespace):
    from assess.engine.policy import Policy

    return Policy.load(args.policy) if getattr(args, "policy", None) else Policy.empty()


def build_catalog(args: argparse.Namespace, policy=None):
    from assess.engine.catalog import load_catalog

    folders = [Path(p) for p in getattr(args, "rules", [])]
    if policy is not None:
        folders = [*policy.rule_folders, *folders]
    catalog = load_catalog(folders)
    return policy.apply_to_catalog(catalog) if policy is not None else catalog


def say(console, text: object) -> None:
    """Print one line of text that may hold paths or inventory/host text: sanitised (no
    escape sequences, no bidi overrides) and never read as Rich markup."""
    from assess.render.text_safety import terminal_text

    console.print(terminal_text(text), markup=False, highlight=False, soft_wrap=True)


#: Warnings of one shape (same file, column and message but for numbers and quoted values)
#: shown before the rest are counted in one line.
MAX_ALIKE_WARNINGS = 3
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\d+")


def _warning_shape(warning: object) -> tuple[object, ...]:
    message = str(getattr(warning, "message", warning))
    shape = _NUMBER.sub("#", _QUOTED.sub("'…'", message))
    return (getattr(warning, "path", None), getattr(warning, "column", None), shape)


def report_warnings(result: RunResult, strict: bool) -> None:
    err = error_console()
    alike: dict[tuple[object, ...], list] = {}
    for warning in result.warnings:
        group = alike.setdefault(_warning_shape(warning), [])
        group.append(warning)
        if len(group) <= MAX_ALIKE_WARNINGS:
            say(err, f"warning: {warning}")
    for group in alike.values():
        if len(group) > MAX_ALIKE_WARNINGS:
            more = len(group) - MAX_ALIKE_WARNINGS
            say(err, f"warning: ... and {more:,} more like this: {group[-1]}")
    for message in result.assessment.messages:
        say(err, f"note: {message}")
    if strict and result.warnings:
        raise UsageError(f"{len(result.warnings)} input warning(s) and --strict is set")


def report_context(args: argparse.Namespace, policy, catalog, scope=None, inputs=()):
    """The engagement and assumptions the reports state (``ReportContext``)."""
    from assess.cli.report_context import build_context

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
    from assess.render.json.report import write_json
    from assess.render.terminal import report
    from assess.render.xlsx import forked_writer

    assessment = result.assessment
    if context is not None:
        assessment.context = context
    report_warnings(result, args.strict)
    if not len(assessment.vms):
        # Nothing to report: an empty workbook must never pass for a report.
        print(f"assess: nothing assessed: {empty_reason(assessment)}", file=sys.stderr)
        return EXIT_PARTIAL
    console = output_console(args)
    written: list[Path] = []
    named = args.xlsx or args.json or args.csv
    xlsx, json_path = args.xlsx, args.json
    if not named and not args.no_save:
        xlsx = default_report_path(args.reports_dir, ".xlsx", assessment.generated_at)
        json_path = xlsx.with_suffix(".json")
    check_outputs(args, xlsx=xlsx, json_path=json_path)
    if json_path == STDOUT:  # the JSON owns standard output: the report goes to stderr
        console = error_console() if not args.quiet else console
    if xlsx:
        from assess.render.xlsx import fast_paths

        for note in fast_paths.notes():
            say(error_console(), f"note: {note}")
    # The workbook takes longest: a second process writes it meanwhile where it can.
    job = None
    try:
        with deferred_signals():  # a stop signal now still finds the job to cancel
            job = forked_writer.start(assessment, xlsx) if xlsx else None
        if args.vm:
            if not report.render_vm(assessment, console, args.vm):
                raise UsageError(f"no VM named or with id {args.vm!r} in the assessment")
        else:
            report.render_run(
                assessment, console, show_all=args.all, warnings=[str(w) for w in result.warnings]
            )

        if json_path:
            write_json(assessment, json_path)
            if json_path != STDOUT:
                written.append(Path(json_path))
        if args.csv:
            from assess.render.sheet_tables import write_csv

            written.extend(write_csv(assessment, args.csv))
        if xlsx:
            from assess.render.xlsx.workbook import write_workbook

            with report.progress(console, "Writing workbook", total=None) as advance:
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
        say(console, f"wrote {path}")

    if args.fail_on:
        levels = FAIL_ON_LEVELS[args.fail_on]
        if assessment.vms["verdict"].isin(levels).any():
            return EXIT_FAIL_ON
    return EXIT_PARTIAL if result.partial else EXIT_OK


def check_outputs(args: argparse.Namespace, *, xlsx=None, json_path=None) -> None:
    """Refuse, before any work, outputs that cannot be written (one line, exit 2)."""
    if xlsx is None:
        xlsx = getattr(args, "xlsx", None)
    if json_path is None:
        json_path = getattr(args, "json", None)
    if xlsx == STDOUT:
        raise UsageError("--xlsx -: a workbook cannot go to standard output; name a file")
    csv_dir = getattr(args, "csv", None)
    if csv_dir == STDOUT:
        raise UsageError("--csv -: CSV output is a folder of files; name a folder")
    for path in (xlsx, json_path, getattr(args, "out", None)):
        if path:
            check_target(path)
    if csv_dir:
        check_target(Path(csv_dir) / "vms.csv")


def empty_reason(assessment) -> str:
    """Why an assessment holds no VM, in one line: scope, failed hosts or empty inputs."""
    inputs = assessment.inputs
    scoped = [m for m in assessment.messages if m.startswith("policy scope leaves out")]
    if scoped and sum(i.vms for i in inputs):
        return f"{scoped[0]}; no report written"
    failed = [i for i in inputs if i.status not in ("ok", "partial")]
    if inputs and len(failed) == len(inputs) and all(i.kind == "live" for i in inputs):
        listed = "; ".join(f"{i.path}: {i.detail or i.status}" for i in failed)
        return f"every host failed ({listed}); no report written"
    listed = "; ".join(
        f"{i.path}: {i.detail}" if i.status != "ok" and i.detail else f"{i.path}: {i.vms} VMs"
        for i in inputs
    )
    return f"the inputs hold no Hyper-V VM ({listed or 'no inputs'}); no report written"


def cmd_run(args: argparse.Namespace) -> int:
    from assess.cli.report_context import ScopeRecorder
    from assess.pipeline import assess_sources
    from assess.render.terminal.report import progress
    from assess.sources.registry import load_sources

    check_outputs(args)
    policy = load_policy(args)
    catalog = build_catalog(args, policy)
    anonymize, anonymize_notes = pseudonymizer(args)
    policy.messages.extend(anonymize_notes)
    console = output_console(args)
    with progress(console, "Reading inventories", total=None) as advance:
        results = load_sources(args.sources, on_progress=advance, os_names=catalog.os_names)
    scope = ScopeRecorder(policy)
    result = assess_sources(
        results,
        catalog,
        scope=scope,
        waive=policy.waive,
        keep=policy.keep,
        targets=policy.targets,
        messages=policy.messages,  # the scope hook adds to it while the run goes
        anonymize=anonymize,
    )
    context = report_context(args, policy, catalog, scope, [r.path for r in results])
    del results  # the inventories: only the assessment is needed from here on
    return finish_run(args, result, context)


def pseudonymizer(args: argparse.Namespace):
    """``(Pseudonymizer or None, notes)`` from ``--anonymize`` / ``--anonymize-salt-env``."""
    import os

    from assess.model.anonymize import Pseudonymizer, new_salt

    variable = getattr(args, "anonymize_salt_env", None)
    if not variable and not getattr(args, "anonymize", False):
        return None, []
    if variable:
        salt = os.environ.get(variable, "")
        if not salt:
            raise UsageError(f"--anonymize-salt-env {variable}: ${variable} is not set or empty")
        return Pseudonymizer(salt.encode()), []
    return Pseudonymizer(new_salt()), [
        "anonymized with a random salt: pseudonyms differ from run to run "
        "(--anonymize-salt-env VAR gives stable ones)"
    ]


def default_report_path(folder: str, suffix: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).astimezone().strftime("%Y%m%d-%H%M%S")
    return Path(folder) / f"gen2-assessment-{stamp}{suffix}"
