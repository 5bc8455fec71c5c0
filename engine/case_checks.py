"""Checks a case needs beyond its types: ids, references, dates against `as_of`,
and approved figures inside the bounds the rules declare."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ValidationError

from .case_model import Case


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


def pydantic_errors(exc: ValidationError) -> list[CaseError]:
    errors = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        code = err["type"].removeprefix("xisai_")
        params = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
        errors.append(CaseError(loc_to_path(loc) or "(case)", code, params, err["msg"]))
    return errors


def walk(node: object, path: str = "") -> Iterator[tuple[str, str, object]]:
    """Yield (path, field name, value) for every leaf of a validated case."""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            child = getattr(node, name)
            yield from walk(child, f"{path}.{name}" if path else name)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from walk(child, f"{path}[{i}]")
    elif isinstance(node, dict):
        for key, child in node.items():
            yield path, key, child  # retained_tax: the key is the year
    else:
        yield path, path.rsplit(".", 1)[-1], node


def structural_checks(case: Case, as_of: date) -> list[CaseError]:
    errors: list[CaseError] = []
    seen: dict[str, str] = {}
    for kind in ("persons", "enterprises", "agencies"):
        for i, entity_id in enumerate(e.id for e in getattr(case, kind)):
            path = f"{kind}[{i}].id"
            if entity_id in seen:
                errors.append(CaseError(path, "id_duplicate", {"id": entity_id, "first": seen[entity_id]}))
            else:
                seen[entity_id] = path
    person_ids = {p.id for p in case.persons}
    enterprise_ids = {e.id for e in case.enterprises}
    for i, person in enumerate(case.persons):
        if person.employer is not None and person.employer not in enterprise_ids:
            errors.append(CaseError(f"persons[{i}].employer", "no_enterprise", {"id": person.employer}))
    for i, ent in enumerate(case.enterprises):
        for j, founder in enumerate(ent.founders):
            if founder not in person_ids:
                errors.append(CaseError(f"enterprises[{i}].founders[{j}]", "no_person", {"id": founder}))
        if len(set(ent.founders)) != len(ent.founders):
            errors.append(CaseError(f"enterprises[{i}].founders", "founder_twice"))
        if ent.space is not None:
            trio = (ent.space.rented_area_m2, ent.space.monthly_rent_per_m2, ent.space.lease_start)
            if any(v is None for v in trio) and any(v is not None for v in trio):
                errors.append(CaseError(f"enterprises[{i}].space", "space_trio"))
        if ent.incubator is not None:
            years = [y.year for y in ent.incubator.years]
            for j, year in enumerate(years):
                if year in years[:j]:
                    errors.append(CaseError(f"enterprises[{i}].incubator.years[{j}].year", "year_twice", {"year": str(year)}))
    for path, name, value in walk(case):
        if name == "as_of":
            continue
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


def bound_checks(case: Case, bounds: list[Bound]) -> list[CaseError]:
    errors = []
    for bound in bounds:
        for path, value in _resolve(case, bound.field.split(".")):
            if not isinstance(value, Decimal):
                continue
            too_low = value < bound.low or (value == bound.low and not bound.low_inclusive)
            too_high = value > bound.high or (value == bound.high and not bound.high_inclusive)
            if too_low or too_high:
                lo = "[" if bound.low_inclusive else "("
                hi = "]" if bound.high_inclusive else ")"
                errors.append(CaseError(path, "out_of_range", {"value": str(value), "range": f"{lo}{bound.low}, {bound.high}{hi}"}))
    return errors


def _resolve(node: object, parts: list[str], path: str = "") -> Iterator[tuple[str, object]]:
    if not parts:
        yield path, node
        return
    head, rest = parts[0], parts[1:]
    many = head.endswith("[*]")
    name = head[:-3] if many else head
    child = getattr(node, name, None)
    here = f"{path}.{name}" if path else name
    if child is None:
        return
    if many:
        for i, item in enumerate(child):
            yield from _resolve(item, rest, f"{here}[{i}]")
    else:
        yield from _resolve(child, rest, here)
