"""Facts: one row per VM with the attributes the rules read, each NA when unknown.

The inventory says what was collected; facts say what it means for Generation 2: which disk
boots, which guest OS runs, whether the host can run Gen 2 at all. Every fact carries its
evidence (the input field it came from, or "inferred: ..." with the reasoning), so a finding
can say why it fired and a data gap can say what to collect.

All derivations are column-wise (pandas), except guest-OS identification, which runs once
per distinct combination of KVP values (an estate has a few dozen, not one per VM).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from assess.facts.support_matrix import SupportMatrix, version_tuple
from assess.model.inventory import BOOL, FLOAT, INT, STRING, Inventory
from assess.model.os_identity import GUEST_COLUMNS, OsNames, identify_guest

_GUEST_HOW_VMWARE = (
    "VMware: power the VM on with VMware Tools running and export RVTools again "
    "(OS according to the VMware Tools)."
)
_GUEST_HOW = (
    "Start the VM with the Data Exchange (KVP) integration service on and collect again, "
    "or fill OSName and OSArchitecture in the template. " + _GUEST_HOW_VMWARE
)
_DISK_HOW = (
    "Collect with the collector script (Get-VMHardDiskDrive, Get-VHD), or fill BootController, "
    "BootDiskFormat and BootDiskType in the template."
)
_DEVICE_HOW = (
    "Collect with the collector script, or fill the matching template column. VMware: "
    "RVTools lists no serial ports (and floppy drives only up to 3.x): check the VM's "
    "settings in vSphere."
)
_HOST_HOW = "Collect from the host with the collector script (Win32_OperatingSystem)."
_VDISK_HOW = "VMware: export RVTools with its vDisk tab."


@dataclass(frozen=True)
class Fact:
    name: str
    dtype: str
    label: str
    description: str
    how_to_get: str


_FIRMWARE_HOW = "Fill the Firmware column of RVTools vInfo (RVTools 3.9 or newer reports it)."

FACTS: tuple[Fact, ...] = (
    Fact(
        "generation",
        INT,
        "Generation",
        "VM generation (1 or 2); for a VMware or physical machine the one it lands as",
        "Get-VM Generation",
    ),
    Fact(
        "source_platform",
        STRING,
        "Platform",
        "where the VM runs today: hyper-v, vmware or physical",
        "",
    ),
    Fact("firmware", STRING, "Firmware", "bios or efi (Generation 1 is BIOS)", _FIRMWARE_HOW),
    Fact(
        "landing_generation",
        INT,
        "Lands as Gen",
        "the generation it has on Hyper-V after the move with the usual tools "
        "(SCVMM, WAC, Veeam, Azure Migrate: BIOS gives 1, EFI gives 2)",
        _FIRMWARE_HOW,
    ),
    Fact(
        "landing_route",
        STRING,
        "Route to Gen 2",
        "lands-gen2, fix-before-move (MBR2GPT or GPT+ESP in the guest, then EFI firmware), "
        "convert-after-landing or blocked",
        _FIRMWARE_HOW + " " + _GUEST_HOW_VMWARE,
    ),
    Fact("secure_boot", BOOL, "Secure Boot now", "Secure Boot on at the source", _FIRMWARE_HOW),
    Fact("hardware_version", STRING, "HW version", "VMware virtual hardware version", ""),
    Fact("state", STRING, "State", "VM state when collected", "Get-VM State"),
    Fact("os_family", STRING, "OS family", "windows, linux or freebsd", _GUEST_HOW),
    Fact("os_distro", STRING, "OS distribution", "windows-server, ubuntu, rhel, ...", _GUEST_HOW),
    Fact("os_display", STRING, "Guest OS", "the guest OS as a person names it", _GUEST_HOW),
    Fact("os_version_key", STRING, "OS version", "release compared with the matrix", _GUEST_HOW),
    Fact(
        "os_release",
        STRING,
        "OS release",
        "the release (2019, 10, 22.04 ...); unknown when no input names it",
        _GUEST_HOW + " For Linux, OSMajorVersion is the os-release VERSION_ID.",
    ),
    Fact("os_kind", STRING, "OS kind", "server or client (Windows)", _GUEST_HOW),
    Fact("os_arch", STRING, "OS architecture", "x64, x86, arm64 (of the installed OS)", _GUEST_HOW),
    Fact("os_gen2_support", STRING, "Gen 2 support", "yes/no from the support matrix", _GUEST_HOW),
    Fact(
        "secure_boot_support",
        STRING,
        "Secure Boot",
        "yes (Microsoft Windows template), uefi-ca (Microsoft UEFI CA template) or no",
        _GUEST_HOW,
    ),
    Fact(
        "os_conversion_path",
        STRING,
        "OS conversion path",
        "mbr2gpt, recapture, linux-efi or rebuild, from the support matrix",
        _GUEST_HOW,
    ),
    Fact("os_note", STRING, "OS note", "what the support matrix says about this guest", ""),
    Fact("has_boot_disk", BOOL, "Has boot disk", "a disk the BIOS can boot from", _DISK_HOW),
    Fact("boot_disk_controller", STRING, "Boot controller", "IDE or SCSI", _DISK_HOW),
    Fact("boot_disk_location", STRING, "Boot disk slot", "controller:location", _DISK_HOW),
    Fact("boot_disk_path", STRING, "Boot disk", "path of the boot disk", _DISK_HOW),
    Fact("boot_disk_format", STRING, "Boot disk format", "VHD, VHDX or PassThrough", _DISK_HOW),
    Fact(
        "boot_disk_type",
        STRING,
        "Boot disk type",
        "Fixed, Dynamic, Differencing or Physical",
        _DISK_HOW,
    ),
    Fact("boot_disk_size_gb", FLOAT, "Boot disk GB", "virtual size of the boot disk", _DISK_HOW),
    Fact(
        "boot_disk_partition_style",
        STRING,
        "Partition style",
        "MBR or GPT (a Gen 1 Windows guest boots from MBR)",
        "Fill PartitionStyle in the template (Get-Disk inside the guest); RVTools does not "
        "report it.",
    ),
    Fact(
        "first_boot_device",
        STRING,
        "First boot device",
        "the first device in the BIOS startup order that has something to boot",
        _DEVICE_HOW,
    ),
    Fact(
        "boot_passed_over",
        STRING,
        "Boot devices passed over",
        "devices before the first bootable one that have nothing to boot (empty DVD ...)",
        _DEVICE_HOW,
    ),
    Fact(
        "boot_from_network",
        BOOL,
        "PXE first",
        "a legacy NIC is the first device in BIOS order that can boot",
        _DEVICE_HOW,
    ),
    Fact("legacy_nic_count", INT, "Legacy NICs", "legacy network adapters", _DEVICE_HOW),
    Fact("synthetic_nic_count", INT, "Synthetic NICs", "synthetic network adapters", _DEVICE_HOW),
    Fact("floppy_media", BOOL, "Floppy media", "a .vfd in the floppy drive", _DEVICE_HOW),
    Fact("floppy_path", STRING, "Floppy path", "the attached .vfd", _DEVICE_HOW),
    Fact("com_port_count", INT, "COM ports", "COM ports with a named pipe", _DEVICE_HOW),
    Fact("remotefx_3d_count", INT, "RemoteFX 3D", "RemoteFX 3D video adapters", _DEVICE_HOW),
    Fact("physical_dvd_count", INT, "Physical DVD", "DVD drives passing a host drive", _DEVICE_HOW),
    Fact(
        "ide_data_disk_count", INT, "IDE data disks", "IDE disks besides the boot disk", _DISK_HOW
    ),
    Fact("vhd_data_disk_count", INT, "VHD data disks", "data disks in VHD format", _DISK_HOW),
    Fact(
        "shared_disk_count", INT, "Shared disks", "shared VHDX / persistent reservations", _DISK_HOW
    ),
    Fact("passthrough_disk_count", INT, "Pass-through disks", "physical disks", _DISK_HOW),
    Fact("disk_count", INT, "Disks", "virtual hard disks attached", _DISK_HOW),
    Fact(
        "ide_disk_count",
        INT,
        "IDE disks",
        "disks on an IDE controller, boot disk included",
        _DISK_HOW + " " + _VDISK_HOW,
    ),
    Fact(
        "independent_disk_count",
        INT,
        "Independent disks",
        "VMware disks in independent mode (no snapshots, so no changed-block reads)",
        _VDISK_HOW,
    ),
    Fact("usb_device_count", INT, "USB devices", "VMware USB devices", "VMware: the vUSB tab."),
    Fact("checkpoint_count", INT, "Checkpoints", "checkpoints (snapshots)", _DEVICE_HOW),
    Fact("replication_enabled", BOOL, "Replica", "Hyper-V Replica configured", _DEVICE_HOW),
    Fact("config_version", STRING, "Config version", "VM configuration version", "Get-VM Version"),
    Fact("config_version_number", FLOAT, "Config version no.", "as a number", "Get-VM Version"),
    Fact("is_clustered", BOOL, "Clustered", "a failover cluster role", "Get-VM IsClustered"),
    Fact("host_os", STRING, "Host OS", "the Hyper-V host's OS", _HOST_HOW),
    Fact(
        "host_gen2_capable",
        BOOL,
        "Host runs Gen 2",
        "WS2012 R2 / Windows 8.1 or newer",
        _HOST_HOW + " Or fill ConfigVersion in the template.",
    ),
)
FACT_BY_NAME: dict[str, Fact] = {fact.name: fact for fact in FACTS}

#: Identity columns that lead the facts frame (not facts: rules do not read them).
IDENTITY_COLUMNS: tuple[str, ...] = (
    "vm_key",
    "host",
    "cluster",
    "name",
    "vm_id",
    "notes",
    "source",
    "origin",
    "source_kind",
)


@dataclass
class Facts:
    """``frame``: identity columns + one column per fact, index = vm_key.
    ``evidence``: same index, one string column per fact (NA where the fact is NA and
    nothing could be said)."""

    frame: pd.DataFrame
    evidence: pd.DataFrame
    hosts: pd.DataFrame


class _Builder:
    """Collects fact columns and their evidence over a fixed index."""

    def __init__(self, index: pd.Index) -> None:
        self.index = index
        self.values: dict[str, pd.Series] = {}
        self.evidence: dict[str, pd.Series] = {}

    def na(self, dtype: str) -> pd.Series:
        return pd.Series(pd.NA, index=self.index, dtype=dtype)

    def text(self, value: str | None = None) -> pd.Series:
        return pd.Series(value if value is not None else pd.NA, index=self.index, dtype=STRING)

    def set(self, name: str, values: pd.Series, evidence: pd.Series | str | None) -> None:
        dtype = FACT_BY_NAME[name].dtype
        values = values.reindex(self.index).astype(dtype)
        if isinstance(evidence, str) or evidence is None:
            ev = self.text(evidence)
        else:
            ev = evidence.reindex(self.index).astype(STRING)
        self.values[name] = values
        self.evidence[name] = ev.where(values.notna(), pd.NA)

    def fill(self, name: str, values: pd.Series, evidence: pd.Series | str) -> None:
        """Fill the NA rows of a fact already set (a fallback source)."""
        values = values.reindex(self.index).astype(FACT_BY_NAME[name].dtype)
        gap = self.values[name].isna() & values.notna()
        if not gap.any():
            return
        self.values[name] = self.values[name].mask(gap, values)
        ev = self.text(evidence) if isinstance(evidence, str) else evidence.reindex(self.index)
        self.evidence[name] = self.evidence[name].mask(gap, ev.astype(STRING))


def derive_facts(
    inventory: Inventory, matrix: SupportMatrix, os_names: OsNames | None = None
) -> Facts:
    """One row of facts per VM. ``os_names``: the guest OS names the OS is identified with
    (the built-in ones plus those of ``--rules`` folders); the built-in ones when None."""
    vms = inventory.vms.set_index("vm_key", drop=False)
    vms.index.name = None
    b = _Builder(vms.index)
    kind = vms["source_kind"].fillna("inventory")
    from_where = kind.map(
        {
            "collector": "collector",
            "template": "template",
            "getvm-csv": "Get-VM export",
            "rvtools": "RVTools",
        }
    ).fillna(kind)

    b.set("generation", vms["generation"], from_where + ": Generation")
    b.set("state", vms["state"], from_where + ": State")
    _platform_facts(b, vms, from_where)
    _guest_facts(b, vms, matrix, from_where, os_names)
    _disk_facts(b, vms, inventory["disks"], from_where)
    _device_facts(b, vms, inventory, from_where)
    _vm_facts(b, vms, from_where)
    _host_facts(b, vms, inventory["hosts"])
    _moved_vm_facts(b, vms)

    frame = vms[list(IDENTITY_COLUMNS)].copy()
    for fact in FACTS:
        frame[fact.name] = b.values[fact.name]
    evidence = pd.DataFrame(
        {fact.name: _shared_texts(b.evidence[fact.name]) for fact in FACTS}, index=b.index
    )
    return Facts(frame=frame, evidence=evidence, hosts=inventory["hosts"])


def _shared_texts(texts: pd.Series) -> pd.Series:
    """The same texts with one object per distinct text. Evidence repeats a few phrasings,
    but each was built per VM: at 100,000 VMs the copies would hold about 250 MB."""
    values = texts.to_numpy(dtype=object, na_value=None)
    codes, distinct = pd.factorize(values)
    if not len(distinct):
        return texts  # nothing known
    shared = np.asarray(distinct, dtype=object).take(codes)
    shared[codes < 0] = None
    return pd.Series(pd.array(shared, dtype=STRING), index=texts.index)


# --- guest OS -----------------------------------------------------------------------------

_GUEST_INPUTS = (*GUEST_COLUMNS, "source_kind")
#: How the evidence names a source's guest fields.
_GUEST_ORIGIN = {
    "collector": "KVP",
    "template": "template",
    "getvm-csv": "Get-VM export",
    "azure-migrate": "Azure Migrate",
    "nri-hyperv-report": "nri-hyperv report",
    "rvtools": "vInfo OS (VMware Tools, else configuration file)",
}


def _guest_facts(
    b: _Builder,
    vms: pd.DataFrame,
    matrix: SupportMatrix,
    from_where: pd.Series,
    os_names: OsNames | None,
) -> None:
    guest = vms[list(_GUEST_INPUTS)].astype(object).where(vms[list(_GUEST_INPUTS)].notna(), None)
    combos = guest.drop_duplicates()
    rows = {}
    for combo in combos.itertuples(index=False, name=None):
        *fields, kind = combo
        os = identify_guest(fields, _GUEST_ORIGIN.get(kind or "", "inventory"), os_names)
        entry = matrix.lookup(os.distro, os.version_key)
        gen2 = secure = note = path = None
        support_evidence = None
        if entry is not None:
            gen2, secure, note = entry.gen2, entry.secure_boot, entry.note or None
            path = entry.path
            support_evidence = f"support matrix: {entry.label} -> Gen 2 {entry.gen2}"
            newest = matrix.newest_listed(os.distro or "")
            if (
                os.version_key
                and newest
                and entry.max is None
                and version_tuple(os.version_key)[: len(newest)] > newest
                and os.family not in {"windows", "unsupported"}
            ):
                support_evidence += " (assumed: newer than the last version Microsoft lists)"
        elif os.distro == "linux-other":
            note = "Not on Microsoft's list: check that the distribution boots with UEFI."
        elif os.family is not None and not os.release_known:
            note = f"Release unknown: {os.evidence}"
        elif os.distro is not None:
            note = f"{os.display}: the support matrix does not settle this release"
        rows[combo] = (
            os.family,
            os.distro,
            os.display,
            os.version_key,
            os.arch,
            gen2,
            secure if gen2 == "yes" else ("no" if gen2 == "no" else None),
            note,
            os.evidence,
            os.arch_evidence,
            support_evidence,
            path,
            os.release,
            os.kind,
        )
    keys = pd.Series(list(guest.itertuples(index=False, name=None)), index=vms.index)
    width = 14
    columns = list(zip(*[rows[key] for key in keys], strict=True)) if len(keys) else [()] * width

    def col(i: int) -> pd.Series:
        return pd.Series(list(columns[i]) if len(keys) else [], index=vms.index, dtype=object)

    os_evidence = from_where + ": " + col(8).astype(STRING)
    b.set("os_family", col(0), os_evidence)
    b.set("os_distro", col(1), os_evidence)
    b.set("os_display", col(2), os_evidence)
    b.set("os_version_key", col(3), os_evidence)
    b.set("os_release", col(12), os_evidence)
    b.set("os_kind", col(13), os_evidence)
    arch_ev = col(9).astype(STRING)
    b.set("os_arch", col(4), from_where + ": " + arch_ev)
    b.set("os_gen2_support", col(5), col(10).astype(STRING))
    b.set("secure_boot_support", col(6), col(10).astype(STRING))
    b.set("os_note", col(7), os_evidence.where(col(5).isna(), "support matrix"))
    b.set("os_conversion_path", col(11), col(10).astype(STRING))


# --- source platform and landing ------------------------------------------------------------

_LANDS_AS = {"bios": 1, "efi": 2}


def _platform_facts(b: _Builder, vms: pd.DataFrame, from_where: pd.Series) -> None:
    """Where the VM runs, its firmware, and the generation it lands as on Hyper-V.

    SCVMM, Windows Admin Center, Veeam Instant Recovery and Azure Migrate create a
    Generation 1 VM from a BIOS machine and Generation 2 from an EFI one; a Hyper-V VM keeps
    its generation. For a VMware or physical machine ``generation`` is the one it lands as,
    so every Generation 1 rule speaks about the VM it becomes."""
    platform = vms["source_platform"]
    b.set("source_platform", platform, from_where + ": platform")
    b.fill(
        "source_platform", pd.Series("hyper-v", index=vms.index), "inferred: a Hyper-V inventory"
    )
    moved = b.values["source_platform"].ne("hyper-v")
    firmware_label = from_where.map({"RVTools": "vInfo Firmware"}).fillna("Boot Type")
    b.set("firmware", vms["firmware"], from_where + ": " + firmware_label)
    generation = b.values["generation"]
    b.fill(
        "firmware",
        generation.map({1: "bios", 2: "efi"}).where(~moved),
        "inferred: Generation 1 boots with BIOS, Generation 2 with UEFI",
    )
    lands = b.values["firmware"].map(_LANDS_AS).astype(INT)
    b.set(
        "landing_generation",
        lands.where(moved),
        "inferred: "
        + b.values["firmware"].astype(STRING)
        + " firmware; SCVMM, WAC, Veeam and Azure Migrate create Generation "
        + lands.astype(STRING)
        + " from it",
    )
    b.fill("landing_generation", generation.where(~moved), "a Hyper-V VM keeps its generation")
    b.fill(
        "generation",
        b.values["landing_generation"].where(moved),
        "inferred: the generation it lands as on Hyper-V ("
        + b.values["firmware"].astype(STRING)
        + " firmware)",
    )
    b.set("secure_boot", vms["secure_boot"], from_where + ": Secure Boot")
    b.set("hardware_version", vms["hardware_version"], from_where + ": HW version")


def _moved_vm_facts(b: _Builder, vms: pd.DataFrame) -> None:
    """VMware and physical machines: Hyper-V-only devices and settings they cannot have,
    VMware disk modes and USB, and the cheapest route to land as Generation 2."""
    moved = b.values["source_platform"].ne("hyper-v")
    none = pd.Series(0, index=vms.index).where(moved)
    no = pd.Series(False, index=vms.index).where(moved)
    b.fill("remotefx_3d_count", none, "inferred: RemoteFX exists only on Hyper-V")
    b.fill("replication_enabled", no, "inferred: Hyper-V Replica exists only on Hyper-V")
    b.fill("is_clustered", no, "inferred: not a Hyper-V failover cluster role yet")
    b.fill(
        "legacy_nic_count",
        none,
        "inferred: the conversion gives the new VM synthetic network adapters",
    )
    b.set(
        "independent_disk_count",
        vms["independent_disk_count"],
        "RVTools: vDisk Disk Mode independent_*",
    )
    b.set("usb_device_count", vms["usb_device_count"], "RVTools: vUSB")
    b.set("landing_route", *_landing_route(b, moved))


def _landing_route(b: _Builder, moved: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The cheapest way to land as Generation 2 (NA when firmware or guest is unknown)."""
    firmware = b.values["firmware"]
    path = b.values["os_conversion_path"]
    cannot = b.values["os_gen2_support"].eq("no").fillna(False) | b.values["os_arch"].eq(
        "x86"
    ).fillna(False)
    bios = firmware.eq("bios").fillna(False)
    route = pd.Series(pd.NA, index=firmware.index, dtype=STRING)
    route = route.mask(firmware.eq("efi").fillna(False), "lands-gen2")
    route = route.mask(bios & path.isin(["mbr2gpt", "linux-efi"]).fillna(False), "fix-before-move")
    route = route.mask(bios & path.eq("recapture").fillna(False), "convert-after-landing")
    route = route.mask(bios & cannot, "blocked")
    route = route.where(moved)
    evidence = pd.Series(
        np.select(
            [
                route.eq("lands-gen2").fillna(False).to_numpy(),
                route.eq("fix-before-move").fillna(False).to_numpy(),
                route.eq("convert-after-landing").fillna(False).to_numpy(),
                route.eq("blocked").fillna(False).to_numpy(),
            ],
            [
                "inferred: EFI firmware lands as Generation 2; check the Secure Boot template "
                "its guest needs",
                "inferred: BIOS firmware; the guest converts in place ("
                + path.fillna("").astype(str).to_numpy(dtype=object)
                + ") on VMware, then firmware EFI before the move",
                "inferred: BIOS firmware and a guest without in-place conversion (recapture): "
                "land as Generation 1, convert after landing",
                "inferred: the guest cannot run on Generation 2 (32-bit or unsupported)",
            ],
            default="",
        ),
        index=firmware.index,
        dtype=STRING,
    )
    return route, evidence


