"""Objective 1: do some service configurations go with better information sharing about fathers?

This module prepares the configurational analysis (QCA) of the study's sites: the outcome
per site from the case audits (or observed meetings), calibrated into a fuzzy set; the
service-configuration features as crisp conditions; the whole chain from anchors to
solutions (:func:`run_qca`, returning a :class:`QCARun`); and the points of the XY and
calibration plots. The set-theoretic work itself is :mod:`srim_analysis.analyses.qca`; the
plots are drawn by :mod:`srim_analysis.charts.configurations`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from srim_analysis.analyses import qca
from srim_analysis.study.contract import SITE_FEATURES
from srim_analysis.study.loading import Study

OUTCOME_SOURCES = ("case_audit", "observations")

#: Short condition names used in QCA expressions (the long feature names are in the legend).
SHORT_NAMES: dict[str, str] = {
    "front_door_mash": "MASH",
    "agencies_colocated": "COLOC",
    "early_help_in_front_door": "EH",
    "family_hubs_programme": "HUBS",
    "hub_maturity": "HUBDEV",
    "earned_autonomy": "EA",
    "families_first_pathfinder": "FF",
    "lead_practitioner_model": "LEADMA",
    "shared_assessment": "SHASS",
    "partner_record_access": "ACCESS",
    "father_inclusion_lead": "FL",
    "father_inclusion_strategy": "FSTRAT",
    "adult_specialists": "ADULT",
    "protocol_refreshed_2024": "PROT",
    "training_2024_advice": "TRAIN",
    "father_fields_in_records": "FIELDS",
    "priority_men_under1": "PRIOR",
    "ilacs_grade": "ILACS",
    "idaci_decile": "IDACI",
}


def short(conditions: Sequence[str]) -> list[str]:
    """Return the short QCA names of site features.

    >>> short(["early_help_in_front_door", "father_inclusion_lead"])
    ['EH', 'FL']
    """
    return [SHORT_NAMES[c] for c in conditions]


def legend(
    conditions: Sequence[str], thresholds: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Return the conditions' short names, features and what 'present' means."""
    thresholds = dict(thresholds or {})
    rows = []
    for c in conditions:
        kind, _maximum, description = SITE_FEATURES[c]
        rule = "1 = yes" if kind == "binary" else f"present when at least {thresholds.get(c)}"
        rows.append(
            {"condition": SHORT_NAMES[c], "feature": c, "meaning": description, "present": rule}
        )
    return pd.DataFrame(rows)


def site_outcome(
    study: Study,
    outcome: str = "father_info_shared",
    source: str = "case_audit",
    since: str | None = None,
) -> pd.DataFrame:
    """Return, per site, the cases with the outcome, the cases recorded and the proportion."""
    if source not in OUTCOME_SOURCES:
        raise ValueError(f"source must be one of {OUTCOME_SOURCES}")
    frame = study.tables[source]
    if outcome not in frame.columns:
        options = [c for c in frame.columns if c.startswith("father_")]
        raise ValueError(f"{source} has no outcome {outcome!r}; choose one of {options}")
    date_col = "audit_date" if source == "case_audit" else "meeting_date"
    if since:
        frame = frame[frame[date_col] >= pd.Timestamp(since)]
    grouped = frame.groupby("site_id")[outcome]
    out = pd.DataFrame({"n_yes": grouped.sum(), "n_cases": grouped.count()})
    out = out.reindex(study.site_ids()).fillna(0).astype(int)
    out["prop"] = (out["n_yes"] / out["n_cases"].replace(0, np.nan)).round(3)
    names = study.sites.set_index("site_id")["display_name"]
    out.insert(0, "site", names.reindex(out.index))
    return out.rename_axis("site_id").reset_index()


