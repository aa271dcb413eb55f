"""A convertible VM's plan -> its host-side PowerShell runbook.

Every value from the inventory goes through ``ps_literal`` (or ``comment_text`` in comments);
numbers are formatted from ``int``; enum values are checked against the few words Hyper-V
takes. The helper functions are not in the runbook: they are one file per host folder
(``gen2-runbook-helpers.ps1``), which each runbook checks by its SHA-256 and dot-sources, so
a runbook holds only its VM's plan and steps.
"""

from __future__ import annotations

import hashlib
from functools import cache, lru_cache
from importlib import resources

from assess import __version__
from assess.plan.model import Adapter, Disk, DvdDrive, VmPlan
from assess.plan.quoting import comment_text, ps_literal, ps_literal_list

DEFAULT_ADAPTER_NAME = "gen2-assess: adapter made by New-VM"

#: Steps that set the new VM up and are simply applied again when a run resumes.
_CONFIGURE = {
    "processor",
    "memory",
    "adapter",
    "adapters-runtime",
    "disks-runtime",
    "dvds-runtime",
    "firmware",
    "settings",
    "integration",
}
_START_ACTIONS = {"Nothing", "StartIfRunning", "Start"}
_STOP_ACTIONS = {"TurnOff", "Save", "ShutDown"}
_CHECKPOINT_TYPES = {"Disabled", "Standard", "Production", "ProductionOnly"}
_PORT_MIRRORING = {"None", "Source", "Destination"}

PATH_SUMMARY = {
    "mbr2gpt": "MBR2GPT inside the guest, then a Generation 2 VM around the same disks",
    "recapture": "the boot disk is recaptured (DISM) into a new GPT .vhdx for a Generation 2 VM",
    "linux-efi": "EFI boot prepared inside the guest, then a Generation 2 VM around the same disks",
}


@cache
def ps_resource(name: str) -> str:
    """A PowerShell snippet shipped with the package, with CRLF line ends."""
    text = (resources.files("assess.plan.render") / name).read_text("utf-8")
    return text.replace("\r\n", "\n").rstrip("\n").replace("\n", "\r\n")


#: The helper functions every host runbook of a folder shares, written once per host folder.
HELPERS_FILE = "gen2-runbook-helpers.ps1"
#: How the helper file is written: Windows PowerShell 5.1 reads a BOM-less file in the ANSI
#: code page, so it keeps the BOM (its SHA-256 is taken over these bytes).
HELPERS_ENCODING = "utf-8-sig"


@cache
def helper_script() -> str:
    """The shared helper file: every helper function, the same text for every host and plan
    of this release (so its digest only changes with the release)."""
    bar = "# " + "=" * 94
    header = "\r\n".join(
        (
            bar,
            f"# Helper functions of the gen2-assess {__version__} conversion runbooks (host side).",
            "# Every *.host.ps1 of this folder checks this file's SHA-256, then dot-sources it;",
            "# a changed or missing file stops those runbooks before they do anything.",
            "# This file only defines functions: run on its own, it changes nothing.",
            bar,
            "",
        )
    )
    common = ps_resource("common-functions.ps1")
    if common.startswith("# --- Helpers"):  # the guest scripts' title line, not needed here
        common = common.split("\r\n", 1)[1].lstrip("\r\n")
    body = common + "\r\n\r\n" + ps_resource("host-functions.ps1")
    return header + "\r\n" + body + "\r\n"


@cache
def helper_digest() -> str:
    """SHA-256 of the helper file's bytes, upper-case hex as ``Get-FileHash`` shows it."""
    return hashlib.sha256(helper_script().encode(HELPERS_ENCODING)).hexdigest().upper()


@cache
def _load_helpers() -> str:
    return "\r\n".join(
        (
            "# --- Helpers: shared by the runbooks of this folder, checked before they are loaded ----",
            f"$HelperFile = Join-Path $PSScriptRoot {ps_literal(HELPERS_FILE)}",
            f"$HelperSha256 = {ps_literal(helper_digest())}",
            "if (-not (Test-Path -LiteralPath $HelperFile)) {",
            "    throw ('Helper file not found: ' + $HelperFile + '. Copy the whole host folder of the"
            " plan, not one runbook.')",
            "}",
            "if ((Get-FileHash -LiteralPath $HelperFile -Algorithm SHA256).Hash -ne $HelperSha256) {",
            "    throw ('Helper file changed or from another plan: ' + $HelperFile + '. Copy the host"
            " folder of this plan again; nothing was done.')",
            "}",
            ". $HelperFile",
            "",
        )
    )


def _on_off(value: bool) -> str:
    return "On" if value else "Off"


def _bool(value: bool) -> str:
    return "$true" if value else "$false"


def _int(value: int) -> str:
    return str(int(value))


def _lit(value: str | None) -> str:
    return "$null" if value is None else ps_literal(value)


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def text(self) -> str:
        return "\r\n".join(self.lines) + "\r\n"


