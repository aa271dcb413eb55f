"""The engine: apply the rule catalog to the facts and judge every VM.

Every rule is evaluated column-wise over all VMs at once (no per-VM Python loop): a rule's
condition yields True (finding), False (passed) or NA (unknown) per VM. Only Generation 1
VMs (and VMs of unknown generation) are judged; Generation 2 VMs are ``already-gen2``.

Verdicts, worst first: ``blocked`` (an open blocker finding) > ``needs-data`` (a blocker rule
that could not be evaluated, or an open needs-data finding) > ``ready-with-fixes`` (an open
fix finding) > ``ready``. Missing data is never "ready": a VM with no known fix but a fix rule
that could not be evaluated is ``needs-data`` too. Waived findings are kept and shown but do
not count.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from assess.assessment import (
    DATA_GAP_COLUMNS,
    FINDING_COLUMNS,
    HOST_COLUMNS,
    RULE_COLUMNS,
    SEVERITIES,
    VM_COLUMNS,
    Assessment,
    InputSummary,
)
from assess.facts import FACT_BY_NAME, FACTS, Facts
from assess.rulebook import Catalog, Rule

_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}

#: Hook for waivers: takes the findings frame, returns it with status/waiver columns set,
#: plus messages (expired or unused waivers). See ``assess.policy``.
WaiverHook = Callable[[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, list[str]]]


def assess(
    facts: Facts,
    catalog: Catalog,
    *,
    inputs: Sequence[InputSummary] = (),
    waive: WaiverHook | None = None,
    generated_at: datetime | None = None,
    messages: Sequence[str] = (),
) -> Assessment:
    frame = facts.frame
    candidates = frame["generation"].ne(2).fillna(True).to_numpy(dtype=bool)

    finding_parts: list[pd.DataFrame] = []
    unknown_ids = np.full(len(frame), "", dtype=object)
    blocker_unknown = np.zeros(len(frame), dtype=bool)
    fix_unknown = np.zeros(len(frame), dtype=bool)
    evaluated = np.zeros(len(frame), dtype=np.int64)
    gap_parts: list[pd.DataFrame] = []
    paths = conversion_paths(frame)

    for rule in catalog.rules:
        result = rule.condition.evaluate(frame)
        fired = result.fillna(False).to_numpy(dtype=bool) & candidates
        unknown = result.isna().to_numpy(dtype=bool) & candidates
        evaluated += candidates & ~unknown
        if unknown.any():
            unknown_ids = unknown_ids + np.where(unknown, rule.id + " ", "")
            if rule.severity == "blocker":
                blocker_unknown |= unknown
            elif rule.severity == "fix":
                fix_unknown |= unknown
            gap_parts.extend(_gaps(frame, rule, unknown, rule.needs))
        if fired.any():
            finding_parts.append(_findings(frame, rule, fired, paths))
            if rule.severity == "needs-data":
                gap_parts.extend(_gaps(frame, rule, fired, rule.condition.names))

    findings = _concat(finding_parts, FINDING_COLUMNS)
    findings["status"] = "open"
    for column in ("waiver_reason", "waiver_owner", "waiver_expires"):
        findings[column] = pd.Series(pd.NA, index=findings.index, dtype="string")
    notes: list[str] = list(messages)
    if waive is not None:
        findings, waiver_messages = waive(findings, frame)
        notes.extend(waiver_messages)
    findings = _sort_findings(findings)

    vms = _vm_table(
        frame, findings, catalog, paths, unknown_ids, blocker_unknown, fix_unknown, evaluated
    )
    decisive = {r.id: r.severity in {"blocker", "needs-data"} for r in catalog.rules}
    data_gaps = _data_gap_table(vms, gap_parts, decisive)
    return Assessment(
        generated_at=generated_at or datetime.now(UTC),
        inputs=list(inputs),
        vms=vms,
        findings=findings.reset_index(drop=True),
        rules=rules_table(catalog),
        hosts=_host_table(facts.hosts, vms),
        data_gaps=data_gaps,
        fact_columns=tuple(fact.name for fact in FACTS),
        fact_labels={fact.name: fact.label for fact in FACTS},
        messages=notes,
        fact_evidence=facts.evidence,
    )


def conversion_paths(frame: pd.DataFrame) -> pd.Series:
    """``none`` for Gen 2; ``rebuild`` when the guest cannot run on Gen 2 (32-bit or
    unsupported); otherwise the support matrix's path; ``unknown`` when the OS is unknown."""
    path = frame["os_conversion_path"].astype("string")
    cannot = frame["os_gen2_support"].eq("no").fillna(False) | frame["os_arch"].eq("x86").fillna(
        False
    )
    path = path.mask(cannot, "rebuild").fillna("unknown")
    return path.mask(frame["generation"].eq(2).fillna(False), "none")


_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")


def _as_text(values: pd.Series) -> pd.Series:
    if values.dtype == "Float64":
        values = values.round(1)
    return values.astype("string")


