"""reports/index.html: every run linked, relative links that resolve, status, thumbnails."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from srim_analysis.layout import RunLayout
from srim_analysis.report import figures
from srim_analysis.runner import index

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e2b1a0"
    "b60000000049454e44ae426082"
)


class Links(HTMLParser):
    """Collects every href and src of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def links_of(page: Path) -> list[str]:
    """Return the href and src values of an HTML file."""
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.links


def assert_links_resolve(page: Path) -> list[str]:
    """Check every link of ``page`` is relative and names a file that exists."""
    links = links_of(page)
    ids = set()
    text = page.read_text(encoding="utf-8")
    for link in links:
        assert "://" not in link and not link.startswith("//"), f"external link {link}"
        if link.startswith("#"):
            ids.add(link[1:])
            continue
        target = (page.parent / unquote(link)).resolve()
        assert target.is_file(), f"{page.name}: link {link} -> {target} does not exist"
    for anchor in ids:
        assert f"id='{anchor}'" in text or f'id="{anchor}"' in text, f"no anchor {anchor}"
    return links


def make_run(
    out: Path,
    site: str,
    notebook: str,
    *,
    ok: bool = True,
    failed: str | None = None,
    kind: str = "synthetic",
    run_id: str = "r1",
    figure_ids: tuple[str, ...] = ("fig-a",),
    objective: int | None = None,
    per_site: bool = True,
) -> None:
    """Write the files and stamps a run leaves, as the runner does."""
    layout = RunLayout.under(out)
    figs = layout.figures_dir
    site_dir = layout.site_dir(site)
    (site_dir / "logs").mkdir(parents=True, exist_ok=True)
    common = {
        "notebook": notebook,
        "site": site,
        "title": f"Title of {notebook} <b>",
        "description": "What it shows & why",
        "run_id": run_id,
        "finished": "2025-01-02T03:04:05+00:00",
        "duration_s": 1.5,
        "data": {"kind": kind, "fingerprint": "abc"},
        "objective": objective,
        "per_site": per_site,
    }
    if ok:
        (site_dir / f"{notebook}.html").write_text("<p>report</p>")
        (site_dir / f"{notebook}.ipynb").write_text("{}")
        (site_dir / "logs" / f"{notebook}.log").write_text("log")
        ok_path = layout.ok_stamp(site, notebook)
        outputs = {
            "executed": f"reports/{site}/{notebook}.ipynb",
            "html": f"reports/{site}/{notebook}.html",
            "log": f"reports/{site}/logs/{notebook}.log",
            "files": [],
        }
        ok_path.write_text(json.dumps({**common, "outputs": outputs}))
        for fid in figure_ids:
            (figs / site).mkdir(parents=True, exist_ok=True)
            png = figs / site / f"{notebook}__{fid}.png"
            png.write_bytes(PNG)
            png.with_suffix(".svg").write_text("<svg/>")
            figures.add_to_manifest(
                figs,
                figures.FigureRecord(
                    figure_id=fid,
                    caption=f"Caption of {fid} for {site}",
                    notebook=notebook,
                    site=site,
                    data_fingerprint="abc",
                    synthetic=kind == "synthetic",
                    png=f"{site}/{notebook}__{fid}.png",
                    svg=f"{site}/{notebook}__{fid}.svg",
                ),
            )
    if failed is not None:
        (site_dir / f"{notebook}.failed.ipynb").write_text("{}")
        failed_path = layout.failed_stamp(site, notebook)
        outputs = {"executed": f"reports/{site}/{notebook}.failed.ipynb", "html": None}
        failed_path.write_text(
            json.dumps(
                {**common, "run_id": "r2", "error": failed, "error_cell": 4, "outputs": outputs}
            )
        )


def test_index_links_every_run_and_figure_and_they_resolve(tmp_path):
    out = tmp_path / "out"
    make_run(out, "all", "00_overview", figure_ids=("fig-a", "fig-b"))
    make_run(out, "S01", "00_overview")
    make_run(out, "S 02", "00_overview")  # a space: links must be quoted
    make_run(out, "all", "01_cross", figure_ids=())
    figures.write_manifest(out / "figures")
    page = index.write_index(out, run_id="r1", site_names={"S01": "Ashcombe"})
    assert page == out / "reports" / "index.html"
    links = assert_links_resolve(page)
    text = page.read_text(encoding="utf-8")
    for site in ("all", "S01", "S%2002"):
        assert f"{site}/00_overview.html" in links
        assert f"{site}/00_overview.ipynb" in links
    assert "../figures/all/00_overview__fig-b.png" in links
    assert "../figures/all/00_overview__fig-b.svg" in links
    assert "Caption of fig-b for all" in text
    assert "Ashcombe (S01)" in text and "All sites" in text
    assert "run-record.json" not in text  # not there yet, so not linked
    assert "../figures/manifest.csv" in links
    assert "OK: ran in this run" in text
    # text from notebooks is escaped
    assert "Title of 00_overview &lt;b&gt;" in text and "What it shows &amp; why" in text
    # no external resources: it opens offline from the file system
    assert "<script" not in text and "http" not in text.split("</style>", 1)[1]


