"""Assessment + inventory -> plan: which VMs get scripts, and parity with the source VM."""

from __future__ import annotations

import inspect
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assess.plan import builder
from assess.plan.model import Settings
from tests.plan.plan_support import plan_for, sql_estate, vm_row

KEY = "2089973a-7095-521a-84c1-711c7e7a6973"


def _only(plan):
    assert len(plan.vms) == 1
    return plan.vms[0]


# --- which VMs get what --------------------------------------------------------------------


def test_convertible_vm_gets_host_and_guest_script():
    vm = _only(plan_for(sql_estate(), {KEY: ("ready-with-fixes", "mbr2gpt")}))
    assert vm.convertible and vm.no_script_reason is None
    assert vm.scripts[0].endswith("SQL01.host.ps1") and vm.scripts[1].endswith("SQL01.guest.ps1")
    assert all(not s.startswith("/") for s in vm.scripts)
    assert vm.kept_name == "SQL01-gen1"
    assert {s.where for s in vm.steps} == {"host", "guest", "manual"}


def test_linux_vm_gets_a_shell_guide():
    vm = _only(plan_for(sql_estate(), {KEY: ("ready", "linux-efi")}))
    assert vm.scripts[1].endswith(".guest.sh") and vm.guest_variant == "linux"
    assert vm.firmware.template == "MicrosoftUEFICertificateAuthority"


def test_recapture_boot_disk_goes_to_a_new_file():
    vm = _only(plan_for(sql_estate(), {KEY: ("ready-with-fixes", "recapture")}))
    boot = vm.disks[0]
    assert boot.is_boot and boot.source_path.endswith("os.vhdx")
    assert boot.path.endswith("os-gen2.vhdx") and not boot.convert_from_vhd


def test_windows_10_1607_converts_offline():
    facts = {KEY: {"os_distro": "windows-client", "os_version_key": "10.14393"}}
    vm = _only(plan_for(sql_estate(), {KEY: ("ready-with-fixes", "mbr2gpt")}, facts))
    assert vm.guest_variant == "mbr2gpt-offline"
    facts = {KEY: {"os_distro": "windows-client", "os_version_key": "10.19045"}}
    vm = _only(plan_for(sql_estate(), {KEY: ("ready-with-fixes", "mbr2gpt")}, facts))
    assert vm.guest_variant == "mbr2gpt-online"


def test_no_conversion_script_for_blocked_needs_data_stays_gen1_and_gen2():
    for verdict, path, reason in (
        ("blocked", "mbr2gpt", "blocked"),
        ("needs-data", "unknown", "needs data"),
        ("stays-gen1", "mbr2gpt", "stays on Generation 1"),
        ("already-gen2", "none", "already Generation 2"),
    ):
        vm = _only(plan_for(sql_estate(), {KEY: (verdict, path)}))
        assert not vm.convertible and vm.scripts == ()
        assert vm.no_script_reason.startswith(reason)


def test_rebuild_gets_a_checklist_only():
    vm = _only(plan_for(sql_estate(), {KEY: ("blocked", "rebuild")}))
    assert not vm.convertible
    assert len(vm.scripts) == 1 and vm.scripts[0].endswith(".rebuild-checklist.md")
    assert all(step.where == "manual" for step in vm.steps)
    vm = _only(plan_for(sql_estate(), {KEY: ("stays-gen1", "rebuild")}))
    assert vm.scripts == ()


def test_nul_in_inventory_text_gets_no_script():
    vm = _only(plan_for(sql_estate(notes="a\x00b"), {KEY: ("ready", "mbr2gpt")}))
    assert vm.scripts == () and "NUL" in vm.no_script_reason


# --- parity with the source VM ---------------------------------------------------------------


def test_every_device_of_the_sample_vm_is_planned():
    vm = _only(plan_for(sql_estate(), {KEY: ("ready-with-fixes", "mbr2gpt")}))
    assert [(a.name, a.mac, a.switch_name) for a in vm.adapters] == [
        ("LAN", "00155D01AA01", "vSwitch-Prod"),
        ("Legacy", "00155D01AA02", "vSwitch-Prod"),
    ]
    assert vm.adapters[1].was_legacy
    assert [(d.controller_number, d.controller_location, d.is_boot) for d in vm.disks] == [
        (0, 0, True),
        (0, 1, False),
    ]
    data = vm.disks[1]
    assert data.convert_from_vhd and data.path.endswith("data-gen2.vhdx")
    assert [(d.path, d.controller_location) for d in vm.dvd_drives] == [("C:\\ISO\\SQL01.iso", 2)]
    assert vm.settings.processor_count == 4 and vm.settings.notes == "ERP"
    assert vm.cluster_role.possible_owners == ("HV01", "HV02")


def test_unlisted_devices_are_read_at_run_time():
    estate = sql_estate()
    estate["vms"][0].update(nics_listed=None, disks_listed=None, dvd_drives_listed=None)
    estate["nics"], estate["disks"], estate["dvd_drives"] = [], [], []
    vm = _only(plan_for(estate, {KEY: ("ready", "mbr2gpt")}))
    assert vm.adapters is None and vm.disks is None and vm.dvd_drives is None
    assert {"adapters", "disks", "dvd_drives"} <= set(vm.read_at_run_time)
    kinds = [s.kind for s in vm.steps]
    assert {"adapters-runtime", "disks-runtime", "dvds-runtime", "convert-vhd-runtime"} <= set(
        kinds
    )


