"""Which details differ between two decisions whose money is the same (replay's
"same money, other details"): the parts of payout lines (steps, conditions,
parameters, detail figures), their flags, the refusals (unmet reasons, flags, which
refusals there are), the notes, the errors, named with the program they belong to.

Data only (names of decision fields); the replay view words them. Decisions are read
as JSON, as stored: anything malformed counts as "other"."""
from __future__ import annotations

from typing import Any

PART_FIELDS = ("steps", "conditions", "parameters", "detail", "item")
REFUSAL_FIELDS = ("unmet", "flags")


def _keyed(items: Any, key: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    if not isinstance(items, list):
        return {}
    return {tuple(str(x.get(k)) for k in key): x for x in items if isinstance(x, dict)}


def _line_details(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    out = []
    a_parts, b_parts = a.get("parts"), b.get("parts")
    if isinstance(a_parts, list) and isinstance(b_parts, list) and len(a_parts) == len(b_parts):
        for pa, pb in zip(a_parts, b_parts, strict=True):
            if isinstance(pa, dict) and isinstance(pb, dict):
                out += [f for f in PART_FIELDS if pa.get(f) != pb.get(f)]
            elif pa != pb:
                out.append("other")
    elif a_parts != b_parts:
        out.append("parts")
    if a.get("flags") != b.get("flags"):
        out.append("flags")
    return out


def differing_details(old: Any, new: Any) -> list[dict[str, Any]]:
    """[{"part": "parameters", "program": "brand.quality_award"}, ...], each once, in
    order; "program" is None for a part of the whole decision (notes, errors, other)."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [{"part": "other", "program": None}] if old != new else []
    found: list[tuple[str, str | None]] = []
    o_lines = _keyed(old.get("payouts"), ("program", "beneficiary", "year", "kind", "basis"))
    n_lines = _keyed(new.get("payouts"), ("program", "beneficiary", "year", "kind", "basis"))
    for key in o_lines.keys() & n_lines.keys():
        found += [(part, key[0]) for part in _line_details(o_lines[key], n_lines[key])]
    o_ref = _keyed(old.get("ineligible"), ("program", "beneficiary", "item"))
    n_ref = _keyed(new.get("ineligible"), ("program", "beneficiary", "item"))
    for key in o_ref.keys() ^ n_ref.keys():
        found.append(("refusals", key[0]))
    for key in o_ref.keys() & n_ref.keys():
        a, b = o_ref[key], n_ref[key]
        found += [(f, key[0]) for f in REFUSAL_FIELDS if a.get(f) != b.get(f)]
        if a.get("reasons") != b.get("reasons") and a.get("unmet") == b.get("unmet"):
            found.append(("unmet", key[0]))
    if old.get("notes") != new.get("notes"):
        programs = {str(n.get("program")) for n in (old.get("notes") or []) + (new.get("notes") or []) if isinstance(n, dict)}
        found += [("notes", p) for p in sorted(programs)] or [("notes", None)]
    if old.get("errors") != new.get("errors"):
        found.append(("errors", None))
    known = {"payouts", "ineligible", "notes", "errors", "totals", "status"}
    if not found and any(old.get(k) != new.get(k) for k in (old.keys() | new.keys()) - known):
        found.append(("other", None))
    ordered = dict.fromkeys(sorted(found, key=lambda f: (f[1] or "", f[0])))
    return [{"part": part, "program": program} for part, program in ordered]
