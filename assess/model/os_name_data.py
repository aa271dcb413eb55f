"""The names ``identify_os`` reads: ``os-names.toml`` files, checked and merged.

The built-in file (``rules/os-names.toml``) has every section. An ``os-names.toml`` in a
``--rules`` folder (or a policy's rule folder) holds only the sections it adds, and is
merged into the built-in names, folder by folder (a later folder wins):

- ``[[os]]`` entries: tried before the earlier ones (the built-in entries come last), so
  an extra entry can also change how a phrase the built-in list knows is read;
- ``[arch.field]``, ``[arch.in_name]``: each word listed means its architecture; a word
  an earlier file gave another architecture takes the later one;
- ``[windows]`` tables (``server_key``, ``short_year``, ``editions`` ...): key by key, a
  later file's key wins; lists (``server_64bit_only``, ``client_64bit_only``): appended;
  ``[[windows.client_build]]`` and ``[[windows.server_build]]``: added, a later row with
  the same build number replaces the earlier one.

A malformed file is an ``InputError`` naming the file (with the line of an ``[[os]]`` or
build entry) and the key, checked before any VM is read. The merged names are one object
(``OsNames``), built once per run; the built-in one is built once per process.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from assess.model.catalog_files import builtin_rules_dir
from assess.model.diagnostics import InputError
from assess.model.os_tokens import MAX_NAME, arch_key, tokens

NAMES_FILE = "os-names.toml"
ARCHITECTURES = ("x64", "x86", "arm64", "arm", "ia64")
#: Families an ``[[os]]`` entry may have (Windows is read by its own rules, not entries).
OS_FAMILIES = ("linux", "freebsd", "unsupported", "other")


@dataclass(frozen=True)
class OsEntry:
    """One ``[[os]]`` entry: the phrases that name an operating system, and its releases."""

    phrases: tuple[tuple[str, ...], ...]
    distro: str
    family: str
    display: str
    name_from_match: bool
    releases: tuple[int, int] | None
    codenames: dict[str, str]
    kernel_release: bool
    rolling: bool


@dataclass(frozen=True, eq=False)
class OsNames:
    """Everything the identifier knows about names, as read from one or more files.
    Compared and hashed by identity: one object per set of files read."""

    arch_field: dict[str, str]
    arch_unknown: frozenset[str]
    arch_in_name: dict[str, str]
    server_by_version: dict[str, str]
    client_by_version: dict[str, str]
    server_64bit_only: frozenset[str]
    client_64bit_only: frozenset[str]
    client_builds: tuple[tuple[int, str, str], ...]  # (build, release, feature), ascending
    server_builds: tuple[tuple[int, str, str], ...]  # (build, release, key), ascending
    ltsc: dict[str, int]
    server_year_alias: dict[str, str]
    server_key: dict[str, str]
    client_key: dict[str, str]
    short_year: dict[str, str]
    editions: tuple[tuple[tuple[str, ...], str], ...]
    entries: tuple[OsEntry, ...]
    first_tokens: dict[str, tuple[tuple[int, tuple[str, ...]], ...]]
    #: feature update id ("1809", "21h2") -> [(build, release)] (21H2 and 22H2 exist twice)
    features: dict[str, list[tuple[int, str]]]
    #: The ``os-names.toml`` files merged into the built-in names, in the order read.
    extra_files: tuple[str, ...] = ()


@cache
def builtin_names() -> OsNames:
    """The names of the built-in ``os-names.toml`` (read once per process)."""
    return _build(_read_layer(builtin_rules_dir() / NAMES_FILE, complete=True), ())


def load_os_names(extra_folders: Iterable[Path | str] = ()) -> OsNames:
    """The built-in names plus the ``os-names.toml`` of each folder that has one, merged
    in folder order; the built-in object itself when no folder has one."""
    files = [Path(folder) / NAMES_FILE for folder in extra_folders]
    files = [file for file in files if file.is_file()]
    if not files:
        return builtin_names()
    merged = _read_layer(builtin_rules_dir() / NAMES_FILE, complete=True)
    distros = frozenset(entry.distro for entry in merged.entries)
    for file in files:
        extra = _read_layer(file, complete=False, distros=distros)
        if extra.empty():
            raise InputError(file, "no [[os]], [arch.*] or [windows] names in this file")
        merged.add(extra)
        _check_references(merged, extra, file)
    return _build(merged, tuple(str(file) for file in files))


# --------------------------------------------------------------------------- one file

_WINDOWS_TABLES = (
    "server_by_version",
    "client_by_version",
    "server_year_alias",
    "server_key",
    "client_key",
    "short_year",
    "editions",
)
_WINDOWS_LISTS = ("server_64bit_only", "client_64bit_only")
#: Build rows and the name of their third key.
_WINDOWS_BUILDS = {"client_build": "feature", "server_build": "key"}
_WINDOWS_KEYS = {*_WINDOWS_TABLES, *_WINDOWS_LISTS, *_WINDOWS_BUILDS, "ltsc"}
#: What the built-in file must have (``server_year_alias`` may be absent).
_REQUIRED_WINDOWS = _WINDOWS_KEYS - {"server_year_alias"}
_ENTRY_KEYS = {
    "match",
    "distro",
    "family",
    "display",
    "name_from_match",
    "releases",
    "codenames",
    "kernel_release",
    "rolling",
}
_DOTTED = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_NT_VERSION = re.compile(r"^[0-9]+\.[0-9]+$")
_LTSC = re.compile(r"^(10|11) [0-9]{4}$")


@dataclass
class _Layer:
    """What one file says, checked; ``add`` merges a later file into it."""

    arch: dict[str, dict[str, str]] = field(
        default_factory=lambda: {"field": {}, "in_name": {}}
    )  # "field" | "in_name" -> word -> architecture ("unknown" in "field")
    tables: dict[str, dict[str, str]] = field(
        default_factory=lambda: {name: {} for name in _WINDOWS_TABLES}
    )
    lists: dict[str, list[str]] = field(
        default_factory=lambda: {name: [] for name in _WINDOWS_LISTS}
    )
    builds: dict[str, dict[int, tuple[str, str]]] = field(
        default_factory=lambda: {name: {} for name in _WINDOWS_BUILDS}
    )
    ltsc: dict[str, int] = field(default_factory=dict)
    entries: list[OsEntry] = field(default_factory=list)

    def empty(self) -> bool:
        sections = (self.arch, self.tables, self.lists, self.builds)
        filled = any(part for section in sections for part in section.values())
        return not (filled or self.ltsc or self.entries)

    def add(self, later: _Layer) -> None:
        for part, words in later.arch.items():
            self.arch[part].update(words)
        for name, table in later.tables.items():
            self.tables[name].update(table)
        for name, items in later.lists.items():
            self.lists[name] += [item for item in items if item not in self.lists[name]]
        for name, rows in later.builds.items():
            self.builds[name].update(rows)
        self.ltsc.update(later.ltsc)
        self.entries[:0] = later.entries


def _read_layer(file: Path, *, complete: bool, distros: frozenset[str] = frozenset()) -> _Layer:
    """One file, checked. ``complete``: every section must be there (the built-in file);
    ``distros``: the ``distro`` keys an entry may name (any when empty)."""
    try:
        text = file.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(file, f"not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(file, f"cannot read: {exc}") from None
    reader = _FileReader(file, text, distros)
    unknown = sorted(set(data) - {"arch", "windows", "os"})
    if unknown:
        raise reader.error(f"unknown section(s) {unknown}: expected [arch.*], [windows], [[os]]")
    layer = _Layer()
    reader.arch(data, layer, complete)
    reader.windows(data, layer, complete)
    if "os" in data or complete:
        raw_entries = data.get("os")
        if not isinstance(raw_entries, list) or not raw_entries:
            raise reader.error("'os' must be [[os]] tables")
        layer.entries = [reader.entry(raw, index) for index, raw in enumerate(raw_entries, 1)]
    return layer


class _FileReader:
    """Checks the sections of one file; every complaint names the file and the key."""

    def __init__(self, file: Path, text: str, distros: frozenset[str]) -> None:
        self.file = file
        self.source = text
        self.distros = distros

    def error(self, message: str, header: str = "", index: int = 0) -> InputError:
        line = _header_line(self.source, header, index) if header else None
        return InputError(f"{self.file}:{line}" if line else self.file, message)

    # ---- [arch.field], [arch.in_name]

    def arch(self, data: dict[str, Any], layer: _Layer, complete: bool) -> None:
        arch = data.get("arch", {})
        if not isinstance(arch, dict):
            raise self.error("'arch' must be [arch.field] and [arch.in_name] tables")
        unknown = sorted(set(arch) - {"field", "in_name"})
        if unknown:
            raise self.error(f"[arch]: unknown key(s) {unknown}: expected field, in_name")
        for part in ("field", "in_name"):
            if part not in arch:
                if complete:
                    raise self.error(f"[arch.{part}] is missing")
                continue
            values = (*ARCHITECTURES, "unknown") if part == "field" else ARCHITECTURES
            table = arch[part]
            if not isinstance(table, dict):
                raise self.error(f"[arch.{part}] must be a table of architecture = [words]")
            for value, words in table.items():
                where = f"[arch.{part}] {value}"
                if value not in values:
                    raise self.error(f"{where}: not an architecture ({', '.join(values)})")
                for word in self.texts(words, where):
                    if part == "field":
                        key = arch_key(word)
                    else:
                        found = tokens(word)
                        if len(found) != 1:
                            raise self.error(f"{where}: {word!r} is not one word")
                        key = found[0]
                    layer.arch[part][key] = value

    # ---- [windows]

    def windows(self, data: dict[str, Any], layer: _Layer, complete: bool) -> None:
        win = data.get("windows", {})
        if not isinstance(win, dict):
            raise self.error("'windows' must be a [windows] table")
        unknown = sorted(set(win) - _WINDOWS_KEYS)
        if unknown:
            raise self.error(
                f"[windows]: unknown key(s) {unknown}; known: {', '.join(sorted(_WINDOWS_KEYS))}"
            )
        missing = sorted(_REQUIRED_WINDOWS - set(win)) if complete else []
        if missing:
            raise self.error(f"[windows]: missing {missing}")
        for name in _WINDOWS_TABLES:
            if name in win:
                layer.tables[name] = self.windows_table(name, win[name])
        for name in _WINDOWS_LISTS:
            if name in win:
                layer.lists[name] = list(self.texts(win[name], f"[windows] {name}"))
        for name, third in _WINDOWS_BUILDS.items():
            if name in win:
                layer.builds[name] = self.builds(name, third, win[name])
        if "ltsc" in win:
            layer.ltsc = self.ltsc(win["ltsc"])

    def windows_table(self, name: str, table: object) -> dict[str, str]:
        where = f"[windows.{name}]"
        if not isinstance(table, dict):
            raise self.error(f'{where} must be a table of "name" = "value"')
        out = {}
        for key, value in table.items():
            value = self.text(value, f"{where} {key!r}")
            if name in ("server_key", "client_key") and not _DOTTED.match(value):
                raise self.error(
                    f"{where} {key!r}: {value!r} is not a support-matrix key (a dotted "
                    'number such as "2012.2")'
                )
            if name in ("server_by_version", "client_by_version") and not _NT_VERSION.match(key):
                raise self.error(f'{where} {key!r}: not an NT version such as "6.3"')
            if name == "editions":
                words = tokens(key)
                if not words:
                    raise self.error(f"{where} {key!r}: no words to match")
                key = " ".join(words)
            elif name in ("short_year", "server_year_alias"):
                key = key.lower()  # compared with the lower-case words of a name
            out[key] = value
        return out

    def builds(self, name: str, third: str, rows: object) -> dict[int, tuple[str, str]]:
        header = f"[[windows.{name}]]"
        if not isinstance(rows, list):
            raise self.error(f"'{name}' must be {header} tables")
        out = {}
        for index, row in enumerate(rows, start=1):
            where = f"{header} entry {index}"
            if not isinstance(row, dict):
                raise self.error(f"{where}: must be a table", header, index)
            unknown = sorted(set(row) - {"build", "release", third})
            if unknown:
                raise self.error(f"{where}: unknown key(s) {unknown}", header, index)
            build = _number(row.get("build"))
            if not build:
                raise self.error(f"{where}: 'build' must be a build number", header, index)
            try:
                release = self.text(row.get("release"), "'release'")
                other = self.text(row.get(third), f"'{third}'")
            except InputError as exc:
                raise self.error(f"{where}: {exc.reason}", header, index) from None
            if name == "client_build" and release not in ("10", "11"):
                raise self.error(f'{where}: \'release\' must be "10" or "11"', header, index)
            if name == "server_build" and not _DOTTED.match(other):
                raise self.error(
                    f"{where}: 'key' {other!r} is not a support-matrix key (a dotted number "
                    'such as "2019.1903")',
                    header,
                    index,
                )
            out[build] = (release, other)
        return out

    def ltsc(self, table: object) -> dict[str, int]:
        if not isinstance(table, dict):
            raise self.error('[windows.ltsc] must be a table of "10 2021" = build')
        out = {}
        for key, build in table.items():
            if not _LTSC.match(key):
                raise self.error(f'[windows.ltsc] {key!r}: not "10 <year>" or "11 <year>"')
            number = _number(build)
            if not number:
                raise self.error(f"[windows.ltsc] {key!r}: not a build number")
            out[key] = number
        return out

    # ---- [[os]]

    def entry(self, raw: object, index: int) -> OsEntry:
        where = f"[[os]] entry {index}"
        if not isinstance(raw, dict):
            raise self.error(f"{where}: must be a table", "[[os]]", index)
        try:
            return self._entry(raw)
        except InputError as exc:
            raise self.error(f"{where}: {exc.reason}", "[[os]]", index) from None

    def _entry(self, raw: dict[str, Any]) -> OsEntry:
        unknown = sorted(set(raw) - _ENTRY_KEYS)
        if unknown:
            raise InputError(self.file, f"unknown key(s) {unknown}")
        phrases = []
        for phrase in self.texts(raw.get("match"), "'match'"):
            if "*" in phrase:
                raise InputError(self.file, f"'match' {phrase!r}: '*' (a prefix) is not read")
            words = tuple(tokens(phrase))
            if not words:
                raise InputError(self.file, f"'match' {phrase!r}: no words to match")
            phrases.append(words)
        if not phrases:
            raise InputError(self.file, "'match' must list at least one phrase")
        distro = self.text(raw.get("distro"), "'distro'")
        if self.distros and distro not in self.distros:
            # The support matrix is built in: a distro it does not know would never get a
            # verdict, and a typo ("rehl") would pass unseen.
            raise InputError(
                self.file,
                f"'distro' {distro!r} is not one the tool judges; one of "
                f"{', '.join(sorted(self.distros))}",
            )
        family = raw.get("family")
        if family not in OS_FAMILIES:
            raise InputError(self.file, f"'family' must be one of {', '.join(OS_FAMILIES)}")
        flags = {}
        for key in ("name_from_match", "kernel_release", "rolling"):
            flags[key] = raw.get(key, False)
            if not isinstance(flags[key], bool):
                raise InputError(self.file, f"'{key}' must be true or false")
        display = raw.get("display", "")
        if not isinstance(display, str) or len(display) > MAX_NAME:
            raise InputError(self.file, "'display' must be text")
        if not display.strip() and not flags["name_from_match"]:
            raise InputError(self.file, "'display' is required unless name_from_match = true")
        return OsEntry(
            phrases=tuple(phrases),
            distro=distro,
            family=family,
            display=display.strip(),
            name_from_match=flags["name_from_match"],
            releases=self.releases(raw.get("releases", [])),
            codenames=self.codenames(raw.get("codenames", {})),
            kernel_release=flags["kernel_release"],
            rolling=flags["rolling"],
        )

    def releases(self, bounds: object) -> tuple[int, int] | None:
        if bounds == []:
            return None
        if isinstance(bounds, list) and len(bounds) == 2:
            low, high = _number(bounds[0]), _number(bounds[1])
            if low is not None and high is not None and low <= high:
                return low, high
        raise InputError(
            self.file, "'releases' must be [lowest, highest] major release numbers, or []"
        )

    def codenames(self, table: object) -> dict[str, str]:
        if not isinstance(table, dict):
            raise InputError(self.file, "'codenames' must be a table of name = \"release\"")
        out = {}
        for name, release in table.items():
            release = self.text(release, f"'codenames' {name!r}")
            words = tokens(name)
            if len(words) != 1 or not _DOTTED.match(release):
                raise InputError(
                    self.file, f"'codenames' {name!r}: one word = a release such as \"22.04\""
                )
            out[words[0]] = release
        return out

    # ---- values

    def text(self, value: object, where: str) -> str:
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
            raise InputError(self.file, f"{where} must be text (1 to {MAX_NAME} characters)")
        return value.strip()

    def texts(self, values: object, where: str) -> list[str]:
        if not isinstance(values, list):
            raise InputError(self.file, f"{where} must be a list of text")
        return [self.text(value, where) for value in values]


def _number(value: object) -> int | None:
    """A whole number from 0 to 10**9 (a build or a release), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9:
        return value
    return None


