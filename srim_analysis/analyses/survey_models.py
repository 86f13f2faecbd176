"""Models of Objective 3's outcomes: an ordinal model of each and its linear check.

* :func:`ordinal_outcome` - what an ordinal model of a construct models: a one-item
  construct's answers, or a longer construct's mean score rounded to the nearest scale
  point (halves rounded up);
* :func:`fit_ordinal_model` - ordinal (proportional-odds) logistic regression of that
  outcome with odds ratios, thresholds and a Brant test of proportional odds, fitted
  with :func:`ordered_logit` (statsmodels' ``OrderedModel`` with an exact score and
  Hessian);
* :func:`fit_scale_ols` - linear model of the construct's scale score, the sensitivity
  analysis.

Both return a :class:`ModelResult`. What notebook 03 publishes from them (the tables, the
plain-English summary) is in :mod:`srim_analysis.analyses.survey_model_tables`; the
forest plot is :func:`srim_analysis.charts.survey.forest_plot`.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from scipy.special import expit
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from srim_analysis.analyses import survey
from srim_analysis.study.contract import YEARS_IN_ROLE

__all__ = [
    "DEFAULT_FACTORS",
    "NUMERIC_FACTORS",
    "ModelResult",
    "OrdinalOutcome",
    "fit_ordinal_model",
    "fit_scale_ols",
    "ordered_logit",
    "ordinal_outcome",
]

#: Candidate factors of the outcome models (change per analysis).
DEFAULT_FACTORS: tuple[str, ...] = (
    "trained_2024",
    "read_advice_2024",
    "manager_support",
    "agency",
    "years_in_role",
    "site_id",
)
#: Factors that enter the models as numbers (yes/no as 0/1, manager support per point).
NUMERIC_FACTORS = frozenset({"trained_2024", "read_advice_2024", "manager_support"})


@dataclass
class ModelResult:
    """A fitted outcome model: estimates, thresholds, n used and every dropped count."""

    model: str
    outcome: str
    outcome_label: str
    effect_measure: str
    estimates: pd.DataFrame
    n_total: int
    n_used: int
    dropped: pd.DataFrame
    references: dict[str, str]
    thresholds: pd.DataFrame | None = None
    proportional_odds: pd.DataFrame | None = None
    proportional_odds_method: str = ""
    proportional_odds_by_cut: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    fit: Any = None
    conf_level: float = 0.95
    #: How the modelled answer was made from the items (a sentence; empty for one item).
    outcome_rule: str = ""

    def missing_data_statement(self) -> str:
        """Return the complete-case statement: n used of n total and who was dropped, why."""
        text = (
            f"Complete-case analysis: {self.n_used} of {self.n_total} respondents "
            f"used ({self.n_total - self.n_used} left out)."
        )
        parts = [f"{r.n} {r.reason}" for r in self.dropped.itertuples() if r.n > 0]
        if parts:
            text += " Left out, in this order: " + "; ".join(parts) + "."
        return text


def _factor_kinds(data: pd.DataFrame, factors: Sequence[str]) -> dict[str, str]:
    kinds = {}
    for f in factors:
        if f not in data.columns:
            raise ValueError(f"survey_responses has no column {f!r} (a model factor).")
        s = data[f]
        numeric = f in NUMERIC_FACTORS or (
            pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype)
        )
        kinds[f] = "numeric" if numeric else "categorical"
    return kinds


def _factor_values(data: pd.DataFrame, factor: str, kind: str) -> pd.Series:
    s = data[factor]
    if kind == "numeric":
        text = s.astype("string").str.strip()
        num = pd.to_numeric(text.mask(text == ""), errors="coerce")
        bad = text.notna() & (text != "") & num.isna()
        if survey.bool_mask(bad).any():
            raise ValueError(f"Factor {factor}: values that are not numbers.")
        return pd.Series(num.to_numpy(dtype=float, na_value=np.nan), index=s.index)
    text = s.astype("string").str.strip()
    blank = text.isna().to_numpy() | survey.bool_mask(text == "")
    return text.astype(object).where(~blank, np.nan)


def _complete_cases(
    data: pd.DataFrame,
    outcome_status: pd.Series | None,
    outcome_values: pd.Series,
    outcome: str,
    factors: Sequence[str],
    kinds: Mapping[str, str],
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Return (factor values, keep mask, dropped counts by reason in order)."""
    keep = np.ones(len(data), dtype=bool)
    reasons: list[dict[str, Any]] = []
    if outcome_status is not None:
        for status, words in (
            (survey.MISSING, f"gave no answer to {outcome}"),
            (survey.DONT_KNOW_STATUS, f"answered 'don't know' to {outcome}"),
            (survey.NOT_APPLICABLE_STATUS, f"answered 'not applicable' to {outcome}"),
        ):
            hit = keep & (outcome_status.to_numpy() == status)
            reasons.append({"reason": words, "n": int(hit.sum())})
            keep &= ~hit
    else:
        hit = keep & outcome_values.isna().to_numpy()
        reasons.append({"reason": f"had no {outcome} score", "n": int(hit.sum())})
        keep &= ~hit
    values = pd.DataFrame({f: _factor_values(data, f, kinds[f]) for f in factors})
    for f in factors:
        hit = keep & values[f].isna().to_numpy()
        reasons.append(
            {"reason": f"had no answer for '{survey.FACTOR_LABELS.get(f, f)}'", "n": int(hit.sum())}
        )
        keep &= ~hit
    return values, keep, pd.DataFrame(reasons)


