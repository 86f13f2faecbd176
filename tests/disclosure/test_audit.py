"""The disclosure audit of a finished output folder: known answers for each rule, the command,
the whole synthetic report, and a deliberately leaky copy of it."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from srim_analysis import disclosure
from srim_analysis.cli import main
from srim_analysis.disclosure import AuditFinding, audit_html_text, audit_output, audit_table_text
from srim_analysis.layout import RunLayout

NOTE = "# c = suppressed. Counts from 1 to 4 are not shown."

#: Today's real leak (reports/S01/tables/00_study_overview__participants_by_role.csv).
ROLE_TABLE = """\
role,n_interview,n_focus_group,n_total
manager,7,c,9
practitioner,8,8,16
safeguarding_lead,c,c,c
senior_practitioner,0,c,c
strategic_lead,c,c,c
Total,20,15,35
"""

#: Today's S03 table of the same kind: two exact cells and a total known to be small.
ROLE_TABLE_S03 = """\
role,n_interview,n_focus_group,n_total
manager,c,5,7
practitioner,8,c,12
safeguarding_lead,c,c,c
senior_practitioner,c,0,c
Total,13,10,23
"""


def published(csv_text: str, caption: str = "A table") -> str:
    """Return a table as Report.table writes it: comment lines, then the CSV."""
    return f"# {caption}\n{NOTE}\n{csv_text}"


def write_table(root: Path, site: str, name: str, csv_text: str) -> Path:
    """Write one published table into the output root ``root``; return its path."""
    path = RunLayout.under(root).table(site, "00_test", name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(published(csv_text), encoding="utf-8")
    return path


def where(findings: list[AuditFinding]) -> set[tuple[str, int, str, str]]:
    """Return (file, row, column, rule) of each finding."""
    return {(f.file, f.row, f.column, f.rule) for f in findings}


# -- known answers ---------------------------------------------------------------------------


def test_a_small_count_shown_is_found_with_its_row_and_column():
    text = published("site,n_cases,pct_shared\nA,3,40.0\nB,12,60.0\n")
    [finding] = audit_table_text("t.csv", text)
    assert (finding.row, finding.column, finding.value, finding.rule) == (
        4,
        "n_cases",
        "3",
        "small-count",
    )
    assert finding.line().startswith("t.csv:4:n_cases 3 small-count ")
    assert audit_table_text("t.csv", text, min_cell=3) == []
    assert audit_table_text("t.csv", published("site,n_cases\nA,0\nB,5\n")) == []


def test_the_row_total_leak_of_todays_report_is_recoverable():
    findings = audit_table_text("role.csv", published(ROLE_TABLE))
    assert where(findings) == {("role.csv", 4, "n_focus_group", "recoverable")}
    assert findings[0].value == "c" and "it is 2" in findings[0].message


def test_exact_cells_and_a_small_range_in_a_two_way_table():
    findings = audit_table_text("role.csv", published(ROLE_TABLE_S03))
    assert where(findings) == {
        ("role.csv", 4, "n_interview", "recoverable"),
        ("role.csv", 5, "n_focus_group", "recoverable"),
        ("role.csv", 6, "n_focus_group", "recoverable"),
        ("role.csv", 6, "n_total", "small-range"),
    }
    messages = {(f.row, f.column): f.message for f in findings}
    assert "it is 2" in messages[(4, "n_interview")]
    assert "it is 4" in messages[(5, "n_focus_group")]
    assert "it is 1" in messages[(6, "n_focus_group")]
    assert "between 1 and 4" in messages[(6, "n_total")]


def test_a_total_row_pins_a_lone_hidden_cell_but_not_two():
    leaky = published("group,n\nA,c\nB,10\nC,7\nTotal,20\n")
    [finding] = audit_table_text("t.csv", leaky)
    assert (finding.row, finding.column, finding.rule) == (4, "n", "recoverable")
    assert "it is 3" in finding.message
    safe = published("group,n\nA,c\nB,c\nC,10\nTotal,20\n")
    assert audit_table_text("t.csv", safe) == []


def test_total_rows_are_per_group_of_the_other_labels():
    text = published(
        "site,group,n\nS1,A,c\nS1,B,c\nS1,All,12\nS2,A,c\nS2,B,9\nS2,All,12\n"
    )  # S1's two hidden cells are safe; S2's one is 3
    findings = audit_table_text("t.csv", text)
    assert where(findings) == {("t.csv", 7, "n", "recoverable")}


def test_a_sum_column_is_found_arithmetically():
    text = published(
        "item,n_respondents,n_answered,n_missing\nA,100,90,10\nB,100,80,20\nC,100,97,c\nD,100,c,c\n"
    )
    findings = audit_table_text("t.csv", text)
    assert where(findings) == {("t.csv", 6, "n_missing", "recoverable")}
    assert "it is 3" in findings[0].message
    # one fully shown row is not enough to call a column a sum
    once = published("item,n_respondents,n_answered,n_missing\nA,100,90,10\nC,100,97,c\n")
    assert audit_table_text("t.csv", once) == []


def test_a_percentage_of_a_shown_denominator_pins_a_hidden_count():
    text = published("group,n_yes,n_total,pct_yes\nA,10,20,50.0\nB,c,40,7.5\nC,c,40,c\n")
    findings = audit_table_text("t.csv", text)
    assert where(findings) == {("t.csv", 5, "n_yes", "recoverable")}
    assert "it is 3" in findings[0].message


def test_inconsistent_totals_are_not_used():
    # a multi-response total (people may be in several groups): no relation, no finding
    text = published("group,n\nA,c\nB,10\nC,9\nTotal,15\n")
    assert audit_table_text("t.csv", text) == []


PAGE = """<html><head><style>.n = 2 people {}</style>
<script>var x = "2 participants";</script></head>
<body>
<p>Of the managers, 2 participants said they had read the advice.</p>
<p>Fewer than 5 participants answered; in 2024 the advice changed.</p>
<p>Section 3 cases are described below; the table has 12 participants (n=4).</p>
<p>Counts from 1 to 4 are not shown.</p><p>P2 participants, 5 respondents.</p>
</body></html>
"""


def test_small_counts_of_people_in_html_sentences():
    findings = audit_html_text("page.html", PAGE)
    assert [(f.row, f.value, f.rule) for f in findings] == [
        (4, "2 participants", "text-small-count"),
        (6, "n=4", "text-small-count"),
    ]
    assert "Of the managers, 2 participants said they had read the advice." in findings[0].message
    assert audit_html_text("page.html", PAGE, min_cell=2) == []


# -- output roots and the command ------------------------------------------------------------


def test_the_whole_root_is_audited_with_the_run_records_min_cell(tmp_path):
    write_table(tmp_path, "S01", "counts", "site,n_cases\nA,7\nB,12\n")
    assert audit_output(tmp_path).ok
    record = {"runs": [{"notebook": "00_test", "site": "S01", "parameters": {"min_cell": 10}}]}
    RunLayout.under(tmp_path).record.write_text(json.dumps(record))
    result = audit_output(tmp_path)
    assert where(result.findings) == {
        ("reports/S01/tables/00_test__counts.csv", 4, "n_cases", "small-count")
    }
    assert result.tables == 1 and "1 finding(s)" in result.summary()
    assert audit_output(tmp_path, fixed_min_cell=5).ok


def test_figure_data_and_pages_are_audited(tmp_path):
    layout = RunLayout.under(tmp_path)
    data = layout.site_figures("all") / "00_test__bars.csv"
    data.parent.mkdir(parents=True)
    data.write_text("# Bars\ngroup,n\nA,2\n", encoding="utf-8")
    page = layout.html("all", "00_test")
    page.parent.mkdir(parents=True)
    page.write_text(PAGE, encoding="utf-8")
    result = audit_output(tmp_path)
    assert where(result.findings) == {
        ("figures/all/00_test__bars.csv", 3, "n", "small-count"),
        ("reports/all/00_test.html", 4, "text", "text-small-count"),
        ("reports/all/00_test.html", 6, "text", "text-small-count"),
    }
    assert result.pages == 1


def test_the_command_exits_0_clean_1_leaky_2_not_an_output_root(tmp_path, capsys):
    clean, leaky = tmp_path / "clean", tmp_path / "leaky"
    write_table(clean, "S01", "counts", "site,n_cases\nA,7\nB,12\n")
    write_table(leaky, "S01", "role", ROLE_TABLE)
    assert main(["audit-disclosure", str(clean)]) == 0
    assert "Disclosure audit: 0 finding(s)" in capsys.readouterr().out
    found = tmp_path / "found.csv"
    assert main(["audit-disclosure", str(leaky), "--csv", str(found)]) == 1
    out = capsys.readouterr().out
    assert "reports/S01/tables/00_test__role.csv:4:n_focus_group c recoverable" in out
    assert "Disclosure audit: 1 finding(s)" in out
    assert "n_focus_group" in found.read_text()
    assert main(["audit-disclosure", str(leaky), "--min-cell", "1"]) == 1  # still exact
    assert main(["audit-disclosure", str(tmp_path / "nothing")]) == 2
    assert "not an output root" in capsys.readouterr().err


def test_findings_are_written_as_csv(tmp_path):
    findings = audit_table_text("role.csv", published(ROLE_TABLE))
    path = disclosure.write_findings(findings, tmp_path / "a" / "audit.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "file,row,column,value,rule,message"
    assert lines[1].startswith("role.csv,4,n_focus_group,c,recoverable,")
    assert disclosure.write_findings([], tmp_path / "none.csv").read_text().strip() == (
        "file,row,column,value,rule,message"
    )


# -- the synthetic report --------------------------------------------------------------------


@pytest.mark.notebooks
def test_the_whole_synthetic_report_is_clean(synthetic_report):
    result = audit_output(synthetic_report)
    assert result.tables > 100 and result.pages > 5
    assert result.findings == [], "\n".join(f.line() for f in result.findings)


def _leaky_copy(synthetic_report: Path, tmp_path: Path) -> Path:
    root = tmp_path / "leaky"
    shutil.copytree(synthetic_report / "reports", root / "reports")
    shutil.copytree(synthetic_report / "figures", root / "figures")
    return root


def _rows(path: Path) -> tuple[list[str], list[list[str]], int]:
    """Return a published table's comment lines, its CSV rows, and the header's line."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    comments = [line for line in lines if line.startswith("#")]
    rows = list(csv.reader(io.StringIO("".join(lines[len(comments) :]))))
    return comments, rows, len(comments) + 1


