"""srim export: one Word document per objective, from what a run published, in the house style."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from srim_analysis import disclosure, paths
from srim_analysis.layout import RunLayout
from srim_analysis.report import figures, presentation, publishing
from srim_analysis.runner import export

NOTE = disclosure.suppression_note(5)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def png(width: int = 600, height: int = 300) -> bytes:
    """Return a blank PNG of 300 dpi."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buf, format="PNG", dpi=(300, 300))
    return buf.getvalue()


def write_table(layout: RunLayout, site: str, nb: str, name: str, caption: str, frame) -> str:
    """Write a table as Report.table does (caption, note, cells); return its file name."""
    path = layout.table(site, nb, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = frame.to_csv(index=False, lineterminator="\n")
    path.write_text(
        f"# {caption}\n# {NOTE}\n# SYNTHETIC DATA: made from the shipped synthetic study.\n{body}",
        encoding="utf-8",
    )
    return path.name


def make_run(
    out: Path,
    nb: str,
    *,
    objective: int | None,
    site: str = "all",
    kind: str = "synthetic",
    tables: dict[str, tuple[str, pd.DataFrame]] | None = None,
    shown: tuple[str, ...] = (),
    figure_ids: tuple[str, ...] = (),
    findings: list[dict[str, str]] | None = None,
    per_site: bool = True,
    contents: bool = False,
) -> RunLayout:
    """Write one notebook run's outputs as `srim run` leaves them: stamp, notebook, tables...

    ``contents``: the run lists what it showed (figures and ``shown`` tables, in order), and
    nothing else says the order (the executed notebook links no table, the figures were
    saved in the other order); without it, the executed notebook links the ``shown`` tables.
    """
    layout = RunLayout.under(out)
    html = []
    for name, (caption, frame) in (tables or {}).items():
        csv = write_table(layout, site, nb, name, caption, frame)
        if name in shown:
            html.append(
                (
                    shown.index(name),
                    presentation.table_html(frame, caption=caption, csv_href=f"tables/{csv}"),
                )
            )
    executed = layout.executed(site, nb)
    executed.parent.mkdir(parents=True, exist_ok=True)
    cells = [
        {
            "cell_type": "code",
            "outputs": [{"output_type": "display_data", "data": {"text/html": h}}],
        }
        for _, h in sorted(html)
        if not contents
    ]
    executed.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    if contents:
        listed = [{"kind": "figure", "key": f, "caption": "", "path": ""} for f in figure_ids]
        listed += [
            {"kind": "table", "key": f"{nb}__{t}.csv", "caption": "", "path": ""} for t in shown
        ]
        path = publishing.contents_path(layout, site, nb)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(listed), encoding="utf-8")
    for fid in reversed(figure_ids) if contents else figure_ids:
        target = layout.figure(site, nb, fid, "png")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(png())
        record = figures.FigureRecord(
            figure_id=fid,
            caption=f"Caption of {fid}.",
            notebook=nb,
            site=site,
            data_fingerprint="f00",
            synthetic=kind == "synthetic",
            png=target.relative_to(layout.figures_dir).as_posix(),
            svg="",
        )
        figures.add_to_manifest(layout.figures_dir, record)
    if findings is not None:
        path = layout.findings(site, nb)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(findings), encoding="utf-8")
    stamp = layout.ok_stamp(site, nb)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(
        json.dumps(
            {
                "notebook": nb,
                "site": site,
                "title": f"Title of {nb}",
                "description": f"Objective {objective}: what {nb} covers.",
                "per_site": per_site,
                "objective": objective,
                "finished": "2026-01-02T03:04:05+00:00",
                "parameters": {"site": site, "min_cell": 5},
                "outputs": {
                    "executed": executed.relative_to(out).as_posix(),
                    "files": [f"reports/{site}/framework/matrix.xlsx"],
                },
                "run_id": "r1",
                "data": {"folder": "/somewhere/study", "kind": kind, "fingerprint": "f00"},
                "git": {"commit": "abc123", "dirty": False},
            }
        ),
        encoding="utf-8",
    )
    return layout


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """Two objectives (given in the other order), a notebook without one, hidden cells."""
    out = tmp_path_factory.mktemp("tiny") / "out"
    counts = pd.DataFrame(
        {
            "agency_name": ["Police", "Health", "Schools"],
            "n_yes": ["12", "c", "c"],
            "n": ["40", "c", "31"],
            "p_value": ["0.0", "0.25", ""],
        }
    )
    hidden = pd.DataFrame({"group": ["x", "y"], "n_a": ["c", "c"], "n_b": ["c", "c"]})
    make_run(
        out,
        "05_second",
        objective=3,
        tables={
            "alpha": ("Alpha caption", counts),
            "beta": ("Beta caption", pd.DataFrame({"label": ["one"], "value": ["7.5"]})),
            "all-hidden": ("Hidden caption", hidden),
            "download": ("Only a download", pd.DataFrame({"v": ["99"]})),
            "quotes": (
                "Quotes caption",
                pd.DataFrame(
                    {
                        "code_label": ["Asking", "Recording"],
                        "quote": ["We ask *who* is there.", ""],
                        "attribution": ["Practitioner, Site A (interview)", "Nobody"],
                    }
                ),
            ),
        },
        shown=("beta", "alpha", "all-hidden"),  # the page's order, not the alphabet's
        contents=True,
        figure_ids=("zeta", "alpha-fig"),  # saved in this order
        findings=[
            {
                "text": "Police shared in 12 of 40 cases.",
                "table": "all/tables/05_second__alpha.csv",
            },
            {"text": "A finding with its figure.", "figure": "all/05_second__alpha-fig.png"},
        ],
    )
    make_run(
        out,
        "06_first",
        objective=1,
        tables={"gamma": ("Gamma caption", pd.DataFrame({"k": ["a"], "n": ["6"]}))},
        shown=("gamma",),
        figure_ids=("only",),
        findings=[],
        per_site=False,
    )
    make_run(out, "00_overview", objective=None, tables={}, figure_ids=("overview",))
    make_run(out, "05_second", objective=3, site="S01", tables={}, figure_ids=())
    return out


