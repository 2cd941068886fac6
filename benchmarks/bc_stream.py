"""Benchmark the ``bc`` command on a long recording: peak memory and time (app.convert).

    python benchmarks/bc_stream.py [--minutes 120] [--rate 48000]

Writes a ``--minutes``-long FLAC of real speech at 48 kHz (the development copy's recordings of
one actor after another, as benchmarks/timeline.py writes it, block by block), resampled to
``--rate`` if another is asked (the path through soxr's streaming resamplers, the heavier one),
then runs ``python -m bcser_utils bc FILE OUT.flac`` in a child process and prints its wall
time, CPU time and peak memory (``ru_maxrss`` of the child), with the machine's load. Target:
≤ 1 GiB for a two-hour file, whatever its rate.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timeline import RATE, long_recording  # noqa: E402

from bcser_utils.audio import ravdess  # noqa: E402


def resampled(source: Path, target: Path, rate: int) -> None:
    """``source`` at ``rate``, block by block (soxr's stream: the file is never held whole)."""
    import soxr

    stream = soxr.ResampleStream(RATE, rate, 1, dtype="float32")
    with sf.SoundFile(source) as reader, sf.SoundFile(target, "w", rate, 1, format="FLAC") as out:
        for block in reader.blocks(RATE * 10, dtype="float32"):
            out.write(stream.resample_chunk(block, last=reader.tell() == reader.frames))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=120.0)
    parser.add_argument("--rate", type=int, default=RATE)
    parser.add_argument("--data", default=None, help="corpus (default: found for you)")
    args = parser.parse_args()
    corpus = ravdess.find_corpus(args.data, allow_download=False)
    if corpus.synthetic:
        sys.exit("error: this benchmark needs real recordings (the development copy)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.flac"
        seconds = long_recording(path, args.minutes, corpus.root)
        if args.rate != RATE:
            resampled(path, Path(tmp) / "long-resampled.flac", args.rate)
            path = (Path(tmp) / "long-resampled.flac").replace(path)
        print(f"{path.name}: {seconds / 60:.1f} min at {args.rate} Hz, "
              f"{path.stat().st_size / 2**20:.0f} MiB FLAC (decoded whole: "
              f"{seconds * args.rate * 4 / 2**20:.0f} MiB of float32)")
        command = [sys.executable, "-m", "bcser_utils", "bc", str(path), str(Path(tmp) / "bc.flac")]
        load = os.getloadavg()[0]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode:
            sys.exit(f"error: bc exited {done.returncode}: {done.stderr.strip()}")
        written = sf.info(Path(tmp) / "bc.flac")
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"bc: {written.duration / 60:.1f} min written, wall {wall:.0f} s, CPU "
          f"{child.ru_utime + child.ru_stime:.0f} s, peak memory {child.ru_maxrss / 1024:.0f} MiB "
          f"(load average before: {load:.2f}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
