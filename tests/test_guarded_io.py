"""Issue 36's third hostile replay, case by case: which mechanism covers each case and where it is
tested. The mechanisms (docs/design.md, Robustness) are the one writer (``files``), one reader per
file kind (``learn.artifacts``, ``learn.runs``, ``config.from_dict``, the feature cache's
checks), the one audio-input check (``audio.audio_input``), identity (checkpoints, runs, the
cache key), the download's lock and deadline, and the one error path (``app.cli.main``).

    case                                     mechanism → test (module: test name)
    1  --out holding the user's files        files.claim (train; reproduce, beyond and generalize
                                             through command.study_out) → robustness: test_a_
                                             folder_of_the_users_files_is_refused_and_left_alone;
                                             here: test_a_study_out_of_the_users_files_is_refused_…
    2  ship on a full disk                   files.copy / write_atomically → robustness:
                                             test_copy_is_atomic; cli's failed-ship test
    3  four downloads at once                ravdess.download's FileLock, verified stamp →
                                             download: test_concurrent_downloads_wait_for_one_and_
                                             all_get_the_whole_corpus, test_a_stamp_over_an_empty_
                                             or_partial_tree_is_not_trusted
    4  a P2 checkpoint resumed as P1         checkpoint identity → here: test_another_runs_
                                             checkpoint_is_refused_not_resumed
    5  NaN weights                           Predictor.load's finite check → here: test_a_
                                             checkpoint_with_nan_weights_is_refused
    6  a truncated file to --timeline        audio_input.blocks → here: test_the_timeline_refuses_
                                             a_truncated_file_as_predict_does
    7  bc into .xi/.wve/.sd2                 convert: WAV/FLAC only → convert: test_an_output_other_
                                             than_wav_or_flac_is_refused_in_one_line, test_the_rate_
                                             returned_is_the_rate_written
    8  noise with the old size and mtime     the cache key hashes content → feature_cache: test_a_
                                             recording_rewritten_with_its_old_size_and_mtime_…
    9  evaluate after files were deleted     run.json's corpus digest → here: test_evaluate_refuses_
                                             a_corpus_that_changed_since_training
    10 --same-speaker, one file four times   distinct recordings → here: test_the_same_recording_…
    11 BCSER_OFFLINE=true                    config.offline → config: test_bcser_offline_takes_the_
                                             usual_true_and_false_spellings, test_an_odd_bcser_
                                             offline_is_refused_as_an_odd_bcser_mode_is
    12 to_bc on (frames, channels)           bc.to_bc's layout check → convert: test_to_bc_refuses_
                                             soundfiles_frames_by_channels_layout
    13 noise, tones, tiny and huge windows   speech.speech_check → here: test_noise_and_a_tone_…,
                                             test_a_timeline_marks_a_tone_…; timeline.check_window
                                             → here: test_a_window_the_model_cannot_hear_…
    14 float samples beyond ±1 in bc         audio_input.check_samples → convert: test_float_
                                             samples_beyond_full_scale_are_refused_not_clipped
    15 --versions 100000                     config.BOUNDS → config: test_a_setting_beyond_its_
                                             bounds_…; robustness: test_train_refuses_numbers_…
    16 workers orphaned by SIGTERM/SIGKILL   feature_cache.die_with_parent → feature_cache:
                                             test_cache_workers_die_with_their_parent
    17 SIGTERM/SIGHUP of bc leaves a .tmp    files' live temporaries → robustness: test_a_signal_
                                             mid_write_removes_the_temporary
    18 a trickling download                  the download's overall deadline → download: test_a_
                                             trickling_download_ends_at_its_deadline_and_leaves_
                                             nothing, test_a_killed_download_leaves_no_temporary
    19 a foreign checkpoint.pt in --out      resume reads through artifacts.load_torch → here:
                                             test_a_foreign_checkpoint_in_out_is_one_line_…
    20 a damaged default.json                artifacts.load_manifest, before any file → here:
                                             test_a_damaged_default_json_fails_before_any_…
    21 --out on a full disk                  every write through files.write_atomically (checkpoints
                                             by artifacts.save_torch) → robustness: test_a_failed_
                                             write_leaves_the_old_file_whole_and_names_the_final_path
    22 a garbage index.csv, NaN features     the cache's checks → feature_cache: test_a_damaged_
                                             cache_is_rebuilt_with_a_warning, test_features_with_
                                             nan_are_never_cached
    23 run.json settings out of range        config.from_dict's bounds → config: test_a_damaged_
                                             run_json_config_is_one_error_naming_the_file; a
                                             run.json its model disagrees with → here:
                                             test_evaluate_refuses_a_run_json_whose_features_…
    24 --timeline --json with one bad file   per-file errors, rows kept → here: test_timeline_json_
                                             keeps_the_good_files_rows_beside_a_bad_ones_error
    25 bc in.mp3 out.wav                     convert.output_subtype → convert: test_an_input_
                                             subtype_the_output_cannot_hold_is_converted
    26 --window 1e-9                         timeline.check_window → here: test_a_window_the_model_…
    27 NaN at 5.0 s in --timeline            audio_input.blocks at its own time → here: test_nan_
                                             in_a_long_file_is_named_at_its_own_time
    28 bc's messages                         audio_input.what_it_is; advice that fits the command
                                             (cli) → convert: test_a_special_input_is_named_for_
                                             what_it_is; robustness: test_only_errors_from_the_
                                             users_…, test_a_read_only_file_system_gets_one_line_…
    29 a usage error once, exit 2            check_window, and --same-speaker's model, before any
                                             file → here: test_a_window_…, test_timeline_same_
                                             speaker_with_a_model_that_cannot_adapt_…
    30 control characters in a file name     the one error path escapes every line (command.
                                             say_error), messages.named → robustness: test_a_path_
                                             is_printed_on_one_line_…; hostile (every command)
    31 data check / and data check file.wav  ravdess.check_folder, bounded walk → ravdess: test_a_
                                             file_or_a_huge_tree_is_not_a_corpus_folder, test_data_
                                             check_of_the_root_is_refused_quickly
    32 a metrics.json of NaN and inf         runs' metrics reader → cli: test_a_damaged_metrics_
                                             json_gets_one_line_naming_it; --json as strict JSON →
                                             here: test_json_output_never_holds_nan
    33 the notebook helpers' odd arguments   config bounds, checked inputs → here: test_a_notebook_
                                             helper_refuses_odd_arguments_instead_of_returning_…
    34 a 0700 ravdess/                       the extraction's permissions → download: test_the_
                                             extracted_corpus_gets_the_usual_permissions

The generated cases (hypothesis) are in test_hostile.py."""

