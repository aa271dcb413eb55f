"""Cell parsers: one raw value in, one normalised value out.

Every parser takes what an input holds (text from a CSV or workbook cell, or a JSON value
from a collector record) and returns the normalised value, ``None`` when the input says
nothing (blank, ``n/a``, ``unknown``, JSON null), or raises ``ValueError`` with a message a
user can act on. A blank is unknown, never "no".

``parse_column`` applies a parser to a whole pandas column: each distinct value is parsed
once and the results are mapped back, so a 100,000-row column with a few distinct values
costs a few dictionary look-ups per row.

Enumerations come from the Hyper-V PowerShell module (``Microsoft.HyperV.PowerShell``) and
the storage module (``Microsoft.Vhd.PowerShell``); inputs may hold their names or numbers.

Normalised values the facts read:

- ``state``: a ``VMState`` name (``Running``, ``Off``, ``Saved``, ``Paused``, ...).
- ``replication_state``: a ``VMReplicationState`` name; ``Disabled`` means no replica.
  An inventory that only says yes/no gives ``Enabled`` / ``Disabled``: anything other than
  ``Disabled`` means Hyper-V Replica is configured.
- ``controller_type`` / ``boot_controller``: ``IDE``, ``SCSI`` (``PMEM`` for persistent memory).
- ``vhd_format``: ``VHD``, ``VHDX``, ``VHDSet``; ``boot_disk_format`` also ``PassThrough``.
- ``vhd_type``: ``Fixed``, ``Dynamic``, ``Differencing``.
- ``media_type`` / ``dvd_media``: ``ISO``, ``Physical``, ``None`` (a drive without media).
- ``boot_order``: ``BootDevice`` names joined with ``;``.
- ``os_architecture``: validated, kept as written (``x64``, ``9``, ``x86_64``, ...).
- dates: ISO 8601 text.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from assess.model.os_identity import OsNames, architecture
from assess.model.os_name_data import builtin_names

Parser = Callable[[Any], Any]

#: Cell texts that say "not known" (compared lower case, trimmed).
NA_TOKENS = frozenset({"", "n/a", "na", "#n/a", "unknown", "?", "-", "--", "null", "nil"})

#: Yes/no in the languages client spreadsheets come in: English, German, French, Spanish,
#: Italian, Portuguese, Dutch, Polish, Nordic, Czech, Hungarian, Romanian; compared lower case.
LOCALIZED_TRUE = frozenset(
    {
        "ja", "j", "wahr", "aktiviert", "ein",  # de, nl, nordic
        "oui", "vrai", "activé", "active",  # fr
        "sí", "si", "verdadero", "habilitado",  # es
        "sì", "vero", "attivo",  # it
        "sim", "verdadeiro",  # pt
        "waar",  # nl
        "tak", "prawda",  # pl
        "ano",  # cs
        "igen",  # hu
        "da",  # ro
        "kyllä",  # fi
    }
)  # fmt: skip
LOCALIZED_FALSE = frozenset(
    {
        "nein", "falsch", "deaktiviert", "aus",  # de
        "non", "faux", "désactivé", "inactive",  # fr
        "falso", "deshabilitado",  # es, it, pt
        "não", "nao",  # pt
        "nee", "onwaar",  # nl
        "nie", "fałsz",  # pl
        "nej",  # nordic
        "ne",  # cs
        "nem",  # hu
        "nu",  # ro
        "ei",  # fi
    }
)  # fmt: skip
_TRUE = frozenset({"yes", "y", "true", "t", "1", "on", "enabled", "x"}) | LOCALIZED_TRUE
_FALSE = frozenset({"no", "n", "false", "f", "0", "off", "disabled"}) | LOCALIZED_FALSE
#: A whole number, possibly written with a decimal point or comma and zeros (``3.0``, ``3,0``;
#: three digits after a comma are a thousands separator, see ``_AMBIGUOUS_COMMA``).
_INT_TEXT = re.compile(r"^[+-]?\d+(?:\.0*|,0{1,2}|,0{4,})?$")
_AMBIGUOUS_COMMA = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+$")


def is_blank(value: Any) -> bool:
    """True for values that carry no information: None, NaN, NA, blank or ``n/a`` text."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return value.strip().lower() in NA_TOKENS
    return False


