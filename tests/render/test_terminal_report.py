"""Terminal views: summary, worst-first table, one VM, the catalog, consoles and progress."""

from __future__ import annotations

import io
import re
import threading

import pandas as pd
import pytest
from rich.cells import cell_len
from rich.console import Console

from assess.render.terminal import report
from assess.render.terminal.report import (
    make_console,
    progress,
    render_facts,
    render_rule,
    render_rules,
    render_run,
    render_vm,
)
from tests.assessment_factory import DANGEROUS_NAME, sample

ANSI = re.compile(r"\x1b\[")


def _render(fn, *args, width: int = 120, terminal_codes: bool = False, **kwargs) -> str:
    console = Console(
        file=io.StringIO(),
        width=width,
        force_terminal=terminal_codes,
        color_system="standard" if terminal_codes else None,
    )
    result = (
        fn(*args, console, **kwargs) if fn is not render_vm else fn(args[0], console, *args[1:])
    )
    output = console.file.getvalue()
    return (output, result) if fn is render_vm else output


def test_summary_counts_by_verdict():
    out = _render(render_run, sample())
    assert "13 VMs on 3 hosts" in out
    for verdict, count in (
        ("blocked", 3),
        ("needs-data", 2),
        ("ready-with-fixes", 6),
        ("ready", 1),
        ("already-gen2", 1),
    ):
        assert re.search(rf"\b{verdict}\s+{count}\s+\d+%", out), verdict
    assert re.search(r"BOOT001\s+11\s+Boot disk on the IDE controller", out)
    assert "mbr2gpt" in out and "Effort by host" in out
    assert "Of 12 Generation 1 VMs" in out


def test_table_is_worst_first_with_a_more_line():
    out = _render(render_run, sample(), limit=5)
    table = out[out.index("VMs, worst first") :]
    order = [
        name for name in ("XP-TOOLS", "APP-LEGACY", "LNX-DB", "DC01", "BUILD01") if name in table
    ]
    assert order == ["XP-TOOLS", "APP-LEGACY", "LNX-DB", "DC01", "BUILD01"]
    positions = [table.index(name) for name in order]
    assert positions == sorted(positions)
    assert "GEN2-WEB" not in table
    assert "8 more VMs not listed" in table


def test_show_all_lists_every_vm():
    out = _render(render_run, sample(), limit=5, show_all=True)
    table = out[out.index("VMs, worst first") :]
    assert "more VM" not in table
    for name in ("XP-TOOLS", "GEN2-WEB", "FILE01", "MGMT01"):
        assert name in table
    assert table.index("FILE01") < table.index("GEN2-WEB")


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_lines_fit_the_width_and_verdict_and_path_always_show(width):
    a = sample()
    out = _render(render_run, a, width=width, show_all=True)
    assert max(cell_len(line) for line in out.splitlines()) <= width
    table = out[out.index("VMs, worst first") :].splitlines()
    header = next(line for line in table if "verdict" in line)
    assert header.split()[:3] in (["VM", "verdict", "path"], ["host", "VM", "verdict"])
    assert "path" in header.split()
    rows = [line for line in table if "ready-with-fixes" in line]
    assert len(rows) == (a.vms["verdict"] == "ready-with-fixes").sum()
    assert all(re.search(r"(mbr2gpt|recapture|linux-efi|rebuild|unknown)", r) for r in rows)
    assert "ANALYTICS-W" in out and "…" in out  # cut, not wrapped
    assert not any(line.strip().startswith("LONG-NAME") for line in out.splitlines())
    assert ("rules" in header) == (width >= 80)
    assert ("host" in header) == (width >= 80)


def test_the_rules_column_lists_blockers_first():
    a = sample()
    row = a.vms.index[a.vms["name"] == "XP-TOOLS"][0]
    a.vms.loc[row, "finding_ids"] = "BOOT001 OS002 OS001"  # out of order on purpose
    out = _render(render_run, a, width=200)
    line = next(line for line in out.splitlines() if "XP-TOOLS" in line)
    assert line.index("OS002") < line.index("BOOT001")
    assert line.index("OS001") < line.index("BOOT001")


