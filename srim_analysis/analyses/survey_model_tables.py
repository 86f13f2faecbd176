"""What notebook 03 publishes from the models of its outcomes, for a study and a site.

* :func:`ordinal_model` and :func:`ols_model` - the ordinal model of an outcome of the
  study's plan (awareness or confidence: the construct ``[survey.outcomes]`` of
  ``study.toml`` names) and its linear sensitivity analysis for one site or all, with
  small groups pooled and factors thinned to what the number of respondents supports, or
  the reason in words why not (a :class:`ModelOutcome`);
* the tables of a fitted model: :func:`model_table`, :func:`dropped_table`,
  :func:`thresholds_table`, :func:`proportional_odds_table` and
  :func:`predicted_answers`, and the display view :func:`estimates_view`;
* :func:`summarise_factors` - a plain-English paragraph on the strongest factors.

The models themselves are fitted by :mod:`srim_analysis.analyses.survey_models`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from srim_analysis.analyses import survey, survey_models, survey_tables
from srim_analysis.analyses.survey_models import ModelResult
from srim_analysis.analyses.survey_tables import TOTAL
from srim_analysis.disclosure import DEFAULT_MIN_CELL
from srim_analysis.study.loading import Study
from srim_analysis.study.plan import OUTCOME_ROLES
from srim_analysis.study.selection import ALL_SITES

__all__ = [
    "MIN_PER_TERM",
    "OTHER",
    "OTHER_LABELS",
    "OUTCOME_PHRASES",
    "ModelOutcome",
    "dropped_table",
    "estimates_view",
    "model_table",
    "ols_model",
    "ordinal_model",
    "predicted_answers",
    "proportional_odds_table",
    "summarise_factors",
    "thresholds_table",
]

#: About this many respondents are needed per estimated model term (events per parameter).
MIN_PER_TERM = 10
#: The pooled group of a categorical factor's small groups.
OTHER = "_other"
#: How the pooled group reads, per factor.
OTHER_LABELS = {
    "agency": "other agencies (pooled)",
    "years_in_role": "other bands (pooled)",
    "site_id": "other sites (pooled)",
}


#: How a higher answer reads in a sentence, per outcome of the plan.
OUTCOME_PHRASES: dict[str, str] = {role: f"reporting higher {role}" for role in OUTCOME_ROLES}


@dataclass
class ModelOutcome:
    """A fitted model, or the sentence saying why it was not estimated."""

    result: ModelResult | None
    reason: str
    factors: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    where: str = "All sites"
    role: str = ""
    construct: str | None = None

    @property
    def estimated(self) -> bool:
        """Return True when the model was fitted."""
        return self.result is not None


#: Fitted models, so that the model, sensitivity and summary sections fit each once. Kept
#: small: a warm kernel runs one site after another.
_CACHE: dict[tuple[Any, ...], ModelOutcome] = {}
_CACHE_SIZE = 4


def _prepare_factors(
    data: pd.DataFrame,
    rated_mask: np.ndarray,
    outcome: str,
    factors: Sequence[str],
    single_site: bool,
    min_cell: int,
    min_per_term: int,
) -> tuple[pd.DataFrame, list[str], list[str], str]:
    """Return (responses with small levels pooled, factors kept, notes, reason if none).

    Categorical levels with fewer than ``min_cell`` respondents in the model are pooled
    (their estimate would describe a handful of people); a factor whose pooled level is
    still that small is left out. Then, while there are fewer than ``min_per_term``
    respondents per estimated term, the categorical factor with most levels is left out.
    """
    data = data.copy()
    notes: list[str] = []
    pooling: dict[str, str] = {}
    factors = list(factors)
    if single_site and "site_id" in factors:
        factors.remove("site_id")
        notes.append("A single site's model leaves out the site factor.")
    missing = [f for f in factors if f not in data.columns]
    if missing:
        raise ValueError(f"survey_responses has no column(s) {', '.join(missing)} (model factors).")
    numeric = set(survey_models.NUMERIC_FACTORS)

    def complete(fs: Sequence[str]) -> np.ndarray:
        mask = rated_mask.copy()
        for f in fs:
            mask &= data[f].notna().to_numpy()
        return mask

    def terms(fs: Sequence[str], mask: np.ndarray) -> int:
        k = 0
        for f in fs:
            values = data.loc[mask, f]
            if f in numeric or pd.api.types.is_numeric_dtype(values):
                k += int(values.nunique() > 1)
            else:
                k += max(values.nunique() - 1, 0)
        return k

    for f in [f for f in factors if f in numeric]:
        values = pd.to_numeric(data.loc[complete(factors), f], errors="coerce")
        counts = values.value_counts()
        if set(counts.index) <= {0, 1} and len(counts) == 2 and counts.min() < min_cell:
            factors.remove(f)
            notes.append(
                f"{survey.FACTOR_LABELS.get(f, f)} is left out: fewer than {min_cell} "
                "respondents in the model are on one side of it."
            )
    categorical = [f for f in factors if f not in numeric]
    for f in list(categorical):
        mask = complete(factors)
        counts = data.loc[mask, f].astype(str).value_counts()
        small = sorted(counts[counts < min_cell].index)
        if not small:
            continue
        pooled = int(counts[small].sum())
        label = survey.FACTOR_LABELS.get(f, f)
        if pooled < min_cell or len(counts) - len(small) < 1:
            factors.remove(f)
            categorical.remove(f)
            notes.append(
                f"{label} is left out: some of its groups have fewer than {min_cell} "
                "respondents in the model, even pooled."
            )
            continue
        data[f] = data[f].astype(object).where(~data[f].astype(str).isin(small), OTHER)
        names = ", ".join(survey.level_label(f, s) for s in small)
        pooling[f] = (
            f"{label}: groups with fewer than {min_cell} respondents in the model are pooled "
            f"as '{OTHER_LABELS.get(f, 'other (pooled)')}' ({names})."
        )
    mask = complete(factors)
    while categorical and mask.sum() < min_per_term * terms(factors, mask):
        widest = max(categorical, key=lambda f: data.loc[mask, f].nunique())
        factors.remove(widest)
        categorical.remove(widest)
        notes.append(
            f"{survey.FACTOR_LABELS.get(widest, widest)} is left out: there are too few "
            "respondents in the model for its groups (about "
            f"{min_per_term} respondents are needed per estimated term)."
        )
        mask = complete(factors)
    notes += [text for f, text in pooling.items() if f in factors]
    reason = ""
    k = terms(factors, mask)
    if k == 0:
        reason = "no factor varies among the respondents"
    elif mask.sum() < min_per_term * k:
        # no count here: a sentence quotes only published counts (a small one would show)
        reason = (
            f"too few respondents answered {outcome} and every factor: about {min_per_term} "
            "are needed for each estimated term"
        )
    return data, factors, notes, reason


def _fit(
    kind: str,
    study: Study,
    site: str,
    role: str,
    factors: Sequence[str] | None,
    min_cell: int,
    min_per_term: int,
    min_items_answered: survey.MinAnswered = 0.5,
) -> ModelOutcome:
    chosen = tuple(factors) if factors is not None else survey_models.DEFAULT_FACTORS
    where = study.site_label(site)
    key = (
        kind,
        study.fingerprint,
        str(study.folder),
        site,
        role,
        study.plan.survey.outcomes.get(role),
        chosen,
        min_cell,
        min_per_term,
        str(min_items_answered),
    )
    if key in _CACHE:
        return _CACHE[key]
    while len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    outcome = _outcome(kind, study, site, role, chosen, min_cell, min_per_term, min_items_answered)
    outcome.where, outcome.role = where, role
    _CACHE[key] = outcome
    return outcome


def _outcome(
    kind: str,
    study: Study,
    site: str,
    role: str,
    chosen: tuple[str, ...],
    min_cell: int,
    min_per_term: int,
    min_items_answered: survey.MinAnswered,
) -> ModelOutcome:
    """Return the fitted model of one outcome, or why it is not estimated (uncached)."""
    if not survey_tables.has_survey(study):
        return ModelOutcome(None, "this study folder has no survey", chosen)
    construct, why = survey_tables.outcome_construct(study, role)
    if construct is None:
        return ModelOutcome(None, why, chosen)
    data = survey_tables.site_responses(study, site)
    single = survey_tables.single_site(data, site)
    items = study.survey_items
    answer = survey_models.ordinal_outcome(data, items, construct, min_items_answered)
    own = {construct, *survey.construct_items(items)[construct]}
    notes = [f"{f} is left out: it is the outcome itself." for f in chosen if f in own]
    chosen = tuple(f for f in chosen if f not in own)
    prepared, kept, more, reason = _prepare_factors(
        data, answer.values.notna().to_numpy(), answer.name, chosen, single, min_cell, min_per_term
    )
    outcome = ModelOutcome(None, reason, tuple(kept), notes + more, construct=construct)
    if reason:
        return outcome
    labels: dict[str, dict[str, str]] = {"site_id": survey_tables.site_names(study)}
    for f, text in OTHER_LABELS.items():
        labels.setdefault(f, {})[OTHER] = text
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                if kind == "ordinal":
                    result = survey_models.fit_ordinal_model(
                        prepared,
                        items,
                        construct,
                        factors=kept,
                        level_labels=labels,
                        min_items_answered=min_items_answered,
                    )
                else:
                    result = survey_models.fit_scale_ols(
                        prepared,
                        items,
                        construct=construct,
                        factors=kept,
                        level_labels=labels,
                        min_items_answered=min_items_answered,
                    )
    except (ValueError, np.linalg.LinAlgError) as err:
        outcome.reason = str(err).rstrip(".")
        return outcome
    est = result.estimates
    wild = ~np.isfinite(est[["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float))
    if kind == "ordinal":
        wild |= est[["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float) > 1e3
    if wild.any():
        outcome.reason = (
            "some estimates have no upper bound (a group of respondents all gave the "
            "same answer), so the model cannot be trusted"
        )
    else:
        outcome.result = result
    return outcome


def ordinal_model(
    study: Study,
    role: str,
    site: str = ALL_SITES,
    factors: Sequence[str] | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    min_per_term: int = MIN_PER_TERM,
    min_items_answered: survey.MinAnswered = 0.5,
) -> ModelOutcome:
    """Return the ordinal (proportional-odds) model of one outcome for a site or all, or why not.

    ``role`` is an outcome of the study's plan (``"awareness"`` or ``"confidence"``): the
    model explains the construct ``[survey.outcomes]`` of ``study.toml`` names for it - a
    one-item construct on that item's answers, a longer one on its mean score rounded to
    the nearest scale point, halves rounded up (see
    :func:`srim_analysis.analyses.survey_models.ordinal_outcome`). An outcome the plan does
    not map is not modelled (``reason`` says so). The outcome's own construct and items are
    never its factors. Factors default to
    :data:`srim_analysis.analyses.survey_models.DEFAULT_FACTORS`; a single site's model
    drops the site factor. Groups of a categorical factor with fewer than ``min_cell``
    respondents in the model are pooled; categorical factors are left out (widest first)
    until there are about ``min_per_term`` respondents per estimated term. When no factor
    can be estimated, or the fit fails, ``result`` is None and ``reason`` says why.
    """
    return _fit("ordinal", study, site, role, factors, min_cell, min_per_term, min_items_answered)


def ols_model(
    study: Study,
    role: str,
    site: str = ALL_SITES,
    factors: Sequence[str] | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    min_per_term: int = MIN_PER_TERM,
    min_items_answered: survey.MinAnswered = 0.5,
) -> ModelOutcome:
    """Return the linear (OLS, HC3) model of an outcome's scale score, the sensitivity check."""
    return _fit("ols", study, site, role, factors, min_cell, min_per_term, min_items_answered)


