"""Notebook 09: emotion in a voice never heard. The classical baseline, an ablation of what helps
under P3, AC against BC under the best recipe, and the final model.

Every deep run is a ``pipeline.run_protocol`` folder with a ``predictions.csv`` (the validation
and test clips of its fold), and every baseline run is a table of the same shape, so all of them
are pooled, averaged over seeds and fused the same way:

- ``RECIPES``: the paper's recipe, and each single change against it (``Recipe.overrides`` are
  ordinary ``config.get_config`` overrides).
- ``run_recipe``: a recipe on every P3 fold and seed, into
  ``runs/generalize-<mode>/<recipe>/<signal>-fold<k>-seed<s>/``.
- ``baseline_tables``: eGeMAPS + logistic regression or SVM, global or per-speaker
  standardisation, under P1, P2 and every P3 fold.
- ``score``: pooled accuracy, balanced accuracy and macro-F1 with intervals that resample whole
  actors; ``paired`` a difference on the same clips; ``ensemble`` and ``fuse`` average
  probabilities.
- ``select``: the selection rule, applied to the early-stopping actors only.

Notebook: 09_towards_unseen_speakers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import baseline, config, pipeline, splits
from .evaluation import ensemble, fuse, part, table_paired, table_score


@dataclass(frozen=True)
class Recipe:
    """A training recipe: the paper's, changed by ``overrides`` (config keys → values)."""

    name: str
    overrides: dict = field(default_factory=dict, hash=False)
    description: str = ""
    knob: str = ""  # changes that turn the same knob compete; the selection keeps one of them


PAPER = Recipe("paper", {}, "the paper's recipe: Table II's 15 versions, global per-band "
                            "standardisation, Adam, patience 5", "baseline")
RECIPES = {r.name: r for r in (
    PAPER,
    Recipe("speaker-norm", {"normalize.mode": "speaker"},
           "each speaker's log-mel standardised with that speaker's own mean and std per band",
           "normalisation"),
    Recipe("utterance-norm", {"normalize.mode": "utterance"},
           "each clip standardised with its own mean and std per band", "normalisation"),
    Recipe("no-augmentation", {"augment.n_versions": 1, "training.epoch_repeats": 15},
           "the originals only, no Table II versions (each epoch passes over them 15 times, as "
           "long as the paper's epoch of 15 versions)", "augmentation"),
    Recipe("specaugment-mixup", {"augment.n_versions": 1, "training.epoch_repeats": 15,
                                 "training.spec_augment": True, "training.mixup_alpha": 0.2},
           "the originals, with SpecAugment masks and mixup (α = 0.2) drawn anew at every "
           "pass, instead of Table II (epochs as long as the paper's)", "augmentation"),
    Recipe("two-sided", {"augment.two_sided": True},
           "Table II with two-sided ranges: speed 0.9–1.1, pitch ±2 semitones, VTLP α 0.9–1.1",
           "augmentation"),
    Recipe("log-floor", {"normalize.top_db": 80.0},
           "log-mel floored 80 dB below each clip's maximum (no digital-silence cue)",
           "log floor"),
    Recipe("weight-decay", {"training.weight_decay": 0.05}, "AdamW, weight decay 0.05",
           "weight decay"),
    Recipe("plateau", {"training.lr_schedule": "plateau"},
           "learning rate halved after 2 epochs without a lower validation loss", "schedule"),
    Recipe("patience-10", {"training.patience": 10}, "early stopping with patience 10",
           "patience"),
    Recipe("narrow", {"model.d_model": 32, "model.conv_channels": (8, 16)},
           "half the width: channels 8, 16; d_model 32", "width"),
    Recipe("wide", {"model.d_model": 128, "model.conv_channels": (32, 64)},
           "twice the width: channels 32, 64; d_model 128", "width"),
)}
ABLATION = tuple(RECIPES)

