"""Live collection: many fake Hyper-V hosts in parallel over the real pypsrp client.

    python bench/bench_collect.py [--hosts 200] [--latency 1.0] [--vms-per-host 10] [--repeat 3]

Each host is the test suite's fake WinRM endpoint (``tests/fakewsman``) answering the
collector script after ``--latency`` seconds with a host record, ``--vms-per-host`` VM
records from the synthetic estate and the end record. ``assess.scan.collect_all`` runs with
the default worker count. The ideal wall time is ceil(hosts / workers) waves of the latency;
the start-up is the wall time of one wave of hosts that answer at once (pool start,
connections, sessions). Every host must be ``ok`` and must have received the script exactly
once.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Row, fmt_seconds, machine, median, print_table, write_rows

TARGET_FACTOR = 1.25
SCRIPT = "'collector script (the fake host ignores it)'"


def host_lines(index: int, vms: int, seed: int = 20_000) -> list[str]:
    """Collector output of one synthetic host."""
    from bench.generate import HOST_OSES, Host, build_vm, host_record, vm_record

    rng = random.Random(seed + index)
    host = Host(f"HV-BENCH-{index:04d}", None, HOST_OSES[index % len(HOST_OSES)], "HQ")
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    lines = [dumps(host_record(host, [host.name]))]
    lines += [dumps(vm_record(build_vm(rng, index * vms + i, host), rng)) for i in range(vms)]
    lines.append(dumps({"kind": "end", "vmCount": vms, "errors": []}))
    return lines


def collect(count: int, latency: float, vms: int, workers: int) -> tuple[float, int, list[str]]:
    """Wall seconds to collect ``count`` hosts; how many got the script more than once or
    never; their statuses."""
    from assess.scan import collect_all, parse_target
    from tests.fakewsman import FakeFleet, FakeHost, options_for

    lines = host_lines(0, vms)
    hosts = [
        FakeHost(lines=lines, latency_s=latency, name=f"HV-BENCH-{i:04d}") for i in range(count)
    ]
    with FakeFleet(hosts) as fleet:
        targets = [parse_target(url) for url in fleet.urls]
        options = options_for(hosts[0], timeout=max(60.0, 10 * latency))
        started = time.perf_counter()
        results = collect_all(targets, options, SCRIPT, workers=workers)
        seconds = time.perf_counter() - started
    wrong = sum(host.invocations != 1 for host in hosts)
    return seconds, wrong, [result.status for result in results]


def measure(count: int, latency: float, vms: int, repeat: int) -> list[Row]:
    from assess.scan import DEFAULT_WORKERS

    workers = DEFAULT_WORKERS
    startup = [collect(min(workers, count), 0.0, vms, workers)[0] for _ in range(repeat)]
    walls: list[float] = []
    invocations_ok = True
    statuses_ok = True
    for _ in range(repeat):
        seconds, wrong, statuses = collect(count, latency, vms, workers)
        walls.append(seconds)
        invocations_ok &= wrong == 0
        statuses_ok &= statuses == ["ok"] * count
    ideal = math.ceil(count / workers) * latency
    bound = TARGET_FACTOR * ideal + median(startup)
    label = f"collect {count} hosts x {latency:g} s, {workers} workers"
    return [
        Row(
            f"{label}: wall",
            fmt_seconds(walls),
            f"<= {TARGET_FACTOR}x{ideal:g} + {median(startup):.2f} = {bound:.1f} s",
            "met" if median(walls) <= bound else "MISSED",
        ),
        Row(f"{label}: wall / ideal ceil(n/w) s", f"{median(walls) / ideal:.2f}x"),
        Row(f"{label}: start-up (one wave, no latency)", fmt_seconds(startup)),
        Row(
            f"{label}: script runs per host",
            "exactly 1 each" if invocations_ok else "NOT 1 for some host",
            "exactly 1",
            "met" if invocations_ok else "MISSED",
        ),
        Row(
            f"{label}: host statuses",
            "all ok" if statuses_ok else "some not ok",
            "all ok",
            "met" if statuses_ok else "MISSED",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--vms-per-host", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows-out", metavar="F", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    table = measure(args.hosts, args.latency, args.vms_per_host, args.repeat)
    print(f"collection, {machine()}")
    print_table(table)
    write_rows(args.rows_out, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
