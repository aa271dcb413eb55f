"""The engine: apply the rule catalog to the facts and judge every VM.

Every rule is evaluated column-wise over all VMs at once (no per-VM Python loop): a rule's
condition yields True (finding), False (passed) or NA (unknown) per VM. Only Generation 1
VMs (and VMs of unknown generation) are judged; Generation 2 VMs are ``already-gen2``.

Verdicts, worst first: ``blocked`` (an open blocker finding) > ``needs-data`` (a blocker rule
that could not be evaluated, or an open needs-data finding) > ``stays-gen1`` (the client
decided: every blocker it has is waived, or the policy keeps the whole VM on Generation 1)
> ``ready-with-fixes`` (an open fix finding) > ``ready``. Missing data is never "ready": a VM
with no known fix but a fix rule that could not be evaluated is ``needs-data`` too. Waived
findings are kept and shown but do not count.

A ``stays-gen1`` VM is not converted: its ``effort_hours`` is 0 (so no total, path or host
figure counts it) and ``effort_if_converted_hours`` says what converting it would cost. A VM
kept by the policy (``[[keep_gen1]]``) is ``stays-gen1`` whatever its findings say: its open
findings are marked waived with the keep entry's reason.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from assess.engine.catalog import Catalog, Rule
from assess.engine.evidence import OPTIONAL_PART, render_evidence
from assess.engine.expressions import lowered_once
from assess.engine.reasons import distinct_rows, reasons_to_convert
from assess.facts.derive import FACT_BY_NAME, FACTS, Facts
from assess.model.assessment import (
    DATA_GAP_COLUMNS,
    FINDING_COLUMNS,
    HOST_COLUMNS,
    RULE_COLUMNS,
    SEVERITIES,
    VM_COLUMNS,
    Assessment,
    InputSummary,
)

_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}

#: Hook for waivers: takes the findings frame, returns it with status/waiver columns set,
#: plus messages (expired or unused waivers). See ``assess.engine.policy``.
WaiverHook = Callable[[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, list[str]]]
#: Hook for VMs the policy keeps on Generation 1: takes the facts frame, returns a frame on
#: its index with text columns ``reason``, ``owner``, ``expires`` (NA: not kept), plus
#: messages. See ``assess.policy``.
KeepHook = Callable[[pd.DataFrame], tuple[pd.DataFrame, list[str]]]
_DECISION = ("reason", "owner", "expires")


@lowered_once()  # each text fact lowered and numbered once for all rules of this run
def assess(
    facts: Facts,
    catalog: Catalog,
    *,
    inputs: Sequence[InputSummary] = (),
    waive: WaiverHook | None = None,
    keep: KeepHook | None = None,
    targets: Sequence[str] = (),
    generated_at: datetime | None = None,
    messages: Sequence[str] = (),
) -> Assessment:
    """Judge every VM. ``targets``: the engagement's goals (policy ``targets``) that make
    target reasons to convert apply to every VM (see ``assess.reasons``)."""
    frame = facts.frame
    candidates = ~_already_gen2(frame)

    finding_parts: list[pd.DataFrame] = []
    unknown_by_rule: list[tuple[str, np.ndarray]] = []
    blocker_unknown = np.zeros(len(frame), dtype=bool)
    fix_unknown = np.zeros(len(frame), dtype=bool)
    evaluated = np.zeros(len(frame), dtype=np.int64)
    gap_parts: list[pd.DataFrame] = []
    paths = conversion_paths(frame)

    failed_rules: list[str] = []
    missing_facts: dict[str, np.ndarray] = {}  # fact -> its NA mask, for every rule's gaps
    for rule in catalog.rules:
        try:
            result = rule.condition.evaluate(frame)
        except Exception as exc:  # checked at load; never let one rule end the run
            failed_rules.append(f"rule {rule.id} could not be evaluated ({type(exc).__name__})")
            result = pd.Series(pd.NA, index=frame.index, dtype="boolean")
        fired = result.fillna(False).to_numpy(dtype=bool) & candidates
        unknown = result.isna().to_numpy(dtype=bool) & candidates
        evaluated += candidates & ~unknown
        if unknown.any():
            unknown_by_rule.append((rule.id, unknown))
            if rule.severity == "blocker":
                blocker_unknown |= unknown
            elif rule.severity == "fix":
                fix_unknown |= unknown
            gap_parts.extend(_gaps(frame, rule, unknown, rule.needs, missing_facts))
        if fired.any():
            finding_parts.append(_findings(frame, rule, fired, paths))
            if rule.severity == "needs-data":
                gap_parts.extend(_gaps(frame, rule, fired, rule.condition.names, missing_facts))

    unknown_ids = _joined_ids(unknown_by_rule, len(frame))
    findings = _concat(finding_parts, FINDING_COLUMNS)
    findings["status"] = "open"
    for column in ("waiver_reason", "waiver_owner", "waiver_expires"):
        findings[column] = pd.Series(pd.NA, index=findings.index, dtype="string")
    notes: list[str] = [*messages, *(f"{text}; its result is unknown" for text in failed_rules)]
    if waive is not None:
        findings, waiver_messages = waive(findings, frame)
        notes.extend(waiver_messages)
    kept = pd.DataFrame({c: pd.Series(pd.NA, index=frame.index, dtype="string") for c in _DECISION})
    if keep is not None:
        kept, keep_messages = keep(frame)
        notes.extend(keep_messages)
    kept = kept.where(pd.Series(candidates, index=frame.index), pd.NA)
    findings = _mark_kept(findings, frame, kept)
    findings = _sort_findings(findings, frame)

    vms = _vm_table(
        frame,
        findings,
        catalog,
        paths,
        unknown_ids,
        blocker_unknown,
        fix_unknown,
        evaluated,
        kept,
    )
    ids, texts = reasons_to_convert(frame, catalog.reasons, candidates, targets)
    vms["reasons_to_convert"] = pd.Series(ids, dtype="string")
    vms["reasons_to_convert_text"] = pd.Series(texts, dtype="string")
    decisive = {r.id: r.severity in {"blocker", "needs-data"} for r in catalog.rules}
    data_gaps = _data_gap_table(vms, gap_parts, decisive)
    return Assessment(
        generated_at=generated_at or datetime.now(UTC),
        inputs=list(inputs),
        vms=vms,
        findings=findings.drop(columns="_kept").reset_index(drop=True),
        rules=rules_table(catalog),
        hosts=_host_table(facts.hosts, vms),
        data_gaps=data_gaps,
        fact_columns=tuple(fact.name for fact in FACTS),
        fact_labels={fact.name: fact.label for fact in FACTS},
        messages=notes,
        fact_evidence=facts.evidence,
    )


def _joined_ids(masks: list[tuple[str, np.ndarray]], size: int) -> np.ndarray:
    """Per VM, the ids whose mask is set, each followed by a space, in the given order.
    VMs share few combinations: each is joined once and mapped back."""
    if not masks:
        return np.full(size, "", dtype=object)
    ids = [rule_id for rule_id, _ in masks]
    combos, inverse = distinct_rows(np.column_stack([mask for _, mask in masks]))
    texts = ["".join(f"{i} " for i, on in zip(ids, combo, strict=True) if on) for combo in combos]
    return np.array(texts, dtype=object)[np.asarray(inverse).reshape(-1)]


def _already_gen2(frame: pd.DataFrame) -> np.ndarray:
    """Hyper-V Generation 2 VMs: nothing to judge. A VMware or physical machine that lands
    as Generation 2 is still judged: the move itself has blockers and fixes."""
    gen2 = frame["generation"].eq(2).fillna(False)
    on_hyperv = frame["source_platform"].eq("hyper-v").fillna(True)
    return (gen2 & on_hyperv).to_numpy(dtype=bool)


def conversion_paths(frame: pd.DataFrame) -> pd.Series:
    """``none`` for Gen 2; ``rebuild`` when the guest cannot run on Gen 2 (32-bit or
    unsupported); otherwise the support matrix's path; ``unknown`` when the OS is unknown,
    its architecture is unknown, or the VM has no boot disk to convert."""
    path = frame["os_conversion_path"].astype("string")
    cannot = frame["os_gen2_support"].eq("no").fillna(False) | frame["os_arch"].eq("x86").fillna(
        False
    )
    unsure = frame["os_arch"].isna() | frame["has_boot_disk"].eq(False).fillna(False)
    path = path.mask(unsure, pd.NA).mask(cannot, "rebuild").fillna("unknown")
    return path.mask(frame["generation"].eq(2).fillna(False), "none")


#: Confidence of a verdict that rests on a guest OS whose release is not known.
UNKNOWN_RELEASE_CONFIDENCE = 0.5


def _findings(frame: pd.DataFrame, rule: Rule, fired: np.ndarray, paths: pd.Series) -> pd.DataFrame:
    template = rule.evidence or rule.title
    fields = [
        name for _, name, _, _ in string.Formatter().parse(OPTIONAL_PART.sub(r"\1", template))
    ]
    columns = list(
        dict.fromkeys(["vm_key", "host", "cluster", "name", "vm_id", *filter(None, fields)])
    )
    rows = frame.loc[fired, columns]
    evidence = render_evidence(template, rows)
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


def _sort_findings(findings: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """By VM key, then severity (worst first), then rule id. The keys are compared as
    integers (each VM's rank among the sorted keys), not as Python strings per pair."""
    if findings.empty:
        return findings
    keys = frame["vm_key"].to_numpy(dtype=object)
    key_rank = np.empty(len(keys), dtype=np.int64)
    key_rank[np.argsort(keys, kind="stable")] = np.arange(len(keys))
    rank = findings["severity"].map(_SEVERITY_RANK)
    rule_codes, _ = pd.factorize(findings["rule"].to_numpy(dtype=object), sort=True)
    order = np.lexsort((rule_codes, rank.to_numpy(), key_rank[_positions(findings, frame)]))
    return findings.iloc[order]


def _positions(findings: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """Each finding's row in the facts frame."""
    return pd.Index(frame["vm_key"]).get_indexer(findings["vm_key"])


#: Gap part: rows of the facts frame that miss ``fact``, which ``rule`` needs.
_GapPart = tuple[np.ndarray, str, str]


def _gaps(
    frame: pd.DataFrame,
    rule: Rule,
    mask: np.ndarray,
    needs: Sequence[str],
    missing_facts: dict[str, np.ndarray],
) -> list[_GapPart]:
    parts = []
    for fact in needs:
        absent = missing_facts.get(fact)
        if absent is None:
            absent = missing_facts[fact] = frame[fact].isna().to_numpy(dtype=bool)
        missing = mask & absent
        if missing.any():
            parts.append((np.flatnonzero(missing), fact, rule.id))
    return parts


def _mark_kept(findings: pd.DataFrame, frame: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """Open findings of VMs the policy keeps on Generation 1 become waived, with the keep
    entry's reason; ``_kept`` marks them (they still count in ``effort_if_converted``)."""
    findings = findings.copy()
    positions = _positions(findings, frame)
    of_kept = kept["reason"].notna().to_numpy(dtype=bool)[positions]
    mark = of_kept & (findings["status"].to_numpy(dtype=object) == "open")
    findings["_kept"] = mark
    if mark.any():
        rows = positions[mark]
        findings.loc[mark, "status"] = "waived"
        for column in _DECISION:
            values = kept[column].to_numpy(dtype=object, na_value=None)[rows]
            findings.loc[mark, f"waiver_{column}"] = pd.array(values, dtype="string")
    return findings


def _decisions(findings: pd.DataFrame, frame: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """Per VM, why it stays on Generation 1: the keep entry, else its waived blockers'
    reasons, owners and expiry dates (distinct values joined with "; ")."""
    out = kept.copy()
    waived = findings[(findings["status"] == "waived") & (findings["severity"] == "blocker")]
    if waived.empty:
        return out
    joined = waived.groupby("vm_key", sort=False)[[f"waiver_{c}" for c in _DECISION]].agg(
        lambda values: "; ".join(dict.fromkeys(str(v) for v in values.dropna())) or pd.NA
    )
    rows = pd.Index(frame["vm_key"]).get_indexer(joined.index)
    for column in _DECISION:
        target = out[column].to_numpy(dtype=object, na_value=None)
        for row, value in zip(rows, joined[f"waiver_{column}"].tolist(), strict=True):
            if target[row] is None and kept["reason"].isna().iat[row]:
                target[row] = None if pd.isna(value) else value
        out[column] = pd.array(target, dtype="string")
    return out


def _per_vm_count(positions: np.ndarray, mask: np.ndarray, size: int) -> pd.Series:
    return pd.Series(np.bincount(positions[mask], minlength=size), dtype="Int64")


def _vm_table(
    frame: pd.DataFrame,
    findings: pd.DataFrame,
    catalog: Catalog,
    paths: pd.Series,
    unknown_ids: np.ndarray,
    blocker_unknown: np.ndarray,
    fix_unknown: np.ndarray,
    evaluated: np.ndarray,
    kept: pd.DataFrame,
) -> pd.DataFrame:
    index = frame.index
    size = len(frame)
    positions = _positions(findings, frame)
    status = findings["status"].to_numpy(dtype=object)
    is_open = status == "open"
    severity = findings["severity"].to_numpy(dtype=object)

    def count(name: str) -> pd.Series:
        return _per_vm_count(positions, is_open & (severity == name), size).set_axis(index)

    blockers, needs_data, fixes = count("blocker"), count("needs-data"), count("fix")
    warnings = count("warning")
    generation2 = _already_gen2(frame)
    is_kept = kept["reason"].notna().to_numpy(dtype=bool)
    waived_blockers = _per_vm_count(
        positions, (status == "waived") & (severity == "blocker"), size
    ).to_numpy()
    verdict = np.select(
        [
            generation2,
            is_kept,
            blockers.to_numpy() > 0,
            blocker_unknown | (needs_data.to_numpy() > 0),
            waived_blockers > 0,
            fixes.to_numpy() > 0,
            fix_unknown,
        ],
        [
            "already-gen2",
            "stays-gen1",
            "blocked",
            "needs-data",
            "stays-gen1",
            "ready-with-fixes",
            "needs-data",
        ],
        default="ready",
    )
    base = paths.map({name: p.effort_hours for name, p in catalog.paths.items()}).astype(float)
    hours = pd.to_numeric(findings["effort_hours"], errors="coerce").astype(float).to_numpy()
    counted = is_open | findings["_kept"].to_numpy(dtype=bool)
    effort = np.bincount(positions[counted], weights=np.nan_to_num(hours[counted]), minlength=size)
    effort_hours = (base + effort).round(2)
    stays = verdict == "stays-gen1"
    if_converted = pd.Series(effort_hours, index=index, dtype="Float64").where(stays, pd.NA)
    effort_hours[generation2 | stays] = 0.0
    decided = _decisions(findings, frame, kept).where(pd.Series(stays, index=index), pd.NA)
    rule_count = len(catalog.rules)
    confidence = evaluated / max(rule_count, 1)
    unknown_release = (
        frame["os_release"].isna().to_numpy(dtype=bool)
        if "os_release" in frame
        else np.zeros(size, dtype=bool)
    )
    confidence = np.where(
        unknown_release, np.minimum(confidence, UNKNOWN_RELEASE_CONFIDENCE), confidence
    )
    confidence = np.where(generation2, 1.0, confidence).round(2)
    # Rule ids of each VM's open findings, in findings order: VMs share a few sequences.
    rule_codes, rule_names = pd.factorize(findings["rule"].to_numpy(dtype=object)[is_open])
    pattern_of, patterns = _patterns(positions[is_open], rule_codes, size)
    joined = [" ".join(rule_names[code] for code in pattern) for pattern in patterns]
    finding_ids = np.array(joined, dtype=object)[pattern_of]
    leading = pd.DataFrame(
        {
            "vm_key": frame["vm_key"],
            "host": frame["host"],
            "cluster": frame["cluster"],
            "name": frame["name"],
            "vm_id": frame["vm_id"],
            "generation": frame["generation"],
            "source_platform": frame["source_platform"],
            "landing_generation": frame["landing_generation"],
            "state": frame["state"],
            "verdict": verdict,
            "conversion_path": paths,
            "effort_hours": effort_hours,
            "effort_if_converted_hours": if_converted,
            "confidence": confidence,
            "blockers": blockers,
            "fixes": fixes,
            "warnings": warnings,
            "waived": _per_vm_count(positions, status == "waived", size).set_axis(index),
            "stays_gen1_reason": decided["reason"],
            "stays_gen1_owner": decided["owner"],
            "stays_gen1_expires": decided["expires"],
            "finding_ids": pd.Series(finding_ids, index=index, dtype="string"),
            "unknown_rules": pd.Series(unknown_ids, index=index).str.strip().astype("string"),
            "reasons_to_convert": pd.Series(pd.NA, index=index, dtype="string"),
            "reasons_to_convert_text": pd.Series(pd.NA, index=index, dtype="string"),
            "notes": frame["notes"],
            "source": frame["source"],
        },
        index=index,
    )
    fact_frame = frame[[fact.name for fact in FACTS if fact.name not in leading]]
    vms = pd.concat([leading[list(VM_COLUMNS)], fact_frame], axis=1)
    return vms.reset_index(drop=True)


def _data_gap_table(
    vms: pd.DataFrame, parts: list[_GapPart], decisive: dict[str, bool]
) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in DATA_GAP_COLUMNS})
    # (VM row, fact, rule) in the order found, each once (the first occurrence is kept);
    # a (fact, rule) pair is one integer.
    pair_ids: dict[tuple[str, str], int] = {}
    rows = np.concatenate([part[0] for part in parts]).astype(np.int64)
    pairs = np.concatenate(
        [np.full(len(p), pair_ids.setdefault((f, r), len(pair_ids))) for p, f, r in parts]
    ).astype(np.int64)
    _, first = np.unique(rows * len(pair_ids) + pairs, return_index=True)
    keep = np.sort(first)
    keep = keep[(vms["verdict"].to_numpy(dtype=object) != "already-gen2")[rows[keep]]]
    vm_rows, texts = _gaps_per_vm(rows[keep], pairs[keep], list(pair_ids), decisive)
    affects, missing, needed_by, how_to_get = texts
    # A VM the client keeps on Generation 1 is decided: no gap changes its verdict.
    decided = vms["verdict"].to_numpy(dtype=object)[vm_rows] == "stays-gen1"
    affects = np.asarray(affects, dtype=bool) & ~decided
    per_vm = pd.DataFrame(
        {
            "vm_key": pd.Series(vms["vm_key"].to_numpy(dtype=object)[vm_rows]),
            "host": vms["host"].take(vm_rows).reset_index(drop=True),
            "vm_name": vms["name"].take(vm_rows).reset_index(drop=True),
            "verdict": vms["verdict"].take(vm_rows).reset_index(drop=True),
            "affects_verdict": pd.Series(affects, dtype=bool).map({True: "yes", False: "no"}),
            "missing_facts": pd.Series(missing),
            "needed_by": pd.Series(needed_by),
            "how_to_get": pd.Series(how_to_get),
        }
    )
    # Decisive gaps first, then verdict (needs-data, blocked, ready-with-fixes, ready),
    # host and name; a stable sort, unknown host or name last.
    rank = {v: i for i, v in enumerate(("needs-data", "blocked", "ready-with-fixes", "ready"))}
    order = np.lexsort(
        (
            _sort_codes(per_vm["vm_name"]),
            _sort_codes(per_vm["host"]),
            per_vm["verdict"].map(rank).fillna(len(rank)).to_numpy(dtype=np.int64),
            np.where(np.asarray(affects, dtype=bool), 0, 1),
        )
    )
    return per_vm.iloc[order][list(DATA_GAP_COLUMNS)].reset_index(drop=True)


def _sort_codes(values: pd.Series) -> np.ndarray:
    """Integers that sort like ``values`` (ascending), NA after everything else."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object, na_value=None), sort=True)
    return np.where(codes < 0, len(uniques), codes)


#: Multiplier of the row hash in ``_patterns`` (a prime; tests lower it to force collisions).
_HASH_BASE = 1_000_003


def _patterns(
    groups: np.ndarray, items: np.ndarray, count: int
) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """The sequence of ``items`` of each group ``0 .. count-1`` (rows in their order), as a
    pattern number per group and the distinct patterns, without a Python step per group:
    the sequences become the rows of a matrix, each row gets a 64-bit hash, and the rows
    are grouped by hash (checked: rows that share a hash must be equal)."""
    order = np.argsort(groups, kind="stable")
    grouped = groups[order]
    position = np.arange(len(grouped)) - np.searchsorted(grouped, grouped)
    width = int(position.max()) + 1 if len(position) else 1
    matrix = np.full((count, width), -1, dtype=np.int64)
    matrix[grouped, position] = items[order]
    weights = np.full(width, _HASH_BASE, dtype=np.uint64) ** np.arange(width, dtype=np.uint64)
    with np.errstate(over="ignore"):
        hashes = ((matrix + 2).astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    pattern_of, _ = pd.factorize(hashes)
    representative = np.unique(pattern_of, return_index=True)[1]
    if not (matrix == matrix[representative][pattern_of]).all():  # a hash collision
        distinct, pattern_of = np.unique(matrix, axis=0, return_inverse=True)
        representative = np.arange(len(distinct))
        matrix = distinct
    rows = matrix[representative].tolist()
    return pattern_of.reshape(-1), [tuple(item for item in row if item >= 0) for row in rows]


def _gaps_per_vm(
    rows: np.ndarray, pairs: np.ndarray, pair_list: list[tuple[str, str]], decisive: dict[str, bool]
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per VM with gaps, in order of first appearance: its row in the facts frame, and
    whether a decisive rule waits, the missing facts and the "how to get" texts in the
    order first met, and the rules waiting (sorted). VMs share few patterns: each distinct
    sequence of (fact, rule) pairs is described once."""
    how = {name: fact.how_to_get for name, fact in FACT_BY_NAME.items()}
    groups, vm_rows = pd.factorize(rows)
    pattern_of, patterns = _patterns(groups, pairs, len(vm_rows))
    described = []
    for pattern in patterns:
        facts = dict.fromkeys(pair_list[p][0] for p in pattern)
        rules = {pair_list[p][1] for p in pattern}
        described.append(
            (
                any(decisive.get(rule, False) for rule in rules),
                ", ".join(facts),
                " ".join(sorted(rules)),
                " ".join(dict.fromkeys(how[f] for f in facts if how[f])),
            )
        )
    columns = tuple(
        np.array([texts[field] for texts in described], dtype=bool if field == 0 else object)[
            pattern_of
        ]
        for field in range(4)
    )
    return np.asarray(vm_rows, dtype=np.int64), columns


def _host_table(hosts: pd.DataFrame, vms: pd.DataFrame) -> pd.DataFrame:
    per_vm = pd.DataFrame(
        {
            "host": vms["host"],
            "vm_key": vms["vm_key"],
            "gen1": vms["generation"].ne(2).fillna(True).astype(bool),
            "cluster": vms["cluster"],
            "source": vms["source"],
        }
    )
    grouped = per_vm.groupby("host", dropna=False)
    counts = grouped.agg(
        vm_count=("vm_key", "size"), gen1_vms=("gen1", "sum"), cluster=("cluster", "first")
    )
    counts["source"] = grouped["source"].first(skipna=False).str.rsplit(":", n=1).str[0]
    # Hosts match case-insensitively: the collector's name and an inventory's may differ.
    by_lower = counts[["vm_count", "gen1_vms"]].groupby(counts.index.str.lower()).sum()
    totals = dict(zip(by_lower.index, by_lower.itertuples(index=False, name=None), strict=True))
    rows = []
    known = set()
    for host in hosts.itertuples(index=False):
        known.add(str(host.host).lower())
        os_text = " ".join(str(v) for v in (host.os_caption, host.os_version) if pd.notna(v))
        vm_count, gen1_vms = totals.get(str(host.host).lower(), (0, 0))
        rows.append(
            {
                "host": host.host,
                "cluster": host.cluster,
                "status": host.status if pd.notna(host.status) else "ok",
                "reason": host.reason if pd.notna(host.reason) else "",
                "os": os_text or pd.NA,
                "vm_count": int(vm_count),
                "gen1_vms": int(gen1_vms),
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
