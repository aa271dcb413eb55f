"""Loading the catalog: custom rule folders, overrides and errors reported at load time."""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.engine.catalog import load_catalog
from assess.engine.policy import Policy
from assess.model.diagnostics import InputError
from assess.model.os_name_data import builtin_names

GOOD = """
[[rule]]
id = "CUST001"
title = "VM name marks it as a template"
severity = "info"
family = "custom"
when = "os_family == 'windows' and checkpoint_count > 5"
rationale = "Many checkpoints on a Windows VM."
remediation = "Ask the owner."
effort_hours = 0.2
"""


def write(folder: Path, text: str, name: str = "custom.toml") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_custom_rule_is_added(tmp_path: Path) -> None:
    catalog = load_catalog([write(tmp_path / "r", GOOD)])
    rule = catalog.get("CUST001")
    assert rule is not None and rule.needs == ("os_family", "checkpoint_count")


def test_custom_rule_reusing_a_core_id_is_an_error(tmp_path: Path) -> None:
    text = GOOD.replace("CUST001", "VM004")
    with pytest.raises(
        InputError, match=r'rule VM004: id already used by vm.toml; say replaces = "VM004"'
    ):
        load_catalog([write(tmp_path / "r", text)])


def test_custom_rule_that_says_replaces_replaces_the_core_rule(tmp_path: Path) -> None:
    text = GOOD.replace("CUST001", "VM004").replace('"info"', '"warning"')
    text += 'replaces = "VM004"\n'
    catalog = load_catalog([write(tmp_path / "r", text)])
    assert catalog.get("VM004").severity == "warning"
    assert sum(1 for r in catalog.rules if r.id == "VM004") == 1


def test_replacing_under_a_new_id_keeps_the_old_id_as_alias(tmp_path: Path) -> None:
    text = GOOD + 'replaces = "VM004"\n'
    catalog = load_catalog([write(tmp_path / "r", text)])
    assert [r.id for r in catalog.rules if "VM004" in r.names()] == ["CUST001"]
    assert catalog.get("VM004").id == "CUST001"


def test_replaces_naming_no_rule_is_an_error(tmp_path: Path) -> None:
    text = GOOD + 'replaces = "XYZ999"\n'
    with pytest.raises(InputError, match="replaces XYZ999, which no earlier rules file defines"):
        load_catalog([write(tmp_path / "r", text)])


def test_two_custom_rules_with_one_id_are_an_error(tmp_path: Path) -> None:
    folder = write(tmp_path / "r", GOOD)
    write(folder, GOOD, "again.toml")
    with pytest.raises(InputError, match="rule CUST001: id already used by"):
        load_catalog([folder])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("checkpoint_count > 5", "checkpoints > 5"),
            "rule CUST001: when = .*unknown fact 'checkpoints'",
        ),
        (
            ("checkpoint_count > 5", "checkpoint_count >"),
            "rule CUST001: when = .*not an expression",
        ),
        (('"info"', '"critical"'), "rule CUST001: severity must be one of"),
        (('id = "CUST001"', 'id = "cust-1"'), "id must look like"),
        (("effort_hours = 0.2", "effort_hours = 'lots'"), "must be numbers"),
        (("effort_hours = 0.2", "effort_hours = 0.2\nwhen_not = 1"), "unknown keys"),
        (('title = "VM name marks it as a template"\n', ""), "'title' is required"),
        (("[[rule]]", "[[rule]\n"), "not valid TOML"),
    ],
)
def test_broken_rule_is_reported_with_file_and_id(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    folder = write(tmp_path / "r", GOOD.replace(*change), "broken.toml")
    with pytest.raises(InputError, match=message) as caught:
        load_catalog([folder])
    assert "broken.toml" in str(caught.value)


def test_evidence_naming_an_unknown_fact_is_rejected(tmp_path: Path) -> None:
    text = GOOD.replace("effort_hours = 0.2", 'effort_hours = 0.2\nevidence = "{nope}"')
    with pytest.raises(InputError, match=r"evidence names unknown fact \{nope\}"):
        load_catalog([write(tmp_path / "r", text)])


def test_missing_rules_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="rules folder not found"):
        load_catalog([tmp_path / "absent"])


def test_alias_finds_the_renamed_rule(tmp_path: Path) -> None:
    text = GOOD + 'aliases = ["OLD001"]\n'
    catalog = load_catalog([write(tmp_path / "r", text)])
    assert catalog.get("old001").id == "CUST001"


def test_os_names_of_a_rules_folder_are_on_the_catalog_not_rules() -> None:
    folder = Path(__file__).resolve().parents[1] / "fixtures" / "os_names" / "rules"
    catalog = load_catalog([folder])
    assert len(catalog.rules) == len(load_catalog().rules)
    assert catalog.os_names.extra_files == (str(folder / "os-names.toml"),)
    assert load_catalog().os_names is builtin_names()
    assert Policy.empty().apply_to_catalog(catalog).os_names is catalog.os_names
