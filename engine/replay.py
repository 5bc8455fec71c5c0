"""Replay a record file: check every line's hash and the chain, re-evaluate every case
under the rules its record names (or under other rules, for the impact of a change),
and compare with the recorded decision.

The work per line (parse, hash, evaluate, compare) is `replay_lines`, a pure function
of the lines and the rules directories, run in this process or in worker processes
(`run_chunks`); the chain and the seal are judged once every line is in
(engine/integrity.py). The report is data; cli/replay_view.py renders it."""
from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import integrity
from .bundles import BundleError, candidates, default_store, open_bundle
from .canonical import dumps, dumps_native, parse, sha256_hex
from .decision_diff import diff
from .evaluate import Engine, EngineError
from .integrity import Entry, Finding
from .records import case_part_from_record, envelope, line_hash, recomputed_hash
from .rulebook import RuleError, default_rules_dir, rules_version
from .seal import check_signature, key_id, read_seal, seal_path

# Outcomes of one record.
REPRODUCED = "reproduced"        # the same decision, byte for byte
DIFFERS = "differs"              # another decision (payouts, totals or status)
DIFFERS_DETAILS = "differs_details"  # the same payouts and totals, other details (texts, explanations)
NO_BUNDLE = "no_bundle"          # the rules the record names were not found
FAILED = "failed"                # the engine could not decide the case now
UNREADABLE = "unreadable"        # the line is not a record

# Exit codes of `xisai replay` (docs/records.md).
EXIT_OK, EXIT_ERROR, EXIT_DIFFERS, EXIT_TAMPERED, EXIT_INCOMPLETE = 0, 1, 3, 4, 5

SHIPPED = ""                     # the rules directory key of the installed rules
_RV_KEY = b',"rules_version":"'


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


# --- one line ------------------------------------------------------------------

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
    stored, computed = line_hash(text)
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


def _engine(rules_dir: str) -> Engine:
    if rules_dir not in _ENGINES:
        _ENGINES[rules_dir] = Engine(Path(rules_dir) if rules_dir else None)
    return _ENGINES[rules_dir]


def replay_lines(items: list[tuple[int, bytes]], dirs: dict[str, str | None], override: str | None) -> list[LineResult]:
    """Inspect and re-evaluate a run of lines. `dirs` maps each rules_version to the
    directory of its rules (None: not found); `override`, when not None, is the rules
    directory to use for every record instead."""
    out = []
    for pos, raw in items:
        result, new = _fast(pos, raw, dirs, override)
        out.append(result if result is not None else _slow(pos, raw, dirs, override, new))
    return out


def _fast(pos: int, raw: bytes, dirs: dict[str, str | None],
          override: str | None) -> tuple[LineResult | None, dict[str, Any] | None]:
    """The common case, without parsing the record: an intact line whose decision
    reproduces. Otherwise (None, the new decision if one was made) for `_slow`."""
    complete = raw.endswith(b"\n")
    try:
        text = (raw[:-1] if complete else raw).decode("utf-8")
    except UnicodeDecodeError:
        return None, None
    env = envelope(text)
    if env is None:
        return None, None
    tail = env.tail
    stored, computed = line_hash(text)
    if stored is None or stored != computed or stored != tail.get("record_hash") or not isinstance(tail.get("seq"), int):
        return None, None
    version = _str(tail.get("rules_version"))
    rules_dir = override if override is not None else dirs.get(version or "")
    if rules_dir is None:
        return None, None
    try:
        as_of = date.fromisoformat(env.as_of) if env.as_of else None
        new = _engine(rules_dir).evaluate(env.case.engine_input(), as_of=as_of).to_dict()
    except (EngineError, ValueError, TypeError, KeyError):
        return None, None
    if override is not None and version is not None:
        new["rules_version"] = version  # under other rules, only what they decide counts
    if sha256_hex(dumps_native(new).encode("utf-8")) != tail.get("decision_sha256"):
        return None, new
    entry = Entry(pos, seq=tail["seq"], prev=_str(tail.get("prev_hash")), stored=stored, hash_ok=True, complete=complete)
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
            new = engine.evaluate(case, as_of=as_of).to_dict()
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
    result.status = DIFFERS_DETAILS if result.diff["money_same"] else DIFFERS


