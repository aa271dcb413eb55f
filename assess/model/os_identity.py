"""Which guest OS a VM runs, from whatever a source says about it.

One function, ``identify_os``, reads every shape an inventory brings: Windows KVP (OSName,
OSVersion, OSMajorVersion/OSMinorVersion, OSBuildNumber, ProductType, ProcessorArchitecture),
Linux ``hv_kvp_daemon`` (OSName = os-release NAME, OSMajorVersion = VERSION_ID, OSVersion =
kernel release; the redhat-release and SuSE-release fallbacks send the file's lines),
FreeBSD's daemon (uname), a name typed into a template or a CMDB ("W2K12R2", "RHEL 7.9",
"Win10 21H2"), VMware and SCVMM labels ("Red Hat Enterprise Linux 8 (64-bit)", "64-bit
edition of Windows Server 2016 Datacenter") and Azure Migrate's OS names.

It returns family, release, edition, kind (server/client), architecture and one evidence
line saying what was read. What cannot be read stays unknown (None): a release is never
guessed from a bitness token ("64-bit", "x86_64"), a range ("4/5/6/7", "2.6.x") or a lower
bound ("3.x or later").

The names, aliases and build numbers are data (``rules/os-names.toml``, to which an
``os-names.toml`` in a ``--rules`` folder adds: ``os_name_data``); the caller passes the
merged names as ``os_names``, the built-in ones are the default. Reading is linear:
the name is cut to ``MAX_NAME`` characters, lower-cased and split into tokens by one
single-quantifier pattern; everything after that walks the token list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from assess.model.os_name_data import OsEntry, OsNames, builtin_names
from assess.model.os_tokens import MAX_NAME, arch_key, tokens

__all__ = [
    "GUEST_COLUMNS",
    "OsIdentity",
    "OsNames",
    "architecture",
    "identify_guest",
    "identify_os",
]

WINDOWS = "windows"


@dataclass(frozen=True)
class OsIdentity:
    family: str | None  # windows | linux | freebsd | unsupported | other
    distro: str | None  # support-matrix key: windows-server, windows-client, rhel, ubuntu ...
    release: str | None  # "2019", "2012 R2", "10", "22.04", "7.9"; None when not known
    version_key: str | None  # dotted number the support matrix compares: "2012.2", "10.19045"
    edition: str | None  # "Datacenter", "Enterprise multi-session", "Hyper-V Server" ...
    kind: str | None  # server | client
    display: str | None  # "Windows Server 2012 R2", "Ubuntu 22.04"
    arch: str | None  # x64 | x86 | arm64 | arm | ia64
    arch_evidence: str | None
    evidence: str
    problems: tuple[str, ...] = field(default=())  # values that could not be read

    @property
    def release_known(self) -> bool:
        return self.release is not None


UNKNOWN_EVIDENCE = "no guest OS reported"

# --------------------------------------------------------------------------- text

_ALNUM_RUNS = re.compile(r"[a-z]+|[0-9]+")
_DIGITS = re.compile(r"[0-9]+")


def _clean(value: object) -> str:
    if value is None:
        return ""
    try:
        if value != value:  # NaN
            return ""
    except (TypeError, ValueError):
        return ""
    text = str(value)[:MAX_NAME].strip()
    return "" if text.lower() in {"", "nan", "<na>", "none", "null", "unknown", "n/a"} else text


def _is_number(token: str) -> bool:
    return bool(token) and token[0].isdigit() and token.replace(".", "").isdigit()


def _find(phrase: tuple[str, ...], toks: list[str]) -> int:
    size = len(phrase)
    for i in range(len(toks) - size + 1):
        if toks[i] == phrase[0] and tuple(toks[i : i + size]) == phrase:
            return i
    return -1


# --------------------------------------------------------------------------- architecture


def architecture(raw: object, os_names: OsNames | None = None) -> tuple[str | None, bool]:
    """An architecture field as written -> (``x64``/``x86``/``arm64``/``arm``/``ia64`` or
    None, readable). ``65535`` and blanks are unknown but readable. ``os_names``: the
    names in use (``load_os_names``); the built-in ones when None."""
    text = _clean(raw)
    if not text:
        return None, True
    data = os_names or builtin_names()
    key = arch_key(text)
    if key in data.arch_unknown:
        return None, True
    if key in data.arch_field:
        return data.arch_field[key], True
    # "64-bit (x64)", "x64-based PC", "AMD64 Family 6": the first architecture word inside.
    found = _arch_in_tokens(tokens(text), data)
    if found:
        return found[0], True
    return None, False


def _arch_in_tokens(toks: list[str], data: OsNames) -> tuple[str, str] | None:
    in_name = data.arch_in_name
    for token in toks:
        if token in in_name:
            return in_name[token], token
    return None


# --------------------------------------------------------------------------- identify


@dataclass
class _Read:
    """What was read from which field, for the evidence line."""

    origin: str
    used: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def use(self, label: str, value: str) -> None:
        self.used.setdefault(label, value)

    def text(self) -> str:
        parts = [f"{label} {value!r}" for label, value in self.used.items()]
        if not parts:
            return ""
        joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f" from {self.origin + ' ' if self.origin else ''}{joined}"


#: The inventory's ``vms`` columns that say what the guest is, in ``identify_guest`` order.
GUEST_COLUMNS: tuple[str, ...] = (
    "os_name",
    "os_version",
    "os_major",
    "os_minor",
    "os_build",
    "os_product_type",
    "os_architecture",
)


def identify_guest(
    values: Sequence[object], origin: str = "", os_names: OsNames | None = None
) -> OsIdentity:
    """``identify_os`` of one VM's ``GUEST_COLUMNS`` values, given in that order."""
    name, version, major, minor, build, product, arch = values
    return identify_os(
        name=name,
        version=version,
        major=major,
        minor=minor,
        build=build,
        product_type=product,
        arch=arch,
        origin=origin,
        os_names=os_names,
    )


