"""What changed between two sets of rules: programs added or removed, parameters and
their dated rows (value, from, source, provisional), conditions, formulas, texts and
catalog sentences. The changes are data; cli/replay_view.py (`rules_diff`) renders them."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from .bundles import installed_catalogs, opened
from .rulebook import Parameter, Program, RuleBook, default_rules_dir, load_rulebook

PROGRAM_TEXTS = ("title", "clause_section", "clause_text", "reading", "applies")
PROGRAM_FIELDS = ("kind", "order", "beneficiary", "candidate", "trigger")
CONDITION_FIELDS = ("alias", "field", "op", "value", "param", "ref", "consider", "text")


@dataclass(frozen=True)
class Side:
    label: str
    rules_dir: Path
    catalogs_dir: Path | None


@contextmanager
def side(spec: str) -> Iterator[Side]:
    """`current`, a bundle file or a directory (a rules directory, whose catalogs are a
    sibling catalogs/ folder if there is one, or an extracted bundle)."""
    if spec == "current":
        yield Side(spec, default_rules_dir(), installed_catalogs())
        return
    path = Path(spec)
    if path.is_file():
        with opened(path) as bundle:
            yield Side(spec, bundle.rules_dir, bundle.catalogs_dir)
        return
    if (path / "rules" / "general.toml").is_file():
        yield Side(spec, path / "rules", path / "catalogs" if (path / "catalogs").is_dir() else None)
        return
    sibling = path.resolve().parent / "catalogs"
    yield Side(spec, path, sibling if sibling.is_dir() else None)


def _plain(value: Any) -> Any:
    """A JSON form of rule values for the report."""
    if isinstance(value, (date, Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


def _change(area: str, change: str, program: str | None, name: str | None = None, field: str | None = None,
            old: Any = None, new: Any = None, start: date | None = None) -> dict[str, Any]:
    """One change; `start` is the `from` date of a parameter's dated row."""
    return {"area": area, "change": change, "program": program, "name": name, "field": field,
            "from": start.isoformat() if start else None, "old": _plain(old), "new": _plain(new)}


def _parameters(scope: str | None, old: dict[str, Parameter], new: dict[str, Parameter]) -> list[dict[str, Any]]:
    out = []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a is None or b is None:
            out.append(_change("parameter", "added" if a is None else "removed", scope, name,
                               old=a and a.values, new=b and b.values))
            continue
        for attr in ("unit", "reading", "title"):
            if getattr(a, attr) != getattr(b, attr):
                out.append(_change("parameter", "changed", scope, name, attr, getattr(a, attr), getattr(b, attr)))
        rows_a, rows_b = {r.start: r for r in a.values}, {r.start: r for r in b.values}
        for start in sorted(set(rows_a) | set(rows_b)):
            ra, rb = rows_a.get(start), rows_b.get(start)
            if ra == rb:
                continue
            if ra is None or rb is None:
                out.append(_change("row", "added" if ra is None else "removed", scope, name, None,
                                   _row(ra), _row(rb), start))
                continue
            for attr in ("value", "source", "provisional", "note"):
                if getattr(ra, attr) != getattr(rb, attr):
                    out.append(_change("row", "changed", scope, name, attr, getattr(ra, attr), getattr(rb, attr), start))
    return out


def _row(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"from": row.start, "value": row.value, "source": row.source, "provisional": row.provisional}


