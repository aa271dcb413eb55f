"""``assess run`` outcomes that are not a plain success: nothing assessed, skipped files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assess.cli.main import main
from tests.cli.test_cli import SAMPLE, TEMPLATE_HEADER

ROW = (
    "HV01,,APP01,,1,9.0,Running,Windows Server 2019,10.0.17763,x64,IDE,C:\\a.vhdx,VHDX,Fixed,"
    "MBR,0,no,no,0,None,0,no,0,0,"
)


def run(*args: object) -> int:
    return main([str(a) for a in args])


@pytest.mark.slow
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


ERP_POLICY = """
[[waiver]]
vm = "LEGACY-ERP01"
rule = "OS002"
reason = "Stays on Gen 1 until the ERP replacement in 2027"
owner = "cio@corp.example"
expires = 2099-06-30
"""


@pytest.mark.slow
def test_the_readme_waiver_makes_the_erp_vm_stay_on_gen1_everywhere(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    import openpyxl

    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "p.toml").write_text(ERP_POLICY, encoding="utf-8")
    out_json, out_xlsx = tmp_path / "a.json", tmp_path / "a.xlsx"
    code = run(
        "run", SAMPLE, "--policy", tmp_path / "p.toml", "--json", out_json, "--xlsx", out_xlsx
    )
    assert code == 0
    terminal = capsys.readouterr().out
    line = next(line for line in terminal.splitlines() if "LEGACY-ERP01" in line)
    assert "stays-gen1" in line
    assert "Stays on Gen 1 until the ERP replacement in 2027" in line
    assert "cio@corp.example" in line and "until 2099-06-30" in line

    document = json.loads(out_json.read_text(encoding="utf-8"))
    erp = next(vm for vm in document["vms"] if vm["name"] == "LEGACY-ERP01")
    assert erp["verdict"] == "stays-gen1" and erp["effort_hours"] == 0.0
    assert erp["effort_if_converted_hours"] > 16
    assert erp["stays_gen1_owner"] == "cio@corp.example"
    assert erp["stays_gen1_expires"] == "2099-06-30"
    assert document["summary"]["verdicts"]["stays-gen1"] == 1
    assert document["summary"]["stays_gen1"]["vms"] == 1
    # Hours of the VMs that can move: the ERP VM's are not among them.
    assert document["summary"]["effort_hours"] == pytest.approx(
        sum(vm["effort_hours"] for vm in document["vms"]), abs=0.05
    )
    texts = {vm["name"]: vm["reasons_to_convert_text"] for vm in document["vms"]}
    assert texts["DC01"] == "No reason found"
    assert texts["BUILD01"].startswith("Windows 10 support ended on 14 Oct 2025")
    assert texts["WEB02"] is None  # already Generation 2: no question to answer

    book = openpyxl.load_workbook(out_xlsx, read_only=True)
    rows = list(book["VMs"].iter_rows(values_only=True))
    # The sheet shows human headers; its Fields sheet maps each to its field name.
    fields = {
        header: field
        for sheet, header, field, _ in book["Fields"].iter_rows(min_row=2, values_only=True)
        if sheet == "VMs"
    }
    header = [fields[h] for h in rows[0]]
    for column in (
        "verdict",
        "effort_hours",
        "effort_if_converted_hours",
        "stays_gen1_reason",
        "stays_gen1_owner",
        "stays_gen1_expires",
        "reasons_to_convert",
        "reasons_to_convert_text",
    ):
        assert column in header
    row = next(dict(zip(header, r, strict=False)) for r in rows[1:] if "LEGACY-ERP01" in r)
    assert row["verdict"] == "stays-gen1"
    assert row["stays_gen1_reason"] == "Stays on Gen 1 until the ERP replacement in 2027"
    assert row["effort_hours"] == 0