def test_a_vm_that_stays_on_gen1_shows_the_decision():
    a = sample()
    row = a.vms.index[a.vms["name"] == "APP-LEGACY"][0]
    a.vms = a.vms.assign(
        stays_gen1_reason=pd.Series(pd.NA, index=a.vms.index, dtype="string"),
        stays_gen1_owner=pd.Series(pd.NA, index=a.vms.index, dtype="string"),
        stays_gen1_expires=pd.Series(pd.NA, index=a.vms.index, dtype="string"),
    )
    a.vms.loc[row, ["verdict", "effort_hours"]] = ["stays-gen1", 0.0]
    a.vms.loc[row, ["stays_gen1_reason", "stays_gen1_owner", "stays_gen1_expires"]] = [
        "ERP replacement in 2027",
        "cio@corp.example",
        "2027-06-30",
    ]
    out = _render(render_run, a, width=200, show_all=True)
    line = next(line for line in out.splitlines() if "APP-LEGACY" in line)
    assert "stays-gen1" in line
    assert "ERP replacement in 2027 (cio@corp.example, until 2027-06-30)" in line
    table = out[out.index("VMs, worst first") :]
    assert table.index("APP-LEGACY") > table.index("BUILD01")  # after needs-data
    assert table.index("APP-LEGACY") < table.index("SQL01")  # before ready-with-fixes


def test_closing_lines_count_the_input_warnings_and_say_where_they_are():
    a = sample()
    a.inputs[0].warnings = 4
    warnings = [
        f"{a.inputs[0].path}:{n}: column 'Generation': 'x' is not a VM generation"
        for n in (2, 3, 4, 5)
    ]
    out = _render(render_run, a, width=80, warnings=warnings)
    tail = out[out.index("VMs, worst first") :]
    assert "Input warnings: 4" in tail and f"{a.inputs[0].path} 4" in tail
    assert ":2: column 'Generation'" in tail and "1 more" in tail
    assert "printed above" in tail
    clean = sample()
    for item in clean.inputs:
        item.warnings = 0
    assert "Input warnings: none." in _render(render_run, clean, width=80)


def test_vm_view_shows_findings_before_facts_and_links_whole():
    out, _ = _render(render_vm, sample(), "DC01", width=60)
    assert out.index("Findings") < out.index("Facts")
    urls = re.findall(r"https://\S+", out)
    assert urls and all(" " not in u for u in urls)
    # Each reference URL is on one line, whatever the width.
    for url in urls:
        assert url.startswith("https://learn.microsoft.com/")
        assert url.rstrip("/").count("/") >= 4
    reference_lines = [line for line in out.splitlines() if "reference" in line]
    assert reference_lines and all("https://" in line for line in reference_lines)


def test_remediation_is_reflowed():
    a = sample()
    a.findings["remediation"] = "Attach the disk to SCSI controller 0\nof the new VM."
    out, _ = _render(render_vm, a, "DC01", width=200)
    assert "controller 0 of the new VM." in out


def test_plain_text_when_not_a_terminal_and_colour_when_it_is():
    plain = _render(render_run, sample())
    assert not ANSI.search(plain)
    coloured = _render(render_run, sample(), terminal_codes=True)
    assert ANSI.search(coloured)
    assert "\x1b[1;31mblocked" in coloured  # verdict colour


def test_an_empty_assessment_renders():
    a = sample()
    a.vms = a.vms.iloc[0:0]
    a.findings = a.findings.iloc[0:0]
    a.data_gaps = a.data_gaps.iloc[0:0]
    out = _render(render_run, a)
    assert "0 VMs on 0 hosts" in out and "No VMs were assessed." in out
    assert "VMs, worst first" not in out


def test_vm_view_shows_facts_findings_evidence_and_remediation():
    out, found = _render(render_vm, sample(), "DC01")
    assert found is True
    assert "needs-data" in out
    assert re.search(r"OS architecture\s+unknown", out)
    assert "os_family is unknown (VM off, no guest data)" in out
    assert "Start the VM with the Data Exchange integration service on" in out
    assert "learn.microsoft.com" in out
    assert "Missing data" in out and "Partition style" in out