# --- the run -------------------------------------------------------------------

@dataclass
class Options:
    seal: Path | None = None                 # default: <records>.seal.json if present
    trusted_key: Any = None                  # an Ed25519PublicKey for --verify-key
    rules: str | None = None                 # None: each record's own; "current"; a bundle or a directory
    bundle_dirs: list[Path] = field(default_factory=list)
    workers: int = 1
    chunk_bytes: int = 1 << 20
    listed: int = 10_000                     # records not reproduced kept in full in the report


@dataclass
class Report:
    records_file: str
    lines: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    seal: dict[str, Any] = field(default_factory=dict)     # {"path", "status", "signature", "key_id"}
    rules: dict[str, Any] = field(default_factory=dict)    # {"mode", "override", "versions": {v: {"source", "path"}}}
    records: list[LineResult] = field(default_factory=list)  # every record not reproduced
    moved: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    reformatted: int = 0
    omitted: int = 0                                         # records not reproduced beyond Options.listed

    @property
    def tampered(self) -> bool:
        return any(f.kind in integrity.TAMPERING for f in self.findings)

    @property
    def exit_code(self) -> int:
        if self.tampered:
            return EXIT_TAMPERED
        if self.counts.get(DIFFERS, 0) or self.counts.get(DIFFERS_DETAILS, 0) or self.counts.get(FAILED, 0):
            return EXIT_DIFFERS
        if self.counts.get(NO_BUNDLE, 0) or any(f.kind == integrity.SEAL_MISSING for f in self.findings):
            return EXIT_INCOMPLETE
        return EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        changed = self.counts.get(DIFFERS, 0) + self.counts.get(DIFFERS_DETAILS, 0)
        return {
            "records_file": self.records_file, "lines": self.lines, "counts": dict(sorted(self.counts.items())),
            "tampered": self.tampered, "exit_code": self.exit_code, "reformatted_lines": self.reformatted,
            "seal": self.seal, "rules": self.rules,
            "findings": [f.to_dict() for f in self.findings],
            "impact": {"decisions_changed": changed, "money_changed": self.counts.get(DIFFERS, 0),
                       "moved": [{"program": p, "year": y, "amount": str(v)} for (p, y), v in sorted(self.moved.items()) if v],
                       "moved_total": str(sum(self.moved.values(), Decimal(0)))},
            "records": [_result_dict(r) for r in self.records], "records_omitted": self.omitted,
        }


def _result_dict(r: LineResult) -> dict[str, Any]:
    return {"line": r.entry.pos, "seq": r.entry.seq, "input_line": r.input_line, "case_id": r.case_id,
            "status": r.status, "rules_version": r.rules_version, "diff": r.diff, "error": r.error}


class _Rules:
    """Where each rules_version's rules are: the installed rules when they are that
    version, else a verified bundle (beside the records, in --bundles, in the store),
    extracted once into a directory of this run."""

    def __init__(self, records: Path, options: Options, workdir: Path):
        self.workdir = workdir
        self.search = [*options.bundle_dirs, records.resolve().parent, default_store()]
        self.installed = rules_version(default_rules_dir())
        self.dirs: dict[str, str | None] = {}
        self.info: dict[str, dict[str, Any]] = {}
        self.override: str | None = None
        self.override_version: str | None = None
        if options.rules is not None:
            self.override, self.override_version = self._override(options.rules)

    def _override(self, spec: str) -> tuple[str, str]:
        if spec == "current":
            return SHIPPED, self.installed
        path = Path(spec)
        if path.is_dir():
            return str(path), rules_version(path)
        opened = open_bundle(path, self.workdir / "override")
        return str(opened.rules_dir), opened.rules_version

    def resolve(self, version: str) -> str | None:
        if version in self.dirs:
            return self.dirs[version]
        found: str | None = None
        if version == self.installed:
            found, self.info[version] = SHIPPED, {"source": "installed"}
        else:
            refused: list[str] = []
            for path in candidates(version, self.search):
                dest = self.workdir / f"b{len(self.dirs)}-{len(refused)}"
                try:
                    opened = open_bundle(path, dest, expect_version=version)
                except BundleError as exc:
                    refused.append(str(exc))
                    continue
                found = str(opened.rules_dir)
                self.info[version] = {"source": "bundle", "path": str(path), "bundle_sha256": opened.bundle_sha256}
                break
            if found is None:
                self.info[version] = {"source": "missing", "searched": [str(p) for p in self.search], "refused": refused}
        self.dirs[version] = found
        return found


