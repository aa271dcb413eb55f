"""The numbers every report summarises, computed once from an ``Assessment``.

The terminal panel and the workbook's Summary sheet show the same tables (VMs by verdict,
findings by rule, effort by conversion path / host / cluster) and the same status paragraph,
so both read them from here. Everything is plain pandas over the assessment's frames.

One rounding for every report: a VM's effort is rounded once to ``VM_DECIMALS`` (half up;
quarter hours survive), every total is the sum of those figures rounded half up to
``TOTAL_DECIMALS``, and the rounded figures are what the reports write: the VMs sheet adds
up to the Summary, and the terminal and the workbook show the same numbers. Shares are
whole percentages (half up) of the same counts, stored as the rounded fraction so Excel's
``0%`` format and the terminal print the same figure.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from assess.model.assessment import (
    CONVERSION_PATHS,
    NOT_CONVERTED,
    SEVERITIES,
    VERDICTS,
    Assessment,
)
from assess.render.styles import VERDICT_LABELS

_VERDICT_RANK = {verdict: rank for rank, verdict in enumerate(VERDICTS)}
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
NO_CLUSTER = "(no cluster)"


VM_DECIMALS = 2
TOTAL_DECIMALS = 1


def round_hours(values: pd.Series, decimals: int = TOTAL_DECIMALS) -> pd.Series:
    """Hours rounded half up to ``decimals`` (NA stays NA): the one rounding of effort every
    report uses."""
    scale = 10.0**decimals
    # The small nudge keeps 2.25 (stored as 2.2499999...) rounding up, as people expect.
    return np.floor(values.astype("float64") * scale + 0.5 + 1e-9) / scale


def round_hour(value: float, decimals: int = TOTAL_DECIMALS) -> float:
    """``round_hours`` for one figure."""
    return float(round_hours(pd.Series([value], dtype="float64"), decimals).iloc[0])


def share(count: int, total: int) -> float:
    """``count`` of ``total`` as a whole percentage (half up), returned as a fraction."""
    if total <= 0:
        return 0.0
    return math.floor(count * 100 / total + 0.5) / 100


def rounded_effort(vms: pd.DataFrame) -> pd.Series:
    """Each VM's effort as the reports show it (rounded; NA for unknown)."""
    numbers = pd.to_numeric(vms["effort_hours"], errors="coerce").astype("float64")
    return round_hours(numbers, VM_DECIMALS)


def _effort(frame: pd.DataFrame) -> pd.Series:
    return rounded_effort(frame).fillna(0.0)


def worst_first(vms: pd.DataFrame) -> pd.DataFrame:
    """VMs in report order: verdict (worst first), then most blockers, then most effort, then
    host and name so equal VMs keep a stable order."""
    if vms.empty:
        return vms
    keys = pd.DataFrame(
        {
            "verdict": vms["verdict"].map(_VERDICT_RANK).astype("float64").fillna(len(VERDICTS)),
            "blockers": -pd.to_numeric(vms["blockers"], errors="coerce")
            .astype("float64")
            .fillna(0),
            "effort": -_effort(vms),
            "host": vms["host"].astype("string").fillna("").str.lower(),
            "name": vms["name"].astype("string").fillna("").str.lower(),
        },
        index=vms.index,
    )
    order = keys.sort_values(list(keys.columns), kind="stable").index
    return vms.loc[order]


def report_vms(vms: pd.DataFrame) -> pd.DataFrame:
    """VMs as every list shows them: worst first, effort rounded the one way."""
    ordered = worst_first(vms)
    if ordered.empty:
        return ordered
    return ordered.assign(effort_hours=rounded_effort(ordered))


def findings_in_report_order(findings: pd.DataFrame, vms_in_order: pd.DataFrame) -> pd.DataFrame:
    """Findings grouped by VM in the VMs' report order, worst severity first within a VM,
    waived ones last."""
    if findings.empty:
        return findings
    vm_rank = pd.Series(range(len(vms_in_order)), index=vms_in_order["vm_key"].to_numpy())
    vm_rank = vm_rank[~vm_rank.index.duplicated()]
    keys = pd.DataFrame(
        {
            "vm": findings["vm_key"].map(vm_rank).astype("float64").fillna(len(vm_rank)),
            "waived": (findings["status"] == "waived").astype("boolean").fillna(False),
            "severity": findings["severity"].map(_SEVERITY_RANK).astype("float64").fillna(99),
            "rule": findings["rule"].astype("string").fillna(""),
        },
        index=findings.index,
    )
    return findings.loc[keys.sort_values(list(keys.columns), kind="stable").index]


