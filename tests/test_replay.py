"""Replay: a clean batch reproduces; every kind of tampering is found and named; other
rules show their impact; an old bundle reproduces its records exactly."""
import json
import shutil
from pathlib import Path

import pytest
from casegen import generate
from click.testing import CliRunner
from conftest import CASES, ROOT
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from xisai.cli.main import main
from xisai.engine import integrity as k
from xisai.engine.canonical import dumps, parse
from xisai.engine.evaluate import Engine
from xisai.engine.record_writer import record_cases
from xisai.engine.records import RecordChain, record_body
from xisai.engine.replay import (
    DIFFERS,
    EXIT_DIFFERS,
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_TAMPERED,
    NO_BUNDLE,
    REPRODUCED,
    Options,
    replay,
)
from xisai.engine.seal import new_key_pair, read_seal, seal_path, write_seal

AWARDS = {"case_id": "awards", "as_of": "2025-06-30", "enterprises": [{
    "id": "E1", "registered_in_district": True, "ownership": "private",
    "quality_awards": [{"level": "provincial", "awarded_on": "2023-05-01"}, {"level": "provincial", "awarded_on": "2023-08-01"},
                       {"level": "municipal", "awarded_on": "2024-01-01"}]}]}


def batch_lines() -> list[bytes]:
    lines = [p.read_bytes().replace(b"\n", b" ") for p in sorted(CASES.glob("*.json"))]
    lines += [json.dumps(generate(s)).encode() for s in range(6)]
    return lines + [b"not a case", json.dumps(AWARDS).encode()]


