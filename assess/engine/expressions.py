"""Rule conditions: small Python-like expressions over fact columns, evaluated column-wise.

A condition such as ``boot_disk_controller == 'IDE' and has_boot_disk`` is parsed once, when
the catalog loads, into a tree of allowed operations; unknown names, unknown functions, a
text fact compared with a number and anything that is not an expression are rejected then,
with the rule id, not at the 900th VM. Evaluation is vectorised over the whole facts frame.

Unknown data follows three-valued (Kleene) logic, as pandas' nullable booleans do: a
comparison with an NA fact is NA, ``False and NA`` is False, ``True and NA`` is NA. A rule
whose condition is NA for a VM is ``unknown`` for that VM, never passed.

Grammar: ``and``/``or``/``not`` (or ``&``/``|``/``~``), comparisons (``== != < <= > >=``,
chains allowed), ``in``/``not in`` a list of constants, ``+ - * /`` on numbers, constants
(text, numbers, true/false), and the functions ``isna(f)``, ``notna(f)`` (never NA),
``startswith(f, 'x')``, ``endswith(f, 'x')``, ``contains(f, 'x')``.

Text is compared without regard to case everywhere, as ``contains()`` does: ``os_distro ==
'Ubuntu'``, ``boot_disk_controller in ['ide']`` and ``host_os < 'Windows Server 2016'`` compare
the lower-case forms. Inventories write the same value in many cases (``IDE``/``ide``,
``Running``/``running``), and a rule must not pass silently because of it.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

BOOL = "boolean"

_COMPARE = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}
_ARITH = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_TEXT_FUNCTIONS = {"startswith", "endswith", "contains"}
_NA_FUNCTIONS = {"isna", "notna"}
FUNCTIONS = frozenset(_TEXT_FUNCTIONS | _NA_FUNCTIONS)


#: Bounds of a condition: longer or deeper ones are refused when the rules load (a rule
#: condition is a line or two; these stop a hostile rule file from exhausting the parser).
MAX_CONDITION_CHARS = 2_000
MAX_CONDITION_DEPTH = 32
MAX_LIST_ITEMS = 500


class ExpressionError(ValueError):
    """A condition that cannot be used; the message says what and where."""


@dataclass(frozen=True)
class Condition:
    """A parsed condition: ``names`` are the facts it reads."""

    text: str
    names: tuple[str, ...]
    _evaluate: Callable[[pd.DataFrame], object]

    def evaluate(self, facts: pd.DataFrame) -> pd.Series:
        """A nullable boolean Series over ``facts.index``: True, False or NA (unknown)."""
        result = self._evaluate(facts)
        if not isinstance(result, pd.Series):
            return pd.Series(result, index=facts.index, dtype=BOOL)
        return result.astype(BOOL)


def compile_condition(text: str, fact_types: Mapping[str, str]) -> Condition:
    """Parse ``text`` against the known facts (name -> pandas dtype)."""
    if not isinstance(text, str):
        raise ExpressionError("the condition must be text")
    if len(text) > MAX_CONDITION_CHARS:
        raise ExpressionError(f"longer than {MAX_CONDITION_CHARS:,} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"not an expression: {exc.msg} at column {exc.offset}") from None
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, huge numbers, depth
        reason = "nested too deeply" if not isinstance(exc, ValueError) else str(exc)[:100]
        raise ExpressionError(f"not an expression: {reason}") from None
    if _depth(tree.body) > MAX_CONDITION_DEPTH:
        raise ExpressionError(f"nested deeper than {MAX_CONDITION_DEPTH} levels")
    names: list[str] = []
    evaluate, kind = _compile(tree.body, fact_types, names)
    if kind not in {"bool", "const"}:
        raise ExpressionError("the condition must be true or false, not a value")
    return Condition(text.strip(), tuple(dict.fromkeys(names)), evaluate)


def _depth(root: ast.AST) -> int:
    """The depth of an expression tree (without recursion: the tree may be very deep)."""
    deepest = 0
    todo = [(root, 1)]
    while todo:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_CONDITION_DEPTH:
            break
        todo.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fold(node: ast.AST, compute: Callable[[], object]):
    """A constant sub-expression, computed once now: its errors are load errors."""
    try:
        value = compute()
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise ExpressionError(f"'{ast.unparse(node)}': {exc}") from None
    if _number(value) and not math.isfinite(value):  # type: ignore[arg-type]
        raise ExpressionError(f"'{ast.unparse(node)}' is not a finite number")
    return (lambda f: value), "const"


def _kind_of(dtype: object) -> str:
    if str(dtype) in {"Int64", "Float64", "int64", "float64"}:
        return "number"
    if dtype == BOOL:
        return "bool"
    return "text"


def _compile(node: ast.AST, facts: Mapping[str, str], names: list[str]):
    """Returns (function of the facts frame, kind) where kind is bool/number/text/const."""
    if isinstance(node, ast.BoolOp):
        parts = [_boolean(v, facts, names) for v in node.values]
        join = (lambda a, b: a & b) if isinstance(node.op, ast.And) else (lambda a, b: a | b)

        def boolop(frame: pd.DataFrame):
            result = parts[0](frame)
            for part in parts[1:]:
                result = join(result, part(frame))
            return result

        return boolop, "bool"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr):
        left, right = _boolean(node.left, facts, names), _boolean(node.right, facts, names)
        if isinstance(node.op, ast.BitAnd):
            return (lambda f: left(f) & right(f)), "bool"
        return (lambda f: left(f) | right(f)), "bool"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.Invert):
        inner = _boolean(node.operand, facts, names)
        return (lambda f: ~_as_bool(inner(f), f)), "bool"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner, kind = _compile(node.operand, facts, names)
        if kind not in {"number", "const"}:
            raise ExpressionError("'-' applies to numbers only")
        if kind == "const":
            value = inner(None)
            if not _number(value):
                raise ExpressionError(f"'{ast.unparse(node)}': '-' applies to numbers only")
            return _fold(node, lambda: -value)
        return (lambda f: -inner(f)), kind
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        left, lk = _compile(node.left, facts, names)
        right, rk = _compile(node.right, facts, names)
        if {lk, rk} - {"number", "const"}:
            raise ExpressionError("arithmetic applies to number facts only")
        for kind, side in ((lk, left), (rk, right)):
            if kind == "const" and not _number(side(None)):
                raise ExpressionError(
                    f"'{ast.unparse(node)}': arithmetic applies to numbers only, not text"
                )
        op = _ARITH[type(node.op)]
        if lk == rk == "const":
            a, b = left(None), right(None)
            return _fold(node, lambda: op(a, b))
        return (lambda f: op(left(f), right(f))), "number"
    if isinstance(node, ast.Compare):
        return _compile_compare(node, facts, names), "bool"
    if isinstance(node, ast.Call):
        return _compile_call(node, facts, names), "bool"
    if isinstance(node, ast.Name):
        if node.id in {"true", "True"}:
            return (lambda f: True), "const"
        if node.id in {"false", "False"}:
            return (lambda f: False), "const"
        if node.id not in facts:
            raise ExpressionError(f"unknown fact {node.id!r} (see 'assess rules --facts')")
        names.append(node.id)
        name = node.id
        return _Fact(name), _kind_of(facts[name])
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | bool):
        value = node.value
        if _number(value) and not math.isfinite(value):  # type: ignore[arg-type]
            raise ExpressionError(f"'{ast.unparse(node)}' is not a finite number")
        return (lambda f: value), "const"
    raise ExpressionError(f"'{ast.unparse(node)}' is not allowed in a condition")


def _as_bool(value, frame: pd.DataFrame):
    if isinstance(value, pd.Series):
        return value.astype(BOOL)
    return pd.Series(bool(value), index=frame.index, dtype=BOOL)


def _boolean(node: ast.AST, facts: Mapping[str, str], names: list[str]):
    evaluate, kind = _compile(node, facts, names)
    if kind not in {"bool", "const"}:
        raise ExpressionError(f"'{ast.unparse(node)}' is a value, not true or false")
    return lambda frame: _as_bool(evaluate(frame), frame)


def _constant(node: ast.AST) -> object:
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _constant(node.operand)
        if isinstance(inner, int | float):
            return -inner
    raise ExpressionError(f"'{ast.unparse(node)}' must be a constant")


def _check_types(left_kind: str, right: ast.AST, right_kind: str, where: str) -> None:
    kinds = {left_kind, right_kind} - {"const"}
    if len(kinds) > 1:
        raise ExpressionError(f"{where} compares a {' with a '.join(sorted(kinds))}")
    if right_kind == "const" and left_kind in {"text", "number", "bool"}:
        _check_constant(left_kind, _constant(right), where)


def _check_constant(kind: str, value: object, where: str) -> None:
    """A constant compared with a fact of ``kind`` must be of that kind."""
    if kind == "text":
        fits = isinstance(value, str)
    elif kind == "number":
        fits = _number(value)
    elif kind == "bool":
        fits = isinstance(value, bool) or value in (0, 1)
    else:
        return
    if not fits:
        raise ExpressionError(f"{where} compares a {kind} fact with {value!r}")


def _compile_compare(node: ast.Compare, facts: Mapping[str, str], names: list[str]):
    steps = []
    left_node = node.left
    left, left_kind = _compile(left_node, facts, names)
    for op, right_node in zip(node.ops, node.comparators, strict=True):
        where = f"'{ast.unparse(node)}'"
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(right_node, ast.List | ast.Tuple | ast.Set):
                raise ExpressionError(f"{where}: 'in' needs a list of constants")
            if len(right_node.elts) > MAX_LIST_ITEMS:
                raise ExpressionError(f"{where}: a list of more than {MAX_LIST_ITEMS:,} items")
            if left_kind == "const":
                raise ExpressionError(f"{where}: 'in' needs a fact on its left")
            values = [_constant(v) for v in right_node.elts]
            for value in values:
                _check_types(left_kind, ast.Constant(value), "const", where)  # type: ignore[arg-type]
            negate = isinstance(op, ast.NotIn)
            if left_kind == "text":
                values = [v.lower() if isinstance(v, str) else v for v in values]
                generic = _membership(_lowered(left), values, negate=negate)
                if isinstance(left, _Fact):
                    steps.append(_coded_membership(left, values, negate, generic))
                else:
                    steps.append(generic)
            else:
                steps.append(_membership(left, values, negate=negate))
            right, right_kind = (lambda f: None), "const"
        elif type(op) in _COMPARE:
            right, right_kind = _compile(right_node, facts, names)
            if left_kind == right_kind == "const":
                raise ExpressionError(f"{where} compares two constants: name a fact")
            _check_types(left_kind, right_node, right_kind, where)
            if left_kind == "const" and right_kind in {"text", "number", "bool"}:
                _check_constant(right_kind, left(None), where)
            if "text" in {left_kind, right_kind}:
                generic = _comparison(_lowered(left), _lowered(right), _COMPARE[type(op)])
                fact, constant = None, None
                if isinstance(left, _Fact) and right_kind == "const":
                    fact, constant = left, right(None)
                elif isinstance(right, _Fact) and left_kind == "const":
                    fact, constant = right, left(None)
                if (
                    fact is not None
                    and isinstance(op, ast.Eq | ast.NotEq)
                    and isinstance(constant, str)
                ):
                    negate = isinstance(op, ast.NotEq)
                    steps.append(_coded_membership(fact, [constant.lower()], negate, generic))
                else:
                    steps.append(generic)
            else:
                steps.append(_comparison(left, right, _COMPARE[type(op)]))
        else:
            raise ExpressionError(f"{where}: operator not allowed")
        left, left_kind = right, right_kind

    def compare(frame: pd.DataFrame):
        result = _as_bool(steps[0](frame), frame)
        for step in steps[1:]:
            result = result & _as_bool(step(frame), frame)
        return result

    return compare


#: Inside ``lowered_once()``: text columns already lowered, (id of frame, fact) ->
#: (frame, lowered column); holding the frame keeps its id from being reused.
_LOWERED: contextvars.ContextVar[dict[tuple[int, str], tuple[pd.DataFrame, pd.Series]] | None] = (
    contextvars.ContextVar("lowered_columns", default=None)
)


#: Inside ``lowered_once()``: (id of frame, fact) -> (frame, codes, number of each text).
_CODES: contextvars.ContextVar[
    dict[tuple[int, str], tuple[pd.DataFrame, np.ndarray, dict[str, int]]] | None
] = contextvars.ContextVar("text_codes", default=None)


@contextlib.contextmanager
def lowered_once() -> Iterator[None]:
    """While evaluating many conditions over one frame, lower each text fact once, and
    number its texts once for equality and ``in`` tests (rules compare the same few facts:
    OS family, distribution, path). Dropped on exit."""
    lowered, codes = _LOWERED.set({}), _CODES.set({})
    try:
        yield
    finally:
        _CODES.reset(codes)
        _LOWERED.reset(lowered)


class _Fact:
    """Reads one fact (a column) of the frame; named so its lowered text can be kept."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, frame: pd.DataFrame) -> pd.Series:
        return frame[self.name]


