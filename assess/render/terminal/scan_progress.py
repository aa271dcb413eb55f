"""Live progress of a scan: one line per host while it runs, a bar for the whole scan.

Shown only on a terminal (stderr); elsewhere each finished host is one plain line, so a
log of a scheduled scan still says what happened to every host.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
)

from assess.render.text_safety import terminal_text

_PHASES = {"connecting": "connecting", "running": "collecting"}


@contextlib.contextmanager
def scan_progress(
    console: Console, labels: Sequence[str]
) -> Iterator[Callable[[str, str, str], None]]:
    """Yield an ``on_event(label, phase, detail)`` callback for ``assess.scan.collect_all``."""
    err = Console(stderr=True, no_color=console.no_color)
    quiet = console.quiet
    if quiet or not err.is_terminal:

        def plain(label: str, phase: str, detail: str) -> None:
            if phase == "done" and not quiet:
                print(f"{terminal_text(label)}: {terminal_text(detail)}", file=sys.stderr)

        yield plain
        return

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
    )
    overall = progress.add_task("hosts", total=len(labels))
    running: dict[str, TaskID] = {}

    def on_event(label: str, phase: str, detail: str) -> None:
        name = terminal_text(label)
        if phase == "done":
            task = running.pop(label, None)
            if task is not None:
                progress.remove_task(task)
            progress.advance(overall)
            progress.console.print(
                f"{name}: {terminal_text(detail)}", markup=False, highlight=False
            )
            return
        text = f"  {name}: {_PHASES.get(phase, phase)}"
        if label in running:
            progress.update(running[label], description=text)
        else:
            running[label] = progress.add_task(text, total=None)

    with progress:
        yield on_event