def crisp_conditions(
    site_features: pd.DataFrame,
    sites: pd.DataFrame,
    conditions: Sequence[str],
    thresholds: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Return 0/1 conditions per site: binary features as they are, others at a threshold."""
    thresholds = dict(thresholds or {})
    names = sites.set_index("site_id")["display_name"]
    feats = site_features.set_index("site_id")
    out = pd.DataFrame(index=feats.index)
    for cond in conditions:
        if cond not in SITE_FEATURES:
            raise ValueError(f"unknown condition {cond!r}; features are {list(SITE_FEATURES)}")
        kind, maximum, _ = SITE_FEATURES[cond]
        if kind == "binary":
            out[cond] = feats[cond].astype(int)
        else:
            if cond not in thresholds:
                raise ValueError(
                    f"{cond} is ordinal (0-{maximum}): give a threshold in `thresholds`, "
                    f"e.g. {{'{cond}': 1}} for 'at least 1'"
                )
            out[cond] = qca.calibrate_crisp(feats[cond].astype(float), [thresholds[cond]])
    out.index = [names.get(s, s) for s in out.index]
    return out.rename_axis("site")


@dataclass(frozen=True)
class Anchors:
    """Direct-calibration anchors for the outcome (proportions of cases)."""

    exclusion: float
    crossover: float
    inclusion: float

    def describe(self) -> str:
        """Return the anchors in words."""
        return (
            f"fully out at {self.exclusion:.0%} or less, crossover at {self.crossover:.0%}, "
            f"fully in at {self.inclusion:.0%} or more"
        )


def qca_data(
    study: Study,
    conditions: Sequence[str],
    anchors: Anchors,
    outcome: str = "father_info_shared",
    source: str = "case_audit",
    since: str | None = None,
    thresholds: Mapping[str, float] | None = None,
    outcome_name: str = "SHARE",
) -> pd.DataFrame:
    """Return the QCA data: crisp conditions and the calibrated outcome, one row per site."""
    rates = site_outcome(study, outcome, source, since).set_index("site")
    data = crisp_conditions(study.site_features, study.sites, conditions, thresholds)
    data.columns = short(data.columns)
    data[outcome_name] = qca.calibrate(
        rates["prop"].reindex(data.index),
        anchors.exclusion,
        anchors.crossover,
        anchors.inclusion,
    ).round(2)
    return data


def truth_table_view(tt: qca.TruthTable) -> pd.DataFrame:
    """Return the truth table for publication: one row per configuration, sites named.

    The number of sites in a row is a count of local authorities, not of people, so it is
    published as ``sites_in_row`` and not suppressed.
    """
    view = tt.table.reset_index().rename(columns={"n": "sites_in_row"})
    return view


def calibration_table(rates: pd.DataFrame, data: pd.DataFrame, outcome_name: str) -> pd.DataFrame:
    """Return each site's raw proportion beside its calibrated membership."""
    table = rates[["site", "n_yes", "n_cases", "prop"]].copy()
    table["membership"] = table["site"].map(data[outcome_name])
    table["in_set"] = np.where(table["membership"] > 0.5, "in", "out")
    return table


def solution_summary(solutions: Mapping[str, qca.Solution]) -> pd.DataFrame:
    """Return one row per solution type and model: the model and its fit."""
    rows = []
    for kind, sol in solutions.items():
        fit = sol.fit
        for label, model in zip(sol.labels, sol.models, strict=True):
            m = fit.loc[(label, qca.MODEL_ROW)]
            rows.append(
                {
                    "solution": kind,
                    "model": label,
                    "expression": model,
                    "inclS": round(float(m["inclS"]), 3),
                    "PRI": round(float(m["PRI"]), 3),
                    "covS": round(float(m["covS"]), 3),
                }
            )
        if not sol.models:
            rows.append({"solution": kind, "model": "-", "expression": "(no solution)"})
    return pd.DataFrame(rows)


def run_solutions(
    tt: qca.TruthTable, directional: Mapping[str, int] | None
) -> dict[str, qca.Solution]:
    """Return the conservative, parsimonious and (if expectations given) intermediate solutions."""
    out = {
        "conservative": qca.minimize(tt),
        "parsimonious": qca.minimize(tt, remainders=True),
    }
    if directional:
        out["intermediate"] = qca.minimize(tt, remainders=True, directional=dict(directional))
    return out


def directional_short(directional: Mapping[str, int] | None) -> dict[str, int] | None:
    """Return directional expectations keyed by short condition names."""
    if not directional:
        return None
    return {SHORT_NAMES[k]: v for k, v in directional.items()}


def describe(solutions: Mapping[str, qca.Solution], outcome: str) -> str:
    """Return a plain-English paragraph on the solutions found for ``outcome``."""
    parts = []
    for kind, sol in solutions.items():
        if not sol.models:
            parts.append(f"No {kind} solution: no configuration is consistently sufficient.")
            continue
        models = "; ".join(f"`{m}`" for m in sol.models)
        many = (
            f" {len(sol.models)} models explain the data equally well (model ambiguity): "
            if len(sol.models) > 1
            else " "
        )
        parts.append(f"The {kind} solution for {outcome} is{many}{models}.")
    return " ".join(parts)


def planted_configuration_found(
    solutions: Mapping[str, qca.Solution], required: Sequence[str]
) -> bool:
    """Return True if every parsimonious model has a term holding all ``required`` conditions."""
    sol = solutions["parsimonious"]
    for model in sol.models:
        terms = [set(t.strip().split("*")) for t in model.split("+")]
        if not any(set(required) <= t for t in terms):
            return False
    return bool(sol.models)


def calibration_curve(anchors: Anchors, points: int = 201) -> pd.DataFrame:
    """Return the calibration function on a grid of proportions: ``prop`` and ``membership``."""
    grid = np.linspace(0, 1, points)
    membership = qca.calibrate(grid, anchors.exclusion, anchors.crossover, anchors.inclusion)
    return pd.DataFrame({"prop": grid, "membership": membership})


@dataclass(frozen=True)
class XYFit:
    """Each site's membership in an expression (``x``) and the outcome (``y``), with the fit."""

    points: pd.DataFrame
    expression: str
    outcome: str
    consistency: float
    coverage: float


def xy_membership(data: pd.DataFrame, expression: str, outcome: str) -> XYFit:
    """Return the points of an XY plot of ``expression`` against ``outcome``, with their fit."""
    x = pd.Series(qca.parse(expression).evaluate(data), index=data.index)
    y = pd.Series(qca.parse(outcome).evaluate(data), index=data.index)
    whole = qca.fit(expression, data, outcome).loc[qca.EXPRESSION_ROW]
    return XYFit(
        points=pd.DataFrame({"x": x, "y": y}),
        expression=expression,
        outcome=outcome,
        consistency=float(whole["inclS"]),
        coverage=float(whole["covS"]),
    )


def outcome_options(study: Study, source: str = "case_audit") -> list[str]:
    """Return the father-related outcomes that ``source`` records (its ``father_*`` columns)."""
    return [c for c in study.tables[source].columns if c.startswith("father_")]


def binary_features() -> list[str]:
    """Return the site features that are binary (usable as conditions without a threshold)."""
    return [f for f, spec in SITE_FEATURES.items() if spec[0] == "binary"]


@dataclass(frozen=True)
class QCARun:
    """One configurational analysis: its settings and QCA data, with the steps that follow.

    The truth tables and solutions (for the outcome and for its negation) are worked out
    when first asked for, then kept.
    """

    conditions: tuple[str, ...]
    anchors: Anchors
    rates: pd.DataFrame
    data: pd.DataFrame
    outcome: str = "father_info_shared"
    source: str = "case_audit"
    since: str | None = None
    thresholds: Mapping[str, float] = field(default_factory=dict)
    directional: Mapping[str, int] | None = None
    incl_cut: float = 0.8
    n_cut: int = 1
    outcome_name: str = "SHARE"

    @property
    def short_conditions(self) -> list[str]:
        """Return the conditions' short QCA names."""
        return short(self.conditions)

    @property
    def negated_name(self) -> str:
        """Return the name of the negated outcome (``~SHARE``)."""
        return f"~{self.outcome_name}"

    def calibration(self) -> pd.DataFrame:
        """Return each site's raw proportion beside its calibrated membership."""
        return calibration_table(self.rates, self.data, self.outcome_name)

    def legend(self) -> pd.DataFrame:
        """Return the conditions' short names, features and what 'present' means."""
        return legend(self.conditions, self.thresholds)

    def necessity(self) -> pd.DataFrame:
        """Return the necessity of each condition (and its absence) for the outcome."""
        return qca.necessity(self.data, self.outcome_name, self.short_conditions).reset_index()

    def truth_table_for(self, outcome: str) -> qca.TruthTable:
        """Return the truth table of the conditions for ``outcome`` (or its negation, ``~``)."""
        return qca.truth_table(
            self.data, outcome, self.short_conditions, incl_cut=self.incl_cut, n_cut=self.n_cut
        )

    @cached_property
    def truth_table(self) -> qca.TruthTable:
        """Return the truth table for the outcome."""
        return self.truth_table_for(self.outcome_name)

    @cached_property
    def solutions(self) -> dict[str, qca.Solution]:
        """Return the conservative, parsimonious and (with expectations) intermediate solutions."""
        return run_solutions(self.truth_table, directional_short(self.directional))

    @cached_property
    def negated_truth_table(self) -> qca.TruthTable:
        """Return the truth table for the negated outcome."""
        return self.truth_table_for(self.negated_name)

    @cached_property
    def negated(self) -> dict[str, qca.Solution]:
        """Return the conservative and parsimonious solutions for the negated outcome."""
        return run_solutions(self.negated_truth_table, None)


def run_qca(
    study: Study,
    conditions: Sequence[str],
    anchors: Anchors,
    *,
    outcome: str,
    source: str,
    since: str | None,
    thresholds: Mapping[str, float] | None,
    directional: Mapping[str, int] | None,
    incl_cut: float,
    n_cut: int,
) -> QCARun:
    """Return the configurational analysis of the study's sites: outcome rates and QCA data.

    Every setting is named (they are the notebook's parameters); the truth tables and
    solutions follow from the returned :class:`QCARun` when asked for.
    """
    return QCARun(
        conditions=tuple(conditions),
        anchors=anchors,
        rates=site_outcome(study, outcome, source, since),
        data=qca_data(study, conditions, anchors, outcome, source, since, thresholds),
        outcome=outcome,
        source=source,
        since=since,
        thresholds=dict(thresholds or {}),
        directional=dict(directional) if directional else None,
        incl_cut=incl_cut,
        n_cut=n_cut,
    )
