"""Notebook 09's final model: what the chosen recipe (``generalize.final_recipe``) becomes.

- ``ensemble_choice``: the mean of the seeds' models, kept only if it beats each seed's alone on
  the early-stopping actors (the selection rule's last sentence but one).
- ``fusion_weights``: late fusion with the best classical baseline, its weight chosen there too.
- ``single_clip_choice``: the model for a clip on its own, where no speaker statistics exist.
- ``adaptation_curve``: how many clips of one speaker ``predict --same-speaker`` needs.
- ``summarize``: all of it, with intervals on the test actors (``results/generalize-full.json``
  under "final").

The study itself is a few named steps, each resumable (finished runs and tables are read back),
which ``python -m bcser_utils generalize`` calls in this order as its flags ask, all sharing a
``Study`` (its mode, folder, corpus and scale): ``baselines``, ``choose_final``,
``train_recipes``, ``refit`` and ``refit_single``, ``write_summary`` (its ``Summary`` checked by
``check_summary``, which ``read_summary`` applies again when ``ship`` reads it back) and
``ship``: the summary's choice becomes ``predict``'s default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import numpy as np
import pandas as pd

from bcser_utils import config, files
from bcser_utils.learn import artifacts, pipeline, splits
from bcser_utils.learn.evaluation import ensemble, fuse, part, table_paired, table_score
from bcser_utils.learn.runs import RunSpec, read_metrics
from bcser_utils.messages import display_path
from bcser_utils.present import cards, report
from bcser_utils.studies import baseline
from bcser_utils.studies.generalize import (
    PAPER,
    RECIPES,
    Recipe,
    StudyError,
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
    from dataclasses import replace

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
            # the model with these speakers' statistics, each clip normalised by its speaker's
            proba = replace(predictor, normalizer=normalizer).probabilities(features_, actors)
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
    from bcser_utils.learn.inference import CacheRows, Predictor

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
            proba = predictor.single_probabilities(CacheRows(prepared.cache.features, rows))
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
    best = [read_metrics(m.parent)["best_epoch"]
            for m in sorted((Path(out) / recipe.name).glob(f"{signal}-fold*-seed*/metrics.json"))]
    if not best:
        raise StudyError(f"no finished P3 runs of {recipe.name!r} in {out} (python -m "
                         f"bcser_utils generalize --final)")
    return int(np.ceil(np.median(best)))




# --- the study, step by step -------------------------------------------------------------------

@dataclass
class Study:
    """What every step of notebook 09's study shares: its mode, its folder (default
    runs/generalize-<mode>/), the corpus, the number of versions every run is shrunk to (None:
    the paper's; fewer for a test), and where progress is said."""

    mode: str = "full"
    out: str | Path | None = None
    corpus: str | Path | None = None
    versions: int | None = None
    say: Callable[[str], object] = print

    def __post_init__(self):
        from bcser_utils.studies import generalize

        self.out = Path(self.out or generalize.default_folder(self.mode))

    @property
    def scale(self) -> dict | None:
        """The config overrides that shrink every run alike."""
        return {"augment.n_versions": self.versions} if self.versions else None


def baselines(study: Study) -> None:
    """Every classical baseline (BC and AC, each classifier, global and per-speaker
    standardisation) on P2 and every P3 fold, into ``out/baseline/``."""
    from bcser_utils.studies import generalize

    for kind in [(s, c, n) for s in ("bc", "ac") for c in baseline.CLASSIFIERS
                 for n in ("global", "speaker")]:
        generalize.baseline_tables(study.mode, *kind, ("P2", "P3"), corpus=study.corpus,
                                   out=study.out, progress=False)
    study.say(f"baselines: {display_path(study.out / 'baseline')}")


def choose_final(study: Study, selection_seeds: Iterable[int]) -> Recipe:
    """The recipe the selection rule builds from the finished ablation runs
    (``generalize.final_recipe``), said."""
    from bcser_utils.studies import generalize

    chosen = generalize.final_recipe(study.out, selection_seeds)
    study.say(f"final recipe: {chosen.description} ({chosen.overrides})")
    return chosen


def train_recipes(study: Study, recipes: Iterable[Recipe], signal: str = "bc", folds=None,
                  seeds: Iterable[int] = (0,)) -> None:
    """Each recipe on every P3 fold (or ``folds``) and seed, each seed's pooled test accuracy
    said."""
    import time

    from bcser_utils.learn.evaluation import table_score
    from bcser_utils.studies import generalize

    began = time.perf_counter()
    for recipe in recipes:
        made = generalize.run_recipe(recipe, study.mode, signal, folds, seeds, study.out,
                                     study.corpus, overrides=study.scale, progress=False)
        for seed in seeds:
            test = table_score(part(generalize.pooled(made, seed), "test"), n_boot=200)
            study.say(f"{recipe.name} {signal} seed {seed}: P3 test accuracy "
                      f"{test['accuracy']:.3f} over {test['n']} clips "
                      f"({time.perf_counter() - began:.0f} s so far)")


def refit_spec(recipe: Recipe, signal: str, seed: int, where: str = "final-refit") -> RunSpec:
    """``recipe`` trained on every actor (protocol ALL) with ``seed``, in ``out/<where>/``."""
    return RunSpec("ALL", 0, signal, seed, tuple(recipe.overrides.items()), where)


def refit(study: Study, recipe: Recipe, signal: str = "bc", seeds: Iterable[int] = (0,),
          where: str = "final-refit") -> None:
    """``recipe`` refitted on every actor for each seed, as long as its P3 runs' median best
    epoch (``refit_epochs``), into ``out/<where>/<signal>-seed<s>/``."""
    epochs = refit_epochs(study.out, recipe, signal)
    for seed in seeds:
        spec = refit_spec(recipe, signal, seed, where)
        spec.run(study.mode, study.out, study.corpus, epochs, False, study.scale)
        study.say(f"{recipe.name} refitted on every actor, seed {seed}, {epochs} epochs: "
                  f"{display_path(spec.folder(study.out, study.mode) / 'model.pt')}")


def refit_single(study: Study, final: Recipe, signal: str = "bc") -> None:
    """The model for one clip at a time, refitted on every actor (into ``out/single-refit/``),
    where the early-stopping actors chose another recipe than ``final`` for it (only the seeds
    that ship); nothing to do where ``final``'s own models serve."""
    ensemble_seeds = ensemble_choice(recipe_tables(study.out, final.name, signal))["seeds"]
    single = single_clip_choice(study.out, final, 0, study.mode, study.corpus, study.scale,
                                ensemble_seeds)
    if single["recipe"] != final.name:
        refit(study, RECIPES[single["recipe"]], signal, single["seeds"], "single-refit")


# --- the summary: written and read back through one check ---------------------------------------

class Summary(TypedDict, total=False):
    """``out/summary.json`` (and ``results/generalize-full.json``): ``generalize.summarize``'s
    numbers, and under "final" what the final recipe becomes (``summarize``)."""

    mode: str
    date: str
    command: str
    source: str
    provenance: dict
    selection: dict  # the rule, its threshold and seeds, the gains it read, what it chose
    recipes: dict  # recipe → its numbers (``generalize.recipe_summary``)
    baselines: dict  # baseline table → its numbers
    not_run: list
    combined: dict  # every chosen change at once, where it was trained
    final: dict  # the recipe, BC and AC, fusion, single clip, adaptation, and the "default"


def check_summary(path: str | Path, summary) -> Summary:
    """THE check of a study summary, where ``write_summary`` writes it and where ``ship`` (by
    ``read_summary``) reads it back: the fields each step after it reads, of their types.

    Parameters
    ----------
    path : str or Path
        The summary's file, for the message.
    summary : dict
        The summary.

    Returns
    -------
    Summary
        ``summary``; a ``StudyError`` naming ``path`` and the field otherwise.
    """
    def bad(what: str) -> StudyError:
        return StudyError(f"{path}: {what}; not a summary of the study (python -m bcser_utils "
                          "generalize --summary writes one)")

    if not isinstance(summary, dict):
        raise bad(f"a JSON {type(summary).__name__}")
    for key, kind in (("mode", str), ("date", str), ("command", str), ("source", str),
                      ("selection", dict), ("recipes", dict), ("baselines", dict),
                      ("final", dict)):
        if not isinstance(summary.get(key), kind):
            raise bad(f"no {key} ({kind.__name__})")
    recipe = summary["final"].get("recipe")
    if not isinstance(recipe, dict) or not isinstance(recipe.get("name"), str) or \
            not isinstance(recipe.get("overrides"), dict):
        raise bad("final.recipe names no recipe and its overrides")
    default = summary["final"].get("default")
    if default is None:  # no baseline finished: no default model chosen, nothing to ship
        return summary
    single = summary["final"].get("single_clip")
    weight = default.get("weight") if isinstance(default, dict) else None
    if not (isinstance(weight, int | float) and not isinstance(weight, bool) and 0 <= weight <= 1
            and isinstance(default.get("baseline"), str)
            and len(default["baseline"].split("-")) >= 3
            and _seeds(default.get("deep_seeds", [0])) and isinstance(single, dict)
            and isinstance(single.get("recipe"), str) and _seeds(single.get("seeds", [0]))):
        raise bad("final.default (weight, baseline, seeds) or final.single_clip is not the "
                  "study's")
    return summary


def _seeds(value) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in value)


