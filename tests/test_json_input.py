"""Case text in: every input ends in a decision or in errors naming the field (exit 2
from the CLI), never in an exception."""
import json

import pytest
from click.testing import CliRunner

from xisai.cli.main import main
from xisai.engine.i18n import Messages
from xisai.engine.json_input import MAX_DEPTH, CaseInputError, parse_case

HOME = {"date": "2023-01-01", "total_price": "100.00", "in_district": True, "first_home": True}


def case_with_price(price: object) -> str:
    return json.dumps({"case_id": "x", "as_of": "2024-01-01",
                       "persons": [{"id": "P1", "settled_in_district": True,
                                    "talent": {"category": "team_member", "recognized_on": "2023-01-01"},
                                    "home_purchase": dict(HOME, total_price=price)}]}, ensure_ascii=False)


def errors(engine, text: str | bytes) -> list[tuple[str, str]]:
    decision = engine.evaluate(text, lang="en")
    assert decision.status == "invalid" and decision.payouts == []
    assert all(e["message"] for e in decision.errors)
    return [(e["path"], e["code"]) for e in decision.errors]


def test_100000_open_brackets_is_too_deep_not_a_recursion_error(engine):
    found = errors(engine, "[" * 100_000)
    assert found == [("[0]" * MAX_DEPTH, "too_deep")]


def test_nesting_names_the_path_where_the_limit_is_crossed(engine):
    deep = '{"case_id": "x", "persons": [{"id": "P1", "name": ' + '{"k": [' * 40 + "1" + "]}" * 40 + "}]}"
    path, code = errors(engine, deep)[0]
    assert code == "too_deep"
    assert path == "persons[0].name" + ".k[0]" * 30 + ".k"  # the 65th container opens there


