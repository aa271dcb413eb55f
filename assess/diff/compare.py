"""What changed between two assessments: the weekly progress report of a migration project.

Reads assessment JSON only (what ``assess run --json`` writes), never an inventory, the rule
catalog or the engine: last month's report must stay comparable after the catalog changed.

Matching VMs: by ``id`` (case-insensitive, braces stripped). A VM whose id is missing or
synthetic (``name-...``, made up by an import that had no id column) is matched by host and
name instead, case-insensitively, to a VM of the other run that has no partner yet. So a VM
collected live last week (real id) and re-imported from the CSV template this week (no id)
is still one VM. Two VMs that both have real, different ids are never paired by name: a VM
rebuilt under the same name is a new VM.

A verdict change is ``worse`` or ``improved`` by the order of ``VERDICTS``, except around
``stays-gen1``: a VM that becomes ``stays-gen1`` was *decided* (the client chose to keep it
on Generation 1), neither better nor worse; one that leaves ``stays-gen1`` was *reopened*
(the waiver or keep entry expired or was withdrawn).

Findings are compared per matched VM and rule id. A finding present in both runs whose status
went from ``open`` to ``waived`` (or back) is its own category, not "resolved" or "new".
Findings of added or removed VMs are not counted as new or resolved: the VM carries them.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from assess.model.assessment import SCHEMA_NAME, SCHEMA_VERSION, SEVERITIES, VERDICTS
from assess.model.diagnostics import InputError

DIFF_SCHEMA_NAME = "gen2-assess/diff"
DIFF_SCHEMA_VERSION = 1
SYNTHETIC_ID_PREFIX = "name-"

#: ``VerdictChange.direction`` values. ``changed``: a verdict this version does not know.
#: ``decided``: the VM now stays on Generation 1; ``reopened``: it no longer does.
IMPROVED, WORSE, CHANGED = "improved", "worse", "changed"
DECIDED, REOPENED = "decided", "reopened"
STAYS_GEN1 = "stays-gen1"
#: ``EffortChange.change`` values.
EFFORT_CHANGED, EFFORT_ADDED, EFFORT_REMOVED = "changed", "added", "removed"

_VERDICT_RANK = {verdict: rank for rank, verdict in enumerate(VERDICTS)}
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
_UNKNOWN_VERDICT = "unknown"
_EPSILON = 1e-9


# -- reading ------------------------------------------------------------------------------


def load_assessment(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check one assessment JSON file; every problem is a one-line ``InputError``."""
    source = Path(path)
    if not source.exists():
        raise InputError(source, "no such file")
    if source.is_dir():
        raise InputError(source, "is a folder; expected an assessment JSON file")
    try:
        raw = source.read_bytes()
        # UTF-16 when a Windows editor or PowerShell re-saved the file; else UTF-8 (BOM or not).
        encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise InputError(source, "not JSON: the file is not UTF-8 or UTF-16 text") from None
    except OSError as exc:
        raise InputError(source, f"cannot read: {exc.strerror or exc}") from None
    if not text.strip():
        raise InputError(source, "empty file; expected an assessment JSON")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            source, f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(source, f"not JSON ({type(exc).__name__})") from None
    check_assessment(document, source)
    return document


def check_assessment(document: object, source: object = "<assessment>") -> None:
    """Raise ``InputError`` unless ``document`` is an assessment this version can compare."""
    if not isinstance(document, dict):
        raise InputError(
            source,
            f"not a gen2-assess assessment: the JSON is {type(document).__name__}, "
            "expected an object (write one with `assess run --json F`)",
        )
    schema = document.get("schema")
    if schema != SCHEMA_NAME:
        found = "has no 'schema'" if schema is None else f"has schema {_short(schema)}"
        raise InputError(
            source,
            f"not a gen2-assess assessment: it {found}, expected {SCHEMA_NAME!r} "
            "(write one with `assess run --json F`)",
        )
    version = document.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InputError(source, f"schema_version {_short(version)} is not a positive integer")
    if version > SCHEMA_VERSION:
        raise InputError(
            source,
            f"schema_version {version} is newer than this gen2-assess reads "
            f"({SCHEMA_VERSION}): upgrade gen2-assess to compare it",
        )
    vms = document.get("vms")
    if not isinstance(vms, list):
        raise InputError(source, "no 'vms' list in the assessment")
    for number, vm in enumerate(vms, start=1):
        if not isinstance(vm, dict):
            raise InputError(source, f"vms[{number - 1}] is not an object")
        findings = vm.get("findings")
        if findings is not None and not isinstance(findings, list):
            raise InputError(source, f"vms[{number - 1}].findings is not a list")


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- results ------------------------------------------------------------------------------
# Every record starts with the VM it is about: vm_id, vm_name, host, cluster. For a VM in
# both runs these come from the new run (where the VM is now).


