"""The column-wise JSON writer writes exactly what ``json.dump(..., indent=1)`` writes."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assess.render.json import stream
from assess.render.json.report import assessment_to_dict, write_json
from tests.assessment_factory import big, sample
from tests.render.test_fast_rows import NASTY_TEXTS


def _reference(assessment) -> str:
    document = assessment_to_dict(assessment)
    return json.dumps(document, ensure_ascii=False, indent=1, default=str) + "\n"


def _assert_same(assessment, tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    write_json(assessment, path)
    assert path.read_text(encoding="utf-8") == _reference(assessment)


def test_sample(tmp_path: Path) -> None:
    _assert_same(sample(), tmp_path)


def test_many_vms_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "CHUNK_VMS", 7)
    _assert_same(big(100), tmp_path)


def test_hostile_values(tmp_path: Path) -> None:
    base = sample()
    vms = base.vms.copy()
    vms["notes"] = pd.array(
        [NASTY_TEXTS[i % len(NASTY_TEXTS)] for i in range(len(vms))], dtype="string"
    )
    vms["confidence"] = [math.nan, math.inf, -math.inf, 0.5, 1.0] * 2 + [0.1] * (len(vms) - 10)
    vms["unknown_rules"] = pd.array(["", None, "OS003", "OS003  BOOT001 "] * 3 + [None], "string")
    vms["mixed"] = pd.Series(
        [np.int64(3), np.float64(2.5), np.bool_(True), ["a", 1], {"k": None}, "t", None]
        + [np.datetime64("2025-01-01T00:00:00"), pd.Timestamp("2025-01-02T03:04:05Z")]
        + [pd.Timedelta(hours=2)] * (len(vms) - 9),
        dtype=object,
        index=vms.index,
    )
    findings = base.findings.copy()
    findings["evidence"] = pd.array(
        [NASTY_TEXTS[i % len(NASTY_TEXTS)] for i in range(len(findings))], dtype="string"
    )
    findings["effort_hours"] = pd.array([None, 1.5] * (len(findings) // 2 + 1), "Float64")[
        : len(findings)
    ]
    gaps = base.data_gaps.copy()
    hostile = dataclasses.replace(
        base,
        vms=vms,
        findings=findings,
        data_gaps=gaps,
        fact_columns=(*base.fact_columns, "mixed", "not-a-column"),
        messages=["note \u2013 with a dash", "second"],
    )
    _assert_same(hostile, tmp_path)


def test_empty_assessment(tmp_path: Path) -> None:
    base = sample()
    empty = dataclasses.replace(
        base,
        vms=base.vms.head(0),
        findings=base.findings.head(0),
        data_gaps=base.data_gaps.head(0),
        hosts=base.hosts.head(0),
        inputs=[],
        messages=[],
    )
    _assert_same(empty, tmp_path)


def test_vms_without_findings_and_findings_of_unknown_vms(tmp_path: Path) -> None:
    base = sample()
    findings = base.findings.copy()
    findings.loc[findings.index[:2], "vm_key"] = "no-such-vm"
    _assert_same(dataclasses.replace(base, findings=findings), tmp_path)


def test_duplicate_vm_keys(tmp_path: Path) -> None:
    base = sample()
    vms = pd.concat([base.vms, base.vms.head(3)], ignore_index=True)
    _assert_same(dataclasses.replace(base, vms=vms), tmp_path)
