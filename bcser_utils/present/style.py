"""One palette, one style and one way to save figures, so every notebook's pictures look alike.

Every figure module of ``present`` takes its colours from here: the 8 emotions in the paper's
order (``PALETTE``), and one colour per role that recurs from figure to figure (AC and BC, the
training and validation sides, the chosen recipes, the paper's and Hosain et al.'s reference
lines, chance). ``save_fig(fig, "01_counts", source=...)`` writes ``figures/01_counts.png`` and
stamps the data it came from in the corner; figures made from the synthetic corpus carry a large
warning.

Notebook: every notebook (01_dataset_exploration introduces it).
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt

from bcser_utils import config, files

EMOTIONS = config.get_config().emotions  # the paper's order, used on every axis
PALETTE = dict(zip(EMOTIONS, ("#7f7f7f", "#17becf", "#ffbf00", "#1f77b4",
                              "#d62728", "#9467bd", "#2ca02c", "#ff7f0e"), strict=True))

# matplotlib's tab10, named: the colours of the roles below
BLUE, ORANGE, GREEN, RED, PURPLE = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"
GREY = "0.55"

SIGNAL_COLORS = {"ac": BLUE, "bc": ORANGE}  # as in notebooks 02 and 04
SIDE_COLORS = {"train": BLUE, "val": RED}  # training and validation curves
SEX_COLORS = {"male": BLUE, "female": RED}  # RAVDESS: odd actors male, even female
RECIPE_COLORS = {"paper": "k", "chosen": GREEN, "other": GREY, "test": BLUE}
REFERENCE_COLORS = {"paper": RED, "hosain": GREEN, "chance": GREY, "floor": GREEN}
LEAK_COLORS = {"sibling": RED, "actor": PURPLE}  # what training already heard (protocols)
SEED_COLORS = (BLUE, ORANGE, PURPLE, "#8c564b", "#e377c2", "#7f7f7f")  # no green: Hosain's
RATE_COLORS = {"right": "#1b3a6b", "pitfall": "#c51b7d"}  # notebook 02: α, β at 48 kHz / at 16 kHz
INTENSITY_COLORS = {"normal": "#9ecae1", "strong": "#3182bd"}  # RAVDESS's two intensities


def use_style() -> None:
    """The course's matplotlib style: readable in a classroom, consistent across notebooks.

    Notebook: every notebook.
    """
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
    """Save ``fig`` as ``<folder>/<name>.png`` with its data ``source`` stamped at the bottom.

    Figures from the synthetic corpus get a red "SYNTHETIC DATA" banner: they must never be
    mistaken for results on RAVDESS.

    Parameters
    ----------
    fig : matplotlib Figure
    name : str
        The file's stable name, without ``.png``.
    source : str
        The data it was made from (``ravdess.CorpusLocation.describe``), stamped in the corner.
    synthetic : bool
        Whether it was made from the synthetic stand-in.
    folder : path, optional
        Default ``figures_dir()``.

    Returns
    -------
    Path
        The file written.

    Notebook: 01_dataset_exploration.
    """
    if synthetic:
        fig.text(0.5, 0.5, "SYNTHETIC DATA — not RAVDESS", ha="center", va="center",
                 fontsize=28, color="red", alpha=0.25, rotation=20, weight="bold")
    # the stamp goes under everything drawn (axis labels included), right-aligned with it: a
    # corner of the figure can hold a label (constrained layout fills it); the tight crop keeps it
    fig.draw_without_rendering()  # lays the figure out, so its extent is final
    drawn = fig.get_tightbbox()  # inches
    fig.text(drawn.x1 / fig.get_figwidth(), (drawn.y0 - 0.05) / fig.get_figheight(), source,
             ha="right", va="top", fontsize=7, color="0.4")
    folder = Path(folder) if folder else figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    # written whole or not at all; no version string: the same bytes on every machine
    return files.write_atomically(path, lambda tmp: fig.savefig(
        tmp, format="png", bbox_inches="tight", metadata={"Software": None}))


def legend_outside(ax, **options):
    """The legend of ``ax`` beside it, right of its top corner, where it covers no data (bars
    that fill the axes leave no empty corner). ``fig.tight_layout()`` makes room for it.

    Parameters
    ----------
    ax : matplotlib Axes
    **options
        Passed on to ``ax.legend`` (``title``, ``fontsize``, …).

    Returns
    -------
    matplotlib Legend
    """
    return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **options)


def ordered(values: dict, emotions=None) -> list:
    """The keys of ``values`` in the paper's emotion order (unknown keys last, as given)."""
    emotions = list(emotions or EMOTIONS)
    return [e for e in emotions if e in values] + [k for k in values if k not in emotions]