def render_host_script(plan: VmPlan, guest_script: str | None, generated: str) -> str:
    out = _Lines()
    _header(out, plan, guest_script, generated)
    _parameters(out, plan)
    out.add(_load_helpers())
    _body(out, plan, guest_script)
    return out.text()


# --- header ----------------------------------------------------------------------------------


def _header(out: _Lines, plan: VmPlan, guest: str | None, generated: str) -> None:
    c = comment_text
    bar = "# " + "=" * 94
    out.add(
        bar,
        "# Generation 1 -> Generation 2 conversion runbook (host side), written by gen2-assess",
        f"# {__version__} on {generated}. Review it before running; it is reviewed data, not magic.",
        "#",
        f"# VM         {c(plan.name)}   (id {c(plan.id or 'not in the inventory: found by name')})",
        f"# Host       {c(plan.host or 'unknown')}"
        + (f"   cluster {c(plan.cluster)}" if plan.cluster else ""),
        f"# Guest OS   {c(plan.os or 'unknown')}",
        f"# Path       {plan.path}: {PATH_SUMMARY.get(plan.path, '')}",
        f"# Verdict    {plan.verdict}; open findings {' '.join(plan.finding_ids) or 'none'}",
        f"# Kept       the Generation 1 VM stays: renamed {c(plan.kept_name or '')}, automatic start"
        " off, never deleted.",
        "#",
        "# Steps (where: host = this script, guest = the guest script, manual = a person)",
    )
    out.lines += [
        _step_line(number, step.where, step.title) for number, step in enumerate(plan.steps, 1)
    ]
    backup = "" if plan.backup_path else " -BackupPath <folder for the safety copy>"
    out.add(
        "#",
        "# How to run: on the host, elevated Windows PowerShell 5.1 with the Hyper-V module:",
        "#   Preview, changes nothing ..... .\\" + _script_name(plan),
        "#   Execute ...................... .\\" + _script_name(plan) + " -Execute" + backup,
    )
    if guest:
        out.add(
            "#     it stops at the guest step; run " + guest + " as it says, then:",
            "#   Continue after the guest ..... .\\"
            + _script_name(plan)
            + " -Execute -GuestPrepared"
            + backup,
        )
    out.add(
        "#   Roll back .................... .\\"
        + _script_name(plan)
        + " -Rollback  (add -Execute to act)",
        f"# Needs {HELPERS_FILE} next to it (the functions this folder's runbooks share;",
        "# checked by its SHA-256 first): copy the whole host folder to the host.",
        "# Every step checks first whether it is done, so a run that stopped resumes where it",
        "# stopped. The script stops at the first error and writes a transcript next to itself.",
    )
    if plan.read_at_run_time:
        out.add(
            "# Not in the inventory, read from the Generation 1 VM when the script runs:",
            "#   " + ", ".join(plan.read_at_run_time),
        )
    out.add(bar, "")


@lru_cache(maxsize=8192)
def _step_line(number: int, where: str, title: str) -> str:
    """A step's line in the header (the same for many VMs)."""
    return f"#   {number:>2} [{where:<6}] {comment_text(title, 100)}"


def _script_name(plan: VmPlan) -> str:
    return plan.scripts[0].rsplit("/", 1)[-1]


def _parameters(out: _Lines, plan: VmPlan) -> None:
    backup = plan.backup_path
    out.add(
        "[CmdletBinding()]",
        "param(",
        "    # Without -Execute nothing changes: every step only shows what it would do.",
        "    [switch]$Execute,",
        "    # The guest step is done (see the header); the host steps after it may run.",
        "    [switch]$GuestPrepared,",
        "    # Go back to the Generation 1 VM (the rollback section at the end).",
        "    [switch]$Rollback,",
        "    # Where the safety copy (Export-VM) goes; it needs the space of every disk.",
        f"    [string]$BackupPath = {_lit(backup) if backup else repr_empty()}",
        ")",
        "",
        "$ErrorActionPreference = 'Stop'",
        "",
        "# --- This VM's plan (every text from the inventory is a quoted literal) ----------------",
        f"$VmId = {_lit(plan.id)}",
        f"$VmName = {_lit(plan.name)}",
        f"$KeptName = {_lit(plan.kept_name)}",
        f"$ConversionPath = {_lit(plan.path)}",
        f"$DefaultAdapterName = {_lit(DEFAULT_ADAPTER_NAME)}",
        "$StateFile = Join-Path $PSScriptRoot "
        + ps_literal(_script_name(plan).replace(".host.ps1", ".state.json")),
        "$TranscriptFile = Join-Path $PSScriptRoot ("
        + ps_literal(_script_name(plan).replace(".host.ps1", ""))
        + " + '-' + (Get-Date -Format 'yyyyMMdd-HHmmss') + '.log')",
    )
    fw = plan.firmware
    assert fw is not None
    out.add(f"$PlanSecureBoot = {ps_literal(_on_off(fw.secure_boot))}")
    out.add(f"$PlanSecureBootTemplate = {_lit(fw.template)}")
    if plan.adapters is None:
        out.add("$PlanAdapters = $null  # not in the inventory: read from the VM at run time")
    else:
        out.add("$PlanAdapters = @(")
        for a in plan.adapters:
            out.add(
                f"    @{{ Name = {ps_literal(a.name)}; Switch = {_lit(a.switch_name)}; "
                f"Mac = {_lit(a.mac)} }}"
            )
        out.add(")")
    if plan.disks is None:
        out.add("$PlanDisks = $null  # not in the inventory: read from the VM at run time")
    else:
        out.add("$PlanDisks = @(")
        for d in plan.disks:
            out.add(
                f"    @{{ SourcePath = {_lit(d.source_path)}; Path = {_lit(d.path)}; "
                f"Controller = {d.controller_number}; Location = {d.controller_location} }}"
            )
        out.add(")")
    out.add("")


