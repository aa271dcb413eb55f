"""The list-shaped reports: which columns each list has, in which order, and the CSV files.

Header contract (one for the workbook's list sheets, ``vms.csv`` and ``findings.csv``):
the header of every column is the column's name in ``Assessment``, verbatim, in snake_case
(``vm_key``, ``host``, ..., ``effort_hours``). Names are stable across releases and are what
filters, lookups and other tools key on; human wording lives in the docs and, for facts, in
``Assessment.fact_labels`` (the workbook shows it as a note on the header cell). The columns,
sheet by sheet (``SHEET_COLUMNS``):

* ``VMs`` / ``vms.csv``: ``VM_COLUMNS`` then the fact columns (``Assessment.fact_columns``,
  in that order). Rows worst first: verdict, most blockers, most effort, host, name.
* ``Findings`` / ``findings.csv``: ``FINDING_COLUMNS``. Rows grouped by VM in the VMs order,
  worst severity first, waived findings after the open ones.
* ``Rules``: ``RULE_COLUMNS``; ``Hosts``: ``HOST_COLUMNS``; ``Data gaps``:
  ``DATA_GAP_COLUMNS``.

The workbook shows the same data for people: human headers, columns in reading order and
workbook-only columns on the VMs sheet (``blocker_rules``, ``fix_rules``: rule id and title of
the open blockers and fixes; ``stays_gen1``: the keep-on-Gen-1 decision in one line), see
``xlsx.fields`` and ``workbook_frames``; its ``Fields`` sheet maps every header back to the
field name here.

Effort on the VMs list is rounded the one way every report rounds it (``figures``).

CSV: UTF-8 with a BOM (so Excel shows accents; other readers skip it), RFC 4180
quoting and CRLF line ends, NA as an empty field, booleans
``true``/``false``, numbers as Python writes them (``2.75``), confidence as a fraction
(``0.6``), dates ISO 8601. Text that a spreadsheet would run as a formula gets a leading
``'`` (see ``safety``).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pandas as pd

from assess.atomic import OutputError, atomic_path
from assess.model.assessment import (
    DATA_GAP_COLUMNS,
    FINDING_COLUMNS,
    HOST_COLUMNS,
    RULE_COLUMNS,
    VM_COLUMNS,
    Assessment,
)
from assess.render.figures import findings_in_report_order, report_vms
from assess.render.text_safety import DANGEROUS_LEADS, looks_like_formula, to_text
from assess.render.xlsx.fields import workbook_order

#: Sheet name -> its columns (``VMs`` gets the fact columns appended at run time).
SHEET_COLUMNS: dict[str, tuple[str, ...]] = {
    "VMs": VM_COLUMNS,
    "Findings": FINDING_COLUMNS,
    "Rules": RULE_COLUMNS,
    "Hosts": HOST_COLUMNS,
    "Data gaps": DATA_GAP_COLUMNS,
}

CSV_FILES: dict[str, str] = {"VMs": "vms.csv", "Findings": "findings.csv"}

_CHUNK_ROWS = 20_000
_LEADS = frozenset(DANGEROUS_LEADS)


def vm_columns(assessment: Assessment) -> tuple[str, ...]:
    """The VMs list's columns: ``VM_COLUMNS`` then the facts."""
    facts = tuple(c for c in assessment.fact_columns if c not in VM_COLUMNS)
    return VM_COLUMNS + facts


