"""Renaming every code, item and site id consistently changes no published number (issue #17).

A copy of the shipped study has every site id, code id, survey item id and construct name
renamed in every table and in its ``study.toml`` (the new ids sort in the opposite order,
so a table ordered by id comes out in another order). Every notebook runs on it for the
whole study and one site, and every table it publishes is compared with the same table of
the run on the shipped study (``synthetic_report``): same columns, same rows, same values,
once the new ids are mapped back and the rows sorted.
"""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from srim_analysis import runner
from srim_analysis.report.publishing import read_published
from srim_analysis.study import synthetic
from srim_analysis.study.plan import PLAN_FILE, read_plan, render_plan

#: The shipped site whose run is compared beside "all" (the smallest: suppression at work).
SITE = "S08"


@dataclass(frozen=True)
class Renaming:
    """The new name of every site, code, item and construct, and the way back."""

    sites: dict[str, str]
    codes: dict[str, str]
    items: dict[str, str]
    constructs: dict[str, str]

    def back(self) -> dict[str, str]:
        """Return {new name: old name} for every renamed id."""
        return {
            new: old
            for mapping in (self.sites, self.codes, self.items, self.constructs)
            for old, new in mapping.items()
        }


def _reversed(names: list[str], make) -> dict[str, str]:
    """Name the i-th of ``names`` (sorted) so that the new names sort in reverse order."""
    ordered = sorted(names)
    return {old: make(len(ordered) - i) for i, old in enumerate(ordered)}


def renaming_of(study) -> Renaming:
    """Return new ids for every site, code, item and construct of ``study``."""
    return Renaming(
        sites=_reversed(list(study.sites["site_id"]), lambda k: f"area-{chr(ord('a') + k)}"),
        codes=_reversed(list(study.codebook["code_id"]), lambda k: f"KX{k:03d}"),
        items=_reversed(list(study.survey_items["item_id"]), lambda k: f"QI_{k:02d}"),
        constructs=_reversed(
            list(dict.fromkeys(study.survey_items["construct"])),
            lambda k: f"cx_{chr(ord('a') + k)}",
        ),
    )


def _read_raw(path: Path) -> tuple[str, pd.DataFrame]:
    """Return a CSV's banner line and its cells, as text exactly as written."""
    text = path.read_text(encoding="utf-8")
    banner, body = text.split("\n", 1)
    return banner, pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)


def _write_raw(path: Path, banner: str, frame: pd.DataFrame) -> None:
    buf = io.StringIO()
    buf.write(banner + "\n")
    frame.to_csv(buf, index=False, lineterminator="\n")
    path.write_text(buf.getvalue(), encoding="utf-8")


def write_renamed(source: Path, dest: Path, names: Renaming) -> Path:
    """Copy the study in ``source`` to ``dest`` with every id renamed; return ``dest``."""
    shutil.copytree(source, dest)
    raw = {p.stem: _read_raw(p) for p in sorted(source.glob("*.csv")) if p.stem != "identifiers"}
    renamed = synthetic.rename_ids(
        {name: frame for name, (_, frame) in raw.items()},
        sites=names.sites,
        codes=names.codes,
        items=names.items,
        constructs=names.constructs,
    )
    for name, frame in renamed.items():
        _write_raw(dest / f"{name}.csv", raw[name][0], frame)
    plan, problems = read_plan(source)
    assert not problems
    marker = (source / PLAN_FILE).read_text(encoding="utf-8")
    seed = int(re.search(r"^seed = (\d+)", marker, re.M).group(1))
    (dest / PLAN_FILE).write_text(
        "# SYNTHETIC DATA marker: the loader refuses to treat this folder as real.\n"
        + render_plan(
            synthetic.rename_plan(
                plan, codes=names.codes, constructs=names.constructs, sites=names.sites
            ),
            "synthetic",
            synthetic.study_name("study"),
            {"seed": seed},
        ),
        encoding="utf-8",
    )
    return dest


@pytest.fixture(scope="session")
def renaming(study) -> Renaming:
    """The new names of the shipped study's ids."""
    return renaming_of(study)


@pytest.fixture(scope="session")
def renamed_report(tmp_path_factory, shipped_dir, renaming) -> Path:
    """Run every notebook on the renamed study (all sites, and the renamed SITE)."""
    root = tmp_path_factory.mktemp("renamed")
    folder = write_renamed(shipped_dir, root / "study", renaming)
    out = root / "out"
    status = runner.cli(
        [
            *("--data", str(folder), "--out", str(out), "--jobs", "2", "--force"),
            *("--site", "all", renaming.sites[SITE]),
        ]
    )
    assert status == 0, f"srim run on the renamed study failed (exit {status}); see {out}/reports"
    return out


def _map_back(text: str, pattern: re.Pattern, back: dict[str, str]) -> str:
    return pattern.sub(lambda m: back[m.group(0)], text)


