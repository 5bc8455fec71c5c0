"""Formula kinds for fixed awards: a fixed sum, a sum by level, listing tiers."""
from __future__ import annotations

from ..conditions import Match
from ..trace import Trace
from .base import CASH, EXACT, Context, formula


@formula("fixed_amount", values=("on",), params=("amount",))
def fixed_amount(ctx: Context, matched: list[Match]) -> None:
    """A fixed sum per item (trademark, hire, placement), in the item's year."""
    for b in matched:
        on = ctx.get(b, "on")
        amount, use = ctx.traced("amount", on)
        t = Trace()
        line = t.round("amount", amount)
        ctx.add(b, on.year, CASH, EXACT, line.amount, t, [use])


@formula("amount_by_level", values=("key", "on"), params=("amounts",))
def amount_by_level(ctx: Context, matched: list[Match]) -> None:
    """The table's sum for the item's level, per item ("分别给予": each is paid)."""
    for b in matched:
        on = ctx.get(b, "on")
        level = ctx.get(b, "key")
        amount, use = ctx.traced("amounts", on, pick=level)
        t = Trace()
        line = t.round("amount", amount)
        ctx.add(b, on.year, CASH, EXACT, line.amount, t, [use], level=level)


@formula("listing_tiers", values=("key", "on"), params=("tiers", "amounts"))
def listing_tiers(ctx: Context, matched: list[Match]) -> None:
    """Each tier once per enterprise, for its earliest listing; later listings of a
    tier already paid are refused with the date of the one that was paid."""
    for _, bindings in ctx.by_beneficiary(matched).items():
        paid: dict[str, Match] = {}
        for b in sorted(bindings, key=lambda b: (ctx.get(b, "on"), ctx.path(b))):
            on = ctx.get(b, "on")
            board = ctx.get(b, "key")
            tiers, tiers_use = ctx.param("tiers", on)
            tier = tiers[board]
            if tier in paid:
                ctx.check(b, "tier_already_paid", refused=True, item=ctx.path(b), tier=tier,
                          date=ctx.get(paid[tier], "on"))
                continue
            paid[tier] = b
            amount, amounts_use = ctx.traced("amounts", on, pick=tier)
            t = Trace()
            line = t.round("amount", amount)
            ctx.add(b, on.year, CASH, EXACT, line.amount, t, [tiers_use, amounts_use], board=board, tier=tier)
