"""One style and one way to save figures, so every notebook's pictures look alike.

``save_fig(fig, "01_counts", source=...)`` writes ``figures/01_counts.png`` and stamps the data it
came from in the corner; figures made from the synthetic corpus carry a large warning.

Notebook: every notebook (01_dataset_exploration introduces it).
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from bcser_utils import config
from bcser_utils.present.report import (
    condition_label,  # one name per noise condition, as in the text
)

EMOTIONS = config.get_config().emotions  # the paper's order, used on every axis
PALETTE = dict(zip(EMOTIONS, ("#7f7f7f", "#17becf", "#ffbf00", "#1f77b4",
                              "#d62728", "#9467bd", "#2ca02c", "#ff7f0e"), strict=True))


def use_style() -> None:
    """The course's matplotlib style: readable in a classroom, consistent across notebooks."""
    mpl.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 130, "savefig.bbox": "tight",
        "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
        "grid.alpha": 0.3, "font.size": 10, "axes.titlesize": 11, "axes.titleweight": "bold",
        "image.cmap": "magma", "legend.frameon": False,
    })


def figures_dir() -> Path:
    """``$BCSER_FIGURES_DIR``, else ``build/figures/`` in the checkout (untracked: running a
    notebook never changes the committed ``figures/``, which ``make notebooks`` regenerates),
    else ``./figures``."""
    if env := os.environ.get(config.FIGURES_DIR_ENV):
        return Path(env)
    return config.REPO_ROOT / "build" / "figures" if (config.REPO_ROOT / "figures").is_dir() \
        else Path("figures")


def save_fig(fig: plt.Figure, name: str, source: str, synthetic: bool = False,
             folder: str | Path | None = None) -> Path:
    """Save ``fig`` as ``<folder>/<name>.png`` (default folder: ``figures_dir()``) with its data
    ``source`` stamped at the bottom.

    Figures from the synthetic corpus get a red "SYNTHETIC DATA" banner: they must never be
    mistaken for results on RAVDESS. Returns the path written.

    Notebook: 01_dataset_exploration.
    """
    if synthetic:
        fig.text(0.5, 0.5, "SYNTHETIC DATA — not RAVDESS", ha="center", va="center",
                 fontsize=28, color="red", alpha=0.25, rotation=20, weight="bold")
    fig.text(0.995, 0.002, source, ha="right", va="bottom", fontsize=7, color="0.4")
    folder = Path(folder) if folder else figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, metadata={"Software": None})  # no version string: stable across machines
    return path


def hz_axis(ax, lo: float = 20, hi: float = 24_000) -> None:
    """A logarithmic frequency axis from ``lo`` to ``hi`` Hz, ticks labelled 20 … 500, 1k … 20k.
    Notebook: 02_bc_filter_design."""
    ticks = [t for t in (20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000) if lo <= t <= hi]
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.set_xticks(ticks, [f"{t // 1000}k" if t >= 1000 else str(t) for t in ticks])
    ax.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    ax.set_xlabel("frequency (Hz)")


# ---------------------------------------------------------------------------------------------
# Training and evaluation figures. Each takes plain numbers (dicts, lists, arrays), so this module
# needs nothing from training or evaluation; the notebooks pass their results in.


def _ordered(values: dict, emotions=None) -> list:
    """The keys of ``values`` in the paper's emotion order (unknown keys last, as given)."""
    emotions = list(emotions or EMOTIONS)
    return [e for e in emotions if e in values] + [k for k in values if k not in emotions]


