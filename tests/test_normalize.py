import numpy as np
import pytest

from bcser_utils import config
from bcser_utils.audio import audio_input, features, normalize, ravdess

CFG = config.get_config("quick")


def test_each_speaker_ends_with_zero_mean_and_unit_variance_per_feature():
    rng = np.random.default_rng(0)
    speakers = np.repeat([1, 2, 3], [5, 7, 4])
    x = rng.normal(size=(16, 30, 6)) * rng.uniform(0.5, 3, (1, 1, 6)) \
        + np.array([0.0, 5.0, -9.0])[speakers - 1, None, None]
    z = normalize.standardize_groups(x, speakers)
    for speaker in (1, 2, 3):
        own = z[speakers == speaker].reshape(-1, 6)
        np.testing.assert_allclose(own.mean(0), 0, atol=1e-5)
        np.testing.assert_allclose(own.std(0), 1, atol=1e-3)


def test_an_affine_change_of_one_speaker_changes_nothing_and_labels_are_not_needed():
    rng = np.random.default_rng(1)
    speakers = np.repeat([4, 9], 10)
    x = rng.normal(size=(20, 88))  # e.g. eGeMAPS functionals, one row per clip
    changed = x.copy()
    changed[speakers == 9] = 2.5 * changed[speakers == 9] - 7.0  # a gain / offset on speaker 9
    np.testing.assert_allclose(normalize.standardize_groups(changed, speakers),
                               normalize.standardize_groups(x, speakers), atol=1e-4)


def test_a_constant_gain_on_all_of_a_speakers_clips_changes_nothing_once_floored(ravdess_dir):
    clips = ravdess.catalog(ravdess_dir, actors=(3,), warn=False).head(6)
    audio = [audio_input.load_audio(p, sample_rate=16_000)[0] for p in clips.path]
    quiet = np.stack([features.extract(a, 16_000) for a in audio])
    loud = np.stack([features.extract(2.0 * a, 16_000) for a in audio])
    np.testing.assert_allclose(loud.max(axis=(1, 2)) - quiet.max(axis=(1, 2)), 2 * np.log(2),
                               atol=1e-3)  # a gain is an offset of 2 ln g in log power

    def speaker_normalised(x, top_db):
        return normalize.standardize_groups(normalize.floor_db(x, top_db), np.ones(len(x)))

    # equal up to the cache's + 1e-10 inside the log, felt only just above the floor
    np.testing.assert_allclose(speaker_normalised(loud, 80), speaker_normalised(quiet, 80),
                               atol=0.03)
    # Without the floor, the digital silence of the padding stays at ln(1e-10) whatever the gain:
    padded = quiet.min() < -22  # at least one clip is padded to the 4 s window
    if padded:
        gap = np.abs(speaker_normalised(loud, None) - speaker_normalised(quiet, None)).max()
        assert gap > 0.05


def test_the_floor_sits_top_db_below_each_clips_maximum():
    x = np.array([[[0.0, -50.0], [-3.0, -23.0]], [[-10.0, -11.0], [-40.0, -12.0]]])
    floored = normalize.floor_db(x, 80)
    drop = 80 / normalize.DB_PER_LN  # 18.42 in ln units
    np.testing.assert_allclose(floored[0], [[0.0, -drop], [-3.0, -drop]], rtol=1e-6)
    np.testing.assert_allclose(floored[1], [[-10.0, -11.0], [-10 - drop, -12.0]], rtol=1e-6)
    assert normalize.floor_db(x, None) is x


def test_utterance_standardisation_uses_each_clip_alone():
    rng = np.random.default_rng(2)
    x = rng.normal(3, 2, size=(4, 50, 8)).astype(np.float32)
    z = normalize.standardize_utterances(x)
    np.testing.assert_allclose(z.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=1), 1, atol=1e-3)
    np.testing.assert_allclose(normalize.standardize_utterances(x[2]), z[2], rtol=1e-6)


def test_the_normalizer_applies_each_speakers_own_statistics():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, (6, 20, 4)), rng.normal(10, 3, (5, 20, 4))
    norm = normalize.Normalizer("speaker").fit(np.concatenate([a, b]))
    norm.add_speaker(1, a).add_speaker(2, b)
    mixed = np.concatenate([b[:2], a[:3]])
    out = norm.transform(mixed, [2, 2, 1, 1, 1])
    np.testing.assert_allclose(out[:2], features.Standardizer().fit(b).transform(b[:2]),
                               rtol=1e-5)
    np.testing.assert_allclose(norm.transform(a[0], [1]), out[2], rtol=1e-6)
    with pytest.raises(KeyError, match=r"speaker\(s\) \[7\]"):
        norm.transform(mixed, [7, 2, 1, 1, 1])
    with pytest.raises(ValueError, match="needs the speaker"):
        norm.transform(mixed)
    single = norm.single_clip()  # one clip of an unknown speaker: the training statistics
    assert single.mode == "global"
    np.testing.assert_allclose(single.transform(b[0]), norm.standardizer.transform(b[0]))


def test_global_mode_is_the_plain_standardizer_and_survives_a_round_trip():
    x = np.random.default_rng(4).normal(2, 3, (10, 20, 4)).astype(np.float16)
    norm = normalize.Normalizer().fit(x)
    plain = features.Standardizer().fit(x)
    np.testing.assert_array_equal(norm.transform(x), plain.transform(x))
    again = normalize.Normalizer.from_dict(norm.to_dict())
    np.testing.assert_array_equal(again.transform(x), norm.transform(x))
    with pytest.raises(ValueError, match="'per-clip'"):
        normalize.Normalizer("per-clip")


def test_scalar_mode_keeps_the_spectral_shape_that_per_band_standardisation_removes():
    rng = np.random.default_rng(5)
    tilt = np.linspace(0, -12, 8)  # a filter's per-band offset (ln units)
    x = (rng.normal(size=(30, 40, 8)) + tilt).astype(np.float32)
    scalar = normalize.Normalizer("scalar").fit(x)
    per_band = normalize.Normalizer("global").fit(x)
    z = scalar.transform(x)
    assert abs(z.mean()) < 1e-4 and abs(z.std() - 1) < 1e-3  # standardised as a whole
    np.testing.assert_allclose(z.mean(axis=(0, 1)) - z.mean(axis=(0, 1))[0],
                               (tilt - tilt[0]) / x.std(), atol=0.05)  # the tilt survives
    np.testing.assert_allclose(per_band.transform(x).mean(axis=(0, 1)), 0, atol=1e-4)
