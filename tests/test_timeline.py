"""`predict --timeline`: a long recording window by window (app.timeline)."""

import json

import numpy as np
import pytest
import soundfile as sf

from bcser_utils import config
from bcser_utils.app import predict, timeline
from bcser_utils.app.cli import main

EMOTIONS = config.get_config().emotions
ACTOR = "05"  # a development actor (the shipped default model saw every one of them)


@pytest.fixture(scope="module")
def default_model():
    return predict.load_model(same_speaker=True)


@pytest.fixture(scope="module")
def joined(ravdess_dir, tmp_path_factory):
    """The 8 emotions of one actor (statement 1, repetition 1, normal intensity), each clip
    followed by 1 s of silence, in one FLAC; returns (path, [(clip file, start s, end s)])."""
    folder = tmp_path_factory.mktemp("timeline")
    parts, spans, t = [], [], 0.0
    for e in range(1, 9):
        clip = ravdess_dir / f"Actor_{ACTOR}" / f"03-01-{e:02d}-01-01-01-{ACTOR}.flac"
        audio, rate = sf.read(clip, dtype="float32")
        spans.append((clip, t, t + len(audio) / rate))
        parts += [audio, np.zeros(rate, dtype=np.float32)]
        t += len(audio) / rate + 1.0
    path = folder / "eight_emotions.flac"
    sf.write(path, np.concatenate(parts), rate)
    return path, spans


def test_windows_tile_the_file_exactly_when_hop_equals_window(tmp_path):
    rate = 16_000
    audio = np.random.default_rng(0).uniform(-0.5, 0.5, int(9.3 * rate)).astype(np.float32)
    sf.write(tmp_path / "a.wav", audio, rate, subtype="FLOAT")
    found = list(timeline.windows(tmp_path / "a.wav", window_s=2.0, hop_s=2.0))
    assert [s for s, *_ in found] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert found[-1][1] == pytest.approx(9.3)  # the last window ends with the file
    np.testing.assert_array_equal(np.concatenate([w for *_, w, _ in found]), audio)


def test_windows_overlap_by_window_minus_hop_and_mix_stereo_to_mono(tmp_path):
    rate = 8_000
    left = np.linspace(-0.5, 0.5, 6 * rate, dtype=np.float32)
    sf.write(tmp_path / "s.wav", np.stack([left, -left / 2], axis=1), rate, subtype="FLOAT")
    found = list(timeline.windows(tmp_path / "s.wav", window_s=4.0, hop_s=1.0))
    assert [s for s, *_ in found] == [0.0, 1.0, 2.0]
    for start, end, audio, r in found:
        assert r == rate and len(audio) == round((end - start) * rate)
        np.testing.assert_allclose(audio, left[int(start * rate):int(end * rate)] / 4, atol=1e-7)


def test_silence_is_judged_by_the_loudest_frame():
    rate = 16_000
    quiet = np.random.default_rng(1).normal(0, 10 ** (-70 / 20), 4 * rate)
    assert timeline.is_silent(quiet, rate)
    one_word = quiet.copy()
    one_word[rate:rate + 4000] += 0.1 * np.sin(np.arange(4000) / 5)  # 0.25 s at -23 dBFS
    assert not timeline.is_silent(one_word, rate)


