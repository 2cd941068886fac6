"""Every metric the paper reports, from one call, plus bootstrap confidence intervals.

``evaluate(y_true, probabilities)`` returns a plain dict (JSON-ready):

- accuracy, balanced accuracy, Matthews correlation (MCC);
- the classification report (precision, recall, F1, support per class);
- the confusion matrix, raw and normalised by true class (rows sum to 1);
- one-vs-rest ROC curves and the AUC of each class;
- IoU per class and its mean (the paper's eq. 3: ``jaccard_score(average=None)``);
- MSE per class and overall: the mean squared error between one-hot targets and predicted
  probabilities, i.e. the Brier score. Per class k: mean over clips of (y_k − p_k)²; overall:
  the mean over clips *and* classes (so "overall" is the mean of the per-class values);
- log loss per class (one-vs-rest binary cross-entropy of p_k) and overall (the multi-class log
  loss). The two are different quantities, which is why the paper's overall 1.41 can sit beside
  per-class values near 0.2 without contradiction only if they are defined like this.

Notebook: 07_evaluation.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import metrics

from bcser_utils import files
from bcser_utils.config import Reported, get_config


def _onehot(y: np.ndarray, n: int) -> np.ndarray:
    return np.eye(n)[y]


def evaluate(y_true, probabilities, emotions=None) -> dict:
    """All the paper's metrics for integer labels and predicted probabilities.

    Notebook: 07_evaluation.

    Parameters
    ----------
    y_true : array-like of int
        (N,) true classes, 0 … C − 1.
    probabilities : array-like
        (N, C) predicted probabilities; clipped to [1e-15, 1] and renormalised per row.
    emotions : sequence of str, optional
        The C class names; default the config's 8 emotions.

    Returns
    -------
    dict
        JSON-ready: "n", "accuracy", "balanced_accuracy", "mcc", "report" (precision, recall, F1,
        support per class), "confusion" and "confusion_normalized" (C × C lists, true class
        down), "iou" and "mean_iou", "mse" and "mse_overall" (Brier), "log_loss" and
        "log_loss_overall", "auc" and "roc" (only for classes with positives and negatives).

    Examples
    --------
    >>> y = np.arange(16) % 8  # two clips of each emotion
    >>> p = np.full((16, 8), 0.02)
    >>> p[np.arange(16), y] = 0.86  # right, and fairly sure ...
    >>> p[3] = np.roll(p[3], 1)  # ... except clip 3 (sad), taken for angry
    >>> result = evaluate(y, p)
    >>> result["n"], result["accuracy"], round(result["mcc"], 3), result["confusion"][3]
    (16, 0.9375, 0.933, [0, 0, 0, 1, 1, 0, 0, 0])
    """
    emotions = list(emotions or get_config().emotions)
    y = np.asarray(y_true, dtype=int)
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-15, 1)
    p = p / p.sum(axis=1, keepdims=True)
    n = len(emotions)
    labels = np.arange(n)
    predicted = p.argmax(axis=1)
    onehot = _onehot(y, n)
    out = {
        "n": int(len(y)),
        "accuracy": metrics.accuracy_score(y, predicted),
        "balanced_accuracy": metrics.balanced_accuracy_score(y, predicted),
        "mcc": metrics.matthews_corrcoef(y, predicted),
        "report": metrics.classification_report(y, predicted, labels=labels,
                                                target_names=emotions, output_dict=True,
                                                zero_division=0),
        "confusion": metrics.confusion_matrix(y, predicted, labels=labels).tolist(),
        "confusion_normalized": metrics.confusion_matrix(y, predicted, labels=labels,
                                                         normalize="true").tolist(),
        "iou": dict(zip(emotions, metrics.jaccard_score(y, predicted, labels=labels,
                                                        average=None, zero_division=0),
                        strict=True)),
        "mse": dict(zip(emotions, ((onehot - p) ** 2).mean(axis=0), strict=True)),
        "auc": {}, "roc": {},
    }
    with warnings.catch_warnings():  # a class absent from a small sample is fine here
        warnings.simplefilter("ignore", UserWarning)
        out["log_loss"] = {e: metrics.log_loss(onehot[:, k], p[:, k], labels=[0, 1])
                           for k, e in enumerate(emotions)}
    out["mean_iou"] = float(np.mean(list(out["iou"].values())))
    out["mse_overall"] = float(((onehot - p) ** 2).mean())
    out["log_loss_overall"] = metrics.log_loss(y, p, labels=labels)
    for k, emotion in enumerate(emotions):
        if 0 < onehot[:, k].sum() < len(y):  # AUC needs both positives and negatives
            fpr, tpr, _ = metrics.roc_curve(onehot[:, k], p[:, k])
            out["auc"][emotion] = metrics.roc_auc_score(onehot[:, k], p[:, k])
            out["roc"][emotion] = {"fpr": fpr.tolist(), "tpr": tpr.tolist()}
    return plain(out)


def prediction_arrays(table, emotions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The arrays of a predictions table, sorted by clip name so that two models' tables line up
    clip by clip.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns "name", "y", "actor" and one per emotion (a run's predictions.csv).
    emotions : sequence of str
        The probability columns, in class order.

    Returns
    -------
    labels : numpy.ndarray
        (N,) int.
    probabilities : numpy.ndarray
        (N, C) float.
    actors : numpy.ndarray
        (N,) actor numbers.
    """
    table = table.sort_values("name")
    return (table["y"].to_numpy(), table[list(emotions)].to_numpy(dtype=float),
            table["actor"].to_numpy())


