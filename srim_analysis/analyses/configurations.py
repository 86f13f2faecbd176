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
from dataclasses import astuple, dataclass, field, fields
from functools import cached_property

import numpy as np
import pandas as pd

from srim_analysis.analyses import qca
from srim_analysis.study.contract import SITE_FEATURES
from srim_analysis.study.loading import Study
from srim_analysis.study.plan import DEFAULT_INCL_CUT, DEFAULT_N_CUT, QCAPlan

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
    conditions: Sequence[str],
    thresholds: Mapping[str, float] | None = None,
    constant: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Return the conditions' short names, features, what 'present' means and if they are used.

    ``constant`` ({feature: value}, see :func:`constant_conditions`) marks the conditions left
    out of the analysis because they take one value at every site.
    """
    thresholds = dict(thresholds or {})
    constant = dict(constant or {})
    rows = []
    for c in conditions:
        kind, _maximum, description = SITE_FEATURES[c]
        rule = "1 = yes" if kind == "binary" else f"present when at least {thresholds.get(c)}"
        used = "yes"
        if c in constant:
            used = f"no: {'present' if constant[c] else 'absent'} at every site"
        rows.append(
            {
                "condition": SHORT_NAMES[c],
                "feature": c,
                "meaning": description,
                "present": rule,
                "in_analysis": used,
            }
        )
    return pd.DataFrame(rows)


def constant_conditions(crisp: pd.DataFrame, conditions: Sequence[str]) -> dict[str, int]:
    """Return {condition: its value} for the conditions with one value (0 or 1) at every site.

    A constant condition cannot tell sites apart: the analysis leaves it out of the truth
    table, the solutions, the necessity table and the sensitivity grid, and says so.

    >>> crisp = pd.DataFrame({"A": [1, 1, 1], "B": [0, 1, 0], "C": [0, 0, 0]})
    >>> constant_conditions(crisp, ["A", "B", "C"])
    {'A': 1, 'C': 0}
    """
    out = {}
    for c in conditions:
        values = crisp[c].dropna().unique()
        if len(values) == 1:
            out[c] = int(values[0])
    return out


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
    rates = site_outcome(study, outcome, source, since)
    data = crisp_conditions(study.site_features, study.sites, conditions, thresholds)
    data.columns = short(data.columns)
    data[outcome_name] = calibrated_outcome(rates, data.index, anchors)
    return data


def calibrated_outcome(rates: pd.DataFrame, sites: pd.Index, anchors: Anchors) -> pd.Series:
    """Return each site's membership in the outcome set (``rates`` of :func:`site_outcome`)."""
    prop = rates.set_index("site")["prop"].reindex(sites)
    return qca.calibrate(prop, anchors.exclusion, anchors.crossover, anchors.inclusion).round(2)


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


#: What a solution type is when no truth-table row is sufficient (nothing to explain).
NO_SOLUTION = "(no solution)"


def solution_summary(solutions: Mapping[str, qca.Solution | None]) -> pd.DataFrame:
    """Return one row per solution type and model: the model and its fit."""
    rows = []
    for kind, sol in solutions.items():
        if sol is None or not sol.models:
            rows.append({"solution": kind, "model": "-", "expression": NO_SOLUTION})
            continue
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
    return pd.DataFrame(rows)


def minimize_or_none(
    tt: qca.TruthTable, remainders: bool = False, directional: Mapping[str, int] | None = None
) -> qca.Solution | None:
    """Return :func:`qca.minimize` of ``tt``, or None when no row is sufficient."""
    if not tt.rows_with(1):
        return None
    return qca.minimize(tt, remainders=remainders, directional=directional)


def run_solutions(
    tt: qca.TruthTable, directional: Mapping[str, int] | None
) -> dict[str, qca.Solution | None]:
    """Return the conservative, parsimonious and (if expectations given) intermediate solutions.

    A solution is None when no truth-table row is sufficient for the outcome.
    """
    out = {
        "conservative": minimize_or_none(tt),
        "parsimonious": minimize_or_none(tt, remainders=True),
    }
    if directional:
        out["intermediate"] = minimize_or_none(tt, remainders=True, directional=dict(directional))
    return out


def directional_short(directional: Mapping[str, int] | None) -> dict[str, int] | None:
    """Return directional expectations keyed by short condition names."""
    if not directional:
        return None
    return {SHORT_NAMES[k]: v for k, v in directional.items()}


def describe(solutions: Mapping[str, qca.Solution | None], outcome: str) -> str:
    """Return a plain-English paragraph on the solutions found for ``outcome``."""
    parts = []
    for kind, sol in solutions.items():
        if sol is None or not sol.models:
            parts.append(f"No {kind} solution: no configuration is consistently sufficient.")
            continue
        models = "; ".join(f"`{m}`" for m in sol.models)
        if len(sol.models) > 1:
            parts.append(
                f"The {kind} solution for {outcome} has several models that explain the data "
                f"equally well (model ambiguity): {models}."
            )
        else:
            parts.append(f"The {kind} solution for {outcome} is {models}.")
    return " ".join(parts)