def verdict_table(assessment: Assessment) -> pd.DataFrame:
    """Columns ``verdict, vms, share, effort_hours``: one row per verdict, in VERDICTS order."""
    vms = assessment.vms
    counts = assessment.verdict_counts()
    effort = _effort(vms).groupby(vms["verdict"]).sum() if len(vms) else pd.Series(dtype=float)
    return pd.DataFrame(
        {
            "verdict": list(VERDICTS),
            "vms": [counts[v] for v in VERDICTS],
            "share": [share(counts[v], len(vms)) for v in VERDICTS],
            "effort_hours": [round_hour(float(effort.get(v, 0.0))) for v in VERDICTS],
        }
    )


def rule_table(assessment: Assessment, top: int | None = None) -> pd.DataFrame:
    """Columns ``rule, title, severity, vms, waived``: VMs with an open finding of each rule
    (and waived ones), most frequent first, worse severity first on ties."""
    findings = assessment.findings
    columns = ["rule", "title", "severity", "vms", "waived"]
    if findings.empty:
        return pd.DataFrame(columns=columns)
    waived = findings["status"].astype("string") == "waived"
    open_counts = findings.loc[~waived.fillna(False)].groupby("rule")["vm_key"].nunique()
    waived_counts = findings.loc[waived.fillna(False)].groupby("rule")["vm_key"].nunique()
    meta = findings.drop_duplicates("rule").set_index("rule")[["title", "severity"]]
    table = meta.assign(
        vms=open_counts.reindex(meta.index).fillna(0).astype(int),
        waived=waived_counts.reindex(meta.index).fillna(0).astype(int),
    ).reset_index()
    table["_rank"] = table["severity"].map(_SEVERITY_RANK).astype("float64").fillna(99)
    table = table.sort_values(["vms", "_rank", "rule"], ascending=[False, True, True])
    table = table.drop(columns="_rank")[columns].reset_index(drop=True)
    return table.head(top) if top else table


def path_table(assessment: Assessment) -> pd.DataFrame:
    """Columns ``conversion_path, vms, effort_hours``: paths in CONVERSION_PATHS order, then
    any other value; paths without VMs are left out. VMs that stay on Generation 1 take no
    path."""
    vms = assessment.vms
    vms = vms[vms["verdict"] != "stays-gen1"]
    if vms.empty:
        return pd.DataFrame(columns=["conversion_path", "vms", "effort_hours"])
    path = vms["conversion_path"].astype("string").fillna("unknown")
    grouped = pd.DataFrame({"path": path, "effort": _effort(vms)}).groupby("path")["effort"]
    table = pd.DataFrame({"vms": grouped.size(), "effort_hours": round_hours(grouped.sum())})
    order = [p for p in CONVERSION_PATHS if p in table.index]
    order += sorted(p for p in table.index if p not in CONVERSION_PATHS)
    return table.loc[order].rename_axis("conversion_path").reset_index()


def _group_table(assessment: Assessment, by: list[str]) -> pd.DataFrame:
    vms = assessment.vms
    columns = [*by, "vms", *VERDICTS, "effort_hours"]
    if vms.empty:
        return pd.DataFrame(columns=columns)
    keys = pd.DataFrame(
        {
            "cluster": vms["cluster"].astype("string").fillna(NO_CLUSTER),
            "host": vms["host"].astype("string").fillna("(unknown host)"),
        }
    )[by]
    counts = pd.crosstab([keys[c] for c in by], vms["verdict"].astype("string"))
    counts = counts.reindex(columns=list(VERDICTS), fill_value=0)
    effort = _effort(vms).groupby([keys[c] for c in by]).sum()
    table = counts.assign(vms=counts.sum(axis=1), effort_hours=round_hours(effort))
    table.columns.name = None
    table = table.reset_index()[columns]
    # Clusters and hosts by name; VMs outside any cluster after the clusters.
    order = table[by].assign(_loose=table["cluster"].eq(NO_CLUSTER) if "cluster" in by else False)
    order = order.sort_values(["_loose", *by], kind="stable").index
    return table.loc[order].reset_index(drop=True)


