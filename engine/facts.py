"""A validated case as flat facts, the shape the rules match on.

Every entity, sub-object and list item of the case becomes one fact: a dict with
`t` (its type), `fid` (unique in the case), `owner` (the id of the person, enterprise
or agency it belongs to), `path` (where it sits in the case file) and its scalar
fields under their case-format names. Types are named after the case format:
`person`, `enterprise`, `agency`, `talent`, `home_purchase`, `loans`,
`incubator.years`, ... A list of ids (`founders`) gives one fact per id, in `value`.
Entity facts also carry `n_<list>` (how many items) and `has_<object>` (present or
not), so a rule can say "an enterprise with founders" without a join.

Values stay typed here (date, Decimal, bool, int, str); `matcher` encodes them for
durable-rules."""
from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from .case_model import Agency, Case, Enterprise, Money, Person

ENTITY_TYPES: dict[str, type[BaseModel]] = {"persons": Person, "enterprises": Enterprise, "agencies": Agency}
ENTITY_FACT = {"persons": "person", "enterprises": "enterprise", "agencies": "agency"}

# Scalar kinds, used to type-check rule conditions at load.
KIND_DATE, KIND_NUMBER, KIND_INT, KIND_BOOL, KIND_TEXT = "date", "number", "int", "bool", "text"
KIND_MONEY = "money"  # a number that is CNY (the case model's Money type)
BASE_KINDS = {"t": KIND_TEXT, "fid": KIND_INT, "owner": KIND_TEXT, "path": KIND_TEXT}  # on every fact


def sub_type(type_name: str, name: str) -> str:
    """A sub-object's fact type: its field name under an entity, dotted below that."""
    return name if type_name in ENTITY_FACT.values() else f"{type_name}.{name}"