def repr_empty() -> str:
    return "''"


# --- body ------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _title(title: str) -> tuple[str, str]:
    """A step title as a literal and as comment text (most titles recur across VMs)."""
    return ps_literal(title), comment_text(title, 90)


def _body(out: _Lines, plan: VmPlan, guest: str | None) -> None:
    out.add(
        "# --- Run ------------------------------------------------------------------------------",
        "Start-Transcript -Path $TranscriptFile -Append | Out-Null",
        "if (-not $Execute) { Write-Line 'PREVIEW: nothing is changed. Run with -Execute to act.' }",
        "try {",
        "    if (-not $Rollback) {",
    )
    lines = out.lines
    for number, step in enumerate(plan.steps, 1):
        kind = step.kind
        if kind in _SAME_FOR_EVERY_VM:
            lines.append(_same_block(kind, number, step.title))
            continue
        literal, comment = _title(step.title)
        lines.append(f"        # --- {number}. {comment}")
        step_lines = _step(plan, kind, step.ref, str(number), literal, guest)
        lines.extend(["        " + line if line else "" for line in step_lines])
    out.add(
        "        Write-Line ''",
        "        Write-Line 'Conversion steps finished. Check the guest, then do the manual steps above.'",
        "    }",
        "",
    )
    _rollback(out, plan)
    out.add(
        "}",
        "finally {",
        "    Stop-Transcript | Out-Null",
        "}",
    )


#: Step kinds whose lines depend only on the step's number and title, and whose titles
#: recur across VMs (``rename``, ``start`` and ``retire`` name the VM: not these).
_SAME_FOR_EVERY_VM = frozenset(
    {
        "preflight",
        "export",
        "stop",
        "convert-vhd-runtime",
        "adapters-runtime",
        "disks-runtime",
        "integration",
        "verify",
        "finding",
    }
)


#: ``_step`` for the kinds that read nothing of the plan.
_NO_PLAN = VmPlan(
    vm_key="",
    id=None,
    name="",
    host=None,
    cluster=None,
    verdict="",
    path="",
    os=None,
    os_family=None,
)


@lru_cache(maxsize=8192)
def _same_block(kind: str, number: int, title: str) -> str:
    """The body lines of a step of ``_SAME_FOR_EVERY_VM``, indented and joined (made once)."""
    literal, comment = _title(title)
    lines = [f"        # --- {number}. {comment}"]
    step_lines = _step(_NO_PLAN, kind, None, str(number), literal, None)
    lines += ["        " + line if line else "" for line in step_lines]
    return "\r\n".join(lines)


