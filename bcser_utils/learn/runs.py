"""One run spec for every study: what a training run is, where it lives, and its files read back.

A run is a protocol (P1, P2, P3, or ALL: every actor, a refit), a P3 fold, a signal (bc or ac),
a seed, and the config overrides of its recipe (the paper's recipe when none). ``make
reproduce``, ``train``, notebook 08's grid (``beyond.plan``) and notebook 09's recipes and refits
(``generalize.Recipe.spec``, ``final_model.refit``) all describe their runs with ``RunSpec``
and train them with ``RunSpec.run``; ``RunSpec.name`` is the run's folder in its study's folder:

    RunSpec("P1")                                     runs/…/p1-bc-fold0
    RunSpec("P3", 2, "ac")                            runs/…/p3-ac-fold2
    RunSpec("P3", 2, "ac", seed=1)                    runs/…/seed1/p3-ac-fold2
    RunSpec("P3", overrides=(("training.label_smoothing", 0.0),))      …/p3-bc-fold0-ls0
    RunSpec("P3", 1, seed=1, recipe="speaker-norm",
            overrides=(("normalize.mode", "speaker"),))                …/speaker-norm/bc-fold1-seed1
    RunSpec("ALL", seed=1, recipe="final-refit", overrides=…)          …/final-refit/bc-seed1

and ``train`` without ``--out`` puts a run alone in runs/<protocol>-<signal>-<mode>-fold<k>-seed<s>/
(``RunSpec.folder``).

A run folder's files are read back here, each checked before it is trusted, and a file that is
not what a run writes is a ``RunFolderError`` naming it and saying why (``read_spec`` for
run.json, ``spec_config`` for the settings it records, ``read_metrics`` and ``check_metrics``
for metrics.json, ``check_folder`` for what ``train`` finds in its folder before it starts).

Orchestration only: what a run computes is ``pipeline.run_protocol``'s (and is fingerprinted
there, ``provenance``); this module decides which runs exist and their folders.
"""

from __future__ import annotations

import dataclasses
import json
import numbers
import time
from dataclasses import dataclass, replace
from pathlib import Path

from bcser_utils import config
from bcser_utils.learn import evaluation, pipeline