def render_evidence(template: str, rows: pd.DataFrame) -> pd.Series:
    """Fill ``{fact}`` fields column-wise. A ``[...]`` part is left out for a VM when a fact
    inside it is unknown; elsewhere an unknown fact reads "unknown"."""
    out = pd.Series("", index=rows.index, dtype="string")
    position = 0
    for match in [*_OPTIONAL.finditer(template), None]:
        plain = template[position : match.start() if match else len(template)]
        out = out + _fill(plain, rows, optional=False)
        if match:
            out = out + _fill(match.group(1), rows, optional=True)
            position = match.end()
    return out


def _fill(template: str, rows: pd.DataFrame, *, optional: bool) -> pd.Series:
    text = pd.Series("", index=rows.index, dtype="string")
    missing = pd.Series(False, index=rows.index)
    for literal, name, _, _ in string.Formatter().parse(template):
        text = text + literal
        if name:
            values = _as_text(rows[name])
            missing |= values.isna()
            text = text + values.fillna("unknown")
    return text.mask(missing, "") if optional else text


def _findings(frame: pd.DataFrame, rule: Rule, fired: np.ndarray, paths: pd.Series) -> pd.DataFrame:
    rows = frame[fired]
    evidence = render_evidence(rule.evidence or rule.title, rows)
    path = paths[fired]
    effort = path.map(rule.effort_by_path).astype("Float64").fillna(rule.effort_hours)
    return pd.DataFrame(
        {
            "vm_key": rows["vm_key"],
            "host": rows["host"],
            "cluster": rows["cluster"],
            "vm_name": rows["name"],
            "vm_id": rows["vm_id"],
            "rule": rule.id,
            "severity": rule.severity,
            "family": rule.family,
            "title": rule.title,
            "evidence": evidence,
            "remediation": rule.remediation,
            "reference": rule.references[0] if rule.references else pd.NA,
            "effort_hours": effort,
        }
    )


def _concat(parts: list[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    out = pd.concat(parts, ignore_index=True)
    for column in columns:
        if column not in out:
            out[column] = pd.NA
    return out[list(columns)]


def _sort_findings(findings: pd.DataFrame) -> pd.DataFrame:
    if findings.empty:
        return findings
    rank = findings["severity"].map(_SEVERITY_RANK)
    order = np.lexsort(
        (findings["rule"].to_numpy(), rank.to_numpy(), findings["vm_key"].to_numpy())
    )
    return findings.iloc[order]


def _gaps(
    frame: pd.DataFrame, rule: Rule, mask: np.ndarray, needs: Sequence[str]
) -> list[pd.DataFrame]:
    parts = []
    for fact in needs:
        missing = mask & frame[fact].isna().to_numpy(dtype=bool)
        if missing.any():
            parts.append(
                pd.DataFrame(
                    {"vm_key": frame["vm_key"].to_numpy()[missing], "fact": fact, "rule": rule.id}
                )
            )
    return parts


def _vm_table(
    frame: pd.DataFrame,
    findings: pd.DataFrame,
    catalog: Catalog,
    paths: pd.Series,
    unknown_ids: np.ndarray,
    blocker_unknown: np.ndarray,
    fix_unknown: np.ndarray,
    evaluated: np.ndarray,
) -> pd.DataFrame:
    index = frame.index
    open_findings = findings[findings["status"] == "open"]
    by_severity = (
        open_findings.groupby(["vm_key", "severity"]).size().unstack(fill_value=0)
        if len(open_findings)
        else pd.DataFrame(index=index)
    )

    def count(severity: str) -> pd.Series:
        if severity in by_severity:
            return by_severity[severity].reindex(index, fill_value=0).astype("Int64")
        return pd.Series(0, index=index, dtype="Int64")

    blockers, needs_data, fixes = count("blocker"), count("needs-data"), count("fix")
    warnings = count("warning")
    generation2 = frame["generation"].eq(2).fillna(False).to_numpy(dtype=bool)
    verdict = np.select(
        [
            generation2,
            blockers.to_numpy() > 0,
            blocker_unknown | (needs_data.to_numpy() > 0),
            fixes.to_numpy() > 0,
            fix_unknown,
        ],
        ["already-gen2", "blocked", "needs-data", "ready-with-fixes", "needs-data"],
        default="ready",
    )
    base = paths.map({name: p.effort_hours for name, p in catalog.paths.items()}).astype(float)
    effort = open_findings.groupby("vm_key")["effort_hours"].sum().astype(float)
    effort_hours = (base + effort.reindex(index, fill_value=0.0)).round(2)
    effort_hours[generation2] = 0.0
    rule_count = len(catalog.rules)
    confidence = np.where(generation2, 1.0, evaluated / max(rule_count, 1)).round(2)
    ids = open_findings.groupby("vm_key")["rule"].agg(" ".join)
    waived = (
        findings[findings["status"] == "waived"].groupby("vm_key").size()
        if len(findings)
        else pd.Series(dtype="int64")
    )
    leading = pd.DataFrame(
        {
            "vm_key": frame["vm_key"],
            "host": frame["host"],
            "cluster": frame["cluster"],
            "name": frame["name"],
            "vm_id": frame["vm_id"],
            "generation": frame["generation"],
            "state": frame["state"],
            "verdict": verdict,
            "conversion_path": paths,
            "effort_hours": effort_hours,
            "confidence": confidence,
            "blockers": blockers,
            "fixes": fixes,
            "warnings": warnings,
            "waived": waived.reindex(index, fill_value=0).astype("Int64"),
            "finding_ids": ids.reindex(index).fillna("").astype("string"),
            "unknown_rules": pd.Series(unknown_ids, index=index).str.strip().astype("string"),
            "notes": frame["notes"],
            "source": frame["source"],
        },
        index=index,
    )
    fact_frame = frame[[fact.name for fact in FACTS if fact.name not in leading]]
    vms = pd.concat([leading[list(VM_COLUMNS)], fact_frame], axis=1)
    return vms.reset_index(drop=True)


def _data_gap_table(
    vms: pd.DataFrame, parts: list[pd.DataFrame], decisive: dict[str, bool]
) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in DATA_GAP_COLUMNS})
    gaps = pd.concat(parts, ignore_index=True).drop_duplicates()
    gaps = gaps[~gaps["vm_key"].isin(vms.loc[vms["verdict"] == "already-gen2", "vm_key"])]
    how = {name: fact.how_to_get for name, fact in FACT_BY_NAME.items()}
    gaps["decisive"] = gaps["rule"].map(decisive)
    per_vm = gaps.groupby("vm_key", sort=False).agg(
        affects_verdict=("decisive", "any"),
        missing_facts=("fact", lambda s: ", ".join(dict.fromkeys(s))),
        needed_by=("rule", lambda s: " ".join(sorted(set(s)))),
        how_to_get=("fact", lambda s: " ".join(dict.fromkeys(how[f] for f in s if how[f]))),
    )
    by_key = vms.set_index("vm_key")
    per_vm["host"] = by_key["host"].reindex(per_vm.index)
    per_vm["vm_name"] = by_key["name"].reindex(per_vm.index)
    per_vm["verdict"] = by_key["verdict"].reindex(per_vm.index)
    per_vm = per_vm.reset_index()
    rank = {v: i for i, v in enumerate(("needs-data", "blocked", "ready-with-fixes", "ready"))}
    per_vm["affects_verdict"] = per_vm["affects_verdict"].map({True: "yes", False: "no"})
    per_vm = per_vm.sort_values(
        ["affects_verdict", "verdict", "host", "vm_name"],
        key=lambda s: s.map(rank) if s.name == "verdict" else s,
        ascending=[False, True, True, True],
    )
    return per_vm[list(DATA_GAP_COLUMNS)].reset_index(drop=True)


