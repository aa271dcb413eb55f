"""Colours for verdicts, severities and host statuses, shared by the terminal and the workbook.

One palette so a consultant who learnt "amber = needs data" in the terminal reads the workbook
the same way. Each entry has a Rich style for the terminal, and for Excel a light cell fill with
a dark text colour (readable when printed in grey) plus a strong colour for chart slices.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Colour:
    rich: str  # Rich style for the terminal
    fill: str  # cell background in the workbook
    text: str  # cell text colour in the workbook
    chart: str  # chart slice / bar colour


_RED = Colour(rich="bold red", fill="#F8D7DA", text="#842029", chart="#C0392B")
_AMBER = Colour(rich="bold dark_orange", fill="#FFE5B4", text="#7A4100", chart="#E67E22")
_BLUE = Colour(rich="cyan", fill="#DCE9F7", text="#1F4E79", chart="#2E75B6")
_GREEN = Colour(rich="green", fill="#D4EDDA", text="#155724", chart="#2E8B57")
_GREY = Colour(rich="dim", fill="#EDEDED", text="#404040", chart="#A6A6A6")
_YELLOW = Colour(rich="yellow", fill="#FFF3CD", text="#664D03", chart="#D4AC0D")
_PURPLE = Colour(rich="magenta", fill="#E8DDF3", text="#4B2A72", chart="#7D5BA6")

#: Keyed by ``assessment.VERDICTS``.
VERDICT_COLOURS: dict[str, Colour] = {
    "blocked": _RED,
    "needs-data": _AMBER,
    "stays-gen1": _PURPLE,
    "ready-with-fixes": _BLUE,
    "ready": _GREEN,
    "already-gen2": _GREY,
}

#: Keyed by ``assessment.SEVERITIES``.
SEVERITY_COLOURS: dict[str, Colour] = {
    "blocker": _RED,
    "needs-data": _AMBER,
    "fix": _BLUE,
    "warning": _YELLOW,
    "info": _GREY,
}

#: Host collection status (see the collection section of the design). Statuses not listed
#: here are failures (unreachable, auth-failed, timeout, ...) and show red.
HOST_STATUS_COLOURS: dict[str, Colour] = {
    "ok": _GREEN,
    "partial": _AMBER,
    "inventory-only": _GREY,  # from an inventory file, nothing collected from the host
}
_HOST_FAILED = _RED

#: Human wording of the verdicts, for prose and chart labels (the data keeps the ids).
VERDICT_LABELS: dict[str, str] = {
    "blocked": "Blocked",
    "needs-data": "Needs data",
    "stays-gen1": "Stays on Gen 1",
    "ready-with-fixes": "Ready with fixes",
    "ready": "Ready",
    "already-gen2": "Already Gen 2",
}

#: Workbook chrome.
HEADER_FILL = "#1F3864"
HEADER_TEXT = "#FFFFFF"
TITLE_TEXT = "#1F3864"
SECTION_TEXT = "#1F3864"
RULE_LINE = "#8EA9DB"
WAIVED_TEXT = "#8C8C8C"
LINK_TEXT = "#0563C1"
FONT_NAME = "Calibri"


def verdict_colour(verdict: object) -> Colour | None:
    return VERDICT_COLOURS.get(str(verdict)) if isinstance(verdict, str) else None


def severity_colour(severity: object) -> Colour | None:
    return SEVERITY_COLOURS.get(str(severity)) if isinstance(severity, str) else None


def host_status_colour(status: object) -> Colour | None:
    """Green for ``ok``, amber for ``partial``, red for every failure status."""
    if not isinstance(status, str) or not status:
        return None
    return HOST_STATUS_COLOURS.get(status, _HOST_FAILED)
