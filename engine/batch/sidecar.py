"""The run record beside the output (`DECISIONS.jsonl.run.json`).

It fixes what a run decides with, so that --resume decides the rest the same way:
`today` (taken once, at the start), the rules version, `--as-of`, the line transform
and the partition size; it names the input (path, size) and carries the last
checkpoint: the lines and bytes of the output fsynced, the input bytes they came from
with the SHA-256 of those bytes, and the summary so far. It is replaced atomically
(write, fsync, rename), so it is always a complete record of some checkpoint.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..atomic_file import write_bytes_atomic

RUN_FORMAT = "xisai-batch-run/1"


def sidecar_path(output: Path) -> Path:
    return output.with_name(output.name + ".run.json")


@dataclass
class Checkpoint:
    lines: int = 0
    output_bytes: int = 0
    input_bytes: int = 0
    input_sha256: str = ""
    summary: dict[str, Any] | None = None


@dataclass
class RunRecord:
    rules_version: str
    today: str
    as_of: str | None
    transform: str
    partition_lines: int
    input_path: str
    input_size: int | None            # None for a stream
    xisai_version: str
    started: str
    format: str = RUN_FORMAT
    complete: bool = False
    checkpoint: Checkpoint = field(default_factory=Checkpoint)

    def save(self, path: Path) -> None:
        text = json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        write_bytes_atomic(path, text.encode("utf-8"))

    @classmethod
    def load(cls, path: Path) -> RunRecord:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != RUN_FORMAT:
            raise ValueError(f"{path} is not a run record this version of xisai reads ({data.get('format')!r})")
        data["checkpoint"] = Checkpoint(**data["checkpoint"])
        return cls(**data)

    def differences(self, other: RunRecord) -> list[str]:
        """What makes `other` (this invocation) a different run from the recorded one."""
        out = []
        for name in ("rules_version", "as_of", "transform"):
            if getattr(self, name) != getattr(other, name):
                out.append(f"{name}: recorded {getattr(self, name)!r}, now {getattr(other, name)!r}")
        if self.input_size is not None and other.input_size is not None and self.input_size != other.input_size:
            out.append(f"input size: recorded {self.input_size} bytes, now {other.input_size}")
        return out
