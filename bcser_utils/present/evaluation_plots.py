"""Figures of one model's evaluation on labelled clips: the confusion matrix, ROC curves, per-class
bars, how well each class's probabilities separate, and calibration (reliability diagrams).

Each takes plain numbers (dicts, lists, arrays, as ``evaluation.evaluate`` returns them), so this
module needs nothing from training or evaluation; ``style.save_fig`` saves the figure.

Notebook: 07_evaluation, 08_beyond_the_paper.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from bcser_utils.present.style import BLUE, EMOTIONS, PALETTE, RED, REFERENCE_COLORS, ordered


def confusion_heatmap(matrix, emotions=None, normalized: bool = True,
                      title: str | None = None) -> plt.Figure:
    """The confusion matrix as a heatmap, true class down, predicted class across, in the
    paper's emotion order. ``normalized``: rows are fractions of the true class (two decimals);
    otherwise counts.

    Notebook: 07_evaluation.
    """
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
    for emotion in ordered(roc):
        curve = roc[emotion]
        for a, lw in ((ax, 2), (inset, 1.5)):
            a.plot(curve["fpr"], curve["tpr"], color=PALETTE.get(emotion), lw=lw,
                   label=f"{emotion} (AUC {auc[emotion]:.3f})" if a is ax else None)
    ax.plot([0, 1], [0, 1], color=REFERENCE_COLORS["chance"], ls="--", lw=1,
            label="chance (AUC 0.5)")
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
        order = ordered(values)
        heights = [values[e] for e in order]
        bars = ax.bar(order, heights, color=[PALETTE.get(e, "0.5") for e in order])
        ax.bar_label(bars, fmt="%.3f", fontsize=7, padding=1)
        if name in overall:
            ax.axhline(overall[name], color="k", ls="--", lw=1.2,
                       label=f"ours, overall {overall[name]:.3f}")
        if name in reported:
            ax.axhline(reported[name], color=REFERENCE_COLORS["paper"], ls=":", lw=1.6,
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


def separation_histograms(y_true, probabilities, auc: dict | None = None,
                          emotions=None) -> plt.Figure:
    """For each class k, the distribution of p_k over the clips that are k (filled, in the
    class's colour) and over all the other clips (black outline). AUC = 1 exactly when the two do
    not overlap: when the lowest clip of the class (solid line) lies above the highest other clip
    (dashed line). The overlap, where the ranking breaks, is shaded red.

    ``y_true`` holds class numbers into ``emotions`` (default: the paper's order).

    Notebook: 07_evaluation.
    """
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
                ax.axvspan(low, high, color=RED, alpha=0.1, gid="overlap", zorder=0)
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
               mpl.patches.Patch(color=RED, alpha=0.2, label="overlap: AUC < 1")]
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.01, 0.0), ncol=5, fontsize=9)
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
    ax.bar(lefts, [b["accuracy"] for b in used], width=width, align="edge", color=BLUE,
           edgecolor="white", label="accuracy in the bin")
    ax.bar(lefts, [b["confidence"] - b["accuracy"] for b in used],
           bottom=[b["accuracy"] for b in used], width=width, align="edge", color=RED,
           alpha=0.35, edgecolor=RED, hatch="//", label="gap to mean confidence")
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
