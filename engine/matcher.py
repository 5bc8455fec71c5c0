"""The one place that touches durable-rules (see shared/durable-rules-notes.md).

What the wrapper guarantees, against the library's sharp edges:
- one live session at a time, under a constant sid, deleted when the evaluation
  ends (the 1024-session limit and the 32-bit sid hash cannot bite);
- no background threads (the host's timer loop is never started) and every action
  runs on the caller's thread, inside `assert_facts`;
- facts are asserted through the C layer directly, so a fact no rule takes is not an
  error and its siblings are never left for a background thread;
- values are encoded before they reach C: dates as YYYYMMDD integers, decimals as
  hundredths (exact, or refused), integers checked against 64 bits; no floats pass;
- an exception inside an action, or an error code from C, is raised to the caller;
- results are returned sorted, never in firing order.

Measured here, and guarded against in rulebook.py: a rule with a pattern joined to no
earlier pattern (a cross product) made matches of *other* rules go missing, depending
on timing, so every alias after the first must join. The engine also re-checks every
candidate in Python (conditions.py) and fails loudly if the two disagree.
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any, Iterable

import durable_rules_engine
from durable.engine import Host

SID = "0"
_INT_LIMIT = 2**62  # well inside durable's clamped int64


class MatcherError(RuntimeError):
    """The matching library misbehaved: never a fact of the case."""


def encode(value: Any) -> bool | int | str:
    """The durable-rules representation of one typed value (None is never passed)."""
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, int):
        if abs(value) >= _INT_LIMIT:
            raise MatcherError(f"integer {value} is outside the range durable-rules keeps exact")
        return value
    if isinstance(value, date):
        return value.year * 10000 + value.month * 100 + value.day
    if isinstance(value, Decimal):
        scaled = value * 100
        if scaled != scaled.to_integral_value():
            raise MatcherError(f"{value} has more than two decimal places and cannot be matched exactly")
        return encode(int(scaled))
    raise MatcherError(f"cannot pass a {type(value).__name__} to durable-rules")


class _QuietHost(Host):
    """A host that never starts the 0.2 s dispatch timers (`_run` does nothing)."""

    def __init__(self, collector: "Matcher"):
        self._collector = collector
        super().__init__()

    def _run(self) -> None:
        return None

    def get_action(self, action_name: str):
        collector = self._collector

        def action(c) -> None:
            try:
                collector._on_match(action_name, c._m)
            except BaseException as exc:  # durable would swallow it: keep it for the caller
                collector._action_errors.append(exc)
        return action


class Matcher:
    """Compiled rules, ready to match one case at a time.

    `rules` maps a rule name to its durable-rules condition (the dict under "all"),
    `fields` maps each fact type to the fields the rules read (others are not sent).
    """

    def __init__(self, name: str, rules: dict[str, list[dict]], fields: dict[str, Iterable[str]]):
        self._fields = {t: tuple(sorted(set(f) | {"t", "fid"})) for t, f in fields.items()}
        self._host = _QuietHost(self)
        definition = {rule: {"all": patterns, "run": rule} for rule, patterns in rules.items()}
        self._host.set_rulesets({name: definition})
        self._ruleset = self._host.get_ruleset(name)
        self._handle = self._ruleset._handle
        self._matches: dict[str, list[dict[str, int]]] | None = None
        self._action_errors: list[BaseException] = []

    def _on_match(self, rule: str, message: dict) -> None:
        assert self._matches is not None
        self._matches.setdefault(rule, []).append({alias: fact["fid"] for alias, fact in message.items()})

    def session(self) -> "Session":
        if self._matches is not None:
            raise MatcherError("a session is already open: one case at a time per matcher")
        return Session(self)

    def encode_fact(self, fact: dict[str, Any]) -> dict[str, Any] | None:
        fields = self._fields.get(fact["t"])
        if fields is None:
            return None  # no rule reads this type: it is not asserted
        out: dict[str, Any] = {"sid": SID}
        for name in fields:
            value = fact.get(name)
            if value is not None:
                out[name] = encode(value)
        return out


class Session:
    """One evaluation: assert facts (in phases), read matches, always deleted at exit."""

    def __init__(self, matcher: Matcher):
        self._m = matcher

    def __enter__(self) -> "Session":
        self._m._matches = {}
        self._m._action_errors = []
        self._state = False  # durable creates the state with the first fact
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self._state:
                durable_rules_engine.delete_state(self._m._handle, SID)
        finally:
            self._m._matches = None

    def assert_facts(self, facts: Iterable[dict[str, Any]]) -> None:
        payload = [f for f in (self._m.encode_fact(fact) for fact in facts) if f is not None]
        if not payload:
            return
        # Result code 1 means "some fact matched no rule": expected for near misses,
        # the handled facts are stored all the same and their actions run below.
        self._state = True
        code, state_handle = durable_rules_engine.assert_facts(self._m._handle, json.dumps(payload, ensure_ascii=False))
        if code not in (0, 1):
            raise MatcherError(f"durable-rules refused the facts (code {code})")
        failure: list[BaseException | None] = [None]

        def done(error, _state) -> None:
            failure[0] = error

        self._m._ruleset.do_actions(state_handle, done)
        # do_actions can stop before the queue is empty (seen after a batch with an
        # unhandled fact: the rest is left for the host's timer thread, which does not
        # run here). Drain what is pending on this thread.
        while failure[0] is None:
            pending = durable_rules_engine.start_action(self._m._handle)
            if not pending:
                break
            self._m._ruleset._flush_actions(json.loads(pending[0]), {"message": json.loads(pending[1])}, pending[2], done)
        if failure[0] is not None:
            raise MatcherError(f"durable-rules failed while running actions: {failure[0]!r}")
        if self._m._action_errors:
            raise MatcherError("an action raised") from self._m._action_errors[0]

    def matches(self) -> dict[str, list[dict[str, int]]]:
        """Matches by rule, each an alias -> fid binding, in a stable order."""
        assert self._m._matches is not None
        return {rule: sorted(found, key=lambda b: sorted(b.items())) for rule, found in sorted(self._m._matches.items())}
