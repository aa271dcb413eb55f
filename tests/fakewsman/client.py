"""Client-side settings that match a fake host (HTTP Basic over plain HTTP)."""

from __future__ import annotations

from typing import Any

from assess.scan import ConnectionOptions, Target, parse_target
from tests.fakewsman.host import FakeHost
from tests.fakewsman.server import FakeWSManServer


def options_for(host: FakeHost, **overrides: Any) -> ConnectionOptions:
    """Connection options with the host's credentials; override any field."""
    fields: dict[str, Any] = {
        "username": host.username,
        "password": host.password,
        "auth": "basic",
        "http": True,
        "allow_unencrypted": True,
        "timeout": 10.0,
        "connect_timeout": 2.0,
    }
    fields.update(overrides)
    return ConnectionOptions(**fields)


def target_for(server: FakeWSManServer) -> Target:
    return parse_target(server.url)
