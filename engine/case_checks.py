"""Checks a case needs beyond its types: ids, references, dates against `as_of`,
and approved figures inside the bounds the rules declare.

`check_case` runs them all in one pass with pydantic's type checks: when types fail,
the other checks still run on every value that has the right type (a value of the
wrong type already has its error), so an applicant sees every error at once."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from .case_model import YEAR_KEY, Case
from .facts import bare_type


@dataclass(frozen=True)
class CaseError:
    """`code` names the catalog sentence (error.<code>) and `params` fills it;
    `fallback` is pydantic's own English text for codes the catalog lacks."""
    path: str
    code: str
    params: dict[str, str] = field(default_factory=dict)
    fallback: str = ""


def loc_to_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


_QUOTED = re.compile(r"'([^']*)'")


def pydantic_errors(exc: ValidationError) -> list[CaseError]:
    errors = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        if loc and loc[-1] == "[key]":  # a dict key of the wrong type: the path names the key
            loc = loc[:-2] + (str(loc[-2]),)
        code = err["type"].removeprefix("xisai_")
        ctx = err.get("ctx") or {}
        params = {k: str(v) for k, v in ctx.items()}
        if code == "literal_error":
            # The allowed codes, without pydantic's English glue ("'a', 'b' or 'c'"); the views
            # show each with its label (i18n.error_message), from the field's enum.<field>.<code>.
            choices = _QUOTED.findall(params.get("expected", ""))
            names = [p for p in loc if isinstance(p, str)]
            params = {"expected": ", ".join(choices), "choices": ",".join(choices), "field": names[-1] if names else ""}
        errors.append(CaseError(loc_to_path(loc) or "(case)", code, params, err["msg"]))
    return errors


# --- the case's shape, read from the models --------------------------------------------

@dataclass(frozen=True)
class Shape:
    """How a model field is read: a sub-model, a list of them, a list of scalars, a
    {year: money} table, or a scalar; `adapter` validates one scalar value."""
    kind: str                      # "model" | "models" | "scalars" | "table" | "scalar"
    model: type[BaseModel] | None = None
    adapter: TypeAdapter | None = None


@cache
def shapes(model: type[BaseModel]) -> dict[str, Shape]:
    out = {}
    for name, info in model.model_fields.items():
        bare = bare_type(info.annotation)
        if isinstance(bare, type) and issubclass(bare, BaseModel):
            out[name] = Shape("model", bare)
        elif get_origin(bare) is list:
            item = get_args(bare)[0]
            inner = bare_type(item)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                out[name] = Shape("models", inner)
            else:
                out[name] = Shape("scalars", adapter=TypeAdapter(item))
        elif get_origin(bare) is dict:
            out[name] = Shape("table", adapter=TypeAdapter(get_args(bare)[1]))
        else:
            # pydantic moves a field's top-level Annotated metadata to the field: put it back.
            annotated: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
            out[name] = Shape("scalar", adapter=TypeAdapter(annotated))
    return out


def _get(node: Any, name: str) -> Any:
    return node.get(name) if isinstance(node, dict) else getattr(node, name, None)


def lenient(data: Any, model: type[BaseModel] = Case, path: str = "", bad: set[str] | None = None) -> tuple[dict, set[str]]:
    """The values of `data` that have their field's type, typed, in the case's shape
    (list items keep their index); `bad` collects the paths of the values left out."""
    bad = set() if bad is None else bad
    out: dict[str, Any] = {}
    if not isinstance(data, dict):
        bad.add(path or "(case)")
        return out, bad
    for name, shape in shapes(model).items():
        if name not in data:
            continue
        value, here = data[name], f"{path}.{name}" if path else name
        if shape.kind == "model":
            if value is not None:
                out[name] = lenient(value, shape.model, here, bad)[0]  # type: ignore[arg-type]
        elif shape.kind in ("models", "scalars"):
            if not isinstance(value, list):
                bad.add(here)
                continue
            items = []
            for i, item in enumerate(value):
                if shape.kind == "models":
                    items.append(lenient(item, shape.model, f"{here}[{i}]", bad)[0])  # type: ignore[arg-type]
                else:
                    items.append(_typed(shape.adapter, item, f"{here}[{i}]", bad))
            out[name] = items
        elif shape.kind == "table":
            if not isinstance(value, dict):
                bad.add(here)
                continue
            table = {}
            for key, amount in value.items():
                typed = _typed(shape.adapter, amount, f"{here}.{key}", bad)
                if isinstance(key, str) and YEAR_KEY.fullmatch(key) and typed is not None:
                    table[key] = typed
                else:
                    bad.add(f"{here}.{key}")
            out[name] = table
        else:
            typed = _typed(shape.adapter, value, here, bad)
            if typed is not None or value is None:
                out[name] = typed
    return out, bad


