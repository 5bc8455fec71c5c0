"""What `xisai ask` asks, derived from the rule files and the case model.

The form is the case model's tree (entities, their sub-objects and lists). What the
rules read decides which parts of it are asked at all: every fact type a program
matches, and every field its conditions, joins, trigger, formula values, approved
bounds and its formula kind's declared reads name (an enterprise's talent-enterprise
fact stands for the definition's own facts and conditions). A field the case model
requires is asked whenever its object is, since the case would not load without it.

Which of those can still matter is decided as the answers come in, generically: a
question is skipped when every program that reads it is ruled out by answers already
given, i.e. a condition on a known value fails, or a fact the program joins is known
to be absent (a person who said no talent recognition is asked no home-purchase
questions; an enterprise not registered in the district is asked nothing the
registration-bound programs read)."""
from __future__ import annotations

import typing
from dataclasses import dataclass, field, replace
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from .case_checks import bare_type, lenient, shapes
from .case_model import Case
from .conditions import test
from .facts import BASE_KINDS, DERIVE_FUNCTIONS, ENTITY_FACT, FACT_SCHEMA, sub_type
from .rulebook import DERIVED_TYPES, Condition, FactPattern, Program, RuleBook

# References between entities (case format: "founders", "employer"): the answer is an id
# of the group named here, chosen from those entered.
REFERENCE_TARGET = {("person", "employer"): "enterprises", ("enterprise", "founders"): "persons"}

ENTITY_TYPES = set(ENTITY_FACT.values())

# Value kinds of questions (how an answer is read): the fact kinds, plus these.
ENUM, REF, REFS, ID = "enum", "ref", "refs", "id"


# --- the form: the case model as a tree of nodes --------------------------------------

@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str                       # date, money, number, int, bool, text, enum, ref, refs, id
    required: bool
    default: Any = None
    choices: tuple[str, ...] = ()   # an enumeration's codes
    target: str | None = None       # ref(s): the entity group whose ids it names


@dataclass(frozen=True)
class Child:
    name: str
    shape: str                      # "model" (optional sub-object), "models" (list), "table" ({year: money})
    node: Node


@dataclass(frozen=True)
class Node:
    type: str                       # its fact type: person, talent, incubator.years, retained_tax, ...
    fields: tuple[FieldSpec, ...]
    children: tuple[Child, ...]

    def subtree_types(self) -> set[str]:
        out = {self.type}
        for child in self.children:
            out |= child.node.subtree_types()
        for f in self.fields:
            if f.kind == REFS:
                out.add(sub_type(self.type, f.name))
        return out


def _scalar_kind(fact_type: str, name: str, annotation: Any) -> tuple[str, tuple[str, ...]]:
    bare = bare_type(annotation)
    if get_origin(bare) is typing.Literal:
        return ENUM, tuple(get_args(bare))
    return FACT_SCHEMA[fact_type].fields[name], ()


def _node(model: type[BaseModel], fact_type: str) -> Node:
    fields: list[FieldSpec] = []
    children: list[Child] = []
    for name, shape in shapes(model).items():
        info = model.model_fields[name]
        required = info.is_required()
        if (fact_type, name) in REFERENCE_TARGET:
            kind = REFS if shape.kind == "scalars" else REF
            fields.append(FieldSpec(name, kind, required, [] if kind == REFS else None, target=REFERENCE_TARGET[(fact_type, name)]))
        elif name == "id" and fact_type in ENTITY_FACT.values():
            fields.append(FieldSpec(name, ID, True))
        elif shape.kind == "scalar":
            kind, choices = _scalar_kind(fact_type, name, info.annotation)
            fields.append(FieldSpec(name, kind, required, None if required else info.default, choices))
        elif shape.kind in ("model", "models"):
            assert shape.model is not None
            children.append(Child(name, shape.kind, _node(shape.model, sub_type(fact_type, name))))
        elif shape.kind == "table":
            sub = sub_type(fact_type, name)
            # {"<year>": money}: its facts' fields (year, amount), asked as one item each
            specs = tuple(FieldSpec(n, k, True) for n, k in FACT_SCHEMA[sub].fields.items() if n not in BASE_KINDS)
            table = Node(sub, specs, ())
            children.append(Child(name, "table", table))
    return Node(fact_type, tuple(fields), tuple(children))


