"""Notebook 10's own-voice helpers (app.voice) and the uncertainty threshold predict reads."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bcser_utils.app import predict, voice
from bcser_utils.audio import names, synthetic

RATE = 16_000


def _speech(emotion: str = "angry") -> np.ndarray:
    """The synthetic corpus's voice saying the sentence: speech, as ``speech_check`` hears it."""
    code = voice.EMOTIONS.index(emotion) + 1
    return synthetic.synthesize(names.parse_name(f"03-01-{code:02d}-01-01-01-01.wav"),
                                sample_rate=RATE)


BAD_TAKES = {  # what an older recorder saved, or a student copied in: (samples, the cause said)
    "short": (lambda: _speech()[RATE: RATE + int(0.3 * RATE)], "too short: 0.300 s"),
    "silent": (lambda: np.zeros(3 * RATE), "silent (peak below -100 dBFS)"),
    "noise": (lambda: 0.1 * np.random.default_rng(0).standard_normal(3 * RATE),
              "no speech: noise without voicing"),
}


def test_recorded_takes_the_latest_usable_take_of_each_emotion_and_nothing_else(
        tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as the notebook names its folder: relative
    tmp_path = tmp_path.relative_to(tmp_path)
    for i, name in enumerate(["angry.wav", "angry_2.wav", "calm.flac", "notes.txt",
                              "angrier.mp3", "sad.wav", "sad_2.wav", "fearful.wav"]):
        bad = name in ("sad_2.wav", "fearful.wav")  # the latest sad, the only fearful
        if name.endswith((".wav", ".flac")):
            sf.write(tmp_path / name, np.zeros(RATE // 4) if bad else _speech(), RATE)
        else:
            (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (1_000 + i, 1_000 + i))
    found = voice.recorded(tmp_path)
    assert list(found) == ["calm", "sad", "angry"]  # the paper's order of emotions
    assert found["angry"].name == "angry_2.wav" and found["calm"].name == "calm.flac"
    assert found["sad"].name == "sad.wav"  # the bad latest take falls back to the one before
    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines) == [  # one line per bad take: the file, the cause, what to do
        "skipped fearful.wav: too short: 0.250 s, need at least 0.5 s; "
        "record fearful again",
        "skipped sad_2.wav: too short: 0.250 s, need at least 0.5 s; "
        "record sad again"]


@pytest.mark.parametrize("samples, cause", BAD_TAKES.values(), ids=BAD_TAKES.keys())
def test_a_bad_take_is_named_with_its_cause_and_a_good_one_passes(tmp_path, samples, cause):
    sf.write(tmp_path / "calm.wav", samples(), RATE)
    sf.write(tmp_path / "sad.wav", _speech("sad"), RATE)
    assert voice.problem(tmp_path / "calm.wav").startswith(cause)
    assert voice.problem(tmp_path / "sad.wav") is None


def test_stand_in_names_the_students_folder_writes_nothing_and_says_whose_clips_they_are(
        ravdess_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mine = Path("my_voice")
    clips, line = voice.stand_in(mine, ravdess_dir)
    assert list(clips) == list(voice.EMOTIONS)  # one clip per emotion, in the paper's order
    assert all(p.parent == ravdess_dir / "Actor_05" and names.parse_name(p).emotion_name == e
               for e, p in clips.items())  # read where the corpus keeps them
    assert line.startswith(f"No usable recording of all 8 emotions in {mine}/ yet")
    assert "stand_in" not in line  # the student's folder, not a stand-in's
    assert "actor 05" in line and "trained on this actor" in line  # 01–20 only here
    assert list(tmp_path.iterdir()) == []  # nothing written, least of all into my_voice/


def test_figures_say_whose_voice_they_show(ravdess_dir, tmp_path):
    clips, _ = voice.stand_in(tmp_path, ravdess_dir)
    assert voice.whose(clips) == "stand-in: RAVDESS actor 05, a training actor"
    assert voice.whose({"sad": ravdess_dir / "Actor_05" / "03-01-04-01-01-01-05.flac",
                        "calm": ravdess_dir / "Actor_21" / "03-01-02-01-01-01-21.flac"}) \
        == "your voice"  # two actors are no one actor's stand-in
    assert voice.whose({"calm": ravdess_dir / "Actor_22" / "03-01-02-01-01-01-22.flac"}) == \
        "stand-in: RAVDESS actor 22, an actor the model never heard"
    assert voice.whose({"angry": tmp_path / "my_voice" / "angry.wav"}) == "your voice"


@pytest.fixture(scope="module")
def model():
    return predict.load_model(same_speaker=True)


@pytest.mark.parametrize("bad", list(BAD_TAKES))
def test_compare_leaves_out_a_bad_take_in_one_line_and_goes_on_with_the_rest(
        ravdess_dir, tmp_path, model, capsys, monkeypatch, bad):
    monkeypatch.chdir(tmp_path)
    clips, _ = voice.stand_in(tmp_path, ravdess_dir)
    samples, cause = BAD_TAKES[bad]
    clips["calm"] = Path("calm.wav")
    sf.write(clips["calm"], samples(), RATE)
    table = voice.compare(clips, model, uncertain_below=0.5)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"skipped {clips['calm']}: {cause}"), lines
    assert list(table.intended) == [e for e in voice.EMOTIONS if e != "calm"]
    assert table.alone.isin(voice.EMOTIONS).all() and table.adapted.isin(voice.EMOTIONS).all()
    assert voice.confusion(table, "adapted").sum() == 7


def test_compare_with_too_few_usable_clips_to_adapt_to_still_predicts_them_alone(
        ravdess_dir, tmp_path, model, capsys):
    clips, _ = voice.stand_in(tmp_path, ravdess_dir)
    table = voice.compare({e: clips[e] for e in ("sad", "angry")}, model)
    assert capsys.readouterr().out.startswith("not adapted: 2 usable clip(s)")
    assert list(table.alone.notna()) == [True, True] and table.adapted.isna().all()
    assert voice.confusion(table, "adapted").sum() == 0
    assert voice.confusion(table, "alone").sum() == 2


def test_join_puts_each_clip_where_its_span_says(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rate = 16_000
    tones = {e: (0.3 * np.sin(np.arange(rate * (1 + i / 4)) * (i + 1) / 20)).astype(np.float32)
             for i, e in enumerate(voice.EMOTIONS[:3])}
    clips = {}
    for e, x in tones.items():
        sf.write(tmp_path / f"{e}.wav", x, rate, subtype="FLOAT")
        clips[e] = tmp_path / f"{e}.wav"
    said = []
    (tmp_path / "sad.wav").write_bytes(b"not audio")  # unreadable: left out, in one line
    clips["sad"] = tmp_path / "sad.wav"
    spans = voice.join(clips, tmp_path / "joined.flac", gap_s=0.5, say=said.append)
    assert [e for e, _, _ in spans] == list(tones)
    assert len(said) == 1 and said[0].startswith("skipped sad.wav: not readable")
    joined, r = sf.read(tmp_path / "joined.flac", dtype="float32")
    assert r == rate
    for e, start, end in spans:
        piece = joined[round(start * rate):round(end * rate)]
        np.testing.assert_allclose(piece, tones[e], atol=1e-4)  # FLAC's 16 bits
        assert not joined[round(end * rate):round((end + 0.5) * rate)].any()
    assert sorted(p.name for p in tmp_path.iterdir()) == [  # no temporary left behind
        "calm.wav", "happy.wav", "joined.flac", "neutral.wav", "sad.wav"]


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
