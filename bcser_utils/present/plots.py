"""The old home of the course's figures, kept only for callers outside ``present`` that still
import from here (``learn/pipeline.py``'s run figures; tests/test_beyond.py). The figures live by
kind: ``style`` (the palette, ``use_style``, ``save_fig``), ``signal_plots``, ``training_plots``,
``evaluation_plots``, ``prediction_plots`` and ``comparison_plots``; new code imports them there.

Notebook: 06_training, 07_evaluation (through ``pipeline``).
"""

from __future__ import annotations

from bcser_utils.present.comparison_plots import seed_differences  # noqa: F401
from bcser_utils.present.evaluation_plots import (  # noqa: F401
    confusion_heatmap,
    reliability_diagram,
    roc_curves,
)
from bcser_utils.present.style import save_fig, use_style  # noqa: F401
from bcser_utils.present.training_plots import training_curves  # noqa: F401
