"""The figures draw what they are given (checked on the artists, not by eye), each module of
its kind with the one palette of ``present.style``."""

import ast
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bcser_utils.present import (  # noqa: E402
    comparison_plots,
    evaluation_plots,
    prediction_plots,
    signal_plots,
    style,
    training_plots,
)

EMOTIONS = list(style.EMOTIONS)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


FIGURES = (style, signal_plots, training_plots, evaluation_plots, prediction_plots,
           comparison_plots)


@pytest.mark.parametrize("module", FIGURES, ids=lambda m: m.__name__.split(".")[-1])
def test_figure_modules_import_no_model_code_and_only_the_palette_and_names_of_the_package(module):
    tree = ast.parse(Path(module.__file__).read_text())
    ours = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("bcser_utils")}
    absolute = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    absolute |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and not node.level
                 and not node.module.startswith("bcser_utils")}
    # the config, the one palette, and the one name of a noise condition
    assert ours <= {"bcser_utils", "bcser_utils.present.style", "bcser_utils.present.formatting"}
    assert absolute <= {"os", "pathlib", "matplotlib", "seaborn", "numpy", "pandas", "__future__"}


@pytest.mark.parametrize("module", FIGURES[1:], ids=lambda m: m.__name__.split(".")[-1])
def test_one_palette_no_figure_module_names_a_colour_of_its_own(module):
    # every colour is a role of style's palette; only shades of grey, black and white are ink
    source = Path(module.__file__).read_text()
    assert re.findall(r"[\"']#[0-9a-fA-F]{6}[\"']", source) == []
    named = set(re.findall(r"color=[\"'](\w+)[\"']", source))
    assert named <= {"k", "white", "gold", "none"}


def test_the_palette_colours_the_eight_emotions_in_the_paper_order_each_apart():
    from bcser_utils import config

    assert list(style.PALETTE) == list(config.get_config().emotions) == EMOTIONS
    assert len(set(style.PALETTE.values())) == 8
    assert set(style.SIGNAL_COLORS) == {"ac", "bc"} and len(set(style.SIGNAL_COLORS.values())) == 2


def test_save_fig_stamps_the_source_and_marks_synthetic_figures(tmp_path):
    fig = plt.figure()
    path = style.save_fig(fig, "x", "Data: somewhere", synthetic=True, folder=tmp_path)
    assert path == tmp_path / "x.png" and path.stat().st_size > 0
    texts = [t.get_text() for t in fig.texts]
    assert "Data: somewhere" in texts and any("SYNTHETIC" in t for t in texts)


def test_confusion_heatmap_cells_show_the_matrix_in_paper_order():
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 50, (8, 8)) + np.eye(8, dtype=int) * 100
    matrix = counts / counts.sum(1, keepdims=True)
    fig = evaluation_plots.confusion_heatmap(matrix)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts == [f"{v:.2f}" for v in matrix.ravel()]  # row-major: true down, predicted across
    assert [t.get_text() for t in ax.get_xticklabels()] == EMOTIONS
    assert [t.get_text() for t in ax.get_yticklabels()] == EMOTIONS
    assert ax.get_ylabel() == "true" and ax.get_xlabel() == "predicted"


def test_confusion_heatmap_counts_are_integers():
    fig = evaluation_plots.confusion_heatmap(np.full((8, 8), 3) + np.eye(8) * 40, normalized=False)
    assert {t.get_text() for t in fig.axes[0].texts} == {"3", "43"}


def test_roc_legend_names_each_class_with_its_auc_in_paper_order():
    auc = {e: 0.5 + k / 20 for k, e in enumerate(EMOTIONS)}
    roc = {e: {"fpr": [0, 0.1, 1], "tpr": [0, 0.9, 1]} for e in reversed(EMOTIONS)}
    fig = evaluation_plots.roc_curves(roc, auc)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[:8] == [f"{e} (AUC {auc[e]:.3f})" for e in EMOTIONS]
    line = fig.axes[0].get_lines()[0]
    assert line.get_color() == style.PALETTE["neutral"]
    np.testing.assert_allclose(line.get_xdata(), [0, 0.1, 1])


def test_training_curves_mark_the_best_epoch_and_the_floor():
    history = {"epoch": [1, 2, 3, 4], "train_loss": [1.9, 1.4, 1.1, 0.9],
               "val_loss": [1.7, 1.3, 1.35, 1.4], "train_accuracy": [0.2, 0.4, 0.5, 0.6],
               "val_accuracy": [0.3, 0.45, 0.44, 0.43], "seconds": [1, 1, 1, 1]}
    fig = training_plots.training_curves(history, best_epoch=2, floor=0.467)
    loss_ax, acc_ax = fig.axes
    for ax, value in ((loss_ax, 1.3), (acc_ax, 0.45)):
        star = [line for line in ax.get_lines() if line.get_marker() == "*"]
        assert len(star) == 1
        assert list(star[0].get_xdata()) == [2] and list(star[0].get_ydata()) == [value]
    floors = [line for line in loss_ax.get_lines() if "floor" in str(line.get_label())]
    assert len(floors) == 1 and floors[0].get_ydata()[0] == pytest.approx(0.467)
    assert loss_ax.get_ylim()[0] < 0.467  # the floor is visible, not clipped away


