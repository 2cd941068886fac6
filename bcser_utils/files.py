"""Writing files so that an interruption, a full disk or a second process never leaves one wrong.

- ``write_atomically(path, write)``: ``write`` fills a temporary name of this process beside
  ``path``, which is then renamed: a reader sees the old file or the new one, whole, never half
  of one, and two processes never share a temporary name. A failure names ``path``.
- ``reserve(path, size)``: the disk space of a file about to be memory-mapped, taken now.
- ``write_text(path, text)``: the same for text (JSON, CSV).
- ``claim(folder)``: a lock on a folder that a command writes into (a run folder), taken before
  anything in it is checked or written; a second process that asks for it fails at once with a
  ``Claimed`` error that names the folder, instead of mixing its files with the first one's.
- ``read_json(path)``: a JSON file, or None when it is missing, empty or unreadable (a file a
  full disk left at 0 bytes is as good as none).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path


def temporary_name(path: Path) -> Path:
    """The temporary name this process writes ``path`` under, beside it (hidden)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_atomically(path: str | Path, write: Callable[[Path], object]) -> Path:
    """``write(temporary_path)``, then rename it to ``path``; on any failure (a full disk,
    Ctrl-C) the temporary file is removed and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as err:
        if err.filename is None:  # a plain write() names no file: say which one failed
            raise OSError(err.errno, err.strerror or str(err), str(path)) from err
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return path


def reserve(path: str | Path, size: int) -> None:
    """Make the disk hold ``size`` bytes of ``path`` now: a memory map written on a full
    disk would otherwise end the process with SIGBUS instead of raising ENOSPC. (Called inside
    ``write_atomically``'s ``write``, which names the file in the error.)"""
    fd = os.open(path, os.O_RDWR)
    try:
        os.posix_fallocate(fd, 0, size)
    finally:
        os.close(fd)


def write_text(path: str | Path, text: str) -> Path:
    """``text`` written to ``path`` atomically (``write_atomically``)."""
    return write_atomically(path, lambda tmp: tmp.write_text(text))


def read_json(path: str | Path):
    """The JSON value in ``path``; None if it is missing, empty, or not JSON."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None


class Claimed(OSError):
    """Another process holds the folder; the message names it and says what to do."""

    def __init__(self, message: str):
        super().__init__(message)


@contextlib.contextmanager
def claim(folder: str | Path, what: str = "run") -> Iterator[Path]:
    """Hold ``folder`` (created if missing) for this process while the block runs. The lock is
    a file beside it, ``.<name>.lock``, so the folder holds only what the command writes; the
    operating system releases it when the process ends, however it ends."""
    from filelock import FileLock, Timeout

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder.parent / f".{folder.name}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise Claimed(f"{folder}: another {what} is writing into this folder now; wait for it "
                      "to finish, or use another --out") from None
    try:
        yield folder
    finally:
        lock.release()