def training_curves(history: dict, best_epoch: int | None = None, floor: float | None = None,
                    reported: dict | None = None, title: str | None = None) -> plt.Figure:
    """Loss and accuracy per epoch, training vs validation, with the best epoch marked.

    ``history`` has lists ``epoch``, ``train_loss``, ``val_loss``, ``train_accuracy`` and
    ``val_accuracy`` (``asdict(training.History)``). ``floor`` (e.g. ``training.smoothing_floor()``)
    is drawn on the loss panel: with label smoothing no model can go below it. ``reported`` may
    hold the paper's final values under the same keys, drawn as dotted reference lines.

    Notebook: 06_training (and 07_evaluation).
    """
    import numpy as np

    epochs = np.asarray(history["epoch"])
    reported = reported or {}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    colours = {"train": "#1f77b4", "val": "#d62728"}
    for ax, metric, label in ((axes[0], "loss", "loss (weighted, smoothed cross-entropy)"),
                              (axes[1], "accuracy", "accuracy")):
        for side, name in (("train", "training"), ("val", "validation")):
            ax.plot(epochs, history[f"{side}_{metric}"], "o-", color=colours[side], lw=2, ms=5,
                    label=name)
            if f"{side}_{metric}" in reported:
                ax.axhline(reported[f"{side}_{metric}"], color=colours[side], ls=":", lw=1.2,
                           label=f"paper, {name}: {reported[f'{side}_{metric}']:.4g}")
        if best_epoch is not None and best_epoch in epochs:
            at = history[f"val_{metric}"][list(epochs).index(best_epoch)]
            ax.axvline(best_epoch, color="0.3", ls="--", lw=1, zorder=0)
            ax.plot([best_epoch], [at], marker="*", ms=16, color="gold", mec="k", zorder=5,
                    ls="none", label=f"best epoch ({best_epoch})")
        ax.set(xlabel="epoch", ylabel=label, title=metric.capitalize())
        ax.set_xticks(epochs if len(epochs) <= 25 else ax.get_xticks())
    if floor is not None:
        axes[0].axhline(floor, color="#2ca02c", ls="-.", lw=1.5,
                        label=f"label-smoothing floor {floor:.3f}")
        low, high = axes[0].get_ylim()
        axes[0].set_ylim(min(low, floor - 0.05 * (high - floor)), high)
    axes[1].yaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))
    for ax in axes:
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_heatmap(matrix, emotions=None, normalized: bool = True,
                      title: str | None = None) -> plt.Figure:
    """The confusion matrix as a heatmap, true class down, predicted class across, in the
    paper's emotion order. ``normalized``: rows are fractions of the true class (two decimals);
    otherwise counts.

    Notebook: 07_evaluation.
    """
    import numpy as np
    import seaborn as sns

    emotions = list(emotions or EMOTIONS)
    matrix = np.asarray(matrix, dtype=float)
    fig, ax = plt.subplots(figsize=(7.2, 6))
    sns.heatmap(matrix, annot=True, fmt=".2f" if normalized else ".0f", cmap="Blues",
                vmin=0, vmax=1 if normalized else None, square=True, linewidths=0.5,
                linecolor="white", cbar_kws={"label": "fraction of the true class"
                                             if normalized else "clips", "shrink": 0.8},
                xticklabels=emotions, yticklabels=emotions, annot_kws={"fontsize": 9}, ax=ax)
    ax.set(xlabel="predicted", ylabel="true",
           title=title or ("Confusion matrix (rows sum to 1)" if normalized
                           else "Confusion matrix (clips)"))
    ax.tick_params(axis="x", rotation=45)
    ax.tick_params(axis="y", rotation=0)
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        label.set_color(PALETTE.get(label.get_text(), "k"))
        label.set_fontweight("bold")
    ax.grid(False)
    fig.tight_layout()
    return fig


def roc_curves(roc: dict, auc: dict, title: str | None = None) -> plt.Figure:
    """One-vs-rest ROC curves, one per class, with each class's AUC in the legend.

    ``roc`` maps emotion → {"fpr": [...], "tpr": [...]}; ``auc`` maps emotion → AUC (as
    ``evaluation.evaluate`` returns them). The inset magnifies the top-left corner, where a
    near-perfect classifier's curves live.

    Notebook: 07_evaluation.
    """
    fig, ax = plt.subplots(figsize=(6.5, 6))
    inset = ax.inset_axes([0.45, 0.08, 0.5, 0.45])
    for emotion in _ordered(roc):
        curve = roc[emotion]
        for a, lw in ((ax, 2), (inset, 1.5)):
            a.plot(curve["fpr"], curve["tpr"], color=PALETTE.get(emotion), lw=lw,
                   label=f"{emotion} (AUC {auc[emotion]:.3f})" if a is ax else None)
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1, label="chance (AUC 0.5)")
    inset.set(xlim=(0, 0.2), ylim=(0.6, 1.0), title="top-left corner")
    inset.title.set_fontsize(8)
    inset.tick_params(labelsize=7)
    ax.set(xlabel="false-positive rate", ylabel="true-positive rate (recall)",
           xlim=(-0.01, 1.01), ylim=(-0.01, 1.01), aspect="equal",
           title=title or "One-vs-rest ROC curves")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=9)
    fig.tight_layout()
    return fig


