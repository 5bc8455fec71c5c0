"""`xisai batch --records`: each output line a record of the chain, sealed and signed,
the rules bundle beside it; the same bytes as the reference writer, after --resume
too; and a batch replays clean."""
from __future__ import annotations

import json
import subprocess

import pytest
from batch_support import BAD_LINES, TOTAL, standard_input, xisai

from xisai.engine.batch.errors import BatchError
from xisai.engine.batch.records_line import crashed_record
from xisai.engine.batch.runner import BatchOptions, run_batch
from xisai.engine.bundles import bundle_name
from xisai.engine.evaluate import Engine
from xisai.engine.record_writer import record_cases
from xisai.engine.replay import EXIT_OK, REPRODUCED, Options, replay
from xisai.engine.seal import load_private_key, load_public_key, new_key_pair, read_seal, seal_path


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = tmp_path_factory.mktemp("in") / "cases.jsonl"
    return path, standard_input(path)


def test_batch_records_are_the_reference_writers_bytes_with_two_workers(source, tmp_path):
    path, lines = source
    out = tmp_path / "batch" / "records.jsonl"
    out.parent.mkdir()
    run_batch(BatchOptions(str(path), str(out), workers=2, chunk_lines=8, records=True))
    reference = tmp_path / "reference.jsonl"
    record_cases(Engine(), lines, reference, bundle_dir=tmp_path)
    assert out.read_bytes() == reference.read_bytes()
    assert read_seal(seal_path(out)) == read_seal(seal_path(reference))
    records = [json.loads(x) for x in out.read_bytes().splitlines()]
    assert [r["seq"] for r in records] == [r["line"] for r in records] == list(range(1, TOTAL + 1))
    assert records[9]["decision"]["errors"][0]["code"] == "empty_line" and records[9]["case_text"] == ""
    assert records[8]["case_text"] == BAD_LINES[9].decode()
    assert (out.parent / bundle_name(records[0]["rules_version"])).is_file()


def test_a_resumed_records_run_continues_the_chain_and_is_sealed_once_whole(source, tmp_path):
    path, _ = source
    whole, cut = tmp_path / "whole.jsonl", tmp_path / "cut.jsonl"
    run_batch(BatchOptions(str(path), str(whole), workers=1, chunk_lines=16, records=True))
    data = whole.read_bytes()
    # an interrupted run: its run record, 40 complete lines and half of the 41st, no seal
    cut.with_name("cut.jsonl.run.json").write_bytes(whole.with_name("whole.jsonl.run.json").read_bytes())
    rows = data.splitlines(keepends=True)
    cut.write_bytes(b"".join(rows[:40]) + rows[40][:100])
    outcome = run_batch(BatchOptions(str(path), str(cut), workers=1, resume=True, records=True))
    assert (outcome.resumed_from, outcome.lines) == (40, TOTAL)
    assert cut.read_bytes() == data
    assert read_seal(seal_path(cut)) == read_seal(seal_path(whole))
    with pytest.raises(BatchError, match="transform"):  # a plain resume of a records run is refused
        run_batch(BatchOptions(str(path), str(cut), workers=1, resume=True))


def test_records_need_an_output_file(source):
    with pytest.raises(BatchError, match="output file"):
        run_batch(BatchOptions(str(source[0]), "-", records=True))


def test_a_signed_batch_replays_clean_on_the_command_line(source, tmp_path):
    private, public = new_key_pair(tmp_path / "keys")
    out = tmp_path / "signed.jsonl"
    done = subprocess.run([*xisai(), "batch", str(source[0]), "-o", str(out), "--sign", str(private), "--workers", "2",
                           "--quiet"], capture_output=True)
    assert done.returncode == 2, done.stderr  # the standard input has invalid lines on purpose
    document = read_seal(seal_path(out))
    assert document["seal"]["count"] == TOTAL and document["signature"]["algorithm"] == "ed25519"
    report = replay(out, Options(trusted_key=load_public_key(public), workers=2))
    assert report.counts == {REPRODUCED: TOTAL} and report.findings == [] and report.exit_code == EXIT_OK
    assert load_private_key(private)  # the key file stays readable


def test_a_batch_into_a_file_writes_records_by_default_and_replays_clean(source, tmp_path):
    """Every decision batch writes into a file is a record (issue 8); standard output,
    which has nowhere to keep a seal, gets the bare decisions."""
    path, _ = source
    out = tmp_path / "default.jsonl"
    done = subprocess.run(xisai() + ["batch", str(path), "-o", str(out), "--workers", "2"], capture_output=True, check=False)
    assert done.returncode == 2, done.stderr.decode()  # some lines are invalid
    records = [json.loads(x) for x in out.read_bytes().splitlines()]
    assert len(records) == TOTAL and all("record_hash" in r and "decision" in r for r in records)
    assert read_seal(seal_path(out))["seal"]["count"] == TOTAL
    replayed = subprocess.run(xisai() + ["replay", str(out), "--json"], capture_output=True, check=False)
    assert replayed.returncode == 0, replayed.stderr.decode()[-500:]
    piped = subprocess.run(xisai() + ["batch", str(path), "-o", "-", "--workers", "1"], capture_output=True, check=False)
    assert "record_hash" not in piped.stdout.splitlines()[0].decode()