def estimates_view(published: pd.DataFrame) -> pd.DataFrame:
    """Return the published estimates without the technical ``term`` / ``factor`` columns."""
    return published.drop(columns=["term", "factor"])


def model_table(result: ModelResult) -> pd.DataFrame:
    """Return the model's estimates, ready to publish: one row per term with its interval.

    A linear model's table adds its R-squared (the same on every row), which its notes quote.
    """
    est = result.estimates.reset_index()
    measure = "odds_ratio" if result.effect_measure == "odds ratio" else "difference"
    out = pd.DataFrame(
        {
            "term": est["term"],
            "factor": est["factor"],
            "label": est["label"],
            measure: est["estimate"].round(3),
            "ci_low": est["ci_low"].round(3),
            "ci_high": est["ci_high"].round(3),
            "p_value": est["p_value"].round(4),
            "n_level": est["n_level"].astype("Int64"),
        }
    )
    if measure == "difference" and result.fit is not None:
        out["r_squared"] = round(float(result.fit.rsquared), 2)  # the fit's, on every row
    return out


def dropped_table(result: ModelResult) -> pd.DataFrame:
    """Return who was in the model and who was left out (and why), with the total."""
    rows = [(r.reason, int(r.n)) for r in result.dropped.itertuples()]
    rows.append(("used in the model", result.n_used))
    rows.append((TOTAL, result.n_total))
    table = pd.DataFrame(rows, columns=["group", "n"])
    table.insert(0, "outcome", result.outcome)
    return table


