"""Tests for bcser_utils.audio.bc: the AC→BC filter H(z) = β / (1 − α z⁻¹) defined at 48 kHz."""

import numpy as np
import pytest
import scipy.signal
import soxr

from bcser_utils.audio import bc

ALPHA, BETA, F_REF = 0.755, 0.205, 48_000


def rel_error(x, ref):
    return float(np.sqrt(np.mean((x - ref) ** 2) / np.mean(ref**2)))


def band_limited_noise(seconds=1.0, top_hz=5_000, seed=0):
    """White noise at 48 kHz low-passed far below 8 kHz, so any rate ≥ 16 kHz represents it."""
    rng = np.random.default_rng(seed)
    sos = scipy.signal.butter(12, top_hz, fs=F_REF, output="sos")
    return scipy.signal.sosfiltfilt(sos, rng.standard_normal(int(seconds * F_REF)))


def test_defaults_are_the_papers():
    b, a = bc.coefficients()
    np.testing.assert_array_equal(b, [BETA])
    np.testing.assert_array_equal(a, [1.0, -ALPHA])


def test_impulse_response_is_beta_alpha_to_the_n():
    impulse = np.zeros(200)
    impulse[0] = 1.0
    expected = BETA * ALPHA ** np.arange(200)
    np.testing.assert_allclose(bc.to_bc(impulse, F_REF), expected, rtol=1e-6, atol=1e-30)


@pytest.mark.parametrize("freq", [100, 500, 1000, 2160, 5000, 10000, 20000])
def test_sine_gain_matches_closed_form(freq):
    t = np.arange(F_REF) / F_REF  # 1 s
    y = bc.to_bc(np.sin(2 * np.pi * freq * t), F_REF).astype(np.float64)
    # The transient decays as α^n (0.755^1000 ≈ 1e-122): fit amplitude on the steady part.
    steady = slice(1000, None)
    basis = np.stack([np.sin(2 * np.pi * freq * t[steady]), np.cos(2 * np.pi * freq * t[steady])])
    (s, c), *_ = np.linalg.lstsq(basis.T, y[steady], rcond=None)
    measured_db = 20 * np.log10(np.hypot(s, c))
    assert measured_db == pytest.approx(bc.analytic_gain_db(freq, F_REF, ALPHA, BETA), abs=0.05)


def test_closed_form_matches_scipy_freqz():
    freqs, h = scipy.signal.freqz([BETA], [1, -ALPHA], worN=512, fs=F_REF)
    np.testing.assert_allclose(bc.analytic_gain_db(freqs, F_REF), 20 * np.log10(abs(h)),
                               atol=1e-9)


def test_frequency_response_at_48k_has_the_design_numbers():
    r = bc.frequency_response(F_REF)
    assert r.cutoff_hz == pytest.approx(2_160, abs=10)
    assert r.dc_gain_db == pytest.approx(-1.55, abs=0.005)
    assert r.nyquist_gain_db == pytest.approx(-18.7, abs=0.05)
    # The cut-off is exact: the gain there is 3.0103 dB (a factor √2) below DC.
    at_cutoff = bc.analytic_gain_db(r.cutoff_hz, F_REF)
    assert r.dc_gain_db - at_cutoff == pytest.approx(10 * np.log10(2), abs=1e-9)
    # The sampled curve agrees with the exact edge values and spans 0 … Nyquist.
    assert r.freqs_hz[0] == 0 and r.freqs_hz[-1] == F_REF / 2
    assert r.magnitude_db[0] == pytest.approx(r.dc_gain_db, abs=1e-9)
    assert r.magnitude_db[-1] == pytest.approx(r.nyquist_gain_db, abs=1e-9)
    # Pole at α, zero at the origin, gain β; group delay at DC is α / (1 − α) samples.
    np.testing.assert_allclose(r.poles, [ALPHA])
    np.testing.assert_allclose(r.zeros, [0.0])
    assert r.gain == pytest.approx(BETA)
    assert r.group_delay_samples[0] == pytest.approx(ALPHA / (1 - ALPHA), rel=1e-4)
    np.testing.assert_allclose(r.group_delay_s, r.group_delay_samples / F_REF)
    # Phase and group delay against their closed forms (ω in radians per sample).
    w = 2 * np.pi * r.freqs_hz / F_REF
    np.testing.assert_allclose(r.phase_rad, -np.arctan2(ALPHA * np.sin(w), 1 - ALPHA * np.cos(w)),
                               atol=1e-9)
    tau = (ALPHA * np.cos(w) - ALPHA**2) / (1 - 2 * ALPHA * np.cos(w) + ALPHA**2)
    np.testing.assert_allclose(r.group_delay_samples, tau, atol=1e-6)