@dataclass(frozen=True)
class VerdictChange:
    vm_id: str | None
    vm_name: str | None
    host: str | None
    cluster: str | None
    direction: str  # improved | worse | decided | reopened | changed
    old_verdict: str
    new_verdict: str
    old_effort_hours: float | None
    new_effort_hours: float | None
    rules_opened: tuple[str, ...]  # open now, not before: new findings and unwaived ones
    rules_closed: tuple[str, ...]  # open before, not now: resolved and waived findings


@dataclass(frozen=True)
class FindingChange:
    vm_id: str | None
    vm_name: str | None
    host: str | None
    cluster: str | None
    rule: str
    severity: str | None
    title: str | None
    old_status: str | None  # open | waived; None: the finding is new
    new_status: str | None  # open | waived; None: the finding is resolved
    effort_hours: float | None  # the finding's own estimate
    evidence: str | None
    waiver_reason: str | None
    old_verdict: str
    new_verdict: str


@dataclass(frozen=True)
class VmPresence:
    """A VM in only one of the two runs (added or removed)."""

    vm_id: str | None
    vm_name: str | None
    host: str | None
    cluster: str | None
    verdict: str
    conversion_path: str | None
    effort_hours: float | None
    open_rules: tuple[str, ...]  # worst first


@dataclass(frozen=True)
class PathChange:
    vm_id: str | None
    vm_name: str | None
    host: str | None
    cluster: str | None
    old_conversion_path: str | None
    new_conversion_path: str | None
    old_verdict: str
    new_verdict: str


@dataclass(frozen=True)
class EffortChange:
    vm_id: str | None
    vm_name: str | None
    host: str | None
    cluster: str | None
    change: str  # changed | added | removed
    old_effort_hours: float | None
    new_effort_hours: float | None
    delta_hours: float


@dataclass(frozen=True)
class RunSummary:
    """One side of the comparison."""

    generated_at: str | None
    inputs: tuple[Any, ...]
    vm_count: int
    verdict_counts: dict[str, int]  # every verdict of VERDICTS, worst first, then any other
    effort_hours: float
    open_findings: int
    waived_findings: int


@dataclass(frozen=True)
class Diff:
    old: RunSummary
    new: RunSummary
    matched: int
    matched_by_name: int
    verdict_changes: tuple[VerdictChange, ...]  # worse first, then improved
    findings_resolved: tuple[FindingChange, ...]
    findings_new: tuple[FindingChange, ...]  # worst severity first
    findings_waived: tuple[FindingChange, ...]
    findings_unwaived: tuple[FindingChange, ...]
    vms_added: tuple[VmPresence, ...]
    vms_removed: tuple[VmPresence, ...]
    path_changes: tuple[PathChange, ...]
    effort_changes: tuple[EffortChange, ...]  # largest change first; added/removed included
    notes: tuple[str, ...] = ()  # things the reader should know (order of files, duplicates)

    @property
    def worse(self) -> tuple[VerdictChange, ...]:
        return tuple(c for c in self.verdict_changes if c.direction == WORSE)

    @property
    def improved(self) -> tuple[VerdictChange, ...]:
        return tuple(c for c in self.verdict_changes if c.direction == IMPROVED)

    @property
    def decided(self) -> tuple[VerdictChange, ...]:
        """VMs the client decided to keep on Generation 1 since the old run."""
        return tuple(c for c in self.verdict_changes if c.direction == DECIDED)

    @property
    def reopened(self) -> tuple[VerdictChange, ...]:
        """VMs that stayed on Generation 1 in the old run and no longer do."""
        return tuple(c for c in self.verdict_changes if c.direction == REOPENED)

    @property
    def converted(self) -> tuple[VerdictChange, ...]:
        """VMs that are Generation 2 now and were not before: the migration's headline."""
        return tuple(
            c
            for c in self.verdict_changes
            if c.new_verdict == "already-gen2" and c.old_verdict != "already-gen2"
        )

    @property
    def effort_delta(self) -> float:
        return round(self.new.effort_hours - self.old.effort_hours, 2)

    def verdict_deltas(self) -> dict[str, tuple[int, int, int]]:
        """verdict -> (old count, new count, new - old), worst verdict first."""
        names = list(self.old.verdict_counts)
        names += [v for v in self.new.verdict_counts if v not in self.old.verdict_counts]
        out = {}
        for verdict in names:
            before = self.old.verdict_counts.get(verdict, 0)
            after = self.new.verdict_counts.get(verdict, 0)
            out[verdict] = (before, after, after - before)
        return out

    @property
    def is_empty(self) -> bool:
        return not (
            self.verdict_changes
            or self.findings_resolved
            or self.findings_new
            or self.findings_waived
            or self.findings_unwaived
            or self.vms_added
            or self.vms_removed
            or self.path_changes
            or self.effort_changes
        )