def _step(
    plan: VmPlan, kind: str, ref: int | None, number: str, title: str, guest: str | None
) -> list[str]:
    n = f"'{number}'"  # digits: the literal needs no doubling
    head = f"Invoke-Step {n} {title}"
    if kind in _CONFIGURE:
        # Re-applied on a resumed run, until the new VM has been started once.
        head += " -Done { Test-NewVMStarted }"
    if kind == "preflight":
        return [
            f"{head} -ReadOnly -Action {{",
            "    $source = Get-SourceVM",
            "    if ($null -eq $source -and $null -ne (Get-NewVM)) { Write-Line '    Generation 1 VM"
            " not found, the Generation 2 VM exists'; return }",
            "    if ($null -eq $source) { throw ('Generation 1 VM {0} not found.' -f $VmName) }",
            "    if ($source.Generation -ne 1) { throw 'The VM is not Generation 1.' }",
            "    $checkpoints = @(Get-VMSnapshot -VM $source)",
            "    if ($checkpoints.Count -gt 0) { throw ('{0} checkpoint(s): delete (merge) them first.'"
            " -f $checkpoints.Count) }",
            "    Assert-SourceDevices -Source $source",
            "    if ($Execute -and -not $BackupPath) { throw 'Give -BackupPath for the safety copy.' }",
            "}",
        ]
    if kind == "export":
        return [
            f"{head} -Done {{ $BackupPath -and (Test-Path -LiteralPath (Join-Path $BackupPath $VmName)) }}"
            " -Action {",
            "    Export-VM -VM (Get-RequiredSourceVM) -Path $BackupPath",
            "}",
        ]
    if kind == "guest-prepare":
        return [
            f"{head} -Done {{ $GuestPrepared }} -Action {{",
            "    Write-Line ('    Run ' + "
            + ps_literal(guest or "the guest script")
            + " + ' as its header says, then run this script again with -Execute -GuestPrepared.')",
            "    if ($Execute) { throw 'Stopped before the guest step (this is expected).' }",
            "}",
        ]
    if kind == "stop":
        return [
            f"{head} -Done {{ $vm = Get-SourceVM; $null -eq $vm -or [string]$vm.State -eq 'Off' }}"
            " -Action {",
            "    # Stop-VM asks the guest to shut down (no -TurnOff, no -Force).",
            "    Stop-VM -VM (Get-RequiredSourceVM)",
            "}",
        ]
    if kind == "convert-vhd":
        disk = (plan.disks or ())[ref or 0]
        return [
            f"{head} -Done {{ Test-ConvertedDisk -Path {_lit(disk.path)} }} -Action {{",
            "    # A new file: the .vhd stays as it is (the Generation 1 VM keeps using it).",
            f"    Convert-VHD -Path {_lit(disk.source_path)} -DestinationPath {_lit(disk.path)}",
            "}",
        ]
    if kind == "convert-vhd-runtime":
        return [f"{head} -Action {{", "    Convert-SourceVhds", "}"]
    if kind == "rename":
        return [
            f"{head} -Done {{ $vm = Get-SourceVM; $null -eq $vm -or $vm.Name -eq $KeptName }}"
            " -Action {",
            "    $source = Get-RequiredSourceVM",
            "    Save-RecordedStartAction -Action ([string]$source.AutomaticStartAction)",
            "    Rename-VM -VM $source -NewName $KeptName",
            "    Set-VM -VM $source -AutomaticStartAction Nothing",
            "}",
        ]
    if kind == "create":
        return _create(plan, head)
    if kind == "processor":
        return _processor(plan, head)
    if kind == "memory":
        return _memory(plan, head)
    if kind == "adapter":
        return _adapter(plan, (plan.adapters or ())[ref or 0], head)
    if kind == "adapters-runtime":
        return [f"{head} -Action {{", "    Copy-AdaptersFromSource", "}"]
    if kind == "disk":
        return _disk((plan.disks or ())[ref or 0], head)
    if kind == "disks-runtime":
        return [f"{head} -Action {{", "    Copy-DisksFromSource | Out-Null", "}"]
    if kind == "dvd":
        return _dvd((plan.dvd_drives or ())[ref or 0], head)
    if kind == "dvds-runtime":
        first = len(plan.disks) if plan.disks is not None else "(@(Get-SourceDisksInOrder).Count)"
        return [f"{head} -Action {{", f"    Copy-DvdsFromSource -FirstIndex {first}", "}"]
    if kind == "firmware":
        return _firmware(plan, head)
    if kind == "vtpm":
        return [
            f"{head} -Done {{ $vm = Get-NewVM; $null -ne $vm -and (Get-VMSecurity -VM $vm).TpmEnabled }}"
            " -Action {",
            f"    # {comment_text(plan.firmware.vtpm_reason if plan.firmware else '', 100)}",
            "    $vm = Get-RequiredNewVM",
            "    Set-VMKeyProtector -VM $vm -NewLocalKeyProtector",
            "    Enable-VMTPM -VM $vm",
            "}",
        ]
    if kind == "settings":
        return _settings(plan, head)
    if kind == "integration":
        return [f"{head} -Action {{", "    Copy-IntegrationServices", "}"]
    if kind == "cluster":
        return _cluster(plan, head)
    if kind == "start":
        return [
            f"{head} -Done {{ $vm = Get-NewVM; $null -ne $vm -and [string]$vm.State -eq 'Running' }}"
            " -Action {",
            "    Start-VM -VM (Get-RequiredNewVM)",
            "}",
        ]
    if kind == "verify":
        return [
            f"{head} -ReadOnly -Action {{",
            "    if ($null -eq (Get-NewVM)) { Write-Line '    (preview: the new VM does not exist yet)'; return }",
            "    $differences = @(Test-NewVM)",
            "    foreach ($difference in $differences) { Write-Line ('    DIFFERS: ' + $difference) }",
            "    if ($differences.Count -gt 0) { throw 'The new VM differs from the plan: fix it, or run with -Rollback.' }",
            "    Write-Line '    the new VM matches the plan'",
            "}",
        ]
    if kind == "guest-after":
        text = (
            f"Inside the guest, after the first Generation 2 boot: {guest} -AfterGen2Boot -Execute"
        )
        return [f"Write-Manual {n} {ps_literal(text)}"]
    if kind == "replica":
        return _replica(plan, n)
    if kind == "finding":
        return [f"Write-Manual {n} {title}"]
    if kind == "retire":
        return [f"Write-Manual {n} {title}"]
    raise ValueError(f"no renderer for step kind {kind!r}")


