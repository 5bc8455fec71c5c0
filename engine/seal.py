"""The seal of a record file, and its Ed25519 signature.

A seal is a side file, `<records>.seal.json`, not a last line: the records file keeps
one line per input line (a reader of decisions never meets a line that is not one),
and `--resume` continues from the last line without first taking a seal off.

    {"seal": {"seal_format": "1", "count": N, "first_seq": 1, "last_seq": N,
              "genesis": "sha256:000…", "last_hash": "<record_hash of record N>",
              "rules_versions": [...], "bundles": {"<rules_version>": "<bundle_sha256>"},
              "engine_versions": [...]},
     "signature": {"algorithm": "ed25519", "key_id": "sha256:…",
                   "public_key": "<base64 of the 32 raw bytes>",
                   "value": "<base64 of the 64-byte signature>"}}      (when signed)

The chain makes the last hash cover every record (each record's hash covers its
predecessor's), so count and last hash pin the whole file: a Merkle root would add
proofs of single records, which no one asks for yet. The signature is over the
canonical JSON of the "seal" object. Key files are PEM: the private key PKCS#8,
unencrypted, mode 0600; the public key SubjectPublicKeyInfo (openssl reads both)."""
from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .atomic_file import write_bytes_atomic
from .canonical import canonical_bytes, sha256_hex
from .records import GENESIS, RecordChain

SEAL_FORMAT = "1"
SEAL_SUFFIX = ".seal.json"
PRIVATE_NAME, PUBLIC_NAME = "xisai-ed25519.key", "xisai-ed25519.pub"


class KeyFileError(ValueError):
    """A key file that cannot be read as an Ed25519 key."""


def seal_path(records: Path) -> Path:
    return records.with_name(records.name + SEAL_SUFFIX)


def make_seal(chain: RecordChain, bundles: dict[str, str] | None = None) -> dict[str, Any]:
    """The seal body of a chain as it stands (its last record written)."""
    return {"seal_format": SEAL_FORMAT, "count": chain.seq, "first_seq": 1 if chain.seq else 0,
            "last_seq": chain.seq, "genesis": GENESIS, "last_hash": chain.prev_hash,
            "rules_versions": sorted(v for v in chain.rules_versions if v),
            "bundles": dict(sorted((bundles or {}).items())),
            "engine_versions": sorted(v for v in chain.engine_versions if v)}


def sign(body: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    public = key.public_key()
    return {"algorithm": "ed25519", "key_id": key_id(public),
            "public_key": base64.b64encode(_raw_public(public)).decode("ascii"),
            "value": base64.b64encode(key.sign(canonical_bytes(body))).decode("ascii")}


def write_seal(path: Path, body: dict[str, Any], key: Ed25519PrivateKey | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"seal": body}
    if key is not None:
        document["signature"] = sign(body, key)
    write_bytes_atomic(path, (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return document


MAX_SEAL_BYTES = 1 << 20  # 1 MiB: a seal lists a few versions and hashes
_INTS = ("count", "first_seq", "last_seq")
_STRS = ("seal_format", "genesis", "last_hash")
_STR_LISTS = ("rules_versions", "engine_versions")
_SIGNATURE_STRS = ("algorithm", "key_id", "public_key", "value")


def read_seal(path: Path) -> dict[str, Any]:
    """A seal document whose every field has the type a seal gives it; ValueError for
    anything else (a seal that cannot be read is reported as tampered with, never
    trusted to steer the check of the records)."""
    if path.stat().st_size > MAX_SEAL_BYTES:
        raise ValueError(f"{path} is larger than a seal may be")
    try:
        document = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except RecursionError:
        raise ValueError(f"{path} nests too deep to be a seal") from None
    problem = seal_problem(document)
    if problem:
        raise ValueError(f"{path} is not a seal: {problem}")
    return document


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def seal_problem(document: Any) -> str | None:
    """What makes `document` not a seal document, or None."""
    if not isinstance(document, dict) or not isinstance(document.get("seal"), dict):
        return 'no "seal" object'
    body = document["seal"]
    for name in _INTS:
        if type(body.get(name)) is not int:
            return f"{name} is not an integer"
    for name in _STRS:
        if not isinstance(body.get(name), str):
            return f"{name} is not a string"
    if body["seal_format"] != SEAL_FORMAT:
        return f"unknown seal_format {body['seal_format']!r}"
    for name in _STR_LISTS:
        value = body.get(name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"{name} is not a list of strings"
    bundles = body.get("bundles")
    if not isinstance(bundles, dict) or not all(isinstance(v, str) for v in bundles.values()):
        return "bundles is not an object of strings"
    if "signature" in document:
        sig = document["signature"]
        if not isinstance(sig, dict) or not all(isinstance(sig.get(n), str) for n in _SIGNATURE_STRS):
            return "signature is not an object of strings"
    return None


@dataclass(frozen=True)
class SignatureCheck:
    """status: "valid" (checked against the trusted key), "valid_untrusted" (checked
    against the key the seal carries: intact, but anyone could have signed it),
    "invalid", "wrong_key" (valid, by another key than the trusted one), "unsigned"."""
    status: str
    key_id: str | None = None


def check_signature(document: dict[str, Any], trusted: Ed25519PublicKey | None) -> SignatureCheck:
    sig = document.get("signature")
    if not isinstance(sig, dict):
        return SignatureCheck("unsigned")
    try:
        carried = Ed25519PublicKey.from_public_bytes(base64.b64decode(str(sig.get("public_key", "")), validate=True))
        value = base64.b64decode(str(sig.get("value", "")), validate=True)
    except ValueError:
        return SignatureCheck("invalid", sig.get("key_id"))
    message = canonical_bytes(document["seal"])
    if trusted is not None and _raw_public(trusted) != _raw_public(carried):
        try:
            carried.verify(value, message)
        except InvalidSignature:
            return SignatureCheck("invalid", key_id(carried))
        return SignatureCheck("wrong_key", key_id(carried))
    try:
        carried.verify(value, message)
    except InvalidSignature:
        return SignatureCheck("invalid", key_id(carried))
    return SignatureCheck("valid" if trusted is not None else "valid_untrusted", key_id(carried))


# --- keys ----------------------------------------------------------------------

def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return sha256_hex(_raw_public(key))


def new_key_pair(directory: Path) -> tuple[Path, Path]:
    """Write a new private key (0600) and its public key into `directory`; never
    overwrites a key."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / PRIVATE_NAME, directory / PUBLIC_NAME
    for p in (private_path, public_path):
        if p.exists():
            raise FileExistsError(str(p))
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.chmod(private_path, 0o600)  # whatever the umask
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    return private_path, public_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    data = path.read_bytes()
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        try:  # the seal's own form: base64 of the 32 raw bytes
            return Ed25519PublicKey.from_public_bytes(base64.b64decode(data.strip(), validate=True))
        except ValueError:
            raise KeyFileError(f"{path}: not a PEM or base64 Ed25519 public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path}: not an Ed25519 key")
    return key