def predicted_answers(result: ModelResult) -> pd.DataFrame | None:
    """Return the model's predicted % of each answer of its outcome, trained and untrained.

    Everything else is held at a typical value: not having read the advice, the median
    manager support and the reference group of every categorical factor. It reads the
    thresholds and the training odds ratio on the original answer scale.
    """
    if result.thresholds is None or "trained_2024" not in result.estimates.index:
        return None
    fit = result.fit
    exog = np.asarray(fit.model.exog)
    names = list(fit.model.exog_names)[: exog.shape[1]]
    base = np.zeros(len(names))
    for i, name in enumerate(names):
        if name == "manager_support":
            base[i] = float(np.median(exog[:, i]))
    rows = []
    levels = [result.thresholds["below"].iloc[0], *result.thresholds["above"]]
    for value, label in ((0.0, "Not trained on the 2024 advice"), (1.0, "Trained")):
        x = base.copy()
        x[names.index("trained_2024")] = value
        probs = np.asarray(fit.model.predict(fit.params, exog=x[None, :]))[0]
        rows.append(
            {
                "profile": label,
                **{lv: round(100 * p, 1) for lv, p in zip(levels, probs, strict=True)},
            }
        )
    return pd.DataFrame(rows)


def thresholds_table(result: ModelResult) -> pd.DataFrame | None:
    """Return the ordinal model's cut points (log-odds, with intervals), or None for OLS."""
    if result.thresholds is None:
        return None
    table = result.thresholds.reset_index().rename(columns={"threshold": "log_odds"})
    table[["log_odds", "ci_low", "ci_high"]] = table[["log_odds", "ci_low", "ci_high"]].round(3)
    return table


