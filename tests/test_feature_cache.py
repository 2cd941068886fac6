import errno
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from bcser_utils import config, provenance
from bcser_utils.audio import audio_input, bc, feature_cache, features, ravdess

CFG = config.get_config("quick")


@pytest.fixture(scope="module")
def recordings(synthetic_dir):
    df = ravdess.catalog(synthetic_dir, actors=(1,), warn=False)
    return df[df.emotion.isin(["angry", "sad"])].head(4)


def build(recordings, tmp_path, **kwargs):
    kwargs = {"n_versions": 3, "workers": 1, "progress": False, **kwargs}
    return feature_cache.build(recordings, kwargs.pop("cfg", CFG), cache_dir=tmp_path, **kwargs)


def test_cache_shape_index_and_the_original_version(recordings, tmp_path):
    cache = build(recordings, tmp_path)
    assert cache.features.shape == (12, features.n_frames(CFG.features), 64)
    assert cache.features.dtype == np.float16 and isinstance(cache.features, np.memmap)
    assert list(cache.index.version[:3]) == [0, 1, 2]
    assert list(cache.index.label[:2]) == ["original", "time_stretch"]
    assert cache.synthetic
    first = recordings.sort_values("name").iloc[0]
    audio, rate = audio_input.load_audio(first.path, sample_rate=CFG.augment.sample_rate)
    expected = features.extract(bc.to_bc(audio, rate), rate)  # the paper's order: BC first
    np.testing.assert_allclose(cache.features[0].astype(np.float32), expected, atol=0.02,
                               rtol=2e-3)


def test_ac_and_bc_differ_only_where_the_filter_acts(recordings, tmp_path):
    ac, bc_ = build(recordings, tmp_path, signal="ac"), build(recordings, tmp_path)
    assert ac.folder != bc_.folder
    drop = (ac.features[0].astype(np.float32) - bc_.features[0].astype(np.float32)).mean(0)
    assert drop[-8:].mean() > drop[:8].mean() + 1  # high mel bands lose far more (1 nat = 4.3 dB)


def test_changing_any_parameter_never_reuses_the_cache(recordings, tmp_path):
    base = build(recordings, tmp_path).folder
    changed = [config.get_config("quick", overrides={key: value}) for key, value in (
        ("bc.alpha", 0.7), ("augment.pitch_semitones", 3.0), ("features.n_mels", 40))]
    folders = {build(recordings, tmp_path, cfg=cfg).folder for cfg in changed}
    folders |= {build(recordings, tmp_path, seed=1).folder,
                build(recordings, tmp_path, n_versions=2).folder,
                build(recordings.head(3), tmp_path).folder}
    assert base not in folders and len(folders) == 6
    assert build(recordings, tmp_path, cfg=changed[2]).features.shape[-1] == 40


def test_a_warm_cache_is_reopened_not_rebuilt(recordings, tmp_path, monkeypatch):
    first = build(recordings, tmp_path)
    monkeypatch.setattr(feature_cache, "recording_features", lambda *a: pytest.fail("rebuilt"))
    again = build(recordings, tmp_path)
    assert again.folder == first.folder
    np.testing.assert_array_equal(again.features, first.features)


def test_an_interrupted_build_resumes_where_it_stopped(recordings, tmp_path, monkeypatch):
    real, calls = feature_cache.recording_features, []

    def flaky(path, name, *rest):
        calls.append(name)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the user stops the build half-way
        return real(path, name, *rest)

    monkeypatch.setattr(feature_cache, "recording_features", flaky)
    with pytest.raises(KeyboardInterrupt):
        build(recordings, tmp_path)
    calls.clear()
    resumed = build(recordings, tmp_path)
    assert len(calls) == 2  # only the two recordings that had not been finished
    monkeypatch.setattr(feature_cache, "recording_features", real)
    fresh = build(recordings, tmp_path / "fresh")
    np.testing.assert_array_equal(resumed.features, fresh.features)
    assert resumed.index.equals(fresh.index)


def test_versions_do_not_depend_on_the_subset_or_the_workers(recordings, tmp_path):
    alone = build(recordings.head(1), tmp_path / "a")
    together = build(recordings, tmp_path / "b", workers=2)
    rows = together.rows(names=alone.index.name.unique())
    np.testing.assert_array_equal(together.features[rows], alone.features[:])


