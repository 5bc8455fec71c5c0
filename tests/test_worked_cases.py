"""Every worked case in cases/ against its hand-computed decision in cases/expected/."""
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from conftest import CASES

from xisai.cli.main import main
from xisai.engine.trace import replay

CASE_FILES = sorted(CASES.glob("*.json"))
LANGS = ("zh_CN", "en")


def expected_for(path):
    return json.loads((CASES / "expected" / path.name).read_text(encoding="utf-8"))


def summary(decision: dict) -> dict:
    return {
        "status": decision["status"],
        "payouts": sorted([p["program"], p["beneficiary"], p["year"], p["kind"], p["amount"], p["basis"]]
                          for p in decision["payouts"]),
        "ineligible": sorted([x["program"], x["beneficiary"], x["item"], sorted(u["condition"] for u in x["unmet"])]
                             for x in decision["ineligible"]),
        "notes": sorted([n["program"], n["beneficiary"], n["check"], n["values"].get("year")] for n in decision["notes"]),
        "totals": decision["totals"],
    }


def wanted(expected: dict) -> dict:
    return {
        "status": expected["status"],
        "payouts": sorted(expected["payouts"]),
        "ineligible": sorted([p, b, i, sorted(c)] for p, b, i, c in expected["ineligible"]),
        "notes": sorted(expected["notes"]),
        "totals": expected["totals"],
    }


def all_text(decision: dict) -> str:
    parts = []
    for line in decision["payouts"]:
        parts.extend(line["explanation"]["text"])
    for x in decision["ineligible"]:
        parts.extend(x["reasons"])
    parts.extend(n["message"] for n in decision["notes"])
    return "\n".join(parts)


def test_there_is_a_worked_case_for_every_program(engine):
    covered = set()
    for path in CASE_FILES:
        exp = expected_for(path)
        covered.update(p[0] for p in exp["payouts"])
    assert covered == {p.id for p in engine.book.programs}


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_check_json_gives_the_expected_decision(path):
    result = CliRunner().invoke(main, ["check", str(path), "--json"])
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)
    assert summary(decision) == wanted(expected_for(path))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_explanation_key_facts(engine, path, lang):
    decision = engine.evaluate(path.read_bytes()).render(lang)
    text = all_text(decision)
    for fact in expected_for(path)["explain"][lang]:
        assert fact in text, f"{fact!r} not in the {lang} explanation:\n{text}"


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_steps_replay_to_each_amount(engine, path):
    decision = engine.evaluate(path.read_bytes()).to_dict()
    for line in decision["payouts"]:
        parts_total = Decimal(0)
        for part in line["parts"]:
            if part["amount"] is None:
                assert part["steps"] == []
                continue
            results = replay(part["steps"])
            assert Decimal(results[len(part["steps"])]) == Decimal(part["amount"])
            parts_total += Decimal(part["amount"])
        if line["amount"] is not None:
            assert parts_total == Decimal(line["amount"])
    cash = sum((Decimal(p["amount"]) for p in decision["payouts"] if p["kind"] == "cash" and p["amount"]), Decimal(0))
    assert Decimal(decision["totals"]["cash"]) == cash


@pytest.mark.parametrize("path", CASE_FILES[:3], ids=[p.stem for p in CASE_FILES[:3]])
def test_same_case_gives_the_same_bytes(engine, path):
    first = engine.evaluate(path.read_bytes()).to_json()
    for other in CASE_FILES:
        engine.evaluate(other.read_bytes())
    assert engine.evaluate(path.read_bytes()).to_json() == first
