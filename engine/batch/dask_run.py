"""The partitions on a Dask cluster (`--dask SCHEDULER`; `pip install xisai[dask]`).

Each partition is one task (`partition.run_partition`), run by a worker process
that builds its own Engine on first use. durable-rules is not thread-safe, so every
worker must have one thread and be a process of its own: checked before anything
is submitted, and the task itself holds a per-process lock. The workers read the
input and write the partition files on a file system they share with this process.

Decisions come back in input order: the partition files are read in order, as the
main reader goes through the input (which gives the offsets and hash for the
checkpoints). A partition that Dask gives up on (KilledWorker: it killed its workers
every time) is run here by the local, crash-safe worker pool, line by line if need
be, so a case that kills its process still gets its `error` decision.
"""
from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import BatchError
from .line import Result
from .partition import Partition, is_done, part_paths, plan, read_part, run_partition, run_partition_with
from .pool import WorkerPool
from .reader import InputChunk, Line
from .worker import Settings


class _Stopped(Exception):
    """Ctrl-C while a partition is still running: the run ends before it."""


def _identity() -> tuple[str, int]:
    return socket.gethostname(), os.getpid()


class DaskExecutor:
    def __init__(self, address: str, settings: Settings, input_path: Path, parts_dir: Path,
                 partition_lines: int, local_pool: Callable[[], WorkerPool], max_ahead: int | None = None):
        self._address = address
        self._settings = settings
        self._input = input_path
        self._parts_dir = parts_dir
        self._partition_lines = partition_lines
        self._local_pool = local_pool
        self._pool: WorkerPool | None = None
        self._max_ahead = max_ahead
        self._client: Any = None
        self._futures: dict[int, Any] = {}
        self._pids: list[int] = []
        self._workers = 0
        self._submitted_to = 0
        self.restarts = 0          # partitions Dask gave up on, run locally instead

    def __enter__(self) -> DaskExecutor:
        try:
            from distributed import Client
        except ImportError:
            raise BatchError("--dask needs the dask extra: pip install 'xisai[dask]'") from None
        try:
            self._client = Client(self._address, timeout="30s")
        except Exception as exc:  # OSError, TimeoutError, ValueError for an address of another process...
            raise BatchError(f"cannot reach the Dask scheduler at {self._address}: {exc}") from None
        self._check_workers()
        self._parts_dir.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            if self._futures:
                self._client.cancel(list(self._futures.values()))
            self._client.close()
        if self._pool is not None:
            self._pool.close(graceful=exc[0] is None)

    def _check_workers(self) -> None:
        self._client.wait_for_workers(1, timeout=60)
        workers = self._client.scheduler_info(n_workers=-1)["workers"]
        threaded = sorted(a for a, w in workers.items() if w.get("nthreads") != 1)
        if threaded:
            raise BatchError("every Dask worker must have threads_per_worker=1 (durable-rules is not thread-safe); "
                             f"these have more: {', '.join(threaded)}")
        identities = self._client.run(_identity)
        if len(set(identities.values())) < len(identities):
            raise BatchError("several Dask workers share one process (processes=False?): each needs a process of its own")
        self._pids = sorted(pid for _, pid in identities.values())
        self._workers = len(identities)

    def pids(self) -> list[int]:
        return list(self._pids)

    # -------------------------------------------------------------------------------
    def run(self, chunks: Iterable[InputChunk], should_stop: Callable[[], bool] = lambda: False
            ) -> Iterator[tuple[InputChunk, list[Result]]]:
        parts = plan(self._input, self._partition_lines)
        source = iter(chunks)
        first = next(source, None)
        if first is None:
            return
        start = first.lines[0][0]
        index = next((p.index for p in parts if p.first_line + p.lines > start), len(parts))
        ahead = self._max_ahead or 2 * self._workers + 1
        self._submitted_to = index
        cursor: Iterator[tuple[int, Result]] | None = None
        chunk: InputChunk | None = first
        while chunk is not None:
            results: list[Result] = []
            for number, _ in chunk.lines:
                while True:
                    if cursor is None:
                        if index >= len(parts):
                            raise BatchError(f"the input changed while it was read: line {number} is in no partition")
                        self._submit_ahead(parts, index, ahead)
                        try:
                            cursor = self._open(parts[index], should_stop)
                        except _Stopped:
                            return
                    item = next(cursor, None)
                    if item is None:  # this partition is done: its files have served
                        for path in part_paths(self._parts_dir, index):
                            path.unlink(missing_ok=True)
                        index, cursor = index + 1, None
                        continue
                    found, result = item
                    if found < number:
                        continue  # decided by an earlier run
                    if found != number:
                        raise BatchError(f"partition {index} gave line {found} where line {number} was expected")
                    results.append(result)
                    break
            yield chunk, results
            if should_stop():
                return
            chunk = next(source, None)

    def _submit_ahead(self, parts: list[Partition], index: int, ahead: int) -> None:
        while self._submitted_to < len(parts) and self._submitted_to < index + ahead:
            part = parts[self._submitted_to]
            if not is_done(self._parts_dir, part):
                self._futures[part.index] = self._client.submit(
                    run_partition, str(self._input), str(self._parts_dir), part, self._settings,
                    pure=False, priority=-part.index)
            self._submitted_to += 1

    def _open(self, part: Partition, should_stop: Callable[[], bool]) -> Iterator[tuple[int, Result]]:
        future = self._futures.get(part.index)
        if future is not None:
            from distributed import KilledWorker
            try:
                while True:
                    try:
                        future.result(timeout=0.25)
                        break
                    except TimeoutError:
                        if should_stop():
                            raise _Stopped from None
            except _Stopped:
                raise
            except KilledWorker:
                self.restarts += 1
                run_partition_with(self._evaluate_locally, self._input, self._parts_dir, part)
            except Exception as exc:
                raise BatchError(f"partition {part.index} failed on the Dask cluster: {type(exc).__name__}: {exc}") from exc
            del self._futures[part.index]
        elif not is_done(self._parts_dir, part):
            run_partition_with(self._evaluate_locally, self._input, self._parts_dir, part)
        return read_part(self._parts_dir, part)

    def _evaluate_locally(self, lines: list[Line]) -> list[Result]:
        if self._pool is None:
            self._pool = self._local_pool().__enter__()
        out: list[Result] = []
        for _, results in self._pool.run([InputChunk(0, lines, 0, "")]):
            out.extend(results)
        return out
