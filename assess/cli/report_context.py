"""What the reports say about the engagement and its assumptions (``ReportContext``), put
together from the command line options, the policy and the catalog.

The engine knows nothing of clients or print paper; the command line fills this in and
hands it to the renderers on the assessment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from assess import __version__
from assess.engine.catalog import Catalog, load_catalog
from assess.engine.policy import Policy
from assess.model.assessment import Assessment, ReportContext
from assess.model.inventory import Inventory


def catalog_label(catalog: Catalog) -> str:
    """ "gen2-assess 0.1.0 catalog, 27 rules, digest 1a2b3c4d5e6f": the digest covers every
    catalog file read (built-in and custom), so two runs with the same label used the same
    rules, paths, OS names and support matrix."""
    digest = hashlib.sha256()
    for folder in catalog.folders:
        for file in sorted(Path(folder).glob("*.toml")):
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
    custom = len(catalog.folders) - 1
    extra = f", {custom} custom rule folder{'s' if custom != 1 else ''}" if custom else ""
    if catalog.os_names.extra_files:
        extra += ", custom OS names"
    return (
        f"gen2-assess {__version__} catalog, {len(catalog.rules)} rules{extra}, "
        f"digest {digest.hexdigest()[:12]}"
    )


def input_times(paths: Iterable[str]) -> dict[str, datetime]:
    """Each input file's modification time (UTC); paths that are not files are left out."""
    out: dict[str, datetime] = {}
    for path in paths:
        try:
            stat = Path(path).stat()
        except OSError:
            continue
        if Path(path).is_file():
            out[path] = datetime.fromtimestamp(stat.st_mtime, UTC)
    return out


class ScopeRecorder:
    """Wraps the policy's scope: counts what each setting leaves out, then scopes."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.exclusions: list[tuple[str, str, int]] = []
        self.seen = 0

    def __call__(self, inventory: Inventory) -> Inventory:
        vms = inventory.vms
        self.seen = len(vms)
        if self.policy.scope:
            self.exclusions = self.policy.scope_exclusions(vms)
        return self.policy.scope_inventory(inventory)


def build_context(
    *,
    client: str | None,
    engagement: str | None,
    paper: str,
    policy: Policy,
    catalog: Catalog,
    scope: ScopeRecorder | None = None,
    input_paths: Iterable[str] = (),
) -> ReportContext:
    severity_overrides = []
    # The catalog before the policy, only to name what a severity override changed.
    base = {rule.id: rule for rule in load_catalog().rules} if policy.severity else {}
    for rule in catalog.rules:
        before = base.get(rule.id)
        if before is not None and before.severity != rule.severity:
            severity_overrides.append((rule.id, before.severity, rule.severity))
    waivers = tuple(
        {
            "vm": w.vm,
            "rule": w.rule,
            "reason": w.reason,
            "owner": w.owner,
            "expires": w.expires.isoformat() if w.expires else "",
        }
        for w in policy.waivers
    )
    keep_gen1 = tuple(_keep_gen1(policy))
    return ReportContext(
        client=(client or policy.client or "").strip(),
        engagement=(engagement or policy.engagement or "").strip(),
        paper=paper,
        policy_path=policy.path or "",
        disabled_rules=tuple(policy.disabled),
        severity_overrides=tuple(severity_overrides),
        rule_effort_overrides=dict(policy.rule_effort),
        path_effort_overrides=dict(policy.path_effort),
        path_effort={name: p.effort_hours for name, p in catalog.paths.items()},
        waivers=waivers,
        keep_gen1=keep_gen1,
        scope_exclusions=tuple(scope.exclusions) if scope else (),
        scope_seen=scope.seen if scope else 0,
        input_times=input_times(input_paths),
        catalog=catalog_label(catalog),
    )


def _keep_gen1(policy: Policy) -> list[dict[str, str]]:
    """Keep-on-Gen-1 decisions, where the policy has them (``[[keep_gen1]]`` entries: VM
    globs or ids and tags, a reason, an owner, an expiry)."""
    out = []
    for entry in getattr(policy, "keep_gen1", ()) or ():
        names = [*getattr(entry, "vms", ()), *getattr(entry, "tags", ())]
        expires = getattr(entry, "expires", None)
        out.append(
            {
                "vm": ", ".join(str(n) for n in names),
                "rule": "",
                "reason": str(getattr(entry, "reason", "") or ""),
                "owner": str(getattr(entry, "owner", "") or ""),
                "expires": expires.isoformat() if expires is not None else "",
            }
        )
    return out


def attach(assessment: Assessment, context: ReportContext) -> Assessment:
    assessment.context = context
    return assessment