def _create(plan: VmPlan, head: str) -> list[str]:
    s = plan.settings
    memory = (
        _int(s.memory_startup_bytes)
        if s and s.memory_startup_bytes
        else "(Get-VMMemory -VM (Get-RequiredSourceVM)).Startup"
    )
    if s and s.config_path:
        location = f"-Path {ps_literal(_parent(s.config_path))}"
    else:
        location = "-Path (Split-Path -Parent (Get-RequiredSourceVM).Path)"
    return [
        f"{head} -Done {{ $null -ne (Get-NewVM) }} -Action {{",
        "    # New-VM adds one network adapter: it is marked here and becomes the first planned one.",
        f"    $vm = New-VM -Name $VmName -Generation 2 -MemoryStartupBytes {memory} {location} -NoVHD",
        "    Get-VMNetworkAdapter -VM $vm | Rename-VMNetworkAdapter -NewName $DefaultAdapterName",
        "}",
    ]


def _parent(path: str) -> str:
    trimmed = path.rstrip("\\/")
    cut = max(trimmed.rfind("\\"), trimmed.rfind("/"))
    return trimmed[:cut] if cut > 2 else trimmed


def _processor(plan: VmPlan, head: str) -> list[str]:
    s = plan.settings
    assert s is not None
    src = "$cpu"
    parts = [
        "-Count " + (_int(s.processor_count) if s.processor_count else f"{src}.Count"),
        "-CompatibilityForMigrationEnabled "
        + (
            _bool(s.processor_compat_migration)
            if s.processor_compat_migration is not None
            else f"{src}.CompatibilityForMigrationEnabled"
        ),
        "-Reserve "
        + (_int(s.processor_reserve) if s.processor_reserve is not None else f"{src}.Reserve"),
        "-Maximum "
        + (_int(s.processor_limit) if s.processor_limit is not None else f"{src}.Maximum"),
        "-RelativeWeight "
        + (_int(s.processor_weight) if s.processor_weight is not None else f"{src}.RelativeWeight"),
    ]
    lines = [f"{head} -Action {{"]
    if any(src in p for p in parts):
        lines.append(
            "    $cpu = Get-VMProcessor -VM (Get-RequiredSourceVM)  # values not in the inventory"
        )
    lines.append("    Set-VMProcessor -VM (Get-RequiredNewVM) " + " ".join(parts))
    lines.append("}")
    return lines


def _memory(plan: VmPlan, head: str) -> list[str]:
    s = plan.settings
    assert s is not None
    src = "$memory"
    startup = _int(s.memory_startup_bytes) if s.memory_startup_bytes else f"{src}.Startup"
    lines = [f"{head} -Action {{"]
    dynamic_known = s.dynamic_memory is not None
    dyn_fields = (
        s.memory_minimum_bytes,
        s.memory_maximum_bytes,
        s.memory_buffer,
        s.memory_priority,
    )
    needs_source = (
        not s.memory_startup_bytes
        or not dynamic_known
        or (s.dynamic_memory and any(v is None for v in dyn_fields))
    )
    if needs_source:
        lines.append(
            "    $memory = Get-VMMemory -VM (Get-RequiredSourceVM)  # values not in the inventory"
        )
    target = "Set-VMMemory -VM (Get-RequiredNewVM)"
    if dynamic_known and not s.dynamic_memory:
        lines.append(f"    {target} -DynamicMemoryEnabled $false -StartupBytes {startup}")
    else:
        dyn = (
            "-MinimumBytes "
            + (
                _int(s.memory_minimum_bytes)
                if s.memory_minimum_bytes is not None
                else f"{src}.Minimum"
            ),
            "-MaximumBytes "
            + (
                _int(s.memory_maximum_bytes)
                if s.memory_maximum_bytes is not None
                else f"{src}.Maximum"
            ),
            "-Buffer "
            + (_int(s.memory_buffer) if s.memory_buffer is not None else f"{src}.Buffer"),
            "-Priority "
            + (_int(s.memory_priority) if s.memory_priority is not None else f"{src}.Priority"),
        )
        if dynamic_known:
            lines.append(
                f"    {target} -DynamicMemoryEnabled $true -StartupBytes {startup} " + " ".join(dyn)
            )
        else:
            lines += [
                f"    if ({src}.DynamicMemoryEnabled) {{",
                f"        {target} -DynamicMemoryEnabled $true -StartupBytes {startup} "
                + " ".join(dyn),
                "    } else {",
                f"        {target} -DynamicMemoryEnabled $false -StartupBytes {startup}",
                "    }",
            ]
    lines.append("}")
    return lines