def test_synthetic_data_are_said_prominently(tmp_path):
    out = tmp_path / "out"
    make_run(out, "all", "00_overview")
    text = index.render_index(out, data={"kind": "synthetic"})
    assert "class='synthetic'" in text and "Synthetic data" in text
    real = tmp_path / "real"
    make_run(real, "all", "00_overview", kind="real")
    assert "Synthetic data" not in index.render_index(real, data={"kind": "real"})
    make_run(real, "S01", "00_overview", kind="synthetic")
    assert "Synthetic data (some results)" in index.render_index(real)


def test_a_failed_run_shows_its_error_and_stale_outputs(tmp_path):
    out = tmp_path / "out"
    make_run(out, "S01", "02_model", failed="ValueError: no data for S01")
    make_run(out, "S02", "02_model", ok=False, failed="KeyError: 'x'")
    page = index.write_index(out, run_id="r2")
    assert_links_resolve(page)
    text = page.read_text(encoding="utf-8")
    assert "ValueError: no data for S01" in text and "(cell [4])" in text
    assert "Failed in this run" in text
    assert "<b>Stale:</b>" in text  # S01 shows its last good outputs
    assert "No earlier good outputs" in text  # S02 has none
    assert "S01/02_model.failed.ipynb" in links_of(page)
    assert "S01/02_model.html" in links_of(page)


def test_up_to_date_runs_from_earlier_runs_are_listed(tmp_path):
    out = tmp_path / "out"
    make_run(out, "all", "00_overview", run_id="earlier")
    text = index.render_index(out, run_id="now")
    assert "Up to date: made 02 Jan 2025 03:04" in text


def test_missing_files_are_not_linked_and_an_empty_folder_works(tmp_path):
    out = tmp_path / "out"
    make_run(out, "all", "00_overview")
    (out / "reports" / "all" / "00_overview.html").unlink()
    (out / "figures" / "all" / "00_overview__fig-a.png").unlink()
    page = index.write_index(out)
    assert_links_resolve(page)
    assert "00_overview.html" not in links_of(page)
    empty = index.write_index(tmp_path / "empty")
    assert "No notebook has been run" in empty.read_text(encoding="utf-8")


def test_read_states_ignores_broken_stamps(tmp_path):
    out = tmp_path / "out"
    make_run(out, "all", "00_overview")
    logs = out / "reports" / "all" / "logs"
    (logs / "01_broken.ok.json").write_text("{not json")
    (out / "reports" / ".staging" / "x" / "logs").mkdir(parents=True)
    (out / "reports" / ".staging" / "x" / "logs" / "a.ok.json").write_text("{}")
    states = index.read_states(RunLayout.under(out))
    assert [(s.site, s.notebook) for s in states] == [("all", "00_overview")]
    assert states[0].title.startswith("Title of") and not states[0].stale


def test_the_front_page_goes_by_objective_with_findings_linked(tmp_path):
    out = tmp_path / "out"
    make_run(out, "all", "01_cross", objective=2)
    make_run(out, "S01", "01_cross", objective=2)
    make_run(out, "all", "02_qca", objective=1, per_site=False)
    make_run(out, "all", "00_overview")
    layout = RunLayout.under(out)
    table = layout.table("all", "01_cross", "rates")
    table.parent.mkdir(parents=True, exist_ok=True)
    table.write_text("site,n\nall,10\n")
    layout.findings("all", "01_cross").parent.mkdir(parents=True, exist_ok=True)
    layout.findings("all", "01_cross").write_text(
        json.dumps(
            [
                {"text": "Rates rose <a lot>.", "figure": "all/01_cross__fig-a.png"},
                {"text": "Second finding.", "table": "all/tables/01_cross__rates.csv"},
                {"text": "Gone figure.", "figure": "all/missing.png"},
            ]
        )
    )
    page = index.write_index(
        out,
        run_id="r1",
        site_names={"S01": "Ashwood"},
        data={"folder": str(tmp_path / "secret" / "study"), "kind": "synthetic"},
    )
    text = page.read_text(encoding="utf-8")
    front = text[text.index("The study's objectives") : text.index("<h2>Runs</h2>")]
    # the overview first, then objective 1, then objective 2 (not notebook order)
    assert front.index("nb-00_overview") < front.index("nb-02_qca") < front.index("nb-01_cross")
    assert "Objective 1: Title of 02_qca &lt;b&gt;" in front
    assert "Runs once, for the whole study" in front
    assert "Rates rose &lt;a lot&gt;." in front and "Second finding." in front
    assert 'href="../figures/all/01_cross__fig-a.png">figure</a>' in front
    assert 'href="all/tables/01_cross__rates.csv">table</a>' in front
    assert "Gone figure." in front and "missing.png" not in front  # no dead link
    assert "Ashwood (S01)" in front
    # the runs table says why the whole-study notebook has no per-site cell
    assert "whole study only" in text
    assert str(tmp_path) not in text  # no absolute path of this machine
    assert_links_resolve(page)


