"""``assess plan``: assess the inputs as ``run`` does, then write the conversion runbooks."""

from __future__ import annotations

import argparse
from pathlib import Path

from assess.cli.exits import EXIT_OK, EXIT_PARTIAL
from assess.cli.run_command import build_catalog, load_policy, output_console, report_warnings


def cmd_plan(args: argparse.Namespace) -> int:
    from assess.pipeline import assess_sources
    from assess.plan.builder import build_plan
    from assess.plan.render.files import check_out_dir, write_plan
    from assess.plan.render.summary import render_summary
    from assess.render.terminal.report import progress
    from assess.sources.registry import load_sources

    out = Path(args.out)
    check_out_dir(out, args.force)  # refuse before any work is done
    policy = load_policy(args)
    catalog = build_catalog(args, policy)
    console = output_console(args)
    with progress(console, "Reading inventories", total=None) as advance:
        results = load_sources(args.sources, on_progress=advance, os_names=catalog.os_names)
    result = assess_sources(
        results,
        catalog,
        scope=policy.scope_inventory,
        waive=policy.waive,
        messages=policy.messages,
        keep_inventory=True,
    )
    del results
    report_warnings(result, args.strict)
    assert result.inventory is not None
    plan = build_plan(result.assessment, result.inventory)
    with progress(console, "Writing runbooks", total=None) as advance:
        written = write_plan(plan, out, force=args.force, on_progress=advance)
    render_summary(plan, str(out), console, show_all=args.all)
    console.print(
        f"wrote {len(written)} files under {out} ({out / 'plan.json'}, {out / 'runbook.xlsx'})",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    return EXIT_PARTIAL if result.partial else EXIT_OK
