"""differing_details: which details of two decisions with the same money differ, each
named with its program."""
from __future__ import annotations

import copy
import json

from conftest import CASES

from xisai.engine.decision_details import differing_details

FULL = CASES / "16-full-application.json"


def decision(engine) -> dict:
    return json.loads(engine.evaluate(FULL.read_bytes()).to_json())


def test_the_same_decision_has_no_differing_details(engine):
    d = decision(engine)
    assert differing_details(d, copy.deepcopy(d)) == []


def test_a_parameter_a_step_and_an_unmet_reason_are_named_with_their_programs(engine):
    old = decision(engine)
    new = copy.deepcopy(old)
    line = new["payouts"][0]
    line["parts"][0]["parameters"][0]["value"] = "999"
    line["parts"][0]["steps"][-1]["label"] = "other"
    refusal = new["ineligible"][0]
    refusal["unmet"][0]["found"] = "something else"
    assert differing_details(old, new) == sorted(
        [{"part": "parameters", "program": line["program"]}, {"part": "steps", "program": line["program"]},
         {"part": "unmet", "program": refusal["program"]}], key=lambda d: (d["program"], d["part"]))


def test_a_refusal_that_appears_and_a_note_are_named(engine):
    old = decision(engine)
    new = copy.deepcopy(old)
    gone = new["ineligible"].pop()
    new["notes"].append({"program": "listing.award", "beneficiary": "E1", "item": "x", "check": "c", "values": {}})
    found = differing_details(old, new)
    assert {"part": "refusals", "program": gone["program"]} in found
    assert {"part": "notes", "program": "listing.award"} in found
