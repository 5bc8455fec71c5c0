"""Formula kinds for enterprise benefits: space, land, incubators, tax and loans."""
from __future__ import annotations

from collections import defaultdict

from ..conditions import Match
from ..trace import Trace
from .base import CASH, EXACT, IN_KIND, MAXIMUM, Context, formula, in_window, months_by_year, value_of


def _te(b: Match) -> dict:
    return b["te"]  # the alias of the talent_enterprise fact (checked at load)


def _first_day(ctx: Context, year: int):
    """The day a whole-year figure's parameters are read on: 1 January, or the
    window's first day if later."""
    return max(ctx.window[0], ctx.window[0].replace(year=year, month=1, day=1))


@formula("office_space", aliases={"te": "talent_enterprise"}, params=("min_area", "max_area", "months"),
         texts=("benefit_in_kind",),
         reads=("space.approved_area_m2", "space.rented_area_m2", "space.monthly_rent_per_m2", "space.lease_start"),
         shows={"trigger_in_window": {"low": "window.start", "high": "window.end"}})
def office_space(ctx: Context, matched: list[Match]) -> None:
    """Area A = approved area, else the maximum. Renting: min(rented, A) x rent x months
    for `months` months from the later of lease start and Q; otherwise A m2 in kind
    for `months` months from Q."""
    for b in matched:
        ent_id = ctx.beneficiary(b)
        space = next(iter(ctx.index.of("space", ent_id)), None)
        q = _te(b)["q"]
        renting = space if space is not None and space.get("lease_start") is not None else None
        start = max(renting["lease_start"], q) if renting is not None else q
        if not in_window(ctx, start):
            ctx.check(b, "trigger_in_window", refused=True, item=ctx.path(b), found=start,
                      low=ctx.window[0], high=ctx.window[1])
            continue
        approved = space.get("approved_area_m2") if space is not None else None
        min_area, min_use = ctx.param("min_area", start)
        months, months_use = ctx.param("months", start)
        if space is not None and approved is not None:
            area = Trace.case_value(approved, "space.approved_area_m2", "m2", space["path"])
            params = [months_use, ctx.window_use()]
        else:
            area, max_use = ctx.traced("max_area", start)
            params = [max_use, months_use, ctx.window_use()]
        if renting is not None:
            rented = Trace.case_value(renting["rented_area_m2"], "space.rented_area_m2", "m2", renting["path"])
            rent = Trace.case_value(renting["monthly_rent_per_m2"], "space.monthly_rent_per_m2", "CNY/m2/month", renting["path"])
            # Exact when the area does not depend on the undecided figure (brief).
            exact = approved is not None or renting["rented_area_m2"] <= min_area
            if approved is None and exact:
                params = [min_use] + params
            for year, _, n in months_by_year(start, int(months)):
                t = Trace()
                eff = t.min("subsidised_area", rented, area)
                amount = t.round("amount", t.mul("rent_times_months", eff, rent, Trace.count(n, "months_in_year", year=year)))
                ctx.add(b, year, CASH, EXACT if exact else MAXIMUM, amount.amount, t, params,
                        item=renting["path"], start=start.isoformat(), months=n)
        else:
            for year, _, n in months_by_year(start, int(months)):
                ctx.add(b, year, IN_KIND, EXACT if approved is not None else MAXIMUM, None, None, params,
                        benefit="benefit_in_kind",
                        area_m2=str(area.amount), start=start.isoformat(), months=n)


@formula("share_of_price", values=("base", "approved", "on"), params=("max_ratio",))
def share_of_price(ctx: Context, matched: list[Match]) -> None:
    """Approved ratio (else the maximum) x price, per item, in the item's year."""
    for b in matched:
        on = ctx.get(b, "on")
        max_ratio, use = ctx.traced("max_ratio", on)
        approved = ctx.get(b, "approved")
        ratio = value_of(ctx, b, "approved", "ratio") if approved is not None else max_ratio
        t = Trace()
        amount = t.round("amount", t.mul("share_of_price", value_of(ctx, b, "base"), ratio))
        ctx.add(b, on.year, CASH, EXACT if approved is not None else MAXIMUM, amount.amount, t,
                [] if approved is not None else [use])


