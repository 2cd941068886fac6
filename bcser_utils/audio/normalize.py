"""What a clip's features go through between the cache and the model: a log floor, then
standardisation of every band, by one of three sets of statistics.

**The log floor.** The cache stores ``ln(mel power + 1e-10)``. Digital silence (the zero padding
of ``features.fix_length``, and the gaps that time masks and shifts leave) sits at ln(1e-10) ≈
−23, far below any real recording's noise floor, so a model can tell a padded or augmented clip
by it. ``floor_db(x, top_db)`` lifts every value to at least ``top_db`` below the clip's
loudest, as ``librosa.power_to_db(top_db=…)`` does: padding then looks like quiet room noise,
and a gain on the whole clip shifts every value alike (floor included).

**Standardisation**, one mean and standard deviation per band (``mode``):

- ``"global"``: from the training clips, the paper-recipe default (``features.Standardizer``).
- ``"speaker"``: from each speaker's own clips, without labels. A constant gain, microphone or
  vocal tract that colours all of a speaker's clips alike is removed. For speakers outside
  training (validation, test, a user of ``predict --same-speaker``) this is *transductive
  adaptation*: their statistics come from their unlabelled test clips.
- ``"utterance"``: from the clip's own frames, so a single clip needs nobody else's.
- ``"scalar"``: one mean and one standard deviation for all bands together, from the training
  clips: the spectrum's shape (its tilt, a filter's per-band offset) survives. Notebook 09 uses
  it to ask how much of the BC filter per-band standardisation removes.

The same functions serve the 88 eGeMAPS functionals of the classical baseline
(``baseline``), where a "band" is one functional and a clip is one row.

Notebook: 09_towards_unseen_speakers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bcser_utils.audio.features import Standardizer

MODES = ("global", "speaker", "utterance", "scalar")
DB_PER_LN = 10 / np.log(10)  # 10·log10(p) = DB_PER_LN · ln(p)
_EPS = np.float32(1e-5)  # added to every standard deviation, as features.Standardizer does


def floor_db(x: np.ndarray, top_db: float | None) -> np.ndarray:
    """Natural-log power features floored ``top_db`` decibels below each clip's maximum.

    Parameters
    ----------
    x : numpy.ndarray
        (…, T, F) ln-power features; the maximum is taken over each clip's T and F.
    top_db : float or None
        The floor, in dB below the maximum; None leaves ``x`` unchanged.

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``x`` (``x`` itself when ``top_db`` is None).
    """
    if top_db is None:
        return x
    x = np.asarray(x, dtype=np.float32)
    floor = x.max(axis=(-2, -1), keepdims=True) - np.float32(top_db / DB_PER_LN)
    return np.maximum(x, floor)


def standardize_groups(x: np.ndarray, groups) -> np.ndarray:
    """Each group's rows (e.g. a speaker's clips) standardised with that group's own statistics.

    One mean and standard deviation per feature (the last axis; a sequence's frames all count).
    Labels are never used.

    Parameters
    ----------
    x : numpy.ndarray
        (N, F) or (N, T, F).
    groups : array-like
        N group ids.

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``x``.
    """
    x = np.asarray(x, dtype=np.float32)
    groups = np.asarray(groups)
    out = np.empty_like(x)
    for group in np.unique(groups):
        members = groups == group
        out[members] = Standardizer().fit(x[members]).transform(x[members])
    return out


def standardize_utterances(x: np.ndarray) -> np.ndarray:
    """Each clip standardised over its own frames, band by band.

    Parameters
    ----------
    x : numpy.ndarray
        (N, T, F) clips or one clip (T, F).

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``x``.
    """
    x = np.asarray(x, dtype=np.float32)
    mean = x.mean(axis=-2, keepdims=True)
    std = x.std(axis=-2, keepdims=True) + _EPS
    return (x - mean) / std


@dataclass
class Normalizer:
    """The floor and the standardisation a model was trained with, fitted, ready to apply.

    ``fit`` learns the global statistics from training clips; ``add_speaker`` learns one
    speaker's from that speaker's clips (mode "speaker"); ``transform(x, speakers)`` applies
    them. Saved in a checkpoint with ``to_dict`` and loaded with ``from_dict``.
    Notebook: 09_towards_unseen_speakers.

    Parameters
    ----------
    mode : {"global", "speaker", "utterance", "scalar"}
        Which statistics standardise a clip (the module's docstring).
    top_db : float or None
        ``floor_db``'s floor, applied before the statistics are learnt or used.
    standardizer : features.Standardizer
        The global statistics (set by ``fit``).
    speakers : dict of int to features.Standardizer
        Each speaker's statistics (set by ``add_speaker``).

    Raises
    ------
    ValueError
        For an unknown mode.

    Examples
    --------
    >>> import numpy as np
    >>> train = np.random.default_rng(0).normal(-10.0, 4.0, (8, 201, 64))  # 8 clips (N, T, F)
    >>> norm = Normalizer("global").fit(train)
    >>> x = norm.transform(train[:2])
    >>> x.shape, x.dtype, round(float(x.std()), 2)
    ((2, 201, 64), dtype('float32'), 1.0)
    >>> np.array_equal(Normalizer.from_dict(norm.to_dict()).transform(train[:2]), x)
    True
    >>> by_speaker = Normalizer("speaker").add_speaker(7, train[:4])
    >>> by_speaker.transform(train[:4], speakers=[7, 7, 7, 7]).shape
    (4, 201, 64)
    """

    mode: str = "global"
    top_db: float | None = None
    standardizer: Standardizer = field(default_factory=Standardizer)
    speakers: dict[int, Standardizer] = field(default_factory=dict)

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"normalisation {self.mode!r}: expected one of {', '.join(MODES)}")

    def _floored(self, batches):
        for batch in batches:
            yield floor_db(np.asarray(batch, dtype=np.float32), self.top_db)

    def fit(self, batches) -> Normalizer:
        """Learn the global statistics from training clips.

        Parameters
        ----------
        batches : numpy.ndarray or iterable of numpy.ndarray
            Clips (N, T, F), or batches of them.

        Returns
        -------
        Normalizer
            ``self``. In mode "scalar" every band gets the bands' pooled mean and standard
            deviation.
        """
        if isinstance(batches, np.ndarray):
            batches = [batches]
        self.standardizer = Standardizer().fit(self._floored(batches))
        if self.mode == "scalar":  # the bands' pooled mean and std, the same for every band
            mean, std = self.standardizer.mean, self.standardizer.std - _EPS
            pooled = np.float32(mean.mean())
            spread = np.sqrt(np.mean(std.astype(np.float64) ** 2 + (mean - pooled) ** 2))
            self.standardizer = Standardizer(np.full_like(mean, pooled),
                                             np.full_like(std, spread) + _EPS)
        return self

    def add_speaker(self, speaker: int, batches) -> Normalizer:
        """Learn one speaker's statistics from that speaker's clips (unlabelled).

        Parameters
        ----------
        speaker : int
            The speaker's id (an actor number).
        batches : numpy.ndarray or iterable of numpy.ndarray
            That speaker's clips (N, T, F), or batches of them.

        Returns
        -------
        Normalizer
            ``self``.
        """
        if isinstance(batches, np.ndarray):
            batches = [batches]
        self.speakers[int(speaker)] = Standardizer().fit(self._floored(batches))
        return self

    def transform(self, x: np.ndarray, speakers=None) -> np.ndarray:
        """Floor and standardise clips, ready for the model.

        Parameters
        ----------
        x : numpy.ndarray
            Clips (N, T, F) or one clip (T, F).
        speakers : array-like, optional
            One speaker id per clip; needed in mode "speaker" only.

        Returns
        -------
        numpy.ndarray
            float32, the shape of ``x``.

        Raises
        ------
        ValueError
            In mode "speaker", without ``speakers``.
        KeyError
            In mode "speaker", for a speaker never given to ``add_speaker``.
        """
        x = floor_db(np.asarray(x, dtype=np.float32), self.top_db)
        if self.mode in ("global", "scalar"):
            return self.standardizer.transform(x)
        if self.mode == "utterance":
            return standardize_utterances(x)
        if speakers is None:
            raise ValueError("speaker normalisation needs the speaker of every clip")
        speakers = np.atleast_1d(np.asarray(speakers))
        missing = sorted(set(speakers.tolist()) - set(self.speakers))
        if missing:
            raise KeyError(f"no statistics for speaker(s) {missing}: add_speaker first")
        if x.ndim == 2:
            return self.speakers[int(speakers[0])].transform(x)
        out = np.empty_like(x)
        for speaker in np.unique(speakers):
            members = speakers == speaker
            out[members] = self.speakers[int(speaker)].transform(x[members])
        return out

    def single_clip(self) -> Normalizer:
        """What one clip of an unknown speaker gets.

        This normalisation, except that a speaker-normalised model falls back to the training
        side's statistics (mode "global"). Measured on the early-stopping actors of notebook 09's
        study, that fallback kept 43.8% of the speaker-normalised model's clips right, the clip's
        own statistics 27.1%: one clip's mean per band is mostly the clip's emotion,
        not its speaker.

        Returns
        -------
        Normalizer
            ``self``, or a new "global" one for mode "speaker".
        """
        if self.mode != "speaker":
            return self
        return Normalizer("global", self.top_db, self.standardizer)

    def to_dict(self) -> dict:
        """The fitted state, for a checkpoint.

        Speaker statistics are not kept: a speaker-normalised model meets new speakers, whose
        statistics come from their clips.

        Returns
        -------
        dict
            "mode", "top_db", "mean" and "std" (numbers and lists only).
        """
        return {"mode": self.mode, "top_db": self.top_db, **self.standardizer.to_dict()}

    @classmethod
    def from_dict(cls, state: dict) -> Normalizer:
        """A Normalizer from ``to_dict``'s output (without a mode: "global", as older checkpoints).

        Parameters
        ----------
        state : dict
            ``to_dict``'s output.

        Returns
        -------
        Normalizer
        """
        return cls(state.get("mode", "global"), state.get("top_db"),
                   Standardizer.from_dict(state))