import json
import shutil

import numpy as np
import pytest
import soundfile as sf
import torch

from bcser_utils import config
from bcser_utils.app import timeline
from bcser_utils.app.cli import main
from bcser_utils.audio.audio_input import AudioError

SHIPPED = config.MODELS_DIR


def _one_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


@pytest.fixture(scope="module")
def p2_run(synthetic_dir, tmp_path_factory):
    """A finished P2 run on the synthetic corpus (1 version, 1 epoch)."""
    out = tmp_path_factory.mktemp("p2") / "run"
    assert main(["train", "--protocol", "P2", "--mode", "quick", "--data", str(synthetic_dir),
                 "--versions", "1", "--epochs", "1", "--out", str(out)]) == 0
    return out


# --- 4, 19: a checkpoint records what made it ----------------------------------------------

def test_another_runs_checkpoint_is_refused_not_resumed(p2_run, synthetic_dir, tmp_path, capsys):
    capsys.readouterr()
    alone = tmp_path / "alone"  # the checkpoint copied into a new folder: not bcser's folder
    alone.mkdir()
    shutil.copy(p2_run / "checkpoint.pt", alone / "checkpoint.pt")
    gutted = tmp_path / "gutted"  # the P2 run with its run.json and metrics.json deleted
    shutil.copytree(p2_run, gutted)
    (gutted / "run.json").unlink()
    (gutted / "metrics.json").unlink()
    for out, said in ((alone, "did not write (checkpoint.pt)"), (gutted, "another run")):
        code = main(["train", "--protocol", "P1", "--mode", "quick", "--data",
                     str(synthetic_dir), "--versions", "1", "--epochs", "1", "--out", str(out)])
        line = _one_error(capsys.readouterr().err)
        assert code == 1 and "checkpoint.pt" in line and said in line, line
        assert not (out / "metrics.json").exists()


def test_a_runs_own_checkpoint_resumes_after_its_run_json_is_deleted(p2_run, synthetic_dir,
                                                                     tmp_path, capsys):
    out = tmp_path / "again"
    shutil.copytree(p2_run, out)
    (out / "run.json").unlink()
    (out / "metrics.json").unlink()
    before = json.loads((p2_run / "metrics.json").read_text())
    assert main(["train", "--protocol", "P2", "--mode", "quick", "--data", str(synthetic_dir),
                 "--versions", "1", "--epochs", "1", "--out", str(out)]) == 0
    after = json.loads((out / "metrics.json").read_text())
    assert after["metrics"]["accuracy"] == before["metrics"]["accuracy"]  # resumed, not retrained


