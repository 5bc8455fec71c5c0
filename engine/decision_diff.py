"""What differs between two decisions, on the floor fields of case-format.md: status,
payout lines (program, beneficiary, year, kind and basis: amount) and totals; and the
cash each (program, year) gains or loses. Decisions are read as JSON, as stored.

An error is compared by its path, code and params, never by its message: the message is
the floor's readable text, derived from code and params by the catalogs installed when
the decision was made, so rewording a sentence changes no decision."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .canonical import dumps
from .decision_details import differing_details

# A decision may hold an exact and a maximum line of the same program, beneficiary, year
# and kind: the basis is part of a line's identity.
LineKey = tuple[str, str, int, str, str]      # program, beneficiary, year, kind, basis


def _amount(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _lines(decision: Any) -> dict[LineKey, dict[str, Any]]:
    out: dict[LineKey, dict[str, Any]] = {}
    payouts = decision.get("payouts") if isinstance(decision, dict) else None
    for line in payouts if isinstance(payouts, list) else []:
        if not isinstance(line, dict):
            continue
        try:
            key = (str(line.get("program")), str(line.get("beneficiary")), int(line.get("year") or 0), str(line.get("kind")),
                   str(line.get("basis")))
        except (TypeError, ValueError):
            continue
        out[key] = {"basis": line.get("basis"), "amount": line.get("amount")}
    return out


def _totals(decision: Any) -> dict[str, Any]:
    totals = decision.get("totals") if isinstance(decision, dict) else None
    if not isinstance(totals, dict):
        return {}
    flat = {k: v for k, v in totals.items() if k != "by_year"}
    by_year = totals.get("by_year")
    if isinstance(by_year, dict):
        flat.update({f"by_year.{y}": v for y, v in by_year.items()})
    return flat


def cash_by_program_year(decision: Any) -> dict[tuple[str, int], Decimal]:
    out: dict[tuple[str, int], Decimal] = {}
    for (program, _b, year, kind, _basis), line in _lines(decision).items():
        amount = _amount(line["amount"])
        if kind == "cash" and amount is not None:
            out[(program, year)] = out.get((program, year), Decimal(0)) + amount
    return out


def _errors(decision: Any) -> Any:
    """The decision's errors without their messages."""
    errors = decision.get("errors") if isinstance(decision, dict) else None
    if not isinstance(errors, list):
        return errors
    return [{k: v for k, v in e.items() if k != "message"} if isinstance(e, dict) else e for e in errors]


def _without_messages(decision: Any) -> Any:
    if not isinstance(decision, dict) or not isinstance(decision.get("errors"), list):
        return decision
    return {**decision, "errors": _errors(decision)}


def same_but_messages(old: Any, new: Any) -> bool:
    """Whether two decisions are the same once their errors' messages are set aside."""
    try:
        return dumps(_without_messages(old)) == dumps(_without_messages(new))
    except (TypeError, ValueError):
        return False


def diff(old: Any, new: Any) -> dict[str, Any]:
    """{"status": [old, new] | None, "lines": [...], "totals": {name: [old, new]},
    "errors": [old, new] | None (each without messages), "moved": [[program, year, "delta"]],
    "money_same": bool, "same": bool (nothing differs but errors' messages),
    "details": which parts differ when the money is the same ([{part, program}])}"""
    o_status = old.get("status") if isinstance(old, dict) else None
    n_status = new.get("status") if isinstance(new, dict) else None
    o_lines, n_lines = _lines(old), _lines(new)
    lines = []
    for key in sorted(set(o_lines) | set(n_lines)):
        a, b = o_lines.get(key), n_lines.get(key)
        if a == b:
            continue
        lines.append({"program": key[0], "beneficiary": key[1], "year": key[2], "kind": key[3],
                      "basis": [a["basis"] if a else None, b["basis"] if b else None],
                      "amount": [a["amount"] if a else None, b["amount"] if b else None]})
    o_tot, n_tot = _totals(old), _totals(new)
    totals = {k: [o_tot.get(k), n_tot.get(k)] for k in sorted(set(o_tot) | set(n_tot)) if o_tot.get(k) != n_tot.get(k)}
    o_cash, n_cash = cash_by_program_year(old), cash_by_program_year(new)
    moved = []
    for cash_key in sorted(set(o_cash) | set(n_cash)):
        delta = n_cash.get(cash_key, Decimal(0)) - o_cash.get(cash_key, Decimal(0))
        if delta:
            moved.append([cash_key[0], cash_key[1], str(delta)])
    o_err, n_err = _errors(old), _errors(new)
    money_same = o_status == n_status and not lines and not totals
    same = same_but_messages(old, new)
    details = differing_details(_without_messages(old), _without_messages(new)) if money_same and not same else []
    return {"status": [o_status, n_status] if o_status != n_status else None, "lines": lines, "totals": totals,
            "errors": [o_err, n_err] if o_err != n_err else None,
            "moved": moved, "money_same": money_same, "same": same, "details": details}
