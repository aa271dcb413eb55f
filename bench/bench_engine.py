"""The rule engine alone: every rule over 100,000 VMs whose facts are already derived.

    python bench/bench_engine.py [--vms 100000] [--repeat 5] [--format csv|jsonl]

Reads the synthetic inventory once (``load_sources``), then times ``derive_facts`` and
``engine.assess`` separately, ``--repeat`` times each, and reports the medians. The engine
evaluates every rule of the shipped catalog column-wise over all VMs.
"""

from __future__ import annotations

import argparse
import gc
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

TARGET_S = 2.0


def measure(vms: int, repeat: int, fmt: str) -> list[Row]:
    from assess.engine.catalog import load_catalog
    from assess.engine.evaluate import assess
    from assess.facts.derive import derive_facts
    from assess.facts.support_matrix import SupportMatrix
    from assess.model.inventory import Inventory
    from assess.sources.registry import load_sources

    source = inventory(vms, fmt)
    results = load_sources([str(source)])
    inv = Inventory.concat(result.inventory for result in results)
    del results
    matrix = SupportMatrix.load(None)
    catalog = load_catalog([])
    facts = derive_facts(inv, matrix)
    gc.collect()
    facts_s = timed(lambda: derive_facts(inv, matrix), repeat)
    assessment = assess(facts, catalog)  # warm-up, and the figures below
    engine_s = timed(lambda: assess(facts, catalog), repeat)
    rules = len(catalog.rules)
    findings = len(assessment.findings)
    label = f"engine {vms:,} VMs x {rules} rules ({fmt})"
    return [
        Row(
            f"{label}: engine.assess",
            fmt_seconds(engine_s),
            f"< {TARGET_S:g} s",
            "met" if median(engine_s) < TARGET_S else "MISSED",
        ),
        Row(f"{label}: derive_facts", fmt_seconds(facts_s)),
        Row(
            f"{label}: output",
            f"{findings:,} findings, {len(assessment.data_gaps):,} VMs with data gaps",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    parser.add_argument("--rows-out", metavar="F", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    table = measure(args.vms, args.repeat, args.format)
    print(f"rule engine, {machine()}")
    print_table(table)
    write_rows(args.rows_out, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
