"""Formula kind for the youth internship subsidy: a share of the minimum wage of each month."""
from __future__ import annotations

from collections import defaultdict

from ..conditions import Match
from ..trace import Trace
from .base import CASH, EXACT, Context, ParamUse, formula, month_starts


@formula("internship", params=("share", "max_months"), param_keys=("wage",), reads=("interns.start", "interns.months"))
def internship(ctx: Context, matched: list[Match]) -> None:
    """share x the minimum wage in force on each month's first day, for at most
    `max_months` months from the start month; one line per calendar year."""
    wage_name = ctx.program.formula["wage"]
    for b in matched:
        intern = b[ctx.program.candidate]
        start = intern["start"]
        share, share_use = ctx.traced("share", start)
        max_months, max_use = ctx.param("max_months", start)
        months = min(intern["months"], int(max_months))
        # year -> wage row start -> (months, wage, its use)
        groups: dict[int, dict] = defaultdict(dict)
        for first_day in month_starts(start, months):
            wage, use = ctx.param(wage_name, first_day)
            n, _, _ = groups[first_day.year].get(use.start, (0, wage, use))
            groups[first_day.year][use.start] = (n + 1, wage, use)
        for year, rows in sorted(groups.items()):
            t = Trace()
            pieces = []
            uses: list[ParamUse] = [share_use, max_use]
            for _, (n, wage, use) in sorted(rows.items()):
                pieces.append(t.mul("share_of_wage", share,
                                    Trace.param(wage, wage_name, "CNY/month", **{"from": use.start.isoformat()}),
                                    Trace.count(n, "months_in_year", year=year)))
                uses.append(use)
            total = t.sum("year_total", pieces) if len(pieces) > 1 else pieces[0]
            amount = t.round("amount", total)
            ctx.add(b, year, CASH, EXACT, amount.amount, t, uses,
                    months=sum(n for n, _, _ in rows.values()), months_subsidised=months)
