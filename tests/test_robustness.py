"""Issue 28's hostile replay: every case builds its small bad input here (or in the test module
named) and checks a non-zero exit, ONE line on stderr that names the file or the value and the
cause, no traceback, and nothing lost or half-written (docs/design.md, Robustness).

    case                                        tests
    1  a full disk during the cache build      test_a_full_disk_stops_… (a 2 MB tmpfs, root only);
                                               test_feature_cache: test_an_interrupted_build_…
    2  two trains into one --out               test_two_trains_into_one_folder_never_mix_…
    3  a forged cache meta.json                test_feature_cache: test_a_damaged_cache_is_rebuilt_…
                                               ("forged signal", "forged path", "forged real", …);
                                               a checkpoint's signal: FIELDS["signal xyz"]
    4  Ctrl-C once or twice in the build       test_ctrl_c_during_the_cache_build_…
    5  files that are not a checkpoint         test_a_file_that_is_not_a_checkpoint_…
    6  a hostile default.json                  test_a_hostile_default_json_…, …_wrong_structure_…
    7  train's numbers                         test_train_refuses_numbers_…, test_zero_is_never_…
    8  bc on a two-hour file                   test_convert (streamed = whole); the memory in
                                               benchmarks/bc_stream.py
    9  the environment, folders, run files     the "9" sections below
    10 --json, folders/FIFOs/loops, download   the "10" section; test_download: …_offline,
                                               …_users_own_files (refused before any request)

Only the cases 1, 2 and 4 train (a synthetic corpus, one epoch); the checkpoints elsewhere are the
shipped ones, copied and altered."""

import datetime
import errno
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch
from signals import as_from_a_terminal

from bcser_utils import config
from bcser_utils.app import cli
from bcser_utils.app.cli import main
from bcser_utils.learn import artifacts

SHIPPED = config.MODELS_DIR
DEEP = SHIPPED / "bcser_p3.pt"  # the paper's recipe: a deep model
CLASSICAL = SHIPPED / "bcser_default_egemaps.pt"


def one_error_line(captured) -> str:
    """The single line on stderr, checked: "error: …", no traceback, no advice to unpickle."""
    err, out = (captured.stderr, captured.stdout) if hasattr(captured, "stderr") else \
        (captured.err, captured.out)  # a subprocess's, or capsys's
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    assert "weights_only=False" not in err + out
    return lines[0]


@pytest.fixture
def clip(tmp_path) -> Path:
    """A 1.5 s tone at 16 kHz: any model reads it."""
    path = tmp_path / "clip.wav"
    t = np.arange(24_000) / 16_000
    sf.write(path, 0.1 * np.sin(2 * np.pi * 220 * t), 16_000)
    return path


@pytest.fixture(scope="module")
def deep_state() -> dict:
    return torch.load(DEEP, map_location="cpu", weights_only=True)


# --- 5: files given as a checkpoint that are not one -----------------------------------------

