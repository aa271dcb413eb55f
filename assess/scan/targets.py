"""Scan targets: what the user typed on the command line or in a hosts file.

Accepted forms (``HOST`` in ``assess scan HOST...``)::

    hv01                       https on 5986 (or http on 5985 with --http)
    hv01.corp.example:5986     explicit port
    10.0.0.5  /  10.0.0.5:5985
    [fe80::1]:5986  /  ::1     IPv6 (brackets are needed to add a port)
    https://hv01:5986/wsman    explicit scheme, port and WSMan path

Credentials are never accepted inside a target (``user:pass@host``): they would
sit in the process list and in shell history.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = "wsman"
DEFAULT_PORTS = {"http": 5985, "https": 5986}

_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_PATH = re.compile(r"[A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]+)*")
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://(.*)", re.DOTALL)
_CREDENTIALS_HINT = "credentials are not accepted in a host; use --user and --password-env"


@dataclass(frozen=True)
class Target:
    """One WinRM endpoint. ``host`` holds IPv6 addresses without brackets."""

    host: str
    port: int
    scheme: str  # "http" | "https"
    path: str = DEFAULT_PATH

    @property
    def label(self) -> str:
        """Short display name: the host, plus the port and path only when not the defaults.

        The scheme is left out, so the same host given once over http and once over
        https gets the same label; results stay apart by their position.
        """
        text = f"[{self.host}]" if ":" in self.host else self.host
        if self.port != DEFAULT_PORTS.get(self.scheme):
            text = f"{text}:{self.port}"
        if self.path != DEFAULT_PATH:
            text = f"{text}/{self.path}"
        return text

    @property
    def url(self) -> str:
        """The WSMan endpoint URL (for messages; pypsrp builds its own)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}/{self.path}"


def parse_target(text: str, *, http: bool = False, port: int | None = None) -> Target:
    """Parse one host argument.

    ``http`` picks the scheme for forms without one; ``port`` is the port for forms
    without one (default 5985 for http, 5986 for https). A port or scheme written in
    the text wins over both. Raises ``ValueError`` with a one-line message.
    """
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"invalid port {port}: must be from 1 to 65535")
    raw = text.strip()
    if not raw:
        raise ValueError("empty host name")
    if "@" in raw:
        # Never echo the text: it may contain a password.
        raise ValueError(f"invalid host: {_CREDENTIALS_HINT}")
    if any(ch.isspace() for ch in raw):
        raise ValueError(f"invalid host {raw!r}: contains whitespace")

    scheme = "http" if http else "https"
    path = DEFAULT_PATH
    authority = raw
    url = _URL.fullmatch(raw)
    if url:
        scheme = url.group(1).lower()
        if scheme not in DEFAULT_PORTS:
            raise ValueError(
                f"invalid host {raw!r}: unsupported scheme {scheme!r} (use http or https)"
            )
        rest = url.group(2)
        if "?" in rest or "#" in rest:
            raise ValueError(f"invalid host {raw!r}: a query or fragment is not allowed")
        authority, _, path_text = rest.partition("/")
        path = path_text.strip("/") or DEFAULT_PATH
        if not _PATH.fullmatch(path):
            raise ValueError(f"invalid host {raw!r}: bad WSMan path {path!r}")
    elif "/" in raw:
        raise ValueError(
            f"invalid host {raw!r}: write http(s)://host:port/path to give a WSMan path"
        )

    host, text_port = _split_authority(authority, raw)
    final_port = text_port or port or DEFAULT_PORTS[scheme]
    return Target(host=host, port=final_port, scheme=scheme, path=path)


def _split_authority(authority: str, raw: str) -> tuple[str, int | None]:
    if not authority:
        raise ValueError(f"invalid host {raw!r}: no host name")
    if authority.startswith("["):
        inside, bracket, after = authority[1:].partition("]")
        if not bracket:
            raise ValueError(f"invalid host {raw!r}: missing ']' after the IPv6 address")
        if after and not after.startswith(":"):
            raise ValueError(f"invalid host {raw!r}: unexpected text after ']'")
        return _ipv6(inside, raw), _port(after[1:], raw) if after else None
    if authority.count(":") >= 2:
        return _ipv6(authority, raw), None
    name, colon, port_text = authority.partition(":")
    return _hostname(name, raw), _port(port_text, raw) if colon else None


def _ipv6(text: str, raw: str) -> str:
    try:
        return ipaddress.IPv6Address(text).compressed
    except ValueError:
        raise ValueError(f"invalid host {raw!r}: {text!r} is not an IPv6 address") from None


def _port(text: str, raw: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"invalid host {raw!r}: port must be a number from 1 to 65535")
    return int(text)


def _hostname(name: str, raw: str) -> str:
    name = name[:-1] if name.endswith(".") else name
    if not name:
        raise ValueError(f"invalid host {raw!r}: no host name")
    if re.fullmatch(r"[0-9.]+", name):
        try:
            return str(ipaddress.IPv4Address(name))
        except ValueError:
            raise ValueError(f"invalid host {raw!r}: {name!r} is not an IPv4 address") from None
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"invalid host {raw!r}: not a valid host name")
    return name


# A failover cluster has at most 64 nodes.
MAX_CLUSTER_NODES = 64


def node_target(name: object, cluster: Target) -> Target:
    """The endpoint of a cluster node, from the name the cluster reported.

    Only a bare host name (DNS labels, optionally a fully qualified name) or an IPv4
    address is accepted; the scheme, port and WSMan path are the operator's, those used
    for the cluster itself. A node list can otherwise redirect the credentials to any
    URL, or downgrade an https scan to http. Raises ``ValueError`` with a one-line
    message that shows the name only escaped and shortened.
    """
    if not isinstance(name, str):
        raise ValueError(f"node name is not text ({type(name).__name__})")
    shown = ascii(name[:80]) + ("..." if len(name) > 80 else "")
    text = name.strip()
    if not text or len(text) > 254 or any(ch in text for ch in ":/@[]\\?#%") or not text.isascii():
        raise ValueError(f"node name {shown} is not a bare host name")
    try:
        host = _hostname(text, text)
    except ValueError:
        raise ValueError(f"node name {shown} is not a bare host name") from None
    return Target(host=host, port=cluster.port, scheme=cluster.scheme, path=cluster.path)


def read_hosts_file(path: str | os.PathLike[str]) -> list[str]:
    """Read a hosts file: one host per line; ``#`` starts a comment; blank lines skipped.

    Accepts UTF-8 (with or without BOM) and UTF-16 with a BOM, which is what
    Windows PowerShell 5.1 ``Out-File`` writes. Entries are returned as written
    (parse each with :func:`parse_target`). Raises ``ValueError`` when the file
    cannot be read.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise ValueError(f"cannot read hosts file {os.fspath(path)}: {err.strerror}") from None
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise ValueError(
            f"cannot read hosts file {os.fspath(path)}: not UTF-8 or UTF-16 text"
        ) from None
    hosts = []
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            hosts.append(entry)
    return hosts
