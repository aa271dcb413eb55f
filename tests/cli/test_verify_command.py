"""``assess verify BEFORE AFTER``: exit codes, statuses and the named differences, end to end.

The AFTER records are built from ``fixtures/verify/before.jsonl`` by
``tests.verify_support.after_records``: a correct conversion of WEB01 and APP01, then one
change at a time for the unexpected cases.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assess.cli.main import main
from assess.model.inventory import SCHEMA
from tests.verify_support import BEFORE, Record, after_records, load_records, write_records

GiB = 1024**3


def _run(tmp_path: Path, after: list[Record], *extra: str, before: Path = BEFORE) -> tuple:
    after_path = write_records(tmp_path / "after.jsonl", after)
    out = tmp_path / "verify.json"
    code = main(["verify", str(before), str(after_path), "--json", str(out), "-q", *extra])
    document = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    return code, document


def _vm(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(vm for vm in document["vms"] if vm["name"] == name)


def _unexpected(vm: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in vm["differences"] if not d["expected"]]


def test_expected_changes_only_exit_0(tmp_path: Path) -> None:
    code, document = _run(tmp_path, after_records(load_records()))
    assert code == 0
    assert document["schema"] == "gen2-assess/verify"
    assert document["summary"]["outcome"] == "ok"
    statuses = {vm["name"]: vm["status"] for vm in document["vms"]}
    # NEW02 was Generation 2 already: not verified, counted as skipped.
    assert statuses == {
        "WEB01": "match",
        "APP01": "match",
        "DB01": "not-converted",
        "FILE01": "not-converted",
    }
    assert document["summary"]["skipped"] == 1
    app = _vm(document, "APP01")
    assert app["new_vm"]["name"] == "APP01" and app["new_vm"]["id"].startswith("2d7c5b2a")
    assert app["rollback_vm"] == "APP01-gen1"
    expected = {d["field"]: d for d in app["differences"]}
    assert all(d["expected"] for d in app["differences"])
    assert expected["generation"]["before"] == 1 and expected["generation"]["after"] == 2
    assert "IDE -> SCSI" in expected["disks[APP01.vhd].controller_type"]["reason"]
    assert expected["disks[APP01.vhd].vhd_format"]["after"] == "VHDX"
    assert "same MAC" in expected["nics[00155D000201].is_legacy"]["reason"]
    assert "floppy" in expected["floppy"]["reason"]
    assert expected["com_ports[COM 1].path"]["expected"] is True
    assert expected["rollback_vm.state"]["after"] == "Off"
    assert expected["secure_boot_template"]["after"] == "MicrosoftUEFICertificateAuthority"


def _drop_data_disk(vm: Record) -> None:
    vm["disks"] = vm["disks"][:1]


def _swap_disks(vm: Record) -> None:
    first, second = vm["disks"]
    first["controllerLocation"], second["controllerLocation"] = 1, 0


def _second_nic(vm: Record) -> None:
    vm["nics"].append(dict(vm["nics"][0], name="Extra", mac="00155D0001FF"))


UNEXPECTED_CHANGES = [
    ("lost adapter", "WEB01", lambda vm: vm.update(nics=[]), "network adapter lost"),
    ("extra adapter", "WEB01", _second_nic, "extra network adapter"),
    (
        "changed MAC",
        "WEB01",
        lambda vm: vm["nics"][0].update(mac="00155D0009AA"),
        "MAC address changed",
    ),
    (
        "legacy adapter replaced, MAC not kept",
        "APP01",
        lambda vm: vm["nics"][0].update(mac="00155D0009AB"),
        "MAC address changed",
    ),
    (
        "changed switch",
        "WEB01",
        lambda vm: vm["nics"][0].update(switchName="vSwitch-Test"),
        "switch changed",
    ),
    ("missing disk", "WEB01", _drop_data_disk, "disk missing"),
    ("disk order", "WEB01", _swap_disks, "disk order changed"),
    (
        "smaller disk",
        "WEB01",
        lambda vm: vm["disks"][1]["vhd"].update(size=100 * GiB),
        "smaller disk",
    ),
    ("less memory", "WEB01", lambda vm: vm.update(memoryStartup=2 * GiB), "less memory"),
    ("fewer processors", "WEB01", lambda vm: vm.update(processorCount=1), "fewer processors"),
    (
        "dynamic memory",
        "WEB01",
        lambda vm: vm.update(dynamicMemory=True),
        "dynamic memory switched",
    ),
    ("notes", "WEB01", lambda vm: vm.update(notes="rebuilt"), "notes changed"),
    (
        "Secure Boot template",
        "WEB01",
        lambda vm: vm["firmware"].update(template="MicrosoftUEFICertificateAuthority"),
        "needs MicrosoftWindows",
    ),
    (
        "Secure Boot off on Windows",
        "WEB01",
        lambda vm: vm["firmware"].update(secureBoot="Off"),
        "needs it on",
    ),
    ("ISO lost", "APP01", lambda vm: vm.update(dvd=[]), "ISO no longer attached"),
    (
        "COM port rewired",
        "APP01",
        lambda vm: vm["comPorts"][0].update(path="\\\\.\\pipe\\other"),
        "COM port connected elsewhere",
    ),
    (
        "data exchange off",
        "WEB01",
        lambda vm: vm.update(
            integrationServices=[{"name": "Key-Value Pair Exchange", "enabled": False}]
        ),
        "data exchange",
    ),
]


#: The rebuild settings (collector record schema 2) reach the inventory only with a reader
#: that reads them; with an older one these cases would compare nothing.
_REBUILD_COLUMNS = pytest.mark.skipif(
    "vlan_id" not in SCHEMA["nics"], reason="this version's reader has no rebuild columns"
)
REBUILD_CHANGES = [
    (
        "changed VLAN",
        "WEB01",
        lambda vm: vm["nics"][0]["vlan"].update(accessVlanId=30),
        "VLAN changed",
    ),
    (
        "MAC made dynamic",
        "WEB01",
        lambda vm: vm["nics"][0].update(dynamicMac=True),
        "static MAC no longer static",
    ),
    (
        "start action",
        "WEB01",
        lambda vm: vm.update(automaticStartAction="Start"),
        "automatic start action changed",
    ),
    (
        "checkpoint type",
        "WEB01",
        lambda vm: vm.update(checkpointType="Standard"),
        "checkpoint type changed",
    ),
    (
        "processor limit",
        "WEB01",
        lambda vm: vm["processor"].update(maximum=50),
        "processor limit changed",
    ),
    (
        "dynamic memory maximum",
        "APP01",
        lambda vm: vm["memory"].update(maximum=16 * GiB),
        "dynamic memory maximum changed",
    ),
]


@pytest.mark.parametrize(
    ("vm_name", "tweak", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in UNEXPECTED_CHANGES]
    + [pytest.param(*case[1:], id=case[0], marks=_REBUILD_COLUMNS) for case in REBUILD_CHANGES],
)
def test_each_unexpected_change_exits_1_and_is_named(
    tmp_path: Path, vm_name: str, tweak: Any, reason: str
) -> None:
    code, document = _run(tmp_path, after_records(load_records(), tweaks={vm_name: tweak}))
    assert code == 1
    vm = _vm(document, vm_name)
    assert vm["status"] == "differs"
    reasons = [d["reason"] for d in _unexpected(vm)]
    assert any(reason in r for r in reasons), reasons
    # The other converted VM is untouched by the change.
    other = _vm(document, "APP01" if vm_name == "WEB01" else "WEB01")
    assert other["status"] == "match"


ROLLBACK_CHANGES = [
    ("rollback running", lambda vm: vm.update(state="Running"), "rollback VM running"),
    ("rollback missing", lambda vm: vm.clear(), "rollback VM missing"),
]
ROLLBACK_REBUILD_CHANGES = [
    (
        "rollback starts with the host",
        lambda vm: vm.update(automaticStartAction="StartIfRunning"),
        "rollback VM starts with the host",
    ),
]


@pytest.mark.parametrize(
    ("tweak", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in ROLLBACK_CHANGES]
    + [
        pytest.param(*case[1:], id=case[0], marks=_REBUILD_COLUMNS)
        for case in ROLLBACK_REBUILD_CHANGES
    ],
)
def test_rollback_vm_must_exist_and_be_off(tmp_path: Path, tweak: Any, reason: str) -> None:
    code, document = _run(tmp_path, after_records(load_records(), rollback_tweaks={"WEB01": tweak}))
    assert code == 1
    vm = _vm(document, "WEB01")
    assert vm["status"] == "differs"
    assert any(reason in d["reason"] for d in _unexpected(vm))


def test_new_vm_missing(tmp_path: Path) -> None:
    """The old VM was renamed (the conversion started) but no Generation 2 VM exists."""
    code, document = _run(
        tmp_path, after_records(load_records(), tweaks={"WEB01": lambda vm: vm.clear()})
    )
    assert code == 1
    vm = _vm(document, "WEB01")
    assert vm["status"] == "missing"
    assert vm["new_vm"] is None
    assert "no Generation 2 VM named 'WEB01'" in _unexpected(vm)[0]["reason"]


def test_vm_gone_entirely_is_missing_and_rollback_missing(tmp_path: Path) -> None:
    code, document = _run(tmp_path, after_records(load_records(), removed=["FILE01"]))
    assert code == 1
    vm = _vm(document, "FILE01")
    assert vm["status"] == "missing"
    assert {d["field"] for d in vm["differences"]} == {"vm", "rollback_vm"}


def test_a_new_vm_still_generation_1_is_not_the_new_vm(tmp_path: Path) -> None:
    code, document = _run(
        tmp_path,
        after_records(load_records(), tweaks={"WEB01": lambda vm: vm.update(generation=1)}),
    )
    assert code == 1
    assert _vm(document, "WEB01")["status"] == "missing"


def test_not_converted_vms_do_not_fail(tmp_path: Path) -> None:
    code, document = _run(tmp_path, after_records(load_records(), converted=[]))
    assert code == 0
    assert {vm["status"] for vm in document["vms"]} == {"not-converted"}
    assert all(vm["differences"] == [] for vm in document["vms"])


def test_partial_input_exits_3(tmp_path: Path) -> None:
    records = [r for r in after_records(load_records()) if r["kind"] != "end"]
    code, document = _run(tmp_path, records)
    assert code == 3
    assert document["summary"]["outcome"] == "partial"
    assert any("cut short" in note for note in document["notes"])
    assert document["after"][0]["status"] == "partial"


def test_unexpected_difference_wins_over_partial_input(tmp_path: Path) -> None:
    records = after_records(load_records(), tweaks={"WEB01": lambda vm: vm.update(notes="x")})
    code, _ = _run(tmp_path, [r for r in records if r["kind"] != "end"])
    assert code == 1


def test_no_data_for_an_essential_group_is_not_a_match(tmp_path: Path) -> None:
    """AFTER without the adapter list: the VM cannot be said to match on its network."""
    code, document = _run(
        tmp_path,
        after_records(load_records(), tweaks={"WEB01": lambda vm: vm.update(nics=None)}),
    )
    assert code == 3
    vm = _vm(document, "WEB01")
    assert vm["unknown_groups"] == ["network"]
    gaps = {g["field"]: g for g in vm["not_compared"]}
    assert gaps["nics"]["group"] == "network"
    assert "not listed in AFTER" in gaps["nics"]["reason"]
    assert vm["status"] == "match"  # nothing unexpected among what could be compared
    assert document["summary"]["incomplete"] == 1


@pytest.mark.parametrize(
    "case",
    ["missing file", "empty after", "assessment json", "not json plan", "wrong plan schema"],
)
def test_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    after = write_records(tmp_path / "after.jsonl", after_records(load_records()))
    args = ["verify", str(BEFORE), str(after)]
    if case == "missing file":
        args[2] = str(tmp_path / "nope.jsonl")
    elif case == "empty after":
        (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
        args[2] = str(tmp_path / "empty.jsonl")
    elif case == "assessment json":
        report = tmp_path / "run.json"
        report.write_text('{"schema": "gen2-assess/assessment", "vms": []}', encoding="utf-8")
        args[2] = str(report)
    elif case == "not json plan":
        (tmp_path / "plan.json").write_text("{not json", encoding="utf-8")
        args += ["--plan", str(tmp_path / "plan.json")]
    else:
        (tmp_path / "plan.json").write_text('{"schema": "other", "vms": []}', encoding="utf-8")
        args += ["--plan", str(tmp_path / "plan.json")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("assess: error: ")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_assess_diff_still_works(tmp_path: Path) -> None:
    fixtures = Path(__file__).parents[1] / "fixtures" / "diff"
    assert main(["diff", str(fixtures / "old.json"), str(fixtures / "new.json"), "-q"]) == 0


# -- with a plan --------------------------------------------------------------------------


def _plan(tmp_path: Path, vms: list[dict[str, Any]]) -> Path:
    path = tmp_path / "plan" / "plan.json"
    path.parent.mkdir()
    path.write_text(
        json.dumps({"schema": "gen2-assess/plan", "schema_version": 1, "vms": vms}),
        encoding="utf-8",
    )
    return path


def _planned(name: str, number: int, **extra: Any) -> dict[str, Any]:
    entry = {
        "id": f"1D7C5B2A-0000-4000-8000-00000000000{number}",
        "name": name,
        "host": "HV01",
        "verdict": "ready-with-fixes",
        "path": "mbr2gpt",
        "scripts": [f"{name}/convert.ps1"],
        "steps": [{"where": "host", "title": "Convert"}],
    }
    entry.update(extra)
    return entry


def test_plan_matches_and_checks_what_it_intends(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path,
        [
            _planned("WEB01", 1, target={"secure_boot_template": "MicrosoftWindows"}),
            _planned("DB01", 3),
            _planned("FILE01", 4, verdict="stays-gen1", scripts=[], reason="waived"),
        ],
    )
    code, document = _run(tmp_path, after_records(load_records()), "--plan", str(plan))
    assert code == 0
    statuses = {vm["name"]: vm["status"] for vm in document["vms"]}
    # APP01 and NEW02 are not in the plan: not verified.
    assert statuses == {"WEB01": "match", "DB01": "not-converted", "FILE01": "not-converted"}
    assert document["summary"]["skipped"] == 2
    assert document["plan"] == str(plan)
    assert "1 VM(s) the plan converts are not converted yet: DB01" in document["notes"]


def test_plan_template_and_vtpm_are_checked(tmp_path: Path) -> None:
    plan = _plan(tmp_path, [_planned("APP01", 2, secure_boot=False, vtpm=True)])
    code, document = _run(tmp_path, after_records(load_records()), "--plan", str(plan.parent))
    assert code == 1
    reasons = [d["reason"] for d in _unexpected(_vm(document, "APP01"))]
    assert any("the plan needs it off" in r for r in reasons), reasons


def test_plan_new_name(tmp_path: Path) -> None:
    plan = _plan(tmp_path, [_planned("WEB01", 1, new_name="WEB01-G2")])
    rename = {"WEB01": lambda vm: vm.update(name="WEB01-G2")}
    code, document = _run(
        tmp_path, after_records(load_records(), tweaks=rename), "--plan", str(plan)
    )
    assert code == 0
    assert _vm(document, "WEB01")["new_vm"]["name"] == "WEB01-G2"


def test_plan_vm_not_in_before_is_missing(tmp_path: Path) -> None:
    plan = _plan(tmp_path, [_planned("NOPE01", 9)])
    code, document = _run(tmp_path, after_records(load_records()), "--plan", str(plan))
    assert code == 1
    assert _vm(document, "NOPE01")["status"] == "missing"


def test_converted_against_the_plan(tmp_path: Path) -> None:
    plan = _plan(tmp_path, [_planned("WEB01", 1, verdict="stays-gen1", scripts=[])])
    code, document = _run(tmp_path, after_records(load_records()), "--plan", str(plan))
    assert code == 1
    assert any(d["field"] == "plan" for d in _unexpected(_vm(document, "WEB01")))
