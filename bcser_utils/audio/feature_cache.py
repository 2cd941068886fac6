"""The cached dataset builder: recordings → (BC) → versions → 16 kHz → features, on disk.

``build(recordings, cfg, signal="bc")`` makes, for every recording of a catalog (any subset),
its ``n_versions`` versions (``augment.versions``: the original, 12 single augmentations, random
chains) and their feature tensors, in the paper's order: the BC filter on the original recording,
augmentation at ``cfg.augment.sample_rate`` (48 kHz), then resampling to 16 kHz inside
``features.extract``. The result is one float16 array of shape (recordings × versions, T, F)
(float32 for the eGeMAPS functionals, whose ratios can exceed float16's 65,504),
memory-mapped, plus an index table (recording, version, label, emotion, actor, …).

- **Keyed by every parameter that shapes it:** the folder name is a hash of the BC, augmentation
  and feature settings, the signal (ac/bc), the number of versions, the seed, the source code of
  the modules that make the tensors, and the recordings themselves (name, size and modification
  time). Change any and a new cache is built; nothing stale is reused.
- **Resumable:** each recording's tensor and its versions' labels are written to their own shard
  files, atomically, so an interrupted build (Ctrl-C, a full disk) continues where it stopped and
  loses no label. Every file of the cache is written under a temporary name of this process,
  then renamed.
- **Parallel:** recordings are spread over all cores, with a progress bar.
- **Self-healing:** a finished cache whose files disagree (a truncated ``features.npy``, an
  unreadable or empty ``meta.json``, an index of the wrong length, a meta.json that claims
  another signal, key or settings than its folder's) is rebuilt, with a ``CacheWarning`` that
  names it; so is an unreadable shard of an unfinished one.
- **Ctrl-C:** the worker processes ignore it and finish the recording in hand; the builder stops
  handing out work and raises ``KeyboardInterrupt`` within seconds.
- **One builder at a time:** a lock file per cache (``filelock``) makes a second process that asks
  for the same cache (two notebooks, a notebook and the CLI) wait, then reopen what the first
  built, instead of racing it for the same shard files.
- **Splits come later:** version 0 is always the untouched original and each recording's versions
  depend only on the seed and its own name, so a protocol that splits recordings before
  augmenting simply uses version 0 of its validation and test recordings.

Notebook: 04_features.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from bcser_utils import config, files, provenance
from bcser_utils.audio import audio_input, augment, clip, features, ravdess
from bcser_utils.messages import display_path, progress_bar

INDEX_COLUMNS = ["name", "actor", "sex", "emotion", "emotion_code", "intensity", "statement",
                 "repetition", "duplicate_group"]


def code_fingerprint() -> str:
    """A hash of the source that shapes the cached tensors, so that a change of code (not only
    of parameters) never reuses tensors the old code made: ``provenance.CACHED_FEATURES``, the
    one list of that code (bc, augment, features and clip whole; ``audio_input``'s check and
    decoder; this module's ``recording_features``, not the code that stores and reads tensors,
    such as ``FeatureDataset``, whose edits change no tensor). Comments, docstrings and layout
    are left out (``provenance.code_of``). Taken when this module is imported, so it describes
    the code this process runs even if a file is edited later.

    Returns
    -------
    str
        The hash, in hex.
    """
    return _CODE_FINGERPRINT


def _fingerprint() -> str:
    return provenance.code_digest(source for name in provenance.CACHED_FEATURES
                                  for source in provenance.sources(name))


MEMO = ".content-hashes.json"  # in the cache folder: a file's identity → its content's hash


def _identity(path: Path) -> str:
    """What changes whenever a file's bytes may have: device, inode, size, mtime and ctime in
    ns. ``cp -p``, ``rsync -a``, ``unzip`` and ``os.utime`` restore the mtime, but no user call
    sets the ctime, which every write moves."""
    st = path.stat()
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def content_hashes(paths, memo_dir: str | Path | None = None) -> list[str]:
    """Each file's content hash (BLAKE2b, 128 bits), remembered by its identity (``_identity``)
    in ``memo_dir/.content-hashes.json``, so that a warm rerun reads no audio.

    Measured on the 1,200 FLACs of the development copy (105 MB): 0.45 s to hash them all,
    0.01 s when remembered (2026-12-08, 2 shared cores).

    Parameters
    ----------
    paths : iterable of str or Path
        The files.
    memo_dir : str or Path or None
        Where the memo is kept; None keeps none.

    Returns
    -------
    list[str]
        Their hashes, in order.
    """
    memo_path = Path(memo_dir) / MEMO if memo_dir else None
    memo = (files.read_json(memo_path) if memo_path else None) or {}
    memo = memo if isinstance(memo, dict) else {}
    digests, changed = [], False
    for path in map(Path, paths):
        identity = f"{path.resolve()}|{_identity(path)}"
        if not isinstance(digest := memo.get(identity), str):
            h = hashlib.blake2b(digest_size=16)
            with open(path, "rb") as f:
                while block := f.read(1 << 20):
                    h.update(block)
            memo[identity], digest, changed = h.hexdigest(), h.hexdigest(), True
        digests.append(digest)
    if memo_path and changed:
        with contextlib.suppress(OSError):  # a read-only cache still works, only slower
            files.write_json(memo_path, memo, indent=None)
    return digests


def cache_key(recordings: pd.DataFrame, cfg: config.Config, signal: str, n_versions: int,
              seed: int, memo_dir: str | Path | None = None) -> str:
    """A hash of everything that shapes the cached tensors (see the module docstring), the
    recordings' content among them (``content_hashes``: a file rewritten with its old size and
    mtime, as ``cp -p`` and ``rsync -a`` leave it, changes the key).

    Parameters
    ----------
    recordings : DataFrame
        A catalog (name, path).
    cfg : Config
        The settings.
    signal : str
        "bc" or "ac".
    n_versions, seed : int
        The augmentation's.
    memo_dir : str or Path or None
        Where the content hashes are remembered.

    Returns
    -------
    str
        16 hex digits.
    """
    names = list(recordings["name"])
    files = list(zip(names, content_hashes(recordings["path"], memo_dir), strict=True))
    shape = {"bc": asdict(cfg.bc), "augment": asdict(cfg.augment),
             "features": asdict(cfg.features), "signal": signal, "n_versions": n_versions,
             "seed": seed, "code": code_fingerprint(), "files": sorted(files)}
    return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()[:16]


def recording_features(path: str | Path, name: str, cfg: config.Config, signal: str,
                       n_versions: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """All versions of one recording as a (n_versions, T, F) array (``clip.dtype``), and their
    labels: the clip path (``clip``) with augmentation between its two steps.

    Parameters
    ----------
    path : str or Path
        The recording.
    name : str
        Its RAVDESS name, which seeds its augmentation (``augment.recording_seed``).
    cfg : config.Config
        The BC filter, augmentation and feature settings.
    signal : str
        "bc" (synthetic BC speech, the paper) or "ac" (the recording as it is).
    n_versions : int
        How many versions (the original among them, as ``augment.versions`` makes them).
    seed : int
        The run's seed.

    Returns
    -------
    tensor : numpy.ndarray
        Shape (n_versions, T, F): one feature tensor per version.
    labels : list of str
        Each version's augmentation label, in the same order.

    Raises
    ------
    AudioError
        If the recording cannot be read (``clip.read``).
    """
    audio, rate = clip.read(path, cfg)
    made = augment.versions(clip.heard(audio, rate, signal, cfg.bc), rate, n=n_versions,
                            seed=augment.recording_seed(seed, name), params=cfg.augment)
    return (np.stack([clip.tensor(version, rate, cfg.features) for _, version in made]),
            [label for label, _ in made])


def _build_shard(job) -> tuple[str, list[str]]:
    path, name, cfg, signal, n_versions, seed, shard = job
    tensor, labels = recording_features(path, name, cfg, signal, n_versions, seed)
    if not np.isfinite(tensor).all():  # never cached: it would surface as NaN epochs later
        raise audio_input.AudioError(path, "its features hold NaN or infinite values")
    files.write_text(shard.with_suffix(".json"), json.dumps(labels))  # the labels first: a
    files.write_bytes(shard, _npy(tensor))  # shard is done when its .npy
    return name, labels  # exists, and then its labels exist too


def _npy(array: np.ndarray) -> memoryview:
    """``array`` as the bytes of a .npy file: saved through a buffer, because ``np.save`` into a
    real file reports a full disk without its errno (and so without the file's name)."""
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getbuffer()


def _shard_labels(shard: Path, n_versions: int) -> list[str] | None:
    """A finished shard's labels, or None if the shard is missing or damaged (its tensor
    unreadable or of the wrong length, its labels empty or unreadable): then it is made again."""
    labels = files.read_json(shard.with_suffix(".json"))
    if not (isinstance(labels, list) and len(labels) == n_versions
            and all(isinstance(label, str) for label in labels)):
        return None
    try:
        if np.load(shard, mmap_mode="r").shape[0] != n_versions:
            return None
    except (OSError, ValueError, EOFError):  # EOFError: an empty file
        return None
    return labels


class FeatureCache:
    """A built cache: ``features`` (memory-mapped, (N, T, F)) and ``index`` (N rows).

    Parameters
    ----------
    folder : Path
        A finished cache folder (``features.npy``, ``index.csv``, ``meta.json``), as ``build``
        returns it.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.index = pd.read_csv(self.folder / "index.csv")
        self.meta = json.loads((self.folder / "meta.json").read_text())
        self.features = np.load(self.folder / "features.npy", mmap_mode="r")

    def __len__(self) -> int:
        return len(self.index)

    @property
    def synthetic(self) -> bool:
        return bool(self.meta["synthetic"])

    def rows(self, names=None, versions=None) -> np.ndarray:
        """Row numbers of the given recordings (all if None) and versions (all if None).

        Parameters
        ----------
        names : iterable of str or None, optional
            RAVDESS recording names; None: every recording.
        versions : iterable of int or None, optional
            Version numbers (0: the original); None: every version.

        Returns
        -------
        numpy.ndarray
            The matching rows of ``features`` and ``index``, increasing.
        """
        keep = np.ones(len(self.index), dtype=bool)
        if names is not None:
            keep &= self.index["name"].isin(set(names)).to_numpy()
        if versions is not None:
            keep &= self.index["version"].isin(set(versions)).to_numpy()
        return np.flatnonzero(keep)


def build(recordings: pd.DataFrame, cfg: config.Config | None = None, signal: str = "bc",
          n_versions: int | None = None, seed: int | None = None,
          cache_dir: str | Path | None = None, workers: int | None = None,
          progress: bool = True) -> FeatureCache:
    """Build (or reopen) the feature cache of ``recordings`` (a catalog, any subset).

    ``signal`` is "bc" (the paper) or "ac" (the original recordings). A finished cache with the
    same key is reopened; a damaged one is rebuilt (with a ``CacheWarning``); an interrupted
    build resumes from its finished shards. Notebook: 04_features.

    Parameters
    ----------
    recordings : pandas.DataFrame
        Catalog rows (``ravdess.catalog``), any subset.
    cfg : config.Config or None, optional
        Default: ``config.get_config()``.
    signal : str, optional
        "bc" (default) or "ac".
    n_versions : int or None, optional
        Versions per recording; None: ``cfg.augment.n_versions``.
    seed : int or None, optional
        None: ``cfg.mode.seed``.
    cache_dir : str or Path or None, optional
        Where cache folders live; None: ``<data_dir>/cache``.
    workers : int or None, optional
        Processes that build the shards; None: chosen for the machine.
    progress : bool, optional
        Show a progress bar (default True).

    Returns
    -------
    FeatureCache
        The cache, in ``<cache_dir>/features-<signal>-<key>``.

    Raises
    ------
    ValueError
        For a ``signal`` other than "ac" or "bc".
    AudioError
        For a recording that cannot be read, or whose features are not finite.
    """
    from filelock import FileLock

    cfg = cfg or config.get_config()
    if signal not in ("ac", "bc"):
        raise ValueError(f"signal {signal!r}: expected 'ac' or 'bc'")
    n_versions = n_versions or cfg.augment.n_versions
    seed = cfg.mode.seed if seed is None else seed
    recordings = recordings.sort_values("name", ignore_index=True)
    root = Path(cache_dir or ravdess.data_dir() / "cache")
    key = cache_key(recordings, cfg, signal, n_versions, seed,
                    memo_dir=root if root.is_dir() or not root.exists() else None)
    folder = root / f"features-{signal}-{key}"
    expected = {"signal": signal, "n_versions": n_versions, "seed": seed, "key": key,
                "synthetic": bool(recordings.attrs.get("synthetic", False))}  # what meta claims
    if _complete(folder) and _damage(folder, expected) is None:
        return FeatureCache(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(folder / "build.lock"):
            if _complete(folder):  # built before, or by another process while this one waited
                if (problem := _damage(folder, expected)) is None:
                    return FeatureCache(folder)
                warnings.warn(f"{display_path(folder)}: {problem}; rebuilding it", CacheWarning,
                              stacklevel=2)
                for name in ("features.npy", "meta.json", "index.csv"):
                    (folder / name).unlink(missing_ok=True)
            return _build(recordings, cfg, signal, n_versions, seed, key, folder, workers,
                          progress)
    except BaseException:
        _remove_if_empty(folder)
        raise


def _remove_if_empty(folder: Path) -> None:
    """A failed first build leaves no empty cache folder (one with finished shards stays: the
    rerun resumes from them)."""
    shards = folder / "shards"
    if shards.is_dir() and not any(shards.iterdir()):
        shards.rmdir()
    with contextlib.suppress(OSError):
        if {p.name for p in folder.iterdir()} <= {"build.lock"}:
            (folder / "build.lock").unlink(missing_ok=True)
            folder.rmdir()


class CacheWarning(UserWarning):
    """A damaged feature cache that is being rebuilt; the message names it and the damage."""


def _complete(folder: Path) -> bool:
    return (folder / "features.npy").exists() and (folder / "meta.json").exists()


def _damage(folder: Path, expected: dict) -> str | None:
    """What is wrong with a finished cache (a truncated array, unreadable metadata, an index of
    the wrong length, metadata that claims another signal, key or settings than ``expected``,
    what the folder's name was made from), or None if its files agree."""
    meta = files.read_json(folder / "meta.json")
    try:
        shape = [int(n) for n in meta["shape"]]
    except (KeyError, TypeError, ValueError):
        return "meta.json is empty or unreadable"
    claims = [f"{k} {meta.get(k)!r}, not {v!r}" for k, v in expected.items() if meta.get(k) != v]
    if claims:
        return f"meta.json claims {'; '.join(claims)}"
    try:
        stored = np.load(folder / "features.npy", mmap_mode="r")
    except (OSError, ValueError, EOFError) as err:
        return f"features.npy is unreadable or truncated ({str(err)[:80]})"
    if list(stored.shape) != shape:
        return f"features.npy holds {list(stored.shape)}, meta.json says {shape}"
    try:
        index = pd.read_csv(folder / "index.csv")
    except OSError:
        return "index.csv is missing"
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
        return f"index.csv is unreadable ({str(err).splitlines()[0][:80]})"
    if missing := [c for c in [*INDEX_COLUMNS, "version", "label"] if c not in index.columns]:
        return f"index.csv lacks the column(s) {', '.join(missing)}"
    if len(index) != shape[0]:
        return f"index.csv has {len(index)} rows for {shape[0]} tensors"
    codes = pd.to_numeric(index["emotion_code"], errors="coerce")
    actors = pd.to_numeric(index["actor"], errors="coerce")
    if not (codes.between(1, 8).all() and actors.between(1, 99).all()):
        return "index.csv holds emotion codes or actors that are not RAVDESS's"
    rows = np.unique(np.linspace(0, len(stored) - 1, min(len(stored), 256)).astype(int))
    if len(stored) and not np.isfinite(stored[rows]).all():  # a sample: a whole scan is 1 GB
        return "features.npy holds NaN or infinite values"
    return None


def _build(recordings, cfg, signal, n_versions, seed, key, folder, workers, progress):
    """Make the missing shards (one per recording), then assemble features.npy and the index;
    meta.json, which marks the cache finished, is written last."""
    shards = folder / "shards"
    shards.mkdir(parents=True, exist_ok=True)
    for stale in shards.glob(".*.tmp"):  # left by a process that was killed while writing
        stale.unlink(missing_ok=True)
    labels = {row.name: _shard_labels(shards / f"{row.name}.npy", n_versions)
              for row in recordings.itertuples(index=False)}
    jobs = [(row.path, row.name, cfg, signal, n_versions, seed, shards / f"{row.name}.npy")
            for row in recordings.itertuples(index=False) if labels[row.name] is None]
    workers = workers or os.cpu_count() or 1
    with progress_bar(total=len(recordings), initial=len(recordings) - len(jobs),
              desc=f"features ({signal}, ×{n_versions})", disable=not progress) as bar:
        if workers > 1 and len(jobs) > 1:
            with ProcessPoolExecutor(workers, initializer=_quiet_worker,
                                     initargs=(os.getpid(),)) as pool:
                try:
                    for name, made in pool.map(_build_shard, jobs):
                        labels[name] = made
                        bar.update()
                except BaseException:  # Ctrl-C, or a failed recording: no further work
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
        else:
            for job in jobs:
                name, made = _build_shard(job)
                labels[name] = made
                bar.update()

    first = np.load(shards / f"{recordings.name[0]}.npy", mmap_mode="r")
    shape = (len(recordings) * n_versions, *first.shape[1:])
    rows = []

    def assemble(tmp: Path) -> None:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=first.dtype, shape=shape)
        files.reserve(tmp, tmp.stat().st_size)  # a full disk: ENOSPC here, not SIGBUS later
        for i, row in enumerate(recordings.itertuples(index=False)):
            out[i * n_versions:(i + 1) * n_versions] = np.load(shards / f"{row.name}.npy")
            rows.extend({**{c: getattr(row, c) for c in INDEX_COLUMNS}, "version": v,
                         "label": labels[row.name][v]} for v in range(n_versions))
        out.flush()
        del out

    files.write_atomically(folder / "features.npy", assemble)
    files.write_text(folder / "index.csv", pd.DataFrame(rows).to_csv(index=False))
    files.write_text(folder / "meta.json", json.dumps({
        "signal": signal, "n_versions": n_versions, "seed": seed, "key": key,
        "synthetic": bool(recordings.attrs.get("synthetic", False)),
        "n_recordings": len(recordings), "shape": list(shape),
        "config": {"bc": asdict(cfg.bc), "augment": asdict(cfg.augment),
                   "features": asdict(cfg.features)}}, indent=1, default=str))
    for shard in shards.iterdir():
        shard.unlink()
    shards.rmdir()
    return FeatureCache(folder)


# the builder code that ``code_fingerprint`` hashes
_CODE_FINGERPRINT = _fingerprint()


def die_with_parent(parent: int) -> None:
    """End this (worker) process when ``parent`` ends, however it ends (SIGTERM, SIGKILL):
    Linux's ``prctl(PR_SET_PDEATHSIG, SIGKILL)``; elsewhere a thread that watches the parent's
    pid. A worker orphaned before the call ends at once.

    Parameters
    ----------
    parent : int
        The parent's pid, taken in the parent (``os.getpid()``).
    """
    import signal
    import sys
    import threading
    import time

    armed = False
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            armed = ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL) == 0  # DEATHSIG
    if os.getppid() != parent:  # the parent died before the call
        os._exit(1)
    if armed:
        return

    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _quiet_worker(parent: int | None = None) -> None:
    """Each worker process uses one thread: two processes on two cores, not two threads each;
    and it dies with its parent (``die_with_parent``): a killed ``train`` orphans no worker.

    The pool's processes are forked after numpy, scipy and (maybe) torch have started their thread
    pools, so setting OMP_NUM_THREADS here would come too late; threadpoolctl resizes the pools
    already loaded. Measured on 120 recordings, 2 workers on 2 cores: 0.62 CPU s per recording
    with the default pools, 0.42 with one thread each (benchmarks/prepare.py).
    """
    import signal
    import sys

    from threadpoolctl import threadpool_limits

    if parent is not None:
        die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it stops
    # handing out work); a worker interrupted mid-reply would leave the parent waiting for ever
    os.environ["OMP_NUM_THREADS"] = "1"  # for libraries loaded later in the worker
    global _LIMITS
    _LIMITS = threadpool_limits(limits=1)  # kept referenced: the limit lasts the worker's life
    if "torch" in sys.modules:  # never import torch (2-3 s) into a worker that does not need it
        sys.modules["torch"].set_num_threads(1)