def identify_os(
    name: object = None,
    version: object = None,
    major: object = None,
    minor: object = None,
    build: object = None,
    product_type: object = None,
    arch: object = None,
    origin: str = "",
    os_names: OsNames | None = None,
) -> OsIdentity:
    """Identify a guest OS from any subset of what a source says.

    ``name``: OSName, a typed name or a VMware/SCVMM/Azure Migrate/CMDB label. ``version``:
    OSVersion (Windows "10.0.17763"; the kernel release on Linux; "12.2-RELEASE" on
    FreeBSD). ``major``/``minor``: OSMajorVersion/OSMinorVersion (os-release VERSION_ID on
    Linux; "VERSION = 11"/"PATCHLEVEL = 4" from SuSE-release). ``build``: OSBuildNumber or a
    typed build / feature-update id. ``product_type``: KVP ProductType (1 workstation, 2
    domain controller, 3 server). ``arch``: ProcessorArchitecture or an architecture field
    as people write it. ``origin`` names the source in the evidence ("KVP", "template").
    ``os_names``: the names in use (``load_os_names``: the built-in ones plus those of
    ``--rules`` folders); the built-in ones when None.
    """
    data = os_names or builtin_names()
    name_s, version_s = _clean(name), _clean(version)
    major_s, minor_s, build_s = _clean(major), _clean(minor), _clean(build)
    product_s, arch_s = _clean(product_type), _clean(arch)
    read = _Read(origin)
    name_toks = tokens(name_s)

    arch_value, arch_evidence = None, None
    if arch_s:
        arch_value, readable = architecture(arch_s, data)
        if arch_value:
            arch_evidence = f"architecture {arch_s!r}"
        elif not readable:
            read.problems.append(f"architecture {arch_s!r} is not one the tool reads")
    if arch_value is None:
        found = _arch_in_tokens(name_toks, data)
        if found:
            arch_value, arch_evidence = found[0], f"OS name says {found[1]!r}"
    if product_s and product_s not in {"1", "2", "3"}:
        read.problems.append(f"ProductType {product_s!r} is not 1, 2 or 3")
        product_s = ""

    if not name_s and not version_s and not major_s and not build_s:
        evidence = UNKNOWN_EVIDENCE + _problem_text(read.problems)
        return OsIdentity(
            None, None, None, None, None, None, None, arch_value, arch_evidence, evidence,
            tuple(read.problems),
        )  # fmt: skip

    if _looks_windows(name_toks, name_s, version_s, major_s, product_s):
        return _windows(
            name_s, name_toks, version_s, major_s, minor_s, build_s, product_s,
            arch_value, arch_evidence, read, data,
        )  # fmt: skip
    return _not_windows(
        name_s, name_toks, version_s, major_s, minor_s, arch_value, arch_evidence, read, data
    )


