"""Which source reads which file, and walking folders of inputs.

A file's kind is decided by its content, not its name: each source module's ``sniff`` looks
at the first bytes (or a workbook's header rows), most specific first. A file named on the
command line that no source recognises is an error; inside a folder, data files (``.csv``,
``.xlsx``, ``.json``, ...) must be recognised too, while other files (``.md``, ``.ps1``,
``.txt`` notes) are passed over. Hidden files, ``reports``-like output folders, Excel lock
files, README files and this tool's own outputs are always skipped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

from assess.model.diagnostics import InputError, RowWarning
from assess.model.inventory import Inventory
from assess.model.os_identity import OsNames
from assess.model.vocabulary import InputStatus
from assess.sources import (
    SourceResult,
    azure_migrate,
    collector_records,
    getvm_csv,
    nri_report,
    rvtools,
    table_files,
    template,
    text_files,
)

#: Most specific first: a Get-VM export would also pass as a template.
SOURCES: tuple[ModuleType, ...] = (
    collector_records,
    rvtools,
    getvm_csv,
    template,
    azure_migrate,
    nri_report,
)

#: Files inside a folder that must be readable inputs.
DATA_SUFFIXES = frozenset(
    {".csv", ".tsv", ".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".json", ".jsonl", ".ndjson"}
)
#: Files inside a folder that are read when recognised and passed over otherwise.
MAYBE_SUFFIXES = frozenset({".txt", ".log", ".out"})
#: Folders that hold outputs, not inputs.
SKIPPED_FOLDERS = frozenset({"reports", "report", "output", "outputs", "__pycache__"})
_OWN_OUTPUT_NAME = re.compile(r"^gen2-assessment-.*\.(xlsx|json|csv)$", re.IGNORECASE)
_OWN_OUTPUT_COLUMNS = {"verdict", "conversionpath", "findingids"}

ProgressCallback = Callable[[str, int, int], None]


def load_sources(
    paths: Sequence[str],
    *,
    on_progress: ProgressCallback | None = None,
    os_names: OsNames | None = None,
) -> list[SourceResult]:
    """Read every input: files as given, folders walked (sorted, recursively).

    ``on_progress(path, done, total)`` is called after each file is read. ``os_names``
    are the guest OS names in use (the built-in ones plus those of ``--rules`` folders,
    ``load_os_names``): the sources that check OS names and architectures read them with
    these; the built-in ones when None. Raises
    ``InputError`` for a missing path, an empty, binary or unrecognised file named on the
    command line, or a folder without any inventory file; never another exception for bad
    content. A data file inside a folder that is not an inventory is skipped: its result
    has status ``skipped``, the reason, and a warning (the run ends with exit 3).
    """
    plan = plan_inputs(paths)
    results = []
    for done, (path, module) in enumerate(plan, start=1):
        if isinstance(module, InputError):
            results.append(skipped_result(path, module.reason))
        else:
            results.append(module.load(path, os_names))
        if on_progress is not None:
            on_progress(path, done, len(plan))
    return results


def skipped_result(path: str, reason: str) -> SourceResult:
    """A file in a folder that is not an inventory: nothing read, and it says why."""
    return SourceResult(
        path=path,
        kind="unrecognised",
        inventory=Inventory(),
        warnings=[RowWarning(path, None, None, f"skipped, not an inventory: {reason}")],
        status=InputStatus.SKIPPED,
        detail=f"skipped: {reason}",
    )


def plan_inputs(paths: Sequence[str]) -> list[tuple[str, ModuleType | InputError]]:
    """``(file, source module)`` for every input file, in reading order, without repeats;
    a data file in a folder that no source reads comes with the ``InputError`` instead."""
    plan: list[tuple[str, ModuleType | InputError]] = []
    seen: set[str] = set()

    def add(path: str, module: ModuleType | InputError) -> None:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            plan.append((path, module))

    for path in paths:
        if os.path.isdir(path):
            found = _folder(path)
            if not any(not isinstance(module, InputError) for _, module in found):
                why = next((f"; {m}" for _, m in found if isinstance(m, InputError)), "")
                raise InputError(
                    path, f"no inventory file in this folder (.csv, .xlsx, .json, .jsonl){why}"
                )
            for file, module in found:
                add(file, module)
        elif os.path.exists(path):
            add(path, source_for(path))
        else:
            raise InputError(path, "no such file or folder")
    return plan


def source_for(path: str) -> ModuleType:
    """The source module that reads ``path``; ``InputError`` when none does."""
    head = text_files.read_head(path)
    if not head:
        raise InputError(path, text_files.EMPTY_REASON)
    if table_files.is_workbook(head):
        table_files.check_workbook_bounds(path)
    else:
        if text_files.detect_encoding(head) is None:
            raise InputError(path, text_files.BINARY_REASON)
        if not text_files.decode_head(head).strip():
            raise InputError(path, text_files.EMPTY_REASON)
    for module in SOURCES:
        if module.sniff(path, head):
            return module
    raise InputError(path, _why_unrecognised(path, head))


def _why_unrecognised(path: str, head: bytes) -> str:
    if _is_own_output(path, head):
        return "an assessment written by this tool, not an inventory"
    if table_files.is_workbook(head):
        heads = table_files.workbook_heads(path)
        if any(sheet.lower() == "vinfo" for sheet, _ in heads):
            return "an RVTools (VMware) export without a VM column in its vInfo sheet"
        if not heads:
            return "not a readable workbook"
        return "no sheet has a VM name column (VMName, Name, VM) and inventory columns"
    text = text_files.decode_head(head).lstrip("\ufeff \t\r\n")
    if text.startswith(("{", "[")):
        return "JSON, but not collector records (kind host/vm/end) or a known inventory"
    return (
        "not a recognised inventory: expected the CSV/XLSX template (assess template), "
        "a Get-VM | Export-Csv file, or collector output (JSON Lines)"
    )


def _is_own_output(path: str, head: bytes) -> bool:
    """Reports and CSV/JSON written by this tool (they would otherwise pass as inventories)."""
    if _OWN_OUTPUT_NAME.match(os.path.basename(path)):
        return True
    if table_files.is_workbook(head):
        names = table_files.sheet_names(path)
        return {"summary", "findings", "vms"} <= {sheet.lower() for sheet in names}
    text = text_files.decode_head(head)
    if '"gen2-assess/assessment"' in text[:2000]:
        return True
    first = table_files.split_lines(text)[:1]
    if not first:
        return False
    keys = {re.sub(r"[\s_\-\"]", "", h).lower() for h in first[0].split(",")}
    return keys >= _OWN_OUTPUT_COLUMNS


def _folder(folder: str) -> list[tuple[str, ModuleType | InputError]]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and d.lower() not in SKIPPED_FOLDERS
        )
        for name in sorted(files):
            path = os.path.join(root, name)
            module = _folder_member(path, name)
            if module is not None:
                found.append((path, module))
    return found


def _folder_member(path: str, name: str) -> ModuleType | InputError | None:
    suffix = Path(name).suffix.lower()
    if name.startswith((".", "~$")) or name.lower().startswith("readme"):
        return None
    if suffix not in DATA_SUFFIXES and suffix not in MAYBE_SUFFIXES:
        return None
    if _is_own_output(path, text_files.read_head(path)):
        return None
    if suffix in DATA_SUFFIXES:
        try:
            return source_for(path)
        except InputError as exc:
            return exc
    try:
        return source_for(path)
    except InputError:
        return None
