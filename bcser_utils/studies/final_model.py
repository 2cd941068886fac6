"""Notebook 09's final model: what the chosen recipe (``generalize.final_recipe``) becomes.

- ``ensemble_choice``: the mean of the seeds' models, kept only if it beats each seed's alone on
  the early-stopping actors (the selection rule's last sentence but one).
- ``fusion_weights``: late fusion with the best classical baseline, its weight chosen there too.
- ``single_clip_choice``: the model for a clip on its own, where no speaker statistics exist.
- ``adaptation_curve``: how many clips of one speaker ``predict --same-speaker`` needs.
- ``summarize``: all of it, with intervals on the test actors (``results/generalize-full.json``
  under "final"); ``ship_default``: the refits it names become ``predict``'s default.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from bcser_utils import config
from bcser_utils.learn import artifacts, pipeline, splits
from bcser_utils.learn.evaluation import ensemble, fuse, part, table_paired, table_score
from bcser_utils.messages import display_path
from bcser_utils.present import report, study_report
from bcser_utils.studies import baseline
from bcser_utils.studies.generalize import (
    PAPER,
    RECIPES,
    Recipe,
    fold_numbers,
    recipe_config,
    recipe_summary,
    recipe_tables,
    run_folder,
    val_accuracy,
)


def ensemble_choice(tables: dict[int, pd.DataFrame]) -> dict:
    """Whether the final recipe ships as the mean of its seeds' models: kept only if, on the
    early-stopping actors, the ensemble of every finished seed beats each seed's model alone.
    ``seeds``: the seeds whose models ship (the first seed alone if the ensemble is not kept)."""
    by_seed = {seed: val_accuracy(t) for seed, t in sorted(tables.items())}
    choice = {"val_accuracy_by_seed": by_seed, "kept": False, "seeds": [min(tables)]}
    if len(tables) > 1:
        choice["val_accuracy_ensemble"] = val_accuracy(ensemble(tables.values()))
        choice["kept"] = choice["val_accuracy_ensemble"] > max(by_seed.values())
        choice["seeds"] = sorted(tables) if choice["kept"] else [min(tables)]
    return choice


# --- adapting to a speaker: how many clips -----------------------------------------------------

def adaptation_curve(model_path: str | Path, prepared: pipeline.Prepared, rows,
                     sizes=(1, 2, 4, 8, 16, 32), draws: int = 5, seed: int = 0) -> pd.DataFrame:
    """Accuracy of a speaker-normalised model when each test speaker's statistics come from
    only ``k`` of that speaker's clips (drawn ``draws`` times at random), for each k in
    ``sizes`` and for all of them: how many clips ``predict --same-speaker`` needs. Every clip of
    the speaker is then predicted with those statistics. One row per (k, draw)."""
    from bcser_utils.audio.normalize import Normalizer
    from bcser_utils.learn.inference import Predictor

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
    from bcser_utils.learn.inference import Predictor

    cfg = recipe_config(recipe, mode, seed, overrides)
    prepared = pipeline.prepare(cfg, "bc", corpus, progress=False)
    index = prepared.cache.index
    tables = []
    for fold in fold_numbers(cfg, corpus, None):
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
    for fold in fold_numbers(cfg, corpus, None):
        rows = np.asarray(pipeline.make_split(prepared, "P3", fold).test, dtype=int)
        curves.append(adaptation_curve(run_folder(out, recipe, "bc", fold, seed) / "model.pt",
                                       prepared, np.sort(rows[version[rows] == 0]), sizes,
                                       draws, seed=fold))
    return pd.concat(curves).groupby(["clips", "all", "draw"], as_index=False)["accuracy"].mean()


def single_clip_choice(out: str | Path, final: Recipe, n_boot: int = 1000, mode: str = "full",
                       corpus: str | Path | None = None, overrides: dict | None = None,
                       seeds=(0,)) -> dict:
    """The model for ``predict`` without ``--same-speaker``, where no speaker statistics exist:
    of the recipes that need none (seed 0) and the ``final`` recipe's models as they ship (the
    mean of ``seeds``' models; with the training statistics, ``Normalizer.single_clip``, if
    they were trained per speaker), the best on the early-stopping actors."""
    candidates = {name: tables[0] for name, recipe in RECIPES.items()
                  if recipe.overrides.get("normalize.mode") != "speaker"
                  and 0 in (tables := recipe_tables(out, name))}
    if final.overrides.get("normalize.mode") == "speaker":
        shipped = [single_clip_tables(out, final, mode, s, corpus, overrides) for s in seeds]
    else:
        shipped = [recipe_tables(out, final.name)[s] for s in seeds]
    candidates[final.name] = ensemble(shipped) if len(shipped) > 1 else shipped[0]
    val = {name: val_accuracy(t) for name, t in candidates.items()}
    chosen = max(val, key=val.get)
    return {"val_accuracy": val, "recipe": chosen,
            "seeds": list(seeds) if chosen == final.name else [0],
            "test": table_score(part(candidates[chosen], "test"), n_boot)}


def ship_default(out: str | Path, summary: dict, models: str | Path | None = None,
                 mode: str = "full", corpus: str | Path | None = None) -> Path:
    """Make the study's choice ``predict``'s default: the refitted deep models (one per seed the
    summary ships: an ensemble if it paid), the classical baseline refitted on every actor, and
    ``default.json`` naming them with the fusion weight the early-stopping actors chose, and
    their model card (``study_report.default_card``). Returns the json's path."""
    final = summary["final"]
    chosen = final["default"]
    models = Path(models or config.MODELS_DIR)
    models.mkdir(parents=True, exist_ok=True)

    def copy(where: str, stem: str, seeds) -> list[str]:  # one file per seed: stem_seed1.pt …
        names = [f"{stem}{'' if s == 0 else f'_seed{s}'}.pt" for s in seeds]
        for seed, name in zip(seeds, names, strict=True):
            refit = Path(out) / where / f"bc-seed{seed}" / "model.pt"
            if not refit.is_file():
                raise ValueError(f"{refit}: no such refit (python -m bcser_utils generalize "
                                 f"--refit --refit-single --seeds {' '.join(map(str, seeds))})")
            (models / name).write_bytes(refit.read_bytes())
        return names

    deep = copy("final-refit", "bcser_default", chosen.get("deep_seeds", [0]))
    single = final["single_clip"]
    single_names = deep if single["recipe"] == final["recipe"]["name"] else \
        copy("single-refit", "bcser_default_single", single.get("seeds", [0]))
    signal, classifier, normalisation = chosen["baseline"].split("-")[:3]
    prepared = pipeline.prepare(baseline.config_for(mode, normalisation), signal, corpus,
                                progress=False)
    model, normalizer = baseline.fit(prepared, splits.everything(prepared.cache.index),
                                     classifier)
    classical = baseline.save(models / "bcser_default_egemaps.pt", model, normalizer,
                              prepared, card={"baseline": chosen["baseline"]})
    (models / "DEFAULT_MODEL_CARD.md").write_text(study_report.default_card(
        summary, [*dict.fromkeys([*deep, *single_names]),
                  *([classical.name] if chosen["weight"] < 1 else [])]))
    return artifacts.save_manifest(models / "default.json", {
        "deep": deep, "classical": classical.name if chosen["weight"] < 1 else None,
        "single": single_names, "single_recipe": single["recipe"],
        "weight": chosen["weight"], "chosen": chosen["model"],
        "deep_recipe": chosen["deep_recipe"], "baseline": chosen["baseline"],
        "provenance": summary.get("provenance"),  # the code that trained the study's runs
        "how": "the ensemble of seeds, the fusion weight, and the model for one clip at a time, "
               "chosen on the early-stopping actors of every P3 fold "
               "(results/generalize-full.json); every model refitted on every development "
               "actor; a list of models is averaged"})


