"""Local worker processes, each with one Engine, that survive their own deaths.

durable-rules is not thread-safe and can kill its process in C (SIGABRT, SIGSEGV), so
every evaluation runs in a worker process, even with one worker. Each worker has its
own pipe and holds at most one task, so the pool always knows which lines a dead
worker held. Retries, each in a fresh worker:

    the chunk once more  ->  each of its lines alone  ->  that line alone once more
    ->  an `error` decision naming the line (it killed a worker twice on its own)

Results come back in input order whatever the order of completion; at most
`max_ahead` chunks are open at once, which bounds memory.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from typing import Any

from .errors import BatchError
from .line import Result, crashed_line
from .reader import InputChunk, Line
from .records_line import crashed_record
from .worker import Settings, worker_main

# Stages of a task, in the order a dying task goes through them.
CHUNK, CHUNK_AGAIN, ALONE, ALONE_AGAIN = range(4)
_STARTUP_DEATHS = 3   # workers dying before they are ready, in a row: the pool gives up
_TICK_S = 0.25


class PoolError(BatchError):
    """The workers cannot run at all (rules do not load, processes do not start)."""


@dataclass
class _Task:
    id: int
    seq: int
    lines: list[Line]
    stage: int


@dataclass
class _Open:
    chunk: InputChunk
    results: dict[int, Result] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return len(self.results) == len(self.chunk.lines)


class _Worker:
    def __init__(self, ctx: Any, settings: Settings):
        self.conn, child = ctx.Pipe(duplex=True)
        self.process: BaseProcess = ctx.Process(target=worker_main, args=(child, settings), daemon=True)
        self.process.start()
        child.close()
        self.pid = self.process.pid or 0
        self.ready = False
        self.task: _Task | None = None


class WorkerPool:
    def __init__(self, workers: int, settings: Settings, max_ahead: int | None = None, start_method: str = "spawn"):
        self._ctx = multiprocessing.get_context(start_method)
        self._settings = settings
        self._n = max(1, workers)
        self._max_ahead = max_ahead or 2 * self._n + 2
        self._workers: list[_Worker] = []
        self._ids = 0
        self._startup_deaths = 0
        self.restarts = 0          # workers replaced after dying
        self.crashed_lines = 0     # lines written as `error` because they killed workers

    # --- life ---------------------------------------------------------------
    def __enter__(self) -> WorkerPool:
        self._workers = [_Worker(self._ctx, self._settings) for _ in range(self._n)]
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(graceful=exc[0] is None)

    def close(self, graceful: bool = True) -> None:
        for w in self._workers:
            if graceful and w.process.is_alive():
                with contextlib.suppress(OSError):
                    w.conn.send(None)
        for w in self._workers:
            w.process.join(timeout=2 if graceful else 0)
            if w.process.is_alive():
                w.process.kill()
                w.process.join(timeout=5)
            w.conn.close()
        self._workers = []

    def pids(self) -> list[int]:
        return [w.pid for w in self._workers]

    # --- work ---------------------------------------------------------------
    def run(self, chunks: Iterable[InputChunk], should_stop: Callable[[], bool] = lambda: False
            ) -> Iterator[tuple[InputChunk, list[Result]]]:
        """(chunk, its results in line order), chunk after chunk in input order.
        When should_stop() turns true, the run ends after the chunks already
        complete in order; the others are dropped."""
        source = iter(chunks)
        exhausted = False
        waiting: deque[_Task] = deque()
        open_: dict[int, _Open] = {}
        next_seq: int | None = None
        while True:
            stopping = should_stop()
            for w in self._workers:
                if not w.ready or w.task is not None:
                    continue
                if waiting:
                    task = waiting.popleft()
                elif not exhausted and not stopping and len(open_) < self._max_ahead:
                    chunk = next(source, None)
                    if chunk is None:
                        exhausted = True
                        continue
                    if next_seq is None:
                        next_seq = chunk.seq
                    open_[chunk.seq] = _Open(chunk)
                    task = self._task(chunk.seq, chunk.lines, CHUNK)
                else:
                    continue
                self._send(w, task)
            while next_seq is not None and next_seq in open_ and open_[next_seq].complete:
                done = open_.pop(next_seq)
                yield done.chunk, [done.results[n] for n, _ in done.chunk.lines]
                next_seq += 1
            if stopping or (exhausted and not open_):
                return  # when stopping, chunks still open are dropped: --resume decides them
            self._wait(open_, waiting)

    def _task(self, seq: int, lines: list[Line], stage: int) -> _Task:
        self._ids += 1
        return _Task(self._ids, seq, lines, stage)

    @staticmethod
    def _send(w: _Worker, task: _Task) -> None:
        w.task = task
        # If it died, its sentinel says so at the next wait, and the task is retried.
        with contextlib.suppress(OSError):
            w.conn.send((task.id, task.lines))

    def _wait(self, open_: dict[int, _Open], waiting: deque[_Task]) -> None:
        by_conn = {w.conn: w for w in self._workers}
        by_sentinel = {w.process.sentinel: w for w in self._workers}
        ready = wait(list(by_conn) + list(by_sentinel), timeout=_TICK_S)
        dead: list[_Worker] = []
        for obj in ready:
            if obj in by_conn:
                w = by_conn[obj]  # type: ignore[index]
                if not self._receive(w, open_) and w not in dead:
                    dead.append(w)
        for obj in ready:
            if obj in by_sentinel:
                w = by_sentinel[obj]  # type: ignore[index]
                while self._poll(w) and self._receive(w, open_):
                    pass  # a result sent just before dying still counts
                if w not in dead:
                    dead.append(w)
        for w in dead:
            self._lost(w, open_, waiting)

    @staticmethod
    def _poll(w: _Worker) -> bool:
        try:
            return w.conn.poll()
        except OSError:
            return False

    def _receive(self, w: _Worker, open_: dict[int, _Open]) -> bool:
        """Handle one message; False when the worker is gone."""
        try:
            message = w.conn.recv()
        except (EOFError, OSError):
            return False
        except Exception:  # a message cut short by the worker's death
            return False
        kind = message[0]
        if kind == "ready":
            w.ready = True
            self._startup_deaths = 0
        elif kind == "fatal":
            raise PoolError(f"a worker could not start: {message[1]}")
        elif kind == "done":
            task = w.task
            if task is None or task.id != message[1]:
                raise PoolError("a worker answered a task it did not hold")
            results = open_[task.seq].results
            for (number, _), result in zip(task.lines, message[2], strict=True):
                results[number] = result
            w.task = None
        return True

    def _lost(self, w: _Worker, open_: dict[int, _Open], waiting: deque[_Task]) -> None:
        w.process.join(timeout=5)
        code = w.process.exitcode
        w.conn.close()
        if not w.ready:
            self._startup_deaths += 1
            if self._startup_deaths >= _STARTUP_DEATHS:
                raise PoolError(f"worker processes die before they are ready (exit code {code})")
        self._workers[self._workers.index(w)] = _Worker(self._ctx, self._settings)
        self.restarts += 1
        task = w.task
        if task is None:
            return
        if task.stage == CHUNK:
            waiting.appendleft(self._task(task.seq, task.lines, CHUNK_AGAIN))
        elif task.stage == CHUNK_AGAIN:
            for line in reversed(task.lines):
                waiting.appendleft(self._task(task.seq, [line], ALONE))
        elif task.stage == ALONE:
            waiting.appendleft(self._task(task.seq, task.lines, ALONE_AGAIN))
        else:
            (number, raw), = task.lines
            crashed = crashed_record if self._settings.records else crashed_line
            open_[task.seq].results[number] = crashed(self._settings.rules_version, raw, number, _how(code))
            self.crashed_lines += 1


def _how(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            pass
    return f"exit code {exitcode}"
