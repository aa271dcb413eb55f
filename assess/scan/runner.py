"""Collect from many hosts in parallel, and list the nodes of a failover cluster."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from assess.scan.errors import ScanError
from assess.scan.options import ConnectionOptions
from assess.scan.redact import Redactor
from assess.scan.session import (
    CLEANUP_S,
    COLLECTOR_PARAMETERS,
    POLL_S,
    HostResult,
    invoke,
    run_collector,
)
from assess.scan.targets import MAX_CLUSTER_NODES, Target

log = logging.getLogger("assess.scan")

# Each worker mostly waits: on the network, and on the host while the script
# queries Hyper-V (seconds to minutes). 16 keeps a 200-host estate to about a
# dozen waves while staying gentle with the consultant's VPN link and with the
# domain controllers that authenticate every connection. Raise it with --workers.
DEFAULT_WORKERS = 16

# After a cancel: one poll to notice it, then the two cleanup requests.
CANCEL_WAIT_S = POLL_S + 2 * (CLEANUP_S + 1) + 1

EventCallback = Callable[[str, str, str], None]


def collect_all(
    targets: Sequence[Target],
    options: ConnectionOptions,
    script: str,
    *,
    workers: int = DEFAULT_WORKERS,
    on_event: EventCallback | None = None,
) -> list[HostResult]:
    """Run the collector on every target; one result per target, in input order.

    Every target and the options are validated before the first connection
    (``ValueError``). A failing host never stops the others. ``on_event(label,
    phase, detail)`` is called with phases ``connecting`` (detail: the endpoint
    URL), ``running`` (the script was sent) and ``done`` (detail: ``status`` or
    ``status: reason``); calls never overlap, but they come from worker threads.
    On ``KeyboardInterrupt`` the hosts still running are told to stop; the
    interrupt propagates once they have stopped their pipelines and deleted their
    remote shells, or after a few seconds.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    options.validate()
    for target in targets:
        options.validate_target(target)
    if not targets:
        return []

    notify = _Notifier(on_event)
    redactor = Redactor(options.password, options.username)
    cancel = threading.Event()
    parameters = dict(COLLECTOR_PARAMETERS)

    def one(target: Target) -> HostResult:
        label = target.label
        if cancel.is_set():
            return HostResult(label, "timeout", "the scan was cancelled", (), 0.0)
        finished = threading.Event()

        def on_phase(phase: str) -> None:
            # An abandoned connection may still report after its host is done.
            if not finished.is_set():
                notify(label, phase, "")

        notify(label, "connecting", target.url)
        try:
            result = run_collector(
                target, options, script, parameters, on_phase=on_phase, cancel=cancel
            )
        except Exception as exc:  # a bug must not cost the other hosts their results
            reason = f"internal error: {type(exc).__name__}: {redactor.line(exc)}"
            log.error("%s: %s", label, reason)
            result = HostResult(label, "protocol-error", reason, (), 0.0)
        finished.set()
        detail = f"{result.status}: {result.reason}" if result.reason else result.status
        notify(label, "done", detail)
        return result

    executor = ThreadPoolExecutor(
        max_workers=min(workers, len(targets)), thread_name_prefix="assess-scan"
    )
    futures: list[Future[HostResult]] = []
    try:
        futures = [executor.submit(one, target) for target in targets]
        pending: set[Future[HostResult]] = set(futures)
        while pending:
            # Short waits: a Ctrl-C delivered to another thread is seen here promptly.
            _, pending = wait(pending, timeout=0.25)
        results = [future.result() for future in futures]
    except BaseException:
        cancel.set()
        executor.shutdown(wait=False, cancel_futures=True)
        with contextlib.suppress(BaseException):
            wait(futures, timeout=CANCEL_WAIT_S)
        raise
    executor.shutdown(wait=True)
    return results


class _Notifier:
    """Serialises progress callbacks; a failing callback is logged, never fatal."""

    def __init__(self, callback: EventCallback | None) -> None:
        self._callback = callback
        self._lock = threading.Lock()

    def __call__(self, label: str, phase: str, detail: str) -> None:
        if self._callback is None:
            return
        with self._lock:
            try:
                self._callback(label, phase, detail)
            except Exception:
                log.exception("progress callback failed for %s (%s)", label, phase)


def cluster_nodes(target: Target, options: ConnectionOptions, node_list_script: str) -> list[str]:
    """Names of the nodes of the cluster behind ``target`` (the cluster name or a node).

    Runs ``node_list_script`` once; it prints one line
    ``{"kind":"cluster","name":..,"nodes":[{"name","state"}]}``. Every node is
    returned whatever its state: a node that is down then shows up as an
    unreachable host rather than silently vanishing. Raises :class:`ScanError`
    (one line, ``.status`` set) or ``ValueError`` for unusable options.
    """
    options.validate_target(target)
    redactor = Redactor(options.password, options.username)
    raw, _ = invoke(target, options, node_list_script, {}, redactor=redactor)
    label = target.label
    if raw.failure is not None:
        status, reason = raw.failure
        raise ScanError(f"cluster {label}: {status}: {redactor.line(reason)}", status)
    if raw.terminating_error is not None:
        raise ScanError(f"cluster {label}: script-error: {raw.terminating_error}", "script-error")
    record = _cluster_record(raw.lines)
    if record is None:
        detail = (
            f"first error: {raw.errors[0]}" if raw.errors else "no cluster record in the output"
        )
        raise ScanError(f"cluster {label}: {detail}", "bad-output")
    names = _node_names(record.get("nodes"))
    if not names:
        raise ScanError(f"cluster {label}: the cluster record lists no nodes", "bad-output")
    log.debug("cluster %s: nodes %s", label, ", ".join(names))
    return names


def _cluster_record(lines: list[str]) -> dict[str, Any] | None:
    for line in lines:
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and value.get("kind") == "cluster":
            return value
    return None


def _node_names(nodes: object) -> list[str]:
    """Node names from a list of ``{"name","state"}`` (or one unwrapped node, or plain names).

    Names are returned as the host wrote them (a name that is not text as its ``str``):
    checking them is the caller's job, so that a bad one can be reported by name.
    """
    if isinstance(nodes, dict | str):
        nodes = [nodes]
    if not isinstance(nodes, list):
        return []
    names: list[str] = []
    for node in nodes[: 4 * MAX_CLUSTER_NODES]:
        name = node.get("name", node.get("Name")) if isinstance(node, dict) else node
        if name is None:
            continue
        text = name.strip() if isinstance(name, str) else str(name)[:200]
        if text and text not in names:
            names.append(text)
    return names
