"""Guest operating system: from what KVP or an inventory says to a family, release and arch.

What the inputs really say:
- Windows KVP: OSName "Windows Server 2019 Datacenter", OSVersion "10.0.17763",
  OSBuildNumber, ProductType (1 workstation, 2 domain controller, 3 server) and
  ProcessorArchitecture (0 x86, 5 ARM, 6 IA64, 9 x64, 12 ARM64). Windows 11 says
  "Windows 10 ..." in OSName: build 22000 or later on a workstation is Windows 11.
  Client and server share version numbers (10.0, 6.3, 6.2, 6.1): ProductType tells them apart.
- Linux KVP (hv_kvp_daemon): OSName is the os-release NAME ("Ubuntu", "CentOS Linux"),
  OSMajorVersion its VERSION_ID ("20.04"), OSVersion the kernel release, and the
  architecture is `uname -m` ("x86_64", "i686"). FreeBSD says "amd64"/"i386".
- Inventories typed by people: "Windows Server 2012 R2 Standard (64-bit)", "RHEL 8.6",
  "Ubuntu 22.04 LTS", "CentOS 7", "Win2k8R2".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ARCH_CODES = {
    "0": "x86",
    "5": "arm",
    "6": "ia64",
    "9": "x64",
    "12": "arm64",
}
_ARCH_WORDS = {
    "x64": "x64",
    "64-bit": "x64",
    "64bit": "x64",
    "64 bit": "x64",
    "amd64": "x64",
    "x86_64": "x64",
    "x86-64": "x64",
    "em64t": "x64",
    "x86": "x86",
    "32-bit": "x86",
    "32bit": "x86",
    "32 bit": "x86",
    "i386": "x86",
    "i486": "x86",
    "i586": "x86",
    "i686": "x86",
    "arm64": "arm64",
    "aarch64": "arm64",
    "ia64": "ia64",
}


def parse_architecture(raw: str | None) -> str | None:
    """``9``/``x86_64``/``64-bit``... -> ``x64``; ``0``/``i686``/``32-bit`` -> ``x86``."""
    if raw is None:
        return None
    text = str(raw).strip().lower()
    if not text or text == "65535":
        return None
    if text in ARCH_CODES:
        return ARCH_CODES[text]
    return _ARCH_WORDS.get(text)


@dataclass(frozen=True)
class GuestOS:
    family: str | None  # windows | linux | freebsd
    distro: str | None  # windows-server | windows-client | rhel | centos | ubuntu | ...
    release: str | None  # "2019", "2012 R2", "10", "11", "20.04", "7.9"
    version_key: str | None  # dotted number the support matrix compares: "2012.2", "10.19045"
    display: str | None  # "Windows Server 2012 R2", "Ubuntu 20.04"
    arch: str | None  # x64 | x86 | arm64 | arm | ia64
    arch_evidence: str | None
    evidence: str


UNKNOWN = GuestOS(None, None, None, None, None, None, None, "no guest OS reported")

_SERVER_BY_BUILD = ((26100, "2025"), (20348, "2022"), (17763, "2019"), (14393, "2016"))
_SERVER_BY_VERSION = {
    "6.3": "2012 R2",
    "6.2": "2012",
    "6.1": "2008 R2",
    "6.0": "2008",
    "5.2": "2003",
    "5.0": "2000",
}
_CLIENT_BY_VERSION = {
    "6.3": "8.1",
    "6.2": "8",
    "6.1": "7",
    "6.0": "Vista",
    "5.2": "XP",
    "5.1": "XP",
}

_SERVER_NAME = re.compile(
    r"(?:windows\s*server|win\s*(?:server)?|w2k|win2k|ws)\s*(?:\(r\)\s*)?"
    r"(2025|2022|2019|2016|2012|2008|2003|2000|2k(?:3|8|12|16|19|22|25)|k(?:3|8))"
    r"\s*(r2)?",
    re.IGNORECASE,
)
_SHORT_YEAR = {"2k3": "2003", "k3": "2003", "2k8": "2008", "k8": "2008", "2k12": "2012"}
_SHORT_YEAR |= {"2k16": "2016", "2k19": "2019", "2k22": "2022", "2k25": "2025"}
_CLIENT_NAME = re.compile(r"windows\s*(11|10|8\.1|8|7|vista|xp|2000|nt|me|98|95)\b", re.IGNORECASE)
_SERVER_RELEASE_KEY = {
    "2025": "2025",
    "2022": "2022",
    "2019": "2019",
    "2016": "2016",
    "2012 R2": "2012.2",
    "2012": "2012",
    "2008 R2": "2008.2",
    "2008": "2008",
    "2003": "2003",
    "2000": "2000",
}
_CLIENT_RELEASE_KEY = {
    "11": "11",
    "10": "10",
    "8.1": "8.1",
    "8": "8",
    "7": "7",
    "Vista": "6",
    "XP": "5",
    "2000": "4",
    "NT": "4",
    "ME": "4",
    "98": "4",
    "95": "4",
}
_64BIT_ONLY_SERVER = {"2008 R2", "2012", "2012 R2", "2016", "2019", "2022", "2025"}

#: Linux distributions: pattern over the name -> (distro id, display name).
_LINUX = (
    (re.compile(r"red\s*hat|rhel", re.I), "rhel", "RHEL"),
    (re.compile(r"rocky|alma", re.I), "rhel", "RHEL-compatible"),
    (re.compile(r"centos", re.I), "centos", "CentOS"),
    (re.compile(r"oracle|\bol\s*\d", re.I), "oracle", "Oracle Linux"),
    (re.compile(r"ubuntu", re.I), "ubuntu", "Ubuntu"),
    (re.compile(r"debian", re.I), "debian", "Debian"),
    (re.compile(r"sles|suse linux enterprise|sle\b", re.I), "sles", "SLES"),
    (re.compile(r"opensuse", re.I), "opensuse", "openSUSE"),
    (re.compile(r"freebsd", re.I), "freebsd", "FreeBSD"),
    (
        re.compile(r"linux|fedora|alpine|arch|gentoo|mint|photon|amazon|coreos|kali", re.I),
        "linux-other",
        None,
    ),
)
_VERSION_NUMBER = re.compile(r"(\d+(?:\.\d+)*)")
_SP = re.compile(r"(\d+)\s*-?\s*sp\s*(\d+)", re.I)


def _clean(value: object) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    return "" if text.lower() in {"", "nan", "<na>", "none", "null", "unknown"} else text


def _build_number(*candidates: str) -> int | None:
    for text in candidates:
        if not text:
            continue
        parts = text.split(".")
        # "10.0.17763" -> 17763 ; "17763" -> 17763 ; "17763.1234" -> 17763
        if len(parts) >= 3 and parts[2].isdigit():
            return int(parts[2])
        if parts[0].isdigit() and int(parts[0]) >= 1000:
            return int(parts[0])
    return None


def identify(
    name: object = None,
    version: object = None,
    major: object = None,
    minor: object = None,
    build: object = None,
    product_type: object = None,
    architecture: object = None,
) -> GuestOS:
    """Identify the guest OS from whatever subset of KVP-like fields is known."""
    name_s, version_s = _clean(name), _clean(version)
    major_s, minor_s, build_s = _clean(major), _clean(minor), _clean(build)
    product_s = _clean(product_type)
    arch_raw = _clean(architecture)
    arch = parse_architecture(arch_raw) if arch_raw else None
    arch_evidence = f"architecture {arch_raw!r}" if arch else None
    if not arch and name_s:
        lowered = name_s.lower()
        for word, value in sorted(_ARCH_WORDS.items(), key=lambda kv: -len(kv[0])):
            if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", lowered):
                arch, arch_evidence = value, f"OS name says {word!r}"
                break
    if not name_s and not version_s and not major_s:
        return GuestOS(None, None, None, None, None, arch, arch_evidence, UNKNOWN.evidence)

    lowered = name_s.lower()
    is_windows = (
        "windows" in lowered
        or bool(_SERVER_NAME.search(name_s))
        or (not name_s and product_s in {"1", "2", "3"})
    )
    if is_windows or (not name_s and re.fullmatch(r"\d+\.\d+(\.\d+)*", version_s or "")):
        return _identify_windows(
            name_s, version_s, major_s, minor_s, build_s, product_s, arch, arch_evidence
        )
    return _identify_unix(name_s, version_s, major_s, minor_s, arch, arch_evidence)


def _identify_windows(
    name: str,
    version: str,
    major: str,
    minor: str,
    build: str,
    product: str,
    arch: str | None,
    arch_evidence: str | None,
) -> GuestOS:
    if not version and major:
        version = f"{major}.{minor or 0}"
    nt = ".".join(version.split(".")[:2]) if version else ""
    build_no = _build_number(build, version)
    server_match = _SERVER_NAME.search(name)
    client_match = _CLIENT_NAME.search(name)
    is_server: bool | None = None
    if product in {"2", "3"} or server_match or "server" in name.lower():
        is_server = True
    elif product == "1" or client_match:
        is_server = False

    release: str | None = None
    how = ""
    if is_server:
        if nt == "10.0" and build_no:
            for threshold, year in _SERVER_BY_BUILD:
                if build_no >= threshold:
                    release, how = year, f"build {build_no}"
                    break
            else:
                release, how = "2016", f"build {build_no} (pre-release 2016)"
        elif nt in _SERVER_BY_VERSION:
            release, how = _SERVER_BY_VERSION[nt], f"version {nt}"
        if release is None and server_match:
            year = server_match.group(1).lower()
            year = _SHORT_YEAR.get(year, year)
            release = year + (" R2" if server_match.group(2) else "")
            how = "OS name"
    elif is_server is False:
        if nt == "10.0" or (client_match and client_match.group(1) in {"10", "11"}):
            if build_no and build_no >= 22000:
                release, how = "11", f"build {build_no} (Windows 11 reports itself as 10)"
            elif client_match and client_match.group(1) == "11":
                release, how = "11", "OS name"
            else:
                release, how = "10", "version 10.0" if nt else "OS name"
        elif nt in _CLIENT_BY_VERSION:
            release, how = _CLIENT_BY_VERSION[nt], f"version {nt}"
        elif client_match:
            word = client_match.group(1)
            release = {"vista": "Vista", "xp": "XP", "nt": "NT", "me": "ME"}.get(word.lower(), word)
            how = "OS name"
    if release is None:
        return GuestOS(
            "windows",
            None,
            None,
            None,
            name or "Windows",
            arch,
            arch_evidence,
            f"Windows, release not recognised from {name or version!r}",
        )
    if is_server:
        distro, display = "windows-server", f"Windows Server {release}"
        key = _SERVER_RELEASE_KEY.get(release) or release.replace(" R2", ".2")
        if arch is None and release in _64BIT_ONLY_SERVER:
            arch, arch_evidence = "x64", f"inferred: Windows Server {release} exists only in 64-bit"
    else:
        distro, display = "windows-client", f"Windows {release}"
        key = _CLIENT_RELEASE_KEY.get(release, release)
        if release == "10":
            key = f"10.{build_no}" if build_no else "10"
        if arch is None and release == "11":
            arch, arch_evidence = "x64", "inferred: Windows 11 exists only in 64-bit (x64/ARM64)"
    return GuestOS(
        "windows",
        distro,
        release,
        key,
        display,
        arch,
        arch_evidence,
        f"{display} (from {how})",
    )


def _identify_unix(
    name: str,
    version: str,
    major: str,
    minor: str,
    arch: str | None,
    arch_evidence: str | None,
) -> GuestOS:
    distro = display_name = None
    for pattern, distro_id, label in _LINUX:
        if pattern.search(name):
            distro, display_name = distro_id, label or name
            break
    if distro is None:
        return GuestOS(
            None, None, None, None, name or None, arch, arch_evidence, f"unrecognised OS {name!r}"
        )
    family = "freebsd" if distro == "freebsd" else "linux"
    # The release: a number in the name ("Ubuntu 20.04 LTS", "RHEL 8.6", "SLES 12 SP4"), else
    # OSMajorVersion (os-release VERSION_ID), else OSVersion for FreeBSD ("12.2-RELEASE").
    release = None
    for text in (name, major if not minor else f"{major}.{minor}", major):
        if not text:
            continue
        sp = _SP.search(text)
        if sp:
            release = f"{sp.group(1)}.{sp.group(2)}"
            break
        found = _VERSION_NUMBER.search(text)
        if found:
            release = found.group(1)
            break
    if release is None and family == "freebsd" and version:
        found = _VERSION_NUMBER.search(version)
        release = found.group(1) if found else None
    if distro == "linux-other":
        return GuestOS(
            family,
            distro,
            release,
            release,
            f"{display_name} {release}".strip() if release else display_name,
            arch,
            arch_evidence,
            f"Linux distribution {name!r} is not on Microsoft's Generation 2 support list",
        )
    display = f"{display_name} {release}" if release else display_name
    return GuestOS(
        family,
        distro,
        release,
        release,
        display,
        arch,
        arch_evidence,
        f"{display}" + ("" if release else " (version unknown)"),
    )