@formula("rate_per_unit", values=("count", "year", "approved"), params=("max_rate",))
def rate_per_unit(ctx: Context, matched: list[Match]) -> None:
    """Approved rate (else the maximum) x the count reported for a year."""
    for b in matched:
        year = ctx.get(b, "year")
        max_rate, use = ctx.traced("max_rate", _first_day(ctx, year))
        approved = ctx.get(b, "approved")
        rate = value_of(ctx, b, "approved", "CNY/enterprise-month") if approved is not None else max_rate
        t = Trace()
        amount = t.round("amount", t.mul("rate_times_count", rate, value_of(ctx, b, "count", "enterprise-months")))
        ctx.add(b, year, CASH, EXACT if approved is not None else MAXIMUM, amount.amount, t,
                [] if approved is not None else [use])


@formula("tax_reward", aliases={"te": "talent_enterprise"}, params=("share", "years"),
         reads=("retained_tax.year", "retained_tax.amount"))
def tax_reward(ctx: Context, matched: list[Match]) -> None:
    """share x district-retained tax for Q's year and the years after it; a year
    without a figure is pending, a figure for another year is not counted."""
    for b in matched:
        ent_id = ctx.beneficiary(b)
        q = _te(b)["q"]
        share, share_use = ctx.traced("share", q)
        years, years_use = ctx.param("years", q)
        first, last = q.year, q.year + int(years) - 1
        figures = {f["year"]: f for f in ctx.index.of("retained_tax", ent_id)}
        for year in range(first, last + 1):
            fact = figures.get(year)
            if fact is None:
                ctx.check(b, "year_pending", refused=False, year=year)
                continue
            t = Trace()
            amount = t.round("amount", t.mul("share_of_retained_tax",
                                             Trace.case_value(fact["amount"], "retained_tax", "CNY", fact["path"]),
                                             share))
            ctx.add(b, year, CASH, EXACT, amount.amount, t, [share_use, years_use], item=fact["path"])
        for year, fact in sorted(figures.items()):
            if not first <= year <= last:
                # brief: "years outside are ignored with a note"
                ctx.check(b, "year_outside", refused=False, item=fact["path"], year=year, low=first, high=last)


@formula("loan_interest", params=("share", "cap", "years"), reads=("loans.year", "loans.interest_paid"),
         shows={"first_year_in_window": {"low": "window.first_year", "high": "window.last_year"},
                "year_before_window": {"low": "window.first_year"}})
def loan_interest(ctx: Context, matched: list[Match]) -> None:
    """Y0 = the first year with eligible interest that is neither before Q's year (the
    conditions) nor before the window's first whole year; earlier interest is refused
    without using up a year. For Y0 and the years after it: min(share x that year's
    eligible interest, cap) per enterprise-year."""
    low, high = ctx.window_years
    for _ent_id, bindings in ctx.by_beneficiary(matched).items():
        by_year: dict[int, list[Match]] = defaultdict(list)
        loan = ctx.program.candidate
        for b in bindings:
            if b[loan]["year"] < low:
                ctx.check(b, "year_before_window", refused=True, item=ctx.path(b), year=b[loan]["year"], low=low)
            else:
                by_year[b[loan]["year"]].append(b)
        with_interest = [y for y, bs in by_year.items() if any(b[loan]["interest_paid"] > 0 for b in bs)]
        if not with_interest:
            continue
        y0 = min(with_interest)
        if y0 > high:
            for bs in by_year.values():
                for b in bs:
                    ctx.check(b, "first_year_in_window", refused=True, item=ctx.path(b), year=y0, low=low, high=high)
            continue
        on = _first_day(ctx, y0)
        share, share_use = ctx.traced("share", on)
        cap, cap_use = ctx.traced("cap", on)
        years, years_use = ctx.param("years", on)
        last = y0 + int(years) - 1
        for year, bs in sorted(by_year.items()):
            if not y0 <= year <= last:
                for b in bs:
                    ctx.check(b, "year_outside", refused=True, item=ctx.path(b), year=year, low=y0, high=last)
                continue
            t = Trace()
            interests = [Trace.case_value(b[loan]["interest_paid"], "loans.interest_paid", "CNY", b[loan]["path"]) for b in bs]
            total = t.sum("interest_of_year", interests) if len(interests) > 1 else interests[0]
            raw = t.round("rounded", t.mul("share_of_interest", total, share))
            amount = t.min("capped", raw, cap)
            ctx.add(bs[0], year, CASH, EXACT, amount.amount, t, [share_use, cap_use, years_use, ctx.window_use()],
                    item=";".join(b[loan]["path"] for b in bs), first_year=y0)


@formula("in_kind", values=("on",), texts=("benefit",))
def in_kind(ctx: Context, matched: list[Match]) -> None:
    """In kind with no cash value, in the trigger's year."""
    for b in matched:
        ctx.add(b, ctx.get(b, "on").year, IN_KIND, EXACT, None, benefit="benefit")