def proportional_odds_table(result: ModelResult) -> pd.DataFrame | None:
    """Return the Brant test per factor and overall, with the terms' labels; None without it."""
    if result.proportional_odds is None:
        return None
    po = result.proportional_odds.reset_index()
    labels = result.estimates["label"].to_dict()
    po.insert(1, "label", [labels.get(t, t) for t in po["term"]])
    po["chi2"] = po["chi2"].round(2)
    po["p_value"] = po["p_value"].round(4)
    return po


# ---------------------------------------------------------------------------
# Plain-English summary
# ---------------------------------------------------------------------------

_BINARY_PHRASES: dict[str, tuple[str, str]] = {
    "trained_2024": ("Practitioners trained on the 2024 advice", "those not trained"),
    "read_advice_2024": ("Practitioners who had read the 2024 advice", "those who had not"),
}
_NUMERIC_PHRASES: dict[str, str] = {
    "manager_support": "Each extra point of manager support (on the 1-5 scale)",
}
_CATEGORY_PHRASES: dict[str, str] = {
    "agency": "practitioners in {level}",
    "role": "respondents working as {level}",
    "years_in_role": "practitioners with {level} in role",
    "site_id": "respondents at site {level}",
}


def _fmt(x: float) -> str:
    return f"{x:.2f}"