def docx_paragraphs(path: Path) -> list[tuple[str, str]]:
    """Return each paragraph of a .docx as (style id, text), tables' cells included."""
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("word/document.xml"))
    found = []
    for p in root.iter(f"{W}p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        text = "".join(t.text or "" for t in p.iter(f"{W}t"))
        found.append((style.get(f"{W}val") if style is not None else "", text))
    return found


def docx_part(path: Path, name: str) -> str:
    """Return one XML part of a .docx as text."""
    with zipfile.ZipFile(path) as z:
        return z.read(name).decode("utf-8")


@pytest.fixture(scope="module")
def tiny_docs(tiny_run, tmp_path_factory) -> list[export.ExportedDocument]:
    """The tiny run's documents for all sites."""
    to = tmp_path_factory.mktemp("docs")
    return export.export_report(tiny_run, to=to, say=lambda _: None)


def test_one_document_per_objective_in_objective_order(tiny_docs):
    docs = tiny_docs
    assert [d.objective for d in docs] == [1, 3]
    assert [d.path.name for d in docs] == ["objective-1_all.docx", "objective-3_all.docx"]
    assert all(d.path.is_file() for d in docs)
    assert sorted(p.name for p in docs[0].path.parent.iterdir()) == [
        "objective-1_all.docx",
        "objective-3_all.docx",
    ]  # no document for the notebook without an objective, no partial file left
    assert [(d.figures, d.tables) for d in docs] == [(1, 1), (2, 3)]
    # a run that does not list what it showed: the tables its executed notebook links
    captions = [
        t for s, t in docx_paragraphs(docs[0].path) if s in ("TableCaption", "ImageCaption")
    ]
    assert captions == ["Figure 1. Caption of only.", "Table 1. Gamma caption"]
    text = [t for _, t in docx_paragraphs(docs[1].path)]
    assert "Objective 3: Title of 05_second" in text
    assert "All sites" in text
    assert "What 05_second covers." in text


def test_figures_are_the_saved_pngs_numbered_as_saved(tiny_docs):
    doc = tiny_docs[1].path
    paragraphs = docx_paragraphs(doc)
    captions = [t for s, t in paragraphs if s == "ImageCaption"]
    assert captions == ["Figure 1. Caption of zeta.", "Figure 2. Caption of alpha-fig."]
    with zipfile.ZipFile(doc) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert len(media) == 2
        assert all(z.read(n) == png() for n in media)  # the run's PNG, as saved
    xml = docx_part(doc, "word/document.xml")
    assert 'descr="Figure 1. Caption of zeta."' in xml  # alt text
    assert str(doc.parent) not in xml and "/tmp/" not in xml  # no local path


def test_tables_numbered_in_page_order_with_hidden_cells_kept(tiny_docs):
    doc = tiny_docs[1].path
    paragraphs = docx_paragraphs(doc)
    captions = [t for s, t in paragraphs if s == "TableCaption"]
    assert captions == ["Table 1. Beta caption", "Table 2. Alpha caption"]
    text = [t for _, t in paragraphs]
    # Table 2 as the page shows it: plain labels, "< 0.001", hidden cells "c"; the row whose
    # every count is hidden left out with a sentence
    start = text.index("Agency name")
    assert text[start : start + 4] == ["Agency name", "Yes (n)", "n", "p value"]
    assert text[start + 4 : start + 8] == ["Police", "12", "40", "< 0.001"]
    assert text[start + 8 : start + 12] == ["Schools", "c", "31", ""]
    assert "Health" not in text
    assert any("1 row whose every count is hidden is not shown." in t for t in text)
    # the table whose every count is hidden: its caption and the sentence, no cells
    hidden = text.index("Table 3. Hidden caption")
    assert text[hidden + 1].startswith("Every count in this table is hidden")
    assert "x" not in text and "y" not in text
    # the table the page only offers as a download is listed among the sources
    assert any("05_second__download.csv" in t and "not reproduced" in t for t in text)
    assert not any("05_second__quotes.csv" in t and "not reproduced" in t for t in text)


def test_quotes_shown_as_quotes_with_their_attribution(tiny_docs):
    text = [t for _, t in docx_paragraphs(tiny_docs[1].path)]
    quotes = text[text.index("Quotes") + 1 : text.index("Sources")]
    assert quotes == [
        "Quotes caption",
        "\u201cWe ask *who* is there.\u201d",
        "Practitioner, Site A (interview) \u2014 Asking",
    ]
    assert "Quotes: reports/all/tables/05_second__quotes.csv" in text


def test_findings_point_to_their_numbered_figure_and_table(tiny_docs):
    doc = tiny_docs[1].path
    text = [t for _, t in docx_paragraphs(doc)]
    findings = text[text.index("Key findings") + 1 : text.index("Note on suppression")]
    assert findings == [
        "Police shared in 12 of 40 cases. (Table 2)",
        "A finding with its figure. (Figure 2)",
    ]


def test_one_suppression_note_in_the_house_style(tiny_docs):
    doc = tiny_docs[1].path
    paragraphs = docx_paragraphs(doc)
    notes = [t for s, t in paragraphs if s == "SRIMNote"]
    assert notes == [NOTE]
    assert [t for s, t in paragraphs].count(NOTE) == 1
    assert [s for s, _ in paragraphs if s == "SRIMSynthetic"] == ["SRIMSynthetic"]
    styles = docx_part(doc, "word/styles.xml")
    for name in (export.NOTE_STYLE, export.SYNTHETIC_STYLE, export.SOURCE_STYLE):
        assert f'w:val="{name}"' in styles
    assert 'w:fill="E8EEF4"' in styles  # the house table header
    (size,) = re.findall(r"<w:pgSz [^>]*>", docx_part(doc, "word/document.xml"))
    assert 'w:w="11906"' in size and 'w:h="16838"' in size  # A4


def test_sources_name_the_run_and_every_file(tiny_docs):
    doc = tiny_docs[1].path
    paragraphs = docx_paragraphs(doc)
    sources = [t for s, t in paragraphs if s == "SRIMSource"]
    joined = "\n".join(sources)
    assert "Notebook 05_second, run r1 finished 02 January 2026 03:04" in joined
    assert "data study (synthetic, fingerprint f00); code commit abc123." in joined
    assert "Figure 1: figures/all/05_second__zeta.png" in joined
    assert "Table 1: reports/all/tables/05_second__beta.csv" in joined
    assert "Other files of this run: reports/all/framework/matrix.xlsx" in joined
    assert "/somewhere" not in docx_part(doc, "word/document.xml")


def test_a_team_reference_docx_gives_the_style(tiny_run, tmp_path):
    team = tmp_path / "team.docx"
    with zipfile.ZipFile(export.REFERENCE_DOCX) as src, zipfile.ZipFile(team, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/styles.xml":
                data = data.replace(
                    b'w:val="SRIM Note"', b'w:val="SRIM Note"/><w:aliases w:val="Team note"'
                )
                data = data.replace(b'w:fill="E8EEF4"', b'w:fill="FFEEDD"')
            dst.writestr(item, data)
    doc = export.export_report(
        tiny_run, to=tmp_path / "team", reference_docx=team, say=lambda _: None
    )[0].path
    styles = docx_part(doc, "word/styles.xml")
    assert "Team note" in styles and 'w:fill="FFEEDD"' in styles
    assert 'w:fill="E8EEF4"' not in styles


def test_a_site_gets_the_objectives_it_ran(tiny_run, tmp_path):
    said = []
    docs = export.export_report(tiny_run, site="S01", to=tmp_path, say=said.append)
    assert [(d.objective, d.path.name) for d in docs] == [(3, "objective-3_S01.docx")]
    assert "Objective 1 runs for the whole study only: no document for S01." in said
    text = [t for _, t in docx_paragraphs(docs[0].path)]
    assert "S01" in text  # no published table names the site: its id
    assert "The run recorded no key findings for this objective." in text


def test_refuses_what_it_cannot_export(tiny_run, tmp_path):
    with pytest.raises(export.ExportError, match="No run outputs for site 'S99'"):
        export.export_report(tiny_run, site="S99", to=tmp_path)
    with pytest.raises(export.ExportError, match="run `srim run` first"):
        export.export_report(tmp_path / "empty", to=tmp_path)
    with pytest.raises(export.ExportError, match="Reference document not found"):
        export.export_report(tiny_run, to=tmp_path, reference_docx=tmp_path / "none.docx")
    broken = tmp_path / "broken.docx"
    broken.write_text("not a Word document", encoding="utf-8")
    with pytest.raises(export.ExportError, match=r"pandoc could not write objective-1_all\.docx"):
        export.export_report(tiny_run, to=tmp_path / "b", reference_docx=broken, say=print)
    assert list((tmp_path / "b").iterdir()) == []  # no partial document left


def test_real_data_is_not_exported_into_the_repository(tmp_path):
    out = tmp_path / "out"
    make_run(out, "05_second", objective=3, kind="real", tables={}, figure_ids=("a",))
    target = paths.ROOT / "notebooks"  # tracked by git
    before = sorted(target.iterdir())
    with pytest.raises(export.ExportError, match="Refusing to export documents of real data"):
        export.export_report(out, to=target, say=lambda _: None)
    assert sorted(target.iterdir()) == before
    # outside the repository it is written
    docs = export.export_report(out, to=tmp_path / "private", say=lambda _: None)
    assert docs[0].path.is_file()
    text = [t for _, t in docx_paragraphs(docs[0].path)]
    assert not any(t.startswith("Synthetic data") for t in text)


def test_escape_keeps_text_as_written():
    assert export.escape("a|b *c* <d> [e] $5 #1") == r"a\|b \*c\* \<d\> \[e\] \$5 \#1"


# ---------------------------------------------------------------------------
# The test report of the suite (tests/conftest.py's synthetic_report): the real outputs
# ---------------------------------------------------------------------------

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _numbers(text: str, *, thousands: bool = False) -> set[str]:
    """Return the numbers in ``text`` (``thousands``: "1,234" read as one number)."""
    if thousands:
        text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    # "0.170" shows the published 0.17: compare numbers, not their trailing zeros
    return {n.rstrip("0").rstrip(".") if "." in n else n for n in _NUMBER.findall(text)}


@pytest.fixture(scope="module")
def exported(synthetic_report, tmp_path_factory):
    """The documents of the suite's report for all sites."""
    to = tmp_path_factory.mktemp("export")
    return export.export_report(synthetic_report, to=to, say=lambda _: None)


def test_the_report_exports_one_document_per_objective(exported, synthetic_report):
    layout = RunLayout.under(synthetic_report)
    stamps = [json.loads(p.read_text()) for p in layout.logs_dir("all").glob("*.ok.json")]
    objectives = sorted(s["objective"] for s in stamps if isinstance(s.get("objective"), int))
    assert [d.objective for d in exported] == objectives
    for doc in exported:
        (stamp,) = [s for s in stamps if s.get("objective") == doc.objective]
        nb = stamp["notebook"]
        saved = {r["figure_id"]: r for r in json.loads(layout.fragment("all", nb).read_text())}
        # the page's numbering: what the run listed as shown, else the order it saved them
        contents = publishing.contents_path(layout, "all", nb)
        shown = (
            [e["key"] for e in json.loads(contents.read_text()) if e["kind"] == "figure"]
            if contents.exists()
            else list(saved)
        )
        assert sorted(shown) == sorted(saved)  # every saved figure, once
        captions = [t for s, t in docx_paragraphs(doc.path) if s == "ImageCaption"]
        assert captions == [
            presentation.figure_label(i, saved[key]["caption"])
            for i, key in enumerate(shown, start=1)
        ]
        assert doc.figures == len(saved)


def test_every_number_in_the_documents_was_published(exported, synthetic_report):
    layout = RunLayout.under(synthetic_report)
    for doc in exported:
        notebooks = [
            json.loads(p.read_text())
            for p in layout.logs_dir("all").glob("*.ok.json")
            if json.loads(p.read_text()).get("objective") == doc.objective
        ]
        published = ""
        for stamp in notebooks:
            nb = stamp["notebook"]
            published += stamp["title"] + stamp["description"]
            published += "".join(
                p.read_text() for p in layout.tables_dir("all").glob(f"{nb}__*.csv")
            )
            published += (
                layout.findings("all", nb).read_text()
                if layout.findings("all", nb).exists()
                else ""
            )
            published += layout.fragment("all", nb).read_text()
        allowed = _numbers(published) | {"0.001", str(doc.objective)}
        body = []
        for style, text in docx_paragraphs(doc.path):
            if text == "Sources":
                break
            if style != "SRIMSource":  # the sources and the notes on rows left out
                body.append(re.sub(r"\b(Figure|Table) \d+\b", "", text))
        unknown = _numbers(" ".join(body), thousands=True) - allowed
        assert not unknown, f"{doc.path.name}: numbers not in any published table: {unknown}"


def test_a_failed_run_exports_its_last_good_outputs(tmp_path):
    out = tmp_path / "out"
    layout = make_run(out, "05_second", objective=3, figure_ids=("a",))
    make_run(out, "06_first", objective=1, figure_ids=())
    layout.ok_stamp("all", "06_first").unlink()  # 06 never ran well
    for nb in ("05_second", "06_first"):
        stamp = {"notebook": nb, "site": "all", "objective": 3 if nb == "05_second" else 1}
        layout.failed_stamp("all", nb).write_text(json.dumps(stamp), encoding="utf-8")
    said: list[str] = []
    docs = export.export_report(out, to=tmp_path / "docs", say=said.append)
    assert [d.objective for d in docs] == [3]
    assert (
        "Note: the last run of 05_second for all failed; its last good outputs are exported."
        in said
    )
    assert "Note: the last run of 06_first for all failed; it has no outputs." in said


def test_a_long_table_shows_its_first_rows_and_says_where_the_rest_are(tmp_path):
    out = tmp_path / "out"
    rows = export.MAX_ROWS + 10
    long = pd.DataFrame({"k": [f"row {i}" for i in range(rows)], "n": ["7"] * rows})
    whole = pd.DataFrame({"k": [f"line {i}" for i in range(export.MAX_ROWS)]})
    tables = {"long": ("Long", long), "whole": ("Whole", whole)}
    make_run(out, "05_second", objective=3, tables=tables, shown=("long", "whole"))
    doc = export.export_report(out, to=tmp_path / "docs", say=lambda _: None)[0].path
    text = [t for _, t in docx_paragraphs(doc)]
    assert [t for t in text if t.startswith("row ")] == [f"row {i}" for i in range(30)]
    assert len([t for t in text if t.startswith("line ")]) == export.MAX_ROWS
    assert "The first 30 rows are shown; the other 40 are in the CSV file." in text
