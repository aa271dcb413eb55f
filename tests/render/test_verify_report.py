"""``assess.render.verify_report``: the verification JSON, Verification sheet and terminal."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from rich.console import Console

from assess.render.verify_report import (
    RESULT_COLOURS,
    VERIFY_COLUMNS,
    render_verification,
    verification_rows,
    verification_to_dict,
    write_verification_json,
    write_verification_workbook,
)
from assess.verify.compare import (
    DIFFERS,
    MATCH,
    MISSING,
    NOT_CONVERTED,
    Difference,
    NotCompared,
    Verification,
    VmResult,
)

FORMULA_NAME = '=HYPERLINK("http://x","y")'
ESCAPE_NAME = "WEB\x1b[31m02"
RICH_MARKUP = "<r><t>injected</t></r>"


@pytest.fixture()
def result() -> Verification:
    return Verification(
        vms=[
            VmResult(
                name=FORMULA_NAME,
                host="HV01",
                vm_id="id-1",
                status=MISSING,
                differences=[Difference("vm", "identity", FORMULA_NAME, None, False, "gone")],
            ),
            VmResult(
                name=ESCAPE_NAME,
                host="HV01",
                vm_id="id-2",
                status=DIFFERS,
                new_name=ESCAPE_NAME,
                new_host="HV01",
                new_vm_id="id-2b",
                rollback_name="WEB02-gen1",
                differences=[
                    Difference(
                        "memory_startup_bytes",
                        "memory",
                        4 * 1024**3,
                        2 * 1024**3,
                        False,
                        "less memory",
                    ),
                    Difference("generation", "identity", 1, 2, True, "the conversion"),
                    Difference(
                        "notes", "notes", "ok", "-cmd|' /C calc'!A0", False, "notes changed"
                    ),
                    Difference("nics[x].name", "network", RICH_MARKUP, "a", False, "renamed"),
                ],
                not_compared=[
                    NotCompared("nics[00155D000101].vlan_id", "network", "no data in AFTER")
                ],
            ),
            VmResult(
                name="WEB03",
                host="HV01",
                vm_id="id-3",
                status=MATCH,
                new_name="WEB03",
                new_host="HV02",
                new_vm_id="id-3b",
                unknown_groups=("network",),
                not_compared=[NotCompared("nics", "network", "no data: not listed in AFTER")],
            ),
            VmResult(name="DB01", host="HV01", vm_id="id-4", status=NOT_CONVERTED),
        ],
        skipped=1,
        notes=["a note"],
        before_inputs=[
            {
                "path": "before.jsonl",
                "kind": "collector",
                "vms": 4,
                "warnings": 0,
                "status": "ok",
                "detail": "",
            }
        ],
    )


def test_json_document(result: Verification, tmp_path: Path) -> None:
    path = write_verification_json(result, tmp_path / "out" / "verify.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["schema"] == "gen2-assess/verify"
    assert document["schema_version"] == 1
    assert document["summary"] == {
        "missing": 1,
        "differs": 1,
        "match": 1,
        "not-converted": 1,
        "unexpected_differences": 4,
        "incomplete": 1,
        "skipped": 1,
        "outcome": "unexpected",
    }
    vm = document["vms"][1]
    assert vm["status"] == "differs"
    assert vm["new_vm"] == {"name": ESCAPE_NAME, "host": "HV01", "id": "id-2b"}
    assert vm["differences"][0] == {
        "field": "memory_startup_bytes",
        "group": "memory",
        "before": 4 * 1024**3,
        "after": 2 * 1024**3,
        "expected": False,
        "reason": "less memory",
    }
    assert document["vms"][3]["new_vm"] is None
    assert document["vms"][2]["unknown_groups"] == ["network"]
    assert document["before"][0]["path"] == "before.jsonl"
    assert verification_to_dict(result)["notes"] == ["a note"]
    assert not list(tmp_path.joinpath("out").glob(".*"))  # no temporary file left


def test_json_is_the_document_with_one_vm_per_line(result: Verification, tmp_path: Path) -> None:
    result.generated_at = datetime(2026, 12, 1, tzinfo=UTC)
    text = write_verification_json(result, tmp_path / "verify.json").read_text("utf-8")
    assert json.loads(text) == verification_to_dict(result)
    lines = text.splitlines()
    start = lines.index(' "vms": [')
    assert lines[start + 1 : start + 1 + len(result.vms)] == [
        "  " + json.dumps(vm, ensure_ascii=False) + ("," if i < len(result.vms) - 1 else "")
        for i, vm in enumerate(verification_to_dict(result)["vms"])
    ]
    assert lines[-2:] == [" ]", "}"]


def test_json_without_vms(tmp_path: Path) -> None:
    text = write_verification_json(Verification(vms=[]), tmp_path / "v.json").read_text("utf-8")
    assert json.loads(text)["vms"] == []
    assert text.endswith(' "vms": []\n}\n')


def test_workbook_sheet(result: Verification, tmp_path: Path) -> None:
    path = write_verification_workbook(result, tmp_path / "verify.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Verification"]
    sheet = workbook["Verification"]
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == list(VERIFY_COLUMNS)
    assert len(rows) - 1 == len(verification_rows(result)) == 1 + 5 + 1 + 1
    column = {name: i for i, name in enumerate(VERIFY_COLUMNS)}

    cells = [c for row in rows for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    (named,) = [
        r[column["vm_name"]] for r in rows[1:] if r[column["vm_name"]].value == FORMULA_NAME
    ]
    assert named.data_type == "s" and named.quotePrefix
    notes = next(r for r in rows[1:] if r[column["field"]].value == "notes")
    assert notes[column["after"]].value.startswith("-cmd") and notes[column["after"]].quotePrefix

    renamed = next(r for r in rows[1:] if r[column["field"]].value == "nics[x].name")
    assert renamed[column["before"]].value == RICH_MARKUP  # escaped, not sheet XML

    memory = next(r for r in rows[1:] if r[column["field"]].value == "memory_startup_bytes")
    assert memory[column["before"]].value == 4 * 1024**3  # a number, not text
    assert memory[column["result"]].value == "unexpected"
    fill = memory[column["result"]].fill.fgColor.rgb
    assert fill.endswith(RESULT_COLOURS["unexpected"].fill.lstrip("#"))
    results = {r[column["result"]].value for r in rows[1:]}
    assert results == {"unexpected", "expected", "not compared", None}
    db = next(r for r in rows[1:] if r[column["vm_name"]].value == "DB01")
    assert db[column["status"]].value == "not-converted"
    assert "not converted" in db[column["reason"]].value


def _render(result: Verification, **options) -> str:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    render_verification(result, console, **options)
    return console.file.getvalue()


def test_terminal(result: Verification) -> None:
    text = _render(result)
    assert "\x1b" not in text  # the escape in a VM name is dropped
    assert "WEB[31m02" in text
    assert "less memory" in text and "NO" in text
    assert "4,294,967,296 (4.00 GiB)" in text
    assert "1 VM(s) not converted" in text
    assert "DB01" not in text
    assert "WEB03: no data at all for network: not verified" in text
    assert "Unexpected differences" in text
    assert "DB01" in _render(result, show_all=True)


def test_terminal_when_nothing_was_converted() -> None:
    text = _render(Verification(vms=[VmResult("A", "HV", "x", NOT_CONVERTED)]))
    assert "No VM was converted." in text


@pytest.mark.slow
def test_libreoffice_shows_the_literal_text(result: Verification, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    source = write_verification_workbook(result, tmp_path / "verify.xlsx")
    out = tmp_path / "csv"
    command = [
        soffice,
        f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
        "--headless",
        "--convert-to",
        "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1",
        str(source),
        "--outdir",
        str(out),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=240)
    text = (out / "verify-Verification.csv").read_text(encoding="utf-8")
    assert '"=HYPERLINK(""http://x"",""y"")"' in text
    assert "-cmd|' /C calc'!A0" in text
    assert RICH_MARKUP in text


def test_fields_not_compared_are_one_row_per_reason() -> None:
    vm = VmResult(
        "A",
        "HV",
        "x",
        MATCH,
        not_compared=[
            NotCompared("notes", "notes", "no data in AFTER"),
            NotCompared("nics[M].vlan_id", "network", "no data in AFTER"),
            NotCompared("nics[M].vlan_mode", "network", "no data in AFTER"),
            NotCompared("processor_limit", "processor", "no data in BEFORE and AFTER"),
        ],
    )
    rows = verification_rows(Verification(vms=[vm]))
    column = {name: i for i, name in enumerate(VERIFY_COLUMNS)}
    assert [(r[column["field"]], r[column["reason"]]) for r in rows] == [
        ("notes; nics[M]: vlan_id, vlan_mode", "no data in AFTER"),
        ("processor_limit", "no data in BEFORE and AFTER"),
    ]
    assert rows[0][column["group"]] == "notes, network"
