"""Decision records: one JSON line per decision, chained by hash.

A record is the canonical JSON (engine/canonical.py) of

    as_of            the date the case was evaluated as of (null if none was reached)
    case             the case as the engine read it, canonical            } exactly one
    case_text        or the raw line, when the engine does not read it    } of these
    case_base64      as data, as text (or, if not UTF-8, as bytes)        }
    case_omitted     or true: a batch line too long to be read            }
    case_sha256      sha256 of the canonical case bytes / the text's UTF-8 / the bytes / no bytes
    decision         the decision (opaque JSON; replay reads its floor fields)
    decision_sha256  sha256 of the decision's canonical bytes
    engine_version   the xisai package version
    line             the input line number (null for a single case)
    prev_hash        the previous record's record_hash (GENESIS for the first)
    record_format    "1"
    record_hash      sha256 of the canonical JSON of every other field
    rules_version    the rules the decision was made under
    seq              the record's position in its chain, from 1

Nothing in it depends on the wall clock, the language of the run's messages or the
number of workers. Because a record line is written canonically, its hash is checked
on the bytes as written: the `record_hash` member is cut out and the rest hashed."""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from typing import Any

from .canonical import dumps, dumps_fast, dumps_native, parse, sha256_hex
from .json_input import parse_case

RECORD_FORMAT = "1"
GENESIS = "sha256:" + "0" * 64
HASH_KEY = ',"record_hash":"'          # the member cut out to check a line's hash
HASH_LEN = len(GENESIS)
_FORMAT_MEMBER = ',"record_format":"' + RECORD_FORMAT + '"'
_HASH_KEY_BYTES = HASH_KEY.encode()
CASE_KEYS = ("case", "case_text", "case_base64", "case_omitted")


@cache
def engine_version() -> str:
    """The installed package's version (read once: the metadata lookup is slow)."""
    try:
        return metadata.version("xisai")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


@dataclass(frozen=True)
class CasePart:
    """A case as received, in the form a record holds it."""
    key: str        # one of CASE_KEYS
    json: str       # the canonical JSON of the value under that key
    sha256: str

    def engine_input(self) -> str | bytes | None:
        """What to hand the engine so that it reads what it read the first time (None:
        a line too long to read, which a batch decides without reading)."""
        if self.key == "case_omitted":
            return None
        value = json.loads(self.json) if self.key != "case" else self.json
        return base64.b64decode(value) if self.key == "case_base64" else value


OMITTED = CasePart("case_omitted", "true", sha256_hex(b""))  # a batch line over its length limit, never read


def case_part(raw: str | bytes) -> CasePart:
    """The record form of one input line (without its newline), given as the engine got
    it. A line the engine reads as JSON data is kept as that data, canonical (what
    `json_input.parse_case` returns, so duplicate keys, surrogates and over-deep
    nesting, which it refuses, never get a canonical form); any other line as it came."""
    return read_case(raw)[0]


def read_case(raw: str | bytes) -> tuple[CasePart, Any]:
    """(the record form of a line, what to hand the engine for it): evaluate the second
    to parse the line only once. The engine gets the parsed data only when it is an
    object (then it reads no further); anything else it gets as the line itself, so it
    decides exactly the text a plain run decides (a JSON string is never read again as
    a case of its own)."""
    try:
        value = parse_case(raw)
        may_hold_nul = (b"\\u0000" in raw) if isinstance(raw, bytes) else ("\\u0000" in raw)
        text = dumps_fast(value, may_hold_nul)
    except ValueError:  # CaseInputError, or data with no canonical form (NaN): kept as it came
        return raw_part(raw), raw
    return CasePart("case", text, sha256_hex(text.encode("utf-8"))), value if isinstance(value, dict) else raw


def raw_part(raw: str | bytes) -> CasePart:
    """The record form of a line kept as it came (text, or bytes that are not UTF-8)."""
    if isinstance(raw, str):
        try:
            return CasePart("case_text", dumps(raw), sha256_hex(raw.encode("utf-8")))
        except UnicodeEncodeError:  # a str with a lone surrogate: kept as its bytes
            raw = raw.encode("utf-8", "surrogatepass")
    if _plain_utf8(raw):
        # The engine decodes bytes as UTF-8 before anything else, so the text stands for them.
        return CasePart("case_text", dumps(raw.decode("utf-8")), sha256_hex(raw))
    return CasePart("case_base64", dumps(base64.b64encode(raw).decode("ascii")), sha256_hex(raw))


