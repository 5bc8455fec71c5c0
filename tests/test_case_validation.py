"""Invalid input: status "invalid", the field's path, a plain message, no payouts."""
import copy
import json

import pytest
from click.testing import CliRunner
from conftest import CASES

from xisai.cli.main import main

BASE = json.loads((CASES / "16-full-application.json").read_text(encoding="utf-8"))


def mutate(fn):
    case = copy.deepcopy(BASE)
    fn(case)
    return case


def set_(path, value):
    def apply(case):
        node = case
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return apply


INVALID = [
    ("bad date", set_(["persons", 0, "talent", "recognized_on"], "2022-02-30"), "persons[0].talent.recognized_on"),
    ("date not ISO", set_(["persons", 0, "home_purchase", "date"], "01/05/2022"), "persons[0].home_purchase.date"),
    ("date as number", set_(["enterprises", 0, "founded_on"], 20220110), "enterprises[0].founded_on"),
    ("negative money", set_(["enterprises", 0, "loans", 2, "interest_paid"], "-1"), "enterprises[0].loans[2].interest_paid"),
    ("non-numeric money", set_(["enterprises", 0, "loans", 0, "interest_paid"], "eighty thousand"), "enterprises[0].loans[0].interest_paid"),
    ("money below the fen", set_(["persons", 0, "home_purchase", "total_price"], "860000.005"), "persons[0].home_purchase.total_price"),
    ("money beyond decimal precision", set_(["persons", 0, "home_purchase", "total_price"], 1e26), "persons[0].home_purchase.total_price"),
    ("money as boolean", set_(["persons", 1, "apartment", "monthly_rent"], True), "persons[1].apartment.monthly_rent"),
    ("unknown enum", set_(["enterprises", 0, "loans", 0, "lender"], "pawnshop"), "enterprises[0].loans[0].lender"),
    ("unknown board", set_(["enterprises", 0, "listings", 0, "board"], "nasdaq"), "enterprises[0].listings[0].board"),
    ("unknown top-level field", set_(["applicant"], "x"), "applicant"),
    ("unknown entity field", set_(["enterprises", 0, "registered"], True), "enterprises[0].registered"),
    ("typo in a nested field", set_(["persons", 0, "talent", "recognised_on"], "2022-03-15"), "persons[0].talent.recognised_on"),
    ("dangling founder", set_(["enterprises", 0, "founders"], ["P9"]), "enterprises[0].founders[0]"),
    ("dangling employer", set_(["persons", 1, "employer"], "E9"), "persons[1].employer"),
    ("duplicate id", set_(["persons", 1, "id"], "E1"), "enterprises[0].id"),  # the second use is flagged
    ("event after as_of", set_(["enterprises", 0, "listings", 1, "listed_on"], "2025-07-01"), "enterprises[0].listings[1].listed_on"),
    ("yearly figure after as_of", set_(["enterprises", 0, "retained_tax", "2026"], "1"), "enterprises[0].retained_tax.2026"),
    ("loan year after as_of", set_(["enterprises", 0, "loans", 0, "year"], 2026), "enterprises[0].loans[0].year"),
    ("approved allowance above 2000", set_(["persons", 0, "talent", "approved_monthly_allowance"], 2000.01), "persons[0].talent.approved_monthly_allowance"),
    ("approved allowance of 0", set_(["persons", 0, "talent", "approved_monthly_allowance"], 0), "persons[0].talent.approved_monthly_allowance"),
    ("approved area below 100", set_(["enterprises", 0, "space", "approved_area_m2"], 99.5), "enterprises[0].space.approved_area_m2"),
    ("approved ratio above 30%", set_(["enterprises", 0, "land_purchases"], [{"date": "2023-01-01", "transfer_price": 1, "for_industrialization": True, "approved_ratio": 0.31}]), "enterprises[0].land_purchases[0].approved_ratio"),  # noqa: E501
    ("approved incubator rate below 500", set_(["enterprises", 0, "incubator"], {"approved_rate": 499, "years": []}), "enterprises[0].incubator.approved_rate"),
    ("months 0", set_(["enterprises", 0, "interns", 0, "months"], 0), "enterprises[0].interns[0].months"),
    ("months fractional", set_(["enterprises", 0, "interns", 0, "months"], 1.5), "enterprises[0].interns[0].months"),
    ("space trio incomplete", set_(["enterprises", 0, "space"], {"rented_area_m2": 300}), "enterprises[0].space"),
    ("retained tax key not a year", set_(["enterprises", 0, "retained_tax"], {"last year": "1"}), "enterprises[0].retained_tax"),
    ("missing case_id", lambda c: c.pop("case_id"), "case_id"),
    ("persons not a list", set_(["persons"], {"id": "P1"}), "persons"),
]


