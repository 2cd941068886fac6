"""Benchmark training and evaluation against the machine's own matrix-multiply speed, and
against other versions of the code, side by side in one run.

    python benchmarks/training.py [--mode full|quick] [--against DIR ...] [--epochs N]
                                  [--variant KEY=VALUE ...] [--json FILE]

For this checkout and for each ``--against`` folder (another checkout of bcser, e.g. a
``git worktree add /tmp/before 2d82107``), a fresh Python process imports *that* code's
``bcser_utils`` and, on the same feature cache and the same P1 split:

  sgemm      times a 2048 × 2048 float32 matrix product with torch's threads (best of 7): the
             rate this machine reaches on the kind of work a network is made of
  epoch      trains ``--epochs`` epochs with ``pipeline.train`` (data loading, the training pass
             and the validation pass, as a real run does them)
  inference  class probabilities for the validation clips (``pipeline.predict_rows``)
  evaluate   every metric of the paper on them, with bootstrap intervals
             (``pipeline.evaluate_rows``)

``--variant model.block=conv-pool-bn-relu`` measures this checkout once more with that
configuration override (one extra measurement per ``--variant``). It then prints clips per
second, the GFLOP/s they amount to (``model.flops_per_clip`` per clip forward, 3× that per
training clip: forward, and a backward pass about twice as costly), that as a fraction of the
sgemm rate, and the peak memory of the process. The cache is built (or reopened) by this
checkout's code; every version reads the same tensors. Run it on quiet cores; the load average
before and after is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def _peak_mib() -> float:
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def sgemm_gflops(n: int = 2048, repeats: int = 7) -> float:
    """The best rate of an n × n float32 matrix product with torch's threads, in GFLOP/s."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - began)
    return 2 * n**3 / best / 1e9


def child(code: str, plan_file: str, overrides: dict) -> dict:
    """Measure the ``bcser_utils`` found in ``code`` (run in its own process)."""
    sys.path.insert(0, code)
    import torch

    import bcser_utils
    from bcser_utils import config
    from bcser_utils.audio import feature_cache
    from bcser_utils.learn import model, pipeline

    if not Path(bcser_utils.__file__).resolve().is_relative_to(Path(code).resolve()):
        raise RuntimeError(f"imported {bcser_utils.__file__}, not the code in {code}")
    with open(plan_file, "rb") as f:
        plan = pickle.load(f)
    cfg = config.get_config(plan["mode"], overrides=overrides or None)  # that code's own config
    cache = feature_cache.FeatureCache(plan["cache"])
    prepared = pipeline.Prepared(None, plan["catalog"], cache, cfg)
    split = pipeline.make_split(prepared, "P1")
    result = {"code": code, "overrides": overrides, "threads": torch.get_num_threads(),
              "n_train": len(split.train), "n_val": len(split.val),
              "sgemm_gflops_before": sgemm_gflops()}

    began = time.perf_counter()
    trained = pipeline.train(prepared, split, progress=False, max_epochs=plan["epochs"])
    result["train_call_s"] = time.perf_counter() - began
    result["epoch_s"] = list(trained.fit.history.seconds)
    n_frames, n_features = cache.features.shape[1:]
    result["flops_per_clip"] = model.flops_per_clip(trained.model, n_frames, n_features)

    began = time.perf_counter()
    try:
        pipeline.predict_rows(trained, cache, split.val)
    except (TypeError, AttributeError):  # older checkouts: (model, cache, rows, normalizer)
        normalizer = getattr(trained, "normalizer", None) or trained.standardizer
        pipeline.predict_rows(trained.model, cache, split.val, normalizer)
    result["inference_s"] = time.perf_counter() - began
    began = time.perf_counter()
    pipeline.evaluate_rows(trained, prepared, split.val)
    result["evaluate_s"] = time.perf_counter() - began
    result["sgemm_gflops_after"] = sgemm_gflops()
    result["peak_mib"] = _peak_mib()
    return result


