"""PowerShell parsed with tree-sitter-powershell, for the tests that check scripts we ship
or write (the collector, the runbooks)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import tree_sitter_powershell as tsp
from tree_sitter import Language, Node, Parser, Tree


@cache
def _parser() -> Parser:
    return Parser(Language(tsp.language()))


def parse(text: str) -> Tree:
    return _parser().parse(text.encode("utf-8"))


def walk(node: Node) -> Iterator[Node]:
    """Every node under ``node`` (itself first), in document order. A stack, not recursive
    generators: a script's tree is deep, and ``yield from`` would resume every level for
    every node."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))