def read_summary(path: str | Path) -> Summary:
    """A summary written by ``write_summary`` (``report.load_summary``: seeds back as ints),
    checked (``check_summary``)."""
    path = Path(path)
    try:
        summary = report.load_summary(path)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        raise StudyError(f"{path}: unreadable ({getattr(err, 'strerror', None) or err}); "
                         "python -m bcser_utils generalize --summary writes it") from None
    return check_summary(path, summary)


def write_summary(study: Study, final: Recipe, selection_seeds: Iterable[int]) -> Summary:
    """The study's numbers from what has finished (``generalize.summarize``, and under "final"
    ``summarize``), checked and written to ``out/summary.json``."""
    from bcser_utils.learn import evaluation
    from bcser_utils.studies import generalize

    selection_seeds = list(selection_seeds)
    command = (f"python -m bcser_utils generalize --mode {study.mode} --summary "
               f"--selection-seeds {' '.join(map(str, selection_seeds))}")
    made = generalize.summarize(study.out, study.mode, command, final=final,
                                corpus=study.corpus, selection_seeds=selection_seeds)
    made["final"] = summarize(study.out, final, mode=study.mode, corpus=study.corpus,
                              overrides=study.scale)
    path = study.out / "summary.json"
    evaluation.save_json(check_summary(path, made), path)
    study.say(f"summary: {display_path(path)}")
    return made


