"""Realistic synthetic cases for `xisai batch`, as JSON Lines, from a seed.

    python benchmarks/gen_cases.py -n 100000 -o cases-100k.jsonl
    python benchmarks/gen_cases.py -n 10000 --broken 0.05 --seed 7 -o -

Like a real intake, most cases are small: one talent applicant (a living allowance,
perhaps a home), or one founder and the enterprise founded (office space, tax,
loans, products), or one employer (interns, poverty hires, awards, standards,
listings), or one placement agency. One case in ten is large: several persons and
enterprises with every kind of fact. Every program of the brief is exercised; dates
fall before each case's `as_of`, mostly inside the policy window, some before it.

A share of the lines (`--broken`, default 0.02) is broken the ways intake files break:
a line cut short (not JSON), a typo'd field name, an unknown enum value, a malformed
date, an event after `as_of`, a founder that names no person.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

WINDOW_START, WINDOW_END = date(2021, 12, 25), date(2025, 12, 31)
FIRST = date(2019, 1, 1)
PROFILES = (("talent", 0.42), ("founder", 0.22), ("employer", 0.16), ("agency", 0.06), ("housing", 0.04), ("large", 0.10))
BOARDS = ["sse_main", "szse_main", "chinext", "star", "bse", "overseas_main", "neeq", "wuhan_equity"]


class Gen:
    def __init__(self, r: random.Random, as_of: date):
        self.r = r
        self.as_of = as_of

    def day(self, first: date = FIRST, last: date | None = None, in_window: float = 0.85) -> str:
        """A date before as_of; most fall inside the policy window."""
        last = min(last or self.as_of, self.as_of)
        if self.r.random() < in_window:
            first = max(first, WINDOW_START)
            last = min(last, WINDOW_END)
        if last < first:
            last = first = min(self.as_of, max(first, FIRST))
        return (first + timedelta(days=self.r.randint(0, (last - first).days))).isoformat()

    def money(self, low: int, high: int) -> str:
        return f"{self.r.randint(low * 100, high * 100) / 100:.2f}"

    # --- entities -------------------------------------------------------------------
    def person(self, pid: str, talent: bool = True, category: str | None = None) -> dict[str, Any]:
        r = self.r
        p: dict[str, Any] = {"id": pid, "name": f"申请人{pid}", "birth_date": self.day(date(1960, 1, 1), date(1998, 12, 31), 0),
                             "settled_in_district": r.random() < 0.9}
        if talent:
            p["talent"] = {"category": category or r.choice(["team_member", "high_level_entrepreneur"]),
                           "recognized_on": self.day()}
            if r.random() < 0.3:
                p["talent"]["approved_monthly_allowance"] = str(r.choice([800, 1000, 1500, 2000]))
        return p

    def enterprise(self, eid: str, founders: list[str] | None = None, private: float = 0.85) -> dict[str, Any]:
        r = self.r
        e: dict[str, Any] = {"id": eid, "name": f"企业{eid}", "registered_in_district": r.random() < 0.92,
                             "ownership": "private" if r.random() < private else r.choice(["state_owned", "collective", "foreign", "other"]),
                             "founded_on": self.day(in_window=0.6), "employees": r.randint(3, 300)}
        if founders:
            e["founders"] = founders
        return e

    def founder_facts(self, e: dict[str, Any]) -> None:
        """What a talent enterprise applies for: space, tax, loans, land, products."""
        r = self.r
        founded = date.fromisoformat(e["founded_on"])
        if r.random() < 0.7:
            space: dict[str, Any] = {"approved_area_m2": r.randint(100, 1000)} if r.random() < 0.5 else {}
            if r.random() < 0.6:
                space.update(rented_area_m2=r.randint(80, 1500), monthly_rent_per_m2=self.money(10, 60),
                             lease_start=self.day(founded))
            if space:
                e["space"] = space
        years = range(max(2019, founded.year), self.as_of.year + 1)
        e["retained_tax"] = {str(y): self.money(10_000, 2_000_000) for y in years if r.random() < 0.6}
        e["loans"] = [{"year": r.choice(list(years)), "lender": r.choice(["bank", "bank", "licensed_institution", "private"]),
                       "interest_paid": self.money(5_000, 900_000)} for _ in range(r.choice([0, 0, 1, 1, 2, 3]))]
        if r.random() < 0.25:
            e["land_purchases"] = [{"date": self.day(founded), "transfer_price": self.money(1_000_000, 40_000_000),
                                    "for_industrialization": r.random() < 0.85,
                                    **({"approved_ratio": r.choice([0.1, 0.2, 0.3])} if r.random() < 0.4 else {})}]
        if r.random() < 0.4:
            e["new_products"] = [{"name": f"产品{i}", "kind": r.choice(["technology", "product", "service"]),
                                  "developed_on": self.day(founded)} for i in range(r.randint(1, 2))]

    def employer_facts(self, e: dict[str, Any]) -> None:
        r = self.r
        if r.random() < 0.5:
            e["interns"] = []
            for _ in range(r.randint(1, 4)):
                start = date.fromisoformat(self.day())
                birth = start - timedelta(days=r.randint(16 * 365, 26 * 365))
                e["interns"].append({"birth_date": birth.isoformat(), "start": start.isoformat(), "months": r.randint(1, 12),
                                     "registered_unemployed": r.random() < 0.85})
        if r.random() < 0.4:
            e["poverty_hires"] = [{"hired_on": self.day(), "registered_poor": r.random() < 0.9} for _ in range(r.randint(1, 3))]
        if r.random() < 0.25:
            e["quality_awards"] = [{"level": r.choice(["national", "provincial", "municipal"]), "awarded_on": self.day()}]
        if r.random() < 0.25:
            e["standards"] = [{"level": r.choice(["international", "national", "industry", "district"]),
                               "role": r.choice(["lead", "participant"]), "published_on": self.day()}]
        if r.random() < 0.1:
            e["trademarks"] = [{"kind": "china_well_known", "recognized_on": self.day()}]
        if r.random() < 0.12:
            e["listings"] = [{"board": r.choice(BOARDS), "listed_on": self.day()}]
        if r.random() < 0.15:
            years = sorted(r.sample(range(2021, self.as_of.year + 1), min(r.randint(1, 3), self.as_of.year - 2020)))
            e["incubator"] = {"years": [{"year": y, "enterprise_months": r.randint(12, 240)} for y in years]}
            if r.random() < 0.5:
                e["incubator"]["approved_rate"] = str(r.choice([500, 600, 800, 1000]))

    def staff(self, p: dict[str, Any], employer: str) -> None:
        r = self.r
        p["employer"] = employer
        p["is_executive"] = r.random() < 0.3
        p["school_age_children"] = r.random() < 0.4
        if r.random() < 0.4:
            p["apartment"] = {"start": self.day(), "monthly_rent": self.money(800, 4000)}

    def agency(self, aid: str) -> dict[str, Any]:
        r = self.r
        return {"id": aid, "name": f"人力资源服务机构{aid}", "kind": r.choice(["hr_service_agency", "hr_service_station", "other"]),
                "placements": [{"placed_on": self.day(), "months_worked": r.randint(0, 24),
                                "employer_ownership": r.choice(["private", "private", "state_owned"]),
                                "employer_in_district": r.random() < 0.85} for _ in range(r.randint(1, 6))]}


def case(seed: int) -> dict[str, Any]:
    r = random.Random(seed)
    as_of = date(2022, 3, 1) + timedelta(days=r.randint(0, 1400))
    g = Gen(r, as_of)
    profile = r.choices([p for p, _ in PROFILES], [w for _, w in PROFILES])[0]
    persons: list[dict[str, Any]] = []
    enterprises: list[dict[str, Any]] = []
    agencies: list[dict[str, Any]] = []
    if profile == "talent":
        persons.append(g.person("P1"))
        if r.random() < 0.3:
            enterprises.append(g.enterprise("E1"))
            g.staff(persons[0], "E1")
    elif profile == "housing":
        p = g.person("P1")
        p["home_purchase"] = {"date": g.day(), "total_price": g.money(300_000, 2_500_000),
                              "in_district": r.random() < 0.9, "first_home": r.random() < 0.85}
        persons.append(p)
    elif profile == "founder":
        persons.append(g.person("P1", category="high_level_entrepreneur"))
        e = g.enterprise("E1", ["P1"])
        g.founder_facts(e)
        enterprises.append(e)
    elif profile == "employer":
        e = g.enterprise("E1")
        g.employer_facts(e)
        enterprises.append(e)
    elif profile == "agency":
        agencies.append(g.agency("A1"))
    else:  # large: several of everything
        persons = [g.person(f"P{i}", talent=r.random() < 0.8) for i in range(1, r.randint(3, 8) + 1)]
        for i in range(1, r.randint(2, 4) + 1):
            founders = r.sample([p["id"] for p in persons], r.randint(0, 2))
            e = g.enterprise(f"E{i}", founders or None)
            g.founder_facts(e)
            g.employer_facts(e)
            enterprises.append(e)
        for p in persons:
            if r.random() < 0.5:
                g.staff(p, r.choice(enterprises)["id"])
            if r.random() < 0.3:
                p["home_purchase"] = {"date": g.day(), "total_price": g.money(300_000, 2_500_000),
                                      "in_district": True, "first_home": r.random() < 0.8}
        if r.random() < 0.4:
            agencies.append(g.agency("A1"))
    out: dict[str, Any] = {"case_id": f"bench-{seed:08d}", "as_of": as_of.isoformat()}
    if persons:
        out["persons"] = persons
    if enterprises:
        out["enterprises"] = enterprises
    if agencies:
        out["agencies"] = agencies
    return out


def broken(seed: int) -> str:
    """A line as intake files break them."""
    r = random.Random(seed ^ 0x5EED)
    c = case(seed)
    kind = r.choice(["cut", "typo", "enum", "date", "after_as_of", "reference"])
    target = (c.get("persons") or c.get("enterprises") or c.get("agencies") or [{}])[0]
    if kind == "cut":
        text = json.dumps(c, ensure_ascii=False)
        return text[: r.randint(1, len(text) - 1)]
    if kind == "typo":
        target["registerd_in_district"] = True
    elif kind == "enum":  # a value outside the list, on whichever entity the case has
        if "talent" in target:
            target["talent"]["category"] = "expert"
        elif "kind" in target:
            target["kind"] = "recruiter"
        else:
            target["ownership"] = "privat"
    elif kind == "date":
        c["as_of"] = c["as_of"].replace("-", "/")
    elif kind == "after_as_of":
        target["founded_on" if "ownership" in target else "birth_date"] = "2099-01-01"
    else:
        c.setdefault("enterprises", []).append({"id": "EX", "founders": ["NOBODY"]})
    return json.dumps(c, ensure_ascii=False)


def lines(n: int, seed: int = 0, broken_share: float = 0.02) -> Iterator[str]:
    picker = random.Random(seed)
    for i in range(n):
        s = seed * 1_000_003 + i
        yield broken(s) if picker.random() < broken_share else json.dumps(case(s), ensure_ascii=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="cases (lines) to write")
    parser.add_argument("-o", "--output", default="-", help="a file, or - for standard output")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--broken", type=float, default=0.02, help="share of broken lines")
    args = parser.parse_args()
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
    with out:
        for line in lines(args.n, args.seed, args.broken):
            out.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
