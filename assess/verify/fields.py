"""What ``assess verify`` compares, as data: one ``FieldSpec`` per inventory column.

A spec names the table and column, the key group it belongs to, how BEFORE and AFTER are
compared and when a change is expected:

``SAME``
    the value must be carried over; a change is unexpected unless ``expected`` gives a
    reason (for example IDE -> SCSI, VHD -> VHDX, a legacy adapter made synthetic).
``NOT_LESS``
    less is unexpected (fewer processors, less memory, a smaller disk); more is listed as
    an expected difference (nothing was lost).
``TARGET``
    AFTER is checked against what the conversion intends (Generation 2, the planned Secure
    Boot template, vTPM, the rollback VM switched off); BEFORE is shown for reference.

A value missing on either side (an older collector, a spreadsheet inventory, a section the
collector could not read) is never compared: it is listed as "not compared: no data".
Columns that an inventory does not have at all are treated the same way, so records from
older collectors are read without error.

Rebuild facts (what must be carried over, the Secure Boot template per guest): the domain
notes, "Conversion runbooks" sections 1.2 and 1.3.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from assess.model.os_identity import GUEST_COLUMNS, OsNames, identify_guest

SAME, NOT_LESS, TARGET = "same", "not-less", "target"

#: Key groups, in report order. A VM whose *essential* group could not be compared at all
#: (no data on either side) is not fully verified: the run exits 3 unless something
#: unexpected was found.
GROUPS: tuple[str, ...] = (
    "identity",
    "configuration",
    "rollback",
    "processor",
    "memory",
    "network",
    "storage",
    "firmware",
    "devices",
    "automatic actions",
    "checkpoints",
    "cluster",
    "replication",
    "integration",
    "notes",
)
ESSENTIAL_GROUPS: frozenset[str] = frozenset(
    {"identity", "rollback", "processor", "memory", "network", "storage"}
)

Row = Mapping[str, Any]


@dataclass(frozen=True)
class PlannedTarget:
    """What the plan intends for the new VM; None where the plan does not say."""

    new_name: str | None = None
    kept_name: str | None = None  # the old VM's name after the window
    secure_boot: bool | None = None
    secure_boot_template: str | None = None
    vtpm: bool | None = None
    path: str | None = None  # conversion path: mbr2gpt | recapture | linux-efi | rebuild ...


@dataclass(frozen=True)
class Context:
    """One compared item (the VM, or one adapter or disk of it) with its VM around it."""

    before: Row  # the item in BEFORE (the old VM's row, or one of its adapters/disks)
    after: Row  # the item in AFTER (the new VM's row, or its adapter/disk)
    vm_before: Row  # the old VM's ``vms`` row
    vm_after: Row  # the new VM's ``vms`` row
    plan: PlannedTarget | None = None
    matched_by: str = ""  # how an adapter or disk pair was found
    boot_pair: bool = False  # the disks both VMs boot from (first in slot order)
    rank_kept: bool | None = None  # disks: relative order among paired disks unchanged
    #: The guest OS names in use (built-in plus ``--rules`` folders); None: the built-in.
    os_names: OsNames | None = None


#: ``(before, after, context) -> reason`` when the change is expected, else None.
Expectation = Callable[[Any, Any, Context], str | None]
#: ``(after, context) -> (accepted, reason)``; ``None`` when there is nothing to check.
Target = Callable[[Any, Context], tuple[bool, str] | None]


@dataclass(frozen=True)
class FieldSpec:
    table: str  # vms | nics | disks
    column: str
    group: str
    how: str  # SAME | NOT_LESS | TARGET
    why: str = ""  # the reason given for an unexpected difference
    expected: Expectation | None = None
    target: Target | None = None
    applies: Callable[[Context], bool] | None = None  # compared only when this holds
    normalize: Callable[[Any], Any] | None = None  # applied to both sides before comparing
    #: Nothing on both sides means "not set" (no cluster, not a pass-through disk), not
    #: "no data".
    optional: bool = False
    #: Sources that always read this column: there a blank value is empty text, not unknown
    #: (the collector reads every VM's notes; blank notes come back as nothing).
    blank_is_empty_in: frozenset[str] = frozenset()


# -- value helpers ------------------------------------------------------------------------


def folded(value: Any) -> Any:
    """Text compared as Windows does for names and paths: case-insensitive, trimmed."""
    return value.strip().casefold() if isinstance(value, str) else value


def mac_key(value: Any) -> str | None:
    """``00-15-5D-10-A5-2E``, ``00:15:5d:10:a5:2e`` and ``00155D10A52E`` are one MAC."""
    if not isinstance(value, str):
        return None
    text = re.sub(r"[^0-9A-Fa-f]", "", value).upper()
    return text if text and set(text) != {"0"} else None


def file_name(path: Any) -> str:
    """The file name of a Windows or POSIX path."""
    return re.split(r"[\\/]", path.strip())[-1] if isinstance(path, str) else ""


def file_stem(path: Any) -> str:
    """The file name without its extension, case-folded: ``D:\\VMs\\SQL01.vhd`` -> ``sql01``."""
    name = file_name(path)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return stem.casefold()


#: The families whose Secure Boot needs are known; others (unsupported, other) are unknown.
_CHECKED_FAMILIES = frozenset({"windows", "linux", "freebsd"})


def guest_family(vm: Row, os_names: OsNames | None = None) -> str | None:
    """``windows``, ``linux``, ``freebsd`` or None (unknown: not checked), from what the VM
    reported about its guest OS, read as the facts read it (``identify_guest``, so ``verify``
    judges a guest as ``run`` and ``plan`` do) with ``os_names``: the names in use, the
    built-in ones plus those of ``--rules`` folders; the built-in ones when None.
    """
    # The columns are text (or None) in an inventory's rows: a cache key as they are.
    return _family(tuple(vm.get(column) for column in GUEST_COLUMNS), os_names)


@lru_cache(maxsize=4096)
def _family(values: tuple[Any, ...], os_names: OsNames | None) -> str | None:
    """One identification per distinct guest text (and names object: hashed by identity)."""
    family = identify_guest(values, os_names=os_names).family
    return family if family in _CHECKED_FAMILIES else None


WINDOWS_TEMPLATE = "MicrosoftWindows"
UEFI_CA_TEMPLATE = "MicrosoftUEFICertificateAuthority"


# -- expectations -------------------------------------------------------------------------


def _controller_moved(before: Any, after: Any, ctx: Context) -> str | None:
    if folded(before) == "ide" and folded(after) == "scsi":
        return "IDE -> SCSI: Generation 2 has no IDE controller"
    return None


def _vhd_to_vhdx(before: Any, after: Any, ctx: Context) -> str | None:
    if folded(before) == "vhd" and folded(after) == "vhdx":
        return "VHD converted to VHDX: Generation 2 does not boot from VHD"
    if ctx.boot_pair and _recapture(ctx):
        return "recapture writes a new boot disk"
    return None


def _vhd_type_changed(before: Any, after: Any, ctx: Context) -> str | None:
    if folded(before) == "differencing":
        return "differencing disk merged"
    if folded(ctx.before.get("vhd_format")) == "vhd" and folded(ctx.after.get("vhd_format")) == (
        "vhdx"
    ):
        return "disk type chosen when the VHD was converted to VHDX"
    if ctx.boot_pair and _recapture(ctx):
        return "recapture writes a new boot disk"
    return None


def _recapture(ctx: Context) -> bool:
    return ctx.plan is not None and folded(ctx.plan.path) == "recapture"


def _disk_path_changed(before: Any, after: Any, ctx: Context) -> str | None:
    b, a = folded(before), folded(after)
    if isinstance(b, str) and isinstance(a, str) and b.endswith(".vhd") and a == b + "x":
        return "same file converted from .vhd to .vhdx"
    if ctx.boot_pair and _recapture(ctx):
        return "recapture writes a new boot disk"
    return None


def _nic_name_changed(before: Any, after: Any, ctx: Context) -> str | None:
    if ctx.before.get("is_legacy") is True and ctx.after.get("is_legacy") is False:
        return "legacy adapter replaced by a synthetic one (new adapter name)"
    return None


def _legacy_replaced(before: Any, after: Any, ctx: Context) -> str | None:
    if before is True and after is False:
        if ctx.matched_by == "MAC":
            return "legacy adapter replaced by a synthetic one with the same MAC"
        # The MAC was not kept: the MAC difference says so; the replacement itself is right.
        return "legacy adapter replaced by a synthetic one"
    return None


def _mac_made_static(before: Any, after: Any, ctx: Context) -> str | None:
    if before is False and after is True:
        return "dynamic MAC copied as a static MAC so it survives the rebuild"
    return None


def _smart_paging_default(before: Any, after: Any, ctx: Context) -> str | None:
    """The smart paging folder defaults to the VM's configuration folder: it moves with it."""
    if folded(before) == folded(ctx.vm_before.get("config_path")) and folded(after) == folded(
        ctx.vm_after.get("config_path")
    ):
        return "default location (the VM's configuration folder)"
    return None