def fusion_weights(deep_val: pd.DataFrame, classical_val: pd.DataFrame,
                   weights=(0.0, 0.25, 0.5, 0.75, 1.0)) -> dict[float, float]:
    """Accuracy on the early-stopping actors of each late-fusion weight (1 = the deep model
    alone, 0 = the baseline alone): what picks the weight, never the test actors."""
    return {w: table_score(fuse(deep_val, classical_val, w), n_boot=0)["accuracy"] for w in weights}


def summarize(out: str | Path, final: Recipe, n_boot: int = 1000, mode: str = "full",
              corpus: str | Path | None = None, overrides: dict | None = None) -> dict:
    """What the ``final`` recipe becomes: on BC and AC (each against the paper's recipe, and
    BC − AC on the same clips per seed), the ensemble of its seeds (``ensemble_choice``), and
    the late fusion of the models that ship with the best eGeMAPS baseline, at the weight the
    early-stopping actors pick (``fusion_weights``); then the single-clip model, the adaptation
    curve and the refit's epochs."""
    out = Path(out)
    result = {"recipe": {"name": final.name, "description": final.description,
                         "overrides": final.overrides}}
    signals = {s: recipe_tables(out, final.name, s) for s in ("bc", "ac")}
    papers = {s: recipe_tables(out, PAPER.name, s) for s in ("bc", "ac")}
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
        # the models predict ships: the ensemble of the seeds if it paid, else the first seed
        choice = ensemble_choice(bc_tables)
        result["ensemble_choice"] = choice
        shipped = [bc_tables[s] for s in choice["seeds"]]
        deep = ensemble(shipped) if len(shipped) > 1 else shipped[0]
        base = _p3(classical)
        weights = fusion_weights(part(deep, "val"), part(base, "val"))
        best = max(weights, key=lambda w: (weights[w], w))  # ties: the more deep weight
        fused = part(fuse(deep, base, best), "test")
        # weight 0 is the baseline alone, 1 the deep model alone
        result["fusion"] = {"baseline": classical.stem, "val_accuracy_by_weight": weights,
                            "weight": best, "deep_seeds": choice["seeds"],
                            "test": table_score(fused, n_boot),
                            "minus_baseline": table_paired(fused, part(base, "test"), n_boot),
                            "minus_deep": table_paired(fused, part(deep, "test"), n_boot),
                            "deep_test": table_score(part(deep, "test"), n_boot),
                            "baseline_test": table_score(part(base, "test"), n_boot)}
        twin = classical.with_name(classical.name.replace("bc-", "ac-", 1))
        if twin.exists():  # the same baseline on AC: BC − AC on the same clips
            result["bc_minus_ac_baseline"] = {"baseline": classical.stem, **table_paired(
                part(base, "test"), part(_p3(twin), "test"), n_boot)}
        result["single_clip"] = single_clip_choice(out, final, n_boot, mode, corpus, overrides,
                                                   choice["seeds"])
        # how many clips speaker statistics need: the final recipe's models if they use them,
        # else those of the speaker-normalised recipe that did best on the early-stopping actors
        val = {name: val_accuracy(tables[0]) for name, recipe in RECIPES.items()
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
            "baseline": classical.stem, "deep_recipe": final.name,
            "deep_seeds": choice["seeds"]}
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
    return max(tables, key=lambda csv: val_accuracy(_p3(csv)))