@dataclass(frozen=True)
class _Term:
    name: str
    factor: str
    kind: str  # binary | numeric | categorical
    level: str | None
    reference: str | None
    label: str
    level_label: str | None = None
    reference_label: str | None = None


def _design(
    values: pd.DataFrame,
    kinds: Mapping[str, str],
    reference: Mapping[str, str] | None,
    level_labels: Mapping[str, Mapping[str, str]] | None,
) -> tuple[pd.DataFrame, list[_Term], dict[str, str], list[str]]:
    """Return (design matrix, terms, reference levels, notes) for complete cases."""
    cols: dict[str, np.ndarray] = {}
    terms: list[_Term] = []
    refs: dict[str, str] = {}
    notes: list[str] = []
    for f, kind in kinds.items():
        s = values[f]
        flabel = survey.FACTOR_LABELS.get(f, f)
        if kind == "numeric":
            x = s.to_numpy(dtype=float)
            if np.nanstd(x) == 0:
                notes.append(f"{flabel} is the same for everyone in the model: left out.")
                continue
            binary = set(np.unique(x)) <= {0.0, 1.0}
            label = f"{flabel} (yes vs no)" if binary else f"{flabel}, per point"
            cols[f] = x
            terms.append(_Term(f, f, "binary" if binary else "numeric", None, None, label))
            continue
        counts = s.value_counts()
        if f == "years_in_role":
            levels = [lv for lv in YEARS_IN_ROLE if lv in counts.index]
            levels += sorted(lv for lv in counts.index if lv not in YEARS_IN_ROLE)
        else:
            levels = sorted(counts.index)
        if len(levels) < 2:
            notes.append(f"{flabel} has one value among those in the model: left out.")
            continue
        ref = (reference or {}).get(f)
        if ref is None:
            if f == "years_in_role":
                ref = levels[0]
            else:
                top = counts.max()
                ref = sorted(lv for lv in levels if counts[lv] == top)[0]
        elif ref not in levels:
            raise ValueError(
                f"Reference level {ref!r} for {f} is not among the values in the model: "
                f"{', '.join(levels)}."
            )
        refs[f] = ref
        ref_label = survey.level_label(f, ref, level_labels)
        for lv in levels:
            if lv == ref:
                continue
            name = f"{f}[{lv}]"
            cols[name] = (s == lv).to_numpy(dtype=float)
            lv_label = survey.level_label(f, lv, level_labels)
            label = f"{flabel}: {lv_label} (vs {ref_label})"
            terms.append(_Term(name, f, "categorical", lv, ref, label, lv_label, ref_label))
    design = pd.DataFrame(cols, index=values.index)
    if design.shape[1] and np.linalg.matrix_rank(design.to_numpy()) < design.shape[1]:
        raise ValueError(
            "Some factors are perfectly confounded with each other among the respondents "
            "in the model (for example every respondent of one agency is at one site): "
            "leave one of them out."
        )
    return design, terms, refs, notes


