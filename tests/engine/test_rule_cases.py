"""Every rule of the catalog: a case where it fires, one where it passes, and one where it
is unknown (wherever its data can be missing). Cases live in fixtures/rules/cases.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from assess.engine.catalog import load_catalog
from assess.engine.evaluate import assess
from tests.factsframe import facts_of

CASES = [
    case
    for path in sorted((Path(__file__).parent.parent / "fixtures" / "rules").glob("*cases.toml"))
    for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]
]
CATALOG = load_catalog()
#: Rules whose condition can never be unknown: they are about the data being missing.
NEVER_UNKNOWN = {"OS003", "VM005", "VMW002"}


def outcome_in(assessment, vm_key: str, rule_id: str) -> str:
    vm = assessment.vms.loc[assessment.vms["vm_key"] == vm_key].iloc[0]
    fired = set(assessment.findings.loc[assessment.findings["vm_key"] == vm_key, "rule"])
    if rule_id in fired:
        return "fires"
    if rule_id in str(vm["unknown_rules"]).split():
        return "unknown"
    return "passes"


def outcome(rule_id: str, facts: dict) -> str:
    """The rule's outcome for one VM assessed on its own."""
    return outcome_in(assess(facts_of({**facts, "vm_key": "alone"}), CATALOG), "alone", rule_id)


@pytest.fixture(scope="module")
def every_case():
    """Every case as one VM of a single assessment (one engine run instead of one per case;
    rules judge each VM on its own facts, which ``test_a_case_alone_...`` checks)."""
    vms = [{**dict(case["facts"]), "vm_key": f"case-{i}"} for i, case in enumerate(CASES)]
    return assess(facts_of(*vms), CATALOG)


@pytest.mark.parametrize(
    "index", range(len(CASES)), ids=[f"{c['rule']}-{c['expect']}-{i}" for i, c in enumerate(CASES)]
)
def test_rule_case(index: int, every_case) -> None:
    case = CASES[index]
    assert outcome_in(every_case, f"case-{index}", case["rule"]) == case["expect"]


@pytest.mark.parametrize("index", [0, len(CASES) // 2, len(CASES) - 1])
def test_a_case_alone_has_the_outcome_it_has_among_all(index: int, every_case) -> None:
    case = CASES[index]
    alone = outcome(case["rule"], dict(case["facts"]))
    assert alone == outcome_in(every_case, f"case-{index}", case["rule"]) == case["expect"]


def test_every_rule_has_a_firing_a_passing_and_an_unknown_case() -> None:
    expected = {(r.id, e) for r in CATALOG.rules for e in ("fires", "passes", "unknown")}
    expected -= {(rule_id, "unknown") for rule_id in NEVER_UNKNOWN}
    covered = {(c["rule"], c["expect"]) for c in CASES}
    assert expected - covered == set()


def test_core_catalog_ids_are_all_present() -> None:
    core = {
        "OS001", "OS002", "OS003", "OS004", "BOOT001", "BOOT002", "BOOT003", "BOOT004",
        "BOOT005", "BOOT006", "NET001", "DEV001", "DEV002", "DEV003", "DEV004", "DISK001",
        "DISK002", "DISK003", "VM001", "VM002", "VM003", "VM004", "HOST001",
    }  # fmt: skip
    assert core <= {rule.id for rule in CATALOG.rules}


def test_every_rule_has_metadata_a_consultant_needs() -> None:
    for rule in CATALOG.rules:
        assert rule.title and rule.rationale and rule.remediation, rule.id
        assert rule.effort_hours >= 0, rule.id
        for url in rule.references:
            assert url.startswith("https://learn.microsoft.com/"), (rule.id, url)
    cited = [rule for rule in CATALOG.rules if rule.references]
    assert len(cited) >= len(CATALOG.rules) - 1


def test_generation_2_vms_get_no_findings() -> None:
    assessment = assess(facts_of({"generation": 2, "os_arch": "x86"}), CATALOG)
    assert assessment.findings.empty
    assert assessment.vms.iloc[0]["verdict"] == "already-gen2"