def _lower_text(evaluate, frame: pd.DataFrame, value: pd.Series) -> pd.Series:
    """``value.str.lower()``; for a fact inside ``lowered_once()``, made once per frame."""
    cache = _LOWERED.get()
    if cache is None or not isinstance(evaluate, _Fact):
        return value.str.lower()
    key = (id(frame), evaluate.name)
    known = cache.get(key)
    if known is not None and known[0] is frame:
        return known[1]
    lowered = value.str.lower()
    cache[key] = (frame, lowered)
    return lowered


def _coded_membership(fact: _Fact, values: list[object], negate: bool, generic):
    """``lower(fact) in values`` (or ``not in``; ``==`` / ``!=`` with one value), NA where
    the fact is NA. Inside ``lowered_once()`` the fact's lowered texts are numbered once and
    each test compares numbers; elsewhere ``generic`` (the same test on the texts) runs."""

    def run(frame: pd.DataFrame):
        coded = _text_codes(fact, frame)
        if coded is None:
            return generic(frame)
        codes, numbers = coded
        wanted = [numbers[v] for v in values if isinstance(v, str) and v in numbers]
        hit = np.isin(codes, wanted) if len(wanted) > 1 else codes == (wanted[0] if wanted else -2)
        return pd.Series(
            pd.arrays.BooleanArray(hit != negate, codes < 0), index=frame.index, copy=False
        )

    return run