# -- one VM as read from the JSON ---------------------------------------------------------


@dataclass
class _Finding:
    rule: str
    status: str  # open | waived
    raw: dict[str, Any]

    @property
    def severity(self) -> str | None:
        return _text(self.raw.get("severity"))


@dataclass
class _Vm:
    position: int
    vm_id: str | None
    match_id: str | None  # normalised real id; None when missing or synthetic
    name: str | None
    host: str | None
    cluster: str | None
    verdict: str
    conversion_path: str | None
    effort: float | None
    findings: dict[str, _Finding]

    @property
    def name_key(self) -> tuple[str, str] | None:
        if not self.name or not self.name.strip():
            return None
        return ((self.host or "").strip().casefold(), self.name.strip().casefold())

    def open_rules(self) -> tuple[str, ...]:
        rules = [f for f in self.findings.values() if f.status == "open"]
        return tuple(f.rule for f in sorted(rules, key=_finding_order))


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value if isinstance(value, str) else str(value)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def match_id(vm_id: object) -> str | None:
    """The id used for matching: lower case, no braces; None when missing or synthetic."""
    text = _text(vm_id)
    if text is None:
        return None
    key = text.strip().strip("{}").strip().lower()
    if not key or key.startswith(SYNTHETIC_ID_PREFIX):
        return None
    return key


def _read_vm(position: int, record: dict[str, Any]) -> _Vm:
    vm_id = _text(record.get("id"))
    if vm_id is None:
        vm_id = _text(record.get("key"))
    findings: dict[str, _Finding] = {}
    for raw in record.get("findings") or []:
        if not isinstance(raw, dict):
            continue
        rule = (_text(raw.get("rule")) or "").strip()
        if not rule:
            continue
        status = "waived" if (_text(raw.get("status")) or "").lower() == "waived" else "open"
        known = findings.get(rule)
        # The same rule twice: an open one outweighs a waived one.
        if known is None or (known.status == "waived" and status == "open"):
            findings[rule] = _Finding(rule, status, raw)
    return _Vm(
        position=position,
        vm_id=vm_id,
        match_id=match_id(vm_id),
        name=_text(record.get("name")),
        host=_text(record.get("host")),
        cluster=_text(record.get("cluster")),
        verdict=_text(record.get("verdict")) or _UNKNOWN_VERDICT,
        conversion_path=_text(record.get("conversion_path")),
        effort=_number(record.get("effort_hours")),
        findings=findings,
    )


def _finding_order(finding: _Finding) -> tuple[int, str]:
    return (_SEVERITY_RANK.get(finding.severity or "", len(SEVERITIES)), finding.rule)


def _vm_order(vm_name: str | None, host: str | None) -> tuple[str, str]:
    return ((host or "").casefold(), (vm_name or "").casefold())


def _verdict_rank(verdict: str) -> int:
    return _VERDICT_RANK.get(verdict, len(VERDICTS))


# -- matching -----------------------------------------------------------------------------


@dataclass
class _Matching:
    pairs: list[tuple[_Vm, _Vm]]
    by_name: int
    removed: list[_Vm]
    added: list[_Vm]
    notes: list[str]


