"""Ids and other case-supplied text print exactly as given: never read as rich markup,
control characters shown escaped, none reaching the terminal raw."""
import json

import pytest
from click.testing import CliRunner

from xisai.cli.main import main
from xisai.cli.safe import escape_controls, literal

IDS = ["[/]", "[red]P1", "a\u001b[31mb", "x\ny"]
SHOWN = ["[/]", "[red]P1", "a\\x1b[31mb", "x\\ny"]
TALENT = {"category": "team_member", "recognized_on": "2023-01-01"}


def run(tmp_path, case: dict, *args: str):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    return CliRunner().invoke(main, ["check", str(path), "--lang", "en", *args])


def assert_clean(output: str) -> None:
    assert "\x1b" not in output and "\x9b" not in output
    assert "x\ny" not in output
    assert "Traceback" not in output


@pytest.mark.parametrize("brief", [False, True])
def test_ids_print_literally_in_payouts_and_refusals(tmp_path, brief):
    # The first two are paid (payout table, explanations); the last two are refused (refusal table).
    persons = [{"id": i, "settled_in_district": n < 2, "talent": TALENT} for n, i in enumerate(IDS)]
    result = run(tmp_path, {"case_id": "c[/]\u001b]0;t\u0007", "as_of": "2024-01-01", "persons": persons},
                 *(["--brief"] if brief else []))
    assert result.exit_code == 0, result.output
    assert_clean(result.output)
    for shown in SHOWN:
        assert shown in result.output
    assert "c[/]\\x1b]0;t\\x07" in result.output  # the case id in the header
    lines = result.output.splitlines()
    assert sum(line.startswith("[red]P1 · total: ") for line in lines) == 1  # its heading in the summary


def test_ids_print_literally_in_errors(tmp_path):
    persons = [{"id": i} for i in IDS] + [{"id": i} for i in IDS]  # every id twice
    result = run(tmp_path, {"case_id": "[bold]x", "as_of": "2024-01-01", "persons": persons})
    assert result.exit_code == 2, result.output
    assert_clean(result.output)
    assert "[bold]x" in result.output
    for shown in SHOWN:
        assert any(shown in line and "persons[" in line for line in result.output.splitlines()), shown


def test_error_paths_with_markup_keys_print_literally(tmp_path):
    result = run(tmp_path, {"case_id": "k", "persons": [{"id": "P1", "[/]": 1, "\u001b[2J": 2}]})
    assert result.exit_code == 2
    assert_clean(result.output)
    assert "persons[0].[/]" in result.output and "persons[0].\\x1b[2J" in result.output


def test_escape_controls():
    assert escape_controls("a\u001b[31mb") == "a\\x1b[31mb"
    assert escape_controls("x\ny\r\tz\x00\x7f\x9b") == "x\\ny\\r\\tz\\x00\\x7f\\x9b"
    assert escape_controls("P\u202eevil\u2028") == "P\\u202eevil\\u2028"  # bidi override, line separator
    assert escape_controls("西塞山 [red]·") == "西塞山 [red]·"
    assert literal("[red]P1").plain == "[red]P1" and not literal("[red]P1").spans
