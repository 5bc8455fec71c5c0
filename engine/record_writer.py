"""Writing record files: the single writer that chains records in output order, the
seal at the end, and the rules bundle kept beside the output.

`RecordWriter` writes a record file in one process (`check --record` uses it): it
chains `RecordBody`s (engine/records.py) with the same `RecordChain` that the batch
writer's transform uses. `record_cases` is a plain in-process loop over input lines on
top of it: the reference that a parallel batch run must match byte for byte (tests)."""
from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .atomic_file import remove_durably
from .batch.line import decide_line
from .bundles import export_bundle
from .evaluate import Engine
from .records import RecordBody, RecordChain, read_case, record_body
from .seal import make_seal, seal_path, write_seal


class RecordWriter:
    """Writes chained record lines to `path`, from its first line (an old seal beside
    it is taken away first: it sealed what the file held before). Resuming an
    interrupted file is the batch runner's (`xisai batch --resume`)."""

    def __init__(self, path: Path):
        self.path = path
        self.chain = RecordChain()
        self._fh = path.open("wb")
        remove_durably(seal_path(path))
        self.bundles: dict[str, str] = {}

    def write(self, body: RecordBody) -> None:
        self._fh.write(self.chain.next_bytes(body) + b"\n")

    def keep_bundle(self, rules_dir: Path | None, out_dir: Path | None = None) -> Path:
        """Export the bundle of the rules used beside the output (or into `out_dir`)."""
        exported = export_bundle(out_dir or self.path.resolve().parent, rules_dir)
        self.bundles[exported.rules_version] = exported.bundle_sha256
        return exported.path

    def finish(self, key: Ed25519PrivateKey | None = None) -> dict[str, Any]:
        """Flush the records to disk, then write and return the seal."""
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        return write_seal(seal_path(self.path), make_seal(self.chain, self.bundles), key)

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()


def record_cases(engine: Engine, lines: Iterable[bytes], out: Path, *, as_of: date | None = None,
                 key: Ed25519PrivateKey | None = None, rules_dir: Path | None = None,
                 bundle_dir: Path | None = None) -> dict[str, Any]:
    """Decide each input line (without its newline) as a batch does and write its
    record; returns the seal."""
    writer = RecordWriter(out)
    try:
        writer.keep_bundle(rules_dir, bundle_dir)
        for number, raw in enumerate(lines, start=1):
            case, data = read_case(raw)  # parsed once, for the record and the engine
            decision = decide_line(engine, raw, as_of, None, case=data)  # as a batch decides a line
            writer.write(record_body(raw, decision, line=number, case=case))
        return writer.finish(key)
    finally:
        writer.close()
