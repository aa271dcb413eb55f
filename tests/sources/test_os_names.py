"""Importer warnings for guest OS names the identifier cannot read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from assess.model.os_name_data import load_os_names
from assess.sources import collector_records, template
from assess.sources.os_names import unreadable_os_names

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "os_names"


def test_an_unknown_name_is_a_warning_with_line_and_column_and_is_kept() -> None:
    vms = pd.DataFrame(
        {
            "os_name": pd.array(["Windows Server 2019", "Acme Appliance OS", None], "string"),
            "source": ["inv.csv:2", "inv.csv:3", "inv.csv:4"],
        }
    )
    warnings = unreadable_os_names(vms, "inv.csv", "Operating System")
    assert [str(w) for w in warnings] == [
        "inv.csv:3: column 'Operating System': 'Acme Appliance OS' is not an operating system "
        "name the tool recognises; kept as written, the VM needs data (OS003)"
    ]
    assert vms["os_name"].iloc[1] == "Acme Appliance OS"


def test_recognised_names_and_blanks_give_no_warning() -> None:
    vms = pd.DataFrame(
        {
            "os_name": pd.array(["W2K12R2", "Other 3.x or later Linux (64-bit)", None], "string"),
            "source": ["a:2", "a:3", "a:4"],
        }
    )
    assert unreadable_os_names(vms, "a", "OSName") == []


def test_names_from_a_rules_folder_are_recognised() -> None:
    vms = pd.DataFrame({"os_name": pd.array(["ContosoOS 8.6"], "string"), "source": ["inv.csv:2"]})
    assert len(unreadable_os_names(vms, "inv.csv", "OSName")) == 1
    extra = load_os_names([FIXTURES / "rules"])
    assert unreadable_os_names(vms, "inv.csv", "OSName", extra) == []


@pytest.mark.parametrize(
    ("module", "file"), [(template, "inventory.csv"), (collector_records, "collector.jsonl")]
)
def test_sources_read_architecture_words_from_a_rules_folder(module, file: str) -> None:
    path = str(FIXTURES / file)
    plain = module.load(path)
    assert any("'IA-32e' is not a known architecture" in str(w) for w in plain.warnings)
    assert plain.inventory.vms["os_architecture"].isna().iloc[0]
    extra = module.load(path, load_os_names([FIXTURES / "rules"]))
    assert extra.warnings == []
    assert extra.inventory.vms["os_architecture"].iloc[0] == "IA-32e"  # kept as written