def per_class_bars(panels: dict, overall: dict | None = None, reported: dict | None = None,
                   title: str | None = None) -> plt.Figure:
    """Side-by-side bar panels of per-class values (e.g. IoU, MSE, log loss), paper's order.

    ``panels`` maps a panel title → {emotion: value}; ``overall`` maps the same title → the
    overall value, drawn as a dashed line; ``reported`` maps it → the paper's overall value,
    drawn as a dotted line.

    Notebook: 07_evaluation.
    """
    overall, reported = overall or {}, reported or {}
    fig, axes = plt.subplots(1, len(panels), figsize=(4.8 * len(panels), 3.8), squeeze=False)
    for ax, (name, values) in zip(axes[0], panels.items(), strict=True):
        order = _ordered(values)
        heights = [values[e] for e in order]
        bars = ax.bar(order, heights, color=[PALETTE.get(e, "0.5") for e in order])
        ax.bar_label(bars, fmt="%.3f", fontsize=7, padding=1)
        if name in overall:
            ax.axhline(overall[name], color="k", ls="--", lw=1.2,
                       label=f"ours, overall {overall[name]:.3f}")
        if name in reported:
            ax.axhline(reported[name], color="#d62728", ls=":", lw=1.6,
                       label=f"paper, overall {reported[name]:.4g}")
        ax.set(title=name)
        ax.set_ylim(0, max(heights + [overall.get(name, 0), reported.get(name, 0)]) * 1.45)
        ax.tick_params(axis="x", rotation=45)
        if name in overall or name in reported:
            ax.legend(fontsize=8, loc="upper left", ncol=2, frameon=True, framealpha=0.9,
                      edgecolor="none")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def reliability_diagram(calibration: dict, title: str | None = None) -> plt.Figure:
    """Confidence of the top class against how often it is right, bin by bin, with the ECE.

    ``calibration`` is ``evaluation.calibration(...)``: {"bins": [{"lower", "upper", "count",
    "confidence", "accuracy"}, ...], "ece": float}. Bars on the diagonal are perfectly
    calibrated; bars above it are under-confident, below it over-confident. The lower panel
    shows how many clips fall in each bin.

    Notebook: 07_evaluation.
    """
    bins = calibration["bins"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(5.8, 6.4), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1]})
    _reliability_bars(top, calibration)
    top.set_title(title or f"Reliability diagram · ECE = {calibration['ece']:.3f}")
    top.legend(loc="upper left", fontsize=8)
    width = bins[0]["upper"] - bins[0]["lower"]
    bottom.bar([b["lower"] for b in bins], [b["count"] for b in bins], width=width,
               align="edge", color="0.5", edgecolor="white")
    bottom.set(xlabel="confidence of the predicted class", ylabel="clips")
    fig.tight_layout()
    return fig


def _reliability_bars(ax, calibration: dict) -> None:
    """Accuracy per confidence bin, the gap to the bin's mean confidence, and the diagonal."""
    bins = calibration["bins"]
    width = bins[0]["upper"] - bins[0]["lower"]
    used = [b for b in bins if b["count"]]
    lefts = [b["lower"] for b in used]
    ax.bar(lefts, [b["accuracy"] for b in used], width=width, align="edge", color="#1f77b4",
           edgecolor="white", label="accuracy in the bin")
    ax.bar(lefts, [b["confidence"] - b["accuracy"] for b in used],
           bottom=[b["accuracy"] for b in used], width=width, align="edge", color="#d62728",
           alpha=0.35, edgecolor="#d62728", hatch="//", label="gap to mean confidence")
    ax.plot([0, 1], [0, 1], color="0.3", ls="--", lw=1, label="perfect calibration")
    ax.set(ylabel="accuracy", xlim=(0, 1), ylim=(0, 1))


