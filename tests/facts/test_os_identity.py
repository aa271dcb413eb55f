"""Guest OS identification from what KVP, inventories, VMware, SCVMM and CMDBs really say."""

from __future__ import annotations

import pytest

from assess.model.os_identity import GUEST_COLUMNS, architecture, identify_guest, identify_os


@pytest.mark.parametrize(
    ("fields", "display", "arch"),
    [
        (
            {"name": "Windows Server 2019 Datacenter", "version": "10.0.17763",
             "product_type": "3", "arch": "9"},
            "Windows Server 2019 Datacenter",
            "x64",
        ),
        # Windows 11 reports itself as "Windows 10": the build tells.
        (
            {"name": "Windows 10 Enterprise", "version": "10.0.22631", "build": "22631",
             "product_type": "1", "arch": "9"},
            "Windows 11 Enterprise 23H2",
            "x64",
        ),
        ({"name": "Windows 10 Pro", "version": "10.0.19045", "product_type": "1"},
         "Windows 10 Pro 22H2", None),
        # Same version number, told apart by ProductType.
        ({"version": "6.3.9600", "product_type": "3"}, "Windows Server 2012 R2", "x64"),
        ({"version": "6.3.9600", "product_type": "1"}, "Windows 8.1", None),
        ({"version": "6.1.7601", "product_type": "2"}, "Windows Server 2008 R2", "x64"),
        ({"name": "Windows 7 Professional", "version": "6.1.7601", "product_type": "1",
          "arch": "0"}, "Windows 7 Pro", "x86"),
        ({"version": "10.0.20348", "product_type": "3"}, "Windows Server 2022", "x64"),
        ({"version": "10.0.26100", "product_type": "3"}, "Windows Server 2025", "x64"),
        ({"version": "10.0.14393", "product_type": "3"}, "Windows Server 2016", "x64"),
        # Linux KVP: OSName is the os-release NAME, the version sits in OSMajorVersion.
        ({"name": "Ubuntu", "version": "5.15.0-91-generic", "major": "20.04",
          "arch": "x86_64"}, "Ubuntu 20.04", "x64"),
        ({"name": "CentOS Linux", "major": "7", "arch": "x86_64"}, "CentOS 7", "x64"),
        ({"name": "Red Hat Enterprise Linux", "major": "8.9", "arch": "x86_64"}, "RHEL 8.9",
         "x64"),
        ({"name": "Debian GNU/Linux", "major": "12", "arch": "i686"}, "Debian 12", "x86"),
        ({"name": "FreeBSD", "version": "12.2-RELEASE", "arch": "amd64"}, "FreeBSD 12.2",
         "x64"),
        # Typed by people.
        ({"name": "Windows Server 2012 R2 Standard (64-bit)"},
         "Windows Server 2012 R2 Standard", "x64"),
        ({"name": "Win2k8R2"}, "Windows Server 2008 R2", "x64"),
        ({"name": "Microsoft Windows Server 2003 R2 Enterprise x86"},
         "Windows Server 2003 R2 Enterprise", "x86"),
        ({"name": "RHEL 8.6", "arch": "64-bit"}, "RHEL 8.6", "x64"),
        ({"name": "Ubuntu 22.04 LTS", "arch": "amd64"}, "Ubuntu 22.04", "x64"),
    ],
)  # fmt: skip
def test_identify(fields: dict, display: str, arch: str | None) -> None:
    guest = identify_os(**fields)
    assert guest.display == display
    assert guest.arch == arch


def test_evidence_says_what_was_read() -> None:
    guest = identify_os(name="Ubuntu", major="22.04", version="5.15.0-91-generic", origin="KVP")
    assert guest.evidence == "Ubuntu 22.04 from KVP OSName 'Ubuntu' and OSMajorVersion '22.04'"


def test_nothing_known_is_unknown_not_a_guess() -> None:
    guest = identify_os()
    assert guest.family is None and guest.display is None and guest.arch is None
    assert not guest.release_known


def test_unlisted_distribution_is_flagged_as_such() -> None:
    guest = identify_os(name="Alpine Linux", major="3.18", arch="x86_64")
    assert guest.distro == "linux-other"
    assert "not on Microsoft" in guest.evidence


# --- class 1: an unknown release stays unknown and the evidence says what is missing -------


@pytest.mark.parametrize(
    ("fields", "distro"),
    [
        ({"name": "CentOS"}, "centos"),
        ({"name": "Ubuntu Linux (64-bit)"}, "ubuntu"),
        ({"name": "Debian GNU/Linux", "major": "bookworm/sid"}, "debian"),
        ({"name": "openSUSE Tumbleweed", "major": "20240101"}, "opensuse-rolling"),
        ({"name": "FreeBSD"}, "freebsd"),
        ({"name": "Red Hat Enterprise Linux"}, "rhel"),
    ],
)
def test_unknown_release_is_unknown(fields: dict, distro: str) -> None:
    guest = identify_os(**fields)
    assert guest.distro == distro
    assert guest.release is None and guest.version_key is None
    assert "release unknown" in guest.evidence


