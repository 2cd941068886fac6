"""The notebooks' exercise solutions: hidden by default, and right by property when shown."""

import inspect
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from bcser_utils import config, exercises
from bcser_utils.audio import ravdess
from bcser_utils.learn import pipeline

# One thread: on a busy 2-core machine, torch's two threads wait on each other and the tiny
# trainings below take 20× longer.
torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def catalog(synthetic_dir) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ravdess.catalog(synthetic_dir)


@pytest.fixture(scope="module")
def tiny(synthetic_dir, tmp_path_factory) -> pipeline.Prepared:
    """Synthetic actors 1–3, originals only, 1 s clips of 32 bands: trains in a second."""
    cfg = config.get_config("quick", overrides={"augment.n_versions": 1,
                                                "features.max_duration_s": 1.0,
                                                "features.n_mels": 32})
    return pipeline.prepare(cfg, corpus=synthetic_dir, progress=False,
                            cache_dir=tmp_path_factory.mktemp("exercise-cache"))


def _every_exercise():
    return [name for name, fn in inspect.getmembers(exercises, inspect.isfunction)
            if not name.startswith("_") and fn.__module__ == exercises.__name__
            and "show_solution" in inspect.signature(fn).parameters]


def test_hidden_solutions_reveal_no_number_and_return_nothing(capsys, catalog, tiny):
    arguments = {"files_per_actor": (catalog,), "neutral_class_weight": (catalog,),
                 "energy_below_1khz": (np.zeros(16_000), 16_000),
                 "versions_and_seeds": (np.zeros(16_000), 16_000),
                 "normalise_on_everything": (None, None), "siblings_by_protocol": (None,),
                 "without_class_weights": (tiny,), "accuracy_interval": ([0], [[1.0]]),
                 "leak_one_actor": (tiny,), "p1_sibling_share": (catalog,),
                 "paired_or_separate": (None,), "speaker_zscores": (None, None),
                 "fusion_on_validation": (None, None), "adapt_on_a_subset": (None, None),
                 "hop_and_alignment": (None, None)}
    names = _every_exercise()
    assert len(names) >= 14
    for name in names:
        assert getattr(exercises, name)(*arguments.get(name, ()), show_solution=False) is None
        printed = capsys.readouterr().out
        assert "show_solution=True" in printed and name in printed
        assert not re.search(r"\d", printed.replace(name, "")), f"{name} leaks: {printed}"


