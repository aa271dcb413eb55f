"""Assessment + inventory -> plan. Pure data work: nothing here knows PowerShell.

Parity by construction: every adapter, disk and ISO drive the inventory lists for a VM
becomes one entry of its plan, every VM setting the inventory records is carried, and what
the inventory does not record is listed as read from the Generation 1 VM at run time.
"""

from __future__ import annotations

import ntpath
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from assess.gc_pause import gc_paused
from assess.model.assessment import Assessment
from assess.model.inventory import Inventory
from assess.plan.model import (
    GUEST_SCRIPT_KIND,
    RUNTIME_SETTINGS,
    Adapter,
    Cluster,
    Disk,
    DvdDrive,
    Firmware,
    Plan,
    Replica,
    Settings,
    Step,
    VmPlan,
)

SCSI_LOCATIONS = 64  # locations per Generation 2 SCSI controller
SCSI_CONTROLLERS = 4

#: Open findings the host script takes care of by building the new VM.
HANDLED_BY_SCRIPT = {
    "BOOT001": "boot disk moves to SCSI 0:0",
    "BOOT002": "the .vhd is converted into a new .vhdx",
    "BOOT003": "guest script converts the boot disk to GPT",
    "BOOT006": "synthetic adapter, network as first boot device",
    "NET001": "legacy adapters become synthetic ones with the same MAC",
    "NET002": "legacy adapters become synthetic ones with the same MAC",
    "DISK001": "IDE data disks move to SCSI",
    "DISK002": "VHD data disks are converted into new .vhdx files",
    "DISK003": "shared disk attached with persistent reservations",
    "VM004": "cluster role added again with the same preferred owners",
    "OS004": "Secure Boot template chosen by guest OS",
}
#: Open findings a person handles; the runbook lists them as manual steps.
MANUAL_FINDINGS = {
    "BOOT004": "Pass-through boot disk: the new VM attaches the same physical disk; "
    "the guest conversion runs on that disk (no safety copy by Export-VM: back up the LUN).",
    "BOOT005": "Differencing boot disk: merge the chain into one disk before the conversion.",
    "DEV001": "Floppy media: Generation 2 has no floppy drive; copy what the .vfd holds "
    "onto a disk or an ISO.",
    "DEV002": "COM port with a named pipe: set it again on the new VM (Set-VMComPort) "
    "if the guest still needs it.",
    "DEV003": "RemoteFX 3D adapter: not available on Generation 2; use GPU partitioning "
    "or DDA if the workload needs a GPU.",
    "DEV004": "Physical DVD drive: not carried over; attach an ISO instead if needed.",
    "VM001": "Checkpoints: delete (merge) them before the conversion; the script stops "
    "while any exist.",
    "VM003": "Configuration version: the new VM gets the host's default version.",
}


# A cell as a plain Python value (rows come from ``_records``: NA is already None).


def _int(row: Mapping[str, Any], key: str) -> int | None:
    value = row.get(key)
    return None if value is None else int(value)


def _bool(row: Mapping[str, Any], key: str) -> bool | None:
    value = row.get(key)
    return None if value is None else bool(value)


def _text(row: Mapping[str, Any], key: str) -> str | None:
    value = row.get(key)
    return None if value is None else str(value)


