import dataclasses

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
