"""The RAVDESS file-name codec, both ways: ``03-01-05-02-01-02-12.wav`` ⇄ its seven fields.

Fields, in order: modality (03 audio-only), vocal channel (01 speech), emotion (01–08),
intensity (01 normal, 02 strong), statement (01, 02), repetition (01, 02), actor (01–24,
odd = male).
Neutral has no strong intensity, so ``03-01-01-02-…`` is not a valid name.

Notebook: 01_dataset_exploration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product
from pathlib import Path

from bcser_utils.config import get_config

_EMOTIONS = get_config().corpus.emotions
_PATTERN = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$")
_RANGES = {  # field → allowed codes (RAVDESS README)
    "modality": range(1, 4), "vocal_channel": range(1, 3), "emotion": range(1, 9),
    "intensity": range(1, 3), "statement": range(1, 3), "repetition": range(1, 3),
    "actor": range(1, 25),
}


class BadNameError(ValueError):
    """A file name that is not a valid RAVDESS name. The message names the file and the cause.

    Parameters
    ----------
    name : str
        The file name (or stem) that was refused.
    cause : str
        Why, in words (e.g. "neutral has no strong intensity (02)").
    """

    def __init__(self, name: str, cause: str):
        super().__init__(f"{name}: {cause}")
        self.name, self.cause = name, cause


@dataclass(frozen=True, order=True)
class RavdessName:
    """The seven fields of a RAVDESS file name, as integer codes. Notebook: 01_dataset_exploration.

    Construction checks every code against RAVDESS's ranges and raises ``BadNameError`` for one
    outside them (or for a strong neutral).
    """

    modality: int
    vocal_channel: int
    emotion: int
    intensity: int
    statement: int
    repetition: int
    actor: int

    def __post_init__(self):
        for name, allowed in _RANGES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise BadNameError(self.stem_unchecked, f"{name} code {value:02d} is outside "
                                   f"{allowed.start:02d}–{allowed.stop - 1:02d}")
        if self.emotion == 1 and self.intensity == 2:
            raise BadNameError(self.stem_unchecked, "neutral has no strong intensity (02)")

    @property
    def stem_unchecked(self) -> str:
        """The name without extension, built without checking the codes (for error messages)."""
        return "-".join(f"{getattr(self, f):02d}" for f in _RANGES)

    @property
    def stem(self) -> str:
        """The name without extension, e.g. ``03-01-05-02-01-02-12``."""
        return self.stem_unchecked

    @property
    def emotion_name(self) -> str:
        """The emotion's name, e.g. "angry" for code 05."""
        return _EMOTIONS[self.emotion - 1]

    @property
    def sex(self) -> str:
        """The actor's sex as RAVDESS codes it: "male" for an odd number, "female" for even."""
        return "male" if self.actor % 2 else "female"

    @property
    def intensity_name(self) -> str:
        """The intensity's name: "normal" (01) or "strong" (02)."""
        return "normal" if self.intensity == 1 else "strong"

    @property
    def folder(self) -> str:
        """The actor's folder in the corpus, e.g. "Actor_12"."""
        return f"Actor_{self.actor:02d}"

    def filename(self, suffix: str = ".wav") -> str:
        """The file name with ``suffix``.

        Parameters
        ----------
        suffix : str
            The extension, with its dot (".wav", ".flac").

        Returns
        -------
        str
            E.g. "03-01-05-02-01-02-12.wav".
        """
        return self.stem + suffix


def parse_name(path: str | Path) -> RavdessName:
    """Decode a RAVDESS file name (a path, a file name or a stem).

    Notebook: 01_dataset_exploration.

    Parameters
    ----------
    path : str or Path
        Anything whose last part starts with the seven codes; folders and suffixes are ignored.

    Returns
    -------
    RavdessName
        The seven fields.

    Raises
    ------
    BadNameError
        If the name is not seven two-digit codes, or a code is out of range.

    Examples
    --------
    >>> name = parse_name("data/Actor_12/03-01-05-02-01-02-12.wav")
    >>> name.emotion_name, name.intensity_name, name.actor, name.sex
    ('angry', 'strong', 12, 'female')
    >>> parse_name("03-01-01-02-01-01-01.flac")
    Traceback (most recent call last):
    ...
    bcser_utils.audio.names.BadNameError: 03-01-01-02-01-01-01: neutral has no strong intensity (02)
    """
    stem = Path(path).name.split(".")[0]
    match = _PATTERN.match(stem)
    if not match:
        raise BadNameError(Path(path).name, "not a RAVDESS name (expected seven two-digit "
                           "codes like 03-01-05-02-01-02-12)")
    return RavdessName(*(int(code) for code in match.groups()))


def format_name(emotion: int | str, intensity: int, statement: int, repetition: int, actor: int,
                modality: int = 3, vocal_channel: int = 1, suffix: str = ".wav") -> str:
    """Encode the fields into a file name.

    Parameters
    ----------
    emotion : int or str
        A code (1–8) or a name ("angry").
    intensity, statement, repetition : int
        1 or 2 each.
    actor : int
        1–24.
    modality, vocal_channel : int
        3 (audio-only) and 1 (speech) by default, the corpus the course uses.
    suffix : str
        The extension, with its dot.

    Returns
    -------
    str
        E.g. ``format_name("angry", 2, 1, 2, 12)`` → "03-01-05-02-01-02-12.wav".

    Raises
    ------
    BadNameError
        If a code is out of range.
    """
    if isinstance(emotion, str):
        emotion = _EMOTIONS.index(emotion) + 1
    return RavdessName(modality, vocal_channel, emotion, intensity, statement, repetition,
                       actor).filename(suffix)


def expected_names(actors=range(1, 25)) -> list[RavdessName]:
    """The names of the audio-only speech corpus for ``actors``.

    Parameters
    ----------
    actors : iterable of int
        Actor numbers (1–24); all 24 by default.

    Returns
    -------
    list of RavdessName
        60 per actor (8 emotions × 2 intensities × 2 statements × 2 repetitions, less the 4
        strong neutrals): 1,440 for all 24, in actor, emotion, intensity, statement,
        repetition order.
    """
    names = []
    for actor, emotion, intensity, statement, repetition in product(
            actors, range(1, 9), (1, 2), (1, 2), (1, 2)):
        if not (emotion == 1 and intensity == 2):
            names.append(RavdessName(3, 1, emotion, intensity, statement, repetition, actor))
    return names
