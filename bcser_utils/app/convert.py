"""The ``bc`` command's conversion of an audio file to synthetic BC speech, streamed.

``bc.to_bc`` filters an array in memory; a two-hour stereo recording at 48 kHz is then about
5 GB of float64 on the way (2.7 GB of samples, resampled copies besides). ``file_to_bc`` reads
the file a block at a time and carries the state between blocks: the filter's (``lfilter``'s
``zi``) and, at a rate other than the filter's 48 kHz, the two resamplers' (``soxr``'s
``ResampleStream``, up to 48 kHz and back). The result equals ``to_bc`` on the whole file,
sample for sample (tests/test_convert.py), and memory stays a few blocks whatever the length
(benchmarks/bc_stream.py).

Every channel is filtered alike. The input passes ``audio_input``'s one check (``inspect``,
then ``blocks`` as it streams). The output is .wav or .flac, nothing else; it keeps the input's
rate, channels and, where the output format holds it, subtype (``output_subtype``: an MP3 or a
32-bit float input is converted to what WAV or FLAC holds, not refused). It is written under
a temporary name of this process and renamed (``files.write_atomically``), so a failure, a
full disk, Ctrl-C, SIGTERM or SIGHUP leaves no half file.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import scipy.signal
import soundfile as sf

from bcser_utils import config, files
from bcser_utils.audio import audio_input, bc
from bcser_utils.audio.audio_input import AudioError

BLOCK_S = 10.0  # seconds read at a time: a few MB per block, whatever the file's length
MAX_BLOCK_SAMPLES = 4_000_000  # per block, all channels together: 32 MB of float64
FORMATS = {".wav": "WAV", ".flac": "FLAC"}  # what ``bc`` writes; the help says so
# the subtypes each output format holds as they are; any other input subtype is converted
PLAIN = {"WAV": ("PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"),
         "FLAC": ("PCM_S8", "PCM_16", "PCM_24")}


def output_subtype(kind: str, subtype: str) -> str:
    """The subtype ``bc`` writes a ``kind`` file in for an input of ``subtype``.

    The input's own where the output format holds it (bit depth kept); else the nearest it
    holds: 8-bit to the other 8-bit, 32-bit and float to FLAC's 24 bits, and compressed or
    companded inputs (MP3, Vorbis, Opus, µ-law, …), which the output formats cannot carry, to
    16-bit PCM.

    Parameters
    ----------
    kind : str
        "WAV" or "FLAC".
    subtype : str
        The input's soundfile subtype.

    Returns
    -------
    str
        A subtype ``kind`` holds.
    """
    if subtype in PLAIN[kind]:
        return subtype
    return {"PCM_S8": "PCM_U8", "PCM_U8": "PCM_S8", "PCM_32": "PCM_24", "FLOAT": "PCM_24",
            "DOUBLE": "PCM_24"}.get(subtype, "PCM_16")


def file_to_bc(source: str | Path, target: str | Path, cfg: config.Config | None = None,
               block_s: float = BLOCK_S) -> audio_input.Info:
    """Write ``source`` as synthetic BC speech to ``target``, streamed.

    Parameters
    ----------
    source : str or Path
        Any audio file soundfile reads, at any rate and channel count (``audio_input``'s
        checks: not a special file, not truncated, no NaN/inf, no float samples beyond ±1, …).
    target : str or Path
        A .wav or .flac file: written whole at the input's rate and channels, or left as it was.
    cfg : Config or None
        The BC filter and the audio limits.
    block_s : float
        Seconds decoded at a time.

    Returns
    -------
    audio_input.Info
        The written file's header (its rate is what was written).

    Raises
    ------
    AudioError
        Naming ``source`` for an input that is not usable audio, or ``target`` for an output
        that is not .wav or .flac; ``target`` is then left as it was.
    """
    source, target = Path(source), Path(target)
    cfg = cfg or config.get_config()
    kind = FORMATS.get(target.suffix.lower())
    if kind is None:
        raise AudioError(target, f"output format {target.suffix or '(none)'!r} is not written: "
                                 "bc writes .wav or .flac")
    info = audio_input.inspect(source, cfg)
    subtype = output_subtype(kind, info.subtype)
    block = max(1, min(int(block_s * info.samplerate), MAX_BLOCK_SAMPLES // info.channels))

    def write(tmp: Path) -> None:
        try:
            writer = sf.SoundFile(str(tmp), "w", info.samplerate, info.channels, subtype,
                                  format=kind)
        except (sf.LibsndfileError, RuntimeError) as err:
            raise OSError(errno.EIO, f"cannot write ({err})", str(target)) from None
        with writer:
            peak = _stream(audio_input.blocks(source, block, info=info), writer, info, cfg.bc,
                           target)
        if peak < cfg.audio.silence_peak:
            raise AudioError(source, "silent (peak below -100 dBFS)")

    files.write_atomically(target, write)
    written = audio_input.inspect(target, cfg)
    return written


def _stream(blocks, writer: sf.SoundFile, info: audio_input.Info, params,
            target: Path) -> float:
    """Filter ``blocks`` (``audio_input.blocks``: checked as they come) into ``writer`` as
    ``bc.to_bc`` filters the whole; the input's peak (for the silence check)."""
    import soxr

    b, a = bc.coefficients(params.alpha, params.beta)
    rate, reference, channels = info.samplerate, params.reference_rate, info.channels
    resampled = rate != reference
    if resampled:
        up = soxr.ResampleStream(rate, reference, channels, dtype="float64",
                                 quality=bc.RESAMPLE_QUALITY)
        down = soxr.ResampleStream(reference, rate, channels, dtype="float64",
                                   quality=bc.RESAMPLE_QUALITY)
    state = np.zeros((len(a) - 1, channels))  # the filter starts at rest, as to_bc's does
    read = written = 0
    peak = 0.0
    for _, x in blocks:
        x = x.astype(np.float64, copy=False)
        read += len(x)
        peak = max(peak, float(np.abs(x).max()))
        last = read >= info.frames
        y = up.resample_chunk(x, last=last) if resampled else x
        y, state = scipy.signal.lfilter(b, a, y, axis=0, zi=state)
        if resampled:
            y = down.resample_chunk(y, last=last)
        y = y[:info.frames - written]  # up-then-down rounding: as to_bc, trim to the length…
        try:
            writer.write(y.astype(np.float32))  # to_bc's result is float32
        except (sf.LibsndfileError, RuntimeError) as err:  # a full disk, among others
            raise _write_error(err, target) from None
        written += len(y)
        if last:
            break
    if written < info.frames:  # … or pad it with zeros
        writer.write(np.zeros((info.frames - written, channels), dtype=np.float32))
    return peak


def _write_error(err: Exception, target: Path) -> OSError:
    """libsndfile's write error as the OSError it was: it says only "System error." for a full
    disk, so the disk is asked."""
    try:
        free = os.statvfs(target.parent).f_bavail
    except OSError:
        free = None
    if free == 0:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
    return OSError(errno.EIO, f"cannot write ({err})", str(target))
