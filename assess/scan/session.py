"""Collect from one host: one WinRM connection, one runspace pool, one script invocation.

The script is sent exactly once and never retried: a second run would double the
load on a production host and could interleave two outputs.

The wall-clock deadline (``ConnectionOptions.timeout``) is enforced twice:

* cooperatively: every WSMan request's operation and read timeouts are capped by
  the time left, and the output is polled with ``poll_invoke`` until the pipeline
  ends or the deadline passes; then the pipeline is stopped and the shell deleted;
* by a watchdog: the connection lives in its own thread, and a host that still
  has not finished ``WATCHDOG_GRACE_S`` after its deadline (a peer that stopped
  answering mid-request, where pypsrp retries reads by itself) is reported as
  ``timeout`` and its thread abandoned. That thread keeps its own
  connection; nothing is ever shared between threads.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pypsrp.complex_objects import PSInvocationState
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from assess.model.vocabulary import HostStatus
from assess.scan.classify import RawRun, classify
from assess.scan.errors import classify_exception
from assess.scan.logmask import masking_logs
from assess.scan.options import ConnectionOptions
from assess.scan.redact import Redactor
from assess.scan.targets import Target
from assess.scan.transport import (
    HostAbandoned,
    HostSentTooMuch,
    ResponseGuard,
    bound_waits,
    open_wsman,
)

log = logging.getLogger("assess.scan")

STATUSES: tuple[str, ...] = tuple(HostStatus)

# The collector script's switch that makes it write JSON lines to the output stream.
COLLECTOR_PARAMETERS: Mapping[str, Any] = {"PassThru": True}

# Longest wait of one poll (seconds) while the script runs. A Receive returns as
# soon as output is ready, so this only costs an idle request every POLL_S; it
# bounds how late a Ctrl-C is noticed.
POLL_S = 2
# Budget for each cleanup request (stop the pipeline, delete the shell) after a failure.
CLEANUP_S = 3
# How long past the deadline the watchdog waits before abandoning a connection:
# room for the two cleanup requests (each CLEANUP_S plus a second of reading) and more.
WATCHDOG_GRACE_S = 2 * (CLEANUP_S + 1) + 3.0
# What one host's script may write: records (output strings) and their total size. The
# collector writes one record per VM plus a few; a Hyper-V host holds at most 1,024 VMs,
# and a record is a few KiB.
MAX_HOST_RECORDS = 50_000
MAX_HOST_OUTPUT_CHARS = 64 * 1024 * 1024
# Error and warning records kept per host (only the first few are ever shown).
MAX_STREAM_RECORDS = 1_000

PhaseCallback = Callable[[str], None]


@dataclass(frozen=True)
class HostResult:
    """The outcome for one host.

    ``status`` is one of :data:`STATUSES`; ``reason`` is one line (for ``ok``, the
    VM count). ``lines`` are the output strings as received (trimmed), kept for
    every status: import them for ``ok`` and ``partial`` (and ``timeout`` when
    there are any); for the other statuses they are evidence only.
    """

    target: str
    status: str
    reason: str
    lines: tuple[str, ...]
    elapsed_s: float
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown host status {self.status!r}")


def collect_host(
    target: Target,
    options: ConnectionOptions,
    script: str,
    *,
    parameters: Mapping[str, Any] | None = None,
) -> HostResult:
    """Run the collector script once on ``target`` and classify what came back.

    The script gets ``-PassThru`` plus ``parameters``. Never raises for a host
    problem (that is the result's status); raises ``ValueError`` for unusable
    options.
    """
    options.validate_target(target)
    return run_collector(target, options, script, collector_parameters(parameters))


def collector_parameters(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**COLLECTOR_PARAMETERS, **(parameters or {})}


def run_collector(
    target: Target,
    options: ConnectionOptions,
    script: str,
    parameters: Mapping[str, Any],
    *,
    on_phase: PhaseCallback | None = None,
    cancel: threading.Event | None = None,
) -> HostResult:
    """:func:`collect_host` without validation, with progress and cancel hooks."""
    redactor = Redactor(options.password, options.username)
    raw, elapsed = invoke(
        target, options, script, parameters, on_phase=on_phase, cancel=cancel, redactor=redactor
    )
    verdict = classify(raw)
    result = HostResult(
        target=target.label,
        status=verdict.status,
        reason=redactor.line(verdict.reason),
        lines=tuple(raw.lines),
        elapsed_s=round(elapsed, 3),
        warnings=verdict.warnings,
    )
    log.debug("%s: %s: %s (%.1f s)", result.target, result.status, result.reason, elapsed)
    return result


@dataclass
class _Box:
    """Hands the outcome from the connection thread to the waiting thread."""

    raw: RawRun | None = None
    output: list[Any] | None = None  # the pipeline's live output list, read only on abandon
    guard: ResponseGuard | None = None


def invoke(
    target: Target,
    options: ConnectionOptions,
    script: str,
    parameters: Mapping[str, Any],
    *,
    on_phase: PhaseCallback | None = None,
    cancel: threading.Event | None = None,
    redactor: Redactor | None = None,
) -> tuple[RawRun, float]:
    """Run ``script`` once on ``target``; return what came back and the elapsed seconds."""
    redactor = redactor or Redactor(options.password, options.username)
    started = time.monotonic()
    deadline = started + options.timeout
    box = _Box()

    def work() -> None:
        try:
            with masking_logs(redactor):
                box.raw = _invoke(
                    target, options, script, parameters, deadline, redactor, box, on_phase, cancel
                )
        except BaseException as exc:  # reported by the waiting thread
            reason = f"internal error: {type(exc).__name__}: {redactor.line(exc)}"
            box.raw = RawRun(failure=("protocol-error", reason))

    thread = threading.Thread(target=work, name=f"psrp-{target.label}", daemon=True)
    thread.start()
    thread.join(options.timeout + WATCHDOG_GRACE_S)
    raw = box.raw
    if raw is None:
        log.debug("%s: abandoning an unresponsive connection", target.label)
        if box.guard is not None:
            box.guard.abandon()  # the connection thread stops reading now
        reason = f"no result within {options.timeout:g} s; the host stopped answering"
        output = list(box.output or ())[:MAX_HOST_RECORDS]
        received = [redactor.record_line(str(item).strip()) for item in output]
        raw = RawRun(lines=[line for line in received if line], failure=("timeout", reason))
    return raw, time.monotonic() - started


def _invoke(
    target: Target,
    options: ConnectionOptions,
    script: str,
    parameters: Mapping[str, Any],
    deadline: float,
    redactor: Redactor,
    box: _Box,
    on_phase: PhaseCallback | None,
    cancel: threading.Event | None,
) -> RawRun:
    raw = RawRun()
    wsman = open_wsman(target, options)
    guard = ResponseGuard(deadline)
    guard.install(wsman)
    box.guard = guard
    pool = RunspacePool(wsman)
    ps: PowerShell | None = None
    connected = False
    try:
        bound_waits(wsman, deadline - time.monotonic(), options.connect_timeout)
        pool.open()
        connected = True
        ps = PowerShell(pool)
        ps.add_script(script)
        for name, value in parameters.items():
            ps.add_parameter(name, value)
        bound_waits(wsman, deadline - time.monotonic(), options.connect_timeout)
        ps.begin_invoke()
        box.output = ps.output
        if on_phase is not None:
            on_phase("running")
        counted = _OutputCount()
        while ps.state == PSInvocationState.RUNNING:
            too_much = counted.over_limit(ps.output)
            if too_much:
                raw.failure = ("bad-output", too_much)
                break
            if cancel is not None and cancel.is_set():
                raw.failure = ("timeout", "the scan was cancelled")
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raw.failure = ("timeout", f"no complete result within {options.timeout:g} s")
                break
            operation = bound_waits(wsman, remaining, options.connect_timeout)
            ps.poll_invoke(timeout=min(POLL_S, operation))
    except HostSentTooMuch as exc:
        raw.failure = ("bad-output", str(exc))
        log.debug("%s: bad-output: %s", target.label, exc)
    except Exception as exc:
        status, reason = classify_exception(exc, redactor, connected=connected, port=target.port)
        if isinstance(exc, HostAbandoned) or time.monotonic() >= deadline:
            status, reason = (
                "timeout",
                f"no complete result within {options.timeout:g} s ({reason})",
            )
        raw.failure = (status, reason)
        log.debug("%s: %s: %s", target.label, status, reason)
    finally:
        guard.hard_deadline = time.monotonic() + 2 * (CLEANUP_S + 1)
        _cleanup(wsman, pool, ps, redactor, target.label)
    if ps is not None:
        _harvest(ps, raw, redactor)
    return raw


class _OutputCount:
    """Counts what the pipeline wrote so far against the per-host bounds."""

    def __init__(self) -> None:
        self.seen = 0
        self.chars = 0

    def over_limit(self, output: list[Any]) -> str | None:
        for item in output[self.seen :]:
            self.chars += len(item) if isinstance(item, str) else 256
        self.seen = len(output)
        if self.seen > MAX_HOST_RECORDS:
            return f"the host wrote over {MAX_HOST_RECORDS:,} records; stopped reading it"
        if self.chars > MAX_HOST_OUTPUT_CHARS:
            size = MAX_HOST_OUTPUT_CHARS // (1024 * 1024)
            return f"the host wrote over {size} MiB of records; stopped reading it"
        return None


def _cleanup(
    wsman: WSMan, pool: RunspacePool, ps: PowerShell | None, redactor: Redactor, label: str
) -> None:
    """Stop a pipeline still running and delete the remote shell, each within CLEANUP_S."""
    wsman.operation_timeout = CLEANUP_S
    wsman.transport.read_timeout = CLEANUP_S + 1
    wsman.transport.connection_timeout = CLEANUP_S
    try:
        if ps is not None and ps.state == PSInvocationState.RUNNING:
            ps.stop()
    except Exception as exc:
        log.debug("%s: stopping the pipeline failed: %s", label, redactor.line(exc))
    try:
        pool.close()
    except Exception as exc:
        log.debug("%s: closing the remote shell failed: %s", label, redactor.line(exc))
    finally:
        wsman.close()


def _harvest(ps: PowerShell, raw: RawRun, redactor: Redactor) -> None:
    """Copy output lines and streams from the pipeline into ``raw`` (redacted).

    Output over the per-host bounds is evidence of nothing: it is dropped, not copied.
    """
    over = raw.failure is not None and raw.failure[0] == "bad-output"
    for item in () if over else ps.output:
        if isinstance(item, str):
            text = item.strip()
        else:
            raw.non_string_outputs += 1
            text = str(item).strip()
        if not text:
            continue
        if "\n" in text or "\r" in text:
            text, changed = _compact(text)
            raw.recompacted += changed
        raw.lines.append(redactor.record_line(text))

    errors = list(ps.streams.error)[:MAX_STREAM_RECORDS]
    if ps.state == PSInvocationState.FAILED:
        last = errors.pop() if errors else None
        raw.terminating_error = redactor.line(_record_text(last)) if last else "the pipeline failed"
    elif ps.state == PSInvocationState.STOPPED and raw.failure is None:
        raw.stopped_remotely = True
    raw.errors = [redactor.line(_record_text(record)) for record in errors]
    raw.warnings = [
        redactor.line(getattr(record, "message", None) or record)
        for record in ps.streams.warning[:MAX_STREAM_RECORDS]
    ]


def _compact(text: str) -> tuple[str, int]:
    """A JSON object written over several lines, as one compact line."""
    try:
        value = json.loads(text)
    except ValueError:
        return text, 0
    if not isinstance(value, dict):
        return text, 0
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False), 1


def _record_text(record: object) -> str:
    """The message of a pypsrp error record (its ToString, else the exception message)."""
    text = str(record or "").strip()
    if text:
        return text
    exception = getattr(record, "exception", None)
    message = getattr(exception, "adapted_properties", {}).get("Message") if exception else None
    return str(message or getattr(record, "fq_error", None) or "error record without a message")