def test_a_foreign_checkpoint_in_out_is_one_line_without_torchs_advice(synthetic_dir, tmp_path,
                                                                       capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "checkpoint.pt").write_bytes(np.random.default_rng(0).bytes(4096))
    code = main(["train", "--protocol", "P2", "--mode", "quick", "--data", str(synthetic_dir),
                 "--versions", "1", "--epochs", "1", "--out", str(out)])
    captured = capsys.readouterr()
    line = _one_error(captured.err)
    assert code == 1 and "checkpoint.pt" in line and "weights_only" not in captured.err


# --- 5: a model with NaN weights --------------------------------------------------------------

def test_a_checkpoint_with_nan_weights_is_refused(tmp_path, capsys):
    state = torch.load(SHIPPED / "bcser_p3.pt", map_location="cpu", weights_only=True)
    name = next(k for k, v in state["model"].items() if v.is_floating_point())
    state["model"][name] = torch.full_like(state["model"][name], float("nan"))
    torch.save(state, tmp_path / "nan.pt")
    clip = tmp_path / "clip.wav"
    sf.write(clip, 0.1 * np.sin(np.arange(24_000) / 16_000 * 2 * np.pi * 220), 16_000)
    code = main(["predict", "--json", "--checkpoint", str(tmp_path / "nan.pt"), str(clip)])
    captured = capsys.readouterr()
    assert code == 1 and "NaN or inf" in _one_error(captured.err)
    assert json.loads(captured.out) == {"error": captured.err.strip().removeprefix("error: ")}


# --- 9: a run knows the recordings it was trained on -------------------------------------------

