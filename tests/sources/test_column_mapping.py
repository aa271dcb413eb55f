"""From text tables to ``vms`` rows: parsing, warnings, skipped rows, ids, first row wins."""

from __future__ import annotations

import numpy as np

from assess.model.inventory import Inventory, synthetic_vm_id
from assess.sources.cell_values import to_bool, to_generation, to_text
from assess.sources.column_mapping import Field, match_fields, vms_from_table
from assess.sources.table_files import Table

FIELDS = (
    Field("VMName", "name", to_text, ("Name",)),
    Field("Host", "host", to_text),
    Field("VMId", "vm_id", to_text),
    Field("Generation", "generation", to_generation),
    Field("PXEBoot", "pxe_boot", to_bool),
)


def table(headers: list[str], rows: list[list[str]], lines: list[int]) -> Table:
    grid = np.array(rows, dtype=object).reshape(len(rows), len(headers))
    return Table(
        path="inv.csv",
        headers=headers,
        columns=[grid[:, j] for j in range(len(headers))],
        lines=np.array(lines),
        header_line=1,
    )


def test_fields_know_their_names_and_dtype() -> None:
    assert FIELDS[0].names == ("VMName", "Name")
    assert FIELDS[3].dtype == "Int64"
    assert match_fields(["name", "PXE Boot"], FIELDS).columns == {"name": 0, "pxe_boot": 1}


def test_rows_are_parsed_identified_and_checked() -> None:
    t = table(
        ["Name", "Host", "VMId", "Generation", "PXE_Boot", "Ignored"],
        [
            ["A", "H1", "", "1", "yes", "x"],
            ["B", "H1", "{ID-B}", "9", "perhaps", "x"],
            ["", "H1", "", "1", "no", "x"],
            ["A", "h1", "", "2", "", "x"],
            ["C", "", "", "", "", ""],
        ],
        [2, 3, 5, 6, 7],
    )
    vms, warnings = vms_from_table(t, FIELDS, kind="template", origin="inv.csv")
    vms = Inventory.from_frames({"vms": vms}).vms
    assert vms["name"].tolist() == ["A", "B", "C"]
    assert vms["vm_id"].tolist() == [
        synthetic_vm_id("H1", "A"),
        "{ID-B}",
        synthetic_vm_id(None, "C"),
    ]
    assert vms["vm_key"].tolist()[1] == "id-b"
    assert vms["vm_id_synthetic"].tolist() == [True, False, True]
    assert vms["source"].tolist() == ["inv.csv:2", "inv.csv:3", "inv.csv:7"]
    assert vms["generation"].iat[0] == 1
    assert vms["generation"].isna().iat[1]  # 9 is not a generation
    assert [(w.line, w.column) for w in warnings] == [
        (3, "Generation"),
        (3, "PXE_Boot"),
        (5, None),
        (6, None),
    ]
    assert warnings[0].message.endswith("; left unknown")
    assert warnings[2].message == "no VM name; row skipped"
    assert warnings[3].message.startswith("same VM as line 2")


def test_clean_and_parser_overrides_apply_per_column() -> None:
    t = table(["VMName", "Host"], [["A", "System.Object[]"]], [2])
    seen = []

    def clean(column: str, cells: np.ndarray) -> np.ndarray:
        seen.append(column)
        return np.array(["" if c.startswith("System.") else c for c in cells], dtype=object)

    vms, warnings = vms_from_table(
        t, FIELDS, kind="getvm-csv", origin="x", clean=clean, parsers={"name": str.lower}
    )
    assert seen == ["name", "host"]
    assert vms["name"].tolist() == ["a"]
    assert vms["host"].isna().all()
    assert warnings == []


def test_a_table_without_rows_gives_an_empty_frame() -> None:
    t = table(["VMName"], [], [])
    vms, warnings = vms_from_table(t, FIELDS, kind="template", origin="x")
    assert len(Inventory.from_frames({"vms": vms}).vms) == 0
    assert warnings == []
