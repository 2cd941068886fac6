import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bcser_utils import config
from bcser_utils.audio import ravdess, synthetic
from bcser_utils.audio.audio_input import AudioError, load_audio

RATE = 16_000


def tone(seconds=1.0, rate=RATE, freq=220.0, amplitude=0.3):
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


# --- loading: good input -------------------------------------------------------------------


def test_load_returns_mono_float32_at_the_files_rate(write_wav):
    audio, rate = load_audio(write_wav(tone(rate=22_050), 22_050))
    assert rate == 22_050 and audio.dtype == np.float32 and audio.ndim == 1
    assert np.abs(audio - tone(rate=22_050)).max() < 1e-4  # 16-bit quantisation only


def test_stereo_is_averaged_to_mono(write_wav):
    left, right = tone(freq=200), tone(freq=300, amplitude=0.1)
    audio, _ = load_audio(write_wav(np.stack([left, right], axis=1)))
    assert np.abs(audio - (left + right) / 2).max() < 1e-4


def test_resampling_keeps_duration_and_frequency(tmp_path):
    path = tmp_path / "x.flac"
    sf.write(path, tone(2.0, 48_000, freq=1000), 48_000)
    audio, rate = load_audio(path, sample_rate=RATE)
    assert rate == RATE and len(audio) == 2 * RATE
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.argmax(spectrum) * RATE / len(audio) == pytest.approx(1000, abs=1)


def test_reads_flac_and_wav_alike(tmp_path):
    signal = (tone() * 32767).astype(np.int16)  # exact 16-bit samples: both formats are lossless
    sf.write(tmp_path / "a.wav", signal, RATE, subtype="PCM_16")
    sf.write(tmp_path / "a.flac", signal, RATE, subtype="PCM_16")
    assert np.array_equal(load_audio(tmp_path / "a.wav")[0], load_audio(tmp_path / "a.flac")[0])


# --- loading: every bad input of docs/design.md, Robustness ------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="no such file"):
        load_audio(tmp_path / "nothing.wav")


def test_empty_file(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioError, match=r"empty\.wav: empty file"):
        load_audio(tmp_path / "empty.wav")


def test_non_audio_file(tmp_path):
    (tmp_path / "notes.wav").write_text("these are lecture notes, not audio")
    with pytest.raises(AudioError, match=r"notes\.wav: not readable as audio"):
        load_audio(tmp_path / "notes.wav")


def test_corrupt_header(write_wav):
    path = write_wav(tone())
    raw = bytearray(path.read_bytes())
    raw[20:36] = b"\xff" * 16  # wipe the fmt chunk
    path.write_bytes(bytes(raw))
    with pytest.raises(AudioError, match="not readable as audio"):
        load_audio(path)


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_truncated_file(tmp_path, suffix):
    path = tmp_path / f"cut{suffix}"
    sf.write(path, np.random.default_rng(0).uniform(-0.5, 0.5, RATE).astype(np.float32), RATE,
             subtype="PCM_16")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(AudioError, match=rf"cut\{suffix}: .*(truncated|corrupt)"):
        load_audio(path)


def test_too_short(write_wav):
    with pytest.raises(AudioError, match="too short: 0.100 s"):
        load_audio(write_wav(tone(0.1)))


def test_no_samples(write_wav):
    with pytest.raises(AudioError, match="no samples|too short"):
        load_audio(write_wav(np.zeros(0, dtype=np.float32)))


def test_silent(write_wav):
    with pytest.raises(AudioError, match="silent"):
        load_audio(write_wav(np.zeros(RATE, dtype=np.float32)))


def test_stereo_channels_that_cancel_are_silence(write_wav):
    left = tone()
    with pytest.raises(AudioError, match="silent once its channels are mixed to mono"):
        load_audio(write_wav(np.stack([left, -left], axis=1)))
    both, _ = load_audio(write_wav(np.stack([left, -left], axis=1)), mono=False)
    assert both.shape == (2, len(left))  # kept apart, the channels are not silent