def _names(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(part.strip() for part in text.split(";") if part.strip())


def _records(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values, NA as None (converted column-wise, once)."""
    if not len(frame):
        return []
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    names, lists = _column_lists(frame)
    return [dict(zip(names, values, strict=True)) for values in zip(*lists, strict=True)]


def _column_lists(frame: pd.DataFrame) -> tuple[list[str], list[list[Any]]]:
    """The column names, and each column as a list of plain Python values (NA as None)."""
    names = list(frame.columns)
    return names, [frame[name].to_numpy(dtype=object, na_value=None).tolist() for name in names]


def _keys_with_nul(frames: Iterable[pd.DataFrame]) -> set[str]:
    """VMs with a NUL character in any text of theirs (found column-wise)."""
    keys: set[str] = set()
    for frame in frames:
        if not len(frame) or "vm_key" not in frame.columns:
            continue
        for name in frame.columns:
            column = frame[name]
            if column.dtype == "string":
                # Most columns hold no NUL at all: one search over the joined text says so.
                texts = column.to_numpy(dtype=object, na_value="").tolist()
                if "\x00" not in "".join(texts):
                    continue
            if column.dtype == "string" or column.dtype == object:
                hit = column.astype("string").str.contains("\x00", regex=False).fillna(False)
                if hit.any():
                    keys.update(str(k) for k in frame.loc[hit.to_numpy(bool), "vm_key"].dropna())
    return keys


class _RowsByVm:
    """A device table's rows grouped by VM, each made a dict (as ``_records`` makes them)
    only when its VM asks: only the VMs with a conversion script do, about half."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.names, lists = _column_lists(frame)
        self.rows = list(zip(*lists, strict=True)) if lists else []
        self.positions: dict[str, list[int]] = defaultdict(list)
        if "vm_key" in frame.columns:
            for position, key in enumerate(lists[self.names.index("vm_key")]):
                if key is not None:
                    self.positions[str(key)].append(position)

    def get(self, key: str) -> list[dict[str, Any]]:
        """The rows of the VM ``key``, in table order ([] when it has none)."""
        positions = self.positions.get(key)
        if not positions:
            return []
        names, rows = self.names, self.rows
        return [dict(zip(names, rows[position], strict=True)) for position in positions]


def _gen2_name(path: str) -> str:
    """``D:\\VMs\\a.vhd`` -> ``D:\\VMs\\a-gen2.vhdx``: a new file next to the old one."""
    stem, _ = ntpath.splitext(path)
    return f"{stem}-gen2.vhdx"


def _slot(index: int) -> tuple[int, int]:
    return index // SCSI_LOCATIONS, index % SCSI_LOCATIONS


#: What the builder reads from the assessment's VM table (identity, verdict, facts).
ASSESSMENT_COLUMNS = (
    "vm_key",
    "host",
    "cluster",
    "name",
    "vm_id",
    "verdict",
    "conversion_path",
    "finding_ids",
    "unknown_rules",
    "os_display",
    "os_family",
    "os_distro",
    "os_version_key",
    "secure_boot_support",
    "has_boot_disk",
    "boot_disk_controller",
    "boot_disk_location",
    "boot_disk_path",
    "boot_from_network",
    "replication_enabled",
)


#: What the builder reads from the inventory's VM table (a test checks it is every column
#: the builder reads there).
INVENTORY_COLUMNS = (
    "vm_key",
    "vm_id_synthetic",
    "cluster",
    "is_clustered",
    "cluster_group",
    "preferred_owners",
    "nics_listed",
    "disks_listed",
    "dvd_drives_listed",
    "processor_count",
    "processor_compat_migration",
    "processor_reserve",
    "processor_limit",
    "processor_weight",
    "memory_startup_bytes",
    "dynamic_memory",
    "memory_minimum_bytes",
    "memory_maximum_bytes",
    "memory_buffer",
    "memory_priority",
    "automatic_start_action",
    "automatic_start_delay",
    "automatic_stop_action",
    "checkpoint_type",
    "smart_paging_path",
    "config_path",
    "notes",
    "data_exchange_enabled",
    "replication_primary_server",
    "replication_replica_server",
    "replication_frequency",
)


class PlanBuilder:
    """Builds one ``VmPlan`` per VM of the assessment."""

    def __init__(self, assessment: Assessment, inventory: Inventory) -> None:
        self.assessment = assessment
        vms = inventory.vms
        self.inventory_vms = {_text(r, "vm_key"): r for r in _records(vms, INVENTORY_COLUMNS)}
        self.nics = _RowsByVm(inventory["nics"])
        self.disks = _RowsByVm(inventory["disks"])
        self.dvds = _RowsByVm(inventory["dvd_drives"])
        self.hosts = {(_text(r, "host") or "").lower(): r for r in _records(inventory["hosts"])}
        # PowerShell and its parsers stop at a NUL inside a literal: no script can quote it.
        self.nul_keys = _keys_with_nul(
            inventory[name] for name in ("vms", "nics", "disks", "dvd_drives")
        )
        self.clashing: set[tuple[str, str]] = set()
        self.vtpm_by_owners: dict[tuple[str, ...], tuple[bool, str]] = {}
        self.cluster_nodes: dict[str, list[str]] = defaultdict(list)
        for row in self.hosts.values():
            cluster, host = _text(row, "cluster"), _text(row, "host")
            listed = _names(_text(row, "cluster_nodes"))  # the collector lists every node
            for node in listed or ([host] if host else []):
                if cluster and node not in self.cluster_nodes[cluster.lower()]:
                    self.cluster_nodes[cluster.lower()].append(node)

    def build(self) -> Plan:
        rows = _records(self.assessment.vms, ASSESSMENT_COLUMNS)
        # Windows file names ignore case: VMs of one host whose names clash get their key too.
        seen = Counter(
            (_folder(r).lower(), _safe_file_part(_text(r, "name") or "").lower()) for r in rows
        )
        self.clashing = {pair for pair, count in seen.items() if count > 1}
        plans = [self.vm_plan(row) for row in rows]
        inputs = [
            {"path": i.path, "kind": i.kind, "vms": i.vms, "status": i.status}
            for i in self.assessment.inputs
        ]
        return Plan(
            generated_at=self.assessment.generated_at,
            vms=plans,
            inputs=inputs,
            messages=list(self.assessment.messages),
        )

    # --- one VM -------------------------------------------------------------------------------

    def vm_plan(self, row: dict[str, Any]) -> VmPlan:
        key = _text(row, "vm_key") or ""
        inv = self.inventory_vms.get(key, {})
        synthetic = _bool(inv, "vm_id_synthetic")
        vm_id = _text(row, "vm_id")
        name = _text(row, "name") or ""
        verdict = _text(row, "verdict") or "needs-data"
        path = _text(row, "conversion_path") or "unknown"
        findings = tuple((_text(row, "finding_ids") or "").split())
        base: dict[str, Any] = {
            "vm_key": key,
            "id": None if synthetic or not vm_id else vm_id,
            "name": name,
            "host": _text(row, "host"),
            "cluster": _text(row, "cluster"),
            "verdict": verdict,
            "path": path,
            "os": _text(row, "os_display"),
            "os_family": _text(row, "os_family"),
            "finding_ids": findings,
        }
        reason = self._no_script_reason(row, verdict, path)
        if reason is not None:
            scripts: tuple[str, ...] = ()
            steps: tuple[Step, ...] = ()
            if path == "rebuild" and verdict not in ("stays-gen1", "already-gen2"):
                scripts = (f"{_folder(base)}/{self._stem(base)}.rebuild-checklist.md",)
                steps = _rebuild_steps()
            return VmPlan(**base, no_script_reason=reason, scripts=scripts, steps=steps)
        return self._conversion(base, row, inv, findings)

    @staticmethod
    def _no_script_reason(row: dict[str, Any], verdict: str, path: str) -> str | None:
        findings = _text(row, "finding_ids") or ""
        if verdict == "already-gen2":
            return "already Generation 2"
        if verdict == "stays-gen1":
            return "stays on Generation 1 by decision (waived blocker)"
        if verdict == "blocked":
            blockers = " ".join(f for f in findings.split() if not f.startswith(("BOOT", "DEV")))
            return (
                f"blocked ({blockers or findings}): no conversion without an OS upgrade"
                " or a rebuild"
            )
        if verdict == "needs-data":
            unknown = _text(row, "unknown_rules") or findings
            return f"needs data ({unknown.strip()}): collect what is missing, then plan again"
        if path == "rebuild":
            return "the guest cannot run on Generation 2: rebuild (checklist)"
        if path not in GUEST_SCRIPT_KIND:
            return f"no conversion path known (path {path})"
        if verdict not in ("ready", "ready-with-fixes"):
            return f"verdict {verdict} has no conversion"
        return None

    def _conversion(
        self, base: dict[str, Any], row: dict[str, Any], inv: Mapping[str, Any], findings: tuple
    ) -> VmPlan:
        name, path = base["name"], base["path"]
        key = base["vm_key"]
        settings = _settings(inv)
        adapters = self._adapters(key, inv)
        disks = self._disks(key, inv, row, path)
        used = len(disks) if disks is not None else 0
        dvds = self._dvds(key, inv, used)
        cluster = self._cluster(inv, base)
        firmware = self._firmware(row, base, cluster, disks, dvds)
        replica = None
        if _bool(row, "replication_enabled"):
            replica = Replica(
                primary_server=_text(inv, "replication_primary_server"),
                replica_server=_text(inv, "replication_replica_server"),
                frequency_seconds=_int(inv, "replication_frequency"),
            )
        variant = _guest_variant(path, row)
        runtime = [
            f"settings.{field}" for field in RUNTIME_SETTINGS if getattr(settings, field) is None
        ]
        runtime += [
            label
            for label, value in (("adapters", adapters), ("disks", disks), ("dvd_drives", dvds))
            if value is None
        ]
        runtime.append("integration_services")
        if cluster is not None and (cluster.group is None or cluster.preferred_owners is None):
            runtime.append("cluster_role")
        not_carried = tuple(MANUAL_FINDINGS[f] for f in findings if f in MANUAL_FINDINGS)
        folder = _folder(base)
        stem = self._stem(base)
        scripts = [f"{folder}/{stem}.host.ps1"]
        scripts.append(
            f"{folder}/{stem}.guest.sh"
            if variant in ("linux", "freebsd")
            else f"{folder}/{stem}.guest.ps1"
        )
        backup = None
        if settings.config_path:
            backup = ntpath.join(ntpath.dirname(settings.config_path.rstrip("\\")), "gen1-export")
        kept = f"{name}-gen1"
        if key in self.nul_keys:
            reason: str | None = (
                "inventory text of this VM holds a NUL character: fix the inventory"
            )
            steps: tuple[Step, ...] = ()
            files: tuple[str, ...] = ()
        else:
            reason, files = None, tuple(scripts)
            steps = _steps(
                name, kept, variant, adapters, disks, dvds, firmware, cluster, replica, not_carried
            )
        return VmPlan(
            **base,
            kept_name=kept,
            backup_path=backup,
            settings=settings,
            adapters=adapters,
            disks=disks,
            dvd_drives=dvds,
            firmware=firmware,
            cluster_role=cluster,
            replica=replica,
            guest_variant=variant,
            steps=steps,
            scripts=files,
            no_script_reason=reason,
            read_at_run_time=tuple(runtime),
            not_carried=not_carried,
        )

    def _stem(self, base: Mapping[str, Any]) -> str:
        pair = (_folder(base).lower(), _safe_file_part(base["name"]).lower())
        return _file_stem(base["name"], base["vm_key"], unique=pair not in self.clashing)

    # --- devices ------------------------------------------------------------------------------

    def _adapters(self, key: str, inv: Mapping[str, Any]) -> tuple[Adapter, ...] | None:
        rows = self.nics.get(key)
        if not rows and not _bool(inv, "nics_listed"):
            return None
        return tuple(_adapter(r, index) for index, r in enumerate(rows))

    def _disks(
        self, key: str, inv: Mapping[str, Any], row: Mapping[str, Any], path: str
    ) -> tuple[Disk, ...] | None:
        rows = self.disks.get(key)
        if not rows and not _bool(inv, "disks_listed"):
            return None
        boot_location = _text(row, "boot_disk_location")
        boot_controller = _text(row, "boot_disk_controller")
        boot_path = _text(row, "boot_disk_path")

        def is_boot(r: Mapping[str, Any]) -> bool:
            slot = f"{_int(r, 'controller_number')}:{_int(r, 'controller_location')}"
            if boot_location is not None and boot_controller is not None:
                return _text(r, "controller_type") == boot_controller and slot == boot_location
            return boot_path is not None and _text(r, "path") == boot_path

        def order(item: tuple[bool, Mapping[str, Any]]) -> tuple:
            boot, r = item
            kind = 0 if _text(r, "controller_type") == "IDE" else 1
            return (
                0 if boot else 1,
                kind,
                _int(r, "controller_number") or 0,
                _int(r, "controller_location") or 0,
            )

        disks = []
        ordered = sorted([(is_boot(r), r) for r in rows], key=order)
        for index, (boot, r) in enumerate(ordered):
            source_path = _text(r, "path")
            number = _int(r, "disk_number")
            fmt = _text(r, "vhd_format") or _format_of(source_path)
            target = source_path
            convert = False
            if number is None and source_path is not None:
                if boot and path == "recapture":
                    target = _gen2_name(source_path)  # DISM applies the image into a new file
                elif fmt == "VHD":
                    target, convert = _gen2_name(source_path), True
            controller, location = _slot(index)
            disks.append(
                Disk(
                    source_controller_type=_text(r, "controller_type"),
                    source_controller_number=_int(r, "controller_number"),
                    source_controller_location=_int(r, "controller_location"),
                    source_path=source_path,
                    controller_number=controller,
                    controller_location=location,
                    is_boot=boot,
                    path=None if number is not None else target,
                    convert_from_vhd=convert,
                    disk_number=number,
                    shared=_bool(r, "shared"),
                    vhd_format=fmt,
                    vhd_type=_text(r, "vhd_type"),
                    qos_min_iops=_int(r, "qos_min_iops"),
                    qos_max_iops=_int(r, "qos_max_iops"),
                )
            )
        return tuple(disks)

    def _dvds(self, key: str, inv: Mapping[str, Any], used: int) -> tuple[DvdDrive, ...] | None:
        rows = self.dvds.get(key)
        if not rows and not _bool(inv, "dvd_drives_listed"):
            return None
        drives: list[DvdDrive] = []
        for r in rows:
            iso = _text(r, "path")
            if _text(r, "media_type") != "ISO" or not iso:
                continue  # physical and empty drives are not carried (DEV004 says what to do)
            controller, location = _slot(used + len(drives))
            drives.append(
                DvdDrive(
                    source_controller_type=_text(r, "controller_type"),
                    source_controller_number=_int(r, "controller_number"),
                    source_controller_location=_int(r, "controller_location"),
                    path=iso,
                    controller_number=controller,
                    controller_location=location,
                )
            )
        return tuple(drives)

    def _cluster(self, inv: Mapping[str, Any], base: Mapping[str, Any]) -> Cluster | None:
        if not _bool(inv, "is_clustered"):
            return None
        cluster = base["cluster"] or _text(inv, "cluster")
        owners = _names(_text(inv, "preferred_owners"))
        nodes = tuple(self.cluster_nodes.get((cluster or "").lower(), ()))
        possible = owners if owners else nodes or tuple(filter(None, [base["host"]]))
        return Cluster(
            cluster=cluster,
            group=_text(inv, "cluster_group"),
            preferred_owners=owners,
            possible_owners=tuple(possible),
        )

    def _firmware(
        self,
        row: Mapping[str, Any],
        base: Mapping[str, Any],
        cluster: Cluster | None,
        disks: tuple[Disk, ...] | None,
        dvds: tuple[DvdDrive, ...] | None,
    ) -> Firmware:
        support = _text(row, "secure_boot_support")
        if support == "yes":
            secure, template, why = (
                True,
                "MicrosoftWindows",
                "Windows guest: Microsoft Windows template",
            )
        elif support == "uefi-ca":
            secure, template, why = (
                True,
                "MicrosoftUEFICertificateAuthority",
                "Linux guest with Secure Boot support: Microsoft UEFI CA template",
            )
        elif support == "no":
            secure, template, why = False, None, "guest without Secure Boot support: off"
        else:
            secure, template, why = (
                False,
                None,
                "Secure Boot support of the guest unknown: off; turn it on once checked",
            )
        has_boot_disk = _bool(row, "has_boot_disk")
        if _bool(row, "boot_from_network"):
            first = "network"
        elif has_boot_disk or (disks and any(d.is_boot for d in disks)):
            first = "disk"
        elif dvds:
            first = "dvd"
        elif has_boot_disk is None:
            first = "disk"
        else:
            first = "none"
        vtpm, vtpm_reason = self._vtpm(base, cluster)
        return Firmware(secure, template, why, first, vtpm, vtpm_reason)

    def _vtpm(self, base: Mapping[str, Any], cluster: Cluster | None) -> tuple[bool, str]:
        if base["os_family"] != "windows":
            return False, "not a Windows guest: no vTPM"
        owners = cluster.possible_owners if cluster else tuple(filter(None, [base["host"]]))
        if not owners:
            return False, "the host is unknown: no vTPM"
        known = self.vtpm_by_owners.get(owners)  # the VMs of one cluster share their owners
        if known is None:
            known = self.vtpm_by_owners[owners] = self._vtpm_on(owners)
        return known

    def _vtpm_on(self, owners: tuple[str, ...]) -> tuple[bool, str]:
        """Whether every node in ``owners`` has a key protector, and why (or why not)."""
        missing, unknown = [], []
        for node in owners:
            host = self.hosts.get(node.lower())
            if host is None:
                unknown.append(node)
                continue
            nodes = _names(_text(host, "key_protector_nodes"))
            available = _bool(host, "key_protector_available")
            if nodes is not None:
                ok = node.lower() in {n.lower() for n in nodes}
            elif available is not None:
                ok = available
            else:
                unknown.append(node)
                continue
            if not ok:
                missing.append(node)
        if missing:
            return False, "no key protector on " + ", ".join(
                missing
            ) + ": no vTPM (it would not start there)"
        if unknown:
            return False, "key protector availability unknown on " + ", ".join(
                unknown
            ) + ": no vTPM"
        return True, "key protector available on every node that may run the VM: " + ", ".join(
            owners
        )


# --- helpers ---------------------------------------------------------------------------------


def _format_of(path: str | None) -> str | None:
    if not path:
        return None
    lower = path.lower()
    if lower.endswith(".vhdx") or lower.endswith(".avhdx"):
        return "VHDX"
    if lower.endswith(".vhd") or lower.endswith(".avhd"):
        return "VHD"
    return None


def _adapter(row: Mapping[str, Any], index: int) -> Adapter:
    mac = _text(row, "mac")
    if mac is not None:
        mac = mac.replace("-", "").replace(":", "").upper()
        if not mac.strip("0"):
            mac = None  # 000000000000: a dynamic MAC of a VM that has not run
    return Adapter(
        name=_text(row, "name") or f"Network Adapter {index + 1}",
        switch_name=_text(row, "switch_name"),
        mac=mac,
        mac_static=_bool(row, "mac_static"),
        was_legacy=_bool(row, "is_legacy"),
        adapter_id=_text(row, "adapter_id"),
        vlan_mode=_text(row, "vlan_mode"),
        vlan_id=_int(row, "vlan_id"),
        vlan_native=_int(row, "vlan_native"),
        vlan_allowed=_text(row, "vlan_allowed"),
        device_naming=_bool(row, "device_naming"),
        dhcp_guard=_bool(row, "dhcp_guard"),
        router_guard=_bool(row, "router_guard"),
        mac_spoofing=_bool(row, "mac_spoofing"),
        bandwidth_min=_int(row, "bandwidth_min"),
        bandwidth_min_weight=_int(row, "bandwidth_min_weight"),
        bandwidth_max=_int(row, "bandwidth_max"),
        port_mirroring=_text(row, "port_mirroring"),
        vlan_private_mode=_text(row, "vlan_private_mode"),
        vlan_primary=_int(row, "vlan_primary"),
        vlan_secondary=_text(row, "vlan_secondary"),
    )


def _settings(inv: Mapping[str, Any]) -> Settings:
    return Settings(
        processor_count=_int(inv, "processor_count"),
        processor_compat_migration=_bool(inv, "processor_compat_migration"),
        processor_reserve=_int(inv, "processor_reserve"),
        processor_limit=_int(inv, "processor_limit"),
        processor_weight=_int(inv, "processor_weight"),
        memory_startup_bytes=_int(inv, "memory_startup_bytes"),
        dynamic_memory=_bool(inv, "dynamic_memory"),
        memory_minimum_bytes=_int(inv, "memory_minimum_bytes"),
        memory_maximum_bytes=_int(inv, "memory_maximum_bytes"),
        memory_buffer=_int(inv, "memory_buffer"),
        memory_priority=_int(inv, "memory_priority"),
        automatic_start_action=_text(inv, "automatic_start_action"),
        automatic_start_delay=_int(inv, "automatic_start_delay"),
        automatic_stop_action=_text(inv, "automatic_stop_action"),
        checkpoint_type=_text(inv, "checkpoint_type"),
        smart_paging_path=_text(inv, "smart_paging_path"),
        config_path=_text(inv, "config_path"),
        notes=_text(inv, "notes"),
        data_exchange_enabled=_bool(inv, "data_exchange_enabled"),
    )


_OFFLINE_WINDOWS_10 = {"10.10240", "10.10586", "10.14393"}


def _guest_variant(path: str, row: Mapping[str, Any]) -> str:
    if path == "mbr2gpt":
        version = _text(row, "os_version_key") or ""
        client = _text(row, "os_distro") == "windows-client"
        return "mbr2gpt-offline" if client and version in _OFFLINE_WINDOWS_10 else "mbr2gpt-online"
    if path == "recapture":
        return "recapture"
    return "freebsd" if _text(row, "os_family") == "freebsd" else "linux"


#: What a file name part keeps: ``\w`` is exactly ``str.isalnum()`` plus ``_``.
_NOT_FILE_SAFE = re.compile(r"[^\w.\-]")


def _safe_file_part(text: str) -> str:
    cleaned = _NOT_FILE_SAFE.sub("_", text).strip("._")
    return cleaned[:80] or "vm"


def _file_stem(name: str, key: str = "", unique: bool = True) -> str:
    """The VM's file name stem; with the VM key when another VM of the host has the same."""
    stem = _safe_file_part(name)
    return stem if unique else f"{stem}-{_safe_file_part(key)[:8]}"


def _folder(base: Mapping[str, Any]) -> str:
    """One folder per host: the operator copies it to the host and runs the scripts there."""
    return _safe_file_part(base["host"] or "unknown-host")


#: Steps every plan of a kind shares, made once (a ``Step`` is immutable).
_REBUILD_STEPS = (
    Step(
        "manual",
        "rebuild",
        "Build a new Generation 2 VM with a supported guest OS",
        "the checklist",
    ),
    Step("manual", "rebuild", "Move the workload and its data", "application owner sign-off"),
    Step("manual", "rebuild", "Retire the Generation 1 VM after acceptance", "acceptance"),
)
_PREFLIGHT = Step(
    "host",
    "preflight",
    "Preflight: find the Generation 1 VM and check it against this plan",
    "VM found (by id), Generation 1, no checkpoints, devices as planned",
)
_EXPORT = Step(
    "host",
    "export",
    "Safety copy: export the Generation 1 VM (disks included)",
    "the export folder already holds this VM's copy: skipped",
)
_GUEST_FIRST = {
    variant: Step("guest", "guest-prepare", title, "the host script is run with -GuestPrepared")
    for variant, title in {
        "mbr2gpt-online": "Guest: MBR2GPT inside Windows (guest script)",
        "mbr2gpt-offline": "Guest: MBR2GPT offline from Windows PE 1703+ (guest script)",
        "linux": "Guest: EFI boot prepared inside Linux (guided guest script)",
        "freebsd": "Guest: EFI boot prepared inside FreeBSD (guided guest script)",
    }.items()
}
_STOP = Step("host", "stop", "Shut the Generation 1 VM down", "the VM is already off: skipped")
_RECAPTURE = Step(
    "guest",
    "guest-prepare",
    "Recapture the boot disk into a new GPT .vhdx (guest script, on the host, VM off)",
    "the host script is run with -GuestPrepared",
)
_CONVERT_VHD_RUNTIME = Step(
    "host",
    "convert-vhd-runtime",
    "Convert every .vhd disk of the VM into a new .vhdx (disks read at run time)",
    "each .vhdx exists and passes Test-VHD: skipped",
)
_PROCESSOR = Step(
    "host",
    "processor",
    "Processor: same count, compatibility, reserve, limit, weight",
    "re-applied until the new VM has started",
)
_MEMORY = Step(
    "host",
    "memory",
    "Memory: same startup and dynamic settings",
    "re-applied until the new VM has started",
)
_ADAPTERS_RUNTIME = Step(
    "host",
    "adapters-runtime",
    "Network adapters: every adapter of the Generation 1 VM (read at run time)",
    "an adapter with the same MAC exists: skipped",
)
_DISKS_RUNTIME = Step(
    "host",
    "disks-runtime",
    "Disks: every disk of the Generation 1 VM on SCSI, boot disk first (read at run time)",
    "the SCSI slot already holds the disk: skipped",
)
_DVDS_RUNTIME = Step(
    "host",
    "dvds-runtime",
    "DVD drives with an ISO, on SCSI (read at run time)",
    "a DVD drive with the ISO exists: skipped",
)
_FIRMWARE = Step(
    "host",
    "firmware",
    "Firmware: Secure Boot template by guest OS, first boot device",
    "re-applied until the new VM has started",
)
_VTPM = Step(
    "host",
    "vtpm",
    "vTPM: key protector, then Enable-VMTPM",
    "the vTPM is already on: skipped",
)
_SETTINGS = Step(
    "host",
    "settings",
    "Automatic start/stop, notes, checkpoint type, smart paging path",
    "re-applied until the new VM has started",
)
_INTEGRATION = Step(
    "host",
    "integration",
    "Integration services: each in the same state as on the Generation 1 VM",
    "re-applied until the new VM has started",
)
_CLUSTER = Step(
    "host",
    "cluster",
    "Cluster role: add the new VM with the same preferred owners",
    "the new VM is already clustered: skipped",
)
_VERIFY = Step(
    "host",
    "verify",
    "Check the new VM against this plan",
    "read only: generation, CPU, memory, adapters (MAC, switch), disks, firmware",
)
_GUEST_AFTER = Step(
    "guest",
    "guest-after",
    "Guest, first Generation 2 boot: resync WinRE, recreate BitLocker protectors",
    "guest script with -AfterGen2Boot",
)
_REPLICA = Step(
    "manual",
    "replica",
    "Enable Hyper-V Replica again once the new VM is accepted",
    "the acceptance check passed",
)


def _convert_vhd(index: int) -> Step:
    return Step(
        "host",
        "convert-vhd",
        f"Convert disk {index + 1} from VHD into a new VHDX file",
        "the .vhdx exists and passes Test-VHD: skipped",
        ref=index,
    )


def _adapter_step(index: int) -> Step:
    return Step(
        "host",
        "adapter",
        f"Network adapter {index + 1}: switch, MAC, VLAN, port settings",
        "an adapter with this MAC exists: only its settings are re-applied",
        ref=index,
    )


#: Per-device steps by index (the same for every VM with that many devices).
_CONVERT_VHD = [_convert_vhd(index) for index in range(SCSI_CONTROLLERS * SCSI_LOCATIONS)]
_ADAPTER = [_adapter_step(index) for index in range(16)]


def _rebuild_steps() -> tuple[Step, ...]:
    return _REBUILD_STEPS


def plan_steps(plan: VmPlan) -> Iterable[Step]:
    """The ordered steps of a convertible VM (conversion-and-landing order of operations)."""
    return _steps(
        plan.name,
        plan.kept_name,
        plan.guest_variant,
        plan.adapters,
        plan.disks,
        plan.dvd_drives,
        plan.firmware,
        plan.cluster_role,
        plan.replica,
        plan.not_carried,
    )


def _steps(
    name: str,
    kept: str | None,
    variant: str | None,
    adapters: tuple[Adapter, ...] | None,
    disks: tuple[Disk, ...] | None,
    dvds: tuple[DvdDrive, ...] | None,
    firmware: Firmware | None,
    cluster_role: Cluster | None,
    replica: Replica | None,
    not_carried: tuple[str, ...],
) -> tuple[Step, ...]:
    """``plan_steps`` from the parts of a plan, before the plan is made."""
    steps = [_PREFLIGHT, _EXPORT]
    if variant in ("mbr2gpt-online", "mbr2gpt-offline", "linux", "freebsd"):
        steps.append(_GUEST_FIRST[variant])
    steps.append(_STOP)
    if variant == "recapture":
        steps.append(_RECAPTURE)
    for index, disk in enumerate(disks or ()):
        if disk.convert_from_vhd:
            steps.append(_CONVERT_VHD[index] if index < len(_CONVERT_VHD) else _convert_vhd(index))
    if disks is None:
        steps.append(_CONVERT_VHD_RUNTIME)
    steps.append(
        Step(
            "host",
            "rename",
            f"Keep the Generation 1 VM: rename it to {kept}, no automatic start",
            f"already named {kept}: skipped",
        )
    )
    steps.append(
        Step(
            "host",
            "create",
            f"Create the Generation 2 VM {name}",
            "a Generation 2 VM with this name exists: skipped",
        )
    )
    steps += (_PROCESSOR, _MEMORY)
    if adapters is None:
        steps.append(_ADAPTERS_RUNTIME)
    for index in range(len(adapters or ())):
        steps.append(_ADAPTER[index] if index < len(_ADAPTER) else _adapter_step(index))
    if disks is None:
        steps.append(_DISKS_RUNTIME)
    for index, disk in enumerate(disks or ()):
        label = "boot disk" if disk.is_boot else f"disk {index + 1}"
        steps.append(
            Step(
                "host",
                "disk",
                f"Attach the {label} at SCSI {disk.controller_number}:{disk.controller_location}",
                "the slot already holds this disk: skipped",
                ref=index,
            )
        )
    if dvds is None:
        steps.append(_DVDS_RUNTIME)
    for index, dvd in enumerate(dvds or ()):
        steps.append(
            Step(
                "host",
                "dvd",
                f"ISO on a SCSI DVD drive at {dvd.controller_number}:{dvd.controller_location}",
                "the slot already holds a DVD drive: skipped",
                ref=index,
            )
        )
    steps.append(_FIRMWARE)
    if firmware is not None and firmware.vtpm:
        steps.append(_VTPM)
    steps += (_SETTINGS, _INTEGRATION)
    if cluster_role is not None:
        steps.append(_CLUSTER)
    steps.append(Step("host", "start", f"Start {name} (Generation 2)", "already running: skipped"))
    steps.append(_VERIFY)
    if variant in ("mbr2gpt-online", "mbr2gpt-offline"):
        steps.append(_GUEST_AFTER)
    if replica is not None:
        steps.append(_REPLICA)
    for index, text in enumerate(not_carried):
        steps.append(Step("manual", "finding", text, "before the conversion window", ref=index))
    steps.append(
        Step(
            "manual",
            "retire",
            f"After acceptance: retire {kept} and its safety copy (never done by the script)",
            "the application owner accepted the new VM",
        )
    )
    return tuple(steps)


def build_plan(assessment: Assessment, inventory: Inventory) -> Plan:
    with gc_paused():  # a few dataclasses per VM, no cycles among them
        return PlanBuilder(assessment, inventory).build()
