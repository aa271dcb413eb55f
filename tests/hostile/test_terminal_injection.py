"""File names and host texts reach the terminal through one sanitiser: no escape sequences
(window titles, colours, cursor moves), no C1 controls, no bidi overrides, and never read as
Rich markup (a name with ``[/]`` must not crash, ``[link=...]`` must not become a link)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from assess.cli.main import main
from assess.render.terminal import report, scan_progress
from assess.render.text_safety import terminal_text

SAMPLE = Path(__file__).resolve().parents[2] / "sample_inventory"
HOSTILE = "a\x1b]0;owned\x07b\x9b31m[/][link=evil.example]c\u202edfe.csv"
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\u202e")


def assert_inert(text: str) -> None:
    for char in FORBIDDEN:
        assert char not in text, repr(char)


def test_the_sanitiser_drops_controls_and_bidi_overrides() -> None:
    assert terminal_text(HOSTILE) == "a]0;ownedb31m[/][link=evil.example]cdfe.csv"
    assert terminal_text("x\u2066y\u2069z\u200f") == "xyz"


@pytest.mark.slow
def test_a_hostile_file_name_in_warnings_and_errors(tmp_path: Path, capsys) -> None:
    source = (SAMPLE / "dev-cluster-inventory.csv").read_text(encoding="utf-8-sig")
    lines = source.splitlines()
    lines[1] = lines[1].replace(",1,9.0,", ",seven,9.0,", 1)  # a bad generation: a warning
    folder = tmp_path / "in["  # the path then holds "[/", a Rich closing tag
    folder.mkdir()
    path = folder / HOSTILE.replace("[/]", "]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["run", str(path), "--no-save", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "in[/a]0;ownedb31m][link=evil.example]cdfe.csv:2:" in err
    assert_inert(err)
    assert main(["run", str(folder / ("missing-" + HOSTILE)), "--no-save"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("assess: error: ") and err.count("\n") == 1
    assert_inert(err)


def test_progress_bars_show_names_as_text(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    # The bars draw only on a terminal: pretend stderr is one.
    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    console = Console(file=io.StringIO())
    with report.progress(console, "Reading inventories", total=2) as advance:
        advance(HOSTILE, 1, 2)
        advance("[bold]x[/bold]", 2, 2)
    with scan_progress.scan_progress(console, [HOSTILE]) as on_event:
        on_event(HOSTILE, "connecting", "")
        on_event(HOSTILE, "done", f"ok: {HOSTILE}")
    screen = capsys.readouterr().err
    assert "Reading inventories" in screen and "connecting" in screen
    assert_inert(screen.replace("\x1b[", ""))  # Rich's own colour codes aside
    assert "\x1b]8;" not in screen  # no hyperlink escape (OSC 8)
    assert "[/][link=evil.example]" in screen
