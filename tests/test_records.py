"""Records: canonical JSON, the case as received, chained record lines, resuming a
chain, seals, signatures and key files."""
import json
import stat
from decimal import Decimal
from pathlib import Path

import pytest
from casegen import generate
from conftest import CASES
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from xisai.engine.canonical import dumps, dumps_fast, dumps_native, parse
from xisai.engine.record_writer import record_cases
from xisai.engine.records import (
    GENESIS,
    RecordChain,
    RecordTransform,
    body_text,
    case_part,
    line_hash,
    record_body,
)
from xisai.engine.seal import (
    PRIVATE_NAME,
    PUBLIC_NAME,
    check_signature,
    load_private_key,
    load_public_key,
    make_seal,
    new_key_pair,
    seal_path,
    write_seal,
)


def lines_of_cases(n_generated: int = 6) -> list[bytes]:
    out = [p.read_bytes().replace(b"\n", b" ") for p in sorted(CASES.glob("*.json"))[:6]]
    out += [json.dumps(generate(s)).encode() for s in range(n_generated)]
    return out


# --- canonical JSON ------------------------------------------------------------------

def test_canonical_json_sorts_keys_drops_spaces_and_keeps_decimal_digits():
    value = parse('{"b": [1, 1.50, 0.1, 1e5, -0.0], "a": "\u897f\\n\\"", "c": {"z": null, "y": true}}')
    assert dumps(value) == '{"a":"\u897f\\n\\"","b":[1,1.50,0.1,1E+5,-0.0],"c":{"y":true,"z":null}}'


def test_canonical_json_of_native_values_is_the_c_encoders():
    value = {"z": [1, "x", None, False], "a": {"\u00e9": "\u4e00", "b": "\t"}}
    assert dumps(value) == dumps_native(value) == json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def test_canonical_json_refuses_nan():
    with pytest.raises(ValueError):
        dumps(Decimal("NaN"))


def canonical_text(text: str | bytes) -> str:
    """The canonical text of a JSON text, through the C-encoder path."""
    return dumps_fast(parse(text), may_hold_nul=(b"\\u0000" in text) if isinstance(text, bytes) else ("\\u0000" in text))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.text(max_size=8)
    | st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(lambda d: d.is_finite()),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_canonical_form_reads_back_to_itself(value):
    text = dumps(value)
    assert dumps(parse(text)) == text
    assert canonical_text(text) == canonical_text(text.encode()) == text  # the C-encoder path agrees
    spaced = text.replace(",", " , ").replace(":", " : ") if "\\" not in text and '"' not in text else text
    assert canonical_text(spaced) == text


# --- the case as received ------------------------------------------------------------

def test_a_case_is_recorded_as_the_engine_read_it():
    a = case_part(b'{"case_id": "x",  "as_of": "2024-01-01", "n": 1.0}')
    b = case_part('{"n":1.0,"as_of":"2024-01-01","case_id":"x"}')
    assert a.key == "case" and a.json == '{"as_of":"2024-01-01","case_id":"x","n":1.0}'
    assert a.sha256 == b.sha256
    assert case_part(b'{"n": 1.00}').sha256 != case_part(b'{"n": 1.0}').sha256  # the engine tells them apart


def test_a_line_that_is_not_json_is_recorded_as_it_came():
    text = case_part(b"not json {")
    assert (text.key, json.loads(text.json), text.engine_input()) == ("case_text", "not json {", "not json {")
    raw = b"\xff\xfe{"
    binary = case_part(raw)
    assert binary.key == "case_base64" and binary.engine_input() == raw
    bom = case_part("\ufeff{\"case_id\": \"b\"}".encode())  # json reads bytes with a BOM: a case
    assert bom.key == "case" and bom.json == '{"case_id":"b"}'


def test_what_the_engine_refuses_to_read_is_recorded_as_it_came():
    for raw in (b'{"case_id": "a", "case_id": "b"}', b'{"case_id": "\\ud800"}', b"[" * 100 + b"]" * 100):
        assert case_part(raw).key == "case_text"


