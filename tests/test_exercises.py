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
                 "hop_and_alignment": (None, None), "beat_the_baseline": (tiny,)}
    names = _every_exercise()
    assert len(names) >= 14
    for name in names:
        assert getattr(exercises, name)(*arguments.get(name, ()), show_solution=False) is None
        printed = capsys.readouterr().out
        assert "show_solution=True" in printed and name in printed
        assert not re.search(r"\d", re.sub(r"my_\w+|P\d", "", printed.replace(name, ""))), \
            f"{name} leaks: {printed}"


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
    deep, classical = _fusion_tables(0.9, 1), _fusion_tables(0.1, 2)
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


@pytest.fixture(scope="module")
def adapting(own_voice):
    """The default's classical half alone (weight 0): the part that adapts to a speaker."""
    import dataclasses

    return dataclasses.replace(own_voice[1], weight=0.0)


def test_adapting_to_quiet_emotions_alone_misreads_clips_named_right_among_all_eight(own_voice,
                                                                                   adapting,
                                                                                   capsys):
    clips, _ = own_voice
    quiet = ["neutral", "calm", "sad", "fearful"]
    result = exercises.adapt_on_a_subset(clips, quiet, adapting, show_solution=True)
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
        assert re.search(rf"exercises\.{name}\(.*answer=my_\w+", notebooks[stem]), number


def test_none_asks_for_the_variable(capsys):
    assert exercises.cutoff_for_alpha(0.8) is None
    printed = _line(capsys)
    assert printed.startswith("Put your cut-off in Hz in my_cutoff_hz, then run this cell again")
    assert not re.search(r"\d", printed.replace("my_", ""))


@pytest.mark.parametrize("template", [{2: None, 3: None, 5: None}, None])
def test_a_template_of_nones_is_not_an_answer_yet(template, catalog, capsys):
    assert exercises.p1_sibling_share(catalog, answer=template) is None
    assert "Put your shares" in _line(capsys) and "8.1" not in exercises.verdicts()


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


def _assert_checks(call, right, slips, capsys, hidden=(), right_word=None):
    """``call(answer)``: every answer in ``right`` passes; each slip ``(answer, key)`` fails with
    a hint holding its key and no other slip's; no message holds a ``hidden`` reference value
    (nor, for a choice, the ``right_word``)."""
    for answer in right:
        verdict = call(answer)
        assert _line(capsys) == f"{verdict}\n" and verdict.ok, (answer, verdict)
    keys = [key for _, key in slips]
    for answer, key in slips:
        verdict = call(answer)
        printed = _line(capsys)
        assert not verdict.ok and key in verdict.hint, (answer, verdict.hint)
        assert printed.startswith(f"✗ Exercise {verdict.exercise}: not yet. ")
        others = [k for k in keys if k != key and k not in key and key not in k]
        assert not [k for k in others if k in verdict.hint], (answer, verdict.hint)
        _assert_hides(printed, *hidden)
        if right_word and "' or '" not in verdict.hint:   # listing the options is fine
            assert not re.search(rf"\b{right_word}\b", verdict.hint, re.I), verdict.hint


def test_files_per_actor_check(capsys):
    _assert_checks(lambda a: exercises.files_per_actor(None, answer=a), [60, 60.0, np.int64(60)],
                   [(64, "only one intensity"), (56, "left out neutral"), (32, "two intensities"),
                    (30, "said twice"), (15, "Multiply by the 2 statements"), (120, "too many"),
                    (1440, "whole corpus"), (24, "not files per actor"), (900, "augmented clips"),
                    (61, "too high"), ("sixty", "not str")], capsys, hidden=(60,))


def test_neutral_class_weight_check(catalog, capsys):
    _assert_checks(lambda a: exercises.neutral_class_weight(catalog, answer=a), [2, 2.0],
                   [(0.5, "Upside down: a"), (1, "counts do"), (200, "looks like a percentage"),
                    (50, "Upside down, and as a percentage"), (3, "too high")], capsys)


