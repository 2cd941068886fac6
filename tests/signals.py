"""Test signals with known content, shared by the augmentation and gallery tests."""

import numpy as np
import scipy.signal as ss

SR = 16_000


def harmonic_tone(f0=200.0, seconds=2.0, sr=SR):
    """A 200 Hz fundamental with 4 harmonics (amplitude 1/k), peak about 0.5."""
    t = np.arange(int(seconds * sr)) / sr
    y = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def noise(seconds=1.0, seed=0, sr=SR):
    """White noise with no exactly-zero sample (|x| >= 0.01), std about 0.1."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.1, int(seconds * sr))
    return (np.sign(x) * np.maximum(np.abs(x), 0.01)).astype(np.float32)


def vowel(f0_period=133, formants=((700, 80), (1200, 90), (2600, 120)), seconds=2.0, sr=SR):
    """An impulse train (F0 = sr / period = 120.3 Hz) through 3 two-pole resonators (Hz, bw)."""
    y = np.zeros(int(seconds * sr))
    y[::f0_period] = 1.0
    for freq, bw in formants:
        r = np.exp(-np.pi * bw / sr)
        y = ss.lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * freq / sr), r * r], y)
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def as_from_a_terminal() -> None:
    """A child process's ``preexec_fn``: SIGINT, SIGHUP and SIGTERM back to their defaults, as a
    program started from a terminal has them. A test suite started under ``nohup`` or as a
    background job (``cmd &`` in a script) passes SIG_IGN for SIGHUP or SIGINT on to every child,
    and an ignored signal is kept ignored by design (``bcser_utils.files``)."""
    import signal

    for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
