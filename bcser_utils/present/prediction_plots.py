"""Figures of what a model says of one recording, without labels: its eight probabilities, and
how they change over a long recording (``predict --timeline``).

Notebook: 07_evaluation, 10_your_own_voice.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from bcser_utils.present.style import EMOTIONS, PALETTE, ordered


def probability_bars(probabilities: dict, title: str | None = None,
                     true: str | None = None) -> plt.Figure:
    """The model's probability for each of the 8 emotions, in the paper's order; the predicted
    emotion is outlined, and the true one (if known) named in the title.

    Notebook: 07_evaluation (the prediction cell).
    """
    order = ordered(probabilities)
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