SELECTION_RULE = (
    "A change joins the final recipe if, averaged over its seeds, it raises the pooled accuracy "
    "on the early-stopping actors (every fold's validation actors: each actor once, 1,200 "
    "original clips) by at least 1 point over the paper's recipe with the same seeds. Of "
    "changes that turn the same knob (normalisation, augmentation, width), only the best on "
    "those actors joins. The combined recipe replaces the best single change only if it is "
    "better on the same actors; an ensemble of the seeds' models, and a fusion with the "
    "classical baseline, are kept only if they are better there too. Test actors are looked "
    "at after the choice, never before.")


# --- runs ----------------------------------------------------------------------------------------

def default_folder(mode: str) -> Path:
    return config.REPO_ROOT / "runs" / f"generalize-{mode}"


def recipe_config(recipe: Recipe, mode: str, seed: int = 0,
                  overrides: dict | None = None) -> config.Config:
    """``recipe``'s configuration; ``overrides`` set the study's scale (e.g. fewer versions for
    a test), but never undo the recipe's own change."""
    scale = {k: v for k, v in (overrides or {}).items() if k not in recipe.overrides}
    return config.get_config(mode, overrides={**scale, **recipe.overrides, "mode.seed": seed})


def run_folder(out: Path, recipe: Recipe, signal: str, fold: int, seed: int) -> Path:
    return Path(out) / recipe.name / f"{signal}-fold{fold}-seed{seed}"


def run_recipe(recipe: Recipe, mode: str = "full", signal: str = "bc", folds=None,
               seeds: Iterable[int] = (0,), out: str | Path | None = None,
               corpus: str | Path | None = None, max_epochs: int | None = None,
               overrides: dict | None = None, progress: bool = True) -> dict[tuple, pd.DataFrame]:
    """Train (or read back) ``recipe`` on every P3 fold and seed; {(fold, seed): predictions}."""
    out = Path(out or default_folder(mode))
    made = {}
    for seed in seeds:
        cfg = recipe_config(recipe, mode, seed, overrides)
        for fold in _folds(cfg, corpus, folds):
            folder = run_folder(out, recipe, signal, fold, seed)
            pipeline.run_protocol(cfg, "P3", fold, signal, corpus, folder, max_epochs, progress)
            made[fold, seed] = pd.read_csv(folder / "predictions.csv").assign(fold=fold,
                                                                              seed=seed)
    return made


def _folds(cfg: config.Config, corpus, folds) -> list[int]:
    if folds is not None:
        return list(folds)
    _, catalog = pipeline.find_catalog(cfg, corpus, progress=False)
    return list(range(splits.default_folds(catalog["actor"].nunique())))


def pooled(made: dict[tuple, pd.DataFrame], seed: int | None = None) -> pd.DataFrame:
    """One seed's predictions of every fold, stacked (each actor appears in one fold's test)."""
    seeds = sorted({s for _, s in made})
    seed = seeds[0] if seed is None else seed
    return pd.concat([t for (_, s), t in sorted(made.items()) if s == seed],
                     ignore_index=True)


def baseline_tables(mode: str = "full", signal: str = "bc", classifier: str = "logreg",
                    normalisation: str = "global", protocols=("P3",), folds=None,
                    corpus: str | Path | None = None, versions: int = 1,
                    out: str | Path | None = None, progress: bool = True) -> pd.DataFrame:
    """The eGeMAPS baseline under each protocol (and every P3 fold): the stacked predictions
    tables with ``protocol`` and ``fold`` columns, saved to (and read back from) ``out``."""
    out = Path(out or default_folder(mode)) / "baseline"
    saved = out / f"{signal}-{classifier}-{normalisation}-v{versions}-" \
                  f"{'-'.join(protocols)}.csv"
    if saved.exists():
        return pd.read_csv(saved)
    cfg = baseline.config_for(mode, normalisation, versions)
    prepared = pipeline.prepare(cfg, signal, corpus, progress)
    tables = []
    for protocol in protocols:
        for fold in (_folds(cfg, corpus, folds) if protocol == "P3" else [0]):
            tables.append(baseline.run(prepared, protocol, fold, classifier)
                          .assign(protocol=protocol, fold=fold))
    table = pd.concat(tables, ignore_index=True)
    saved.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(saved, index=False)
    return table


# --- the study --------------------------------------------------------------------------------

