"""The bc command's streamed conversion: the same samples as bc.to_bc on the whole file, and a
file that cannot be converted leaves the target as it was."""

import os
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bcser_utils.app import convert
from bcser_utils.audio import audio_input, bc


def _speechlike(rate: int, seconds: float, channels: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.2 * rng.standard_normal((int(rate * seconds), channels))).astype(np.float32)


@pytest.mark.parametrize("rate, channels", [(48_000, 1), (16_000, 2), (44_100, 1)])
def test_a_file_streamed_in_blocks_equals_to_bc_on_the_whole(tmp_path, rate, channels):
    audio = _speechlike(rate, 3.3, channels)
    source, target = tmp_path / "in.flac", tmp_path / "out.wav"
    sf.write(source, audio, rate, subtype="PCM_24")
    read, _ = sf.read(source, dtype="float32", always_2d=True)
    info = convert.file_to_bc(source, target, block_s=0.25)  # 14 blocks: state carried over
    out, out_rate = sf.read(target, dtype="float32", always_2d=True)
    assert (out_rate, out.shape, info.frames) == (rate, read.shape, len(read))
    expected = np.stack([bc.to_bc(read[:, c], rate) for c in range(channels)], axis=1)
    assert np.abs(out - expected).max() < 2e-6  # PCM_24 output rounding, not the stream


def test_the_block_size_does_not_change_the_result(tmp_path):
    source = tmp_path / "in.wav"
    sf.write(source, _speechlike(16_000, 2.0, 1, seed=3), 16_000, subtype="FLOAT")
    outs = []
    for block_s in (0.07, 0.5, 60.0):
        convert.file_to_bc(source, tmp_path / f"out-{block_s}.wav", block_s=block_s)
        outs.append(sf.read(tmp_path / f"out-{block_s}.wav", dtype="float32")[0])
    assert np.array_equal(outs[0], outs[1]) and np.array_equal(outs[1], outs[2])


def test_non_finite_samples_late_in_a_file_leave_the_target_as_it_was(tmp_path):
    audio = _speechlike(16_000, 2.0, 1)
    audio[-100] = np.nan
    source, target = tmp_path / "in.wav", tmp_path / "out.wav"
    sf.write(source, audio, 16_000, subtype="FLOAT")
    target.write_bytes(b"an earlier result")
    with pytest.raises(audio_input.AudioError,
                       match=r"in\.wav: contains 1 NaN or inf samples \(the first at 1\.994 s\)"):
        convert.file_to_bc(source, target, block_s=0.5)
    assert target.read_bytes() == b"an earlier result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav", "out.wav"]  # no temporary


def test_a_silent_file_is_refused_and_nothing_is_written(tmp_path):
    source, target = tmp_path / "silence.wav", tmp_path / "out.wav"
    sf.write(source, np.zeros(16_000, dtype=np.float32), 16_000)
    with pytest.raises(audio_input.AudioError, match="silence.wav: silent"):
        convert.file_to_bc(source, target)
    assert not target.exists()


@pytest.mark.parametrize("suffix", [".xi", ".wve", ".sd2", ".aiff", ".ogg", ".xyz", ""])
def test_an_output_other_than_wav_or_flac_is_refused_in_one_line(tmp_path, suffix):
    """Case 7: .xi and .wve were written at other rates; .sd2 left a temporary."""
    source = tmp_path / "in.wav"
    sf.write(source, _speechlike(48_000, 1.0, 1), 48_000, subtype="PCM_24")
    target = tmp_path / f"out{suffix}"
    with pytest.raises(audio_input.AudioError, match=rf"out{re.escape(suffix)}: output format "
                                                     r".* is not written: bc writes \.wav or "):
        convert.file_to_bc(source, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav"]


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".WAV"])
def test_the_rate_returned_is_the_rate_written(tmp_path, suffix):
    """Case 7: the printed rate is the output file's own."""
    source = tmp_path / "in.wav"
    sf.write(source, _speechlike(44_100, 1.0, 2), 44_100, subtype="PCM_24")
    info = convert.file_to_bc(source, tmp_path / f"out{suffix}")
    written = sf.info(str(tmp_path / f"out{suffix}"))
    assert (info.samplerate, info.channels, info.frames) == \
        (written.samplerate, written.channels, written.frames) == (44_100, 2, 44_100)


@pytest.mark.parametrize("subtype,suffix,expected", [
    ("MPEG_LAYER_III", ".wav", "PCM_16"), ("VORBIS", ".flac", "PCM_16"),
    ("ULAW", ".flac", "PCM_16"), ("FLOAT", ".flac", "PCM_24"), ("PCM_32", ".flac", "PCM_24"),
    ("FLOAT", ".wav", "FLOAT"), ("PCM_24", ".flac", "PCM_24")])
def test_an_input_subtype_the_output_cannot_hold_is_converted(tmp_path, subtype, suffix,
                                                              expected):
    """Case 25: bc in.mp3 out.wav blamed the target ("unsupported encoding")."""
    fmt = {"MPEG_LAYER_III": "MP3", "VORBIS": "OGG"}.get(subtype, "WAV")
    source = tmp_path / f"in.{fmt.lower()}"
    try:
        sf.write(source, _speechlike(48_000, 1.0, 1), 48_000, subtype=subtype, format=fmt)
    except (sf.LibsndfileError, TypeError, ValueError):
        pytest.skip(f"this libsndfile cannot write {subtype}")
    convert.file_to_bc(source, tmp_path / f"out{suffix}")
    assert sf.info(str(tmp_path / f"out{suffix}")).subtype == expected


