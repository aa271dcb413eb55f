"""The benchmark's synthetic estates stay importable, deterministic and varied."""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.engine.catalog import load_catalog
from assess.pipeline import assess_sources
from assess.sources.registry import load_sources
from bench.generate import TEMPLATE_HEADERS, generate


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_estate_imports_cleanly_and_has_every_verdict_kind(tmp_path: Path, fmt: str) -> None:
    path = generate(600, fmt, tmp_path / f"estate.{fmt}", seed=3)
    results = load_sources([str(path)])
    assert [len(r.inventory.vms) for r in results] == [600]
    assert [r.warnings for r in results] == [[]]
    assert not any(r.truncated for r in results)
    assessment = assess_sources(results, load_catalog([])).assessment
    counts = assessment.verdict_counts()
    assert {"blocked", "needs-data", "ready-with-fixes", "already-gen2"} <= {
        verdict for verdict, count in counts.items() if count
    }
    assert assessment.vms["host"].nunique() == 6
    assert assessment.vms["os_family"].nunique() >= 3


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_same_arguments_same_bytes(tmp_path: Path, fmt: str) -> None:
    first = generate(200, fmt, tmp_path / f"a.{fmt}", seed=11).read_bytes()
    again = generate(200, fmt, tmp_path / f"b.{fmt}", seed=11).read_bytes()
    other = generate(200, fmt, tmp_path / f"c.{fmt}", seed=12).read_bytes()
    assert first == again != other


def test_csv_has_the_template_headers(tmp_path: Path) -> None:
    path = generate(3, "csv", tmp_path / "estate.csv")
    header = path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(",") == list(TEMPLATE_HEADERS)
