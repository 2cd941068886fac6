"""The whole pipeline in a few calls: data → cache → split → train → evaluate → save.

Notebooks 06–08, the command line and ``make reproduce`` all use these, so a number in a notebook
and a number from the command line come from the same code.

Notebook: 06_training, 07_evaluation, 08_beyond_the_paper.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from bcser_utils import config, files, provenance
from bcser_utils.audio import feature_cache, features, ravdess
from bcser_utils.audio.normalize import Normalizer
from bcser_utils.learn import artifacts, evaluation, splits, training
from bcser_utils.learn.inference import CacheRows, ClassProbabilities, NetworkProbabilities
from bcser_utils.learn.model import EmotionNet


@dataclass
class Prepared:
    corpus: ravdess.CorpusLocation
    catalog: object  # pandas DataFrame
    cache: feature_cache.FeatureCache
    cfg: config.Config

    @property
    def source(self) -> str:
        """The line that says which data and mode a result comes from."""
        return ravdess.describe(self.corpus, self.catalog, self.cfg)


def find_catalog(cfg: config.Config, corpus: str | Path | None = None,
                 progress: bool = True) -> tuple[ravdess.CorpusLocation, pd.DataFrame]:
    """Find the corpus and catalog the mode's actors. A partial corpus is normal (the
    development copy has actors 01–20), and said once: a ``ravdess.PartialCorpusWarning`` names the
    missing actors and every skipped file."""
    location = ravdess.find_corpus(corpus, cfg=cfg, progress=progress)
    catalog = ravdess.catalog(location.root, actors=cfg.mode.actors)
    if catalog.empty:
        wanted = ("" if cfg.mode.actors is None else
                  f" for {cfg.mode.name} mode's actors "
                  f"{', '.join(f'{a:02d}' for a in cfg.mode.actors)}")
        raise ravdess.CorpusError(f"{location.root}: no usable RAVDESS recordings "
                               f"(names like 03-01-05-01-01-01-01.wav under Actor_NN/){wanted}; "
                               "`python -m bcser_utils data check` lists what it found")
    return location, catalog


def prepare(cfg: config.Config, signal: str = "bc", corpus: str | Path | None = None,
            progress: bool = True, cache_dir: str | Path | None = None) -> Prepared:
    """Find the corpus, catalog the mode's actors, build (or reopen) their feature cache."""
    location, catalog = find_catalog(cfg, corpus, progress)
    cache = feature_cache.build(catalog, cfg, signal=signal, progress=progress, cache_dir=cache_dir)
    return Prepared(location, catalog, cache, cfg)


def corpus_digest(prepared: Prepared) -> str:
    """16 hex digits naming the recordings a run used: their names and contents (the feature
    cache's remembered content hashes), so a corpus that lost, gained or changed a file since
    reads as another corpus.

    Parameters
    ----------
    prepared : Prepared

    Returns
    -------
    str
    """
    import hashlib

    names = list(prepared.catalog["name"])
    contents = feature_cache.content_hashes(prepared.catalog["path"],
                                            memo_dir=Path(prepared.cache.folder).parent)
    digest = hashlib.sha256(json.dumps(sorted(zip(names, contents, strict=True))).encode())
    return digest.hexdigest()[:16]


def check_corpus(run: Path, recorded: str | None, prepared: Prepared) -> None:
    """Refuse to read a run against a corpus other than the one it was trained on.

    Parameters
    ----------
    run : Path
        The run folder (named in the message).
    recorded : str or None
        ``run.json``'s "corpus" (None for runs made before it was recorded: not checked).
    prepared : Prepared
        The corpus as it is now.

    Raises
    ------
    RunFolderMismatch
        The recordings changed since the run was trained (files added, removed or rewritten).
    """
    if recorded is not None and recorded != corpus_digest(prepared):
        raise RunFolderMismatch(
            f"{run}: trained on other recordings than {prepared.corpus.root} holds now (files "
            "were added, removed or rewritten since), so its split would not be its own; "
            "train again, or evaluate against the corpus it was trained on")


