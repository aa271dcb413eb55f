"""Header matching: which input column holds which field.

Headers match ignoring case, spaces, ``_`` and ``-`` (``VM Name``, ``vm_name`` and ``VMName``
are the same). Each field lists the headers it accepts, best first; when an input has two
candidates (a Get-VM export has both ``VMName`` and ``Name``) the earlier alias wins, and a
column serves one field only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from assess.sources.cell_values import enum_key


def header_key(text: str) -> str:
    """The comparison key of a header: ``" VM_Name "`` -> ``"vmname"``."""
    return enum_key(text.strip().lstrip("\ufeff").strip('"'))


@dataclass(frozen=True)
class HeaderMatch:
    """The result of matching: field -> column position, and what was left over."""

    columns: dict[str, int]
    headers: list[str]
    unused: list[str] = field(default_factory=list)

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def header(self, name: str) -> str:
        """The header as written in the input for a matched field."""
        return self.headers[self.columns[name]]


def match_headers(headers: Sequence[str], fields: Mapping[str, Sequence[str]]) -> HeaderMatch:
    """Match ``headers`` (as written in the input) to ``fields`` (name -> accepted headers).

    Fields are served in the order given; a column already taken is not offered again.
    """
    positions: dict[str, int] = {}
    for position, header in enumerate(headers):
        positions.setdefault(header_key(header), position)
    taken: set[int] = set()
    columns: dict[str, int] = {}
    for name, aliases in fields.items():
        for alias in aliases:
            found = positions.get(header_key(alias))
            if found is not None and found not in taken:
                columns[name] = found
                taken.add(found)
                break
    unused = [h for i, h in enumerate(headers) if i not in taken and header_key(h)]
    return HeaderMatch(columns=columns, headers=list(headers), unused=unused)


def count_known(headers: Sequence[str], known: Sequence[str]) -> int:
    """How many of ``known`` appear among ``headers`` (for sniffing)."""
    keys = {header_key(h) for h in headers}
    return sum(1 for name in known if header_key(name) in keys)