def test_wrong_rate_cutoff_check(capsys):
    right = exercises.bc.cutoff_hz(16_000)
    designed = exercises.bc.cutoff_hz(48_000)
    _assert_checks(lambda a: exercises.wrong_rate_cutoff(16_000, answer=a),
                   [right, round(right, -1), right * 1.04],   # read off a measured curve
                   [(designed, "where the coefficients were designed"),
                    (designed * 3, "Wrong way round"), (right / 1000, "looks like kHz"),
                    (2 * np.pi * right / 16_000, "radians per sample"),
                    (2 * np.pi * right, "angular frequency"), (right / 2, "too low")],
                   capsys, hidden=(right,))


def test_energy_below_1khz_check_measures_the_clip(capsys):
    noise = np.random.default_rng(0).standard_normal(16_000)
    _assert_checks(lambda a: exercises.energy_below_1khz(noise, 16_000, answer=a),
                   ["raise", " Raises", "higher"],
                   [("lower", "high band shrinks more"), ("sideways", "not one of"),
                    (0.5, "(a string)")], capsys, right_word="raise")


def test_paper_clip_counts_check(capsys):
    _assert_checks(lambda a: exercises.paper_clip_counts(answer=a), [15, 15.0],
                   [(3, "every clip"), (3.75, "training share"), (21_600, "clips in all"),
                    (14, "count it too"), (16, "already one of"), (20, "too high")],
                   capsys, hidden=(15,))


def test_versions_and_seeds_check(capsys):
    tone = np.sin(2 * np.pi * 220 * np.arange(16_000) / 16_000).astype(np.float32)
    unchanged = exercises.versions_and_seeds(tone, 16_000, show_solution=True)["unchanged"]
    labels = exercises.versions_and_seeds(tone, 16_000, show_solution=True)["labels"]
    capsys.readouterr()
    changed = [label for label in labels if label not in unchanged]
    _assert_checks(lambda a: exercises.versions_and_seeds(tone, 16_000, answer=a),
                   [unchanged, tuple(reversed(unchanged)), np.array(unchanged)],
                   [(labels, "draw a random parameter (Table II)"),
                    ([], "same under every seed"), (changed, "the question asks which stay"),
                    (unchanged + changed[:1], "of yours draw something at random"),
                    (unchanged[1:], "You left out 1"), (["echo", "reverb"], "Not labels"),
                    ("original", "a list of version labels")], capsys)


def test_frames_for_settings_check(capsys):
    _assert_checks(lambda a: exercises.frames_for_settings(160, 4.0, answer=a), [401],
                   [(400, "One frame short"), (201, "default hop"), (397, "without padding"),
                    (1201, "not at the recordings' rate"), (552, "22,050"),
                    (1103, "computed at 16 kHz."), (800, "too high")], capsys, hidden=(401,))


def test_normalise_on_everything_check_measures(tiny, capsys):
    split = pipeline.make_split(tiny, "P3")
    _assert_checks(lambda a: exercises.normalise_on_everything(tiny.cache, split, answer=a),
                   ["closer", "Closer to 0"],
                   [("farther", "their own statistics"), ("same", "not one of")], capsys,
                   right_word="closer")


def test_parameters_for_width_check(capsys):
    right = {"conv": 1, "project": 2, "encoder": 4, "pool": 4, "classify": 2}
    _assert_checks(lambda a: exercises.parameters_for_width(64, 128, answer=a),
                   [right, right | {"encoder": 3.96}, right | {"position": 1}],
                   [(dict.fromkeys(right, 2), "You scaled every block"),
                    (right | {"encoder": 2}, "Not yet for encoder:"),
                    (right | {"conv": 2, "classify": 4}, "Not yet for conv, classify:"),
                    ({"conv": 1}, "Give a number for each block"),
                    (right | {"attention": 4}, "Not blocks of this model"),
                    ([1, 2, 4], "Give a dict")],
                   capsys)


def test_any_length_clip_check(capsys):
    _assert_checks(lambda a: exercises.any_length_clip(64, answer=a),
                   ["pool", "attention pooling", "Pooling"],
                   [("conv", "slide over any length"), ("project", "frame by frame"),
                    ("position", "positional table"), ("encoder", "self-attention accepts"),
                    ("classify", "fixed size"), ("attention", "name the block")], capsys,
                   right_word="pool")