def _adapter(plan: VmPlan, a: Adapter, head: str) -> list[str]:
    if a.mac is None:
        return [
            f"{head} -Action {{",
            f"    throw ('Adapter ' + {ps_literal(a.name)} + ' has no known MAC (dynamic, never"
            " started?): add it by hand with the same switch, then run again with its step done.')",
            "}",
        ]
    args = f"-Name {ps_literal(a.name)} -SwitchName {_lit(a.switch_name)} -Mac {ps_literal(a.mac)}"
    if a.device_naming:
        args += " -DeviceNaming"
    lines = [f"{head} -Action {{"]
    notes = []
    if a.was_legacy:
        notes.append("was a legacy adapter: synthetic on Generation 2")
    if a.mac_static is False:
        notes.append("MAC was dynamic: set static so the guest keeps its adapter")
    if notes:
        lines.append("    # " + "; ".join(notes))
    lines.append(f"    $nic = Set-PlannedAdapter {args}")
    policy = []
    if a.mac_spoofing is not None:
        policy.append(f"-MacAddressSpoofing {_on_off(a.mac_spoofing)}")
    if a.dhcp_guard is not None:
        policy.append(f"-DhcpGuard {_on_off(a.dhcp_guard)}")
    if a.router_guard is not None:
        policy.append(f"-RouterGuard {_on_off(a.router_guard)}")
    if a.port_mirroring in _PORT_MIRRORING:
        policy.append(f"-PortMirroring {a.port_mirroring}")
    if a.bandwidth_max:
        policy.append(f"-MaximumBandwidth {_int(a.bandwidth_max)}")
    if a.bandwidth_min:
        policy.append(f"-MinimumBandwidthAbsolute {_int(a.bandwidth_min)}")
    if a.bandwidth_min_weight:
        policy.append(f"-MinimumBandwidthWeight {_int(a.bandwidth_min_weight)}")
    policy_known = None not in (a.mac_spoofing, a.dhcp_guard, a.router_guard)
    private = _private_vlan(a)
    need_source = (
        not policy_known or a.vlan_mode is None or (a.vlan_mode == "Private" and not private)
    )
    if need_source:
        lines.append(
            f"    $from = Get-SourceAdapter -Mac {ps_literal(a.mac)}  # settings not in the inventory"
        )
    if policy:
        lines.append("    Set-VMNetworkAdapter -VMNetworkAdapter $nic " + " ".join(policy))
    if not policy_known:
        lines.append("    Copy-AdapterPolicy -From $from -To $nic")
    vlan = "Set-VMNetworkAdapterVlan -VMNetworkAdapter $nic"
    if a.vlan_mode == "Untagged":
        lines.append(f"    {vlan} -Untagged")
    elif a.vlan_mode == "Access" and a.vlan_id is not None:
        lines.append(f"    {vlan} -Access -VlanId {_int(a.vlan_id)}")
    elif a.vlan_mode == "Trunk" and a.vlan_native is not None and a.vlan_allowed:
        lines.append(
            f"    {vlan} -Trunk -NativeVlanId {_int(a.vlan_native)} -AllowedVlanIdList {ps_literal(a.vlan_allowed)}"
        )
    elif private:
        lines.append(f"    {vlan} {private}")
    else:
        lines.append("    Copy-AdapterVlan -From $from -To $nic")
        if a.vlan_mode is not None and not need_source:
            lines.insert(-1, f"    $from = Get-SourceAdapter -Mac {ps_literal(a.mac)}")
    lines.append("}")
    return lines


def _private_vlan(a: Adapter) -> str | None:
    """The Set-VMNetworkAdapterVlan arguments of a private VLAN, when all of it is known."""
    if a.vlan_mode != "Private" or a.vlan_primary is None or not a.vlan_secondary:
        return None
    if a.vlan_private_mode == "Promiscuous":
        return (
            f"-Promiscuous -PrimaryVlanId {_int(a.vlan_primary)}"
            f" -SecondaryVlanIdList {ps_literal(a.vlan_secondary)}"
        )
    if a.vlan_private_mode in ("Isolated", "Community") and a.vlan_secondary.isdigit():
        return (
            f"-{a.vlan_private_mode} -PrimaryVlanId {_int(a.vlan_primary)}"
            f" -SecondaryVlanId {int(a.vlan_secondary)}"
        )
    return None


def _disk(d: Disk, head: str) -> list[str]:
    slot = f"-ControllerType SCSI -ControllerNumber {d.controller_number} -ControllerLocation {d.controller_location}"
    number = "$null" if d.disk_number is None else _int(d.disk_number)
    lines = [
        f"{head} -Done {{ Test-DiskSlot -Controller {d.controller_number} -Location {d.controller_location}"
        f" -Path {_lit(d.path)} -DiskNumber {number} }} -Action {{",
    ]
    source = f"{d.source_controller_type or '?'} {d.source_controller_number}:{d.source_controller_location}"
    lines.append(
        f"    # was {source}" + ("; pass-through disk" if d.disk_number is not None else "")
    )
    if d.controller_number > 0:
        lines.append(f"    Add-ScsiControllers -Controller {d.controller_number}")
    target = f"Add-VMHardDiskDrive -VM (Get-RequiredNewVM) {slot}"
    if d.disk_number is not None:
        lines.append(f"    {target} -DiskNumber {number}")
    elif d.shared:
        lines.append(f"    {target} -Path {_lit(d.path)} -SupportPersistentReservations")
    else:
        lines.append(f"    {target} -Path {_lit(d.path)}")
    qos = []
    if d.qos_min_iops:
        qos.append(f"-MinimumIOPS {_int(d.qos_min_iops)}")
    if d.qos_max_iops:
        qos.append(f"-MaximumIOPS {_int(d.qos_max_iops)}")
    if qos:
        lines.append(
            f"    Get-VMHardDiskDrive -VM (Get-RequiredNewVM) {slot} | Set-VMHardDiskDrive "
            + " ".join(qos)
        )
    lines.append("}")
    return lines


