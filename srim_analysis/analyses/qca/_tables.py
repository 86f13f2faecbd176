"""Plain-text, Markdown and LaTeX rendering of QCA result tables (no optional dependencies)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

__all__ = ["QCATable", "latex_table", "markdown_table", "text_table"]


def _cell(value: object, digits: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.{digits}f}"
    return str(value)


def _rows(
    df: pd.DataFrame, digits: int, index: bool
) -> tuple[list[str], list[list[str]], list[bool]]:
    header = [str(c) for c in df.columns]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    if index:
        names = [n if n is not None else "" for n in df.index.names]
        header = [str(n) for n in names] + header
        numeric = [False] * len(names) + numeric
    body = []
    for key, row in zip(df.index, df.itertuples(index=False), strict=True):
        cells = [_cell(v, digits) for v in row]
        if index:
            keys = key if isinstance(key, tuple) else (key,)
            cells = [_cell(k, digits) for k in keys] + cells
        body.append(cells)
    return header, body, numeric


def text_table(df: pd.DataFrame, *, digits: int = 3, index: bool = True) -> str:
    """Return an aligned plain-text table (numbers right-aligned)."""
    header, body, numeric = _rows(df, digits, index)
    widths = [max([len(h)] + [len(r[j]) for r in body]) for j, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for j, c in enumerate(cells):
            out.append(c.rjust(widths[j]) if numeric[j] else c.ljust(widths[j]))
        return "  ".join(out).rstrip()

    return "\n".join([line(header), *(line(r) for r in body)])


def _md_escape(text: str, code: bool) -> str:
    if not text:
        return text
    if code:
        return "`" + text.replace("`", "'") + "`"
    return text.replace("*", r"\*").replace("~", r"\~").replace("_", r"\_")


def markdown_table(
    df: pd.DataFrame,
    *,
    digits: int = 3,
    index: bool = True,
    code_columns: Sequence[str] = (),
) -> str:
    """Return a GitHub-flavoured Markdown table; ``code_columns`` are set in backticks."""
    header, body, numeric = _rows(df, digits, index)
    code = [h in code_columns for h in header]
    out = ["| " + " | ".join(_md_escape(h, False).replace("|", r"\|") for h in header) + " |"]
    out.append("| " + " | ".join("---:" if n else ":---" for n in numeric) + " |")
    for r in body:
        cells = [_md_escape(c, code[j]).replace("|", r"\|") for j, c in enumerate(r)]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _tex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def latex_table(
    df: pd.DataFrame,
    *,
    digits: int = 3,
    index: bool = True,
    code_columns: Sequence[str] = (),
    caption: str | None = None,
    label: str | None = None,
) -> str:
    """Return a LaTeX ``table``/``tabular`` (booktabs rules); ``code_columns`` in ``\\texttt``."""
    header, body, numeric = _rows(df, digits, index)
    code = [h in code_columns for h in header]
    spec = "".join("r" if n else "l" for n in numeric)
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{_tex_escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines += [rf"\begin{{tabular}}{{{spec}}}", r"\toprule"]
    lines.append(" & ".join(_tex_escape(h) for h in header) + r" \\")
    lines.append(r"\midrule")
    for r in body:
        cells = [
            (rf"\texttt{{{_tex_escape(c)}}}" if code[j] and c else _tex_escape(c))
            for j, c in enumerate(r)
        ]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines)


class QCATable(pd.DataFrame):
    """A DataFrame whose ``to_markdown``/``to_latex``/``summary`` need no optional package.

    ``to_markdown`` and ``to_latex`` replace pandas' versions (which need ``tabulate`` and
    ``jinja2``) with self-contained ones that round numbers to ``digits`` and set
    expressions (the index and ``term``/``expression``/``solution`` columns) in code style.
    """

    _metadata: list[str] = []  # noqa: RUF012 - pandas' subclassing protocol

    @property
    def _constructor(self) -> type[QCATable]:
        return QCATable

    def summary(self, digits: int = 3) -> str:
        """Return an aligned plain-text rendering with numbers rounded to ``digits``."""
        return text_table(self, digits=digits)

    def to_markdown(self, buf: object = None, digits: int = 3, **_: object) -> str:  # type: ignore[override]
        """Return a Markdown table (expressions in backticks); ``buf`` is ignored."""
        return markdown_table(self, digits=digits, code_columns=_CODE_COLUMNS)

    def to_latex(  # type: ignore[override]
        self,
        buf: object = None,
        digits: int = 3,
        caption: str | None = None,
        label: str | None = None,
        **_: object,
    ) -> str:
        """Return a LaTeX table (booktabs; expressions in ``\\texttt``); ``buf`` is ignored."""
        return latex_table(
            self, digits=digits, code_columns=_CODE_COLUMNS, caption=caption, label=label
        )


_CODE_COLUMNS = ("term", "expression", "solution")
