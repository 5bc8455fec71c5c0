"""The `xisai check` view: a summary per beneficiary, the near misses, the full working
with each general statement said once; wrapped, never cut, at 80 and 120 columns;
no sentence meant for the rules' maintainers shown to the public."""
from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from xisai.cli import render
from xisai.cli.main import main
from xisai.engine.i18n import Messages
from xisai.views.text import fill_indices

CASES = sorted((Path(__file__).parent.parent / "cases").glob("*.json"))
FULL = Path(__file__).parent.parent / "cases" / "16-full-application.json"
NOTHING = Path(__file__).parent.parent / "cases" / "05-talent-enterprise-near-misses.json"
LANGS = ("zh_CN", "en")
MONEY = re.compile(r"(?:CN)?¥[\d,]+\.\d\d")


def show(engine, case: Path | dict, lang: str, width: int | None = 80, **options) -> str:
    """What `check` prints: on a terminal `width` columns wide, or piped (width None)."""
    text = case.read_bytes() if isinstance(case, Path) else json.dumps(case)
    rendered = engine.evaluate(text).render(lang)
    buffer = io.StringIO()
    if width is None:
        out = Console(file=buffer, force_terminal=False, no_color=True, highlight=False, soft_wrap=True, width=100)
    else:
        out = Console(file=buffer, force_terminal=True, color_system=None, highlight=False, width=width)
    render.decision(rendered, Messages.get(lang), out=out, **options)
    return buffer.getvalue()


def squeezed(text: str) -> str:
    """Wrapping may break a sentence anywhere (a path folds mid-word): compare without whitespace."""
    return re.sub(r"\s+", "", text)


def money(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.]", "", text))


# --- wrap, never cut -----------------------------------------------------------------

@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_reason_id_and_path_is_shown_whole(engine, path, lang, width):
    rendered = engine.evaluate(path.read_bytes()).render(lang)
    for explain in (None, True):
        output = show(engine, path, lang, width, explain=explain)
        assert "…" not in output
        assert all(len(line.rstrip()) <= width for line in output.splitlines())
        flat = squeezed(output)
        for x in rendered["ineligible"]:
            for text in [x["beneficiary"], x["item"] or "", x["title"], *x["reasons"]]:
                assert squeezed(text) in flat, text
            for u in x["unmet"]:  # the value found, as a person reads it, is in the reason shown
                assert u["reason"] in x["reasons"]
        for line in rendered["payouts"]:
            for text in [line["beneficiary"], line["title"], *(f["path"] for f in line.get("approved", []))]:
                assert squeezed(text) in flat, text
        for note in rendered["notes"]:
            assert squeezed(note["message"]) in flat
        if explain:
            for line in rendered["payouts"]:
                for part in line["explanation"]["parts"]:
                    for sentence in part["steps"] + part["conditions"] + part["parameters"] + part["benefit"]:
                        assert squeezed(sentence) in flat, sentence


def test_a_long_reason_wraps_under_its_bullet_at_80_columns(engine):
    output = show(engine, FULL, "en", 80)
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if "the loan must come from a bank" in line)
    assert lines[start].startswith("      the loan must come from a bank")
    assert lines[start + 1].startswith("      ") and "(found: private lending)" in lines[start + 1]


# --- the summary ---------------------------------------------------------------------

