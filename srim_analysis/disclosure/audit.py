"""An independent disclosure audit of a finished output folder (``srim audit-disclosure``).

The audit reads what a run published, on its own, and looks for what the suppression of the
engine should have prevented:

* ``small-count``: a count column (the naming convention of :func:`count_columns_of`) that
  shows a count from 1 to ``min_cell - 1``;
* ``recoverable``: a hidden cell (``"c"``) whose value can be worked out exactly from what
  the table shows: its total rows (labelled All/Total), a total column (``n_total``, ...), a
  count column that is the sum of others in every fully shown row, and percentages of a shown
  denominator;
* ``small-range``: a hidden cell whose every possible value lies in 1..``min_cell - 1`` (so a
  reader knows it is a small count, and nearly which);
* ``text-small-count``: a sentence of an HTML page that gives a small count of people
  ("2 participants", "n = 3");
* ``linked``: a hidden cell that can be worked out (or shown to be small) once the cells of
  the same population that *other* published tables show are put in: tables published with
  a population (their ``# population:`` line, written by the report layer) are one system.
  A cell is matched across tables by its row's labels other than totals (plus the site of a
  per-site folder when the table has no ``site_id`` column) and its count column (a table's
  only count column, or its row-total column, matches the other tables' likewise).

The ranges of hidden cells are found by linear programming (scipy's HiGHS): the minimum and
maximum of each hidden cell, with the shown cells fixed, counts never negative and every
relation the table shows holding (cells linked by one relation only are solved directly, which
is exact and much faster). It shares no code with the engine's suppression, so it is a second
opinion on it. Tables are read as :meth:`Report.table` writes them: ``#`` comment
lines (caption, note, synthetic-data banner) then CSV.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import json
import math
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from srim_analysis import atomic
from srim_analysis.disclosure.suppression import (
    DEFAULT_MIN_CELL,
    ROW_TOTAL_COLUMN_NAMES,
    TOTAL_LABELS,
    count_columns_of,
    is_suppressed,
)

__all__ = [
    "AUDIT_RULES",
    "AuditFinding",
    "AuditResult",
    "NotAnOutputRoot",
    "audit_html_text",
    "audit_output",
    "audit_table_text",
    "audit_tables_text",
    "findings_by_rule",
    "write_findings",
]

AUDIT_RULES = ("small-count", "recoverable", "small-range", "text-small-count", "linked")
"""The rules a finding can break, in the order they are described in the module docstring."""

#: Nouns that count people (or their cases) in a sentence.
_PEOPLE = (
    r"people|persons?|participants?|respondents?|practitioners?|parents?|fathers?|men|"
    r"cases?|child(?:ren)?|interviewees?|managers?|staff members?"
)
_NUMBER = r"(?<![\w.,/:-])(\d{1,3})(?![\w.,]\d)"
_TEXT_PATTERNS = (
    re.compile(
        _NUMBER + r"[ \t\u00a0]+(?:(?:more|other|further)[ \t\u00a0]+)?(?:" + _PEOPLE + r")\b",
        re.IGNORECASE,
    ),
    re.compile(r"(?<![\w])n[ \t\u00a0]*=[ \t\u00a0]*(\d{1,3})(?![\w.,]\d)(?!\s*[-+*/])"),
)
#: Words just before a number that make it a threshold, not a count ("fewer than 5 people").
_NOT_A_COUNT = re.compile(
    r"(?:fewer|less|more|greater)\s+than\s*$|(?:under|below|at\s+least|at\s+most|min_cell)\s*$"
    r"|(?:year|section|table|figure|step|part|item|wave|round|site)\s*$",
    re.IGNORECASE,
)
_INVISIBLE = re.compile(r"<(script|style|head)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>", re.DOTALL)
_EPS = 1e-6
_POPULATION = re.compile(r"#\s*population:\s*(\S.*)$")


class NotAnOutputRoot(ValueError):
    """The folder given to the audit is not an output root (no ``reports/`` folder in it)."""


@dataclass(frozen=True)
class AuditFinding:
    """One thing the audit found: where (file, row as in the file, column), what and why."""

    file: str
    row: int
    column: str
    value: str
    rule: str
    message: str

    def line(self) -> str:
        """Return the finding as one line: ``file:row:column value rule message``."""
        return f"{self.file}:{self.row}:{self.column} {self.value} {self.rule} {self.message}"


@dataclass
class AuditResult:
    """What an audit read, what it found and how long it took."""

    root: Path
    findings: list[AuditFinding]
    tables: int
    pages: int
    seconds: float

    @property
    def ok(self) -> bool:
        """Return True when nothing was found."""
        return not self.findings

    def summary(self) -> str:
        """Return the closing line: how many findings in how many files."""
        return (
            f"Disclosure audit: {len(self.findings)} finding(s) "
            f"({self.tables} table(s), {self.pages} page(s), {self.seconds:.1f} s)"
        )


# -- reading ---------------------------------------------------------------------------------


@dataclass
class _Table:
    columns: list[str]
    rows: list[list[str]]
    lines: list[int]  # the line of the file each row starts on (1-based)
    population: str | None = None  # from a "# population: <name>" comment line


def _read_table(text: str) -> _Table | None:
    """Return the header, rows and their line numbers of a published CSV (comments skipped)."""
    lines = text.splitlines(keepends=True)
    skip = 0
    population = None
    while skip < len(lines) and lines[skip].startswith("#"):
        found = _POPULATION.match(lines[skip])
        if found:
            population = found.group(1).strip()
        skip += 1
    reader = csv.reader(io.StringIO("".join(lines[skip:])))
    try:
        header = next(reader)
    except StopIteration:
        return None
    rows: list[list[str]] = []
    starts: list[int] = []
    last = reader.line_num
    for row in reader:
        if row:
            rows.append(row + [""] * (len(header) - len(row)))
            starts.append(skip + last + 1)
        last = reader.line_num
    return _Table(header, rows, starts, population)


def _count(value: str) -> int | None:
    """Return a shown cell's whole number, or None (blank, hidden or not a whole number)."""
    s = value.strip()
    if not s:
        return None
    try:
        f = float(s)
    except ValueError:
        return None
    if not math.isfinite(f) or f != int(f):
        return None
    return int(f)