def enum_key(text: str) -> str:
    """Key for matching enum names and headers: lower case without spaces, ``_`` and ``-``."""
    return re.sub(r"[\s_\-]+", "", text).lower()


def _show(value: Any) -> str:
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return repr(text)


# --------------------------------------------------------------------------- scalars


def to_text(value: Any) -> str | None:
    """Text as written (trimmed); blank and ``n/a`` are unknown."""
    if type(value) is str:
        text = value.strip()
        return text if text and (len(text) > 7 or text.lower() not in NA_TOKENS) else None
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        raise ValueError(f"expected text, found {type(value).__name__}")
    return str(value).strip()


def to_bool(value: Any) -> bool | None:
    """yes/no, true/false, 1/0 (also on/off, enabled/disabled, and yes/no in the languages
    of ``LOCALIZED_TRUE``/``LOCALIZED_FALSE``: Ja/Nein, Oui/Non, Sí/No, Sim/Não, Tak/Nie...);
    blank is unknown. Anything else is an error, never a silent unknown."""
    if value is True or value is False:  # the usual JSON value, before the general checks
        return value
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    raise ValueError(f"{_show(value)} is not yes/no, true/false or 1/0")


_INT64 = range(-(2**63), 2**63)
_INT64_MIN, _INT64_END = -(2**63), 2**63


def to_int(value: Any) -> int | None:
    """A whole number (``3``, ``3.0``, ``"3"``) that fits the ``Int64`` columns; blank is
    unknown."""
    if type(value) is int and _INT64_MIN <= value < _INT64_END:  # the usual JSON number
        return value
    number = _whole_number(value)
    if number is not None and number not in _INT64:
        raise ValueError(f"{_show(value)} is out of range")
    return number


def _whole_number(value: Any) -> int | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{_show(value)} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(f"{_show(value)} is not a whole number")
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "")
        if _INT_TEXT.match(text):
            return int(re.split(r"[.,]", text)[0])
        if _AMBIGUOUS_COMMA.match(text):
            raise ValueError(
                f"{_show(value)} is ambiguous (a thousands separator or a decimal comma?): "
                "write the number without separators"
            )
    raise ValueError(f"{_show(value)} is not a whole number")


def to_count(value: Any) -> int | None:
    """A count of things: a whole number >= 0; ``none`` and ``no`` are 0."""
    if type(value) is int and 0 <= value < _INT64_END:  # the usual JSON number
        return value
    if isinstance(value, str) and value.strip().lower() in ("none", "no"):
        return 0
    try:
        number = to_int(value)
    except ValueError:
        raise ValueError(f"{_show(value)} is not a count (a whole number, 0 for none)") from None
    if number is not None and number < 0:
        raise ValueError(f"{_show(value)} is not a count (a whole number, 0 for none)")
    return number


def to_generation(value: Any) -> int | None:
    """VM generation 1 or 2 (also ``Gen 1``, ``Generation2``)."""
    if type(value) is int and (value == 1 or value == 2):
        return value
    if isinstance(value, str):
        match = re.fullmatch(r"(?:gen(?:eration)?)?([12])(?:[.,]0*)?", enum_key(value))
        if match:
            return int(match.group(1))
    try:
        number = to_int(value)
    except ValueError:
        number = 0
    if number in (1, 2, None):
        return number
    raise ValueError(f"{_show(value)} is not a VM generation (1 or 2)")


def to_config_version(value: Any) -> str | None:
    """A configuration version such as ``5.0`` or ``9.1``; ``8`` (Excel dropped the ``.0``)
    becomes ``8.0``."""
    if type(value) is str:
        return _config_version_text(value)  # an estate has a handful of versions
    return _config_version(value)


@functools.lru_cache(maxsize=1024)
def _config_version_text(value: str) -> str | None:
    return _config_version(value)


def _config_version(value: Any) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{_show(value)} is not a configuration version (such as 8.0)")
    if isinstance(value, (int, float)):
        text = f"{value:.1f}" if float(value).is_integer() else repr(float(value))
    else:
        text = str(value).strip()
    # "9,0": a decimal comma (German, French... Excel locales); a version has no thousands.
    match = re.fullmatch(r"(\d{1,3})(?:[.,](\d{1,3}))?", text)
    if not match:
        raise ValueError(f"{_show(value)} is not a configuration version (such as 8.0)")
    return f"{int(match.group(1))}.{int(match.group(2) or 0)}"


