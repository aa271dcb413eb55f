"""Inventory text in scripts: a single-quoted literal that PowerShell reads back unchanged."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.plan.quoting import PS_SINGLE_QUOTES, comment_text, ps_literal, sh_literal
from tests.plan.plan_support import commands, error_nodes, text_of
from tests.powershell_tree import parse, walk

HOSTILE = [
    "x'; Stop-Computer -Force; '",
    "$(Stop-Computer)",
    "`$(Stop-Computer)`",
    "a\u2019; Stop-Computer; \u2018b",
    "\u201a\u201b'\u2018\u2019",
    "line1\r\nStop-Computer\n#>",
    "@' here '@",
    '"; Stop-Computer; "',
]


def _read_back(literal: str) -> str:
    """What PowerShell makes of a single-quoted literal: every doubled quote becomes one."""
    assert literal[0] == "'" and literal[-1] == "'"
    body, out, i = literal[1:-1], [], 0
    while i < len(body):
        out.append(body[i])
        i += 2 if body[i] in PS_SINGLE_QUOTES else 1
    return "".join(out)


def _one_string(text: str) -> None:
    script = f"$name = {ps_literal(text)}\r\nWrite-Host $name\r\n"
    tree = parse(script)
    assert not error_nodes(tree), script
    assert [name for name, _ in commands(tree)] == ["Write-Host"]
    strings = [n for n in walk(tree.root_node) if n.type == "string_literal"]
    assert len(strings) == 1
    assert _read_back(text_of(strings[0])) == text


def test_every_powershell_single_quote_is_doubled():
    assert (
        ps_literal("a'b\u2018c\u2019d\u201ae\u201bf")
        == "'a''b\u2018\u2018c\u2019\u2019d\u201a\u201ae\u201b\u201bf'"
    )


def test_other_quotes_and_dollar_signs_stay_as_they_are():
    assert ps_literal('$(x) "y" `z') == "'$(x) \"y\" `z'"


def test_hostile_names_stay_one_string():
    for text in HOSTILE:
        _one_string(text)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))
def test_any_text_is_one_literal(text):
    _one_string(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("'\u2018\u2019\u201a\u201b$()`;\"# \r\nab-"))))
def test_quote_heavy_text_is_one_literal(text):
    _one_string(text)


def test_comment_text_is_one_line():
    assert comment_text("a\r\nb\x00c\u2028d") == "a  b c d"
    assert len(comment_text("x" * 500, limit=50)) == 50


def test_sh_literal():
    assert sh_literal("it's") == "'it'\"'\"'s'"