def test_per_class_bars_follow_paper_order_whatever_the_dict_order():
    values = {e: float(k) + 1 for k, e in enumerate(EMOTIONS)}
    shuffled = dict(reversed(list(values.items())))
    fig = evaluation_plots.per_class_bars({"IoU": shuffled}, overall={"IoU": 4.5},
                                          reported={"IoU": 0.9})
    ax = fig.axes[0]
    assert [p.get_height() for p in ax.patches] == [values[e] for e in EMOTIONS]
    assert [t.get_text() for t in ax.get_xticklabels()] == EMOTIONS
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["ours, overall 4.500", "paper, overall 0.9"]


def test_reliability_diagram_draws_bin_accuracies_and_names_the_ece():
    calibration = {"ece": 0.123, "bins": [
        {"lower": k / 4, "upper": (k + 1) / 4, "count": c, "confidence": conf, "accuracy": acc}
        for k, (c, conf, acc) in enumerate([(0, None, None), (10, 0.4, 0.3), (20, 0.6, 0.7),
                                            (30, 0.9, 0.8)])]}
    fig = evaluation_plots.reliability_diagram(calibration)
    top, bottom = fig.axes
    accuracy_bars = [p for p in top.patches if p.get_facecolor()[:3] == matplotlib.colors.to_rgb(
        "#1f77b4")]
    assert [p.get_height() for p in accuracy_bars] == pytest.approx([0.3, 0.7, 0.8])
    assert [p.get_x() for p in accuracy_bars] == pytest.approx([0.25, 0.5, 0.75])
    assert "0.123" in top.get_title()
    assert [p.get_height() for p in bottom.patches] == [0, 10, 20, 30]


def test_probability_bars_outline_the_most_probable_emotion():
    probabilities = dict.fromkeys(EMOTIONS, 0.05)
    probabilities["sad"] = 0.65
    fig = prediction_plots.probability_bars(probabilities, true="calm")
    ax = fig.axes[0]
    outlined = [t.get_text() for t, p in zip(ax.get_xticklabels(), ax.patches, strict=True)
                if p.get_linewidth() > 0 and p.get_edgecolor()[3] > 0]
    assert outlined == ["sad"]
    assert "predicted: sad" in ax.get_title().lower() and "true: calm" in ax.get_title()


def test_separation_histograms_shade_the_overlap_only_where_a_ranking_is_broken():
    y = np.repeat(np.arange(8), 5)
    p = np.full((40, 8), 0.02)
    p[np.arange(40), y] = 0.86  # every positive outranks every negative ...
    p[0, 0], p[0, 1] = 0.30, 0.58  # ... and a neutral clip called calm, a near-tie: no AUC lost

    def overlaps(fig):
        return [ax.get_title().split()[0] for ax in fig.axes
                if any(patch.get_gid() == "overlap" for patch in ax.patches)]

    assert overlaps(evaluation_plots.separation_histograms(y, p)) == []
    p[1, 0], p[1, 1] = 0.01, 0.90  # a neutral clip confidently called calm: both rankings break
    fig = evaluation_plots.separation_histograms(y, p)
    assert overlaps(fig) == ["neutral", "calm"]
    lines = {ax.get_title().split()[0]: [round(line.get_xdata()[0], 2) for line in ax.get_lines()]
             for ax in fig.axes}
    assert fig.axes[1].get_title() == "calm\nlowest calm 0.86 · highest other 0.90"
    assert lines["neutral"] == [0.01, 0.02]  # lowest neutral clip, highest other clip
    assert lines["calm"] == [0.86, 0.90]