def _decimals(value: str) -> int:
    s = value.strip()
    return len(s.split(".", 1)[1]) if "." in s else 0


def _is_total(value: str) -> bool:
    return value.strip().casefold() in TOTAL_LABELS


def _stem(name: str) -> str:
    s = name.strip().casefold()
    for prefix in ("n_", "pct_", "percent_", "share_"):
        if s.startswith(prefix):
            return s[len(prefix) :]
    for suffix in ("_n", "_count", "_pct"):
        if s.endswith(suffix):
            return s[: -len(suffix)]
    return s


# -- tables ----------------------------------------------------------------------------------


class _System:
    """Hidden cells as unknowns and the linear relations a table shows between its cells."""

    def __init__(
        self,
        table: _Table,
        counts: list[str],
        revealed: Mapping[tuple[int, str], int] | None = None,
    ):
        self.table = table
        self.col = {c: table.columns.index(c) for c in counts}
        self.var: dict[tuple[int, str], int] = {}
        self.known: dict[tuple[int, str], int] = {}
        revealed = revealed or {}
        for i, row in enumerate(table.rows):
            for c, j in self.col.items():
                if (i, c) in revealed:  # hidden here, shown by another table
                    self.known[(i, c)] = revealed[(i, c)]
                elif is_suppressed(row[j]):
                    self.var[(i, c)] = len(self.var)
                else:
                    v = _count(row[j])
                    if v is not None:
                        self.known[(i, c)] = v
        self.equations: list[tuple[dict[int, float], float]] = []
        self.lower = np.zeros(len(self.var))
        self.upper = np.full(len(self.var), np.inf)

    def relate(self, total: tuple[int, str], parts: Iterable[tuple[int, str]]) -> bool:
        """Add ``total = sum(parts)`` when every cell is shown or hidden; return if added."""
        coef: dict[int, float] = {}
        const = 0.0
        for sign, cell in itertools.chain([(-1.0, total)], ((1.0, p) for p in parts)):
            if cell in self.var:
                k = self.var[cell]
                coef[k] = coef.get(k, 0.0) + sign
            elif cell in self.known:
                const -= sign * self.known[cell]
            else:
                return False  # a blank or unreadable cell: no relation
        coef = {k: v for k, v in coef.items() if v != 0}
        if not coef:
            return False
        if all(v > 0 for v in coef.values()) and const < -_EPS:
            return False  # the shown cells already exceed the total: not an additive total
        if all(v < 0 for v in coef.values()) and const > _EPS:
            return False
        self.equations.append((coef, const))
        return True

    def _components(self) -> list[tuple[list[int], list[int]]]:
        """Return the hidden cells linked by relations or bounds: (cells, equations) each."""
        parent = list(range(len(self.var)))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for coef, _ in self.equations:
            first, *rest = coef
            for k in rest:
                parent[find(k)] = find(first)
        involved = {k for coef, _ in self.equations for k in coef}
        involved |= {k for k in range(len(self.var)) if self.upper[k] < np.inf or self.lower[k] > 0}
        cells: dict[int, list[int]] = {}
        for k in sorted(involved):
            cells.setdefault(find(k), []).append(k)
        equations: dict[int, list[int]] = {}
        for r, (coef, _) in enumerate(self.equations):
            equations.setdefault(find(next(iter(coef))), []).append(r)
        return [(ks, equations.get(root, [])) for root, ks in cells.items()]

    def _one_equation(self, cells: list[int], rows: list[int]) -> dict[int, tuple[float, float]]:
        """Return the ranges of cells linked by at most one relation (exactly, no LP needed)."""
        lower, upper = self.lower, self.upper
        if not rows:
            return {k: (lower[k], upper[k]) for k in cells if np.isfinite(upper[k])}
        coef, const = self.equations[rows[0]]
        # sum(coef[k] * x[k]) = const: each term's range, then each cell from the others
        terms = {
            k: sorted((a * lower[k], a * upper[k] if np.isfinite(upper[k]) else a * np.inf))
            for k, a in coef.items()
        }
        low_sum = sum(t[0] for t in terms.values() if np.isfinite(t[0]))
        high_sum = sum(t[1] for t in terms.values() if np.isfinite(t[1]))
        low_inf = sum(1 for t in terms.values() if not np.isfinite(t[0]))
        high_inf = sum(1 for t in terms.values() if not np.isfinite(t[1]))
        if (not low_inf and low_sum > const + _EPS) or (not high_inf and high_sum < const - _EPS):
            return {}  # the relation cannot hold: it is not one the table really has
        out = {}
        for k, a in coef.items():
            t_low, t_high = terms[k]
            rest_low = (
                low_sum - (t_low if np.isfinite(t_low) else 0.0)
                if low_inf - (not np.isfinite(t_low)) == 0
                else -np.inf
            )
            rest_high = (
                high_sum - (t_high if np.isfinite(t_high) else 0.0)
                if high_inf - (not np.isfinite(t_high)) == 0
                else np.inf
            )
            ends = sorted(((const - rest_high) / a, (const - rest_low) / a))
            lo, hi = max(lower[k], ends[0]), min(upper[k], ends[1])
            if np.isfinite(hi):
                out[k] = (lo, hi)
        return out

    def ranges(self) -> dict[int, tuple[float, float]]:
        """Return the (min, max) of every hidden cell bounded by the relations and bounds.

        Each group of linked cells is its own linear programme; a cell with no upper bound is
        left out, and so is a group whose relations contradict each other.
        """
        out: dict[int, tuple[float, float]] = {}
        for cells, rows in self._components():
            if len(rows) <= 1:
                out.update(self._one_equation(cells, rows))
                continue
            local = {k: i for i, k in enumerate(cells)}
            a_eq = np.zeros((len(rows), len(cells)))
            b_eq = np.zeros(len(rows))
            for r, row in enumerate(rows):
                coef, const = self.equations[row]
                for k, v in coef.items():
                    a_eq[r, local[k]] = v
                b_eq[r] = const
            bounds = [
                (self.lower[k], None if np.isinf(self.upper[k]) else self.upper[k]) for k in cells
            ]
            found = {}
            for k in cells:
                c = np.zeros(len(cells))
                c[local[k]] = 1.0
                ends = []
                for sign in (-1.0, 1.0):  # the largest first: an unbounded cell needs no more
                    res = linprog(
                        sign * c,
                        A_eq=a_eq if rows else None,
                        b_eq=b_eq if rows else None,
                        bounds=bounds,
                        method="highs",
                    )
                    if res.status != 0:  # 2: the relations contradict; 3: no upper bound
                        break
                    ends.append(sign * res.fun)
                if res.status == 2:
                    found = {}
                    break
                if len(ends) == 2:
                    found[k] = (ends[1], ends[0])
            out.update(found)
        return out