def test_same_coefficients_at_16k_are_a_different_filter():
    assert bc.frequency_response(16_000).cutoff_hz == pytest.approx(720, abs=10)


def test_cutoff_is_nan_when_the_gain_never_drops_3_db():
    assert np.isnan(bc.cutoff_hz(F_REF, alpha=0.1))


@pytest.mark.parametrize("rate, naive_at_least", [(16_000, 0.2), (44_100, 0.02)])
def test_other_rates_apply_the_48k_filter(rate, naive_at_least):
    x48 = band_limited_noise()
    x = soxr.resample(x48, F_REF, rate, quality="VHQ")
    reference = soxr.resample(bc.to_bc(x48, F_REF).astype(np.float64), F_REF, rate, quality="VHQ")
    y = bc.to_bc(x, rate)
    assert y.shape == x.shape and y.dtype == np.float32
    inner = slice(rate // 20, -rate // 20)  # resampler edges are not part of the claim
    assert rel_error(y[inner], reference[inner]) < 1e-4
    # Filtering at the input rate with the same coefficients is measurably wrong, both naively
    # and through reference_rate=rate (which must then equal plain lfilter).
    naive = scipy.signal.lfilter([BETA], [1, -ALPHA], x)
    np.testing.assert_allclose(bc.to_bc(x, rate, reference_rate=rate), naive, rtol=1e-5,
                               atol=1e-6)
    assert rel_error(naive[inner], reference[inner]) > naive_at_least


@pytest.mark.parametrize("rate", [48_000, 16_000])
def test_batch_equals_loop(rate):
    batch = np.random.default_rng(1).uniform(-1, 1, size=(3, rate // 4)).astype(np.float32)
    out = bc.to_bc(batch, rate)
    assert out.shape == batch.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out, np.stack([bc.to_bc(row, rate) for row in batch]))


def test_odd_lengths_and_integer_input_keep_shape():
    for n in (1, 7, 4_411):
        assert bc.to_bc(np.ones(n), 44_100).shape == (n,)
    pcm = (np.random.default_rng(2).uniform(-1, 1, 1000) * 2**15).astype(np.int16)
    np.testing.assert_allclose(bc.to_bc(pcm, F_REF), bc.to_bc(pcm.astype(float), F_REF))


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5, np.nan])
def test_invalid_alpha_is_rejected(alpha):
    with pytest.raises(ValueError, match="alpha"):
        bc.to_bc(np.ones(10), F_REF, alpha=alpha)
    with pytest.raises(ValueError, match="alpha"):
        bc.frequency_response(alpha=alpha)


@pytest.mark.parametrize("beta", [0, -1, np.nan, np.inf])
def test_invalid_beta_is_rejected(beta):
    with pytest.raises(ValueError, match="beta"):
        bc.to_bc(np.ones(10), F_REF, beta=beta)


@pytest.mark.parametrize("audio, cause", [
    (np.array([]), "empty"),
    (np.zeros((2, 0)), "empty"),
    (np.array([0.0, np.nan, 1.0]), "NaN or inf"),
    (np.array([[0.0, np.inf]]), "NaN or inf"),
    (np.zeros((2, 2, 2)), "shape"),
    (np.ones(4, dtype=complex), "real"),
])
def test_bad_audio_is_rejected(audio, cause):
    with pytest.raises(ValueError, match=cause):
        bc.to_bc(audio, F_REF)


@pytest.mark.parametrize("rate", [0, -16_000, np.nan])
def test_bad_sample_rate_is_rejected(rate):
    with pytest.raises(ValueError, match="sample_rate"):
        bc.to_bc(np.ones(10), rate)
    with pytest.raises(ValueError, match="sample_rate"):
        bc.frequency_response(rate)


# --- Analysis helpers added for notebook 02 --------------------------------------------------