def make_enum(
    label: str,
    names: Iterable[str],
    numbers: Mapping[int, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    *,
    ambiguous_numbers: Mapping[int, str] | None = None,
    expected: str | None = None,
) -> Parser:
    """A parser for an enumeration given as a name (any case, spaces ignored) or a number.

    ``ambiguous_numbers`` maps numbers whose meaning changed between Windows versions to the
    explanation shown to the user; they are rejected rather than guessed.
    """
    lookup = {enum_key(name): name for name in names}
    lookup.update({enum_key(alias): name for alias, name in (aliases or {}).items()})
    numbers = dict(numbers or {})
    ambiguous = dict(ambiguous_numbers or {})
    expected = expected or ", ".join(sorted(set(lookup.values())))

    @functools.lru_cache(maxsize=4096)
    def parse_text(text: str) -> str | None:
        return parse_value(text)

    def parse(value: Any) -> str | None:
        if type(value) is str:
            return parse_text(value)
        return parse_value(value)

    def parse_value(value: Any) -> str | None:
        if is_blank(value):
            return None
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str):
            text = value.strip()
            if _INT_TEXT.match(text):
                number = int(re.split(r"[.,]", text)[0])
            else:
                found = lookup.get(enum_key(text))
                if found is not None:
                    return found
        if number is not None:
            if number in numbers:
                return numbers[number]
            if number in ambiguous:
                raise ValueError(f"{label} {number}: {ambiguous[number]}")
        raise ValueError(f"{_show(value)} is not a known {label} ({expected})")

    return parse


_VM_STATES = {
    1: "Other",
    2: "Running",
    3: "Off",
    4: "Stopping",
    6: "Saved",
    9: "Paused",
    10: "Starting",
    11: "Reset",
    32773: "Saving",
    32776: "Pausing",
    32777: "Resuming",
    32779: "FastSaved",
    32780: "FastSaving",
    32781: "ForceShutdown",
    32782: "ForceReboot",
}
#: Windows Server 2016 numbers RunningCritical 32783, OffCritical 32784, ...; later versions
#: inserted Hibernated 32783 and ComponentServicing 32784 and moved the rest up by two.
_LATER_VM_STATES = [
    "Hibernated",
    "ComponentServicing",
    "RunningCritical",
    "OffCritical",
    "StoppingCritical",
    "SavedCritical",
    "PausedCritical",
    "StartingCritical",
    "ResetCritical",
    "SavingCritical",
    "PausingCritical",
    "ResumingCritical",
    "FastSavedCritical",
    "FastSavingCritical",
]

to_vm_state = make_enum(
    "VM state",
    [*_VM_STATES.values(), *_LATER_VM_STATES],
    _VM_STATES,
    {"stopped": "Off", "poweredoff": "Off", "turnedoff": "Off", "poweredon": "Running"},
    ambiguous_numbers={
        n: "this number means different states on different Windows versions; "
        "export the state as text"
        for n in range(32783, 32797)
    },
    expected="Running, Off, Saved, Paused, Starting, ... or their numbers 2, 3, 6, 9, 10, ...",
)

_REPLICATION_STATES = [
    "Disabled",
    "ReadyForInitialReplication",
    "InitialReplicationInProgress",
    "WaitingForInitialReplication",
    "Replicating",
    "PreparedForFailover",
    "FailedOverWaitingCompletion",
    "FailedOver",
    "Suspended",
    "Error",
    "WaitingForStartResynchronize",
    "Resynchronizing",
    "ResynchronizeSuspended",
    "RecoveryInProgress",
    "FailbackInProgress",
    "FailbackComplete",
    "WaitingForUpdateCompletion",
    "UpdateError",
    "WaitingForRepurposeCompletion",
    "PreparedForSyncReplication",
    "PreparedForGroupReverseReplication",
    "FiredrillInProgress",
]