def make_split(prepared: Prepared, protocol: str, fold: int = 0, n_folds: int | None = None,
               seed: int | None = None) -> splits.Split:
    cfg = prepared.cfg
    seed = cfg.mode.seed if seed is None else seed
    index = prepared.cache.index
    if protocol == "P1":
        return splits.p1(index, cfg.training.val_fraction, seed)
    if protocol == "P2":
        return splits.p2(index, cfg.training.val_fraction, seed)
    if protocol == "P3":
        return splits.p3(index, fold, n_folds or splits.default_folds(index["actor"].nunique()))
    if protocol == "ALL":
        return splits.everything(index)
    raise ValueError(f"protocol {protocol!r}: expected one of {', '.join(splits.PROTOCOLS)}")


def fit_standardizer(cache: feature_cache.FeatureCache, rows, chunk: int = 1024):
    """One mean and standard deviation per band from ``rows`` (the training side)."""
    return features.Standardizer().fit(_chunks(cache, rows, chunk))


def _chunks(cache: feature_cache.FeatureCache, rows, chunk: int = 1024):
    rows = np.sort(rows)
    return (cache.features[rows[i:i + chunk]] for i in range(0, len(rows), chunk))


def fit_normalizer(prepared: Prepared, split: splits.Split) -> Normalizer:
    """The configured normalisation (``cfg.normalize``), fitted for ``split``: global statistics
    from the training rows; in mode "speaker" also every actor's own, from that actor's original
    recordings (version 0), unlabelled, for the training, validation and test actors alike (for
    the last two: transductive adaptation). Notebook: 09_towards_unseen_speakers."""
    cfg, cache = prepared.cfg.normalize, prepared.cache
    normalizer = Normalizer(cfg.mode, cfg.top_db).fit(_chunks(cache, split.train))
    if cfg.mode == "speaker":
        index = cache.index
        rows = np.concatenate([split.train, split.val, split.test]).astype(int)
        for actor in np.unique(index["actor"].to_numpy()[rows]):
            own = np.flatnonzero((index["actor"] == actor).to_numpy()
                                 & (index["version"] == 0).to_numpy())
            normalizer.add_speaker(actor, _chunks(cache, own))
    return normalizer


@dataclass
class Trained(NetworkProbabilities):
    """A model trained on a split: the network, the normalisation fitted on the split (a
    ``ClassProbabilities``: ``probabilities(clips, speakers)`` as in training), the training
    history (``training.FitResult``), the split and the seconds it took."""

    model: EmotionNet
    normalizer: Normalizer
    fit: training.FitResult
    split: splits.Split
    seconds: float


def train(prepared: Prepared, split: splits.Split, seed: int | None = None,
          checkpoint: str | Path | None = None, progress: bool = True,
          max_epochs: int | None = None, identity: str | None = None,
          unmarked_ok: bool = True) -> Trained:
    """Fit the model on ``split.train``, stopping early on ``split.val``."""
    cfg = prepared.cfg
    seed = cfg.mode.seed if seed is None else seed
    began = time.perf_counter()
    scaler = fit_normalizer(prepared, split)  # labels of the training side only
    train_set = feature_cache.FeatureDataset(prepared.cache, split.train, scaler)
    val_set = feature_cache.FeatureDataset(prepared.cache, split.val, scaler)
    torch.manual_seed(seed)
    model = EmotionNet(prepared.cache.features.shape[-1], cfg.model)
    result = training.fit(model, train_set, val_set, cfg.training, seed=seed,
                          max_epochs=max_epochs or cfg.mode.max_epochs or cfg.training.max_epochs,
                          checkpoint=checkpoint, progress=progress, identity=identity,
                          unmarked_ok=unmarked_ok)
    return Trained(result.model, scaler, result, split, time.perf_counter() - began)


def predict_rows(model: ClassProbabilities, cache: feature_cache.FeatureCache,
                 rows) -> np.ndarray:
    """Class probabilities (N, emotions) for cache rows, each clip normalised as in training
    with its actor as its speaker (``ClassProbabilities.probabilities``), read a batch at a time.

    Parameters
    ----------
    model : ClassProbabilities
        A ``Trained`` run, a ``Predictor`` or an ``Ensemble`` (all its members).
    cache : feature_cache.FeatureCache
    rows : array of int
        Row numbers of the cache's index.

    Returns
    -------
    np.ndarray
        (len(rows), emotions), each row summing to 1.
    """
    rows = np.asarray(rows, dtype=int)
    return model.probabilities(CacheRows(cache.features, rows),
                               cache.index["actor"].to_numpy()[rows])


