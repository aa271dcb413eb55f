"""Collector JSON Lines: every record kind, every tolerance, truncation, the live-scan entry."""

from __future__ import annotations

import codecs
import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assess.model.diagnostics import InputError
from assess.sources import collector_records
from tests.sources_support import assert_conforms, by_name, fixture, messages


@pytest.fixture(scope="module")
def quirks():
    return collector_records.load(fixture("collector_quirks.jsonl"))


def rows_of(result, table: str, vm_key: str) -> list[dict]:
    frame = result.inventory[table]
    frame = frame[frame["vm_key"] == vm_key]
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def test_host_record_becomes_a_hosts_row(quirks) -> None:
    assert_conforms(quirks)
    (host,) = quirks.inventory["hosts"].astype(object).to_dict("records")
    assert host["host"] == "HV-QUIRK"
    assert host["fqdn"] == "hv-quirk.corp.example"
    assert host["os_caption"] == "Microsoft Windows Server 2016 Datacenter"
    assert host["os_version"] == "10.0.14393"
    assert host["os_build"] == "14393"  # a number in the record
    assert host["ps_version"] == "5.1.14393.5582"  # a serialised System.Version
    assert host["supported_vm_versions"] == "8.0"  # a lone value, not a list
    assert host["collected_at"] == "2024-11-26T09:12:25.678000+00:00"  # /Date(ms)/
    assert host["vm_count"] == 4
    assert host["status"] == "partial"  # the end record reports an error
    assert "Get-VMHost" in host["reason"]
    assert host["source"] == fixture("collector_quirks.jsonl") + ":1"


def test_int_enums_unwrapped_arrays_and_sentinels(quirks) -> None:
    vm = by_name(quirks)["INT-ENUMS"]
    assert vm["vm_id"] == "{AAAAAAAA-1111-4222-8333-444444444444}"
    assert vm["vm_key"] == "aaaaaaaa-1111-4222-8333-444444444444"
    assert vm["host"] == "HV-QUIRK"
    assert vm["state"] == "Running"
    assert vm["replication_state"] == "Replicating"
    assert vm["creation_time"] == "2014-01-01T00:00:00+00:00"
    assert vm["boot_order"] == "LegacyNetworkAdapter;IDE;CD;Floppy"
    assert vm["checkpoint_count"] == 1
    assert vm["checkpoint_types"] == "Standard"
    assert vm["remotefx_3d_count"] == 1
    assert vm["os_name"] == "Windows Server 2008 R2 Enterprise"  # KVP as Name/Data list
    assert vm["os_architecture"] == "9"
    assert vm["os_product_type"] == "3"
    assert vm["data_exchange_enabled"] is True
    (disk,) = rows_of(quirks, "disks", vm["vm_key"])
    assert disk["controller_type"] == "IDE"
    assert disk["disk_number"] is None  # 4294967295: a virtual disk
    assert (disk["vhd_format"], disk["vhd_type"]) == ("VHD", "Dynamic")
    assert disk["size_bytes"] == 42949672960
    (nic,) = rows_of(quirks, "nics", vm["vm_key"])
    assert nic["is_legacy"] is True
    (floppy,) = rows_of(quirks, "floppies", vm["vm_key"])
    assert floppy["path"] == r"C:\VMs\INT-ENUMS\drivers.vfd"
    (port,) = rows_of(quirks, "com_ports", vm["vm_key"])
    assert port["path"] == r"\\.\pipe\int-enums"
    (dvd,) = rows_of(quirks, "dvd_drives", vm["vm_key"])
    assert (dvd["controller_type"], dvd["media_type"], dvd["path"]) == ("IDE", "None", None)
    for flag in ("disks_listed", "nics_listed", "floppies_listed", "com_ports_listed"):
        assert vm[flag] is True


