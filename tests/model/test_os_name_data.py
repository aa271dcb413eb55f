"""Guest OS names from an ``os-names.toml`` in a ``--rules`` folder: merged into the built-in
names, read by ``identify_os``, and checked with one-line errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.model.diagnostics import InputError
from assess.model.os_identity import architecture, identify_os
from assess.model.os_name_data import NAMES_FILE, builtin_names, load_os_names

EXTRA = Path(__file__).resolve().parents[1] / "fixtures" / "os_names" / "rules"


@pytest.fixture(scope="module")
def names():
    return load_os_names([EXTRA])


def folder_with(tmp_path: Path, text: str, name: str = "extra") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / NAMES_FILE).write_text(text, encoding="utf-8")
    return folder


def test_an_extra_entry_identifies_an_os_the_built_in_names_do_not_know(names) -> None:
    assert identify_os(name="ContosoOS 8.6").family is None
    os = identify_os(name="ContosoOS 8.6", os_names=names)
    assert (os.family, os.distro, os.release, os.display) == (
        "linux",
        "rhel",
        "8.6",
        "ContosoOS 8.6",
    )
    # Its other settings take effect too: the release from an ".el8" kernel.
    kernel = identify_os(name="Contoso OS", version="4.18.0-513.el8.x86_64", os_names=names)
    assert (kernel.release, kernel.display) == ("8", "ContosoOS 8")


def test_an_extra_entry_is_tried_before_the_built_in_ones(names) -> None:
    assert identify_os(name="SUSE 15 SP4").display == "openSUSE 15.4"
    os = identify_os(name="SUSE 15 SP4", os_names=names)
    assert (os.distro, os.display) == ("sles", "SLES 15 SP4")
    # Names no extra phrase matches read as before.
    assert identify_os(name="Ubuntu 22.04", os_names=names).display == "Ubuntu 22.04"
    assert identify_os(name="openSUSE Leap 15.5", os_names=names).distro == "opensuse"


def test_extra_architecture_words_windows_builds_and_editions(names) -> None:
    assert architecture("IA-32e") == (None, False)
    assert architecture("IA-32e", names) == ("x64", True)
    assert architecture("x86_64", names) == ("x64", True)  # built-in words stay
    new_build = {"version": "10.0.28000", "product_type": "1"}
    assert identify_os(**new_build).display == "Windows 11"
    assert identify_os(**new_build, os_names=names).display == "Windows 11 26H2"
    server = identify_os(name="Windows Server 2019 Datacentre", os_names=names)
    assert server.edition == "Datacenter"
    assert identify_os(name="Windows Server 2019 Datacentre").edition is None


def test_the_built_in_names_are_unchanged_and_shared(names) -> None:
    assert load_os_names([]) is builtin_names()
    assert load_os_names([Path(__file__).parent]) is builtin_names()  # no os-names.toml
    assert names is not builtin_names() and names.extra_files == (str(EXTRA / NAMES_FILE),)
    assert len(names.entries) == len(builtin_names().entries) + 2
    assert "ia32e" not in builtin_names().arch_field


def test_a_later_folder_wins_tables_merge_by_key_and_lists_append(tmp_path: Path) -> None:
    first = folder_with(
        tmp_path,
        '[arch.field]\nx86 = ["pc-32"]\n[windows]\nserver_64bit_only = ["version 24H2"]\n'
        '[[os]]\nmatch = ["acme"]\ndistro = "linux-other"\nfamily = "linux"\ndisplay = "Acme"\n',
        "first",
    )
    second = folder_with(
        tmp_path,
        '[arch.field]\nx64 = ["pc-32"]\n'
        '[[os]]\nmatch = ["acme"]\ndistro = "unix-other"\nfamily = "unsupported"\n'
        'display = "Acme UNIX"\n',
        "second",
    )
    merged = load_os_names([first, second])
    assert architecture("PC-32", merged) == ("x64", True)
    assert identify_os(name="Acme", os_names=merged).distro == "unix-other"
    assert identify_os(name="Acme", os_names=load_os_names([first])).distro == "linux-other"
    assert "version 24H2" in merged.server_64bit_only and "2019" in merged.server_64bit_only


def test_a_build_row_with_a_known_build_replaces_the_built_in_one(tmp_path: Path) -> None:
    folder = folder_with(
        tmp_path,
        '[[windows.client_build]]\nbuild = 19045\nrelease = "10"\nfeature = "22H2 (final)"\n',
    )
    merged = load_os_names([folder])
    assert [row for row in merged.client_builds if row[0] == 19045] == [
        (19045, "10", "22H2 (final)")
    ]
    assert len(merged.client_builds) == len(builtin_names().client_builds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[os]\n", "not valid TOML"),
        ("", "no [[os]], [arch.*] or [windows] names in this file"),
        ("[[oss]]\nmatch = ['x']\n", "unknown section(s) ['oss']"),
        ("[arch.field]\nsparc = ['sun4u']\n", "[arch.field] sparc: not an architecture"),
        ("[arch.in_name]\nx64 = ['64 bit intel']\n", "'64 bit intel' is not one word"),
        ("[arch]\nfield = 3\n", "[arch.field] must be a table"),
        ("[windows]\nserver_keys = {}\n", "[windows]: unknown key(s) ['server_keys']"),
        ("[windows.server_key]\n2028 = 'next'\n", "'2028': 'next' is not a support-matrix key"),
        ("[windows.server_by_version]\n'6.4' = '2028'\n",
         "'6.4': '2028' has no [windows.server_key]"),
        ("[windows.ltsc]\n'10 LTSC' = 1\n", "[windows.ltsc] '10 LTSC': not \"10 <year>\""),
        ("[[windows.client_build]]\nbuild = 'new'\nrelease = '11'\nfeature = 'x'\n",
         ":1: [[windows.client_build]] entry 1: 'build' must be a build number"),
        ("[[windows.client_build]]\nbuild = 28000\nrelease = '12'\nfeature = 'x'\n",
         "entry 1: 'release' must be \"10\" or \"11\""),
        ("os = 'acme'\n", "'os' must be [[os]] tables"),
        ("[[os]]\nmatch = 'acme'\ndistro = 'x'\nfamily = 'linux'\ndisplay = 'A'\n",
         "[[os]] entry 1: 'match' must be a list of text"),
        ("[[os]]\nmatch = ['acme*']\ndistro = 'x'\nfamily = 'linux'\ndisplay = 'A'\n",
         "'acme*': '*' (a prefix) is not read"),
        ("[[os]]\nmatch = ['acme']\nfamily = 'linux'\ndisplay = 'A'\n",
         "'distro' must be text"),
        ("[[os]]\nmatch = ['acme']\ndistro = 'rehl'\nfamily = 'linux'\ndisplay = 'A'\n",
         "'distro' 'rehl' is not one the tool judges; one of bsd-other, centos, debian,"),
        ("[[os]]\nmatch = ['acme']\ndistro = 'rhel'\nfamily = 'windows'\ndisplay = 'A'\n",
         "'family' must be one of linux, freebsd, unsupported, other"),
        ("[[os]]\nmatch = ['acme']\ndistro = 'rhel'\nfamily = 'linux'\n",
         "'display' is required unless name_from_match = true"),
        ("[[os]]\nmatch = ['acme']\ndistro = 'rhel'\nfamily = 'linux'\ndisplay = 'A'\n"
         "releases = [9, 7]\n", "'releases' must be [lowest, highest]"),
        ("[[os]]\nmatch = ['acme']\ndistro = 'rhel'\nfamily = 'linux'\ndisplay = 'A'\n"
         "rolling = 'yes'\n", "'rolling' must be true or false"),
        ("[[os]]\nmatch = ['acme']\ndistro = 'rhel'\nfamily = 'linux'\ndisplay = 'A'\n"
         "codenames = { tall = 'one' }\n", "'codenames' 'tall': one word = a release"),
        ("[[os]]\nmatch = ['acme']\ndistro = 'rhel'\nfamily = 'linux'\ndisplay = 'A'\n"
         "version = 3\n", "[[os]] entry 1: unknown key(s) ['version']"),
    ],
)  # fmt: skip
def test_a_malformed_file_is_one_input_error_naming_file_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    folder = folder_with(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_os_names([folder])
    error = str(caught.value)
    assert error.startswith(str(folder / NAMES_FILE)) and message in error
    assert "\n" not in error


def test_an_error_in_a_later_entry_names_its_line(tmp_path: Path) -> None:
    good = '[[os]]\nmatch = ["acme"]\ndistro = "rhel"\nfamily = "linux"\ndisplay = "Acme"\n'
    folder = folder_with(tmp_path, good + "\n" + good.replace('"linux"', '"beos"'))
    with pytest.raises(InputError, match=r"os-names\.toml:7: \[\[os\]\] entry 2: 'family'"):
        load_os_names([folder])
