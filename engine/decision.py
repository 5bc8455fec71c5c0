"""The decision as language-neutral data (decision format 2, docs/decision-format.md).

A decision holds what was decided and why, as facts: payout lines with the steps that
replay to each amount, the conditions met with the values found, the parameter rows
used (name and date; the rules bundle of `rules_version` has the rest) and flags by
kind; refusals as reason codes (condition or check ids) with the values found; errors
as codes with their parameters. No sentence depends on a language, so the same case
and rules give the same bytes whatever language a reader wants: sentences are rendered
from the data by the views (`Decision.render(lang)`, `xisai.views`).

The fields of shared/case-format.md's "Decision" keep their names and types; in
format 2 `ineligible[].reasons` holds reason codes, and `errors[].message` the
English sentence (views render the code in the reader's language)."""
from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .formulas.base import CASH, EXACT
from .i18n import Messages, error_message
from .money import fmt

if TYPE_CHECKING:
    from .rulebook import RuleBook

FORMAT_VERSION = "2"

Data = dict[str, Any]


def error_item(path: str, code: str, params: dict[str, str], fallback: str = "") -> Data:
    """An error as a decision holds it: its path, code and params, and `message`, the
    English sentence the case format's floor asks for (views say it in any language)."""
    return {"path": path, "code": code, "params": params, "message": error_message(code, params, fallback, Messages.get("en"))}


def totals(payouts: list[Data]) -> Data:
    cash = cash_exact = in_kind = Decimal(0)
    by_year: dict[int, Decimal] = defaultdict(Decimal)
    for line in payouts:
        if line["amount"] is None:
            continue
        amount = Decimal(line["amount"])
        if line["kind"] == CASH:
            cash += amount
            by_year[line["year"]] += amount
            if line["basis"] == EXACT:
                cash_exact += amount
        else:
            in_kind += amount
    return {"cash": fmt(cash), "cash_exact": fmt(cash_exact),
            "by_year": {str(y): fmt(v) for y, v in sorted(by_year.items())}, "in_kind_value": fmt(in_kind)}


def decision_data(case_id: str, status: str, rules_version: str, as_of: str | None, *, errors: list[Data] | None = None,
                  payouts: list[Data] | None = None, ineligible: list[Data] | None = None,
                  notes: list[Data] | None = None) -> Data:
    """The decision in its field order; `errors` only when invalid (case-format)."""
    data: Data = {"case_id": case_id, "status": status}
    if status == "invalid":
        data["errors"] = errors or []
    lines = payouts or []
    data.update({"rules_version": rules_version, "format_version": FORMAT_VERSION, "as_of": as_of,
                 "payouts": lines, "ineligible": ineligible or [], "notes": notes or [], "totals": totals(lines)})
    return data


def dumps(data: Data, indent: int | None = None) -> str:
    """Canonical text of a decision: UTF-8 as is, compact unless indented."""
    if indent is None:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(data, ensure_ascii=False, indent=indent)


class Decision:
    """A decision's data, with the rules it was made under for rendering it."""

    __slots__ = ("data", "book", "lang")

    def __init__(self, data: Data, book: RuleBook, lang: str | None = None):
        self.data, self.book, self.lang = data, book, lang

    # the fields of the floor, read-only views of the data
    @property
    def case_id(self) -> str:
        return str(self.data["case_id"])

    @property
    def status(self) -> str:
        return str(self.data["status"])

    @property
    def rules_version(self) -> str:
        return str(self.data["rules_version"])

    @property
    def errors(self) -> list[Data]:
        return list(self.data.get("errors", []))

    @property
    def payouts(self) -> list[Data]:
        return list(self.data["payouts"])

    @property
    def ineligible(self) -> list[Data]:
        return list(self.data["ineligible"])

    @property
    def notes(self) -> list[Data]:
        return list(self.data["notes"])

    @property
    def totals(self) -> Data:
        return dict(self.data["totals"])

    def to_dict(self) -> Data:
        return self.data

    def to_json(self, indent: int | None = None) -> str:
        return dumps(self.data, indent)

    def render(self, lang: str | None = None) -> Data:
        """The decision with its sentences in `lang` (default: the language asked for
        at evaluation, else zh_CN): titles, reasons, explanations, messages."""
        from ..views.text import render_decision  # views depend on the engine, not the reverse
        return render_decision(self.data, self.book, lang or self.lang)
