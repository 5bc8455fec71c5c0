"""The installed `xisai` command itself (the other CLI tests run it in-process)."""
import json
import subprocess

from conftest import CASES, xisai


def test_console_script_check_json_and_exit_codes(tmp_path):
    done = subprocess.run(xisai() + ["check", str(CASES / "12-listing-award.json"), "--json"],
                          capture_output=True, text=True, encoding="utf-8", check=False)
    assert done.returncode == 0, done.stderr
    decision = json.loads(done.stdout)
    assert decision["totals"]["cash"] == "3000000.00"
    bad = tmp_path / "bad.json"
    bad.write_text('{"case_id": "x", "persons": [{"id": "P1", "talent": {"category": "poet"}}]}', encoding="utf-8")
    invalid = subprocess.run(xisai() + ["check", str(bad)], capture_output=True, text=True, encoding="utf-8", check=False)
    assert invalid.returncode == 2 and "persons[0].talent.category" in invalid.stdout
    assert "\x1b[" not in invalid.stdout  # piped: no colour codes
