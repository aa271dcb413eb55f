"""The same VM in two inputs: the newest collection wins, with a warning naming both files."""

from __future__ import annotations

import os
from pathlib import Path

from assess.cli.main import main
from assess.engine.catalog import load_catalog
from assess.pipeline import assess_sources
from assess.sources.registry import load_sources
from tests.cli.test_cli import TEMPLATE_HEADER

CATALOG = load_catalog()
#: Host, cluster, name, id ... Checkpoints (the 21st column) tells the two weeks apart.
ROW = (
    "HV01,,{name},{vm_id},1,9.0,Running,Windows Server 2019,10.0.17763,x64,IDE,C:\\a.vhdx,"
    "VHDX,Fixed,MBR,0,no,no,0,None,{checkpoints},no,0,0,"
)


def write(path: Path, rows: list[tuple[str, str, int]], mtime: float) -> Path:
    lines = [TEMPLATE_HEADER] + [ROW.format(name=n, vm_id=i, checkpoints=c) for n, i, c in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path


def test_newest_file_wins_whatever_the_order(tmp_path: Path) -> None:
    # The older file sorts first by name; its data must not win.
    old = write(
        tmp_path / "a-week1.csv",
        [("APP01", "", 3), ("DB01", "id-db", 3), ("OLD", "", 0)],
        1_700_000_000,
    )
    new = write(tmp_path / "b-week2.csv", [("app01", "", 0), ("DB01", "id-db", 0)], 1_700_600_000)
    run = assess_sources(load_sources([str(tmp_path)]), CATALOG)
    vms = run.assessment.vms.set_index("name")
    assert sorted(vms.index) == ["DB01", "OLD", "app01"]
    assert (vms["checkpoint_count"].loc[["DB01", "app01"]] == 0).all()
    [warning] = [w for w in run.warnings if "also in" in w.message]
    assert warning.path == str(old)
    assert f"2 VMs also in {new} (same id, or same host and name)" in warning.message
    assert "the newer collection is used" in warning.message and "APP01, DB01" in warning.message
    inputs = {Path(i.path).name: i for i in run.assessment.inputs}
    assert inputs["a-week1.csv"].detail == f"2 VMs older duplicates of {new}"
    assert inputs["a-week1.csv"].warnings == 1 and inputs["a-week1.csv"].vms == 1
    assert inputs["b-week2.csv"].collected_at.startswith("2023-11-21")
    assert [Path(i.path).name for i in run.assessment.inputs] == ["a-week1.csv", "b-week2.csv"]


def test_vms_with_different_real_ids_and_one_name_are_two_vms(tmp_path: Path) -> None:
    write(tmp_path / "a.csv", [("APP01", "id-1", 0)], 1_700_000_000)
    write(tmp_path / "b.csv", [("APP01", "id-2", 0)], 1_700_600_000)
    run = assess_sources(load_sources([str(tmp_path)]), CATALOG)
    assert len(run.assessment.vms) == 2 and not run.warnings


def test_duplicate_across_inputs_with_strict_is_exit_2(tmp_path: Path, capsys) -> None:
    write(tmp_path / "a.csv", [("APP01", "", 0)], 1_700_000_000)
    write(tmp_path / "b.csv", [("APP01", "", 0)], 1_700_600_000)
    assert main(["run", str(tmp_path), "--no-save", "--strict"]) == 2
    assert "1 VM also in" in capsys.readouterr().err
