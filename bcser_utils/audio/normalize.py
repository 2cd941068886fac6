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
    """Natural-log power features (…, T, F) floored ``top_db`` decibels below each clip's
    maximum (over its time and bands); unchanged if ``top_db`` is None."""
    if top_db is None:
        return x
    x = np.asarray(x, dtype=np.float32)
    floor = x.max(axis=(-2, -1), keepdims=True) - np.float32(top_db / DB_PER_LN)
    return np.maximum(x, floor)


def standardize_groups(x: np.ndarray, groups) -> np.ndarray:
    """Each group's rows (e.g. a speaker's clips) standardised with that group's own mean and
    standard deviation per feature (the last axis; a sequence's frames all count). Labels are
    never used. ``x``: (N, F) or (N, T, F); ``groups``: N group ids."""
    x = np.asarray(x, dtype=np.float32)
    groups = np.asarray(groups)
    out = np.empty_like(x)
    for group in np.unique(groups):
        members = groups == group
        out[members] = Standardizer().fit(x[members]).transform(x[members])
    return out


def standardize_utterances(x: np.ndarray) -> np.ndarray:
    """Each clip (T, F) standardised over its own frames, band by band: (N, T, F) or (T, F)."""
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
        """Global statistics from training clips: an array (N, T, F) or batches of them."""
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
        """One speaker's statistics, from that speaker's clips (unlabelled)."""
        if isinstance(batches, np.ndarray):
            batches = [batches]
        self.speakers[int(speaker)] = Standardizer().fit(self._floored(batches))
        return self

    def transform(self, x: np.ndarray, speakers=None) -> np.ndarray:
        """Clips (N, T, F) or one clip (T, F) → float32, ready for the model. ``speakers``
        (one id per clip) is needed in mode "speaker" only."""
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
        """What one clip of an unknown speaker gets: this normalisation, except that a
        speaker-normalised model falls back to the training side's statistics (mode "global").
        Measured on the early-stopping actors of notebook 09's study, that fallback kept 43.8%
        of the speaker-normalised model's clips right, the clip's own statistics 27.1%: one
        clip's mean per band is mostly the clip's emotion, not its speaker."""
        if self.mode != "speaker":
            return self
        return Normalizer("global", self.top_db, self.standardizer)

    def to_dict(self) -> dict:
        """The fitted state (numbers and lists only). Speaker statistics are not kept: a
        speaker-normalised model meets new speakers, whose statistics come from their clips."""
        return {"mode": self.mode, "top_db": self.top_db, **self.standardizer.to_dict()}

    @classmethod
    def from_dict(cls, state: dict) -> Normalizer:
        return cls(state.get("mode", "global"), state.get("top_db"),
                   Standardizer.from_dict(state))
