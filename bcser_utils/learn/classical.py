"""A fitted scikit-learn classifier as plain arrays, and its probabilities computed from them.

scikit-learn does not promise that a fitted estimator saved by one version loads in another
(a pickle or skops file of an SVC warns "Trying to unpickle estimator SVC from version 1.9.1
when using version 1.6.1 ... might lead to breaking code or invalid results"). So the classical
baseline is stored as the numbers it learned, and ``Portable.predict_proba`` computes with numpy
exactly what scikit-learn's ``predict_proba`` does for the two classifiers the baseline uses:

- "svm": an RBF-kernel ``SVC`` inside ``CalibratedClassifierCV(method="sigmoid",
  ensemble=False)``: the one-vs-one decision values of libsvm, scikit-learn's one-vs-rest
  transform of them, one Platt sigmoid per class, and the normalisation over classes;
- "logreg": a multinomial ``LogisticRegression``: a softmax of ``x @ coef.T + intercept``.

``export(model)`` takes the arrays out of a fitted estimator (any scikit-learn version that
fitted it); ``Portable(arrays)`` needs only numpy. A test checks both against scikit-learn.

Notebook: 09_towards_unseen_speakers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def export(model) -> dict:
    """The arrays of a fitted "svm" (calibrated RBF SVC) or "logreg" model.

    Parameters
    ----------
    model : sklearn estimator
        A fitted ``LogisticRegression``, or a ``CalibratedClassifierCV(SVC(kernel="rbf"),
        method="sigmoid", ensemble=False)`` of three classes or more.

    Returns
    -------
    dict
        "kind", "classes" and the learnt float64 arrays (plain values otherwise), for
        ``Portable``.

    Raises
    ------
    ValueError
        For any other estimator.
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    if isinstance(model, LogisticRegression):
        return {"kind": "logreg", "classes": np.asarray(model.classes_, dtype=np.int64),
                "coef": np.asarray(model.coef_, dtype=np.float64),
                "intercept": np.asarray(model.intercept_, dtype=np.float64)}
    if isinstance(model, CalibratedClassifierCV) and len(model.calibrated_classifiers_) == 1:
        calibrated = model.calibrated_classifiers_[0]
        svc = calibrated.estimator
        if getattr(svc, "kernel", None) != "rbf" or len(model.classes_) < 3:
            raise ValueError("only an RBF SVC of three classes or more is exported")
        return {"kind": "svm", "classes": np.asarray(model.classes_, dtype=np.int64),
                "support_vectors": np.asarray(svc.support_vectors_, dtype=np.float64),
                "dual_coef": np.asarray(svc.dual_coef_, dtype=np.float64),
                "intercept": np.asarray(svc.intercept_, dtype=np.float64),
                "n_support": np.asarray(svc.n_support_, dtype=np.int64),
                "gamma": float(svc._gamma),
                "sigmoid_a": np.array([c.a_ for c in calibrated.calibrators], dtype=np.float64),
                "sigmoid_b": np.array([c.b_ for c in calibrated.calibrators], dtype=np.float64)}
    raise ValueError(f"cannot export a {type(model).__name__}: expected a LogisticRegression or "
                     "a CalibratedClassifierCV(SVC(kernel='rbf'), ensemble=False)")


@dataclass
class Portable:
    """A classifier rebuilt from ``export``'s arrays; ``predict_proba`` as scikit-learn's.

    Parameters
    ----------
    arrays : dict
        ``export``'s output.
    """
    arrays: dict

    @property
    def classes_(self) -> np.ndarray:
        """The class labels, as scikit-learn's ``classes_``."""
        return np.asarray(self.arrays["classes"])

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities, as the exported scikit-learn model's ``predict_proba``.

        Parameters
        ----------
        x : numpy.ndarray
            (N, F) features, standardised as in training.

        Returns
        -------
        numpy.ndarray
            (N, len(classes_)) float64, rows summing to 1.

        Raises
        ------
        ValueError
            For an unknown kind of classifier.
        """
        x = np.asarray(x, dtype=np.float64)
        if self.arrays["kind"] == "logreg":
            return _softmax(x @ self.arrays["coef"].T + self.arrays["intercept"])
        if self.arrays["kind"] == "svm":
            return self._svm_proba(x)
        raise ValueError(f"unknown classifier kind {self.arrays['kind']!r}")

    def _svm_proba(self, x: np.ndarray) -> np.ndarray:
        a = self.arrays
        n_classes = len(a["classes"])
        sv = a["support_vectors"]
        distances = (x ** 2).sum(1)[:, None] - 2 * x @ sv.T + (sv ** 2).sum(1)[None, :]
        kernel = np.exp(-a["gamma"] * np.maximum(distances, 0))
        starts = np.concatenate([[0], np.cumsum(a["n_support"])])
        # libsvm's one-vs-one decisions: for the pair (i, j), class i's support vectors weigh
        # with row j − 1 of dual_coef, class j's with row i; positive means class i
        ovo = []
        for i in range(n_classes):
            for j in range(i + 1, n_classes):
                si, sj = slice(starts[i], starts[i + 1]), slice(starts[j], starts[j + 1])
                ovo.append(kernel[:, si] @ a["dual_coef"][j - 1, si]
                           + kernel[:, sj] @ a["dual_coef"][i, sj])
        ovo = np.stack(ovo, axis=1) + a["intercept"]
        decision = _ovr_decision(ovo < 0, -ovo, n_classes)
        proba = 1 / (1 + np.exp(a["sigmoid_a"] * decision + a["sigmoid_b"]))
        total = proba.sum(1, keepdims=True)
        proba = np.divide(proba, total, out=np.full_like(proba, 1 / n_classes),
                          where=total != 0)
        proba[(proba > 1) & (proba <= 1 + 1e-5)] = 1.0
        return proba


def probabilities(model, x: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities of a scikit-learn model or a ``Portable`` one over all ``n_classes``.

    Parameters
    ----------
    model
        Has ``classes_`` and ``predict_proba``.
    x : numpy.ndarray
        (N, F) features.
    n_classes : int
        The number of classes.

    Returns
    -------
    numpy.ndarray
        (N, n_classes); zero for a class the model never saw in training.
    """
    proba = np.zeros((len(x), n_classes))
    proba[:, model.classes_] = model.predict_proba(x)
    return proba


def _ovr_decision(predictions: np.ndarray, confidences: np.ndarray, n_classes: int):
    """scikit-learn's one-vs-rest scores from one-vs-one votes: each class's votes plus its
    summed confidences squashed into (−1/3, 1/3), so they break ties but never outvote."""
    votes = np.zeros((len(predictions), n_classes))
    confidence = np.zeros((len(predictions), n_classes))
    k = 0
    for i in range(n_classes):
        for j in range(i + 1, n_classes):
            confidence[:, i] -= confidences[:, k]
            confidence[:, j] += confidences[:, k]
            votes[predictions[:, k] == 0, i] += 1
            votes[predictions[:, k] == 1, j] += 1
            k += 1
    return votes + confidence / (3 * (np.abs(confidence) + 1))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)
