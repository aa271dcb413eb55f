"""assess anonymize: an anonymized copy of an RVTools workbook that assesses the same."""

from __future__ import annotations

from python_calamine import CalamineWorkbook

from assess.cli.main import main
from assess.model.anonymize import Pseudonymizer
from assess.sources import rvtools
from assess.sources.rvtools_copy import anonymize_workbook
from tests.rvtools_books import write_workbook
from tests.sources.test_rvtools import estate

REAL = ["web01", "db01", "tmpl-w2022", "esx01.corp.example", "esx02", "DC1", "00:50:56:aa:bb",
        "10.0.0.11"]  # fmt: skip


def _cells(path) -> str:
    book = CalamineWorkbook.from_path(str(path))
    return " ".join(
        str(v) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python()
        for v in row
    )  # fmt: skip


def test_copy_replaces_names_and_assesses_the_same(tmp_path) -> None:
    source = write_workbook(tmp_path / "in.xlsx", "4.6", estate())
    copy = tmp_path / "out.xlsx"
    replaced = anonymize_workbook(str(source), str(copy), Pseudonymizer(b"salt"))
    assert replaced > 10
    text = _cells(copy).lower()
    for real in REAL:
        assert real.lower() not in text, real
    original, anonymized = rvtools.load(str(source)), rvtools.load(str(copy))
    # The same pseudonyms as `run --anonymize` with the same salt.
    expected = Pseudonymizer(b"salt").inventory(original.inventory).vms
    assert sorted(anonymized.inventory.vms["name"]) == sorted(expected["name"])
    assert sorted(anonymized.inventory.vms["host"]) == sorted(expected["host"])
    for column in ("firmware", "os_name", "hardware_version", "checkpoint_count"):
        assert sorted(anonymized.inventory.vms[column].astype(str)) == sorted(
            original.inventory.vms[column].astype(str)
        )
    assert len(anonymized.inventory["disks"]) == len(original.inventory["disks"])
    paths = anonymized.inventory["disks"]["path"]
    assert paths.str.contains("db01").sum() == 0 and paths.str.contains("/vm-").sum() == 1


def test_command(tmp_path, monkeypatch) -> None:
    source = write_workbook(tmp_path / "in.xlsx", "4.8", estate())
    monkeypatch.setenv("SALT", "x")
    out = tmp_path / "shared.xlsx"
    assert main(["anonymize", str(source), "--out", str(out), "--anonymize-salt-env", "SALT"]) == 0
    assert "web01" not in _cells(out)
    assert main(["anonymize", str(tmp_path / "missing.xlsx"), "--out", str(out)]) == 2
