"""``assess diff OLD.json NEW.json``: what changed between two assessment runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assess.cli.exits import EXIT_OK
from assess.cli.run_command import say
from assess.model.diagnostics import InputError
from assess.render.terminal.report import make_console


def run_diff(args: argparse.Namespace) -> int:
    """Compare, print, write the requested files. Returns 0; bad inputs raise ``InputError``
    (exit 2), and so does an output file that cannot be written."""
    from assess.diff.compare import compare, load_assessment
    from assess.render.diff_report import render_diff, write_diff_json, write_diff_workbook

    old = load_assessment(args.old)
    new = load_assessment(args.new)
    diff = compare(old, new)

    errors = make_console(stream=sys.stderr)
    for note in diff.notes:
        say(errors, f"note: {note}")
    console = make_console(quiet=args.quiet)
    render_diff(diff, console)

    written: list[Path] = []
    for path, write in ((args.json, write_diff_json), (args.xlsx, write_diff_workbook)):
        if not path:
            continue
        try:
            written.append(write(diff, path))
        except OSError as exc:
            raise InputError(path, f"cannot write: {exc.strerror or exc}") from None
    for path in written:
        say(console, f"wrote {path}")
    return EXIT_OK
