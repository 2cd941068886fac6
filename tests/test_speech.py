"""speech.speech_check: noise, tones, sweeps, clicks and silence hold no speech; speech does."""

import numpy as np
import pytest
import scipy.fft

from bcser_utils.audio import noise, speech, synthetic
from bcser_utils.audio.audio_input import load_audio
from bcser_utils.audio.names import expected_names

RATE = 48_000
T = np.arange(4 * RATE) / RATE  # 4 s, as a timeline window


def coloured(exponent, seed=0):
    """Unit-RMS noise with power ∝ 1/f**exponent (0 white, 1 pink, 2 brown)."""
    spectrum = scipy.fft.rfft(np.random.default_rng(seed).standard_normal(T.size))
    f = np.maximum(scipy.fft.rfftfreq(T.size, 1 / RATE), 20.0)
    x = scipy.fft.irfft(spectrum / f ** (exponent / 2), T.size)
    return x / np.sqrt(np.mean(x**2))


def clicks(rate_hz):
    x = np.zeros(T.size)
    x[:: RATE // rate_hz] = 0.8
    return x


@pytest.mark.parametrize("exponent", [0, 1, 2])
@pytest.mark.parametrize("level_db", [-40, -12])
def test_noise_holds_no_speech(exponent, level_db):
    check = speech.speech_check(coloured(exponent) * 10 ** (level_db / 20), RATE)
    assert not check.has_speech
    assert check.reason == "no speech: noise without voicing"
    assert check.voiced_s < speech.MIN_VOICED_S


@pytest.mark.parametrize("freq", [100, 220, 440, 1000, 4000])
def test_a_steady_tone_holds_no_speech(freq):
    check = speech.speech_check(0.3 * np.sin(2 * np.pi * freq * T), RATE)
    assert (check.has_speech, check.reason) == (False, "no speech: a steady tone")


def test_a_chord_and_mains_hum_hold_no_speech():
    chord = sum(np.sin(2 * np.pi * f * T) for f in (261.6, 329.6, 392.0))
    hum = sum(np.sin(2 * np.pi * 50 * k * T) / k for k in range(1, 9))
    for x in (0.1 * chord, 0.1 * hum):
        check = speech.speech_check(x, RATE)
        assert (check.has_speech, check.reason) == (False, "no speech: a steady tone")


def test_a_tone_sweep_holds_no_speech():
    freq = 150 * (3000 / 150) ** (T / T[-1])  # exponential, 150 Hz → 3 kHz
    check = speech.speech_check(0.3 * np.sin(2 * np.pi * np.cumsum(freq) / RATE), RATE)
    assert (check.has_speech, check.reason) == (False, "no speech: a tone sweep")
    assert check.longest_voiced_s > speech.MAX_VOICED_RUN_S


@pytest.mark.parametrize("rate_hz", [5, 100])
def test_a_click_train_holds_no_speech(rate_hz):
    check = speech.speech_check(clicks(rate_hz), RATE)
    assert (check.has_speech, check.reason) == (False, "no speech: clicks")


def test_beeps_on_one_pitch_hold_no_speech():
    beeps = 0.3 * np.sin(2 * np.pi * 440 * T) * ((T % 0.6) < 0.3)
    check = speech.speech_check(beeps, RATE)
    assert (check.has_speech, check.reason) == (False, "no speech: a tone repeated on one pitch")
    assert check.pitch_range_st < speech.MIN_PITCH_RANGE_ST


@pytest.mark.parametrize("audio", [np.zeros(T.size), np.zeros(0), np.full(10, 1e-6)])
def test_silence_and_empty_audio_hold_no_speech(audio):
    assert speech.speech_check(audio, RATE).reason == "no speech: silence"


@pytest.mark.parametrize("rate", [16_000, 44_100])
def test_the_synthetic_voice_is_speech_at_any_rate(rate):
    # the offline stand-in corpus must keep its predictions; its calm and sad voices are the
    # most monotone (pitch ranges from 0.4 semitones)
    names = [n for n in expected_names([2]) if n.intensity == 1 and n.repetition == 1
             and n.emotion_name in ("neutral", "calm", "sad")]
    for name in names:
        check = speech.speech_check(synthetic.synthesize(name, sample_rate=rate), rate)
        assert check.has_speech, (name, check)


def test_the_check_is_deterministic_and_frozen():
    x = coloured(1, seed=3) * 0.1
    first = speech.speech_check(x, RATE)
    assert speech.speech_check(x.copy(), RATE) == first
    with pytest.raises(AttributeError):
        first.has_speech = True


def test_ravdess_clips_are_speech_even_in_noise(ravdess_dir):
    # a few clips of two actors; 0.1: 20 dB quieter (the check is relative to the clip's level,
    # down to its silence floor, SILENCE_DBFS)
    paths = sorted(ravdess_dir.glob("Actor_0[1-2]/*"))[::24]
    assert paths
    for i, path in enumerate(paths):
        audio, rate = load_audio(path, RATE)
        for x in (audio, 0.1 * audio, noise.add_noise(audio, rate, 0, "white", rng=i)):
            check = speech.speech_check(x, rate)
            assert (check.has_speech, check.reason) == (True, "speech"), (path.name, check)
