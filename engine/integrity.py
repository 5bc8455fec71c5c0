"""What happened to a record file: edited, deleted, inserted, duplicated, reordered,
replaced or truncated records, and a seal that does not fit.

Every record carries its `seq` and its predecessor's hash, both under its own hash, so
a record whose hash checks is as its writer made it (or as someone who rewrote the
file from that point on made it, which the seal and its signature catch). The chain is
walked backwards from the seal's last hash (or, without a seal, from the highest seq)
following `prev_hash`: a link that finds no record is a deletion (or, at the end, a
truncation), a record that is on no link is an insertion, and records on the chain
that stand in the file out of seq order were reordered. An edited record keeps its
stored hash, so its neighbours still link to it and only the edit itself is named."""
from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .records import GENESIS

# Finding kinds (docs/records.md lists them with what each means).
EDITED = "edited"                  # a record's content does not hash to its record_hash
UNREADABLE = "unreadable"          # a line that is not a record
DELETED = "deleted"                # records missing from the middle of the chain
TRUNCATED = "truncated"            # records missing at the end (the seal's count), or a half-written last line
INSERTED = "inserted"              # a record that is on no link of the chain
DUPLICATED = "duplicated"          # a second copy of a record of the chain
REORDERED = "reordered"            # two records of the chain stand in the file in the wrong order
REPLACED = "replaced"              # a record whose hash is not the one its successor links to
BROKEN_START = "broken_start"      # the first record does not start a chain
SEAL_MISMATCH = "seal_mismatch"    # the seal's count or last hash does not fit the records
SEAL_MISSING = "seal_missing"      # no seal: a cut at a line boundary cannot be ruled out
BAD_SIGNATURE = "bad_signature"    # the seal's signature does not verify
WRONG_KEY = "wrong_key"            # signed, but not by the trusted key
UNSIGNED = "unsigned"              # a trusted key was given, and the seal carries no signature

TAMPERING = frozenset({EDITED, UNREADABLE, DELETED, TRUNCATED, INSERTED, DUPLICATED, REORDERED, REPLACED,
                       BROKEN_START, SEAL_MISMATCH, BAD_SIGNATURE, WRONG_KEY, UNSIGNED})


@dataclass(slots=True)
class Entry:
    """One line of a record file, as far as the chain is concerned."""
    pos: int                       # line number in the record file, from 1
    seq: int | None = None
    prev: str | None = None
    stored: str | None = None      # the record_hash the line carries
    hash_ok: bool = False
    edits: tuple[str, ...] = ()    # "case", "decision", "fields": what no longer hashes
    error: str | None = None       # why the line is not a record
    complete: bool = True          # ends with a newline


@dataclass
class Finding:
    kind: str
    seq: int | None = None
    pos: int | None = None         # line number in the record file
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seq": self.seq, "line": self.pos, "detail": self.detail}


