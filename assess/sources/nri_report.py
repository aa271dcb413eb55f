"""New Relic ``nri-hyperv-report`` JSON: host, VM, network adapter and disk samples.

VMs have no id (the adapters carry it, by VM name); disks name their VM in ``vmName``, but real
output puts the host name there, so a disk is kept only when its ``vmName`` is a VM of that host.
"""

from __future__ import annotations

import json
from typing import Any

from assess.model.diagnostics import InputError, RowWarning
from assess.model.inventory import Inventory, make_vm_key, synthetic_vm_id, table_from_rows
from assess.model.os_identity import OsNames
from assess.sources import SourceResult, table_files, text_files
from assess.sources.cell_values import (
    to_bool,
    to_config_version,
    to_count,
    to_generation,
    to_text,
    to_vhd_format,
    to_vhd_type,
    to_vm_state,
)
from assess.sources.field_bounds import clean_record

KIND = "nri-hyperv-report"
_NRI_MARKERS = ('"com.newrelic.hyperv', '"HypervVmSample"', '"HypervHostSample"')


def sniff(path: str, head: bytes) -> bool:
    if table_files.is_workbook(head):
        return False
    text = text_files.decode_head(head).lstrip("\ufeff \t\r\n")
    return text.startswith("{") and any(marker in text for marker in _NRI_MARKERS)


def load(path: str, os_names: OsNames | None = None) -> SourceResult:
    """The VMs of an nri-hyperv report (no guest OS names in it: ``os_names`` is unused)."""
    data = text_files.read_bytes(path)
    return _load_nri(path, text_files.decode(data, path))


def _samples(document: Any) -> list[tuple[int, dict[str, Any]]]:
    """``(entry index, metric sample)`` for every sample in the document."""
    found: list[tuple[int, dict[str, Any]]] = []
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        return found
    for index, entry in enumerate(document["data"]):
        metrics = entry.get("metrics") if isinstance(entry, dict) else None
        for sample in metrics if isinstance(metrics, list) else []:
            if isinstance(sample, dict):
                found.append((index, sample))
    return found


def _load_nri(path: str, text: str) -> SourceResult:
    try:
        document = json.loads(text.lstrip("\ufeff"))
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise InputError(path, f"not valid JSON: {reason}") from None
    warnings: list[RowWarning] = []

    def cleaned(column: str, message: str) -> None:
        warnings.append(RowWarning(path, None, column or None, message))

    try:
        document = clean_record(document, cleaned)
    except RecursionError:
        raise InputError(path, "not valid JSON: nested too deeply") from None
    samples = _samples(document)
    if not samples:
        raise InputError(path, "no samples in data[].metrics[]: not an nri-hyperv-report output")

    def read(sample: dict[str, Any], key: str, parser: Any, where: str) -> Any:
        value = sample.get(key)
        try:
            return parser(value)
        except (ValueError, TypeError) as exc:
            warnings.append(RowWarning(path, None, f"{where}.{key}", f"{exc}; left unknown"))
            return None

    by_type: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for index, sample in samples:
        by_type.setdefault(str(sample.get("event_type")), []).append((f"data[{index}]", sample))

    hosts = [
        {
            "host": read(s, "name", to_text, at),
            "cluster": read(s, "clusterName", to_text, at),
            "os_version": read(s, "osVersion", to_text, at),
            "source": f"{path}:{at}",
        }
        for at, s in by_type.get("HypervHostSample", [])
    ]
    nic_samples = by_type.get("HypervNetworkAdapterSample", [])
    ids: dict[Any, Any] = {}
    for _, nic in nic_samples:
        key = (str(nic.get("hypervisorHost", "")).lower(), str(nic.get("vmName", "")))
        if isinstance(nic.get("vmId"), str) and nic["vmId"].strip():
            ids.setdefault(key, nic["vmId"].strip())

    vms = []
    seen: set[str] = set()
    keys_by_name: dict[tuple[str, str], dict[str, Any]] = {}
    for at, s in by_type.get("HypervVmSample", []):
        name = read(s, "name", to_text, at)
        if name is None:
            warnings.append(RowWarning(path, None, f"{at}.name", "VM sample without a name"))
            continue
        host = read(s, "hypervisorHost", to_text, at)
        vm_id = ids.get(((host or "").lower(), name))
        vm_key = make_vm_key(vm_id) if vm_id else make_vm_key(synthetic_vm_id(host, name))
        if not vm_key or vm_key in seen:
            warnings.append(RowWarning(path, None, f"{at}.name", "VM listed twice; first kept"))
            continue
        seen.add(vm_key)
        row_keys = {"host": host, "vm_key": vm_key, "origin": path, "source": f"{path}:{at}"}
        checkpoints = read(s, "checkpointCount", to_count, at)
        if checkpoints is None and str(s.get("hasCheckpoint", "")).strip().lower() == "no":
            checkpoints = 0
        vms.append(
            {
                **row_keys,
                "vm_id": vm_id or synthetic_vm_id(host, name),
                "vm_id_synthetic": vm_id is None,
                "name": name,
                "cluster": read(s, "clusterName", to_text, at),
                "source_kind": KIND,
                "generation": read(s, "generation", to_generation, at),
                "config_version": read(s, "version", to_config_version, at),
                "state": read(s, "state", to_vm_state, at),
                "processor_count": read(s, "processorCount", to_count, at),
                "memory_startup_bytes": read(s, "mem.startup", to_count, at),
                "is_clustered": read(s, "isClustered", to_bool, at),
                "checkpoint_count": checkpoints,
                "integration_services_version": read(s, "integrationServicesVersion", to_text, at),
            }
        )
        keys_by_name[((host or "").lower(), name)] = row_keys

    nics = []
    for at, s in nic_samples:
        owner = keys_by_name.get((str(s.get("hypervisorHost", "")).lower(), str(s.get("vmName"))))
        if owner is None:
            continue
        kind = str(s.get("type", "")).strip().lower()
        nics.append(
            {
                **owner,
                "source": f"{path}:{at}",
                "name": read(s, "name", to_text, at),
                "is_legacy": {"legacy": True, "emulated": True, "synthetic": False}.get(kind),
                "switch_name": read(s, "switchName", to_text, at),
                "mac": read(s, "macAddress", to_text, at),
            }
        )

    disks = []
    orphans = 0
    for at, s in by_type.get("HypervVmDiskSample", []):
        owner = keys_by_name.get((str(s.get("hypervisorHost", "")).lower(), str(s.get("vmName"))))
        if owner is None or s.get("attached") is False:
            orphans += 1
            continue
        disks.append(
            {
                **owner,
                "source": f"{path}:{at}",
                "path": read(s, "path", to_text, at),
                "vhd_format": read(s, "format", to_vhd_format, at),
                "vhd_type": read(s, "type", to_vhd_type, at),
                "size_bytes": read(s, "size.max", to_count, at),
                "file_size_bytes": read(s, "size.used", to_count, at),
            }
        )
    if orphans:
        warnings.append(
            RowWarning(
                path,
                None,
                None,
                f"{orphans} disk sample(s) not tied to a VM of their host (vmName names no "
                "VM, or the disk is not attached); left out",
            )
        )
    frames = {
        "hosts": table_from_rows("hosts", hosts),
        "vms": table_from_rows("vms", vms),
        "nics": table_from_rows("nics", nics),
        "disks": table_from_rows("disks", disks),
    }
    return SourceResult(
        path=path,
        kind=KIND,
        inventory=Inventory.from_frames(frames),
        warnings=warnings,
        rows_read=len(samples),
    )
