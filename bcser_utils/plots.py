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

from . import config

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
    """``$BCSER_FIGURES_DIR``, else the checkout's ``figures/``, else ``./figures``."""
    if env := os.environ.get(config.FIGURES_DIR_ENV):
        return Path(env)
    return config.REPO_ROOT / "figures" if (config.REPO_ROOT / "figures").is_dir() \
        else Path("figures")


def save_fig(fig: plt.Figure, name: str, source: str, synthetic: bool = False) -> Path:
    """Save ``fig`` as ``figures/<name>.png`` with its data ``source`` stamped at the bottom.

    Figures from the synthetic corpus get a red "SYNTHETIC DATA" banner: they must never be
    mistaken for results on RAVDESS. Returns the path written.

    Notebook: 01_dataset_exploration.
    """
    if synthetic:
        fig.text(0.5, 0.5, "SYNTHETIC DATA — not RAVDESS", ha="center", va="center",
                 fontsize=28, color="red", alpha=0.25, rotation=20, weight="bold")
    fig.text(0.995, 0.002, source, ha="right", va="bottom", fontsize=7, color="0.4")
    folder = figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, metadata={"Software": None})  # no version string: stable across machines
    return path
