"""The ``bc`` command's conversion of an audio file to synthetic BC speech, streamed.

``bc.to_bc`` filters an array in memory; a two-hour stereo recording at 48 kHz is then about
5 GB of float64 on the way (2.7 GB of samples, resampled copies besides). ``file_to_bc`` reads
the file a block at a time and carries the state between blocks: the filter's (``lfilter``'s
``zi``) and, at a rate other than the filter's 48 kHz, the two resamplers' (``soxr``'s
``ResampleStream``, up to 48 kHz and back). The result equals ``to_bc`` on the whole file,
sample for sample (tests/test_convert.py), and memory stays a few blocks whatever the length
(benchmarks/bc_stream.py).

Every channel is filtered alike. The output keeps the input's rate, channels and, where the
output format allows it, bit depth; it is written under a temporary name of this process and
renamed (``files.write_atomically``), so a failure, a full disk or Ctrl-C leaves no half file.
"""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import scipy.signal
import soundfile as sf

from bcser_utils import config, files
from bcser_utils.audio import audio_input, bc
from bcser_utils.audio.audio_input import AudioError

BLOCK_S = 10.0  # seconds read at a time: a few MB per block, whatever the file's length


def file_to_bc(source: str | Path, target: str | Path, cfg: config.Config | None = None,
               block_s: float = BLOCK_S) -> sf._SoundFileInfo:
    """Write ``source`` as synthetic BC speech to ``target`` (.wav or .flac); return the input's
    ``soundfile.info``. Raises ``AudioError`` naming ``source`` for a file that is not
    usable audio (unreadable, truncated, too short, silent, NaN samples, a rate below the
    minimum) and ``ValueError`` naming ``target`` for an output format soundfile cannot write;
    ``target`` is then left as it was."""
    source, target = Path(source), Path(target)
    cfg = cfg or config.get_config()
    info = _checked_info(source, cfg)
    kind = target.suffix.lstrip(".").upper()
    if kind not in sf.available_formats():
        raise AudioError(target, f"unknown output format {target.suffix!r} (use .wav or "
                                      ".flac)")
    subtype = info.subtype if sf.check_format(kind, info.subtype) else None  # keep bit depth

    def write(tmp: Path) -> None:
        with sf.SoundFile(str(source)) as reader:
            try:
                writer = sf.SoundFile(str(tmp), "w", info.samplerate, info.channels, subtype,
                                      format=kind)
            except (sf.LibsndfileError, RuntimeError) as err:
                raise OSError(errno.EIO, f"cannot write ({err})", str(target)) from None
            with writer:
                peak = _stream(reader, writer, info, cfg.bc,
                               max(1, int(block_s * info.samplerate)), target)
        if peak < cfg.audio.silence_peak:
            raise AudioError(source, "silent (peak below -100 dBFS)")

    files.write_atomically(target, write)
    return info


def _checked_info(source: Path, cfg: config.Config):
    """``source``'s header, or the ``AudioError`` that ``audio_input.load_audio`` would raise for it
    (the checks that need no samples; ``_stream`` makes those that do)."""
    if not source.is_file():
        raise AudioError(source, "a folder, not an audio file" if source.is_dir()
                              else "no such file")
    if source.stat().st_size == 0:
        raise AudioError(source, "empty file (0 bytes)")
    try:
        info = sf.info(str(source))
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise AudioError(source, f"not readable as audio, corrupt or truncated ({err})") \
            from None
    if info.format == "WAV" and (declared := audio_input._wav_declared_data_bytes(source)):
        offset, size = declared
        if source.stat().st_size < offset + size:
            raise AudioError(source, f"truncated: the header promises {size} bytes of "
                                          f"audio, the file holds {source.stat().st_size - offset}")
    if info.samplerate < cfg.audio.min_sample_rate:
        raise AudioError(source, f"sample rate {info.samplerate} Hz is below the "
                                      f"{cfg.audio.min_sample_rate} Hz minimum")
    if info.channels == 0 or info.frames == 0:
        raise AudioError(source, "contains no samples")
    if info.frames / info.samplerate < cfg.audio.min_duration_s:
        raise AudioError(source, f"too short: {info.frames / info.samplerate:.3f} s, need "
                                      f"at least {cfg.audio.min_duration_s} s")
    return info


def _stream(reader: sf.SoundFile, writer: sf.SoundFile, info, params, block: int,
            target: Path) -> float:
    """Filter ``reader`` into ``writer`` block by block as ``bc.to_bc`` filters the whole; the
    input's peak (for the silence check)."""
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
    while read < info.frames:
        try:
            x = reader.read(block, dtype="float64", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as err:
            raise AudioError(reader.name, f"corrupt after {read / rate:.1f} s ({err})") \
                from None
        if len(x) == 0:
            raise AudioError(reader.name, f"truncated: the header promises {info.frames} "
                                               f"frames, only {read} could be decoded")
        if not np.isfinite(x).all():
            raise AudioError(reader.name, f"contains NaN or inf samples (near "
                                               f"{read / rate:.1f} s)")
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
            raise OSError(errno.EIO, f"cannot write ({err})", str(target)) from None
        written += len(y)
    if written < info.frames:  # … or pad it with zeros
        writer.write(np.zeros((info.frames - written, channels), dtype=np.float32))
    return peak
