"""bcser_utils: the tested helper package behind the bcser course notebooks.

The modules come in layers that follow the data flow (docs/design.md): each module imports only
config and the modules listed before it, in its own layer or a lower one (a test checks it).

- ``audio``: the recordings and what is computed from them: names → synthetic → data → bc →
  noise → augment → features → normalize → clip → dataset (the feature cache);
- ``present``: figures, tables and reports (they draw arrays and tables, and know no model),
  and the notebook's microphone recorder;
- ``learn``: splits → model → artifacts (the files a model is saved in) → training →
  evaluation → classical (a scikit-learn model as plain arrays) → inference (a saved model's
  probabilities) → pipeline (training runs, end to end);
- ``studies``: notebook 08's study (beyond) and notebook 09's (baseline, generalize, final_model);
- ``app``: what a user runs: predict, a long recording window by window (timeline), your own
  voice (voice: notebook 10) and the command line (cli);
- and on top: exercises (the notebooks' exercises) and course (runs the notebooks headless).

``from bcser_utils import data`` (or ``import bcser_utils.data``) keeps working for every module:
the short names are aliases of the modules in their layers.
"""

import importlib
import importlib.abc
import importlib.util
import sys

__version__ = "0.1.0"

LAYERS = {
    "": ["config", "provenance", "files"],
    "audio": ["names", "synthetic", "data", "bc", "noise", "augment", "features", "normalize",
              "clip", "dataset"],
    "present": ["display", "gallery", "report", "study_report", "plots", "study_plots",
                "recorder"],
    "learn": ["splits", "model", "artifacts", "training", "evaluation", "classical", "inference",
              "pipeline", "runs"],
    "studies": ["baseline", "generalize", "final_model", "beyond"],
    "app": ["predict", "timeline", "voice", "convert", "cli"],
    "_top": ["exercises", "course"],
}

# short name → the module's full name; "experiments" is notebook 08's study's old name
HOMES = {name: f"{__name__}.{layer}.{name}" if layer not in ("", "_top") else f"{__name__}.{name}"
         for layer, names in LAYERS.items() for name in names}
HOMES["experiments"] = HOMES["beyond"]


class _ShortNames(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes ``bcser_utils.<short name>`` the very module object of its home in a layer."""

    def find_spec(self, fullname, path=None, target=None):
        short = fullname.removeprefix(__name__ + ".")
        if short in HOMES and HOMES[short] != fullname:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(HOMES[spec.name.removeprefix(__name__ + ".")])

    def exec_module(self, module):
        pass  # already executed under its own name


if not any(isinstance(finder, _ShortNames) for finder in sys.meta_path):
    sys.meta_path.insert(0, _ShortNames())