def _plain_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def case_part_from_record(record: dict[str, Any]) -> CasePart:
    """The CasePart a parsed record holds; its sha256 is recomputed, not trusted."""
    key = next((k for k in CASE_KEYS if k in record), None)
    if key is None:
        raise ValueError("the record holds no case")
    value = record[key]
    text = dumps(value)
    if key == "case":
        data = text.encode("utf-8")
    elif key == "case_omitted":
        data = b""
    elif key == "case_text":
        data = str(value).encode("utf-8", "surrogatepass")
    else:
        data = base64.b64decode(str(value))
    return CasePart(key, text, sha256_hex(data))


@dataclass(frozen=True)
class RecordBody:
    """A record without its place in a chain: everything a worker can make."""
    line: int | None
    case: CasePart
    decision_json: str
    decision_sha256: str
    rules_version: str
    as_of: str | None
    engine_version: str


def record_body(raw: str | bytes, decision: dict[str, Any], line: int | None = None,
                version: str | None = None, case: CasePart | None = None) -> RecordBody:
    """Build the chain-free part of a record from an input line and its decision dict
    (`case`: the line's CasePart, if `read_case` made it already)."""
    text = dumps_native(decision)
    return RecordBody(line=line, case=case or case_part(raw), decision_json=text,
                      decision_sha256=sha256_hex(text.encode("utf-8")),
                      rules_version=str(decision.get("rules_version", "")), as_of=decision.get("as_of"),
                      engine_version=version or engine_version())


_FORMAT_BYTES = _FORMAT_MEMBER.encode()
_ENGINE_VERSION_BYTES = b',"engine_version":'


def chain_line(body: bytes, seq: int, prev_hash: str) -> tuple[bytes, str]:
    """A `body_text` (UTF-8) with its place in the chain: prev_hash and seq go in where
    their keys sort, the hash of the result goes in as record_hash. No re-encoding."""
    at = body.rfind(_FORMAT_BYTES)
    if at < 0 or not body.endswith(b"}"):
        raise ValueError("not a record body")
    rest = at + len(_FORMAT_BYTES)
    head = body[:at] + b',"prev_hash":"' + prev_hash.encode("ascii") + b'"' + body[at:rest]
    tail = body[rest:-1] + b',"seq":' + str(seq).encode("ascii") + b"}"
    record_hash = sha256_hex(head + tail)
    return head + _HASH_KEY_BYTES + record_hash.encode("ascii") + b'"' + tail, record_hash


def line_hash(line: bytes) -> tuple[str | None, str | None]:
    """(stored record_hash, hash of the line without it) for a canonical record line
    (UTF-8, no newline); (None, None) when the line has no top-level record_hash member
    where one belongs."""
    at = line.rfind(_HASH_KEY_BYTES)
    if at < 0:
        return None, None
    start = at + len(_HASH_KEY_BYTES)
    end = start + HASH_LEN
    if line[end:end + 1] != b'"':
        return None, None
    digest = hashlib.sha256(line[:at])  # the two sides of the member, hashed without joining them
    digest.update(line[end + 1:])
    return line[start:end].decode("ascii", "replace"), "sha256:" + digest.hexdigest()


@dataclass(slots=True)
class Envelope:
    """The fields of a record line read without parsing its case and decision."""
    as_of: str | None
    case: CasePart
    tail: dict[str, Any]       # decision_sha256, engine_version, line, prev_hash, record_format,
                               # record_hash, rules_version, seq


_HEAD = b'{"as_of":'
_CASE_MEMBERS = tuple((k, f',"{k}":'.encode()) for k in CASE_KEYS)
_CASE_SHA = b',"case_sha256":"'
_DECISION = b'","decision":'
_DECISION_SHA = b',"decision_sha256":"'


def envelope(line: bytes) -> Envelope | None:
    """Split a canonical record line (UTF-8, no newline) at its known members: the case
    and the decision are sliced out, not parsed, and every other member is a scalar.
    None when the line is not laid out as written (then parse it whole), or when the
    sliced case does not hash to the case_sha256 beside it."""
    if not line.startswith(_HEAD):
        return None
    i = len(_HEAD)
    try:
        if line.startswith(b"null", i):
            as_of, i = None, i + 4
        elif line[i:i + 1] == b'"':
            end = line.index(b'"', i + 1)
            as_of, i = line[i + 1:end].decode("utf-8"), end + 1
        else:
            return None
        key, member = next(((k, m) for k, m in _CASE_MEMBERS if line.startswith(m, i)), (None, b""))
        if key is None:
            return None
        start = i + len(member)
        j = line.find(_CASE_SHA, start)
        k = j + len(_CASE_SHA)
        if j < 0 or not line.startswith(_DECISION, k + HASH_LEN):
            return None
        p = line.rfind(_DECISION_SHA)
        if p < k + HASH_LEN + len(_DECISION):
            return None
        tail = json.loads(b"{" + line[p + 1:])
        case_bytes = line[start:j]
        if key == "case":
            data = case_bytes
        elif key == "case_omitted":
            data = b""
        else:
            value = json.loads(case_bytes)
            data = base64.b64decode(value) if key == "case_base64" else value.encode("utf-8", "surrogatepass")
        sha = sha256_hex(data)
        if sha.encode("ascii") != line[k:k + HASH_LEN] or not isinstance(tail, dict):
            return None
        return Envelope(as_of, CasePart(key, case_bytes.decode("utf-8"), sha), tail)
    except (ValueError, TypeError, AttributeError):
        return None


