"""Small RVTools exports in the column layouts of several RVTools releases, written by tests.

Each layout lists, per tab, the headers in that release's order and spelling (with some
columns we do not read, so that lookup by name is exercised); ``write_workbook`` and
``write_csv_export`` fill them from VM descriptions keyed by our own field names.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

Row = Mapping[str, Any]

#: field -> header, per tab, per layout. Fields absent from a layout are not written.
LAYOUTS: dict[str, dict[str, dict[str, str]]] = {
    # RVTools 3.11: MB sizes, one Controller column ("SCSI controller 0"), a vFloppy tab.
    "3.11": {
        "vInfo": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "template": "Template",
            "config_status": "Config status",
            "dns": "DNS Name",
            "cpus": "CPUs",
            "memory": "Memory",
            "nics": "NICs",
            "ip": "Primary IP Address",
            "annotation": "Annotation",
            "hw_version": "HW version",
            "firmware": "Firmware",
            "datacenter": "Datacenter",
            "cluster": "Cluster",
            "host": "Host",
            "os_config": "OS according to the configuration file",
            "os_tools": "OS according to the VMware Tools",
            "moref": "VM ID",
            "uuid": "VM UUID",
            "server": "VI SDK Server",
        },
        "vDisk": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "template": "Template",
            "disk": "Disk",
            "capacity": "Capacity MB",
            "raw": "Raw",
            "disk_mode": "Disk Mode",
            "thin": "Thin",
            "controller_label": "Controller",
            "unit": "Unit #",
            "path": "Path",
            "host": "Host",
            "moref": "VM ID",
            "uuid": "VM UUID",
        },
        "vNetwork": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "template": "Template",
            "adapter": "Adapter",
            "network": "Network",
            "connected": "Connected",
            "mac": "Mac Address",
            "ipv4": "IP Address",
            "moref": "VM ID",
            "uuid": "VM UUID",
        },
        "vCD": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "template": "Template",
            "device": "Device Node",
            "connected": "Connected",
            "device_type": "Device Type",
            "moref": "VM ID",
            "uuid": "VM UUID",
        },
        "vFloppy": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "template": "Template",
            "device": "Device Node",
            "connected": "Connected",
            "device_type": "Device Type",
            "path": "Summary",
            "moref": "VM ID",
            "uuid": "VM UUID",
        },
        "vSnapshot": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "snapshot": "Name",
            "moref": "VM ID",
            "uuid": "VM UUID",
        },
        "vHost": {
            "host": "Host",
            "datacenter": "Datacenter",
            "cluster": "Cluster",
            "esx": "ESX Version",
        },
    },
    # RVTools 4.6: Controller is the model, Label the controller; SRM and EFI Secure boot.
    "4.6": {
        "vInfo": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "template": "Template",
            "srm": "SRM Placeholder",
            "config_status": "Config status",
            "cpus": "CPUs",
            "memory": "Memory",
            "nics": "NICs",
            "ip": "Primary IP Address",
            "secure_boot": "EFI Secure boot",
            "firmware": "Firmware",
            "hw_version": "HW version",
            "datacenter": "Datacenter",
            "cluster": "Cluster",
            "host": "Host",
            "os_config": "OS according to the configuration file",
            "os_tools": "OS according to the VMware Tools",
            "moref": "VM ID",
            "uuid": "VM UUID",
            "server": "VI SDK Server type",
        },
        "vDisk": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "template": "Template",
            "srm": "SRM Placeholder",
            "disk": "Disk",
            "disk_key": "Disk Key",
            "path": "Disk Path",
            "capacity": "Capacity MiB",
            "raw": "Raw",
            "disk_mode": "Disk Mode",
            "sharing": "Sharing mode",
            "thin": "Thin",
            "controller": "Controller",
            "controller_label": "Label",
            "scsi_unit": "SCSI Unit #",
            "unit": "Unit #",
            "datacenter": "Datacenter",
            "cluster": "Cluster",
            "host": "Host",
            "moref": "VM ID",
        },
        "vNetwork": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "template": "Template",
            "label": "NIC label",
            "adapter": "Adapter",
            "network": "Network",
            "switch": "Switch",
            "connected": "Connected",
            "mac": "Mac Address",
            "ipv4": "IPv4 Address",
            "moref": "VM ID",
            "uuid": "VM UUID",
        },
        "vCD": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "template": "Template",
            "device": "Device Node",
            "connected": "Connected",
            "device_type": "Device Type",
            "moref": "VM ID",
            "uuid": "VM UUID",
        },
        "vUSB": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "template": "Template",
            "device": "Device Node",
            "moref": "VM ID",
            "uuid": "VM UUID",
        },
        "vSnapshot": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "snapshot": "Name",
            "moref": "VM ID",
            "uuid": "VM UUID",
        },
        "vPartition": {"vm": "VM", "disk": "Disk", "capacity": "Capacity MiB"},
        "vHost": {
            "host": "Host",
            "datacenter": "Datacenter",
            "cluster": "Cluster",
            "esx": "ESX Version",
        },
    },
    # RVTools 4.8: SCSI label / Unit number / Path, VM SMBIOS UUID and the vCenter's UUID.
    "4.8": {
        "vInfo": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "template": "Template",
            "cpus": "CPUs",
            "memory": "Memory",
            "ip": "Primary IP Address",
            "secure_boot": "EFI Secure boot",
            "firmware": "Firmware",
            "hw_version": "HW version",
            "annotation": "Annotation",
            "datacenter": "Datacenter",
            "cluster": "Cluster",
            "host": "Host",
            "os_config": "OS according to the configuration file",
            "os_tools": "OS according to the VMware Tools",
            "moref": "VM ID",
            "smbios": "VM SMBIOS UUID",
            "uuid": "VM UUID",
            "server": "VI SDK Server",
            "sdk_uuid": "VI SDK UUID",
        },
        "vDisk": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "template": "Template",
            "disk": "Disk",
            "capacity": "Capacity MiB",
            "raw": "Raw",
            "disk_mode": "Disk Mode",
            "sharing": "Sharing mode",
            "thin": "Thin",
            "controller": "Controller",
            "controller_label": "SCSI label",
            "unit": "Unit number",
            "path": "Path",
            "moref": "VM ID",
            "uuid": "VM UUID",
            "server": "VI SDK Server",
            "sdk_uuid": "VI SDK UUID",
        },
        "vNetwork": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "template": "Template",
            "label": "NIC label",
            "adapter": "Adapter",
            "network": "Network",
            "mac": "Mac Address",
            "ipv4": "IPv4 Address",
            "uuid": "VM UUID",
        },
        "vCD": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "template": "Template",
            "device": "Device",
            "connected": "Connected",
            "device_type": "Backing type",
            "path": "Backing path",
            "uuid": "VM UUID",
        },
        "vUSB": {"vm": "VM", "powerstate": "Powerstate", "device": "Device", "uuid": "VM UUID"},
        "vSnapshot": {
            "vm": "VM",
            "powerstate": "Powerstate",
            "snapshot": "Name",
            "uuid": "VM UUID",
        },
        "vHost": {
            "host": "Host",
            "datacenter": "Datacenter",
            "cluster": "Cluster",
            "esx": "ESX Version",
        },
    },
}

#: The CSV export's headers: every header prefixed with its tab (vInfoVMName ...).
CSV_PREFIXED: dict[str, dict[str, str]] = {
    "vInfo": {
        "vm": "vInfoVMName",
        "powerstate": "vInfoPowerstate",
        "template": "vInfoTemplate",
        "cpus": "vInfoCPUs",
        "memory": "vInfoMemory",
        "firmware": "vInfoFirmware",
        "hw_version": "VInfoVersion",
        "datacenter": "vInfoDataCenter",
        "cluster": "vInfoCluster",
        "host": "vInfoHost",
        "os_config": "vInfoOS",
        "os_tools": "vInfoOSTools",
        "uuid": "vInfoUUID",
        "ip": "vInfoPrimaryIPAddress",
    },
    "vDisk": {
        "vm": "vDiskVMName",
        "powerstate": "vDiskPowerstate",
        "template": "vDiskTemplate",
        "disk": "vDiskName",
        "capacity": "vDiskCapacityMiB",
        "disk_mode": "vDiskDiskMode",
        "controller": "vDiskController",
        "uuid": "vDiskUUID",
    },
    "vNetwork": {
        "vm": "vNetworkVMName",
        "powerstate": "vNetworkPowerstate",
        "network": "vNetworkName",
        "mac": "vNetworkMacAddress",
        "adapter": "vNetworkAdapter",
    },
}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):  # a VM's devices: vInfo counts them (NICs)
        return len(value)
    return value


def _rows(tab: str, columns: Mapping[str, str], vms: Sequence[Row]) -> list[list[Any]]:
    """The rows of one tab: vInfo one per VM, the others one per listed device."""
    device_key = {
        "vDisk": "disks",
        "vNetwork": "nics",
        "vCD": "cds",
        "vFloppy": "floppies",
        "vUSB": "usbs",
        "vSnapshot": "snapshots",
        "vPartition": "partitions",
    }
    rows = []
    if tab == "vHost":
        hosts = {vm["host"]: vm for vm in vms if vm.get("host")}
        for host, vm in hosts.items():
            values = {"host": host, **vm, "esx": vm.get("esx", "VMware ESXi 7.0.3 build-21930508")}
            rows.append([_cell(values.get(f)) for f in columns])
        return rows
    for vm in vms:
        if tab == "vInfo":
            rows.append([_cell(vm.get(f)) for f in columns])
            continue
        for device in vm.get(device_key[tab], []):
            values = {**vm, **device}
            rows.append([_cell(values.get(f)) for f in columns])
    return rows


def write_workbook(
    path: Path,
    layout: str,
    vms: Sequence[Row],
    *,
    tabs: Sequence[str] | None = None,
    trailing_blank_rows: int = 0,
) -> Path:
    """An RVTools workbook in ``layout`` (one of LAYOUTS)."""
    book = xlsxwriter.Workbook(str(path))
    for tab, columns in LAYOUTS[layout].items():
        if tabs is not None and tab not in tabs:
            continue
        sheet = book.add_worksheet(tab)
        sheet.write_row(0, 0, list(columns.values()))
        rows = _rows(tab, columns, vms)
        for i, row in enumerate(rows, start=1):
            for j, value in enumerate(row):
                if isinstance(value, str):
                    sheet.write_string(i, j, value)
                else:
                    sheet.write(i, j, value)
        for k in range(trailing_blank_rows):
            sheet.write_blank(len(rows) + 1 + k, 0, None, book.add_format({"bold": True}))
    book.close()
    return path


def write_csv_export(
    folder: Path, vms: Sequence[Row], *, prefix: str = "RVTools_tab", prefixed: bool = True
) -> Path:
    """The per-tab CSV export: one file per tab; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    layouts = CSV_PREFIXED if prefixed else LAYOUTS["4.6"]
    for tab, columns in layouts.items():
        with open(folder / f"{prefix}{tab}.csv", "w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out)
            writer.writerow(list(columns.values()))
            writer.writerows(_rows(tab, columns, vms))
    return folder
