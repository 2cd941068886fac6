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

Every class probability the package computes from a model goes through one interface,
``ClassProbabilities``: ``probabilities`` (clips normalised as in training),
``single_probabilities`` (each clip alone) and ``speaker_probabilities`` (one speaker's clips,
adapted to first), each run ``BATCH`` clips at a time by ``class_probabilities`` (normalise →
model → softmax). ``Predictor``,
``Ensemble`` (which holds its members), ``Classical`` and a training run (``pipeline.Trained``)
implement it; evaluation, the studies, ``predict`` and the timeline call it.

Notebooks: 07_evaluation (the upload cell), 09_towards_unseen_speakers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import torch

from bcser_utils import config
from bcser_utils.audio import clip, features, speech
from bcser_utils.audio.audio_input import AudioError
from bcser_utils.audio.normalize import Normalizer
from bcser_utils.learn import artifacts, classical
from bcser_utils.learn.artifacts import CheckpointError
from bcser_utils.learn.model import EmotionNet

# clips per forward pass: bounds the activations held at once (about 0.8 MB a clip, measured
# with an hour of --timeline windows) while the model still runs batched
BATCH = 64


@runtime_checkable
class ClassProbabilities(Protocol):
    """Anything that gives class probabilities for clips' feature tensors (N, T, F) as the cache
    stores them (not yet normalised): a ``Predictor``, an ``Ensemble`` of them, a training
    run's ``pipeline.Trained``, and (on its own features) the classical baseline ``Classical``.
    Each method returns (N, emotions) and runs the model ``BATCH`` clips at a time, so
    ``clips`` may be a lazy sequence (``CacheRows``) or a list of (T, F) arrays."""

    def probabilities(self, clips, speakers=None) -> np.ndarray:
        """Clips normalised as in training; ``speakers`` (one id per clip) where the
        normalisation is per speaker and those speakers' statistics are known.

        Parameters
        ----------
        clips : array (N, T, F), CacheRows or list of (T, F) arrays
            Features as the cache stores them.
        speakers : array-like of int, optional
            One speaker id (actor number) per clip; needed by a speaker-normalised model.

        Returns
        -------
        np.ndarray
            (N, emotions), each row summing to 1.
        """

    def single_probabilities(self, clips) -> np.ndarray:
        """Each clip on its own, of a speaker nobody knows.

        Parameters
        ----------
        clips : array (N, T, F), CacheRows or list of (T, F) arrays

        Returns
        -------
        np.ndarray
            (N, emotions).
        """

    def speaker_probabilities(self, clips) -> np.ndarray:
        """Clips of ONE unknown speaker: a speaker-normalised model first takes that speaker's
        statistics from these clips (unlabelled), then predicts each.

        Parameters
        ----------
        clips : array (N, T, F), CacheRows or list of (T, F) arrays
            All of them the same speaker's.

        Returns
        -------
        np.ndarray
            (N, emotions).
        """


def batches(clips, size: int | None = None) -> Iterator[np.ndarray]:
    """``clips`` (an array, a lazy sequence such as ``CacheRows``, or a list of (T, F) arrays)
    ``size`` (default ``BATCH``) at a time, each batch an array (n, T, F).

    Parameters
    ----------
    clips : array (N, T, F), CacheRows or list of (T, F) arrays
        Anything with ``len`` and slicing.
    size : int, optional
        Clips per batch; default ``BATCH``.

    Yields
    ------
    np.ndarray
        (n, T, F), n ≤ ``size`` (the last batch may be smaller), in order.
    """
    size = size or BATCH
    for i in range(0, len(clips), size):
        part = clips[i:i + size]
        yield np.stack(part) if isinstance(part, list) else np.asarray(part)


