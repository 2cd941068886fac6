"""Notebook 08's experiments, on 3 synthetic actors (originals only, 1 epoch per run)."""

import json

import numpy as np
import pandas as pd
import pytest

from bcser_utils import config
from bcser_utils.app.cli import main
from bcser_utils.audio import feature_cache, noise, ravdess
from bcser_utils.learn import evaluation, pipeline, splits
from bcser_utils.present import beyond_tables, formatting
from bcser_utils.studies import beyond


@pytest.fixture(scope="module")
def grid(synthetic_dir, tmp_path_factory):
    """`python -m bcser_utils beyond` on P3 fold 0; returns (out folder, summary)."""
    out = tmp_path_factory.mktemp("beyond")
    assert main(["beyond", "--mode", "quick", "--data", str(synthetic_dir), "--folds", "0",
                 "--versions", "1", "--epochs", "1", "--out", str(out)]) == 0
    return out, json.loads((out / "summary.json").read_text())


def test_plan_is_the_grid_of_notebook_08():
    names = [run.name for run in beyond.plan(range(5))]
    assert names[:2] == ["p1-bc-fold0", "p2-bc-fold0"]
    assert {f"p3-{s}-fold{k}" for s in ("ac", "bc") for k in range(5)} <= set(names)
    assert names[-5:] == [f"p3-bc-fold{k}-ls0" for k in range(5)] and len(names) == 17
    assert beyond.run_spec("P3", "bc", 0, 0.0).config("quick").training.label_smoothing == 0.0
    assert beyond.run_spec("P3").config("quick").training.label_smoothing == 0.1


def test_every_run_is_trained_once_and_recorded(grid):
    out, summary = grid
    assert set(summary["runs"]) == {"p1-bc-fold0", "p2-bc-fold0", "p3-bc-fold0", "p3-ac-fold0",
                                    "p3-bc-fold0-ls0"}
    assert summary["runs"]["p3-bc-fold0-ls0"]["label_smoothing"] == 0.0
    assert json.loads((out / "p3-bc-fold0-ls0" / "run.json").read_text())[
        "label_smoothing"] == 0.0
    assert summary["synthetic"] and "SYNTHETIC" in summary["source"]
    assert summary["command"].startswith("python -m bcser_utils beyond --mode quick --folds 0")
    # A second call reads everything back: no run is trained again.
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("*/model.pt")}
    again = beyond.beyond("quick", summary_corpus(out), out, [0], max_epochs=1,
                               overrides={"augment.n_versions": 1}, n_boot=50, progress=False)
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/model.pt")} == stamps
    assert again["runs"]["p3-bc-fold0"]["accuracy"] == summary["runs"]["p3-bc-fold0"]["accuracy"]


def test_further_seeds_train_the_p3_grid_again(grid):
    out, summary = grid
    again = beyond.beyond("quick", summary_corpus(out), out, [0], max_epochs=1,
                               overrides={"augment.n_versions": 1}, n_boot=50, progress=False,
                               seeds=[0, 1])
    assert [s["seed"] for s in again["seeds"]] == [0, 1]
    assert again["seeds"][0]["ac_vs_bc"] == again["ac_vs_bc"]  # seed 0 is the main grid
    for signal in ("bc", "ac"):
        run = json.loads((out / "seed1" / f"p3-{signal}-fold0" / "run.json").read_text())
        assert run["seed"] == 1 and run["fold"] == 0 and run["signal"] == signal
    # Another seed is another model (own augmentations, weights, batch order): other outputs.
    seed0 = pd.read_csv(out / "robustness-fold0.csv")
    seed1 = pd.read_csv(out / "seed1" / "robustness-fold0.csv")
    assert (seed0["name"] == seed1["name"]).all()
    assert not np.allclose(seed0[list(config.get_config().emotions)],
                           seed1[list(config.get_config().emotions)])


