"""Shared checks for the source tests: where the fixtures are, and what every result obeys."""

from __future__ import annotations

from pathlib import Path

from assess.model.diagnostics import RowWarning
from assess.model.inventory import SCHEMA
from assess.sources import SourceResult

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def fixture(name: str) -> str:
    return str(FIXTURES / name)


def assert_conforms(result: SourceResult) -> None:
    """Every table has exactly the declared columns and dtypes; every VM has a key and a
    name, keys are unique, detail rows belong to a VM of the result."""
    assert isinstance(result, SourceResult)
    for name, columns in SCHEMA.items():
        frame = result.inventory.tables[name]
        assert list(frame.columns) == list(columns), name
        for column, dtype in columns.items():
            assert str(frame[column].dtype) == dtype, (name, column, frame[column].dtype)
    vms = result.inventory.vms
    assert vms["vm_key"].notna().all()
    assert vms["name"].notna().all()
    assert not vms["vm_key"].duplicated().any()
    assert vms["source_kind"].eq(result.kind).all()
    assert vms["source"].notna().all()
    keys = set(vms["vm_key"])
    for name in ("disks", "nics", "dvd_drives", "com_ports", "floppies", "integration_services"):
        assert set(result.inventory.tables[name]["vm_key"]) <= keys, name
    for warning in result.warnings:
        assert isinstance(warning, RowWarning)
        assert "\n" not in str(warning)


def by_name(result: SourceResult) -> dict[str, dict]:
    """The ``vms`` rows keyed by VM name, NA as None."""
    vms = result.inventory.vms.astype(object).where(result.inventory.vms.notna(), None)
    return {row["name"]: row for row in vms.to_dict("records")}


def messages(result: SourceResult) -> list[str]:
    return [str(w) for w in result.warnings]
