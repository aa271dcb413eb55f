"""The plan folder: a new one appears whole, an earlier one is rewritten file by file (the
operators' transcripts and state files next to the scripts stay), big plans are written by
forked workers with the same result."""

from __future__ import annotations

import json
import multiprocessing

import pytest

from assess.plan.render import files
from assess.plan.render.files import NotAPlanFolder, write_plan
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


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="forked workers need fork"
)
def test_forked_workers_write_the_same_files(tmp_path, monkeypatch):
    estate = {"vms": [], "nics": [], "disks": [], "dvd_drives": [], "hosts": []}
    verdicts = {}
    for index in range(12):
        key = f"00000000-0000-0000-0000-{index:012d}"
        estate["vms"].append(vm_row(key, f"VM{index:02d}", host=f"HV{index % 3}"))
        verdicts[key] = ("ready", "linux-efi" if index % 2 else "mbr2gpt")
    plan = plan_for(estate, verdicts)
    serial = write_plan(plan, tmp_path / "serial", workbook=False)
    monkeypatch.setattr(files, "PARALLEL_FROM", 1)
    monkeypatch.setattr(files.os, "cpu_count", lambda: 3)
    parallel = write_plan(plan, tmp_path / "parallel", workbook=False)
    rel = lambda paths, root: sorted(str(p.relative_to(root)) for p in paths)  # noqa: E731
    assert rel(serial, tmp_path / "serial") == rel(parallel, tmp_path / "parallel")
    for path in serial:
        twin = tmp_path / "parallel" / path.relative_to(tmp_path / "serial")
        if path.name != "plan.json":
            assert twin.read_bytes() == path.read_bytes()


def test_same_name_on_one_host_gets_distinct_files():
    estate = {"vms": [vm_row("aaaa1111-0000", "web"), vm_row("bbbb2222-0000", "WEB")]}
    verdicts = {"aaaa1111-0000": ("ready", "mbr2gpt"), "bbbb2222-0000": ("ready", "mbr2gpt")}
    plan = plan_for(estate, verdicts)
    names = [vm.scripts[0].lower() for vm in plan.vms]
    assert len(set(names)) == 2 and all("-" in n.rsplit("/", 1)[-1] for n in names)
