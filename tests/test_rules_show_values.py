"""`xisai rules show` with the rule files' real values: the policy window's dates, the
months and amounts, tier tables by their names, provisional rows marked; plain words
where only a case could give a value."""
import re
import shutil
from string import Formatter

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from xisai.cli.main import main
from xisai.engine.formulas import FORMULAS
from xisai.engine.i18n import LOCALES, catalog_path
from xisai.engine.rulebook import default_rules_dir, load_rulebook

BOOK = load_rulebook()


def show(program_id, lang, *extra):
    result = CliRunner().invoke(main, ["rules", "show", program_id, "--lang", lang, *extra])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("program", [p.id for p in BOOK.programs + list(BOOK.definitions.values())])
def test_no_placeholder_blank_or_raw_table(program, lang):
    out = show(program, lang)
    for leftover in ("…", "若干", "{", "资格日期Q所在年度年", "the maximum months"):
        assert leftover not in out, leftover
    assert not re.search(r"\b[a-z_]+=[\w.]+", out)   # national=500000, sse_main=main_board


def test_the_window_and_the_figures_are_the_rules_own():
    zh = show("enterprise.loan_interest", "zh_CN")
    assert "首个贴息年度须在政策适用期内（2022—2025年）" in zh
    assert "某年度早于政策适用期的首个完整年度（2022年）" in zh
    assert "贷款年度不得早于资格日期Q所在年度\n" in zh
    assert "Y0起连续2年：min(比例75% × 当年合格贷款利息之和, 上限¥500,000.00/企业·年)" in zh
    assert "银行（bank）、持牌金融机构（licensed_institution）" in zh
    en = show("enterprise.office_space", "en")
    assert "must fall inside the policy window (December 25, 2021 to December 31, 2025)\n" in en   # no "(found: …)"
    assert "for 36 months from the later of lease start and Q" in en
    assert "最长6个月" in show("employment.youth_internship", "zh_CN")
    assert "the first 24 months 100% waived, the next 24 months 50% waived" in show("talent.apartment", "en")


def test_tier_tables_by_name_and_amount():
    zh = show("brand.quality_award", "zh_CN")
    assert "国家级（national）：¥500,000.00" in zh and "市级（municipal）：¥100,000.00" in zh
    en = show("listing.award", "en")
    assert "Shanghai Stock Exchange main board (sse_main): main-board (ChiNext) listing" in en
    assert "main-board (ChiNext) listing (main_board): CN¥2,000,000.00" in en


def test_provisional_rows_are_marked():
    zh = show("employment.youth_internship", "zh_CN")
    assert "2024-02-01（暂定）" in zh and "2021-09-01（暂定）" not in zh
    assert "2024-02-01 (provisional)" in show("employment.youth_internship", "en")


def test_an_extended_window_shows_its_new_dates(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    general = rules / "general.toml"
    general.write_text(general.read_text(encoding="utf-8").replace("end = 2025-12-31", "end = 2027-12-31"), encoding="utf-8")
    out = show("enterprise.loan_interest", "zh_CN", "--rules", str(rules))
    assert "（2022—2027年）" in out


@pytest.mark.parametrize("locale", LOCALES)
def test_a_formula_s_description_names_only_its_kind_s_parameters(locale):
    with catalog_path(locale).open("rb") as fh:
        texts = {m.id: m.string for m in read_po(fh) if m.id}
    for name, kind in FORMULAS.items():
        used = {field for _, field, _, _ in Formatter().parse(texts[f"formula.{name}"]) if field}
        assert used <= set(kind.params), (name, used - set(kind.params))
