"""A rendered decision (`render_decision`) arranged for a reader: what each beneficiary
gets (one row per program, years and amounts summed), what each narrowly missed
(closest first), and the full working with every statement said once.

Pure arrangement of the rendered data, no layout and no sentence of its own: the
terminal view (cli/check_view.py) decides how it looks."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Data = dict[str, Any]

GENERAL_FILE = "general.toml"  # parameters every program shares: said once, under "general"


@dataclass
class Grant:
    """One program for one beneficiary: its lines of one kind and basis, summed."""
    program: str
    title: str
    kind: str                    # "cash" | "in_kind"
    basis: str                   # "exact" | "maximum"
    years: list[int]
    amount: Decimal | None       # None: in kind with no value on any line
    approved: list[Data]         # for a maximum: the figures that would make it exact


@dataclass
class Miss:
    """A refusal: the program, the item, why (sentences) and how many conditions failed."""
    program: str
    title: str
    item: str | None
    reasons: list[str]
    unmet: int
    flags: list[str]


@dataclass
class Beneficiary:
    id: str
    grants: list[Grant] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)
    notes: list[Data] = field(default_factory=list)  # rendered notes, with the program's title

    @property
    def cash(self) -> Decimal:
        return sum((g.amount for g in self.grants if g.kind == "cash" and g.amount is not None), Decimal("0.00"))

    @property
    def in_kind_value(self) -> Decimal:
        return sum((g.amount for g in self.grants if g.kind == "in_kind" and g.amount is not None), Decimal("0.00"))

    @property
    def in_kind(self) -> bool:
        return any(g.kind == "in_kind" for g in self.grants)

    @property
    def closest(self) -> int:
        return min((m.unmet for m in self.misses), default=0)


def unmet_count(refusal: Data) -> int:
    """How far a refusal is from a grant: its unmet conditions, where "not a talent
    enterprise" counts as the definition's own unmet conditions (`because`)."""
    return sum(len(u.get("because") or [None]) for u in refusal["unmet"])


def summarise(dec: Data) -> list[Beneficiary]:
    """Per beneficiary, in the order the decision first names them (grants, then
    refusals, then notes): grants in program order, misses closest first."""
    people: dict[str, Beneficiary] = {}

    def of(bid: str) -> Beneficiary:
        return people.setdefault(bid, Beneficiary(bid))

    grants: dict[tuple[str, str, str, str], Grant] = {}
    for line in dec["payouts"]:
        key = (line["beneficiary"], line["program"], line["kind"], line["basis"])
        grant = grants.get(key)
        if grant is None:
            grant = grants[key] = Grant(line["program"], line["title"], line["kind"], line["basis"], [], None, [])
            of(line["beneficiary"]).grants.append(grant)
        if line["year"] not in grant.years:
            grant.years.append(line["year"])
        if line["amount"] is not None:
            grant.amount = (grant.amount or Decimal("0.00")) + Decimal(line["amount"])
        for figure in line.get("approved", []):
            if figure not in grant.approved:
                grant.approved.append(figure)
    for x in dec["ineligible"]:
        of(x["beneficiary"]).misses.append(Miss(x["program"], x["title"], x["item"], x["reasons"], unmet_count(x),
                                                [f["text"] for f in x["flags"]]))
    titles = {line["program"]: line["title"] for line in dec["payouts"]}
    titles.update({x["program"]: x["title"] for x in dec["ineligible"]})
    for n in dec["notes"]:
        of(n["beneficiary"]).notes.append({**n, "title": titles.get(n["program"], n["program"])})
    for b in people.values():
        b.misses.sort(key=lambda m: m.unmet)  # stable: program order among equals
    return list(people.values())


def closest_first(people: list[Beneficiary]) -> list[Beneficiary]:
    """Those with misses, the beneficiary whose nearest miss is nearest first."""
    return sorted((b for b in people if b.misses), key=lambda b: b.closest)


# --- the full working ---------------------------------------------------------------

@dataclass
class Working:
    """One program for one beneficiary: each year's computation, then the conditions,
    parameters and flags its lines share, less what the general section says."""
    title: str
    beneficiary: str
    years: list[tuple[str, list[str]]]   # ("2024 enterprises[0].loans[2]", sentences)
    statements: list[str]
    clause: dict[str, str]


