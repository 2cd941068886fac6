import librosa
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bcser_utils.audio import audio_input, ravdess, synthetic
from bcser_utils.audio.names import expected_names


def prosody(audio, rate=synthetic.SAMPLE_RATE):
    """Log-F0 mean and spread, level, brightness and speech time: what the emotions change."""
    frames = {"frame_length": 1024, "hop_length": 256}
    f0 = librosa.yin(audio, fmin=60, fmax=700, sr=rate, **frames)
    rms = librosa.feature.rms(y=audio, **frames)[0]
    voiced = rms > 0.1 * rms.max()
    log_f0 = np.log(f0[voiced])
    centroid = librosa.feature.spectral_centroid(y=audio, sr=rate, n_fft=1024,
                                                 hop_length=256)[0][voiced]
    return [log_f0.mean(), log_f0.std(), 20 * np.log10(rms[voiced].mean()),
            np.log(centroid.mean()), voiced.mean() * len(audio) / rate]


def test_same_seed_same_bytes_and_another_seed_differs(tmp_path, synthetic_dir):
    again = synthetic.make_corpus(tmp_path / "again", actors=(1,), seed=0, progress=False)
    assert synthetic.checksum(again) == synthetic.checksum(synthetic_dir / "Actor_01")
    name = expected_names([1])[20]
    assert np.array_equal(synthetic.synthesize(name, seed=5), synthetic.synthesize(name, seed=5))
    assert not np.array_equal(synthetic.synthesize(name, seed=5), synthetic.synthesize(name))


def test_layout_names_and_marker(synthetic_dir):
    report = ravdess.validate(synthetic_dir)
    assert report.synthetic and report.n_files == 180 and not report.missing_in_present_actors
    assert not report.unexpected and not report.unreadable
    assert "not RAVDESS" in (synthetic_dir / synthetic.MARKER).read_text()
    assert "SYNTHETIC" in report.summary()


def test_audio_is_speech_like(synthetic_dir):
    for path in sorted(synthetic_dir.rglob("*.wav"))[::15]:
        audio, rate = audio_input.load_audio(path)  # passes every robustness check
        assert 2.0 < len(audio) / rate < 5.5 and np.abs(audio).max() <= 0.5


def test_emotion_changes_pitch_the_way_it_should():
    for actor in (1, 2):
        mean_f0 = {n.emotion_name: prosody(synthetic.synthesize(n))[0]
                   for n in expected_names([actor]) if n.intensity == 1 and n.statement == 1
                   and n.repetition == 1}
        assert mean_f0["fearful"] > mean_f0["neutral"] > mean_f0["sad"]


def test_a_classifier_learns_emotion_across_speakers(synthetic_dir):
    df = ravdess.catalog(synthetic_dir, warn=False)
    features = np.array([prosody(audio_input.load_audio(p)[0]) for p in df.path])
    accuracies = []
    for held_out in (1, 2, 3):  # leave one actor out: the prosody must generalise
        train, test = df.actor != held_out, df.actor == held_out
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        model.fit(features[train], df.emotion[train])
        accuracies.append((model.predict(features[test]) == df.emotion[test]).mean())
    assert np.mean(accuracies) > 0.5, accuracies  # chance is 1/8


@pytest.mark.parametrize("actor, sex", [(1, "male"), (2, "female")])
def test_voices_follow_the_actors_sex(actor, sex):
    name = [n for n in expected_names([actor]) if n.emotion_name == "neutral"][0]
    f0 = np.exp(prosody(synthetic.synthesize(name))[0])
    assert (f0 < 160) if sex == "male" else (f0 > 160)
