"""What runs inside a worker process: one Engine per process, built there (never
pickled), and the evaluation of a list of lines.

Test hooks, read from the environment only when set (the tests use them to make a
worker die or stall on a chosen case, deterministically):
- XISAI_TEST_CRASH_ON=<case_id>[,<case_id>...]: the worker calls os.abort() when it
  meets that case, every time (a case that kills its worker in C);
- XISAI_TEST_HOLD_ON=<case_id>:<path>: the first worker to meet that case writes its
  pid to <path> and sleeps, so a test can kill it mid-chunk; once <path> exists the
  case is evaluated normally.
"""
from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection

from ..evaluate import Engine
from .line import Result, evaluate_line
from .reader import Line
from .records_line import record_result

CRASH_ENV = "XISAI_TEST_CRASH_ON"
HOLD_ENV = "XISAI_TEST_HOLD_ON"


@dataclass(frozen=True)
class Settings:
    """What every worker of a run needs; the same for all of them."""
    rules_dir: str | None
    rules_version: str
    as_of: date | None
    today: date
    records: bool = False   # each line a decision record (records_line.py), not a bare decision


def build_engine(settings: Settings) -> Engine:
    engine = Engine(settings.rules_dir)
    if engine.rules_version != settings.rules_version:
        raise RuntimeError(f"this worker's rules are {engine.rules_version}, the run's are {settings.rules_version}")
    return engine


@dataclass(frozen=True)
class TestHooks:
    crash_on: frozenset[str] = frozenset()
    hold_on: str = ""
    hold_path: str = ""

    @classmethod
    def from_env(cls) -> TestHooks | None:
        crash, hold = os.environ.get(CRASH_ENV), os.environ.get(HOLD_ENV)
        if not crash and not hold:
            return None
        hold_on, _, hold_path = (hold or "").partition(":")
        return cls(frozenset(c for c in (crash or "").split(",") if c), hold_on, hold_path)

    def before(self, raw: bytes | None) -> None:
        if not raw:
            return
        try:
            data = json.loads(raw)
        except ValueError:
            return
        case_id = data.get("case_id") if isinstance(data, dict) else None
        if case_id in self.crash_on:
            os.abort()
        if case_id and case_id == self.hold_on and self.hold_path and not os.path.exists(self.hold_path):
            with open(self.hold_path + ".tmp", "w") as fh:
                fh.write(str(os.getpid()))
            os.replace(self.hold_path + ".tmp", self.hold_path)
            time.sleep(600)


def evaluate_lines(engine: Engine, lines: list[Line], settings: Settings, hooks: TestHooks | None) -> list[Result]:
    decide = record_result if settings.records else evaluate_line
    out = []
    for number, raw in lines:
        if hooks is not None:
            hooks.before(raw)
        out.append(decide(engine, raw, number, settings.as_of, settings.today))
    return out


def worker_main(conn: Connection, settings: Settings) -> None:
    """A pool worker: ("ready", pid), then one ("done", task_id, results) per task
    received, until None or the pipe closes (the batch process is gone)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the batch process's to handle
    try:
        engine = build_engine(settings)
    except Exception as exc:
        conn.send(("fatal", f"{type(exc).__name__}: {exc}"))
        return
    hooks = TestHooks.from_env()
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        task_id, lines = task
        results = evaluate_lines(engine, lines, settings, hooks)
        try:
            conn.send(("done", task_id, results))
        except (BrokenPipeError, OSError):
            return
