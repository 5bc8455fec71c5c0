"""Rich rendering of decisions and rules; plain text when stdout is not a terminal."""
from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..engine.i18n import Messages
from ..engine.rulebook import Program, RuleBook
from ..views.explain import describe_rule
from .safe import literal


def console() -> Console:
    if sys.stdout.isatty():
        return Console()
    # Piped: no colour, no box drawing, lines wide enough not to wrap.
    return Console(no_color=True, highlight=False, width=200, soft_wrap=True)


def _box():
    return box.SIMPLE_HEAD if sys.stdout.isatty() else None


def decision(dec: dict[str, Any], msgs: Messages, brief: bool = False) -> None:
    """A rendered decision (Decision.render) on the terminal, or plain when piped."""
    out = console()
    out.print(literal(msgs.t("cli.case_header", case_id=dec["case_id"], as_of=dec["as_of"] or "-",
                             rules=dec["rules_version"][:19]), style="bold"))
    if dec["status"] == "invalid":
        out.print(Text(msgs.t("cli.invalid", count=len(dec["errors"])), style="bold red"))
        table = Table(box=_box())
        table.add_column(msgs.t("cli.col.path"))
        table.add_column(msgs.t("cli.col.message"))
        for e in dec["errors"]:
            table.add_row(literal(e["path"]), literal(e["message"]))
        out.print(table)
        return
    if dec["payouts"]:
        table = Table(title=msgs.t("cli.payouts"), box=_box(), title_justify="left")
        for col in ("program", "beneficiary", "year", "kind", "amount", "basis"):
            table.add_column(msgs.t(f"cli.col.{col}"), justify="right" if col in ("year", "amount") else "left")
        for line in dec["payouts"]:
            amount = msgs.money(line["amount"]) if line["amount"] is not None else msgs.t("cli.in_kind_no_value")
            basis = msgs.t(f"cli.basis.{line['basis']}")
            title = line["title"]
            table.add_row(f"{title}\n[dim]{line['program']}[/dim]" if sys.stdout.isatty() else f"{title} ({line['program']})",
                          literal(line["beneficiary"]), str(line["year"]), msgs.t(f"cli.kind.{line['kind']}"), amount,
                          Text(basis, style="yellow" if line["basis"] == "maximum" else "green"))
        out.print(table)
    else:
        out.print(msgs.t("cli.no_payouts"))
    if not brief:
        _explanations(out, dec, msgs)
    if dec["ineligible"]:
        table = Table(title=msgs.t("cli.ineligible"), box=_box(), title_justify="left")
        table.add_column(msgs.t("cli.col.program"))
        table.add_column(msgs.t("cli.col.beneficiary"))
        table.add_column(msgs.t("cli.col.item"))
        table.add_column(msgs.t("cli.col.reasons"))
        for x in dec["ineligible"]:
            reasons = Text("\n").join(literal(r) for r in x["reasons"])
            if not brief:
                for flag in x["flags"]:
                    reasons.append("\n" + flag["text"], style="dim")
            table.add_row(Text(x["title"] or x["program"]), literal(x["beneficiary"]), literal(x["item"] or ""), reasons)
        out.print(table)
    if dec["notes"]:
        out.print(Text(msgs.t("cli.notes"), style="bold"))
        for n in dec["notes"]:
            out.print(literal(f"  · {n['beneficiary']}: {n['message']}"))
    _totals(out, dec, msgs)


def _explanations(out: Console, dec: dict[str, Any], msgs: Messages) -> None:
    """Per program and beneficiary: each year's computation, then once the conditions,
    parameters, clause and flags they share."""
    groups: dict[tuple[str, str], list] = {}
    for line in dec["payouts"]:
        groups.setdefault((line["program"], line["beneficiary"]), []).append(line)
    for (_, beneficiary), lines in groups.items():
        out.print(literal(f"{lines[0]['title']} · {beneficiary}", style="bold cyan"))
        shared: list[str] = []
        for line in lines:
            expl = line["explanation"]
            for part in expl["parts"]:
                head = f"  {line['year']}"
                if len(expl["parts"]) > 1:
                    head += f" {part['item']}"
                body = part["steps"] + part["benefit"]
                out.print(literal(f"{head}: {body[0] if body else ''}"))
                for sentence in body[1:]:
                    out.print(literal(f"        {sentence}"))
                for sentence in part["conditions"] + part["parameters"]:
                    if sentence not in shared:
                        shared.append(sentence)
            for flag in expl["flags"]:
                if flag["text"] not in shared:
                    shared.append(flag["text"])
        clause = lines[0]["explanation"]["clause"]
        for sentence in shared:
            out.print(literal(f"    · {sentence}"))
        out.print(Text("    " + msgs.t("explain.clause", section=clause["section"], text=clause["text"]), style="dim"))


def _totals(out: Console, dec: dict[str, Any], msgs: Messages) -> None:
    table = Table(title=msgs.t("cli.totals"), box=_box(), title_justify="left")
    table.add_column(msgs.t("cli.col.year"))
    table.add_column(msgs.t("cli.col.amount"), justify="right")
    totals = dec["totals"]
    for year, amount in totals["by_year"].items():
        table.add_row(year, msgs.money(amount))
    cash = msgs.money(totals["cash"])
    if Decimal(totals["cash"]) >= 10000:  # 256.83万 reads faster than ¥2,568,300.50
        cash = msgs.t("cli.money_with_short", money=cash, short=msgs.money_short(Decimal(totals["cash"])))
    table.add_row(msgs.t("cli.total_cash"), cash)
    table.add_row(msgs.t("cli.total_exact"), msgs.money(totals["cash_exact"]))
    if totals["in_kind_value"] != "0.00":
        table.add_row(msgs.t("cli.total_in_kind"), msgs.money(totals["in_kind_value"]))
    out.print(table)


def rules_list(book: RuleBook, msgs: Messages) -> None:
    out = console()
    table = Table(box=_box())
    for col in ("id", "title", "section", "kind"):
        table.add_column(msgs.t(f"cli.col.{col}"))
    for p in book.programs + book.provisions + list(book.definitions.values()):
        table.add_row(p.id, Text(msgs.text(p.title)), Text(p.clause_section), msgs.t(f"cli.rule_kind.{p.kind}"))
    out.print(table)
    out.print(msgs.t("cli.rules_version", version=book.version))


def rule(program: Program, book: RuleBook, msgs: Messages) -> None:
    out = console()
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
        table = Table(title=msgs.t("cli.parameters"), box=_box(), title_justify="left")
        for col in ("parameter", "from", "value", "source"):
            table.add_column(msgs.t(f"cli.col.{col}"), overflow="fold")  # wrap, never cut
        for row in desc["parameters"]:
            table.add_row(Text(row["name"]), row["from"], Text(row["value"]), Text(row["source"]))
        out.print(table)
    out.print(f"{msgs.t('cli.file')}: rules/{program.file}")

