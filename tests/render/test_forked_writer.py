"""The workbook written by a forked child: the same file, its errors here, nothing left over."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from assess.atomic import OutputError
from assess.render.xlsx import forked_writer
from assess.render.xlsx.workbook import write_workbook
from tests.assessment_factory import big, sample

pytestmark = pytest.mark.skipif(
    not forked_writer.available(), reason="forking a child needs Linux and a single thread"
)


@pytest.mark.slow
def test_child_writes_the_same_workbook(tmp_path: Path) -> None:
    assessment = big(300)
    job = forked_writer.start(assessment, tmp_path / "child.xlsx")
    assert job is not None
    progress: list[tuple[int, int]] = []
    assert job.wait(on_progress=lambda done, total: progress.append((done, total))) == (
        tmp_path / "child.xlsx"
    )
    here = write_workbook(assessment, tmp_path / "here.xlsx")
    assert (tmp_path / "child.xlsx").read_bytes() == here.read_bytes()
    assert progress and progress[-1][0] == progress[-1][1]


def test_the_childs_error_is_raised_here(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    job = forked_writer.start(sample(), blocker / "x.xlsx")
    assert job is not None
    with pytest.raises(OutputError, match="a parent of this path is a file"):
        job.wait()


def test_cancel_keeps_the_old_file_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"old workbook")
    job = forked_writer.start(big(20_000), target)
    assert job is not None
    job.cancel()
    assert target.read_bytes() == b"old workbook"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


def test_no_child_while_other_threads_run(tmp_path: Path) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not forked_writer.available()
        assert forked_writer.start(sample(), tmp_path / "x.xlsx") is None
    finally:
        stop.set()
        thread.join()
