"""Command-line options shared by the commands, and usage mistakes said plainly:
one line naming the option and what it accepts, in the user's language, exit 2."""
from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import click

from ..engine.evaluate import Engine
from ..engine.i18n import DEFAULT_LOCALE, LOCALES, Messages, normalise_locale
from ..engine.rulebook import RuleError

EXIT_OK, EXIT_ERROR, EXIT_INVALID = 0, 1, 2


def env_locale(names: tuple[str, ...] = ("XISAI_LANG", "LC_ALL", "LC_MESSAGES", "LANG")) -> str | None:
    """The language the environment asks for: XISAI_LANG, else the POSIX locale
    variables (LC_ALL, LC_MESSAGES, LANG), e.g. en_US.UTF-8 -> en; None if neither
    names a language xisai speaks."""
    for name in names:
        value = os.environ.get(name, "").split(".")[0].split("@")[0]
        if not value or value in ("C", "POSIX"):
            continue
        for candidate in (value, value.split("_")[0]):
            try:
                return normalise_locale(candidate)
            except ValueError:
                continue
        if name == "XISAI_LANG":
            continue  # an unusable XISAI_LANG falls through to the locale
    return None


def usage_exit(msgs: Messages, key: str, **values: Any) -> NoReturn:
    click.echo(f"xisai: {msgs.t(key, **values)}", err=True)
    sys.exit(EXIT_INVALID)


def _lang_value(value: str | None, default: str | None) -> str:
    if value is None:
        return default or env_locale() or DEFAULT_LOCALE
    try:
        return normalise_locale(value)
    except ValueError:
        usage_exit(Messages.get(env_locale()), "usage.lang", value=value, allowed=", ".join(LOCALES))


def _fixed_lang(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    # XISAI_LANG sets every command's language; the system locale only the guided ones.
    return _lang_value(value, env_locale(("XISAI_LANG",)) or DEFAULT_LOCALE)


def _env_lang(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    return _lang_value(value, None)


# check, rules, batch, replay: --lang, else XISAI_LANG, else zh_CN; ask, template and
# schema also follow LANG (a person at a terminal), the others not (a server's LANG says
# nothing of who reads a caseworker's report).
lang_option = click.option("--lang", default=None, callback=_fixed_lang,
                           help=f"Language of the text: {', '.join(LOCALES)} (default: XISAI_LANG, else zh_CN).")
env_lang_option = click.option("--lang", default=None, callback=_env_lang,
                               help=f"Language: {', '.join(LOCALES)} (default: from XISAI_LANG or LANG, else zh_CN).")


def as_of_value(value: str | None, msgs: Messages) -> date | None:
    """--as-of, read once the language is known."""
    if value is None:
        return None
    try:
        if len(value) == 10:  # YYYY-MM-DD only, as in a case file
            return date.fromisoformat(value)
    except ValueError:
        pass
    usage_exit(msgs, "usage.as_of", value=value)


def case_file_value(path: Path, msgs: Messages) -> None:
    if str(path) != "-" and path.is_dir():
        usage_exit(msgs, "usage.directory", value=str(path))


rules_option = click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
                            default=None, help="A rules directory other than the shipped one.")


def load_engine(rules_dir: Path | None) -> Engine:
    try:
        return Engine(rules_dir)
    except RuleError as exc:
        click.echo(f"xisai: the rules did not load: {exc}", err=True)
        sys.exit(EXIT_ERROR)
