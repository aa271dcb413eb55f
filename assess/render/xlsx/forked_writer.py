"""The workbook written by a second process while this one writes the rest.

Writing the workbook is the longest step of a run (XlsxWriter and zlib, one core) and the
terminal report, JSON and CSV the next longest (another core). Where a process can be
forked cheaply (Linux; the child shares the assessment's memory instead of receiving a
copy) and nothing else runs in this process yet, ``start`` hands the workbook to a forked
child; elsewhere it returns None and the caller writes the workbook itself, as before.

The child writes through ``excel.write_workbook`` (atomic: a reader sees the old file or the
new one) and reports progress and the outcome through a pipe; ``WorkbookJob.wait`` re-raises
its error here. ``cancel`` stops it: the child then removes its temporary files.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from assess.model.assessment import Assessment
from assess.render.xlsx import fast_paths

ProgressCallback = Callable[[int, int], None]
PR_SET_PDEATHSIG = 1  # linux/prctl.h
POLL_S = 0.2
PROGRESS_EVERY_S = 0.25


class WorkbookError(RuntimeError):
    """The child failed with an error that could not be sent back as it was."""


def available() -> bool:
    """Whether a forked child can write the workbook here."""
    return (
        fast_paths.enabled("forked-writer")
        and sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1  # forking a threaded process is unsafe
    )


def start(assessment: Assessment, path: str | os.PathLike[str]) -> WorkbookJob | None:
    """Start writing the workbook in a child process; None when that is not possible."""
    if not available():
        return None
    for stream in (sys.stdout, sys.stderr):  # the child must not repeat buffered output
        with contextlib.suppress(Exception):
            stream.flush()
    _release_free_memory()
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        args=(assessment, Path(path), send, os.getpid()),
        name="gen2-assess-workbook",
        daemon=True,  # never outlives this process
    )
    # Objects alive now are shared with the child; frozen, the child's garbage collector
    # leaves them alone (no copy-on-write of every page holding one).
    gc.freeze()
    try:
        process.start()
    finally:
        gc.unfreeze()
    send.close()
    return WorkbookJob(process, receive, Path(path))


def _release_free_memory() -> None:
    """Hand memory the pipeline has freed back to the system (glibc keeps it otherwise):
    the forked child then starts from a smaller process. At 100,000 VMs about 130 MB."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None)
        if hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)


class WorkbookJob:
    """A workbook being written by a child process."""

    def __init__(self, process: Any, messages: Connection, path: Path) -> None:
        self.process = process
        self.messages = messages
        self.path = path

    def wait(self, on_progress: ProgressCallback | None = None) -> Path:
        """Block until the workbook is written; its error is raised here."""
        outcome: tuple[str, Any] | None = None
        try:
            while outcome is None:
                if self.messages.poll(POLL_S):
                    try:
                        message = self.messages.recv()
                    except EOFError:  # the child ended without a word
                        break
                    if message[0] == "progress":
                        if on_progress is not None:
                            on_progress(message[1], message[2])
                    else:
                        outcome = message
                elif not self.process.is_alive() and not self.messages.poll(0):
                    break
        except BaseException:
            self.cancel()
            raise
        self.process.join()
        self.messages.close()
        if outcome is None:
            raise WorkbookError(
                f"the workbook writer stopped unexpectedly (exit code {self.process.exitcode})"
            )
        if outcome[0] == "error":
            raise outcome[1]
        if outcome[0] == "stopped":  # interrupted (Ctrl-C) or terminated from outside
            raise KeyboardInterrupt
        return self.path

    def cancel(self) -> None:
        """Stop the child (it removes its temporary files) and wait for it."""
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(30)
        if self.process.is_alive():  # pragma: no cover - a child that ignores SIGTERM
            self.process.kill()
            self.process.join()
        self.messages.close()


def _die_with_parent(parent: int) -> None:
    """Ask Linux to send SIGTERM to this process when its parent dies; if the parent is
    already gone (it died before the request), stop now."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(128 + signal.SIGTERM)


def _child(assessment: Assessment, path: Path, send: Connection, parent: int) -> None:
    from assess import atomic
    from assess.atomic import deliver
    from assess.render.xlsx.workbook import write_workbook

    # Forked inside the parent's ``deferred_signals`` block: this process starts afresh.
    atomic._deferring = 0
    atomic._pending.clear()
    _die_with_parent(parent)

    def parent_still_waiting() -> None:
        # The last check before the rename: a workbook nobody waits for must not replace
        # the previous one (the parent was killed, or stopped and did not clean up).
        if os.getppid() != parent:
            raise SystemExit(128 + signal.SIGTERM)

    atomic.before_replace = parent_still_waiting

    # This process only writes the workbook, then ends: its garbage needs no collecting
    # (the writer makes millions of short-lived containers; the collector would keep
    # walking them, about a tenth of the writer's time).
    gc.disable()

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        if stopping:
            return  # already unwinding: let the temporary files go first
        stopping = True
        deliver(KeyboardInterrupt() if signum == signal.SIGINT else SystemExit(128 + signum))

    # ``cancel`` sends SIGTERM; Ctrl-C (SIGINT) reaches both processes and interrupts this
    # one as it does the parent (unless the parent ignores it). Either way the writer
    # unwinds once, removing its temporary files, whatever signal follows.
    signal.signal(signal.SIGTERM, stop)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, stop)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, stop)

    last = 0.0

    def progress(done: int, total: int) -> None:
        # A few reports a second at most: the pipe must never fill while the parent is
        # busy elsewhere (a full pipe would stall the writer).
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S or done >= total:
            last = now
            send.send(("progress", done, total))

    try:
        write_workbook(assessment, path, on_progress=progress)
    except Exception as exc:
        _send(send, ("error", _sendable(exc)))
    except BaseException:  # interrupted or cancelled: unwound, so quietly done
        _send(send, ("stopped", None))
    else:
        _send(send, ("done", None))
    finally:
        send.close()


def _send(connection: Connection, message: tuple[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the parent may have gone already
        connection.send(message)


def _sendable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a ``WorkbookError`` with its text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return WorkbookError(f"writing the workbook failed: {detail}")
    return exc
