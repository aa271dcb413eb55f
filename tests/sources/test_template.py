"""The one-row-per-VM template: columns, aliases, unknown cells, bad cells, ``assess template``."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.model.diagnostics import InputError
from assess.model.inventory import make_vm_key, synthetic_vm_id
from assess.sources import template
from tests.sources_support import assert_conforms, by_name, fixture, messages


@pytest.fixture(scope="module")
def canonical():
    return template.load(fixture("template_utf8_bom.csv"))


def test_canonical_headers_map_to_inventory_columns(canonical) -> None:
    assert_conforms(canonical)
    assert canonical.kind == "template"
    assert canonical.rows_read == 6
    app01 = by_name(canonical)["APP01"]
    assert app01 == {
        **app01,
        "host": "HV01",
        "cluster": "CL01",
        "vm_id": "6F1D0C2A-8D4E-4B7A-9A51-3C2F1E0D9B11",
        "vm_key": "6f1d0c2a-8d4e-4b7a-9a51-3c2f1e0d9b11",
        "vm_id_synthetic": False,
        "generation": 1,
        "config_version": "5.0",
        "state": "Running",
        "os_name": "Windows Server 2012 R2 Standard",
        "os_version": "6.3.9600",
        "os_architecture": "x64",
        "boot_controller": "IDE",
        "boot_disk_path": r"C:\CSV\APP01\APP01.vhd",
        "boot_disk_format": "VHD",
        "boot_disk_type": "Dynamic",
        "partition_style": "MBR",
        "legacy_nic_count": 1,
        "pxe_boot": False,
        "floppy_media": False,
        "com_port_count": 0,
        "dvd_media": "None",
        "checkpoint_count": 2,
        "replication_state": "Disabled",
        "shared_disk_count": 0,
        "passthrough_disk_count": 0,
        "notes": "ERP app",
        "source_kind": "template",
        "origin": fixture("template_utf8_bom.csv"),
        "source": fixture("template_utf8_bom.csv") + ":2",
    }


def test_numbers_and_other_spellings_are_normalised(canonical) -> None:
    app02 = by_name(canonical)["APP02"]
    assert app02["config_version"] == "8.0"
    assert app02["state"] == "Running"  # 2
    assert app02["os_architecture"] == "9"  # kept as written
    assert app02["boot_controller"] == "IDE"  # 0
    assert app02["boot_disk_format"] == "VHDX"  # 3
    assert app02["boot_disk_type"] == "Dynamic"  # 3
    assert app02["com_port_count"] == 2  # two pipe names
    assert app02["dvd_media"] == "ISO"  # an .iso path
    assert app02["notes"] == 'Owner: Finance\r\nPatch window: Sunday\r\nCall "Ops" first'


def test_blank_cells_are_unknown_never_no(canonical) -> None:
    app02 = by_name(canonical)["APP02"]
    for column in (
        "partition_style",
        "pxe_boot",
        "floppy_media",
        "checkpoint_count",
        "replication_state",
        "shared_disk_count",
        "passthrough_disk_count",
    ):
        assert app02[column] is None, column
    kiosk = by_name(canonical)["WIN7-KIOSK"]
    assert kiosk["pxe_boot"] is None  # "N/A"
    assert kiosk["notes"] is None  # "unknown"
    assert kiosk["legacy_nic_count"] == 0  # "none"
    assert kiosk["floppy_media"] is True
    assert kiosk["boot_disk_format"] == "PassThrough"
    assert kiosk["dvd_media"] == "Physical"
    assert kiosk["replication_state"] == "Replicating"
    assert kiosk["os_architecture"] == "32-bit"


def test_vms_without_an_id_get_a_stable_synthetic_one(canonical) -> None:
    app02 = by_name(canonical)["APP02"]
    assert app02["vm_id_synthetic"] is True
    assert app02["vm_id"] == synthetic_vm_id("HV01", "APP02")
    assert app02["vm_key"] == make_vm_key(synthetic_vm_id("HV01", "APP02"))


def test_bad_cells_become_unknown_with_a_warning_at_the_editor_line(canonical) -> None:
    lnx = by_name(canonical)["LNX01"]
    for column in (
        "generation",
        "state",
        "os_architecture",
        "boot_controller",
        "boot_disk_format",
        "boot_disk_type",
        "legacy_nic_count",
        "pxe_boot",
        "com_port_count",
        "dvd_media",
        "checkpoint_count",
        "replication_state",
    ):
        assert lnx[column] is None, column
    assert lnx["floppy_media"] is True  # a .vfd path
    assert lnx["config_version"] == "9.0"  # the good cells of the row are kept
    line6 = [w for w in canonical.warnings if w.line == 6]
    assert {w.column for w in line6} == {
        "Generation",
        "State",
        "OSArchitecture",
        "BootController",
        "BootDiskFormat",
        "BootDiskType",
        "LegacyNICs",
        "PXEBoot",
        "COMPorts",
        "DVDMedia",
        "Checkpoints",
        "Replication",
    }
    pxe = next(w for w in line6 if w.column == "PXEBoot")
    assert str(pxe) == (
        f"{fixture('template_utf8_bom.csv')}:6: column 'PXEBoot': "
        "'maybe' is not yes/no, true/false or 1/0; left unknown"
    )


def test_rows_without_a_name_and_repeated_vms_are_skipped_with_a_warning(canonical) -> None:
    assert set(by_name(canonical)) == {"APP01", "APP02", "LNX01", "WIN7-KIOSK"}
    text = messages(canonical)
    assert f"{fixture('template_utf8_bom.csv')}:7: no VM name; row skipped" in text
    assert any(":8: same VM as line 2" in m for m in text)


def test_detail_tables_stay_empty_and_listed_flags_unknown(canonical) -> None:
    for name in ("disks", "nics", "dvd_drives", "com_ports", "floppies", "collection_errors"):
        assert canonical.inventory[name].empty
    for flag in ("disks_listed", "nics_listed", "floppies_listed", "com_ports_listed"):
        assert canonical.inventory.vms[flag].isna().all()


def test_semicolon_cp1252_with_alias_headers_and_sep_hint() -> None:
    result = template.load(fixture("template_semicolon_cp1252.csv"))
    assert_conforms(result)
    assert result.warnings == []
    vms = by_name(result)
    assert set(vms) == {"FILE-BÜRO", "KASSE01"}
    assert vms["FILE-BÜRO"]["host"] == "HV-MÜNCHEN"
    assert vms["FILE-BÜRO"]["os_name"] == "Windows Server 2012 R2 Standard – Deutsch"
    assert vms["FILE-BÜRO"]["source"].endswith(":3")
    assert vms["KASSE01"]["notes"] == "Kasse; Filiale 3"
    assert vms["KASSE01"]["legacy_nic_count"] == 1
    assert vms["KASSE01"]["floppy_media"] is True
    assert vms["KASSE01"]["state"] == "Off"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("template_utf16_tab.txt", {"東京-APP01", "東京-APP02"}),
        ("template_utf16_nobom.csv", {"NOBOM-01"}),
    ],
)
def test_utf16_files_with_and_without_bom(name: str, expected: set[str]) -> None:
    result = template.load(fixture(name))
    assert_conforms(result)
    assert set(by_name(result)) == expected


def test_workbook_with_a_title_row_and_numbers_as_numbers() -> None:
    result = template.load(fixture("template_title_row.xlsx"))
    assert_conforms(result)
    vms = by_name(result)
    assert vms["LYO-APP01"]["config_version"] == "8.0"
    assert vms["LYO-APP01"]["pxe_boot"] is False
    assert vms["LYO-APP02"]["config_version"] == "9.1"
    assert vms["LYO-APP02"]["checkpoint_count"] == 2
    assert vms["LYO-APP04"]["source"].endswith(":8")
    assert vms["LYO-APP03"]["pxe_boot"] is True  # "ja": German yes
    assert {(w.line, w.column) for w in result.warnings} == {
        (6, "Generation"),
        (6, "Checkpoints"),
    }


def test_a_file_without_a_name_column_is_an_input_error(tmp_path) -> None:
    path = tmp_path / "hosts.csv"
    path.write_text("Host,State\nHV01,Running\n")
    with pytest.raises(InputError, match="VMName"):
        template.load(str(path))


def test_sniff_accepts_template_like_headers_only() -> None:
    assert template.sniff("x.csv", b"VM Name,Hyper-V Host,Generation\r\nA,B,1\r\n")
    assert template.sniff("x.csv", codecs.BOM_UTF8 + b"Name;OS;Gen\n")
    assert not template.sniff("x.csv", b"Name,Size\n")
    assert not template.sniff("x.csv", b"\x00\x01binary")
    assert not template.sniff("x.csv", b"")


def test_written_template_has_bom_headers_and_example_rows_that_load(tmp_path) -> None:
    path = tmp_path / "out" / "inventory-template.csv"
    template.write_template(path)
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == template.TEMPLATE_HEADERS
    assert 3 <= len(rows) - 1 <= 4
    # The example rows are marked, so they are never assessed as real VMs ...
    result = template.load(str(path))
    assert len(result.inventory.vms) == 0
    [warning] = result.warnings
    assert warning.message.startswith(f"{len(rows) - 1} example row(s) of 'assess template'")
    assert template.template_text().encode() == data[3:]
    # ... and once the marker is gone they load without a warning.
    path.write_text(data.decode("utf-8-sig").replace(template.EXAMPLE_MARKER, "Was:"), "utf-8")
    result = template.load(str(path))
    assert_conforms(result)
    assert result.warnings == []
    assert len(result.inventory.vms) == len(rows) - 1


def test_columns_the_template_does_not_know_are_named_once(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("VMName,Host,Owner,Cost Centre\na,h,x,1\nb,h,y,2\n", encoding="utf-8")
    result = template.load(str(path))
    [warning] = result.warnings
    assert warning.line == 1
    assert (
        warning.message.startswith("2 column(s) not read")
        and "Owner, Cost Centre" in warning.message
    )


# --------------------------------------------------------------------------- properties

VALID = {
    "Host": ["HV01", "hv-02", ""],
    "Cluster": ["CL01", ""],
    "VMId": ["", "{0E8D028F-F399-5930-AD91-6F251C6DA129}"],
    "Generation": ["1", "2", "Gen 1", ""],
    "ConfigVersion": ["5.0", "8", "9.1", ""],
    "State": ["Running", "3", "saved", ""],
    "OSName": ["Windows Server 2016 Standard", "CentOS Linux 7", ""],
    "OSVersion": ["10.0.14393", ""],
    "OSArchitecture": ["x64", "9", "i686", ""],
    "BootController": ["IDE", "1", ""],
    "BootDiskPath": [r"C:\VMs\a.vhdx", ""],
    "BootDiskFormat": ["VHD", "3", "PassThrough", ""],
    "BootDiskType": ["Fixed", "4", ""],
    "PartitionStyle": ["MBR", "GPT", ""],
    "LegacyNICs": ["0", "2", ""],
    "PXEBoot": ["yes", "no", ""],
    "FloppyAttached": ["no", r"C:\f.vfd", ""],
    "COMPorts": ["0", r"\\.\pipe\a|\\.\pipe\b", ""],
    "DVDMedia": ["ISO", "None", ""],
    "Checkpoints": ["0", "3", ""],
    "Replication": ["yes", "Disabled", ""],
    "SharedDisks": ["0", ""],
    "PassThroughDisks": ["1", ""],
    "Notes": ["", "plain", 'multi\nline, with "quotes"; and semicolons'],
    "Clustered": ["yes", "False", ""],
    "IDEDataDisks": ["0", "2", ""],
    "VHDDataDisks": ["1", ""],
    "RemoteFX3D": ["0", ""],
    "HostOS": ["Windows Server 2019 Datacenter", "6.2.9200", ""],
}
OTHER = [h for h in template.TEMPLATE_HEADERS if h != "VMName"]
junk_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


@st.composite
def inventories(draw):
    headers = ["VMName", *draw(st.lists(st.sampled_from(OTHER), unique=True, max_size=len(OTHER)))]
    headers = draw(st.permutations(headers))
    count = draw(st.integers(min_value=1, max_value=6))
    good = []
    for index in range(count):
        row = {h: draw(st.sampled_from(VALID[h])) for h in headers if h != "VMName"}
        row["VMName"] = f"GOOD{index:03d}"
        row["VMId"] = ""  # unique by name; an id could repeat across rows
        good.append(row)
    bad_kind = draw(st.sampled_from(["cells", "line", "none"]))
    bad = None
    if bad_kind == "cells":
        bad = [draw(junk_text) for _ in headers]
    elif bad_kind == "line":
        bad = draw(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r\n")))
    return headers, good, bad, draw(st.integers(min_value=0, max_value=count))


@settings(max_examples=30, deadline=None)
@given(
    inventory=inventories(),
    delimiter=st.sampled_from([",", ";"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
@pytest.mark.slow
def test_mangled_inventories_load_and_keep_their_good_rows(
    tmp_path_factory, inventory, delimiter, encoding, newline
) -> None:
    headers, good, bad, at = inventory
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(headers)
    rendered = []
    for row in good:
        line = io.StringIO()
        csv.writer(line, delimiter=delimiter, lineterminator=newline).writerow(
            [row[h] for h in headers]
        )
        rendered.append(line.getvalue())
    if isinstance(bad, list):
        line = io.StringIO()
        csv.writer(line, delimiter=delimiter, lineterminator=newline).writerow(bad)
        rendered.insert(at, line.getvalue())
    elif isinstance(bad, str):
        rendered.insert(at, bad + newline)
    text = buffer.getvalue() + "".join(rendered)
    path = tmp_path_factory.mktemp("inv") / "inventory.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    try:
        result = template.load(str(path))
    except InputError:
        # Only a junk row that happens to make the file unreadable as a whole may do this.
        assert bad is not None
        return
    assert_conforms(result)
    vms = by_name(result)
    for row in good:
        assert row["VMName"] in vms, row
        parsed = vms[row["VMName"]]
        if "Generation" in headers and row["Generation"]:
            assert parsed["generation"] == int(row["Generation"][-1])
        if "Host" in headers and row["Host"]:
            assert parsed["host"] == row["Host"]


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_give_an_input_error_or_a_conforming_result(tmp_path_factory, data) -> None:
    path = tmp_path_factory.mktemp("bytes") / "x.csv"
    path.write_bytes(b"VMName,Host\r\n" + data)
    try:
        result = template.load(str(path))
    except InputError:
        return
    assert_conforms(result)


def test_merged_host_cells_are_filled_down_with_a_warning(tmp_path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Hyper-V inventory (merged title)", None, None])
    sheet.merge_cells("A1:C1")
    sheet.append(["Host", "VMName", "Generation"])
    for row in (["HV01", "a", 1], [None, "b", 1], [None, "c", 2], ["HV02", "d", 1]):
        sheet.append(row)
    sheet.merge_cells("A3:A5")
    path = tmp_path / "merged.xlsx"
    book.save(path)
    result = template.load(str(path))
    hosts = dict(zip(result.inventory.vms["name"], result.inventory.vms["host"], strict=True))
    assert hosts == {"a": "HV01", "b": "HV01", "c": "HV01", "d": "HV02"}
    [warning] = result.warnings
    assert (warning.line, warning.message) == (3, "merged cells A3:A5 filled down with 'HV01'")
