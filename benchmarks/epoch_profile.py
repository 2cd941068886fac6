"""Where a training epoch's CPU time goes, piece by piece, against the arithmetic floor.

    python benchmarks/epoch_profile.py [--cache DIR] [--batches N] [--threads 1] [--repeats 3]
                                       [--ops] [--against DIR]

On an existing feature cache (default: the newest full-mode BC cache under data/cache, opened
read-only; nothing is built) and its P1 split, it runs ``--batches`` training steps of the real
recipe (``training.fit``'s pieces: ``GlobalBatches``, ``FeatureDataset.batch``, the model, the
loss, backward, Adam) and the validation pass's batches of 256, timing each piece in CPU time
(``time.process_time``: the other jobs on the machine do not count, though they still slow the
caches). Pieces:

  read       the rows of a batch from the memory-mapped float16 cache, in file order
  normalise  float16 → float32 and (x − mean) / std (``Normalizer.transform``)
  forward    the model in training mode, batch of 64
  loss       weighted, label-smoothed cross-entropy
  backward   autograd
  step       zero_grad + Adam's step
  validate   one batch of 256 under inference_mode (read + normalise + forward)

The floor: ``model.flops_per_clip`` × 3 per training clip (forward + backward) at the rate of a
2048² float32 matrix product timed here with the same threads. ``--ops`` adds torch.profiler's
table of the training step's operators. ``--against DIR`` (another checkout of bcser, e.g.
``git archive HEAD bcser_utils | tar -x -C DIR``) measures both codes in fresh processes, taking
turns, ``--repeats`` times each, and prints them side by side. Prints the load average before
and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1]


def newest_full_cache() -> Path:
    """The newest finished BC cache of 18,000 rows (full mode: 1,200 recordings × 15)."""
    import json

    found = []
    for meta in (HERE / "data" / "cache").glob("features-bc-*/meta.json"):
        info = json.loads(meta.read_text())
        if info.get("shape", [0])[0] == 18_000 and not info["config"]["augment"]["two_sided"]:
            found.append((meta.stat().st_mtime, meta.parent))
    if not found:
        sys.exit("epoch_profile.py: no full-mode BC cache under data/cache (build one with "
                 "`python -m bcser_utils prepare --mode full`) or pass --cache DIR")
    return max(found)[1]


def sgemm_gflops(n: int = 2048, repeats: int = 5) -> float:
    """The best rate of an n × n float32 matrix product, in GFLOP/s (CPU time)."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = min(_cpu(lambda: torch.mm(a, b)) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _cpu(fn):
    began = time.process_time()
    fn()
    return time.process_time() - began


def setup(cache_dir: Path, mode: str = "full"):
    """The P1 datasets, the loss and a fresh model, as ``pipeline.train`` makes them."""
    import torch

    from bcser_utils import config
    from bcser_utils.audio import feature_cache
    from bcser_utils.learn import pipeline, training
    from bcser_utils.learn.model import EmotionNet

    cfg = config.get_config(mode)
    cache = feature_cache.FeatureCache(cache_dir)
    prepared = pipeline.Prepared(None, None, cache, cfg)
    split = pipeline.make_split(prepared, "P1")
    scaler = pipeline.fit_normalizer(prepared, split)
    train_set = feature_cache.FeatureDataset(cache, split.train, scaler)
    val_set = feature_cache.FeatureDataset(cache, split.val, scaler)
    torch.manual_seed(0)
    model = EmotionNet(cache.features.shape[-1], cfg.model)
    weights = training.loss_weights(train_set.labels, 8, cfg.training)
    loss_fn = training.make_loss(weights, cfg.training.label_smoothing)
    optimizer, _ = training.make_optimizer(model, cfg.training)
    return cfg, cache, train_set, val_set, model, loss_fn, optimizer


def profile(train_set, val_set, model, loss_fn, optimizer, n_batches: int) -> dict:
    """CPU seconds per piece over ``n_batches`` training steps and the validation batches."""
    import torch

    from bcser_utils.learn import training

    t = dict.fromkeys(("read", "normalise", "forward", "loss", "backward", "step"), 0.0)
    sampler = training.GlobalBatches(len(train_set), 64, torch.Generator().manual_seed(7))
    model.train()
    steps = 0
    for indices in sampler:
        if steps == n_batches:
            break
        c0 = time.process_time()
        positions = np.asarray(indices)
        rows = train_set.rows[positions]
        order = np.argsort(rows, kind="stable")
        raw = np.empty((len(rows), *train_set.cache.features.shape[1:]), dtype=np.float16)
        raw[order] = train_set.cache.features[rows[order]]
        c1 = time.process_time()
        x = torch.from_numpy(train_set.normalizer.transform(raw, train_set.speakers[positions]))
        y = torch.from_numpy(train_set.labels[positions].astype(np.int64))
        c2 = time.process_time()
        logits = model(x)
        c3 = time.process_time()
        loss = loss_fn(logits, y)
        c4 = time.process_time()
        optimizer.zero_grad()
        loss.backward()
        c5 = time.process_time()
        optimizer.step()
        c6 = time.process_time()
        for key, a, b in zip(t, (c0, c1, c2, c3, c4, c5), (c1, c2, c3, c4, c5, c6), strict=True):
            t[key] += b - a
        steps += 1
    per_step = {k: v / steps for k, v in t.items()}

    model.eval()
    val_batches = training.GlobalBatches(len(val_set), 256)
    began, clips = time.process_time(), 0
    with torch.inference_mode():
        for x, _ in training.batches(val_set, val_batches):
            model(x)
            clips += len(x)
    per_step["validate_per_clip"] = (time.process_time() - began) / clips
    model.train()
    return per_step


