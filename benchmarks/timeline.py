"""Benchmark ``predict --timeline`` on a long recording: peak memory and time (app.timeline).

    python benchmarks/timeline.py [--minutes 60] [--hop 1] [--same-speaker]

Writes a ``--minutes``-long FLAC of real speech (the development copy's recordings of one actor
after another, each followed by 1 s of silence, repeated; written block by block, never held
whole), then runs ``python -m bcser_utils predict --timeline FILE --json`` on it in a child
process and prints its wall time, CPU time, peak memory (``ru_maxrss`` of the child) and its
windows, with the machine's load, since a busy machine inflates wall time. The file's size and
what holding it decoded would take are printed beside, for scale.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from bcser_utils.audio import ravdess

RATE = 48_000


def long_recording(path: Path, minutes: float, corpus: Path) -> float:
    """Write ``minutes`` of the corpus's recordings, in order, to ``path``; returns seconds."""
    clips = sorted(corpus.glob("Actor_*/*.flac"))
    gap, total, goal = np.zeros(RATE, dtype=np.float32), 0, int(minutes * 60 * RATE)
    with sf.SoundFile(path, "w", RATE, 1, format="FLAC") as out:
        while total < goal:
            for clip in clips:
                audio, rate = sf.read(clip, dtype="float32", always_2d=True)
                assert rate == RATE, clip
                piece = np.concatenate([audio.mean(axis=1), gap])[:goal - total]
                out.write(piece)
                total += len(piece)
                if total >= goal:
                    break
    return total / RATE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--hop", type=float, default=1.0)
    parser.add_argument("--same-speaker", action="store_true")
    parser.add_argument("--data", default=None, help="corpus (default: found for you)")
    args = parser.parse_args()
    corpus = ravdess.find_corpus(args.data, allow_download=False)
    if corpus.synthetic:
        sys.exit("error: this benchmark needs real recordings (the development copy)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.flac"
        start = time.perf_counter()
        seconds = long_recording(path, args.minutes, corpus.root)
        print(f"{path.name}: {seconds / 60:.1f} min of {corpus.root} at {RATE} Hz, "
              f"{path.stat().st_size / 2**20:.0f} MiB FLAC, written in "
              f"{time.perf_counter() - start:.0f} s (decoded whole it would be "
              f"{seconds * RATE * 4 / 2**20:.0f} MiB of float32)")
        command = [sys.executable, "-m", "bcser_utils", "predict", "--timeline", str(path),
                   "--hop", str(args.hop), "--json"] + (["--same-speaker"] * args.same_speaker)
        load = os.getloadavg()[0]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"error: predict --timeline exited {done.returncode}: {done.stderr.strip()}")
    rows = json.loads(done.stdout)
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    silent = sum(r["silent"] for r in rows)
    print(f"predict --timeline --hop {args.hop:g}{' --same-speaker' * args.same_speaker}: "
          f"{len(rows)} windows ({silent} silent), wall {wall:.0f} s, CPU "
          f"{child.ru_utime + child.ru_stime:.0f} s, peak memory {child.ru_maxrss / 1024:.0f} MiB "
          f"(load average before: {load:.2f}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
