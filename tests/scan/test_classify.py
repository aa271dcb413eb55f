"""Status rules, exception mapping and redaction, without a network."""

from __future__ import annotations

import base64
import json
import socket
import xml.etree.ElementTree as ET

import pytest
import requests
import urllib3
from pypsrp.exceptions import AuthenticationError, WinRMTransportError, WSManFaultError

from assess.scan import HostResult
from assess.scan.classify import RawRun, classify, parse_records
from assess.scan.errors import classify_exception
from assess.scan.redact import MASK, Redactor

HOST = json.dumps({"kind": "host", "computerName": "HV01", "errors": []})
VM = json.dumps({"kind": "vm", "name": "A", "errors": []})
END = json.dumps({"kind": "end", "vmCount": 1, "errors": []})


def verdict(**fields: object) -> tuple[str, str]:
    result = classify(RawRun(**fields))  # type: ignore[arg-type]
    return result.status, result.reason


def test_ok() -> None:
    assert verdict(lines=[HOST, VM, END]) == ("ok", "1 VM")


def test_unknown_kinds_and_keys_are_kept() -> None:
    extra = json.dumps({"kind": "note", "text": "future record", "x": 1})
    assert verdict(lines=[HOST, extra, VM, END])[0] == "ok"


@pytest.mark.parametrize(
    ("lines", "fragment"),
    [
        ([HOST, VM], "no end record after 1 VM records"),
        ([HOST, END.replace('"vmCount": 1', '"vmCount": 3')], "counts 3 VMs, 0 arrived"),
        ([HOST.replace('"errors": []', '"errors": ["WMI timeout"]'), VM, END], "(host)"),
        ([HOST, VM.replace('"errors": []', '"errors": {"what": "kvp"}'), END], "(vm)"),
        ([HOST, VM, END.replace('"errors": []', '"errors": "one error"')], "(end)"),
    ],
)
def test_partial(lines: list[str], fragment: str) -> None:
    status, reason = verdict(lines=lines)
    assert status == "partial"
    assert fragment in reason


def test_partial_with_non_terminating_errors_lists_them() -> None:
    result = classify(RawRun(lines=[HOST, VM, END], errors=["access denied", "other"]))
    assert result.status == "partial"
    assert "2 non-terminating errors (first: access denied)" in result.reason
    assert result.warnings == ("error: access denied", "error: other")


def test_several_partial_reasons_are_joined() -> None:
    status, reason = verdict(lines=[HOST, VM], errors=["x"])
    assert status == "partial"
    assert "non-terminating" in reason and "no end record" in reason


@pytest.mark.parametrize(
    ("fields", "status", "fragment"),
    [
        ({"lines": []}, "bad-output", "no output"),
        ({"lines": ["not json"]}, "bad-output", "1 of 1 output lines"),
        ({"lines": [HOST, "[1, 2]", END]}, "bad-output", "1 of 3"),
        ({"lines": [HOST, '{"name": "no kind"}']}, "bad-output", "not JSON records"),
        ({"lines": [HOST, '{"kind": 5}']}, "bad-output", "not JSON records"),
        ({"lines": [VM, END]}, "bad-output", "no host record"),
        ({"lines": [HOST, HOST, END]}, "bad-output", "2 host records"),
        ({"lines": [], "errors": ["Get-VM not found"]}, "script-error", "Get-VM not found"),
        ({"lines": [], "terminating_error": "boom"}, "script-error", "terminating error: boom"),
        ({"lines": ["junk"], "terminating_error": "boom"}, "script-error", "boom"),
        ({"lines": [HOST, VM], "terminating_error": "boom"}, "partial", "after 1 VM records: boom"),
        ({"lines": [], "stopped_remotely": True}, "script-error", "stopped on the host"),
        (
            {"lines": [HOST], "failure": ("timeout", "late")},
            "timeout",
            "late (1 output lines kept)",
        ),
        ({"failure": ("unreachable", "refused")}, "unreachable", "refused"),
    ],
)
def test_failures(fields: dict, status: str, fragment: str) -> None:
    got_status, reason = verdict(**fields)
    assert got_status == status
    assert fragment in reason


def test_parse_records_splits_good_and_bad() -> None:
    records, bad = parse_records([HOST, "nope", "42", VM])
    assert [r["kind"] for r in records] == ["host", "vm"]
    assert bad == ["nope", "42"]


