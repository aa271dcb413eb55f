"""Every rendered script, checked without a Hyper-V host.

What is checked: each PowerShell script parses (no ERROR node), the host folder's shared
helper file too; it calls only commands and parameters of ``assess/plan/allowlist.toml`` (or
functions it or the helper file defines); nothing deletes (deny list, deny verbs, deny
parameters); every command that changes state runs only inside the ``-Action`` of an
``Invoke-Step`` that is not ``-ReadOnly`` (so without ``-Execute`` nothing changes) - for a
host runbook this is checked over the runbook with the helper file in place of the line that
dot-sources it; the runbook checks the helper file (present, same SHA-256) before it loads
it; hostile inventory text adds no command node; the contract lines are there.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import cache

import pytest
from tree_sitter import Node, Tree

from assess.plan.builder import plan_steps
from assess.plan.model import Cluster, Replica, VmPlan
from assess.plan.render.files import vm_files
from assess.plan.render.host_script import HELPERS_FILE, helper_digest, helper_script
from tests.plan.plan_support import (
    allowlist,
    arguments,
    commands,
    defined_functions,
    error_nodes,
    parameters,
    plan_for,
    sql_estate,
    text_of,
)
from tests.powershell_tree import parse, walk

KEY = "2089973a-7095-521a-84c1-711c7e7a6973"
HOSTILE_NAME = "x'; Stop-Computer -Force; '"
HOSTILE_SWITCH = "$(Stop-Computer)"
HOSTILE_NOTES = 'a\u2019; Stop-Computer; \u2018b\r\n#> `$(Stop-Computer)` @\' "$(x)"'

VARIANTS = {
    "mbr2gpt": ({}, "mbr2gpt"),
    "mbr2gpt-offline": (
        {"os_distro": "windows-client", "os_version_key": "10.14393"},
        "mbr2gpt",
    ),
    "recapture": ({}, "recapture"),
    "linux-efi": ({}, "linux-efi"),
    "pxe": ({"boot_from_network": True}, "mbr2gpt"),
}


def _estate(hostile: bool, runtime: bool = False) -> dict:
    if hostile:
        estate = sql_estate(HOSTILE_NAME, HOSTILE_SWITCH, HOSTILE_NOTES)
        estate["nics"][0]["name"] = "nic'\u2018; Stop-Computer"
        estate["disks"][0]["path"] = "C:\\VMs\\it's $(Stop-Computer)\\os.vhdx"
    else:
        estate = sql_estate()
    if runtime:
        estate["vms"][0].update(
            nics_listed=None, disks_listed=None, dvd_drives_listed=None, is_clustered=None
        )
        estate["nics"], estate["disks"], estate["dvd_drives"] = [], [], []
    return estate


def _everything_known(vm: VmPlan, hostile: bool) -> VmPlan:
    """The plan as it is once the collector records every rebuild column (VLANs of each
    mode, port settings, QoS, every VM setting, cluster role and owners, Replica, vTPM)."""
    text = HOSTILE_NOTES if hostile else "CL01-SQL"
    modes = [
        {"vlan_mode": "Access", "vlan_id": 20},
        {
            "vlan_mode": "Trunk",
            "vlan_native": 1,
            "vlan_allowed": "10-20,30" if not hostile else text,
        },
        {"vlan_mode": "Untagged"},
        {
            "vlan_mode": "Private",
            "vlan_private_mode": "Isolated",
            "vlan_primary": 100,
            "vlan_secondary": "101",
        },
        {
            "vlan_mode": "Private",
            "vlan_private_mode": "Promiscuous",
            "vlan_primary": 100,
            "vlan_secondary": "101-105" if not hostile else text,
        },
    ]
    adapters = tuple(
        replace(
            a,
            mac_static=False,
            device_naming=True,
            dhcp_guard=True,
            router_guard=False,
            mac_spoofing=False,
            bandwidth_min=10**8,
            bandwidth_min_weight=10,
            bandwidth_max=10**9,
            port_mirroring="None",
            **modes[i % len(modes)],
        )
        for i, a in enumerate(
            [
                *(vm.adapters or ()),
                *(replace(vm.adapters[0], mac=f"00155D01BB0{n}") for n in range(3)),
            ]
        )
    )
    disks = tuple(replace(d, qos_min_iops=100, qos_max_iops=5000) for d in vm.disks or ())
    settings = replace(
        vm.settings,
        processor_compat_migration=True,
        processor_reserve=10,
        processor_limit=90,
        processor_weight=200,
        dynamic_memory=True,
        memory_minimum_bytes=2**30,
        memory_maximum_bytes=2**34,
        memory_buffer=20,
        memory_priority=50,
        automatic_start_action="StartIfRunning",
        automatic_start_delay=30,
        automatic_stop_action="ShutDown",
        checkpoint_type="Production",
        smart_paging_path=text,
        config_path="C:\\VMs\\" + text,
    )
    cluster = Cluster("CL01", text, (text, "HV02"), (text, "HV02"))
    firmware = replace(vm.firmware, vtpm=vm.os_family == "windows")
    full = replace(
        vm,
        adapters=adapters,
        disks=disks,
        settings=settings,
        cluster_role=cluster,
        replica=Replica(text, text, 300),
        firmware=firmware,
        read_at_run_time=(),
    )
    return replace(full, steps=tuple(plan_steps(full)))


@cache
def _rendered(
    variant: str, hostile: bool, runtime: bool = False, known: bool = False
) -> dict[str, str]:
    facts, path = VARIANTS[variant]
    plan = plan_for(_estate(hostile, runtime), {KEY: ("ready-with-fixes", path)}, {KEY: facts})
    vm = plan.vms[0]
    assert vm.convertible, vm.no_script_reason
    if known:
        vm = _everything_known(vm, hostile)
    files = {rel: text for rel, text, _ in vm_files(vm, "2026-11-30 09:00 UTC")}
    files[f"{vm.scripts[0].rsplit('/', 1)[0]}/{HELPERS_FILE}"] = helper_script()
    return files


def _powershell(
    variant: str, hostile: bool, runtime: bool = False, known: bool = False
) -> dict[str, Tree]:
    """Each PowerShell file as it is written."""
    return {
        rel: parse(text)
        for rel, text in _rendered(variant, hostile, runtime, known).items()
        if rel.endswith(".ps1")
    }


DOT_SOURCE = ". $HelperFile"


def _with_helpers(runbook: str) -> str:
    """The host runbook as PowerShell runs it: the helper file in place of its dot-source."""
    line = "\r\n" + DOT_SOURCE + "\r\n"
    assert runbook.count(line) == 1
    return runbook.replace(line, "\r\n" + helper_script(), 1)


@cache
def _resolved(
    variant: str, hostile: bool, runtime: bool = False, known: bool = False
) -> dict[str, Tree]:
    """What the checks below read: the helper file and guest scripts as written, each host
    runbook with the helper file in place (so its calls and guards are checked together)."""
    return {
        rel: parse(_with_helpers(text) if rel.endswith(".host.ps1") else text)
        for rel, text in _rendered(variant, hostile, runtime, known).items()
        if rel.endswith(".ps1")
    }


CASES = [(v, h, r, False) for v in VARIANTS for h in (False, True) for r in (False, True)]
CASES += [(v, h, False, True) for v in VARIANTS for h in (False, True)]


def _ids(case):
    variant, hostile, runtime, known = case
    return (
        f"{variant}{'-hostile' if hostile else ''}{'-runtime' if runtime else ''}"
        f"{'-known' if known else ''}"
    )


def _params(cases):
    """Every case runs in the full suite; the fast tier keeps the plain and the hostile
    variant of each path (the run-time and fully-known variants are marked slow)."""
    return [
        pytest.param(case, id=_ids(case), marks=[pytest.mark.slow] if case[2] or case[3] else [])
        for case in cases
    ]


@pytest.fixture(params=_params(CASES))
def scripts(request) -> dict[str, Tree]:
    return _resolved(*request.param)


# --- parse, allow-list, deny-list ----------------------------------------------------------


@pytest.mark.parametrize("case", _params(CASES))
def test_parses_without_error_nodes(case):
    written, scripts = _powershell(*case), _resolved(*case)
    assert any(rel.endswith(HELPERS_FILE) for rel in written)
    for rel, tree in [*written.items(), *scripts.items()]:
        assert not error_nodes(tree), rel


def test_only_allow_listed_commands_and_parameters(scripts):
    allowed = {name.lower(): entry for name, entry in allowlist()["cmdlet"].items()}
    native = {name.lower() for name in allowlist()["native"]}
    for rel, tree in scripts.items():
        own = defined_functions(tree)
        for name, command in commands(tree):
            lower = name.lower()
            if lower in own:
                continue
            if lower in ("$done", "$action"):
                # Invoke-Step runs the step's own script blocks.
                assert _function_of(command) == "invoke-step", (rel, name)
                continue
            if lower in native:
                assert command.children[0].type == "command_invokation_operator", (rel, name)
                continue
            assert lower in allowed, f"{rel}: {name} is not in the allow-list"
            permitted = {p.lower() for p in allowed[lower]["parameters"]}
            for parameter in parameters(command):
                assert parameter.lower() in permitted, f"{rel}: {name} {parameter}"


def test_nothing_deletes(scripts):
    data = allowlist()
    denied = {d.split()[0].lower() for d in data["deny"]}
    verbs = {v.lower() for v in data["deny_verbs"]}
    denied_parameters = {p.lower() for p in data["deny_parameters"]}
    for rel, tree in scripts.items():
        for name, command in commands(tree):
            assert name.lower() not in denied, (rel, name)
            assert name.split("-")[0].lower() not in verbs, (rel, name)
            for parameter in parameters(command):
                assert parameter.lower() not in denied_parameters, (rel, name, parameter)


def test_allow_list_and_deny_list_do_not_overlap():
    data = allowlist()
    denied = {d.split()[0].lower() for d in data["deny"]}
    verbs = {v.lower() for v in data["deny_verbs"]}
    for name, entry in data["cmdlet"].items():
        assert name.lower() not in denied
        assert name.split("-")[0].lower() not in verbs
        assert entry["doc"].startswith("https://learn.microsoft.com/powershell/module/")


def _function_of(node: Node) -> str | None:
    current = node.parent
    while current is not None:
        if current.type == "function_statement":
            return text_of(next(c for c in current.children if c.type == "function_name")).lower()
        current = current.parent
    return None


# --- preview by default ----------------------------------------------------------------------

#: Writes that happen in a preview too, on purpose: the script's own transcript.
_PREVIEW_WRITES = {"start-transcript", "stop-transcript"}
#: Native calls that only read.
_READ_ONLY_NATIVE = ("/info", "/validate")


@cache
def _cmdlets() -> dict[str, dict]:
    return {k.lower(): v for k, v in allowlist()["cmdlet"].items()}


@cache
def _natives() -> frozenset[str]:
    return frozenset(n.lower() for n in allowlist()["native"])


def _changes(name: str, command: Node) -> bool:
    lower = name.lower()
    entry = _cmdlets().get(lower)
    if entry is not None:
        return "changes" in entry and lower not in _PREVIEW_WRITES
    if lower in _natives():
        return not any(text_of(a) in _READ_ONLY_NATIVE for a in arguments(command))
    return False


def _step_action(block: Node) -> Node | None:
    """The Invoke-Step command whose -Action argument is this script block, if any."""
    wrapper = block
    while wrapper.parent is not None and wrapper.parent.type != "command_elements":
        wrapper = wrapper.parent
        if wrapper.type in ("statement_list", "script_block_body"):
            return None
    elements = wrapper.parent
    if elements is None:
        return None
    args = [c for c in elements.children if c.type != "command_argument_sep"]
    index = next(i for i, a in enumerate(args) if a.id == wrapper.id)
    if index == 0 or text_of(args[index - 1]).lower() != "-action":
        return None
    command = elements.parent
    if (text_of(command.children[0]) or "").lower() != "invoke-step":
        return None
    return command


class _Guard:
    """Whether a command can only run with -Execute: inside the -Action of a step that is not
    -ReadOnly, or inside a function that is called only from such places (or never)."""

    def __init__(self, tree: Tree) -> None:
        self.calls: dict[str, list[Node]] = {}
        for name, command in commands(tree):
            self.calls.setdefault(name.lower(), []).append(command)
        self.functions: dict[str, bool] = {}

    def guarded(self, node: Node, seen: frozenset[str] = frozenset()) -> bool:
        current = node.parent
        while current is not None:
            if current.type == "script_block_expression":
                step = _step_action(current)
                if step is not None:
                    return "-readonly" not in {p.lower() for p in parameters(step)}
            if current.type == "function_statement":
                name = text_of(next(c for c in current.children if c.type == "function_name"))
                return self.function_guarded(name.lower(), seen)
            current = current.parent
        return False

    def function_guarded(self, name: str, seen: frozenset[str]) -> bool:
        if name in seen:
            return False
        if name not in self.functions:
            # A helper no step calls never runs (the helper block is the same in every runbook).
            calls = self.calls.get(name, [])
            self.functions[name] = all(self.guarded(c, seen | {name}) for c in calls)
        return self.functions[name]


def _guarded(node: Node, tree: Tree) -> bool:
    return _Guard(tree).guarded(node)


def test_state_changes_only_run_with_execute(scripts):
    for rel, tree in scripts.items():
        guard = _Guard(tree)
        for name, command in commands(tree):
            if _changes(name, command):
                assert guard.guarded(command), f"{rel}: {name} can run without -Execute"


def test_the_guard_check_catches_an_unguarded_change():
    bad = parse(
        "function Invoke-Step { param($Number, $Title, $Done, $Action, [switch]$ReadOnly) }\r\n"
        "Invoke-Step '1' 'x' -ReadOnly -Action { Stop-VM -VM $vm }\r\n"
        "Invoke-Step '2' 'y' -Action { Start-VM -VM $vm }\r\n"
        "Rename-VM -VM $vm -NewName 'z'\r\n"
    )
    verdicts = {name: _guarded(c, bad) for name, c in commands(bad) if _changes(name, c)}
    assert verdicts == {"Stop-VM": False, "Start-VM": True, "Rename-VM": False}


# --- injection -----------------------------------------------------------------------------


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize(
    "runtime,known",
    [
        (False, False),
        pytest.param(True, False, marks=pytest.mark.slow),
        pytest.param(False, True, marks=pytest.mark.slow),
    ],
)
def test_hostile_inventory_text_adds_no_command(variant, runtime, known):
    benign = _powershell(variant, False, runtime, known)
    hostile = _powershell(variant, True, runtime, known)
    assert len(benign) == len(hostile)

    def kind(item: tuple[str, Tree]) -> str:  # host / guest runbook, helper file
        return item[0].rsplit("/", 1)[-1].split(".", 1)[-1]

    for (_, tree_b), (rel_h, tree_h) in zip(
        sorted(benign.items(), key=kind), sorted(hostile.items(), key=kind), strict=True
    ):
        names_b = sorted(n.lower() for n, _ in commands(tree_b))
        names_h = sorted(n.lower() for n, _ in commands(tree_h))
        assert names_h == names_b, rel_h
        assert "stop-computer" not in names_h
        assert not error_nodes(tree_h)


def test_hostile_text_survives_as_literal_text():
    text = _rendered("mbr2gpt", True)
    host = next(t for rel, t in text.items() if rel.endswith(".host.ps1"))
    assert "$VmName = 'x''; Stop-Computer -Force; '''" in host
    assert "-SwitchName '$(Stop-Computer)'" in host
    assert "a\u2019\u2019; Stop-Computer; \u2018\u2018b" in host


def test_shell_guide_quotes_the_name():
    text = _rendered("linux-efi", True)
    guide = next(t for rel, t in text.items() if rel.endswith(".guest.sh"))
    assert "VM_NAME='x'\"'\"'; Stop-Computer -Force; '\"'\"''" in guide
    assert not any(line.startswith("#") and "\n" in line for line in guide.splitlines())


# --- contract lines ------------------------------------------------------------------------


def _variables_assigned(tree: Tree) -> set[str]:
    return {
        text_of(n).lower()
        for n in walk(tree.root_node)
        if n.type == "variable" and n.parent is not None and "assignment" in n.parent.parent.type
    }


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_contract_execute_switch_stop_on_error_transcript_rollback(variant):
    for rel, text in _rendered(variant, False).items():
        if not rel.endswith(".ps1") or rel.endswith(HELPERS_FILE):
            continue
        assert "[switch]$Execute" in text
        assert "$ErrorActionPreference = 'Stop'" in text
        assert "Start-Transcript" in text and "Stop-Transcript" in text
        if rel.endswith(".host.ps1"):
            body = text[text.index("# --- Run ---") :]
            rollback = body.index("=== Rollback")
            assert body.index("Start-VM -VM (Get-RequiredSourceVM)") > rollback
            # the Gen 1 VM is renamed and kept, never removed
            assert "Rename-VM -VM $source -NewName $KeptName" in body
            assert "-AutomaticStartAction Nothing" in body


def test_known_settings_are_written_as_values():
    host = next(
        t
        for rel, t in _rendered("mbr2gpt", False, False, True).items()
        if rel.endswith(".host.ps1")
    )
    for expected in (
        "Set-VMNetworkAdapterVlan -VMNetworkAdapter $nic -Access -VlanId 20",
        "-Trunk -NativeVlanId 1 -AllowedVlanIdList '10-20,30'",
        "-DhcpGuard On -RouterGuard Off",
        "-Reserve 10 -Maximum 90 -RelativeWeight 200",
        "-AutomaticStopAction ShutDown",
        "$owners = @('CL01-SQL', 'HV02')",
        "Enable-VMTPM -VM $vm",
        "-MinimumIOPS 100 -MaximumIOPS 5000",
        "-MinimumBandwidthAbsolute 100000000 -MinimumBandwidthWeight 10",
        "-Isolated -PrimaryVlanId 100 -SecondaryVlanId 101",
        "-Promiscuous -PrimaryVlanId 100 -SecondaryVlanIdList '101-105'",
    ):
        assert expected in host, expected
    assert "Get-SourceAdapter" not in host.split("# --- Run")[1]


def test_header_says_vm_path_steps_and_how_to_run():
    host = next(t for rel, t in _rendered("mbr2gpt", False).items() if rel.endswith(".host.ps1"))
    header = host[: host.index("[CmdletBinding()]")]
    for expected in (
        "# VM         SQL01",
        "# Path       mbr2gpt",
        "# Steps",
        "-Execute",
        "-Rollback",
        "Preview",
    ):
        assert expected in header
    assert header.count("[host  ]") >= 10


# --- the shared helper file ------------------------------------------------------------------


def test_helper_file_defines_functions_only():
    tree = parse(helper_script())
    top = [c for c in tree.root_node.children if c.type not in ("comment",)]
    statements = [n for c in top for n in walk(c) if n.type == "function_statement"]
    assert statements
    assert not [n for n, c in commands(tree) if _function_of(c) is None]


def test_runbook_holds_no_helper_and_calls_only_helpers_or_allow_listed():
    helpers = defined_functions(parse(helper_script()))
    allowed = {name.lower() for name in allowlist()["cmdlet"]}
    for rel, tree in _powershell("mbr2gpt", True, False, True).items():
        if not rel.endswith(".host.ps1"):
            continue
        assert not defined_functions(tree)
        names = {name.lower() for name, _ in commands(tree)}
        assert "invoke-step" in names and "$helperfile" in names
        assert names - helpers - allowed - {"$done", "$action"} == {"$helperfile"}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_runbook_checks_the_helper_file_before_it_loads_it(variant):
    expected = hashlib.sha256(helper_script().encode("utf-8-sig")).hexdigest().upper()
    assert helper_digest() == expected
    for rel, text in _rendered(variant, True).items():
        if not rel.endswith(".host.ps1"):
            continue
        lines = text.split("\r\n")
        assert lines.count(DOT_SOURCE) == 1
        assert f"$HelperFile = Join-Path $PSScriptRoot '{HELPERS_FILE}'" in lines
        assert f"$HelperSha256 = '{expected}'" in lines
        load = lines.index(DOT_SOURCE)
        missing = lines.index("if (-not (Test-Path -LiteralPath $HelperFile)) {")
        altered = lines.index(
            "if ((Get-FileHash -LiteralPath $HelperFile -Algorithm SHA256).Hash"
            " -ne $HelperSha256) {"
        )
        assert missing < altered < load
        # each check stops the script (throw) before anything is dot-sourced or run
        assert lines[missing + 1].lstrip().startswith("throw ") and lines[missing + 2] == "}"
        assert lines[altered + 1].lstrip().startswith("throw ") and lines[altered + 2] == "}"
        before = "\r\n".join(lines[:load])
        assert "Invoke-Step" not in before and "Start-Transcript" not in before
        assert text.count("$HelperFile = ") == 1 and text.count("$HelperSha256 = ") == 1


def test_a_changed_helper_file_no_longer_matches_the_runbook():
    changed = helper_script().replace("Write-Host $Text", "Write-Host $Text; Stop-VM -Name *")
    assert changed != helper_script()
    digest = hashlib.sha256(changed.encode("utf-8-sig")).hexdigest().upper()
    assert digest != helper_digest()
