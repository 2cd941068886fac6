"""What remaking notebook 09's study costs on this machine: one P3 run of a recipe, measured, and
the whole study estimated from it.

    python benchmarks/study_cost.py [--recipe paper] [--fold 0] [--seed 0] [--out DIR]
    python benchmarks/study_cost.py --from-runs runs/generalize-full [--samples LOG]

It builds (or reopens) the full-mode BC feature cache of every actor present in a child process,
then trains and tests one recipe on one P3 fold with one seed through the study's own command
(``generalize --mode full --recipes R --folds F --seeds S``), and prints for each: wall time, CPU
time (user + system, children included) and peak memory (the largest resident set of the
process tree's largest process). The whole study is then estimated as the number of deep runs
it trains (``study_runs``) times the measured run: an estimate, since runs differ in epochs
(early stopping) and recipe (a narrow model is faster).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measured(command: list[str]) -> dict:
    """Run ``command``; its wall time, CPU time and peak memory (its children included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "peak_mib": after.ru_maxrss / 1024}


def study_runs(n_folds: int = 5) -> dict[str, int]:
    """The deep runs a full remake trains, step by step (``make study``): every ablation recipe
    of the committed study with each of its seeds on every fold, the final recipe on BC with
    both selection seeds and on AC with seed 0, and the refits on every actor (two seeds of the
    final recipe, one of the single-clip model)."""
    import json

    summary = json.loads((ROOT / "results" / "generalize-full.json").read_text())
    ablation = sum(len(r["seeds"]) for r in summary["recipes"].values())
    return {"ablation": ablation * n_folds, "final recipe, BC": n_folds * 2,
            "final recipe, AC": n_folds, "refits": 3}


def from_runs(folder: Path, samples: Path | None) -> None:
    """What the finished runs of a study folder cost, from their own records: each run's wall
    time (``metrics.json``'s ``timing``), summed and by kind; and, with a log of
    ``benchmarks/sample_processes.sh``, each study process's CPU time and peak memory."""
    import json
    import statistics

    walls = {}
    for metrics in sorted(folder.glob("*/*/metrics.json")):
        timing = json.loads(metrics.read_text()).get("timing", {})
        if "train_s" in timing:
            walls[str(metrics.parent.relative_to(folder))] = sum(timing.values())
    if not walls:
        sys.exit(f"{folder}: no finished run (metrics.json with timing)")
    values = sorted(walls.values())
    print(f"{len(values)} finished runs in {folder}: wall per run median "
          f"{statistics.median(values) / 60:.1f} min (range {values[0] / 60:.1f}–"
          f"{values[-1] / 60:.1f}), sum {sum(values) / 3600:.2f} h (one torch thread each)")
    if samples and samples.is_file():
        cpu, peak, seen = {}, {}, []
        for line in samples.read_text().splitlines():
            stamp, pid, cpu_s, hwm_kib, *command = line.split()
            cpu[pid] = max(cpu.get(pid, 0), int(cpu_s))
            peak[pid] = max(peak.get(pid, 0), int(hwm_kib))
            seen.append(int(stamp))
        hours, median = (max(seen) - min(seen)) / 3600, statistics.median(peak.values()) / 1024
        print(f"{len(cpu)} study processes sampled over {hours:.2f} h: CPU "
              f"{sum(cpu.values()) / 3600:.2f} h in all, peak memory per process "
              f"{max(peak.values()) / 1024:.0f} MiB (median {median:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", default="paper")
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="/tmp/bcser-study-cost")
    parser.add_argument("--from-runs", type=Path, default=None, metavar="DIR",
                        help="measure nothing: what the finished runs in DIR cost (their records)")
    parser.add_argument("--samples", type=Path, default=None,
                        help="with --from-runs: a log of benchmarks/sample_processes.sh")
    args = parser.parse_args()
    if args.from_runs:
        from_runs(args.from_runs, args.samples)
        return
    cache = measured([sys.executable, "-c",
                      "from bcser_utils import config; from bcser_utils.learn import pipeline; "
                      "pipeline.prepare(config.get_config('full'), 'bc', progress=False)"])
    print(f"feature cache (full mode, BC, build or reopen): {cache['wall_s']:.0f} s wall, "
          f"{cache['cpu_s']:.0f} s CPU, peak {cache['peak_mib']:.0f} MiB")
    run = measured([sys.executable, "-m", "bcser_utils", "generalize", "--mode", "full",
                    "--recipes", args.recipe, "--folds", str(args.fold), "--seeds",
                    str(args.seed), "--out", args.out])
    print(f"one P3 run ({args.recipe}, fold {args.fold}, seed {args.seed}): "
          f"{run['wall_s'] / 60:.1f} min wall, {run['cpu_s'] / 60:.1f} min CPU, "
          f"peak {run['peak_mib']:.0f} MiB")
    runs = study_runs()
    total = sum(runs.values())
    print(f"the whole study: {total} deep runs ({', '.join(f'{k} {v}' for k, v in runs.items())})"
          f" ≈ {total * run['wall_s'] / 3600:.1f} h wall, {total * run['cpu_s'] / 3600:.1f} h CPU "
          "at this run's pace (estimate: runs differ in epochs and recipe), plus the classical "
          "baselines")


if __name__ == "__main__":
    main()
