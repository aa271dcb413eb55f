"""Decompression bombs: a small workbook that would inflate to gigabytes is refused from its
zip directory, before anything is decompressed: one line, exit 2."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from assess.cli.main import main
from assess.sources.table_files import MAX_WORKBOOK_BYTES

MIB = 1024 * 1024
CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"/>'
)


def bomb(path: Path, parts: dict[str, int]) -> Path:
    """A zip laid out like an xlsx whose parts are runs of spaces of the given sizes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        block = b" " * MIB
        for name, size in parts.items():
            with book.open(name, "w", force_zip64=True) as part:
                for _ in range(size // MIB):
                    part.write(block)
    return path


def run_refused(path: Path, capsys) -> str:
    code = main(["run", str(path), "--no-save", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(path) in err
    return err


def test_one_part_that_inflates_hundreds_of_times_is_refused(tmp_path: Path, capsys) -> None:
    path = bomb(tmp_path / "bomb.xlsx", {"xl/sharedStrings.xml": 40 * MIB})
    assert path.stat().st_size < MIB
    err = run_refused(path, capsys)
    assert "refused: part 'xl/sharedStrings.xml' decompresses" in err


@pytest.mark.slow
def test_a_workbook_over_the_total_bound_is_refused(tmp_path: Path, capsys) -> None:
    count = MAX_WORKBOOK_BYTES // (15 * MIB) + 1
    parts = {f"xl/worksheets/sheet{i}.xml": 15 * MIB for i in range(count)}
    path = bomb(tmp_path / "big.xlsx", parts)
    err = run_refused(path, capsys)
    assert "refused: the workbook would decompress to" in err
