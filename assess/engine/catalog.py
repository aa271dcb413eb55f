"""The rule catalog: TOML files of ``[[rule]]`` tables, loaded and checked before any VM.

A rule file looks like::

    [[rule]]
    id = "BOOT002"
    title = "Boot disk is VHD, not VHDX"
    severity = "fix"              # blocker | needs-data | fix | warning | info
    family = "boot"
    when = "boot_disk_format == 'VHD'"
    needs = ["boot_disk_format"]  # optional: defaults to the facts `when` reads
    evidence = "boot disk {boot_disk_path} is {boot_disk_format}"
    rationale = "..."
    remediation = "..."
    effort_hours = 0.5            # an assumption; the catalog says so
    effort_by_path = { recapture = 0.0 }
    references = ["https://learn.microsoft.com/..."]
    aliases = []                  # former ids that still match waivers and policies

``conversion-paths.toml`` holds the base effort of each conversion path. Files from
``--rules DIR`` are read after the built-in ones: a rule with an existing id replaces it.
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from assess.engine.expressions import Condition, ExpressionError, compile_condition
from assess.facts.derive import FACT_BY_NAME
from assess.facts.support_matrix import MATRIX_FILE
from assess.model.assessment import CONVERSION_PATHS, SEVERITIES
from assess.model.catalog_files import builtin_rules_dir
from assess.model.diagnostics import InputError

PATHS_FILE = "conversion-paths.toml"
_ID = re.compile(r"^[A-Z][A-Z0-9]*[0-9]{3}$")
_KEYS = {
    "id",
    "title",
    "severity",
    "family",
    "when",
    "needs",
    "evidence",
    "rationale",
    "remediation",
    "effort_hours",
    "effort_by_path",
    "references",
    "aliases",
    "benefit",
}
FACT_TYPES = {name: fact.dtype for name, fact in FACT_BY_NAME.items()}


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    family: str
    condition: Condition
    needs: tuple[str, ...]
    evidence: str
    rationale: str
    remediation: str
    effort_hours: float
    effort_by_path: dict[str, float] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    origin: str = ""

    @property
    def when(self) -> str:
        return self.condition.text

    def names(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)


@dataclass(frozen=True)
class ConversionPath:
    name: str
    title: str
    effort_hours: float
    description: str


@dataclass(frozen=True)
class Catalog:
    rules: tuple[Rule, ...]
    paths: dict[str, ConversionPath]
    folders: tuple[Path, ...]

    def get(self, rule_id: str) -> Rule | None:
        wanted = rule_id.strip().upper()
        for rule in self.rules:
            if wanted in rule.names():
                return rule
        return None


def load_catalog(extra_folders: tuple[Path, ...] | list[Path] = ()) -> Catalog:
    """The built-in catalog plus the rules in ``extra_folders`` (later ones win)."""
    folders = (builtin_rules_dir(), *(Path(f) for f in extra_folders))
    rules: dict[str, Rule] = {}
    paths: dict[str, ConversionPath] = {}
    for folder in folders:
        if not folder.is_dir():
            raise InputError(folder, "rules folder not found")
        for file in sorted(folder.glob("*.toml")):
            if file.name == MATRIX_FILE:
                continue
            data = _read_toml(file)
            if file.name == PATHS_FILE:
                paths.update(_parse_paths(file, data))
                continue
            if "rule" not in data:
                raise InputError(file, "no [[rule]] tables in this rules file")
            for index, raw in enumerate(data["rule"], start=1):
                rule = parse_rule(raw, file, index)
                rules[rule.id] = rule
    missing = set(CONVERSION_PATHS) - set(paths)
    if missing:
        raise InputError(folders[0] / PATHS_FILE, f"no effort for paths {sorted(missing)}")
    _check_aliases(rules)
    return Catalog(tuple(sorted(rules.values(), key=_rule_order)), paths, tuple(folders))


def _rule_order(rule: Rule) -> tuple[int, str]:
    return (SEVERITIES.index(rule.severity), rule.id)


def _read_toml(file: Path) -> dict:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(file, f"not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(file, f"cannot read: {exc}") from None


def _parse_paths(file: Path, data: dict) -> dict[str, ConversionPath]:
    out = {}
    for name, raw in data.get("path", {}).items():
        if name not in CONVERSION_PATHS:
            raise InputError(file, f"[path.{name}]: unknown conversion path")
        try:
            out[name] = ConversionPath(
                name, raw["title"], float(raw["effort_hours"]), raw.get("description", "")
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(file, f"[path.{name}]: missing or bad key {exc}") from None
    return out


def parse_rule(raw: dict, file: Path, index: int) -> Rule:
    rule_id = str(raw.get("id", "")).strip()
    where = f"rule {rule_id or f'#{index}'}"

    def fail(message: str) -> InputError:
        return InputError(file, f"{where}: {message}")

    if not _ID.match(rule_id):
        raise fail("id must look like ABC123 (capitals, then three digits)")
    unknown = set(raw) - _KEYS
    if unknown:
        raise fail(f"unknown keys {sorted(unknown)}")
    for key in ("title", "severity", "family", "when", "rationale", "remediation"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise fail(f"'{key}' is required text")
    if raw["severity"] not in SEVERITIES:
        raise fail(f"severity must be one of {', '.join(SEVERITIES)}")
    try:
        condition = compile_condition(raw["when"], FACT_TYPES)
    except ExpressionError as exc:
        raise fail(f"when = {raw['when']!r}: {exc}") from None
    needs = tuple(raw.get("needs", condition.names))
    bad = [n for n in needs if n not in FACT_TYPES]
    if bad:
        raise fail(f"needs unknown facts {bad} (see 'assess rules --facts')")
    evidence = raw.get("evidence", "")
    for _, name, _, _ in string.Formatter().parse(evidence):
        if name and name not in FACT_TYPES:
            raise fail(f"evidence names unknown fact {{{name}}}")
    try:
        effort = float(raw.get("effort_hours", 0.0))
        by_path = {str(k): float(v) for k, v in raw.get("effort_by_path", {}).items()}
    except (TypeError, ValueError):
        raise fail("effort_hours and effort_by_path must be numbers") from None
    if set(by_path) - set(CONVERSION_PATHS):
        raise fail(
            f"effort_by_path names unknown paths {sorted(set(by_path) - set(CONVERSION_PATHS))}"
        )
    references = raw.get("references", [])
    if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
        raise fail("references must be a list of URLs")
    return Rule(
        id=rule_id,
        title=raw["title"].strip(),
        severity=raw["severity"],
        family=raw["family"].strip(),
        condition=condition,
        needs=needs,
        evidence=evidence,
        rationale=" ".join(raw["rationale"].split()),
        remediation=raw["remediation"].strip(),
        effort_hours=effort,
        effort_by_path=by_path,
        references=tuple(references),
        aliases=tuple(str(a).upper() for a in raw.get("aliases", [])),
        origin=str(file),
    )


def _check_aliases(rules: dict[str, Rule]) -> None:
    seen: dict[str, str] = {}
    for rule in rules.values():
        for alias in rule.aliases:
            if alias in rules or alias in seen:
                raise InputError(
                    rule.origin, f"rule {rule.id}: alias {alias} is already used by another rule"
                )
            seen[alias] = rule.id
