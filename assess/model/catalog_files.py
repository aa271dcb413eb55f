"""Where the built-in catalog (rules, support matrix, conversion paths) lives.

In a wheel the top-level ``rules/`` folder is shipped as ``assess/_catalog``; in a source
checkout (or an editable install) it is the ``rules/`` folder next to the package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def builtin_rules_dir() -> Path:
    shipped = _PACKAGE / "_catalog"
    if shipped.is_dir():
        return shipped
    return _PACKAGE.parent / "rules"
