"""Helpers of the batch tests: an input with bad lines in the middle, and the
installed `xisai batch` run in a process of its own (as a caseworker runs it)."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from casegen import generate
from conftest import CASES, xisai

# Lines (1-based) of the standard input that are not valid cases, and what they hold.
BAD_LINES = {
    9: b"not json at all",
    10: b"",
    23: json.dumps({"case_id": "bad-category", "persons": [{"id": "P1", "talent": {"category": "poet", "recognized_on": "2022-03-01"}}]}).encode(),
    24: b"[1, 2, 3]",
    41: b"   ",
}
NO_AS_OF = 30   # a case without as_of: decided as of the run's `today`
TOTAL = 72


def standard_input(path: Path) -> list[bytes]:
    """The worked cases, then generated ones; bad lines in the middle; no final newline."""
    worked = [json.dumps(json.loads(p.read_text(encoding="utf-8")), ensure_ascii=False).encode()
              for p in sorted(CASES.glob("*.json"))]
    lines: list[bytes] = []
    seed = 0
    for number in range(1, TOTAL + 1):
        if number in BAD_LINES:
            lines.append(BAD_LINES[number])
        elif number == NO_AS_OF:
            case = json.loads((CASES / "01-living-allowance.json").read_text(encoding="utf-8"))
            del case["as_of"]
            lines.append(json.dumps({**case, "case_id": "no-as-of"}, ensure_ascii=False).encode())
        elif worked:
            lines.append(worked.pop(0))
        else:
            lines.append(json.dumps(generate(seed), ensure_ascii=False).encode())
            seed += 1
    path.write_bytes(b"\n".join(lines))
    return lines


def case_id_at(lines: list[bytes], number: int) -> str:
    return json.loads(lines[number - 1])["case_id"]


def batch(*args: str | Path, env: dict[str, str] | None = None, stdin: bytes | None = None,
          timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(xisai() + ["batch", *map(str, args)], input=stdin, capture_output=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, check=False)


def start_batch(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(xisai() + ["batch", *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})


def wait_for(predicate, timeout: float = 90, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def decisions(path: Path) -> list[dict]:
    """The decisions of an output file, each with its input line number (a record file,
    the default, holds each decision inside its record)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        out.append({**data["decision"], "line": data["line"]} if "record_hash" in data else data)
    return out


def complete_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0
