"""How a guest OS name is cut into tokens: the one normalisation that the names data
(``os_name_data``: the phrases of ``os-names.toml``) and the identifier (``os_identity``:
the names sources report) share, so a phrase matches the name it was written for."""

from __future__ import annotations

import re

#: Characters of a name or field that are read; no OS name is longer.
MAX_NAME = 200

_REPLACE = (
    ("®", " "),
    ("™", " "),
    ("(r)", " "),
    ("(tm)", " "),
    (",", " "),
    ("x86_64", " x64 "),
    ("x86-64", " x64 "),
    ("x64-based", " x64 "),
    ("x86-based", " x86 "),
    ("64-bits", " 64bit "),
    ("32-bits", " 32bit "),
    ("64-bit", " 64bit "),
    ("32-bit", " 32bit "),
    ("64 bit", " 64bit "),
    ("32 bit", " 32bit "),
    ("\u00a0", " "),
)
_TOKEN = re.compile(r"[a-z0-9]+|[^a-z0-9\s]")


def tokens(text: str) -> list[str]:
    """Lower-case tokens of ``text`` (at most ``MAX_NAME`` characters read): words and
    numbers, dotted numbers joined ("22.04"), punctuation one character each."""
    lowered = text[:MAX_NAME].lower()
    for old, new in _REPLACE:
        lowered = lowered.replace(old, new)
    raw = _TOKEN.findall(lowered)
    out: list[str] = []
    i = 0
    while i < len(raw):
        token = raw[i]
        if token.isdigit():
            while i + 2 < len(raw) and raw[i + 1] == "." and raw[i + 2].isdigit():
                token += "." + raw[i + 2]
                i += 2
        out.append(token)
        i += 1
    return out


def arch_key(text: str) -> str:
    """An architecture field as compared: lower case, without blanks, "-" and "_"."""
    return text.lower().replace(" ", "").replace("-", "").replace("_", "")
