"""Writing files so that an interruption, a full disk or a second process never leaves one wrong.

The one way the package writes a file:

- ``write_atomically(path, write)``: ``write`` fills a temporary name of this process beside
  ``path``, which is then renamed: a reader sees the old file or the new one, whole, never half
  of one, and two processes never share a temporary name. A failure names ``path`` (never the
  hidden temporary). ``write_text``, ``write_bytes``, ``write_json`` and ``copy`` are the usual
  cases of it.
- The temporary goes on SIGTERM and SIGHUP as on Ctrl-C: each live temporary is registered
  (``removed_on_exit``), and handlers installed once per process remove this process's ones,
  then let the signal do what it did before (the handler found, or the default: the process
  ends as killed by that signal, status 128 + n). A signal ignored before (``nohup``) stays
  ignored.
- A temporary's name never passes the file system's limit on a name (255 bytes): a long name
  is shortened to a hash of it, keeping its extension.
- ``reserve(path, size)``: the disk space of a file about to be memory-mapped, taken now.
- ``claim(folder)``: a folder is the package's to write into only if it is empty or the package
  claimed it before (a marker file, ``.bcser``, written at the first claim; a run folder of an
  earlier version, holding only the names a run folder holds, run.json or metrics.json among
  them, is adopted). A folder holding files the package did not make is refused (``NotOurs``),
  before anything is written. The claim is also a lock: a second process that asks for the
  folder fails at once (``Claimed``), instead of mixing its files with the first one's.
- ``read_json(path)``: a JSON file, or None when it is missing, empty or unreadable (a file a
  full disk left at 0 bytes is as good as none).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from bcser_utils.messages import escape, named

NAME_MAX = 255  # bytes in one name on the usual file systems (ext4, xfs, btrfs, tmpfs, APFS)
MARKER = ".bcser"  # the file that says the package claimed a folder
# the names a run folder holds (train, evaluate): a folder of an earlier version holding only
# these, with our run.json or metrics.json, is adopted by ``claim``
RUN_FOLDER = frozenset({"run.json", "metrics.json", "checkpoint.pt", "model.pt",
                        "predictions.csv", "figures", "reproduce.json", "summary.json"})
SIGNALS = ("SIGTERM", "SIGHUP")  # SIGINT raises KeyboardInterrupt: the ``finally`` cleans up

_live: dict[Path, int] = {}  # a temporary being written → the process writing it
_previous: dict[int, object] = {}  # signal → the handler found before ours
_installed_in: int | None = None  # the process that installed our handlers


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return NAME_MAX


def temporary_name(path: str | Path) -> Path:
    """The temporary name this process writes ``path`` under, beside it (hidden).

    Parameters
    ----------
    path : str or Path
        The final name.

    Returns
    -------
    Path
        ``.<name>.<pid>.tmp`` beside ``path``; when that would pass the file system's limit on a
        name, ``.<hash of name><extension>.<pid>.tmp``.
    """
    path = Path(path)
    name = f".{path.name}.{os.getpid()}.tmp"
    if len(os.fsencode(name)) > min(_name_max(path.parent), NAME_MAX):
        digest = hashlib.sha256(os.fsencode(path.name)).hexdigest()[:16]
        name = f".{digest}{path.suffix[:16]}.{os.getpid()}.tmp"
    return path.with_name(name)


def _on_signal(signum, frame) -> None:
    """Remove this process's temporaries, then do what the signal did before we came."""
    _remove_live()
    previous = _previous.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
        return
    signal.signal(signum, signal.SIG_DFL)  # die of the signal, as if we were never here
    os.kill(os.getpid(), signum)


def _remove_live() -> None:
    me = os.getpid()
    for tmp, pid in list(_live.items()):
        if pid == me:  # a forked worker inherits the parent's list: not its files
            with contextlib.suppress(OSError):
                shutil.rmtree(tmp) if tmp.is_dir() and not tmp.is_symlink() else tmp.unlink()


def _install_handlers() -> None:
    """Our SIGTERM/SIGHUP handlers, once per process, from the main thread only (Python allows
    no other); a signal ignored (``nohup``) or handled in C is left alone."""
    global _installed_in
    if _installed_in == os.getpid() or threading.current_thread() is not threading.main_thread():
        return
    _installed_in = os.getpid()
    for name in SIGNALS:
        signum = getattr(signal, name, None)
        if signum is None:  # Windows has no SIGHUP
            continue
        current = signal.getsignal(signum)
        if current is _on_signal or current in (signal.SIG_IGN, None):
            continue
        _previous[signum] = current
        signal.signal(signum, _on_signal)


@contextlib.contextmanager
def removed_on_exit(path: str | Path) -> Iterator[Path]:
    """Register ``path`` (a file or a folder being made) for removal if SIGTERM or SIGHUP ends
    the process while the block runs; the block itself removes it on any other failure.

    Parameters
    ----------
    path : str or Path
        A temporary file or folder of this process.

    Returns
    -------
    Iterator[Path]
        ``path``, while registered.
    """
    path = Path(path)
    _install_handlers()
    _live[path] = os.getpid()
    try:
        yield path
    finally:
        _live.pop(path, None)


