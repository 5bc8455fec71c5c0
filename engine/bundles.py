"""Rules bundles: the rule files and catalogs a decision was made with, as one
content-addressed archive.

A bundle is a plain, uncompressed tar (deterministic: sorted members, mtime 0, no
owners) holding

    MANIFEST.json                        {"bundle_format": "1", "rules_version": ...,
                                          "catalogs_sha256": ..., "files": {path: sha256}}
    rules/<every *.toml of the rules directory>
    catalogs/<locale>/LC_MESSAGES/xisai.po

and is named `xisai-rules-sha256-<hex>.tar` after its `rules_version`, the hash the
engine computes over the rule files (engine/rulebook.py). The catalogs do not enter
`rules_version`: they phrase decisions, they do not make them. They are pinned all the
same: the manifest lists the hash of every file, and `bundle_sha256` (the hash of the
canonical manifest) goes into each seal. Opening a bundle checks every member against
the manifest and recomputes `rules_version` from the extracted rule files; a bundle
whose content does not hash to its name is refused. Loading never runs code: only
.toml and .po files are taken, as data; links, absolute paths, `..`, unknown names
and oversized members are refused before anything is written."""
from __future__ import annotations

import io
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

from .atomic_file import write_atomic
from .canonical import canonical_bytes, parse, sha256_hex
from .rulebook import default_rules_dir, rules_version

BUNDLE_FORMAT = "1"
MANIFEST = "MANIFEST.json"
PREFIX, SUFFIX = "xisai-rules-", ".tar"
MAX_MEMBER = 1 << 20        # bytes of one file
MAX_TOTAL = MAX_MEMBER << 4  # bytes of all files
MAX_MEMBERS = 4096
_MEMBER = re.compile(r"(rules/([A-Za-z0-9_.-]+/)*[A-Za-z0-9_.-]+\.toml|catalogs/[A-Za-z_]+/LC_MESSAGES/xisai\.po)")
_DIR = re.compile(r"rules(/[A-Za-z0-9_.-]+)*|catalogs(/[A-Za-z_]+(/LC_MESSAGES)?)?")
_VERSION = re.compile(r"sha256:[0-9a-f]{64}")
_NAME = re.compile(r"xisai-rules-sha256-([0-9a-f]{64})(\.[0-9a-f]{12})?\.tar")


class BundleError(ValueError):
    """A bundle that is refused: named after the file and what is wrong."""


def bundle_name(version: str, bundle_sha: str | None = None) -> str:
    """`xisai-rules-sha256-<hex>.tar`; with `bundle_sha`, a name that tells apart two
    bundles of the same rules with other catalogs."""
    algo, _, hexpart = version.partition(":")
    suffix = f".{bundle_sha.partition(':')[2][:12]}" if bundle_sha else ""
    return f"{PREFIX}{algo}-{hexpart}{suffix}{SUFFIX}"


def installed_catalogs() -> Path:
    return Path(str(resources.files("xisai.catalogs")))


def _files(rules_dir: Path, catalogs_dir: Path) -> dict[str, bytes]:
    files = {f"rules/{p.relative_to(rules_dir).as_posix()}": p.read_bytes() for p in sorted(rules_dir.rglob("*.toml"))}
    for p in sorted(catalogs_dir.glob("*/LC_MESSAGES/xisai.po")):
        files[f"catalogs/{p.relative_to(catalogs_dir).as_posix()}"] = p.read_bytes()
    return files


def _digest(files: dict[str, bytes], prefix: str) -> str:
    return sha256_hex(b"".join(name.encode() + b"\0" + sha256_hex(data).encode() + b"\0"
                               for name, data in sorted(files.items()) if name.startswith(prefix)))


def manifest_of(rules_dir: Path, files: dict[str, bytes]) -> dict[str, Any]:
    return {"bundle_format": BUNDLE_FORMAT, "rules_version": rules_version(rules_dir),
            "catalogs_sha256": _digest(files, "catalogs/"),
            "files": {name: sha256_hex(data) for name, data in sorted(files.items())}}


@dataclass(frozen=True)
class Exported:
    path: Path
    rules_version: str
    bundle_sha256: str
    created: bool       # False when an identical bundle was already there


