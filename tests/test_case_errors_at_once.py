"""Every error of a case in one pass (types, ids, references, dates against as_of,
bounds), each in the user's language, with no pydantic English in it."""
import copy
import json
import re

import pytest
from conftest import CASES

from xisai.engine.i18n import Messages

BASE = json.loads((CASES / "16-full-application.json").read_text(encoding="utf-8"))


def errors(decision, lang="zh_CN"):
    """The decision's errors with their messages in `lang` (path, code, message)."""
    return decision.render(lang).get("errors", [])

# pydantic's English, which must never reach a message with a catalog sentence
PYDANTIC_ENGLISH = re.compile(r"Input should|should be|Value error|valid dictionary|at least \d+ item")


def test_types_references_dates_and_bounds_come_together(engine):
    case = copy.deepcopy(BASE)
    person = case["persons"][0]
    person["talent"]["category"] = "poet"                              # type (enumeration)
    person["talent"]["approved_monthly_allowance"] = "2500"            # bound
    person["home_purchase"]["date"] = "2025-07-01"                     # after as_of
    case["persons"][1]["employer"] = "E9"                              # reference
    case["enterprises"][0]["loans"][0]["interest_paid"] = "-5"         # type (negative money)
    case["enterprises"][0]["founders"] = ["P1", "P404"]                # reference
    case["enterprises"][0]["retained_tax"] = {"2026": "1.00"}          # year after as_of
    decision = engine.evaluate(case)
    assert decision.status == "invalid"
    got = {e["path"]: e["code"] for e in decision.errors}
    assert got == {
        "persons[0].talent.category": "literal_error",
        "persons[0].talent.approved_monthly_allowance": "out_of_range",
        "persons[0].home_purchase.date": "after_as_of",
        "persons[1].employer": "no_enterprise",
        "enterprises[0].loans[0].interest_paid": "negative",
        "enterprises[0].founders[1]": "no_person",
        "enterprises[0].retained_tax.2026": "year_after_as_of",
    }


def test_a_value_of_the_wrong_type_has_one_error_not_two(engine):
    case = copy.deepcopy(BASE)
    case["persons"][0]["talent"]["approved_monthly_allowance"] = "lots"   # not a number: no bound error too
    case["persons"][0]["talent"]["recognized_on"] = "2099/01/01"           # not a date: no after-as_of error too
    case["enterprises"][0]["space"] = {"rented_area_m2": "x", "monthly_rent_per_m2": 20, "lease_start": "2023-01-01"}
    decision = engine.evaluate(case)
    assert sorted((e["path"], e["code"]) for e in decision.errors) == [
        ("enterprises[0].space.rented_area_m2", "plain_decimal"),     # and no space_trio error: its input is already wrong
        ("persons[0].talent.approved_monthly_allowance", "plain_decimal"),
        ("persons[0].talent.recognized_on", "date_format"),
    ]


def test_a_bad_as_of_skips_the_date_comparisons_an_override_restores_them(engine):
    case = copy.deepcopy(BASE)
    case["as_of"] = "soon"
    assert [(e["path"], e["code"]) for e in engine.evaluate(case).errors] == [("as_of", "date_format")]
    from datetime import date
    late = engine.evaluate(case, as_of=date(2022, 1, 1))
    assert {"as_of"} < {e["path"] for e in late.errors} and "after_as_of" in {e["code"] for e in late.errors}


def test_an_enumeration_lists_its_labels_and_codes_without_english_glue(engine):
    case = copy.deepcopy(BASE)
    case["enterprises"][0]["loans"][0]["lender"] = "pawnshop"
    decision = engine.evaluate(case)
    assert errors(decision, "zh_CN")[0]["message"] == "须为以下之一：银行（bank）、持牌金融机构（licensed_institution）、民间借贷（private）"
    assert errors(decision, "en")[0]["message"] == "must be one of bank, licensed institution (licensed_institution), private lending (private)"
    # the data itself stays language-neutral: the codes, no pydantic English
    assert decision.errors[0]["params"] == {"expected": "bank, licensed_institution, private",
                                            "choices": "bank,licensed_institution,private", "field": "lender"}


WRONG_VALUES = [None, True, -1, 0, 1800, 1.5, 10**30, "", "x", "2022-02-30", "2099-01-01", "0.001", [], {}, [1], {"a": 1}]


def _leaves(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, prefix + (i,))
    yield prefix


def _set(case, path, value):
    node = case
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@pytest.fixture(scope="module")
def error_codes(engine):
    """Every error code the model can give: each field of a full case set to each wrong value."""
    seen = {}
    for path in list(_leaves(BASE)):
        for value in WRONG_VALUES:
            case = copy.deepcopy(BASE)
            if path:
                _set(case, path, value)
            for error in engine.evaluate(case).errors:
                seen.setdefault(error["code"], (path, value))
    case = copy.deepcopy(BASE)
    case["enterprises"][0]["retained_tax"] = {2023: "1"}  # a key that is not a string (from Python)
    case["enterprises"][0]["incubator"] = {"years": [{"year": 2023, "enterprise_months": 1}, {"year": 2023, "enterprise_months": 2}]}
    case["persons"].append({"id": "P1"})
    case["enterprises"][0]["founders"] = ["P1", "P1"]
    case["persons"][0]["talent"]["approved_monthly_allowance"] = 2500
    case["unknown"] = 1
    del case["case_id"]
    for error in engine.evaluate(case).errors:
        seen.setdefault(error["code"], ("(special)", None))
    return seen


def test_the_fuzz_reaches_the_error_kinds(error_codes):
    assert {"missing", "extra_forbidden", "literal_error", "too_short", "string_type", "list_type", "model_type",
            "dict_type", "date_format", "date_invalid", "plain_decimal", "number", "negative", "implausible", "money_fen", "whole_number",
            "flag", "text", "year_key", "greater_than_equal", "id_duplicate", "founder_twice", "year_twice",
            "out_of_range", "after_as_of", "no_person", "no_enterprise"} <= set(error_codes)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_error_the_model_can_give_has_a_catalog_sentence(engine, error_codes, lang):
    msgs = Messages.get(lang)
    missing = {code: where for code, where in error_codes.items() if not msgs.has(f"error.{code}")}
    assert missing == {}


def test_no_pydantic_english_in_any_message(engine):
    for path in list(_leaves(BASE))[::3]:
        for value in WRONG_VALUES:
            case = copy.deepcopy(BASE)
            if path:
                _set(case, path, value)
            decision = engine.evaluate(case)
            for lang in ("zh_CN", "en"):
                for error in errors(decision, lang):
                    assert not PYDANTIC_ENGLISH.search(error["message"]), (path, value, error)