def _summary_blocks(output: str, ids: list[str]) -> dict[str, list[str]]:
    """The summary's lines under each beneficiary's heading, up to the near misses."""
    blocks: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        if not line.strip():
            if blocks:
                break
            continue
        head = next((i for i in ids if line.startswith(f"{i} · ")), None)
        if head is not None:
            current = head
            blocks[current] = [line]
        elif current is not None:
            blocks[current].append(line)
    return blocks


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_each_beneficiary_total_is_the_sum_of_its_lines(engine, path, lang):
    data = engine.evaluate(path.read_bytes()).to_dict()
    if not data["payouts"]:
        return
    msgs = Messages.get(lang)
    in_kind = msgs.t("check.amount.in_kind")
    ids = list(dict.fromkeys(p["beneficiary"] for p in data["payouts"]))
    blocks = _summary_blocks(show(engine, path, lang, width=None, brief=True), ids)
    assert list(blocks) == ids
    overall = Decimal("0.00")
    for bid, (head, *rows) in blocks.items():
        lines = [p for p in data["payouts"] if p["beneficiary"] == bid]
        cash = sum((Decimal(p["amount"]) for p in lines if p["kind"] == "cash"), Decimal("0.00"))
        valued = sum((Decimal(p["amount"]) for p in lines if p["kind"] == "in_kind" and p["amount"]), Decimal("0.00"))
        grant_rows = [r for r in rows if r.startswith("  · ")]
        shown_cash = sum((money(MONEY.findall(r)[0]) for r in grant_rows
                          if MONEY.search(r) and not r.rstrip().endswith(in_kind)), Decimal("0.00"))
        shown_in_kind = sum((money(MONEY.findall(r)[0]) for r in grant_rows
                             if MONEY.search(r) and r.rstrip().endswith(in_kind)), Decimal("0.00"))
        assert shown_cash == cash and shown_in_kind == valued
        if any(p["kind"] == "cash" for p in lines):
            assert msgs.t("check.total.cash", money=msgs.money(cash)) in head
        if valued:
            assert msgs.t("check.total.in_kind_value", money=msgs.money(valued)) in head
        overall += cash
    assert overall == Decimal(data["totals"]["cash"])


def test_the_summary_of_the_full_application(engine):
    output = show(engine, FULL, "zh_CN", 80)
    blocks = _summary_blocks(output, ["P1", "E1", "P2"])
    assert blocks["P1"][0].startswith("P1 · 合计：现金 ¥272,000.00")
    assert re.match(r"  · 人才生活补贴 +2022–2025年 +¥72,000\.00  最高可得额", blocks["P1"][1])
    hint = squeezed(" ".join(blocks["P1"][2:4]))
    assert squeezed("区里给出核定月补贴标准（大于¥0.00/月、至多¥2,000.00/月）后为确定额：填入 "
                    "persons[0].talent.approved_monthly_allowance") == hint
    assert blocks["E1"][0].startswith("E1 · 合计：现金 ¥2,296,300.50")
    assert any("enterprises[0].space.approved_area_m2" in r for r in blocks["E1"])
    assert any("2024年度尚未报告区级留存额" in r for r in blocks["E1"])  # the pending tax year, under its program
    assert blocks["P2"][0].startswith("P2 · 合计：实物折算 ¥54,000.00")
    assert re.match(r"  · 职工子女入学 +2025年 +实物$", blocks["P2"][-1].rstrip())
    assert "现金合计 ¥2,568,300.50（256.83万），其中确定额 ¥2,226,300.50" in output
    assert "xisai check --explain" in output and "通用规定" not in output  # on a terminal: the working on request


def test_fill_indices():
    assert fill_indices("persons[*].talent.x", "persons[3].talent") == "persons[3].talent.x"
    assert fill_indices("enterprises[*].land_purchases[*].r", "enterprises[1].land_purchases[0]") == \
        "enterprises[1].land_purchases[0].r"
    assert fill_indices("enterprises[*].land_purchases[*].r", "enterprises[1]") == "enterprises[1].land_purchases[*].r"


# --- near misses ---------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_nothing_granted_says_so_then_the_closest_misses(engine, lang):
    msgs = Messages.get(lang)
    case = {"case_id": "near", "as_of": "2024-12-31",
            "persons": [{"id": "P1", "settled_in_district": False,
                         "talent": {"category": "team_member", "recognized_on": "2020-01-01"}},
                        {"id": "P2", "settled_in_district": False,
                         "talent": {"category": "team_member", "recognized_on": "2023-01-01"}},
                        {"id": "P3"}],
            "enterprises": [{"id": "E1", "registered_in_district": False, "founders": ["P3"]}]}
    output = show(engine, case, lang, None)  # piped: a refusal's heading on one line
    assert msgs.t("check.nothing") in output and msgs.t("check.closest") in output
    heads = [line for line in output.splitlines() if line.startswith("  × ")]
    counts = [int(re.findall(r"\d+", line)[-1]) for line in heads]
    assert counts == sorted(counts) and counts[0] == 1 and counts[-1] == 3  # E1: not registered, no Q (two reasons)
    assert "persons[1].talent" in heads[0]  # P2 misses by one condition only
    assert msgs.t("check.misses") not in output


