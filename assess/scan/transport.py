"""Build the pypsrp WSMan connection for one target, and bound its waits by a deadline."""

from __future__ import annotations

import math
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
