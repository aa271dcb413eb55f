"""Rule conditions: three-valued logic over facts, and errors caught at load time."""

from __future__ import annotations

import pandas as pd
import pytest

from assess.engine.expressions import ExpressionError, compile_condition

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
