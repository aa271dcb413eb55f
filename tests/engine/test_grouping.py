"""The engine's per-VM grouping helpers agree with the pandas groupby they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assess.engine import evaluate

PAIRS = [
    ("os_arch", "OS001"),
    ("os_gen2_support", "OS002"),
    ("os_arch", "OS003"),
    ("boot_disk_controller", "BOOT001"),
    ("boot_disk_partition_style", "BOOT003"),
]
DECISIVE = {"OS001": True, "OS002": True, "OS003": True, "BOOT001": False, "BOOT003": False}


@pytest.fixture(params=["hash", "collisions"])
def hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.param == "collisions":  # every row hashes alike: the exact fallback runs
        monkeypatch.setattr(evaluate, "_HASH_BASE", 0)


@pytest.mark.usefixtures("hashing")
@pytest.mark.parametrize("seed", range(4))
def test_patterns_are_the_joined_sequences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = 60
    groups = rng.integers(0, size, size=400)
    items = rng.integers(0, 6, size=400)
    pattern_of, patterns = evaluate._patterns(groups, items, size)
    expected = pd.Series(items).groupby(groups).agg(tuple).reindex(range(size))
    for group in range(size):
        want = expected[group] if isinstance(expected[group], tuple) else ()
        assert patterns[pattern_of[group]] == want
    assert len(set(patterns)) == len(patterns)


def test_patterns_of_nothing() -> None:
    empty = np.array([], dtype=np.int64)
    pattern_of, patterns = evaluate._patterns(empty, empty, 3)
    assert [patterns[p] for p in pattern_of] == [(), (), ()]
    pattern_of, patterns = evaluate._patterns(empty, empty, 0)
    assert len(pattern_of) == 0


@pytest.mark.usefixtures("hashing")
def test_gaps_per_vm_describes_each_vm_like_the_groupby_did() -> None:
    rng = np.random.default_rng(7)
    rows = rng.integers(0, 30, size=400)
    pairs = rng.integers(0, len(PAIRS), size=400)
    # the engine passes each (row, pair) once
    _, first = np.unique(rows * len(PAIRS) + pairs, return_index=True)
    keep = np.sort(first)
    rows, pairs = rows[keep], pairs[keep]
    vm_rows, (affects, missing, needed_by, how_to_get) = evaluate._gaps_per_vm(
        rows, pairs, PAIRS, DECISIVE
    )
    how = {name: fact.how_to_get for name, fact in evaluate.FACT_BY_NAME.items()}
    frame = pd.DataFrame(
        {"vm": rows, "fact": [PAIRS[p][0] for p in pairs], "rule": [PAIRS[p][1] for p in pairs]}
    )
    frame["decisive"] = frame["rule"].map(DECISIVE)
    expected = frame.groupby("vm", sort=False).agg(
        affects=("decisive", "any"),
        missing=("fact", lambda s: ", ".join(dict.fromkeys(s))),
        needed_by=("rule", lambda s: " ".join(sorted(set(s)))),
        how_to_get=("fact", lambda s: " ".join(dict.fromkeys(how[f] for f in s if how[f]))),
    )
    assert vm_rows.tolist() == expected.index.tolist()
    assert affects.tolist() == expected["affects"].tolist()
    assert missing.tolist() == expected["missing"].tolist()
    assert needed_by.tolist() == expected["needed_by"].tolist()
    assert how_to_get.tolist() == expected["how_to_get"].tolist()


def test_sort_codes_order_like_sort_values_with_na_last() -> None:
    values = pd.Series(["b", None, "a", "B", "a", None, "c"], dtype="string")
    order = np.argsort(evaluate._sort_codes(values), kind="stable")
    expected = values.sort_values(kind="stable", na_position="last").index.to_numpy()
    assert order.tolist() == expected.tolist()