def _subject(row: pd.Series, result: ModelResult) -> tuple[str, str]:
    """Return (who, compared with whom) for one estimate row, in plain words."""
    factor, kind = row["factor"], row["kind"]
    if kind == "binary":
        who, other = _BINARY_PHRASES.get(
            factor,
            (
                f"Respondents with {survey.FACTOR_LABELS.get(factor, factor).lower()}",
                "those without",
            ),
        )
        return who, other
    if kind == "numeric":
        return (
            _NUMERIC_PHRASES.get(factor, f"Each one-point increase in {factor}"),
            "",
        )
    template = _CATEGORY_PHRASES.get(factor, f"respondents with {factor} = {{level}}")
    who = template.format(level=row["level_label"])
    other = template.format(level=row["reference_label"]) + " (the reference group)"
    return who[0].upper() + who[1:], other


def summarise_factors(
    model_result: ModelResult, max_factors: int = 3, outcome_phrase: str | None = None
) -> str:
    """Return a plain-English paragraph on the strongest factors with their intervals.

    "Strongest" means the largest effects (furthest from no effect on the log-odds or
    score scale) among those whose interval excludes no effect; per-point effects of
    numeric factors are compared as they stand.
    """
    r = model_result
    pct = round(r.conf_level * 100)
    est = r.estimates.copy()
    ratio = r.effect_measure == "odds ratio"
    null = 1.0 if ratio else 0.0
    est["size"] = np.abs(np.log(est["estimate"])) if ratio else np.abs(est["estimate"])
    clear = est[(est["ci_low"] > null) | (est["ci_high"] < null)].sort_values(
        "size", ascending=False
    )
    phrase = outcome_phrase or f"a higher answer to {r.outcome}"

    def sentence(row: pd.Series) -> str:
        who, other = _subject(row, r)
        ci = f"({pct}% CI {_fmt(row['ci_low'])} to {_fmt(row['ci_high'])})"
        if ratio:
            core = f"{_fmt(row['estimate'])} times the odds {ci} of {phrase}"
            if row["kind"] == "numeric":
                text = f"{who} was associated with {core}"
            else:
                text = f"{who} had {core} compared with {other}"
            if row["estimate"] < 1:
                text += ", that is, lower odds"
            return text + "."
        direction = "higher" if row["estimate"] > 0 else "lower"
        if row["estimate"] < 0:  # state the interval in the direction of the sentence
            ci = f"({pct}% CI {_fmt(-row['ci_high'])} to {_fmt(-row['ci_low'])} lower)"
        core = f"{_fmt(abs(row['estimate']))} points {direction} on the {r.outcome} scale {ci}"
        if row["kind"] == "numeric":
            return f"{who} was associated with a score {core}."
        return f"{who} scored {core} than {other}."

    parts = []
    if clear.empty:
        parts.append(
            f"No factor term had a {pct}% confidence interval that excluded no difference."
        )
        if len(est):
            top = est.sort_values("size", ascending=False).iloc[0]
            parts.append("The largest estimate, which may be chance, was: " + sentence(top))
    else:
        shown = clear.head(max_factors)
        parts.append(
            f"The strongest of the factor terms whose {pct}% confidence interval excluded no "
            f"difference {'was' if len(shown) == 1 else 'were'}:"
        )
        parts += [sentence(row) for _, row in shown.iterrows()]
    parts.append(r.missing_data_statement())
    po = r.proportional_odds
    if po is None and r.proportional_odds_method:
        parts.append(
            "The proportional-odds check (Brant test) could not be computed for these data "
            "(see the model notes), so whether effects differ across the scale is unknown."
        )
    if po is not None and len(po):
        omni = po.iloc[0]
        if omni["p_value"] < 0.05:
            parts.append(
                f"The proportional-odds check (Brant test, p = {omni['p_value']:.3f}) suggests "
                "some effects differ across the answer scale: read the odds ratios as "
                "averages across the scale."
            )
        else:
            parts.append(
                f"The proportional-odds check (Brant test, p = {omni['p_value']:.2f}) found no "
                "clear sign that effects differ across the answer scale."
            )
    return " ".join(parts)