def test_seed_differences_draws_every_seed_in_every_condition():
    def rows(d):
        return [{"kind": "clean", "snr_db": float("inf"), "difference": d,
                 "ci95_by_actor": [d - 0.1, d + 0.1]},
                {"kind": "white", "snr_db": 0.0, "difference": d / 2,
                 "ci95_by_actor": [d / 2 - 0.1, d / 2 + 0.1]}]

    summary = {"paper": {"hosain_bc_accuracy": 0.725, "hosain_ac_accuracy": 0.6983},
               "seeds": [{"seed": 0, "folds": [0, 1], "ac_vs_bc": rows(0.02)},
                         {"seed": 1, "folds": [0, 1], "ac_vs_bc": rows(-0.04)}]}
    ax = comparison_plots.seed_differences(summary).axes[0]
    drawn = sorted(float(c.lines[0].get_xdata()[0]) for c in ax.containers)
    assert drawn == pytest.approx(sorted([0.02, 0.01, -0.04, -0.02]))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["clean", "white noise at 0 dB"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["seed 0", "seed 1"]
    plt.close("all")


def test_hz_axis_is_logarithmic_in_hz_with_ticks_only_inside_its_limits():
    ax = plt.figure().add_subplot()
    ax.plot([10, 30_000], [0, 1])
    signal_plots.hz_axis(ax, 50, 8000)
    assert ax.get_xscale() == "log" and ax.get_xlim() == pytest.approx((50, 8000))
    assert ax.get_xlabel() == "frequency (Hz)"
    assert list(ax.get_xticks()) == [50, 100, 200, 500, 1000, 2000, 5000]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["50", "100", "200", "500", "1k", "2k",
                                                            "5k"]
    assert {t.get_text() for t in ax.get_xticklabels(minor=True)} <= {""}


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_save_fig_stamps_the_source_under_every_label_even_in_a_full_corner(tmp_path):
    # constrained layout puts the last panel's x label in the figure's bottom-right corner
    fig, axes = plt.subplots(1, 3, figsize=(9, 3), layout="constrained")
    for ax in axes:
        ax.plot([0, 1], [0, 1])
        ax.set(xlabel="time (s)", ylabel="value")
    style.save_fig(fig, "x", "Data: a long description of the data", folder=tmp_path)
    renderer = fig.canvas.get_renderer()
    stamp = fig.texts[-1].get_window_extent(renderer)
    for ax in axes:
        assert not _overlaps(stamp, ax.get_tightbbox(renderer))


def _corpus_table():
    import pandas as pd

    rows = [{"emotion": e, "actor": a, "sex": "male" if a % 2 else "female",
             "intensity": i} for a in range(1, 21) for e in EMOTIONS
            for i in ("normal", "strong") if not (e == "neutral" and i == "strong")]
    return pd.DataFrame(rows)


def test_corpus_counts_legends_sit_beside_the_bars_and_every_panel_names_its_axes():
    fig = signal_plots.corpus_counts(_corpus_table(), EMOTIONS)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        assert ax.get_ylabel() == "files" and ax.get_title()
        if legend := ax.get_legend():  # every bar fills its axes to the top: no corner is free
            box = legend.get_window_extent(renderer)
            for other in fig.axes:
                assert not any(_overlaps(box, bar.get_window_extent(renderer))
                               for bar in other.patches if bar.get_height() > 0)
    assert [ax.get_legend() is not None for ax in fig.axes] == [False, True, True]


def test_impulse_step_legends_cover_no_sample_and_no_line():
    from bcser_utils.audio import bc

    n = np.arange(25)
    impulse, step = bc.to_bc((n == 0).astype(float), 48_000), bc.to_bc(np.ones(25), 48_000)
    fig = signal_plots.impulse_step(impulse, step, 0.755, 0.205, 48_000)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    closed_form = 0.205 * 0.755 ** n
    for ax, response in zip(fig.axes, (impulse, step), strict=True):
        box = ax.get_legend().get_window_extent(renderer)
        for values in (response, closed_form):
            points = ax.transData.transform(np.column_stack([n, values]))
            assert not any(box.contains(x, y) for x, y in points)
    dc = fig.axes[1].transData.transform((0, 0.205 / 0.245))[1]
    assert fig.axes[1].get_legend().get_window_extent(renderer).y0 > dc  # above the DC line


SLIDERS = ((0.05, 0.99), (0.02, 1.0))  # notebook 02's α and β sliders


@pytest.mark.parametrize("alpha", SLIDERS[0])
@pytest.mark.parametrize("beta", SLIDERS[1])
@pytest.mark.parametrize("rate", (48_000, 16_000))
def test_the_designer_keeps_the_gain_curve_and_the_colours_on_fixed_scales(alpha, beta, rate):
    from bcser_utils.audio import bc
    from bcser_utils.present import display

    rng = np.random.default_rng(0)
    clip = 0.1 * rng.standard_normal(16_000) + 0.5 * np.sin(2 * np.pi * 150 * np.arange(16_000)
                                                          / 16_000)
    reference = display.spectrogram_db(clip, 16_000).ref
    extremes = signal_plots.gain_extremes_db(*SLIDERS)
    response = bc.frequency_response(rate, alpha, beta)
    spectrogram = display.spectrogram_db(bc.to_bc(clip, 16_000, alpha, beta,
                                                  reference_rate=rate), 16_000, reference)
    fig = signal_plots.bc_designer(response, bc.frequency_response(), spectrogram, extremes,
                                   rate != 48_000, "a clip")
    gain, colours = fig.axes[0], fig.axes[1].get_images()[0]
    low, high = gain.get_ylim()
    for line in gain.get_lines():
        assert low < np.min(line.get_ydata()) and np.max(line.get_ydata()) < high
    # the same scale at every setting, from the floor to the loudest the sliders allow
    assert colours.get_clim() == (signal_plots.DESIGNER_FLOOR_DB, 40.0)
    assert spectrogram.db.max() <= colours.get_clim()[1]  # nothing saturates


def test_gain_extremes_are_the_filters_gain_at_nyquist_and_at_dc():
    from bcser_utils.audio import bc

    low, high = signal_plots.gain_extremes_db(*SLIDERS)
    measured = [bc.frequency_response(16_000, a, b).magnitude_db
                for a in SLIDERS[0] for b in SLIDERS[1]]
    assert min(m.min() for m in measured) == pytest.approx(low, abs=0.01)
    assert max(m.max() for m in measured) == pytest.approx(high, abs=0.01)
