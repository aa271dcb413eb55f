"""Guest OS identification from what KVP and inventories really say."""

from __future__ import annotations

import pytest

from assess.facts.guest_os import identify, parse_architecture


@pytest.mark.parametrize(
    ("fields", "display", "arch"),
    [
        (
            {
                "name": "Windows Server 2019 Datacenter",
                "version": "10.0.17763",
                "product_type": "3",
                "architecture": "9",
            },
            "Windows Server 2019",
            "x64",
        ),
        # Windows 11 reports itself as "Windows 10": the build tells.
        (
            {
                "name": "Windows 10 Enterprise",
                "version": "10.0.22631",
                "build": "22631",
                "product_type": "1",
                "architecture": "9",
            },
            "Windows 11",
            "x64",
        ),
        (
            {"name": "Windows 10 Pro", "version": "10.0.19045", "product_type": "1"},
            "Windows 10",
            None,
        ),
        # Same version number, told apart by ProductType.
        ({"name": "", "version": "6.3.9600", "product_type": "3"}, "Windows Server 2012 R2", "x64"),
        ({"name": "", "version": "6.3.9600", "product_type": "1"}, "Windows 8.1", None),
        ({"version": "6.1.7601", "product_type": "2"}, "Windows Server 2008 R2", "x64"),
        (
            {
                "name": "Windows 7 Professional",
                "version": "6.1.7601",
                "product_type": "1",
                "architecture": "0",
            },
            "Windows 7",
            "x86",
        ),
        ({"version": "10.0.20348", "product_type": "3"}, "Windows Server 2022", "x64"),
        ({"version": "10.0.26100", "product_type": "3"}, "Windows Server 2025", "x64"),
        ({"version": "10.0.14393", "product_type": "3"}, "Windows Server 2016", "x64"),
        # Linux KVP: OSName is the os-release NAME, the version sits in OSMajorVersion.
        (
            {
                "name": "Ubuntu",
                "version": "5.15.0-91-generic",
                "major": "20.04",
                "architecture": "x86_64",
            },
            "Ubuntu 20.04",
            "x64",
        ),
        ({"name": "CentOS Linux", "major": "7", "architecture": "x86_64"}, "CentOS 7", "x64"),
        (
            {"name": "Red Hat Enterprise Linux", "major": "8.9", "architecture": "x86_64"},
            "RHEL 8.9",
            "x64",
        ),
        ({"name": "Debian GNU/Linux", "major": "12", "architecture": "i686"}, "Debian 12", "x86"),
        (
            {"name": "FreeBSD", "version": "12.2-RELEASE", "architecture": "amd64"},
            "FreeBSD 12.2",
            "x64",
        ),
        # Typed by people.
        ({"name": "Windows Server 2012 R2 Standard (64-bit)"}, "Windows Server 2012 R2", "x64"),
        ({"name": "Win2k8R2"}, "Windows Server 2008 R2", "x64"),
        (
            {"name": "Microsoft Windows Server 2003 R2 Enterprise x86"},
            "Windows Server 2003 R2",
            "x86",
        ),
        ({"name": "RHEL 8.6", "architecture": "64-bit"}, "RHEL 8.6", "x64"),
        ({"name": "Ubuntu 22.04 LTS", "architecture": "amd64"}, "Ubuntu 22.04", "x64"),
    ],
)
def test_identify(fields: dict, display: str, arch: str | None) -> None:
    guest = identify(**fields)
    assert guest.display == display
    assert guest.arch == arch


def test_nothing_known_is_unknown_not_a_guess() -> None:
    guest = identify()
    assert guest.family is None and guest.display is None and guest.arch is None


def test_unlisted_distribution_is_flagged_as_such() -> None:
    guest = identify(name="Alpine Linux", major="3.18", architecture="x86_64")
    assert guest.distro == "linux-other"
    assert "not on Microsoft" in guest.evidence


@pytest.mark.parametrize(
    ("raw", "arch"),
    [
        ("9", "x64"),
        ("0", "x86"),
        ("12", "arm64"),
        ("x86_64", "x64"),
        ("AMD64", "x64"),
        ("i686", "x86"),
        ("32-bit", "x86"),
        ("64-bit", "x64"),
        ("65535", None),
        ("", None),
        ("banana", None),
    ],
)
def test_parse_architecture(raw: str, arch: str | None) -> None:
    assert parse_architecture(raw) == arch
