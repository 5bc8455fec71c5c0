"""Views of a batch: the progress on stderr, the summary table, the CSV and JSON files.

The summary itself is language-neutral data (engine/batch/summary.py); only the
headers, labels and money formats here depend on --lang.
"""
from __future__ import annotations

import csv
import json
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console, Group, RenderableType
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from ..engine.batch.runner import Outcome
from ..engine.batch.runner import Progress as RunProgress
from ..engine.batch.summary import Summary
from ..engine.i18n import Messages
from ..engine.rulebook import RuleBook
from .check_view import Page

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ("program", "title", "year", "beneficiaries", "cash_total", "cash_exact", "cash_maximum",
           "in_kind_lines", "in_kind_value")


def spreadsheet_safe(cell: object) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# --- progress -------------------------------------------------------------------------
class JsonProgress:
    """--progress-json: one JSON object per line on stderr, at most every `every` s."""

    def __init__(self, stream: TextIO, every: float = 1.0):
        self._stream = stream
        self._every = every
        self._last = 0.0

    def __call__(self, p: RunProgress) -> None:
        now = time.monotonic()
        if not p.done and now - self._last < self._every:
            return
        self._last = now
        self._stream.write(json.dumps({
            "event": "done" if p.done else "progress", "lines": p.lines, "ok": p.ok, "invalid": p.invalid,
            "error": p.error, "resumed_from": p.resumed_from, "input_bytes": p.input_bytes, "input_size": p.input_size,
            "elapsed_s": round(p.elapsed, 3), "cases_per_s": round(p.rate, 1), "workers": p.workers,
            "restarts": p.restarts}) + "\n")
        self._stream.flush()


class BarProgress:
    """A rich progress bar on a terminal: bytes read against the input's size (ETA),
    cases/s, invalid and error lines so far."""

    def __init__(self, console: Console, msgs: Messages):
        self._msgs = msgs
        self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                             TextColumn("{task.percentage:>5.1f}%"), TextColumn("{task.fields[counts]}"),
                             TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=False)
        self._task: TaskID | None = None
        self._shown = 0.0

    def __enter__(self) -> BarProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def __call__(self, p: RunProgress) -> None:
        now = time.monotonic()
        if not p.done and now - self._shown < 0.1:
            return
        self._shown = now
        m = self._msgs
        counts = "  ".join([f"{p.lines:,}", m.t("batch.progress.rate", rate=f"{p.rate:,.0f}"),
                            m.t("batch.progress.invalid", count=f"{p.invalid:,}")]
                           + ([m.t("batch.progress.error", count=f"{p.error:,}")] if p.error else []))
        if self._task is None:
            self._task = self._bar.add_task(m.t("batch.progress.deciding"), total=p.input_size, counts=counts)
        self._bar.update(self._task, completed=p.input_bytes, counts=counts)


# --- summary --------------------------------------------------------------------------
def headers(msgs: Messages) -> list[str]:
    return [msgs.t(f"batch.col.{c}") for c in COLUMNS]


def summary_rows(summary: Summary, book: RuleBook, msgs: Messages) -> list[list[Any]]:
    """Per program and year, then the total: the cells of COLUMNS (money as Decimal)."""
    rows: list[list[Any]] = []
    for program, year, cell in summary.rows(book):
        try:
            title = msgs.text(book.program(program).title)
        except KeyError:
            title = ""
        rows.append([program, title, year, cell.beneficiaries, cell.cash_total, cell.cash_exact, cell.cash_maximum,
                     cell.in_kind_lines, cell.in_kind_value])
    t = summary.total()
    rows.append(["", msgs.t("batch.total"), "", t.beneficiaries, t.cash_total, t.cash_exact, t.cash_maximum,
                 t.in_kind_lines, t.in_kind_value])
    return rows


def counts(summary: Summary, msgs: Messages) -> list[tuple[str, int]]:
    return [(msgs.t("batch.count.read"), summary.read), (msgs.t("batch.count.ok"), summary.ok),
            (msgs.t("batch.count.invalid"), summary.invalid), (msgs.t("batch.count.error"), summary.error)]


def write_csv(path: Path, summary: Summary, book: RuleBook, msgs: Messages) -> None:
    """UTF-8 with a byte-order mark (spreadsheets then read the Chinese right); money
    as plain decimal strings; every cell neutralised against formulas."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([spreadsheet_safe(h) for h in headers(msgs)])
        for row in summary_rows(summary, book, msgs):
            out.writerow([spreadsheet_safe(_plain(v)) for v in row])
        out.writerow([])
        for label, value in counts(summary, msgs):
            out.writerow([spreadsheet_safe(label), spreadsheet_safe(value)])


def write_json(path: Path, outcome: Outcome) -> None:
    r = outcome.record
    run = {"rules_version": r.rules_version, "today": r.today, "as_of": r.as_of, "input": r.input_path,
           "output": outcome.output, "lines": outcome.lines, "complete": not outcome.interrupted}
    data = outcome.summary.to_dict(outcome.book, run)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


TABLE_WIDTH = 150  # below it, the summary is a list: a figure for finance is never cut


def summary_view(summary: Summary, book: RuleBook, msgs: Messages, width: int) -> Table | Group:
    """The finance summary for a terminal of `width` columns: a table when it fits,
    else a list (a line per program, then per year each figure with its name)."""
    return table(summary, book, msgs) if width >= TABLE_WIDTH else listing(summary, book, msgs, width)


def _cells(row: list[Any], msgs: Messages) -> list[str]:
    return [msgs.money(v) if isinstance(v, Decimal) else (f"{v:,}" if isinstance(v, int) and j != 2 else str(v))
            for j, v in enumerate(row)]


def _caption(summary: Summary, msgs: Messages) -> str:
    return "   ".join(f"{label} {value:,}" for label, value in counts(summary, msgs))


def table(summary: Summary, book: RuleBook, msgs: Messages) -> Table:
    out = Table(title=msgs.t("batch.summary.title"), caption=_caption(summary, msgs))
    for i, h in enumerate(headers(msgs)):
        out.add_column(h, justify="left" if i < 2 else "right", overflow="fold")
    rows = summary_rows(summary, book, msgs)
    for i, row in enumerate(rows):
        out.add_row(*_cells(row, msgs), end_section=i == len(rows) - 2)
    return out


def listing(summary: Summary, book: RuleBook, msgs: Messages, width: int = 80) -> Group:
    """Per program, a line per year whose figures wrap under the figures (a hanging indent,
    as `xisai check` prints), never back to column 0."""
    page = Page(Console(width=width), plain=False)
    names = headers(msgs)
    parts: list[RenderableType] = [Text(msgs.t("batch.summary.title"), style="bold")]
    last = None
    for row in summary_rows(summary, book, msgs):
        cells = _cells(row, msgs)
        if row[0] != last:
            parts += page.parts(Text(f"{cells[1]} ({cells[0]})" if cells[0] else cells[1], style="bold"))
            last = row[0]
        # A figure of nought is left out (cash in-kind programs, in kind for cash ones); the cash total stays.
        figures = " · ".join(f"{name} {value}" for name, value, raw, column in zip(names[3:], cells[3:], row[3:], COLUMNS[3:], strict=True)
                             if raw or column == "cash_total")
        parts += page.parts(figures, indent=2, bullet=f"{cells[2]}  " if cells[2] else "")
    parts += page.parts(_caption(summary, msgs))
    return Group(*parts)


def _plain(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    return str(value)


def stderr_console() -> Console:
    return Console(file=sys.stderr)