def _host_table(hosts: pd.DataFrame, vms: pd.DataFrame) -> pd.DataFrame:
    counts = vms.groupby("host", dropna=False).agg(
        vm_count=("vm_key", "size"),
        gen1_vms=("generation", lambda g: int(g.ne(2).fillna(True).sum())),
        cluster=("cluster", "first"),
        source=("source", lambda s: s.str.rsplit(":", n=1).str[0].iloc[0]),
    )
    rows = []
    known = set()
    for host in hosts.itertuples(index=False):
        known.add(str(host.host).lower())
        os_text = " ".join(str(v) for v in (host.os_caption, host.os_version) if pd.notna(v))
        match = counts[counts.index.str.lower() == str(host.host).lower()]
        rows.append(
            {
                "host": host.host,
                "cluster": host.cluster,
                "status": host.status if pd.notna(host.status) else "ok",
                "reason": host.reason if pd.notna(host.reason) else "",
                "os": os_text or pd.NA,
                "vm_count": int(match["vm_count"].sum()),
                "gen1_vms": int(match["gen1_vms"].sum()),
                "collected_at": host.collected_at,
                "source": host.source,
            }
        )
    for host, row in counts.iterrows():
        if pd.isna(host) or str(host).lower() in known:
            continue
        rows.append(
            {
                "host": host,
                "cluster": row["cluster"],
                "status": "inventory-only",
                "reason": "listed in an inventory file; nothing collected from the host",
                "os": pd.NA,
                "vm_count": int(row["vm_count"]),
                "gen1_vms": int(row["gen1_vms"]),
                "collected_at": pd.NA,
                "source": row["source"],
            }
        )
    table = pd.DataFrame(rows, columns=list(HOST_COLUMNS))
    return table.sort_values("host", key=lambda s: s.astype(str).str.lower()).reset_index(drop=True)


def rules_table(catalog: Catalog) -> pd.DataFrame:
    rows = []
    for rule in catalog.rules:
        rows.append(
            {
                "id": rule.id,
                "title": rule.title,
                "severity": rule.severity,
                "family": rule.family,
                "needs": ", ".join(rule.needs),
                "rationale": rule.rationale,
                "remediation": rule.remediation,
                "effort_hours": rule.effort_hours,
                "references": " ".join(rule.references),
                "aliases": " ".join(rule.aliases),
                "origin": rule.origin.rsplit("/", 1)[-1],
            }
        )
    return pd.DataFrame(rows, columns=list(RULE_COLUMNS))