def test_evaluate_refuses_a_corpus_that_changed_since_training(p2_run, synthetic_dir, tmp_path,
                                                               capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(synthetic_dir, corpus)
    out = tmp_path / "run"
    assert main(["train", "--protocol", "P2", "--mode", "quick", "--data", str(corpus),
                 "--versions", "1", "--epochs", "1", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 0
    capsys.readouterr()
    for path in sorted((corpus / "Actor_02").glob("*.wav"))[:20]:
        path.unlink()
    assert main(["evaluate", str(out)]) == 1
    assert "other recordings" in _one_error(capsys.readouterr().err)


# --- 10: --same-speaker counts recordings, not names --------------------------------------------

def test_the_same_recording_four_times_is_one_speakers_clip_not_four(synthetic_dir, tmp_path,
                                                                      capsys):
    clip = sorted((synthetic_dir / "Actor_02").glob("*.wav"))[0]
    copies = []
    for i in range(4):
        copies.append(tmp_path / f"copy{i}.wav")
        shutil.copy(clip, copies[-1])
    code = main(["predict", "--same-speaker", *map(str, [clip, *copies])])
    line = _one_error(capsys.readouterr().err)
    assert code == 1 and "only 1 different recording" in line


# --- 6, 27: the timeline reads through the one audio check --------------------------------------

def test_the_timeline_refuses_a_truncated_file_as_predict_does(tmp_path):
    long = tmp_path / "long.wav"
    sf.write(long, 0.1 * np.random.default_rng(0).standard_normal(16_000 * 12), 16_000)
    half = tmp_path / "half.wav"
    half.write_bytes(long.read_bytes()[: long.stat().st_size // 2])
    with pytest.raises(AudioError, match="truncated"):
        list(timeline.windows(half))


def test_nan_in_a_long_file_is_named_at_its_own_time(tmp_path):
    audio = 0.1 * np.random.default_rng(0).standard_normal(16_000 * 8)
    audio[16_000 * 5] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(path, audio, 16_000, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"5\.000 s"):
        list(timeline.windows(path))


# --- 13, 26, 29: windows the model can hear, said once -------------------------------------------

@pytest.mark.parametrize("window, hop, flag", [(1e-9, 1e-9, "--window"), (0.01, 0.01, "--window"),
                                               (100, 1, "--window"), (2, 3, "--hop"),
                                               (4, 0.001, "--hop")])
def test_a_window_the_model_cannot_hear_is_one_usage_error(window, hop, flag, tmp_path, capsys):
    with pytest.raises(timeline.WindowError, match=flag):
        timeline.check_window(window, hop)
    files = []
    for i in range(3):
        files.append(tmp_path / f"{i}.wav")
        sf.write(files[-1], np.zeros(16_000), 16_000)
    code = main(["predict", "--timeline", "--window", str(window), "--hop", str(hop),
                 *map(str, files)])
    assert code == 2 and flag in _one_error(capsys.readouterr().err)


# --- 24: one bad file never discards another's rows ----------------------------------------------

def test_timeline_json_keeps_the_good_files_rows_beside_a_bad_ones_error(tmp_path, capsys):
    good = tmp_path / "good.wav"
    sf.write(good, 0.1 * np.random.default_rng(1).standard_normal(16_000 * 6), 16_000)
    bad = tmp_path / ("x" * 300 + ".wav")[:250]
    code = main(["predict", "--timeline", "--json", str(good), str(bad)])
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert code == 1 and {r["file"] for r in rows if "start" in r} == {str(good)}


# --- 13: no speech, no emotion -----------------------------------------------------------------

def _sound(tmp_path, name, audio, rate=16_000):
    path = tmp_path / name
    sf.write(path, audio.astype(np.float32), rate)
    return path


def test_noise_and_a_tone_get_no_emotion_and_say_what_was_heard(tmp_path, capsys):
    t = np.arange(16_000 * 4) / 16_000
    noise = _sound(tmp_path, "noise.wav", 0.1 * np.random.default_rng(0).standard_normal(len(t)))
    tone = _sound(tmp_path, "tone.wav", 0.2 * np.sin(2 * np.pi * 440 * t))
    assert main(["predict", "--json", str(noise), str(tone)]) == 0  # a result, not a bad file
    rows = json.loads(capsys.readouterr().out)
    assert [(r["emotion"], r["probabilities"], r["speech"], r["uncertain"]) for r in rows] == \
        [(None, None, False, None)] * 2
    assert "noise" in rows[0]["reason"] and "tone" in rows[1]["reason"]
    assert main(["predict", str(tone)]) == 0
    assert capsys.readouterr().out.strip() == f"{tone}: {rows[1]['reason']}"


def test_a_timeline_marks_a_tone_between_speech_as_no_speech(ravdess_dir, tmp_path, capsys):
    from bcser_utils.audio.audio_input import load_audio

    clip = sorted((ravdess_dir / "Actor_01").glob("*.flac"))[40]
    speech_, rate = load_audio(clip, sample_rate=16_000)
    tone = 0.2 * np.sin(2 * np.pi * 440 * np.arange(8 * rate) / rate)
    path = _sound(tmp_path, "mixed.wav", np.concatenate([speech_, tone, speech_]), rate)
    assert main(["predict", "--timeline", "--json", "--hop", "2", str(path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    inside = [r for r in rows if r["start"] >= len(speech_) / rate + 0.5
              and r["end"] <= (len(speech_) + len(tone)) / rate]
    assert inside and all(not r["speech"] and r["emotion"] is None and "tone" in r["reason"]
                          for r in inside)
    assert any(r["speech"] and r["emotion"] for r in rows)


def test_same_speaker_leaves_clips_without_speech_out_of_the_statistics(synthetic_dir, tmp_path,
                                                                        capsys):
    clips = sorted((synthetic_dir / "Actor_02").glob("*.wav"))[:4]
    tone = _sound(tmp_path, "tone.wav", 0.2 * np.sin(2 * np.pi * 440 * np.arange(48_000) / 16e3))
    assert main(["predict", "--same-speaker", "--json", *map(str, clips), str(tone)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in rows] == [*map(str, clips), str(tone)]
    assert [r["speech"] for r in rows] == [True] * 4 + [False]
    three = [*map(str, clips[:3]), str(tone)]  # the tone does not count as a fourth clip
    assert main(["predict", "--same-speaker", *three]) == 1
    assert "3 usable clip(s)" in capsys.readouterr().err


# --- 33: the notebooks' helpers refuse odd arguments in one clear message -------------------------

@pytest.mark.parametrize("call, said", [
    (lambda ex: ex.frames_for_settings(-160, show_solution=True), "hop_length"),
    (lambda ex: ex.frames_for_settings(0, show_solution=True), "hop_length"),
    (lambda ex: ex.frames_for_settings(160.5, show_solution=True), "whole number"),
    (lambda ex: ex.smoothing_floor_for(-0.1, show_solution=True), "label_smoothing"),
    (lambda ex: ex.accuracy_interval([], np.zeros((0, 8)), show_solution=True), "N ≥ 8"),
])
def test_a_notebook_helper_refuses_odd_arguments_instead_of_returning_nonsense(call, said):
    from bcser_utils import exercises

    with pytest.raises(ValueError, match=said):
        call(exercises)


# --- 20, 23: package files read through their one reader ------------------------------------------

@pytest.mark.parametrize("content", [b"[1]", b'{"deep": ', b"\xff\xfe", b'{"deep": "x.pt", '
                                     b'"uncertain_below": 7}'])
def test_a_damaged_default_json_fails_before_any_prediction(content, tmp_path, monkeypatch,
                                                            capsys):
    from bcser_utils.app import predict

    manifest = tmp_path / "default.json"
    manifest.write_bytes(content)
    monkeypatch.setattr(predict, "DEFAULT_MODEL", manifest)
    clip = tmp_path / "clip.wav"
    sf.write(clip, 0.1 * np.random.default_rng(0).standard_normal(32_000), 16_000)
    code = main(["predict", "--json", "--checkpoint", str(SHIPPED / "bcser_p3.pt"), str(clip)])
    captured = capsys.readouterr()
    assert code == 1 and "default.json" in _one_error(captured.err)
    assert list(json.loads(captured.out)) == ["error"]


def test_evaluate_refuses_a_run_json_whose_features_its_model_was_not_trained_on(
        p2_run, tmp_path, capsys, monkeypatch):
    from bcser_utils.learn import pipeline

    run = tmp_path / "run"
    shutil.copytree(p2_run, run)
    spec = json.loads((run / "run.json").read_text())
    spec["config"]["features"]["n_mels"] = 32
    (run / "run.json").write_text(json.dumps(spec))

    def no_cache(*args, **kwargs):
        raise AssertionError("a cache was built for a run that cannot be evaluated")

    monkeypatch.setattr(pipeline, "prepare", no_cache)
    assert main(["evaluate", str(run)]) == 1
    assert "features or signal differ" in _one_error(capsys.readouterr().err)


# --- 5, 32: --json is JSON that every parser reads ----------------------------------------------

def test_json_output_never_holds_nan():
    from bcser_utils import messages

    def strict(text):
        return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in --json output"))

    value = {"a": float("nan"), "b": [np.float32("inf"), 1.5, np.int64(2)], "c": (None, "x")}
    assert strict(messages.json_text(value)) == {"a": None, "b": [None, 1.5, 2],
                                                 "c": [None, "x"]}


def test_timeline_same_speaker_with_a_model_that_cannot_adapt_is_refused_before_any_file(
        tmp_path, capsys, monkeypatch):
    from bcser_utils.app import timeline as timeline_

    def never(*args, **kwargs):
        raise AssertionError("a file was read")

    monkeypatch.setattr(timeline_, "windows", never)
    clip = _sound(tmp_path, "a.wav", 0.1 * np.random.default_rng(0).standard_normal(16_000 * 6))
    code = main(["predict", "--timeline", "--same-speaker", "--checkpoint",
                 str(SHIPPED / "bcser_p3.pt"), str(clip), str(clip)])
    assert code == 1 and "speaker normalisation" in _one_error(capsys.readouterr().err)


# --- 1 (studies too): an --out of the user's files is refused, a study's own is adopted ----------

@pytest.mark.parametrize("command", [["reproduce", "--mode", "quick"],
                                     ["beyond", "--mode", "quick"],
                                     ["generalize", "--mode", "quick", "--recipes", "paper"]])
def test_a_study_out_of_the_users_files_is_refused_and_left_alone(command, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "model.pt").write_text("mine")
    (out / "notes.csv").write_text("notes")
    assert main([*command, "--out", str(out)]) == 1
    assert "holds files bcser did not write" in _one_error(capsys.readouterr().err)
    assert sorted(p.name for p in out.iterdir()) == ["model.pt", "notes.csv"]
    assert (out / "model.pt").read_text() == "mine"


def test_a_study_folder_of_runs_is_adopted(p2_run, tmp_path):
    from bcser_utils.learn import runs

    study = tmp_path / "study"
    shutil.copytree(p2_run, study / "p2-bc-fold0")
    (study / "summary.json").write_text("{}")
    assert runs.study_folder(study)
    (study / "holiday.jpg").write_text("x")
    assert not runs.study_folder(study)
