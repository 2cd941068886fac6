"""A synthetic, offline stand-in for RAVDESS, used only when no real copy can be found or fetched.

It has RAVDESS's layout (``Actor_NN/03-01-EE-II-SS-RR-NN.wav``) and names, so every notebook runs
unchanged, but the audio is a crude harmonic "voice" with emotion-dependent prosody: pitch level
and range, speaking rate, loudness, brightness, breathiness and vibrato follow the emotion (and
are exaggerated by strong intensity), on top of a per-actor voice. A classifier can learn it,
which is all it is for. **Nothing measured on it says anything about real emotional speech**, and
every output made from it says so. A ``SYNTHETIC_CORPUS.txt`` file marks its folder.

Notebook: 01_dataset_exploration (and every notebook, when it runs offline).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import soundfile as sf

from bcser_utils import files
from bcser_utils.audio.names import RavdessName, expected_names
from bcser_utils.messages import progress_bar

MARKER = "SYNTHETIC_CORPUS.txt"
SAMPLE_RATE = 16_000

# emotion → (pitch ×, pitch range in semitones, syllables/s, level dB, spectral tilt dB/harmonic,
#            breath noise, vibrato depth in semitones)
PROSODY = {
    "neutral":   (1.00, 2.0, 4.0, 0.0, -0.9, 0.02, 0.0),
    "calm":      (0.95, 1.5, 3.4, -3.0, -1.1, 0.06, 0.0),
    "happy":     (1.20, 6.0, 4.6, 3.0, -0.6, 0.02, 0.0),
    "sad":       (0.88, 1.0, 3.0, -6.0, -1.3, 0.08, 0.0),
    "angry":     (1.25, 4.0, 5.0, 8.0, -0.4, 0.04, 0.0),
    "fearful":   (1.35, 5.0, 5.4, 2.0, -0.7, 0.05, 0.6),
    "disgust":   (0.92, 3.0, 3.2, 1.0, -0.9, 0.12, 0.0),
    "surprised": (1.30, 8.0, 4.2, 4.0, -0.6, 0.03, 0.0),
}
# (F1, F2, F3) in Hz for the vowels of "Kids/Dogs are talking/sitting by the door"
VOWELS = {
    1: ((400, 2000, 2600), (600, 1200, 2500), (700, 1100, 2450), (400, 2000, 2600),
        (700, 1200, 2500), (500, 1500, 2500), (450, 900, 2400)),
    2: ((600, 1000, 2450), (600, 1200, 2500), (400, 2000, 2600), (400, 2000, 2600),
        (700, 1200, 2500), (500, 1500, 2500), (450, 900, 2400)),
}
_EMOTIONS = list(PROSODY)


def synthesize(name: RavdessName, seed: int = 0, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """One synthetic utterance for a RAVDESS name, deterministic in ``seed``.

    Parameters
    ----------
    name : RavdessName
        Decides the actor's voice (sex, pitch, vocal tract), the emotion's prosody (``PROSODY``),
        the intensity and the sentence's vowels.
    seed : int
        The same seed and name give the same samples.
    sample_rate : int
        In Hz.

    Returns
    -------
    numpy.ndarray
        1-D float32 audio, peak ≤ 0.5, about 2–4 s long (a lead and a tail of 0.45–0.75 s of
        near-silence around the syllables).
    """
    rng = np.random.default_rng([seed, name.actor, name.emotion, name.intensity,
                                 name.statement, name.repetition])
    voice = np.random.default_rng([seed, name.actor])  # the actor's voice, the same in every file
    base_f0 = (115 if name.sex == "male" else 210) * voice.uniform(0.85, 1.15)
    tract = voice.uniform(0.9, 1.1) * (1.0 if name.sex == "male" else 1.15)

    pitch, pitch_range, rate, level_db, tilt, breath, vibrato = PROSODY[name.emotion_name]
    strength = 1.6 if name.intensity == 2 else 1.0  # strong intensity exaggerates the emotion
    pitch = 1 + (pitch - 1) * strength
    rate, pitch_range = rate * (1 + (rate / 4 - 1) * (strength - 1)), pitch_range * strength
    level_db *= strength
    rate *= rng.uniform(0.93, 1.07)

    vowels = VOWELS[name.statement]
    syllable = sample_rate / rate
    lead, tail = (rng.uniform(0.45, 0.75) for _ in range(2))
    n = int((lead + tail) * sample_rate + syllable * len(vowels))
    t = np.arange(n) / sample_rate
    speech = np.clip((np.arange(n) - lead * sample_rate) / syllable, 0, len(vowels) - 1e-6)
    index = speech.astype(int)
    within = speech - index
    inside = (t >= lead) & (t < n / sample_rate - tail)

    # Pitch contour: declination plus a per-syllable accent; surprise ends on a rise.
    accents = rng.uniform(-1, 1, len(vowels))
    semitones = pitch_range * (0.5 * accents[index] - 0.4 * speech / len(vowels))
    if name.emotion_name == "surprised":
        semitones += pitch_range * np.clip(speech - len(vowels) + 2, 0, None)
    semitones += vibrato * strength * np.sin(2 * np.pi * 6.0 * t)
    f0 = base_f0 * pitch * 2 ** (semitones / 12) * (1 + 0.01 * rng.standard_normal(n).cumsum()
                                                    / np.sqrt(n))
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate

    formants = np.array(vowels, dtype=float)[index] * tract  # (n, 3)
    harmonics = np.arange(1, 25)
    freqs = harmonics[:, None] * f0[None, :]  # (24, n)
    envelope = sum(1 / (1 + ((freqs - formants[:, k]) / (80 + 40 * k)) ** 2) for k in range(3))
    amplitude = 10 ** (tilt * strength ** 0.5 * harmonics / 20)[:, None] * (0.2 + envelope)
    amplitude[freqs > 0.45 * sample_rate] = 0
    voiced = (amplitude * np.sin(harmonics[:, None] * phase[None, :])).sum(axis=0)

    gate = np.sin(np.pi * within) ** 0.7 * inside  # each syllable swells and fades
    noise = rng.standard_normal(n) * (breath * strength + 0.3 * (within < 0.12))  # consonants
    audio = (voiced / np.abs(voiced).max() + noise) * gate * 10 ** (level_db / 20)
    audio += 1e-4 * rng.standard_normal(n)  # a recording's noise floor
    return (0.5 * audio / np.abs(audio).max() * 10 ** ((level_db - 13) / 20)).astype(np.float32)


def make_corpus(root: str | Path, actors=range(1, 25), seed: int = 0,
                sample_rate: int = SAMPLE_RATE, progress: bool = True) -> Path:
    """Write a synthetic corpus with RAVDESS's layout and names under ``root``; skip files present.

    Notebook: 01_dataset_exploration.

    Parameters
    ----------
    root : str or Path
        The folder; created if missing. ``SYNTHETIC_CORPUS.txt`` is written in it.
    actors : iterable of int
        Actor numbers (1–24): 60 files each.
    seed : int
        Passed to ``synthesize``.
    sample_rate : int
        In Hz; the files are 16-bit PCM WAV.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Path
        ``root``.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    files.write_text(
        root / MARKER,
        "SYNTHETIC CORPUS — not RAVDESS. Made by bcser_utils.audio.synthetic so the course runs\n"
        "offline. Its audio is a crude harmonic voice whose prosody follows the emotion label;\n"
        "results on it say nothing about real emotional speech.\n"
        f"seed={seed}, sample_rate={sample_rate}\n")
    names = expected_names(actors)
    for name in progress_bar(names, desc="synthetic corpus", disable=not progress):
        path = root / name.folder / name.filename(".wav")
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            tmp = path.with_suffix(".tmp")
            sf.write(tmp, synthesize(name, seed, sample_rate), sample_rate, subtype="PCM_16",
                     format="WAV")
            tmp.replace(path)  # never leave a half-written file under a valid name
    return root


def is_synthetic(root: str | Path) -> bool:
    """Whether ``root`` is a synthetic corpus (it holds ``SYNTHETIC_CORPUS.txt``).

    Parameters
    ----------
    root : str or Path
        A corpus folder.

    Returns
    -------
    bool
    """
    return (Path(root) / MARKER).exists()


def checksum(root: str | Path) -> int:
    """A CRC of every file in a synthetic corpus, to show that generation is deterministic.

    Parameters
    ----------
    root : str or Path
        The corpus folder.

    Returns
    -------
    int
        CRC-32 of the bytes of every ``*.wav`` below ``root``, in sorted path order.
    """
    crc = 0
    for path in sorted(Path(root).rglob("*.wav")):
        crc = zlib.crc32(path.read_bytes(), crc)
    return crc