@dataclass(frozen=True)
class RunSpec:
    """One training run: protocol, P3 fold, signal, seed, and its recipe's config overrides.

    Notebooks: 08_beyond_the_paper (``beyond.plan``), 09_towards_unseen_speakers
    (``generalize.Recipe.spec``).

    Parameters
    ----------
    protocol : str
        "P1", "P2", "P3", or "ALL" (every actor: a refit).
    fold : int, optional
        The P3 fold, 0-based (default 0).
    signal : str, optional
        "bc" (default) or "ac".
    seed : int, optional
        The run's seed (default 0).
    overrides : tuple, optional
        (config key, value) pairs: what the run's recipe changes (default: none, the paper's).
    recipe : str, optional
        A named recipe's name, whose runs live in a folder of their own (default: none).
    """

    protocol: str
    fold: int = 0
    signal: str = "bc"
    seed: int = 0
    overrides: tuple = ()  # (config key, value) pairs: what the run's recipe changes
    recipe: str = ""  # a named recipe's runs live in a folder of their own, one per seed

    @property
    def name(self) -> str:
        """The run's folder under its study's folder: the recipe's folder and the seed for a
        named recipe (a refit on every actor has no fold); a ``seed<s>/`` folder for another
        seed of the paper's recipe (seed 0's runs keep the plain name)."""
        if self.recipe and self.protocol == "ALL":
            return f"{self.recipe}/{self.signal}-seed{self.seed}"
        if self.recipe:
            return f"{self.recipe}/{self.signal}-fold{self.fold}-seed{self.seed}"
        tail = "" if self.label_smoothing is None else f"-ls{self.label_smoothing:g}"
        head = f"seed{self.seed}/" if self.seed else ""
        return f"{head}{self.protocol.lower()}-{self.signal}-fold{self.fold}{tail}"

    def folder(self, out: str | Path | None, mode: str) -> Path:
        """Where the run lives: ``out/<name>`` in a study's folder; with no ``out``, a run on its
        own (``train``), runs/<protocol>-<signal>-<mode>-fold<k>-seed<s>/.

        Parameters
        ----------
        out : str, Path or None
            The study's folder.
        mode : str
            "quick" or "full" (the name of a run on its own says it).

        Returns
        -------
        Path
        """
        if out is not None:
            return Path(out) / self.name
        return config.RUNS_DIR / (f"{self.protocol.lower()}-{self.signal}-{mode}-fold{self.fold}"
                                  f"-seed{self.seed}")

    @property
    def label_smoothing(self) -> float | None:
        """The run's own label smoothing, None when it keeps the paper's."""
        return dict(self.overrides).get("training.label_smoothing")

    def config(self, mode: str, scale: dict | None = None) -> config.Config:
        """The mode's configuration with the run's overrides and seed; ``scale`` (e.g. fewer
        versions, for a test) shrinks it but never undoes the run's own changes.

        Parameters
        ----------
        mode : str
            "quick" or "full" (None: ``$BCSER_MODE``, else quick).
        scale : dict or None, optional
            Config overrides ({key: value}) that shrink the run; the run's own win.

        Returns
        -------
        config.Config
            The configuration the run trains with.
        """
        own = dict(self.overrides)
        scale = {k: v for k, v in (scale or {}).items() if k not in own}
        seed = {"mode.seed": self.seed} if self.seed else {}
        return config.get_config(mode, overrides={**scale, **own, **seed} or None)

    def run(self, mode: str, out: str | Path, corpus: str | Path | None = None,
            max_epochs: int | None = None, progress: bool = True, scale: dict | None = None,
            folder: str | Path | None = None) -> dict:
        """Train (or read back, or resume) the run in ``folder``, by default ``self.folder(out,
        mode)``; its summary (``pipeline.run_protocol``).

        Parameters
        ----------
        mode : str
            "quick" or "full".
        out : str or Path
            The study's folder (``folder``), unless ``folder`` is given.
        corpus : str or Path or None, optional
            The corpus folder; None: ``ravdess.find_corpus``.
        max_epochs : int or None, optional
            A cap on the epochs; None: the mode's.
        progress : bool, optional
            Show progress bars (default True).
        scale : dict or None, optional
            Overrides that shrink the run (``config``).
        folder : str or Path or None, optional
            The run folder itself; None: ``self.folder(out, mode)``.

        Returns
        -------
        dict
            The run's summary (what metrics.json holds); empty in a helper process under
            torchrun.
        """
        cfg = self.config(mode, scale)
        return pipeline.run_protocol(cfg, self.protocol, self.fold, self.signal, corpus,
                                     Path(folder or self.folder(out, cfg.mode.name)),
                                     max_epochs, progress)


# The paper-scale runs of ``make reproduce``: the paper's protocol, then the honest one.
REPRODUCE_RUNS = (RunSpec("P1"), RunSpec("P3"))


