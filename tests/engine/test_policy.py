"""Policy files: overrides, scope, waivers (expiry, unmatched) and malformed files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from assess.engine.catalog import load_catalog
from assess.engine.evaluate import assess
from assess.engine.policy import Policy
from assess.model.diagnostics import InputError
from assess.model.inventory import Inventory, table_from_rows
from tests.engine.test_evaluate import vm
from tests.factsframe import facts_of

TODAY = date(2026, 11, 25)


def policy(tmp_path: Path, text: str) -> Policy:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return Policy.load(path, today=TODAY)


def run(p: Policy, *vms: dict):
    catalog = p.apply_to_catalog(load_catalog())
    return assess(
        facts_of(*vms),
        catalog,
        waive=p.waive,
        keep=p.keep,
        targets=p.targets,
        messages=p.messages,
    )


def test_severity_override_changes_the_verdict(tmp_path: Path) -> None:
    p = policy(tmp_path, '[severity]\nBOOT001 = "info"\nBOOT003 = "warning"\n')
    row = run(p, vm()).vms.iloc[0]
    assert row["verdict"] == "ready"


def test_disabled_rule_is_not_evaluated(tmp_path: Path) -> None:
    p = policy(tmp_path, 'disabled = ["BOOT003"]\n')
    assessment = run(p, vm())
    assert "BOOT003" not in set(assessment.findings["rule"])
    assert "BOOT003" not in set(assessment.rules["id"])


def test_effort_overrides_per_rule_and_path(tmp_path: Path) -> None:
    p = policy(tmp_path, "[effort.rules]\nBOOT003 = 4.0\n[effort.paths]\nmbr2gpt = 2.0\n")
    row = run(p, vm()).vms.iloc[0]
    assert row["effort_hours"] == pytest.approx(2.0 + 0.25 + 4.0)


def test_waiver_keeps_the_finding_marked_and_out_of_the_verdict(tmp_path: Path) -> None:
    p = policy(
        tmp_path,
        '[[waiver]]\nvm = "vm0*"\nrule = "OS001"\nreason = "kept on Gen 1"\n'
        'owner = "j.doe"\nexpires = 2027-03-31\n',
    )
    assessment = run(p, vm(os_arch="x86"))
    finding = assessment.findings.set_index("rule").loc["OS001"]
    assert finding["status"] == "waived"
    assert finding["waiver_owner"] == "j.doe" and finding["waiver_expires"] == "2027-03-31"
    row = assessment.vms.iloc[0]
    assert row["verdict"] == "stays-gen1" and row["waived"] == 1


def test_expired_waiver_is_reported_and_ignored(tmp_path: Path) -> None:
    p = policy(
        tmp_path,
        '[[waiver]]\nvm = "vm01"\nrule = "OS001"\nreason = "r"\nowner = "o"\n'
        'expires = "2026-01-31"\n',
    )
    assessment = run(p, vm(os_arch="x86"))
    assert assessment.vms.iloc[0]["verdict"] == "blocked"
    assert any("expired on 2026-01-31" in m for m in assessment.messages)


def test_waiver_that_matches_nothing_is_reported(tmp_path: Path) -> None:
    p = policy(tmp_path, '[[waiver]]\nvm = "nosuchvm"\nrule = "VM001"\nreason = "r"\nowner = "o"\n')
    assessment = run(p, vm())
    assert any("matches no finding" in m for m in assessment.messages)


def test_waiver_by_vm_id(tmp_path: Path) -> None:
    p = policy(
        tmp_path, '[[waiver]]\nvm = "{ABC-1}"\nrule = "BOOT001"\nreason = "r"\nowner = "o"\n'
    )
    assessment = run(p, vm(vm_id="abc-1"))
    assert assessment.findings.set_index("rule").loc["BOOT001", "status"] == "waived"


def test_waiver_for_an_unknown_rule_is_an_input_error(tmp_path: Path) -> None:
    p = policy(tmp_path, '\n[[waiver]]\nvm = "a"\nrule = "NOPE001"\nreason = "r"\nowner = "o"\n')
    with pytest.raises(InputError, match="line 2: waiver names rule NOPE001"):
        p.apply_to_catalog(load_catalog())


def inventory() -> Inventory:
    rows = [
        {"vm_key": "1", "vm_id": "1", "name": "web01", "host": "HV01", "cluster": "CL1",
         "state": "Running", "notes": "prod"},
        {"vm_key": "2", "vm_id": "2", "name": "web01-old", "host": "HV01", "cluster": "CL1",
         "state": "Off", "notes": "#nogen2 retire"},
        {"vm_key": "3", "vm_id": "3", "name": "db01", "host": "HV02", "cluster": "CL2",
         "state": "Running", "notes": None},
    ]  # fmt: skip
    disks = [{"vm_key": "1"}, {"vm_key": "2"}, {"vm_key": "3"}]
    return Inventory.from_frames(
        {"vms": table_from_rows("vms", rows), "disks": table_from_rows("disks", disks)}
    )


@pytest.mark.parametrize(
    ("scope", "names"),
    [
        ('include_vms = ["web*"]', {"web01", "web01-old"}),
        ('exclude_vms = ["*-old"]', {"web01", "db01"}),
        ('include_hosts = ["hv02"]', {"db01"}),
        ('exclude_clusters = ["CL1"]', {"db01"}),
        ('states = ["running"]', {"web01", "db01"}),
        ('exclude_tags = ["#nogen2"]', {"web01", "db01"}),
        ('include_tags = ["prod"]', {"web01"}),
    ],
)
def test_scope_filters(tmp_path: Path, scope: str, names: set[str]) -> None:
    p = policy(tmp_path, f"[scope]\n{scope}\n")
    scoped = p.scope_inventory(inventory())
    assert set(scoped.vms["name"]) == names
    assert set(scoped["disks"]["vm_key"]) == set(scoped.vms["vm_key"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bogus = 1\n", "line 1: key 'bogus': unknown key"),
        ('\n[severity]\nVM003 = "critical"\n', "line 3: key 'severity.VM003': must be one of"),
        ("[effort.paths]\nwarp = 1.0\n", "line 2: key 'effort.paths.warp': unknown path"),
        ("[effort.rules]\nVM001 = -1\n", "key 'effort.rules.VM001': must be a number"),
        ('[scope]\nhosts = ["a"]\n', "line 2: key 'scope.hosts': unknown key"),
        ('[[waiver]]\nvm = "a"\nrule = "VM001"\nowner = "o"\n', "key 'waiver.reason': required"),
        (
            '[[waiver]]\nvm="a"\nrule="VM001"\nreason="r"\nowner="o"\nexpires="soon"\n',
            "key 'waiver.expires': must be a date",
        ),
        ("[severity\n", "not valid TOML"),
    ],
)
def test_malformed_policy_names_file_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(")) as caught:
        policy(tmp_path, text)
    assert "policy.toml" in str(caught.value)


def test_policy_adds_rule_folders_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "custom").mkdir()
    p = policy(tmp_path, 'rule_folders = ["custom"]\n')
    assert p.rule_folders == ((tmp_path / "custom").resolve(),)


ERP_WAIVER = """
[[waiver]]
vm = "LEGACY-ERP01"
rule = "OS002"
reason = "Stays on Gen 1 until the ERP replacement in 2027"
owner = "cio@corp.example"
expires = 2027-06-30
"""
WS2008R2 = {
    "name": "LEGACY-ERP01",
    "os_family": "windows",
    "os_distro": "windows-server",
    "os_display": "Windows Server 2008 R2",
    "os_gen2_support": "no",
    "os_conversion_path": "rebuild",
}


def test_waived_blocker_means_the_vm_stays_on_gen1_and_counts_no_hours(tmp_path: Path) -> None:
    p = policy(tmp_path, ERP_WAIVER)
    assessment = run(p, vm(**WS2008R2), vm())
    erp, other = assessment.vms.iloc[0], assessment.vms.iloc[1]
    assert erp["verdict"] == "stays-gen1"
    assert erp["conversion_path"] == "rebuild"
    assert erp["stays_gen1_reason"] == "Stays on Gen 1 until the ERP replacement in 2027"
    assert erp["stays_gen1_owner"] == "cio@corp.example"
    assert erp["stays_gen1_expires"] == "2027-06-30"
    # Not converted: no hours in any total; what converting would cost is kept apart.
    assert erp["effort_hours"] == 0.0
    assert erp["effort_if_converted_hours"] > 16.0
    assert assessment.vms["effort_hours"].sum() == pytest.approx(other["effort_hours"])
    assert pd.isna(other["effort_if_converted_hours"]) and pd.isna(other["stays_gen1_reason"])
    # The waived blocker stays listed, marked; open fixes are still listed.
    findings = assessment.findings[assessment.findings["vm_name"] == "LEGACY-ERP01"]
    assert findings.set_index("rule").loc["OS002", "status"] == "waived"


def test_an_open_blocker_besides_the_waived_one_keeps_the_vm_blocked(tmp_path: Path) -> None:
    p = policy(tmp_path, ERP_WAIVER)
    row = run(p, vm(**WS2008R2, os_arch="x86")).vms.iloc[0]
    assert row["verdict"] == "blocked" and pd.isna(row["stays_gen1_reason"])


def test_waived_blocker_with_missing_data_is_needs_data_first(tmp_path: Path) -> None:
    p = policy(tmp_path, ERP_WAIVER)
    row = run(p, vm(**WS2008R2, host_gen2_capable=None)).vms.iloc[0]
    assert row["verdict"] == "needs-data"


def test_waived_fix_alone_does_not_make_the_vm_stay(tmp_path: Path) -> None:
    p = policy(tmp_path, '[[waiver]]\nvm = "*"\nrule = "BOOT001"\nreason = "r"\nowner = "o"\n')
    row = run(p, vm()).vms.iloc[0]
    assert row["verdict"] == "ready-with-fixes"
    assert row["effort_hours"] == pytest.approx(1.5)  # BOOT001's 0.25 h not counted


KEEP = """
[[keep_gen1]]
vms = ["app-*"]
tags = ["#keep-gen1"]
reason = "Retired in 2027"
owner = "cio@corp.example"
expires = 2027-06-30
"""


def test_keep_gen1_by_glob_or_tag_keeps_the_whole_vm(tmp_path: Path) -> None:
    p = policy(tmp_path, KEEP)
    assessment = run(
        p,
        vm(name="APP-01"),
        vm(name="db01", notes="owner finance #KEEP-GEN1", os_arch="x86", host_gen2_capable=None),
        vm(name="web01"),
        vm(name="app-gen2", generation=2),
    )
    rows = assessment.vms.set_index("name")
    assert list(rows["verdict"]) == ["stays-gen1", "stays-gen1", "ready-with-fixes", "already-gen2"]
    assert rows.loc["db01", "stays_gen1_reason"] == "Retired in 2027"
    assert rows.loc["APP-01", "effort_hours"] == 0.0
    assert rows.loc["APP-01", "effort_if_converted_hours"] == pytest.approx(1.75)
    gaps = assessment.data_gaps.set_index("vm_name")
    assert gaps.loc["db01", "affects_verdict"] == "no"  # decided: no gap can change it
    kept = assessment.findings[assessment.findings["vm_name"] == "APP-01"]
    assert set(kept["status"]) == {"waived"}
    assert set(kept["waiver_reason"]) == {"Retired in 2027"}


def test_expired_or_unused_keep_gen1_is_reported(tmp_path: Path) -> None:
    text = KEEP.replace("2027-06-30", "2026-01-01") + KEEP.replace('"app-*"', '"nothing"').replace(
        '"#keep-gen1"', '"#none"'
    )
    p = policy(tmp_path, text)
    assessment = run(p, vm(name="app-01"))
    assert assessment.vms.iloc[0]["verdict"] == "ready-with-fixes"
    assert any("expired on 2026-01-01" in m for m in assessment.messages)
    assert any("matches no VM" in m for m in assessment.messages)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[keep_gen1]]\nreason = "r"\nowner = "o"\n', "name the VMs to keep"),
        ('[[keep_gen1]]\nvms = ["a"]\nowner = "o"\n', "keep_gen1.reason"),
        (
            '[[keep_gen1]]\nvms = ["a"]\nreason = "r"\nowner = "o"\nwhy = 1\n',
            "unknown keep_gen1 key",
        ),
        ('[[keep_gen1]]\nvms = ["a"]\nreason = "r"\nowner = "o"\nexpires = "soon"\n', "YYYY-MM-DD"),
    ],
)
def test_malformed_keep_gen1_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        policy(tmp_path, text)
    assert "policy.toml" in str(caught.value)
    if "reason" not in message:  # a missing key has no line of its own
        assert "line " in str(caught.value)


def test_unknown_target_is_an_error(tmp_path: Path) -> None:
    p = policy(tmp_path, 'targets = ["mars"]\n')
    with pytest.raises(InputError, match="targets names 'mars'; known targets: azure-local"):
        p.apply_to_catalog(load_catalog())
