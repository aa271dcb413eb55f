"""Output paths that are not plain files, outputs that cannot be written, signals, and the
exit code of a bug. Signal tests run the command line in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from assess.atomic import is_special
from assess.cli.main import main
from bench.generate import generate

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_inventory"


def run(*args: str) -> int:
    return main(["run", str(SAMPLE), "--quiet", *args])


def one_error_line(err: str, path: object) -> None:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert str(path) in err


# --------------------------------------------------------------------------- special files


@pytest.mark.slow
def test_dev_null_is_written_to_never_replaced() -> None:
    assert is_special("/dev/null")
    assert run("--json", "/dev/null", "--xlsx", "/dev/null") == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.slow
def test_a_fifo_receives_the_output_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as source:
            received.append(source.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert run("--json", str(fifo)) == 0
    reader.join(30)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert json.loads(received[0])["schema"] == "gen2-assess/assessment"


@pytest.mark.slow
def test_a_symlink_keeps_pointing_at_the_replaced_file(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert run("--json", str(link)) == 0
    assert link.is_symlink() and link.resolve() == real
    assert json.loads(real.read_text(encoding="utf-8"))["schema"] == "gen2-assess/assessment"


@pytest.mark.slow
def test_json_to_standard_output() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "assess", "run", str(SAMPLE), "--json", "-"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["schema"] == "gen2-assess/assessment"
    assert "Verdict" in done.stderr or "VMs" in done.stderr  # the report went to stderr


def test_a_workbook_to_standard_output_is_refused(capsys) -> None:
    assert run("--xlsx", "-") == 2
    assert "--xlsx -" in capsys.readouterr().err


# --------------------------------------------------------------------------- unwritable outputs


def test_an_output_that_is_a_folder_is_one_line(tmp_path: Path, capsys) -> None:
    assert run("--json", str(tmp_path)) == 2
    err = capsys.readouterr().err
    one_error_line(err, tmp_path)
    assert "it is a folder" in err


def test_an_output_under_a_file_is_one_line(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    for option, target in (("--xlsx", blocker / "a.xlsx"), ("--csv", blocker / "csv")):
        assert run(option, str(target)) == 2
        err = capsys.readouterr().err
        one_error_line(err, target)
        assert "is a file, not a folder" in err


@pytest.mark.slow
def test_a_full_disk_is_one_line(capsys) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    assert run("--json", "/dev/full") == 2
    err = capsys.readouterr().err
    # The sample's RVTools export adds a note (a template listed apart): not an error line.
    err = "".join(line for line in err.splitlines(True) if not line.startswith("note: "))
    one_error_line(err, "/dev/full")
    assert "no space left" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_one_line(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert run("--json", str(folder / "a.json")) == 2
    finally:
        folder.chmod(0o700)
    err = capsys.readouterr().err
    one_error_line(err, folder / "a.json")
    assert "permission denied" in err


# --------------------------------------------------------------------------- exit codes


@pytest.mark.slow
def test_a_bug_exits_4_with_one_line_never_1(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import assess.pipeline

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something \x1b]0;evil\x07 went wrong")

    monkeypatch.setattr(assess.pipeline, "assess_sources", broken)
    assert run("--no-save") == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err
    assert "internal error: RuntimeError: something" in err and "--debug" in err
    assert main(["run", str(SAMPLE), "--no-save", "--quiet", "--debug"]) == 4
    assert "Traceback" in capsys.readouterr().err


# --------------------------------------------------------------------------- signals


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(8_000, "csv", tmp_path_factory.mktemp("estate") / "estate.csv", seed=5)


def start_run(estate: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "assess", "run", str(estate), "--quiet",
         "--xlsx", str(out / "r.xlsx"), "--json", str(out / "r.json")],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for_workbook_writer(out: Path, process: subprocess.Popen) -> None:
    """Until the forked writer has its temporary workbook (bounded: 120 s)."""
    deadline = time.monotonic() + 120
    while not list(out.glob(".r.xlsx.*")):
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir())


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_clean_up_like_ctrl_c(
    estate: Path, tmp_path: Path, signum: int, code: int
) -> None:
    process = start_run(estate, tmp_path)
    try:
        wait_for_workbook_writer(tmp_path, process)
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == code, err
    assert "stopped by" in err and "Traceback" not in err
    time.sleep(2)  # a writer that outlived its parent would rename by now
    assert [name for name in leftovers(tmp_path) if name.startswith(".")] == []
    # Outputs finished before the signal was handled may stand, complete; nothing else.
    assert set(leftovers(tmp_path)) <= {"r.json", "r.xlsx"}
    if (tmp_path / "r.xlsx").exists():
        with zipfile.ZipFile(tmp_path / "r.xlsx") as book:
            assert book.testzip() is None


@pytest.mark.slow
def test_the_workbook_writer_dies_with_its_parent(estate: Path, tmp_path: Path) -> None:
    """SIGKILL cannot be handled: the child must notice on its own and never rename."""
    process = start_run(estate, tmp_path)
    try:
        wait_for_workbook_writer(tmp_path, process)
        process.kill()
        process.communicate(timeout=60)
    finally:
        process.kill()
    deadline = time.monotonic() + 30
    while list(tmp_path.glob(".r.xlsx.*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2)
    assert not (tmp_path / "r.xlsx").exists()
    assert not list(tmp_path.glob(".r.xlsx.*"))
