"""``--rules DIR`` with an ``os-names.toml``: its names take effect in ``run``, ``plan`` and
``rules``, and a malformed file stops the command with one line (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assess.cli.main import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "os_names"
RULES = FIXTURES / "rules"
INPUTS = (FIXTURES / "inventory.csv", FIXTURES / "collector.jsonl")


def run(*args: object) -> int:
    return main([str(a) for a in args])


def guests(path: Path) -> dict[str, tuple[str, ...]]:
    """VM name -> (os_distro, os_display, os_arch, verdict) from a JSON report."""
    vms = json.loads(path.read_text(encoding="utf-8"))["vms"]
    keys = ("os_distro", "os_display", "os_arch")
    return {vm["name"]: (*(vm["facts"][k] for k in keys), vm["verdict"]) for vm in vms}


@pytest.mark.slow
def test_run_identifies_the_guests_with_the_extra_names(tmp_path: Path, capsys) -> None:
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    assert run("run", *INPUTS, "--json", before, "--quiet") == 0
    err_before = capsys.readouterr().err
    assert run("run", *INPUTS, "--json", after, "--quiet", "--rules", RULES) == 0
    err_after = capsys.readouterr().err

    old, new = guests(before), guests(after)
    assert old["APP01"][:3] == (None, "ContosoOS 8.6", None)  # kept as written, unknown
    assert old["APP01"][3] == old["APP02"][3] == "needs-data"
    assert new["APP01"][:3] == ("rhel", "ContosoOS 8.6", "x64")
    assert new["APP02"][:3] == ("rhel", "ContosoOS 9", "x64")  # collector KVP
    assert old["SLES01"][1] == "openSUSE 15.4" and new["SLES01"][:2] == ("sles", "SLES 15 SP4")
    # The importers' warnings about the name and the architecture are gone as well.
    assert "'ContosoOS 8.6' is not an operating system name" in err_before
    assert "'IA-32e' is not a known architecture" in err_before
    assert "ContosoOS" not in err_after and "IA-32e" not in err_after


@pytest.mark.slow
def test_strict_run_passes_only_with_the_extra_names() -> None:
    assert run("run", INPUTS[0], "--no-save", "--quiet", "--strict") == 2
    assert run("run", INPUTS[0], "--no-save", "--quiet", "--strict", "--rules", RULES) == 0


@pytest.mark.slow
def test_plan_uses_the_extra_names(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    assert run("plan", INPUTS[0], "--out", out, "--quiet", "--rules", RULES) == 0
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert {vm["name"]: vm["os"] for vm in plan["vms"]}["APP01"] == "ContosoOS 8.6"


def test_rules_lists_the_extra_names_file(capsys) -> None:
    assert run("rules", "--rules", RULES) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"guest OS names: the built-in ones, extended by {RULES / 'os-names.toml'}" in out
    assert run("rules") == 0
    assert "guest OS names" not in capsys.readouterr().out


@pytest.mark.parametrize("command", ["rules", "run"])
def test_a_malformed_names_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys, command: str
) -> None:
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "os-names.toml").write_text(
        '[[os]]\nmatch = ["acme"]\ndistro = "rhel"\nfamily = "linux"\n', encoding="utf-8"
    )
    args = ["rules"] if command == "rules" else ["run", INPUTS[0], "--no-save"]
    assert run(*args, "--rules", folder) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"assess: error: {folder / 'os-names.toml'}:1: [[os]] entry 1:")
    assert "'display' is required" in err
