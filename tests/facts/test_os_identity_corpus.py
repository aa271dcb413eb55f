"""The identifier against a corpus of real guest OS strings (tests/fixtures/os_identity/
corpus.toml), and properties that hold for any text."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.model.os_identity import identify_os

CORPUS = Path(__file__).parent.parent / "fixtures" / "os_identity" / "corpus.toml"
CASES = tomllib.loads(CORPUS.read_text(encoding="utf-8"))["case"]
FIELDS = ("name", "version", "major", "minor", "build", "product_type", "arch")


def _identify(case: dict):
    return identify_os(**{k: case[k] for k in FIELDS if k in case})


def _label(case: dict) -> str:
    extra = ",".join(f"{k}={case[k]}" for k in FIELDS[1:] if k in case)
    return f"{case.get('name', '')}[{extra}]"


def test_the_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 300
    assert {c["source"] for c in CASES} >= {"vmware", "kvp", "os-release", "cmdb"}


@pytest.mark.parametrize("case", CASES, ids=[_label(c) for c in CASES])
def test_corpus_case(case: dict) -> None:
    guest = _identify(case)
    got = {
        "family": guest.family or "",
        "release": guest.release or "",
        "kind": guest.kind or "",
        "arch": guest.arch or "",
    }
    assert got == case["expect"], guest.evidence


# --- properties ---------------------------------------------------------------------------

_BITNESS = ["(64-bit)", "(32-bit)", "64-bit", "32 bit", "x64", "x86", "x86_64", "amd64",
            "AMD64", "i386", "i686", "(x86_64)", "64bit", "(64 bit)"]  # fmt: skip
_RANGES = ["4/5/6/7", "4/5", "8/9", "2.6.x", "3.x", "3.x or later", "2.4.x", "5.x or later"]
_BARE = ["Ubuntu Linux", "CentOS", "Debian GNU/Linux", "Red Hat Enterprise Linux",
         "SUSE Linux Enterprise", "Oracle Linux", "FreeBSD", "Other Linux", "Linux",
         "Rocky Linux", "AlmaLinux", "openSUSE"]  # fmt: skip


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(_BARE),
    st.lists(st.sampled_from(_BITNESS + _RANGES), min_size=1, max_size=3),
)
def test_no_release_from_bitness_or_range_tokens(base: str, extras: list[str]) -> None:
    guest = identify_os(name=" ".join([base, *extras]))
    assert guest.release is None, guest.evidence


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(
    st.one_of(st.none(), st.text(max_size=300)),
    st.one_of(st.none(), st.text(max_size=40)),
    st.one_of(st.none(), st.text(max_size=20)),
    st.one_of(st.none(), st.text(max_size=20)),
    st.one_of(st.none(), st.text(max_size=20)),
    st.one_of(st.none(), st.text(max_size=5)),
    st.one_of(st.none(), st.text(max_size=20)),
)
def test_identification_never_raises(name, version, major, minor, build, product, arch) -> None:
    guest = identify_os(name, version, major, minor, build, product, arch, origin="fuzz")
    assert isinstance(guest.evidence, str) and guest.evidence
    if guest.release is not None:
        assert guest.family is not None


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 .-/()xX_bit", max_size=200))
def test_digit_soup_never_raises(text: str) -> None:
    identify_os(name=text, version=text, major=text, build=text, arch=text)
