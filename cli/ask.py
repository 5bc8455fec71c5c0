"""`xisai ask`: the questionnaire, in a terminal or from a pipe, then the `check` view.

In a terminal the prompts are rich; from a pipe each prompt is printed with the
answer read after it, so a script of answers gives a readable transcript. The
questions themselves (which, in what order, how answers are read and checked) are
engine.interview's; this module only says them."""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from ..engine.answers import read_bool
from ..engine.evaluate import EngineError
from ..engine.facts import KIND_BOOL
from ..engine.i18n import Messages, error_message
from ..engine.interview import ADD, HAS, Interview, Question, Section
from ..engine.questions import ENUM, REF, REFS
from . import render
from .options import EXIT_ERROR, EXIT_INVALID, EXIT_OK, as_of_value, env_lang_option, load_engine, rules_option
from .safe import escape_controls


class Terminal:
    """Says things and reads answers: rich in a terminal, plain lines from a pipe."""

    def __init__(self, interactive: bool):
        self.interactive = interactive
        self.console = Console(highlight=False) if interactive else None

    def say(self, text: str, style: str | None = None) -> None:
        if self.console is not None:
            self.console.print(Text(text, style=style or ""))
        else:
            click.echo(text)

    def ask(self, prompt: str) -> str:
        """One answer; EOFError when the input has ended."""
        if self.console is not None:
            return self.console.input(Text(prompt, style="bold"))
        click.echo(prompt, nl=False)
        line = sys.stdin.readline()
        if not line:
            click.echo()
            raise EOFError
        click.echo(escape_controls(line.rstrip("\r\n")))  # the transcript shows each answer after its question
        return line.rstrip("\r\n")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].isascii() else text


def section_title(section: Section, msgs: Messages) -> str:
    head = msgs.t(f"entity.{section.entity}") + (f" {escape_controls(section.id)}" if section.id else "")
    return msgs.t("ask.section_join").join([head, *(msgs.t(p) for p in section.parts)])


def prompt(q: Question, msgs: Messages) -> str:
    label = msgs.t(q.label)
    yes_no = msgs.t("ask.yes_no")
    if q.ask in (ADD, HAS):
        key = "ask.has" if q.ask == HAS else ("ask.add_more" if q.count else "ask.add_first")
        text = msgs.t("ask.value", label=msgs.t(key, noun=label, count=q.count) + msgs.t("ask.question_mark"), hint=yes_no)
    else:
        hint = yes_no if q.kind == KIND_BOOL else msgs.t(f"ask.hint.{q.kind}")
        if q.kind == KIND_BOOL:  # a statement asked as a question: "settled in the district?"
            label += msgs.t("ask.question_mark")
        if not q.required and q.default is None and q.kind not in (REF, REFS):
            hint += msgs.t("ask.hint_join") + msgs.t("ask.optional")
        text = msgs.t("ask.value", label=_capital(label), hint=hint)
    text = _capital(text)
    if q.default is not None and q.default != []:
        shown = msgs.value(q.default) if isinstance(q.default, bool) else str(q.default)
        text += " " + msgs.t("ask.default", value=shown)
    return text + msgs.t("ask.prompt_end")


def choices(q: Question, msgs: Messages) -> list[str]:
    if q.kind not in (ENUM, REF, REFS):
        return []
    return [msgs.t("ask.choice", number=i, label=msgs.choice(code, q.choice_field) if q.kind == ENUM else escape_controls(code))
            for i, code in enumerate(q.choices, 1)]


def run_interview(interview: Interview, io: Terminal, msgs: Messages) -> None:
    """Ask until the questionnaire is over; EOFError/KeyboardInterrupt pass through."""
    last: Section | None = None
    while (q := interview.question) is not None:
        if q.section is not None and q.section != last:
            io.say(msgs.t("ask.section", title=section_title(q.section, msgs)), style="bold cyan")
            last = q.section
        for problem in q.problems:
            io.say(msgs.t("ask.problem", message=error_message(problem.code, problem.params, problem.fallback, msgs)), style="red")
        for line in choices(q, msgs):
            io.say(line)
        interview.answer(io.ask(prompt(q, msgs)))


def _write(path: Path, case: dict[str, Any], msgs: Messages, io: Terminal) -> bool:
    try:
        path.write_text(json.dumps(case, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        io.say(msgs.t("ask.cannot_save", path=path, reason=exc.strerror), style="red")
        return False
    return True


def _offer_save(case: dict[str, Any], save: Path | None, msgs: Messages, io: Terminal) -> None:
    try:
        if save is None:
            answer = io.ask(msgs.t("ask.save_prompt") + msgs.t("ask.prompt_end")).strip()
            if not answer:
                io.say(msgs.t("ask.not_saved"))
                return
            save = Path(answer)
            if save.exists():
                text = msgs.t("ask.value", label=msgs.t("ask.overwrite", path=save) + msgs.t("ask.question_mark"),
                              hint=msgs.t("ask.yes_no"))
                if not read_bool(io.ask(text + msgs.t("ask.prompt_end"))):
                    io.say(msgs.t("ask.not_saved"))
                    return
    except (EOFError, KeyboardInterrupt):
        io.say(msgs.t("ask.not_saved"))
        return
    if _write(save, case, msgs, io):
        io.say(msgs.t("ask.saved", path=save), style="green")


@click.command()
@env_lang_option
@click.option("--as-of", "as_of", help="The evaluation date (YYYY-MM-DD); default today. Saved in the case.")
@click.option("--save", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Save the answers to this case file without asking (on early end of input: the answers so far).")
@click.option("--case-id", default=None, help="The case's id (default: ask-<as_of>).")
@rules_option
def ask(lang: str, as_of: str | None, save: Path | None, case_id: str | None, rules_dir: Path | None) -> None:
    """Answer questions instead of writing a case file; see what you qualify for.

    Asks only what the rules read, skips what cannot matter, checks each answer.
    Works in a terminal and from a pipe (one answer a line). Exit 0 when done,
    1 when the input ends early."""
    msgs = Messages.get(lang)
    day = as_of_value(as_of, msgs) or date.today()
    engine = load_engine(rules_dir)
    io = Terminal(sys.stdin.isatty() and sys.stdout.isatty())
    interview = Interview(engine.book, day, case_id)
    io.say(msgs.t("ask.intro", as_of=msgs.date(day)), style="bold")
    io.say(msgs.t("ask.intro_keys"))
    try:
        run_interview(interview, io, msgs)
    except (EOFError, KeyboardInterrupt):
        io.say(msgs.t("ask.eof"), style="red")
        partial = interview.partial()
        if save is not None:
            if _write(save, partial, msgs, io):
                io.say(msgs.t("ask.partial_saved", path=save))
        else:
            io.say(msgs.t("ask.partial_dump"))
            io.say(json.dumps(partial, ensure_ascii=False, indent=2))
        sys.exit(EXIT_ERROR)
    case = interview.result()
    try:
        decision = engine.evaluate(case, lang=lang)
    except EngineError as exc:
        click.echo(f"xisai: the rules could not decide this case: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    io.say("")
    io.say(msgs.t("ask.section", title=msgs.t("ask.result")), style="bold cyan")
    sys.stdout.flush()
    render.decision(decision.render(lang), msgs, brief=False)
    _offer_save(case, save, msgs, io)
    sys.exit(EXIT_OK if decision.status == "ok" else EXIT_INVALID)
