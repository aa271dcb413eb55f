"""Cell parsers: blank is unknown, enums by name or number, dates, counts, sentinels."""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.sources import cell_values as v


@pytest.mark.parametrize(
    "blank", [None, "", "  ", "n/a", "N/A", "unknown", "?", "-", math.nan, pd.NA]
)
def test_blank_is_unknown_for_every_parser(blank) -> None:
    for parser in (
        v.to_text,
        v.to_bool,
        v.to_count,
        v.to_generation,
        v.to_config_version,
        v.to_vm_state,
        v.to_controller_type,
        v.to_vhd_format,
        v.to_vhd_type,
        v.to_os_architecture,
        v.to_iso_datetime,
        v.to_disk_number,
        v.to_floppy_media,
        v.to_dvd_media,
        v.to_com_port_count,
        v.to_replication_flag,
    ):
        assert parser(blank) is None, parser


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("yes", True),
        ("Y", True),
        ("TRUE", True),
        ("1", True),
        (1, True),
        (True, True),
        ("no", False),
        ("False", False),
        ("0", False),
        (0, False),
        ("off", False),
    ],
)
def test_booleans(raw, expected) -> None:
    assert v.to_bool(raw) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", 2, "yes please", [True]])
def test_a_bad_boolean_says_why(raw) -> None:
    with pytest.raises(ValueError, match="yes/no"):
        v.to_bool(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [("3", 3), (" 3 ", 3), ("3.0", 3), (3.0, 3), ("none", 0), ("no", 0)]
)
def test_counts(raw, expected) -> None:
    assert v.to_count(raw) == expected


@pytest.mark.parametrize("raw", ["-1", "1.5", "two", True, 2.5, 2**63, 9.3e18, "1" * 30])
def test_bad_counts(raw) -> None:
    with pytest.raises(ValueError, match="count"):
        v.to_count(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", 1), (2, 2), ("Gen 1", 1), ("generation2", 2), ("2.0", 2), ("Generation1", 1)],
)
def test_generation(raw, expected) -> None:
    assert v.to_generation(raw) == expected


@pytest.mark.parametrize("raw", ["3", "0", "gen", 1.5])
def test_bad_generation(raw) -> None:
    with pytest.raises(ValueError, match="generation"):
        v.to_generation(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [("8.0", "8.0"), ("8", "8.0"), (9.1, "9.1"), (10, "10.0"), ("5.0", "5.0")]
)
def test_config_version(raw, expected) -> None:
    assert v.to_config_version(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (2, "Running"),
        ("2", "Running"),
        (3, "Off"),
        (6, "Saved"),
        (9, "Paused"),
        (10, "Starting"),
        (32773, "Saving"),
        ("running", "Running"),
        ("OFF", "Off"),
        ("Saved", "Saved"),
        ("RunningCritical", "RunningCritical"),
        ("stopped", "Off"),
    ],
)
def test_vm_state(raw, expected) -> None:
    assert v.to_vm_state(raw) == expected


def test_vm_state_numbers_that_changed_meaning_are_not_guessed() -> None:
    with pytest.raises(ValueError, match="different Windows versions"):
        v.to_vm_state(32783)
    with pytest.raises(ValueError, match="VM state"):
        v.to_vm_state("Dancing")


@pytest.mark.parametrize(
    ("parser", "raw", "expected"),
    [
        (v.to_controller_type, 0, "IDE"),
        (v.to_controller_type, "1", "SCSI"),
        (v.to_controller_type, "scsi", "SCSI"),
        (v.to_vhd_format, 2, "VHD"),
        (v.to_vhd_format, "3", "VHDX"),
        (v.to_vhd_format, 4, "VHDSet"),
        (v.to_vhd_format, "vhdx", "VHDX"),
        (v.to_boot_disk_format, "Pass-Through", "PassThrough"),
        (v.to_boot_disk_format, "physical", "PassThrough"),
        (v.to_vhd_type, 2, "Fixed"),
        (v.to_vhd_type, "3", "Dynamic"),
        (v.to_vhd_type, 4, "Differencing"),
        (v.to_vhd_type, "dynamically expanding", "Dynamic"),
        (v.to_partition_style, "mbr", "MBR"),
        (v.to_partition_style, 2, "GPT"),
        (v.to_media_type, 0, "None"),
        (v.to_media_type, 1, "ISO"),
        (v.to_media_type, "PassThrough", "Physical"),
        (v.to_boot_device, 0, "Floppy"),
        (v.to_boot_device, 1, "CD"),
        (v.to_boot_device, 2, "IDE"),
        (v.to_boot_device, 3, "LegacyNetworkAdapter"),
        (v.to_boot_device, 4, "NetworkAdapter"),
        (v.to_boot_device, 5, "VHD"),
        (v.to_replication_state, 0, "Disabled"),
        (v.to_replication_state, 4, "Replicating"),
        (v.to_replication_state, "suspended", "Suspended"),
        (v.to_checkpoint_type, 0, "Standard"),
        (v.to_checkpoint_type, "Production", "Production"),
    ],
)
def test_enums_by_name_or_number(parser, raw, expected) -> None:
    assert parser(raw) == expected


