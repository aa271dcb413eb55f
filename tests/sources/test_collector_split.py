"""A big collector file read in two parts (the second by a forked child) reads exactly as the
file read in one go: the same tables, warnings (in order), counts and truncation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assess import forked
from assess.sources import collector_records

pytestmark = pytest.mark.skipif(
    not forked.available(), reason="forking a child needs Linux and a single thread"
)


def host(name: str) -> str:
    return json.dumps({"kind": "host", "schema": 1, "computerName": name, "errors": []})


def vm(name: str, vm_id: str | None = None, disk: str = "IDE") -> str:
    record = {
        "kind": "vm",
        "name": name,
        "generation": 1,
        "disks": [{"controllerType": disk, "controllerNumber": 0, "controllerLocation": 0}],
        "nics": [{"name": "Network Adapter", "isLegacy": False, "mac": "00155D000001"}],
    }
    if vm_id is not None:
        record["id"] = vm_id
    return json.dumps(record)


def end(count: int) -> str:
    return json.dumps({"kind": "end", "vmCount": count, "errors": []})


def section(host_name: str, vms: int, *, ended: bool = True, first: int = 0) -> list[str]:
    lines = [host(host_name)]
    lines += [vm(f"{host_name}-vm{first + i}", f"{host_name}-{first + i:04d}") for i in range(vms)]
    return lines + ([end(vms)] if ended else [])


def read(path: Path, monkeypatch: pytest.MonkeyPatch, *, split: bool):
    """The file read with the split allowed at every size, or in one go."""
    with monkeypatch.context() as patch:
        patch.setattr(collector_records, "SPLIT_FROM_LINES", 1)
        if not split:
            patch.setattr(forked, "available", lambda: False)
        return collector_records.load(str(path))


def read_in_parts(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, bool]:
    """The file read with the split allowed; and whether both parts were used (False: the
    child's part was dropped and the file read again in one go)."""
    again: list[bool] = []
    one_go = collector_records.parse_record_lines
    with monkeypatch.context() as patch:
        patch.setattr(
            collector_records,
            "parse_record_lines",
            lambda *args, **kwargs: again.append(True) or one_go(*args, **kwargs),
        )
        return read(path, monkeypatch, split=True), not again


def assert_same(path: Path, monkeypatch: pytest.MonkeyPatch, *, in_parts: bool) -> None:
    two, parts_used = read_in_parts(path, monkeypatch)
    assert parts_used == in_parts
    one = read(path, monkeypatch, split=False)
    assert [str(w) for w in two.warnings] == [str(w) for w in one.warnings]
    assert (two.rows_read, two.truncated) == (one.rows_read, one.truncated)
    for name, table in one.inventory.tables.items():
        other = two.inventory.tables[name]
        assert list(other.dtypes) == list(table.dtypes), name
        assert other.equals(table), name


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "estate.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_cut_is_before_a_host_record_past_the_share(monkeypatch) -> None:
    lines = section("hv1", 3) + section("hv2", 3) + section("hv3", 3)
    assert collector_records._cut_line(lines) is None  # under SPLIT_FROM_LINES
    monkeypatch.setattr(collector_records, "SPLIT_FROM_LINES", 1)
    assert collector_records._cut_line(lines) == 10  # the first host record from line 7 on
    assert collector_records._cut_line(lines[:5]) is None  # no host record after the share


def test_several_hosts_read_the_same(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path, section("hv1", 4) + section("hv2", 4) + section("hv3", 4))
    assert_same(path, monkeypatch, in_parts=True)


def test_a_section_cut_short_before_the_cut_warns_in_the_same_place(tmp_path, monkeypatch):
    lines = section("hv1", 4, ended=False) + section("hv2", 4) + section("hv3", 4, ended=False)
    assert_same(write(tmp_path, lines), monkeypatch, in_parts=True)
    result = read(write(tmp_path, lines), monkeypatch, split=True)
    assert result.truncated
    assert [w.line for w in result.warnings] == [1, 12]  # the host lines of hv1 and hv3


def test_the_same_vm_on_both_sides_of_the_cut_is_read_in_one_go(tmp_path, monkeypatch):
    lines = section("hv1", 3) + section("hv2", 3) + section("hv3", 3)
    lines.insert(-1, vm("copy", "hv1-0001"))  # the id of a VM before the cut
    lines[-1] = end(4)
    assert_same(write(tmp_path, lines), monkeypatch, in_parts=False)
    warnings = [str(w) for w in read(write(tmp_path, lines), monkeypatch, split=True).warnings]
    assert any("same VM as line 3" in w for w in warnings)


def test_a_broken_host_line_at_the_cut_is_read_in_one_go(tmp_path, monkeypatch):
    lines = section("hv1", 4) + section("hv2", 4)
    lines[6] = '{"kind":"host","computerName":"hv2",'  # looks like a host record, is not JSON
    assert_same(write(tmp_path, lines), monkeypatch, in_parts=False)


def test_vms_without_a_host_on_both_sides_warn_once(tmp_path, monkeypatch):
    lines = [*section("hv1", 2), vm("lost-1"), *section("hv2", 2), vm("lost-2")]
    assert_same(write(tmp_path, lines), monkeypatch, in_parts=False)
    warnings = read(write(tmp_path, lines), monkeypatch, split=True).warnings
    assert sum("without a host record" in str(w) for w in warnings) == 1


def test_an_error_in_the_child_is_raised_here(tmp_path, monkeypatch):
    path = write(tmp_path, section("hv1", 3) + section("hv2", 3))

    def broken(*args):
        raise RuntimeError("child part failed")

    monkeypatch.setattr(collector_records, "SPLIT_FROM_LINES", 1)
    monkeypatch.setattr(collector_records, "_read_part", broken)
    with pytest.raises(RuntimeError, match="child part failed"):
        collector_records.load(str(path))


_LINES = st.one_of(
    st.builds(host, st.sampled_from(["hv1", "hv2", "HV1"])),
    st.builds(
        vm,
        st.sampled_from(["a", "b", "c"]),
        st.one_of(st.none(), st.sampled_from(["id-1", "id-2", "id-3", "{ID-1}"])),
        st.sampled_from(["IDE", "SCSI"]),
    ),
    st.builds(end, st.integers(0, 3)),
    st.sampled_from(["", "not json", '{"kind":"host"', '{"kind":"elsewhere"}', "[1]"]),
)


@pytest.mark.slow
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(_LINES, min_size=1, max_size=24), share=st.floats(0.0, 1.0))
def test_any_file_reads_the_same_in_two_parts(tmp_path_factory, monkeypatch, lines, share):
    monkeypatch.setattr(collector_records, "HERE_SHARE", share)
    path = tmp_path_factory.mktemp("split") / "estate.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        read(path, monkeypatch, split=False)
    except Exception as exc:  # a file without any record: both ways the same error
        with pytest.raises(type(exc)) as raised:
            read(path, monkeypatch, split=True)
        assert str(raised.value) == str(exc)
        return
    two, _ = read_in_parts(path, monkeypatch)
    one = read(path, monkeypatch, split=False)
    assert [str(w) for w in two.warnings] == [str(w) for w in one.warnings]
    assert (two.rows_read, two.truncated) == (one.rows_read, one.truncated)
    for name, table in one.inventory.tables.items():
        assert two.inventory.tables[name].equals(table), name
