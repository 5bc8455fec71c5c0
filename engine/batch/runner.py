"""One batch run: input lines in, decision lines out in input order, a summary.

    reader (input order, offsets, hash) -> executor (local pool or Dask partitions)
        -> results in input order -> summary + writer -> checkpoints in the run record

The run's fixed parameters (today, rules version, --as-of, line transform, partition
size) are recorded once at the start; --resume takes them from the record, cuts the
output after its last complete line, skips as many input lines (checking the input's
hash at the checkpoint) and goes on, so the finished file has the same bytes as an
uninterrupted run.
"""
from __future__ import annotations

import os
import shutil
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from ..atomic_file import remove_durably
from ..records import RecordTransform, engine_version
from ..rulebook import RuleBook, RuleError, load_rulebook
from ..seal import seal_path
from .errors import BatchError
from .line import Result, tally_of
from .pool import WorkerPool
from .reader import InputChunk, LineReader
from .records_line import keep_bundle, seal_output
from .sidecar import Checkpoint, RunRecord, sidecar_path
from .summary import Summary
from .worker import Settings
from .writer import LineTransform, OutputWriter, PlainLines, recover_output, usable_checkpoint

EXIT_OK, EXIT_ERROR, EXIT_INVALID, EXIT_ENGINE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
STDIO = "-"


@dataclass
class BatchOptions:
    input: str                          # a path, or "-" for standard input
    output: str                         # a path, or "-" for standard output
    as_of: date | None = None
    workers: int | None = None          # None: os.cpu_count()
    chunk_lines: int = 256
    resume: bool = False
    rules_dir: Path | None = None
    dask: str | None = None             # a scheduler address
    partition_lines: int = 20_000
    sync_seconds: float = 2.0
    records: bool = False               # each line a decision record, sealed at the end (docs/records.md)
    sign_key: Any = None                # an Ed25519 private key: the seal is signed


@dataclass
class Progress:
    lines: int                 # decisions in the output (resumed ones included)
    ok: int
    invalid: int
    error: int
    resumed_from: int          # decisions already there when this invocation started
    input_bytes: int
    input_size: int | None
    elapsed: float             # seconds of this invocation
    workers: list[int]         # worker pids
    restarts: int              # workers replaced (or partitions re-run) after dying
    done: bool = False

    @property
    def rate(self) -> float:
        return (self.lines - self.resumed_from) / self.elapsed if self.elapsed > 0 else 0.0


@dataclass
class Outcome:
    summary: Summary
    record: RunRecord
    book: RuleBook
    lines: int
    resumed_from: int
    interrupted: bool
    restarts: int
    output: str

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.summary.error:
            return EXIT_ENGINE
        return EXIT_INVALID if self.summary.invalid else EXIT_OK


class Executor(Protocol):
    restarts: int

    def run(self, chunks: Iterator[InputChunk], should_stop: Callable[[], bool]) -> Iterator[tuple[InputChunk, list[Result]]]: ...

    def pids(self) -> list[int]: ...


def run_batch(opts: BatchOptions, on_progress: Callable[[Progress], None] | None = None,
              transform: LineTransform | None = None) -> Outcome:
    transform = transform or (RecordTransform() if opts.records else PlainLines())
    if opts.records and opts.output == STDIO:
        raise BatchError("--records needs an output file: its seal and rules bundle go beside it")
    try:
        book = load_rulebook(opts.rules_dir)
    except RuleError as exc:
        raise BatchError(f"the rules did not load: {exc}") from None
    if opts.dask and opts.input == STDIO:
        raise BatchError("--dask reads the input file from the workers: it needs a file, not standard input")
    if opts.resume and opts.output == STDIO:
        raise BatchError("--resume needs an output file, not standard output")
    with _open_input(opts.input) as (stream, size):
        record = RunRecord(rules_version=book.version, today=date.today().isoformat(),
                           as_of=opts.as_of.isoformat() if opts.as_of else None, transform=transform.name,
                           partition_lines=opts.partition_lines,
                           input_path=opts.input if opts.input == STDIO else str(Path(opts.input).resolve()),
                           input_size=size, xisai_version=engine_version(),
                           started=datetime.now(UTC).isoformat(timespec="seconds"))
        if opts.output == STDIO:
            return _run(opts, book, record, _Start(LineReader(stream)), sys.stdout.buffer, None, Summary(), transform, on_progress)
        output = Path(opts.output)
        side = sidecar_path(output)
        # an empty output with no record: the run died before its first line, start it again
        resuming = opts.resume and output.exists() and (output.stat().st_size > 0 or side.exists())
        if resuming:
            record = _resumed_record(side, record, opts)
        try:
            out = open(output, "r+b" if resuming else "wb")  # noqa: SIM115 (closed by the with below)
        except OSError as exc:
            raise BatchError(f"cannot write {output}: {exc.strerror}") from None
        if not (resuming and opts.records):
            # A seal beside the output vouches for what is there now: this run replaces it
            # (a records run resumed keeps it until the run completes and seals anew).
            remove_durably(seal_path(output))
        with out:
            if resuming:
                summary, start = _recover(out, record, transform, stream)
            else:
                shutil.rmtree(_parts_dir(output), ignore_errors=True)
                summary, start = Summary(), _Start(LineReader(stream))
                record.save(side)
            return _run(opts, book, record, start, out, side, summary, transform, on_progress)


@dataclass
class _Start:
    reader: LineReader         # positioned after the lines already decided
    lines: int = 0             # complete lines already in the output
    offset: int = 0            # and their bytes


