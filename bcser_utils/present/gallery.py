"""Notebook 03's tools for showing and measuring the Table II augmentations of ``augment``.

Notebook: 03_augmentation_gallery

The transforms themselves live in ``bcser_utils.audio.augment``, which the training side uses; this
module only helps the gallery notebook look at them, and nothing in training imports it:

* Table II as a table: ``parameter_label``, ``table``, ``table_markdown``;
* the gallery's rows: ``draw_wave`` (its spectrograms are the course's one display
  spectrogram, ``display.draw_spectrogram``), and ``realised``, what one random draw did,
  measured on its output;
* the VTLP close-up: ``loudest_window``, ``spectral_envelope``, ``envelope_scale``;
* the class counts after augmentation (the paper's Fig. 3): ``augmented_counts``;
* a fixed log-mel probe of how far an augmented copy is from its original: ``probe_logmel``,
  ``logmel_change``;
* the explorer's sliders: ``KNOBS``, ``knob_value``, ``with_knob``.

    >>> parameter_label("vtlp"), parameter_label("volume")
    ('α = 1.1', '×0.5–1.5')
    >>> knob_value("volume"), with_knob("volume", 0.7).gain_range  # the knob fixes the factor
    (1.5, (0.7, 0.7))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import librosa
import numpy as np
import soxr
from scipy.fft import dct
from scipy.signal import correlate, correlation_lags

# VTLP_WINDOW_S, _check, _log_envelope: vtlp's own analysis, so we show the envelope it warps
from bcser_utils.audio.augment import (
    DESCRIPTIONS,
    LIBRARY_NOTES,
    TRANSFORMS,
    VTLP_WINDOW_S,
    _check,
    _log_envelope,
)
from bcser_utils.config import Augment, get_config

_PARAMETER_LABELS: dict[str, Callable[[Augment], str]] = {
    "time_stretch": lambda p: f"rate {p.time_stretch_rate:g}",
    "speed_perturbation": lambda p: f"factor {p.speed_factor:g}",
    "time_shift": lambda p: f"±{p.shift_fraction:.0%} of the length",
    "time_mask": lambda p: f"≤ {p.time_mask_fraction:.0%} of the audio",
    "pitch_shift": lambda p: f"{p.pitch_semitones:+g} semitones",
    "volume": lambda p: f"×{p.gain_range[0]:g}–{p.gain_range[1]:g}",
    "gaussian_noise": lambda p: f"level (std) {p.noise_std:g}",
    "clipping": lambda p: f"±{p.clip_level:g}",
    "polarity_inversion": lambda p: "×(−1)",
    "echo": lambda p: f"delay {p.echo_delay_s:g} s, decay {p.echo_decay:g}",
    "compression": lambda p: f"{p.compressor_threshold_db:g} dB, {p.compressor_ratio:g}:1",
    "vtlp": lambda p: f"α = {p.vtlp_alpha:g}",
}


def parameter_label(name: str, params: Augment | None = None) -> str:
    """The Table II parameter of transform ``name`` as a short label, e.g. "rate 1.2".

    Read from ``params`` (default: the config), so an override shows up in every title.
    Notebook: 03_augmentation_gallery.
    """
    if name not in _PARAMETER_LABELS:
        raise KeyError(f"unknown augmentation {name!r}; expected one of {', '.join(TRANSFORMS)}")
    return _PARAMETER_LABELS[name](get_config().augment if params is None else params)


def table(params: Augment | None = None):
    """Table II as a pandas DataFrame, one row per transform in registry order.

    Columns: transform, parameter (``parameter_label``), simulates (``DESCRIPTIONS``) and
    library semantics (``LIBRARY_NOTES``, "" where none). Notebook: 03_augmentation_gallery.
    """
    import pandas as pd

    return pd.DataFrame([{"transform": name, "parameter": parameter_label(name, params),
                          "simulates": DESCRIPTIONS[name],
                          "library semantics": LIBRARY_NOTES.get(name, "")}
                         for name in TRANSFORMS])


def table_markdown(params: Augment | None = None) -> str:
    """``table()`` as a Markdown table (wraps long text in Jupyter, Colab and on GitHub).

    Notebook: 03_augmentation_gallery.
    """
    df = table(params)

    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| # | " + " | ".join(df.columns) + " |", "|---" * (len(df.columns) + 1) + "|"]
    for i, row in enumerate(df.itertuples(index=False), start=1):
        lines.append(f"| {i} | `{row[0]}` | " + " | ".join(cell(v) for v in row[1:]) + " |")
    return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class Knob:
    """One transform's main parameter as a slider: the ``Augment`` field it sets, and a range
    that contains the paper's value. Notebook: 03_augmentation_gallery (the explorer)."""

    field: str
    label: str
    low: float
    high: float
    step: float


