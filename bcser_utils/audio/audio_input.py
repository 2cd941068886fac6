"""One check for every audio file the package reads: ``inspect``, ``blocks``, ``load_audio``.

- ``inspect(path)``: what can be known without decoding: a missing file, a special file (a
  folder, a FIFO, a device, a socket, a symbolic link loop, ``-``: each named for what it is), an
  empty file, one soundfile cannot read, a WAV whose header promises more bytes than it holds, a
  sample rate below 8 kHz or above 384 kHz, too many channels, too short a duration.
- ``blocks(path, size)``: the file streamed block by block (``predict --timeline``, ``bc``), with
  the checks that need the samples: NaN or inf (at the time it occurs, not the block's start),
  float samples beyond full scale, a file that ends before its header says (truncated), one that
  cannot be decoded past some point.
- ``load_audio(path)``: the whole file (or its centre), checked by both, mixed to mono, float32.

**Float samples beyond ±1** (a float WAV can hold ±55) are refused, with the peak and where it
is: full scale is ±1, so such a file is not a recording as it was made, and clipping it (as
writing it to 16-bit would) or hearing it 35 dB too loud would silently change what the model or
the listener gets. Integer formats cannot exceed ±1. The user scales the file down.

Every error is an ``AudioError`` that names the file (control characters escaped) and the cause.

Notebook: 01_dataset_exploration.
"""

from __future__ import annotations

import os
import stat
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from bcser_utils import config
from bcser_utils.messages import display_path, named

FULL_SCALE = 1.0 + 1e-6  # float samples beyond it are refused (rounding of a ±1 peak allowed)


class AudioError(ValueError):
    """An audio file that cannot be used. The message names the file and the cause.

    Parameters
    ----------
    path : str or Path
        The file (kept as ``self.path``).
    cause : str
        Why it cannot be used (kept as ``self.cause``); the message is "<file>: <cause>".
    """

    def __init__(self, path: str | Path, cause: str):
        super().__init__(f"{named(path)}: {cause}")
        self.path, self.cause = Path(path), cause

    def __reduce__(self):
        # so that an error raised in a worker process reaches the user whole (pickle would
        # otherwise call AudioError(message) and lose the file and the cause)
        return type(self), (self.path, self.cause)


@dataclass(frozen=True)
class Info:
    """What ``inspect`` found in an audio file's header.

    Parameters
    ----------
    path : Path
        The file.
    format, subtype : str
        soundfile's names ("WAV", "PCM_16").
    samplerate, channels, frames : int
        As the header says.
    """

    path: Path
    format: str
    subtype: str
    samplerate: int
    channels: int
    frames: int

    @property
    def duration(self) -> float:
        """Seconds, as the header says."""
        return self.frames / self.samplerate


def what_it_is(path: str | Path) -> str | None:
    """Why ``path`` cannot be an audio file before it is even opened, or None for a file.

    Parameters
    ----------
    path : str or Path
        Any path.

    Returns
    -------
    str or None
        "no such file", "a folder, not an audio file", "a FIFO (named pipe), not a regular
        file", "a character device…", "a symbolic link loop", "'-' (standard input) is not
        read: give a file name", …; None for a regular file (through links).
    """
    if str(path) == "-":
        return "'-' (standard input) is not read: give a file name"
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        if os.path.islink(path):
            return "a symbolic link loop" if err.errno == 40 else \
                "a symbolic link to nothing (its target is missing)"
        return "no such file" if isinstance(err, FileNotFoundError) else \
            f"cannot be opened ({err.strerror})"
    for test, kind in ((stat.S_ISDIR, "a folder, not an audio file"),
                       (stat.S_ISFIFO, "a FIFO (named pipe), not a regular file"),
                       (stat.S_ISCHR, "a character device, not a regular file"),
                       (stat.S_ISBLK, "a block device, not a regular file"),
                       (stat.S_ISSOCK, "a socket, not a regular file")):
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "not a regular file"


