"""Boolean notation used in QCA: parse and render expressions such as ``DEV*~URB + STB``.

``*`` is logical AND (fuzzy: minimum), ``+`` is logical OR (fuzzy: maximum) and ``~`` is the
absence of a set (fuzzy: ``1 - x``). Parentheses group sub-expressions. Condition names are
identifiers (letters, digits, ``_`` and ``.``, not starting with a digit).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "And",
    "Expression",
    "Not",
    "Or",
    "Var",
    "implicant_string",
    "parse",
    "render",
    "row_string",
]

_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_.]*)|(?P<op>[*+~()]))")


class Expression:
    """Base class of parsed Boolean expressions (see :func:`parse`)."""

    __slots__ = ()

    def evaluate(self, data: pd.DataFrame | Mapping[str, object]) -> np.ndarray:
        """Return the fuzzy membership of every case in the expression (AND=min, OR=max)."""
        raise NotImplementedError

    def names(self) -> list[str]:
        """Return the condition names used, in order of first appearance."""
        seen: dict[str, None] = {}
        for var in self._vars():
            seen.setdefault(var, None)
        return list(seen)

    def _vars(self) -> Iterator[str]:
        raise NotImplementedError

    @property
    def terms(self) -> tuple[Expression, ...]:
        """Return the top-level disjuncts (a single-term expression returns itself)."""
        return (self,)

    def __str__(self) -> str:
        return render(self)


@dataclass(frozen=True, slots=True)
class Var(Expression):
    """A condition (set) name."""

    name: str

    def evaluate(self, data: pd.DataFrame | Mapping[str, object]) -> np.ndarray:
        """Return the membership scores of the named set."""
        return _column(data, self.name)

    def _vars(self) -> Iterator[str]:
        yield self.name

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Not(Expression):
    """Negation (set complement), written ``~X``."""

    operand: Expression

    def evaluate(self, data: pd.DataFrame | Mapping[str, object]) -> np.ndarray:
        """Return ``1 - x`` for the operand's memberships."""
        return 1.0 - self.operand.evaluate(data)

    def _vars(self) -> Iterator[str]:
        yield from self.operand._vars()

    def __str__(self) -> str:
        return render(self)


@dataclass(frozen=True, slots=True)
class And(Expression):
    """Conjunction (set intersection), written ``A*B``."""

    operands: tuple[Expression, ...]

    def evaluate(self, data: pd.DataFrame | Mapping[str, object]) -> np.ndarray:
        """Return the case-wise minimum of the operands' memberships."""
        return np.minimum.reduce([op.evaluate(data) for op in self.operands])

    def _vars(self) -> Iterator[str]:
        for op in self.operands:
            yield from op._vars()

    def __str__(self) -> str:
        return render(self)


@dataclass(frozen=True, slots=True)
class Or(Expression):
    """Disjunction (set union), written ``A + B``."""

    operands: tuple[Expression, ...]

    def evaluate(self, data: pd.DataFrame | Mapping[str, object]) -> np.ndarray:
        """Return the case-wise maximum of the operands' memberships."""
        return np.maximum.reduce([op.evaluate(data) for op in self.operands])

    def _vars(self) -> Iterator[str]:
        for op in self.operands:
            yield from op._vars()

    @property
    def terms(self) -> tuple[Expression, ...]:
        """Return the disjuncts."""
        return self.operands

    def __str__(self) -> str:
        return render(self)


