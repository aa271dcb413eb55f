"""VMware guest OS names as vCenter shows them, made fit for guest-OS identification.

RVTools and Azure Migrate write vCenter's display names: ``Microsoft Windows Server 2019
(64-bit)``, ``CentOS 4/5/6/7 (64-bit)``, ``Other 3.x or later Linux (64-bit)``. The
``(64-bit)``/``(32-bit)`` suffix is the architecture; a slash-separated list of releases
names a family of releases, not one (which CentOS of 4, 5, 6 or 7 runs is not known), so
the list is dropped and the version stays unknown. A Tools-reported name
(``Red Hat Enterprise Linux 8.6``) passes through unchanged.
"""

from __future__ import annotations

import functools
import re

_BITS = re.compile(r"\s*\((32|64)-?bit\)\s*", re.IGNORECASE)
_RELEASE_LIST = re.compile(r"\s*\b\d+(?:\.\w+)?(?:\s*/\s*\d+(?:\.\w+)?)+\b")
_OTHER_KERNEL = re.compile(r"^other\b.*\blinux\b", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def split_vmware_os(text: str) -> tuple[str | None, str | None]:
    """``(name for identification, architecture "64-bit"/"32-bit" or None)``."""
    bits = _BITS.search(text)
    arch = f"{bits.group(1)}-bit" if bits else None
    name = _BITS.sub(" ", text).strip()
    name = _RELEASE_LIST.sub("", name).strip()
    if _OTHER_KERNEL.match(name):
        # "Other 3.x or later Linux": a kernel line, not a distribution release.
        name = "Other Linux"
    name = re.sub(r"\s{2,}", " ", name)
    return (name or None), arch