def test_a_long_file_is_decoded_only_in_its_centre(write_wav):
    ramp = np.linspace(-0.5, 0.5, 10 * RATE, dtype=np.float32)  # each sample tells its place
    path = write_wav(ramp, subtype="FLOAT")
    with pytest.warns(UserWarning, match=r"lasts 10.0 s; only its centre 2 s is read"):
        audio, rate = load_audio(path, centre_s=2)
    assert rate == RATE and np.array_equal(audio, ramp[4 * RATE:6 * RATE])
    assert np.array_equal(load_audio(path, centre_s=20)[0], ramp)  # a shorter file: whole


def test_nan_and_inf_samples(write_wav):
    bad = tone()
    bad[100], bad[200] = np.nan, np.inf
    with pytest.raises(AudioError, match="2 NaN or inf samples"):
        load_audio(write_wav(bad, subtype="FLOAT"))


def test_unexpected_channel_count(write_wav):
    with pytest.raises(AudioError, match="6 channels; expected mono or stereo"):
        load_audio(write_wav(np.tile(tone()[:, None], (1, 6))))


def test_unexpected_sample_rate(write_wav):
    with pytest.raises(AudioError, match="sample rate 4000 Hz is below"):
        load_audio(write_wav(tone(rate=4000), 4000))


def test_a_bad_file_does_not_touch_the_file(write_wav):
    path = write_wav(tone(0.1))
    before = path.read_bytes()
    with pytest.raises(AudioError):
        load_audio(path)
    assert path.read_bytes() == before


# --- catalog and validation ----------------------------------------------------------------


def test_catalog_of_a_synthetic_corpus(synthetic_dir):
    df = ravdess.catalog(synthetic_dir, warn=False)
    assert len(df) == 180 and sorted(df.actor.unique()) == [1, 2, 3]
    assert set(df.sex[df.actor == 1]) == {"male"} and set(df.sex[df.actor == 2]) == {"female"}
    assert (df.emotion.value_counts()["neutral"], df.emotion.value_counts()["sad"]) == (12, 24)
    assert (df.sample_rate == synthetic.SAMPLE_RATE).all() and (df.channels == 1).all()
    assert (df.duration == df.frames / df.sample_rate).all()
    assert df.attrs["synthetic"] and (df.duplicate_group == -1).all()
    assert list(df.columns[:10]) == ["path", "name", "actor", "sex", "emotion", "emotion_code",
                                     "intensity", "statement", "repetition", "duration"]