def reproduce(mode: str = "full", signal: str = "bc", corpus: str | Path | None = None,
              out: str | Path | None = None, runs=REPRODUCE_RUNS, progress: bool = True,
              versions: int | None = None, max_epochs: int | None = None) -> dict:
    """The paper-scale pipeline end to end: P1 (the paper's protocol) and P3 fold 0
    (speaker-independent), each into ``out/<protocol>-<signal>-fold<k>/``, and a summary in
    ``out/reproduce.json``. Resumable: run it again after an interruption and finished runs are
    read back, an unfinished one continues from its last epoch. ``versions`` and ``max_epochs``
    shrink it for a test; the defaults are the paper's.

    Parameters
    ----------
    mode : str, optional
        "quick" or "full" (default).
    signal : str, optional
        "bc" (default) or "ac", for every run.
    corpus : str or Path or None, optional
        The corpus folder; None: ``ravdess.find_corpus``.
    out : str or Path or None, optional
        The folder; None: ``runs/reproduce-<mode>/``.
    runs : sequence of RunSpec, optional
        The runs (default ``REPRODUCE_RUNS``: P1, then P3 fold 0).
    progress : bool, optional
        Show progress bars (default True).
    versions : int or None, optional
        Versions per recording; None: the paper's 15.
    max_epochs : int or None, optional
        A cap on the epochs; None: the mode's.

    Returns
    -------
    dict
        The summary written to ``reproduce.json``: mode, signal, source, date, folder, and per
        run ("runs", by ``RunSpec.name``) its accuracy with its 95% interval, balanced accuracy,
        MCC, ECE, epochs and timing; empty in a helper process under torchrun.
    """
    scale = {"augment.n_versions": versions} if versions else None
    cfg = config.get_config(mode, overrides=scale)
    out = Path(out or config.RUNS_DIR / f"reproduce-{cfg.mode.name}")
    results = {}
    for spec in runs:
        spec = replace(spec, signal=signal)
        began = time.perf_counter()
        s = spec.run(mode, out, corpus, max_epochs, progress, scale)
        if not s:  # a helper process under torchrun
            continue
        m = s["metrics"]
        results[spec.name] = {
            "protocol": spec.protocol, "fold": spec.fold, "description": s["description"],
            "evaluated_on": s["evaluated_on"], "n_train": s["n_train"],
            "n_evaluated": s["n_evaluated"], "accuracy": m["accuracy"],
            "accuracy_ci95": m["ci95"]["accuracy"], "balanced_accuracy": m["balanced_accuracy"],
            "mcc": m["mcc"], "ece": m["calibration"]["ece"], "best_epoch": s["best_epoch"],
            "stopped_epoch": s["stopped_epoch"], "early_stopped": s["early_stopped"],
            "seconds_per_epoch": s["seconds_per_epoch"], "timing": s.get("timing"),
            "wall_s_this_call": time.perf_counter() - began}
    if not results:
        return {}
    summary_ = {"mode": cfg.mode.name, "signal": signal, "source": s["source"],
                "date": time.strftime("%Y-%m-%d"), "folder": str(out), "runs": results}
    evaluation.save_json(summary_, out / "reproduce.json")
    return summary_


# --- a run folder's files, checked before they are trusted ----------------------------------------

NOT_OURS = "use another --out, or delete the folder"


class RunFolderError(ValueError):
    """A run folder's file that is not what a run writes (unreadable, not ours, another run's):
    the message names the file and says why."""


def read_json(path: str | Path):
    """A run folder's JSON file; a ``RunFolderError`` naming it if it cannot be read.

    Parameters
    ----------
    path : str or Path
        The JSON file.

    Returns
    -------
    object
        The parsed JSON (its shape is the caller's to check).

    Raises
    ------
    RunFolderError
        If the file cannot be read or is not JSON.
    """
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        cause = getattr(err, "strerror", None) or getattr(err, "msg", None) or str(err)
        raise RunFolderError(f"{path}: unreadable ({cause})") from None


def read_spec(run: str | Path) -> dict:
    """A run folder's run.json, as ``pipeline.run_protocol`` writes it.

    Parameters
    ----------
    run : str or Path
        The run folder.

    Returns
    -------
    dict
        The settings, its "config" a table of sections (each a table); a ``RunFolderError``
        naming the file otherwise.
    """
    path = Path(run) / "run.json"
    spec = read_json(path)
    if not isinstance(spec, dict):
        raise RunFolderError(f"{path}: a JSON {type(spec).__name__}, not the settings train "
                             f"writes; {NOT_OURS}")
    sections = spec.get("config", {})
    if not isinstance(sections, dict) or not all(isinstance(v, dict) for v in sections.values()):
        raise RunFolderError(f"{path}: its config is not a table of settings; {NOT_OURS}")
    return spec


