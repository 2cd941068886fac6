"""Benchmark the Table II augmentations (bcser_utils.audio.augment); see docs/design.md, Targets.

    python benchmarks/augment.py [--recordings N] [--workers 2] [--repeats 7]

(a) Time per transform, in ms: the median of ``--repeats`` runs after one warm-up, on 3 s of real
    speech at 16 kHz and at 48 kHz (the paper augments the 48 kHz originals).
(b) All 15 versions (``augment.versions``) of every development recording, with a process pool of
    ``--workers`` workers: each task loads one recording, makes its 15 versions and discards them,
    so memory stays flat. Next to it, the floor: the same pool only decoding the same recordings.
Peak memory is ``resource.getrusage`` ``ru_maxrss`` of this process and of its children (the
largest single child). The data, the machine's load and the CPU time are printed, since a busy
machine inflates wall time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import soxr

from bcser_utils import config
from bcser_utils.audio import audio_input, augment, ravdess


def _maxrss_mib(who: int) -> float:
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(who).ru_maxrss * scale / 2**20


def _cpu_s(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _decode(path: str) -> int:
    audio, _ = audio_input.load_audio(path)
    return audio.size


def _augment(path: str) -> int:
    """Load one recording, make its 15 versions, keep only their total length."""
    audio, rate = audio_input.load_audio(path)
    seed = augment.recording_seed(0, path)
    return sum(v.size for _, v in augment.versions(audio, rate, seed=seed))


def _warm(_: int) -> float:
    """Import and compile everything a worker needs (librosa, numba, pedalboard), once."""
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    x = (0.1 * rng.standard_normal(48_000)).astype(np.float32)
    augment.versions(x, 48_000)
    return time.perf_counter() - start


def time_transforms(clip: np.ndarray, rate: int, repeats: int) -> dict[str, float]:
    """Median wall time in ms of each transform (and of all 15 versions) on ``clip``."""
    times = {}
    for name in [*augment.TRANSFORMS, "versions (all 15)"]:
        runs = []
        for i in range(repeats + 1):
            start = time.perf_counter()
            if name in augment.TRANSFORMS:
                augment.apply(name, clip, rate, rng=i, p=1.0)
            else:
                augment.versions(clip, rate, seed=i)
            runs.append(time.perf_counter() - start)
        times[name] = 1000 * float(np.median(runs[1:]))  # the first run is a warm-up
    return times


def run_pool(fn, paths: list[str], workers: int) -> tuple[float, float, int]:
    """Wall seconds, pool warm-up seconds and the sum of fn's results over ``paths``."""
    context = multiprocessing.get_context("spawn")  # no fork of a process that holds threads
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        start = time.perf_counter()
        list(pool.map(_warm, range(workers)))
        warm = time.perf_counter() - start
        start = time.perf_counter()
        total = sum(pool.map(fn, paths, chunksize=4))
        return time.perf_counter() - start, warm, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recordings", type=int, default=None,
                        help="use only the first N recordings (default: every one present)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)

    cfg = config.get_config(mode="full")
    corpus = ravdess.find_corpus(cfg=cfg, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a partial corpus (actors 21-24 absent) is normal
        df = ravdess.catalog(corpus.root)
    if args.recordings is not None:
        df = df.iloc[:args.recordings]
    paths = [str(p) for p in df.path]
    print(ravdess.describe(corpus, df, cfg).replace("mode: full", "benchmark"))
    print(f"machine: {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f} "
          f"(1 min) at the start; python {sys.version.split()[0]}")

    # (a) per transform, on 3 s of real speech
    long_enough = df[df.duration >= 3.5]
    audio, rate = audio_input.load_audio(long_enough.path.iloc[0])
    clip48 = audio[int(0.5 * rate):int(3.5 * rate)]  # 3 s, skipping the leading silence
    clip16 = soxr.resample(clip48, rate, 16_000, quality="HQ")
    print(f"\n(a) time per transform: median of {args.repeats} runs on 3 s of "
          f"{long_enough.name.iloc[0]} (one warm-up run discarded)")
    t16 = time_transforms(clip16, 16_000, args.repeats)
    t48 = time_transforms(clip48, rate, args.repeats)
    print(f"{'transform':22s} {'16 kHz ms':>10s} {'48 kHz ms':>10s}")
    for name in t16:
        print(f"{name:22s} {t16[name]:10.2f} {t48[name]:10.2f}")

    # (b) 15 versions of every recording, against the decode-only floor
    n = len(paths)
    print(f"\n(b) {n} recordings × {cfg.augment.n_versions} versions, "
          f"{args.workers} worker processes (spawned; versions discarded as made)")
    cpu0 = _cpu_s(resource.RUSAGE_CHILDREN)
    decode_s, warm_d, samples = run_pool(_decode, paths, args.workers)
    cpu1 = _cpu_s(resource.RUSAGE_CHILDREN)
    augment_s, warm_a, made = run_pool(_augment, paths, args.workers)
    cpu2 = _cpu_s(resource.RUSAGE_CHILDREN)
    hours = samples / rate / 3600
    print(f"decode only         : {decode_s:7.1f} s  ({1000 * decode_s / n:6.1f} ms per recording; "
          f"{hours:.2f} h of audio; worker start {warm_d:.1f} s)")
    print(f"decode + 15 versions: {augment_s:7.1f} s  ({1000 * augment_s / n:6.1f} ms per "
          f"recording; {made / rate / 3600:.2f} h of audio made; worker start {warm_a:.1f} s)")
    print(f"augmentation alone ≈ {augment_s - decode_s:.1f} s; "
          f"{augment_s / decode_s:.1f}× the decode floor")
    print(f"CPU time of the workers, their start-up included: decode {cpu1 - cpu0:.1f} s, "
          f"decode + versions {cpu2 - cpu1:.1f} s "
          f"(wall × workers = {args.workers * augment_s:.1f} s)")
    if n:
        print(f"scaled to all 1,440 recordings: ≈ {augment_s * 1440 / n:.0f} s "
              "(docs/design.md, Targets: BC + 15 versions + features of all 1,440 in ≤ 300 s "
              "on 2 cores)")
    print(f"\npeak memory (ru_maxrss): this process {_maxrss_mib(resource.RUSAGE_SELF):.0f} MiB, "
          f"largest worker {_maxrss_mib(resource.RUSAGE_CHILDREN):.0f} MiB")
    print(f"load average {os.getloadavg()[0]:.2f} (1 min) at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
