"""`xisai check` for a person: first what each beneficiary gets (read in ten seconds),
then what each narrowly missed, then, with --explain or when written to a file, the
full working with each general statement said once.

Wrap, never cut: lists with hanging indents, not tables, at any width (a table
squeezes its widest column, the reasons, until they are cut or unreadable; the
summary's list aligns its figures as a table would). Piped output is plain text, one
statement to a line however long: nothing is cut, and grep finds every sentence whole."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from ..engine.i18n import Messages
from ..views.check_summary import Beneficiary, Grant, Miss, closest_first, full_working, summarise
from .safe import literal
from .wrap import break_lines, has_wide

DETAIL = len("  · ") + 2  # a grant's remarks, a refusal's reasons: under the title, past the bullet


def joined(*parts: Text | str) -> Text:
    """Texts side by side, each keeping its own style (`a + b` would give b a's style)."""
    out = Text()
    for part in parts:
        out.append_text(part if isinstance(part, Text) else Text(part))
    return out


class Page:
    """A console and the layout it calls for (`plain`: one line per statement, unwrapped;
    by default when the console is not a terminal)."""

    def __init__(self, out: Console, plain: bool | None = None):
        self.out = out
        self.plain = not out.is_terminal if plain is None else plain

    def line(self, text: str | Text = "", indent: int = 0, bullet: str = "", style: str = "") -> None:
        for part in self.parts(text, indent, bullet, style):
            self.out.print(part)

    def parts(self, text: str | Text = "", indent: int = 0, bullet: str = "", style: str = "") -> list[RenderableType]:
        """What `line` prints, for a caller that composes a renderable (a Group)."""
        body = text if isinstance(text, Text) else literal(text)
        if style:
            body.stylize(style)
        lead = " " * indent + bullet
        if self.plain or (not lead and not has_wide(body.plain)):
            return [joined(lead, body)]
        if has_wide(body.plain):  # Chinese: our own breaks (rich would split 2020年 and start lines with `，`)
            return [joined(lead if i == 0 else " " * cell_len(lead), body[start:end])
                    for i, (start, end) in enumerate(break_lines(body.plain, self.out.width - cell_len(lead)))]
        grid = Table.grid(expand=True)  # a hanging indent: wrapped lines start under the text
        grid.add_column(width=cell_len(lead), no_wrap=True)
        grid.add_column(overflow="fold", ratio=1)
        grid.add_row(lead, body)
        return [grid]

    def blank(self) -> None:
        self.out.print()

def show(dec: dict[str, Any], msgs: Messages, out: Console, working: bool, hint: bool) -> None:
    page = Page(out)
    page.line(msgs.t("cli.case_header", case_id=dec["case_id"], as_of=dec["as_of"] or "-",
                     rules=dec["rules_version"][:19]), style="bold")
    if dec["status"] == "invalid":
        _errors(page, dec, msgs)
        return
    people = summarise(dec)
    page.blank()
    if dec["payouts"]:
        _summary(page, dec, people, msgs)
    else:
        page.line(msgs.t("check.nothing"), style="bold")
    if any(b.misses for b in people):
        page.blank()
        _misses(page, people, msgs, nothing=not dec["payouts"])
    _loose_notes(page, people, msgs)
    if working:
        page.blank()
        _working(page, dec, msgs)
    elif hint:
        page.blank()
        page.line(msgs.t("check.more"), style="dim")
        page.line(msgs.t("check.more_command"), indent=2)


# --- the summary ----------------------------------------------------------------------

def years_text(years: list[int], msgs: Messages) -> str:
    ys = sorted(years)
    if len(ys) > 1 and ys == list(range(ys[0], ys[-1] + 1)):
        return msgs.t("check.years.range", first=ys[0], last=ys[-1])
    return msgs.t("check.years.list", years=msgs.t("value.list_separator").join(str(y) for y in ys))


def amount_text(grant: Grant, msgs: Messages) -> str:
    """The figure: money (cash, or an in-kind grant's value), or "in kind" when it has none."""
    return msgs.t("check.amount.in_kind") if grant.amount is None else msgs.money(grant.amount)


def marks(grant: Grant, msgs: Messages) -> list[tuple[str, str]]:
    """What the figure is, beside it: the clause's maximum, in kind (with a value)."""
    out = [(msgs.t("check.maximum"), "yellow")] if grant.basis == "maximum" else []
    if grant.kind == "in_kind" and grant.amount is not None:
        out.append((msgs.t("check.amount.in_kind"), ""))
    return out


def total_text(b: Beneficiary, msgs: Messages) -> str:
    parts = []
    if any(g.kind == "cash" for g in b.grants):
        parts.append(msgs.t("check.total.cash", money=msgs.money(b.cash)))
    if b.in_kind:
        parts.append(msgs.t("check.total.in_kind_value", money=msgs.money(b.in_kind_value))
                     if b.in_kind_value else msgs.t("check.total.in_kind"))
    return msgs.t("check.total", parts=msgs.t("check.total.separator").join(parts))


def _remarks(grant: Grant, notes: list[dict[str, Any]], msgs: Messages) -> list[str]:
    out = [msgs.t("check.exact_with", figure=f["figure"], range=f["range"], path=f["path"]) for f in grant.approved]
    return out + [n["message"] for n in notes if n["program"] == grant.program]


def _overall(dec: dict[str, Any], msgs: Messages) -> list[str]:
    totals = dec["totals"]
    cash = msgs.money(totals["cash"])
    if Decimal(totals["cash"]) >= 10000:  # 256.83万 reads faster than ¥2,568,300.50
        cash = msgs.t("cli.money_with_short", money=cash, short=msgs.money_short(Decimal(totals["cash"])))
    lines = [msgs.t("check.overall", cash=cash, exact=msgs.money(totals["cash_exact"]))]
    if any(line["kind"] == "in_kind" for line in dec["payouts"]):
        lines.append(msgs.t("check.overall_in_kind", value=msgs.money(totals["in_kind_value"])))
    return lines


def _summary(page: Page, dec: dict[str, Any], people: list[Beneficiary], msgs: Messages) -> None:
    page.line(msgs.t("check.granted"), style="bold")
    for line in _overall(dec, msgs):
        page.line(line, indent=2)
    granted = [b for b in people if b.grants]
    rows = [(b, g) for b in granted for g in b.grants]
    title_w = max(cell_len(g.title) for _, g in rows)
    years_w = max(cell_len(years_text(g.years, msgs)) for _, g in rows)
    amount_w = max(cell_len(amount_text(g, msgs)) for _, g in rows)
    marks_w = max((cell_len("  " + "  ".join(m for m, _ in marks(g, msgs))) for _, g in rows if marks(g, msgs)), default=0)
    # Figures in columns when they fit (in a file they always do); what the figure is
    # ("maximum", "in kind") beside it if that fits too, else on the line below.
    row_w = len("  · ") + title_w + years_w + amount_w + 4
    aligned = page.plain or row_w <= page.out.width
    marks_inline = page.plain or row_w + marks_w <= page.out.width
    for b in granted:
        page.line(joined(literal(b.id, "bold cyan"), " · ", Text(total_text(b, msgs), style="bold")))
        for g in b.grants:
            years, amount = years_text(g.years, msgs), amount_text(g, msgs)
            if aligned:
                row = (g.title + " " * (title_w - cell_len(g.title)) + "  " + years + " " * (years_w - cell_len(years))
                       + "  " + " " * (amount_w - cell_len(amount)) + amount)
            else:
                row = f"{g.title}  {years}  {amount}"
            text = Text(row)
            if marks_inline:
                for mark, style in marks(g, msgs):
                    text.append("  " + mark, style=style)
            page.line(text, indent=2, bullet="· ")
            if not marks_inline and marks(g, msgs):
                page.line(joined(*(Text(m + "  ", style=st) for m, st in marks(g, msgs))), indent=DETAIL)
            for remark in _remarks(g, b.notes, msgs):
                page.line(remark, indent=DETAIL)


# --- the near misses ------------------------------------------------------------------

def _miss_head(m: Miss, msgs: Messages, counted: bool) -> Text:
    parts: list[Text | str] = [Text(m.title, style="bold")]
    if m.item:
        parts += [" · ", literal(m.item)]
    if counted:
        parts.append(Text("  " + msgs.t("check.unmet_count", count=m.unmet), style="red"))
    return joined(*parts)


def _misses(page: Page, people: list[Beneficiary], msgs: Messages, nothing: bool) -> None:
    heading = msgs.t("check.closest" if nothing else "check.misses")
    order = closest_first(people) if nothing else [b for b in people if b.misses]
    page.line(heading, style="bold")
    for b in order:
        page.line(b.id, style="bold cyan")
        for m in b.misses:
            page.line(_miss_head(m, msgs, counted=nothing or m.unmet > 1), indent=2, bullet="× ")
            for reason in m.reasons:
                page.line(reason, indent=DETAIL)


def _loose_notes(page: Page, people: list[Beneficiary], msgs: Messages) -> None:
    """Notes on a program the summary has no row for (every year of it pending)."""
    loose = [(b, n) for b in people for n in b.notes if not any(g.program == n["program"] for g in b.grants)]
    if loose:
        page.blank()
        page.line(msgs.t("cli.notes"), style="bold")
        for b, n in loose:
            page.line(f"{b.id}: " + msgs.t("check.note", title=n["title"], message=n["message"]), indent=2, bullet="· ")


# --- the full working -----------------------------------------------------------------

def _working(page: Page, dec: dict[str, Any], msgs: Messages) -> None:
    work = full_working(dec)
    page.line(msgs.t("check.working"), style="bold underline")
    if work.general:
        page.line(msgs.t("check.general"), style="bold")
        for sentence in work.general:
            page.line(sentence, indent=2, bullet="· ")
    for w in work.programs:
        page.line(joined(w.title, " · ", literal(w.beneficiary)), style="bold cyan")
        for head, sentences in w.years:
            for i, sentence in enumerate(sentences or [""]):
                page.line(sentence, indent=2, bullet=(f"{head}: " if i == 0 else " " * (cell_len(head) + 2)))
        for sentence in w.statements:
            page.line(sentence, indent=4, bullet="· ")
        page.line(msgs.t("explain.clause", section=w.clause["section"], text=w.clause["text"]), indent=4, style="dim")
    if work.refusals:
        page.line(msgs.t("check.refusal_readings"), style="bold")
        for m, beneficiary, readings in work.refusals:
            item: list[Text | str] = [" · ", literal(m.item)] if m.item else []
            page.line(joined(m.title, " · ", literal(beneficiary), *item), indent=2)
            for sentence in readings:
                page.line(sentence, indent=4, bullet="· ")
    if dec["payouts"]:
        _by_year(page, dec, msgs)


def _by_year(page: Page, dec: dict[str, Any], msgs: Messages) -> None:
    totals = dec["totals"]
    rows = [(year, msgs.money(amount)) for year, amount in totals["by_year"].items()]
    rows.append((msgs.t("cli.total_cash"), msgs.money(totals["cash"])))
    rows.append((msgs.t("cli.total_exact"), msgs.money(totals["cash_exact"])))
    if totals["in_kind_value"] != "0.00":
        rows.append((msgs.t("cli.total_in_kind"), msgs.money(totals["in_kind_value"])))
    label_w = max(cell_len(label) for label, _ in rows)
    amount_w = max(cell_len(amount) for _, amount in rows)
    page.line(msgs.t("check.by_year"), style="bold")
    for label, amount in rows:
        page.line(label + " " * (label_w - cell_len(label) + 2 + amount_w - cell_len(amount)) + amount, indent=2)


# --- an invalid case ------------------------------------------------------------------

def _errors(page: Page, dec: dict[str, Any], msgs: Messages) -> None:
    page.line(msgs.t("cli.invalid", count=len(dec["errors"])), style="bold red")
    for e in dec["errors"]:
        page.line(joined(literal(e["path"], "bold"), ": ", literal(e["message"])), indent=2, bullet="· ")