def test_dataset_yields_standardized_float_tensors_and_labels(recordings, tmp_path):
    cache = build(recordings, tmp_path)
    train = cache.rows(versions=[0, 1])
    scaler = features.Standardizer().fit(cache.features[train])
    items = feature_cache.FeatureDataset(cache, train, scaler)
    x, label = items[0]
    assert x.dtype == torch.float32 and x.shape == cache.features.shape[1:]
    assert len(items) == 8 and label == cache.index.emotion_code[train[0]] - 1
    stacked = torch.stack([items[i][0] for i in range(len(items))])
    assert stacked.mean().abs() < 1e-2 and (stacked.std() - 1).abs() < 0.05


def test_a_batch_equals_its_items_stacked_in_the_order_asked(recordings, tmp_path):
    cache = build(recordings, tmp_path)
    rows = cache.rows()[::-1]  # the dataset's rows need not be in file order
    scaler = features.Standardizer().fit(cache.features[rows])
    items = feature_cache.FeatureDataset(cache, rows, scaler)
    positions = [5, 0, 11, 3, 3]  # unsorted, with a repeat
    x, y = items.batch(positions)
    torch.testing.assert_close(x, torch.stack([items[i][0] for i in positions]), rtol=0, atol=0)
    assert y.dtype == torch.int64 and y.tolist() == [items[i][1] for i in positions]


def test_bad_signal_is_refused(recordings, tmp_path):
    with pytest.raises(ValueError, match="'xc'"):
        build(recordings, tmp_path, signal="xc")


def test_a_change_of_code_changes_the_key(recordings, monkeypatch):
    before = feature_cache.cache_key(recordings, CFG, "bc", 3, 0)
    monkeypatch.setattr(feature_cache, "code_fingerprint", lambda: "edited")
    assert feature_cache.cache_key(recordings, CFG, "bc", 3, 0) != before


BUILD_IN_A_PROCESS = """
import sys
from bcser_utils import config
from bcser_utils.audio import audio_input, feature_cache, ravdess
recordings = ravdess.catalog(sys.argv[1], actors=(1,), warn=False).head(8)
cache = feature_cache.build(recordings, config.get_config("quick"), n_versions=3, workers=1,
                      progress=False, cache_dir=sys.argv[2])
print(cache.folder.name, float(cache.features[:].astype("float64").sum()))
"""


def test_two_processes_building_the_same_cache_do_not_collide(synthetic_dir, tmp_path):
    # Two notebooks (or a notebook and the CLI) asking for one cache at once: the second waits
    # for the first and reopens its cache, instead of racing it for the same shard files.
    import subprocess
    import sys

    started = [subprocess.Popen([sys.executable, "-c", BUILD_IN_A_PROCESS, str(synthetic_dir),
                                 str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in started]
    for p, (_, err) in zip(started, results, strict=True):
        assert p.returncode == 0, err
    assert results[0][0] == results[1][0]  # the same folder, the same tensors
    folder = tmp_path / results[0][0].split()[0]
    assert not (folder / "shards").exists()


def test_the_fingerprint_follows_the_builders_not_the_readers(tmp_path, monkeypatch):
    """The cache's key hashes provenance.CACHED_FEATURES, the one list of the code that shapes a
    cached tensor: an edit of a builder changes it, an edit of a reader does not."""
    import shutil

    assert feature_cache.code_fingerprint() == feature_cache._fingerprint()  # this process's
    copy = tmp_path / "bcser_utils"
    shutil.copytree(provenance.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(provenance, "PACKAGE", copy)
    source = (copy / "audio" / "feature_cache.py").read_text()
    before = feature_cache._fingerprint()
    reader = source.replace("    def batch(self, positions):",
                            "    def batch(self, positions, unused=None):", 1)
    assert reader != source
    (copy / "audio" / "feature_cache.py").write_text(reader)
    assert feature_cache._fingerprint() == before  # a reader's edit: the tensors are the same
    storage = source.replace("def _build_shard(job) ->", "def _build_shard(job, extra=1) ->", 1)
    assert storage != source
    (copy / "audio" / "feature_cache.py").write_text(storage)
    assert feature_cache._fingerprint() == before  # how a shard is written: the same tensors
    builder = source.replace("def recording_features(", "def recording_features(extra, ", 1)
    assert builder != source
    (copy / "audio" / "feature_cache.py").write_text(builder)
    assert feature_cache._fingerprint() != before  # a builder's edit shows
    (copy / "audio" / "feature_cache.py").write_text(source)
    loader = copy / "audio" / "audio_input.py"
    loader.write_text(loader.read_text().replace("def check_samples(path", "def check_samples(p", 1)
                      .replace("AudioError(path, f\"contains", "AudioError(p, f\"contains", 1))
    assert feature_cache._fingerprint() != before  # the one audio check shapes tensors too


def test_the_fingerprint_ignores_comments_docstrings_and_layout_but_not_code():
    code = 'def gain(x):\n    """Twice x."""\n    return 2 * x  # louder\n'
    reworded = ('def gain(x):\n    """Doubles its input: a comment edit, the same tensors."""\n'
                '    # say why\n    return 2*x\n')
    changed = 'def gain(x):\n    """Twice x."""\n    return 3 * x  # louder\n'
    assert provenance.code_of(code) == provenance.code_of(reworded)
    assert provenance.code_of(code) != provenance.code_of(changed)
    method = '    def batch(self):\n        """A method, indented."""\n        return 1\n'
    assert provenance.code_of(method) == provenance.code_of("def batch(self):\n    return 1\n")


def _forge(folder, **claims):
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, **claims}))


