"""Synthetic Hyper-V inventories of any size, for benchmarks.

    python bench/generate.py --vms 20000 --format csv --out bench/out/estate-20k.csv
    python bench/generate.py --vms 20000 --format jsonl --out bench/out/estate-20k.jsonl

The estate is seeded and deterministic (``--seed``): the same arguments give byte-identical
files. It aims to look like a real mid-2020s Hyper-V estate rather than like uniform noise:

* about 100 VMs per host, hosts grouped into failover clusters of 4 to 16 nodes (a fifth of
  the hosts stand alone), host OS from Windows Server 2012 to 2022;
* three quarters of the VMs Generation 1, configuration versions that the host can run;
* guest OS mix weighted like a typical Windows shop: Windows Server 2008 R2 to 2022, some
  Windows clients, a spread of Linux distributions and a little FreeBSD, and a share of VMs
  whose guest is unknown (powered off, no KVP data);
* devices at the rates consultants meet them: legacy NICs, PXE first, floppies with media,
  COM pipes, physical DVD, checkpoints, Replica, shared and pass-through disks, VHD vs VHDX,
  differencing boot disks;
* messy text: blank (unknown) cells, alternative spellings of architectures and booleans,
  notes with commas, quotes, line breaks, non-ASCII text and spreadsheet-formula leads.

``--format csv`` writes the one-row-per-VM template (UTF-8 with BOM, CRLF, like Excel);
``--format jsonl`` writes collector records (``host``, ``vm`` ..., ``end`` per host).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assess.sources.template import TEMPLATE_HEADERS as _ALL_HEADERS  # noqa: E402

#: The canonical template columns (the optional ones after Notes are not generated).
TEMPLATE_HEADERS: tuple[str, ...] = _ALL_HEADERS[: _ALL_HEADERS.index("Notes") + 1]

GIB = 1024**3
VMS_PER_HOST = 100


# --------------------------------------------------------------------------- catalogues


@dataclass(frozen=True)
class HostOS:
    weight: float
    caption: str
    version: str
    config_versions: tuple[str, ...]  # what VMs created on it carry, oldest first

    @property
    def build(self) -> str:
        return self.version.rsplit(".", 1)[-1]


HOST_OSES: tuple[HostOS, ...] = (
    HostOS(0.04, "Microsoft Windows Server 2012 Datacenter", "6.2.9200", ("3.0",)),
    HostOS(0.16, "Microsoft Windows Server 2012 R2 Datacenter", "6.3.9600", ("5.0",)),
    HostOS(0.30, "Microsoft Windows Server 2016 Datacenter", "10.0.14393", ("5.0", "8.0")),
    HostOS(0.36, "Microsoft Windows Server 2019 Datacenter", "10.0.17763", ("5.0", "8.0", "9.0")),
    HostOS(0.14, "Microsoft Windows Server 2022 Datacenter", "10.0.20348", ("8.0", "9.0", "10.0")),
)


@dataclass(frozen=True)
class Guest:
    """One guest OS release: what the template says and what the KVP items say."""

    weight: float
    family: str  # windows | linux | freebsd
    name: str  # OSName as a person types it into the template
    version: str  # OSVersion in the template
    kvp: dict[str, str] = field(default_factory=dict)  # guest KVP items (collector)
    x86_share: float = 0.0  # share of installs that are 32-bit
    role: str = "SRV"


def _win(name: str, version: str, product: str, sp: str = "") -> dict[str, str]:
    major, minor, build = version.split(".")
    return {
        "OSName": name,
        "OSVersion": version,
        "OSMajorVersion": major,
        "OSMinorVersion": minor,
        "OSBuildNumber": build,
        "CSDVersion": sp,
        "ProductType": product,
        "ProcessorArchitecture": "9",
        "IntegrationServicesVersion": version,
        "OSPlatformId": "2",
        "SuiteMask": "272",
        "OSEditionId": "8",
    }


def _lin(name: str, major: str, kernel: str) -> dict[str, str]:
    return {
        "OSName": name,
        "OSVersion": kernel,
        "OSMajorVersion": major,
        "OSMinorVersion": "",
        "OSBuildNumber": kernel,
        "ProcessorArchitecture": "x86_64",
        "IntegrationServicesVersion": "3.1",
        "OSPlatformId": "100",
    }


GUESTS: tuple[Guest, ...] = (
    Guest(
        0.17,
        "windows",
        "Windows Server 2019 Standard",
        "10.0.17763",
        _win("Windows Server 2019 Standard", "10.0.17763", "3"),
    ),
    Guest(
        0.07,
        "windows",
        "Windows Server 2019 Datacenter",
        "10.0.17763",
        _win("Windows Server 2019 Datacenter", "10.0.17763", "3"),
    ),
    Guest(
        0.15,
        "windows",
        "Windows Server 2016 Standard",
        "10.0.14393",
        _win("Windows Server 2016 Standard", "10.0.14393", "3"),
    ),
    Guest(
        0.12,
        "windows",
        "Windows Server 2012 R2 Standard",
        "6.3.9600",
        _win("Windows Server 2012 R2 Standard", "6.3.9600", "3"),
    ),
    Guest(
        0.02,
        "windows",
        "Windows Server 2012 Datacenter",
        "6.2.9200",
        _win("Windows Server 2012 Datacenter", "6.2.9200", "3"),
    ),
    Guest(
        0.08,
        "windows",
        "Windows Server 2022 Standard",
        "10.0.20348",
        _win("Windows Server 2022 Standard", "10.0.20348", "3"),
    ),
    Guest(
        0.04,
        "windows",
        "Windows Server 2008 R2 Enterprise",
        "6.1.7601",
        _win("Windows Server 2008 R2 Enterprise", "6.1.7601", "3", "Service Pack 1"),
    ),
    Guest(
        0.01,
        "windows",
        "Windows Server 2008 Standard",
        "6.0.6002",
        _win("Windows Server 2008 Standard", "6.0.6002", "3", "Service Pack 2"),
        x86_share=0.4,
    ),
    Guest(
        0.005,
        "windows",
        "Windows Server 2003 R2 Enterprise",
        "5.2.3790",
        _win("Windows Server 2003 R2 Enterprise", "5.2.3790", "3", "Service Pack 2"),
        x86_share=0.6,
    ),
    Guest(
        0.03,
        "windows",
        "Windows 10 Enterprise",
        "10.0.19045",
        _win("Windows 10 Enterprise", "10.0.19045", "1"),
        x86_share=0.05,
        role="VDI",
    ),
    Guest(
        0.01,
        "windows",
        "Windows 7 Professional",
        "6.1.7601",
        _win("Windows 7 Professional", "6.1.7601", "1", "Service Pack 1"),
        x86_share=0.3,
        role="VDI",
    ),
    Guest(
        0.04,
        "linux",
        "Ubuntu 22.04 LTS",
        "22.04",
        _lin("Ubuntu", "22.04", "5.15.0-91-generic"),
        role="LNX",
    ),
    Guest(
        0.03,
        "linux",
        "Ubuntu 20.04 LTS",
        "20.04",
        _lin("Ubuntu", "20.04", "5.4.0-170-generic"),
        role="LNX",
    ),
    Guest(
        0.01,
        "linux",
        "Ubuntu 16.04 LTS",
        "16.04",
        _lin("Ubuntu", "16.04", "4.4.0-210-generic"),
        role="LNX",
    ),
    Guest(
        0.03,
        "linux",
        "Red Hat Enterprise Linux 8.9",
        "8.9",
        _lin("Red Hat Enterprise Linux", "8.9", "4.18.0-513.9.1.el8_9.x86_64"),
        role="RHL",
    ),
    Guest(
        0.015,
        "linux",
        "Red Hat Enterprise Linux Server 6.10",
        "6.10",
        _lin("Red Hat Enterprise Linux Server", "6.10", "2.6.32-754.35.1.el6.x86_64"),
        x86_share=0.2,
        role="RHL",
    ),
    Guest(
        0.03,
        "linux",
        "CentOS Linux 7 (Core)",
        "7.9.2009",
        _lin("CentOS Linux", "7", "3.10.0-1160.105.1.el7.x86_64"),
        role="LNX",
    ),
    Guest(
        0.015,
        "linux",
        "Debian 11",
        "11.8",
        _lin("Debian GNU/Linux", "11", "5.10.0-26-amd64"),
        role="LNX",
    ),
    Guest(
        0.01,
        "linux",
        "SUSE Linux Enterprise Server 15 SP5",
        "15.5",
        _lin("SLES", "15.5", "5.14.21-150500.55.39-default"),
        role="SLE",
    ),
    Guest(
        0.005,
        "linux",
        "SUSE Linux Enterprise Server 11 SP4",
        "11.4",
        _lin("SLES", "11.4", "3.0.101-108.13-default"),
        role="SLE",
    ),
    Guest(
        0.01,
        "linux",
        "Oracle Linux Server 7.9",
        "7.9",
        _lin("Oracle Linux Server", "7.9", "4.14.35-2047.518.4.2.el7uek.x86_64"),
        role="ORA",
    ),
    Guest(
        0.005,
        "linux",
        "Alpine Linux 3.18",
        "3.18",
        _lin("Alpine Linux", "3.18", "6.1.64-0-virt"),
        role="LNX",
    ),
    Guest(
        0.005,
        "freebsd",
        "FreeBSD 13.2-RELEASE",
        "13.2",
        _lin("FreeBSD", "13.2", "13.2-RELEASE-p4"),
        role="BSD",
    ),
)

#: Spellings of the architecture a template holds (the importer accepts every one).
X64_SPELLINGS = ("x64", "x64", "x64", "64-bit", "AMD64", "x86_64", "9")
X86_SPELLINGS = ("x86", "32-bit", "i686", "0")
ROLES = {
    "SRV": ("APP", "WEB", "SQL", "FS", "DC", "PRINT", "RDS", "MGMT", "CTX", "EXCH", "SCCM"),
    "VDI": ("VDI", "DEV", "KIOSK", "LAB"),
    "LNX": ("WEB", "NGINX", "K8S", "MON", "BUILD", "DB", "PROXY"),
    "RHL": ("ORA", "SAP", "JBOSS", "DB"),
    "SLE": ("SAP", "HANA"),
    "ORA": ("ORADB", "EBS"),
    "BSD": ("FW", "PF", "ROUTER"),
}
NOTES: tuple[str, ...] = (
    "",
    "",
    "",
    "",
    "Owner: Finance",
    "ERP application server, owner Finance",
    'Vendor says "do not touch" until Q3',
    "Line one of a note\nline two: restart weekly",
    "Müller's team; Zürich site",
    '=HYPERLINK("http://example.invalid","open")',
    "@legacy: old HR app, isolate",
    "+ kernel debugging target",
    "- nightly refresh from prod; checkpoints before each refresh",
    "Patch group B; maintenance window Sun 02:00-04:00",
    "Decommission candidate (ticket CHG-10422)",
    "PCI scope, change freeze",
)
STATES = (("Running", 0.80), ("Off", 0.15), ("Saved", 0.03), ("Paused", 0.02))


def _pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    roll = rng.random() * sum(w for _, w in weighted)
    for value, weight in weighted:
        roll -= weight
        if roll <= 0:
            return value
    return weighted[-1][0]


# --------------------------------------------------------------------------- the estate


@dataclass
class Host:
    name: str
    cluster: str | None
    os: HostOS
    site: str


@dataclass
class Disk:
    controller: str  # IDE | SCSI
    number: int
    location: int
    path: str
    fmt: str  # VHD | VHDX | PassThrough
    vhd_type: str | None  # Fixed | Dynamic | Differencing
    size: int
    parent: str | None
    disk_number: int | None
    shared: bool


@dataclass
class VM:
    host: Host
    name: str
    id: str
    generation: int
    config_version: str
    state: str
    guest: Guest
    guest_known: bool
    x86: bool
    arch_text: str
    disks: list[Disk]
    partition_style: str
    partition_known: bool
    legacy_nics: int
    synthetic_nics: int
    pxe_first: bool
    floppy: str | None
    com_pipes: list[str]
    dvd: str  # None | ISO | Physical
    checkpoints: int
    replication: str
    notes: str
    clustered: bool
    cpus: int
    memory_gib: int
    unknown_devices: bool  # a template row where the device columns were left blank


def build_hosts(rng: random.Random, vm_count: int) -> list[Host]:
    count = max(1, math.ceil(vm_count / VMS_PER_HOST))
    hosts: list[Host] = []
    cluster_no = 0
    sites = ("HQ", "DC2", "BR")
    while len(hosts) < count:
        site = sites[min(int(rng.random() * 4), 2)]
        if rng.random() < 0.8 and count - len(hosts) >= 4:
            cluster_no += 1
            size = min(rng.randint(4, 16), count - len(hosts))
            cluster = f"CL-{site}-{cluster_no:03d}"
            os = _pick(rng, tuple((o, o.weight) for o in HOST_OSES))
            for _ in range(size):
                hosts.append(Host(f"HV-{site}-{len(hosts) + 1:04d}", cluster, os, site))
        else:
            os = _pick(rng, tuple((o, o.weight) for o in HOST_OSES))
            hosts.append(Host(f"HV-{site}-{len(hosts) + 1:04d}", None, os, site))
    return hosts


def build_vm(rng: random.Random, index: int, host: Host) -> VM:
    guest = _pick(rng, tuple((g, g.weight) for g in GUESTS))
    generation = 1 if rng.random() < 0.75 else 2
    if generation == 2 and (guest.x86_share > 0.25 or host.os.version.startswith("6.2")):
        generation = 1  # nobody builds those as Gen 2
    state = _pick(rng, STATES)
    # A guest is known from the KVP only while it runs; offline lists often lack it too.
    guest_known = rng.random() < (0.97 if state == "Running" else 0.35)
    x86 = rng.random() < guest.x86_share
    arch_text = rng.choice(X86_SPELLINGS if x86 else X64_SPELLINGS)
    role = rng.choice(ROLES[guest.role])
    name = f"{host.site}-{role}{index + 1:06d}"
    vm_id = str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()
    config = rng.choice(host.os.config_versions)
    if generation == 2 and config == "3.0":
        config = "5.0"
    storage = (
        f"C:\\ClusterStorage\\Volume{rng.randint(1, 8)}\\VMs\\{name}"
        if host.cluster
        else f"D:\\Hyper-V\\Virtual Hard Disks\\{name}"
    )
    vhd_share = 0.35 if config in ("3.0", "5.0") else 0.08
    boot_fmt = "VHD" if generation == 1 and rng.random() < vhd_share else "VHDX"
    boot_type = _pick(rng, (("Dynamic", 0.7), ("Fixed", 0.27), ("Differencing", 0.03)))
    disks: list[Disk] = []
    controller = "IDE" if generation == 1 else "SCSI"
    if generation == 1 and rng.random() < 0.01:
        number = rng.randint(2, 9)
        disks.append(
            Disk(
                controller="IDE",
                number=0,
                location=0,
                path=f"Disk {number} (physical)",
                fmt="PassThrough",
                vhd_type=None,
                size=rng.choice((200, 500)) * GIB,
                parent=None,
                disk_number=number,
                shared=False,
            )
        )
    else:
        ext = ".vhd" if boot_fmt == "VHD" else ".vhdx"
        differencing = boot_type == "Differencing"
        disks.append(
            Disk(
                controller=controller,
                number=0,
                location=0,
                path=(
                    f"{storage}\\{name}-OS_{rng.randint(1000, 9999):04X}.a{ext[1:]}"
                    if differencing
                    else f"{storage}\\{name}-OS{ext}"
                ),
                fmt=boot_fmt,
                vhd_type=boot_type,
                size=rng.choice((40, 60, 80, 127, 256)) * GIB,
                parent=f"{storage}\\base{ext}" if differencing else None,
                disk_number=None,
                shared=False,
            )
        )
    for n in range(_pick(rng, ((0, 0.45), (1, 0.35), (2, 0.12), (3, 0.05), (6, 0.03)))):
        on_ide = generation == 1 and n == 0 and rng.random() < 0.15
        fmt = "VHD" if rng.random() < vhd_share else "VHDX"
        ext = ".vhd" if fmt == "VHD" else ".vhdx"
        disks.append(
            Disk(
                controller="IDE" if on_ide else "SCSI",
                number=0,
                location=1 if on_ide else n,
                path=f"{storage}\\{name}-Data{n + 1}{ext}",
                fmt=fmt,
                vhd_type=rng.choice(("Dynamic", "Fixed")),
                size=rng.choice((100, 250, 500, 1024)) * GIB,
                parent=None,
                disk_number=None,
                shared=fmt == "VHDX" and rng.random() < 0.02,
            )
        )
    if generation == 1 and rng.random() < 0.005:
        disks.append(
            Disk(
                controller="SCSI",
                number=0,
                location=9,
                path="Disk 12 (physical)",
                fmt="PassThrough",
                vhd_type=None,
                size=2048 * GIB,
                parent=None,
                disk_number=12,
                shared=False,
            )
        )
    legacy = 1 if generation == 1 and rng.random() < 0.08 else 0
    pxe_first = generation == 1 and legacy > 0 and rng.random() < 0.3
    floppy = f"{storage}\\drivers.vfd" if generation == 1 and rng.random() < 0.02 else None
    com = [f"\\\\.\\pipe\\{name.lower()}-com1"] if generation == 1 and rng.random() < 0.02 else []
    dvd = _pick(rng, (("None", 0.85), ("ISO", 0.14), ("Physical", 0.01)))
    if generation == 2 and dvd == "Physical":
        dvd = "None"
    checkpoints = _pick(rng, ((0, 0.82), (1, 0.1), (2, 0.05), (5, 0.03)))
    replication = "Replicating" if rng.random() < 0.06 else "Disabled"
    partition_style = "GPT" if generation == 2 or guest.family == "freebsd" else "MBR"
    return VM(
        host=host,
        name=name,
        id=vm_id,
        generation=generation,
        config_version=config,
        state=state,
        guest=guest,
        guest_known=guest_known,
        x86=x86,
        arch_text=arch_text,
        disks=disks,
        partition_style=partition_style,
        partition_known=rng.random() < 0.6,
        legacy_nics=legacy,
        synthetic_nics=_pick(rng, ((1, 0.8), (2, 0.17), (4, 0.03))),
        pxe_first=pxe_first,
        floppy=floppy,
        com_pipes=com,
        dvd=dvd,
        checkpoints=checkpoints,
        replication=replication,
        notes=rng.choice(NOTES),
        clustered=host.cluster is not None and rng.random() < 0.9,
        cpus=rng.choice((1, 2, 2, 4, 4, 8, 16)),
        memory_gib=rng.choice((2, 4, 4, 8, 8, 16, 32, 64)),
        unknown_devices=rng.random() < 0.04,
    )


def estate(vm_count: int, seed: int = 20_000) -> Iterator[VM]:
    """The VMs of the estate, host by host (each host's VMs are consecutive)."""
    rng = random.Random(seed)
    hosts = build_hosts(rng, vm_count)
    per_host = [0] * len(hosts)
    for i in range(vm_count):
        per_host[i % len(hosts)] += 1
    index = 0
    for host, count in zip(hosts, per_host, strict=True):
        for _ in range(count):
            yield build_vm(rng, index, host)
            index += 1


# --------------------------------------------------------------------------- writers


def _yes_no(rng: random.Random, value: bool) -> str:
    if value:
        return rng.choice(("yes", "yes", "true", "1", "Yes"))
    return rng.choice(("no", "no", "false", "0", "No"))


def csv_row(vm: VM, rng: random.Random) -> list[str]:
    boot = vm.disks[0]
    blank = vm.unknown_devices
    guest = vm.guest if vm.guest_known else None
    return [
        vm.host.name,
        vm.host.cluster or "",
        vm.name,
        vm.id if rng.random() < 0.97 else "",  # a few rows typed in without an id
        str(vm.generation),
        vm.config_version,
        vm.state,
        guest.name if guest else "",
        guest.version if guest else "",
        vm.arch_text if guest else "",
        boot.controller,
        boot.path,
        boot.fmt,
        boot.vhd_type or "",
        vm.partition_style if vm.partition_known else "",
        "" if blank else str(vm.legacy_nics),
        "" if blank else _yes_no(rng, vm.pxe_first),
        "" if blank else (vm.floppy or _yes_no(rng, False)),
        "" if blank else ("|".join(vm.com_pipes) if vm.com_pipes else "0"),
        "" if blank else vm.dvd,
        str(vm.checkpoints),
        _yes_no(rng, vm.replication != "Disabled"),
        str(sum(d.shared for d in vm.disks)),
        str(sum(d.disk_number is not None for d in vm.disks)),
        vm.notes,
    ]


def write_csv(vm_count: int, out: Path, seed: int) -> None:
    rng = random.Random(seed + 1)
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(TEMPLATE_HEADERS)
        for vm in estate(vm_count, seed):
            writer.writerow(csv_row(vm, rng))


def host_record(host: Host, cluster_nodes: list[str]) -> dict[str, Any]:
    return {
        "kind": "host",
        "schema": 1,
        "computerName": host.name,
        "fqdn": f"{host.name.lower()}.corp.example",
        "osCaption": host.os.caption,
        "osVersion": host.os.version,
        "osBuild": host.os.build,
        "psVersion": "5.1.17763.5933",
        "supportedVmVersions": list(host.os.config_versions),
        "cluster": (
            {"name": host.cluster, "nodes": [{"name": n, "state": "Up"} for n in cluster_nodes]}
            if host.cluster
            else None
        ),
        "collectedAt": "2026-11-23T08:14:02.1234567+01:00",
        "errors": [],
    }


def vm_record(vm: VM, rng: random.Random) -> dict[str, Any]:
    disks = [
        {
            "controllerType": d.controller,
            "controllerNumber": d.number,
            "controllerLocation": d.location,
            "path": d.path,
            "diskNumber": d.disk_number,
            "shared": d.shared,
            "vhd": None
            if d.disk_number is not None
            else {
                "format": d.fmt,
                "type": d.vhd_type,
                "size": d.size,
                "fileSize": d.size // 3,
                "parentPath": d.parent,
            },
        }
        for d in vm.disks
    ]
    nics = [
        {
            "name": "Legacy Network Adapter",
            "isLegacy": True,
            "switchName": "vSwitch-Prod",
            "mac": f"00155D{rng.getrandbits(24):06X}",
        }
        for _ in range(vm.legacy_nics)
    ] + [
        {
            "name": "Network Adapter",
            "isLegacy": False,
            "switchName": rng.choice(("vSwitch-Prod", "vSwitch-Backup", "vSwitch-DMZ")),
            "mac": f"00155D{rng.getrandbits(24):06X}",
        }
        for _ in range(vm.synthetic_nics)
    ]
    record: dict[str, Any] = {
        "kind": "vm",
        "name": vm.name,
        "id": vm.id,
        "generation": vm.generation,
        "version": vm.config_version,
        "state": vm.state,
        "processorCount": vm.cpus,
        "memoryStartup": vm.memory_gib * GIB,
        "dynamicMemory": vm.memory_gib <= 8,
        "notes": vm.notes,
        "isClustered": vm.clustered,
        "replicationState": vm.replication,
        "replicationMode": "Primary" if vm.replication != "Disabled" else "None",
        "creationTime": "2019-03-14T09:12:44.0000000+01:00",
        "disks": disks,
        "nics": nics,
        "comPorts": [
            {"name": "COM 1", "path": vm.com_pipes[0] if vm.com_pipes else ""},
            {"name": "COM 2", "path": ""},
        ]
        if vm.generation == 1
        else [],
        "floppy": [{"path": vm.floppy}] if vm.generation == 1 else [],
        "dvd": [
            {
                "controllerType": "IDE" if vm.generation == 1 else "SCSI",
                "controllerNumber": 1 if vm.generation == 1 else 0,
                "path": {"None": None, "ISO": "C:\\ISO\\tools.iso", "Physical": "D:"}[vm.dvd],
                "mediaType": vm.dvd,
            }
        ],
        "remoteFx3d": 0,
        "snapshots": {
            "count": vm.checkpoints,
            "types": ["Standard"] * min(vm.checkpoints, 1),
        },
        "integrationServices": [
            {"name": name, "enabled": True, "status": "OK"}
            for name in (
                "Guest Service Interface",
                "Heartbeat",
                "Key-Value Pair Exchange",
                "Shutdown",
                "Time Synchronization",
                "VSS",
            )
        ],
        "errors": [],
    }
    if vm.generation == 1:
        order = ["CD", "IDE", "LegacyNetworkAdapter", "Floppy"]
        if vm.pxe_first:
            order = ["LegacyNetworkAdapter", "IDE", "CD", "Floppy"]
        record["bios"] = {"startupOrder": order}
    else:
        record["firmware"] = {
            "secureBoot": vm.guest.family == "windows",
            "template": "MicrosoftWindows"
            if vm.guest.family == "windows"
            else "MicrosoftUEFICertificateAuthority",
        }
    if vm.guest_known and vm.state == "Running":
        guest = dict(vm.guest.kvp)
        if vm.x86:
            guest["ProcessorArchitecture"] = "0" if vm.guest.family == "windows" else "i686"
        guest["FullyQualifiedDomainName"] = f"{vm.name.lower()}.corp.example"
        record["guest"] = guest
    return record


def write_jsonl(vm_count: int, out: Path, seed: int) -> None:
    rng = random.Random(seed + 1)
    by_host: dict[str, list[VM]] = {}
    hosts: dict[str, Host] = {}
    for vm in estate(vm_count, seed):
        by_host.setdefault(vm.host.name, []).append(vm)
        hosts[vm.host.name] = vm.host
    nodes: dict[str | None, list[str]] = {}
    for host in hosts.values():
        nodes.setdefault(host.cluster, []).append(host.name)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with out.open("w", encoding="utf-8", newline="\n") as handle:
        for name, vms in by_host.items():
            host = hosts[name]
            handle.write(dumps(host_record(host, nodes[host.cluster])) + "\n")
            for vm in vms:
                handle.write(dumps(vm_record(vm, rng)) + "\n")
            handle.write(dumps({"kind": "end", "vmCount": len(vms), "errors": []}) + "\n")


def generate(vm_count: int, fmt: str, out: Path, seed: int = 20_000) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        write_csv(vm_count, out, seed)
    elif fmt == "jsonl":
        write_jsonl(vm_count, out, seed)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, required=True, help="how many VMs")
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    parser.add_argument("--out", required=True, help="file to write")
    parser.add_argument("--seed", type=int, default=20_000)
    args = parser.parse_args(argv)
    if args.vms < 1:
        parser.error("--vms must be at least 1")
    path = generate(args.vms, args.format, Path(args.out), args.seed)
    print(f"wrote {path} ({args.vms:,} VMs, {args.format})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
