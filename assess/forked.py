"""Work handed to a forked child process; its result, or its error, comes back here.

On two cores a long step split in two finishes in about half the time. A forked child
shares the parent's memory instead of receiving a copy (the assessment, the plan, a file
already read), so the split costs a fork and whatever the child sends back. Where a process
cannot be forked safely (not Linux, another thread running, ``GEN2_ASSESS_NO_FAST_PATHS``
set) ``start`` returns None and the caller does the work itself: the output is the same.

The child:

- dies with its parent (Linux ``PR_SET_PDEATHSIG``) and never renames a finished file into
  place once its parent is gone (``atomic.before_replace``);
- turns SIGTERM, SIGHUP and Ctrl-C into one unwinding (its temporary files are removed);
- leaves its garbage to the end of its short life (no collector passes);
- sends ``("done", result)``, ``("error", exception)`` or ``("stopped", None)`` through a
  pipe, and ``report(...)`` messages (progress) before that.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from assess import fast_switch

T = TypeVar("T")
Report = Callable[..., None]
PR_SET_PDEATHSIG = 1  # linux/prctl.h
POLL_S = 0.2


class ChildError(RuntimeError):
    """The child failed with an error that could not be sent back as it was."""


def available() -> bool:
    """Whether work can be handed to a forked child here."""
    return (
        not fast_switch.switched_off()
        and sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1  # forking a threaded process is unsafe
    )


def start(work: Callable[[Report], T], *, name: str, what: str) -> Job[T] | None:
    """Run ``work(report)`` in a forked child; None when that is not possible here.

    ``what`` names the work in an error that cannot travel back as it was ("writing the
    workbook failed: ...").
    """
    if not available():
        return None
    for stream in (sys.stdout, sys.stderr):  # the child must not repeat buffered output
        with contextlib.suppress(Exception):
            stream.flush()
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        args=(work, send, os.getpid(), what),
        name=name,
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
    return Job(process, receive, what)


def release_free_memory() -> None:
    """Hand memory the process has freed back to the system (glibc keeps it otherwise): a
    child forked next starts from a smaller process. At 100,000 VMs about 130 MB."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None)
        if hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)


class Job(Generic[T]):
    """Work being done by a child process."""

    def __init__(self, process: Any, messages: Connection, what: str) -> None:
        self.process = process
        self.messages = messages
        self.what = what

    def wait(self, on_report: Report | None = None) -> T:
        """Block until the child is done; return its result or raise its error here.
        ``on_report(*message)`` receives what the child reported on the way."""
        outcome: tuple[str, Any] | None = None
        try:
            while outcome is None:
                if self.messages.poll(POLL_S):
                    try:
                        message = self.messages.recv()
                    except EOFError:  # the child ended without a word
                        break
                    if message[0] == "report":
                        if on_report is not None:
                            on_report(*message[1])
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
            code = self.process.exitcode
            raise ChildError(f"{self.what} stopped unexpectedly (exit code {code})")
        if outcome[0] == "error":
            raise outcome[1]
        if outcome[0] == "stopped":  # interrupted (Ctrl-C) or terminated from outside
            raise KeyboardInterrupt
        return outcome[1]

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


def _child(work: Callable[[Report], Any], send: Connection, parent: int, what: str) -> None:
    from assess import atomic

    # Forked inside the parent's ``deferred_signals`` block maybe: this process starts afresh.
    atomic._deferring = 0
    atomic._pending.clear()
    _die_with_parent(parent)

    def parent_still_waiting() -> None:
        # The last check before a rename: a file nobody waits for must not replace the
        # previous one (the parent was killed, or stopped and did not clean up).
        if os.getppid() != parent:
            raise SystemExit(128 + signal.SIGTERM)

    atomic.before_replace = parent_still_waiting
    # This process does one piece of work, then ends: its garbage needs no collecting.
    gc.disable()

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        if stopping:
            return  # already unwinding: let the temporary files go first
        stopping = True
        atomic.deliver(KeyboardInterrupt() if signum == signal.SIGINT else SystemExit(128 + signum))

    # ``cancel`` sends SIGTERM; Ctrl-C (SIGINT) reaches both processes and interrupts this
    # one as it does the parent (unless the parent ignores it). Either way the child
    # unwinds once, removing its temporary files, whatever signal follows.
    signal.signal(signal.SIGTERM, stop)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, stop)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, stop)

    def report(*message: Any) -> None:
        send.send(("report", message))

    try:
        result = work(report)
    except Exception as exc:
        _send(send, ("error", _sendable(exc, what)))
    except BaseException:  # interrupted or cancelled: unwound, so quietly done
        _send(send, ("stopped", None))
    else:
        try:
            send.send(("done", result))
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            _send(send, ("error", ChildError(f"{what} failed: the result cannot be sent: {exc}")))
        except OSError:
            pass  # the parent has gone
    finally:
        send.close()


def _send(connection: Connection, message: tuple[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the parent may have gone already
        connection.send(message)


def _sendable(exc: BaseException, what: str) -> BaseException:
    """``exc`` if it survives pickling, else a ``ChildError`` with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return ChildError(f"{what} failed: {detail}")
    return exc