def _text_codes(fact: _Fact, frame: pd.DataFrame) -> tuple[np.ndarray, dict[str, int]] | None:
    """The fact's lowered texts as numbers (-1 for NA) and the number of each text; made
    once per frame inside ``lowered_once()``, None outside it."""
    cache = _CODES.get()
    if cache is None:
        return None
    key = (id(frame), fact.name)
    known = cache.get(key)
    if known is not None and known[0] is frame:
        return known[1], known[2]
    # Number the texts as they are (few distinct ones), then lower only those; a value
    # that is not text is NA, as ``.str.lower()`` makes it.
    raw, uniques = pd.factorize(fact(frame).to_numpy(dtype=object, na_value=None))
    numbers: dict[str, int] = {}
    lowered = np.array(
        [
            numbers.setdefault(text.lower(), len(numbers)) if isinstance(text, str) else -1
            for text in uniques.tolist()
        ]
        + [-1],
        dtype=np.int64,
    )
    codes = lowered[raw]  # NA is -1 in ``raw``: the last entry, -1 again
    cache[key] = (frame, codes, numbers)
    return codes, numbers


def _lowered(evaluate):
    """The same value in lower case: a text column, or a text constant."""

    def run(frame: pd.DataFrame):
        value = evaluate(frame)
        if isinstance(value, pd.Series):
            return _lower_text(evaluate, frame, value)
        return value.lower() if isinstance(value, str) else value

    return run


