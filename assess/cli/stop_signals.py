"""SIGTERM and SIGHUP stop a run the way Ctrl-C does: every temporary file is removed, the
workbook writer is stopped, and the exit code says which signal it was (128 + its number:
143 for SIGTERM, 129 for SIGHUP; 130 for Ctrl-C), never 1.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from assess.atomic import deliver

HANDLED = (signal.SIGTERM, signal.SIGHUP) if hasattr(signal, "SIGHUP") else (signal.SIGTERM,)


class Stopped(KeyboardInterrupt):
    """Raised in the main thread when a stop signal arrives. A ``KeyboardInterrupt``, so every
    clean-up written for Ctrl-C runs for it too."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name
        self.exit_code = 128 + signum


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into :class:`Stopped` while the block runs (main thread only).

    Only the first signal raises: more signals while the run unwinds are ignored, so that
    the clean-up itself is not cut short.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        deliver(KeyboardInterrupt() if signum == signal.SIGINT else Stopped(signum))

    numbers = list(HANDLED)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        numbers.append(signal.SIGINT)  # Ctrl-C: the same care with temporary files
    previous = {number: signal.signal(number, stop) for number in numbers}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