N = len(batch_lines())


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> tuple[Path, Path]:
    return new_key_pair(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def made(tmp_path_factory, keys) -> Path:
    """A signed record file of N decisions, its seal and bundle beside it."""
    from xisai.engine.seal import load_private_key
    out = tmp_path_factory.mktemp("made") / "decisions.jsonl"
    record_cases(Engine(), batch_lines(), out, key=load_private_key(keys[0]))
    return out


def copy(made: Path, tmp_path: Path) -> Path:
    for p in made.parent.iterdir():
        shutil.copy(p, tmp_path / p.name)
    return tmp_path / made.name


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def put(path: Path, rows: list[bytes]) -> None:
    path.write_bytes(b"".join(rows))


def kinds(report) -> list[tuple[str, int | None]]:
    return [(f.kind, f.seq) for f in report.findings]


def test_a_batch_replays_clean(made, keys):
    from xisai.engine.seal import load_public_key
    report = replay(made, Options(trusted_key=load_public_key(keys[1])))
    assert report.counts == {REPRODUCED: N}
    assert report.findings == [] and report.seal["signature"] == "valid"
    assert report.exit_code == EXIT_OK


def test_workers_give_the_same_report(made):
    one = replay(made, Options()).to_dict()  # in this process
    two = replay(made, Options(workers=2, chunk_bytes=20_000)).to_dict()
    assert one == two


def test_an_edited_amount_is_named_with_its_record_and_the_money(made, tmp_path):
    path = copy(made, tmp_path)
    rows = lines(path)
    seq = next(i for i, r in enumerate(rows, 1) if b'"amount":"500000.00"' in r)
    rows[seq - 1] = rows[seq - 1].replace(b'"amount":"500000.00"', b'"amount":"900000.00"', 1)
    put(path, rows)
    report = replay(path, Options())
    assert kinds(report) == [(k.EDITED, seq)]
    assert report.findings[0].detail["parts"] == ["decision"]
    (record,) = report.records
    assert record.status == DIFFERS and record.entry.seq == seq
    assert any(line["amount"] == ["900000.00", "500000.00"] for line in record.diff["lines"])
    assert report.exit_code == EXIT_TAMPERED


def test_an_edited_input_field_is_named(made, tmp_path):
    path = copy(made, tmp_path)
    rows = lines(path)
    rows[-1] = rows[-1].replace(b'"awarded_on":"2023-08-01"', b'"awarded_on":"2023-08-02"', 1)
    put(path, rows)
    report = replay(path, Options())
    assert kinds(report) == [(k.EDITED, N)] and report.findings[0].detail["parts"] == ["case"]
    assert report.exit_code == EXIT_TAMPERED


def test_a_deleted_record_is_named(made, tmp_path):
    path = copy(made, tmp_path)
    rows = lines(path)
    del rows[9]
    put(path, rows)
    report = replay(path, Options())
    assert kinds(report) == [(k.DELETED, 10)]
    assert report.findings[0].detail == {"first_seq": 10, "last_seq": 10, "count": 1, "after_line": 9}
    assert report.counts == {REPRODUCED: N - 1}


def test_an_inserted_record_is_named_even_with_a_valid_hash_and_link(made, tmp_path, engine):
    path = copy(made, tmp_path)
    rows = lines(path)
    prev = parse(rows[3])  # a forged record that claims to be seq 5, linked to seq 4
    raw = json.dumps(generate(99)).encode()
    forged = RecordChain(4, prev["record_hash"]).next(record_body(raw, engine.evaluate(raw).to_dict(), line=5))
    rows.insert(4, forged.encode() + b"\n")
    put(path, rows)
    report = replay(path, Options())
    assert kinds(report) == [(k.INSERTED, 5)] and report.findings[0].pos == 5


def test_two_swapped_records_are_named(made, tmp_path):
    path = copy(made, tmp_path)
    rows = lines(path)
    rows[2], rows[3] = rows[3], rows[2]
    put(path, rows)
    report = replay(path, Options())
    assert kinds(report) == [(k.REORDERED, 4)]
    assert report.findings[0].pos == 3 and report.findings[0].detail == {"before_seq": 3, "before_line": 4}


def test_a_truncated_file_is_named(made, tmp_path):
    path = copy(made, tmp_path)
    put(path, lines(path)[:-2])
    report = replay(path, Options())
    assert kinds(report) == [(k.TRUNCATED, N - 1)]
    assert report.findings[0].detail == {"first_seq": N - 1, "last_seq": N, "count": 2}


def test_a_half_written_last_line_is_named(made, tmp_path):
    path = copy(made, tmp_path)
    rows = lines(path)
    put(path, rows[:-1] + [rows[-1][:100]])
    report = replay(path, Options())
    assert (k.TRUNCATED, None) in kinds(report) and (k.TRUNCATED, N) in kinds(report)
    assert any(f.detail.get("half_written") for f in report.findings)


def test_a_duplicated_and_a_replaced_record_are_named(made, tmp_path):
    path = copy(made, tmp_path)
    rows = lines(path)
    rows.insert(7, rows[6])
    record = parse(rows[12])
    record["decision"]["totals"]["cash"] = "1.00"
    del record["record_hash"]
    text = dumps(record)
    from xisai.engine.canonical import sha256_hex
    record["record_hash"] = sha256_hex(text.encode())
    rows[12] = dumps(record).encode() + b"\n"
    put(path, rows)
    report = replay(path, Options())
    assert kinds(report) == [(k.DUPLICATED, 7), (k.REPLACED, 12)]
    assert report.findings[0].detail == {"copy_of_seq": 7}


def test_a_line_that_is_not_a_record_is_named(made, tmp_path):
    path = copy(made, tmp_path)
    rows = lines(path)
    rows.insert(2, b'{"hello": 1}\n')
    put(path, rows)
    assert kinds(replay(path, Options())) == [(k.UNREADABLE, None)]


def test_an_edited_seal_is_named(made, tmp_path):
    path = copy(made, tmp_path)
    document = read_seal(seal_path(path))
    document["seal"]["count"] = N - 1
    del document["signature"]
    write_seal(seal_path(path), document["seal"])
    assert kinds(replay(path, Options())) == [(k.SEAL_MISMATCH, N)]
    document["seal"]["count"] = N
    document["seal"]["last_hash"] = "sha256:" + "1" * 64
    write_seal(seal_path(path), document["seal"])
    assert kinds(replay(path, Options())) == [(k.SEAL_MISMATCH, N)]


def test_a_wrong_signature_is_named(made, tmp_path, keys):
    from xisai.engine.seal import load_public_key
    path = copy(made, tmp_path)
    seal_file = seal_path(path)
    document = json.loads(seal_file.read_text())
    document["seal"]["rules_versions"].append("sha256:" + "2" * 64)  # edited after signing
    seal_file.write_text(json.dumps(document))
    report = replay(path, Options())
    assert kinds(report) == [(k.BAD_SIGNATURE, None)] and report.exit_code == EXIT_TAMPERED
    other = Ed25519PrivateKey.generate()  # rewritten whole and signed by someone else
    write_seal(seal_file, read_seal(seal_file)["seal"], other)
    report = replay(path, Options(trusted_key=load_public_key(keys[1])))
    assert kinds(report) == [(k.WRONG_KEY, None)]
    write_seal(seal_file, read_seal(seal_file)["seal"])  # signature removed
    assert kinds(replay(path, Options(trusted_key=load_public_key(keys[1])))) == [(k.UNSIGNED, None)]


def test_no_seal_is_not_a_clean_replay(made, tmp_path):
    path = copy(made, tmp_path)
    seal_path(path).unlink()
    report = replay(path, Options())
    assert kinds(report) == [(k.SEAL_MISSING, None)] and report.exit_code == EXIT_INCOMPLETE


def test_a_changed_parameter_shows_as_impact_with_the_money_moved(made, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    award = rules / "programs" / "brand.quality_award.toml"
    award.write_text(award.read_text(encoding="utf-8").replace('provincial = "300000"', 'provincial = "350000"'), encoding="utf-8")
    report = replay(made, Options(rules=str(rules)))
    # Two provincial awards in 2023 in the awards case; no other case has one in the window.
    assert report.to_dict()["impact"]["moved"] == [{"program": "brand.quality_award", "year": 2023, "amount": "100000.00"}]
    changed = [r for r in report.records if r.status == DIFFERS]
    assert [r.case_id for r in changed] == ["awards"]
    assert changed[0].diff["lines"] == [{"program": "brand.quality_award", "beneficiary": "E1", "year": 2023, "kind": "cash",
                                         "basis": ["exact", "exact"], "amount": ["600000.00", "700000.00"]}]
    assert report.findings == [] and report.exit_code == EXIT_DIFFERS


def test_records_made_under_old_rules_reproduce_with_their_bundle(tmp_path):
    rules = tmp_path / "old-rules"
    shutil.copytree(ROOT / "rules", rules)
    award = rules / "programs" / "brand.quality_award.toml"
    award.write_text(award.read_text(encoding="utf-8").replace('provincial = "300000"', 'provincial = "350000"'), encoding="utf-8")
    out = tmp_path / "run" / "old.jsonl"
    out.parent.mkdir()
    record_cases(Engine(rules), [json.dumps(AWARDS).encode(), json.dumps(generate(3)).encode()], out, rules_dir=rules)
    shutil.rmtree(rules)  # only the bundle beside the records is left
    report = replay(out, Options())
    assert report.counts == {REPRODUCED: 2} and report.findings == [] and report.exit_code == EXIT_OK
    bundle = next(out.parent.glob("xisai-rules-*.tar"))
    assert replay(out, Options(rules=str(bundle))).exit_code == EXIT_OK  # --rules BUNDLE: the same rules
    now = replay(out, Options(rules="current"))
    assert now.to_dict()["impact"]["moved"] == [{"program": "brand.quality_award", "year": 2023, "amount": "-100000.00"}]
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    bundle.rename(moved / bundle.name)
    missing = replay(out, Options())
    assert missing.counts == {NO_BUNDLE: 2} and missing.exit_code == EXIT_INCOMPLETE
    assert replay(out, Options(bundle_dirs=[moved])).exit_code == EXIT_OK


def test_check_record_and_replay_on_the_command_line(tmp_path, keys):
    runner = CliRunner()
    record = tmp_path / "one.jsonl"
    result = runner.invoke(main, ["check", str(CASES / "11-brand-awards.json"), "--brief", "--record", str(record),
                                  "--sign", str(keys[0])])
    assert result.exit_code == 0, result.output
    assert len(lines(record)) == 1 and seal_path(record).is_file()
    result = runner.invoke(main, ["replay", str(record), "--verify-key", str(keys[1]), "--json", "--workers", "1"])
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.output)
    assert data["counts"] == {"reproduced": 1} and data["seal"]["signature"] == "valid"
    put(record, [lines(record)[0].replace(b'"2023-09-09"', b'"2023-09-10"', 1)])
    result = runner.invoke(main, ["replay", str(record), "--lang", "en", "--workers", "1"])
    assert result.exit_code == EXIT_TAMPERED
    assert "record seq 1 (line 1) was edited (the case): it no longer matches its hash" in result.output


def test_a_case_that_kills_its_worker_is_reported_and_the_rest_replays(made, monkeypatch):
    from xisai.engine.batch.worker import CRASH_ENV
    monkeypatch.setenv(CRASH_ENV, AWARDS["case_id"])  # read by the spawned workers: they abort on that case
    report = replay(made, Options(workers=2, chunk_bytes=20_000))
    assert report.counts == {REPRODUCED: N - 1, "failed": 1}, [(r.entry.seq, r.error) for r in report.records]
    (failed,) = report.records
    assert failed.entry.seq == N and failed.error == "the line killed its worker process"
    assert report.findings == [] and report.exit_code == EXIT_DIFFERS


def test_a_chunk_cancelled_with_its_pool_is_replayed_again():
    from concurrent.futures import Future

    from xisai.engine.replay_line import intact
    from xisai.engine.replay_pool import _Pool
    pool = _Pool(1)
    assert pool.ctx.get_start_method() == "spawn"
    try:
        raw = lines_made_once()[0]
        cancelled: Future = Future()
        cancelled.cancel()  # what shutdown(cancel_futures=True) leaves to a chunk still queued
        results = pool.result(([(1, raw, intact(raw))], {}), (pool.executor, cancelled), None)
        assert [(r.entry.pos, r.status) for r in results] == [(1, NO_BUNDLE)]
    finally:
        pool.close()


def lines_made_once() -> list[bytes]:
    raw = b'{"case_id": "c"}'
    body = record_body(raw, Engine().evaluate(raw).to_dict(), line=1)
    return [RecordChain().next(body).encode() + b"\n"]


def test_keys_new_on_the_command_line(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["keys", "new", "--out", str(tmp_path / "k"), "--lang", "en"])
    assert result.exit_code == 0 and "xisai-ed25519.key" in result.output
    again = runner.invoke(main, ["keys", "new", "--out", str(tmp_path / "k")])
    assert again.exit_code == 1 and "never overwritten" in again.output


# --- hostile record files and seals --------------------------------------------------------

@pytest.fixture
def alarm():
    """A hang is a failure: the replay is interrupted after a generous minute."""
    import signal

    def hung(signum, frame):
        raise TimeoutError("the replay did not finish")
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def rehashed(row: bytes, **fields) -> bytes:
    from xisai.engine.records import recomputed_hash
    record = parse(row)
    record.update(fields)
    record["record_hash"] = recomputed_hash(record)
    return dumps(record).encode() + b"\n"


def test_a_huge_seq_in_a_record_or_the_seal_is_one_range(made, tmp_path, alarm):
    path = copy(made, tmp_path)
    rows = lines(path)
    put(path, rows + [rehashed(rows[2], seq=10**12, prev_hash="sha256:" + "9" * 64)])
    report = replay(path, Options())
    assert report.exit_code == EXIT_TAMPERED
    assert (k.INSERTED, 10**12) in kinds(report)
    seal_path(path).unlink()  # without a seal the walk starts at the highest seq
    report = replay(path, Options())
    assert report.exit_code == EXIT_TAMPERED
    deleted = [f.detail for f in report.findings if f.kind in (k.DELETED, k.TRUNCATED)]
    assert {"first_seq": N + 1, "last_seq": 10**12 - 1, "count": 10**12 - 1 - N} in [
        {x: d[x] for x in ("first_seq", "last_seq", "count")} for d in deleted]
    put(path, rows)
    document = read_seal(seal_path(made))
    document["seal"]["count"] = 10**12
    write_seal(seal_path(path), document["seal"])
    report = replay(path, Options())
    assert report.exit_code == EXIT_TAMPERED
    assert kinds(report) == [(k.SEAL_MISMATCH, N)]  # the last hash names record N, not 10**12


@pytest.mark.parametrize("field,value", [("last_hash", ["x"]), ("rules_versions", 3), ("count", "5"), ("count", True),
                                         ("bundles", []), ("engine_versions", [1]), ("seal_format", "9")])
def test_a_seal_field_of_the_wrong_type_is_a_seal_mismatch(made, tmp_path, field, value):
    path = copy(made, tmp_path)
    document = json.loads(seal_path(path).read_text())
    document["seal"][field] = value
    seal_path(path).write_text(json.dumps(document))
    report = replay(path, Options())
    assert report.exit_code == EXIT_TAMPERED and report.seal["status"] == "unreadable"
    assert (k.SEAL_MISMATCH, None) in kinds(report)


@pytest.mark.parametrize("text", ['"count": NaN', '"count": Infinity', '"signature": "x"', '"seal": [1]'])
def test_a_seal_with_no_json_form_or_a_bad_signature_member_is_a_seal_mismatch(made, tmp_path, text):
    path = copy(made, tmp_path)
    document = json.loads(seal_path(path).read_text())
    key, _, value = text.partition(": ")
    if key == '"signature"' or key == '"seal"':
        document[key.strip('"')] = "@@"
        raw = json.dumps(document).replace('"@@"', value)
    else:
        document["seal"]["count"] = "@@"
        raw = json.dumps(document).replace('"@@"', value)
    seal_path(path).write_text(raw)
    result = CliRunner().invoke(main, ["replay", str(path), "--json", "--workers", "1"])
    assert result.exit_code == EXIT_TAMPERED, result.output
    assert json.loads(result.output)["seal"]["status"] == "unreadable"


def test_a_reworded_error_message_still_reproduces(engine, tmp_path):
    from xisai.engine.canonical import sha256_hex
    from xisai.engine.records import recomputed_hash
    path = tmp_path / "invalid.jsonl"
    record_cases(engine, [b"not a case"], path, bundle_dir=tmp_path)
    record = parse(path.read_bytes())
    record["decision"]["errors"][0]["message"] = "An older sentence for the same error."  # the catalogs of the time
    record["decision_sha256"] = sha256_hex(dumps(record["decision"]).encode())
    record["record_hash"] = recomputed_hash(record)
    path.write_bytes(dumps(record).encode() + b"\n")
    document = read_seal(seal_path(path))
    document["seal"]["last_hash"] = record["record_hash"]
    write_seal(seal_path(path), document["seal"])
    report = replay(path, Options())
    assert report.counts == {REPRODUCED: 1} and report.findings == [] and report.exit_code == EXIT_OK


def test_a_rules_version_that_is_not_one_is_never_searched_for(made, tmp_path):
    path = copy(made, tmp_path)
    rows = lines(path)
    rows[-1] = rehashed(rows[-1], rules_version="sha256:*")
    put(path, rows)
    document = read_seal(seal_path(path))
    document["seal"]["last_hash"] = parse(rows[-1])["record_hash"]
    document["seal"]["rules_versions"].append("sha256:*")
    write_seal(seal_path(path), document["seal"])
    report = replay(path, Options())
    assert report.counts[NO_BUNDLE] == 1 and report.exit_code == EXIT_INCOMPLETE
    assert report.rules["versions"]["sha256:*"] == {"source": "missing", "searched": [], "refused": ["not a rules_version"]}


def test_an_empty_records_file_without_a_seal_is_not_a_clean_replay(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    report = replay(path, Options())
    assert kinds(report) == [(k.SEAL_MISSING, None)] and report.exit_code == EXIT_INCOMPLETE
    assert k.analyse([], None) == [k.Finding(k.SEAL_MISSING)]


def test_a_file_with_no_record_and_no_seal_is_not_called_tampered(tmp_path):
    """A case file or bare decisions handed to replay: one plain sentence, exit 1."""
    from click.testing import CliRunner

    from xisai.cli.main import main
    cases = tmp_path / "intake.jsonl"
    cases.write_text('{"case_id": "a"}\n{"case_id": "b"}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["replay", str(cases), "--lang", "en"])
    assert result.exit_code == 1 and "holds no decision record" in result.output
    assert "tampered" not in result.output


def test_an_overlong_line_is_read_past_not_into_memory(tmp_path, monkeypatch):
    """A record line longer than any record can be is skipped a block at a time and
    stands as a line that holds no record; the byte count still covers the file."""
    import xisai.engine.replay as replay_module
    monkeypatch.setattr(replay_module, "MAX_RECORD_LINE", 100)
    path = tmp_path / "long.jsonl"
    path.write_bytes(b"a" * 10 + b"\n" + b"b" * 5000 + b"\n" + b"c" * 5 + b"\n" + b"d" * 3000)
    (items, done), = list(replay_module._chunks(path, 10**6))
    assert items == [(1, b"a" * 10 + b"\n"), (2, b"\n"), (3, b"ccccc\n"), (4, b"\n")]
    assert done == path.stat().st_size