def _chunks(path: Path, limit: int) -> Iterator[tuple[list[tuple[int, bytes]], int]]:
    """Runs of (line number, bytes) of about `limit` bytes, with the bytes read so far."""
    items: list[tuple[int, bytes]] = []
    size = done = 0
    with path.open("rb") as fh:
        for pos, raw in enumerate(fh, start=1):
            items.append((pos, raw))
            size += len(raw)
            done += len(raw)
            if size >= limit or len(items) >= 256:
                yield items, done
                items, size = [], 0
    if items:
        yield items, done


def _entries(records: Path) -> list[Entry]:
    """Every line's chain entry, without evaluating anything."""
    out = []
    with records.open("rb") as fh:
        for pos, raw in enumerate(fh, start=1):
            out.append(_entry(pos, raw))
    return out


def _entry(pos: int, raw: bytes) -> Entry:
    complete = raw.endswith(b"\n")
    try:
        text = (raw[:-1] if complete else raw).decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    env = envelope(text) if text else None
    if env is not None:
        stored, computed = line_hash(text)
        seq = env.tail.get("seq")
        if stored is not None and stored == computed == env.tail.get("record_hash") and isinstance(seq, int):
            return Entry(pos, seq=seq, prev=_str(env.tail.get("prev_hash")), stored=stored, hash_ok=True, complete=complete)
    return inspect(pos, raw)[0]


def _version_of(raw: bytes) -> str | None:
    at = raw.rfind(_RV_KEY)
    if at < 0:
        return None
    start = at + len(_RV_KEY)
    end = raw.find(b'"', start)
    return raw[start:end].decode("ascii", "replace") if end > 0 else None


def _pool_init() -> None:
    _ENGINES.clear()


Chunk = tuple[list[tuple[int, bytes]], dict[str, str | None]]


def run_chunks(work: Iterable[Chunk], override: str | None, workers: int) -> Iterator[list[LineResult]]:
    """`replay_lines` over the chunks, in order: here, or in `workers` processes with at
    most a few chunks in flight each (memory stays flat on long files). A worker that
    dies (a case that crashes the C library) is replaced; its chunk is replayed again
    one line per task, and a line that kills a worker on its own is reported `failed`."""
    if workers <= 1:
        for items, dirs in work:
            yield replay_lines(items, dirs, override)
        return
    pool = _Pool(workers)
    try:
        pending: deque[tuple[Chunk, tuple[ProcessPoolExecutor, Future[list[LineResult]]]]] = deque()
        for chunk in work:
            pending.append((chunk, pool.submit(chunk, override)))
            if len(pending) >= 3 * workers:
                yield pool.result(*pending.popleft(), override)
        while pending:
            yield pool.result(*pending.popleft(), override)
    finally:
        pool.close()