def _column(data: pd.DataFrame | Mapping[str, object], name: str) -> np.ndarray:
    try:
        raw = data[name]
    except KeyError:
        raise KeyError(f"condition {name!r} is not a column of the data") from None
    values = np.asarray(raw, dtype=float)
    if np.isnan(values).any():
        raise ValueError(f"column {name!r} has missing values")
    if ((values < 0) | (values > 1)).any():
        raise ValueError(f"column {name!r} has values outside [0, 1]; calibrate it first")
    return values


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        stripped = text.rstrip()
        while pos < len(stripped):
            match = _TOKEN.match(stripped, pos)
            if match is None:
                bad = stripped[pos:].lstrip()
                where = len(stripped) - len(bad)
                raise ValueError(
                    f"cannot parse {text!r}: unexpected {bad[0]!r} at position {where}"
                )
            kind = "name" if match.group("name") else "op"
            self.tokens.append((kind, match.group(kind), match.start(kind)))
            pos = match.end()
        self.i = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None:
            raise ValueError(f"cannot parse {self.text!r}: unexpected end of expression")
        self.i += 1
        return tok

    def expr(self) -> Expression:
        terms = [self.term()]
        while (tok := self.peek()) is not None and tok[1] == "+":
            self.i += 1
            terms.append(self.term())
        flat: list[Expression] = []
        for t in terms:
            flat.extend(t.operands if isinstance(t, Or) else (t,))
        return flat[0] if len(flat) == 1 else Or(tuple(flat))

    def term(self) -> Expression:
        factors = [self.factor()]
        while (tok := self.peek()) is not None and tok[1] == "*":
            self.i += 1
            factors.append(self.factor())
        flat: list[Expression] = []
        for f in factors:
            flat.extend(f.operands if isinstance(f, And) else (f,))
        return flat[0] if len(flat) == 1 else And(tuple(flat))

    def factor(self) -> Expression:
        kind, value, where = self.take()
        if kind == "name":
            return Var(value)
        if value == "~":
            inner = self.factor()
            return inner.operand if isinstance(inner, Not) else Not(inner)
        if value == "(":
            inner = self.expr()
            closing = self.take()
            if closing[1] != ")":
                raise ValueError(
                    f"cannot parse {self.text!r}: expected ')' at position {closing[2]}"
                )
            return inner
        raise ValueError(f"cannot parse {self.text!r}: unexpected {value!r} at position {where}")


def parse(expression: str) -> Expression:
    """Return the expression tree of a QCA expression string (``*`` AND, ``+`` OR, ``~`` NOT).

    >>> e = parse("DEV*~URB + STB")
    >>> e.names()
    ['DEV', 'URB', 'STB']
    >>> [str(t) for t in e.terms]
    ['DEV*~URB', 'STB']
    >>> str(parse("~(A + B)*C"))
    '~(A + B)*C'
    """
    if not isinstance(expression, str) or not expression.strip():
        raise ValueError("expression must be a non-empty string")
    parser = _Parser(expression)
    tree = parser.expr()
    if parser.peek() is not None:
        _, value, where = parser.tokens[parser.i]
        raise ValueError(f"cannot parse {expression!r}: unexpected {value!r} at position {where}")
    return tree


def _render(node: Expression, parent: int) -> str:
    # precedence: Or 1, And 2, Not/Var 3
    if isinstance(node, Var):
        return node.name
    if isinstance(node, Not):
        inner = _render(node.operand, 3)
        return "~" + inner
    if isinstance(node, And):
        text = "*".join(_render(op, 2) for op in node.operands)
        return f"({text})" if parent > 2 else text
    if isinstance(node, Or):
        text = " + ".join(_render(op, 1) for op in node.operands)
        return f"({text})" if parent > 1 else text
    raise TypeError(f"not an expression: {node!r}")


def render(
    expression: Expression | str | Sequence[Mapping[str, int]],
    conditions: Sequence[str] | None = None,
) -> str:
    """Return the standard string of an expression, parsed string, or list of terms.

    Terms given as mappings (condition -> 1 for presence, 0 for absence) are written with their
    conditions in the order of ``conditions`` (default: the mapping's order).

    >>> render("DEV *  ~URB+STB")
    'DEV*~URB + STB'
    >>> render([{"STB": 1, "DEV": 0}], conditions=["DEV", "STB"])
    '~DEV*STB'
    """
    if isinstance(expression, str):
        return _render(parse(expression), 0)
    if isinstance(expression, Expression):
        return _render(expression, 0)
    parts = []
    for term in expression:
        order = list(conditions) if conditions is not None else list(term)
        unknown = set(term) - set(order)
        if unknown:
            raise ValueError(f"term uses conditions not in `conditions`: {sorted(unknown)}")
        lits = [name if int(term[name]) else f"~{name}" for name in order if name in term]
        parts.append("*".join(lits) if lits else "1")
    return " + ".join(parts)


def implicant_string(mask: int, value: int, conditions: Sequence[str]) -> str:
    """Return the ``A*~B`` string of an implicant stored as (mask, value) bit patterns.

    Condition ``i`` (in ``conditions`` order) is bit ``n - 1 - i``, so the row string of a
    full implicant reads like its binary representation.

    >>> implicant_string(0b101, 0b100, ["A", "B", "C"])
    'A*~C'
    """
    n = len(conditions)
    lits = []
    for i, name in enumerate(conditions):
        bit = 1 << (n - 1 - i)
        if mask & bit:
            lits.append(name if value & bit else f"~{name}")
    return "*".join(lits) if lits else "1"


def row_string(row: int, n: int) -> str:
    """Return the 0/1 string of a truth-table row number (first condition leftmost).

    >>> row_string(19, 5)
    '10011'
    """
    return format(row, f"0{n}b")