def _header_line(text: str, header: str, index: int) -> int | None:
    """The line of the ``index``-th ``header`` (``[[os]]``), 1-based; tomllib gives none."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().replace(" ", "").startswith(header):
            seen += 1
            if seen == index:
                return number
    return None


def _check_references(merged: _Layer, extra: _Layer, file: Path) -> None:
    """Releases an extra file names must have a support-matrix key once merged: a Windows
    release without one would leave every VM that has it unknown, without a word why."""
    checks = (
        ("server_by_version", "server_key"),
        ("server_year_alias", "server_key"),
        ("client_by_version", "client_key"),
    )
    for name, keys in checks:
        for key, release in extra.tables[name].items():
            if release not in merged.tables[keys]:
                raise InputError(
                    file,
                    f"[windows.{name}] {key!r}: {release!r} has no [windows.{keys}] entry",
                )


# --------------------------------------------------------------------------- build


def _build(layer: _Layer, extra_files: tuple[str, ...]) -> OsNames:
    field_words = layer.arch["field"]
    first: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
    for index, entry in enumerate(layer.entries):
        for phrase in entry.phrases:
            first.setdefault(phrase[0], []).append((index, phrase))
    client_rows = layer.builds["client_build"].items()
    client_builds = tuple(sorted((build, *row) for build, row in client_rows))
    features: dict[str, list[tuple[int, str]]] = {}
    for build, release, feature in client_builds:
        features.setdefault(feature.lower(), []).append((build, release))
    tables = layer.tables
    return OsNames(
        arch_field={word: value for word, value in field_words.items() if value != "unknown"},
        arch_unknown=frozenset(word for word, value in field_words.items() if value == "unknown"),
        arch_in_name=dict(layer.arch["in_name"]),
        server_by_version=dict(tables["server_by_version"]),
        client_by_version=dict(tables["client_by_version"]),
        server_64bit_only=frozenset(layer.lists["server_64bit_only"]),
        client_64bit_only=frozenset(layer.lists["client_64bit_only"]),
        client_builds=client_builds,
        server_builds=tuple(sorted((b, *row) for b, row in layer.builds["server_build"].items())),
        ltsc=dict(layer.ltsc),
        server_year_alias=dict(tables["server_year_alias"]),
        server_key=dict(tables["server_key"]),
        client_key=dict(tables["client_key"]),
        short_year=dict(tables["short_year"]),
        editions=tuple((tuple(k.split(" ")), shown) for k, shown in tables["editions"].items()),
        entries=tuple(layer.entries),
        first_tokens={word: tuple(found) for word, found in first.items()},
        features=features,
        extra_files=extra_files,
    )