# The slider each transform gets in notebook 03's explorer; polarity inversion has none.
# volume's knob fixes the factor: it sets gain_range to (value, value).
KNOBS: dict[str, Knob | None] = {
    "time_stretch": Knob("time_stretch_rate", "rate", 0.5, 2.0, 0.05),
    "speed_perturbation": Knob("speed_factor", "factor", 0.7, 1.5, 0.05),
    "time_shift": Knob("shift_fraction", "max shift", 0.0, 0.5, 0.05),
    "time_mask": Knob("time_mask_fraction", "max mask", 0.0, 0.5, 0.05),
    "pitch_shift": Knob("pitch_semitones", "semitones", -12.0, 12.0, 0.5),
    "volume": Knob("gain_range", "factor", 0.1, 2.0, 0.05),
    "gaussian_noise": Knob("noise_std", "noise std", 0.0, 0.05, 0.001),
    "clipping": Knob("clip_level", "clip level", 0.02, 1.0, 0.02),
    "polarity_inversion": None,
    "echo": Knob("echo_delay_s", "delay s", 0.05, 1.0, 0.05),
    "compression": Knob("compressor_threshold_db", "threshold dB", -50.0, 0.0, 1.0),
    "vtlp": Knob("vtlp_alpha", "alpha", 0.8, 1.25, 0.01),
}


def knob_value(name: str, params: Augment | None = None) -> float | None:
    """The current value of ``name``'s knob in ``params`` (volume: the upper end of its range);
    None for a transform without one. Notebook: 03_augmentation_gallery."""
    params = get_config().augment if params is None else params
    knob = KNOBS[name]
    if knob is None:
        return None
    value = getattr(params, knob.field)
    return float(value[1] if knob.field == "gain_range" else value)


def with_knob(name: str, value: float, params: Augment | None = None) -> Augment:
    """``params`` with transform ``name``'s knob set to ``value`` (volume: a fixed factor).

    Notebook: 03_augmentation_gallery (the explorer's slider).
    """
    params = get_config().augment if params is None else params
    knob = KNOBS[name]
    if knob is None:
        return params
    value = float(value)
    return dataclasses.replace(params, **{
        knob.field: (value, value) if knob.field == "gain_range" else value})


def realised(name: str, original: np.ndarray, augmented: np.ndarray, sample_rate: int) -> str:
    """What one draw of transform ``name`` did, measured on its output, as a short label.

    Lengths for time_stretch and speed_perturbation, the lag (cross-correlation) for
    time_shift, the span and start of the changed samples for time_mask, the gain factor (least
    squares) for volume, the SNR for gaussian_noise, the share of clipped samples for clipping,
    the change of peak level for compression and echo, "" where one number says nothing
    (pitch_shift, vtlp).
    Notebook: 03_augmentation_gallery (the gallery's titles).
    """
    x = np.asarray(original, dtype=np.float64)
    y = np.asarray(augmented, dtype=np.float64)
    if name in ("time_stretch", "speed_perturbation"):
        return f"{len(x) / sample_rate:.2f} s → {len(y) / sample_rate:.2f} s"
    if name == "time_shift":
        lags = correlation_lags(len(y), len(x), mode="full")
        lag = lags[np.argmax(correlate(y, x, mode="full", method="fft"))]
        return f"this draw: {1000 * lag / sample_rate:+.0f} ms"
    if name == "time_mask":  # the span of changed samples (the 5 ms fades sit inside the mask)
        changed = np.flatnonzero(y != x)
        if not changed.size:
            return "this draw: nothing masked"
        span = (changed[-1] - changed[0] + 1) / sample_rate
        return f"this draw: {1000 * span:.0f} ms at {changed[0] / sample_rate:.2f} s"
    if name == "volume":
        return f"this draw: ×{np.dot(x, y) / np.dot(x, x):.2f}"
    if name == "gaussian_noise":
        return f"SNR {10 * np.log10(np.sum(x**2) / np.sum((y - x) ** 2)):.1f} dB"
    if name == "clipping":
        return f"{np.mean(y != x):.2%} of samples clipped"
    if name == "polarity_inversion":
        return "y = −x" if np.array_equal(y, -x) else ""
    if name in ("compression", "echo"):
        return f"peak {20 * np.log10(np.abs(y).max() / np.abs(x).max()):+.1f} dB"
    return ""


