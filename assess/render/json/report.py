"""The assessment as JSON: schema-versioned, stable keys, read by ``assess diff`` and tools.

Top level: ``schema``, ``schema_version``, ``generated_at``, ``tool``, ``engagement`` (client,
engagement, policy file, rule catalog: what the workbook's page header and scope sheet
state), ``inputs``, ``summary``, ``hosts``, ``vms`` (each with ``facts``, ``findings`` and
``unknown_rules``), ``data_gaps``, ``messages``. Unknown values are ``null``.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from assess import __version__
from assess.atomic import atomic_path
from assess.model.assessment import SCHEMA_NAME, SCHEMA_VERSION, Assessment
from assess.render.json import stream

_FINDING_KEYS = (
    "rule",
    "severity",
    "status",
    "title",
    "evidence",
    "remediation",
    "reference",
    "effort_hours",
    "waiver_reason",
    "waiver_owner",
    "waiver_expires",
)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with plain Python values and None for NA."""
    if frame.empty:
        return []
    plain = frame.astype(object).where(frame.notna(), None)
    return plain.to_dict(orient="records")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def summary(assessment: Assessment) -> dict[str, Any]:
    vms = assessment.vms
    findings = assessment.findings
    open_findings = findings[findings["status"] == "open"]
    effort_by_path = vms.groupby("conversion_path")["effort_hours"].sum().round(2)
    return {
        "vm_count": len(vms),
        "gen1_vm_count": int((vms["verdict"] != "already-gen2").sum()),
        "verdicts": assessment.verdict_counts(),
        "effort_hours": round(float(vms["effort_hours"].sum()), 2),
        "stays_gen1": {
            "vms": int((vms["verdict"] == "stays-gen1").sum()),
            "effort_if_converted_hours": round(
                float(pd.to_numeric(vms["effort_if_converted_hours"]).fillna(0).sum()), 2
            ),
        },
        "effort_hours_by_path": {k: float(v) for k, v in effort_by_path.items()},
        "findings_by_rule": {
            str(k): int(v) for k, v in open_findings["rule"].value_counts().sort_index().items()
        },
        "waived_findings": int((findings["status"] == "waived").sum()),
        "host_count": len(assessment.hosts),
    }


def assessment_to_dict(assessment: Assessment) -> dict[str, Any]:
    findings_by_vm: dict[str, list[dict[str, Any]]] = {}
    if len(assessment.findings):
        for row in _records(assessment.findings[["vm_key", *_FINDING_KEYS]]):
            key = row.pop("vm_key")
            findings_by_vm.setdefault(key, []).append(row)
    fact_names = [c for c in assessment.fact_columns if c in assessment.vms.columns]
    vms = []
    for row in _records(assessment.vms):
        facts = {name: _clean(row[name]) for name in fact_names}
        vms.append(
            {
                "id": row["vm_id"],
                "key": row["vm_key"],
                "name": row["name"],
                "host": row["host"],
                "cluster": row["cluster"],
                "generation": row["generation"],
                "state": row["state"],
                "verdict": row["verdict"],
                "conversion_path": row["conversion_path"],
                "effort_hours": _clean(row["effort_hours"]),
                "effort_if_converted_hours": _clean(row["effort_if_converted_hours"]),
                "confidence": _clean(row["confidence"]),
                "stays_gen1_reason": row["stays_gen1_reason"],
                "stays_gen1_owner": row["stays_gen1_owner"],
                "stays_gen1_expires": row["stays_gen1_expires"],
                "reasons_to_convert": (row["reasons_to_convert"] or "").split(),
                "reasons_to_convert_text": row["reasons_to_convert_text"],
                "notes": row["notes"],
                "source": row["source"],
                "facts": facts,
                "findings": findings_by_vm.get(row["vm_key"], []),
                "unknown_rules": (row["unknown_rules"] or "").split(),
            }
        )
    document = _skeleton(assessment)
    document["vms"] = vms
    document["data_gaps"] = _records(assessment.data_gaps)
    return document


def _skeleton(assessment: Assessment) -> dict[str, Any]:
    """The document with ``vms`` and ``data_gaps`` empty."""
    context = assessment.context
    return {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "generated_at": assessment.generated_at.isoformat(timespec="seconds"),
        "tool": {"name": "gen2-assess", "version": __version__},
        "engagement": {
            "client": context.client or None,
            "engagement": context.engagement or None,
            "policy": context.policy_path or None,
            "catalog": context.catalog or None,
        },
        "inputs": [asdict(item) for item in assessment.inputs],
        "summary": summary(assessment),
        "hosts": [{k: _clean(v) for k, v in h.items()} for h in _records(assessment.hosts)],
        "vms": [],
        "data_gaps": [],
        "messages": list(assessment.messages),
    }


def write_json(assessment: Assessment, path: str | Path) -> None:
    """The text of ``json.dump(assessment_to_dict(...), indent=1)``, written column-wise
    and in chunks (``json_text``): the same bytes, a fraction of the time and memory."""
    lists = {
        "vms": stream.vm_items(assessment, _FINDING_KEYS),
        "data_gaps": stream.record_items(assessment.data_gaps),
    }
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as handle:
        stream.write_document(handle, _skeleton(assessment), lists)
        handle.write("\n")
