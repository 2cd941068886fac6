"""A saved model's probabilities for audio: what ``predict`` (``app.predict``) and the studies use.

Any file soundfile reads, at any sample rate (≥ 8 kHz), mono or stereo, goes through exactly the
training path: mix to mono → BC filter (defined at 48 kHz, whatever the input rate) → 16 kHz →
features → the training side's normalisation → model → probabilities for the 8 emotions.

The default model is what ``bcser_utils/models/default.json`` names: the deep model notebook
09's study chose (several files: an ``Ensemble``, whose probabilities are averaged), and, for
``--same-speaker``, its late fusion with the classical baseline (eGeMAPS functionals
standardised per speaker, ``baseline.save``) at the weight the early-stopping actors chose. Each
file on its own (no ``--same-speaker``) has no speaker to standardise against, so the model
chosen for single clips predicts it (the best on the early-stopping actors among models that
need no speaker statistics). Without ``bcser_utils/models/default.json``, the P3 checkpoint of
the paper's recipe is the default.

Notebooks: 07_evaluation (the upload cell), 09_towards_unseen_speakers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import torch

from bcser_utils import config
from bcser_utils.audio import audio_input, clip, features
from bcser_utils.audio.normalize import Normalizer
from bcser_utils.learn import artifacts, classical
from bcser_utils.learn.artifacts import CheckpointError
from bcser_utils.learn.model import EmotionNet


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
        """Load a checkpoint written by ``artifacts.save_checkpoint`` (``weights_only=True``)."""
        path = Path(path or artifacts.P3_CHECKPOINT)
        state = artifacts.load_checkpoint(path)
        # checkpoints saved before ``block`` existed pooled last
        settings = {"block": "conv-bn-relu-pool"} | artifacts.tuples(state["model_config"])
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
        """One clip's features exactly as the cache stores them for training (``clip``), not
        yet normalised: (T, F)."""
        return clip.clip_tensor(audio, rate, self.signal, self.bc, self.features)

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
        """{"file", "emotion", "probabilities"}; raises audio_input.AudioError for a bad file."""
        audio, rate = read_clip(path)
        tensor = self.clip_features(audio, rate)[None]
        return self._result(path, self.single_probabilities(tensor)[0])

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
                audio, rate = read_clip(path)
            except audio_input.AudioError as err:
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


def read_clip(path) -> tuple[np.ndarray, int]:
    """A file to predict, decoded as training decodes a recording (``clip.read``): at most its
    centre ``config.Audio.predict_read_s``."""
    return clip.read(path, centre_s=config.Audio().predict_read_s)


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


@dataclass
class Classical:
    """The classical baseline saved by ``baseline.save``: eGeMAPS functionals, standardised
    with the speaker's own statistics, and the classifier rebuilt from its arrays
    (``classical.Portable``: no scikit-learn needed, the same in every version)."""
    model: classical.Portable
    normalizer: Normalizer
    features: config.Features
    bc: config.BCFilter
    signal: str
    emotions: list

    @classmethod
    def load(cls, path: str | Path) -> Classical:
        state = artifacts.load_classical(path)
        return cls(classical.Portable(state["classifier"]),
                   Normalizer.from_dict(state["normalizer"]),
                   config.Features(**artifacts.tuples(state["features"])),
                   config.BCFilter(**state["bc"]), state["signal"], list(state["emotions"]))

    def clip_features(self, audio: np.ndarray, rate: int) -> np.ndarray:
        return clip.clip_tensor(audio, rate, self.signal, self.bc, self.features)

    def speaker_probabilities(self, functionals: np.ndarray) -> np.ndarray:
        """(N, 8) probabilities for N clips (N, 1, 88) of one speaker, standardised together."""
        normalizer = Normalizer(self.normalizer.mode, self.normalizer.top_db,
                                self.normalizer.standardizer)
        if normalizer.mode == "speaker":
            normalizer.add_speaker(0, functionals)
        x = normalizer.transform(functionals, np.zeros(len(functionals), dtype=int))[:, 0, :]
        return classical.probabilities(self.model, x, len(self.emotions))


@dataclass
class DefaultModel:
    """``predict``'s default: ``deep`` fused with ``classical`` at ``weight`` for clips of one
    speaker, and ``single`` for a clip on its own (no speaker statistics)."""
    deep: Predictor
    classical: Classical | None
    weight: float
    single: Predictor


def load_default(path: str | Path | None = None, same_speaker: bool = True) -> DefaultModel:
    """The default model that ``default.json`` names (``artifacts.load_manifest``: files in its
    own folder), or the P3 checkpoint alone where there is none. ``same_speaker=False`` loads
    only what predicts a clip on its own (a faster start)."""
    path = Path(path or artifacts.DEFAULT_MODEL)
    if not path.is_file():
        p3 = Predictor.load(artifacts.P3_CHECKPOINT)
        return DefaultModel(p3, None, 1.0, p3)
    chosen = artifacts.load_manifest(path)
    deep_names = artifacts.members(chosen, "deep")
    single_names = artifacts.members(chosen, "single") or deep_names
    single = Ensemble.load_all([path.parent / n for n in single_names])
    if not same_speaker:
        return DefaultModel(single, None, 1.0, single)
    deep = single if single_names == deep_names else \
        Ensemble.load_all([path.parent / n for n in deep_names])
    classical_ = Classical.load(path.parent / chosen["classical"]) if chosen.get("classical") \
        else None
    return DefaultModel(deep, classical_, float(chosen.get("weight", 1.0)), single)


class SpeakerError(ValueError):
    """``--same-speaker`` cannot adapt: too few usable clips, or a checkpoint that was not
    trained with speaker normalisation. ``errors``: the bad files met on the way."""

    def __init__(self, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.errors = errors or []
