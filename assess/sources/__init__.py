"""Sources: each turns one kind of input into inventory tables.

A source module exposes ``sniff(path, head: bytes) -> bool`` (does this file look like mine?)
and ``load(path, os_names=None) -> SourceResult`` (``os_names``: the guest OS names in use,
for a source that checks OS names or architectures while reading; the built-in ones when
None). ``assess.sources.registry`` picks the module for a file and walks folders.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assess.model.diagnostics import RowWarning
from assess.model.inventory import Inventory


@dataclass
class SourceResult:
    """What one input produced: its tables, what was wrong with some rows, and a summary."""

    path: str
    kind: str  # template | getvm-csv | collector | azure-migrate | nri-hyperv-report | rvtools
    inventory: Inventory
    warnings: list[RowWarning] = field(default_factory=list)
    rows_read: int = 0
    truncated: bool = False  # collector output without its end record
    #: ``ok``, ``partial`` (some of it is missing) or ``failed`` (nothing usable), with why.
    #: A file that loads is ``ok`` (``partial`` when truncated); a scanned host says how its
    #: collection went.
    status: str = "ok"
    detail: str = ""
    #: What the reports should say about the input that is not a fault (e.g. VMware
    #: templates listed apart, not assessed).
    notes: list[str] = field(default_factory=list)
    #: Names of VMware templates listed apart (``--anonymize`` replaces them in the notes).
    templates: list[str] = field(default_factory=list)
