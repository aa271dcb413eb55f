"""The password never appears in results, reasons, warnings, exceptions or log lines."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
from pathlib import Path

import pytest
from pypsrp.powershell import RunspacePool

from assess.scan import (
    ConnectionOptions,
    HostResult,
    ScanError,
    cluster_nodes,
    collect_all,
    collect_host,
    parse_target,
)
from tests.fakewsman import FakeFleet, FakeHost, FakeWSManServer, closed_port, options_for

SECRET = "Xq7!s3cret Pa55/word"
USER = "corp\\scanner"
FORMS = [
    SECRET,
    base64.b64encode(f"{USER}:{SECRET}".encode()).decode(),
    "Xq7%21s3cret%20Pa55%2Fword",
]
FIXTURES = Path(__file__).parent.parent / "fixtures" / "scan"
HEALTHY = (FIXTURES / "healthy.jsonl").read_text(encoding="utf-8").splitlines()


def leaky_lines() -> list[str]:
    """Output in which the host echoes the password (it must be masked on the way in)."""
    vm = json.loads(HEALTHY[1])
    vm["notes"] = f"admin password is {SECRET}"
    return [HEALTHY[0], json.dumps(vm), HEALTHY[-1].replace('"vmCount":2', '"vmCount":1')]


def host(**fields: object) -> FakeHost:
    return FakeHost(username=USER, password=SECRET, **fields)  # type: ignore[arg-type]


def assert_clean(text: str) -> None:
    for form in FORMS:
        assert form not in text


def assert_result_clean(result: HostResult) -> None:
    assert_clean(repr(result))
    for value in dataclasses.astuple(result):
        assert_clean(str(value))
    for line in result.lines:
        assert_clean(line)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # root: pypsrp, requests, urllib3, spnego, assess, the fake
    return caplog


@pytest.mark.slow
def test_password_never_appears(debug_logs: pytest.LogCaptureFixture, capsys) -> None:
    hosts = [
        host(lines=leaky_lines()),
        host(lines=leaky_lines(), behaviour="nonterminating", error_messages=[f"bad {SECRET}"]),
        host(behaviour="failing", failure_message=f"cannot log on with {SECRET}"),
        host(lines=HEALTHY, behaviour="slow"),
        host(lines=HEALTHY, behaviour="fault"),
        host(lines=HEALTHY, behaviour="malformed"),
        host(lines=HEALTHY, behaviour="lying"),
        FakeHost(username=USER, password="the-server-expects-another"),
    ]
    options = options_for(hosts[0], timeout=1.0)
    assert options.password == SECRET
    with FakeFleet(hosts) as fleet:
        targets = [parse_target(url) for url in fleet.urls]
        targets.append(parse_target(f"127.0.0.1:{closed_port()}", http=True))
        targets.append(parse_target("no-such-host.invalid", http=True))
        results = collect_all(targets, options, "'collector'", workers=len(targets))

    statuses = [r.status for r in results]
    assert statuses[:8] == [
        "ok",
        "partial",
        "script-error",
        "timeout",
        "protocol-error",
        "protocol-error",
        "bad-output",
        "auth-failed",
    ]
    assert statuses[8:] == ["unreachable", "unreachable"]
    for result in results:
        assert_result_clean(result)
    assert "***" in results[0].lines[1]  # masked, not dropped
    assert any("***" in warning for warning in results[1].warnings)
    assert "***" in results[2].reason

    assert_clean(debug_logs.text)
    for record in debug_logs.records:
        assert_clean(record.getMessage())
    assert any(r.name.startswith("pypsrp") for r in debug_logs.records)  # DEBUG really on
    captured = capsys.readouterr()
    assert_clean(captured.out + captured.err)


def test_exception_text_from_the_stack_is_masked(
    monkeypatch: pytest.MonkeyPatch, debug_logs: pytest.LogCaptureFixture
) -> None:
    def open_and_leak(self: RunspacePool, *args: object, **kwargs: object) -> None:
        raise RuntimeError(f"negotiation failed for {USER} with password {SECRET}\nretry")

    monkeypatch.setattr(RunspacePool, "open", open_and_leak)
    fake = host(lines=HEALTHY)
    with FakeWSManServer(fake) as server:
        result = collect_host(parse_target(server.url), options_for(fake), "'collector'")
    assert result.status == "protocol-error"
    assert "***" in result.reason and "\n" not in result.reason
    assert_result_clean(result)
    assert_clean(debug_logs.text)


def test_cluster_errors_are_masked(debug_logs: pytest.LogCaptureFixture) -> None:
    fake = host(behaviour="failing", failure_message=f"node query failed: {SECRET}")
    with FakeWSManServer(fake) as server, pytest.raises(ScanError) as caught:
        cluster_nodes(parse_target(server.url), options_for(fake), "'nodes'")
    assert_clean(str(caught.value))
    assert_clean(repr(caught.value))
    wrong = FakeHost(username=USER, password="other")
    with FakeWSManServer(wrong) as server, pytest.raises(ScanError) as caught:
        cluster_nodes(parse_target(server.url), options_for(fake), "'nodes'")
    assert caught.value.status == "auth-failed"
    assert_clean(str(caught.value))
    assert_clean(debug_logs.text)


def test_options_and_usage_errors_never_show_it() -> None:
    options = ConnectionOptions(username=USER, password=SECRET, auth="basic", http=True)
    assert_clean(repr(options))
    with pytest.raises(ValueError) as caught:
        options.validate()
    assert_clean(str(caught.value))
    with pytest.raises(ValueError) as caught:
        parse_target(f"http://scanner:{SECRET}@hv01:5985/wsman")
    assert_clean(str(caught.value))