def _problem_text(problems: list[str]) -> str:
    return "".join(f"; {p}" for p in problems)


_CLIENT_COMPACT = {"xp", "vista", "me", "98", "95", "nt", "11", "10", "81", "8", "7"}
_COMPACT = re.compile(
    r"(windows|win|wsrv|winsrv|srv|ws|w)(server|srv)?"
    r"(2k[0-9]{0,2}|k[0-9]{1,2}|20[0-9][0-9]|11|10|81|8|7|xp|vista|nt|me|98|95)(r2)?$"
)


def _expand_compact(toks: list[str], data: OsNames) -> list[str]:
    """CMDB shorthand as separate words: "w2k12r2" -> windows server 2012 r2, "win10" ->
    windows 10, "ws2019" -> windows server 2019, "2012r2" -> 2012 r2."""
    out: list[str] = []
    for token in toks:
        if len(token) > 12 or (not token[0].isalpha() and not token.endswith("r2")):
            out.append(token)
            continue
        if token[0].isdigit():
            year = token[:-2]
            if year in data.server_key or year in data.short_year:
                out.extend([year, "r2"])
            else:
                out.append(token)
            continue
        if token == "win":  # "Win 10 Pro", "Win 2019"
            out.append("windows")
            continue
        match = _COMPACT.match(token)
        if not match or token == "windows":
            out.append(token)
            continue
        prefix, server, release, r2 = match.groups()
        short = data.short_year.get(release)
        is_year = release.startswith(("2k", "k", "20"))
        out.append("windows")
        says_server = bool(server) or prefix in {"ws", "wsrv", "winsrv", "srv"} or is_year
        if says_server and release not in _CLIENT_COMPACT:
            out.append("server")
        if release == "81":
            release = "8.1"
        out.append(short or release)
        if r2:
            out.append("r2")
    return out


def _looks_windows(toks: list[str], name: str, version: str, major: str, product: str) -> bool:
    if "windows" in toks or "win" in toks or ("hyper" in toks and "server" in toks):
        return True
    if any(_COMPACT.match(t) and not _is_number(t) for t in toks if len(t) <= 12):
        return True
    if name:
        return False
    # No name: Windows KVP numbers ("6.3.9600", ProductType) still say Windows.
    numeric = version or major
    return bool(product) or (numeric.count(".") >= 1 and numeric.replace(".", "").isdigit())


# --------------------------------------------------------------------------- Windows


def _build_of(build: str, version: str) -> int | None:
    for text in (build, version):
        if not text:
            continue
        parts = text.split(".")
        if len(parts) >= 3 and parts[2].isdigit():  # "10.0.17763"
            return int(parts[2][:9])
        head = parts[0]
        if head.isdigit() and len(head) == 5:  # "17763", "17763.1234"
            return int(head)
    return None


def _floor(table: tuple[tuple[int, str, str], ...], build: int) -> tuple[int, str, str] | None:
    best = None
    for row in table:
        if row[0] <= build:
            best = row
    return best