def recipe_tables(out: str | Path, recipe: str, signal: str = "bc") -> dict[int, pd.DataFrame]:
    """Every finished seed of ``recipe`` whose runs cover all its folds: {seed: predictions of
    every fold, stacked}. A seed with a fold still training is left out."""
    folder = Path(out) / recipe
    found: dict[int, list[pd.DataFrame]] = {}
    folds: set[int] = set()
    for run in sorted(folder.glob(f"{signal}-fold*-seed*")):
        fold, seed = (int(x) for x in run.name.removeprefix(f"{signal}-fold").split("-seed"))
        folds.add(fold)
        if (run / "predictions.csv").exists():
            found.setdefault(seed, []).append(pd.read_csv(run / "predictions.csv")
                                              .assign(fold=fold, seed=seed))
    n_folds = max(folds, default=-1) + 1
    return {seed: pd.concat(tables, ignore_index=True) for seed, tables in sorted(found.items())
            if len(tables) == n_folds and n_folds >= 3}


def recipe_summary(tables: dict[int, pd.DataFrame], paper: dict[int, pd.DataFrame] | None,
                   n_boot: int = 1000) -> dict:
    """A recipe's numbers: per seed, on the early-stopping actors ("val", what the selection
    reads) and on the test actors; the mean over seeds; the ensemble of the seeds' models; and
    the difference from the paper's recipe with the same seed on the same clips."""
    out = {"seeds": sorted(tables), "val": {}, "test": {}, "vs_paper": {}}
    for seed, table in tables.items():
        out["val"][seed] = table_score(part(table, "val"), n_boot)
        out["test"][seed] = table_score(part(table, "test"), n_boot)
        if paper and seed in paper:
            out["vs_paper"][seed] = {
                "val": table_paired(part(table, "val"), part(paper[seed], "val"), n_boot),
                "test": table_paired(part(table, "test"), part(paper[seed], "test"), n_boot)}
    for side in ("val", "test"):
        out[f"{side}_mean_accuracy"] = float(np.mean([s["accuracy"]
                                                      for s in out[side].values()]))
    if len(tables) > 1:
        out["ensemble"] = {side: table_score(part(ensemble(tables.values()), side), n_boot)
                           for side in ("val", "test")}
    if out["vs_paper"]:
        out["val_gain"] = float(np.mean([d["val"]["difference"]
                                         for d in out["vs_paper"].values()]))
        out["test_gain"] = float(np.mean([d["test"]["difference"]
                                          for d in out["vs_paper"].values()]))
    return out


def select(recipes: dict[str, dict], threshold: float = 0.01) -> dict:
    """``SELECTION_RULE`` applied to ``recipe_summary``s: read on the early-stopping actors only.
    Returns the changes that join, and for every knob the best change and its gain."""
    by_knob: dict[str, tuple[str, float]] = {}
    for name, summary in recipes.items():
        recipe = RECIPES.get(name)
        if recipe is None or name == PAPER.name or "val_gain" not in summary:
            continue
        best = by_knob.get(recipe.knob)
        if best is None or summary["val_gain"] > best[1]:
            by_knob[recipe.knob] = (name, summary["val_gain"])
    # "at least 1 point", exactly: a mean of clip counts is not exact in floating point
    # (12 clips of 1,200 averaged over two seeds came out as 0.009999999999999953)
    chosen = sorted(name for name, gain in by_knob.values() if gain >= threshold - 1e-9)
    return {"rule": SELECTION_RULE, "threshold": threshold,
            "best_per_knob": {k: {"recipe": n, "val_gain": g} for k, (n, g) in by_knob.items()},
            "chosen": chosen}


def baseline_summary(table: pd.DataFrame, n_boot: int = 1000) -> dict:
    """A baseline table's numbers: P1 and P2 on their validation clips, P3 on the early-stopping
    and the test actors of every fold, pooled."""
    out = {}
    for protocol, rows in table.groupby("protocol"):
        if protocol == "P3":
            out[protocol] = {side: table_score(part(rows, side), n_boot)
                             for side in ("val", "test")}
        else:
            out[protocol] = {"val": table_score(part(rows, "val"), n_boot)}
    return out


