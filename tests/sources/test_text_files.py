"""Bytes to text: BOMs, UTF-16 without BOM, cp1252 fallback, empty and binary input."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.model.diagnostics import InputError
from assess.sources import text_files

TEXT = 'VMName,Notes\r\nAPP01,"Büro – Köln"\r\n'


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        TEXT.encode("utf-16-le"),  # BOM lost
        TEXT.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"),
        TEXT.encode("cp1252"),  # Excel "CSV" in a western code page
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le", "utf16be", "utf32", "cp1252"],
)
def test_every_encoding_gives_the_same_text(data: bytes) -> None:
    assert text_files.decode(data, "f.csv") == TEXT


def test_utf8_cut_in_the_middle_of_a_character_stays_utf8() -> None:
    data = "ÄÖÜ line\nbroken é".encode()[:-1]
    text = text_files.decode(data, "f")
    assert text.startswith("ÄÖÜ line\nbroken ")


@pytest.mark.parametrize("data", [b"", b"   \r\n\t", codecs.BOM_UTF8, codecs.BOM_UTF16_LE])
def test_empty_input_is_an_input_error(data: bytes) -> None:
    with pytest.raises(InputError, match="empty file"):
        text_files.decode(data, "empty.csv")


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
        bytes(range(256)) * 4,
        b"\x00\x01\x02abc\x00\x00\x07",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x08\x06\x00\x00\x00\x5c\x72\xa8",
    ],
)
def test_binary_input_is_an_input_error(data: bytes) -> None:
    with pytest.raises(InputError, match="binary"):
        text_files.decode(data, "blob.bin")


def test_stray_nul_bytes_do_not_make_text_binary() -> None:
    data = b"VMName,Host\r\nA,H\x00\r\nB,H\r\n" + b"\x00" * 20
    assert text_files.decode(data, "f.csv") == "VMName,Host\r\nA,H\r\nB,H\r\n"


def test_input_error_names_the_file_in_one_line() -> None:
    with pytest.raises(InputError) as caught:
        text_files.decode(b"", "some/folder/inv.csv")
    assert str(caught.value) == "some/folder/inv.csv: empty file"


def test_decode_head_drops_a_cut_character_and_never_raises() -> None:
    head = (codecs.BOM_UTF16_LE + "VMName,Host".encode("utf-16-le"))[:-1]
    assert text_files.decode_head(head) == "VMName,Hos"
    assert text_files.decode_head(b"\x00\x00\x00\x01") == ""
    assert text_files.decode_head(b"") == ""


def test_read_text_reports_missing_files_and_folders(tmp_path) -> None:
    with pytest.raises(InputError, match="no such file"):
        text_files.read_text(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="folder"):
        text_files.read_text(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        text_files.read_head(tmp_path / "missing.csv")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_raise_input_error(data: bytes) -> None:
    try:
        text = text_files.decode(data, "x")
    except InputError:
        return
    assert isinstance(text, str)
    assert "\x00" not in text
    assert text.strip()
    assert isinstance(text_files.decode_head(data), str)


@settings(max_examples=60, deadline=None)
@given(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=80),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_text_round_trips_through_the_unicode_encodings(text: str, encoding: str) -> None:
    text = "VMName\n" + text
    assert text_files.decode(text.encode(encoding), "x") == text
