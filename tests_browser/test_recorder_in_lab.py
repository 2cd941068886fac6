"""The recorder in JupyterLab, with Chromium's fake microphone playing a RAVDESS clip.

Chromium stands in for a microphone (--use-fake-device-for-media-stream, looping a WAV file) and
grants it without asking (--use-fake-ui-for-media-stream). The test runs the notebook, clicks
record, waits, clicks stop, and checks that the saved WAV holds that clip (normalised
cross-correlation of its loudest 2 s with the source) and that the prediction the notebook's
``on_saved`` prints appears under the cell; once with the AudioWorklet capture, once with the
ScriptProcessor the widget falls back to. A third test gives the widget's "or a file" chooser
the clip itself (the way in where a page may not use the microphone, as in VS Code). Two more
record takes that are no use, a 0.3 s one and a silent one (a second Chromium whose fake
microphone plays a WAV of zeros): neither is saved under any name, the widget says why in one
line (no traceback anywhere in the notebook), and the record button records again. Needs what
test_browser.py needs, and the development copy of RAVDESS (skips without it).
"""

import json
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bcser_utils.config import get_config

ROOT = Path(__file__).resolve().parents[1]
RAVDESS = ROOT.parent / "shared" / "data" / "ravdess"
# "Kids are talking by the door", angry, strong intensity, actor 01
CLIP = RAVDESS / "Actor_01" / "03-01-05-02-01-01-01.flac"
# The notebook recorded in. None: the small one `_write_demo` writes. A real notebook (e.g.
# ROOT / "notebooks" / "10_your_own_voice.ipynb") is copied into tmp_path and run there; its first
# recorder is the one clicked, and its on_saved prints the emotion (one of the 8 names).
NOTEBOOK: Path | None = ROOT / "notebooks" / "10_your_own_voice.ipynb"
RECORD_S = 4.0
SHORT_S = 0.3  # a take stopped this soon is too short (config: audio.min_duration_s, 0.5 s)
AGAIN = "Press record and say the sentence again."  # present.recorder.AGAIN
EXCERPT_S = 2.0
MIN_CORRELATION = 0.95  # measured 0.99999 (2026-12-04): the fake device passes the samples on

pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                    "(make test-browser installs it)")
from browsing import CHROMIUM, DRIVER, run_all, serve_lab, start_chrome  # noqa: E402

if not (CHROMIUM and DRIVER):
    pytest.skip("no chromium and chromedriver here: apt-get install chromium chromium-driver",
                allow_module_level=True)
if not CLIP.is_file():
    pytest.skip(f"RAVDESS development copy not found at {RAVDESS}", allow_module_level=True)

from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ready  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

DEMO = '''\
from bcser_utils.app.predict import predict_files
from bcser_utils.present.recorder import recorder_or_upload


def show_prediction(path):
    results, errors = predict_files([path])
    for result in results:
        print(f"predicted: {result['emotion']}")
    for error in errors:
        print(error)


recorder_or_upload("my_voice", label="angry", on_saved=show_prediction)
'''


