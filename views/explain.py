"""Explanations: how a figure was reached, in the applicant's language.

The decision's data (steps, conditions, parameters, flags) made into sentences, each
from a catalog message or a rule file's own zh/en text; and a rule described for
`xisai rules show`."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from string import Formatter
from typing import Any

from ..engine.formulas import FORMULAS
from ..engine.formulas.base import param_text
from ..engine.i18n import Messages
from ..engine.rulebook import Condition, Parameter, Program, RuleBook, _window_years

RANGE_OPS = ("between", "within", "within_years")


_REQUIREMENTS: dict[tuple, str] = {}


def requirement(cond: Condition, expected: Any, msgs: Messages) -> str:
    """A condition's text with its figures ({low}, {high}, {expected}) filled in
    (memoised: the same condition and figures recur in every case)."""
    key = (cond.text["zh"], cond.text["en"], cond.op, cond.kind, cond.field, expected, msgs.locale)  # content, not identity
    if key not in _REQUIREMENTS:
        _REQUIREMENTS[key] = _requirement(cond, expected, msgs)
    return _REQUIREMENTS[key]


def _requirement(cond: Condition, expected: Any, msgs: Messages) -> str:
    values: dict[str, str] = {}
    year_like = cond.op == "within_years" or cond.field == "year"
    if cond.op in RANGE_OPS and isinstance(expected, tuple):
        values["low"], values["high"] = (msgs.value(v, cond.kind) for v in expected)
    if expected is not None:
        values["expected"] = msgs.value(expected, cond.kind, None if year_like else cond.field)
    return msgs.text(cond.text, **values)


# --- values with units -------------------------------------------------------------

def unit_value(msgs: Messages, value: str | Decimal, unit: str | None) -> str:
    amount = Decimal(value)
    if unit and unit.startswith("CNY"):
        key = f"unit.{unit}"
        money = msgs.money(amount)
        return msgs.t(key, value=money) if msgs.has(key) else money
    if unit == "ratio":
        return msgs.percent(amount)
    key = f"unit.{unit}"
    number = msgs.number(amount.normalize() if amount == amount.to_integral_value() else amount)
    return msgs.t(key, value=number) if unit and msgs.has(key) else number


def operand(msgs: Messages, ref: dict[str, Any], units: dict[int, str | None]) -> str:
    if "step" in ref:
        return unit_value(msgs, ref["value"], units.get(ref["step"]))
    if "field" in ref:
        label = msgs.t(f"field.{ref['field']}")
    elif "param" in ref:
        label = param_label(msgs, ref["param"])
        if "from" in ref:
            label = msgs.t("explain.param_from", label=label, start=ref["from"])
    else:  # a derived count says its own value: "2023年内6个月"
        return msgs.t(f"count.{ref['count']}", year=ref.get("year", ""), value=msgs.number(Decimal(ref["value"])))
    return msgs.t("explain.operand", label=label, value=unit_value(msgs, ref["value"], ref.get("unit")))


def _result_unit(step: dict[str, Any], units: dict[int, str | None]) -> str | None:
    """The unit of a step's result: money wins over ratios and counts."""
    found = [units.get(a["step"]) if "step" in a else a.get("unit") for a in step["args"]]
    for u in found:
        if u and u.startswith("CNY"):
            return "CNY"
    return "m2" if "m2" in found else (found[0] if found else None)


def step_sentences(steps: list[dict[str, Any]], msgs: Messages) -> list[str]:
    out: list[str] = []
    units: dict[int, str | None] = {}
    for step in steps:
        unit = _result_unit(step, units)
        units[step["n"]] = unit
        args = [operand(msgs, a, units) for a in step["args"]]
        result = unit_value(msgs, step["result"], unit)
        op = step["op"]
        if op == "mul":
            out.append(msgs.t("explain.step.mul", args=msgs.t("explain.times").join(args), result=result))
        elif op == "sum":
            out.append(msgs.t("explain.step.sum", args=msgs.t("explain.plus").join(args), result=result))
        elif op == "round":
            if Decimal(step["args"][0]["value"]) != Decimal(step["result"]):
                out.append(msgs.t("explain.step.round", value=args[0], result=result))
            elif len(steps) == 1:  # a fixed sum: the figure itself is the computation
                out.append(msgs.t("explain.step.value", value=args[0]))
        elif op == "min":
            first, *others = step["args"]
            limited = Decimal(step["result"]) < Decimal(first["value"])
            key = "explain.step.capped" if limited else "explain.step.under_cap"
            out.append(msgs.t(key, value=args[0], cap=msgs.t("explain.or").join(args[1:]), result=result))
        else:
            out.append(msgs.t("explain.step.other", op=op, args=", ".join(args), result=result))
    return out


