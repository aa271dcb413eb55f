"""Exit codes and the usage error every command shares.

0 done; 1 ``--fail-on`` threshold met; 2 usage or input error, nothing assessed;
3 partial: some inputs or hosts failed, the rest was assessed and reported.
"""

from __future__ import annotations

EXIT_OK, EXIT_FAIL_ON, EXIT_INPUT, EXIT_PARTIAL = 0, 1, 2, 3
FAIL_ON_LEVELS = {
    "blocked": ("blocked",),
    "needs-data": ("blocked", "needs-data"),
    "fixes": ("blocked", "needs-data", "ready-with-fixes"),
}


class UsageError(Exception):
    """A command line that cannot be carried out; exit 2 with this one-line message."""