to_replication_state = make_enum(
    "replication state",
    [*_REPLICATION_STATES, "Enabled"],
    dict(enumerate(_REPLICATION_STATES)),
    {"none": "Disabled", "notapplicable": "Disabled"},
    expected="Disabled, Replicating, Suspended, Error, ... or their numbers 0-21",
)


def to_replication_flag(value: Any) -> str | None:
    """An inventory's replication column: yes/no -> ``Enabled``/``Disabled``, or a state name."""
    try:
        flag = to_bool(value)
    except ValueError:
        try:
            return to_replication_state(value)
        except ValueError:
            raise ValueError(
                f"{_show(value)} is not yes/no or a Hyper-V replication state"
            ) from None
    if flag is None:
        return None
    return "Enabled" if flag else "Disabled"


to_controller_type = make_enum(
    "controller type", ["IDE", "SCSI", "PMEM"], {0: "IDE", 1: "SCSI", 2: "PMEM"}
)
to_vhd_format = make_enum(
    "disk format", ["VHD", "VHDX", "VHDSet"], {2: "VHD", 3: "VHDX", 4: "VHDSet"}, {"vhds": "VHDSet"}
)
to_boot_disk_format = make_enum(
    "boot disk format",
    ["VHD", "VHDX", "VHDSet", "PassThrough"],
    {2: "VHD", 3: "VHDX", 4: "VHDSet"},
    {
        "vhds": "VHDSet",
        "passthru": "PassThrough",
        "physical": "PassThrough",
        "physicaldisk": "PassThrough",
        "pt": "PassThrough",
    },
)
to_vhd_type = make_enum(
    "disk type",
    ["Fixed", "Dynamic", "Differencing"],
    {2: "Fixed", 3: "Dynamic", 4: "Differencing"},
    {
        "fixedsize": "Fixed",
        "dynamicallyexpanding": "Dynamic",
        "dynamicexpanding": "Dynamic",
        "expandable": "Dynamic",
        "diff": "Differencing",
        "child": "Differencing",
    },
)
#: ``MSFT_Disk.PartitionStyle``: 1 MBR, 2 GPT (0 is RAW, not a bootable disk).
to_partition_style = make_enum(
    "partition style", ["MBR", "GPT"], {1: "MBR", 2: "GPT"}, {"msdos": "MBR", "dos": "MBR"}
)
#: ``DvdMediaType``: None 0, ISO 1, PassThrough 2 (a physical drive of the host).
to_media_type = make_enum(
    "DVD media type",
    ["ISO", "Physical", "None"],
    {0: "None", 1: "ISO", 2: "Physical"},
    {"passthrough": "Physical", "host": "Physical", "hostdrive": "Physical", "empty": "None"},
)
#: ``BootDevice``: Floppy 0, CD 1, IDE 2, LegacyNetworkAdapter 3, NetworkAdapter 4, VHD 5.
to_boot_device = make_enum(
    "boot device",
    ["Floppy", "CD", "IDE", "LegacyNetworkAdapter", "NetworkAdapter", "VHD"],
    {0: "Floppy", 1: "CD", 2: "IDE", 3: "LegacyNetworkAdapter", 4: "NetworkAdapter", 5: "VHD"},
    {"dvd": "CD", "cdrom": "CD", "legacynetwork": "LegacyNetworkAdapter"},
)
#: ``SnapshotType`` of a checkpoint.
to_checkpoint_type = make_enum(
    "checkpoint type",
    [
        "Standard",
        "Recovery",
        "Planned",
        "Missing",
        "Replica",
        "AppConsistentReplica",
        "SyncedReplica",
        "Production",
    ],
    {
        0: "Standard",
        1: "Recovery",
        2: "Planned",
        5: "Missing",
        6: "Replica",
        7: "AppConsistentReplica",
        8: "SyncedReplica",
    },
)


