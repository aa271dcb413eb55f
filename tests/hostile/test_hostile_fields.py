"""Hostile values in input files: huge fields, lone surrogates, integers past Python's
4,300-digit limit, nesting deeper than the parser's stack. Each is a warning naming the
file, line and column; the other VMs are assessed and every report is written."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest

from assess.cli.main import main
from assess.engine.catalog import load_catalog
from assess.pipeline import assess_sources
from assess.sources.field_bounds import MAX_FIELD_CHARS, MAX_NOTES_CHARS
from assess.sources.registry import load_sources

SAMPLE = Path(__file__).resolve().parents[2] / "sample_inventory"
TEMPLATE = SAMPLE / "dev-cluster-inventory.csv"
RECORDS = SAMPLE / "hv-prod01-gen2-inventory.jsonl"
MEGABYTE = 1024 * 1024


def run(paths: list[Path], tmp_path: Path, capsys) -> tuple[int, dict, str]:
    out = tmp_path / "out"
    code = main(["run", *map(str, paths), "--json", str(out / "a.json"), "--csv",
                 str(out / "csv"), "--xlsx", str(out / "a.xlsx"), "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    document = json.loads((out / "a.json").read_text(encoding="utf-8"))
    return code, document, err


def assess_file(path: Path) -> tuple[float, pd.DataFrame, str]:
    """Seconds to read and assess one input (facts, OS identification, rules), the VMs, and
    the warnings as printed."""
    started = time.monotonic()
    results = load_sources([str(path)])
    vms = assess_sources(results, load_catalog([])).assessment.vms
    warnings = "\n".join(str(w) for r in results for w in r.warnings)
    return time.monotonic() - started, vms, warnings


def read(path: Path) -> tuple[int, str]:
    """(VMs read, warnings as printed) of one input, without the reports."""
    (result,) = load_sources([str(path)])
    return len(result.inventory.vms), "\n".join(str(w) for w in result.warnings)


def template_with(tmp_path: Path, column: str, value: str) -> tuple[Path, int]:
    lines = TEMPLATE.read_text(encoding="utf-8-sig").splitlines()
    headers = lines[0].split(",")
    cells = lines[2].split(",", len(headers) - 1)
    cells[headers.index(column)] = f'"{value}"'
    lines[2] = ",".join(cells)
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(lines) - 1


@pytest.mark.slow
@pytest.mark.parametrize("filler", ["7" * MEGABYTE, " " * MEGABYTE, "Windows " * (MEGABYTE // 8)])
def test_a_one_megabyte_os_name_in_a_csv_is_cut_and_read_quickly(
    filler: str, tmp_path: Path
) -> None:
    path, count = template_with(tmp_path, "OSName", f"Windows Server 2019 {filler}x")
    seconds, vms, err = assess_file(path)
    assert seconds < 5  # a generous bound: quadratic work on 1 MB takes minutes
    assert len(vms) == count
    assert f"big.csv:3: column 'OSName': value of {len(filler) + 21:,} characters cut" in err
    assert vms["os_display"].str.len().max() <= MAX_FIELD_CHARS


@pytest.mark.slow
def test_a_one_megabyte_field_in_collector_records_is_cut(tmp_path: Path) -> None:
    lines = RECORDS.read_text(encoding="utf-8").splitlines()
    vm = json.loads(lines[1])
    vm["name"] = "N" * MEGABYTE
    vm["notes"] = "note " * MEGABYTE
    vm.setdefault("guest", {})
    lines[1] = json.dumps(vm)
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seconds, vms, err = assess_file(path)
    assert seconds < 5
    assert len(vms) == 10
    assert "big.jsonl:2: column 'name': value of 1,048,576 characters cut" in err
    assert f"column 'notes': value of {5 * MEGABYTE:,} characters cut to the first " in err
    assert "N" * MAX_FIELD_CHARS in set(vms["name"])
    assert vms["notes"].str.len().max() <= MAX_NOTES_CHARS


def records_with(tmp_path: Path, bad_line: str, name: str = "bad.jsonl") -> Path:
    lines = RECORDS.read_text(encoding="utf-8").splitlines()
    lines.insert(2, bad_line)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_a_lone_surrogate_is_replaced_with_a_warning(tmp_path: Path, capsys) -> None:
    vm = json.loads(RECORDS.read_text(encoding="utf-8").splitlines()[1])
    vm["name"], vm["id"] = "SURROGATE-VM", "5d1c3e2a-0000-4000-8000-000000000001"
    vm["notes"] = "bad \ud800 note"
    line = json.dumps(vm)
    assert "\\ud800" in line
    code, document, err = run([records_with(tmp_path, line)], tmp_path, capsys)
    assert code == 0
    assert "bad.jsonl:3: column 'notes': text with an invalid character" in err
    assert len(document["vms"]) == 11
    notes = {vm["name"]: vm.get("notes") for vm in document["vms"]}
    assert notes["SURROGATE-VM"] == "bad \ufffd note"


def test_an_integer_over_4300_digits_is_one_bad_line(tmp_path: Path) -> None:
    line = '{"kind":"vm","name":"HUGE","processorCount":' + "9" * 5000 + "}"
    vms, err = read(records_with(tmp_path, line))
    assert "bad.jsonl:3: not a JSON record (Exceeds the limit (4300 digits)" in err
    assert vms == 10


def test_deep_nesting_in_a_json_array_file_skips_one_element(tmp_path: Path) -> None:
    records = [json.loads(line) for line in RECORDS.read_text(encoding="utf-8").splitlines()]
    deep = '{"kind":"vm","name":"DEEP","notes":' + "[" * 100_000 + "]" * 100_000 + "}"
    huge = '{"kind":"vm","name":"HUGE","processorCount":' + "9" * 5000 + "}"
    items = [json.dumps(r) for r in records]
    items[2:2] = [deep, huge]
    path = tmp_path / "array.json"
    path.write_text("[\n" + ",\n".join(items) + "\n]\n", encoding="utf-8")
    vms, err = read(path)
    assert "array.json:4: record not read (nested too deeply); skipped" in err
    assert "array.json:5: record not read (Exceeds the limit (4300 digits)" in err
    assert vms == 10


def test_deep_nesting_on_a_record_line_is_one_bad_line(tmp_path: Path) -> None:
    line = '{"kind":"vm","name":"DEEP","notes":' + "[" * 100_000 + "]" * 100_000 + "}"
    vms, err = read(records_with(tmp_path, line))
    assert "bad.jsonl:3: not a JSON record (nested too deeply)" in err
    assert vms == 10
