"""``assess.verify.plan_file``: what verification reads from plan.json, and bad plans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assess.model.diagnostics import InputError
from assess.verify.plan_file import load_plan


def _write(tmp_path: Path, vms: Any, **top: Any) -> Path:
    document = {"schema": "gen2-assess/plan", "schema_version": 1, "vms": vms, **top}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_reads_the_fields_verification_needs(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            {
                "id": "{ABC}",
                "name": "WEB01",
                "host": "HV01",
                "verdict": "ready-with-fixes",
                "path": "mbr2gpt",
                "scripts": ["WEB01/host.ps1"],
                "kept_name": "WEB01-gen1",
                "firmware": {"secure_boot": True, "template": "MicrosoftWindows", "vtpm": True},
                "unknown_key": 1,
            }
        ],
    )
    (vm,) = load_plan(path)
    assert (vm.vm_id, vm.name, vm.host, vm.convert) == ("{ABC}", "WEB01", "HV01", True)
    target = vm.target
    assert target.secure_boot is True and target.vtpm is True
    assert target.secure_boot_template == "MicrosoftWindows"
    assert target.kept_name == "WEB01-gen1" and target.path == "mbr2gpt"
    assert target.new_name is None


def test_folder_means_its_plan_json(tmp_path: Path) -> None:
    _write(tmp_path, [{"name": "A", "verdict": "ready"}])
    assert [vm.name for vm in load_plan(tmp_path)] == ["A"]


@pytest.mark.parametrize(
    ("entry", "convert"),
    [
        ({"verdict": "ready"}, True),
        ({"verdict": "blocked"}, False),
        ({"verdict": "ready", "scripts": []}, False),
        ({"verdict": "stays-gen1", "scripts": ["x.ps1"]}, False),
        ({"verdict": "ready", "scripts": ["checklist.md"], "no_script_reason": "manual"}, False),
        ({"verdict": "ready", "scripts": [], "convertible": True}, True),
        ({"verdict": "ready", "scripts": ["x.ps1"], "convertible": False}, False),
    ],
)
def test_which_vms_the_plan_converts(tmp_path: Path, entry: dict, convert: bool) -> None:
    (vm,) = load_plan(_write(tmp_path, [{"name": "A", **entry}]))
    assert vm.convert is convert


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{broken", "not JSON (line 1"),
        (json.dumps({"schema": "gen2-assess/assessment", "vms": []}), "not a conversion plan"),
        (json.dumps([1, 2]), "not a conversion plan"),
        (json.dumps({"schema": "gen2-assess/plan", "schema_version": 9, "vms": []}), "newer"),
        (json.dumps({"schema": "gen2-assess/plan"}), "no 'vms' list"),
        (json.dumps({"schema": "gen2-assess/plan", "vms": [3]}), "vms[0] is not an object"),
        (json.dumps({"schema": "gen2-assess/plan", "vms": [{"id": "x"}]}), "vms[0].name"),
        (
            json.dumps({"schema": "gen2-assess/plan", "vms": [{"name": "A", "vtpm": "yes"}]}),
            "vms[0].vtpm: expected true or false",
        ),
        (
            json.dumps({"schema": "gen2-assess/plan", "vms": [{"name": "A", "scripts": "x"}]}),
            "vms[0].scripts: expected a list",
        ),
    ],
)
def test_bad_plans_are_one_line_input_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_plan(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_plan(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_plan(tmp_path / "nothing.json")


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_ENTRY = st.fixed_dictionaries(
    {},
    optional={
        key: _JSON
        for key in (
            "id",
            "name",
            "host",
            "verdict",
            "path",
            "scripts",
            "convertible",
            "no_script_reason",
            "target",
            "firmware",
            "vtpm",
            "new_name",
            "kept_name",
        )
    },
)


@pytest.mark.slow
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(vms=st.lists(_ENTRY | _JSON, max_size=4))
def test_any_plan_content_is_read_or_refused_in_one_line(tmp_path: Path, vms: Any) -> None:
    path = _write(tmp_path, vms)
    try:
        planned = load_plan(path)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert len(planned) == len(vms)
    assert all(vm.name.strip() for vm in planned)