@pytest.mark.parametrize("name,change,path", INVALID, ids=[i[0] for i in INVALID])
def test_invalid_case_names_the_field(engine, name, change, path):
    decision = engine.evaluate(mutate(change))
    assert decision.status == "invalid"
    assert path in [e["path"] for e in decision.errors], decision.errors
    assert all(e["message"] and "Traceback" not in e["message"] for e in decision.errors)
    assert decision.payouts == [] and decision.totals["cash"] == "0.00"
    data = decision.to_dict()
    assert data["errors"] and "errors" in data


def test_valid_base_case_is_valid(engine):
    decision = engine.evaluate(BASE)
    assert decision.status == "ok"
    assert "errors" not in decision.to_dict()


def test_money_is_read_exactly_from_json_numbers(engine):
    case = mutate(set_(["persons", 0, "home_purchase", "total_price"], 0.1))
    text = json.dumps(case)
    decision = engine.evaluate(text)
    line = next(p for p in decision.payouts if p["program"] == "talent.housing_subsidy")
    assert line["amount"] == "0.05"  # 0.1 x 50% = 0.05 exactly, not 0.05000000000000000277


def test_not_json_and_not_an_object(engine):
    assert engine.evaluate("{not json").errors[0]["path"] == "(case)"
    assert engine.evaluate("[1, 2]").status == "invalid"
    assert engine.evaluate(b'{"case_id": "\xff"}').errors[0]["code"] == "encoding"
    assert engine.evaluate('{"case_id": "x", "as_of": "2025-01-01", "persons": [{"id": "P1", "birth_date": NaN}]}').status == "invalid"


def test_cli_exit_codes(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(mutate(set_(["enterprises", 0, "loans", 0, "lender"], "pawnshop"))), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(bad), "--json"])
    assert result.exit_code == 2
    out = json.loads(result.output)
    assert out["status"] == "invalid" and out["errors"][0]["path"] == "enterprises[0].loans[0].lender"
    plain = CliRunner().invoke(main, ["check", str(bad), "--lang", "en"])
    assert plain.exit_code == 2 and "enterprises[0].loans[0].lender" in plain.output
    missing = CliRunner().invoke(main, ["check", str(tmp_path / "nope.json")])
    assert missing.exit_code == 1
    ok = CliRunner().invoke(main, ["check", str(CASES / "01-living-allowance.json")])
    assert ok.exit_code == 0


def test_as_of_override_revalidates_and_moves_the_trigger(tmp_path):
    path = CASES / "15-apartment-and-schooling.json"
    result = CliRunner().invoke(main, ["check", str(path), "--json", "--as-of", "2026-01-15"])
    decision = json.loads(result.output)
    assert decision["as_of"] == "2026-01-15"
    assert not [p for p in decision["payouts"] if p["program"] == "talent.schooling"]
    refused = [x for x in decision["ineligible"] if x["program"] == "talent.schooling"]
    assert {x["beneficiary"] for x in refused} == {"P1", "P2", "P4"}
    early = CliRunner().invoke(main, ["check", str(path), "--json", "--as-of", "2023-01-01"])
    assert early.exit_code == 2
    assert "persons[0].apartment.start" in [e["path"] for e in json.loads(early.output)["errors"]]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_error_has_a_catalog_sentence_in_both_languages(engine, lang):
    from xisai.engine.i18n import Messages
    msgs = Messages.get(lang)
    for name, change, _path in INVALID:
        for error in engine.evaluate(mutate(change)).errors:
            assert error["code"] and msgs.has(f"error.{error['code']}"), (name, error)
    decision = engine.evaluate(mutate(INVALID[0][1]))
    assert decision.render("zh_CN")["errors"][0]["message"] == "2022-02-30不是有效日期"
    assert decision.errors[0]["message"] == decision.render("en")["errors"][0]["message"]  # the data's message is English


def test_a_case_beyond_the_fact_limit_is_invalid_naming_the_limit(engine, monkeypatch):
    """durable-rules decided 200,000 facts in one case (20 s, 2.2 GB); a case may make
    MAX_FACTS (100,000). Beyond it: an invalid case saying so, never a crash."""
    import xisai.engine.evaluate as evaluate_module
    monkeypatch.setattr(evaluate_module, "MAX_FACTS", 10)  # the same path, on a small case
    case = {"case_id": "big", "as_of": "2025-01-01", "persons": [{"id": f"P{i}"} for i in range(8)],
            "enterprises": [{"id": "E1"}, {"id": "E2"}]}
    decision = engine.evaluate(case)
    assert decision.status == "invalid"
    assert decision.errors == [{"path": "(case)", "code": "too_large", "params": {"facts": "12", "limit": "10"},
                                "message": decision.errors[0]["message"]}]
    assert "12" in decision.errors[0]["message"] and "10" in decision.errors[0]["message"]
    monkeypatch.setattr(evaluate_module, "MAX_FACTS", 12)
    assert engine.evaluate(case).status == "ok"  # at the limit, decided
