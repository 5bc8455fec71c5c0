"""decision_diff: what differs between a recorded decision and the decision made again,
on the floor fields; the cash moved by program and year."""
from xisai.engine.decision_diff import diff


def line(basis: str, amount: str, year: int = 2024) -> dict:
    return {"program": "p1", "beneficiary": "E1", "year": year, "kind": "cash", "basis": basis, "amount": amount}


def decision(*lines: dict) -> dict:
    return {"case_id": "c", "status": "ok", "payouts": list(lines), "totals": {}}


def test_an_exact_and_a_maximum_line_of_the_same_year_are_two_lines():
    old = decision(line("exact", "100.00"), line("maximum", "50.00"))
    new = decision(line("exact", "100.00"))
    d = diff(old, new)
    assert d["lines"] == [{"program": "p1", "beneficiary": "E1", "year": 2024, "kind": "cash",
                           "basis": ["maximum", None], "amount": ["50.00", None]}]
    assert d["moved"] == [["p1", 2024, "-50.00"]] and not d["money_same"]


def test_the_same_lines_in_another_order_do_not_differ():
    a, b = line("exact", "100.00"), line("maximum", "50.00")
    d = diff(decision(a, b), decision(b, a))
    assert d["lines"] == [] and d["moved"] == [] and d["money_same"]


def invalid(message: str, code: str = "json") -> dict:
    return {"case_id": "", "status": "invalid", "errors": [{"path": "(case)", "code": code, "params": {"line": "1"},
                                                            "message": message}], "payouts": [], "totals": {}}


def test_errors_are_compared_by_path_code_and_params_not_by_message():
    reworded = diff(invalid("The case is not JSON."), invalid("This case is not valid JSON."))
    assert reworded["same"] and reworded["errors"] is None
    other = diff(invalid("The case is not JSON."), invalid("The case is not JSON.", code="not_object"))
    assert not other["same"] and other["money_same"]
    assert other["errors"] == [[{"path": "(case)", "code": "json", "params": {"line": "1"}}],
                               [{"path": "(case)", "code": "not_object", "params": {"line": "1"}}]]


def test_same_money_names_the_details_that_differ(engine):
    """Replay's "same money, other details" says which: here a parameter row's date."""
    import json
    from pathlib import Path

    from xisai.engine.decision_diff import diff
    old = json.loads(engine.evaluate((Path(__file__).parent.parent / "cases" / "11-brand-awards.json").read_bytes()).to_json())
    new = json.loads(json.dumps(old))
    line = next(p for p in new["payouts"] if p["program"] == "brand.quality_award")
    line["parts"][0]["parameters"][0]["from"] = "2021-12-26"
    found = diff(old, new)
    assert found["money_same"] and not found["same"]
    assert found["details"] == [{"part": "parameters", "program": "brand.quality_award"}]
    assert diff(old, old)["details"] == []