def _dvd(d: DvdDrive, head: str) -> list[str]:
    return [
        f"{head} -Done {{ $vm = Get-NewVM; $null -ne $vm -and $null -ne (Get-VMDvdDrive -VM $vm"
        f" -ControllerNumber {d.controller_number} -ControllerLocation {d.controller_location}) }}"
        " -Action {",
        f"    Add-ScsiControllers -Controller {d.controller_number}",
        f"    Add-VMDvdDrive -VM (Get-RequiredNewVM) -ControllerNumber {d.controller_number}"
        f" -ControllerLocation {d.controller_location} -Path {ps_literal(d.path)}",
        "}",
    ]


def _firmware(plan: VmPlan, head: str) -> list[str]:
    fw = plan.firmware
    assert fw is not None
    lines = [
        f"{head} -Action {{",
        "    $vm = Get-RequiredNewVM",
        f"    # {comment_text(fw.reason, 100)}",
    ]
    if fw.secure_boot and fw.template:
        lines.append(
            f"    Set-VMFirmware -VM $vm -EnableSecureBoot On -SecureBootTemplate {ps_literal(fw.template)}"
        )
    else:
        lines.append("    Set-VMFirmware -VM $vm -EnableSecureBoot Off")
    if fw.first_boot == "disk":
        boot = next((d for d in plan.disks or () if d.is_boot), None)
        c, loc = (boot.controller_number, boot.controller_location) if boot else (0, 0)
        lines.append(
            "    Set-VMFirmware -VM $vm -FirstBootDevice (Get-VMHardDiskDrive -VM $vm"
            f" -ControllerType SCSI -ControllerNumber {c} -ControllerLocation {loc})"
        )
    elif fw.first_boot == "network":
        first = next((a for a in plan.adapters or () if a.mac), None)
        pick = (
            f"Where-Object {{ $_.MacAddress -eq {ps_literal(first.mac)} }}"
            if first and first.mac
            else "Select-Object -First 1"
        )
        lines.append("    # the VM booted from the network (PXE) on Generation 1")
        lines.append(
            f"    Set-VMFirmware -VM $vm -FirstBootDevice (Get-VMNetworkAdapter -VM $vm | {pick})"
        )
    elif fw.first_boot == "dvd":
        lines.append(
            "    Set-VMFirmware -VM $vm -FirstBootDevice (Get-VMDvdDrive -VM $vm | Select-Object -First 1)"
        )
    lines.append("}")
    return lines


def _settings(plan: VmPlan, head: str) -> list[str]:
    s = plan.settings
    assert s is not None
    src = "$source"
    parts = []
    if s.automatic_start_action in _START_ACTIONS:
        parts.append(f"-AutomaticStartAction {s.automatic_start_action}")
    else:
        parts.append("-AutomaticStartAction (Get-RecordedStartAction)")
    parts.append(
        "-AutomaticStartDelay "
        + (
            _int(s.automatic_start_delay)
            if s.automatic_start_delay is not None
            else f"{src}.AutomaticStartDelay"
        )
    )
    parts.append(
        "-AutomaticStopAction "
        + (
            s.automatic_stop_action
            if s.automatic_stop_action in _STOP_ACTIONS
            else f"{src}.AutomaticStopAction"
        )
    )
    parts.append(
        "-CheckpointType "
        + (s.checkpoint_type if s.checkpoint_type in _CHECKPOINT_TYPES else f"{src}.CheckpointType")
    )
    parts.append(
        "-SmartPagingFilePath "
        + (ps_literal(s.smart_paging_path) if s.smart_paging_path else f"{src}.SmartPagingFilePath")
    )
    parts.append("-Notes " + (ps_literal(s.notes) if s.notes is not None else f"{src}.Notes"))
    lines = [f"{head} -Action {{"]
    if any(src in p for p in parts):
        lines.append("    $source = Get-RequiredSourceVM  # values not in the inventory")
    lines.append("    Set-VM -VM (Get-RequiredNewVM) " + parts[0])
    for part in parts[1:]:
        lines.append("    Set-VM -VM (Get-RequiredNewVM) " + part)
    lines.append("}")
    return lines