class _Pool:
    def __init__(self, workers: int):
        self.workers = workers
        self.ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        self.executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=self.ctx, initializer=_pool_init)

    def submit(self, chunk: Chunk, override: str | None) -> tuple[ProcessPoolExecutor, Future[list[LineResult]]]:
        return self.executor, self.executor.submit(replay_lines, chunk[0], chunk[1], override)

    def result(self, chunk: Chunk, submitted: tuple[ProcessPoolExecutor, Future[list[LineResult]]],
               override: str | None) -> list[LineResult]:
        """The chunk's results; if its worker pool broke, the chunk again, one line per
        task with nothing else in flight, so that only the line that kills a worker on
        its own is lost (every chunk in flight when the pool broke comes here too)."""
        executor, future = submitted
        try:
            return future.result()
        except BrokenProcessPool:
            if executor is self.executor:  # else it was replaced already, for an earlier chunk
                self._restart()
        out = []
        items, dirs = chunk
        for item in items:
            try:
                out.extend(self.executor.submit(replay_lines, [item], dirs, override).result())
            except BrokenProcessPool:
                self._restart()
                out.append(LineResult(_entry(*item), FAILED, error="the line killed its worker process"))
        return out

    def _restart(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._new()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def replay(records: Path, options: Options, progress: Callable[[int, int], None] | None = None) -> Report:
    """Replay one record file; raises OSError, RuleError or BundleError (for --rules)
    when the run cannot start."""
    report = Report(str(records))
    workdir = Path(tempfile.mkdtemp(prefix="xisai-replay-"))
    try:
        rules = _Rules(records, options, workdir)
        total = records.stat().st_size
        tracker = integrity.Tracker()
        versions: set[str] = set()

        def work() -> Iterator[tuple[list[tuple[int, bytes]], dict[str, str | None]]]:
            for items, done in _chunks(records, options.chunk_bytes):
                dirs = {}
                if rules.override is None:
                    for _, raw in items:
                        v = _version_of(raw)
                        if v is not None and v not in dirs:
                            dirs[v] = rules.resolve(v)
                yield items, dirs
                if progress:
                    progress(done, total)

        for results in run_chunks(work(), rules.override, options.workers):
            for r in results:
                tracker.add(r.entry)
                report.counts[r.status] = report.counts.get(r.status, 0) + 1
                report.reformatted += r.reformatted
                if r.rules_version:
                    versions.add(r.rules_version)
                if r.status != REPRODUCED:
                    if len(report.records) < options.listed:
                        report.records.append(r)
                    else:
                        report.omitted += 1
                if r.diff:
                    for program, year, delta in r.diff["moved"]:
                        report.moved[(program, year)] = report.moved.get((program, year), Decimal(0)) + Decimal(delta)
        report.lines = tracker.lines
        report.rules = {"mode": "own" if rules.override is None else "other",
                        "override": None if rules.override is None else {"spec": options.rules, "rules_version": rules.override_version},
                        "versions": {v: rules.info.get(v, {"source": "not_needed"}) for v in sorted(versions)}}
        seal_doc, seal_body = _seal(records, options, report)
        trusted = report.seal.get("signature") == "valid"
        findings = tracker.findings(seal_body, versions)
        if findings is None:  # something is off: read every line's place in the chain again
            findings = integrity.analyse(_entries(records), seal_body, trusted, versions)
        report.findings = _signature_findings(report) + findings
        if seal_doc is not None and seal_body is not None:
            report.seal["count"] = seal_body.get("count")
        return report
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _seal(records: Path, options: Options, report: Report) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    path = options.seal or seal_path(records)
    if not path.exists():
        report.seal = {"path": str(path), "status": "missing", "signature": "unsigned"}
        if options.trusted_key is not None:
            report.seal["signature"] = "missing"
        return None, None
    try:
        document = read_seal(path)
    except (ValueError, OSError) as exc:
        report.seal = {"path": str(path), "status": "unreadable", "error": str(exc), "signature": "unsigned"}
        return None, None
    check = check_signature(document, options.trusted_key)
    report.seal = {"path": str(path), "status": "present", "signature": check.status, "key_id": check.key_id}
    if options.trusted_key is not None:
        report.seal["trusted_key"] = key_id(options.trusted_key)
    return document, document["seal"]


def _signature_findings(report: Report) -> list[Finding]:
    status = report.seal.get("signature")
    if status == "invalid":
        return [Finding(integrity.BAD_SIGNATURE, detail={"key_id": report.seal.get("key_id")})]
    if status == "wrong_key":
        return [Finding(integrity.WRONG_KEY, detail={"key_id": report.seal.get("key_id")})]
    if status == "missing" or (status == "unsigned" and report.seal.get("trusted_key")):
        return [Finding(integrity.UNSIGNED)]
    if report.seal.get("status") == "unreadable":
        return [Finding(integrity.SEAL_MISMATCH, detail={"field": "(file)", "value": report.seal.get("error")})]
    return []


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


__all__ = ["Options", "Report", "replay", "RuleError", "BundleError"]
