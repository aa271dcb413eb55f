"""Work in a forked child: its result, its reports and its errors come back to the parent."""

from __future__ import annotations

import threading

import pytest

from assess import fast_switch, forked

pytestmark = pytest.mark.skipif(
    not forked.available(), reason="forking a child needs Linux and a single thread"
)


def test_the_result_and_the_reports_come_back() -> None:
    shared = list(range(1_000))  # the child sees the parent's memory as it was

    def work(report: forked.Report) -> int:
        report("half", 1, 2)
        report("all", 2, 2)
        return sum(shared)

    job = forked.start(work, name="test", what="adding up")
    assert job is not None
    reports: list[tuple] = []
    assert job.wait(on_report=lambda *message: reports.append(message)) == sum(range(1_000))
    assert reports == [("half", 1, 2), ("all", 2, 2)]


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("cannot pickle this")


def test_an_error_is_raised_here_and_one_that_cannot_travel_becomes_text() -> None:
    def fails(report: forked.Report) -> None:
        raise ValueError("bad value in the child")

    job = forked.start(fails, name="test", what="checking")
    assert job is not None
    with pytest.raises(ValueError, match="bad value in the child"):
        job.wait()

    def fails_oddly(report: forked.Report) -> None:
        raise Unpicklable("odd")

    job = forked.start(fails_oddly, name="test", what="checking")
    assert job is not None
    with pytest.raises(forked.ChildError, match=r"checking failed: .*Unpicklable: odd"):
        job.wait()


def test_a_result_that_cannot_travel_is_an_error() -> None:
    job = forked.start(lambda report: threading.Lock(), name="test", what="locking")
    assert job is not None
    with pytest.raises(forked.ChildError, match="locking failed: the result cannot be sent"):
        job.wait()


def test_a_child_that_dies_is_an_error() -> None:
    import os

    job = forked.start(lambda report: os._exit(3), name="test", what="dying")
    assert job is not None
    with pytest.raises(forked.ChildError, match=r"dying stopped unexpectedly \(exit code 3\)"):
        job.wait()


def test_no_child_with_the_switch_or_another_thread(monkeypatch) -> None:
    monkeypatch.setenv(fast_switch.ENV_SWITCH, "1")
    assert not forked.available()
    assert forked.start(lambda report: 1, name="test", what="x") is None
    monkeypatch.delenv(fast_switch.ENV_SWITCH)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not forked.available()
    finally:
        stop.set()
        thread.join()
    assert forked.available()
