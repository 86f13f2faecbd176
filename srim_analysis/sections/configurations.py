"""Notebook ``02_service_configuration_typology``: objective 1, one call per section.

The typology is :mod:`srim_analysis.analyses.typology` and the configurational analysis
:mod:`srim_analysis.analyses.configurations` (with :mod:`srim_analysis.analyses.qca`); their
charts are in :mod:`srim_analysis.charts`. Each ``show_*`` function publishes its tables and
figures through the :class:`~srim_analysis.report.publishing.Report` (every figure drawn from
a published table, :meth:`~srim_analysis.report.publishing.Report.chart`) and returns the
:class:`~srim_analysis.report.publishing.Section` to display.

The QCA's settings come from the study's plan (``[qca]`` in ``study.toml``), each one
replaceable by a notebook parameter. The chain (anchors -> outcome rates -> QCA data ->
truth table -> solutions -> XY) is set up once by :func:`prepare`, which returns a
:class:`~srim_analysis.analyses.configurations.QCARun`, or a
:class:`~srim_analysis.analyses.configurations.NoQCA` saying why there is none (each QCA
section then says so). Conditions with one value at every site are left out of the
analysis, and the conditions section says so.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import ipywidgets

from srim_analysis.analyses import configurations as configs
from srim_analysis.analyses import qca, typology
from srim_analysis.analyses.configurations import Anchors, NoQCA, QCARun
from srim_analysis.charts import configurations as config_charts
from srim_analysis.charts import typology as typology_charts
from srim_analysis.report import cache
from srim_analysis.report.publishing import Section

if TYPE_CHECKING:
    from srim_analysis.report.publishing import Report


# ---------------------------------------------------------------------------
# The sites' features and their typology
# ---------------------------------------------------------------------------


def show_features(report: Report) -> Section:
    """Publish and return the site-by-feature matrix and its heatmap (drawn from it)."""
    study = report.study
    matrix = typology.feature_matrix(study.site_features, study.sites)
    section = Section()
    published = report.made_safe(matrix.reset_index(), not_counts=list(matrix.columns))
    report.chart(
        section,
        published,
        lambda t: typology_charts.plot_feature_heatmap(
            t, report.title("Service-configuration features")
        ),
        "feature-heatmap",
        "Service-configuration features of each site (values annotated).",
    )
    report.publish(
        section,
        matrix.reset_index(),
        "feature_matrix",
        "Site-by-feature matrix",
        not_counts=list(matrix.columns),
    )
    return section


def show_typology(report: Report, n_types: int = 3) -> Section:
    """Publish and return the dendrogram, type profiles and robustness of the typology."""
    study = report.study
    matrix = typology.feature_matrix(study.site_features, study.sites)
    types = typology.cluster_sites(matrix, n_types=n_types)
    section = Section()
    tree = report.publish(
        section,
        types.tree(),
        "typology_tree",
        "Hierarchical clustering of the sites: the merges of the dendrogram",
        not_counts=["sites_below"],
        show=False,
    )
    report.chart(
        section,
        tree,
        lambda t: typology_charts.plot_dendrogram(t, types.distance, report.title("Site types")),
        "typology-dendrogram",
        "Hierarchical clustering of sites on their features.",
    )
    profiles = types.profiles()
    report.publish(
        section,
        profiles.reset_index(names="feature"),
        "type_profiles",
        "Mean of each feature (0-1 scaled) by site type",
        not_counts=list(profiles.columns),
    )
    robust = report.publish(
        section,
        typology.robustness(matrix, n_types=n_types),
        "typology_robustness",
        "Agreement of the typology across distances",
    )
    section.add(report.finding(typology.robustness_sentence(robust), table="typology_robustness"))
    return section


# ---------------------------------------------------------------------------
# The configurational analysis (QCA)
# ---------------------------------------------------------------------------


def prepare(
    report: Report,
    conditions: Sequence[str] | None = None,
    anchors: Sequence[float] | Anchors | None = None,
    outcome: str | None = None,
    outcome_source: str | None = None,
    outcome_since: str | None = None,
    thresholds: Mapping[str, float] | None = None,
    directional: Mapping[str, int] | None = None,
    incl_cut: float | None = None,
    n_cut: int | None = None,
) -> QCARun | NoQCA:
    """Return the QCA the QCA sections publish (nothing shown), or NoQCA saying why none.

    Each setting left None comes from the study's plan (``[qca]`` in ``study.toml``).
    """
    settings = configs.qca_settings(
        report.study.plan.qca,
        outcome=outcome,
        outcome_source=outcome_source,
        outcome_since=outcome_since,
        anchors=anchors,
        conditions=conditions,
        thresholds=thresholds,
        directional=directional,
        incl_cut=incl_cut,
        n_cut=n_cut,
    )
    if isinstance(settings, NoQCA):
        return settings
    return configs.run_settings(report.study, settings)


def _needs_qca(
    show: Callable[[Report, QCARun], Section],
) -> Callable[[Report, QCARun | NoQCA], Section]:
    """Return ``show`` taking a QCA or NoQCA: for NoQCA, a section saying why there is none."""

    @functools.wraps(show)
    def section(report: Report, run: QCARun | NoQCA) -> Section:
        if isinstance(run, NoQCA):
            return Section([f"*{run.reason}*"])
        return show(report, run)

    return section


#: Outcome memberships and proportions are hidden with their counts (they give them back).
OUTCOME_DEPENDS: dict[str, tuple[str, ...]] = {
    "prop": ("n_yes", "n_cases"),
    "membership": ("n_yes", "n_cases"),
    "in_set": ("n_yes", "n_cases"),
    "y": ("n_yes", "n_cases"),
}


@_needs_qca
def show_calibration(report: Report, run: QCARun) -> Section:
    """Publish and return each site's outcome and its calibrated membership, with the curve."""
    calibration = run.calibration()
    section = Section()
    published = report.publish(
        section,
        calibration,
        "calibration",
        f"Outcome per site and its membership ({run.anchors.describe()})",
        depends={c: OUTCOME_DEPENDS[c] for c in ("prop", "membership", "in_set")},
    )
    report.chart(
        section,
        published,
        lambda t: config_charts.plot_calibration(t, run.anchors, report.title("Calibration")),
        "calibration",
        "Outcome proportions and their calibrated membership.",
    )
    return section


