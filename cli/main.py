"""`xisai`: check a case, list and show the rules."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..engine import json_input
from ..engine.batch.line import STATUS_ERROR
from ..engine.decision import Decision
from ..engine.evaluate import EngineError
from ..engine.i18n import Messages
from . import records_cli, render
from .ask import ask
from .batch import batch
from .guide import schema, template
from .options import EXIT_ERROR, EXIT_INVALID, EXIT_OK, as_of_value, case_file_value, lang_option, rules_option
from .options import load_engine as _engine
from .safe import escape_controls


class _NoTraceback(click.Group):
    """No traceback reaches a user: an unexpected exception in any command becomes one
    plain line on stderr and exit 1. Click's own errors (usage, exit 2) pass as they are."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # only outside standalone mode; click reports them itself otherwise
        except Exception as exc:  # SystemExit and KeyboardInterrupt are not Exceptions: they pass
            message = escape_controls(str(exc))
            message = message if len(message) <= 300 else message[:300] + "..."
            click.echo(f"xisai: internal error: {type(exc).__name__}: {message} "
                       "(a fault of xisai, not of the case: please report it with the command and the case file)", err=True)
            sys.exit(EXIT_ERROR)


@click.group(cls=_NoTraceback)
@click.version_option(package_name="xisai")
def main() -> None:
    """xisai: the payouts that 专栏11-1 政策支持行动 grants, with their reasons."""


@main.command()
@click.argument("case_file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@click.option("--as-of", "as_of", help="Evaluate as of this date (YYYY-MM-DD) instead of the case's.")
@click.option("--explain/--brief", "explain", default=None,
              help="The summary and near misses, then the full working (each line's computation, conditions, "
                   "parameters and clause), or the summary and near misses only. Default: the working only "
                   "when the output is not a terminal.")
@click.option("--record", "record", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the decision's record to this file, its seal beside it (docs/records.md).")
@click.option("--sign", "sign", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="With --record: sign the seal with this private key (xisai keys new).")
@lang_option
@rules_option
def check(case_file: Path, as_json: bool, as_of: str | None, explain: bool | None, lang: str, rules_dir: Path | None,
          record: Path | None, sign: Path | None) -> None:
    """Evaluate one case file (JSON). Exit 0 valid, 2 invalid, 1 any other error."""
    msgs = Messages.get(lang)
    case_file_value(case_file, msgs)
    as_of_date = as_of_value(as_of, msgs)
    if record is not None and str(case_file) != "-" and record.exists() and record.samefile(case_file):
        click.echo(msgs.t("batch.same_file", path=record), err=True)  # the record would replace the case
        sys.exit(EXIT_ERROR)
    try:  # never more than one byte past the limit: the engine then says the case is too long
        if str(case_file) == "-":
            text = sys.stdin.buffer.read(json_input.MAX_BYTES + 1)
        else:
            with case_file.open("rb") as fh:
                text = fh.read(json_input.MAX_BYTES + 1)
    except OSError as exc:
        click.echo(f"xisai: {msgs.t('usage.cannot_read', path=case_file, reason=exc.strerror)}", err=True)
        sys.exit(EXIT_ERROR)
    engine = _engine(rules_dir)
    try:
        if record is None:
            decision = engine.evaluate(text, as_of=as_of_date, lang=lang)
        else:  # decided once, as a batch line is, and that decision is shown and recorded
            case, data = records_cli.decide_single(text, engine, as_of_date)
            if data["status"] == STATUS_ERROR:
                raise EngineError(data["errors"][0]["params"].get("detail", ""))
            decision = Decision(data, engine.book, lang)
    except EngineError as exc:
        click.echo(f"xisai: the rules could not decide this case: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    if record is not None:
        try:
            records_cli.write_single_record(case, data, record, sign, rules_dir)
        except (OSError, ValueError) as exc:
            click.echo(f"xisai: cannot write the record: {exc}", err=True)
            sys.exit(EXIT_ERROR)
    if as_json:
        click.echo(decision.to_json(indent=2))
    else:
        render.decision(decision.render(lang), Messages.get(lang), brief=explain is False, explain=explain)
    sys.exit(EXIT_OK if decision.status == "ok" else EXIT_INVALID)


@main.group()
def rules() -> None:
    """The programs and provisions encoded in rules/."""


@rules.command("list")
@lang_option
@rules_option
def rules_list(lang: str, rules_dir: Path | None) -> None:
    """Every program and provision, with its clause section."""
    render.rules_list(_engine(rules_dir).book, Messages.get(lang))


@rules.command("show")
@click.argument("program_id")
@lang_option
@rules_option
def rules_show(program_id: str, lang: str, rules_dir: Path | None) -> None:
    """One program, provision or definition: its clause, conditions, formula and dated parameters."""
    book = _engine(rules_dir).book
    try:
        program = book.program(program_id)
    except KeyError:
        known = ", ".join(p.id for p in book.programs + book.provisions + list(book.definitions.values()))
        click.echo(f"xisai: no program {escape_controls(repr(program_id))} (known: {known})", err=True)
        sys.exit(EXIT_INVALID)
    render.rule(program, book, Messages.get(lang))


main.add_command(ask)
main.add_command(schema)
main.add_command(template)
main.add_command(batch)
records_cli.register(main, rules)  # replay, keys new, rules export, rules diff

if __name__ == "__main__":
    main()
