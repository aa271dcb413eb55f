"""Keep the password out of every text a scan produces.

Exception messages from the HTTP and authentication layers are not under our
control, so every text that leaves this package (reasons, warnings, error
messages, log lines, output lines) passes through :class:`Redactor` first.

A host can echo the password in any encoding, so the redactor masks it

* in record lines *after decoding*: each JSON line is parsed and every string (key
  or value) is masked, whatever escapes the host's serialiser chose (Windows
  PowerShell 5.1's ``ConvertTo-Json`` writes ``&`` as ``\\u0026``, ``'`` as
  ``\\u0027``, ``<`` ``>`` as ``\\u003c`` ``\\u003e``);
* in every other text (reasons, log lines) in each encoded form the password can take
  on the way: plain, JSON-escaped (standard and PowerShell 5.1, ASCII or not),
  XML-escaped and CLIXML-escaped (also of the JSON forms), URL-encoded, Python bytes
  repr, and base64 at each of the three byte alignments (SOAP bodies carry PSRP
  fragments in base64, so the password can start at any byte of one).
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Iterable
from typing import Any

MASK = "***"
MAX_REASON = 300
# A base64 run this short could match unrelated text; shorter passwords are masked in
# their other forms only.
MIN_BASE64_CORE = 6
# JSON nesting deeper than this is not a record: the line is masked as text.
MAX_RECORD_DEPTH = 64

_WHITESPACE = re.compile(r"\s+")
_CLIXML_ESCAPED = re.compile(r"[\x00-\x1f]|_(?=x[0-9A-Fa-f]{4}_)")
_PS51_ESCAPES = {"&": "\\u0026", "'": "\\u0027", "<": "\\u003c", ">": "\\u003e"}


def _json_forms(secret: str) -> set[str]:
    forms = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    for form in list(forms):
        ps51 = "".join(_PS51_ESCAPES.get(ch, ch) for ch in form)
        forms |= {ps51, ps51.upper().replace("\\U", "\\u")}
        forms.add(re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), ps51))
    return forms


def _xml_forms(text: str) -> set[str]:
    basic = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    forms = {basic}
    for quote, apos in (("&quot;", "&apos;"), ("&#34;", "&#39;"), ('"', "'")):
        forms.add(basic.replace('"', quote).replace("'", apos))
    # CLIXML (PowerShell serialisation) writes control characters and "_x" as _xHHHH_.
    clixml = re.sub(
        r"[\x00-\x1f]|_(?=x[0-9A-Fa-f]{4}_)", lambda m: f"_x{ord(m.group()):04X}_", text
    )
    if clixml != text:
        forms |= _xml_forms(clixml)
    return forms


def _base64_cores(data: bytes) -> set[str]:
    """The part of base64(data) that is the same wherever ``data`` starts in a stream."""
    cores = set()
    for offset, first_clean in ((0, 0), (1, 2), (2, 3)):
        encoded = base64.b64encode(b"\0" * offset + data).decode("ascii").rstrip("=")
        end = len(encoded) - (1 if (offset + len(data)) % 3 else 0)
        core = encoded[first_clean:end]
        if len(core) >= MIN_BASE64_CORE:
            cores.add(core)
    return cores


def secret_forms(password: str, username: str | None = None) -> set[str]:
    """Every form of ``password`` that is masked in texts."""
    texts = {password} | _json_forms(password)
    for text in list(texts):
        texts |= _xml_forms(text)
    forms = set(texts)
    for text in texts:
        forms.add(urllib.parse.quote(text, safe=""))
        forms.add(urllib.parse.quote_plus(text))
        forms.add(repr(text.encode("utf-8"))[2:-1])
        forms |= _base64_cores(text.encode("utf-8"))
        forms |= _base64_cores(text.encode("utf-16-le"))
    if username:
        pair = f"{username}:{password}".encode()
        forms.add(base64.b64encode(pair).decode("ascii"))
    forms.discard("")
    return forms


class Redactor:
    """Masks the password (and its encodings) in texts and in decoded records."""

    def __init__(self, password: str | None, username: str | None = None) -> None:
        forms = secret_forms(password, username) if password else set()
        # Longest first, so that an encoding containing the password is masked whole.
        self._forms = sorted(forms, key=len, reverse=True)
        self._password = password or ""

    def __repr__(self) -> str:
        return f"Redactor({len(self._forms)} forms)"

    def text(self, value: str) -> str:
        """The text with every secret form masked; otherwise unchanged."""
        for form in self._forms:
            if form in value:
                value = value.replace(form, MASK)
        return value

    def record_line(self, line: str) -> str:
        """A record line masked after decoding: a JSON line with the password in any
        string (however escaped) comes back re-serialised with it masked; other lines
        are masked as text."""
        if not self._password:
            return line
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            return self.text(line)
        try:
            masked, changed = self._walk(value, 0)
        except RecursionError:
            return self.text(line)
        if changed:
            line = json.dumps(masked, ensure_ascii=False, separators=(",", ":"))
        return self.text(line)

    def _walk(self, value: Any, depth: int) -> tuple[Any, bool]:
        if depth > MAX_RECORD_DEPTH:
            raise RecursionError
        if isinstance(value, str):
            masked = self.text(value)
            return masked, masked != value
        if isinstance(value, list):
            items = [self._walk(item, depth + 1) for item in value]
            return [item for item, _ in items], any(changed for _, changed in items)
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            changed = False
            for key, item in value.items():
                new_key = self.text(key)
                new_item, item_changed = self._walk(item, depth + 1)
                out[new_key] = new_item
                changed = changed or item_changed or new_key != key
            return out, changed
        return value, False

    def line(self, value: object, limit: int = MAX_REASON) -> str:
        """A masked, single-line, length-limited text for reasons and messages."""
        text = _WHITESPACE.sub(" ", self.text(str(value))).strip()
        if len(text) > limit:
            text = text[: limit - 1].rstrip() + "…"
        return text

    def lines(self, values: Iterable[object], limit: int = MAX_REASON) -> tuple[str, ...]:
        return tuple(self.line(value, limit) for value in values)
