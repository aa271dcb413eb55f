"""Shared helpers for the plan tests: a small estate built in code, and what to look for in
a parsed PowerShell tree."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd
from tree_sitter import Node, Tree

from assess.model.assessment import Assessment
from assess.model.inventory import Inventory, table_from_rows
from assess.plan.builder import build_plan
from assess.plan.model import Plan
from tests.powershell_tree import walk

GENERATED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

#: Facts the builder reads, per conversion path, for a convertible VM.
PATH_FACTS = {
    "mbr2gpt": {
        "os_display": "Windows Server 2019",
        "os_family": "windows",
        "os_distro": "windows-server",
        "os_version_key": "2019",
        "secure_boot_support": "yes",
    },
    "recapture": {
        "os_display": "Windows Server 2016",
        "os_family": "windows",
        "os_distro": "windows-server",
        "os_version_key": "2016",
        "secure_boot_support": "yes",
    },
    "linux-efi": {
        "os_display": "Ubuntu 22.04",
        "os_family": "linux",
        "os_distro": "ubuntu",
        "os_version_key": "22.04",
        "secure_boot_support": "uefi-ca",
    },
}


def vm_row(key: str, name: str, host: str = "HV01", **extra: Any) -> dict[str, Any]:
    row = {
        "host": host,
        "vm_key": key,
        "vm_id": key.upper(),
        "vm_id_synthetic": False,
        "name": name,
        "generation": 1,
        "origin": "fixture",
        "source": "fixture",
        "source_kind": "collector",
        "nics_listed": True,
        "disks_listed": True,
        "dvd_drives_listed": True,
    }
    row.update(extra)
    return row


def assessment_for(
    vms: list[dict[str, Any]], verdicts: dict[str, tuple[str, str]], facts: dict[str, dict]
) -> Assessment:
    """An assessment whose VM rows carry what the builder reads: verdict, path, facts."""
    rows = []
    for vm in vms:
        verdict, path = verdicts[vm["vm_key"]]
        row = {
            "vm_key": vm["vm_key"],
            "host": vm.get("host"),
            "cluster": vm.get("cluster"),
            "name": vm["name"],
            "vm_id": vm.get("vm_id"),
            "verdict": verdict,
            "conversion_path": path,
            "finding_ids": "BOOT001 BOOT003",
            "unknown_rules": "",
            **PATH_FACTS.get(path, {}),
            "has_boot_disk": True,
            "boot_disk_controller": "IDE",
            "boot_disk_location": "0:0",
            "boot_from_network": False,
            "replication_enabled": False,
        }
        row.update(facts.get(vm["vm_key"], {}))
        rows.append(row)
    frame = pd.DataFrame(rows)
    empty = pd.DataFrame()
    return Assessment(
        generated_at=GENERATED,
        inputs=[],
        vms=frame,
        findings=empty,
        rules=empty,
        hosts=empty,
        data_gaps=empty,
    )


def inventory_of(tables: dict[str, list[dict[str, Any]]]) -> Inventory:
    return Inventory.from_frames(
        {name: table_from_rows(name, rows) for name, rows in tables.items()}
    )


def plan_for(
    tables: dict[str, list[dict[str, Any]]],
    verdicts: dict[str, tuple[str, str]],
    facts: dict[str, dict] | None = None,
) -> Plan:
    return build_plan(assessment_for(tables["vms"], verdicts, facts or {}), inventory_of(tables))


def sql_estate(name: str = "SQL01", switch: str = "vSwitch-Prod", notes: str = "ERP") -> dict:
    """One clustered VM with two adapters, an IDE boot disk, a VHD data disk and an ISO."""
    key = "2089973a-7095-521a-84c1-711c7e7a6973"
    return {
        "vms": [
            vm_row(
                key,
                name,
                cluster="CL01",
                is_clustered=True,
                processor_count=4,
                memory_startup_bytes=8 * 2**30,
                dynamic_memory=False,
                notes=notes,
            )
        ],
        "nics": [
            {
                "vm_key": key,
                "host": "HV01",
                "name": "LAN",
                "switch_name": switch,
                "mac": "00155D01AA01",
            },
            {
                "vm_key": key,
                "host": "HV01",
                "name": "Legacy",
                "is_legacy": True,
                "switch_name": switch,
                "mac": "00155D01AA02",
            },
        ],
        "disks": [
            {
                "vm_key": key,
                "host": "HV01",
                "controller_type": "IDE",
                "controller_number": 0,
                "controller_location": 0,
                "path": f"C:\\VMs\\{name}\\os.vhdx",
                "vhd_format": "VHDX",
            },
            {
                "vm_key": key,
                "host": "HV01",
                "controller_type": "SCSI",
                "controller_number": 0,
                "controller_location": 0,
                "path": f"C:\\VMs\\{name}\\data.vhd",
                "vhd_format": "VHD",
            },
        ],
        "dvd_drives": [
            {
                "vm_key": key,
                "host": "HV01",
                "controller_type": "IDE",
                "controller_number": 1,
                "path": f"C:\\ISO\\{name}.iso",
                "media_type": "ISO",
            }
        ],
        "hosts": [
            {"host": "HV01", "cluster": "CL01"},
            {"host": "HV02", "cluster": "CL01"},
        ],
    }


# --- PowerShell parsing ------------------------------------------------------------------------


def text_of(node: Node) -> str:
    return node.text.decode("utf-8")


def error_nodes(tree: Tree) -> list[Node]:
    if not tree.root_node.has_error:  # tree-sitter's own flag: no ERROR or MISSING node below
        return []
    return [n for n in walk(tree.root_node) if n.type == "ERROR" or n.is_missing]


def command_name(command: Node) -> str | None:
    for child in command.children:
        if child.type == "command_name":
            return text_of(child)
        if child.type == "command_name_expr":
            return text_of(child)
    return None


@cache  # the trees checked are themselves cached, and each is read by several tests
def commands(tree: Tree) -> list[tuple[str, Node]]:
    found = []
    for node in walk(tree.root_node):
        if node.type == "command":
            name = command_name(node)
            if name is not None:
                found.append((name, node))
    return found


def arguments(command: Node) -> list[Node]:
    elements = [c for c in command.children if c.type == "command_elements"]
    if not elements:
        return []
    return [c for c in elements[0].children if c.type != "command_argument_sep"]


def parameters(command: Node) -> list[str]:
    return [text_of(a).rstrip(":") for a in arguments(command) if a.type == "command_parameter"]


def defined_functions(tree: Tree) -> set[str]:
    names = set()
    for node in walk(tree.root_node):
        if node.type == "function_statement":
            name = next(c for c in node.children if c.type == "function_name")
            names.add(text_of(name).lower())
    return names


@cache
def allowlist() -> dict[str, Any]:
    return tomllib.loads((resources.files("assess.plan") / "allowlist.toml").read_text("utf-8"))