def plain(value):
    """numpy scalars and arrays → Python floats and lists, so json.dump works.

    Parameters
    ----------
    value
        A dict, list, tuple, numpy scalar or anything else (returned as is).

    Returns
    -------
    object
        The same structure with plain Python numbers (tuples become lists).
    """
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _resamples(n: int, n_boot: int, seed: int, groups=None):
    """``n_boot`` bootstrap index draws over n items: items, or whole ``groups`` when given."""
    rng = np.random.default_rng(seed)
    if groups is None:
        return (rng.integers(0, n, n) for _ in range(n_boot))
    groups = np.asarray(groups)
    members = [np.flatnonzero(groups == g) for g in np.unique(groups)]
    return (np.concatenate([members[i] for i in rng.integers(0, len(members), len(members))])
            for _ in range(n_boot))


def bootstrap_ci(y_true, probabilities, metric: str = "accuracy", n_boot: int = 1000,
                 seed: int = 0, level: float = 0.95, groups=None) -> tuple[float, float]:
    """A percentile bootstrap interval for one scalar metric.

    ``groups`` (e.g. actors) resamples whole groups instead of clips: the honest interval when
    clips of one speaker are not independent. Notebook: 07_evaluation.

    Parameters
    ----------
    y_true : array-like of int
        (N,) true classes.
    probabilities : array-like
        (N, C) probabilities.
    metric : str
        "accuracy", "balanced_accuracy", "mcc" or "macro_f1".
    n_boot : int
        The number of resamples.
    seed : int
        The resampling's seed.
    level : float
        The interval's coverage, e.g. 0.95.
    groups : array-like, optional
        (N,) group ids.

    Returns
    -------
    (low, high) : tuple of float
    """
    y, p, scorer = np.asarray(y_true), np.asarray(probabilities), _SCALAR[metric]
    values = [scorer(y[i], p[i]) for i in _resamples(len(y), n_boot, seed, groups)]
    tail = (1 - level) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def paired_difference(y_true, probabilities_a, probabilities_b, metric: str = "accuracy",
                      n_boot: int = 1000, seed: int = 0, level: float = 0.95,
                      groups=None) -> dict:
    """Metric of model A minus model B on the SAME clips, with a paired bootstrap interval.

    Each draw resamples the clips (or whole ``groups``, e.g. actors) once and scores both models
    on that draw, so what the two share (which clips are hard) cancels out: far narrower than
    comparing two separate intervals. Notebook: 08_beyond_the_paper (AC vs BC).

    Parameters
    ----------
    y_true : array-like of int
        (N,) true classes.
    probabilities_a, probabilities_b : array-like
        (N, C) each, on the same clips in the same order.
    metric, n_boot, seed, level, groups
        As for ``bootstrap_ci``.

    Returns
    -------
    dict
        {"a", "b", "difference", "ci95": (low, high)}.

    Raises
    ------
    ValueError
        If the two are not on the same clips.
    """
    y, scorer = np.asarray(y_true), _SCALAR[metric]
    a, b = np.asarray(probabilities_a), np.asarray(probabilities_b)
    if a.shape != b.shape or len(a) != len(y):
        raise ValueError(f"paired_difference needs both models on the same clips: {a.shape}, "
                         f"{b.shape}, {len(y)} labels")
    values = [scorer(y[i], a[i]) - scorer(y[i], b[i])
              for i in _resamples(len(y), n_boot, seed, groups)]
    tail = (1 - level) / 2 * 100
    return {"a": float(scorer(y, a)), "b": float(scorer(y, b)),
            "difference": float(scorer(y, a) - scorer(y, b)),
            "ci95": (float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail)))}


