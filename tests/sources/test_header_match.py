"""Header matching: case, spaces, ``_`` and ``-`` ignored; aliases in priority order."""

from __future__ import annotations

from assess.sources.header_match import count_known, header_key, match_headers


def test_header_key_ignores_case_spaces_underscores_dashes_and_bom() -> None:
    for header in ("VMName", "vm_name", " VM Name ", "vm-name", "\ufeffVMName", '"VMName"'):
        assert header_key(header) == "vmname"


def test_earlier_alias_wins_and_a_column_serves_one_field() -> None:
    fields = {"name": ("VMName", "Name"), "vm_id": ("VMId", "Id"), "other": ("Name",)}
    match = match_headers(["Id", "Name", "VMId", "VMName", "Extra"], fields)
    assert match.columns == {"name": 3, "vm_id": 2, "other": 1}
    assert match.header("name") == "VMName"
    assert match.unused == ["Id", "Extra"]
    assert "name" in match
    assert "missing" not in match


def test_first_of_duplicate_headers_is_used() -> None:
    match = match_headers(["Host", "host", "HOST"], {"host": ("Host",)})
    assert match.columns == {"host": 0}


def test_blank_headers_are_not_reported_as_unused() -> None:
    match = match_headers(["VMName", "", "  "], {"name": ("VMName",)})
    assert match.unused == []


def test_count_known() -> None:
    assert count_known(["VM Id", "memory_startup", "x"], ["VMId", "MemoryStartup", "Nope"]) == 2
