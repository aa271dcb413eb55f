"""Static checks of the read-only collector script (no PowerShell needed).

The script runs on customers' production Hyper-V hosts, so the checks that matter most
are: it parses, it calls only reading cmdlets (an explicit allow list, so any new cmdlet
needs a deliberate change here), every host query is guarded so one failure cannot end the
collection, it writes nothing but its own output file (UTF-8 without BOM, LF), and it emits
exactly the record keys of the collection-record contract.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib import resources

import pytest
from lxml import etree
from tree_sitter import Node, Tree

from assess.collector import NODE_LIST_SCRIPT, SCRIPT_NAME, script_text
from tests.powershell_tree import parse, walk

# --- the contract: record keys (design, "Offline / live collection records") ---------------

HOST_KEYS = {
    "kind",
    "schema",
    "computerName",
    "fqdn",
    "osCaption",
    "osVersion",
    "osBuild",
    "psVersion",
    "supportedVmVersions",
    "cluster",
    "keyProtector",
    "collectedAt",
    "errors",
}
VM_KEYS = {
    "kind",
    "name",
    "id",
    "generation",
    "version",
    "state",
    "processorCount",
    "memoryStartup",
    "dynamicMemory",
    "notes",
    "isClustered",
    "replicationState",
    "replicationMode",
    "creationTime",
    "automaticStartAction",
    "automaticStartDelay",
    "automaticStopAction",
    "checkpointType",
    "smartPagingFilePath",
    "configurationLocation",
    "path",
    "processor",
    "memory",
    "disks",
    "bios",
    "firmware",
    "nics",
    "floppy",
    "comPorts",
    "dvd",
    "remoteFx3d",
    "snapshots",
    "integrationServices",
    "security",
    "replication",
    "clusterGroup",
    "guest",
    "errors",
}
# Present only for some VMs: bios (Gen 1), firmware (Gen 2), guest (running, KVP answered).
VM_CONDITIONAL_KEYS = {"bios", "firmware", "guest"}
END_KEYS = {"kind", "vmCount", "errors"}
CLUSTER_RECORD_KEYS = {"kind", "name", "domain", "nodes"}

SUB_OBJECT_SHAPES = {
    "disk": {
        "controllerType",
        "controllerNumber",
        "controllerLocation",
        "path",
        "diskNumber",
        "shared",
        "minimumIops",
        "maximumIops",
        "vhd",
    },
    "vhd": {"format", "type", "size", "fileSize", "parentPath"},
    "bios": {"startupOrder"},
    "firmware": {"secureBoot", "template"},
    "nic": {
        "name",
        "isLegacy",
        "switchName",
        "mac",
        "id",
        "dynamicMac",
        "deviceNaming",
        "dhcpGuard",
        "routerGuard",
        "macSpoofing",
        "portMirroring",
        "bandwidth",
        "vlan",
    },
    "bandwidth": {"minimumAbsolute", "minimumWeight", "maximum"},
    "vlan": {
        "mode",
        "accessVlanId",
        "nativeVlanId",
        "allowedVlanIdList",
        "privateVlanMode",
        "primaryVlanId",
        "secondaryVlanId",
        "secondaryVlanIdList",
    },
    "floppy": {"path"},
    "comPort": {"name", "path"},
    "dvd": {"controllerType", "controllerNumber", "controllerLocation", "path", "mediaType"},
    "processor": {"count", "compatibilityForMigration", "reserve", "maximum", "relativeWeight"},
    "memory": {"startup", "dynamicMemoryEnabled", "minimum", "maximum", "buffer", "priority"},
    "security": {"tpmEnabled", "shielded"},
    "replication": {"mode", "primaryServer", "replicaServer", "frequencySec"},
    "clusterGroup": {"name", "preferredOwners"},
    "keyProtector": {"available", "guardians", "mode", "hostGuarded"},
    "snapshots": {"count", "types"},
    "integrationService": {"name", "enabled", "status"},
    "error": {"what", "message"},
    "cluster": {"name", "nodes"},
    "clusterNode": {"name", "state"},
    "end": END_KEYS,
}

# --- what the script may run ---------------------------------------------------------------

# Every cmdlet either script may call. Adding one is a deliberate change to this list.
ALLOWED_COMMANDS = {
    # Hyper-V, reading only
    "get-vm",
    "get-vmharddiskdrive",
    "get-vhd",
    "get-vmbios",
    "get-vmfirmware",
    "get-vmnetworkadapter",
    "get-vmfloppydiskdrive",
    "get-vmcomport",
    "get-vmdvddrive",
    "get-vmsnapshot",
    "get-vmintegrationservice",
    "get-vmremotefx3dvideoadapter",
    "get-vmhostsupportedversion",
    "get-vmprocessor",
    "get-vmmemory",
    "get-vmnetworkadaptervlan",
    "get-vmsecurity",
    "get-vmreplication",
    # host, CIM, cluster, Host Guardian client, reading only
    "get-ciminstance",
    "get-cluster",
    "get-clusternode",
    "get-clustergroup",
    "get-clusterownernode",
    "get-hgsguardian",
    "get-hgsclientconfiguration",
    "get-service",
    "get-command",
    "get-date",
    "get-location",
    # pure in-memory and path helpers
    "convertto-json",
    "foreach-object",
    "where-object",
    "sort-object",
    "join-path",
    "split-path",
    "test-path",
    # console output only
    "write-host",
    "write-progress",
    # justified exceptions to the verb deny list (see JUSTIFIED_EXCEPTIONS)
    "new-object",
    "remove-typedata",
    "set-strictmode",
}
JUSTIFIED_EXCEPTIONS = {
    "new-object": "constructs in-memory .NET objects; the types are checked separately",
    "remove-typedata": "drops this session's System.Array type data (ConvertTo-Json in 5.1)",
    "set-strictmode": "a setting of the script's own scope",
    "write-host": "console output",
    "write-progress": "console progress bar",
}
DENIED_VERBS = {
    "add",
    "checkpoint",
    "clear",
    "compress",
    "connect",
    "convert",
    "copy",
    "debug",
    "disable",
    "disconnect",
    "dismount",
    "enable",
    "export",
    "expand",
    "format",
    "grant",
    "import",
    "initialize",
    "install",
    "invoke",
    "merge",
    "mount",
    "move",
    "new",
    "optimize",
    "out",
    "publish",
    "register",
    "remove",
    "rename",
    "repair",
    "reset",
    "resize",
    "restart",
    "restore",
    "resume",
    "revoke",
    "save",
    "send",
    "set",
    "start",
    "stop",
    "suspend",
    "uninstall",
    "unregister",
    "update",
    "write",
}
ALLOWED_NEW_OBJECT_TYPES = {
    "system.collections.arraylist",
    "system.text.utf8encoding",
    "system.io.streamwriter",
}
# .NET / PowerShell-adapter methods the script may call; all read or build in memory,
# except the writer's Write/Dispose, which are tied to the output file below.
ALLOWED_METHODS = {
    "add",
    "containskey",
    "dispose",
    "getattribute",
    "getunresolvedproviderpathfrompspath",
    "isnullorempty",
    "selectnodes",
    "selectsinglenode",
    "toarray",
    "tochararray",
    "tostring",
    "toupperinvariant",
    "trim",
    "trimend",
    "write",
}
WRITER_ONLY_METHODS = {"write", "dispose"}
ALLOWED_STATIC_TYPES = {"string"}

# Queries that talk to Hyper-V, CIM or the cluster: each must say -ErrorAction explicitly.
HOST_QUERIES = {
    "get-vm",
    "get-vmharddiskdrive",
    "get-vhd",
    "get-vmbios",
    "get-vmfirmware",
    "get-vmnetworkadapter",
    "get-vmfloppydiskdrive",
    "get-vmcomport",
    "get-vmdvddrive",
    "get-vmsnapshot",
    "get-vmintegrationservice",
    "get-vmremotefx3dvideoadapter",
    "get-vmhostsupportedversion",
    "get-vmprocessor",
    "get-vmmemory",
    "get-vmnetworkadaptervlan",
    "get-vmsecurity",
    "get-vmreplication",
    "get-ciminstance",
    "get-cluster",
    "get-clusternode",
    "get-clustergroup",
    "get-clusterownernode",
    "get-hgsguardian",
    "get-hgsclientconfiguration",
    "get-service",
}
# The per-VM section queries: each must sit in its own try block, so one failing section
# costs that section, not the whole VM record.
PER_VM_SECTION_QUERIES = {
    "get-vmharddiskdrive",
    "get-vhd",
    "get-vmbios",
    "get-vmfirmware",
    "get-vmnetworkadapter",
    "get-vmfloppydiskdrive",
    "get-vmcomport",
    "get-vmdvddrive",
    "get-vmsnapshot",
    "get-vmintegrationservice",
    "get-vmremotefx3dvideoadapter",
    "get-vmprocessor",
    "get-vmmemory",
    "get-vmnetworkadaptervlan",
    "get-vmsecurity",
    "get-vmreplication",
    "get-clustergroup",
    "get-clusterownernode",
}
# Only these may swallow errors with SilentlyContinue: probes whose absence is an answer.
SILENT_PROBES = {"get-command", "get-service", "remove-typedata"}

# Expression wrapper nodes the grammar puts around every value.
_WRAPPERS = {
    "logical_expression",
    "bitwise_expression",
    "comparison_expression",
    "additive_expression",
    "multiplicative_expression",
    "format_expression",
    "range_expression",
    "array_literal_expression",
    "unary_expression",
    "expression_with_unary_operator",
    "pipeline_chain",
    "pipeline",
}


# --- parsing helpers -------------------------------------------------------------------------


@cache
def _parse(text: str) -> Tree:
    return parse(text)


def _script_tree() -> Tree:
    return _parse(script_text())


def _nodes(node: Node, node_type: str) -> list[Node]:
    return [n for n in walk(node) if n.type == node_type]


def _text(node: Node) -> str:
    return node.text.decode("utf-8")


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _ancestors(node: Node) -> Iterator[Node]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _command_name(command: Node) -> str | None:
    names = [c for c in command.children if c.type == "command_name"]
    return _text(names[0]) if names else None


def _commands(root: Node) -> list[tuple[str, Node]]:
    """Every command invocation with its name, lower-cased (PowerShell ignores case)."""
    found = []
    for command in _nodes(root, "command"):
        name = _command_name(command)
        if name is not None:
            found.append((name.lower(), command))
    return found


def _arguments(command: Node) -> list[Node]:
    """The command's elements without the separators."""
    elements = [c for c in command.children if c.type == "command_elements"]
    if not elements:
        return []
    return [c for c in elements[0].children if c.type != "command_argument_sep"]


