"""What went wrong with an input, said in one line a user can act on.

``InputError`` stops the run (exit 2): the file is missing, empty, binary or of no known
kind. ``RowWarning`` is one bad cell or row: it is reported and the other rows are assessed
(``--strict`` turns warnings into errors).
"""

from __future__ import annotations

from dataclasses import dataclass


class InputError(Exception):
    """An input that cannot be used at all. ``str()`` is the one line shown to the user."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True)
class RowWarning:
    """A problem with one row or cell. ``line`` counts as an editor does: header = line 1."""

    path: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
        if self.column:
            where += f": column {self.column!r}"
        return f"{where}: {self.message}"
