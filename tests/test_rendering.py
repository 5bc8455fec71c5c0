"""Decisions are language-neutral data; sentences are rendered from them.

`fixtures/rendered-v1.jsonl.gz` holds the decisions (with their sentences, in zh_CN
and en) that the engine gave for the worked cases and 60 generated ones before
decisions became data (made by fixtures/make_rendered_v1.py at commit 26049fb), and
`fixtures/rules-26049fb/` the rule files they were made under. Deciding the same
cases under those rules and rendering the data decision, read back from its JSON,
must give the same text: the rules of today may change their texts, those may not."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from xisai.engine.evaluate import Engine
from xisai.views.text import render_decision

GOLDEN = Path(__file__).parent / "fixtures" / "rendered-v1.jsonl.gz"
with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
    ROWS = [json.loads(line) for line in fh]


def test_the_golden_file_covers_refusals_notes_and_both_languages():
    assert {r["lang"] for r in ROWS} == {"zh_CN", "en"}
    assert sum(len(r["decision"]["payouts"]) for r in ROWS) > 500
    assert sum(len(r["decision"]["ineligible"]) for r in ROWS) > 500
    assert sum(len(r["decision"]["notes"]) for r in ROWS) > 50


@pytest.fixture(scope="module")
def old_rules() -> Engine:
    return Engine(Path(__file__).parent / "fixtures" / "rules-26049fb")


def _without_additions(rendered: dict) -> dict:
    """The rendered decision without what views gained after format 1 (issue 9): a
    maximum line's `approved` figures and a refusal's `because` sentences."""
    for line in rendered["payouts"]:
        line.pop("approved", None)
    for refusal in rendered["ineligible"]:
        for u in refusal["unmet"]:
            u.pop("because", None)
    return rendered


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['source']}-{r['lang']}" for r in ROWS])
def test_rendering_a_stored_decision_gives_the_text_of_format_1(old_rules, row):
    stored = json.loads(old_rules.evaluate(row["case"]).to_json())  # as a batch writes it and a reader reads it back
    rendered = _without_additions(render_decision(stored, old_rules.book, row["lang"]))
    want = dict(row["decision"])
    assert rendered.pop("format_version") == "2" and want.pop("format_version") == "1"
    assert rendered == want


@pytest.mark.parametrize("path", sorted((Path(__file__).parent.parent / "cases").glob("*.json")), ids=lambda p: p.stem)
def test_a_decision_is_the_same_bytes_in_every_language(engine, path):
    text = path.read_bytes()
    assert engine.evaluate(text, lang="zh_CN").to_json() == engine.evaluate(text, lang="en").to_json()
    assert engine.evaluate(text, lang="en").render()["lang"] == "en"  # the language is the view's


def test_a_decision_holds_no_sentence(engine):
    data = engine.evaluate((Path(__file__).parent.parent / "cases" / "16-full-application.json").read_bytes()).to_json()
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in data)  # no Chinese text: ids, codes, values and dates only
