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
- ``evaluation.table_score``: pooled accuracy, balanced accuracy and macro-F1 with intervals
  that resample whole actors; ``table_paired`` a difference on the same clips; ``ensemble`` and
  ``fuse`` average probabilities.
- ``select`` and ``final_recipe``: the selection rule, applied to the early-stopping actors only.
- ``bc_survival``: how much of the BC filter the features keep.

What the chosen recipe becomes (the ensemble, the fusion, the model ``predict`` ships) is
``final_model``, whose named steps ``python -m bcser_utils generalize`` calls. A step asked for
before the runs it reads have finished is a ``StudyError`` that says which.

Notebook: 09_towards_unseen_speakers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bcser_utils import config, files, provenance
from bcser_utils.learn import pipeline, splits
from bcser_utils.learn.evaluation import ensemble, part, table_paired, table_score
from bcser_utils.learn.runs import RunSpec
from bcser_utils.studies import baseline


class StudyError(ValueError):
    """A step of the study asked for before what it reads exists (the paper's recipe's runs, a
    recipe's runs, a refit, the summary), or a summary that is not the study's: the message
    names it and says what to run."""


@dataclass(frozen=True)
class Recipe:
    """A training recipe: the paper's, changed by ``overrides`` (config keys → values)."""

    name: str
    overrides: dict = field(default_factory=dict, hash=False)
    description: str = ""
    knob: str = ""  # changes that turn the same knob compete; the selection keeps one of them

    def spec(self, signal: str = "bc", fold: int = 0, seed: int = 0) -> RunSpec:
        """The recipe's P3 run on one fold with one seed."""
        return RunSpec("P3", fold, signal, seed, tuple(self.overrides.items()), self.name)


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
    "better on the same actors; an ensemble of the seeds' models is kept only if it is better "
    "there than each seed's model alone, and the weight of a fusion with the classical "
    "baseline (0 = the baseline alone, 1 = the deep model alone) is chosen there too. Test "
    "actors are looked at after the choice, never before.")


# --- runs ----------------------------------------------------------------------------------------

def default_folder(mode: str) -> Path:
    return config.RUNS_DIR / f"generalize-{mode}"


def recipe_config(recipe: Recipe, mode: str, seed: int = 0,
                  overrides: dict | None = None) -> config.Config:
    """``recipe``'s configuration; ``overrides`` set the study's scale (e.g. fewer versions for
    a test), but never undo the recipe's own change."""
    return recipe.spec(seed=seed).config(mode, overrides)


def run_folder(out: Path, recipe: Recipe, signal: str, fold: int, seed: int) -> Path:
    return Path(out) / recipe.spec(signal, fold, seed).name


def run_recipe(recipe: Recipe, mode: str = "full", signal: str = "bc", folds=None,
               seeds: Iterable[int] = (0,), out: str | Path | None = None,
               corpus: str | Path | None = None, max_epochs: int | None = None,
               overrides: dict | None = None, progress: bool = True) -> dict[tuple, pd.DataFrame]:
    """Train (or read back) ``recipe`` on every P3 fold and seed; {(fold, seed): predictions}."""
    out = Path(out or default_folder(mode))
    made = {}
    for seed in seeds:
        for fold in fold_numbers(recipe_config(recipe, mode, seed, overrides), corpus, folds):
            spec = recipe.spec(signal, fold, seed)
            spec.run(mode, out, corpus, max_epochs, progress, overrides)
            made[fold, seed] = pd.read_csv(out / spec.name / "predictions.csv").assign(
                fold=fold, seed=seed)
    return made


def fold_numbers(cfg: config.Config, corpus, folds=None) -> list[int]:
    """``folds`` if given, else every P3 fold of the corpus."""
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
        for fold in (fold_numbers(cfg, corpus, folds) if protocol == "P3" else [0]):
            tables.append(baseline.run(prepared, protocol, fold, classifier)
                          .assign(protocol=protocol, fold=fold))
    table = pd.concat(tables, ignore_index=True)
    saved.parent.mkdir(parents=True, exist_ok=True)
    files.write_atomically(saved, lambda tmp: table.to_csv(tmp, index=False))
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

    from bcser_utils.audio import bc as bc_module
    from bcser_utils.audio.normalize import DB_PER_LN, Normalizer

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


# --- everything, for notebook 09 and the README ----------------------------------------------

def summarize(out: str | Path, mode: str = "full", command: str = "", n_boot: int = 1000,
              final: Recipe | None = None, corpus: str | Path | None = None,
              selection_seeds: Iterable[int] = (0,)) -> dict:
    """The study's numbers from the run folders in ``out`` (what has finished): the baselines,
    each recipe against the paper's, the selection (the one ``final_recipe`` made: over
    ``selection_seeds``) and the combined recipe, kept if it is the ``final`` one. What the final
    recipe becomes is ``final_model.summarize``, saved beside these under "final"."""
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
    from bcser_utils.audio import ravdess

    cfg = config.get_config(mode)
    location, catalog = pipeline.find_catalog(cfg, corpus, progress=False)
    gains = val_gains(out, selection_seeds)  # what the rule read
    summary = {"mode": mode, "date": time.strftime("%Y-%m-%d"), "command": command,
               "source": ravdess.describe(location, catalog, cfg),
               "provenance": provenance.common(json.loads(path.read_text()).get("provenance")
                                               for path in sorted(out.rglob("metrics.json"))),
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
            "val_accuracy": {s: val_accuracy(t) for s, t in combined_runs.items()},
            "test": {s: table_score(part(t, "test"), n_boot) for s, t in combined_runs.items()},
            "kept": final is not None and final.name == merged.name}
    return summary


def val_accuracy(table: pd.DataFrame) -> float:
    """Pooled accuracy on the early-stopping actors: what every choice of the study reads."""
    return table_score(part(table, "val"), n_boot=0)["accuracy"]


def val_gains(out: str | Path, seeds: Iterable[int], signal: str = "bc") -> dict[str, dict]:
    """Each ablation recipe's mean gain in accuracy over the paper's recipe on the early-stopping
    actors, over ``seeds``: what ``select`` reads. A recipe that has not finished every seed is
    left out (it cannot join); the paper's recipe must have finished them."""
    seeds = list(seeds)
    tables = {name: recipe_tables(out, name, signal) for name in ABLATION}
    tables = {name: t for name, t in tables.items() if set(seeds) <= set(t)}
    if PAPER.name not in tables:
        raise StudyError(f"the paper's recipe has not finished seeds {seeds} in {out} "
                         f"(python -m bcser_utils generalize --recipes paper --seeds "
                         f"{' '.join(map(str, seeds))})")

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
        mine, theirs = (np.mean([val_accuracy(t[s]) for s in seeds])
                        for t in (tables, recipe_tables(out, best)))
        if mine < theirs:
            return RECIPES[best]
    return merged