def _programs(old: RuleBook, new: RuleBook) -> list[dict[str, Any]]:
    def every(book: RuleBook) -> dict[str, Program]:
        return {p.id: p for p in [*book.definitions.values(), *book.programs, *book.provisions]}

    a_all, b_all = every(old), every(new)
    out = []
    for pid in sorted(set(a_all) | set(b_all)):
        a, b = a_all.get(pid), b_all.get(pid)
        if a is None or b is None:
            program = b or a
            assert program is not None
            out.append(_change("program", "added" if a is None else "removed", pid, field="kind",
                               old=a and a.kind, new=b and b.kind))
            continue
        for attr in PROGRAM_FIELDS:
            if getattr(a, attr) != getattr(b, attr):
                out.append(_change("program", "changed", pid, field=attr, old=getattr(a, attr), new=getattr(b, attr)))
        for attr in PROGRAM_TEXTS:
            if getattr(a, attr) != getattr(b, attr):
                out.append(_change("text", "changed", pid, field=attr, old=getattr(a, attr), new=getattr(b, attr)))
        for alias in sorted(set(a.facts) | set(b.facts)):
            if a.facts.get(alias) != b.facts.get(alias):
                out.append(_change("facts", _kind(a.facts.get(alias), b.facts.get(alias)), pid, alias,
                                   old=a.facts.get(alias), new=b.facts.get(alias)))
        ca, cb = {c.id: c for c in a.conditions}, {c.id: c for c in b.conditions}
        for cid in sorted(set(ca) | set(cb)):
            x, y = ca.get(cid), cb.get(cid)
            if x is None or y is None:
                out.append(_change("condition", _kind(x, y), pid, cid, old=x, new=y))
                continue
            for attr in CONDITION_FIELDS:
                if getattr(x, attr) != getattr(y, attr):
                    out.append(_change("text" if attr == "text" else "condition", "changed", pid, cid, attr,
                                       getattr(x, attr), getattr(y, attr)))
        if a.checks != b.checks:
            out.append(_change("text", "changed", pid, field="checks", old=a.checks, new=b.checks))
        for key in sorted(set(a.formula) | set(b.formula)):
            if a.formula.get(key) != b.formula.get(key):
                out.append(_change("formula", _kind(a.formula.get(key), b.formula.get(key)), pid, field=key,
                                   old=a.formula.get(key), new=b.formula.get(key)))
        if a.bounds != b.bounds:
            out.append(_change("bounds", "changed", pid, old=a.bounds, new=b.bounds))
        out.extend(_parameters(pid, a.parameters, b.parameters))
    return out


def _kind(a: Any, b: Any) -> str:
    return "added" if a is None else "removed" if b is None else "changed"


def _catalog(path: Path) -> dict[str, str]:
    with path.open("rb") as fh:
        return {str(m.id): str(m.string) for m in read_po(fh) if m.id}


def _catalogs(old: Path | None, new: Path | None) -> list[dict[str, Any]]:
    if old is None or new is None:
        return []
    out = []
    locales = sorted({p.name for p in old.iterdir() if p.is_dir()} | {p.name for p in new.iterdir() if p.is_dir()})
    for locale in locales:
        pa, pb = old / locale / "LC_MESSAGES" / "xisai.po", new / locale / "LC_MESSAGES" / "xisai.po"
        a = _catalog(pa) if pa.is_file() else {}
        b = _catalog(pb) if pb.is_file() else {}
        for mid in sorted(set(a) | set(b)):
            if a.get(mid) != b.get(mid):
                out.append(_change("catalog", _kind(a.get(mid), b.get(mid)), None, mid, locale, a.get(mid), b.get(mid)))
    return out


def rules_diff(old_spec: str, new_spec: str) -> dict[str, Any]:
    """{"old": {"spec", "rules_version"}, "new": {...}, "changes": [...]}; raises
    RuleError, BundleError or OSError when a side cannot be read."""
    with side(old_spec) as a, side(new_spec) as b:
        old, new = load_rulebook(a.rules_dir), load_rulebook(b.rules_dir)
        changes = (_programs(old, new)
                   + _parameters("general", old.general, new.general)
                   + _parameters("tables", old.tables, new.tables)
                   + ([_change("text", "changed", "general", field="document", old=old.document, new=new.document)]
                      if old.document != new.document else [])
                   + _catalogs(a.catalogs_dir, b.catalogs_dir))
        return {"old": {"spec": old_spec, "rules_version": old.version, "catalogs": a.catalogs_dir is not None},
                "new": {"spec": new_spec, "rules_version": new.version, "catalogs": b.catalogs_dir is not None},
                "changes": changes}