@_needs_qca
def show_conditions(report: Report, run: QCARun) -> Section:
    """Publish and return the conditions, what 'present' means, and a warning on constant ones."""
    section = Section()
    report.publish(section, run.legend(), "conditions", "Conditions used in the QCA")
    section.add(constant_warning(run))
    return section


def constant_warning(run: QCARun) -> str | None:
    """Return the warning on conditions with one value at every site (None if there are none).

    The rule: such a condition cannot tell sites apart, so it is left out of the truth
    table, the solutions, the necessity table and the sensitivity grid (in a solution it
    would only add a literal true, or false, of every site).
    """
    if not run.constant:
        return None
    names = ", ".join(
        f"`{configs.SHORT_NAMES[c]}` ({c}, {'present' if v else 'absent'} at every site)"
        for c, v in run.constant.items()
    )
    return (
        f"**Warning: constant condition.** {names} takes the same value at every site, so it "
        "cannot tell the sites apart: it is left out of the truth table, the solutions, the "
        "necessity table and the sensitivity analysis below."
    )


@_needs_qca
def show_truth_table(report: Report, run: QCARun) -> Section:
    """Publish and return the truth table for the outcome (sites per row are not people)."""
    section = Section()
    report.publish(
        section,
        configs.truth_table_view(run.truth_table),
        "truth_table",
        f"Truth table for {run.outcome_name} (sites per row are not people)",
        count_columns=[],
        not_counts=[*run.used_short, "OUT", "sites_in_row"],
    )
    return section


def _publish_solutions(
    report: Report,
    section: Section,
    solutions: Mapping[str, qca.Solution | None],
    outcome: str,
    name: str,
) -> str:
    """Publish the solutions for ``outcome`` with their fit as ``name``; say and return them."""
    report.publish(
        section,
        configs.solution_summary(solutions),
        name,
        f"Solutions for {outcome} with their fit",
    )
    said = configs.describe(solutions, outcome)
    section.add(said)
    return said


@_needs_qca
def show_solutions(report: Report, run: QCARun) -> Section:
    """Publish and return the solutions with their fit, in words, and the parsimonious terms."""
    section = Section()
    said = _publish_solutions(report, section, run.solutions, run.outcome_name, "solutions")
    report.finding(said, table="solutions")
    parsimonious = run.solutions["parsimonious"]
    if parsimonious is not None:
        report.publish(
            section,
            parsimonious.fit.reset_index(),
            "parsimonious_terms",
            "Parsimonious solution: fit of each term",
        )
    return section


@_needs_qca
def show_necessity(report: Report, run: QCARun) -> Section:
    """Publish and return the necessity of each condition (and its absence) for the outcome."""
    section = Section()
    report.publish(
        section, run.necessity(), "necessity", f"Necessity of each condition for {run.outcome_name}"
    )
    return section


def _xy_chart(
    report: Report,
    section: Section,
    run: QCARun,
    solution: qca.Solution | None,
    outcome: str,
    figure_id: str,
) -> None:
    """Chart the XY plot of ``solution``'s first model against ``outcome`` (its points made safe).

    The points are published as the figure's source data, a site's outcome membership hidden
    with its outcome counts, as in the calibration table.
    """
    if solution is None:
        section.add(f"There is no XY plot: there is no parsimonious solution for {outcome}.")
        return
    model = solution.models[0]
    points = configs.xy_table(run.rates, configs.xy_membership(run.data, model, outcome))
    published = report.made_safe(points, depends={"y": OUTCOME_DEPENDS["y"]})
    against = "the outcome" if outcome == run.outcome_name else outcome
    report.chart(
        section,
        published,
        lambda t: config_charts.plot_xy(t, model, outcome, report.title(f"XY plot: {model}")),
        figure_id,
        f"Membership in {model} against {against}.",
    )


