"""The recorder's Python side: what the browser sends becomes a WAV, or one clear error.

The browser side is tests_browser/test_recorder.py (JupyterLab in headless Chromium).
"""

import datetime
import functools
import io
import re

import numpy as np
import pytest
import soundfile as sf

from bcser_utils.audio import audio_input, names, synthetic
from bcser_utils.present import recorder as rec

RATE = 48_000


def _tone(seconds: float = 0.5, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.6 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 3100 * t)).astype("f4")


@functools.cache
def _voice(rate: int = RATE) -> np.ndarray:
    """A take that holds speech (the synthetic corpus's voice: ``speech_check`` calls it speech),
    2.9 s of "Kids are talking by the door", angry; read-only, so that no test changes it."""
    take = synthetic.synthesize(names.parse_name("03-01-05-01-01-01-01.wav"), sample_rate=rate)
    take = take.astype("f4")
    take.flags.writeable = False
    return take


def _send(recorder, samples, rate=RATE):
    """What the widget's JS sends: a float32 buffer, as the kernel hands it over (memoryview)."""
    as_js = isinstance(samples, np.ndarray) and samples.dtype == "f4" and samples.ndim == 1
    buffer = memoryview(samples.tobytes()) if as_js else samples
    recorder._on_message(recorder, {"kind": "clip", "rate": rate}, [buffer])


@pytest.fixture
def made(tmp_path):
    calls = []
    recorder = rec.Recorder(tmp_path / "my_voice", label="angry", on_saved=calls.append)
    return recorder, calls, tmp_path / "my_voice"


def test_a_clip_becomes_a_16_bit_mono_wav_of_those_samples_named_by_the_label(made):
    recorder, calls, folder = made
    samples = _voice()
    _send(recorder, samples)
    path = folder / "angry.wav"
    info = sf.info(path)
    assert (info.format, info.subtype, info.channels, info.samplerate) == \
        ("WAV", "PCM_16", 1, RATE)
    saved, rate = sf.read(path, dtype="float64")
    assert rate == RATE and saved.shape == samples.shape
    assert np.abs(saved - samples).max() <= 0.5 / 32768 + 1e-9  # int16 rounding, no more
    assert calls == [path] and recorder.saved == [path]
    assert recorder.status.startswith(f"saved {path}")
    assert [p.name for p in folder.iterdir()] == ["angry.wav"]  # no temporary left behind


def test_an_existing_clip_is_never_overwritten_and_the_next_label_is_used(made):
    recorder, calls, folder = made
    _send(recorder, _voice())
    first = (folder / "angry.wav").read_bytes()
    _send(recorder, _voice()[: 2 * RATE])
    recorder.label = "calm"
    _send(recorder, _voice())
    assert (folder / "angry.wav").read_bytes() == first
    assert [p.name for p in calls] == ["angry.wav", "angry_2.wav", "calm.wav"]
    assert sf.info(folder / "angry_2.wav").frames == 2 * RATE


def test_a_label_is_cut_to_a_safe_file_name(tmp_path):
    assert rec.free_path(tmp_path, "../very angry!").name == "very_angry.wav"
    assert rec.free_path(tmp_path, "///").name == "clip.wav"


BAD = {
    "not float32 bytes": (memoryview(b"\x00\x01\x02"), RATE, "not whole float32 samples"),
    "not numbers": ("0.1, 0.2", RATE, "must be a 1-D float array"),
    "integers": (np.arange(100, dtype="i2"), RATE, "must be a 1-D float array"),
    "two channels": (np.zeros((100, 2), "f4"), RATE, "must be a 1-D float array"),
    "empty": (np.zeros(0, "f4"), RATE, "nothing was recorded"),
    "NaN": (np.array([0.1, np.nan, 0.2], "f4"), RATE, "not all finite"),
    "infinity": (np.array([0.1, np.inf], "f4"), RATE, "not all finite"),
    "no rate": (_tone(), None, "sample rate None"),
    "rate as text": (_tone(), "48000", "sample rate '48000'"),
    "rate too low": (_tone(), 100, "sample rate 100"),
    "fractional rate": (_tone(), 44100.5, "sample rate 44100.5"),
    "rate NaN": (_tone(), float("nan"), "sample rate nan"),
}


@pytest.mark.parametrize("samples, rate, reason", BAD.values(), ids=BAD.keys())
def test_a_malformed_clip_gives_one_clear_error_and_writes_nothing(made, samples, rate, reason):
    recorder, calls, folder = made
    with pytest.raises(rec.RecordingError, match=reason) as error:
        recorder.save(samples, rate)
    _send(recorder, samples, rate)  # from the browser: the same error, shown in the widget
    assert recorder.status == f"not saved: {error.value}. {rec.AGAIN}"
    assert calls == [] and not folder.exists()