def _replica_later(before: Any, after: Any, ctx: Context) -> str | None:
    if after is None or folded(after) in ("disabled", ""):
        return "Replica is enabled again after verification"
    return None


def _config_version(before: Any, after: Any, ctx: Context) -> str | None:
    return "a new VM gets the configuration version it was created with"


def _remotefx_removed(before: Any, after: Any, ctx: Context) -> str | None:
    if isinstance(after, int) and after == 0:
        return "RemoteFX 3D adapter not carried over (it has no Generation 2 support)"
    return None


def _secure_boot_on(ctx: Context) -> bool:
    return ctx.vm_after.get("secure_boot") is True


def _dynamic_memory(ctx: Context) -> bool:
    return ctx.vm_before.get("dynamic_memory") is True


# -- targets ------------------------------------------------------------------------------


def _generation_2(after: Any, ctx: Context) -> tuple[bool, str]:
    if after == 2:
        return True, "Generation 1 -> 2: the conversion"
    return False, f"the new VM is Generation {after}, not 2"


def _wanted_secure_boot(ctx: Context) -> tuple[bool | None, str]:
    """Whether Secure Boot should be on, and on what authority."""
    if ctx.plan is not None and ctx.plan.secure_boot is not None:
        return ctx.plan.secure_boot, "the plan"
    family = guest_family(ctx.vm_before, ctx.os_names)
    if family == "windows":
        return True, "a Windows guest"
    if family == "freebsd":
        return False, "a FreeBSD guest"
    return None, f"guest OS {family or 'unknown'}"


