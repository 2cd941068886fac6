import numpy as np
import pytest

from bcser_utils import config
from bcser_utils.audio import features

F = config.get_config().features
RATE = 16_000


def harmonic(f0=150.0, seconds=3.0, rate=RATE):
    t = np.arange(int(seconds * rate)) / rate
    return (0.1 * sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))).astype(np.float32)


@pytest.mark.parametrize("kind, width", [("logmel", 64), ("mfcc", 60), ("prosody", 3),
                                         ("logmel+prosody", 67)])
def test_shape_and_dtype_are_fixed_whatever_the_input(kind, width):
    assert features.n_features(kind, F) == width
    for seconds, rate in ((2.2, 16_000), (5.3, 48_000), (4.0, 22_050)):
        x = features.extract(harmonic(seconds=seconds, rate=rate), rate, kind)
        assert x.shape == (features.n_frames(F), width) == (201, width)
        assert x.dtype == np.float32 and np.isfinite(x).all()


def test_fix_length_keeps_the_centre_and_pads_symmetrically():
    x = np.arange(10, dtype=np.float32)
    assert features.fix_length(x, 4).tolist() == [3, 4, 5, 6]
    assert features.fix_length(x, 13).tolist() == [0, *range(10), 0, 0]
    padded = features.fix_length(x[:3], 8)
    assert padded.tolist() == [0, 0, 0, 1, 2, 0, 0, 0] and len(features.fix_length(x, 10)) == 10


def test_logmel_puts_a_tone_in_the_right_band():
    import librosa

    tone = 0.1 * np.sin(2 * np.pi * 1000 * np.arange(3 * RATE) / RATE)
    x = features.extract(tone.astype(np.float32), RATE, "logmel")
    centres = librosa.mel_frequencies(F.n_mels + 2, fmax=RATE / 2)[1:-1]
    assert abs(centres[x[100].argmax()] - 1000) < 60


def test_prosody_tracks_f0_and_energy():
    quiet, loud = harmonic(f0=150.0) * 0.1, harmonic(f0=220.0)
    a, b = (features.extract(s, RATE, "prosody")[60:140] for s in (quiet, loud))
    assert np.median(np.exp(a[:, 2])) == pytest.approx(150, rel=0.02)
    assert np.median(np.exp(b[:, 2])) == pytest.approx(220, rel=0.02)
    assert np.median(b[:, 0] - a[:, 0]) == pytest.approx(np.log(10), abs=0.05)  # ×10 louder


def test_mfcc_deltas_vanish_on_a_steady_sound():
    x = features.extract(harmonic(seconds=4.0), RATE, "mfcc")[20:-20]
    assert np.abs(x[:, 20:]).max() < 0.05 * np.abs(x[:, :20]).max()


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="'chroma' is unknown"):
        features.extract(harmonic(), RATE, "chroma")


def test_standardizer_sees_only_what_it_is_fitted_on():
    rng = np.random.default_rng(0)
    train = rng.normal(2.0, 3.0, (50, 201, 4)).astype(np.float32)
    val = rng.normal(-5.0, 0.5, (20, 201, 4)).astype(np.float32)
    scaler = features.Standardizer().fit(train)
    np.testing.assert_allclose(scaler.mean, train.mean(axis=(0, 1)), rtol=1e-4)
    np.testing.assert_allclose(scaler.std, train.std(axis=(0, 1)), rtol=1e-3)
    z = scaler.transform(val)  # transformed with train statistics: not centred
    assert np.abs(z.mean()) > 2 and z.dtype == np.float32
    chunked = features.Standardizer().fit(np.array_split(train, 7))
    np.testing.assert_allclose(chunked.mean, scaler.mean, rtol=1e-5)
    restored = features.Standardizer.from_dict(scaler.to_dict())
    np.testing.assert_array_equal(restored.transform(val), z)
    with pytest.raises(RuntimeError, match="before fit"):
        features.Standardizer().transform(val)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 10, 15, 16, 17])
def test_fix_length_plan_says_what_fix_length_does(n):
    x = np.arange(1, n + 1, dtype=np.float32)
    plan = features.fix_length_plan(n, 8)
    expected = np.pad(x[plan.start:plan.stop], (plan.pad_left, plan.pad_right))
    np.testing.assert_array_equal(features.fix_length(x, 8), expected)
    assert plan.stop - plan.start + plan.pad_left + plan.pad_right == 8
    assert abs(plan.start - (n - plan.stop)) <= 1 and abs(plan.pad_left - plan.pad_right) <= 1


def _librosa_logmel(audio, f):
    import librosa

    mel = librosa.feature.melspectrogram(y=audio, sr=f.sample_rate, n_fft=f.n_fft,
                                         hop_length=f.hop_length, n_mels=f.n_mels)
    return np.log(mel + 1e-10).T


@pytest.mark.parametrize("n", [64000, 63999, 48000, 1000])
def test_logmel_equals_librosa_bit_for_bit(n):
    # features.power_spectrogram stands in for librosa.stft (to keep predict's cold start short);
    # the cached tensors must not change by a single bit.
    f = config.get_config().features
    rng = np.random.default_rng(n)
    audio = (0.1 * rng.standard_normal(n) + 0.3 * np.sin(np.arange(n) * 0.05)).astype(np.float32)
    ours = features.logmel(audio, f)
    assert ours.shape == (1 + n // f.hop_length, f.n_mels)
    np.testing.assert_array_equal(ours, _librosa_logmel(audio, f))


def test_logmel_equals_librosa_on_real_speech(ravdess_dir):
    from bcser_utils.audio import audio_input

    f = config.get_config().features
    for path in sorted(ravdess_dir.glob("Actor_0[1-4]/*"))[::30]:
        audio, rate = audio_input.load_audio(path, sample_rate=f.sample_rate)
        audio = features.fix_length(audio, features.n_samples(f))
        np.testing.assert_array_equal(features.logmel(audio, f), _librosa_logmel(audio, f),
                                      err_msg=str(path))