def _write_rows(path: Path, comments: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text("".join(comments) + buffer.getvalue(), encoding="utf-8")


def _where_all(root: Path) -> set[tuple[str, int, str, str]]:
    return where(audit_output(root).findings)


@pytest.mark.notebooks
def test_each_planted_leak_in_a_copy_of_the_synthetic_report_is_found(synthetic_report, tmp_path):
    root = _leaky_copy(synthetic_report, tmp_path)
    before = _where_all(root)
    planted: set[tuple[str, int, str, str]] = set()
    tables = sorted((root / "reports").glob("*/tables/*.csv"))

    # 1. a small count shown, in a table with a count column n and no hidden cell
    used = None
    for path in tables:
        comments, rows, header = _rows(path)
        if "n" not in rows[0] or len(rows) < 3:
            continue
        j = rows[0].index("n")
        body = rows[1:]
        if any(r[j] == "c" for r in body) or not body[0][j].isdigit() or int(body[0][j]) < 5:
            continue
        body[0][j] = "2"
        _write_rows(path, comments, rows)
        planted.add((path.relative_to(root).as_posix(), header + 1, "n", "small-count"))
        used = path
        break
    assert planted, "no table to plant a small count in"

    # 2. a hidden cell made recoverable: a count column of a table with one total row, whose
    #    hidden cells sit in rows with no other hidden count; its other hidden cells are
    #    shown (as 0), so the first is the total less the rest
    def count_column(name: str) -> bool:
        low = name.casefold()
        return (low == "n" or low.startswith("n_")) and low not in ("n_total", "n_all")

    for path in tables:
        if path == used:
            continue
        comments, rows, header = _rows(path)
        head, body = rows[0], rows[1:]
        totals = [i for i, r in enumerate(body, 1) if r[0].strip().casefold() in ("all", "total")]
        if len(totals) != 1:
            continue
        counts = [j for j, name in enumerate(head) if count_column(name)]
        for j in counts:
            hidden = [
                i
                for i, r in enumerate(body, 1)
                if i != totals[0] and r[j] == "c" and not any(r[k] == "c" for k in counts if k != j)
            ]
            if len(hidden) < 2:
                continue
            if sum(1 for r in body if r[j] == "c") != len(hidden):
                continue  # a hidden cell elsewhere in the column (or the total) would stay
            for i in hidden[1:]:
                rows[i][j] = "0"
            _write_rows(path, comments, rows)
            planted.add(
                (path.relative_to(root).as_posix(), header + hidden[0], head[j], "recoverable")
            )
            break
        if len(planted) == 2:
            break
    assert len(planted) == 2, "no table to make a hidden cell recoverable in"

    # 3. a sentence in an HTML page
    page = sorted((root / "reports" / "S02").glob("*.html"))[0]
    lines = page.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if "</body>" in line)
    lines.insert(at, "<p>In one team 2 participants had never seen the advice.</p>")
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    planted.add((page.relative_to(root).as_posix(), at + 1, "text", "text-small-count"))

    after = _where_all(root)
    assert planted <= after, planted - after
    assert not planted & before


