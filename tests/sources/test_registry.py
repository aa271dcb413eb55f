"""Picking the source for each file by its content, and walking folders of inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.model.diagnostics import InputError
from assess.sources import registry
from tests.sources_support import FIXTURES, assert_conforms, fixture


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("template_utf8_bom.csv", "template"),
        ("template_semicolon_cp1252.csv", "template"),
        ("template_utf16_tab.txt", "template"),
        ("template_utf16_nobom.csv", "template"),
        ("template_title_row.xlsx", "template"),
        ("getvm_winps51.csv", "getvm-csv"),
        ("getvm_utf16_semicolon.csv", "getvm-csv"),
        ("getvm_select_ints.csv", "getvm-csv"),
        ("collector_quirks.jsonl", "collector"),
        ("collector_utf16.jsonl", "collector"),
        ("collector_array.json", "collector"),
        ("collector_truncated.jsonl", "collector"),
        ("nri_report.json", "nri-hyperv-report"),
        ("azure_migrate.xlsx", "azure-migrate"),
    ],
)
def test_each_fixture_goes_to_its_source_by_content(name: str, kind: str, tmp_path) -> None:
    renamed = tmp_path / "input.dat"  # the extension says nothing
    shutil.copy(fixture(name), renamed)
    (result,) = registry.load_sources([str(renamed)])
    assert result.kind == kind
    assert_conforms(result)
    assert len(result.inventory.vms) > 0


def test_folders_are_walked_sorted_and_outputs_skipped(tmp_path) -> None:
    root = tmp_path / "inventory"
    (root / "site-b").mkdir(parents=True)
    (root / "reports").mkdir()
    (root / ".cache").mkdir()
    shutil.copy(fixture("collector_quirks.jsonl"), root / "site-b" / "hv-quirk.jsonl")
    shutil.copy(fixture("template_utf8_bom.csv"), root / "a-template.csv")
    shutil.copy(fixture("getvm_winps51.csv"), root / "B-getvm.csv")
    shutil.copy(fixture("template_utf8_bom.csv"), root / "reports" / "old.csv")
    shutil.copy(fixture("template_utf8_bom.csv"), root / ".cache" / "x.csv")
    shutil.copy(fixture("template_utf8_bom.csv"), root / ".hidden.csv")
    (root / "README.md").write_text("# inventory\n")
    (root / "notes.txt").write_text("call the client on Monday\n")
    (root / "collect.ps1").write_text("Get-VM\n")
    (root / "~$a-template.xlsx").write_bytes(b"lock")
    (root / "gen2-assessment-20260101.json").write_text('{"schema": "gen2-assess/assessment"}')
    (root / "vms.csv").write_text("vm_key,host,name,verdict,conversion_path,finding_ids\n")
    progress = []
    results = registry.load_sources(
        [str(root)], on_progress=lambda path, done, total: progress.append((path, done, total))
    )
    expected = [
        str(root / "B-getvm.csv"),
        str(root / "a-template.csv"),
        str(root / "site-b" / "hv-quirk.jsonl"),
    ]
    assert [r.path for r in results] == expected
    assert [r.kind for r in results] == ["getvm-csv", "template", "collector"]
    assert progress == [(path, i, 3) for i, path in enumerate(expected, start=1)]


def test_a_file_named_twice_is_read_once(tmp_path) -> None:
    shutil.copy(fixture("template_utf8_bom.csv"), tmp_path / "t.csv")
    results = registry.load_sources([str(tmp_path / "t.csv"), str(tmp_path)])
    assert len(results) == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"\xef\xbb\xbf  \r\n", "empty file"),
        (bytes(range(256)) * 8, "binary"),
        (b"Name,Size\r\nfoo,1\r\n", "not a recognised inventory"),
        (b'{"hello": "world"}', "JSON, but not collector records"),
        (b"vm_key,host,name,verdict,conversion_path,finding_ids\r\n", "written by this tool"),
    ],
)
def test_unusable_files_are_input_errors(tmp_path, content: bytes, reason: str) -> None:
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=reason) as caught:
        registry.load_sources([str(path)])
    assert caught.value.path == str(path)
    assert "\n" not in str(caught.value)


def test_rvtools_workbook_is_read_as_such(tmp_path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "vInfo"
    book.active.append(["VM", "Powerstate", "Host", "Cluster", "Firmware"])
    book.active.append(["web01", "poweredOn", "esx01", "c1", "bios"])
    path = tmp_path / "rvtools.xlsx"
    book.save(path)
    [result] = registry.load_sources([str(path)])
    assert result.kind == "rvtools"
    assert result.inventory.vms["name"].tolist() == ["web01"]


def test_rvtools_workbook_without_a_vm_column_is_named_as_such(tmp_path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "vInfo"
    book.active.append(["Machine", "Powerstate", "Host"])
    book.active.append(["web01", "poweredOn", "esx01"])
    path = tmp_path / "rvtools.xlsx"
    book.save(path)
    with pytest.raises(InputError, match="RVTools"):
        registry.load_sources([str(path)])


def test_missing_paths_and_empty_folders(tmp_path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        registry.load_sources([str(tmp_path / "nope.csv")])
    (tmp_path / "README.md").write_text("nothing to read")
    with pytest.raises(InputError, match="no inventory file in this folder"):
        registry.load_sources([str(tmp_path)])


def test_a_file_in_a_folder_that_is_no_inventory_is_skipped_with_its_reason(tmp_path) -> None:
    shutil.copy(fixture("template_utf8_bom.csv"), tmp_path / "good.csv")
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "budget.csv").write_text("Year,Amount\n2026,100\n", encoding="utf-8")
    results = registry.load_sources([str(tmp_path)])
    by_name = {Path(r.path).name: r for r in results}
    assert by_name["good.csv"].status == "ok" and len(by_name["good.csv"].inventory.vms)
    for name in ("empty.csv", "budget.csv"):
        skipped = by_name[name]
        assert skipped.status == "skipped" and skipped.detail.startswith("skipped: ")
        assert len(skipped.inventory.vms) == 0
        [warning] = skipped.warnings
        assert str(warning).startswith(f"{skipped.path}: skipped, not an inventory: ")
    assert "empty file" in by_name["empty.csv"].detail


def test_a_folder_without_any_inventory_is_still_an_input_error(tmp_path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(InputError, match=r"no inventory file in this folder.*empty file"):
        registry.load_sources([str(tmp_path)])


def test_a_named_file_that_is_no_inventory_stays_an_input_error(tmp_path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.csv: empty file"):
        registry.load_sources([str(tmp_path / "empty.csv")])


def test_every_fixture_is_recognised() -> None:
    planned = registry.plan_inputs([str(FIXTURES)])
    assert len(planned) == len(list(FIXTURES.iterdir()))


@settings(max_examples=40, deadline=None)
@given(
    st.binary(max_size=300),
    st.sampled_from(["", "VMName,Host\r\n", '{"kind":"host"}\n', "PK\x03\x04", "\ufeff"]),
)
@pytest.mark.slow
def test_random_bytes_give_input_error_or_conforming_results(tmp_path_factory, data, prefix):
    path = tmp_path_factory.mktemp("rnd") / "input.bin"
    path.write_bytes(prefix.encode("utf-8") + data)
    try:
        results = registry.load_sources([str(path)])
    except InputError as error:
        assert error.path == str(path)
        return
    for result in results:
        assert_conforms(result)


@settings(max_examples=20, deadline=None)
@given(
    st.sampled_from(["template_title_row.xlsx", "azure_migrate.xlsx"]),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_damaged_workbooks_give_input_error_or_conforming_results(tmp_path_factory, name, flips):
    data = bytearray((FIXTURES / name).read_bytes())
    for position, value in flips:
        data[position % len(data)] = value
    path = tmp_path_factory.mktemp("xlsx") / name
    path.write_bytes(bytes(data))
    try:
        results = registry.load_sources([str(path)])
    except InputError:
        return
    for result in results:
        assert_conforms(result)