# --- a payout line -----------------------------------------------------------------

def param_label(msgs: Messages, name: str) -> str:
    """"amounts.national" reads as the national entry of the amounts table."""
    base, _, pick = name.partition(".")
    if msgs.has(f"param.{name}"):
        return msgs.t(f"param.{name}")
    if pick and msgs.has(f"param.{base}.pick"):
        return msgs.t(f"param.{base}.pick", pick=msgs.value(pick, field="level"))
    return msgs.t(f"param.{base}") if msgs.has(f"param.{base}") else name


def param_value(msgs: Messages, value: str, unit: str | None) -> str:
    """A parameter row's value as read: money and ratios formatted, tables as they are."""
    try:
        return unit_value(msgs, value, unit) if unit not in (None, "list", "window") else value
    except ArithmeticError:  # a list or a table: already text
        return value


def parameter_sentence(p: dict[str, Any], msgs: Messages) -> str:
    label = param_label(msgs, p["name"])
    text = msgs.t("explain.parameter" if label != p["name"] else "explain.parameter_plain", label=label, name=p["name"],
                  value=param_value(msgs, p["value"], p.get("unit")),
                  start=msgs.date(date.fromisoformat(p["from"])), source=p["source"])
    if p.get("provisional"):
        text = msgs.t("explain.provisional", text=text, note=msgs.text(p.get("note")) or "")
    return text


def flag_text(flag: dict[str, Any], program: Program, book: RuleBook, msgs: Messages) -> str:
    """The sentence of a decision's flag (reading, provisional row, maximum line)."""
    kind = flag["kind"]
    if kind == "reading":
        reading = book.parameter(program, flag["parameter"]).reading if "parameter" in flag else program.reading
        return msgs.t("explain.flag.reading", text=msgs.text(reading))
    if kind == "provisional":
        row = book.parameter(program, flag["parameter"]).row_from(flag["from"])
        return msgs.t("explain.flag.provisional", name=flag["parameter"], start=flag["from"], note=msgs.text(row.note) or "")
    figures = msgs.t("value.list_separator").join(figure_label(b.field, msgs) for b in program.bounds)
    return msgs.t("explain.flag.maximum", figures=figures)


def figure_label(field: str, msgs: Messages) -> str:
    """An approved figure's name ("persons[*].talent.approved_monthly_allowance" reads
    as the catalog's field.talent.approved_monthly_allowance)."""
    return msgs.t(f"field.{'.'.join(field.replace('[*]', '').split('.')[-2:])}")


def explain_line(parts: list[dict[str, Any]], flags: list[dict[str, Any]], program: Program, book: RuleBook,
                 msgs: Messages) -> dict[str, Any]:
    """The explanation of one payout line from its rendered parts (steps, conditions
    with their requirements, parameters with their rows) and its flags."""
    texts = [{**f, "text": flag_text(f, program, book, msgs)} for f in flags]
    out_parts = []
    text: list[str] = []
    for part in parts:
        steps = step_sentences(part["steps"], msgs)
        conditions = [msgs.t("explain.condition_met", requirement=c["requirement"],
                             actual=msgs.value(_typed(c["found"]), None, (c["field"] or "").split(".")[-1] or None))
                      for c in part["conditions"] if c["met"]]
        params = [parameter_sentence(p, msgs) for p in part["parameters"]]
        benefit = [msgs.t("explain.benefit", text=part["benefit"])] if part["benefit"] else []
        out_parts.append({"item": part["item"], "steps": steps, "conditions": conditions, "parameters": params,
                          "benefit": benefit})
        if len(parts) > 1:
            text.append(msgs.t("explain.item", item=part["item"]))
        text.extend(steps + benefit)
        text.extend(msgs.t("explain.bullet", text=c) for c in conditions)
        text.extend(msgs.t("explain.bullet", text=p) for p in params)
    clause = program.clause
    text.append(msgs.t("explain.clause", section=clause["section"], text=clause["text"]))
    text.extend(f["text"] for f in texts)
    return {"clause": clause, "flags": texts, "parts": out_parts, "text": text}