def _comparison(left, right, op):
    def run(frame: pd.DataFrame):
        return op(left(frame), right(frame))

    return run


def _membership(left, values: list[object], *, negate: bool):
    def run(frame: pd.DataFrame):
        series = left(frame)
        if not isinstance(series, pd.Series):
            return (series in values) != negate
        result = series.isin(values).astype(BOOL)
        if negate:
            result = ~result
        return result.mask(series.isna(), pd.NA)

    return run


def _compile_call(node: ast.Call, facts: Mapping[str, str], names: list[str]):
    where = f"'{ast.unparse(node)}'"
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        raise ExpressionError(f"{where}: functions allowed are {', '.join(sorted(FUNCTIONS))}")
    if node.keywords:
        raise ExpressionError(f"{where}: no keyword arguments")
    func = node.func.id
    if func in _NA_FUNCTIONS:
        if len(node.args) != 1 or not isinstance(node.args[0], ast.Name):
            raise ExpressionError(f"{where}: {func}() takes one fact name")
        column, _ = _compile(node.args[0], facts, names)
        if func == "isna":
            return lambda f: column(f).isna().astype(BOOL)
        return lambda f: column(f).notna().astype(BOOL)
    if len(node.args) != 2:
        raise ExpressionError(f"{where}: {func}() takes a text fact and a text")
    column, kind = _compile(node.args[0], facts, names)
    needle = _constant(node.args[1])
    if kind != "text" or not isinstance(needle, str):
        raise ExpressionError(f"{where}: {func}() takes a text fact and a text")
    needle_lower = needle.lower()

    def text_test(frame: pd.DataFrame):
        lowered = _lower_text(column, frame, column(frame))
        if func == "startswith":
            return lowered.str.startswith(needle_lower)
        if func == "endswith":
            return lowered.str.endswith(needle_lower)
        return lowered.str.contains(needle_lower, regex=False)

    return text_test