def reliability_panels(calibrations: dict, title: str | None = None) -> plt.Figure:
    """Several reliability diagrams side by side, e.g. one per protocol, each with its ECE and
    the share of clips in each bin written under it. Notebook: 08_beyond_the_paper."""
    fig, axes = plt.subplots(1, len(calibrations), figsize=(3.3 * len(calibrations), 3.6),
                             sharey=True, squeeze=False)
    for ax, (name, calibration) in zip(axes[0], calibrations.items(), strict=True):
        _reliability_bars(ax, calibration)
        total = sum(b["count"] for b in calibration["bins"])
        for b in calibration["bins"]:
            if b["count"]:
                ax.text((b["lower"] + b["upper"]) / 2, 0.02, f"{b['count'] / total:.0%}",
                        ha="center", fontsize=6, color="white" if b["accuracy"] > 0.1 else "k",
                        rotation=90)
        ax.set(title=f"{name}\nECE = {calibration['ece']:.3f}",
               xlabel="confidence of the top class")
        ax.label_outer()
    axes[0, 0].legend(loc="upper left", fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def probability_bars(probabilities: dict, title: str | None = None,
                     true: str | None = None) -> plt.Figure:
    """The model's probability for each of the 8 emotions, in the paper's order; the predicted
    emotion is outlined, and the true one (if known) named in the title.

    Notebook: 07_evaluation (the prediction cell).
    """
    order = _ordered(probabilities)
    values = [probabilities[e] for e in order]
    best = order[max(range(len(order)), key=values.__getitem__)]
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    bars = ax.bar(order, values, color=[PALETTE.get(e, "0.5") for e in order],
                  edgecolor=["k" if e == best else "none" for e in order], linewidth=2)
    ax.bar_label(bars, labels=[f"{v:.0%}" for v in values], fontsize=8, padding=1)
    verdict = f"predicted: {best}" + (f" · true: {true}" if true else "")
    ax.set(ylim=(0, 1.1), ylabel="probability",
           title=f"{title}\n{verdict}" if title else verdict.capitalize())
    ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return fig


def timeline(rows: list[dict], spans: list[tuple[str, float, float]] | None = None,
             uncertain_below: float | None = None, title: str | None = None) -> plt.Figure:
    """The eight probabilities over time, one line per emotion at each window's centre
    (``predict --timeline``'s rows); silent windows are gaps, shaded. ``spans``: (emotion, start
    s, end s) of what was really said, drawn as coloured bands along the top; ``uncertain_below``:
    the line under which a prediction is uncertain.

    Notebook: 10_your_own_voice.
    """
    import numpy as np

    centres = np.array([(r["start"] + r["end"]) / 2 for r in rows])
    fig, ax = plt.subplots(figsize=(11, 3.8))
    for emotion in EMOTIONS:
        p = np.array([np.nan if r["silent"] else r["probabilities"][emotion] for r in rows])
        ax.plot(centres, p, color=PALETTE[emotion], lw=1.8, label=emotion)
    hop = np.median(np.diff(centres)) if len(centres) > 1 else 1.0
    for r, c in zip(rows, centres, strict=True):
        if r["silent"]:
            ax.axvspan(c - hop / 2, c + hop / 2, color="0.92", lw=0)
    for emotion, start, end in spans or ():
        ax.axvspan(start, end, ymin=0.97, ymax=1.0, color=PALETTE[emotion], lw=0)
        ax.text((start + end) / 2, 1.04, emotion, ha="center", va="bottom", fontsize=8,
                color=PALETTE[emotion], fontweight="bold")
    if uncertain_below is not None:
        ax.axhline(uncertain_below, color="k", ls=":", lw=1)
        ax.text(centres[0], uncertain_below, " uncertain below", va="bottom", fontsize=8)
    ax.set(xlabel="time (s): each point is a window's centre", ylabel="probability",
           ylim=(0, 1.12 if spans else 1.0), title=title or "The emotion over time")
    ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))
    ax.legend(ncol=8, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
    fig.tight_layout()
    return fig


def separation_histograms(y_true, probabilities, auc: dict | None = None,
                          emotions=None) -> plt.Figure:
    """For each class k, the distribution of p_k over the clips that are k (filled, in the
    class's colour) and over all the other clips (black outline). AUC = 1 exactly when the two do
    not overlap: when the lowest clip of the class (solid line) lies above the highest other clip
    (dashed line). The overlap, where the ranking breaks, is shaded red.

    ``y_true`` holds class numbers into ``emotions`` (default: the paper's order).

    Notebook: 07_evaluation.
    """
    import numpy as np

    emotions = list(emotions or EMOTIONS)
    y, p = np.asarray(y_true), np.asarray(probabilities)
    auc = auc or {}
    fig, axes = plt.subplots(2, (len(emotions) + 1) // 2, figsize=(15, 6.4), sharex=True)
    edges = np.linspace(0, 1, 41)
    for k, (ax, emotion) in enumerate(zip(axes.flat, emotions, strict=False)):
        colour = PALETTE.get(emotion, "C0")
        positive, negative = p[y == k, k], p[y != k, k]
        ax.hist(positive, bins=edges, density=True, color=colour, alpha=0.75)
        ax.hist(negative, bins=edges, density=True, histtype="step", color="0.1", lw=1.2)
        title = emotion + (f" · AUC {auc[emotion]:.3f}" if emotion in auc else "")
        if len(positive) and len(negative):
            low, high = positive.min(), negative.max()
            ax.axvline(low, color=colour, lw=2)
            ax.axvline(high, color="0.1", ls="--", lw=1.2)
            if high > low:
                ax.axvspan(low, high, color="#d62728", alpha=0.1, gid="overlap", zorder=0)
            title += f"\nlowest {emotion} {low:.2f} · highest other {high:.2f}"
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(mpl.ticker.NullLocator())  # log minor ticks cost seconds
        ax.set_title(title, color=colour, fontsize=10)
    for ax in axes[-1]:
        ax.set_xlabel("predicted probability of the class")
    for ax in axes[:, 0]:
        ax.set_ylabel("density (log scale)")
    for ax in list(axes.flat)[len(emotions):]:
        ax.set_visible(False)
    handles = [mpl.patches.Patch(color="0.55", label="clips of the class (its colour)"),
               mpl.lines.Line2D([], [], color="0.1", lw=1.2, label="all other clips"),
               mpl.lines.Line2D([], [], color="0.55", lw=2, label="lowest clip of the class"),
               mpl.lines.Line2D([], [], color="0.1", ls="--", lw=1.2, label="highest other clip"),
               mpl.patches.Patch(color="#d62728", alpha=0.2, label="overlap: AUC < 1")]
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.01, 0.0), ncol=5, fontsize=9)
    return fig


