"""Files written whole or not at all: seals, bundles, run records.

The content goes into a temporary sibling, is fsynced, and is renamed over the target;
then the directory is fsynced, so that after a crash or a power cut the name holds
either the old file or the new one, never a torn or empty one."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomic(path: Path, fill: Callable[[BinaryIO], object]) -> None:
    """Replace `path` with what `fill` writes into the open file it is given."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fill(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    sync_directory(path.parent)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    write_atomic(path, lambda fh: fh.write(data))


def remove_durably(path: Path) -> None:
    """Remove `path` if it is there, and make the removal last."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    sync_directory(path.parent)


def sync_directory(directory: Path) -> None:
    """fsync a directory's entries (where the platform allows opening a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory: the rename stands
    finally:
        os.close(fd)
