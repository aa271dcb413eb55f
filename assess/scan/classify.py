"""Turn what one remote invocation returned into a host status and a one-line reason.

Only the envelope of the records is checked here (JSON objects, a ``kind``, one
``host`` record, the closing ``end`` record, record-level ``errors``); reading
the record fields is the importer's job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MAX_WARNINGS = 50


@dataclass
class RawRun:
    """What came back from one remote invocation (texts already redacted)."""

    lines: list[str] = field(default_factory=list)
    non_string_outputs: int = 0
    recompacted: int = 0
    errors: list[str] = field(default_factory=list)  # non-terminating error records
    warnings: list[str] = field(default_factory=list)  # the script's warning stream
    terminating_error: str | None = None  # set when the pipeline ended Failed
    stopped_remotely: bool = False  # the pipeline ended Stopped without being asked
    failure: tuple[str, str] | None = None  # (status, reason) when the run did not finish


@dataclass(frozen=True)
class HostOutcome:
    status: str
    reason: str
    warnings: tuple[str, ...]


def parse_records(lines: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Split lines into JSON records (objects with a string ``kind``) and bad lines."""
    records: list[dict[str, Any]] = []
    bad: list[str] = []
    for line in lines:
        try:
            value = json.loads(line)
        except ValueError:
            bad.append(line)
            continue
        if isinstance(value, dict) and isinstance(value.get("kind"), str):
            records.append(value)
        else:
            bad.append(line)
    return records, bad


def classify(raw: RawRun) -> HostOutcome:
    """Map one invocation to a status (see ``HostResult`` for the list)."""
    warnings = _warnings(raw)
    if raw.failure is not None:
        status, reason = raw.failure
        if raw.lines:
            reason = f"{reason} ({len(raw.lines)} output lines kept)"
        return HostOutcome(status, reason, warnings)

    records, bad = parse_records(raw.lines)
    hosts = [r for r in records if r["kind"] == "host"]
    vms = [r for r in records if r["kind"] == "vm"]
    ends = [r for r in records if r["kind"] == "end"]

    if raw.terminating_error is not None:
        if len(hosts) == 1 and not bad:
            reason = (
                f"the script stopped with a terminating error after {len(vms)} VM records: "
                f"{raw.terminating_error}"
            )
            return HostOutcome("partial", reason, warnings)
        return HostOutcome("script-error", f"terminating error: {raw.terminating_error}", warnings)
    if raw.stopped_remotely:
        return HostOutcome("script-error", "the pipeline was stopped on the host", warnings)
    if not records and not bad and raw.errors:
        return HostOutcome("script-error", f"no output; first error: {raw.errors[0]}", warnings)
    if not raw.lines:
        return HostOutcome("bad-output", "the script returned no output", warnings)
    if bad:
        sample = bad[0] if len(bad[0]) <= 60 else bad[0][:59] + "…"
        reason = (
            f"{len(bad)} of {len(raw.lines)} output lines are not JSON records (first: {sample!r})"
        )
        return HostOutcome("bad-output", reason, warnings)
    if len(hosts) != 1:
        what = "no host record" if not hosts else f"{len(hosts)} host records"
        return HostOutcome("bad-output", f"{what} in the output", warnings)

    problems = _partial_problems(raw, records, vms, ends)
    if problems:
        return HostOutcome("partial", "; ".join(problems), warnings)
    return HostOutcome("ok", f"{len(vms)} VM" if len(vms) == 1 else f"{len(vms)} VMs", warnings)


def _partial_problems(
    raw: RawRun,
    records: list[dict[str, Any]],
    vms: list[dict[str, Any]],
    ends: list[dict[str, Any]],
) -> list[str]:
    problems = []
    if raw.errors:
        problems.append(f"{len(raw.errors)} non-terminating errors (first: {raw.errors[0]})")
    if not ends:
        problems.append(f"output cut short: no end record after {len(vms)} VM records")
    else:
        expected = ends[-1].get("vmCount")
        if isinstance(expected, int) and not isinstance(expected, bool) and expected != len(vms):
            problems.append(f"the end record counts {expected} VMs, {len(vms)} arrived")
    with_errors = [r for r in records if _has_errors(r.get("errors"))]
    if with_errors:
        kinds = sorted({r["kind"] for r in with_errors})
        problems.append(
            f"collection errors reported in {len(with_errors)} records ({', '.join(kinds)})"
        )
    return problems


def _has_errors(value: object) -> bool:
    """Record-level ``errors``: a list, one unwrapped entry, or a text; empty means none."""
    if value is None:
        return False
    if isinstance(value, list | dict | str):
        return len(value) > 0
    return True


def _warnings(raw: RawRun) -> tuple[str, ...]:
    items = [f"warning: {text}" for text in raw.warnings]
    items += [f"error: {text}" for text in raw.errors]
    if raw.non_string_outputs:
        items.append(f"{raw.non_string_outputs} output objects were not strings")
    if raw.recompacted:
        items.append(f"{raw.recompacted} records spanned several lines and were re-serialised")
    if len(items) > MAX_WARNINGS:
        extra = len(items) - MAX_WARNINGS + 1
        items = [*items[: MAX_WARNINGS - 1], f"... and {extra} more"]
    return tuple(items)
