"""Record your own voice in the notebook, and save each clip as a WAV file in a folder of yours.

``Recorder`` is a small widget (anywidget: one widget for JupyterLab 4, Colab and VS Code) with a
record and a stop button. The browser captures the microphone as plain samples (Web Audio: an
AudioWorklet, or the older ScriptProcessor where a worklet cannot load) and sends them, with their
sample rate, to this notebook's own Python kernel, which writes them as a 16-bit mono WAV:

    recorder = Recorder("my_voice", label="angry", on_saved=print)
    recorder                  # record → my_voice/angry.wav, then angry_2.wav, …
    recorder.label = "calm"   # the next clip: my_voice/calm.wav

The audio goes from the browser to the kernel and nowhere else: nothing is uploaded. On your own
machine (JupyterLab, VS Code) the kernel is that machine; on Colab it is your Colab session.
``on_saved(path)`` is called after each save; what it prints is shown under the buttons (e.g. a
prediction). ``save(samples, rate)`` saves a clip that did not come from the microphone (a
shipped clip in a headless run) in the same way.

A take that is too short, silent or holds no speech (``take_problem``: the checks ``predict``
makes on a file) is not saved at all, so it never stands for an emotion: the widget says what
was wrong in one line and the record button is ready for the next take.

Where the page may not use the microphone (VS Code's notebooks, a page neither https nor
localhost), the widget says so; its "or a file" chooser saves an audio file (WAV, FLAC, OGG, MP3)
as that label's WAV instead. ``recorder_or_upload`` gives the recorder, or, where anywidget is
missing or the widget is not drawn (``upload=True``), an ``Uploader``: an ipywidgets upload
button that does the same. ``emotion_chooser(widget, emotions)`` gives buttons that set the label.

Notebook: 10_your_own_voice.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import soundfile as sf
import traitlets

from bcser_utils import config
from bcser_utils.audio import audio_input, speech
from bcser_utils.files import write_atomically

try:
    from anywidget import AnyWidget
except ImportError:  # Recorder() then says so, and recorder_or_upload() offers the upload button
    AnyWidget = object

MAX_SECONDS = 20  # one message to the kernel: 20 s of float32 at 96 kHz is 7.7 MB (limit 10 MiB)
RATES = (8_000, 192_000)  # the sample rates accepted, Hz

_ESM = """
const WORKLET = `registerProcessor("bcser-tap", class extends AudioWorkletProcessor {
  process(inputs) { if (inputs[0][0]) this.port.postMessage(inputs[0][0].slice(0)); return true; }
});`;

// Calls onChunk with each block of samples (a Float32Array) of the first channel.
async function tap(context, source, onChunk) {
  let node;
  try {
    const url = URL.createObjectURL(new Blob([WORKLET], { type: "text/javascript" }));
    await context.audioWorklet.addModule(url).finally(() => URL.revokeObjectURL(url));
    node = new AudioWorkletNode(context, "bcser-tap");
    node.port.onmessage = (event) => onChunk(event.data);
  } catch (err) {  // no AudioWorklet here: the older ScriptProcessor does the same
    node = context.createScriptProcessor(4096, 1, 1);
    node.onaudioprocess = (event) => onChunk(event.inputBuffer.getChannelData(0).slice(0));
  }
  source.connect(node);
  node.connect(context.destination);  // pulls the node; what it outputs is silence
  return node;
}

