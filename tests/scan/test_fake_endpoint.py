"""The fake WSMan endpoint itself: faults pypsrp relies on, auth, and cheap fleets."""

from __future__ import annotations

import socket
import time
import xml.etree.ElementTree as ET

import pytest
from pypsrp.exceptions import AuthenticationError, WSManFaultError
from pypsrp.shell import WinRS
from pypsrp.wsman import NAMESPACES, SelectorSet, WSMan

from tests.fakewsman import FakeFleet, FakeHost, FakeWSManServer, closed_port

PWSH = "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"


def wsman_for(server: FakeWSManServer, password: str | None = None) -> WSMan:
    return WSMan(
        "127.0.0.1",
        port=server.port,
        ssl=False,
        auth="basic",
        encryption="never",
        username=server.host.username,
        password=password or server.host.password,
        no_proxy=True,
        operation_timeout=1,
    )


def test_unknown_shell_gets_the_shell_not_found_fault() -> None:
    with FakeWSManServer() as server, wsman_for(server) as wsman:
        shell = WinRS(wsman, resource_uri=PWSH)
        shell._selector_set = SelectorSet()
        shell._selector_set.add_option("ShellId", "00000000-0000-0000-0000-000000000001")
        with pytest.raises(WSManFaultError) as caught:
            shell.receive("stdout")
    assert caught.value.code == 2150858843
    assert "not found" in caught.value.reason


@pytest.mark.slow
def test_idle_receive_answers_the_operation_timeout_fault() -> None:
    with FakeWSManServer() as server, wsman_for(server) as wsman:
        shell = WinRS(wsman, resource_uri=PWSH, input_streams="stdin pr", output_streams="stdout")
        shell.open()
        started = time.monotonic()
        with pytest.raises(WSManFaultError) as caught:
            shell.receive("stdout", timeout=1)
        # The fault comes once the operation timeout passed, not before (generous upper bound:
        # this checks behaviour, not speed).
        assert 0.9 <= time.monotonic() - started < 10
        shell.close()
    assert caught.value.code == 2150858793  # the code pypsrp's poll_invoke retries on
    assert server.host.shells_created == server.host.shells_deleted == 1


def test_unsupported_action_is_a_fault() -> None:
    with (
        FakeWSManServer() as server,
        wsman_for(server) as wsman,
        pytest.raises(WSManFaultError) as caught,
    ):
        wsman.get("http://schemas.microsoft.com/wbem/wsman/1/config")
    assert caught.value.code == 2150858771


def test_wrong_password_gets_401() -> None:
    host = FakeHost()
    with FakeWSManServer(host) as server, wsman_for(server, password="wrong") as wsman:
        shell = WinRS(wsman, resource_uri=PWSH)
        with pytest.raises(AuthenticationError):
            shell.open(open_content=ET.Element(f"{{{NAMESPACES['pwsh']}}}creationXml"))
    assert host.auth_failures == 1
    assert host.shells_created == 0


def test_unknown_behaviour_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown behaviour"):
        FakeHost(behaviour="grumpy")


def test_password_is_not_in_the_fake_hosts_repr() -> None:
    assert "Fake-Pa55w0rd" not in repr(FakeHost())


def test_a_fleet_runs_on_distinct_ports() -> None:
    with FakeFleet(FakeHost() for _ in range(50)) as fleet:
        ports = {server.port for server in fleet}
        assert len(fleet) == 50 and len(ports) == 50
        assert all(url.startswith("http://127.0.0.1:") for url in fleet.urls)
    for port in list(ports)[:5]:
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()


def test_closed_port_refuses() -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", closed_port()), timeout=0.5).close()
