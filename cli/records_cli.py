"""`xisai replay`, `xisai keys new`, `xisai rules export`, `xisai rules diff`, and the
record that `xisai check --record` writes."""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from ..engine.batch.line import decide_line
from ..engine.bundles import BundleError, export_bundle
from ..engine.evaluate import Engine
from ..engine.i18n import Messages
from ..engine.record_writer import RecordWriter
from ..engine.records import CasePart, read_case, record_body
from ..engine.replay import EXIT_ERROR, Options, default_workers, replay
from ..engine.rulebook import RuleError
from ..engine.rules_diff import rules_diff
from ..engine.seal import KeyFileError, load_private_key, load_public_key, new_key_pair, seal_path
from . import replay_view
from .options import lang_option

json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


def _fail(message: str) -> None:
    click.echo(f"xisai: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


# --- replay --------------------------------------------------------------------

@click.command("replay")
@click.argument("records", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--seal", "seal", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The seal file (default: RECORDS.seal.json).")
@click.option("--verify-key", "verify_key", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The office's public key: the seal must carry a valid signature by it.")
@click.option("--rules", "rules_spec", default=None, metavar="current|BUNDLE|DIR",
              help="Replay under these rules instead of each record's own, and report the impact.")
@click.option("--bundles", "bundle_dirs", multiple=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A directory of rules bundles to search (repeatable); beside the records and the store are searched too.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: the cores).")
@json_option
@lang_option
def replay_command(records: Path, seal: Path | None, verify_key: Path | None, rules_spec: str | None,
                   bundle_dirs: tuple[Path, ...], workers: int | None, as_json: bool, lang: str) -> None:
    """Re-evaluate every record of RECORDS under the rules it was made with and check the
    chain and the seal. Exit 0: all reproduced, nothing tampered; 3: some decisions
    differ; 4: tampering found; 5: not everything could be checked (a rules bundle or
    the seal is missing); 1: the replay could not run."""
    options = Options(seal=seal, rules=rules_spec, bundle_dirs=list(bundle_dirs), workers=workers or default_workers())
    if verify_key is not None:
        try:
            options.trusted_key = load_public_key(verify_key)
        except KeyFileError as exc:
            _fail(str(exc))
    try:
        if sys.stderr.isatty() and not as_json:
            with Progress(TextColumn("{task.description}"), BarColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                          console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task(records.name, total=records.stat().st_size)
                report = replay(records, options, lambda done, total: bar.update(task, completed=done))
        else:
            report = replay(records, options)
    except (OSError, RuleError, BundleError) as exc:
        _fail(str(exc))
    data = report.to_dict()
    if data["lines"] and data["counts"] == {"unreadable": data["lines"]} and data["seal"]["status"] == "missing":
        # Not one record and no seal: a case file or bare decisions, not a tampered record file.
        _fail(Messages.get(lang).t("replay.not_records", path=str(records)))
    if as_json:
        _print_json(data)
    else:
        replay_view.replay_report(data, Messages.get(lang))
    sys.exit(report.exit_code)


# --- keys ----------------------------------------------------------------------

@click.group("keys")
def keys() -> None:
    """Ed25519 key pairs that sign seals."""


@keys.command("new")
@click.option("--out", "out_dir", default=Path("keys"), show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for xisai-ed25519.key (private, mode 0600) and xisai-ed25519.pub.")
@lang_option
def keys_new(out_dir: Path, lang: str) -> None:
    """Make a key pair: `batch --sign KEY` and `check --record --sign KEY` sign with the
    private key, `replay --verify-key PUB` checks with the public one. Both are PEM."""
    try:
        private, public = new_key_pair(out_dir)
    except FileExistsError as exc:
        _fail(f"{exc} exists; a key is never overwritten")
    click.echo(Messages.get(lang).t("keys.written", private=private, public=public))


# --- rules export / diff ---------------------------------------------------------

@click.command("export")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="A rules directory other than the shipped one.")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Directory to write the bundle into.")
@json_option
@lang_option
def rules_export(rules_dir: Path | None, out_dir: Path, as_json: bool, lang: str) -> None:
    """Write the rules and the catalogs as one bundle named by its rules_version."""
    try:
        exported = export_bundle(out_dir, rules_dir)
    except (OSError, RuleError, BundleError) as exc:
        _fail(str(exc))
    data = {"path": str(exported.path), "rules_version": exported.rules_version,
            "bundle_sha256": exported.bundle_sha256, "created": exported.created}
    if as_json:
        _print_json(data)
    else:
        click.echo(Messages.get(lang).t("export.written", path=exported.path, version=exported.rules_version,
                                        bundle=exported.bundle_sha256))


@click.command("diff")
@click.argument("old")
@click.argument("new")
@json_option
@lang_option
def rules_diff_command(old: str, new: str, as_json: bool, lang: str) -> None:
    """What changed from OLD to NEW: each `current`, a bundle file or a rules directory."""
    try:
        data = rules_diff(old, new)
    except (OSError, RuleError, BundleError) as exc:
        _fail(str(exc))
    if as_json:
        _print_json(data)
    else:
        replay_view.rules_diff(data, Messages.get(lang))


# --- check --record -----------------------------------------------------------------

def decide_single(text: bytes, engine: Engine, as_of: date | None) -> tuple[CasePart, dict[str, Any]]:
    """The record form of one checked case and its decision, decided as a batch line is
    (so that replay gives the same): `check --record` shows and records this one decision."""
    case, value = read_case(text)
    return case, decide_line(engine, text, as_of, None, case=value)


def write_single_record(case: CasePart, decision: dict[str, Any], path: Path, sign: Path | None,
                        rules_dir: Path | None) -> Path:
    """The record of one checked case (`decide_single`), its seal, and the rules bundle beside it."""
    key = load_private_key(sign) if sign is not None else None
    writer = RecordWriter(path)
    try:
        writer.keep_bundle(rules_dir)
        writer.write(record_body(b"", decision, case=case))
        writer.finish(key)
    finally:
        writer.close()
    return seal_path(path)


def register(main: click.Group, rules: click.Group) -> None:
    main.add_command(replay_command)
    main.add_command(keys)
    rules.add_command(rules_export)
    rules.add_command(rules_diff_command)
