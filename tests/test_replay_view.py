"""The replay report and the rules diff on a terminal: below the table widths, lists
with hanging indents, nothing cut (`brand.qu…`), no line past the width; wide
terminals get tables whose cells fold; piped, plain lines with no padding."""
from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT
from rich.cells import cell_len
from rich.console import Console

from xisai.cli import replay_view
from xisai.engine.i18n import Messages
from xisai.engine.rules_diff import rules_diff

REPORT = json.loads((Path(__file__).parent / "fixtures" / "replay_report_other_rules.json").read_text(encoding="utf-8"))
LANGS = ("zh_CN", "en")


def terminal(width: int | None) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    if width is None:  # piped, as render.console() makes it
        return Console(file=buffer, no_color=True, highlight=False, width=200, soft_wrap=True), buffer
    return Console(file=buffer, force_terminal=True, color_system=None, highlight=False, width=width), buffer


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def diff_data(tmp_path_factory) -> dict:
    rules = tmp_path_factory.mktemp("diff") / "rules"
    shutil.copytree(ROOT / "rules", rules)
    award = rules / "programs" / "brand.quality_award.toml"
    award.write_text(award.read_text(encoding="utf-8").replace('provincial = "300000"', 'provincial = "350000"'), encoding="utf-8")
    allowance = rules / "programs" / "talent.living_allowance.toml"
    allowance.write_text(allowance.read_text(encoding="utf-8").replace('value = "2000", source', 'value = "2500", source'),
                         encoding="utf-8")
    return rules_diff("current", str(rules))


def shown(view, data: dict, lang: str, width: int | None) -> str:
    out, buffer = terminal(width)
    view(data, Messages.get(lang), out=out)
    return buffer.getvalue()


def assert_whole(output: str, width: int) -> None:
    assert "…" not in output
    assert all(cell_len(line.rstrip()) <= width for line in output.splitlines())


@pytest.mark.parametrize("width", [80, 100])
@pytest.mark.parametrize("lang", LANGS)
def test_rules_diff_is_a_list_below_the_table_width(diff_data, lang, width):
    output = shown(replay_view.rules_diff, diff_data, lang, width)
    assert_whole(output, width)
    lines = output.splitlines()
    assert any(line.startswith("· ") and "brand.quality_award" in line and "amounts.value" in line for line in lines)
    assert any("talent.living_allowance" in line and "max_rate.value" in line for line in lines)
    label = Messages.get(lang).t("diff.col.new") + Messages.get(lang).t("view.colon")
    assert any(line.strip() == label + "2500" for line in lines)
    assert "provincial=350000" in output


@pytest.mark.parametrize("lang", LANGS)
def test_rules_diff_is_a_folded_table_on_a_wide_terminal(diff_data, lang):
    output = shown(replay_view.rules_diff, diff_data, lang, 160)
    assert_whole(output, 160)
    assert Messages.get(lang).t("diff.col.program") in output.splitlines()[2]
    assert "talent.living_allowance" in output and "persons[*]" in squeezed(output)


@pytest.mark.parametrize("width", [80, 100])
@pytest.mark.parametrize("lang", LANGS)
def test_replay_report_is_a_list_below_the_table_width(lang, width):
    output = shown(replay_view.replay_report, REPORT, lang, width)
    assert_whole(output, width)
    for record in REPORT["records"]:
        assert record["case_id"] in output
    assert any(line.startswith("      ") and "talent.living_allowance P1 2025" in line for line in output.splitlines())
    msgs = Messages.get(lang)
    assert msgs.t("replay.kind.edited") + msgs.t("view.colon") in output


@pytest.mark.parametrize("lang", LANGS)
def test_replay_report_is_a_folded_table_on_a_wide_terminal(lang):
    output = shown(replay_view.replay_report, REPORT, lang, 130)
    assert_whole(output, 130)
    assert Messages.get(lang).t("replay.col.difference") in output


@pytest.mark.parametrize("view, data", [(replay_view.replay_report, REPORT), (replay_view.rules_diff, None)])
def test_piped_views_have_no_padding(view, data, diff_data):
    output = shown(view, data or diff_data, "en", None)
    assert [line for line in output.splitlines() if line != line.rstrip()] == []
    assert "…" not in output


# --- the words of the difference -----------------------------------------------------

def test_a_payout_that_went_is_removed_and_totals_are_named_money(lang="en"):
    output = shown(replay_view.replay_report, REPORT, "en", 100)
    assert "talent.living_allowance P1 2026 cash exact: CN¥13,500.00 -> removed" in output
    assert "cash in 2025: CN¥18,000.00 -> CN¥13,500.00" in output
    assert "cash in 2026: CN¥13,500.00 -> removed" in output
    assert "exact cash total: CN¥54,000.00 -> CN¥36,000.00" in output
    assert "None" not in output and "by_year" not in output and "-> -" not in output


def test_zh_difference_says_cancelled_and_years_in_chinese():
    output = shown(replay_view.replay_report, REPORT, "zh_CN", 100)
    assert "talent.living_allowance P1 2026 现金 确定额：¥13,500.00 -> 取消" in output
    assert "2026年现金：¥13,500.00 -> 取消" in output


@pytest.mark.parametrize("lang, net, gross", [("en", "CN¥97,924.00", "CN¥515,076.00"), ("zh_CN", "¥97,924.00", "¥515,076.00")])
def test_the_impact_gives_net_and_gross(lang, net, gross):
    output = squeezed(shown(replay_view.replay_report, REPORT, lang, None))
    msgs = Messages.get(lang)
    assert squeezed(msgs.t("replay.impact", changed=19, money=11, net=net, gross=gross)) in output


def test_same_money_names_the_detail_that_differs():
    output = shown(replay_view.replay_report, REPORT, "en", None)
    assert "same payouts and totals; differs in: parameters (brand.quality_award)" in output
    without = json.loads(json.dumps(REPORT))
    for r in without["records"]:
        if r["diff"]:
            r["diff"].pop("details", None)
    assert "(payouts and totals unchanged; other details differ)" in shown(replay_view.replay_report, without, "en", None)
