"""Predict the emotion of audio files with a saved model (by default the shipped one).

    python -m bcser_utils predict my_recording.wav [--checkpoint C] [--json]
    python -m bcser_utils predict --same-speaker a.wav b.wav c.wav d.wav …
    python -m bcser_utils predict --timeline a_long_recording.wav   (``app.timeline``)

The models themselves, and how a clip becomes probabilities, are ``learn.inference``; the files
they live in are ``learn.artifacts``. This module imports neither training nor the studies, so
``predict`` starts fast.

Notebooks: 07_evaluation (the upload cell), 09_towards_unseen_speakers.
"""

from __future__ import annotations

from bcser_utils import config
from bcser_utils.audio import audio_input
from bcser_utils.learn.artifacts import DEFAULT_MODEL, P3_CHECKPOINT, CheckpointError
from bcser_utils.learn.inference import (
    Classical,
    DefaultModel,
    Ensemble,
    Predictor,
    SpeakerError,
    load_default,
    read_clip,
)

__all__ = ["DEFAULT_MODEL", "P3_CHECKPOINT", "CheckpointError", "Classical", "DefaultModel",
           "Ensemble", "Predictor", "SpeakerError", "load_default", "load_model", "mark_uncertain",
           "predict_files", "uncertainty_threshold",
           "read_clip"]


def uncertainty_threshold(path=None) -> float | None:
    """The top probability below which a prediction is shown as uncertain: ``uncertain_below``
    of ``default.json`` (chosen on the early-stopping actors of notebook 08's P3 models,
    ``beyond.confidence``); None where it names none.

    Parameters
    ----------
    path : str or Path, optional
        A default.json; default ``DEFAULT_MODEL``.

    Returns
    -------
    float or None
        In (0, 1]; None without the file, or where it names no threshold.

    Raises
    ------
    CheckpointError
        A default.json that is not one (read through ``artifacts.load_manifest``, as the
        default model is).
    """
    from pathlib import Path

    from bcser_utils.learn.artifacts import load_manifest

    path = Path(path or DEFAULT_MODEL)
    if not path.is_file():
        return None
    value = load_manifest(path).get("uncertain_below")
    return None if value is None else float(value)


def load_model(checkpoint=None, same_speaker: bool = False,
               cfg: config.Config | None = None) -> DefaultModel:
    """The default model, or ``checkpoint`` (a model.pt) standing for all of its parts.

    Parameters
    ----------
    checkpoint : str or Path, optional
        A model.pt written by ``train``; default: the model ``default.json`` names.
    same_speaker : bool
        Load what ``--same-speaker`` needs too (the deep ensemble and the classical baseline).
    cfg : config.Config, optional
        The settings to predict with (``get_config`` with overrides); default
        ``config.get_config()``.

    Returns
    -------
    DefaultModel
    """
    if checkpoint is None:
        return load_default(same_speaker=same_speaker, cfg=cfg)
    predictor = Predictor.load(checkpoint, cfg)
    return DefaultModel(predictor, None, 1.0, predictor)


def predict_files(paths, checkpoint=None, same_speaker: bool = False,
                  cfg: config.Config | None = None) -> tuple[list[dict], list[str]]:
    """Predict every file; a bad file gets an error message and the rest are still predicted.

    Parameters
    ----------
    paths : list of str or Path
        Audio files, any format soundfile reads.
    checkpoint : str or Path, optional
        A model.pt instead of the default model.
    same_speaker : bool
        The files are clips of one speaker, adapted to first (``Predictor.predict_speaker``;
        with the default model, fused with the classical baseline).
    cfg : config.Config, optional
        The settings to predict with; default ``config.get_config()``.

    Returns
    -------
    results : list of dict
        One per usable file: "file", "emotion", "probabilities" and "uncertain" (whether the
        top probability is below ``uncertainty_threshold()``; None without one).
    errors : list of str
        One line per unusable file, naming it and the cause.

    Examples
    --------
    >>> from bcser_utils.app.predict import predict_files
    >>> results, errors = predict_files(["no_such_file.wav"])
    >>> results, errors
    ([], ['no_such_file.wav: no such file'])
    """
    threshold = uncertainty_threshold()  # read before any file: a damaged default.json says so
    default = load_model(checkpoint, same_speaker, cfg)
    if same_speaker:
        results, errors = default.deep.predict_speaker(paths, default.classical, default.weight)
    else:
        results, errors = [], []
        for path in paths:
            try:
                results.append(default.single.predict_file(path))
            except audio_input.AudioError as err:
                errors.append(str(err))
    return mark_uncertain(results, threshold), errors


def mark_uncertain(results: list[dict], threshold: float | None) -> list[dict]:
    """Each result (or timeline row) with ``uncertain``: its top probability is below
    ``threshold`` (None where there is no threshold, or no prediction: a silent window).

    Parameters
    ----------
    results : list of dict
        Each with "probabilities" (emotion → probability, or None).
    threshold : float or None
        ``uncertainty_threshold()``'s, or None.

    Returns
    -------
    list of dict
        ``results`` itself, each dict given "uncertain" in place.

    Examples
    --------
    >>> rows = [{"probabilities": {"calm": 0.4, "sad": 0.6}}, {"probabilities": None}]
    >>> [row["uncertain"] for row in mark_uncertain(rows, threshold=0.7)]
    [True, None]
    >>> [row["uncertain"] for row in mark_uncertain(rows, threshold=None)]
    [None, None]
    """
    for result in results:
        p = result.get("probabilities")
        result["uncertain"] = None if threshold is None or p is None else \
            max(p.values()) < threshold
    return results
