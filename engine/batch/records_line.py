"""`xisai batch --records`: each output line a decision record (docs/records.md).

A worker turns an input line into the chain-free part of its record (the case as the
engine read it, the decision of `decide_line`, their hashes), and the run's one writer
chains it (records.RecordTransform): prev_hash, seq and record_hash. At the end of the
run the seal goes beside the output, and the rules bundle is kept there from the start."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..bundles import export_bundle
from ..evaluate import Engine
from ..records import OMITTED, RecordChain, body_text, raw_part, read_case, record_body
from ..seal import make_seal, seal_path, write_seal
from .line import STATUS_ERROR, Result, case_id_of, decide_line, problem_decision, tally_of


def record_result(engine: Engine, raw: bytes | None, line_no: int, as_of: date | None, today: date) -> Result:
    """The record body of one input line, and its tally: what `evaluate_line` gives for
    a plain run. The line is parsed once, for the record and for the engine."""
    if raw is None:
        case, data = OMITTED, decide_line(engine, None, as_of, today)
    else:
        case, value = read_case(raw)
        data = decide_line(engine, raw, as_of, today, case=value)
    return _body(raw, data, line_no, case)


def crashed_record(rules_version: str, raw: bytes | None, line_no: int, how: str) -> Result:
    """The record of a line that killed a worker process twice (`crashed_line`)."""
    data = problem_decision(rules_version, STATUS_ERROR, "worker_crash", {"how": how}, case_id_of(raw))
    # the line as it came: the batch process never parses a line that may kill a process
    return _body(raw, data, line_no, OMITTED if raw is None else raw_part(raw))


def _body(raw: bytes | None, data: dict[str, Any], line_no: int, case: Any) -> Result:
    body = record_body(raw or b"", data, line=line_no, case=case)
    return body_text(body).encode("utf-8"), tally_of(data)


def keep_bundle(output: Path, rules_dir: Path | None) -> dict[str, str]:
    """The rules bundle of the run beside its output: {rules_version: bundle_sha256}."""
    exported = export_bundle(output.resolve().parent, rules_dir)
    return {exported.rules_version: exported.bundle_sha256}


def seal_output(output: Path, chain: RecordChain, bundles: dict[str, str], key: Ed25519PrivateKey | None) -> Path:
    """Write the seal of a finished run beside its output."""
    path = seal_path(output)
    write_seal(path, make_seal(chain, bundles), key)
    return path
