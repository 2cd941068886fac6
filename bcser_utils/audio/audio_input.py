"""One check for every audio file the package reads: ``load_audio`` and ``AudioError``.

``load_audio()`` reads .wav or .flac (anything soundfile reads) at any rate, mixes stereo to mono
and returns float32, or raises ``AudioError`` naming the file and the cause: missing, empty,
not audio, corrupt, truncated, too short, silent, NaN/inf, too many channels, too low a rate.

Notebook: 01_dataset_exploration.
"""

from __future__ import annotations

import os
import struct
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf

from bcser_utils import config
from bcser_utils.messages import display_path


class AudioError(ValueError):
    """An audio file that cannot be used. The message names the file and the cause."""

    def __init__(self, path: str | Path, cause: str):
        super().__init__(f"{path}: {cause}")
        self.path, self.cause = Path(path), cause

    def __reduce__(self):
        # so that an error raised in a worker process reaches the user whole (pickle would
        # otherwise call AudioError(message) and lose the file and the cause)
        return type(self), (self.path, self.cause)


def _wav_declared_data_bytes(path: Path) -> tuple[int, int] | None:
    """(offset, size) of a WAV file's data chunk as its header declares it, or None if unknown.

    libsndfile silently returns fewer frames for a truncated WAV, so we compare the header's
    promise with the bytes actually on disk.
    """
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            chunk_id, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if chunk_id == b"data":
                return (f.tell(), size) if 0 < size < 0xFFFFFFFF else None
            f.seek(size + (size & 1), os.SEEK_CUR)  # chunks are padded to even length


def load_audio(path: str | Path, sample_rate: int | None = None,
               cfg: config.Config | None = None, mono: bool = True,
               centre_s: float | None = None) -> tuple[np.ndarray, int]:
    """Read one audio file as mono float32; resample to ``sample_rate`` if given.

    Accepts anything soundfile reads (.wav, .flac, …) at any rate ≥ ``cfg.audio.min_sample_rate``,
    mono or stereo (stereo is averaged to mono). Raises ``AudioError`` naming the file and the
    cause for a missing, empty, non-audio, corrupt, truncated, too short, silent or non-finite
    file, and for an unexpected channel count or sample rate. Returns ``(audio, rate)``.
    With ``mono=False`` every channel is kept, whatever their number: ``audio`` is then
    ``(channels, samples)``. With ``centre_s``, a longer file is decoded only in its centre
    ``centre_s`` seconds (a 30-minute recording need not fill the memory); the checks then see
    that part.

    Notebook: 01_dataset_exploration.
    """
    path = Path(path)
    limits = (cfg or config.get_config()).audio
    if not path.is_file():
        raise AudioError(path, "no such file")
    if path.stat().st_size == 0:
        raise AudioError(path, "empty file (0 bytes)")
    try:
        info = sf.info(str(path))
        start, frames, expected = 0, -1, info.frames  # frames=-1: to the end
        if centre_s and info.frames > (kept := int(centre_s * info.samplerate)):
            start, frames = (info.frames - kept) // 2, kept
            expected = kept
            warnings.warn(f"{display_path(path)} lasts {info.duration:.1f} s; only its centre "
                          f"{centre_s:g} s is read", stacklevel=2)
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True, start=start,
                              frames=frames)
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise AudioError(path, f"not readable as audio, corrupt or truncated ({err})") from None
    if len(audio) < expected:
        raise AudioError(path, f"truncated: the header promises {info.frames} frames, "
                               f"only {start + len(audio)} could be decoded")
    if info.format == "WAV" and (declared := _wav_declared_data_bytes(path)):
        offset, size = declared
        if path.stat().st_size < offset + size:
            raise AudioError(path, f"truncated: the header promises {size} bytes of audio, "
                                   f"the file holds {path.stat().st_size - offset}")
    if audio.shape[1] == 0 or (mono and audio.shape[1] > limits.max_channels):
        raise AudioError(path, f"{audio.shape[1]} channels; expected mono or stereo")
    if rate < limits.min_sample_rate:
        raise AudioError(path, f"sample rate {rate} Hz is below the {limits.min_sample_rate} Hz "
                               "minimum")
    if len(audio) == 0:
        raise AudioError(path, "contains no samples")
    if not np.isfinite(audio).all():
        raise AudioError(path, f"contains {int((~np.isfinite(audio)).sum())} NaN or inf samples")
    duration = len(audio) / rate
    if duration < limits.min_duration_s:
        raise AudioError(path, f"too short: {duration:.3f} s, need at least "
                               f"{limits.min_duration_s} s")
    peak = np.abs(audio).max()
    if peak < limits.silence_peak:
        raise AudioError(path, "silent (peak below -100 dBFS)")
    if mono:  # checked again once mixed: stereo channels that cancel each other are silence
        audio = audio.mean(axis=1, dtype=np.float32)
        if np.abs(audio).max() < max(limits.silence_peak,
                                     peak * 10 ** (-limits.cancelled_mix_db / 20)):
            raise AudioError(path, "silent once its channels are mixed to mono (they cancel "
                                   "each other)")
    else:
        audio = np.ascontiguousarray(audio.T)
    if sample_rate and sample_rate != rate:
        import soxr

        # soxr resamples along the first axis: (samples,) or (samples, channels)
        audio, rate = soxr.resample(audio.T, rate, sample_rate, quality="HQ").T, sample_rate
    return np.ascontiguousarray(audio, dtype=np.float32), rate
