"""The figures of notebook 09: the classical baseline, speaker normalisation, the ablation, the BC
filter as the features see it, and adapting to a speaker. Each takes numbers that
``generalize`` computed and returns a matplotlib Figure; ``plots.save_fig`` saves it with the
course's source stamp.

Notebook: 09_towards_unseen_speakers.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

BLUE, ORANGE, GREY, RED = "#1f77b4", "#ff7f0e", "0.55", "#d62728"


def speaker_levels(table: pd.DataFrame, feature: str, emotions) -> plt.Figure:
    """One functional (e.g. mean F0 in semitones) per speaker and emotion, as measured (left) and
    standardised per speaker (right). ``table``: columns speaker, sex, emotion, raw, normalised
    (one row per clip). Speakers differ more than emotions do until each speaker is measured
    against their own voice."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharex=True)
    order = [e for e in emotions if e in set(table["emotion"])]
    x = np.arange(len(order))
    for ax, column, title in ((axes[0], "raw", "as measured"),
                              (axes[1], "normalised", "standardised per speaker")):
        means = table.groupby(["speaker", "emotion"])[column].mean().unstack()[order]
        sexes = table.groupby("speaker")["sex"].first()
        for speaker, row in means.iterrows():
            colour = RED if sexes[speaker] == "female" else BLUE
            ax.plot(x, row.to_numpy(), "-", color=colour, alpha=0.45, lw=1)
        ax.plot(x, means.mean().to_numpy(), "k-o", lw=2.2, ms=5, label="mean of the speakers")
        ax.set(title=f"{feature}: {title}", xticks=x)
        ax.set_xticklabels(order, rotation=30)
    axes[0].plot([], [], color=RED, label="a female speaker")
    axes[0].plot([], [], color=BLUE, label="a male speaker")
    axes[0].legend(fontsize=8, loc="best")
    axes[1].set_ylabel("standard deviations from the speaker's own mean")
    fig.tight_layout()
    return fig


def baselines(rows: pd.DataFrame, chance: float = 1 / 8) -> plt.Figure:
    """P3 test accuracy of each classical baseline (rows: label, signal, accuracy, low, high),
    with its interval resampling actors."""
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(rows) + 1.4))
    for i, r in enumerate(rows.itertuples(index=False)):
        colour = BLUE if r.signal == "ac" else ORANGE
        ax.barh(i, r.accuracy, color=colour, alpha=0.35)
        ax.errorbar([r.accuracy], [i], xerr=[[r.accuracy - r.low], [r.high - r.accuracy]],
                    fmt="o", color=colour, capsize=4)
        ax.text(r.high + 0.01, i, f"{r.accuracy:.1%}", va="center", fontsize=9)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows["label"])
    ax.axvline(chance, color=GREY, ls=":", lw=1)
    ax.text(chance, -0.6, " chance", color=GREY, fontsize=8, va="bottom")
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="P3 test accuracy, all folds pooled (95% CI by actor)",
           title="The classical baseline on unseen actors: eGeMAPS functionals + a linear model")
    fig.tight_layout()
    return fig