def measure(code: Path, plan_file: Path, overrides: dict) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", str(code), "--plan",
                           str(plan_file), "--overrides", json.dumps(overrides)],
                          stdout=subprocess.PIPE, text=True, check=True, cwd=code)
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(r: dict) -> dict:
    """Rates from one measurement: clips/s, GFLOP/s and the fraction of the sgemm rate."""
    epoch = min(r["epoch_s"])  # the quietest epoch, when several
    flops = r["flops_per_clip"]
    train_gflop = (3 * r["n_train"] + r["n_val"]) * flops / 1e9  # + the validation forward
    sgemm = max(r["sgemm_gflops_before"], r["sgemm_gflops_after"])
    return {"epoch_s": epoch, "train_clips_per_s": r["n_train"] / epoch,
            "train_gflops": train_gflop / epoch, "train_fraction_of_sgemm":
                train_gflop / epoch / sgemm,
            "inference_clips_per_s": r["n_val"] / r["inference_s"],
            "inference_gflops": r["n_val"] * flops / 1e9 / r["inference_s"],
            "evaluate_s": r["evaluate_s"], "sgemm_gflops": sgemm, "peak_mib": r["peak_mib"]}


def _name(result: dict) -> str:
    """"this", "this, block=…" for a variant, or the other checkout's folder name."""
    if result["tree"] != str(HERE):
        return Path(result["tree"]).name
    return ", ".join(["this", *(f"{k.split('.')[-1]}={v}" for k, v in result["overrides"].items())])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("quick", "full"), default="full")
    parser.add_argument("--against", nargs="*", default=[], metavar="DIR",
                        help="other checkouts of bcser to measure in the same run")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--variant", nargs="*", default=[], metavar="KEY=VALUE",
                        help="measure this checkout again with this config override")
    parser.add_argument("--data", default=None, help="corpus folder (default: data.find_corpus)")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    parser.add_argument("--overrides", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:  # one measurement, its result as one JSON line
        print(json.dumps(child(args.child, args.plan, json.loads(args.overrides))))
        return 0

    sys.path.insert(0, str(HERE))
    from bcser_utils import config
    from bcser_utils.audio import feature_cache
    from bcser_utils.learn import pipeline

    cfg = config.get_config(args.mode)
    location, catalog = pipeline.find_catalog(cfg, args.data, progress=False)
    cache = feature_cache.build(catalog, cfg, progress=False)
    scratch = Path(tempfile.mkdtemp(prefix="bcser-training-"))
    plan_file = scratch / "plan.pkl"
    with open(plan_file, "wb") as f:
        pickle.dump({"mode": args.mode, "catalog": catalog, "cache": str(cache.folder),
                     "epochs": args.epochs}, f)
    variants = [dict([v.split("=", 1)]) for v in args.variant]
    runs = [(HERE, {}), *((HERE, v) for v in variants),
            *((Path(d).resolve(), {}) for d in args.against)]
    print(f"data:    {pipeline.Prepared(location, catalog, cache, cfg).source}; P1 split")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before; "
          f"{time.strftime('%Y-%m-%d %H:%M')}\n", flush=True)
    results = []
    for tree, overrides in runs:
        results.append(measure(tree, plan_file, overrides) | {"tree": str(tree)})
        print(f"  measured {tree} {overrides or ''}", file=sys.stderr, flush=True)
    rates = [report(r) for r in results]

    n_train, n_val = results[0]["n_train"], results[0]["n_val"]
    print(f"{'code':38s} {'epoch s':>8s} {'train clip/s':>12s} {'GFLOP/s':>8s} {'of sgemm':>8s} "
          f"{'infer clip/s':>12s} {'GFLOP/s':>8s} {'eval s':>7s} {'sgemm':>6s} {'peak MiB':>8s}")
    for r, rate in zip(results, rates, strict=True):
        name = _name(r)
        print(f"{name:38s} {rate['epoch_s']:8.1f} {rate['train_clips_per_s']:12.0f} "
              f"{rate['train_gflops']:8.1f} {rate['train_fraction_of_sgemm']:8.1%} "
              f"{rate['inference_clips_per_s']:12.0f} {rate['inference_gflops']:8.1f} "
              f"{rate['evaluate_s']:7.1f} {rate['sgemm_gflops']:6.0f} {rate['peak_mib']:8.0f}")
    print(f"\nepoch = {n_train:,} training clips + {n_val:,} validation clips; GFLOP/s counts "
          "3 × forward per training clip and 1 × per validation clip")
    for r, rate in zip(results[1:], rates[1:], strict=True):
        print(f"speed-up of this checkout over {_name(r)}: epoch "
              f"{rate['epoch_s'] / rates[0]['epoch_s']:.2f}× faster, inference "
              f"{rates[0]['inference_clips_per_s'] / rate['inference_clips_per_s']:.2f}×, "
              f"evaluation {rate['evaluate_s'] / rates[0]['evaluate_s']:.2f}×")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "mode": args.mode, "date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count(),
            "results": results, "rates": rates}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