def _with_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` restricted to ``columns`` in that order; a declared but absent column is NA."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        frame = frame.assign(
            **{c: pd.Series(pd.NA, index=frame.index, dtype="string") for c in missing}
        )
    return frame.loc[:, list(columns)]


def sheet_frames(assessment: Assessment) -> dict[str, pd.DataFrame]:
    """Every list as it is reported: sheet name -> frame with exactly the contract columns,
    rows in report order."""
    vms = report_vms(assessment.vms)
    findings = findings_in_report_order(assessment.findings, vms)
    return {
        "VMs": _with_columns(vms, vm_columns_with_extras(assessment)),
        "Findings": _with_columns(findings, FINDING_COLUMNS),
        "Rules": _with_columns(assessment.rules, RULE_COLUMNS),
        "Hosts": _with_columns(assessment.hosts, HOST_COLUMNS),
        "Data gaps": _with_columns(assessment.data_gaps, DATA_GAP_COLUMNS),
    }


def vm_columns_with_extras(assessment: Assessment) -> tuple[str, ...]:
    """``vm_columns`` plus any column the VMs frame carries beyond them (before the facts),
    so a column added upstream reaches the workbook without a change here."""
    base = vm_columns(assessment)
    extras = tuple(c for c in assessment.vms.columns if c not in base and "." not in c)
    return base[: len(VM_COLUMNS)] + extras + base[len(VM_COLUMNS) :]


def rule_lists(assessment: Assessment, finding_ids: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Per VM, its open blockers and its open fixes as "ID title" lines, from the
    ``finding_ids`` column. Computed once per distinct id list (an estate has few)."""
    rules = assessment.rules
    severity = dict(zip(rules["id"], rules["severity"], strict=True))
    title = dict(zip(rules["id"], rules["title"], strict=True))
    cache: dict[str, tuple[str | None, str | None]] = {}

    def split(ids: object) -> tuple[str | None, str | None]:
        if not isinstance(ids, str) or not ids.strip():
            return (None, None)
        found = cache.get(ids)
        if found is None:
            listed = ids.split()
            blockers = [
                f"{i} {title.get(i, '')}".strip() for i in listed if severity.get(i) == "blocker"
            ]
            fixes = [f"{i} {title.get(i, '')}".strip() for i in listed if severity.get(i) == "fix"]
            found = cache[ids] = ("\n".join(blockers) or None, "\n".join(fixes) or None)
        return found

    pairs = [split(v) for v in finding_ids.tolist()]
    blockers = pd.Series([p[0] for p in pairs], index=finding_ids.index, dtype="string")
    fixes = pd.Series([p[1] for p in pairs], index=finding_ids.index, dtype="string")
    return blockers, fixes


def decision_text(reason: object, owner: object, expires: object) -> str | None:
    """A keep-on-Gen-1 decision in one line: "reason (owner, until 2027-06-30)"."""
    if not isinstance(reason, str) or not reason:
        return None
    extra = [str(v) for v in (owner,) if isinstance(v, str) and v]
    if isinstance(expires, str) and expires:
        extra.append(f"until {expires}")
    return reason + (f" ({', '.join(extra)})" if extra else "")


def decision_texts(vms: pd.DataFrame) -> pd.Series:
    """``decision_text`` per VM, from the ``stays_gen1_*`` columns."""
    columns = [f"stays_gen1_{c}" for c in ("reason", "owner", "expires")]
    parts = [
        vms[c].astype("string").to_numpy(dtype=object, na_value=None)
        if c in vms.columns
        else [None] * len(vms)
        for c in columns
    ]
    texts = [decision_text(*values) for values in zip(*parts, strict=True)]
    return pd.Series(texts, index=vms.index, dtype="string")


def workbook_frames(assessment: Assessment) -> dict[str, pd.DataFrame]:
    """The lists as the workbook shows them: ``sheet_frames``' data plus ``blocker_rules``
    and ``fix_rules`` on the VMs list, every list's columns in reading order
    (``fields.workbook_order``)."""
    vms = report_vms(assessment.vms)
    findings = findings_in_report_order(assessment.findings, vms)
    vm_frame = _with_columns(vms, vm_columns_with_extras(assessment))
    blockers, fixes = rule_lists(assessment, vm_frame["finding_ids"])
    vm_frame = vm_frame.assign(blocker_rules=blockers, fix_rules=fixes)
    if "stays_gen1_reason" in vm_frame.columns:
        vm_frame = vm_frame.assign(stays_gen1=decision_texts(vm_frame))
    frames = {
        "VMs": vm_frame,
        "Findings": _with_columns(findings, _finding_columns(findings)),
        "Rules": _with_columns(assessment.rules, RULE_COLUMNS),
        "Hosts": _with_columns(assessment.hosts, HOST_COLUMNS),
        "Data gaps": _with_columns(assessment.data_gaps, DATA_GAP_COLUMNS),
    }
    facts = [c for c in assessment.fact_columns if c not in VM_COLUMNS]
    return {
        sheet: frame.loc[:, workbook_order(sheet, frame.columns, facts if sheet == "VMs" else ())]
        for sheet, frame in frames.items()
    }


def _finding_columns(findings: pd.DataFrame) -> tuple[str, ...]:
    extras = tuple(c for c in findings.columns if c not in FINDING_COLUMNS and "." not in c)
    return FINDING_COLUMNS + extras


def _csv_column(series: pd.Series) -> list[str]:
    """One column as CSV field texts. Plain list comprehensions: on a million cells they beat
    pandas' per-element string methods."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        values = series.to_numpy(dtype=object, na_value=None).tolist()
        return ["" if v is None else ("true" if v else "false") for v in values]
    if pd.api.types.is_numeric_dtype(dtype):
        values = series.to_numpy(dtype=object, na_value=None).tolist()
        return ["" if v is None or v != v else str(v) for v in values]
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return [v.isoformat() if not pd.isna(v) else "" for v in series.tolist()]
    if pd.api.types.is_object_dtype(dtype):
        values = [to_text(v) for v in series.tolist()]
    else:
        values = series.to_numpy(dtype=object, na_value=None).tolist()
    leads = _LEADS
    return [
        ""
        if v is None
        else ("'" + v if v and (v[0] in leads or (v[0] == " " and looks_like_formula(v))) else v)
        for v in values
    ]


def write_frame_csv(frame: pd.DataFrame, target: str | os.PathLike[str]) -> Path:
    """Write one list atomically, in chunks so a 300,000-row list needs little memory."""
    target = Path(target)
    with (
        atomic_path(target, suffix=".csv") as tmp,
        tmp.open("w", encoding="utf-8-sig", newline="") as handle,
    ):
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(frame.columns)
        for start in range(0, len(frame), _CHUNK_ROWS):
            chunk = frame.iloc[start : start + _CHUNK_ROWS]
            columns = [_csv_column(chunk[name]) for name in chunk.columns]
            writer.writerows(zip(*columns, strict=True))
    return target


def write_csv(assessment: Assessment, out_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``vms.csv`` and ``findings.csv`` into ``out_dir`` (created if needed); each file
    is replaced atomically. Returns their paths."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(out, f"cannot create the folder: {exc.strerror or exc}") from None
    frames = sheet_frames(assessment)
    vms = write_frame_csv(frames["VMs"], out / CSV_FILES["VMs"])
    findings = write_frame_csv(frames["Findings"], out / CSV_FILES["Findings"])
    return vms, findings
