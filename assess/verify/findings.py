"""One VM's findings: each difference, each field not compared, and which key groups had
data. ``compare_field`` applies one ``FieldSpec`` to one pair of rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assess.verify.fields import ESSENTIAL_GROUPS, GROUPS, NOT_LESS, TARGET, Context, FieldSpec

NO_DATA = "no data"


@dataclass(frozen=True)
class Difference:
    field: str
    group: str
    before: Any
    after: Any
    expected: bool
    reason: str


@dataclass(frozen=True)
class NotCompared:
    field: str
    group: str
    reason: str


class Findings:
    """Differences and gaps of one VM, and which groups had data to compare."""

    def __init__(self) -> None:
        self.differences: list[Difference] = []
        self.not_compared: list[NotCompared] = []
        self.compared: set[str] = set()
        self.attempted: set[str] = set()

    def differ(self, name: str, group: str, before: Any, after: Any, ok: bool, why: str) -> None:
        self.compared.add(group)
        self.attempted.add(group)
        self.differences.append(Difference(name, group, before, after, ok, why))

    def same(self, group: str) -> None:
        self.compared.add(group)
        self.attempted.add(group)

    def gap(self, name: str, group: str, reason: str = NO_DATA) -> None:
        self.attempted.add(group)
        self.not_compared.append(NotCompared(name, group, reason))

    def unknown_groups(self) -> tuple[str, ...]:
        return tuple(
            g for g in GROUPS if g in ESSENTIAL_GROUPS and g in self.attempted - self.compared
        )


def compare_field(spec: FieldSpec, ctx: Context, name: str, found: Findings) -> None:
    """Compare one field; record a difference, a match, or a gap."""
    if spec.applies is not None and not spec.applies(ctx):
        return
    before, after = ctx.before.get(spec.column), ctx.after.get(spec.column)
    if (
        spec.blank_is_empty_in
        and {
            ctx.vm_before.get("source_kind"),
            ctx.vm_after.get("source_kind"),
        }
        <= spec.blank_is_empty_in
    ):
        before, after = before or "", after or ""
    norm = spec.normalize or (lambda value: value)
    if spec.how == TARGET:
        if after is None:
            found.gap(name, spec.group, "no data in AFTER")
            return
        checked = spec.target(after, ctx) if spec.target else None
        if checked is None:
            return
        ok, why = checked
        if ok and norm(before) == norm(after):
            found.same(spec.group)
        else:
            found.differ(name, spec.group, before, after, ok, why)
        return
    if before is None and after is None and spec.optional:
        found.same(spec.group)
        return
    if before is None or after is None:
        side = (
            "BEFORE and AFTER"
            if before is None and after is None
            else ("BEFORE" if before is None else "AFTER")
        )
        found.gap(name, spec.group, f"no data in {side}")
        return
    if norm(before) == norm(after):
        found.same(spec.group)
        return
    if spec.how == NOT_LESS:
        if after < before:
            found.differ(name, spec.group, before, after, False, spec.why)
        else:
            found.differ(name, spec.group, before, after, True, "more than before: nothing lost")
        return
    reason = spec.expected(before, after, ctx) if spec.expected else None
    found.differ(name, spec.group, before, after, reason is not None, reason or spec.why)