def test_every_exercise_is_called_from_a_notebook():
    notebooks = "".join(p.read_text() for p in
                        (config.REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for name in _every_exercise():
        assert f"exercises.{name}(" in notebooks, name


def test_files_per_actor_finds_the_incomplete_actor(catalog, capsys):
    complete = exercises.files_per_actor(catalog, show_solution=True)
    assert complete["expected"] == 60 and complete["incomplete"] == {}
    short = exercises.files_per_actor(catalog.drop(index=catalog.index[:3]), show_solution=True)
    assert short["incomplete"] == {int(catalog.actor.iloc[0]): 57}


def test_class_weight_times_count_is_the_same_for_every_class(catalog, capsys):
    result = exercises.neutral_class_weight(catalog, show_solution=True)
    assert result["neutral_ratio"] == pytest.approx(2.0)
    products = [result["weights"][e] * result["counts"][e] for e in result["weights"]]
    assert np.allclose(products, products[0])


@pytest.mark.parametrize("alpha", [0.5, 0.755, 0.8, 0.9])
def test_cutoff_for_alpha_matches_the_closed_form(alpha, capsys):
    result = exercises.cutoff_for_alpha(alpha, 48_000, show_solution=True)
    # |H(ω_c)|² = |H(0)|²/2  ⇔  cos ω_c = (4α − 1 − α²) / (2α), derived here independently
    expected = np.arccos((4 * alpha - 1 - alpha**2) / (2 * alpha)) * 48_000 / (2 * np.pi)
    assert result["cutoff_hz"] == pytest.approx(expected, rel=1e-9)
    assert abs(result["cutoff_read_hz"] - expected) <= result["bin_hz"]


def test_a_pole_nearer_one_lowers_the_cutoff(capsys):
    cutoffs = [exercises.cutoff_for_alpha(a, show_solution=True)["cutoff_hz"]
               for a in (0.6, 0.7, 0.8, 0.9)]
    assert all(np.diff(cutoffs) < 0)


def test_wrong_rate_cutoff_is_three_times_lower_and_to_bc_avoids_it(capsys):
    result = exercises.wrong_rate_cutoff(16_000, show_solution=True)
    assert result["ratio"] == pytest.approx(3.0, rel=1e-9) == result["rate_ratio"]
    assert result["wrong_measured_hz"] == pytest.approx(result["wrong_hz"], rel=0.05)
    assert result["to_bc_measured_hz"] == pytest.approx(result["right_hz"], rel=0.05)


def test_bc_raises_the_share_of_energy_below_1khz(capsys):
    noise = np.random.default_rng(0).standard_normal(32_000)
    result = exercises.energy_below_1khz(noise, 16_000, show_solution=True)
    assert result["ac_share_below"] == pytest.approx(1 / 8, abs=0.02)   # white: flat to 8 kHz
    assert result["bc_share_below"] > result["ac_share_below"] + 0.1


def test_paper_clip_counts_reproduce_table_three(capsys):
    result = exercises.paper_clip_counts(show_solution=True)
    assert result["clips"] == 21_600 and result["val_clips"] == result["paper_val_support"]


def test_versions_are_reproducible_and_only_random_ones_change(capsys):
    tone = np.sin(2 * np.pi * 220 * np.arange(16_000) / 16_000).astype(np.float32)
    result = exercises.versions_and_seeds(tone, 16_000, show_solution=True)
    assert result["reproducible"]
    assert {"original", "polarity_inversion"} <= set(result["unchanged"])
    assert "gaussian_noise" not in result["unchanged"]


@pytest.mark.parametrize("hop, seconds", [(160, 4.0), (320, 4.0), (320, 2.5)])
def test_frames_for_settings_prediction_matches_an_extraction(hop, seconds, capsys):
    result = exercises.frames_for_settings(hop, seconds, show_solution=True)
    assert result["predicted"] == result["extracted"] == 1 + int(seconds * 16_000) // hop


def test_normalising_on_everything_pulls_the_held_out_side_to_zero(tiny, capsys):
    split = pipeline.make_split(tiny, "P3")
    result = exercises.normalise_on_everything(tiny.cache, split, show_solution=True)
    assert result["offset_everything"] < result["offset_train_only"]


def test_doubling_the_width_quadruples_the_encoder_only(capsys):
    result = exercises.parameters_for_width(64, 128, show_solution=True)
    assert result["wide"]["conv"] == result["base"]["conv"]
    assert 3.5 < result["wide"]["encoder"] / result["base"]["encoder"] < 4.0


def test_any_length_gives_eight_logits_and_a_quarter_as_many_steps(capsys):
    result = exercises.any_length_clip(64, (51, 201, 401), show_solution=True)
    assert set(result["logit_shapes"].values()) == {(1, 8)}
    from bcser_utils.learn import model

    cfg = config.get_config().model  # each of the two blocks halves the frames, rounding up
    assert result["attention_steps"] == {n: model.conv_output_size(n, cfg) for n in (51, 201, 401)}
    assert result["attention_steps"] == {51: 13, 201: 51, 401: 101}


def test_p1_validation_clips_almost_all_have_siblings_and_p2_none(catalog, capsys):
    index = pd.concat([catalog.assign(version=v) for v in range(15)], ignore_index=True)
    result = exercises.siblings_by_protocol(index, show_solution=True)
    assert result["P1"]["share"] > 0.99
    assert result["P2"]["with_sibling"] == 0 and result["P2"]["validation"] > 0


@pytest.mark.parametrize("eps", [0.05, 0.1, 0.2, 0.5])
def test_smoothing_floor_is_the_loss_of_the_smoothed_target(eps, capsys):
    result = exercises.smoothing_floor_for(eps, show_solution=True)
    assert result["measured"] == pytest.approx(result["floor"], abs=1e-5)
    assert result["paper_floor"] == pytest.approx(0.467, abs=1e-3)
    assert (result["floor"] > result["paper_floor"]) == (eps > 0.1)


def test_without_class_weights_trains_with_uniform_weights(tiny, capsys):
    result = exercises.without_class_weights(tiny, epochs=1, show_solution=True)
    assert tiny.cfg.training.class_weight == "balanced"  # the notebook's settings are untouched
    assert result["uniform"]["class_weights"] == [1.0] * 8
    weighted = result["weighted"]["class_weights"]
    assert weighted[0] > 1.5 * max(weighted[1:])        # neutral: about twice the others
    for run in ("weighted", "uniform"):
        assert 0 <= result[run]["neutral_recall"] <= 1


def test_a_narrower_interval_needs_four_times_the_clips(capsys):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 8, 1600)
    proba = rng.random((1600, 8))
    proba[np.arange(800), y[:800]] += 2                     # about 56% right
    result = exercises.accuracy_interval(y, proba, show_solution=True)
    assert result["ci"][0] < result["accuracy"] < result["ci"][1]
    assert 1.6 < result["width_quarter"] / result["width"] < 2.5


def test_choosing_on_the_test_fold_inflates_a_chance_model(capsys):
    result = exercises.tuning_on_the_test_fold(120, 30, show_solution=True)
    assert result["selected_test_accuracy"] == max(result["test_accuracies"])
    assert result["selected_test_accuracy"] > result["chance"] + 0.04
    assert result["fresh_accuracy"] == pytest.approx(result["chance"], abs=0.03)


def test_leaking_a_test_actor_raises_its_test_accuracy(tiny, capsys):
    result = exercises.leak_one_actor(tiny, epochs=8, show_solution=True)
    assert result["actor"] == 1
    assert result["leaked"] > result["honest"] + 0.1


def test_p1_sibling_share_matches_its_prediction(catalog):
    result = exercises.p1_sibling_share(catalog, (2, 3, 15), show_solution=True)
    n_recordings = len(catalog)
    for n, share in result["shares"].items():
        p, clips = share["predicted"], 0.2 * n * n_recordings
        # a binomial count over ~clips validation clips: within 4 standard deviations
        assert share["counted"] == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / clips) + 0.01)
    counted = [result["shares"][n]["counted"] for n in (2, 3, 15)]
    assert counted == sorted(counted) and counted[-1] > 0.99