@pytest.mark.parametrize("parser", [v.to_controller_type, v.to_vhd_format, v.to_vhd_type])
def test_unknown_enum_values_are_rejected(parser) -> None:
    with pytest.raises(ValueError, match="is not a known"):
        parser("SATA")
    with pytest.raises(ValueError):
        parser(99)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("yes", "Enabled"), ("no", "Disabled"), ("0", "Disabled"), ("Replicating", "Replicating")],
)
def test_replication_flag(raw, expected) -> None:
    assert v.to_replication_flag(raw) == expected


def test_on_off_follows_the_hyperv_enum() -> None:
    assert v.to_on_off("On") is True
    assert v.to_on_off("off") is False
    assert v.to_on_off(0) is True  # OnOffState.On = 0
    assert v.to_on_off(1) is False
    assert v.to_on_off(True) is True


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("x64", "x64"),
        ("64-bit", "64-bit"),
        ("AMD64", "AMD64"),
        ("x86_64", "x86_64"),
        ("9", "9"),
        (9, "9"),
        ("x86", "x86"),
        ("32-bit", "32-bit"),
        ("i686", "i686"),
        ("0", "0"),
        ("ARM64", "ARM64"),
        ("12", "12"),
        ("65535", None),
        # As people write it: the same vocabulary the guest OS identifier reads.
        ("32", "32"),
        ("64", "64"),
        ("32 Bit", "32 Bit"),
        ("amd64", "amd64"),
        ("i386", "i386"),
        ("x64-based PC", "x64-based PC"),
        ("unknown", None),
    ],
)
def test_os_architecture_is_validated_and_kept_raw(raw, expected) -> None:
    assert v.to_os_architecture(raw) == expected


def test_unknown_architecture_is_rejected() -> None:
    with pytest.raises(ValueError, match="architecture"):
        v.to_os_architecture("sparc")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, None), ("", None), (4294967295, None), ("4294967295", None), (-1, None), (3, 3)],
)
def test_disk_number_sentinels_mean_not_pass_through(raw, expected) -> None:
    assert v.to_disk_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/Date(1388534400000)/", "2014-01-01T00:00:00+00:00"),
        ("\\/Date(1388534400000)\\/", "2014-01-01T00:00:00+00:00"),
        ("/Date(1388534400123+0100)/", "2014-01-01T00:00:00.123000+00:00"),
        ("2019-03-14T09:12:44.1234567+01:00", "2019-03-14T09:12:44.123456+01:00"),
        ("2019-03-14T09:12:44Z", "2019-03-14T09:12:44+00:00"),
        ("2019-03-14 09:12:44", "2019-03-14T09:12:44"),
        ("3/14/2019 9:12:44 AM", "2019-03-14T09:12:44"),
        ("3/14/2019 9:12:44 PM", "2019-03-14T21:12:44"),
        ("12/1/2014 12:05:00 AM", "2014-12-01T00:05:00"),
        ("14.03.2019 09:12:44", "2019-03-14T09:12:44"),
        ("25/12/2018 08:00:00", "2018-12-25T08:00:00"),
    ],
)
def test_dates_become_iso(raw, expected) -> None:
    assert v.to_iso_datetime(raw) == expected


def test_ambiguous_day_month_needs_the_column_to_decide() -> None:
    with pytest.raises(ValueError, match="day from the month"):
        v.to_iso_datetime("03/01/2019 08:00:00")
    day_first = v.infer_day_first(["03/01/2019 08:00:00", "25/12/2018 08:00:00"])
    assert day_first is True
    assert v.to_iso_datetime("03/01/2019 08:00", day_first=day_first) == "2019-01-03T08:00:00"
    assert v.infer_day_first(["1/15/2021 10:00:00 AM"]) is False
    assert v.infer_day_first(["2021-01-15"]) is None


