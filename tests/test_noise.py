"""Additive noise: the SNR is exact, the spectra have the shape asked for, draws are seeded."""

import numpy as np
import pytest
from scipy.signal import welch

from bcser_utils.audio import noise, synthetic
from bcser_utils.audio.names import RavdessName

RATE = 16_000


@pytest.fixture(scope="module")
def speech():
    """Three synthetic utterances (harmonic, speech-like spectra), deterministic."""
    names = [RavdessName(3, 1, e, 1, 1, 1, 1) for e in (1, 5, 6)]
    return [synthetic.synthesize(n, sample_rate=RATE) for n in names]


@pytest.mark.parametrize("kind", noise.KINDS)
@pytest.mark.parametrize("snr", [20, 10, 5, 0, -5])
def test_the_snr_is_exact_for_each_clip(speech, kind, snr):
    spectrum = noise.long_term_spectrum(speech, RATE)
    noisy = noise.add_noise(speech[0], RATE, snr, kind, rng=3, spectrum=spectrum)
    assert noisy.dtype == np.float32 and noisy.shape == speech[0].shape
    assert noise.measured_snr_db(speech[0], noisy) == pytest.approx(snr, abs=0.01)


def test_white_noise_is_flat_and_speech_shaped_noise_follows_speech(speech):
    freqs, ltas = noise.long_term_spectrum(speech, RATE)
    n = 10 * RATE

    def share_below_1k(x):
        f, p = welch(x, RATE, nperseg=2048)
        return p[f < 1000].sum() / p.sum()

    white = noise.make_noise("white", n, RATE, rng=1)
    shaped = noise.make_noise("speech_shaped", n, RATE, rng=1, spectrum=(freqs, ltas))
    assert share_below_1k(white) == pytest.approx(1000 / 8000, abs=0.02)  # flat: 1/8 of 0–8 kHz
    speech_share = ltas[freqs < 1000].sum() / ltas.sum()
    assert speech_share > 0.5  # the test is not vacuous: speech is far from flat
    assert share_below_1k(shaped) == pytest.approx(speech_share, abs=0.03)
    f, p = welch(shaped, RATE, nperseg=2048)
    band = (f > 100) & (f < 7000) & (ltas > ltas.max() * 1e-4)
    corr = np.corrcoef(10 * np.log10(p[band]), 10 * np.log10(ltas[band]))[0, 1]
    assert corr > 0.95
    assert np.mean(white**2) == pytest.approx(1) and np.mean(shaped**2) == pytest.approx(1)


def test_draws_are_seeded_and_the_input_is_untouched(speech):
    clean = speech[1].copy()
    a = noise.add_noise(clean, RATE, 5, rng=7)
    b = noise.add_noise(clean, RATE, 5, rng=7)
    c = noise.add_noise(clean, RATE, 5, rng=8)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.array_equal(clean, speech[1])


def test_bad_input_is_refused_with_the_cause():
    with pytest.raises(ValueError, match="silent"):
        noise.add_noise(np.zeros(1000), RATE, 10)
    with pytest.raises(ValueError, match="kind"):
        noise.add_noise(np.ones(1000), RATE, 10, kind="pink")
    with pytest.raises(ValueError, match="spectrum"):
        noise.add_noise(np.ones(1000), RATE, 10, kind="speech_shaped")
    with pytest.raises(ValueError, match="1-D"):
        noise.add_noise(np.ones((2, 100)), RATE, 10)
    with pytest.raises(ValueError, match="not silent"):
        noise.long_term_spectrum([np.zeros(4096)], RATE)