def _noise(seconds: float, level: float) -> np.ndarray:
    return (level * np.random.default_rng(0).standard_normal(int(seconds * RATE))).astype("f4")


UNUSABLE = {  # a take that is well formed but no use: (samples, the cause said)
    "0.3 s of speech": (lambda: _voice()[RATE: RATE + int(0.3 * RATE)],
                        "too short: 0.30 s, need at least 0.5 s"),
    "digital silence": (lambda: np.zeros(3 * RATE, "f4"), "silent (peak below -100 dBFS)"),
    "a muted microphone's hiss": (lambda: _noise(3, 1e-6), "silent (peak below -100 dBFS)"),
    "a quiet room": (lambda: _noise(3, 1e-4), "no speech: silence"),
    "noise": (lambda: _noise(3, 0.1), "no speech: noise without voicing"),
    "a beep": (lambda: _tone(3.0), "no speech: a steady tone"),
    "speech cut to its silent start": (lambda: _voice()[: int(0.6 * RATE)], "no speech"),
}


@pytest.mark.parametrize("take, cause", UNUSABLE.values(), ids=UNUSABLE.keys())
def test_a_take_too_short_silent_or_without_speech_is_refused_in_one_line_and_not_saved(
        made, take, cause):
    recorder, calls, folder = made
    recorder.result = "angry.wav: predicted angry (80%)"  # an earlier take's prediction
    _send(recorder, take())
    status = recorder.status
    assert status.startswith(f"not saved: {cause}") and status.endswith(rec.AGAIN), status
    assert "\n" not in status and "Traceback" not in status
    assert recorder.result == ""  # the earlier take's prediction is gone with it
    assert calls == [] and recorder.saved == [] and not folder.exists()  # under no name at all
    with pytest.raises(rec.RecordingError, match=re.escape(cause)):
        recorder.save(take(), RATE)  # a cell's call: the same refusal
    # ... and the next good take gets the emotion's own name, as if the bad one never was
    _send(recorder, _voice())
    assert calls == [folder / "angry.wav"] and recorder.status.startswith("saved")


def test_a_good_take_passes_the_checks_at_the_rates_a_browser_records_at():
    for rate in (16_000, 44_100, 48_000):
        assert rec.take_problem(_voice(rate), rate) is None, rate


def test_a_file_that_fails_in_on_saved_is_said_in_one_line_and_a_bug_with_its_traceback(
        tmp_path):
    def unusable(path):
        raise audio_input.AudioError(path, "silent (peak below -100 dBFS)")

    recorder = rec.Recorder(tmp_path, label="calm", on_saved=unusable)
    _send(recorder, _voice())
    assert recorder.result == f"{tmp_path / 'calm.wav'}: silent (peak below -100 dBFS)\n"
    recorder.on_saved = lambda path: {}["missing"]  # a bug in on_saved keeps its traceback
    _send(recorder, _voice())
    assert "Traceback" in recorder.result and "KeyError" in recorder.result


def test_a_message_without_exactly_one_buffer_is_refused(made):
    recorder, calls, folder = made
    for buffers in ([], None, [b"", b""]):
        recorder._on_message(recorder, {"kind": "clip", "rate": RATE}, buffers)
        assert recorder.status.startswith("not saved: expected 1 buffer")
    recorder._on_message(recorder, "not a dict", [b""])  # not ours: ignored
    assert calls == [] and not folder.exists()


def test_save_from_a_cell_calls_back_and_what_on_saved_prints_is_shown(tmp_path, capsys):
    recorder = rec.Recorder(tmp_path, label="sad", on_saved=lambda p: print("got", p.name))
    assert recorder.save(_voice(16_000).astype("f8"), 16_000) == tmp_path / "sad.wav"
    assert capsys.readouterr().out == "got sad.wav\n"  # a cell's call prints in the cell
    _send(recorder, _voice(16_000), 16_000)
    assert recorder.result == "got sad_2.wav\n"  # the browser's: shown under the buttons
    assert capsys.readouterr().out == ""


def test_a_failing_callback_is_shown_and_the_clip_is_kept(tmp_path):
    recorder = rec.Recorder(tmp_path, on_saved=lambda p: 1 / 0)
    _send(recorder, _voice())
    assert (tmp_path / "clip.wav").is_file() and recorder.status.startswith("saved")
    assert "ZeroDivisionError" in recorder.result


def _flac(samples: np.ndarray, rate: int = RATE, channels: int = 1) -> bytes:
    data = io.BytesIO()
    sf.write(data, np.repeat(samples[:, None], channels, axis=1), rate, format="FLAC")
    return data.getvalue()


