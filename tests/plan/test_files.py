"""The plan folder: a new one appears whole, an earlier one is rewritten file by file (the
operators' transcripts and state files next to the scripts stay), and each host folder with a
runbook holds one shared helper file whose SHA-256 every runbook there carries."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from assess import forked
from assess.plan.render import files
from assess.plan.render.files import NotAPlanFolder, write_plan
from assess.plan.render.host_script import HELPERS_FILE
from tests.plan.plan_support import plan_for, sql_estate, vm_row

KEY = "2089973a-7095-521a-84c1-711c7e7a6973"


def _plan():
    return plan_for(sql_estate(), {KEY: ("ready-with-fixes", "mbr2gpt")})


def test_new_folder_holds_every_script_and_no_staging_left(tmp_path):
    out = tmp_path / "plan"
    written = write_plan(_plan(), out)
    assert all(path.is_file() for path in written)
    assert json.loads((out / "plan.json").read_text("utf-8"))["schema"] == "gen2-assess/plan"
    assert [p.name for p in tmp_path.iterdir()] == ["plan"]


def test_rewrite_keeps_what_operators_left_next_to_the_scripts(tmp_path):
    out = tmp_path / "plan"
    written = write_plan(_plan(), out)
    host = next(p for p in written if p.name.endswith(".host.ps1"))
    log = host.with_name("SQL01-20261201-101500.log")
    log.write_text("transcript")
    write_plan(_plan(), out)
    assert log.read_text() == "transcript"


def test_refuses_other_files_unless_forced(tmp_path):
    out = tmp_path / "plan"
    out.mkdir()
    (out / "mine.txt").write_text("x")
    with pytest.raises(NotAPlanFolder):
        write_plan(_plan(), out)
    write_plan(_plan(), out, force=True)
    assert (out / "mine.txt").read_text() == "x" and (out / "plan.json").exists()


def _estate_on_hosts() -> tuple[dict, dict]:
    estate = {"vms": [], "nics": [], "disks": [], "dvd_drives": [], "hosts": []}
    verdicts = {}
    for index in range(12):
        key = f"00000000-0000-0000-0000-{index:012d}"
        estate["vms"].append(vm_row(key, f"VM{index:02d}", host=f"HV{index % 3}"))
        verdicts[key] = ("ready", "linux-efi" if index % 2 else "mbr2gpt")
    key = "00000000-0000-0000-0000-999999999999"
    estate["vms"].append(vm_row(key, "OLD", host="HV-BLOCKED"))
    verdicts[key] = ("blocked", "mbr2gpt")
    return estate, verdicts


def test_one_helper_file_per_host_folder_matching_every_runbook(tmp_path):
    plan = plan_for(*_estate_on_hosts())
    out = tmp_path / "plan"
    written = write_plan(plan, out, workbook=False)
    helpers = sorted(p for p in written if p.name == HELPERS_FILE)
    assert [p.parent.name for p in helpers] == ["HV0", "HV1", "HV2"]  # none for HV-BLOCKED
    assert sorted(out.rglob(HELPERS_FILE)) == helpers
    document = json.loads((out / "plan.json").read_text("utf-8"))
    assert document["helper_files"] == [f"HV{n}/{HELPERS_FILE}" for n in range(3)]
    for helper in helpers:
        raw = helper.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        digest = hashlib.sha256(raw).hexdigest().upper()
        assert digest == document["helper_sha256"]
        runbooks = list(helper.parent.glob("*.host.ps1"))
        assert len(runbooks) == 4
        for runbook in runbooks:
            text = runbook.read_text("utf-8-sig")
            assert f"$HelperSha256 = '{digest}'" in text
            assert "function " not in text  # the runbook holds its plan and steps only


def test_rewritten_plan_keeps_one_helper_file_per_folder(tmp_path):
    plan = plan_for(*_estate_on_hosts())
    out = tmp_path / "plan"
    first = write_plan(plan, out, workbook=False)
    second = write_plan(plan, out, workbook=False)
    assert first == second
    for path in first:
        assert path.is_file()
    assert len(list(out.rglob(HELPERS_FILE))) == 3


def test_same_name_on_one_host_gets_distinct_files():
    estate = {"vms": [vm_row("aaaa1111-0000", "web"), vm_row("bbbb2222-0000", "WEB")]}
    verdicts = {"aaaa1111-0000": ("ready", "mbr2gpt"), "bbbb2222-0000": ("ready", "mbr2gpt")}
    plan = plan_for(estate, verdicts)
    names = [vm.scripts[0].lower() for vm in plan.vms]
    assert len(set(names)) == 2 and all("-" in n.rsplit("/", 1)[-1] for n in names)


def test_plan_json_is_the_document_as_json_dumps_writes_it():
    from assess.plan.render.files import (
        _ENCODED_MARKER,
        _STEPS_MARKER,
        _jsonable,
        plan_document,
        plan_json,
    )

    plan = plan_for(sql_estate(), {KEY: ("ready-with-fixes", "mbr2gpt")})
    plan.vms.append(plan.vms[0])  # the same steps twice: encoded once, written twice
    expected = json.dumps(plan_document(plan), default=_jsonable, ensure_ascii=False)
    assert plan_json(plan) == expected
    assert json.loads(expected)["vms"][1]["steps"][0]["number"] == 1
    # An inventory text that holds the marker (its NUL costs that VM its steps, not its text).
    odd = plan_for(sql_estate(notes=_STEPS_MARKER), {KEY: ("ready-with-fixes", "mbr2gpt")})
    plan.vms.append(odd.vms[0])
    expected = json.dumps(plan_document(plan), default=_jsonable, ensure_ascii=False)
    assert _ENCODED_MARKER in expected and plan_json(plan) == expected


def _tree(folder) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix != ".xlsx"  # the workbook: checked by test_workbook.py
    }


@pytest.mark.skipif(not forked.available(), reason="forking a child needs Linux, one thread")
@pytest.mark.parametrize("existing", [False, True], ids=["new folder", "earlier plan"])
def test_a_forked_child_writing_most_scripts_gives_the_same_files(tmp_path, monkeypatch, existing):
    plan = plan_for(*_estate_on_hosts())
    monkeypatch.setattr(files, "FORK_FROM_VMS", 1)
    started: list[object] = []
    start = forked.start
    monkeypatch.setattr(forked, "start", lambda *a, **k: started.append(1) or start(*a, **k))
    both, alone = tmp_path / "both", tmp_path / "alone"
    if existing:
        write_plan(plan, both)
    written = write_plan(plan, both)
    assert started and all(path.is_file() for path in written)
    monkeypatch.setattr(forked, "available", lambda: False)
    assert [p.name for p in write_plan(plan, alone)] == [p.name for p in written]
    assert _tree(both) == _tree(alone)


@pytest.mark.skipif(not forked.available(), reason="forking a child needs Linux, one thread")
def test_the_childs_write_error_leaves_no_plan_and_no_staging(tmp_path, monkeypatch):
    plan = plan_for(*_estate_on_hosts())
    monkeypatch.setattr(files, "FORK_FROM_VMS", 1)
    monkeypatch.setattr(files, "HERE_SHARE", 0.0)  # every VM's scripts in the child
    real = files._write_scripts

    def full_disk(scripts, folder, atomic, made):
        if os.getpid() != parent and scripts:
            raise OSError(28, "No space left on device")
        real(scripts, folder, atomic, made)

    parent = os.getpid()
    monkeypatch.setattr(files, "_write_scripts", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_plan(plan, tmp_path / "plan")
    assert list(tmp_path.iterdir()) == []