# --- AC against BC: what the features keep of the filter -----------------------------------------

def bc_survival(ac: np.ndarray, bc_: np.ndarray, cfg: config.Config) -> tuple[pd.DataFrame, dict]:
    """How much of the BC filter survives the features, from the same clips' AC and BC log-mel
    tensors (N, T, F), natural log of power, as the caches hold them.

    Per band: the mean offset BC − AC in dB (over clips and frames), the filter's own gain at the
    band's centre frequency (``bc.analytic_gain_db`` at 48 kHz: a linear filter is close to a
    constant offset per band), and how much the offset varies from clip to clip. Overall: the
    root-mean-square difference between BC and AC features, relative to the spread of the AC
    features, three ways: as cached, standardised per band (each signal with its own statistics,
    as ``Normalizer("global")`` does), and standardised by one scalar (``"scalar"``).
    """
    import librosa

    from . import bc as bc_module
    from .normalize import DB_PER_LN, Normalizer

    ac, bc_ = np.asarray(ac, dtype=np.float32), np.asarray(bc_, dtype=np.float32)
    f = cfg.features
    centres = librosa.mel_frequencies(f.n_mels + 2, fmin=0.0, fmax=f.sample_rate / 2)[1:-1]
    per_clip = (bc_ - ac).mean(axis=1) * DB_PER_LN  # (N, F) mean offset of each clip, dB
    bands = pd.DataFrame({
        "centre_hz": centres, "offset_db": per_clip.mean(0), "clip_spread_db": per_clip.std(0),
        "filter_gain_db": bc_module.analytic_gain_db(centres, cfg.bc.reference_rate,
                                                     cfg.bc.alpha, cfg.bc.beta)})

    def relative_rms(a, b):
        return float(np.sqrt(np.mean((b - a) ** 2)) / np.std(a))

    standardised = {}
    for mode in ("global", "scalar"):
        za = Normalizer(mode).fit(ac).transform(ac)
        zb = Normalizer(mode).fit(bc_).transform(bc_)
        standardised[mode] = relative_rms(za, zb)
    overall = {"clips": int(len(ac)), "as_cached": relative_rms(ac, bc_),
               "per_band_standardised": standardised["global"],
               "scalar_standardised": standardised["scalar"],
               "offset_vs_filter_rms_db": float(np.sqrt(np.mean(
                   (bands.offset_db - bands.filter_gain_db) ** 2)))}
    return bands, overall


# --- adapting to a speaker: how many clips -----------------------------------------------------

def adaptation_curve(model_path: str | Path, prepared: pipeline.Prepared, rows,
                     sizes=(1, 2, 4, 8, 16, 32), draws: int = 5, seed: int = 0) -> pd.DataFrame:
    """Accuracy of a speaker-normalised model when each test speaker's statistics come from
    only ``k`` of that speaker's clips (drawn ``draws`` times at random), for each k in
    ``sizes`` and for all of them: how many clips ``predict --same-speaker`` needs. Every clip of
    the speaker is then predicted with those statistics. One row per (k, draw)."""
    from .normalize import Normalizer
    from .predict import Predictor

    predictor = Predictor.load(model_path)
    rows = np.asarray(rows)
    index = prepared.cache.index.iloc[rows]
    actors, y = index["actor"].to_numpy(), index["emotion_code"].to_numpy() - 1
    features_ = np.asarray(prepared.cache.features[np.sort(rows)], dtype=np.float32)
    features_ = features_[np.argsort(np.argsort(rows))]  # back in the order of ``rows``
    rng = np.random.default_rng(seed)
    out = []
    for k in (*sizes, None):
        for draw in range(1 if k is None else draws):
            normalizer = Normalizer("speaker", predictor.normalizer.top_db,
                                    predictor.normalizer.standardizer)
            for actor in np.unique(actors):
                own = np.flatnonzero(actors == actor)
                chosen = own if k is None else rng.choice(own, min(k, len(own)), replace=False)
                normalizer.add_speaker(actor, features_[chosen])
            proba = predictor._probabilities(normalizer.transform(features_, actors))
            out.append({"clips": len(rows) // len(np.unique(actors)) if k is None else k,
                        "all": k is None, "draw": draw,
                        "accuracy": float((proba.argmax(1) == y).mean())})
    return pd.DataFrame(out)


