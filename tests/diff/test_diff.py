"""``assess diff``: loading, matching, every change category, and the three outputs.

``fixtures/diff/old.json`` -> ``new.json`` is one week of a small migration:

=========  ==================================================================================
web01      converted to Gen 2 (id now lower case without braces): improved, BOOT001 and
           BOOT003 resolved, path mbr2gpt -> none, effort 3 -> 0
db01       OS002 appeared: worse (ready-with-fixes -> blocked), path mbr2gpt -> rebuild, 2 -> 10 h
app01      NET001 waived, effort 2.5 -> 2
app02      DEV001 waiver expired: unwaived, worse (ready -> ready-with-fixes), 0 -> 0.25 h
old01      removed
tmpl01     live id last week, synthetic id (and other letter case) from the template now:
           matched by host and name, unchanged
noid       no id in either run: matched by host and name, unchanged
rebuilt    rebuilt under the same name with a new id: removed and added, never matched
steady     unchanged
=HYPERLINK added (a name that must stay text in the workbook)
=========  ==================================================================================
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from rich.console import Console

from assess.cli.main import main
from assess.diff.compare import Diff, compare, diff_to_dict, load_assessment
from assess.model.diagnostics import InputError
from assess.render.diff_report import (
    CHANGE_COLUMNS,
    CHANGE_TYPES,
    change_rows,
    render_diff,
    write_diff_json,
    write_diff_workbook,
)
from assess.render.styles import VERDICT_COLOURS

FIXTURES = Path(__file__).parent.parent / "fixtures" / "diff"
OLD = FIXTURES / "old.json"
NEW = FIXTURES / "new.json"
HYPERLINK_NAME = '=HYPERLINK("x")'


@pytest.fixture(scope="module")
def diff() -> Diff:
    return compare(load_assessment(OLD), load_assessment(NEW))


def _doc(vms: list[dict[str, Any]], generated_at: str = "2025-03-07T09:00:00+00:00") -> dict:
    return {
        "schema": "gen2-assess/assessment",
        "schema_version": 1,
        "generated_at": generated_at,
        "inputs": [],
        "vms": vms,
    }


def _vm(name: str, vm_id: str | None, host: str = "HV01", **extra: Any) -> dict[str, Any]:
    record = {
        "id": vm_id,
        "name": name,
        "host": host,
        "cluster": None,
        "verdict": "ready",
        "conversion_path": "mbr2gpt",
        "effort_hours": 0.0,
        "findings": [],
    }
    record.update(extra)
    return record


def _names(items) -> list[str | None]:
    return [item.vm_name for item in items]


# -- loading ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("", "empty file"),
        ("{not json", "not JSON (line 1, column 2"),
        (b"\x89PNG\r\n\x1a\n\x00\xff\xc3", "not JSON"),
        ("[1, 2]", "the JSON is list"),
        ('{"schema": "gen2-assess/diff", "schema_version": 1}', "has schema 'gen2-assess/diff'"),
        ('{"schema_version": 1, "vms": []}', "has no 'schema'"),
        (
            '{"schema": "gen2-assess/assessment", "schema_version": 2, "vms": []}',
            "schema_version 2 is newer than this gen2-assess reads (1)",
        ),
        ('{"schema": "gen2-assess/assessment", "schema_version": "1"}', "not a positive"),
        ('{"schema": "gen2-assess/assessment", "schema_version": 1}', "no 'vms' list"),
        ('{"schema": "gen2-assess/assessment", "schema_version": 1, "vms": [3]}', "vms[0]"),
    ],
)
def test_bad_input_is_one_line_input_error(tmp_path: Path, content, expected: str) -> None:
    path = tmp_path / "week.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_assessment(path)
    message = str(caught.value)
    assert expected in message
    assert message.startswith(str(path))
    assert "\n" not in message


def test_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        load_assessment(tmp_path)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_bom_encodings_are_accepted(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "bom.json"
    path.write_text(OLD.read_text(encoding="utf-8"), encoding=encoding)
    assert len(load_assessment(path)["vms"]) == 9


# -- categories ---------------------------------------------------------------------------


def test_improved_and_converted(diff: Diff) -> None:
    assert _names(diff.improved) == ["web01"]
    change = diff.improved[0]
    assert (change.old_verdict, change.new_verdict) == ("ready-with-fixes", "already-gen2")
    assert change.rules_closed == ("BOOT001", "BOOT003")
    assert _names(diff.converted) == ["web01"]


def test_worse_worst_new_verdict_first(diff: Diff) -> None:
    assert _names(diff.worse) == ["db01", "app02"]
    db01, app02 = diff.worse
    assert (db01.old_verdict, db01.new_verdict) == ("ready-with-fixes", "blocked")
    assert db01.rules_opened == ("OS002",)
    assert (app02.old_verdict, app02.new_verdict) == ("ready", "ready-with-fixes")
    assert app02.rules_opened == ("DEV001",)


def test_findings_resolved_and_new(diff: Diff) -> None:
    assert [(c.vm_name, c.rule) for c in diff.findings_resolved] == [
        ("web01", "BOOT001"),
        ("web01", "BOOT003"),
    ]
    assert all(c.old_status == "open" and c.new_status is None for c in diff.findings_resolved)
    (new,) = diff.findings_new
    assert (new.vm_name, new.rule, new.severity) == ("db01", "OS002", "blocker")
    assert (new.old_status, new.new_status, new.effort_hours) == (None, "open", 8.0)


def test_waived_and_unwaived_are_their_own_categories(diff: Diff) -> None:
    (waived,) = diff.findings_waived
    assert (waived.vm_name, waived.rule, waived.old_status, waived.new_status) == (
        "app01",
        "NET001",
        "open",
        "waived",
    )
    assert waived.waiver_reason == "PXE needed until cut-over"
    (unwaived,) = diff.findings_unwaived
    assert (unwaived.vm_name, unwaived.rule, unwaived.new_status) == ("app02", "DEV001", "open")
    other_rules = {c.rule for c in (*diff.findings_new, *diff.findings_resolved)}
    assert not other_rules & {"NET001", "DEV001"}


def test_added_and_removed(diff: Diff) -> None:
    assert _names(diff.vms_added) == [HYPERLINK_NAME, "rebuilt"]  # needs-data before gen 2
    assert diff.vms_added[0].open_rules == ("OS003",)
    assert _names(diff.vms_removed) == ["old01", "rebuilt"]  # blocked first
    assert diff.vms_removed[0].effort_hours == 8.0


def test_effort_totals_and_per_vm(diff: Diff) -> None:
    assert (diff.old.effort_hours, diff.new.effort_hours, diff.effort_delta) == (19.5, 14.75, -4.75)
    by_vm = {
        (c.vm_name, c.change): (c.old_effort_hours, c.new_effort_hours, c.delta_hours)
        for c in diff.effort_changes
    }
    assert by_vm == {
        ("db01", "changed"): (2.0, 10.0, 8.0),
        ("web01", "changed"): (3.0, 0.0, -3.0),
        ("app01", "changed"): (2.5, 2.0, -0.5),
        ("app02", "changed"): (0.0, 0.25, 0.25),
        ("old01", "removed"): (8.0, None, -8.0),
        ("rebuilt", "removed"): (2.0, None, -2.0),
        ("rebuilt", "added"): (None, 0.0, 0.0),
        (HYPERLINK_NAME, "added"): (None, 0.5, 0.5),
    }
    # The per-VM changes add up to the change of the total.
    assert round(sum(c.delta_hours for c in diff.effort_changes), 2) == diff.effort_delta
    assert diff.effort_changes[0].vm_name == "db01"  # largest change first


def test_conversion_path_changes(diff: Diff) -> None:
    assert [
        (c.vm_name, c.old_conversion_path, c.new_conversion_path) for c in diff.path_changes
    ] == [
        ("db01", "mbr2gpt", "rebuild"),
        ("web01", "mbr2gpt", "none"),
    ]


def test_verdict_counts_then_and_now(diff: Diff) -> None:
    assert diff.verdict_deltas() == {
        "blocked": (1, 1, 0),
        "needs-data": (0, 1, 1),
        "stays-gen1": (0, 0, 0),
        "ready-with-fixes": (5, 3, -2),
        "ready": (3, 2, -1),
        "already-gen2": (0, 2, 2),
    }
    assert (diff.old.open_findings, diff.new.open_findings) == (8, 6)


# -- matching -----------------------------------------------------------------------------


def test_matching_by_id_and_by_host_and_name(diff: Diff) -> None:
    assert diff.matched == 7
    assert diff.matched_by_name == 2  # tmpl01 (real id -> synthetic) and noid (no id at all)
    touched = {
        c.vm_name
        for group in (diff.verdict_changes, diff.path_changes, diff.effort_changes)
        for c in group
    }
    assert not touched & {"tmpl01", "TMPL01", "noid", "steady"}


def test_id_match_ignores_case_and_braces() -> None:
    old = _doc([_vm("a", "{ABCD-1}", verdict="ready")])
    new = _doc([_vm("renamed", "abcd-1", host="HV02", verdict="blocked")])
    result = compare(old, new)
    assert (result.matched, result.matched_by_name) == (1, 0)
    assert [(c.vm_name, c.host) for c in result.worse] == [("renamed", "HV02")]


def test_two_real_ids_are_never_matched_by_name() -> None:
    result = compare(_doc([_vm("a", "id-1")]), _doc([_vm("a", "id-2")]))
    assert (result.matched, len(result.vms_added), len(result.vms_removed)) == (0, 1, 1)


def test_synthetic_id_falls_back_to_host_and_name_either_way() -> None:
    for old_id, new_id in (("name-1111", "REAL-1"), ("REAL-1", "name-2222"), (None, "name-3")):
        old = _doc([_vm("Web", old_id, host="hv1")])
        new = _doc([_vm("WEB", new_id, host="HV1", verdict="blocked")])
        result = compare(old, new)
        assert (result.matched, result.matched_by_name, len(result.worse)) == (1, 1, 1)


def test_same_file_twice_is_empty(diff: Diff) -> None:
    document = load_assessment(NEW)
    same = compare(document, document)
    assert same.is_empty
    assert same.matched == 9
    assert not diff.is_empty


def test_unknown_verdict_is_a_change_without_direction() -> None:
    result = compare(_doc([_vm("a", "id-1")]), _doc([_vm("a", "id-1", verdict="postponed")]))
    assert [c.direction for c in result.verdict_changes] == ["changed"]
    assert result.new.verdict_counts["postponed"] == 1


def test_swapped_files_get_a_note() -> None:
    old = _doc([], generated_at="2025-03-14T09:00:00+00:00")
    new = _doc([], generated_at="2025-03-07T09:00:00+00:00")
    assert "right order" in compare(old, new).notes[0]


# -- JSON ---------------------------------------------------------------------------------

TOP_KEYS = [
    "schema",
    "schema_version",
    "old",
    "new",
    "summary",
    "verdict_changes",
    "findings_resolved",
    "findings_new",
    "findings_waived",
    "findings_unwaived",
    "vms_added",
    "vms_removed",
    "conversion_path_changes",
    "effort",
    "notes",
]


def test_json_keys_and_values(diff: Diff, tmp_path: Path) -> None:
    path = write_diff_json(diff, tmp_path / "out" / "diff.json")
    assert [p.name for p in path.parent.iterdir()] == ["diff.json"]  # no temporary left over
    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(document) == TOP_KEYS
    assert (document["schema"], document["schema_version"]) == ("gen2-assess/diff", 1)
    assert list(document["old"]) == ["generated_at", "inputs"]
    assert document["new"]["inputs"][0]["path"] == "inventory/week11.jsonl"
    assert list(document["summary"]) == [
        "vms",
        "verdicts",
        "verdict_changes",
        "effort_hours",
        "open_findings",
        "findings",
        "conversion_path_changes",
    ]
    assert document["summary"]["verdicts"]["already-gen2"] == {"old": 0, "new": 2, "delta": 2}
    assert document["summary"]["findings"] == {"resolved": 2, "new": 1, "waived": 1, "unwaived": 1}
    assert list(document["effort"]) == [
        "old_hours",
        "new_hours",
        "delta_hours",
        "delta_hours_matched",
        "delta_hours_added",
        "delta_hours_removed",
        "by_vm",
    ]
    assert document["effort"]["delta_hours_removed"] == -10.0
    assert list(document["verdict_changes"][0]) == [
        "vm_id",
        "vm_name",
        "host",
        "cluster",
        "direction",
        "old_verdict",
        "new_verdict",
        "old_effort_hours",
        "new_effort_hours",
        "rules_opened",
        "rules_closed",
    ]
    assert document["findings_new"][0]["rule"] == "OS002"


def test_json_has_every_category_when_nothing_changed() -> None:
    document = load_assessment(OLD)
    out = diff_to_dict(compare(document, document))
    assert list(out) == TOP_KEYS
    for key in TOP_KEYS[5:-2]:
        assert out[key] == [], key
    assert out["effort"]["by_vm"] == []
    json.dumps(out)  # plain JSON types only


# -- workbook -----------------------------------------------------------------------------


def test_workbook_changes_sheet(diff: Diff, tmp_path: Path) -> None:
    path = write_diff_workbook(diff, tmp_path / "diff.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Summary", "Changes"]
    sheet = workbook["Changes"]
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == list(CHANGE_COLUMNS)
    assert sheet.freeze_panes == "C2"
    assert sheet.auto_filter.ref == f"A1:L{len(rows)}"
    kinds = [r[0].value for r in rows[1:]]
    assert kinds == sorted(kinds, key=CHANGE_TYPES.index)  # worst news first
    assert set(kinds) == set(CHANGE_TYPES) - {
        "verdict-changed",
        "verdict-decided",
        "verdict-reopened",
    }
    assert len(rows) - 1 == len(change_rows(diff))

    cells = [c for ws in workbook for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    (named,) = [r[1] for r in rows[1:] if r[1].value == HYPERLINK_NAME]
    assert named.data_type == "s"
    assert named.quotePrefix

    column = {name: i for i, name in enumerate(CHANGE_COLUMNS)}
    worse = next(r for r in rows[1:] if r[0].value == "verdict-worse")
    blocked = worse[column["new_verdict"]]
    assert blocked.value == "blocked"
    assert blocked.fill.fgColor.rgb.endswith(VERDICT_COLOURS["blocked"].fill.lstrip("#"))
    assert worse[column["old_effort_hours"]].value == 2
    assert sheet.column_dimensions["K"].width > 40  # detail is readable


def test_workbook_summary_sheet(diff: Diff, tmp_path: Path) -> None:
    path = write_diff_workbook(diff, tmp_path / "diff.xlsx")
    sheet = openpyxl.load_workbook(path)["Summary"]
    rows = {r[0]: r[1:] for r in sheet.iter_rows(values_only=True) if r[0]}
    assert rows["Already Gen 2"][:3] == (0, 2, 2)
    assert rows["Effort (hours)"][:3] == (19.5, 14.75, -4.75)
    assert rows["finding-resolved"][0] == 2


# -- terminal -----------------------------------------------------------------------------


def test_terminal_plain_text_when_not_a_terminal(diff: Diff, monkeypatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    out = io.StringIO()
    render_diff(diff, Console(file=out, width=120))
    text = out.getvalue()
    assert "\x1b[" not in text
    for expected in ("Already Gen 2", "19.5 h -> 14.75 h (-4.75 h)", "Got worse (2)", "OS002"):
        assert expected in text
    assert text.index("Got worse") < text.index("New findings") < text.index("Improved")


def test_terminal_limits_rows_and_keeps_markup_inert() -> None:
    old = _doc([_vm(f"[bold]vm{i:02}", f"id-{i}") for i in range(60)])
    new = _doc([_vm(f"[bold]vm{i:02}", f"id-{i}", verdict="blocked") for i in range(60)])
    out = io.StringIO()
    render_diff(compare(old, new), Console(file=out, width=120), limit=50)
    text = out.getvalue()
    assert "10 more" in text
    assert "[bold]vm49" in text
    assert "[bold]vm50" not in text


# -- command line -------------------------------------------------------------------------


def test_cli_end_to_end(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    json_out, xlsx_out = tmp_path / "d.json", tmp_path / "d.xlsx"
    argv = ["diff", str(OLD), str(NEW), "--json", str(json_out), "--xlsx", str(xlsx_out)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out
    assert "Got worse" in out
    assert f"wrote {json_out}" in out
    assert json.loads(json_out.read_text(encoding="utf-8"))["schema"] == "gen2-assess/diff"
    assert xlsx_out.stat().st_size > 0

    assert main(["diff", str(OLD), str(NEW), "--quiet"]) == 0
    assert capsys.readouterr().out == ""

    assert main(["diff", str(tmp_path / "missing.json"), str(NEW)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("assess: error: ")
    assert "missing.json: no such file" in err
    assert err.count("\n") == 1


def test_cli_notes_go_to_stderr_and_unwritable_output_is_exit_2(tmp_path: Path, capsys) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(_doc([], generated_at="2025-03-14T09:00:00+00:00")), "utf-8")
    new.write_text(json.dumps(_doc([], generated_at="2025-03-07T09:00:00+00:00")), "utf-8")
    assert main(["diff", str(old), str(new), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("note: the old assessment")

    blocker = tmp_path / "a-file"
    blocker.write_text("", "utf-8")
    assert main(["diff", str(old), str(new), "--json", str(blocker / "d.json")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_repeated_id_and_repeated_rule_are_tolerated() -> None:
    twice = [
        {"rule": "NET001", "severity": "fix", "status": "waived"},
        {"rule": "NET001", "severity": "fix", "status": "open"},
    ]
    old = _doc([_vm("a", "id-1", findings=twice)])
    new = _doc([_vm("a", "id-1"), _vm("copy", "ID-1")])
    result = compare(old, new)
    assert (result.matched, _names(result.vms_added)) == (1, ["copy"])
    assert "repeat an id" in result.notes[0]
    assert [(c.rule, c.old_status) for c in result.findings_resolved] == [("NET001", "open")]


def test_a_vm_that_now_stays_on_gen1_is_decided_not_improved_or_worse() -> None:
    old = _doc(
        [
            _vm("erp01", "a1", verdict="blocked", effort_hours=19.4),
            _vm("kept", "b2", verdict="stays-gen1"),
            _vm("steady", "c3", verdict="stays-gen1"),
        ]
    )
    new = _doc(
        [
            _vm("erp01", "a1", verdict="stays-gen1", effort_hours=0.0),
            _vm("kept", "b2", verdict="blocked", effort_hours=16.0),
            _vm("steady", "c3", verdict="stays-gen1"),
        ],
        generated_at="2025-03-14T09:00:00+00:00",
    )
    diff = compare(old, new)
    assert [(c.vm_name, c.direction) for c in diff.verdict_changes] == [
        ("kept", "reopened"),
        ("erp01", "decided"),
    ]
    assert not diff.improved and not diff.worse
    assert [c.vm_name for c in diff.decided] == ["erp01"]
    counts = diff_to_dict(diff)["summary"]["verdict_changes"]
    assert (counts["decided"], counts["reopened"], counts["worse"]) == (1, 1, 0)
    kinds = [row[0] for row in change_rows(diff)]
    assert "verdict-decided" in kinds and "verdict-reopened" in kinds
