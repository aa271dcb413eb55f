"""Shared helpers for the benchmarks: paths, inputs, timing, child-process peak memory.

Every benchmark locates the repository from this file, writes scratch files under
``bench/out/`` (git-ignored) and reports medians of several runs. On a shared, noisy machine
a ratio against a baseline measured in the same session says more than a raw time: runs of
ours and of the baseline are interleaved so both see the same noise.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
PYTHON = sys.executable
MIB = 1024 * 1024

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def out_dir(*parts: str) -> Path:
    """A folder under ``bench/out`` (created)."""
    folder = OUT.joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def inventory(vms: int, fmt: str = "csv", seed: int = 20_000) -> Path:
    """The synthetic inventory of ``vms`` VMs, generated once and kept in ``bench/out``
    (the name carries a digest of the generator, so a changed generator makes new files)."""
    from bench.generate import generate

    digest = hashlib.sha1((BENCH / "generate.py").read_bytes()).hexdigest()[:8]
    path = out_dir("inputs") / f"estate-{vms}-{seed}-{digest}.{fmt}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        generate(vms, fmt, tmp, seed)
        tmp.replace(path)
    return path


def child_env() -> dict[str, str]:
    """Environment for a child ``python``: this repository first on the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("NO_COLOR", "1")
    return env


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def timed(function: Callable[[], object], repeat: int) -> list[float]:
    """Wall seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


# -- child processes -------------------------------------------------------------------------
@dataclass
class RunFigures:
    """One child process run: wall time, the peak RSS of its largest process (what
    ``/usr/bin/time -v`` calls "Maximum resident set size") and the peak of the summed
    proportional set size of the whole process tree (sampled; counts shared pages once)."""

    seconds: float
    max_rss: int  # bytes
    tree_pss: int  # bytes, 0 when /proc is unavailable
    returncode: int
    stderr: str = field(repr=False, default="")
    cpu_seconds: float = 0.0  # user + system time of the process and every child it waited for


_MAX_RSS = re.compile(r"Maximum resident set size \(kbytes\):\s*(\d+)")
_CPU = re.compile(r"(?:User|System) time \(seconds\):\s*([\d.]+)")


def gnu_time() -> str | None:
    """``/usr/bin/time`` when it is GNU time (``-v``); None otherwise."""
    path = shutil.which("time", path="/usr/bin:/bin")
    if path is None:
        return None
    probe = subprocess.run([path, "-v", "true"], capture_output=True, text=True, check=False)
    return path if "Maximum resident set size" in probe.stderr else None


def run_child(
    command: Sequence[str], *, stdout: Path | None = None, cwd: Path | None = None
) -> RunFigures:
    """Run ``command`` once; measure wall time and peak memory.

    Peak RSS comes from ``/usr/bin/time -v`` when installed, else from
    ``getrusage(RUSAGE_CHILDREN)`` of a fresh helper process that runs the command (so no
    earlier child's peak is mixed in)."""
    timer = gnu_time()
    with tempfile.TemporaryDirectory(prefix="gen2-bench-") as scratch:
        report = Path(scratch) / "time.txt"
        if timer is not None:
            wrapped = [timer, "-v", "-o", str(report), *command]
        else:
            wrapped = [PYTHON, str(BENCH / "common.py"), "--rusage", str(report), *command]
        sink = stdout.open("wb") if stdout is not None else subprocess.DEVNULL
        try:
            started = time.perf_counter()
            process = subprocess.Popen(
                wrapped, stdout=sink, stderr=subprocess.PIPE, cwd=cwd, env=child_env()
            )
            sampler = _TreeSampler(process.pid)
            sampler.start()
            _, err = process.communicate()
            seconds = time.perf_counter() - started
            sampler.stop()
        finally:
            if stdout is not None:
                sink.close()  # type: ignore[union-attr]
        text = report.read_text(encoding="utf-8", errors="replace") if report.exists() else ""
    max_rss = 0
    if (match := _MAX_RSS.search(text)) is not None:
        max_rss = int(match.group(1)) * 1024
    return RunFigures(
        seconds=seconds,
        cpu_seconds=sum(float(value) for value in _CPU.findall(text)),
        max_rss=max_rss,
        tree_pss=sampler.peak,
        returncode=process.returncode,
        stderr=err.decode("utf-8", "replace"),
    )


class _TreeSampler:
    """Peak of the summed PSS of a process and its descendants, sampled every 50 ms."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        if Path("/proc/self/smaps_rollup").exists():
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(_pss(pid) for pid in _tree(self.pid)))
            self._stop.wait(self.interval)


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _rusage_main(argv: list[str]) -> int:
    """``common.py --rusage REPORT CMD...``: run CMD, write its peak RSS like GNU time."""
    report, command = argv[0], argv[1:]
    code = subprocess.call(command)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kib = usage.ru_maxrss  # KiB on Linux
    Path(report).write_text(
        f"User time (seconds): {usage.ru_utime:.2f}\n"
        f"System time (seconds): {usage.ru_stime:.2f}\n"
        f"Maximum resident set size (kbytes): {peak_kib}\n",
        encoding="utf-8",
    )
    return code


# -- reporting --------------------------------------------------------------------------------
@dataclass
class Row:
    """One line of the summary table."""

    benchmark: str
    figure: str
    target: str = ""
    verdict: str = ""  # met / MISSED / "" (informational)


def write_rows(path: str | None, rows: Sequence[Row]) -> None:
    """Hand table rows to ``run_all`` (a JSON list) when it asked for them."""
    if path:
        Path(path).write_text(json.dumps([asdict(row) for row in rows]), encoding="utf-8")


def read_rows(path: Path) -> list[Row]:
    return [Row(**item) for item in json.loads(path.read_text(encoding="utf-8"))]


def fmt_seconds(values: Sequence[float]) -> str:
    spread = f" [{min(values):.2f}-{max(values):.2f}]" if len(values) > 1 else ""
    return f"{median(values):.2f} s{spread}"


def fmt_mib(value: int) -> str:
    return f"{value / MIB:,.0f} MiB"


def print_table(rows: Sequence[Row]) -> None:
    headers = ("benchmark", "measured (median [min-max])", "target", "")
    cells = [headers, *((r.benchmark, r.figure, r.target, r.verdict) for r in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    print(line)
    for i, row in enumerate(cells):
        print("  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)))
        if i == 0:
            print(line)
    print(line)


def machine() -> str:
    cores = os.cpu_count() or 0
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 1024**3:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        memory = "? GiB"
    return f"{cores} cores / {memory}, Python {sys.version.split()[0]}"


if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[1] == "--rusage":
    raise SystemExit(_rusage_main(sys.argv[2:]))
