"""The reset a warm kernel runs before each notebook: back to the state of a new kernel."""

from __future__ import annotations

import logging
import os
import random
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from jupyter_client.manager import start_new_kernel

from srim_analysis import paths
from srim_analysis.runner import prelude


@pytest.fixture
def fresh_kernel_state(tmp_path, monkeypatch):
    """A prelude that has not run yet, an IPython stand-in, and the process state kept safe."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(prelude, "_STATE", [])
    resets: list[bool] = []
    shell = SimpleNamespace(reset=lambda new_session: resets.append(new_session))
    monkeypatch.setattr(prelude, "get_ipython", lambda: shell)
    monkeypatch.setattr(prelude, "reset_matplotlib", lambda: None)  # tested on its own
    path, environ, filters = list(sys.path), dict(os.environ), list(warnings.filters)
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield resets
    sys.path[:] = path
    os.environ.clear()
    os.environ.update(environ)
    warnings.filters[:] = filters
    root.setLevel(level)
    root.handlers[:] = handlers
    logging.disable(logging.NOTSET)


def test_the_kernel_code_calls_prepare_and_binds_no_name(monkeypatch):
    code = prelude.kernel_code("/some/where")
    assert code == (
        "__import__('srim_analysis.runner.prelude', fromlist=['prepare']).prepare('/some/where')"
    )
    namespace: dict[str, object] = {}
    calls: list[str] = []
    monkeypatch.setattr(prelude, "prepare", calls.append)
    exec(code, namespace)
    assert calls == ["/some/where"] and set(namespace) == {"__builtins__"}


def test_the_first_run_moves_to_its_folder_and_remembers_the_state(fresh_kernel_state, tmp_path):
    first = tmp_path / "first"
    first.mkdir()
    assert prelude.prepare(str(first)) == []
    assert Path.cwd() == first
    assert fresh_kernel_state == []  # a new kernel needs no reset
    state = prelude._STATE[0]
    assert state.path == sys.path and state.environ == dict(os.environ)
    assert state.numpy["print"] == np.get_printoptions()


def test_a_later_run_finds_the_kernel_as_the_first_run_did(fresh_kernel_state, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    prelude.prepare(str(first))
    path, filters = list(sys.path), list(warnings.filters)
    level, handlers = logging.getLogger().level, list(logging.getLogger().handlers)
    # what a notebook might leave behind
    os.environ["SRIM_PRELUDE_TEST"] = "left behind"
    sys.path.append("/nowhere")
    warnings.simplefilter("ignore")
    logging.getLogger().setLevel(logging.CRITICAL)
    logging.getLogger().addHandler(logging.NullHandler())
    logging.disable(logging.ERROR)
    np.set_printoptions(precision=2)
    pd.set_option("display.max_rows", 3)

    assert prelude.prepare(str(second)) == []
    assert fresh_kernel_state == [True]  # IPython reset: variables and execution count
    assert Path.cwd() == second
    assert "SRIM_PRELUDE_TEST" not in os.environ and "/nowhere" not in sys.path
    assert sys.path == path and warnings.filters == filters
    assert logging.getLogger().level == level and logging.getLogger().handlers == handlers
    assert logging.root.manager.disable == logging.NOTSET
    assert np.get_printoptions()["precision"] == 8
    assert pd.get_option("display.max_rows") == 60


def test_a_step_that_fails_is_reported_and_the_others_still_run(
    fresh_kernel_state, tmp_path, monkeypatch, capsys
):
    prelude.prepare(str(tmp_path))
    monkeypatch.setattr(prelude, "reset_pandas", lambda: 1 / 0)
    sys.path.append("/nowhere")
    failed = prelude.prepare(str(tmp_path))
    assert failed == ["ZeroDivisionError('division by zero')"]
    assert "srim: kernel reset incomplete" in capsys.readouterr().err
    assert "/nowhere" not in sys.path


def test_run_step_collects_errors():
    failed: list[str] = []
    prelude.run_step(lambda: None, failed)
    prelude.run_step(lambda: {}["x"], failed)
    assert failed == ["KeyError('x')"]


def test_random_generators_are_reseeded(fresh_kernel_state, tmp_path):
    prelude.prepare(str(tmp_path))
    random.seed(1)
    np.random.seed(1)
    prelude.prepare(str(tmp_path))
    a, b = random.random(), np.random.random()
    random.seed(1)
    np.random.seed(1)
    assert (a, b) != (random.random(), np.random.random())


def test_matplotlib_settings_go_back_to_their_defaults():
    with mpl.rc_context():
        plt.figure()
        mpl.rcParams["lines.linewidth"] = 7.0
        prelude.reset_matplotlib()
        assert mpl.rcParams["lines.linewidth"] == mpl.rcParamsDefault["lines.linewidth"]
        assert plt.get_fignums() == []


@pytest.mark.notebooks
def test_a_real_kernel_is_reset_between_runs(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT)}
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(first), env=env)
    try:

        def execute(code: str, **kwargs) -> tuple[dict, str]:
            out: list[str] = []

            def keep(msg: dict) -> None:
                if msg["msg_type"] == "stream":
                    out.append(msg["content"]["text"])

            reply = kc.execute_interactive(code, timeout=60, output_hook=keep, **kwargs)
            return reply["content"], "".join(out)

        quiet = {"silent": True, "store_history": False}
        assert execute(prelude.kernel_code(str(first)), **quiet)[0]["status"] == "ok"
        execute("import os, sys; x = 1; os.environ['SRIM_T'] = '1'; sys.path.append('/nowhere')")
        reply, err = execute(prelude.kernel_code(str(second)), **quiet)
        assert reply["status"] == "ok" and "incomplete" not in err
        reply, shown = execute(
            "import os, sys; print('x' in dir(), os.getcwd(), os.environ.get('SRIM_T'), "
            "'/nowhere' in sys.path)"
        )
        assert shown.split() == ["False", str(second), "None", "False"]
        assert reply["execution_count"] == 1  # a new session
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
