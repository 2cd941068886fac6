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
    """A file name that is not a valid RAVDESS name. The message names the file and the cause."""

    def __init__(self, name: str, cause: str):
        super().__init__(f"{name}: {cause}")
        self.name, self.cause = name, cause


@dataclass(frozen=True, order=True)
class RavdessName:
    """The seven fields of a RAVDESS file name. Notebook: 01_dataset_exploration."""

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
        return "-".join(f"{getattr(self, f):02d}" for f in _RANGES)

    @property
    def stem(self) -> str:
        """The name without extension, e.g. ``03-01-05-02-01-02-12``."""
        return self.stem_unchecked

    @property
    def emotion_name(self) -> str:
        return _EMOTIONS[self.emotion - 1]

    @property
    def sex(self) -> str:
        return "male" if self.actor % 2 else "female"

    @property
    def intensity_name(self) -> str:
        return "normal" if self.intensity == 1 else "strong"

    @property
    def folder(self) -> str:
        return f"Actor_{self.actor:02d}"

    def filename(self, suffix: str = ".wav") -> str:
        return self.stem + suffix


def parse_name(path: str | Path) -> RavdessName:
    """Decode a RAVDESS file name (a path, a file name or a stem); raise BadNameError if invalid.

    Notebook: 01_dataset_exploration.
    """
    stem = Path(path).name.split(".")[0]
    match = _PATTERN.match(stem)
    if not match:
        raise BadNameError(Path(path).name, "not a RAVDESS name (expected seven two-digit "
                           "codes like 03-01-05-02-01-02-12)")
    return RavdessName(*(int(code) for code in match.groups()))


def format_name(emotion: int | str, intensity: int, statement: int, repetition: int, actor: int,
                modality: int = 3, vocal_channel: int = 1, suffix: str = ".wav") -> str:
    """Encode the fields into a file name; ``emotion`` may be a code (1–8) or a name."""
    if isinstance(emotion, str):
        emotion = _EMOTIONS.index(emotion) + 1
    return RavdessName(modality, vocal_channel, emotion, intensity, statement, repetition,
                       actor).filename(suffix)


def expected_names(actors=range(1, 25)) -> list[RavdessName]:
    """The names of the audio-only speech corpus for ``actors``: 60 per actor, 1,440 for all 24."""
    names = []
    for actor, emotion, intensity, statement, repetition in product(
            actors, range(1, 9), (1, 2), (1, 2), (1, 2)):
        if not (emotion == 1 and intensity == 2):
            names.append(RavdessName(3, 1, emotion, intensity, statement, repetition, actor))
    return names