def _match(old: list[_Vm], new: list[_Vm]) -> _Matching:
    notes: list[str] = []
    new_by_id: dict[str, _Vm] = {}
    duplicates = 0
    for vm in new:
        if vm.match_id is None:
            continue
        if vm.match_id in new_by_id:
            duplicates += 1
        else:
            new_by_id[vm.match_id] = vm
    pairs: list[tuple[_Vm, _Vm]] = []
    taken: set[int] = set()
    unmatched_old: list[_Vm] = []
    for vm in old:
        partner = new_by_id.get(vm.match_id) if vm.match_id is not None else None
        if partner is not None and partner.position not in taken:
            pairs.append((vm, partner))
            taken.add(partner.position)
        else:
            unmatched_old.append(vm)
    unmatched_new = [vm for vm in new if vm.position not in taken]

    # Fall back to host + name, only where one side has no real id.
    candidates: dict[tuple[str, str], list[_Vm]] = {}
    for vm in unmatched_new:
        if vm.name_key is not None:
            candidates.setdefault(vm.name_key, []).append(vm)
    removed: list[_Vm] = []
    by_name = 0
    for vm in unmatched_old:
        pool = candidates.get(vm.name_key) if vm.name_key is not None else None
        partner = None
        if pool:
            partner = next((c for c in pool if vm.match_id is None or c.match_id is None), None)
        if partner is None or pool is None:
            removed.append(vm)
            continue
        pool.remove(partner)
        pairs.append((vm, partner))
        taken.add(partner.position)
        by_name += 1
    added = [vm for vm in unmatched_new if vm.position not in taken]
    if duplicates:
        notes.append(
            f"{duplicates} VM(s) in the new assessment repeat an id already used: "
            "matched by host and name where possible"
        )
    return _Matching(pairs, by_name, removed, added, notes)


# -- comparing ----------------------------------------------------------------------------


def _summarise(document: dict[str, Any], vms: list[_Vm]) -> RunSummary:
    counts = Counter(vm.verdict for vm in vms)
    verdict_counts = {verdict: counts.get(verdict, 0) for verdict in VERDICTS}
    for verdict in sorted(set(counts) - set(VERDICTS)):
        verdict_counts[verdict] = counts[verdict]
    inputs = document.get("inputs")
    return RunSummary(
        generated_at=_text(document.get("generated_at")),
        inputs=tuple(inputs) if isinstance(inputs, list) else (),
        vm_count=len(vms),
        verdict_counts=verdict_counts,
        effort_hours=round(sum(vm.effort or 0.0 for vm in vms), 2),
        open_findings=sum(1 for vm in vms for f in vm.findings.values() if f.status == "open"),
        waived_findings=sum(1 for vm in vms for f in vm.findings.values() if f.status == "waived"),
    )


def _finding_change(
    old: _Vm, new: _Vm, before: _Finding | None, after: _Finding | None
) -> FindingChange:
    finding = after if after is not None else before
    raw = finding.raw if finding is not None else {}
    return FindingChange(
        vm_id=new.vm_id,
        vm_name=new.name,
        host=new.host,
        cluster=new.cluster,
        rule=finding.rule if finding is not None else "",
        severity=finding.severity if finding is not None else None,
        title=_text(raw.get("title")),
        old_status=before.status if before else None,
        new_status=after.status if after else None,
        effort_hours=_number(raw.get("effort_hours")),
        evidence=_text(raw.get("evidence")),
        waiver_reason=_text(raw.get("waiver_reason")),
        old_verdict=old.verdict,
        new_verdict=new.verdict,
    )


def _direction(old: str, new: str) -> str:
    if new == STAYS_GEN1:
        return DECIDED
    if old == STAYS_GEN1:
        return REOPENED
    if old not in _VERDICT_RANK or new not in _VERDICT_RANK:
        return CHANGED
    return WORSE if _VERDICT_RANK[new] < _VERDICT_RANK[old] else IMPROVED


def _presence(vm: _Vm) -> VmPresence:
    return VmPresence(
        vm_id=vm.vm_id,
        vm_name=vm.name,
        host=vm.host,
        cluster=vm.cluster,
        verdict=vm.verdict,
        conversion_path=vm.conversion_path,
        effort_hours=vm.effort,
        open_rules=vm.open_rules(),
    )


def _effort_differs(old: float | None, new: float | None) -> bool:
    return abs((new or 0.0) - (old or 0.0)) > _EPSILON or (old is None) != (new is None)


def _file_order_note(old: RunSummary, new: RunSummary) -> list[str]:
    try:
        before = datetime.fromisoformat(old.generated_at or "")
        after = datetime.fromisoformat(new.generated_at or "")
        swapped = before > after
    except (ValueError, TypeError):  # unreadable dates, or naive against aware
        return []
    if not swapped:
        return []
    return [
        f"the old assessment ({old.generated_at}) is newer than the new one "
        f"({new.generated_at}): are the files in the right order?"
    ]