def _typed(found: Any) -> Any:
    """Conditions keep JSON values; give dates back their type for formatting."""
    if isinstance(found, str) and len(found) == 10 and found[4] == "-" and found[7] == "-":
        try:
            return date.fromisoformat(found)
        except ValueError:
            return found
    return found


# --- a rule, for `xisai rules show` --------------------------------------------------

def describe_rule(program: Program, book: RuleBook, msgs: Messages) -> dict[str, Any]:
    """A rule as the public reads it: its texts with the rule files' real values (the
    policy window's dates, the months, the amounts), and plain words where a value
    belongs to a case (a check's year, a qualifying date Q)."""
    out: dict[str, Any] = {"id": program.id, "title": msgs.text(program.title), "clause": program.clause}
    if program.reading:
        out["reading"] = msgs.text(program.reading)
    if program.applies:
        out["applies"] = msgs.text(program.applies)
    if program.kind == "provision":
        return out
    conditions = [msgs.text(p.text) for p in list(program.facts.values())[1:] if p.text]
    conditions += [requirement(c, c.value, msgs) for c in program.conditions if c.ref is None]
    conditions += [rule_text(c.text, {}, msgs) for c in program.conditions if c.ref is not None]  # another fact's value
    out["conditions"] = conditions
    kind = FORMULAS.get(program.formula.get("kind", ""))
    shown = {check: _static_values(sources, book, msgs) for check, sources in (kind.shows if kind else {}).items()}
    out["checks"] = [rule_text(text, shown.get(check, {}), msgs) for check, text in program.checks.items()]
    if kind is not None:  # a definition has none: it only decides who qualifies
        out["formula"] = msgs.t(f"formula.{program.formula['kind']}", **_formula_values(program, book, kind.params, msgs))
    if program.trigger:
        alias, _, field = program.trigger.partition(".")
        name = f"{program.facts[alias].type}.{field}"
        out["trigger"] = msgs.t("rule.field", label=msgs.t(f"field.{name}"), name=name) if msgs.has(f"field.{name}") else name
    label_fields = _label_fields(program)
    rows = []
    for name in program.parameters:
        rows.extend(_rows(book.parameter(program, name), msgs, label_fields.get(name, ())))
    for c in program.conditions:
        if c.param and c.param not in program.parameters:
            rows.extend(_rows(book.parameter(program, c.param), msgs, label_fields.get(c.param, ())))
    for key in ("wage",):
        if key in program.formula:
            rows.extend(_rows(book.tables[program.formula[key]], msgs, ()))
    out["parameters"] = rows
    return out


_GROUP = re.compile(r"\s?[\uff08(][^\uff08\uff09()]*[\uff09)]")  # a parenthesis, full-width or not


def rule_text(texts: dict[str, str], values: dict[str, str], msgs: Messages) -> str:
    """A rule file's text shown without a case: placeholders with a value in the rules are
    filled; a parenthesis holding one that only a case can fill ("（当前：{found}）",
    "（{expected}年）") is left out; any other such placeholder reads as plain words
    (rule.blank.<name>: "某年度", "a year")."""
    text = texts[msgs.lang]
    missing = _placeholders(text) - set(values)
    text = _GROUP.sub(lambda m: "" if any(f"{{{n}}}" in m.group(0) for n in missing) else m.group(0), text)
    blanks = {n: msgs.t(f"rule.blank.{n}") if msgs.has(f"rule.blank.{n}") else msgs.t("rule.blank")
              for n in _placeholders(text) - set(values)}
    return text.format(**values, **blanks)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