def test_a_chosen_file_is_saved_as_the_labels_wav(made):
    recorder, calls, folder = made
    samples = _voice()
    recorder._on_message(recorder, {"kind": "file", "name": "Me Happy.flac"},
                         [memoryview(_flac(samples, channels=2))])
    assert calls == [folder / "angry.wav"]
    assert recorder.status == f"saved Me Happy.flac as {folder / 'angry.wav'}"
    saved, rate = sf.read(calls[0], dtype="float64")
    assert rate == RATE and np.abs(saved - samples).max() <= 1 / 32768  # two channels → one
    for data in (b"", b"not audio at all"):
        recorder._on_message(recorder, {"kind": "file", "name": "x.wav"}, [data])
        assert recorder.status.startswith("not saved: not an audio file soundfile can read")
        assert recorder.status.endswith("Choose another file, or record.")
    # a file that is no take (here: silence) is refused as a recorded one is
    recorder._on_message(recorder, {"kind": "file", "name": "quiet.flac"},
                         [memoryview(_flac(np.zeros(RATE, "f4")))])
    assert recorder.status.startswith("not saved: silent")
    assert len(calls) == 1 and len(list(folder.iterdir())) == 1


def test_the_widget_says_the_audio_stays_here(made):
    recorder, _, folder = made
    assert "Nothing is uploaded" in recorder.note and str(folder) in recorder.note
    assert "export default" in recorder._esm and "getUserMedia" in recorder._esm


def test_without_anywidget_or_on_request_an_upload_button_saves_into_the_folder(
        tmp_path, monkeypatch, capsys):
    import ipywidgets as widgets

    assert isinstance(rec.recorder_or_upload(tmp_path), rec.Recorder)
    monkeypatch.setattr(rec, "AnyWidget", object)  # as if anywidget were not installed
    with pytest.raises(ImportError, match="anywidget"):
        rec.Recorder(tmp_path)
    calls = []
    box = rec.recorder_or_upload(tmp_path / "up", label="sad", on_saved=calls.append)
    assert isinstance(box, rec.Uploader)
    upload = box.children[0].children[0]
    assert isinstance(upload, widgets.FileUpload)
    now = datetime.datetime.now(datetime.UTC)
    upload.value = tuple({"name": name, "type": "audio/flac", "size": len(data),
                          "content": memoryview(data), "last_modified": now}
                         for name, data in (("mine.flac", _flac(_voice())), ("x.txt", b"text"),
                                            ("beep.flac", _flac(_tone(2.0)))))
    assert calls == [tmp_path / "up" / "sad.wav"] == box.saved
    assert sf.info(calls[0]).subtype == "PCM_16"
    assert "Nothing is uploaded" in box.children[0].children[1].value
    printed = capsys.readouterr().out  # (in a notebook, below the button)
    assert f"saved mine.flac as {calls[0]}" in printed and "x.txt not saved" in printed
    assert "beep.flac not saved: no speech" in printed and "Traceback" not in printed
    assert sorted(p.name for p in (tmp_path / "up").iterdir()) == ["sad.wav"]


@pytest.mark.parametrize("upload", [False, True])
def test_the_emotion_chooser_names_the_next_clip(tmp_path, upload):
    widget = rec.recorder_or_upload(tmp_path, label="calm", upload=upload)
    chooser = rec.emotion_chooser(widget, ["neutral", "calm", "angry"])
    assert chooser.value == "calm"
    chooser.value = "angry"
    assert widget.label == "angry"
    assert rec.emotion_chooser(rec.recorder_or_upload(tmp_path), ["sad"]).value == "sad"


def test_the_widgets_javascript_is_a_module_that_gives_anywidget_its_render(tmp_path):
    # anywidget imports _esm as an ES module and calls its default export's render({model, el})
    # (CI installs Debian's nodejs; the browser test then runs the same code in Chromium)
    import shutil
    import subprocess

    if not (node := shutil.which("node")):
        pytest.skip("no node here to parse the widget's JavaScript")
    module = tmp_path / "recorder.mjs"
    module.write_text(rec.Recorder._esm)
    checked = subprocess.run([node, "--check", str(module)], capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr
    probe = ("const m = (await import(process.argv[1])).default;"
             "console.log(Object.keys(m).join(','), typeof m.render, m.render.length)")
    loaded = subprocess.run([node, "--input-type=module", "-e", probe, module.as_uri()],
                            capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["render", "function", "1"]
    # the check can fail: a module cut short does not parse
    (tmp_path / "cut.mjs").write_text(rec.Recorder._esm[: len(rec.Recorder._esm) // 2])
    assert subprocess.run([node, "--check", str(tmp_path / "cut.mjs")],
                          capture_output=True).returncode != 0
