"""What the notebooks show of a sound, and how they show a busy figure.

One display spectrogram for the whole course: ``spectrogram_db(audio, rate)`` is the power
spectrogram in dB with **32 ms Hann windows every 10 ms** (at 16 kHz, the rate the model hears:
512-sample windows, 160-sample hop, 31.25 Hz per bin), and ``draw_spectrogram`` draws it in
seconds and kHz. It is a picture for people, not a feature: the model's input is the log-mel of
``features.logmel`` (32 ms windows every 20 ms), which notebooks 04 and 05 draw as it is.

``speech_span`` finds the speech in a clip (without the silence around it), ``show``
displays a figure as a small 256-colour PNG, keeping notebooks light, and ``WithPicture`` gives a
widget a picture of its first state for the saved notebook, where widgets cannot live.

Notebook: 02_bc_filter_design (and 03 for ``WithPicture``, 04 for ``show``).
"""

from __future__ import annotations

import base64
import io
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import scipy.signal

WINDOW_S = 0.032  # Hann window: 512 samples at 16 kHz
HOP_S = 0.010     # hop: 160 samples at 16 kHz


class Spectrogram(NamedTuple):
    freqs_hz: np.ndarray  # (bins,)
    times_s: np.ndarray   # (frames,), window centres
    db: np.ndarray        # (bins, frames), dB re ``ref``
    ref: float            # the power that is 0 dB


def spectrogram_db(audio, rate: int, ref: float | None = None) -> Spectrogram:
    """Power spectrogram of ``audio`` in dB re ``ref`` (default: its own loudest bin), floored at
    −120 dB: 32 ms Hann windows every 10 ms (``WINDOW_S``, ``HOP_S``). Pass the ``ref`` of one
    clip to another (e.g. AC's to its BC version) to put both on one colour scale.
    """
    window, hop = round(WINDOW_S * rate), round(HOP_S * rate)
    f, t, p = scipy.signal.spectrogram(np.asarray(audio), rate, window="hann", nperseg=window,
                                       noverlap=window - hop)
    ref = float(p.max()) if ref is None else ref
    return Spectrogram(f, t, 10 * np.log10(np.maximum(p, 1e-12 * ref) / ref), ref)


def draw_spectrogram(ax, audio, rate: int, ref: float | None = None, vmin: float = -70.0,
                     vmax: float = 0.0, labels: bool = True):
    """Draw ``spectrogram_db(audio, rate, ref)`` on ``ax``: time in s from 0 to the clip's
    length, frequency in kHz from 0 to Nyquist, ``vmin``..``vmax`` dB. ``labels``: name both
    axes (leave it off in a grid and label only its edges). Returns the image (for a colorbar).
    """
    spec = spectrogram_db(audio, rate, ref)
    image = ax.imshow(spec.db, origin="lower", aspect="auto", vmin=vmin, vmax=vmax,
                      interpolation="nearest", extent=(0, len(audio) / rate, 0, rate / 2000))
    ax.grid(False)
    if labels:
        ax.set(xlabel="time (s)", ylabel="frequency (kHz)")
    return image


def speech_span(audio, rate: int, top_db: float = 40.0, frame_s: float = 0.02,
                margin_s: float = 0.1) -> tuple[int, int]:
    """(start, stop) sample indices of the speech: from the first to the last ``frame_s`` frame
    whose RMS is within ``top_db`` of the loudest frame's, widened by ``margin_s`` seconds on
    each side (within the clip). ``audio[start:stop]`` is the clip without the silence around it.
    """
    audio = np.asarray(audio)
    n = int(frame_s * rate)
    rms = np.sqrt(np.mean(audio[: len(audio) // n * n].reshape(-1, n) ** 2, axis=1))
    loud = np.flatnonzero(20 * np.log10(rms / rms.max() + 1e-12) > -top_db)
    pad = int(margin_s * rate)
    return max(0, int(loud[0]) * n - pad), min(len(audio), (int(loud[-1]) + 1) * n + pad)


def show(fig) -> None:
    """Display ``fig`` in the notebook as a 256-colour PNG (a few times smaller than matplotlib's)
    and close it. Call it after ``plots.save_fig``: the picture shown then carries the data
    stamp (and the synthetic banner), and figures/ keeps the full-colour file.
    """
    from IPython.display import Image, display
    from PIL import Image as PILImage

    full, small = io.BytesIO(), io.BytesIO()
    fig.savefig(full, format="png", dpi=fig.dpi)
    plt.close(fig)
    PILImage.open(full).convert("RGB").quantize(256, method=PILImage.Quantize.MAXCOVERAGE).save(
        small, "PNG", optimize=True)
    display(Image(small.getvalue()))


class WithPicture:
    """Display ``widget`` with a PNG picture of its first state in the same output.

    A running notebook shows the live widget (JupyterLab prefers the widget view). A saved one
    cannot: a widget lives in its kernel, and without it JupyterLab shows a dead placeholder.
    ``course.strip_volatile`` therefore drops the widget view from committed outputs and keeps
    this picture, so a notebook opened before it is run shows what the widget looks like.
    """

    def __init__(self, widget, png: bytes):
        self.widget, self.png = widget, png

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude))
        bundle["image/png"] = base64.b64encode(self.png).decode("ascii")
        return bundle