def test_a_nan_literal_is_recorded_as_it_came_and_the_batch_goes_on(tmp_path):
    source = tmp_path / "nan.jsonl"
    source.write_bytes(b'{"case_id": "n", "enterprises": NaN}\n{"case_id": "i", "x": [Infinity, -Infinity]}\n')
    out = tmp_path / "nan-records.jsonl"
    outcome = run_batch(BatchOptions(str(source), str(out), workers=1, records=True))
    assert outcome.lines == 2
    records = [json.loads(x) for x in out.read_bytes().splitlines()]
    assert [r["case_text"] for r in records] == [x.decode() for x in source.read_bytes().splitlines()]
    assert [r["decision"]["status"] for r in records] == ["invalid", "invalid"]
    assert replay(out, Options()).counts == {REPRODUCED: 2}


def test_the_record_of_a_line_that_killed_its_worker_keeps_the_line_as_it_came():
    body, tally = crashed_record("sha256:" + "1" * 64, b'{"case_id": "n", "x": NaN}', 3, "signal 6")
    record = json.loads(body)
    assert record["case_text"] == '{"case_id": "n", "x": NaN}' and tally[0] == "error"
    assert record["decision"]["errors"][0]["code"] == "worker_crash" and record["decision"]["case_id"] == "n"


def test_a_run_over_a_sealed_output_takes_the_old_seal_away(source, tmp_path):
    path, _ = source
    out = tmp_path / "again.jsonl"
    run_batch(BatchOptions(str(path), str(out), workers=1, chunk_lines=32, records=True))
    assert seal_path(out).is_file()
    run_batch(BatchOptions(str(path), str(out), workers=1, chunk_lines=32))  # --decisions-only
    assert not seal_path(out).exists()
    seal_path(out).write_text("{}")  # a stale seal: a resumed plain run takes it away too
    run_batch(BatchOptions(str(path), str(out), workers=1, resume=True))
    assert not seal_path(out).exists()


def test_seals_bundles_and_run_records_are_fsynced_before_they_replace_a_file(tmp_path, monkeypatch):
    import os

    from xisai.engine import atomic_file
    from xisai.engine.batch.sidecar import RunRecord
    from xisai.engine.bundles import export_bundle
    from xisai.engine.records import RecordChain
    from xisai.engine.seal import make_seal, write_seal
    synced: list[str] = []
    real = os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}") if os.path.exists(f"/proc/self/fd/{fd}") else str(fd))
        real(fd)
    monkeypatch.setattr(atomic_file.os, "fsync", fsync)
    write_seal(tmp_path / "x.jsonl.seal.json", make_seal(RecordChain()))
    exported = export_bundle(tmp_path / "b")
    RunRecord("r", "2025-01-01", None, "plain", 1, "-", None, "0", "now").save(tmp_path / "x.run.json")
    for name in ("x.jsonl.seal.json.tmp", exported.path.name + ".tmp", "x.run.json.tmp"):
        assert any(s.endswith(name) for s in synced), (name, synced)


def test_a_line_that_is_not_a_record_after_the_checkpoint_is_cut_on_resume(source, tmp_path):
    path, _ = source
    whole, cut = tmp_path / "whole.jsonl", tmp_path / "cut.jsonl"
    run_batch(BatchOptions(str(path), str(whole), workers=1, chunk_lines=16, records=True))
    cut.with_name("cut.jsonl.run.json").write_bytes(whole.with_name("whole.jsonl.run.json").read_bytes())
    rows = whole.read_bytes().splitlines(keepends=True)
    cut.write_bytes(b"".join(rows[:40]) + b'{"decision": 1}\n' + b"[1]\n")
    outcome = run_batch(BatchOptions(str(path), str(cut), workers=1, resume=True, records=True))
    assert (outcome.resumed_from, outcome.lines) == (40, TOTAL)
    assert cut.read_bytes() == whole.read_bytes()


def test_a_record_transform_refuses_to_continue_after_a_line_that_is_not_a_record():
    from xisai.engine.records import RecordTransform
    for line in (b'{"decision": 1}', b"[1]", b'{"seq": "x", "record_hash": 1}'):
        with pytest.raises(ValueError):
            RecordTransform().unwrap(line)
        with pytest.raises(ValueError):
            RecordTransform().recover(line)
