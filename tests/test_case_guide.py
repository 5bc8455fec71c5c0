"""The case format shipped with the package: `xisai schema` (a JSON Schema that the
worked cases satisfy and wrong values break) and `xisai template` (an annotated
example that is a valid case once its comments are gone)."""
import copy
import json

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import CASES, ROOT

from xisai.cli.guide import COMMENT, strip_comments
from xisai.cli.main import main
from xisai.engine.case_checks import shapes
from xisai.engine.case_model import Case

ENV = {"XISAI_LANG": None, "LANG": None, "LC_ALL": None, "LC_MESSAGES": None}


def run(*args):
    result = CliRunner().invoke(main, list(args), env=ENV)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def schema():
    return json.loads(run("schema"))


def validator(schema):
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("path", sorted(CASES.glob("*.json")), ids=lambda p: p.stem)
def test_the_worked_cases_satisfy_the_schema(schema, path):
    assert list(validator(schema).iter_errors(json.loads(path.read_text(encoding="utf-8")))) == []


@pytest.mark.parametrize("where,value", [
    (("persons", 0, "talent", "recognized_on"), "2022/03/15"),        # not YYYY-MM-DD
    (("persons", 0, "talent", "recognized_on"), "2022-02-30"),        # no such day
    (("persons", 0, "home_purchase", "total_price"), "860000.005"),   # below the fen
    (("persons", 0, "home_purchase", "total_price"), -1),             # negative
    (("persons", 0, "talent", "approved_monthly_allowance"), 2000.5),  # the clause's bound, from the rule file
    (("persons", 0, "talent", "approved_monthly_allowance"), 0),
    (("enterprises", 0, "loans", 0, "lender"), "pawnshop"),
    (("enterprises", 0, "retained_tax"), {"last year": "1"}),
    (("enterprises", 0, "registered"), True),                          # unknown field
])
def test_wrong_values_break_the_schema(schema, where, value):
    case = json.loads((CASES / "16-full-application.json").read_text(encoding="utf-8"))
    case["persons"][0].setdefault("talent", {})["approved_monthly_allowance"] = "1000"
    node = case
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    assert list(validator(schema).iter_errors(case)), where


def test_the_schema_speaks_the_language_asked_for():
    zh = json.loads(run("schema"))
    en = json.loads(run("schema", "--lang", "en"))
    assert zh["$defs"]["Talent"]["properties"]["recognized_on"]["title"] == "人才认定日期"
    assert en["$defs"]["Talent"]["properties"]["recognized_on"]["title"] == "date of recognition as a talent"
    money = en["$defs"]["Talent"]["properties"]["approved_monthly_allowance"]
    assert {"type": "number", "exclusiveMinimum": 0, "maximum": 2000} in money["anyOf"]
    assert en["$defs"]["Talent"]["properties"]["recognized_on"]["format"] == "date"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_template_is_a_valid_case_once_its_comments_are_gone(engine, lang):
    annotated = run("template", "--lang", lang)
    plain = json.loads(run("template", "--json", "--lang", lang))
    assert json.loads(strip_comments(annotated)) == plain
    decision = engine.evaluate(copy.deepcopy(plain))
    assert decision.status == "ok", [e.message for e in decision.errors]
    assert decision.payouts


def test_the_template_shows_and_explains_every_field():
    annotated = run("template", "--lang", "en")
    plain = json.loads(run("template", "--json", "--lang", "en"))

    def fields(model, node):
        for name, shape in shapes(model).items():
            assert name in node, (model.__name__, name)
            if shape.kind == "model":
                fields(shape.model, node[name])
            elif shape.kind == "models":
                fields(shape.model, node[name][0])
    fields(Case, plain)
    for line in annotated.splitlines():
        if line.strip().startswith('"'):   # every key has its comment
            assert COMMENT in line, line
    assert '"kind": "hr_service_agency",  // kind of agency; one of: HR service agency (hr_service_agency)' in annotated
    assert "no current rule reads it" in annotated
    assert "the clause's range (0, 2000]" in annotated


def test_the_readme_points_to_the_format():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for pointer in ("xisai schema", "xisai template", "xisai ask", "docs/case-format.md"):
        assert pointer in readme
    assert (ROOT / "docs" / "case-format.md").is_file()


def test_the_doc_s_list_of_unread_fields_is_the_rules_own(engine):
    import re

    from xisai.engine.case_guide import field_guide
    doc = (ROOT / "docs" / "case-format.md").read_text(encoding="utf-8")
    section = doc.split("## What the current rules read", 1)[1].split("##", 1)[0]
    named: set[str] = set()
    previous = ""
    for name in re.findall(r"`([a-z_\[\].]+)`", section.split("are accepted", 1)[0]):
        if name.startswith("."):   # `.kind` after `...new_products[].name`
            named.add(previous.rsplit(".", 1)[0] + name)
        else:
            named.add(name)
            previous = name
    unread = {g.path.replace("[*]", "[]") for g in field_guide(engine.book) if not g.read}
    assert named == unread


def test_the_doc_names_every_error_code():
    from babel.messages.pofile import read_po

    from xisai.engine.i18n import catalog_path
    doc = (ROOT / "docs" / "case-format.md").read_text(encoding="utf-8")
    with catalog_path("en").open("rb") as fh:
        codes = {m.id.removeprefix("error.") for m in read_po(fh) if isinstance(m.id, str) and m.id.startswith("error.")}
    asked = {"answer_yes_no", "answer_choice", "answer_required", "choice"}   # xisai ask's own; a piece of a message
    legacy = {"string_too_short", "model_attributes_type"}                   # pydantic codes this model does not give
    assert {c for c in codes - asked - legacy if f"`{c}`" not in doc} == set()