def evaluate_rows(model: ClassProbabilities, prepared: Prepared, rows) -> dict:
    """Every metric on ``rows``, plus bootstrap intervals (by clip and by actor) and calibration.

    Parameters
    ----------
    model : ClassProbabilities
        A ``Trained`` run, or a ``Predictor`` or ``Ensemble`` loaded from checkpoints.
    prepared : Prepared
    rows : array of int
        Cache rows to score.

    Returns
    -------
    dict
        ``evaluation.evaluate``'s metrics, with "ci95", "ci95_by_actor" (several actors),
        "per_actor_accuracy" and "calibration".
    """
    proba = predict_rows(model, prepared.cache, rows)
    index = prepared.cache.index.iloc[np.asarray(rows)]
    y = index["emotion_code"].to_numpy() - 1
    result = evaluation.evaluate(y, proba, prepared.cfg.emotions)
    result["ci95"] = {m: evaluation.bootstrap_ci(y, proba, m, n_boot=500)
                      for m in ("accuracy", "balanced_accuracy", "mcc")}
    actors = index["actor"].to_numpy()
    if len(np.unique(actors)) > 1:
        result["ci95_by_actor"] = {"accuracy": evaluation.bootstrap_ci(
            y, proba, "accuracy", n_boot=500, groups=actors)}
    correct = pd.Series(proba.argmax(1) == y).groupby(actors).mean()
    result["per_actor_accuracy"] = {int(a): float(v) for a, v in correct.items()}
    result["calibration"] = evaluation.calibration(y, proba)
    return result


def prediction_table(part: str, index: pd.DataFrame, proba: np.ndarray, emotions) -> pd.DataFrame:
    """One row per clip of ``index`` (its cache index rows): part, name, actor, label ``y`` and
    the probability of each emotion; the table every model's predictions are kept in."""
    table = pd.DataFrame(proba, columns=list(emotions))
    table.insert(0, "y", index["emotion_code"].to_numpy() - 1)
    table.insert(0, "actor", index["actor"].to_numpy())
    table.insert(0, "name", index["name"].to_numpy())
    table.insert(0, "part", part)
    return table


def predictions(trained: Trained, prepared: Prepared) -> pd.DataFrame:
    """The model's probabilities on every original clip of the validation and test sides: one
    row per clip with its ``part`` ("val", "test"), name, actor, label ``y`` and a column per
    emotion. What notebook 09 pools over folds, averages over seeds and fuses with the baseline.
    """
    tables = []
    for part in ("val", "test"):
        rows = np.asarray(getattr(trained.split, part), dtype=int)
        if not len(rows):
            continue
        index = prepared.cache.index.iloc[rows]
        rows, index = rows[index["version"].to_numpy() == 0], index[index["version"] == 0]
        tables.append(prediction_table(part, index, predict_rows(trained, prepared.cache, rows),
                                       prepared.cfg.emotions))
    columns = ["part", "name", "actor", "y", *prepared.cfg.emotions]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns)


def summary(trained: Trained, prepared: Prepared, split_name: str = "val") -> dict:
    """What a results table needs: protocol, data, mode, history and the metrics."""
    rows = getattr(trained.split, split_name)
    h = trained.fit.history
    return {
        "protocol": trained.split.protocol, "description": trained.split.description,
        "evaluated_on": split_name, "source": prepared.source, "mode": prepared.cfg.mode.name,
        "signal": prepared.cache.meta["signal"], "synthetic": prepared.corpus.synthetic,
        "seed": prepared.cfg.mode.seed, "label_smoothing": prepared.cfg.training.label_smoothing,
        "versions": prepared.cfg.augment.n_versions, "provenance": provenance.stamp(),
        "features": asdict(prepared.cfg.features), "actors": _actors(trained.split, prepared),
        "n_train": len(trained.split.train),
        "n_evaluated": len(rows), "best_epoch": trained.fit.best_epoch,
        "stopped_epoch": trained.fit.stopped_epoch, "early_stopped": trained.fit.early_stopped,
        "seconds": trained.seconds,
        "seconds_per_epoch": float(np.mean(h.seconds)) if h.seconds else None,
        "history": asdict(h), "class_weights": trained.fit.class_weights,
        "metrics": evaluate_rows(trained, prepared, rows) if len(rows) else None,
    }


