"""Target parsing and hosts files."""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.scan import Target, parse_target, read_hosts_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "scan"


@pytest.mark.parametrize(
    ("text", "kwargs", "expected", "label"),
    [
        ("hv01", {}, Target("hv01", 5986, "https"), "hv01"),
        ("hv01", {"http": True}, Target("hv01", 5985, "http"), "hv01"),
        ("hv01", {"port": 15986}, Target("hv01", 15986, "https"), "hv01:15986"),
        (
            "  HV01.corp.example.  ",
            {},
            Target("HV01.corp.example", 5986, "https"),
            "HV01.corp.example",
        ),
        ("hv01:5986", {"port": 1234}, Target("hv01", 5986, "https"), "hv01"),
        ("hv01:5985", {}, Target("hv01", 5985, "https"), "hv01:5985"),
        ("hv01:5985", {"http": True}, Target("hv01", 5985, "http"), "hv01"),
        ("hv_01-b", {}, Target("hv_01-b", 5986, "https"), "hv_01-b"),
        ("10.0.0.5", {}, Target("10.0.0.5", 5986, "https"), "10.0.0.5"),
        ("10.0.0.5:5985", {"http": True}, Target("10.0.0.5", 5985, "http"), "10.0.0.5"),
        ("[::1]:5986", {}, Target("::1", 5986, "https"), "[::1]"),
        ("[::1]:5985", {}, Target("::1", 5985, "https"), "[::1]:5985"),
        ("[fe80:0:0:0::1]", {"http": True}, Target("fe80::1", 5985, "http"), "[fe80::1]"),
        ("2001:db8::10", {}, Target("2001:db8::10", 5986, "https"), "[2001:db8::10]"),
        ("http://hv01:5985/wsman", {}, Target("hv01", 5985, "http"), "hv01"),
        ("HTTPS://hv01/wsman", {"http": True}, Target("hv01", 5986, "https"), "hv01"),
        ("http://hv01", {"port": 8080}, Target("hv01", 8080, "http"), "hv01:8080"),
        ("https://hv01:443/wsman/", {}, Target("hv01", 443, "https"), "hv01:443"),
        (
            "https://exch01/powershell",
            {},
            Target("exch01", 5986, "https", "powershell"),
            "exch01/powershell",
        ),
        ("http://[::1]:5985/wsman", {}, Target("::1", 5985, "http"), "[::1]"),
        ("http://127.0.0.1:40123/wsman", {}, Target("127.0.0.1", 40123, "http"), "127.0.0.1:40123"),
    ],
)
def test_parse_target_forms(text: str, kwargs: dict, expected: Target, label: str) -> None:
    target = parse_target(text, **kwargs)
    assert target == expected
    assert target.label == label


def test_url_property_brackets_ipv6() -> None:
    assert parse_target("[::1]:5985", http=True).url == "http://[::1]:5985/wsman"
    assert parse_target("hv01").url == "https://hv01:5986/wsman"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty host name"),
        ("   ", "empty host name"),
        ("hv01:", "port must be a number"),
        ("hv01:0", "port must be a number"),
        ("hv01:65536", "port must be a number"),
        ("hv01:abc", "port must be a number"),
        ("hv 01", "whitespace"),
        ("-hv01", "not a valid host name"),
        ("hv..01", "not a valid host name"),
        ("hv01!", "not a valid host name"),
        ("a" * 64, "not a valid host name"),
        ("300.1.2.3", "not an IPv4 address"),
        ("[::1", "missing ']'"),
        ("[::1]5985", "unexpected text after ']'"),
        ("[not-v6]:5985", "not an IPv6 address"),
        ("fe80::zz", "not an IPv6 address"),
        ("ftp://hv01/wsman", "unsupported scheme"),
        ("http://", "no host name"),
        ("http://hv01/wsman?x=1", "query or fragment"),
        ("http://hv01/ws man", "whitespace"),
        ("http://hv01/ws%20man", "bad WSMan path"),
        ("hv01/wsman", "http(s)://host:port/path"),
    ],
)
def test_parse_target_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=None) as caught:
        parse_target(text)
    text_of_error = str(caught.value)
    assert message in text_of_error
    assert "\n" not in text_of_error


def test_parse_target_rejects_bad_default_port() -> None:
    with pytest.raises(ValueError, match="from 1 to 65535"):
        parse_target("hv01", port=70000)


@pytest.mark.parametrize(
    "text", ["admin:Hunter2-secret@hv01", "https://admin:Hunter2-secret@hv01/wsman", "admin@hv01"]
)
def test_credentials_in_target_are_refused_without_echo(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_target(text)
    assert "--user" in str(caught.value)
    assert "Hunter2" not in str(caught.value)
    assert "admin" not in str(caught.value)


def test_targets_are_hashable_and_frozen() -> None:
    target = parse_target("hv01")
    assert {target: 1}[parse_target("hv01:5986")] == 1
    with pytest.raises(AttributeError):
        target.host = "other"  # type: ignore[misc]


def test_read_hosts_file_skips_comments_and_blanks() -> None:
    hosts = read_hosts_file(FIXTURES / "hosts.txt")
    assert hosts == [
        "hv01",
        "hv02.corp.example:5986",
        "10.0.0.5",
        "[fe80::1]:5985",
        "https://hv03.corp.example:443/wsman",
    ]
    assert [parse_target(h).label for h in hosts] == [
        "hv01",
        "hv02.corp.example",
        "10.0.0.5",
        "[fe80::1]:5985",
        "hv03.corp.example:443",
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_read_hosts_file_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "hosts.txt"
    path.write_text("# exported from PowerShell\r\nhv01\r\n\r\nhv02:5985\r\n", encoding=encoding)
    assert read_hosts_file(path) == ["hv01", "hv02:5985"]


def test_read_hosts_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read hosts file"):
        read_hosts_file(tmp_path / "missing.txt")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\x00\xc3\x28 not text")
    with pytest.raises(ValueError, match="not UTF-8 or UTF-16"):
        read_hosts_file(binary)


def test_read_hosts_file_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("\n# nothing\n\n", encoding="utf-8")
    assert read_hosts_file(path) == []
