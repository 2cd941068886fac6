"""Train a tiny model end to end on the synthetic corpus, then use it from the command line."""

import json

import numpy as np
import pytest
import soundfile as sf

from bcser_utils import config
from bcser_utils.app.cli import main
from bcser_utils.app.predict import Predictor, predict_files

EMOTIONS = config.get_config().emotions


@pytest.fixture(scope="module")
def run(synthetic_dir, tmp_path_factory):
    """`python -m bcser_utils train` on 3 synthetic actors, 2 versions each, 6 epochs (≈ 5 s)."""
    folder = tmp_path_factory.mktemp("run")
    assert main(["train", "--protocol", "P2", "--mode", "quick", "--data", str(synthetic_dir),
                 "--versions", "2", "--epochs", "6", "--out", str(folder)]) == 0
    return folder


def test_train_writes_a_complete_run_folder(run):
    summary = json.loads((run / "metrics.json").read_text())
    assert summary["protocol"] == "P2" and summary["synthetic"] and summary["mode"] == "quick"
    assert "SYNTHETIC" in summary["source"]
    assert len(summary["history"]["val_loss"]) == 6
    low, high = summary["metrics"]["ci95"]["accuracy"]
    assert low <= summary["metrics"]["accuracy"] <= high
    assert summary["metrics"]["accuracy"] > 0.3  # chance is 0.125 on this learnable corpus


