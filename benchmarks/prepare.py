"""Benchmark data preparation against docs/design.md, Targets: the decoding floor, a cold build,
a re-open.

    python benchmarks/prepare.py [--recordings N] [--mode full|quick] [--workers W]
                                 [--versions V] [--data DIR] [--tmp DIR] [--keep] [--json FILE]

Three stages, each in a fresh Python process so that its wall time and peak memory are its own:

(a) decode: read and decode every recording (``audio_input.load_audio`` at 48 kHz, exactly what the
    builder does first), spread over the same worker processes as the build. This is the floor.
(b) cold build: ``feature_cache.build`` of every recording × 15 versions (BC filter, augmentation,
    16 kHz features) into a fresh temporary cache folder, with ``--workers`` processes (default:
    every core). The project's own cache under data/ is never touched.
(c) warm re-open: what ``pipeline.prepare`` does on a second run: catalog the corpus, then
    ``feature_cache.build`` again, which finds the cache and only memory-maps it.

Peak memory comes from ``resource.getrusage``: ``self`` is the stage's own process, ``worker``
the largest of its worker processes (RUSAGE_CHILDREN), and ``self + workers × worker`` an upper
bound on what the stage held at once.

By default it uses full mode: every recording of the corpus ``ravdess.find_corpus`` finds (1,200 on
the development copy, actors 01–20). ``--recordings N`` keeps N of them, evenly spread over actors
and emotions, for a quick check; ``--mode quick`` starts from the quick-mode actors (01–06).
Targets (docs/design.md, Targets): a cold build of all 1,440 RAVDESS recordings in ≤ 5 min on
2 cores, a warm re-run in ≤ 10 s. Run it on a quiet machine: other work on the same cores
inflates every time.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a checkout, installed or not

from bcser_utils import config, messages
from bcser_utils.audio import audio_input, feature_cache, ravdess  # noqa: E402

TARGET_COLD_S_PER_1440 = 300.0  # docs/design.md, Targets: ≤ 5 min for 1,440 recordings, 2 cores
TARGET_WARM_S = 10.0  # docs/design.md, Targets: a rerun with a warm cache in ≤ 10 s


def _peak_mib(who: int) -> float:
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return resource.getrusage(who).ru_maxrss * scale / 2**20


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process and of its finished worker processes."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def _decode(path: str) -> float:
    audio, rate = audio_input.load_audio(path, sample_rate=config.get_config().augment.sample_rate)
    return len(audio) / rate


def _catalog(cfg: config.Config, corpus: str | None):
    location = ravdess.find_corpus(corpus, cfg=cfg, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a partial corpus is normal (actors 21–24 may be absent)
        catalog = ravdess.catalog(location.root, actors=cfg.mode.actors)
    return location, catalog


def _subset(catalog, n: int | None):
    """``n`` recordings evenly spread over the catalog (sorted by actor, then name)."""
    if n is None or n >= len(catalog):
        return catalog
    picks = [round(i * (len(catalog) - 1) / max(n - 1, 1)) for i in range(n)]
    subset = catalog.iloc[sorted(set(picks))]
    subset.attrs = catalog.attrs
    return subset


def run_stage(stage: str, plan: dict) -> dict:
    """One stage, in this process; returns its measurements."""
    cfg = config.get_config(plan["mode"])
    recordings, workers = plan["recordings"], plan["workers"]
    began = time.perf_counter()  # CPU time is counted from process start: imports included
    result = {"stage": stage}
    if stage == "decode":
        with ProcessPoolExecutor(workers) as pool:
            seconds = sum(pool.map(_decode, [str(p) for p in recordings.path], chunksize=4))
        result["audio_seconds"] = seconds
    elif stage == "build":
        cache = feature_cache.build(recordings, cfg, n_versions=plan["versions"],
                              cache_dir=plan["cache_dir"], workers=workers,
                              progress=sys.stderr.isatty())
        npy = cache.folder / "features.npy"
        result |= {"shape": list(cache.features.shape), "dtype": str(cache.features.dtype),
                   "bytes": npy.stat().st_size}
    elif stage == "reopen":
        _, catalog = _catalog(cfg, plan["corpus"])
        result["catalog_s"] = time.perf_counter() - began
        subset = catalog[catalog["name"].isin(set(recordings["name"]))]
        cache = feature_cache.build(subset, cfg, n_versions=plan["versions"],
                              cache_dir=plan["cache_dir"], workers=workers, progress=False)
        result["reopened_rows"] = len(cache)
    else:
        raise ValueError(f"unknown stage {stage!r}")
    return _measured(result, began)


def _measured(result: dict, began: float) -> dict:
    """``result`` plus the stage's wall time (since ``began``), CPU time and peak memory."""
    return result | {"wall_s": time.perf_counter() - began, "cpu_s": _cpu_s(),
                     "peak_self_mib": _peak_mib(resource.RUSAGE_SELF),
                     "peak_worker_mib": _peak_mib(resource.RUSAGE_CHILDREN)}


