"""One remote shell (runspace pool) of a fake host, spoken through psrpcore's server side.

psrpcore turns PSRP fragments into events and queues the answers; this module
decides what the "script" does (see ``FakeHost.behaviour``), keeps one outbox per
target (the pool, or each pipeline) so that a Receive for one never swallows the
other's data, and blocks a Receive until data is ready or its operation timeout
passes.
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from psrpcore import (
    CreatePipelineEvent,
    PSRPPayload,
    ServerPipeline,
    ServerRunspacePool,
    StreamType,
)
from psrpcore.types import (
    ErrorCategory,
    ErrorCategoryInfo,
    ErrorRecord,
    NETException,
    PSInvocationState,
)

from tests.fakewsman import host as behaviours
from tests.fakewsman.host import FakeHost
from tests.fakewsman.soap import SIGNAL_PS_CTRL_C

FRAGMENT_BYTES = 32 * 1024  # PSRP fragment size the fake sends
RECEIVE_BYTES = 96 * 1024  # at most this much PSRP data per Receive response (base64 < 150 KiB)
# The endless script writes this many records per Receive, and stops (bounded) after
# ENDLESS_MAX_RECORDS or when the pipeline is stopped.
ENDLESS_BATCH = 50
ENDLESS_MAX_RECORDS = 2_000_000
ENDLESS_RECORD = '{"kind":"vm","name":"FLOOD","notes":"' + "x" * 1000 + '"}'

PoolOrPipeline = uuid.UUID | None


class ShellGone(Exception):
    """The shell was deleted, or the server is stopping."""


@dataclass
class _Run:
    pipeline: ServerPipeline
    ready_at: float  # monotonic time when the output is ready (inf: never)
    emitted: bool = False
    finished: bool = False
    written: int = 0


class FakeShell:
    def __init__(self, host: FakeHost, shell_id: str, stopping: threading.Event) -> None:
        self.id = shell_id
        self._host = host
        self._stopping = stopping
        self._pool = ServerRunspacePool()
        self._cond = threading.Condition()
        self._outbox: dict[PoolOrPipeline, deque[bytes]] = defaultdict(deque)
        self._runs: dict[uuid.UUID, _Run] = {}
        self._closed = False

    # --- client -> server -------------------------------------------------------
    def add_pipeline(self, pipeline_id: uuid.UUID) -> None:
        with self._cond:
            ServerPipeline(self._pool, pipeline_id)

    def feed(self, data: bytes, pipeline_id: PoolOrPipeline, stream: str = "stdin") -> None:
        """Process PSRP fragments from Create, Command or Send."""
        stream_type = StreamType.prompt_response if stream == "pr" else StreamType.default
        with self._cond:
            self._pool.receive_data(PSRPPayload(data, stream_type, pipeline_id))
            while (event := self._pool.next_event()) is not None:
                if isinstance(event, CreatePipelineEvent):
                    self._start(event)
            self._flush()

    def signal(self, pipeline_id: uuid.UUID, code: str) -> None:
        with self._cond:
            run = self._runs.get(pipeline_id)
            if run is not None and code == SIGNAL_PS_CTRL_C:
                if run.pipeline.state == PSInvocationState.Running:
                    run.pipeline.stop()
                run.emitted = run.finished = True
            elif run is not None and run.finished:
                run.pipeline.close()
                del self._runs[pipeline_id]
            self._flush()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # --- server -> client -------------------------------------------------------
    def receive(self, pipeline_id: PoolOrPipeline, timeout_s: float) -> tuple[bytes, bool] | None:
        """Wait up to ``timeout_s`` for data; None when nothing came (operation timeout)."""
        end = time.monotonic() + timeout_s
        with self._cond:
            while True:
                if self._closed or self._stopping.is_set():
                    raise ShellGone
                run = self._runs.get(pipeline_id) if pipeline_id else None
                now = time.monotonic()
                if run is not None and not run.emitted and now >= run.ready_at:
                    self._emit(run)
                    self._flush()
                if run is not None and self._endless(run) and not self._outbox.get(pipeline_id):
                    self._write_more(run)
                    self._flush()
                queue = self._outbox.get(pipeline_id)
                if queue:
                    chunks = [queue.popleft()]
                    while queue and sum(map(len, chunks)) + len(queue[0]) <= RECEIVE_BYTES:
                        chunks.append(queue.popleft())
                    done = run is not None and run.finished and not queue
                    return b"".join(chunks), done
                if now >= end:
                    return None
                wake = end
                if run is not None and not run.emitted:
                    wake = min(end, run.ready_at)
                self._cond.wait(max(0.001, wake - now))

    # --- the "script" -------------------------------------------------------------
    def _start(self, event: CreatePipelineEvent) -> None:
        pipeline = self._pool.pipeline_table[event.pipeline_id]
        commands = event.pipeline.commands
        script = "\n".join(str(command.command_text) for command in commands)
        parameters: dict[str, Any] = {}
        for command in commands:
            for name, value in command.parameters:
                parameters[name or f"arg{len(parameters)}"] = value
        self._host.record(scripts=script, parameters=parameters)
        pipeline.start()
        latency = math.inf if self._host.behaviour == behaviours.SLOW else self._host.latency_s
        self._runs[event.pipeline_id] = _Run(pipeline, time.monotonic() + latency)

    def _emit(self, run: _Run) -> None:
        """Write the whole output of the script at once, as the behaviour says."""
        run.emitted = True
        host, pipeline = self._host, run.pipeline
        outputs: list[Any] = list(host.lines)
        if host.behaviour == behaviours.LYING:
            outputs = list(behaviours.LYING_OUTPUT)
        elif host.behaviour == behaviours.TRUNCATED:
            outputs = [line for line in outputs if not _is_end_record(line)]
        for index, value in enumerate(outputs):
            pipeline.write_output(value)
            if index == 0 and host.behaviour == behaviours.NONTERMINATING:
                self._write_errors(pipeline)
        if not outputs and host.behaviour == behaviours.NONTERMINATING:
            self._write_errors(pipeline)
        if host.behaviour in (behaviours.STALLING, behaviours.ENDLESS_RECORDS):
            return  # output written, the pipeline never ends (or goes on writing)
        if host.behaviour == behaviours.FAILING:
            error = ErrorRecord(
                Exception=NETException(Message=host.failure_message),
                CategoryInfo=ErrorCategoryInfo(
                    Category=ErrorCategory.NotSpecified, Reason="RuntimeException"
                ),
                FullyQualifiedErrorId="CollectorFailed",
            )
            # psrpcore has no public "fail"; a Failed state message with the record is
            # exactly what PowerShell sends for a terminating error.
            pipeline._change_state(PSInvocationState.Failed, error=error)
        else:
            pipeline.complete()
        run.finished = True

    def _endless(self, run: _Run) -> bool:
        return (
            self._host.behaviour == behaviours.ENDLESS_RECORDS
            and run.emitted
            and not run.finished
            and run.written < ENDLESS_MAX_RECORDS
        )

    def _write_more(self, run: _Run) -> None:
        for _ in range(ENDLESS_BATCH):
            run.pipeline.write_output(ENDLESS_RECORD)
        run.written += ENDLESS_BATCH

    def _write_errors(self, pipeline: ServerPipeline) -> None:
        for message in self._host.error_messages:
            pipeline.write_error(
                NETException(Message=message),
                ErrorCategoryInfo(Category=ErrorCategory.PermissionDenied, Reason="AccessDenied"),
                fully_qualified_error_id="AccessDenied,Microsoft.HyperV.PowerShell.Commands",
            )

    def _flush(self) -> None:
        """Move queued PSRP messages to the outbox of their pool or pipeline."""
        moved = False
        while (payload := self._pool.data_to_send(FRAGMENT_BYTES)) is not None:
            self._outbox[payload.pipeline_id].append(payload.data)
            moved = True
        if moved:
            self._cond.notify_all()


def _is_end_record(line: str) -> bool:
    try:
        value = json.loads(line)
    except ValueError:
        return False
    return isinstance(value, dict) and value.get("kind") == "end"