def _confusion(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    n = p.shape[1]
    return np.bincount(y * n + p.argmax(1), minlength=n * n).reshape(n, n).astype(np.float64)


def _balanced_accuracy(y, p) -> float:
    """sklearn's balanced_accuracy_score (mean recall over the classes present in ``y``)."""
    c = _confusion(y, p)
    support = c.sum(1)
    return float(np.mean(np.diag(c)[support > 0] / support[support > 0]))


def _mcc(y, p) -> float:
    """sklearn's matthews_corrcoef, multi-class (Gorodkin's R_K), from the confusion matrix."""
    c = _confusion(y, p)
    truth, predicted, n = c.sum(1), c.sum(0), c.sum()
    covariance = np.trace(c) * n - truth @ predicted
    spread = (n**2 - predicted @ predicted) * (n**2 - truth @ truth)
    return float(covariance / np.sqrt(spread)) if spread else 0.0


# The scalar metrics a bootstrap recomputes thousands of times: numpy versions of sklearn's
# (whose input checks cost 10–50× the arithmetic); tests check they equal sklearn's.
_SCALAR = {
    "accuracy": lambda y, p: float(np.mean(p.argmax(1) == y)),
    "balanced_accuracy": _balanced_accuracy,
    "mcc": _mcc,
    "macro_f1": lambda y, p: metrics.f1_score(y, p.argmax(1), average="macro"),
}


def score(y_true, probabilities, metric: str = "accuracy") -> float:
    """One scalar metric of probabilities.

    Parameters
    ----------
    y_true : array-like of int
        (N,) true classes.
    probabilities : array-like
        (N, C) probabilities.
    metric : str
        "accuracy", "balanced_accuracy", "mcc" or "macro_f1".

    Returns
    -------
    float
    """
    return _SCALAR[metric](np.asarray(y_true), np.asarray(probabilities))


def calibration(y_true, probabilities, n_bins: int = 10) -> dict:
    """Reliability-diagram bins (confidence vs accuracy of the top class) and the ECE.

    Notebook: 07_evaluation.

    Parameters
    ----------
    y_true : array-like of int
        (N,) true classes.
    probabilities : array-like
        (N, C) probabilities.
    n_bins : int
        Equal-width confidence bins over [0, 1].

    Returns
    -------
    dict
        "bins": one dict per bin ("lower", "upper", "count", "confidence", "accuracy"; the last
        two None when empty) and "ece", the count-weighted mean |accuracy − confidence|.
    """
    p = np.asarray(probabilities)
    confidence, correct = p.max(1), p.argmax(1) == np.asarray(y_true)
    edges = np.linspace(0, 1, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, n_bins - 1)
    bins = [{"lower": edges[b], "upper": edges[b + 1], "count": int((which == b).sum()),
             "confidence": float(confidence[which == b].mean()) if (which == b).any() else None,
             "accuracy": float(correct[which == b].mean()) if (which == b).any() else None}
            for b in range(n_bins)]
    return {"bins": bins, "ece": _ece(bins)}


def _ece(bins: list[dict]) -> float:
    """The count-weighted mean gap between accuracy and confidence over the non-empty bins."""
    total = sum(b["count"] for b in bins)
    return float(sum(b["count"] / total * abs(b["accuracy"] - b["confidence"])
                     for b in bins if b["count"]))


def pooled_calibration(calibrations) -> dict:
    """``calibration`` of several disjoint sets of clips (e.g. the test actors of every P3 fold)
    taken together, from their bins alone.

    Counts add, and each bin's confidence and accuracy are the count-weighted means: equal to
    ``calibration`` of the concatenated predictions.

    Parameters
    ----------
    calibrations : iterable of dict
        ``calibration`` outputs with the same bins.

    Returns
    -------
    dict
        As ``calibration``'s.
    """
    calibrations = list(calibrations)
    bins = []
    for parts in zip(*(c["bins"] for c in calibrations), strict=True):
        count = sum(b["count"] for b in parts)

        def mean(key, parts=parts, count=count):
            return sum(b[key] * b["count"] for b in parts if b["count"]) / count if count else None

        bins.append({"lower": parts[0]["lower"], "upper": parts[0]["upper"], "count": count,
                     "confidence": mean("confidence"), "accuracy": mean("accuracy")})
    return {"bins": bins, "ece": _ece(bins)}


def paper_table(result: dict, reported: Reported | None = None) -> pd.DataFrame:
    """Table IV (and Table III's F1 per class) of the paper beside ours. Notebook: 07_evaluation.

    Parameters
    ----------
    result : dict
        ``evaluate``'s output.
    reported : config.Reported, optional
        The paper's numbers; default the config's.

    Returns
    -------
    pandas.DataFrame
        Indexed by metric, columns "paper" and "ours".
    """
    r = reported or get_config().reported
    rows = [("validation accuracy", r.val_accuracy, result["accuracy"]),
            ("balanced accuracy", r.balanced_accuracy, result["balanced_accuracy"]),
            ("MCC", r.mcc, result["mcc"]),
            ("mean IoU", r.mean_iou, result["mean_iou"]),
            ("MSE (Brier), overall", r.mse, result["mse_overall"]),
            ("log loss, overall", r.log_loss, result["log_loss_overall"]),
            ("AUC, lowest class", r.auc, min(result["auc"].values(), default=np.nan))]
    rows += [(f"F1 {emotion}", f1, result["report"][emotion]["f1-score"])
             for emotion, _, _, f1, _ in r.per_class]
    return pd.DataFrame(rows, columns=["metric", "paper", "ours"]).set_index("metric")


def save_json(result: dict, path: str | Path) -> Path:
    """Write a result as indented JSON (numpy values made plain), creating the folder.

    Parameters
    ----------
    result : dict
        E.g. ``evaluate``'s output.
    path : str or Path
        The file to write.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    files.write_text(path, json.dumps(plain(result), indent=1))  # whole, or the old file kept
    return path


# --- prediction tables: one row per clip (name, actor, y, part, one column per emotion) ----------
# What a run's predictions.csv holds; notebook 09's study scores, pairs, averages and fuses them.

TABLE_METRICS = ("accuracy", "balanced_accuracy", "macro_f1")


def table_score(table: pd.DataFrame, n_boot: int = 1000) -> dict:
    """Accuracy, balanced accuracy and macro-F1 over a predictions table's clips, each with a 95%
    interval that resamples whole actors (a speaker's clips are not independent).

    Notebook: 09_towards_unseen_speakers.

    Parameters
    ----------
    table : pandas.DataFrame
        A predictions table (``prediction_arrays``).
    n_boot : int
        Resamples per interval; 0 skips the intervals.

    Returns
    -------
    dict
        "n", "actors", and each metric with its "<metric>_ci95_by_actor" (None for one actor).
    """
    y, proba, actors = prediction_arrays(table, get_config().emotions)
    out = {"n": int(len(y)), "actors": int(len(np.unique(actors)))}
    for metric in TABLE_METRICS:
        out[metric] = score(y, proba, metric)
        out[f"{metric}_ci95_by_actor"] = bootstrap_ci(
            y, proba, metric, n_boot, groups=actors) if out["actors"] > 1 and n_boot else None
    return out


def table_paired(a: pd.DataFrame, b: pd.DataFrame, n_boot: int = 1000) -> dict:
    """Accuracy of A minus B on the same clips, with a paired interval by actor.

    Parameters
    ----------
    a, b : pandas.DataFrame
        Predictions tables of two models on the same clips.
    n_boot : int
        Resamples.

    Returns
    -------
    dict
        ``paired_difference``'s output.

    Raises
    ------
    ValueError
        If the tables' labels differ.
    """
    y, p_a, actors = prediction_arrays(a, get_config().emotions)
    y_b, p_b, _ = prediction_arrays(b, get_config().emotions)
    if not np.array_equal(y, y_b) or len(y) != len(y_b):
        raise ValueError("paired needs both on the same clips")
    return paired_difference(y, p_a, p_b, n_boot=n_boot, groups=actors)


def ensemble(tables) -> pd.DataFrame:
    """The mean probabilities of several models on the same clips (e.g. one per seed).

    Parameters
    ----------
    tables : iterable of pandas.DataFrame
        Predictions tables with the same clip names.

    Returns
    -------
    pandas.DataFrame
        The first table, sorted by name, with the mean probabilities.

    Raises
    ------
    ValueError
        If the tables' clips differ.
    """
    emotions = list(get_config().emotions)
    tables = [t.sort_values("name", ignore_index=True) for t in tables]
    for t in tables[1:]:
        if not t["name"].equals(tables[0]["name"]):
            raise ValueError("ensemble needs every model on the same clips")
    out = tables[0].copy()
    out[emotions] = np.mean([t[emotions].to_numpy(dtype=float) for t in tables], 0)
    return out


def fuse(deep: pd.DataFrame, classical: pd.DataFrame, weight: float) -> pd.DataFrame:
    """Late fusion, clip by clip: ``weight`` × the deep model's probabilities + (1 − weight) × the
    baseline's.

    Parameters
    ----------
    deep, classical : pandas.DataFrame
        Predictions tables with the same clip names.
    weight : float
        The deep model's share, 0–1.

    Returns
    -------
    pandas.DataFrame
        The deep table, sorted by name, with the fused probabilities.

    Raises
    ------
    ValueError
        If the tables' clips differ.
    """
    emotions = list(get_config().emotions)
    deep = deep.sort_values("name", ignore_index=True)
    classical = classical.sort_values("name", ignore_index=True)
    if not deep["name"].equals(classical["name"]):
        raise ValueError("fuse needs both on the same clips")
    out = deep.copy()
    out[emotions] = (weight * deep[emotions].to_numpy(dtype=float)
                     + (1 - weight) * classical[emotions].to_numpy(dtype=float))
    return out


def part(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """One part of a predictions table.

    Parameters
    ----------
    table : pandas.DataFrame
        With a "part" column.
    name : str
        "val" (the early-stopping actors) or "test".

    Returns
    -------
    pandas.DataFrame
        Its rows.
    """
    return table[table["part"] == name]
