"""Stable pseudonyms for the names and addresses in an inventory (``assess run --anonymize``).

Consultants share inventories and reports. With ``--anonymize`` every VM, host, cluster and
datacenter name, guest DNS name, IP and MAC address is replaced at the inventory boundary
(after the sources, before the facts), so every report shows only pseudonyms; everything
else (guest OS, firmware, disks, findings) is kept. A pseudonym is an HMAC-SHA256 of the
name (lower case) under a secret salt: the same name and salt give the same pseudonym in
every run, so two anonymized runs can be compared; without the salt it cannot be reversed
by trying likely names. Names inside file paths (``[ds1] WEB01/WEB01.vmdk``,
``HV01-gen2-inventory.jsonl``) are replaced too, and so are the names in input warnings
and notes.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import re
import secrets
from collections.abc import Callable, Iterable

import pandas as pd

from assess.model.inventory import TABLE_NAMES, Inventory, make_vm_key, synthetic_vm_id

_KINDS = {"vm": "vm", "host": "host", "cluster": "cluster", "datacenter": "dc", "dns": "dns"}
_TOKEN = re.compile(r"[^\s'\"(),;]+")
_ADDRESS_SPLIT = re.compile(r"[\s;,\[\]]+")


def new_salt() -> bytes:
    """A random salt: pseudonyms then differ from run to run."""
    return secrets.token_bytes(32)


class Pseudonymizer:
    """Replaces names with ``vm-3f9a...``, ``host-...``, ``cluster-...``, ``dc-...``,
    ``dns-...``, IPs with ``ip-...`` and MACs with a locally administered ``02:..`` MAC."""

    def __init__(self, salt: bytes) -> None:
        self._salt = salt
        self._known: dict[str, str] = {}  # lower-case name -> pseudonym, for free text

    def _digest(self, kind: str, text: str) -> bytes:
        return hmac.new(self._salt, f"{kind}\0{text}".encode(), hashlib.sha256).digest()

    def name(self, kind: str, text: object) -> object:
        """The pseudonym of a name of ``kind`` (vm, host, cluster, datacenter, dns)."""
        if not isinstance(text, str) or not text.strip():
            return text
        key = text.strip().lower()
        pseudonym = f"{_KINDS[kind]}-{self._digest(kind, key).hex()[:12]}"
        self._known[key] = pseudonym
        # A host named by its FQDN is also known by its short name in other inputs.
        short = key.split(".", 1)[0]
        if kind in ("host", "dns") and short != key:
            self._known.setdefault(short, pseudonym)
        return pseudonym

    def mac(self, text: object) -> object:
        if not isinstance(text, str) or not text.strip():
            return text
        digits = re.sub(r"[^0-9a-f]", "", text.lower())
        octets = self._digest("mac", digits)[:5]
        pseudonym = "02:" + ":".join(f"{b:02x}" for b in octets)
        self._known[text.strip().lower()] = pseudonym
        return pseudonym

    def ip(self, text: str) -> str:
        pseudonym = f"ip-{self._digest('ip', text.strip().lower()).hex()[:12]}"
        self._known[text.strip().lower()] = pseudonym
        return pseudonym

    def addresses(self, text: object) -> object:
        """A list of IP addresses (any separator): each replaced."""
        if not isinstance(text, str) or not text.strip():
            return text
        parts = [p for p in _ADDRESS_SPLIT.split(text) if p]
        return ";".join(self.ip(p) if _is_ip(p) else str(self.name("dns", p)) for p in parts)

    def text(self, text: object) -> object:
        """Free text (a warning, a note, a file path) with every known name replaced."""
        if not isinstance(text, str) or not self._known:
            return text

        def swap(match: re.Match[str]) -> str:
            word = match.group(0)
            return self._known.get(word.lower(), word)

        out = _TOKEN.sub(swap, text)
        for name in self._spaced_names():
            out = re.sub(re.escape(name), self._known[name], out, flags=re.IGNORECASE)
        return self._in_paths(out)

    def _spaced_names(self) -> list[str]:
        return sorted((n for n in self._known if " " in n), key=len, reverse=True)[:500]

    def _in_paths(self, text: str) -> str:
        """Names inside a path or file name: ``hv01-gen2-inventory.jsonl``, ``[ds] WEB01/x``:
        any run of ``-``/``_``/``.``-separated pieces that is a known name."""
        parts = re.split(r"([\\/\[\]:\s])", text)
        return "".join(_swap_runs(p, self._known) for p in parts)

    def names(self, kind: str, names: Iterable[str]) -> None:
        """Register names that only free text mentions (e.g. VMware templates)."""
        for name in names:
            self.name(kind, name)

    # ----------------------------------------------------------------------- inventory

    def inventory(self, inventory: Inventory) -> Inventory:
        tables = {name: inventory.tables[name].copy() for name in TABLE_NAMES}
        vms = tables["vms"]
        old_names = vms["name"].copy()
        old_hosts = vms["host"].copy()
        for column, kind in (
            ("name", "vm"),
            ("host", "host"),
            ("cluster", "cluster"),
            ("datacenter", "datacenter"),
            ("guest_fqdn", "dns"),
        ):
            vms[column] = _mapped(vms[column], functools.partial(self.name, kind))
        vms["ip_addresses"] = _mapped(vms["ip_addresses"], self.addresses)
        hosts = tables["hosts"]
        hosts["host"] = _mapped(hosts["host"], lambda v: self.name("host", v))
        hosts["cluster"] = _mapped(hosts["cluster"], lambda v: self.name("cluster", v))
        hosts["fqdn"] = _mapped(hosts["fqdn"], lambda v: self.name("dns", v))
        tables["nics"]["mac"] = _mapped(tables["nics"]["mac"], self.mac)
        for name in TABLE_NAMES:
            frame = tables[name]
            if name not in ("vms", "hosts") and "host" in frame:
                frame["host"] = _mapped(frame["host"], lambda v: self.name("host", v))
        owners = pd.DataFrame({"name": old_names.to_numpy(), "host": old_hosts.to_numpy()})
        owners.index = vms["vm_key"].to_numpy()
        vms["boot_disk_path"] = self._paths(vms["boot_disk_path"], vms["vm_key"], owners)
        for name in ("disks", "dvd_drives", "floppies", "com_ports"):
            frame = tables[name]
            frame["path"] = self._paths(frame["path"], frame["vm_key"], owners)
            if name == "disks":
                frame["parent_path"] = self._paths(frame["parent_path"], frame["vm_key"], owners)
        if "message" in tables["collection_errors"]:
            errors = tables["collection_errors"]
            errors["message"] = _mapped(errors["message"], self.text)
        _new_synthetic_ids(tables, vms)
        for name in TABLE_NAMES:
            frame = tables[name]
            for column in ("origin", "source"):
                if column in frame:
                    frame[column] = _mapped(frame[column], self.text)
        return Inventory(tables)

    def _paths(self, paths: pd.Series, keys: pd.Series, owners: pd.DataFrame) -> pd.Series:
        """Each path with its own VM's (and host's) name replaced, case-insensitively."""
        values = paths.to_numpy(dtype=object, na_value=None)
        names = keys.map(owners["name"]).to_numpy(dtype=object, na_value=None)
        hosts = keys.map(owners["host"]).to_numpy(dtype=object, na_value=None)
        out: list[object] = []
        for path, name, host in zip(values, names, hosts, strict=True):
            if path is None:
                out.append(None)
                continue
            for found, kind in ((name, "vm"), (host, "host")):
                if found:
                    path = _replace(path, found, str(self.name(kind, found)))
            out.append(self.text(path))
        return pd.Series(pd.array(out, dtype="string"), index=paths.index)


def _replace(text: str, old: str, new: str) -> str:
    lower, key = text.lower(), old.lower()
    at = lower.find(key)
    if at < 0:
        return text
    parts = []
    start = 0
    while at >= 0:
        parts.append(text[start:at])
        parts.append(new)
        start = at + len(key)
        at = lower.find(key, start)
    parts.append(text[start:])
    return "".join(parts)


def _swap_runs(part: str, known: dict[str, str]) -> str:
    pieces = re.split(r"([-_.])", part)  # words at even positions, separators between
    if len(pieces) == 1:
        return known.get(part.lower(), part)
    out: list[str] = []
    i = 0
    while i < len(pieces):
        for j in range(len(pieces) - 1, i - 1, -2):  # the longest run first
            if i % 2 == 0 and j % 2 == 0:
                run = "".join(pieces[i : j + 1])
                if run.lower() in known:
                    out.append(known[run.lower()])
                    i = j + 1
                    break
        else:
            out.append(pieces[i])
            i += 1
    return "".join(out)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _mapped(series: pd.Series, function: Callable[[object], object]) -> pd.Series:
    """``function`` over the distinct values of a string column (NA stays NA)."""
    if not len(series):
        return series
    distinct = series.dropna().unique()
    mapping = {value: function(value) for value in distinct}
    return series.map(mapping).astype(series.dtype)


def _new_synthetic_ids(tables: dict[str, pd.DataFrame], vms: pd.DataFrame) -> None:
    """A synthetic id is a hash of host and name: make it again from the pseudonyms, and
    re-key every table, so the real names cannot be recovered from it."""
    synthetic = vms["vm_id_synthetic"].fillna(False).astype(bool)
    if not synthetic.any():
        return
    new_ids = [
        synthetic_vm_id(h if isinstance(h, str) else None, n if isinstance(n, str) else None)
        for h, n in zip(vms.loc[synthetic, "host"], vms.loc[synthetic, "name"], strict=True)
    ]
    rekey = dict(zip(vms.loc[synthetic, "vm_key"], (make_vm_key(i) for i in new_ids), strict=True))
    vms.loc[synthetic, "vm_id"] = new_ids
    for frame in tables.values():
        if "vm_key" in frame:
            frame["vm_key"] = frame["vm_key"].map(lambda k: rekey.get(k, k)).astype("string")