def _parameter_value(command: Node, parameter: str) -> str | None:
    """Text of the value given to -Parameter (None when absent, '' for a switch)."""
    args = _arguments(command)
    for index, arg in enumerate(args):
        if arg.type == "command_parameter" and _text(arg).rstrip(":").lower() == parameter.lower():
            if index + 1 < len(args) and args[index + 1].type != "command_parameter":
                return _unquote(_text(args[index + 1]))
            return ""
    return None


def _has_parameter(command: Node, parameter: str) -> bool:
    return _parameter_value(command, parameter) is not None


def _functions(root: Node) -> dict[str, Node]:
    functions = {}
    for function in _nodes(root, "function_statement"):
        name = next(c for c in function.children if c.type == "function_name")
        functions[_text(name).lower()] = function
    return functions


def _enclosing_function(node: Node) -> Node | None:
    return next((a for a in _ancestors(node) if a.type == "function_statement"), None)


def _function_name(function: Node) -> str:
    return _text(next(c for c in function.children if c.type == "function_name")).lower()


def _locally_guarded(node: Node) -> bool:
    """Inside the try block (not catch/finally) of a try statement in the same function."""
    for ancestor in _ancestors(node):
        if ancestor.type == "function_statement":
            return False
        parent = ancestor.parent
        if (
            ancestor.type == "statement_block"
            and parent is not None
            and parent.type == "try_statement"
        ):
            return True
    return False


