import dataclasses
import json
import math
import os
import re

import pytest

from bcser_utils import config


def test_every_constant_has_a_source():
    cfg = config.get_config()
    table = config.constants_table(cfg)
    for section in ("corpus", "bc", "augment", "features", "model", "training", "reported"):
        part = getattr(cfg, section)
        assert len(table[table.section == section]) == len(dataclasses.fields(part))
    assert table.source.str.len().min() > 3


def test_paper_values_are_the_papers():
    cfg = config.get_config("full")
    assert (cfg.bc.alpha, cfg.bc.beta, cfg.bc.reference_rate) == (0.755, 0.205, 48_000)
    assert (cfg.training.batch_size, cfg.training.label_smoothing, cfg.training.patience) == \
        (64, 0.1, 5)
    # Table III's validation support is 20% of 1,440 × the number of versions per recording.
    assert cfg.reported.val_support == cfg.training.val_fraction * cfg.corpus.n_files * \
        cfg.augment.n_versions
    assert sum(row[4] for row in cfg.reported.per_class) == cfg.reported.val_support


def test_quick_mode_cuts_the_versions_and_says_so_and_an_override_still_wins():
    quick, full = config.get_config("quick"), config.get_config("full")
    assert full.augment.n_versions == config.Augment().n_versions == 15
    assert quick.augment.n_versions == quick.mode.versions < 15
    # as many training steps per epoch as 15 versions give
    assert quick.training.epoch_repeats * quick.augment.n_versions == 15
    assert full.training.epoch_repeats == 1
    assert config.get_config("quick", {"augment.n_versions": 1}).augment.n_versions == 1
    sources = config.constants_table(quick).set_index("name")["source"]
    assert sources["n_versions"].startswith("quick mode; the default, 15: paper, Table III")
    assert sources["alpha"].startswith("paper")  # values the mode leaves alone keep their source
    overridden = config.constants_table(config.get_config("full", {"bc.alpha": 0.5}))
    assert overridden.set_index("name")["source"]["alpha"].startswith("an override; the default")


def test_mode_switch_by_argument_and_environment(monkeypatch):
    monkeypatch.setenv(config.MODE_ENV, "full")
    assert config.get_config().mode.name == "full"
    assert config.get_config().mode.actors is None
    assert config.get_config("quick").mode.name == "quick"
    monkeypatch.setenv(config.MODE_ENV, "fast")
    with pytest.raises(ValueError, match="BCSER_MODE"):
        config.get_config()


def test_overrides_change_one_value_and_reject_unknown_keys():
    cfg = config.get_config("quick", overrides={"bc.alpha": 0.8})
    assert cfg.bc.alpha == 0.8 and cfg.bc.beta == 0.205
    assert config.get_config("quick").bc.alpha == 0.755  # defaults untouched
    with pytest.raises(KeyError, match="bc.gamma"):
        config.get_config(overrides={"bc.gamma": 1})


def test_a_config_written_as_json_comes_back_equal():
    import dataclasses
    import json

    cfg = config.get_config("full", overrides={"model.conv_channels": (8, 16),
                                               "normalize.mode": "speaker",
                                               "training.weight_decay": 0.05})
    sections = json.loads(json.dumps({f.name: dataclasses.asdict(getattr(cfg, f.name))
                                      for f in dataclasses.fields(cfg)}))
    assert config.from_dict(sections, "full") == cfg
    assert config.from_dict({}, "quick") == config.get_config("quick")


# --- [guarded-io] 11, 15, 23: the environment and every setting's bounds -----------------------

@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("YES", True),
                                            (" on ", True), (" 1", True), ("0", False),
                                            ("false", False), ("No", False), ("off", False),
                                            ("", False)])
def test_bcser_offline_takes_the_usual_true_and_false_spellings(value, expected, monkeypatch):
    """Case 11: BCSER_OFFLINE=true (also yes, on, " 1") still downloaded."""
    monkeypatch.setenv(config.OFFLINE_ENV, value)
    assert config.offline() is expected
    config.check_environment()