def single_clip_tables(out: str | Path, recipe: Recipe, mode: str = "full", seed: int = 0,
                       corpus: str | Path | None = None,
                       overrides: dict | None = None) -> pd.DataFrame:
    """A speaker-normalised recipe used one clip at a time, measured: each P3 fold's model
    predicts its early-stopping and test actors' original clips, each clip normalised as
    ``Normalizer.single_clip`` does. A predictions table pooled over the folds."""
    from .predict import Predictor

    cfg = recipe_config(recipe, mode, seed, overrides)
    prepared = pipeline.prepare(cfg, "bc", corpus, progress=False)
    index = prepared.cache.index
    tables = []
    for fold in _folds(cfg, corpus, None):
        split = pipeline.make_split(prepared, "P3", fold)
        predictor = Predictor.load(run_folder(out, recipe, "bc", fold, seed) / "model.pt")
        for side in ("val", "test"):
            rows = np.sort(np.asarray(getattr(split, side), dtype=int))
            rows = rows[index["version"].to_numpy()[rows] == 0]
            proba = pipeline.predict_rows(predictor.model, prepared.cache, rows,
                                          predictor.normalizer.single_clip())
            tables.append(pipeline.prediction_table(side, index.iloc[rows], proba, cfg.emotions)
                          .assign(fold=fold))
    return pd.concat(tables, ignore_index=True)


def adaptation_table(out: str | Path, recipe: Recipe, mode: str = "full", seed: int = 0,
                     corpus: str | Path | None = None, overrides: dict | None = None,
                     sizes=(4, 8, 16, 32), draws: int = 5) -> pd.DataFrame:
    """``adaptation_curve`` for every P3 fold model of a speaker-normalised ``recipe`` on its
    own test actors, averaged over the folds (equal-sized: every actor has 60 clips)."""
    cfg = recipe_config(recipe, mode, seed, overrides)
    prepared = pipeline.prepare(cfg, "bc", corpus, progress=False)
    version = prepared.cache.index["version"].to_numpy()
    curves = []
    for fold in _folds(cfg, corpus, None):
        rows = np.asarray(pipeline.make_split(prepared, "P3", fold).test, dtype=int)
        curves.append(adaptation_curve(run_folder(out, recipe, "bc", fold, seed) / "model.pt",
                                       prepared, np.sort(rows[version[rows] == 0]), sizes,
                                       draws, seed=fold))
    return pd.concat(curves).groupby(["clips", "all", "draw"], as_index=False)["accuracy"].mean()


def single_clip_choice(out: str | Path, final: Recipe, n_boot: int = 1000, mode: str = "full",
                       corpus: str | Path | None = None, overrides: dict | None = None) -> dict:
    """The model for ``predict`` without ``--same-speaker``, where no speaker statistics exist:
    of the recipes that need none (seed 0) and the ``final`` recipe's models with the training
    statistics (``Normalizer.single_clip``), the best on the early-stopping actors."""
    candidates = {name: tables[0] for name, recipe in RECIPES.items()
                  if recipe.overrides.get("normalize.mode") != "speaker"
                  and 0 in (tables := recipe_tables(out, name))}
    if final.overrides.get("normalize.mode") == "speaker":
        candidates[final.name] = single_clip_tables(out, final, mode, 0, corpus, overrides)
    val = {name: table_score(part(t, "val"), n_boot=0)["accuracy"]
           for name, t in candidates.items()}
    chosen = max(val, key=val.get)
    return {"val_accuracy": val, "recipe": chosen,
            "test": table_score(part(candidates[chosen], "test"), n_boot)}