def _guarded(node: Node, root: Node, seen: frozenset[str] = frozenset()) -> bool:
    """Guarded locally, or the enclosing function is only ever called from guarded places."""
    if _locally_guarded(node):
        return True
    function = _enclosing_function(node)
    if function is None:
        return False
    name = _function_name(function)
    if name in seen:
        return False
    call_sites = [command for called, command in _commands(root) if called == name]
    return bool(call_sites) and all(_guarded(c, root, seen | {name}) for c in call_sites)


def _hash_entries(literal: Node) -> list[tuple[str, Node]]:
    """(key, value node) of a hash literal's entries."""
    entries = []
    for entry in _nodes(literal, "hash_entry"):
        # Only this literal's own entries, not those of nested literals.
        owner = next(a for a in _ancestors(entry) if a.type == "hash_literal_expression")
        if owner != literal:
            continue
        key = next(c for c in entry.children if c.type == "key_expression")
        value = next(c for c in entry.children if c.type == "pipeline")
        entries.append((_unquote(_text(key)), value))
    return entries


def _hash_key_sets(root: Node) -> list[set[str]]:
    return [{key for key, _ in _hash_entries(h)} for h in _nodes(root, "hash_literal_expression")]


def _records_by_kind(root: Node) -> dict[str, list[Node]]:
    """Hash literals that carry a literal `kind`, grouped by that kind."""
    records: dict[str, list[Node]] = {}
    for literal in _nodes(root, "hash_literal_expression"):
        for key, value in _hash_entries(literal):
            if key == "kind":
                records.setdefault(_unquote(_text(value)), []).append(literal)
    return records


