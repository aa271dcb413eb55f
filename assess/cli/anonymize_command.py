"""``assess anonymize``: an anonymized copy of an RVTools workbook, to share it."""

from __future__ import annotations

import argparse

from assess.cli.exits import EXIT_OK


def cmd_anonymize(args: argparse.Namespace) -> int:
    from assess.cli.run_command import error_console, pseudonymizer
    from assess.sources.rvtools_copy import anonymize_workbook

    args.anonymize = True
    pseudonyms, notes = pseudonymizer(args)
    assert pseudonyms is not None  # --anonymize is set
    replaced = anonymize_workbook(args.source, args.out, pseudonyms)
    err = error_console()
    for note in notes:
        err.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    err.print(f"wrote {args.out} ({replaced:,} cells replaced)", markup=False, highlight=False)
    return EXIT_OK
