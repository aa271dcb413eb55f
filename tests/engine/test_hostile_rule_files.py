"""Malformed and hostile rule and policy files fail when they load, with the file, the line,
the rule id or key, never mid-run and never with another exception."""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assess.engine.catalog import load_catalog, parse_rule
from assess.engine.policy import Policy
from assess.model.diagnostics import InputError

RULE = {
    "id": "CUST001",
    "title": "Many checkpoints",
    "severity": "info",
    "family": "custom",
    "when": "os_family == 'windows' and checkpoint_count > 5",
    "rationale": "Many checkpoints on a Windows VM.",
    "remediation": "Ask the owner.",
    "effort_hours": 0.2,
}


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is JSON-compatible
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def rule_file(folder: Path, **changes: object) -> Path:
    rule = {**RULE, **changes}
    lines = ["# a custom rule", "", "[[rule]]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in rule.items() if value is not None]
    folder.mkdir(exist_ok=True)
    (folder / "custom.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("1/0 > checkpoint_count", "division by zero"),
        ("'abc' < 5", "compares two constants"),
        ("checkpoint_count < 'abc'", "compares a number fact with 'abc'"),
        ("5 < os_family", "compares a text fact with 5"),
        ("has_boot_disk < 'x'", "compares a bool fact with 'x'"),
        ("os_family + 'x' == 'y'", "arithmetic applies to number facts only"),
        ("checkpoint_count * 'a' > 1", "arithmetic applies to numbers only"),
        ("'a' * 3000000000 == os_family", "arithmetic applies to numbers only"),
        ("-'a' == os_family", "'-' applies to numbers only"),
        ("checkpoint_count > 1e999", "not a finite number"),
        ("checkpoint_count > " + "9" * 5000, "longer than 2,000 characters"),
        ("(" * 300 + "checkpoint_count > 1" + ")" * 300, "not an expression"),
        ("not " * 100 + "has_boot_disk", "nested deeper than 32 levels"),
        ("checkpoint_count > 1 and " * 400 + "true", "longer than 2,000 characters"),
        ("checkpoint_count\x00 > 1", "not an expression"),
        ("checkpoint_count in [" + "1," * 600 + "]", "more than 500 items"),
    ],
)
def test_a_bad_condition_is_a_load_error(tmp_path: Path, when: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        load_catalog([rule_file(tmp_path / "r", when=when)])
    text = str(caught.value)
    assert "custom.toml:3: rule CUST001: when = " in text
    assert message in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"evidence": "{"}, "evidence not a valid template"),
        ({"evidence": "[{checkpoint_count]}"}, "evidence names unknown fact"),
        ({"evidence": "{checkpoint_count.__class__}"}, "names unknown fact"),
        ({"title": "count {"}, "title not a valid template"),
        ({"evidence": 5}, "'evidence' must be text"),
        ({"effort_hours": math.inf}, "must be numbers of hours"),
        ({"effort_hours": -1.0}, "must be numbers of hours"),
        ({"effort_hours": "two"}, "must be numbers of hours"),
        ({"effort_hours": True}, "must be numbers of hours"),
        ({"effort_by_path": {"recapture": math.nan}}, "must be numbers of hours"),
        ({"effort_by_path": 3}, "must be numbers of hours"),
        ({"needs": 5}, "'needs' must be a list of fact names"),
        ({"aliases": [1]}, "aliases must be a list of rule ids"),
        ({"when": 42}, "'when' is required text"),
        ({"id": 7}, "id must look like ABC123"),
    ],
)
def test_a_bad_value_is_a_load_error(tmp_path: Path, changes: dict, message: str) -> None:
    with pytest.raises(InputError) as caught:
        load_catalog([rule_file(tmp_path / "r", **changes)])
    assert "custom.toml:3: rule " in str(caught.value)
    assert message in str(caught.value)


def test_rule_that_is_not_a_table_list(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "custom.toml").write_text("rule = 5\n", encoding="utf-8")
    with pytest.raises(InputError, match="'rule' must be"):
        load_catalog([folder])


def write_policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text",
    [
        "[effort.rules]\nBOOT003 = inf\n",
        "[effort.rules]\nBOOT003 = -2.0\n",
        "[effort.paths]\nrecapture = nan\n",
        "[effort]\nrules = 5\n",
        "[effort.rules]\nBOOT003 = 1e300\n",
        "disabled = 5\n",
        "[scope]\nexclude_vms = [1, 2]\n",
        "[[waiver]]\nvm = 1\nrule = 'OS002'\nreason = 'x'\nowner = 'y'\n",
        "waiver = 'x'\n",
        "[severity]\nVM003 = 3\n",
    ],
)
def test_a_bad_policy_is_a_load_error_with_its_key(tmp_path: Path, text: str) -> None:
    with pytest.raises(InputError) as caught:
        Policy.load(write_policy(tmp_path, text))
    assert "policy.toml" in str(caught.value) and "key" in str(caught.value)


# --------------------------------------------------------------------------- fuzzing

NASTY_TEXT = st.sampled_from(
    ["", "{", "}", "{x}", "[", "1/0", "'a' * 9", "checkpoint_count > 5", "\x00", "a" * 3000,
     "os_family == 'windows'", "not", "isna(x)", "contains(os_family, 5)", "[{os_family]}"]
)  # fmt: skip
VALUES = st.recursive(
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | NASTY_TEXT
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
EXTRA_KEYS = ["evidence", "needs", "effort_by_path", "references", "aliases", "benefit", "bogus"]
RULE_KEYS = st.sampled_from([*sorted(RULE), *EXTRA_KEYS])


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(RULE_KEYS, st.none() | VALUES, max_size=6))
def test_fuzz_rules_load_or_fail_with_input_error(changes: dict) -> None:
    raw = {**RULE, **changes}
    raw = {k: v for k, v in raw.items() if v is not None}
    with contextlib.suppress(InputError):
        parse_rule(raw, Path("fuzz.toml"), 1)


POLICY_KEYS = st.sampled_from(["disabled", "rule_folders", "severity", "effort", "scope",
                               "waiver", "bogus"])  # fmt: skip


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(POLICY_KEYS, st.none() | VALUES, max_size=4))
def test_fuzz_policies_load_or_fail_with_input_error(tmp_path_factory, data: dict) -> None:
    lines = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in data.items() if v is not None]
    path = tmp_path_factory.mktemp("policy") / "policy.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with contextlib.suppress(InputError):
        Policy.load(path)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_raw_text_policy(tmp_path_factory, text: str) -> None:
    path = tmp_path_factory.mktemp("policy") / "policy.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with contextlib.suppress(InputError):
        Policy.load(path)
