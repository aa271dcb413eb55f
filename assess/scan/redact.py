"""Keep the password out of every text a scan produces.

Exception messages from the HTTP and authentication layers are not under our
control, so every text that leaves this package (reasons, warnings, error
messages, log lines, output lines) passes through :class:`Redactor` first.
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from collections.abc import Iterable

MASK = "***"
MAX_REASON = 300

_WHITESPACE = re.compile(r"\s+")


class Redactor:
    """Masks the password (and its common encodings) in texts."""

    def __init__(self, password: str | None, username: str | None = None) -> None:
        forms: set[str] = set()
        if password:
            forms.add(password)
            forms.add(urllib.parse.quote(password, safe=""))
            forms.add(urllib.parse.quote_plus(password))
            if username:
                pair = f"{username}:{password}".encode()
                forms.add(base64.b64encode(pair).decode("ascii"))
        # Longest first, so that an encoding containing the password is masked whole.
        self._forms = sorted(forms, key=len, reverse=True)

    def __repr__(self) -> str:
        return f"Redactor({len(self._forms)} forms)"

    def text(self, value: str) -> str:
        """The text with every secret form masked; otherwise unchanged."""
        for form in self._forms:
            if form in value:
                value = value.replace(form, MASK)
        return value

    def line(self, value: object, limit: int = MAX_REASON) -> str:
        """A masked, single-line, length-limited text for reasons and messages."""
        text = _WHITESPACE.sub(" ", self.text(str(value))).strip()
        if len(text) > limit:
            text = text[: limit - 1].rstrip() + "…"
        return text

    def lines(self, values: Iterable[object], limit: int = MAX_REASON) -> tuple[str, ...]:
        return tuple(self.line(value, limit) for value in values)
