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

#: Verdicts, worst first. ``stays-gen1``: the client decided the VM stays on Generation 1
#: (its blockers are waived, or the policy keeps it); it needs no conversion work.
#: ``already-gen2`` VMs need nothing.
VERDICTS: tuple[str, ...] = tuple(Verdict)
#: Verdicts of VMs that are not converted: their effort is 0 and they count in no total.
NOT_CONVERTED: tuple[str, ...] = (Verdict.STAYS_GEN1, Verdict.ALREADY_GEN2)
#: ``reasons_to_convert_text`` of a Generation 1 VM that gains nothing the tool can name.
NO_REASON_FOUND = "No reason found"
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
    "source_platform",  # hyper-v | vmware | physical
    "landing_generation",  # the generation on Hyper-V after the move (BIOS 1, EFI 2)
    "state",
    "verdict",
    "conversion_path",
    "effort_hours",  # 0 for stays-gen1 and already-gen2: no conversion work
    "effort_if_converted_hours",  # stays-gen1 only: what converting would cost
    "confidence",
    "blockers",
    "fixes",
    "warnings",
    "waived",
    "stays_gen1_reason",  # stays-gen1 only: the waiver's or keep_gen1 entry's reason
    "stays_gen1_owner",
    "stays_gen1_expires",  # YYYY-MM-DD, or blank when the decision does not expire
    "finding_ids",  # space-separated rule ids of open findings, worst first
    "unknown_rules",  # space-separated rule ids that could not be evaluated
    "reasons_to_convert",  # space-separated reason ids (rules/reasons.toml)
    "reasons_to_convert_text",  # their texts, or "No reason found"; blank for Gen 2 VMs
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
    status: str = "ok"  # ok | partial | failed | skipped
    detail: str = ""  # why: "skipped: not an inventory", "12 VMs are older duplicates of X"
    collected_at: str | None = None  # collector time, else the file's modification time


@dataclass
class ReportContext:
    """What the reports state about the engagement and its assumptions (the workbook's
    "Scope and assumptions" sheet). Filled by the command line from its options, the policy
    and the catalog; the engine leaves it empty."""

    client: str = ""
    engagement: str = ""
    paper: str = "a4"  # a4 | letter
    policy_path: str = ""
    disabled_rules: tuple[str, ...] = ()
    #: (rule, catalog severity, severity in this run)
    severity_overrides: tuple[tuple[str, str, str], ...] = ()
    rule_effort_overrides: dict[str, float] = field(default_factory=dict)
    path_effort_overrides: dict[str, float] = field(default_factory=dict)
    #: Base hours per conversion path as assumed in this run (after overrides).
    path_effort: dict[str, float] = field(default_factory=dict)
    #: One dict per policy waiver or keep-on-Gen-1 decision: vm, rule, reason, owner, expires.
    waivers: tuple[dict[str, str], ...] = ()
    keep_gen1: tuple[dict[str, str], ...] = ()
    #: (scope setting, its patterns, VMs it leaves out) and how many VMs the scope saw.
    scope_exclusions: tuple[tuple[str, str, int], ...] = ()
    scope_seen: int = 0
    #: Input path -> when it was written (file time, UTC), for inputs read from files.
    input_times: dict[str, datetime] = field(default_factory=dict)
    catalog: str = ""  # which catalog: version and a digest of its files


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
    context: ReportContext = field(default_factory=ReportContext)

    def verdict_counts(self) -> dict[str, int]:
        counts = self.vms["verdict"].value_counts()
        return {verdict: int(counts.get(verdict, 0)) for verdict in VERDICTS}
