"""Run every benchmark and print one table of figures, targets and verdicts.

    python bench/run_all.py [--quick] [--only NAME ...]

Each benchmark runs in its own process (so one's memory or threads never skew another) and
hands its rows back; the table then shows them all, with the date and the machine. Full run:
about 10 minutes on 2 cores. ``--quick`` (about 2 minutes) runs fewer repeats and leaves out
the 100,000-VM end-to-end run and the LibreOffice check.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH, PYTHON, Row, child_env, machine, print_table, read_rows

#: name -> (script, full arguments, quick arguments)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "import": ("bench_import.py", ["--repeat", "5"], ["--repeat", "2", "--jsonl-vms", "0"]),
    "rvtools": ("bench_rvtools.py", ["--repeat", "5"], ["--repeat", "2"]),
    "engine": ("bench_engine.py", ["--repeat", "5"], ["--repeat", "2"]),
    "e2e": (
        "bench_end_to_end.py",
        ["--vms", "20000", "100000", "--repeat", "3", "--libreoffice"],
        ["--vms", "20000", "--repeat", "2"],
    ),
    "collect": ("bench_collect.py", ["--repeat", "3"], ["--repeat", "1"]),
    "workbook": ("bench_workbook.py", ["20000", "100000", "--reference", "5000"], ["20000"]),
    "plan": (
        "bench_plan.py",
        ["--vms", "20000", "--repeat", "3"],
        ["--vms", "20000", "--repeat", "1"],
    ),
    "verify": (
        "bench_verify.py",
        ["--vms", "20000", "--repeat", "3"],
        ["--vms", "20000", "--repeat", "1"],
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no 100k run")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), metavar="NAME")
    args = parser.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    started = datetime.now().astimezone()
    table: list[Row] = []
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gen2-bench-") as scratch:
        for name in names:
            script, full, quick = BENCHMARKS[name]
            rows_file = Path(scratch) / f"{name}.json"
            command = [PYTHON, str(BENCH / script), *(quick if args.quick else full)]
            print(f"== {name}: {' '.join(command[1:])}", flush=True)
            t0 = time.perf_counter()
            done = subprocess.run(
                [*command, "--rows-out", str(rows_file)], env=child_env(), check=False
            )
            print(f"   ({time.perf_counter() - t0:.0f} s)", flush=True)
            if done.returncode != 0 or not rows_file.exists():
                failed.append(name)
                table.append(Row(name, f"FAILED (exit {done.returncode})", "", "MISSED"))
                continue
            table.extend(read_rows(rows_file))
    print()
    print(f"gen2-assess benchmarks, {started:%Y-%m-%d %H:%M %Z}, {machine()}")
    print_table(table)
    missed = [row.benchmark for row in table if row.verdict == "MISSED"]
    met = sum(row.verdict == "met" for row in table)
    print(f"{met} targets met, {len(missed)} missed" + (f": {', '.join(missed)}" if missed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
