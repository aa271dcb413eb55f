"""The one-row-per-VM inventory template (CSV or workbook), and ``assess template``.

A consultant fills it in from whatever the client has (a CMDB export, a spreadsheet, SCVMM
reports). Each column is optional except the VM name; a blank cell is unknown, never "no".
The template states facts about the boot disk and devices directly, so the detail tables
(disks, nics, ...) stay empty and the ``*_listed`` flags stay NA.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import os

import numpy as np

from assess.atomic import write_text_atomic
from assess.model.diagnostics import InputError, RowWarning
from assess.model.inventory import Inventory
from assess.model.os_identity import OsNames
from assess.sources import SourceResult, table_files, text_files
from assess.sources.cell_values import (
    os_architecture_parser,
    to_bool,
    to_boot_disk_format,
    to_com_port_count,
    to_config_version,
    to_controller_type,
    to_count,
    to_dvd_media,
    to_floppy_media,
    to_generation,
    to_os_architecture,
    to_partition_style,
    to_replication_flag,
    to_text,
    to_vhd_type,
    to_vm_state,
)
from assess.sources.column_mapping import Field, match_fields, vms_from_table
from assess.sources.header_match import header_key
from assess.sources.os_names import unreadable_os_names
from assess.sources.table_files import Table

KIND = "template"

FIELDS: tuple[Field, ...] = (
    Field("VMName", "name", to_text, ("Name", "VM", "VM Name", "Virtual Machine", "Machine Name")),
    Field(
        "Host",
        "host",
        to_text,
        ("HostName", "Host Name", "Hyper-V Host", "HyperVHost", "ComputerName", "Server", "Node"),
    ),
    Field("Cluster", "cluster", to_text, ("Cluster Name", "Failover Cluster")),
    Field("VMId", "vm_id", to_text, ("Id", "UUID", "VM ID", "VM UUID", "GUID", "VM GUID")),
    Field("Generation", "generation", to_generation, ("Gen", "VM Generation")),
    Field(
        "ConfigVersion",
        "config_version",
        to_config_version,
        ("Version", "Configuration Version", "Config Version", "VM Version"),
    ),
    Field("State", "state", to_vm_state, ("Power State", "VM State")),
    Field("OSName", "os_name", to_text, ("Operating System", "OS", "Guest OS", "OS Name")),
    Field("OSVersion", "os_version", to_text, ("Guest OS Version", "OS Build")),
    Field(
        "OSArchitecture",
        "os_architecture",
        to_os_architecture,
        ("Architecture", "Arch", "OS Arch", "Bitness", "ProcessorArchitecture"),
    ),
    Field(
        "BootController",
        "boot_controller",
        to_controller_type,
        ("Boot Controller Type", "Boot Disk Controller"),
    ),
    Field("BootDiskPath", "boot_disk_path", to_text, ("Boot Disk", "Boot VHD", "Boot Disk File")),
    Field("BootDiskFormat", "boot_disk_format", to_boot_disk_format, ("Boot VHD Format",)),
    Field("BootDiskType", "boot_disk_type", to_vhd_type, ("Boot VHD Type",)),
    Field(
        "PartitionStyle",
        "partition_style",
        to_partition_style,
        ("Boot Partition Style", "Partition Table", "Partition Type"),
    ),
    Field(
        "LegacyNICs",
        "legacy_nic_count",
        to_count,
        ("Legacy NIC", "Legacy NIC Count", "Legacy Network Adapters", "Legacy Adapters"),
    ),
    Field("PXEBoot", "pxe_boot", to_bool, ("PXE", "Network Boot", "Boots From Network")),
    Field(
        "FloppyAttached",
        "floppy_media",
        to_floppy_media,
        ("Floppy", "Floppy Media", "Floppy Disk", "VFD"),
    ),
    Field("COMPorts", "com_port_count", to_com_port_count, ("COM Port", "Serial Ports")),
    Field("DVDMedia", "dvd_media", to_dvd_media, ("DVD", "DVD Drive", "CD", "ISO")),
    Field(
        "Checkpoints",
        "checkpoint_count",
        to_count,
        ("Checkpoint", "Checkpoint Count", "Snapshots", "Snapshot Count"),
    ),
    Field(
        "Replication",
        "replication_state",
        to_replication_flag,
        ("Replica", "Hyper-V Replica", "Replication State", "Replication Enabled"),
    ),
    Field(
        "SharedDisks",
        "shared_disk_count",
        to_count,
        ("Shared Disk", "Shared VHDX", "Shared Disk Count"),
    ),
    Field(
        "PassThroughDisks",
        "passthrough_disk_count",
        to_count,
        ("Pass Through Disks", "Passthrough", "Physical Disks", "Pass-Through Disk Count"),
    ),
    Field("Notes", "notes", to_text, ("Note", "Comment", "Comments", "Description", "Remarks")),
    # Optional columns beyond the canonical set: they let a typed inventory answer every rule.
    Field("Clustered", "is_clustered", to_bool, ("IsClustered", "Cluster Role", "HA")),
    Field("IDEDataDisks", "ide_data_disk_count", to_count, ("IDE Data Disk Count",)),
    Field("VHDDataDisks", "vhd_data_disk_count", to_count, ("VHD Data Disk Count",)),
    Field("RemoteFX3D", "remotefx_3d_count", to_count, ("RemoteFX", "RemoteFX Adapters")),
    Field("HostOS", "host_os", to_text, ("Host OS", "Host Operating System", "Hypervisor OS")),
)

#: The canonical headers, in the order ``assess template`` writes them.
TEMPLATE_HEADERS: tuple[str, ...] = (
    "Host",
    "Cluster",
    "VMName",
    "VMId",
    "Generation",
    "ConfigVersion",
    "State",
    "OSName",
    "OSVersion",
    "OSArchitecture",
    "BootController",
    "BootDiskPath",
    "BootDiskFormat",
    "BootDiskType",
    "PartitionStyle",
    "LegacyNICs",
    "PXEBoot",
    "FloppyAttached",
    "COMPorts",
    "DVDMedia",
    "Checkpoints",
    "Replication",
    "SharedDisks",
    "PassThroughDisks",
    "Notes",
    "Clustered",
    "IDEDataDisks",
    "VHDDataDisks",
    "RemoteFX3D",
    "HostOS",
)

EXAMPLE_ROWS: tuple[tuple[str, ...], ...] = (
    (
        "HV01",
        "CLU-PROD",
        "APP-ERP01",
        "6f1d0c2a-8d4e-4b7a-9a51-3c2f1e0d9b11",
        "1",
        "5.0",
        "Running",
        "Windows Server 2012 R2 Datacenter",
        "6.3.9600",
        "x64",
        "IDE",
        r"C:\ClusterStorage\Volume1\APP-ERP01\APP-ERP01.vhd",
        "VHD",
        "Dynamic",
        "MBR",
        "1",
        "no",
        "no",
        "0",
        "None",
        "2",
        "no",
        "0",
        "0",
        "Example row: replace or delete. ERP application server, owner Finance",
        "yes",
        "1",
        "1",
        "0",
        "Windows Server 2019 Datacenter",
    ),
    (
        "HV01",
        "CLU-PROD",
        "DC02",
        "",
        "1",
        "8.0",
        "Running",
        "Windows Server 2016 Standard",
        "10.0.14393",
        "64-bit",
        "IDE",
        r"C:\ClusterStorage\Volume2\DC02\DC02.vhdx",
        "VHDX",
        "Fixed",
        "MBR",
        "0",
        "no",
        "",
        "0",
        r"C:\ISO\tools.iso",
        "0",
        "yes",
        "0",
        "0",
        "Example row: replace or delete. Blank cells are unknown, not 'no'",
        "no",
        "0",
        "0",
        "0",
        "Windows Server 2019 Datacenter",
    ),
    (
        "HV02",
        "",
        "LNX-WEB01",
        "",
        "1",
        "9.0",
        "Off",
        "CentOS Linux 7 (Core)",
        "7.9.2009",
        "x86_64",
        "IDE",
        r"D:\Hyper-V\LNX-WEB01\LNX-WEB01.vhdx",
        "VHDX",
        "Differencing",
        "",
        "1",
        "yes",
        r"D:\Hyper-V\LNX-WEB01\ks.vfd",
        r"\\.\pipe\lnx-web01-com1",
        "None",
        "0",
        "no",
        "0",
        "0",
        "Example row: replace or delete. Kickstart floppy still attached",
        "no",
        "0",
        "0",
        "0",
        "Windows Server 2016 Standard",
    ),
    (
        "HV02",
        "",
        "SQL-LEGACY",
        "",
        "1",
        "5.0",
        "Saved",
        "Windows Server 2008 R2 Enterprise",
        "6.1.7601",
        "x64",
        "IDE",
        "Disk 3 (physical)",
        "PassThrough",
        "",
        "MBR",
        "0",
        "no",
        "no",
        "0",
        "Physical",
        "1",
        "no",
        "2",
        "1",
        "Example row: replace or delete. Guest cluster node with shared disks",
        "",
        "",
        "",
        "",
        "",
    ),
)


def _is_template(headers: list[str]) -> bool:
    """Our ``VMName`` header, or another VM name header with two more template columns."""
    match = match_fields(headers, FIELDS)
    if "name" not in match:
        return False
    return header_key(match.header("name")) == "vmname" or len(match.columns) >= 3


def sniff(path: str, head: bytes) -> bool:
    """A header line (or a worksheet's first row) with a VM name and two more template columns."""
    if table_files.is_workbook(head):
        heads = table_files.workbook_heads(path)
        if any(sheet.lower() == "vinfo" for sheet, _ in heads):
            return False  # RVTools: a VMware inventory
        return any(_is_template(headers) for _, headers in heads)
    text = text_files.decode_head(head)
    if not text:
        return False
    csv_head = table_files.read_csv_head(table_files.split_lines(text)[:5])
    return csv_head is not None and _is_template(csv_head.headers)


def load(path: str, os_names: OsNames | None = None) -> SourceResult:
    """The template's VM rows; ``os_names`` (with ``--rules`` names) reads OSName and
    OSArchitecture, the built-in names when None."""
    tables = table_files.read_tables(path)
    chosen = [t for t in tables if _is_template(t.headers)]
    if not chosen:  # read directly: any table with a VM name column will do
        chosen = [t for t in tables if "name" in match_fields(t.headers, FIELDS)][:1]
    if not chosen:
        raise InputError(path, "no VMName column (or Name, VM, VM Name): not an inventory")
    if len(chosen) == 1 and len(tables) == 1:
        return load_table(chosen[0], path, os_names)
    return load_sheets(path, tables, chosen, functools.partial(load_table, os_names=os_names))


def load_sheets(path: str, tables: list[Table], chosen: list[Table], read) -> SourceResult:
    """Every chosen sheet of a workbook, as one result; each sheet left out is a warning
    (a workbook split by cluster or site must not lose all but its first sheet)."""
    results = [read(t, f"{path} [{t.sheet}]" if len(chosen) > 1 else path) for t in chosen]
    warnings = [w for r in results for w in r.warnings]
    for table in tables:
        skipped = all(table is not c for c in chosen)
        if skipped and len(table) and "name" in match_fields(table.headers, FIELDS):
            warnings.append(
                RowWarning(
                    path,
                    None,
                    None,
                    f"sheet {table.sheet!r} skipped: it has VM names but not the template's "
                    "columns",
                )
            )
    return SourceResult(
        path=path,
        kind=results[0].kind,
        inventory=Inventory.concat(r.inventory for r in results),
        warnings=warnings,
        rows_read=sum(r.rows_read for r in results),
    )


#: What ``assess template`` writes at the start of each example row's Notes: such rows are
#: never assessed.
EXAMPLE_MARKER = "Example row:"


def load_table(table: Table, path: str, os_names: OsNames | None = None) -> SourceResult:
    """The ``vms`` rows of one template table. Example rows (Notes starting with
    ``Example row:``) are skipped, and columns the template does not know are named once."""
    match = match_fields(table.headers, FIELDS)
    notices: list[RowWarning] = []
    unknown = [
        header
        for index, header in enumerate(table.headers)
        if header.strip() and index not in set(match.columns.values())
    ]
    if unknown:
        notices.append(
            RowWarning(
                path,
                table.header_line,
                None,
                f"{len(unknown)} column(s) not read (not template columns, see "
                f"'assess template'): {', '.join(unknown)}",
            )
        )
    if "notes" in match:
        notes = table.columns[match.columns["notes"]]
        example = np.array(
            [str(n).strip().lower().startswith(EXAMPLE_MARKER.lower()) for n in notes], dtype=bool
        )
        if example.any():
            lines = table.lines[example].tolist()
            notices.append(
                RowWarning(
                    path,
                    int(lines[0]),
                    None,
                    f"{len(lines)} example row(s) of 'assess template' skipped (line(s) "
                    f"{', '.join(map(str, lines))}): replace them with your VMs or delete them",
                )
            )
            table = dataclasses.replace(
                table,
                columns=[column[~example] for column in table.columns],
                lines=table.lines[~example],
            )
    parsers = {"os_architecture": os_architecture_parser(os_names)}
    vms, warnings = vms_from_table(table, FIELDS, kind=KIND, origin=path, parsers=parsers)
    matched = match_fields(table.headers, FIELDS)
    if "os_name" in matched:
        warnings += unreadable_os_names(vms, path, matched.header("os_name"), os_names)
    return SourceResult(
        path=path,
        kind=KIND,
        inventory=Inventory.from_frames({"vms": vms}),
        warnings=sorted([*table.warnings, *notices, *warnings], key=lambda w: w.line or 0),
        rows_read=len(table),
    )


def template_text() -> str:
    """The template CSV: canonical headers and example rows (CRLF line ends, like Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(TEMPLATE_HEADERS)
    writer.writerows(EXAMPLE_ROWS)
    return buffer.getvalue()


def write_template(path: str | os.PathLike[str]) -> None:
    """Write the template CSV as UTF-8 with a BOM, so Excel shows non-ASCII text right."""
    write_text_atomic(path, template_text(), encoding="utf-8-sig")


__all__ = ["FIELDS", "KIND", "TEMPLATE_HEADERS", "load", "sniff", "template_text", "write_template"]