def _assigned_index_keys(root: Node, variable: str) -> set[str]:
    """String keys K of `$variable['K'] = ...` assignments."""
    keys = set()
    for left in _nodes(root, "left_assignment_expression"):
        for access in _nodes(left, "element_access"):
            target = access.children[0]
            if _text(target).lower() != variable.lower():
                continue
            literals = _nodes(access, "string_literal")
            assert literals, f"non-literal key in {_text(access)}"
            keys.add(_unquote(_text(literals[0])))
    return keys


def _code_only(text: str) -> str:
    """The script with comments and string literals blanked, for token searches."""
    tree = _parse(text)
    chars = list(text.encode("utf-8"))
    for node in walk(tree.root_node):
        if node.type in ("comment", "string_literal"):
            for i in range(node.start_byte, node.end_byte):
                if chars[i] not in (10, 13):
                    chars[i] = 32
    return bytes(chars).decode("utf-8")


def _syntax_problems(tree: Tree) -> list[str]:
    return [
        f"{n.type}{' (missing)' if n.is_missing else ''} at {n.start_point}: {_text(n)[:60]!r}"
        for n in walk(tree.root_node)
        if n.type == "ERROR" or n.is_missing
    ]


BOTH_SCRIPTS = pytest.mark.parametrize(
    "source", [pytest.param("collector", id="collector"), pytest.param("nodes", id="node-list")]
)


def _source(name: str) -> str:
    return script_text() if name == "collector" else NODE_LIST_SCRIPT


# --- tests ---------------------------------------------------------------------------------


def test_script_text_is_the_packaged_file() -> None:
    packaged = resources.files("assess.collector").joinpath(SCRIPT_NAME)
    assert SCRIPT_NAME == "gen2-inventory.ps1"
    assert packaged.is_file()
    text = script_text()
    assert text == packaged.read_text(encoding="utf-8")
    assert "function Get-VmRecord" in text
    assert "Get-ClusterNode" in NODE_LIST_SCRIPT
    assert NODE_LIST_SCRIPT.strip()


def test_script_is_plain_ascii_so_windows_powershell_reads_it_without_a_bom() -> None:
    # Windows PowerShell 5.1 reads a BOM-less script in the ANSI code page: only ASCII is
    # safe, whichever way the file reaches the host.
    raw = resources.files("assess.collector").joinpath(SCRIPT_NAME).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    bad = [(i, chr(b)) for i, b in enumerate(raw) if b > 127]
    assert not bad, f"non-ASCII bytes at {bad[:5]}"
    assert NODE_LIST_SCRIPT.isascii()


@BOTH_SCRIPTS
def test_parses_without_syntax_errors(source: str) -> None:
    assert _syntax_problems(_parse(_source(source))) == []


def test_syntax_check_catches_broken_and_ps7_only_code() -> None:
    # Guards the check above against going blind: these must be reported.
    for broken in ("if ($x { 1 }", "$y = $a ? 1 : 2", "$z = $a ?? 3", "$w = $a?.b"):
        assert _syntax_problems(_parse(broken)), broken


@BOTH_SCRIPTS
def test_no_powershell_7_only_constructs(source: str) -> None:
    text = _source(source)
    code = _code_only(text)
    assert not _nodes(_parse(text).root_node, "pipeline_chain_tail"), "&& / || need PS 7"
    for pattern in (
        r"\?\?",
        r"\?\.",
        r"::new\s*\(",
        r"(?im)^\s*class\s",
        r"(?i)using\s+namespace",
        r"(?i)-Parallel\b",
        r"(?i)-AsHashtable\b",
        r"(?i)-NoEnumerate\b",
    ):
        assert not re.search(pattern, code), pattern


def test_requires_at_most_windows_powershell_5_1() -> None:
    match = re.search(r"(?im)^#Requires\s+-Version\s+([\d.]+)", script_text())
    assert match, "the script should state its minimum version"
    major_minor = tuple(int(p) for p in match.group(1).split(".")[:2])
    assert major_minor <= (5, 1)


def test_param_block_matches_the_calling_convention() -> None:
    root = _script_tree().root_node
    blocks = [b for b in _nodes(root, "param_block") if _enclosing_function(b) is None]
    assert len(blocks) == 1
    params = {}
    for parameter in _nodes(blocks[0], "script_parameter"):
        name = _text(next(c for c in parameter.children if c.type == "variable"))
        types = [_text(t) for t in _nodes(parameter, "type_literal")]
        params[name] = types
    assert params == {
        "$OutputPath": ["[string]"],
        "$PassThru": ["[switch]"],
        "$VMName": ["[string[]]"],
    }


