"""The case file format v1 (shared/case-format.md) as pydantic models.

Structure and types are checked here; cross-references, dates against `as_of` and the
clause's bounds on approved figures are checked in `case_checks` (the bounds come from
rules/, so they cannot live in the model)."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from .money import NotPlainDecimal, to_decimal

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only; matched whole
YEAR_KEY = re.compile(r"(19|20|21)[0-9][0-9]")  # a key of a {year: money} table; ASCII: int() also reads full-width digits
# A technical ceiling, not a policy figure: keeps fen within durable-rules' 64-bit ints.
_MONEY_CEILING = Decimal("1e13")


def _err(code: str, template: str, **ctx: object) -> PydanticCustomError:
    """An error with a stable code; its sentence comes from the catalog (error.<code>)."""
    return PydanticCustomError(f"xisai_{code}", template, {k: str(v) for k, v in ctx.items()})


def _shown(value: object, limit: int = 40) -> str:
    """A case value quoted in an error, cut short: the path already says where it is."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _decimal(value: object) -> Decimal:
    try:
        return to_decimal(value)
    except NotPlainDecimal:
        raise _err("plain_decimal", "{value} is not a plain decimal (ASCII digits, an optional point: 1500.00)", value=_shown(value)) from None
    except ValueError:
        raise _err("number", "must be a number or a decimal string") from None


def _strict_date(value: object) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise _err("date_format", "must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _err("date_invalid", "{value} is not a calendar date", value=value) from None


def _money(value: object) -> Decimal:
    amount = _decimal(value)
    if amount < 0:
        raise _err("negative", "must not be negative")
    if amount >= _MONEY_CEILING:  # before quantize, which overflows on huge values
        raise _err("implausible", "is larger than any plausible amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise _err("money_fen", "must be to the fen (at most two decimal places)")
    return amount


def _number(value: object) -> Decimal:
    number = _decimal(value)
    if number < 0:
        raise _err("negative", "must not be negative")
    if number >= _MONEY_CEILING:
        raise _err("implausible", "is larger than any plausible amount")
    return number


def _count(value: object) -> int:
    # JSON has one number type; reject 1.5, true and "3" so a typo never becomes a count.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _err("whole_number", "must be a whole number")
    if value < 0:
        raise _err("negative", "must not be negative")
    if value > 10**9:
        raise _err("implausible", "is larger than any plausible amount")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise _err("flag", "must be true or false")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise _err("text", "must be a string")
    return value


# The JSON Schema of each type (`xisai schema`): what a case file may write, not how
# it is read (the validators above say that).
_DATE_SCHEMA = {"type": "string", "format": "date", "pattern": _DATE_RE.pattern}
_MONEY_SCHEMA = {"anyOf": [{"type": "number", "minimum": 0},
                           {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"}]}
_NUMBER_SCHEMA = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": r"^\d+(\.\d+)?$"}]}

Date = Annotated[date, BeforeValidator(_strict_date), WithJsonSchema(_DATE_SCHEMA)]
Money = Annotated[Decimal, BeforeValidator(_money), WithJsonSchema(_MONEY_SCHEMA)]
Number = Annotated[Decimal, BeforeValidator(_number), WithJsonSchema(_NUMBER_SCHEMA)]
Count = Annotated[int, BeforeValidator(_count), WithJsonSchema({"type": "integer", "minimum": 0})]
Flag = Annotated[bool, BeforeValidator(_flag), WithJsonSchema({"type": "boolean"})]
Text = Annotated[str, BeforeValidator(_text), WithJsonSchema({"type": "string"})]
Id = Annotated[str, BeforeValidator(_text), Field(min_length=1), WithJsonSchema({"type": "string", "minLength": 1})]
Year = Annotated[int, BeforeValidator(_count), Field(ge=1900, le=2200),
                 WithJsonSchema({"type": "integer", "minimum": 1900, "maximum": 2200})]
Months = Annotated[int, BeforeValidator(_count), Field(ge=1), WithJsonSchema({"type": "integer", "minimum": 1})]

Ownership = Literal["private", "state_owned", "collective", "foreign", "other"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Talent(Strict):
    category: Literal["team_member", "high_level_entrepreneur"]
    recognized_on: Date
    approved_monthly_allowance: Money | None = None


class HomePurchase(Strict):
    date: Date
    total_price: Money
    in_district: Flag
    first_home: Flag


class Apartment(Strict):
    start: Date
    monthly_rent: Money


class Person(Strict):
    id: Id
    name: Text | None = None
    birth_date: Date | None = None
    settled_in_district: Flag = False
    talent: Talent | None = None
    home_purchase: HomePurchase | None = None
    employer: Id | None = None
    is_executive: Flag = False
    apartment: Apartment | None = None
    school_age_children: Flag = False


class Space(Strict):
    approved_area_m2: Number | None = None
    rented_area_m2: Number | None = None
    monthly_rent_per_m2: Money | None = None
    lease_start: Date | None = None


class LandPurchase(Strict):
    date: Date
    transfer_price: Money
    for_industrialization: Flag
    approved_ratio: Number | None = None


class IncubatorYear(Strict):
    year: Year
    enterprise_months: Count


class Incubator(Strict):
    approved_rate: Money | None = None
    years: list[IncubatorYear] = []


class Loan(Strict):
    year: Year
    lender: Literal["bank", "licensed_institution", "private"]
    interest_paid: Money


class NewProduct(Strict):
    name: Text
    kind: Literal["technology", "product", "service"]
    developed_on: Date


class Trademark(Strict):
    kind: Literal["china_well_known"]
    recognized_on: Date


class QualityAward(Strict):
    level: Literal["national", "provincial", "municipal"]
    awarded_on: Date


class Standard(Strict):
    level: Literal["international", "national", "industry", "district"]
    role: Literal["lead", "participant"]
    published_on: Date


class Listing(Strict):
    board: Literal["sse_main", "szse_main", "chinext", "star", "bse", "overseas_main", "neeq", "wuhan_equity"]
    listed_on: Date


class Intern(Strict):
    birth_date: Date
    start: Date
    months: Months
    registered_unemployed: Flag


class PovertyHire(Strict):
    hired_on: Date
    registered_poor: Flag


class Enterprise(Strict):
    id: Id
    name: Text | None = None
    registered_in_district: Flag = False
    ownership: Ownership | None = None
    founded_on: Date | None = None
    founders: list[Id] = []
    employees: Count | None = None
    space: Space | None = None
    land_purchases: list[LandPurchase] = []
    incubator: Incubator | None = None
    retained_tax: dict[str, Money] = {}
    loans: list[Loan] = []
    new_products: list[NewProduct] = []
    trademarks: list[Trademark] = []
    quality_awards: list[QualityAward] = []
    standards: list[Standard] = []
    listings: list[Listing] = []
    interns: list[Intern] = []
    poverty_hires: list[PovertyHire] = []

    @field_validator("retained_tax")
    @classmethod
    def _year_keys(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for key in value:
            if not YEAR_KEY.fullmatch(key):
                raise _err("year_key", "key {key} must be a four-digit year", key=_shown(key))
        return value


class Placement(Strict):
    placed_on: Date
    months_worked: Count
    employer_ownership: Ownership
    employer_in_district: Flag


class Agency(Strict):
    id: Id
    name: Text | None = None
    kind: Literal["hr_service_agency", "hr_service_station", "other"] | None = None
    placements: list[Placement] = []


class Case(Strict):
    case_id: Id
    as_of: Date | None = None
    persons: list[Person] = []
    enterprises: list[Enterprise] = []
    agencies: list[Agency] = []
