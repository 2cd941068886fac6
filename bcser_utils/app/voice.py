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

A take that cannot be used (too short, silent, no speech: ``problem``; one saved by an older
recorder, or a file copied in) never stops the notebook: ``recorded`` passes over it to the
emotion's previous take, and ``compare`` and ``join`` leave it out, each with one line naming
the file and the cause.

A headless run (nbval, the course runner) has no microphone, nor has a student who has not
recorded all eight yet: ``stand_in`` gives one RAVDESS actor's clips of the same sentence, read
where the corpus keeps them (nothing is written into the student's folder), and says whose they
are and whether the default model heard that actor in training; ``whose`` labels the figures.

``synthetic``: espeak-ng saying the sentence in 8 voices (pitch, speed, loudness): a voice unlike
every training voice, for notebook 10's closing note on confidence. The clips are named after
their settings, not an emotion: espeak-ng acts none.

Notebook: 10_your_own_voice.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from bcser_utils import config, files
from bcser_utils.app import predict
from bcser_utils.audio import audio_input, names, ravdess, speech
from bcser_utils.learn.inference import SpeakerError
from bcser_utils.messages import display_path

SENTENCE = "Kids are talking by the door"  # RAVDESS statement 01
EMOTIONS = config.get_config().emotions
AUDIO = (".wav", ".flac")  # what the recorder and the stand-ins write
TRAINED_ON = set(range(1, 21))  # the shipped default model was refitted on actors 01–20


def problem(path: str | Path) -> str | None:
    """Why a take cannot stand for an emotion, or None: the file's checks (``load_audio``: too
    short, silent, unreadable, …) and whether it holds speech (``speech.speech_check``).

    Parameters
    ----------
    path : str or Path
        An audio file.

    Returns
    -------
    str or None
        The cause, e.g. "too short: 0.348 s, need at least 0.5 s" or "no speech: silence";
        None for a usable take.
    """
    try:
        audio, rate = audio_input.load_audio(path)
    except audio_input.AudioError as err:
        return err.cause
    check = speech.speech_check(audio, rate)
    return None if check.has_speech else check.reason


def _usable(clips: dict[str, Path], say: Callable[[str], object]) -> dict[str, Path]:
    """``clips`` without the unusable ones, each said in one line."""
    kept = {}
    for emotion, path in clips.items():
        if (cause := problem(path)) is None:
            kept[emotion] = path
        else:
            say(f"skipped {display_path(path)}: {cause}")
    return kept


def recorded(folder: str | Path, say: Callable[[str], object] = print) -> dict[str, Path]:
    """The usable clips in ``folder`` named after an emotion (``angry.wav``, ``angry_2.wav`` …).

    Notebook: 10_your_own_voice.

    Parameters
    ----------
    folder : str or Path
        Where the recorder saved the clips.
    say : callable
        Told one line for each take passed over (``print``).

    Returns
    -------
    dict of str to Path
        Emotion → its latest usable take (by modification time; ``problem``), in the paper's
        emotion order; emotions without one are left out.
    """
    found = {}
    for emotion in EMOTIONS:
        takes = sorted((p for p in Path(folder).glob(f"{emotion}*") if p.suffix in AUDIO),
                       key=lambda p: p.stat().st_mtime, reverse=True)
        for take in takes:  # newest first: a bad take falls back to the one before it
            if (cause := problem(take)) is None:
                found[emotion] = take
                break
            say(f"skipped {display_path(take)}: {cause}; record {emotion} again")
    return found


def whose(clips: dict[str, Path]) -> str:
    """Whose voice ``clips`` are, for a figure's title.

    Parameters
    ----------
    clips : dict of str to Path
        ``recorded``'s or ``stand_in``'s clips.

    Returns
    -------
    str
        "stand-in: RAVDESS actor 05, a training actor" (or "…, an actor the model never heard")
        for clips of one RAVDESS actor under their RAVDESS names (``stand_in``'s); else
        "your voice".
    """
    actors = set()
    for path in clips.values():
        try:
            actors.add(names.parse_name(path).actor)
        except names.BadNameError:
            return "your voice"
    if len(actors) != 1:
        return "your voice"
    actor = actors.pop()
    heard = "a training actor" if actor in TRAINED_ON else "an actor the model never heard"
    return f"stand-in: RAVDESS actor {actor:02d}, {heard}"

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


def stand_in(recordings: str | Path = "my_voice", corpus: str | Path | None = None,
             actor: int | None = None) -> tuple[dict[str, Path], str]:
    """One RAVDESS actor's 8 emotions of ``SENTENCE``: the stand-in for a student's recordings
    in a headless run, or before all eight are recorded.

    Statement 1, repetition 1, normal intensity, read where the corpus keeps them: nothing is
    copied, least of all into ``recordings``. Notebook: 10_your_own_voice.

    Parameters
    ----------
    recordings : str or Path
        The student's own folder, named in the line (it is neither read nor written here).
    corpus : str or Path, optional
        A RAVDESS folder; default: found as ``ravdess.find_corpus`` finds it (no download).
    actor : int, optional
        Default: one the default model never heard (21–24) where the corpus has one, else 05.

    Returns
    -------
    clips : dict of str to Path
        Emotion → the corpus's file (its RAVDESS name, which ``whose`` reads), in the paper's
        emotion order.
    line : str
        That there is no usable recording of all 8 in ``recordings``, whose clips stand in, and
        whether the default model heard that actor in training.
    """
    location = ravdess.find_corpus(corpus, allow_download=False, progress=False)
    catalog = ravdess.catalog(location.root, warn=False)
    available = set(catalog["actor"])
    actor = actor or min(available - TRAINED_ON, default=5)
    chosen = catalog[(catalog["actor"] == actor) & (catalog["statement"] == 1)
                     & (catalog["repetition"] == 1) & (catalog["intensity"] == "normal")]
    clips = {row.emotion: Path(row.path) for row in chosen.itertuples()}
    heard = "the default model was trained on this actor: expect better than on a new voice" \
        if actor in TRAINED_ON else "an actor the default model never heard"
    synthetic = " (SYNTHETIC corpus: tones, not speech)" if location.synthetic else ""
    line = (f"No usable recording of all 8 emotions in {display_path(recordings)}/ yet: "
            f"using RAVDESS actor {actor:02d}'s \"{SENTENCE}\" instead{synthetic}; {heard}.")
    return {e: clips[e] for e in EMOTIONS if e in clips}, line


def _top(column: str, result: dict | None) -> dict:
    """A prediction as two table cells: the emotion and its probability (None and NaN for no
    prediction)."""
    if result is None or result["probabilities"] is None:
        return {column: None, f"{column} p": np.nan}
    return {column: result["emotion"], f"{column} p": max(result["probabilities"].values())}


def compare(clips: dict[str, Path], model: predict.DefaultModel | None = None,
            uncertain_below: float | None = None,
            say: Callable[[str], object] = print) -> pd.DataFrame:
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
    say : callable
        Told one line for each clip left out (``problem``: too short, silent, no speech, not
        readable), and why adapting was impossible if it was (``print``).

    Returns
    -------
    pandas.DataFrame
        One row per usable clip. Columns "intended", "alone", "adapted" (None where too few
        usable clips were left to adapt to), "alone p", "adapted p" (p: the top probability),
        and "alone uncertain", "adapted uncertain" with ``uncertain_below``.
    """
    model = model or predict.load_model(same_speaker=True)
    clips = _usable(clips, say)
    paths = list(clips.values())
    alone = [model.single.predict_file(p) for p in paths]
    try:
        adapted, errors = model.deep.predict_speaker(paths, model.classical, model.weight)
    except SpeakerError as err:  # too few clips left: the clips alone still say something
        say(f"not adapted: {err}")
        adapted, errors = [], []
    for error in errors:  # problem() passed them, so this is rare (a file changed since)
        say(f"not adapted: {error}")
    adapted = {str(result["file"]): result for result in adapted}
    rows = []
    for (intended, path), a in zip(clips.items(), alone, strict=True):
        rows.append({"intended": intended, **_top("alone", a),
                     **_top("adapted", adapted.get(str(path)))})
    table = pd.DataFrame(rows, columns=["intended", "alone", "alone p", "adapted", "adapted p"])
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
        (8, 8) int; a row without a prediction (not adapted) is not counted.
    """
    matrix = np.zeros((len(EMOTIONS), len(EMOTIONS)), dtype=int)
    for intended, said in zip(table["intended"], table[column], strict=True):
        if isinstance(said, str):
            matrix[EMOTIONS.index(intended), EMOTIONS.index(said)] += 1
    return matrix


def join(clips: dict[str, Path], path: str | Path, gap_s: float = 1.0,
         say: Callable[[str], object] = print) -> list[tuple[str, float, float]]:
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
    say : callable
        Told one line for each clip that cannot be read, left out (``print``).

    Returns
    -------
    list of (str, float, float)
        (emotion, start, end) of each clip joined, in seconds.

    Raises
    ------
    ValueError
        If no clip could be read.
    """
    import soundfile as sf

    parts, spans, rate, t = [], [], None, 0.0
    for emotion, clip_path in clips.items():
        try:
            audio, clip_rate = audio_input.load_audio(clip_path, sample_rate=rate)
        except audio_input.AudioError as err:
            say(f"skipped {display_path(clip_path)}: {err.cause}")
            continue
        rate = rate or clip_rate
        spans.append((emotion, t, t + len(audio) / rate))
        parts += [audio, np.zeros(int(gap_s * rate), dtype=np.float32)]
        t += len(audio) / rate + gap_s
    if not parts:
        raise ValueError(f"no clip to join into {display_path(path)}: none could be read")
    # the temporary's name ends in .tmp: the format comes from the final name
    kind = Path(path).suffix.lstrip(".").upper()
    files.write_atomically(path, lambda tmp: sf.write(tmp, np.concatenate(parts), rate,
                                                      format=kind))
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