GLANCE = """# Each site's practice with its funnel position
# c = suppressed.
# population: cases
site,source,indicator,label,n_yes,n,prop_yes,ci_low,ci_high,position
Ashcombe,case_audit,identified,Father identified,134,155,0.865,0.802,0.91,above the 95% limit
Ashcombe,case_audit,invited,He was invited,c,154,c,c,c,
Brackwater,case_audit,identified,Father identified,110,130,0.846,0.774,0.898,within the 95% limits
Brackwater,case_audit,invited,He was invited,31,129,0.24,0.17,0.32,below the 99.8% limit
All,case_audit,identified,Father identified,244,285,0.856,0.811,0.892,
All,case_audit,invited,He was invited,57,283,0.201,0.158,0.253,
"""


def test_the_front_page_shows_the_sites_at_a_glance_hidden_cells_kept_hidden(tmp_path):
    out = tmp_path / "out"
    make_run(out, "all", "01_cross", objective=2)
    tables = RunLayout.under(out).tables_dir("all")
    tables.mkdir(parents=True)
    (tables / f"01_cross__{index.GLANCE_TABLE}.csv").write_text(GLANCE, encoding="utf-8")
    page = index.write_index(out, run_id="r1")
    assert_links_resolve(page)
    text = page.read_text(encoding="utf-8")
    grid = text[text.index("<h2 id='sites-at-a-glance'>") :]
    grid = grid[: grid.index("</table>")]
    assert "<th scope='col'>Father identified</th><th scope='col'>He was invited</th>" in grid
    assert "86% (80–91)<span class='flag high' title='above the 95% limit'>▲</span>" in grid
    assert "24% (17–32)<span class='flag low' title='below the 99.8% limit'>▼▼</span>" in grid
    assert "85% (77–90)</td>" in grid  # within the limits: no flag
    assert grid.count(">c</td>") == 1 and "0.865" not in grid
    assert "<tr class='reference'><th scope='row'>All sites</th>" in grid
    assert "<a href='all/tables/01_cross__funnel-positions.csv'>" in grid


def test_no_grid_without_the_whole_study_table(tmp_path):
    out = tmp_path / "out"
    make_run(out, "all", "01_cross")
    assert index.site_grid(RunLayout.under(out)) == ""
    assert "Sites at a glance" not in index.write_index(out).read_text(encoding="utf-8")


def test_each_page_links_the_same_notebook_for_the_other_sites(tmp_path):
    out = tmp_path / "out"
    nav = '<nav aria-label="x" class="srim-sites"></nav><p>report</p>'
    for site in ("all", "S01", "S 02"):
        make_run(out, site, "01_cross")
        (out / "reports" / site / "01_cross.html").write_text(nav, encoding="utf-8")
    make_run(out, "all", "02_typology", per_site=False)
    (out / "reports" / "all" / "02_typology.html").write_text(nav, encoding="utf-8")
    index.write_index(out, run_id="r1", site_names={"S01": "Ashcombe", "S 02": "Brackwater"})
    page = out / "reports" / "S01" / "01_cross.html"
    links = assert_links_resolve(page)
    assert links == ["../all/01_cross.html", "../S%2002/01_cross.html"]
    assert '>All sites</a> <a href="../S%2002/01_cross.html">Brackwater (S 02)</a>' in (
        page.read_text(encoding="utf-8")
    )
    assert assert_links_resolve(out / "reports" / "all" / "01_cross.html") == [
        "../S01/01_cross.html",
        "../S%2002/01_cross.html",
    ]
    # a whole-study notebook has no other pages to link
    assert "<a " not in (out / "reports" / "all" / "02_typology.html").read_text(encoding="utf-8")
    assert index.link_site_pages(out, {"S01": "Ashcombe", "S 02": "Brackwater"}) == 0  # done
