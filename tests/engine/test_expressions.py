"""Rule conditions: three-valued logic over facts, and errors caught at load time."""

from __future__ import annotations

import pandas as pd
import pytest

from assess.engine.expressions import ExpressionError, compile_condition, lowered_once

TYPES = {"count": "Int64", "flag": "boolean", "kind": "string", "size": "Float64"}


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "count": pd.array([0, 2, None], dtype="Int64"),
            "flag": pd.array([True, None, False], dtype="boolean"),
            "kind": pd.array(["IDE", None, "SCSI"], dtype="string"),
            "size": pd.array([1.5, None, 3000.0], dtype="Float64"),
        }
    )


def run(text: str) -> list[object]:
    result = compile_condition(text, TYPES).evaluate(frame())
    return [None if pd.isna(v) else bool(v) for v in result]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("count > 0", [False, True, None]),
        ("kind == 'IDE'", [True, None, False]),
        ("kind in ['IDE', 'X']", [True, None, False]),
        ("kind not in ['IDE']", [False, None, True]),
        ("flag", [True, None, False]),
        ("not flag", [False, None, True]),
        # Kleene logic: False and unknown is False; True or unknown is True.
        ("count > 0 and flag", [False, None, False]),
        ("kind == 'SCSI' or count > 0", [False, True, True]),
        ("isna(count)", [False, False, True]),
        ("notna(kind)", [True, False, True]),
        ("startswith(kind, 'id')", [True, None, False]),
        ("contains(kind, 'cs')", [False, None, True]),
        ("size / 1024 > 2", [False, None, True]),
        ("0 < count <= 2", [False, True, None]),
        ("flag & (count == 0)", [True, False, False]),
    ],
)
def test_evaluation(text: str, expected: list[object]) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bogus_fact > 1", "unknown fact 'bogus_fact'"),
        ("kind == 3", "compares a text fact"),
        ("count == 'x'", "compares a number fact"),
        ("count >", "not an expression"),
        ("__import__('os')", "functions allowed"),
        ("kind.upper() == 'IDE'", "functions allowed"),
        ("count", "not a value"),
        ("kind in other", "needs a list"),
        ("[1, 2]", "not allowed"),
    ],
)
def test_rejected_at_compile_time(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(")):
        compile_condition(text, TYPES)


def test_names_are_reported() -> None:
    condition = compile_condition("count > 0 and kind == 'IDE' and count < 9", TYPES)
    assert condition.names == ("count", "kind")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind == 'ide'", [True, None, False]),
        ("kind != 'Ide'", [False, None, True]),
        ("kind in ['ide', 'x']", [True, None, False]),
        ("kind not in ['scsi']", [True, None, False]),
        ("'scsi' == kind", [False, None, True]),
        ("kind > 'ide'", [False, None, True]),
    ],
)
def test_text_comparisons_ignore_case_like_contains(text: str, expected: list[object]) -> None:
    assert run(text) == expected


def test_text_comparison_between_two_facts_ignores_case() -> None:
    types = {"a": "string", "b": "string"}
    data = pd.DataFrame(
        {
            "a": pd.array(["Off", "x", None], dtype="string"),
            "b": pd.array(["OFF", "y", "z"], dtype="string"),
        }
    )
    result = compile_condition("a == b", types).evaluate(data)
    assert [None if pd.isna(v) else bool(v) for v in result] == [True, False, None]


TEXT_TESTS = [
    "kind == 'ide'",
    "kind != 'Ide'",
    "'scsi' == kind",
    "kind == 'nothing'",
    "kind in ['ide', 'x', 'SCSI']",
    "kind not in ['scsi', 'none']",
    "kind in ['none']",
    "startswith(kind, 'sc') or kind == 'ide'",
]


@pytest.mark.parametrize("text", TEXT_TESTS)
def test_numbered_texts_give_what_the_texts_give(text: str) -> None:
    # Inside lowered_once() (as the engine evaluates rules) equality and ``in`` compare the
    # numbers of the lowered texts; outside it the texts themselves. Same three values.
    data = pd.DataFrame(
        {
            "count": pd.array([0] * 6, dtype="Int64"),
            "flag": pd.array([True] * 6, dtype="boolean"),
            "kind": pd.array(["IDE", None, "SCSI", "ide", "Scsi", "x"], dtype="string"),
            "size": pd.array([1.0] * 6, dtype="Float64"),
        }
    )
    condition = compile_condition(text, TYPES)
    plain = condition.evaluate(data)
    with lowered_once():
        numbered = condition.evaluate(data)
        again = condition.evaluate(data)  # from the kept numbers
    assert plain.dtype == numbered.dtype == "boolean"
    assert plain.tolist() == numbered.tolist() == again.tolist()
    assert plain.isna().tolist() == [False, True, False, False, False, False]


def test_kept_numbers_are_per_frame() -> None:
    condition = compile_condition("kind == 'ide'", TYPES)
    first, second = frame(), frame()
    second["kind"] = pd.array(["SCSI", "IDE", None], dtype="string")
    with lowered_once():
        assert condition.evaluate(first).tolist() == [True, pd.NA, False]
        assert condition.evaluate(second).tolist() == [False, True, pd.NA]
