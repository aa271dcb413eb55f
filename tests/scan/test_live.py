"""Live collection: the real pypsrp client over HTTP against the fake WSMan endpoint."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assess.scan import (
    ConnectionOptions,
    HostResult,
    collect_all,
    collect_host,
    parse_target,
)
from assess.scan import session as scan_session
from tests.fakewsman import (
    FakeFleet,
    FakeHost,
    FakeWSManServer,
    closed_port,
    options_for,
    target_for,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "scan"
SCRIPT = "param([switch]$PassThru) 'stand-in for the collector script'"
CTRL_C = "powershell/signal/ctrl_c"


def fixture_lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").splitlines()


HEALTHY = fixture_lines("healthy.jsonl")


@pytest.fixture
def serve() -> Iterator:
    """Start fake hosts on demand; all are stopped at the end of the test."""
    servers: list[FakeWSManServer] = []

    def start(host: FakeHost) -> FakeWSManServer:
        server = FakeWSManServer(host).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def scan(serve, host: FakeHost, **overrides: object) -> HostResult:
    server = serve(host)
    return collect_host(target_for(server), options_for(host, **overrides), SCRIPT)


def test_healthy_host(serve) -> None:
    host = FakeHost(lines=HEALTHY, latency_s=0.05)
    result = scan(serve, host)
    assert result.status == "ok", result
    assert result.reason == "2 VMs"
    assert list(result.lines) == HEALTHY
    assert [json.loads(line)["kind"] for line in result.lines] == ["host", "vm", "vm", "end"]
    assert result.warnings == ()
    assert result.elapsed_s >= 0.05  # the host's latency was waited for
    # Exactly one remote invocation, of exactly this script, with -PassThru.
    assert host.invocations == 1
    assert host.scripts == [SCRIPT]
    assert host.parameters == [{"PassThru": True}]
    assert host.shells_created == host.shells_deleted == 1
    assert host.signals == []


def test_extra_parameters_reach_the_script(serve) -> None:
    host = FakeHost(lines=HEALTHY)
    server = serve(host)
    result = collect_host(
        target_for(server), options_for(host), SCRIPT, parameters={"SkipGuest": True}
    )
    assert result.status == "ok"
    assert host.parameters == [{"PassThru": True, "SkipGuest": True}]


def test_older_record_shapes_come_back_verbatim(serve) -> None:
    lines = fixture_lines("older_shapes.jsonl")
    result = scan(serve, FakeHost(lines=lines))
    assert result.status == "ok", result
    assert list(result.lines) == lines
    assert "/Date(1700000000000)/" in result.lines[0]
    vm = json.loads(result.lines[1])
    assert vm["state"] == 2 and isinstance(vm["disks"], dict)


def test_wrong_password_is_auth_failed(serve) -> None:
    host = FakeHost(lines=HEALTHY)
    result = scan(serve, host, password="not-the-password")
    assert result.status == "auth-failed"
    assert "401" in result.reason
    assert result.lines == ()
    assert host.auth_failures >= 1
    assert host.invocations == 0


def test_host_rejecting_every_credential(serve) -> None:
    host = FakeHost(lines=HEALTHY, behaviour="wrong-password")
    assert scan(serve, host).status == "auth-failed"


def test_closed_port_is_unreachable_without_waiting_for_the_deadline() -> None:
    host = FakeHost()
    target = parse_target(f"127.0.0.1:{closed_port()}", http=True)
    started = time.monotonic()
    result = collect_host(target, options_for(host), SCRIPT)
    assert result.status == "unreachable"
    assert "refused" in result.reason
    assert time.monotonic() - started < options_for(host).timeout


def test_unknown_host_name_is_unreachable() -> None:
    target = parse_target("no-such-host.invalid", http=True)
    result = collect_host(target, options_for(FakeHost(), timeout=5), SCRIPT)
    assert result.status == "unreachable"


@pytest.fixture(scope="module")
def deadline_scan() -> dict[str, tuple[FakeHost, HostResult]]:
    """Hosts that miss a 1 s deadline in three ways, scanned together to share the wait."""
    hosts = {
        "slow": FakeHost(lines=HEALTHY, behaviour="slow"),
        "stalling": FakeHost(lines=HEALTHY[:2], behaviour="stalling"),
        "unresponsive": FakeHost(lines=HEALTHY, behaviour="unresponsive"),
    }
    with pytest.MonkeyPatch.context() as patch, FakeFleet(hosts.values()) as fleet:
        patch.setattr(scan_session, "WATCHDOG_GRACE_S", 0.5)
        targets = [parse_target(url) for url in fleet.urls]
        results = collect_all(targets, options_for(hosts["slow"], timeout=1.0), SCRIPT, workers=3)
    return {
        name: (host, result) for (name, host), result in zip(hosts.items(), results, strict=True)
    }


def test_slow_host_times_out_and_is_cleaned_up(deadline_scan) -> None:
    host, result = deadline_scan["slow"]
    assert result.status == "timeout"
    assert "within 1 s" in result.reason
    assert result.lines == ()
    # Stopped at the 1 s deadline, not when the host gives up (it never does).
    assert 1.0 <= result.elapsed_s < 1.0 + 5.0
    assert host.invocations == 1
    assert host.signals == [CTRL_C]  # the pipeline was stopped ...
    assert host.shells_deleted == 1  # ... and the shell deleted


def test_timeout_keeps_records_already_received(deadline_scan) -> None:
    host, result = deadline_scan["stalling"]
    assert result.status == "timeout"
    assert list(result.lines) == HEALTHY[:2]
    assert "2 output lines kept" in result.reason
    assert host.signals == [CTRL_C]


def test_unresponsive_host_is_abandoned_by_the_watchdog(deadline_scan) -> None:
    _, result = deadline_scan["unresponsive"]
    assert result.status == "timeout"
    assert "stopped answering" in result.reason
    assert 1.0 <= result.elapsed_s < 1.0 + 5.0


def test_truncated_output_is_partial(serve) -> None:
    result = scan(serve, FakeHost(lines=HEALTHY, behaviour="truncated"))
    assert result.status == "partial"
    assert "no end record" in result.reason
    assert list(result.lines) == HEALTHY[:-1]


def test_non_terminating_errors_are_partial(serve) -> None:
    host = FakeHost(lines=HEALTHY, behaviour="nonterminating")
    result = scan(serve, host)
    assert result.status == "partial"
    assert "1 non-terminating errors" in result.reason
    assert "required permission" in result.reason
    assert list(result.lines) == HEALTHY
    assert any("required permission" in warning for warning in result.warnings)


def test_failing_script_is_script_error(serve) -> None:
    host = FakeHost(lines=[], behaviour="failing")
    result = scan(serve, host)
    assert result.status == "script-error"
    assert result.reason == "terminating error: Hyper-V module not available: Get-VM failed."
    assert host.invocations == 1


def test_failure_after_some_records_keeps_them_as_partial(serve) -> None:
    result = scan(serve, FakeHost(lines=HEALTHY[:2], behaviour="failing"))
    assert result.status == "partial"
    assert "terminating error after 1 VM records" in result.reason
    assert list(result.lines) == HEALTHY[:2]


def test_lying_host_is_bad_output(serve) -> None:
    result = scan(serve, FakeHost(lines=HEALTHY, behaviour="lying"))
    assert result.status == "bad-output"
    assert "5 of 5 output lines are not JSON records" in result.reason
    assert "1 output objects were not strings" in result.warnings
    assert "42" in result.lines


def test_no_output_is_bad_output(serve) -> None:
    result = scan(serve, FakeHost(lines=[]))
    assert result.status == "bad-output"
    assert result.reason == "the script returned no output"


@pytest.mark.parametrize(
    ("behaviour", "fragment"),
    [("fault", "WSMan fault 0x803381A6"), ("malformed", "malformed SOAP")],
)
def test_protocol_errors(serve, behaviour: str, fragment: str) -> None:
    result = scan(serve, FakeHost(lines=HEALTHY, behaviour=behaviour))
    assert result.status == "protocol-error"
    assert fragment in result.reason


def test_large_output_spans_many_receives(serve) -> None:
    vm = json.loads(HEALTHY[1])
    lines = [HEALTHY[0]]
    for index in range(300):
        vm.update(name=f"VM-{index:04d}", notes="x" * 500)
        lines.append(json.dumps(vm, separators=(",", ":")))
    lines.append(json.dumps({"kind": "end", "vmCount": 300, "errors": []}))
    result = scan(serve, FakeHost(lines=lines))
    assert result.status == "ok"
    assert result.reason == "300 VMs"
    assert list(result.lines) == lines


def test_multi_line_records_are_compacted(serve) -> None:
    pretty = json.dumps(json.loads(HEALTHY[0]), indent=2)
    result = scan(serve, FakeHost(lines=[pretty, *HEALTHY[1:]]))
    assert result.status == "ok"
    assert result.lines[0] == json.dumps(json.loads(HEALTHY[0]), separators=(",", ":"))
    assert "1 records spanned several lines and were re-serialised" in result.warnings


def test_invalid_options_raise_before_connecting() -> None:
    options = ConnectionOptions(username="u", password="p", auth="basic")
    with pytest.raises(ValueError, match="clear text"):
        collect_host(parse_target("http://127.0.0.1:1/wsman"), options, SCRIPT)
