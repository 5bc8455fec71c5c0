"""A stateful line transform (a hash chain, as signed records will need) plugs into
the batch writer, and --resume rebuilds its state from the last complete line."""
from __future__ import annotations

import hashlib
import json

import pytest
from batch_support import standard_input

from xisai.engine.batch.errors import BatchError
from xisai.engine.batch.runner import BatchOptions, run_batch

GENESIS = "0" * 64
HEAD, MIDDLE = b'{"prev":"', b'","decision":'


class ChainedLines:
    """Each output line names the SHA-256 of the line before it."""
    name = "test-chain"

    def __init__(self) -> None:
        self.prev = GENESIS

    def apply(self, line: bytes) -> bytes:
        out = HEAD + self.prev.encode() + MIDDLE + line + b"}"
        self.prev = hashlib.sha256(out).hexdigest()
        return out

    def recover(self, last_line: bytes | None) -> None:
        self.prev = hashlib.sha256(last_line).hexdigest() if last_line else GENESIS

    def unwrap(self, line: bytes) -> bytes:
        return line[len(HEAD) + 64 + len(MIDDLE):-1]


def chain_is_whole(data: bytes) -> bool:
    prev = GENESIS
    for line in data.splitlines():
        if json.loads(line)["prev"] != prev:
            return False
        prev = hashlib.sha256(line).hexdigest()
    return True


def test_a_resumed_run_continues_the_chain_from_the_last_complete_line(tmp_path):
    source = tmp_path / "cases.jsonl"
    standard_input(source)
    whole, cut = tmp_path / "whole.jsonl", tmp_path / "cut.jsonl"
    run_batch(BatchOptions(str(source), str(whole), workers=1, chunk_lines=16), transform=ChainedLines())
    data = whole.read_bytes()
    assert chain_is_whole(data) and [json.loads(x)["decision"]["line"] for x in data.splitlines()][-1] == 72
    # an interrupted run: its record, 40 complete lines and half of the 41st
    cut.with_name("cut.jsonl.run.json").write_bytes(whole.with_name("whole.jsonl.run.json").read_bytes())
    lines = data.splitlines(keepends=True)
    cut.write_bytes(b"".join(lines[:40]) + lines[40][:100])
    outcome = run_batch(BatchOptions(str(source), str(cut), workers=1, resume=True), transform=ChainedLines())
    assert (outcome.resumed_from, outcome.lines) == (40, 72)
    assert cut.read_bytes() == data
    with pytest.raises(BatchError, match="transform"):
        run_batch(BatchOptions(str(source), str(cut), workers=1, resume=True))