def test_replaying_the_recorded_case_gives_the_same_decision(engine):
    for raw in lines_of_cases(3) + [b"{oops", b'{"case_id": 1}', b'{"case_id": "a", "case_id": "b"}', b"\xef\xbb\xbf{}",
                                    b'{"case_id": "\\u0000", "n": 1.50}', b'{"n": ' + b"1" * 120 + b"}"]:
        part = case_part(raw)
        first = engine.evaluate(raw, as_of=None, lang="en").to_dict()
        again = engine.evaluate(part.engine_input(), as_of=None, lang="en").to_dict()
        assert again == first


# --- records and the chain -------------------------------------------------------

def test_a_record_line_is_canonical_and_its_hash_checks(engine):
    raw = lines_of_cases(0)[0]
    body = record_body(raw, engine.evaluate(raw).to_dict(), line=1)
    line = RecordChain().next(body)
    record = parse(line)
    record_hash = record["record_hash"]
    assert dumps(record) == line
    assert list(record) == sorted(record)
    assert record["seq"] == 1 and record["prev_hash"] == GENESIS and record["line"] == 1
    assert line_hash(line.encode()) == (record_hash, record_hash)
    assert line_hash(line.replace('"line":1', '"line":2').encode()) != (record_hash, record_hash)


def test_the_same_cases_give_byte_identical_records_and_seals(engine, tmp_path):
    lines = lines_of_cases()
    record_cases(engine, lines, tmp_path / "a.jsonl", bundle_dir=tmp_path / "bundles")
    record_cases(engine, lines, tmp_path / "b.jsonl", bundle_dir=tmp_path / "bundles")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert seal_path(tmp_path / "a.jsonl").read_bytes() == seal_path(tmp_path / "b.jsonl").read_bytes()
    records = [parse(x) for x in (tmp_path / "a.jsonl").read_bytes().splitlines()]
    assert [r["seq"] for r in records] == list(range(1, len(lines) + 1))
    assert all(r["prev_hash"] == p["record_hash"] for p, r in zip(records, records[1:], strict=False))


def test_records_do_not_depend_on_the_language_asked_for(engine):
    def chain(lang):
        c = RecordChain()
        return [c.next(record_body(raw, engine.evaluate(raw, lang=lang).to_dict(), line=n))
                for n, raw in enumerate(lines_of_cases(2), 1)]
    assert chain("zh_CN") == chain("en")


# --- seals, signatures and keys ------------------------------------------------------

def test_the_seal_counts_the_chain_and_names_the_rules(engine, tmp_path):
    lines = lines_of_cases(2)
    seal = record_cases(engine, lines, tmp_path / "r.jsonl", bundle_dir=tmp_path)["seal"]
    last = parse((tmp_path / "r.jsonl").read_bytes().splitlines()[-1])
    assert seal["count"] == seal["last_seq"] == len(lines)
    assert seal["last_hash"] == last["record_hash"] and seal["genesis"] == GENESIS
    assert seal["rules_versions"] == [engine.rules_version] and list(seal["bundles"]) == [engine.rules_version]


def test_a_signed_seal_verifies_only_unchanged_and_by_its_key(tmp_path):
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    chain = RecordChain(3, "sha256:" + "a" * 64)
    document = write_seal(tmp_path / "s.seal.json", make_seal(chain), key)
    assert check_signature(document, key.public_key()).status == "valid"
    assert check_signature(document, None).status == "valid_untrusted"
    assert check_signature(document, other.public_key()).status == "wrong_key"
    document["seal"]["count"] = 2
    assert check_signature(document, key.public_key()).status == "invalid"
    assert check_signature({"seal": {}}, key.public_key()).status == "unsigned"


def test_keys_new_writes_a_private_key_only_its_owner_reads(tmp_path):
    private, public = new_key_pair(tmp_path / "keys")
    assert (private.name, public.name) == (PRIVATE_NAME, PUBLIC_NAME)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    key = load_private_key(private)
    message = b"seal"
    load_public_key(public).verify(key.sign(message), message)
    with pytest.raises(FileExistsError):
        new_key_pair(tmp_path / "keys")


def test_a_public_key_may_be_given_as_the_seals_base64(tmp_path):
    key = Ed25519PrivateKey.generate()
    document = write_seal(tmp_path / "s.seal.json", make_seal(RecordChain()), key)
    path = tmp_path / "k.b64"
    path.write_text(document["signature"]["public_key"] + "\n")
    assert check_signature(document, load_public_key(path)).status == "valid"