def test_nesting_up_to_the_limit_parses():
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_case(text) is not None
    with pytest.raises(CaseInputError):
        parse_case("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


def test_brackets_inside_strings_do_not_count():
    text = json.dumps({"case_id": "[" * 1000 + "\\\"{" * 100})
    assert parse_case(text)["case_id"].startswith("[[[")


def test_duplicate_key_names_the_key_and_its_path(engine):
    text = ('{"case_id": "x", "as_of": "2024-01-01", "persons": [{"id": "P1", '
            '"settled_in_district": false, "settled_in_district": true}]}')
    assert errors(engine, text) == [("persons[0].settled_in_district", "duplicate_key")]
    message = engine.evaluate(text, lang="en").errors[0]["message"]
    assert "settled_in_district" in message


def test_duplicate_keys_at_the_top_and_deep_are_all_named(engine):
    text = ('{"case_id": "x", "case_id": "y", "enterprises": [{"id": "E1", '
            '"retained_tax": {"2023": "1.00", "2023": "900000.00"}}]}')
    assert sorted(errors(engine, text)) == [("case_id", "duplicate_key"), ("enterprises[0].retained_tax.2023", "duplicate_key")]


@pytest.mark.parametrize("money", ["１２３", "1_000", " 1500 ", "+100", "1e3", "0x10", "١٢٣", "NaN", "Infinity", "12.", ".5", "1500\n", ""])
def test_money_strings_must_be_plain_ascii_decimals(engine, money):
    assert errors(engine, case_with_price(money)) == [("persons[0].home_purchase.total_price", "plain_decimal")]


@pytest.mark.parametrize("price,subsidy", [("1500", "750.00"), ("1500.5", "750.25"), ("1500.50", "750.25"), ("0", None),
                                           (1500, "750.00"), (1500.5, "750.25"), ("1E3", "500.00")])
def test_plain_decimals_and_json_numbers_are_still_read(engine, price, subsidy):
    text = case_with_price(price).replace('"1E3"', "1E3")  # an exponent is fine in a JSON number
    decision = engine.evaluate(text)
    assert decision.status == "ok", decision.errors
    lines = [p["amount"] for p in decision.payouts if p["program"] == "talent.housing_subsidy"]
    assert lines == ([subsidy] if subsidy else [])


def test_a_negative_money_string_keeps_its_own_error(engine):
    assert errors(engine, case_with_price("-5")) == [("persons[0].home_purchase.total_price", "negative")]


def test_dates_and_year_keys_want_ascii_digits(engine):
    assert errors(engine, '{"case_id": "x", "as_of": "２０２４-01-01"}') == [("as_of", "date_format")]
    assert errors(engine, '{"case_id": "x", "as_of": "2024-01-01\\n"}') == [("as_of", "date_format")]
    text = '{"case_id": "x", "as_of": "2024-01-01", "enterprises": [{"id": "E1", "retained_tax": {"２０２３": "1.00"}}]}'
    assert errors(engine, text) == [("enterprises[0].retained_tax", "year_key")]


def test_huge_integers_are_refused_by_the_field_not_by_python(engine):
    text = '{"case_id": "x", "as_of": "2024-01-01", "enterprises": [{"id": "E1", "employees": ' + "9" * 10_000 + "}]}"
    assert errors(engine, text) == [("enterprises[0].employees", "whole_number")]
    assert errors(engine, case_with_price(0).replace('"total_price": 0', '"total_price": ' + "9" * 10_000)) == [
        ("persons[0].home_purchase.total_price", "implausible")]


def test_unpaired_surrogates_are_refused_with_their_path(engine):
    assert errors(engine, '{"case_id": "x", "persons": [{"id": "\\ud800"}]}') == [("persons[0].id", "surrogate")]
    assert errors(engine, '{"case_id": "x", "persons": [{"id": "P1", "\\udc00": 1}]}') == [("persons[0].\\udc00", "surrogate")]
    assert errors(engine, '{"case_id": "\ud800"}') == [("(case)", "surrogate")]
    ok = engine.evaluate('{"case_id": "\\ud83d\\ude00", "as_of": "2024-01-01", "persons": [{"id": "P1", "settled_in_district": true, '
                         '"talent": {"category": "team_member", "recognized_on": "2023-01-01"}}]}')
    assert ok.status == "ok" and ok.case_id == "\U0001f600"  # a proper pair is one character


def test_bad_bytes_bad_json_and_a_byte_order_mark(engine):
    assert errors(engine, b'{"case_id": "\xff"}') == [("(case)", "encoding")]
    assert errors(engine, b"") == [("(case)", "json")]
    assert errors(engine, '{"case_id": "x", ') == [("(case)", "json")]
    assert errors(engine, '{"a": "' + "[" * 1000) == [("(case)", "json")]  # unterminated string, not too deep
    bom = "\ufeff" + case_with_price("100.00")
    assert engine.evaluate(bom.encode("utf-8")).status == "ok"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_new_error_codes_have_sentences_in_both_languages(lang):
    msgs = Messages.get(lang)
    for code in ("too_deep", "duplicate_key", "surrogate", "plain_decimal"):
        assert msgs.has(f"error.{code}"), code
    assert "64" in msgs.t("error.too_deep", limit="64")
    assert "１２３" in msgs.t("error.plain_decimal", value="１２３")


def test_cli_exit_2_with_the_field_for_hostile_text(tmp_path):
    cases = {
        "deep.json": ("[" * 100_000, "too_deep"),
        "dup.json": ('{"case_id": "x", "persons": [{"id": "P1", "settled_in_district": false, "settled_in_district": true}]}',
                     "duplicate_key"),
        "money.json": (case_with_price("１２３"), "plain_decimal"),
    }
    for name, (text, code) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = CliRunner().invoke(main, ["check", str(path), "--json"])
        assert result.exit_code == 2, (name, result.output)
        assert json.loads(result.output)["errors"][0]["code"] == code
        plain = CliRunner().invoke(main, ["check", str(path), "--lang", "en"])
        assert plain.exit_code == 2 and "Traceback" not in plain.output


def test_an_empty_id_is_said_in_the_decisions_language(engine):
    decision = engine.evaluate('{"case_id": "", "persons": [{"id": ""}]}')
    assert [(e["path"], e["code"], e["message"]) for e in decision.errors] == [
        ("case_id", "too_short", "must not be empty"), ("persons[0].id", "too_short", "must not be empty")]
    assert [e["message"] for e in decision.render("zh_CN")["errors"]] == ["不能为空", "不能为空"]


def test_a_text_beyond_the_byte_limit_is_too_long(engine, monkeypatch):
    import xisai.engine.json_input as json_input
    monkeypatch.setattr(json_input, "MAX_BYTES", 1000)
    assert errors(engine, b" " * 1001) == [("(case)", "too_long")]
    assert engine.evaluate(case_with_price("1.00").encode()).status == "ok"  # under 1000 bytes


def test_the_cli_reads_an_endless_file_only_up_to_the_limit(monkeypatch):
    import xisai.engine.json_input as json_input
    monkeypatch.setattr(json_input, "MAX_BYTES", 1000)
    result = CliRunner().invoke(main, ["check", "/dev/zero", "--json"])
    assert result.exit_code == 2 and json.loads(result.stdout)["errors"][0]["code"] == "too_long"
    piped = CliRunner().invoke(main, ["check", "-", "--json"], input="x" * 5000)
    assert piped.exit_code == 2 and json.loads(piped.stdout)["errors"][0]["code"] == "too_long"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_numbers(engine, literal):
    """Python's json reads them; a record cannot write them back (allow_nan=False)."""
    decision = engine.evaluate('{"case_id": "x", "persons": [{"id": "P1", "birth_date": ' + literal + '}]}')
    assert decision.status == "invalid"
    assert decision.errors == [{"path": "(case)", "code": "json_constant", "params": {"literal": literal},
                                "message": f"{literal} is not a number JSON allows (write the figure, or leave the field out)"}]
