"""The durable-rules wrapper, against the library's measured sharp edges."""
import threading
from datetime import date
from decimal import Decimal

import pytest

from xisai.engine.matcher import MAX_FACTS, Matcher, MatcherError, durable_name, encode, fnv1a_32, message_id

ID = durable_name("id")  # durable-rules keeps `id` for its message identity
RULES = {
    "owned": [{"p": {"t": "person"}}, {"h": {"$and": [{"t": "home"}, {"owner": {"p": ID}}, {"first": True}]}}],
    "flag": [{"x": {"$and": [{"t": "person"}, {"ok": True}]}}],
}
FIELDS = {"person": ["id", "ok"], "home": ["owner", "first"]}


@pytest.fixture
def matcher():
    return Matcher("test_wrapper", RULES, FIELDS)


def run(matcher, *phases):
    with matcher.session() as s:
        for facts in phases:
            s.assert_facts(facts)
        return s.matches()


def test_joins_and_near_misses(matcher):
    found = run(matcher, [{"t": "person", "fid": 1, "id": "P", "ok": False},
                          {"t": "home", "fid": 2, "owner": "P", "first": True},
                          {"t": "home", "fid": 3, "owner": "P", "first": False},
                          {"t": "home", "fid": 4, "owner": "Q", "first": True}])
    assert found == {"owned": [{"p": 1, "h": 2}]}


def test_a_session_leaves_nothing_behind(matcher):
    run(matcher, [{"t": "person", "fid": 1, "id": "P", "ok": True}])
    # The person of the last session must not join this session's home.
    assert run(matcher, [{"t": "home", "fid": 1, "owner": "P", "first": True}]) == {}


def test_phases_join_facts_of_earlier_phases(matcher):
    found = run(matcher, [{"t": "person", "fid": 1, "id": "P", "ok": False}],
                [{"t": "home", "fid": 2, "owner": "P", "first": True}])
    assert found == {"owned": [{"p": 1, "h": 2}]}


def test_far_more_sessions_than_the_1024_limit(matcher):
    for i in range(5000):
        found = run(matcher, [{"t": "person", "fid": 1, "id": f"P{i}", "ok": True},
                              {"t": "home", "fid": 2, "owner": f"P{i}", "first": True}])
        assert found == {"flag": [{"x": 1}], "owned": [{"p": 1, "h": 2}]}


def test_one_session_at_a_time(matcher):
    with matcher.session(), pytest.raises(MatcherError):
        matcher.session()
    with matcher.session():  # closed sessions free the slot, even after an error
        pass


def test_no_background_threads():
    before = threading.active_count()
    m = Matcher("test_threads", RULES, FIELDS)
    run(m, [{"t": "person", "fid": 1, "id": "P", "ok": True}])
    assert threading.active_count() == before


def test_an_action_error_is_raised_not_swallowed(matcher, monkeypatch):
    def boom(rule, message):
        raise ZeroDivisionError("inside an action")
    monkeypatch.setattr(matcher, "_on_match", boom)
    with pytest.raises(MatcherError) as info:
        run(matcher, [{"t": "person", "fid": 1, "id": "P", "ok": True}])
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    monkeypatch.undo()
    assert run(matcher, [{"t": "person", "fid": 1, "id": "P", "ok": True}]) == {"flag": [{"x": 1}]}


def test_entity_ids_do_not_reach_durable_as_id(matcher):
    encoded = matcher.encode_fact({"t": "person", "fid": 1, "id": "P", "ok": True})
    assert encoded["id"] == "#1" and encoded[ID] == "P"  # durable's message id is ours, from the fid


def test_message_ids_never_collide_in_durables_32_bit_hash():
    """durable-rules stores a message under fnv1Hash32 of its id, with no string
    compare: two ids of one case with the same hash would lose a fact (error 2)."""
    hashes = {fnv1a_32(message_id(fid)) for fid in range(MAX_FACTS + 1)}
    assert len(hashes) == MAX_FACTS + 1


def test_fnv1a_32_is_durables_hash():
    assert fnv1a_32("") == 0x811C9DC5 and fnv1a_32("a") == 0xE40C292C  # FNV-1a reference values


def _person(n: int) -> dict:
    return {"t": "person", "owner": f"p{n}", "path": f"persons[{n}]", "id": f"p{n}", "settled_in_district": False,
            "has_talent": False, "has_home_purchase": False, "is_executive": False, "has_apartment": False,
            "school_age_children": False, "fid": n + 1}


def test_two_facts_whose_content_ids_collide_are_both_kept(engine, monkeypatch):
    """Found in a 60,000-person case: durable's content-derived ids of these two person
    facts collide in 32 bits, and the second was refused as "already observed"."""
    import xisai.engine.matcher as matcher_module
    pair = [_person(49918), _person(54042)]
    with engine.compiled.matcher.session() as s:
        s.assert_facts(pair)  # with our ids: both stored
    monkeypatch.setattr(matcher_module, "message_id", lambda fid: None)  # durable's own ids
    with pytest.raises(MatcherError, match="code 2"), engine.compiled.matcher.session() as s:
        s.assert_facts(pair)


def test_a_fact_beyond_the_limit_is_refused(matcher):
    with pytest.raises(MatcherError, match="beyond"):
        matcher.encode_fact({"t": "person", "fid": MAX_FACTS + 1, "id": "P", "ok": True})


def test_a_session_on_which_nothing_fires(matcher):
    assert run(matcher, [{"t": "person", "fid": 1, "id": "P", "ok": False}]) == {}
    assert run(matcher) == {}  # no facts at all
    assert run(matcher, [{"t": "person", "fid": 1, "id": "P", "ok": True}]) == {"flag": [{"x": 1}]}


def test_a_rule_on_the_raw_id_field_is_refused():
    with pytest.raises(MatcherError, match="'id'"):
        Matcher("test_raw_id", {"bad": [{"p": {"t": "person"}}, {"h": {"$and": [{"t": "home"}, {"owner": {"p": "id"}}]}}]}, FIELDS)


def test_types_no_rule_reads_are_not_asserted(matcher):
    assert matcher.encode_fact({"t": "unknown", "fid": 1}) is None


@pytest.mark.parametrize("value,encoded", [
    (date(2021, 12, 25), 20211225), (Decimal("860000.01"), 86000001), (Decimal(7), 700), (True, True), ("民营", "民营"), (42, 42)])
def test_encode(value, encoded):
    assert encode(value) == encoded


@pytest.mark.parametrize("value", [0.1, Decimal("0.001"), 2**63, -(2**63), float("nan"), None, [1]])
def test_encode_refuses_what_durable_would_corrupt(value):
    with pytest.raises(MatcherError):
        encode(value)


def test_durable_and_the_condition_check_agree_on_thousands_of_cases(engine):
    """The engine raises EngineError when a durable match and the Python reading of the
    same conditions differ; before entity ids left the `id` field, about 1 generated
    case in 120 did."""
    from casegen import generate
    statuses = {"ok": 0, "invalid": 0}
    for seed in range(2500):
        statuses[engine.evaluate(generate(seed)).status] += 1
    assert statuses == {"ok": 2500, "invalid": 0}