def test_the_batch_transform_writes_what_the_chain_writes_and_resumes(engine):
    bodies = [record_body(raw, engine.evaluate(raw).to_dict(), line=n) for n, raw in enumerate(lines_of_cases(4), 1)]
    chain, transform = RecordChain(), RecordTransform()
    expected = [chain.next(b) for b in bodies]
    assert [transform.apply(body_text(b).encode()).decode() for b in bodies] == expected
    assert transform.chain.rules_versions == {engine.rules_version}
    resumed = RecordTransform()
    resumed.recover(expected[4].encode())
    assert [resumed.apply(body_text(b).encode()).decode() for b in bodies[5:]] == expected[5:]
    decision = json.loads(resumed.unwrap(expected[2].encode()))
    assert decision["line"] == 3 and decision["case_id"] == json.loads(lines_of_cases(0)[2])["case_id"]


# --- records decide what a plain run decides ---------------------------------------------

def test_a_line_holding_a_json_string_is_decided_as_a_plain_run_decides_it(engine, tmp_path):
    case = (CASES / "01-living-allowance.json").read_text()
    raw = json.dumps(json.dumps(json.loads(case))).encode()  # a JSON string whose text is a case
    plain = engine.evaluate(raw).to_dict()
    assert plain["status"] == "invalid" and [e["code"] for e in plain["errors"]] == ["not_object"]
    out = tmp_path / "r.jsonl"
    record_cases(engine, [raw], out, bundle_dir=tmp_path)
    record = parse(out.read_bytes().splitlines()[0])
    assert record["decision"]["status"] == "invalid"
    assert [e["code"] for e in record["decision"]["errors"]] == ["not_object"]
    assert record["decision"]["payouts"] == []


def test_check_record_shows_and_records_one_decision_as_check_decides(tmp_path):
    from click.testing import CliRunner

    from xisai.cli.main import main
    case = (CASES / "01-living-allowance.json").read_text()
    path = tmp_path / "string.json"
    path.write_text(json.dumps(json.dumps(json.loads(case))))
    runner = CliRunner()
    plain = runner.invoke(main, ["check", str(path), "--json"])
    recorded = runner.invoke(main, ["check", str(path), "--json", "--record", str(tmp_path / "r.jsonl")])
    assert plain.exit_code == recorded.exit_code == 2
    assert json.loads(recorded.output) == json.loads(plain.output)
    record = parse((tmp_path / "r.jsonl").read_bytes().splitlines()[0])
    assert record["decision"] == json.loads(plain.output)
    replayed = runner.invoke(main, ["replay", str(tmp_path / "r.jsonl"), "--json", "--workers", "1"])
    assert json.loads(replayed.output)["counts"] == {"reproduced": 1}


def test_a_case_with_an_integer_too_long_for_int_is_read_back_as_the_engine_read_it(engine, tmp_path):
    from xisai.engine.replay_line import inspect
    raw = b'{"case_id": "long", "as_of": "2024-01-01", "enterprises": [{"id": "E", "employees": ' + b"7" * 5000 + b"}]}"
    out = tmp_path / "long.jsonl"
    record_cases(engine, [raw, lines_of_cases(0)[0]], out, bundle_dir=tmp_path)
    first, second = out.read_bytes().splitlines()
    assert parse(first)["case"]["enterprises"][0]["employees"] == Decimal("7" * 5000)
    entry, record, _ = inspect(1, first + b"\n")
    assert entry.error is None and entry.hash_ok and record["decision"]["case_id"] == "long"
    transform = RecordTransform()
    transform.recover(first)
    assert transform.chain.seq == 1 and transform.chain.prev_hash == parse(first)["record_hash"]
    assert json.loads(transform.unwrap(first))["line"] == 1
    assert RecordChain.after(second).seq == 2


def test_check_never_records_over_its_own_case_file(tmp_path):
    from click.testing import CliRunner

    from xisai.cli.main import main
    case = tmp_path / "c1.json"
    case.write_bytes((Path(__file__).parent.parent / "cases" / "01-living-allowance.json").read_bytes())
    before = case.read_bytes()
    result = CliRunner().invoke(main, ["check", str(case), "--record", str(case), "--lang", "en"])
    assert result.exit_code == 1 and "is the input file itself" in result.output
    assert case.read_bytes() == before