@torch.inference_mode()
def class_probabilities(model: EmotionNet, normalizer: Normalizer, clips,
                        speakers=None) -> np.ndarray:
    """THE path from feature tensors to class probabilities: normalise, run the model, softmax,
    ``BATCH`` clips at a time on the model's device. ``clips``: see ``batches``; ``speakers``:
    one id per clip, needed by a "speaker" ``normalizer``.

    Parameters
    ----------
    model : EmotionNet
        Put in eval mode; its device is where each batch runs.
    normalizer : Normalizer
        The normalisation the model was trained with (or ``single_clip()``'s, or one speaker's).
    clips : array (N, T, F), CacheRows or list of (T, F) arrays
        Features as the cache stores them, not yet normalised.
    speakers : array-like of int, optional
        One speaker id per clip, for a "speaker" ``normalizer``.

    Returns
    -------
    np.ndarray
        (N, emotions) float32 softmax probabilities; (0, emotions) for no clips.

    Raises
    ------
    ValueError, KeyError
        A "speaker" ``normalizer`` without ``speakers``, or with a speaker it has no
        statistics for (``Normalizer.transform``).
    """
    model.eval()
    device = next(model.parameters()).device
    out, done = [], 0
    for x in batches(clips):
        who = None if speakers is None else np.asarray(speakers)[done:done + len(x)]
        x = torch.from_numpy(normalizer.transform(x, who)).to(device)
        out.append(torch.softmax(model(x), 1).cpu().numpy())
        done += len(out[-1])
    return np.concatenate(out) if out else np.zeros((0, model.classify[-1].out_features),
                                                     dtype=np.float32)


class CacheRows(Sequence):
    """``cache.features[rows]`` read slice by slice, so a large evaluation never loads at once.

    Parameters
    ----------
    array : np.ndarray
        The cache's features (N, T, F), typically memory-mapped.
    rows : array-like of int
        The rows to show, in order; ``CacheRows(array, rows)[i:j]`` is ``array[rows[i:j]]``.
    """

    def __init__(self, array, rows):
        self.array, self.rows = array, np.asarray(rows, dtype=int)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, part):
        return self.array[self.rows[part]]


class NetworkProbabilities:
    """``ClassProbabilities`` for a network (``self.model``) and the ``self.normalizer`` it was
    trained with."""

    model: EmotionNet
    normalizer: Normalizer

    @property
    def adapts(self) -> bool:
        """Whether the model adapts to a speaker's own statistics (trained per speaker)."""
        return self.normalizer.mode == "speaker"

    def probabilities(self, clips, speakers=None) -> np.ndarray:
        """Clips normalised as in training (``ClassProbabilities.probabilities``).

        Parameters
        ----------
        clips : array (N, T, F), CacheRows or list of (T, F) arrays
        speakers : array-like of int, optional
            One speaker id per clip; needed where ``adapts``.

        Returns
        -------
        np.ndarray
            (N, emotions).
        """
        return class_probabilities(self.model, self.normalizer, clips, speakers)

    def single_probabilities(self, clips) -> np.ndarray:
        """Each clip on its own: a speaker-normalised model falls back to the training side's
        statistics (``Normalizer.single_clip``).

        Parameters
        ----------
        clips : array (N, T, F), CacheRows or list of (T, F) arrays

        Returns
        -------
        np.ndarray
            (N, emotions).
        """
        return class_probabilities(self.model, self.normalizer.single_clip(), clips)

    def speaker_probabilities(self, clips) -> np.ndarray:
        """Clips of ONE speaker: a model that ``adapts`` first learns the speaker's statistics
        from all of them (unlabelled), then predicts each; another predicts them as in training.

        Parameters
        ----------
        clips : array (N, T, F), CacheRows or list of (T, F) arrays
            All of them the same speaker's.

        Returns
        -------
        np.ndarray
            (N, emotions).
        """
        if not self.adapts:
            return self.probabilities(clips)
        speaker = Normalizer("speaker", self.normalizer.top_db, self.normalizer.standardizer)
        speaker.add_speaker(0, batches(clips))  # streamed: an hour's windows fit in memory
        return class_probabilities(self.model, speaker, clips, np.zeros(len(clips), dtype=int))


