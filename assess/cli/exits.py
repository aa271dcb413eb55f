"""Exit codes and the usage error every command shares.

0 done; 1 ``--fail-on`` threshold met (verify: an unexpected difference); 2 usage, input or
output error, nothing assessed (or an output could not be written); 3 partial: some inputs
or hosts failed, the rest was assessed and reported; 4 internal error (a bug: one line,
``--debug`` shows the traceback); 130 interrupted (Ctrl-C, SIGINT), 143 terminated
(SIGTERM), 129 hung up (SIGHUP).

1 is never used for a crash: a pipeline must tell "blocked VMs found" from "crashed".
"""

from __future__ import annotations

EXIT_OK, EXIT_FAIL_ON, EXIT_INPUT, EXIT_PARTIAL, EXIT_INTERNAL = 0, 1, 2, 3, 4
FAIL_ON_LEVELS = {
    "blocked": ("blocked",),
    "needs-data": ("blocked", "needs-data"),
    "fixes": ("blocked", "needs-data", "ready-with-fixes"),
}


class UsageError(Exception):
    """A command line that cannot be carried out; exit 2 with this one-line message."""