def _actors(split: splits.Split, prepared: Prepared) -> dict[str, list[int]]:
    """The actors on each side of ``split`` (what a model card names)."""
    actors = prepared.cache.index["actor"].to_numpy()
    return {side: sorted({int(a) for a in actors[np.asarray(getattr(split, side), dtype=int)]})
            for side in ("train", "val", "test")}


def run_folder(protocol: str, signal: str, cfg: config.Config, fold: int = 0) -> Path:
    """Where a run goes by default: runs/<protocol>-<signal>-<mode>-fold<k>-seed<s>/."""
    return (config.RUNS_DIR /
            f"{protocol.lower()}-{signal}-{cfg.mode.name}-fold{fold}-seed{cfg.mode.seed}")


class RunFolderMismatch(ValueError):
    """A run folder made with other settings than the ones asked for now."""


RUN_SECTIONS = ("mode", "bc", "augment", "features", "model", "training", "normalize")


def run_settings(cfg: config.Config, protocol: str, fold: int, signal: str,
                 location: ravdess.CorpusLocation, max_epochs: int | None) -> dict:
    """Everything that shapes a run: what its run.json records, and what a later call with the
    same folder must ask for again. JSON-ready (tuples become lists)."""
    settings = {"protocol": protocol, "fold": fold, "signal": signal, "mode": cfg.mode.name,
                "seed": cfg.mode.seed, "data": str(Path(location.root).resolve()),
                "synthetic": bool(location.synthetic), "epochs": max_epochs,
                "versions": cfg.augment.n_versions,
                "label_smoothing": cfg.training.label_smoothing,
                "config": {section: asdict(getattr(cfg, section)) for section in RUN_SECTIONS}}
    return json.loads(json.dumps(settings, default=str))


def check_run_folder(run: Path, settings: dict) -> None:
    """Refuse a run folder that another configuration made (its run.json says so), so that two
    configurations never mix weights or results in one folder."""
    saved_file = Path(run) / "run.json"
    if not saved_file.exists():
        return
    try:
        saved = json.loads(saved_file.read_text())
    except json.JSONDecodeError as err:
        raise RunFolderMismatch(f"{run}: its run.json is unreadable ({err.msg}); use another "
                                "--out, or delete the folder") from None
    differ = [key for key in settings if key in saved and saved[key] != settings[key]]
    if "config" in differ:  # name the setting, not the whole section
        differ.remove("config")
        differ += [f"{section}.{name}" for section, values in settings["config"].items()
                   for name, value in values.items()  # a setting added since: not compared
                   if name in saved["config"].get(section, {})
                   and saved["config"][section][name] != value]
    if differ:
        shown = ", ".join(f"{key} = {_setting(saved, key)!r} there, {_setting(settings, key)!r} "
                          "now" for key in differ[:3]) + (" …" if len(differ) > 3 else "")
        raise RunFolderMismatch(f"{run}: made by another run ({shown}); use another --out, or "
                                "delete the folder to start again")


def _setting(settings: dict, key: str):
    section, _, name = key.partition(".")
    return settings["config"][section][name] if name else settings[key]