def _windows(
    name: str,
    raw_toks: list[str],
    version: str,
    major: str,
    minor: str,
    build_text: str,
    product: str,
    arch: str | None,
    arch_evidence: str | None,
    read: _Read,
    data: OsNames,
) -> OsIdentity:
    toks = _expand_compact(raw_toks, data)
    if not version and major and major.replace(".", "").isdigit():
        version = f"{major}.{minor or 0}" if "." not in major else major
        read.use("OSMajorVersion", major)
    nt = ".".join(version.split(".")[:2]) if version and version[0].isdigit() else ""
    if nt and not nt.replace(".", "").isdigit():
        nt = ""
    feature_ids = data.features
    feature: str | None = None
    build = _build_of(build_text, version)
    if build is None and build_text.lower() in feature_ids:
        feature = build_text.lower()  # "1809" is a release id, not build 1809
        read.use("build", build_text)
    elif build is None and version.lower() in feature_ids:
        feature = version.lower()  # a typed OSVersion "21H2"
        read.use("OSVersion", version)
    elif build_text and build is None:
        read.problems.append(f"build {build_text!r} is not a Windows build number")

    edition = _edition(toks, data)
    multi_session = edition == "Enterprise multi-session"
    hyperv_server = _find(("hyper", "-", "v", "server"), toks) >= 0
    server_year = _server_year(toks, data)
    client_release = _client_release(toks)
    ltsc_year = _ltsc_year(toks)
    if feature is None:
        feature = next((t for t in toks if t in feature_ids), None)
    if name:
        read.use("OSName", name)

    # Kind: the name first (multi-session is a client though ProductType says server).
    kind: str | None = None
    if multi_session or (client_release and not server_year and not hyperv_server):
        kind = "client"
    elif server_year or hyperv_server or "server" in toks:
        kind = "server"
    elif product == "1":
        kind = "client"
    elif product in {"2", "3"}:
        kind = "server"
    elif ltsc_year or feature or _find(("windows", "8", ".", "x"), toks) >= 0:
        kind = "client"
    if product and kind:
        read.use("ProductType", product)

    lower_bound = _find(("or", "later"), toks) >= 0 or _find(("and", "later"), toks) >= 0
    if lower_bound and build is None and not nt:
        server_year = client_release = ltsc_year = feature = None  # "2016 or later"
    if kind == "server":
        release, key = _server_release(server_year, build, nt, version, read, data)
        if edition is None and hyperv_server:
            edition = "Hyper-V Server"
        display = _server_display(release, edition)
    elif kind == "client":
        release, key, feature_shown = _client_release_of(
            client_release, build, nt, version, feature, ltsc_year, read, data
        )
        display = f"Windows {release}" if release else "Windows (client)"
        if edition:
            display += f" {edition}"
        if release in {"10", "11"} and feature_shown:
            display += f" {feature_shown}"
    else:
        release, key, display = None, None, "Windows"
    if arch is None and release:
        only64 = data.server_64bit_only if kind == "server" else data.client_64bit_only
        if release in only64:
            arch = "x64"
            arch_evidence = f"inferred: Windows {'Server ' if kind == 'server' else ''}" + (
                f"{release} exists only in 64-bit"
            )
    distro = {"server": "windows-server", "client": "windows-client"}.get(kind or "")
    if release is None:
        what = "server" if kind == "server" else "client" if kind == "client" else "edition"
        evidence = f"Windows, release unknown{read.text()}: " + (
            "the name gives only a lower bound ('or later')"
            if lower_bound
            else f"neither the name nor a build number says which Windows {what} release"
        )
    else:
        evidence = f"{display}{read.text()}"
    return OsIdentity(
        WINDOWS, distro, release, key, edition, kind, display, arch, arch_evidence,
        evidence + _problem_text(read.problems), tuple(read.problems),
    )  # fmt: skip


def _edition(toks: list[str], data: OsNames) -> str | None:
    best: tuple[int, int, str] | None = None
    for order, (phrase, shown) in enumerate(data.editions):
        at = _find(phrase, toks)
        if at >= 0 and (best is None or (at, order) < best[:2]):
            best = (at, order, shown)
    if best is None:
        return None
    # "Enterprise" inside "Enterprise multi-session" / "IoT Enterprise": the longer phrase.
    for phrase, shown in data.editions:
        longer = len(phrase) > 1 and shown != best[2] and best[2] in shown
        if longer and _find(phrase, toks) >= 0:
            return shown
    return best[2]


def _server_year(toks: list[str], data: OsNames) -> str | None:
    for i, token in enumerate(toks):
        year = data.short_year.get(token) if token.startswith(("2k", "k")) else token
        if year in data.server_year_alias and "server" in toks:
            return data.server_year_alias[year]
        if year not in data.server_key or year == "NT":
            continue
        before = toks[i - 1] if i else ""
        if before in {"ltsc", "ltsb", "version"} or (i + 1 < len(toks) and toks[i + 1] == "ltsb"):
            continue
        if year == "2000" and "server" not in toks:
            continue  # "Windows 2000 Professional"
        if year == "2016" and ("ltsb" in toks or "ltsc" in toks) and "server" not in toks:
            continue
        r2 = i + 1 < len(toks) and toks[i + 1] == "r2"
        if r2 and f"{year} R2" in data.server_key:
            return f"{year} R2"
        return year
    return None