def op_table(train_set, model, loss_fn, optimizer, n_batches: int = 20) -> str:
    """torch.profiler's operators of ``n_batches`` training steps, by self CPU time."""
    import torch
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    from bcser_utils.learn import training

    sampler = training.GlobalBatches(len(train_set), 64, torch.Generator().manual_seed(8))
    data = iter(training.batches(train_set, sampler))
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(n_batches):
            x, y = next(data)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=30)


def measure(code: Path, cache_dir: Path, args) -> dict:
    """One measurement of the ``bcser_utils`` in ``code``, in a fresh process."""
    done = subprocess.run([sys.executable, __file__, "--child", str(code), "--cache",
                           str(cache_dir), "--batches", str(args.batches), "--threads",
                           str(args.threads)], stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def child(code: Path, cache_dir: Path, n_batches: int, threads: int) -> dict:
    """The pieces' CPU seconds (and the epoch's sizes and floor) with the code in ``code``."""
    sys.path.insert(0, str(code))
    import torch

    import bcser_utils
    from bcser_utils.learn import model as model_module
    from bcser_utils.learn import training

    if not Path(bcser_utils.__file__).resolve().is_relative_to(code.resolve()):
        raise RuntimeError(f"imported {bcser_utils.__file__}, not the code in {code}")
    torch.set_num_threads(threads)
    training.keep_freed_memory()  # as fit does on a CPU
    cfg, cache, train_set, val_set, model, loss_fn, optimizer = setup(cache_dir)
    n_frames, n_features = cache.features.shape[1:]
    return {"pieces": profile(train_set, val_set, model, loss_fn, optimizer, n_batches),
            "flops": model_module.flops_per_clip(model, n_frames, n_features),
            "sgemm": sgemm_gflops(), "n_train": len(train_set), "n_val": len(val_set),
            "threads": torch.get_num_threads()}


def epoch_seconds(pieces: dict, n_train: int, n_val: int) -> float:
    """An epoch's CPU seconds from per-batch pieces."""
    steps = -(-n_train // 64)
    return (sum(v for k, v in pieces.items() if k != "validate_per_clip") * steps
            + pieces["validate_per_clip"] * n_val)


def print_table(names: list[str], results: list[list[dict]]) -> None:
    """Each code's best (least disturbed) repeat of every piece, side by side."""
    n_train, n_val = results[0][0]["n_train"], results[0][0]["n_val"]
    steps = -(-n_train // 64)
    best = [{k: min(r["pieces"][k] for r in runs) for k in runs[0]["pieces"]}
            for runs in results]
    epochs = [epoch_seconds(b, n_train, n_val) for b in best]
    print(f"\n{'piece':12s} " + " ".join(f"{n[-24:]:>24s}" for n in names))
    print(f"{'':12s} " + " ".join(f"{'CPU ms/batch  share':>24s}" for _ in names))
    for k in best[0]:
        label, scale, count = ((k, 1e3, steps) if k != "validate_per_clip"
                               else ("validate/256", 256e3, n_val / 256))
        print(f"{label:12s} " + " ".join(
            f"{b[k] * scale:14.2f} {b[k] * scale * count / 1e3 / e:8.1%}"
            for b, e in zip(best, epochs, strict=True)))
    print(f"{'epoch CPU s':12s} " + " ".join(f"{e:14.2f} {'':8s}" for e in epochs))
    for name, runs in zip(names, results, strict=True):
        print(f"  {name}: epoch CPU s of each repeat "
              + ", ".join(f"{epoch_seconds(r['pieces'], n_train, n_val):.2f}" for r in runs))
    first = results[0][0]
    flops, sgemm = first["flops"], max(r["sgemm"] for runs in results for r in runs)
    print(f"\nP1: {n_train:,} training clips ({steps} steps of 64), {n_val:,} validation; "
          f"{flops / 1e6:.1f} MFLOP per clip forward; sgemm {sgemm:.1f} GFLOP/s (CPU time, "
          f"{first['threads']} thread(s))")
    print(f"floor at sgemm's rate: {3 * flops * 64 / sgemm * 1e3 / 1e9:.1f} ms per training "
          f"batch (forward + backward), {flops * 256 / sgemm * 1e3 / 1e9:.1f} ms per validation "
          f"batch of 256, {(3 * n_train + n_val) * flops / sgemm / 1e9:.2f} s per epoch")
    if len(epochs) > 1:
        print(f"epoch: {names[0]} takes {epochs[0] / epochs[1]:.3f}× the CPU time of "
              f"{names[1]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--batches", type=int, default=150)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ops", action="store_true")
    parser.add_argument("--against", type=Path, default=None, metavar="DIR",
                        help="another checkout of bcser to measure in the same run")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:  # one measurement, as one JSON line
        print(json.dumps(child(args.child, args.cache, args.batches, args.threads)))
        return 0

    cache_dir = args.cache or newest_full_cache()
    codes = [HERE, *([args.against.resolve()] if args.against else [])]
    print(f"cache {cache_dir.name}; {args.threads} thread(s); {args.batches} batches × "
          f"{args.repeats} repeats per code; load average {os.getloadavg()[0]:.2f} before; "
          f"{time.strftime('%Y-%m-%d %H:%M')}", flush=True)
    results = [[] for _ in codes]
    for _ in range(args.repeats):  # taking turns, so that a busy spell hits every code alike
        for runs, code in zip(results, codes, strict=True):
            runs.append(measure(code, cache_dir, args))
    print_table(["this" if c == HERE else str(c) for c in codes], results)
    print(f"load average {os.getloadavg()[0]:.2f} after")
    if args.ops:
        sys.path.insert(0, str(HERE))
        import torch

        torch.set_num_threads(args.threads)
        _, _, train_set, _, model, loss_fn, optimizer = setup(cache_dir)
        print(op_table(train_set, model, loss_fn, optimizer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
