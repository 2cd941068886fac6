"""The RAVDESS corpus: find or download it, catalog it, validate it.

- ``find_corpus()`` picks the data: a folder you name, ``$BCSER_RAVDESS_DIR``, an earlier
  download, the development copy in ``../shared/data/ravdess``, a fresh checksummed download, and
  only when all of those fail, the synthetic offline corpus (``bcser_utils.audio.synthetic``).
- ``catalog()`` lists every file with its decoded name and audio facts as a DataFrame, and marks
  byte-identical files (RAVDESS has one such pair in Actor_07) so splits keep them together.
- ``validate()`` compares a folder with the 1,440 expected names.
- a file's audio is read and checked by ``audio_input.load_audio``.

Notebook: 01_dataset_exploration.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
import zipfile
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import soundfile as sf

from bcser_utils import config, files
from bcser_utils.audio import synthetic
from bcser_utils.audio.audio_input import AudioError, load_audio
from bcser_utils.audio.names import BadNameError, expected_names, parse_name
from bcser_utils.messages import display_path, named

if TYPE_CHECKING:  # pandas is imported where a catalog is built: `predict` never needs it
    import pandas as pd

AUDIO_SUFFIXES = (".wav", ".flac")


class PartialCorpusWarning(UserWarning):
    """Files or actors of the corpus that are missing or were skipped, named in the message."""


class CorpusError(ValueError):
    """A corpus folder with nothing to train on (no RAVDESS names, or none of the actors the
    mode needs). The message names the folder and what to do."""


class MisplacedFileWarning(UserWarning):
    """A file whose name's actor contradicts its Actor_NN folder; the name decides, and the
    warning names the file (a file filed under the wrong speaker could leak across P3 folds)."""


# ---------------------------------------------------------------------------------------------
# Catalog and validation


MAX_DEPTH = 4  # folders below a corpus root searched (RAVDESS: Actor_NN/ at depth 1)
MAX_ENTRIES = 20_000  # files and folders looked at before a tree is refused as no corpus


def audio_files(root: str | Path) -> list[Path]:
    """Every .wav/.flac file under ``root``, sorted: at most ``MAX_DEPTH`` folders down, links
    to folders not followed.

    Parameters
    ----------
    root : str or Path
        The corpus folder.

    Returns
    -------
    list[Path]
        The audio files.

    Raises
    ------
    CorpusError
        A tree of more than ``MAX_ENTRIES`` entries (``data check /``): refused at once rather
        than scanned for minutes.
    """
    root, found, seen = Path(root), [], 0
    for folder, dirs, names in os.walk(root):
        seen += len(dirs) + len(names)
        if seen > MAX_ENTRIES:
            raise CorpusError(f"{named(root)}: more than {MAX_ENTRIES:,} files and folders "
                              "within reach; not a corpus folder (RAVDESS holds Actor_01/ … "
                              "Actor_24/)")
        if len(Path(folder).relative_to(root).parts) >= MAX_DEPTH:
            dirs.clear()
        found += [Path(folder) / n for n in names if Path(n).suffix.lower() in AUDIO_SUFFIXES]
    return sorted(p for p in found if p.is_file())


def check_folder(root: str | Path) -> Path:
    """``root`` as a corpus folder, or the error that says what it is instead.

    Parameters
    ----------
    root : str or Path
        A folder given as a corpus.

    Returns
    -------
    Path
        ``root``.

    Raises
    ------
    FileNotFoundError
        It does not exist.
    CorpusError
        It is a file (``data check file.wav``) or another non-folder.
    """
    root = Path(root)
    if root.is_dir():
        return root
    if not root.exists():
        raise FileNotFoundError(f"{named(root)}: no such corpus folder")
    kind = "a file" if root.is_file() else "not a folder"
    raise CorpusError(f"{named(root)}: {kind}, not a corpus folder (give the folder that holds "
                      "Actor_01/ … Actor_24/)")


def _content_hash(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def _duplicate_groups(paths: list[Path]) -> list[list[Path]]:
    """Groups of byte-identical files. Files are compared by size first, hashed only on a tie."""
    by_size = defaultdict(list)
    for p in paths:
        by_size[p.stat().st_size].append(p)
    groups = []
    for same_size in (g for g in by_size.values() if len(g) > 1):
        by_hash = defaultdict(list)
        for p in same_size:
            by_hash[_content_hash(p)].append(p)
        groups += [sorted(g) for g in by_hash.values() if len(g) > 1]
    return sorted(groups)


def catalog(root: str | Path, actors=None, warn: bool = True) -> pd.DataFrame:
    """One row per usable RAVDESS speech file under ``root``, sorted by actor and name.

    Columns: path, name, actor, sex, emotion, emotion_code, intensity, statement, repetition,
    duration, sample_rate, channels, frames, duplicate_group (−1 unless the file is
    byte-identical to another, e.g. Actor_07's ``03-01-03-01-02-0{1,2}-07``).
    ``actors`` keeps only those actors. Files that are not RAVDESS speech or cannot be read are
    left out and listed in ``df.attrs["unexpected"]`` / ``df.attrs["unreadable"]`` as
    ``(path, reason)``; ``df.attrs["synthetic"]`` says whether the corpus is the synthetic one.

    Notebook: 01_dataset_exploration.

    Parameters
    ----------
    root : str or Path
        The corpus folder (``Actor_NN/`` subfolders of .wav or .flac files).
    actors : iterable of int or None, optional
        Keep only these actors (1–24); None: every actor.
    warn : bool, optional
        Warn (``PartialCorpusWarning`` and others) about skipped files, missing actors and a
        file filed under the wrong actor's folder (default True).

    Returns
    -------
    pandas.DataFrame
        One row per usable file, with the columns above and the ``attrs`` above.

    Raises
    ------
    FileNotFoundError, CorpusError
        If ``root`` is not an existing folder (``check_folder``).
    """
    root = check_folder(root)
    rows, unexpected, unreadable, seen = [], [], [], {}
    for path in audio_files(root):
        try:
            name = parse_name(path)
        except BadNameError as err:
            unexpected.append((str(path), err.cause))
            continue
        if (name.modality, name.vocal_channel) != (3, 1):
            unexpected.append((str(path), "not an audio-only speech file (03-01-…)"))
            continue
        if actors is not None and name.actor not in actors:
            continue
        folder = path.parent.name
        if warn and folder.startswith("Actor_") and folder[6:].isdigit() \
                and int(folder[6:]) != name.actor:
            warnings.warn(f"{path}: its name says actor {name.actor:02d}, its folder {folder}; "
                          f"catalogued as actor {name.actor:02d} (move it, or check the name)",
                          MisplacedFileWarning, stacklevel=2)
        if name.stem in seen:
            unexpected.append((str(path), f"a second copy of {name.stem} "
                                          f"(first: {seen[name.stem]})"))
            continue
        try:
            info = sf.info(str(path))
        except (sf.LibsndfileError, RuntimeError) as err:
            unreadable.append((str(path), f"not readable as audio ({err})"))
            continue
        if info.frames == 0:
            unreadable.append((str(path), "contains no samples"))
            continue
        seen[name.stem] = path.name
        rows.append({
            "path": path, "name": name.stem, "actor": name.actor, "sex": name.sex,
            "emotion": name.emotion_name, "emotion_code": name.emotion,
            "intensity": name.intensity_name, "statement": name.statement,
            "repetition": name.repetition, "duration": info.frames / info.samplerate,
            "sample_rate": info.samplerate, "channels": info.channels, "frames": info.frames,
        })
    columns = ["path", "name", "actor", "sex", "emotion", "emotion_code", "intensity",
               "statement", "repetition", "duration", "sample_rate", "channels", "frames"]
    import pandas as pd

    df = pd.DataFrame(rows, columns=columns).sort_values(["actor", "name"], ignore_index=True)
    df["duplicate_group"] = -1
    for group_id, group in enumerate(_duplicate_groups(list(df["path"]))):
        df.loc[df["path"].isin(group), "duplicate_group"] = group_id
    df.attrs.update(root=str(root), synthetic=synthetic.is_synthetic(root),
                    unexpected=unexpected, unreadable=unreadable)
    if warn:
        for path, reason in unexpected + unreadable:
            warnings.warn(f"skipped {path}: {reason}", PartialCorpusWarning, stacklevel=2)
        present = set(df["actor"])
        wanted = set(actors) if actors is not None else set(range(1, 25))
        if missing := sorted(wanted - present):
            warnings.warn(f"{root}: no files for actor(s) {', '.join(f'{a:02d}' for a in missing)}"
                          f"; continuing with {len(present)} actor(s)", PartialCorpusWarning,
                          stacklevel=2)
    return df


@dataclass
class CorpusReport:
    """What ``validate()`` found in a corpus folder. Notebook: 01_dataset_exploration."""

    root: str
    synthetic: bool
    n_files: int
    actors: list[int]
    files_per_emotion: dict[str, int]
    sample_rates: dict[int, int]
    stereo_files: list[str]
    duplicates: list[list[str]]
    missing_actors: list[int]
    missing: list[str] = field(repr=False)  # every expected name not found, all 24 actors
    missing_in_present_actors: list[str] = field(default_factory=list)
    unexpected: list[tuple[str, str]] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.n_files > 0

    @property
    def complete(self) -> bool:
        return not self.missing and not self.unexpected and not self.unreadable

    def to_dict(self) -> dict:
        """The report as plain data (``dataclasses.asdict``), with ``usable`` and ``complete``.

        Returns
        -------
        dict
            Every field, plus the two properties.
        """
        return asdict(self) | {"usable": self.usable, "complete": self.complete}

    def summary(self) -> str:
        """The report as the lines ``data check`` prints (long lists cut at 10 names).

        Returns
        -------
        str
            Lines joined by newlines: the kind of corpus and its folder, file and actor counts,
            files per emotion, sample rates, stereo files, byte-identical groups, what is
            missing, unexpected and unreadable.
        """
        def names(items, limit=10):
            items = [str(i) for i in items]
            more = f" … and {len(items) - limit} more" if len(items) > limit else ""
            return ", ".join(items[:limit]) + more if items else "none"

        kind = "SYNTHETIC corpus (not RAVDESS)" if self.synthetic else "RAVDESS corpus"
        lines = [
            f"{kind} at {display_path(self.root)}",
            f"files: {self.n_files} of 1440 expected; actors: {len(self.actors)} "
            f"({names([f'{a:02d}' for a in self.actors], 24)})",
            "per emotion: " + ", ".join(f"{k} {v}" for k, v in self.files_per_emotion.items()),
            "sample rates: " + (", ".join(f"{r} Hz × {n}" for r, n in self.sample_rates.items())
                                 or "none"),
            f"stereo files: {len(self.stereo_files)} ({names(self.stereo_files)})",
            f"byte-identical groups: {len(self.duplicates)} "
            f"({names([' = '.join(g) for g in self.duplicates])})",
            f"missing actors: {names([f'{a:02d}' for a in self.missing_actors], 24)}",
            f"missing files of present actors: {len(self.missing_in_present_actors)} "
            f"({names(self.missing_in_present_actors)})",
            f"unexpected files: {len(self.unexpected)} "
            f"({names([f'{p} ({r})' for p, r in self.unexpected])})",
            f"unreadable files: {len(self.unreadable)} "
            f"({names([f'{p} ({r})' for p, r in self.unreadable])})",
        ]
        return "\n".join(lines)


def _decode_problem(path) -> str | None:
    """Why ``load_audio`` refuses ``path``, or None if it loads."""
    try:
        load_audio(path)
    except AudioError as err:
        return err.cause
    return None


def validate(root: str | Path, decode: bool = True, workers: int | None = None) -> CorpusReport:
    """Compare a corpus folder with the 1,440 expected RAVDESS speech names.

    With ``decode`` (the default) every file is also decoded and checked as training will read
    it (``load_audio``: truncated, silent, NaN/inf, channels, rate, length), on ``workers``
    processes (default: every core; 1,200 FLAC files in a few seconds); a bad file is listed in
    ``unreadable`` with its cause and does not count as usable. Notebook: 01_dataset_exploration.

    Parameters
    ----------
    root : str or Path
        The corpus folder.
    decode : bool, optional
        Also decode every file as training will (default True); False reads names and headers
        only.
    workers : int or None, optional
        Processes that decode; None: one per CPU core.

    Returns
    -------
    CorpusReport
        What was found: counts, missing, unexpected and unreadable files.

    Raises
    ------
    FileNotFoundError, CorpusError
        If ``root`` is not an existing folder (``check_folder``).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = catalog(root)
    if decode and len(df):
        from concurrent.futures import ProcessPoolExecutor

        paths = [str(p) for p in df["path"]]
        workers = min(workers or os.cpu_count() or 1, len(paths))
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                problems = list(pool.map(_decode_problem, paths, chunksize=16))
        else:
            problems = [_decode_problem(p) for p in paths]
        bad = [(path, cause) for path, cause in zip(paths, problems, strict=True) if cause]
        if bad:
            df.attrs["unreadable"] = df.attrs["unreadable"] + bad
            df = df[~df["path"].astype(str).isin({path for path, _ in bad})]
    emotions = config.get_config().emotions
    found = set(df["name"])
    expected = [n.stem for n in expected_names()]
    actors = sorted(int(a) for a in df["actor"].unique())
    missing = [n for n in expected if n not in found]
    counts = Counter(df["emotion"])
    return CorpusReport(
        root=str(root), synthetic=bool(df.attrs["synthetic"]), n_files=len(df), actors=actors,
        files_per_emotion={e: counts.get(e, 0) for e in emotions},
        sample_rates={int(r): int(n) for r, n in sorted(Counter(df["sample_rate"]).items())},
        stereo_files=sorted(df.loc[df["channels"] > 1, "name"]),
        duplicates=[sorted(g["name"]) for _, g in df[df["duplicate_group"] >= 0]
                    .groupby("duplicate_group")],
        missing_actors=sorted(set(range(1, 25)) - set(actors)),
        missing=missing,
        missing_in_present_actors=[n for n in missing if int(n[-2:]) in actors],
        unexpected=df.attrs["unexpected"], unreadable=df.attrs["unreadable"],
    )


# ---------------------------------------------------------------------------------------------
# Download


def data_dir() -> Path:
    """Where downloads and caches go: ``$BCSER_DATA_DIR``, else the checkout's ``data/``, else
    the user cache folder.

    Returns
    -------
    Path
        The folder (which may not exist yet).
    """
    if env := os.environ.get(config.DATA_DIR_ENV):
        return Path(env).expanduser()
    if (config.REPO_ROOT / "data" / "README.md").exists():
        return config.REPO_ROOT / "data"
    import pooch

    return Path(pooch.os_cache("bcser"))


DOWNLOAD_DEADLINE_S = 3_600.0  # the whole transfer: 208 MB at 60 kB/s; a trickle never ends
READ_TIMEOUT_S = 60.0  # one read that brings nothing
STAMP = ".extracted-from"  # in ravdess/: the archive's MD5, then how many files it held


def _normal_permissions(folder: Path) -> None:
    """Folders 0777 and files 0666, less the umask (0755/0644 usually), as ``mkdir`` and
    ``open`` make them: ``mkdtemp`` makes 0700, which others on a shared machine cannot read."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def safe_extract(archive: str | Path, dest: str | Path) -> Path:
    """Extract a zip archive into ``dest``, refusing any member that would land outside it.

    The whole archive is checked before anything is written, and it is unpacked into a temporary
    folder that replaces ``dest`` only when extraction succeeded and every member is there at its
    size, so a bad archive leaves no trace (a SIGTERM or SIGHUP neither: ``files``). The folder
    gets the usual permissions (``_normal_permissions``).

    Parameters
    ----------
    archive : str or Path
        A zip file.
    dest : str or Path
        The folder to make (replaced whole).

    Returns
    -------
    Path
        ``dest``, resolved.
    """
    dest = Path(dest).resolve()
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        for member in members:
            target = (dest / member.filename).resolve()
            if member.filename.startswith(("/", "\\")) or not target.is_relative_to(dest):
                raise ValueError(f"{archive}: member {member.filename!r} would be written outside "
                                 f"{dest}; refusing to extract")
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=dest.parent))
        try:
            with files.removed_on_exit(staging):
                zf.extractall(staging)
                for member in members:  # verified: every file there, whole
                    got = staging / member.filename
                    if not member.is_dir() and (not got.is_file()
                                                or got.stat().st_size != member.file_size):
                        raise ValueError(f"{archive}: {member.filename} did not extract whole")
                _normal_permissions(staging)
                if dest.exists():
                    shutil.rmtree(dest)
                staging.replace(dest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return dest


def _stamp_trusted(extracted: Path, md5: str) -> bool:
    """Whether ``extracted`` is a complete extraction of the archive ``md5`` names: its stamp
    says so and the files it counted are there (a stamp over an empty or partial tree is not
    trusted; an older stamp without a count needs at least one audio file)."""
    try:
        lines = (extracted / STAMP).read_text().split()
    except (OSError, UnicodeDecodeError):
        return False
    if not lines or lines[0] != md5:
        return False
    present = sum(1 for p in extracted.rglob("*") if p.is_file() and p.name != STAMP)
    return present >= int(lines[1]) if len(lines) > 1 and lines[1].isdigit() else \
        _has_audio(extracted)


def _fetcher(deadline_s: float):
    """A pooch downloader with an overall deadline: pooch's own timeout is per read, so a
    server sending a byte every few seconds would never end. Its temporary file goes on SIGTERM
    or SIGHUP too (``files.removed_on_exit``)."""
    import time

    import requests

    def fetch(url: str, output_file, pooch_obj=None, check_only: bool = False):
        ends = time.monotonic() + deadline_s
        # pooch has made the temporary already: registered first, so that a signal during the
        # connection removes it too
        with files.removed_on_exit(output_file), \
                requests.get(url, stream=True, timeout=(30, READ_TIMEOUT_S)) as response:
            response.raise_for_status()
            if check_only:
                return True
            with open(output_file, "wb") as out:
                while chunk := response.raw.read1(1 << 16, decode_content=True):
                    out.write(chunk)
                    if time.monotonic() > ends:
                        raise TimeoutError(f"{url}: the download did not finish within "
                                           f"{deadline_s:g} s; try again later")
        return None

    return fetch


def download(dest: str | Path | None = None, url: str | None = None, md5: str | None = None,
             progress: bool = True, deadline_s: float = DOWNLOAD_DEADLINE_S) -> Path:
    """Fetch the official RAVDESS speech archive (checksummed, cached) and extract it.

    Concurrent callers (two notebooks started together) take turns on a lock in ``dest``: one
    downloads and extracts, the others wait and then find its result. The stamp
    ``ravdess/.extracted-from`` is written only after a complete, verified extraction, and is
    trusted only while the files it counted are there. A cached archive whose MD5 does not match
    (an interrupted or corrupted download) is fetched again; a download that does not match is
    refused and not kept; a transfer that outlasts ``deadline_s`` is abandoned.

    Parameters
    ----------
    dest : str or Path or None
        Where the archive and ``ravdess/`` go (default: ``data_dir()``).
    url, md5 : str or None
        Default to the Zenodo record in the config.
    progress : bool
        Show pooch's progress bar.
    deadline_s : float
        The whole transfer's time limit.

    Returns
    -------
    Path
        The extracted folder ``<dest>/ravdess``.

    Notebook: 01_dataset_exploration.
    """
    import pooch
    from filelock import FileLock

    corpus = config.get_config().corpus
    dest = Path(dest) if dest else data_dir()
    url, md5 = url or corpus.url, md5 or corpus.archive_md5
    extracted = dest / "ravdess"
    stamp = extracted / STAMP
    if not stamp.exists() and extracted.is_dir() and any(extracted.iterdir()):
        # not ours: extracting replaces the folder whole, and would delete the user's files;
        # said before the 200 MB download, not after it
        raise CorpusError(f"{named(extracted)}: already holds files that no download put "
                          "there; refusing to replace them: move them, or download elsewhere "
                          f"({config.DATA_DIR_ENV}=…)")
    dest.mkdir(parents=True, exist_ok=True)
    with FileLock(dest / ".ravdess.lock"):  # the others wait here for one download
        for stale in dest.glob("tmp????????"):  # a killed pooch's temporary (SIGKILL)
            if stale.is_file():
                stale.unlink(missing_ok=True)
        if not _stamp_trusted(extracted, md5):
            archive = Path(pooch.retrieve(url, known_hash=f"md5:{md5}",
                                          fname=corpus.archive_name, path=dest,
                                          progressbar=progress,
                                          downloader=_fetcher(deadline_s)))
            with zipfile.ZipFile(archive) as zf:
                count = sum(1 for m in zf.infolist() if not m.is_dir())
            safe_extract(archive, extracted)
            files.write_text(stamp, f"{md5}\n{count}\n")
    report = validate(extracted)
    if report.missing or report.unexpected:
        warnings.warn(f"{display_path(extracted)}: {len(report.missing)} expected files "
                      f"missing, {len(report.unexpected)} unexpected", stacklevel=2)
    return extracted


# ---------------------------------------------------------------------------------------------
# Which corpus to use


@dataclass(frozen=True)
class CorpusLocation:
    """The corpus a notebook runs on, and where it came from. Notebook: 01_dataset_exploration."""

    root: Path
    origin: str  # "given", "environment", "download", "development copy", "synthetic"

    @property
    def synthetic(self) -> bool:
        return synthetic.is_synthetic(self.root)

    @property
    def label(self) -> str:
        if self.synthetic:
            return "SYNTHETIC offline corpus (not RAVDESS: results say nothing about real speech)"
        return f"RAVDESS ({self.origin})"


def _development_copies() -> list[Path]:
    """``shared/data/ravdess`` beside the checkout or the working folder (the course's dev copy)."""
    bases = [config.REPO_ROOT, Path.cwd(), *Path.cwd().parents]
    return [b.parent / "shared" / "data" / "ravdess" for b in bases] + \
           [b / "shared" / "data" / "ravdess" for b in bases]


def _has_audio(root: Path) -> bool:
    return root.is_dir() and any(root.glob("Actor_*/*.*"))


def find_corpus(path: str | Path | None = None, allow_download: bool | None = None,
                progress: bool = True, cfg: config.Config | None = None) -> CorpusLocation:
    """Pick the corpus: ``path``; ``$BCSER_RAVDESS_DIR``; a previous download; the development
    copy ``../shared/data/ravdess``; a download (unless ``$BCSER_OFFLINE`` says offline:
    ``config.offline``); else synthetic.

    The synthetic corpus is made for the actors of ``cfg.mode`` (all 24 in full mode).

    Notebook: 01_dataset_exploration.

    Parameters
    ----------
    path : str or Path or None, optional
        A corpus folder to use; None: look in the places above, in order.
    allow_download : bool or None, optional
        Whether to download when no copy is found; None: unless ``config.offline()``. A failed
        download warns and falls back to the synthetic corpus.
    progress : bool, optional
        Show download and synthesis progress (default True).
    cfg : config.Config or None, optional
        Which actors a synthetic corpus gets; None: ``config.get_config()``.

    Returns
    -------
    CorpusLocation
        The folder and where it came from.

    Raises
    ------
    FileNotFoundError
        If ``path`` or ``$BCSER_RAVDESS_DIR`` holds no ``Actor_*/`` audio files.
    """
    if path is not None:
        if not _has_audio(Path(path)):
            raise FileNotFoundError(f"{path}: no Actor_*/ audio files here")
        return CorpusLocation(Path(path), "given")
    if env := os.environ.get(config.RAVDESS_DIR_ENV):
        if not _has_audio(Path(env)):
            raise FileNotFoundError(f"{config.RAVDESS_DIR_ENV}={env}: no Actor_*/ audio files")
        return CorpusLocation(Path(env), "environment")
    if _has_audio(data_dir() / "ravdess"):
        return CorpusLocation(data_dir() / "ravdess", "download")
    for candidate in _development_copies():
        if _has_audio(candidate):
            return CorpusLocation(candidate, "development copy, actors 01–20")
    if allow_download is None:
        allow_download = not config.offline()
    if allow_download:
        try:
            return CorpusLocation(download(progress=progress), "download")
        except Exception as err:  # no network, a refused checksum, …: fall back, loudly
            warnings.warn(f"RAVDESS download failed ({err}); using the synthetic corpus",
                          stacklevel=2)
    actors = (cfg or config.get_config()).mode.actors or range(1, 25)
    root = synthetic.make_corpus(data_dir() / "synthetic_ravdess", actors=actors,
                                 progress=progress)
    return CorpusLocation(root, "synthetic")


def describe(location: CorpusLocation, df: pd.DataFrame, cfg: config.Config) -> str:
    """The line every notebook prints first: which data, how much of it, and which mode (with
    what quick mode cuts: the versions per recording and the epochs).

    Parameters
    ----------
    location : CorpusLocation
        Where the corpus came from (``find_corpus``).
    df : pandas.DataFrame
        Its catalog (``catalog``), whose files and actors are counted.
    cfg : config.Config
        The configuration whose mode is said.

    Returns
    -------
    str
        One line, e.g. "Data: … · 1200 files · 20 actors (01–20) · mode: full".
    """
    actors = sorted(df["actor"].unique())
    span = f"{actors[0]:02d}–{actors[-1]:02d}" if actors else "none"
    cuts = [f"{cfg.augment.n_versions} versions per recording"] if cfg.mode.versions else []
    cuts += [f"≤ {cfg.mode.max_epochs} epochs"] if cfg.mode.max_epochs else []
    cuts += [f"{cfg.training.epoch_repeats} passes each"] if cfg.mode.epoch_repeats != 1 else []
    return (f"Data: {location.label} · {len(df)} files · {len(actors)} actors ({span}) · "
            f"mode: {cfg.mode.name}" + (f" ({', '.join(cuts)})" if cuts else ""))


def report_json(report: CorpusReport) -> str:
    """A validation report as JSON (what ``data check --json`` prints).

    Parameters
    ----------
    report : CorpusReport
        ``validate``'s result.

    Returns
    -------
    str
        ``report.to_dict()`` as indented JSON (paths as strings).
    """
    return json.dumps(report.to_dict(), indent=2, default=str)
