"""Reasons to convert: what a Generation 1 VM gains from Generation 2, per VM, as data.

Blockers and fixes say what stands in the way; a consultant also needs to say what the move
buys, and to say honestly when it buys nothing the tool can see ("No reason found": leaving
a stable VM on Generation 1 is a valid recommendation). ``rules/reasons.toml`` holds the
reasons, each with its sources::

    [[reason]]
    id = "WIN10EOS"                  # capitals and digits
    title = "Windows 10 is out of support; Windows 11 needs Generation 2"
    when = "os_distro == 'windows-client' and startswith(os_version_key, '10')"
    target = "secure-boot"           # optional: applies only where this goal is set
    text = "..."                     # one or two sentences for the client
    references = ["https://learn.microsoft.com/..."]

``when`` is a rule condition over facts (``assess rules --facts``). A reason with a
``target`` describes a goal the facts cannot show (a landing zone such as Azure Trusted
Launch, a security baseline): it applies to every VM when the policy names the goal in
``targets = [...]``, or to one VM whose notes carry the tag ``#<target>``; its ``when``, if
any, must hold as well. A reason whose condition is unknown for a VM does not apply, and
the VM's text says which reasons could not be checked.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from assess.engine.expressions import Condition, ExpressionError, compile_condition
from assess.facts.derive import FACT_BY_NAME
from assess.model.assessment import NO_REASON_FOUND
from assess.model.diagnostics import InputError

REASONS_FILE = "reasons.toml"
_ID = re.compile(r"^[A-Z][A-Z0-9]{2,15}$")
_TARGET = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_KEYS = {"id", "title", "when", "target", "text", "references"}


@dataclass(frozen=True)
class Reason:
    id: str
    title: str
    text: str
    condition: Condition | None = None
    target: str | None = None
    references: tuple[str, ...] = ()

    @property
    def when(self) -> str:
        return self.condition.text if self.condition is not None else ""


def parse_reasons(data: dict, file: Path) -> list[Reason]:
    """The ``[[reason]]`` tables of one file; ``InputError`` naming the file and reason."""
    raw_list = data.get("reason")
    if not isinstance(raw_list, list):
        raise InputError(file, "no [[reason]] tables in this reasons file")
    types = {name: fact.dtype for name, fact in FACT_BY_NAME.items()}
    out = []
    for index, raw in enumerate(raw_list, start=1):
        reason_id = str(raw.get("id", "")).strip()
        where = f"reason {reason_id or f'#{index}'}"
        if not _ID.match(reason_id):
            raise InputError(file, f"{where}: id must be 3-16 capitals and digits")
        unknown = set(raw) - _KEYS
        if unknown:
            raise InputError(file, f"{where}: unknown keys {sorted(unknown)}")
        for key in ("title", "text"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise InputError(file, f"{where}: '{key}' is required text")
        condition = None
        if raw.get("when"):
            try:
                condition = compile_condition(str(raw["when"]), types)
            except ExpressionError as exc:
                raise InputError(file, f"{where}: when = {raw['when']!r}: {exc}") from None
        target = raw.get("target")
        if target is not None and (not isinstance(target, str) or not _TARGET.match(target)):
            raise InputError(file, f"{where}: target must be lower-case words joined by '-'")
        if condition is None and target is None:
            raise InputError(file, f"{where}: needs 'when', 'target' or both")
        references = raw.get("references", [])
        if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
            raise InputError(file, f"{where}: references must be a list of URLs")
        out.append(
            Reason(
                id=reason_id,
                title=raw["title"].strip(),
                text=" ".join(raw["text"].split()),
                condition=condition,
                target=target,
                references=tuple(references),
            )
        )
    return out


def load_reasons(folders: Sequence[Path]) -> tuple[Reason, ...]:
    """The reasons of every folder that has a ``reasons.toml``; a later file's reason
    replaces an earlier one with the same id."""
    found: dict[str, Reason] = {}
    for folder in folders:
        file = Path(folder) / REASONS_FILE
        if not file.is_file():
            continue
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InputError(file, f"not valid TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(file, f"cannot read: {exc}") from None
        for reason in parse_reasons(data, file):
            found[reason.id] = reason
    return tuple(found.values())


def targets_of(reasons: Sequence[Reason]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r.target for r in reasons if r.target))


def reasons_to_convert(
    frame: pd.DataFrame,
    reasons: Sequence[Reason],
    candidates: np.ndarray,
    targets: Sequence[str] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Per VM: the ids of the reasons that apply (space-separated) and their texts (or
    "No reason found", naming the reasons that could not be checked). Only ``candidates``
    (Generation 1 or unknown generation) get reasons; the others get NA."""
    size = len(frame)
    # One column per reason: applies / could not be checked. VMs share few combinations:
    # each distinct combination is described once and the texts mapped back.
    applies = np.zeros((size, len(reasons)), dtype=bool)
    unknown = np.zeros((size, len(reasons)), dtype=bool)
    notes = frame["notes"].astype("string").fillna("").str.lower()
    tagged = notes.str.contains("#", regex=False).to_numpy(dtype=bool)
    wanted = {t.lower() for t in targets}
    for column, reason in enumerate(reasons):
        if reason.target is None or reason.target in wanted:
            aimed = candidates
        elif tagged.any():
            tag = f"#{reason.target}"
            aimed = candidates & notes.str.contains(tag, regex=False).to_numpy(dtype=bool)
        else:
            continue
        if reason.condition is None:
            applies[:, column] = aimed
        else:
            result = reason.condition.evaluate(frame)
            applies[:, column] = aimed & result.fillna(False).to_numpy(dtype=bool)
            unknown[:, column] = aimed & result.isna().to_numpy(dtype=bool)
    combos, inverse = distinct_rows(np.hstack([applies, unknown]))
    count = len(reasons)
    id_texts, out_texts = [], []
    for combo in combos:
        found = [reason for reason, on in zip(reasons, combo[:count], strict=True) if on]
        missing = [reason.id for reason, on in zip(reasons, combo[count:], strict=True) if on]
        id_texts.append(" ".join(reason.id for reason in found))
        if found:
            out_texts.append(" ".join(reason.text for reason in found))
        elif missing:
            out_texts.append(
                f"{NO_REASON_FOUND} on the known facts (not checked: {', '.join(missing)})"
            )
        else:
            out_texts.append(NO_REASON_FOUND)
    inverse = np.asarray(inverse).reshape(-1)
    ids = np.array(id_texts, dtype=object)[inverse] if size else np.empty(0, dtype=object)
    texts = np.array(out_texts, dtype=object)[inverse] if size else np.empty(0, dtype=object)
    ids[~candidates] = None
    texts[~candidates] = None
    return ids, texts


def distinct_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a boolean matrix and, per row, the index of its distinct row.
    Rows of up to 62 flags are packed into one integer each and those are compared: about
    fifty times faster than ``np.unique(axis=0)``, which sorts the rows as raw bytes."""
    width = matrix.shape[1]
    if width > 62:
        return np.unique(matrix, axis=0, return_inverse=True)
    bits = np.arange(width, dtype=np.int64)
    keys = matrix.astype(np.int64) @ (np.int64(1) << bits)
    distinct, inverse = np.unique(keys, return_inverse=True)
    return ((distinct[:, None] >> bits) & 1).astype(bool), inverse
