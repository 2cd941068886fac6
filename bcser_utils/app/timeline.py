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
import soundfile as sf

from bcser_utils import config
from bcser_utils.app.predict import mark_uncertain
from bcser_utils.audio import audio_input
from bcser_utils.audio.normalize import Normalizer
from bcser_utils.learn import inference

# ours: a window whose loudest 25 ms frame is below -50 dBFS holds no speech (room noise and
# the gaps between sentences of a quiet recording sit below it; speech peaks far above it)
SILENCE_DBFS = -50.0
FRAME_S = 0.025
BATCH = 32  # windows per call of the model: memory bounded, the model still runs batched


def is_silent(audio: np.ndarray, rate: int, dbfs: float = SILENCE_DBFS) -> bool:
    """Whether no 25 ms frame of ``audio`` is louder (RMS) than ``dbfs``."""
    frame = max(1, int(FRAME_S * rate))
    n = len(audio) // frame * frame or len(audio)
    frames = audio[:n].reshape(-1, min(frame, len(audio)))
    loudest = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)).max()
    return bool(loudest < 10 ** (dbfs / 20))


def windows(path: str | Path, window_s: float = 4.0,
            hop_s: float = 1.0) -> Iterator[tuple[float, float, np.ndarray, int]]:
    """(start s, end s, mono audio, its rate) of every window of ``path``, in time order:
    windows of ``window_s`` every ``hop_s``; the last one may be shorter (it ends with the file).
    Raises ``audio_input.AudioError`` for a file that cannot be read, as ``predict`` does."""
    path = Path(path)
    limits = config.get_config().audio
    if not path.is_file():
        raise audio_input.AudioError(path, "no such file" if not path.exists() else "not a file")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise audio_input.AudioError(path, f"not readable as audio, corrupt or truncated ({err})") \
            from None
    if not 1 <= info.channels <= limits.max_channels:
        raise audio_input.AudioError(path, f"{info.channels} channels; expected mono or stereo")
    if info.samplerate < limits.min_sample_rate:
        raise audio_input.AudioError(path, f"sample rate {info.samplerate} Hz is below the "
                                    f"{limits.min_sample_rate} Hz minimum")
    if info.duration < limits.min_duration_s:
        raise audio_input.AudioError(path, f"too short: {info.duration:.3f} s, need at least "
                                    f"{limits.min_duration_s} s")
    if not 0 < hop_s <= window_s:
        raise ValueError(f"--hop {hop_s:g}: expected 0 < hop ≤ window ({window_s:g} s)")
    rate = info.samplerate
    size, hop = int(round(window_s * rate)), int(round(hop_s * rate))
    start = 0
    try:
        for block in sf.blocks(str(path), blocksize=size, overlap=size - hop, dtype="float32",
                               always_2d=True):
            audio = block.mean(axis=1, dtype=np.float32)
            if not np.isfinite(audio).all():
                raise audio_input.AudioError(path, f"NaN or inf samples at {start / rate:.1f} s")
            yield start / rate, (start + len(audio)) / rate, audio, rate
            if start + len(audio) >= info.frames:
                return
            start += hop
    except sf.LibsndfileError as err:
        raise audio_input.AudioError(path, f"corrupt after {start / rate:.1f} s ({err})") from None


def _row(path, start: float, end: float, emotions, p: np.ndarray | None) -> dict:
    row = {"file": str(path), "start": round(start, 3), "end": round(end, 3)}
    if p is None:
        return row | {"silent": True, "emotion": None, "probabilities": None}
    probabilities = dict(zip(emotions, map(float, p), strict=True))
    return row | {"silent": False, "emotion": max(probabilities, key=probabilities.get),
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
    still sees ``BATCH`` windows at a time, ``speaker_probabilities``)."""
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
            rows.append(_row(path, start, end, emotions, None))
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
             predictor: inference.Predictor) -> list[dict]:
    """``rows`` with each speech window (None) predicted after adapting to the speaker, as
    ``Predictor.predict_speaker`` does for clips: deep and classical fused at the model's
    weight."""
    if not predictor.adapts and model.classical is None:
        raise inference.SpeakerError("this checkpoint was not trained with speaker "
                                     "normalisation; --same-speaker needs one that was (the "
                                     "default model is)")
    least = config.Normalize().min_speaker_clips
    if len(kept) < least:
        raise inference.SpeakerError(f"{path}: {len(kept)} window(s) with speech; adapting to a "
                                     f"speaker needs at least {least} (use a smaller --hop, or "
                                     "leave out --same-speaker)")
    proba = speaker_probabilities(predictor, [k[1] for k in kept])
    if model.classical is not None:
        proba = model.weight * proba + (1 - model.weight) * \
            model.classical.speaker_probabilities(np.stack([k[2] for k in kept]))
    emotions = predictor.emotions
    speech = iter(_row(path, *k[0], emotions, p) for k, p in zip(kept, proba, strict=True))
    return [row if row is not None else next(speech) for row in rows]


def speaker_probabilities(predictor: inference.Predictor, clips: list[np.ndarray]) -> np.ndarray:
    """``predictor.speaker_probabilities(np.stack(clips))``, with the model run on ``BATCH``
    clips at a time. The speaker's statistics still come from all the clips (streamed into the
    standardiser); only the forward pass is batched, and a batch's clips are normalised and
    predicted each on its own, so the result is the same. Passing every window of an hour to the
    model at once held all its activations together: 2756 MiB peak for an hour at a 1 s hop
    (measured 2026-12-06, ``benchmarks/timeline.py --same-speaker``), against 507 MiB without
    adapting."""
    import torch

    def batches():
        for i in range(0, len(clips), BATCH):
            yield np.stack(clips[i:i + BATCH])

    proba = []
    for member in getattr(predictor, "members", None) or [predictor]:  # an Ensemble averages
        if member.adapts:
            speaker = Normalizer("speaker", member.normalizer.top_db,
                                 member.normalizer.standardizer).add_speaker(0, batches())

            def normalise(x, speaker=speaker):
                return speaker.transform(x, np.zeros(len(x), dtype=int))
        else:
            normalise = member.normalizer.transform
        with torch.inference_mode():
            proba.append(np.concatenate([
                torch.softmax(member.model(torch.from_numpy(normalise(x))), 1).numpy()
                for x in batches()]))
    return np.mean(proba, axis=0)
