"""File output: a reader sees the old file or the new one, never half of either.

Shared by every layer that writes files (the template writer among the sources, the
renderers, the scan's raw records), so it belongs to none of them.

Only a regular file (or a new one) is written through a temporary file and a rename. Other
targets are written in place, from a finished temporary copy, and never replaced:

* ``-``: standard output (where the caller allows it);
* a character or block device, a FIFO (``/dev/null``, a named pipe), or an open descriptor
  (``/dev/stdout``, ``/dev/fd/N``): the output is appended to it once complete;
* a symbolic link to a regular file: the file it points to is replaced, the link stays.

A socket, a folder, or a path whose parent is not a folder is refused. Every failure to
write (read-only folder, disk full, permission) is an :class:`OutputError`: one line naming
the path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

STDOUT = "-"
#: Called just before a finished file replaces its target; raising stops the replacement
#: (the temporary file is removed). The forked workbook writer checks its parent here.
before_replace: Callable[[], None] | None = None
_FD_PATH = re.compile(r"^/(?:dev/(?:stdout|stderr|fd/\d+)|proc/(?:self|\d+)/fd/\d+)$")


class OutputError(Exception):
    """An output that cannot be written. ``str()`` is the one line shown to the user."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self) -> tuple[type[OutputError], tuple[str, str]]:
        return (OutputError, (self.path, self.reason))  # survives the workbook child's pipe


# --- signals that arrive while a temporary file is being created --------------------------
# A stop signal raises an exception wherever the main thread is. Between the creation of a
# temporary file and the ``try`` that removes it there is a window in which it would leak;
# the signal handlers of this program (``cli.stop_signals``, the workbook writer) hand their
# exception to :func:`deliver`, which holds it back until :func:`deferred_signals` ends.
_deferring = 0
_pending: list[BaseException] = []


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold back exceptions from signal handlers until the block is done, then raise."""
    global _deferring
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
    if not _deferring and _pending:
        exc = _pending.pop()
        _pending.clear()
        raise exc


def deliver(exc: BaseException) -> None:
    """Raise ``exc`` now, or when the current :func:`deferred_signals` block ends."""
    if _deferring:
        _pending.append(exc)
        return
    raise exc


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "cannot write: no space left on the device"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot write: permission denied"
    if exc.errno == errno.EROFS:
        return "cannot write: read-only file system"
    if exc.errno == errno.EISDIR:
        return "cannot write: it is a folder"
    if exc.errno == errno.ENOTDIR:
        return "cannot write: a parent of this path is a file, not a folder"
    return f"cannot write: {exc.strerror or exc}"


def is_special(target: str | os.PathLike[str]) -> bool:
    """Whether ``target`` is written in place rather than replaced (see the module)."""
    text = os.fspath(target)
    if text == STDOUT:
        return True
    if _FD_PATH.match(os.path.abspath(text)):
        return True  # an open descriptor (/dev/stdout): even a redirected file is appended to
    try:
        mode = os.stat(text).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def check_target(target: str | os.PathLike[str]) -> None:
    """Refuse, before any work, an output path that cannot be written."""
    text = os.fspath(target)
    if text == STDOUT:
        return
    try:
        mode = os.stat(text).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise OutputError(text, _reason(exc)) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputError(text, "cannot write: it is a folder")
    if mode is not None and stat.S_ISSOCK(mode):
        raise OutputError(text, "cannot write: it is a socket")
    parent = Path(text).parent
    for folder in (parent, *parent.parents):
        if folder.exists():
            if not folder.is_dir():
                raise OutputError(text, _reason(OSError(errno.ENOTDIR, "")))
            break


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path to write; on success it becomes ``target``.

    For a regular file the temporary file lives in the target's folder and replaces it with
    one rename; for a special target (see the module) it lives in the system's temporary
    folder and is copied into the target once complete. On any error the temporary file is
    removed and ``target`` is untouched. ``OSError`` becomes :class:`OutputError`.
    """
    text = os.fspath(target)
    check_target(text)
    if is_special(text):
        with _special(text, suffix) as staged:
            yield staged
        return
    real = Path(os.path.realpath(text)) if os.path.islink(text) else Path(text)
    tmp: Path | None = None
    try:
        try:
            with deferred_signals():
                real.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp_name = tempfile.mkstemp(
                    prefix=f".{real.name}.", suffix=suffix or ".tmp", dir=real.parent
                )
                os.close(fd)
                tmp = Path(tmp_name)
            yield tmp
            os.chmod(tmp, 0o644)
            if before_replace is not None:
                before_replace()
            os.replace(tmp, real)
        except OSError as exc:
            raise OutputError(text, _reason(exc)) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


@contextlib.contextmanager
def _special(target: str, suffix: str) -> Iterator[Path]:
    tmp: Path | None = None
    try:
        try:
            with deferred_signals():
                fd, tmp_name = tempfile.mkstemp(prefix="gen2-assess-", suffix=suffix or ".tmp")
                os.close(fd)
                tmp = Path(tmp_name)
            yield tmp
            if before_replace is not None:
                before_replace()
            with tmp.open("rb") as source:
                if target == STDOUT:
                    sys.stdout.flush()
                    shutil.copyfileobj(source, sys.stdout.buffer)
                    sys.stdout.buffer.flush()
                else:
                    with open(target, "ab") as out:
                        shutil.copyfileobj(source, out)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(target, _reason(exc)) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def write_text_atomic(target: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding=encoding, newline="")
