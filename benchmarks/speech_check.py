"""How well ``speech.speech_check`` tells speech from noise and tones, and what it costs.

    python benchmarks/speech_check.py [--corpus DIR] [--split dev|held-out|both]

Prints, for each split:

(i)   RAVDESS clips wrongly flagged as no speech (named), every clip read with
      ``audio_input.load_audio`` at 48 kHz mono;
(ii)  generated non-speech clips (noise, tones, chords, sweeps, clicks, hum, a vibrato melody,
      beeps; 4 s at 48 kHz) caught, by kind, with those missed named;
(iii) the RAVDESS clips mixed with white and speech-shaped noise at 20, 10 and 0 dB SNR
      (``noise.add_noise``) still recognised as speech;
(iv)  the time per clip (one check, 4 s at 48 kHz, single-threaded numpy).

The thresholds in bcser_utils/audio/speech.py were chosen on the development split (actors 01–10,
seeds 0–4) and written down before the held-out split (actors 11–20, seeds 5–9) was run.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the target says

import numpy as np  # noqa: E402
import scipy.fft  # noqa: E402

from bcser_utils.audio import noise  # noqa: E402
from bcser_utils.audio.audio_input import load_audio  # noqa: E402
from bcser_utils.audio.names import parse_name  # noqa: E402
from bcser_utils.audio.speech import speech_check  # noqa: E402

RATE = 48_000
SECONDS = 4.0
SPLITS = {"dev": (range(1, 11), range(0, 5)), "held-out": (range(11, 21), range(5, 10))}
SNRS = (20, 10, 0)


def _coloured(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Unit-RMS noise with power ∝ 1/f**exponent (0 white, 1 pink, 2 brown)."""
    spectrum = scipy.fft.rfft(rng.standard_normal(n))
    f = np.maximum(scipy.fft.rfftfreq(n, 1 / RATE), 20.0)  # flat below 20 Hz: no huge DC
    x = scipy.fft.irfft(spectrum / f ** (exponent / 2), n)
    return x / np.sqrt(np.mean(x**2))


def _harmonic(f0: np.ndarray, n_harmonics: int, t: np.ndarray) -> np.ndarray:
    """Harmonics of a (possibly moving) fundamental ``f0`` (Hz per sample), amplitude 1/k."""
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    return sum(np.sin(k * phase) / k * (k * f0.max() < RATE / 2)
               for k in range(1, n_harmonics + 1))