def test_the_timeline_is_time_ordered_and_each_clips_central_window_names_it_as_often_as_the_clip_alone(  # noqa: E501
        joined, default_model, capsys):
    # a 0.5 s hop puts a window's centre within 0.25 s of each clip's; at the default 1 s the
    # nearest can be 0.5 s off, and this model then names 6 of these 8 clips, not 8 (measured)
    path, spans = joined
    assert main(["predict", "--timeline", str(path), "--hop", "0.5", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)
    assert np.allclose(np.diff([r["start"] for r in rows]), 0.5)
    assert all(set(r) == {"file", "start", "end", "silent", "speech", "reason", "emotion",
                          "probabilities", "uncertain"}
               for r in rows)
    centres = np.array([(r["start"] + r["end"]) / 2 for r in rows])
    by_window = by_clip = 0
    for emotion, (clip, start, end) in zip(EMOTIONS, spans, strict=True):
        central = rows[int(np.argmin(abs(centres - (start + end) / 2)))]
        alone = default_model.single.predict_file(clip)
        by_window += central["emotion"] == emotion
        by_clip += alone["emotion"] == emotion
    assert by_window >= by_clip


def test_silent_windows_are_marked_not_predicted(joined, default_model, tmp_path):
    path, spans = joined
    audio, rate = sf.read(path, dtype="float32")
    gap = np.random.default_rng(2).normal(0, 1e-4, 7 * rate).astype(np.float32)  # -80 dBFS
    first_clip_end = int(spans[0][2] * rate)
    sf.write(tmp_path / "gap.flac", np.concatenate([audio[:first_clip_end], gap,
                                                    audio[first_clip_end:]]), rate)
    rows = timeline.timeline(tmp_path / "gap.flac", default_model)
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)  # silent ones too
    silent = [r for r in rows if r["silent"]]
    assert silent and all(r["emotion"] is None and r["probabilities"] is None for r in silent)
    # no speech from the last 1.5 s of the first clip (its own trailing silence) to 1.5 s into
    # the second (its leading silence), across the 7 s gap and the 1 s between the clips
    quiet_from, quiet_to = spans[0][2] - 1.5, spans[0][2] + 7 + 1 + 1.5
    assert all(quiet_from <= r["start"] and r["end"] <= quiet_to for r in silent)
    assert len(silent) >= 3  # windows wholly inside the 7 s gap
    spoken = [r for r in rows if not r["silent"]]
    assert all(abs(sum(r["probabilities"].values()) - 1) < 1e-5 for r in spoken)


def test_same_speaker_adapts_over_the_windows_of_one_file(joined, default_model):
    path, _ = joined
    alone = timeline.timeline(path, default_model)
    adapted = timeline.timeline(path, default_model, same_speaker=True)
    assert [(r["start"], r["end"]) for r in adapted] == [(r["start"], r["end"]) for r in alone]
    differ = [a["probabilities"] != b["probabilities"] for a, b in zip(alone, adapted,
                                                                       strict=True)]
    assert any(differ)  # adapting (speaker statistics, the classical fusion) changes them


def test_a_hop_longer_than_the_window_gets_one_line(tmp_path, capsys):
    sf.write(tmp_path / "a.wav", np.full(16_000 * 5, 0.1, dtype=np.float32), 16_000)
    assert main(["predict", "--timeline", str(tmp_path / "a.wav"), "--hop", "5"]) == 2  # usage
    err = capsys.readouterr().err
    assert "--hop 5: expected 0.1 s to the window's 4 s" in err and "Traceback" not in err


def test_a_negative_window_is_refused_before_anything_runs(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["predict", "--timeline", "x.wav", "--window", "-1"])
    assert stop.value.code == 2
    assert "expected a positive number of seconds" in capsys.readouterr().err


def test_a_bad_file_gets_one_line_naming_it_and_the_others_still_run(joined, tmp_path, capsys):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    code = main(["predict", "--timeline", str(bad), str(joined[0]), "--json"])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.strip().count("\n") == 0 and "notes.wav" in captured.err
    assert {r["file"] for r in json.loads(captured.out)} == {str(joined[0])}


def test_adapting_in_batches_gives_what_adapting_on_all_windows_at_once_gives(
        joined, default_model, monkeypatch):
    # the speaker's statistics come from every window; only the model's forward pass is batched
    # (all of an hour's windows at once peaked at 2756 MiB)
    from bcser_utils.learn import inference

    path, _ = joined
    clips = [default_model.deep.clip_features(audio, rate)
             for *_, audio, rate in timeline.windows(path) if not timeline.is_silent(audio, rate)]
    at_once = default_model.deep.speaker_probabilities(np.stack(clips))
    monkeypatch.setattr(inference, "BATCH", 5)
    assert len(clips) > 2 * inference.BATCH
    np.testing.assert_allclose(default_model.deep.speaker_probabilities(clips), at_once,
                               atol=1e-5)
