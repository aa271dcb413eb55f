"""``assess plan``: the plan folder, its plan.json and workbook, and the refusal to overwrite."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from assess.cli.main import main
from assess.plan.model import GUEST_SCRIPT_KIND

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "plan"
SAMPLE = Path(__file__).resolve().parents[2] / "sample_inventory"


def _plan(tmp_path: Path, *extra: str, source: Path = FIXTURES) -> tuple[int, dict]:
    out = tmp_path / "plan"
    code = main(["plan", str(source), "--out", str(out), "-q", *extra])
    document = json.loads((out / "plan.json").read_text("utf-8")) if code in (0, 3) else {}
    return code, document


@pytest.mark.slow
def test_plan_json_contract(tmp_path):
    code, document = _plan(tmp_path)
    assert code == 0
    assert document["schema"] == "gen2-assess/plan" and document["schema_version"] == 1
    by_name = {vm["name"]: vm for vm in document["vms"]}
    assert set(by_name) == {"APP'; Stop-Computer -Force; '", "WEB-LNX01", "XP-OLD", "NEW-GEN2"}
    for vm in document["vms"]:
        for key in ("id", "name", "host", "verdict", "path", "scripts", "steps"):
            assert key in vm
        for step in vm["steps"]:
            assert step["where"] in ("host", "guest", "manual") and step["title"]
        for script in vm["scripts"]:
            assert not Path(script).is_absolute() and (tmp_path / "plan" / script).is_file()
    app = by_name["APP'; Stop-Computer -Force; '"]
    assert app["path"] == "mbr2gpt" and app["no_script_reason"] is None
    assert [s.rsplit(".", 2)[-2:] for s in app["scripts"]] == [["host", "ps1"], ["guest", "ps1"]]
    assert [a["mac"] for a in app["adapters"]] == ["00155D0A0001", "00155D0A0002"]
    assert app["disks"][1]["convert_from_vhd"] is True
    assert by_name["WEB-LNX01"]["scripts"][1].endswith(".guest.sh")
    assert by_name["XP-OLD"]["no_script_reason"].startswith("blocked")
    assert by_name["XP-OLD"]["scripts"][0].endswith(".rebuild-checklist.md")
    assert by_name["NEW-GEN2"]["scripts"] == []


def test_host_script_has_bom_and_hostile_text_as_literals(tmp_path):
    _plan(tmp_path)
    host = next((tmp_path / "plan").rglob("*.host.ps1"))
    raw = host.read_bytes()
    if "APP" in host.name:
        assert raw.startswith(b"\xef\xbb\xbf")
    texts = [p.read_text("utf-8-sig") for p in (tmp_path / "plan").rglob("APP*.host.ps1")]
    assert texts and "-SwitchName '$(Stop-Computer)'" in texts[0]


def test_runbook_workbook_keeps_strings_as_text(tmp_path):
    _plan(tmp_path)
    book = openpyxl.load_workbook(tmp_path / "plan" / "runbook.xlsx")
    assert book.sheetnames == ["Runbook"]
    sheet = book["Runbook"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    names = {r["name"] for r in rows}
    assert "APP'; Stop-Computer -Force; '" in names
    for row in sheet.iter_rows(2):
        for cell in row:
            assert cell.data_type != "f"


@pytest.mark.slow
def test_refuses_a_folder_that_is_not_a_plan(tmp_path, capsys):
    out = tmp_path / "plan"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["plan", str(FIXTURES), "--out", str(out), "-q"]) == 2
    assert "not a gen2-assess plan" in capsys.readouterr().err
    assert not (out / "plan.json").exists()
    assert main(["plan", str(FIXTURES), "--out", str(out), "-q", "--force"]) == 0
    assert (out / "notes.txt").read_text() == "mine"


@pytest.mark.slow
def test_rewrites_an_earlier_plan(tmp_path):
    assert _plan(tmp_path)[0] == 0
    assert _plan(tmp_path)[0] == 0


def test_bad_input_is_exit_2(tmp_path, capsys):
    missing = tmp_path / "nothing.jsonl"
    assert main(["plan", str(missing), "--out", str(tmp_path / "p"), "-q"]) == 2
    assert "assess: error:" in capsys.readouterr().err


@pytest.mark.slow
def test_sample_inventory_every_convertible_vm_has_scripts(tmp_path):
    code, document = _plan(tmp_path, source=SAMPLE)
    assert code in (0, 3)
    convertible = [
        vm
        for vm in document["vms"]
        if vm["verdict"] in ("ready", "ready-with-fixes") and vm["path"] in GUEST_SCRIPT_KIND
    ]
    assert len(convertible) >= 15
    for vm in convertible:
        assert vm["convertible"] and len(vm["scripts"]) == 2, vm["name"]
        for script in vm["scripts"]:
            assert (tmp_path / "plan" / script).is_file()
