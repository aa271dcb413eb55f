"""Plan -> the plan folder: scripts, ``plan.json``, ``runbook.xlsx``.

A new plan folder appears whole (written aside, then renamed); in an existing one every
file is replaced atomically and ``plan.json`` goes last, so a folder whose ``plan.json``
names this schema holds a complete plan. A folder that holds anything else is refused unless
the caller forces it (a typo in ``--out`` must not scatter scripts over someone's files).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from assess import __version__, forked
from assess.atomic import atomic_path, write_text_atomic
from assess.gc_pause import gc_paused
from assess.model.diagnostics import InputError
from assess.plan.model import SCHEMA_NAME, SCHEMA_VERSION, Plan, Step, VmPlan
from assess.plan.render.guest_scripts import (
    render_mbr2gpt,
    render_rebuild_checklist,
    render_recapture,
    render_unix_guide,
)
from assess.plan.render.host_script import (
    HELPERS_ENCODING,
    HELPERS_FILE,
    helper_digest,
    helper_script,
    render_host_script,
)

PLAN_FILE = "plan.json"
WORKBOOK_FILE = "runbook.xlsx"


class NotAPlanFolder(InputError):
    """The output folder holds files that are not an earlier plan."""


def check_out_dir(out: Path, force: bool) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise NotAPlanFolder(out, "exists and is not a folder")
    if force or not any(out.iterdir()):
        return
    marker = out / PLAN_FILE
    try:
        schema = json.loads(marker.read_text("utf-8")).get("schema")
    except (OSError, ValueError, AttributeError):
        schema = None
    if schema != SCHEMA_NAME:
        raise NotAPlanFolder(
            out,
            "holds files that are not a gen2-assess plan; choose an empty folder or give --force",
        )


def vm_files(plan: VmPlan, generated: str) -> list[tuple[str, str, str]]:
    """(relative path, text, encoding) of each script of one VM."""
    if not plan.scripts:
        return []
    if plan.no_script_reason is not None:
        return [(plan.scripts[0], render_rebuild_checklist(plan, generated), "utf-8")]
    guest_name = plan.scripts[1].rsplit("/", 1)[-1] if len(plan.scripts) > 1 else None
    files = [
        # Windows PowerShell 5.1 reads a BOM-less file in the ANSI code page: keep the BOM.
        (plan.scripts[0], render_host_script(plan, guest_name, generated), "utf-8-sig"),
    ]
    variant = plan.guest_variant
    if variant in ("mbr2gpt-online", "mbr2gpt-offline"):
        files.append((plan.scripts[1], render_mbr2gpt(plan, generated), "utf-8-sig"))
    elif variant == "recapture":
        files.append((plan.scripts[1], render_recapture(plan, generated), "utf-8-sig"))
    elif variant in ("linux", "freebsd"):
        files.append((plan.scripts[1], render_unix_guide(plan, generated), "utf-8"))
    return files


def plan_document(plan: Plan) -> dict:
    convertible = sum(1 for vm in plan.vms if vm.convertible)
    return {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "generator": f"gen2-assess {__version__}",
        "generated_at": plan.generated_at.isoformat(),
        "inputs": plan.inputs,
        "messages": plan.messages,
        "counts": {
            "vms": len(plan.vms),
            "with_conversion_script": convertible,
            "with_checklist": sum(
                1 for vm in plan.vms if vm.scripts and vm.no_script_reason is not None
            ),
            "without_script": sum(1 for vm in plan.vms if not vm.scripts),
        },
        # One per host folder: the functions its runbooks share (each checks its SHA-256).
        "helper_files": [relative for relative, _, _ in helper_files(plan)],
        "helper_sha256": helper_digest(),
        "vms": plan.vms,
    }


def _jsonable(value: object) -> object:
    """Dataclasses of the model as their fields (steps numbered), for ``json.dumps``: the
    encoder only reads them, so a dataclass other than ``VmPlan`` gives its own ``__dict__``."""
    if not isinstance(value, VmPlan):
        return value.__dict__
    fields = dict(value.__dict__)
    fields["convertible"] = value.convertible
    fields["steps"] = [{"number": n, **step.__dict__} for n, step in enumerate(value.steps, 1)]
    return fields


def plan_json(plan: Plan) -> str:
    """``json.dumps(plan_document(plan), default=_jsonable, ensure_ascii=False)``, with each
    distinct step encoded once: steps are half of the document and most recur across VMs.

    Each VM's steps are encoded aside and the document holds a marker in their place, which
    is then replaced; should an inventory text hold the marker too, the counts differ and the
    document is encoded in one go instead.
    """
    # No indent: json's C encoder only runs without one (a 20,000-VM plan is 100 MB of JSON).
    # No circular check either: the plan is a tree, and the check costs a set entry per object.
    encoded: dict[tuple, str] = {}
    step_lists: list[str] = []

    def jsonable(value: object) -> object:
        if not isinstance(value, VmPlan) or not value.steps:
            return _jsonable(value)
        fields = dict(value.__dict__)
        fields["convertible"] = value.convertible
        fields["steps"] = _STEPS_MARKER
        step_lists.append(_steps_json(value.steps, encoded))
        return fields

    text = json.dumps(
        plan_document(plan), default=jsonable, ensure_ascii=False, check_circular=False
    )
    parts = text.split(_ENCODED_MARKER)
    if len(parts) != len(step_lists) + 1:
        return json.dumps(
            plan_document(plan), default=_jsonable, ensure_ascii=False, check_circular=False
        )
    pieces = [parts[0]]
    for steps, part in zip(step_lists, parts[1:], strict=True):
        pieces += (steps, part)
    return "".join(pieces)


_STEPS_MARKER = "\x00gen2-assess: the steps of this VM\x00"
_ENCODED_MARKER = json.dumps(_STEPS_MARKER, ensure_ascii=False)


def _steps_json(steps: tuple[Step, ...], encoded: dict[tuple, str]) -> str:
    """A VM's steps as ``_jsonable`` and the encoder write them; each distinct one once."""
    texts = []
    for number, step in enumerate(steps, 1):
        key = (number, step.where, step.kind, step.title, step.check, step.ref)
        text = encoded.get(key)
        if text is None:
            text = encoded[key] = json.dumps(
                {"number": number, **step.__dict__}, ensure_ascii=False, check_circular=False
            )
        texts.append(text)
    return "[" + ", ".join(texts) + "]"