def inspect(path: str | Path, cfg: config.Config | None = None,
            max_channels: int | None = None) -> Info:
    """Check ``path``'s kind and header; no sample is decoded.

    Parameters
    ----------
    path : str or Path
        The audio file.
    cfg : Config or None
        Its ``audio`` limits (rates, duration).
    max_channels : int or None
        The most channels accepted; None accepts any number (``bc`` keeps every channel).

    Returns
    -------
    Info
        The header.

    Raises
    ------
    AudioError
        A special file, missing, empty, unreadable, truncated WAV, odd rate, too many channels,
        too short.
    """
    path = Path(path)
    limits = (cfg or config.get_config()).audio
    if (kind := what_it_is(path)) is not None:
        raise AudioError(path, kind)
    size = path.stat().st_size
    if size == 0:
        raise AudioError(path, "empty file (0 bytes)")
    try:
        found = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError, OSError) as err:
        raise AudioError(path, f"not readable as audio, corrupt or truncated ({err})") from None
    info = Info(path, found.format, found.subtype, int(found.samplerate), int(found.channels),
                int(found.frames))
    if info.format == "WAV" and (declared := _wav_declared_data_bytes(path)):
        offset, data = declared
        if size < offset + data:
            raise AudioError(path, f"truncated: the header promises {data} bytes of audio, "
                                   f"the file holds {max(0, size - offset)}")
    if info.channels == 0 or info.frames <= 0:
        raise AudioError(path, "contains no samples")
    if max_channels is not None and info.channels > max_channels:
        raise AudioError(path, f"{info.channels} channels; expected mono or stereo")
    if info.samplerate < limits.min_sample_rate:
        raise AudioError(path, f"sample rate {info.samplerate} Hz is below the "
                               f"{limits.min_sample_rate} Hz minimum")
    if info.samplerate > limits.max_sample_rate:
        raise AudioError(path, f"sample rate {info.samplerate} Hz is above the "
                               f"{limits.max_sample_rate} Hz maximum (a damaged header?)")
    if info.duration < limits.min_duration_s:
        raise AudioError(path, f"too short: {info.duration:.3f} s, need at least "
                               f"{limits.min_duration_s} s")
    return info


def check_samples(path: str | Path, audio: np.ndarray, start: int, rate: int) -> None:
    """Refuse NaN/inf and float samples beyond full scale in ``audio`` (frames × channels, the
    frames from ``start`` on), naming the time where the first one is.

    Parameters
    ----------
    path : str or Path
        The file, for the message.
    audio : ndarray
        Decoded samples, (frames, channels) or (frames,).
    start : int
        The frame ``audio`` starts at in the file.
    rate : int
        The file's rate.

    Raises
    ------
    AudioError
        With the time of the first bad sample.
    """
    frames = audio.reshape(len(audio), -1)
    finite = np.isfinite(frames).all(axis=1)
    if not finite.all():
        at = start + int(np.argmin(finite))
        raise AudioError(path, f"contains {int((~np.isfinite(frames)).sum())} NaN or inf "
                               f"samples (the first at {at / rate:.3f} s)")
    peaks = np.abs(frames).max(axis=1)
    if len(peaks) and peaks.max() > FULL_SCALE:
        at = start + int(np.argmax(peaks > FULL_SCALE))
        raise AudioError(path, f"float samples beyond full scale: peak {peaks.max():.3g} "
                               f"(first past ±1 at {at / rate:.3f} s); full scale is ±1, so "
                               "scale the file down")