#: ``StartAction`` (``Msvm_VirtualSystemSettingData.AutomaticStartupAction``).
to_start_action = make_enum(
    "automatic start action",
    ["Nothing", "StartIfRunning", "Start"],
    {2: "Nothing", 3: "StartIfRunning", 4: "Start"},
    {"none": "Nothing", "alwaysstart": "Start", "restartifpreviouslyactive": "StartIfRunning"},
)
#: ``StopAction`` (``Msvm_VirtualSystemSettingData.AutomaticShutdownAction``).
to_stop_action = make_enum(
    "automatic stop action",
    ["TurnOff", "Save", "ShutDown"],
    {2: "TurnOff", 3: "Save", 4: "ShutDown"},
    {"savestate": "Save"},
)
#: ``CheckpointType`` of a VM (``Msvm_VirtualSystemSettingData.UserSnapshotType``); not the
#: ``SnapshotType`` of one checkpoint (``to_checkpoint_type``).
to_vm_checkpoint_type = make_enum(
    "checkpoint type setting",
    ["Disabled", "Production", "ProductionOnly", "Standard"],
    {2: "Disabled", 3: "Production", 4: "ProductionOnly", 5: "Standard"},
)
#: ``VMNetworkAdapterVlanMode``: Untagged 0, Access 1, Trunk 2, Private 3.
to_vlan_mode = make_enum(
    "VLAN mode",
    ["Untagged", "Access", "Trunk", "Private"],
    {0: "Untagged", 1: "Access", 2: "Trunk", 3: "Private"},
)
#: ``VMNetworkAdapterPortMirroringMode``: None 0, Destination 1, Source 2.
to_port_mirroring = make_enum(
    "port mirroring mode",
    ["None", "Destination", "Source"],
    {0: "None", 1: "Destination", 2: "Source"},
)

#: ``VMNetworkAdapterPrivateVlanMode`` (``PvlanMode``): Isolated 1, Community 2, Promiscuous 3.
to_private_vlan_mode = make_enum(
    "private VLAN mode",
    ["Isolated", "Community", "Promiscuous"],
    {1: "Isolated", 2: "Community", 3: "Promiscuous"},
)

_VLAN_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


def to_vlan_id(value: Any) -> int | None:
    """A VLAN id, 0 (none) to 4094."""
    number = to_int(value)
    if number is not None and not 0 <= number <= 4094:
        raise ValueError(f"{_show(value)} is not a VLAN id (0-4094)")
    return number


