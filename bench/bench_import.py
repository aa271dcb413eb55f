"""Import alone: a template CSV parsed and normalised into the inventory (``load_sources``).

    python bench/bench_import.py [--vms 100000] [--repeat 5] [--jsonl-vms 20000]

Times ``load_sources`` on the synthetic 100,000-row template CSV (the target), and on a
collector JSON Lines file for comparison (``--jsonl-vms 0`` skips it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    Row,
    fmt_seconds,
    inventory,
    machine,
    median,
    print_table,
    timed,
    write_rows,
)

TARGET_S = 3.0


def measure(vms: int, repeat: int, jsonl_vms: int) -> list[Row]:
    from assess.sources.registry import load_sources

    source = inventory(vms, "csv")
    results = load_sources([str(source)])  # warm-up; and the row count below
    loaded = sum(len(result.inventory.vms) for result in results)
    warnings = sum(len(result.warnings) for result in results)
    del results
    seconds = timed(lambda: load_sources([str(source)]), repeat)
    rows = [
        Row(
            f"import {vms:,}-row template CSV",
            fmt_seconds(seconds),
            f"< {TARGET_S:g} s",
            "met" if median(seconds) < TARGET_S and loaded == vms else "MISSED",
        ),
        Row(f"import {vms:,}-row template CSV: output", f"{loaded:,} VMs, {warnings:,} warnings"),
    ]
    if jsonl_vms:
        records = inventory(jsonl_vms, "jsonl")
        seconds = timed(lambda: load_sources([str(records)]), repeat)
        rows.append(Row(f"import {jsonl_vms:,}-VM collector JSONL (info)", fmt_seconds(seconds)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jsonl-vms", type=int, default=20_000)
    parser.add_argument("--rows-out", metavar="F", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    table = measure(args.vms, args.repeat, args.jsonl_vms)
    print(f"import, {machine()}")
    print_table(table)
    write_rows(args.rows_out, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