def _label_columns(table: _Table, counts: Sequence[str]) -> list[int]:
    """Return the columns that label rows: text columns (not counts, not numbers)."""
    out = []
    for j, name in enumerate(table.columns):
        if name in counts:
            continue
        values = [r[j] for r in table.rows if r[j].strip()]
        if values and any(_number(v) is None for v in values):
            out.append(j)
    return out


def _number(value: str) -> float | None:
    try:
        return float(value.strip())
    except ValueError:
        return None


def _add_total_rows(system: _System, labels: list[int], counts: Sequence[str]) -> None:
    """Relations of total rows: a row labelled All/Total is the sum over that label's group.

    The group is the rows that agree with the total row on its other labels, leaving out
    labels the total row does not name (blank, or a total too: "Total, All" of a site id and
    a site name), and rows that are totals themselves.
    """
    rows = system.table.rows
    text = {x: [row[x].strip() for row in rows] for x in labels}
    total = {x: [_is_total(row[x]) for row in rows] for x in labels}
    # the rows of each group, indexed once per choice of named labels (a national table has
    # thousands of total rows: comparing each with every row was most of the audit's time)
    groups: dict[tuple[tuple[int, ...], tuple[int, ...]], dict[tuple[str, ...], list[int]]] = {}

    def group_of(named: tuple[int, ...], unnamed: tuple[int, ...]) -> dict:
        if (named, unnamed) not in groups:
            found: dict[tuple[str, ...], list[int]] = {}
            for s in range(len(rows)):
                if not any(total[x][s] for x in unnamed):
                    found.setdefault(tuple(text[x][s] for x in named), []).append(s)
            groups[(named, unnamed)] = found
        return groups[(named, unnamed)]

    for j in labels:
        others = [x for x in labels if x != j]
        for i in range(len(rows)):
            if not total[j][i]:
                continue
            named = tuple(x for x in others if text[x][i] and not total[x][i])
            unnamed = tuple(x for x in labels if x not in named)
            parts = group_of(named, unnamed).get(tuple(text[x][i] for x in named), [])
            if parts:
                for c in counts:
                    system.relate((i, c), [(s, c) for s in parts])


