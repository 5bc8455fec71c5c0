"""Replay a record file: check every line's hash and the chain, re-evaluate every case
under the rules its record names (or under other rules, for the impact of a change),
and compare with the recorded decision.

The work per line (parse, hash, evaluate, compare) is engine/replay_line.py, run here
or in worker processes (engine/replay_pool.py); the chain and the seal are judged
once every line is in (engine/integrity.py). The report is data; cli/replay_view.py
renders it."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import integrity
from .bundles import BundleError, candidates, default_store, is_rules_version, open_bundle
from .integrity import Finding
from .replay_line import (
    DIFFERS,
    DIFFERS_DETAILS,
    FAILED,
    NO_BUNDLE,
    REPRODUCED,
    LineResult,
    chain_entries,
    intact,
)
from .replay_pool import Chunk, run_chunks
from .rulebook import RuleError, default_rules_dir, rules_version
from .seal import check_signature, key_id, read_seal, seal_path

# Exit codes of `xisai replay` (docs/records.md).
EXIT_OK, EXIT_ERROR, EXIT_DIFFERS, EXIT_TAMPERED, EXIT_INCOMPLETE = 0, 1, 3, 4, 5

SHIPPED = ""                     # the rules directory key of the installed rules
_RV_KEY = b',"rules_version":"'


@dataclass
class Options:
    seal: Path | None = None                 # default: <records>.seal.json if present
    trusted_key: Any = None                  # an Ed25519PublicKey for --verify-key
    rules: str | None = None                 # None: each record's own; "current"; a bundle or a directory
    bundle_dirs: list[Path] = field(default_factory=list)
    workers: int = 0                         # worker processes; 0: in this process
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
        elif not is_rules_version(version):  # never searched for: it names no rules
            self.info[version] = {"source": "missing", "searched": [], "refused": ["not a rules_version"]}
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


MAX_RECORD_LINE = 1 << 28  # 256 MiB: a record holds a case of at most 64 MiB and its decision


def _chunks(path: Path, limit: int) -> Iterator[tuple[list[tuple[int, bytes]], int]]:
    """Runs of (line number, bytes) of about `limit` bytes, with the bytes read so far."""
    items: list[tuple[int, bytes]] = []
    size = done = pos = 0
    with path.open("rb") as fh:
        while raw := fh.readline(MAX_RECORD_LINE + 1):
            pos += 1
            done += len(raw)
            if len(raw) > MAX_RECORD_LINE and not raw.endswith(b"\n"):
                # No record is this long (batch leaves a case over 16 MiB unread): read past
                # it a block at a time, and keep a placeholder that reads as no record.
                while more := fh.readline(1 << 20):
                    done += len(more)
                    if more.endswith(b"\n"):
                        break
                raw = b"\n"
            items.append((pos, raw))
            size += len(raw)
            if size >= limit or len(items) >= 256:
                yield items, done
                items, size = [], 0
    if items:
        yield items, done


def _version_of(raw: bytes) -> str | None:
    at = raw.rfind(_RV_KEY)
    if at < 0:
        return None
    start = at + len(_RV_KEY)
    end = raw.find(b'"', start)
    return raw[start:end].decode("ascii", "replace") if end > 0 else None


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

        def work() -> Iterator[Chunk]:
            for lines, done in _chunks(records, options.chunk_bytes):
                dirs: dict[str, str | None] = {}
                items = []
                for pos, raw in lines:
                    checked = intact(raw)  # here, while reading: the workers only decide
                    items.append((pos, raw, checked))
                    if rules.override is None:
                        v = checked.rules_version if checked is not None else _version_of(raw)
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
            findings = integrity.analyse(chain_entries(records), seal_body, trusted, versions)
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

