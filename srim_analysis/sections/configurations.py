"""Notebook ``02_service_configuration_typology``: objective 1, one call per section.

The typology is :mod:`srim_analysis.analyses.typology` and the configurational analysis
:mod:`srim_analysis.analyses.configurations` (with :mod:`srim_analysis.analyses.qca`); their
charts are in :mod:`srim_analysis.charts`. Each ``show_*`` function publishes its tables and
figures through the :class:`~srim_analysis.report.publishing.Report` and returns the
:class:`~srim_analysis.report.publishing.Section` to display.

The QCA chain (anchors -> outcome rates -> QCA data -> truth table -> solutions -> XY) is
set up once by :func:`prepare`, which returns a
:class:`~srim_analysis.analyses.configurations.QCARun`; the QCA sections take it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import ipywidgets

from srim_analysis.analyses import configurations as configs
from srim_analysis.analyses import qca, typology
from srim_analysis.analyses.configurations import Anchors, QCARun
from srim_analysis.charts import configurations as config_charts
from srim_analysis.charts import typology as typology_charts
from srim_analysis.report.publishing import Section

if TYPE_CHECKING:
    from srim_analysis.report.publishing import Report


# ---------------------------------------------------------------------------
# The sites' features and their typology
# ---------------------------------------------------------------------------


def show_features(report: Report) -> Section:
    """Publish and return the site-by-feature heatmap and matrix."""
    study = report.study
    matrix = typology.feature_matrix(study.site_features, study.sites)
    section = Section()
    report.add_figure(
        section,
        typology_charts.plot_feature_heatmap(
            matrix, report.title("Service-configuration features")
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
    report.add_figure(
        section,
        typology_charts.plot_dendrogram(types, report.title("Site types")),
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
    section.add(typology.robustness_sentence(robust))
    return section


# ---------------------------------------------------------------------------
# The configurational analysis (QCA)
# ---------------------------------------------------------------------------


def prepare(
    report: Report,
    conditions: Sequence[str],
    anchors: Sequence[float] | Anchors,
    outcome: str = "father_info_shared",
    outcome_source: str = "case_audit",
    outcome_since: str | None = None,
    thresholds: Mapping[str, float] | None = None,
    directional: Mapping[str, int] | None = None,
    incl_cut: float = 0.8,
    n_cut: int = 1,
) -> QCARun:
    """Return the QCA of the study's sites that the QCA sections publish (nothing shown)."""
    anchor = anchors if isinstance(anchors, Anchors) else Anchors(*anchors)
    return configs.run_qca(
        report.study,
        conditions,
        anchor,
        outcome=outcome,
        source=outcome_source,
        since=outcome_since,
        thresholds=thresholds,
        directional=directional,
        incl_cut=incl_cut,
        n_cut=n_cut,
    )


def show_calibration(report: Report, run: QCARun) -> Section:
    """Publish and return each site's outcome and its calibrated membership, with the curve."""
    calibration = run.calibration()
    section = Section()
    report.publish(
        section,
        calibration,
        "calibration",
        f"Outcome per site and its membership ({run.anchors.describe()})",
        depends={"prop": ("n_yes", "n_cases")},
    )
    report.add_figure(
        section,
        config_charts.plot_calibration(calibration, run.anchors, report.title("Calibration")),
        "calibration",
        "Outcome proportions and their calibrated membership.",
    )
    return section


def show_conditions(report: Report, run: QCARun) -> Section:
    """Publish and return the conditions with their short names and what 'present' means."""
    section = Section()
    report.publish(section, run.legend(), "conditions", "Conditions used in the QCA")
    return section


def show_truth_table(report: Report, run: QCARun) -> Section:
    """Publish and return the truth table for the outcome (sites per row are not people)."""
    section = Section()
    report.publish(
        section,
        configs.truth_table_view(run.truth_table),
        "truth_table",
        f"Truth table for {run.outcome_name} (sites per row are not people)",
        count_columns=[],
        not_counts=[*run.short_conditions, "OUT", "sites_in_row"],
    )
    return section


def _publish_solutions(
    report: Report, section: Section, solutions: Mapping[str, qca.Solution], outcome: str, name: str
) -> None:
    """Publish the solutions for ``outcome`` with their fit as ``name``, then say them in words."""
    report.publish(
        section,
        configs.solution_summary(solutions),
        name,
        f"Solutions for {outcome} with their fit",
    )
    section.add(configs.describe(solutions, outcome))


def show_solutions(report: Report, run: QCARun) -> Section:
    """Publish and return the solutions with their fit, in words, and the parsimonious terms."""
    section = Section()
    _publish_solutions(report, section, run.solutions, run.outcome_name, "solutions")
    report.publish(
        section,
        run.solutions["parsimonious"].fit.reset_index(),
        "parsimonious_terms",
        "Parsimonious solution: fit of each term",
    )
    return section


def show_necessity(report: Report, run: QCARun) -> Section:
    """Publish and return the necessity of each condition (and its absence) for the outcome."""
    section = Section()
    report.publish(
        section, run.necessity(), "necessity", f"Necessity of each condition for {run.outcome_name}"
    )
    return section


def show_xy(report: Report, run: QCARun) -> Section:
    """Publish and return the XY plot of the first parsimonious model against the outcome."""
    best = run.solutions["parsimonious"].models[0]
    section = Section()
    report.add_figure(
        section,
        config_charts.plot_xy(
            configs.xy_membership(run.data, best, run.outcome_name),
            report.title(f"XY plot: {best}"),
        ),
        "xy-parsimonious",
        f"Membership in {best} against the outcome.",
    )
    return section


def show_negated(report: Report, run: QCARun) -> Section:
    """Publish and return the solutions for the negated outcome, in words, and their XY plot."""
    name = run.negated_name
    section = Section()
    _publish_solutions(report, section, run.negated, name, "solutions_negated")
    worst = run.negated["parsimonious"].models[0]
    report.add_figure(
        section,
        config_charts.plot_xy(
            configs.xy_membership(run.data, worst, name), report.title(f"XY plot: {worst}")
        ),
        "xy-negated",
        f"Membership in {worst} against {name}.",
    )
    return section


# ---------------------------------------------------------------------------
# Interactive exploration
# ---------------------------------------------------------------------------


def explorer(report: Report, run: QCARun) -> ipywidgets.Widget:
    """Return a widget to pick the outcome and conditions and see the truth table and solutions.

    It starts from ``run``'s conditions, anchors, thresholds, date and cut-offs; outcomes are
    the case audit's ``father_*`` columns.
    """
    study = report.study
    pick_outcome = ipywidgets.Dropdown(
        options=configs.outcome_options(study),
        value="father_info_shared",
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
            source="case_audit",
            since=run.since,
            thresholds=run.thresholds,
            directional=None,
            incl_cut=run.incl_cut,
            n_cut=run.n_cut,
        )
        lines = [
            f"<li><b>{kind}</b>: {' | '.join(sol.models) or '(no solution)'}</li>"
            for kind, sol in picked.solutions.items()
        ]
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
