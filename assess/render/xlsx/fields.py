"""Human column headers for the workbook, and where each one comes from.

The snake_case column names of ``Assessment`` are the contract of the JSON and the CSV files
(see ``sheet_tables``). A workbook goes to people, so its list sheets show a human header
instead, and its ``Fields`` sheet maps every header back to its snake_case field with a
one-line meaning: whoever filters the CSV or the JSON finds the same column there.

The workbook also orders the columns for a reader: what the VM is (name, host), what was
decided (verdict, path, effort, why convert, what blocks it, what to fix), then the facts,
and the internal ids last.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Field -> (header, meaning). Fields of several lists share one entry.
CORE_FIELDS: dict[str, tuple[str, str]] = {
    # VMs
    "vm_key": ("VM key", "The VM id in lower case: joins VMs, Findings and Data gaps."),
    "host": ("Host", "Hyper-V host the VM was collected on."),
    "cluster": ("Cluster", "Failover cluster of the host, if any."),
    "name": ("VM", "VM name as Hyper-V shows it."),
    "vm_name": ("VM", "VM name as Hyper-V shows it."),
    "vm_id": ("VM id", "Hyper-V VM id (GUID)."),
    "generation": (
        "Generation",
        "VM generation: 1 or 2 (VMware or physical: the one it lands as on Hyper-V).",
    ),
    "source_platform": ("Platform", "Where the VM runs today: hyper-v, vmware or physical."),
    "landing_generation": (
        "Lands as Gen",
        "Generation on Hyper-V after the move with the usual tools: BIOS 1, EFI 2.",
    ),
    "state": ("State", "VM state when collected."),
    "verdict": (
        "Verdict",
        "blocked > needs-data > stays-gen1 > ready-with-fixes > ready; already-gen2 needs "
        "nothing. stays-gen1: the client decided (waiver or policy); no effort counted.",
    ),
    "conversion_path": (
        "Path",
        "Conversion path: mbr2gpt, recapture, linux-efi, rebuild, unknown (none: already Gen 2).",
    ),
    "effort_hours": ("Effort (h)", "Estimated hours: planning defaults, not measurements."),
    "confidence": ("Confidence", "Share of rules evaluated on known data."),
    "blockers": ("Open blockers", "Number of open blocker findings."),
    "fixes": ("Open fixes", "Number of open fix findings."),
    "warnings": ("Open warnings", "Number of open warning findings."),
    "waived": ("Waived", "Findings waived by the policy (still listed on the Findings sheet)."),
    "finding_ids": ("Open findings", "Rule ids of the open findings, worst first."),
    "unknown_rules": ("Not evaluated", "Rules that could not be evaluated for lack of data."),
    "notes": ("Notes", "Notes of the VM, as collected."),
    "source": ("Source", "Input file (or host) the VM was read from."),
    "blocker_rules": ("Blockers", "Open blocker findings: rule id and title (workbook only)."),
    "fix_rules": ("Fixes", "Open fix findings: rule id and title (workbook only)."),
    "reasons_to_convert_text": (
        "Reasons to convert",
        'What the VM gains on Generation 2, or "No reason found".',
    ),
    "reasons_to_convert": ("Reason ids", "Ids of the reasons to convert (rules/reasons.toml)."),
    "stays_gen1_reason": ("Stays on Gen 1: reason", "Why the client keeps the VM on Gen 1."),
    "stays_gen1_owner": ("Stays on Gen 1: owner", "Who decided to keep the VM on Gen 1."),
    "stays_gen1_expires": ("Stays on Gen 1: until", "When the decision expires (blank: never)."),
    "stays_gen1": (
        "Stays on Gen 1 because",
        "The client's decision: reason (owner, until when). Workbook only.",
    ),
    "effort_if_converted_hours": (
        "Effort if converted (h)",
        "For a VM that stays on Gen 1: what converting it would take (not in any total).",
    ),
    "waiver_reason": ("Waiver reason", "Why the finding is waived."),
    "waiver_owner": ("Waiver owner", "Who decided the waiver."),
    "waiver_expires": ("Waiver expires", "When the waiver ends; it is then ignored."),
    # Findings
    "rule": ("Rule", "Rule id (a public contract: renamed rules keep their old id as alias)."),
    "severity": ("Severity", "blocker, needs-data, fix, warning or info."),
    "family": ("Family", "Group of rules: os, boot, devices, disks, vm, host, custom."),
    "title": ("Title", "What the rule flags."),
    "evidence": ("Evidence", "The facts that made the rule fire, with their source."),
    "remediation": ("Remediation", "How to fix it."),
    "reference": ("Reference", "Microsoft Learn (or other) page behind the rule."),
    "status": ("Status", "open, or waived by the policy."),
    # Rules
    "id": ("Rule", "Rule id."),
    "needs": ("Needs", "Facts the rule reads."),
    "rationale": ("Rationale", "Why it matters for Generation 2."),
    "references": ("References", "Pages behind the rule."),
    "aliases": ("Aliases", "Former ids of the rule."),
    "origin": ("Origin", "core, or the custom rule file."),
    # Hosts
    "reason": ("Reason", "Why the host's collection is not ok."),
    "os": ("Host OS", "Host operating system."),
    "vm_count": ("VMs", "VMs on the host."),
    "gen1_vms": ("Gen 1 VMs", "Generation 1 VMs on the host."),
    "collected_at": ("Collected (UTC)", "When the host was collected."),
    # Data gaps
    "affects_verdict": ("Affects verdict", "yes when a blocker or needs-data rule waits for it."),
    "missing_facts": ("Missing facts", "Facts that are unknown."),
    "needed_by": ("Needed by", "Rules waiting for the facts."),
    "how_to_get": ("How to get it", "How to collect the missing facts."),
}

#: Where a field means something else on one sheet.
SHEET_FIELDS: dict[tuple[str, str], tuple[str, str]] = {
    ("Hosts", "status"): (
        "Status",
        "Collection status: ok, partial, inventory-only, or why collection failed.",
    ),
    ("Hosts", "source"): ("Source", "Input file or scan the host was read from."),
    ("Fields", "sheet"): ("Sheet", "Workbook sheet."),
    ("Fields", "header"): ("Column", "Column header on that sheet."),
    ("Fields", "field"): ("Field", "Field name in the JSON and CSV outputs."),
    ("Fields", "meaning"): ("Meaning", "What the column holds."),
}

#: Per sheet: the columns a reader wants first (those present, in this order). The other
#: columns follow in their contract order; ``TRAILING`` ones go last. The leading columns
#: up to ``PRINT_THROUGH`` are what the sheet prints (one page wide must stay readable);
#: the rest is in the file.
LEADING: dict[str, tuple[str, ...]] = {
    "VMs": (
        "name",
        "host",
        "verdict",
        "conversion_path",
        "effort_hours",
        "reasons_to_convert_text",
        "blocker_rules",
        "fix_rules",
        "stays_gen1",
        "cluster",
        "effort_if_converted_hours",
        "stays_gen1_reason",
        "stays_gen1_owner",
        "stays_gen1_expires",
        "confidence",
        "blockers",
        "fixes",
        "warnings",
        "waived",
        "finding_ids",
        "unknown_rules",
        "generation",
        "state",
        "notes",
    ),
    "Findings": (
        "vm_name",
        "host",
        "rule",
        "severity",
        "title",
        "status",
        "evidence",
        "remediation",
        "effort_hours",
        "reference",
        "waiver_reason",
        "waiver_owner",
        "waiver_expires",
        "cluster",
    ),
    "Rules": ("id", "title", "severity", "effort_hours", "remediation", "rationale"),
    "Data gaps": ("vm_name", "host", "verdict", "affects_verdict", "missing_facts"),
}
PRINT_THROUGH: dict[str, str] = {
    "VMs": "stays_gen1",
    "Findings": "effort_hours",
    "Rules": "rationale",
    "Data gaps": "how_to_get",
}
TRAILING: tuple[str, ...] = ("source", "vm_id", "vm_key")


def printed_columns(sheet: str, columns: list[str]) -> int:
    """How many of the (ordered) ``columns`` the sheet prints: through the last present
    column of ``LEADING`` up to ``PRINT_THROUGH``, or all of them."""
    last = PRINT_THROUGH.get(sheet)
    if last is None:
        return len(columns)
    lead = LEADING.get(sheet, ())
    wanted = set(lead[: lead.index(last) + 1]) if last in lead else {last}
    printed = [i for i, c in enumerate(columns) if c in wanted]
    return (max(printed) + 1) if printed else len(columns)


def workbook_order(sheet: str, columns: Iterable[str], facts: Iterable[str] = ()) -> list[str]:
    """``columns`` in the workbook's reading order: leading, the rest, facts, trailing."""
    present = list(columns)
    fact_set = [c for c in facts if c in present]
    lead = [c for c in LEADING.get(sheet, ()) if c in present]
    trail = [c for c in TRAILING if c in present and c not in lead]
    placed = {*lead, *fact_set, *trail}
    middle = [c for c in present if c not in placed]
    return [*lead, *middle, *fact_set, *trail]