def to_vlan_list(value: Any) -> str | None:
    """A VLAN id list (``[10, 20, 21, 22]``, ``"10,20-22"``, one id) as compact text
    ``10,20-22``, the form ``Set-VMNetworkAdapterVlan -AllowedVlanIdList`` takes; an empty
    list is unknown."""
    if is_blank(value):
        return None
    ids: set[int] = set()
    parts = value if isinstance(value, list) else [value]
    for part in parts:
        if is_blank(part):
            continue
        if isinstance(part, str):
            for piece in part.replace(";", ",").split(","):
                piece = re.sub(r"\s+", "", piece)
                if not piece:
                    continue
                match = _VLAN_RANGE.match(piece)
                if not match:
                    raise ValueError(f"{_show(value)} is not a VLAN id list (such as 10,20-30)")
                low = int(match.group(1))
                high = int(match.group(2) or low)
                if high < low or high > 4094 or high - low > 4094:
                    raise ValueError(f"{_show(value)} is not a VLAN id list (such as 10,20-30)")
                ids.update(range(low, high + 1))
        else:
            number = to_vlan_id(part)
            if number is not None:
                ids.add(number)
    if not ids:
        return None
    ranges: list[str] = []
    ordered = sorted(ids)
    start = previous = ordered[0]
    for number in [*ordered[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        ranges.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ",".join(ranges)


def to_on_off(value: Any) -> bool | None:
    """``OnOffState`` (On = 0, Off = 1), ``On``/``Off`` text or a JSON boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not is_blank(value):
        if value in (0, 1):
            return value == 0
        raise ValueError(f"{_show(value)} is not On (0) or Off (1)")
    return to_bool(value)


def to_dvd_media(value: Any) -> str | None:
    """An inventory's DVD column: ISO / Physical / None, an ``.iso`` path, or a host drive."""
    if is_blank(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.lower().endswith(".iso"):
            return "ISO"
        if re.fullmatch(r"[A-Za-z]:\\?", text):
            return "Physical"
        if text.lower() in ("no", "false", "0", "none", "empty"):
            return "None"
    try:
        return to_media_type(value)
    except ValueError:
        raise ValueError(f"{_show(value)} is not ISO, Physical or None (or an .iso path)") from None


def to_floppy_media(value: Any) -> bool | None:
    """An inventory's floppy column: yes/no, or the path of the attached ``.vfd`` (= yes)."""
    if is_blank(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        if re.search(r"\.(vfd|flp|img)$", text, re.IGNORECASE) or re.search(r"[\\/]", text):
            return True
        if text.lower() in ("none", "empty"):
            return False
    try:
        return to_bool(value)
    except ValueError:
        raise ValueError(f"{_show(value)} is not yes/no or the path of a .vfd file") from None


def to_com_port_count(value: Any) -> int | None:
    """An inventory's COM port column: a count, or the pipe names (``\\\\.\\pipe\\x|...``)."""
    if is_blank(value):
        return None
    if isinstance(value, str) and ("\\" in value or "pipe" in value.lower()):
        parts = [part for part in re.split(r"[|;,\n]", value) if part.strip()]
        return len(parts)
    try:
        return to_count(value)
    except ValueError:
        raise ValueError(f"{_show(value)} is not a count of COM ports or pipe names") from None


def to_os_architecture(value: Any) -> str | None:
    """A guest OS architecture as written, when it is one we know (x64, 9, x86_64, i686, ...).

    65535 (``PROCESSOR_ARCHITECTURE_UNKNOWN``) is unknown.
    """
    if type(value) is str:
        return _os_architecture_text(value)  # a few distinct texts per estate
    return _os_architecture(value)


def os_architecture_parser(os_names: OsNames | None) -> Parser:
    """``to_os_architecture`` that also knows the architecture words of ``os_names`` (the
    names of ``--rules`` folders merged in); ``to_os_architecture`` itself when None."""
    if os_names is None or os_names is builtin_names():
        return to_os_architecture  # cached per distinct text
    return functools.partial(_os_architecture, os_names=os_names)


@functools.lru_cache(maxsize=1024)
def _os_architecture_text(value: str) -> str | None:
    return _os_architecture(value)


def _os_architecture(value: Any, os_names: OsNames | None = None) -> str | None:
    if is_blank(value):
        return None
    text = to_text(value)
    if text is None:
        return None
    arch, readable = architecture(text, os_names)
    if arch is None and readable:
        return None  # 65535, "unknown": known to be unknown
    if arch is not None:
        return text
    raise ValueError(
        f"{_show(value)} is not a known architecture (x64, 64-bit, amd64, x86_64, x86, 32, "
        "i686, ARM64, 9, 0, 12, ...)"
    )


#: ``diskNumber`` of a drive that is not a physical disk (``uint32`` -1).
_NO_DISK_NUMBER = 4294967295


def to_disk_number(value: Any) -> int | None:
    """The host disk number of a pass-through disk; ``None`` when it is a virtual disk.

    null, ``""``, negative numbers and 4294967295 all mean "not pass-through".
    """
    if is_blank(value):
        return None
    number = to_int(value)
    if number is None or number < 0 or number == _NO_DISK_NUMBER:
        return None
    return number


def to_mac(value: Any) -> str | None:
    """A MAC address as text; ``000000000000`` (dynamic, not yet assigned) is unknown."""
    text = to_text(value)
    if text is None or not text.translate(_MAC_ZEROS):  # nothing but zeros and separators
        return None
    return text


_MAC_ZEROS = str.maketrans("", "", "-:.0")


# --------------------------------------------------------------------------- dates

_MS_DATE = re.compile(r"^\\?/Date\((-?\d+)([+-]\d{4})?\)\\?/$")
_SLASH_DATE = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([AaPp]\.?[Mm]\.?)?)?$"
)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")


def to_iso_datetime(value: Any, *, day_first: bool | None = None) -> str | None:
    """An ISO 8601 timestamp from ``/Date(ms)/``, ISO text, a datetime, or a culture date.

    ``/Date(ms)/`` (``ConvertTo-Json`` in Windows PowerShell 5.1) is UTC. Culture dates
    (``Export-Csv`` writes dates in the exporting user's format) are read as day-first or
    month-first by ``day_first``; with ``None`` only an unambiguous order is accepted,
    except that AM/PM means US (month-first).
    """
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return _iso(value)
    if not isinstance(value, str):
        raise ValueError(f"{_show(value)} is not a date")
    text = value.strip()
    match = _MS_DATE.match(text)
    if match:
        try:
            moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match.group(1)))
        except OverflowError:
            raise ValueError(f"{_show(value)} is not a date") from None
        return _iso(moment)
    try:
        return _iso(datetime.fromisoformat(text))
    except ValueError:
        pass
    match = _SLASH_DATE.match(text)
    if match:
        first, second, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
        ampm = match.group(8)
        if "." in text[:6] and day_first is None:
            day_first = True  # 15.01.2021: the dotted form is day-first everywhere
        if day_first is None:
            if ampm or second > 12:
                day_first = False
            elif first > 12:
                day_first = True
        if day_first is None:
            raise ValueError(f"{_show(value)}: cannot tell the day from the month")
        day, month = (first, second) if day_first else (second, first)
        hour = int(match.group(4) or 0)
        if ampm:
            pm = ampm.lower().startswith("p")
            if not 1 <= hour <= 12:
                raise ValueError(f"{_show(value)} is not a date")
            hour = hour % 12 + (12 if pm else 0)
        fraction = (match.group(7) or "0")[:6].ljust(6, "0")
        try:
            moment = datetime(
                year,
                month,
                day,
                hour,
                int(match.group(5) or 0),
                int(match.group(6) or 0),
                int(fraction),
            )
        except ValueError:
            raise ValueError(f"{_show(value)} is not a date") from None
        return _iso(moment)
    raise ValueError(f"{_show(value)} is not a date")


