"""Replay in worker processes: chunks of lines out, results back in order, a few
chunks in flight per worker so that memory stays flat on long files. A worker that
dies (a case that crashes the C library) is replaced; the chunks in flight are
replayed again one line per task, and the line that kills a worker on its own is
reported `failed`.

Workers are spawned, as batch's are, and take batch's test hook
(engine/batch/worker.py: XISAI_TEST_CRASH_ON=<case_id> makes a worker abort on the
record of that case), so that a test can kill a worker deterministically."""
from __future__ import annotations

import json
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from .batch.worker import TestHooks
from .replay_line import FAILED, Item, LineResult, chain_entry, forget_engines, replay_lines

Chunk = tuple[list[Item], dict[str, str | None]]


def run_chunks(work: Iterable[Chunk], override: str | None, workers: int) -> Iterator[list[LineResult]]:
    """`replay_lines` over the chunks, in order: here (`workers` 0), or in `workers` processes with at
    most a few chunks in flight each (memory stays flat on long files). A worker that
    dies (a case that crashes the C library) is replaced; its chunk is replayed again
    one line per task, and a line that kills a worker on its own is reported `failed`."""
    if workers <= 0:
        for items, dirs in work:
            yield replay_lines(items, dirs, override)
        return
    pool = _Pool(workers)
    try:
        pending: deque[tuple[Chunk, tuple[ProcessPoolExecutor, Future[list[LineResult]]]]] = deque()
        for chunk in work:
            pending.append((chunk, pool.submit(chunk, override)))
            if len(pending) >= 2 * workers + 2:  # as many in flight as batch keeps
                yield pool.result(*pending.popleft(), override)
        while pending:
            yield pool.result(*pending.popleft(), override)
    finally:
        pool.close()


_HOOKS: TestHooks | None = None   # in a worker, when the test hooks are set


def _start_worker() -> None:
    global _HOOKS
    forget_engines()
    _HOOKS = TestHooks.from_env()


def _replay_in_worker(items: list[Item], dirs: dict[str, str | None], override: str | None) -> list[LineResult]:
    if _HOOKS is not None:
        for _, raw, _ in items:
            _HOOKS.before(_case_of(raw))
    return replay_lines(items, dirs, override)


def _case_of(raw: bytes) -> bytes | None:
    """A record's case, for the test hooks (which read its case_id)."""
    try:
        case = json.loads(raw).get("case")
    except (ValueError, AttributeError):
        return None
    return json.dumps(case).encode() if isinstance(case, dict) else None


class _Pool:
    def __init__(self, workers: int):
        self.workers = workers
        # spawn, as batch does: a fork would copy the CLI's progress thread and its locks mid-flight
        self.ctx = multiprocessing.get_context("spawn")
        self.executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=self.ctx, initializer=_start_worker)

    def submit(self, chunk: Chunk, override: str | None) -> tuple[ProcessPoolExecutor, Future[list[LineResult]]]:
        return self.executor, self.executor.submit(_replay_in_worker, chunk[0], chunk[1], override)

    def result(self, chunk: Chunk, submitted: tuple[ProcessPoolExecutor, Future[list[LineResult]]],
               override: str | None) -> list[LineResult]:
        """The chunk's results; if its worker pool broke, the chunk again, one line per
        task with nothing else in flight, so that only the line that kills a worker on
        its own is lost (every chunk in flight when the pool broke comes here too)."""
        executor, future = submitted
        try:
            return future.result()
        except (BrokenProcessPool, CancelledError):  # cancelled: its pool was shut down, for an earlier chunk
            if executor is self.executor:  # else it was replaced already, for an earlier chunk
                self._restart()
        out = []
        items, dirs = chunk
        for item in items:
            try:
                out.extend(self.executor.submit(_replay_in_worker, [item], dirs, override).result())
            except (BrokenProcessPool, CancelledError):
                self._restart()
                out.append(LineResult(chain_entry(item[0], item[1]), FAILED, error="the line killed its worker process"))
        return out

    def _restart(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._new()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


