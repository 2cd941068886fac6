"""One defining property per Table II augmentation, measured on the output
(bcser_utils.audio.augment)."""

import random

import librosa
import numpy as np
import pytest
import scipy.signal as ss
from signals import harmonic_tone, noise, vowel

from bcser_utils.audio import augment
from bcser_utils.config import Augment

SR = 16_000
PARAMS = Augment()  # the paper's (quick mode's cache makes fewer versions)
TABLE_II = ("time_stretch", "speed_perturbation", "time_shift", "time_mask", "pitch_shift",
            "volume", "gaussian_noise", "clipping", "polarity_inversion", "echo", "compression",
            "vtlp")
RANDOM = ("time_shift", "time_mask", "volume", "gaussian_noise")


def f0_of(y, sr=SR):
    f0 = librosa.yin(y, fmin=80, fmax=800, sr=sr, frame_length=1024)
    return float(np.median(f0[5:-5]))


def formants_of(y, sr=SR, order=16):
    """The first 3 peaks of the LPC envelope of the pre-emphasised middle half."""
    y = y[len(y) // 4: 3 * len(y) // 4].astype(float)
    y = np.append(y[0], y[1:] - 0.9 * y[:-1])
    a = librosa.lpc(y * np.hanning(len(y)), order=order)
    freqs, h = ss.freqz(1, a, worN=8192, fs=sr)
    return freqs[ss.find_peaks(np.abs(h))[0][:3]]


def test_registry_is_table_ii_and_shapes():
    assert tuple(augment.TRANSFORMS) == TABLE_II
    assert set(augment.DESCRIPTIONS) == set(TABLE_II)
    assert set(augment.LIBRARY_NOTES) <= set(TABLE_II)
    x = noise(1.0)
    for name in TABLE_II:
        y = augment.apply(name, x, SR, rng=0)
        assert y.dtype == np.float32 and y.ndim == 1 and np.all(np.isfinite(y)), name
        if name not in ("time_stretch", "speed_perturbation"):
            assert len(y) == len(x), name
    with pytest.raises(KeyError):
        augment.apply("reverb", x, SR)
    with pytest.raises(ValueError):
        augment.apply("volume", np.zeros((2, 100), np.float32), SR)
    assert np.array_equal(augment.apply("echo", x, SR, p=0.0), x)  # p = 0: never applied


def test_time_stretch_shortens_and_keeps_f0():
    x = harmonic_tone()
    y = augment.apply("time_stretch", x, SR)
    assert len(y) == pytest.approx(len(x) / 1.2, rel=0.01)
    assert f0_of(y) == pytest.approx(f0_of(x), rel=0.01)


def test_speed_perturbation_raises_pitch_and_shortens():
    x = harmonic_tone()
    y = augment.apply("speed_perturbation", x, SR)
    assert len(y) == pytest.approx(len(x) / 1.1, rel=0.01)
    assert f0_of(y) == pytest.approx(1.1 * f0_of(x), rel=0.01)


def test_time_shift_within_20_percent_and_zero_filled():
    x = noise(1.0)
    n = len(x)
    lags = []
    for seed in range(20):
        y = augment.apply("time_shift", x, SR, rng=seed)
        corr = ss.correlate(y, x, mode="full", method="fft")
        lag = int(ss.correlation_lags(n, n, mode="full")[np.argmax(corr)])
        assert abs(lag) <= PARAMS.shift_fraction * n + 1
        vacated = y[:lag] if lag > 0 else y[n + lag:]  # zero-fill, not rollover
        assert np.all(vacated == 0.0)
        lags.append(lag)
    assert any(lag > 0 for lag in lags) and any(lag < 0 for lag in lags)
    assert max(abs(lag) for lag in lags) > 0.1 * n  # the range is used, not just tiny shifts


def test_time_mask_at_most_10_percent():
    x = noise(1.0)
    assert not np.any(x == 0)
    zeros = [int(np.sum(augment.apply("time_mask", x, SR, rng=s) == 0)) for s in range(20)]
    assert max(zeros) <= PARAMS.time_mask_fraction * len(x)
    assert max(zeros) > 0.05 * len(x)


def test_pitch_shift_two_semitones_same_length():
    x = harmonic_tone()
    y = augment.apply("pitch_shift", x, SR)
    assert len(y) == len(x)
    assert f0_of(y) == pytest.approx(2 ** (2 / 12) * f0_of(x), rel=0.01)


def test_volume_is_one_linear_factor_uniform_in_range():
    x = noise(0.05)
    factors = []
    for seed in range(200):
        ratio = augment.apply("volume", x, SR, rng=seed) / x
        assert np.ptp(ratio) <= 1e-6 * ratio.mean()  # one factor for every sample
        factors.append(ratio.mean())
    factors = np.array(factors)
    assert factors.min() >= 0.5 and factors.max() <= 1.5
    assert factors.min() < 0.6 and factors.max() > 1.4
    # uniform in LINEAR units has mean 1.0; uniform in dB over [-6.0, +3.5] dB would average 0.91
    assert factors.mean() == pytest.approx(1.0, abs=0.05)


def test_gaussian_noise_std():
    x = harmonic_tone()
    residual = augment.apply("gaussian_noise", x, SR).astype(float) - x
    assert residual.std() == pytest.approx(PARAMS.noise_std, rel=0.05)
    assert abs(residual.mean()) < 0.1 * PARAMS.noise_std


def test_clipping_at_half():
    x = 0.8 * harmonic_tone() / 0.5
    y = augment.apply("clipping", x, SR)
    assert np.abs(y).max() == 0.5
    inside = np.abs(x) < 0.5
    assert np.array_equal(y[inside], x[inside])
    assert np.all(y[~inside] == 0.5 * np.sign(x[~inside]))


def test_polarity_inversion_exact():
    x = noise(0.5)
    assert np.array_equal(augment.apply("polarity_inversion", x, SR), -x)


def test_echo_one_reflection_at_half_second():
    """y = x + d x(t - D) on white noise x of variance s2: r(0) = (1 + d^2) s2 and r(D) = d s2.

    So r(D) / r(0) = d / (1 + d^2) = 0.5 / 1.25 = 0.4, and r is ~0 at every other lag (a
    feedback delay would add peaks at 2D, 3D, ...). Measured on y[D:], where every sample holds
    both paths, with the unbiased (1 / (L - k)) autocorrelation.
    """
    x = np.random.default_rng(1).normal(0, 0.1, 3 * SR).astype(np.float32)
    y = augment.apply("echo", x, SR)
    delay = int(PARAMS.echo_delay_s * SR)
    z = y[delay:].astype(float)
    r = ss.correlate(z, z, mode="full", method="fft")[len(z) - 1:] / (len(z) - np.arange(len(z)))
    assert np.argmax(r[1:int(0.9 * len(z) / 2)]) + 1 == delay
    d = PARAMS.echo_decay
    assert r[delay] / r[0] == pytest.approx(d / (1 + d**2), abs=0.03)
    assert np.array_equal(y[:delay], x[:delay])  # nothing before the first echo arrives


def test_compression_follows_4_to_1_above_threshold():
    """The compressor reads the PEAK envelope, so levels here are peak dBFS of a steady tone.

    12 dB over the -20 dB threshold -> 12 / 4 = 3 dB over it: 9 dB of gain reduction, within
    1 dB (the release lets the envelope sag ~0.2 dB between the tone's peaks).
    """
    t = np.arange(SR) / SR
    sine = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    settled = slice(SR // 2, None)

    def peak_db(y):
        return 20 * np.log10(np.abs(y[settled]).max())

    over = PARAMS.compressor_threshold_db + 12
    x = (10 ** (over / 20) * sine).astype(np.float32)
    reduction = peak_db(x) - peak_db(augment.apply("compression", x, SR))
    assert reduction == pytest.approx(12 - 12 / PARAMS.compressor_ratio, abs=1.0)

    quiet = (10 ** ((PARAMS.compressor_threshold_db - 6) / 20) * sine).astype(np.float32)
    assert np.allclose(augment.apply("compression", quiet, SR), quiet, atol=1e-6)


def test_vtlp_moves_formants_up_keeps_f0():
    x = vowel()
    y = augment.apply("vtlp", x, SR)
    assert len(y) == len(x)
    np.testing.assert_allclose(formants_of(y) / formants_of(x), PARAMS.vtlp_alpha, rtol=0.05)
    assert f0_of(y) == pytest.approx(f0_of(x), rel=0.01)


def test_vtlp_warp_convention():
    f = np.array([0.0, 700.0, 4000.0, 8000.0])
    np.testing.assert_allclose(augment.vtlp_warp(f, 1.1, SR), [0.0, 770.0, 4400.0, 8000.0])


@pytest.mark.parametrize("name", TABLE_II)
def test_same_seed_same_output_whatever_the_global_state(name):
    x = noise(0.5)
    random.seed(1)
    np.random.seed(1)
    a = augment.apply(name, x, SR, rng=7)
    random.seed(2)
    np.random.seed(2)
    assert np.array_equal(a, augment.apply(name, x, SR, rng=np.random.default_rng(7)))
    if name in RANDOM:
        assert not np.array_equal(a, augment.apply(name, x, SR, rng=8))


def test_versions():
    x = noise(1.0)
    out = augment.versions(x, SR, seed=0)
    assert len(out) == PARAMS.n_versions == 15
    labels = [label for label, _ in out]
    assert labels[0] == "original" and np.array_equal(out[0][1], x)
    assert tuple(labels[1:13]) == TABLE_II
    for label in labels[13:]:
        picked = label.removeprefix("chain:").split("+")
        assert label.startswith("chain:") and len(set(picked)) == PARAMS.chain_length
        assert set(picked) <= set(TABLE_II)
    for _, y in out:
        assert y.dtype == np.float32 and y.ndim == 1 and np.all(np.isfinite(y))

    def same(u, v):
        return [la for la, _ in u] == [lb for lb, _ in v] and all(
            np.array_equal(a, b) for (_, a), (_, b) in zip(u, v, strict=True))

    assert same(out, augment.versions(x, SR, seed=0))
    assert not same(out, augment.versions(x, SR, seed=1))
    assert same(augment.versions(x, SR, n=5, seed=0), out[:5])  # a prefix of the 15
    more = augment.versions(x, SR, n=17, seed=0)
    assert len(more) == 17 and all(label.startswith("chain:") for label, _ in more[13:])


def test_recording_seed_is_stable_and_per_recording():
    import zlib

    a = augment.recording_seed(0, "03-01-05-02-01-01-05")
    assert a == augment.recording_seed(0, "Actor_05/03-01-05-02-01-01-05.flac")
    assert a == augment.recording_seed(0, "03-01-05-02-01-01-05.wav")
    assert a == zlib.crc32(b"03-01-05-02-01-01-05", 0)
    assert a != augment.recording_seed(0, "03-01-05-02-01-02-05")
    assert a != augment.recording_seed(1, "03-01-05-02-01-01-05")
    x = noise(0.5)
    draws = {augment.versions(x, SR, n=7, seed=augment.recording_seed(0, f"r{i}"))[6][1].std()
             for i in range(5)}
    assert len(draws) == 5  # version 6 (volume) draws a different gain for each recording


# audiomentations transforms we drive through augment._run, which writes their private
# ``parameters`` dict instead of letting them draw; requirements cap audiomentations at <0.44.
DRIVEN = {"time_stretch": "TimeStretch", "time_shift": "Shift", "time_mask": "TimeMask",
          "pitch_shift": "PitchShift", "volume": "Gain"}


def test_the_parameters_we_write_are_the_keys_audiomentations_sets(monkeypatch):
    """If an audiomentations release renames, adds or drops a key its ``apply`` reads, the dict
    we write no longer matches what its own ``randomize_parameters`` sets, and this fails."""
    written = {}
    run = augment._run

    def spy(transform, audio, sample_rate, **parameters):
        out = run(transform, audio, sample_rate, **parameters)
        written[type(transform).__name__] = (transform, set(transform.parameters))
        return out

    monkeypatch.setattr(augment, "_run", spy)
    x = noise(1.0)
    for name in TABLE_II:
        augment.apply(name, x, SR, rng=0, p=1.0)
    assert sorted(written) == sorted(DRIVEN.values())  # every _run caller, and only them
    states = random.getstate(), np.random.get_state()  # its own draw uses the global RNGs
    try:
        for cls, (transform, ours) in written.items():
            transform.parameters = {}  # randomize_parameters adds to the dict, never clears it
            transform.randomize_parameters(x, SR)
            theirs = set(transform.parameters)
            assert transform.parameters["should_apply"], cls  # p=1.0: every key is drawn
            assert ours == theirs, f"{cls}: we write {sorted(ours)}, it sets {sorted(theirs)}"
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])


def test_the_module_docstring_examples_run():
    import doctest

    result = doctest.testmod(augment, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
