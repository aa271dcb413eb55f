"""Importer warnings for guest OS names the identifier cannot read."""

from __future__ import annotations

import pandas as pd

from assess.sources.os_names import unreadable_os_names


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