@dataclass(frozen=True)
class FieldInfo:
    field: str
    header: str
    meaning: str


def field_info(
    name: str,
    fact_labels: dict[str, str],
    fact_meanings: dict[str, str] | None = None,
    sheet: str = "",
) -> FieldInfo:
    """Header and meaning of one column; facts take their label, unknown columns stay as
    they are (with underscores as spaces)."""
    if (sheet, name) in SHEET_FIELDS:
        header, meaning = SHEET_FIELDS[(sheet, name)]
        return FieldInfo(name, header, meaning)
    if name in CORE_FIELDS:
        header, meaning = CORE_FIELDS[name]
        return FieldInfo(name, header, meaning)
    if name in fact_labels:
        meaning = (fact_meanings or {}).get(name) or fact_labels[name]
        return FieldInfo(name, fact_labels[name], _sentence(meaning))
    return FieldInfo(name, name.replace("_", " ").capitalize(), "")


def sheet_headers(
    sheet: str,
    columns: Iterable[str],
    fact_labels: dict[str, str],
    fact_meanings: dict[str, str] | None = None,
) -> list[FieldInfo]:
    """One ``FieldInfo`` per column, headers made unique within the sheet (a repeated label
    gets its field name in brackets) so every header finds one field."""
    infos = [field_info(c, fact_labels, fact_meanings, sheet) for c in columns]
    seen: dict[str, int] = {}
    for info in infos:
        seen[info.header.casefold()] = seen.get(info.header.casefold(), 0) + 1
    return [
        FieldInfo(i.field, f"{i.header} ({i.field})", i.meaning)
        if seen[i.header.casefold()] > 1
        else i
        for i in infos
    ]


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."