# --- disks --------------------------------------------------------------------------------

_EXTENSION_FORMAT = {".vhd": "VHD", ".avhd": "VHD", ".vhdx": "VHDX", ".avhdx": "VHDX"}


def _format_from_path(paths: pd.Series) -> pd.Series:
    ext = paths.str.lower().str.extract(r"(\.a?vhdx?)\s*$", expand=False)
    return ext.map(_EXTENSION_FORMAT).astype(STRING)


def _per_distinct(values: pd.Series, derive: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``derive(values)`` worked out once per distinct value: a few host OS versions, disk
    labels or configuration versions repeat over thousands of rows. ``derive`` must treat
    each value on its own (NA included), as the ``str`` methods do."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) * 2 > len(values):
        return derive(values)
    distinct = pd.Series(uniques, dtype=values.dtype)
    na = pd.Series([pd.NA], dtype=values.dtype)
    derived = derive(pd.concat([distinct, na], ignore_index=True))  # NA is the last row
    taken = derived.iloc[np.where(codes < 0, len(uniques), codes)]
    taken.index = values.index
    return taken


def _said(vms: pd.DataFrame, collector: str, rvtools: str) -> pd.Series:
    """Evidence per VM: what the collector call is, or which RVTools tab and column."""
    from_rvtools = vms["source_kind"].eq("rvtools").fillna(False).to_numpy()
    return pd.Series(np.where(from_rvtools, rvtools, collector), index=vms.index, dtype=STRING)


def _disk_facts(b: _Builder, vms: pd.DataFrame, disks: pd.DataFrame, from_where: pd.Series) -> None:
    listed = vms["disks_listed"].fillna(False).astype(bool)
    d = disks[disks["vm_key"].isin(vms.index[listed])].copy()
    d["generation"] = d["vm_key"].map(vms["generation"])
    vmware = d["vm_key"].map(b.values["source_platform"]).eq("vmware").fillna(False)
    passthrough = d["disk_number"].notna() | d["raw_mapping"].fillna(False)
    fmt = d["vhd_format"]
    unnamed = fmt.isna()
    if unnamed.any():  # the format from the file name only where the inventory has none
        fmt = fmt.fillna(_format_from_path(d.loc[unnamed, "path"]))
    fmt = fmt.mask(passthrough, "PassThrough")
    d["format"] = fmt
    # Gen 1 BIOS boots the first hard disk on the IDE controllers (0:0, 0:1, 1:0, 1:1).
    # A VMware VM boots from its first hard disk ("Hard disk 1"), whatever the bus.
    bootable = d["controller_type"].eq("IDE").fillna(False) & d["generation"].ne(2).fillna(True)
    gen2_boot = d["controller_type"].eq("SCSI").fillna(False) & d["generation"].eq(2).fillna(False)
    d["disk_order"] = _per_distinct(
        d["label"],
        lambda label: pd.to_numeric(label.str.extract(r"(\d+)\s*$", expand=False), errors="coerce"),
    )
    candidates = d[(bootable | gen2_boot) & ~vmware | vmware].sort_values(
        ["vm_key", "disk_order", "controller_number", "controller_location"], na_position="last"
    )
    boot = candidates.drop_duplicates("vm_key").set_index("vm_key")
    detail = pd.Series(
        np.where(
            vms["source_platform"].eq("vmware").fillna(False),
            "RVTools: vDisk (the first hard disk boots)",
            "collector: Get-VMHardDiskDrive",
        ),
        index=vms.index,
        dtype=STRING,
    )
    has_boot = pd.Series(vms.index.isin(boot.index), index=vms.index).astype(BOOL)
    b.set("has_boot_disk", has_boot.where(listed, pd.NA), detail)
    b.set("boot_disk_controller", boot["controller_type"], detail)
    location = (
        boot["controller_number"].astype(STRING) + ":" + boot["controller_location"].astype(STRING)
    )
    b.set("boot_disk_location", location, detail)
    b.set("boot_disk_path", boot["path"], detail)
    fmt_ev = pd.Series(
        np.where(boot["vhd_format"].notna(), "collector: Get-VHD VhdFormat", "inferred: file name"),
        index=boot.index,
    )
    fmt_ev = fmt_ev.mask(boot["disk_number"].notna(), "collector: DiskNumber (pass-through)")
    fmt_ev = fmt_ev.mask(boot["format"].eq("VMDK").fillna(False), "RVTools: vDisk (a VMDK)")
    fmt_ev = fmt_ev.mask(boot["raw_mapping"].fillna(False), "RVTools: vDisk Raw (an RDM)")
    b.set("boot_disk_format", boot["format"], fmt_ev)
    boot_type = boot["vhd_type"].mask(
        boot["vhd_type"].isna() & boot["parent_path"].notna(), "Differencing"
    )
    boot_type = boot_type.mask(
        boot["path"].str.lower().str.contains(r"\.avhdx?$", na=False), "Differencing"
    )
    # A pass-through disk is a physical disk: no VHD type, never differencing.
    boot_type = boot_type.mask(
        boot["disk_number"].notna() | boot["raw_mapping"].fillna(False), "Physical"
    )
    b.set(
        "boot_disk_type",
        boot_type,
        _said(vms, "collector: Get-VHD VhdType / ParentPath", "RVTools: vDisk Thin / delta file"),
    )
    b.set(
        "boot_disk_size_gb",
        boot["size_bytes"].astype(FLOAT) / 2**30,
        _said(vms, "collector: Get-VHD Size", "RVTools: vDisk Capacity MiB"),
    )

    # One-row-per-VM inventories state the boot disk directly.
    template = from_where + ": "
    has_declared = vms["boot_controller"].notna() | vms["boot_disk_format"].notna()
    b.fill("has_boot_disk", has_declared.where(has_declared, pd.NA), template + "BootController")
    b.fill("boot_disk_controller", vms["boot_controller"], template + "BootController")
    b.fill("boot_disk_path", vms["boot_disk_path"], template + "BootDiskPath")
    b.fill("boot_disk_format", vms["boot_disk_format"], template + "BootDiskFormat")
    b.fill(
        "boot_disk_format",
        _format_from_path(vms["boot_disk_path"]),
        "inferred: BootDiskPath file name",
    )
    b.fill("boot_disk_type", vms["boot_disk_type"], template + "BootDiskType")

    b.set("boot_disk_partition_style", vms["partition_style"], template + "PartitionStyle")
    windows_gen1 = b.values["os_family"].eq("windows").fillna(False) & b.values["generation"].ne(
        2
    ).fillna(False)
    has_disk = b.values["has_boot_disk"].fillna(False).astype(bool)
    b.fill(
        "boot_disk_partition_style",
        pd.Series("MBR", index=vms.index).where(windows_gen1 & has_disk),
        "inferred: a Generation 1 Windows guest boots with BIOS from an MBR disk",
    )
    windows_efi = b.values["os_family"].eq("windows").fillna(False) & b.values["firmware"].eq(
        "efi"
    ).fillna(False)
    b.fill(
        "boot_disk_partition_style",
        pd.Series("GPT", index=vms.index).where(windows_efi & has_disk),
        "inferred: Windows boots with UEFI only from a GPT disk",
    )

    # Counts over the detail table (data disks = every disk but the boot disk).
    is_boot = pd.Series(False, index=d.index)
    if len(boot):
        boot_ids = set(
            zip(
                boot.index,
                boot["controller_type"],
                boot["controller_number"],
                boot["controller_location"],
                strict=True,
            )
        )
        is_boot = pd.Series(
            [
                (k, t, n, loc) in boot_ids
                for k, t, n, loc in zip(
                    d["vm_key"],
                    d["controller_type"],
                    d["controller_number"],
                    d["controller_location"],
                    strict=True,
                )
            ],
            index=d.index,
            dtype=bool,
        )
    data = d[~is_boot]
    listed_index = vms.index[listed]
    detail = _said(vms, "collector: Get-VMHardDiskDrive", "RVTools: vDisk")

    def count(mask: pd.Series, frame: pd.DataFrame) -> pd.Series:
        counts = frame[mask.fillna(False).astype(bool)].groupby("vm_key").size()
        return counts.reindex(listed_index, fill_value=0).astype(INT)

    b.set("ide_data_disk_count", count(data["controller_type"].eq("IDE"), data), detail)
    b.fill("ide_data_disk_count", vms["ide_data_disk_count"], template + "IDEDataDisks")
    b.set(
        "vhd_data_disk_count",
        count(data["format"].eq("VHD"), data),
        _said(vms, "collector: Get-VHD", "RVTools: vDisk (VMDK disks)"),
    )
    b.fill("vhd_data_disk_count", vms["vhd_data_disk_count"], template + "VHDDataDisks")
    b.set(
        "shared_disk_count",
        count(d["shared"], d),
        _said(vms, "collector: SupportPersistentReservations", "RVTools: vDisk Sharing mode"),
    )
    b.fill("shared_disk_count", vms["shared_disk_count"], template + "SharedDisks")
    b.set("passthrough_disk_count", count(passthrough, d), detail)
    b.fill("passthrough_disk_count", vms["passthrough_disk_count"], template + "PassThroughDisks")
    b.set("disk_count", count(pd.Series(True, index=d.index), d), detail)
    b.set("ide_disk_count", count(d["controller_type"].eq("IDE"), d), detail)
    ide_boot = b.values["boot_disk_controller"].eq("IDE").astype(INT)
    b.fill(
        "ide_disk_count",
        b.values["ide_data_disk_count"] + ide_boot,
        template + "BootController + IDEDataDisks",
    )


# --- devices ------------------------------------------------------------------------------


def _count_listed(
    vms: pd.DataFrame, frame: pd.DataFrame, flag: str, mask: pd.Series | None = None
) -> pd.Series:
    listed = vms[flag].fillna(False).astype(bool)
    rows = frame if mask is None else frame[mask.fillna(False).astype(bool)]
    counts = rows.groupby("vm_key").size()
    return counts.reindex(vms.index[listed], fill_value=0).astype(INT)


def _device_facts(
    b: _Builder, vms: pd.DataFrame, inventory: Inventory, from_where: pd.Series
) -> None:
    template = from_where + ": "
    nics = inventory["nics"]
    b.set(
        "legacy_nic_count",
        _count_listed(vms, nics, "nics_listed", nics["is_legacy"]),
        _said(
            vms,
            "collector: Get-VMNetworkAdapter IsLegacy",
            "RVTools: vNetwork (the conversion gives synthetic adapters)",
        ),
    )
    b.fill("legacy_nic_count", vms["legacy_nic_count"], template + "LegacyNICs")
    b.set(
        "synthetic_nic_count",
        _count_listed(vms, nics, "nics_listed", nics["is_legacy"].eq(False)),
        _said(
            vms,
            "collector: Get-VMNetworkAdapter IsLegacy",
            "RVTools: vNetwork (the conversion gives synthetic adapters)",
        ),
    )

    floppies = inventory["floppies"]
    with_media = floppies[floppies["path"].notna()]
    listed = vms["floppies_listed"].fillna(False).astype(bool)
    media = pd.Series(vms.index.isin(with_media["vm_key"]), index=vms.index).where(listed)
    b.set(
        "floppy_media",
        media,
        _said(vms, "collector: Get-VMFloppyDiskDrive Path", "RVTools: vFloppy"),
    )
    b.fill("floppy_media", vms["floppy_media"], template + "FloppyAttached")
    b.set(
        "floppy_path",
        with_media.drop_duplicates("vm_key").set_index("vm_key")["path"],
        "collector: Get-VMFloppyDiskDrive Path",
    )

    com = inventory["com_ports"]
    b.set(
        "com_port_count",
        _count_listed(vms, com, "com_ports_listed", com["path"].notna()),
        "collector: Get-VMComPort Path",
    )
    b.fill("com_port_count", vms["com_port_count"], template + "COMPorts")

    b.set("remotefx_3d_count", vms["remotefx_3d_count"], template + "RemoteFX 3D adapters")

    dvd = inventory["dvd_drives"]
    b.set(
        "physical_dvd_count",
        _count_listed(vms, dvd, "dvd_drives_listed", dvd["media_type"].eq("Physical")),
        _said(vms, "collector: Get-VMDvdDrive", "RVTools: vCD Device Type"),
    )
    declared = vms["dvd_media"].str.lower()
    b.fill(
        "physical_dvd_count",
        declared.map({"physical": 1, "iso": 0, "none": 0, "": 0}),
        template + "DVDMedia",
    )
    _boot_order_facts(b, vms, dvd, template)


#: BIOS startup order entries (Get-VMBios StartupOrder) -> how the evidence names them.
_BOOT_DEVICES = {
    "CD": "DVD drive",
    "IDE": "IDE disk",
    "LegacyNetworkAdapter": "legacy network adapter",
    "Floppy": "floppy drive",
}
_NOTHING_TO_BOOT = {
    "CD": "DVD drive empty",
    "IDE": "no IDE disk",
    "LegacyNetworkAdapter": "no legacy adapter",
    "Floppy": "floppy drive empty",
}
_UNKNOWN_DEVICE = {
    "CD": "DVD media not known",
    "IDE": "IDE disk not known",
    "LegacyNetworkAdapter": "legacy adapters not known",
    "Floppy": "floppy media not known",
}


def _first_bootable(order: str, can_boot: dict[str, object]) -> tuple[str | None, str | None, str]:
    """A Generation 1 BIOS tries the devices in startup order and falls through any that
    has nothing to boot. (first device that can boot, or "none", or None when an earlier
    device's state is unknown; the devices passed over; the reasoning)."""
    skipped: list[str] = []
    for device in order.split(";"):
        device = device.strip()
        if device not in _BOOT_DEVICES:
            continue
        state = can_boot.get(device)
        if state is None:
            reason = ", ".join([*skipped, _UNKNOWN_DEVICE[device]])
            return None, None, f"first bootable device unknown ({reason})"
        passed = ", ".join(skipped) or None
        if state:
            shown = _BOOT_DEVICES[device]
            return (
                shown,
                passed,
                f"first bootable device: {shown}" + (f" ({passed})" if passed else ""),
            )
        skipped.append(_NOTHING_TO_BOOT[device])
    passed = ", ".join(skipped)
    return "none", passed, f"no device in the startup order has anything to boot ({passed})"


def _boot_order_facts(
    b: _Builder, vms: pd.DataFrame, dvd: pd.DataFrame, template: pd.Series
) -> None:
    """Which device the BIOS really boots first, and whether that is a legacy network
    adapter (BOOT006): an empty DVD drive, an empty floppy drive, a legacy-network entry
    without a legacy adapter and IDE without a disk are passed over."""
    listed = vms["dvd_drives_listed"].fillna(False).astype(bool)
    loaded = dvd[dvd["media_type"].isin(["ISO", "Physical"]).fillna(False) | dvd["path"].notna()]
    dvd_media = pd.Series(vms.index.isin(loaded["vm_key"]), index=vms.index).where(listed)
    declared = vms["dvd_media"].str.lower().map({"iso": True, "physical": True, "none": False})
    dvd_media = dvd_media.fillna(declared)
    ide_disk = b.values["has_boot_disk"].astype("boolean") & b.values["boot_disk_controller"].eq(
        "IDE"
    ).astype("boolean")
    ide_disk = ide_disk.mask(b.values["has_boot_disk"].eq(False).fillna(False), False)
    legacy = b.values["legacy_nic_count"].gt(0)
    states = pd.DataFrame(
        {
            "order": vms["boot_order"],
            "CD": dvd_media,
            "IDE": ide_disk,
            "LegacyNetworkAdapter": legacy,
            "Floppy": b.values["floppy_media"],
        },
        index=vms.index,
    ).astype(object)
    states = states.where(states.notna(), None)
    with_order = states[states["order"].notna()]
    answers: dict[tuple, tuple[str | None, str | None, str]] = {}
    for combo in with_order.drop_duplicates().itertuples(index=False, name=None):
        order, *flags = combo
        can_boot = dict(zip(("CD", "IDE", "LegacyNetworkAdapter", "Floppy"), flags, strict=True))
        answers[combo] = _first_bootable(order, can_boot)
    keys = list(with_order.itertuples(index=False, name=None))
    first = pd.Series([answers[k][0] for k in keys], index=with_order.index, dtype=object)
    passed = pd.Series([answers[k][1] for k in keys], index=with_order.index, dtype=object)
    why = pd.Series([answers[k][2] for k in keys], index=with_order.index, dtype=object)
    evidence = why + "; collector: Get-VMBios StartupOrder = " + with_order["order"].astype(str)
    b.set("first_boot_device", first, evidence)
    b.set("boot_passed_over", passed, evidence)
    network = first.eq("legacy network adapter").where(first.notna())
    b.set("boot_from_network", network, evidence)
    b.fill("boot_from_network", vms["pxe_boot"], template + "PXEBoot")
    # Without a legacy adapter nothing boots from the network, whatever a column says.
    no_legacy = b.values["legacy_nic_count"].eq(0).fillna(False)
    b.fill(
        "boot_from_network",
        pd.Series(False, index=vms.index).where(no_legacy),
        "inferred: the VM has no legacy network adapter",
    )
    stated = b.values["boot_from_network"].fillna(False).astype(bool) & no_legacy
    if stated.any():
        b.values["boot_from_network"] = b.values["boot_from_network"].mask(stated, False)
        b.evidence["boot_from_network"] = b.evidence["boot_from_network"].mask(
            stated, template + "PXEBoot says yes, but the VM has no legacy network adapter"
        )


# --- VM settings and host -------------------------------------------------------------------

_REPLICATION_OFF = {"disabled", "none", "notapplicable", "not applicable", "no", "off", "false"}


def _vm_facts(b: _Builder, vms: pd.DataFrame, from_where: pd.Series) -> None:
    template = from_where + ": "
    b.set("checkpoint_count", vms["checkpoint_count"], template + "checkpoints")
    has_parent = vms["parent_checkpoint_id"].str.strip().ne("")
    b.fill(
        "checkpoint_count",
        pd.Series(1, index=vms.index).where(has_parent.fillna(False)),
        "inferred: ParentSnapshotId is set, so at least one checkpoint exists",
    )
    state = vms["replication_state"].str.strip().str.lower()
    b.set(
        "replication_enabled",
        ~state.isin(_REPLICATION_OFF).where(state.notna()).astype(BOOL),
        template + "ReplicationState = " + vms["replication_state"].astype(STRING),
    )
    b.set("config_version", vms["config_version"], template + "Version")
    number = _per_distinct(
        vms["config_version"],
        lambda version: pd.to_numeric(
            version.str.extract(r"^\s*(\d+(?:\.\d+)?)")[0], errors="coerce"
        ),
    )
    b.set("config_version_number", number, template + "Version")
    b.set("is_clustered", vms["is_clustered"], template + "IsClustered")


def _host_windows_version(version: pd.Series) -> pd.Series:
    parts = version.str.extract(r"^\s*(\d+)\.(\d+)")
    major = pd.to_numeric(parts[0], errors="coerce")
    minor = pd.to_numeric(parts[1], errors="coerce")
    # 6.3 = WS2012 R2 / 8.1, the first to run Generation 2; 10.0 = WS2016 and later.
    capable = (major > 6) | ((major == 6) & (minor >= 3))
    return capable.where(major.notna()).astype(BOOL)


_HOST_RELEASE = re.compile(
    r"(?<!\d)(2008|2012|2016|2019|2022|2025)(?!\d)\s*(r2)?|windows\s+(8\.1|8|10|11)(?![\d.])", re.I
)


def _host_capable_from_text(text: pd.Series) -> pd.Series:
    """ "Windows Server 2012 R2", "WS2019", "6.2.9200" -> can it run Generation 2?"""
    by_version = _host_windows_version(text)
    found = text.str.extract(_HOST_RELEASE)
    year = pd.to_numeric(found[0], errors="coerce")
    r2 = found[1].notna()
    client = found[2]
    capable = (
        (year > 2012).fillna(False)
        | ((year == 2012) & r2).fillna(False)
        | client.isin(["8.1", "10", "11"]).fillna(False)
    )
    known = year.notna() | client.notna()
    return by_version.fillna(capable.where(known).astype(BOOL))


def _host_facts(b: _Builder, vms: pd.DataFrame, hosts: pd.DataFrame) -> None:
    by_host = hosts.drop_duplicates("host").assign(key=lambda h: h["host"].str.lower())
    by_host = by_host.set_index("key")
    host_key = vms["host"].str.lower()
    caption = host_key.map(by_host["os_caption"]).astype(STRING)
    version = host_key.map(by_host["os_version"]).astype(STRING)
    display = caption.fillna(version)
    display = display.mask(caption.notna() & version.notna(), caption + " (" + version + ")")
    b.set(
        "host_os",
        display,
        _said(vms, "collector: host Win32_OperatingSystem", "RVTools: vHost ESX Version"),
    )
    b.set(
        "host_gen2_capable",
        _per_distinct(version, _host_windows_version),
        "collector: host OS version",
    )
    declared = vms["host_os"]
    b.fill("host_os", declared, "inventory: HostOS")
    b.fill(
        "host_gen2_capable", _per_distinct(declared, _host_capable_from_text), "inventory: HostOS"
    )
    # Configuration version 5.0 appeared with WS2012 R2; such a VM lives on a Gen 2 host.
    config = b.values["config_version_number"]
    b.fill(
        "host_gen2_capable",
        pd.Series(True, index=vms.index).where(config >= 5.0),
        "inferred: configuration version 5.0+ exists only on WS2012 R2 or newer hosts",
    )
    gen2_hosts = set(host_key[b.values["generation"].eq(2).fillna(False)].dropna())
    b.fill(
        "host_gen2_capable",
        pd.Series(True, index=vms.index).where(host_key.isin(gen2_hosts)),
        "inferred: the host runs Generation 2 VMs",
    )
