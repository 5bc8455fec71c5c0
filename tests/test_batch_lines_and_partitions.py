"""The pieces under `xisai batch`, in-process: the output line of an input line,
reading input lines, cutting a file into partitions, keeping what an interrupted run
wrote."""
from __future__ import annotations

import hashlib
import io
import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xisai.engine.batch.line import MAX_LINE_BYTES, evaluate_line
from xisai.engine.batch.partition import plan, read_lines
from xisai.engine.batch.reader import LineReader
from xisai.engine.batch.writer import PlainLines, recover_output, usable_checkpoint
from xisai.engine.decision import dumps
from xisai.engine.evaluate import EngineError


def test_lines_numbers_offsets_and_hash():
    data = b'{"a":1}\r\n\n  \nlast without newline'
    reader = LineReader(io.BytesIO(data))
    assert list(reader) == [(1, b'{"a":1}\r'), (2, b""), (3, b"  "), (4, b"last without newline")]
    assert reader.offset == len(data)
    assert reader.digest() == hashlib.sha256(data).hexdigest()


def test_a_line_longer_than_the_limit_is_skipped_unread_and_the_next_ones_kept():
    data = b"short\n" + b"x" * 50 + b"\nafter\n" + b"y" * 10 + b"\n"
    lines = list(LineReader(io.BytesIO(data), max_bytes=10))
    assert lines == [(1, b"short"), (2, None), (3, b"after"), (4, b"y" * 10)]


def test_chunks_carry_the_offset_and_hash_of_the_input_read_so_far():
    data = b"".join(b"line %d\n" % i for i in range(10))
    chunks = list(LineReader(io.BytesIO(data)).chunks(4))
    assert [len(c.lines) for c in chunks] == [4, 4, 2]
    assert chunks[1].end_offset == data.index(b"line 8")
    assert chunks[1].digest == hashlib.sha256(data[:chunks[1].end_offset]).hexdigest()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), min_size=1, max_size=40),
       st.booleans(), st.integers(min_value=1, max_value=7))
def test_partitions_cover_the_file_with_the_lines_of_a_plain_read(tmp_path_factory, lines, final_newline, size):
    path = tmp_path_factory.mktemp("plan") / "in.jsonl"
    data = b"\n".join(lines) + (b"\n" if final_newline else b"")
    path.write_bytes(data)
    whole = list(LineReader(io.BytesIO(data)))
    parts = plan(path, size)
    if not data:
        assert parts == [] and whole == []
        return
    assert parts[0].start == 0 and parts[-1].end == len(data)
    assert all(a.end == b.start and a.first_line + a.lines == b.first_line for a, b in zip(parts, parts[1:], strict=False))
    assert [line for p in parts for line in read_lines(path, p)] == whole
    assert all(p.lines == len(list(read_lines(path, p))) for p in parts)


def _decision_lines(n: int) -> bytes:
    return b"".join(dumps({"case_id": f"c{i}", "line": i, "status": "ok"}).encode() + b"\n" for i in range(1, n + 1))


@pytest.mark.parametrize("tail", [b'{"case_id":"c6","li', b"\x00\x00\x00\x00", b'{"case_id":"c9","line":9}\n'])
def test_recovery_keeps_the_complete_lines_in_sequence_and_cuts_the_rest(tail):
    good = _decision_lines(5)
    stream = io.BytesIO(good + tail)
    seen = []
    kept = recover_output(stream, PlainLines(), 0, 0, lambda n, d: seen.append((n, d["case_id"])))
    assert (kept.lines, kept.offset) == (5, len(good))
    assert stream.getvalue() == good
    assert seen == [(i, f"c{i}") for i in range(1, 6)]
    assert json.loads(kept.last_line or b"")["line"] == 5


def test_recovery_from_a_checkpoint_reads_only_the_lines_after_it():
    good = _decision_lines(6)
    checkpoint = good.index(b'{"case_id":"c4"')
    stream = io.BytesIO(good)
    assert usable_checkpoint(stream, checkpoint) and not usable_checkpoint(stream, checkpoint + 1)
    assert not usable_checkpoint(stream, len(good) + 10)
    seen: list[int] = []
    kept = recover_output(stream, PlainLines(), 3, checkpoint, lambda n, d: seen.append(n))
    assert seen == [4, 5, 6] and kept.lines == 6
    nothing_after = recover_output(io.BytesIO(good), PlainLines(), 6, len(good), lambda n, d: None)
    assert json.loads(nothing_after.last_line or b"")["line"] == 6


class _FailingEngine:
    """An engine whose rules fail on every case (as EngineError does on a rule fault)."""
    rules_version = "sha256:test"

    def evaluate(self, raw, as_of=None, today=None):
        raise EngineError("enterprise.loan_interest (loan_interest.toml): no row in force on 2019-01-01")


def test_a_line_the_engine_cannot_decide_is_an_error_decision_naming_it():
    line, tally = evaluate_line(_FailingEngine(), b'{"case_id": "c-17", "persons": []}', 17, None, date(2025, 1, 1))  # type: ignore[arg-type]
    decision = json.loads(line)
    assert (decision["line"], decision["case_id"], decision["status"]) == (17, "c-17", "error")
    assert decision["errors"][0]["code"] == "engine_error" and "loan_interest" in decision["errors"][0]["message"]
    assert decision["rules_version"] == "sha256:test" and decision["payouts"] == []
    assert tally == ("error", ())


def test_empty_and_too_long_lines_are_invalid_decisions(engine):
    empty = json.loads(evaluate_line(engine, b"  \r", 3, None, date(2025, 1, 1))[0])
    too_long = json.loads(evaluate_line(engine, None, 4, None, date(2025, 1, 1))[0])
    assert (empty["status"], empty["errors"][0]["code"], empty["line"]) == ("invalid", "empty_line", 3)
    assert (too_long["status"], too_long["errors"][0]["code"], too_long["line"]) == ("invalid", "line_too_long", 4)
    assert str(MAX_LINE_BYTES) in too_long["errors"][0]["message"]


def test_chunks_end_early_when_their_lines_reach_the_byte_bound():
    data = b"".join(b"%d" % i + b"x" * 99 + b"\n" for i in range(10))  # about 100 bytes a line
    chunks = list(LineReader(io.BytesIO(data)).chunks(8, max_bytes=250))
    assert [len(c.lines) for c in chunks] == [3, 3, 3, 1]
    assert [n for c in chunks for n, _ in c.lines] == list(range(1, 11))
