"""Rich rendering of decisions and rules; plain text when stdout is not a terminal."""
from __future__ import annotations

import sys
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..engine.i18n import Messages
from ..engine.rulebook import Program, RuleBook
from ..views.explain import describe_rule
from . import check_view

WIDE = 100  # columns from which `rules show` lists its parameters as a table


def console() -> Console:
    if sys.stdout.isatty():
        return Console()
    # Piped: no colour, no box drawing, lines wide enough not to wrap.
    return Console(no_color=True, highlight=False, width=200, soft_wrap=True)


def _box():
    return box.SIMPLE_HEAD if sys.stdout.isatty() else None


def decision(dec: dict[str, Any], msgs: Messages, brief: bool = False, explain: bool | None = None,
             out: Console | None = None) -> None:
    """A rendered decision (Decision.render) as `xisai check` shows it: the summary and
    the near misses, then the full working when `explain`, or by default when the output
    is not a terminal (a file keeps everything); `brief` never adds the working."""
    out = out or console()
    working = False if brief else (explain if explain is not None else not out.is_terminal)
    check_view.show(dec, msgs, out, working=working, hint=not brief and not working)


def rules_list(book: RuleBook, msgs: Messages, out: Console | None = None) -> None:
    out = out or console()
    rules = book.programs + book.provisions + list(book.definitions.values())
    if out.is_terminal and out.width >= WIDE:
        table = Table(box=_box())
        for col in ("id", "title", "section", "kind"):
            table.add_column(msgs.t(f"cli.col.{col}"), overflow="fold")
        for p in rules:
            table.add_row(p.id, Text(msgs.text(p.title)), Text(p.clause_section), msgs.t(f"cli.rule_kind.{p.kind}"))
        out.print(table)
    else:  # below WIDE columns, and in files: one line per rule, wrapped, never cut
        page = check_view.Page(out)
        for p in rules:
            page.line(check_view.joined(Text(p.id, style="bold"), f"  {msgs.text(p.title)} · {p.clause_section} · "
                                        f"{msgs.t(f'cli.rule_kind.{p.kind}')}"), bullet="· ")
    out.print(msgs.t("cli.rules_version", version=book.version))


def rule(program: Program, book: RuleBook, msgs: Messages, out: Console | None = None) -> None:
    out = out or console()
    desc = describe_rule(program, book, msgs)
    out.print(Text(f"{desc['title']}  ({program.id})", style="bold"))
    out.print(Text(f"{msgs.t('cli.clause')}: {desc['clause']['section']}"))
    out.print(Text("  " + msgs.t("cli.quote", text=desc["clause"]["text"])))
    if desc.get("reading"):
        out.print(Text(f"{msgs.t('cli.reading')}: {desc['reading']}", style="yellow"))
    if desc.get("applies"):
        out.print(Text(desc["applies"]))
    if desc.get("conditions"):
        out.print(Text(msgs.t("cli.conditions"), style="bold"))
        for c in desc["conditions"] + desc.get("checks", []):
            out.print(Text(f"  · {c}"))
    if desc.get("trigger"):
        out.print(Text(msgs.t("cli.trigger", field=desc["trigger"])))
    if desc.get("formula"):
        out.print(Text(msgs.t("cli.formula"), style="bold"))
        out.print(Text(f"  {desc['formula']}"))
    if desc.get("parameters"):
        _parameters(out, desc["parameters"], msgs)
    out.print(f"{msgs.t('cli.file')}: rules/{program.file}")



def _parameters(out: Console, rows: list[dict[str, str]], msgs: Messages) -> None:
    """Wrap, never cut: a table whose columns fold on a wide terminal; below WIDE
    columns, and in files, one sentence per row."""
    if out.is_terminal and out.width >= WIDE:
        table = Table(title=msgs.t("cli.parameters"), box=_box(), title_justify="left")
        for col in ("parameter", "from", "value", "source"):
            table.add_column(msgs.t(f"cli.col.{col}"), overflow="fold")
        for row in rows:
            table.add_row(Text(row["name"]), row["from"], Text(row["value"]), Text(row["source"]))
        out.print(table)
        return
    page = check_view.Page(out)
    page.line(msgs.t("cli.parameters"), style="bold")
    for row in rows:
        page.line(msgs.t("explain.parameter_plain", name=row["name"], value=row["value"], start=row["from"],
                         source=row["source"]), indent=2, bullet="· ")