def test_evaluate_reproduces_the_training_runs_metrics(run, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(run), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    trained = json.loads((run / "metrics.json").read_text())["metrics"]
    assert again["accuracy"] == pytest.approx(trained["accuracy"])
    assert again["log_loss_overall"] == pytest.approx(trained["log_loss_overall"], rel=1e-4)


def test_predict_any_rate_mono_or_stereo_and_bad_files(run, synthetic_dir, tmp_path, capsys):
    clip = sorted(synthetic_dir.rglob("03-01-05-*.wav"))[0]
    audio, rate = sf.read(clip, dtype="float32")
    sf.write(tmp_path / "stereo_44k.flac", np.stack([audio, audio], 1), rate)
    import soxr

    sf.write(tmp_path / "mono_44k.wav", soxr.resample(audio, rate, 44_100), 44_100)
    (tmp_path / "broken.wav").write_text("not audio")
    files = [str(tmp_path / n) for n in ("stereo_44k.flac", "broken.wav", "mono_44k.wav")]
    capsys.readouterr()
    assert main(["predict", *files, "--checkpoint", str(run / "model.pt"), "--json"]) == 1
    out = capsys.readouterr()
    results = json.loads(out.out)
    assert [r["file"] for r in results] == [files[0], files[2]]  # the bad one is skipped
    assert "broken.wav: not readable as audio" in out.err
    for r in results:
        assert set(r["probabilities"]) == set(EMOTIONS) and r["emotion"] in EMOTIONS
        assert sum(r["probabilities"].values()) == pytest.approx(1, abs=1e-5)
    a, b = (np.array(list(r["probabilities"].values())) for r in results)
    assert np.abs(a - b).max() < 0.05  # the same clip at another rate: nearly the same answer


def test_predict_reads_only_the_centre_of_a_long_recording(run, synthetic_dir, tmp_path, capsys):
    clip = sorted(synthetic_dir.rglob("03-01-05-*.wav"))[0]
    audio, rate = sf.read(clip, dtype="float32")
    quiet = np.zeros(40 * rate, dtype=np.float32)  # the clip in the middle of 80 s of silence
    sf.write(tmp_path / "long.wav", np.concatenate([quiet, audio, quiet]), rate, subtype="FLOAT")
    capsys.readouterr()
    with pytest.warns(UserWarning, match=r"long.wav lasts 8\d.\d s; only its centre 60 s is read"):
        assert main(["predict", str(tmp_path / "long.wav"), str(clip), "--json",
                     "--checkpoint", str(run / "model.pt")]) == 0
    out = capsys.readouterr()
    long, short = (np.array(list(r["probabilities"].values())) for r in json.loads(out.out))
    assert np.abs(long - short).max() < 1e-3  # the model hears the same centre 4 s


def test_predictor_matches_the_training_path(run, synthetic_dir):
    # what predict feeds the model for a recording is, bit for bit, the cache's version-0 row
    # that the model was trained and evaluated on (one clip path: bcser_utils.audio.clip)
    from bcser_utils.app.cli import _run_config
    from bcser_utils.app.predict import read_clip
    from bcser_utils.learn import pipeline

    predictor = Predictor.load(run / "model.pt")
    assert predictor.signal == "bc" and predictor.features.sample_rate == 16_000
    prepared = pipeline.prepare(_run_config("quick", None, 2), "bc", synthetic_dir,
                                progress=False)  # the run's own cache, reopened
    index = prepared.cache.index
    for row in np.flatnonzero(index["version"].to_numpy() == 0)[::37]:
        path = prepared.catalog.set_index("name").loc[index["name"][row], "path"]
        tensor = predictor.clip_features(*read_clip(path))
        cached = np.asarray(prepared.cache.features[row])
        assert tensor.dtype == cached.dtype and np.array_equal(tensor, cached), path
    results, errors = predict_files([path], run / "model.pt")
    assert not errors and results[0]["file"] == str(path)


def test_missing_checkpoint_is_a_clear_error(tmp_path, capsys):
    assert main(["predict", str(tmp_path / "x.wav"), "--checkpoint",
                 str(tmp_path / "none.pt")]) == 1
    assert "none.pt: no such checkpoint" in capsys.readouterr().err


def test_model_card_states_data_protocol_metrics_and_licence(run):
    from bcser_utils.present import cards

    summary = json.loads((run / "metrics.json").read_text())
    card = cards.model_card(summary, "python -m bcser_utils train …", "2026-11-23")
    accuracy, (low, high) = summary["metrics"]["accuracy"], summary["metrics"]["ci95"]["accuracy"]
    assert f"| accuracy | {accuracy:.3f} | {low:.3f}–{high:.3f} |" in card
    assert "SYNTHETIC" in card and "CC BY-NC-SA 4.0" in card and "Known limits" in card
    assert summary["description"] in card


def test_reproduce_runs_p1_and_p3_and_reads_finished_runs_back(synthetic_dir, tmp_path,
                                                               monkeypatch):
    from bcser_utils.learn import pipeline, runs

    out = tmp_path / "reproduce"
    first = runs.reproduce("quick", corpus=synthetic_dir, out=out, versions=2, max_epochs=1,
                               progress=False)
    assert set(first["runs"]) == {"p1-bc-fold0", "p3-bc-fold0"} and "SYNTHETIC" in first["source"]
    p1, p3 = first["runs"]["p1-bc-fold0"], first["runs"]["p3-bc-fold0"]
    assert p1["evaluated_on"] == "val" and p3["evaluated_on"] == "test"
    for r in (p1, p3):
        low, high = r["accuracy_ci95"]
        assert low <= r["accuracy"] <= high and r["stopped_epoch"] == 1
    for run in ("p1-bc-fold0", "p3-bc-fold0"):
        names = {p.name for p in (out / run / "figures").iterdir()}
        assert names == {"curves.png", "confusion.png", "roc.png", "reliability.png"}
        assert (out / run / "model.pt").exists()
    assert json.loads((out / "reproduce.json").read_text())["runs"]["p3-bc-fold0"]["accuracy"] \
        == pytest.approx(p3["accuracy"])

    def no_training(*args, **kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(pipeline, "train", no_training)
    again = runs.reproduce("quick", corpus=synthetic_dir, out=out, versions=2, max_epochs=1,
                               progress=False)
    assert again["runs"]["p1-bc-fold0"]["accuracy"] == pytest.approx(p1["accuracy"])


def test_checkpoints_that_are_not_ours_get_one_line_naming_them(run, synthetic_dir, tmp_path,
                                                               capsys):
    import pickle

    import torch

    from bcser_utils.learn import model as model_module

    clip = str(next(synthetic_dir.rglob("*.wav")))
    good = (run / "model.pt").read_bytes()
    other = model_module.EmotionNet(20).state_dict()  # another model's weights
    state = torch.load(run / "model.pt", weights_only=True)

    class Hostile:
        def __reduce__(self):
            return (print, ("pwned",))

    cases = {
        "empty.pt": (b"", "empty file"),
        "cut.pt": (good[: len(good) // 2], "truncated or corrupt"),
        "noise.pt": (np.random.default_rng(0).bytes(4096), "refused unread"),
        "hostile.pt": (pickle.dumps({"model": Hostile()}), "refused unread"),
        "training.pt": ((run / "checkpoint.pt").read_bytes(), "a training checkpoint"),
    }
    torch.save(state | {"model": other}, tmp_path / "other.pt")
    cases["other.pt"] = ((tmp_path / "other.pt").read_bytes(), "do not fit this version")
    for name, (content, said) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        assert main(["predict", clip, "--checkpoint", str(path)]) == 1, name
        out = capsys.readouterr()
        lines = out.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {path}: ") and said in lines[0]
        assert "weights_only=False" not in out.err and "pwned" not in out.out + out.err


@pytest.fixture(scope="module")
def speaker_model(synthetic_dir, tmp_path_factory):
    """A speaker-normalised model (log floor 80 dB), trained briefly on the synthetic corpus."""
    from bcser_utils.learn import pipeline

    cfg = config.get_config("quick", overrides={"augment.n_versions": 1,
                                                "normalize.mode": "speaker",
                                                "normalize.top_db": 80.0})
    folder = tmp_path_factory.mktemp("speaker-run")
    pipeline.run_protocol(cfg, "P2", 0, "bc", synthetic_dir, folder, max_epochs=2,
                          progress=False)
    return folder / "model.pt"


def test_same_speaker_adapts_to_the_speaker_and_ignores_a_gain_on_all_of_them(
        speaker_model, synthetic_dir, tmp_path, capsys):
    clips = sorted((synthetic_dir / "Actor_02").glob("*.wav"))[:6]
    quiet = []
    for clip in clips:  # the same speaker recorded 12 dB lower (float: no new rounding noise)
        audio, rate = sf.read(clip)
        sf.write(tmp_path / clip.name, audio / 4, rate, subtype="FLOAT")
        quiet.append(str(tmp_path / clip.name))
    args = ["predict", "--same-speaker", "--json", "--checkpoint", str(speaker_model)]
    assert main([*args, *map(str, clips)]) == 0
    loud = json.loads(capsys.readouterr().out)
    assert main([*args, *quiet]) == 0
    soft = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in loud] == list(map(str, clips))
    assert set(loud[0]) == {"file", "emotion", "probabilities", "uncertain", "speech", "reason"}
    for a, b in zip(loud, soft, strict=True):
        np.testing.assert_allclose(list(a["probabilities"].values()),
                                   list(b["probabilities"].values()), atol=0.01)
        top, second = sorted(a["probabilities"].values())[:-3:-1]
        assert a["emotion"] == b["emotion"] or top - second < 0.02  # a near-tie may flip
    assert main(["predict", "--json", "--checkpoint", str(speaker_model), str(clips[0])]) == 0
    alone = json.loads(capsys.readouterr().out)[0]  # one clip, its own statistics
    assert alone["file"] == str(clips[0]) and abs(sum(alone["probabilities"].values()) - 1) < 1e-5


def test_same_speaker_with_too_few_clips_or_a_global_model_is_one_clear_line(
        speaker_model, run, synthetic_dir, tmp_path, capsys):
    clips = sorted((synthetic_dir / "Actor_03").glob("*.wav"))[:3]
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    assert main(["predict", "--same-speaker", "--checkpoint", str(speaker_model),
                 *map(str, clips), str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith(f"error: {bad}") or any(str(bad) in line for line in err)
    assert any("3 usable clip(s)" in line and "at least 4" in line for line in err)
    assert main(["predict", "--same-speaker", "--checkpoint", str(run / "model.pt"),
                 *map(str, sorted((synthetic_dir / "Actor_03").glob("*.wav"))[:5])]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'global' normalisation" in err[0]


def test_the_default_fuses_deep_and_classical_with_the_saved_weight(speaker_model, synthetic_dir,
                                                                    tmp_path):
    from bcser_utils.app import predict
    from bcser_utils.learn import pipeline, splits
    from bcser_utils.studies import baseline

    cfg = baseline.config_for("quick", "speaker", versions=1)
    prepared = pipeline.prepare(cfg, "bc", synthetic_dir, progress=False,
                                cache_dir=tmp_path / "cache")
    model, normalizer = baseline.fit(prepared, splits.everything(prepared.cache.index), "logreg")
    import shutil

    baseline.save(tmp_path / "classical.pt", model, normalizer, prepared)
    shutil.copy(speaker_model, tmp_path / "deep.pt")  # a default's files lie beside it
    (tmp_path / "default.json").write_text(json.dumps(
        {"deep": "deep.pt", "classical": "classical.pt", "weight": 0.25}))
    default = predict.load_default(tmp_path / "default.json")
    deep, classical, weight = default.deep, default.classical, default.weight
    assert weight == 0.25 and classical.normalizer.mode == "speaker" and default.single is deep
    clips = [str(p) for p in sorted((synthetic_dir / "Actor_03").glob("*.wav"))[:5]]
    alone, _ = deep.predict_speaker(clips)
    fused, errors = deep.predict_speaker(clips, classical, weight)
    only_classical, _ = deep.predict_speaker(clips, classical, 0.0)
    assert not errors and [r["file"] for r in fused] == clips
    for a, f, c in zip(alone, fused, only_classical, strict=True):
        a, f, c = (np.array(list(r["probabilities"].values())) for r in (a, f, c))
        np.testing.assert_allclose(f, 0.25 * a + 0.75 * c, atol=1e-6)
        assert abs(f.sum() - 1) < 1e-5


def test_the_shipped_default_adapts_to_a_speaker_and_predicts_single_clips(ravdess_dir, capsys):
    from bcser_utils.app import predict

    if not predict.DEFAULT_MODEL.is_file():
        pytest.skip("no shipped default model (bcser_utils/models/default.json)")
    chosen = json.loads(predict.DEFAULT_MODEL.read_text())
    default = predict.load_default()
    assert 0 <= default.weight <= 1 and (default.classical is None) == (not chosen["classical"])
    assert default.single.normalizer.single_clip().mode != "utterance"
    clips = sorted(map(str, (ravdess_dir / "Actor_01").glob("03-01-0[2-5]-02-01-*")))[:6]
    assert main(["predict", "--same-speaker", "--json", *clips]) == 0
    adapted = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in adapted] == clips
    assert all(abs(sum(r["probabilities"].values()) - 1) < 1e-5 for r in adapted)
    assert main(["predict", "--json", clips[0]]) == 0
    alone = json.loads(capsys.readouterr().out)[0]
    assert alone["emotion"] in EMOTIONS and alone["probabilities"] != adapted[0]["probabilities"]


def test_an_ensemble_averages_its_members_and_refuses_one_with_other_inputs(
        run, speaker_model, synthetic_dir, tmp_path, capsys):
    import shutil

    import torch

    from bcser_utils.app import predict

    members = [tmp_path / "p3.pt", tmp_path / "speaker.pt"]  # a manifest names files beside it
    for source, member in zip([run / "model.pt", speaker_model], members, strict=True):
        shutil.copyfile(source, member)
    (tmp_path / "default.json").write_text(json.dumps({"deep": [m.name for m in members],
                                                       "classical": None, "weight": 1.0}))
    default = predict.load_default(tmp_path / "default.json")
    assert isinstance(default.deep, predict.Ensemble) and default.single is default.deep
    clips = [str(p) for p in sorted((synthetic_dir / "Actor_02").glob("*.wav"))[:5]]
    one = [Predictor.load(m) for m in members]
    averaged = default.deep.predict_file(clips[0])["probabilities"]
    each = [m.predict_file(clips[0])["probabilities"] for m in one]
    np.testing.assert_allclose(list(averaged.values()),
                               np.mean([list(p.values()) for p in each], 0), atol=1e-6)
    adapted, errors = default.deep.predict_speaker(clips)
    each = [m.predict_speaker(clips, weight=1.0)[0] if m.normalizer.mode == "speaker"
            else [m._result(c, p) for c, p in zip(clips, m.speaker_probabilities(np.stack(
                [m.clip_features(*predict.read_clip(c)) for c in clips])), strict=True)]
            for m in one]
    assert not errors and [r["file"] for r in adapted] == clips
    for i, r in enumerate(adapted):
        np.testing.assert_allclose(
            list(r["probabilities"].values()),
            np.mean([list(e[i]["probabilities"].values()) for e in each], 0), atol=1e-6)
    state = torch.load(speaker_model, weights_only=True)
    state["signal"] = "ac" if state["signal"] == "bc" else "bc"
    torch.save(state, tmp_path / "other.pt")
    with pytest.raises(predict.CheckpointError, match=r"other\.pt: its features, signal"):
        predict.Ensemble.load_all([members[0], tmp_path / "other.pt"])


def test_the_shipped_default_gives_the_same_probabilities_in_every_environment(ravdess_dir):
    # tests/fixtures/default_same_speaker.json holds, for one clip per emotion of actor 05, the
    # eGeMAPS functionals and the probabilities that this machine's environment gave (Python
    # 3.11, scikit-learn 1.9.1, torch 2.13): the Colab emulation (make test-colab: scikit-learn
    # 1.6.1, numpy 2.1.3, torch 2.6) runs this same test. The classical model is numpy on its
    # stored arrays, so no scikit-learn version can change it or warn about it.
    import warnings

    from bcser_utils.app import predict

    fixture = json.loads((config.REPO_ROOT / "tests" / "fixtures" /
                          "default_same_speaker.json").read_text())
    clips = [ravdess_dir / name for name in fixture["clips"]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. scikit-learn's InconsistentVersionWarning
        default = predict.load_default()
        stored = np.asarray(fixture["egemaps"], dtype=np.float32)
        np.testing.assert_allclose(default.classical.speaker_probabilities(stored),
                                   fixture["classical"], rtol=0, atol=1e-6)
        results, errors = predict.predict_files(clips, same_speaker=True)
    assert not errors
    got = [[r["probabilities"][e] for e in default.deep.emotions] for r in results]
    np.testing.assert_allclose(got, fixture["same_speaker"], rtol=0, atol=1e-6)


def test_every_model_gives_probabilities_through_the_one_interface_and_an_ensemble_scores_all(
        run, speaker_model, synthetic_dir):
    """Predictor, Ensemble, a training run and the classical baseline all implement
    ``ClassProbabilities``; evaluating an Ensemble scores every member, not the first (an
    Ensemble is no Predictor)."""
    from bcser_utils.learn import inference, pipeline

    members = [Predictor.load(run / "model.pt"), Predictor.load(speaker_model)]
    ensemble = inference.Ensemble(members)
    assert not isinstance(ensemble, Predictor)
    assert all(isinstance(m, inference.ClassProbabilities) for m in (*members, ensemble))
    cfg = config.get_config("quick", overrides={"augment.n_versions": 1})
    prepared = pipeline.prepare(cfg, "bc", synthetic_dir, progress=False)
    rows = np.arange(12)
    speakers = prepared.cache.index["actor"].to_numpy()[rows]
    clips = np.asarray(prepared.cache.features[rows])
    global_ = members[0]
    np.testing.assert_allclose(pipeline.predict_rows(global_, prepared.cache, rows),
                               global_.probabilities(clips, speakers), atol=1e-6)
    for part in (inference.batches(clips, 5), [clips[:5], clips[5:10], clips[10:]]):
        assert [len(b) for b in part] == [5, 5, 2]
    # the speaker model scores cache rows with statistics of the rows' own speakers
    speaker = members[1]
    from dataclasses import replace

    from bcser_utils.audio.normalize import Normalizer

    fitted = Normalizer("speaker", speaker.normalizer.top_db, speaker.normalizer.standardizer)
    for actor in np.unique(speakers):
        fitted.add_speaker(actor, clips[speakers == actor])
    adapted = replace(speaker, normalizer=fitted)
    both = inference.Ensemble([global_, adapted])
    np.testing.assert_allclose(pipeline.predict_rows(both, prepared.cache, rows),
                               (global_.probabilities(clips, speakers)
                                + adapted.probabilities(clips, speakers)) / 2, atol=1e-6)
    p = both.single_probabilities(list(clips))
    assert p.shape == (12, 8) and np.allclose(p.sum(1), 1, atol=1e-5)


def test_settings_given_to_predict_reach_it(speaker_model, synthetic_dir):
    """``get_config`` overrides reach predict: fewer clips for --same-speaker, a shorter read."""
    from bcser_utils.app import predict
    from bcser_utils.learn.inference import SpeakerError

    clips = [str(p) for p in sorted((synthetic_dir / "Actor_02").glob("*.wav"))[:2]]
    with pytest.raises(SpeakerError, match="at least 4"):
        predict.predict_files(clips, speaker_model, same_speaker=True)
    two = config.get_config("quick", overrides={"normalize.min_speaker_clips": 2})
    results, errors = predict.predict_files(clips, speaker_model, same_speaker=True, cfg=two)
    assert len(results) == 2 and not errors
    short = config.get_config("quick", overrides={"audio.predict_read_s": 1.0})
    model = predict.load_model(speaker_model, cfg=short)
    audio, rate = model.single.read_clip(clips[0])
    assert len(audio) == int(1.0 * rate)
