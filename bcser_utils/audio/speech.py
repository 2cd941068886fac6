"""Whether a clip holds speech: a voicing test, so noise and tones get no emotion.

``predict`` hears any sound as one of eight emotions: white noise came out "angry 0.92" and a
440 Hz tone "sad 0.80". ``speech_check`` says whether a clip holds speech before a model is
asked. Speech is *voiced* (the vocal folds make a periodic sound, 60–500 Hz) in bursts: syllables
of a few hundred milliseconds, broken by consonants and pauses, on a pitch that moves. So the
check, at 16 kHz on 40 ms frames every 10 ms:

1. finds the voiced frames: the normalised autocorrelation of the 150–1000 Hz band (where a
   voice's harmonics are strong and most noise is not) peaks above ``VOICED_PERIODICITY`` at a
   lag of 2–16 ms, the frame's two halves are about as loud (a click's ringing is periodic for a
   moment only), and the frame sits in a voiced run of at least ``MIN_RUN_FRAMES``;
2. says "speech" when there are at least ``MIN_VOICED_S`` seconds of them, no voiced stretch is
   longer than ``MAX_VOICED_RUN_S`` (a tone, a chord, hum, a sweep or a held musical note is
   voiced from end to end; a talker breaks voicing every second or so, for a consonant or a
   breath), and their pitch moves by at least ``MIN_PITCH_RANGE_ST`` semitones (beeps do not).

Noise has (almost) no voiced frames: ``reason`` "no speech: noise without voicing"; a tone,
chord or hum is "a steady tone", and there are "a tone sweep", "clicks", "a tone repeated on one
pitch" and "sustained tones that change pitch (music?)". Speech in noise is still speech: the
150–1000 Hz band keeps its voicing down to 0 dB SNR. Singing, whose notes are voiced for long, may
be called music; a held vowel longer than ``MAX_VOICED_RUN_S`` is not speech here either.

The thresholds were chosen on actors 01–10 of the development copy and generated non-speech with
seeds 0–4, then measured once on actors 11–20 and seeds 5–9 (benchmarks/speech_check.py; the
numbers are in benchmarks/README.md).

We chose a voicing test over silero-vad 6.2.3 (a trained detector; MIT licence, its weights in
its 11 MB wheel, needing only torch): on development data (every third clip of actors 01–10,
the generated clips of seeds 0–4), silero-vad (threshold 0.5, at least 256 ms of speech) flagged
4 of 200 RAVDESS clips as no speech, let mains hum through and kept 97 % of the clips at 0 dB
speech-shaped noise, against 0, none and 98.5 % here; it costs about 43 ms of CPU per 4 s clip
against about 10–15 ms here, and it loads its model with ``torch.jit.load``, deprecated since
torch 2.13. This check needs only numpy and scipy.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import butter, resample_poly, sosfilt, welch

RATE = 16_000  # the check's rate: voicing lives far below 8 kHz
FRAME = 640  # 40 ms: two periods of the lowest voice (62.5 Hz)
HOP = 160  # 10 ms
MIN_LAG, MAX_LAG = RATE // 500, RATE // 62  # pitch periods of 500 Hz down to 62.5 Hz
_BAND = butter(4, (150, 1000), btype="bandpass", fs=RATE, output="sos")

# Chosen on actors 01–10 and generated non-speech with seeds 0–4 (benchmarks/speech_check.py):
VOICED_PERIODICITY = 0.6  # a frame is voiced above it
FLOOR_DB = 40.0  # frames this far below the clip's loudest frame (low band) are background
MIN_VOICED_S = 0.12  # speech has at least a syllable or two voiced
MAX_VOICED_RUN_S = 2.5  # no talker stays voiced this long; a steady sound is voiced throughout
# 10th–90th percentile of the voiced frames' pitch, in semitones: RAVDESS ≥ 1.8, the synthetic
# corpus's calm and sad voices ≥ 0.41, a tone beeping on one pitch < 0.02
MIN_PITCH_RANGE_ST = 0.25
STEADY_RATIO = 0.25  # a voiced frame's halves differ by less than 6 dB in energy
MIN_RUN_FRAMES = 3  # voiced frames count in runs of at least this many (30 ms)
GAP_FRAMES = 2  # voicing gaps this short (20 ms) do not end a voiced run
SILENCE_DBFS = -70.0  # no 40 ms frame louder (RMS) than this: silence
# for the reason only (the verdict does not use them):
CLICK_CREST_DB = 20.0  # peak over RMS above it: clicks (noise ~14 dB, a tone 3 dB)
TONAL_DB = 20.0  # a spectral line this far above its neighbours: a tone (noise: < 10 dB)


@dataclass(frozen=True)
class SpeechCheck:
    """What ``speech_check`` measured, and its verdict.

    ``has_speech``: the verdict; ``voiced_s``: seconds of voiced frames; ``longest_voiced_s``:
    the longest run of voiced frames; ``pitch_range_st``: 10th–90th percentile of their pitch, in
    semitones; ``periodicity``: median periodicity (0–1) of the loud frames; ``reason``: one line
    for a person ("speech", "no speech: noise without voicing", …).
    """

    has_speech: bool
    voiced_s: float
    longest_voiced_s: float
    pitch_range_st: float
    periodicity: float
    reason: str


def _frames(x: np.ndarray) -> np.ndarray:
    """40 ms frames every 10 ms (a view; a clip shorter than a frame is padded to one)."""
    return sliding_window_view(np.pad(x, (0, max(0, FRAME - len(x)))), FRAME)[::HOP]


def _periodicity(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: the peak of the normalised autocorrelation over pitch lags, and its lag."""
    # float32 and contiguous: the FFTs take a fifth of the time of float64 on a strided view
    spectrum = scipy.fft.rfft(np.ascontiguousarray(frames, dtype=np.float32), 2 * FRAME, axis=1)
    r = scipy.fft.irfft(spectrum.real**2 + spectrum.imag**2, axis=1)[:, : MAX_LAG + 1]
    energy = np.cumsum(frames**2, axis=1)
    lags = np.arange(MIN_LAG, MAX_LAG + 1)
    head = energy[:, FRAME - 1 - lags]  # x[0 : N - lag]
    tail = energy[:, -1:] - energy[:, lags - 1]  # x[lag : N]
    nacf = r[:, lags] / np.sqrt(np.maximum(head * tail, 1e-20))
    best = nacf.max(axis=1)
    # the shortest lag that nearly reaches the peak: a 1 kHz tone is periodic every 1 ms, and
    # its pitch is the first of those lags, not whichever multiple happens to be highest
    near = nacf >= 0.95 * best[:, None]
    # ... at the top of that first peak, refined between lags (a parabola through three lags):
    # whole lags alone would make a steady 200 Hz tone waver by 0.2 semitones
    falling = np.diff(nacf, axis=1, append=-np.inf) <= 0
    i = np.argmax(near & falling, axis=1)
    rows = np.arange(len(nacf))
    left = nacf[rows, np.maximum(i - 1, 0)]
    mid = nacf[rows, i]
    right = nacf[rows, np.minimum(i + 1, nacf.shape[1] - 1)]
    curve = left - 2 * mid + right
    shift = np.where(curve < 0, 0.5 * (left - right) / np.where(curve < 0, curve, -1), 0)
    return best, lags[i] + np.clip(shift, -0.5, 0.5)