@pytest.mark.parametrize("value", ["2", "maybe", "tru", "1 0", "ja"])
def test_an_odd_bcser_offline_is_refused_as_an_odd_bcser_mode_is(value, monkeypatch):
    monkeypatch.setenv(config.OFFLINE_ENV, value)
    with pytest.raises(ValueError, match=rf"^BCSER_OFFLINE={value!r}: expected one of 1/true"):
        config.check_environment()
    monkeypatch.delenv(config.OFFLINE_ENV)
    assert config.offline() is False  # unset: downloads allowed


BAD_SETTINGS = {  # case 15 and 23, and the neighbours of each bound
    "augment.n_versions": [100_000, 16, 0, -1, 2.5, True],
    "features.n_fft": [0, -512, 1e9],
    "features.max_duration_s": [1e5, 0, math.nan, math.inf],
    "features.n_mels": [0, 100_000, "64"],
    "mode.seed": [-1, 2**32],
    "training.max_epochs": [0, 10**9],
    "training.batch_size": [0],
    "bc.alpha": [1.0, -1.5, math.nan],
    "normalize.top_db": [-3.0],
}


@pytest.mark.parametrize("key,value", [(k, v) for k, vs in BAD_SETTINGS.items() for v in vs])
def test_a_setting_beyond_its_bounds_is_refused_naming_it_its_value_and_the_bound(key, value):
    with pytest.raises(config.SettingError, match=rf"^{re.escape(key)}={re.escape(repr(value))}: "):
        config.get_config("quick", {key: value})
    section, _, name = key.partition(".")
    with pytest.raises(config.SettingError, match=rf"^runs/x/run\.json: {re.escape(key)}="):
        config.from_dict({section: {name: value}}, "quick", source="runs/x/run.json")


def test_the_bounds_say_what_they_are_and_keep_every_shipped_setting():
    with pytest.raises(config.SettingError, match="expected 1 ≤ n_versions ≤ 15"):
        config.get_config("quick", {"augment.n_versions": 100_000})
    for mode in ("quick", "full"):
        config.check(config.get_config(mode))
    assert config.get_config("quick", {"augment.n_versions": 15}).augment.n_versions == 15
    for path in sorted(config.MODELS_DIR.glob("*.json")):  # the shipped runs' settings
        recorded = json.loads(path.read_text())
        if isinstance(recorded, dict) and isinstance(recorded.get("config"), dict):
            config.from_dict(recorded["config"], source=str(path))


@pytest.mark.parametrize("sections,said", [
    ([1], "the settings are not a table (list)"),
    ({"augment": [1]}, "augment: not a table (list)"),
    ({"banana": {}}, "unknown settings section 'banana'"),
    ({"features": {"banana": 1}}, "unknown features setting(s) banana"),
    ({"features": {"n_mels": 300, "n_fft": 512}}, "features.n_mels=300: out of bounds"),
    ({"features": {"n_mels": 200, "n_fft": 256}},
     "features.n_mels=200: more mel bands than the 129 frequencies"),
    ({"model": {"d_model": 66}}, "model.d_model=66: not a multiple of model.n_heads=4"),
])
def test_a_damaged_run_json_config_is_one_error_naming_the_file(sections, said):
    with pytest.raises(config.SettingError, match=re.escape(f"run.json: {said}")):
        config.from_dict(sections, source="run.json")


def test_the_runs_folder_follows_its_environment_variable(tmp_path):
    # read at import: the grader gives each student's notebooks a runs folder of their own
    import subprocess
    import sys

    def runs_dir(value):
        env = {k: v for k, v in os.environ.items() if k != config.RUNS_DIR_ENV}
        if value is not None:
            env[config.RUNS_DIR_ENV] = value
        return subprocess.run([sys.executable, "-c", "from bcser_utils import config; "
                               "print(config.RUNS_DIR)"], env=env, capture_output=True,
                              text=True, check=True).stdout.strip()

    assert runs_dir(None) == str(config.REPO_ROOT / "runs") == runs_dir("  ")
    assert runs_dir(str(tmp_path / "alice")) == str(tmp_path / "alice")
