"""The house style and the one figure helper: PNG at 300 dpi, SVG, manifest, synthetic stamp."""

from __future__ import annotations

import csv

import matplotlib as mpl
import pytest
from PIL import Image

from srim_analysis.charts import style
from srim_analysis.report import figures


def _figure():
    fig, ax = style.new_figure("half")
    ax.bar(["a", "b"], [3, 4])
    ax.set_title("Test")
    return fig


def test_house_style_is_colour_blind_safe_and_readable():
    style.use_house_style()
    cycle = [c["color"] for c in mpl.rcParams["axes.prop_cycle"]]
    assert cycle[:3] == ["#0072B2", "#E69F00", "#009E73"]  # Okabe-Ito
    assert mpl.rcParams["font.size"] >= 9
    assert mpl.rcParams["savefig.dpi"] == 300


def test_save_figure_writes_png_svg_and_manifest(tmp_path):
    fig = _figure()
    record = figures.save_figure(
        fig,
        "bars",
        "Two bars.",
        notebook="00_x",
        site="S01",
        data_fingerprint="abc",
        figures_dir=tmp_path,
        synthetic=True,
    )
    png = tmp_path / record.png
    assert png.exists() and (tmp_path / record.svg).exists()
    dpi = Image.open(png).info["dpi"]
    assert round(dpi[0]) == 300
    assert "Synthetic data" in (tmp_path / record.svg).read_text()
    assert any(t.get_text() == figures.SYNTHETIC_STAMP for t in fig.texts)
    manifest = figures.write_manifest(tmp_path)
    rows = list(csv.DictReader(manifest.open()))
    assert rows == [
        {
            "figure_id": "bars",
            "caption": "Two bars.",
            "notebook": "00_x",
            "site": "S01",
            "data_fingerprint": "abc",
            "synthetic": "True",
            "png": "S01/00_x__bars.png",
            "svg": "S01/00_x__bars.svg",
            "source_data": "",
        }
    ]


def test_real_data_figures_are_not_stamped(tmp_path):
    fig = _figure()
    figures.save_figure(
        fig,
        "bars",
        "Two bars.",
        notebook="n",
        site="all",
        data_fingerprint="f",
        figures_dir=tmp_path,
        synthetic=False,
        close=False,
    )
    assert not any(t.get_text() == figures.SYNTHETIC_STAMP for t in fig.texts)


def test_saving_twice_replaces_the_record(tmp_path):
    for caption in ("First.", "Second."):
        figures.save_figure(
            _figure(),
            "bars",
            caption,
            notebook="n",
            site="all",
            data_fingerprint="f",
            figures_dir=tmp_path,
            synthetic=False,
        )
    records = figures.read_manifest(tmp_path)
    assert [r.caption for r in records] == ["Second."]
    figures.reset_fragment(tmp_path, "all", "n")
    assert figures.read_manifest(tmp_path) == []


def test_svg_is_deterministic(tmp_path):
    a = figures.save_figure(
        _figure(),
        "x",
        "X.",
        notebook="n",
        site="a",
        data_fingerprint="f",
        figures_dir=tmp_path / "1",
        synthetic=False,
    )
    b = figures.save_figure(
        _figure(),
        "x",
        "X.",
        notebook="n",
        site="a",
        data_fingerprint="f",
        figures_dir=tmp_path / "2",
        synthetic=False,
    )
    assert (tmp_path / "1" / a.svg).read_bytes() == (tmp_path / "2" / b.svg).read_bytes()


@pytest.mark.parametrize("bad", ["Has Spaces", "", "UPPER"])
def test_bad_ids_and_captions_are_refused(tmp_path, bad):
    with pytest.raises(ValueError):
        figures.save_figure(
            _figure(),
            bad,
            "c",
            notebook="n",
            site="a",
            data_fingerprint="f",
            figures_dir=tmp_path,
            synthetic=False,
        )
    with pytest.raises(ValueError, match="caption"):
        figures.save_figure(
            _figure(),
            "ok",
            " ",
            notebook="n",
            site="a",
            data_fingerprint="f",
            figures_dir=tmp_path,
            synthetic=False,
        )


def _save(tmp_path, settings=None, site="S01"):
    return figures.save_figure(
        _figure(),
        "bars",
        "Two bars.",
        notebook="n",
        site=site,
        data_fingerprint="f",
        figures_dir=tmp_path,
        synthetic=False,
        settings=settings,
    )


def test_formats_and_resolution_follow_the_settings(tmp_path):
    record = _save(tmp_path)
    assert (tmp_path / record.svg).exists()
    png_only = figures.FigureSettings.from_table({"formats": ["png"], "dpi": 150})
    record = _save(tmp_path, png_only)
    assert record.svg == "" and record.png == "S01/n__bars.png"
    # the SVG of the earlier save is gone: no stale file beside the new PNG
    assert sorted(p.name for p in (tmp_path / "S01").glob("n__bars.*")) == ["n__bars.png"]
    assert round(Image.open(tmp_path / record.png).info["dpi"][0]) == 150
    assert figures.read_manifest(tmp_path)[0].svg == ""


def test_each_format_is_rendered_once(tmp_path, monkeypatch):
    fig = _figure()
    calls = []
    real = type(fig).savefig

    def counted(self, fname, **kwargs):
        calls.append(kwargs["format"])
        return real(self, fname, **kwargs)

    monkeypatch.setattr(type(fig), "savefig", counted)
    figures.save_figure(
        fig,
        "once",
        "Once.",
        notebook="n",
        site="all",
        data_fingerprint="f",
        figures_dir=tmp_path,
        synthetic=True,
        settings=figures.FigureSettings(),
    )
    assert calls == ["png", "svg"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"formats": ["svg"]}, "formats"),
        ({"formats": ["png", "gif"]}, "formats"),
        ({"dpi": 30}, "dpi"),
        ({"dpi": "300"}, "dpi"),
        ({"dpis": 300}, "unknown key 'dpis'"),
    ],
)
def test_bad_figure_settings_are_refused(table, message):
    with pytest.raises(ValueError, match=message):
        figures.FigureSettings.from_table(table)


def test_settings_come_from_the_run_then_the_project_file(tmp_path):
    file = tmp_path / "srim.toml"
    assert figures.figure_settings({}, file) == figures.FigureSettings()  # no file: defaults
    file.write_text('[run]\njobs = 1\n[figures]\nformats = ["png"]\ndpi = 200\n')
    from_file = figures.figure_settings({}, file)
    assert from_file == figures.FigureSettings(("png",), 200)
    given = figures.FigureSettings(("png", "svg"), 120)
    assert figures.figure_settings(given.environment(), file) == given
    assert figures.FigureSettings.from_environment({}) is None


def test_a_per_site_page_links_the_whole_study_figure(tmp_path):
    record = _save(tmp_path / "figures", site="all")
    link = figures.figure_link("S01", "n", "bars")
    page_folder = tmp_path / "reports" / "S01"
    page_folder.mkdir(parents=True)
    assert (page_folder / link).resolve() == (tmp_path / "figures" / record.png).resolve()
    assert (page_folder / link).exists()