def _runs(mask: np.ndarray) -> np.ndarray:
    """Lengths of the runs of True in ``mask``."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)


def speech_check(audio: np.ndarray, rate: int) -> SpeechCheck:
    """Whether ``audio`` (mono, any rate) holds speech, with what was measured and why.

    Parameters
    ----------
    audio : np.ndarray
        Mono samples (any float or int dtype), e.g. from ``audio_input.load_audio``.
    rate : int
        Their sample rate in Hz.

    Returns
    -------
    SpeechCheck
        ``has_speech``, the measured quantities and a one-line ``reason``.
    """
    native = np.asarray(audio, dtype=np.float64).ravel()
    x = native
    if rate != RATE:
        g = gcd(int(rate), RATE)
        x = resample_poly(x, RATE // g, int(rate) // g)
    x = x - x.mean() if x.size else x
    full = _frames(x)
    loudness = 10 * np.log10(np.mean(full**2, axis=1) + 1e-20)
    if x.size == 0 or loudness.max() < SILENCE_DBFS:
        return SpeechCheck(False, 0.0, 0.0, 0.0, 0.0, "no speech: silence")
    frames = _frames(sosfilt(_BAND, x))
    band = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-20)
    loud = band > band.max() - FLOOR_DB
    periodicity, lag = _periodicity(frames)
    # a click's ringing is periodic too, but only for a moment: voicing fills the whole frame
    halves = np.sum(frames.reshape(len(frames), 2, -1) ** 2, axis=2) + 1e-20
    steady = halves.min(axis=1) / halves.max(axis=1) > STEADY_RATIO
    voiced = loud & steady & (periodicity > VOICED_PERIODICITY)
    # a gap of a frame or two between voiced frames is a note changing, not a consonant
    # a syllable is voiced for tens of milliseconds; a lone voiced frame is a click's ringing
    voiced &= ~_runs_shorter(voiced, MIN_RUN_FRAMES - 1)
    inside = np.maximum.accumulate(voiced) & np.maximum.accumulate(voiced[::-1])[::-1]
    runs = _runs(voiced | (_runs_shorter(~voiced, GAP_FRAMES) & inside))
    voiced_s = voiced.sum() * HOP / RATE
    longest = (runs.max() if runs.size else 0) * HOP / RATE
    semitones = 12 * np.log2(RATE / lag[voiced]) if voiced.any() else np.zeros(1)
    pitch_range = float(np.subtract(*np.percentile(semitones, [90, 10])))
    median_periodicity = float(np.median(periodicity[loud]))

    has_speech = bool(voiced_s >= MIN_VOICED_S and longest <= MAX_VOICED_RUN_S
                  and pitch_range >= MIN_PITCH_RANGE_ST)
    if has_speech:
        reason = "speech"
    elif _crest_db(native) > CLICK_CREST_DB:
        reason = "no speech: clicks"
    elif longest > MAX_VOICED_RUN_S:
        reason = "no speech: " + _steady_kind(x)
    elif voiced_s >= MIN_VOICED_S:
        reason = "no speech: a tone repeated on one pitch"
    elif _tonality_db(x) > TONAL_DB:
        reason = "no speech: a steady tone"
    else:
        reason = "no speech: noise without voicing"
    return SpeechCheck(has_speech, float(voiced_s), float(longest), pitch_range,
                       median_periodicity, reason)


def _runs_shorter(mask: np.ndarray, n: int) -> np.ndarray:
    """``mask`` with its runs of True of at most ``n`` frames only (the others set False)."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    short = ends - starts <= n
    marks = np.zeros(len(mask) + 1, dtype=int)
    np.add.at(marks, starts[short], 1)
    np.add.at(marks, ends[short], -1)
    return np.cumsum(marks)[:-1] > 0