def test_paired_interval_is_narrower_than_two_separate_ones():
    emotions = config.get_config().emotions
    rng = np.random.default_rng(3)
    n = 400
    y = rng.integers(0, 8, n)
    right = rng.random(n) < 0.5                     # the clips both models find easy
    bc_right = right | (rng.random(n) < 0.10)       # BC gets a few more of the hard ones
    ac_right = right
    def proba(correct):
        return np.eye(8)[np.where(correct, y, (y + 1) % 8)]

    def table(signal, p):
        return pd.DataFrame(p, columns=emotions).assign(
            signal=signal, kind="clean", snr_db=np.inf, name=[f"c{i:03d}" for i in range(n)],
            actor=np.arange(n) % 10 + 1, y=y)

    robust = pd.concat([table("bc", proba(bc_right)), table("ac", proba(ac_right))])
    result = exercises.paired_or_separate(robust, show_solution=True)
    paired_width = result["paired"][1] - result["paired"][0]
    separate_width = result["separate"][1] - result["separate"][0]
    assert paired_width < separate_width / 2
    assert result["paired"][0] > 0 > result["separate"][0]  # only the paired interval sees it


def test_speaker_zscores_by_hand_match_the_package_and_ignore_a_speakers_loudness_factor(capsys):
    rng = np.random.default_rng(0)
    names = ["loudness_sma3_amean", "loudness_sma3_percentile50.0", "loudness_sma3_stddevNorm",
             "F0semitoneFrom27.5Hz_sma3nz_amean"]
    values = pd.DataFrame(rng.gamma(2.0, 1.0, (40, 4)), columns=names)
    values.insert(0, "speaker", np.repeat([1, 2, 3, 4], 10))
    result = exercises.speaker_zscores(values, names, show_solution=True)
    assert result["max_difference_pandas_vs_package"] < 1e-4
    assert result["loudness_functionals"] == names[:2]  # a ratio (stddevNorm) has no unit to scale
    assert result["raw_change"] > 0.1 and result["standardised_change"] < 1e-4


def test_fusion_weight_is_chosen_on_validation_and_scored_once_on_test(capsys):
    emotions = list(config.get_config().emotions)

    def predictions(right_share, seed):
        rows = []
        for part, actors in (("val", (1, 2)), ("test", (3, 4))):
            for actor in actors:
                for i in range(40):
                    y = i % 8
                    p = np.random.default_rng([seed, actor, i]).dirichlet(np.ones(8))
                    if (i * 7919 + seed) % 100 < 100 * right_share:
                        p[y] += 1.5
                    rows.append({"part": part, "name": f"a{actor}-{i}", "actor": actor, "y": y,
                                 **dict(zip(emotions, p / p.sum(), strict=True))})
        return pd.DataFrame(rows)

    deep, classical = predictions(0.9, 1), predictions(0.1, 2)
    result = exercises.fusion_on_validation(deep, classical, show_solution=True)
    assert result["weight"] == max(result["val_by_weight"],
                                   key=lambda w: (result["val_by_weight"][w], w))
    assert result["weight"] >= 0.75  # the far better model carries most of the weight
    from bcser_utils.learn import evaluation

    fused = evaluation.fuse(deep, classical, result["weight"])
    assert result["test"]["fusion"] == evaluation.table_score(evaluation.part(fused, "test"),
                                                         n_boot=0)["accuracy"]
    assert result["test"]["deep"] > result["test"]["baseline"]


@pytest.fixture(scope="module")
def own_voice(ravdess_dir, tmp_path_factory):
    """Actor 05's 8 emotions of "Kids are talking by the door", and the default model."""
    from bcser_utils.app import predict, voice

    clips, _ = voice.stand_in(tmp_path_factory.mktemp("voice"), ravdess_dir, actor=5)
    return clips, predict.load_model(same_speaker=True)