def _secure_boot(after: Any, ctx: Context) -> tuple[bool, str]:
    wanted, authority = _wanted_secure_boot(ctx)
    state = "on" if after else "off"
    if wanted is None:
        return True, f"Secure Boot {state} ({authority}: on and off are both accepted)"
    if bool(after) == wanted:
        return True, f"Secure Boot {state}, as {authority} needs"
    return False, f"Secure Boot {state}; {authority} needs it {'on' if wanted else 'off'}"


def _template(after: Any, ctx: Context) -> tuple[bool, str]:
    if ctx.plan is not None and ctx.plan.secure_boot_template:
        wanted = ctx.plan.secure_boot_template
        if folded(after) == folded(wanted):
            return True, f"Secure Boot template {after}, as planned"
        return False, f"Secure Boot template {after}; the plan says {wanted}"
    family = guest_family(ctx.vm_before, ctx.os_names)
    needed = {"windows": WINDOWS_TEMPLATE, "linux": UEFI_CA_TEMPLATE}.get(family or "")
    if needed is None:
        return True, f"Secure Boot template {after} (guest OS unknown: not checked)"
    if folded(after) == folded(needed):
        return True, f"Secure Boot template {after} for a {family} guest"
    return False, f"Secure Boot template {after}; a {family} guest needs {needed}"


def _vtpm(after: Any, ctx: Context) -> tuple[bool, str]:
    state = "on" if after else "off"
    if ctx.plan is not None and ctx.plan.vtpm is not None:
        if bool(after) == ctx.plan.vtpm:
            return True, f"vTPM {state}, as planned"
        return False, f"vTPM {state}; the plan says {'on' if ctx.plan.vtpm else 'off'}"
    return True, f"vTPM {state} (no plan to check it against)"


def _rollback_off(after: Any, ctx: Context) -> tuple[bool, str]:
    if folded(after) == "off":
        return True, "rollback VM kept, switched off"
    return False, f"rollback VM running: the Generation 1 VM is {after}, it must stay off"


def _rollback_no_autostart(after: Any, ctx: Context) -> tuple[bool, str]:
    if folded(after) == "nothing":
        return True, "rollback VM does not start with the host"
    return False, (
        f"rollback VM starts with the host (automatic start action {after}): it would run "
        "next to the new VM with the same MAC"
    )


# -- the spec -----------------------------------------------------------------------------


def _vm(column: str, group: str, how: str = SAME, why: str = "", **extra: Any) -> FieldSpec:
    return FieldSpec("vms", column, group, how, why or f"{column} changed", **extra)