# --- the main loop ------------------------------------------------------------------
def _run(opts: BatchOptions, book: RuleBook, record: RunRecord, start: _Start, out: BinaryIO, side: Path | None,
         summary: Summary, transform: LineTransform, on_progress: Callable[[Progress], None] | None) -> Outcome:
    reader, lines_kept, offset_kept, size = start.reader, start.lines, start.offset, record.input_size
    writer = OutputWriter(out, transform, lines_kept, offset_kept, opts.sync_seconds, can_sync=side is not None)
    settings = Settings(str(opts.rules_dir.resolve()) if opts.rules_dir else None, record.rules_version,
                        date.fromisoformat(record.as_of) if record.as_of else None, date.fromisoformat(record.today),
                        records=opts.records)
    bundles = keep_bundle(Path(opts.output), opts.rules_dir) if opts.records else {}
    workers = opts.workers or os.cpu_count() or 1
    started = time.monotonic()
    input_bytes = reader.offset
    decided = (reader.offset, reader.digest())  # the input behind the output's complete lines

    def progress(executor: Executor, done: bool = False) -> None:
        if on_progress is not None:
            on_progress(Progress(writer.lines, summary.ok, summary.invalid, summary.error, lines_kept, input_bytes, size,
                                 time.monotonic() - started, executor.pids(), executor.restarts, done))

    def checkpoint(complete: bool = False) -> None:
        writer.sync()
        if side is not None:
            record.checkpoint = Checkpoint(writer.lines, writer.offset, decided[0], decided[1], summary.to_state())
            record.complete = complete
            record.save(side)

    executor: Executor
    if opts.dask:
        from .dask_run import DaskExecutor
        assert side is not None
        executor_cm: Any = DaskExecutor(opts.dask, settings, Path(opts.input).resolve(), _parts_dir(Path(opts.output).resolve()),
                                        record.partition_lines, lambda: WorkerPool(workers, settings))
    else:
        executor_cm = WorkerPool(workers, settings)
    with _stop_on_signals() as stop, executor_cm as executor:
        progress(executor)
        for chunk, results in executor.run(reader.chunks(opts.chunk_lines), stop.is_set):
            written = []
            for (number, _), (line, tally) in zip(chunk.lines, results, strict=True):
                summary.add(number, tally)
                written.append(line)
            try:
                writer.write(written)
            except OSError as exc:
                raise BatchError(f"cannot write {opts.output}: {exc.strerror}") from None
            decided = (chunk.end_offset, chunk.digest)
            input_bytes = chunk.end_offset
            if writer.sync_due():
                checkpoint()
            progress(executor)
        interrupted = stop.is_set()
        checkpoint(complete=not interrupted)
        progress(executor, done=True)
        restarts = executor.restarts
    if not interrupted and side is not None:
        shutil.rmtree(_parts_dir(Path(opts.output)), ignore_errors=True)
        if opts.records and isinstance(transform, RecordTransform):
            seal_output(Path(opts.output), transform.chain, bundles, opts.sign_key)
    return Outcome(summary, record, book, writer.lines, lines_kept, interrupted, restarts, opts.output)


# --- resume -------------------------------------------------------------------------
def _resumed_record(side: Path, now: RunRecord, opts: BatchOptions) -> RunRecord:
    if not side.exists():
        raise BatchError(f"{side} is missing: without the run record this output cannot be resumed safely")
    try:
        recorded = RunRecord.load(side)
    except (ValueError, TypeError, KeyError) as exc:
        raise BatchError(f"{side} is not a readable run record: {exc}") from None
    if opts.as_of is None:
        now.as_of = recorded.as_of  # --as-of given once holds for the whole run
    differences = recorded.differences(now)
    if differences:
        raise BatchError("this is not the run recorded in " + str(side) + ": " + "; ".join(differences))
    return recorded


def _recover(out: BinaryIO, record: RunRecord, transform: LineTransform, stream: BinaryIO) -> tuple[Summary, _Start]:
    ck = record.checkpoint
    if ck.lines and usable_checkpoint(out, ck.output_bytes) and ck.summary is not None:
        summary = Summary.from_state(ck.summary)
        lines, offset = ck.lines, ck.output_bytes
    else:
        summary, lines, offset = Summary(), 0, 0
    recovered = recover_output(out, transform, lines, offset, lambda n, decision: summary.add(n, tally_of(decision)))
    try:
        transform.recover(recovered.last_line)
    except (ValueError, KeyError, TypeError) as exc:  # a line the checkpoint vouched for, since changed
        raise BatchError(f"the output's last line kept is not one this run wrote ({exc}): it cannot be continued") from None
    reader = LineReader(stream)
    try:
        reader.skip(lines)
        if lines and reader.digest() != ck.input_sha256:
            raise BatchError("the input's first lines are not those already decided (their SHA-256 differs): "
                             "resume with the same input")
        reader.skip(recovered.lines - lines)
    except EOFError as exc:
        raise BatchError(f"the input is shorter than the output already written: {exc}") from None
    return summary, _Start(reader, recovered.lines, recovered.offset)


# --- helpers ------------------------------------------------------------------------
@contextmanager
def _open_input(name: str) -> Iterator[tuple[BinaryIO, int | None]]:
    if name == STDIO:
        yield sys.stdin.buffer, None
        return
    try:
        fh = open(name, "rb")  # noqa: SIM115
    except OSError as exc:
        raise BatchError(f"cannot read {name}: {exc.strerror}") from None
    with fh:
        info = os.fstat(fh.fileno())
        yield fh, info.st_size if stat.S_ISREG(info.st_mode) else None


def _parts_dir(output: Path) -> Path:
    return output.with_name(output.name + ".parts")


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """Ctrl-C or SIGTERM: finish the chunks already decided, checkpoint, stop. A second
    one stops at once (the output stays resumable: --resume cuts a half-written line)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
