"""Cross-checks of the brief on generated cases: caps, signs, sums, monotonicity,
determinism, and steps that replay to each amount."""
from collections import defaultdict
from decimal import Decimal

from casegen import generate, scaled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xisai.engine.trace import replay

SEEDS = st.integers(min_value=0, max_value=10**9)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def cap(engine, program, name):
    return engine.book.program(program).parameters[name].only.value


@SETTINGS
@given(SEEDS)
def test_generated_cases_are_valid_and_add_up(engine, seed):
    decision = engine.evaluate(generate(seed))
    assert decision.status == "ok", decision.errors
    cash = Decimal(0)
    by_year: dict[str, Decimal] = defaultdict(Decimal)
    for line in decision.payouts:
        if line["amount"] is None:
            assert line["kind"] == "in_kind"
            continue
        amount = Decimal(line["amount"])
        assert amount == amount.quantize(Decimal("0.01"))
        assert amount > 0 if line["kind"] == "cash" else amount >= 0  # an in-kind line is listed even at 0.00
        if line["kind"] == "cash":
            cash += amount
            by_year[str(line["year"])] += amount
    assert Decimal(decision.totals["cash"]) == cash
    assert {y: Decimal(v) for y, v in decision.totals["by_year"].items()} == dict(by_year)
    assert Decimal(decision.totals["cash_exact"]) <= cash


@SETTINGS
@given(SEEDS)
def test_no_line_exceeds_its_cap(engine, seed):
    decision = engine.evaluate(generate(seed))
    per_person: dict[str, Decimal] = defaultdict(Decimal)
    for line in decision.payouts:
        if line["program"] == "talent.housing_subsidy":
            assert Decimal(line["amount"]) <= cap(engine, line["program"], "cap")
        if line["program"] == "enterprise.loan_interest":
            assert Decimal(line["amount"]) <= cap(engine, line["program"], "cap")
        if line["program"] == "talent.living_allowance":
            per_person[line["beneficiary"]] += Decimal(line["amount"])
    for total in per_person.values():
        assert total <= cap(engine, "talent.living_allowance", "cap_per_person")


@SETTINGS
@given(SEEDS)
def test_steps_replay_to_every_amount(engine, seed):
    decision = engine.evaluate(generate(seed))
    for line in decision.payouts:
        total = Decimal(0)
        for part in line["parts"]:
            if part["amount"] is not None:
                assert replay(part["steps"])[len(part["steps"])] == Decimal(part["amount"])
                total += Decimal(part["amount"])
        if line["amount"] is not None:
            assert total == Decimal(line["amount"])


@SETTINGS
@given(SEEDS, st.sampled_from([2, 3, 10]))
def test_raising_prices_rents_taxes_or_interest_never_lowers_a_payout(engine, seed, factor):
    case = generate(seed)
    before = engine.evaluate(case)
    after = engine.evaluate(scaled(case, factor))
    assert Decimal(after.totals["cash"]) >= Decimal(before.totals["cash"])
    assert Decimal(after.totals["in_kind_value"]) >= Decimal(before.totals["in_kind_value"])
    def per_program(d):
        return {(p["program"], p["beneficiary"]): Decimal(0) for p in d.payouts}
    got = per_program(before)
    for line in after.payouts:
        if line["amount"] is not None and (line["program"], line["beneficiary"]) in got:
            got[(line["program"], line["beneficiary"])] += Decimal(line["amount"])
    want = per_program(before)
    for line in before.payouts:
        if line["amount"] is not None:
            want[(line["program"], line["beneficiary"])] += Decimal(line["amount"])
    for key, amount in want.items():
        assert got[key] >= amount, key


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(SEEDS, min_size=2, max_size=6))
def test_same_case_same_bytes_in_any_order(engine, seeds):
    first = [engine.evaluate(generate(s)).to_json() for s in seeds]
    again = [engine.evaluate(generate(s)).to_json() for s in reversed(seeds)]
    assert first == list(reversed(again))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-10**20, max_value=10**20) | st.floats(allow_nan=True)
    | st.text(max_size=12) | st.sampled_from(["2024-02-30", "2023-05-05", "1e5", "-0.01", "12.345", "bank", "P0", "E0"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(SEEDS, st.data())
def test_any_corruption_of_a_case_gives_a_decision_never_an_exception(engine, seed, data):
    case = generate(seed)
    paths = [p for p in _paths(case) if p]
    if not paths:
        return
    path = data.draw(st.sampled_from(paths))
    node = case
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = data.draw(JSON)
    decision = engine.evaluate(case)
    assert decision.status in ("ok", "invalid")
    if decision.status == "invalid":
        assert decision.errors and all(e["path"] and e["message"] for e in decision.errors)
        assert decision.payouts == []