def _sums_to(
    known: Mapping[tuple[int, str], int], full: Sequence[int], total: str, parts: Sequence[str]
) -> bool:
    """Return True when ``total`` is the sum of ``parts`` in every fully shown row, and the
    sum is a real one (two or more nonzero parts) in at least two rows."""
    if any(known[(i, total)] != sum(known[(i, o)] for o in parts) for i in full):
        return False
    return sum(sum(1 for o in parts if known[(i, o)]) >= 2 for i in full) >= 2


def _add_total_columns(system: _System, counts: Sequence[str]) -> None:
    """Relations of total columns: named ones (``n_total``) and sums found arithmetically."""
    known = system.known
    n_rows = len(system.table.rows)
    full = [i for i in range(n_rows) if all((i, c) in known for c in counts)]
    done: set[str] = set()
    for total in counts:
        others = [c for c in counts if c != total]
        if len(others) < 2:
            continue
        chosen: tuple[str, ...] | None = None
        if total.strip().casefold() in ROW_TOTAL_COLUMN_NAMES:
            chosen = tuple(o for o in others if o.strip().casefold() not in ROW_TOTAL_COLUMN_NAMES)
            if any(known[(i, total)] != sum(known[(i, o)] for o in chosen) for i in full):
                chosen = None
        elif len(full) >= 2 and len(others) <= 10:
            for size in range(len(others), 1, -1):
                for subset in itertools.combinations(others, size):
                    if _sums_to(known, full, total, subset):
                        chosen = subset
                        break
                if chosen:
                    break
        if not chosen or (total, chosen) in done:
            continue
        done.add(total)
        for i in range(n_rows):
            system.relate((i, total), [(i, o) for o in chosen])


