"""Figures of signals, filters and features: a frequency axis in Hz, the BC filter as the features
see it, and how speakers differ in a feature before and after standardising each one.

Each takes plain numbers (arrays, tables) and returns a matplotlib Figure (or draws on an axis);
``style.save_fig`` saves it.

Notebook: 02_bc_filter_design, 09_towards_unseen_speakers.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bcser_utils.present.style import BLUE, SEX_COLORS, SIGNAL_COLORS


def hz_axis(ax, lo: float = 20, hi: float = 24_000) -> None:
    """A logarithmic frequency axis from ``lo`` to ``hi`` Hz, ticks labelled 20 … 500, 1k … 20k.
    Notebook: 02_bc_filter_design."""
    ticks = [t for t in (20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000) if lo <= t <= hi]
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.set_xticks(ticks, [f"{t // 1000}k" if t >= 1000 else str(t) for t in ticks])
    ax.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    ax.set_xlabel("frequency (Hz)")


def filter_in_features(bands: pd.DataFrame, overall: dict) -> plt.Figure:
    """Left: BC − AC per mel band, measured on the clips' features, beside the filter's own gain
    at each band's centre. Right: how different the BC and AC features are, as cached and after
    each standardisation."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [1.6, 1]})
    khz = bands["centre_hz"] / 1000
    left.fill_between(khz, bands["offset_db"] - bands["clip_spread_db"],
                      bands["offset_db"] + bands["clip_spread_db"], color=SIGNAL_COLORS["bc"],
                      alpha=0.25,
                      label="± its spread over clips")
    left.plot(khz, bands["offset_db"], color=SIGNAL_COLORS["bc"], lw=2,
              label="BC − AC in the features")
    left.plot(khz, bands["filter_gain_db"], "k--", lw=1.2, label="the filter's gain |H(f)|")
    left.set(xlabel="mel band centre (kHz)", ylabel="dB",
             title="The BC filter: nearly a constant offset per band")
    left.legend(fontsize=8)
    labels = ["as cached", "one scalar\nstandardisation", "per-band\nstandardisation"]
    values = [overall["as_cached"], overall["scalar_standardised"],
              overall["per_band_standardised"]]
    right.bar(range(3), values, color=[SIGNAL_COLORS["bc"]] * 2 + [BLUE], alpha=0.7)
    for i, v in enumerate(values):
        right.text(i, v, f"{v:.2f}", ha="center", va="bottom")
    right.set(xticks=range(3), ylabel="RMS(BC − AC) / std(AC)",
              title=f"What reaches the model ({overall['clips']:,} clips)")
    right.set_xticklabels(labels)
    fig.tight_layout()
    return fig


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
            colour = SEX_COLORS["female" if sexes[speaker] == "female" else "male"]
            ax.plot(x, row.to_numpy(), "-", color=colour, alpha=0.45, lw=1)
        ax.plot(x, means.mean().to_numpy(), "k-o", lw=2.2, ms=5, label="mean of the speakers")
        ax.set(title=f"{feature}: {title}", xticks=x)
        ax.set_xticklabels(order, rotation=30)
    axes[0].plot([], [], color=SEX_COLORS["female"], label="a female speaker")
    axes[0].plot([], [], color=SEX_COLORS["male"], label="a male speaker")
    axes[0].legend(fontsize=8, loc="best")
    axes[1].set_ylabel("standard deviations from the speaker's own mean")
    fig.tight_layout()
    return fig
