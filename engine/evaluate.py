"""One case in, one decision out: pure and deterministic for a given case, `as_of`,
language and rules."""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import decision as d
from .case_checks import CaseError, bound_checks, pydantic_errors, structural_checks
from .case_model import Case
from .compiler import CompiledBook, compile_rulebook
from .conditions import Assessment, FactIndex, Outcome, assess
from .derivations import talent_enterprises
from .explain import explain_line, reading_flag, requirement
from .facts import FactBuilder
from .formulas import FORMULAS, Context
from .formulas.base import CASH, EXACT, CheckResult, ParamUse, Part
from .i18n import Messages
from .matcher import MAX_FACTS
from .money import fmt
from .rulebook import Program, RuleBook, load_rulebook


class EngineError(RuntimeError):
    """A fault of the engine or its rules, never of the case."""


def jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def parse_case_text(text: str | bytes) -> Any:
    """JSON with numbers read as Decimal, so 0.1 stays exactly 0.1."""
    return json.loads(text, parse_float=Decimal)


class Engine:
    """Rules loaded and compiled once; `evaluate` is called once per case."""

    def __init__(self, rules_dir: Path | str | None = None, book: RuleBook | None = None):
        self.book = book if book is not None else load_rulebook(Path(rules_dir) if rules_dir else None)
        self.compiled: CompiledBook = compile_rulebook(self.book)
        self._facts = FactBuilder(self.book.derived)
        self._definition = self.book.definitions["talent_enterprise"]
        self._order = {p.id: i for i, p in enumerate(self.book.programs)}  # display order of programs

    @property
    def rules_version(self) -> str:
        return self.book.version

    # ---------------------------------------------------------------------------
    def evaluate(self, case: Case | dict | str | bytes, as_of: date | None = None, lang: str | None = None,
                 today: date | None = None) -> d.Decision:
        msgs = Messages.get(lang)
        data: Any = case
        if isinstance(case, (str, bytes)):
            try:
                data = parse_case_text(case)
            except json.JSONDecodeError as exc:
                return self._invalid("", [CaseError("(case)", "json", {"detail": exc.msg, "line": str(exc.lineno), "column": str(exc.colno)})], msgs)
            except UnicodeDecodeError as exc:
                return self._invalid("", [CaseError("(case)", "encoding", {"position": str(exc.start)})], msgs)
        if isinstance(data, Case):
            model = data
        else:
            if not isinstance(data, dict):
                return self._invalid("", [CaseError("(case)", "not_object")], msgs)
            try:
                model = Case.model_validate(data)
            except ValidationError as exc:
                raw_id = data.get("case_id")
                case_id = raw_id if isinstance(raw_id, str) else ""
                return self._invalid(case_id, pydantic_errors(exc), msgs)
        effective = as_of or model.as_of or today or date.today()
        errors = structural_checks(model, effective) + bound_checks(model, self.book.bounds)
        if errors:
            return self._invalid(model.case_id, errors, msgs, effective)
        facts = self._facts.build(model)
        # Each enterprise may add one derived fact (talent_enterprise) in the second phase.
        if len(facts) + len(model.enterprises) > MAX_FACTS:
            return self._invalid(model.case_id, [CaseError("(case)", "too_large", {
                "facts": str(len(facts) + len(model.enterprises)), "limit": str(MAX_FACTS)})], msgs, effective)
        return self._decide(model, facts, effective, msgs)

    def _invalid(self, case_id: str, errors: list[CaseError], msgs: Messages, as_of: date | None = None) -> d.Decision:
        return d.Decision(case_id=case_id, status="invalid", rules_version=self.book.version, lang=msgs.locale,
                          as_of=as_of.isoformat() if as_of else None,
                          errors=[d.ErrorItem(path=e.path, message=_error_message(e, msgs), code=e.code) for e in errors])

    # ---------------------------------------------------------------------------
    def _decide(self, case: Case, facts: list[dict[str, Any]], as_of: date, msgs: Messages) -> d.Decision:
        index = FactIndex(facts)
        definition_rule = self.compiled.by_program[self._definition.id].name
        with self.compiled.matcher.session() as session:
            session.assert_facts(facts)
            derived = talent_enterprises(session.matches().get(definition_rule, []), index, len(facts) + 1)
            definition = self._check_definition(derived, index)
            index.add(derived)
            session.assert_facts(derived)
            matches = session.matches()

        parts: list[Part] = []
        checks: list[CheckResult] = []
        ineligible: list[d.Ineligible] = []
        assessments: dict[tuple[str, int], Assessment] = definition  # (program id, candidate fid) -> assessment
        for program in self.book.programs:
            rule = self.compiled.by_program[program.id]
            bindings = self._bindings(program, matches.get(rule.name, []), index)
            for candidate in index.of(program.facts[program.candidate].type):
                a = assess(program, candidate, index)
                assessments[(program.id, candidate["fid"])] = a
                if a.eligible != (candidate["fid"] in bindings):
                    raise EngineError(f"{program.id}: durable-rules and the condition check disagree on "
                                      f"{candidate['path']} (matched: {candidate['fid'] in bindings})")
                if a.considered and not a.eligible:
                    ineligible.append(self._ineligible(program, a, assessments, msgs))
            ctx = Context(self.book, program, index, as_of)
            try:
                FORMULAS[program.formula["kind"]].fn(ctx, [bindings[fid] for fid in sorted(bindings)])
            except LookupError as exc:  # e.g. a parameter with no row in force on a trigger date
                raise EngineError(f"{program.id} ({program.file}): {exc}") from exc
            parts.extend(ctx.parts)
            checks.extend(ctx.checks)

        payouts = self._payouts(parts, assessments, msgs)
        notes = []
        for c in checks:
            program = self.book.program(c.program)
            message = msgs.text(program.checks[c.check], **{k: msgs.value(v) for k, v in c.values.items()})
            if c.refused:
                # A check is the district's reading of how the clause's figures aggregate.
                flags = [reading_flag(program.reading, msgs)] if program.reading else []
                ineligible.append(d.Ineligible(program=c.program, beneficiary=c.beneficiary, item=c.item,
                                               title=msgs.text(program.title), reasons=[message],
                                               unmet=[d.Unmet(condition=c.check, reason=message, found=jsonable(c.values))],
                                               flags=flags, clause=program.clause))
            else:
                notes.append(d.Note(program=c.program, beneficiary=c.beneficiary, item=c.item, check=c.check,
                                    message=message, values=jsonable(c.values)))
        order = self._order
        ineligible.sort(key=lambda x: (order[x.program], x.beneficiary, x.item or ""))
        notes.sort(key=lambda x: (order[x.program], x.beneficiary, x.item or "", x.check))
        return d.Decision(case_id=case.case_id, status="ok", rules_version=self.book.version, lang=msgs.locale,
                          as_of=as_of.isoformat(), payouts=payouts, ineligible=ineligible, notes=notes,
                          totals=_totals(payouts))

    def _check_definition(self, derived: list[dict], index: FactIndex) -> dict[tuple[str, int], Assessment]:
        """Cross-check the talent-enterprise matches; the assessments explain refusals later."""
        found = {(self._definition.id, e["fid"]): assess(self._definition, e, index) for e in index.of("enterprise")}
        expected = {a.candidate["id"] for a in found.values() if a.eligible}
        if expected != {f["owner"] for f in derived}:
            raise EngineError(f"talent_enterprise: durable-rules and the condition check disagree "
                              f"(matched {sorted(f['owner'] for f in derived)}, expected {sorted(expected)})")
        return found

    def _bindings(self, program: Program, found: list[dict[str, int]], index: FactIndex) -> dict[int, dict]:
        """The first durable match (in sorted order) of each matched candidate."""
        out: dict[int, dict] = {}
        for binding in found:
            fid = binding[program.candidate]
            if fid not in out:
                out[fid] = {alias: index.by_fid[f] for alias, f in binding.items()}
        return out

    # --- reasons -----------------------------------------------------------------
    def _reason(self, program: Program, o: Outcome, a: Assessment, assessments: dict, msgs: Messages) -> str | None:
        if o.condition is None:
            needed = _join_text(program, o.alias, msgs)
            if program.facts[o.alias].type == "talent_enterprise":
                enterprise = next(f for f in a.binding.values() if f is not None and f["t"] == "enterprise")
                sub = assessments[(self._definition.id, enterprise["fid"])]
                because = [r for r in (self._reason(self._definition, u, sub, assessments, msgs) for u in sub.unmet) if r]
                if because:
                    return msgs.t("reason.missing_because", requirement=needed,
                                  because=msgs.t("value.reason_separator").join(because))
            return msgs.t("reason.missing", requirement=needed)
        cond = o.condition
        if a.binding.get(cond.alias) is None or (cond.ref and a.binding.get(cond.ref[0]) is None):
            return None  # said once, by the missing fact
        return msgs.t("reason.unmet", requirement=requirement(cond, o.expected, msgs),
                      actual=msgs.value(o.actual, cond.kind, cond.field))

    def _ineligible(self, program: Program, a: Assessment, assessments: dict, msgs: Messages) -> d.Ineligible:
        beneficiary = a.binding.get(program.beneficiary)
        unmet = []
        said = []
        for o in a.unmet:
            reason = self._reason(program, o, a, assessments, msgs)
            if reason is None:
                continue
            said.append(o)
            unmet.append(d.Unmet(condition=o.id, reason=reason, found=jsonable(o.actual), field=_field_name(program, o)))
        flags = []
        for o in said:  # a failed condition that follows a reading says so
            if o.condition is not None and o.condition.param:
                reading = self.book.parameter(program, o.condition.param).reading
                flag = reading_flag(reading, msgs, parameter=o.condition.param) if reading else None
                if flag and flag not in flags:
                    flags.append(flag)
        return d.Ineligible(program=program.id, beneficiary=beneficiary["id"] if beneficiary else a.candidate["owner"],
                            item=a.candidate["path"], title=msgs.text(program.title),
                            reasons=[u.reason for u in unmet], unmet=unmet, flags=flags, clause=program.clause)

    # --- lines -------------------------------------------------------------------
    def _payouts(self, parts: list[Part], assessments: dict, msgs: Messages) -> list[d.Payout]:
        groups: dict[tuple, list[Part]] = defaultdict(list)
        for p in parts:
            groups[(p.program, p.beneficiary, p.year, p.kind, p.basis)].append(p)
        order = self._order
        out = []
        for key in sorted(groups, key=lambda k: (order[k[0]], k[1], k[2], k[3], k[4])):
            program_id, beneficiary, year, kind, basis = key
            program = self.book.program(program_id)
            members = sorted(groups[key], key=lambda p: p.item)
            amounts = [p.amount for p in members if p.amount is not None]
            amount = fmt(sum(amounts, Decimal(0))) if amounts else None
            line = d.Payout(
                program=program_id, beneficiary=beneficiary, year=year, kind=kind, amount=amount, basis=basis,
                title=msgs.text(program.title),
                parts=[self._part(program, p, assessments, msgs) for p in members])
            line.explanation = explain_line(line, program, self.book, msgs)
            out.append(line)
        return out

    def _part(self, program: Program, p: Part, assessments: dict, msgs: Messages) -> d.Part:
        candidate = p.binding[program.candidate]
        a = assessments[(program.id, candidate["fid"])]
        conditions = [{"condition": o.id, "met": o.met, "found": jsonable(o.actual), "field": _field_name(program, o),
                       "requirement": requirement(o.condition, o.expected, msgs) if o.condition else
                       _join_text(program, o.alias, msgs)}
                      for o in a.outcomes]
        uses = list(p.params)
        for cond in program.conditions:  # the parameters the conditions read: window, lists, ranges
            if cond.param and all(u.name != cond.param for u in uses):
                parameter = self.book.parameter(program, cond.param)
                uses.append(ParamUse.of(parameter, parameter.only))
        return d.Part(item=p.item, amount=fmt(p.amount), steps=p.steps, conditions=conditions,
                      parameters=[u.as_dict() for u in uses], benefit=msgs.text(p.benefit, year=p.year, **{k: str(v) for k, v in p.detail.items()}) or None,
                      detail=jsonable(p.detail))


