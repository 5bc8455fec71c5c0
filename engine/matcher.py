"""The one place that touches durable-rules (see shared/durable-rules-notes.md).

What the wrapper guarantees, against the library's sharp edges:
- one live session at a time, under a constant sid, deleted when the evaluation
  ends (the 1024-session limit and the 32-bit sid hash cannot bite);
- every session starts with a sentinel fact that a sentinel rule takes, and its
  action is run at once: the C core initialises a state's action context only when
  an action starts on it, and `delete_state` frees that context, so a state on which
  nothing ever fired freed garbage and aborted the process (SENTINEL below);
- no background threads (the host's timer loop is never started); the matches are
  read from the C core and completed on the caller's thread, inside `assert_facts`;
- facts are asserted through the C layer directly, so a fact no rule takes is not an
  error and its siblings are never left for a background thread;
- values are encoded before they reach C: dates as YYYYMMDD integers, decimals as
  hundredths (exact, or refused), integers checked against 64 bits; no floats pass;
- an exception while recording a match, or an error code from C, is raised;
- results are returned sorted, never in firing order.

Measured here: a fact's `id` property is durable-rules' message identity. With the
case's own ids (P1, E1, ...) under that name, about 1 generated case in 120 lost
matches of a join on them, differently from run to run; the ids now travel as
`key_` (RENAMED). The engine also re-checks every candidate in Python
(conditions.py) and fails loudly if the two ever disagree.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import durable_rules_engine
from durable.engine import Host

SID = "0"
_INT_LIMIT = 2**62  # well inside durable's clamped int64

# createStateNode (src/rules/state.c) never sets a new state's `context.messages` and
# `context.stateFact`; they are assigned when an action starts and freed (and reset to
# NULL) when it completes or the state is deleted. A state on which no action ever
# started held heap garbage there, and delete_state freed it: `free(): invalid
# pointer`, SIGABRT, for any first case of a process that matched no rule. Starting
# one action on every state before anything else makes both fields valid pointers or
# NULL for the whole life of the state, whatever the slot held before.
SENTINEL = "session_"

# A fact without an `id` gets one from durable: a 64-bit hash of its content, written
# out and hashed again to 32 bits (fnv1Hash32) to store the message, with no string
# compare. Two facts of one case whose ids collide in 32 bits make the second one
# "already observed" (error 2); the chance grows as n^2/2^33 (about 42 % at 60,000
# facts; a 60,000-person case failed so). Every fact is therefore sent with an id of ours, `#<fid>`,
# whose 32-bit hashes are distinct for every fid up to MAX_FACTS (a test proves it:
# tests/test_matcher.py), so no two facts of a case can collide. No rule may read `id`.
MAX_FACTS = 100_000  # 7 s and 1 GB for one case at the limit (measured); a batch line, not a province


def fnv1a_32(text: str) -> int:
    """durable-rules' fnv1Hash32 (FNV-1a) of an ASCII string."""
    h = 0x811C9DC5
    for byte in text.encode("ascii"):
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def message_id(fid: int) -> str:
    return f"#{fid}"


# durable-rules takes a fact's `id` property as its message identity; case entities
# have an `id` of their own, so it travels under another name.
RENAMED = {"id": "key_"}


def durable_name(field: str) -> str:
    return RENAMED.get(field, field)


class MatcherError(RuntimeError):
    """The matching library misbehaved: never a fact of the case."""


def encode(value: Any) -> bool | int | str:
    """The durable-rules representation of one typed value (None is never passed)."""
    if isinstance(value, (bool, str)):
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


def _mentions_id(node: Any) -> bool:
    if isinstance(node, dict):
        return any(k == "id" or v == "id" or _mentions_id(v) for k, v in node.items())
    if isinstance(node, list):
        return any(_mentions_id(v) for v in node)
    return False


class _QuietHost(Host):
    """A host that never starts the 0.2 s dispatch timers (`_run` does nothing) and
    whose actions are never called: Session reads the matches from the C core."""

    def _run(self) -> None:
        return None

    def get_action(self, action_name: str):
        def action(c) -> None:
            raise MatcherError(f"durable-rules ran action {action_name} through the host")
        return action


