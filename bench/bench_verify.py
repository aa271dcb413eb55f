"""``assess verify BEFORE AFTER`` on a synthetic estate after a conversion of every Gen 1 VM.

    python bench/bench_verify.py [--vms 20000] [--repeat 3]

BEFORE is the collector-records estate the other benchmarks use; AFTER is what a correct
conversion of every Generation 1 VM leaves behind, each VM converted as the verify tests
convert theirs (``tests/verify_support.convert``): the old VM renamed and switched off, a new
Generation 2 VM with a new id, disks on SCSI, VHD converted to VHDX, legacy adapters replaced
with the same MAC, floppy and COM connections gone. So AFTER holds about 1.9 times the VMs
of BEFORE, and every VM pair is compared field by field. Runs
``python -m assess verify BEFORE AFTER --json F -q`` as a child process and reports the
median wall time, the CPU time, peak memory and the statuses it found (every converted VM
should be ``match``). No issue sets a target for it yet: the figure is for comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PYTHON,
    Row,
    fmt_mib,
    fmt_seconds,
    inventory,
    machine,
    out_dir,
    print_table,
    run_child,
    write_rows,
)
from tests.verify_support import convert


def after_estate(before: Path) -> Path:
    """AFTER for ``before`` (cached next to it: built once per estate)."""
    target = out_dir("inputs") / f"{before.stem}-after.jsonl"
    if target.exists() and target.stat().st_mtime >= before.stat().st_mtime:
        return target
    out: list[dict] = []
    count = 0
    for line in before.read_text("utf-8").splitlines():
        if not line:
            continue
        record = json.loads(line)
        kind = record.get("kind")
        if kind == "end":  # one per host: its VM count as AFTER has it
            out.append({**record, "vmCount": count})
            count = 0
        elif kind == "vm" and record.get("generation") == 1:
            rollback, new = convert(record)
            new["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, record["id"])).upper()
            if "freebsd" in str(record.get("guest", {}).get("OSName", "")).lower():
                new["firmware"] = {"secureBoot": "Off"}  # as the runbook does for FreeBSD
            out.extend((rollback, new))
            count += 2
        else:
            out.append(record)
            count += kind == "vm"
    partial = target.with_suffix(".partial")
    partial.write_text("".join(json.dumps(r) + "\n" for r in out), encoding="utf-8")
    partial.replace(target)
    return target


def measure(vms: int, repeat: int) -> list[Row]:
    before = inventory(vms, "jsonl")
    after = after_estate(before)
    seconds: list[float] = []
    cpu: list[float] = []
    peak = 0
    statuses: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="gen2-bench-verify-") as scratch:
        out = Path(scratch) / "verify.json"
        for run in range(repeat):
            command = [PYTHON, "-m", "assess", "verify", str(before), str(after)]
            figures = run_child([*command, "--json", str(out), "-q"])
            if figures.returncode not in (0, 1, 3):
                raise SystemExit(
                    f"assess verify failed ({figures.returncode}): {figures.stderr[-2000:]}"
                )
            seconds.append(figures.seconds)
            cpu.append(figures.cpu_seconds)
            peak = max(peak, figures.max_rss)
            if run == 0:
                document = json.loads(out.read_text("utf-8"))
                statuses = Counter(vm["status"] for vm in document["vms"])
    label = f"verify {vms:,} VMs"
    found = ", ".join(f"{count:,} {status}" for status, count in statuses.most_common())
    return [
        Row(f"{label}: assess verify end to end", fmt_seconds(seconds)),
        Row(f"{label}: CPU time (user + system)", fmt_seconds(cpu)),
        Row(f"{label}: statuses; peak RSS", f"{found}; {fmt_mib(peak)}"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows-out", metavar="F", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    table = measure(args.vms, args.repeat)
    print(f"post-conversion verification, {machine()}")
    print_table(table)
    write_rows(args.rows_out, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