# -- tables of one population, read together -------------------------------------------------

BY_AGENCY_A = """agency,n
Police,7
Health,c
Probation,c
All,30
"""
BY_AGENCY_B = """agency,n
Police,c
Health,20
Probation,c
All,30
"""


def _population_tables(population_a: str | None, population_b: str | None):
    def text(body: str, population: str | None) -> str:
        line = f"# population: {population}\n" if population else ""
        return f"# A table\n{NOTE}\n{line}{body}"

    return [
        ("reports/all/tables/00_a__by_agency.csv", text(BY_AGENCY_A, population_a), None),
        ("reports/all/tables/04_b__by_agency.csv", text(BY_AGENCY_B, population_b), None),
    ]


def test_two_tables_of_one_population_give_away_what_each_hides_alone():
    # each table alone is safe: Health + Probation = 23 in A, Police + Probation = 10 in B;
    # together, A's Police (7) pins B's Probation at 3 and B's Health (20) pins A's at 3
    alone = [audit_table_text(n, t) for n, t, _ in _population_tables("participants", "x")]
    assert alone == [[], []]
    found = disclosure.audit_tables_text(_population_tables("participants", "participants"))
    # line 7 of each file: caption, note, population, header, Police, Health, Probation
    assert {(f.file.split("/")[-1], f.row, f.column, f.rule, f.message[-7:]) for f in found} == {
        ("00_a__by_agency.csv", 7, "n", "linked", "it is 3"),
        ("04_b__by_agency.csv", 7, "n", "linked", "it is 3"),
    }
    assert "04_b__by_agency.csv" in found[0].message and "participants" in found[0].message


@pytest.mark.parametrize(("a", "b"), [(None, None), ("participants", "respondents")])
def test_tables_of_different_or_undeclared_populations_are_not_linked(a, b):
    assert disclosure.audit_tables_text(_population_tables(a, b)) == []


def test_a_per_site_table_links_to_the_all_sites_table_by_its_site(tmp_path):
    site = """agency,n
Police,c
Health,20
Probation,c
All,30
"""
    by_site = """site_id,agency,n
S01,Police,7
S01,Health,c
S01,Probation,c
S01,All,30
"""
    for folder, name, body in (("S01", "by_agency", site), ("all", "by_site", by_site)):
        path = RunLayout.under(tmp_path).table(folder, "00_test", name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# A table\n{NOTE}\n# population: people\n{body}", encoding="utf-8")
    result = audit_output(tmp_path)
    assert {(f.file.split("/")[1], f.rule) for f in result.findings} == {
        ("S01", "linked"),
        ("all", "linked"),
    }
