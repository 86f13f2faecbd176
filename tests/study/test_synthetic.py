"""The synthetic study: deterministic, realistic in size, and carrying its planted effects."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from srim_analysis.cli import main
from srim_analysis.study import synthetic
from srim_analysis.study.contract import TABLES
from srim_analysis.study.loading import load_study

# the optional withdrawals table: the synthetic study ships none (nobody withdrew)
TABLE_FILES = [f"{t}.csv" for t in TABLES if t != "withdrawals"]


def test_same_seed_gives_byte_identical_files_in_a_fresh_process(tmp_path):
    """Two processes with different hash seeds write the same bytes."""
    for i, hash_seed in enumerate(("1", "987")):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        code = (
            f"from srim_analysis.study import synthetic; synthetic.write_study(r'{tmp_path}/{i}')"
        )
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
    for name in [*TABLE_FILES, "study.toml", "identifiers.csv", "README.md"]:
        assert (tmp_path / "0" / name).read_bytes() == (tmp_path / "1" / name).read_bytes(), name


def test_shipped_data_is_what_the_generator_makes(tmp_path, shipped_dir):
    """Back test: data/synthetic is exactly the generator's output (regenerate with srim synth)."""
    synthetic.write_study(tmp_path)
    for name in [*TABLE_FILES, "study.toml", "identifiers.csv", "README.md"]:
        assert (tmp_path / name).read_bytes() == (shipped_dir / name).read_bytes(), name


def test_other_seed_gives_other_data(tmp_path):
    a = synthetic.generate_tables(seed=1)["survey_responses"]
    b = synthetic.generate_tables(seed=2)["survey_responses"]
    assert not a.equals(b)


def test_every_file_says_it_is_synthetic(shipped_dir):
    for name in [*TABLE_FILES, "identifiers.csv"]:
        first = (shipped_dir / name).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# SYNTHETIC DATA"), name
    assert 'kind = "synthetic"' in (shipped_dir / "study.toml").read_text()


def test_realistic_size_and_texture(study):
    assert len(study.sites) == 8
    roles = study.sites["role"].value_counts()
    assert roles["origin"] == 1 and roles["adopter"] >= 2
    assert 550 <= len(study.survey_responses) <= 650
    assert study.coded_segments["segment_id"].nunique() >= 1500
    assert len(study.case_audit) >= 300
    per_site = study.survey_responses["site_id"].value_counts()
    assert per_site.max() > 4 * per_site.min()  # uneven sites, one small
    small_groups = study.survey_responses.groupby(["site_id", "agency"]).size()
    assert (small_groups < 5).sum() >= 5  # groups that disclosure control must hide
    assert study.survey_responses["SE1"].isna().mean() > 0.02  # missing answers


def _shared_since(study, since: str) -> pd.Series:
    ca = study.case_audit
    recent = ca[ca["audit_date"] >= since]
    return recent.groupby("site_id")["father_info_shared"].mean()


def test_planted_configuration_effect(study):
    feats = study.site_features.set_index("site_id")
    configured = (feats["early_help_in_front_door"] == 1) & (feats["father_inclusion_lead"] == 1)
    rate = _shared_since(study, synthetic.OUTCOME_SINCE)
    assert rate[configured].min() > 0.5
    assert rate[~configured].max() < 0.45
    # no single condition separates the sites: both are needed
    assert not ((feats["early_help_in_front_door"] == 1) == configured).all()
    assert not ((feats["father_inclusion_lead"] == 1) == configured).all()


def test_planted_adoption_effect(study):
    ca = study.case_audit.merge(study.sites[["site_id", "role", "initiative_start"]])
    adopters = ca[ca["role"] == "adopter"]
    after = adopters["audit_date"] >= adopters["initiative_start"]
    change = adopters.groupby([adopters["site_id"], after])["father_info_shared"].mean().unstack()
    assert (change[True] - change[False] > 0.15).all()


