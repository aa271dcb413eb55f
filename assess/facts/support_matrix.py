"""The guest-OS support matrix (``rules/guest-os.toml``): which guests boot on Generation 2,
with Secure Boot or not, and by which conversion path."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
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

    def span(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The versions this entry covers, as an inclusive range of padded tuples."""
        low = _padded(self.min, _WIDTH, 0) if self.min is not None else _LOWEST
        high = _padded(self.max, _WIDTH, _TOP) if self.max is not None else _HIGHEST
        return low, high

    def same_outcome(self, other: SupportEntry) -> bool:
        return (self.gen2, self.secure_boot, self.path) == (
            other.gen2,
            other.secure_boot,
            other.path,
        )

    @property
    def label(self) -> str:
        low = ".".join(map(str, self.min)) if self.min else ""
        high = ".".join(map(str, self.max)) if self.max else ""
        return f"{self.distro} {low}-{high}".strip()


def _padded(version: tuple[int, ...], length: int, fill: int = 0) -> tuple[int, ...]:
    return version + (fill,) * max(0, length - len(version))


#: Parts compared when a version is read as a range ("7" covers 7.0 ... 7.x.y.z).
_WIDTH = 6
_TOP = 2**62
_LOWEST = (-1,) * _WIDTH
_HIGHEST = (_TOP,) * _WIDTH


def version_span(version: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """ "12" stands for any 12.x: the range from 12.0 to 12.<anything>; () for any version."""
    if not version:
        return _LOWEST, _HIGHEST
    return _padded(version[:_WIDTH], _WIDTH, 0), _padded(version[:_WIDTH], _WIDTH, _TOP)


@dataclass(frozen=True)
class SupportMatrix:
    entries: tuple[SupportEntry, ...]

    def lookup(self, distro: str | None, version_key: str | None) -> SupportEntry | None:
        """The entry that decides this distro and version; None when the distro is unlisted
        or the version does not settle it.

        A version stands for every release it could be: "12" is any 12.x, no version is any
        release. The first entry that covers all of them decides, provided every entry
        before it that covers some of them says the same (Gen 2, Secure Boot, path). So an
        unknown release never lands on a row that has only an upper bound, and "SLES 12"
        (SP0 no, SP1+ yes) stays unknown. Rows that together cover a version and say the
        same ("RHEL 7": 7.0-7.3 and 7.4+) decide it as one."""
        if not distro:
            return None
        version = version_tuple(version_key) if version_key else ()
        low, high = version_span(version)
        partial: list[SupportEntry] = []
        for entry in self.entries:
            if entry.distro != distro:
                continue
            e_low, e_high = entry.span()
            if e_low <= low and high <= e_high:
                if all(entry.same_outcome(p) for p in partial):
                    return entry
                return None
            if low <= e_high and e_low <= high:
                partial.append(entry)
        if version and partial and all(partial[0].same_outcome(p) for p in partial):
            # "RHEL 7": 7.0-7.3 and 7.4+ are separate rows that say the same.
            lows = [p.min for p in partial]
            highs = [p.max for p in partial]
            return replace(
                partial[0],
                min=None if None in lows else min(lows),  # type: ignore[type-var]
                max=None if None in highs else max(highs),  # type: ignore[type-var]
                note=next((p.note for p in partial if p.note), ""),
            )
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