# --- shipping: the summary's choice becomes predict's default -----------------------------------

def ship(study: Study, models: str | Path | None = None) -> Path:
    """Make the study's choice (``out/summary.json``, ``read_summary``) ``predict``'s default, in
    ``models`` (default bcser_utils/models/): the refitted deep models (one per seed the summary
    ships: an ensemble if it paid) and the single-clip model if another recipe's, the classical
    baseline refitted on every actor, their model card (``cards.default_card``) and
    ``default.json`` naming them with the fusion weight the early-stopping actors chose. Every
    file is written atomically (``artifacts.ship``, ``artifacts.save_manifest``).

    Returns
    -------
    Path
        default.json.
    """
    summary = read_summary(study.out / "summary.json")
    final = summary["final"]
    chosen = final.get("default")
    if chosen is None:
        raise StudyError(f"{study.out / 'summary.json'}: no default model chosen (no classical "
                         "baseline had finished: python -m bcser_utils generalize --baselines, "
                         "then --summary)")
    single, models = final["single_clip"], Path(models or config.MODELS_DIR)
    deep = _refits(study, "final-refit", "bcser_default", chosen.get("deep_seeds", [0]))
    singles = deep if single["recipe"] == final["recipe"]["name"] else \
        _refits(study, "single-refit", "bcser_default_single", single.get("seeds", [0]))
    with_baseline = chosen["weight"] < 1
    classical = _ship_baseline(study, chosen["baseline"], models)
    card = cards.default_card(summary, [*dict.fromkeys([*deep, *singles]),
                                               *([classical.name] if with_baseline else [])])
    kept = _kept_threshold(models / "default.json")  # notebook 08's, not the study's
    artifacts.ship(models, {**deep, **singles}, {"DEFAULT_MODEL_CARD.md": card})
    manifest = artifacts.save_manifest(models / "default.json", {**kept,
        "deep": list(deep), "classical": classical.name if with_baseline else None,
        "single": list(singles), "single_recipe": single["recipe"],
        "weight": chosen["weight"], "chosen": chosen["model"],
        "deep_recipe": chosen["deep_recipe"], "baseline": chosen["baseline"],
        "provenance": summary.get("provenance"),  # the code that trained the study's runs
        "how": "the ensemble of seeds, the fusion weight, and the model for one clip at a time, "
               "chosen on the early-stopping actors of every P3 fold "
               "(results/generalize-full.json); every model refitted on every development "
               "actor; a list of models is averaged"})
    study.say(f"predict's default: {display_path(manifest)}, card "
              f"{display_path(manifest.parent / 'DEFAULT_MODEL_CARD.md')}")
    return manifest


def _kept_threshold(manifest: Path) -> dict:
    """The uncertainty threshold the default.json being replaced carries (``uncertain_below``
    and how it was chosen, on notebook 08's models: ``beyond.confidence``), for the new one to
    keep; nothing from a missing or unreadable file."""
    old = files.read_json(manifest)  # None when missing or unreadable
    if not isinstance(old, dict):
        return {}
    return {key: old[key] for key in ("uncertain_below", "uncertain_how") if key in old}


def _refits(study: Study, where: str, stem: str, seeds) -> dict[str, Path]:
    """{shipped name (stem.pt, stem_seed1.pt, …): the refit's model.pt}, each refit checked."""
    found = {}
    for seed in seeds:
        model = study.out / RunSpec("ALL", 0, "bc", seed, recipe=where).name / "model.pt"
        if not model.is_file():
            raise artifacts.ShipError(f"{model}: no such refit (python -m bcser_utils generalize "
                                      f"--refit --refit-single --seeds "
                                      f"{' '.join(map(str, seeds))})")
        found[f"{stem}{'' if seed == 0 else f'_seed{seed}'}.pt"] = model
    return found


def _ship_baseline(study: Study, name: str, models: Path) -> Path:
    """The classical baseline ``name`` ("bc-logreg-speaker-…") refitted on every actor and
    saved (atomically) as bcser_default_egemaps.pt in ``models``."""
    signal, classifier, normalisation = name.split("-")[:3]
    prepared = pipeline.prepare(baseline.config_for(study.mode, normalisation), signal,
                                study.corpus, progress=False)
    model, normalizer = baseline.fit(prepared, splits.everything(prepared.cache.index),
                                     classifier)
    return baseline.save(models / "bcser_default_egemaps.pt", model, normalizer, prepared,
                         card={"baseline": name})
