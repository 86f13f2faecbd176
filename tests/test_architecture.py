"""The library's layout is the data flow: layers, no cycles, no private reach, names defined once.

These tests read the source of ``srim_analysis/`` (they import nothing from it) and check the
rules in ``docs/architecture.md``:

* study -> disclosure -> analyses -> charts -> report -> sections -> runner -> cli: a layer
  imports only the layers before it (analyses never import charts, the report layer,
  sections or the runner);
* no import cycles between modules;
* no module uses another module's private (underscore) names;
* no function-local imports of the library, and none of other packages without a measured
  cost written beside them;
* the shared names (``ALL_SITES``, ``DEFAULT_MIN_CELL``, ``SUPPRESSION_MARK``) are defined once,
  and no function spells the ``min_cell`` default or the suppression mark as a literal.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "srim_analysis"

#: Each layer with the layers it may import (besides itself and the foundation).
FOUNDATION = {"paths", "atomic", "layout", "__init__"}
ALLOWED = {
    "study": set(),
    "disclosure": {"study"},
    "analyses": {"study", "disclosure"},
    "charts": {"study", "disclosure", "analyses"},
    "report": {"study", "disclosure", "analyses", "charts"},
    "sections": {"study", "disclosure", "analyses", "charts", "report"},
    "runner": {"study", "disclosure", "report"},
    "cli": {"study", "disclosure", "analyses", "runner"},
}


@dataclass
class Module:
    name: str  # dotted, e.g. srim_analysis.analyses.survey
    path: Path
    tree: ast.Module
    imports: list[tuple[str, int, bool]] = field(default_factory=list)  # target, line, runtime
    names: list[tuple[str, str, int]] = field(default_factory=list)  # module, name, line

    @property
    def layer(self) -> str:
        parts = self.name.split(".")
        return parts[1] if len(parts) > 1 else "__init__"

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def _resolve(module: Module, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.name.split(".")
    if not module.is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _load() -> dict[str, Module]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        modules[_module_name(path)] = Module(_module_name(path), path, tree)
    for module in modules.values():
        hidden = _type_checking_lines(module.tree)
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ImportFrom):
                target = _resolve(module, node)
                if not target.startswith("srim_analysis"):
                    continue
                runtime = node.lineno not in hidden
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    if sub in modules:  # `from package import module`
                        module.imports.append((sub, node.lineno, runtime))
                    else:
                        module.imports.append((target, node.lineno, runtime))
                        module.names.append((target, alias.name, node.lineno))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("srim_analysis"):
                        module.imports.append((alias.name, node.lineno, node.lineno not in hidden))
    return modules


MODULES = _load()


def _top_level_imports(tree: ast.Module) -> set[int]:
    """Return the lines of imports at module level (also inside module-level if/try)."""
    lines: set[int] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                lines.add(node.lineno)
            elif isinstance(node, ast.If | ast.Try):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
                visit(getattr(node, "finalbody", []))

    visit(tree.body)
    return lines


def _function_imports() -> Iterator[tuple[Module, ast.Import | ast.ImportFrom]]:
    for module in MODULES.values():
        top = _top_level_imports(module.tree)
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and node.lineno not in top:
                yield module, node


def test_the_layout_has_every_stage():
    layers = {m.layer for m in MODULES.values()}
    assert {"study", "disclosure", "analyses", "charts", "report", "sections", "runner"} <= layers


def test_each_layer_imports_only_the_layers_before_it():
    breaches = []
    for module in MODULES.values():
        if module.layer not in ALLOWED:
            continue
        allowed = ALLOWED[module.layer] | {module.layer} | FOUNDATION
        for target, line, _ in module.imports:
            layer = target.split(".")[1] if target.count(".") else "__init__"
            if layer not in allowed:
                breaches.append(f"{module.path.relative_to(ROOT)}:{line} imports {target}")
    assert not breaches, "\n".join(breaches)


def test_analyses_never_import_the_report_layer():
    for module in MODULES.values():
        if module.layer == "analyses":
            for target, line, _ in module.imports:
                assert not target.startswith(
                    ("srim_analysis.report", "srim_analysis.sections", "srim_analysis.runner")
                ), f"{module.path.relative_to(ROOT)}:{line} imports {target}"


def test_there_are_no_import_cycles():
    graph = {
        name: {t for t, _, runtime in m.imports if runtime and t in MODULES and t != name}
        for name, m in MODULES.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            connect(v)
    assert not cycles, f"import cycles: {cycles}"


def _same_package_private_module(module: Module, target: str) -> bool:
    """A package may import the private names of its own private modules (``qca._covers``)."""
    package = module.name if module.is_package else module.name.rsplit(".", 1)[0]
    return target.rsplit(".", 1)[0] == package and target.rsplit(".", 1)[-1].startswith("_")


def test_no_module_uses_another_modules_private_names():
    breaches = []
    for module in MODULES.values():
        for target, name, line in module.names:
            private = name.startswith("_") and not name.startswith("__")
            if (
                private
                and target != module.name
                and not _same_package_private_module(module, target)
            ):
                breaches.append(f"{module.path.relative_to(ROOT)}:{line} {target}.{name}")
        aliases = {
            (a.asname or a.name): f"{_resolve(module, node)}.{a.name}"
            for node in ast.walk(module.tree)
            if isinstance(node, ast.ImportFrom) and _resolve(module, node).startswith("srim")
            for a in node.names
        }
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and aliases[node.value.id] in MODULES
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                breaches.append(
                    f"{module.path.relative_to(ROOT)}:{node.lineno} "
                    f"{aliases[node.value.id]}.{node.attr}"
                )
    assert not breaches, "private names used across modules:\n" + "\n".join(breaches)


def test_no_function_local_imports_without_a_measured_cost():
    lines_of = {m.path: m.path.read_text(encoding="utf-8").splitlines() for m in MODULES.values()}
    breaches = []
    for module, node in _function_imports():
        lines = lines_of[module.path]
        nearby = " ".join(lines[max(0, node.lineno - 3) : node.lineno]).lower()
        library = isinstance(node, ast.ImportFrom) and (
            node.level > 0 or (node.module or "").startswith("srim_analysis")
        )
        if library or "measured" not in nearby:
            breaches.append(f"{module.path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert not breaches, (
        "function-local imports (import at the top, or write the measured cost beside it):\n"
        + "\n".join(breaches)
    )


@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("ALL_SITES", "srim_analysis.study.selection"),
        ("DEFAULT_MIN_CELL", "srim_analysis.disclosure.suppression"),
        ("SUPPRESSION_MARK", "srim_analysis.disclosure.suppression"),
    ],
)
def test_shared_names_are_defined_once(name, home):
    defined = [
        m.name
        for m in MODULES.values()
        for node in m.tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name) and target.id == name
    ]
    assert defined == [home]


def test_no_module_spells_the_all_sites_value_itself():
    breaches = []
    for module in MODULES.values():
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and node.value.value == "all"
                and module.name != "srim_analysis.study.selection"
            ):
                breaches.append(f"{module.path.relative_to(ROOT)}:{node.lineno}")
    assert not breaches, "an 'all' sentinel defined outside study.selection:\n" + "\n".join(
        breaches
    )


def test_no_function_writes_the_min_cell_default_as_a_number():
    breaches = []
    for module in MODULES.values():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args
                positional = args.posonlyargs + args.args
                with_default = positional[len(positional) - len(args.defaults) :]
                pairs = list(zip(with_default, args.defaults, strict=True))
                pairs += [
                    (a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d
                ]
                for arg, default in pairs:
                    if arg.arg == "min_cell" and isinstance(default, ast.Constant):
                        breaches.append(f"{module.path.relative_to(ROOT)}:{node.lineno}")
    assert not breaches, "min_cell defaults written as numbers (use DEFAULT_MIN_CELL):\n" + (
        "\n".join(breaches)
    )


def test_only_disclosure_compares_with_the_suppression_mark():
    breaches = []
    for module in MODULES.values():
        if module.layer == "disclosure":
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                if any(isinstance(o, ast.Constant) and o.value == "c" for o in operands):
                    breaches.append(f"{module.path.relative_to(ROOT)}:{node.lineno}")
    assert not breaches, "compare with disclosure.is_suppressed instead:\n" + "\n".join(breaches)


# -- the study's own definitions drive the analysis (issue #17) --------------------------------


def _synthetic_names() -> set[str]:
    """Return the ids and labels of the shipped synthetic study that no code may name.

    Code ids, survey item ids, site ids and site names: what a real study calls differently.
    (Construct names such as "awareness" are ordinary words and are checked by the renaming
    test instead: renaming them changes no published number.)
    """
    folder = ROOT / "data" / "synthetic"

    def column(table: str, name: str) -> set[str]:
        frame = pd.read_csv(folder / f"{table}.csv", comment="#", dtype=str)
        return set(frame[name].dropna())

    names = column("codebook", "code_id") | column("survey_items", "item_id")
    names |= column("sites", "site_id") | column("sites", "display_name")
    # two-letter parent codes (GR, LB, ...) are too short to tell from ordinary text
    return {n for n in names if len(n) > 2 or any(ch.isdigit() for ch in n)}


def _texts_that_must_not_name_the_synthetic_study() -> Iterator[tuple[str, str]]:
    """Yield (path, text) of the library (but the synthetic generator), notebooks, srim.toml."""
    for path in sorted((ROOT / "srim_analysis").rglob("*.py")):
        if path.name != "synthetic.py":
            yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        yield path.relative_to(ROOT).as_posix(), "\n".join("".join(c["source"]) for c in cells)
    yield "srim.toml", (ROOT / "srim.toml").read_text(encoding="utf-8")


def test_no_code_notebook_or_setting_names_an_id_of_the_synthetic_study():
    names = _synthetic_names()
    assert {"S01", "CONF1"} <= names  # the check looks for what it should
    pattern = re.compile(
        r"(?<![\w-])("
        + "|".join(sorted(map(re.escape, names), key=len, reverse=True))
        + r")(?![\w-])"
    )
    found = [
        f"{path}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(1)}"
        for path, text in _texts_that_must_not_name_the_synthetic_study()
        for m in pattern.finditer(text)
    ]
    assert not found, "the study's own definitions (study.toml) must drive these:\n" + "\n".join(
        found
    )
