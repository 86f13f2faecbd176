"""Guard rails for the runner and CI: real data stays where git cannot pick it up.

:func:`assert_safe_output_dir` refuses to write outputs built from real data into a folder
git tracks or does not ignore; :func:`notebook_has_outputs` and
:func:`check_notebooks_stripped` find notebooks committed with outputs;
:func:`git_work_tree_root` finds the work tree a path lies in (also used for the key file).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from srim_analysis.disclosure.errors import UnsafeOutputError

__all__ = [
    "assert_safe_output_dir",
    "check_notebooks_stripped",
    "git_work_tree_root",
    "notebook_has_outputs",
]


def git_work_tree_root(path: Path) -> Path | None:
    """Return the nearest folder at or above ``path`` holding a ``.git``, or None if none does.

    Found by walking up the folders, without running git (a ``.git`` file, as in a linked
    worktree, counts too).
    """
    p = path if path.is_dir() else path.parent
    for candidate in (p, *p.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CEILING_DIRECTORIES"):
        env.pop(var, None)
    return env


def _run_git(git: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [git, "-C", str(cwd), *args],
        capture_output=True,
        text=True,
        env=_git_env(),
        check=False,
        timeout=60,
    )


def assert_safe_output_dir(out_dir: str | Path, data_is_real: bool) -> None:
    """Return None if real-data outputs may go to ``out_dir``; else raise UnsafeOutputError.

    Outputs built from real data may only be written outside any git work tree, or to a
    folder that git ignores and in which git tracks no file. With synthetic data any folder
    is allowed. If git cannot be run but the folder is inside a work tree, the answer is no.
    """
    if not data_is_real:
        return
    target = Path(out_dir).expanduser().resolve()
    anchor = target
    while not anchor.exists() and anchor != anchor.parent:
        anchor = anchor.parent
    if not anchor.is_dir():
        anchor = anchor.parent
    walked_root = git_work_tree_root(anchor)
    git = shutil.which("git")
    if git is None:
        if walked_root is None:
            return
        raise UnsafeOutputError(
            f"Refusing to write real-data outputs to {target}: it is inside the git work tree "
            f"{walked_root}, and git is not available to check that the folder is ignored. "
            "Write outputs to a folder outside the repository."
        )
    top = _run_git(git, anchor, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        if walked_root is None:
            return
        raise UnsafeOutputError(
            f"Refusing to write real-data outputs to {target}: it looks like part of the git "
            f"repository {walked_root}, but git could not check it ({top.stderr.strip()})."
        )
    root = Path(top.stdout.strip()).resolve()
    try:
        rel = target.relative_to(root).as_posix()
    except ValueError:
        raise UnsafeOutputError(
            f"Refusing to write real-data outputs to {target}: could not place it in the git "
            f"work tree {root}."
        ) from None
    if rel == ".":
        raise UnsafeOutputError(
            f"Refusing to write real-data outputs to {target}: it is the root of the git "
            "repository. Use data/private/ or a folder outside the repository."
        )
    tracked = _run_git(git, root, "--literal-pathspecs", "ls-files", "--", rel)
    if tracked.returncode != 0 or tracked.stdout.strip():
        raise UnsafeOutputError(
            f"Refusing to write real-data outputs to {target}: git tracks files in it, so "
            "outputs could be committed. Use data/private/ or a folder outside the repository."
        )
    ignored = _run_git(git, root, "check-ignore", "-q", "--", rel + "/")
    if ignored.returncode == 1:
        raise UnsafeOutputError(
            f"Refusing to write real-data outputs to {target}: git does not ignore this "
            "folder, so outputs could be committed. Use data/private/ or a folder outside the "
            "repository (or add the folder to .gitignore)."
        )
    if ignored.returncode != 0:
        raise UnsafeOutputError(
            f"Refusing to write real-data outputs to {target}: git could not check whether "
            f"the folder is ignored ({ignored.stderr.strip()})."
        )


def _notebook_problems(path: Path) -> list[str]:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{path}: could not be read as a notebook ({exc})"]
    problems = []
    for i, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"{path}: cell {i} has saved outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"{path}: cell {i} has an execution count")
    return problems


def notebook_has_outputs(path: str | Path) -> bool:
    """Return True if the notebook has any saved output or execution count."""
    return bool(_notebook_problems(Path(path)))


def check_notebooks_stripped(paths: Iterable[str | Path]) -> list[str]:
    """Return one problem per saved output or execution count in the notebooks (or folders)."""
    problems: list[str] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for nb in sorted(p.rglob("*.ipynb")):
                if ".ipynb_checkpoints" not in nb.parts:
                    problems += _notebook_problems(nb)
        else:
            problems += _notebook_problems(p)
    return problems
