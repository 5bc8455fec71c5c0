"""The questionnaire behind `xisai ask`: derived from the rule files, it asks what the
rules read and skips what the answers so far make moot; answers are read as people
write them and checked by the case model."""
import shutil
from datetime import date

import pytest
from conftest import CASES

from xisai.engine.answers import read_bool, read_date, read_int, read_number
from xisai.engine.evaluate import Engine
from xisai.engine.i18n import LOCALES, Messages
from xisai.engine.interview import ADD, HAS, Interview
from xisai.engine.questions import Relevance, form
from xisai.engine.rulebook import default_rules_dir

AS_OF = date(2025, 6, 30)


def drive(book, answers, as_of=AS_OF):
    """Answer by path: `answers[path]` is a list of answers given in turn (a string for
    one); a yes/no question not listed is answered no. Returns (case, questions asked)."""
    interview = Interview(book, as_of)
    pending = {k: [v] if isinstance(v, str) else list(v) for k, v in answers.items()}
    asked = []
    while (q := interview.question) is not None:
        asked.append(q)
        if pending.get(q.path):
            interview.answer(pending[q.path].pop(0))
        elif q.ask in (ADD, HAS):
            interview.answer("n")
        else:
            raise AssertionError(f"unexpected question {q.path} ({q.label})")
    return interview.result(), asked


def paths(asked):
    return {q.path for q in asked}


FOUNDER = {"persons": ["y", "n"], "persons[0].id": "", "enterprises": ["y", "n"], "enterprises[0].id": "",
           "enterprises[0].registered_in_district": "y", "enterprises[0].ownership": "1",
           "enterprises[0].founded_on": "2022-03-01", "enterprises[0].founders": "1",
           "persons[0].settled_in_district": "n", "persons[0].school_age_children": "n", "persons[0].employer": "",
           "persons[0].talent": "y", "persons[0].talent.category": "1", "persons[0].talent.recognized_on": "2022-03-15"}


def test_what_the_rules_read(engine):
    relevance = Relevance(engine.book)
    read = relevance.read_fields
    # read by conditions, joins, formula values and a formula kind's declared reads
    assert {("person", "settled_in_district"), ("person", "employer"), ("talent", "approved_monthly_allowance"),
            ("space", "rented_area_m2"), ("retained_tax", "amount"), ("interns", "birth_date"),
            ("enterprise", "founded_on")} <= read
    # read by nothing: never asked
    assert not {("agency", "kind"), ("person", "birth_date"), ("person", "name"), ("enterprise", "employees")} & read


def test_a_talent_is_asked_the_talent_questions_only(engine):
    case, asked = drive(engine.book, {"persons": ["y", "n"], "persons[0].id": "", "persons[0].settled_in_district": "y",
                                      "persons[0].talent": "y", "persons[0].talent.category": "2",
                                      "persons[0].talent.recognized_on": "2023-09-01",
                                      "persons[0].talent.approved_monthly_allowance": "1500"})
    assert [q.path for q in asked if q.ask != ADD] == [
        "persons[0].id", "persons[0].settled_in_district", "persons[0].talent", "persons[0].talent.category",
        "persons[0].talent.recognized_on", "persons[0].talent.approved_monthly_allowance", "persons[0].home_purchase"]
    assert case["persons"][0] == {"id": "P1", "settled_in_district": True,
                                  "talent": {"category": "high_level_entrepreneur", "recognized_on": "2023-09-01",
                                             "approved_monthly_allowance": "1500"}}


def test_no_talent_questions_for_a_person_no_program_could_pay_as_one(engine):
    """Not settled (living allowance, housing) and no founder (talent enterprise): nothing reads the talent."""
    _, asked = drive(engine.book, {"persons": ["y", "n"], "persons[0].id": "", "persons[0].settled_in_district": "n"})
    assert "persons[0].talent" not in paths(asked)


def test_no_home_purchase_questions_without_a_talent_recognition(engine):
    _, asked = drive(engine.book, {"persons": ["y", "n"], "persons[0].id": "", "persons[0].settled_in_district": "y",
                                   "persons[0].talent": "n"})
    assert "persons[0].talent" in paths(asked) and "persons[0].home_purchase" not in paths(asked)