def form() -> dict[str, Node]:
    """The entity groups of the case (persons, enterprises, agencies) as nodes."""
    out = {}
    for group, shape in shapes(Case).items():
        if shape.kind == "models" and group in ENTITY_FACT:
            assert shape.model is not None
            out[group] = _node(shape.model, ENTITY_FACT[group])
    return out


# --- what the rules read -------------------------------------------------------------

OPTIONAL = "?"   # marks an alias the formula looks up itself: its absence rules nothing out


@dataclass
class ReadingProgram:
    """A program as far as the questions go: its facts (with the talent-enterprise
    definition inlined), its conditions, and every (alias, field) it reads."""
    id: str
    facts: dict[str, FactPattern]
    conditions: list[Condition]
    reads: set[tuple[str, str]] = field(default_factory=set)
    optional: set[str] = field(default_factory=set)

    def aliases_of(self, fact_type: str) -> list[str]:
        return [a for a, p in self.facts.items() if p.type == fact_type]


def _inline_definition(program: Program, definition: Program) -> ReadingProgram:
    facts = dict(program.facts)
    conditions = list(program.conditions)
    for alias, pattern in program.facts.items():
        if pattern.type not in DERIVED_TYPES:
            continue
        hosts = [other for own, other, of in pattern.joins if own == "owner" and of == "id"]
        if not hosts or program.facts[hosts[0]].type != definition.facts[definition.candidate].type:
            continue  # a derived fact joined otherwise stays an unknown
        host = hosts[0]
        del facts[alias]
        conditions = [c for c in conditions if c.alias != alias and not (c.ref and c.ref[0] == alias)]
        rename = {a: host if a == definition.candidate else f"{alias}.{a}" for a in definition.facts}
        for a, p in definition.facts.items():
            if a != definition.candidate:
                facts[rename[a]] = FactPattern(rename[a], p.type, tuple((own, rename[o], of) for own, o, of in p.joins), p.text)
        for c in definition.conditions:
            ref = (rename[c.ref[0]], c.ref[1]) if c.ref else None
            conditions.append(replace(c, id=f"{alias}.{c.id}", alias=rename[c.alias], ref=ref))
    return ReadingProgram(program.id, facts, conditions)


def reading_programs(book: RuleBook) -> list[ReadingProgram]:
    from .formulas import FORMULAS  # late: formulas import rulebook
    derived = {(d.fact_type, d.field): d.args for d in book.derived}
    definition = book.definitions["talent_enterprise"]
    out = []
    for program in book.programs:
        rp = _inline_definition(program, definition)
        reads = rp.reads
        for alias, pattern in rp.facts.items():
            for own, other, of in pattern.joins:
                reads |= {(alias, own), (other, of)}
        for c in rp.conditions:
            reads.add((c.alias, c.field))
            if c.ref:
                reads.add(c.ref)
        refs = [program.trigger] if program.trigger else []
        kind = FORMULAS[program.formula["kind"]]
        refs += [program.formula[k] for k in (*kind.values, *kind.optional_values) if isinstance(program.formula.get(k), str)]
        for ref in refs:
            alias, _, name = ref.partition(".")
            if alias in rp.facts:
                reads.add((alias, name))
        for read in kind.reads:
            fact_type, _, name = read.rpartition(".")
            aliases = rp.aliases_of(fact_type)
            if not aliases:  # looked up among the beneficiary's items
                alias = f"{OPTIONAL}{fact_type}"
                rp.facts[alias] = FactPattern(alias, fact_type, (("owner", program.beneficiary, "id"),), None)
                rp.optional.add(alias)
                aliases = [alias]
            reads |= {(a, name) for a in aliases}
        for alias, name in list(reads):  # a derived field reads its arguments
            fact_type = rp.facts[alias].type if alias in rp.facts else ""
            reads |= {(alias, arg) for arg in derived.get((fact_type, name), ())}
        rp.reads = {(a, n) for a, n in reads if a in rp.facts}
        out.append(rp)
    return out


# --- answers so far, as facts ----------------------------------------------------------

class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
MISSING: Any = "MISSING"


