"""One line of a record file: its place in the chain and, re-decided, whether its
decision reproduces. `replay_lines` is a pure function of the lines and the rules
directories, run in the replaying process or in its workers (engine/replay_pool.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .batch.line import decide_line
from .canonical import dumps, dumps_native, parse, sha256_hex
from .decision_diff import diff
from .evaluate import Engine, EngineError
from .integrity import Entry
from .records import Envelope, case_part_from_record, envelope, line_hash, recomputed_hash

# Outcomes of one record (docs/records.md).
REPRODUCED = "reproduced"        # the same decision, byte for byte (errors compared without their messages)
DIFFERS = "differs"              # another decision (payouts, totals or status)
DIFFERS_DETAILS = "differs_details"  # the same payouts and totals, other details (conditions, steps)
NO_BUNDLE = "no_bundle"          # the rules the record names were not found
FAILED = "failed"                # the engine could not decide the case now
UNREADABLE = "unreadable"        # the line is not a record


@dataclass(slots=True)
class LineResult:
    entry: Entry
    status: str
    rules_version: str | None = None
    case_id: str | None = None
    input_line: int | None = None
    reformatted: bool = False
    diff: dict[str, Any] | None = None
    error: str | None = None


def inspect(pos: int, raw: bytes) -> tuple[Entry, dict[str, Any] | None, bool]:
    """(chain entry, parsed record or None, reformatted) for one line of a record file."""
    complete = raw.endswith(b"\n")
    body = raw[:-1] if complete else raw
    try:
        text = body.decode("utf-8")
        record = parse(text)
    except (UnicodeDecodeError, ValueError) as exc:
        return Entry(pos, error=type(exc).__name__, complete=complete), None, False
    if not isinstance(record, dict) or not isinstance(record.get("seq"), int) or "record_hash" not in record:
        return Entry(pos, error="not_a_record", complete=complete), None, False
    stored, computed = line_hash(body)
    claimed = record.get("record_hash")
    ok = stored is not None and stored == computed == claimed
    reformatted = False
    if not ok and isinstance(claimed, str):
        try:
            ok = reformatted = recomputed_hash(record) == claimed
        except (TypeError, ValueError):
            ok = False
    entry = Entry(pos, seq=record["seq"], prev=_str(record.get("prev_hash")), stored=_str(claimed), hash_ok=ok,
                  edits=() if ok else _edits(record), complete=complete)
    return entry, record, reformatted


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _edits(record: dict[str, Any]) -> tuple[str, ...]:
    """Which parts of a record no longer hash as recorded."""
    edits = []
    try:
        if case_part_from_record(record).sha256 != record.get("case_sha256"):
            edits.append("case")
    except (ValueError, TypeError):
        edits.append("case")
    try:
        if sha256_hex(dumps(record.get("decision")).encode("utf-8")) != record.get("decision_sha256"):
            edits.append("decision")
    except (ValueError, TypeError):
        edits.append("decision")
    return tuple(edits) or ("fields",)


_ENGINES: dict[str, Engine] = {}   # rules directory -> engine, one per process


def forget_engines() -> None:
    """In a new worker process: engines are built there, never inherited."""
    _ENGINES.clear()


def _engine(rules_dir: str) -> Engine:
    if rules_dir not in _ENGINES:
        _ENGINES[rules_dir] = Engine(Path(rules_dir) if rules_dir else None)
    return _ENGINES[rules_dir]


@dataclass(slots=True)
class Intact:
    """A line whose hash checks, read without parsing its case and decision."""
    envelope: Envelope
    stored: str
    complete: bool

    @property
    def rules_version(self) -> str | None:
        return _str(self.envelope.tail.get("rules_version"))


def intact(raw: bytes) -> Intact | None:
    """The line as written, if its hash checks on the bytes (most lines of most files):
    the replaying process checks this while it reads, its workers only decide."""
    complete = raw.endswith(b"\n")
    body = raw[:-1] if complete else raw
    env = envelope(body)
    if env is None or not isinstance(env.tail.get("seq"), int):
        return None
    stored, computed = line_hash(body)
    if stored is None or stored != computed or stored != env.tail.get("record_hash"):
        return None
    return Intact(env, stored, complete)


Item = tuple[int, bytes, Intact | None]   # line number in the file, its bytes, `intact(bytes)`


def replay_lines(items: list[Item], dirs: dict[str, str | None], override: str | None) -> list[LineResult]:
    """Re-evaluate a run of lines (each with what `intact` found). `dirs` maps each
    rules_version to the directory of its rules (None: not found); `override`, when not
    None, is the rules directory to use for every record instead."""
    out = []
    for pos, raw, checked in items:
        result, new = _fast(pos, checked, dirs, override) if checked is not None else (None, None)
        out.append(result if result is not None else _slow(pos, raw, dirs, override, new))
    return out


def _fast(pos: int, checked: Intact, dirs: dict[str, str | None],
          override: str | None) -> tuple[LineResult | None, dict[str, Any] | None]:
    """The common case, without parsing the record: an intact line whose decision
    reproduces. Otherwise (None, the new decision if one was made) for `_slow`."""
    env = checked.envelope
    tail = env.tail
    version = checked.rules_version
    rules_dir = override if override is not None else dirs.get(version or "")
    if rules_dir is None:
        return None, None
    try:
        as_of = date.fromisoformat(env.as_of) if env.as_of else None
        new = decide_line(_engine(rules_dir), env.case.engine_input(), as_of, None)
    except (EngineError, ValueError, TypeError, KeyError):
        return None, None
    if override is not None and version is not None:
        new["rules_version"] = version  # under other rules, only what they decide counts
    if sha256_hex(dumps_native(new).encode("utf-8")) != tail.get("decision_sha256"):
        return None, new
    entry = Entry(pos, seq=tail["seq"], prev=_str(tail.get("prev_hash")), stored=checked.stored, hash_ok=True,
                  complete=checked.complete)
    return LineResult(entry, REPRODUCED, version, case_id=_str(new.get("case_id")),
                      input_line=tail.get("line") if isinstance(tail.get("line"), int) else None), None


def _slow(pos: int, raw: bytes, dirs: dict[str, str | None], override: str | None,
          new: dict[str, Any] | None) -> LineResult:
    """Every line the fast path did not settle: parsed whole, its edits named, its
    decision compared field by field (`new`: the decision the fast path made)."""
    entry, record, reformatted = inspect(pos, raw)
    if record is None:
        return LineResult(entry, UNREADABLE)
    version = _str(record.get("rules_version"))
    decision = record.get("decision")
    result = LineResult(entry, REPRODUCED, version, reformatted=reformatted,
                        case_id=_str(decision.get("case_id")) if isinstance(decision, dict) else None,
                        input_line=record.get("line") if isinstance(record.get("line"), int) else None)
    rules_dir = override if override is not None else dirs.get(version or "")
    if rules_dir is None:
        result.status = NO_BUNDLE
    else:
        _evaluate(result, record, _engine(rules_dir), other_rules=override is not None, new=new)
    return result


def _evaluate(result: LineResult, record: dict[str, Any], engine: Engine, other_rules: bool = False,
              new: dict[str, Any] | None = None) -> None:
    """Re-decide the record's case (unless `new` is that decision already); under
    other rules, a decision that differs only in the rules_version it names counts as
    unchanged."""
    old = record.get("decision")
    if new is None:
        try:
            case = case_part_from_record(record).engine_input()
            as_of = date.fromisoformat(record["as_of"]) if isinstance(record.get("as_of"), str) else None
            new = decide_line(engine, case, as_of, None)
        except (EngineError, ValueError, TypeError, KeyError) as exc:
            result.status, result.error = FAILED, f"{type(exc).__name__}: {exc}"
            return
        if other_rules and isinstance(old, dict) and "rules_version" in old:
            new["rules_version"] = old["rules_version"]
    recorded = record.get("decision_sha256") if result.entry.hash_ok else None
    if recorded is None:
        try:
            recorded = sha256_hex(dumps(old).encode("utf-8"))
        except (TypeError, ValueError):
            recorded = ""
    if sha256_hex(dumps_native(new).encode("utf-8")) == recorded:
        return
    result.diff = diff(old, new)
    if result.diff["same"]:  # only errors' messages differ: sentences, not the decision
        result.diff = None
        return
    result.status = DIFFERS_DETAILS if result.diff["money_same"] else DIFFERS


def chain_entries(records: Path) -> list[Entry]:
    """Every line's chain entry, without evaluating anything."""
    out = []
    with records.open("rb") as fh:
        for pos, raw in enumerate(fh, start=1):
            out.append(chain_entry(pos, raw))
    return out


def chain_entry(pos: int, raw: bytes) -> Entry:
    """A line's place in the chain, without evaluating it."""
    checked = intact(raw)
    if checked is None:
        return inspect(pos, raw)[0]
    tail = checked.envelope.tail
    return Entry(pos, seq=tail["seq"], prev=_str(tail.get("prev_hash")), stored=checked.stored, hash_ok=True,
                 complete=checked.complete)