def planted_configuration_found(
    solutions: Mapping[str, qca.Solution], required: Sequence[str]
) -> bool:
    """Return True if every parsimonious model has a term holding all ``required`` conditions."""
    sol = solutions["parsimonious"]
    if sol is None:
        return False
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


def xy_table(rates: pd.DataFrame, xy: XYFit) -> pd.DataFrame:
    """Return the XY plot's points with each site's outcome counts, for publication.

    One row per site: ``site``, ``n_yes`` and ``n_cases`` (the outcome's counts, as in the
    calibration table), ``x`` and ``y`` (memberships), and the expression's ``consistency``
    and ``coverage``. Published with ``y`` depending on the counts, a site whose outcome
    count is hidden has no point.
    """
    counts = rates.set_index("site")[["n_yes", "n_cases"]].reindex(xy.points.index)
    table = pd.concat([counts, xy.points], axis=1).rename_axis("site").reset_index()
    table["consistency"] = round(xy.consistency, 3)
    table["coverage"] = round(xy.coverage, 3)
    return table


@dataclass(frozen=True)
class QCASettings:
    """The settings of one configurational analysis (the plan's, or a user's in their place)."""

    outcome: str
    anchors: Anchors
    conditions: tuple[str, ...]
    source: str = "case_audit"
    since: str | None = None
    thresholds: Mapping[str, float] = field(default_factory=dict)
    directional: Mapping[str, int] | None = None
    incl_cut: float = DEFAULT_INCL_CUT
    n_cut: int = DEFAULT_N_CUT


@dataclass(frozen=True)
class NoQCA:
    """Why there is no configurational analysis (said in place of every QCA section)."""

    reason: str


#: What the sections say when neither the study's plan nor the notebook sets up the QCA.
NO_PLAN = (
    "This study's `study.toml` has no `[qca]` section, and the notebook's parameters do not "
    "give {missing}, so there is no configurational analysis (QCA). Add a `[qca]` section to "
    "the study folder's `study.toml` (outcome, anchors, conditions; see "
    "docs/analysis-plan.md and `srim template`), or set the parameters in this notebook. "
    "The typology above does not need it."
)


