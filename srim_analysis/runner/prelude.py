"""What a warm kernel runs before each notebook: a reset to the state of a new kernel.

``srim run`` keeps one Python kernel per worker and reuses it. Before every run the kernel
calls :func:`prepare` (the runner sends it :func:`kernel_code`). The first call in a kernel
moves to the run's folder and remembers the kernel's starting state; every later call resets
IPython (user variables, execution count), then puts back the working folder, ``sys.path``,
the environment, warning filters, logging, random seeds, numpy, pandas and matplotlib
settings. A step that fails is reported on stderr and the others still run.

This module runs inside the kernel: it imports nothing of the library, and nothing heavy.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import random
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from IPython import get_ipython


@dataclass
class KernelState:
    """What a kernel looked like before its first run: what every later run starts from."""

    path: list[str]
    environ: dict[str, str]
    filters: list[Any]
    log_level: int
    log_handlers: list[logging.Handler]
    numpy: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def capture(cls) -> KernelState:
        """Return the state of this process now."""
        root = logging.getLogger()
        state = cls(
            path=list(sys.path),
            environ=dict(os.environ),
            filters=list(warnings.filters),
            log_level=root.level,
            log_handlers=list(root.handlers),
        )
        with contextlib.suppress(Exception):
            import numpy  # lazy: 0.2 s at import (measured); loaded only to read its settings

            state.numpy = {"print": numpy.get_printoptions(), "err": numpy.geterr()}
        return state


#: The state captured by the first run in this kernel (None before it).
_STATE: list[KernelState] = []


def kernel_code(cwd: str) -> str:
    """Return the one line a kernel runs to call :func:`prepare` (it binds no name)."""
    return f"__import__({__name__!r}, fromlist=['prepare']).prepare({cwd!r})"


def prepare(cwd: str) -> list[str]:
    """Ready this kernel for a run in folder ``cwd``; return the reset steps that failed."""
    if not _STATE:
        os.chdir(cwd)
        _STATE.append(KernelState.capture())
        return []
    state = _STATE[0]
    reset_ipython()
    failed: list[str] = []
    for step in (
        lambda: os.chdir(cwd),
        lambda: restore_path(state),
        lambda: restore_environ(state),
        lambda: restore_warnings(state),
        lambda: restore_logging(state),
        random.seed,
        lambda: reset_numpy(state),
        reset_pandas,
        reset_matplotlib,
    ):
        run_step(step, failed)
    if failed:
        print("srim: kernel reset incomplete:", failed, file=sys.stderr)
    return failed


def run_step(step: Callable[[], object], failed: list[str]) -> None:
    """Run one reset step; add its error (repr) to ``failed`` if it raises."""
    try:
        step()
    except Exception as exc:
        failed.append(repr(exc))


def reset_ipython() -> None:
    """Clear the user's variables and the execution count, as a new kernel has them."""
    collect = gc.collect
    gc.collect = lambda *args, **kwargs: 0  # reset() forces a full collection: slow, not needed
    try:
        get_ipython().reset(new_session=True)
    finally:
        gc.collect = collect


def restore_path(state: KernelState) -> None:
    """Put ``sys.path`` back as it was."""
    sys.path[:] = state.path


def restore_environ(state: KernelState) -> None:
    """Put the environment back as it was: added variables removed, changed ones restored."""
    for k in [k for k in os.environ if k not in state.environ]:
        del os.environ[k]
    for k, v in state.environ.items():
        if os.environ.get(k) != v:
            os.environ[k] = v


def restore_warnings(state: KernelState) -> None:
    """Put the warning filters back as they were."""
    warnings.filters[:] = state.filters
    warnings._filters_mutated()  # type: ignore[attr-defined]


def restore_logging(state: KernelState) -> None:
    """Put the root logger's level and handlers back, and logging enabled."""
    root = logging.getLogger()
    root.setLevel(state.log_level)
    root.handlers[:] = state.log_handlers
    logging.disable(logging.NOTSET)


def reset_numpy(state: KernelState) -> None:
    """Reseed numpy's global generator and put its print and error settings back."""
    if "numpy" in sys.modules:
        np = sys.modules["numpy"]
        np.random.seed()
        if state.numpy:
            np.set_printoptions(**state.numpy["print"])
            np.seterr(**state.numpy["err"])


def reset_pandas() -> None:
    """Put every pandas option back to its default (if pandas is loaded)."""
    if "pandas" in sys.modules:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sys.modules["pandas"].reset_option("all")


def reset_matplotlib() -> None:
    """Close every figure and put matplotlib's settings back (if matplotlib is loaded)."""
    if "matplotlib" not in sys.modules:
        return
    mpl = sys.modules["matplotlib"]
    if "matplotlib.pyplot" in sys.modules:
        plt = sys.modules["matplotlib.pyplot"]
        plt.close("all")
        wanted = os.environ.get("MPLBACKEND")
        if wanted and mpl.get_backend() != wanted:
            plt.switch_backend(wanted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mpl.rc_file_defaults()
    if "matplotlib_inline" in sys.modules:
        # lazy: only when the notebook loaded it; at the top it would load matplotlib into
        # every kernel (0.3 s, measured)
        from matplotlib_inline.config import InlineBackend

        ib = InlineBackend.instance()
        for name in ("figure_formats", "print_figure_kwargs", "close_figures", "rc"):
            default = ib.trait_defaults(name)
            if getattr(ib, name) != default:
                setattr(ib, name, default)
        mpl.rcParams.update(ib.rc)