def test_a_case_that_gets_nothing_still_lists_every_refusal(engine):
    rendered = engine.evaluate(NOTHING.read_bytes()).render("zh_CN")
    output = show(engine, NOTHING, "zh_CN", 80)
    assert "暂不符合任何一项支持政策" in output
    assert sum(line.startswith("  × ") for line in output.splitlines()) == len(rendered["ineligible"])


# --- the full working ----------------------------------------------------------------

@pytest.mark.parametrize("width", [80, None])
@pytest.mark.parametrize("lang", LANGS)
def test_the_policy_window_is_said_once(engine, lang, width):
    msgs = Messages.get(lang)
    window = engine.book.general["policy_window"]
    reading = msgs.t("explain.flag.reading", text=msgs.text(window.reading))
    output = show(engine, FULL, lang, width, explain=True)
    flat = squeezed(output)
    assert flat.count(squeezed(reading)) == 1
    assert flat.count("（policy_window）=" if lang == "zh_CN" else "(policy_window)=") == 1
    assert squeezed(msgs.t("check.general")) in flat
    programs = {line["program"] for line in engine.evaluate(FULL.read_bytes()).to_dict()["payouts"]}
    assert len(programs) == 9  # said once for nine programs


def test_piped_check_has_the_working_and_brief_has_not(tmp_path):
    full = CliRunner().invoke(main, ["check", str(FULL)])  # CliRunner's output is not a terminal
    brief = CliRunner().invoke(main, ["check", str(FULL), "--brief"])
    assert full.exit_code == brief.exit_code == 0
    assert "完整计算过程" in full.output and "条款（支持落户）" in full.output
    assert "条款（支持落户）" not in brief.output and "--explain" not in brief.output
    assert brief.output.splitlines()[:20] == full.output.splitlines()[:20]  # the same summary first
    assert all("\x1b" not in line and "─" not in line for line in full.output.splitlines())  # plain text


def test_json_is_the_data_decision(engine):
    result = CliRunner().invoke(main, ["check", str(FULL), "--json"])
    assert result.output.strip() == engine.evaluate(FULL.read_bytes()).to_json(indent=2).strip()


# --- texts for the rules' maintainers --------------------------------------------------

def _maintainer_texts(book) -> list[str]:
    found = []
    for p in [*book.general.values(), *book.tables.values()]:
        found.append(p.note_for_maintainers)
    for program in [*book.programs, *book.provisions, *book.definitions.values()]:
        found.append(program.note_for_maintainers)
        found.extend(p.note_for_maintainers for p in program.parameters.values())
    return [t[lang] for t in found if t for lang in ("zh", "en")]


def test_maintainers_notes_are_never_shown(engine):
    notes = _maintainer_texts(engine.book)
    assert any("end" in n for n in notes)  # the policy window's: extending it is one line
    outputs = []
    for lang in LANGS:
        for path in CASES:
            outputs.append(show(engine, path, lang, None, explain=True))
        for program in [*engine.book.programs, *engine.book.provisions, *engine.book.definitions.values()]:
            outputs.append(CliRunner().invoke(main, ["rules", "show", program.id, "--lang", lang]).output)
    for output in outputs:
        for note in notes:
            assert note not in output
        assert "延长只需修改" not in output and "one-line change" not in output


# --- rules show and list -----------------------------------------------------------------

@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("lang", LANGS)
def test_rules_show_and_list_wrap_without_cutting(engine, lang, width):
    from xisai.views.explain import describe_rule
    msgs = Messages.get(lang)
    buffer = io.StringIO()
    out = Console(file=buffer, force_terminal=True, color_system=None, highlight=False, width=width)
    render.rules_list(engine.book, msgs, out=out)
    listed = squeezed(buffer.getvalue())
    for program in [*engine.book.programs, *engine.book.provisions, *engine.book.definitions.values()]:
        assert program.id in listed
        buffer = io.StringIO()
        out = Console(file=buffer, force_terminal=True, color_system=None, highlight=False, width=width)
        render.rule(program, engine.book, msgs, out=out)
        shown = squeezed(buffer.getvalue())
        for row in describe_rule(program, engine.book, msgs).get("parameters", []):
            for text in (row["name"], *row["value"].split("\n"), row["source"]):
                assert squeezed(text) in shown, text
        assert "\\n" not in buffer.getvalue()  # a table of values is lines, not an escaped newline
