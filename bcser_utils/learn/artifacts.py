"""The files a model lives in, each with its one writer and its one reader.

| file | written by | read by |
|---|---|---|
| ``model.pt`` (a deep model) | ``save_checkpoint`` | ``load_checkpoint`` |
| ``*_egemaps.pt`` (the classical baseline) | ``save_classical`` | ``load_classical`` |
| ``default.json`` (what ``predict`` uses by default) | ``save_manifest`` | ``load_manifest`` |

Shipping a model into ``bcser_utils/models/`` is one place too: ``ship`` copies its files and
writes its card, each atomically; ``ship_p3`` is ``make reproduce --ship``'s (the paper-recipe
checkpoint), ``final_model.ship`` notebook 09's (the default model).

Every file is written under a temporary name of this process, then renamed, so a reader sees it
whole or not at all. Every reader loads with ``torch.load(weights_only=True)`` or plain JSON, so
a file cannot run code, and it checks what the file claims against what a model accepts: a
file that is not ours gets a ``CheckpointError`` that names it and says why.

Notebooks: 06_training (the checkpoint), 07_evaluation, 09_towards_unseen_speakers.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import math
import os
import stat
from pathlib import Path

import numpy as np
import torch

from bcser_utils import config, files
from bcser_utils.files import read_json, write_atomically

P3_CHECKPOINT = config.MODELS_DIR / "bcser_p3.pt"  # the paper's recipe, P3 fold 1
DEFAULT_MODEL = config.MODELS_DIR / "default.json"  # what predict uses by default

MODEL_FIELDS = ("model", "model_config", "n_features", "features", "signal")


class CheckpointError(ValueError):
    """A file that is not a bcser model file; the message names it and says why."""


class ShipError(ValueError):
    """A model that may not be shipped (a quick-mode run, a synthetic corpus, a refit not made
    yet); the message names it and says why."""


def not_a_file(path: str | Path) -> str | None:
    """Why ``path`` is not a regular file that can be read ("no such file", "a folder", "a FIFO,
    not a regular file", "a symbolic link loop", …), or None if it is one. ``predict`` asks it of
    every input before it decodes any.

    Parameters
    ----------
    path : str or Path
        The file asked for.

    Returns
    -------
    str or None
        The reason, for "<path>: <reason>", or None for a regular file.
    """
    try:
        mode = os.stat(path).st_mode  # follows symbolic links
    except FileNotFoundError:
        return "a broken symbolic link" if os.path.islink(path) else "no such file"
    except OSError as err:  # ELOOP, ENAMETOOLONG, EACCES on a folder above, …
        if err.errno == errno.ELOOP:
            return "a symbolic link loop"
        return f"cannot be opened ({err.strerror})"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    kind = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFSOCK: "a socket",
            stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device"}
    return f"{kind.get(stat.S_IFMT(mode), 'a special file')}, not a regular file"


# --- torch files ---------------------------------------------------------------------------------

def save_torch(path: str | Path, state: dict) -> Path:
    """``state`` (tensors and plain values only) as a torch file, atomically.

    Parameters
    ----------
    path : str or Path
        The file to write (whole or not at all).
    state : dict
        Tensors and plain values (what ``weights_only=True`` loads back).

    Returns
    -------
    Path
        ``path``.
    """
    return write_atomically(path, lambda tmp: torch.save(state, tmp))


def load_torch(path: str | Path, what: str = "model checkpoint") -> dict:
    """A torch file's dict, read with ``weights_only=True``; a ``CheckpointError`` naming the
    file and the cause otherwise (never torch's advice to drop ``weights_only``: a file that
    needs it is not ours, and may be hostile).

    Parameters
    ----------
    path : str or Path
        The torch file.
    what : str, optional
        What the file should be, for the error message (default "model checkpoint").

    Returns
    -------
    dict
        The file's contents, tensors on the CPU.

    Raises
    ------
    CheckpointError
        If the file is missing, not a regular file, empty, unreadable, not a torch file (an
        audio file, say), corrupt, holding objects other than tensors and plain values, or not
        a dict.
    """
    import pickle
    import warnings

    path = Path(path)
    problem = not_a_file(path)
    if problem:
        raise CheckpointError(f"{path}: no such checkpoint" if problem == "no such file" else
                              f"{path}: {problem}, so not a {what}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: empty file (0 bytes), not a {what}")
    try:
        with path.open("rb") as file:
            head = file.read(16)
    except OSError as err:
        raise CheckpointError(f"{path}: cannot be read ({err.strerror})") from None
    if not head.startswith((b"PK\x03\x04", b"\x80")):  # torch's zip, or its older pickle
        looks = _looks_like(head)
        raise CheckpointError(f"{path}: not a readable torch file ({looks}); refused unread"
                              + ("; --checkpoint takes a model.pt, the audio files come first"
                                 if "audio" in looks else ""))
    try:
        with warnings.catch_warnings():  # torch's remarks on pickle protocols: not the user's
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # random bytes, or objects that weights_only refuses
        raise CheckpointError(f"{path}: not a bcser {what} (corrupt, or holding objects other "
                              "than tensors and plain values, as ours never do); refused unread"
                              ) from None
    except (EOFError, RuntimeError, ValueError, OSError, IndexError, KeyError) as err:
        # IndexError, KeyError: the unpickler's answer to some text files (e.g. /etc/passwd)
        cause = str(err).splitlines()[0].split(". ")[0][:120] if str(err) else type(err).__name__
        raise CheckpointError(f"{path}: not a readable torch file, truncated or corrupt "
                              f"({cause})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: not a bcser {what} (a {type(state).__name__})")
    return state


_SIGNATURES = {b"RIFF": "a WAV audio file", b"fLaC": "a FLAC audio file",
               b"OggS": "an Ogg audio file", b"ID3": "an MP3 audio file",
               b"FORM": "an AIFF audio file", b"\x93NUMPY": "a NumPy array file",
               b"\x89HDF": "an HDF5 file", b"{": "JSON or text"}


def _looks_like(head: bytes) -> str:
    """What a file's first bytes say it is, for an error message."""
    for signature, kind in _SIGNATURES.items():
        if head.startswith(signature):
            return kind
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "unknown content"
    return "text" if text.isprintable() or text.isspace() or "\n" in text else "unknown content"


def save_checkpoint(path: str | Path, state: dict) -> Path:
    """A deep model for ``predict``: ``state`` holds ``MODEL_FIELDS`` and normalizer, bc,
    emotions, card (``pipeline.save_model`` builds it).

    Parameters
    ----------
    path : str or Path
        The file to write (atomically).
    state : dict
        The model's fields.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        If ``state`` lacks one of ``MODEL_FIELDS`` (a bug of the caller's, not a user's).
    """
    missing = [k for k in MODEL_FIELDS if k not in state]
    if missing:
        raise ValueError(f"a model checkpoint needs {', '.join(missing)}")
    return save_torch(path, state)


def load_checkpoint(path: str | Path) -> dict:
    """A file written by ``save_checkpoint``, its fields checked.

    Parameters
    ----------
    path : str or Path
        A model file (``model.pt``).

    Returns
    -------
    dict
        The checkpoint's fields (``MODEL_FIELDS`` and the rest), checked by ``check_fields``
        and ``check_model``.

    Raises
    ------
    CheckpointError
        As ``load_torch``; and for a training checkpoint, a file without ``MODEL_FIELDS``, or
        fields this version cannot use.
    """
    path = Path(path)
    state = load_torch(path)
    if "early_stopping" in state and "n_features" not in state:
        raise CheckpointError(f"{path}: a training checkpoint, not a model: use the model.pt "
                              "beside it")
    missing = [k for k in MODEL_FIELDS if k not in state]
    if missing:
        raise CheckpointError(f"{path}: not a bcser model checkpoint (no {', '.join(missing)})")
    check_fields(path, state)
    check_model(path, state)
    return state


_MOST = 1 << 16  # no size, count or rate of ours comes near; a larger one is not our file
_MOST_RATE = 384_000  # Hz
_MOST_SECONDS = 600.0  # a model hears a few seconds (config.Features.max_duration_s)


def _whole(value, least: int = 1, most: int = _MOST) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and least <= value <= most


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _table(state: dict, key: str, settings, bad) -> dict:
    """``state[key]``: a table of ``settings``'s fields (a config dataclass); a field missing
    keeps its default, as files made before it existed do."""
    table = state.get(key)
    if not isinstance(table, dict):
        raise bad(f"its {key} settings are not a table ({type(table).__name__})")
    unknown = sorted(map(str, set(table) - {f.name for f in dataclasses.fields(settings)}))
    if unknown:
        raise bad(f"unknown {key} setting(s) {', '.join(unknown[:3])}")
    return table


def _array(value, name: str, bad, ndim: int) -> np.ndarray:
    """A tensor or a (nested) list of finite numbers with ``ndim`` dimensions, as float64."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise bad(f"{name} is not an array of numbers") from None
    if array.ndim != ndim or array.size == 0 or not np.isfinite(array).all():
        raise bad(f"{name} is not a finite {ndim}-D array of numbers (shape {array.shape})")
    return array


def check_fields(path: Path, state: dict) -> None:
    """What a model file (deep or classical) claims about its input, checked against what this
    version accepts: the features and BC filter (``config.Features``, ``config.BCFilter``), the
    signal, the emotions and the normalisation, so that nothing downstream meets a value it
    cannot use.

    Parameters
    ----------
    path : Path
        The file, named in the error.
    state : dict
        Its contents (``load_torch``).

    Raises
    ------
    CheckpointError
        For the first field that this version cannot use, named with its value.
    """
    from bcser_utils.audio import clip, features, normalize

    def bad(what):
        return CheckpointError(f"{path}: {what}; not a model this version of bcser made")

    feats = _table(state, "features", config.Features, bad)
    bc = _table(state, "bc", config.BCFilter, bad)
    kind = feats.get("kind")
    if kind not in features.KINDS:
        raise bad(f"unknown features {kind!r}")
    for name in ("n_mels", "n_fft", "hop_length", "n_mfcc"):
        if name in feats and not _whole(feats[name]):
            raise bad(f"features {name}={feats[name]!r} (needs a whole number 1 to {_MOST})")
    if "sample_rate" in feats and not _whole(feats["sample_rate"], 1000, _MOST_RATE):
        raise bad(f"features sample_rate={feats['sample_rate']!r} Hz")
    duration = feats.get("max_duration_s", config.Features().max_duration_s)
    if not _number(duration) or not 0 < duration <= _MOST_SECONDS:
        raise bad(f"features max_duration_s={duration!r} (needs 0 < seconds ≤ {_MOST_SECONDS:g})")
    if state.get("signal") not in clip.SIGNALS:
        raise bad(f"unknown signal {state.get('signal')!r} (expected ac or bc)")
    alpha, beta = bc.get("alpha"), bc.get("beta")
    if not all(_number(v) for v in (alpha, beta)) or not 0 < alpha < 1 or not 0 < beta < _MOST:
        raise bad(f"BC filter alpha={alpha!r}, beta={beta!r} (needs 0 < alpha < 1, beta > 0)")
    if "reference_rate" in bc and not _whole(bc["reference_rate"], 1000, _MOST_RATE):
        raise bad(f"BC filter reference_rate={bc['reference_rate']!r} Hz")
    emotions = state.get("emotions", list(config.Corpus().emotions))
    if not isinstance(emotions, list | tuple):
        raise bad(f"emotions {emotions!r} (expected a list)")
    if list(emotions) != list(config.Corpus().emotions):
        raise bad(f"{len(emotions)} emotions {list(emotions)[:3]}…, not RAVDESS's 8")
    if not isinstance(state.get("card", {}), dict):
        raise bad("its model card is not a table")
    width = features.n_features(kind, config.Features(**tuples(feats)))
    claimed = state.get("n_features", width)
    if claimed != width or not _whole(claimed, 1, 1 << 20):
        raise bad(f"n_features {claimed!r}, where its {kind} features have {width}")
    scaler = state.get("normalizer", state.get("standardizer"))
    if not isinstance(scaler, dict):
        raise bad("no normalisation table (normalizer)")
    if scaler.get("mode", "global") not in normalize.MODES:
        raise bad(f"unknown normalisation {scaler.get('mode')!r}")
    top_db = scaler.get("top_db")
    if top_db is not None and not (_number(top_db) and 0 < top_db < _MOST):
        raise bad(f"normalisation top_db={top_db!r} (needs None or a positive number)")
    mean = _array(scaler.get("mean"), "the normalisation mean", bad, 1)
    std = _array(scaler.get("std"), "the normalisation std", bad, 1)
    if len(mean) != width or len(std) != width or not (std > 0).all():
        raise bad(f"normalisation statistics for {len(mean)} and {len(std)} features, where its "
                  f"{kind} features have {width} (and every std > 0)")


def check_model(path: Path, state: dict) -> None:
    """A deep model's architecture (``config.Model``) checked before a network is built from
    it: sizes that are whole numbers in range, one output per emotion.

    Parameters
    ----------
    path : Path
        The file, named in the error.
    state : dict
        Its contents (``load_torch``).

    Raises
    ------
    CheckpointError
        For a missing weights table or the first architecture setting out of range.
    """
    def bad(what):
        return CheckpointError(f"{path}: {what}; not a model this version of bcser made")

    settings = _table(state, "model_config", config.Model, bad)
    if not isinstance(state.get("model"), dict):
        raise bad("no weights (model) table")
    emotions = len(config.Corpus().emotions)
    if settings.get("n_classes", emotions) != emotions:
        raise bad(f"n_classes={settings['n_classes']!r}, not one output per emotion "
                  f"({emotions})")
    for name in ("d_model", "n_heads", "n_layers"):
        if name in settings and not _whole(settings[name], 1, 4096):
            raise bad(f"model {name}={settings[name]!r}")
    channels = settings.get("conv_channels", config.Model().conv_channels)
    if not isinstance(channels, list | tuple) or not 0 < len(channels) <= 16 or \
            not all(_whole(c, 1, 4096) for c in channels):
        raise bad(f"model conv_channels={channels!r}")
    dropout = settings.get("dropout", config.Model().dropout)
    if not _number(dropout) or not 0 <= dropout < 1:
        raise bad(f"model dropout={dropout!r} (needs 0 ≤ dropout < 1)")
    if not isinstance(settings.get("block", ""), str):
        raise bad(f"model block={settings['block']!r}")


def tuples(d: dict) -> dict:
    """JSON and torch files keep tuples as lists; the config's dataclasses want tuples.

    Parameters
    ----------
    d : dict
        A config table as read back.

    Returns
    -------
    dict
        A copy with every list value made a tuple (one level deep).
    """
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}


# --- default.json --------------------------------------------------------------------------------

def save_manifest(path: str | Path, manifest: dict) -> Path:
    """``default.json``: which files in its folder make the default model, and how they fuse.

    Parameters
    ----------
    path : str or Path
        The file to write (atomically).
    manifest : dict
        Its contents, checked first (``check_manifest``).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    CheckpointError
        If ``manifest`` breaks ``check_manifest``'s rules.
    """
    check_manifest(Path(path), manifest)
    text = json.dumps(manifest, indent=2) + "\n"
    return files.write_text(path, text)


def load_manifest(path: str | Path) -> dict:
    """``default.json``, checked: its members are files in its own folder, its weight in [0, 1].

    Parameters
    ----------
    path : str or Path
        The default-model file.

    Returns
    -------
    dict
        Its contents ("deep", optionally "single", "classical", "weight", "uncertain_below").

    Raises
    ------
    CheckpointError
        If the file cannot be read as JSON, or breaks ``check_manifest``'s rules.
    """
    path = Path(path)
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise CheckpointError(f"{path}: not a readable default-model file ({err})") from None
    check_manifest(path, manifest)
    return manifest


def members(manifest: dict, key: str) -> list[str]:
    """The file names under ``key``: one, or a list of them (an ensemble).

    Parameters
    ----------
    manifest : dict
        A checked ``default.json`` (``load_manifest``).
    key : str
        "deep", "single" or "classical".

    Returns
    -------
    list of str
        The file names, in the manifest's order; empty when ``key`` is absent.
    """
    found = manifest.get(key)
    return [found] if isinstance(found, str) else list(found or [])


def check_manifest(path: Path, manifest) -> None:
    """A ``default.json``'s contents, checked: "deep" (and "single", if present) name a file
    or a non-empty list of files, "classical" one file, each only a name beside ``path`` (no
    folder, no link out of it); "weight" in [0, 1]; "uncertain_below" None or in (0, 1].

    Parameters
    ----------
    path : Path
        The manifest's file: its folder confines the members, and the error names it.
    manifest : object
        The parsed JSON.

    Raises
    ------
    CheckpointError
        For the first rule broken, naming the key and its value.
    """
    def bad(what):
        return CheckpointError(f"{path}: {what}")

    if not isinstance(manifest, dict):
        raise bad(f"a default-model file holds a JSON object, not a {type(manifest).__name__}")
    folder = path.parent.resolve()
    for key in ("deep", "single", "classical"):
        value = manifest.get(key)
        names = [value] if isinstance(value, str) else value
        if value is None and key != "deep":
            continue
        if key == "classical" and not isinstance(value, str):  # one baseline, never a list
            raise bad(f"'classical' must name one file, not {value!r}")
        if not isinstance(names, list) or not names or \
                not all(isinstance(n, str) and n for n in names):
            raise bad(f"{key!r} must name a file or a list of files, not {value!r}")
        for name in names:  # confined to the manifest's own folder: no ../, no absolute paths,
            # and no symbolic link out of it
            if Path(name).name != name or name in (".", "..") or \
                    not (folder / name).resolve().is_relative_to(folder):
                raise bad(f"{key!r} names {name!r}: only a file beside {path.name}")
    weight = manifest.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or \
            not 0 <= weight <= 1:
        raise bad(f"weight {weight!r}: the fusion weight is a number in [0, 1]")
    below = manifest.get("uncertain_below")
    if below is not None and (isinstance(below, bool) or not isinstance(below, int | float)
                              or not 0 < below <= 1):
        raise bad(f"uncertain_below {below!r}: the uncertainty threshold is a probability in "
                  "(0, 1]")


# --- the classical baseline ----------------------------------------------------------------------

CLASSICAL_FIELDS = ("classifier", "normalizer", "features", "bc", "signal", "emotions")


def save_classical(path: str | Path, state: dict) -> Path:
    """The classical baseline: ``classifier`` holds ``classical.export``'s arrays (stored as
    float64 tensors, so they load bit for bit in any version of scikit-learn, or without it).

    Parameters
    ----------
    path : str or Path
        The file to write (atomically).
    state : dict
        ``CLASSICAL_FIELDS``; ``classifier`` a dict of numpy arrays and plain values.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        If ``state`` lacks one of ``CLASSICAL_FIELDS`` (a bug of the caller's).
    """
    missing = [k for k in CLASSICAL_FIELDS if k not in state]
    if missing:
        raise ValueError(f"a classical model needs {', '.join(missing)}")
    arrays = {k: torch.from_numpy(np.ascontiguousarray(v)) if isinstance(v, np.ndarray) else v
              for k, v in state["classifier"].items()}
    return save_torch(path, {**state, "classifier": arrays, "format": "bcser-classical-1"})


def load_classical(path: str | Path) -> dict:
    """A file written by ``save_classical``, its fields checked; arrays back as numpy.

    Parameters
    ----------
    path : str or Path
        A classical model file.

    Returns
    -------
    dict
        Its fields, ``classifier`` holding numpy arrays (checked by ``check_classifier``).

    Raises
    ------
    CheckpointError
        As ``load_torch``; and for a file that is not a bcser classical model, an unknown
        classifier kind, or fields or arrays this version cannot use.
    """
    path = Path(path)
    state = load_torch(path, "classical model")
    if state.get("format") != "bcser-classical-1" or \
            any(k not in state for k in CLASSICAL_FIELDS):
        raise CheckpointError(f"{path}: not a bcser classical model (no classifier arrays)")
    check_fields(path, state)
    arrays = state["classifier"]
    if not isinstance(arrays, dict) or arrays.get("kind") not in ("svm", "logreg"):
        raise CheckpointError(f"{path}: unknown classifier {arrays.get('kind')!r}"
                              if isinstance(arrays, dict) else f"{path}: no classifier arrays")
    state["classifier"] = {k: v.numpy() if isinstance(v, torch.Tensor) else v
                           for k, v in arrays.items()}
    check_classifier(path, state["classifier"], len(state["normalizer"]["mean"]))
    return state


CLASSIFIER_ARRAYS = {"logreg": ("classes", "coef", "intercept"),
                     "svm": ("classes", "support_vectors", "dual_coef", "intercept", "n_support",
                             "gamma", "sigmoid_a", "sigmoid_b")}


def check_classifier(path: Path, arrays: dict, width: int) -> None:
    """``classical.export``'s arrays, checked against each other and the ``width`` features
    they classify: the shapes ``classical.Portable`` computes with, finite numbers, classes
    among the emotions.

    Parameters
    ----------
    path : Path
        The file, named in the error.
    arrays : dict
        The classifier's arrays; ``kind`` is "svm" or "logreg". Updated in place once checked:
        the arrays as float64 numpy, ``classes`` and ``n_support`` as int64.
    width : int
        The number of features it classifies (the normalisation's).

    Raises
    ------
    CheckpointError
        For a missing array, a wrong shape, non-finite numbers, or classes outside the emotions.
    """
    def bad(what):
        return CheckpointError(f"{path}: {what}; not a classifier this version of bcser made")

    kind = arrays["kind"]
    missing = [k for k in CLASSIFIER_ARRAYS[kind] if k not in arrays]
    if missing:
        raise bad(f"its {kind} classifier has no {', '.join(missing)}")
    got = {k: _array(arrays[k], k, bad, 2 if k in ("coef", "support_vectors", "dual_coef")
                     else 1) for k in CLASSIFIER_ARRAYS[kind] if k != "gamma"}
    classes = got["classes"]
    n = len(classes)
    emotions = len(config.Corpus().emotions)
    if not 3 <= n <= emotions or len(set(classes.tolist())) != n or \
            not all(c.is_integer() and 0 <= c < emotions for c in classes.tolist()):
        raise bad(f"classes {np.asarray(arrays['classes']).tolist()} (needs 3 to {emotions} "
                  "distinct emotion numbers)")
    shapes = {"intercept": (n,), "coef": (n, width)} if kind == "logreg" else {
        "support_vectors": (int(got["n_support"].sum()), width),
        "dual_coef": (n - 1, int(got["n_support"].sum())), "intercept": (n * (n - 1) // 2,),
        "n_support": (n,), "sigmoid_a": (n,), "sigmoid_b": (n,)}
    for name, shape in shapes.items():
        if got[name].shape != shape:
            raise bad(f"{name} of shape {got[name].shape}, where {n} classes of {width} "
                      f"features need {shape}")
    if kind == "svm":
        counts = got["n_support"]
        if not ((counts >= 1) & (counts == counts.round())).all():
            raise bad(f"n_support {counts.tolist()} (needs whole numbers ≥ 1)")
        if not _number(arrays["gamma"]) or not arrays["gamma"] > 0:
            raise bad(f"gamma={arrays['gamma']!r} (needs a positive number)")
    arrays.update({k: v.astype(np.int64) if k in ("classes", "n_support") else v
                   for k, v in got.items()})


# --- shipping: the models in bcser_utils/models/ ------------------------------------------------

def ship(models: str | Path, copies: dict[str, Path], texts: dict[str, str]) -> list[Path]:
    """Files into the shipped models' folder, each written atomically (``write_atomically``): a
    reader, or ``predict``, sees the old file or the new one, never half of one.

    Parameters
    ----------
    models : str or Path
        The folder (created if missing).
    copies : dict
        Name in ``models`` → the file whose bytes it gets.
    texts : dict
        Name in ``models`` → its text (a model card).

    Returns
    -------
    list of Path
        The files written, in the order given.
    """
    models = Path(models)
    for source in copies.values():  # every source checked before anything is replaced
        if not Path(source).is_file():
            raise ShipError(f"{source}: no such file to ship")
    written = [files.copy(source, models / name) for name, source in copies.items()]
    return written + [files.write_text(models / name, text) for name, text in texts.items()]


def ship_p3(run: str | Path, command: str, date: str) -> list[Path]:
    """A full-mode run of P3 fold 0 on real recordings (``make reproduce``'s) becomes the shipped
    paper-recipe checkpoint: ``P3_CHECKPOINT``, its metrics and MODEL_CARD.md beside it.

    Parameters
    ----------
    run : str or Path
        The run folder (model.pt, metrics.json).
    command, date : str
        What made it, and when, for the card.

    Returns
    -------
    list of Path
        The files written; a ``ShipError`` (nothing written) for a quick-mode run or one on the
        synthetic corpus.
    """
    from bcser_utils.present import cards

    run = Path(run)
    summary = read_json(run / "metrics.json")
    if not isinstance(summary, dict) or "metrics" not in summary:
        raise ShipError(f"{run / 'metrics.json'}: no results of a finished run to ship")
    if summary.get("mode") != "full" or summary.get("synthetic") is not False:
        raise ShipError(f"{run} is a {summary.get('mode')}-mode run"
                        + (" on the SYNTHETIC corpus" if summary.get("synthetic") else "")
                        + ": only a full-mode run on real recordings is shipped")
    return ship(P3_CHECKPOINT.parent,
                {P3_CHECKPOINT.name: run / "model.pt",
                 P3_CHECKPOINT.with_suffix(".metrics.json").name: run / "metrics.json"},
                {"MODEL_CARD.md": cards.model_card(summary, command, date)})