def export_bundle(out_dir: Path, rules_dir: Path | None = None, catalogs_dir: Path | None = None) -> Exported:
    """Write the bundle of `rules_dir` (default: the shipped rules) and the catalogs
    into `out_dir`; an identical bundle already there is kept as it is."""
    rules_dir = Path(rules_dir) if rules_dir is not None else default_rules_dir()
    files = _files(rules_dir, catalogs_dir or installed_catalogs())
    manifest = manifest_of(rules_dir, files)
    manifest_bytes = canonical_bytes(manifest)
    bundle_sha = sha256_hex(manifest_bytes)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in (bundle_name(manifest["rules_version"]), bundle_name(manifest["rules_version"], bundle_sha)):
        path = out_dir / name
        if not path.exists():
            _write_tar(path, {MANIFEST: manifest_bytes, **files})
            return Exported(path, manifest["rules_version"], bundle_sha, True)
        try:
            if read_manifest(path)[1] == bundle_sha:
                return Exported(path, manifest["rules_version"], bundle_sha, False)
        except BundleError:
            continue  # a damaged file under our name: use the longer name
    raise BundleError(f"{out_dir}: two other bundles already hold the names of this one")


def _write_tar(path: Path, files: dict[str, bytes]) -> None:
    def fill(fh: BinaryIO) -> None:
        with tarfile.open(fileobj=fh, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for name in [MANIFEST] + sorted(n for n in files if n != MANIFEST):
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = len(files[name]), 0, 0o644
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                tar.addfile(info, io.BytesIO(files[name]))
    write_atomic(path, fill)


# --- reading ---------------------------------------------------------------------

def _members(path: Path) -> dict[str, bytes]:
    """Every member's bytes, after refusing anything that is not a plain, small,
    well-named file. Nothing is written to disk here."""
    if not path.is_file():
        raise BundleError(f"{path}: no such bundle file")
    if path.stat().st_size > MAX_TOTAL + (1 << 20):
        raise BundleError(f"{path}: larger than a bundle may be")
    out: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(path, "r:") as tar:
            for count, member in enumerate(tar, start=1):
                if count > MAX_MEMBERS:
                    raise BundleError(f"{path}: more than {MAX_MEMBERS} members")
                name = member.name
                if member.isdir() and _DIR.fullmatch(name.rstrip("/")):
                    continue  # a folder entry, as `tar cf` writes them: nothing to take
                if not member.isreg():
                    raise BundleError(f"{path}: {name!r} is not a regular file (links and devices are refused)")
                if name.startswith("/") or "\\" in name or any(part in ("", ".", "..") for part in name.split("/")):
                    raise BundleError(f"{path}: {name!r} is an absolute path or leaves the bundle")
                if name != MANIFEST and not _MEMBER.fullmatch(name):
                    raise BundleError(f"{path}: {name!r} is not a rule file, a catalog or the manifest")
                if name in out:
                    raise BundleError(f"{path}: {name!r} appears twice")
                if member.size > MAX_MEMBER or total + member.size > MAX_TOTAL:
                    raise BundleError(f"{path}: {name!r} is larger than a bundle member may be")
                fh = tar.extractfile(member)
                if fh is None:
                    raise BundleError(f"{path}: {name!r} cannot be read")
                out[name] = fh.read(MAX_MEMBER + 1)
                total += len(out[name])
    except tarfile.TarError as exc:
        raise BundleError(f"{path}: not a tar archive ({exc})") from None
    return out


def read_manifest(path: Path) -> tuple[dict[str, Any], str]:
    """(manifest, bundle_sha256) of a bundle, with its members checked against it."""
    manifest, bundle_sha, _ = _checked(path)
    return manifest, bundle_sha


def _checked(path: Path) -> tuple[dict[str, Any], str, dict[str, bytes]]:
    """(manifest, bundle_sha256, members) of a bundle, read once: what is checked is
    what gets extracted."""
    members = _members(path)
    names = set(members)
    folders = {name[:at] for name in names for at in range(len(name)) if name[at] == "/"}
    clash = sorted(names & folders)
    if clash:
        raise BundleError(f"{path}: {clash[0]!r} is a file and a folder of other members")
    if MANIFEST not in members:
        raise BundleError(f"{path}: no {MANIFEST}")
    try:
        manifest = parse(members[MANIFEST])
    except ValueError:
        raise BundleError(f"{path}: {MANIFEST} is not JSON") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise BundleError(f"{path}: {MANIFEST} lists no files")
    if manifest.get("bundle_format") != BUNDLE_FORMAT:
        raise BundleError(f"{path}: unknown bundle format {manifest.get('bundle_format')!r}")
    listed, present = set(manifest["files"]), set(members) - {MANIFEST}
    if listed != present:
        extra, missing = sorted(present - listed), sorted(listed - present)
        raise BundleError(f"{path}: members and manifest differ (not listed: {extra}, missing: {missing})")
    for name in sorted(present):
        if sha256_hex(members[name]) != manifest["files"][name]:
            raise BundleError(f"{path}: {name} does not match its hash in the manifest")
    files = {n: members[n] for n in present}
    if _digest(files, "catalogs/") != manifest.get("catalogs_sha256"):
        raise BundleError(f"{path}: the catalogs do not match catalogs_sha256")
    return manifest, sha256_hex(canonical_bytes(manifest)), files


@dataclass(frozen=True)
class OpenedBundle:
    path: Path
    root: Path          # the extracted bundle: root/rules, root/catalogs
    rules_version: str
    bundle_sha256: str
    manifest: dict[str, Any]

    @property
    def rules_dir(self) -> Path:
        return self.root / "rules"

    @property
    def catalogs_dir(self) -> Path:
        return self.root / "catalogs"


def open_bundle(path: Path, dest: Path, expect_version: str | None = None) -> OpenedBundle:
    """Check a bundle whole, extract it into the empty or new directory `dest`, and
    check that its rule files hash to its name, its manifest and `expect_version`."""
    manifest, bundle_sha, files = _checked(path)
    named = _NAME.fullmatch(path.name)
    claims = {"manifest": manifest.get("rules_version")}
    if named:
        claims["name"] = f"sha256:{named.group(1)}"
    if expect_version:
        claims["record"] = expect_version
    try:
        dest.mkdir(parents=True, exist_ok=True)
        if any(dest.iterdir()):
            raise BundleError(f"{dest}: not empty")
        for name, data in files.items():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
    except OSError as exc:
        raise BundleError(f"{path}: cannot be extracted into {dest} ({exc.strerror or exc})") from None
    actual = rules_version(dest / "rules")
    for source, claimed in claims.items():
        if claimed != actual:
            shutil.rmtree(dest, ignore_errors=True)
            raise BundleError(f"{path}: the rule files hash to {actual}, not to the {source}'s {claimed}")
    return OpenedBundle(path, dest, actual, bundle_sha, manifest)


@contextmanager
def opened(path: Path, expect_version: str | None = None) -> Iterator[OpenedBundle]:
    """A bundle extracted to a temporary directory for as long as it is needed."""
    tmp = Path(tempfile.mkdtemp(prefix="xisai-bundle-"))
    try:
        yield open_bundle(path, tmp / "b", expect_version)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- finding ---------------------------------------------------------------------

def default_store() -> Path:
    """The bundle store: $XISAI_BUNDLES, else $XDG_CACHE_HOME/xisai/bundles."""
    if os.environ.get("XISAI_BUNDLES"):
        return Path(os.environ["XISAI_BUNDLES"])
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "xisai" / "bundles"


def is_rules_version(version: object) -> bool:
    """Whether `version` has the form of a rules_version (`sha256:` and 64 hex digits)."""
    return isinstance(version, str) and _VERSION.fullmatch(version) is not None


def candidates(version: str, search: list[Path]) -> list[Path]:
    """Bundle files that claim `version` by name, in search order (none for a string
    that is not a rules_version: it would be a glob pattern, read from a record)."""
    if not is_rules_version(version):
        return []
    algo, _, hexpart = version.partition(":")
    out: list[Path] = []
    for directory in search:
        if directory.is_dir():
            out.extend(sorted(directory.glob(f"{PREFIX}{algo}-{hexpart}*{SUFFIX}")))
    return out