SIGNAL_COLORS = {"ac": "#1f77b4", "bc": "#ff7f0e"}  # as in notebooks 02 and 04


def _interval(ax, x, value, ci, color, **kw):
    if ci is not None:
        ax.errorbar([x], [value], yerr=[[value - ci[0]], [ci[1] - value]], fmt="o",
                    color=color, ms=8, capsize=5, lw=2, zorder=3, **kw)


def protocol_ladder(summary: dict) -> plt.Figure:
    """Left: how much of each protocol's evaluation set the model has (nearly) heard in training.
    Right: the accuracy each protocol reports, with its 95% interval resampling actors, and one
    dot per actor. Notebook: 08_beyond_the_paper."""
    leak = {row["protocol"]: row for row in summary["leakage"]}
    runs = {r["protocol"]: r for r in summary["runs"].values()
            if r["signal"] == "bc" and r["label_smoothing"] == 0.1 and r["protocol"] != "P3"}
    pooled = summary["p3"]["bc"]
    protocols = ["P1", "P2", "P3"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2),
                                      gridspec_kw={"width_ratios": [1, 1.3]})
    y = range(len(protocols))
    for offset, key, label, color in ((-0.18, "sibling_fraction",
                                       "another version of the same recording", "#d62728"),
                                      (0.18, "actor_fraction", "the same actor", "#9467bd")):
        values = [leak[p][key] for p in protocols]
        left.barh([i + offset for i in y], values, height=0.34, color=color, label=label)
        for i, v in zip(y, values, strict=True):
            left.text(v + 0.02, i + offset, f"{v:.0%}", va="center", fontsize=9)
    left.set(yticks=list(y), xlim=(0, 1.18), xlabel="share of the evaluated clips",
             title="What training already heard")
    left.set_yticklabels([f"{p}\n{leak[p]['clips']:,} {leak[p]['evaluated_on']} clips"
                          for p in protocols])
    left.invert_yaxis()
    left.legend(loc="lower right", fontsize=8, title="training holds…", title_fontsize=8)
    for x, protocol in enumerate(protocols):
        r = pooled if protocol == "P3" else runs.get(protocol)
        if r is None:
            continue
        per_actor = list(r["per_actor_accuracy"].values())
        jitter = np.linspace(-0.12, 0.12, len(per_actor))
        right.scatter(x + jitter, per_actor, s=14, color="0.6", zorder=2,
                      label="one actor" if x == 0 else None)
        _interval(right, x, r["accuracy"], r.get("ci95_by_actor") or r["ci95"], "#1f77b4")
        right.annotate(f"{r['accuracy']:.1%}", (x + 0.16, r["accuracy"]), va="center",
                       fontsize=10, weight="bold")
    right.axhline(summary["paper"]["p1_accuracy"], color="#d62728", ls="--", lw=1)
    right.text(2.45, summary["paper"]["p1_accuracy"], "paper (P1)", color="#d62728",
               va="bottom", ha="right", fontsize=8)
    right.axhline(1 / 8, color="0.4", ls=":", lw=1)
    right.text(2.45, 1 / 8, "chance", color="0.4", va="bottom", ha="right", fontsize=8)
    folds = f"{len(summary['folds'])} of {summary['n_folds']} folds"
    right.set(xticks=range(3), ylim=(0, 1.02), ylabel="accuracy", xlim=(-0.5, 2.5),
              title="Same model, same recipe, three protocols")
    right.set_xticklabels(["P1 (paper)\naugment,\nthen split", "P2\nsplit,\nthen augment",
                           f"P3\nunseen actors\n({folds})"])
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def ac_bc_actors(summary: dict) -> plt.Figure:
    """Each actor's P3 accuracy (as a test actor) with the AC-trained model against the
    BC-trained one, and the paired BC − AC difference with its 95% interval.
    Notebook: 08_beyond_the_paper."""
    ac, bc = summary["p3"]["ac"], summary["p3"]["bc"]
    actors = sorted(set(ac["per_actor_accuracy"]) & set(bc["per_actor_accuracy"]), key=int)
    x = [ac["per_actor_accuracy"][a] for a in actors]
    y = [bc["per_actor_accuracy"][a] for a in actors]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 4.3),
                                      gridspec_kw={"width_ratios": [1, 1.2]})
    left.plot([0, 1], [0, 1], color="0.5", ls="--", lw=1)
    for a, xa, ya in zip(actors, x, y, strict=True):
        left.scatter(xa, ya, color="#1f77b4" if int(a) % 2 else "#d62728", s=30, zorder=3)
        left.annotate(f"{int(a):02d}", (xa, ya), xytext=(3, 3), textcoords="offset points",
                      fontsize=7)
    low = min(x + y) - 0.05
    left.set(xlim=(low, 1), ylim=(low, 1), xlabel="accuracy, AC-trained model",
             ylabel="accuracy, BC-trained model",
             title="Each test actor (blue male, red female)")
    left.text(0.97, low + 0.02, "above the line: BC better", ha="right", fontsize=8,
              color="0.3")
    rows = summary["ac_vs_bc"]
    labels = [condition_label(r["kind"], r["snr_db"]) for r in rows]
    for i, r in enumerate(rows):
        low_, high_ = r["ci95_by_actor"]
        right.errorbar([r["difference"]], [i], xerr=[[r["difference"] - low_],
                                                     [high_ - r["difference"]]],
                       fmt="o", color="#ff7f0e" if r["kind"] != "clean" else "k", capsize=4)
    right.axvline(0, color="0.4", lw=1)
    hosain = summary["paper"]["hosain_bc_accuracy"] - summary["paper"]["hosain_ac_accuracy"]
    right.axvline(hosain, color="#2ca02c", ls="--", lw=1)
    right.text(hosain, len(rows) - 0.4, " Hosain et al.", color="#2ca02c", fontsize=8)
    right.set(yticks=range(len(rows)), xlabel="BC − AC accuracy (95% CI, resampling actors)",
              title="Does synthetic BC help? Paired, same clips")
    right.set_yticklabels(labels)
    right.invert_yaxis()
    fig.tight_layout()
    return fig


