"""Mask the password in log records of the remoting libraries while a scan runs.

pypsrp logs whole SOAP and PSRP messages at DEBUG level. They never contain the
password we send, but a host can echo it back (a VM note, an error message), and
third-party exception texts are outside our control. While at least one
connection is active, a filter on the loggers of those libraries rewrites each
record's message (and formatted traceback) through the active redactors.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from assess.scan.redact import Redactor

# The remoting libraries, and this package's own loggers (belt and braces: our messages are
# built from masked texts already).
LIBRARY_LOGGERS = (
    "pypsrp",
    "psrpcore",
    "spnego",
    "requests_credssp",
    "requests",
    "urllib3",
    "assess",
)


class _MaskingFilter(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._active: dict[int, Redactor] = {}
        self._snapshot: tuple[Redactor, ...] = ()  # replaced whole, read without the lock
        self._ids = itertools.count()

    def add(self, redactor: Redactor) -> int:
        with self._lock:
            token = next(self._ids)
            self._active[token] = redactor
            self._snapshot = tuple(self._active.values())
            return token

    def remove(self, token: int) -> None:
        with self._lock:
            self._active.pop(token, None)
            self._snapshot = tuple(self._active.values())

    def filter(self, record: logging.LogRecord) -> bool:
        redactors = self._snapshot
        if not redactors:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the logging module
            return True
        masked = _mask(message, redactors)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            trace = logging.Formatter().formatException(record.exc_info)
            record.exc_text = _mask(trace, redactors)
        if record.stack_info:
            record.stack_info = _mask(record.stack_info, redactors)
        return True


def _mask(text: str, redactors: tuple[Redactor, ...]) -> str:
    for redactor in redactors:
        text = redactor.text(text)
    return text


_FILTER = _MaskingFilter()


def _attach() -> None:
    """Put the filter on every library logger that exists now (they appear on import)."""
    loggers = [logging.getLogger(name) for name in LIBRARY_LOGGERS]
    for name in list(logging.root.manager.loggerDict):
        if name.split(".", 1)[0] in LIBRARY_LOGGERS:
            loggers.append(logging.getLogger(name))
    for logger in loggers:
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


@contextmanager
def masking_logs(redactor: Redactor) -> Iterator[None]:
    """Mask ``redactor``'s secrets in library log records until the block ends."""
    _attach()
    token = _FILTER.add(redactor)
    try:
        yield
    finally:
        _FILTER.remove(token)
