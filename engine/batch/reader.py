"""Input lines with their numbers and byte offsets, read from a binary stream.

A line ends at b"\\n" (a last line without one is a line too). A line longer than
MAX_LINE_BYTES is consumed without being kept (its `raw` is None), so one bad line
cannot take the memory. Every byte read goes into a running SHA-256, which the run
record uses to prove on --resume that the input's prefix is the one already decided.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .line import MAX_LINE_BYTES

Line = tuple[int, bytes | None]  # (1-based line number, bytes without the newline, or None if too long)
_SKIP_BLOCK = 2**20
CHUNK_BYTES = 8 * 2**20


@dataclass
class InputChunk:
    seq: int                      # 0, 1, 2, ... within one run
    lines: list[Line]
    end_offset: int               # input byte offset just after the chunk's last line
    digest: str                   # SHA-256 of the input from the reader's start to end_offset


class LineReader:
    def __init__(self, stream: BinaryIO, first_line: int = 1, offset: int = 0, end: int | None = None,
                 max_bytes: int = MAX_LINE_BYTES, hashed: bool = True):
        self._stream = stream
        self.next_line = first_line
        self.offset = offset              # bytes consumed so far (absolute, when the stream started there)
        self._end = end                   # stop at this offset (a partition's end), or at EOF
        self._max = max_bytes
        self._hash = hashlib.sha256() if hashed else None

    def digest(self) -> str:
        return self._hash.hexdigest() if self._hash else ""

    def _consume(self, data: bytes) -> None:
        self.offset += len(data)
        if self._hash is not None:
            self._hash.update(data)

    def read(self) -> Line | None:
        """The next line, or None at the end."""
        if self._end is not None and self.offset >= self._end:
            return None
        data = self._stream.readline(self._max + 1)
        if not data:
            return None
        self._consume(data)
        raw: bytes | None
        if len(data) > self._max and not data.endswith(b"\n"):
            raw = None
            while data and not data.endswith(b"\n"):  # the rest of the long line, unkept
                data = self._stream.readline(_SKIP_BLOCK)
                self._consume(data)
        else:
            raw = data[:-1] if data.endswith(b"\n") else data
        number = self.next_line
        self.next_line += 1
        return number, raw

    def __iter__(self) -> Iterator[Line]:
        while (line := self.read()) is not None:
            yield line

    def skip(self, count: int) -> None:
        """Read past `count` lines (already decided by an earlier run)."""
        for _ in range(count):
            if self.read() is None:
                raise EOFError(f"the input has fewer lines than the {count} already decided")

    def chunks(self, size: int, max_bytes: int = CHUNK_BYTES) -> Iterator[InputChunk]:
        """Runs of `size` lines, or fewer when they reach `max_bytes` (big cases make
        small chunks, so the chunks in flight stay small whatever the lines)."""
        seq = 0
        while True:
            lines: list[Line] = []
            start = self.offset
            while len(lines) < size and self.offset - start < max_bytes and (line := self.read()) is not None:
                lines.append(line)
            if not lines:
                return
            yield InputChunk(seq, lines, self.offset, self.digest())
            seq += 1
