import json
import warnings

import numpy as np
import pytest
from sklearn import metrics

from bcser_utils.learn import evaluation

EMOTIONS = ["a", "b", "c"]
Y = np.array([0, 0, 1, 1, 2, 2, 2, 0])
P = np.array([[0.8, 0.1, 0.1], [0.4, 0.5, 0.1], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1],
              [0.1, 0.2, 0.7], [0.3, 0.3, 0.4], [0.6, 0.2, 0.2], [0.5, 0.25, 0.25]])


@pytest.fixture(scope="module")
def result():
    return evaluation.evaluate(Y, P, EMOTIONS)


def test_headline_metrics_against_hand_computation(result):
    predicted = np.array([0, 1, 1, 1, 2, 2, 0, 0])
    assert result["accuracy"] == pytest.approx(6 / 8)
    recalls = [2 / 3, 2 / 2, 2 / 3]
    assert result["balanced_accuracy"] == pytest.approx(np.mean(recalls))
    assert result["mcc"] == pytest.approx(metrics.matthews_corrcoef(Y, predicted))
    assert result["confusion"] == [[2, 1, 0], [0, 2, 0], [1, 0, 2]]
    np.testing.assert_allclose(result["confusion_normalized"][0], [2 / 3, 1 / 3, 0])
    assert result["report"]["b"]["precision"] == pytest.approx(2 / 3)


def test_iou_is_tp_over_tp_fp_fn(result):
    # class a: TP 2, FP 1 (clip 6), FN 1 (clip 1) → 2/4; b: TP 2, FP 1, FN 0 → 2/3; c: 2/3
    assert [result["iou"][e] for e in EMOTIONS] == pytest.approx([0.5, 2 / 3, 2 / 3])
    assert result["mean_iou"] == pytest.approx((0.5 + 4 / 3) / 3)


def test_mse_is_the_brier_score(result):
    onehot = np.eye(3)[Y]
    assert result["mse"]["a"] == pytest.approx(((onehot[:, 0] - P[:, 0]) ** 2).mean())
    assert result["mse_overall"] == pytest.approx(((onehot - P) ** 2).mean())
    multiclass_brier = ((onehot - P) ** 2).sum(1).mean()  # the other common convention
    assert result["mse_overall"] == pytest.approx(multiclass_brier / 3)


def test_log_losses_per_class_and_overall(result):
    assert result["log_loss_overall"] == pytest.approx(-np.mean(np.log(P[np.arange(8), Y])))
    b = (Y == 1).astype(float)
    expected_b = -np.mean(b * np.log(P[:, 1]) + (1 - b) * np.log(1 - P[:, 1]))
    assert result["log_loss"]["b"] == pytest.approx(expected_b)


def test_auc_and_roc_per_class(result):
    assert result["auc"]["a"] == pytest.approx(metrics.roc_auc_score(Y == 0, P[:, 0]))
    roc = result["roc"]["c"]
    assert roc["fpr"][0] == 0 and roc["tpr"][-1] == 1


def test_result_is_json_ready(result, tmp_path):
    path = evaluation.save_json(result, tmp_path / "m.json")
    assert json.loads(path.read_text())["accuracy"] == pytest.approx(0.75)


def test_bootstrap_interval_brackets_the_estimate_and_narrows_with_data():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 2000)
    p = np.full((2000, 3), 0.1)
    right = rng.random(2000) < 0.7
    p[np.arange(2000), np.where(right, y, (y + 1) % 3)] = 0.8
    low, high = evaluation.bootstrap_ci(y, p, n_boot=300)
    assert low < 0.7 < high and high - low < 0.05
    small = evaluation.bootstrap_ci(y[:100], p[:100], n_boot=300)
    assert small[1] - small[0] > 2 * (high - low)
    by_actor = evaluation.bootstrap_ci(y, p, n_boot=300, groups=np.arange(2000) % 10)
    assert by_actor[0] <= 0.7 <= by_actor[1]