class Matcher:
    """Compiled rules, ready to match one case at a time.

    `rules` maps a rule name to its durable-rules condition (the dict under "all"),
    `fields` maps each fact type to the fields the rules read (others are not sent).
    """

    def __init__(self, name: str, rules: Mapping[str, list[dict]], fields: Mapping[str, Iterable[str]]):
        for rule, patterns in rules.items():
            if _mentions_id(patterns):
                # Joining on durable's own `id` crashed the C core at delete_state (seen here).
                raise MatcherError(f"rule {rule} tests the field 'id'; use durable_name('id')")
        # Per fact type, the fields the rules read, with the names durable sees.
        self._fields = {t: tuple((name, durable_name(name)) for name in sorted(set(f) | {"t", "fid"}))
                        for t, f in fields.items()}
        if SENTINEL in rules or SENTINEL in fields:
            raise MatcherError(f"{SENTINEL!r} is the wrapper's own rule and fact type")
        self._host = _QuietHost()
        definition = {rule: {"all": patterns, "run": rule} for rule, patterns in rules.items()}
        definition[SENTINEL] = {"all": [{"s": {"t": SENTINEL}}], "run": SENTINEL}
        self._host.set_rulesets({name: definition})
        self._ruleset = self._host.get_ruleset(name)
        self._handle = self._ruleset._handle
        self._matches: dict[str, list[dict[str, int]]] | None = None
        self._action_errors: list[BaseException] = []

    def _on_match_safe(self, rule: str, message: dict) -> None:
        try:
            self._on_match(rule, message)
        except BaseException as exc:
            self._action_errors.append(exc)

    def _on_match(self, rule: str, message: dict) -> None:
        assert self._matches is not None
        if rule == SENTINEL:
            return
        self._matches.setdefault(rule, []).append({alias: fact["fid"] for alias, fact in message.items()})

    def session(self) -> Session:
        if self._matches is not None:
            raise MatcherError("a session is already open: one case at a time per matcher")
        return Session(self)

    def encode_fact(self, fact: dict[str, Any]) -> dict[str, Any] | None:
        fields = self._fields.get(fact["t"])
        if fields is None:
            return None  # no rule reads this type: it is not asserted
        if not 0 < fact["fid"] <= MAX_FACTS:
            raise MatcherError(f"fact number {fact['fid']} is beyond the {MAX_FACTS} facts a case may have")
        out: dict[str, Any] = {"sid": SID, "id": message_id(fact["fid"])}
        for name, sent_as in fields:
            value = fact.get(name)
            if value is not None:
                # Text and flags as they are (the commonest); everything else is checked.
                out[sent_as] = value if type(value) is str or type(value) is bool else encode(value)
        return out


class Session:
    """One evaluation: assert facts (in phases), read matches, always deleted at exit."""

    def __init__(self, matcher: Matcher):
        self._m = matcher

    def __enter__(self) -> Session:
        self._m._matches = {}
        self._m._action_errors = []
        try:
            # Creates the state and starts (and completes) the sentinel's action on it.
            self._assert([{"sid": SID, "id": message_id(0), "t": SENTINEL}])
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            durable_rules_engine.delete_state(self._m._handle, SID)
        finally:
            self._m._matches = None

    def assert_facts(self, facts: Iterable[dict[str, Any]]) -> None:
        payload = [f for f in (self._m.encode_fact(fact) for fact in facts) if f is not None]
        if payload:
            self._assert(payload)

    def _assert(self, payload: list[dict[str, Any]]) -> None:
        # Result code 1 means "some fact matched no rule": expected for near misses,
        # the handled facts are stored all the same and their actions run below.
        code, state_handle = durable_rules_engine.assert_facts(self._m._handle, json.dumps(payload, ensure_ascii=False))
        if code not in (0, 1):
            raise MatcherError(f"durable-rules refused the facts (code {code})")
        self._run_actions(state_handle)

    def _run_actions(self, state_handle: int) -> None:
        """Take every pending match straight from the C core, on this thread: no
        Closure, no state update after each action, nothing the host's loop could
        leave to a timer thread."""
        handle = self._m._handle
        pending = durable_rules_engine.start_action_for_state(handle, state_handle)
        while pending:
            for rule, message in json.loads(pending[1]).items():
                self._m._on_match_safe(rule, message)
            nxt = durable_rules_engine.complete_and_start_action(handle, state_handle)
            pending = (None, nxt) if nxt else None
        if self._m._action_errors:
            raise MatcherError("an action raised") from self._m._action_errors[0]

    def matches(self) -> dict[str, list[dict[str, int]]]:
        """Matches by rule, each an alias -> fid binding, in a stable order."""
        assert self._m._matches is not None
        return {rule: sorted(found, key=lambda b: sorted(b.items())) for rule, found in sorted(self._m._matches.items())}