def non_speech(seed: int) -> list[tuple[str, np.ndarray]]:
    """(kind, 4 s at 48 kHz) for every kind of generated non-speech sound, drawn from ``seed``."""
    rng = np.random.default_rng([7, seed])
    n = int(SECONDS * RATE)
    t = np.arange(n) / RATE
    clips = []
    for name, exponent in (("white noise", 0), ("pink noise", 1), ("brown noise", 2)):
        for level_db in (-40, -26, -12):
            clips.append((name, _coloured(rng, n, exponent) * 10 ** (level_db / 20)))
    for _ in range(3):  # pure tones, 100 Hz–4 kHz (log-uniform)
        f = np.exp(rng.uniform(np.log(100), np.log(4000)))
        clips.append(("tone", np.sin(2 * np.pi * f * t + rng.uniform(0, 6))))
    for _ in range(2):  # a major or minor triad of harmonic notes, root 100–800 Hz
        root = np.exp(rng.uniform(np.log(100), np.log(800)))
        third = 4 if rng.random() < 0.5 else 3
        clips.append(("chord", sum(_harmonic(np.full(n, root * 2 ** (s / 12)), 4, t)
                                   for s in (0, third, 7))))
    for _ in range(2):  # a linear or exponential sweep between two frequencies in 100 Hz–4 kHz
        f1, f2 = np.exp(rng.uniform(np.log(100), np.log(4000), 2))
        f = f1 + (f2 - f1) * t / SECONDS if rng.random() < 0.5 else f1 * (f2 / f1) ** (t / SECONDS)
        clips.append(("sweep", np.sin(2 * np.pi * np.cumsum(f) / RATE)))
    for rate in rng.choice([2, 10, 50, 100, 200], 2, replace=False):  # click trains
        x = np.zeros(n)
        x[rng.integers(RATE // rate)::RATE // rate] = 1.0
        clips.append(("clicks", x))
    for mains in (50, 60):  # mains hum with harmonics, over a faint noise floor
        clips.append(("hum", _harmonic(np.full(n, float(mains)), 8, t)
                      + 0.01 * rng.standard_normal(n)))
    # music-like: four harmonic notes of a melody (1 s each), with vibrato (5.5 Hz, ±0.5 st)
    notes = np.exp(rng.uniform(np.log(150), np.log(600))) * 2 ** (rng.integers(0, 8, 4) / 12)
    f0 = notes[np.minimum((t / SECONDS * 4).astype(int), 3)] * 2 ** (
        0.5 * np.sin(2 * np.pi * 5.5 * t) / 12)
    clips.append(("vibrato melody", _harmonic(f0, 6, t) * (0.3 + 0.7 * np.exp(-3 * (t % 1)))))
    # beeps: a tone 0.3 s on, 0.3 s off
    f = np.exp(rng.uniform(np.log(300), np.log(3000)))
    clips.append(("beeps", np.sin(2 * np.pi * f * t) * ((t % 0.6) < 0.3)))
    out = []
    for kind, x in clips:
        peak = np.abs(x).max()
        x = x * (rng.uniform(0.05, 0.9) / peak if not kind.endswith("noise") else 1.0)
        out.append((kind, x.astype(np.float32)))
    return out


def ravdess(corpus: Path, actors) -> list[tuple[str, np.ndarray]]:
    """(file name, audio at 48 kHz mono) of every clip of ``actors``, read as ``predict`` does."""
    paths = sorted(p for p in corpus.glob("Actor_*/*") if p.suffix in (".wav", ".flac")
                   and parse_name(p.name).actor in actors)
    return [(p.name, load_audio(p, RATE)[0]) for p in paths]


def report(corpus: Path, split: str) -> None:
    actors, seeds = SPLITS[split]
    print(f"\n== {split}: actors {actors[0]:02d}–{actors[-1]:02d}, seeds {seeds[0]}–{seeds[-1]}")
    clips = ravdess(corpus, actors)
    missed = [(name, c) for name, a in clips if not (c := speech_check(a, RATE)).has_speech]
    print(f"(i) RAVDESS clips flagged as no speech: {len(missed)} of {len(clips)}")
    for name, c in missed:
        print(f"      {name}: {c.reason} (voiced {c.voiced_s:.2f} s, longest "
              f"{c.longest_voiced_s:.2f} s, pitch range {c.pitch_range_st:.1f} st)")

    caught, total, escaped = defaultdict(int), defaultdict(int), []
    reasons = defaultdict(lambda: defaultdict(int))
    for seed in seeds:
        for kind, x in non_speech(seed):
            c = speech_check(x, RATE)
            total[kind] += 1
            caught[kind] += not c.has_speech
            reasons[kind][c.reason] += 1
            if c.has_speech:
                escaped.append(f"{kind} (seed {seed}): voiced {c.voiced_s:.2f} s, longest "
                               f"{c.longest_voiced_s:.2f} s, pitch range {c.pitch_range_st:.1f}")
    print(f"(ii) generated non-speech clips caught: {sum(caught.values())} of "
          f"{sum(total.values())}")
    for kind in total:
        why = ", ".join(f"{r!r} ×{k}" for r, k in reasons[kind].items())
        print(f"      {kind:15s} {caught[kind]:3d} / {total[kind]:3d}   {why}")
    for line in escaped:
        print(f"      missed: {line}")

    spectrum = noise.long_term_spectrum((a for _, a in clips), RATE)
    print("(iii) RAVDESS clips in noise still recognised as speech:")
    for kind in noise.KINDS:
        for snr in SNRS:
            kept = sum(speech_check(noise.add_noise(a, RATE, snr, kind, rng=i,
                                                    spectrum=spectrum), RATE).has_speech
                       for i, (_, a) in enumerate(clips))
            print(f"      {kind:13s} {snr:3d} dB: {kept} of {len(clips)} "
                  f"({100 * kept / len(clips):.1f} %)")

    x = non_speech(0)[0][1]
    speech_check(x, RATE)  # warm up
    start, runs = time.perf_counter(), 50
    for _ in range(runs):
        speech_check(x, RATE)
    per = (time.perf_counter() - start) / runs
    cpu = time.process_time()
    for _, a in clips[:50]:
        speech_check(a, RATE)
    print(f"(iv) time per 4 s clip at 48 kHz: {1000 * per:.1f} ms wall; RAVDESS clips: "
          f"{1000 * (time.process_time() - cpu) / 50:.1f} ms CPU each")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/shared/data/ravdess"))
    parser.add_argument("--split", choices=["dev", "held-out", "both"], default="both")
    args = parser.parse_args()
    for split in (["dev", "held-out"] if args.split == "both" else [args.split]):
        report(args.corpus, split)


if __name__ == "__main__":
    main()
