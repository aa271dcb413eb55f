"""Evidence text: a rule's ``{fact}`` template filled in for every VM at once.

Shared by the catalog (which tries each template once when it loads) and the engine.
"""

from __future__ import annotations

import re
import string

import numpy as np
import pandas as pd

#: A ``[...]`` part of a template: left out for a VM when a fact inside it is unknown.
OPTIONAL_PART = re.compile(r"\[([^\[\]]*)\]")


def _as_text(values: pd.Series) -> pd.Series:
    if values.dtype == "Float64":
        values = values.round(1)
    return values.astype("string")


def render_evidence(template: str, rows: pd.DataFrame) -> pd.Series:
    """Fill ``{fact}`` fields column-wise. A ``[...]`` part is left out for a VM when a fact
    inside it is unknown; elsewhere an unknown fact reads "unknown"."""
    size = len(rows)
    out = _blank(size)
    position = 0
    for match in [*OPTIONAL_PART.finditer(template), None]:
        plain = template[position : match.start() if match else len(template)]
        out = out + _fill(plain, rows, size, optional=False)
        if match:
            out = out + _fill(match.group(1), rows, size, optional=True)
            position = match.end()
    return pd.Series(out, index=rows.index, dtype="string")


def _blank(size: int) -> np.ndarray:
    return np.full(size, "", dtype=object)


def _fill(template: str, rows: pd.DataFrame, size: int, *, optional: bool) -> np.ndarray:
    # Object arrays of str: ``+`` runs in numpy's C loop, one str concatenation per cell.
    text = _blank(size)
    missing = np.zeros(size, dtype=bool)
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            text = text + literal
        if name:
            values = _as_text(rows[name])
            missing |= values.isna().to_numpy(dtype=bool)
            text = text + values.to_numpy(dtype=object, na_value="unknown")
    if optional:
        text[missing] = ""
    return text