# --- class 2: digits that are not a release ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "arch"),
    [
        ("Ubuntu Linux (64-bit)", "x64"),
        ("CentOS (x86_64)", "x64"),
        ("CentOS 4/5/6/7 (64-bit)", "x64"),
        ("Red Hat Enterprise Linux 4/5/6/7 (32-bit)", "x86"),
        ("Other 2.6.x Linux (64-bit)", "x64"),
        ("Other 3.x or later Linux (64-bit)", "x64"),
        ("Other 4.x or later Linux (32-bit)", "x86"),
        ("Debian GNU/Linux x86_64", "x64"),
        ("SUSE Linux Enterprise (64 bit)", "x64"),
        ("Oracle Linux i686", "x86"),
        ("Microsoft Windows Server 2016 or later (64-bit)", "x64"),
    ],
)
def test_bitness_and_ranges_are_never_a_release(name: str, arch: str) -> None:
    guest = identify_os(name=name)
    assert guest.release is None, guest.evidence
    assert guest.arch == arch


# --- class 3: architecture as people write it -----------------------------------------------


@pytest.mark.parametrize(
    ("raw", "arch"),
    [
        ("9", "x64"), ("0", "x86"), ("12", "arm64"), ("5", "arm"), ("6", "ia64"),
        ("x86_64", "x64"), ("AMD64", "x64"), ("amd64", "x64"), ("x64", "x64"), ("64", "x64"),
        ("64-bit", "x64"), ("64 bit", "x64"), ("X86-64", "x64"), ("EM64T", "x64"),
        ("i686", "x86"), ("i386", "x86"), ("x86", "x86"), ("32", "x86"), ("32-bit", "x86"),
        ("32 Bit", "x86"), ("aarch64", "arm64"), ("ARM64", "arm64"),
        ("x64-based PC", "x64"), ("65535", None), ("", None),
    ],
)  # fmt: skip
def test_architecture_field(raw: str, arch: str | None) -> None:
    assert architecture(raw) == (arch, True)


def test_unreadable_architecture_is_reported_not_dropped() -> None:
    assert architecture("banana") == (None, False)
    guest = identify_os(name="Windows 10 Pro", arch="banana")
    assert guest.arch is None
    assert "architecture 'banana'" in guest.evidence and guest.problems


def test_32_bit_windows_10_typed_so_is_x86() -> None:
    for fields in (
        {"name": "Windows 10 Pro", "arch": "32"},
        {"name": "Windows 10 Pro", "arch": "32-bit"},
        {"name": "Windows 10 Pro (32-bit)"},
        {"name": "Win10 x86"},
    ):
        guest = identify_os(**fields)
        assert (guest.release, guest.arch) == ("10", "x86"), fields


# --- class 4: Windows 10/11 releases ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "release", "key"),
    [
        ({"name": "Windows 10 Pro", "build": "1809"}, "10", "10.17763"),  # release id
        ({"name": "Win10 21H2"}, "10", "10.19044"),
        ({"name": "Windows 11 Pro 22H2"}, "11", "11"),
        ({"name": "Windows 10 Enterprise 2016 LTSB"}, "10", "10.14393"),
        ({"name": "Windows 10 Enterprise LTSC 2019"}, "10", "10.17763"),
        ({"name": "Windows 10 IoT Enterprise LTSC 2021"}, "10", "10.19044"),
        ({"name": "Windows 10 Enterprise 2015 LTSB"}, "10", "10.10240"),
        ({"name": "Windows 11 IoT Enterprise LTSC 2024"}, "11", "11"),
        ({"name": "Windows 10 Pro", "version": "10.0.10586"}, "10", "10.10586"),
        ({"name": "Windows 10 Pro", "build": "15063"}, "10", "10.15063"),
        ({"name": "Windows 10 Enterprise", "version": "10.0.22000"}, "11", "11"),
        ({"name": "Microsoft Windows 10 (64-bit)"}, "10", "10"),
    ],
)
def test_windows_client_releases(fields: dict, release: str, key: str) -> None:
    guest = identify_os(**fields)
    assert (guest.kind, guest.release, guest.version_key) == ("client", release, key)


# --- class 5: Windows products whose name does not say "Windows Server 20xx" ----------------


