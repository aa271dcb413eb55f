"""Reading ``plan.json`` (written by ``assess plan``) for ``assess verify``.

Only what verification needs is read, and unknown keys are ignored, so the plan can grow.
From the plan contract (``"schema": "gen2-assess/plan"``, ``vms[]``): ``id``, ``name``,
``host``, ``verdict``, ``path`` and ``scripts``. Whether the plan converts a VM:
``convertible`` when the plan says it; otherwise at least one script and no
``no_script_reason``; in a plan without ``scripts``, a ``ready`` or ``ready-with-fixes``
verdict. ``no_script_reason`` (or ``reason``) says why not.

What the new VM should look like, each optional: ``firmware.secure_boot`` (bool),
``firmware.template`` and ``firmware.vtpm`` (bool); the same as ``secure_boot``,
``secure_boot_template``, ``vtpm`` on the entry or in a ``target`` object; ``new_name``
(default: the VM's name); ``kept_name``, the old VM's name after the window (used to find
it when the inventory has no VM ids). Where the plan does not say, verification falls back
to what it checks without a plan.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assess.model.diagnostics import InputError
from assess.verify.fields import PlannedTarget

PLAN_SCHEMA_NAME = "gen2-assess/plan"
PLAN_SCHEMA_VERSION = 1
#: Verdicts that mean "no conversion" (``stays-gen1``: kept on Generation 1 by decision).
NOT_CONVERTED_VERDICTS = frozenset({"blocked", "needs-data", "stays-gen1", "already-gen2"})
CONVERTIBLE_VERDICTS = frozenset({"ready", "ready-with-fixes"})


@dataclass(frozen=True)
class PlannedVm:
    vm_id: str | None
    name: str
    host: str | None
    verdict: str | None
    convert: bool  # the plan converts this VM
    reason: str | None  # why not, when it does not
    target: PlannedTarget


def load_plan(path: str | os.PathLike[str]) -> list[PlannedVm]:
    """The plan's VMs; every problem with the file is a one-line ``InputError``."""
    source = Path(path)
    if source.is_dir():
        source = source / "plan.json"
    if not source.exists():
        raise InputError(source, "no such file")
    try:
        document = json.loads(source.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(source, "not JSON: the file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            source, f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(source, f"not JSON ({type(exc).__name__})") from None
    except OSError as exc:
        raise InputError(source, f"cannot read: {exc.strerror or exc}") from None
    if not isinstance(document, dict) or document.get("schema") != PLAN_SCHEMA_NAME:
        raise InputError(source, f'not a conversion plan: expected "schema": {PLAN_SCHEMA_NAME!r}')
    version = document.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > PLAN_SCHEMA_VERSION:
        raise InputError(
            source,
            f"schema_version {version} is newer than this gen2-assess reads "
            f"({PLAN_SCHEMA_VERSION}): upgrade gen2-assess",
        )
    vms = document.get("vms")
    if not isinstance(vms, list):
        raise InputError(source, "no 'vms' list in the plan")
    return [_planned_vm(source, index, entry) for index, entry in enumerate(vms)]


def _planned_vm(source: Path, index: int, entry: Any) -> PlannedVm:
    where = f"vms[{index}]"
    if not isinstance(entry, dict):
        raise InputError(source, f"{where} is not an object")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(source, f"{where}.name: a VM name is required")
    holders: list[dict[str, Any]] = []
    for key in ("target", "firmware"):
        nested = entry.get(key)
        if isinstance(nested, dict):
            holders.append(nested)
    holders.append(entry)

    def pick(*keys: str) -> Any:
        for key in keys:
            for holder in holders:
                if holder.get(key) is not None:
                    return holder[key]
        return None

    def text(value: Any, key: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise InputError(source, f"{where}.{key}: expected text, found {value!r}")
        return value.strip() or None

    def flag(value: Any, key: str) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        raise InputError(source, f"{where}.{key}: expected true or false, found {value!r}")

    verdict = text(entry.get("verdict"), "verdict")
    reason = text(entry.get("no_script_reason"), "no_script_reason") or text(
        entry.get("reason"), "reason"
    )
    scripts = entry.get("scripts")
    if scripts is not None and not isinstance(scripts, list):
        raise InputError(source, f"{where}.scripts: expected a list")
    convertible = flag(entry.get("convertible"), "convertible")
    if convertible is not None:
        convert = convertible
    elif scripts is not None:
        convert = bool(scripts) and reason is None and verdict not in NOT_CONVERTED_VERDICTS
    else:
        convert = verdict in CONVERTIBLE_VERDICTS
    return PlannedVm(
        vm_id=text(entry.get("id"), "id"),
        name=name.strip(),
        host=text(entry.get("host"), "host"),
        verdict=verdict,
        convert=convert,
        reason=reason,
        target=PlannedTarget(
            new_name=text(pick("new_name"), "new_name"),
            kept_name=text(pick("kept_name"), "kept_name"),
            secure_boot=flag(pick("secure_boot"), "secure_boot"),
            secure_boot_template=text(
                pick("secure_boot_template", "template"), "secure_boot_template"
            ),
            vtpm=flag(pick("vtpm", "vtpm_enabled"), "vtpm"),
            path=text(entry.get("path"), "path"),
        ),
    )
