"""Keep inventory text inert in every report.

VM names, notes and paths come from the estate being assessed: anyone who can name a VM can
put ``=HYPERLINK(...)`` or ``@SUM(...)`` into the client's workbook. A spreadsheet treats a
cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula, and tab or CR starts are
reinterpreted on import (OWASP "CSV injection"). So:

* the workbook writes such strings as text cells with the *quote prefix* flag, which keeps
  them text in Excel and LibreOffice even after someone edits the cell;
* CSV has no cell types, so such fields get a leading ``'`` (the OWASP advice). Tools that
  read our CSV must strip one leading ``'`` from text fields that start with ``'`` followed
  by one of the dangerous characters;
* terminal output drops control characters (an ESC in a VM name or a file name must not
  repaint the consultant's screen or set its title) and bidirectional overrides, and is
  printed without Rich markup.
"""

from __future__ import annotations

import itertools
import math
import re

#: A text cell starting with one of these (after optional spaces) is treated as a formula.
DANGEROUS_LEADS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: Excel keeps at most this many characters in a cell.
EXCEL_MAX_TEXT = 32_767
TRUNCATION_MARK = " [truncated]"

# C0 and C1 controls (ESC, CSI, OSC...), and the invisible bidirectional controls that make a
# terminal show text in another order than it is ("Trojan source").
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\t\n\r]+")


def is_na(value: object) -> bool:
    """True for None, pandas NA/NaT and float NaN (without importing pandas per cell)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, (str, list, tuple, set, frozenset, dict)) or hasattr(value, "shape"):
        return False  # containers (and arrays) are values, even when empty
    # pd.NA and pd.NaT compare unequal to themselves or raise on bool().
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return True


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (or reinterpret it on import)."""
    if not text:
        return False
    if text[0] in DANGEROUS_LEADS:
        return True
    stripped = text.lstrip(" ")
    return stripped != text and stripped[:1] in DANGEROUS_LEADS


def csv_text(text: str) -> str:
    """``text`` for a CSV field: a leading ``'`` when a spreadsheet would see a formula."""
    return "'" + text if looks_like_formula(text) else text


def excel_text(text: str) -> str:
    """``text`` cut to what one Excel cell holds, saying so when it was cut."""
    if len(text) <= EXCEL_MAX_TEXT:
        return text
    return text[: EXCEL_MAX_TEXT - len(TRUNCATION_MARK)] + TRUNCATION_MARK


def to_text(value: object, sep: str = " ") -> str | None:
    """A cell value as text: None for NA, lists joined with ``sep``, anything else ``str()``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return sep.join(str(item) for item in value if not is_na(item))
    if is_na(value):
        return None
    if hasattr(value, "tolist"):  # numpy arrays from pyarrow-backed list columns
        return to_text(value.tolist(), sep)
    return str(value)


def terminal_text(value: object, *, single_line: bool = True) -> str:
    """Text made safe to print: control characters (C0, C1 with ESC, bidirectional
    overrides) removed; with ``single_line`` tabs and line breaks become one space so a
    table row stays one row. The one sanitiser for every path, inventory text and
    host-supplied text that reaches the terminal; print the result with ``markup=False``
    (Rich markup in a name must stay text: no styles, no live links)."""
    text = to_text(value) or ""
    if single_line:
        text = _LINE_BREAKS.sub(" ", text)
    return _CONTROL.sub("", text)


_KEEP_BREAK_BEFORE = re.compile(
    r"\s*([-*•]\s|\d+[.)]\s|[A-Za-z0-9][\w /+.-]{0,24}:\s|https?://)", re.IGNORECASE
)


def reflow(text: str) -> str:
    """Join lines that were broken only to keep a source file narrow (catalog texts are
    written wrapped in TOML). A blank line, a bullet, a numbered step, a ``label:`` or a URL
    at the start of a line keeps its line break."""
    if "\n" not in text:
        return text
    lines = text.replace("\r\n", "\n").split("\n")
    out = lines[0].rstrip()
    for previous, line in itertools.pairwise(lines):
        if not line.strip() or not previous.strip() or _KEEP_BREAK_BEFORE.match(line):
            out += "\n" + line.rstrip()
        else:
            out += " " + line.strip()
    return out


_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def find_urls(value: object) -> list[str]:
    """The http(s) URLs in a references value (a list, or text with one or more URLs)."""
    text = to_text(value, sep="\n") or ""
    return [_trim_url(url) for url in _URL.findall(text)]


def _trim_url(url: str) -> str:
    """Drop sentence punctuation after a URL; a ")" only when it closes nothing in the URL
    (``.../dn282285(v=ws.11)`` keeps its parenthesis)."""
    while url:
        unbalanced = url[-1] == ")" and url.count(")") > url.count("(")
        if url[-1] in ".,;:" or unbalanced:
            url = url[:-1]
        else:
            break
    return url


def is_plain_url(text: str) -> bool:
    """Whether ``text`` is exactly one http(s) URL and nothing else."""
    return bool(_URL.fullmatch(text))