def _in_fresh_process(stage: str, plan_file: Path, script: str = __file__) -> dict:
    """Run ``script --stage STAGE --plan FILE`` in a new interpreter; its last line is JSON."""
    done = subprocess.run([sys.executable, script, "--stage", stage, "--plan", str(plan_file)],
                          stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recordings", type=int, default=None,
                        help="use N recordings, evenly spread (default: all of the mode's)")
    parser.add_argument("--mode", choices=("full", "quick"), default="full",
                        help="full: every actor present (default); quick: actors 01–06")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes for decoding and the build (default: every core)")
    parser.add_argument("--versions", type=int, default=None, help="versions per recording "
                        "(default: the config's 15)")
    parser.add_argument("--data", default=None, help="corpus folder (default: ravdess.find_corpus)")
    parser.add_argument("--tmp", default=None, help="where the temporary cache goes")
    parser.add_argument("--keep", action="store_true", help="keep the temporary cache")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.stage:  # a child process: run one stage, print its result as one JSON line
        with open(args.plan, "rb") as f:
            plan = pickle.load(f)
        print(json.dumps(run_stage(args.stage, plan)))
        return 0

    cfg = config.get_config(args.mode)
    versions = args.versions or cfg.augment.n_versions
    began = time.perf_counter()
    location, catalog = _catalog(cfg, args.data)
    catalog_s = time.perf_counter() - began
    recordings = _subset(catalog, args.recordings)
    n = len(recordings)
    scratch = Path(tempfile.mkdtemp(prefix="bcser-bench-", dir=args.tmp))
    plan = {"mode": args.mode, "recordings": recordings, "workers": args.workers,
            "versions": versions, "cache_dir": scratch, "corpus": args.data}
    plan_file = scratch / "plan.pkl"
    with open(plan_file, "wb") as f:
        pickle.dump(plan, f)

    print(f"data:     {ravdess.describe(location, recordings, cfg)}")
    print(f"          {n} of the mode's {len(catalog)} recordings"
          f"{' (evenly spread over actors and emotions)' if n < len(catalog) else ''}, "
          f"{recordings.duration.sum() / 60:.1f} min of audio at "
          f"{', '.join(f'{r} Hz' for r in sorted(recordings.sample_rate.unique()))}; "
          f"{versions} versions each → {n * versions:,} tensors")
    print(f"machine:  {os.cpu_count()} cores, {args.workers} workers; load average "
          f"{os.getloadavg()[0]:.1f} before (anything near or above the core count inflates "
          "every time below)")
    print(f"cache:    a fresh temporary folder, {messages.display_path(scratch)}")
    print(f"catalog:  {catalog_s:.1f} s (names and headers of {len(catalog)} files, duplicate "
          "check)\n", flush=True)

    try:
        results = [_in_fresh_process(stage, plan_file) for stage in ("decode", "build", "reopen")]
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    decode, build, reopen = results
    names = {"decode": "(a) decode only: the floor", "build": "(b) cold build, all versions",
             "reopen": "(c) warm re-open: catalog + build"}
    print(f"{'stage':36s} {'wall s':>8s} {'s/recording':>12s} {'CPU s':>8s} {'self MiB':>9s} "
          f"{'worker MiB':>11s} {'bound MiB':>10s}")
    for r in results:
        workers = 0 if r["stage"] == "reopen" else args.workers
        print(f"{names[r['stage']]:36s} {r['wall_s']:8.1f} {r['wall_s'] / n:12.3f} "
              f"{r['cpu_s']:8.1f} {r['peak_self_mib']:9.0f} {r['peak_worker_mib']:11.0f} "
              f"{r['peak_self_mib'] + workers * r['peak_worker_mib']:10.0f}")
    print(f"\n(a) decoded {decode['audio_seconds'] / 60:.1f} min of audio: "
          f"{decode['audio_seconds'] / decode['wall_s']:.0f}× real time")
    print(f"(b) features.npy {build['bytes'] / 2**20:.1f} MiB, shape {tuple(build['shape'])}, "
          f"{build['dtype']}; decoding is {100 * decode['wall_s'] / build['wall_s']:.1f}% of the "
          "build")
    per_1440 = build["wall_s"] / n * 1440
    label = "measured" if n == 1440 else f"EXTRAPOLATED linearly from {n} recordings"
    print(f"    1,440 recordings: {per_1440 / 60:.1f} min ({label}); target ≤ "
          f"{TARGET_COLD_S_PER_1440 / 60:.0f} min → "
          f"{'met' if per_1440 <= TARGET_COLD_S_PER_1440 else 'NOT met'}")
    busy = build["cpu_s"] / build["wall_s"]
    quiet = build["cpu_s"] / n * 1440 / min(args.workers, os.cpu_count() or 1)
    print(f"    the build kept {busy:.1f} of {min(args.workers, os.cpu_count() or 1)} cores busy; "
          f"its {build['cpu_s'] / n:.2f} CPU s per recording would take ≈ {quiet / 60:.1f} min for "
          "1,440 on an otherwise idle machine (ESTIMATE: CPU time ÷ workers)")
    print(f"(c) catalog {reopen['catalog_s']:.1f} s + re-open "
          f"{reopen['wall_s'] - reopen['catalog_s']:.2f} s = {reopen['wall_s']:.1f} s for "
          f"{reopen['reopened_rows']:,} rows; target ≤ {TARGET_WARM_S:.0f} s → "
          f"{'met' if reopen['wall_s'] <= TARGET_WARM_S else 'NOT met'}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "data": ravdess.describe(location, recordings, cfg), "recordings": n,
            "versions": versions, "workers": args.workers, "cores": os.cpu_count(),
            "catalog_s": catalog_s, "stages": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