@pytest.mark.parametrize("raw", ["yesterday", "31/31/2019", "/Date(abc)/", 12345])
def test_bad_dates(raw) -> None:
    with pytest.raises(ValueError, match="date"):
        v.to_iso_datetime(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("yes", True), ("no", False), (r"C:\floppy\ks.vfd", True), ("drivers.VFD", True)],
)
def test_floppy_takes_a_vfd_path(raw, expected) -> None:
    assert v.to_floppy_media(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2", 2), ("0", 0), (r"\\.\pipe\x|\\.\pipe\y", 2), (r"\\.\pipe\only", 1), ("none", 0)],
)
def test_com_ports_take_pipe_names(raw, expected) -> None:
    assert v.to_com_port_count(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ISO", "ISO"),
        ("none", "None"),
        ("no", "None"),
        ("Physical", "Physical"),
        (r"C:\ISO\tools.iso", "ISO"),
        ("D:", "Physical"),
    ],
)
def test_dvd_media(raw, expected) -> None:
    assert v.to_dvd_media(raw) == expected


def test_as_list_unwraps_and_treats_null_as_empty() -> None:
    assert v.as_list(None) == []
    assert v.as_list({"a": 1}) == [{"a": 1}]
    assert v.as_list([1, 2]) == [1, 2]


def test_parse_column_parses_each_distinct_value_once() -> None:
    calls = []

    def parser(value):
        calls.append(value)
        return v.to_bool(value)

    cells = np.array(["yes", "no", "yes", "", "maybe", "yes"], dtype=object)
    typed, problems = v.parse_column(cells, parser, "boolean")
    assert typed.tolist() == [True, False, True, pd.NA, pd.NA, True]
    assert problems is not None
    assert problems[4] is not None and "maybe" in problems[4]
    assert problems[0] is None
    assert sorted(calls) == sorted({"yes", "no", "", "maybe"})


def test_parse_column_text_path_trims_and_blanks() -> None:
    typed, problems = v.parse_column(
        pd.Series([" a ", "", "n/a", "longer than seven"], dtype="string"), v.to_text, "string"
    )
    assert problems is None
    assert typed.tolist() == ["a", pd.NA, pd.NA, "longer than seven"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(json_values)
def test_parsers_only_ever_raise_value_error(value) -> None:
    for parser in (
        v.to_text,
        v.to_bool,
        v.to_int,
        v.to_count,
        v.to_generation,
        v.to_config_version,
        v.to_vm_state,
        v.to_replication_state,
        v.to_replication_flag,
        v.to_controller_type,
        v.to_vhd_format,
        v.to_boot_disk_format,
        v.to_vhd_type,
        v.to_partition_style,
        v.to_media_type,
        v.to_boot_device,
        v.to_on_off,
        v.to_dvd_media,
        v.to_floppy_media,
        v.to_com_port_count,
        v.to_os_architecture,
        v.to_disk_number,
        v.to_mac,
        v.to_iso_datetime,
    ):
        with contextlib.suppress(ValueError):
            parser(value)


# --------------------------------------------------------------------------- localized values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ja", True), ("Nein", False), ("Oui", True), ("Non", False), ("Sí", True),
        ("Sì", True), ("No", False), ("Sim", True), ("Não", False), ("Nee", False),
        ("Tak", True), ("Nie", False), ("WAHR", True), ("Falsch", False), ("nej", False),
    ],
)  # fmt: skip
def test_localized_yes_and_no_are_read(text: str, expected: bool) -> None:
    assert v.to_bool(text) is expected


def _case_variants(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(word, upper, strict=True))
    )


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(v.LOCALIZED_TRUE | v.LOCALIZED_FALSE)).flatmap(
        lambda word: st.tuples(st.just(word), _case_variants(word))
    ),
    st.sampled_from(["", " ", "\t", "  "]),
)
def test_localized_booleans_read_in_any_case_and_padding(pair, pad) -> None:
    word, written = pair
    assert v.to_bool(pad + written + pad) is (word in v.LOCALIZED_TRUE)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12))
def test_a_boolean_cell_is_read_or_complained_about_never_silently_unknown(text: str) -> None:
    try:
        result = v.to_bool(text)
    except ValueError:
        return
    assert result is not None or v.is_blank(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.sampled_from([",0", ",00", ".0", ".00"]))
def test_whole_numbers_with_a_decimal_comma_or_point_are_read(number: int, tail: str) -> None:
    assert v.to_int(f"{number}{tail}") == number
    assert v.to_count(f"{number}{tail}") == number


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=999), st.integers(min_value=0, max_value=999))
def test_config_version_with_a_decimal_comma(major: int, minor: int) -> None:
    assert v.to_config_version(f"{major},{minor}") == f"{major}.{minor}"


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=999), st.integers(min_value=0, max_value=999))
def test_a_comma_before_three_digits_is_ambiguous_and_said_so(lead: int, group: int) -> None:
    with pytest.raises(ValueError, match="ambiguous"):
        v.to_int(f"{lead},{group:03d}")


def test_generation_with_a_decimal_comma() -> None:
    assert v.to_generation("1,0") == 1 and v.to_generation("2,00") == 2