VM_FIELDS: tuple[FieldSpec, ...] = (
    _vm("generation", "identity", TARGET, target=_generation_2),
    _vm("config_version", "configuration", expected=_config_version),
    _vm("cluster", "cluster", why="moved to another cluster", normalize=folded, optional=True),
    _vm("is_clustered", "cluster", why="clustered role not carried over"),
    _vm("preferred_owners", "cluster", why="preferred owners changed", normalize=folded),
    _vm("processor_count", "processor", NOT_LESS, why="fewer processors"),
    _vm("processor_compat_migration", "processor", why="processor compatibility changed"),
    _vm("processor_reserve", "processor", why="processor reserve changed"),
    _vm("processor_limit", "processor", why="processor limit changed"),
    _vm("processor_weight", "processor", why="processor weight changed"),
    _vm("memory_startup_bytes", "memory", NOT_LESS, why="less memory"),
    _vm("dynamic_memory", "memory", why="dynamic memory switched"),
    _vm(
        "memory_minimum_bytes",
        "memory",
        why="dynamic memory minimum changed",
        applies=_dynamic_memory,
    ),
    _vm(
        "memory_maximum_bytes",
        "memory",
        why="dynamic memory maximum changed",
        applies=_dynamic_memory,
    ),
    _vm("memory_buffer", "memory", why="dynamic memory buffer changed", applies=_dynamic_memory),
    _vm("memory_priority", "memory", why="memory weight changed"),
    _vm("secure_boot", "firmware", TARGET, target=_secure_boot),
    _vm("secure_boot_template", "firmware", TARGET, target=_template, applies=_secure_boot_on),
    _vm("vtpm_enabled", "firmware", TARGET, target=_vtpm),
    _vm("remotefx_3d_count", "devices", why="RemoteFX 3D adapter", expected=_remotefx_removed),
    _vm("automatic_start_action", "automatic actions", why="automatic start action changed"),
    _vm("automatic_start_delay", "automatic actions", why="automatic start delay changed"),
    _vm("automatic_stop_action", "automatic actions", why="automatic stop action changed"),
    _vm("checkpoint_type", "checkpoints", why="checkpoint type changed"),
    _vm(
        "smart_paging_path",
        "checkpoints",
        why="smart paging file location changed",
        expected=_smart_paging_default,
        normalize=folded,
    ),
    _vm("replication_state", "replication", why="Replica state", expected=_replica_later),
    _vm(
        "replication_replica_server",
        "replication",
        why="Replica server changed",
        expected=_replica_later,
        normalize=folded,
    ),
    _vm(
        "replication_frequency",
        "replication",
        why="Replica frequency changed",
        expected=_replica_later,
    ),
    _vm("data_exchange_enabled", "integration", why="data exchange (KVP) service switched"),
    _vm("notes", "notes", why="notes changed", blank_is_empty_in=frozenset({"collector"})),
)

#: Checks on the old VM as AFTER has it: it is the way back.
ROLLBACK_FIELDS: tuple[FieldSpec, ...] = (
    _vm("state", "rollback", TARGET, target=_rollback_off),
    _vm("automatic_start_action", "rollback", TARGET, target=_rollback_no_autostart),
)


def _vlan_mode_in(*modes: str) -> Callable[[Context], bool]:
    """A VLAN detail matters in its modes; with the mode unknown it is listed as a gap."""

    def applies(ctx: Context) -> bool:
        sides = (folded(ctx.before.get("vlan_mode")), folded(ctx.after.get("vlan_mode")))
        return any(mode is None or mode in modes for mode in sides)

    return applies


def _nic(column: str, why: str, **extra: Any) -> FieldSpec:
    return FieldSpec("nics", column, "network", SAME, why, **extra)


NIC_FIELDS: tuple[FieldSpec, ...] = (
    _nic("mac", "MAC address changed", normalize=mac_key),
    _nic("is_legacy", "adapter type changed", expected=_legacy_replaced),
    _nic("name", "adapter renamed", expected=_nic_name_changed),
    _nic("switch_name", "switch changed", normalize=folded),
    _nic("mac_static", "static MAC no longer static", expected=_mac_made_static),
    _nic("vlan_mode", "VLAN mode changed", normalize=folded),
    _nic("vlan_id", "VLAN changed", applies=_vlan_mode_in("access")),
    _nic("vlan_native", "native VLAN changed", applies=_vlan_mode_in("trunk")),
    _nic("vlan_allowed", "allowed VLANs changed", normalize=folded, applies=_vlan_mode_in("trunk")),
    _nic("device_naming", "device naming changed"),
    _nic("dhcp_guard", "DHCP guard changed"),
    _nic("router_guard", "router guard changed"),
    _nic("mac_spoofing", "MAC spoofing changed"),
    _nic("bandwidth_min", "minimum bandwidth changed"),
    _nic("bandwidth_max", "maximum bandwidth changed"),
    _nic("port_mirroring", "port mirroring changed", normalize=folded),
)


def _disk(column: str, how: str, why: str, **extra: Any) -> FieldSpec:
    return FieldSpec("disks", column, "storage", how, why, **extra)


DISK_FIELDS: tuple[FieldSpec, ...] = (
    _disk("path", SAME, "disk file changed", expected=_disk_path_changed, normalize=folded),
    _disk("controller_type", SAME, "controller type changed", expected=_controller_moved),
    _disk("vhd_format", SAME, "disk format changed", expected=_vhd_to_vhdx, normalize=folded),
    _disk("vhd_type", SAME, "disk type changed", expected=_vhd_type_changed, normalize=folded),
    _disk("size_bytes", NOT_LESS, "smaller disk"),
    _disk("shared", SAME, "shared disk setting changed"),
    _disk("disk_number", SAME, "pass-through disk changed", optional=True),
    _disk("qos_min_iops", SAME, "minimum IOPS changed"),
    _disk("qos_max_iops", SAME, "maximum IOPS changed"),
)