def test_paired_difference_is_narrower_than_two_separate_intervals():
    rng = np.random.default_rng(2)
    n = 1000
    y = rng.integers(0, 4, n)
    a_right = rng.random(n) < 0.6
    b_right = a_right & (rng.random(n) < 0.9)  # B errs where A errs, and on a few clips more:
    # what the two share (which clips are hard) cancels in a pair, not in two separate intervals

    def probabilities(right):
        p = np.full((n, 4), 0.1)
        p[np.arange(n), np.where(right, y, (y + 1) % 4)] = 0.7
        return p

    a, b = probabilities(a_right), probabilities(b_right)
    paired = evaluation.paired_difference(y, a, b, n_boot=400)
    assert paired["difference"] == pytest.approx(a_right.mean() - b_right.mean())
    assert paired["a"] - paired["b"] == pytest.approx(paired["difference"])
    low, high = paired["ci95"]
    assert 0 < low < paired["difference"] < high  # A is better, and the pair shows it
    separate = [evaluation.bootstrap_ci(y, p, n_boot=400) for p in (a, b)]
    assert high - low < 0.6 * min(h - lo for lo, h in separate)
    same = evaluation.paired_difference(y, a, a, n_boot=50)
    assert same["difference"] == 0 and same["ci95"] == (0.0, 0.0)
    by_actor = evaluation.paired_difference(y, a, b, n_boot=200, groups=np.arange(n) % 8)
    assert by_actor["ci95"][0] <= paired["difference"] <= by_actor["ci95"][1]
    with pytest.raises(ValueError, match="same clips"):
        evaluation.paired_difference(y, a, b[:-1])


def test_calibration_of_a_perfectly_calibrated_model_has_small_ece():
    rng = np.random.default_rng(1)
    confidence = rng.uniform(0.4, 1.0, 20000)
    y = np.zeros(20000, dtype=int)
    correct = rng.random(20000) < confidence
    p = np.stack([confidence, 1 - confidence], axis=1)
    y[~correct] = 1
    assert evaluation.calibration(y, p)["ece"] < 0.02
    overconfident = np.stack([np.full(20000, 0.99), np.full(20000, 0.01)], axis=1)
    assert evaluation.calibration(y, overconfident)["ece"] > 0.2


def test_pooled_calibration_equals_calibration_of_the_pooled_clips():
    # P3 pools its folds from each run's bins; that must be the calibration of all clips at once.
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.full(8, 0.5), 900)
    y = rng.integers(0, 8, 900)
    parts = [slice(0, 240), slice(240, 250), slice(250, 900)]  # unequal, one nearly empty
    pooled = evaluation.pooled_calibration(evaluation.calibration(y[s], p[s]) for s in parts)
    whole = evaluation.calibration(y, p)
    assert pooled["ece"] == pytest.approx(whole["ece"], abs=1e-12)
    for a, b in zip(pooled["bins"], whole["bins"], strict=True):
        assert a["count"] == b["count"]
        if b["count"]:
            assert a["confidence"] == pytest.approx(b["confidence"])
            assert a["accuracy"] == pytest.approx(b["accuracy"])
        else:
            assert a["confidence"] is None and a["accuracy"] is None


def test_paper_table_puts_the_papers_numbers_beside_ours(result):
    table = evaluation.paper_table(evaluation.evaluate(
        np.arange(8).repeat(3), np.eye(8).repeat(3, axis=0) * 0.9 + 0.1 / 8))
    assert table.loc["validation accuracy", "paper"] == 0.9551
    assert table.loc["validation accuracy", "ours"] == 1.0
    assert table.loc["F1 neutral", "paper"] == 0.95


@pytest.mark.parametrize("case", ["random", "one_class_predicted", "class_missing", "perfect"])
def test_fast_bootstrap_scorers_equal_sklearn(case):
    # The bootstrap's numpy scorers must give sklearn's numbers, degenerate draws included.
    rng = np.random.default_rng(7)
    y = rng.integers(0, 8, 300)
    p = rng.random((300, 8))
    if case == "one_class_predicted":
        p[:, 3] += 10
    elif case == "class_missing":
        y[y == 5] = 4
    elif case == "perfect":
        p = np.eye(8)[y]
    pred = p.argmax(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns about classes absent from y_true
        expected = {"accuracy": metrics.accuracy_score(y, pred),
                    "balanced_accuracy": metrics.balanced_accuracy_score(y, pred),
                    "mcc": metrics.matthews_corrcoef(y, pred)}
    for name, value in expected.items():
        assert evaluation._SCALAR[name](y, p) == pytest.approx(value, abs=1e-12), name

