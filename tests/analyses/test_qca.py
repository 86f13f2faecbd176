"""QCA module: published Lipset results (R QCA), calibration, necessity, notation, exports."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from srim_analysis.analyses import qca
from tests.conftest import REFERENCE

REF = REFERENCE / "qca"
CONDS = ["DEV", "URB", "LIT", "IND", "STB"]


@pytest.fixture(scope="module")
def lc() -> pd.DataFrame:
    return pd.read_csv(REF / "LC.csv", index_col="case")


@pytest.fixture(scope="module")
def lf() -> pd.DataFrame:
    return pd.read_csv(REF / "LF.csv", index_col="case")


@pytest.fixture(scope="module")
def lr() -> pd.DataFrame:
    return pd.read_csv(REF / "LR.csv", index_col="case")


def fitrow(sol: qca.Solution, term: str, model: str = "M1") -> pd.Series:
    return sol.fit.loc[(model, term)]


def approx(values: list[float]) -> object:
    return pytest.approx(values, abs=5e-4)


# --------------------------------------------------------------------------- calibration
def test_calibrate_reference_values() -> None:
    got = qca.calibrate([0, 10, 20, 25], exclusion=20, crossover=50, inclusion=80)
    assert got == pytest.approx([0.007337, 0.019342, 0.05, 0.079168], abs=5e-7)


def test_calibrate_anchors_series_and_decreasing() -> None:
    s = pd.Series([20.0, 50.0, 80.0, np.nan], index=list("abcd"), name="x")
    got = qca.calibrate(s, 20, 50, 80)
    assert isinstance(got, pd.Series)
    assert list(got.index) == list("abcd") and got.name == "x"
    assert got.iloc[:3].tolist() == pytest.approx([0.05, 0.5, 0.95])
    assert np.isnan(got.iloc[3])
    dec = qca.calibrate(s, 80, 50, 20)  # exclusion above inclusion: decreasing set
    assert dec.iloc[:3].tolist() == pytest.approx([0.95, 0.5, 0.05])
    # log-odds are linear on each side of the crossover, scaled by its own anchor
    asym = qca.calibrate([10.0, 70.0], 0, 40, 100)
    odds = np.log(asym / (1 - asym))
    assert odds == pytest.approx([-np.log(19) * 30 / 40, np.log(19) * 30 / 60])
    assert qca.calibrate(-1000, 20, 50, 80) == 0.0  # below 0.0001 becomes 0, as in R
    with pytest.raises(ValueError):
        qca.calibrate([1, 2], 20, 10, 30)


def test_calibrate_crisp_reproduces_lc(lr: pd.DataFrame, lc: pd.DataFrame) -> None:
    rec = pd.DataFrame(
        {
            "DEV": qca.calibrate_crisp(lr["DEV"], 550),
            "URB": qca.calibrate_crisp(lr["URB"], 50),
            "LIT": qca.calibrate_crisp(lr["LIT"], 75),
            "IND": qca.calibrate_crisp(lr["IND"], 30),
            "STB": qca.calibrate_crisp(lr["STB"], 10, increasing=False),
            "SURV": (lr["SURV"] > 0).astype(int),
        }
    )
    pd.testing.assert_frame_equal(rec, lc, check_dtype=False)


def test_calibrate_crisp_levels() -> None:
    assert qca.calibrate_crisp([1, 5, 10, 15, 20, 25], [10, 20]).tolist() == [0, 0, 1, 1, 2, 2]
    got = qca.calibrate_crisp(pd.Series([3.0, np.nan], index=["a", "b"]), 2)
    assert got.loc["a"] == 1 and np.isnan(got.loc["b"])
    assert qca.calibrate_crisp(7, 5) == 1


# --------------------------------------------------------------------------- truth tables
def test_lc_truth_table(lc: pd.DataFrame) -> None:
    tt = qca.truth_table(lc, "SURV", CONDS)
    assert len(tt.table) == 9 and len(tt.remainders) == 23
    expected = {
        "11111": (1, "BE,CZ,NL,UK"),
        "10101": (1, "FI,IE"),
        "10111": (1, "FR,SE"),
        "00000": (0, "GR,PT,ES"),
        "00001": (0, "IT,RO"),
        "00100": (0, "HU,PL"),
        "00101": (0, "EE"),
        "10110": (0, "AU"),
        "11110": (0, "DE"),
    }
    assert sorted(tt.table.index) == sorted(expected)
    for row, (out, cases) in expected.items():
        assert tt.table.at[row, "OUT"] == out
        assert set(tt.table.at[row, "cases"].split(",")) == set(cases.split(","))
        assert tt.table.at[row, "n"] == len(cases.split(","))
        assert [tt.table.at[row, c] for c in CONDS] == [int(ch) for ch in row]
    assert set(tt.remainders).isdisjoint(expected) and len(set(tt.remainders)) == 23
    assert tt.rows_with(1) == ["10101", "10111", "11111"]
    full = tt.full_table()
    assert len(full) == 32 and (full["OUT"] == "?").sum() == 23


def test_lf_truth_table_inclusion(lf: pd.DataFrame) -> None:
    tt = qca.truth_table(lf, "SURV", CONDS, incl_cut=0.8)
    assert tt.table.at["10111", "incl"] == pytest.approx(0.709, abs=5e-4)
    assert tt.table.at["10111", "OUT"] == 0
    assert tt.table.at["10111", "cases"] == "FR,SE"
    assert tt.rows_with(1) == ["10101", "11111"]
    # the inclusion and PRI formulas, computed independently for one row
    corner = np.minimum.reduce([lf["DEV"], 1 - lf["URB"], lf["LIT"], lf["IND"], lf["STB"]])
    corner = np.asarray(corner, dtype=float)
    y = lf["SURV"].to_numpy()
    incl = np.minimum(corner, y).sum() / corner.sum()
    both = np.minimum.reduce([corner, y, 1 - y]).sum()
    pri = (np.minimum(corner, y).sum() - both) / (corner.sum() - both)
    assert tt.table.at["10111", "incl"] == pytest.approx(incl)
    assert tt.table.at["10111", "PRI"] == pytest.approx(pri)


def test_contradictions_pri_cut_and_n_cut(lf: pd.DataFrame) -> None:
    tt = qca.truth_table(lf, "SURV", CONDS, incl_cut=(0.8, 0.7))
    assert tt.table.at["10111", "OUT"] == "C"  # 0.7 <= 0.709 < 0.8
    assert tt.rows_with("C") == ["10111"]
    tt = qca.truth_table(lf, "SURV", CONDS, incl_cut=0.8, pri_cut=0.8)
    assert tt.table.at["10101", "OUT"] == 0  # incl 0.804 but PRI 0.719
    assert tt.rows_with(1) == ["11111"]
    tt = qca.truth_table(lf, "SURV", CONDS, incl_cut=0.8, n_cut=2)
    assert "00101" not in tt.table.index and "00101" in tt.remainders  # EE alone
    assert len(tt.table) == 6 and len(tt.remainders) == 26
    with pytest.raises(ValueError):
        qca.truth_table(lf, "SURV", CONDS, incl_cut=(0.7, 0.8))


def test_half_membership_cases_warn_and_belong_to_no_row() -> None:
    df = pd.DataFrame(
        {"A": [0.9, 0.5, 0.2], "B": [0.8, 0.7, 0.1], "Y": [0.9, 0.6, 0.1]}, index=["p", "q", "r"]
    )
    with pytest.warns(qca.QCAWarning, match="exactly 0.5"):
        tt = qca.truth_table(df, "Y", ["A", "B"])
    assert tt.ambiguous_cases == ["q"]
    assert tt.table["n"].sum() == 2 and "q" not in ",".join(tt.table["cases"])
    # the case still counts in the inclusion of the rows, as in R
    corner = np.minimum(df["A"], df["B"]).to_numpy()
    incl = np.minimum(corner, df["Y"]).sum() / corner.sum()
    assert tt.table.at["11", "incl"] == pytest.approx(incl)


def test_truth_table_input_errors() -> None:
    df = pd.DataFrame({"A": [0, 1], "B": [2, 0], "Y": [1, 0]})
    with pytest.raises(ValueError, match="calibrate"):
        qca.truth_table(df, "Y", ["A", "B"])
    with pytest.raises(KeyError):
        qca.truth_table(df, "Y", ["A", "Z"])
    with pytest.raises(KeyError):
        qca.truth_table(df, "W", ["A"])
    with pytest.raises(ValueError, match="outcome"):
        qca.truth_table(df.assign(B=0), "~A", ["A", "B"])


# --------------------------------------------------------------------------- LC (crisp)
def test_lc_conservative(lc: pd.DataFrame) -> None:
    sol = qca.minimize(qca.truth_table(lc, "SURV", CONDS))
    assert sol.kind == "conservative"
    assert sol.models == ["DEV*~URB*LIT*STB + DEV*LIT*IND*STB"]
    a, b = fitrow(sol, "DEV*~URB*LIT*STB"), fitrow(sol, "DEV*LIT*IND*STB")
    assert [a.inclS, b.inclS] == approx([1, 1])
    assert [a.covS, b.covS] == approx([0.5, 0.75])
    assert [a.covU, b.covU] == approx([0.25, 0.5])
    m = fitrow(sol, qca.MODEL_ROW)
    assert [m.inclS, m.covS] == approx([1, 1])
    assert a.cases == "FI,IE; FR,SE" and b.cases == "FR,SE; BE,CZ,NL,UK"
    assert sol.simplifying_assumptions == [] and sol.complete and sol.n_models == 1


def test_lc_parsimonious(lc: pd.DataFrame) -> None:
    sol = qca.minimize(qca.truth_table(lc, "SURV", CONDS), remainders=True)
    assert sol.models == ["DEV*STB"]
    assert fitrow(sol, qca.MODEL_ROW).covS == pytest.approx(1.0)
    assert sol.simplifying_assumptions == ["10001", "10011", "11001", "11011", "11101"]
    assert sol.simplifying_assumptions_by_model == {"M1": sol.simplifying_assumptions}
    assert sol.essential == ["DEV*STB"]


def test_lc_negated_outcome(lc: pd.DataFrame) -> None:
    tt = qca.truth_table(lc, "~SURV", CONDS)
    assert tt.outcome == "~SURV"
    assert tt.rows_with(1) == ["00000", "00001", "00100", "00101", "10110", "11110"]
    assert qca.minimize(tt).models == ["~DEV*~URB*~IND + DEV*LIT*IND*~STB"]
    sol = qca.minimize(tt, remainders=True)
    assert sol.models == ["~DEV + ~STB"]
    a, b = fitrow(sol, "~DEV"), fitrow(sol, "~STB")
    assert [a.covS, b.covS] == approx([0.8, 0.7])
    assert [a.covU, b.covU] == approx([0.3, 0.2])
    assert [a.inclS, b.inclS] == approx([1, 1])


# --------------------------------------------------------------------------- LF (fuzzy)
@pytest.fixture(scope="module")
def lf_tt(lf: pd.DataFrame) -> qca.TruthTable:
    return qca.truth_table(lf, "SURV", CONDS, incl_cut=0.8)


def test_lf_conservative(lf_tt: qca.TruthTable) -> None:
    sol = qca.minimize(lf_tt)
    assert sol.models == ["DEV*URB*LIT*IND*STB + DEV*~URB*LIT*~IND*STB"]
    a, b = fitrow(sol, "DEV*URB*LIT*IND*STB"), fitrow(sol, "DEV*~URB*LIT*~IND*STB")
    assert [a.inclS, b.inclS] == approx([0.904, 0.804])
    assert approx([0.886, 0.719]) == [a.PRI, b.PRI]
    assert [a.covS, b.covS] == approx([0.454, 0.265])
    assert [a.covU, b.covU] == approx([0.393, 0.204])
    m = fitrow(sol, qca.MODEL_ROW)
    assert [m.inclS, m.PRI, m.covS] == approx([0.870, 0.843, 0.658])


def test_lf_parsimonious(lf_tt: qca.TruthTable) -> None:
    sol = qca.minimize(lf_tt, remainders=True)
    assert sol.models == ["DEV*~IND + URB*STB"]
    a, b = fitrow(sol, "DEV*~IND"), fitrow(sol, "URB*STB")
    assert [a.inclS, b.inclS] == approx([0.815, 0.874])
    assert approx([0.721, 0.845]) == [a.PRI, b.PRI]
    assert [a.covS, b.covS] == approx([0.284, 0.520])
    assert [a.covU, b.covU] == approx([0.194, 0.430])
    m = fitrow(sol, qca.MODEL_ROW)
    assert [m.inclS, m.PRI, m.covS] == approx([0.850, 0.819, 0.714])
    assert len(sol.simplifying_assumptions) == 12


def test_lf_intermediate(lf_tt: qca.TruthTable) -> None:
    sol = qca.minimize(lf_tt, directional={c: 1 for c in CONDS})
    assert sol.kind == "intermediate"
    assert sol.models == ["DEV*URB*LIT*STB + DEV*LIT*~IND*STB"]
    a, b = fitrow(sol, "DEV*URB*LIT*STB"), fitrow(sol, "DEV*LIT*~IND*STB")
    assert [a.inclS, b.inclS] == approx([0.901, 0.814])
    assert approx([0.879, 0.721]) == [a.PRI, b.PRI]
    assert [a.covS, b.covS] == approx([0.468, 0.282])
    assert [a.covU, b.covU] == approx([0.378, 0.191])
    m = fitrow(sol, qca.MODEL_ROW)
    assert [m.inclS, m.PRI, m.covS] == approx([0.866, 0.839, 0.660])
    assert len(sol.simplifying_assumptions) == 12
    assert sol.easy_counterfactuals == ["11101"]
    assert len(sol.difficult_counterfactuals) == 11
    assert sorted(sol.easy_counterfactuals + sol.difficult_counterfactuals) == (
        sol.simplifying_assumptions
    )
    assert sol.origin == ["C1P1"]
    assert sol.counterfactuals["C1P1"] == (
        sol.easy_counterfactuals,
        sol.difficult_counterfactuals,
    )


def test_intermediate_edge_expectations(lf_tt: qca.TruthTable) -> None:
    cons = qca.minimize(lf_tt)
    none = qca.minimize(lf_tt, directional={c: "-" for c in CONDS})
    assert none.models == cons.models and none.easy_counterfactuals == []
    assert len(none.difficult_counterfactuals) == 12
    # expecting absence of URB makes ~URB agree with the expectation: nothing to drop there
    mixed = qca.minimize(lf_tt, directional={"DEV": 1, "URB": 0, "LIT": 1, "IND": 1, "STB": 1})
    assert mixed.models == ["DEV*URB*LIT*IND*STB + DEV*~URB*LIT*~IND*STB"]
    with pytest.raises(ValueError):
        qca.minimize(lf_tt, directional={"XYZ": 1})
    with pytest.raises(ValueError):
        qca.minimize(lf_tt, directional={"DEV": 2})


def test_lf_fit_of_any_expression(lf: pd.DataFrame) -> None:
    res = qca.fit("DEV*~IND + URB*STB", lf, "SURV")
    assert res.index.tolist() == ["DEV*~IND", "URB*STB", qca.EXPRESSION_ROW]
    assert res["inclS"].tolist() == approx([0.815, 0.874, 0.850])
    assert res["PRI"].tolist() == approx([0.721, 0.845, 0.819])
    assert res["covS"].tolist() == approx([0.284, 0.520, 0.714])
    assert res["covU"].iloc[:2].tolist() == approx([0.194, 0.430])
    # parentheses and negated groups are evaluated with fuzzy min/max/complement
    other = qca.fit("~(~DEV + IND)", lf, "SURV")
    assert other.loc["~(~DEV + IND)", "inclS"] == pytest.approx(0.815, abs=5e-4)


# --------------------------------------------------------------------------- necessity
def test_necessity(lf: pd.DataFrame) -> None:
    nec = qca.necessity(lf, "SURV", CONDS)
    assert nec.index.tolist() == [n for c in CONDS for n in (c, f"~{c}")]
    x, y = lf["STB"].to_numpy(), lf["SURV"].to_numpy()
    xy = np.minimum(x, y)
    assert nec.loc["STB", "inclN"] == pytest.approx(xy.sum() / y.sum())
    assert nec.loc["STB", "covN"] == pytest.approx(xy.sum() / x.sum())
    assert nec.loc["STB", "RoN"] == pytest.approx((1 - x).sum() / (1 - xy).sum())
    deep = qca.necessity(lf, "SURV", CONDS, depth=2)
    assert len(deep) == 10 + 10 * 4
    x2 = np.maximum(lf["DEV"], 1 - lf["URB"]).to_numpy()
    assert deep.loc["DEV + ~URB", "inclN"] == pytest.approx(np.minimum(x2, y).sum() / y.sum())
    assert (qca.necessity(lf, "SURV", CONDS, depth=2, incl_cut=0.9)["inclN"] >= 0.9).all()
    neg = qca.necessity(lf, "~SURV", ["DEV"])
    assert neg.loc["DEV", "inclN"] == pytest.approx(
        np.minimum(lf["DEV"], 1 - lf["SURV"]).sum() / (1 - lf["SURV"]).sum()
    )


# --------------------------------------------------------------------------- ambiguity
def _crisp(rows: dict[str, int], conds: list[str]) -> pd.DataFrame:
    recs = {f"case{i}": [int(ch) for ch in r] + [y] for i, (r, y) in enumerate(rows.items())}
    return pd.DataFrame.from_dict(recs, orient="index", columns=[*conds, "Y"])


def test_model_ambiguity_both_models_returned() -> None:
    # cyclic chart: on = {000, 001, 010, 101, 110, 111}, off = {011, 100}
    rows = {"000": 1, "001": 1, "010": 1, "101": 1, "110": 1, "111": 1, "011": 0, "100": 0}
    tt = qca.truth_table(_crisp(rows, ["A", "B", "C"]), "Y", ["A", "B", "C"])
    sol = qca.minimize(tt)
    assert len(sol.models) == 2 and sol.n_models == 2 and sol.complete
    as_sets = {frozenset(m.split(" + ")) for m in sol.models}
    assert as_sets == {
        frozenset({"~A*~B", "B*~C", "A*C"}),
        frozenset({"~A*~C", "~B*C", "A*B"}),
    }
    # R QCA's implicant order: terms containing the first condition come first (~A before A)
    assert sol.models == ["~A*~B + A*C + B*~C", "~A*~C + A*B + ~B*C"]
    assert sol.fit.index.get_level_values("model").unique().tolist() == ["M1", "M2"]
    assert len(sol.fit) == 2 * (3 + 1)
    assert sol.essential == []
    text = sol.summary()
    assert "M1: ~A*~B + A*C + B*~C -> Y" in text and "M2: ~A*~C + A*B + ~B*C -> Y" in text
    short = sol.summary(max_models=1)
    assert "M2:" not in short and "... and 1 more models" in short


def test_ambiguity_with_remainders() -> None:
    # positives 001, 010, 100; negative 111; the other rows are remainders. The primes are
    # ~A, ~B and ~C, each covering two positives: any two of them make a minimal model.
    rows = {"001": 1, "010": 1, "100": 1, "111": 0}
    tt = qca.truth_table(_crisp(rows, ["A", "B", "C"]), "Y", ["A", "B", "C"])
    sol = qca.minimize(tt, remainders=True)
    assert sol.minimum_terms == 2 and sol.n_models == len(sol.models) == 3
    assert set(sol.models) == {"~A + ~B", "~A + ~C", "~B + ~C"}
    assert sol.models == sorted(
        sol.models, key=lambda m: [sol.prime_implicants.index(t) for t in m.split(" + ")]
    )
    assert set(sol.simplifying_assumptions_by_model) == {"M1", "M2", "M3"}


# --------------------------------------------------------------------------- notation
def test_parse_and_render() -> None:
    e = qca.parse("DEV*~URB + STB")
    assert isinstance(e, qca.Or) and qca.render(e) == "DEV*~URB + STB"
    assert qca.render(" a *b+ ~ c ") == "a*b + ~c"
    assert qca.render("~~A") == "A"
    assert qca.render("(A + B)*C") == "(A + B)*C"
    assert qca.render("A*(B*C)") == "A*B*C"
    assert qca.render("~(A*B)") == "~(A*B)"
    assert qca.render([{"A": 1, "B": 0}, {"C": 1}]) == "A*~B + C"
    assert qca.parse("A_1.x + B").names() == ["A_1.x", "B"]
    for bad in ["", "A +", "A * * B", "(A + B", "A B", "A + 1B", "A & B"]:
        with pytest.raises(ValueError):
            qca.parse(bad)
    data = pd.DataFrame({"A": [0.2, 0.9], "B": [0.6, 0.3]})
    assert qca.parse("A*~B").evaluate(data).tolist() == pytest.approx([0.2, 0.7])
    assert qca.parse("A + ~B").evaluate(data).tolist() == pytest.approx([0.4, 0.9])
    assert qca.implicant_string(0b10110, 0b10010, CONDS) == "DEV*~LIT*IND"
    assert qca.row_string(21, 5) == "10101"


# --------------------------------------------------------------------------- exports
def test_text_markdown_and_latex_exports(
    lf_tt: qca.TruthTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tabulate", None)  # importing it would now fail
    sol = qca.minimize(lf_tt, remainders=True)
    md = sol.to_markdown()
    lines = md.splitlines()
    assert lines[0].startswith("| model | term | inclS | PRI | covS | covU | cases |")
    assert "| `DEV*~IND` |" in md and "`DEV*~IND + URB*STB`" in md
    assert "0.815" in md and len({line.count("|") for line in lines}) == 1
    tex = sol.to_latex(caption="Parsimonious", label="tab:qca")
    assert r"\begin{tabular}" in tex and r"\texttt{DEV*\textasciitilde{}IND}" in tex
    assert r"\caption{Parsimonious}" in tex and "0.714" in tex
    ttmd = lf_tt.to_markdown()
    assert ttmd.count("\n") == len(lf_tt.table) + 1 and "0.709" in ttmd
    assert r"\toprule" in lf_tt.to_latex()
    assert "DEV*~IND + URB*STB -> SURV" in str(sol)
    assert "Simplifying assumptions (12)" in sol.summary()
    assert "9 observed rows, 23 remainders" in str(lf_tt)
    assert sol.model_fit["solution"].tolist() == ["DEV*~IND + URB*STB"]
    # plain-DataFrame results export without tabulate too
    nec = qca.necessity(lf_tt.data, "SURV", CONDS)
    assert isinstance(nec, pd.DataFrame) and isinstance(nec, qca.QCATable)
    assert nec.to_markdown().splitlines()[2].startswith("| `DEV` |")
    assert r"\texttt{\textasciitilde{}DEV}" in nec.to_latex()
    res = qca.fit("DEV*~IND + URB*STB", lf_tt.data, "SURV")
    assert "| `URB*STB` |" in res.to_markdown() and "0.874" in res.summary()
    assert isinstance(res.loc[["DEV*~IND"]], qca.QCATable)


def test_minimize_errors() -> None:
    rows = {"00": 0, "01": 0}
    tt = qca.truth_table(_crisp(rows, ["A", "B"]), "Y", ["A", "B"])
    with pytest.raises(ValueError, match="nothing to explain"):
        qca.minimize(tt)
    rows = {"00": 1, "01": 1}
    tt = qca.truth_table(_crisp(rows, ["A", "B"]), "Y", ["A", "B"])
    assert qca.minimize(tt).models == ["~A"]
    with pytest.raises(ValueError, match="coded 0"):
        qca.minimize(tt, remainders=True)
    with pytest.raises(TypeError):
        qca.minimize(rows)  # type: ignore[arg-type]


def test_intermediate_with_several_conservative_models() -> None:
    # the cyclic chart has two conservative models; with a remainder the parsimonious
    # solution changes, and every (conservative, parsimonious) pair is minimised
    rows = {"000": 1, "001": 1, "010": 1, "101": 1, "110": 1, "011": 0, "100": 0}
    tt = qca.truth_table(_crisp(rows, ["A", "B", "C"]), "Y", ["A", "B", "C"])
    cons = qca.minimize(tt)
    pars = qca.minimize(tt, remainders=True)
    inter = qca.minimize(tt, directional={"A": 1, "B": 1, "C": 1})
    assert len(cons.models) >= 2
    pairs = {f"C{i + 1}P{j + 1}" for i in range(len(cons.models)) for j in range(len(pars.models))}
    assert set(inter.counterfactuals) == pairs
    assert inter.origin and all(o for o in inter.origin)
    for pair, (easy, difficult) in inter.counterfactuals.items():
        p = int(pair.split("P")[1])
        assert sorted(easy + difficult) == pars.simplifying_assumptions_by_model[f"M{p}"]
    # each intermediate model covers the explained rows and no row coded 0
    data = {c: tt.data[c].to_numpy(dtype=float) for c in ["A", "B", "C", "Y"]}
    for model in inter.models:
        x = qca.parse(model).evaluate(data)
        assert (x[data["Y"] == 1] == 1).all() and (x[data["Y"] == 0] == 0).all()
    assert len(inter.models) == len(set(inter.models)) == len(inter.origin)


def test_listing_limit_warns() -> None:
    rows = {"000": 1, "001": 1, "010": 1, "101": 1, "110": 1, "111": 1, "011": 0, "100": 0}
    tt = qca.truth_table(_crisp(rows, ["A", "B", "C"]), "Y", ["A", "B", "C"])
    with pytest.warns(qca.QCAWarning, match="incomplete"):
        few = qca.minimize(tt, max_models=1)
    assert not few.complete and few.n_models >= 2
    assert few.models == ["~A*~B + A*C + B*~C"]
    assert "listing incomplete" in few.summary()