def _write_demo(path: Path) -> None:
    cell = {"cell_type": "code", "execution_count": None, "id": "recorder", "metadata": {},
            "outputs": [], "source": DEMO.splitlines(keepends=True)}
    path.write_text(json.dumps({
        "cells": [cell], "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}}}, indent=1))


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> tuple[Path, np.ndarray, int]:
    """The clip as the fake microphone's file: 16-bit mono WAV at 48 kHz."""
    import soxr

    audio, rate = sf.read(CLIP, dtype="float64")
    if rate != 48_000:
        audio, rate = soxr.resample(audio, rate, 48_000), 48_000
    wav = tmp_path_factory.mktemp("microphone") / "clip.wav"
    sf.write(wav, audio, rate, subtype="PCM_16")
    return wav, sf.read(wav, dtype="float64")[0], rate


@pytest.fixture(scope="module")
def silence(tmp_path_factory) -> Path:
    """A muted microphone's file: 4 s of zeros, 16-bit mono WAV at 48 kHz."""
    wav = tmp_path_factory.mktemp("muted") / "silence.wav"
    sf.write(wav, np.zeros(4 * 48_000), 48_000, subtype="PCM_16")
    return wav


@pytest.fixture(scope="module")
def notebook(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("voice") / (NOTEBOOK.name if NOTEBOOK else "recorder.ipynb")
    if NOTEBOOK:
        shutil.copy(NOTEBOOK, path)
    else:
        _write_demo(path)
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory, notebook):
    with serve_lab(notebook.parent, tmp_path_factory.mktemp("jupyter"), [notebook]) as server:
        yield server


@pytest.fixture(scope="module")
def browser(source):
    with start_chrome("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                      f"--use-file-for-fake-audio-capture={source[0]}") as driver:
        yield driver


@pytest.fixture(scope="module")
def muted_browser(silence):
    with start_chrome("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                      f"--use-file-for-fake-audio-capture={silence}") as driver:
        yield driver


def best_correlation(excerpt: np.ndarray, reference: np.ndarray) -> tuple[float, int]:
    """The highest normalised cross-correlation of ``excerpt`` with a stretch of ``reference``
    as long as it, and where (the sample ``reference``'s stretch starts at)."""
    import scipy.signal

    n = len(excerpt)
    dots = scipy.signal.correlate(reference, excerpt, mode="valid", method="fft")
    energy = np.concatenate([[0.0], np.cumsum(reference ** 2)])
    norms = np.sqrt(np.maximum(energy[n:] - energy[:-n], 1e-12)) * np.linalg.norm(excerpt)
    ncc = dots / norms
    at = int(np.argmax(ncc))
    return float(ncc[at]), at


def loudest(audio: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` samples of ``audio`` with the most energy."""
    energy = np.concatenate([[0.0], np.cumsum(audio ** 2)])
    start = int(np.argmax(energy[n:] - energy[:-n]))
    return audio[start:start + n]


def _text(browser, selector: str) -> str:
    return browser.execute_script(
        f"return document.querySelector({json.dumps(selector)})?.textContent ?? ''")


def _wait(browser, seconds: float, what: str, condition):
    """``condition``'s first true value within ``seconds``; else fail with what the page shows."""
    try:
        return WebDriverWait(browser, seconds).until(condition)
    except TimeoutException:
        shown = browser.execute_script("return document.querySelector('.jp-Notebook')?.innerText")
        head, tail = (shown or "")[:2500], (shown or "")[-1500:]
        pytest.fail(f"no {what} after {seconds} s; the notebook shows:\n{head}\n…\n{tail}")


def _run(browser, lab, notebook: Path, timing: dict):
    """Open the notebook, run all its cells; returns the recorder's record button."""
    url, token = lab
    started = time.monotonic()
    browser.get(f"{url}/lab/tree/{notebook.name}?token={token}")
    _wait(browser, 120, "the notebook's kernel to start", lambda b: b.execute_script(
        "return document.querySelector('.jp-Notebook .jp-Cell') && document.querySelector("
        "'.jp-Notebook-ExecutionIndicator')?.getAttribute('data-status') === 'idle'"))
    run_all(browser)
    record = _wait(browser, 300, "the recorder", ready.element_to_be_clickable(
        (By.CSS_SELECTOR, ".bcser-recorder .record")))
    assert "Nothing is uploaded" in _text(browser, ".bcser-recorder .note")
    # the kernel hears the recorder only between cells: let Run All finish first
    _wait(browser, 600, "every cell to run", lambda b: b.execute_script(
        "const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
        ".map(e => e.textContent.trim()); return p.length > 0 && "
        "p.every(t => /^\\[\\d+\\]:$/.test(t))"))
    timing["open and run"] = time.monotonic() - started
    return record


def _saved(browser, notebook: Path, timing: dict, pattern: str) -> tuple[Path, str]:
    """Wait for the save and the prediction; the saved file and what on_saved printed."""
    started = time.monotonic()
    _wait(browser, 120, "save", lambda b: _text(b, ".bcser-recorder .status")
          .startswith(("saved", "not saved")))
    timing["to saved"] = time.monotonic() - started
    status = _text(browser, ".bcser-recorder .status")
    saved = re.fullmatch(pattern, status)
    assert saved, status
    emotions = "|".join(get_config().corpus.emotions)
    _wait(browser, 300, "prediction", lambda b: re.search(
        rf"\b({emotions})\b", _text(b, ".bcser-recorder .result")))
    timing["saved to prediction"] = time.monotonic() - started - timing["to saved"]
    result = _text(browser, ".bcser-recorder .result")
    # in a cell's output: under the cell that made the recorder
    assert result == _text(browser, ".jp-Cell .jp-OutputArea .bcser-recorder .result")
    errors = [entry["message"] for entry in browser.get_log("browser")
              if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
              and "beforeunload" not in entry["message"]]
    assert errors == []
    path = Path(saved.group(1))
    path = path if path.is_absolute() else notebook.parent / path
    info = sf.info(path)
    assert (info.format, info.subtype, info.channels) == ("WAV", "PCM_16", 1)
    return path, result.strip()


@pytest.mark.parametrize("capture", ["AudioWorklet", "ScriptProcessor"])
def test_the_recorder_saves_the_microphones_clip_and_shows_a_prediction(lab, browser, source,
                                                                       notebook, capture):
    timing = {}
    record = _run(browser, lab, notebook, timing)
    if capture == "ScriptProcessor":  # as in a browser without AudioWorklet
        browser.execute_script("window.AudioWorkletNode = undefined")
    record.click()
    _wait(browser, 60, "microphone", lambda b: _text(b, ".bcser-recorder .status")
          .startswith(("recording", "no microphone")))
    assert _text(browser, ".bcser-recorder .status").startswith("recording"), \
        _text(browser, ".bcser-recorder .status")
    time.sleep(RECORD_S)
    browser.find_element(By.CSS_SELECTOR, ".bcser-recorder .stop").click()
    log = browser.get_log("browser")
    assert [e["message"] for e in log if e["level"] == "SEVERE"] == []
    # Chromium warns of a ScriptProcessor only: the capture the test asked for is the one used
    assert any("ScriptProcessorNode" in e["message"] for e in log) == \
        (capture == "ScriptProcessor")
    path, result = _saved(browser, notebook, timing, r"saved (.+\.wav) \([\d.]+ s\)")

    recorded, rate = sf.read(path, dtype="float64")
    assert RECORD_S - 1 < len(recorded) / rate < RECORD_S + 3, len(recorded) / rate
    _, reference, reference_rate = source
    if rate != reference_rate:  # the capture ran at the audio context's rate
        import soxr

        reference = soxr.resample(reference, reference_rate, rate)
    excerpt = loudest(recorded, int(EXCERPT_S * rate))
    correlation, at = best_correlation(excerpt, np.tile(reference, 3))  # the fake mic loops
    offset = at / rate % (len(reference) / rate)
    print(f"\n{capture}: {path.name}, {len(recorded) / rate:.2f} s at {rate} Hz, peak "
          f"{np.abs(recorded).max():.3f}; its loudest {EXCERPT_S:.0f} s vs the source: normalised "
          f"cross-correlation {correlation:.6f} at {offset:.3f} s; {result!r}; "
          + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in timing.items()))
    assert correlation > MIN_CORRELATION


def test_a_chosen_file_is_saved_as_a_wav_and_predicted(lab, browser, source, notebook):
    # the widget's own fallback where the page may not use the microphone (VS Code)
    timing = {}
    _run(browser, lab, notebook, timing)
    browser.find_element(By.CSS_SELECTOR, ".bcser-recorder input[type=file]").send_keys(str(CLIP))
    path, result = _saved(browser, notebook, timing, rf"saved {CLIP.name} as (.+\.wav)")
    saved, rate = sf.read(path, dtype="int16")
    original, original_rate = sf.read(CLIP, dtype="int16")
    assert rate == original_rate and np.array_equal(saved, original)  # 16-bit FLAC → WAV
    print(f"\nfile: {path.name}; {result!r}; "
          + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in timing.items()))


def _takes(notebook: Path) -> set[str]:
    """The files the recorder saved, by name."""
    folder = notebook.parent / "my_voice"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


# Clicks record, and stop arguments[0] ms after the recording starts (timed in the page: the
# test's polling would add up to half a second); window.bcserSeen: the statuses shown since.
STOP_AFTER = """
const after = arguments[0], root = document.querySelector('.bcser-recorder');
const status = root.querySelector('.status');
let stopping = false;
window.bcserSeen = [];
new MutationObserver((_, watch) => {
  const text = status.textContent;
  window.bcserSeen.push(text);
  if (text.startsWith('recording') && !stopping) {
    stopping = true;
    setTimeout(() => root.querySelector('.stop').click(), after);
  }
  if (text.startsWith('saved') || text.startsWith('not saved')) watch.disconnect();
}).observe(status, { childList: true, characterData: true, subtree: true });
root.querySelector('.record').click();
"""
SEEN = "return (window.bcserSeen || []).find(t => t.startsWith(arguments[0]))"


def _record(browser, stop_after_s: float) -> None:
    """Record a take of about ``stop_after_s`` seconds."""
    browser.execute_script(STOP_AFTER, round(stop_after_s * 1000))
    _wait(browser, 60, "microphone", lambda b: b.execute_script(SEEN, "recording")
          or b.execute_script(SEEN, "no microphone"))
    assert browser.execute_script(SEEN, "recording"), browser.execute_script(SEEN, "no micro")


def _refused(browser, notebook: Path, before: set[str], cause: str) -> str:
    """Wait for the refusal; check it is one plain line, nothing was saved, no traceback shows,
    and the record button is ready; returns the line."""
    _wait(browser, 120, "the take's verdict", lambda b: b.execute_script(SEEN, "saved")
          or b.execute_script(SEEN, "not saved"))
    status = _text(browser, ".bcser-recorder .status")
    assert re.fullmatch(rf"not saved: {cause}.*\. {re.escape(AGAIN)}", status), status
    assert "\n" not in status and _text(browser, ".bcser-recorder .result") == ""
    outputs = browser.execute_script("return [...document.querySelectorAll("
                                     "'.jp-Notebook .jp-OutputArea')].map(e => e.innerText)"
                                     ".join('\\n')")
    assert "Traceback" not in outputs
    assert _takes(notebook) == before  # under the emotion's name, or any other
    assert browser.find_element(By.CSS_SELECTOR, ".bcser-recorder .record").is_enabled()
    assert not browser.find_element(By.CSS_SELECTOR, ".bcser-recorder .stop").is_enabled()
    return status


def test_a_short_take_is_refused_in_one_line_and_the_next_take_gets_the_name(
        lab, browser, notebook):
    timing = {}
    _run(browser, lab, notebook, timing)
    before = _takes(notebook)
    _record(browser, SHORT_S)
    line = _refused(browser, notebook, before, r"too short: 0\.[0-4]\d s, need at least 0\.5 s")
    # the button records again, and the good take gets the name the bad one would have had
    label = re.search(r'"(\w+)"', _text(browser, ".bcser-recorder .record")).group(1)
    expected = next(name for n in range(1, 100)
                    if (name := f"{label}.wav" if n == 1 else f"{label}_{n}.wav") not in before)
    _record(browser, RECORD_S)
    path, result = _saved(browser, notebook, timing, r"saved (.+\.wav) \([\d.]+ s\)")
    assert path.name == expected and _takes(notebook) == before | {expected}
    assert "still to record" in result or "all 8 recorded" in result, result
    print(f"\nshort take: {line!r}; then {path.name}: {result!r}")


def test_a_silent_take_is_refused_in_one_line_and_the_button_records_again(
        lab, muted_browser, notebook):
    _run(muted_browser, lab, notebook, {})
    before = _takes(notebook)
    lines = []
    for _ in range(2):  # a second press records, and is refused the same way
        _record(muted_browser, 2.0)
        lines.append(_refused(muted_browser, notebook, before, r"silent \(peak below -100 dBFS\)"))
    print(f"\nsilent takes: {lines!r}")
