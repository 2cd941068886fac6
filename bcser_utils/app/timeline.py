"""A long recording, window by window: how the emotion the model hears changes over time.

    python -m bcser_utils predict --timeline talk.wav [--window 4] [--hop 1] [--json]
    python -m bcser_utils predict --timeline talk.wav --same-speaker

The model hears 4 s at a time (``config.Features.max_duration_s``), so a longer recording is cut
into windows of ``window`` seconds every ``hop`` seconds and each window is predicted as a clip
of its own, through the same path as ``predict`` (``learn.inference``). The file is streamed
(``soundfile.blocks``): only one window is decoded at a time, so an hour of audio needs no more
memory than a minute. A window without speech (``is_silent``) is marked, not predicted: the model
has never heard silence and would still name an emotion.

``--same-speaker``: the windows are one speaker's (one person talking), and the model adapts to
that speaker before predicting each window, as ``predict --same-speaker`` does for a set of clips.

Notebook: 10_your_own_voice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bcser_utils import config
from bcser_utils.app.predict import mark_uncertain
from bcser_utils.audio import audio_input, speech
from bcser_utils.learn import inference

# ours: a window whose loudest 25 ms frame is below -50 dBFS holds no speech (room noise and
# the gaps between sentences of a quiet recording sit below it; speech peaks far above it)
SILENCE_DBFS = -50.0
FRAME_S = 0.025
BATCH = 32  # windows per call of the model: memory bounded, the model still runs batched


def is_silent(audio: np.ndarray, rate: int, dbfs: float = SILENCE_DBFS) -> bool:
    """Whether no 25 ms frame of ``audio`` is louder (RMS) than ``dbfs``.

    Parameters
    ----------
    audio : np.ndarray
        1-D samples, full scale ±1.
    rate : int
        Their sample rate in Hz (sets the frame's length).
    dbfs : float
        The threshold in dB relative to full scale; default ``SILENCE_DBFS`` (−50).

    Returns
    -------
    bool
        True for a window without speech: the timeline marks it and does not predict it.
    """
    frame = max(1, int(FRAME_S * rate))
    n = len(audio) // frame * frame or len(audio)
    frames = audio[:n].reshape(-1, min(frame, len(audio)))
    loudest = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)).max()
    return bool(loudest < 10 ** (dbfs / 20))


class WindowError(ValueError):
    """A ``--window`` or ``--hop`` the timeline cannot use: a usage error, said once."""


HOP_MIN_S = 0.1  # ours: a finer hop only repeats nearly the same window (and multiplies rows)


def check_window(window_s: float, hop_s: float, cfg: config.Config | None = None) -> None:
    """Refuse a window the model cannot hear as one clip, or a hop that makes no sense.

    A window shorter than ``cfg.audio.min_duration_s`` is shorter than any clip ``predict``
    accepts; one longer than ``cfg.features.max_duration_s`` would be labelled with a span the
    model never heard (it keeps only the centre of a longer clip).

    Parameters
    ----------
    window_s, hop_s : float
        Seconds.
    cfg : Config, optional
        Default ``config.get_config()``.

    Raises
    ------
    WindowError
        The message names the flag, its value and the bounds.
    """
    cfg = cfg or config.get_config()
    least, most = cfg.audio.min_duration_s, cfg.features.max_duration_s
    if not least <= window_s <= most:
        raise WindowError(f"--window {window_s:g}: expected {least:g} to {most:g} seconds (a "
                          f"clip is at least {least:g} s; the model hears {most:g} s at a time)")
    if not HOP_MIN_S <= hop_s <= window_s:
        raise WindowError(f"--hop {hop_s:g}: expected {HOP_MIN_S:g} s to the window's "
                          f"{window_s:g} s")


def windows(path: str | Path, window_s: float = 4.0,
            hop_s: float = 1.0) -> Iterator[tuple[float, float, np.ndarray, int]]:
    """Every window of ``path``, in time order, streamed through the package's one audio check
    (``audio_input.inspect`` and ``audio_input.blocks``: special files, truncation, NaN/inf
    and samples beyond full scale named at their own time, as ``predict`` and ``bc`` do).

    Parameters
    ----------
    path : str or Path
        A long recording, any format soundfile reads.
    window_s : float
        Seconds per window; the last window may be shorter (it ends with the file).
    hop_s : float
        Seconds from one window's start to the next's; 0 < hop ≤ window.

    Yields
    ------
    start, end : float
        The window's span in seconds.
    audio : np.ndarray
        Its samples, mixed to mono (float32).
    rate : int
        The file's sample rate.

    Raises
    ------
    WindowError
        A window or hop outside ``check_window``'s bounds.
    audio_input.AudioError
        The file cannot be used; the message names it and the cause.
    """
    cfg = config.get_config()
    check_window(window_s, hop_s, cfg)
    info = audio_input.inspect(path, cfg, max_channels=cfg.audio.max_channels)
    rate = info.samplerate
    size = max(1, int(round(window_s * rate)))
    hop = max(1, int(round(hop_s * rate)))
    for start, block in audio_input.blocks(path, size, overlap=size - hop, info=info, cfg=cfg,
                                           max_channels=cfg.audio.max_channels):
        audio = block.mean(axis=1, dtype=np.float32)
        yield start / rate, (start + len(audio)) / rate, audio, rate


def _row(path, start: float, end: float, emotions, p: np.ndarray | None,
         reason: str = "speech", silent: bool = False) -> dict:
    row = {"file": str(path), "start": round(start, 3), "end": round(end, 3)}
    if p is None:  # no speech: no emotion (``speech.speech_check``), silence included
        return row | {"silent": silent, "speech": False, "reason": reason, "emotion": None,
                      "probabilities": None}
    probabilities = dict(zip(emotions, map(float, p), strict=True))
    return row | {"silent": False, "speech": True, "reason": reason,
                  "emotion": max(probabilities, key=probabilities.get),
                  "probabilities": probabilities}


def timeline(path: str | Path, model: inference.DefaultModel | None = None,
             window_s: float = 4.0, hop_s: float = 1.0, same_speaker: bool = False,
             uncertain_below: float | None = None) -> list[dict]:
    """One row per window of ``path``, time-ordered: {"file", "start", "end", "silent",
    "emotion", "probabilities", "uncertain"}; a silent window has ``emotion``,
    ``probabilities`` and ``uncertain`` None. ``uncertain``: the top probability is below
    ``uncertain_below`` (None without a threshold).
    ``model``: the default model (``inference.load_default``) unless given. ``same_speaker``:
    adapt to the speaker over all the file's speech windows first (then the windows' features
    are kept until the end: about 32 kB per window, 115 MB for an hour at a 1 s hop; the model
    still sees ``inference.BATCH`` windows at a time). Notebook: 10_your_own_voice.

    Parameters
    ----------
    path : str or Path
        A long recording, any format soundfile reads.
    model : inference.DefaultModel, optional
        Default: ``inference.load_default``; its ``single`` predicts each window, or its
        ``deep`` (fused with ``classical``) with ``same_speaker``.
    window_s : float
        Seconds per window (``check_window``'s bounds).
    hop_s : float
        Seconds from one window's start to the next's, ``HOP_MIN_S`` to ``window_s``.
    same_speaker : bool
        Adapt to the speaker (every speech window) before predicting.
    uncertain_below : float, optional
        The top probability below which a window is marked uncertain.

    Returns
    -------
    list of dict
        One row per window, in time order ("start", "end" in seconds, rounded to ms).

    Raises
    ------
    WindowError
        A window or hop outside ``check_window``'s bounds.
    audio_input.AudioError
        The file cannot be used; the message names it and the cause.
    inference.SpeakerError
        With ``same_speaker``: a model that cannot adapt, or fewer speech windows than
        ``min_speaker_clips``.
    """
    model = model or inference.load_default(same_speaker=same_speaker)
    predictor = model.deep if same_speaker else model.single
    rate = config.get_config().augment.sample_rate  # the rate clips are decoded at (48 kHz)
    emotions, batch, kept, rows = predictor.emotions, [], [], []

    def predict_batch():  # fills the batch's places in ``rows``, so rows stay in time order
        if batch:
            places, spans, clips = zip(*batch, strict=True)
            p = predictor.single_probabilities(np.stack(clips))
            for place, span, q in zip(places, spans, p, strict=True):
                rows[place] = _row(path, *span, emotions, q)
            batch.clear()

    for start, end, audio, native in windows(path, window_s, hop_s):
        if is_silent(audio, native):
            rows.append(_row(path, start, end, emotions, None, "no speech: silence", True))
            continue
        check = speech.speech_check(audio, native)
        if not check.has_speech:  # noise, a tone, music: the model would still name an emotion
            rows.append(_row(path, start, end, emotions, None, check.reason))
            continue
        if native != rate:
            import soxr
            audio = soxr.resample(audio, native, rate, quality="HQ")
        x = predictor.clip_features(audio, rate)
        if same_speaker:
            classical = model.classical.clip_features(audio, rate) if model.classical else None
            kept.append(((start, end), x, classical))
            rows.append(None)  # filled in once the speaker's statistics are known
        else:
            batch.append((len(rows), (start, end), x))
            rows.append(None)
            if len(batch) == BATCH:
                predict_batch()
    predict_batch()
    if same_speaker:
        rows = _adapted(path, rows, kept, model, predictor)
    return mark_uncertain(rows, uncertain_below)


def _adapted(path, rows: list, kept: list, model: inference.DefaultModel,
             predictor: inference.ClassProbabilities) -> list[dict]:
    """``rows`` with each speech window (None) predicted after adapting to the speaker, as
    ``Predictor.predict_speaker`` does for clips (``inference.speaker_probabilities``: deep and
    classical fused at the model's weight)."""
    if not predictor.adapts and model.classical is None:
        raise inference.SpeakerError("this checkpoint was not trained with speaker "
                                     "normalisation; --same-speaker needs one that was (the "
                                     "default model is)")
    least = (predictor.cfg or config.get_config()).normalize.min_speaker_clips
    if len(kept) < least:
        raise inference.SpeakerError(f"{path}: {len(kept)} window(s) with speech; adapting to a "
                                     f"speaker needs at least {least} (use a smaller --hop, or "
                                     "leave out --same-speaker)")
    proba = inference.speaker_probabilities(
        predictor, [k[1] for k in kept], model.classical,
        [k[2] for k in kept] if model.classical is not None else None, model.weight)
    emotions = predictor.emotions
    predicted = iter(_row(path, *k[0], emotions, p) for k, p in zip(kept, proba, strict=True))
    return [row if row is not None else next(predicted) for row in rows]
