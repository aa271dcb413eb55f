"""The policy file: what a consultant agrees with the client, applied to every run.

Example (TOML)::

    client = "Contoso Ltd"               # named in the reports (--client wins)
    engagement = "Gen 2 wave 1"          # (--engagement wins)
    disabled = ["VM004"]                 # rules not evaluated at all
    rule_folders = ["custom-rules"]      # extra rule folders, relative to this file

    [severity]                           # severity overrides per rule
    VM003 = "info"

    [effort.rules]                       # effort overrides per rule (hours)
    BOOT003 = 3.0
    [effort.paths]                       # base effort per conversion path (hours)
    recapture = 2.0

    [scope]                              # which VMs the run covers (globs, case-insensitive)
    include_vms = ["*"]
    exclude_vms = ["*-old"]
    include_hosts = []
    exclude_hosts = []
    include_clusters = []
    exclude_clusters = []
    states = ["Running", "Off"]
    exclude_tags = ["#nogen2"]           # a tag written in the VM's notes

    targets = ["azure-trusted-launch"]   # goals that make reasons to convert apply

    [[waiver]]
    vm = "sql0*"                         # name glob or VM id
    rule = "VM002"
    reason = "Replica re-seeded by the DBA team after conversion"
    owner = "j.doe"
    expires = 2027-03-31

    [[keep_gen1]]                        # VMs the client keeps on Generation 1
    vms = ["LEGACY-*"]                   # name globs or VM ids
    tags = ["#keep-gen1"]                # or a tag in the VM's notes
    reason = "Retired with the ERP replacement in 2027"
    owner = "cio@corp.example"
    expires = 2027-06-30

A waived finding stays in every report, marked waived, and does not count toward the
verdict. Waiving a blocker means the client decided the VM stays on Generation 1: once all
its blockers are waived, its verdict is ``stays-gen1``. A ``[[keep_gen1]]`` entry makes a
whole VM ``stays-gen1`` whatever its findings (they are marked waived with its reason). An
expired waiver or keep entry is reported and ignored; one that matches nothing is reported.
A malformed file is an input error naming the file, line and key.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from assess.engine.catalog import MAX_EFFORT_HOURS, Catalog
from assess.model.assessment import CONVERSION_PATHS, SEVERITIES
from assess.model.diagnostics import InputError
from assess.model.inventory import Inventory

_TOP_KEYS = {
    "client",
    "engagement",
    "disabled",
    "rule_folders",
    "severity",
    "effort",
    "scope",
    "waiver",
    "keep_gen1",
    "targets",
}
_SCOPE_KEYS = {
    "include_vms",
    "exclude_vms",
    "include_hosts",
    "exclude_hosts",
    "include_clusters",
    "exclude_clusters",
    "states",
    "include_tags",
    "exclude_tags",
}
_WAIVER_KEYS = {"vm", "rule", "reason", "owner", "expires"}
_KEEP_KEYS = {"vms", "tags", "reason", "owner", "expires"}


@dataclass(frozen=True)
class Waiver:
    vm: str
    rule: str
    reason: str
    owner: str
    expires: date | None
    line: int | None = None


@dataclass(frozen=True)
class KeepGen1:
    """VMs the client keeps on Generation 1: by name glob or id, or by a tag in the notes."""

    vms: tuple[str, ...]
    tags: tuple[str, ...]
    reason: str
    owner: str
    expires: date | None
    line: int | None = None


@dataclass
class Policy:
    path: str | None = None
    client: str = ""  # named in the reports (``--client`` wins)
    engagement: str = ""
    disabled: tuple[str, ...] = ()
    rule_folders: tuple[Path, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    rule_effort: dict[str, float] = field(default_factory=dict)
    path_effort: dict[str, float] = field(default_factory=dict)
    scope: dict[str, tuple[str, ...]] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    keep_gen1: tuple[KeepGen1, ...] = ()
    targets: tuple[str, ...] = ()
    today: date = field(default_factory=date.today)
    messages: list[str] = field(default_factory=list)
    #: rule id or alias -> current rule id, filled when the policy meets the catalog
    rule_ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> Policy:
        return cls()

    # --- loading ------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, today: date | None = None) -> Policy:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise InputError(path, "policy file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(path, f"cannot read the policy file: {exc}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(path, f"not valid TOML: {exc}") from None
        try:
            return _Parser(path, text).parse(data, today or date.today())
        except InputError:
            raise
        except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
            # A shape no check above foresaw: still a load error, never a crash.
            raise InputError(path, f"malformed policy ({type(exc).__name__}: {exc})") from None

    # --- what the run asks of it -------------------------------------------------------------
    def apply_to_catalog(self, catalog: Catalog) -> Catalog:
        self.rule_ids = {name: rule.id for rule in catalog.rules for name in rule.names()}
        known = set(self.rule_ids)
        for rule_id in [*self.disabled, *self.severity, *self.rule_effort]:
            if rule_id not in known:
                raise InputError(self.path, f"names rule {rule_id}, which the catalog lacks")
        goals = {reason.target for reason in catalog.reasons if reason.target}
        for target in self.targets:
            if target not in goals:
                raise InputError(
                    self.path,
                    f"targets names {target!r}; known targets: {', '.join(sorted(goals))}",
                )
        for waiver in self.waivers:
            if waiver.rule not in known:
                raise InputError(
                    self.path,
                    f"line {waiver.line}: waiver names rule {waiver.rule}, which the catalog lacks",
                )
        rules = []
        for rule in catalog.rules:
            names = set(rule.names())
            if names & set(self.disabled):
                continue
            changes: dict[str, Any] = {}
            for name in names:
                if name in self.severity:
                    changes["severity"] = self.severity[name]
                if name in self.rule_effort:
                    changes["effort_hours"] = self.rule_effort[name]
                    changes["effort_by_path"] = {}
            rules.append(dataclasses.replace(rule, **changes) if changes else rule)
        paths = {
            name: dataclasses.replace(p, effort_hours=self.path_effort[name])
            if name in self.path_effort
            else p
            for name, p in catalog.paths.items()
        }
        return dataclasses.replace(catalog, rules=tuple(rules), paths=paths)

    def scope_inventory(self, inventory: Inventory) -> Inventory:
        if not self.scope:
            return inventory
        vms = inventory.vms
        keep = pd.Series(True, index=vms.index)
        for key, column in (("vms", "name"), ("hosts", "host"), ("clusters", "cluster")):
            include = self.scope.get(f"include_{key}")
            if include:
                keep &= _glob_any(vms[column], include)
            exclude = self.scope.get(f"exclude_{key}")
            if exclude:
                keep &= ~_glob_any(vms[column], exclude)
        states = self.scope.get("states")
        if states:
            wanted = {s.lower() for s in states}
            keep &= vms["state"].str.lower().isin(wanted).fillna(False)
        notes = vms["notes"].fillna("").str.lower()
        for tag in self.scope.get("include_tags", ()):
            keep &= notes.str.contains(tag.lower(), regex=False)
        for tag in self.scope.get("exclude_tags", ()):
            keep &= ~notes.str.contains(tag.lower(), regex=False)
        keys = set(vms.loc[keep, "vm_key"])
        tables = {}
        for name, frame in inventory.tables.items():
            if "vm_key" in frame.columns:
                tables[name] = frame[frame["vm_key"].isin(keys)].reset_index(drop=True)
            else:
                tables[name] = frame
        dropped = len(vms) - len(keys)
        if dropped:
            self.messages.append(f"policy scope leaves out {dropped} of {len(vms)} VMs")
        return Inventory(tables)

    def scope_exclusions(self, vms: pd.DataFrame) -> list[tuple[str, str, int]]:
        """Per scope setting: (setting, its patterns, VMs of ``vms`` it alone leaves out),
        for the report's scope section. Settings that leave nothing out are listed too."""
        out: list[tuple[str, str, int]] = []
        for key, column in (("vms", "name"), ("hosts", "host"), ("clusters", "cluster")):
            include = self.scope.get(f"include_{key}")
            if include:
                out.append(
                    (
                        f"include_{key}",
                        ", ".join(include),
                        int((~_glob_any(vms[column], include)).sum()),
                    )
                )
            exclude = self.scope.get(f"exclude_{key}")
            if exclude:
                out.append(
                    (
                        f"exclude_{key}",
                        ", ".join(exclude),
                        int(_glob_any(vms[column], exclude).sum()),
                    )
                )
        states = self.scope.get("states")
        if states:
            wanted = {s.lower() for s in states}
            kept = vms["state"].str.lower().isin(wanted).fillna(False)
            out.append(("states", ", ".join(states), int((~kept).sum())))
        notes = vms["notes"].fillna("").str.lower()
        include_tags = self.scope.get("include_tags", ())
        if include_tags:
            has_all = pd.Series(True, index=vms.index)
            for tag in include_tags:
                has_all &= notes.str.contains(tag.lower(), regex=False)
            out.append(("include_tags", ", ".join(include_tags), int((~has_all).sum())))
        exclude_tags = self.scope.get("exclude_tags", ())
        if exclude_tags:
            has_any = pd.Series(False, index=vms.index)
            for tag in exclude_tags:
                has_any |= notes.str.contains(tag.lower(), regex=False)
            out.append(("exclude_tags", ", ".join(exclude_tags), int(has_any.sum())))
        return out

    def waive(self, findings: pd.DataFrame, facts: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
        """Mark findings waived; say which waivers expired or matched nothing."""
        messages: list[str] = []
        if not self.waivers:
            return findings, messages
        findings = findings.copy()
        names = findings["vm_name"].astype("string").fillna("").str.lower()
        ids = findings["vm_id"].astype("string").fillna("").str.lower()
        for waiver in self.waivers:
            where = f"{self.path}:{waiver.line}" if waiver.line else str(self.path)
            label = f"waiver {waiver.rule} for {waiver.vm!r} ({where})"
            if waiver.expires is not None and waiver.expires < self.today:
                messages.append(f"{label} expired on {waiver.expires}: ignored")
                continue
            pattern = waiver.vm.lower()
            vm_match = names.map(lambda n, p=pattern: fnmatch.fnmatchcase(n, p)) | ids.eq(
                pattern.strip("{}")
            )
            rule_match = findings["rule"].eq(self.rule_ids.get(waiver.rule, waiver.rule))
            match = (vm_match & rule_match).fillna(False).astype(bool)
            if not match.any():
                messages.append(f"{label} matches no finding")
                continue
            fresh = match & findings["status"].eq("open")
            findings.loc[fresh, "status"] = "waived"
            findings.loc[fresh, "waiver_reason"] = waiver.reason
            findings.loc[fresh, "waiver_owner"] = waiver.owner
            findings.loc[fresh, "waiver_expires"] = (
                waiver.expires.isoformat() if waiver.expires else pd.NA
            )
        return findings, messages

    def keep(self, facts: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
        """Per VM (on the facts' index): the ``[[keep_gen1]]`` entry that keeps it on
        Generation 1 (``reason``, ``owner``, ``expires``; NA where none), the first entry
        that matches winning; messages about expired and unused entries."""
        out = pd.DataFrame(
            {c: pd.Series(pd.NA, index=facts.index, dtype="string") for c in _DECISION_COLUMNS}
        )
        messages: list[str] = []
        if not self.keep_gen1:
            return out, messages
        names = facts["name"].astype("string").fillna("").str.lower()
        ids = facts["vm_id"].astype("string").fillna("").str.lower().str.strip("{}")
        notes = facts["notes"].astype("string").fillna("").str.lower()
        taken = pd.Series(False, index=facts.index)
        for entry in self.keep_gen1:
            where = f"{self.path}:{entry.line}" if entry.line else str(self.path)
            label = f"keep_gen1 entry ({where})"
            if entry.expires is not None and entry.expires < self.today:
                messages.append(f"{label} expired on {entry.expires}: ignored")
                continue
            match = pd.Series(False, index=facts.index)
            for pattern in (p.lower() for p in entry.vms):
                match |= names.map(lambda n, p=pattern: fnmatch.fnmatchcase(n, p)).astype(bool)
                match |= ids.eq(pattern.strip("{}"))
            for tag in entry.tags:
                match |= notes.str.contains(tag.lower(), regex=False)
            if not match.any():
                messages.append(f"{label} matches no VM")
                continue
            fresh = match & ~taken
            taken |= match
            out.loc[fresh, "reason"] = entry.reason
            out.loc[fresh, "owner"] = entry.owner
            out.loc[fresh, "expires"] = entry.expires.isoformat() if entry.expires else pd.NA
        return out, messages


_DECISION_COLUMNS = ("reason", "owner", "expires")


def _glob_any(values: pd.Series, patterns: Iterable[str]) -> pd.Series:
    lowered = [p.lower() for p in patterns]
    text = values.astype("string").fillna("").str.lower()
    return text.map(lambda v: any(fnmatch.fnmatchcase(v, p) for p in lowered)).astype(bool)


class _Parser:
    """Validates the TOML tables and names the line of the offending key."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def line_of(self, key: str, after: int = 0) -> int | None:
        pattern = re.compile(rf"^\s*(\[+\s*)?\"?{re.escape(key)}\"?\s*(=|\]|\.)")
        for number, line in enumerate(self.lines[after:], start=after + 1):
            if pattern.search(line):
                return number
        return None

    def fail(self, key: str, message: str, after: int = 0) -> InputError:
        line = self.line_of(key.split(".")[-1], after)
        where = f"line {line}: " if line else ""
        return InputError(self.path, f"{where}key {key!r}: {message}")

    def strings(self, value: Any, key: str) -> tuple[str, ...]:
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of text")
        return tuple(value)

    def parse(self, data: dict[str, Any], today: date) -> Policy:
        for key in data:
            if key not in _TOP_KEYS:
                raise self.fail(key, f"unknown key; known: {', '.join(sorted(_TOP_KEYS))}")
        policy = Policy(path=str(self.path), today=today)
        for key in ("client", "engagement"):
            value = data.get(key, "")
            if not isinstance(value, str):
                raise self.fail(key, "must be text")
            setattr(policy, key, value.strip())
        policy.disabled = tuple(
            r.upper() for r in self.strings(data.get("disabled", []), "disabled")
        )
        policy.rule_folders = tuple(
            (self.path.parent / folder).resolve()
            for folder in self.strings(data.get("rule_folders", []), "rule_folders")
        )
        severity = data.get("severity", {})
        if not isinstance(severity, dict):
            raise self.fail("severity", "must be a table of RULE = severity")
        for rule_id, value in severity.items():
            if value not in SEVERITIES:
                raise self.fail(f"severity.{rule_id}", f"must be one of {', '.join(SEVERITIES)}")
            policy.severity[rule_id.upper()] = value
        effort = data.get("effort", {})
        if not isinstance(effort, dict) or set(effort) - {"rules", "paths"}:
            raise self.fail("effort", "must hold the tables [effort.rules] and [effort.paths]")
        for table, target in (("rules", policy.rule_effort), ("paths", policy.path_effort)):
            entries = effort.get(table, {})
            if not isinstance(entries, dict):
                raise self.fail(f"effort.{table}", "must be a table of NAME = hours")
            for name, hours in entries.items():
                if (
                    not isinstance(hours, int | float)
                    or isinstance(hours, bool)
                    or not math.isfinite(hours)
                    or not 0 <= hours <= MAX_EFFORT_HOURS
                ):
                    raise self.fail(
                        f"effort.{table}.{name}",
                        f"must be a number of hours from 0 to {MAX_EFFORT_HOURS:g}",
                    )
                if table == "paths" and name not in CONVERSION_PATHS:
                    raise self.fail(
                        f"effort.paths.{name}",
                        f"unknown path; known: {', '.join(CONVERSION_PATHS)}",
                    )
                target[name.upper() if table == "rules" else name] = float(hours)
        scope = data.get("scope", {})
        if not isinstance(scope, dict):
            raise self.fail("scope", "must be a table")
        for key, value in scope.items():
            if key not in _SCOPE_KEYS:
                raise self.fail(
                    f"scope.{key}", f"unknown key; known: {', '.join(sorted(_SCOPE_KEYS))}"
                )
            policy.scope[key] = self.strings(value, f"scope.{key}")
        policy.waivers = self.waivers(data.get("waiver", []))
        policy.keep_gen1 = self.keeps(data.get("keep_gen1", []))
        policy.targets = tuple(
            t.strip().lower() for t in self.strings(data.get("targets", []), "targets")
        )
        return policy

    def expiry(self, entry: dict[str, Any], table: str, after: int) -> date | None:
        expires = entry.get("expires")
        if isinstance(expires, datetime):
            return expires.date()
        if isinstance(expires, str):
            try:
                return date.fromisoformat(expires.strip())
            except ValueError:
                raise self.fail(f"{table}.expires", "must be a date (YYYY-MM-DD)", after) from None
        if expires is not None and not isinstance(expires, date):
            raise self.fail(f"{table}.expires", "must be a date (YYYY-MM-DD)", after)
        return expires

    def keeps(self, raw: Any) -> tuple[KeepGen1, ...]:
        if not isinstance(raw, list):
            raise self.fail("keep_gen1", "write it as [[keep_gen1]] tables")
        out = []
        after = 0
        for entry in raw:
            line = self.line_of("keep_gen1", after)
            after = line or after
            unknown = set(entry) - _KEEP_KEYS
            if unknown:
                raise self.fail(f"keep_gen1.{sorted(unknown)[0]}", "unknown keep_gen1 key", after)
            for key in ("reason", "owner"):
                if not isinstance(entry.get(key), str) or not entry[key].strip():
                    raise self.fail(
                        f"keep_gen1.{key}", "required text in every [[keep_gen1]]", after
                    )
            vms = self.strings(entry.get("vms", []), "keep_gen1.vms")
            tags = self.strings(entry.get("tags", []), "keep_gen1.tags")
            if not any(v.strip() for v in (*vms, *tags)):
                raise self.fail(
                    "keep_gen1", "name the VMs to keep: vms = [...] or tags = [...]", after - 1
                )
            out.append(
                KeepGen1(
                    vms=tuple(v.strip() for v in vms if v.strip()),
                    tags=tuple(t.strip() for t in tags if t.strip()),
                    reason=entry["reason"].strip(),
                    owner=entry["owner"].strip(),
                    expires=self.expiry(entry, "keep_gen1", after),
                    line=line,
                )
            )
        return tuple(out)

    def waivers(self, raw: Any) -> tuple[Waiver, ...]:
        if not isinstance(raw, list):
            raise self.fail("waiver", "write waivers as [[waiver]] tables")
        out = []
        after = 0
        for entry in raw:
            line = self.line_of("waiver", after)
            after = line or after
            if not isinstance(entry, dict):
                raise self.fail("waiver", "write waivers as [[waiver]] tables", after)
            unknown = set(entry) - _WAIVER_KEYS
            if unknown:
                raise self.fail(f"waiver.{sorted(unknown)[0]}", "unknown waiver key", after)
            for key in ("vm", "rule", "reason", "owner"):
                if not isinstance(entry.get(key), str) or not entry[key].strip():
                    raise self.fail(f"waiver.{key}", "required text in every [[waiver]]", after)
            expires = entry.get("expires")
            if isinstance(expires, datetime):
                expires = expires.date()
            elif isinstance(expires, str):
                try:
                    expires = date.fromisoformat(expires.strip())
                except ValueError:
                    raise self.fail(
                        "waiver.expires", "must be a date (YYYY-MM-DD)", after
                    ) from None
            elif expires is not None and not isinstance(expires, date):
                raise self.fail("waiver.expires", "must be a date (YYYY-MM-DD)", after)
            out.append(
                Waiver(
                    vm=entry["vm"].strip(),
                    rule=entry["rule"].strip().upper(),
                    reason=entry["reason"].strip(),
                    owner=entry["owner"].strip(),
                    expires=expires,
                    line=line,
                )
            )
        return tuple(out)
