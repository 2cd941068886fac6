"""Notebook 10's own-voice helpers (app.voice) and the uncertainty threshold predict reads."""

import json
import os

import numpy as np
import pytest
import soundfile as sf

from bcser_utils.app import predict, voice


def test_recorded_takes_the_latest_take_of_each_emotion_and_nothing_else(tmp_path):
    for i, name in enumerate(["angry.wav", "angry_2.wav", "calm.flac", "notes.txt",
                              "angrier.mp3", "sad.wav"]):
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (1_000 + i, 1_000 + i))
    found = voice.recorded(tmp_path)
    assert list(found) == ["calm", "sad", "angry"]  # the paper's order of emotions
    assert found["angry"].name == "angry_2.wav" and found["calm"].name == "calm.flac"


def test_stand_in_says_whose_clips_they_are_and_that_the_model_heard_them(ravdess_dir,
                                                                         tmp_path):
    clips, line = voice.stand_in(tmp_path, ravdess_dir)
    assert list(clips) == list(voice.EMOTIONS)  # one clip per emotion, in the paper's order
    assert all(p.parent == tmp_path and p.stem == e for e, p in clips.items())
    assert "actor 05" in line and "trained on this actor" in line  # 01–20 only here


def test_join_puts_each_clip_where_its_span_says(tmp_path):
    rate = 16_000
    tones = {e: (0.3 * np.sin(np.arange(rate * (1 + i / 4)) * (i + 1) / 20)).astype(np.float32)
             for i, e in enumerate(voice.EMOTIONS[:3])}
    clips = {}
    for e, x in tones.items():
        sf.write(tmp_path / f"{e}.wav", x, rate, subtype="FLOAT")
        clips[e] = tmp_path / f"{e}.wav"
    spans = voice.join(clips, tmp_path / "joined.flac", gap_s=0.5)
    joined, r = sf.read(tmp_path / "joined.flac", dtype="float32")
    assert r == rate
    for e, start, end in spans:
        piece = joined[round(start * rate):round(end * rate)]
        np.testing.assert_allclose(piece, tones[e], atol=1e-4)  # FLAC's 16 bits
        assert not joined[round(end * rate):round((end + 0.5) * rate)].any()


@pytest.mark.parametrize("manifest, expected", [
    ({"uncertain_below": 0.4}, 0.4), ({}, None), ({"uncertain_below": 7}, "uncertain_below 7"),
    ({"uncertain_below": "high"}, "uncertain_below 'high'"),
    ({"uncertain_below": True}, "uncertain_below True")])
def test_the_uncertainty_threshold_is_read_from_the_manifest_only_when_it_is_a_probability(
        tmp_path, manifest, expected):
    # the manifest is read as the default model is (artifacts.load_manifest): a threshold that
    # is no probability is a damaged default.json, said in one line, not quietly ignored
    (tmp_path / "default.json").write_text(json.dumps({"deep": "m.pt"} | manifest))
    if expected is None or isinstance(expected, float):
        assert predict.uncertainty_threshold(tmp_path / "default.json") == expected
    else:
        with pytest.raises(predict.CheckpointError, match=expected):
            predict.uncertainty_threshold(tmp_path / "default.json")


def test_synthetic_makes_eight_espeak_voices_of_the_sentence(tmp_path):
    import shutil

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    paths = voice.synthetic(tmp_path)
    assert [p.name.split("_p")[0] for p in paths] == [f"synth_{i}" for i in range(1, 9)]
    durations = [sf.info(p).duration for p in paths]
    assert all(0.8 < d < 4 for d in durations), durations  # the sentence, at 120-260 words/min
    assert durations[3] > durations[7]  # 120 words per minute takes longer than 260
