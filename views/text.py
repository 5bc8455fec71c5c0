"""A decision's data, rendered with its sentences in one language.

`render_decision(data, book, lang)` returns the decision with, for each payout line,
its title and explanation; for each refusal, its reasons as sentences; for each note
and error, its message. It reads only the decision's data and the rules it was made
under (the book), so a decision read back from JSON renders exactly as when made."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from ..engine.facts import KIND_DATE, KIND_INT, KIND_MONEY, KIND_NUMBER
from ..engine.i18n import Messages, error_message
from ..engine.rulebook import Condition, Program, RuleBook
from .explain import _typed, explain_line, figure_label, flag_text, requirement, unit_value

Data = dict[str, Any]


def typed(value: Any, kind: str | None) -> Any:
    """A JSON value of the decision back to the type a condition compares (dates and
    decimals travel as strings)."""
    if isinstance(value, str):
        if kind == KIND_DATE:
            return date.fromisoformat(value)
        if kind in (KIND_MONEY, KIND_NUMBER):
            return Decimal(value)
    if kind == KIND_INT and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def fill_indices(pattern: str, item: str) -> str:
    """A rule file's path pattern with the list indices of a case item:
    ("enterprises[*].space.approved_area_m2", "enterprises[2].space") gives
    "enterprises[2].space.approved_area_m2"; a `[*]` the item does not reach stays."""
    indices = iter(re.findall(r"\[(\d+)\]", item))
    return re.sub(r"\[\*\]", lambda m: f"[{next(indices, '*')}]", pattern)


class _Renderer:
    def __init__(self, book: RuleBook, lang: str | None):
        self.book = book
        self.msgs = Messages.get(lang)
        self._conditions: dict[tuple[str, str], Condition] = {}
        for program in [*book.definitions.values(), *book.programs]:
            for cond in program.conditions:
                self._conditions[(program.id, cond.id)] = cond

    def program(self, program_id: str) -> Program:
        if program_id in self.book.definitions:
            return self.book.definitions[program_id]
        return self.book.program(program_id)

    # --- conditions ----------------------------------------------------------------
    def join_text(self, program: Program, outcome_id: str) -> str:
        """What a joined fact stands for ("alias.present"): the rule file's text, or a generic sentence."""
        pattern = program.facts[outcome_id.removesuffix(".present")]
        return self.msgs.text(pattern.text) if pattern.text else self.msgs.t("reason.no_fact", type=pattern.type)

    def expected(self, cond: Condition, item: Data) -> Any:
        return typed(item["expected"], cond.kind) if cond.ref is not None else cond.value

    def requirement(self, program: Program, item: Data) -> str:
        cond = self._conditions.get((program.id, item["condition"]))
        if cond is None:
            return self.join_text(program, item["condition"])
        return requirement(cond, self.expected(cond, item), self.msgs)

    def reason(self, program: Program, u: Data) -> str:
        msgs = self.msgs
        if u.get("kind") == "check":
            return self.check_text(program, u["condition"], u["found"])
        cond = self._conditions.get((program.id, u["condition"]))
        if cond is None:  # a fact the rule needs was not found
            needed = self.join_text(program, u["condition"])
            if "because" in u:
                because = self.because(u)
                return msgs.t("reason.missing_because", requirement=needed, because=msgs.t("value.reason_separator").join(because))
            return msgs.t("reason.missing", requirement=needed)
        return msgs.t("reason.unmet", requirement=requirement(cond, self.expected(cond, u), msgs),
                      actual=msgs.value(typed(u["found"], cond.kind), cond.kind, cond.field))

    def because(self, u: Data) -> list[str]:
        """Why an enterprise is not a talent enterprise: the definition's unmet conditions."""
        definition = self.book.definitions["talent_enterprise"]
        return [self.reason(definition, b) for b in u["because"]]

    def check_text(self, program: Program, check: str, values: Data) -> str:
        return self.msgs.text(program.checks[check], **{k: self.msgs.value(_typed(v)) for k, v in values.items()})

    # --- parts of the decision -----------------------------------------------------
    def parameter(self, program: Program, use: Data) -> Data:
        """A part's parameter use with its row's unit, source, file and flags, from the rules."""
        parameter = self.book.parameter(program, use["name"])
        row = parameter.row_from(use["from"])
        out: Data = {"name": use["name"], "value": use["value"], "unit": parameter.unit, "from": use["from"],
                     "source": row.source, "file": parameter.file}
        if row.provisional:
            out["provisional"] = True
        if row.note:
            out["note"] = row.note
        if parameter.reading:
            out["reading"] = parameter.reading
        return out

    def part(self, program: Program, year: int, part: Data) -> Data:
        conditions = [{"condition": c["condition"], "met": c["met"], "found": c["found"], "field": c["field"],
                       "requirement": self.requirement(program, c)} for c in part["conditions"]]
        benefit = None
        if "benefit" in part:
            benefit = self.msgs.text(program.formula[part["benefit"]], year=year,
                                     **{k: str(v) for k, v in part["detail"].items()}) or None
        return {"item": part["item"], "amount": part["amount"], "steps": part["steps"], "conditions": conditions,
                "parameters": [self.parameter(program, u) for u in part["parameters"]], "benefit": benefit,
                "detail": part["detail"]}

    def payout(self, line: Data) -> Data:
        program = self.program(line["program"])
        parts = [self.part(program, line["year"], p) for p in line["parts"]]
        out = {"program": line["program"], "beneficiary": line["beneficiary"], "year": line["year"], "kind": line["kind"],
               "amount": line["amount"], "basis": line["basis"], "title": self.msgs.text(program.title), "parts": parts,
               "explanation": explain_line(parts, line["flags"], program, self.book, self.msgs)}
        if line["basis"] == "maximum":
            out["approved"] = self.approved(program, [p["item"] for p in line["parts"]])
        return out

    def approved(self, program: Program, items: list[str]) -> list[Data]:
        """What would make a maximum line exact: each approved figure the rule file bounds,
        where it goes in this case (the line's item, e.g. persons[0].talent.approved_monthly_allowance)
        and the range it may take."""
        msgs = self.msgs
        out: list[Data] = []
        for bound in program.bounds:
            unit = program.bound_units.get(bound.field)
            low, high = (unit_value(msgs, v, unit) for v in (bound.low, bound.high))
            shape = ("i" if bound.low_inclusive else "e") + ("i" if bound.high_inclusive else "e")
            figure = figure_label(bound.field, msgs)
            paths = dict.fromkeys(fill_indices(bound.field, item) for joined in items for item in joined.split(";"))
            out.extend({"field": bound.field, "path": path, "figure": figure,
                        "range": msgs.t(f"range.{shape}", low=low, high=high)} for path in paths)
        return out

    def ineligible(self, x: Data) -> Data:
        program = self.program(x["program"])
        unmet = [{"condition": u["condition"], "reason": self.reason(program, u), "found": u["found"],
                  "field": u.get("field"), **({"because": self.because(u)} if "because" in u else {})}
                 for u in x["unmet"]]
        flags = [{**f, "text": flag_text(f, program, self.book, self.msgs)} for f in x["flags"]]
        return {"program": x["program"], "beneficiary": x["beneficiary"], "reasons": [u["reason"] for u in unmet],
                "item": x["item"], "title": self.msgs.text(program.title), "unmet": unmet, "flags": flags,
                "clause": program.clause}

    def note(self, n: Data) -> Data:
        program = self.program(n["program"])
        return {"program": n["program"], "beneficiary": n["beneficiary"], "item": n["item"], "check": n["check"],
                "message": self.check_text(program, n["check"], n["values"]), "values": n["values"]}

    def error(self, e: Data) -> Data:
        return {"path": e["path"], "message": error_message(e["code"], e.get("params", {}), e["message"], self.msgs),
                "code": e["code"]}


def render_decision(data: Data, book: RuleBook, lang: str | None = None) -> Data:
    r = _Renderer(book, lang)
    out: Data = {"case_id": data["case_id"], "status": data["status"]}
    if "errors" in data:
        out["errors"] = [r.error(e) for e in data["errors"]]
    out.update({"rules_version": data["rules_version"], "format_version": data["format_version"], "as_of": data["as_of"],
                "lang": r.msgs.locale, "payouts": [r.payout(p) for p in data["payouts"]],
                "ineligible": [r.ineligible(x) for x in data["ineligible"]],
                "notes": [r.note(n) for n in data["notes"]], "totals": data["totals"]})
    return out
