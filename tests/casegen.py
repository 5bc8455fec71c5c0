"""Random valid cases (format v1) from a seed: for property tests and benchmarks.

Dates fall between 2019 and as_of, so cases land on both sides of the policy window;
approved figures stay inside the clause's ranges, so every case is valid."""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

START = date(2019, 1, 1)


def _day(r: random.Random, last: date, first: date = START) -> str:
    return (first + timedelta(days=r.randint(0, max(0, (last - first).days)))).isoformat()


def _money(r: random.Random, high: int) -> str:
    return f"{r.randint(0, high * 100) / 100:.2f}"


def generate(seed: int) -> dict:
    r = random.Random(seed)
    as_of = date(2021, 6, 1) + timedelta(days=r.randint(0, 2000))
    persons, enterprises, agencies = [], [], []
    n_persons, n_enterprises = r.randint(0, 3), r.randint(0, 3)
    for i in range(n_persons):
        p: dict = {"id": f"P{i}", "settled_in_district": r.random() < 0.7}
        if r.random() < 0.7:
            p["talent"] = {"category": r.choice(["team_member", "high_level_entrepreneur"]), "recognized_on": _day(r, as_of)}
            if r.random() < 0.4:
                p["talent"]["approved_monthly_allowance"] = str(r.randint(1, 2000))
        if r.random() < 0.5:
            p["home_purchase"] = {"date": _day(r, as_of), "total_price": _money(r, 2_000_000),
                                  "in_district": r.random() < 0.8, "first_home": r.random() < 0.8}
        if n_enterprises and r.random() < 0.5:
            p["employer"] = f"E{r.randrange(n_enterprises)}"
            p["is_executive"] = r.random() < 0.3
            p["school_age_children"] = r.random() < 0.5
            if r.random() < 0.5:
                p["apartment"] = {"start": _day(r, as_of), "monthly_rent": _money(r, 5000)}
        persons.append(p)
    for i in range(n_enterprises):
        e: dict = {"id": f"E{i}", "registered_in_district": r.random() < 0.85,
                   "ownership": r.choice(["private", "private", "state_owned", "collective", "foreign", "other"])}
        if r.random() < 0.85:
            e["founded_on"] = _day(r, as_of)
        if persons and r.random() < 0.7:
            e["founders"] = r.sample([p["id"] for p in persons], r.randint(1, len(persons)))
        space: dict = {}
        if r.random() < 0.4:
            space["approved_area_m2"] = r.randint(100, 1000)
        if r.random() < 0.5:
            space.update(rented_area_m2=r.randint(20, 2000), monthly_rent_per_m2=_money(r, 80), lease_start=_day(r, as_of))
        if space:
            e["space"] = space
        e["land_purchases"] = [dict({"date": _day(r, as_of), "transfer_price": _money(r, 50_000_000),
                                     "for_industrialization": r.random() < 0.8},
                                    **({"approved_ratio": r.randint(1, 30) / 100} if r.random() < 0.4 else {}))
                               for _ in range(r.randint(0, 2))]
        if r.random() < 0.4:
            years = r.sample(range(2019, as_of.year + 1), min(r.randint(1, 4), as_of.year - 2018))
            e["incubator"] = {"years": [{"year": y, "enterprise_months": r.randint(0, 300)} for y in sorted(years)]}
            if r.random() < 0.5:
                e["incubator"]["approved_rate"] = str(r.randint(500, 1000))
        e["retained_tax"] = {str(y): _money(r, 3_000_000) for y in range(2019, as_of.year + 1) if r.random() < 0.4}
        e["loans"] = [{"year": r.randint(2019, as_of.year), "lender": r.choice(["bank", "licensed_institution", "private"]),
                       "interest_paid": _money(r, 1_500_000)} for _ in range(r.randint(0, 4))]
        e["new_products"] = [{"name": "x", "kind": r.choice(["technology", "product", "service"]), "developed_on": _day(r, as_of)}
                             for _ in range(r.randint(0, 1))]
        e["trademarks"] = [{"kind": "china_well_known", "recognized_on": _day(r, as_of)} for _ in range(r.randint(0, 1))]
        e["quality_awards"] = [{"level": r.choice(["national", "provincial", "municipal"]), "awarded_on": _day(r, as_of)}
                               for _ in range(r.randint(0, 2))]
        e["standards"] = [{"level": r.choice(["international", "national", "industry", "district"]),
                           "role": r.choice(["lead", "participant"]), "published_on": _day(r, as_of)} for _ in range(r.randint(0, 2))]
        e["listings"] = [{"board": r.choice(["sse_main", "szse_main", "chinext", "star", "bse", "overseas_main", "neeq", "wuhan_equity"]),
                          "listed_on": _day(r, as_of)} for _ in range(r.randint(0, 2))]
        e["interns"] = []
        for _ in range(r.randint(0, 3)):
            start = date.fromisoformat(_day(r, as_of))
            birth = start - timedelta(days=r.randint(14 * 365, 27 * 365))
            e["interns"].append({"birth_date": birth.isoformat(), "start": start.isoformat(), "months": r.randint(1, 12),
                                 "registered_unemployed": r.random() < 0.8})
        e["poverty_hires"] = [{"hired_on": _day(r, as_of), "registered_poor": r.random() < 0.8} for _ in range(r.randint(0, 2))]
        enterprises.append(e)
    if r.random() < 0.4:
        agencies.append({"id": "A0", "kind": r.choice(["hr_service_agency", "hr_service_station", "other"]),
                         "placements": [{"placed_on": _day(r, as_of), "months_worked": r.randint(0, 24),
                                         "employer_ownership": r.choice(["private", "state_owned"]),
                                         "employer_in_district": r.random() < 0.8} for _ in range(r.randint(0, 4))]})
    return {"case_id": f"gen-{seed}", "as_of": as_of.isoformat(), "persons": persons,
            "enterprises": enterprises, "agencies": agencies}


MONEY_FIELDS = ("total_price", "monthly_rent", "monthly_rent_per_m2", "transfer_price", "interest_paid")


def scaled(case: dict, factor: int) -> dict:
    """The same case with every price, rent, tax and interest figure multiplied."""
    def walk(node):
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k in MONEY_FIELDS:
                    out[k] = str(Decimal(v) * factor)
                elif k == "retained_tax":
                    out[k] = {y: str(Decimal(a) * factor) for y, a in v.items()}
                else:
                    out[k] = walk(v)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node
    return walk(case)