def test_a_founder_s_talent_is_asked_even_when_not_settled(engine):
    _, asked = drive(engine.book, FOUNDER)
    asked_paths = paths(asked)
    assert "persons[0].talent" in asked_paths
    assert "persons[0].talent.approved_monthly_allowance" not in asked_paths   # the allowance needs settling
    assert {"enterprises[0].loans", "enterprises[0].retained_tax", "enterprises[0].space", "enterprises[0].interns"} <= asked_paths


def test_no_talent_enterprise_questions_when_no_founder_is_a_talent(engine):
    _, asked = drive(engine.book, {**FOUNDER, "persons[0].talent": "n"})
    asked_paths = paths(asked)
    for moot in ("loans", "retained_tax", "space", "land_purchases", "new_products"):
        assert f"enterprises[0].{moot}" not in asked_paths, moot
    for still in ("interns", "listings", "trademarks", "incubator"):   # not tied to talent
        assert f"enterprises[0].{still}" in asked_paths, still


def test_no_questions_for_an_enterprise_outside_the_district(engine):
    answers = {**FOUNDER, "enterprises[0].registered_in_district": "n"}
    for key in ("enterprises[0].ownership", "enterprises[0].founded_on", "enterprises[0].founders"):
        answers.pop(key)
    _, asked = drive(engine.book, answers)
    assert not [q.path for q in asked if q.path.startswith("enterprises[0].") and q.path != "enterprises[0].id"
                and q.path != "enterprises[0].registered_in_district"]


def test_no_intern_questions_for_an_enterprise_not_private(engine):
    _, asked = drive(engine.book, {**FOUNDER, "enterprises[0].ownership": "state_owned"})
    asked_paths = paths(asked)
    assert "enterprises[0].loans" in asked_paths
    for moot in ("interns", "poverty_hires", "incubator"):   # each needs a private enterprise
        assert f"enterprises[0].{moot}" not in asked_paths, moot


def test_employer_questions_follow_the_employer(engine):
    base = {"persons": ["y", "n"], "persons[0].id": "", "enterprises": ["y", "n"], "enterprises[0].id": "",
            "persons[0].settled_in_district": "n", "persons[0].school_age_children": "y", "persons[0].employer": "1"}
    _, outside = drive(engine.book, {**base, "enterprises[0].registered_in_district": "n"})
    assert "persons[0].is_executive" not in paths(outside) and "persons[0].apartment" not in paths(outside)
    _, inside = drive(engine.book, {**base, "enterprises[0].registered_in_district": "y", "enterprises[0].ownership": "",
                                    "enterprises[0].founded_on": "", "persons[0].is_executive": "n"})
    assert "persons[0].is_executive" in paths(inside) and "persons[0].apartment" in paths(inside)


def test_a_new_program_needs_no_new_question_in_code(tmp_path):
    """A rule file reading a field no program read before (enterprise.employees) makes it asked."""
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    (rules / "programs" / "test.jobs.toml").write_text('''
id = "test.jobs"
order = 99
title.zh = "测试：吸纳就业"
title.en = "Test: jobs"
clause.section = "测试"
clause.text = "测试"
beneficiary = "enterprise"
candidate = "enterprise"
trigger = "enterprise.founded_on"

[facts.enterprise]
type = "enterprise"

[[conditions]]
id = "jobs"
fact = "enterprise"
field = "employees"
op = "ge"
value = 10
text.zh = "职工不少于10人"
text.en = "at least 10 employees"

[formula]
kind = "fixed_amount"
on = "enterprise.founded_on"

[parameters.amount]
unit = "CNY"
values = [{ from = 2021-12-25, value = "100", source = "test" }]
''', encoding="utf-8")
    book = Engine(rules).book
    answers = {"enterprises": ["y", "n"], "enterprises[0].id": "", "enterprises[0].registered_in_district": "n",
               "enterprises[0].founded_on": "2023-01-01", "enterprises[0].employees": "12"}
    case, asked = drive(book, answers)
    assert "enterprises[0].employees" in paths(asked) and case["enterprises"][0]["employees"] == 12
    decision = Engine(rules).evaluate(case)
    assert [(p["program"], p["amount"]) for p in decision.payouts] == [("test.jobs", "100.00")]


