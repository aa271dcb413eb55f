"""``assess plan`` on a synthetic estate: every runbook, plan.json and the workbook.

    python bench/bench_plan.py [--vms 20000] [--repeat 3] [--format jsonl|csv]

Runs ``python -m assess plan estate --out DIR -q`` as a child process ``--repeat`` times, each
into a new folder, and reports the median wall time (import, facts, rules, the plan, every
script written, plan.json, runbook.xlsx) against the target, and next to it the CPU time
(user + system of the process and its children): on a shared machine the wall time also
counts other people's work, the CPU time does not. The load average is printed with it. The
collector-records estate (``jsonl``) is the realistic case: every adapter, disk and ISO is
listed, so each host runbook carries them one by one.

Each run writes into a folder of its own and the folders are removed only at the end: on an
ext4 file system without a journal (like the machine these figures come from) an inode
freed in the last 30 seconds is passed over one by one when a file is created, so 22,000
files created just after a run removed its 22,000 took seconds of system time (up to 4 s,
against 0.6 s otherwise) and measured the removal, not the plan.

Then, in this process, the plan stage alone: building the plan from the assessment, and
writing the folder.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PYTHON,
    Row,
    fmt_mib,
    fmt_seconds,
    inventory,
    machine,
    median,
    print_table,
    run_child,
    write_rows,
)

TARGET_S = 10.0


def _folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def measure(vms: int, repeat: int, fmt: str) -> list[Row]:
    source = inventory(vms, fmt)
    seconds: list[float] = []
    cpu: list[float] = []
    peak = 0
    files = size = convertible = 0
    with tempfile.TemporaryDirectory(prefix="gen2-bench-plan-") as scratch:
        for run in range(repeat):
            out = Path(scratch) / f"plan-{run}"
            figures = run_child(
                [PYTHON, "-m", "assess", "plan", str(source), "--out", str(out), "-q"]
            )
            if figures.returncode not in (0, 3):
                raise SystemExit(
                    f"assess plan failed ({figures.returncode}): {figures.stderr[-2000:]}"
                )
            seconds.append(figures.seconds)
            cpu.append(figures.cpu_seconds)
            peak = max(peak, figures.max_rss)
            if run == 0:
                files, size = _folder_size(out)
                document = json.loads((out / "plan.json").read_text("utf-8"))
                convertible = document["counts"]["with_conversion_script"]
        stage = _plan_stage(source, Path(scratch) / "stage")
    label = f"plan {vms:,} VMs ({fmt})"
    return [
        Row(
            f"{label}: assess plan end to end",
            fmt_seconds(seconds),
            f"< {TARGET_S:g} s",
            "met" if median(seconds) < TARGET_S else "MISSED",
        ),
        Row(f"{label}: CPU time (user + system)", fmt_seconds(cpu), f"load average {_load()}"),
        Row(
            f"{label}: output",
            f"{convertible:,} runbooks, {files:,} files, {size / 2**20:,.0f} MiB; "
            f"peak RSS {fmt_mib(peak)}",
        ),
        Row(f"{label}: build the plan (in process)", f"{stage[0]:.2f} s"),
        Row(f"{label}: write the folder (in process)", f"{stage[1]:.2f} s"),
    ]


def _load() -> str:
    try:
        return " ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def _plan_stage(source: Path, out: Path) -> tuple[float, float]:
    from assess.engine.catalog import load_catalog
    from assess.pipeline import assess_sources
    from assess.plan.builder import build_plan
    from assess.plan.render.files import write_plan
    from assess.sources.registry import load_sources

    result = assess_sources(load_sources([str(source)]), load_catalog([]), keep_inventory=True)
    assert result.inventory is not None
    started = time.perf_counter()
    plan = build_plan(result.assessment, result.inventory)
    built = time.perf_counter()
    write_plan(plan, out)
    return built - started, time.perf_counter() - built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--format", choices=("csv", "jsonl"), default="jsonl")
    parser.add_argument("--rows-out", metavar="F", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    table = measure(args.vms, args.repeat, args.format)
    print(f"conversion runbooks, {machine()}")
    print_table(table)
    write_rows(args.rows_out, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
