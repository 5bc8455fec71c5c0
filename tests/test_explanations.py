"""Explanations and their catalogs: both languages complete, no sentence in code,
the CLI views."""
import io
import json
import re
import tokenize

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner
from conftest import CASES, ROOT

from xisai.cli.main import main
from xisai.engine.i18n import LOCALES, Messages, catalog_path

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def catalog_ids(locale):
    with catalog_path(locale).open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id and m.string}


def test_both_catalogs_have_the_same_messages():
    assert catalog_ids("zh_CN") == catalog_ids("en")


def test_placeholders_match_between_languages():
    def placeholders(locale):
        with catalog_path(locale).open("rb") as fh:
            return {m.id: set(re.findall(r"{(\w+)}", m.string)) for m in read_po(fh) if m.id}
    zh, en = placeholders("zh_CN"), placeholders("en")
    assert {k: v for k, v in zh.items() if en.get(k) != v} == {}


def test_every_message_the_code_names_is_in_the_catalogs():
    ids = catalog_ids("zh_CN")
    used = set()
    for path in [p for d in ("engine", "views", "cli") for p in (ROOT / d).rglob("*.py")]:
        used.update(re.findall(r"""msgs\.t\(\s*["']([\w.\-/]+)["']""", path.read_text(encoding="utf-8")))
    assert used and used - ids == set()


def test_no_chinese_sentence_in_engine_or_cli_code():
    found = []
    for path in [p for d in ("engine", "views", "cli") for p in (ROOT / d).rglob("*.py")]:
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if tok.type == tokenize.STRING and CJK.search(tok.string) and not tok.string.startswith(('"""', "'''")):
                found.append(f"{path.name}:{tok.start[0]}")
    assert not found, found


def test_every_rule_text_exists_in_both_languages(engine):
    for program in engine.book.programs:
        for cond in program.conditions:
            assert cond.text["zh"] and cond.text["en"]
        for text in program.checks.values():
            assert text["zh"] and text["en"]
        for _alias, pattern in list(program.facts.items())[1:]:
            if pattern.text:
                assert pattern.text["zh"] and pattern.text["en"]


@pytest.mark.parametrize("locale", LOCALES)
def test_money_and_dates_are_formatted_per_locale(locale):
    from datetime import date
    msgs = Messages(locale)
    assert msgs.money("200000.00") == {"zh_CN": "¥200,000.00", "en": "CN¥200,000.00"}[locale]
    assert msgs.date(date(2021, 12, 25)) == {"zh_CN": "2021年12月25日", "en": "December 25, 2021"}[locale]
    assert msgs.money_short(200000) == {"zh_CN": "20万", "en": "200K"}[locale]


def test_maximum_lines_name_the_figure_that_would_make_them_exact(engine):
    decision = engine.evaluate((CASES / "16-full-application.json").read_bytes()).render("en")
    line = next(p for p in decision["payouts"] if p["program"] == "talent.living_allowance")
    flags = [f for f in line["explanation"]["flags"] if f["kind"] == "maximum"]
    assert flags and "approved monthly allowance" in flags[0]["text"]


def test_provisional_and_reading_flags(engine):
    decision = engine.evaluate((CASES / "13-youth-internship.json").read_bytes())
    line = next(p for p in decision.payouts if p["year"] == 2026)
    kinds = {(f["kind"], f.get("from")) for f in line["flags"]}  # flags are data: kinds, no sentences
    assert ("provisional", "2025-12-01") in kinds and ("reading", None) in kinds
    rendered = next(p for p in decision.render()["payouts"] if p["year"] == 2026)
    params = [p for part in rendered["parts"] for p in part["parameters"] if p["name"] == "minimum_wage"]
    assert params and all(p["provisional"] for p in params)
    for payout in decision.render()["payouts"]:  # a line of several parts says each flag once
        texts = [f["text"] for f in payout["explanation"]["flags"]]
        assert len(texts) == len(set(texts))


def test_rules_show_in_english():
    result = CliRunner().invoke(main, ["rules", "show", "talent.housing_subsidy", "--lang", "en"])
    assert result.exit_code == 0
    out = result.output
    assert "在西塞山区首次购买住房的，给予购房总金额50%、最高20万元安居补助。" in out
    assert "must be a first home" in out and "the buyer must be a recognised talent" in out
    assert "min(amount × share" in out
    assert "2021-12-25" in out and "CN¥200,000.00" in out and "50%" in out


def test_rules_show_lists_dated_minimum_wages_with_the_provisional_flag():
    out = CliRunner().invoke(main, ["rules", "show", "employment.youth_internship"]).output
    for start in ("2017-11-01", "2021-09-01", "2024-02-01", "2025-12-01"):
        assert start in out
    assert "暂定" in out


def test_rules_list_has_every_program_and_provision(engine):
    out = CliRunner().invoke(main, ["rules", "list", "--lang", "en"]).output
    for program in engine.book.programs + engine.book.provisions:
        assert program.id in out
    assert "provision (no application)" in out


def test_rules_show_unknown_id():
    result = CliRunner().invoke(main, ["rules", "show", "talent.nothing"])
    assert result.exit_code == 2 and "talent.housing_subsidy" in result.output


def test_check_views_plain_when_piped():
    path = str(CASES / "02-housing-subsidy.json")
    full = CliRunner().invoke(main, ["check", path]).output
    brief = CliRunner().invoke(main, ["check", path, "--brief"]).output
    assert "\x1b[" not in full
    assert "购房总金额 ¥300,000.01 × 比例 50% = ¥150,000.005" in full
    assert "购房总金额" not in brief and "¥150,000.01" in brief
    english = CliRunner().invoke(main, ["check", path, "--lang", "en"]).output
    assert "CN¥150,000.01" in english and "must be a first home (found: no)" in english


def test_json_explanation_is_structured(engine):
    data = json.loads(CliRunner().invoke(main, ["check", str(CASES / "02-housing-subsidy.json"), "--json"]).output)
    line = next(p for p in data["payouts"] if p["program"] == "talent.housing_subsidy")
    assert "explanation" not in line and "title" not in line  # sentences are the views' business
    assert [f["kind"] for f in line["flags"]] == ["reading"]
    step = line["parts"][0]["steps"][0]
    assert step["op"] == "mul" and step["args"][0] == {"value": "300000.01", "field": "home_purchase.total_price",
                                                        "unit": "CNY", "path": "persons[0].home_purchase"}
    assert {c["condition"] for c in line["parts"][0]["conditions"]} >= {"first_home", "in_district", "in_window"}


def test_a_refusal_flags_the_reading_its_condition_follows(engine):
    decision = engine.evaluate((CASES / "08-loan-interest.json").read_bytes()).render("en")
    private = next(x for x in decision["ineligible"] if x["item"] == "enterprises[0].loans[4]")
    assert [f["parameter"] for f in private["flags"]] == ["eligible_lenders"]
    assert private["clause"]["section"] == "贷款贴息"
    missing = engine.evaluate((CASES / "05-talent-enterprise-near-misses.json").read_bytes())
    no_te = next(x for x in missing.ineligible if x["program"] == "enterprise.tax_reward" and x["beneficiary"] == "E2")
    assert no_te["flags"] == []  # the window reading is not said: the window was not the reason
