"""The assessment: what the engine hands to every renderer.

Renderers (terminal, Excel, CSV, JSON, diff) read only this. Column names here are a public
contract: the VMs and Findings sheets, ``vms.csv``/``findings.csv`` and the JSON use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from assess.model.vocabulary import ConversionPath, Severity, Verdict

SCHEMA_NAME = "gen2-assess/assessment"
SCHEMA_VERSION = 1

#: Verdicts, worst first. ``already-gen2`` VMs need nothing.
VERDICTS: tuple[str, ...] = tuple(Verdict)
#: Severities, worst first. ``needs-data`` is the severity of findings that say a fact is missing.
SEVERITIES: tuple[str, ...] = tuple(Severity)
CONVERSION_PATHS: tuple[str, ...] = tuple(ConversionPath)

#: Leading columns of ``Assessment.vms``; the facts follow (see ``facts.FACTS``).
VM_COLUMNS: tuple[str, ...] = (
    "vm_key",
    "host",
    "cluster",
    "name",
    "vm_id",
    "generation",
    "state",
    "verdict",
    "conversion_path",
    "effort_hours",
    "confidence",
    "blockers",
    "fixes",
    "warnings",
    "waived",
    "finding_ids",  # space-separated rule ids of open findings, worst first
    "unknown_rules",  # space-separated rule ids that could not be evaluated
    "notes",
    "source",
)

FINDING_COLUMNS: tuple[str, ...] = (
    "vm_key",
    "host",
    "cluster",
    "vm_name",
    "vm_id",
    "rule",
    "severity",
    "family",
    "title",
    "evidence",
    "remediation",
    "reference",
    "effort_hours",
    "status",  # open | waived
    "waiver_reason",
    "waiver_owner",
    "waiver_expires",
)

RULE_COLUMNS: tuple[str, ...] = (
    "id",
    "title",
    "severity",
    "family",
    "needs",
    "rationale",
    "remediation",
    "effort_hours",
    "references",
    "aliases",
    "origin",
)

HOST_COLUMNS: tuple[str, ...] = (
    "host",
    "cluster",
    "status",
    "reason",
    "os",
    "vm_count",
    "gen1_vms",
    "collected_at",
    "source",
)

#: One row per VM with missing data: which facts, which rules wait for them, how to get them.
DATA_GAP_COLUMNS: tuple[str, ...] = (
    "vm_key",
    "host",
    "vm_name",
    "verdict",
    "affects_verdict",  # yes when a blocker or needs-data rule waits for the facts
    "missing_facts",  # comma-separated fact names
    "needed_by",  # space-separated rule ids
    "how_to_get",
)


@dataclass
class InputSummary:
    """One input as the reports show it."""

    path: str
    kind: str
    vms: int
    warnings: int = 0
    status: str = "ok"  # ok | partial | failed
    detail: str = ""


@dataclass
class Assessment:
    """Everything a report needs. DataFrames have exactly the columns declared above
    (``vms`` has the fact columns after ``VM_COLUMNS``)."""

    generated_at: datetime
    inputs: list[InputSummary]
    vms: pd.DataFrame
    findings: pd.DataFrame
    rules: pd.DataFrame
    hosts: pd.DataFrame
    data_gaps: pd.DataFrame
    fact_columns: tuple[str, ...] = ()
    fact_labels: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)  # warnings about inputs, policy, waivers
    #: Where each fact came from: index = vm_key, one text column per fact (NA = nothing known).
    fact_evidence: pd.DataFrame | None = None

    def verdict_counts(self) -> dict[str, int]:
        counts = self.vms["verdict"].value_counts()
        return {verdict: int(counts.get(verdict, 0)) for verdict in VERDICTS}