def analyse(entries: list[Entry], seal: dict[str, Any] | None, seal_trusted: bool = False,
            rules_versions: set[str] | None = None) -> list[Finding]:
    """Findings for the lines of one record file and its seal body (None: no seal).
    `seal_trusted`: the seal's signature verified against a trusted key, so a
    disagreement between seal and records is the records' fault. `rules_versions`:
    those the records name, each of which the seal must list."""
    findings = _seal_fields(seal, rules_versions)
    readable = [e for e in entries if e.error is None]
    for e in entries:
        if e.error is not None:
            half = not e.complete and e is entries[-1]
            findings.append(Finding(TRUNCATED if half else UNREADABLE, None, e.pos, {"error": e.error, "half_written": half}))

    by_hash: dict[str, list[Entry]] = defaultdict(list)
    by_seq: dict[int, list[Entry]] = defaultdict(list)
    for e in readable:
        if e.stored:
            by_hash[e.stored].append(e)
        if e.seq is not None:
            by_seq[e.seq].append(e)

    if seal is not None:
        count = seal.get("count")
        n = count if isinstance(count, int) and count >= 0 else 0
        last_hash = seal.get("last_hash")
        expected: str | None = last_hash if n and isinstance(last_hash, str) else None
    else:
        n = max((e.seq for e in readable if e.seq is not None and e.hash_ok), default=0)
        expected = None
        findings.append(Finding(SEAL_MISSING))  # an empty file too: nothing says it was not cut

    # The walk visits only seqs that some line holds: a gap, however long (a seal's or a
    # line's seq may say anything), is one range, found by bisection over the seqs present.
    present = sorted(by_seq)
    chain: dict[int, Entry] = {}
    used: set[int] = set()           # ids of entries placed on the chain
    missing: list[tuple[int, int]] = []
    s = n
    while s >= 1:
        pick: Entry | None = None
        if expected is not None:
            pick = next((e for e in by_hash.get(expected, []) if id(e) not in used), None)
            if pick is not None and pick.seq != s and pick.hash_ok:
                # The record the link names says it is another seq: only a changed seal does that.
                findings.append(Finding(SEAL_MISMATCH, pick.seq, pick.pos, {"field": "count", "value": seal and seal.get("count"),
                                                                            "last_seq": pick.seq}))
                s = pick.seq if pick.seq is not None else s
            if pick is None:
                stand_in = next((e for e in by_seq.get(s, []) if id(e) not in used), None)
                if stand_in is not None:
                    at_seal = s == n and seal is not None and expected == seal.get("last_hash")
                    if at_seal and not seal_trusted and stand_in.hash_ok:
                        findings.append(Finding(SEAL_MISMATCH, s, stand_in.pos, {"field": "last_hash"}))
                    else:
                        findings.append(Finding(REPLACED, s, stand_in.pos, {"expected_hash": expected, "found_hash": stand_in.stored}))
                    pick = stand_in
        else:
            group = [e for e in by_seq.get(s, []) if id(e) not in used]
            group.sort(key=lambda e: (not e.hash_ok, e.pos))
            pick = group[0] if group else None
            if pick is None:  # nothing here: down to the next seq some line holds, at once
                below = bisect_left(present, s) - 1
                lower = present[below] if below >= 0 and present[below] >= 1 else 0
                missing.append((lower + 1, s))
                s = lower
                continue
        if pick is None:
            missing.append((s, s))
            expected = None
        else:
            chain[s] = pick
            used.add(id(pick))
            expected = pick.prev
        s -= 1
    for e in chain.values():
        if not e.hash_ok:
            findings.append(Finding(EDITED, e.seq, e.pos, {"parts": list(e.edits)}))
    if 1 in chain and chain[1].prev != GENESIS:
        findings.append(Finding(BROKEN_START, 1, chain[1].pos, {"prev_hash": chain[1].prev}))

    unreadable = [e.pos for e in entries if e.error is not None]
    for first, last in _runs(sorted(missing)):
        if last == n:
            findings.append(Finding(TRUNCATED, first, None, {"first_seq": first, "last_seq": last, "count": last - first + 1}))
            continue
        lo = chain[first - 1].pos if first - 1 in chain else 0
        hi = chain[last + 1].pos if last + 1 in chain else 1 << 62
        garbled = [p for p in unreadable if lo < p < hi]
        if len(garbled) == last - first + 1:
            continue  # said as unreadable lines, where these records stood
        findings.append(Finding(DELETED, first, None, {"first_seq": first, "last_seq": last, "count": last - first + 1,
                                                       "after_line": lo or None}))

    on_chain = {e.stored: s for s, e in chain.items() if e.stored}
    for e in readable:
        if id(e) in used:
            continue
        if e.stored in on_chain:
            findings.append(Finding(DUPLICATED, e.seq, e.pos, {"copy_of_seq": on_chain[e.stored]}))
        else:
            findings.append(Finding(INSERTED, e.seq, e.pos, {"beyond_seal": seal is not None and (e.seq or 0) > n,
                                                             "hash_ok": e.hash_ok}))

    seqs = sorted(chain)
    for a, b in zip(seqs, seqs[1:], strict=False):
        if chain[b].pos < chain[a].pos:
            findings.append(Finding(REORDERED, b, chain[b].pos, {"before_seq": a, "before_line": chain[a].pos}))
    findings.sort(key=lambda f: (f.pos if f.pos is not None else (f.seq or 0), f.kind))
    return findings


def _seal_fields(seal: dict[str, Any] | None, rules_versions: set[str] | None) -> list[Finding]:
    """What is wrong with a seal on its own: its count, its genesis, the rules it lists."""
    if seal is None:
        return []
    findings = []
    count = seal.get("count")
    if not isinstance(count, int) or count < 0:
        findings.append(Finding(SEAL_MISMATCH, None, None, {"field": "count", "value": count}))
    if seal.get("genesis", GENESIS) != GENESIS:
        findings.append(Finding(SEAL_MISMATCH, None, None, {"field": "genesis", "value": seal.get("genesis")}))
    listed = seal.get("rules_versions")
    listed = [v for v in listed if isinstance(v, str)] if isinstance(listed, list) else []
    unlisted = sorted((rules_versions or set()) - set(listed))
    if unlisted:
        findings.append(Finding(SEAL_MISMATCH, None, None, {"field": "rules_versions", "value": unlisted}))
    return findings


class Tracker:
    """Follows a record file line by line and keeps nothing while every line is the
    next link of the chain: an intact file of any length is judged in constant memory.
    At the first line that is not, the caller needs every entry (`analyse`)."""

    def __init__(self) -> None:
        self.lines = 0
        self.last: Entry | None = None
        self.intact = True

    def add(self, e: Entry) -> None:
        self.lines += 1
        if self.intact:
            before = self.last
            expected_prev = before.stored if before is not None else GENESIS
            expected_seq = before.seq + 1 if before is not None and before.seq is not None else 1
            self.intact = (e.error is None and e.complete and e.hash_ok and e.seq == expected_seq
                           and e.prev == expected_prev)
        self.last = e

    def findings(self, seal: dict[str, Any] | None, rules_versions: set[str] | None) -> list[Finding] | None:
        """The findings of an intact chain whose end agrees with the seal; None when
        the whole file must be analysed."""
        if not self.intact:
            return None
        if seal is None:
            return [Finding(SEAL_MISSING)]  # an empty file too: nothing says it was not cut
        count, last = seal.get("count"), self.last
        ends = (count == 0 and last is None) or (last is not None and count == last.seq and seal.get("last_hash") == last.stored)
        return _seal_fields(seal, rules_versions) if ends else None


def _runs(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted (first, last) ranges of seqs, adjacent and overlapping ones joined."""
    out: list[tuple[int, int]] = []
    for first, last in ranges:
        if out and out[-1][1] >= first - 1:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out
