"""Formula kinds, by the name a rule file's [formula] kind gives."""
from __future__ import annotations

from ..facts import FactType
from ..rulebook import Program, RuleBook, RuleError, _schema_with
from . import awards, employment, enterprise, person  # noqa: F401  (registers the kinds)
from .base import FORMULAS, Context, FormulaKind

__all__ = ["FORMULAS", "Context", "FormulaKind", "validate_formula"]


def validate_formula(program: Program, book: RuleBook) -> None:
    """At load: the kind exists, and every value, text and parameter it reads is declared."""
    spec = program.formula
    kind_name = spec.get("kind")
    if kind_name not in FORMULAS:
        raise RuleError(program.file, "formula.kind", f"unknown formula kind {kind_name!r} (known: {', '.join(sorted(FORMULAS))})")
    kind = FORMULAS[kind_name]
    allowed = {"kind", *kind.values, *kind.optional_values, *kind.texts, *kind.param_keys}
    for key in sorted(set(spec) - allowed):
        raise RuleError(program.file, f"formula.{key}", f"is not a key of formula kind {kind_name!r}")
    schema = _schema_with(book.derived)
    for key in kind.values:
        ref = spec.get(key)
        if not isinstance(ref, str):
            raise RuleError(program.file, f"formula.{key}", "is required: the case value it reads, as alias.field")
        alias, _, field = ref.partition(".")
        if alias not in program.facts:
            raise RuleError(program.file, f"formula.{key}", f"names no alias of [facts]: {ref!r}")
        if field not in schema[program.facts[alias].type].fields:
            raise RuleError(program.file, f"formula.{key}", f"{program.facts[alias].type} has no field {field!r}")
    for key in kind.texts:
        text = spec.get(key)
        if not (isinstance(text, dict) and set(text) == {"zh", "en"} and all(isinstance(v, str) for v in text.values())):
            raise RuleError(program.file, f"formula.{key}", "must be a table with zh and en texts")
    for key in kind.param_keys:
        if spec.get(key) not in book.tables:
            raise RuleError(program.file, f"formula.{key}", f"names no parameter file of rules/parameters: {spec.get(key)!r}")
    for name in kind.params:
        try:
            book.parameter(program, name)
        except KeyError:
            raise RuleError(program.file, f"parameters.{name}", f"is required by formula kind {kind_name!r}") from None
    for read in kind.reads:  # the kind's own declaration: a wrong one is the code's fault, said all the same
        fact_type, _, field = read.rpartition(".")
        if field not in schema.get(fact_type, FactType(fact_type)).fields:
            raise RuleError(program.file, "formula.kind", f"formula kind {kind_name!r} reads {read!r}, which is no case field")
    for alias, fact_type in kind.aliases.items():
        if alias not in program.facts or program.facts[alias].type != fact_type:
            raise RuleError(program.file, f"facts.{alias}", f"formula kind {kind_name!r} needs alias {alias!r} of type {fact_type}")