def test_keys_in_any_case_pass_through_disks_and_failed_sections(quirks) -> None:
    vm = by_name(quirks)["MIXED-CASE"]
    assert vm["generation"] == 1
    assert vm["processor_count"] == 4
    assert vm["dynamic_memory"] is True
    assert vm["is_clustered"] is True
    assert vm["creation_time"] == "2019-03-14T09:12:44+01:00"
    assert vm["boot_order"] == "IDE;CD;LegacyNetworkAdapter;Floppy"
    assert vm["data_exchange_enabled"] is False
    assert vm["os_name"] == "Red Hat Enterprise Linux"
    assert vm["os_architecture"] == "x86_64"
    assert vm["guest_fqdn"] == "mixed.corp.example"
    passthrough, differencing = rows_of(quirks, "disks", vm["vm_key"])
    assert passthrough["disk_number"] == 3
    assert passthrough["vhd_format"] is None
    assert differencing["disk_number"] is None  # diskNumber ""
    assert differencing["vhd_type"] == "Differencing"
    assert differencing["parent_path"] == r"C:\VMs\MIXED\data.vhdx"
    assert differencing["shared"] is True
    # Get-VMNetworkAdapter failed (nics null): unknown, not "no adapters".
    assert vm["nics_listed"] is None
    assert rows_of(quirks, "nics", vm["vm_key"]) == []
    # Get-VMSnapshot failed: the checkpoint count is unknown, not 0.
    assert vm["checkpoint_count"] is None
    (floppy,) = rows_of(quirks, "floppies", vm["vm_key"])
    assert floppy["path"] is None  # a drive without media
    assert [p["path"] for p in rows_of(quirks, "com_ports", vm["vm_key"])] == [None, None]
    (dvd,) = rows_of(quirks, "dvd_drives", vm["vm_key"])
    assert dvd["media_type"] == "Physical"
    errors = rows_of(quirks, "collection_errors", vm["vm_key"])
    assert [e["what"] for e in errors] == ["Get-VMNetworkAdapter", "Get-VMSnapshot"]


def test_a_failed_vm_record_keeps_the_vm_with_everything_unknown(quirks) -> None:
    vm = by_name(quirks)["FAILED-RECORD"]
    for column in ("generation", "state", "disks_listed", "nics_listed", "checkpoint_count"):
        assert vm[column] is None
    (error,) = rows_of(quirks, "collection_errors", vm["vm_key"])
    assert error["what"] == "vm-record"


def test_bad_values_become_unknown_with_warnings_on_their_line(quirks) -> None:
    vm = by_name(quirks)["BAD-VALUES"]
    assert vm["generation"] is None
    assert vm["state"] is None
    assert vm["processor_count"] is None
    assert vm["boot_order"] == "CD"
    assert vm["checkpoint_count"] == 0
    assert vm["nics_listed"] is True  # an empty list: no adapters
    columns = {w.column for w in quirks.warnings if w.line == 7}
    assert {"generation", "state", "processorCount", "disks[0].diskNumber"} <= columns
    assert {"bios.startupOrder", "disks[0].vhd.format", "disks[0].vhd.type"} <= columns


def test_junk_lines_and_unknown_kinds_are_warnings_and_the_rest_goes_on(quirks) -> None:
    path = fixture("collector_quirks.jsonl")
    text = messages(quirks)
    assert any(m.startswith(f"{path}:3: not a JSON record") for m in text)
    assert f"{path}:8: column 'kind': unknown record kind 'telemetry'; line skipped" in text
    assert len(quirks.inventory.vms) == 4
    assert not quirks.truncated
    host_error = quirks.inventory["collection_errors"]
    assert host_error["vm_key"].isna().sum() == 1  # the end record's error, host level


def test_truncated_output_is_flagged_with_a_warning() -> None:
    result = collector_records.load(fixture("collector_truncated.jsonl"))
    assert_conforms(result)
    assert result.truncated
    assert set(by_name(result)) == {"CUT-01"}
    text = messages(result)
    assert any(":3: not a JSON record" in m for m in text)
    assert any("output cut short: no end record; 1 VMs read" in m for m in text)
    (host,) = result.inventory["hosts"].astype(object).to_dict("records")
    assert host["status"] == "partial"
    assert host["cluster"] == "CL-CUT"
    assert host["supported_vm_versions"] == "8.0;9.0"
    assert pd.isna(host["vm_count"])


def test_utf16_output_of_out_file() -> None:
    result = collector_records.load(fixture("collector_utf16.jsonl"))
    assert_conforms(result)
    assert not result.truncated
    vm = by_name(result)["ÜMLAUT-VM"]
    assert vm["generation"] == 2
    assert vm["secure_boot"] is True
    assert vm["secure_boot_template"] == "MicrosoftWindows"
    assert vm["source"].endswith(":2")


