"""The closed sets of words the reports use: verdicts, severities, conversion paths, statuses.

Each is a ``StrEnum``: its members are the strings that appear in the JSON, the CSV, the
workbook and the terminal (they compare equal to those strings, so pandas columns hold plain
text), and the tuples in ``assessment`` are built from them, in report order (worst first).
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    """What a VM's findings add up to, worst first."""

    BLOCKED = "blocked"
    NEEDS_DATA = "needs-data"
    STAYS_GEN1 = "stays-gen1"  # the client decided: waived blockers or policy keep_gen1
    READY_WITH_FIXES = "ready-with-fixes"
    READY = "ready"
    ALREADY_GEN2 = "already-gen2"


class Severity(StrEnum):
    """How much a finding weighs, worst first."""

    BLOCKER = "blocker"
    NEEDS_DATA = "needs-data"
    FIX = "fix"
    WARNING = "warning"
    INFO = "info"


class ConversionPath(StrEnum):
    """How a Generation 1 VM becomes Generation 2."""

    MBR2GPT = "mbr2gpt"
    RECAPTURE = "recapture"
    LINUX_EFI = "linux-efi"
    REBUILD = "rebuild"
    UNKNOWN = "unknown"
    NONE = "none"  # already Generation 2


class FindingStatus(StrEnum):
    OPEN = "open"
    WAIVED = "waived"


class InputStatus(StrEnum):
    """How one input (a file or a scanned host) went."""

    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    SKIPPED = "skipped"  # a file in a folder that is not an inventory


class HostStatus(StrEnum):
    """How collecting from one host went (``assess scan``)."""

    OK = "ok"
    PARTIAL = "partial"
    UNREACHABLE = "unreachable"
    AUTH_FAILED = "auth-failed"
    TIMEOUT = "timeout"
    PROTOCOL_ERROR = "protocol-error"
    SCRIPT_ERROR = "script-error"
    BAD_OUTPUT = "bad-output"
