"""A lying host echoes the password in every encoding it could take on the way: as Windows
PowerShell 5.1's ConvertTo-Json writes it (\\u0026, \\u0027, \\u003c, \\u003e, \\", \\\\),
XML-escaped, URL-encoded, base64. None of those reaches the JSON, CSV or workbook, the raw
records, the terminal or the debug log."""

from __future__ import annotations

import base64
import json
import logging
import urllib.parse
import zipfile
from pathlib import Path

import pytest

from assess.cli.main import main
from assess.scan.redact import Redactor
from tests.fakewsman import FakeFleet, FakeHost

FIXTURES = Path(__file__).parent.parent / "fixtures" / "scan"
HEALTHY = (FIXTURES / "healthy.jsonl").read_text(encoding="utf-8").splitlines()
PASSWORD = "Pa55&'<>\"\\word!"
USER = "scanner"


def ps51_json(value: object) -> str:
    """A line as Windows PowerShell 5.1 ConvertTo-Json -Compress writes it."""
    text = json.dumps(value, separators=(",", ":"))
    for char, escape in {"&": "\\u0026", "'": "\\u0027", "<": "\\u003c", ">": "\\u003e"}.items():
        text = text.replace(char, escape)
    return text


def xml_escaped(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


def forms() -> list[str]:
    """How the password could show up in an output file or log line."""
    encoded = json.dumps(PASSWORD)[1:-1]
    ps51 = ps51_json(PASSWORD)[1:-1]
    return [
        PASSWORD,
        encoded,
        ps51,
        xml_escaped(PASSWORD),
        xml_escaped(encoded),
        xml_escaped(PASSWORD).replace("&apos;", "'").replace("&quot;", '"'),
        urllib.parse.quote(PASSWORD, safe=""),
        base64.b64encode(PASSWORD.encode()).decode().rstrip("="),
    ]


def lying_lines() -> list[str]:
    host, vm, end = json.loads(HEALTHY[0]), json.loads(HEALTHY[1]), json.loads(HEALTHY[-1])
    vm["notes"] = " | ".join(f"form {i}: {form}" for i, form in enumerate(forms()))
    vm["name"] = f"VM {PASSWORD}"
    end["vmCount"] = 1
    return [ps51_json(host), ps51_json(vm), ps51_json(end)]


def everything_written(folder: Path) -> str:
    texts = []
    for path in folder.rglob("*"):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                texts += [book.read(n).decode("utf-8", "replace") for n in book.namelist()]
        elif path.is_file():
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(texts)


@pytest.mark.slow
def test_every_encoded_echo_is_masked_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("GEN2_TEST_PASSWORD", PASSWORD)
    liar = FakeHost(
        lines=lying_lines(),
        behaviour="nonterminating",
        username=USER,
        password=PASSWORD,
        error_messages=[f"logon failed: {xml_escaped(PASSWORD)} / {ps51_json(PASSWORD)}"],
    )
    out = tmp_path / "out"
    with FakeFleet([liar]) as fleet:
        code = main([
            "scan", fleet.urls[0], "--http", "--auth", "basic", "--allow-unencrypted",
            "--user", USER, "--password-env", "GEN2_TEST_PASSWORD", "--timeout", "20",
            "--json", str(out / "scan.json"), "--xlsx", str(out / "scan.xlsx"),
            "--csv", str(out / "csv"), "--out", str(out / "raw.jsonl"),
        ])  # fmt: skip
    assert code == 3  # partial: the host reported errors
    captured = capsys.readouterr()
    document = json.loads((out / "scan.json").read_text(encoding="utf-8"))
    assert len(document["vms"]) == 1
    assert any(r.name.startswith("pypsrp") for r in caplog.records)  # DEBUG really on
    places = {
        "files": everything_written(out),
        "stdout": captured.out,
        "stderr": captured.err,
        "log": caplog.text,
    }
    for place, text in places.items():
        for form in forms():
            assert form not in text, (place, form)
    assert "***" in (out / "raw.jsonl").read_text(encoding="utf-8")  # masked, not dropped


@pytest.mark.parametrize("form", forms())
def test_a_decoded_record_is_masked_in_any_string(form: str) -> None:
    redactor = Redactor(PASSWORD, USER)
    line = ps51_json({"kind": "vm", "notes": [f"echo {form}"], form: 1})
    masked = redactor.record_line(line)
    decoded = json.loads(masked)
    assert decoded["notes"] == ["echo ***"] and "***" in decoded
    for other in forms():
        assert other not in masked


def test_base64_at_any_byte_alignment_is_masked() -> None:
    redactor = Redactor(PASSWORD, USER)
    for prefix in (b"", b"a", b"ab", b"abc<S>"):
        stream = base64.b64encode(prefix + PASSWORD.encode() + b"</S> tail").decode()
        masked = redactor.text(f"<rsp:Stream>{stream}</rsp:Stream>")
        assert "***" in masked and stream not in masked