@BOTH_SCRIPTS
def test_calls_only_allow_listed_commands(source: str) -> None:
    root = _parse(_source(source)).root_node
    defined = set(_functions(root))
    called = {name for name, _ in _commands(root)}
    unknown = called - ALLOWED_COMMANDS - defined
    assert not unknown, f"not in the allow list: {sorted(unknown)}"
    # Commands started any other way (& 'name', & $block, dot-sourcing) are not checkable.
    assert not _nodes(root, "command_invokation_operator")
    assert "get-clusternode" in called


def test_allow_list_has_no_stale_entries() -> None:
    used = {n for s in ("collector", "nodes") for n, _ in _commands(_parse(_source(s)).root_node)}
    assert ALLOWED_COMMANDS - used == set()


@BOTH_SCRIPTS
def test_no_state_changing_verbs(source: str) -> None:
    root = _parse(_source(source)).root_node
    names = {name for name, _ in _commands(root)} | set(_functions(root))
    offending = {
        name
        for name in names
        if name.split("-", 1)[0] in DENIED_VERBS and name not in JUSTIFIED_EXCEPTIONS
    }
    assert not offending, sorted(offending)
    # The deny list itself must catch the cmdlets this tool must never run.
    for dangerous in ("convert-vhd", "remove-vmsnapshot", "stop-vm", "set-vmbios", "out-file"):
        assert dangerous.split("-", 1)[0] in DENIED_VERBS


@BOTH_SCRIPTS
def test_no_dynamic_code_and_no_force(source: str) -> None:
    text = _source(source)
    code = _code_only(text).lower()
    for forbidden in ("invoke-expression", "iex ", "[scriptblock]", "invoke-command", "-force"):
        assert forbidden not in code, forbidden
    root = _parse(text).root_node
    arguments = [_text(a).lower() for _, c in _commands(root) for a in _arguments(c)]
    assert "-force" not in arguments


def test_new_object_builds_only_known_in_memory_types() -> None:
    root = _script_tree().root_node
    types = set()
    for name, command in _commands(root):
        if name == "new-object":
            types.add(_text(_arguments(command)[0]).lower())
    assert types == ALLOWED_NEW_OBJECT_TYPES


def test_method_calls_are_allow_listed_and_only_the_writer_writes() -> None:
    root = _script_tree().root_node
    calls = _nodes(root, "invokation_expression")
    assert calls
    for call in calls:
        member = _text(next(c for c in call.children if c.type == "member_name")).lower()
        target = call.children[0]
        assert member in ALLOWED_METHODS, f"method .{member}() in {_text(call)[:80]}"
        if member in WRITER_ONLY_METHODS:
            assert _text(target) == "$writer", _text(call)[:80]
        if target.type == "type_literal":
            assert _text(target).strip("[]").lower() in ALLOWED_STATIC_TYPES, _text(call)
    # $writer is the StreamWriter on the output file and nothing else.
    writer_assignments = [
        a
        for a in _nodes(root, "assignment_expression")
        if _text(a.children[0]).strip() == "$writer"
    ]
    assert len(writer_assignments) == 1
    assert "New-Object System.IO.StreamWriter" in _text(writer_assignments[0])
    assert "$outputFile" in _text(writer_assignments[0])


def test_output_file_is_utf8_without_bom_and_lf_terminated() -> None:
    text = script_text()
    root = _script_tree().root_node
    encodings = [c for n, c in _commands(root) if n == "new-object" and "UTF8Encoding" in _text(c)]
    assert len(encodings) == 1
    args = [_text(a) for a in _arguments(encodings[0])]
    assert args == ["System.Text.UTF8Encoding", "$false"], "UTF8Encoding($true) writes a BOM"
    assert re.search(r"\$encoding\s*=\s*New-Object System\.Text\.UTF8Encoding \$false", text)
    writer = next(c for n, c in _commands(root) if n == "new-object" and "StreamWriter" in _text(c))
    assert _text(writer).endswith("@($outputFile, $false, $encoding)")
    # LF, not the CRLF that WriteLine/WriteAllLines use on Windows.
    assert '$writer.Write("`n")' in text
    code = _code_only(text)
    for crlf_or_bom in ("WriteLine", "WriteAllLines", "Encoding]::UTF8", "Out-File", "-Encoding"):
        assert crlf_or_bom not in code, crlf_or_bom