def _typed(adapter: TypeAdapter | None, value: Any, path: str, bad: set[str]) -> Any:
    assert adapter is not None
    try:
        return adapter.validate_python(value)
    except ValidationError:
        bad.add(path)
        return None


@cache
def _dated_fields(model: type[BaseModel]) -> list[tuple[str, Shape]]:
    """The fields of a model that hold (or lead to) a date or a year; as_of excepted."""
    out = []
    for name, shape in shapes(model).items():
        if shape.kind in ("model", "models"):
            if _dated_fields(shape.model):  # type: ignore[arg-type]
                out.append((name, shape))
        elif shape.kind == "table" or name == "year" or (
                name != "as_of" and bare_type(model.model_fields[name].annotation) is date):
            out.append((name, shape))
    return out


def _dated(node: Any, model: type[BaseModel] = Case, path: str = "") -> Iterator[tuple[str, str, object]]:
    """The values a date check reads, with their paths: dates, years and the year
    keys of a {year: money} table (the hot path of every valid case reads no more)."""
    for name, shape in _dated_fields(model):
        value = _get(node, name)
        if value is None:
            continue
        here = f"{path}.{name}" if path else name
        if shape.kind == "model":
            yield from _dated(value, shape.model, here)  # type: ignore[arg-type]
        elif shape.kind == "models":
            for i, item in enumerate(value):
                yield from _dated(item, shape.model, f"{here}[{i}]")  # type: ignore[arg-type]
        elif shape.kind == "table":
            for key, amount in value.items():
                yield here, key, amount
        elif shape.kind == "scalar":
            yield here, name, value


# --- the checks --------------------------------------------------------------------

def structural_checks(case: Any, as_of: date | None, bad: frozenset[str] | set[str] = frozenset()) -> list[CaseError]:
    """Ids, references, the space trio, repeated years, and (when `as_of` is known)
    dates and years after it. `case` is a Case or the lenient tree; a check whose
    input had the wrong type (a path in `bad`) is left to that value's own error."""
    errors: list[CaseError] = []
    seen: dict[str, str] = {}
    ids: dict[str, set[str]] = {}
    for kind in ("persons", "enterprises", "agencies"):
        ids[kind] = set()
        for i, entity in enumerate(_get(case, kind) or []):
            entity_id = _get(entity, "id")
            if not isinstance(entity_id, str) or not entity_id:
                continue
            ids[kind].add(entity_id)
            path = f"{kind}[{i}].id"
            if entity_id in seen:
                errors.append(CaseError(path, "id_duplicate", {"id": entity_id, "first": seen[entity_id]}))
            else:
                seen[entity_id] = path
    for i, person in enumerate(_get(case, "persons") or []):
        employer = _get(person, "employer")
        if isinstance(employer, str) and employer not in ids["enterprises"]:
            errors.append(CaseError(f"persons[{i}].employer", "no_enterprise", {"id": employer}))
    for i, ent in enumerate(_get(case, "enterprises") or []):
        founders = [f for f in (_get(ent, "founders") or []) if isinstance(f, str)]
        for j, founder in enumerate(_get(ent, "founders") or []):
            if isinstance(founder, str) and founder not in ids["persons"]:
                errors.append(CaseError(f"enterprises[{i}].founders[{j}]", "no_person", {"id": founder}))
        if len(set(founders)) != len(founders):
            errors.append(CaseError(f"enterprises[{i}].founders", "founder_twice"))
        space = _get(ent, "space")
        trio_paths = [f"enterprises[{i}].space.{n}" for n in ("rented_area_m2", "monthly_rent_per_m2", "lease_start")]
        if space is not None and not bad.intersection(trio_paths):
            trio = [_get(space, n) for n in ("rented_area_m2", "monthly_rent_per_m2", "lease_start")]
            if any(v is None for v in trio) and any(v is not None for v in trio):
                errors.append(CaseError(f"enterprises[{i}].space", "space_trio"))
        incubator = _get(ent, "incubator")
        if incubator is not None:
            years = [_get(y, "year") for y in (_get(incubator, "years") or [])]
            for j, year in enumerate(years):
                if isinstance(year, int) and year in years[:j]:
                    errors.append(CaseError(f"enterprises[{i}].incubator.years[{j}].year", "year_twice", {"year": str(year)}))
    if as_of is None:
        return errors
    for path, name, value in _dated(case):
        if isinstance(value, date) and value > as_of:
            errors.append(CaseError(path, "after_as_of", {"value": value.isoformat(), "as_of": as_of.isoformat()}))
        elif name == "year" and isinstance(value, int) and value > as_of.year:
            errors.append(CaseError(path, "year_after_as_of", {"year": str(value), "as_of": as_of.isoformat()}))
        elif path.endswith(".retained_tax") and int(name) > as_of.year:
            errors.append(CaseError(f"{path}.{name}", "year_after_as_of", {"year": name, "as_of": as_of.isoformat()}))
    return errors


