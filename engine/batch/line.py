"""One input line in, one output line out: the only place that decides what a line
of DECISIONS.jsonl holds.

An output line is the decision's data (decision format 2, language-neutral) plus
`line`, the 1-based number of the input line, last; written as the decision's
canonical text (decision.dumps: compact, UTF-8 as is, fields in format order), encoded
in UTF-8. Every input line gives exactly one output line:

- a case: the engine's decision (`ok` or `invalid`, errors with their case paths);
- an empty line, or one longer than MAX_LINE_BYTES: `invalid`, code `empty_line`
  or `line_too_long`;
- a line the engine could not decide (EngineError, or any other exception), or one
  that killed a worker process twice on its own: status `error` (an extension of the
  floor's ok|invalid: the case is not known to be wrong, the engine failed), code
  `engine_error` or `worker_crash`.

Besides the line, each gives its *tally*: the few floor fields the finance
summary needs (status and payouts), so that the summary never re-reads the output.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Any

from ..decision import decision_data, error_item
from ..decision import dumps as decision_dumps
from ..evaluate import Engine

MAX_LINE_BYTES = 16_777_216  # 16 MiB
STATUS_ERROR = "error"
WHOLE_CASE = "(case)"

# (program, year, kind, basis, beneficiary, amount or None)
PayoutTally = tuple[str, int, str, str, str, str | None]
# (status, payouts)
Tally = tuple[str, tuple[PayoutTally, ...]]
Result = tuple[bytes, Tally]  # (output line, UTF-8, without its newline; tally)


def evaluate_line(engine: Engine, raw: bytes | None, line_no: int, as_of: date | None, today: date) -> Result:
    """The output line for one input line (`raw` without its newline; None when the
    line was longer than MAX_LINE_BYTES and was skipped unread). Never raises for a
    fault of the line or of the engine: that is a decision too."""
    return finish(decide_line(engine, raw, as_of, today), line_no)


def decide_line(engine: Engine, raw: bytes | str | None, as_of: date | None, today: date | None,
                case: Any = None) -> dict[str, Any]:
    """The decision for one input line, without its `line` (records and replay use it
    too). `case`: the line's data when the caller has parsed it already."""
    if raw is None:
        return problem_decision(engine.rules_version, "invalid", "line_too_long", {"limit": str(MAX_LINE_BYTES)})
    if not raw.strip():
        return problem_decision(engine.rules_version, "invalid", "empty_line")
    try:
        return engine.evaluate(raw if case is None else case, as_of=as_of, today=today).to_dict()
    except Exception as exc:  # EngineError, or a bug: this line's report, never the end of the batch
        detail = f"{type(exc).__name__}: {exc}"
        text = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
        return problem_decision(engine.rules_version, STATUS_ERROR, "engine_error", {"detail": detail}, case_id_of(text))


def crashed_line(rules_version: str, raw: bytes | None, line_no: int, how: str) -> Result:
    """The line that killed a worker process twice, evaluated alone each time."""
    data = problem_decision(rules_version, STATUS_ERROR, "worker_crash", {"how": how}, case_id_of(raw))
    return finish(data, line_no)


def finish(data: dict[str, Any], line_no: int) -> Result:
    data["line"] = line_no
    return decision_dumps(data).encode("utf-8"), tally_of(data)  # encoded here, in the worker: the writer only writes


def problem_decision(rules_version: str, status: str, code: str, params: dict[str, str] | None = None,
                     case_id: str = "") -> dict[str, Any]:
    """A decision for a line the engine did not decide: the floor fields, one error
    (its message in English, as the engine's; views render the code in any language)."""
    data = decision_data(case_id, "invalid", rules_version, None, errors=[error_item(WHOLE_CASE, code, params or {})])
    data["status"] = status
    return data


def case_id_of(raw: bytes | None) -> str:
    """The case_id of a line, when it is a JSON object that has one."""
    if not raw:
        return ""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return ""
    value = data.get("case_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def tally_of(data: dict[str, Any]) -> Tally:
    """What the summary needs of a decision: only fields of the decision floor."""
    payouts = tuple((p["program"], int(p["year"]), p["kind"], p["basis"], p["beneficiary"], p["amount"])
                    for p in data.get("payouts") or ())
    return data["status"], payouts