def test_no_stray_output_from_list_adds() -> None:
    # ArrayList.Add returns the index; unless cast to [void] it lands in the output stream
    # and breaks the one-JSON-string-per-record contract of -PassThru.
    root = _script_tree().root_node
    adds = [
        c
        for c in _nodes(root, "invokation_expression")
        if _text(next(m for m in c.children if m.type == "member_name")).lower() == "add"
    ]
    assert adds
    for call in adds:
        cast = next(a for a in _ancestors(call) if a.type not in _WRAPPERS)
        assert cast.type == "cast_expression", _text(call)[:80]
        assert _text(cast.children[0]).lower() == "[void]", _text(call)[:80]


def test_convert_to_json_keeps_arrays_and_one_line_per_record() -> None:
    for source, depth in (("collector", 6), ("nodes", 4)):
        root = _parse(_source(source)).root_node
        calls = [c for n, c in _commands(root) if n == "convertto-json"]
        assert calls, source
        for call in calls:
            assert _has_parameter(call, "-InputObject"), _text(call)
            assert _parameter_value(call, "-Compress") == "", _text(call)
            assert _parameter_value(call, "-Depth") == str(depth), _text(call)


@BOTH_SCRIPTS
def test_array_type_data_is_removed_before_any_json(source: str) -> None:
    root = _parse(_source(source)).root_node
    removals = [c for n, c in _commands(root) if n == "remove-typedata"]
    assert len(removals) == 1
    removal = removals[0]
    assert _parameter_value(removal, "-TypeName") == "System.Array"
    assert _enclosing_function(removal) is None, "must run at script level"
    # Runs before the first top-level statement that produces records.
    top_level = [c for _, c in _commands(root) if _enclosing_function(c) is None]
    producers = [
        c
        for c in top_level
        if _command_name(c).lower() in ("convertto-json", "get-inventoryrecordlines")
    ]
    assert producers
    assert all(removal.start_byte < p.start_byte for p in producers)


def test_host_queries_state_their_error_action_and_are_guarded() -> None:
    root = _script_tree().root_node
    queries = [(n, c) for n, c in _commands(root) if n in HOST_QUERIES | SILENT_PROBES]
    assert {n for n, _ in queries} >= PER_VM_SECTION_QUERIES | {"get-vm", "get-ciminstance"}
    for name, command in queries:
        action = _parameter_value(command, "-ErrorAction")
        where = f"{_text(command)[:80]}"
        if name in SILENT_PROBES:
            assert action in ("Stop", "SilentlyContinue"), where
        else:
            assert action == "Stop", where
        if action == "Stop":
            assert _guarded(command, root), f"not inside try: {where}"
        if name in PER_VM_SECTION_QUERIES:
            assert _locally_guarded(command), f"needs its own try block: {where}"


def test_guard_detection_is_not_vacuous() -> None:
    snippet = (
        "function Get-A { Get-VM -ErrorAction Stop }\n"
        "function Get-B {\n"
        "  try { Get-VMBios -ErrorAction Stop } catch { Get-VHD -ErrorAction Stop }\n"
        "}\n"
        "try { Get-A } catch { }\n"
        "Get-A\n"
    )
    root = _parse(snippet).root_node
    by_name = {n: c for n, c in _commands(root) if n.startswith("get-v")}
    assert not _guarded(by_name["get-vm"], root)  # one call site is outside any try
    assert _locally_guarded(by_name["get-vmbios"])
    assert not _locally_guarded(by_name["get-vhd"])  # a catch block is not a guard


def test_node_list_script_fails_loudly() -> None:
    # No try/catch here: a failure must reach the caller as an error, not as empty output.
    root = _parse(NODE_LIST_SCRIPT).root_node
    assert not _nodes(root, "try_statement")
    for name, command in _commands(root):
        if name in HOST_QUERIES:
            assert _parameter_value(command, "-ErrorAction") == "Stop", _text(command)


def test_host_record_keys() -> None:
    root = _script_tree().root_node
    hosts = _records_by_kind(root)["host"]
    function = _functions(root)["get-hostrecord"]
    main = [h for h in hosts if _enclosing_function(h) == function]
    assert len(main) == 1
    assert {k for k, _ in _hash_entries(main[0])} == HOST_KEYS
    assert _assigned_index_keys(function, "$record") <= HOST_KEYS
    for fallback in hosts:  # the minimal record written when the host record fails
        assert {k for k, _ in _hash_entries(fallback)} <= HOST_KEYS
    schema = dict(_hash_entries(main[0]))["schema"]
    assert _text(schema) == "2"
    for fallback in hosts:
        assert _text(dict(_hash_entries(fallback))["schema"]) == "2"


