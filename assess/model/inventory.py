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

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

STRING = "string"
INT = "Int64"
FLOAT = "Float64"
BOOL = "boolean"

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
    },
    "vms": {
        **_ROW_KEYS,
        "vm_id": STRING,
        "vm_id_synthetic": BOOL,
        "name": STRING,
        "cluster": STRING,
        "source_kind": STRING,  # the KIND of the source module that read it
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
    },
    "disks": {
        **_ROW_KEYS,
        "controller_type": STRING,  # IDE | SCSI
        "controller_number": INT,
        "controller_location": INT,
        "path": STRING,
        "disk_number": INT,  # set only for pass-through disks
        "shared": BOOL,
        "vhd_format": STRING,  # VHD | VHDX | VHDSet
        "vhd_type": STRING,  # Fixed | Dynamic | Differencing
        "size_bytes": INT,
        "file_size_bytes": INT,
        "parent_path": STRING,
    },
    "nics": {
        **_ROW_KEYS,
        "name": STRING,
        "is_legacy": BOOL,
        "switch_name": STRING,
        "mac": STRING,
    },
    "dvd_drives": {
        **_ROW_KEYS,
        "controller_type": STRING,
        "controller_number": INT,
        "path": STRING,
        "media_type": STRING,  # ISO | Physical | None
    },
    "com_ports": {**_ROW_KEYS, "name": STRING, "path": STRING},
    "floppies": {**_ROW_KEYS, "path": STRING},
    "collection_errors": {**_ROW_KEYS, "what": STRING, "message": STRING},
}

TABLE_NAMES: tuple[str, ...] = tuple(SCHEMA)


def empty_table(name: str) -> pd.DataFrame:
    """An empty table with the declared columns and dtypes."""
    return pd.DataFrame({col: pd.Series(dtype=dtype) for col, dtype in SCHEMA[name].items()})


def table_from_rows(name: str, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build a table from row dicts; unknown keys are dropped, missing ones become NA."""
    columns = SCHEMA[name]
    rows = list(rows)
    if not rows:
        return empty_table(name)
    data = {col: [row.get(col) for row in rows] for col in columns}
    return pd.DataFrame({col: pd.array(data[col], dtype=columns[col]) for col in columns})


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
        return cls(tables).deduplicated()

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
