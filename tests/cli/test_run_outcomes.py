"""``assess run`` outcomes that are not a plain success: nothing assessed, skipped files."""

from __future__ import annotations

import json
from pathlib import Path

from assess.cli.main import main
from tests.cli.test_cli import TEMPLATE_HEADER

ROW = (
    "HV01,,APP01,,1,9.0,Running,Windows Server 2019,10.0.17763,x64,IDE,C:\\a.vhdx,VHDX,Fixed,"
    "MBR,0,no,no,0,None,0,no,0,0,"
)


def run(*args: object) -> int:
    return main([str(a) for a in args])


def test_inputs_without_any_vm_exit_3_and_write_no_report(tmp_path: Path, capsys) -> None:
    (tmp_path / "in.csv").write_text(TEMPLATE_HEADER + "\n", encoding="utf-8")
    reports = tmp_path / "reports"
    assert run("run", tmp_path / "in.csv", "--reports-dir", reports) == 3
    err = capsys.readouterr().err
    assert "nothing assessed: the inputs hold no Hyper-V VM (" in err and "in.csv: 0 VMs" in err
    assert not reports.exists()


def test_scope_that_leaves_out_every_vm_says_so(tmp_path: Path, capsys) -> None:
    (tmp_path / "in.csv").write_text(TEMPLATE_HEADER + "\n" + ROW + "\n", encoding="utf-8")
    (tmp_path / "p.toml").write_text('[scope]\nexclude_vms = ["*"]\n', encoding="utf-8")
    assert run("run", tmp_path / "in.csv", "--policy", tmp_path / "p.toml", "--no-save") == 3
    assert "nothing assessed: policy scope leaves out 1 of 1 VMs" in capsys.readouterr().err


def test_stray_file_in_a_folder_is_skipped_with_exit_3(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "hosts.csv").write_text(TEMPLATE_HEADER + "\n" + ROW + "\n", encoding="utf-8")
    (folder / "budget.csv").write_text("Year,Amount\n2026,100\n", encoding="utf-8")
    out = tmp_path / "a.json"
    assert run("run", folder, "--json", out) == 3
    err = capsys.readouterr().err
    assert "budget.csv: skipped, not an inventory: " in err
    inputs = json.loads(out.read_text(encoding="utf-8"))["inputs"]
    skipped = next(i for i in inputs if i["path"].endswith("budget.csv"))
    assert skipped["status"] == "skipped" and skipped["detail"].startswith("skipped: ")
    assert skipped["warnings"] == 1


def test_stray_file_with_strict_is_exit_2(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "hosts.csv").write_text(TEMPLATE_HEADER + "\n" + ROW + "\n", encoding="utf-8")
    (folder / "budget.csv").write_text("Year,Amount\n2026,100\n", encoding="utf-8")
    assert run("run", folder, "--no-save", "--strict") == 2