def compare(old: dict[str, Any], new: dict[str, Any]) -> Diff:
    """What changed from ``old`` to ``new`` (both as ``load_assessment`` returns them)."""
    old_vms = [_read_vm(i, vm) for i, vm in enumerate(old.get("vms") or [])]
    new_vms = [_read_vm(i, vm) for i, vm in enumerate(new.get("vms") or [])]
    matching = _match(old_vms, new_vms)

    verdicts: list[VerdictChange] = []
    resolved: list[FindingChange] = []
    opened: list[FindingChange] = []
    waived: list[FindingChange] = []
    unwaived: list[FindingChange] = []
    paths: list[PathChange] = []
    efforts: list[EffortChange] = []
    for before, after in matching.pairs:
        rules_opened: list[str] = []
        rules_closed: list[str] = []
        for rule in sorted(before.findings.keys() | after.findings.keys()):
            was, now = before.findings.get(rule), after.findings.get(rule)
            if was is not None and now is None:
                resolved.append(_finding_change(before, after, was, None))
                if was.status == "open":
                    rules_closed.append(rule)
            elif was is None and now is not None:
                opened.append(_finding_change(before, after, None, now))
                if now.status == "open":
                    rules_opened.append(rule)
            elif was is not None and now is not None and was.status != now.status:
                change = _finding_change(before, after, was, now)
                if now.status == "waived":
                    waived.append(change)
                    rules_closed.append(rule)
                else:
                    unwaived.append(change)
                    rules_opened.append(rule)
        if before.verdict != after.verdict:
            verdicts.append(
                VerdictChange(
                    vm_id=after.vm_id,
                    vm_name=after.name,
                    host=after.host,
                    cluster=after.cluster,
                    direction=_direction(before.verdict, after.verdict),
                    old_verdict=before.verdict,
                    new_verdict=after.verdict,
                    old_effort_hours=before.effort,
                    new_effort_hours=after.effort,
                    rules_opened=tuple(rules_opened),
                    rules_closed=tuple(rules_closed),
                )
            )
        if before.conversion_path != after.conversion_path:
            paths.append(
                PathChange(
                    vm_id=after.vm_id,
                    vm_name=after.name,
                    host=after.host,
                    cluster=after.cluster,
                    old_conversion_path=before.conversion_path,
                    new_conversion_path=after.conversion_path,
                    old_verdict=before.verdict,
                    new_verdict=after.verdict,
                )
            )
        if _effort_differs(before.effort, after.effort):
            efforts.append(_effort(after, EFFORT_CHANGED, before.effort, after.effort))
    efforts += [_effort(vm, EFFORT_ADDED, None, vm.effort) for vm in matching.added]
    efforts += [_effort(vm, EFFORT_REMOVED, vm.effort, None) for vm in matching.removed]

    old_summary = _summarise(old, old_vms)
    new_summary = _summarise(new, new_vms)
    finding_key = _finding_change_order
    presence_key = _presence_order
    return Diff(
        old=old_summary,
        new=new_summary,
        matched=len(matching.pairs),
        matched_by_name=matching.by_name,
        verdict_changes=tuple(sorted(verdicts, key=_verdict_change_order)),
        findings_resolved=tuple(sorted(resolved, key=finding_key)),
        findings_new=tuple(sorted(opened, key=finding_key)),
        findings_waived=tuple(sorted(waived, key=finding_key)),
        findings_unwaived=tuple(sorted(unwaived, key=finding_key)),
        vms_added=tuple(sorted((_presence(vm) for vm in matching.added), key=presence_key)),
        vms_removed=tuple(sorted((_presence(vm) for vm in matching.removed), key=presence_key)),
        path_changes=tuple(sorted(paths, key=lambda c: _vm_order(c.vm_name, c.host))),
        effort_changes=tuple(
            sorted(efforts, key=lambda c: (-abs(c.delta_hours), *_vm_order(c.vm_name, c.host)))
        ),
        notes=tuple(_file_order_note(old_summary, new_summary) + matching.notes),
    )


def _effort(vm: _Vm, change: str, old: float | None, new: float | None) -> EffortChange:
    return EffortChange(
        vm_id=vm.vm_id,
        vm_name=vm.name,
        host=vm.host,
        cluster=vm.cluster,
        change=change,
        old_effort_hours=old,
        new_effort_hours=new,
        delta_hours=round((new or 0.0) - (old or 0.0), 2),
    )