def seed_differences(summary: dict) -> plt.Figure:
    """BC − AC under P3 (paired, 95% interval resampling actors) in every condition, once per seed
    of the grid: a difference that changes sign from seed to seed is not a finding.
    Notebook: 08_beyond_the_paper."""
    replicates = summary["seeds"]
    conditions = [(r["kind"], r["snr_db"]) for r in replicates[0]["ac_vs_bc"]]
    colors = ("#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")  # no green
    offsets = np.linspace(-0.25, 0.25, len(replicates)) if len(replicates) > 1 else [0.0]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(conditions) + 1.4))
    for offset, replicate, color in zip(offsets, replicates, colors, strict=False):
        rows = {(r["kind"], r["snr_db"]): r for r in replicate["ac_vs_bc"]}
        for i, key in enumerate(conditions):
            r = rows[key]
            low, high = r["ci95_by_actor"]
            ax.errorbar([r["difference"]], [i + offset], xerr=[[r["difference"] - low],
                                                              [high - r["difference"]]],
                        fmt="o", ms=4, color=color, capsize=3,
                        label=f"seed {replicate['seed']}" if i == 0 else None)
    ax.axvline(0, color="0.4", lw=1)
    hosain = summary["paper"]["hosain_bc_accuracy"] - summary["paper"]["hosain_ac_accuracy"]
    ax.axvline(hosain, color="#2ca02c", ls="--", lw=1)
    ax.text(hosain, len(conditions) - 0.55, " Hosain et al. (clean)", color="#2ca02c",
            fontsize=8)
    n_folds, n_seeds = len(replicates[0]["folds"]), len(replicates)
    ax.set(yticks=range(len(conditions)),
           xlabel="BC − AC accuracy, paired (95% CI, resampling actors)",
           title=f"P3, {n_folds} fold{'s' * (n_folds > 1)} pooled: the same grid with "
                 f"{n_seeds} seed{'s' * (n_seeds > 1)}")
    ax.set_yticklabels([condition_label(kind, snr) for kind, snr in conditions])
    ax.invert_yaxis()
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def snr_curves(summary: dict) -> plt.Figure:
    """Accuracy against SNR for the AC- and BC-trained models, one panel per noise kind, with
    95% intervals resampling actors; the clean accuracy sits at the left. Notebook: 08."""
    rows = summary["ac_vs_bc"]
    clean = next(r for r in rows if r["kind"] == "clean")
    kinds = [k for k in dict.fromkeys(r["kind"] for r in rows) if k != "clean"]
    fig, axes = plt.subplots(1, len(kinds), figsize=(5.2 * len(kinds), 4), sharey=True,
                             squeeze=False)
    for ax, kind in zip(axes[0], kinds, strict=True):
        part = sorted((r for r in rows if r["kind"] == kind), key=lambda r: -r["snr_db"])
        snrs = [r["snr_db"] for r in part]
        clean_x = max(snrs) + 8
        for signal in ("ac", "bc"):
            xs = [clean_x, *snrs]
            values = [clean[signal], *(r[signal] for r in part)]
            cis = [clean[f"{signal}_ci95_by_actor"], *(r[f"{signal}_ci95_by_actor"]
                                                      for r in part)]
            color = SIGNAL_COLORS[signal]
            ax.plot(xs, values, "o-", color=color, label=f"{signal.upper()}-trained model")
            ax.fill_between(xs, [c[0] for c in cis], [c[1] for c in cis], color=color,
                            alpha=0.15)
        ax.axhline(1 / 8, color="0.4", ls=":", lw=1)
        ax.set(xticks=[clean_x, *snrs], xlim=(clean_x + 3, min(snrs) - 3),
               xlabel="SNR of the noise added to the microphone signal (dB)",
               title=f"{kind.replace('_', '-')} noise", ylim=(0, None))
        ax.set_xticklabels(["clean", *(f"{s:g}" for s in snrs)])
    axes[0, 0].set_ylabel("P3 test accuracy")
    axes[0, 0].legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    return fig
