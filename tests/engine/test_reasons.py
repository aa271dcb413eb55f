"""Reasons to convert: per VM, from facts and engagement targets, with "No reason found"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assess.engine.catalog import load_catalog
from assess.engine.evaluate import assess
from assess.engine.reasons import distinct_rows, load_reasons
from assess.model.diagnostics import InputError
from tests.engine.test_evaluate import vm
from tests.factsframe import facts_of

CATALOG = load_catalog()
WIN10 = {
    "os_family": "windows",
    "os_distro": "windows-client",
    "os_display": "Windows 10",
    "os_version_key": "10.19045",
}


def reasons(*vms: dict, targets: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    table = assess(facts_of(*vms), CATALOG, targets=targets).vms
    return list(zip(table["reasons_to_convert"], table["reasons_to_convert_text"], strict=True))


def test_every_shipped_reason_has_a_source() -> None:
    assert {r.id for r in CATALOG.reasons} >= {"WIN10EOS", "WIN11", "BOOT2TB", "AZURETL"}
    assert all(r.references for r in CATALOG.reasons)


def test_windows_10_vm_cannot_move_to_windows_11_while_gen1() -> None:
    [(ids, text)] = reasons(vm(**WIN10))
    assert ids == "WIN10EOS"
    assert "14 Oct 2025" in text and "cannot move to Windows 11" in text


def test_windows_server_vm_has_no_reason() -> None:
    [(ids, text)] = reasons(vm(boot_disk_size_gb=120.0))
    assert (ids, text) == ("", "No reason found")


def test_boot_disk_over_2_tb_is_a_reason_and_2_tb_is_not() -> None:
    found = reasons(vm(boot_disk_size_gb=3000.0), vm(boot_disk_size_gb=2048.0))
    assert [ids for ids, _ in found] == ["BOOT2TB", ""]


def test_unknown_facts_say_which_reasons_were_not_checked() -> None:
    [(ids, text)] = reasons(vm(os_distro=None, os_version_key=None, boot_disk_size_gb=None))
    assert ids == ""
    assert text.startswith("No reason found on the known facts (not checked: WIN10EOS, WIN11")


def test_target_reason_applies_with_the_policy_target_or_the_vm_tag() -> None:
    found = reasons(vm(), vm(notes="landing #Azure-Trusted-Launch"))
    assert [ids for ids, _ in found] == ["", "AZURETL"]
    found = reasons(vm(), targets=("azure-trusted-launch", "secure-boot"))
    assert found[0][0] == "SECUREBOOT AZURETL"  # file order


def test_gen2_vms_get_no_reasons() -> None:
    [(ids, text)] = reasons(vm(**WIN10, generation=2))
    assert ids is None or str(ids) == "<NA>"
    assert text is None or str(text) == "<NA>"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[reason]]\nid = "X1"\ntitle = "t"\ntext = "t"\nwhen = "true"\n', "id must be"),
        ('[[reason]]\nid = "ABC"\ntitle = "t"\ntext = "t"\n', "needs 'when', 'target'"),
        ('[[reason]]\nid = "ABC"\ntitle = "t"\ntext = "t"\nwhen = "nope > 1"\n', "unknown fact"),
        ('[[reason]]\nid = "ABC"\ntitle = "t"\ntext = "t"\ntarget = "A B"\n', "target must"),
        (
            '[[reason]]\nid = "ABC"\ntitle = "t"\ntext = "t"\ntarget = "x"\nwhy = 1\n',
            "unknown keys",
        ),
    ],
)
def test_broken_reasons_file_names_file_and_reason(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "reasons.toml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        load_reasons([tmp_path])
    assert "reasons.toml" in str(caught.value)


def test_custom_folder_reason_replaces_a_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "reasons.toml").write_text(
        '[[reason]]\nid = "BOOT2TB"\ntitle = "t"\ntext = "Big disk."\n'
        'when = "boot_disk_size_gb > 100"\n',
        encoding="utf-8",
    )
    catalog = load_catalog([tmp_path])
    table = assess(facts_of(vm(boot_disk_size_gb=500.0)), catalog).vms
    assert table.iloc[0]["reasons_to_convert_text"] == "Big disk."


@pytest.mark.parametrize("width", [0, 1, 7, 62, 63, 80])
def testdistinct_rows_give_every_row_back(width: int) -> None:
    rng = np.random.default_rng(width)
    matrix = rng.random((300, width)) < 0.3
    distinct, inverse = distinct_rows(matrix)
    assert (distinct[np.asarray(inverse).reshape(-1)] == matrix).all()
    assert len({row.tobytes() for row in distinct}) == len(distinct)
    if width:
        assert len(distinct) == len(np.unique(matrix, axis=0))
