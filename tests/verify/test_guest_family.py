"""The guest OS family ``assess verify`` checks Secure Boot against: read by the same
identifier as ``run`` and ``plan`` (``identify_os``), with the names of ``--rules`` folders.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assess.cli.main import main
from assess.model.inventory import Inventory
from assess.model.os_name_data import load_os_names
from assess.sources import collector_records
from assess.verify.compare import DIFFERS, MATCH, verify
from assess.verify.fields import guest_family
from tests.verify_support import BEFORE, Record, after_records, load_records, write_records

EXTRA_NAMES = Path(__file__).resolve().parents[1] / "fixtures" / "os_names" / "rules"
WINDOWS, UEFI_CA = "MicrosoftWindows", "MicrosoftUEFICertificateAuthority"


@pytest.mark.parametrize(
    ("row", "family"),
    [
        # Names a list of words missed.
        ({"os_name": "SLES 15 SP4"}, "linux"),
        ({"os_name": "W2K12R2"}, "windows"),
        ({"os_name": "Oracle Linux Server 8.8"}, "linux"),
        ({"os_name": "RHEL 7.9"}, "linux"),
        # KVP fields without a name.
        ({"os_version": "10.0.17763", "os_product_type": "3"}, "windows"),
        ({"os_major": "6", "os_minor": "3", "os_product_type": "3"}, "windows"),
        # As before.
        ({"os_name": "Windows Server 2019"}, "windows"),
        ({"os_name": "Ubuntu 22.04"}, "linux"),
        ({"os_name": "FreeBSD 13"}, "freebsd"),
        ({"os_name": "Plan 9"}, None),
        ({"os_name": ""}, None),
        ({}, None),
    ],
)
def test_guest_family_reads_what_the_identifier_reads(row: dict[str, Any], family: Any) -> None:
    assert guest_family(row) == family


def test_extra_names_make_an_in_house_name_count() -> None:
    row = {"os_name": "ContosoOS 8.6"}
    assert guest_family(row) is None
    assert guest_family(row, load_os_names([EXTRA_NAMES])) == "linux"


# -- the Secure Boot template check -------------------------------------------------------


def _records(os_name: str, template: str) -> tuple[list[Record], list[Record]]:
    """BEFORE with APP01's guest named ``os_name``; AFTER with its new VM on ``template``."""
    records = load_records()
    for record in records:
        if record.get("name") == "APP01":
            record["guest"] = {"OSName": os_name}
    after = after_records(
        records, tweaks={"APP01": lambda vm: vm["firmware"].update(template=template)}
    )
    return records, after


def _parse(rows: list[Record], origin: str) -> Inventory:
    lines = [json.dumps(r) for r in rows]
    return collector_records.parse_record_lines(
        lines, origin=origin, path_for_messages=origin
    ).inventory


def _template_check(os_name: str, template: str, **options: Any):
    before, after = _records(os_name, template)
    result = verify(_parse(before, "before"), _parse(after, "after"), **options)
    app = next(vm for vm in result.vms if vm.name == "APP01")
    return app, next(d for d in app.differences if d.field == "secure_boot_template")


@pytest.mark.parametrize(
    ("os_name", "right", "wrong", "family"),
    [("SLES 15 SP4", UEFI_CA, WINDOWS, "linux"), ("W2K12R2", WINDOWS, UEFI_CA, "windows")],
)
def test_template_is_checked_for_names_the_word_list_missed(
    os_name: str, right: str, wrong: str, family: str
) -> None:
    app, check = _template_check(os_name, right)
    assert app.status == MATCH and check.expected
    assert check.reason == f"Secure Boot template {right} for a {family} guest"
    app, check = _template_check(os_name, wrong)
    assert app.status == DIFFERS and not check.expected
    assert check.reason == f"Secure Boot template {wrong}; a {family} guest needs {right}"


def test_unknown_guest_template_is_not_checked() -> None:
    app, check = _template_check("Plan 9", WINDOWS)
    assert app.status == MATCH and check.expected
    assert check.reason == f"Secure Boot template {WINDOWS} (guest OS unknown: not checked)"


def test_verify_uses_the_names_it_is_given() -> None:
    _, check = _template_check("ContosoOS 8.6", WINDOWS)
    assert check.expected
    app, check = _template_check("ContosoOS 8.6", WINDOWS, os_names=load_os_names([EXTRA_NAMES]))
    assert app.status == DIFFERS
    assert check.reason == f"Secure Boot template {WINDOWS}; a linux guest needs {UEFI_CA}"


# -- assess verify --rules ----------------------------------------------------------------


def _write(tmp_path: Path, os_name: str, template: str) -> tuple[Path, Path]:
    before, after = _records(os_name, template)
    return (
        write_records(tmp_path / "before.jsonl", before),
        write_records(tmp_path / "after.jsonl", after),
    )


def test_verify_rules_option_adds_guest_os_names(tmp_path: Path) -> None:
    before, after = _write(tmp_path, "ContosoOS 8.6", WINDOWS)
    out = tmp_path / "verify.json"
    args = ["verify", str(before), str(after), "--json", str(out), "-q"]
    assert main(args) == 0  # an unknown guest: the template is not checked
    assert main([*args, "--rules", str(EXTRA_NAMES)]) == 1
    app = next(
        vm for vm in json.loads(out.read_text(encoding="utf-8"))["vms"] if vm["name"] == "APP01"
    )
    reasons = [d["reason"] for d in app["differences"] if not d["expected"]]
    assert f"Secure Boot template {WINDOWS}; a linux guest needs {UEFI_CA}" in reasons


@pytest.mark.parametrize("case", ["malformed names file", "missing folder"])
def test_verify_rules_errors_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    folder = tmp_path / "extra"
    if case == "malformed names file":
        folder.mkdir()
        (folder / "os-names.toml").write_text(
            '[[os]]\nmatch = ["acme"]\ndistro = "rhel"\nfamily = "linux"\n', encoding="utf-8"
        )
    after = write_records(tmp_path / "after.jsonl", after_records(load_records()))
    assert main(["verify", str(BEFORE), str(after), "--rules", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    if case == "malformed names file":
        assert err.startswith(f"assess: error: {folder / 'os-names.toml'}:1: [[os]] entry 1:")
        assert "'display' is required" in err
    else:
        assert err.startswith(f"assess: error: {folder}") and "rules folder not found" in err