def _add_percentages(system: _System, counts: Sequence[str]) -> None:
    """Bounds from percentages: ``pct_X`` of a shown denominator pins a hidden count ``X``."""
    table = system.table
    cols = table.columns
    for j, name in enumerate(cols):
        low = name.strip().casefold()
        if not (low.startswith(("pct_", "percent_")) or low.endswith("_pct")):
            continue
        numerators = [c for c in counts if _stem(c) == _stem(name)]
        if not numerators:
            continue
        num = numerators[0]
        for den in counts:
            if den == num:
                continue
            checked = 0
            fits = True
            for i, row in enumerate(table.rows):
                p, a, b = _number(row[j]), system.known.get((i, num)), system.known.get((i, den))
                if p is None or a is None or not b:
                    continue
                half = 0.5 * 10 ** -_decimals(row[j]) + _EPS
                if abs(100.0 * a / b - p) > half:
                    fits = False
                    break
                checked += 1
            if not fits or not checked:
                continue
            for i, row in enumerate(table.rows):
                p, b = _number(row[j]), system.known.get((i, den))
                if p is None or b is None or (i, num) not in system.var:
                    continue
                k = system.var[(i, num)]
                half = 0.5 * 10 ** -_decimals(row[j])
                system.lower[k] = max(system.lower[k], (p - half) * b / 100.0)
                system.upper[k] = min(system.upper[k], (p + half) * b / 100.0)
            break


def _table_findings(
    name: str,
    table: _Table,
    counts: list[str],
    min_cell: int,
    revealed: Mapping[tuple[int, str], int] | None = None,
) -> Iterator[AuditFinding]:
    if revealed is None:
        for i, row in enumerate(table.rows):
            for c in counts:
                v = _count(row[table.columns.index(c)])
                if v is not None and 0 < v < min_cell:
                    yield AuditFinding(
                        name, table.lines[i], c, str(v), "small-count",
                        f"a count below {min_cell} is shown",
                    )  # fmt: skip
    system = _System(table, counts, revealed)
    if not system.var:
        return
    labels = _label_columns(table, counts)
    _add_total_rows(system, labels, counts)
    _add_total_columns(system, counts)
    _add_percentages(system, counts)
    by_index = {k: cell for cell, k in system.var.items()}
    for k, (lo, hi) in system.ranges().items():
        i, c = by_index[k]
        low, high = math.ceil(lo - _EPS), math.floor(hi + _EPS) if math.isfinite(hi) else None
        if high is not None and low == high:
            rule, message = "recoverable", f"the hidden cell can be worked out: it is {low}"
        elif high is not None and low >= 1 and high <= min_cell - 1:
            rule = "small-range"
            message = f"the hidden cell must lie between {low} and {high} (below {min_cell})"
        else:
            continue
        yield AuditFinding(name, table.lines[i], c, "c", rule, message)


def _cell_keys(
    table: _Table, counts: Sequence[str], site: str | None
) -> dict[tuple[int, str], tuple[frozenset[tuple[str, str]], str | None]]:
    """Return each count cell's key across the tables of one population (see ``linked``)."""
    labels = _label_columns(table, counts)
    row_totals = {c for c in counts if c.strip().casefold() in ROW_TOTAL_COLUMN_NAMES}
    implicit = {("site_id", site)} if site and "site_id" not in table.columns else set()
    out = {}
    for i, row in enumerate(table.rows):
        labs = frozenset(
            (table.columns[j], row[j].strip())
            for j in labels
            if row[j].strip() and not _is_total(row[j])
        )
        for c in counts:
            ckey = None if len(counts) == 1 or c in row_totals else c
            out[(i, c)] = (labs | implicit, ckey)
    return out


@dataclass
class _Published:
    """One published table read back for the audit."""

    name: str
    table: _Table
    counts: list[str]
    min_cell: int
    site: str | None