def ship_default(out: str | Path, summary: dict, models: str | Path | None = None,
                 mode: str = "full", corpus: str | Path | None = None) -> Path:
    """Make the study's choice ``predict``'s default: the refitted deep model (seed 0), the
    classical baseline refitted on every actor, and ``default.json`` naming both with the
    fusion weight the early-stopping actors chose. Returns the json's path."""
    chosen = summary["final"]["default"]
    models = Path(models or config.REPO_ROOT / "models")
    models.mkdir(parents=True, exist_ok=True)
    refit = Path(out) / "final-refit" / "bc-seed0" / "model.pt"
    deep = models / "bcser_default.pt"
    deep.write_bytes(refit.read_bytes())
    single = deep
    if summary["final"]["single_clip"]["recipe"] != summary["final"]["recipe"]["name"]:
        single = models / "bcser_default_single.pt"
        single.write_bytes((Path(out) / "single-refit" / "bc-seed0" / "model.pt").read_bytes())
    signal, classifier, normalisation = chosen["baseline"].split("-")[:3]
    prepared = pipeline.prepare(baseline.config_for(mode, normalisation), signal, corpus,
                                progress=False)
    model, normalizer = baseline.fit(prepared, splits.everything(prepared.cache.index),
                                     classifier)
    classical = baseline.save(models / "bcser_default_egemaps.skops", model, normalizer,
                              prepared, card={"baseline": chosen["baseline"]})
    path = models / "default.json"
    path.write_text(json.dumps({
        "deep": deep.name, "classical": classical.name if chosen["weight"] < 1 else None,
        "single": single.name, "single_recipe": summary["final"]["single_clip"]["recipe"],
        "weight": chosen["weight"], "chosen": chosen["model"],
        "deep_recipe": chosen["deep_recipe"], "baseline": chosen["baseline"],
        "how": "fusion weight, and the model for one clip at a time, chosen on the "
               "early-stopping actors of every P3 fold (results/generalize-full.json); every "
               "model refitted on every development actor"},
        indent=2) + "\n")
    return path


def combined(names: Iterable[str], name: str | None = None) -> Recipe:
    """One recipe with every change of ``names`` at once (their overrides merged), named by its
    changes ("speaker-norm+weight-decay"), so that runs of two combinations never share a folder."""
    names = sorted(names)
    name = name or "+".join(names)
    overrides: dict = {}
    for n in names:
        overrides.update(RECIPES[n].overrides)
    return Recipe(name, overrides, " + ".join(RECIPES[n].description for n in names)
                  or PAPER.description, "combined")


def fusion_weights(deep_val: pd.DataFrame, classical_val: pd.DataFrame,
                   weights=(0.0, 0.25, 0.5, 0.75, 1.0)) -> dict[float, float]:
    """Accuracy on the early-stopping actors of each late-fusion weight (1 = the deep model
    alone, 0 = the baseline alone): what picks the weight, never the test actors."""
    return {w: table_score(fuse(deep_val, classical_val, w), n_boot=0)["accuracy"] for w in weights}


# --- everything, for notebook 09 and the README ----------------------------------------------

def summarize(out: str | Path, mode: str = "full", command: str = "", n_boot: int = 1000,
              final: Recipe | None = None, corpus: str | Path | None = None,
              overrides: dict | None = None, selection_seeds: Iterable[int] = (0,)) -> dict:
    """Every number of notebook 09 from the run folders in ``out`` (what has finished): the
    baselines, each recipe against the paper's, the selection, the ``final`` (combined) recipe on
    BC and AC with their paired difference, the ensemble and the fusion with the baseline.
    The selection is the one ``final_recipe`` made: over ``selection_seeds``."""
    import time

    out = Path(out)
    paper = recipe_tables(out, PAPER.name)
    recipes = {}
    for name, recipe in RECIPES.items():
        tables = recipe_tables(out, name)
        if tables:
            recipes[name] = {"description": recipe.description, "knob": recipe.knob,
                             "overrides": recipe.overrides,
                             **recipe_summary(tables, None if name == PAPER.name else paper,
                                              n_boot)}
    baselines = {csv.stem: baseline_summary(pd.read_csv(csv), n_boot)
                 for csv in sorted((out / "baseline").glob("*.csv"))}
    from . import data

    cfg = config.get_config(mode)
    location, catalog = pipeline.find_catalog(cfg, corpus, progress=False)
    gains = val_gains(out, selection_seeds)  # what the rule read
    summary = {"mode": mode, "date": time.strftime("%Y-%m-%d"), "command": command,
               "source": data.describe(location, catalog, cfg),
               "selection": {**select(gains), "seeds": sorted(selection_seeds),
                             "val_gains": {name: g["val_gain"] for name, g in gains.items()}},
               "recipes": recipes, "baselines": baselines,
               "not_run": [name for name in RECIPES if name not in recipes]}
    chosen = summary["selection"]["chosen"]
    merged = combined(chosen) if len(chosen) > 1 else None
    combined_runs = recipe_tables(out, merged.name) if merged else {}
    if combined_runs:  # every chosen change at once, trained, and compared with the best single
        summary["combined"] = {
            "recipes": chosen, "name": merged.name, "overrides": merged.overrides,
            "val_accuracy": {s: table_score(part(t, "val"), 0)["accuracy"]
                             for s, t in combined_runs.items()},
            "test": {s: table_score(part(t, "test"), n_boot) for s, t in combined_runs.items()},
            "kept": final is not None and final.name == merged.name}
    if final is not None:
        summary["final"] = final_summary(out, final, paper, n_boot, mode, corpus, overrides)
    return summary