def _estimates_table(
    terms: Sequence[_Term],
    est: pd.Series,
    low: pd.Series,
    high: pd.Series,
    p: pd.Series,
    n_by_term: Mapping[str, int],
) -> pd.DataFrame:
    rows = [
        {
            "term": t.name,
            "factor": t.factor,
            "kind": t.kind,
            "level": t.level,
            "reference": t.reference,
            "label": t.label,
            "level_label": t.level_label,
            "reference_label": t.reference_label,
            "estimate": float(est[t.name]),
            "ci_low": float(low[t.name]),
            "ci_high": float(high[t.name]),
            "p_value": float(p[t.name]),
            "n_level": n_by_term.get(t.name),
        }
        for t in terms
    ]
    return pd.DataFrame(rows).set_index("term")


def _level_counts(design: pd.DataFrame, terms: Sequence[_Term]) -> dict[str, int]:
    return {t.name: int(design[t.name].sum()) for t in terms if t.kind in ("binary", "categorical")}


def _brant(
    y: np.ndarray, design: pd.DataFrame, levels: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (Brant Wald tests per term and omnibus, odds ratios of the binary logit per cut).

    Brant (1990): fit a separate binary logit of ``Y > j`` for each cut ``j``, then test
    that the slopes are equal across cuts with a Wald test that uses the covariance of
    the estimates between cuts.
    """
    x = sm.add_constant(design.to_numpy(dtype=float), has_constant="add")
    p = x.shape[1] - 1
    cuts = len(levels) - 1
    betas, pis, infos = [], [], []
    for j in range(cuts):
        z = (y > j).astype(float)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = sm.Logit(z, x).fit(disp=False, maxiter=200)
        pi = fit.predict(x)
        trouble = [
            w
            for w in caught
            if issubclass(w.category, (ConvergenceWarning, PerfectSeparationWarning))
        ]
        if (
            trouble
            or not fit.mle_retvals.get("converged", True)
            or pi.min() < 1e-8
            or (pi.max() > 1 - 1e-8)
        ):
            raise ValueError(
                f"the binary logit for answers above '{levels[j]}' does not converge "
                "(some factor separates the answers perfectly)"
            )
        betas.append(fit.params)
        pis.append(pi)
        infos.append(np.linalg.inv(x.T @ (x * (pi * (1 - pi))[:, None])))
    names = list(design.columns)
    by_cut = pd.DataFrame(
        {f"> {levels[j]}": np.exp(betas[j][1:]) for j in range(cuts)}, index=names
    )
    # Joint covariance of the slope estimates (intercepts removed).
    var = np.zeros((cuts * p, cuts * p))
    for j in range(cuts):
        for m in range(j, cuts):
            w = pis[m] * (1 - pis[j])
            block = infos[j] @ (x.T @ (x * w[:, None])) @ infos[m]
            block = block[1:, 1:]
            var[j * p : (j + 1) * p, m * p : (m + 1) * p] = block
            var[m * p : (m + 1) * p, j * p : (j + 1) * p] = block.T
    stacked = np.concatenate([b[1:] for b in betas])

    def wald(cols: Sequence[int]) -> tuple[float, int, float]:
        d_rows = []
        for j in range(1, cuts):
            for c in cols:
                row = np.zeros(cuts * p)
                row[c] = 1.0
                row[j * p + c] = -1.0
                d_rows.append(row)
        d = np.array(d_rows)
        diff = d @ stacked
        stat = float(diff @ np.linalg.pinv(d @ var @ d.T) @ diff)
        df = len(d_rows)
        return stat, df, float(stats.chi2.sf(stat, df))

    rows = []
    omnibus = wald(range(p))
    rows.append(
        {
            "term": "all factors (omnibus)",
            "chi2": omnibus[0],
            "df": omnibus[1],
            "p_value": omnibus[2],
        }
    )
    for i, name in enumerate(names):
        stat, df, pv = wald([i])
        rows.append({"term": name, "chi2": stat, "df": df, "p_value": pv})
    return pd.DataFrame(rows).set_index("term"), by_cut


class _OrderedLogit(OrderedModel):  # type: ignore[misc]
    """statsmodels' ordered logit with an exact score and Hessian (see :func:`ordered_logit`)."""

    def _parts(self, params: Any) -> dict[str, Any]:
        """Per-observation derivatives of log P(y) with respect to its two bounds."""
        params = np.asarray(params, dtype=float)
        low, upp = self._bounds(params)
        f_low, f_upp = expit(low), expit(upp)
        prob = f_upp - f_low + 1e-20  # as in loglikeobs
        d_low, d_upp = f_low * (1 - f_low), f_upp * (1 - f_upp)  # 0 at infinite bounds
        y = np.asarray(self.endog, dtype=int)
        n_cut = self.k_levels - 1
        exog = np.asarray(self.exog, dtype=float)
        return {
            "params": params,
            "exog": exog,
            "y": y,
            "n_cut": n_cut,
            "upper": y < n_cut,  # the upper bound of answer y is cut y
            "lower": y > 0,  # the lower bound of answer y is cut y - 1
            "g_upp": d_upp / prob,
            "g_low": -d_low / prob,
            "h_upp": d_upp * (1 - 2 * f_upp) / prob - (d_upp / prob) ** 2,
            "h_low": -d_low * (1 - 2 * f_low) / prob - (d_low / prob) ** 2,
            "h_both": d_upp * d_low / prob**2,
            # cut_m = a_0 + sum_{i=1..m} exp(a_i)
            "exp_a": np.r_[1.0, np.exp(params[exog.shape[1] + 1 :])],
        }

    @staticmethod
    def _cut_jacobian(q: dict[str, Any]) -> np.ndarray:
        n_cut = q["n_cut"]
        jac = np.tril(np.ones((n_cut, n_cut))) * q["exp_a"][None, :]
        jac[:, 0] = 1.0
        return jac

    def score_obs(self, params: Any) -> np.ndarray:
        """Return the exact score per observation (rows) and parameter (columns)."""
        q = self._parts(params)
        g_beta = (-(q["g_upp"] + q["g_low"]))[:, None] * q["exog"]
        rows = np.arange(len(q["y"]))
        g_cut = np.zeros((len(q["y"]), q["n_cut"]))
        up, lo, y = q["upper"], q["lower"], q["y"]
        g_cut[rows[up], y[up]] += q["g_upp"][up]
        g_cut[rows[lo], y[lo] - 1] += q["g_low"][lo]
        return np.column_stack([g_beta, g_cut @ self._cut_jacobian(q)])

    def score(self, params: Any) -> np.ndarray:
        """Return the exact score (gradient of the log-likelihood)."""
        return self.score_obs(params).sum(axis=0)

    def hessian(self, params: Any) -> np.ndarray:
        """Return the exact Hessian of the log-likelihood."""
        q = self._parts(params)
        x, y, n_cut = q["exog"], q["y"], q["n_cut"]
        up, lo = q["upper"], q["lower"]
        a, b, c = q["h_upp"], q["h_low"], q["h_both"]
        # the linear predictor moves both bounds down together
        h_bb = x.T @ (x * (a + 2 * c + b)[:, None])
        cross = np.zeros((len(y), n_cut))  # d2 / (d xb d cut_m), per observation
        rows = np.arange(len(y))
        cross[rows[up], y[up]] -= (a + c)[up]
        cross[rows[lo], y[lo] - 1] -= (c + b)[lo]
        h_bc = x.T @ cross
        h_cc = np.zeros((n_cut, n_cut))
        np.add.at(h_cc, (y[up], y[up]), a[up])
        np.add.at(h_cc, (y[lo] - 1, y[lo] - 1), b[lo])
        both = up & lo
        np.add.at(h_cc, (y[both], y[both] - 1), c[both])
        np.add.at(h_cc, (y[both] - 1, y[both]), c[both])
        jac = self._cut_jacobian(q)
        g_cut = np.zeros(n_cut)
        np.add.at(g_cut, y[up], q["g_upp"][up])
        np.add.at(g_cut, y[lo] - 1, q["g_low"][lo])
        h_aa = jac.T @ h_cc @ jac
        # second derivative of cut_m in a_i (i >= 1, i <= m) is exp(a_i)
        tail = g_cut[::-1].cumsum()[::-1]
        h_aa[np.arange(1, n_cut), np.arange(1, n_cut)] += (q["exp_a"] * tail)[1:]
        h_ba = h_bc @ jac
        return np.block([[h_bb, h_ba], [h_ba.T, h_aa]])


def ordered_logit(endog: pd.Series, exog: pd.DataFrame) -> Any:
    """Return statsmodels' ``OrderedModel`` (logit) with an analytic score and Hessian.

    statsmodels differentiates the ordered logit numerically: each gradient costs one
    log-likelihood per parameter and the Hessian one per pair, so a model with a factor of
    many levels (150 sites) takes minutes. Here the score and the Hessian are exact
    (derived below for statsmodels' parameters: coefficients, first cut, log-increments of
    the later cuts). Fits agree with ``OrderedModel`` to numerical precision (tested).
    """
    return _OrderedLogit(endog, exog, distr="logit")


@dataclass(frozen=True)
class OrdinalOutcome:
    """The answer an ordinal model explains: values on the scale, levels, and how made."""

    name: str
    label: str
    levels: tuple[str, ...]
    scale_min: int
    values: pd.Series
    status: pd.Series | None
    rule: str = ""
    no_value: str = ""


def ordinal_outcome(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    outcome: str,
    min_items_answered: survey.MinAnswered = 0.5,
) -> OrdinalOutcome:
    """Return the answer an ordinal model of ``outcome`` explains, per respondent.

    ``outcome`` is a construct of ``survey_items`` or an item id. A construct of one item
    is modelled on that item's answers (don't know and not applicable left out, and
    counted). A construct of several items is modelled on its scale score (the mean of the
    statements a respondent rated, reverse-scored ones recoded, given when they rated at
    least ``min_items_answered`` of them) rounded to the nearest point of the scale, halves
    rounded up (3.5 counts as 4): the model then explains that rounded score.

    >>> items = pd.DataFrame({"item_id": ["Q1", "Q2"], "construct": ["zeal", "zeal"],
    ...     "wording": ["w", "v"], "reverse_keyed": [0, 0], "scale_min": [1, 1],
    ...     "scale_max": [3, 3], "labels": ["Low|Mid|High"] * 2, "allows_dont_know": [1, 1],
    ...     "allows_not_applicable": [0, 0]})
    >>> resp = pd.DataFrame({"Q1": ["3", "1", "dk"], "Q2": ["2", "1", "dk"]})
    >>> ordinal_outcome(resp, items, "zeal").values.tolist()
    [3.0, 1.0, nan]
    >>> ordinal_outcome(resp, items, "Q2").values.tolist()
    [2.0, 1.0, nan]
    """
    groups = survey.construct_items(items)
    info = survey.item_info(items)
    if outcome in groups and len(groups[outcome]) > 1:
        ids = groups[outcome]
        first = info[ids[0]]
        scores = survey.scale_scores(responses, items, min_items_answered, [outcome])
        report = scores.attrs["report"]
        need = int(report.loc[outcome, "min_items_required"])
        rounded = np.floor(scores[outcome].to_numpy(dtype=float) + 0.5)
        data = survey.by_respondent(responses)
        return OrdinalOutcome(
            name=outcome,
            label="the mean of its statements, rounded to the nearest answer",
            levels=first.labels,
            scale_min=first.scale_min,
            values=pd.Series(rounded, index=data.index),
            status=None,
            rule=(
                f"{outcome} has several statements, so the model explains each respondent's "
                "mean score on them (reverse-scored statements recoded; given only to those "
                "who rated enough of them, as for the scale scores) rounded to the nearest "
                "answer, halves rounded up"
            ),
            no_value=f"had no {outcome} score (rated fewer than {need} of its {len(ids)} items)",
        )
    item = groups[outcome][0] if outcome in groups else outcome
    if item not in info:
        raise ValueError(f"Not a construct or item of survey_items: {outcome}.")
    data, _, _ = survey.select_items(responses, items, [item])
    it = info[item]
    values, status = survey.parse_item(data[item], it)
    return OrdinalOutcome(item, it.wording, it.labels, it.scale_min, values, status)


def fit_ordinal_model(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    outcome: str,
    factors: Sequence[str] = DEFAULT_FACTORS,
    reference: Mapping[str, str] | None = None,
    level_labels: Mapping[str, Mapping[str, str]] | None = None,
    conf_level: float = 0.95,
    check_proportional_odds: bool = True,
    min_items_answered: survey.MinAnswered = 0.5,
) -> ModelResult:
    """Return odds ratios (95% CI), thresholds and a Brant test from an ordinal logit.

    The model is a proportional-odds (cumulative logit) regression, statsmodels
    ``OrderedModel`` with ``distr="logit"``, of ``outcome`` (a construct or an item; see
    :func:`ordinal_outcome` for what is modelled) on ``factors``. An odds ratio above 1
    means higher odds of a *higher* answer. ``trained_2024``, ``read_advice_2024`` and
    ``manager_support`` (and any other numeric column) enter as numbers - per point for
    manager support; text columns enter as categories against a reference level:
    ``reference`` if given, else the lowest band for ``years_in_role`` and the most common
    value for the others (stated in ``result.references`` and in every label). Only
    complete cases are used; ``dk`` and ``na`` answers to the outcome are left out and
    counted (``result.dropped``). Answer levels nobody chose are dropped from the outcome
    (noted).

    ``result.thresholds`` are the cut points on the latent logit scale, converted from
    statsmodels' parameterisation (first cut as is, later ones as log-increments: cut_j
    = cut_1 + sum of exp(increments)) with delta-method intervals. The proportional-odds
    check is the Brant (1990) Wald test comparing separate binary logits at each cut
    (``result.proportional_odds``; the per-cut odds ratios are in
    ``result.proportional_odds_by_cut``).
    """
    answer = ordinal_outcome(responses, items, outcome, min_items_answered)
    outcome = answer.name
    data = survey.by_respondent(responses)
    values, status = answer.values, answer.status
    kinds = _factor_kinds(data, factors)
    fvalues, keep, dropped = _complete_cases(data, status, values, outcome, factors, kinds)
    if answer.no_value:
        dropped.loc[0, "reason"] = answer.no_value
    design, terms, refs, notes = _design(fvalues[keep], kinds, reference, level_labels)
    if not terms:
        raise ValueError("No factor varies among the respondents in the model.")
    codes = (values[keep] - answer.scale_min).astype(int).to_numpy()
    used_codes = sorted(set(codes))
    unused = [answer.levels[c] for c in range(len(answer.levels)) if c not in used_codes]
    if unused:
        notes.append(
            "Nobody in the model chose "
            + ", ".join(f"'{u}'" for u in unused)
            + ": the outcome has only the answers given."
        )
    if len(used_codes) < 3:
        raise ValueError(
            f"{outcome} has fewer than three different answers among the respondents in the "
            "model: an ordinal model is not useful; compare proportions instead."
        )
    levels = [answer.levels[c] for c in used_codes]
    recode = {c: i for i, c in enumerate(used_codes)}
    y = np.array([recode[c] for c in codes])
    endog = pd.Series(
        pd.Categorical.from_codes(y, categories=levels, ordered=True), index=design.index
    )
    model = ordered_logit(endog, design)
    fit = model.fit(method="newton", disp=False, maxiter=200)
    if not fit.mle_retvals.get("converged", True):
        notes.append("The model fit did not fully converge: treat the estimates with caution.")
    a = 1 - conf_level
    ci = fit.conf_int(alpha=a)
    est = np.exp(fit.params)
    table = _estimates_table(
        terms, est, np.exp(ci[0]), np.exp(ci[1]), fit.pvalues, _level_counts(design, terms)
    )
    # Thresholds: statsmodels keeps cut_1 and log-increments; convert and delta-method SEs.
    k_exog = design.shape[1]
    raw = fit.params.to_numpy()
    cuts = model.transform_threshold_params(raw)[1:-1]
    cov = np.asarray(fit.cov_params())[k_exog:, k_exog:]
    n_cut = len(cuts)
    jac = np.zeros((n_cut, n_cut))
    jac[:, 0] = 1.0
    for j in range(1, n_cut):
        jac[j, 1 : j + 1] = np.exp(raw[k_exog + 1 : k_exog + j + 1])
    se = np.sqrt(np.diag(jac @ cov @ jac.T))
    zcrit = stats.norm.ppf(1 - a / 2)
    thresholds = pd.DataFrame(
        {
            "below": levels[:-1],
            "above": levels[1:],
            "threshold": cuts,
            "ci_low": cuts - zcrit * se,
            "ci_high": cuts + zcrit * se,
        },
        index=pd.Index([f"{lo} | {hi}" for lo, hi in itertools.pairwise(levels)], name="cut"),
    )
    result = ModelResult(
        model="ordinal logistic regression (proportional odds, logit link)",
        outcome=outcome,
        outcome_label=answer.label,
        effect_measure="odds ratio",
        estimates=table,
        n_total=len(data),
        n_used=int(keep.sum()),
        dropped=dropped,
        references=refs,
        thresholds=thresholds,
        notes=notes,
        fit=fit,
        conf_level=conf_level,
        outcome_rule=answer.rule,
    )
    if check_proportional_odds:
        result.proportional_odds_method = (
            "Brant (1990) Wald test: separate binary logits of 'answer above each cut', "
            "slopes compared across cuts; a small p-value suggests the factor's effect "
            "differs across the scale."
        )
        simple = [t.name for t in terms if t.kind != "categorical"]
        try:
            result.proportional_odds, result.proportional_odds_by_cut = _brant(y, design, levels)
        except (np.linalg.LinAlgError, ValueError) as err:
            reason = str(err)
            if simple and len(simple) < len(terms):
                try:
                    result.proportional_odds, result.proportional_odds_by_cut = _brant(
                        y, design[simple], levels
                    )
                    labels = ", ".join(survey.FACTOR_LABELS.get(t, t) for t in simple)
                    result.proportional_odds_method += (
                        f" Checked on a reduced model with only: {labels} (with every factor, "
                        f"{reason})."
                    )
                    notes.append(
                        "The proportional-odds (Brant) test was run on the numeric and yes/no "
                        f"factors only ({labels}): with the categorical factors too, {reason}."
                    )
                except (np.linalg.LinAlgError, ValueError) as err2:
                    notes.append(
                        f"The proportional-odds (Brant) test could not be computed: {err2}"
                    )
            else:
                notes.append(f"The proportional-odds (Brant) test could not be computed: {reason}")
        if result.proportional_odds is not None and np.bincount(y).min() < 10:
            notes.append(
                "Some answers were chosen by fewer than 10 respondents: the Brant test is "
                "unreliable with sparse categories."
            )
    return result


def fit_scale_ols(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    construct: str,
    factors: Sequence[str] = DEFAULT_FACTORS,
    reference: Mapping[str, str] | None = None,
    level_labels: Mapping[str, Mapping[str, str]] | None = None,
    min_items_answered: survey.MinAnswered = 0.5,
    conf_level: float = 0.95,
) -> ModelResult:
    """Return differences in mean scale score (95% CI) from an OLS of ``construct``'s score.

    The sensitivity analysis for :func:`fit_ordinal_model`: the construct's scale
    score (:func:`scale_scores` with ``min_items_answered``) regressed on the same
    factors, with HC3 heteroscedasticity-robust standard errors. Respondents without a
    score (too few items answered) or with a missing factor are left out and counted.
    """
    scores = survey.scale_scores(responses, items, min_items_answered, [construct])
    report = scores.attrs["report"]
    data = survey.by_respondent(responses)
    kinds = _factor_kinds(data, factors)
    y_all = scores[construct].reindex(data.index)
    fvalues, keep, dropped = _complete_cases(data, None, y_all, construct, factors, kinds)
    dropped.loc[0, "reason"] = (
        f"had no {construct} score (answered fewer than "
        f"{int(report.loc[construct, 'min_items_required'])} of its "
        f"{int(report.loc[construct, 'n_items'])} items)"
    )
    design, terms, refs, notes = _design(fvalues[keep], kinds, reference, level_labels)
    if not terms:
        raise ValueError("No factor varies among the respondents in the model.")
    y = y_all[keep].to_numpy(dtype=float)
    fit = sm.OLS(y, sm.add_constant(design, has_constant="add")).fit(cov_type="HC3")
    ci = fit.conf_int(alpha=1 - conf_level)
    table = _estimates_table(
        terms, fit.params, ci[0], ci[1], fit.pvalues, _level_counts(design, terms)
    )
    notes.append(f"HC3 robust standard errors; R-squared {fit.rsquared:.2f}.")
    return ModelResult(
        model="linear regression (OLS) of the scale score",
        outcome=construct,
        outcome_label=f"{construct} scale score (mean of items)",
        effect_measure="difference in mean score",
        estimates=table,
        n_total=len(data),
        n_used=int(keep.sum()),
        dropped=dropped,
        references=refs,
        notes=notes,
        fit=fit,
        conf_level=conf_level,
    )