function render({ model, el }) {
  el.innerHTML = `<div class="bcser-recorder">
    <button class="record">● record</button> <button class="stop" disabled>■ stop</button>
    <span class="status"></span><label class="file">or a file:
    <input type="file" accept="audio/*,.wav,.flac,.ogg,.mp3"></label>
    <div class="note"></div><pre class="result"></pre></div>`;
  const [record, stop] = [el.querySelector(".record"), el.querySelector(".stop")];
  const show = () => {
    el.querySelector(".status").textContent = model.get("status");
    el.querySelector(".note").textContent = model.get("note");
    el.querySelector(".result").textContent = model.get("result");
    record.textContent = `● record "${model.get("label")}"`;
  };
  const say = (text) => { model.set("status", text); model.save_changes(); };
  model.on("change", show);
  show();

  let session = null;  // { stream, context, chunks, timer } while recording
  record.onclick = async () => {
    if (!navigator.mediaDevices?.getUserMedia) {
      say("no microphone here (the page must be https or localhost): choose a file instead");
      return;
    }
    record.disabled = true;
    say("asking for the microphone…");
    const context = new AudioContext();  // made on the click, so that the browser lets it run
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: {
        channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false,
      } });
      await context.resume();
      const chunks = [];
      await tap(context, context.createMediaStreamSource(stream), (c) => chunks.push(c));
      const timer = setTimeout(() => stop.onclick(), model.get("max_seconds") * 1000);
      session = { stream, context, chunks, timer };
      stop.disabled = false;
      say(`recording… (stop, or it stops by itself after ${model.get("max_seconds")} s)`);
    } catch (err) {
      context.close();
      record.disabled = false;
      say(`no microphone (${err.name}: ${err.message}): choose a file instead`);
    }
  };
  stop.onclick = async () => {
    if (!session) return;
    const { stream, context, chunks, timer } = session;
    session = null;
    clearTimeout(timer);
    stream.getTracks().forEach((track) => track.stop());
    await context.close();
    const samples = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    chunks.reduce((at, c) => (samples.set(c, at), at + c.length), 0);
    say("saving…");
    model.send({ kind: "clip", rate: context.sampleRate }, undefined, [samples.buffer]);
    stop.disabled = true;
    record.disabled = false;
  };
  el.querySelector("input[type=file]").onchange = async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    if (file.size > 10e6) { say(`${file.name} is over 10 MB: cut it shorter`); return; }
    say(`saving ${file.name}…`);
    model.send({ kind: "file", name: file.name }, undefined, [await file.arrayBuffer()]);
    event.target.value = "";
  };
}
export default { render };
"""

_CSS = """
.bcser-recorder .status { margin: 0 0.8em; }
.bcser-recorder .file { font-size: 85%; }
.bcser-recorder .note { font-size: 85%; opacity: 0.75; margin-top: 0.3em; }
.bcser-recorder .result:empty { display: none; }
"""


class RecordingError(ValueError):
    """A clip that cannot be saved (empty, not numbers, not finite, a strange rate), or a take
    that is no use (too short, silent, no speech: ``take_problem``)."""


def privacy_note(folder: Path) -> str:
    """Where the audio goes, in one sentence for under the buttons."""
    where = ("your Colab session (Google's machine that runs this notebook)"
             if "google.colab" in sys.modules else "this computer")
    return (f"The audio goes from this browser to this notebook's own Python kernel, which saves "
            f"it in {folder}/ on {where}. Nothing is uploaded anywhere else.")


def clip_samples(samples, rate) -> tuple[np.ndarray, int]:
    """``samples`` (float32 bytes as the browser sends them, or a 1-D float array in −1…1) and
    ``rate`` (Hz), checked; raises RecordingError with the reason."""
    if isinstance(samples, bytes | bytearray | memoryview):
        if len(samples) % 4:
            raise RecordingError(f"{len(samples)} bytes are not whole float32 samples")
        samples = np.frombuffer(samples, dtype="<f4")
    if not isinstance(samples, np.ndarray) or samples.dtype.kind != "f" or samples.ndim != 1:
        raise RecordingError(f"samples must be a 1-D float array or float32 bytes, not "
                             f"{type(samples).__name__} {getattr(samples, 'shape', '')}".rstrip())
    if samples.size == 0:
        raise RecordingError("nothing was recorded (0 samples)")
    if not np.isfinite(samples).all():
        raise RecordingError("the samples are not all finite numbers (NaN or infinity)")
    if isinstance(rate, bool) or not isinstance(rate, int | float) \
            or not RATES[0] <= rate <= RATES[1] or rate != int(rate):
        raise RecordingError(f"sample rate {rate!r} is not a whole number of Hz in "
                             f"{RATES[0]}–{RATES[1]}")
    return samples, int(rate)


AGAIN = "Press record and say the sentence again."  # after every refused take


def take_problem(samples: np.ndarray, rate: int, cfg: config.Config | None = None) -> str | None:
    """Why a take cannot be used, in a few words, or None for a take to keep.

    The checks ``predict`` makes on a file (``audio_input``: too short, beyond full scale,
    silent; ``speech.speech_check``: no speech), made on the samples, so that a bad take is
    refused before it is written and never stands for an emotion.

    Parameters
    ----------
    samples : numpy.ndarray
        Mono float samples, full scale ±1 (``clip_samples``' output).
    rate : int
        Their sample rate, Hz.
    cfg : Config, optional
        Its ``audio`` limits (the shortest clip, the silence level).

    Returns
    -------
    str or None
        E.g. "too short: 0.35 s, need at least 0.5 s", "silent (peak below -100 dBFS)" or
        "no speech: noise without voicing"; None when the take holds speech.
    """
    limits = (cfg or config.get_config()).audio
    seconds = len(samples) / rate
    if seconds < limits.min_duration_s:
        return f"too short: {seconds:.2f} s, need at least {limits.min_duration_s:g} s"
    try:
        audio_input.check_samples("the take", samples, 0, rate)
    except audio_input.AudioError as err:
        return err.cause
    if np.abs(samples).max() < limits.silence_peak:
        return "silent (peak below -100 dBFS): check that the microphone is on and not muted"
    check = speech.speech_check(samples, rate)
    return None if check.has_speech else check.reason


def free_path(folder: Path, label: str) -> Path:
    """``folder/label.wav``, or ``label_2.wav``, ``label_3.wav``, … if it exists; ``label`` is
    cut to letters, digits, ``-`` and ``_`` (``clip`` if nothing is left)."""
    stem = re.sub(r"[^\w-]+", "_", label, flags=re.ASCII).strip("_") or "clip"
    path, n = folder / f"{stem}.wav", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}_{n}.wav"
    return path


def save_wav(folder: str | Path, label: str, samples, rate) -> Path:
    """Check the clip and write it as a new 16-bit PCM mono WAV, ``folder/label.wav`` (or
    ``label_2.wav``, …).

    Parameters
    ----------
    folder : str or Path
        Where to save; created if missing.
    label : str
        The file's name (an emotion), cut to a safe one (``free_path``).
    samples : bytes or numpy.ndarray
        As ``clip_samples`` takes them.
    rate : int
        Hz.

    Returns
    -------
    Path
        The new file.

    Raises
    ------
    RecordingError
        A clip that is malformed (``clip_samples``) or no usable take (``take_problem``: too
        short, silent, no speech); nothing is written, so no bad take takes an emotion's name.
    """
    samples, rate = clip_samples(samples, rate)
    if (problem := take_problem(samples, rate)) is not None:
        raise RecordingError(problem)
    path = free_path(Path(folder), label)
    # ±1 is ±32768, as soundfile reads int16 back; the loudest positive sample is 32767
    pcm = np.clip(np.round(samples.astype(np.float64) * 32768), -32768, 32767).astype("<i2")
    write_atomically(path, lambda tmp: sf.write(tmp, pcm, rate, subtype="PCM_16", format="WAV"))
    return path


def save_upload(folder: str | Path, label: str, data: bytes | memoryview) -> Path:
    """An uploaded audio file (WAV, FLAC, OGG or MP3: what soundfile reads), saved like a
    recorded clip: mono, as ``folder/label.wav``. Raises RecordingError if it is not audio."""
    try:
        audio, rate = sf.read(io.BytesIO(bytes(data)), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise RecordingError(f"not an audio file soundfile can read (WAV, FLAC, OGG, MP3): "
                             f"{err}") from None
    return save_wav(folder, label, audio.mean(axis=1), rate)


def _printed(call: Callable[[], object]) -> str:
    """What ``call()`` prints, shown in the widget; if it fails, the file's error in one line
    (an unusable file is the user's to fix), any other error with its traceback (a bug)."""
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        try:
            call()
        except audio_input.AudioError as err:
            print(err)
        except Exception:  # a broken on_saved must not break the recorder: show it instead
            print(traceback.format_exc(), end="")
    return text.getvalue()


class Recorder(AnyWidget):
    """Record / stop buttons; each clip becomes ``folder/label.wav`` (see the module's help)."""

    _esm = _ESM
    _css = _CSS
    label = traitlets.Unicode("clip").tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    note = traitlets.Unicode("").tag(sync=True)
    result = traitlets.Unicode("").tag(sync=True)  # what on_saved printed
    max_seconds = traitlets.Int(MAX_SECONDS).tag(sync=True)

    def __init__(self, folder: str | Path = "my_voice", label: str = "clip",
                 on_saved: Callable[[Path], object] | None = None) -> None:
        if AnyWidget is object:
            raise ImportError("the recorder needs anywidget (pip install anywidget); "
                              "recorder_or_upload() offers an upload button instead")
        super().__init__(label=label)
        self.folder = Path(folder)
        self.on_saved = on_saved
        self.note = privacy_note(self.folder)
        self.status = "ready"
        self.saved: list[Path] = []
        self.on_msg(self._on_message)

    def __repr__(self) -> str:  # shown where a front-end cannot draw widgets
        return (f"Recorder(folder={str(self.folder)!r}, label={self.label!r}): its buttons need "
                "a notebook with widgets; recorder_or_upload(upload=True) gives an upload button")

    def save(self, samples, rate) -> Path:
        """Save a clip as the microphone's are, then call ``on_saved(path)``; returns the path."""
        path = self._write(samples, rate)
        if self.on_saved is not None:
            self.on_saved(path)
        return path

    def _write(self, samples, rate) -> Path:
        path = save_wav(self.folder, self.label, samples, rate)
        self.saved.append(path)
        self.status = f"saved {path} ({sf.info(path).duration:.1f} s)"
        return path

    def _on_message(self, _widget, content, buffers) -> None:
        """From the browser: ``{"kind": "clip", "rate": Hz}`` with the float32 samples, or
        ``{"kind": "file", "name": …}`` with a file's bytes, as the one buffer."""
        kind = content.get("kind") if isinstance(content, dict) else None
        if kind not in ("clip", "file"):
            return
        try:
            if not buffers or len(buffers) != 1:
                raise RecordingError(f"expected 1 buffer of samples, got {len(buffers or [])}")
            if kind == "clip":
                path = self._write(buffers[0], content.get("rate"))
            else:
                path = save_upload(self.folder, self.label, buffers[0])
                self.saved.append(path)
                self.status = f"saved {content.get('name', 'the file')} as {path}"
        except RecordingError as err:
            # one line, and the buttons as they were: the student records again
            again = AGAIN if kind == "clip" else "Choose another file, or record."
            self.status = f"not saved: {err}. {again}"
            self.result = ""  # a prediction shown there was of an earlier take
            return
        if self.on_saved is not None:
            self.result = "…"
            self.result = _printed(lambda: self.on_saved(path))


class Uploader(widgets.VBox):
    """An upload button: each chosen audio file is saved like a recorded clip, as
    ``folder/label.wav``, and ``on_saved(path)`` is called; what it prints shows below."""

    label = traitlets.Unicode("clip")

    def __init__(self, folder: str | Path = "my_voice", label: str = "clip",
                 on_saved: Callable[[Path], object] | None = None) -> None:
        self.folder, self.on_saved, self.saved = Path(folder), on_saved, []
        button = widgets.FileUpload(accept="audio/*,.wav,.flac,.ogg,.mp3", multiple=True,
                                    description="upload audio")
        self.shown = widgets.Output()
        button.observe(self._save, "value")
        note = widgets.HTML(privacy_note(self.folder))
        super().__init__([widgets.HBox([button, note]), self.shown], label=label)

    def _save(self, change) -> None:
        for upload in change["new"]:
            with self.shown:
                try:
                    path = save_upload(self.folder, self.label, upload["content"])
                except RecordingError as err:
                    print(f"{upload['name']} not saved: {err}. Choose another file.")
                    continue
                self.saved.append(path)
                print(f"saved {upload['name']} as {path}")
                if self.on_saved is not None:
                    self.on_saved(path)


def emotion_chooser(widget: Recorder | Uploader, emotions: Sequence[str]) -> widgets.ToggleButtons:
    """Buttons that name the next clip: the chosen emotion is ``widget.label``."""
    emotions = list(emotions)
    chooser = widgets.ToggleButtons(options=emotions, description="next clip:",
                                    value=widget.label if widget.label in emotions else emotions[0])
    traitlets.link((chooser, "value"), (widget, "label"))
    return chooser


def recorder_or_upload(folder: str | Path = "my_voice", label: str = "clip",
                       on_saved: Callable[[Path], object] | None = None,
                       upload: bool = False) -> Recorder | Uploader:
    """The ``Recorder``; or the ``Uploader`` where anywidget is missing or ``upload=True`` (a
    front-end that does not draw the recorder)."""
    if not upload:
        try:
            return Recorder(folder, label, on_saved)
        except ImportError:
            pass
    return Uploader(folder, label, on_saved)