@dataclass
class FullWorking:
    general: list[str]
    programs: list[Working]
    refusals: list[tuple[Miss, str, list[str]]]  # (miss, beneficiary, readings not said above)


def _line_statements(line: Data) -> tuple[list[str], list[tuple[str, bool]], list[str]]:
    """A payout line's condition sentences, its parameter sentences (with whether the
    parameter is a general one) and its flag sentences."""
    conditions: list[str] = []
    parameters: list[tuple[str, bool]] = []
    for rendered, said in zip(line["parts"], line["explanation"]["parts"], strict=True):
        conditions.extend(said["conditions"])
        for p, sentence in zip(rendered["parameters"], said["parameters"], strict=True):
            parameters.append((sentence, p.get("file") == GENERAL_FILE))
    return conditions, parameters, [f["text"] for f in line["explanation"]["flags"]]


def general_statements(dec: Data) -> list[str]:
    """What the working says once, before the programs: a general.toml parameter (the
    policy window, the talent categories) and a reading of one, and any parameter or
    reading that two programs or more say."""
    said_by: dict[str, set[str]] = {}
    from_general: list[str] = []
    general_names = {p["name"] for line in dec["payouts"] for part in line["parts"] for p in part["parameters"]
                     if p.get("file") == GENERAL_FILE}
    general_readings: list[str] = []
    for line in dec["payouts"]:
        for sentence, is_general in _line_statements(line)[1]:
            said_by.setdefault(sentence, set()).add(line["program"])
            if is_general and sentence not in from_general:
                from_general.append(sentence)
        for f in line["explanation"]["flags"]:
            said_by.setdefault(f["text"], set()).add(line["program"])
            if f.get("parameter") in general_names and f["text"] not in general_readings:
                general_readings.append(f["text"])
    for x in dec["ineligible"]:
        for f in x["flags"]:
            said_by.setdefault(f["text"], set()).add(x["program"])
    shared = [s for s, programs in said_by.items() if len(programs) > 1]
    out = from_general + [s for s in shared if s not in from_general and s not in general_readings]
    return out + [s for s in general_readings if s not in out]


def full_working(dec: Data) -> FullWorking:
    general = general_statements(dec)
    said = set(general)
    groups: dict[tuple[str, str], list[Data]] = {}
    for line in dec["payouts"]:
        groups.setdefault((line["program"], line["beneficiary"]), []).append(line)
    programs: list[Working] = []
    for (_, beneficiary), lines in groups.items():
        years: list[tuple[str, list[str]]] = []
        conditions: list[str] = []
        parameter_sentences: list[str] = []
        flags: list[str] = []
        parts = [(line, part) for line in lines for part in line["explanation"]["parts"]]
        # What every year grants in kind ("may buy the apartment at cost") is said once,
        # unless a year has nothing else to say.
        every_year = [b for b in parts[0][1]["benefit"] if all(b in part["benefit"] for _, part in parts)]
        if not all(part["steps"] for _, part in parts):
            every_year = []
        for line, part in parts:
            head = str(line["year"]) + (f" {part['item']}" if len(line["explanation"]["parts"]) > 1 else "")
            years.append((head, part["steps"] + [b for b in part["benefit"] if b not in every_year]))
        for line in lines:
            c, p, f = _line_statements(line)
            conditions += c
            parameter_sentences += [s for s, _ in p]
            flags += f
        statements = [s for s in dict.fromkeys(every_year + conditions + parameter_sentences + flags) if s not in said]
        programs.append(Working(lines[0]["title"], beneficiary, years, statements, lines[0]["explanation"]["clause"]))
    told = said.union(*(w.statements for w in programs))  # a refusal does not repeat a reading its program's lines gave
    refusals: list[tuple[Miss, str, list[str]]] = []
    for b in summarise(dec):
        for m in b.misses:
            readings = [t for t in dict.fromkeys(m.flags) if t not in told]
            told.update(readings)
            if readings:
                refusals.append((m, b.id, readings))
    return FullWorking(general, programs, refusals)
