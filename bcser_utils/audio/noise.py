"""Additive noise at an exact signal-to-noise ratio, for the robustness test of notebook 08.

Two maskers: **white** Gaussian noise (flat spectrum) and **speech-shaped** noise (Gaussian noise
with the long-term average spectrum of speech, so it overlaps speech in frequency the way a room
full of talkers does, without words). The noise goes into the air-conducted recording, before the
BC filter: a synthetic BC signal made from a microphone carries the microphone's noise too.

The SNR is 10·log10(P_speech / P_noise) with P the mean power over the whole clip, silences
included, and the noise is scaled so that this holds exactly for each clip, not only on average.
(audiomentations' AddGaussianSNR sets the level only in expectation and draws from numpy's global
random state; here every draw comes from a seeded generator.)

Notebook: 08_beyond_the_paper.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.fft
from scipy.signal import welch

KINDS = ("white", "speech_shaped")


def long_term_spectrum(recordings: Iterable[np.ndarray], rate: int,
                       n_fft: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """The long-term average power spectrum of speech.

    Welch's estimate of each recording, normalised to unit total power so that loud clips do not
    outweigh quiet ones, then averaged. Use recordings from the training side only.

    Parameters
    ----------
    recordings : iterable of numpy.ndarray
        1-D audio, all at ``rate``.
    rate : int
        Sample rate in Hz.
    n_fft : int
        Welch's segment length in samples.

    Returns
    -------
    freqs : numpy.ndarray
        The bin frequencies in Hz, 0 to rate / 2 (n_fft // 2 + 1 of them).
    power : numpy.ndarray
        The mean normalised power per bin (sums to 1).

    Raises
    ------
    ValueError
        If every recording is silent.
    """
    spectra = []
    for audio in recordings:
        freqs, power = welch(np.asarray(audio, dtype=np.float64), rate, nperseg=n_fft)
        if power.sum() > 0:
            spectra.append(power / power.sum())
    if not spectra:
        raise ValueError("long_term_spectrum needs at least one recording that is not silent")
    return freqs, np.mean(spectra, axis=0)


def make_noise(kind: str, n: int, rate: int, rng: int | np.random.Generator = 0,
               spectrum: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """``n`` samples of unit-power noise.

    Parameters
    ----------
    kind : {"white", "speech_shaped"}
        Speech-shaped noise is white noise given ``spectrum``'s shape in the frequency domain.
    n : int
        Number of samples.
    rate : int
        Sample rate in Hz (places ``spectrum``'s frequencies).
    rng : int or numpy.random.Generator
        A seed or a generator: every draw comes from it.
    spectrum : (freqs, power), optional
        ``long_term_spectrum``'s output; needed for "speech_shaped".

    Returns
    -------
    numpy.ndarray
        1-D float64, mean power exactly 1.

    Raises
    ------
    ValueError
        For an unknown kind, or speech-shaped noise without a spectrum.
    """
    if kind not in KINDS:
        raise ValueError(f"noise kind {kind!r}: expected one of {', '.join(KINDS)}")
    if kind == "speech_shaped" and spectrum is None:
        raise ValueError("speech_shaped noise needs a spectrum (see long_term_spectrum)")
    # Shaped over a length the FFT is fast for (a clip's length may be a large prime), then cut.
    length = scipy.fft.next_fast_len(n, real=True) if kind == "speech_shaped" else n
    noise = np.random.default_rng(rng).standard_normal(length)
    if kind == "speech_shaped":
        freqs, power = spectrum
        gain = np.sqrt(np.interp(scipy.fft.rfftfreq(length, 1 / rate), freqs, power))
        noise = scipy.fft.irfft(scipy.fft.rfft(noise) * gain, length)[:n]
    return noise / np.sqrt(np.mean(noise**2))


def add_noise(audio: np.ndarray, rate: int, snr_db: float, kind: str = "white",
              rng: int | np.random.Generator = 0,
              spectrum: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """``audio`` plus noise of ``kind`` at exactly ``snr_db`` dB (whole-clip mean powers).

    Notebook: 08_beyond_the_paper.

    Parameters
    ----------
    audio : numpy.ndarray
        1-D mono audio, not silent.
    rate : int
        Sample rate in Hz.
    snr_db : float
        The signal-to-noise ratio in dB, 10·log10(P_audio / P_noise).
    kind, rng, spectrum
        As for ``make_noise``.

    Returns
    -------
    numpy.ndarray
        1-D float32, the length of ``audio``.

    Raises
    ------
    ValueError
        For audio that is not 1-D, is empty, silent or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> audio = np.sin(np.linspace(0, 2000, 16_000)).astype(np.float32)
    >>> noisy = add_noise(audio, 16_000, snr_db=10, rng=0)
    >>> round(measured_snr_db(audio, noisy), 3)
    10.0
    """
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim != 1 or audio.size == 0:
        raise ValueError(f"expected 1-D mono audio with samples, got shape {audio.shape}")
    power = np.mean(audio**2)
    if not np.isfinite(power) or power == 0:
        raise ValueError("cannot set an SNR for silent (or non-finite) audio")
    noise = make_noise(kind, audio.size, rate, rng, spectrum)
    return (audio + noise * np.sqrt(power / 10 ** (snr_db / 10))).astype(np.float32)


def measured_snr_db(clean: np.ndarray, noisy: np.ndarray) -> float:
    """The SNR of ``noisy`` relative to ``clean`` (whole-clip mean powers), in dB.

    Parameters
    ----------
    clean, noisy : numpy.ndarray
        The same clip without and with noise, of the same length.

    Returns
    -------
    float
        10·log10(P_clean / P_(noisy − clean)).
    """
    clean = np.asarray(clean, dtype=np.float64)
    noise = np.asarray(noisy, dtype=np.float64) - clean
    return float(10 * np.log10(np.mean(clean**2) / np.mean(noise**2)))
