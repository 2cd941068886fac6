"""Predict the emotion of any audio file with a saved model (by default the shipped one).

    python -m bcser_utils predict my_recording.wav [--checkpoint C] [--json]
    python -m bcser_utils predict --same-speaker a.wav b.wav c.wav d.wav …

Any file soundfile reads, at any sample rate (≥ 8 kHz), mono or stereo, goes through exactly the
training path: mix to mono → BC filter (defined at 48 kHz, whatever the input rate) → 16 kHz →
features → the training side's normalisation → model → probabilities for the 8 emotions.

The default model is what ``models/default.json`` names: the deep model notebook 09's study chose
(several files: an ``Ensemble``, whose probabilities are averaged), and, for ``--same-speaker``,
its late fusion with the classical baseline (eGeMAPS functionals standardised per speaker,
``baseline.save``) at the weight the early-stopping actors chose. Each file on its own (no
``--same-speaker``) has no speaker to standardise against, so the model chosen for single clips
predicts it (the best on the early-stopping actors among models that need no speaker
statistics). Without ``models/default.json``, the P3 checkpoint of the paper's recipe is the
default.

Notebooks: 07_evaluation (the upload cell), 09_towards_unseen_speakers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import torch

from . import bc, config, data, features
from .model import EmotionNet
from .normalize import Normalizer

P3_CHECKPOINT = config.REPO_ROOT / "models" / "bcser_p3.pt"  # the paper's recipe, P3 fold 1
DEFAULT_MODEL = config.REPO_ROOT / "models" / "default.json"  # what predict uses by default


class CheckpointError(ValueError):
    """A file that is not a bcser model checkpoint; the message names it and says why."""


def _load_state(path: Path) -> dict:
    """The checkpoint's dict, or a CheckpointError naming the file and the cause (never torch's
    advice to drop ``weights_only``: a file that needs it is not ours, and may be hostile)."""
    import pickle
    import warnings

    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: empty file (0 bytes), not a model checkpoint")
    try:
        with warnings.catch_warnings():  # torch's remarks on pickle protocols: not the user's
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # random bytes, or objects that weights_only refuses
        raise CheckpointError(f"{path}: not a bcser checkpoint (corrupt, or holding objects other "
                              "than tensors and plain values, as ours never do); refused unread"
                              ) from None
    except (EOFError, RuntimeError, ValueError, OSError) as err:
        cause = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
        raise CheckpointError(f"{path}: not a readable torch checkpoint, truncated or corrupt "
                              f"({cause})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: not a bcser model checkpoint (a {type(state).__name__})")
    if "early_stopping" in state and "n_features" not in state:
        raise CheckpointError(f"{path}: a training checkpoint, not a model: use the model.pt "
                              "beside it")
    missing = [k for k in ("model", "model_config", "n_features", "features", "signal")
               if k not in state]
    if missing:
        raise CheckpointError(f"{path}: not a bcser model checkpoint (no {', '.join(missing)})")
    return state


@dataclass
class Predictor:
    model: EmotionNet
    normalizer: Normalizer
    features: config.Features
    bc: config.BCFilter
    signal: str
    emotions: list
    card: dict

    @classmethod
    def load(cls, path: str | Path | None = None) -> Predictor:
        """Load a checkpoint written by ``pipeline.save_model`` (``weights_only=True``)."""
        path = Path(path or P3_CHECKPOINT)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such checkpoint")
        state = _load_state(path)
        # checkpoints saved before ``block`` existed pooled last
        settings = {"block": "conv-bn-relu-pool"} | _tuples(state["model_config"])
        try:
            model = EmotionNet(state["n_features"], config.Model(**settings))
            model.load_state_dict(state["model"])
        except (RuntimeError, TypeError, ValueError) as err:
            first = str(err).strip().splitlines()[0][:120]
            raise CheckpointError(f"{path}: its weights do not fit this version's model, saved "
                                  f"by another version of bcser? ({first})") from None
        if "normalizer" in state:
            scaler = Normalizer.from_dict(state["normalizer"])
        else:  # checkpoints saved before normalize existed: global statistics as tensors
            scaler = Normalizer(standardizer=features.Standardizer(
                state["standardizer"]["mean"].numpy(), state["standardizer"]["std"].numpy()))
        return cls(model.eval(), scaler, config.Features(**state["features"]),
                   config.BCFilter(**state["bc"]), state["signal"], list(state["emotions"]),
                   state.get("card", {}))

    def clip_features(self, audio: np.ndarray, rate: int) -> np.ndarray:
        """One clip's features as training computed them, not yet normalised: (T, F)."""
        return _clip_features(audio, rate, self.signal, self.bc, self.features)

    @torch.inference_mode()
    def _probabilities(self, x: np.ndarray) -> np.ndarray:
        return torch.softmax(self.model(torch.from_numpy(x)), 1).numpy()

    def probabilities(self, audio: np.ndarray, rate: int) -> dict[str, float]:
        p = self.single_probabilities(self.clip_features(audio, rate)[None])[0]
        return dict(zip(self.emotions, map(float, p), strict=True))

    @property
    def adapts(self) -> bool:
        """Whether the model adapts to a speaker's own statistics (trained per speaker)."""
        return self.normalizer.mode == "speaker"

    def single_probabilities(self, clips: np.ndarray) -> np.ndarray:
        """Clips (N, T, F) as ``clip_features`` makes them, each one a clip of an unknown
        speaker: (N, emotions)."""
        return self._probabilities(self.normalizer.single_clip().transform(clips))

    def speaker_probabilities(self, clips: np.ndarray) -> np.ndarray:
        """Clips (N, T, F) of ONE speaker, normalised with their own statistics if the model was
        trained per speaker (else as in training): (N, emotions)."""
        if not self.adapts:
            return self._probabilities(self.normalizer.transform(clips))
        speaker = Normalizer("speaker", self.normalizer.top_db, self.normalizer.standardizer)
        return self._probabilities(speaker.add_speaker(0, clips).transform(
            clips, np.zeros(len(clips), dtype=int)))

    def _result(self, path, p: np.ndarray) -> dict:
        probabilities = dict(zip(self.emotions, map(float, p), strict=True))
        return {"file": str(path), "emotion": max(probabilities, key=probabilities.get),
                "probabilities": probabilities}

    def predict_file(self, path: str | Path) -> dict:
        """{"file", "emotion", "probabilities"}; raises data.AudioError for a bad file."""
        audio, rate = _read(path)
        clip = self.clip_features(audio, rate)[None]
        return self._result(path, self.single_probabilities(clip)[0])

    def predict_speaker(self, paths, classical: Classical | None = None,
                        weight: float = 1.0) -> tuple[list[dict], list[str]]:
        """Clips of ONE speaker: the model adapts to that speaker, without labels, before it
        predicts each clip. Each clip is normalised with the statistics of all the usable clips
        together (``Normalizer.add_speaker``), as every speaker's clips were in training; this
        is transductive adaptation. Needs a speaker-normalised checkpoint and at least
        ``min_clips`` usable clips (``config.Normalize.min_speaker_clips``); a bad file gets an
        error message and the others are still used. With a ``classical`` baseline, the
        probabilities are ``weight`` × the model's + (1 − weight) × the baseline's (late
        fusion). Returns (results, errors) like ``predict_files``."""
        if not self.adapts and classical is None:
            raise SpeakerError(f"this checkpoint was trained with {self.normalizer.mode!r} "
                               "normalisation; adapting to one speaker needs a "
                               "speaker-normalised one (the default model is)")
        clips, functionals, names, errors = [], [], [], []
        for path in paths:
            try:
                audio, rate = _read(path)
            except data.AudioError as err:
                errors.append(str(err))
                continue
            clips.append(self.clip_features(audio, rate))
            if classical is not None:
                functionals.append(classical.clip_features(audio, rate))
            names.append(path)
        least = config.Normalize().min_speaker_clips
        if len(clips) < least:
            raise SpeakerError(f"{len(clips)} usable clip(s) of the speaker; adapting to a speaker "
                               f"needs at least {least} for stable statistics (or predict each "
                               "file on its own, without --same-speaker)", errors)
        # a model without speaker statistics leaves the adapting to the classical baseline
        proba = self.speaker_probabilities(np.stack(clips))
        if classical is not None:
            proba = weight * proba + (1 - weight) * classical.speaker_probabilities(
                np.stack(functionals))
        return [self._result(path, p) for path, p in zip(names, proba, strict=True)], errors