_CLIENT_WORDS = {"11", "10", "8.1", "8", "7", "vista", "xp", "me", "98", "95", "nt", "2000"}


def _client_release(toks: list[str]) -> str | None:
    for i, token in enumerate(toks[:-1]):
        if token != "windows":
            continue
        following = toks[i + 1]
        if following == "millennium":
            return "ME"
        if toks[i + 2 : i + 4] == [".", "x"]:
            return None  # "Windows 8.x": a range
        if following in _CLIENT_WORDS:
            if following == "2000" and "server" in toks:
                return None
            if following == "nt" and "server" in toks:
                return None
            return {"vista": "Vista", "xp": "XP", "me": "ME", "nt": "NT"}.get(following, following)
    return None


def _ltsc_year(toks: list[str]) -> str | None:
    for i, token in enumerate(toks):
        if token in {"ltsc", "ltsb"}:
            for near in (toks[i + 1] if i + 1 < len(toks) else "", toks[i - 1] if i else ""):
                if len(near) == 4 and near.isdigit():
                    return near
    return None


def _server_release(
    year: str | None, build: int | None, nt: str, version: str, read: _Read, data: OsNames
) -> tuple[str | None, str | None]:
    if nt == "10.0" and build:
        row = _floor(data.server_builds, build)
        if row:
            read.use("OSVersion" if version else "OSBuildNumber", version or str(build))
            return row[1], row[2]
    if nt in data.server_by_version:
        read.use("OSVersion", version)
        release = data.server_by_version[nt]
        if release == "2003" and year == "2003 R2":
            release = "2003 R2"
        return release, data.server_key.get(release)
    if build and not nt:
        row = _floor(data.server_builds, build)
        if row:
            read.use("build", str(build))
            return row[1], row[2]
    if year:
        return year, data.server_key.get(year)
    return None, None


def _server_display(release: str | None, edition: str | None) -> str:
    if release is None:
        base = "Windows Server"
    elif release.startswith("version"):
        base = f"Windows Server, {release}"
    elif edition == "Hyper-V Server":
        return f"Hyper-V Server {release}"
    else:
        base = f"Windows Server {release}"
    return f"{base} {edition}" if edition else base


def _client_release_of(
    named: str | None,
    build: int | None,
    nt: str,
    version: str,
    feature: str | None,
    ltsc_year: str | None,
    read: _Read,
    data: OsNames,
) -> tuple[str | None, str | None, str | None]:
    """(release, matrix key, feature update shown) of a Windows client."""
    if build is None and ltsc_year and named in {"10", "11", None}:
        build = data.ltsc.get(f"{named or '10'} {ltsc_year}")
        if build is None and named is None:
            build = data.ltsc.get(f"11 {ltsc_year}")
    if build is None and feature:
        options = data.features.get(feature, [])
        if named in {"10", "11"}:
            options = [o for o in options if o[1] == named]
        if len(options) == 1:
            build = options[0][0]
    if build and build >= 10000 and (nt in {"", "10.0"}):
        row = _floor(data.client_builds, build)
        if row:
            if version and nt == "10.0":
                read.use("OSVersion", version)
            release = row[1]
            shown = row[2] if row[0] == build or release == "10" else None
            key = f"10.{build}" if release == "10" else "11"
            return release, key, shown
    if nt == "10.0":
        read.use("OSVersion", version)
        release = "11" if named == "11" else "10"
        return release, data.client_key[release], None
    if nt in data.client_by_version:
        read.use("OSVersion", version)
        release = data.client_by_version[nt]
        return release, data.client_key.get(release), None
    if named:
        return named, data.client_key.get(named), None
    return None, None, None


# --------------------------------------------------------------------------- not Windows


def _match_entry(toks: list[str], data: OsNames) -> tuple[OsEntry, int, int] | None:
    """The first [[os]] entry (in ``data`` order: extra files' entries before the built-in
    ones) whose phrase occurs: (entry, start, end)."""
    best: tuple[int, int, int] | None = None
    for i, token in enumerate(toks):
        for index, phrase in data.first_tokens.get(token, ()):
            if tuple(toks[i : i + len(phrase)]) == phrase and (best is None or index < best[0]):
                best = (index, i, i + len(phrase))
    if best is None:
        return None
    return data.entries[best[0]], best[1], best[2]


