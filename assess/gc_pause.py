"""Pause the cyclic garbage collector while a step builds many small objects."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects.

    Reading an input creates a list or dict per row, and a plan a few dataclasses per VM;
    each allocation burst triggers collections that walk every live container, which costs
    more than the work itself on large estates. These objects form no reference cycles, so
    nothing is lost by collecting later.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