class _FilePredictions:
    """What a model of clips (``ClassProbabilities`` with ``clip_features``) does with files."""

    emotions: list
    cfg: config.Config | None

    def _result(self, path, p: np.ndarray) -> dict:
        probabilities = dict(zip(self.emotions, map(float, p), strict=True))
        return {"file": str(path), "emotion": max(probabilities, key=probabilities.get),
                "probabilities": probabilities, "speech": True, "reason": "speech"}

    def read_clip(self, path) -> tuple[np.ndarray, int]:
        """``read_clip`` with this model's settings (``config.Audio.predict_read_s``).

        Parameters
        ----------
        path : str or Path
            An audio file.

        Returns
        -------
        audio : np.ndarray
            1-D float32 samples, mono.
        rate : int
            48,000 Hz (``cfg.augment.sample_rate``).

        Raises
        ------
        AudioError
            A file that cannot be used, naming it and the cause.
        """
        return read_clip(path, self.cfg)

    def predict_file(self, path: str | Path) -> dict:
        """One file on its own (``single_probabilities``), if it holds speech.

        A clip without speech (``speech.speech_check``: noise, a tone, music, silence) gets no
        emotion: the model has only ever heard speech and would name one for any sound.

        Parameters
        ----------
        path : str or Path
            An audio file, any format soundfile reads.

        Returns
        -------
        dict
            "file" (the path as given), "emotion" (the most probable; None without speech),
            "probabilities" (emotion → probability, the model's emotions in order; None without
            speech), "speech" (bool) and "reason" ("speech", or "no speech: …" saying what
            was heard instead).

        Raises
        ------
        AudioError
            A file that cannot be used, naming it and the cause.
        """
        audio, rate = self.read_clip(path)
        check = speech.speech_check(audio, rate)
        if not check.has_speech:
            return no_speech(path, check.reason)
        return self._result(path, self.single_probabilities(
            self.clip_features(audio, rate)[None])[0])

    def predict_speaker(self, paths, classical: Classical | None = None,
                        weight: float = 1.0) -> tuple[list[dict], list[str]]:
        """Clips of ONE speaker: the model adapts to that speaker, without labels, before it
        predicts each clip. Each clip is normalised with the statistics of all the usable clips
        together (``Normalizer.add_speaker``), as every speaker's clips were in training; this
        is transductive adaptation. Needs a speaker-normalised checkpoint (or a ``classical``
        baseline) and at least ``config.Normalize.min_speaker_clips`` usable clips; a bad file
        gets an error message and the others are still used. With a ``classical`` baseline,
        the probabilities are fused (``speaker_probabilities``).

        Parameters
        ----------
        paths : list of str or Path
            Audio files of one speaker.
        classical : Classical, optional
            The classical baseline to fuse with.
        weight : float
            The deep model's share of the fused probabilities (0 to 1).

        Returns
        -------
        results : list of dict
            One per usable file, as ``predict_file`` gives them (``predict_files`` adds
            "uncertain").
        errors : list of str
            One line per unusable file, naming it and the cause.

        Raises
        ------
        SpeakerError
            A checkpoint that does not adapt (and no ``classical``), or fewer than
            ``min_speaker_clips`` different usable recordings.
        """
        if not self.adapts and classical is None:
            raise SpeakerError(f"this checkpoint was trained with {self.normalizer.mode!r} "
                               "normalisation; adapting to one speaker needs a "
                               "speaker-normalised one (the default model is)")
        clips, functionals, names, errors, recordings = [], [], [], [], set()
        silent = {}  # clips without speech: answered as such, kept out of the statistics
        for path in paths:
            try:
                audio, rate = self.read_clip(path)
            except AudioError as err:
                errors.append(str(err))
                continue
            check = speech.speech_check(audio, rate)
            if not check.has_speech:
                silent[str(path)] = no_speech(path, check.reason)
                continue
            # the same recording twice (or a copy under another name) is one recording
            recordings.add(hashlib.blake2b(audio.tobytes(), digest_size=16).digest())
            clips.append(self.clip_features(audio, rate))
            if classical is not None:
                functionals.append(classical.clip_features(audio, rate))
            names.append(path)
        least = (self.cfg or config.get_config()).normalize.min_speaker_clips
        if len(recordings) < least:
            repeated = (f" ({len(clips)} files, but only {len(recordings)} different "
                        "recording(s))" if len(recordings) < len(clips) else "")
            raise SpeakerError(f"{len(recordings)} usable clip(s) of the speaker{repeated}; "
                               f"adapting to a speaker needs at least {least} different ones "
                               "for stable statistics (or predict each file on its own, "
                               "without --same-speaker)", errors)
        proba = speaker_probabilities(self, clips, classical, functionals, weight)
        adapted = {str(path): self._result(path, p) for path, p in zip(names, proba, strict=True)}
        return [adapted.get(str(path)) or silent[str(path)] for path in paths
                if str(path) in adapted or str(path) in silent], errors