def test_vm_record_keys() -> None:
    root = _script_tree().root_node
    function = _functions(root)["get-vmrecord"]
    literals = _nodes(function, "hash_literal_expression")
    assert len(literals) == 1
    literal_keys = {k for k, _ in _hash_entries(literals[0])}
    assigned = _assigned_index_keys(function, "$record")
    assert literal_keys | assigned == VM_KEYS
    assert assigned - literal_keys >= VM_CONDITIONAL_KEYS
    for record in _records_by_kind(root)["vm"]:
        assert {k for k, _ in _hash_entries(record)} <= VM_KEYS


def test_gen1_gets_bios_gen2_gets_firmware_and_only_running_vms_get_guest() -> None:
    function = _functions(_script_tree().root_node)["get-vmrecord"]

    def branch_of(key: str) -> tuple[str, bool]:
        access = next(
            a
            for a in _nodes(function, "element_access")
            if _text(a).replace('"', "'") == f"$record['{key}']"
        )
        in_else = any(a.type == "else_clause" for a in _ancestors(access))
        statement = next(a for a in _ancestors(access) if a.type == "if_statement")
        condition = next(c for c in statement.children if c.type == "pipeline")
        return re.sub(r"\s+", " ", _text(condition)), in_else

    assert branch_of("bios") == ("$generation -eq 1", False)
    assert branch_of("firmware") == ("$generation -eq 1", True)
    assert branch_of("guest")[1] is False
    # guest is set inside `if ($null -ne $guest)`, itself inside the running-state check.
    access = next(a for a in _nodes(function, "element_access") if "'guest'" in _text(a))
    conditions = [
        _text(next(c for c in s.children if c.type == "pipeline"))
        for s in _ancestors(access)
        if s.type == "if_statement"
    ]
    assert "$state -like 'Running*'" in conditions


def test_sub_object_and_end_record_keys() -> None:
    key_sets = _hash_key_sets(_script_tree().root_node)
    for shape, keys in SUB_OBJECT_SHAPES.items():
        assert keys in key_sets, f"no object with exactly the {shape} keys {sorted(keys)}"
    end = _records_by_kind(_script_tree().root_node)["end"]
    assert len(end) == 1


def test_node_list_record_keys() -> None:
    root = _parse(NODE_LIST_SCRIPT).root_node
    records = _records_by_kind(root)["cluster"]
    assert len(records) == 1
    assert {k for k, _ in _hash_entries(records[0])} == CLUSTER_RECORD_KEYS
    assert SUB_OBJECT_SHAPES["clusterNode"] in _hash_key_sets(root)


def test_every_record_kind_is_known() -> None:
    kinds = set(_records_by_kind(_script_tree().root_node))
    assert kinds == {"host", "vm", "end"}


# A guest-intrinsic KVP item as Hyper-V returns it (CIM-XML of Msvm_KvpExchangeDataItem).
_KVP_ITEM = (
    '<INSTANCE CLASSNAME="Msvm_KvpExchangeDataItem">'
    '<PROPERTY NAME="Caption" PROPAGATED="true" TYPE="string"></PROPERTY>'
    '<PROPERTY NAME="Data" TYPE="string"><VALUE>Windows Server 2016 Datacenter\n</VALUE>'
    "</PROPERTY>"
    '<PROPERTY NAME="Description" PROPAGATED="true" TYPE="string"></PROPERTY>'
    '<PROPERTY NAME="Name" TYPE="string"><VALUE>OSName</VALUE></PROPERTY>'
    '<PROPERTY NAME="Source" TYPE="uint16"><VALUE>2</VALUE></PROPERTY>'
    "</INSTANCE>"
)


def _string_args_of(root: Node, method: str) -> list[str]:
    values = []
    for call in _nodes(root, "invokation_expression"):
        member = _text(next(c for c in call.children if c.type == "member_name"))
        if member.lower() == method.lower():
            values += [_unquote(_text(s)) for s in _nodes(call, "string_literal")]
    return values


def test_kvp_xml_paths_read_a_real_item() -> None:
    root = _script_tree().root_node
    function = _functions(root)["convertfrom-kvpxml"]
    (properties_path,) = _string_args_of(function, "SelectNodes")
    (value_path,) = _string_args_of(function, "SelectSingleNode")
    (name_attribute,) = _string_args_of(function, "GetAttribute")
    document = etree.fromstring(_KVP_ITEM.encode())
    found = {}
    for prop in document.getroottree().xpath(properties_path):
        values = prop.xpath(value_path)
        if values:
            found[prop.get(name_attribute)] = values[0].text
    assert found["Name"] == "OSName"
    assert found["Data"].rstrip("\r\n") == "Windows Server 2016 Datacenter"
    code = _text(function)
    assert "$propertyName -eq 'Name'" in code and "$propertyName -eq 'Data'" in code
    assert 'TrimEnd("`r`n' in code