def blocks(path: str | Path, size: int, overlap: int = 0, info: Info | None = None,
           cfg: config.Config | None = None, max_channels: int | None = None,
           dtype: str = "float32") -> Iterator[tuple[int, np.ndarray]]:
    """``path`` streamed: (first frame, samples (frames × channels)) of blocks of ``size``
    frames, each starting ``size - overlap`` frames after the last; the last may be shorter.

    Parameters
    ----------
    path : str or Path
        The audio file.
    size : int
        Frames per block (≥ 1).
    overlap : int
        Frames each block shares with the one before (0 ≤ overlap < size).
    info : Info or None
        ``inspect(path)``'s result, if already known.
    cfg : Config or None
        The limits (``inspect``).
    max_channels : int or None
        As ``inspect``.
    dtype : str
        "float32" or "float64".

    Yields
    ------
    tuple[int, ndarray]
        The blocks, in time order: the first frame's index, and the samples
        (frames × channels, ``dtype``).

    Raises
    ------
    AudioError
        As ``inspect``; and, as the blocks come, NaN/inf or float samples beyond ±1 (with the
        time of the first), corrupt data past some point, or a file that ends before the frames
        its header promises (truncated).
    """
    path = Path(path)
    info = info or inspect(path, cfg, max_channels)
    if not 0 <= overlap < size:
        raise ValueError(f"blocks of {size} frames overlapping by {overlap}: expected "
                         "0 ≤ overlap < size")
    start = read = 0
    try:
        with sf.SoundFile(str(path)) as reader:
            previous = np.zeros((0, info.channels), dtype=dtype)
            while True:
                want = size - len(previous)
                fresh = reader.read(want, dtype=dtype, always_2d=True)
                if len(fresh) == 0 and read >= info.frames:
                    return
                check_samples(path, fresh, read, info.samplerate)
                read += len(fresh)
                block = np.concatenate([previous, fresh]) if len(previous) else fresh
                if len(fresh) < want and read < info.frames:
                    raise AudioError(path, f"truncated: the header promises {info.frames} "
                                           f"frames, only {read} could be decoded")
                yield start, block
                if read >= info.frames or len(fresh) < want:
                    return
                previous = block[size - overlap:] if overlap else block[:0]
                start += size - overlap
    except (sf.LibsndfileError, RuntimeError) as err:
        raise AudioError(path, f"corrupt after {read / info.samplerate:.1f} s ({err})") \
            from None


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

    Accepts anything soundfile reads (.wav, .flac, …) at any rate from
    ``cfg.audio.min_sample_rate`` to ``max_sample_rate``, mono or stereo (stereo is averaged to
    mono), after ``inspect``'s and ``check_samples``' checks; also refuses a silent file (and
    stereo channels that cancel once mixed).

    Parameters
    ----------
    path : str or Path
        The audio file.
    sample_rate : int or None
        Resample to this rate (soxr, HQ); None keeps the file's.
    cfg : Config or None
        The limits (``config.Audio``).
    mono : bool
        False keeps every channel, whatever their number: ``audio`` is then
        ``(channels, samples)``.
    centre_s : float or None
        A longer file is decoded only in its centre ``centre_s`` seconds (a 30-minute recording
        need not fill the memory); the checks then see that part.

    Returns
    -------
    tuple[ndarray, int]
        ``(audio, rate)``.

    Raises
    ------
    AudioError
        Naming the file and the cause.

    Notebook: 01_dataset_exploration.
    """
    path = Path(path)
    cfg = cfg or config.get_config()
    limits = cfg.audio
    info = inspect(path, cfg, limits.max_channels if mono else None)
    start, frames, expected = 0, -1, info.frames  # frames=-1: to the end
    if centre_s and info.frames > (kept := int(centre_s * info.samplerate)):
        start, frames = (info.frames - kept) // 2, kept
        expected = kept
        warnings.warn(f"{display_path(path)} lasts {info.duration:.1f} s; only its centre "
                      f"{centre_s:g} s is read", stacklevel=2)
    try:
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True, start=start,
                              frames=frames)
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise AudioError(path, f"not readable as audio, corrupt or truncated ({err})") from None
    if len(audio) < expected:
        raise AudioError(path, f"truncated: the header promises {info.frames} frames, "
                               f"only {start + len(audio)} could be decoded")
    if len(audio) == 0:
        raise AudioError(path, "contains no samples")
    check_samples(path, audio, start, rate)
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