def test_wrong_answers_are_refused_with_the_case_model_s_reason(engine):
    interview = Interview(engine.book, AS_OF)
    for answer in ("y", "", "n", "n", "n", "y", "y", "1"):
        interview.answer(answer)
    assert interview.question.path == "persons[0].talent.recognized_on"
    for bad, code in (("2023-02-30", "date_invalid"), ("soon", "date_format"), ("2025-07-01", "after_as_of")):
        q = interview.answer(bad)
        assert q.path == "persons[0].talent.recognized_on" and [p.code for p in q.problems] == [code]
    assert interview.answer("2023-09-01").path == "persons[0].talent.approved_monthly_allowance"
    for bad, code in (("-1", "negative"), ("0", "out_of_range"), ("2000.01", "out_of_range"), ("12.345", "money_fen"), ("lots", "plain_decimal")):
        assert [p.code for p in interview.answer(bad).problems] == [code]
    assert interview.answer("2000").path == "persons[0].home_purchase"


def test_an_id_in_use_is_refused(engine):
    interview = Interview(engine.book, AS_OF)
    interview.answer("y")
    interview.answer("X")
    interview.answer("n")
    interview.answer("y")          # enterprises
    q = interview.answer("X")
    assert [p.code for p in q.problems] == ["id_duplicate"]


def test_fields_that_come_together_are_asked_again(engine):
    """space: rented area, rent and lease start together or not at all (an object-level check)."""
    case, _ = drive(engine.book, {**FOUNDER, "enterprises[0].space": ["y", "y"],
                                  "enterprises[0].space.approved_area_m2": ["", ""],
                                  "enterprises[0].space.rented_area_m2": ["300", "300"],
                                  "enterprises[0].space.monthly_rent_per_m2": ["", "25"],
                                  "enterprises[0].space.lease_start": ["", "2022-06-01"]})
    assert case["enterprises"][0]["space"] == {"rented_area_m2": "300", "monthly_rent_per_m2": "25", "lease_start": "2022-06-01"}


def test_every_question_has_its_words_in_both_catalogs():
    def keys(node):
        for f in node.fields:
            yield f"field.{node.type}.{f.name}"
            yield from (f"{f.name}.{c}" for c in f.choices)   # an enumeration label: enum.* or choice.*
        for child in node.children:
            yield f"field.{node.type}.{child.name}"
            yield from keys(child.node)
    needed = set()
    for group, node in form().items():
        needed |= {f"field.case.{group}", f"entity.{node.type}", *keys(node)}
    for kind in ("date", "money", "number", "int", "text", "id", "enum", "ref", "refs"):
        needed.add(f"ask.hint.{kind}")
    for locale in LOCALES:
        msgs = Messages.get(locale)
        labels = {k for k in needed if not k.startswith(("field.", "entity.", "ask."))}
        assert {k for k in needed - labels if not msgs.has(k)} == set(), locale
        assert {k for k in labels if not (msgs.has(f"enum.{k}") or msgs.has(f"choice.{k}"))} == set(), locale


@pytest.mark.parametrize("text,expected", [
    ("2023-09-01", "2023-09-01"), ("2023年9月1日", "2023-09-01"), ("2023/9/1", "2023-09-01"), ("2023.9.1", "2023-09-01"),
    ("20230901", "2023-09-01"), ("２０２３年９月１日", "2023-09-01"), ("May 1, 2023", "May 1, 2023"), ("2023-9", "2023-9"),
])
def test_dates_as_people_write_them(text, expected):
    assert read_date(text) == expected


