"""Import of an RVTools workbook: a synthetic 20,000-VM vCenter export read into the inventory.

    python bench/bench_rvtools.py [--vms 20000] [--repeat 5]

The workbook has the tabs and columns of an RVTools 4.x export (vInfo with its 80 columns,
vDisk, vNetwork, vCD, vUSB, vSnapshot, vPartition, vHost, and vCPU/vMemory that the reader
skips), about 1.6 disks, 1.2 adapters and 2 partitions per VM and 2% templates. It is
written once per size under ``bench/out/`` and reused. The figure is the median time of
``load_sources`` on it (workbook parsing, column lookup, linking the tabs, normalising).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Row, fmt_seconds, machine, median, out_dir, print_table, timed, write_rows

TARGET_S = 5.0

VINFO = [
    "VM",
    "Powerstate",
    "Template",
    "SRM Placeholder",
    "Config status",
    "Connection state",
    "Guest state",
    "Heartbeat",
    "Consolidation Needed",
    "PowerOn",
    "Suspended To Memory",
    "Suspend time",
    "Suspend Interval",
    "Creation date",
    "Change Version",
    "CPUs",
    "Overall Cpu Readiness",
    "Memory",
    "Active Memory",
    "NICs",
    "Disks",
    "Total disk capacity MiB",
    "Fixed Passthru HotPlug",
    "min Required EVC Mode Key",
    "Latency Sensitivity",
    "Op Notification Timeout",
    "EnableUUID",
    "CBT",
    "Primary IP Address",
    "Network #1",
    "Network #2",
    "Network #3",
    "Network #4",
    "Network #5",
    "Network #6",
    "Network #7",
    "Network #8",
    "Num Monitors",
    "Video Ram KiB",
    "Resource pool",
    "Folder ID",
    "Folder",
    "vApp",
    "DAS protection",
    "FT State",
    "FT Role",
    "FT Latency",
    "FT Bandwidth",
    "FT Sec. Latency",
    "Vm Failover In Progress",
    "Provisioned MiB",
    "In Use MiB",
    "Unshared MiB",
    "HA Restart Priority",
    "HA Isolation Response",
    "HA VM Monitoring",
    "Cluster rule(s)",
    "Cluster rule name(s)",
    "Boot Required",
    "Boot delay",
    "Boot retry delay",
    "Boot retry enabled",
    "Boot BIOS setup",
    "Reboot PowerOff",
    "EFI Secure boot",
    "Firmware",
    "HW version",
    "HW upgrade status",
    "HW upgrade policy",
    "HW target",
    "Annotation",
    "Datacenter",
    "Cluster",
    "Host",
    "OS according to the configuration file",
    "OS according to the VMware Tools",
    "Customization Info",
    "Guest Detailed Data",
    "VM ID",
    "VM UUID",
    "VI SDK Server type",
    "VI SDK API Version",
    "VI SDK Server",
    "VI SDK UUID",
]
TAIL = ["Datacenter", "Cluster", "Host", "Folder", "OS according to the configuration file",
        "OS according to the VMware Tools", "VM ID", "VM UUID", "VI SDK Server"]  # fmt: skip
VDISK = ["VM", "Powerstate", "Template", "SRM Placeholder", "Disk", "Disk Key", "Disk UUID",
         "Disk Path", "Capacity MiB", "Raw", "Disk Mode", "Sharing mode", "Thin",
         "Eagerly Scrub", "Split", "Write Through", "Level", "Shares", "Reservation", "Limit",
         "Controller", "Label", "SCSI Unit #", "Unit #", "Shared Bus", "Raw LUN ID",
         "Raw Comp. Mode", "Annotation", *TAIL]  # fmt: skip
VNETWORK = ["VM", "Powerstate", "Template", "SRM Placeholder", "NIC label", "Adapter", "Network",
            "Switch", "Connected", "Starts Connected", "Mac Address", "Type", "IPv4 Address",
            "IPv6 Address", "Direct Path IO", "Annotation", *TAIL]  # fmt: skip
VCD = ["VM", "Powerstate", "Template", "SRM Placeholder", "Device Node", "Connected",
       "Starts Connected", "Device Type", "Annotation", *TAIL]  # fmt: skip
VSNAPSHOT = ["VM", "Powerstate", "Name", "Description", "Date / time", "Filename",
             "Size MiB (vmsn)", "Size MiB (total)", "Quiesced", "State", "Annotation",
             *TAIL]  # fmt: skip
VUSB = ["VM", "Powerstate", "Template", "Device Node", "Device Type", "Connected", *TAIL]
VPARTITION = ["VM", "Powerstate", "Template", "Disk Key", "Disk", "Capacity MiB", "Consumed MiB",
              "Free MiB", "Free %", *TAIL]  # fmt: skip
VCPU = ["VM", "Powerstate", "Template", "CPUs", "Sockets", "Cores p/s", "Max", "Overall", *TAIL]
VMEMORY = ["VM", "Powerstate", "Template", "Size MiB", "Overhead", "Max", "Consumed", *TAIL]
VHOST = ["Host", "Datacenter", "Cluster", "Config status", "CPU Model", "Speed", "# CPU",
         "Cores per CPU", "# Cores", "# Memory", "# VMs total", "# VMs", "ESX Version",
         "Vendor", "Model"]  # fmt: skip

GUESTS = [
    ("Microsoft Windows Server 2019 (64-bit)", "bios"),
    ("Microsoft Windows Server 2016 or later (64-bit)", "bios"),
    ("Microsoft Windows Server 2022 (64-bit)", "efi"),
    ("Microsoft Windows Server 2012 (64-bit)", "bios"),
    ("Red Hat Enterprise Linux 8 (64-bit)", "efi"),
    ("CentOS 4/5/6/7 (64-bit)", "bios"),
    ("Ubuntu Linux (64-bit)", "bios"),
    ("Microsoft Windows Server 2008 R2 (64-bit)", "bios"),
    ("Other 3.x or later Linux (64-bit)", "bios"),
    ("Microsoft Windows Server 2003 Standard (32-bit)", "bios"),
]


def workbook(vms: int) -> Path:
    """The synthetic export (written once per size)."""
    path = out_dir("rvtools") / f"RVTools_export_{vms}.xlsx"
    if path.exists():
        return path
    import xlsxwriter

    rng = random.Random(vms)
    partial = path.with_suffix(".part.xlsx")
    # Shared strings, as RVTools writes them (constant_memory mode would inline every string).
    book = xlsxwriter.Workbook(str(partial))
    sheets = {
        name: book.add_worksheet(name)
        for name in ("vInfo", "vCPU", "vMemory", "vDisk", "vPartition", "vNetwork", "vCD",
                     "vUSB", "vSnapshot", "vHost")
    }  # fmt: skip
    headers = {"vInfo": VINFO, "vCPU": VCPU, "vMemory": VMEMORY, "vDisk": VDISK,
               "vPartition": VPARTITION, "vNetwork": VNETWORK, "vCD": VCD, "vUSB": VUSB,
               "vSnapshot": VSNAPSHOT, "vHost": VHOST}  # fmt: skip
    rows = {name: 1 for name in sheets}
    for name, sheet in sheets.items():
        sheet.write_row(0, 0, headers[name])

    def put(name: str, values: dict[str, object]) -> None:
        sheet = sheets[name]
        row = [values.get(h, "") for h in headers[name]]
        sheet.write_row(rows[name], 0, row)
        rows[name] += 1

    hosts = [f"esx{n:03d}.corp.example" for n in range(1, max(vms // 100, 1) + 1)]
    for i in range(vms):
        guest, firmware = GUESTS[i % len(GUESTS)]
        host = hosts[i % len(hosts)]
        name = f"vm{i:06d}"
        on = rng.random() < 0.85
        tail = {
            "VM": name, "Powerstate": "poweredOn" if on else "poweredOff",
            "Template": "True" if i % 50 == 49 else "False", "SRM Placeholder": "False",
            "Datacenter": f"DC{i % 3}", "Cluster": f"CL{i % 20:02d}", "Host": host,
            "Folder": "/Prod", "OS according to the configuration file": guest,
            "OS according to the VMware Tools": guest if on else "",
            "VM ID": f"vm-{1000 + i}", "VM UUID": f"5000{i:04x}-aaaa-4bbb-8ccc-{i:012x}",
            "VI SDK Server": "vcenter01.corp.example",
        }  # fmt: skip
        put("vInfo", {
            **tail, "Config status": "green", "Connection state": "connected",
            "Guest state": "running" if on else "notRunning", "CPUs": 2 + i % 7,
            "Memory": 4096 * (1 + i % 4), "NICs": 1, "Disks": 2, "Firmware": firmware,
            "EFI Secure boot": "True" if firmware == "efi" else "False",
            "HW version": f"vmx-{13 + i % 7}", "Primary IP Address": f"10.{i >> 16 & 255}."
            f"{i >> 8 & 255}.{i & 255}", "Network #1": "VLAN-110", "Provisioned MiB": 81920,
            "In Use MiB": 40960, "Annotation": "owner: app team" if i % 7 == 0 else "",
            "Creation date": "2021-03-04 10:11:12", "VI SDK Server type": "VMware vCenter Server",
        })  # fmt: skip
        put("vCPU", {**tail, "CPUs": 2, "Sockets": 1, "Cores p/s": 2})
        put("vMemory", {**tail, "Size MiB": 4096})
        for d in range(1 if i % 3 else 2):
            ide = i % 97 == 0 and d == 0
            put("vDisk", {
                **tail, "Disk": f"Hard disk {d + 1}", "Disk Key": 2000 + d,
                "Disk Path": f"[DS{i % 40:02d}] {name}/{name}{'_' + str(d) if d else ''}.vmdk",
                "Capacity MiB": 61440 * (d + 1), "Raw": "True" if i % 499 == 0 and d else "False",
                "Disk Mode": "independent_persistent" if i % 211 == 0 else "persistent",
                "Sharing mode": "sharingMultiWriter" if i % 997 == 0 else "sharingNone",
                "Thin": "True", "Controller": "IDE 0" if ide else "VMware paravirtual SCSI",
                "Label": "IDE 0" if ide else "SCSI controller 0", "Unit #": d,
            })  # fmt: skip
        for n in range(2 if i % 5 == 0 else 1):
            put("vNetwork", {
                **tail, "NIC label": f"Network adapter {n + 1}",
                "Adapter": "E1000E" if i % 9 == 0 else "vmxnet3", "Network": "VLAN-110",
                "Switch": "dvs01", "Connected": "True", "Starts Connected": "True",
                "Mac Address": f"00:50:56:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}",
                "IPv4 Address": f"10.0.{i >> 8 & 255}.{i & 255}",
            })  # fmt: skip
        put("vCD", {**tail, "Device Node": "CD/DVD drive 1", "Connected": "False",
                    "Starts Connected": "False",
                    "Device Type": "Host Device" if i % 301 == 0 else "Client Device"})  # fmt: skip
        for p, mount in enumerate(["C:\\", "D:\\"] if "Windows" in guest else ["/", "/boot"]):
            put("vPartition", {**tail, "Disk Key": 2000, "Disk": mount, "Capacity MiB": 40960,
                               "Consumed MiB": 20480 + p, "Free MiB": 20480})  # fmt: skip
        if i % 10 == 0:
            put("vSnapshot", {**tail, "Name": "before patch", "Date / time": "2026-11-01"})
        if i % 400 == 0:
            put("vUSB", {**tail, "Device Node": "USB 1", "Connected": "True"})
    for host in hosts:
        put("vHost", {"Host": host, "Datacenter": "DC0", "Cluster": "CL00", "# CPU": 2,
                      "ESX Version": "VMware ESXi 8.0.3 build-24280767"})  # fmt: skip
    book.close()
    partial.rename(path)
    return path


def measure(vms: int, repeat: int) -> list[Row]:
    from assess.sources.registry import load_sources

    path = workbook(vms)
    [result] = load_sources([str(path)])  # warm-up, and the figures below
    loaded = len(result.inventory.vms)
    disks = len(result.inventory["disks"])
    warnings = len(result.warnings)
    expected = vms - vms // 50  # 2% templates
    del result
    cpu: list[float] = []

    def run() -> None:
        started = time.process_time()
        load_sources([str(path)])
        cpu.append(time.process_time() - started)

    seconds = timed(run, repeat)
    met = median(seconds) < TARGET_S and loaded == expected and warnings == 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return [
        Row(
            f"import {vms:,}-VM RVTools workbook ({path.stat().st_size / 2**20:.0f} MiB)",
            fmt_seconds(seconds),
            f"< {TARGET_S:g} s",
            "met" if met else "MISSED",
        ),
        Row(
            f"import {vms:,}-VM RVTools workbook: CPU time (info)",
            f"{fmt_seconds(cpu)} (load average {load:.1f} on {os.cpu_count()} cores)",
        ),
        Row(
            f"import {vms:,}-VM RVTools workbook: output",
            f"{loaded:,} VMs ({vms - loaded:,} templates apart), {disks:,} disks, "
            f"{warnings:,} warnings",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rows-out", metavar="F", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    table = measure(args.vms, args.repeat)
    print(f"RVTools import, {machine()}")
    print_table(table)
    write_rows(args.rows_out, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