def check_folder(run: str | Path) -> None:
    """What a run folder must hold before anything in it is read back or resumed: nothing, or
    a run.json of ours and, beside it, readable results (``read_metrics``). Another run's
    settings are ``pipeline.check_run_folder``'s to refuse.

    Parameters
    ----------
    run : str or Path
        The run folder (which may not exist yet).

    Raises
    ------
    RunFolderError
        If it is not a folder, or its run.json or metrics.json is not what a run writes.
    """
    run = Path(run)
    if not run.exists():
        return
    if not run.is_dir():
        raise RunFolderError(f"{run}: not a folder (a run folder holds run.json, model.pt, …)")
    if (run / "run.json").exists():
        read_spec(run)
    if (run / "metrics.json").exists():
        if not (run / "run.json").exists():
            raise RunFolderError(f"{run / 'metrics.json'}: results without the run.json that "
                                 f"says what made them; {NOT_OURS}")
        if not isinstance(read_json(run / "metrics.json"), dict):
            raise RunFolderError(f"{run / 'metrics.json'}: not the results train writes; "
                                 f"{NOT_OURS}")


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)  # numpy's too


def check_metrics(path: str | Path, summary, asked: dict | None = None) -> dict:
    """THE check of a run's summary (``pipeline.summary``, what metrics.json holds), where it is
    written and where it is read back.

    Parameters
    ----------
    path : str or Path
        The metrics.json it is (or goes) in, for the message.
    summary : dict
        The summary.
    asked : dict, optional
        Settings it must have been made with ({"seed": 3, …}): a summary of another run is
        refused.

    Returns
    -------
    dict
        ``summary``, holding the source, description, what it was evaluated on, the best epoch,
        the seconds per epoch (or None) and, unless it is a refit on every actor (protocol ALL:
        nothing left to evaluate), the accuracy and its interval; a ``RunFolderError`` naming
        ``path`` otherwise.
    """
    if not isinstance(summary, dict):
        raise RunFolderError(f"{path}: not the results train writes; {NOT_OURS}")
    differ = [k for k, v in (asked or {}).items() if k in summary and summary[k] != v]
    if differ:
        shown = ", ".join(f"{k} = {summary[k]!r} there, {asked[k]!r} now" for k in differ[:3])
        raise RunFolderError(f"{path}: the results of another run ({shown}); {NOT_OURS}")
    m = summary.get("metrics")
    low_high = (m.get("ci95") or {}).get("accuracy") if isinstance(m, dict) else None
    evaluated = (isinstance(m, dict) and _is_number(m.get("accuracy"))
                 and isinstance(low_high, list | tuple) and len(low_high) == 2
                 and all(map(_is_number, low_high))) or \
        (m is None and summary.get("protocol") == "ALL")
    if not (evaluated and all(isinstance(summary.get(k), str)
                              for k in ("source", "description", "evaluated_on"))
            and _is_number(summary.get("best_epoch"))
            and (summary.get("seconds_per_epoch") is None
                 or _is_number(summary["seconds_per_epoch"]))):
        raise RunFolderError(f"{path}: not the results train writes (no accuracy, interval or "
                             f"best epoch); {NOT_OURS}")
    return summary


def read_metrics(run: str | Path, asked: dict | None = None) -> dict:
    """A finished run's metrics.json, checked (``check_metrics``).

    Parameters
    ----------
    run : str or Path
        The run folder.
    asked : dict or None, optional
        Settings it must have been made with (as ``check_metrics``).

    Returns
    -------
    dict
        The run's summary.

    Raises
    ------
    RunFolderError
        If metrics.json cannot be read, is not what a run writes, or is another run's.
    """
    path = Path(run) / "metrics.json"
    return check_metrics(path, read_json(path), asked)