@pytest.mark.parametrize("text,money,number", [
    ("86万", "860000", "860000"), ("860000", "860000", "860000"), ("860,000.00", "860000", "860000"),
    ("1.5万", "15000", "15000"), ("2亿", "200000000", "200000000"), ("¥860,000元", "860000", "860000"),
    ("８６万", "860000", "860000"), ("-5", "-5", "-5"), ("30%", "30%", "0.3"), ("eighty", "eighty", "eighty"),
    ("12.345", "12.345", "12.345"),
])
def test_money_as_people_write_it(text, money, number):
    assert read_number(text, money=True) == money
    assert read_number(text, money=False) == number


def test_yes_no_and_whole_numbers_in_either_language():
    assert [read_bool(w) for w in ("是", "y", "Yes", "有", "否", "n", "NO", "没有", "maybe")] == [True] * 4 + [False] * 4 + [None]
    assert read_int("2024") == 2024 and read_int("3.5") == "3.5"


def test_the_answers_of_a_worked_case_give_its_decision(engine):
    """Case 01 retold as answers: the same decision as the case file."""
    import json
    worked = json.loads((CASES / "01-living-allowance.json").read_text(encoding="utf-8"))
    case, _ = drive(engine.book, {
        "persons": ["y", "y", "n"], "persons[0].id": "P1", "persons[1].id": "P2",
        "persons[0].settled_in_district": "y", "persons[0].talent": "y", "persons[0].talent.category": "1",
        "persons[0].talent.recognized_on": "2023-10-20", "persons[0].talent.approved_monthly_allowance": "1500",
        "persons[1].settled_in_district": "n"}, as_of=date(2024, 1, 31))
    ours = engine.evaluate(case).to_dict()
    theirs = engine.evaluate(worked).to_dict()
    assert ours["payouts"] == theirs["payouts"] and ours["totals"] == theirs["totals"]


def test_every_case_field_a_formula_reads_is_declared(engine, monkeypatch):
    """A formula kind's code reads only fields its rule file or its `reads` declare, so
    the questionnaire (which knows only the declarations) asks for all of them."""
    import json
    import sys

    from xisai.engine import facts as facts_module
    from xisai.engine.formulas import FORMULAS
    from xisai.engine.questions import reading_programs

    sys.path.insert(0, str(CASES.parent / "tests"))
    from casegen import generate

    read: set[tuple[str, str, str]] = set()
    running: list[str] = []

    class Recording(dict):
        def __getitem__(self, key):
            if running:
                read.add((running[-1], dict.get(self, "t", ""), key))
            return super().__getitem__(key)

        def get(self, key, default=None):
            if running:
                read.add((running[-1], dict.get(self, "t", ""), key))
            return super().get(key, default)

    build = facts_module.FactBuilder.build
    monkeypatch.setattr(facts_module.FactBuilder, "build", lambda self, case: [Recording(f) for f in build(self, case)])
    for name, kind in list(FORMULAS.items()):
        def wrapped(ctx, matched, fn=kind.fn):
            running.append(ctx.program.id)
            try:
                fn(ctx, matched)
            finally:
                running.pop()
        monkeypatch.setitem(FORMULAS, name, type(kind)(**{**kind.__dict__, "fn": wrapped}))
    cases = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(CASES.glob("*.json"))]
    for case in cases + [generate(seed) for seed in range(200)]:
        engine.evaluate(case)
    declared = {(rp.id, rp.facts[a].type, n) for rp in reading_programs(engine.book) for a, n in rp.reads}
    base = {"t", "fid", "owner", "path", "id"}
    undeclared = {(p, t, k) for p, t, k in read if k not in base and t and t != "talent_enterprise" and (p, t, k) not in declared}
    assert len({p for p, _, _ in read}) >= 12   # the formulas did run
    assert undeclared == set()


@pytest.mark.parametrize("answer", ["1e999999999", "9" * 5000, "\U00010a40\U00010a41", "NaN", "Infinity", "-0x10"])
def test_an_odd_number_is_returned_as_typed_for_the_model_to_refuse(answer):
    """Decimal() would read some of these and overflow later; they come back unchanged."""
    from xisai.engine.answers import read_choice, read_int, read_number
    assert read_number(answer) == answer and read_number(answer, money=False) == answer
    assert read_int(answer) == answer
    assert read_choice(answer, ("a", "b"), {}) is None
