"""The classical baseline: eGeMAPS v02 functionals and a linear model, on the deep model's folds."""

import numpy as np
import pytest

from bcser_utils import config
from bcser_utils.audio import features
from bcser_utils.learn import pipeline, splits
from bcser_utils.studies import baseline

F = config.get_config().features


def harmonic(f0: float, seconds: float = 2.0, rate: int = 16_000, gain: float = 0.1):
    """A voiced-like tone: 10 harmonics of f0 with falling amplitude."""
    t = np.arange(int(seconds * rate)) / rate
    return gain * sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 11)).astype(np.float32)


def test_egemaps_has_88_finite_functionals_and_follows_pitch_and_loudness():
    names = features.egemaps_names()
    assert len(names) == features.N_EGEMAPS == 88 and names[0].startswith("F0semitone")
    low, high = (features.extract(harmonic(f0), 16_000, "egemaps") for f0 in (120.0, 240.0))
    assert low.shape == (1, 88) and low.dtype == np.float32 and np.isfinite(low).all()
    f0_mean = names.index("F0semitoneFrom27.5Hz_sma3nz_amean")
    # the F0 functional is in semitones above 27.5 Hz: 12·log2(f0 / 27.5)
    assert low[0, f0_mean] == pytest.approx(12 * np.log2(120 / 27.5), abs=0.5)
    assert high[0, f0_mean] - low[0, f0_mean] == pytest.approx(12.0, abs=0.5)  # one octave
    loud = features.extract(harmonic(120.0, gain=0.4), 16_000, "egemaps")
    loudness = names.index("loudness_sma3_amean")
    assert loud[0, loudness] > 1.5 * low[0, loudness]
    assert loud[0, f0_mean] == pytest.approx(low[0, f0_mean], abs=0.2)  # pitch ignores gain
    assert features.n_frames(F, "egemaps") == 1 and features.n_features("egemaps", F) == 88


@pytest.fixture(scope="module")
def prepared(synthetic_dir, tmp_path_factory):
    cfg = baseline.config_for("quick", "speaker", versions=1)
    return pipeline.prepare(cfg, "bc", synthetic_dir, progress=False,
                            cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.mark.parametrize("classifier", baseline.CLASSIFIERS)
def test_the_baseline_predicts_the_folds_own_actors_with_probabilities(prepared, classifier):
    table = baseline.run(prepared, "P3", 0, classifier)
    train, val, test = splits.p3_actors(prepared.catalog["actor"].unique(), 0, 3)
    assert set(table[table.part == "test"].actor) == set(test)
    assert set(table[table.part == "val"].actor) == set(val)
    assert not set(table.actor) & set(train)
    assert len(table) == 60 * (len(val) + len(test))  # every original clip, once
    proba = table[list(config.get_config().emotions)].to_numpy()
    np.testing.assert_allclose(proba.sum(1), 1, atol=1e-6)
    accuracy = (proba.argmax(1) == table.y).mean()
    assert accuracy > 0.3  # the synthetic corpus's prosody follows the emotion; chance 0.125


def test_per_speaker_standardisation_removes_a_speakers_gain(prepared):
    index = prepared.cache.index
    split = pipeline.make_split(prepared, "P3", 0)
    normalizer = pipeline.fit_normalizer(prepared, split)
    actor = int(index.actor.iloc[split.test[0]])
    own = np.flatnonzero((index.actor == actor).to_numpy())
    z = normalizer.transform(prepared.cache.features[own], index.actor.to_numpy()[own])[:, 0]
    np.testing.assert_allclose(z.mean(0), 0, atol=2e-3)  # float16 cache: 3 digits
    varying = prepared.cache.features[own][:, 0].astype(float).std(0) > 1e-3
    np.testing.assert_allclose(z.std(0)[varying], 1, atol=2e-2)


def test_an_unknown_classifier_is_refused():
    with pytest.raises(ValueError, match="'tree'"):
        baseline.make_classifier("tree")


@pytest.mark.parametrize("classifier", baseline.CLASSIFIERS)
def test_a_saved_baseline_predicts_a_speakers_clips_as_the_fitted_one(prepared, classifier,
                                                                       tmp_path):
    from bcser_utils.app.predict import Classical

    model, normalizer = baseline.fit(prepared, splits.everything(prepared.cache.index), classifier)
    path = baseline.save(tmp_path / "baseline.pt", model, normalizer, prepared)
    loaded = Classical.load(path)
    assert loaded.signal == "bc" and loaded.features.kind == "egemaps"
    index, values = prepared.cache.index, prepared.cache.features
    own = np.flatnonzero((index.actor == index.actor.iloc[0]).to_numpy())
    clips = np.asarray(values[own], dtype=np.float32)
    proba = loaded.speaker_probabilities(clips)
    by_hand = normalizer.transform(clips, index.actor.to_numpy()[own])[:, 0, :]
    np.testing.assert_allclose(proba[:, model.classes_], model.predict_proba(by_hand), atol=1e-6)
    np.testing.assert_allclose(proba.sum(1), 1, atol=1e-6)


def test_a_baseline_file_with_foreign_types_or_garbage_is_refused_unread(tmp_path):
    import collections
    import pickle

    import torch

    from bcser_utils.app.predict import CheckpointError, Classical

    (tmp_path / "odd.pt").write_bytes(pickle.dumps({"classifier": collections.Counter()}))
    with pytest.raises(CheckpointError, match=r"odd\.pt: not a bcser classical model .*refused"):
        Classical.load(tmp_path / "odd.pt")
    (tmp_path / "noise.pt").write_bytes(np.random.default_rng(0).bytes(500))
    with pytest.raises(CheckpointError,
                       match=r"noise\.pt: not a (readable torch file|bcser classical model)"):
        Classical.load(tmp_path / "noise.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "deep.pt")  # a torch file, not ours
    with pytest.raises(CheckpointError, match=r"deep\.pt: not a bcser classical model"):
        Classical.load(tmp_path / "deep.pt")


@pytest.mark.parametrize("classifier", baseline.CLASSIFIERS)
def test_the_portable_classifier_gives_scikit_learns_probabilities(classifier):
    # an 8-class problem with a class of 5 (fewer calibration folds), scored on new points
    from sklearn.datasets import make_classification

    from bcser_utils.learn import classical

    x, y = make_classification(400, 88, n_informative=12, n_classes=8, weights=[0.0125] +
                               [0.99 / 7] * 7, random_state=1)
    model = baseline.make_classifier(classifier, 0, int(np.bincount(y).min())).fit(x, y)
    portable = classical.Portable(classical.export(model))
    new = np.random.default_rng(2).normal(size=(60, 88)) * 2
    np.testing.assert_array_equal(portable.classes_, model.classes_)
    np.testing.assert_allclose(portable.predict_proba(new), model.predict_proba(new),
                               rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="cannot export a dict"):
        classical.export({})
