"""`xisai rules show` works for every program, provision and definition, in both languages."""
import re

import pytest
from click.testing import CliRunner

from xisai.cli.main import main
from xisai.engine.rulebook import load_rulebook

BOOK = load_rulebook()
RULES = BOOK.programs + BOOK.provisions + list(BOOK.definitions.values())


def test_the_book_has_every_kind_of_rule():
    kinds = {r.kind for r in RULES}
    assert kinds == {"program", "provision", "definition"}
    assert {"enterprise.office_space", "talent.schooling", "talent_enterprise"} <= {r.id for r in RULES}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rules_show_every_id(rule, lang):
    result = CliRunner().invoke(main, ["rules", "show", rule.id, "--lang", lang])
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and "internal error" not in result.output
    first = result.output.splitlines()[0]
    assert rule.id in first and rule.title["zh" if lang == "zh_CN" else "en"] in first
    assert f"rules/{rule.file}" in result.output
    for text in rule.checks.values():  # a check's placeholders are filled or left out, never shown as {braces}
        assert re.split(r"[{(\uff08]", text["zh" if lang == "zh_CN" else "en"])[0] in result.output
    assert "{" not in result.output.replace("{}", "")


def test_rules_list_has_the_definitions_too():
    out = CliRunner().invoke(main, ["rules", "list", "--lang", "en"]).output
    assert "talent_enterprise" in out and "definition" in out


def test_rules_show_unknown_id_names_the_definitions_too():
    result = CliRunner().invoke(main, ["rules", "show", "[red]nothing"])
    assert result.exit_code == 2 and "talent_enterprise" in result.output and "[red]nothing" in result.output


def shown_at_80(rule_id: str, lang: str) -> list[str]:
    import io

    from rich.console import Console

    from xisai.cli import render
    from xisai.engine.i18n import Messages
    buffer = io.StringIO()
    out = Console(file=buffer, force_terminal=True, color_system=None, highlight=False, width=80)
    render.rule(next(r for r in RULES if r.id == rule_id), BOOK, Messages.get(lang), out=out)
    return [line.rstrip() for line in buffer.getvalue().splitlines()]


@pytest.mark.parametrize("lang, reading, checks, formula", [
    ("en", "Reading: ", "Also checked", "cap CN¥500,000.00 per enterprise-year)"),
    ("zh_CN", "解读：", "另行核对", "上限¥500,000.00/企业·年)"),
])
def test_loan_interest_at_80_columns(lang, reading, checks, formula):
    lines = shown_at_80("enterprise.loan_interest", lang)
    text = "\n".join(lines)
    assert "…" not in text
    # The reading and the formula wrap under their own start, never at column 0.
    start = next(i for i, line in enumerate(lines) if line.startswith(reading))
    assert lines[start + 1].startswith(" " * len(reading)) and lines[start + 2].startswith(" " * len(reading))
    heading = lines.index({"en": "Formula", "zh_CN": "计算方法"}[lang])
    assert all(line.startswith("  ") for line in lines[heading + 1:lines.index({"en": "Parameters", "zh_CN": "参数"}[lang])])
    # The cap carries its unit once; the sentence does not say it again.
    squeezed = re.sub(r"\s+", " ", text)
    assert formula.replace(" ", "") in squeezed.replace(" ", "")
    assert "per enterprise-year) per enterprise-year" not in squeezed and "按企业每年计" not in squeezed.split("计算方法")[-1]
    # The formula's checks under their own heading, not under Conditions.
    below = lines[lines.index(checks):]
    assert any("not one of the two subsidised years" in line or "不在两个贴息年度内" in line for line in below)
    conditions = lines[lines.index({"en": "Conditions", "zh_CN": "条件"}[lang]):lines.index(checks)]
    assert not any("subsidised years" in line or "贴息年度内" in line for line in conditions)


def test_zh_labels_use_the_full_width_colon():
    text = "\n".join(shown_at_80("enterprise.loan_interest", "zh_CN"))
    assert "条款：贷款贴息" in text and "解读：" in text and "规则文件：rules/programs/enterprise.loan_interest.toml" in text
    assert not re.search(r"[\u4e00-\u9fff]: ", text)
