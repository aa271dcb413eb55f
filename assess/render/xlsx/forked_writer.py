"""The workbook written by a second process while this one writes the rest.

Writing the workbook is the longest step of a run (XlsxWriter and zlib, one core) and the
terminal report, JSON and CSV the next longest (another core). Where a process can be
forked (``assess.forked``: Linux, one thread; the child shares the assessment's memory
instead of receiving a copy) ``start`` hands the workbook to a forked child; elsewhere it
returns None and the caller writes the workbook itself, as before.

The child writes through ``excel.write_workbook`` (atomic: a reader sees the old file or the
new one) and reports progress and the outcome through a pipe; ``WorkbookJob.wait`` re-raises
its error here. ``cancel`` stops it: the child then removes its temporary files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from assess import forked
from assess.forked import ChildError as WorkbookError
from assess.model.assessment import Assessment
from assess.render.xlsx import fast_paths

__all__ = ["WorkbookError", "WorkbookJob", "available", "start"]

ProgressCallback = Callable[[int, int], None]
PROGRESS_EVERY_S = 0.25


def available() -> bool:
    """Whether a forked child can write the workbook here."""
    return fast_paths.enabled("forked-writer") and forked.available()


def start(assessment: Assessment, path: str | os.PathLike[str]) -> WorkbookJob | None:
    """Start writing the workbook in a child process; None when that is not possible."""
    if not available():
        return None
    forked.release_free_memory()
    target = Path(path)
    job = forked.start(
        lambda report: _write(assessment, target, report),
        name="gen2-assess-workbook",
        what="writing the workbook",
    )
    return None if job is None else WorkbookJob(job, target)


class WorkbookJob:
    """A workbook being written by a child process."""

    def __init__(self, job: forked.Job[None], path: Path) -> None:
        self.job = job
        self.path = path

    def wait(self, on_progress: ProgressCallback | None = None) -> Path:
        """Block until the workbook is written; its error is raised here."""
        self.job.wait(on_report=on_progress)
        return self.path

    def cancel(self) -> None:
        """Stop the child (it removes its temporary files) and wait for it."""
        self.job.cancel()


def _write(assessment: Assessment, path: Path, report: forked.Report) -> None:
    from assess.render.xlsx.workbook import write_workbook

    last = 0.0

    def progress(done: int, total: int) -> None:
        # A few reports a second at most: the pipe must never fill while the parent is
        # busy elsewhere (a full pipe would stall the writer).
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S or done >= total:
            last = now
            report(done, total)

    write_workbook(assessment, path, on_progress=progress)