@dataclass
class View:
    """The answers given so far as flat facts. A field is in a fact only once it is
    answered (a blank answer is a known None); a list or sub-object is `complete` for
    its owner once its questions are done."""
    facts: list[dict[str, Any]]
    complete: set[tuple[str, str]]      # (fact type, owner id)
    entities_complete: bool
    owner_type: dict[str, str] = field(default_factory=dict)   # a sub-fact type -> the entity type owning it

    def of(self, fact_type: str) -> list[dict[str, Any]]:
        return [f for f in self.facts if f["t"] == fact_type]

    def all_known(self, fact_type: str) -> bool:
        """Every fact of this type is known: each entity that could own one has said."""
        if not self.entities_complete:
            return False
        if fact_type in ENTITY_TYPES:
            return True
        owner = self.owner_type.get(fact_type)
        return owner is not None and all((fact_type, f["id"]) in self.complete for f in self.of(owner))


def build_view(case: dict, answered: set[str], done: set[str], forms: dict[str, Node], book: RuleBook,
               entities_complete: bool) -> View:
    tree, _ = lenient(case)
    derived = {(d.fact_type, d.field): d for d in book.derived}
    facts: list[dict[str, Any]] = []
    complete: set[tuple[str, str]] = set()

    def visit(node: Node, data: dict, path: str, owner: str) -> None:
        fact: dict[str, Any] = {"t": node.type, "owner": owner, "path": path}
        for f in node.fields:
            here = f"{path}.{f.name}"
            if f.kind == ID:
                fact["id"] = data.get("id")
            elif f.kind == REFS:
                if here in answered:
                    values = data.get(f.name) or []
                    fact[f"n_{f.name}"] = len(values)
                    sub = sub_type(node.type, f.name)
                    complete.add((sub, owner))
                    facts.extend({"t": sub, "owner": owner, "path": f"{here}[{j}]", "value": v} for j, v in enumerate(values))
            elif here in answered:
                fact[f.name] = data.get(f.name, f.default)
        for (fact_type, name), d in derived.items():
            if fact_type == node.type and all(a in fact for a in d.args):
                fact[name] = DERIVE_FUNCTIONS[d.function](*(fact[a] for a in d.args))
        facts.append(fact)
        for child in node.children:
            here = f"{path}.{child.name}"
            value = data.get(child.name)
            if here in done:
                complete.add((child.node.type, owner))
                if child.shape == "model":
                    fact[f"has_{child.name}"] = value is not None
                else:
                    fact[f"n_{child.name}"] = len(value or [])
            if child.shape == "model" and isinstance(value, dict):
                visit(child.node, value, here, owner)
            elif child.shape == "models":
                for j, item in enumerate(value or []):
                    visit(child.node, item, f"{here}[{j}]", owner)
            elif child.shape == "table":
                for key, amount in (value or {}).items():
                    facts.append({"t": child.node.type, "owner": owner, "path": f"{here}.{key}", "year": int(key), "amount": amount})

    for group, node in forms.items():
        for i, entity in enumerate(tree.get(group) or []):
            if isinstance(entity.get("id"), str):
                visit(node, entity, f"{group}[{i}]", entity["id"])
    owner_type = {t: node.type for node in forms.values() for t in node.subtree_types()}
    return View(facts, complete, entities_complete, owner_type)


# --- can a program still matter? ---------------------------------------------------------

def _link(rp: ReadingProgram, alias: str, binding: dict[str, Any]) -> tuple[str, Any] | None:
    """(field of `alias`, the value it must have) from a join to a bound alias; UNKNOWN
    when the join's value is not known; None when no bound alias joins it."""
    for own, other, of in rp.facts[alias].joins:
        if other in binding:
            fact = binding[other]
            if not isinstance(fact, dict) or of not in fact:
                return own, UNKNOWN
            return own, fact[of]
    for other, pattern in rp.facts.items():
        if other not in binding:
            continue
        for own, target, of in pattern.joins:
            if target == alias:
                fact = binding[other]
                if not isinstance(fact, dict) or own not in fact:
                    return of, UNKNOWN
                return of, fact[own]
    return None