def _not_a_checkpoint(case: str, folder: Path, clip: Path) -> tuple[Path, str]:
    """(the file, what its one line says)"""
    path = folder / f"{case}.pt"
    if case == "swapped arguments":
        return clip, "not a readable torch file (a WAV audio file); refused unread; --checkpoint " \
                     "takes a model.pt"
    if case in ("text R", "text r", "passwd"):
        path.write_text({"text R": "Root of all\n", "text r": "read me\n",
                         "passwd": "root:x:0:0:root:/root:/bin/bash\n"}[case])
        return path, "not a readable torch file (text); refused unread"
    if case == "truncated":
        whole = DEEP.read_bytes()
        path.write_bytes(whole[: len(whole) // 3])
        return path, "not a readable torch file, truncated or corrupt"
    if case == "foreign dict":
        torch.save({"weights": torch.zeros(3), "epoch": 7}, path)
        return path, "not a bcser model checkpoint (no model, model_config, n_features"
    if case == "foreign object":  # needs weights_only=False: refused, and never advised
        torch.save({"model": datetime.date(2026, 12, 4)}, path)
        return path, "refused unread"
    if case == "a tensor":
        torch.save(torch.zeros(3), path)
        return path, "not a bcser model checkpoint (a Tensor)"
    if case == "folder":
        path.mkdir()
        return path, "a folder, not a file, so not a model checkpoint"
    if case == "fifo":
        os.mkfifo(path)
        return path, "a FIFO (named pipe), not a regular file"
    if case == "symlink loop":
        path.symlink_to(path)
        return path, "a symbolic link loop"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["swapped arguments", "text R", "text r", "passwd", "truncated",
                                  "foreign dict", "foreign object", "a tensor", "folder", "fifo",
                                  "symlink loop"])
def test_a_file_that_is_not_a_checkpoint_gets_one_line(case, tmp_path, clip, capsys):
    path, said = _not_a_checkpoint(case, tmp_path, clip)
    before = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    assert main(["predict", str(clip), "--checkpoint", str(path)]) == 1
    line = one_error_line(capsys.readouterr())
    assert line.startswith(f"error: {path}: ") and said in line, line
    if before is not None:
        assert path.read_bytes() == before


# --- 9: checkpoint fields that this version cannot use, checked as the file is loaded ---------

def _normalisation(state: dict, table: dict | None) -> None:
    """Replace a checkpoint's normalisation (``normalizer``, or an older file's
    ``standardizer``) with ``table``, or drop it."""
    state.pop("standardizer", None)
    state.pop("normalizer", None)
    if table is not None:
        state["normalizer"] = table


FIELDS = {  # case → (how the shipped checkpoint's state is changed, what the line says)
    "unknown features": (lambda s: s["features"].update(kind="wavelet"),
                         "unknown features 'wavelet'"),
    "3 emotions": (lambda s: s.update(emotions=["neutral", "calm", "happy"]),
                   "3 emotions ['neutral', 'calm', 'happy']…, not RAVDESS's 8"),
    "alpha 1e308": (lambda s: s["bc"].update(alpha=1e308), "BC filter alpha=1e+308"),
    "alpha nan": (lambda s: s["bc"].update(alpha=math.nan), "BC filter alpha=nan"),
    "signal xyz": (lambda s: s.update(signal="xyz"), "unknown signal 'xyz'"),
    "features a string": (lambda s: s.update(features="logmel"),
                          "its features settings are not a table (str)"),
    "n_mels a string": (lambda s: s["features"].update(n_mels="64"), "features n_mels='64'"),
    "a setting of no version": (lambda s: s["features"].update(banana=1),
                                "unknown features setting(s) banana"),
    "sample rate 0": (lambda s: s["features"].update(sample_rate=0),
                      "features sample_rate=0 Hz"),
    "max_duration_s 1e308": (lambda s: s["features"].update(max_duration_s=1e308),
                             "features max_duration_s=1e+308"),
    "reference rate -5": (lambda s: s["bc"].update(reference_rate=-5),
                          "BC filter reference_rate=-5 Hz"),
    "3 classes": (lambda s: s["model_config"].update(n_classes=3), "n_classes=3"),
    "model_config a string": (lambda s: s.update(model_config="big"),
                              "its model_config settings are not a table (str)"),
    "emotions a string": (lambda s: s.update(emotions="neutral"), "emotions 'neutral'"),
    "n_features True": (lambda s: s.update(n_features=True), "n_features True"),
    "no normalisation": (lambda s: _normalisation(s, None), "no normalisation table"),
    "statistics of 10 bands": (lambda s: _normalisation(s, {"mean": [0.0] * 10,
                                                            "std": [1.0] * 10}),
                               "normalisation statistics for 10 and 10 features"),
    "normalisation banana": (lambda s: _normalisation(s, {"mode": "banana", "mean": [0.0] * 64,
                                                          "std": [1.0] * 64}),
                             "unknown normalisation 'banana'"),
    "card a string": (lambda s: s.update(card="x"), "its model card is not a table"),
}


@pytest.mark.parametrize("case", FIELDS)
def test_malformed_checkpoint_fields_get_one_line_naming_the_field(case, deep_state, tmp_path,
                                                                   clip, capsys):
    state = {k: dict(v) if isinstance(v, dict) else v for k, v in deep_state.items()}
    change, said = FIELDS[case]
    change(state)
    path = tmp_path / "model.pt"
    torch.save(state, path)
    with pytest.raises(artifacts.CheckpointError, match=r"model\.pt: "):
        artifacts.load_checkpoint(path)  # refused where the file is loaded, before any use
    assert main(["predict", str(clip), "--checkpoint", str(path)]) == 1
    line = one_error_line(capsys.readouterr())
    assert line.startswith(f"error: {path}: ") and said in line, line
    assert line.endswith("not a model this version of bcser made")


def test_the_shipped_checkpoints_pass_the_checks():
    for path in sorted(SHIPPED.glob("*.pt")):
        if path.name.endswith("_egemaps.pt"):
            assert artifacts.load_classical(path)["classifier"]["kind"] in ("svm", "logreg")
        else:
            assert artifacts.load_checkpoint(path)["n_features"] == 64


# --- 6: default.json, and the classical model it names ---------------------------------------

MANIFESTS = {  # case → (default.json's text, what the line says)
    "a parent folder": ({"deep": "../../etc/passwd"}, "'deep' names '../../etc/passwd': only a "
                                                      "file beside default.json"),
    "an absolute path": ({"deep": "/etc/passwd"}, "'deep' names '/etc/passwd'"),
    "a link out of the folder": ({"deep": "link.pt"}, "'deep' names 'link.pt'"),
    "bad JSON": ('{"deep": ', "not a readable default-model file (Expecting value"),
    "not UTF-8": (b"\xff\xfe{", "not a readable default-model file"),
    "weight banana": ({"deep": "deep.pt", "weight": "banana"},
                      "weight 'banana': the fusion weight is a number in [0, 1]"),
    "weight 7.0": ({"deep": "deep.pt", "weight": 7.0}, "weight 7.0: the fusion weight"),
    "weight NaN": ('{"deep": "deep.pt", "weight": NaN}', "weight nan: the fusion weight"),
    "deep 42": ({"deep": 42}, "'deep' must name a file or a list of files, not 42"),
    "a list": (["deep.pt"], "a default-model file holds a JSON object, not a list"),
    "two classical models": ({"deep": "deep.pt", "classical": ["a.pt", "b.pt"]},
                             "'classical' must name one file"),
}


def _manifest(folder: Path, content) -> Path:
    shutil.copyfile(DEEP, folder / "deep.pt")
    outside = folder.parent / f"{folder.name}-outside.pt"
    shutil.copyfile(DEEP, outside)
    (folder / "link.pt").symlink_to(outside)
    path = folder / "default.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.mark.parametrize("case", MANIFESTS)
def test_a_hostile_default_json_gets_one_line(case, tmp_path, clip, capsys, monkeypatch):
    folder = tmp_path / "models"
    folder.mkdir()
    content, said = MANIFESTS[case]
    manifest = _manifest(folder, content)
    monkeypatch.setattr(artifacts, "DEFAULT_MODEL", manifest)
    for same_speaker in ([], ["--same-speaker"]):
        assert main(["predict", *same_speaker, str(clip)]) == 1
        line = one_error_line(capsys.readouterr())
        assert line.startswith(f"error: {manifest}: ") and said in line, line


CLASSIFIERS = {  # case → (how the shipped baseline's arrays are changed, what the line says)
    "no gamma": (lambda a: a.pop("gamma"), "its svm classifier has no gamma"),
    "dual_coef of another shape": (lambda a: a.update(dual_coef=torch.zeros(3, 3)),
                                   "dual_coef of shape (3, 3), where 8 classes of 88 features"),
    "a class twice": (lambda a: a.update(classes=torch.tensor([0, 0, 1, 2, 3, 4, 5, 6])),
                      "classes [0, 0, 1, 2, 3, 4, 5, 6]"),
    "NaN intercepts": (lambda a: a.update(intercept=torch.full((28,), math.nan)),
                       "intercept is not a finite 1-D array"),
    "text for support vectors": (lambda a: a.update(support_vectors="abc"),
                                 "support_vectors is not an array of numbers"),
    "gamma a string": (lambda a: a.update(gamma="x"), "gamma='x'"),
}


@pytest.mark.parametrize("case", CLASSIFIERS)
def test_a_classical_model_of_the_wrong_structure_gets_one_line(case, tmp_path, clip, capsys,
                                                                monkeypatch):
    state = torch.load(CLASSICAL, map_location="cpu", weights_only=True)
    change, said = CLASSIFIERS[case]
    change(state["classifier"])
    folder = tmp_path / "models"
    folder.mkdir()
    torch.save(state, folder / "classical.pt")
    manifest = _manifest(folder, {"deep": "deep.pt", "classical": "classical.pt", "weight": 0.5})
    monkeypatch.setattr(artifacts, "DEFAULT_MODEL", manifest)
    assert main(["predict", "--same-speaker", *[str(clip)] * 4]) == 1
    line = one_error_line(capsys.readouterr())
    assert line.startswith(f"error: {folder / 'classical.pt'}: ") and said in line, line


# --- 7: train's numbers, checked by argparse ---------------------------------------------------

@pytest.mark.parametrize("given, said", [
    (["--epochs", "-1"], "argument --epochs: -1: expected a positive whole number"),
    (["--epochs", "0"], "argument --epochs: 0: expected a positive whole number"),
    (["--versions", "0"], "argument --versions: augment.n_versions=0: out of bounds, expected "
                          "1 ≤ n_versions ≤ 15"),
    (["--versions", "-3"], "argument --versions: augment.n_versions=-3: out of bounds"),
    (["--versions", "100000"], "argument --versions: augment.n_versions=100000: out of bounds"),
    (["--seed", "-5"], "argument --seed: -5: expected a seed from 0 to 4294967295"),
    (["--seed", "4294967296"], "argument --seed: 4294967296: expected a seed"),
    (["--fold", "-1"], "argument --fold: -1: expected a whole number from 0"),
    (["--epochs", "three"], "argument --epochs: 'three' is not a whole number"),
])
def test_train_refuses_numbers_it_cannot_use_before_it_starts(given, said, tmp_path, capsys):
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--out", str(out), *given])
    assert exit_info.value.code == 2
    line = one_error_line(capsys.readouterr())
    assert line.startswith("error: python -m bcser_utils train: ") and said in line, line
    assert not out.exists()  # nothing was started, nothing saved as finished


def test_zero_is_never_replaced_by_a_default():
    assert cli._run_config("quick", 0, 1).mode.seed == 0
    assert cli._run_config("quick", None, 1).augment.n_versions == 1


# --- 9: the environment, and folders that are files ------------------------------------------

@pytest.mark.parametrize("command", [["predict", "x.wav"], ["data", "check", "."],
                                     ["bc", "a.wav", "b.wav"], ["train"], ["evaluate", "runs/x"],
                                     ["predict", "x.wav", "--json"]])
def test_a_bad_bcser_mode_is_one_line_for_every_command(command, tmp_path):
    """A subprocess: some modules read the mode as they are imported."""
    env = {**os.environ, "BCSER_MODE": "banana"}
    done = subprocess.run([sys.executable, "-m", "bcser_utils", *command], env=env, cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert one_error_line(done) == "error: BCSER_MODE='banana': expected 'quick' or 'full'"
    if "--json" in command:
        assert json.loads(done.stdout) == {"error": "BCSER_MODE='banana': expected 'quick' or "
                                                    "'full'"}
    else:
        assert done.stdout == ""


def test_a_bad_environment_in_process_is_one_line_too(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BCSER_MODE", "banana")
    with pytest.raises(SystemExit) as exit_info:
        main(["data", "check", str(tmp_path)])
    assert exit_info.value.code == 2 and "BCSER_MODE='banana'" in one_error_line(
        capsys.readouterr())
    monkeypatch.delenv("BCSER_MODE")
    a_file = tmp_path / "data.txt"
    a_file.write_text("mine")
    monkeypatch.setenv("BCSER_DATA_DIR", str(a_file))
    with pytest.raises(SystemExit):
        main(["data", "check", str(tmp_path)])
    assert one_error_line(capsys.readouterr()) == (
        f"error: BCSER_DATA_DIR={a_file}: not a folder (downloads and caches go in it)")
    assert a_file.read_text() == "mine"


@pytest.mark.parametrize("command", ["train", "reproduce", "beyond", "generalize"])
def test_out_an_existing_file_is_refused_and_left_alone(command, tmp_path, capsys):
    out = tmp_path / "notes.txt"
    out.write_text("keep me")
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--out", str(out)])
    assert exit_info.value.code == 2
    line = one_error_line(capsys.readouterr())
    assert f"argument --out: {out}: exists and is not a folder" in line
    assert out.read_text() == "keep me"


def _spec(**changes) -> dict:
    return {"protocol": "P2", "fold": 0, "signal": "bc", "mode": "quick", "data": "/nowhere",
            "seed": 0, "versions": 1, **changes}


RUN_FOLDERS = {  # case → (run.json's text or None for none, model.pt or None, what is said)
    "no run.json": (None, None, "{run}: not a finished run folder (no run.json)"),
    "run.json not JSON": ("{", None, "{run}/run.json: unreadable (Expecting"),
    "run.json binary": (b"\x00\xff", None, "{run}/run.json: unreadable ("),
    "run.json a list": ([1, 2], None, "{run}/run.json: a JSON list, not the settings train "
                                      "writes"),
    "config a string": (_spec(config="all"), None, "{run}/run.json: its config is not a table"),
    "protocol P9": (_spec(protocol="P9"), None, "{run}/run.json: protocol 'P9', not one of"),
    "mode banana": (_spec(mode="banana"), None, "{run}/run.json: mode 'banana', not one of"),
    "fold -1": (_spec(fold=-1), None, "{run}/run.json: fold -1"),
    "a setting of no version": (_spec(config={"bc": {"gamma": 1}}), None,
                                "{run}/run.json: its settings do not fit this version"),
    "alpha a string": (_spec(config={"bc": {"alpha": "x"}}), None,
                       "{run}/run.json: bc.alpha = 'x', where this version expects a number"),
    "no model.pt": (_spec(), None, "{run}: not a finished run folder ({run}/model.pt: no such "
                                   "checkpoint)"),
    "a foreign model.pt": (_spec(), "foreign", "{run}: not a finished run folder "
                                               "({run}/model.pt: not a bcser model checkpoint"),
}


@pytest.mark.parametrize("case", RUN_FOLDERS)
def test_evaluate_a_hostile_run_folder_gets_one_line(case, tmp_path, capsys):
    run = tmp_path / "r1"
    run.mkdir()
    spec, model, said = RUN_FOLDERS[case]
    if isinstance(spec, bytes):
        (run / "run.json").write_bytes(spec)
    elif isinstance(spec, str):
        (run / "run.json").write_text(spec)
    elif spec is not None:
        (run / "run.json").write_text(json.dumps(spec))
    if model == "foreign":
        torch.save({"weights": torch.zeros(2)}, run / "model.pt")
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    assert main(["evaluate", str(run), "--json"]) == 1
    captured = capsys.readouterr()
    line = one_error_line(captured)
    assert line.startswith("error: " + said.format(run=run)), line
    assert json.loads(captured.out) == {"error": line.removeprefix("error: ")}
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_evaluate_a_file_where_a_run_folder_is_expected(tmp_path, capsys):
    run = tmp_path / "runs" / "r1"
    run.mkdir(parents=True)
    shutil.copyfile(DEEP, run / "model.pt")
    assert main(["evaluate", str(run / "model.pt")]) == 1
    assert one_error_line(capsys.readouterr()) == (
        f"error: {run / 'model.pt'}: a file, not a run folder: evaluate takes the folder train "
        f"wrote ({os.path.relpath(run)})")


def test_train_refuses_a_run_folder_whose_files_are_not_its_own(synthetic_dir, tmp_path,
                                                                capsys):
    run = tmp_path / "run"
    args = ["train", "--protocol", "P2", "--mode", "quick", "--data", str(synthetic_dir),
            "--versions", "1", "--epochs", "1", "--seed", "3", "--out", str(run)]
    cases = [  # (run.json, metrics.json, what the one line says)
        ([1], None, f"{run / 'run.json'}: a JSON list, not the settings train writes"),
        ({"config": {"bc": [1]}}, None, f"{run / 'run.json'}: its config is not a table"),
        ("{", None, f"{run / 'run.json'}: unreadable (Expecting"),
        (None, {"seed": 3}, f"{run / 'metrics.json'}: results without the run.json"),
        ({}, "[", f"{run / 'metrics.json'}: unreadable (Expecting value"),
        ({}, [], f"{run / 'metrics.json'}: not the results train writes"),
        ({}, {"protocol": "P2", "seed": 2, "metrics": {"accuracy": 0.9}},
         f"{run / 'metrics.json'}: the results of another run (seed = 2 there, 3 now)"),
        ({}, {"protocol": "P2", "seed": 3, "weights": "elsewhere"},
         f"{run / 'metrics.json'}: not the results train writes (no accuracy"),
    ]
    for spec, metrics, said in cases:
        shutil.rmtree(run, ignore_errors=True)
        run.mkdir()
        for name, content in (("run.json", spec), ("metrics.json", metrics)):
            if content is not None:
                (run / name).write_text(content if isinstance(content, str)
                                        else json.dumps(content))
        before = {p.name: p.read_bytes() for p in run.iterdir()}
        assert main(args) == 1, said
        line = one_error_line(capsys.readouterr())
        assert line.startswith(f"error: {said}"), line
        assert {p.name: p.read_bytes() for p in run.iterdir()} == before  # nothing written


def test_a_read_only_file_system_gets_one_line_and_what_to_do(synthetic_dir, tmp_path, capsys,
                                                              monkeypatch):
    """EROFS is not a PermissionError; the feature cache's folder on a read-only mount."""
    from bcser_utils.audio import feature_cache

    cache = tmp_path / "ro" / "cache"

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(cache))

    monkeypatch.setattr(feature_cache, "build", read_only)
    monkeypatch.setenv("BCSER_DATA_DIR", str(tmp_path / "ro"))  # the data folder's advice fits
    assert main(["train", "--protocol", "P2", "--mode", "quick", "--data", str(synthetic_dir),
                 "--versions", "1", "--epochs", "1", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error")]
    assert errors == [f"error: {cache}: not writable (Read-only file system); point "
                      "BCSER_DATA_DIR at a writable folder"] and "Traceback" not in err
    # a folder outside the data folder gets advice that fits it
    monkeypatch.setenv("BCSER_DATA_DIR", str(tmp_path / "elsewhere"))
    assert main(["train", "--protocol", "P2", "--mode", "quick", "--data", str(synthetic_dir),
                 "--versions", "1", "--epochs", "1", "--out", str(tmp_path / "run")]) == 1
    assert capsys.readouterr().err.strip().endswith(
        "not writable (Read-only file system); choose a folder you can write to")


# --- 10: predict's inputs that are not files; --json --------------------------------------------

def test_predict_says_what_a_folder_fifo_or_symlink_loop_is(tmp_path, clip, capsys):
    folder, fifo, loop = tmp_path / "a folder.wav", tmp_path / "pipe.wav", tmp_path / "loop.wav"
    folder.mkdir()
    os.mkfifo(fifo)
    loop.symlink_to(loop)
    files = [str(folder), str(fifo), str(clip), str(loop), str(tmp_path / "absent.wav")]
    assert main(["predict", *files, "--checkpoint", str(DEEP), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        f"error: {folder}: a folder, not a file",
        f"error: {fifo}: a FIFO (named pipe), not a regular file",
        f"error: {loop}: a symbolic link loop",
        f"error: {tmp_path / 'absent.wav'}: no such file"]
    assert [r["file"] for r in json.loads(captured.out)] == [str(clip)]  # the others predicted


@pytest.mark.parametrize("command, code", [
    (["predict", "{clip}", "--checkpoint", "{clip}", "--json"], 1),
    (["predict", "{clip}", "--checkpoint", "{tmp}/none.pt", "--json"], 1),
    (["data", "check", "{tmp}/absent", "--json"], 2),
    (["evaluate", "{clip}", "--json"], 1),
    (["evaluate", "{tmp}", "--json"], 1),
    (["predict", "--json"], 2),  # a usage error
    (["predict", "{clip}", "--json", "--no-such-option"], 2),
])
def test_under_json_stdout_is_json_even_when_the_command_fails(command, code, tmp_path, clip,
                                                               capsys):
    argv = [a.format(clip=clip, tmp=tmp_path) for a in command]
    if code == 2 and argv[0] == "predict":
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    else:
        assert main(argv) == code
    captured = capsys.readouterr()
    line = one_error_line(captured)
    assert json.loads(captured.out) == {"error": line.removeprefix("error: ")}


# --- the one place: a user's OSError or ValueError is one line, a bug of ours is not ----------

def test_only_errors_from_the_users_input_become_one_line(monkeypatch, tmp_path, clip, capsys):
    def fails_with(err):
        def run(args):
            raise err
        return run

    monkeypatch.setattr(cli, "_predict", fails_with(
        NotADirectoryError(errno.ENOTDIR, "Not a directory", str(clip / "x"))))
    assert main(["predict", str(clip)]) == 1
    assert one_error_line(capsys.readouterr()) == f"error: {clip / 'x'}: Not a directory"
    monkeypatch.setattr(cli, "_predict", fails_with(OSError(errno.ENOSPC, "No space left on "
                                                            "device", str(tmp_path / "out"))))
    assert main(["predict", str(clip), "--json"]) == 1
    captured = capsys.readouterr()
    assert one_error_line(captured) == (f"error: {tmp_path / 'out'}: No space left on device; "
                                        "free some space and run the same command again")
    # (predict has nothing to resume: "it resumes" is said by the commands that do)
    assert json.loads(captured.out)["error"] == one_error_line(captured).removeprefix("error: ")
    for bug in (ValueError("operands could not be broadcast together"), KeyError("metrics"),
                TypeError("unsupported format string passed to NoneType.__format__")):
        monkeypatch.setattr(cli, "_predict", fails_with(bug))
        with pytest.raises(type(bug)):  # our own mistake keeps its traceback
            main(["predict", str(clip)])


# --- 1, 2, 4: a full disk, a second train into one folder, Ctrl-C --------------------------------
# Real processes, as a user meets them: the command line in a child process, a tmpfs mount for the
# full disk, SIGINT sent to the whole process group as a terminal's Ctrl-C is.

def _train(corpus: Path, out: Path, *more: str) -> list[str]:
    return [sys.executable, "-m", "bcser_utils", "train", "--mode", "full", "--data",
            str(corpus), "--epochs", "1", "--out", str(out), *more]


def _env(data_dir: Path) -> dict:
    return {**os.environ, "BCSER_DATA_DIR": str(data_dir), "BCSER_OFFLINE": "1"}


def _error_lines(stderr: str) -> list[str]:
    """The lines of stderr that are not the progress bar's (it redraws itself with \\r)."""
    assert "Traceback" not in stderr, stderr
    return [line.split("\r")[-1] for line in stderr.splitlines()
            if line.split("\r")[-1].startswith("error")]


def _labels(data_dir: Path) -> pd.Series:
    (index,) = data_dir.glob("cache/features-*/index.csv")
    return pd.read_csv(index).label


def _mounted_tmpfs(folder: Path, options: str) -> Path:
    """A tmpfs mounted on ``folder`` (created); skips where that cannot be done (not root)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a full or read-only disk is a small tmpfs, and mounting one needs root")
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    return folder


@pytest.fixture
def small_disk(tmp_path) -> Path:
    """A 2 MB tmpfs: a feature cache of the synthetic corpus does not fit."""
    yield _mounted_tmpfs(tmp_path / "disk", "size=2m")
    subprocess.run(["umount", "-l", str(tmp_path / "disk")], check=False)


@pytest.fixture
def read_only_disk(tmp_path) -> Path:
    yield _mounted_tmpfs(tmp_path / "read-only", "ro,size=1m")
    subprocess.run(["umount", "-l", str(tmp_path / "read-only")], check=False)


def test_a_read_only_data_folder_is_one_line_and_what_to_do(synthetic_dir, read_only_disk,
                                                            tmp_path):
    """Case 9 on a real read-only mount (EROFS, not a PermissionError)."""
    done = subprocess.run(_train(synthetic_dir, tmp_path / "run", "--versions", "1"),
                          env=_env(read_only_disk), cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 1
    (line,) = _error_lines(done.stderr)
    assert line.startswith(f"error: {read_only_disk}/cache") and line.endswith(
        ": not writable (Read-only file system); point BCSER_DATA_DIR at a writable folder"), line
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_a_full_disk_stops_the_cache_build_in_one_line_and_the_rerun_resumes(
        synthetic_dir, small_disk, tmp_path):
    command = _train(synthetic_dir, tmp_path / "run", "--versions", "3")
    full = subprocess.run(command, env=_env(small_disk), cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert full.returncode == 1
    (line,) = _error_lines(full.stderr)
    assert line.startswith(f"error: {small_disk}/cache/features-"), line  # names the file
    assert line.endswith(": No space left on device; free some space and run the same command "
                         "again: it resumes"), line
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    again = subprocess.run(command, env=_env(small_disk), cwd=tmp_path, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    labels = _labels(small_disk)
    assert len(labels) == 180 * 3 and not labels.str.startswith("version").any()
    assert [p for p in small_disk.rglob("*") if p.is_file() and p.stat().st_size == 0
            and p.suffix != ".lock"] == []  # nothing left at 0 bytes


def test_two_trains_into_one_folder_never_mix_their_results(synthetic_dir, tmp_path):
    run, data_dir = tmp_path / "run", tmp_path / "data"
    started = [subprocess.Popen(_train(synthetic_dir, run, "--versions", "1", "--seed", seed),
                                env=_env(data_dir), cwd=tmp_path, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for seed in ("2", "3")]
    ended = {seed: (p.communicate(timeout=600)[1], p.returncode)[::-1]
             for seed, p in zip("23", started, strict=True)}
    assert sorted(code for code, _ in ended.values()) == [0, 1], ended
    winner = next(seed for seed, (code, _) in ended.items() if code == 0)
    loser = next(seed for seed, (code, _) in ended.items() if code == 1)
    assert _error_lines(ended[loser][1]) == [
        f"error: {run}: another run is writing into this folder now; wait for it to finish, "
        "or use another --out"]
    settings = json.loads((run / "run.json").read_text())
    results = json.loads((run / "metrics.json").read_text())
    assert settings["seed"] == results["seed"] == int(winner)  # one run's files, whole
    # the loser run again alone: the folder is the winner's, and it says so
    rerun = subprocess.run(_train(synthetic_dir, run, "--versions", "1", "--seed", loser),
                           env=_env(data_dir), cwd=tmp_path, capture_output=True, text=True,
                           timeout=600)
    assert rerun.returncode == 1 and rerun.stdout == ""
    (line,) = _error_lines(rerun.stderr)
    assert line.startswith(f"error: {run}") and "seed" in line, line
    assert json.loads((run / "metrics.json").read_text()) == results


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_during_the_cache_build_ends_at_once_and_the_rerun_resumes(presses, synthetic_dir,
                                                                          tmp_path):
    data_dir = tmp_path / "data"
    command = _train(synthetic_dir, tmp_path / "run", "--versions", "5")
    child = subprocess.Popen(command, env=_env(data_dir), cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True,
                             preexec_fn=as_from_a_terminal)
    deadline = time.monotonic() + 300
    while len(list(data_dir.glob("cache/features-*/shards/*.npy"))) < 4:  # mid-build
        assert child.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    pressed = time.monotonic()
    for _ in range(presses):  # Ctrl-C goes to the whole group: the workers get it too
        os.killpg(child.pid, signal.SIGINT)
        time.sleep(0.3)
    try:
        out, err = child.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        pytest.fail(f"{presses} Ctrl-C left the command hanging")
    assert child.returncode == 130 and time.monotonic() - pressed < 15
    assert _error_lines(err) == ["error: interrupted; run the same command again to resume "
                                 "(finished recordings and runs are kept)"]
    again = subprocess.run(command, env=_env(data_dir), cwd=tmp_path, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    labels = _labels(data_dir)
    assert len(labels) == 180 * 5 and not labels.str.startswith("version").any()


# --- [guarded-io] 1, 2, 17, 21, 28: one way to write (bcser_utils/files.py) --------------------

from bcser_utils import files, messages  # noqa: E402


def test_a_failed_write_leaves_the_old_file_whole_and_names_the_final_path(tmp_path):
    """Case 2 and 21: a full disk mid-write (a plain write names no file)."""
    target = tmp_path / "bcser_default.pt"
    target.write_bytes(b"the old model")

    def fails(tmp):
        tmp.write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left") as caught:
        files.write_atomically(target, fails)
    assert caught.value.filename == str(target) and caught.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"the old model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bcser_default.pt"]


def test_an_unwritable_folder_names_the_final_file_not_its_temporary(tmp_path):
    """Case 28: a read-only folder named the hidden temporary."""
    target = tmp_path / "ro" / "out.json"

    def denied(tmp):  # what open() raises in a read-only folder (root would not see it)
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp))

    with pytest.raises(PermissionError) as caught:
        files.write_atomically(target, denied)
    assert caught.value.filename == str(target)


def test_copy_is_atomic(tmp_path, monkeypatch):
    """Case 2: shipping a model copies it; a copy that fails leaves the old file."""
    source, target = tmp_path / "model.pt", tmp_path / "shipped.pt"
    source.write_bytes(b"new" * 1000)
    target.write_bytes(b"old")

    def full_disk(src, dst):
        Path(dst).write_bytes(b"ne")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full_disk)
    with pytest.raises(OSError, match="No space"):
        files.copy(source, target)
    assert target.read_bytes() == b"old" and len(list(tmp_path.iterdir())) == 2
    monkeypatch.undo()
    files.copy(source, target)
    assert target.read_bytes() == source.read_bytes()


def test_write_json_refuses_nan(tmp_path):
    with pytest.raises(ValueError):
        files.write_json(tmp_path / "m.json", {"accuracy": math.nan})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("length", [200, 250, 255])
def test_a_long_name_is_written_through_a_temporary_within_the_name_limit(length, tmp_path):
    """Case 28: a 250-character output name failed on its temporary's longer name."""
    target = tmp_path / ("x" * (length - 4) + ".wav")
    assert len(files.temporary_name(target).name.encode()) <= 255
    assert files.temporary_name(target).suffix == ".tmp" and ".wav." in \
        files.temporary_name(target).name
    files.write_bytes(target, b"data")
    assert target.read_bytes() == b"data" and len(list(tmp_path.iterdir())) == 1


def test_a_name_past_the_limit_is_one_error_naming_it(tmp_path):
    target = tmp_path / ("y" * 300 + ".wav")
    with pytest.raises(OSError, match="file name too long") as caught:
        files.write_bytes(target, b"data")
    assert caught.value.errno == errno.ENAMETOOLONG and list(tmp_path.iterdir()) == []


_WRITER = """
import signal, sys, time
from pathlib import Path
from bcser_utils import files
if sys.argv[3] == "own":  # a handler installed before ours still runs, after our cleanup
    signal.signal(signal.SIGTERM, lambda n, f: (Path(sys.argv[2]).write_text("mine"),
                                                sys.exit(3)))
def slow(tmp):
    tmp.write_bytes(b"x" * 1000)
    Path(sys.argv[2]).with_suffix(".ready").touch()
    time.sleep(60)
files.write_atomically(Path(sys.argv[1]), slow)
"""


@pytest.mark.parametrize("signum,handler", [(signal.SIGTERM, "none"), (signal.SIGHUP, "none"),
                                            (signal.SIGINT, "none"), (signal.SIGTERM, "own")])
def test_a_signal_mid_write_removes_the_temporary(signum, handler, tmp_path):
    """Case 17: SIGTERM or SIGHUP of bc left its temporary for good (SIGINT cleaned up)."""
    target, flag = tmp_path / "out" / "m30.wav", tmp_path / "flag"
    child = subprocess.Popen([sys.executable, "-c", _WRITER, str(target), str(flag), handler],
                             preexec_fn=as_from_a_terminal,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not flag.with_suffix(".ready").exists():
        assert child.poll() is None and time.monotonic() < deadline, child.stderr.read()
        time.sleep(0.02)
    assert len(list(target.parent.iterdir())) == 1  # the temporary, being written
    child.send_signal(signum)
    child.wait(timeout=30)
    assert list(target.parent.iterdir()) == []
    if handler == "own":
        assert child.returncode == 3 and flag.read_text() == "mine"
    elif signum != signal.SIGINT:
        assert child.returncode == -signum  # ended by the signal, as without our handler


def test_a_folder_of_the_users_files_is_refused_and_left_alone(tmp_path):
    """Case 1: train --out into a folder of the user's model.pt and predictions.csv."""
    out = tmp_path / "u"
    (out / "figures").mkdir(parents=True)
    (out / "model.pt").write_text("mine")
    (out / "predictions.csv").write_text("notes")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(files.NotOurs, match=r"u: holds files bcser did not write") as caught:
        with files.claim(out):
            raise AssertionError("the block must not run")
    assert "nothing was changed" in str(caught.value)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_folder_is_ours_when_empty_marked_or_an_earlier_versions_run(tmp_path):
    for folder in (tmp_path / "new", tmp_path / "empty"):
        if folder.name == "empty":
            folder.mkdir()
        with files.claim(folder):
            (folder / "model.pt").write_text("ours")
        with files.claim(folder):  # marked at the first claim: ours from now on
            pass
        assert (folder / files.MARKER).is_file()
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "run.json").write_text('{"protocol": "P1"}')
    (earlier / "model.pt").write_text("ours")
    with files.claim(earlier):
        pass
    assert not (earlier / files.MARKER).exists()  # adopted, nothing written
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "run.json").write_text('{"protocol": "P1"}')
    (tmp_path / "mixed" / "thesis.tex").write_text("mine")
    with pytest.raises(files.NotOurs, match=r"thesis\.tex"):
        with files.claim(tmp_path / "mixed"):
            pass
    assert not (tmp_path / "mixed" / files.MARKER).exists()
    (tmp_path / "a file").write_text("x")
    with pytest.raises(files.NotOurs, match="not a folder"):
        with files.claim(tmp_path / "a file"):
            pass


# --- [guarded-io] 30: a file name cannot forge an output line (bcser_utils/messages.py) ---------

@pytest.mark.parametrize("name", ["x\nerror: fake line.wav", "\x1b[2J\x1b[31mred.wav",
                                  "a\rb.wav", "bidi\u202eevaw.wav", "bad\udcffbyte.wav"])
def test_a_path_is_printed_on_one_line_with_its_control_characters_escaped(name):
    for shown in (messages.display_path(name), messages.named(name)):
        assert shown.isprintable() and "\n" not in shown and "\x1b" not in shown
        shown.encode("utf-8")  # printable: no lone surrogate
    assert messages.named("x\nerror: fake line.wav") == "x\\nerror: fake line.wav"
    assert messages.named("été 音.wav") == "été 音.wav"  # unicode letters stay as they are
