"""Benchmark the AC→BC conversion against the floor of just reading the audio (docs/design.md,
Targets).

    .venv/bin/python benchmarks/bc.py [--data DIR] [--limit N]

Over every file of the corpus's catalog (all actors present, not quick mode's subset):

  (a) read + decode:          ``load_audio`` on every file (48 kHz, stereo mixed to mono);
  (b) read + decode + to BC:  the same, then ``bc.to_bc`` at the file's own rate (48 kHz).

The files are read once beforehand (raw bytes, not timed) so that both passes find the same warm
operating-system cache and measure decoding and filtering, not the disk. One process, one file at
a time, as the course's data preparation does. Peak memory is the process's ``ru_maxrss``.

Notebook: 02_bc_filter_design (the filter); the numbers go in the README's performance notes.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
import warnings

import numpy as np

from bcser_utils import config, messages
from bcser_utils.audio import audio_input, bc, ravdess


def peak_mib() -> float:
    """The process's peak resident memory so far, in MiB (ru_maxrss: KiB on Linux, B on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="corpus folder (default: ravdess.find_corpus())")
    parser.add_argument("--limit", type=int, help="use only the first N files of the catalog")
    args = parser.parse_args(argv)

    corpus = ravdess.find_corpus(args.data, allow_download=False, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a partial corpus (e.g. actors 01–20) is normal here
        catalog = ravdess.catalog(corpus.root)
    if args.limit:
        catalog = catalog.head(args.limit)
    paths = list(catalog["path"])
    audio_s = float(catalog["duration"].sum())
    actors = sorted(catalog["actor"].unique())
    rates = ", ".join(f"{r} Hz × {n}" for r, n in catalog["sample_rate"].value_counts().items())
    formats = ", ".join(f"{s} × {n}" for s, n in
                        catalog["path"].map(lambda p: p.suffix.lower()).value_counts().items())

    print(f"data:    {corpus.label} at {messages.display_path(corpus.root)}")
    if corpus.synthetic:
        print("         WARNING: synthetic stand-in, not RAVDESS; timings are only indicative")
    print(f"files:   {len(paths)} ({formats}; {rates}; "
          f"{int((catalog['channels'] > 1).sum())} stereo), actors "
          f"{actors[0]:02d}–{actors[-1]:02d} ({len(actors)}), {audio_s / 60:.1f} min of audio")
    cfg = config.get_config().bc
    print(f"filter:  alpha={cfg.alpha}, beta={cfg.beta}, defined at {cfg.reference_rate} Hz")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {platform.machine()}, {cores} CPU core(s) available, Python "
          f"{platform.python_version()}, numpy {np.__version__}; one process, one file at a time")

    start = time.perf_counter()
    n_bytes = sum(len(p.read_bytes()) for p in paths)
    print(f"\nwarm-up: read {n_bytes / 2**20:.0f} MiB of files in "
          f"{time.perf_counter() - start:.2f} s (not counted below)")

    print(f"{'':27s} {'wall s':>7s} {'CPU s':>7s} {'ms/file':>8s} {'× real time':>12s} "
          f"{'peak MiB':>9s}")

    def report(label: str, wall: float, cpu: float) -> None:
        print(f"{label:27s} {wall:7.2f} {cpu:7.2f} {wall / len(paths) * 1e3:8.2f} "
              f"{audio_s / wall:12.0f} {peak_mib():9.0f}")

    start, cpu = time.perf_counter(), time.process_time()
    samples = 0
    for path in paths:
        audio, _ = audio_input.load_audio(path)
        samples += audio.size
    decode = time.perf_counter() - start, time.process_time() - cpu
    report("(a) read + decode", *decode)

    start, cpu = time.perf_counter(), time.process_time()
    filter_wall = filter_cpu = 0.0
    for path in paths:
        audio, rate = audio_input.load_audio(path)
        t, c = time.perf_counter(), time.process_time()
        bc.to_bc(audio, rate)
        filter_wall += time.perf_counter() - t
        filter_cpu += time.process_time() - c
    total = time.perf_counter() - start, time.process_time() - cpu
    report("(b) read + decode + to BC", *total)
    report("    of which bc.to_bc", filter_wall, filter_cpu)
    print(f"(b) − (a): {total[0] - decode[0]:+.2f} s wall, {total[1] - decode[1]:+.2f} s CPU. "
          "Wall times swing with other load on the machine; CPU times are steadier.")
    print(f"samples decoded per pass: {samples:,} (mono, at each file's own rate)")
    print(f"peak memory of the process: {peak_mib():.0f} MiB (ru_maxrss)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
