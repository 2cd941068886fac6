"""Synthetic bone-conducted (BC) speech: the paper's first-order IIR low-pass and its analysis.

The paper turns air-conducted (AC) speech into synthetic BC speech with

    H(z) = β / (1 − α z⁻¹),   i.e.   y[n] = β·x[n] + α·y[n−1],   α = 0.755, β = 0.205.

A digital filter's coefficients only define a frequency response together with a sample rate.
The paper gives none, so we define the coefficients at f_ref = 48 kHz, RAVDESS's own rate
(``config.BCFilter.reference_rate``). There the DC gain is −1.55 dB, the −3 dB point (relative to
DC) is at 2.16 kHz and the gain at Nyquist is −18.7 dB. Run at 16 kHz, the same coefficients
would put the cut-off at 0.72 kHz: a different filter. ``to_bc`` therefore always applies the
48 kHz filter, whatever the input rate; ``frequency_response`` describes the filter at any rate,
so the notebook can show the pitfall.

Notebook: 02_bc_filter_design
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.signal
import soxr

from .config import get_config

RESAMPLE_QUALITY = "HQ"  # soxr "high quality": ~20-bit accuracy, far below audible error


def _checked(alpha: float | None, beta: float | None) -> tuple[float, float]:
    """α and β as floats, ``None`` taken from ``get_config().bc``; ValueError if out of range."""
    cfg = get_config().bc
    alpha = cfg.alpha if alpha is None else float(alpha)
    beta = cfg.beta if beta is None else float(beta)
    # Written as "not (inside)" so that NaN, which fails every comparison, is rejected too.
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha={alpha!r} is invalid: the BC filter needs 0 < alpha < 1 "
                         "(a stable low-pass pole at z = alpha)")
    if not 0.0 < beta < np.inf:
        raise ValueError(f"beta={beta!r} is invalid: the BC filter needs a finite beta > 0")
    return alpha, beta


def _check_rate(name: str, rate: float) -> None:
    if not 0 < rate < np.inf:
        raise ValueError(f"{name}={rate!r} is invalid: it must be a positive number of Hz")


def coefficients(alpha: float | None = None, beta: float | None = None):
    """The paper's filter as ``(b, a)`` for ``scipy.signal.lfilter``: b = [β], a = [1, −α].

    ``None`` takes the value from ``get_config().bc``. Raises ValueError unless 0 < α < 1
    (a stable low-pass: the pole at z = α lies inside the unit circle, on the positive axis)
    and β > 0 (a positive, finite gain).

    Notebook: 02_bc_filter_design
    """
    alpha, beta = _checked(alpha, beta)
    return np.array([beta]), np.array([1.0, -alpha])


def to_bc(audio, sample_rate: float, alpha: float | None = None, beta: float | None = None,
          reference_rate: float | None = None) -> np.ndarray:
    """Convert AC speech to synthetic BC speech with H(z) = β / (1 − α z⁻¹).

    ``audio`` is one signal (1-D) or a batch of shape (n_signals, n_samples), filtered along the
    last axis, at ``sample_rate`` Hz. The result is float32, with the input's shape and rate.
    ``alpha``, ``beta`` and ``reference_rate`` default to ``get_config().bc`` (0.755, 0.205,
    48 kHz). The filter starts at rest (y[−1] = 0), as the difference equation does.

    The coefficients are defined at ``reference_rate`` (f_ref = 48 kHz). At that rate the
    signal is filtered directly. At any other rate the function applies exactly the 48 kHz
    filter: it resamples to 48 kHz (soxr, HQ), filters, resamples back to the input rate and
    trims or zero-pads to the original length. Why: the same coefficients run at 16 kHz would
    put the −3 dB point at 0.72 kHz instead of 2.16 kHz, which is a different filter.

    Raises ValueError for an invalid α (needs 0 < α < 1) or β (needs β > 0), an invalid sample
    rate, empty input, more than two dimensions, or NaN/inf samples.

    Notebook: 02_bc_filter_design
    """
    b, a = coefficients(alpha, beta)
    reference_rate = get_config().bc.reference_rate if reference_rate is None else reference_rate
    _check_rate("sample_rate", sample_rate)
    _check_rate("reference_rate", reference_rate)

    x = np.asarray(audio)
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise ValueError(f"audio has dtype {x.dtype}; expected real-valued samples")
    if x.ndim not in (1, 2):
        raise ValueError(f"audio has shape {x.shape}; expected (n_samples,) or "
                         "(n_signals, n_samples)")
    if x.size == 0:
        raise ValueError(f"audio is empty (shape {x.shape}); there is nothing to filter")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"audio contains {np.count_nonzero(~np.isfinite(x))} NaN or inf "
                         "samples; clean the input before BC conversion")

    # One signal at a time keeps memory bounded for large batches (1,200 clips at 48 kHz are
    # ~0.9 GB in float32) and gives a batch exactly the same result as a loop.
    signals = x.reshape(-1, x.shape[-1])
    out = np.empty(signals.shape, dtype=np.float32)
    for i, signal in enumerate(signals):
        out[i] = _filter_at_reference(signal.astype(np.float64), b, a, sample_rate, reference_rate)
    return out.reshape(x.shape)


def _filter_at_reference(x: np.ndarray, b, a, sample_rate: float, reference_rate: float):
    """Filter one float64 signal with (b, a) as if it had been sampled at ``reference_rate``."""
    if sample_rate == reference_rate:
        return scipy.signal.lfilter(b, a, x)
    up = soxr.resample(x, sample_rate, reference_rate, quality=RESAMPLE_QUALITY)
    y = soxr.resample(scipy.signal.lfilter(b, a, up), reference_rate, sample_rate,
                      quality=RESAMPLE_QUALITY)
    # Up-then-down rounding can leave the length one sample off; soxr compensates its own delay,
    # so trimming or padding at the end keeps every sample aligned.
    return np.pad(y[:len(x)], (0, max(0, len(x) - len(y))))


def analytic_gain_db(freq_hz, sample_rate: float, alpha: float | None = None,
                     beta: float | None = None):
    """Closed-form gain |H(e^{jω})| in dB of the filter run at ``sample_rate``.

    With ω = 2π·f/fs:  |H|² = β² / (1 − 2α·cos ω + α²).  ``freq_hz`` may be a scalar or an
    array; ``None`` coefficients come from ``get_config().bc``.

    Notebook: 02_bc_filter_design
    """
    alpha, beta = _checked(alpha, beta)
    omega = 2 * np.pi * np.asarray(freq_hz, dtype=float) / sample_rate
    return 20 * np.log10(beta) - 10 * np.log10(1 - 2 * alpha * np.cos(omega) + alpha**2)


def cutoff_hz(sample_rate: float, alpha: float | None = None) -> float:
    """The −3 dB point, relative to the DC gain, of the filter run at ``sample_rate``, in Hz.

    Setting |H(ω)|² = |H(0)|² / 2 gives 1 − 2α·cos ω + α² = 2(1 − α)², so
    cos ω_c = (4α − 1 − α²) / (2α). β only scales the gain and drops out. Returns NaN when the
    gain never falls 3 dB below DC before Nyquist (α < 3 − 2√2 ≈ 0.17).

    Notebook: 02_bc_filter_design
    """
    alpha, _ = _checked(alpha, None)
    cos_wc = (4 * alpha - 1 - alpha**2) / (2 * alpha)
    if not -1.0 <= cos_wc <= 1.0:
        return float("nan")
    return float(np.arccos(cos_wc) * sample_rate / (2 * np.pi))


@dataclass(frozen=True)
class FrequencyResponse:
    """The BC filter's response when run at ``sample_rate`` with coefficients ``alpha``, ``beta``.

    Notebook: 02_bc_filter_design
    """

    sample_rate: float
    alpha: float
    beta: float
    freqs_hz: np.ndarray  # 0 … Nyquist, inclusive
    magnitude_db: np.ndarray
    phase_rad: np.ndarray  # unwrapped
    group_delay_samples: np.ndarray
    group_delay_s: np.ndarray
    cutoff_hz: float  # −3 dB relative to the DC gain (closed form)
    dc_gain_db: float
    nyquist_gain_db: float
    zeros: np.ndarray
    poles: np.ndarray
    gain: float  # the k of tf2zpk: H(z) = k · Π(z − zeros) / Π(z − poles)


def frequency_response(sample_rate: float | None = None, alpha: float | None = None,
                       beta: float | None = None, n: int = 4096) -> FrequencyResponse:
    """Analyse H(z) = β / (1 − α z⁻¹) as if it were run at ``sample_rate`` (default: 48 kHz).

    Magnitude, unwrapped phase and group delay come from scipy.signal on ``n`` frequencies from
    0 Hz to Nyquist inclusive; the cut-off, DC and Nyquist gains are exact (closed form). With
    the default coefficients this gives −1.55 dB at DC, −3 dB at 2.16 kHz and −18.7 dB at
    Nyquist at 48 kHz, but a 0.72 kHz cut-off if the same coefficients run at 16 kHz.

    Notebook: 02_bc_filter_design
    """
    sample_rate = get_config().bc.reference_rate if sample_rate is None else sample_rate
    _check_rate("sample_rate", sample_rate)
    alpha, beta = _checked(alpha, beta)
    b, a = coefficients(alpha, beta)
    freqs, h = scipy.signal.freqz(b, a, worN=n, fs=sample_rate, include_nyquist=True)
    _, delay = scipy.signal.group_delay((b, a), w=freqs, fs=sample_rate)
    # tf2zpk reads b and a as polynomials in z, so b must be padded to a's length to mean
    # β·z / (z − α): the first-order section has a zero at the origin as well as its pole at α.
    zeros, poles, gain = scipy.signal.tf2zpk(np.pad(b, (0, len(a) - len(b))), a)
    edge_gains = analytic_gain_db(np.array([0.0, sample_rate / 2]), sample_rate, alpha, beta)
    return FrequencyResponse(
        sample_rate=sample_rate, alpha=alpha, beta=beta,
        freqs_hz=freqs,
        magnitude_db=20 * np.log10(np.abs(h)),
        phase_rad=np.unwrap(np.angle(h)),
        group_delay_samples=delay,
        group_delay_s=delay / sample_rate,
        cutoff_hz=cutoff_hz(sample_rate, alpha),
        dc_gain_db=float(edge_gains[0]),
        nyquist_gain_db=float(edge_gains[1]),
        zeros=zeros, poles=poles, gain=float(gain),
    )
