"""``assess verify BEFORE AFTER``: prove each new Generation 2 VM carries over the old VM."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from assess.cli.exits import EXIT_FAIL_ON, EXIT_OK, EXIT_PARTIAL
from assess.model.diagnostics import InputError

if TYPE_CHECKING:
    from assess.model.os_name_data import OsNames

EXIT_UNEXPECTED = EXIT_FAIL_ON  # 1: an unexpected difference
EXIT_CODES = {"ok": EXIT_OK, "unexpected": EXIT_UNEXPECTED, "partial": EXIT_PARTIAL}


def _read(path: str, label: str, os_names: OsNames) -> list:
    from assess.sources.registry import load_sources

    results = load_sources([path], os_names=os_names)
    if not any(len(r.inventory.vms) for r in results):
        raise InputError(path, f"no VMs in the {label} inventory")
    return results


def _os_names(folders: list[str]) -> OsNames:
    """The guest OS names: the built-in ones plus the ``os-names.toml`` of each ``--rules``
    folder (its rule files are ``run``'s and ``plan``'s business, not read here)."""
    from assess.model.os_name_data import load_os_names

    for folder in folders:
        if not Path(folder).is_dir():
            raise InputError(folder, "rules folder not found")
    return load_os_names(folders)


def run_verify(args: argparse.Namespace) -> int:
    """Read, compare, print, write the requested files; the exit code says the outcome.
    Bad inputs and unwritable outputs raise ``InputError`` (exit 2)."""
    from assess.model.inventory import Inventory
    from assess.pipeline import summarize_input
    from assess.render.terminal.report import make_console
    from assess.render.verify_report import (
        render_verification,
        write_verification_json,
        write_verification_workbook,
    )
    from assess.verify.compare import verify
    from assess.verify.plan_file import load_plan

    os_names = _os_names(args.rules)
    before = _read(args.before, "BEFORE", os_names)
    after = _read(args.after, "AFTER", os_names)
    plan = load_plan(args.plan) if args.plan else None

    errors = make_console(stream=sys.stderr)
    for result in (*before, *after):
        for warning in result.warnings:
            errors.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    # An input cut short (a collector file without its end record, a host that failed).
    partial = [r.path for r in (*before, *after) if summarize_input(r).status != "ok"]
    verification = verify(
        Inventory.concat(r.inventory for r in before),
        Inventory.concat(r.inventory for r in after),
        plan,
        partial_inputs=partial,
        os_names=os_names,
    )
    verification.generated_at = datetime.now(UTC)
    verification.before_inputs = [asdict(summarize_input(r)) for r in before]
    verification.after_inputs = [asdict(summarize_input(r)) for r in after]
    verification.plan_path = str(args.plan) if args.plan else None

    console = make_console(quiet=args.quiet)
    render_verification(verification, console, show_all=args.all)
    written: list[Path] = []
    outputs = ((args.json, write_verification_json), (args.xlsx, write_verification_workbook))
    for path, write in outputs:
        if not path:
            continue
        try:
            written.append(write(verification, path))
        except OSError as exc:
            raise InputError(path, f"cannot write: {exc.strerror or exc}") from None
    for path in written:
        console.print(f"wrote {path}", highlight=False, soft_wrap=True)
    return EXIT_CODES[verification.outcome]
