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

``conversion-paths.toml`` holds the base effort of each conversion path,
``reasons.toml`` the reasons to convert (``assess.reasons``) and ``os-names.toml`` the guest
OS names (``assess.model.os_name_data``: an extra folder's file adds to the built-in names).
The support matrix ``guest-os.toml`` is read from the built-in folder only. Files from
``--rules DIR`` are read after the built-in ones. A rule whose id is already taken is an
error unless it says ``replaces = "<that id>"``: replacing a core rule is then a visible
decision, never an accident of naming. A replacing rule with another id keeps the replaced
id as an alias, so waivers and policies that name it still match.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from assess.engine.evidence import OPTIONAL_PART, render_evidence
from assess.engine.expressions import Condition, ExpressionError, compile_condition
from assess.engine.reasons import REASONS_FILE, Reason, load_reasons
from assess.facts.derive import FACT_BY_NAME
from assess.facts.support_matrix import MATRIX_FILE
from assess.model.assessment import CONVERSION_PATHS, SEVERITIES
from assess.model.catalog_files import builtin_rules_dir
from assess.model.diagnostics import InputError
from assess.model.os_name_data import NAMES_FILE, OsNames, builtin_names, load_os_names

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
    "replaces",
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
    replaces: str | None = None

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
    reasons: tuple[Reason, ...] = ()
    #: The guest OS names: the built-in ones plus the ``os-names.toml`` of extra folders.
    os_names: OsNames = field(default_factory=builtin_names)

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
            if file.name in (MATRIX_FILE, NAMES_FILE, REASONS_FILE):
                continue
            data = _read_toml(file)
            if file.name == PATHS_FILE:
                paths.update(_parse_paths(file, data))
                continue
            if "rule" not in data:
                raise InputError(file, "no [[rule]] tables in this rules file")
            if not isinstance(data["rule"], list):
                raise InputError(file, "'rule' must be [[rule]] tables")
            for index, raw in enumerate(data["rule"], start=1):
                try:
                    rule = parse_rule(raw, file, index)
                except InputError as exc:
                    raise _with_line(exc, file, raw, index) from None
                except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
                    # A shape no check foresaw: still this rule's load error, never a crash.
                    error = InputError(file, f"rule #{index}: malformed ({type(exc).__name__})")
                    raise _with_line(error, file, raw, index) from None
                _add_rule(rules, rule)
    missing = set(CONVERSION_PATHS) - set(paths)
    if missing:
        raise InputError(folders[0] / PATHS_FILE, f"no effort for paths {sorted(missing)}")
    _check_aliases(rules)
    return Catalog(
        tuple(sorted(rules.values(), key=_rule_order)),
        paths,
        tuple(folders),
        load_reasons(folders),
        load_os_names(folders[1:]),
    )


def _add_rule(rules: dict[str, Rule], rule: Rule) -> None:
    """Add ``rule``; an id already taken needs ``replaces`` naming it."""
    if rule.replaces is not None:
        old = rules.pop(rule.replaces, None)
        if old is None:
            raise InputError(
                rule.origin,
                f"rule {rule.id}: replaces {rule.replaces}, which no earlier rules file defines",
            )
        if rule.id != old.id:
            if rule.id in rules:
                raise InputError(
                    rule.origin, f"rule {rule.id}: id already used by {rules[rule.id].origin}"
                )
            aliases = tuple(dict.fromkeys((*rule.aliases, old.id, *old.aliases)))
            rule = dataclasses.replace(rule, aliases=aliases)
    elif rule.id in rules:
        raise InputError(
            rule.origin,
            f"rule {rule.id}: id already used by {Path(rules[rule.id].origin).name}; "
            f'say replaces = "{rule.id}" to replace that rule, or choose another id',
        )
    rules[rule.id] = rule


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
    table = data.get("path", {})
    if not isinstance(table, dict):
        raise InputError(file, "'path' must be [path.NAME] tables")
    for name, raw in table.items():
        if name not in CONVERSION_PATHS:
            raise InputError(file, f"[path.{name}]: unknown conversion path")
        try:
            hours = _hours(raw["effort_hours"])
            if not isinstance(raw["title"], str) or not isinstance(raw.get("description", ""), str):
                raise TypeError("title and description must be text")
            out[name] = ConversionPath(name, raw["title"], hours, raw.get("description", ""))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(file, f"[path.{name}]: missing or bad key {exc}") from None
    return out


#: The most hours one rule or path may add: more is a typo (or a hostile file).
MAX_EFFORT_HOURS = 10_000.0


def _hours(value: object) -> float:
    """An effort in hours: a finite number from 0 to :data:`MAX_EFFORT_HOURS`."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TypeError(f"{value!r} is not a number of hours")
    hours = float(value)
    if not math.isfinite(hours) or not 0 <= hours <= MAX_EFFORT_HOURS:
        raise ValueError(f"{value!r}: hours must be from 0 to {MAX_EFFORT_HOURS:g}")
    return hours


def _with_line(exc: InputError, file: Path, raw: object, index: int) -> InputError:
    """The error with the line of the offending rule (tomllib gives none)."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return exc
    line = _rule_line(text, index)
    if line is None:
        return exc
    return InputError(f"{file}:{line}", exc.reason)


def _rule_line(text: str, index: int) -> int | None:
    """The line of the ``index``-th ``[[rule]]`` header (1-based), if there is one."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().replace(" ", "").startswith("[[rule]]"):
            seen += 1
            if seen == index:
                return number
    return None


def parse_rule(raw: dict, file: Path, index: int) -> Rule:
    if not isinstance(raw, dict):
        raise InputError(file, f"rule #{index}: must be a [[rule]] table")
    rule_id = str(raw.get("id", "")).strip()[:40]
    where = f"rule {rule_id or f'#{index}'}"

    def fail(message: str) -> InputError:
        return InputError(file, f"{where}: {message}")

    if not isinstance(raw.get("id"), str) or not _ID.match(rule_id):
        raise fail("id must look like ABC123 (capitals, then three digits)")
    unknown = set(raw) - _KEYS
    if unknown:
        raise fail(f"unknown keys {sorted(unknown)}")
    for key in ("title", "severity", "family", "when", "rationale", "remediation"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise fail(f"'{key}' is required text")
    for key in ("evidence", "benefit"):
        if key in raw and not isinstance(raw[key], str):
            raise fail(f"'{key}' must be text")
    for key in _KEYS - {"effort_hours", "effort_by_path", "needs", "references", "aliases"}:
        if isinstance(raw.get(key), str) and len(raw[key]) > MAX_TEXT_CHARS:
            raise fail(f"'{key}' is longer than {MAX_TEXT_CHARS:,} characters")
    if raw["severity"] not in SEVERITIES:
        raise fail(f"severity must be one of {', '.join(SEVERITIES)}")
    try:
        condition = compile_condition(raw["when"], FACT_TYPES)
    except ExpressionError as exc:
        raise fail(f"when = {raw['when'][:200]!r}: {exc}") from None
    needs_raw = raw.get("needs", condition.names)
    if isinstance(needs_raw, str):
        needs_raw = [needs_raw]
    if not isinstance(needs_raw, list | tuple) or not all(isinstance(n, str) for n in needs_raw):
        raise fail("'needs' must be a list of fact names")
    needs = tuple(needs_raw)
    bad = [n for n in needs if n not in FACT_TYPES]
    if bad:
        raise fail(f"needs unknown facts {bad[:5]} (see 'assess rules --facts')")
    evidence = raw.get("evidence", "")
    for key, template in (("evidence", evidence), ("title", raw["title"])):
        problem = _template_problem(template if key == "title" or template else "")
        if problem:
            raise fail(f"{key} {problem}")
    try:
        effort = _hours(raw.get("effort_hours", 0.0))
        by_path_raw = raw.get("effort_by_path", {})
        if not isinstance(by_path_raw, dict):
            raise TypeError("effort_by_path must be a table")
        by_path = {str(k): _hours(v) for k, v in by_path_raw.items()}
    except (TypeError, ValueError) as exc:
        raise fail(f"effort_hours and effort_by_path must be numbers of hours ({exc})") from None
    if set(by_path) - set(CONVERSION_PATHS):
        raise fail(
            f"effort_by_path names unknown paths {sorted(set(by_path) - set(CONVERSION_PATHS))}"
        )
    replaces = raw.get("replaces")
    if replaces is not None and (not isinstance(replaces, str) or not _ID.match(replaces.strip())):
        raise fail("replaces must name a rule id (such as BOOT003)")
    references = raw.get("references", [])
    if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
        raise fail("references must be a list of URLs")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise fail("aliases must be a list of rule ids")
    rule = Rule(
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
        aliases=tuple(str(a).upper() for a in aliases),
        origin=str(file),
        replaces=replaces.strip() if replaces else None,
    )
    problem = _probe(rule)
    if problem:
        raise fail(f"when = {raw['when'][:200]!r} fails on sample facts: {problem}")
    return rule


#: The longest text a rule's title, texts or condition may have.
MAX_TEXT_CHARS = 20_000


def _template_problem(template: str) -> str | None:
    """What is wrong with an evidence template (``{fact}`` fields, ``[...]`` optional
    parts), or None. Checked as the engine reads it: whole, and each part."""
    parts = [template, OPTIONAL_PART.sub(r"\1", template)]
    parts += [m.group(1) for m in OPTIONAL_PART.finditer(template)]
    for part in parts:
        try:
            fields = list(string.Formatter().parse(part))
        except ValueError as exc:
            return f"not a valid template ({exc}); write {{{{ and }}}} for braces"
        for _, name, _, _ in fields:
            if name is not None and name not in FACT_TYPES:
                return f"names unknown fact {{{name[:60]}}}"
    return None


def _probe(rule: Rule) -> str | None:
    """Evaluate the rule once on sample facts (unknown, zero/empty, typical): an error that
    would only show mid-run is a load error of this rule instead."""
    frame = _probe_frame()
    try:
        result = rule.condition.evaluate(frame)
        result.fillna(False).to_numpy(dtype=bool)
        render_evidence(rule.evidence or rule.title, frame)
    except Exception as exc:  # any error here is the rule's, reported at load
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


@functools.lru_cache(maxsize=1)
def _probe_frame() -> pd.DataFrame:
    samples = {
        "number": [pd.NA, 0, 1],
        "bool": [pd.NA, False, True],
        "text": [pd.NA, "", "Windows Server 2019"],
    }
    columns = {}
    for name, dtype in FACT_TYPES.items():
        kind = (
            "number"
            if str(dtype) in {"Int64", "Float64", "int64", "float64"}
            else "bool"
            if dtype == "boolean"
            else "text"
        )
        try:
            columns[name] = pd.Series(samples[kind], dtype=dtype)
        except (TypeError, ValueError):
            columns[name] = pd.Series([pd.NA] * 3, dtype="object")
    return pd.DataFrame(columns)


def _check_aliases(rules: dict[str, Rule]) -> None:
    seen: dict[str, str] = {}
    for rule in rules.values():
        for alias in rule.aliases:
            if alias in rules or alias in seen:
                raise InputError(
                    rule.origin, f"rule {rule.id}: alias {alias} is already used by another rule"
                )
            seen[alias] = rule.id
