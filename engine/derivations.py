"""Facts the engine derives between the two matching phases.

The talent_enterprise definition's matches are founder-to-talent joins; an
enterprise's qualifying date Q is an aggregate over them (the later of founded_on
and the earliest recognition), which a rule engine without aggregation cannot
express, so it is taken here and asserted back as one fact per enterprise."""
from __future__ import annotations

from datetime import date
from typing import Any

from .conditions import Fact, FactIndex


def talent_enterprises(matches: list[dict[str, int]], index: FactIndex, next_fid: int) -> list[Fact]:
    earliest: dict[int, date] = {}
    for binding in matches:
        enterprise = index.by_fid[binding["enterprise"]]
        talent = index.by_fid[binding["talent"]]
        fid = enterprise["fid"]
        if fid not in earliest or talent["recognized_on"] < earliest[fid]:
            earliest[fid] = talent["recognized_on"]
    facts: list[Fact] = []
    for fid in sorted(earliest):
        enterprise = index.by_fid[fid]
        q = max(enterprise["founded_on"], earliest[fid])
        fact: dict[str, Any] = {"t": "talent_enterprise", "fid": next_fid + len(facts), "owner": enterprise["id"],
                                "path": enterprise["path"], "q": q, "q_year": q.year,
                                "founded_on": enterprise["founded_on"], "recognized_on": earliest[fid]}
        facts.append(fact)
    return facts
