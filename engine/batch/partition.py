"""Partitions: byte ranges of an input file, aligned to line starts, that any
executor can run (a Dask worker, a process of another machine reading the same
shared file system, or this process).

Running a partition writes, in `parts_dir`, `NNNNNN.jsonl` (its decision lines, the
same bytes the output gets) and `NNNNNN.tally.jsonl` (per line its number and tally,
for the summary). Both are written under temporary names, fsynced, then renamed,
tallies first: a partition whose decisions file exists is complete. The final output
is the partitions' decision lines in order, written by the one writer of the run.
"""
from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..evaluate import Engine
from .line import Result, Tally
from .reader import Line, LineReader
from .worker import Settings, TestHooks, build_engine, evaluate_lines

_BLOCK = 2**20


@dataclass(frozen=True)
class Partition:
    index: int
    start: int          # byte offset of its first line
    end: int            # byte offset after its last line
    first_line: int
    lines: int


def plan(path: Path, lines_per_partition: int) -> list[Partition]:
    """Cut the file after every `lines_per_partition` lines (one pass, counting newlines)."""
    out: list[Partition] = []
    start, first, count, offset = 0, 1, 0, 0
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            pos = 0
            while True:
                newline = block.find(b"\n", pos)
                if newline < 0:
                    break
                count += 1
                pos = newline + 1
                if count == lines_per_partition:
                    out.append(Partition(len(out), start, offset + pos, first, count))
                    start, first, count = offset + pos, first + count, 0
            offset += len(block)
    if offset > start:  # the rest, with or without a last newline
        out.append(Partition(len(out), start, offset, first, count + (0 if _ends_with_newline(path, offset) else 1)))
    return out


def _ends_with_newline(path: Path, size: int) -> bool:
    with open(path, "rb") as fh:
        fh.seek(size - 1)
        return fh.read(1) == b"\n"


def part_paths(parts_dir: Path, index: int) -> tuple[Path, Path]:
    return parts_dir / f"{index:06d}.jsonl", parts_dir / f"{index:06d}.tally.jsonl"


def read_lines(input_path: Path, part: Partition) -> Iterator[Line]:
    with open(input_path, "rb") as fh:
        fh.seek(part.start)
        yield from LineReader(fh, first_line=part.first_line, offset=part.start, end=part.end, hashed=False)


def write_part(parts_dir: Path, part: Partition, results: Iterator[tuple[int, Result]]) -> int:
    """Write a partition's files from (line number, result) pairs; returns the lines."""
    decisions, tallies = part_paths(parts_dir, part.index)
    # A task of an earlier, dead client may still be writing the same partition: its own
    # temporary names keep the two apart (both write the same bytes; a rename is atomic).
    unique = f".{os.getpid()}.{uuid.uuid4().hex}.tmp"
    tmp_d, tmp_t = decisions.with_name(decisions.name + unique), tallies.with_name(tallies.name + unique)
    count = 0
    with open(tmp_d, "wb") as fd, open(tmp_t, "w", encoding="utf-8", newline="\n") as ft:
        for number, (line, tally) in results:
            fd.write(line + b"\n")
            ft.write(json.dumps([number, tally[0], tally[1]], ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
        for fh in (fd, ft):
            fh.flush()
            os.fsync(fh.fileno())
    if count != part.lines:
        raise RuntimeError(f"partition {part.index} has {count} lines, {part.lines} were planned")
    os.replace(tmp_t, tallies)
    os.replace(tmp_d, decisions)
    return count


def read_part(parts_dir: Path, part: Partition) -> Iterator[tuple[int, Result]]:
    decisions, tallies = part_paths(parts_dir, part.index)
    with open(decisions, "rb") as fd, open(tallies, encoding="utf-8") as ft:
        for line, tally_line in zip(fd, ft, strict=True):
            number, status, payouts = json.loads(tally_line)
            tally: Tally = (status, tuple(tuple(p) for p in payouts))  # type: ignore[misc]
            yield number, (line[:-1], tally)


def is_done(parts_dir: Path, part: Partition) -> bool:
    decisions, tallies = part_paths(parts_dir, part.index)
    return decisions.exists() and tallies.exists()


# --- the task an executor runs -------------------------------------------------------
_engines: dict[tuple[str | None, str], Engine] = {}
_lock = threading.Lock()   # durable-rules is not thread-safe: one evaluation at a time per process


def engine_for(settings: Settings) -> Engine:
    """This process's Engine, built on first use (lazily: never pickled, never shared)."""
    key = (settings.rules_dir, settings.rules_version)
    if key not in _engines:
        _engines[key] = build_engine(settings)
    return _engines[key]


def run_partition(input_path: str, parts_dir: str, part: Partition, settings: Settings) -> int:
    """Decide one partition and write its files; returns its line count."""
    with _lock:
        engine = engine_for(settings)
        hooks = TestHooks.from_env()
        lines = read_lines(Path(input_path), part)
        results = ((line[0], r) for line in lines for r in evaluate_lines(engine, [line], settings, hooks))
        return write_part(Path(parts_dir), part, results)


def run_partition_with(evaluate: Callable[[list[Line]], list[Result]], input_path: Path, parts_dir: Path,
                       part: Partition, batch: int = 256) -> int:
    """The same partition through another evaluator (a local worker pool, say)."""
    def results() -> Iterator[tuple[int, Result]]:
        pending: list[Line] = []
        for line in read_lines(input_path, part):
            pending.append(line)
            if len(pending) == batch:
                yield from zip((n for n, _ in pending), evaluate(pending), strict=True)
                pending = []
        if pending:
            yield from zip((n for n, _ in pending), evaluate(pending), strict=True)
    return write_part(parts_dir, part, results())