def draw_wave(ax, y: np.ndarray, rate: int, **style):
    """Draw a waveform on ``ax`` as its minimum and maximum over 1 ms blocks (time in s).

    It looks the same as drawing every sample, and draws about 50 times faster; a last partial
    block is left out. ``style`` goes to ``ax.fill_between``, whose result is returned.
    Notebook: 03_augmentation_gallery (the gallery and the explorer).
    """
    block = rate // 1000
    y = y[: len(y) // block * block].reshape(-1, block)
    return ax.fill_between(np.arange(len(y)) * block / rate, y.min(axis=1), y.max(axis=1), lw=0,
                           **style)


def loudest_window(audio: np.ndarray, sample_rate: int, seconds: float = 0.15) -> slice:
    """The ``seconds`` of ``audio`` with the most energy, as a slice of samples.

    In a sentence, its loudest 150 ms is a vowel. Notebook: 03_augmentation_gallery (VTLP).
    """
    win = int(seconds * sample_rate)
    if not 0 < win <= len(audio):
        raise ValueError(f"need a window of 1 to {len(audio)} samples, got {win}")
    energy = np.convolve(audio**2, np.ones(win), mode="valid")
    start = int(np.argmax(energy))
    return slice(start, start + win)


def spectral_envelope(audio: np.ndarray, sample_rate: int, f0: float | None = None):
    """The average spectrum of ``audio`` (a short voiced stretch) and its "true envelope".

    The same analysis as ``vtlp`` uses: STFT windows of at least 40 ms, the power averaged over
    frames, and the envelope by iterated cepstral smoothing with a lifter of 0.5 / F0
    (``f0`` in Hz; default: the cepstral-peak estimate in 60-500 Hz). Returns
    ``(freqs, spectrum_db, envelope_db)``, levels in dB re full scale.
    Notebook: 03_augmentation_gallery (VTLP before and after).
    """
    audio = _check(audio)
    n_fft = int(2 ** np.ceil(np.log2(VTLP_WINDOW_S * sample_rate)))
    if audio.size < n_fft:
        raise ValueError(f"need at least {n_fft} samples ({VTLP_WINDOW_S} s), got {audio.size}")
    spec = librosa.stft(audio, n_fft=n_fft, hop_length=n_fft // 4, center=False)
    log_mag = 0.5 * np.log(np.mean(np.abs(spec) ** 2, axis=1) + 1e-18)
    if f0 is None:
        lo, hi = sample_rate // 500, sample_rate // 60
        period = lo + np.argmax(dct(log_mag, type=1)[lo:hi])
    else:
        period = sample_rate / f0
    n_lifter = int(np.clip(0.5 * period, 0.001 * sample_rate, 0.006 * sample_rate))
    to_db = 20 / np.log(10)
    return (librosa.fft_frequencies(sr=sample_rate, n_fft=n_fft), to_db * log_mag,
            to_db * _log_envelope(log_mag, n_lifter))


def envelope_scale(freqs: np.ndarray, before_db: np.ndarray, after_db: np.ndarray,
                   fmin: float = 200.0, fmax: float = 4000.0,
                   factors: np.ndarray | None = None) -> float:
    """The frequency factor s that best maps one envelope onto another: after(s·f) ≈ before(f).

    Searched over ``factors`` (default 0.80-1.25 in steps of 0.001) on [fmin, fmax], comparing
    the curves after removing their mean level (least squares). A VTLP with alpha moves formants
    from f to alpha·f, so this returns about alpha. Notebook: 03_augmentation_gallery.
    """
    factors = np.arange(0.8, 1.2505, 0.001) if factors is None else np.asarray(factors)
    band = (freqs >= fmin) & (freqs <= fmax)
    f, ref = freqs[band], before_db[band] - before_db[band].mean()
    if factors.max() * fmax > freqs[-1]:
        raise ValueError("fmax times the largest factor must stay below the top frequency")
    errors = []
    for s in factors:
        moved = np.interp(s * f, freqs, after_db)
        errors.append(np.mean((moved - moved.mean() - ref) ** 2))
    return float(factors[int(np.argmin(errors))])


# The log-mel probe of notebook 03's leakage section (the brief's fixed settings; notebook 04
# defines the course's features).
PROBE_SAMPLE_RATE, PROBE_N_FFT, PROBE_HOP, PROBE_N_MELS = 16_000, 400, 160, 64


def probe_logmel(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Log-mel power in dB, (64 mels, frames): 16 kHz, n_fft 400, hop 160, ref 1.0, top_db 80.

    An absolute reference (not ref=np.max), so a gain change stays visible as an offset.
    Notebook: 03_augmentation_gallery (how close augmented copies are to their original).
    """
    audio = _check(audio)
    if sample_rate != PROBE_SAMPLE_RATE:
        audio = soxr.resample(audio, sample_rate, PROBE_SAMPLE_RATE, quality="HQ")
    mel = librosa.feature.melspectrogram(y=audio, sr=PROBE_SAMPLE_RATE, n_fft=PROBE_N_FFT,
                                         hop_length=PROBE_HOP, n_mels=PROBE_N_MELS)
    return librosa.power_to_db(mel, ref=1.0, top_db=80.0)


def logmel_change(before_db: np.ndarray, after_db: np.ndarray) -> dict[str, float]:
    """How far one log-mel (mels x frames, dB) is from another.

    ``mad_db``: the mean absolute difference in dB along the dynamic-time-warping path
    (cityblock cost), so that a stretch or a shift of the same content is not counted as a
    difference. ``offset_db``, ``spread_db`` and ``max_abs_db``: the mean, standard deviation
    and maximum of |after - before| over the frames both have, aligned at the start (a pure
    gain change has spread 0 and offset 20·log10(gain)). Notebook: 03_augmentation_gallery.
    """
    _, path = librosa.sequence.dtw(X=before_db, Y=after_db, metric="cityblock")
    mad = float(np.mean(np.abs(before_db[:, path[:, 0]] - after_db[:, path[:, 1]])))
    n = min(before_db.shape[1], after_db.shape[1])
    delta = after_db[:, :n] - before_db[:, :n]
    return {"mad_db": mad, "offset_db": float(delta.mean()), "spread_db": float(delta.std()),
            "max_abs_db": float(np.abs(delta).max())}


def augmented_counts(emotions, n_versions: int | None = None, order=None):
    """Files per class before and after augmentation into ``n_versions`` (default: the paper's
    15, whatever the mode) versions each, as a DataFrame with columns ``recordings`` and
    ``versions``.

    ``emotions`` is one label per recording (e.g. a catalog's ``emotion`` column); ``order``
    (default: the paper's emotion order) fixes the rows. The paper's Fig. 3: each class grows by
    the same factor, so the imbalance ratio max/min is unchanged.
    Notebook: 03_augmentation_gallery.
    """
    import pandas as pd

    cfg = get_config()
    n_versions = Augment().n_versions if n_versions is None else n_versions
    order = list(cfg.emotions if order is None else order)
    recordings = pd.Series(list(emotions)).value_counts().reindex(order, fill_value=0)
    return pd.DataFrame({"recordings": recordings, "versions": recordings * n_versions})


