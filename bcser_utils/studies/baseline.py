"""The field's classical baseline: eGeMAPS v02 functionals and a linear model.

What speech-emotion papers compare against (Eyben et al., 2016; Pepino et al., 2021): the 88
eGeMAPS functionals of each clip (``features.extract(kind="egemaps")``, from openSMILE), a
standardisation, and a logistic regression or an SVM from scikit-learn. Here it runs on the same
protocols, folds and clips as the deep model:

- the functionals are a feature cache like the log-mel one (``dataset.build`` with
  ``features.kind = "egemaps"``): keyed, resumable, one row per version of each recording;
- the split is ``pipeline.make_split``'s, so P3's test and early-stopping actors are the deep
  model's;
- the model is trained on the originals of the training side (the field's practice) unless the
  cache holds more versions (P1, which splits versions, needs them);
- the standardisation is ``pipeline.fit_normalizer``'s: "global" (training statistics) or
  "speaker" (each speaker's own, unlabelled; transductive for held-out speakers).

``run`` returns the same predictions table as a deep run's ``predictions.csv``, so pooling,
intervals and fusion treat both alike.

Notebook: 09_towards_unseen_speakers.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from bcser_utils import config
from bcser_utils.learn import artifacts, classical, pipeline

CLASSIFIERS = ("logreg", "svm")


def config_for(mode: str = "full", normalisation: str = "global", versions: int = 1,
               overrides: dict | None = None) -> config.Config:
    """The configuration of a baseline run: eGeMAPS features, ``versions`` per recording (1: the
    originals only), and the standardisation ``normalisation``."""
    return config.get_config(mode, overrides={
        "features.kind": "egemaps", "augment.n_versions": versions,
        "normalize.mode": normalisation, **(overrides or {})})


def make_classifier(name: str, seed: int = 0, smallest_class: int = 5):
    """A scikit-learn classifier with its defaults, classes weighted by inverse frequency (as
    the deep model's loss is): "logreg" (multinomial logistic regression, C = 1) or "svm" (RBF
    kernel, C = 1, gamma "scale", probabilities by Platt's sigmoid fitted with 5-fold
    cross-validation on the training side, ``CalibratedClassifierCV``; fewer folds if the
    ``smallest_class`` has fewer than 5 clips, as in a tiny synthetic corpus)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import SVC

    if name == "logreg":
        return LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000)
    if name == "svm":
        svm = SVC(C=1.0, kernel="rbf", gamma="scale", class_weight="balanced")
        folds = StratifiedKFold(max(2, min(5, smallest_class)), shuffle=True, random_state=seed)
        return CalibratedClassifierCV(svm, method="sigmoid", cv=folds, ensemble=False)
    raise ValueError(f"classifier {name!r}: expected one of {', '.join(CLASSIFIERS)}")


def run(prepared: pipeline.Prepared, protocol: str, fold: int = 0,
        classifier: str = "logreg") -> pd.DataFrame:
    """Fit the baseline on ``protocol``'s training side and predict its validation and test
    sides' original clips: a table like ``pipeline.predictions`` (part, name, actor, y, one
    column per emotion). The standardisation is ``prepared.cfg.normalize.mode``."""
    split = pipeline.make_split(prepared, protocol, fold)
    model, normalizer = fit(prepared, split, classifier)
    index, values = prepared.cache.index, prepared.cache.features

    def inputs(rows):
        return normalizer.transform(values[rows], index["actor"].to_numpy()[rows])[:, 0, :]

    tables = []
    for part in ("val", "test"):
        rows = np.asarray(getattr(split, part), dtype=int)
        rows = rows[index["version"].to_numpy()[rows] == 0]
        if not len(rows):
            continue
        proba = classical.probabilities(model, inputs(rows), len(prepared.cfg.emotions))
        tables.append(pipeline.prediction_table(part, index.iloc[rows], proba,
                                                prepared.cfg.emotions))
    return pd.concat(tables, ignore_index=True)


def fit(prepared: pipeline.Prepared, split, classifier: str = "logreg"):
    """(the classifier fitted on ``split``'s training rows, the fitted ``Normalizer``)."""
    normalizer = pipeline.fit_normalizer(prepared, split)
    index, values = prepared.cache.index, prepared.cache.features
    rows = np.asarray(split.train, dtype=int)
    labels = index["emotion_code"].to_numpy()[rows] - 1
    model = make_classifier(classifier, prepared.cfg.mode.seed, int(np.bincount(labels).min()))
    model.fit(normalizer.transform(values[rows], index["actor"].to_numpy()[rows])[:, 0, :], labels)
    return model, normalizer


# --- the fitted baseline as a file that predict reads --------------------------------------------

def save(path: str | Path, model, normalizer, prepared: pipeline.Prepared,
         card: dict | None = None) -> Path:
    """The fitted baseline and everything ``predict`` needs to use it: the classifier as the
    arrays it learned (``classical.export``), which load the same in every scikit-learn."""
    cfg = prepared.cfg
    return artifacts.save_classical(path, {
        "classifier": classical.export(model), "normalizer": normalizer.to_dict(),
        "features": asdict(cfg.features), "bc": asdict(cfg.bc),
        "signal": prepared.cache.meta["signal"], "emotions": list(cfg.emotions),
        "card": card or {}})
