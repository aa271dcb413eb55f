"""The inventory: the contract between sources and facts.

Every source (template CSV/XLSX, raw Get-VM export, collector records, live scan) produces
the same tables, as pandas DataFrames with the columns and dtypes declared here. A value a
source does not know is NA, never a guessed default; enum values are already normalised
(``IDE``/``SCSI``, ``VHD``/``VHDX``, ``Running``/``Off``...). Sources store what the input
says; deriving anything (the boot disk, the guest OS family) is the job of ``facts``.

Rows of the ``vms`` table are keyed by ``vm_key`` (the VM id in lower case: Hyper-V ids are
GUIDs, unique across hosts); every detail row carries the same key. A source that has no VM id
makes a stable synthetic one from host and name.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import pandas as pd

# Dtype objects, not their names: pandas looks a name up in its dtype registry on every
# use (a tenth of the time to assess a small inventory went to those lookups). Each still
# equals its name (``STRING == "string"``) and prints as it.
STRING = pd.StringDtype()
INT = pd.Int64Dtype()
FLOAT = pd.Float64Dtype()
BOOL = pd.BooleanDtype()

#: Columns every VM-level table shares: which VM the row belongs to and where it came from
#: (``origin`` is the input file or the scanned host; ``source`` adds the line).
_ROW_KEYS = {"host": STRING, "vm_key": STRING, "origin": STRING, "source": STRING}

SCHEMA: dict[str, dict[str, str]] = {
    "hosts": {
        "host": STRING,
        "cluster": STRING,
        "fqdn": STRING,
        "os_caption": STRING,
        "os_version": STRING,
        "os_build": STRING,
        "ps_version": STRING,
        "supported_vm_versions": STRING,  # ";"-joined, e.g. "5.0;8.0;9.0"
        "collected_at": STRING,  # ISO 8601 as reported
        "status": STRING,  # collection status, see assess.scan
        "reason": STRING,
        "vm_count": INT,
        "source": STRING,
        # Whether a key protector for a vTPM can be made on this host (a Host Guardian
        # Service guardian exists); NA when unknown or not collected.
        "key_protector_available": BOOL,
        # ";"-joined hosts of this host's cluster (itself when not clustered) that reported
        # key_protector_available = True; combined across the inputs of one run.
        "key_protector_nodes": STRING,
        # ";"-joined node names of the cluster as this host reported them (NA when not a
        # cluster node): with key_protector_nodes it tells whether every node was seen.
        "cluster_nodes": STRING,
    },
    "vms": {
        **_ROW_KEYS,
        "vm_id": STRING,
        "vm_id_synthetic": BOOL,
        "name": STRING,
        "cluster": STRING,
        "source_kind": STRING,  # the KIND of the source module that read it
        # Where the VM runs today: hyper-v | vmware | physical (NA: a Hyper-V inventory).
        "source_platform": STRING,
        "firmware": STRING,  # bios | efi, as the source platform reports it
        "datacenter": STRING,
        "hardware_version": STRING,  # VMware virtual hardware, e.g. "19" (vmx-19)
        "ip_addresses": STRING,  # ";"-joined
        "usb_device_count": INT,
        "independent_disk_count": INT,
        "generation": INT,
        "config_version": STRING,
        "state": STRING,
        "processor_count": INT,
        "memory_startup_bytes": INT,
        "dynamic_memory": BOOL,
        "notes": STRING,
        "is_clustered": BOOL,
        "replication_state": STRING,
        "creation_time": STRING,
        "parent_checkpoint_id": STRING,
        "checkpoint_count": INT,
        "checkpoint_types": STRING,
        # ";"-joined BIOS startup order, e.g. "CD;IDE;LegacyNetworkAdapter;Floppy"
        "boot_order": STRING,
        "secure_boot": BOOL,
        "secure_boot_template": STRING,
        "remotefx_3d_count": INT,
        # Guest facts as reported (KVP from the collector, or typed into an inventory).
        "os_name": STRING,
        "os_version": STRING,
        "os_major": STRING,
        "os_minor": STRING,
        "os_build": STRING,
        "os_product_type": STRING,
        "os_architecture": STRING,  # raw: "9", "x86_64", "64-bit", ...
        "integration_services_version": STRING,
        "data_exchange_enabled": BOOL,
        "guest_fqdn": STRING,
        # One-row-per-VM inventories state these directly; detail tables are empty then.
        "boot_controller": STRING,
        "boot_disk_path": STRING,
        "boot_disk_format": STRING,  # VHD | VHDX | PassThrough
        "boot_disk_type": STRING,  # Fixed | Dynamic | Differencing
        "partition_style": STRING,  # MBR | GPT
        "legacy_nic_count": INT,
        "pxe_boot": BOOL,
        "floppy_media": BOOL,
        "com_port_count": INT,
        "dvd_media": STRING,  # ISO | Physical | None
        "shared_disk_count": INT,
        "passthrough_disk_count": INT,
        "ide_data_disk_count": INT,
        "vhd_data_disk_count": INT,
        "host_os": STRING,  # the host's OS as a one-row-per-VM inventory states it
        # Whether the detail table lists this VM's devices completely (collector records).
        "disks_listed": BOOL,
        "nics_listed": BOOL,
        "floppies_listed": BOOL,
        "com_ports_listed": BOOL,
        "dvd_drives_listed": BOOL,
        "integration_services_listed": BOOL,
        # What a faithful rebuild must carry over (collector records, schema 2).
        "processor_compat_migration": BOOL,
        "processor_reserve": INT,  # percent
        "processor_limit": INT,  # percent (Get-VMProcessor Maximum)
        "processor_weight": INT,  # RelativeWeight
        "memory_minimum_bytes": INT,
        "memory_maximum_bytes": INT,
        "memory_buffer": INT,  # percent
        "memory_priority": INT,  # Get-VMMemory Priority (weight)
        "automatic_start_action": STRING,  # Nothing | StartIfRunning | Start
        "automatic_stop_action": STRING,  # TurnOff | Save | ShutDown
        "automatic_start_delay": INT,  # seconds
        "checkpoint_type": STRING,  # Disabled | Production | ProductionOnly | Standard
        "smart_paging_path": STRING,
        "config_path": STRING,
        "cluster_group": STRING,
        "preferred_owners": STRING,  # ";"-joined node names, in preference order
        "vtpm_enabled": BOOL,
        "replication_primary_server": STRING,
        "replication_replica_server": STRING,
        "replication_frequency": INT,  # seconds
    },
    "disks": {
        **_ROW_KEYS,
        "controller_type": STRING,  # IDE | SCSI (VMware also SATA | NVMe)
        "controller_number": INT,
        "controller_location": INT,
        "path": STRING,
        "label": STRING,  # VMware "Hard disk 1": the first is the boot disk
        "disk_number": INT,  # set only for pass-through disks
        "raw_mapping": BOOL,  # VMware raw device mapping (no VMDK)
        "disk_mode": STRING,  # VMware: persistent | independent_persistent | ...
        "shared": BOOL,
        "vhd_format": STRING,  # VHD | VHDX | VHDSet (VMware: VMDK)
        "vhd_type": STRING,  # Fixed | Dynamic | Differencing
        "size_bytes": INT,
        "file_size_bytes": INT,
        "parent_path": STRING,
        "qos_min_iops": INT,
        "qos_max_iops": INT,
    },
    "nics": {
        **_ROW_KEYS,
        "name": STRING,
        "is_legacy": BOOL,
        "switch_name": STRING,
        "mac": STRING,
        "adapter_id": STRING,  # Get-VMNetworkAdapter Id, e.g. Microsoft:<vm id>\<adapter id>
        "mac_static": BOOL,  # not DynamicMacAddressEnabled
        "vlan_mode": STRING,  # Untagged | Access | Trunk | Private
        "vlan_id": INT,  # access VLAN id
        "vlan_allowed": STRING,  # trunk: allowed VLAN id list as written, e.g. "10,20-30"
        "vlan_native": INT,  # trunk: native VLAN id
        "vlan_private_mode": STRING,  # private: Isolated | Community | Promiscuous
        "vlan_primary": INT,  # private: primary VLAN id
        "vlan_secondary": STRING,  # private: secondary VLAN id(s), e.g. "200" or "201-205"
        "device_naming": BOOL,
        "dhcp_guard": BOOL,
        "router_guard": BOOL,
        "mac_spoofing": BOOL,
        "bandwidth_min": INT,  # MinimumBandwidthAbsolute, bits per second
        "bandwidth_min_weight": INT,  # MinimumBandwidthWeight, 0-100 (switch in weight mode)
        "bandwidth_max": INT,  # MaximumBandwidth, bits per second
        "port_mirroring": STRING,  # None | Destination | Source
    },
    "dvd_drives": {
        **_ROW_KEYS,
        "controller_type": STRING,
        "controller_number": INT,
        "path": STRING,
        "media_type": STRING,  # ISO | Physical | None
        "controller_location": INT,
    },
    "com_ports": {**_ROW_KEYS, "name": STRING, "path": STRING},
    # Each integration service and whether it is enabled (collector records), so a rebuild
    # can mirror them one by one.
    "integration_services": {**_ROW_KEYS, "name": STRING, "enabled": BOOL},
    "floppies": {**_ROW_KEYS, "path": STRING},
    "collection_errors": {**_ROW_KEYS, "what": STRING, "message": STRING},
}

TABLE_NAMES: tuple[str, ...] = tuple(SCHEMA)


def empty_table(name: str) -> pd.DataFrame:
    """An empty table with the declared columns and dtypes (a copy: callers may change it)."""
    return _empty_tables()[name].copy()


@functools.cache
def _empty_tables() -> dict[str, pd.DataFrame]:
    # Building a typed empty frame costs ~10 ms for the VM table (one Series per column);
    # copying a built one costs a thirtieth of that, and every source and test makes many.
    return {
        name: pd.DataFrame({col: pd.Series(dtype=dtype) for col, dtype in columns.items()})
        for name, columns in SCHEMA.items()
    }


def table_from_rows(name: str, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build a table from row dicts; unknown keys are dropped, missing ones become NA."""
    columns = SCHEMA[name]
    rows = list(rows)
    if not rows:
        return empty_table(name)
    names = list(columns)
    pick = itemgetter(*names)  # a tuple per row, taken in C (every table has 2+ columns)
    try:
        picked = list(map(pick, rows))
    except KeyError:  # some row lacks a column: NA there
        blank = dict.fromkeys(names)
        picked = [pick({**blank, **row}) for row in rows]
    data = zip(names, zip(*picked, strict=True), strict=True)
    return pd.DataFrame({col: pd.array(list(values), dtype=columns[col]) for col, values in data})


