"""Build the pypsrp WSMan connection for one target, and bound its waits by a deadline."""

from __future__ import annotations

import contextlib
import math
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from pypsrp.wsman import WSMan

from assess.scan.options import ConnectionOptions
from assess.scan.targets import Target

# The longest a single WSMan operation may wait on the server (pypsrp's default).
MAX_OPERATION_S = 20
# Extra HTTP read time beyond the WSMan operation timeout: the server answers at
# the operation timeout at the latest, the network adds a little. pypsrp itself
# uses 2 s when polling with an explicit timeout.
READ_SLACK_S = 2


def encryption_mode(target: Target, options: ConnectionOptions) -> str:
    """pypsrp ``encryption``: TLS on HTTPS; message encryption on HTTP, except basic.

    Basic over HTTP is only reachable when ``allow_unencrypted`` was given
    (:meth:`ConnectionOptions.validate_target` refuses it otherwise).
    """
    if target.scheme == "https":
        return "auto"
    return "never" if options.auth == "basic" else "always"


def cert_validation(options: ConnectionOptions) -> bool | str:
    """``False`` with --no-verify, the bundle path with --ca-bundle, else ``True``."""
    if not options.verify:
        return False
    return options.ca_bundle or True


def wsman_arguments(target: Target, options: ConnectionOptions) -> dict[str, Any]:
    """Keyword arguments for :class:`pypsrp.wsman.WSMan`. Contains the password: never log it."""
    arguments: dict[str, Any] = {
        "server": target.host,
        "port": target.port,
        "path": target.path,
        "ssl": target.scheme == "https",
        "username": options.username,
        "password": options.password,
        "auth": options.auth,
        "cert_validation": cert_validation(options),
        "encryption": encryption_mode(target, options),
        "connection_timeout": max(1, math.ceil(options.connect_timeout)),
        "operation_timeout": MAX_OPERATION_S,
        "read_timeout": MAX_OPERATION_S + READ_SLACK_S,
        # Like PowerShell's own client: WinRM traffic does not go through a web proxy
        # set in the environment for internet access.
        "no_proxy": True,
        "reconnection_retries": 0,
    }
    if options.auth == "certificate":
        arguments["certificate_pem"] = options.cert_pem
        arguments["certificate_key_pem"] = options.cert_key_pem
    return arguments


def open_wsman(target: Target, options: ConnectionOptions) -> WSMan:
    """A WSMan connection object (no network traffic until the first request)."""
    return WSMan(**wsman_arguments(target, options))


def bound_waits(wsman: WSMan, remaining_s: float, connect_timeout: float) -> int:
    """Cap the next requests' waits so that none outlives the deadline by much.

    Returns the WSMan operation timeout now in force (whole seconds, at least 1:
    WinRM does not take fractions reliably).
    """
    operation = max(1, min(MAX_OPERATION_S, math.ceil(remaining_s)))
    wsman.operation_timeout = operation
    transport = wsman.transport
    transport.read_timeout = operation + READ_SLACK_S
    transport.connection_timeout = max(1, min(math.ceil(connect_timeout), math.ceil(remaining_s)))
    return operation


# --- What one host may send ------------------------------------------------------------
# WinRM answers within the envelope size the client asks for (pypsrp: 150 KiB); a body
# many times larger is not a WinRM answer.
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
# Everything one host may send over one scan (SOAP, base64 and PSRP overhead included):
# the largest Hyper-V host (1,024 VMs) sends well under a tenth of this.
MAX_HOST_WIRE_BYTES = 256 * 1024 * 1024
READ_CHUNK = 64 * 1024


class HostSentTooMuch(Exception):
    """The host sent more than a WinRM host ever needs to; its connection was closed."""


class HostAbandoned(Exception):
    """The host's deadline (plus grace) passed while its answer was still arriving."""


class ResponseGuard:
    """Reads every HTTP answer of one host within bounds, and can cut it off.

    Installed on the connection's HTTP adapters: each body is read here in chunks
    (``stream=True`` underneath), never whole by ``requests``. A body over
    :data:`MAX_RESPONSE_BYTES`, a host over :data:`MAX_HOST_WIRE_BYTES` in total, or
    a read still going after ``hard_deadline`` (the host's deadline; moved on by the
    caller for the cleanup requests) closes the connection and raises.
    :meth:`abandon` (from another thread) shuts the socket being read, so a thread
    blocked in ``recv`` wakes up at once instead of reading on.
    """

    def __init__(self, hard_deadline: float) -> None:
        self.hard_deadline = hard_deadline
        self.received = 0
        self._abandoned = threading.Event()
        self._lock = threading.Lock()
        self._current: Any = None

    def install(self, wsman: WSMan) -> None:
        transport = wsman.transport
        if transport.session is None:
            transport.session = transport._build_session()
        for adapter in transport.session.adapters.values():
            adapter.send = self._wrap(adapter.send)  # type: ignore[method-assign]

    def abandon(self) -> None:
        """Stop reading: shut the socket of the answer being read, refuse new ones."""
        self._abandoned.set()
        with self._lock:
            current = self._current
        if current is not None:
            _shutdown(current)

    def _wrap(self, send: Callable[..., Any]) -> Callable[..., Any]:
        def bounded_send(request: Any, **kwargs: Any) -> Any:
            if self._abandoned.is_set():
                raise HostAbandoned("the host's time is up")
            kwargs["stream"] = True
            response = send(request, **kwargs)
            response._content = self._read(response.raw)
            response._content_consumed = True
            return response

        return bounded_send

    def _read(self, raw: Any) -> bytes:
        with self._lock:
            self._current = raw
        chunks: list[bytes] = []
        size = 0
        read = getattr(raw, "read1", None) or raw.read
        try:
            while True:
                if self._abandoned.is_set() or time.monotonic() > self.hard_deadline:
                    raise HostAbandoned("the host's time is up")
                chunk = read(READ_CHUNK)
                if not chunk:
                    with contextlib.suppress(Exception):
                        raw.release_conn()
                    return b"".join(chunks)
                size += len(chunk)
                self.received += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise HostSentTooMuch(
                        f"one answer was over {MAX_RESPONSE_BYTES // (1024 * 1024)} MiB "
                        "(a WinRM answer is far smaller); connection closed"
                    )
                if self.received > MAX_HOST_WIRE_BYTES:
                    raise HostSentTooMuch(
                        f"the host sent over {MAX_HOST_WIRE_BYTES // (1024 * 1024)} MiB; "
                        "connection closed"
                    )
                chunks.append(chunk)
        except BaseException:
            _shutdown(raw)
            raise
        finally:
            with self._lock:
                self._current = None


def _shutdown(raw: Any) -> None:
    """Close the socket under a urllib3 response, waking a thread blocked reading it."""
    connection = getattr(raw, "_connection", None) or getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        raw.close()
