"""No traceback reaches a user from any command: an unexpected fault is one plain line
on stderr and exit 1; a bad CASE_FILE is a plain error."""
import json

from click.testing import CliRunner
from conftest import CASES

from xisai.cli.main import main
from xisai.engine.evaluate import Engine


def test_an_unexpected_exception_is_one_plain_line_and_exit_1(monkeypatch):
    def boom(self, *args, **kwargs):
        raise ZeroDivisionError("boom\x1b[2J\nsecond line")
    monkeypatch.setattr(Engine, "evaluate", boom)
    result = CliRunner().invoke(main, ["check", str(CASES / "01-living-allowance.json")])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # handled, not escaped
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("xisai: internal error: ZeroDivisionError: boom\\x1b[2J\\nsecond line")
    assert "report" in lines[0] and "Traceback" not in result.stderr


def test_an_unexpected_exception_in_rules_commands_too(monkeypatch):
    import xisai.cli.render as render
    monkeypatch.setattr(render, "rules_list", lambda *a: {}["missing"])
    result = CliRunner().invoke(main, ["rules", "list"])
    assert result.exit_code == 1 and result.stderr.startswith("xisai: internal error: KeyError: 'missing'")


def test_usage_errors_stay_clicks_own():
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 2 and "Usage:" in result.stderr and "internal error" not in result.stderr
    result = CliRunner().invoke(main, ["check", str(CASES / "01-living-allowance.json"), "--lang", "fr"])
    assert result.exit_code == 2 and "fr" in result.stderr


def test_a_directory_or_a_missing_file_is_a_plain_error(tmp_path):
    directory = CliRunner().invoke(main, ["check", str(tmp_path), "--lang", "en"])
    assert directory.exit_code == 2 and "is a directory" in directory.stderr
    missing = CliRunner().invoke(main, ["check", str(tmp_path / "nope.json"), "--json", "--lang", "en"])
    assert missing.exit_code == 1 and missing.stderr.startswith("xisai: cannot read") and missing.stdout == ""
    for result in (directory, missing):
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_stdin_is_read_as_the_case():
    text = (CASES / "01-living-allowance.json").read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "-", "--json"], input=text)
    assert result.exit_code == 0 and json.loads(result.stdout)["status"] == "ok"