DAMAGE = {  # what a full disk, an interruption or a hand edit can leave in a finished cache
    "truncate": lambda f: os.truncate(f / "features.npy", (f / "features.npy").stat().st_size // 2),
    "meta": lambda f: (f / "meta.json").write_text("{not json"),
    "meta empty": lambda f: (f / "meta.json").write_text(""),
    "meta a list": lambda f: (f / "meta.json").write_text("[1, 2]"),
    "index": lambda f: (f / "index.csv").write_text(
        "\n".join((f / "index.csv").read_text().splitlines()[:-2]) + "\n"),
    "index empty": lambda f: (f / "index.csv").write_text(""),
    "forged signal": lambda f: _forge(f, signal="ac"),  # would reach model.pt: no BC filter
    "forged path": lambda f: _forge(f, signal="/etc/passwd"),
    "forged real": lambda f: _forge(f, synthetic=False),  # synthetic tensors passed off as real
    "forged versions": lambda f: _forge(f, n_versions=15),
    # [guarded-io] 22: a garbage index, or features full of NaN
    "index garbage": lambda f: (f / "index.csv").write_text('a,b\n1,2,3,"\n\x00\xff\n' * 5),
    "index columns": lambda f: (f / "index.csv").write_text(
        "x,y\n" + "1,2\n" * len((f / "index.csv").read_text().splitlines()[1:])),
    "index codes": lambda f: pd.read_csv(f / "index.csv").assign(emotion_code=55).to_csv(
        f / "index.csv", index=False),
    "features nan": lambda f: _nan_features(f),
}


def _nan_features(folder):
    stored = np.load(folder / "features.npy", mmap_mode="r+")
    stored[:] = np.nan
    stored.flush()
    del stored


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_cache_is_rebuilt_with_a_warning(recordings, tmp_path, damage):
    first = build(recordings, tmp_path)
    expected, meta = np.array(first.features), dict(first.meta)
    folder = first.folder
    del first  # release the memory map before damaging the file
    DAMAGE[damage](folder)
    with pytest.warns(feature_cache.CacheWarning, match=f"{folder.name}: .*; rebuilding it"):
        again = build(recordings, tmp_path)
    assert again.folder == folder and again.meta == meta
    np.testing.assert_array_equal(again.features, expected)
    assert len(again.index) == len(expected)


def test_an_interrupted_build_remakes_the_shards_it_left_empty(recordings, tmp_path, monkeypatch):
    real, calls = feature_cache.recording_features, []

    def full_disk(path, name, *rest):
        calls.append(name)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, name, *rest)

    monkeypatch.setattr(feature_cache, "recording_features", full_disk)
    with pytest.raises(OSError, match="No space left"):
        build(recordings, tmp_path)
    monkeypatch.setattr(feature_cache, "recording_features", real)
    shards = sorted((next(tmp_path.glob("features-bc-*")) / "shards").glob("*.npy"))
    assert len(shards) == 2
    shards[0].with_suffix(".json").write_text("")  # labels a full disk left empty …
    shards[1].write_bytes(b"")  # … and a tensor
    (shards[1].parent / f".{shards[1].name}.999.tmp").write_bytes(b"half")  # a killed writer's
    resumed = build(recordings, tmp_path)
    fresh = build(recordings, tmp_path / "fresh")
    np.testing.assert_array_equal(resumed.features, fresh.features)
    assert resumed.index.equals(fresh.index)
    assert "version 1" not in set(resumed.index.label)  # every label is the augmentation's


