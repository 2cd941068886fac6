import numpy as np
import pandas as pd
import pytest

from bcser_utils.audio.names import expected_names
from bcser_utils.learn import splits

VERSIONS = 15


@pytest.fixture(scope="module")
def index():
    """A cache index for 10 actors × 60 recordings × 15 versions, with Actor_07's identical pair."""
    rows = []
    for name in expected_names(range(1, 11)):
        dup = 0 if name.stem in ("03-01-03-01-02-01-07", "03-01-03-01-02-02-07") else -1
        rows += [{"name": name.stem, "actor": name.actor, "emotion": name.emotion_name,
                  "duplicate_group": dup, "version": v} for v in range(VERSIONS)]
    return pd.DataFrame(rows)


def sides(index, split, rows):
    return set(index.name[rows])


def assert_partition(split, n):
    parts = [split.train, split.val, split.test]
    assert sum(len(p) for p in parts) <= n
    for a in range(3):
        for b in range(a + 1, 3):
            assert not set(parts[a]) & set(parts[b])


def test_p1_splits_versions_and_leaks(index):
    split = splits.p1(index, 0.2, seed=0)
    assert_partition(split, len(index))
    assert len(split.val) == pytest.approx(0.2 * len(index), abs=VERSIONS)
    assert len(split.train) + len(split.val) == len(index)
    val_share = index.emotion[split.val].value_counts(normalize=True)
    all_share = index.emotion.value_counts(normalize=True)
    assert (val_share - all_share).abs().max() < 0.01  # stratified
    assert splits.siblings_in_training(index, split).mean() > 0.95  # nearly every clip leaks


def test_p2_splits_recordings_and_validates_on_originals(index):
    split = splits.p2(index, 0.2, seed=0)
    assert_partition(split, len(index))
    assert not sides(index, split, split.train) & sides(index, split, split.val)
    assert (index.version[split.val] == 0).all()
    assert len(split.val) == pytest.approx(0.2 * 600, abs=2)
    assert not splits.siblings_in_training(index, split).any()


def test_p3_is_actor_disjoint_with_separate_early_stopping_actors(index):
    seen_test = []
    for fold in range(5):
        split = splits.p3(index, fold, n_folds=5)
        assert_partition(split, len(index))
        actors = [set(index.actor[rows]) for rows in (split.train, split.val, split.test)]
        assert not actors[0] & actors[1] and not actors[0] & actors[2]
        assert not actors[1] & actors[2] and len(actors[2]) == len(actors[1]) == 2
        assert {a % 2 for a in actors[2]} == {0, 1}  # a male and a female test actor
        assert (index.version[split.test] == 0).all() and (index.version[split.val] == 0).all()
        seen_test += sorted(actors[2])
    assert sorted(seen_test) == list(range(1, 11))  # every actor is tested exactly once


def test_the_identical_pair_always_lands_on_one_side(index):
    pair = index.name.isin(["03-01-03-01-02-01-07", "03-01-03-01-02-02-07"]).to_numpy()
    for seed in range(20):
        for split in (splits.p1(index, seed=seed), splits.p2(index, seed=seed)):
            train = np.isin(np.flatnonzero(pair), split.train)
            in_val = np.isin(np.flatnonzero(pair), split.val)
            by_version = pd.DataFrame({"v": index.version[pair], "train": train})
            assert by_version.groupby("v").train.nunique().max() == 1
            if split.protocol == "P2":
                assert train.all() or not train.any()
            assert not (train & in_val).any()


def test_splits_are_reproducible_and_seeded(index):
    a, b, c = splits.p2(index, seed=1), splits.p2(index, seed=1), splits.p2(index, seed=2)
    assert np.array_equal(a.val, b.val) and not np.array_equal(a.val, c.val)


def test_too_few_actors_for_p3_is_a_clear_error(index):
    with pytest.raises(ValueError, match="3 ≤ folds ≤ actors"):
        splits.p3(index[index.actor <= 2], n_folds=3)


def test_everything_trains_on_every_row_and_holds_nothing_out():
    index = pd.DataFrame({"actor": [1, 1, 2], "version": [0, 1, 0]})
    split = splits.everything(index)
    assert list(split.train) == [0, 1, 2] and len(split.val) == len(split.test) == 0
    assert split.protocol == "ALL" and "ALL" in splits.PROTOCOLS