def _field_name(program: Program, o: Outcome) -> str | None:
    """The case-format name of the field an outcome read (type.field)."""
    return None if o.field is None else f"{program.facts[o.alias].type}.{o.field}"


def _join_text(program: Program, alias: str, msgs: Messages) -> str:
    """What a joined fact stands for: the rule file's text, or a generic sentence."""
    pattern = program.facts[alias]
    return msgs.text(pattern.text) if pattern.text else msgs.t("reason.no_fact", type=pattern.type)


def _error_message(e: CaseError, msgs: Messages) -> str:
    key = f"error.{e.code}"
    if msgs.has(key):
        return msgs.t(key, **e.params)
    return e.fallback or e.code  # a pydantic code the catalog does not know: its own English


def _totals(payouts: list[d.Payout]) -> d.Totals:
    cash = cash_exact = in_kind = Decimal(0)
    by_year: dict[int, Decimal] = defaultdict(Decimal)
    for line in payouts:
        if line.amount is None:
            continue
        amount = Decimal(line.amount)
        if line.kind == CASH:
            cash += amount
            by_year[line.year] += amount
            if line.basis == EXACT:
                cash_exact += amount
        else:
            in_kind += amount
    return d.Totals(cash=fmt(cash), cash_exact=fmt(cash_exact),
                    by_year={str(y): fmt(v) for y, v in sorted(by_year.items())}, in_kind_value=fmt(in_kind))
