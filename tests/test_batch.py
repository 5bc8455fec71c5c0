"""`xisai batch`: every input line gets its decision line, in input order, whatever
the worker count, the workers' deaths or the interruptions of the run.

The runner's own behaviour is tested on bare decision lines (--decisions-only);
record files, the default for a file, are tested in test_batch_records.py."""
from __future__ import annotations

import json
import os
import signal
from datetime import date

import pytest
from batch_support import (
    BAD_LINES,
    NO_AS_OF,
    TOTAL,
    batch,
    case_id_at,
    complete_lines,
    decisions,
    standard_input,
    start_batch,
    wait_for,
)
from conftest import CASES

from xisai.engine.batch.sidecar import sidecar_path
from xisai.engine.decision import dumps


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The standard input decided by one worker, without interruption."""
    root = tmp_path_factory.mktemp("clean")
    source = root / "cases.jsonl"
    lines = standard_input(source)
    out = root / "decisions.jsonl"
    done = batch(source, "--decisions-only", "-o", out, "--workers", "1", "--summary-json", root / "summary.json",
                 "--summary-csv", root / "summary.csv")
    assert done.returncode == 2, done.stderr.decode()  # some lines are invalid
    return {"input": source, "lines": lines, "output": out, "bytes": out.read_bytes(), "root": root,
            "record": json.loads(sidecar_path(out).read_text(encoding="utf-8"))}


def test_every_line_gets_its_decision_in_order_and_bad_lines_name_line_and_field(clean, engine):
    out = decisions(clean["output"])
    assert len(out) == TOTAL
    assert [d["line"] for d in out] == list(range(1, TOTAL + 1))
    by_line = {d["line"]: d for d in out}
    assert by_line[9]["status"] == "invalid" and by_line[9]["errors"][0]["code"] == "json"
    assert by_line[10]["errors"][0]["code"] == "empty_line"
    assert by_line[41]["errors"][0]["code"] == "empty_line"  # blanks only
    assert by_line[23]["case_id"] == "bad-category"
    assert [e["path"] for e in by_line[23]["errors"]] == ["persons[0].talent.category"]
    assert by_line[24]["errors"][0]["code"] == "not_object"
    assert {n for n, d in by_line.items() if d["status"] != "ok"} == set(BAD_LINES)
    # A valid line's decision is the engine's own, with its line number.
    today = date.fromisoformat(clean["record"]["today"])
    text = clean["bytes"].decode("utf-8").split("\n")
    for number in (1, 16, 50, TOTAL):
        expected = engine.evaluate(clean["lines"][number - 1], today=today).to_dict()
        assert text[number - 1] == dumps({**expected, "line": number})
    worked = json.loads((CASES / "expected" / "16-full-application.json").read_text(encoding="utf-8"))
    (full,) = [d for d in out if d["case_id"] == "16-full-application"]
    assert full["totals"] == worked["totals"]
    assert [[p["program"], p["beneficiary"], p["year"], p["kind"], p["amount"], p["basis"]] for p in full["payouts"]] == worked["payouts"]


def test_a_case_without_as_of_is_decided_as_of_the_runs_recorded_today(clean):
    decision = decisions(clean["output"])[NO_AS_OF - 1]
    assert decision["case_id"] == "no-as-of" and decision["status"] == "ok"
    assert decision["as_of"] == clean["record"]["today"]
    assert clean["record"]["complete"] is True
    assert clean["record"]["checkpoint"]["lines"] == TOTAL


def test_two_workers_and_small_chunks_give_the_same_bytes(clean, tmp_path):
    out = tmp_path / "two.jsonl"
    done = batch(clean["input"], "--decisions-only", "-o", out, "--workers", "2", "--chunk-lines", "5")
    assert done.returncode == 2, done.stderr.decode()
    assert out.read_bytes() == clean["bytes"]


def test_standard_input_to_standard_output(clean):
    done = batch("-", "--decisions-only", "-o", "-", "--workers", "2", stdin=clean["input"].read_bytes())
    assert done.returncode == 2, done.stderr.decode()
    assert done.stdout == clean["bytes"]


def test_a_case_that_kills_its_worker_twice_is_an_error_line_and_nothing_else_changes(clean, tmp_path):
    number = 50
    victim = case_id_at(clean["lines"], number)
    out = tmp_path / "crash.jsonl"
    done = batch(clean["input"], "--decisions-only", "-o", out, "--workers", "2", "--chunk-lines", "8", "--progress-json",
                 env={"XISAI_TEST_CRASH_ON": victim})
    assert done.returncode == 3, done.stderr.decode()
    got, want = out.read_bytes().split(b"\n"), clean["bytes"].split(b"\n")
    assert [i + 1 for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b] == [number]
    line = json.loads(got[number - 1])
    assert (line["line"], line["case_id"], line["status"]) == (number, victim, "error")
    assert line["errors"][0]["code"] == "worker_crash" and "SIGABRT" in line["errors"][0]["message"]
    final = json.loads(done.stderr.decode().strip().splitlines()[-1])
    # the chunk twice, then the line alone twice: four workers replaced
    assert (final["event"], final["error"], final["restarts"]) == ("done", 1, 4)


def test_a_worker_killed_mid_chunk_is_replaced_and_its_chunk_redone(clean, tmp_path):
    held = tmp_path / "held.pid"
    out = tmp_path / "killed.jsonl"
    run = start_batch(clean["input"], "--decisions-only", "-o", out, "--workers", "2", "--chunk-lines", "8", "--progress-json",
                      env={"XISAI_TEST_HOLD_ON": f"{case_id_at(clean['lines'], 45)}:{held}"})
    wait_for(held.exists, what="a worker to reach line 45")
    os.kill(int(held.read_text()), signal.SIGKILL)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 2, err.decode()
    assert out.read_bytes() == clean["bytes"]
    assert json.loads(err.decode().strip().splitlines()[-1])["restarts"] == 1


def test_kill_9_of_the_batch_then_resume_gives_the_same_bytes(clean, tmp_path):
    held = tmp_path / "held.pid"
    out = tmp_path / "resumed.jsonl"
    run = start_batch(clean["input"], "--decisions-only", "-o", out, "--workers", "1", "--chunk-lines", "8", "--sync-seconds", "0",
                      env={"XISAI_TEST_HOLD_ON": f"{case_id_at(clean['lines'], 60)}:{held}"})
    wait_for(held.exists, what="the worker to reach line 60")
    wait_for(lambda: complete_lines(out) >= 56, what="lines 1-56 to be written")
    run.kill()
    run.wait(timeout=30)
    os.kill(int(held.read_text()), signal.SIGKILL)
    assert complete_lines(out) == 56
    with open(out, "ab") as fh:
        fh.write(b'{"as_of":"2024-06-30","case_id":"half a li')  # a write cut short
    done = batch(clean["input"], "--decisions-only", "-o", out, "--resume", "--workers", "2")
    assert done.returncode == 2, done.stderr.decode()
    assert out.read_bytes() == clean["bytes"]
    assert json.loads(sidecar_path(out).read_text())["today"] == json.loads(sidecar_path(clean["output"]).read_text())["today"]


def test_ctrl_c_stops_cleanly_and_resume_refuses_another_run(clean, tmp_path):
    held = tmp_path / "held.pid"
    out = tmp_path / "stopped.jsonl"
    run = start_batch(clean["input"], "--decisions-only", "-o", out, "--workers", "1", "--chunk-lines", "8",
                      env={"XISAI_TEST_HOLD_ON": f"{case_id_at(clean['lines'], 30)}:{held}"})
    wait_for(held.exists, what="the worker to reach line 30")
    wait_for(lambda: complete_lines(out) >= 24, what="lines 1-24 to be written")
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err.decode()
    assert b"--resume" in err
    record = json.loads(sidecar_path(out).read_text())
    assert record["complete"] is False and record["checkpoint"]["lines"] == complete_lines(out) == 24
    other = batch(clean["input"], "--decisions-only", "-o", out, "--resume", "--as-of", "2024-01-01")
    assert other.returncode == 1 and b"as_of" in other.stderr
    changed = tmp_path / "changed.jsonl"
    changed.write_bytes(b"\n" + clean["input"].read_bytes())
    refused = batch(changed, "--decisions-only", "-o", out, "--resume")
    assert refused.returncode == 1 and b"input" in refused.stderr
    assert complete_lines(out) == 24  # a refused resume leaves the output alone
    done = batch(clean["input"], "--decisions-only", "-o", out, "--resume")
    assert done.returncode == 2, done.stderr.decode()
    assert out.read_bytes() == clean["bytes"]


def test_an_input_that_is_only_valid_cases_exits_0_and_usage_errors_exit_1(tmp_path, clean):
    source = tmp_path / "good.jsonl"
    source.write_bytes(b"\n".join(clean["lines"][:3]) + b"\n")
    done = batch(source, "--decisions-only", "-o", tmp_path / "good.out.jsonl", "--workers", "1")
    assert done.returncode == 0, done.stderr.decode()
    assert complete_lines(tmp_path / "good.out.jsonl") == 3
    missing = batch(tmp_path / "nope.jsonl", "--decisions-only", "-o", tmp_path / "x.jsonl")
    assert missing.returncode == 1 and b"cannot read" in missing.stderr
    for usage in (["--workers", "0"], ["--as-of", "2024-13-01"], ["--lang", "fr"]):  # exit 2 would mean "invalid lines"
        assert batch(source, "--decisions-only", "-o", tmp_path / "x.jsonl", *usage).returncode == 1


def test_the_input_file_is_never_the_output(tmp_path):
    """`-o` naming the input (or a link to it) would empty it: refused, the cases kept."""
    source = tmp_path / "intake.jsonl"
    standard_input(source)
    before = source.read_bytes()
    link = tmp_path / "link.jsonl"
    link.symlink_to(source)
    for output in (source, link):
        done = batch(source, "-o", output, "--lang", "en")
        assert done.returncode == 1 and b"is the input file itself" in done.stderr
        assert source.read_bytes() == before