@dataclass(frozen=True)
class Bound:
    """An approved figure's range, from a rule file: `field` is a path pattern with
    `[*]` for any list index, e.g. "persons[*].talent.approved_monthly_allowance"."""
    field: str
    low: Decimal
    low_inclusive: bool
    high: Decimal
    high_inclusive: bool
    rule_file: str

    def contains(self, value: Decimal) -> bool:
        too_low = value < self.low or (value == self.low and not self.low_inclusive)
        too_high = value > self.high or (value == self.high and not self.high_inclusive)
        return not (too_low or too_high)

    @property
    def range_text(self) -> str:
        lo = "[" if self.low_inclusive else "("
        hi = "]" if self.high_inclusive else ")"
        return f"{lo}{self.low}, {self.high}{hi}"


def bound_checks(case: Any, bounds: list[Bound]) -> list[CaseError]:
    errors = []
    for bound in bounds:
        for path, value in _resolve(case, bound.field.split(".")):
            if isinstance(value, Decimal) and not bound.contains(value):
                errors.append(CaseError(path, "out_of_range", {"value": str(value), "range": bound.range_text}))
    return errors


def _resolve(node: object, parts: list[str], path: str = "") -> Iterator[tuple[str, object]]:
    if not parts:
        yield path, node
        return
    head, rest = parts[0], parts[1:]
    many = head.endswith("[*]")
    name = head[:-3] if many else head
    child = _get(node, name)
    here = f"{path}.{name}" if path else name
    if child is None:
        return
    if many:
        for i, item in enumerate(child):
            yield from _resolve(item, rest, f"{here}[{i}]")
    else:
        yield from _resolve(child, rest, here)


def check_case(data: Any, bounds: list[Bound], as_of: date | None = None,
               today: date | None = None) -> tuple[Case | None, date | None, list[CaseError]]:
    """Validate a case in one pass: (the model or None, the effective as_of, every error).

    The effective as_of is the override, else the case's, else today; when the case's
    own as_of is of the wrong type and there is no override, dates are not compared."""
    if isinstance(data, Case):
        model: Case | None = data
        tree: Any = data
        errors: list[CaseError] = []
        bad: set[str] = set()
    else:
        try:
            model = Case.model_validate(data)
            tree, errors, bad = model, [], set()
        except ValidationError as exc:
            model, errors = None, pydantic_errors(exc)
            tree, bad = lenient(data)
    case_as_of = _get(tree, "as_of")
    effective = as_of or case_as_of or (None if "as_of" in bad else (today or date.today()))
    errors += structural_checks(tree, effective, bad) + bound_checks(tree, bounds)
    return (model if not errors else None), effective, errors
