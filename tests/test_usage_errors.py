"""Usage mistakes: one plain line naming the option and what it accepts, exit 2."""
import pytest
from click.testing import CliRunner
from conftest import CASES

from xisai.cli.main import main
from xisai.cli.options import env_locale

CASE = str(CASES / "01-living-allowance.json")


def run(args, env=None):
    result = CliRunner().invoke(main, args, env={"XISAI_LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None, **(env or {})})
    return result.exit_code, result.stderr.strip()


@pytest.mark.parametrize("args,zh,en", [
    (["check", str(CASES)], f"xisai: CASE_FILE “{CASES}”是目录，请给出一个案件文件（JSON）",
     f"xisai: CASE_FILE {CASES} is a directory; give a case file (JSON)"),
    (["check", CASE, "--as-of", "garbage"], "xisai: --as-of “garbage”不是日期，请写成YYYY-MM-DD（如2025-06-30）",
     "xisai: --as-of garbage is not a date; write it YYYY-MM-DD (e.g. 2025-06-30)"),
    (["check", CASE, "--as-of", "2025/06/30"], "xisai: --as-of “2025/06/30”不是日期，请写成YYYY-MM-DD（如2025-06-30）",
     "xisai: --as-of 2025/06/30 is not a date; write it YYYY-MM-DD (e.g. 2025-06-30)"),
])
def test_usage_mistakes_in_the_language_asked_for(args, zh, en):
    assert run(args) == (2, zh)
    assert run(args + ["--lang", "en"]) == (2, en)
    assert run([args[0], "--lang", "en", *args[1:]]) == (2, en)  # the option's place does not matter


def test_an_unknown_language_is_said_in_the_environment_s_language():
    assert run(["check", CASE, "--lang", "fr"]) == (2, "xisai: --lang 不支持“fr”，可用：zh_CN, en")
    assert run(["rules", "list", "--lang", "fr"], env={"LANG": "en_US.UTF-8"}) == (2, "xisai: --lang fr is not supported; use one of: zh_CN, en")


def test_a_missing_file_is_not_a_usage_mistake():
    code, err = run(["check", "nope.json", "--lang", "en"])
    assert code == 1 and err == "xisai: cannot read nope.json: No such file or directory"


@pytest.mark.parametrize("env,expected", [
    ({}, None),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "C.UTF-8"}, None),
    ({"LANG": "fr_FR.UTF-8"}, None),
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8", "XISAI_LANG": "zh"}, "zh_CN"),
    ({"LANG": "en_US.UTF-8", "XISAI_LANG": "klingon"}, "en"),
])
def test_the_environment_s_language(monkeypatch, env, expected):
    for name in ("XISAI_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert env_locale() == expected


def test_xisai_lang_sets_the_language_of_check_and_rules(monkeypatch):
    from click.testing import CliRunner

    from xisai.cli.main import main
    monkeypatch.setenv("XISAI_LANG", "en")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert "Loan interest subsidy" in CliRunner().invoke(main, ["rules", "list"]).output
    monkeypatch.delenv("XISAI_LANG")
    monkeypatch.setenv("LANG", "en_US.UTF-8")  # the system locale alone leaves check and rules in zh_CN
    assert "贷款贴息" in CliRunner().invoke(main, ["rules", "list"]).output
