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

from bcser_utils import config, files, messages, provenance
from bcser_utils.audio import feature_cache, features, ravdess
from bcser_utils.audio.normalize import Normalizer
from bcser_utils.learn import artifacts, evaluation, splits, training
from bcser_utils.learn.inference import CacheRows, ClassProbabilities, NetworkProbabilities
from bcser_utils.learn.model import EmotionNet


@dataclass
class Prepared:
    """A corpus ready to split and train on (what ``prepare`` returns).

    Parameters
    ----------
    corpus : ravdess.CorpusLocation
        Where the recordings are, and whether they are the synthetic stand-in.
    catalog : pandas.DataFrame
        One row per usable recording of the mode's actors (``ravdess.catalog``).
    cache : feature_cache.FeatureCache
        Their features: ``cache.features`` (N, T, F) not yet normalised, one row per version of
        each recording, and ``cache.index`` (N rows: name, actor, emotion, version …).
    cfg : config.Config
        The settings the cache was built with, and that the run uses.
    """

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
    missing actors and every skipped file.

    Parameters
    ----------
    cfg : config.Config
        ``cfg.mode.actors``: the actors to catalog (None: all).
    corpus : str or Path, optional
        The corpus folder; default: ``ravdess.find_corpus``'s choice ($BCSER_RAVDESS_DIR, a
        download, the development copy, else the synthetic corpus).
    progress : bool
        Show a progress bar (a download, or making the synthetic corpus).

    Returns
    -------
    location : ravdess.CorpusLocation
        The corpus found.
    catalog : pandas.DataFrame
        One row per usable recording of those actors (``ravdess.catalog``).

    Raises
    ------
    ravdess.CorpusError
        The folder holds no usable recording of the mode's actors.
    FileNotFoundError
        ``corpus`` (or $BCSER_RAVDESS_DIR) holds no Actor_*/ audio files.
    """
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
    """Find the corpus, catalog the mode's actors, build (or reopen) their feature cache.

    Notebooks: 04_features to 09_towards_unseen_speakers start with it.

    Parameters
    ----------
    cfg : config.Config
        The mode (actors, versions per recording) and the feature settings.
    signal : {"bc", "ac"}
        Which signal the features are computed from: the synthetic bone-conducted version (the
        BC filter) or the air-conducted audio as recorded.
    corpus : str or Path, optional
        The corpus folder; default: ``ravdess.find_corpus``'s choice.
    progress : bool
        Show progress bars.
    cache_dir : str or Path, optional
        Where caches live; default ``feature_cache``'s own folder.

    Returns
    -------
    Prepared

    Raises
    ------
    ravdess.CorpusError
        No usable recording of the mode's actors (``find_catalog``).
    """
    location, catalog = find_catalog(cfg, corpus, progress)
    cache = feature_cache.build(catalog, cfg, signal=signal, progress=progress, cache_dir=cache_dir)
    return Prepared(location, catalog, cache, cfg)


def corpus_digest(catalog: pd.DataFrame, memo_dir: str | Path | None = None) -> str:
    """16 hex digits naming the recordings a run used: their names and contents (the feature
    cache's remembered content hashes), so a corpus that lost, gained or changed a file since
    reads as another corpus.

    Parameters
    ----------
    catalog : DataFrame
        ``ravdess.catalog``'s table (name, path) of the recordings.
    memo_dir : str or Path, optional
        Where content hashes are remembered; default the feature cache's folder.

    Returns
    -------
    str
    """
    contents = feature_cache.content_hashes(catalog["path"],
                                            memo_dir or ravdess.data_dir() / "cache")
    pairs = sorted(zip(catalog["name"], contents, strict=True))
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()[:16]


def check_corpus(run: Path, recorded: str | None, root: str | Path,
                 catalog: pd.DataFrame) -> None:
    """Refuse to read a run against a corpus other than the one it was trained on, before any
    feature is computed from it.

    Parameters
    ----------
    run : Path
        The run folder (named in the message).
    recorded : str or None
        ``run.json``'s "corpus" (None for runs made before it was recorded: not checked).
    root : str or Path
        The corpus folder as found now.
    catalog : DataFrame
        Its recordings for the run's mode (``find_catalog``).

    Raises
    ------
    RunFolderMismatch
        The recordings changed since the run was trained (files added, removed or rewritten).
    """
    if recorded is not None and recorded != corpus_digest(catalog):
        raise RunFolderMismatch(
            f"{run}: trained on other recordings than {messages.display_path(root)} holds now "
            "(files were added, removed or rewritten since), so its split would not be its "
            "own; train again, or evaluate against the corpus it was trained on")


def make_split(prepared: Prepared, protocol: str, fold: int = 0, n_folds: int | None = None,
               seed: int | None = None) -> splits.Split:
    """The split ``protocol`` makes of ``prepared``'s cache rows, with the run's settings
    (``cfg.training.val_fraction``, ``cfg.mode.seed``): the one place a protocol's name becomes
    ``splits.p1``, ``p2``, ``p3`` or ``everything``. Notebook: 06_training.

    Parameters
    ----------
    prepared : Prepared
        Only its ``cfg`` and ``cache.index`` (each row's actor, emotion, version) are read.
    protocol : {"P1", "P2", "P3", "ALL"}
        One of ``splits.PROTOCOLS`` (the ``splits`` module's docstring says what each does).
    fold : int
        P3's fold, 0 to n_folds − 1; the other protocols ignore it.
    n_folds : int, optional
        P3's number of folds; default ``splits.default_folds`` of the cache's actors (5 on the
        20-actor development copy, 3 for quick mode's 6).
    seed : int, optional
        The random split of P1 and P2; default ``cfg.mode.seed``. P3's folds do not use it.

    Returns
    -------
    splits.Split
        Row numbers of ``prepared.cache.index`` on each side.

    Raises
    ------
    ValueError
        An unknown protocol.
    splits.SplitError
        A P3 fold that does not exist, or too few actors for the folds.

    Examples
    --------
    Only the cache's index is read, so a stand-in for a prepared corpus (no audio, no cache on
    disk) shows every protocol: the catalogue of the ``splits`` module's example (6 actors × 8
    emotions × 2 statements, each recording in 3 versions), with quick mode's settings.

    >>> from types import SimpleNamespace
    >>> from bcser_utils.audio import names
    >>> index = pd.DataFrame([{"name": n.stem, "actor": n.actor, "emotion": n.emotion_name,
    ...                        "version": v, "duplicate_group": None}
    ...                       for n in names.expected_names(range(1, 7))
    ...                       if n.intensity == 1 and n.repetition == 1 for v in range(3)])
    >>> prepared = Prepared(corpus=None, catalog=index, cache=SimpleNamespace(index=index),
    ...                     cfg=config.get_config("quick"))
    >>> for protocol in splits.PROTOCOLS:
    ...     split = make_split(prepared, protocol)
    ...     print(split.protocol, len(split.train), len(split.val), len(split.test))
    P1 230 58 0
    P2 228 20 0
    P3 96 32 32
    ALL 288 0 0
    >>> make_split(prepared, "P3", fold=1).description
    'actor-disjoint fold 2/3: test actors [3, 4], early-stopping actors [5, 6]'
    """
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
    """One mean and standard deviation per band from ``rows`` (the training side).

    Notebooks: 04_features, 05_model_build.

    Parameters
    ----------
    cache : feature_cache.FeatureCache
        Its ``features`` (N, T, F) are read ``chunk`` rows at a time, never all at once.
    rows : array of int
        Row numbers of the cache (the training side's).
    chunk : int
        Rows read at a time.

    Returns
    -------
    features.Standardizer
        Fitted: ``mean`` and ``std`` of shape (F,).
    """
    return features.Standardizer().fit(_chunks(cache, rows, chunk))


def _chunks(cache: feature_cache.FeatureCache, rows, chunk: int = 1024):
    rows = np.sort(rows)
    return (cache.features[rows[i:i + chunk]] for i in range(0, len(rows), chunk))


def fit_normalizer(prepared: Prepared, split: splits.Split) -> Normalizer:
    """The configured normalisation (``cfg.normalize``), fitted for ``split``: global statistics
    from the training rows; in mode "speaker" also every actor's own, from that actor's original
    recordings (version 0), unlabelled, for the training, validation and test actors alike (for
    the last two: transductive adaptation). Notebook: 09_towards_unseen_speakers.

    Parameters
    ----------
    prepared : Prepared
        Its cache and ``cfg.normalize`` (mode and ``top_db``).
    split : splits.Split
        Whose training rows give the global statistics, and whose actors (every side) get
        their own in mode "speaker".

    Returns
    -------
    Normalizer
        Fitted, ready for ``transform(x, speakers)``.
    """
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
    """Fit the model on ``split.train``, stopping early on ``split.val``.

    The normalisation is fitted on the split first (``fit_normalizer``), then
    ``training.fit`` runs the paper's recipe (``cfg.training``). Notebook: 06_training.

    Parameters
    ----------
    prepared : Prepared
    split : splits.Split
        An empty ``val`` (protocol ALL) trains every epoch and keeps the last.
    seed : int, optional
        Seeds the weights, shuffling and dropout; default ``cfg.mode.seed``.
    checkpoint : str or Path, optional
        Written after every epoch and resumed from if it exists (``training.fit``).
    progress : bool
        Show a progress bar.
    max_epochs : int, optional
        Default: the mode's cap (``cfg.mode.max_epochs``), else ``cfg.training.max_epochs``.
    identity : str, optional
        What made the run (a digest of its settings), recorded in the checkpoint; a checkpoint
        that records another is refused.
    unmarked_ok : bool
        Whether a checkpoint that records no identity (an earlier version's) may be resumed.

    Returns
    -------
    Trained
        The best epoch's weights, the fitted normalisation, the history, the split and the
        seconds it took.

    Raises
    ------
    artifacts.CheckpointError
        ``checkpoint`` is not a readable training checkpoint of ours, or another run's.
    """
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
    the probability of each emotion; the table every model's predictions are kept in.

    Parameters
    ----------
    part : str
        Which side the clips come from ("val", "test" …), the same on every row.
    index : pandas.DataFrame
        The clips' rows of a cache's index (name, actor, emotion_code).
    proba : np.ndarray
        (len(index), emotions) class probabilities, in ``index``'s order.
    emotions : sequence of str
        The column names of ``proba``'s classes, in order.

    Returns
    -------
    pandas.DataFrame
        Columns part, name, actor, y (the label, 0 to emotions − 1), then one per emotion.
    """
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

    Parameters
    ----------
    trained : Trained
        The model, and the split whose validation and test rows are predicted.
    prepared : Prepared
        The corpus it was trained on.

    Returns
    -------
    pandas.DataFrame
        ``prediction_table``'s columns; empty (those columns, no rows) when the split holds
        nothing out.
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
    """What a results table needs: protocol, data, mode, history and the metrics.

    Parameters
    ----------
    trained : Trained
    prepared : Prepared
        The corpus it was trained on.
    split_name : {"val", "test"}
        The side of ``trained.split`` the metrics are computed on.

    Returns
    -------
    dict
        JSON-ready: the run's settings, actors per side, timings, training history and
        ``metrics`` (``evaluate_rows``; None when that side is empty, as in a refit).
    """
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
    """Where a run goes by default: runs/<protocol>-<signal>-<mode>-fold<k>-seed<s>/.

    Parameters
    ----------
    protocol : str
        "P1", "P2", "P3" or "ALL" (lower-cased in the name).
    signal : str
        "bc" or "ac".
    cfg : config.Config
        Its mode's name and seed.
    fold : int
        P3's fold.

    Returns
    -------
    Path
        Under ``config.RUNS_DIR``; not created.
    """
    return (config.RUNS_DIR /
            f"{protocol.lower()}-{signal}-{cfg.mode.name}-fold{fold}-seed{cfg.mode.seed}")


class RunFolderMismatch(ValueError):
    """A run folder made with other settings than the ones asked for now."""


RUN_SECTIONS = ("mode", "bc", "augment", "features", "model", "training", "normalize")


def run_settings(cfg: config.Config, protocol: str, fold: int, signal: str,
                 location: ravdess.CorpusLocation, max_epochs: int | None) -> dict:
    """Everything that shapes a run: what its run.json records, and what a later call with the
    same folder must ask for again. JSON-ready (tuples become lists).

    Parameters
    ----------
    cfg : config.Config
        Its sections ``RUN_SECTIONS`` are recorded whole.
    protocol : str
    fold : int
    signal : str
    location : ravdess.CorpusLocation
        The corpus (its resolved folder, and whether it is synthetic).
    max_epochs : int or None
        The epochs asked for (None: the configuration's).

    Returns
    -------
    dict
        Plain JSON values only, comparable with a run.json read back.
    """
    settings = {"protocol": protocol, "fold": fold, "signal": signal, "mode": cfg.mode.name,
                "seed": cfg.mode.seed, "data": str(Path(location.root).resolve()),
                "synthetic": bool(location.synthetic), "epochs": max_epochs,
                "versions": cfg.augment.n_versions,
                "label_smoothing": cfg.training.label_smoothing,
                "config": {section: asdict(getattr(cfg, section)) for section in RUN_SECTIONS}}
    return json.loads(json.dumps(settings, default=str))


def check_run_folder(run: Path, settings: dict) -> None:
    """Refuse a run folder that another configuration made (its run.json says so), so that two
    configurations never mix weights or results in one folder.

    Parameters
    ----------
    run : Path
        The run folder; one without a run.json (new, or made before it was recorded) passes.
    settings : dict
        ``run_settings`` for the run asked for now.

    Raises
    ------
    RunFolderMismatch
        run.json is unreadable, or records other settings (the message names up to three).
    """
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
    return an empty dict. Notebook: 08_beyond_the_paper.

    Parameters
    ----------
    cfg : config.Config
    protocol : {"P1", "P2", "P3", "ALL"}
    fold : int
        P3's fold.
    signal : {"bc", "ac"}
        Bone-conducted (the BC filter) or air-conducted audio as recorded.
    corpus : str or Path, optional
        The corpus folder; default ``ravdess.find_corpus``'s choice.
    out : str or Path, optional
        The run folder; default ``run_folder(protocol, signal, cfg, fold)``.
    max_epochs : int, optional
        Default: the configuration's.
    progress : bool
        Show progress bars.

    Returns
    -------
    dict
        ``summary`` plus "timing" (seconds of each stage), as saved in metrics.json; an empty
        dict on the processes other than rank 0.

    Raises
    ------
    RunFolderMismatch
        The folder was made by another run (other settings, or other recordings).
    artifacts.CheckpointError
        Its checkpoint.pt is another run's, or unreadable.
    ravdess.CorpusError
        No usable recording of the mode's actors.
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
    settings["corpus"] = corpus_digest(prepared.catalog)
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
    """The training curves, confusion matrix, ROC curves and reliability diagram of a run.

    Parameters
    ----------
    result : dict
        ``summary``'s, with its metrics (not None).
    folder : Path
        Where the PNG files go.
    synthetic : bool
        The synthetic corpus: each figure gets the "SYNTHETIC DATA" banner.

    Returns
    -------
    list of Path
        curves.png, confusion.png, roc.png and reliability.png, in that order.
    """
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
    """A self-contained checkpoint for ``predict``: weights, normalisation, settings, card.

    ``inference.Predictor.load`` reads it back. Notebook: 06_training.

    Parameters
    ----------
    path : str or Path
        The model.pt to write (atomically).
    trained : Trained
    prepared : Prepared
        The corpus and settings it was trained with (features, BC filter, signal, emotions).
    card : dict, optional
        A model card (what describes the model, e.g. how it was chosen), stored as given.

    Returns
    -------
    Path
        ``path``.
    """
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