def no_speech(path, reason: str) -> dict:
    """The result for a clip without speech: no emotion and no probabilities, and why.

    Parameters
    ----------
    path : str or Path
        The file.
    reason : str
        ``speech.SpeechCheck.reason``, e.g. "no speech: a steady tone".

    Returns
    -------
    dict
        The keys of ``predict_file``'s result, "emotion" and "probabilities" None.
    """
    return {"file": str(path), "emotion": None, "probabilities": None, "speech": False,
            "reason": reason}


def speaker_probabilities(deep: ClassProbabilities, clips, classical: Classical | None = None,
                          functionals=None, weight: float = 1.0) -> np.ndarray:
    """Clips of one speaker: the deep model adapted to them and, with a ``classical`` baseline
    (on the same clips' ``functionals``), their late fusion ``weight`` × deep + (1 − weight) ×
    classical, the weight the early-stopping actors chose. A model without speaker statistics
    leaves the adapting to the classical baseline.

    Parameters
    ----------
    deep : ClassProbabilities
        A ``Predictor`` or an ``Ensemble``.
    clips : array (N, T, F) or list of (T, F) arrays
        The deep model's features of the speaker's clips.
    classical : Classical, optional
        The baseline to fuse with; None: the deep model alone.
    functionals : list of (1, 88) arrays, optional
        The same clips' eGeMAPS functionals (``Classical.clip_features``), with ``classical``.
    weight : float
        The deep model's share, 0 to 1.

    Returns
    -------
    np.ndarray
        (N, emotions).
    """
    proba = deep.speaker_probabilities(clips)
    if classical is None:
        return proba
    return weight * proba + (1 - weight) * classical.speaker_probabilities(np.stack(functionals))


@dataclass
class Predictor(NetworkProbabilities, _FilePredictions):
    """A saved model, ready to predict audio: the network, the normalisation it was trained
    with, the feature and BC settings and signal its clips were made with, its emotions (the
    classes in order) and its card. ``cfg``: the settings ``predict`` runs with (how much of a
    long file is read, how many clips ``--same-speaker`` needs); None: ``config.get_config()``.

    Examples
    --------
    >>> from bcser_utils.learn.inference import Predictor
    >>> model = Predictor.load()  # the P3 model of the paper's recipe, shipped with the package
    >>> model.signal, len(model.emotions)
    ('bc', 8)
    """

    model: EmotionNet
    normalizer: Normalizer
    features: config.Features
    bc: config.BCFilter
    signal: str
    emotions: list
    card: dict
    cfg: config.Config | None = None

    @classmethod
    def load(cls, path: str | Path | None = None, cfg: config.Config | None = None) -> Predictor:
        """Load a checkpoint written by ``artifacts.save_checkpoint`` (``weights_only=True``).

        Parameters
        ----------
        path : str or Path, optional
            A model.pt; default: the shipped P3 checkpoint (``artifacts.P3_CHECKPOINT``).
        cfg : config.Config, optional
            The settings ``predict`` runs with; default ``config.get_config()``.

        Returns
        -------
        Predictor

        Raises
        ------
        CheckpointError
            The file is not a checkpoint of this version's model.
        """
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
        broken = [name for name, w in model.state_dict().items()
                  if w.is_floating_point() and not torch.isfinite(w).all()]
        if broken:  # a diverged or damaged model would call every clip one emotion, with NaNs
            raise CheckpointError(f"{path}: {len(broken)} weight tensor(s) hold NaN or inf "
                                  f"(the first: {broken[0]}); not a usable model")
        if "normalizer" in state:
            scaler = Normalizer.from_dict(state["normalizer"])
        else:  # checkpoints saved before normalize existed: global statistics as tensors
            scaler = Normalizer(standardizer=features.Standardizer(
                state["standardizer"]["mean"].numpy(), state["standardizer"]["std"].numpy()))
        return cls(model.eval(), scaler, config.Features(**state["features"]),
                   config.BCFilter(**state["bc"]), state["signal"], list(state["emotions"]),
                   state.get("card", {}), cfg)

    def clip_features(self, audio: np.ndarray, rate: int) -> np.ndarray:
        """One clip's features exactly as the cache stores them for training (``clip``), not
        yet normalised: (T, F).

        Parameters
        ----------
        audio : np.ndarray
            1-D samples, as ``read_clip`` returns them.
        rate : int
            Their sample rate in Hz.

        Returns
        -------
        np.ndarray
            (T, F).
        """
        return clip.clip_tensor(audio, rate, self.signal, self.bc, self.features)


