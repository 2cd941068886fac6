"""How far a student's quick-mode P1 accuracy moves from the committed notebook 06 ("the
answer sheet"): the run of notebook 06, trained again with several seeds and again with the
same seed.

    python benchmarks/quick_seed_spread.py [--seeds 0 1 2 3] [--repeats 1] [--threads N ...]
                                           [--protocol P1|P3]

Every run does what notebook 06 does in quick mode: ``pipeline.prepare`` (the quick cache,
reopened or built), ``pipeline.make_split(prepared, "P1", seed=s)`` and
``pipeline.train(prepared, split, seed=s, checkpoint=...)`` into a temporary folder, then the
P1 validation accuracy of the best epoch. The notebook uses seed 0 (``cfg.mode.seed``); the
other seeds change the split, the initial weights, the shuffling and dropout, but not the
feature cache (its versions are made with the mode's seed, and a new seed there would mean a
new cache). ``--repeats`` trains seed 0 that many more times with the same settings: any
difference between those runs is not the seed's but the machine's (the order in which
threads add up floating-point sums). ``--threads`` repeats seed 0 with torch set to that many
threads. ``--protocol P3`` trains P3's fold 1 instead (notebook 08's quick P3 BC run: test
actors 01 and 02, early stopping on 03 and 04) and reports its test accuracy. Prints one line
per run (accuracy, seconds per epoch) and the spread.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a checkout, installed or not


def one_run(prepared, seed: int, threads: int | None, protocol: str = "P1") -> dict:
    """Train quick P1 as notebook 06 does (or P3's fold 1); return its accuracy (validation
    under P1, test under P3) and epoch times."""
    import torch

    from bcser_utils.learn import pipeline

    if threads:
        torch.set_num_threads(threads)
    split = pipeline.make_split(prepared, protocol, seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        trained = pipeline.train(prepared, split, seed=seed, progress=False,
                                 checkpoint=Path(folder) / "checkpoint.pt")
    rows = split.test if len(split.test) else split.val
    proba = pipeline.predict_rows(trained, prepared.cache, rows)
    truth = prepared.cache.index["emotion_code"].to_numpy()[rows] - 1
    return {"seed": seed, "threads": torch.get_num_threads(),
            "accuracy": float((proba.argmax(1) == truth).mean()),
            "epoch_seconds": list(trained.fit.history.seconds)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--repeats", type=int, default=1,
                        help="extra runs of seed 0 with the same settings")
    parser.add_argument("--threads", type=int, nargs="*", default=[],
                        help="extra runs of seed 0 with torch set to this many threads")
    parser.add_argument("--protocol", choices=["P1", "P3"], default="P1")
    args = parser.parse_args(argv)

    import torch

    from bcser_utils import config, provenance
    from bcser_utils.learn import pipeline

    cfg = config.get_config("quick")
    prepared = pipeline.prepare(cfg)
    print(prepared.source)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads by default; "
          f"code: {provenance.commit() or 'not a git checkout'}")
    default_threads = torch.get_num_threads()
    plan = [(seed, None, "seed") for seed in args.seeds]
    plan += [(0, None, "repeat")] * args.repeats
    plan += [(0, n, "threads") for n in args.threads]
    results = []
    for seed, threads, kind in plan:
        began = time.perf_counter()
        run = one_run(prepared, seed, threads or default_threads, args.protocol)
        seconds = run["epoch_seconds"]
        print(f"{kind:>7} {args.protocol} seed {seed}, {run['threads']} thread(s): "
              f"accuracy {run['accuracy']:.1%}; "
              f"epochs {', '.join(f'{s:.1f}' for s in seconds)} s; "
              f"{time.perf_counter() - began:.0f} s in all", flush=True)
        results.append((kind, run))
    by_seed = [run["accuracy"] for kind, run in results if kind == "seed"]
    if len(by_seed) > 1:
        print(f"over seeds {args.seeds}: {min(by_seed):.1%} to {max(by_seed):.1%} "
              f"(spread {100 * (max(by_seed) - min(by_seed)):.1f} points, "
              f"standard deviation {100 * statistics.stdev(by_seed):.1f} points)")
    same = [run["accuracy"] for kind, run in results
            if run["seed"] == 0 and run["threads"] == default_threads]
    if len(same) > 1:
        print(f"seed 0 run {len(same)} times with {default_threads} threads: "
              f"{', '.join(f'{a:.1%}' for a in same)}")


if __name__ == "__main__":
    main()