def write_atomically(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Write ``path`` whole or not at all.

    ``write(temporary_path)`` fills a temporary name of this process beside ``path``, which is
    then renamed to ``path``; on any failure (a full disk, Ctrl-C, SIGTERM, SIGHUP) the
    temporary is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or Path
        The final name; its folder is created if missing.
    write : callable
        Called with the temporary's path; writes the content there.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OSError
        Naming ``path`` (never the temporary), with the cause (e.g. ENOSPC, EACCES).
    """
    path = Path(path)
    if len(os.fsencode(path.name)) > NAME_MAX:
        raise OSError(errno.ENAMETOOLONG, f"file name too long ({len(os.fsencode(path.name))} "
                      f"bytes; a name holds at most {NAME_MAX})", named(path))
    tmp = temporary_name(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with removed_on_exit(tmp):
            try:
                write(tmp)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
    except OSError as err:
        if err.filename is None or str(err.filename) == str(tmp):  # name the file, not tmp
            raise OSError(err.errno, err.strerror or str(err), named(path)) from err
        raise
    return path


def reserve(path: str | Path, size: int) -> None:
    """Make the disk hold ``size`` bytes of ``path`` now.

    A memory map written on a full disk would otherwise end the process with SIGBUS instead of
    raising ENOSPC. (Called inside ``write_atomically``'s ``write``, which names the file.)

    Parameters
    ----------
    path : str or Path
        An existing file.
    size : int
        Bytes to allocate.
    """
    fd = os.open(path, os.O_RDWR)
    try:
        os.posix_fallocate(fd, 0, size)
    finally:
        os.close(fd)


def write_text(path: str | Path, text: str) -> Path:
    """``text`` written to ``path`` as UTF-8, atomically (``write_atomically``).

    Parameters
    ----------
    path : str or Path
        The file.
    text : str
        Its content.

    Returns
    -------
    Path
        ``path``.
    """
    return write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_bytes(path: str | Path, data: bytes) -> Path:
    """``data`` written to ``path`` atomically (``write_atomically``).

    Parameters
    ----------
    path : str or Path
        The file.
    data : bytes
        Its content.

    Returns
    -------
    Path
        ``path``.
    """
    return write_atomically(path, lambda tmp: tmp.write_bytes(data))


def write_json(path: str | Path, value, indent: int | None = 1) -> Path:
    """``value`` as strict JSON (no NaN or infinity: ``ValueError``), written atomically.

    Parameters
    ----------
    path : str or Path
        The file.
    value : object
        Anything ``json.dumps`` takes.
    indent : int or None
        ``json.dumps``'s indent.

    Returns
    -------
    Path
        ``path``.
    """
    return write_text(path, json.dumps(value, indent=indent, allow_nan=False) + "\n")


def copy(source: str | Path, target: str | Path) -> Path:
    """``source`` copied to ``target`` atomically: a full disk leaves the old ``target`` whole.

    Parameters
    ----------
    source : str or Path
        The file to copy.
    target : str or Path
        Where; replaced only once the copy is complete.

    Returns
    -------
    Path
        ``target``.
    """
    return write_atomically(target, lambda tmp: shutil.copyfile(source, tmp))


def read_json(path: str | Path):
    """The JSON value in ``path``; None if it is missing, empty, or not JSON.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    object or None
        The parsed value.
    """
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None


class Claimed(OSError):
    """Another process holds the folder; the message names it and says what to do."""

    def __init__(self, message: str):
        super().__init__(message)


class NotOurs(Claimed):
    """The folder holds files the package did not make; nothing in it was touched."""


def _owned(folder: Path, what: str, known: Iterable[str] | None,
           adopt: Callable[[Path], bool] | None = None) -> None:
    """Make ``folder`` the package's, or raise ``NotOurs`` without writing anything."""
    if folder.exists() and not folder.is_dir():
        raise NotOurs(f"{named(folder)}: not a folder (a {what} folder is wanted here)")
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / MARKER).is_file():
        return
    entries = sorted(p.name for p in folder.iterdir())
    known = set(known or ())
    if not entries:
        write_json(folder / MARKER, {"made_by": "bcser_utils", "what": what})
        return
    # an earlier version's folder: adopted as it is (unmarked, so nothing is written before the
    # command has checked its run.json and metrics.json)
    if adopt is not None and adopt(folder):
        return
    if not (set(entries) <= known and any((folder / name).is_file()
                                          for name in ("run.json", "metrics.json"))):
        strangers = [name for name in entries if name not in known] or entries
        shown = ", ".join(escape(name) for name in strangers[:3])
        more = f" and {len(strangers) - 3} more" if len(strangers) > 3 else ""
        raise NotOurs(f"{named(folder)}: holds files bcser did not write ({shown}{more}); "
                      f"nothing was changed: give an empty or new folder for this {what}")


@contextlib.contextmanager
def claim(folder: str | Path, what: str = "run",
          known: Iterable[str] | None = RUN_FOLDER,
          adopt: Callable[[Path], bool] | None = None) -> Iterator[Path]:
    """Hold ``folder`` for this process while the block runs, once it is the package's.

    The lock is a file beside the folder, ``.<name>.lock``, which the operating system releases
    when the process ends, however it ends. Then the folder must be the package's: missing or
    empty (it is created and marked), marked by an earlier claim, or a folder of an earlier
    version that holds only ``known`` names, run.json or metrics.json among them (adopted
    unmarked: the command checks those files before it writes anything).

    Parameters
    ----------
    folder : str or Path
        The folder a command writes into (``--out``).
    what : str
        What it holds, for the messages ("run", "study").
    known : iterable of str or None
        The names a folder of this kind holds (``RUN_FOLDER``), for adopting one of an earlier
        version; None adopts none.
    adopt : callable, optional
        Says whether an unmarked folder is one the package made (a study's folder of runs,
        ``runs.study_folder``): adopted as it is.

    Returns
    -------
    Iterator[Path]
        ``folder``.

    Raises
    ------
    Claimed
        Another process holds it.
    NotOurs
        It is a file, or holds files the package did not make (nothing is written).
    """
    from filelock import FileLock, Timeout

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder.parent / f".{folder.name}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise Claimed(f"{named(folder)}: another {what} is writing into this folder now; "
                      "wait for it to finish, or use another --out") from None
    try:
        _owned(folder, what, known, adopt)
        yield folder
    finally:
        lock.release()