def _read(path) -> tuple[np.ndarray, int]:
    """A file to predict: at most its centre ``config.Audio.predict_read_s`` decoded."""
    return data.load_audio(path, centre_s=config.Audio().predict_read_s)


@dataclass
class Ensemble(Predictor):
    """Several models of one recipe (e.g. one per seed) that predict together: each normalises
    the clips with its own statistics and the probabilities are averaged. The first member's
    fields (features, signal, emotions, card) speak for all; every member must share them."""
    members: list[Predictor] = field(default_factory=list)

    @classmethod
    def load_all(cls, paths) -> Predictor:
        """One checkpoint is a ``Predictor``; several are their ``Ensemble``."""
        members = [Predictor.load(p) for p in paths]
        first = members[0]
        for path, other in zip(paths[1:], members[1:], strict=True):
            if (other.features, other.bc, other.signal, other.emotions) != \
                    (first.features, first.bc, first.signal, first.emotions):
                raise CheckpointError(f"{path}: its features, signal or emotions differ from "
                                      f"{paths[0]}'s; an ensemble needs the same inputs")
        if len(members) == 1:
            return first
        return cls(**{f.name: getattr(first, f.name) for f in fields(Predictor)},
                   members=members)

    @property
    def adapts(self) -> bool:
        return any(m.adapts for m in self.members)

    def single_probabilities(self, clips: np.ndarray) -> np.ndarray:
        return np.mean([m.single_probabilities(clips) for m in self.members], axis=0)

    def speaker_probabilities(self, clips: np.ndarray) -> np.ndarray:
        return np.mean([m.speaker_probabilities(clips) for m in self.members], axis=0)