_LIMITS = None


class FeatureDataset:
    """A torch-style Dataset over rows of a FeatureCache: (float32 tensor (T, F), label index).

    ``normalizer`` is a ``normalize.Normalizer`` (or a ``features.Standardizer``, for the global
    statistics alone); each clip is normalised with its speaker's statistics when it asks for
    them. Notebook: 06_training.

    Parameters
    ----------
    cache : FeatureCache
        The built cache.
    rows : array_like of int
        The cache rows this dataset serves, in its order (``FeatureCache.rows``).
    normalizer : normalize.Normalizer or features.Standardizer
        The fitted normalisation.
    """

    def __init__(self, cache: FeatureCache, rows, normalizer):
        from bcser_utils.audio.normalize import Normalizer

        if isinstance(normalizer, features.Standardizer):
            normalizer = Normalizer(standardizer=normalizer)
        self.cache, self.rows, self.normalizer = cache, np.asarray(rows), normalizer
        self.labels = cache.index["emotion_code"].to_numpy()[self.rows] - 1
        self.speakers = cache.index["actor"].to_numpy()[self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):
        import torch

        x = self.normalizer.transform(self.cache.features[self.rows[i]], self.speakers[[i]])
        return torch.from_numpy(x), int(self.labels[i])

    def batch(self, positions):
        """Items ``positions`` as one (B, T, F) float32 tensor and (B,) labels: the rows are read
        from the memory-mapped cache in file order (one pass, no per-clip Python) and
        normalised together. Equal to stacking ``self[i]`` for each position.

        Parameters
        ----------
        positions : array_like of int
            Positions in this dataset (0 … len(self) − 1), not cache rows.

        Returns
        -------
        x : torch.Tensor
            Shape (B, T, F), float32, normalised.
        y : torch.Tensor
            Shape (B,), int64: the emotion indices (``emotion_code`` − 1).
        """
        import torch

        positions = np.asarray(positions)
        rows = self.rows[positions]
        order = np.argsort(rows, kind="stable")
        x = np.empty((len(rows), *self.cache.features.shape[1:]),
                      dtype=self.cache.features.dtype)
        x[order] = self.cache.features[rows[order]]
        return (torch.from_numpy(self.normalizer.transform(x, self.speakers[positions])),
                torch.from_numpy(self.labels[positions].astype(np.int64)))
