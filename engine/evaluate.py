"""One case in, one decision out: pure and deterministic for a given case, `as_of`
and rules. The decision is data (engine/decision.py); no sentence is made here."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from .case_checks import CaseError, check_case
from .case_model import Case
from .compiler import CompiledBook, compile_rulebook
from .conditions import Assessment, FactIndex, Match, Outcome, assess
from .decision import Data, Decision, decision_data, error_item
from .derivations import talent_enterprises
from .facts import FactBuilder
from .formulas import FORMULAS, Context
from .formulas.base import MAXIMUM, CheckResult, Part, param_text
from .json_input import CaseInputError, parse_case
from .matcher import MAX_FACTS
from .money import fmt
from .rulebook import Program, RuleBook, load_rulebook


class EngineError(RuntimeError):
    """A fault of the engine or its rules, never of the case."""


def jsonable(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value  # the commonest, as they are
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


class Engine:
    """Rules loaded and compiled once; `evaluate` is called once per case."""

    def __init__(self, rules_dir: Path | str | None = None, book: RuleBook | None = None):
        self.book = book if book is not None else load_rulebook(Path(rules_dir) if rules_dir else None)
        self.compiled: CompiledBook = compile_rulebook(self.book)
        self._facts = FactBuilder(self.book.derived)
        self._definition = self.book.definitions["talent_enterprise"]
        self._order = {p.id: i for i, p in enumerate(self.book.programs)}  # display order of programs
        self._row_flags_seen: dict[tuple[str, str, str], tuple[bool, bool]] = {}
        # Per program, the parameters its conditions read (window, lists), as part data.
        self._condition_params: dict[str, list[tuple[str, Data]]] = {}
        for program in self.book.programs:
            uses: list[tuple[str, Data]] = []
            for cond in program.conditions:
                if cond.param and all(n != cond.param for n, _ in uses):
                    row = self.book.parameter(program, cond.param).only
                    uses.append((cond.param, {"name": cond.param, "from": row.start.isoformat(), "value": param_text(row.value)}))
            self._condition_params[program.id] = uses

    @property
    def rules_version(self) -> str:
        return self.book.version

    # ---------------------------------------------------------------------------
    def evaluate(self, case: Case | dict | str | bytes, as_of: date | None = None, lang: str | None = None,
                 today: date | None = None) -> Decision:
        """The decision for one case. `lang` is only the default language of
        `Decision.render()`: the decision's data is the same in every language."""
        decision = self._evaluate(case, as_of, today)
        decision.lang = lang
        return decision

    def _evaluate(self, case: Case | dict | str | bytes, as_of: date | None, today: date | None) -> Decision:
        data: Any = case
        if isinstance(case, (str, bytes)):
            try:
                data = parse_case(case)
            except CaseInputError as exc:
                return self._invalid("", exc.errors)
        if not isinstance(data, (Case, dict)):
            return self._invalid("", [CaseError("(case)", "not_object")])
        model, effective, errors = check_case(data, self.book.bounds, as_of, today)
        if model is None or effective is None:
            raw_id = data.get("case_id") if isinstance(data, dict) else data.case_id
            return self._invalid(raw_id if isinstance(raw_id, str) else "", errors, effective)
        facts = self._facts.build(model)
        # Each enterprise may add one derived fact (talent_enterprise) in the second phase.
        if len(facts) + len(model.enterprises) > MAX_FACTS:
            return self._invalid(model.case_id, [CaseError("(case)", "too_large", {
                "facts": str(len(facts) + len(model.enterprises)), "limit": str(MAX_FACTS)})], effective)
        return self._decide(model, facts, effective)

    def _invalid(self, case_id: str, errors: list[CaseError], as_of: date | None = None) -> Decision:
        items = [error_item(e.path, e.code, e.params, e.fallback) for e in errors]
        data = decision_data(case_id, "invalid", self.book.version, as_of.isoformat() if as_of else None, errors=items)
        return Decision(data, self.book)

    # ---------------------------------------------------------------------------
    def _decide(self, case: Case, facts: list[dict[str, Any]], as_of: date) -> Decision:
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
        ineligible: list[Data] = []
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
                    ineligible.append(self._ineligible(program, a, assessments))
            ctx = Context(self.book, program, index, as_of)
            try:
                FORMULAS[program.formula["kind"]].fn(ctx, [bindings[fid] for fid in sorted(bindings)])
            except LookupError as exc:  # e.g. a parameter with no row in force on a trigger date
                raise EngineError(f"{program.id} ({program.file}): {exc}") from exc
            parts.extend(ctx.parts)
            checks.extend(ctx.checks)

        notes: list[Data] = []
        for c in checks:
            program = self.book.program(c.program)
            values = jsonable(c.values)
            if c.refused:
                # A check is the district's reading of how the clause's figures aggregate.
                ineligible.append({"program": c.program, "beneficiary": c.beneficiary, "item": c.item, "reasons": [c.check],
                                   "unmet": [{"condition": c.check, "kind": "check", "found": values}],
                                   "flags": [{"kind": "reading"}] if program.reading else []})
            else:
                notes.append({"program": c.program, "beneficiary": c.beneficiary, "item": c.item, "check": c.check,
                              "values": values})
        order = self._order
        ineligible.sort(key=lambda x: (order[x["program"]], x["beneficiary"], x["item"] or ""))
        notes.sort(key=lambda x: (order[x["program"]], x["beneficiary"], x["item"] or "", x["check"]))
        data = decision_data(case.case_id, "ok", self.book.version, as_of.isoformat(),
                             payouts=self._payouts(parts, assessments), ineligible=ineligible, notes=notes)
        return Decision(data, self.book)

    def _check_definition(self, derived: list[dict], index: FactIndex) -> dict[tuple[str, int], Assessment]:
        """Cross-check the talent-enterprise matches; the assessments explain refusals later."""
        found = {(self._definition.id, e["fid"]): assess(self._definition, e, index) for e in index.of("enterprise")}
        expected = {a.candidate["id"] for a in found.values() if a.eligible}
        if expected != {f["owner"] for f in derived}:
            raise EngineError(f"talent_enterprise: durable-rules and the condition check disagree "
                              f"(matched {sorted(f['owner'] for f in derived)}, expected {sorted(expected)})")
        return found

    def _bindings(self, program: Program, found: list[dict[str, int]], index: FactIndex) -> dict[int, Match]:
        """The first durable match (in sorted order) of each matched candidate."""
        out: dict[int, Match] = {}
        for binding in found:
            fid = binding[program.candidate]
            if fid not in out:
                out[fid] = {alias: index.by_fid[f] for alias, f in binding.items()}
        return out

    # --- reasons -----------------------------------------------------------------
    def _unmet(self, program: Program, o: Outcome, a: Assessment, assessments: dict) -> Data | None:
        """A failed condition as data; None when it is said by the missing fact it reads."""
        if o.condition is None:
            out: Data = {"condition": o.id, "found": None, "field": None}
            if program.facts[o.alias].type == "talent_enterprise":
                enterprise = next(f for f in a.binding.values() if f is not None and f["t"] == "enterprise")
                sub = assessments[(self._definition.id, enterprise["fid"])]
                because = [u for u in (self._unmet(self._definition, s, sub, assessments) for s in sub.unmet) if u]
                if because:
                    out["because"] = because
            return out
        cond = o.condition
        if a.binding.get(cond.alias) is None or (cond.ref and a.binding.get(cond.ref[0]) is None):
            return None  # said once, by the missing fact
        out = {"condition": o.id, "found": jsonable(o.actual), "field": _field_name(program, o)}
        if cond.ref is not None:
            out["expected"] = jsonable(o.expected)  # the other fact's value; a literal is in the rules
        return out

    def _ineligible(self, program: Program, a: Assessment, assessments: dict) -> Data:
        beneficiary = a.binding.get(program.beneficiary)
        unmet = []
        flags: list[Data] = []
        for o in a.unmet:
            u = self._unmet(program, o, a, assessments)
            if u is None:
                continue
            unmet.append(u)
            if o.condition is not None and o.condition.param:  # a failed condition that follows a reading says so
                flag = {"kind": "reading", "parameter": o.condition.param}
                if self.book.parameter(program, o.condition.param).reading and flag not in flags:
                    flags.append(flag)
        return {"program": program.id, "beneficiary": beneficiary["id"] if beneficiary else a.candidate["owner"],
                "item": a.candidate["path"], "reasons": [u["condition"] for u in unmet], "unmet": unmet, "flags": flags}

    # --- lines -------------------------------------------------------------------
    def _payouts(self, parts: list[Part], assessments: dict) -> list[Data]:
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
            line_parts = [self._part(program, p, assessments) for p in members]
            out.append({"program": program_id, "beneficiary": beneficiary, "year": year, "kind": kind,
                        "amount": fmt(sum(amounts, Decimal(0))) if amounts else None, "basis": basis,
                        "parts": line_parts, "flags": self._flags(program, basis, line_parts)})
        return out

    def _part(self, program: Program, p: Part, assessments: dict) -> Data:
        candidate = p.binding[program.candidate]
        a = assessments[(program.id, candidate["fid"])]
        conditions = []
        for o in a.outcomes:
            c: Data = {"condition": o.id, "met": o.met, "found": jsonable(o.actual), "field": _field_name(program, o)}
            if o.condition is not None and o.condition.ref is not None:
                c["expected"] = jsonable(o.expected)
            conditions.append(c)
        uses = [{"name": u.name, "from": u.start.isoformat(), "value": u.value} for u in p.params]
        for name, use in self._condition_params[program.id]:  # the parameters the conditions read: window, lists
            if all(u["name"] != name for u in uses):
                uses.append(use)
        out: Data = {"item": p.item, "amount": fmt(p.amount), "steps": p.steps, "conditions": conditions, "parameters": uses}
        if p.benefit:
            out["benefit"] = p.benefit
        out["detail"] = jsonable(p.detail)
        return out

    def _flags(self, program: Program, basis: str, parts: list[Data]) -> list[Data]:
        """What in a line is not the clause's own figure: the program's reading, each
        provisional row, each parameter's reading, and a maximum line."""
        flags: list[Data] = [{"kind": "reading"}] if program.reading else []
        rows = [(u["name"], u["from"]) for part in parts for u in part["parameters"]]
        seen: set[tuple[str, str]] = set()
        for name, start in rows:  # each provisional row once, however many parts use it
            if (name, start) not in seen and self._row_flags(program, name, start)[0]:
                seen.add((name, start))
                flags.append({"kind": "provisional", "parameter": name, "from": start})
        for name, start in rows:
            flag = {"kind": "reading", "parameter": name}
            if self._row_flags(program, name, start)[1] and flag not in flags:
                flags.append(flag)
        if basis == MAXIMUM:
            flags.append({"kind": "maximum"})
        return flags

    def _row_flags(self, program: Program, name: str, start: str) -> tuple[bool, bool]:
        """(provisional, follows a reading) of the row of a parameter in force from `start`."""
        key = (program.id, name, start)
        found = self._row_flags_seen.get(key)
        if found is None:
            parameter = self.book.parameter(program, name)
            row = parameter.row_from(start)
            found = self._row_flags_seen[key] = (row.provisional, parameter.reading is not None)
        return found


def _field_name(program: Program, o: Outcome) -> str | None:
    """The case-format name of the field an outcome read (type.field)."""
    return None if o.field is None else f"{program.facts[o.alias].type}.{o.field}"
