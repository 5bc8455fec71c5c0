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
