"""Many hosts in parallel, progress events, cancel, and cluster node listing."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from assess.scan import (
    DEFAULT_WORKERS,
    ConnectionOptions,
    ScanError,
    cluster_nodes,
    collect_all,
    parse_target,
)
from assess.scan import session as scan_session
from tests.fakewsman import FakeFleet, FakeHost, FakeWSManServer, closed_port, options_for

FIXTURES = Path(__file__).parent.parent / "fixtures" / "scan"
HEALTHY = (FIXTURES / "healthy.jsonl").read_text(encoding="utf-8").splitlines()
SCRIPT = "'stand-in collector'"
NODE_SCRIPT = "'stand-in node list'"


def shared_credentials(**fields: object) -> FakeHost:
    return FakeHost(username="scanner", password="Fleet-Pa55", **fields)  # type: ignore[arg-type]


@pytest.mark.slow
def test_twenty_hosts_in_parallel() -> None:
    latency = 0.25
    hosts = [
        shared_credentials(lines=HEALTHY, latency_s=latency, name=f"HV{i:02d}") for i in range(20)
    ]
    events: list[tuple[str, str, str]] = []
    with FakeFleet(hosts) as fleet:
        targets = [parse_target(url) for url in fleet.urls]
        results = collect_all(
            targets,
            options_for(hosts[0]),
            SCRIPT,
            workers=20,
            on_event=lambda *event: events.append(event),
        )
    assert [r.status for r in results] == ["ok"] * 20
    assert [r.target for r in results] == [t.label for t in targets]  # input order
    assert all(host.invocations == 1 for host in hosts)
    # Hosts ran side by side: some host started before another one finished.
    order = [(label, phase) for label, phase, _ in events if phase in {"running", "done"}]
    first_done = next(i for i, (_, phase) in enumerate(order) if phase == "done")
    assert sum(1 for _, phase in order[:first_done] if phase == "running") > 1
    for target in targets:
        phases = [phase for label, phase, _ in events if label == target.label]
        assert phases == ["connecting", "running", "done"]
    done = {label: detail for label, phase, detail in events if phase == "done"}
    assert set(done.values()) == {"ok: 2 VMs"}
    connecting = [detail for _, phase, detail in events if phase == "connecting"]
    assert connecting[0].startswith("http://127.0.0.1:")


def test_one_bad_host_never_stops_the_others() -> None:
    good = shared_credentials(lines=HEALTHY)
    truncated = shared_credentials(lines=HEALTHY, behaviour="truncated")
    liar = shared_credentials(behaviour="lying")
    failing = shared_credentials(behaviour="failing")
    wrong = FakeHost(lines=HEALTHY, password="another-password")
    with FakeFleet([good, truncated, liar, failing, wrong]) as fleet:
        targets = [parse_target(url) for url in fleet.urls]
        targets.insert(2, parse_target(f"127.0.0.1:{closed_port()}", http=True))
        results = collect_all(targets, options_for(good), SCRIPT, workers=3)
    assert [r.status for r in results] == [
        "ok",
        "partial",
        "unreachable",
        "bad-output",
        "script-error",
        "auth-failed",
    ]
    assert [r.target for r in results] == [t.label for t in targets]


def test_a_failing_progress_callback_is_not_fatal() -> None:
    host = shared_credentials(lines=HEALTHY)

    def explode(label: str, phase: str, detail: str) -> None:
        raise RuntimeError("display broke")

    with FakeWSManServer(host) as server:
        results = collect_all(
            [parse_target(server.url)], options_for(host), SCRIPT, on_event=explode
        )
    assert results[0].status == "ok"


def test_progress_callbacks_never_overlap() -> None:
    hosts = [shared_credentials(lines=HEALTHY) for _ in range(8)]
    inside = threading.Semaphore(1)
    overlaps: list[str] = []

    def record(label: str, phase: str, detail: str) -> None:
        if not inside.acquire(blocking=False):
            overlaps.append(label)
            return
        time.sleep(0.002)
        inside.release()

    with FakeFleet(hosts) as fleet:
        targets = [parse_target(url) for url in fleet.urls]
        collect_all(targets, options_for(hosts[0]), SCRIPT, workers=8, on_event=record)
    assert overlaps == []


def test_validation_happens_before_any_connection() -> None:
    host = shared_credentials(lines=HEALTHY)
    with FakeWSManServer(host) as server:
        targets = [parse_target(server.url), parse_target("http://hv02:5985/wsman")]
        options = ConnectionOptions(username="scanner", password="Fleet-Pa55", auth="basic")
        with pytest.raises(ValueError, match="clear text"):
            collect_all(targets, options, SCRIPT)
        with pytest.raises(ValueError, match="workers"):
            collect_all(targets, options_for(host), SCRIPT, workers=0)
    assert host.shells_created == 0
    assert collect_all([], options_for(host), SCRIPT) == []


def test_default_workers() -> None:
    assert 4 <= DEFAULT_WORKERS <= 64


@pytest.mark.slow
def test_ctrl_c_stops_running_hosts_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_session, "POLL_S", 1)
    hosts = [shared_credentials(lines=HEALTHY, behaviour="slow") for _ in range(3)]
    with FakeFleet(hosts) as fleet:
        targets = [parse_target(url) for url in fleet.urls]
        timer = threading.Timer(0.5, os.kill, args=(os.getpid(), signal.SIGINT))
        started = time.monotonic()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            collect_all(targets, options_for(hosts[0], timeout=60.0), SCRIPT, workers=3)
        took = time.monotonic() - started
    assert took < 30  # far below the 60 s deadline: the interrupt stopped the hosts
    assert all(host.signals == ["powershell/signal/ctrl_c"] for host in hosts)
    assert all(host.shells_deleted == 1 for host in hosts)


# --- clusters ---------------------------------------------------------------------


def cluster_line(nodes: object) -> str:
    return json.dumps({"kind": "cluster", "name": "CL01", "nodes": nodes})


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [
        ([{"name": "HV01", "state": "Up"}, {"name": "HV02", "state": "Down"}], ["HV01", "HV02"]),
        ({"name": "HV01", "state": 0}, ["HV01"]),  # one node, array unwrapped
        (["HV01", "HV01", " HV02 "], ["HV01", "HV02"]),
    ],
)
def test_cluster_nodes(nodes: object, expected: list[str]) -> None:
    host = FakeHost(lines=[cluster_line(nodes)])
    with FakeWSManServer(host) as server:
        assert cluster_nodes(parse_target(server.url), options_for(host), NODE_SCRIPT) == expected
    assert host.scripts == [NODE_SCRIPT]
    assert host.parameters == [{}]


@pytest.mark.parametrize(
    ("host", "status", "fragment"),
    [
        (FakeHost(lines=[cluster_line([])]), "bad-output", "lists no nodes"),
        (FakeHost(lines=["not json"]), "bad-output", "no cluster record"),
        (FakeHost(behaviour="failing"), "script-error", "Hyper-V module not available"),
        (FakeHost(behaviour="wrong-password"), "auth-failed", "401"),
    ],
)
def test_cluster_nodes_failures(host: FakeHost, status: str, fragment: str) -> None:
    with FakeWSManServer(host) as server, pytest.raises(ScanError) as caught:
        cluster_nodes(parse_target(server.url), options_for(host), NODE_SCRIPT)
    assert caught.value.status == status
    assert fragment in str(caught.value)
    assert str(caught.value).startswith("cluster 127.0.0.1:")
    assert "\n" not in str(caught.value)


def test_cluster_unreachable() -> None:
    target = parse_target(f"127.0.0.1:{closed_port()}", http=True)
    with pytest.raises(ScanError, match="unreachable") as caught:
        cluster_nodes(target, options_for(FakeHost()), NODE_SCRIPT)
    assert caught.value.status == "unreachable"


def test_an_unexpected_error_costs_only_its_own_host(monkeypatch: pytest.MonkeyPatch) -> None:
    from assess.scan import runner

    real = runner.run_collector
    hosts = [shared_credentials(lines=HEALTHY) for _ in range(3)]

    def flaky(target, *args, **kwargs):
        if target.port == fleet.servers[1].port:
            raise KeyError("Fleet-Pa55 bug")
        return real(target, *args, **kwargs)

    monkeypatch.setattr(runner, "run_collector", flaky)
    with FakeFleet(hosts) as fleet:
        targets = [parse_target(url) for url in fleet.urls]
        results = collect_all(targets, options_for(hosts[0]), SCRIPT)
    assert [r.status for r in results] == ["ok", "protocol-error", "ok"]
    assert results[1].reason.startswith("internal error: KeyError")
    assert "Fleet-Pa55" not in results[1].reason