def test_kvp_comes_from_the_hyperv_wmi_namespace_and_matches_by_vm_id() -> None:
    root = _script_tree().root_node
    function = _functions(root)["get-kvpguestfacts"]
    (query,) = [c for n, c in _commands(function) if n == "get-ciminstance"]
    assert _parameter_value(query, "-Namespace") == "root\\virtualization\\v2"
    assert _parameter_value(query, "-ClassName") == "Msvm_KvpExchangeComponent"
    assert "$component.SystemName" in _text(function)
    assert "$component.GuestIntrinsicExchangeItems" in _text(function)


def test_passthru_sends_records_to_the_output_stream_and_nothing_else() -> None:
    root = _script_tree().root_node
    top_ifs = [
        s
        for s in _nodes(root, "if_statement")
        if _enclosing_function(s) is None and "$PassThru" in _text(s.children[2])
    ]
    assert len(top_ifs) == 1
    statement = top_ifs[0]
    then_block = next(c for c in statement.children if c.type == "statement_block")
    assert [n for n, _ in _commands(then_block)] == ["get-inventoryrecordlines"]
    assert "|" not in _text(then_block)
    # Console output belongs to the file mode only.
    for name, command in _commands(root):
        if name == "write-host":
            assert any(a.type == "else_clause" for a in _ancestors(command))
            assert statement in list(_ancestors(command))
        if name == "write-progress":
            conditions = [
                _text(s.children[2]) for s in _ancestors(command) if s.type == "if_statement"
            ]
            assert "$ShowProgress" in conditions


def test_header_explains_reading_running_rights_and_import() -> None:
    header = script_text().split("#>", 1)[0]
    assert re.search(r"(?i)\bread-only\b", header)
    assert "powershell.exe -ExecutionPolicy Bypass -File .\\gen2-inventory.ps1" in header
    assert "-OutputPath D:\\out" in header
    assert "Hyper-V Administrators" in header
    assert "assess run" in header
    assert "-PassThru" in header or "PassThru" in header


# Cmdlets that older hosts lack: each is probed with Get-Command before use, so a
# WS2012 R2 host (no Get-VMSecurity, no HgsClient) or a node without the FailoverClusters
# module still completes the run.
OPTIONAL_CMDLETS = {
    "get-vmremotefx3dvideoadapter": "Get-VMRemoteFx3dVideoAdapter",
    "get-vmhostsupportedversion": "Get-VMHostSupportedVersion",
    "get-vmsecurity": "Get-VMSecurity",
    "get-clustergroup": "Get-ClusterGroup",
    "get-cluster": "Get-Cluster",
    "get-hgsguardian": "Get-HgsGuardian",
    "get-hgsclientconfiguration": "Get-HgsClientConfiguration",
}


def test_cmdlets_newer_hosts_lack_are_probed_first() -> None:
    root = _script_tree().root_node
    probed = {_parameter_value(c, "-Name") for n, c in _commands(root) if n == "get-command"}
    called = {n for n, _ in _commands(root)}
    for name, spelled in OPTIONAL_CMDLETS.items():
        assert name in called, name
        assert spelled in probed, f"{spelled} is called without a Get-Command probe"


def test_replication_is_read_only_for_vms_with_replica() -> None:
    # Get-VMReplication throws for a VM without Replica; that must not become an error.
    function = _functions(_script_tree().root_node)["get-vmreplicationfacts"]
    code = re.sub(r"\s+", " ", _text(function))
    guard = code.index("$mode -eq 'None'")
    call = code.index("Get-VMReplication -VM")
    assert guard < call


def test_cluster_role_is_read_only_for_clustered_vms() -> None:
    function = _functions(_script_tree().root_node)["get-vmclustergroupfacts"]
    code = _text(function)
    assert code.index("'IsClustered'") < code.index("Get-ClusterGroup -VMId")
    (owners,) = [c for n, c in _commands(function) if n == "get-clusterownernode"]
    assert _has_parameter(owners, "-Group")


def test_vtpm_is_asked_only_of_generation_2_vms() -> None:
    function = _functions(_script_tree().root_node)["get-vmsecurityfacts"]
    code = _text(function)
    assert code.index("$Generation -ne 2") < code.index("Get-VMSecurity -VM")


def test_vlan_failure_costs_one_adapter_not_the_list() -> None:
    root = _script_tree().root_node
    (vlan,) = [c for n, c in _commands(root) if n == "get-vmnetworkadaptervlan"]
    assert _function_name(_enclosing_function(vlan)) == "get-nicvlanfacts"
    assert _parameter_value(vlan, "-VMNetworkAdapter") == "$Adapter"
    assert _locally_guarded(vlan)
