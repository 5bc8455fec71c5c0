"""The finance summary of a batch: its totals are the sums over the decision lines;
its CSV cannot run formulas in a spreadsheet."""
from __future__ import annotations

import csv
import json
from collections import defaultdict
from decimal import Decimal

import pytest
from batch_support import BAD_LINES, TOTAL, batch, decisions, standard_input

from xisai.cli.batch_report import spreadsheet_safe, write_csv
from xisai.engine.batch.line import tally_of
from xisai.engine.batch.summary import Summary
from xisai.engine.i18n import Messages
from xisai.engine.rulebook import load_rulebook


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("summary")
    source = root / "cases.jsonl"
    standard_input(source)
    done = batch(source, "-o", root / "out.jsonl", "--workers", "2", "--summary-json", root / "s.json",
                 "--summary-csv", root / "s.csv", "--lang", "en")
    assert done.returncode == 2, done.stderr.decode()
    return {"decisions": decisions(root / "out.jsonl"), "json": json.loads((root / "s.json").read_text(encoding="utf-8")),
            "csv": list(csv.reader((root / "s.csv").read_text(encoding="utf-8-sig").splitlines()))}


def expected_cells(out: list[dict]) -> dict[tuple[str, int], dict]:
    """Recomputed here from the decision lines, with nothing but the floor fields."""
    cells: dict[tuple[str, int], dict] = defaultdict(lambda: {"beneficiaries": set(), "exact": Decimal(0), "maximum": Decimal(0),
                                                              "in_kind_lines": 0, "in_kind_value": Decimal(0)})
    for d in out:
        for p in d["payouts"]:
            c = cells[(p["program"], p["year"])]
            c["beneficiaries"].add((d["line"], p["beneficiary"]))
            if p["kind"] == "cash":
                c[p["basis"]] += Decimal(p["amount"])
            else:
                c["in_kind_lines"] += 1
                c["in_kind_value"] += Decimal(p["amount"] or 0)
    return cells


def test_summary_totals_are_the_sums_over_the_decision_lines(run):
    out, summary = run["decisions"], run["json"]
    assert summary["cases"] == {"read": TOTAL, "ok": TOTAL - len(BAD_LINES), "invalid": len(BAD_LINES), "error": 0}
    assert summary["first_invalid_lines"] == sorted(BAD_LINES)
    cells = expected_cells(out)
    got = {(r["program"], r["year"]): r for r in summary["programs"]}
    assert set(got) == set(cells)
    for key, c in cells.items():
        r = got[key]
        assert r["beneficiaries"] == len(c["beneficiaries"])
        assert (Decimal(r["cash_exact"]), Decimal(r["cash_maximum"])) == (c["exact"], c["maximum"])
        assert Decimal(r["cash_total"]) == c["exact"] + c["maximum"]
        assert (r["in_kind_lines"], Decimal(r["in_kind_value"])) == (c["in_kind_lines"], c["in_kind_value"])
    cash = sum((Decimal(d["totals"]["cash"]) for d in out), Decimal(0))
    exact = sum((Decimal(d["totals"]["cash_exact"]) for d in out), Decimal(0))
    assert Decimal(summary["total"]["cash_total"]) == cash > 0
    assert Decimal(summary["total"]["cash_exact"]) == exact
    assert Decimal(summary["total"]["in_kind_value"]) == sum((Decimal(d["totals"]["in_kind_value"]) for d in out), Decimal(0))
    assert summary["programs"][0]["title"]["en"] and summary["run"]["complete"] is True


def test_the_csv_has_the_same_figures_with_headers_in_the_language(run):
    header, *rows = run["csv"]
    assert header[:3] == ["program", "title", "year"]
    table = rows[:rows.index([])]
    total = table[-1]
    assert total[1] == "total" and total[4] == run["json"]["total"]["cash_total"]
    assert len(table) - 1 == len(run["json"]["programs"])
    assert ["cases read", str(TOTAL)] in rows


def test_summary_state_survives_the_run_record_round_trip(run):
    summary = Summary()
    for d in run["decisions"]:
        summary.add(d["line"], tally_of(d))
    again = Summary.from_state(json.loads(json.dumps(summary.to_state())))
    assert again == summary
    assert again.total().cash_total == Decimal(run["json"]["total"]["cash_total"])


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_spreadsheet_cells_starting_a_formula_are_neutralised(cell):
    assert spreadsheet_safe(cell) == "'" + cell
    assert spreadsheet_safe("talent.apartment") == "talent.apartment"
    assert spreadsheet_safe("1234.50") == "1234.50"


def test_formula_cells_are_neutralised_in_the_written_csv(tmp_path):
    book = load_rulebook()
    summary = Summary()
    hostile = ["=cmd|' /C calc'!A0", "+SUM(1)", "-1", "@x", "\tTAB", "\rCR"]
    for i, program in enumerate(hostile):
        summary.add(i + 1, ("ok", ((program, 2023, "cash", "exact", "=P1", "10.00"),)))
    path = tmp_path / "s.csv"
    write_csv(path, summary, book, Messages.get("en"))
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    programs = {r[0] for r in rows[1:] if r}
    assert programs >= {"'" + p for p in hostile}
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)


@pytest.mark.parametrize("width", [80, 120, 200])
def test_the_terminal_summary_cuts_no_figure(run, width):
    """Finance reads the totals off the screen: at any width every amount is whole."""
    from io import StringIO

    from rich.console import Console

    from xisai.cli.batch_report import summary_view

    book = load_rulebook()
    summary = Summary()  # rebuilt from the decision lines, as the run did
    for d in run["decisions"]:
        summary.add(d["line"], tally_of(d))
    out = StringIO()
    Console(file=out, width=width, color_system=None).print(summary_view(summary, book, Messages.get("en"), width))
    text = out.getvalue()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= width
    flat = "".join(text.split())
    assert "".join(Messages.get("en").money(Decimal(run["json"]["total"]["cash_total"])).split()) in flat


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_listing_indents_each_years_figures_under_the_year(run, lang):
    """At 80 columns a year's figures that wrap continue under the figures, never at column 0."""
    import re
    from io import StringIO

    from rich.cells import cell_len
    from rich.console import Console

    from xisai.cli.batch_report import _caption, summary_view

    summary = Summary()
    for d in run["decisions"]:
        summary.add(d["line"], tally_of(d))
    msgs = Messages.get(lang)
    out = StringIO()
    Console(file=out, width=80, color_system=None, force_terminal=True).print(summary_view(summary, load_rulebook(), msgs, 80))
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    assert all(cell_len(line) <= 80 for line in lines) and "…" not in out.getvalue()
    at_zero = [line for line in lines[1:-1] if not line.startswith(" ")]
    assert at_zero and all(re.search(r" \([a-z_.]+\)$", line) or line == msgs.t("batch.total") for line in at_zero), at_zero
    assert lines[-1] == _caption(summary, msgs)
    assert all(re.match(r"  \d{4}  \S| {8}\S|  \S", line) for line in lines if line.startswith(" "))
    assert any(line.startswith(" " * 8) for line in lines)  # some year's figures do wrap at 80 columns