def bare_type(annotation: Any) -> Any:
    """A field's type without Optional and Annotated."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation


def _is_money(annotation: Any, metadata: list | None = None) -> bool:
    # pydantic moves a top-level Annotated's metadata to the field; inside Optional it stays.
    money_meta = get_args(Money)[1:]
    if metadata and any(m in money_meta for m in metadata):
        return True
    if get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_money(a) for a in get_args(annotation))
    return annotation is Money


def _scalar_kind(annotation: Any, metadata: list | None = None) -> str | None:
    if _is_money(annotation, metadata):
        return KIND_MONEY
    bare = bare_type(annotation)
    if get_origin(bare) is typing.Literal:
        return KIND_TEXT
    return {date: KIND_DATE, Decimal: KIND_NUMBER, int: KIND_INT, bool: KIND_BOOL, str: KIND_TEXT}.get(bare)


@dataclass
class FactType:
    name: str
    fields: dict[str, str] = field(default_factory=dict)  # field name -> scalar kind


def _schema() -> dict[str, FactType]:
    out: dict[str, FactType] = {}

    def visit(model: type[BaseModel], type_name: str) -> None:
        ft = out.setdefault(type_name, FactType(type_name, dict(BASE_KINDS)))
        for name, info in model.model_fields.items():
            bare = bare_type(info.annotation)
            kind = _scalar_kind(info.annotation, info.metadata)
            if kind is not None:
                ft.fields[name] = kind
            elif isinstance(bare, type) and issubclass(bare, BaseModel):
                ft.fields[f"has_{name}"] = KIND_BOOL
                visit(bare, sub_type(type_name, name))
            elif get_origin(bare) is list:
                item = bare_type(get_args(bare)[0])
                ft.fields[f"n_{name}"] = KIND_INT
                sub = sub_type(type_name, name)
                if isinstance(item, type) and issubclass(item, BaseModel):
                    visit(item, sub)
                else:
                    out[sub] = FactType(sub, {**BASE_KINDS, "value": _scalar_kind(item) or KIND_TEXT})
            elif get_origin(bare) is dict:  # retained_tax: {"<year>": money}
                ft.fields[f"n_{name}"] = KIND_INT
                out[name] = FactType(name, {**BASE_KINDS, "year": KIND_INT, "amount": KIND_MONEY})

    for plural, model in ENTITY_TYPES.items():
        visit(model, ENTITY_FACT[plural])
    return out


FACT_SCHEMA: dict[str, FactType] = _schema()

# Derived field functions that rules/general.toml may name.
DERIVE_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def _derive(name: str):
    def register(fn):
        DERIVE_FUNCTIONS[name] = fn
        return fn
    return register


@_derive("age_on")
def age_on(birth: date | None, day: date | None) -> int | None:
    """Whole years of age reached on `day` (a 29 February birthday counts on 1 March)."""
    if birth is None or day is None:
        return None
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


@dataclass(frozen=True)
class Derived:
    fact_type: str
    field: str
    function: str
    args: tuple[str, ...]


def derived_kinds() -> dict[str, str]:
    return {"age_on": KIND_INT}


_SCALAR, _OBJECT, _MANY = 0, 1, 2
_PLANS: dict[tuple[type, str], list[tuple[str, int]]] = {}


def _plan(model: type[BaseModel], type_name: str) -> list[tuple[str, int]]:
    """How each field of a model becomes part of its fact: a scalar value, a
    sub-object (has_<name>) or a list or table (n_<name>); worked out once per model."""
    key = (model, type_name)
    if key not in _PLANS:
        fields = FACT_SCHEMA[type_name].fields
        _PLANS[key] = [(name, _OBJECT if f"has_{name}" in fields else _MANY if f"n_{name}" in fields else _SCALAR)
                       for name in model.model_fields]
    return _PLANS[key]


class FactBuilder:
    def __init__(self, derived: list[Derived]):
        self._derived: dict[str, list[Derived]] = {}
        for d in derived:
            self._derived.setdefault(d.fact_type, []).append(d)

    def build(self, case: Case) -> list[dict[str, Any]]:
        facts: list[dict[str, Any]] = []
        for plural in ENTITY_TYPES:
            for i, entity in enumerate(getattr(case, plural)):
                self._visit(entity, ENTITY_FACT[plural], entity.id, f"{plural}[{i}]", facts)
        return facts

    def _emit(self, facts: list, fact: dict[str, Any]) -> dict[str, Any]:
        fact["fid"] = len(facts) + 1
        for d in self._derived.get(fact["t"], ()):
            fact[d.field] = DERIVE_FUNCTIONS[d.function](*(fact.get(a) for a in d.args))
        facts.append(fact)
        return fact

    def _visit(self, model: BaseModel, type_name: str, owner: str, path: str, facts: list) -> None:
        fact: dict[str, Any] = {"t": type_name, "owner": owner, "path": path}
        children: list[tuple[BaseModel | list | dict, str, str]] = []
        data = model.__dict__  # the validated field values, without a getattr per field
        for name, kind in _plan(type(model), type_name):
            value = data[name]
            if kind == _SCALAR:
                fact[name] = value
            elif kind == _OBJECT:
                fact[f"has_{name}"] = value is not None
                if value is not None:
                    children.append((value, sub_type(type_name, name), f"{path}.{name}"))
            else:
                fact[f"n_{name}"] = len(value)
                children.append((value, sub_type(type_name, name), f"{path}.{name}"))
        self._emit(facts, fact)
        for value, child_type, sub_path in children:
            if isinstance(value, BaseModel):
                self._visit(value, child_type, owner, sub_path, facts)
            elif isinstance(value, dict):
                for year in sorted(value):
                    self._emit(facts, {"t": child_type, "owner": owner, "path": f"{sub_path}.{year}",
                                       "year": int(year), "amount": value[year]})
            else:
                for j, item in enumerate(value):
                    if isinstance(item, BaseModel):
                        self._visit(item, child_type, owner, f"{sub_path}[{j}]", facts)
                    else:
                        self._emit(facts, {"t": child_type, "owner": owner, "path": f"{sub_path}[{j}]", "value": item})