def test_vtpm_only_when_every_possible_owner_has_the_key_protector():
    estate = sql_estate()
    estate["hosts"] = [
        {"host": "HV01", "cluster": "CL01", "key_protector_available": True},
        {"host": "HV02", "cluster": "CL01", "key_protector_available": False},
    ]
    vm = _only(plan_for(estate, {KEY: ("ready", "mbr2gpt")}))
    if (
        "key_protector_available"
        not in __import__("assess.model.inventory").model.inventory.SCHEMA["hosts"]
    ):
        # Before the collector records it, the column is unknown: no vTPM, and it says so.
        assert not vm.firmware.vtpm and "unknown" in vm.firmware.vtpm_reason
    else:
        assert not vm.firmware.vtpm and "HV02" in vm.firmware.vtpm_reason
    linux = _only(plan_for(sql_estate(), {KEY: ("ready", "linux-efi")}))
    assert not linux.firmware.vtpm


_names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=20,
)
_macs = st.text(alphabet="0123456789ABCDEF", min_size=12, max_size=12).filter(
    lambda m: m.strip("0")
)


@st.composite
def _estates(draw):
    nic_count = draw(st.integers(0, 5))
    macs = draw(st.lists(_macs, min_size=nic_count, max_size=nic_count, unique=True))
    nics = [
        {
            "vm_key": KEY,
            "host": "HV01",
            "name": draw(_names),
            "switch_name": draw(st.none() | _names),
            "mac": mac,
            "is_legacy": draw(st.booleans()),
        }
        for mac in macs
    ]
    slots = draw(
        st.lists(
            st.tuples(st.sampled_from(["IDE", "SCSI"]), st.integers(0, 3), st.integers(0, 63)),
            max_size=8,
            unique=True,
        )
    )
    disks = [
        {
            "vm_key": KEY,
            "host": "HV01",
            "controller_type": kind,
            "controller_number": number,
            "controller_location": location,
            "path": f"D:\\VMs\\{draw(_names)}-{i}.{draw(st.sampled_from(['vhd', 'vhdx']))}",
        }
        for i, (kind, number, location) in enumerate(slots)
    ]
    isos = draw(st.lists(_names, max_size=3))
    dvds = [
        {
            "vm_key": KEY,
            "host": "HV01",
            "controller_type": "IDE",
            "controller_number": 1,
            "path": f"E:\\{iso}.iso",
            "media_type": "ISO",
        }
        for iso in isos
    ]
    settings_values = {
        "processor_count": draw(st.none() | st.integers(1, 64)),
        "memory_startup_bytes": draw(st.none() | st.integers(2**20, 2**40)),
        "dynamic_memory": draw(st.none() | st.booleans()),
        "notes": draw(st.none() | _names),
    }
    boot = next(((k, n, loc) for k, n, loc in sorted(slots) if k == "IDE"), None)
    vm = vm_row(KEY, draw(_names), **settings_values)
    facts = {}
    if boot is not None:
        facts = {"boot_disk_controller": "IDE", "boot_disk_location": f"{boot[1]}:{boot[2]}"}
    else:
        facts = {"boot_disk_controller": None, "boot_disk_location": None, "has_boot_disk": False}
    return {"vms": [vm], "nics": nics, "disks": disks, "dvd_drives": dvds}, facts, settings_values


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_estates(), st.sampled_from(["mbr2gpt", "recapture", "linux-efi"]))
def test_parity_every_adapter_disk_iso_and_setting_is_planned(drawn, path):
    estate, facts, settings_values = drawn
    vm = _only(plan_for(estate, {KEY: ("ready-with-fixes", path)}, {KEY: facts}))
    assert vm.convertible
    # every adapter once, with its switch and MAC
    assert sorted(((a.name, a.switch_name, a.mac) for a in vm.adapters), key=repr) == sorted(
        ((n["name"], n["switch_name"], n["mac"]) for n in estate["nics"]), key=repr
    )
    # every disk once, on a distinct SCSI slot, the boot disk first at 0:0
    assert sorted(d.source_path for d in vm.disks) == sorted(d["path"] for d in estate["disks"])
    slots = [(d.controller_number, d.controller_location) for d in vm.disks]
    slots += [(d.controller_number, d.controller_location) for d in vm.dvd_drives]
    assert len(set(slots)) == len(slots)
    assert all(c < 4 and 0 <= loc < 64 for c, loc in slots)
    if facts.get("boot_disk_location"):
        assert vm.disks[0].is_boot and slots[0] == (0, 0)
    # a .vhd never attached as it is, and nothing converted in place
    for disk in vm.disks:
        assert disk.path != disk.source_path or disk.source_path.lower().endswith(".vhdx")
        assert not disk.path.lower().endswith(".vhd")
    # every ISO
    assert sorted(d.path for d in vm.dvd_drives) == sorted(d["path"] for d in estate["dvd_drives"])
    # every setting the inventory knows is carried, every one it does not is read at run time
    for field, value in settings_values.items():
        assert getattr(vm.settings, field) == value
        if value is None and field in Settings.__dataclass_fields__ and field != "dynamic_memory":
            assert f"settings.{field}" in vm.read_at_run_time
    # a step per adapter, disk and ISO
    kinds = [s.kind for s in vm.steps]
    assert kinds.count("adapter") == len(vm.adapters)
    assert kinds.count("disk") == len(vm.disks)
    assert kinds.count("dvd") == len(vm.dvd_drives)


def test_inventory_columns_are_every_column_the_builder_reads():
    # The builder converts only these columns of the inventory's VM table into rows.
    source = inspect.getsource(builder)
    read = set(re.findall(r"_(?:text|int|bool|value)\(inv, \"(\w+)\"\)", source))
    assert read and read <= set(builder.INVENTORY_COLUMNS)
    assert not re.search(r"\binv(?:\[|\.get\b)", source)
