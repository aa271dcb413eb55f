"""How fast the workbook and CSV writers are, and how much memory the workbook takes.

    python bench/bench_workbook.py [N ...] [--repeat 3] [--reference N]

For each N (default: 20000 100000) it builds a synthetic assessment (N VMs, about 3 findings
each), writes the workbook and the CSV files into a temporary folder and prints cells per
second (cells of every list sheet) and the peak resident memory while the workbook was written
(sampled every 20 ms), next to the memory the assessment itself holds. ``--reference N``
also times XlsxWriter writing every cell itself (``workbook.FAST_ROWS = False``, the fallback
path) on N VMs, for comparison.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assess.render.sheet_tables import sheet_frames, write_csv
from assess.render.xlsx import workbook
from assess.render.xlsx.workbook import write_workbook
from bench.common import Row, machine, median, print_table, write_rows
from tests.assessment_factory import big

MIB = 1024 * 1024


def rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


class PeakSampler:
    """Highest RSS seen while the block runs."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.interval)

    def __enter__(self) -> PeakSampler:
        self.peak = rss_bytes()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


def bench(n: int, repeat: int = 1, *, bulk: bool = True) -> list[Row]:
    started = time.perf_counter()
    assessment = big(n)
    built = time.perf_counter() - started
    frames = sheet_frames(assessment)
    cells = sum(frame.shape[0] * frame.shape[1] for frame in frames.values())
    rows = {name: len(frame) for name, frame in frames.items()}
    del frames
    baseline = rss_bytes()
    workbook.FAST_ROWS = bulk
    xlsx_times, csv_times = [], []
    peak = 0
    try:
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "bench.xlsx"
            for _ in range(repeat):
                with PeakSampler() as sampler:
                    t0 = time.perf_counter()
                    write_workbook(assessment, target)
                    xlsx_times.append(time.perf_counter() - t0)
                peak = max(peak, sampler.peak)
                size = target.stat().st_size
                if bulk:
                    t0 = time.perf_counter()
                    write_csv(assessment, folder)
                    csv_times.append(time.perf_counter() - t0)
    finally:
        workbook.FAST_ROWS = True
    xlsx_seconds = median(xlsx_times)
    how = "bulk rows" if bulk else "XlsxWriter per cell (reference)"
    print(f"{n:,} VMs: rows {rows}, {cells:,} list cells (assessment built in {built:.1f} s)")
    print(
        f"  xlsx ({how}) {xlsx_seconds:6.1f} s  {cells / xlsx_seconds:9,.0f} cells/s  "
        f"{size / MIB:6.1f} MiB file  peak RSS {peak / MIB:,.0f} MiB "
        f"(+{(peak - baseline) / MIB:,.0f} MiB over the {baseline / MIB:,.0f} MiB "
        "held before writing)"
    )
    label = f"workbook writer {n:,} VMs ({cells / 1e6:.1f} M cells)"
    table = [
        Row(
            f"{label}, {how}",
            f"{cells / xlsx_seconds:,.0f} cells/s ({xlsx_seconds:.1f} s)",
        ),
    ]
    if bulk:
        vm_findings_cells = (rows["VMs"] * len(assessment.vms.columns)) + rows["Findings"] * 17
        csv_seconds = median(csv_times)
        print(
            f"  csv   {csv_seconds:6.1f} s  {vm_findings_cells / csv_seconds:9,.0f} cells/s "
            "(vms.csv + findings.csv)"
        )
        table.append(
            Row(
                f"{label}: peak RSS while writing",
                f"+{(peak - baseline) / MIB:,.0f} MiB over {baseline / MIB:,.0f} MiB",
            )
        )
        table.append(
            Row(
                f"csv writer {n:,} VMs (vms.csv + findings.csv)",
                f"{vm_findings_cells / csv_seconds:,.0f} cells/s ({csv_seconds:.1f} s)",
            )
        )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[20_000, 100_000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--reference", type=int, default=0, metavar="N")
    parser.add_argument("--rows-out", metavar="F", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    table = []
    for n in args.sizes:
        table.extend(bench(n, args.repeat))
    if args.reference:
        table.extend(bench(args.reference, 1, bulk=False))
    print(f"workbook writer, {machine()}")
    print_table(table)
    write_rows(args.rows_out, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
