"""The run, end to end: sources -> inventory -> facts -> engine. No rendering here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assess.engine.catalog import Catalog
from assess.engine.evaluate import KeepHook, WaiverHook, assess
from assess.facts.derive import derive_facts
from assess.facts.support_matrix import SupportMatrix
from assess.model.anonymize import Pseudonymizer
from assess.model.assessment import Assessment, InputSummary
from assess.model.diagnostics import RowWarning
from assess.model.inventory import Inventory
from assess.sources import SourceResult
from assess.sources.overlap import resolve as resolve_overlap


@dataclass
class RunResult:
    assessment: Assessment
    warnings: list[RowWarning] = field(default_factory=list)
    partial: bool = False  # an input was cut short or a host failed
    inventory: Inventory | None = None  # kept only when asked for (``assess plan`` needs it)


def summarize_input(
    result: SourceResult, collected_at: str | None = None, superseded: str = ""
) -> InputSummary:
    status = "partial" if result.truncated and result.status == "ok" else result.status
    detail = result.detail or ("output cut short (no end record)" if result.truncated else "")
    if superseded:
        detail = f"{detail}; {superseded}" if detail else superseded
    return InputSummary(
        path=result.path,
        kind=result.kind,
        vms=len(result.inventory.vms),
        warnings=len(result.warnings),
        status=status,
        detail=detail,
        collected_at=collected_at,
    )


def assess_sources(
    results: Sequence[SourceResult],
    catalog: Catalog,
    *,
    scope: Callable[[Inventory], Inventory] | None = None,
    waive: WaiverHook | None = None,
    keep: KeepHook | None = None,
    targets: Sequence[str] = (),
    messages: Sequence[str] = (),
    matrix_folder: Path | None = None,
    keep_inventory: bool = False,
    anonymize: Pseudonymizer | None = None,
) -> RunResult:
    """Assess what the sources produced (files and scanned hosts alike). ``scope`` narrows
    the inventory (policy scope), ``waive`` marks waived findings (policy waivers).
    ``anonymize`` replaces names and addresses after the scope, before the facts: every
    report, warning and note then shows pseudonyms only."""
    # The newest collection of a VM listed twice wins: join the inputs newest first.
    overlap = resolve_overlap(results)
    inventory = Inventory.concat(result.inventory for result in overlap.results)
    if scope is not None:
        inventory = scope(inventory)
    if anonymize is not None:
        for result in results:
            anonymize.names("vm", result.templates)
        inventory = anonymize.inventory(inventory)
    facts = derive_facts(inventory, SupportMatrix.load(matrix_folder), catalog.os_names)
    inputs = [
        summarize_input(r, overlap.collected_at.get(r.path), overlap.superseded.get(r.path, ""))
        for r in results
    ]
    notes = [note for result in results for note in result.notes]
    warnings = [w for result in results for w in result.warnings]
    if anonymize is not None:
        for summary in inputs:
            summary.path = str(anonymize.text(summary.path))
            summary.detail = str(anonymize.text(summary.detail))
        notes = [str(anonymize.text(note)) for note in notes]
        warnings = [
            RowWarning(
                str(anonymize.text(w.path)), w.line, w.column, str(anonymize.text(w.message))
            )
            for w in warnings
        ]
    assessment = assess(
        facts,
        catalog,
        inputs=inputs,
        waive=waive,
        keep=keep,
        targets=targets,
        messages=[*notes, *messages],
    )
    partial = any(i.status != "ok" for i in inputs)
    return RunResult(
        assessment=assessment,
        warnings=warnings,
        partial=partial,
        inventory=inventory if keep_inventory else None,
    )
