"""`xisai batch INPUT.jsonl -o DECISIONS.jsonl`: one decision line per input line."""
from __future__ import annotations

import os
import sys
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from ..engine.batch.errors import BatchError
from ..engine.batch.runner import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_INVALID, BatchOptions, Outcome, run_batch
from ..engine.i18n import Messages
from ..engine.seal import KeyFileError, load_private_key
from . import batch_report as report
from .options import lang_option, rules_option


class _BatchCommand(click.Command):
    """Exit 2 means "some lines are invalid" for batch: a usage mistake exits 1 (click's
    usage errors and the shared options' usage_exit both say 2 elsewhere)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.exit_code = EXIT_ERROR  # type: ignore[misc]  # this one error, not the class
            raise
        except SystemExit as exc:
            if exc.code == EXIT_INVALID:
                raise SystemExit(EXIT_ERROR) from None
            raise


@click.command(cls=_BatchCommand)
@click.argument("input_file", metavar="INPUT.jsonl")
@click.option("-o", "--output", required=True, metavar="DECISIONS.jsonl", help="Where the decisions go ('-': standard output).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="Evaluate every case as of this date (YYYY-MM-DD) instead of its own.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes, one engine each (default: the number of cores).")
@click.option("--resume", is_flag=True, help="Go on with an interrupted run of the same command.")
@click.option("--summary-csv", type=click.Path(dir_okay=False, path_type=Path), help="The finance summary as CSV.")
@click.option("--summary-json", type=click.Path(dir_okay=False, path_type=Path), help="The finance summary as JSON.")
@click.option("--progress-json", is_flag=True, help="Progress as JSON lines on stderr (about one a second).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no table, even on a terminal.")
@click.option("--dask", "dask", metavar="SCHEDULER", default=None,
              help="Run the partitions on this Dask scheduler (needs the 'dask' extra).")
@click.option("--chunk-lines", type=click.IntRange(1, 100_000), default=256, show_default=True,
              help="Lines sent to a worker at a time.")
@click.option("--partition-lines", type=click.IntRange(1), default=20_000, show_default=True,
              help="Lines per partition with --dask.")
@click.option("--sync-seconds", type=click.FloatRange(min=0), default=2.0, show_default=True,
              help="How often the output is fsynced and the run record checkpointed.")
@click.option("--records/--decisions-only", "records", default=None,
              help="Each line a decision record, chained by hash, sealed in OUTPUT.seal.json, with the rules bundle "
                   "beside it (docs/records.md): the default when OUTPUT is a file. --decisions-only writes the bare "
                   "decisions (the only choice for standard output, which has nowhere to put a seal).")
@click.option("--sign", "sign", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              metavar="KEY", help="Sign the seal with this Ed25519 private key (xisai keys new); implies --records.")
@lang_option
@rules_option
def batch(input_file: str, output: str, as_of: datetime | None, workers: int | None, resume: bool,
          summary_csv: Path | None, summary_json: Path | None, progress_json: bool, quiet: bool, dask: str | None,
          chunk_lines: int, partition_lines: int, sync_seconds: float, records: bool | None, sign: Path | None,
          lang: str, rules_dir: Path | None) -> None:
    """Decide every case of a JSON Lines file, in input order.

    Exit 0 when every line is a valid case, 2 when some are invalid, 3 when the
    engine could not decide some, 1 for a usage or input/output error, 130 when
    stopped (Ctrl-C, SIGTERM; --resume goes on).
    """
    msgs = Messages.get(lang)
    if _same_file(input_file, output):
        click.echo(msgs.t("batch.same_file", path=output), err=True)  # writing it would empty the input
        sys.exit(EXIT_ERROR)
    try:
        key = load_private_key(sign) if sign is not None else None
    except KeyFileError as exc:
        click.echo(f"xisai: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    options = BatchOptions(input=input_file, output=output, as_of=as_of.date() if as_of else None, workers=workers,
                           chunk_lines=chunk_lines, resume=resume, rules_dir=rules_dir, dask=dask,
                           partition_lines=partition_lines, sync_seconds=sync_seconds,
                           records=sign is not None or (records if records is not None else output != "-"),
                           sign_key=key)
    terminal = sys.stderr.isatty() and not quiet
    console = report.stderr_console()
    bar = report.BarProgress(console, msgs) if terminal and not progress_json else None
    on_progress = report.JsonProgress(sys.stderr) if progress_json else bar
    try:
        with bar if bar is not None else nullcontext():
            outcome = run_batch(options, on_progress)
    except BatchError as exc:
        click.echo(f"xisai: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:  # a second Ctrl-C: stopped at once, the output is still resumable
        sys.exit(EXIT_INTERRUPTED)
    _finish(outcome, summary_csv, summary_json, msgs, console if terminal else None, quiet)
    sys.exit(outcome.exit_code)


def _same_file(input_file: str, output: str) -> bool:
    if "-" in (input_file, output) or not os.path.exists(output):
        return False
    try:
        return os.path.samefile(input_file, output)
    except OSError:
        return False


def _finish(outcome: Outcome, summary_csv: Path | None, summary_json: Path | None, msgs: Messages,
            console: Any, quiet: bool) -> None:
    if outcome.exit_code == EXIT_INTERRUPTED:
        if not quiet:
            click.echo(msgs.t("batch.interrupted", lines=f"{outcome.lines:,}"), err=True)
        return  # a partial summary is not handed to finance
    try:
        if summary_csv:
            report.write_csv(summary_csv, outcome.summary, outcome.book, msgs)
        if summary_json:
            report.write_json(summary_json, outcome)
    except OSError as exc:
        click.echo(f"xisai: cannot write the summary: {exc.strerror}", err=True)
        sys.exit(EXIT_ERROR)
    if console is not None:
        console.print(report.summary_view(outcome.summary, outcome.book, msgs, console.width))
        for key, lines in (("batch.count.first_invalid", outcome.summary.first_invalid),
                           ("batch.count.first_error", outcome.summary.first_error)):
            if lines:
                console.print(f"{msgs.t(key)}: {', '.join(map(str, lines[:20]))}", markup=False)
        where = outcome.output if outcome.output != "-" else "stdout"
        console.print(msgs.t("batch.done", lines=f"{outcome.lines:,}", path=os.fspath(where)), markup=False)