def host_table(assessment: Assessment) -> pd.DataFrame:
    """Columns ``cluster, host, vms, <one per verdict>, effort_hours``, by cluster and host."""
    return _group_table(assessment, ["cluster", "host"])


def cluster_table(assessment: Assessment) -> pd.DataFrame:
    """Columns ``cluster, vms, <one per verdict>, effort_hours``."""
    return _group_table(assessment, ["cluster"])


def hours(value: float) -> str:
    """Hours as people write them: ``512 h``, ``19.5 h``."""
    rounded = round(float(value), 1)
    return f"{rounded:,.0f} h" if rounded == int(rounded) else f"{rounded:,.1f} h"


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


def _top_reasons(assessment: Assessment, verdict: str, severity: str, limit: int = 2) -> str:
    """The most frequent open findings of ``severity`` among VMs with ``verdict``."""
    keys = assessment.vms.loc[assessment.vms["verdict"] == verdict, "vm_key"]
    findings = assessment.findings
    mask = (
        findings["vm_key"].isin(keys)
        & (findings["severity"] == severity)
        & (findings["status"] != "waived")
    )
    counts = findings.loc[mask.fillna(False)].groupby("title")["vm_key"].nunique()
    counts = counts.sort_values(ascending=False, kind="stable").head(limit)
    return ", ".join(f"{_lower_first(title)}: {count}" for title, count in counts.items())


def _lower_first(text: str) -> str:
    words = str(text).split(" ", 1)
    # Keep acronyms and product names ("OS", "VHD", "Windows") as written.
    if words[0][:1].isupper() and words[0][1:].islower():
        words[0] = words[0].lower()
    return " ".join(words)


def _split_facts(text: object) -> list[str]:
    return [part.strip() for part in str(text).split(",") if part.strip()] if text else []


def _top_gap(assessment: Assessment) -> str:
    """What most needs-data VMs lack and, when the data says so, how to get it."""
    gaps = assessment.data_gaps
    if gaps.empty:
        return ""
    needy = assessment.vms.loc[assessment.vms["verdict"] == "needs-data", "vm_key"]
    gaps = gaps.loc[gaps["vm_key"].isin(needy).fillna(False)]
    if gaps.empty:
        return ""
    # Facts that blocker rules need are what make a VM "needs data": name those first.
    rules = assessment.rules
    severe = rules.loc[rules["severity"].isin(["blocker", "needs-data"]), "needs"]
    blocking = {fact for needs in severe.dropna() for fact in _split_facts(needs)}
    facts = gaps["missing_facts"].map(_split_facts)
    counts: dict[str, int] = {}
    for listed in facts:
        for fact in listed:
            counts[fact] = counts.get(fact, 0) + 1
    if not counts:
        return ""
    fact = max(counts, key=lambda f: (f in blocking, counts[f]))
    label = assessment.fact_labels.get(fact, fact.replace("_", " "))
    # ``how_to_get`` lists the remedies in ``missing_facts`` order: where our fact comes
    # first, the first sentence is its remedy.
    first = facts.map(lambda listed: bool(listed) and listed[0] == fact)
    how = gaps.loc[first.to_numpy(dtype=bool), "how_to_get"].dropna().astype(str)
    remedy = how.mode().iloc[0].split(". ")[0].strip().rstrip(".") if len(how) else ""
    text = f"mostly {label} unknown"
    return f"{text}: {_lower_first(remedy)}" if remedy else text


def _vms(count: int) -> str:
    return f"{count:,} VM" + ("" if count == 1 else "s")


def landing_figures(assessment: Assessment) -> dict[str, int]:
    """VMware and physical machines: how many land as Generation 1 / 2 (or unknown) with the
    usual tools, and by which route they can land as Generation 2."""
    vms = assessment.vms
    if "source_platform" not in vms or not len(vms):
        return {}
    moved = vms["source_platform"].isin(["vmware", "physical"]).fillna(False)
    if not moved.any():
        return {}
    lands = vms["landing_generation"].astype("Int64")[moved]
    route = vms["landing_route"].astype("string")[moved] if "landing_route" in vms else None

    def routed(name: str) -> int:
        return 0 if route is None else int(route.eq(name).fillna(False).sum())

    return {
        "moved": int(moved.sum()),
        "gen1": int(lands.eq(1).fillna(False).sum()),
        "gen2": int(lands.eq(2).fillna(False).sum()),
        "unknown": int(lands.isna().sum()),
        "fix-before-move": routed("fix-before-move"),
        "convert-after-landing": routed("convert-after-landing"),
        "blocked": routed("blocked"),
    }


