"""Every notebook on two generated studies unlike the shipped one (issue #17).

* The "other" study (``srim synth --variant other``): five sites with their own ids, codes
  and labels, qualitative tables only, one site with almost no data. Every notebook runs;
  those that need a table the study lacks say so; notebook 04 finds stance and awareness
  through the study's own plan and shows its own labels.
* The null study (``srim synth --variant null``): the shipped study's shape without any
  planted effect. Every notebook runs, and the QCA, the ordinal models and the stance
  comparison find nothing beyond chance: the findings on the shipped study come from its
  data, not from defaults tuned to it.

Each study is run once per session (sites "all" and one more), with the runner's own
entry point, into a temporary folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from scipy import stats

from srim_analysis import runner
from srim_analysis.report.publishing import read_published
from srim_analysis.study import synthetic
from srim_analysis.study.plan import read_plan

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
#: The site run beside "all": the other study's site with almost no data; the null study's
#: smallest site.
SMALL_SITE = {"other": list(synthetic.OTHER_SITES)[-1], "null": "S08"}
ALPHA = 0.05


# ---------------------------------------------------------------------------
# The runs
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> dict[str, Path]:
    """The other and null studies, generated into a temporary folder."""
    root = tmp_path_factory.mktemp("generated")
    return {v: synthetic.write_study(root / v, variant=v) for v in ("other", "null")}


def _run(folder: Path, out: Path, site: str) -> int:
    return runner.cli(
        ["--data", str(folder), "--out", str(out), "--jobs", "2", "--force", "--site", "all", site]
    )


@pytest.fixture(scope="session")
def reports(generated, tmp_path_factory) -> dict[str, tuple[Path, int]]:
    """Run every notebook on each generated study: {variant: (output root, exit status)}."""
    out = {}
    for variant, folder in generated.items():
        root = tmp_path_factory.mktemp(f"{variant}-report")
        out[variant] = (root, _run(folder, root, SMALL_SITE[variant]))
    return out


def _record(root: Path) -> dict:
    return json.loads((root / "reports" / "run-record.json").read_text(encoding="utf-8"))


def _failures(root: Path) -> list[str]:
    return [
        f"{r['notebook']}[{r['site']}]: {r['error']}"
        for r in _record(root)["runs"]
        if r["status"] != "ok"
    ]


def _table(root: Path, site: str, notebook: str, name: str) -> pd.DataFrame:
    return read_published(root / "reports" / site / "tables" / f"{notebook}__{name}.csv")


def _tables(root: Path, site: str, pattern: str) -> dict[str, pd.DataFrame]:
    folder = root / "reports" / site / "tables"
    return {p.stem: read_published(p) for p in sorted(folder.glob(f"{pattern}.csv"))}


def _number(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column, errors="coerce")


def _outputs(root: Path, site: str, notebook: str) -> tuple[str, list[str]]:
    """Return the text of an executed notebook's outputs, and its error outputs."""
    run = next(r for r in _record(root)["runs"] if r["notebook"] == notebook and r["site"] == site)
    nb = nbformat.read(str(root / run["executed_notebook"]), as_version=4)
    text, errors = [], []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append(f"{output.get('ename')}: {output.get('evalue')}")
            text.append(str(output.get("text", "")))
            data = output.get("data", {})
            text += [str(data.get(k, "")) for k in ("text/markdown", "text/html", "text/plain")]
    return "\n".join(text), errors


def _every_run_ok(reports: dict, variant: str) -> None:
    root, status = reports[variant]
    assert not _failures(root), f"{variant} study: runs failed: {_failures(root)}"
    ran = {(r["notebook"], r["site"]) for r in _record(root)["runs"]}
    assert {(nb, "all") for nb in NOTEBOOKS} <= ran
    assert any(site == SMALL_SITE[variant] for _, site in ran)
    audit = _record(root).get("disclosure_audit") or {}
    assert status == 0, f"{variant} study: srim run exited {status}; disclosure audit: {audit}"


# ---------------------------------------------------------------------------
# The generated studies themselves
# ---------------------------------------------------------------------------


def test_the_other_study_is_unlike_the_shipped_one(generated, study):
    other = generated["other"]
    sites = pd.read_csv(other / "sites.csv", comment="#")
    assert list(sites["site_id"]) == list(synthetic.OTHER_SITES)
    assert len(sites) != len(study.sites)
    assert not {p.stem for p in other.glob("*.csv")} & set(synthetic.OTHER_LEAVES_OUT)
    book = pd.read_csv(other / "codebook.csv", comment="#")
    assert not set(book["code_id"]) & set(study.codebook["code_id"])
    assert not set(book["label"]) & set(study.codebook["label"])
    plan, problems = read_plan(other)
    assert not problems
    assert plan.codes.stance["critical"] == "VIEW-NEG" and not plan.survey.constructs


# ---------------------------------------------------------------------------
# The other study
# ---------------------------------------------------------------------------


def test_every_notebook_runs_on_the_other_study(reports):
    _every_run_ok(reports, "other")


@pytest.mark.parametrize(
    ("notebook", "lacks"),
    [("01_cross_site_comparison", "case_audit"), ("03_awareness_confidence", "survey")],
)
def test_notebooks_say_which_tables_the_other_study_lacks(reports, notebook, lacks):
    """A notebook that needs a table the study lacks says so in a sentence, not a traceback."""
    root, _ = reports["other"]
    text, errors = _outputs(root, "all", notebook)
    assert not errors
    assert "Traceback" not in text
    assert lacks in text


