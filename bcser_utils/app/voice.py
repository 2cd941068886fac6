"""Your own voice: the 8 emotions of one speaker, predicted clip by clip and after adapting.

Notebook 10 records a student saying the RAVDESS sentence "Kids are talking by the door" once in
each emotion (``present.recorder``, files ``<emotion>.wav`` in a folder of their own), then:

- ``compare``: each clip predicted alone (``predict`` on one file) and all of them together as
  one speaker's (``predict --same-speaker``), one row per intended emotion;
- ``confusion``: intended emotion down, predicted across, for either column;
- ``join``: the clips as one long recording, for ``predict --timeline`` (``app.timeline``);
- ``narrow_range``: what adapting does when the clips do NOT span the speaker's emotions (only
  calm and neutral ones): the speaker's statistics then describe calm speech, and calm reads as
  the speaker's "zero" from which every clip is measured.

A headless run (nbval, the course runner) has no microphone: ``stand_in`` copies one RAVDESS
actor's clips of the same sentence into the folder, and says whose they are and whether the
default model heard that actor in training.

``synthetic``: espeak-ng saying the sentence in 8 voices (pitch, speed, loudness): a voice unlike
every training voice, for notebook 10's closing note on confidence. The clips are named after
their settings, not an emotion: espeak-ng acts none.

Notebook: 10_your_own_voice.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

from bcser_utils import config, files
from bcser_utils.app import predict
from bcser_utils.audio import audio_input, ravdess

SENTENCE = "Kids are talking by the door"  # RAVDESS statement 01
EMOTIONS = config.get_config().emotions
AUDIO = (".wav", ".flac")  # what the recorder and the stand-ins write
TRAINED_ON = set(range(1, 21))  # the shipped default model was refitted on actors 01–20


def recorded(folder: str | Path) -> dict[str, Path]:
    """The clips in ``folder`` named after an emotion (``angry.wav``, ``angry_2.wav`` …).

    Notebook: 10_your_own_voice.

    Parameters
    ----------
    folder : str or Path
        Where the recorder saved the clips.

    Returns
    -------
    dict of str to Path
        Emotion → its latest take (by modification time), in the paper's emotion order; emotions
        without a clip are left out.
    """
    found = {}
    for emotion in EMOTIONS:
        takes = sorted((p for p in Path(folder).glob(f"{emotion}*") if p.suffix in AUDIO),
                       key=lambda p: p.stat().st_mtime)
        if takes:
            found[emotion] = takes[-1]
    return found

# espeak-ng's (pitch 0-99, speed words per minute, amplitude 0-200; its defaults 50, 175, 100)
SYNTHETIC_VOICES = ((50, 175, 100), (20, 140, 60), (80, 200, 150), (35, 120, 80),
                    (65, 230, 180), (10, 160, 120), (90, 150, 50), (50, 260, 200))


def synthetic(folder: str | Path, voice: str = "en-us") -> list[Path]:
    """espeak-ng saying ``SENTENCE`` once per ``SYNTHETIC_VOICES`` setting.

    Notebook: 10_your_own_voice.

    Parameters
    ----------
    folder : str or Path
        Where to write; created if missing.
    voice : str
        An espeak-ng voice.

    Returns
    -------
    list of Path
        WAV files ``synth_<i>_p<pitch>_s<speed>_a<amplitude>.wav`` (22.05 kHz, espeak-ng's rate).

    Raises
    ------
    FileNotFoundError
        Without espeak-ng (apt-get install espeak-ng).
    """
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise FileNotFoundError("espeak-ng is not installed (apt-get install espeak-ng)")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (pitch, speed, amplitude) in enumerate(SYNTHETIC_VOICES, 1):
        path = folder / f"synth_{i}_p{pitch}_s{speed}_a{amplitude}.wav"
        subprocess.run([espeak, "-v", voice, "-p", str(pitch), "-s", str(speed),
                        "-a", str(amplitude), "-w", str(path), SENTENCE], check=True)
        paths.append(path)
    return paths


def stand_in(folder: str | Path, corpus: str | Path | None = None,
             actor: int | None = None) -> tuple[dict[str, Path], str]:
    """Copy one RAVDESS actor's 8 emotions of ``SENTENCE`` into ``folder``: a headless run's
    stand-in for a student's recordings.

    Statement 1, repetition 1, normal intensity. Notebook: 10_your_own_voice.

    Parameters
    ----------
    folder : str or Path
        Where to copy, as ``<emotion>.wav``-like files (the corpus's suffix).
    corpus : str or Path, optional
        A RAVDESS folder; default: found as ``ravdess.find_corpus`` finds it (no download).
    actor : int, optional
        Default: one the default model never heard (21–24) where the corpus has one, else 05.

    Returns
    -------
    clips : dict of str to Path
        Emotion → its copy, in the paper's emotion order.
    line : str
        Whose clips they are, and whether the default model heard that actor in training.
    """
    location = ravdess.find_corpus(corpus, allow_download=False, progress=False)
    catalog = ravdess.catalog(location.root, warn=False)
    available = set(catalog["actor"])
    actor = actor or min(available - TRAINED_ON, default=5)
    chosen = catalog[(catalog["actor"] == actor) & (catalog["statement"] == 1)
                     & (catalog["repetition"] == 1) & (catalog["intensity"] == "normal")]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    clips = {}
    for row in chosen.itertuples():
        clips[row.emotion] = files.copy(row.path, folder / f"{row.emotion}{Path(row.path).suffix}")
    heard = "the default model was trained on this actor: expect better than on a new voice" \
        if actor in TRAINED_ON else "an actor the default model never heard"
    synthetic = " (SYNTHETIC corpus: tones, not speech)" if location.synthetic else ""
    line = (f"No recording of all 8 emotions in {folder}: using RAVDESS actor {actor:02d}'s "
            f"\"{SENTENCE}\" instead{synthetic}; {heard}.")
    return {e: clips[e] for e in EMOTIONS if e in clips}, line


def compare(clips: dict[str, Path], model: predict.DefaultModel | None = None,
            uncertain_below: float | None = None) -> pd.DataFrame:
    """One row per intended emotion: the clip predicted alone, and among the speaker's other clips
    (adapted: ``predict --same-speaker``). Notebook: 10_your_own_voice.

    Parameters
    ----------
    clips : dict of str to Path
        Intended emotion → clip (``recorded`` or ``stand_in``).
    model : predict.DefaultModel, optional
        Default: ``predict.load_model(same_speaker=True)``.
    uncertain_below : float, optional
        A prediction whose top probability is below it is marked uncertain.

    Returns
    -------
    pandas.DataFrame
        Columns "intended", "alone", "alone p", "adapted", "adapted p" (p: the top
        probability), and "alone uncertain", "adapted uncertain" with ``uncertain_below``.

    Raises
    ------
    audio_input.AudioError
        If a clip cannot be read.
    """
    model = model or predict.load_model(same_speaker=True)
    paths = list(clips.values())
    alone = [model.single.predict_file(p) for p in paths]
    adapted, errors = model.deep.predict_speaker(paths, model.classical, model.weight)
    if errors:
        raise audio_input.AudioError(paths[0].parent, "; ".join(errors))
    rows = []
    for intended, a, b in zip(clips, alone, adapted, strict=True):
        rows.append({"intended": intended, "alone": a["emotion"],
                     "alone p": max(a["probabilities"].values()), "adapted": b["emotion"],
                     "adapted p": max(b["probabilities"].values())})
    table = pd.DataFrame(rows)
    if uncertain_below is not None:
        table["alone uncertain"] = table["alone p"] < uncertain_below
        table["adapted uncertain"] = table["adapted p"] < uncertain_below
    return table


def confusion(table: pd.DataFrame, column: str) -> np.ndarray:
    """Counts, intended emotion (rows) by predicted emotion (columns), in the paper's order.

    Parameters
    ----------
    table : pandas.DataFrame
        ``compare``'s output.
    column : str
        "alone" or "adapted".

    Returns
    -------
    numpy.ndarray
        (8, 8) int.
    """
    matrix = np.zeros((len(EMOTIONS), len(EMOTIONS)), dtype=int)
    for intended, said in zip(table["intended"], table[column], strict=True):
        matrix[EMOTIONS.index(intended), EMOTIONS.index(said)] += 1
    return matrix


def join(clips: dict[str, Path], path: str | Path,
         gap_s: float = 1.0) -> list[tuple[str, float, float]]:
    """The clips one after another, each followed by ``gap_s`` of silence, in one audio file at
    the first clip's rate: a long recording to follow with ``timeline``.
    Notebook: 10_your_own_voice.

    Parameters
    ----------
    clips : dict of str to Path
        Emotion → clip, in the order to join them.
    path : str or Path
        The file to write (its suffix picks the format, e.g. ".flac").
    gap_s : float
        Seconds of silence after each clip.

    Returns
    -------
    list of (str, float, float)
        (emotion, start, end) of each clip, in seconds.
    """
    import soundfile as sf

    parts, spans, rate, t = [], [], None, 0.0
    for emotion, clip_path in clips.items():
        audio, clip_rate = audio_input.load_audio(clip_path, sample_rate=rate)
        rate = rate or clip_rate
        spans.append((emotion, t, t + len(audio) / rate))
        parts += [audio, np.zeros(int(gap_s * rate), dtype=np.float32)]
        t += len(audio) / rate + gap_s
    sf.write(path, np.concatenate(parts), rate)
    return spans


def narrow_range(corpus: str | Path | None = None, actor: int = 5,
                 model: predict.DefaultModel | None = None) -> pd.DataFrame:
    """One actor's calm and neutral clips only, predicted alone and adapted to as one speaker.

    All 12 of them (both sentences, repetitions and intensities): how often each is read as
    calm or neutral. Adapting to clips that do not span the speaker's emotions misleads it.
    Notebook: 10_your_own_voice.

    Parameters
    ----------
    corpus : str or Path, optional
        A RAVDESS folder; default: found as ``ravdess.find_corpus`` finds it (no download).
    actor : int
        The actor.
    model : predict.DefaultModel, optional
        Default: ``predict.load_model(same_speaker=True)``.

    Returns
    -------
    pandas.DataFrame
        Columns "clip", "intended", "alone", "adapted".
    """
    model = model or predict.load_model(same_speaker=True)
    location = ravdess.find_corpus(corpus, allow_download=False, progress=False)
    catalog = ravdess.catalog(location.root, warn=False)
    quiet = catalog[(catalog["actor"] == actor) & catalog["emotion"].isin(["neutral", "calm"])]
    paths = [Path(p) for p in quiet["path"]]
    alone = [model.single.predict_file(p)["emotion"] for p in paths]
    adapted, _ = model.deep.predict_speaker(paths, model.classical, model.weight)
    return pd.DataFrame({"clip": [p.name for p in paths], "intended": list(quiet["emotion"]),
                         "alone": alone, "adapted": [r["emotion"] for r in adapted]})
