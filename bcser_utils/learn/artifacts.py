"""The files a model lives in, each with its one writer and its one reader.

| file | written by | read by |
|---|---|---|
| ``model.pt`` (a deep model) | ``save_checkpoint`` | ``load_checkpoint`` |
| ``*_egemaps.pt`` (the classical baseline) | ``save_classical`` | ``load_classical`` |
| ``default.json`` (what ``predict`` uses by default) | ``save_manifest`` | ``load_manifest`` |

Every file is written under a temporary name of this process, then renamed, so a reader sees it
whole or not at all. Every reader loads with ``torch.load(weights_only=True)`` or plain JSON, so
a file cannot run code, and it checks what the file claims against what a model accepts: a
file that is not ours gets a ``CheckpointError`` that names it and says why.

Notebooks: 06_training (the checkpoint), 07_evaluation, 09_towards_unseen_speakers.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import torch

from bcser_utils import config

P3_CHECKPOINT = config.MODELS_DIR / "bcser_p3.pt"  # the paper's recipe, P3 fold 1
DEFAULT_MODEL = config.MODELS_DIR / "default.json"  # what predict uses by default

MODEL_FIELDS = ("model", "model_config", "n_features", "features", "signal")


class CheckpointError(ValueError):
    """A file that is not a bcser model file; the message names it and says why."""


def write_atomically(path: str | Path, write) -> Path:
    """``write(temporary_path)``, then rename it to ``path``: the file exists whole or not at
    all, and two processes never share a temporary name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


# --- torch files ---------------------------------------------------------------------------------

def save_torch(path: str | Path, state: dict) -> Path:
    """``state`` (tensors and plain values only) as a torch file, atomically."""
    return write_atomically(path, lambda tmp: torch.save(state, tmp))


def load_torch(path: str | Path, what: str = "model checkpoint") -> dict:
    """A torch file's dict, read with ``weights_only=True``; a ``CheckpointError`` naming the
    file and the cause otherwise (never torch's advice to drop ``weights_only``: a file that
    needs it is not ours, and may be hostile)."""
    import pickle
    import warnings

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint" if not path.exists() else
                              f"{path}: not a file, so not a {what}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: empty file (0 bytes), not a {what}")
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
        cause = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
        raise CheckpointError(f"{path}: not a readable torch file, truncated or corrupt "
                              f"({cause})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: not a bcser {what} (a {type(state).__name__})")
    return state


def save_checkpoint(path: str | Path, state: dict) -> Path:
    """A deep model for ``predict``: ``state`` holds ``MODEL_FIELDS`` and normalizer, bc,
    emotions, card (``pipeline.save_model`` builds it)."""
    missing = [k for k in MODEL_FIELDS if k not in state]
    if missing:
        raise ValueError(f"a model checkpoint needs {', '.join(missing)}")
    return save_torch(path, state)


def load_checkpoint(path: str | Path) -> dict:
    """A file written by ``save_checkpoint``, its fields checked."""
    path = Path(path)
    state = load_torch(path)
    if "early_stopping" in state and "n_features" not in state:
        raise CheckpointError(f"{path}: a training checkpoint, not a model: use the model.pt "
                              "beside it")
    missing = [k for k in MODEL_FIELDS if k not in state]
    if missing:
        raise CheckpointError(f"{path}: not a bcser model checkpoint (no {', '.join(missing)})")
    check_fields(path, state)
    return state


def check_fields(path: Path, state: dict) -> None:
    """What a model file claims, checked against what this version accepts."""
    from bcser_utils.audio import clip, features

    def bad(what):
        return CheckpointError(f"{path}: {what}; not a model this version of bcser made")

    if not isinstance(state.get("features"), dict) or not isinstance(state.get("bc"), dict):
        raise bad("its feature or BC settings are not a table")
    kind = state["features"].get("kind")
    if kind not in features.KINDS:
        raise bad(f"unknown features {kind!r}")
    if state.get("signal") not in clip.SIGNALS:
        raise bad(f"unknown signal {state.get('signal')!r} (expected ac or bc)")
    alpha, beta = state["bc"].get("alpha"), state["bc"].get("beta")
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in (alpha, beta)) \
            or not 0 < alpha < 1 or beta <= 0:
        raise bad(f"BC filter alpha={alpha!r}, beta={beta!r} (needs 0 < alpha < 1, beta > 0)")
    emotions = state.get("emotions", list(config.Corpus().emotions))
    if list(emotions) != list(config.Corpus().emotions):
        raise bad(f"{len(emotions)} emotions {list(emotions)[:3]}…, not RAVDESS's 8")
    if "n_features" in state and not (isinstance(state["n_features"], int)
                                      and state["n_features"] > 0):
        raise bad(f"n_features {state['n_features']!r}")


def tuples(d: dict) -> dict:
    """JSON and torch files keep tuples as lists; the config's dataclasses want tuples."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}


# --- default.json --------------------------------------------------------------------------------

def save_manifest(path: str | Path, manifest: dict) -> Path:
    """``default.json``: which files in its folder make the default model, and how they fuse."""
    check_manifest(Path(path), manifest)
    text = json.dumps(manifest, indent=2) + "\n"
    return write_atomically(path, lambda tmp: tmp.write_text(text))


def load_manifest(path: str | Path) -> dict:
    """``default.json``, checked: its members are files in its own folder, its weight in [0, 1]."""
    path = Path(path)
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{path}: not a readable default-model file ({err})") from None
    check_manifest(path, manifest)
    return manifest


def members(manifest: dict, key: str) -> list[str]:
    """The file names under ``key``: one, or a list of them (an ensemble)."""
    found = manifest.get(key)
    return [found] if isinstance(found, str) else list(found or [])


def check_manifest(path: Path, manifest) -> None:
    def bad(what):
        return CheckpointError(f"{path}: {what}")

    if not isinstance(manifest, dict):
        raise bad(f"a default-model file holds a JSON object, not a {type(manifest).__name__}")
    for key in ("deep", "single", "classical"):
        value = manifest.get(key)
        names = [value] if isinstance(value, str) else value
        if value is None and key != "deep":
            continue
        if not isinstance(names, list) or not names or \
                not all(isinstance(n, str) and n for n in names):
            raise bad(f"{key!r} must name a file or a list of files, not {value!r}")
        for name in names:  # confined to the manifest's own folder: no ../, no absolute paths
            if Path(name).name != name or name in (".", ".."):
                raise bad(f"{key!r} names {name!r}: only a file beside default.json")
    weight = manifest.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or \
            not 0 <= weight <= 1:
        raise bad(f"weight {weight!r}: the fusion weight is a number in [0, 1]")


# --- the classical baseline ----------------------------------------------------------------------

CLASSICAL_FIELDS = ("classifier", "normalizer", "features", "bc", "signal", "emotions")


def save_classical(path: str | Path, state: dict) -> Path:
    """The classical baseline: ``classifier`` holds ``classical.export``'s arrays (stored as
    float64 tensors, so they load bit for bit in any version of scikit-learn, or without it)."""
    import numpy as np

    missing = [k for k in CLASSICAL_FIELDS if k not in state]
    if missing:
        raise ValueError(f"a classical model needs {', '.join(missing)}")
    arrays = {k: torch.from_numpy(np.ascontiguousarray(v)) if isinstance(v, np.ndarray) else v
              for k, v in state["classifier"].items()}
    return save_torch(path, {**state, "classifier": arrays, "format": "bcser-classical-1"})


def load_classical(path: str | Path) -> dict:
    """A file written by ``save_classical``, its fields checked; arrays back as numpy."""
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
    return state