def test_siblings_by_protocol_check(catalog, capsys):
    index = pd.concat([catalog.assign(version=v) for v in range(3)], ignore_index=True)
    counts = exercises._sibling_counts(index)
    assert counts["P2"]["with_sibling"] == 0
    _assert_checks(lambda a: exercises.siblings_by_protocol(index, answer=a), [0, 0.0],
                   [(counts["P1"]["with_sibling"], "P1's count"),
                    (counts["P2"]["validation"], "every validation clip"),
                    (5_000, "too high")],
                   capsys)


def test_smoothing_floor_for_check(capsys):
    from bcser_utils.learn import training

    right = training.smoothing_floor(8, 0.2)
    other = -0.8 * np.log(0.8) - 0.2 * np.log(0.2 / 7)
    _assert_checks(lambda a: exercises.smoothing_floor_for(0.2, answer=a),
                   [right, round(right, 3)],
                   [(0, "no longer one-hot"), (right / np.log(2), "in bits"),
                    (right / np.log(10), "log10"), (training.smoothing_floor(8, 0.1), "paper's ε"),
                    (other, "K − 1 other classes"), (-np.log(0.8 + 0.2 / 8), "one-hot label"),
                    (2.0, "too high")], capsys, hidden=(right,))


def test_without_class_weights_check_needs_no_training(capsys):
    _assert_checks(lambda a: exercises.without_class_weights(None, answer=a),
                   ["less", "less often", "Fewer"],
                   [("more", "which classes dominate"), ("same", "half the files")], capsys,
                   right_word="less")


def test_accuracy_interval_check(capsys):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 8, 1600)
    proba = rng.random((1600, 8))
    proba[np.arange(800), y[:800]] += 2
    _assert_checks(lambda a: exercises.accuracy_interval(y, proba, answer=a), [2, 1.9, 2.15],
                   [(4, "The width falls like"), (0.5, "Upside down: fewer"),
                    (0.25, "Upside down, and"), (np.sqrt(2), "factor of 4"), (200, "percentage"),
                    (3, "too high")], capsys)


def test_tuning_on_the_test_fold_check_uses_the_exact_maximum(capsys):
    mean, sd = exercises._best_of_guessers(120, 20, 8)
    simulated = np.random.default_rng(0).binomial(120, 1 / 8, (20_000, 20)).max(1) / 120
    assert mean == pytest.approx(simulated.mean(), abs=0.002)
    assert sd == pytest.approx(simulated.std(), abs=0.002)
    _assert_checks(lambda a: exercises.tuning_on_the_test_fold(120, 20, answer=a),
                   [mean, 0.18, 0.2],
                   [(18, "percentage"), (0.125, "one random model"), (0.9, "Far too high"),
                    (0.3, "too high"), (0.1, "too low")], capsys, hidden=(mean,))


def test_leak_one_actor_check_needs_no_training(capsys):
    _assert_checks(lambda a: exercises.leak_one_actor(None, answer=a), ["higher", "better"],
                   [("lower", "make it worse"), ("same", "clips it has learnt")], capsys,
                   right_word="higher")


def test_p1_sibling_share_check(catalog, capsys):
    right = {n: 1 - 0.2 ** (n - 1) for n in (2, 3, 5)}
    _assert_checks(lambda a: exercises.p1_sibling_share(catalog, answer=a),
                   [right, {str(n): v for n, v in right.items()}, right | {15: 1.0}],
                   [({n: 0.2 ** (n - 1) for n in right}, "NO sibling"),
                    ({n: 1 - 0.2 ** n for n in right}, "Off by one"),
                    ({n: 100 * v for n, v in right.items()}, "percentages"),
                    ({n: 1 - 0.8 ** (n - 1) for n in right}, "training share"),
                    ({n: 0.8 * (n - 1) for n in right}, "do not add up"),
                    (right | {5: 0.5}, "Not yet for n = 5:"), ({2: 0.8}, "n = 3, n = 5."),
                    (0.8, "Give a dict")], capsys, hidden=(0.96, 0.9984))


