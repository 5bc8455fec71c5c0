"""The decision: the fields of case-format.md's "Decision" section, and more.

Money is carried as decimal strings ("200000.00"); lists are sorted so that the same
case and rules always give the same bytes."""
from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

FORMAT_VERSION = "1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorItem(_Model):
    path: str
    message: str
    code: str = ""


class Part(_Model):
    """One item's contribution to a payout line, with how it was computed."""
    item: str
    amount: str | None
    steps: list[dict[str, Any]] = []
    conditions: list[dict[str, Any]] = []
    parameters: list[dict[str, Any]] = []
    benefit: str | None = None
    detail: dict[str, Any] = {}


class Payout(_Model):
    program: str
    beneficiary: str
    year: int
    kind: Literal["cash", "in_kind"]
    amount: str | None
    basis: Literal["exact", "maximum"]
    title: str = ""
    parts: list[Part] = []
    explanation: dict[str, Any] = {}


class Unmet(_Model):
    condition: str
    reason: str
    found: Any = None
    field: str | None = None


class Ineligible(_Model):
    program: str
    beneficiary: str
    reasons: list[str]
    item: str | None = None
    title: str = ""
    unmet: list[Unmet] = []
    flags: list[dict[str, str]] = []        # readings the failed conditions follow
    clause: dict[str, str] = {}


class Note(_Model):
    program: str
    beneficiary: str
    item: str | None
    check: str
    message: str
    values: dict[str, Any] = {}


class Totals(_Model):
    cash: str
    cash_exact: str
    by_year: dict[str, str]
    in_kind_value: str = "0.00"


class Decision(_Model):
    case_id: str
    status: Literal["ok", "invalid"]
    errors: list[ErrorItem] = []
    rules_version: str
    format_version: str = FORMAT_VERSION
    as_of: str | None = None
    lang: str = "zh_CN"
    payouts: list[Payout] = []
    ineligible: list[Ineligible] = []
    notes: list[Note] = []
    totals: Totals = Totals(cash="0.00", cash_exact="0.00", by_year={})

    def to_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        if self.status == "ok":
            del data["errors"]  # case-format: errors only when invalid
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)