def test_absolute_and_relative_minus_3_db_points_differ():
    # The design's 2.16 kHz is −3 dB relative to the DC gain (−1.55 dB); the gain reaches an
    # absolute −3 dB much earlier, at 1.36 kHz.
    assert bc.frequency_at_gain_db(-3.0, F_REF) == pytest.approx(1_359, abs=1)
    relative = bc.frequency_at_gain_db(bc.analytic_gain_db(0, F_REF) - 10 * np.log10(2), F_REF)
    assert relative == pytest.approx(bc.cutoff_hz(F_REF), rel=1e-9)
    # Round trip at many levels and two rates; NaN outside the range the gain sweeps.
    for rate in (16_000, 48_000):
        freqs = np.linspace(10, rate / 2 - 10, 25)
        back = [bc.frequency_at_gain_db(g, rate) for g in bc.analytic_gain_db(freqs, rate)]
        np.testing.assert_allclose(back, freqs, rtol=1e-6)
    assert np.isnan(bc.frequency_at_gain_db(0.0, F_REF))  # above the DC gain
    assert np.isnan(bc.frequency_at_gain_db(-30.0, F_REF))  # below the Nyquist gain


def tone(freq, seconds=1.0, rate=F_REF, amplitude=1.0):
    return amplitude * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)


@pytest.mark.parametrize("freq, expected", [(300, [1, 0]), (990, [1, 0]), (1010, [0, 1]),
                                            (3000, [0, 1]), (15000, [0, 1])])
def test_band_shares_of_a_pure_tone(freq, expected):
    np.testing.assert_allclose(bc.band_energy_shares(tone(freq, 2.0), F_REF), expected,
                               atol=1e-3)


def test_band_shares_of_two_tones_follow_their_powers():
    x = tone(300, amplitude=3.0) + tone(2500, amplitude=1.0) + tone(9000, amplitude=2.0) + 0.7
    shares = bc.band_energy_shares(x, F_REF, edges_hz=(1000, 5000))
    np.testing.assert_allclose(shares, np.array([9, 1, 4]) / 14, atol=1e-3)  # DC is removed
    assert shares.sum() == pytest.approx(1.0)
    # The bands add up to the energy of the signal without its mean (Parseval).
    energies = bc.band_energies(x, F_REF, edges_hz=(1000, 5000))
    assert energies.sum() == pytest.approx(np.sum((x - x.mean()) ** 2), rel=1e-9)
    np.testing.assert_allclose(energies, shares * energies.sum())


def test_band_shares_of_white_noise_before_and_after_the_filter():
    noise = np.random.default_rng(3).standard_normal(20 * F_REF)
    assert bc.band_energy_shares(noise, F_REF)[0] == pytest.approx(1000 / 24_000, abs=2e-3)
    # After BC the share below 1 kHz is ∫₀¹ᵏ|H|² df / ∫₀^Nyquist |H|² df.
    f = np.linspace(0, F_REF / 2, 200_001)
    power = 10 ** (bc.analytic_gain_db(f, F_REF) / 10)
    expected = power[f < 1000].sum() / power.sum()
    assert bc.band_energy_shares(bc.to_bc(noise, F_REF), F_REF)[0] == pytest.approx(expected,
                                                                                     abs=3e-3)


@pytest.mark.parametrize("audio, edges, cause", [
    (np.ones(100), (1000,), "constant"),
    (np.zeros((2, 100)), (1000,), "shape"),
    (np.array([0.0, np.nan, 1.0]), (1000,), "NaN"),
    (tone(100), (2000, 1000), "edges"),
    (tone(100), (30_000,), "edges"),
])
def test_band_shares_reject_bad_input(audio, edges, cause):
    with pytest.raises(ValueError, match=cause):
        bc.band_energy_shares(audio, F_REF, edges_hz=edges)


def test_estimated_response_recovers_the_filter():
    noise = np.random.default_rng(4).standard_normal(10 * F_REF)
    freqs, h = bc.estimate_response(noise, bc.to_bc(noise, F_REF), F_REF)
    np.testing.assert_allclose(20 * np.log10(np.abs(h)), bc.analytic_gain_db(freqs, F_REF),
                               atol=0.05)


def test_measured_response_at_16k_is_the_48k_filter_not_the_16k_one():
    freqs, h = bc.measured_response(16_000, seconds=10)
    measured = 20 * np.log10(np.abs(h))
    band = (freqs > 0) & (freqs <= 7_000)  # below soxr HQ's anti-aliasing roll-off
    np.testing.assert_allclose(measured[band], bc.analytic_gain_db(freqs[band], F_REF),
                               atol=0.05)
    wrong = bc.analytic_gain_db(freqs[band], 16_000)
    assert np.max(np.abs(measured[band] - wrong)) > 5  # dB: the naive filter is far off


def test_measured_response_of_the_pitfall_is_the_16k_curve():
    freqs, h = bc.measured_response(16_000, seconds=10, reference_rate=16_000)
    np.testing.assert_allclose(20 * np.log10(np.abs(h[1:])), bc.analytic_gain_db(freqs[1:], 16_000),
                               atol=0.05)