def _verdict_change_order(change: VerdictChange) -> tuple[Any, ...]:
    group = {WORSE: 0, REOPENED: 1, CHANGED: 2, DECIDED: 3, IMPROVED: 4}[change.direction]
    # Worse: the worst new verdict first. Improved: the biggest step (to Gen 2) first.
    rank = _verdict_rank(change.new_verdict)
    return (group, rank if group == 0 else -rank, *_vm_order(change.vm_name, change.host))


def _finding_change_order(change: FindingChange) -> tuple[Any, ...]:
    severity = _SEVERITY_RANK.get(change.severity or "", len(SEVERITIES))
    return (severity, change.rule, *_vm_order(change.vm_name, change.host))


def _presence_order(vm: VmPresence) -> tuple[Any, ...]:
    return (_verdict_rank(vm.verdict), *_vm_order(vm.vm_name, vm.host))


# -- the diff as JSON ---------------------------------------------------------------------


def _records(items: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Flat records as dicts (tuples as lists). Shallow on purpose: ``asdict`` deep-copies
    every value, which costs seconds for a few hundred thousand changes."""
    if not items:
        return []
    names = [f.name for f in fields(items[0])]
    out = []
    for item in items:
        record = {name: getattr(item, name) for name in names}
        for key, value in record.items():
            if isinstance(value, tuple):
                record[key] = list(value)
        out.append(record)
    return out


def _run(run: RunSummary) -> dict[str, Any]:
    return {"generated_at": run.generated_at, "inputs": list(run.inputs)}


def summary_dict(diff: Diff) -> dict[str, Any]:
    """The counts of the diff: the ``summary`` of the JSON and of the workbook."""
    by_direction = Counter(change.direction for change in diff.verdict_changes)
    return {
        "vms": {
            "old": diff.old.vm_count,
            "new": diff.new.vm_count,
            "matched": diff.matched,
            "matched_by_host_and_name": diff.matched_by_name,
            "added": len(diff.vms_added),
            "removed": len(diff.vms_removed),
        },
        "verdicts": {
            verdict: {"old": before, "new": after, "delta": delta}
            for verdict, (before, after, delta) in diff.verdict_deltas().items()
        },
        "verdict_changes": {
            "worse": by_direction.get(WORSE, 0),
            "improved": by_direction.get(IMPROVED, 0),
            "changed": by_direction.get(CHANGED, 0),
            "decided": by_direction.get(DECIDED, 0),
            "reopened": by_direction.get(REOPENED, 0),
            "converted_to_gen2": len(diff.converted),
        },
        "effort_hours": {
            "old": diff.old.effort_hours,
            "new": diff.new.effort_hours,
            "delta": diff.effort_delta,
        },
        "open_findings": {
            "old": diff.old.open_findings,
            "new": diff.new.open_findings,
            "delta": diff.new.open_findings - diff.old.open_findings,
        },
        "findings": {
            "resolved": len(diff.findings_resolved),
            "new": len(diff.findings_new),
            "waived": len(diff.findings_waived),
            "unwaived": len(diff.findings_unwaived),
        },
        "conversion_path_changes": len(diff.path_changes),
    }


def _effort_dict(diff: Diff) -> dict[str, Any]:
    def delta(kind: str) -> float:
        return round(sum(c.delta_hours for c in diff.effort_changes if c.change == kind), 2)

    return {
        "old_hours": diff.old.effort_hours,
        "new_hours": diff.new.effort_hours,
        "delta_hours": diff.effort_delta,
        "delta_hours_matched": delta(EFFORT_CHANGED),
        "delta_hours_added": delta(EFFORT_ADDED),
        "delta_hours_removed": delta(EFFORT_REMOVED),
        "by_vm": _records(diff.effort_changes),
    }


def diff_to_dict(diff: Diff) -> dict[str, Any]:
    """The ``gen2-assess/diff`` document. Every key is always present; lists may be empty."""
    return {
        "schema": DIFF_SCHEMA_NAME,
        "schema_version": DIFF_SCHEMA_VERSION,
        "old": _run(diff.old),
        "new": _run(diff.new),
        "summary": summary_dict(diff),
        "verdict_changes": _records(diff.verdict_changes),
        "findings_resolved": _records(diff.findings_resolved),
        "findings_new": _records(diff.findings_new),
        "findings_waived": _records(diff.findings_waived),
        "findings_unwaived": _records(diff.findings_unwaived),
        "vms_added": _records(diff.vms_added),
        "vms_removed": _records(diff.vms_removed),
        "conversion_path_changes": _records(diff.path_changes),
        "effort": _effort_dict(diff),
        "notes": list(diff.notes),
    }