def _not_windows(
    name: str,
    toks: list[str],
    version: str,
    major: str,
    minor: str,
    arch: str | None,
    arch_evidence: str | None,
    read: _Read,
    data: OsNames,
) -> OsIdentity:
    found = _match_entry(toks, data) if toks else None
    if found is None and toks:
        # CMDB shorthand written together: "RHEL7", "SLES12SP4", "CentOS7", "OL8".
        parts = [
            part
            for token in toks
            for part in ([token] if _is_number(token) else _ALNUM_RUNS.findall(token) or [token])
        ]
        split = tokens(" ".join(parts))
        if split != toks:
            toks = split
            found = _match_entry(toks, data)
    if found is None and not name:
        found = _match_entry(tokens(version), data)  # FreeBSD's daemon may leave OSName empty
    if found is None:
        shown = name or version or major
        read.use("OSName" if name else "OSVersion", shown)
        evidence = f"unrecognised OS{read.text()}: not a name the tool knows"
        return OsIdentity(
            None, None, None, None, None, None, name or None, arch, arch_evidence,
            evidence + _problem_text(read.problems), tuple(read.problems),
        )  # fmt: skip
    entry, start, end = found
    read.use("OSName", name)
    base = entry.display
    if entry.name_from_match:
        base = " ".join(w.capitalize() for w in toks[start:end] if w.isalnum()) or entry.display
    release, why_not = None, ""
    if not entry.rolling and entry.releases is not None:
        release, why_not = _unix_release(entry, toks, end, version, major, minor, read, data)
    elif entry.rolling:
        why_not = "a rolling release has no release number"
    key = release
    if release and entry.distro == "sles" and "." in release:
        display = f"{base} {release.split('.')[0]} SP{release.split('.')[1]}"
        if release.endswith(".0"):
            display = f"{base} {release.split('.')[0]}"
    else:
        display = f"{base} {release}" if release else base
    family = entry.family
    if release:
        evidence = f"{display}{read.text()}"
    else:
        evidence = f"{base}, release unknown{read.text()}" + (f": {why_not}" if why_not else "")
    if entry.distro == "linux-other":
        evidence += "; not on Microsoft's Generation 2 support list"
    if family == "unsupported":
        evidence += "; Hyper-V does not run this operating system"
    return OsIdentity(
        family, entry.distro, release, key, None, None, display, arch, arch_evidence,
        evidence + _problem_text(read.problems), tuple(read.problems),
    )  # fmt: skip


_LATER = {"later", "newer", "higher", "above"}
_TESTING = {"sid", "testing", "unstable", "rawhide", "stream"}


def _plausible(entry: OsEntry, number: str) -> bool:
    if entry.releases is None:
        return False
    head = number.split(".")[0]
    return head.isdigit() and entry.releases[0] <= int(head[:6]) <= entry.releases[1]


def _trim(number: str) -> str:
    """ "22.04.3" -> "22.04", "7.9.2009" -> "7.9": the support matrix compares two parts."""
    return ".".join(number.split(".")[:2])