def test_catalog_flags_byte_identical_files_and_keeps_going(synthetic_dir, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(synthetic_dir / "Actor_01", corpus / "Actor_01")
    folder = corpus / "Actor_01"
    shutil.copy(folder / "03-01-03-01-02-01-01.wav", folder / "03-01-03-01-02-02-01.wav")
    (folder / "README.txt.wav").write_text("not audio")
    audio, rate = sf.read(folder / "03-01-05-01-01-01-01.wav", dtype="int16")
    sf.write(folder / "03-01-05-01-01-01-01.flac", audio, rate)  # the same recording twice
    (folder / "03-01-05-01-01-02-01.flac").write_bytes(b"")  # an empty file with a valid name
    (folder / "03-02-05-01-01-01-01.wav").write_bytes(b"song")  # a song file
    with pytest.warns(UserWarning, match="skipped"), \
            pytest.warns(UserWarning, match="continuing with 1 actor"):  # one actor of 24 here
        df = ravdess.catalog(corpus)
    group = df[df.duplicate_group >= 0].name.tolist()
    assert group == ["03-01-03-01-02-01-01", "03-01-03-01-02-02-01"]
    assert len(df) == 60
    reasons = dict((p.split("/")[-1], r) for p, r in df.attrs["unexpected"])
    assert "not a RAVDESS name" in reasons["README.txt.wav"]
    assert "not an audio-only speech file" in reasons["03-02-05-01-01-01-01.wav"]
    assert "second copy" in reasons["03-01-05-01-01-01-01.wav"]  # .flac sorts first, is kept
    assert [p.split("/")[-1] for p, _ in df.attrs["unreadable"]] == ["03-01-05-01-01-02-01.flac"]


def test_unreadable_file_is_reported_by_name(synthetic_dir, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(synthetic_dir / "Actor_02", corpus / "Actor_02")
    bad = corpus / "Actor_02" / "03-01-04-02-02-02-02.wav"
    bad.write_text("garbage")
    report = ravdess.validate(corpus)
    assert report.n_files == 59 and [p for p, _ in report.unreadable] == [str(bad)]
    assert report.missing_in_present_actors == ["03-01-04-02-02-02-02"]


def test_partial_corpus_warns_with_missing_actors(synthetic_dir):
    with pytest.warns(UserWarning, match="no files for actor.*04, 05"):
        ravdess.catalog(synthetic_dir)
    report = ravdess.validate(synthetic_dir)
    assert report.missing_actors == list(range(4, 25)) and len(report.missing) == 1440 - 180
    assert report.usable and not report.complete


def test_catalog_keeps_only_requested_actors(synthetic_dir):
    df = ravdess.catalog(synthetic_dir, actors=(2,), warn=False)
    assert set(df.actor) == {2} and len(df) == 60


def test_development_copy_facts(ravdess_dir):
    report = ravdess.validate(ravdess_dir)
    assert report.n_files == 1200 and report.actors == list(range(1, 21))
    assert report.files_per_emotion["neutral"] == 80
    assert all(n == 160 for e, n in report.files_per_emotion.items() if e != "neutral")
    assert len(report.stereo_files) == 5 and report.sample_rates == {48_000: 1200}
    assert report.duplicates == [["03-01-03-01-02-01-07", "03-01-03-01-02-02-07"]]
    assert report.missing_actors == [21, 22, 23, 24] and not report.missing_in_present_actors
    assert not report.unexpected and not report.unreadable


def test_real_stereo_file_loads_as_mono(ravdess_dir):
    path = ravdess_dir / "Actor_01" / "03-01-02-01-01-02-01.flac"
    assert sf.info(str(path)).channels == 2
    audio, rate = load_audio(path)
    assert audio.ndim == 1 and rate == 48_000 and audio.dtype == np.float32


# --- choosing the corpus -------------------------------------------------------------------


def test_find_corpus_order(monkeypatch, tmp_path, synthetic_dir):
    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path / "cache"))
    assert ravdess.find_corpus(synthetic_dir).origin == "given"
    monkeypatch.setenv(config.RAVDESS_DIR_ENV, str(synthetic_dir))
    assert ravdess.find_corpus().root == synthetic_dir
    monkeypatch.setenv(config.RAVDESS_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        ravdess.find_corpus()
    with pytest.raises(FileNotFoundError, match="no Actor_"):
        ravdess.find_corpus(tmp_path)


def test_offline_without_any_copy_falls_back_to_the_synthetic_corpus(monkeypatch, tmp_path):
    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path))
    monkeypatch.delenv(config.RAVDESS_DIR_ENV, raising=False)
    monkeypatch.setattr(ravdess, "_development_copies", lambda: [])
    one_actor = config.get_config("quick")
    one_actor = config.dataclasses.replace(one_actor, mode=config.Mode(actors=(1,)))
    location = ravdess.find_corpus(allow_download=False, progress=False, cfg=one_actor)
    assert location.synthetic and location.origin == "synthetic"
    assert "SYNTHETIC" in location.label and "not RAVDESS" in location.label
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = ravdess.catalog(location.root)
    assert len(df) == 60 and "SYNTHETIC" in ravdess.describe(location, df, one_actor)


def test_failed_download_falls_back_loudly(monkeypatch, tmp_path):
    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path))
    monkeypatch.delenv(config.RAVDESS_DIR_ENV, raising=False)
    monkeypatch.setattr(ravdess, "_development_copies", lambda: [])

    def no_network(**kwargs):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(ravdess, "download", no_network)
    monkeypatch.setattr(synthetic, "make_corpus", lambda root, actors, progress: (
        (root / "Actor_01").mkdir(parents=True), (root / synthetic.MARKER).touch(), root)[-1])
    with pytest.warns(UserWarning, match="download failed.*no route to host.*synthetic"):
        location = ravdess.find_corpus(allow_download=True)
    assert location.synthetic