def read_clip(path, cfg: config.Config | None = None) -> tuple[np.ndarray, int]:
    """A file to predict, decoded as training decodes a recording (``clip.read``): at most its
    centre ``cfg.audio.predict_read_s`` seconds.

    Parameters
    ----------
    path : str or Path
        An audio file, any format soundfile reads.
    cfg : config.Config, optional
        Default ``config.get_config()``.

    Returns
    -------
    audio : np.ndarray
        1-D float32 samples, mono.
    rate : int
        48,000 Hz (``cfg.augment.sample_rate``).

    Raises
    ------
    AudioError
        A file that cannot be used, naming it and the cause.
    """
    cfg = cfg or config.get_config()
    return clip.read(path, cfg, centre_s=cfg.audio.predict_read_s)


@dataclass
class Ensemble(_FilePredictions):
    """Several models of one recipe (e.g. one per seed) that predict together: each normalises
    the clips with its own statistics and the probabilities are averaged. Every member shares
    its inputs (features, BC filter, signal, emotions); the first member's card speaks for all.
    """

    members: list[Predictor]

    @classmethod
    def load_all(cls, paths, cfg: config.Config | None = None) -> Predictor | Ensemble:
        """One checkpoint is a ``Predictor``; several are their ``Ensemble``.

        Parameters
        ----------
        paths : list of str or Path
            model.pt files, at least one.
        cfg : config.Config, optional
            The settings ``predict`` runs with; default ``config.get_config()``.

        Returns
        -------
        Predictor or Ensemble

        Raises
        ------
        CheckpointError
            A file is not a usable checkpoint, or its features, signal or emotions differ from
            the first's.
        """
        members = [Predictor.load(p, cfg) for p in paths]
        first = members[0]
        for path, other in zip(paths[1:], members[1:], strict=True):
            if (other.features, other.bc, other.signal, other.emotions) != \
                    (first.features, first.bc, first.signal, first.emotions):
                raise CheckpointError(f"{path}: its features, signal or emotions differ from "
                                      f"{paths[0]}'s; an ensemble needs the same inputs")
        return first if len(members) == 1 else cls(members)

    # the inputs every member shares (``load_all`` checks it), read from the first member
    features = property(lambda self: self.members[0].features, doc="The members' features.")
    bc = property(lambda self: self.members[0].bc, doc="The members' BC filter.")
    signal = property(lambda self: self.members[0].signal, doc="The members' signal.")
    emotions = property(lambda self: self.members[0].emotions, doc="The members' classes.")
    card = property(lambda self: self.members[0].card, doc="The first member's card.")
    cfg = property(lambda self: self.members[0].cfg, doc="The settings predict runs with.")

    @property
    def adapts(self) -> bool:
        """Whether any member adapts to a speaker's own statistics."""
        return any(m.adapts for m in self.members)

    @property
    def normalizer(self) -> Normalizer:
        """The first adapting member's normalisation (what ``predict_speaker`` reports)."""
        return next((m.normalizer for m in self.members if m.adapts), self.members[0].normalizer)

    def clip_features(self, audio: np.ndarray, rate: int) -> np.ndarray:
        """(T, F), as every member makes them.

        Parameters
        ----------
        audio : np.ndarray
            1-D samples, as ``read_clip`` returns them.
        rate : int
            Their sample rate in Hz.

        Returns
        -------
        np.ndarray
            (T, F).
        """
        return self.members[0].clip_features(audio, rate)

    def probabilities(self, clips, speakers=None) -> np.ndarray:
        """The members' ``probabilities``, averaged.

        Parameters
        ----------
        clips : array (N, T, F), CacheRows or list of (T, F) arrays
        speakers : array-like of int, optional
            One speaker id per clip, for the members that adapt.

        Returns
        -------
        np.ndarray
            (N, emotions).
        """
        return np.mean([m.probabilities(clips, speakers) for m in self.members], axis=0)

    def single_probabilities(self, clips) -> np.ndarray:
        """The members' ``single_probabilities``, averaged.

        Parameters
        ----------
        clips : array (N, T, F), CacheRows or list of (T, F) arrays

        Returns
        -------
        np.ndarray
            (N, emotions).
        """
        return np.mean([m.single_probabilities(clips) for m in self.members], axis=0)

    def speaker_probabilities(self, clips) -> np.ndarray:
        """The members' ``speaker_probabilities`` (each adapted on its own), averaged.

        Parameters
        ----------
        clips : array (N, T, F), CacheRows or list of (T, F) arrays
            All of them one speaker's.

        Returns
        -------
        np.ndarray
            (N, emotions).
        """
        return np.mean([m.speaker_probabilities(clips) for m in self.members], axis=0)


