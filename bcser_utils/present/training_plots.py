"""Figures of training: loss and accuracy per epoch, training against validation.

Each takes plain numbers (``asdict(training.History)``), so this module needs nothing from
training; ``style.save_fig`` saves the figure.

Notebook: 06_training, 07_evaluation.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from bcser_utils.present.style import REFERENCE_COLORS, SIDE_COLORS


def training_curves(history: dict, best_epoch: int | None = None, floor: float | None = None,
                    reported: dict | None = None, title: str | None = None) -> plt.Figure:
    """Loss and accuracy per epoch, training vs validation, with the best epoch marked.

    ``history`` has lists ``epoch``, ``train_loss``, ``val_loss``, ``train_accuracy`` and
    ``val_accuracy`` (``asdict(training.History)``). ``floor`` (e.g. ``training.smoothing_floor()``)
    is drawn on the loss panel: with label smoothing no model can go below it. ``reported`` may
    hold the paper's final values under the same keys, drawn as dotted reference lines.

    Notebook: 06_training (and 07_evaluation).
    """
    epochs = np.asarray(history["epoch"])
    reported = reported or {}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for ax, metric, label in ((axes[0], "loss", "loss (weighted, smoothed cross-entropy)"),
                              (axes[1], "accuracy", "accuracy")):
        for side, name in (("train", "training"), ("val", "validation")):
            ax.plot(epochs, history[f"{side}_{metric}"], "o-", color=SIDE_COLORS[side], lw=2, ms=5,
                    label=name)
            if f"{side}_{metric}" in reported:
                ax.axhline(reported[f"{side}_{metric}"], color=SIDE_COLORS[side], ls=":", lw=1.2,
                           label=f"paper, {name}: {reported[f'{side}_{metric}']:.4g}")
        if best_epoch is not None and best_epoch in epochs:
            at = history[f"val_{metric}"][list(epochs).index(best_epoch)]
            ax.axvline(best_epoch, color="0.3", ls="--", lw=1, zorder=0)
            ax.plot([best_epoch], [at], marker="*", ms=16, color="gold", mec="k", zorder=5,
                    ls="none", label=f"best epoch ({best_epoch})")
        ax.set(xlabel="epoch", ylabel=label, title=metric.capitalize())
        ax.set_xticks(epochs if len(epochs) <= 25 else ax.get_xticks())
    if floor is not None:
        axes[0].axhline(floor, color=REFERENCE_COLORS["floor"], ls="-.", lw=1.5,
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