def test_smoothing_effect_pools_the_folds_test_clips():
    rng = np.random.default_rng(5)
    runs = {}
    for k, n in ((0, 240), (1, 60)):
        for name in (f"p3-bc-fold{k}", f"p3-bc-fold{k}-ls0"):
            p, y = rng.dirichlet(np.ones(8), n), rng.integers(0, 8, n)
            runs[name] = {"n": n, "accuracy": float((p.argmax(1) == y).mean()), "y": y, "p": p,
                          "log_loss": float(rng.uniform(1, 2)), "best_epoch": 1,
                          "ece": 0.0, "calibration": evaluation.calibration(y, p)}
    runs["p3-bc-fold2"] = runs["p3-bc-fold0"]  # no ε = 0 partner: left out
    effect = beyond.smoothing_effect(runs)
    assert effect["folds"] == [0, 1]
    for key, tail in (("smoothed", ""), ("plain", "-ls0")):
        y = np.concatenate([runs[f"p3-bc-fold{k}{tail}"]["y"] for k in (0, 1)])
        p = np.concatenate([runs[f"p3-bc-fold{k}{tail}"]["p"] for k in (0, 1)])
        assert effect[key]["n"] == 300
        assert effect[key]["accuracy"] == pytest.approx((p.argmax(1) == y).mean())
        assert effect[key]["calibration"]["ece"] == pytest.approx(
            evaluation.calibration(y, p)["ece"])
    assert beyond.smoothing_effect({"p3-bc-fold0": runs["p3-bc-fold0"]}) is None


def summary_corpus(out):
    return json.loads((out / "p3-bc-fold0" / "run.json").read_text())["data"]


def test_leakage_is_total_under_p1_and_absent_under_p3(synthetic_dir):
    cfg = config.get_config("quick")
    catalog = ravdess.catalog(synthetic_dir, warn=False)
    index = beyond.version_index(catalog, 15)
    leak = beyond.leakage(index, cfg)
    # 15 versions: a P1 validation clip lacks a sibling in training only if all 14 others also
    # went to validation (≈ 0.2^14).
    assert leak.loc["P1", "sibling_fraction"] > 0.99
    assert leak.loc["P1", "actor_fraction"] == leak.loc["P2", "actor_fraction"] == 1.0
    assert leak.loc["P2", "sibling_in_training"] == 0
    assert leak.loc["P3", ["sibling_in_training", "actor_in_training"]].sum() == 0
    assert leak.loc["P3", "clips"] == (catalog["actor"] == 1).sum()  # fold 0 tests actor 1


def test_version_index_is_the_cache_index(synthetic_dir, tmp_path):
    cfg = config.get_config("quick")
    recordings = ravdess.catalog(synthetic_dir, warn=False).sample(6, random_state=0)
    cache = feature_cache.build(recordings, cfg, signal="ac", n_versions=3, cache_dir=tmp_path,
                          workers=1, progress=False)
    made = beyond.version_index(recordings, 3)
    pd.testing.assert_frame_equal(made, cache.index[made.columns], check_dtype=False)


def test_clean_condition_reproduces_the_cached_test_predictions(grid, synthetic_dir):
    # The noise test builds features from audio; with no noise they must be the cache's tensors,
    # so the model's clean accuracy is exactly the run's test accuracy.
    out, summary = grid
    cfg = config.get_config("quick", overrides={"augment.n_versions": 1})
    robust = pd.read_csv(out / "robustness-fold0.csv")
    for signal in ("bc", "ac"):
        prepared = pipeline.prepare(cfg, signal, synthetic_dir, progress=False)
        split = pipeline.make_split(prepared, "P3", 0)
        from bcser_utils.app.predict import Predictor

        model = Predictor.load(out / f"p3-{signal}-fold0" / "model.pt")
        cached = pipeline.predict_rows(model, prepared.cache, split.test)
        names = prepared.cache.index["name"].to_numpy()[split.test]
        clean = robust[(robust["signal"] == signal) & (robust["kind"] == "clean")]
        clean = clean.set_index("name").loc[names, list(cfg.emotions)].to_numpy()
        np.testing.assert_allclose(clean, cached, rtol=1e-5, atol=1e-6)
        assert summary["p3"][signal]["accuracy"] == pytest.approx(
            summary["runs"][f"p3-{signal}-fold0"]["accuracy"])


def test_noise_conditions_and_pairing(grid):
    out, summary = grid
    robust = pd.read_csv(out / "robustness-fold0.csv")
    conditions = robust.groupby(["signal", "kind", "snr_db"]).size()
    assert len(conditions) == 2 * (1 + len(noise.KINDS) * len(beyond.SNRS_DB))
    assert conditions.nunique() == 1  # every model hears every test clip in every condition
    assert set(robust["actor"]) == {1}
    rows = {(r["kind"], r["snr_db"]): r for r in summary["ac_vs_bc"]}
    for r in rows.values():
        assert r["difference"] == pytest.approx(r["bc"] - r["ac"])
        assert r["ci95"][0] <= r["difference"] <= r["ci95"][1]


