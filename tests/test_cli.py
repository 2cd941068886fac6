import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from bcser_utils.app.cli import main
from bcser_utils.audio.names import expected_names


def test_data_check_json_on_a_synthetic_corpus(synthetic_dir, capsys):
    assert main(["data", "check", str(synthetic_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_files"] == 180 and report["actors"] == [1, 2, 3] and report["synthetic"]
    assert report["files_per_emotion"]["neutral"] == 12 and report["missing_actors"][0] == 4


def test_data_check_fails_on_a_folder_without_ravdess(tmp_path, capsys):
    (tmp_path / "notes.wav").write_text("no audio here")
    assert main(["data", "check", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "no usable RAVDESS" in captured.err and "notes.wav" in captured.out
    assert main(["data", "check", str(tmp_path / "absent")]) == 2


def test_data_check_on_the_full_corpus_layout(tmp_path_factory, capsys):
    """All 24 actors present as WAV, like the Zenodo release (short distinct noise clips)."""
    root = tmp_path_factory.mktemp("full")
    rng = np.random.default_rng(0)
    for name in expected_names():
        (root / name.folder).mkdir(exist_ok=True)
        sf.write(root / name.folder / name.filename(), rng.uniform(-0.1, 0.1, 4000), 8000)
    assert main(["data", "check", str(root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_files"] == 1440 and report["actors"] == list(range(1, 25))
    assert report["missing"] == [] and report["missing_actors"] == [] and report["complete"]


def test_data_check_on_the_development_copy(ravdess_dir):
    out = subprocess.run([sys.executable, "-m", "bcser_utils", "data", "check", str(ravdess_dir),
                          "--json"], capture_output=True, text=True, check=True).stdout
    report = json.loads(out)
    assert (report["n_files"], len(report["actors"]), len(report["stereo_files"])) == (1200, 20, 5)
    assert report["files_per_emotion"] == {"neutral": 80, **{e: 160 for e in (
        "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")}}
    assert report["duplicates"] == [["03-01-03-01-02-01-07", "03-01-03-01-02-02-07"]]


def test_download_failure_exits_non_zero(monkeypatch, capsys, tmp_path):
    from bcser_utils.audio import ravdess

    def refuse(dest):
        raise ValueError("MD5 hash of downloaded file does not match")

    monkeypatch.setattr(ravdess, "download", refuse)
    monkeypatch.setenv("BCSER_OFFLINE", "0")
    assert main(["data", "download", "--dir", str(tmp_path)]) == 1
    assert "download failed: MD5" in capsys.readouterr().err


def test_usage_errors_exit_with_2():
    with pytest.raises(SystemExit) as exit_info:
        main(["data"])
    assert exit_info.value.code == 2


def test_bc_converts_any_rate_and_channel_count_at_the_input_rate(tmp_path):
    from bcser_utils.audio import bc

    rng = np.random.default_rng(1)
    stereo = rng.uniform(-0.4, 0.4, (44_100, 2)).astype(np.float32)
    source, target = tmp_path / "in.flac", tmp_path / "out.wav"
    sf.write(source, stereo, 44_100, subtype="PCM_24")
    assert main(["bc", str(source), str(target)]) == 0
    out, rate = sf.read(target, dtype="float32")
    assert rate == 44_100 and out.shape == stereo.shape and sf.info(target).subtype == "PCM_24"
    original, _ = sf.read(source, dtype="float32")
    for channel in range(2):
        expected = bc.to_bc(original[:, channel], 44_100)
        assert np.abs(out[:, channel] - expected).max() < 1e-5


def test_bc_refuses_bad_input_and_writes_nothing(tmp_path, capsys):
    source, target = tmp_path / "notes.wav", tmp_path / "out.wav"
    source.write_text("not audio")
    assert main(["bc", str(source), str(target)]) == 1
    assert "notes.wav: not readable as audio" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [source]


def test_bc_never_overwrites_its_input(tmp_path, capsys):
    source = tmp_path / "in.wav"
    sf.write(source, np.random.default_rng(2).uniform(-0.3, 0.3, 16_000), 16_000)
    before = source.read_bytes()
    assert main(["bc", str(source), str(source)]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err and source.read_bytes() == before


def test_a_bad_file_stops_train_with_one_line_naming_it(synthetic_dir, tmp_path, capsys):
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(synthetic_dir, corpus)
    bad = next((corpus / "Actor_02").glob("03-01-05-*"))
    bad.unlink()
    bad = bad.with_suffix(".wav")
    sf.write(bad, np.full(16_000, np.nan), 16_000, subtype="FLOAT")
    code = main(["train", "--protocol", "P2", "--mode", "quick", "--data", str(corpus),
                 "--versions", "1", "--epochs", "1", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error")]  # not progress bars
    assert code == 1 and len(errors) == 1 and "Traceback" not in err
    assert errors[0].startswith(f"error: {bad}: contains 16000 NaN or inf samples")
    assert main(["data", "check", str(corpus)]) == 1
    assert f"error: {bad}: contains 16000 NaN" in capsys.readouterr().err


def test_a_run_folder_refuses_other_settings_and_reads_back_its_own(synthetic_dir, tmp_path,
                                                                    capsys):
    run = tmp_path / "run"
    args = ["train", "--protocol", "P3", "--mode", "quick", "--data", str(synthetic_dir),
            "--versions", "1", "--epochs", "1", "--out", str(run)]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0 and capsys.readouterr().out == first  # the same run, read back
    for changed, said in ((["--protocol", "P1"], "protocol = 'P3' there, 'P1' now"),
                          (["--seed", "1"], "seed = 0 there, 1 now"),
                          (["--versions", "2"], "versions = 1 there, 2 now")):
        assert main(args + changed) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and said in err[0] and str(run) in err[0]
    saved = json.loads((run / "run.json").read_text())
    assert saved["config"]["training"]["batch_size"] == 64 and saved["versions"] == 1


@pytest.mark.parametrize("case", ["missing", "no ravdess names", "fold 7", "two actors",
                                  "quick without actors 01-06"])
def test_train_input_mistakes_get_one_line_naming_the_input(case, synthetic_dir, tmp_path, capsys):
    from bcser_utils.audio import synthetic

    data, extra = synthetic_dir, []
    if case == "missing":
        data = tmp_path / "nowhere"
    elif case == "no ravdess names":
        data = tmp_path / "corpus"
        (data / "Actor_01").mkdir(parents=True)
        sf.write(data / "Actor_01" / "hello.wav", np.zeros(16_000), 16_000)
    elif case == "fold 7":
        extra = ["--fold", "7"]
    elif case == "two actors":
        data = synthetic.make_corpus(tmp_path / "two", actors=(1, 2), progress=False)
    else:
        data = synthetic.make_corpus(tmp_path / "late", actors=(7,), progress=False)
    code = main(["train", "--protocol", "P3", "--mode", "quick", "--data", str(data),
                 "--versions", "1", "--epochs", "1", "--out", str(tmp_path / "run"), *extra])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error")]
    assert code == 1 and len(errors) == 1 and "Traceback" not in err
    expected = {"missing": f"error: {data}: no Actor_*/ audio files here",
                "no ravdess names": f"error: {data}: no usable RAVDESS recordings",
                "fold 7": "error: fold 7: P3 has 3 folds here, numbered 0 to 2",
                "two actors": "error: P3 needs at least 3 actors",
                "quick without actors 01-06": f"error: {data}: no usable RAVDESS recordings (names "
                                              "like 03-01-05-01-01-01-01.wav under Actor_NN/) for "
                                              "quick mode's actors 01, 02"}[case]
    assert errors[0].startswith(expected)


def test_a_read_only_data_folder_gets_one_line_and_what_to_do(synthetic_dir, tmp_path, capsys,
                                                             monkeypatch):
    """Root (CI, containers) writes through chmod, so the cache write fails as it would for a
    user whose data folder is read-only."""
    from bcser_utils.audio import feature_cache

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "ro" / "cache"))

    monkeypatch.setattr(feature_cache, "build", read_only)
    monkeypatch.setenv("BCSER_DATA_DIR", str(tmp_path / "ro"))  # the data folder's advice fits
    code = main(["train", "--protocol", "P2", "--mode", "quick", "--data", str(synthetic_dir),
                 "--versions", "1", "--epochs", "1", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error")]
    assert code == 1 and len(errors) == 1 and "Traceback" not in err
    assert errors[0] == (f"error: {tmp_path / 'ro' / 'cache'}: not writable (Permission denied); "
                         "point BCSER_DATA_DIR at a writable folder")


def test_reproduce_ships_only_a_full_mode_run_on_real_data(tmp_path, monkeypatch):
    import shutil

    from bcser_utils.learn import artifacts

    models = artifacts.P3_CHECKPOINT.parent
    run = tmp_path / "reproduce" / "p3-bc-fold0"
    run.mkdir(parents=True)
    shutil.copyfile(artifacts.P3_CHECKPOINT, run / "model.pt")
    summary = json.loads((models / "bcser_p3.metrics.json").read_text())  # a real full-mode run
    shipped = tmp_path / "models"
    shipped.mkdir()
    monkeypatch.setattr(artifacts, "P3_CHECKPOINT", shipped / "bcser_p3.pt")
    for mode, synthetic in (("quick", False), ("full", True)):
        (run / "metrics.json").write_text(json.dumps({**summary, "mode": mode,
                                                      "synthetic": synthetic}))
        with pytest.raises(artifacts.ShipError, match="only a full-mode run on real recordings"):
            artifacts.ship_p3(run, "make reproduce", "2026-12-04")
        assert list(shipped.iterdir()) == []  # refused: nothing written
    (run / "metrics.json").write_text(json.dumps(summary))
    artifacts.ship_p3(run, "make reproduce", "2026-12-04")
    assert (shipped / "bcser_p3.pt").read_bytes() == (run / "model.pt").read_bytes()
    assert json.loads((shipped / "bcser_p3.metrics.json").read_text()) == summary
    card = (shipped / "MODEL_CARD.md").read_text()
    assert "`make reproduce` (2026-12-04)" in card and f"{summary['n_train']} clips" in card


def test_a_ship_that_fails_midway_leaves_every_shipped_file_as_it_was(tmp_path, monkeypatch):
    import shutil

    from bcser_utils.learn import artifacts

    models, run = tmp_path / "models", tmp_path / "run"
    models.mkdir()
    run.mkdir()
    (models / "a.pt").write_bytes(b"old model")
    (run / "model.pt").write_bytes(b"new model" * 1000)
    real = shutil.copyfile

    def full_disk(source, target):  # the copy stops halfway, as a full disk stops it
        real(source, target)
        with open(target, "r+b") as half:
            half.truncate(100)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full_disk)
    with pytest.raises(OSError) as failed:
        artifacts.ship(models, {"a.pt": run / "model.pt"}, {"CARD.md": "new card"})
    assert failed.value.filename == str(models / "a.pt")  # names the file, not a temporary
    assert sorted(p.name for p in models.iterdir()) == ["a.pt"]  # no half file, no temporary
    assert (models / "a.pt").read_bytes() == b"old model"
    with pytest.raises(artifacts.ShipError, match="no such file to ship"):
        artifacts.ship(models, {"b.pt": run / "absent.pt"}, {})


@pytest.mark.parametrize("case", ["not JSON", "a list", "no accuracy", "another seed"])
def test_a_damaged_metrics_json_gets_one_line_naming_it(case, tmp_path):
    from bcser_utils.learn import runs

    run = tmp_path / "run"
    run.mkdir()
    good = {"protocol": "P2", "seed": 0, "source": "s", "description": "d", "evaluated_on": "val",
            "best_epoch": 3, "seconds_per_epoch": None,
            "metrics": {"accuracy": 0.5, "ci95": {"accuracy": [0.4, 0.6]}}}
    text = {"not JSON": "{", "a list": "[]", "no accuracy": json.dumps({**good, "metrics": {}}),
            "another seed": json.dumps({**good, "seed": 2})}[case]
    (run / "metrics.json").write_text(text)
    said = {"not JSON": "unreadable (Expecting", "a list": "not the results train writes",
            "no accuracy": "no accuracy, interval or best epoch",
            "another seed": "the results of another run (seed = 2 there, 0 now)"}[case]
    with pytest.raises(runs.RunFolderError) as error:
        runs.read_metrics(run, {"seed": 0})
    line = str(error.value)
    assert line.startswith(f"{run / 'metrics.json'}: ") and said in line and "\n" not in line
    (run / "metrics.json").write_text(json.dumps(good))
    assert runs.read_metrics(run, {"seed": 0}) == good
    refit = {**good, "protocol": "ALL", "metrics": None}  # nothing left to evaluate: no accuracy
    assert runs.check_metrics(run / "metrics.json", refit) == refit


def test_run_folders_keep_todays_names():
    """Finished runs and the committed summaries name these folders: the resume finds them."""
    from bcser_utils import config
    from bcser_utils.learn.runs import RunSpec
    from bcser_utils.studies import beyond, final_model, generalize

    assert RunSpec("P2", seed=3).folder(None, "quick") == \
        config.RUNS_DIR / "p2-bc-quick-fold0-seed3"  # train without --out
    assert beyond.run_spec("P3", "ac", 2).name == "p3-ac-fold2"
    assert beyond.run_spec("P3", "bc", 4, 0.0).name == "p3-bc-fold4-ls0"
    assert [s.name for s in beyond.p3_grid([1], seed=1)] == ["seed1/p3-bc-fold1",
                                                             "seed1/p3-ac-fold1"]
    assert generalize.RECIPES["wide"].spec("bc", 3, 1).name == "wide/bc-fold3-seed1"
    refit = final_model.refit_spec(generalize.RECIPES["speaker-norm"], "bc", 1)
    assert refit.name == "final-refit/bc-seed1" and refit.protocol == "ALL"
    cfg = refit.config("quick")
    assert cfg.normalize.mode == "speaker" and cfg.mode.seed == 1
    assert final_model.refit_spec(generalize.PAPER, "bc", 0, "single-refit").name == \
        "single-refit/bc-seed0"
