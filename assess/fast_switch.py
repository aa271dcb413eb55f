"""The switch that turns every fast path off: ``GEN2_ASSESS_NO_FAST_PATHS=1``.

Shared by the layers that have one (the records reader and the plan writer fork a second
process, the workbook writes rows in bulk), so it belongs to none of them. With the switch
set the output is the same, only slower: CI runs the tests both ways.
"""

from __future__ import annotations

import os

ENV_SWITCH = "GEN2_ASSESS_NO_FAST_PATHS"


def switched_off() -> bool:
    """Whether the environment turns every fast path off."""
    return os.environ.get(ENV_SWITCH, "").strip().lower() not in ("", "0", "false", "no")