@dataclass
class Classical:
    """The classical baseline saved by ``baseline.save``: eGeMAPS functionals, standardised
    with the speaker's own statistics, and the classifier rebuilt from its arrays
    (``classical.Portable``: no scikit-learn needed, the same in every version). A
    ``ClassProbabilities`` whose clips are its functionals (N, 1, 88), as ``clip_features``
    makes them."""

    model: classical.Portable
    normalizer: Normalizer
    features: config.Features
    bc: config.BCFilter
    signal: str
    emotions: list

    @classmethod
    def load(cls, path: str | Path) -> Classical:
        """The baseline saved at ``path`` (``artifacts.load_classical`` checks it).

        Parameters
        ----------
        path : str or Path

        Returns
        -------
        Classical
        """
        state = artifacts.load_classical(path)
        return cls(classical.Portable(state["classifier"]),
                   Normalizer.from_dict(state["normalizer"]),
                   config.Features(**artifacts.tuples(state["features"])),
                   config.BCFilter(**state["bc"]), state["signal"], list(state["emotions"]))

    @property
    def adapts(self) -> bool:
        """Whether the baseline standardises each speaker with the speaker's own statistics."""
        return self.normalizer.mode == "speaker"

    def clip_features(self, audio: np.ndarray, rate: int) -> np.ndarray:
        """One clip's eGeMAPS functionals (1, 88), not yet standardised.

        Parameters
        ----------
        audio : np.ndarray
            1-D samples, as ``read_clip`` returns them.
        rate : int
            Their sample rate in Hz.

        Returns
        -------
        np.ndarray
            (1, 88).
        """
        return clip.clip_tensor(audio, rate, self.signal, self.bc, self.features)

    def probabilities(self, functionals, speakers=None, normalizer=None) -> np.ndarray:
        """Functionals standardised as in training, then the classifier.

        Parameters
        ----------
        functionals : array (N, 1, 88)
            As ``clip_features`` makes them, not yet standardised.
        speakers : array-like of int, optional
            One speaker id per clip; needed where ``adapts``.
        normalizer : Normalizer, optional
            Another standardisation than the saved one (a single clip's, one speaker's).

        Returns
        -------
        np.ndarray
            (N, emotions).
        """
        x = (normalizer or self.normalizer).transform(np.asarray(functionals), speakers)[:, 0, :]
        return classical.probabilities(self.model, x, len(self.emotions))

    def single_probabilities(self, functionals) -> np.ndarray:
        """Each clip on its own (the training side's statistics, ``Normalizer.single_clip``).

        Parameters
        ----------
        functionals : array (N, 1, 88)

        Returns
        -------
        np.ndarray
            (N, emotions).
        """
        return self.probabilities(functionals, normalizer=self.normalizer.single_clip())

    def speaker_probabilities(self, functionals) -> np.ndarray:
        """(N, emotions) for N clips (N, 1, 88) of one speaker, standardised together.

        Parameters
        ----------
        functionals : array (N, 1, 88)
            One speaker's clips, as ``clip_features`` makes them.

        Returns
        -------
        np.ndarray
            (N, emotions).
        """
        if not self.adapts:
            return self.probabilities(functionals)
        speaker = Normalizer("speaker", self.normalizer.top_db, self.normalizer.standardizer)
        speaker.add_speaker(0, np.asarray(functionals))
        return self.probabilities(functionals, np.zeros(len(functionals), dtype=int), speaker)


