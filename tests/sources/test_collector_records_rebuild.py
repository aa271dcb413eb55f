"""Collector records, schema 2: the settings a faithful Gen 2 rebuild carries over.

Names and numbers for every enum, one-element arrays unwrapped, nulls and failed sections
as unknown, schema 1 records still read (the new columns unknown), and the host's key
protector combined per cluster.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.model.inventory import Inventory
from assess.sources import collector_records as records
from tests.sources_support import assert_conforms, by_name, fixture, messages

VM_COLUMNS = [
    "processor_compat_migration",
    "processor_reserve",
    "processor_limit",
    "processor_weight",
    "memory_minimum_bytes",
    "memory_maximum_bytes",
    "memory_buffer",
    "memory_priority",
    "automatic_start_action",
    "automatic_stop_action",
    "automatic_start_delay",
    "checkpoint_type",
    "smart_paging_path",
    "config_path",
    "cluster_group",
    "preferred_owners",
    "vtpm_enabled",
    "replication_primary_server",
    "replication_replica_server",
    "replication_frequency",
]
NIC_COLUMNS = [
    "adapter_id",
    "mac_static",
    "vlan_mode",
    "vlan_id",
    "vlan_allowed",
    "vlan_native",
    "device_naming",
    "dhcp_guard",
    "router_guard",
    "mac_spoofing",
    "bandwidth_min",
    "bandwidth_min_weight",
    "bandwidth_max",
    "port_mirroring",
    "vlan_private_mode",
    "vlan_primary",
    "vlan_secondary",
]


@pytest.fixture(scope="module")
def rebuild():
    return records.load(fixture("collector_rebuild.jsonl"))


def rows(result, table: str, vm_key: str | None = None) -> list[dict]:
    frame = result.inventory[table]
    if vm_key is not None:
        frame = frame[frame["vm_key"] == vm_key]
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def test_schema_2_is_read_without_a_newer_collector_warning(rebuild) -> None:
    assert_conforms(rebuild)
    assert not any("newer collector" in m for m in messages(rebuild))
    assert records.SCHEMA_VERSION == 2


def test_vm_settings_given_as_names(rebuild) -> None:
    vm = by_name(rebuild)["REB-NAMES"]
    assert vm["processor_count"] == 4
    assert vm["processor_compat_migration"] is True
    assert (vm["processor_reserve"], vm["processor_limit"], vm["processor_weight"]) == (
        10,
        80,
        200,
    )
    assert vm["memory_startup_bytes"] == 4294967296
    assert vm["dynamic_memory"] is True
    assert vm["memory_minimum_bytes"] == 1073741824
    assert vm["memory_maximum_bytes"] == 8589934592
    assert (vm["memory_buffer"], vm["memory_priority"]) == (20, 80)
    assert vm["automatic_start_action"] == "StartIfRunning"
    assert vm["automatic_start_delay"] == 120
    assert vm["automatic_stop_action"] == "ShutDown"
    assert vm["checkpoint_type"] == "Production"
    assert vm["smart_paging_path"] == r"C:\ClusterStorage\Volume1\REB-NAMES"
    assert vm["config_path"] == r"C:\ClusterStorage\Volume1\REB-NAMES"
    assert vm["notes"] == "app tier"
    assert vm["cluster_group"] == "REB-NAMES"
    assert vm["preferred_owners"] == "HV-R2;HV-R1"  # preference order kept
    assert vm["vtpm_enabled"] is True
    assert vm["replication_primary_server"] == "cl-r.corp.example"
    assert vm["replication_replica_server"] == "hv-dr01.corp.example"
    assert vm["replication_frequency"] == 300


def test_vm_settings_given_as_numbers_and_unwrapped_arrays(rebuild) -> None:
    vm = by_name(rebuild)["REB-NUMBERS"]
    # processorCount null at the top: the processor section fills it.
    assert vm["processor_count"] == 2
    assert vm["processor_compat_migration"] is False  # 0, inside a one-element list
    assert (vm["processor_reserve"], vm["processor_limit"], vm["processor_weight"]) == (
        0,
        100,
        100,
    )
    assert vm["memory_startup_bytes"] == 2147483648
    assert vm["dynamic_memory"] is False  # "False" as text
    assert vm["memory_minimum_bytes"] == 536870912  # "536870912" as text
    assert vm["memory_maximum_bytes"] == 1099511627776
    assert vm["automatic_start_action"] == "Start"  # 4
    assert vm["automatic_start_delay"] == 30  # "30"
    assert vm["automatic_stop_action"] == "TurnOff"  # 2
    assert vm["checkpoint_type"] == "Standard"  # 5
    assert vm["config_path"] == r"D:\VMs\REB-NUMBERS"  # configurationLocation null: path
    assert vm["preferred_owners"] == "HV-R3"  # a lone string, not a list
    assert vm["vtpm_enabled"] is False
    assert vm["replication_primary_server"] is None  # no Replica: replication null
    assert vm["replication_frequency"] is None


def test_failed_and_null_sections_stay_unknown(rebuild) -> None:
    vm = by_name(rebuild)["REB-UNKNOWN"]
    for column in VM_COLUMNS:
        assert vm[column] is None, column
    # Unknown settings never hide the device lists that were read.
    assert vm["nics_listed"] is True  # a failed VLAN query is not a failed adapter list
    assert vm["processor_count"] == 2  # from Get-VM, even though Get-VMProcessor failed
    (nic,) = rows(rebuild, "nics", vm["vm_key"])
    assert nic["mac"] is None  # 000000000000: dynamic, not yet assigned
    for column in NIC_COLUMNS:
        assert nic[column] is None, column
    whats = {row["what"] for row in rows(rebuild, "collection_errors", vm["vm_key"])}
    assert "Get-VMNetworkAdapterVlan" in whats


def test_adapters_with_port_settings_and_vlans(rebuild) -> None:
    vm = by_name(rebuild)["REB-NAMES"]
    frontend, backend = rows(rebuild, "nics", vm["vm_key"])
    assert frontend["adapter_id"] == r"Microsoft:11111111-0000-4000-8000-000000000001\AAAA0001"
    assert frontend["mac"] == "00155D0A0001"
    assert frontend["mac_static"] is True  # dynamicMac false
    assert (frontend["device_naming"], frontend["dhcp_guard"], frontend["router_guard"]) == (
        True,
        True,
        True,
    )
    assert frontend["mac_spoofing"] is False
    assert frontend["port_mirroring"] == "None"
    assert (frontend["bandwidth_min"], frontend["bandwidth_max"]) == (100000000, 1000000000)
    assert frontend["bandwidth_min_weight"] == 0
    assert (frontend["vlan_mode"], frontend["vlan_id"]) == ("Access", 120)
    assert frontend["vlan_allowed"] is None  # empty list
    assert backend["mac_static"] is False
    assert backend["port_mirroring"] == "Source"
    assert backend["bandwidth_min"] is None  # bandwidth management never configured
    assert (backend["vlan_mode"], backend["vlan_native"]) == ("Trunk", 10)
    assert backend["vlan_allowed"] == "10,20-22,30"


def test_adapter_with_numbers_and_on_off_state(rebuild) -> None:
    vm = by_name(rebuild)["REB-NUMBERS"]
    (nic,) = rows(rebuild, "nics", vm["vm_key"])  # "nics" is a lone object
    assert nic["mac_static"] is False  # dynamicMac 1
    # OnOffState: On = 0, Off = 1.
    assert nic["device_naming"] is False
    assert nic["dhcp_guard"] is True
    assert (nic["router_guard"], nic["mac_spoofing"]) == (False, False)
    assert nic["port_mirroring"] == "Source"  # 2
    assert nic["bandwidth_min_weight"] == 50
    assert (nic["vlan_mode"], nic["vlan_native"], nic["vlan_allowed"]) == ("Trunk", 5, "5")


def test_disk_qos_and_dvd_slot(rebuild) -> None:
    names = by_name(rebuild)
    (disk,) = rows(rebuild, "disks", names["REB-NAMES"]["vm_key"])
    assert (disk["qos_min_iops"], disk["qos_max_iops"]) == (100, 5000)
    (dvd,) = rows(rebuild, "dvd_drives", names["REB-NAMES"]["vm_key"])
    assert (dvd["controller_type"], dvd["controller_number"], dvd["controller_location"]) == (
        "SCSI",
        0,
        1,
    )
    assert dvd["path"] == r"C:\ISO\tools.iso"
    (disk,) = rows(rebuild, "disks", names["REB-NUMBERS"]["vm_key"])
    assert (disk["qos_min_iops"], disk["qos_max_iops"]) == (0, 0)
    (dvd,) = rows(rebuild, "dvd_drives", names["REB-NUMBERS"]["vm_key"])
    assert dvd["controller_location"] == 0  # "0"


def test_key_protector_per_host_and_per_cluster(rebuild) -> None:
    hosts = {row["host"]: row for row in rows(rebuild, "hosts")}
    assert hosts["HV-R1"]["key_protector_available"] is True
    assert hosts["HV-R2"]["key_protector_available"] is False
    assert hosts["HV-R3"]["key_protector_available"] is None  # schema 1: not asked
    assert hosts["HV-SOLO"]["key_protector_available"] is True  # a bare boolean
    assert hosts["HV-BROKEN"]["key_protector_available"] is None  # Get-HgsGuardian failed
    for name in ("HV-R1", "HV-R2", "HV-R3"):
        assert hosts[name]["key_protector_nodes"] == "HV-R1", name
        assert hosts[name]["cluster_nodes"] == "HV-R1;HV-R2;HV-R3", name
    assert hosts["HV-SOLO"]["key_protector_nodes"] == "HV-SOLO"
    assert hosts["HV-SOLO"]["cluster_nodes"] is None
    assert hosts["HV-BROKEN"]["key_protector_nodes"] is None


def _host_file(name: str, available: bool | None, cluster: str | None = "CL-X") -> list[str]:
    host = {"kind": "host", "schema": 2, "computerName": name, "errors": []}
    if cluster:
        host["cluster"] = {"name": cluster, "nodes": [{"name": "A"}, {"name": "B"}]}
    if available is not None:
        host["keyProtector"] = {"available": available, "guardians": []}
    return [json.dumps(host), json.dumps({"kind": "end", "vmCount": 0})]


def test_key_protector_nodes_combine_across_inputs() -> None:
    # Each node's collector output is its own file: the run combines them per cluster.
    parts = [
        records.parse_record_lines(_host_file(name, available), origin=name, path_for_messages=name)
        for name, available in (("B", True), ("A", True), ("C", False))
    ]
    assert [p.inventory["hosts"]["key_protector_nodes"].iloc[0] for p in parts] == ["B", "A", ""]
    hosts = Inventory.concat(p.inventory for p in parts)["hosts"]
    assert hosts["key_protector_nodes"].tolist() == ["A;B", "A;B", "A;B"]
    alone = Inventory.concat(
        [
            records.parse_record_lines(
                _host_file("D", None), origin="d", path_for_messages="d"
            ).inventory
        ]
    )["hosts"]
    assert alone["key_protector_nodes"].isna().all()  # nobody said: unknown, not "none"


def test_schema_1_records_leave_the_new_columns_unknown() -> None:
    result = records.load(fixture("collector_quirks.jsonl"))
    assert_conforms(result)
    vms = result.inventory.vms
    for column in VM_COLUMNS:
        assert vms[column].isna().all(), column
    nics = result.inventory["nics"]
    for column in NIC_COLUMNS:
        assert nics[column].isna().all(), column
    assert result.inventory["disks"]["qos_min_iops"].isna().all()
    assert result.inventory["dvd_drives"]["controller_location"].isna().all()
    assert result.inventory["hosts"]["key_protector_available"].isna().all()


def test_bad_values_are_warnings_naming_the_field() -> None:
    vm = {
        "kind": "vm",
        "name": "BAD",
        "id": "bad",
        "automaticStartAction": 7,
        "checkpointType": "Sometimes",
        "processor": {"reserve": "lots"},
        "nics": [{"name": "n", "vlan": {"mode": 9, "allowedVlanIdList": "10-x"}}],
    }
    lines = [json.dumps({"kind": "host", "computerName": "H"}), json.dumps(vm)]
    result = records.parse_record_lines(lines, origin="o", path_for_messages="o")
    assert_conforms(result)
    text = "\n".join(messages(result))
    for field in (
        "automaticStartAction",
        "checkpointType",
        "processor.reserve",
        "nics[0].vlan.mode",
        "nics[0].vlan.allowedVlanIdList",
    ):
        assert f"o:2: column '{field}': " in text, field
    row = by_name(result)["BAD"]
    assert row["automatic_start_action"] is None
    assert row["checkpoint_type"] is None
    assert row["processor_reserve"] is None


# --------------------------------------------------------------------------- properties

# (what a record may hold, what the inventory must say)
START = [("Nothing", "Nothing"), ("StartIfRunning", "StartIfRunning"), ("Start", "Start")]
START += [(2, "Nothing"), (3, "StartIfRunning"), (4, "Start"), ("startifrunning", "StartIfRunning")]
STOP = [("TurnOff", "TurnOff"), ("Save", "Save"), ("ShutDown", "ShutDown")]
STOP += [(2, "TurnOff"), (3, "Save"), (4, "ShutDown"), ("shutdown", "ShutDown")]
CHECKPOINT = [("Disabled", "Disabled"), ("Production", "Production")]
CHECKPOINT += [("ProductionOnly", "ProductionOnly"), ("Standard", "Standard")]
CHECKPOINT += [(2, "Disabled"), (3, "Production"), (4, "ProductionOnly"), (5, "Standard")]
VLAN_MODE = [("Untagged", "Untagged"), ("Access", "Access"), ("Trunk", "Trunk")]
VLAN_MODE += [("Private", "Private"), (0, "Untagged"), (1, "Access"), (2, "Trunk"), (3, "Private")]
ON_OFF = [("On", True), ("Off", False), (0, True), (1, False), (True, True), (False, False)]
MIRROR = [("None", "None"), ("Destination", "Destination"), ("Source", "Source")]
MIRROR += [(0, "None"), (1, "Destination"), (2, "Source")]


def maybe_null(pairs):
    return st.sampled_from([*pairs, (None, None)])


def maybe_unwrapped(value):
    """A list as written, or its lone element the way 5.1 writes a one-element array."""
    if isinstance(value, list) and len(value) == 1:
        return st.sampled_from([value, value[0]])
    return st.just(value)


counts = st.one_of(st.none(), st.integers(min_value=0, max_value=2**40))
vlan_ids = st.lists(st.integers(min_value=1, max_value=4094), max_size=6, unique=True)
owner_names = st.lists(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=8),
    max_size=4,
    unique=True,
)


def _as_text_or_number(value):
    return st.sampled_from([value, str(value)]) if value is not None else st.just(None)


def _compact(ids: list[int]) -> str | None:
    if not ids:
        return None
    ordered = sorted(ids)
    ranges, start, previous = [], ordered[0], ordered[0]
    for number in [*ordered[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        ranges.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ",".join(ranges)


@st.composite
def vm_records(draw):
    start, start_expected = draw(maybe_null(START))
    stop, stop_expected = draw(maybe_null(STOP))
    checkpoint, checkpoint_expected = draw(maybe_null(CHECKPOINT))
    mode, mode_expected = draw(maybe_null(VLAN_MODE))
    guard, guard_expected = draw(maybe_null(ON_OFF))
    mirror, mirror_expected = draw(maybe_null(MIRROR))
    reserve, limit, weight = draw(counts), draw(counts), draw(counts)
    minimum, buffer = draw(counts), draw(counts)
    delay = draw(counts)
    allowed = draw(vlan_ids)
    owners = draw(owner_names)
    dynamic = draw(st.sampled_from([True, False, None, 0, 1, "True", "false"]))
    processor = {
        "reserve": draw(_as_text_or_number(reserve)),
        "maximum": limit,
        "relativeWeight": weight,
    }
    nic = {
        "name": "n",
        "dynamicMac": dynamic,
        "dhcpGuard": guard,
        "portMirroring": mirror,
        "vlan": {"mode": mode, "allowedVlanIdList": draw(maybe_unwrapped(allowed))},
    }
    record = {
        "kind": "vm",
        "name": "P",
        "id": "p",
        "automaticStartAction": start,
        "automaticStopAction": stop,
        "automaticStartDelay": draw(_as_text_or_number(delay)),
        "checkpointType": checkpoint,
        "processor": draw(maybe_unwrapped([processor])),
        "memory": {"minimum": minimum, "buffer": buffer},
        "nics": draw(maybe_unwrapped([nic])),
        "clusterGroup": {"name": "G", "preferredOwners": draw(maybe_unwrapped(owners))},
    }
    static = None if dynamic is None else str(dynamic).lower() not in ("true", "1")
    expected_vm = {
        "automatic_start_action": start_expected,
        "automatic_stop_action": stop_expected,
        "automatic_start_delay": delay,
        "checkpoint_type": checkpoint_expected,
        "processor_reserve": reserve,
        "processor_limit": limit,
        "processor_weight": weight,
        "memory_minimum_bytes": minimum,
        "memory_buffer": buffer,
        "preferred_owners": ";".join(owners),
    }
    expected_nic = {
        "mac_static": static,
        "dhcp_guard": guard_expected,
        "port_mirroring": mirror_expected,
        "vlan_mode": mode_expected,
        "vlan_allowed": _compact(allowed),
    }
    return record, expected_vm, expected_nic


@pytest.mark.slow
@settings(max_examples=50, deadline=None)
@given(vm_records())
def test_every_encoding_of_the_rebuild_settings_reads_the_same(case) -> None:
    record, expected_vm, expected_nic = case
    lines = [json.dumps({"kind": "host", "schema": 2, "computerName": "H"}), json.dumps(record)]
    result = records.parse_record_lines(lines, origin="o", path_for_messages="o")
    assert_conforms(result)
    assert all("cut short" in m for m in messages(result))  # no end record, nothing else
    vm = by_name(result)["P"]
    for column, value in expected_vm.items():
        assert vm[column] == value, column
    (nic,) = rows(result, "nics")
    for column, value in expected_nic.items():
        assert nic[column] == value, column


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
NEW_KEYS = [
    "automaticStartAction",
    "automaticStartDelay",
    "automaticStopAction",
    "checkpointType",
    "smartPagingFilePath",
    "configurationLocation",
    "path",
    "processor",
    "memory",
    "security",
    "replication",
    "clusterGroup",
]
NIC_KEYS = [
    "id",
    "dynamicMac",
    "deviceNaming",
    "dhcpGuard",
    "routerGuard",
    "macSpoofing",
    "portMirroring",
    "bandwidth",
    "vlan",
]


@pytest.mark.slow
@settings(max_examples=50, deadline=None)
@given(
    vm=st.dictionaries(st.sampled_from(NEW_KEYS), json_values, max_size=6),
    nic=st.dictionaries(st.sampled_from(NIC_KEYS), json_values, max_size=5),
    key_protector=json_values,
)
def test_new_keys_of_any_shape_never_lose_the_vm(vm, nic, key_protector) -> None:
    host = {"kind": "host", "schema": 2, "computerName": "H", "keyProtector": key_protector}
    record = {"kind": "vm", "name": "ANY", "id": "any", "generation": 1, **vm, "nics": [nic]}
    lines = [json.dumps(host), json.dumps(record), json.dumps({"kind": "end", "vmCount": 1})]
    result = records.parse_record_lines(lines, origin="o", path_for_messages="o")
    assert_conforms(result)
    assert by_name(result)["ANY"]["generation"] == 1


def test_node_names_are_taken_as_written() -> None:
    # "NA" would be "unknown" in a typed spreadsheet; from the cluster it is a node's name.
    host = {
        "kind": "host",
        "schema": 2,
        "computerName": "NA",
        "cluster": {"name": "C", "nodes": [{"name": "NA"}, {"name": "N2"}]},
    }
    vm = {"kind": "vm", "name": "V", "id": "v", "clusterGroup": {"preferredOwners": ["N2", "NA"]}}
    lines = [json.dumps(host), json.dumps(vm), json.dumps({"kind": "end", "vmCount": 1})]
    result = records.parse_record_lines(lines, origin="o", path_for_messages="o")
    assert by_name(result)["V"]["preferred_owners"] == "N2;NA"
    assert rows(result, "hosts")[0]["cluster_nodes"] == "N2;NA"


def test_integration_services_one_row_each(rebuild) -> None:
    names = by_name(rebuild)
    (service,) = rows(rebuild, "integration_services", names["REB-NAMES"]["vm_key"])
    assert (service["name"], service["enabled"]) == ("Heartbeat", True)
    assert names["REB-NAMES"]["integration_services_listed"] is True
    # A lone object, as Windows PowerShell 5.1 writes a one-element array.
    (service,) = rows(rebuild, "integration_services", names["REB-NUMBERS"]["vm_key"])
    assert service["name"] == "Heartbeat"
    # [] is a known empty list; a failed Get-VMIntegrationService would be unknown.
    assert names["REB-UNKNOWN"]["integration_services_listed"] is True
    assert rows(rebuild, "integration_services", names["REB-UNKNOWN"]["vm_key"]) == []
    line = {
        "kind": "vm",
        "name": "F",
        "id": "f",
        "integrationServices": None,
        "errors": [{"what": "Get-VMIntegrationService", "message": "denied"}],
    }
    result = records.parse_record_lines([json.dumps(line)], origin="o", path_for_messages="o")
    assert by_name(result)["F"]["integration_services_listed"] is None


@pytest.mark.parametrize(
    ("vlan", "expected"),
    [
        (
            {"mode": "Private", "privateVlanMode": "Isolated", "primaryVlanId": 100,
             "secondaryVlanId": 101, "secondaryVlanIdList": []},
            ("Isolated", 100, "101"),
        ),
        (
            {"mode": 3, "privateVlanMode": 3, "primaryVlanId": "100",
             "secondaryVlanId": 0, "secondaryVlanIdList": [201, 202, 203]},
            ("Promiscuous", 100, "201-203"),
        ),
        (
            {"mode": "Access", "accessVlanId": 20, "privateVlanMode": None, "primaryVlanId": 0,
             "secondaryVlanId": 0, "secondaryVlanIdList": []},
            (None, None, None),
        ),
    ],
)  # fmt: skip
def test_private_vlans(vlan, expected) -> None:
    record = {"kind": "vm", "name": "PV", "id": "pv", "nics": [{"name": "n", "vlan": vlan}]}
    result = records.parse_record_lines([json.dumps(record)], origin="o", path_for_messages="o")
    (nic,) = rows(result, "nics")
    assert (nic["vlan_private_mode"], nic["vlan_primary"], nic["vlan_secondary"]) == expected
    assert all("cut short" in m or "host" in m for m in messages(result))