def test_notebook_04_shows_the_other_studys_codes_and_labels(reports):
    root, _ = reports["other"]
    labels = dict(synthetic.OTHER_CODES.values())
    rules = _table(root, "all", "04_guidance_views", "stance_golden_rules")
    assert set(rules["code_id"]) == {f"PRIN-{c}" for c in "ABCDEFG"}
    assert list(rules["code_label"]) == [labels[c] for c in rules["code_id"]]
    # the stances are found through the study's own plan (VIEW-...), not by name
    assert _number(rules["n_critical"]).sum() > 0
    assert _number(rules["n_supportive"]).sum() > 0
    # the planted criticised rule is found under its own id and label
    ranked = _table(root, "all", "04_guidance_views", "most_criticised_codes")
    assert ranked["code_id"].iloc[0] == "PRIN-C"
    assert ranked["code_label"].iloc[0] == labels["PRIN-C"]
    aware = _tables(root, "all", "04_guidance_views__awareness_by_*")
    assert aware, "notebook 04 published no awareness table for the other study"
    # awareness codes were found through the plan (KNOW-...): participants are counted
    assert all(_number(t["n_coded"]).sum() > 0 for t in aware.values())


def test_no_table_of_the_other_study_names_a_shipped_id(reports, study):
    """Nothing falls back to the shipped study's ids: no published cell holds one."""
    root, _ = reports["other"]
    shipped = set(study.codebook["code_id"]) | set(study.sites["site_id"])
    shipped |= set(study.survey_items["item_id"])
    found = {}
    for path in sorted((root / "reports").glob("*/tables/*.csv")):
        cells = set(read_published(path).to_numpy().ravel().tolist())
        if cells & shipped:
            found[path.name] = sorted(cells & shipped)[:5]
    assert not found


def test_qca_of_the_other_study_uses_its_observed_meetings(reports):
    root, _ = reports["other"]
    calibration = _table(root, "all", "02_service_configuration_typology", "calibration")
    big = set(synthetic.OTHER_SITES.values()) - {synthetic.OTHER_SITES[SMALL_SITE["other"]]}
    assert big <= set(calibration["site"])
    # the observations table holds 90 meetings at most; no case audit is counted
    assert _number(calibration["n_cases"]).max() < synthetic.OTHER_SHAPE.n_observations


# ---------------------------------------------------------------------------
# The null study
# ---------------------------------------------------------------------------


def test_every_notebook_runs_on_the_null_study(reports):
    _every_run_ok(reports, "null")


def test_null_study_qca_finds_no_sufficient_configuration(reports, generated):
    """No truth-table row reaches the consistency cut-off, so no solution is reported."""
    root, _ = reports["null"]
    incl_cut = read_plan(generated["null"])[0].qca.incl_cut
    nb = "02_service_configuration_typology"
    truth = _table(root, "all", nb, "truth_table")
    assert len(truth) and (_number(truth["incl"]) < incl_cut).all()
    assert (truth["OUT"] != "1").all()
    solutions = _table(root, "all", nb, "solutions")
    assert len(solutions)  # the table says there is no solution, rather than vanishing
    fit = _number(solutions.get("inclS", pd.Series(dtype=object)))
    assert (fit.dropna() < incl_cut).all()


def _significant_share_is_chance(p_values: pd.Series) -> bool:
    """Return True if no more p-values are below ALPHA than chance gives (99th percentile)."""
    p = p_values.dropna()
    return (p < ALPHA).sum() <= stats.binom.ppf(0.99, len(p), ALPHA)


def test_null_study_ordinal_models_find_no_training_effect(reports):
    root, _ = reports["null"]
    models = _tables(root, "all", "03_awareness_confidence__*odds_ratios*")
    assert len(models) >= 2, f"awareness and confidence should each be modelled: {list(models)}"
    for name, model in models.items():
        terms = model.set_index("term")
        for term in ("trained_2024", "read_advice_2024", "manager_support"):
            assert float(terms.loc[term, "p_value"]) >= ALPHA, (name, term)
        assert _significant_share_is_chance(_number(model["p_value"])), name


def _stance_by_rule_p(root: Path) -> float:
    """Return the chi-square p-value of critical vs other segments by rule (shown counts)."""
    ranked = _table(root, "all", "04_guidance_views", "most_criticised_codes")
    counts = pd.concat([_number(ranked["n_segments"]), _number(ranked["n_critical"])], axis=1)
    n, crit = counts.dropna().T.to_numpy()  # the rules whose counts are shown
    assert crit.sum() > 0, "no segment is critical: the stance codes were not found"
    return float(stats.chi2_contingency(pd.DataFrame({"crit": crit, "not": n - crit}))[1])


def test_null_study_no_rule_is_criticised_beyond_chance(reports):
    """The published stance ranking shows no rule criticised beyond chance in the null study,
    while the same test finds the planted criticised rule in the other study. (Differences by
    agency are hidden by small-cell suppression in these tables; tests/study/test_synthetic.py
    checks the null study's data has none.)"""
    null_root, _ = reports["null"]
    other_root, _ = reports["other"]
    assert _stance_by_rule_p(null_root) > ALPHA
    assert _stance_by_rule_p(other_root) < ALPHA


def test_null_study_outcome_is_the_same_at_every_site(reports):
    """The QCA outcome does not differ between sites beyond chance (calibration table)."""
    root, _ = reports["null"]
    calibration = _table(root, "all", "02_service_configuration_typology", "calibration")
    shown = calibration.assign(
        yes=_number(calibration["n_yes"]), n=_number(calibration["n_cases"])
    ).dropna(subset=["yes", "n"])
    assert len(shown) >= 4
    table = pd.concat([shown["yes"], shown["n"] - shown["yes"]], axis=1).to_numpy()
    assert stats.chi2_contingency(table)[1] > ALPHA
    assert (calibration["in_set"] != "in").all()
