"""Warn about guest OS names a source holds that the identifier cannot read.

The value is kept as typed (the report shows it and the VM needs data); the warning names
the file, line and column, so nothing a user typed disappears without a word.
"""

from __future__ import annotations

import pandas as pd

from assess.model.diagnostics import RowWarning
from assess.model.os_identity import OsNames, identify_os


def unreadable_os_names(
    vms: pd.DataFrame, path: str, header: str, os_names: OsNames | None = None
) -> list[RowWarning]:
    """One warning per row whose ``os_name`` names no operating system the tool knows
    (``os_names``: the names in use, with those of ``--rules`` folders; built-in if None)."""
    if "os_name" not in vms or vms.empty:
        return []
    names = vms["os_name"]
    verdicts = {
        name: identify_os(name=name, os_names=os_names).family is None
        for name in names.dropna().unique().tolist()
    }
    warnings = []
    for name, source in zip(names, vms["source"], strict=True):
        if name is pd.NA or name is None or not verdicts.get(name):
            continue
        line_text = str(source).rsplit(":", 1)[-1]
        line = int(line_text) if line_text.isdigit() else None
        shown = name if len(name) <= 80 else name[:77] + "..."
        warnings.append(
            RowWarning(
                path,
                line,
                header,
                f"{shown!r} is not an operating system name the tool recognises; "
                "kept as written, the VM needs data (OS003)",
            )
        )
    return warnings
