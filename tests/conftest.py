from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bcser_utils.audio import synthetic

DEV_RAVDESS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ravdess"


@pytest.fixture(scope="session")
def ravdess_dir() -> Path:
    """The development copy of RAVDESS (actors 01–20, FLAC); tests using it skip without it."""
    if not DEV_RAVDESS.is_dir():
        pytest.skip(f"RAVDESS development copy not found at {DEV_RAVDESS}")
    return DEV_RAVDESS


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory) -> Path:
    """A small synthetic corpus (actors 1–3, 180 files) shared by the tests that only read it."""
    return synthetic.make_corpus(tmp_path_factory.mktemp("synthetic"), actors=(1, 2, 3),
                                 progress=False)


@pytest.fixture
def write_wav(tmp_path):
    """Write a test signal to a WAV file: write_wav(audio, rate=16000, name=..., subtype=...)."""

    def write(audio, rate=16_000, name="03-01-05-01-01-01-01.wav", subtype="PCM_16"):
        path = tmp_path / name
        sf.write(path, np.asarray(audio), rate, subtype=subtype)
        return path

    return write