def _robust(n=200, seed=3):
    emotions = config.get_config().emotions
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 8, n)
    bc_right, ac_right = rng.random(n) < 0.6, rng.random(n) < 0.4

    def table(signal, right):   # AC's wrong answers agree with BC's on every other clip
        shift = 1 + (np.arange(n) % 2) * (signal == "ac")
        p = np.eye(8)[np.where(right, y, (y + shift) % 8)]
        return pd.DataFrame(p, columns=emotions).assign(
            signal=signal, kind="clean", snr_db=np.inf, name=[f"c{i:03d}" for i in range(n)],
            actor=np.arange(n) % 10 + 1, y=y)

    return pd.concat([table("bc", bc_right), table("ac", ac_right)]), y, bc_right, ac_right


def test_paired_or_separate_check(capsys):
    robust, y, bc_right, ac_right = _robust()
    both = int((bc_right & ac_right).sum())
    same = both + int((~bc_right & ~ac_right & (np.arange(len(y)) % 2 == 0)).sum())
    assert len({same, both, len(y) - same, int(bc_right.sum())}) == 4
    _assert_checks(lambda a: exercises.paired_or_separate(robust, answer=a),
                   [same, same / len(y), same + 1],
                   [(100 * same / len(y), "percentage"), (len(y) - same, "DIFFER"),
                    ((len(y) - same) / len(y), "DIFFER"), (both, "both get right"),
                    (bc_right.mean(), "accuracy"), (len(y), "too high")], capsys)


def _zscore_values():
    rng = np.random.default_rng(0)
    names = ["loudness_sma3_amean", "loudness_sma3_percentile50.0", "loudness_sma3_stddevNorm",
             "F0semitoneFrom27.5Hz_sma3nz_amean"]
    values = pd.DataFrame(rng.gamma(2.0, 1.0, (40, 4)), columns=names)
    values.insert(0, "speaker", np.repeat([1, 2, 3, 4], 10))
    return values, names


def test_speaker_zscores_check_measures(capsys):
    values, names = _zscore_values()
    _assert_checks(lambda a: exercises.speaker_zscores(values, names, answer=a),
                   ["unchanged", "the same"],
                   [("smaller", "0.66·x"), ("larger", "does not give a larger"),
                    ("louder", "not one of")], capsys, right_word="unchanged")


def _fusion_tables(right_share, seed):
    emotions = list(config.get_config().emotions)
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


def test_fusion_on_validation_check(capsys):
    from bcser_utils.learn import evaluation
    from bcser_utils.studies import final_model

    deep, classical = _fusion_tables(0.5, 1), _fusion_tables(0.45, 2)
    weights = (0.0, 0.25, 0.5, 0.75, 1.0)
    val = final_model.fusion_weights(evaluation.part(deep, "val"),
                                     evaluation.part(classical, "val"), weights)
    right = max(val, key=lambda w: (val[w], w))
    test = {w: evaluation.table_score(evaluation.part(evaluation.fuse(deep, classical, w), "test"),
                                      n_boot=0)["accuracy"] for w in weights}
    on_test = max(test, key=lambda w: (test[w], w))
    assert len({right, on_test, 1 - right}) == 3, "the tables must tell the slips apart"
    _assert_checks(lambda a: exercises.fusion_on_validation(deep, classical, answer=a), [right],
                   [(on_test, "TEST actors"), (1 - right, "Upside down"),
                    (100 * right, "percentage")], capsys)


def test_adapt_on_a_subset_check_needs_no_model(capsys):
    _assert_checks(lambda a: exercises.adapt_on_a_subset(None, [], answer=a), ["fewer", "less"],
                   [("more", "average of four"), ("same", "another average")], capsys,
                   right_word="fewer")


def test_hop_and_alignment_check(capsys):
    hops = (1.0, 0.5, 0.25)
    _assert_checks(lambda a: exercises.hop_and_alignment(None, None, hops, answer=a),
                   [{1.0: 0.5, 0.5: 0.25, 0.25: 0.125}, {"1": 0.5, "0.5": 0.25, "0.25": 0.125}],
                   [({h: h for h in hops}, "A whole hop"), ({h: 500 * h for h in hops},
                                                            "milliseconds"),
                    ({h: h / 4 for h in hops}, "Too close"), ({h: 2.0 for h in hops},
                                                              "half a window"),
                    ({1.0: 0.5, 0.5: 0.3, 0.25: 0.125}, "how far from the nearest"),
                    ({1.0: 0.5}, "hop 0.5 s, 0.25 s."), (0.5, "Give a dict")], capsys,
                   hidden=(0.125,))


