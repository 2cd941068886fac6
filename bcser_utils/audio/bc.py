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

Analysis helpers for notebook 02: ``frequency_at_gain_db`` (where the gain reaches a level),
``band_energies`` / ``band_energy_shares`` (a signal's energy per frequency band), and
``estimate_response`` / ``measured_response`` (a response measured from signals, not from α, β).

Notebook: 02_bc_filter_design
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.signal
import soxr

from bcser_utils.config import get_config

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

    Parameters
    ----------
    alpha : float or None, optional
        The pole α (0 < α < 1); None takes ``get_config().bc.alpha`` (0.755).
    beta : float or None, optional
        The gain β (> 0); None takes ``get_config().bc.beta`` (0.205).

    Returns
    -------
    b : numpy.ndarray
        The numerator ``[β]``, shape (1,).
    a : numpy.ndarray
        The denominator ``[1, −α]``, shape (2,).

    Raises
    ------
    ValueError
        If α or β is out of range (NaN included).

    Notebook: 02_bc_filter_design
    """
    alpha, beta = _checked(alpha, beta)
    return np.array([beta]), np.array([1.0, -alpha])


MAX_CHANNELS = 8  # a 2-D array with at most this many columns looks like (frames, channels)


def to_bc(audio, sample_rate: float, alpha: float | None = None, beta: float | None = None,
          reference_rate: float | None = None, channels_last: bool | None = None) -> np.ndarray:
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

    **Layout.** soundfile reads a stereo file as (frames, channels), the transpose of a batch.
    ``channels_last=True`` filters such an array along its first axis (and returns that shape);
    ``False`` takes any 2-D array as (n_signals, n_samples); None (the default) refuses a 2-D
    array that looks like (frames, channels), at most ``MAX_CHANNELS`` columns and more rows,
    rather than filter across the channels.

    Parameters
    ----------
    audio : array_like
        Real samples (float or integer), shape (n_samples,) or (n_signals, n_samples), or
        (frames, channels) with ``channels_last=True``.
    sample_rate : float
        The rate of ``audio``, in Hz.
    alpha, beta : float or None, optional
        The filter's coefficients; None takes ``get_config().bc`` (0.755, 0.205).
    reference_rate : float or None, optional
        The rate, in Hz, at which the coefficients are defined; None takes
        ``get_config().bc.reference_rate`` (48 kHz).
    channels_last : bool or None, optional
        How to read a 2-D array: True (frames, channels), False (n_signals, n_samples), None
        (the default) refuses the ambiguous (frames, channels) look (see **Layout**).

    Returns
    -------
    numpy.ndarray
        The synthetic BC signal(s), float32, with the shape of ``audio`` and at ``sample_rate``.

    Raises
    ------
    ValueError
        For an invalid α (needs 0 < α < 1) or β (needs β > 0), an invalid sample rate, a
        non-real dtype, empty input, more than two dimensions, an ambiguous layout, or NaN/inf
        samples.

    Examples
    --------
    At 48 kHz the filter runs directly: an impulse gives back the impulse response β·αⁿ, and a
    long constant signal settles at the DC gain β / (1 − α), −1.55 dB:

    >>> import numpy as np
    >>> from bcser_utils.audio import bc
    >>> impulse = np.zeros(480)
    >>> impulse[0] = 1.0
    >>> y = bc.to_bc(impulse, 48_000)
    >>> y.dtype, y.shape
    (dtype('float32'), (480,))
    >>> np.round(y[:4], 4)
    array([0.205 , 0.1548, 0.1169, 0.0882], dtype=float32)
    >>> step = bc.to_bc(np.ones(4_800), 48_000)
    >>> print(f"{20 * np.log10(step[-1]):.2f} dB")
    -1.55 dB

    At 16 kHz, ``to_bc`` still applies the 48 kHz filter: a 1 kHz tone loses the same 2.39 dB
    at both rates (the same coefficients run directly at 16 kHz would take 6.19 dB off it):

    >>> for rate in (48_000, 16_000):
    ...     t = np.arange(rate) / rate                       # one second
    ...     tone = np.sin(2 * np.pi * 1_000 * t)
    ...     out = bc.to_bc(tone, rate)[rate // 10:]          # past the start-up transient
    ...     gain = 20 * np.log10(out.std() / tone[rate // 10:].std())
    ...     print(rate, f"{gain:.2f} dB")
    48000 -2.39 dB
    16000 -2.39 dB
    >>> print(f"{bc.analytic_gain_db(1_000, 16_000):.2f} dB")
    -6.19 dB

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
    if channels_last:
        if x.ndim != 2:
            raise ValueError(f"channels_last=True needs (frames, channels); audio has shape "
                             f"{x.shape}")
        return to_bc(x.T, sample_rate, alpha, beta, reference_rate, channels_last=False).T
    if channels_last is None and x.ndim == 2 and x.shape[1] <= MAX_CHANNELS < x.shape[0]:
        raise ValueError(f"audio has shape {x.shape}, soundfile's (frames, channels) layout: "
                         "pass channels_last=True (or audio.T, a batch of signals), so that the "
                         "filter runs along time, not across the channels")
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

    Parameters
    ----------
    freq_hz : float or array_like
        The frequencies, in Hz (0 … Nyquist for a meaningful answer).
    sample_rate : float
        The rate, in Hz, at which the filter runs.
    alpha, beta : float or None, optional
        The filter's coefficients; None takes ``get_config().bc``.

    Returns
    -------
    float or numpy.ndarray
        The gain in dB at each frequency, with the shape of ``freq_hz``.

    Raises
    ------
    ValueError
        If α or β is out of range.

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

    Parameters
    ----------
    sample_rate : float
        The rate, in Hz, at which the filter runs.
    alpha : float or None, optional
        The pole α; None takes ``get_config().bc.alpha``.

    Returns
    -------
    float
        The cut-off frequency in Hz (2.16 kHz at 48 kHz, 0.72 kHz at 16 kHz with the paper's
        α), or NaN.

    Raises
    ------
    ValueError
        If α is out of range.

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

    Parameters
    ----------
    sample_rate : float or None, optional
        The rate, in Hz, at which the filter runs; None takes
        ``get_config().bc.reference_rate`` (48 kHz).
    alpha, beta : float or None, optional
        The filter's coefficients; None takes ``get_config().bc``.
    n : int, optional
        The number of frequencies, 0 Hz to Nyquist inclusive (default 4096).

    Returns
    -------
    FrequencyResponse
        The arrays (``n`` values each) and the closed-form cut-off, DC and Nyquist gains, zeros,
        poles and gain.

    Raises
    ------
    ValueError
        For an invalid sample rate, α or β.

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


def frequency_at_gain_db(gain_db: float, sample_rate: float, alpha: float | None = None,
                         beta: float | None = None) -> float:
    """The frequency (Hz) where the filter run at ``sample_rate`` has the absolute gain ``gain_db``.

    From |H|² = β² / (1 − 2α·cos ω + α²) = 10^(gain_db/10):
    cos ω = (1 + α² − β²·10^(−gain_db/10)) / (2α). The gain falls monotonically from DC to
    Nyquist, so the answer is unique; NaN when ``gain_db`` is not reached between 0 Hz and
    Nyquist (above the DC gain or below the Nyquist gain). With the paper's coefficients at
    48 kHz, ``frequency_at_gain_db(-3, 48_000)`` is the *absolute* −3 dB point, 1.36 kHz, whereas
    ``cutoff_hz`` (−3 dB *relative to DC*: the usual cut-off, the one the course quotes) is
    2.16 kHz.

    Parameters
    ----------
    gain_db : float
        The absolute gain sought, in dB.
    sample_rate : float
        The rate, in Hz, at which the filter runs.
    alpha, beta : float or None, optional
        The filter's coefficients; None takes ``get_config().bc``.

    Returns
    -------
    float
        The frequency in Hz, or NaN when the gain is not reached.

    Raises
    ------
    ValueError
        For an invalid sample rate, α or β.

    Notebook: 02_bc_filter_design
    """
    alpha, beta = _checked(alpha, beta)
    _check_rate("sample_rate", sample_rate)
    cos_w = (1 + alpha**2 - beta**2 * 10 ** (-float(gain_db) / 10)) / (2 * alpha)
    if not -1.0 <= cos_w <= 1.0:
        return float("nan")
    return float(np.arccos(cos_w) * sample_rate / (2 * np.pi))


def band_energies(audio, sample_rate: float, edges_hz=(1000.0,)) -> np.ndarray:
    """A signal's energy (sum of squared samples) in each frequency band, from its spectrum.

    ``edges_hz`` (increasing, strictly between 0 Hz and Nyquist) split 0 … Nyquist into
    ``len(edges_hz) + 1`` bands; a frequency equal to an edge belongs to the upper band. The
    mean (a DC offset, which is not sound) is removed first, so the bands add up to
    Σ (x − mean)² (Parseval). The energy comes from one FFT of the whole signal, zero-padded to
    a fast length; the leakage of its rectangular window is negligible for clips of seconds.

    Parameters
    ----------
    audio : array_like
        One signal, shape (n_samples,), at least 2 finite samples.
    sample_rate : float
        Its rate, in Hz.
    edges_hz : sequence of float, optional
        The band edges in Hz (default ``(1000.0,)``: below and above 1 kHz).

    Returns
    -------
    numpy.ndarray
        The energy of each band, shape (len(edges_hz) + 1,), lowest band first.

    Raises
    ------
    ValueError
        For input that is not one finite signal of at least 2 samples, an invalid sample rate,
        or bad edges.

    Notebook: 02_bc_filter_design (energy below and above 1 kHz, AC versus BC)
    """
    _check_rate("sample_rate", sample_rate)
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"audio has shape {x.shape}; expected one signal of at least 2 samples")
    if not np.all(np.isfinite(x)):
        raise ValueError("audio contains NaN or inf samples")
    edges = np.atleast_1d(np.asarray(edges_hz, dtype=float))
    if edges.ndim != 1 or np.any(np.diff(edges) <= 0) or not (
            np.all(edges > 0) and np.all(edges < sample_rate / 2)):
        raise ValueError(f"edges_hz={list(edges)} must increase strictly and lie between 0 Hz "
                         f"and Nyquist ({sample_rate / 2:g} Hz)")
    x = x - x.mean()
    n = scipy.fft.next_fast_len(len(x), real=True)
    power = np.abs(scipy.fft.rfft(x, n=n)) ** 2 / n
    # One-sided spectrum: every bin but DC (and Nyquist, for even n) stands for two.
    power[1:(n + 1) // 2] *= 2
    band = np.searchsorted(edges, np.fft.rfftfreq(n, 1 / sample_rate), side="right")
    return np.bincount(band, weights=power, minlength=len(edges) + 1)


def band_energy_shares(audio, sample_rate: float, edges_hz=(1000.0,)) -> np.ndarray:
    """The share of a signal's energy in each frequency band: ``band_energies`` over their sum.

    Parameters
    ----------
    audio : array_like
        One signal, shape (n_samples,).
    sample_rate : float
        Its rate, in Hz.
    edges_hz : sequence of float, optional
        The band edges in Hz (default ``(1000.0,)``).

    Returns
    -------
    numpy.ndarray
        Fractions that sum to 1, shape (len(edges_hz) + 1,), e.g. ``[below 1 kHz, above 1 kHz]``
        with the default edge.

    Raises
    ------
    ValueError
        As ``band_energies`` does, and for a constant (e.g. all-zero) signal.

    Notebook: 02_bc_filter_design (share of energy below and above 1 kHz, AC versus BC)
    """
    energies = band_energies(audio, sample_rate, edges_hz)
    total = energies.sum()
    if not total > 0:
        raise ValueError("audio is constant (no energy once its mean is removed)")
    return energies / total


def estimate_response(x, y, sample_rate: float, nperseg: int = 1024):
    """Estimate a system's frequency response from its input ``x`` and output ``y``.

    The H1 estimator H(f) = P_xy(f) / P_xx(f), with Welch's averaged (cross) spectra
    (``scipy.signal.csd`` and ``welch``, Hann windows of ``nperseg`` samples, 50% overlap).
    With broadband input such as white noise, this measures what a black box really does,
    without looking at its coefficients.

    Parameters
    ----------
    x, y : array_like
        The system's input and output, 1-D and of the same length (at least ``nperseg``).
    sample_rate : float
        Their rate, in Hz.
    nperseg : int, optional
        The Welch segment length in samples (default 1024).

    Returns
    -------
    freqs_hz : numpy.ndarray
        The frequencies, 0 … Nyquist, shape (nperseg // 2 + 1,).
    h : numpy.ndarray
        The complex response at each frequency; the gain in dB is ``20 * np.log10(np.abs(h))``.

    Raises
    ------
    ValueError
        For an invalid sample rate, signals that are not 1-D of one length, or shorter than
        ``nperseg``.

    Notebook: 02_bc_filter_design (to_bc at 16 kHz measured against the 48 kHz filter)
    """
    _check_rate("sample_rate", sample_rate)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-D signals of the same length, got {x.shape} and "
                         f"{y.shape}")
    if len(x) < nperseg:
        raise ValueError(f"signals of {len(x)} samples are shorter than nperseg={nperseg}")
    freqs, pxx = scipy.signal.welch(x, sample_rate, nperseg=nperseg)
    _, pxy = scipy.signal.csd(x, y, sample_rate, nperseg=nperseg)
    return freqs, pxy / pxx


def measured_response(sample_rate: float, seconds: float = 20.0, seed: int = 0,
                      alpha: float | None = None, beta: float | None = None,
                      reference_rate: float | None = None, nperseg: int = 1024):
    """What ``to_bc`` really does to a signal at ``sample_rate``, measured with white noise.

    Passes ``seconds`` of seeded Gaussian white noise at ``sample_rate`` through ``to_bc`` (with
    ``alpha``, ``beta``, ``reference_rate``) and returns ``estimate_response``'s
    ``(freqs_hz, h)``. At 16 kHz the result follows the analytic 48 kHz curve, not the 16 kHz
    one, up to where the resampler's anti-aliasing filter starts (about 0.91 × Nyquist for
    soxr's HQ quality, i.e. ~7.3 kHz at 16 kHz). ``reference_rate=sample_rate`` measures the
    pitfall instead: the coefficients run directly at the input rate.

    Parameters
    ----------
    sample_rate : float
        The rate, in Hz, of the noise fed to ``to_bc``.
    seconds : float, optional
        The noise's length (default 20 s).
    seed : int, optional
        The noise generator's seed (default 0): the result is deterministic.
    alpha, beta, reference_rate : float or None, optional
        Passed to ``to_bc``; None takes ``get_config().bc``.
    nperseg : int, optional
        Passed to ``estimate_response`` (default 1024).

    Returns
    -------
    freqs_hz : numpy.ndarray
        The frequencies, 0 … Nyquist.
    h : numpy.ndarray
        The measured complex response.

    Raises
    ------
    ValueError
        As ``to_bc`` and ``estimate_response`` do.

    Notebook: 02_bc_filter_design
    """
    _check_rate("sample_rate", sample_rate)
    noise = np.random.default_rng(seed).standard_normal(int(round(seconds * sample_rate)))
    out = to_bc(noise, sample_rate, alpha, beta, reference_rate=reference_rate)
    return estimate_response(noise, out, sample_rate, nperseg=nperseg)