def test_adapting_to_quiet_emotions_alone_misreads_clips_named_right_among_all_eight(own_voice,
                                                                                   capsys):
    clips, model = own_voice
    quiet = ["neutral", "calm", "sad", "fearful"]
    result = exercises.adapt_on_a_subset(clips, quiet, model, show_solution=True)
    assert result["n"] == 4 and result["subset_alone"] < result["among_all"]


def test_a_finer_hop_puts_a_window_on_every_sentence(own_voice, tmp_path, capsys):
    from bcser_utils.app import voice

    clips, model = own_voice
    spans = voice.join(clips, tmp_path / "joined.flac")
    assert [e for e, *_ in spans] == list(clips)
    gaps = [b[1] - a[2] for a, b in zip(spans[:-1], spans[1:], strict=True)]
    assert gaps == pytest.approx([1.0] * 7, abs=1e-3)
    right = exercises.hop_and_alignment(tmp_path / "joined.flac", spans, (1.0, 0.25), model,
                                        show_solution=True)
    assert right[0.25] >= right[1.0]



# ---------------------------------------------------------------- checking the student's answer

def _line(capsys) -> str:
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1, printed   # one line
    return printed


def _assert_hides(printed: str, *values: float) -> None:
    """The message names no reference value, in any of the usual roundings."""
    for v in values:
        for text in {f"{v:.0f}", f"{v:,.0f}", f"{v:.1f}", f"{v:.2f}", f"{v:.3g}", f"{v:.1%}"}:
            if len(text.strip("0.,%-")) >= 2:
                assert text not in printed, (text, printed)


def test_verdict_is_recorded_and_printed_as_one_line(capsys):
    right = exercises.cutoff_for_alpha(0.8, answer=exercises.bc.cutoff_hz(48_000, alpha=0.8))
    assert right == exercises.Verdict("2.1", True, "")
    assert _line(capsys) == "✓ Exercise 2.1: right.\n"
    assert exercises.verdicts()["2.1"] is right
    wrong = exercises.cutoff_for_alpha(0.8, answer=1.0)
    assert not wrong.ok and exercises.verdicts()["2.1"] == wrong
    assert _line(capsys).startswith("✗ Exercise 2.1: not yet. ")


def test_checked_lists_functions_that_take_an_answer_and_notebooks_that_pass_it():
    notebooks = {p.stem: p.read_text() for p in
                 (config.REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert "2.1" in exercises.CHECKED
    for number, (stem, name) in exercises.CHECKED.items():
        assert "answer" in inspect.signature(getattr(exercises, name)).parameters, name
        assert f"### Exercise {number} " in notebooks[stem], number
        assert re.search(rf"exercises\.{name}\([^)]*answer=my_\w+", notebooks[stem]), number


def test_none_asks_for_the_variable(capsys):
    assert exercises.cutoff_for_alpha(0.8) is None
    printed = _line(capsys)
    assert "my_cutoff_hz" in printed and not re.search(r"\d", printed.replace("my_", ""))


def test_show_solution_with_an_answer_checks_and_reveals(capsys):
    result = exercises.cutoff_for_alpha(0.8, answer=1.0, show_solution=True)
    assert isinstance(result, dict) and exercises.verdicts()["2.1"].ok is False
    assert "not yet" in capsys.readouterr().out


CUTOFF_08 = np.arccos((4 * 0.8 - 1 - 0.8**2) / (2 * 0.8)) * 48_000 / (2 * np.pi)


@pytest.mark.parametrize("answer, hint", [
    (CUTOFF_08 / 1000, "kHz"),
    (exercises.bc.cutoff_hz(48_000), "paper's pole"),
    (2 * np.pi * CUTOFF_08 / 48_000, "radians per sample"),
    (np.degrees(2 * np.pi * CUTOFF_08 / 48_000), "degrees"),
    (2 * np.pi * CUTOFF_08, "2πf"),
    (2 * CUTOFF_08, "not 2π"),
    (CUTOFF_08 / 2, "Nyquist"),
    (CUTOFF_08 / 3, "16 kHz"),
    (CUTOFF_08 * 44_100 / 48_000, "44.1 kHz"),
    (CUTOFF_08 * 1.5, "too high"),
    ("1700 Hz", "not str"),
])
def test_cutoff_for_alpha_names_the_slip(answer, hint, capsys):
    verdict = exercises.cutoff_for_alpha(0.8, answer=answer)
    printed = _line(capsys)
    assert not verdict.ok and hint in verdict.hint and verdict.hint in printed
    _assert_hides(printed, CUTOFF_08)


def test_cutoff_for_alpha_accepts_a_value_read_off_the_curve(capsys):
    assert exercises.cutoff_for_alpha(0.8, answer=round(CUTOFF_08, -1)).ok
    assert exercises.cutoff_for_alpha(0.8, answer=np.float32(CUTOFF_08)).ok