def _release_in(
    entry: OsEntry, toks: list[str], start: int, data: OsNames
) -> tuple[str | None, str]:
    """The release named in ``toks`` from ``start`` on: the first plausible number that is
    not a bitness token, a range ("4/5/6/7", "2.6.x") or a lower bound ("3.x or later")."""
    for i in range(start, len(toks)):
        token = toks[i]
        if token in entry.codenames:
            after = toks[i + 1 : i + 3]
            if after[:1] == ["/"]:
                return None, f"{token}/{''.join(after[1:])} is a testing release"
            return entry.codenames[token], ""
        if token in _TESTING and entry.distro != "centos":
            return None, f"{token!r} is a rolling or testing release"
        if token in data.arch_in_name or token in {"64", "32", "bit", "bits"}:
            continue
        if not _is_number(token):
            # "SP5" after a number is handled there; "11sp4" written together:
            if token[:1].isdigit() and "sp" in token:
                major, _, sp = token.partition("sp")
                if major.isdigit() and sp.isdigit() and _plausible(entry, major):
                    return f"{int(major)}.{int(sp)}", ""
            continue
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        prev = toks[i - 1] if i else ""
        if nxt in {"/", "x", "+"} or prev == "/" or (nxt == "." and i + 2 < len(toks)):
            return None, _range_text(toks, i)
        if nxt == "or" and i + 2 < len(toks) and toks[i + 2] in _LATER:
            return None, f"'{token} or later' is a lower bound"
        if prev == "pre" or (prev == "-" and i > 1 and toks[i - 2] == "pre"):
            return None, f"'pre-{token}' is an upper bound"
        if nxt in {"-", "_"} and i + 2 < len(toks) and toks[i + 2] in {"bit", "bits"}:
            continue
        if not _plausible(entry, token):
            continue
        release = _trim(token)
        if nxt.startswith("sp") and nxt[2:].isdigit() and "." not in release:
            release = f"{release}.{int(nxt[2:])}"
        elif nxt == "sp" and i + 2 < len(toks) and toks[i + 2].isdigit():
            release = f"{release}.{int(toks[i + 2])}"
        return release, ""
    return None, ""


def _range_text(toks: list[str], i: int) -> str:
    shown = "".join(toks[max(0, i - 2) : i + 4]).strip("()")
    return f"{shown!r} names a range, not a release"


_ASSIGNMENT = re.compile(r"=\s*([0-9][0-9.]*)")


def _unix_release(
    entry: OsEntry,
    toks: list[str],
    end: int,
    version: str,
    major: str,
    minor: str,
    read: _Read,
    data: OsNames,
) -> tuple[str | None, str]:
    # 1. OSMajorVersion (os-release VERSION_ID; "VERSION = 11" from SuSE-release).
    if major:
        major_num = _field_number(major)
        if major_num and _plausible(entry, major_num):
            release = _trim(major_num)
            read.use("OSMajorVersion", major)
            minor_num = _field_number(minor) if minor else None
            if minor_num and "." not in release and minor_num.isdigit():
                release = f"{release}.{int(minor_num)}"
                read.use("OSMinorVersion", minor)
            return release, ""
        if major.lower() in entry.codenames:
            read.use("OSMajorVersion", major)
            return entry.codenames[major.lower()], ""
        if "/" in major or major.lower() in {"sid", "testing", "unstable", "rawhide"}:
            read.use("OSMajorVersion", major)
            return None, f"{major!r} is a testing release"
        read.problems.append(f"OSMajorVersion {major!r} is not a {entry.display} release")
    # 2. The name ("RHEL 7.9", "CentOS release 6.10 (Final)", "SLES 12 SP5").
    named, why_not = _release_in(entry, toks, end, data)
    if named:
        return named, ""
    if why_not:
        return None, why_not
    # 3. A typed OSVersion that is a plain release ("22.04"; a kernel release such as
    #    "5.15.0-91-generic" has a dash or three parts and is never read as one).
    if version and _is_number(version) and version.count(".") <= 1 and _plausible(entry, version):
        read.use("OSVersion", version)
        return _trim(version), ""
    # 4. FreeBSD's daemon: OSVersion "12.2-RELEASE".
    if version and entry.family == "freebsd":
        first = tokens(version)[:1]
        if first and _is_number(first[0]) and _plausible(entry, first[0]):
            read.use("OSVersion", version)
            return _trim(first[0]), ""
    # 5. An Enterprise Linux kernel ("3.10.0-1160.el7.x86_64") names its major release.
    if version and entry.kernel_release:
        for token in tokens(version):
            if token.startswith("el") and token[2:].isdigit() and _plausible(entry, token[2:]):
                read.use("kernel", version)
                return str(int(token[2:])), ""
    missing = "no version in the name and no OSMajorVersion (VERSION_ID)"
    return None, missing


def _field_number(text: str) -> str | None:
    """ "22.04" -> "22.04"; "VERSION = 11" -> "11"; "7" -> "7"; else None."""
    text = text.strip()
    if _is_number(text):
        return text
    match = _ASSIGNMENT.search(text[:MAX_NAME])
    if match:
        return match.group(1)
    return None
