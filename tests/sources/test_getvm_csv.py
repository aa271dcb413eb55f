"""Raw ``Get-VM | Export-Csv`` files from Windows PowerShell 5.1."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.model.diagnostics import InputError
from assess.sources import getvm_csv
from tests.sources_support import assert_conforms, by_name, fixture, messages


@pytest.fixture(scope="module")
def winps51():
    return getvm_csv.load(fixture("getvm_winps51.csv"))


def test_full_property_export_maps_what_it_holds(winps51) -> None:
    assert_conforms(winps51)
    assert winps51.kind == "getvm-csv"
    assert winps51.warnings == []
    dc = by_name(winps51)["BR-DC01"]
    assert dc == {
        **dc,
        "host": "HV-BR01",
        "vm_id": "3f2a6c1e-5d4b-4e8a-9c7d-1b2a3c4d5e6f",
        "vm_key": "3f2a6c1e-5d4b-4e8a-9c7d-1b2a3c4d5e6f",
        "vm_id_synthetic": False,
        "generation": 1,
        "config_version": "8.0",
        "state": "Running",
        "processor_count": 2,
        "memory_startup_bytes": 4294967296,
        "dynamic_memory": False,
        "is_clustered": False,
        "replication_state": "Disabled",
        "parent_checkpoint_id": None,
        "creation_time": "2019-03-14T09:12:44",
        "integration_services_version": "6.3.9600.18692",
        "notes": "Branch DC, DNS",
        "source": fixture("getvm_winps51.csv") + ":3",  # #TYPE is line 1, the header line 2
    }


def test_multi_line_notes_and_the_line_numbers_after_them(winps51) -> None:
    vms = by_name(winps51)
    assert vms["BR-FS01"]["notes"] == (
        'File server\r\nOwner: IT "infra" team\r\nDo not reboot on Fridays'
    )
    assert vms["BR-FS01"]["source"].endswith(":4")
    assert vms["BR-WEB02"]["source"].endswith(":7")
    assert vms["BR-OLD01"]["source"].endswith(":8")
    assert vms["BR-FS01"]["parent_checkpoint_id"] == "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
    assert vms["BR-FS01"]["replication_state"] == "Replicating"
    assert vms["BR-FS01"]["creation_time"] == "2015-11-02T16:30:00"
    assert vms["BR-WEB02"]["generation"] == 2
    assert vms["BR-OLD01"]["state"] == "Saved"


def test_type_name_cells_invent_nothing(winps51) -> None:
    vms = winps51.inventory.vms
    for column in (
        "floppy_media",
        "com_port_count",
        "legacy_nic_count",
        "dvd_media",
        "boot_controller",
        "boot_disk_format",
        "os_name",
        "os_architecture",
        "checkpoint_count",
        "disks_listed",
        "nics_listed",
        "floppies_listed",
        "com_ports_listed",
        "dvd_drives_listed",
    ):
        assert vms[column].isna().all(), column
    for name in ("disks", "nics", "floppies", "com_ports", "dvd_drives"):
        assert winps51.inventory[name].empty


def test_utf16_semicolon_export_with_german_dates_reads_the_same(winps51) -> None:
    result = getvm_csv.load(fixture("getvm_utf16_semicolon.csv"))
    assert_conforms(result)
    assert result.warnings == []
    columns = ["name", "vm_id", "generation", "state", "creation_time", "notes", "is_clustered"]
    german = result.inventory.vms[columns]
    assert german.equals(winps51.inventory.vms[columns])
    assert by_name(result)["BR-DC01"]["source"].endswith(":2")  # no #TYPE line


def test_select_object_subset_with_numeric_enums_and_day_first_dates() -> None:
    result = getvm_csv.load(fixture("getvm_select_ints.csv"))
    assert_conforms(result)
    vms = by_name(result)
    assert vms["SQL01"]["state"] == "Running"
    assert vms["SQL02"]["state"] == "Off"
    assert vms["SQL03"]["state"] == "Saved"
    assert vms["SQL02"]["replication_state"] == "Replicating"
    assert vms["SQL01"]["creation_time"] == "2018-12-25T08:00:00"
    assert vms["SQL02"]["creation_time"] == "2019-01-03T08:00:00"  # the column is day-first
    assert vms["SQL01"]["notes"] == "line one\nline two"
    assert vms["SQL03"]["generation"] is None
    assert vms["SQL03"]["memory_startup_bytes"] is None
    assert vms["SQL04"]["state"] is None  # 32783 changed meaning between Windows versions
    path = fixture("getvm_select_ints.csv")
    assert messages(result) == [
        f"{path}:6: column 'Generation': 'three' is not a VM generation (1 or 2); left unknown",
        f"{path}:6: column 'MemoryStartup': '-5' is not a memory size in bytes; left unknown",
        f"{path}:7: column 'State': VM state 32783: this number means different states on "
        "different Windows versions; export the state as text; left unknown",
    ]


def test_sniff_by_type_line_or_by_get_vm_columns() -> None:
    assert getvm_csv.sniff("x", b'#TYPE Microsoft.HyperV.PowerShell.VirtualMachine\r\n"A"\r\n')
    assert getvm_csv.sniff(
        "x", b"#TYPE Selected.Microsoft.HyperV.PowerShell.VirtualMachine\nName\n"
    )
    assert getvm_csv.sniff("x", b'"VMName","VMId","MemoryStartup","HardDrives"\r\n')
    assert not getvm_csv.sniff("x", b"VMName,Host,Generation\r\n")
    assert not getvm_csv.sniff("x", b'#TYPE System.Diagnostics.Process\r\n"Name"\r\n')
    assert getvm_csv.sniff(fixture("getvm_utf16_semicolon.csv"), _head("getvm_utf16_semicolon.csv"))


def _head(name: str) -> bytes:
    with open(fixture(name), "rb") as handle:
        return handle.read(65536)


def test_a_file_that_is_not_a_get_vm_export_is_an_input_error(tmp_path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Host,Generation\nHV1,1\n")
    with pytest.raises(InputError, match="not a Get-VM export"):
        getvm_csv.load(str(path))


# --------------------------------------------------------------------------- properties

HEADERS = ["VMName", "VMId", "ComputerName", "Generation", "State", "Version", "HardDrives"]
junk = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=30, deadline=None)
@given(
    order=st.permutations(HEADERS),
    count=st.integers(min_value=1, max_value=5),
    bad=st.one_of(st.none(), st.lists(junk, min_size=7, max_size=7), junk),
    at=st.integers(min_value=0, max_value=5),
    type_line=st.booleans(),
    delimiter=st.sampled_from([",", ";"]),
    encoding=st.sampled_from(["ascii", "utf-8-sig", "utf-16"]),
)
@pytest.mark.slow
def test_mangled_exports_load_and_keep_their_good_rows(
    tmp_path_factory, order, count, bad, at, type_line, delimiter, encoding
) -> None:
    def render(cells: list[str]) -> str:
        buffer = io.StringIO()
        csv.writer(
            buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n"
        ).writerow(cells)
        return buffer.getvalue()

    good = [
        {
            "VMName": f"GOOD{i:03d}",
            "VMId": f"00000000-0000-4000-8000-{i:012d}",
            "ComputerName": "HV01",
            "Generation": str(1 + i % 2),
            "State": ["Running", "Off", "2"][i % 3],
            "Version": "9.0",
            "HardDrives": "Microsoft.HyperV.PowerShell.HardDiskDrive[]",
        }
        for i in range(count)
    ]
    lines = [render([row[h] for h in order]) for row in good]
    if isinstance(bad, list):
        lines.insert(min(at, count), render(bad))
    elif isinstance(bad, str):
        lines.insert(min(at, count), bad.replace("\r", "").replace("\n", "") + "\r\n")
    text = ("#TYPE Microsoft.HyperV.PowerShell.VirtualMachine\r\n" if type_line else "") + render(
        list(order)
    )
    text += "".join(lines)
    path = tmp_path_factory.mktemp("getvm") / "export.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    result = getvm_csv.load(str(path))
    assert_conforms(result)
    vms = by_name(result)
    for row in good:
        assert row["VMName"] in vms
        assert vms[row["VMName"]]["generation"] == int(row["Generation"])
        assert vms[row["VMName"]]["vm_id"] == row["VMId"]
