"""Hostile hosts on the fake WSMan endpoint: one host that sends without end must cost the
scan nothing but its own result. The scan runs in a subprocess under a memory limit, so a
host that is read without bound kills the run instead of the test machine."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from assess.scan.session import MAX_HOST_RECORDS
from assess.scan.transport import MAX_RESPONSE_BYTES
from tests.fakewsman import FakeFleet, FakeHost

SAMPLE = Path(__file__).resolve().parents[2] / "sample_inventory"
PASSWORD = "S3cret-Scan-Pw!"
MEMORY_LIMIT = int(1.5 * 1024**3)
ROOT = Path(__file__).resolve().parents[2]


def healthy(name: str) -> FakeHost:
    lines = (SAMPLE / f"{name}-gen2-inventory.jsonl").read_text(encoding="utf-8").splitlines()
    return FakeHost(lines=lines, username="scanner", password=PASSWORD, name=name)


def hostile(behaviour: str) -> FakeHost:
    return FakeHost(behaviour=behaviour, username="scanner", password=PASSWORD, name=behaviour)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_scan_limited(
    urls: list[str], tmp_path: Path, timeout_s: float
) -> subprocess.CompletedProcess:
    args = [
        sys.executable, "-m", "assess", "scan", *urls,
        "--http", "--auth", "basic", "--allow-unencrypted",
        "--user", "scanner", "--password-env", "GEN2_TEST_PASSWORD",
        "--timeout", str(timeout_s), "--quiet",
        "--json", str(tmp_path / "scan.json"), "--out", str(tmp_path / "raw.jsonl"),
    ]  # fmt: skip
    env = {**os.environ, "GEN2_TEST_PASSWORD": PASSWORD}
    return subprocess.run(
        args,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s + 60,
        preexec_fn=_limit_memory,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("endless-body", f"over {MAX_RESPONSE_BYTES // 1024**2} MiB"),
        ("endless-records", f"over {MAX_HOST_RECORDS:,} records"),
    ],
)
def test_a_host_that_never_stops_sending_costs_only_its_own_result(
    behaviour: str, reason: str, tmp_path: Path
) -> None:
    hosts = [healthy("hv-prod01"), hostile(behaviour), healthy("hv-prod02")]
    with FakeFleet(hosts) as fleet:
        done = run_scan_limited(fleet.urls, tmp_path, timeout_s=60)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"{behaviour}: peak RSS of the scan {peak_kib / 1024:.0f} MiB")
    assert done.returncode == 3, done.stderr[-2000:]
    document = json.loads((tmp_path / "scan.json").read_text(encoding="utf-8"))
    assert {vm["host"] for vm in document["vms"]} == {"HV-PROD01", "HV-PROD02"}
    assert len(document["vms"]) == 20
    statuses = {h["host"]: (h["status"], h.get("reason") or "") for h in document["hosts"]}
    bad = [s for s in statuses.values() if s[0] != "ok"]
    assert len(bad) == 1 and bad[0][0] == "bad-output" and reason in bad[0][1], statuses
    assert "FLOOD" not in (tmp_path / "raw.jsonl").read_text(encoding="utf-8")
    assert peak_kib < 1024 * 1024  # well under the limit: the host was cut off early


@pytest.mark.slow
def test_a_dripping_answer_is_cut_off_at_the_deadline() -> None:
    """A body that trickles in faster than any read timeout: the read stops at the host's
    deadline and the connection is closed, instead of a thread reading on unseen."""
    import time

    from assess.scan import collect_host
    from tests.fakewsman import FakeWSManServer, options_for, target_for

    host = hostile("dripping")
    with FakeWSManServer(host) as server:
        started = time.monotonic()
        result = collect_host(target_for(server), options_for(host, timeout=1.0), "script")
        elapsed = time.monotonic() - started
        for _ in range(50):  # the server notices the hang-up at its next write
            if host.hangups:
                break
            time.sleep(0.1)
    assert result.status == "timeout"
    assert elapsed < 8
    assert host.hangups == 1
