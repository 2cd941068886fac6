"""Notebook 08: the paper's protocol beside honest ones, AC against BC, noise, and calibration.

Every run here is a ``pipeline.run_protocol`` run folder, so a number in notebook 08, in
``python -m bcser_utils beyond`` and in the README comes from the same code:

- ``plan`` and ``run_all``: P1 (the paper's), P2, P3 on every fold for BC and for AC, and P3 BC on
  every fold once more without label smoothing, all with the paper's recipe and one seed, into
  ``runs/beyond-<mode>/<protocol>-<signal>-fold<k>[-ls<ε>]/``; ``beyond(seeds=...)`` repeats the
  P3 AC/BC grid with further seeds (``RunSpec.seed``) into ``runs/beyond-<mode>/seed<s>/``.
- ``leakage``: for each protocol, how many evaluated clips have another version of their recording
  in training, and how many come from an actor heard in training.
- ``robustness``: the P3 test recordings, clean and with white or speech-shaped noise at fixed SNRs
  added to the *air-conducted* audio, before the BC filter, through the feature cache's exact path
  (so the clean condition reproduces the cached test tensors bit for bit).
- ``summarize``: every headline number with its 95% interval, in one JSON-ready dict that
  ``figures`` draws and the README quotes.

Notebook: 08_beyond_the_paper.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from bcser_utils import config, files, provenance
from bcser_utils.audio import audio_input, clip, feature_cache, noise
from bcser_utils.learn import evaluation, pipeline, splits
from bcser_utils.learn.inference import Predictor
from bcser_utils.learn.runs import RunSpec
from bcser_utils.messages import progress_bar
from bcser_utils.present.formatting import NOISE_FREE

SIGNALS = ("bc", "ac")
SNRS_DB = (20, 10, 5, 0)


def run_spec(protocol: str, signal: str = "bc", fold: int = 0,
             label_smoothing: float | None = None, seed: int = 0) -> RunSpec:
    """One run of the grid, the paper's recipe; ``label_smoothing`` None keeps its 0.1. A seed
    other than 0 puts the run in a ``seed<s>/`` folder of its own (``RunSpec.name``)."""
    changes = () if label_smoothing is None else (("training.label_smoothing", label_smoothing),)
    return RunSpec(protocol, fold, signal, seed, overrides=changes)


def plan(folds: Iterable[int]) -> list[RunSpec]:
    """The grid: P1, P2 (BC), P3 on each of ``folds`` for BC and AC, and P3 BC on each of them
    again without label smoothing. Same features, model, recipe, seed and budget for every run."""
    folds = list(folds)
    return [run_spec("P1"), run_spec("P2"), *p3_grid(folds),
            *(run_spec("P3", "bc", k, label_smoothing=0.0) for k in folds)]


def p3_grid(folds: Iterable[int], seed: int = 0) -> list[RunSpec]:
    """The P3 part of ``plan`` that ``beyond`` repeats with further seeds: AC and BC, every fold."""
    return [run_spec("P3", signal, k, seed=seed) for k in folds for signal in SIGNALS]


def default_folder(mode: str) -> Path:
    return config.RUNS_DIR / f"beyond-{mode}"


def run_all(mode: str, runs: Iterable[RunSpec], corpus: str | Path | None = None,
            out: str | Path | None = None, folders: dict | None = None,
            progress: bool = True, max_epochs: int | None = None,
            overrides: dict | None = None) -> dict[str, dict]:
    """Train (or read back) every run; returns {run name: ``pipeline.summary``}.

    ``folders`` maps a run name to another run folder to use instead (notebook 08 reads notebook
    06's P1 run rather than train it twice). Resumable, like ``pipeline.run_protocol``.
    ``overrides`` (e.g. fewer versions) shrink every run alike, for a test.
    """
    out, folders = Path(out or default_folder(mode)), folders or {}
    return {run.name: run.run(mode, out, corpus, max_epochs, progress, overrides,
                              folder=folders.get(run.name))
            for run in runs}


# --- leakage -------------------------------------------------------------------------------------

def version_index(catalog: pd.DataFrame, n_versions: int) -> pd.DataFrame:
    """The rows a feature cache of ``catalog`` has (one per version of each recording, in the
    cache's order), without building it: all that the splits need."""
    recordings = catalog.sort_values("name", ignore_index=True)[feature_cache.INDEX_COLUMNS]
    index = recordings.loc[recordings.index.repeat(n_versions)].reset_index(drop=True)
    return index.assign(version=np.tile(np.arange(n_versions), len(recordings)))


def leakage(index: pd.DataFrame, cfg: config.Config, fold: int = 0) -> pd.DataFrame:
    """Per protocol: the clips it evaluates on, how many have a sibling version of the same
    recording in training, and how many come from an actor who is also in training."""
    n_folds = splits.default_folds(index["actor"].nunique())
    made = {"P1": splits.p1(index, cfg.training.val_fraction, cfg.mode.seed),
            "P2": splits.p2(index, cfg.training.val_fraction, cfg.mode.seed),
            "P3": splits.p3(index, fold, n_folds)}
    rows = []
    for protocol, split in made.items():
        evaluated = split.test if protocol == "P3" else split.val
        sibling = splits.siblings_in_training(index, replace(split, val=evaluated))
        actor_heard = np.isin(index["actor"].to_numpy()[evaluated],
                              index["actor"].to_numpy()[split.train])
        rows.append({"protocol": protocol, "evaluated_on": "test" if protocol == "P3" else "val",
                     "clips": len(evaluated), "sibling_in_training": int(sibling.sum()),
                     "actor_in_training": int(actor_heard.sum()),
                     "description": split.description})
    table = pd.DataFrame(rows).set_index("protocol")
    table["sibling_fraction"] = table["sibling_in_training"] / table["clips"]
    table["actor_fraction"] = table["actor_in_training"] / table["clips"]
    return table


# --- noise robustness ----------------------------------------------------------------------------

def noise_seed(seed: int, name: str, kind: str, snr_db: float) -> list[int]:
    """One noise draw per (recording, kind, SNR), the same for every model, so AC and BC models
    hear the very same noise."""
    return [seed, zlib.crc32(name.encode()), noise.KINDS.index(kind), int(round(snr_db * 10))]


def training_spectrum(catalog: pd.DataFrame, actors, cfg: config.Config,
                      every: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """The long-term speech spectrum of the training actors (every ``every``-th recording), the
    shape of the speech-shaped noise: never measured on the test actors."""
    chosen = catalog[catalog["actor"].isin(list(actors))].sort_values("name").iloc[::every]
    rate = cfg.augment.sample_rate
    return noise.long_term_spectrum(
        (audio_input.load_audio(path, sample_rate=rate, cfg=cfg)[0]
         for path in chosen["path"]), rate)


def robustness(models: dict[str, str | Path], recordings: pd.DataFrame, cfg: config.Config,
               spectrum: tuple[np.ndarray, np.ndarray], snrs=SNRS_DB, kinds=noise.KINDS,
               seed: int = 0, progress: bool = False) -> pd.DataFrame:
    """Every model's probabilities on ``recordings``: clean, and with each noise kind at each SNR.

    ``models`` maps a signal ("ac", "bc") to a model.pt. The noise goes into the air-conducted
    recording at 48 kHz; a BC model then hears it through the BC filter, as a BC signal made
    from a noisy microphone would. One row per (signal, condition, recording): its label, actor
    and the 8 probabilities (columns named after the emotions).
    """
    predictors = {signal: Predictor.load(path) for signal, path in models.items()}
    conditions = [(NOISE_FREE, np.inf)] + [(kind, float(snr)) for kind in kinds for snr in snrs]
    made = {(signal, kind, snr): [] for signal in predictors for kind, snr in conditions}
    rate = cfg.augment.sample_rate
    rows = recordings.sort_values("name", ignore_index=True)
    for row in progress_bar(rows.itertuples(index=False), total=len(rows), disable=not progress,
                    desc="noisy test clips"):
        audio, _ = audio_input.load_audio(row.path, sample_rate=rate, cfg=cfg)
        for kind, snr in conditions:
            heard = audio if kind == NOISE_FREE else noise.add_noise(
                audio, rate, snr, kind, noise_seed(seed, row.name, kind, snr), spectrum)
            for signal, predictor in predictors.items():
                made[signal, kind, snr].append(clip.clip_tensor(
                    heard, rate, predictor.signal, predictor.bc, predictor.features))
    tables = []
    for (signal, kind, snr), tensors in made.items():
        predictor = predictors[signal]
        proba = predictor.single_probabilities(tensors)
        table = pd.DataFrame(proba, columns=predictor.emotions)
        table.insert(0, "y", rows["emotion_code"].to_numpy() - 1)
        table.insert(0, "actor", rows["actor"].to_numpy())
        table.insert(0, "name", rows["name"].to_numpy())
        table.insert(0, "snr_db", snr)
        table.insert(0, "kind", kind)
        table.insert(0, "signal", signal)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def fold_robustness(catalog: pd.DataFrame, cfg: config.Config, fold: int, out: str | Path,
                    snrs=SNRS_DB, kinds=noise.KINDS, progress: bool = False) -> pd.DataFrame:
    """``robustness`` of P3 fold ``fold``'s AC and BC models of seed ``cfg.mode.seed`` on its
    test actors, saved to (and read back from) ``robustness-fold<k>.csv`` beside them (in
    ``out``, or ``out/seed<s>/``). Needs both runs of ``p3_grid`` in ``out``."""
    specs = {s: run_spec("P3", s, fold, seed=cfg.mode.seed) for s in SIGNALS}
    saved = Path(out) / Path(specs["bc"].name).parent / f"robustness-fold{fold}.csv"
    if saved.exists():
        return pd.read_csv(saved)
    n_folds = splits.default_folds(catalog["actor"].nunique())
    train_actors, _, test_actors = splits.p3_actors(catalog["actor"].unique(), fold, n_folds)
    models = {s: Path(out) / spec.name / "model.pt" for s, spec in specs.items()}
    table = robustness(models, catalog[catalog["actor"].isin(test_actors)], cfg,
                       training_spectrum(catalog, train_actors, cfg), snrs, kinds,
                       cfg.mode.seed, progress).assign(fold=fold)
    files.write_atomically(saved, lambda tmp: table.to_csv(tmp, index=False))
    return table


# --- the numbers ---------------------------------------------------------------------------------

def _accuracy(y, proba, actors, n_boot: int) -> dict:
    correct = proba.argmax(1) == y
    return {"accuracy": float(correct.mean()), "n": int(len(y)),
            "ci95": evaluation.bootstrap_ci(y, proba, "accuracy", n_boot),
            "ci95_by_actor": evaluation.bootstrap_ci(y, proba, "accuracy", n_boot,
                                                     groups=actors)}


def p3_pooled(robust: pd.DataFrame, signal: str, emotions, n_boot: int = 1000) -> dict:
    """P3 over all its folds at once: every actor is a test actor exactly once, so the pooled
    clean predictions cover the whole corpus; the interval resamples actors."""
    clean = robust[(robust["signal"] == signal) & (robust["kind"] == NOISE_FREE)]
    y, proba, actors = evaluation.prediction_arrays(clean, emotions)
    result = _accuracy(y, proba, actors, n_boot)
    per_actor = pd.Series(proba.argmax(1) == y).groupby(actors).mean()
    per_fold = clean.assign(correct=clean[list(emotions)].to_numpy().argmax(1) == clean["y"])
    result.update(
        balanced_accuracy=evaluation.score(y, proba, "balanced_accuracy"),
        mcc=evaluation.score(y, proba, "mcc"),
        per_actor_accuracy={int(a): float(v) for a, v in per_actor.items()},
        per_fold_accuracy={int(k): float(v) for k, v in per_fold.groupby("fold")["correct"]
                           .mean().items()},
        calibration=evaluation.calibration(y, proba))
    return result


def ac_vs_bc(robust: pd.DataFrame, emotions, n_boot: int = 1000) -> list[dict]:
    """BC minus AC accuracy on the same clips, clean and in every noise condition, with paired
    bootstrap intervals by clip and by actor (an actor's clips are not independent)."""
    rows = []
    for (kind, snr), group in robust.groupby(["kind", "snr_db"], sort=False):
        y, p_bc, actors = evaluation.prediction_arrays(group[group["signal"] == "bc"], emotions)
        y_ac, p_ac, _ = evaluation.prediction_arrays(group[group["signal"] == "ac"], emotions)
        if not np.array_equal(y, y_ac):
            raise ValueError("AC and BC predictions are not on the same clips")
        by_clip = evaluation.paired_difference(y, p_bc, p_ac, n_boot=n_boot)
        by_actor = evaluation.paired_difference(y, p_bc, p_ac, n_boot=n_boot, groups=actors)
        rows.append({"kind": kind, "snr_db": float(snr), "n": int(len(y)), "bc": by_clip["a"],
                     "ac": by_clip["b"], "difference": by_clip["difference"],
                     "ci95": by_clip["ci95"], "ci95_by_actor": by_actor["ci95"],
                     "bc_ci95_by_actor": evaluation.bootstrap_ci(y, p_bc, "accuracy", n_boot,
                                                                 groups=actors),
                     "ac_ci95_by_actor": evaluation.bootstrap_ci(y, p_ac, "accuracy", n_boot,
                                                                 groups=actors)})
    return rows


def smoothing_effect(runs: dict[str, dict]) -> dict | None:
    """P3 BC with the paper's label smoothing (ε = 0.1) against none (ε = 0), over every fold that
    has both runs (``_run_line``s by name): accuracy and log loss over all their test clips, the ECE
    of the pooled reliability bins, and each fold's pair. None if no fold has both."""
    folds = sorted(int(name.removeprefix("p3-bc-fold").removesuffix("-ls0")) for name in runs
                   if name.startswith("p3-bc-fold") and name.endswith("-ls0")
                   and name.removesuffix("-ls0") in runs)
    if not folds:
        return None

    def pooled(lines):
        n = sum(line["n"] for line in lines)
        return {"n": n, "accuracy": sum(line["accuracy"] * line["n"] for line in lines) / n,
                "log_loss": sum(line["log_loss"] * line["n"] for line in lines) / n,
                "calibration": evaluation.pooled_calibration(line["calibration"]
                                                             for line in lines)}

    smoothed = [runs[f"p3-bc-fold{k}"] for k in folds]
    plain = [runs[f"p3-bc-fold{k}-ls0"] for k in folds]
    return {"folds": folds, "smoothed": pooled(smoothed), "plain": pooled(plain),
            "per_fold": [{"fold": k, **{key: [a[key], b[key]] for key in
                                        ("accuracy", "ece", "log_loss", "best_epoch")}}
                         for k, a, b in zip(folds, smoothed, plain, strict=True)]}


def uncertain_below(top: np.ndarray, correct: np.ndarray) -> float:
    """The top probability below which a prediction is more often wrong than right: where a
    logistic fit of being right on the top probability crosses 1/2 (within [1/8, 1])."""
    from sklearn.linear_model import LogisticRegression

    if correct.all() or not correct.any():
        return 1 / 8 if correct.all() else 1.0
    fit = LogisticRegression(C=1e6).fit(top[:, None], correct)
    return float(np.clip(-fit.intercept_[0] / fit.coef_[0, 0], 1 / 8, 1.0))


def confidence(folders: Iterable[Path], emotions, n_boot: int = 1000) -> dict:
    """When a prediction is a verdict and when it is a guess, for the P3 models of ``folders``.

    The rule, written before any test number was read: pool every fold's early-stopping actors
    (the "val" rows of each run's predictions.csv); the threshold is ``uncertain_below`` of
    their top probabilities. Then, on the test actors (every actor once, over the folds): the
    share of clips at or above it (coverage), the accuracy there and below it, and the whole
    coverage–accuracy curve."""
    table = pd.concat([pd.read_csv(Path(f) / "predictions.csv") for f in folders],
                      ignore_index=True)
    proba, y = table[list(emotions)].to_numpy(), table["y"].to_numpy()
    top, correct = proba.max(1), proba.argmax(1) == y
    val, test = (table["part"] == "val").to_numpy(), (table["part"] == "test").to_numpy()
    threshold = uncertain_below(top[val], correct[val])
    sure = test & (top >= threshold)

    def accuracy(mask):
        return float(correct[mask].mean()) if mask.any() else None

    grid = np.round(np.arange(0.125, 1.0, 0.025), 3)
    return {"rule": "uncertain below the top probability at which a logistic fit of being "
                    "right crosses 1/2, fitted on the early-stopping actors of every P3 fold",
            "uncertain_below": threshold, "n_val": int(val.sum()), "n_test": int(test.sum()),
            "coverage": float(sure.sum() / test.sum()), "accuracy_all": accuracy(test),
            "accuracy_sure": accuracy(sure), "accuracy_uncertain": accuracy(test & ~sure),
            "curve": [{"threshold": float(t), "coverage": float((top[test] >= t).mean()),
                       "accuracy": accuracy(test & (top >= t))} for t in grid]}


def _run_line(summary: dict, leak: pd.DataFrame | None) -> dict:
    m = summary["metrics"]
    line = {"protocol": summary["protocol"], "signal": summary["signal"],
            "evaluated_on": summary["evaluated_on"], "n_train": summary["n_train"],
            "n": summary["n_evaluated"], "accuracy": m["accuracy"],
            "ci95": m["ci95"]["accuracy"],
            "ci95_by_actor": m.get("ci95_by_actor", {}).get("accuracy"),
            "balanced_accuracy": m["balanced_accuracy"], "mcc": m["mcc"],
            "log_loss": m["log_loss_overall"], "ece": m["calibration"]["ece"],
            "calibration": m["calibration"], "per_actor_accuracy": m["per_actor_accuracy"],
            "best_epoch": summary["best_epoch"], "stopped_epoch": summary["stopped_epoch"],
            "seconds_per_epoch": summary["seconds_per_epoch"],
            "label_smoothing": summary.get("label_smoothing")}
    if leak is not None and summary["protocol"] in leak.index:
        row = leak.loc[summary["protocol"]]
        line.update(sibling_fraction=float(row["sibling_fraction"]),
                    actor_fraction=float(row["actor_fraction"]))
    return line


def summarize(results: dict[str, dict], robust: pd.DataFrame, leak: pd.DataFrame,
              cfg: config.Config, command: str, n_folds: int, n_boot: int = 1000,
              replicates: dict[int, pd.DataFrame] | None = None) -> dict:
    """The headline numbers of notebook 08 and the README, each with its 95% interval.

    ``results`` are ``run_all``'s summaries; ``robust`` the concatenated ``fold_robustness``
    tables (every P3 fold that was run, out of ``n_folds``); ``leak`` is ``leakage``'s table;
    ``replicates`` maps a further seed to its own ``robust`` table (the P3 grid trained again).
    """
    any_run = next(iter(results.values()))
    folds = sorted(int(k) for k in robust["fold"].unique())
    runs = {name: _run_line(s, leak) for name, s in results.items()}
    for name, line in runs.items():  # runs made before run.json recorded ε: the name says it
        if line["label_smoothing"] is None:
            line["label_smoothing"] = 0.0 if name.endswith("-ls0") else 0.1
    return {
        "date": time.strftime("%Y-%m-%d"), "command": command, "mode": cfg.mode.name,
        "provenance": provenance.common(s.get("provenance") for s in results.values()),
        "seed": cfg.mode.seed, "source": any_run["source"], "synthetic": any_run["synthetic"],
        "folds": folds, "n_folds": n_folds,
        "paper": {"p1_accuracy": cfg.reported.val_accuracy,
                  "hosain_bc_accuracy": cfg.reported.hosain_bc_accuracy,
                  "hosain_ac_accuracy": cfg.reported.hosain_ac_accuracy},
        "leakage": leak.reset_index().to_dict(orient="records"),
        "runs": runs,
        "p3": {signal: p3_pooled(robust, signal, cfg.emotions, n_boot) for signal in SIGNALS
               if (robust["signal"] == signal).any()},
        "ac_vs_bc": (paired := ac_vs_bc(robust, cfg.emotions, n_boot)),
        "label_smoothing": smoothing_effect(runs),
        "seeds": [{"seed": cfg.mode.seed, "folds": folds, "ac_vs_bc": paired}] + [
            {"seed": int(seed), "folds": sorted(int(k) for k in table["fold"].unique()),
             "ac_vs_bc": ac_vs_bc(table, cfg.emotions, n_boot)}
            for seed, table in (replicates or {}).items()],
    }


def beyond(mode: str = "full", corpus: str | Path | None = None, out: str | Path | None = None,
           folds: Iterable[int] | None = None, folders: dict | None = None,
           progress: bool = True, max_epochs: int | None = None,
           overrides: dict | None = None, n_boot: int = 1000,
           command: str | None = None, seeds: Iterable[int] = ()) -> dict:
    """Notebook 08 end to end: train (or read back) ``plan(folds)``, test every P3 fold's AC and
    BC models in noise, count the leaks, and write ``out/summary.json``. ``folds`` defaults to
    every P3 fold. ``seeds``: further seeds with which to train and test the P3 AC/BC grid again
    (each its own augmentation draws, initial weights and batch order, and noise draws), in
    ``out/seed<s>/``. Resumable: finished runs and noise tables are read back."""
    cfg = config.get_config(mode, overrides=overrides)
    out = Path(out or default_folder(cfg.mode.name))
    location, catalog = pipeline.find_catalog(cfg, corpus, progress)
    n_folds = splits.default_folds(catalog["actor"].nunique())
    folds = list(range(n_folds) if folds is None else folds)
    results = run_all(cfg.mode.name, plan(folds), location.root, out, folders, progress,
                      max_epochs, overrides)
    robust = pd.concat([fold_robustness(catalog, cfg, k, out, progress=progress) for k in folds],
                       ignore_index=True)
    replicates = {}
    for seed in (s for s in seeds if s != cfg.mode.seed):
        run_all(cfg.mode.name, p3_grid(folds, seed), location.root, out, None, progress,
                max_epochs, overrides)
        seed_cfg = config.get_config(cfg.mode.name, overrides={**(overrides or {}),
                                                               "mode.seed": seed})
        replicates[seed] = pd.concat([fold_robustness(catalog, seed_cfg, k, out,
                                                      progress=progress) for k in folds],
                                     ignore_index=True)
    leak = leakage(version_index(catalog, cfg.augment.n_versions), cfg, folds[0])
    command = command or f"python -m bcser_utils beyond --mode {cfg.mode.name}"
    summary = summarize(results, robust, leak, cfg, command, n_folds, n_boot, replicates)
    summary["confidence"] = confidence([out / run_spec("P3", "bc", k).name for k in folds],
                                       cfg.emotions)
    evaluation.save_json(summary, out / "summary.json")
    return summary