def test_whole_file_json_array_keeps_line_numbers() -> None:
    result = collector_records.load(fixture("collector_array.json"))
    assert_conforms(result)
    assert not result.truncated
    vm = by_name(result)["ARR-01"]
    assert vm["state"] == "Off"
    assert vm["host"] == "HV-ARRAY"
    with open(fixture("collector_array.json"), encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    name_line = next(i for i, line in enumerate(lines, 1) if '"name": "ARR-01"' in line)
    opening = max(i for i, line in enumerate(lines[:name_line], 1) if line.strip() == "{")
    assert vm["source"] == f"{fixture('collector_array.json')}:{opening}"
    (nic,) = rows_of(result, "nics", vm["vm_key"])
    assert nic["mac"] is None  # 000000000000: not assigned yet


def test_each_host_section_needs_its_own_end_record() -> None:
    result = collector_records.load(fixture("collector_two_hosts.jsonl"))
    assert_conforms(result)
    assert result.truncated
    assert {vm["name"]: vm["host"] for vm in by_name(result).values()} == {
        "A-01": "HV-A",
        "B-01": "HV-B",
    }
    hosts = result.inventory["hosts"]
    statuses = dict(zip(hosts["host"], hosts["status"], strict=True))
    assert statuses == {"HV-A": "partial", "HV-B": "ok"}


def test_parse_record_lines_feeds_lines_as_they_arrive() -> None:
    def received():
        yield json.dumps({"kind": "host", "computerName": "HV-LIVE"})
        yield json.dumps({"kind": "vm", "name": "L1", "id": "1-2-3"}) + "\n" + "oops"
        yield json.dumps({"kind": "end", "vmCount": 1})

    result = collector_records.parse_record_lines(
        received(), origin="HV-LIVE", path_for_messages="live"
    )
    assert_conforms(result)
    assert not result.truncated
    assert result.path == "HV-LIVE"
    assert by_name(result)["L1"]["source"] == "HV-LIVE:2"
    assert [(w.path, w.line) for w in result.warnings] == [("live", 3)]


def test_empty_live_output_is_truncated() -> None:
    result = collector_records.parse_record_lines([], origin="HV", path_for_messages="HV")
    assert_conforms(result)
    assert result.truncated
    assert messages(result) == ["HV: output cut short: no end record; 0 VMs read"]


def test_vm_records_without_a_host_record_and_without_an_id() -> None:
    lines = [json.dumps({"kind": "vm", "name": "ORPHAN"}), json.dumps({"kind": "end"})]
    result = collector_records.parse_record_lines(lines, origin="o", path_for_messages="o")
    assert_conforms(result)
    vm = by_name(result)["ORPHAN"]
    assert vm["host"] is None
    assert vm["vm_id_synthetic"] is True
    assert any("without a host record" in m for m in messages(result))


def test_a_newer_schema_is_read_with_a_warning() -> None:
    lines = [
        json.dumps({"kind": "host", "schema": 3, "computerName": "H"}),
        json.dumps({"kind": "end", "vmCount": 0}),
    ]
    result = collector_records.parse_record_lines(lines, origin="o", path_for_messages="o")
    assert any("newer collector" in m for m in messages(result))


def test_sniff() -> None:
    assert collector_records.sniff("x", b'{"kind":"host","computerName":"H"}\n')
    assert collector_records.sniff("x", codecs.BOM_UTF8 + b'{"Kind":"vm","name":"a"}')
    assert collector_records.sniff("x", b'[\n  {\n    "kind": "host"\n  }\n]')
    assert collector_records.sniff("x", b'{"kind":"host","notes":"cut by the head' + b"\n{")
    assert not collector_records.sniff("x", b'{"name":"com.newrelic.hyperv.report"}')
    assert not collector_records.sniff("x", b"VMName,Host\n")


def test_files_without_any_record_are_input_errors(tmp_path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("WARNING: nothing here\nstill nothing\n")
    with pytest.raises(InputError, match="no collector records"):
        collector_records.load(str(path))
    path.write_text("[1, 2, 3]")
    with pytest.raises(InputError, match="not of collector records"):
        collector_records.load(str(path))


# --------------------------------------------------------------------------- properties

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
VM_KEYS = [
    "generation",
    "version",
    "state",
    "processorCount",
    "memoryStartup",
    "dynamicMemory",
    "notes",
    "isClustered",
    "replicationState",
    "creationTime",
    "disks",
    "bios",
    "firmware",
    "nics",
    "floppy",
    "comPorts",
    "dvd",
    "remoteFx3d",
    "snapshots",
    "integrationServices",
    "guest",
    "errors",
]


def good_vm(index: int) -> dict:
    return {
        "kind": "vm",
        "name": f"GOOD{index:03d}",
        "id": f"00000000-0000-4000-8000-{index:012d}",
        "generation": 1,
        "state": "Running",
        "disks": [{"controllerType": "IDE", "controllerNumber": 0, "controllerLocation": 0}],
        "nics": [{"name": "n", "isLegacy": False}],
        "errors": [],
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    count=st.integers(min_value=1, max_value=5),
    mangled=st.dictionaries(st.sampled_from(VM_KEYS), json_values, max_size=6),
    junk=st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    at=st.integers(min_value=0, max_value=6),
    end=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
@pytest.mark.slow
def test_mangled_records_load_and_keep_the_good_vms(
    tmp_path_factory, count, mangled, junk, at, end, encoding
) -> None:
    lines = [json.dumps({"kind": "host", "computerName": "HV"})]
    lines += [json.dumps(good_vm(i)) for i in range(count)]
    bad = {"kind": "vm", "name": "MANGLED", "id": "ffffffff-0000-4000-8000-000000000000"}
    bad.update(mangled)
    position = 1 + min(at, count)
    lines.insert(position, json.dumps(bad))
    lines.insert(position, junk.replace("\n", " ").replace("\r", " "))
    if end:
        lines.append(json.dumps({"kind": "end", "vmCount": count + 1}))
    path = tmp_path_factory.mktemp("rec") / "out.jsonl"
    path.write_bytes("\n".join(lines).encode(encoding, errors="replace"))
    result = collector_records.load(str(path))
    assert_conforms(result)
    assert result.truncated is not end
    vms = by_name(result)
    for index in range(count):
        vm = vms[f"GOOD{index:03d}"]
        assert vm["generation"] == 1
        assert vm["disks_listed"] is True
        assert vm["host"] == "HV"
    assert "MANGLED" in vms


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(st.lists(json_values | st.text(max_size=30), max_size=8))
def test_any_json_lines_give_a_conforming_result(items) -> None:
    lines = [item if isinstance(item, str) else json.dumps(item) for item in items]
    result = collector_records.parse_record_lines(lines, origin="o", path_for_messages="o")
    assert_conforms(result)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {"kind": st.sampled_from(["host", "vm", "end", "VM", "other"])},
            optional={
                "name": json_values,
                "id": json_values,
                "computerName": json_values,
                "cluster": json_values,
                "vmCount": json_values,
                "disks": json_values,
                "guest": json_values,
                "errors": json_values,
                "snapshots": json_values,
                "bios": json_values,
            },
        ),
        max_size=6,
    )
)
@pytest.mark.slow
def test_records_of_any_shape_give_a_conforming_result(items) -> None:
    result = collector_records.parse_record_lines(
        [json.dumps(item) for item in items], origin="o", path_for_messages="o"
    )
    assert_conforms(result)


def test_a_vm_listed_twice_is_kept_once_with_its_first_details() -> None:
    vm = {"kind": "vm", "name": "TWICE", "id": "abc", "nics": [{"name": "first"}]}
    again = dict(vm, nics=[{"name": "second"}])
    lines = [json.dumps({"kind": "host", "computerName": "H"}), json.dumps(vm), json.dumps(again)]
    result = collector_records.parse_record_lines(lines, origin="o", path_for_messages="o")
    assert_conforms(result)
    assert result.inventory["nics"]["name"].tolist() == ["first"]
    assert any(":3: same VM as line 2" in m for m in messages(result))


def test_a_single_pretty_printed_record_is_read(tmp_path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"kind": "vm", "name": "PRETTY", "generation": 1}, indent=2))
    result = collector_records.load(str(path))
    assert_conforms(result)
    assert by_name(result)["PRETTY"]["source"] == f"{path}:1"
    assert result.truncated