def _linked_findings(
    published: Sequence[_Published], alone: Mapping[str, Sequence[AuditFinding]]
) -> list[AuditFinding]:
    """Return what the tables of each population give away together (rule ``linked``)."""
    keyed = {p.name: _cell_keys(p.table, p.counts, p.site) for p in published if p.table.population}
    shown: dict[tuple[str, object], dict[int, str]] = {}
    for p in published:
        if not p.table.population:
            continue
        for (i, c), key in keyed[p.name].items():
            v = _count(p.table.rows[i][p.table.columns.index(c)])
            if v is not None:
                shown.setdefault((p.table.population, key), {}).setdefault(v, p.name)
    findings: list[AuditFinding] = []
    for p in published:
        if not p.table.population:
            continue
        revealed: dict[tuple[int, str], int] = {}
        sources: set[str] = set()
        for (i, c), key in keyed[p.name].items():
            if not is_suppressed(p.table.rows[i][p.table.columns.index(c)]):
                continue
            values = shown.get((p.table.population, key), {})
            if len(values) == 1:  # one value elsewhere (two would mean the keys mislead)
                ((value, source),) = values.items()
                if source != p.name:
                    revealed[(i, c)] = value
                    sources.add(source)
        if not revealed:
            continue
        found_alone = {(f.row, f.column) for f in alone.get(p.name, ())}
        for f in _table_findings(p.name, p.table, p.counts, p.min_cell, revealed):
            if (f.row, f.column) in found_alone:
                continue
            others = ", ".join(sorted(sources))
            findings.append(
                AuditFinding(
                    f.file, f.row, f.column, f.value, "linked",
                    f"with what {others} shows of the same population ({p.table.population}), "
                    + f.message.removeprefix("the hidden cell "),
                )
            )  # fmt: skip
    return findings


def _read_published(name: str, text: str, min_cell: int, site: str | None) -> _Published | None:
    table = _read_table(text)
    if table is None or not table.rows:
        return None
    frame = pd.DataFrame(table.rows, columns=table.columns, dtype=object)
    if frame.columns.duplicated().any():
        return None
    counts = count_columns_of(frame)
    if not counts:
        return None
    return _Published(name, table, list(counts), min_cell, site)


def audit_table_text(name: str, text: str, min_cell: int = DEFAULT_MIN_CELL) -> list[AuditFinding]:
    """Return the findings in one published table (``text`` as written; ``name`` for them)."""
    p = _read_published(name, text, min_cell, None)
    return [] if p is None else list(_table_findings(name, p.table, p.counts, min_cell))


def audit_tables_text(
    tables: Sequence[tuple[str, str, str | None]], min_cell: int = DEFAULT_MIN_CELL
) -> list[AuditFinding]:
    """Return the findings in published tables read together: (name, text, site) each.

    Each table is audited on its own, then the tables of one population together (``linked``).
    """
    return _audit_tables([p for n, t, s in tables if (p := _read_published(n, t, min_cell, s))])


def _audit_tables(published: Sequence[_Published]) -> list[AuditFinding]:
    """Return each table's findings on its own, then those of each population's tables."""
    alone = {
        p.name: list(_table_findings(p.name, p.table, p.counts, p.min_cell)) for p in published
    }
    return [f for found in alone.values() for f in found] + _linked_findings(published, alone)


# -- HTML ------------------------------------------------------------------------------------


def _visible_text(page: str) -> str:
    """Return the text a reader sees, with the page's line breaks kept where they were."""

    def blank(match: re.Match[str]) -> str:
        return "\n" * match.group(0).count("\n")

    return _TAG.sub(blank, _INVISIBLE.sub(blank, page))


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(ch, 0, start) for ch in ".!?\n")
    rights = [p for p in (text.find(ch, end) for ch in ".!?\n") if p >= 0]
    right = min(rights) if rights else len(text)
    sentence = " ".join(html.unescape(text[left + 1 : right + 1]).split())
    return sentence if len(sentence) <= 200 else sentence[:197] + "..."


