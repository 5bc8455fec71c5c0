"""Formula kinds for a person's benefits: allowances, capped shares, rent relief, schooling."""
from __future__ import annotations

from ..conditions import Match
from ..trace import Trace
from .base import CASH, EXACT, IN_KIND, MAXIMUM, Context, formula, in_window, months_by_year, value_of


@formula("monthly_allowance", values=("start", "approved"), params=("max_rate", "months", "cap_per_person"))
def monthly_allowance(ctx: Context, matched: list[Match]) -> None:
    """Approved monthly rate (else the maximum) for `months` months from the trigger
    month, split by calendar year; the person's total is capped."""
    for b in matched:
        start = ctx.get(b, "start")
        months, months_use = ctx.param("months", start)
        cap, cap_use = ctx.traced("cap_per_person", start)
        if ctx.get(b, "approved") is not None:
            rate, basis, params = value_of(ctx, b, "approved", "CNY/month"), EXACT, [months_use, cap_use]
        else:
            rate, max_use = ctx.traced("max_rate", start)
            basis, params = MAXIMUM, [max_use, months_use, cap_use]
        remaining = cap.amount
        for year, _, n in months_by_year(start, int(months)):
            t = Trace()
            amount = t.round("amount", t.mul("rate_times_months", rate, Trace.count(n, "months_in_year", year=year)))
            if amount.amount > remaining:
                amount = t.min("capped", amount, Trace.param(remaining, "cap_per_person", cap.ref["unit"], remaining=True))
            remaining -= amount.amount
            ctx.add(b, year, CASH, basis, amount.amount, t, params, months=n)


@formula("capped_share", values=("base", "on"), params=("share", "cap"))
def capped_share(ctx: Context, matched: list[Match]) -> None:
    """min(share x base, cap), rounded before the cap is compared, in the trigger's year."""
    for b in matched:
        on = ctx.get(b, "on")
        share, share_use = ctx.traced("share", on)
        cap, cap_use = ctx.traced("cap", on)
        t = Trace()
        raw = t.mul("share_of_base", value_of(ctx, b, "base"), share)
        amount = t.min("capped", t.round("rounded", raw), cap)
        ctx.add(b, on.year, CASH, EXACT, amount.amount, t, [share_use, cap_use])


@formula("rent_relief", values=("rent", "start"), params=("schedule",), texts=("benefit",))
def rent_relief(ctx: Context, matched: list[Match]) -> None:
    """In kind, valued at the rent waived: the schedule lists (months, share waived)
    in order from the tenancy's start month; one line per calendar year."""
    for b in matched:
        start = ctx.get(b, "start")
        schedule, use = ctx.param("schedule", start)
        rent = value_of(ctx, b, "rent", "CNY/month")
        shares = [row["waived"] for row in schedule for _ in range(int(row["months"]))]
        for year, first, n in months_by_year(start, len(shares)):
            t = Trace()
            in_year = shares[first:first + n]
            pieces = [t.mul("waived_rent", rent, Trace.param(share, "schedule.waived", "ratio"),
                            Trace.count(in_year.count(share), "months_in_year", year=year))
                      for share in sorted(set(in_year), reverse=True)]
            total = t.round("amount", t.sum("year_total", pieces) if len(pieces) > 1 else pieces[0])
            ctx.add(b, year, IN_KIND, EXACT, total.amount, t, [use],
                    benefit="benefit", months=n)


@formula("schooling", values=("executive",), texts=("benefit_executive", "benefit_staff"),
         shows={"as_of_in_window": {"low": "window.start", "high": "window.end"}})
def schooling(ctx: Context, matched: list[Match]) -> None:
    """In kind with no value, triggered by the case date: executives' children follow
    the city-level enrolment policy, other staff's children enrol on residents' terms."""
    for b in matched:
        on = ctx.as_of
        if not in_window(ctx, on):
            ctx.check(b, "as_of_in_window", refused=True, item=ctx.path(b), found=on,
                      low=ctx.window[0], high=ctx.window[1])
            continue
        executive = bool(ctx.get(b, "executive"))
        benefit = "benefit_executive" if executive else "benefit_staff"
        ctx.add(b, on.year, IN_KIND, EXACT, None, None, [ctx.window_use()], benefit=benefit, executive=executive)


