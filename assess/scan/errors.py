"""Map exceptions from the transport, authentication and PSRP layers to host statuses."""

from __future__ import annotations

import errno
import socket
import xml.etree.ElementTree as ET

import requests
from pypsrp.exceptions import (
    AuthenticationError,
    WinRMError,
    WinRMTransportError,
    WSManFaultError,
)

from assess.scan.redact import Redactor
from assess.scan.transport import HostAbandoned, HostSentTooMuch

try:  # pyspnego is a pypsrp dependency; guard anyway so a broken install still maps errors.
    from spnego.exceptions import SpnegoError
except ImportError:  # pragma: no cover
    SpnegoError = None  # type: ignore[assignment, misc]

# WSMan fault codes worth naming.
WSMAN_ACCESS_DENIED = 5
WSMAN_OPERATION_TIMEOUT = 0x80338029  # 2150858793
WSMAN_SHELL_NOT_FOUND = 0x8033805B  # 2150858843


class ScanError(RuntimeError):
    """A scan step failed; the message is one line and carries no secret."""

    def __init__(self, message: str, status: str = "protocol-error") -> None:
        super().__init__(message)
        self.status = status


def classify_exception(
    exc: BaseException, redactor: Redactor, *, connected: bool, port: int
) -> tuple[str, str]:
    """(status, one-line reason) for an exception raised while talking to a host.

    ``connected`` tells whether the WinRM service had answered at least once: a
    connection error before that means the host was never reached.
    """
    if isinstance(exc, HostSentTooMuch):
        return "bad-output", str(exc)
    if isinstance(exc, HostAbandoned):
        return "timeout", "the host was still sending at its deadline; connection closed"
    if isinstance(exc, AuthenticationError):
        return (
            "auth-failed",
            "authentication rejected (HTTP 401): check the user, password and --auth",
        )
    if SpnegoError is not None and isinstance(exc, SpnegoError):
        return "auth-failed", f"authentication failed: {redactor.line(exc)}"
    if type(exc).__name__ == "AuthenticationException":  # requests-credssp
        return "auth-failed", f"CredSSP authentication failed: {redactor.line(exc)}"
    if isinstance(exc, requests.exceptions.SSLError):
        detail = _root(exc, redactor)
        if "CERTIFICATE_VERIFY_FAILED" in detail or "certificate verify failed" in detail:
            return "unreachable", f"TLS certificate not trusted (see --ca-bundle): {detail}"
        return "unreachable", f"TLS handshake failed: {detail}"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "unreachable", "no answer to the connection attempt (connect timeout)"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "timeout", "the host stopped answering (read timeout)"
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = _connection_reason(exc, redactor, port)
        if connected:
            return "protocol-error", f"connection lost: {reason}"
        return "unreachable", reason
    if isinstance(exc, WSManFaultError):
        return _fault(exc, redactor)
    if isinstance(exc, WinRMTransportError):
        return "protocol-error", f"HTTP {exc.code} from the WinRM service"
    if isinstance(exc, ET.ParseError):
        return "protocol-error", "malformed SOAP response (not XML)"
    if isinstance(exc, WinRMError):
        return "protocol-error", f"{type(exc).__name__}: {redactor.line(exc)}"
    if isinstance(exc, requests.exceptions.RequestException):
        return "protocol-error", f"HTTP error: {_root(exc, redactor)}"
    return "protocol-error", f"unexpected {type(exc).__name__}: {redactor.line(exc)}"


def _fault(exc: WSManFaultError, redactor: Redactor) -> tuple[str, str]:
    text = redactor.line(exc.reason or "no details", limit=200)
    if exc.code == WSMAN_ACCESS_DENIED:
        return "auth-failed", f"access denied by the WinRM service: {text}"
    if exc.code == WSMAN_SHELL_NOT_FOUND:
        return "protocol-error", "the remote shell disappeared (WinRM restarted or idle timeout?)"
    code = f"0x{exc.code:08X}" if isinstance(exc.code, int) else str(exc.code)
    return "protocol-error", f"WSMan fault {code}: {text}"


def _connection_reason(exc: BaseException, redactor: Redactor, port: int) -> str:
    for cause in _chain(exc):
        if isinstance(cause, socket.gaierror):
            return "host name not found (DNS)"
        if type(cause).__name__ == "NameResolutionError":
            return "host name not found (DNS)"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused on port {port} (is WinRM listening?)"
        if isinstance(cause, OSError) and cause.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return "no route to host"
        if isinstance(cause, ConnectionResetError):
            return "connection reset by the host"
    return f"cannot connect: {_root(exc, redactor)}"


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, its causes and contexts, and urllib3's ``reason`` attributes."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is s for s in seen) or len(seen) > 20:
            continue
        seen.append(item)
        todo.extend([item.__cause__, item.__context__])
        reason = getattr(item, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
        for arg in item.args:
            if isinstance(arg, BaseException):
                todo.append(arg)
    return seen


def _root(exc: BaseException, redactor: Redactor) -> str:
    """The innermost message, without urllib3's pool and object noise."""
    chain = _chain(exc)
    message = str(chain[-1]) or str(exc)
    return redactor.line(message, limit=160)