def test_mono_false_keeps_every_channel(write_wav):
    six = np.stack([tone(freq=100 * (k + 1)) for k in range(6)], axis=1)
    audio, rate = load_audio(write_wav(six), mono=False, sample_rate=8000)
    assert audio.shape == (6, 8000) and rate == 8000 and audio.dtype == np.float32


def test_data_check_decodes_every_file_and_names_each_bad_one(synthetic_dir, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(synthetic_dir / "Actor_02", corpus / "Actor_02")
    folder, rate = corpus / "Actor_02", 16_000
    tone = 0.1 * np.sin(np.arange(rate) / 5.0)
    broken = {  # name → (audio, rate): each passes the header check but cannot be used
        "03-01-02-01-01-01-02.wav": (np.where(np.arange(rate) == 9, np.nan, tone), rate),
        "03-01-02-01-01-02-02.wav": (np.zeros(rate), rate),
        "03-01-02-01-02-01-02.wav": (np.tile(tone[:, None], (1, 6)), rate),
        "03-01-02-01-02-02-02.wav": (tone[:1600], rate),
        "03-01-02-02-01-01-02.wav": (tone[:4000], 4000),
    }
    for name, (audio, sr) in broken.items():
        for old in folder.glob(name[:-4] + ".*"):
            old.unlink()
        sf.write(folder / name, audio, sr, subtype="FLOAT")
    report = ravdess.validate(corpus, workers=2)
    causes = {Path(p).name: cause for p, cause in report.unreadable}
    assert set(causes) == set(broken) and report.n_files == 60 - len(broken)
    assert "NaN" in causes["03-01-02-01-01-01-02.wav"]
    assert "silent" in causes["03-01-02-01-01-02-02.wav"]
    assert "6 channels" in causes["03-01-02-01-02-01-02.wav"]
    assert "too short" in causes["03-01-02-01-02-02-02.wav"]
    assert "4000 Hz" in causes["03-01-02-02-01-01-02.wav"]
    assert ravdess.validate(corpus, decode=False).n_files == 60  # headers alone look fine


def test_an_audio_error_survives_a_worker_process():
    import pickle
    from concurrent.futures import ProcessPoolExecutor

    err = pickle.loads(pickle.dumps(AudioError("a/b.wav", "silent")))
    assert (err.path, err.cause, str(err)) == (Path("a/b.wav"), "silent", "a/b.wav: silent")
    with ProcessPoolExecutor(1) as pool, pytest.raises(AudioError, match="no such file") as got:
        pool.submit(load_audio, "/nowhere/03-01-01-01-01-01-01.wav").result()
    assert got.value.path == Path("/nowhere/03-01-01-01-01-01-01.wav")


def test_a_partial_corpus_is_said_once_by_the_pipeline(synthetic_dir):
    from bcser_utils import config
    from bcser_utils.learn import pipeline

    with pytest.warns(ravdess.PartialCorpusWarning, match=r"no files for actor\(s\) 04, 05, 06"):
        pipeline.find_catalog(config.get_config("quick"), synthetic_dir, progress=False)


def test_a_file_in_another_actors_folder_is_catalogued_by_its_name_with_a_warning(
        synthetic_dir, tmp_path):
    import shutil

    from bcser_utils.audio import ravdess

    corpus = tmp_path / "corpus"
    shutil.copytree(synthetic_dir, corpus)
    stray = next((corpus / "Actor_01").glob("*.wav"))
    moved = corpus / "Actor_02" / stray.name
    stray.rename(moved)
    with pytest.warns(ravdess.MisplacedFileWarning, match=rf"{moved}: its name says actor 01, "
                                                       r"its folder Actor_02"):
        catalog = ravdess.catalog(corpus)
    assert catalog.loc[catalog.name == stray.stem, "actor"].item() == 1
