"""The guest-OS support matrix (``rules/guest-os.toml``): which guests boot on Generation 2,
with Secure Boot or not, and by which conversion path."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from assess.model.catalog_files import builtin_rules_dir
from assess.model.diagnostics import InputError

MATRIX_FILE = "guest-os.toml"


def version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for part in str(text).split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


@dataclass(frozen=True)
class SupportEntry:
    distro: str
    min: tuple[int, ...] | None
    max: tuple[int, ...] | None
    gen2: str
    secure_boot: str
    path: str
    note: str

    def matches(self, distro: str, version: tuple[int, ...]) -> bool:
        if distro != self.distro:
            return False
        if self.min is not None and not version:
            return False
        if self.min is not None and _padded(version, len(self.min)) < self.min:
            return False
        # A bound of "7.3" covers 7.3.x: compare only as many parts as the bound has.
        return not (self.max is not None and version[: len(self.max)] > self.max)

    @property
    def label(self) -> str:
        low = ".".join(map(str, self.min)) if self.min else ""
        high = ".".join(map(str, self.max)) if self.max else ""
        return f"{self.distro} {low}-{high}".strip()


def _padded(version: tuple[int, ...], length: int) -> tuple[int, ...]:
    return version + (0,) * max(0, length - len(version))


@dataclass(frozen=True)
class SupportMatrix:
    entries: tuple[SupportEntry, ...]

    def lookup(self, distro: str | None, version_key: str | None) -> SupportEntry | None:
        """The first entry for this distro and version; None when the distro is unlisted or
        the version unknown and no open-ended entry covers it."""
        if not distro:
            return None
        version = version_tuple(version_key) if version_key else ()
        for entry in self.entries:
            if entry.matches(distro, version):
                return entry
        return None

    def newest_listed(self, distro: str) -> tuple[int, ...] | None:
        bounds = [b for e in self.entries if e.distro == distro and (b := e.max or e.min)]
        return max(bounds) if bounds else None

    @classmethod
    def load(cls, folder: Path | None = None) -> SupportMatrix:
        path = (folder or builtin_rules_dir()) / MATRIX_FILE
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError(path, f"cannot read the guest OS support matrix: {exc}") from None
        entries = []
        for index, raw in enumerate(data.get("os", []), start=1):
            try:
                entries.append(
                    SupportEntry(
                        distro=raw["distro"],
                        min=version_tuple(raw["min"]) if "min" in raw else None,
                        max=version_tuple(raw["max"]) if "max" in raw else None,
                        gen2=raw["gen2"],
                        secure_boot=raw["secure_boot"],
                        path=raw["path"],
                        note=raw.get("note", ""),
                    )
                )
            except KeyError as exc:
                raise InputError(path, f"[[os]] entry {index} lacks key {exc}") from None
        return cls(tuple(entries))