def test_float_samples_beyond_full_scale_are_refused_not_clipped(tmp_path):
    """Case 14: a float WAV with samples up to ±55 was clipped to ±1, rc 0."""
    audio = _speechlike(16_000, 2.0, 1)
    audio[24_000] = 55.0
    source, target = tmp_path / "loud.wav", tmp_path / "out.wav"
    sf.write(source, audio, 16_000, subtype="FLOAT")
    with pytest.raises(audio_input.AudioError, match=r"loud\.wav: float samples beyond full "
                                                     r"scale: peak 55 \(first past ±1 at 1\.500 s"):
        convert.file_to_bc(source, target)
    assert not target.exists() and len(list(tmp_path.iterdir())) == 1


def _special(kind: str, folder: Path) -> tuple[Path, str]:
    path = folder / f"{kind}.wav"
    if kind == "fifo":
        os.mkfifo(path)
        return path, "a FIFO (named pipe), not a regular file"
    if kind == "loop":
        path.symlink_to(path)
        return path, "a symbolic link loop"
    if kind == "dangling":
        path.symlink_to(folder / "gone.wav")
        return path, "a symbolic link to nothing"
    if kind == "folder":
        path.mkdir()
        return path, "a folder, not an audio file"
    if kind == "device":
        return Path("/dev/zero"), "a character device, not a regular file"
    if kind == "stdin":
        return Path("-"), "'-' (standard input) is not read: give a file name"
    if kind == "missing":
        return path, "no such file"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["fifo", "loop", "dangling", "folder", "device", "stdin",
                                  "missing"])
def test_a_special_input_is_named_for_what_it_is(tmp_path, kind):
    """Case 28: a FIFO, a symlink loop, /dev/zero or '-' was "no such file"."""
    source, said = _special(kind, tmp_path)
    with pytest.raises(audio_input.AudioError, match=re.escape(f"{source}: {said}")):
        convert.file_to_bc(source, tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()


def test_a_truncated_wav_is_refused_however_it_is_read(tmp_path):
    """Case 6: the timeline read a truncated WAV that predict and bc refused."""
    source = tmp_path / "long.wav"
    sf.write(source, _speechlike(16_000, 3.0, 1), 16_000)
    half = tmp_path / "half.wav"
    half.write_bytes(source.read_bytes()[:50_000])
    for read in (lambda: audio_input.inspect(half),
                 lambda: list(audio_input.blocks(half, 4_000)),
                 lambda: audio_input.load_audio(half),
                 lambda: convert.file_to_bc(half, tmp_path / "out.wav")):
        with pytest.raises(audio_input.AudioError, match=r"half\.wav: truncated: the header "
                                                         r"promises 96000 bytes"):
            read()


def test_a_flac_cut_short_is_truncated_when_streamed(tmp_path):
    source = tmp_path / "long.flac"
    sf.write(source, _speechlike(16_000, 3.0, 1), 16_000)
    cut = tmp_path / "cut.flac"
    cut.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    with pytest.raises(audio_input.AudioError, match=r"cut\.flac: (truncated|corrupt)"):
        list(audio_input.blocks(cut, 4_000))


def test_nan_is_reported_where_it_is_not_where_its_block_starts(tmp_path):
    """Case 27: NaN at 5.0 s was "at 2.0 s" (the window's start)."""
    audio = _speechlike(8_000, 6.0, 2)
    audio[40_000, 1] = np.nan
    source = tmp_path / "nan.wav"
    sf.write(source, audio, 8_000, subtype="FLOAT")
    with pytest.raises(audio_input.AudioError, match=r"the first at 5\.000 s"):
        for _ in audio_input.blocks(source, 32_000, overlap=24_000):  # 4 s windows, 1 s hop
            pass


def test_blocks_overlap_as_asked_and_cover_the_file(tmp_path):
    audio = _speechlike(8_000, 2.5, 2)
    source = tmp_path / "in.wav"
    sf.write(source, audio, 8_000, subtype="FLOAT")
    got = list(audio_input.blocks(source, 8_000, overlap=6_000))
    assert [start for start, _ in got] == list(range(0, 12_001, 2_000))
    for start, block in got:
        np.testing.assert_array_equal(block, audio[start:start + 8_000])
    assert got[-1][0] + len(got[-1][1]) == len(audio)


def test_to_bc_refuses_soundfiles_frames_by_channels_layout():
    """Case 12: bc.to_bc(sf.read(stereo)[0]) filtered across the channels."""
    stereo = _speechlike(48_000, 0.5, 2)  # (frames, channels), as soundfile reads it
    with pytest.raises(ValueError, match=r"shape \(24000, 2\), soundfile's \(frames, channels\)"):
        bc.to_bc(stereo, 48_000)
    out = bc.to_bc(stereo, 48_000, channels_last=True)
    assert out.shape == stereo.shape
    np.testing.assert_array_equal(out[:, 1], bc.to_bc(stereo[:, 1], 48_000))
    np.testing.assert_array_equal(bc.to_bc(stereo.T, 48_000), out.T)