def audit_html_text(name: str, page: str, min_cell: int = DEFAULT_MIN_CELL) -> list[AuditFinding]:
    """Return the sentences of an HTML page (``page``, its source) that give a small count."""
    text = _visible_text(page)
    findings = []
    for pattern in _TEXT_PATTERNS:
        for match in pattern.finditer(text):
            value = int(match.group(1))
            if not 0 < value < min_cell:
                continue
            if _NOT_A_COUNT.search(html.unescape(text[max(0, match.start() - 30) : match.start()])):
                continue
            row = text.count("\n", 0, match.start()) + 1
            sentence = _sentence(text, match.start(), match.end())
            findings.append(
                AuditFinding(
                    name, row, "text", " ".join(match.group(0).split()), "text-small-count",
                    f"a small count of people in the text: {sentence!r}",
                )
            )  # fmt: skip
    return sorted(findings, key=lambda f: f.row)


# -- the output root -------------------------------------------------------------------------


def _recorded_min_cells(reports: Path) -> dict[tuple[str, str], int]:
    """Return the ``min_cell`` of each (site, notebook) run in the run record, if any."""
    try:
        record = json.loads((reports / "run-record.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for entry in record.get("runs", []) if isinstance(record, dict) else []:
        value = (entry.get("parameters") or {}).get("min_cell")
        try:
            out[(str(entry.get("site")), str(entry.get("notebook")))] = int(value)
        except (TypeError, ValueError):
            continue
    return out


def _files(root: Path) -> tuple[list[Path], list[Path]]:
    reports, figures = root / "reports", root / "figures"
    tables = sorted(reports.glob("*/tables/*.csv"))
    if figures.is_dir():
        tables += sorted(
            p for p in figures.rglob("*.csv") if not any(x.startswith(".") for x in p.parts)
        )
    pages = sorted(
        p for p in reports.rglob("*.html") if ".staging" not in p.relative_to(reports).parts
    )
    return tables, pages


def audit_output(root: str | Path, fixed_min_cell: int | None = None) -> AuditResult:
    """Audit every table, figure data file and HTML page under an output root; return it all.

    ``fixed_min_cell`` (the smallest count that may be shown) applies to every file if
    given; otherwise each file's run in ``reports/run-record.json`` decides (the largest
    there for files of no run), else :data:`DEFAULT_MIN_CELL`. Raises
    :class:`NotAnOutputRoot` for a folder with no ``reports/``.
    """
    root = Path(root)
    reports = root / "reports"
    if not reports.is_dir():
        raise NotAnOutputRoot(f"{root} is not an output root: it has no reports/ folder")
    t0 = time.perf_counter()
    recorded = {} if fixed_min_cell is not None else _recorded_min_cells(reports)
    fallback = fixed_min_cell or max(recorded.values(), default=DEFAULT_MIN_CELL)

    def threshold(path: Path, notebook: str) -> int:
        site = path.relative_to(root).parts[1] if len(path.relative_to(root).parts) > 2 else ""
        return recorded.get((site, notebook), fallback)

    tables, pages = _files(root)
    findings: list[AuditFinding] = []
    published = []
    for path in tables:
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        site = path.relative_to(root).parts[1] if len(path.relative_to(root).parts) > 2 else None
        p = _read_published(rel, text, threshold(path, path.stem.split("__", 1)[0]), site)
        if p is not None:
            published.append(p)
    findings += _audit_tables(published)
    for path in pages:
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        notebook = path.name.removesuffix(".html").removesuffix(".failed")
        findings += audit_html_text(rel, text, threshold(path, notebook))
    return AuditResult(root, findings, len(tables), len(pages), time.perf_counter() - t0)


def write_findings(findings: Sequence[AuditFinding], path: str | Path) -> Path:
    """Write the findings to a CSV file (one row each, a header even when there are none)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(
        [astuple(f) for f in findings], columns=[f.name for f in fields(AuditFinding)]
    )
    return atomic.write_text(path, frame.to_csv(index=False))


def findings_by_rule(findings: Iterable[AuditFinding]) -> Mapping[str, int]:
    """Return how many findings each rule has."""
    out: dict[str, int] = {}
    for f in findings:
        out[f.rule] = out.get(f.rule, 0) + 1
    return out