def write_plan(
    plan: Plan,
    out: str | Path,
    *,
    force: bool = False,
    workbook: bool = True,
    on_progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """Write every script, the workbook and ``plan.json``. Returns what was written.

    A new (or empty) folder is written whole into a temporary sibling and renamed into place,
    so a reader sees no plan or all of it. An earlier plan folder (or one given with
    ``force``) may hold the operators' transcripts and state files next to the scripts: there
    every file is replaced on its own, atomically, and ``plan.json`` goes last.
    """
    out = Path(out)
    check_out_dir(out, force)
    fresh = not out.exists() or not any(out.iterdir())
    if not fresh:
        with gc_paused():
            return _write_files(
                plan, out, out, atomic=True, workbook=workbook, on_progress=on_progress
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        with gc_paused():  # texts, lists and the JSON encoder's pieces: no cycles
            written = _write_files(
                plan, stage, out, atomic=False, workbook=workbook, on_progress=on_progress
            )
        os.chmod(stage, 0o755)
        if out.exists():
            out.rmdir()  # empty, checked above
        os.replace(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return written


def helper_files(plan: Plan) -> list[tuple[str, str, str]]:
    """(relative path, text, encoding) of the shared helper file of every host folder that
    holds a conversion runbook: written once per folder, the same text in each."""
    folders = sorted({vm.scripts[0].rsplit("/", 1)[0] for vm in plan.vms if vm.convertible})
    text = helper_script()
    return [(f"{folder}/{HELPERS_FILE}", text, HELPERS_ENCODING) for folder in folders]


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _write_new(path: str, data: bytes) -> None:
    """One new file in the staging folder: open, write, close (no buffering layer)."""
    fd = os.open(path, _NEW_FILE, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _write_scripts(
    files: list[tuple[str, str, str]],
    folder: Path,
    atomic: bool,
    made: set[str],
) -> None:
    root = str(folder)
    for relative, text, encoding in files:
        parent, _, _ = relative.rpartition("/")
        if parent not in made:
            os.makedirs(os.path.join(root, parent), exist_ok=True)
            made.add(parent)
        target = os.path.join(root, relative)
        if atomic:
            write_text_atomic(target, text, encoding=encoding)
        else:
            _write_new(target, text.encode(encoding))


#: The part of the VMs whose scripts this process writes while a forked child writes the
#: rest: this process also writes the workbook and encodes ``plan.json`` meanwhile, which
#: take about as long as the scripts of 70% of the VMs (20,000 VMs: 2.0 s against 3.2 s).
HERE_SHARE = 0.15


def _write_files(
    plan: Plan,
    folder: Path,
    final: Path,
    *,
    atomic: bool,
    workbook: bool,
    on_progress: Callable[[int], None] | None,
) -> list[Path]:
    """Write the plan's files into ``folder``; return their paths under ``final``.

    Where a process can be forked (``assess.forked``) a child writes the scripts of most
    VMs while this one writes the rest, the workbook and ``plan.json``'s text; the files
    are the same either way. ``plan.json`` is written last, once the child is done.
    """
    generated = plan.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    helpers = helper_files(plan)
    _write_scripts(helpers, folder, atomic, set())
    vms = plan.vms
    here = len(vms) if len(vms) < FORK_FROM_VMS else int(len(vms) * HERE_SHARE)
    job = None
    if here < len(vms):
        job = forked.start(
            lambda report: _write_vm_scripts(
                vms, here, len(vms), generated, folder, atomic, report
            ),
            name="gen2-assess-runbooks",
            what="writing the runbooks",
        )
    try:
        stop = here if job is not None else len(vms)
        _write_vm_scripts(vms, 0, stop, generated, folder, atomic, on_progress)
        written = [final / relative for relative, _, _ in helpers]
        written += [final / relative for vm in vms for relative in vm.scripts]
        if workbook:
            from assess.plan.render.workbook import write_runbook_workbook

            with atomic_path(folder / WORKBOOK_FILE, suffix=".xlsx") as tmp:
                write_runbook_workbook(plan, tmp)
            written.append(final / WORKBOOK_FILE)
        document = plan_json(plan)
        if job is not None:
            job.wait(on_report=on_progress)
    except BaseException:
        if job is not None:
            job.cancel()
        raise
    # Last: a plan.json that names the schema means every file above is there.
    write_text_atomic(folder / PLAN_FILE, document)
    written.append(final / PLAN_FILE)
    return written


#: Below this many VMs the scripts are written here alone (a fork costs more than it saves).
FORK_FROM_VMS = 2_000


def _write_vm_scripts(
    vms: list[VmPlan],
    start: int,
    stop: int,
    generated: str,
    folder: Path,
    atomic: bool,
    on_progress: Callable[[int], None] | None,
) -> None:
    """The scripts of ``vms[start:stop]``; ``on_progress(index)`` every 500 VMs."""
    made: set[str] = set()
    for index in range(start, stop):
        _write_scripts(vm_files(vms[index], generated), folder, atomic, made)
        if on_progress is not None and index % 500 == 0:
            on_progress(index)