def _clip_features(audio, rate, signal: str, bc_cfg: config.BCFilter,
                   f: config.Features) -> np.ndarray:
    if signal == "bc":
        audio = bc.to_bc(audio, rate, bc_cfg.alpha, bc_cfg.beta, bc_cfg.reference_rate)
    return features.extract(audio, rate, f.kind, f)


@dataclass
class Classical:
    """The classical baseline saved by ``baseline.save``: eGeMAPS functionals, standardised
    with the speaker's own statistics, and a scikit-learn classifier."""
    model: object
    normalizer: Normalizer
    features: config.Features
    bc: config.BCFilter
    signal: str
    emotions: list

    @classmethod
    def load(cls, path: str | Path) -> Classical:
        from . import baseline

        try:
            state = baseline.load(path)
        except ValueError as err:
            raise CheckpointError(str(err)) from None
        return cls(state["model"], Normalizer.from_dict(state["normalizer"]),
                   config.Features(**_tuples(state["features"])),
                   config.BCFilter(**state["bc"]), state["signal"], list(state["emotions"]))

    def clip_features(self, audio: np.ndarray, rate: int) -> np.ndarray:
        return _clip_features(audio, rate, self.signal, self.bc, self.features)

    def speaker_probabilities(self, functionals: np.ndarray) -> np.ndarray:
        """(N, 8) probabilities for N clips (N, 1, 88) of one speaker, standardised together."""
        normalizer = Normalizer(self.normalizer.mode, self.normalizer.top_db,
                                self.normalizer.standardizer)
        if normalizer.mode == "speaker":
            normalizer.add_speaker(0, functionals)
        from .baseline import probabilities

        x = normalizer.transform(functionals, np.zeros(len(functionals), dtype=int))[:, 0, :]
        return probabilities(self.model, x, len(self.emotions))


@dataclass
class DefaultModel:
    """``predict``'s default: ``deep`` fused with ``classical`` at ``weight`` for clips of one
    speaker, and ``single`` for a clip on its own (no speaker statistics)."""
    deep: Predictor
    classical: Classical | None
    weight: float
    single: Predictor


def load_default(path: str | Path | None = None, same_speaker: bool = True) -> DefaultModel:
    """The default model that ``models/default.json`` names (file names relative to it), or the
    P3 checkpoint alone where there is none. ``same_speaker=False`` loads only what predicts a
    clip on its own (a faster start)."""
    path = Path(path or DEFAULT_MODEL)
    if not path.is_file():
        p3 = Predictor.load(P3_CHECKPOINT)
        return DefaultModel(p3, None, 1.0, p3)
    chosen = json.loads(path.read_text())

    def names(key):  # one file name, or a list of them: an ensemble
        found = chosen.get(key)
        return [found] if isinstance(found, str) else list(found or [])

    deep_names, single_names = names("deep"), names("single") or names("deep")
    single = Ensemble.load_all([path.parent / n for n in single_names])
    if not same_speaker:
        return DefaultModel(single, None, 1.0, single)
    deep = single if single_names == deep_names else \
        Ensemble.load_all([path.parent / n for n in deep_names])
    classical = Classical.load(path.parent / chosen["classical"]) if chosen.get("classical") \
        else None
    return DefaultModel(deep, classical, float(chosen["weight"]), single)


def _tuples(d: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}


class SpeakerError(ValueError):
    """``--same-speaker`` cannot adapt: too few usable clips, or a checkpoint that was not
    trained with speaker normalisation. ``errors``: the bad files met on the way."""

    def __init__(self, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.errors = errors or []


def predict_files(paths, checkpoint=None,
                  same_speaker: bool = False) -> tuple[list[dict], list[str]]:
    """Predict every file; a bad file gets an error message and the rest are still predicted.
    ``same_speaker``: the files are clips of one speaker, adapted to first
    (``Predictor.predict_speaker``; with the default model, fused with the classical baseline).
    ``checkpoint``: a model.pt instead of the default model."""
    if checkpoint is None:
        default = load_default(same_speaker=same_speaker)
    else:
        predictor = Predictor.load(checkpoint)
        default = DefaultModel(predictor, None, 1.0, predictor)
    if same_speaker:
        return default.deep.predict_speaker(paths, default.classical, default.weight)
    predictor = default.single
    results, errors = [], []
    for path in paths:
        try:
            results.append(predictor.predict_file(path))
        except data.AudioError as err:
            errors.append(str(err))
    return results, errors
