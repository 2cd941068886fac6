"""When a prediction is a verdict: the threshold of beyond.confidence, and what it measures."""

import numpy as np
import pandas as pd
import pytest

from bcser_utils import config
from bcser_utils.studies import beyond

EMOTIONS = config.get_config().emotions


def test_the_threshold_is_where_being_right_becomes_likelier_than_being_wrong():
    rng = np.random.default_rng(0)
    top = rng.uniform(0.15, 0.95, 4000)
    right = rng.uniform(size=top.size) < 1 / (1 + np.exp(-12 * (top - 0.55)))
    assert beyond.uncertain_below(top, right) == pytest.approx(0.55, abs=0.03)


def test_a_model_never_more_often_right_than_wrong_is_always_uncertain():
    top = np.linspace(0.2, 0.9, 50)
    assert beyond.uncertain_below(top, np.zeros(50, bool)) == 1.0
    assert beyond.uncertain_below(top, np.ones(50, bool)) == 1 / 8


def _predictions(rng, n, part, skill):
    """n clips whose top probability tells how likely the predicted emotion is right."""
    y = rng.integers(0, 8, n)
    top = rng.uniform(0.2, 0.95, n)
    right = rng.uniform(size=n) < (top if skill else 0.1)
    guess = np.where(right, y, (y + rng.integers(1, 8, n)) % 8)
    proba = np.repeat(((1 - top) / 7)[:, None], 8, axis=1)
    proba[np.arange(n), guess] = top
    return pd.DataFrame(proba, columns=EMOTIONS).assign(part=part, y=y, actor=1)


def test_coverage_and_accuracy_are_measured_on_the_test_actors_only(tmp_path):
    rng = np.random.default_rng(1)
    folders = []
    for k in range(2):
        folder = tmp_path / f"p3-bc-fold{k}"
        folder.mkdir()
        pd.concat([_predictions(rng, 300, "val", skill=True),
                   _predictions(rng, 200, "test", skill=True)]).to_csv(
            folder / "predictions.csv", index=False)
        folders.append(folder)
    result = beyond.confidence(folders, EMOTIONS)
    assert result["n_val"] == 600 and result["n_test"] == 400
    assert result["uncertain_below"] == pytest.approx(0.5, abs=0.08)  # P(right) = top here
    assert result["accuracy_sure"] > result["accuracy_all"] > result["accuracy_uncertain"]
    curve = pd.DataFrame(result["curve"])
    assert curve["coverage"].is_monotonic_decreasing and curve["coverage"].iloc[0] == 1.0
    at = curve.iloc[(curve["threshold"] - result["uncertain_below"]).abs().argmin()]
    assert at["coverage"] == pytest.approx(result["coverage"], abs=0.05)
