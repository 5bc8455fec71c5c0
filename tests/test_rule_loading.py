"""Rule files: a malformed one fails at load naming the file and the key; no
policy figure hides in engine code."""
import io
import shutil
import tokenize
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import ROOT

from xisai.engine.rulebook import (
    RuleError,
    default_rules_dir,
    load_rulebook,
    rules_version,
)


@pytest.fixture
def rules(tmp_path):
    target = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_shipped_rules_load(engine):
    book = engine.book
    assert len(book.programs) == 17 and len(book.provisions) == 2
    assert {p.id for p in book.provisions} == {"business.fee_standards", "business.inspection_permission"}
    for program in book.programs:
        assert program.clause_text and program.clause_section and program.title["zh"] and program.title["en"]
        for parameter in program.parameters.values():
            assert all(row.source for row in parameter.values), (program.id, parameter.name)


def test_every_clause_quote_is_in_the_source(engine):
    source = (ROOT.parent / "shared" / "source" / "zhuanlan-11-1.md")
    if not source.exists():
        pytest.skip("shared/ is not beside this checkout")
    text = source.read_text(encoding="utf-8")
    for program in engine.book.programs + engine.book.provisions:
        assert program.clause_text in text, program.id


CASES = [
    ("programs/talent.housing_subsidy.toml", 'field = "first_home"', 'field = "first_hom"', "conditions[2].field"),
    ("programs/talent.housing_subsidy.toml", 'op = "eq"', 'op = "equals"', "conditions[1].op"),
    ("programs/talent.housing_subsidy.toml", 'param = "policy_window"', 'param = "window"', "conditions[4].param"),
    ("programs/talent.housing_subsidy.toml", 'kind = "capped_share"', 'kind = "capped"', "formula.kind"),
    ("programs/talent.housing_subsidy.toml", '[parameters.cap]', '[parameters.ceiling]', "parameters.cap"),
    ("programs/talent.housing_subsidy.toml", 'join = { id = "purchase.owner" }', 'join = { id = "buyer.owner" }', "facts.person.join.id"),
    ("programs/talent.housing_subsidy.toml", 'fact = "purchase"', 'facts = "purchase"', "conditions[2].fact"),
    ("programs/talent.housing_subsidy.toml", 'base = "purchase.total_price"', 'base = "purchase.price"', "formula.base"),
    ("parameters/minimum_wage.toml", '{ from = 2017-11-01, value', '{ from = 2017-11-01, valeu = 1, value', "values[0].valeu"),
    ("programs/talent.housing_subsidy.toml", 'id = "talent.housing_subsidy"', 'id = "talent.housing"', "id"),
    ("general.toml", 'end = 2025-12-31', 'end = 2020-12-31', "parameters.policy_window.values[0].end"),
    ("parameters/minimum_wage.toml", '{ from = 2021-09-01', '{ from = 2016-09-01', "values[1].from"),
    ("programs/employment.youth_internship.toml", 'type = "interns"', 'type = "trainees"', "facts.intern.type"),
    ("general.toml", 'note_for_maintainers.zh', 'note_for_maintainers.de', "parameters.policy_window.note_for_maintainers.zh"),
    ("programs/talent.living_allowance.toml", 'unit = "CNY/month"', 'unit = "CNY/month"\nread = 1', "parameters.max_rate.read"),
]


@pytest.mark.parametrize("file,old,new,key", CASES, ids=[c[3] for c in CASES])
def test_a_broken_rule_names_file_and_key(rules, file, old, new, key):
    edit(rules / file, old, new)
    with pytest.raises(RuleError) as info:
        load_rulebook(rules)
    assert info.value.file == file and info.value.key == key, str(info.value)


def test_a_typo_is_pointed_out(rules):
    edit(rules / "programs" / "talent.housing_subsidy.toml", 'fact = "purchase"', 'facts = "purchase"')
    with pytest.raises(RuleError, match="'facts' a typo"):
        load_rulebook(rules)


def test_invalid_toml_names_the_file(rules):
    (rules / "programs" / "listing.award.toml").write_text("id = [", encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_rulebook(rules)
    assert info.value.file == "programs/listing.award.toml"


def test_a_parameter_change_is_a_new_rules_version_and_a_new_figure(rules):
    before = rules_version(rules)
    edit(rules / "programs" / "talent.housing_subsidy.toml", 'value = "200000"', 'value = "250000"')
    assert rules_version(rules) != before
    book = load_rulebook(rules)
    assert book.program("talent.housing_subsidy").parameters["cap"].only.value == Decimal(250000)


def test_extending_the_window_is_one_line(rules, engine):
    case = (ROOT / "cases" / "15-apartment-and-schooling.json").read_bytes()
    from datetime import date

    from xisai.engine.evaluate import Engine
    late = date(2026, 3, 1)
    assert not [p for p in engine.evaluate(case, as_of=late).payouts if p["program"] == "talent.schooling"]
    edit(rules / "general.toml", "end = 2025-12-31", "end = 2026-12-31")
    extended = Engine(rules).evaluate(case, as_of=late)
    assert {p["beneficiary"] for p in extended.payouts if p["program"] == "talent.schooling"} == {"P1", "P2"}


# Every figure the brief names: none may be a number literal in engine or CLI code.
POLICY_FIGURES = {"2000", "72000", "200000", "0.5", "0.50", "0.75", "500000", "300000", "100000", "2000000", "1000000",
                  "0.6", "0.60", "0.3", "0.30", "1380", "1650", "1800", "1970", "2021", "2025", "36", "1000", "500",
                  "16", "24", "48", "1.00", "6"}


def test_no_policy_figure_in_engine_code():
    found = []
    for path in sorted(p for d in ("engine", "views", "cli") for p in (ROOT / d).rglob("*.py")):
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if tok.type == tokenize.NUMBER and tok.string in POLICY_FIGURES:
                found.append(f"{path.relative_to(ROOT)}:{tok.start[0]}: {tok.string}")
    assert not found, found


def test_every_rule_and_catalog_file_ships_in_the_wheel():
    import fnmatch
    import tomllib
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    for package, folder, pattern in (("xisai.rules", "rules", "*.toml"), ("xisai.catalogs", "catalogs", "*.po")):
        for path in (ROOT / folder).rglob(pattern):
            rel = path.relative_to(ROOT / folder).as_posix()
            assert any(fnmatch.fnmatch(rel, glob) and rel.count("/") == glob.count("/") for glob in data[package]), rel


def test_a_parameter_with_no_row_in_force_is_a_clear_engine_error(rules):
    from click.testing import CliRunner

    from xisai.cli.main import main
    edit(rules / "programs" / "talent.housing_subsidy.toml", '{ from = 2021-12-25, value = "200000"', '{ from = 2024-01-01, value = "200000"')
    result = CliRunner().invoke(main, ["check", str(ROOT / "cases" / "16-full-application.json"), "--rules", str(rules)])
    assert result.exit_code == 1
    assert "talent.housing_subsidy" in result.output and "no value in force on 2022-05-01" in result.output


def test_a_note_for_maintainers_is_kept_with_its_rule(engine):
    window = engine.book.general["policy_window"]
    assert "end" in window.note_for_maintainers["zh"] and "end" in window.note_for_maintainers["en"]
    assert "修改" not in window.reading["zh"] and "change" not in window.reading["en"]  # the public's text