def infer_day_first(texts: Iterable[Any]) -> bool | None:
    """Whether slash dates in one column are day-first: decided by any value that shows it."""
    for text in texts:
        if not isinstance(text, str):
            continue
        match = _SLASH_DATE.match(text.strip())
        if not match:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        if match.group(8) or second > 12:
            return False
        if first > 12 or "." in text[:6]:
            return True
    return None


# --------------------------------------------------------------------------- lists


def as_list(value: Any) -> list[Any]:
    """A JSON value where a list is expected: ``null`` is empty, a lone object is one item.

    ``ConvertTo-Json`` in Windows PowerShell 5.1 writes a one-element array as the element.
    """
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def join_names(values: Iterable[Any], parser: Parser) -> str | None:
    """Parse each item and join with ``;`` (``CD;IDE;Floppy``); an empty list is ``""``."""
    names = []
    for item in values:
        name = parser(item)
        if name is not None:
            names.append(name)
    return ";".join(names)


# --------------------------------------------------------------------------- columns


def parse_column(
    values: Sequence[Any] | np.ndarray | pd.Series, parser: Parser, dtype: str
) -> tuple[Any, list[str | None] | None]:
    """Parse a whole column: ``(typed pandas array, messages)``.

    ``messages`` is ``None`` when every cell was read, else one entry per cell: the parser's
    complaint, or ``None``; unreadable cells are NA in the values. Each distinct cell is
    parsed once. Plain text (``to_text``) takes a faster path: its columns (names, paths,
    notes) hold mostly distinct values.
    """
    if isinstance(values, pd.Series):
        cells = values.to_numpy(dtype=object, na_value=None).tolist()
    elif isinstance(values, np.ndarray):
        cells = values.tolist()
    else:
        cells = list(values)
    if parser is to_text:
        return text_cells(cells, dtype), None
    parsed: dict[Any, Any] = {}
    problems: dict[Any, str] = {}
    for unique in set(cells):
        try:
            parsed[unique] = parser(unique)
        except ValueError as exc:
            parsed[unique] = None
            problems[unique] = str(exc)
    typed = pd.array([parsed[c] for c in cells], dtype=dtype)
    if not problems:
        return typed, None
    return typed, [problems.get(c) for c in cells]


def text_cells(cells: Sequence[Any], dtype: str = "string") -> Any:
    """``to_text`` over many cells of text: trimmed, with blank and ``n/a`` cells NA."""
    stripped = ["" if v is None else v.strip() for v in cells]
    blank = {t for t in set(stripped) if len(t) < 8 and t.lower() in NA_TOKENS}
    if blank:
        stripped = [None if t in blank else t for t in stripped]
    return pd.array(stripped, dtype=dtype)
