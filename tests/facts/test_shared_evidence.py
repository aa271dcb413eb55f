"""Evidence texts repeat per VM; each distinct text is held once."""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.facts.derive import derive_facts
from assess.facts.support_matrix import SupportMatrix
from assess.model.inventory import Inventory
from assess.sources.registry import load_sources

SAMPLES = Path(__file__).resolve().parents[2] / "sample_inventory"


@pytest.mark.slow
def test_each_distinct_evidence_text_is_one_object() -> None:
    results = load_sources([str(SAMPLES)])
    facts = derive_facts(Inventory.concat(r.inventory for r in results), SupportMatrix.load(None))
    evidence = facts.evidence
    assert len(evidence) == len(facts.frame) > 20
    assert set(evidence.dtypes.astype(str)) == {"string"}
    for column in evidence.columns:
        texts = evidence[column].dropna().tolist()
        assert len({id(text) for text in texts}) == len(set(texts)), column
    # NA where the fact is NA, as before
    assert (evidence.isna() | facts.frame[evidence.columns].notna()).all().all()
