"""Feature tensors: one clip → a T × F float32 array (time frames × features) at 16 kHz.

The paper says only "local spectral and prosodic features", so we offer four kinds:

- ``logmel`` (default): log mel power spectrum, ``n_mels`` bands (F = 64).
- ``mfcc``: ``n_mfcc`` cepstral coefficients with their Δ and ΔΔ (F = 60).
- ``prosody``: log energy, zero-crossing rate and log F0 (YIN, a cheap pitch track) (F = 3).
- ``logmel+prosody``: both side by side (F = 67).
- ``egemaps``: the 88 eGeMAPS v02 functionals of the whole 4 s window (Eyben et al., 2016), from
  the ``opensmile`` package: one row, T = 1. The classical baseline of notebook 09.

**Fixed length.** The model takes a fixed T, so every clip is cut or padded to ``max_duration_s``
(4 s → 64,000 samples → T = 201 frames of 20 ms) *on the waveform, at 16 kHz*: a longer clip
keeps its centre (RAVDESS sentences sit in the middle, between about 1 s of silence on each side),
a shorter one is zero-padded equally on both sides. RAVDESS clips last 2.9–5.3 s, so at most
0.65 s of (mostly) silence is lost from each end of the longest clip.

**Normalisation.** ``Standardizer`` learns one mean and standard deviation per feature from the
training side only; validation and test data are transformed with those statistics, never fitted.

Notebook: 04_features.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import librosa
import numpy as np
import scipy.signal
import soxr

from bcser_utils.config import Features, get_config

KINDS = ("logmel", "mfcc", "prosody", "logmel+prosody", "egemaps")
N_EGEMAPS = 88  # eGeMAPS v02 functionals
_EPS = 1e-10


def n_samples(f: Features) -> int:
    """The fixed clip length in samples: ``max_duration_s`` at ``sample_rate`` (64,000 by default).

    Parameters
    ----------
    f : config.Features
        The feature settings.

    Returns
    -------
    int
    """
    return int(round(f.max_duration_s * f.sample_rate))


def n_frames(f: Features, kind: str | None = None) -> int:
    """T: the number of frames of every feature tensor (centred STFT frames).

    Parameters
    ----------
    f : config.Features
        The feature settings.
    kind : str, optional
        A feature kind; default ``f.kind``.

    Returns
    -------
    int
        ``1 + n_samples(f) // hop_length`` (201 by default), or 1 for the functionals of
        ``egemaps``, which summarise the whole window.
    """
    return 1 if (kind or f.kind) == "egemaps" else 1 + n_samples(f) // f.hop_length


def n_features(kind: str, f: Features) -> int:
    """F: the width of a feature tensor of this kind.

    Parameters
    ----------
    kind : str
        One of ``KINDS``.
    f : config.Features
        The feature settings.

    Returns
    -------
    int
        ``n_mels`` (64), ``3 * n_mfcc`` (60), 3, ``n_mels + 3`` (67) or 88.

    Raises
    ------
    ValueError
        For an unknown kind.
    """
    return {"logmel": f.n_mels, "mfcc": 3 * f.n_mfcc, "prosody": 3,
            "logmel+prosody": f.n_mels + 3, "egemaps": N_EGEMAPS}[_checked_kind(kind)]


def _checked_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"feature kind {kind!r} is unknown; choose one of {', '.join(KINDS)}")
    return kind


def fix_length(audio: np.ndarray, length: int) -> np.ndarray:
    """Keep the centre of a longer clip; zero-pad a shorter one equally on both sides.

    Notebook: 04_features.

    Parameters
    ----------
    audio : numpy.ndarray
        1-D audio.
    length : int
        The length wanted, in samples.

    Returns
    -------
    numpy.ndarray
        ``length`` samples (a view of ``audio`` when it is cut). The odd sample of a cut goes at
        the back, that of a pad too.

    Examples
    --------
    >>> fix_length(np.arange(5), 3), fix_length(np.arange(1, 4), 6)
    (array([1, 2, 3]), array([0, 1, 2, 3, 0, 0]))
    """
    excess = len(audio) - length
    if excess >= 0:
        return audio[excess // 2: excess // 2 + length]
    return np.pad(audio, (-excess // 2, -excess - (-excess // 2)))


class LengthPlan(NamedTuple):
    """What ``fix_length`` does to a clip: keep ``audio[start:stop]``, then add zeros."""

    start: int
    stop: int
    pad_left: int
    pad_right: int


def fix_length_plan(n: int, length: int) -> LengthPlan:
    """Where ``fix_length`` cuts or pads a clip of ``n`` samples to ``length`` samples.

    ``fix_length(audio, length)`` equals ``np.pad(audio[start:stop], (pad_left, pad_right))``.
    A longer clip loses ``start`` samples at the front and ``n − stop`` at the back (the back
    loses the odd one); a shorter one gains ``pad_left`` zeros in front and ``pad_right`` behind.

    Notebook: 04_features.

    Parameters
    ----------
    n : int
        The clip's length in samples.
    length : int
        The length wanted, in samples.

    Returns
    -------
    LengthPlan
        (start, stop, pad_left, pad_right).
    """
    excess = n - length
    if excess >= 0:
        return LengthPlan(excess // 2, excess // 2 + length, 0, 0)
    return LengthPlan(0, n, -excess // 2, -excess - (-excess // 2))


def power_spectrogram(audio: np.ndarray, f: Features) -> np.ndarray:
    """|STFT|² with librosa.stft's defaults (centred frames, zero padding, periodic Hann).

    These few lines replace ``librosa.stft`` only because importing it loads librosa's
    numba-compiled core (≈ 1.3 s), which ``predict``'s 5 s cold start cannot afford; a test checks
    that they equal librosa's result bit for bit.

    Parameters
    ----------
    audio : numpy.ndarray
        1-D audio at ``f.sample_rate``.
    f : config.Features
        ``n_fft`` and ``hop_length``.

    Returns
    -------
    numpy.ndarray
        (n_fft // 2 + 1, T) float32 power.
    """
    padded = np.pad(audio, f.n_fft // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, f.n_fft)[::f.hop_length]
    window = scipy.signal.get_window("hann", f.n_fft, fftbins=True)
    spectrum = np.fft.rfft(window * frames, axis=-1).astype(np.complex64)  # librosa's dtype
    return (np.abs(spectrum) ** 2).T


@lru_cache(maxsize=8)
def mel_basis(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """The mel filterbank, as ``librosa.filters.mel`` makes it (cached).

    Parameters
    ----------
    sample_rate : int
        In Hz.
    n_fft : int
        The STFT size.
    n_mels : int
        The number of bands.

    Returns
    -------
    numpy.ndarray
        (n_mels, n_fft // 2 + 1) weights.
    """
    return librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels)


def logmel(audio: np.ndarray, f: Features) -> np.ndarray:
    """Natural-log mel power spectrum, equal to ``librosa.feature.melspectrogram``'s log.

    Notebook: 04_features.

    Parameters
    ----------
    audio : numpy.ndarray
        1-D audio at ``f.sample_rate``.
    f : config.Features
        The STFT and mel settings.

    Returns
    -------
    numpy.ndarray
        (T, n_mels): ln(mel power + 1e-10), so digital silence is ln(1e-10) ≈ −23.
    """
    basis = mel_basis(f.sample_rate, f.n_fft, f.n_mels)
    mel = np.einsum("ft,mf->mt", power_spectrogram(audio, f), basis, optimize=True)
    return np.log(mel + _EPS).T


def mfcc(audio: np.ndarray, f: Features) -> np.ndarray:
    """MFCCs with their first and second differences (Δ, ΔΔ), from librosa.

    Parameters
    ----------
    audio : numpy.ndarray
        1-D audio at ``f.sample_rate``.
    f : config.Features
        ``n_mfcc`` and the STFT and mel settings.

    Returns
    -------
    numpy.ndarray
        (T, 3 · n_mfcc): the coefficients, then the Δs, then the ΔΔs.
    """
    coefficients = librosa.feature.mfcc(y=audio, sr=f.sample_rate, n_mfcc=f.n_mfcc,
                                        n_fft=f.n_fft, hop_length=f.hop_length, n_mels=f.n_mels)
    deltas = [librosa.feature.delta(coefficients, order=k) for k in (1, 2)]
    return np.concatenate([coefficients, *deltas]).T


def prosody(audio: np.ndarray, f: Features) -> np.ndarray:
    """Log energy (RMS, natural log), zero-crossing rate and log F0 per frame.

    F0 comes from YIN (60–500 Hz). In unvoiced frames YIN still returns a number, so the energy
    track is what tells the model whether the F0 value means anything.

    Parameters
    ----------
    audio : numpy.ndarray
        1-D audio at ``f.sample_rate``.
    f : config.Features
        ``hop_length`` (frames of twice that, 40 ms).

    Returns
    -------
    numpy.ndarray
        (T, 3): ln RMS, zero-crossing rate (0–1), ln F0 in Hz.
    """
    frame = 2 * f.hop_length  # 40 ms: long enough for a 60 Hz period twice over
    energy = librosa.feature.rms(y=audio, frame_length=frame, hop_length=f.hop_length)[0]
    zcr = librosa.feature.zero_crossing_rate(audio, frame_length=frame, hop_length=f.hop_length)[0]
    f0 = librosa.yin(audio, fmin=60, fmax=500, sr=f.sample_rate, frame_length=frame,
                     hop_length=f.hop_length)
    return np.stack([np.log(energy + _EPS), zcr, np.log(f0)], axis=1)


@lru_cache(maxsize=1)
def _smile():
    import opensmile  # imported here: only the baseline needs it, and it takes a second

    return opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                           feature_level=opensmile.FeatureLevel.Functionals)


def egemaps(audio: np.ndarray, f: Features) -> np.ndarray:
    """The 88 eGeMAPS v02 functionals of a clip (openSMILE).

    Parameters
    ----------
    audio : numpy.ndarray
        1-D audio at ``f.sample_rate``.
    f : config.Features
        ``sample_rate``.

    Returns
    -------
    numpy.ndarray
        (1, 88) float32, in ``egemaps_names()``'s order.
    """
    return _smile().process_signal(audio, f.sample_rate).to_numpy(dtype=np.float32)


def egemaps_names() -> list[str]:
    """The names of the 88 eGeMAPS functionals, in ``egemaps``'s order.

    Returns
    -------
    list of str
        E.g. "F0semitoneFrom27.5Hz_sma3nz_amean".
    """
    return list(_smile().feature_names)


def extract(audio: np.ndarray, sample_rate: int, kind: str | None = None,
            f: Features | None = None) -> np.ndarray:
    """One clip → a (T, F) float32 feature tensor: resample to 16 kHz, fix the length, compute.

    Notebook: 04_features.

    Parameters
    ----------
    audio : numpy.ndarray
        1-D audio.
    sample_rate : int
        Its rate in Hz; resampled (soxr, HQ) to ``f.sample_rate`` when it differs.
    kind : str, optional
        One of ``KINDS``; default ``f.kind`` ("logmel").
    f : config.Features, optional
        Default: ``get_config().features``.

    Returns
    -------
    numpy.ndarray
        (T, F) float32: (201, 64) for the default log-mel of a 4 s window (``n_frames``,
        ``n_features``).

    Raises
    ------
    ValueError
        For an unknown kind.

    Examples
    --------
    >>> t = np.arange(32_000) / 16_000
    >>> tone = (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)  # 2 s of 440 Hz
    >>> x = extract(tone, 16_000)  # zero-padded to 4 s
    >>> x.shape, x.dtype
    ((201, 64), dtype('float32'))
    >>> int(x[100].argmax()), round(float(x[0].min()), 1)  # the tone's band; padding's floor
    (8, -23.0)
    """
    f = f or get_config().features
    kind = _checked_kind(kind or f.kind)
    if sample_rate != f.sample_rate:
        audio = soxr.resample(audio, sample_rate, f.sample_rate, quality="HQ")
    audio = fix_length(np.asarray(audio, dtype=np.float32), n_samples(f))
    if kind == "logmel+prosody":
        out = np.concatenate([logmel(audio, f), prosody(audio, f)], axis=1)
    else:
        out = {"logmel": logmel, "mfcc": mfcc, "prosody": prosody,
               "egemaps": egemaps}[kind](audio, f)
    return out.astype(np.float32)


@dataclass
class Standardizer:
    """Per-feature mean and standard deviation, fitted on training data only.

    ``fit`` accepts an array (N, T, F) or an iterable of such batches, so a memory-mapped cache
    is read once in chunks. Notebook: 04_features.

    Parameters
    ----------
    mean, std : numpy.ndarray, optional
        (F,) float32 statistics, if already known (``from_dict``); set by ``fit``.

    Examples
    --------
    >>> train = np.random.default_rng(0).normal(3.0, 2.0, (10, 201, 64))
    >>> s = Standardizer().fit(train)
    >>> round(float(s.mean.mean()), 2), round(float(s.std.mean()), 2)
    (3.0, 2.0)
    >>> z = s.transform(train)
    >>> bool(abs(z.mean()) < 1e-3), round(float(z.std()), 3)
    (True, 1.0)
    """

    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    def fit(self, batches) -> Standardizer:
        """Learn the mean and standard deviation of every feature (the last axis).

        Parameters
        ----------
        batches : numpy.ndarray or iterable of numpy.ndarray
            Arrays (…, F); every row of every batch counts once.

        Returns
        -------
        Standardizer
            ``self``, fitted. The standard deviation has 1e-5 added, so a constant feature divides
            safely.

        Raises
        ------
        ValueError
            If there are no rows.
        """
        if isinstance(batches, np.ndarray):
            batches = [batches]
        count, total, squares = 0, 0.0, 0.0
        for batch in batches:
            x = np.asarray(batch, dtype=np.float64).reshape(-1, np.shape(batch)[-1])
            count, total, squares = count + len(x), total + x.sum(0), squares + (x ** 2).sum(0)
        if count == 0:
            raise ValueError("cannot fit a Standardizer on no data")
        self.mean = (total / count).astype(np.float32)
        self.std = np.sqrt(np.maximum(squares / count - self.mean.astype(np.float64) ** 2,
                                      0)).astype(np.float32) + np.float32(1e-5)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Standardise with the fitted statistics.

        Parameters
        ----------
        x : numpy.ndarray
            (…, F) features.

        Returns
        -------
        numpy.ndarray
            float32, the shape of ``x``: (x − mean) / std.

        Raises
        ------
        RuntimeError
            Before ``fit``.
        """
        if self.mean is None:
            raise RuntimeError("Standardizer.transform before fit")
        return ((np.asarray(x, dtype=np.float32) - self.mean) / self.std).astype(np.float32)

    def to_dict(self) -> dict:
        """The fitted statistics as lists, for JSON and checkpoints.

        Returns
        -------
        dict
            {"mean": [F floats], "std": [F floats]}.
        """
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, state: dict) -> Standardizer:
        """A Standardizer from ``to_dict``'s output.

        Parameters
        ----------
        state : dict
            With "mean" and "std".

        Returns
        -------
        Standardizer
        """
        return cls(np.asarray(state["mean"], dtype=np.float32),
                   np.asarray(state["std"], dtype=np.float32))