def _static_values(sources: dict[str, str], book: RuleBook, msgs: Messages) -> dict[str, str]:
    """A check's values that the rules fix (formula kinds declare them in `shows`)."""
    start, end = book.general["policy_window"].only.value
    first, last = _window_years((start, end))
    known = {"window.start": msgs.date(start), "window.end": msgs.date(end),
             "window.first_year": str(first), "window.last_year": str(last)}
    return {name: known[source] for name, source in sources.items()}


def _formula_values(program: Program, book: RuleBook, names: tuple[str, ...], msgs: Messages) -> dict[str, str]:
    """The formula kind's parameters as read today (their latest row), for its description."""
    values = {}
    for name in names:
        parameter = book.parameter(program, name)
        value = parameter.values[-1].value
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):  # a schedule: (months, share) rows
            values[name] = msgs.t("value.list_separator").join(
                msgs.t("rule.schedule.first" if i == 0 else "rule.schedule.next",
                       months=unit_value(msgs, row["months"], "months"), share=msgs.percent(row["waived"]))
                for i, row in enumerate(value))
        elif isinstance(value, Decimal):
            values[name] = unit_value(msgs, value, parameter.unit)
        else:
            values[name] = param_text(value)
    return values


def _label_fields(program: Program) -> dict[str, tuple[str, ...]]:
    """Per parameter, the case fields whose codes its entries are (for their labels):
    the field a condition compares with it, or the field a formula picks an entry by."""
    out: dict[str, tuple[str, ...]] = {}
    for c in program.conditions:
        if c.param:
            out[c.param] = (c.field,)
    key = program.formula.get("key")
    if isinstance(key, str):
        field = key.partition(".")[2]
        for name, parameter in program.parameters.items():
            if isinstance(parameter.values[-1].value, dict):
                out.setdefault(name, (field, "level"))  # a table by the item's field, or by tier
    return out


def _label(msgs: Messages, code: str, fields: tuple[str, ...]) -> str:
    for field in fields:
        label = msgs.choice(code, field)
        if label != code:
            return msgs.t("error.choice", label=label, code=code)
    return code


def _name(msgs: Messages, code: str, fields: tuple[str, ...]) -> str:
    """A code's label alone (a table's values: the key already shows its code)."""
    for field in fields:
        label = msgs.choice(code, field)
        if label != code:
            return label
    return code


def _rows(parameter: Parameter, msgs: Messages, fields: tuple[str, ...]) -> list[dict[str, str]]:
    rows = []
    for row in parameter.values:
        value: Any = row.value
        if parameter.unit == "window":
            text = msgs.t("rule.window", start=msgs.date(value[0]), end=msgs.date(value[1]))
        elif isinstance(value, dict):  # a table: one line per entry, codes as their labels
            money = parameter.unit.startswith("CNY")
            text = "\n".join(msgs.t("rule.entry", key=_label(msgs, k, fields),
                                     value=msgs.money(v) if money and isinstance(v, Decimal) else _name(msgs, str(v), fields[1:] or fields))
                             for k, v in value.items())
        elif isinstance(value, list) and len(value) == 2 and all(isinstance(v, Decimal) for v in value):  # a range
            text = msgs.t("rule.range", low=msgs.number(value[0]), high=msgs.number(value[1]))
        elif isinstance(value, list) and fields and all(isinstance(v, str) for v in value):
            text = msgs.t("value.list_separator").join(_label(msgs, v, fields) for v in value)
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            text = msgs.t("value.list_separator").join(
                msgs.t("rule.schedule.first" if i == 0 else "rule.schedule.next",
                       months=unit_value(msgs, r["months"], "months"), share=msgs.percent(r["waived"]))
                for i, r in enumerate(value))
        else:
            text = param_text(value)
            if parameter.unit not in ("list", "window") and not isinstance(value, (dict, list)):
                text = param_value(msgs, str(value), parameter.unit)
        source = row.source
        start = row.start.isoformat()
        if row.provisional:
            source = msgs.t("explain.provisional", text=source, note=msgs.text(row.note) or "")
            start = msgs.t("rule.provisional", start=start)
        rows.append({"name": f"{param_label(msgs, parameter.name)} ({parameter.name})", "from": start, "value": text, "source": source})
    return rows