def qca_settings(
    plan: QCAPlan | None,
    *,
    outcome: str | None = None,
    outcome_source: str | None = None,
    outcome_since: str | None = None,
    anchors: Sequence[float] | Anchors | None = None,
    conditions: Sequence[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    directional: Mapping[str, int] | None = None,
    incl_cut: float | None = None,
    n_cut: int | None = None,
) -> QCASettings | NoQCA:
    """Return the QCA settings: each one given here, else the plan's; NoQCA if some are missing.

    Every argument left None is taken from the study's ``[qca]`` plan; without a plan, the
    outcome, the anchors and the conditions must be given, and the rest takes the method's
    conventions (case audits from the start, consistency 0.8, one site per row).
    """
    given = {"outcome": outcome, "anchors": anchors, "conditions": conditions}
    if plan is None:
        missing = [k for k, v in given.items() if v is None]
        if missing:
            return NoQCA(NO_PLAN.format(missing=", ".join(f"`{m}`" for m in missing)))

    def pick(value: object, key: str, default: object = None) -> object:
        if value is not None:
            return value
        return getattr(plan, key) if plan is not None else default

    anchor = pick(anchors, "anchors")
    return QCASettings(
        outcome=str(pick(outcome, "outcome")),
        anchors=anchor if isinstance(anchor, Anchors) else Anchors(*anchor),  # type: ignore[misc]
        conditions=tuple(pick(conditions, "conditions")),  # type: ignore[arg-type]
        source=str(pick(outcome_source, "outcome_source", "case_audit")),
        since=pick(outcome_since, "outcome_since"),  # type: ignore[arg-type]
        thresholds=dict(pick(thresholds, "thresholds", {})),  # type: ignore[arg-type]
        directional=dict(pick(directional, "directional", {})) or None,  # type: ignore[arg-type]
        incl_cut=float(pick(incl_cut, "incl_cut", DEFAULT_INCL_CUT)),  # type: ignore[arg-type]
        n_cut=int(pick(n_cut, "n_cut", DEFAULT_N_CUT)),  # type: ignore[arg-type]
    )


#: The sensitivity grid: shifts of all three anchors (proportions) and consistency cut-offs.
ANCHOR_SHIFTS: tuple[float, ...] = (-0.10, -0.05, 0.0, 0.05, 0.10)
INCL_CUTS: tuple[float, ...] = (0.75, 0.8, 0.85, 0.9)


def shifted_anchors(anchors: Anchors, shifts: Sequence[float] = ANCHOR_SHIFTS) -> list[Anchors]:
    """Return the anchor sets with all three anchors moved by each shift (those within 0-1).

    >>> [a.crossover for a in shifted_anchors(Anchors(0.1, 0.3, 0.5), (-0.2, -0.1, 0.0, 0.1))]
    [0.2, 0.3, 0.4]
    """
    out = []
    for d in shifts:
        moved = anchors if d == 0 else Anchors(*(round(a + d, 3) for a in astuple(anchors)))
        if moved.exclusion >= 0 and moved.inclusion <= 1:
            out.append(moved)
    return out


@dataclass(frozen=True, kw_only=True)
class QCARun(QCASettings):
    """One configurational analysis: its settings and QCA data, with the steps that follow.

    Conditions with one value at every site (:attr:`constant`) are left out of the truth
    tables, solutions, necessity and sensitivity (:attr:`used_conditions`). The truth tables
    and solutions (for the outcome and for its negation) are worked out when first asked
    for, then kept.
    """

    rates: pd.DataFrame
    data: pd.DataFrame
    outcome_name: str = "SHARE"

    @property
    def short_conditions(self) -> list[str]:
        """Return the conditions' short QCA names."""
        return short(self.conditions)

    @cached_property
    def constant(self) -> dict[str, int]:
        """Return {feature: value} for the conditions with one value at every site."""
        crisp = self.data[self.short_conditions].set_axis(list(self.conditions), axis=1)
        return constant_conditions(crisp, self.conditions)

    @property
    def used_conditions(self) -> list[str]:
        """Return the conditions the analysis uses (those that vary across the sites)."""
        return [c for c in self.conditions if c not in self.constant]

    @property
    def used_short(self) -> list[str]:
        """Return the short names of the conditions the analysis uses."""
        return short(self.used_conditions)

    @property
    def used_directional(self) -> dict[str, int] | None:
        """Return the directional expectations of the used conditions, by short name."""
        kept = {k: v for k, v in (self.directional or {}).items() if k in self.used_conditions}
        return directional_short(kept)

    @property
    def negated_name(self) -> str:
        """Return the name of the negated outcome (``~SHARE``)."""
        return f"~{self.outcome_name}"

    def calibration(self) -> pd.DataFrame:
        """Return each site's raw proportion beside its calibrated membership."""
        return calibration_table(self.rates, self.data, self.outcome_name)

    def legend(self) -> pd.DataFrame:
        """Return the conditions' short names, features, meaning and whether each is used."""
        return legend(self.conditions, self.thresholds, self.constant)

    def necessity(self) -> pd.DataFrame:
        """Return the necessity of each used condition (and its absence) for the outcome."""
        return qca.necessity(self.data, self.outcome_name, self.used_short).reset_index()

    def truth_table_for(
        self, outcome: str, data: pd.DataFrame | None = None, incl_cut: float | None = None
    ) -> qca.TruthTable:
        """Return the truth table of the used conditions for ``outcome`` (or its negation)."""
        return qca.truth_table(
            self.data if data is None else data,
            outcome,
            self.used_short,
            incl_cut=self.incl_cut if incl_cut is None else incl_cut,
            n_cut=self.n_cut,
        )

    @cached_property
    def truth_table(self) -> qca.TruthTable:
        """Return the truth table for the outcome."""
        return self.truth_table_for(self.outcome_name)

    @cached_property
    def solutions(self) -> dict[str, qca.Solution | None]:
        """Return the conservative, parsimonious and (with expectations) intermediate solutions."""
        return run_solutions(self.truth_table, self.used_directional)

    @cached_property
    def negated_truth_table(self) -> qca.TruthTable:
        """Return the truth table for the negated outcome."""
        return self.truth_table_for(self.negated_name)

    @cached_property
    def negated(self) -> dict[str, qca.Solution | None]:
        """Return the conservative and parsimonious solutions for the negated outcome."""
        return run_solutions(self.negated_truth_table, None)

    def sensitivity(
        self, shifts: Sequence[float] = ANCHOR_SHIFTS, incl_cuts: Sequence[float] = INCL_CUTS
    ) -> pd.DataFrame:
        """Return the solutions over a grid of anchor sets and consistency cut-offs.

        One row per anchor set (:func:`shifted_anchors`), cut-off (``incl_cuts`` and the
        run's own) and solution (parsimonious; intermediate with expectations): the
        solution's models (``|`` between models), the first model's consistency and
        coverage, the number of sufficient truth-table rows, and whether the setting is the
        run's own (``plan``).
        """
        cuts = sorted({*incl_cuts, self.incl_cut})
        directional = self.used_directional
        rows = []
        for anchors in shifted_anchors(self.anchors, shifts):
            data = self.data.copy()
            data[self.outcome_name] = calibrated_outcome(self.rates, data.index, anchors)
            for cut in cuts:
                tt = self.truth_table_for(self.outcome_name, data, cut)
                kinds = {"parsimonious": minimize_or_none(tt, remainders=True)}
                if directional:
                    kinds["intermediate"] = minimize_or_none(tt, True, directional)
                for kind, sol in kinds.items():
                    fit = _model_fit(sol)
                    rows.append(
                        {
                            "exclusion": anchors.exclusion,
                            "crossover": anchors.crossover,
                            "inclusion": anchors.inclusion,
                            "incl_cut": cut,
                            "solution": kind,
                            "expression": " | ".join(sol.models) if sol else NO_SOLUTION,
                            "inclS": fit[0],
                            "covS": fit[1],
                            "sufficient_rows": len(tt.rows_with(1)),
                            "plan": anchors == self.anchors and cut == self.incl_cut,
                        }
                    )
        return pd.DataFrame(rows)


def _model_fit(sol: qca.Solution | None) -> tuple[float, float]:
    """Return the first model's consistency and coverage (NaN without a solution)."""
    if sol is None or not sol.models:
        return float("nan"), float("nan")
    m = sol.fit.loc[(sol.labels[0], qca.MODEL_ROW)]
    return round(float(m["inclS"]), 3), round(float(m["covS"]), 3)


def sensitivity_summary(grid: pd.DataFrame) -> pd.DataFrame:
    """Return, per solution type, each expression found in the grid and at how many settings.

    ``plan`` says which expression the run's own setting gives.
    """
    rows = []
    for kind, part in grid.groupby("solution", sort=False):
        own = set(part.loc[part["plan"], "expression"])
        for expression, settings in part["expression"].value_counts(sort=True).items():
            rows.append(
                {
                    "solution": kind,
                    "expression": expression,
                    "settings": int(settings),
                    "of_settings": len(part),
                    "plan": expression in own,
                }
            )
    return pd.DataFrame(rows)


def sensitivity_sentence(summary: pd.DataFrame) -> str:
    """Return sentences saying, per solution type, whether the solution is stable on the grid."""

    def said(expression: str) -> str:
        return "no solution" if expression == NO_SOLUTION else f"`{expression}`"

    parts = []
    for kind, part in summary.groupby("solution", sort=False):
        if len(part) == 1 and part["expression"].iloc[0] == NO_SOLUTION:
            parts.append(
                f"There is no {kind} solution at any anchor set and cut-off tried: no "
                "configuration is consistently sufficient."
            )
            continue
        if len(part) == 1:
            parts.append(
                f"The {kind} solution is {said(part['expression'].iloc[0])} at every anchor "
                "set and cut-off tried: it is stable."
            )
            continue
        pieces = []
        for r in part.itertuples():
            mark = " (as at the analysis's own setting)" if r.plan else ""
            pieces.append(f"{said(r.expression)}{mark} at {r.settings} of {r.of_settings}")
        found = "; ".join(pieces) + " settings"
        parts.append(
            f"The {kind} solution changes with the calibration anchors or the cut-off: {found}. "
            "It is not stable, so read it as tentative."
        )
    return " ".join(parts)


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
    settings = QCASettings(
        outcome=outcome,
        anchors=anchors,
        conditions=tuple(conditions),
        source=source,
        since=since,
        thresholds=dict(thresholds or {}),
        directional=dict(directional) if directional else None,
        incl_cut=incl_cut,
        n_cut=n_cut,
    )
    return QCARun(
        **{f.name: getattr(settings, f.name) for f in fields(QCASettings)},
        rates=site_outcome(study, outcome, source, since),
        data=qca_data(study, conditions, anchors, outcome, source, since, thresholds),
    )


def run_settings(study: Study, settings: QCASettings) -> QCARun | NoQCA:
    """Return the QCA of ``settings`` on the study, or NoQCA saying what it lacks."""
    if settings.source not in study.tables:
        return NoQCA(
            f"This study folder has no `{settings.source}` table, which the QCA outcome "
            f"`{settings.outcome}` comes from (`[qca] outcome_source` in `study.toml`), so "
            "there is no configurational analysis."
        )
    run = run_qca(
        study,
        settings.conditions,
        settings.anchors,
        outcome=settings.outcome,
        source=settings.source,
        since=settings.since,
        thresholds=settings.thresholds,
        directional=settings.directional,
        incl_cut=settings.incl_cut,
        n_cut=settings.n_cut,
    )
    if not run.used_conditions:
        return NoQCA(
            "Every condition of the QCA takes the same value at every site, so none can tell "
            "the sites apart and there is no configurational analysis: choose other "
            "conditions (`[qca] conditions` in `study.toml`)."
        )
    return run