@_needs_qca
def show_xy(report: Report, run: QCARun) -> Section:
    """Publish and return the XY plot of the first parsimonious model against the outcome."""
    section = Section()
    _xy_chart(
        report, section, run, run.solutions["parsimonious"], run.outcome_name, "xy-parsimonious"
    )
    return section


@_needs_qca
def show_negated(report: Report, run: QCARun) -> Section:
    """Publish and return the solutions for the negated outcome, in words, and their XY plot."""
    name = run.negated_name
    section = Section()
    _publish_solutions(report, section, run.negated, name, "solutions_negated")
    _xy_chart(report, section, run, run.negated["parsimonious"], name, "xy-negated")
    return section


def _settings_key(run: QCARun) -> dict[str, str]:
    """Return the settings of a QCA as text: with the study's data, all its results depend on."""
    return {f.name: repr(getattr(run, f.name)) for f in dataclasses.fields(configs.QCASettings)}


@_needs_qca
def show_sensitivity(report: Report, run: QCARun) -> Section:
    """Publish and return how the solutions change across anchors and cut-offs, in words."""
    section = Section()
    grid = cache.for_report(report).get(
        "qca_sensitivity",
        {
            "settings": _settings_key(run),
            "shifts": list(configs.ANCHOR_SHIFTS),
            "incl_cuts": list(configs.INCL_CUTS),
        },
        run.sensitivity,
    )
    summary = report.publish(
        section,
        configs.sensitivity_summary(grid),
        "qca_sensitivity_summary",
        f"Solutions for {run.outcome_name} across the calibration anchors and cut-offs tried",
        not_counts=["settings", "of_settings"],
    )
    report.publish(
        section,
        grid,
        "qca_sensitivity",
        f"Solutions for {run.outcome_name} at each anchor set (all three anchors moved by up "
        f"to {max(map(abs, configs.ANCHOR_SHIFTS)):.2f}) and consistency cut-off",
        not_counts=["sufficient_rows"],
    )
    said = configs.sensitivity_sentence(summary)
    section.add(report.finding(said, table="qca_sensitivity_summary"), first=True)
    return section


# ---------------------------------------------------------------------------
# Interactive exploration
# ---------------------------------------------------------------------------


def explorer(report: Report, run: QCARun | NoQCA) -> ipywidgets.Widget:
    """Return a widget to pick the outcome and conditions and see the truth table and solutions.

    It starts from ``run``'s outcome, conditions, anchors, thresholds, date and cut-offs;
    outcomes are the ``father_*`` columns of the outcome's table.
    """
    if isinstance(run, NoQCA):
        return ipywidgets.HTML(f"<p><i>{run.reason}</i></p>")
    study = report.study
    pick_outcome = ipywidgets.Dropdown(
        options=configs.outcome_options(study, run.source),
        value=run.outcome,
        description="Outcome",
    )
    pick_conditions = ipywidgets.SelectMultiple(
        options=sorted(set(configs.binary_features()) | set(run.conditions)),
        value=tuple(run.conditions),
        description="Conditions",
        rows=8,
    )
    out = ipywidgets.HTML()

    def refresh(*_: object) -> None:
        chosen = list(pick_conditions.value)
        if not chosen:
            out.value = "<p>Pick at least one condition.</p>"
            return
        picked = configs.run_qca(
            study,
            chosen,
            run.anchors,
            outcome=pick_outcome.value,
            source=run.source,
            since=run.since,
            thresholds=run.thresholds,
            directional=None,
            incl_cut=run.incl_cut,
            n_cut=run.n_cut,
        )
        if not picked.used_conditions:
            out.value = "<p>Every condition picked has one value at every site.</p>"
            return
        lines = [
            f"<li><b>{kind}</b>: {' | '.join(sol.models) if sol else configs.NO_SOLUTION}</li>"
            for kind, sol in picked.solutions.items()
        ]
        if picked.constant:
            left = ", ".join(configs.short(list(picked.constant)))
            lines.append(f"<li>Left out (one value at every site): {left}</li>")
        table = picked.truth_table.table.round(3).to_html(border=0)
        out.value = table + "<ul>" + "".join(lines) + "</ul>"

    pick_outcome.observe(refresh, names="value")
    pick_conditions.observe(refresh, names="value")
    refresh()
    scope = ipywidgets.HTML(
        "<p>This explorer compares the sites' configurations, so it always covers the whole "
        "study: it has no site control, and its truth table has one row per configuration "
        "of sites, not per-site material.</p>"
    )
    return ipywidgets.VBox([scope, ipywidgets.HBox([pick_outcome, pick_conditions]), out])