def _crest_db(x: np.ndarray) -> float:
    """Peak over RMS, in dB: a tone ~3, noise ~14, speech ~20, sparse clicks far above."""
    return float(20 * np.log10(np.abs(x).max() / max(np.sqrt(np.mean(x**2)), 1e-20)))


def _tonality_db(x: np.ndarray) -> float:
    """How far the strongest spectral line stands above its neighbours, in dB (noise: a few)."""
    _, power = welch(x, RATE, nperseg=2048)
    power = power[4:]  # above 30 Hz
    neighbours = np.median(sliding_window_view(np.pad(power, 16, mode="edge"), 33), axis=1)
    return float(10 * np.log10(np.max(power / np.maximum(neighbours, 1e-30))))


def _steady_kind(x: np.ndarray) -> str:
    """A person's name for a sound voiced from end to end."""
    # a sweep's loudest frequency glides one way; a tone's, a chord's or hum's stays put
    peaks = np.argmax(np.abs(scipy.fft.rfft(_frames(x)[::10] * np.hanning(FRAME), axis=1)), 1)
    pitch = 12 * np.log2(np.maximum(peaks, 1))
    if np.ptp(pitch) <= 3:
        return "a steady tone"
    steps = np.diff(pitch)
    if (steps >= 0).all() or (steps <= 0).all():
        return "a tone sweep"
    return "sustained tones that change pitch (music?)"
