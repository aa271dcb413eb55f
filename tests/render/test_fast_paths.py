"""The fast paths are guarded: verified versions only, one switch turns them all off, and the
workbook is the same byte for byte either way."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from assess.render.xlsx import fast_paths, fast_rows, forked_writer, parallel_zip
from assess.render.xlsx.workbook import write_workbook
from tests.assessment_factory import big


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_switch_turns_every_fast_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fast_paths.ENV_SWITCH, "1")
    assert [fast_paths.enabled(p) for p in fast_paths.FAST_PATHS] == [False, False, False]
    assert not parallel_zip.supported()
    assert not forked_writer.available()
    assert fast_paths.notes() == []  # the user asked for it: nothing to explain


@pytest.mark.parametrize("value", ["", "0", "no", "false"])
def test_the_switch_off_values_leave_the_fast_paths_on(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(fast_paths.ENV_SWITCH, value)
    assert not fast_paths.switched_off()


def test_an_unverified_xlsxwriter_falls_back_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fast_paths.ENV_SWITCH, raising=False)
    monkeypatch.setattr(fast_paths, "_xlsxwriter_version", lambda: "9.9.9")
    assert not fast_paths.enabled("bulk-rows")
    (note,) = [n for n in fast_paths.notes() if "bulk-rows" in n]
    assert "XlsxWriter 9.9.9" in note and "3.3.1" in note


def test_an_unverified_python_keeps_the_plain_zip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fast_paths.ENV_SWITCH, raising=False)
    monkeypatch.setattr(fast_paths, "VERIFIED_PYTHON", frozenset({(2, 7)}))
    assert not parallel_zip.supported()
    assert any("parallel-zip" in n and "2.7" in n for n in fast_paths.notes())


def test_the_installed_versions_are_verified() -> None:
    """CI installs what pyproject allows: a release outside the verified set must be checked
    (run the byte-identity tests with it) and added, or excluded in pyproject."""
    assert fast_paths._xlsxwriter_version() in fast_paths.VERIFIED_XLSXWRITER


def test_unknown_fast_path_name_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown fast path"):
        fast_paths.why_not("warp-drive")


@pytest.mark.slow
def test_workbooks_are_identical_with_and_without_fast_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assessment = big(300)
    monkeypatch.delenv(fast_paths.ENV_SWITCH, raising=False)
    assert fast_paths.enabled("bulk-rows")
    fast = write_workbook(assessment, tmp_path / "fast.xlsx")
    monkeypatch.setenv(fast_paths.ENV_SWITCH, "1")
    calls: list[object] = []
    monkeypatch.setattr(fast_rows.RowWriter, "write", lambda *a: calls.append(a))
    slow = write_workbook(assessment, tmp_path / "slow.xlsx")
    assert calls == []  # the bulk writer was not used
    assert _parts(fast) == _parts(slow)
