"""A fake WinRM endpoint for testing live collection without Windows.

    from tests.fakewsman import FakeHost, FakeWSManServer

    host = FakeHost(lines=[...], latency_s=0.2)
    with FakeWSManServer(host) as server:
        result = collect_host(target_for(server), options_for(host), script)
    assert host.invocations == 1

Many hosts: ``with FakeFleet(hosts) as fleet: ...`` (``fleet.urls``).

See ``server`` for what is and is not implemented (HTTP Basic only: NTLM,
Kerberos, CredSSP, TLS and message encryption need a real Windows host).
"""

from tests.fakewsman.client import options_for, target_for
from tests.fakewsman.host import BEHAVIOURS, LYING_OUTPUT, FakeHost
from tests.fakewsman.server import FakeFleet, FakeWSManServer, closed_port

__all__ = [
    "BEHAVIOURS",
    "LYING_OUTPUT",
    "FakeFleet",
    "FakeHost",
    "FakeWSManServer",
    "closed_port",
    "options_for",
    "target_for",
]