def refit_epochs(out: str | Path, recipe: Recipe, signal: str = "bc") -> int:
    """How long the refit on every actor trains: the median best epoch of ``recipe``'s P3 runs
    (every fold and seed), rounded up."""
    best = [json.loads(m.read_text())["best_epoch"]
            for m in sorted((Path(out) / recipe.name).glob(f"{signal}-fold*-seed*/metrics.json"))]
    if not best:
        raise ValueError(f"no finished P3 runs of {recipe.name!r} in {out}")
    return int(np.ceil(np.median(best)))


# --- the whole study, as one call ----------------------------------------------------------------

def study(mode: str = "full", *, baselines: bool = False, recipes=(), final: bool = False,
          refit: bool = False, refit_single: bool = False, summary: bool = False,
          ship: bool = False, signal: str = "bc", folds=None, seeds=(0,), selection_seeds=(0,),
          versions: int | None = None, corpus: str | Path | None = None,
          out: str | Path | None = None, models: str | Path | None = None,
          say=print) -> dict | None:
    """Notebook 09's study, each step on request, in its order: the classical ``baselines``;
    the deep ``recipes`` (names of ``generalize.RECIPES``) on every P3 fold and seed; the
    ``final`` recipe that the selection rule chooses (over ``selection_seeds``); its ``refit`` on
    every actor, and the ``refit_single`` model for one clip; the ``summary``
    (``runs/generalize-<mode>/summary.json``, returned); ``ship``: the summary's choice becomes
    ``predict``'s default. Every step is resumable. ``python -m bcser_utils generalize`` calls it;
    ``say`` reports progress. ``versions`` shrinks every run alike (for a test)."""
    import time

    from bcser_utils.learn import evaluation
    from bcser_utils.studies import generalize

    began = time.perf_counter()
    out = Path(out or generalize.default_folder(mode))
    scale = {"augment.n_versions": versions} if versions else None
    if baselines:  # every classical baseline on P2 and on every P3 fold
        for kind in [(s, c, n) for s in ("bc", "ac") for c in baseline.CLASSIFIERS
                     for n in ("global", "speaker")]:
            generalize.baseline_tables(mode, *kind, ("P2", "P3"), corpus=corpus, out=out,
                                       progress=False)
        say(f"baselines: {display_path(out / 'baseline')}")
    chosen = None
    if final or refit or refit_single or summary:  # the selection
        chosen = generalize.final_recipe(out, selection_seeds)
        say(f"final recipe: {chosen.description} ({chosen.overrides})")
    for recipe in [RECIPES[name] for name in recipes] + ([chosen] if final else []):
        made = generalize.run_recipe(recipe, mode, signal, folds, seeds, out, corpus,
                                     overrides=scale, progress=False)
        for seed in seeds:
            test = evaluation.table_score(part(generalize.pooled(made, seed), "test"), n_boot=200)
            say(f"{recipe.name} {signal} seed {seed}: P3 test accuracy {test['accuracy']:.3f} "
                f"over {test['n']} clips ({time.perf_counter() - began:.0f} s so far)")
    for where, recipe, refit_seeds in _refits(out, chosen, refit, refit_single, seeds, mode,
                                              signal, corpus, scale):
        epochs = refit_epochs(out, recipe, signal)
        for seed in refit_seeds:
            folder = out / where / f"{signal}-seed{seed}"
            refit_run = replace(recipe.spec(signal, 0, seed), protocol="ALL")  # every actor
            refit_run.run(mode, out, corpus, epochs, False, scale, folder=folder)
            say(f"{recipe.name} refitted on every actor, seed {seed}, {epochs} epochs: "
                f"{display_path(folder / 'model.pt')}")
    made_summary = None
    if summary:
        command = (f"python -m bcser_utils generalize --mode {mode} --summary "
                   f"--selection-seeds {' '.join(map(str, selection_seeds))}")
        made_summary = generalize.summarize(out, mode, command, final=chosen, corpus=corpus,
                                            selection_seeds=selection_seeds)
        made_summary["final"] = summarize(out, chosen, mode=mode, corpus=corpus, overrides=scale)
        evaluation.save_json(made_summary, out / "summary.json")
        say(f"summary: {display_path(out / 'summary.json')}")
    if ship:  # the summary's choice becomes predict's default, with its model card
        manifest = ship_default(out, report.load_summary(out / "summary.json"), models, mode,
                                corpus)
        say(f"predict's default: {display_path(manifest)}, card "
            f"{display_path(manifest.parent / 'DEFAULT_MODEL_CARD.md')}")
    return made_summary


def _refits(out, chosen, refit, refit_single, seeds, mode, signal, corpus, scale) -> list:
    """(folder name, recipe, seeds) of each refit asked for: the final recipe's, and the model
    for one clip at a time where validation chose another recipe (only the seeds that ship)."""
    refits = [("final-refit", chosen, seeds)] if refit else []
    if refit_single:
        ensemble_seeds = ensemble_choice(recipe_tables(out, chosen.name, signal))["seeds"]
        single = single_clip_choice(out, chosen, 0, mode, corpus, scale, ensemble_seeds)
        if single["recipe"] != chosen.name:
            refits.append(("single-refit", RECIPES[single["recipe"]], single["seeds"]))
    return refits
