"""Benchmark every stage of the pipeline, in quick or full mode, against docs/design.md,
Targets.

    python benchmarks/stages.py [--mode quick|full] [--workers W] [--data DIR] [--json FILE]

Each stage runs in a fresh Python process, so its wall time, CPU time and peak memory are its
own (imports included, as a user would pay them):

  decode       read and decode every recording at 48 kHz: the floor
  bc           decode + the BC filter
  augment      decode + BC + the 15 versions of each recording (made and discarded)
  features     the cold cache build: decode + BC + versions + log-mel (``feature_cache.build``)
  epoch        one training epoch under P1 (training side, then the validation pass)
  evaluate     every metric of the paper on P1's validation side, with bootstrap intervals
  predict      ``python -m bcser_utils predict FILE`` from a cold start (a new interpreter), and
               per 4 s clip once the model is loaded (the median of 30, after a warm-up)

The stage-only cost of BC, augmentation and features is the difference between consecutive
rows. Decode, BC, augment and features use ``--workers`` processes (default: every core), the
others one process with torch's threads. Mode full uses every recording ``ravdess.find_corpus``
finds (1,200 on the development copy); quick uses actors 01–06. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a checkout, installed or not
sys.path.insert(0, str(Path(__file__).resolve().parent))

from prepare import _catalog, _in_fresh_process, _measured, _subset  # noqa: E402

from bcser_utils import config
from bcser_utils.audio import audio_input, augment, bc, feature_cache, ravdess  # noqa: E402

STAGES = ("decode", "bc", "augment", "features", "warm", "epoch", "evaluate", "predict_warm")
TARGETS = {  # docs/design.md, Targets
    "features": "≤ 300 s for 1,440 recordings (cold), ≤ 10 s warm",
    "predict": "≤ 50 ms per 4 s clip loaded, ≤ 5 s cold",
}


def _decode(path: str, cfg: config.Config):
    return audio_input.load_audio(path, sample_rate=cfg.augment.sample_rate, cfg=cfg)


def _decode_only(job) -> float:
    audio, rate = _decode(*job)
    return len(audio) / rate


def _decode_bc(job) -> float:
    audio, rate = _decode(*job)
    cfg = job[1]
    bc.to_bc(audio, rate, cfg.bc.alpha, cfg.bc.beta, cfg.bc.reference_rate)
    return len(audio) / rate


def _decode_bc_augment(job) -> float:
    path, cfg = job
    audio, rate = _decode(path, cfg)
    audio = bc.to_bc(audio, rate, cfg.bc.alpha, cfg.bc.beta, cfg.bc.reference_rate)
    augment.versions(audio, rate, seed=augment.recording_seed(cfg.mode.seed, Path(path).stem),
                     params=cfg.augment)
    return len(audio) / rate


def _pool(fn, plan) -> dict:
    jobs = [(str(p), plan["cfg"]) for p in plan["catalog"].path]
    with ProcessPoolExecutor(plan["workers"], initializer=feature_cache._quiet_worker) as pool:
        seconds = sum(pool.map(fn, jobs, chunksize=4))
    return {"units": len(jobs), "unit": "recording", "audio_s": seconds}


def _p1(plan):
    from bcser_utils.learn import pipeline

    cache = feature_cache.build(plan["catalog"], plan["cfg"], cache_dir=plan["cache_dir"],
                          progress=False)
    prepared = pipeline.Prepared(None, plan["catalog"], cache, plan["cfg"])
    return prepared, pipeline.make_split(prepared, "P1")


def run_stage(stage: str, plan: dict) -> dict:
    began = time.perf_counter()
    result = {"stage": stage}
    if stage == "decode":
        result |= _pool(_decode_only, plan)
    elif stage == "bc":
        result |= _pool(_decode_bc, plan)
    elif stage == "augment":
        result |= _pool(_decode_bc_augment, plan)
    elif stage == "features":
        cache = feature_cache.build(plan["catalog"], plan["cfg"], cache_dir=plan["cache_dir"],
                              workers=plan["workers"], progress=False)
        result |= {"units": len(plan["catalog"]), "unit": "recording",
                   "tensors": list(cache.features.shape)}
    elif stage == "warm":
        cache = feature_cache.build(plan["catalog"], plan["cfg"], cache_dir=plan["cache_dir"],
                              progress=False)
        result |= {"units": len(cache), "unit": "tensor (reopened)"}
    elif stage == "epoch":
        from bcser_utils.learn import pipeline

        prepared, split = _p1(plan)
        trained = pipeline.train(prepared, split, progress=False, max_epochs=1)
        result |= {"units": len(split.train), "unit": "training clip",
                   "val_clips": len(split.val), "epoch_s": trained.fit.history.seconds[0]}
    elif stage == "evaluate":
        import torch

        from bcser_utils.learn import pipeline
        from bcser_utils.learn.model import EmotionNet

        prepared, split = _p1(plan)
        torch.manual_seed(0)  # the time does not depend on the weights: an untrained model
        model = EmotionNet(prepared.cache.features.shape[-1], plan["cfg"].model)
        scaler = pipeline.fit_standardizer(prepared.cache, split.train)
        t0 = time.perf_counter()
        pipeline.evaluate_rows(pipeline.Trained(model, scaler, None, split, 0.0), prepared,
                               split.val)
        result |= {"units": len(split.val), "unit": "validation clip",
                   "evaluate_s": time.perf_counter() - t0}
    elif stage == "predict_warm":
        import numpy as np

        from bcser_utils.app.predict import Predictor

        predictor = Predictor.load()
        clips = list(plan["catalog"].path[:31])
        predictor.predict_file(clips[0])  # warm-up: first calls allocate and JIT
        times = []
        for clip in clips[1:]:
            t0 = time.perf_counter()
            predictor.predict_file(clip)
            times.append(time.perf_counter() - t0)
        result |= {"units": len(times), "unit": "clip",
                   "median_ms": 1000 * float(np.median(times)),
                   "max_ms": 1000 * float(np.max(times))}
    else:
        raise ValueError(f"unknown stage {stage!r}")
    return _measured(result, began)


def _predict_cold(clip: str) -> dict:
    """``python -m bcser_utils predict CLIP`` in a new interpreter: the user's cold start."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bcser_utils", "predict", clip, "--json"],
                          stdout=subprocess.PIPE, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    wall = time.perf_counter() - began
    return {"stage": "predict_cold", "wall_s": wall, "units": 1, "unit": "clip",
            "emotion": json.loads(done.stdout)[0]["emotion"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("quick", "full"), default="quick")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--data", default=None, help="corpus folder (default: ravdess.find_corpus)")
    parser.add_argument("--recordings", type=int, default=None,
                        help="only N recordings, evenly spread (a smoke test)")
    parser.add_argument("--only", nargs="+", choices=STAGES + ("predict_cold",), default=None,
                        help="run only these stages (default: all)")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage:  # a child process: one stage, its result as one JSON line
        with open(args.plan, "rb") as f:
            print(json.dumps(run_stage(args.stage, pickle.load(f))))
        return 0

    cfg = config.get_config(args.mode)
    location, catalog = _catalog(cfg, args.data)
    catalog = _subset(catalog, args.recordings)
    scratch = Path(tempfile.mkdtemp(prefix="bcser-stages-"))
    plan_file = scratch / "plan.pkl"
    with open(plan_file, "wb") as f:
        pickle.dump({"cfg": cfg, "catalog": catalog, "workers": args.workers,
                     "cache_dir": scratch}, f)
    print(f"data:    {ravdess.describe(location, catalog, cfg)}")
    print(f"         {len(catalog)} recordings, {catalog.duration.sum() / 60:.1f} min of audio; "
          f"{cfg.augment.n_versions} versions each")
    print(f"machine: {os.cpu_count()} cores, {args.workers} workers, torch threads as default; "
          f"load average {os.getloadavg()[0]:.1f} before; {time.strftime('%Y-%m-%d %H:%M')}\n",
          flush=True)
    results = []
    try:
        for stage in STAGES:
            if args.only is None or stage in args.only:
                results.append(_in_fresh_process(stage, plan_file, __file__))
                print(f"  {stage:13s} {results[-1]['wall_s']:8.1f} s", file=sys.stderr,
                      flush=True)
        if args.only is None or "predict_cold" in args.only:
            results.append(_predict_cold(str(catalog.path.iloc[0])))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    by = {r["stage"]: r for r in results}
    print(f"{'stage':34s} {'wall s':>8s} {'CPU s':>8s} {'self MiB':>9s} {'worker MiB':>11s}  "
          "per unit")
    labels = {"decode": "decode only (the floor)", "bc": "decode + BC",
              "augment": "decode + BC + 15 versions", "features": "cold cache build (+features)",
              "warm": "warm re-open of the cache", "epoch": "one training epoch (P1)",
              "evaluate": "evaluation (P1 validation side)",
              "predict_warm": "predict, model loaded", "predict_cold": "predict, cold start"}
    for r in results:
        per = f"{1000 * r['wall_s'] / r['units']:.1f} ms/{r['unit']}"
        if r["stage"] == "predict_warm":
            per = f"median {r['median_ms']:.1f} ms/clip (max {r['max_ms']:.0f})"
        print(f"{labels[r['stage']]:34s} {r['wall_s']:8.1f} {r.get('cpu_s', float('nan')):8.1f} "
              f"{r.get('peak_self_mib', float('nan')):9.0f} "
              f"{r.get('peak_worker_mib', float('nan')):11.0f}  {per}")
    n = len(catalog)
    if args.only is not None:  # a subset: the table above is all there is
        return _save(args, location, catalog, cfg, results)
    print(f"\nstage-only (differences): BC {by['bc']['wall_s'] - by['decode']['wall_s']:.1f} s, "
          f"augmentation {by['augment']['wall_s'] - by['bc']['wall_s']:.1f} s, features "
          f"{by['features']['wall_s'] - by['augment']['wall_s']:.1f} s")
    per_1440 = by["features"]["wall_s"] / n * 1440
    print(f"targets (docs/design.md, Targets): cold build {per_1440:.0f} s per 1,440 recordings "
          f"(≤ 300, {'met' if per_1440 <= 300 else 'NOT met'}"
          f"{'' if n == 1440 else ', extrapolated linearly'}); warm {by['warm']['wall_s']:.1f} s "
          f"(≤ 10); predict {by['predict_warm']['median_ms']:.1f} ms/clip (≤ 50) and cold "
          f"{by['predict_cold']['wall_s']:.1f} s (≤ 5)")
    return _save(args, location, catalog, cfg, results)


def _save(args, location, catalog, cfg, results) -> int:
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "data": ravdess.describe(location, catalog, cfg), "mode": args.mode,
            "recordings": len(catalog), "workers": args.workers, "cores": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d"), "stages": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