@pytest.mark.parametrize(
    ("fields", "release", "kind", "edition"),
    [
        ({"name": "Hyper-V Server 2019", "version": "10.0.17763"}, "2019", "server",
         "Hyper-V Server"),
        ({"name": "Microsoft Hyper-V Server 2016"}, "2016", "server", "Hyper-V Server"),
        ({"name": "Hyper-V Server 2012 R2", "version": "6.3.9600"}, "2012 R2", "server",
         "Hyper-V Server"),
        ({"name": "Windows Server Datacenter", "version": "10.0.18363", "product_type": "3"},
         "version 1909", "server", "Datacenter"),
        ({"name": "Windows Server Standard", "version": "10.0.17134", "product_type": "3"},
         "version 1803", "server", "Standard"),
        ({"name": "Windows Server 2022 Datacenter: Azure Edition", "version": "10.0.20348"},
         "2022", "server", "Datacenter: Azure Edition"),
        ({"name": "Windows 10 Enterprise multi-session", "version": "10.0.19045",
          "product_type": "3"}, "10", "client", "Enterprise multi-session"),
        ({"name": "Windows 11 Enterprise multi-session", "version": "10.0.22631",
          "product_type": "3"}, "11", "client", "Enterprise multi-session"),
        ({"name": "Windows 10 Enterprise for Virtual Desktops", "version": "10.0.17763",
          "product_type": "3"}, "10", "client", "Enterprise multi-session"),
        ({"name": "64-bit edition of Windows Server 2016 Datacenter"}, "2016", "server",
         "Datacenter"),
        ({"name": "W2K12R2"}, "2012 R2", "server", None),
        ({"name": "Win2k8 R2 SP1"}, "2008 R2", "server", None),
        ({"name": "Windows Small Business Server 2011 Standard"}, "2008 R2", "server",
         "Small Business"),
    ],
)  # fmt: skip
def test_windows_server_products(fields: dict, release: str, kind: str, edition) -> None:
    guest = identify_os(**fields)
    assert (guest.release, guest.kind, guest.edition) == (release, kind, edition)


def test_semi_annual_builds_are_keyed_between_long_term_releases() -> None:
    assert identify_os(version="10.0.16299", product_type="3").version_key == "2016.1709"
    assert identify_os(version="10.0.18362", product_type="3").version_key == "2019.1903"


# --- Linux daemon shapes, VMware, CMDB --------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "distro", "release"),
    [
        # redhat-release fallback: the file's first line is OSName.
        ({"name": "CentOS release 6.10 (Final)"}, "centos", "6.10"),
        ({"name": "Red Hat Enterprise Linux Server release 5.11 (Tikanga)"}, "rhel", "5.11"),
        # SuSE-release fallback: three lines.
        ({"name": "SUSE Linux Enterprise Server 11 (x86_64)", "major": "VERSION = 11",
          "minor": "PATCHLEVEL = 4"}, "sles", "11.4"),
        # No VERSION_ID: an Enterprise Linux kernel names the major release.
        ({"name": "Red Hat Enterprise Linux Server", "version": "3.10.0-1160.el7.x86_64"},
         "rhel", "7"),
        ({"name": "FreeBSD", "version": "13.2-RELEASE-p4", "arch": "amd64"}, "freebsd", "13.2"),
        ({"name": "Red Hat Enterprise Linux 8 (64-bit)"}, "rhel", "8"),
        ({"name": "Debian GNU/Linux 10 (64-bit)"}, "debian", "10"),
        ({"name": "RHEL 7.9"}, "rhel", "7.9"),
        ({"name": "SLES 12 SP5"}, "sles", "12.5"),
        ({"name": "SLES 15 SP4 for SAP"}, "sles", "15.4"),
        ({"name": "Ubuntu jammy"}, "ubuntu", "22.04"),
        ({"name": "Rocky Linux", "major": "9.3"}, "rhel", "9.3"),
        ({"name": "Oracle Solaris 10 (64-bit)"}, "solaris", "10"),
    ],
)  # fmt: skip
def test_unix_shapes(fields: dict, distro: str, release: str) -> None:
    guest = identify_os(**fields)
    assert (guest.distro, guest.release) == (distro, release), guest.evidence


def test_an_os_hyper_v_cannot_run_is_marked_so() -> None:
    guest = identify_os(name="Oracle Solaris 11 (64-bit)")
    assert guest.family == "unsupported"
    assert "Hyper-V does not run" in guest.evidence


def test_an_unrecognised_name_stays_unknown_and_says_so() -> None:
    guest = identify_os(name="Acme Appliance OS", origin="template")
    assert guest.family is None and guest.distro is None
    assert guest.evidence.startswith("unrecognised OS from template OSName 'Acme Appliance OS'")


def test_identify_guest_reads_the_inventory_columns_in_order() -> None:
    row = {
        "os_name": None,
        "os_version": "6.3.9600",
        "os_major": None,
        "os_minor": None,
        "os_build": None,
        "os_product_type": "1",
        "os_architecture": "0",
    }
    os = identify_guest([row[column] for column in GUEST_COLUMNS], origin="KVP")
    assert (os.display, os.arch) == ("Windows 8.1", "x86")
    assert os.evidence.startswith("Windows 8.1 from KVP ")


# --- safety ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "1" * 1_000_000,
        "1 " * 500_000,
        "Windows " + "2019 " * 200_000,
        "Ubuntu " + "1." * 500_000,
        ("x86_64 (64-bit) 4/5/6/7 " * 40_000)[:1_000_000],
    ],
    ids=["digits", "digits-spaces", "windows-years", "dotted", "mixed"],
)
def test_a_megabyte_name_is_read_quickly(name: str) -> None:
    import time

    started = time.perf_counter()
    identify_os(name=name, version=name, major=name, build=name, arch=name)
    assert time.perf_counter() - started < 2.0
