"""How fast the workbook and CSV writers are, and how much memory the workbook takes.

    python bench/bench_workbook.py [N ...]        # default: 20000 100000

For each N it builds a synthetic assessment (N VMs, about 3 findings each), writes the
workbook and the CSV files into a temporary folder and prints cells per second and the peak
resident memory while the workbook was written (sampled every 20 ms), next to the memory the
assessment itself holds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assess.render.excel import write_workbook  # noqa: E402
from assess.render.tabular import sheet_frames, write_csv  # noqa: E402
from tests.assessment_factory import big  # noqa: E402

MIB = 1024 * 1024


def rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    import os

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


def bench(n: int) -> None:
    started = time.perf_counter()
    assessment = big(n)
    built = time.perf_counter() - started
    frames = sheet_frames(assessment)
    cells = sum(frame.shape[0] * frame.shape[1] for frame in frames.values())
    rows = {name: len(frame) for name, frame in frames.items()}
    del frames
    baseline = rss_bytes()
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "bench.xlsx"
        with PeakSampler() as sampler:
            t0 = time.perf_counter()
            write_workbook(assessment, target)
            xlsx_seconds = time.perf_counter() - t0
        size = target.stat().st_size
        t0 = time.perf_counter()
        write_csv(assessment, folder)
        csv_seconds = time.perf_counter() - t0
    print(f"{n:,} VMs: rows {rows}, {cells:,} list cells (assessment built in {built:.1f} s)")
    print(
        f"  xlsx  {xlsx_seconds:6.1f} s  {cells / xlsx_seconds:9,.0f} cells/s  "
        f"{size / MIB:6.1f} MiB file  peak RSS {sampler.peak / MIB:,.0f} MiB "
        f"(+{(sampler.peak - baseline) / MIB:,.0f} MiB over the {baseline / MIB:,.0f} MiB "
        "held before writing)"
    )
    vm_findings_cells = (rows["VMs"] * len(assessment.vms.columns)) + rows["Findings"] * 17
    print(
        f"  csv   {csv_seconds:6.1f} s  {vm_findings_cells / csv_seconds:9,.0f} cells/s "
        "(vms.csv + findings.csv)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[20_000, 100_000])
    for n in parser.parse_args().sizes:
        bench(n)


if __name__ == "__main__":
    main()