# --- [guarded-io] 8, 16, 23: the key sees content; workers die with their parent; no empty folder

def test_a_recording_rewritten_with_its_old_size_and_mtime_changes_the_key(recordings,
                                                                           tmp_path):
    """Case 8: noise of the same size with the mtime reset (os.utime; cp -p, rsync -a, unzip)
    reused the stale cache."""
    import shutil

    corpus = tmp_path / "corpus"
    copied = recordings.copy()
    copied["path"] = [shutil.copy2(p, corpus / Path(p).name) if corpus.mkdir(exist_ok=True)
                      is None else None for p in recordings.path]
    first = build(copied, tmp_path / "cache")
    victim = Path(copied.path.iloc[0])
    st = victim.stat()
    data = bytearray(victim.read_bytes())
    data[-2000:] = np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime
    assert victim.stat().st_size == st.st_size and victim.stat().st_mtime_ns == st.st_mtime_ns
    again = build(copied, tmp_path / "cache")
    assert again.folder != first.folder  # a new key: the stale tensors are not reused


def test_content_hashes_are_remembered_so_a_warm_rerun_reads_no_audio(recordings, tmp_path,
                                                                      monkeypatch):
    first = feature_cache.content_hashes(recordings.path, tmp_path)
    assert (tmp_path / feature_cache.MEMO).is_file()
    opened = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda p, *a, **k: opened.append(p) or
                        real_open(p, *a, **k))
    assert feature_cache.content_hashes(recordings.path, tmp_path) == first
    assert not [p for p in opened if str(p).endswith((".wav", ".flac"))]


_ORPHANS = """
import os, sys, time
from bcser_utils import config
from bcser_utils.audio import feature_cache, ravdess
real = feature_cache.recording_features
def slow(path, name, *rest):
    print(os.getpid(), flush=True)
    time.sleep(120)
feature_cache.recording_features = slow
recordings = ravdess.catalog(sys.argv[1], actors=(1,), warn=False).head(8)
feature_cache.build(recordings, config.get_config("quick"), n_versions=1, workers=2,
                    progress=False, cache_dir=sys.argv[2])
"""


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGKILL"])
def test_cache_workers_die_with_their_parent(synthetic_dir, tmp_path, signum):
    """Case 16: SIGTERM or SIGKILL of train during the cache build orphaned both workers."""
    import signal
    import subprocess
    import sys
    import time

    parent = subprocess.Popen([sys.executable, "-c", _ORPHANS, str(synthetic_dir),
                               str(tmp_path)], stdout=subprocess.PIPE, text=True)
    workers = {int(parent.stdout.readline()) for _ in range(2)}
    parent.send_signal(getattr(signal, signum))
    parent.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, f"orphaned workers {workers}"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return status != "Z"


def test_a_failed_first_build_leaves_no_empty_cache_folder(recordings, tmp_path, monkeypatch):
    """Case 23: a bad setting failed the build and left an empty cache folder behind."""
    def fails(*args, **kwargs):
        raise ValueError("a broadcast error")

    monkeypatch.setattr(feature_cache, "recording_features", fails)
    with pytest.raises(ValueError, match="broadcast"):
        build(recordings, tmp_path)
    assert [p.name for p in tmp_path.iterdir() if p.name != feature_cache.MEMO] == []


def test_features_with_nan_are_never_cached(recordings, tmp_path, monkeypatch):
    real = feature_cache.recording_features

    def nan(*args):
        tensor, labels = real(*args)
        tensor[0, 0, 0] = np.nan
        return tensor, labels

    monkeypatch.setattr(feature_cache, "recording_features", nan)
    with pytest.raises(audio_input.AudioError, match="features hold NaN"):
        build(recordings, tmp_path)