def test_noise_is_drawn_once_per_clip_and_condition():
    a = beyond.noise_seed(0, "03-01-01-01-01-01-01", "white", 10)
    assert a == beyond.noise_seed(0, "03-01-01-01-01-01-01", "white", 10)
    others = [beyond.noise_seed(0, "03-01-01-01-01-01-02", "white", 10),
              beyond.noise_seed(0, "03-01-01-01-01-01-01", "speech_shaped", 10),
              beyond.noise_seed(0, "03-01-01-01-01-01-01", "white", 5),
              beyond.noise_seed(1, "03-01-01-01-01-01-01", "white", 10)]
    assert all(o != a for o in others)
    audio = np.sin(np.arange(48_000) * 0.05).astype(np.float32)
    noisy = noise.add_noise(audio, 48_000, 10, "white", a)
    assert noise.measured_snr_db(audio, noisy) == pytest.approx(10, abs=0.01)


def test_ac_vs_bc_is_bc_minus_ac_on_the_same_clips():
    emotions = config.get_config().emotions
    n = 40
    y = np.arange(n) % 8
    right, wrong = np.eye(8)[y], np.eye(8)[(y + 1) % 8]

    def table(signal, proba):
        t = pd.DataFrame(proba, columns=emotions)
        return t.assign(signal=signal, kind="clean", snr_db=np.inf, name=[f"c{i:02d}" for i in
                                                                         range(n)],
                        actor=np.arange(n) % 4 + 1, y=y, fold=0)

    bc_correct = np.arange(n) < 30  # BC right on 30 clips, AC on 10 of the same clips
    ac_correct = np.arange(n) < 10
    robust = pd.concat([table("bc", np.where(bc_correct[:, None], right, wrong)),
                        table("ac", np.where(ac_correct[:, None], right, wrong))])
    (clean,) = beyond.ac_vs_bc(robust, emotions, n_boot=200)
    assert (clean["bc"], clean["ac"], clean["difference"]) == (0.75, 0.25, 0.5)
    assert 0 < clean["ci95"][0] <= 0.5 <= clean["ci95"][1]
    robust.loc[robust["signal"] == "ac", "y"] = (y + 1) % 8  # not the same clips any more
    with pytest.raises(ValueError, match="same clips"):
        beyond.ac_vs_bc(robust, emotions, n_boot=10)


def test_p3_actors_are_disjoint_and_cover_the_corpus():
    actors = list(range(1, 21))
    tested = []
    for fold in range(5):
        train, val, test = splits.p3_actors(actors, fold, 5)
        assert not (set(train) & set(val) or set(train) & set(test) or set(val) & set(test))
        assert sorted(train + val + test) == actors and len(test) == 4
        tested += test
    assert sorted(tested) == actors  # every actor is a test actor exactly once


def test_headline_table_has_every_result(grid):
    _, summary = grid
    table = beyond_tables.headline_table(summary)
    assert {"P1 BC", "P2 BC", "P3 BC, fold 1", "P3 AC, fold 1",
            "P3 BC, fold 1, label smoothing 0"} <= set(table.index)
    assert table.loc["P3 BC − AC (paired), 1 of 3 folds pooled", "accuracy"] == pytest.approx(
        summary["p3"]["bc"]["accuracy"] - summary["p3"]["ac"]["accuracy"])


def test_every_noise_condition_has_one_name_in_sentences_tables_and_figures(grid):
    from bcser_utils.present import comparison_plots

    _, summary = grid
    assert formatting.condition_label("clean", float("inf")) == "clean"
    assert formatting.condition_label("speech_shaped", 20.0) == "speech-shaped noise at 20 dB"
    said = beyond_tables.findings(summary)
    for row in summary["ac_vs_bc"]:
        if row["kind"] != "clean" and row["snr_db"] in (max(beyond.SNRS_DB),
                                                         min(beyond.SNRS_DB)):
            assert f"- {formatting.condition_label(row['kind'], row['snr_db'])} SNR:" in said
    fig = comparison_plots.seed_differences(
        {**summary, "seeds": [{"seed": 0, "folds": summary["folds"],
                               "ac_vs_bc": summary["ac_vs_bc"]}]})
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == [formatting.condition_label(r["kind"], r["snr_db"])
                     for r in summary["ac_vs_bc"]]