def _cluster(plan: VmPlan, head: str) -> list[str]:
    role = plan.cluster_role
    assert role is not None
    lines = [
        f"{head} -Done {{ $vm = Get-NewVM; $null -ne $vm -and $vm.IsClustered }} -Action {{",
    ]
    if role.group:
        lines.append(f"    $group = {ps_literal(role.group)}")
    else:
        lines.append("    $group = Get-SourceClusterGroup  # not in the inventory")
    if role.preferred_owners is not None:
        lines.append(f"    $owners = {ps_literal_list(role.preferred_owners)}")
    else:
        lines.append(
            "    $owners = @(Get-ClusterOwnerNode -Group $group | ForEach-Object { $_.OwnerNodes } |"
            " ForEach-Object { $_.Name })  # not in the inventory"
        )
    lines += [
        "    # The Generation 1 VM's role keeps protecting it under a new name; the new VM takes the old one.",
        "    $old = Get-ClusterGroup -Name $group -ErrorAction SilentlyContinue",
        "    if ($null -ne $old) { $old.Name = $group + '-gen1' }",
        "    Add-ClusterVirtualMachineRole -VMName $VmName -Name $group",
        "    if ($owners.Count -gt 0) { Set-ClusterOwnerNode -Group $group -Owners $owners }",
        "}",
    ]
    return lines


def _replica(plan: VmPlan, n: str) -> list[str]:
    r = plan.replica
    assert r is not None
    server = r.replica_server or "<replica server>"
    frequency = f" -ReplicationFrequencySec {r.frequency_seconds}" if r.frequency_seconds else ""
    text = (
        "After acceptance, enable Replica again: Enable-VMReplication -VMName "
        + plan.name
        + " -ReplicaServerName "
        + server
        + " -ReplicaServerPort <port> -AuthenticationType <Kerberos|Certificate>"
        + frequency
        + "; then Start-VMInitialReplication."
    )
    return [f"Write-Manual {n} {ps_literal(text)}"]


def _rollback(out: _Lines, plan: VmPlan) -> None:
    in_place = plan.path == "mbr2gpt"
    boot = next((d for d in plan.disks or () if d.is_boot), None) if in_place else None
    passthrough = boot is not None and boot.disk_number is not None
    out.add(_rollback_text(in_place, passthrough, plan.cluster_role is not None))


@lru_cache(maxsize=8)
def _rollback_text(in_place: bool, passthrough_boot: bool, clustered: bool) -> str:
    """The rollback section: the same for every VM of one kind (made once per kind)."""
    out = _Lines()
    numbers = iter(range(1, 10))

    def r() -> str:
        return f"'R{next(numbers)}'"

    out.add(
        "    # === Rollback: back to the Generation 1 VM ==========================================",
        "    # Nothing is deleted: the Generation 2 VM is stopped and renamed, the Generation 1 VM",
        "    # gets its name back and starts again.",
        "    if ($Rollback) {",
        "        Invoke-Step "
        + r()
        + " 'Shut the Generation 2 VM down' -Done { $vm = Get-NewVM; $null -eq $vm -or"
        " [string]$vm.State -eq 'Off' } -Action {",
        "            Stop-VM -VM (Get-RequiredNewVM)",
        "        }",
        "        Invoke-Step "
        + r()
        + " 'Rename the Generation 2 VM out of the way' -Done { $null -eq (Get-NewVM) }"
        " -Action {",
        "            Rename-VM -VM (Get-RequiredNewVM) -NewName ($VmName + '-gen2-failed')",
        "        }",
    )
    if in_place:
        out.add(
            "        # MBR2GPT changed the boot disk in place: the Generation 1 VM boots the exported copy.",
            "        Invoke-Step "
            + r()
            + " 'Point the Generation 1 boot disk at the safety copy' -Action {",
            "            $source = Get-RequiredSourceVM",
            "            $boot = @(Get-SourceDisksInOrder)[0]",
            "            $copy = Join-Path (Join-Path (Join-Path $BackupPath $VmName) 'Virtual Hard Disks')"
            " (Split-Path -Leaf $boot.Path)",
            "            if (-not (Test-Path -LiteralPath $copy)) { throw ('No safety copy at ' + $copy) }",
            "            Set-VMHardDiskDrive -VMName $source.Name -ControllerType $boot.ControllerType"
            " -ControllerNumber $boot.ControllerNumber -ControllerLocation $boot.ControllerLocation -Path $copy",
            "        }",
        )
        if passthrough_boot:
            out.add(
                "        # (a pass-through boot disk has no exported copy: restore the LUN from its backup)"
            )
    out.add(
        "        Invoke-Step "
        + r()
        + " 'Give the Generation 1 VM its name and start action back' -Done"
        " { $vm = Get-SourceVM; $null -ne $vm -and $vm.Name -eq $VmName } -Action {",
        "            $source = Get-RequiredSourceVM",
        "            Rename-VM -VM $source -NewName $VmName",
        "            Set-VM -VM $source -AutomaticStartAction (Get-RecordedStartAction)",
        "        }",
    )
    if clustered:
        out.add(
            "        Write-Manual "
            + r()
            + " 'Cluster: take the new VM role offline, rename the role with -gen1"
            " back to its name, and bring it online.'",
        )
    out.add(
        "        Invoke-Step "
        + r()
        + " 'Start the Generation 1 VM' -Done { $vm = Get-SourceVM; $null -ne $vm -and"
        " [string]$vm.State -eq 'Running' } -Action {",
        "            Start-VM -VM (Get-RequiredSourceVM)",
        "        }",
        "    }",
    )
    return "\r\n".join(out.lines)
