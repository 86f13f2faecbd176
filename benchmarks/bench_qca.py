"""Benchmark: parsimonious QCA minimisation (all remainders) against sympy's SOPform.

Run on demand (not part of the test suite)::

    .venv/bin/python benchmarks/bench_qca.py                 # 8, 10, 12 conditions
    .venv/bin/python benchmarks/bench_qca.py --sizes 8 10 --seeds 3 --sopform-timeout 60

Random crisp truth tables are generated with a seeded RNG, one case per observed row, the
first half of the observed rows positive. Two regimes are timed:

* ``dense``: a fixed share of all rows observed (``--density``, default 15%): a stress
  test, far more distinct configurations than QCA studies observe (at 12 conditions, 614
  rows); the prime implicant charts are large random set-cover problems;
* ``cases``: a fixed number of cases (``--cases``, default 40), as in real QCA studies.

For each table the script reports the prime implicants, the proven minimum number of terms,
the time to that minimum with its first models (``max_models=2``), the time (wall clock and
CPU) to enumerate the minimal models (up to ``--max-models`` within ``--time-limit`` seconds)
and how many it listed (``all`` when the listing is complete, otherwise ``of >=N`` with the
number known to exist: exact when the search finished but the listing hit ``--max-models``,
a lower bound when it was stopped), and sympy's ``SOPform`` on
the same table: its time (in a child process, killed after ``--sopform-timeout`` seconds)
and number of terms. SOPform returns one model chosen heuristically, which need not be
minimal. Timings include building the model strings, not the truth table.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from srim_analysis.analyses import qca


def random_table(k: int, n_obs: int, seed: int) -> tuple[list[str], pd.DataFrame]:
    """Return condition names and crisp data: ``n_obs`` distinct rows, half of them positive."""
    rng = random.Random(1_000 * seed + k)
    rows = rng.sample(range(1 << k), min(n_obs, 1 << k))
    half = len(rows) // 2
    conds = [f"C{i}" for i in range(k)]
    recs = {
        f"r{r}": [int(b) for b in qca.row_string(r, k)] + [int(i < half)]
        for i, r in enumerate(rows)
    }
    return conds, pd.DataFrame.from_dict(recs, orient="index", columns=[*conds, "Y"])


def _sopform_child(k: int, on: list[int], dc: list[int], queue: mp.Queue) -> None:
    from sympy import symbols
    from sympy.logic import SOPform

    syms = symbols(f"x0:{k}")
    start = time.perf_counter()
    expr = SOPform(list(syms), on, dc)
    seconds = time.perf_counter() - start
    terms = len(expr.args) if expr.func.__name__ == "Or" else 1
    queue.put((seconds, terms))


def run_sopform(k: int, on: list[int], dc: list[int], timeout: float) -> tuple[float | None, int]:
    """Time SOPform in a child process; ``(None, 0)`` when it exceeds ``timeout`` seconds."""
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_sopform_child, args=(k, on, dc, queue), daemon=True)
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None, 0
    return queue.get() if not queue.empty() else (None, 0)


def bench_one(k: int, n_obs: int, seed: int, args: argparse.Namespace) -> dict[str, object]:
    conds, data = random_table(k, n_obs, seed)
    tt = qca.truth_table(data, "Y", conds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", qca.QCAWarning)
        start = time.perf_counter()
        first = qca.minimize(tt, remainders=True, max_models=2, time_limit=args.time_limit)
        t_first = time.perf_counter() - start
        start, cpu = time.perf_counter(), time.process_time()
        sol = qca.minimize(
            tt, remainders=True, max_models=args.max_models, time_limit=args.time_limit
        )
        t_all, cpu_all = time.perf_counter() - start, time.process_time() - cpu
    on = sorted(int(r, 2) for r in tt.rows_with(1))
    observed = {int(r, 2) for r in tt.table.index}
    dc = [r for r in range(1 << k) if r not in observed]
    if args.sopform_timeout > 0:
        t_sop, n_sop = run_sopform(k, on, dc, args.sopform_timeout)
    else:
        t_sop, n_sop = None, 0
    return {
        "k": k,
        "seed": seed,
        "on/off": f"{len(on)}/{len(tt.table) - len(on)}",
        "PIs": len(sol.prime_implicants),
        "min terms": f"{sol.minimum_terms}" + ("" if sol.optimal else "?"),
        "minimum + 1st (s)": f"{t_first:.3f}" + ("" if first.optimal else "*"),
        "models": f"{len(sol.models)}" + (" (all)" if sol.complete else f" of >={sol.n_models}"),
        "enumerate (s)": f"{t_all:.3f}",
        "cpu (s)": f"{cpu_all:.3f}",
        "SOPform (s)": f"{t_sop:.3f}" if t_sop is not None else f">{args.sopform_timeout:g}",
        "SOPform terms": str(n_sop) if t_sop is not None else "-",
    }


def print_table(rows: list[dict[str, object]]) -> None:
    cols = list(rows[0])
    width = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("| " + " | ".join(c.rjust(width[c]) for c in cols) + " |")
    print("|" + "|".join("-" * (width[c] + 1) + ":" for c in cols) + "|")
    for r in rows:
        print("| " + " | ".join(str(r[c]).rjust(width[c]) for c in cols) + " |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 10, 12])
    parser.add_argument("--seeds", type=int, default=2, help="tables per size and regime")
    parser.add_argument("--density", type=float, default=0.15)
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--regimes", nargs="+", default=["dense", "cases"])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--max-models", type=int, default=10_000)
    parser.add_argument("--sopform-timeout", type=float, default=120.0)
    args = parser.parse_args(argv)

    # warm up (imports of scipy.optimize and friends are not part of the timings)
    conds, data = random_table(4, 8, 0)
    qca.minimize(qca.truth_table(data, "Y", conds), remainders=True)
    from scipy.optimize import linprog, milp  # noqa: F401

    print(f"Python {sys.version.split()[0]}, time limit {args.time_limit:g} s per minimisation")
    for regime in args.regimes:
        rows = []
        for k in args.sizes:
            n_obs = round(args.density * (1 << k)) if regime == "dense" else args.cases
            for seed in range(args.seeds):
                rows.append(bench_one(k, n_obs, seed, args))
                print(f"  done: {regime} k={k} seed={seed}", file=sys.stderr, flush=True)
        label = (
            f"{args.density:.0%} of rows observed" if regime == "dense" else f"{args.cases} cases"
        )
        print(f"\n## {regime}: {label}, half positive\n")
        print_table(rows)
    print(
        "\n'?' minimum not proven within the time limit; '*' stopped by the time limit; "
        "'of >=N' at least N minimal models exist (not all listed)."
    )


if __name__ == "__main__":
    main()
