"""`xisai schema` and `xisai template`: the case format, shipped with the package.

`template` prints an example case as JSON with a comment on each line (JSONC, as
editors such as VS Code read it): the field's label, what it takes, whether it is
required, its allowed values or the clause's bounds. Delete the comments (or use
`--json`) and it is a case `xisai check` accepts."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click

from ..engine.case_guide import FieldGuide, example_case, field_guide, json_schema
from ..engine.i18n import Messages
from .options import env_lang_option, load_engine, rules_option

COMMENT = "  // "


def _pattern(path: str) -> str:
    return re.sub(r"\[\d+\]", "[*]", path)


def comment(guide: FieldGuide, msgs: Messages) -> str:
    parts = [msgs.t(guide.label)]
    if guide.kind == "enum":
        labels = [code if msgs.choice(code, guide.choice_field) == code
                  else msgs.t("error.choice", label=msgs.choice(code, guide.choice_field), code=code)
                  for code in guide.choices]
        parts.append(msgs.t("template.kind.enum", choices=msgs.t("value.list_separator").join(labels)))
    elif guide.kind in ("ref", "refs"):
        parts.append(msgs.t(f"template.kind.{guide.kind}_{guide.target}"))
    else:
        parts.append(msgs.t(f"template.kind.{guide.kind}"))
    if guide.bound is not None:
        parts.append(msgs.t("template.bound", range=guide.bound.range_text))
    parts.append(msgs.t("template.required" if guide.required else "template.optional"))
    if not guide.read:
        parts.append(msgs.t("template.unread"))
    return msgs.t("template.join").join(parts)


def jsonc(case: dict[str, Any], guides: list[FieldGuide], msgs: Messages) -> str:
    """The example as JSON, each key's line followed by its comment."""
    notes = {g.path: comment(g, msgs) for g in guides}
    tables = {g.path for g in guides if g.kind == "table"}  # {"<year>": money}: one line
    lines: list[str] = []

    def emit(value: Any, path: str, indent: int, key: str | None, last: bool) -> None:
        pad = "  " * indent
        head = f"{pad}{json.dumps(key, ensure_ascii=False)}: " if key is not None else pad
        tail = "" if last else ","
        note = notes.get(_pattern(path)) if key is not None else None
        suffix = f"{COMMENT}{note}" if note else ""
        if isinstance(value, dict) and value and _pattern(path) not in tables:
            lines.append(f"{head}{{{suffix}")
            items = list(value.items())
            for i, (k, v) in enumerate(items):
                emit(v, f"{path}.{k}" if path else k, indent + 1, k, i == len(items) - 1)
            lines.append(f"{pad}}}{tail}")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{head}[{suffix}")
            for i, item in enumerate(value):
                emit(item, f"{path}[{i}]", indent + 1, None, i == len(value) - 1)
            lines.append(f"{pad}]{tail}")
        else:
            lines.append(f"{head}{json.dumps(value, ensure_ascii=False)}{tail}{suffix}")

    emit(case, "", 0, None, True)
    return "\n".join(lines)


def strip_comments(text: str) -> str:
    """The JSON of a template: every line without its comment."""
    return "\n".join(line.split(COMMENT, 1)[0] for line in text.splitlines() if not line.lstrip().startswith("//"))


@click.command()
@env_lang_option
@rules_option
def schema(lang: str, rules_dir: Path | None) -> None:
    """Print the JSON Schema of the case format (titles in the chosen language, the
    clause's bounds on approved figures from the rule files)."""
    book = load_engine(rules_dir).book
    click.echo(json.dumps(json_schema(book, Messages.get(lang)), ensure_ascii=False, indent=2))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Plain JSON, without the comments.")
@env_lang_option
@rules_option
def template(as_json: bool, lang: str, rules_dir: Path | None) -> None:
    """Print an example case with a comment on each field (JSONC); --json for plain JSON."""
    msgs = Messages.get(lang)
    book = load_engine(rules_dir).book
    case = example_case(book, msgs)
    if as_json:
        click.echo(json.dumps(case, ensure_ascii=False, indent=2))
        return
    for key in ("template.header", "template.header_more"):
        click.echo(f"// {msgs.t(key)}")
    click.echo(jsonc(case, field_guide(book), msgs))