def final_summary(out: Path, final: Recipe, paper: dict, n_boot: int = 1000, mode: str = "full",
                  corpus: str | Path | None = None, overrides: dict | None = None) -> dict:
    """The final recipe on BC and AC (each against the paper's recipe, and BC − AC on the same
    clips per seed), the ensemble of its seeds, and the late fusion with the speaker-normalised
    eGeMAPS baseline at the weight the early-stopping actors pick."""
    result = {"recipe": {"name": final.name, "description": final.description,
                         "overrides": final.overrides}}
    signals = {s: recipe_tables(out, final.name, s) for s in ("bc", "ac")}
    papers = {"bc": paper, "ac": recipe_tables(out, PAPER.name, "ac")}
    for signal, tables in signals.items():
        if tables:
            result[signal] = recipe_summary(tables, papers[signal] or None, n_boot)
    for name, tables in (("paper", papers), ("final", signals)):
        seeds = sorted(set(tables["bc"]) & set(tables["ac"]))
        if seeds:
            result[f"bc_minus_ac_{name}"] = {
                seed: table_paired(part(tables["bc"][seed], "test"),
                                   part(tables["ac"][seed], "test"), n_boot) for seed in seeds}
    bc_tables = signals["bc"]
    classical = best_baseline(out, "bc")
    if bc_tables and classical is not None:
        # the seed the refit on every actor uses, so the estimate is of the model predict ships
        # (the ensemble of the seeds is result["bc"]["ensemble"])
        deep = bc_tables[min(bc_tables)]
        base = _p3(classical)
        weights = fusion_weights(part(deep, "val"), part(base, "val"))
        best = max(weights, key=lambda w: (weights[w], w))  # ties: the more deep weight
        fused = part(fuse(deep, base, best), "test")
        result["fusion"] = {"baseline": classical.stem, "val_accuracy_by_weight": weights,
                            "weight": best, "test": table_score(fused, n_boot),
                            "minus_baseline": table_paired(fused, part(base, "test"), n_boot),
                            "minus_deep": table_paired(fused, part(deep, "test"), n_boot),
                            "deep_test": table_score(part(deep, "test"), n_boot),
                            "baseline_test": table_score(part(base, "test"), n_boot)}
        # the default model: weight 0 is the baseline alone, 1 the deep model alone
        twin = classical.with_name(classical.name.replace("bc-", "ac-", 1))
        if twin.exists():  # the same baseline on AC: BC − AC on the same clips
            result["bc_minus_ac_baseline"] = {"baseline": classical.stem, **table_paired(
                part(base, "test"), part(_p3(twin), "test"), n_boot)}
        result["single_clip"] = single_clip_choice(out, final, n_boot, mode, corpus, overrides)
        # how many clips speaker statistics need: the final recipe's models if they use them,
        # else those of the speaker-normalised recipe that did best on the early-stopping actors
        val = {name: table_score(part(tables[0], "val"), n_boot=0)["accuracy"]
               for name, recipe in RECIPES.items()
               if recipe.overrides.get("normalize.mode") == "speaker"
               and 0 in (tables := recipe_tables(out, name))}
        adapted = final if final.overrides.get("normalize.mode") == "speaker" else \
            RECIPES[max(val, key=val.get)] if val else None
        if adapted is not None:
            result["adaptation_recipe"] = adapted.name
            result["adaptation"] = adaptation_table(out, adapted, mode, 0, corpus,
                                                    overrides).to_dict("records")
        result["refit_epochs"] = refit_epochs(out, final)
        result["default"] = {"model": {0.0: "classical baseline", 1.0: "deep model"}.get(
            best, "fusion"), "weight": best, "val_accuracy": weights[best],
            "baseline": classical.stem, "deep_recipe": final.name}
    return result


