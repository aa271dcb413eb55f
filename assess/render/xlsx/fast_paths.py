"""Whether the workbook's fast paths may run here, and if not, why.

Three fast paths make the workbook about five times faster (README, Performance):

- ``bulk-rows`` (``fast_rows``, ``fast_links``) writes XlsxWriter's row and hyperlink XML
  itself and reaches into private worksheet attributes;
- ``parallel-zip`` (``parallel_zip``) deflates the parts on threads and reaches into
  ``zipfile`` internals;
- ``forked-writer`` (``forked_writer``) writes the workbook in a forked child process.

The first two depend on private code that a new release may change without notice. They run
only with the library versions they were verified with (the byte-identity tests in
``tests/render`` passed on each), and fall back to the plain, public-API path otherwise, with
a note. Setting ``GEN2_ASSESS_NO_FAST_PATHS=1`` turns all three off; the workbook is the same
byte for byte, only slower. CI runs the workbook tests both ways.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version

from assess.fast_switch import ENV_SWITCH, switched_off

#: XlsxWriter releases the bulk row writer was verified with (byte-identical workbooks).
VERIFIED_XLSXWRITER = frozenset({"3.3.1"})
#: Python minor versions whose ``zipfile`` internals the parallel zip was verified with.
VERIFIED_PYTHON = frozenset({(3, 11)})

FAST_PATHS = ("bulk-rows", "parallel-zip", "forked-writer")


def _xlsxwriter_version() -> str:
    try:
        return version("xlsxwriter")
    except PackageNotFoundError:  # pragma: no cover - XlsxWriter is a dependency
        return "unknown"


def why_not(path: str) -> str | None:
    """Why the fast path ``path`` does not run here; None when it may."""
    if path not in FAST_PATHS:
        raise ValueError(f"unknown fast path {path!r}")
    if switched_off():
        return f"{ENV_SWITCH} is set"
    if path == "bulk-rows" and _xlsxwriter_version() not in VERIFIED_XLSXWRITER:
        return (
            f"XlsxWriter {_xlsxwriter_version()} is not a release it was verified with "
            f"({', '.join(sorted(VERIFIED_XLSXWRITER))})"
        )
    if path == "parallel-zip" and sys.version_info[:2] not in VERIFIED_PYTHON:
        verified = ", ".join(f"{major}.{minor}" for major, minor in sorted(VERIFIED_PYTHON))
        running = f"{sys.version_info[0]}.{sys.version_info[1]}"
        return f"Python {running} is not a version it was verified with ({verified})"
    return None


def enabled(path: str) -> bool:
    return why_not(path) is None


def notes() -> list[str]:
    """One line per fast path that is off for a reason other than the switch."""
    if switched_off():
        return []
    return [
        f"workbook written without the {path} fast path (identical, slower): {reason}"
        for path in ("bulk-rows", "parallel-zip")
        if (reason := why_not(path)) is not None
    ]