def landing_sentence(assessment: Assessment) -> str:
    """ "12 VMs would land as Gen 1; 9 can land as Gen 2 after a fix before the move ..." """
    n = landing_figures(assessment)
    if not n:
        return ""
    text = f"{_vms(n['gen1'])} would land as Gen 1"
    if n["gen1"]:
        text += f"; {n['fix-before-move']:,} can land as Gen 2 after a fix before the move"
        if n["convert-after-landing"]:
            text += f", {n['convert-after-landing']:,} by a conversion after landing"
        if n["blocked"]:
            text += f", {n['blocked']:,} cannot (32-bit or unsupported guest)"
    one = n["gen2"] == 1
    text += (
        f"; {_vms(n['gen2'])} land{'s' if one else ''} as Gen 2 as {'it is' if one else 'they are'}"
    )
    if n["unknown"]:
        text += f"; firmware unknown for {_vms(n['unknown'])}"
    return f"Of {_vms(n['moved'])} moving from VMware or physical servers: {text}."


def status_paragraph(assessment: Assessment) -> str:
    """A few sentences a consultant can paste into a status mail, built from the numbers."""
    table = verdict_table(assessment).set_index("verdict")
    count = {v: int(table.at[v, "vms"]) for v in VERDICTS}
    effort = {v: float(table.at[v, "effort_hours"]) for v in VERDICTS}
    gen1 = sum(count[v] for v in VERDICTS if v not in NOT_CONVERTED)
    if not len(assessment.vms):
        return "No VMs were assessed."
    parts = []
    if count["ready"]:
        extra = f" (est. {hours(effort['ready'])})" if effort["ready"] else ""
        parts.append(f"{count['ready']} {_are(count['ready'])} ready{extra}")
    if count["ready-with-fixes"]:
        n = count["ready-with-fixes"]
        parts.append(f"{n} {_are(n)} ready with fixes (est. {hours(effort['ready-with-fixes'])})")
    if count["needs-data"]:
        n = count["needs-data"]
        gap = _top_gap(assessment)
        parts.append(f"{n} need{'s' if n == 1 else ''} data" + (f" ({gap})" if gap else ""))
    if count["blocked"]:
        n = count["blocked"]
        reasons = _top_reasons(assessment, "blocked", "blocker")
        parts.append(f"{n} {_are(n)} blocked" + (f" ({reasons})" if reasons else ""))
    sentences = []
    landing = landing_sentence(assessment)
    if landing:
        sentences.append(landing)
    if gen1:
        listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
        noun = "VM" if gen1 == 1 else "VMs"
        what = "to convert or move" if landing else "Generation 1"
        sentences.append(
            f"Of {gen1:,} {noun} {what}, {listed}."
            if landing
            else f"Of {gen1:,} {what} {noun}, {listed}."
        )
    if count["stays-gen1"]:
        n = count["stays-gen1"]
        sentences.append(
            f"{n:,} {'VM stays' if n == 1 else 'VMs stay'} on Generation 1 by the client's "
            "decision (not counted in the effort)."
        )
    if count["already-gen2"]:
        n = count["already-gen2"]
        sentences.append(f"{n:,} {'VM is' if n == 1 else 'VMs are'} already Generation 2.")
    total = sum(effort[v] for v in VERDICTS if v not in ("blocked", *NOT_CONVERTED))
    if total:
        sentences.append(
            f"Estimated conversion effort for the VMs that can move: {hours(total)} "
            "(planning defaults per finding, not measurements)."
        )
    hosts = assessment.hosts
    if len(hosts):
        status = hosts["status"].astype("string")
        collected = hosts.loc[(status != "inventory-only").fillna(True)]
        bad = collected.loc[(collected["status"].astype("string") != "ok").fillna(True)]
        if len(bad):
            listed = "; ".join(
                f"{row.host} {row.status}" for row in bad.head(3).itertuples(index=False)
            )
            more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
            sentences.append(
                f"{len(collected) - len(bad)} of {len(collected)} scanned hosts were collected "
                "completely "
                f"({listed}{more})."
            )
    return " ".join(sentences)


def verdict_label(verdict: str) -> str:
    return VERDICT_LABELS.get(verdict, verdict)