def coerce_table(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Give a frame exactly the declared columns (missing ones NA) and dtypes."""
    columns = SCHEMA[name]
    out = {}
    for col, dtype in columns.items():
        if col in frame.columns:
            out[col] = frame[col].astype(dtype)
        else:
            out[col] = pd.Series(pd.NA, index=frame.index, dtype=dtype)
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def with_key_protector_nodes(hosts: pd.DataFrame) -> pd.DataFrame:
    """Fill ``key_protector_nodes``: per cluster (a host outside a cluster stands alone), the
    hosts that reported ``key_protector_available``, ";"-joined in name order.

    Each host can only judge itself, so the list covers the hosts present in the inputs;
    compare it with ``cluster_nodes`` to see whether every node was collected. ``""`` means
    no host of the group has a key protector; NA that none of them said.
    """
    if not len(hosts):
        return hosts
    group = hosts["cluster"].str.lower().fillna("\0host:" + hosts["host"].str.lower())
    nodes: dict[Any, str | None] = {}
    for key, part in hosts.groupby(group, dropna=False, sort=False):
        available = part["key_protector_available"]
        if available.isna().all():
            nodes[key] = None
            continue
        names = part.loc[available.fillna(False).astype(bool), "host"].dropna()
        nodes[key] = ";".join(sorted(set(names), key=str.lower))
    out = hosts.copy()
    out["key_protector_nodes"] = pd.array([nodes.get(k) for k in group], dtype=STRING)
    return out


def synthetic_vm_id(host: str | None, name: str | None) -> str:
    """A stable id for a VM whose inventory has no id: the same host and name give the same id."""
    digest = hashlib.sha1(f"{(host or '').lower()}\0{name or ''}".encode()).hexdigest()
    return f"name-{digest[:16]}"


def make_vm_key(vm_id: str) -> str:
    return vm_id.strip().strip("{}").lower()


@dataclass
class Inventory:
    """All tables of one or more sources."""

    tables: dict[str, pd.DataFrame] = field(
        default_factory=lambda: {name: empty_table(name) for name in TABLE_NAMES}
    )

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def vms(self) -> pd.DataFrame:
        return self.tables["vms"]

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame]) -> Inventory:
        return cls(
            {
                name: coerce_table(name, frames[name]) if name in frames else empty_table(name)
                for name in TABLE_NAMES
            }
        )

    @classmethod
    def concat(cls, parts: Iterable[Inventory]) -> Inventory:
        """Join inventories. A VM seen twice (two nodes of a cluster reporting the same VM, or
        the same file given twice) is kept once: the first input that listed it wins, with
        its detail rows."""
        parts = list(parts)
        tables = {}
        for name in TABLE_NAMES:
            frames = [p.tables[name] for p in parts if len(p.tables[name])]
            tables[name] = pd.concat(frames, ignore_index=True) if frames else empty_table(name)
        inventory = cls(tables).deduplicated()
        inventory.tables["hosts"] = with_key_protector_nodes(inventory.tables["hosts"])
        return inventory

    def deduplicated(self) -> Inventory:
        vms = self.tables["vms"]
        hosts = self.tables["hosts"]
        if not vms["vm_key"].duplicated().any() and not hosts["host"].duplicated().any():
            return self
        kept = vms.drop_duplicates(subset="vm_key", keep="first").reset_index(drop=True)
        owner = pd.Series(kept["origin"].to_numpy(), index=kept["vm_key"].to_numpy())
        tables = {
            "vms": kept,
            "hosts": hosts.drop_duplicates(subset="host", keep="first").reset_index(drop=True),
        }
        for name in TABLE_NAMES:
            if name in tables:
                continue
            frame = self.tables[name]
            belongs = frame["vm_key"].map(owner)
            keep = frame["vm_key"].isna() | (frame["origin"] == belongs).fillna(False)
            tables[name] = frame[keep].reset_index(drop=True)
        return Inventory(tables)