def _p3(csv: Path) -> pd.DataFrame:
    table = pd.read_csv(csv)
    return table[table["protocol"] == "P3"]


def best_baseline(out: str | Path, signal: str = "bc") -> Path | None:
    """The classical baseline table (classifier and standardisation) with the highest pooled
    P3 accuracy on the early-stopping actors; None if there is none."""
    tables = sorted((Path(out) / "baseline").glob(f"{signal}-*-v1-*P3*.csv"))
    if not tables:
        return None
    return max(tables, key=lambda csv: table_score(part(_p3(csv), "val"), n_boot=0)["accuracy"])


def val_gains(out: str | Path, seeds: Iterable[int], signal: str = "bc") -> dict[str, dict]:
    """Each ablation recipe's mean gain in accuracy over the paper's recipe on the early-stopping
    actors, over ``seeds``: what ``select`` reads. A recipe that has not finished every seed is
    left out (it cannot join); the paper's recipe must have finished them."""
    seeds = list(seeds)
    tables = {name: recipe_tables(out, name, signal) for name in ABLATION}
    tables = {name: t for name, t in tables.items() if set(seeds) <= set(t)}
    if PAPER.name not in tables:
        raise ValueError(f"the paper's recipe has not finished seeds {seeds} in {out}")

    def val_accuracy(table):
        return table_score(part(table, "val"), n_boot=0)["accuracy"]

    paper = {s: val_accuracy(tables[PAPER.name][s]) for s in seeds}
    return {name: {"val_gain": float(np.mean([val_accuracy(t[s]) - paper[s] for s in seeds]))}
            for name, t in tables.items() if name != PAPER.name}


def final_recipe(out: str | Path, seeds: Iterable[int]) -> Recipe:
    """The recipe ``SELECTION_RULE`` builds from the finished ablation runs in ``out``: the
    paper's if no change joins, the one change itself if one does (its runs are already there),
    else every chosen change at once, as a new recipe named by its changes ("a+b"), once trained
    kept only if it beats the best single change on the early-stopping actors."""
    seeds = list(seeds)
    gains = val_gains(out, seeds)
    chosen = select(gains)["chosen"]
    if len(chosen) <= 1:
        return RECIPES[chosen[0]] if chosen else PAPER
    merged = combined(chosen)
    tables = recipe_tables(out, merged.name)
    if set(seeds) <= set(tables):
        best = max(chosen, key=lambda name: gains[name]["val_gain"])
        mine, theirs = (np.mean([table_score(part(t[s], "val"), n_boot=0)["accuracy"]
                                 for s in seeds]) for t in (tables, recipe_tables(out, best)))
        if mine < theirs:
            return RECIPES[best]
    return merged


def refit_epochs(out: str | Path, recipe: Recipe, signal: str = "bc") -> int:
    """How long the refit on every actor trains: the median best epoch of ``recipe``'s P3 runs
    (every fold and seed), rounded up."""
    best = [json.loads(m.read_text())["best_epoch"]
            for m in sorted((Path(out) / recipe.name).glob(f"{signal}-fold*-seed*/metrics.json"))]
    if not best:
        raise ValueError(f"no finished P3 runs of {recipe.name!r} in {out}")
    return int(np.ceil(np.median(best)))