@dataclass
class DefaultModel:
    """``predict``'s default: ``deep`` fused with ``classical`` at ``weight`` for clips of one
    speaker, and ``single`` for a clip on its own (no speaker statistics).

    Parameters
    ----------
    deep : Predictor or Ensemble
        What predicts a speaker's clips (``--same-speaker``).
    classical : Classical or None
        The baseline fused with ``deep``; None: ``deep`` alone.
    weight : float
        ``deep``'s share of the fused probabilities, 0 to 1.
    single : Predictor or Ensemble
        What predicts a clip on its own.
    """

    deep: Predictor | Ensemble
    classical: Classical | None
    weight: float
    single: Predictor | Ensemble


def load_default(path: str | Path | None = None, same_speaker: bool = True,
                 cfg: config.Config | None = None) -> DefaultModel:
    """The default model that ``default.json`` names (``artifacts.load_manifest``: files in its
    own folder), or the P3 checkpoint alone where there is none.

    Parameters
    ----------
    path : str or Path, optional
        A default.json; default ``artifacts.DEFAULT_MODEL``.
    same_speaker : bool
        False loads only what predicts a clip on its own (a faster start).
    cfg : config.Config, optional
        The settings ``predict`` runs with; default ``config.get_config()``.

    Returns
    -------
    DefaultModel
    """
    path = Path(path or artifacts.DEFAULT_MODEL)
    if not path.is_file():
        p3 = Predictor.load(artifacts.P3_CHECKPOINT, cfg)
        return DefaultModel(p3, None, 1.0, p3)
    chosen = artifacts.load_manifest(path)
    deep_names = artifacts.members(chosen, "deep")
    single_names = artifacts.members(chosen, "single") or deep_names
    single = Ensemble.load_all([path.parent / n for n in single_names], cfg)
    if not same_speaker:
        return DefaultModel(single, None, 1.0, single)
    deep = single if single_names == deep_names else \
        Ensemble.load_all([path.parent / n for n in deep_names], cfg)
    classical_ = Classical.load(path.parent / chosen["classical"]) if chosen.get("classical") \
        else None
    return DefaultModel(deep, classical_, float(chosen.get("weight", 1.0)), single)


class SpeakerError(ValueError):
    """``--same-speaker`` cannot adapt: too few usable clips, or a checkpoint that was not
    trained with speaker normalisation. ``errors``: the bad files met on the way.

    Parameters
    ----------
    message : str
        The one line said to the user.
    errors : list of str, optional
        One line per unusable file met before giving up.
    """

    def __init__(self, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.errors = errors or []