def test_warnings_are_capped() -> None:
    result = classify(RawRun(lines=[HOST, VM, END], warnings=[f"w{i}" for i in range(80)]))
    assert len(result.warnings) == 50
    assert result.warnings[-1] == "... and 31 more"


def test_host_result_rejects_unknown_status() -> None:
    with pytest.raises(ValueError, match="unknown host status"):
        HostResult("hv01", "fine", "", (), 0.0)


# --- exception mapping ---------------------------------------------------------------

REDACTOR = Redactor("Pw-Secret-9", "scan")


def mapped(exc: BaseException, connected: bool = False) -> tuple[str, str]:
    return classify_exception(exc, REDACTOR, connected=connected, port=5986)


def _connection_error(cause: BaseException) -> requests.exceptions.ConnectionError:
    reason = urllib3.exceptions.NewConnectionError(None, f"failed: {cause}")  # type: ignore[arg-type]
    reason.__cause__ = cause
    error = requests.exceptions.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, "/wsman", reason)  # type: ignore[arg-type]
    )
    return error


def test_connection_failures_map_to_unreachable() -> None:
    refused = mapped(_connection_error(ConnectionRefusedError(111, "Connection refused")))
    assert refused == ("unreachable", "connection refused on port 5986 (is WinRM listening?)")
    dns = mapped(_connection_error(socket.gaierror(-2, "Name or service not known")))
    assert dns == ("unreachable", "host name not found (DNS)")
    route = mapped(_connection_error(OSError(113, "No route to host")))
    assert route == ("unreachable", "no route to host")
    assert mapped(requests.exceptions.ConnectTimeout("x"))[0] == "unreachable"
    lost = mapped(_connection_error(ConnectionResetError(104, "reset")), connected=True)
    assert lost[0] == "protocol-error" and lost[1].startswith("connection lost")


def test_tls_failures() -> None:
    verify = requests.exceptions.SSLError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
    )
    status, reason = mapped(verify)
    assert status == "unreachable" and "--ca-bundle" in reason


def test_auth_and_protocol_failures() -> None:
    assert mapped(AuthenticationError("Failed to authenticate the user scan with ntlm"))[0] == (
        "auth-failed"
    )
    denied = WSManFaultError(5, "HV01", "Access is denied.", None, None, None)
    assert mapped(denied)[0] == "auth-failed"
    quota = WSManFaultError(2150859174, "HV01", "Quota exceeded", None, None, None)
    assert mapped(quota) == ("protocol-error", "WSMan fault 0x803381A6: Quota exceeded")
    gone = WSManFaultError(2150858843, "HV01", "shell not found", None, None, None)
    assert "shell disappeared" in mapped(gone)[1]
    assert (
        mapped(WinRMTransportError("http", 500, "<html>"))[1] == "HTTP 500 from the WinRM service"
    )
    assert mapped(ET.ParseError("junk"))[1] == "malformed SOAP response (not XML)"
    assert mapped(requests.exceptions.ReadTimeout("read"))[0] == "timeout"
    assert mapped(RuntimeError("odd"))[0] == "protocol-error"


def test_exception_texts_are_redacted() -> None:
    _, reason = mapped(RuntimeError("login with Pw-Secret-9 failed\nsecond line"))
    assert "Pw-Secret-9" not in reason
    assert MASK in reason
    assert "\n" not in reason


# --- redaction ---------------------------------------------------------------------


def test_redactor_masks_plain_encoded_and_basic_header_forms() -> None:
    redactor = Redactor("p@ss word/1", "corp\\scan")
    header = base64.b64encode(b"corp\\scan:p@ss word/1").decode()
    text = f"a p@ss word/1 b p%40ss%20word%2F1 c p%40ss+word%2F1 d Basic {header}"
    cleaned = redactor.text(text)
    assert "p@ss" not in cleaned and "p%40ss" not in cleaned and header not in cleaned
    assert cleaned.count(MASK) == 4
    assert "p@ss" not in repr(redactor)


def test_redactor_line_is_one_line_and_bounded() -> None:
    redactor = Redactor(None)
    assert redactor.text("unchanged") == "unchanged"
    line = redactor.line("x\n" * 400)
    assert "\n" not in line
    assert len(line) == 300 and line.endswith("…")