def run_protocol(cfg: config.Config, protocol: str, fold: int = 0, signal: str = "bc",
                 corpus: str | Path | None = None, out: str | Path | None = None,
                 max_epochs: int | None = None, progress: bool = True) -> dict:
    """Prepare, train and evaluate one protocol into a run folder, and return its summary.

    The folder gets run.json (what was asked), checkpoint.pt (after every epoch: an interrupted
    run resumes where it stopped), model.pt (for ``predict``), metrics.json (``summary`` plus the
    time of each stage) and figures/. A finished run (metrics.json exists) is read back, not
    trained again. P3 is evaluated on its test actors, P1 and P2 on their validation side.
    Under ``torchrun`` every process trains its share; rank 0 alone writes, and the others
    return an empty dict.
    """
    run = Path(out) if out else run_folder(protocol, signal, cfg, fold)
    location = ravdess.find_corpus(corpus, cfg=cfg, progress=False)
    settings = run_settings(cfg, protocol, fold, signal, location, max_epochs)
    check_run_folder(run, settings)
    recorded = (run / "run.json").exists()  # and, just checked, this run's
    if (run / "metrics.json").exists():
        return json.loads((run / "metrics.json").read_text())
    rank, _ = training.init_distributed()  # (0, 1) unless started by torchrun
    began = time.perf_counter()
    if rank > 0:
        training.barrier()  # rank 0 builds the cache; the others then only reopen it
    prepared = prepare(cfg, signal, corpus, progress and rank == 0)
    if rank == 0:
        training.barrier()
    prepare_s = time.perf_counter() - began
    settings["corpus"] = corpus_digest(prepared)
    check_run_folder(run, settings)  # again, now that the recordings' contents are known
    split = make_split(prepared, protocol, fold)
    run.mkdir(parents=True, exist_ok=True)
    if rank == 0:
        files.write_json(run / "run.json", settings | {"machine": {
            "device": str(training.pick_device()), "torch": torch.__version__,
            "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None}})
    # the checkpoint records what made it: one of another run (copied in, or left by a run
    # whose run.json was deleted) is refused, never resumed as this one
    identity = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    trained = train(prepared, split, checkpoint=run / "checkpoint.pt", progress=progress,
                    max_epochs=max_epochs, identity=identity, unmarked_ok=recorded)
    if rank > 0:
        return {}  # the other processes only helped train; rank 0 evaluates and writes
    save_model(run / "model.pt", trained, prepared)
    table = predictions(trained, prepared)
    files.write_atomically(run / "predictions.csv", lambda tmp: table.to_csv(tmp, index=False))
    began = time.perf_counter()
    result = summary(trained, prepared, "test" if protocol == "P3" else "val")
    result["timing"] = {"prepare_s": prepare_s, "train_s": float(sum(trained.fit.history.seconds)),
                        "evaluate_s": time.perf_counter() - began}
    if result["metrics"] is not None:  # a refit on everything has nothing to evaluate
        save_figures(result, run / "figures", prepared.corpus.synthetic)
    evaluation.save_json(result, run / "metrics.json")
    return result


def save_figures(result: dict, folder: Path, synthetic: bool = False) -> list[Path]:
    """The training curves, confusion matrix, ROC curves and reliability diagram of a run."""
    import matplotlib.pyplot as plt

    from bcser_utils.present import evaluation_plots, style, training_plots

    style.use_style()
    m, name = result["metrics"], f"{result['protocol']} {result['signal'].upper()}"
    figures = {
        "curves": training_plots.training_curves(
            result["history"], result["best_epoch"],
            training.smoothing_floor(label_smoothing=result.get("label_smoothing", 0.1)),
            title=name),
        "confusion": evaluation_plots.confusion_heatmap(
            m["confusion_normalized"], title=f"{name}: {result['evaluated_on']}"),
        "roc": evaluation_plots.roc_curves(m["roc"], m["auc"], title=name),
        "reliability": evaluation_plots.reliability_diagram(m["calibration"]),
    }
    paths = []
    for key, fig in figures.items():
        paths.append(style.save_fig(fig, key, result["source"], synthetic, folder=folder))
        plt.close(fig)
    return paths


def save_model(path: str | Path, trained: Trained, prepared: Prepared, card: dict | None = None):
    """A self-contained checkpoint for ``predict``: weights, normalisation, settings, card."""
    cfg = prepared.cfg
    state = {
        "model": {k: v.cpu() for k, v in trained.model.state_dict().items()},
        "normalizer": trained.normalizer.to_dict(),
        "features": asdict(cfg.features), "model_config": asdict(cfg.model),
        "bc": asdict(cfg.bc), "signal": prepared.cache.meta["signal"],
        "emotions": list(cfg.emotions), "n_features": int(prepared.cache.features.shape[-1]),
        "card": card or {},
    }
    return artifacts.save_checkpoint(path, state)