def test_vm_view_shows_every_vm_of_that_name_and_waivers():
    out, found = _render(render_vm, sample(), "web01")
    assert found
    assert "2 VMs match" in out
    assert "WEB01 on HV03" in out and "WEB01 on HV01" in out
    assert "(waived)" in out and "COM port is unused" in out


def test_vm_view_by_host_and_name_or_id():
    a = sample()
    out, found = _render(render_vm, a, "hv01/web01")
    assert found and "WEB01 on HV01" in out and "WEB01 on HV03" not in out
    vm_id = a.vms.loc[a.vms["name"] == "FILE01", "vm_id"].iloc[0]
    out, found = _render(render_vm, a, "{" + vm_id + "}")
    assert found and "FILE01 on HV03" in out


def test_unknown_vm_returns_false():
    out, found = _render(render_vm, sample(), "NO-SUCH-VM")
    assert found is False
    assert out == ""


def test_inventory_text_is_neither_markup_nor_control_codes():
    a = sample()
    a.vms.loc[a.vms["name"] == "FILE01", "name"] = "[red]evil[/red]\x1b[2J"
    out = _render(render_run, a, show_all=True, terminal_codes=True)
    assert "[red]evil[/red]" in out
    assert "\x1b[2J" not in out
    out, _ = _render(render_vm, sample(), DANGEROUS_NAME)
    assert DANGEROUS_NAME in out


def test_rules_and_explain():
    a = sample()
    out = _render(render_rules, a.rules)
    assert "19 rules" in out
    assert re.search(r"OS001\s+blocker\s+os\s+16\s+Guest OS is 32-bit", out)
    row = a.rules.set_index("id").loc["BOOT003"].copy()
    row["id"] = "BOOT003"
    row["when"] = "boot_disk_partition_style == 'MBR'"
    out = _render(render_rule, row)
    assert "BOOT003" in out and "Boot disk is MBR" in out
    assert "MBR2GPT" in out and "mbr-to-gpt" in out
    assert "boot_disk_partition_style == 'MBR'" in out


def test_facts_list():
    rows = [
        {
            "name": "os_arch",
            "type": "string",
            "label": "OS architecture",
            "description": "",
            "how_to_get": "Start the VM with Data Exchange on.",
        }
    ]
    out = _render(render_facts, rows)
    assert "os_arch" in out and "Start the VM" in out


def test_make_console(monkeypatch):
    stream = io.StringIO()
    console = make_console(stream=stream)
    assert not console.is_terminal
    console.print("[bold]x[/bold]")
    assert stream.getvalue() == "[bold]x[/bold]\n"  # no markup, no codes

    quiet = io.StringIO()
    make_console(quiet=True, stream=quiet).print("hello")
    assert quiet.getvalue() == ""

    monkeypatch.setenv("COLUMNS", "97")
    assert make_console(stream=io.StringIO()).width == 97
    monkeypatch.setenv("NO_COLOR", "1")
    assert make_console(stream=io.StringIO()).no_color


def test_progress_is_a_no_op_without_a_terminal(capsys):
    console = make_console(stream=io.StringIO())
    with progress(console, "Writing workbook", total=None) as advance:
        advance()
        advance(10, 100)
        advance("inventory.csv", 1, 2)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_progress_draws_on_a_terminal(monkeypatch):
    stream = io.StringIO()

    class TtyConsole(Console):
        def __init__(self, *args, **kwargs):
            kwargs.pop("stderr", None)
            super().__init__(*args, file=stream, force_terminal=True, width=80, **kwargs)

    console = make_console(stream=io.StringIO())
    monkeypatch.setattr(report, "Console", TtyConsole)
    threads = threading.active_count()
    with progress(console, "Reading inventories", total=None) as advance:
        advance(50, 100)
        advance()
        advance("hv01.jsonl", 2, 3)
        # Redrawn by ``advance``, not by a thread: the run can still fork its second process.
        assert threading.active_count() == threads
    assert "Reading inventories" in stream.getvalue()
    assert "hv01.jsonl" in stream.getvalue()
