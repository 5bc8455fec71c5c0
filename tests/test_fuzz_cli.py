"""Corrupted and hostile cases fed to the installed `xisai check` in fresh processes.

A fresh process is the point: a fault of the durable-rules C core (freeing state that
was never set) only showed on a process's first case, which a long-lived test process
never sees. Every file must end in exit 0 (status ok) or 2 (status invalid), a JSON
decision on stdout, and no traceback on stderr.

Bounded for the suite (XISAI_FUZZ_N cases, default 60, seeded by XISAI_FUZZ_SEED); a
long run by hand: XISAI_FUZZ_N=600 .venv/bin/python -m pytest tests/test_fuzz_cli.py -s"""
import json
import os
import subprocess
from collections import Counter, defaultdict

from conftest import xisai
from hostile import KINDS, hostile

from xisai.engine.i18n import Messages

N = int(os.environ.get("XISAI_FUZZ_N", "60"))
SEED = int(os.environ.get("XISAI_FUZZ_SEED", "6"))
MSGS = Messages.get("zh_CN")  # the decisions' default language


def run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(xisai() + args, capture_output=True, timeout=120, check=False)


def verdict(done: subprocess.CompletedProcess, as_json: bool) -> str | None:
    """What is wrong with one run, or None."""
    stderr = done.stderr.decode("utf-8", "replace")
    if "Traceback" in stderr or "internal error" in stderr:
        return f"stderr: {stderr[-300:]}"
    if done.returncode not in (0, 2):
        return f"exit {done.returncode}: {stderr[-300:]}"
    if as_json:
        try:
            decision = json.loads(done.stdout)
        except ValueError:
            return f"stdout is not JSON: {done.stdout[:200]!r}"
        want = {0: "ok", 2: "invalid"}[done.returncode]
        if decision.get("status") != want:
            return f"status {decision.get('status')!r} with exit {done.returncode}"
        errors = decision.get("errors", [])
        if want == "invalid" and not all(e.get("path") and e.get("message") for e in errors):
            return "an error without path or message"
        untranslated = [e["code"] for e in errors if not MSGS.has(f"error.{e['code']}")]
        if untranslated:  # pydantic's English would show in a zh_CN decision
            return f"error codes without a catalog sentence: {untranslated}"
    return None


def test_hostile_cases_in_fresh_processes(tmp_path):
    failures = []
    outcomes: dict[str, Counter] = defaultdict(Counter)
    for i in range(N):
        seed = SEED * 1_000_003 + i
        kind, data = hostile(seed)
        path = tmp_path / f"case-{i}.json"
        path.write_bytes(data)
        done = run(["check", str(path), "--json"])
        problem = verdict(done, as_json=True)
        if problem is None and done.returncode == 2:
            codes = sorted({e["code"] for e in json.loads(done.stdout)["errors"]})
            outcomes[kind][f"invalid:{','.join(codes[:3])}"] += 1
        elif problem is None:
            outcomes[kind]["ok"] += 1
        if problem is None and i % 4 == 0:  # the text view too: markup and control characters in ids
            problem = verdict(run(["check", str(path), "--lang", "en"]), as_json=False)
        if problem:
            outcomes[kind]["FAILED"] += 1
            keep = tmp_path.parent / f"failed-{seed}.json"
            keep.write_bytes(data)
            failures.append(f"seed {seed} ({kind}, kept in {keep}): {problem}")
    for kind, counts in sorted(outcomes.items()):
        print(f"{kind}: {dict(counts)}")
    assert not failures, "\n".join(failures)
    if len(KINDS) <= N:
        assert set(outcomes) == {k.__name__ for k in KINDS}
