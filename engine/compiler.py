"""Rule files -> durable-rules rulesets (the same JSON its Python DSL produces).

Each program becomes one rule: an `all` of one pattern per alias of its [facts],
each pattern testing the fact type, the joins to earlier aliases and the program's
conditions on that alias. A condition comparing two aliases (`ref`) is placed on the
later of the two, with the operator mirrored, since durable-rules can only refer
back to aliases already bound."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .matcher import Matcher, encode
from .matcher import durable_name as dn
from .rulebook import Condition, Program, RuleBook

_DURABLE_OP = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}
_MIRROR = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


def _compare(op: str, field: str, value: Any) -> dict[str, Any]:
    field = dn(field)
    if op == "eq":
        return {field: value}
    return {_DURABLE_OP[op]: {field: value}}


def _tests(cond: Condition) -> list[dict[str, Any]]:
    f = dn(cond.field)
    if cond.op == "exists":
        return [{"$ex": {f: 1}}]
    if cond.op == "in":
        return [{"$or": [{f: encode(v)} for v in cond.value]}]
    if cond.op in ("between", "within", "within_years"):
        low, high = cond.value
        return [{"$gte": {f: encode(low)}}, {"$lte": {f: encode(high)}}]
    return [_compare(cond.op, f, encode(cond.value))]


@dataclass(frozen=True)
class CompiledRule:
    name: str            # durable rule name
    program: Program
    patterns: list[dict[str, Any]]


def compile_program(program: Program, name: str) -> tuple[CompiledRule, dict[str, set[str]]]:
    order = list(program.facts)
    tests: dict[str, list[dict[str, Any]]] = {a: [{"t": program.facts[a].type}] for a in order}
    fields: dict[str, set[str]] = {}

    def use(alias: str, field: str) -> None:
        fields.setdefault(program.facts[alias].type, set()).add(field)

    for alias in order:
        for own, other, other_field in program.facts[alias].joins:
            tests[alias].append({dn(own): {other: dn(other_field)}})
            use(alias, own)
            use(other, other_field)
    for cond in program.conditions:
        use(cond.alias, cond.field)
        if cond.ref is None:
            tests[cond.alias].extend(_tests(cond))
            continue
        ref_alias, ref_field = cond.ref
        use(ref_alias, ref_field)
        if order.index(ref_alias) < order.index(cond.alias):
            tests[cond.alias].append(_ref_test(cond.op, cond.field, ref_alias, ref_field))
        else:
            tests[ref_alias].append(_ref_test(_MIRROR[cond.op], ref_field, cond.alias, cond.field))
    patterns = [{a: (tests[a][0] if len(tests[a]) == 1 else {"$and": tests[a]})} for a in order]
    return CompiledRule(name, program, patterns), fields


def _ref_test(op: str, field: str, alias: str, other_field: str) -> dict[str, Any]:
    return _compare(op, field, {alias: dn(other_field)})


@dataclass
class CompiledBook:
    rules: dict[str, CompiledRule]          # durable name -> rule
    by_program: dict[str, CompiledRule]     # program id -> rule
    matcher: Matcher


def compile_rulebook(book: RuleBook) -> CompiledBook:
    rules: dict[str, CompiledRule] = {}
    fields: dict[str, set[str]] = {}
    programs = list(book.definitions.values()) + book.programs
    for i, program in enumerate(programs):
        rule, used = compile_program(program, f"r{i:02d}")
        rules[rule.name] = rule
        for t, fs in used.items():
            fields.setdefault(t, set()).update(fs)
    # The ruleset's name carries the rules version: a host per version, no clashes.
    matcher = Matcher(f"xisai_{book.version.split(':')[-1][:16]}",
                      {name: r.patterns for name, r in rules.items()}, fields)
    return CompiledBook(rules, {r.program.id: r for r in rules.values()}, matcher)