def ablation(summary: dict, references: dict[str, float] | None = None) -> plt.Figure:
    """Left: each change's gain over the paper's recipe on the early-stopping actors, the only
    numbers the selection reads (one dot per seed; the bar is the gain the rule read, over its
    seeds, ``summary["selection"]["val_gains"]``, else the mean of the dots).
    Right: the same runs on the test actors, looked at after the choice (accuracy per seed with
    its interval by actor).
    ``references``: vertical lines on the right, e.g. the classical baseline."""
    recipes = summary["recipes"]
    names = [n for n in recipes if n != "paper"]
    names = ["paper", *sorted(names, key=lambda n: -recipes[n].get("val_gain", -1))]
    chosen = set(summary["selection"]["chosen"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 0.42 * len(names) + 1.8), sharey=True,
                                      gridspec_kw={"width_ratios": [1, 1.25]})
    for i, name in enumerate(names):
        r = recipes[name]
        gains = [100 * d["val"]["difference"] for d in r.get("vs_paper", {}).values()]
        if gains:
            colour = "#2ca02c" if name in chosen else GREY
            read = summary["selection"].get("val_gains", {}).get(name)
            left.barh(i, np.mean(gains) if read is None else 100 * read, color=colour, alpha=0.5)
            left.plot(gains, [i] * len(gains), "o", color=colour, ms=4)
        for k, (_, s) in enumerate(sorted(r["test"].items())):
            y = i + (k - (len(r["test"]) - 1) / 2) * 0.22
            ci = s.get("accuracy_ci95_by_actor")
            right.errorbar([100 * s["accuracy"]], [y], xerr=None if ci is None else
                           [[100 * (s["accuracy"] - ci[0])], [100 * (ci[1] - s["accuracy"])]],
                           fmt="o", color=BLUE if name != "paper" else "k", ms=4, capsize=2, lw=1)
    left.axvline(0, color="k", lw=0.8)
    left.axvline(100 * summary["selection"]["threshold"], color="#2ca02c", ls="--", lw=1,
                 label="the rule's threshold, +1 point")
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
    left.set(yticks=range(len(names)),
             xlabel="gain over the paper's recipe on the early-stopping actors (points)",
             title="What the selection reads (green: chosen; bar: seeds "
                   f"{', '.join(map(str, summary['selection'].get('seeds', [])))})")
    left.set_yticklabels(names)
    left.invert_yaxis()
    paper_test = np.mean([s["accuracy"] for s in recipes["paper"]["test"].values()])
    right.axvline(100 * paper_test, color="k", ls=":", lw=1, label="the paper's recipe")
    for (label, value), colour in zip((references or {}).items(), (ORANGE, RED, GREY),
                                      strict=False):
        right.axvline(100 * value, color=colour, ls="--", lw=1.2, label=label)
    right.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False,
                 ncol=2)
    right.set(xlabel="test accuracy (%), 5 folds pooled (one dot per seed, 95% CI by actor)",
              title="The same runs on the test actors, after the choice")
    fig.tight_layout()
    return fig


def filter_in_features(bands: pd.DataFrame, overall: dict) -> plt.Figure:
    """Left: BC − AC per mel band, measured on the clips' features, beside the filter's own gain
    at each band's centre. Right: how different the BC and AC features are, as cached and after
    each standardisation."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [1.6, 1]})
    khz = bands["centre_hz"] / 1000
    left.fill_between(khz, bands["offset_db"] - bands["clip_spread_db"],
                      bands["offset_db"] + bands["clip_spread_db"], color=ORANGE, alpha=0.25,
                      label="± its spread over clips")
    left.plot(khz, bands["offset_db"], color=ORANGE, lw=2, label="BC − AC in the features")
    left.plot(khz, bands["filter_gain_db"], "k--", lw=1.2, label="the filter's gain |H(f)|")
    left.set(xlabel="mel band centre (kHz)", ylabel="dB",
             title="The BC filter: nearly a constant offset per band")
    left.legend(fontsize=8)
    labels = ["as cached", "one scalar\nstandardisation", "per-band\nstandardisation"]
    values = [overall["as_cached"], overall["scalar_standardised"],
              overall["per_band_standardised"]]
    right.bar(range(3), values, color=[ORANGE, ORANGE, BLUE], alpha=0.7)
    for i, v in enumerate(values):
        right.text(i, v, f"{v:.2f}", ha="center", va="bottom")
    right.set(xticks=range(3), ylabel="RMS(BC − AC) / std(AC)",
              title=f"What reaches the model ({overall['clips']:,} clips)")
    right.set_xticklabels(labels)
    fig.tight_layout()
    return fig


def adaptation(curve: pd.DataFrame, alone: float | None = None) -> plt.Figure:
    """Accuracy against the number of a speaker's clips its statistics come from (one dot per
    random draw, the line through their means); ``alone``: each clip normalised by itself."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    draws = curve[~curve["all"]]
    ax.plot(draws["clips"], draws["accuracy"], "o", color=BLUE, alpha=0.35, ms=4)
    means = draws.groupby("clips")["accuracy"].mean()
    every = curve[curve["all"]]
    xs = [*means.index, *every["clips"]]
    ax.plot(xs, [*means.to_numpy(), *every["accuracy"]], "-o", color=BLUE, lw=2,
            label="statistics from k clips of the speaker")
    if alone is not None:
        ax.axhline(alone, color=ORANGE, ls="--", lw=1.2, label="each clip on its own")
    ax.set_xscale("log", base=2)
    ax.set(xlabel="clips of the speaker (k)", ylabel="accuracy on the speaker's clips",
           title="How many clips a speaker's statistics need")
    ax.set_xticks(xs)
    ax.set_xticklabels([str(int(x)) for x in xs])
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig

