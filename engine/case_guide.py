"""The case format described from the models and the rule files, for people writing a
case: a JSON Schema (`xisai schema`), an example case and what each field takes
(`xisai template`). Labels come from the catalogs; bounds from the rule files; what
is read at all from the programs (questions.Relevance)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel

from .case_checks import Bound, shapes
from .case_model import YEAR_KEY, Case
from .facts import ENTITY_FACT, KIND_BOOL, KIND_DATE, KIND_INT, KIND_MONEY, KIND_NUMBER, sub_type
from .i18n import Messages
from .money import round_fen
from .questions import ENUM, ID, REF, REFS, Node, Relevance, form
from .rulebook import RuleBook

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class FieldGuide:
    """What one field of the case takes: `path` with [*] for list items."""
    path: str
    label: str                   # catalog id
    kind: str                    # date, money, number, int, bool, text, enum, ref, refs, id, list, object, table
    required: bool
    choices: tuple[str, ...] = ()
    choice_field: str = ""
    target: str | None = None    # ref(s): persons or enterprises
    bound: Bound | None = None
    read: bool = True            # does any current rule read it?


def _model_types() -> dict[type[BaseModel], str]:
    """Each model of the case and its fact type."""
    out: dict[type[BaseModel], str] = {}

    def visit(model: type[BaseModel], fact_type: str) -> None:
        out[model] = fact_type
        for name, shape in shapes(model).items():
            if shape.model is not None:
                visit(shape.model, sub_type(fact_type, name))

    for group, shape in shapes(Case).items():
        if shape.model is not None:
            visit(shape.model, ENTITY_FACT[group])
    return out


def _bound_at(bounds: list[Bound], path: str) -> Bound | None:
    return next((b for b in bounds if b.field == path), None)


def field_guide(book: RuleBook) -> list[FieldGuide]:
    """Every field of the case format, in order, with its label and constraints."""
    relevance = Relevance(book)
    out = [FieldGuide("case_id", "field.case.case_id", "text", True),
           FieldGuide("as_of", "field.case.as_of", KIND_DATE, False)]

    def visit(node: Node, path: str) -> None:
        for spec in node.fields:
            here = f"{path}.{spec.name}"
            read = spec.kind == ID or relevance.field_read(node, spec)
            out.append(FieldGuide(here, f"field.{node.type}.{spec.name}", spec.kind, spec.required, spec.choices,
                                  spec.name, spec.target, _bound_at(book.bounds, here), read))
        for child in node.children:
            here = f"{path}.{child.name}"
            kind = {"model": "object", "models": "list", "table": "table"}[child.shape]
            read = relevance.child_read(node, child)
            out.append(FieldGuide(here, f"field.{node.type}.{child.name}", kind, False, read=read))
            if child.shape == "table":
                continue
            visit(child.node, f"{here}[*]" if child.shape == "models" else here)

    for group, node in form().items():
        out.append(FieldGuide(group, f"field.case.{group}", "list", False))
        visit(node, f"{group}[*]")
    return out


# --- an example case ------------------------------------------------------------------

def example_case(book: RuleBook, msgs: Messages) -> dict[str, Any]:
    """A valid case with every field filled: one item in each list, each approved
    figure inside its bounds, every date inside the policy window and before as_of."""
    start, end = book.general["policy_window"].only.value
    day = date(start.year + 1, 3, 1) if date(start.year + 1, 3, 1) <= end else start
    ids = {group: f"{node.type[0].upper()}1" for group, node in form().items()}
    name = msgs.t("template.example_name")

    def value(kind: str, spec_name: str, path: str, choices: tuple[str, ...], target: str | None) -> Any:
        bound = _bound_at(book.bounds, path)
        if bound is not None:
            middle = (bound.low + bound.high) / 2
            return str(round_fen(middle)) if kind == KIND_MONEY else format(middle.normalize(), "f")
        if kind == ID:
            return ids[path.split("[", 1)[0]]
        if kind == REF:
            return ids[target or ""]
        if kind == REFS:
            return [ids[target or ""]]
        if kind == ENUM:
            return choices[0]
        if kind == KIND_DATE:
            return day.replace(year=day.year - 30).isoformat() if spec_name == "birth_date" else day.isoformat()
        if kind == KIND_MONEY:
            return "10000.00"
        if kind == KIND_NUMBER:
            return "300"
        if kind == KIND_INT:
            return day.year if spec_name == "year" else 12
        if kind == KIND_BOOL:
            return True
        return name

    def fill(node: Node, path: str) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for spec in node.fields:
            data[spec.name] = value(spec.kind, spec.name, f"{path}.{spec.name}", spec.choices, spec.target)
        for child in node.children:
            here = f"{path}.{child.name}"
            if child.shape == "model":
                data[child.name] = fill(child.node, here)
            elif child.shape == "models":
                data[child.name] = [fill(child.node, f"{here}[*]")]
            else:
                data[child.name] = {str(day.year): "10000.00"}
        return data

    case: dict[str, Any] = {"case_id": "example", "as_of": end.isoformat()}
    for group, node in form().items():
        case[group] = [fill(node, f"{group}[*]")]
    return case


# --- the JSON Schema ----------------------------------------------------------------------

def json_schema(book: RuleBook, msgs: Messages) -> dict[str, Any]:
    """The case models' JSON Schema, with titles in the user's language, the bounds of
    approved figures from the rule files and the year keys of yearly tables."""
    schema = Case.model_json_schema()
    names = {model.__name__: fact_type for model, fact_type in _model_types().items()}
    for model_name, definition in schema.get("$defs", {}).items():
        fact_type = names.get(model_name)
        if fact_type is None:
            continue
        definition["title"] = msgs.t(f"entity.{fact_type}") if msgs.has(f"entity.{fact_type}") else model_name
        for prop, sub in definition.get("properties", {}).items():
            key = f"field.{fact_type}.{prop}"
            if msgs.has(key):
                sub["title"] = msgs.t(key)
            if sub.get("type") == "object" and "additionalProperties" in sub and sub.get("default") == {}:
                sub["propertyNames"] = {"pattern": f"^{YEAR_KEY.pattern}$"}
    for prop, sub in schema.get("properties", {}).items():
        if msgs.has(f"field.case.{prop}"):
            sub["title"] = msgs.t(f"field.case.{prop}")
    for bound in book.bounds:
        target = _schema_property(schema, bound.field)
        if target is None:
            continue
        for branch in target.get("anyOf", [target]):
            if branch.get("type") == "number":
                branch.pop("minimum", None)
                branch["minimum" if bound.low_inclusive else "exclusiveMinimum"] = float(bound.low) if bound.low % 1 else int(bound.low)
                branch["maximum" if bound.high_inclusive else "exclusiveMaximum"] = float(bound.high) if bound.high % 1 else int(bound.high)
        target["description"] = msgs.t("schema.bound", range=bound.range_text, file=f"rules/{bound.rule_file}")
    schema["title"] = msgs.t("schema.title")
    schema["description"] = msgs.t("schema.description")
    return {"$schema": SCHEMA_DIALECT, **schema}


def _schema_property(schema: dict[str, Any], path: str) -> dict[str, Any] | None:
    node: dict[str, Any] = schema
    parts = path.split(".")
    for i, part in enumerate(parts):
        name = part.removesuffix("[*]")
        prop = node.get("properties", {}).get(name)
        if prop is None:
            return None
        if i == len(parts) - 1:
            return prop
        ref = _ref(prop)
        if ref is None:
            return None
        node = schema["$defs"][ref]
    return None


def _ref(prop: dict[str, Any]) -> str | None:
    for candidate in (prop, prop.get("items", {}), *prop.get("anyOf", [])):
        if isinstance(candidate, dict) and "$ref" in candidate:
            return candidate["$ref"].rsplit("/", 1)[-1]
    return None
