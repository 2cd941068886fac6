"""One run spec for every study: what a training run is, and where it lives.

A run is a protocol (P1, P2, P3 or ALL), a P3 fold, a signal (bc or ac), a seed, and the config
overrides of its recipe (the paper's recipe when none). ``make reproduce``, notebook 08's grid
(``beyond.plan``) and notebook 09's recipes (``generalize.Recipe.spec``) all describe their runs
with ``RunSpec`` and train them with ``RunSpec.run``:

    RunSpec("P1")                                     runs/…/p1-bc-fold0
    RunSpec("P3", 2, "ac")                            runs/…/p3-ac-fold2
    RunSpec("P3", overrides=(("training.label_smoothing", 0.0),))      …/p3-bc-fold0-ls0
    RunSpec("P3", 1, seed=1, recipe="speaker-norm",
            overrides=(("normalize.mode", "speaker"),))                …/speaker-norm/bc-fold1-seed1

Orchestration only: what a run computes is ``pipeline.run_protocol``'s (and is fingerprinted
there, ``provenance``); this module decides which runs exist and their folders.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from bcser_utils import config
from bcser_utils.learn import evaluation, pipeline


@dataclass(frozen=True)
class RunSpec:
    protocol: str
    fold: int = 0
    signal: str = "bc"
    seed: int = 0
    overrides: tuple = ()  # (config key, value) pairs: what the run's recipe changes
    recipe: str = ""  # a named recipe's runs live in a folder of their own, one per seed

    @property
    def name(self) -> str:
        """The run's folder under its study's folder."""
        if self.recipe:
            return f"{self.recipe}/{self.signal}-fold{self.fold}-seed{self.seed}"
        tail = "" if self.label_smoothing is None else f"-ls{self.label_smoothing:g}"
        return f"{self.protocol.lower()}-{self.signal}-fold{self.fold}{tail}"

    @property
    def label_smoothing(self) -> float | None:
        """The run's own label smoothing, None when it keeps the paper's."""
        return dict(self.overrides).get("training.label_smoothing")

    def config(self, mode: str, scale: dict | None = None) -> config.Config:
        """The mode's configuration with the run's overrides and seed; ``scale`` (e.g. fewer
        versions, for a test) shrinks it but never undoes the run's own changes."""
        own = dict(self.overrides)
        scale = {k: v for k, v in (scale or {}).items() if k not in own}
        seed = {"mode.seed": self.seed} if self.seed else {}
        return config.get_config(mode, overrides={**scale, **own, **seed} or None)

    def run(self, mode: str, out: str | Path, corpus: str | Path | None = None,
            max_epochs: int | None = None, progress: bool = True, scale: dict | None = None,
            folder: str | Path | None = None) -> dict:
        """Train (or read back, or resume) the run in ``out/<name>`` (or ``folder``); its
        summary (``pipeline.run_protocol``)."""
        return pipeline.run_protocol(self.config(mode, scale), self.protocol, self.fold,
                                     self.signal, corpus, Path(folder or Path(out) / self.name),
                                     max_epochs, progress)


# The paper-scale runs of ``make reproduce``: the paper's protocol, then the honest one.
REPRODUCE_RUNS = (RunSpec("P1"), RunSpec("P3"))


def reproduce(mode: str = "full", signal: str = "bc", corpus: str | Path | None = None,
              out: str | Path | None = None, runs=REPRODUCE_RUNS, progress: bool = True,
              versions: int | None = None, max_epochs: int | None = None) -> dict:
    """The paper-scale pipeline end to end: P1 (the paper's protocol) and P3 fold 0
    (speaker-independent), each into ``out/<protocol>-<signal>-fold<k>/``, and a summary in
    ``out/reproduce.json``. Resumable: run it again after an interruption and finished runs are
    read back, an unfinished one continues from its last epoch. ``versions`` and ``max_epochs``
    shrink it for a test; the defaults are the paper's.
    """
    scale = {"augment.n_versions": versions} if versions else None
    cfg = config.get_config(mode, overrides=scale)
    out = Path(out or config.RUNS_DIR / f"reproduce-{cfg.mode.name}")
    results = {}
    for spec in runs:
        spec = replace(spec, signal=signal)
        began = time.perf_counter()
        s = spec.run(mode, out, corpus, max_epochs, progress, scale)
        if not s:  # a helper process under torchrun
            continue
        m = s["metrics"]
        results[spec.name] = {
            "protocol": spec.protocol, "fold": spec.fold, "description": s["description"],
            "evaluated_on": s["evaluated_on"], "n_train": s["n_train"],
            "n_evaluated": s["n_evaluated"], "accuracy": m["accuracy"],
            "accuracy_ci95": m["ci95"]["accuracy"], "balanced_accuracy": m["balanced_accuracy"],
            "mcc": m["mcc"], "ece": m["calibration"]["ece"], "best_epoch": s["best_epoch"],
            "stopped_epoch": s["stopped_epoch"], "early_stopped": s["early_stopped"],
            "seconds_per_epoch": s["seconds_per_epoch"], "timing": s.get("timing"),
            "wall_s_this_call": time.perf_counter() - began}
    if not results:
        return {}
    summary_ = {"mode": cfg.mode.name, "signal": signal, "source": s["source"],
                "date": time.strftime("%Y-%m-%d"), "folder": str(out), "runs": results}
    evaluation.save_json(summary_, out / "reproduce.json")
    return summary_
