"""The output: one place that writes decision lines, in input order.

A `LineTransform` may turn each decision line into the line actually written (a
record with a hash chain, say). It sees the lines in output order, keeps whatever
state it needs, and rebuilds that state on --resume from the last complete line
written. The default writes the decision line as it is.

Lines are written chunk by chunk, flushed after every chunk (a kill -9 loses at most
a half-written last line, which --resume cuts off) and fsynced every `sync_seconds`
(what a power cut can lose), after which the caller records a checkpoint.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol


class LineTransform(Protocol):
    name: str  # recorded in the run record: a resume under another transform is refused

    def apply(self, line: bytes) -> bytes: ...

    def recover(self, last_line: bytes | None) -> None: ...

    def unwrap(self, line: bytes) -> bytes: ...


class PlainLines:
    """The decision line, as it is."""
    name = "plain"

    def apply(self, line: bytes) -> bytes:
        return line

    def recover(self, last_line: bytes | None) -> None:
        return None

    def unwrap(self, line: bytes) -> bytes:
        return line


class OutputWriter:
    def __init__(self, stream: BinaryIO, transform: LineTransform, lines: int = 0, offset: int = 0,
                 sync_seconds: float = 2.0, can_sync: bool = True):
        self._stream = stream
        self._transform = transform
        self.lines = lines            # complete lines in the output
        self.offset = offset          # bytes in the output
        self._sync_seconds = sync_seconds
        self._can_sync = can_sync
        self._synced_at = time.monotonic()

    def write(self, lines: list[bytes]) -> None:
        if not lines:
            return
        apply = self._transform.apply
        data = b"\n".join([apply(line) for line in lines]) + b"\n"
        self._stream.write(data)
        self._stream.flush()
        self.lines += len(lines)
        self.offset += len(data)

    def sync_due(self) -> bool:
        return self._can_sync and time.monotonic() - self._synced_at >= self._sync_seconds

    def sync(self) -> None:
        self._stream.flush()
        if self._can_sync:
            os.fsync(self._stream.fileno())
        self._synced_at = time.monotonic()


@dataclass
class Recovered:
    lines: int             # complete, well-formed lines kept
    offset: int            # bytes kept (the file is truncated there)
    last_line: bytes | None  # the last line kept (no newline), for the transform's state


def recover_output(stream: BinaryIO, transform: LineTransform, lines: int, offset: int,
                   on_line: Callable[[int, dict[str, Any]], None]) -> Recovered:
    """Keep what an interrupted run wrote, up to its last complete line.

    `lines` and `offset` come from the last checkpoint (fsynced before it was
    recorded). Every line after it must be a decision whose `line` is the next
    number; the first that is not (cut short, garbage after a power cut, a line that
    is not a record in a records run) and all after it are cut off. `on_line` sees each line kept after the checkpoint (the
    summary is rebuilt from them). The stream must be open for reading and writing."""
    stream.seek(offset)
    last: bytes | None = None
    for raw in _lines(stream):
        if not raw.endswith(b"\n"):
            break
        line = raw[:-1]
        try:
            decision = json.loads(transform.unwrap(line))
        except (ValueError, KeyError, TypeError):  # not a line this run writes: cut, as garbage is
            break
        if not isinstance(decision, dict) or decision.get("line") != lines + 1:
            break
        on_line(lines + 1, decision)
        lines += 1
        offset += len(raw)
        last = line
    if last is None and offset:
        last = _line_before(stream, offset)
    stream.seek(offset)
    stream.truncate()
    return Recovered(lines, offset, last)


def usable_checkpoint(stream: BinaryIO, offset: int) -> bool:
    """Whether a checkpoint's offset is a line end inside the file (else the whole
    file is checked again, from its first line)."""
    stream.seek(0, os.SEEK_END)
    if offset > stream.tell():
        return False
    return offset == 0 or _byte_at(stream, offset - 1) == b"\n"


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    while data := stream.readline():
        yield data


def _byte_at(stream: BinaryIO, offset: int) -> bytes:
    stream.seek(offset)
    return stream.read(1)


def _line_before(stream: BinaryIO, offset: int) -> bytes:
    """The complete line whose newline is the byte at offset - 1, read backwards."""
    pos = offset - 1
    buf = b""
    while True:
        step = min(65536, pos)
        stream.seek(pos - step)
        buf = stream.read(step) + buf
        pos -= step
        newline = buf.rfind(b"\n")
        if newline >= 0:
            return buf[newline + 1:]
        if pos == 0:
            return buf