def _bindings(rp: ReadingProgram, binding: dict[str, Any], view: View) -> list[dict[str, Any]]:
    for alias, pattern in rp.facts.items():
        if alias in binding:
            continue
        link = _link(rp, alias, binding)
        if link is None:
            continue
        name, value = link
        if value is UNKNOWN:
            return _bindings(rp, {**binding, alias: UNKNOWN}, view)
        pool = view.of(pattern.type)
        found: list[Any] = [f for f in pool if f.get(name, UNKNOWN) == value]
        if any(name not in f for f in pool):
            found.append(UNKNOWN)  # a fact whose join field is not answered yet may join
        if found:
            return [b for f in found for b in _bindings(rp, {**binding, alias: f}, view)]
        known_absent = view.all_known(pattern.type) or (name == "owner" and (pattern.type, value) in view.complete)
        absent = MISSING if known_absent and alias not in rp.optional else UNKNOWN
        return _bindings(rp, {**binding, alias: absent}, view)
    return [{**{a: UNKNOWN for a in rp.facts if a not in binding}, **binding}]


def _ruled_out(rp: ReadingProgram, binding: dict[str, Any]) -> bool:
    if any(v is MISSING for v in binding.values()):
        return True
    for c in rp.conditions:
        fact = binding.get(c.alias)
        if not isinstance(fact, dict) or c.field not in fact:
            continue
        expected = c.value
        if c.ref:
            other = binding.get(c.ref[0])
            if not isinstance(other, dict) or c.ref[1] not in other:
                continue
            expected = other[c.ref[1]]
        if not test(c, fact[c.field], expected):
            return True
    return False


def can_matter(rp: ReadingProgram, alias: str, fact: dict[str, Any], view: View) -> bool:
    return any(not _ruled_out(rp, b) for b in _bindings(rp, {alias: fact}, view))


class Relevance:
    """Which questions the rules need, given the answers so far."""

    def __init__(self, book: RuleBook):
        self.programs = reading_programs(book)
        self.read_types = {p.type for rp in self.programs for p in rp.facts.values()}
        self.read_fields = {(rp.facts[a].type, n) for rp in self.programs for a, n in rp.reads}
        self.condition_fields = {(rp.facts[c.alias].type, c.field) for rp in self.programs for c in rp.conditions}

    # static: could any answers make it matter?
    def node_read(self, node: Node) -> bool:
        return bool(node.subtree_types() & self.read_types)

    def child_read(self, parent: Node, child: Child) -> bool:
        flag = f"has_{child.name}" if child.shape == "model" else f"n_{child.name}"
        return self.node_read(child.node) or (parent.type, flag) in self.read_fields

    def field_read(self, node: Node, spec: FieldSpec) -> bool:
        if spec.kind == REFS:
            return sub_type(node.type, spec.name) in self.read_types or (node.type, f"n_{spec.name}") in self.read_fields
        return (node.type, spec.name) in self.read_fields

    def ordered(self, node: Node) -> list[FieldSpec]:
        """The case model's order, except that optional fields no condition reads come
        last: the answers to the others can make them moot."""
        first = [f for f in node.fields if f.required or (node.type, f.name) in self.condition_fields]
        return first + [f for f in node.fields if f not in first]

    # dynamic: given the answers, can it still matter?
    def field_matters(self, node: Node, spec: FieldSpec, fact: dict[str, Any], view: View) -> bool:
        names = {spec.name} if spec.kind != REFS else {f"n_{spec.name}"}
        partial = {k: v for k, v in fact.items() if k not in names}
        for rp in self.programs:
            for alias in rp.aliases_of(node.type):
                if any((alias, n) in rp.reads for n in names) and can_matter(rp, alias, partial, view):
                    return True
            if spec.kind == REFS:
                sub = sub_type(node.type, spec.name)
                for alias in rp.aliases_of(sub):
                    if can_matter(rp, alias, {"t": sub, "owner": fact["owner"]}, view):
                        return True
        return False

    def child_matters(self, parent: Node, child: Child, fact: dict[str, Any], view: View) -> bool:
        flag = f"has_{child.name}" if child.shape == "model" else f"n_{child.name}"
        partial = {k: v for k, v in fact.items() if k != flag}
        types = child.node.subtree_types()
        for rp in self.programs:
            for alias in rp.aliases_of(parent.type):
                if (alias, flag) in rp.reads and can_matter(rp, alias, partial, view):
                    return True
            for alias, pattern in rp.facts.items():
                if pattern.type in types and can_matter(rp, alias, {"t": pattern.type, "owner": fact["owner"]}, view):
                    return True
        return False