_EXPECTED = {"bool": "true or false", "int": "a whole number", "float": "a number",
             "str": "a string", "tuple": "a list"}


def spec_config(run: str | Path, spec: dict) -> config.Config:
    """The configuration a run.json (``read_spec``) records, each setting of the type its
    default has; a ``RunFolderError`` naming the file otherwise.

    Parameters
    ----------
    run : str or Path
        The run folder.
    spec : dict
        Its run.json.

    Returns
    -------
    config.Config
        Its settings; a setting of the wrong type, out of its bounds or unknown to this version
        is a ``RunFolderError``.
    """
    path = Path(run) / "run.json"
    kinds = {"protocol": ("P1", "P2", "P3"), "signal": ("bc", "ac"), "mode": ("quick", "full")}
    for key, allowed in kinds.items():
        if spec.get(key) not in allowed:
            raise RunFolderError(f"{path}: {key} {spec.get(key)!r}, not one of "
                                 f"{', '.join(allowed)}")
    fold = spec.get("fold")
    if not isinstance(fold, int) or isinstance(fold, bool) or fold < 0 or \
            not isinstance(spec.get("data"), str):
        raise RunFolderError(f"{path}: fold {fold!r} or data {spec.get('data')!r} is not what "
                             "train writes")
    if isinstance(spec.get("config"), dict):
        _check_kinds(path, spec["config"])
    older = {"augment.n_versions": spec.get("versions"), "mode.seed": spec.get("seed")}
    try:
        return (config.from_dict(spec["config"], spec["mode"], source=str(path))
                if "config" in spec  # every setting
                else config.get_config(spec["mode"], overrides={  # an older run.json
                    k: v for k, v in older.items() if v is not None} or None))
    except (TypeError, ValueError, KeyError) as err:  # a setting this version does not have,
        # or out of its bounds (config.SettingError)
        raise RunFolderError(f"{path}: its settings do not fit this version of bcser ({err})"
                             ) from None


def _check_kinds(path: Path, sections: dict) -> None:
    """Each setting a run.json records of the type its default has (a list for a tuple)."""
    defaults = config.Config()
    for section, values in sections.items():
        part = getattr(defaults, section, None)
        if not dataclasses.is_dataclass(part):
            continue  # not a section of this version: from_dict says so
        types = {f.name: str(f.type) for f in dataclasses.fields(part)}
        for name, value in values.items():
            default = getattr(part, name, None)
            if name not in types or default is None or value is None and "None" in types[name]:
                continue
            fits = (isinstance(value, bool) if isinstance(default, bool) else
                    _is_number(value) if isinstance(default, float) else
                    isinstance(value, list | tuple) if isinstance(default, tuple) else
                    isinstance(value, type(default)) and not isinstance(value, bool))
            if not fits:
                expected = _EXPECTED.get(type(default).__name__, type(default).__name__)
                raise RunFolderError(f"{path}: {section}.{name} = {value!r}, where this "
                                     f"version expects {expected}")


STUDY_FILES = ("summary.json", "reproduce.json")  # what a study writes beside its runs


def study_folder(folder: str | Path) -> bool:
    """Whether ``folder`` looks like a study that the package wrote (``reproduce``, ``beyond``,
    ``generalize``): only folders and the study's own files (its summaries and tables), and a
    run of ours (a run.json) within three levels or a summary. A folder of the user's files is
    not one.

    Parameters
    ----------
    folder : str or Path

    Returns
    -------
    bool
    """
    folder = Path(folder)
    entries = list(folder.iterdir())
    ours = all(p.is_dir() or p.name in STUDY_FILES or p.suffix == ".csv" for p in entries)
    runs_in_it = any(folder.glob("run.json")) or any(folder.glob("*/run.json")) or \
        any(folder.glob("*/*/run.json")) or any(folder.glob("*/*/*/run.json"))
    summarised = any(p.name in STUDY_FILES for p in entries)
    return bool(entries) and ours and (runs_in_it or summarised)
