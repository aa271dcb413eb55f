"""A fake WinRM (WSMan over HTTP) endpoint that the real pypsrp client can talk to.

Scope and limits:

* HTTP only, on 127.0.0.1 with an ephemeral port; each ``FakeWSManServer`` is one
  host. Many can run in one process (one listening thread each, plus one thread
  per client connection).
* Authentication is HTTP Basic only: clients must use ``auth="basic"`` with
  ``http=True, allow_unencrypted=True``. A wrong user or password gets HTTP 401.
  NTLM, Kerberos, CredSSP and certificate authentication, TLS and WinRM message
  encryption are NOT implemented; those paths can only be verified against a
  real Windows host.
* Actions: Create (the shell, with the runspace pool's ``creationXml``), Command
  (a pipeline, creation fragment in ``Arguments``), Send, Receive, Signal
  (``powershell/signal/ctrl_c`` and Terminate) and Delete. A Receive with
  nothing to return waits for the request's ``OperationTimeout`` and answers the
  ``w:TimedOut`` fault (2150858793) that pypsrp treats as "poll again"; an
  unknown ShellId gets the shell-not-found fault (2150858843).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.fakewsman import host as behaviours
from tests.fakewsman import soap
from tests.fakewsman.host import FakeHost
from tests.fakewsman.shell import FakeShell, ShellGone

log = logging.getLogger("tests.fakewsman")

# Upper bound for one Receive wait, whatever the client asks.
MAX_RECEIVE_WAIT_S = 60.0
# Bounds of the endless body: it stops after this many bytes or seconds, or when the
# client hangs up, whichever comes first.
ENDLESS_BODY_MAX_BYTES = 8 * 1024**3
ENDLESS_BODY_MAX_S = 120.0
DRIP_PAUSE_S = 0.2
ENDLESS_CHUNK = b"<junk>" + b"A" * (64 * 1024 - 13) + b"</junk>"


class _Endpoint:
    """The WSMan shell service of one fake host."""

    def __init__(self, host: FakeHost, url: str) -> None:
        self.host = host
        self.url = url
        self.stopping = threading.Event()
        self._shells: dict[str, FakeShell] = {}
        self._lock = threading.Lock()

    def handle(self, request: soap.Request) -> tuple[int, bytes]:
        handlers = {
            soap.ACTION_CREATE: self._create,
            soap.ACTION_COMMAND: self._command,
            soap.ACTION_SEND: self._send,
            soap.ACTION_RECEIVE: self._receive,
            soap.ACTION_SIGNAL: self._signal,
            soap.ACTION_DELETE: self._delete,
        }
        handler = handlers.get(request.action)
        if handler is None:
            return 500, self._fault(
                request,
                soap.FAULT_ACTION_NOT_SUPPORTED,
                "ActionNotSupported",
                "Unsupported action.",
            )
        try:
            return handler(request)
        except (ShellGone, KeyError):
            shell_id = request.selectors.get("ShellId", "")
            reason = (
                f"The request for the Windows Remote Shell with ShellId {shell_id} failed "
                "because the shell was not found on the server."
            )
            return 500, self._fault(request, soap.FAULT_SHELL_NOT_FOUND, "InvalidSelectors", reason)

    def stop(self) -> None:
        self.stopping.set()
        with self._lock:
            shells = list(self._shells.values())
        for shell in shells:
            shell.wake()

    # --- actions ------------------------------------------------------------------
    def _create(self, request: soap.Request) -> tuple[int, bytes]:
        if self.host.behaviour == behaviours.FAULT:
            reason = "The maximum number of concurrent shells for this user has been exceeded."
            return 500, self._fault(request, soap.FAULT_MAX_SHELLS, "QuotaLimit", reason)
        if self.host.behaviour == behaviours.MALFORMED:
            return 200, b"<s:Envelope><this is not XML"
        element = request.find("rsp:Shell")
        shell_id = (element.attrib.get("ShellId") if element is not None else None) or str(
            uuid.uuid4()
        )
        shell_id = shell_id.upper()
        shell = FakeShell(self.host, shell_id, self.stopping)
        with self._lock:
            self._shells[shell_id] = shell
        self.host.record(shells_created=1)
        creation = request.find("rsp:Shell/pwsh:creationXml")
        if creation is not None and creation.text:
            shell.feed(_b64(creation.text), None)
        return 200, soap.create_response(request, self.url, shell_id, self.host.username)

    def _command(self, request: soap.Request) -> tuple[int, bytes]:
        shell = self._shell(request)
        command = request.find("rsp:CommandLine")
        if command is None:
            raise KeyError("CommandLine")
        command_id = (command.attrib.get("CommandId") or str(uuid.uuid4())).upper()
        pipeline_id = uuid.UUID(command_id)
        shell.add_pipeline(pipeline_id)
        for argument in command.findall("rsp:Arguments", soap.NS):
            if argument.text:
                shell.feed(_b64(argument.text), pipeline_id)
        return 200, soap.command_response(request, command_id)

    def _send(self, request: soap.Request) -> tuple[int, bytes]:
        shell = self._shell(request)
        stream = request.find("rsp:Send/rsp:Stream")
        if stream is None:
            raise KeyError("Stream")
        command_id = stream.attrib.get("CommandId")
        pipeline_id = uuid.UUID(command_id) if command_id else None
        shell.feed(_b64(stream.text or ""), pipeline_id, stream.attrib.get("Name", "stdin"))
        return 200, soap.empty_response(request, f"{soap.SHELL}/SendResponse", "rsp:SendResponse")

    def _receive(self, request: soap.Request) -> tuple[int, bytes]:
        shell = self._shell(request)
        desired = request.find("rsp:Receive/rsp:DesiredStream")
        command_id = desired.attrib.get("CommandId") if desired is not None else None
        pipeline_id = uuid.UUID(command_id) if command_id else None
        if pipeline_id is not None and self.host.behaviour == behaviours.UNRESPONSIVE:
            self.stopping.wait()  # no answer at all until the server stops
            raise ShellGone
        if pipeline_id is not None and self.host.behaviour == behaviours.ENDLESS_BODY:
            return 200, _endless_body(self.stopping)
        if pipeline_id is not None and self.host.behaviour == behaviours.DRIPPING:
            return 200, _endless_body(self.stopping, pause_s=DRIP_PAUSE_S)
        wait = min(request.operation_timeout_s, MAX_RECEIVE_WAIT_S)
        got = shell.receive(pipeline_id, wait)
        if got is None:
            reason = (
                "The WS-Management service cannot complete the operation within the time "
                "specified in OperationTimeout."
            )
            return 500, self._fault(request, soap.FAULT_OPERATION_TIMEOUT, "TimedOut", reason)
        data, done = got
        encoded = base64.b64encode(data).decode("ascii")
        return 200, soap.receive_response(request, encoded, command_id, done)

    def _signal(self, request: soap.Request) -> tuple[int, bytes]:
        shell = self._shell(request)
        signal = request.find("rsp:Signal")
        code = request.find("rsp:Signal/rsp:Code")
        if signal is None or code is None:
            raise KeyError("Signal")
        self.host.record(signals=(code.text or "").strip())
        shell.signal(uuid.UUID(signal.attrib["CommandId"]), (code.text or "").strip())
        return 200, soap.empty_response(
            request, f"{soap.SHELL}/SignalResponse", "rsp:SignalResponse"
        )

    def _delete(self, request: soap.Request) -> tuple[int, bytes]:
        with self._lock:
            shell = self._shells.pop(request.selectors.get("ShellId", "").upper())
        shell.close()
        self.host.record(shells_deleted=1)
        return 200, soap.empty_response(request, f"{soap.TRANSFER}/DeleteResponse", None)

    def _shell(self, request: soap.Request) -> FakeShell:
        with self._lock:
            return self._shells[request.selectors.get("ShellId", "").upper()]

    def _fault(self, request: soap.Request, code: int, subcode: str, reason: str) -> bytes:
        return soap.fault(request.message_id, code, subcode, reason, self.host.name)


def _endless_body(stopping: threading.Event, pause_s: float = 0.0) -> Iterator[bytes]:
    """A body that goes on (bounded in bytes and time, and by the server stopping);
    with ``pause_s``, a few bytes at a time, never slow enough for a read timeout."""
    started = time.monotonic()
    sent = 0
    while sent < ENDLESS_BODY_MAX_BYTES and time.monotonic() - started < ENDLESS_BODY_MAX_S:
        if pause_s:
            if stopping.wait(pause_s):
                return
            yield b"<drip/>"
            sent += 7
            continue
        if stopping.is_set():
            return
        yield ENDLESS_CHUNK
        sent += len(ENDLESS_CHUNK)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raise KeyError("base64") from None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    endpoint: _Endpoint

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (read timeout, closed connection): not a test failure.
        log.debug("connection from %s ended abruptly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as pypsrp's requests session expects
    server_version = "Microsoft-HTTPAPI/2.0"
    timeout = 30  # close idle keep-alive connections
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        endpoint = self.server.endpoint
        if not self._authorised(endpoint.host):
            endpoint.host.record(auth_failures=1)
            self._reply(401, b"", {"WWW-Authenticate": 'Basic realm="WSMAN"'})
            return
        if self.headers.get("Content-Type", "").startswith("multipart/"):
            self._reply(415, b"message encryption is not supported by the fake endpoint")
            return
        try:
            request = soap.parse_request(data)
        except soap.SoapError as err:
            self._reply(400, str(err).encode())
            return
        status, body = endpoint.handle(request)
        self._reply(status, body)

    def _authorised(self, host: FakeHost) -> bool:
        if host.behaviour == behaviours.WRONG_PASSWORD:
            return False
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == host.username and password == host.password

    def _reply(
        self, status: int, body: bytes | Iterator[bytes], headers: dict[str, str] | None = None
    ) -> None:
        if not isinstance(body, bytes):
            self._stream(status, body)
            return
        self.send_response(status)
        self.send_header("Content-Type", "application/soap+xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, status: int, chunks: Iterator[bytes]) -> None:
        """Send ``chunks`` with chunked transfer encoding until they end or the client leaves."""
        self.send_response(status)
        self.send_header("Content-Type", "application/soap+xml;charset=UTF-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client hung up: what a bounded client does
            self.close_connection = True
            self.server.endpoint.host.record(hangups=1)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class FakeWSManServer:
    """One fake host listening on 127.0.0.1; use as a context manager."""

    def __init__(
        self, host: FakeHost | None = None, address: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.host = host if host is not None else FakeHost()
        self.bind = (address, port)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FakeWSManServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> FakeWSManServer:
        httpd = _HTTPServer(self.bind, _Handler)
        port = httpd.server_address[1]
        httpd.endpoint = _Endpoint(self.host, f"http://{self.bind[0]}:{port}/wsman")
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.5},
            name=f"fakewsman-{port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.endpoint.stop()
        # shutdown() waits for the serve loop to notice; a connection wakes it at once
        # instead of after the poll interval.
        stopper = threading.Thread(target=httpd.shutdown, daemon=True)
        stopper.start()
        while stopper.is_alive():
            with (
                contextlib.suppress(OSError),
                socket.create_connection(httpd.server_address[:2], timeout=0.5),
            ):
                pass
            stopper.join(0.01)
        httpd.server_close()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fake endpoint is not running")
        return int(self._httpd.server_address[1])

    @property
    def address(self) -> str:
        """``ADDRESS:PORT``: a scan target (with ``http=True``)."""
        return f"{self.bind[0]}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.bind[0]}:{self.port}/wsman"


class FakeFleet:
    """Many fake hosts at once, started and stopped together (stop runs in parallel)."""

    def __init__(self, hosts: Iterable[FakeHost]) -> None:
        self.servers = [FakeWSManServer(host) for host in hosts]

    def __enter__(self) -> FakeFleet:
        try:
            for server in self.servers:
                server.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __iter__(self) -> Iterator[FakeWSManServer]:
        return iter(self.servers)

    def __len__(self) -> int:
        return len(self.servers)

    @property
    def hosts(self) -> list[FakeHost]:
        return [server.host for server in self.servers]

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def stop(self) -> None:
        threads = [threading.Thread(target=server.stop, daemon=True) for server in self.servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)


def closed_port() -> int:
    """A local port with nothing listening (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
