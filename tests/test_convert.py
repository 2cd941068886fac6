"""The bc command's streamed conversion: the same samples as bc.to_bc on the whole file, and a
file that cannot be converted leaves the target as it was."""

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
    with pytest.raises(audio_input.AudioError, match=r"in\.wav: contains NaN or inf samples"):
        convert.file_to_bc(source, target, block_s=0.5)
    assert target.read_bytes() == b"an earlier result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav", "out.wav"]  # no temporary


def test_a_silent_file_is_refused_and_nothing_is_written(tmp_path):
    source, target = tmp_path / "silence.wav", tmp_path / "out.wav"
    sf.write(source, np.zeros(16_000, dtype=np.float32), 16_000)
    with pytest.raises(audio_input.AudioError, match="silence.wav: silent"):
        convert.file_to_bc(source, target)
    assert not target.exists()


def test_an_unknown_output_format_names_the_target(tmp_path):
    source = tmp_path / "in.wav"
    sf.write(source, _speechlike(16_000, 1.0, 1), 16_000)
    with pytest.raises(ValueError, match=r"out\.xyz: unknown output format"):
        convert.file_to_bc(source, tmp_path / "out.xyz")