def _pattern(back: dict[str, str]) -> re.Pattern:
    return re.compile("|".join(re.escape(k) for k in sorted(back, key=len, reverse=True)))


def _restored(frame: pd.DataFrame, pattern: re.Pattern, back: dict[str, str]) -> pd.DataFrame:
    """Return a published table with the new ids mapped back in its cells and column names."""
    out = frame.rename(columns=lambda c: _map_back(str(c), pattern, back))
    return out.map(lambda v: _map_back(v, pattern, back) if isinstance(v, str) else v)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)


#: Columns describing which passage a seeded draw picked to illustrate a code (its text,
#: speaker, source): the draw is not a published number; how many quotes each code has is.
DRAWN = ("quote", "attribution", "redacted", "segment_id", "method")


def differences(original: pd.DataFrame, renamed: pd.DataFrame) -> list[str]:
    """Return how two published tables differ (empty when they hold the same rows)."""
    if list(original.columns) != list(renamed.columns):
        return [f"columns {list(original.columns)} != {list(renamed.columns)}"]
    if original.shape != renamed.shape:
        return [f"shape {original.shape} != {renamed.shape}"]
    if "quote" in original.columns:
        drawn = [c for c in DRAWN if c in original.columns]
        original, renamed = original.drop(columns=drawn), renamed.drop(columns=drawn)
    a, b = _sorted(original), _sorted(renamed)
    found = []
    for col in a.columns:
        x, y = pd.to_numeric(a[col], errors="coerce"), pd.to_numeric(b[col], errors="coerce")
        numeric = x.notna() & y.notna()
        same = np.where(
            numeric, np.isclose(x.fillna(0), y.fillna(0), rtol=1e-9, atol=1e-9), a[col] == b[col]
        )
        for i in np.flatnonzero(~same)[:3]:
            found.append(f"{col}, row {i}: {a[col].iloc[i]!r} != {b[col].iloc[i]!r}")
    return found


def compare_reports(
    original: Path, renamed: Path, names: Renaming, sites: dict[str, str]
) -> dict[str, list[str]]:
    """Return, for every published table that differs, how it differs ({} when none do)."""
    back = names.back()
    pattern = _pattern(back)
    problems: dict[str, list[str]] = {}
    for old_site, new_site in sites.items():
        before = {
            p.name: p for p in sorted((original / "reports" / old_site / "tables").glob("*.csv"))
        }
        after = {
            _map_back(p.name, pattern, back): p
            for p in sorted((renamed / "reports" / new_site / "tables").glob("*.csv"))
        }
        for name in sorted(set(before) ^ set(after)):
            problems[f"{old_site}/{name}"] = [
                "published only by the " + ("original" if name in before else "renamed") + " run"
            ]
        for name in sorted(set(before) & set(after)):
            found = differences(
                read_published(before[name]),
                _restored(read_published(after[name]), pattern, back),
            )
            if found:
                problems[f"{old_site}/{name}"] = found
    return problems


def test_renamed_copy_holds_none_of_the_old_ids(renamed_report, renaming, shipped_dir):
    folder = renamed_report.parent / "study"
    text = "\n".join(
        p.read_text(encoding="utf-8")
        for p in sorted(folder.glob("*"))
        if p.suffix in {".csv", ".toml"} and p.stem != "identifiers"
    )
    for old in [*renaming.codes, *renaming.items, *renaming.sites]:
        assert not re.search(rf"(?<![\w-]){re.escape(old)}(?![\w-])", text), old
    items = pd.read_csv(folder / "survey_items.csv", comment="#")
    assert set(items["construct"]) == set(renaming.constructs.values())
    segments = pd.read_csv(folder / "coded_segments.csv", comment="#")
    assert set(segments["code_id"]) <= set(renaming.codes.values())
    # every coding of every coder, withdrawn people's too: the file, row for row
    shipped = pd.read_csv(shipped_dir / "coded_segments.csv", comment="#")
    assert len(segments) == len(shipped)
    assert (segments["segment_id"] == shipped["segment_id"]).all()


def test_renaming_changes_no_published_number(synthetic_report, renamed_report, renaming):
    problems = compare_reports(
        synthetic_report, renamed_report, renaming, {"all": "all", SITE: renaming.sites[SITE]}
    )
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_the_comparison_sees_a_changed_number():
    """The comparison is not blind: a changed cell is found, another row order is not."""
    original = pd.DataFrame({"site": ["a", "b", "c"], "n": ["5", "7", "c"]})
    changed = original.assign(n=["5", "8", "c"])
    assert differences(original, changed) == ["n, row 1: '7' != '8'"]
    assert not differences(original, original.iloc[::-1].reset_index(drop=True))
    quotes = pd.DataFrame({"code_id": ["a", "b"], "quote": ["x", "y"], "n": ["5", "6"]})
    assert not differences(quotes, quotes.assign(quote=["z", "w"]))
    assert differences(quotes, quotes.assign(n=["5", "7"]))
