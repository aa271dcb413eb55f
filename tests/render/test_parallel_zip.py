"""Zipping on threads gives the archive ``zipfile`` writes on one, byte for byte."""

from __future__ import annotations

import contextlib
import hashlib
import os
import zipfile
from pathlib import Path

import pytest
import xlsxwriter.workbook

from assess.render.xlsx import parallel_zip, workbook
from assess.render.xlsx.workbook import write_workbook
from tests.assessment_factory import big, sample

pytestmark = pytest.mark.skipif(not parallel_zip.supported(), reason="needs POSIX file semantics")


def _parts(folder: Path) -> list[Path]:
    sizes = {"empty.xml": 0, "small.xml": 300, "chunked.xml": 3 * parallel_zip.CHUNK + 17}
    paths = []
    for name, size in sizes.items():
        path = folder / name
        path.write_bytes(bytes((i * 7 + i // 97) % 251 for i in range(size)))
        os.utime(path, (315_532_800 + 86_400 * 30, 315_532_800 + 86_400 * 30))
        paths.append(path)
    return paths


def _archive(cls: type[zipfile.ZipFile], target: Path, parts: list[Path]) -> bytes:
    with cls(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in parts:
            archive.write(part, f"xl/{part.name}")
        archive.writestr("docProps/app.xml", "<x/>")
    return target.read_bytes()


@pytest.mark.slow
def test_same_bytes_as_zipfile(tmp_path: Path) -> None:
    parts = _parts(tmp_path)
    serial = _archive(zipfile.ZipFile, tmp_path / "serial.zip", parts)
    parallel = _archive(parallel_zip.ParallelZipFile, tmp_path / "parallel.zip", parts)
    assert parallel == serial
    with zipfile.ZipFile(tmp_path / "parallel.zip") as archive:
        assert archive.testzip() is None


@pytest.mark.slow
def test_parts_removed_after_handing_over_are_still_zipped(tmp_path: Path) -> None:
    # XlsxWriter deletes each part file as soon as write() returns.
    parts = _parts(tmp_path)
    expected = {f"xl/{p.name}": p.read_bytes() for p in parts}
    with parallel_zip.ParallelZipFile(tmp_path / "a.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for part in parts:
            archive.write(part, f"xl/{part.name}")
            part.unlink()
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert {name: archive.read(name) for name in archive.namelist()} == expected


@pytest.mark.slow
def test_workbook_bytes_do_not_depend_on_it(tmp_path: Path, monkeypatch) -> None:
    for assessment in (sample(), big(200)):
        parallel = write_workbook(assessment, tmp_path / "parallel.xlsx").read_bytes()
        with monkeypatch.context() as patch:
            patch.setattr(
                workbook.parallel_zip, "parallel_zip", lambda module: contextlib.nullcontext()
            )
            serial = write_workbook(assessment, tmp_path / "serial.xlsx").read_bytes()
        assert hashlib.sha256(parallel).digest() == hashlib.sha256(serial).digest()
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile  # the patch is undone


@pytest.mark.slow
def test_a_failing_part_fails_the_archive(tmp_path: Path, monkeypatch) -> None:
    parts = _parts(tmp_path)

    def broken(*args):
        raise OSError("disk on fire")

    monkeypatch.setattr(parallel_zip, "_deflate", broken)
    with (
        pytest.raises(OSError, match="disk on fire"),
        parallel_zip.ParallelZipFile(tmp_path / "a.zip", "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        archive.write(parts[1], "xl/small.xml")
