"""bcser_utils: the tested helper package behind the bcser course notebooks.

The modules come in layers that follow the data flow (docs/design.md): each module imports only
config and the modules listed before it, in its own layer or a lower one (a test checks it).

- ``audio``: the recordings and what is computed from them: names → synthetic → audio_input
  (the one check of an audio file) → ravdess (the corpus) → bc → noise → augment → features →
  normalize → clip → feature_cache;
- ``present``: figures, tables and reports (they draw arrays and tables, and know no model),
  and the notebook's microphone recorder;
- ``learn``: splits → model → artifacts (the files a model is saved in) → training →
  evaluation → classical (a scikit-learn model as plain arrays) → inference (a saved model's
  probabilities) → pipeline (training runs, end to end);
- ``studies``: notebook 08's study (beyond) and notebook 09's (baseline, generalize, final_model);
- ``app``: what a user runs: predict, a long recording window by window (timeline), your own
  voice (voice: notebook 10) and the command line (cli);
- and on top: exercises (the notebooks' exercises) and course (runs the notebooks headless).

Import a module from its place in its layer, e.g. ``from bcser_utils.audio import bc``: the
place is the architecture (``LAYERS``; a test checks that imports only go down).
"""

__version__ = "0.1.0"

LAYERS = {
    "": ["config", "messages", "provenance", "files", "prose_check"],
    "audio": ["names", "synthetic", "audio_input", "ravdess", "bc", "noise", "augment",
              "features", "speech", "normalize", "clip", "feature_cache"],
    "present": ["display", "gallery", "style", "formatting", "staleness", "beyond_tables",
                "generalize_tables", "generalize_findings", "cards", "report", "signal_plots",
                "training_plots", "evaluation_plots", "prediction_plots", "comparison_plots",
                "recorder"],
    "learn": ["splits", "model", "artifacts", "training", "evaluation", "classical", "inference",
              "pipeline", "runs", "probe"],
    "studies": ["baseline", "generalize", "final_model", "beyond"],
    "app": ["predict", "timeline", "voice", "convert", "command", "data_command", "bc_command",
            "train_command", "reproduce_command", "beyond_command", "generalize_command",
            "evaluate_command", "predict_command", "provenance_check", "cli"],
    "_top": ["exercises", "course", "quizzes", "grading"],
}

# module name → its importable full name
HOMES = {name: f"{__name__}.{layer}.{name}" if layer not in ("", "_top") else f"{__name__}.{name}"
         for layer, names in LAYERS.items() for name in names}