def recomputed_hash(record: dict[str, Any]) -> str:
    """A parsed record's hash, recomputed from its fields (for a line that was
    re-serialised, so that the cut-out check does not apply)."""
    fields = {k: v for k, v in record.items() if k != "record_hash"}
    return sha256_hex(dumps(fields).encode("utf-8"))


class RecordChain:
    """Turns record bodies into chained record lines, in output order: the one chain
    implementation, which the batch writer's `RecordTransform` and `RecordWriter` share.

    The single writer of a run owns one: `next(body)` gives the line to write. Its state
    is (seq of the last record, its hash) and the rules and engine versions of the
    records it chained; `after(line)` recovers it from a file's last record."""

    def __init__(self, seq: int = 0, prev_hash: str = GENESIS):
        self.seq = seq
        self.prev_hash = prev_hash
        self.rules_versions: set[str] = set()
        self.engine_versions: set[str] = set()

    def next(self, body: RecordBody) -> str:
        return self.next_bytes(body).decode("utf-8")

    def next_bytes(self, body: RecordBody) -> bytes:
        """The next record line, UTF-8, without its newline."""
        return self.next_body(body_text(body).encode("utf-8"))

    def next_body(self, body: bytes) -> bytes:
        """The next record line of a `body_text` (UTF-8), without its newline."""
        line, self.prev_hash = chain_line(body, self.seq + 1, self.prev_hash)
        self.seq += 1
        # the members after the decision: engine_version, line, record_format, rules_version
        tail = json.loads(b"{" + body[body.rfind(_ENGINE_VERSION_BYTES) + 1:])
        self.rules_versions.add(str(tail["rules_version"]))
        self.engine_versions.add(str(tail["engine_version"]))
        return line

    @classmethod
    def after(cls, line: bytes | None) -> RecordChain:
        """The chain state after the record `line` (None: a new chain); ValueError for a
        line that is not a record."""
        chain = cls()
        if line is None:
            return chain
        record = parse(line)
        seq = record.get("seq") if isinstance(record, dict) else None
        record_hash = record.get("record_hash") if isinstance(record, dict) else None
        if type(seq) is not int or seq < 1 or not isinstance(record_hash, str):
            raise ValueError("not a record (no seq and record_hash)")
        chain.seq, chain.prev_hash = seq, record_hash
        chain.rules_versions.add(str(record.get("rules_version", "")))
        chain.engine_versions.add(str(record.get("engine_version", "")))
        return chain


# --- the chain as a per-line transform of a batch writer ------------------------------



def body_text(body: RecordBody) -> str:
    """The canonical JSON of a record's chain-free fields: what a worker process sends
    to the writer, which adds prev_hash, record_hash and seq (`RecordTransform`)."""
    return ("{" + '"as_of":' + dumps(body.as_of)
            + f',"{body.case.key}":' + body.case.json
            + ',"case_sha256":' + dumps(body.case.sha256)
            + ',"decision":' + body.decision_json
            + ',"decision_sha256":' + dumps(body.decision_sha256)
            + ',"engine_version":' + dumps(body.engine_version)
            + ',"line":' + dumps(body.line)
            + _FORMAT_MEMBER
            + ',"rules_version":' + dumps(body.rules_version) + "}")


class RecordTransform:
    """The record chain as the line transform of a batch writer (engine/batch/writer.py):
    `apply` turns a worker's `body_text` (UTF-8) into the record line, in output order
    (`RecordChain.next_body`); `recover` rebuilds the chain from the last complete line
    on --resume (`RecordChain.after`); `unwrap` gives a record line's decision, with its
    `line`, to a reader that wants decisions."""

    name = "records-" + RECORD_FORMAT

    def __init__(self) -> None:
        self.chain = RecordChain()

    def apply(self, line: bytes) -> bytes:
        return self.chain.next_body(line)

    def recover(self, last_line: bytes | None) -> None:
        self.chain = RecordChain.after(last_line or None)

    def unwrap(self, line: bytes) -> bytes:
        """The decision of a record line; ValueError for a line that is not a record."""
        record = parse(line)  # read as the engine reads: a case may hold an integer of any length
        if not isinstance(record, dict) or not isinstance(record.get("decision"), dict):
            raise ValueError("not a record")
        decision = dict(record["decision"])
        decision["line"] = record.get("line")
        return dumps(decision).encode("utf-8")
