"""Decisions and rules on the terminal (rich), or as plain text when stdout is not a terminal."""
from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.text import Text

from ..engine.i18n import Messages
from ..engine.rulebook import Program, RuleBook
from ..views.explain import describe_rule
from . import check_view


def console() -> Console:
    if sys.stdout.isatty():
        return Console()
    # Piped: plain text, no colour, one statement to a line, never wrapped and never cut.
    return Console(no_color=True, highlight=False, width=200, soft_wrap=True)


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
    page = check_view.Page(out)  # one line per rule, wrapped, never cut
    for p in book.programs + book.provisions + list(book.definitions.values()):
        page.line(check_view.joined(Text(p.id, style="bold"), f"  {msgs.text(p.title)} · {p.clause_section} · "
                                    f"{msgs.t(f'cli.rule_kind.{p.kind}')}"), bullet="· ")
    out.print(msgs.t("cli.rules_version", version=book.version))


def rule(program: Program, book: RuleBook, msgs: Messages, out: Console | None = None) -> None:
    out = out or console()
    desc = describe_rule(program, book, msgs)
    colon = msgs.t("view.colon")
    page = check_view.Page(out)  # every statement wraps under its own start, never at column 0
    page.line(Text(f"{desc['title']}  ({program.id})", style="bold"))
    page.line(desc["clause"]["section"], bullet=msgs.t("cli.clause") + colon)
    page.line(msgs.t("cli.quote", text=desc["clause"]["text"]), indent=2)
    if desc.get("reading"):
        page.line(desc["reading"], bullet=msgs.t("cli.reading") + colon, style="yellow")
    if desc.get("applies"):
        page.line(desc["applies"])
    if desc.get("conditions"):
        page.line(msgs.t("cli.conditions"), style="bold")
        for c in desc["conditions"]:
            page.line(c, indent=2, bullet="· ")
    if desc.get("checks"):  # what the formula checks besides: a year outside the subsidised ones, a cap
        page.line(msgs.t("cli.checks"), style="bold")
        for c in desc["checks"]:
            page.line(c, indent=2, bullet="· ")
    if desc.get("trigger"):
        page.line(msgs.t("cli.trigger", field=desc["trigger"]))
    if desc.get("formula"):
        page.line(msgs.t("cli.formula"), style="bold")
        page.line(desc["formula"], indent=2)
    if desc.get("parameters"):
        _parameters(out, desc["parameters"], msgs)
    page.line(f"rules/{program.file}", bullet=msgs.t("cli.file") + colon)


def _parameters(out: Console, rows: list[dict[str, str]], msgs: Messages) -> None:
    """One entry per row, wrapped under its bullet, never cut (a table would fold a
    cell's text between its neighbours' and cut what does not fit): the value beside
    the name, or, for a table of values (tiers, levels), one line per entry below it."""
    page = check_view.Page(out)
    page.line(msgs.t("cli.parameters"), style="bold")
    for row in rows:
        lines = row["value"].split("\n")
        if len(lines) == 1:
            page.line(msgs.t("cli.param.head", name=row["name"], value=row["value"], start=row["from"]),
                      indent=2, bullet="· ")
        else:
            page.line(msgs.t("cli.param.head_table", name=row["name"], start=row["from"]), indent=2, bullet="· ")
            for line in lines:
                page.line(line, indent=check_view.DETAIL)
        page.line(msgs.t("cli.param.source", source=row["source"]), indent=check_view.DETAIL, style="dim")