# ---------------------------------------------------------------- the threshold task (9.3)

@pytest.fixture(scope="module")
def student_model(tiny):
    """A model trained for two epochs on the training actors of P3 fold 1 of the tiny corpus,
    and the cache rows of that fold's early-stopping actors (originals)."""
    split = pipeline.make_split(tiny, "P3", 0)
    trained = pipeline.train(tiny, split, progress=False, max_epochs=2)
    rows = np.asarray(split.val)[tiny.cache.index["version"].to_numpy()[split.val] == 0]
    return trained, rows


def _bar_table(tiny, trained, rows, change: int):
    """A baseline's predictions: the student's own on the early-stopping clips, with ``change``
    more clips right (> 0) or wrong (< 0); and perfect ones on the test actors."""
    emotions = list(tiny.cfg.emotions)
    index = tiny.cache.index
    y = index["emotion_code"].to_numpy()[rows] - 1
    guess = trained.probabilities(tiny.cache.features[rows], index["actor"].to_numpy()[rows])
    guess = guess.argmax(1)
    right, wrong = np.flatnonzero(guess == y), np.flatnonzero(guess != y)
    assert len(right) >= 1 and len(wrong) >= 1
    if change > 0:
        guess[wrong[:change]] = y[wrong[:change]]
    elif change < 0:
        guess[right[:-change]] = (y[right[:-change]] + 1) % 8
    val = pipeline.prediction_table("val", index.iloc[rows], np.eye(8)[guess], emotions)
    test_rows = np.asarray(pipeline.make_split(tiny, "P3", 0).test)
    test_y = index["emotion_code"].to_numpy()[test_rows] - 1
    test = pipeline.prediction_table("test", index.iloc[test_rows], np.eye(8)[test_y], emotions)
    return pd.concat([val, test], ignore_index=True).assign(fold=0)


@pytest.mark.parametrize("change, ok, says", [(-1, True, "+"), (0, False, "+0.0 points"),
                                              (1, False, "-")])
def test_beat_the_baseline_measures_the_model_on_the_early_stopping_actors(
        tiny, student_model, change, ok, says, capsys):
    trained, rows = student_model
    table = _bar_table(tiny, trained, rows, change)
    verdict = exercises.beat_the_baseline(tiny, baseline_table=table, answer=trained)
    printed = _line(capsys)
    assert verdict.ok is ok and exercises.verdicts()["9.3"] == verdict
    margin = 100 / len(rows)   # one clip, in points
    assert f"{-change * margin:+.1f} points" in printed and says in printed
    assert f"on the {len(rows)} original clips of the early-stopping actors" in printed
    assert printed.startswith("✓ Exercise 9.3: right. Your model" if ok
                              else "✗ Exercise 9.3: not yet. Your model")


def test_beat_the_baseline_refuses_what_it_cannot_measure(tiny, student_model, tmp_path, capsys):
    trained, rows = student_model
    table = _bar_table(tiny, trained, rows, 0)
    heard = pipeline.make_split(tiny, "P3", 0)
    cheat = pipeline.Trained(trained.model, trained.normalizer, trained.fit,
                             heard.__class__(heard.protocol, np.concatenate([heard.train, rows]),
                                             heard.val, heard.test, heard.description, 0),
                             trained.seconds)
    for answer, hint in [(0.9, "A number is not checked"), ([1, 2], "not a list"),
                         (tmp_path, "No model.pt"), (cheat, "early-stopping actors of P3 fold 1")]:
        verdict = exercises.beat_the_baseline(tiny, baseline_table=table, answer=answer)
        assert not verdict.ok and hint in verdict.hint and hint in _line(capsys)


def test_beat_the_baseline_shows_the_bar(tiny, student_model, capsys):
    trained, rows = student_model
    bar = exercises.beat_the_baseline(tiny, baseline_table=_bar_table(tiny, trained, rows, 0),
                                      show_solution=True)
    assert bar["clips"] == len(rows) and "the bar:" in capsys.readouterr().out
