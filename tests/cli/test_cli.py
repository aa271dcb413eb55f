"""The command line end to end: outputs, exit codes, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assess.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_inventory"
TEMPLATE_HEADER = (
    "Host,Cluster,VMName,VMId,Generation,ConfigVersion,State,OSName,OSVersion,OSArchitecture,"
    "BootController,BootDiskPath,BootDiskFormat,BootDiskType,PartitionStyle,LegacyNICs,PXEBoot,"
    "FloppyAttached,COMPorts,DVDMedia,Checkpoints,Replication,SharedDisks,PassThroughDisks,Notes"
)


def run(*args: str) -> int:
    return main([str(a) for a in args])


@pytest.mark.slow
def test_run_writes_every_output(tmp_path: Path, capsys) -> None:
    code = run("run", SAMPLE, "--json", tmp_path / "a.json", "--xlsx", tmp_path / "a.xlsx",
               "--csv", tmp_path / "csv")  # fmt: skip
    assert code == 0
    document = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert document["schema"] == "gen2-assess/assessment" and document["schema_version"] == 1
    assert len(document["vms"]) == 47  # 40 Hyper-V VMs and 7 VMware VMs
    assert {"generated_at", "inputs", "summary", "hosts", "vms"} <= set(document)
    vm = next(v for v in document["vms"] if v["name"] == "APP01")
    assert {f["rule"] for f in vm["findings"]} >= {"BOOT002", "DISK001"}
    assert set(vm) >= {"id", "name", "host", "cluster", "generation", "verdict",
                       "conversion_path", "effort_hours", "confidence", "facts", "findings",
                       "unknown_rules"}  # fmt: skip
    assert (tmp_path / "a.xlsx").stat().st_size > 10_000
    assert (tmp_path / "csv" / "vms.csv").exists() and (tmp_path / "csv" / "findings.csv").exists()
    out = capsys.readouterr().out
    assert "LEGACY-ERP01" in out and "blocked" in out


@pytest.mark.slow
def test_run_writes_default_reports(tmp_path: Path) -> None:
    assert run("run", SAMPLE, "--reports-dir", tmp_path / "reports", "--quiet") == 0
    names = sorted(p.suffix for p in (tmp_path / "reports").iterdir())
    assert names == [".json", ".xlsx"]


@pytest.mark.slow
def test_quiet_prints_nothing(tmp_path: Path, capsys) -> None:
    assert run("run", SAMPLE, "--no-save", "--quiet") == 0
    assert capsys.readouterr().out == ""


@pytest.mark.slow
def test_one_vm(capsys) -> None:
    assert run("run", SAMPLE, "--no-save", "--vm", "app01") == 0
    out = capsys.readouterr().out
    assert "BOOT002" in out and "Convert-VHD" in out


@pytest.mark.slow
def test_unknown_vm_is_an_error(capsys) -> None:
    assert run("run", SAMPLE, "--no-save", "--vm", "nosuchvm") == 2
    assert "nosuchvm" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "no such file"),
        (b"", "empty"),
        (b"\x00\x01\x02\x03binary\xff\xfe\x00\x00junk" * 20, "binary"),
        (b"just some words\nnothing tabular here\n", "not a recognised inventory"),
    ],
)
def test_bad_file_is_one_line_exit_2(tmp_path: Path, capsys, content, reason: str) -> None:
    path = tmp_path / "input.csv"
    if content is not None:
        path.write_bytes(content)
    assert run("run", path, "--no-save") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(path) in err and reason in err.lower()


def bad_row_file(tmp_path: Path) -> Path:
    path = tmp_path / "inv.csv"
    path.write_text(
        TEMPLATE_HEADER
        + "\n"
        + "HV1,,GOOD01,,1,9.0,Running,Windows Server 2019,,x64,IDE,,VHDX,,MBR,0,no,no,0,,0,no,0,0,"
        + "\n"
        + "HV1,,BAD01,,1,9.0,Running,Windows Server 2019,,x64,IDE,,VHDX,,MBR,two,no,no,0,,0,no,0,0,"
        + "\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.slow
def test_bad_row_warns_with_file_line_and_column(tmp_path: Path, capsys) -> None:
    path = bad_row_file(tmp_path)
    out = tmp_path / "out.json"
    assert run("run", path, "--json", out) == 0
    err = capsys.readouterr().err
    assert f"{path}:3" in err and "LegacyNICs" in err
    names = {vm["name"] for vm in json.loads(out.read_text())["vms"]}
    assert names == {"GOOD01", "BAD01"}


def test_strict_turns_warnings_into_exit_2(tmp_path: Path) -> None:
    assert run("run", bad_row_file(tmp_path), "--no-save", "--strict") == 2


@pytest.mark.slow
@pytest.mark.parametrize(("level", "code"), [("blocked", 1), ("needs-data", 1), ("fixes", 1)])
def test_fail_on(level: str, code: int) -> None:
    assert run("run", SAMPLE, "--no-save", "--quiet", "--fail-on", level) == code


@pytest.mark.slow
def test_fail_on_not_met(tmp_path: Path) -> None:
    path = tmp_path / "gen2.csv"
    path.write_text("VMName,Host,Generation\nW1,HV1,2\n", encoding="utf-8")
    assert run("run", path, "--no-save", "--quiet", "--fail-on", "blocked") == 0


@pytest.mark.slow
def test_truncated_collector_output_is_partial_exit_3(tmp_path: Path, capsys) -> None:
    lines = (SAMPLE / "hv-prod01-gen2-inventory.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "cut.jsonl"
    path.write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")
    out = tmp_path / "cut.json"
    assert run("run", path, "--json", out, "--quiet") == 3
    assert len(json.loads(out.read_text())["vms"]) == 4
    assert "end record" in capsys.readouterr().err


@pytest.mark.slow
def test_policy_waiver_on_the_command_line(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[[waiver]]\nvm = "LEGACY-ERP01"\nrule = "OS002"\nreason = "stays on Gen 1 until 2027"\n'
        'owner = "cio"\nexpires = 2099-01-01\n',
        encoding="utf-8",
    )
    out = tmp_path / "w.json"
    assert run("run", SAMPLE, "--policy", policy, "--json", out, "--quiet") == 0
    vm = next(v for v in json.loads(out.read_text())["vms"] if v["name"] == "LEGACY-ERP01")
    assert vm["verdict"] != "blocked"
    assert any(f["rule"] == "OS002" and f["status"] == "waived" for f in vm["findings"])


def test_bad_policy_is_exit_2(tmp_path: Path, capsys) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[severity]\nVM001 = 'fatal'\n", encoding="utf-8")
    assert run("run", SAMPLE, "--policy", policy, "--no-save") == 2
    assert "line 2" in capsys.readouterr().err


def test_rules_and_explain(capsys) -> None:
    assert run("rules") == 0
    assert "HOST001" in capsys.readouterr().out
    assert run("rules", "--json") == 0
    rules = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in rules} >= {"OS001", "BOOT003"}
    assert all(r["when"] and r["severity"] for r in rules)
    assert run("rules", "--facts", "--json") == 0
    assert "boot_disk_format" in {f["name"] for f in json.loads(capsys.readouterr().out)}
    assert run("explain", "boot003") == 0
    out = capsys.readouterr().out
    assert "MBR2GPT" in out and "learn.microsoft.com" in out
    assert run("explain", "NOPE001") == 2


@pytest.mark.slow
def test_template_round_trip(tmp_path: Path, capsys) -> None:
    path = tmp_path / "template.csv"
    assert run("template", "--out", path) == 0
    first = path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert first.split(",")[:25] == TEMPLATE_HEADER.split(",")
    # Only example rows: nothing assessed (exit 3); with real notes they are assessed.
    assert run("run", path, "--no-save", "--quiet") == 3
    assert "example row(s) of 'assess template' skipped" in capsys.readouterr().err
    path.write_text(path.read_text(encoding="utf-8-sig").replace("Example row:", "Row:"), "utf-8")
    assert run("run", path, "--no-save", "--quiet") == 0


def test_collector_script_is_printed_and_saved(tmp_path: Path, capsys) -> None:
    assert run("collector") == 0
    assert "PassThru" in capsys.readouterr().out
    path = tmp_path / "gen2-inventory.ps1"
    assert run("collector", "--out", path) == 0
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.slow
def test_no_traceback_from_a_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "assess", "run", str(tmp_path / "absent.jsonl")],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert (
        proc.stderr.strip() == f"assess: error: {tmp_path / 'absent.jsonl'}: no such file or folder"
    )
