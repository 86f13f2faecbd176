"""The synthetic study: deterministic, realistic in size, and carrying its planted effects."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from srim_analysis.study import synthetic
from srim_analysis.study.contract import TABLES

TABLE_FILES = [f"{t}.csv" for t in TABLES]


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


def test_planted_training_odds_ratio(study):
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
