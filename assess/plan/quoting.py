"""Inventory text inside emitted scripts: always a literal, never code.

PowerShell single-quoted strings expand nothing; the only character that ends one is a
single quote, and PowerShell counts four characters as single quotes: ``'`` and the
typographic U+2018, U+2019, U+201A, U+201B. Doubling each of them inside the literal keeps
it one string whatever the text holds (a VM named ``x'; Stop-Computer -Force; '`` stays a name).
Comments get a one-line, control-character-free rendering instead (a line break would end
the comment and start code).
"""

from __future__ import annotations

import re

#: Every character PowerShell's tokenizer treats as a single quote.
PS_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def ps_literal(text: str) -> str:
    """``text`` as a PowerShell single-quoted literal (quote characters doubled)."""
    if text.isascii():  # the typographic quotes are not ASCII: only ' can be there
        return "'" + text.replace("'", "''") + "'" if "'" in text else "'" + text + "'"
    for quote in PS_SINGLE_QUOTES:  # str.replace in C: faster than one regex for short text
        if quote in text:
            text = text.replace(quote, quote + quote)
    return "'" + text + "'"


def ps_literal_list(values: list[str] | tuple[str, ...]) -> str:
    """A PowerShell array of literals: ``@('a', 'b')``."""
    return "@(" + ", ".join(ps_literal(v) for v in values) + ")"


def comment_text(text: str, limit: int = 120) -> str:
    """``text`` fit for a ``#`` comment or a Markdown line: one line, no control characters."""
    flat = text if text.isprintable() else _CONTROL_RE.sub(" ", text)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def sh_literal(text: str) -> str:
    """``text`` as a POSIX shell single-quoted word."""
    return "'" + text.replace("'", "'\"'\"'") + "'"
