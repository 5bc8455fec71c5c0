"""Replay in worker processes: chunks of lines out, results back in order, a few
chunks in flight per worker so that memory stays flat on long files. A worker that
dies (a case that crashes the C library) is replaced; the chunks in flight are
replayed again one line per task, and the line that kills a worker on its own is
reported `failed`."""
from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

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


class _Pool:
    def __init__(self, workers: int):
        self.workers = workers
        self.ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        self.executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=self.ctx, initializer=forget_engines)

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
                out.append(LineResult(chain_entry(item[0], item[1]), FAILED, error="the line killed its worker process"))
        return out

    def _restart(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._new()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


