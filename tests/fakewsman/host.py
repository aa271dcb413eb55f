"""What one fake Hyper-V host answers, and what it was asked."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

# How the host behaves once the collector script reaches it.
HEALTHY = "healthy"  # writes ``lines``, completes
SLOW = "slow"  # never answers: Receive times out until the client stops the pipeline
STALLING = "stalling"  # writes ``lines``, then hangs like ``slow``
UNRESPONSIVE = "unresponsive"  # opens the shell, then leaves every pipeline Receive unanswered
FAILING = "failing"  # writes ``lines``, then ends Failed with a terminating ErrorRecord
LYING = "lying"  # writes non-JSON garbage, a JSON array, a record without kind, a number
TRUNCATED = "truncated"  # writes ``lines`` without the end record
NONTERMINATING = "nonterminating"  # writes ``lines`` plus error records, completes
WRONG_PASSWORD = "wrong-password"  # rejects every credential with HTTP 401
FAULT = "fault"  # answers shell creation with a WSMan fault (HTTP 500)
MALFORMED = "malformed"  # answers shell creation with HTTP 200 and a body that is not XML
# Hostile: every loop on the server side is bounded in bytes, records and time.
ENDLESS_BODY = "endless-body"  # answers the first pipeline Receive with a body that never ends
ENDLESS_RECORDS = "endless-records"  # the script writes records without end
DRIPPING = "dripping"  # answers the first pipeline Receive with a body that trickles on

BEHAVIOURS = frozenset(
    {
        HEALTHY,
        SLOW,
        STALLING,
        UNRESPONSIVE,
        FAILING,
        LYING,
        TRUNCATED,
        NONTERMINATING,
        WRONG_PASSWORD,
        FAULT,
        MALFORMED,
        ENDLESS_BODY,
        ENDLESS_RECORDS,
        DRIPPING,
    }
)

LYING_OUTPUT: tuple[Any, ...] = (
    "Get-VM : The term 'Get-VM' is not recognized as the name of a cmdlet",
    '{"kind":"host","computerName":"HV-LIAR"',
    '["kind","vm"]',
    '{"name":"VM-NO-KIND"}',
    42,
)


@dataclass(eq=False)
class FakeHost:
    """Configuration of one fake endpoint, plus a record of the requests it served.

    ``lines`` are the JSON strings the collector would write (one output string
    each). ``latency_s`` is how long the script "runs" before its output is
    ready. The recorded fields let tests assert what reached the host, e.g. that
    the script was invoked exactly once.
    """

    lines: list[str] = field(default_factory=list)
    latency_s: float = 0.0
    behaviour: str = HEALTHY
    username: str = "scanner"
    password: str = field(default="Fake-Pa55w0rd!", repr=False)
    name: str = "HV-FAKE"
    error_messages: list[str] = field(
        default_factory=lambda: ["Get-VMHost : You do not have the required permission."]
    )
    failure_message: str = "Hyper-V module not available: Get-VM failed."

    # Recorded by the server (read them after the scan).
    scripts: list[str] = field(default_factory=list)
    parameters: list[dict[str, Any]] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    shells_created: int = 0
    shells_deleted: int = 0
    auth_failures: int = 0
    hangups: int = 0  # streamed bodies the client stopped reading
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {self.behaviour!r}")

    @property
    def invocations(self) -> int:
        """How many pipelines (script runs) the host received."""
        with self._lock:
            return len(self.scripts)

    def record(self, **changes: Any) -> None:
        """Thread-safe update of the recorded fields (lists are appended to, ints added)."""
        with self._lock:
            for name, value in changes.items():
                current = getattr(self, name)
                if isinstance(current, list):
                    current.append(value)
                else:
                    setattr(self, name, current + value)
