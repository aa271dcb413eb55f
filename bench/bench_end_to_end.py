"""``assess run`` end to end against the naive baseline, as child processes.

    python bench/bench_end_to_end.py [--vms 20000 100000] [--repeat 3] [--libreoffice]

Ours: ``python -m assess run estate.csv --xlsx F --json F`` (import, facts, rules, the
terminal summary as plain text into a file, JSON, the full workbook). Baseline: the same CSV
through ``pandas.read_csv(f).to_excel(out, engine="openpyxl")``. Runs alternate (ours,
baseline, ours, ...) so both see the same machine noise; the ratio is ours / baseline of the
medians. Peak memory is the largest process's maximum RSS (``/usr/bin/time -v``); the summed
PSS of the process tree is shown next to it because a run may fork a workbook writer.

``--libreoffice`` also converts our workbook to CSV with headless LibreOffice (every sheet)
and checks that the VMs sheet holds every VM.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PYTHON,
    Row,
    RunFigures,
    fmt_mib,
    fmt_seconds,
    inventory,
    machine,
    median,
    out_dir,
    print_table,
    run_child,
    write_rows,
)

BASELINE = (
    "import sys, pandas; pandas.read_csv(sys.argv[1]).to_excel(sys.argv[2], engine='openpyxl')"
)
TARGET_RATIO = 0.75
TARGET_MEMORY = 1024**3
LIBREOFFICE_TIMEOUT_S = 1_200
_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def ours_command(source: Path, xlsx: Path, json_path: Path) -> list[str]:
    return [
        PYTHON,
        "-m",
        "assess",
        "run",
        str(source),
        "--xlsx",
        str(xlsx),
        "--json",
        str(json_path),
    ]


def baseline_command(source: Path, xlsx: Path) -> list[str]:
    return [PYTHON, "-c", BASELINE, str(source), str(xlsx)]


def workbook_cells(path: Path) -> int:
    """Cells in the used range of every worksheet (from each sheet's ``<dimension>``)."""
    total = 0
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name):
                continue
            with archive.open(name) as handle:
                head = handle.read(4096)
            match = _DIMENSION.search(head)
            if match is None:
                continue
            first_col, first_row, last_col, last_row = match.groups()
            if last_col is None:
                last_col, last_row = first_col, first_row
            rows = int(last_row) - int(first_row) + 1
            cols = _column_number(last_col.decode()) - _column_number(first_col.decode()) + 1
            total += rows * cols
    return total


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def libreoffice_check(xlsx: Path, vms: int) -> tuple[bool, str, float]:
    """Convert every sheet to CSV with headless LibreOffice; True when the VMs sheet came
    out with one record per VM. Returns (ok, detail, seconds)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return False, "LibreOffice not installed (apt-get install -y libreoffice-calc-nogui)", 0.0
    with tempfile.TemporaryDirectory(prefix="gen2-bench-lo-") as scratch:
        profile = Path(scratch) / "profile"
        target = Path(scratch) / "csv"
        command = [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(target),
            str(xlsx),
        ]
        started = time.perf_counter()
        try:
            subprocess.run(command, capture_output=True, timeout=LIBREOFFICE_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            return False, f"no result within {LIBREOFFICE_TIMEOUT_S} s", LIBREOFFICE_TIMEOUT_S
        seconds = time.perf_counter() - started
        sheet = target / f"{xlsx.stem}-VMs.csv"
        if not sheet.exists():
            return False, "LibreOffice wrote no VMs sheet", seconds
        with sheet.open(encoding="utf-8", newline="") as handle:
            records = sum(1 for _ in csv.reader(handle)) - 1
        sheets = len(list(target.glob("*.csv")))
        ok = records == vms
        return ok, f"{sheets} sheets, VMs sheet {records:,} rows", seconds


@dataclass
class EndToEnd:
    vms: int
    ours_s: list[float]
    base_s: list[float]
    ours_max_rss: int
    ours_tree_pss: int
    base_max_rss: int
    ours_cells: int
    base_cells: int
    ours_xlsx_mib: float
    libreoffice: tuple[bool, str, float] | None = None

    @property
    def ratio(self) -> float:
        return median(self.ours_s) / median(self.base_s)


def measure(vms: int, repeat: int, libreoffice: bool) -> EndToEnd:
    source = inventory(vms)
    folder = out_dir("e2e", str(vms))
    xlsx, json_path, base_xlsx = folder / "ours.xlsx", folder / "ours.json", folder / "base.xlsx"
    ours: list[RunFigures] = []
    base: list[RunFigures] = []
    for _ in range(repeat):
        run = run_child(ours_command(source, xlsx, json_path), stdout=folder / "terminal.txt")
        if run.returncode != 0:
            raise SystemExit(f"assess run failed ({run.returncode}):\n{run.stderr[-2000:]}")
        ours.append(run)
        run = run_child(baseline_command(source, base_xlsx))
        if run.returncode != 0:
            raise SystemExit(f"baseline failed ({run.returncode}):\n{run.stderr[-2000:]}")
        base.append(run)
    return EndToEnd(
        vms=vms,
        ours_s=[r.seconds for r in ours],
        base_s=[r.seconds for r in base],
        ours_max_rss=max(r.max_rss for r in ours),
        ours_tree_pss=max(r.tree_pss for r in ours),
        base_max_rss=max(r.max_rss for r in base),
        ours_cells=workbook_cells(xlsx),
        base_cells=workbook_cells(base_xlsx),
        ours_xlsx_mib=xlsx.stat().st_size / 1024**2,
        libreoffice=libreoffice_check(xlsx, vms) if libreoffice else None,
    )


def rows(result: EndToEnd) -> list[Row]:
    label = f"e2e {result.vms:,} VMs"
    small = result.vms <= 20_000
    cells, base_cells = result.ours_cells, result.base_cells
    out = [
        Row(f"{label}: assess run", fmt_seconds(result.ours_s)),
        Row(f"{label}: baseline read_csv+to_excel", fmt_seconds(result.base_s)),
        Row(
            f"{label}: ratio ours/baseline",
            f"{result.ratio:.2f}x",
            f"<= {TARGET_RATIO}x" if small else "",
            ("met" if result.ratio <= TARGET_RATIO else "MISSED") if small else "",
        ),
        Row(
            f"{label}: workbook cells ours/baseline",
            f"{cells:,} / {base_cells:,} = {cells / max(base_cells, 1):.1f}x",
            "> 2x" if small else "",
            ("met" if cells > 2 * base_cells else "MISSED") if small else "",
        ),
    ]
    memory = Row(
        f"{label}: peak memory, max RSS (tree PSS)",
        f"{fmt_mib(result.ours_max_rss)} ({fmt_mib(result.ours_tree_pss)})",
    )
    if not small:
        worst = max(result.ours_max_rss, result.ours_tree_pss)
        memory.target = "< 1 GiB"
        memory.verdict = "met" if worst < TARGET_MEMORY else "MISSED"
        out.append(Row(f"{label}: completes", "yes, exit 0", "completes", "met"))
    out.append(memory)
    out.append(Row(f"{label}: baseline peak memory", fmt_mib(result.base_max_rss)))
    if result.libreoffice is not None:
        ok, detail, seconds = result.libreoffice
        out.append(
            Row(
                f"{label}: opens in LibreOffice",
                f"{detail} ({seconds:.0f} s)",
                "opens",
                "met" if ok else "MISSED",
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--libreoffice", action="store_true", help="open the largest in LibreOffice"
    )
    parser.add_argument("--json-out", metavar="F", help="also write the figures as JSON")
    parser.add_argument("--rows-out", metavar="F", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    results = []
    for vms in args.vms:
        check = args.libreoffice and vms == max(args.vms)
        results.append(measure(vms, args.repeat, check))
    table = [row for result in results for row in rows(result)]
    print(f"end to end, {machine()}")
    print_table(table)
    write_rows(args.rows_out, table)
    if args.json_out:
        figures = [asdict(result) for result in results]
        Path(args.json_out).write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