def _training_interval(study) -> tuple[float, float]:
    """Return the 95% interval of the odds ratio of training on CONF1 (proportional odds)."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    r = study.survey_responses
    d = r[["CONF1", "trained_2024", "read_advice_2024", "manager_support"]].dropna()
    d = d[d["CONF1"].isin(list("12345"))]
    model = OrderedModel(
        d["CONF1"].astype(int),
        d[["trained_2024", "read_advice_2024", "manager_support"]].astype(float),
        distr="logit",
    ).fit(method="bfgs", disp=False)
    low, high = np.exp(model.conf_int().loc["trained_2024"])
    return float(low), float(high)


def test_planted_training_odds_ratio(study):
    low, high = _training_interval(study)
    assert low < synthetic.OR_TRAINED < high
    assert low > 1.2


def test_planted_most_criticised_rule(study):
    seg = study.coded_segments
    codes = seg.groupby("segment_id")["code_id"].apply(set)
    crit = {
        r: codes[codes.map(lambda c, r=r: r in c)].map(lambda c: "ST-CRIT" in c).mean()
        for r in [f"GR{i}" for i in range(1, 8)]
    }
    assert max(crit, key=crit.get) == "GR3"


@pytest.mark.parametrize("scale", ["national"])
def test_national_scale_shape(scale):
    shape = synthetic.SHAPES[scale]
    assert (shape.n_sites, shape.n_respondents, shape.target_codings) == (153, 20_000, 300_000)


def test_a_study_with_other_site_ids_keeps_only_its_sites_recruitment_targets(study):
    """The national study (ids S001...) once carried targets for S01..S08: srim run refused it."""
    plan = synthetic.variant_plan("study")
    shipped = synthetic._plan_for_sites(plan, set(study.sites["site_id"]))
    assert shipped.recruitment == plan.recruitment  # the shipped study keeps every target
    national = synthetic._plan_for_sites(plan, {f"S{i:03d}" for i in range(1, 154)})
    assert national.recruitment and {t.site for t in national.recruitment} == {"all"}
    assert (
        len(national.recruitment)
        == sum(t.site == "all" for t in plan.recruitment)
        < len(plan.recruitment)
    )


# ---------------------------------------------------------------------------
# The other generated studies (srim synth --variant): issue #17
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, object]:
    """The null and other studies, written once and loaded."""
    root = tmp_path_factory.mktemp("variants")
    return {v: load_study(synthetic.write_study(root / v, variant=v)) for v in ("null", "other")}


def test_variants_are_deterministic_and_the_default_is_the_shipped_study(tmp_path):
    for variant in ("null", "other"):
        a = synthetic.write_study(tmp_path / f"{variant}-a", variant=variant)
        b = synthetic.write_study(tmp_path / f"{variant}-b", variant=variant)
        for path in sorted(a.iterdir()):
            assert path.read_bytes() == (b / path.name).read_bytes(), (variant, path.name)
    shipped = synthetic.generate_tables()
    for name, frame in synthetic.generate_tables(variant="study").items():
        pd.testing.assert_frame_equal(frame, shipped[name])
    with pytest.raises(ValueError, match="unknown variant"):
        synthetic.generate_tables(variant="shipped")


def test_synth_command_writes_a_variant_only_into_a_named_folder(tmp_path, shipped_dir, capsys):
    before = {p.name: p.stat().st_mtime_ns for p in shipped_dir.iterdir()}
    assert main(["synth", "--variant", "other"]) == 2
    assert "needs --out" in capsys.readouterr().err
    assert main(["synth", "--variant", "null", "--out", str(tmp_path / "null")]) == 0
    assert "null study" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in shipped_dir.iterdir()} == before
    assert 'name = "SRIM synthetic study (null)"' in (tmp_path / "null" / "study.toml").read_text()


def test_other_study_is_valid_and_unlike_the_shipped_one(generated, study):
    other = generated["other"]
    assert not [p for p in other.report.problems if p.severity in ("error", "warning")]
    assert list(other.sites["site_id"]) == list(synthetic.OTHER_SITES)
    left_out = {*synthetic.OTHER_LEAVES_OUT, "withdrawals"}
    assert sorted(other.tables) == sorted(set(TABLES) - left_out)
    assert not set(other.codebook["code_id"]) & set(study.codebook["code_id"])
    assert not set(other.coded_segments["source_id"].str.extract(r"(S\d\d)")[0].dropna())
    # one site with almost no data: one interviewee, one document, one observed meeting
    tiny = list(synthetic.OTHER_SITES)[-1]
    for table in ("participants", "documents", "observations"):
        counts = other.tables[table]["site_id"].value_counts()
        assert counts[tiny] == 1 and counts.drop(tiny).min() >= 4, table
    codings = other.coded_segments["site_id"].value_counts()
    assert codings[tiny] < codings.drop(tiny).min() / 4


def _critical_p(study, by: str) -> float:
    """Return the chi-square p-value of critical vs other stance on the rules by rule, or on
    the most criticised rule by agency."""
    book = study.codebook
    rules = set(book.loc[book["branch"].eq("golden_rules") & book["parent_id"].notna(), "code_id"])
    stances = set(study.plan.codes.stance.values())
    seg = study.coded_segments.merge(
        study.participants[["participant_id", "agency"]], on="participant_id"
    )
    per = seg.groupby("segment_id").agg(codes=("code_id", set), agency=("agency", "first"))
    per = per[per["codes"].map(lambda c: bool(c & rules) and bool(c & stances))]
    per["rule"] = per["codes"].map(lambda c: min(c & rules))
    per["critical"] = per["codes"].map(lambda c: study.plan.codes.stance["critical"] in c)
    if by == "agency":  # do the health agencies criticise the most criticised rule more?
        per = per[per["rule"] == per.groupby("rule")["critical"].mean().idxmax()]
        per["agency"] = per["agency"].isin(synthetic.HEALTH_CRITICS)
    return float(stats.chi2_contingency(pd.crosstab(per[by], per["critical"]))[1])


def test_null_study_carries_no_planted_effect(generated, study):
    null = generated["null"]
    # configuration and adoption: the same chance of sharing at every site
    rates = _shared_since(null, synthetic.OUTCOME_SINCE)
    assert rates.max() < 0.45  # no site reaches the configured sites' planted 65%
    recent = null.case_audit[null.case_audit["audit_date"] >= synthetic.OUTCOME_SINCE]
    table = pd.crosstab(recent["site_id"], recent["father_info_shared"])
    assert stats.chi2_contingency(table)[1] > 0.05
    # stance: no rule and no agency stands out (the shipped study's planted ones do)
    for by in ("rule", "agency"):
        assert _critical_p(null, by) > 0.05, by
        assert _critical_p(study, by) < 0.01, by


def test_null_study_training_odds_ratio_is_one(generated):
    low, high = _training_interval(generated["null"])
    assert low < 1 < high
