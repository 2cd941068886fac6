"""A fixed, deterministic probe of what the code computes, one per part of ``provenance.PARTS``.

A result is current when the code that made it computes what today's code computes. Each part's
probe runs that part's real code on small fixed inputs made from seeds (no RAVDESS file, so it
runs anywhere, in seconds, on one CPU thread) and returns named arrays:

    features   two synthetic recordings (``audio.synthetic``) written as WAV files at 48 and
               16 kHz, through ``feature_cache.recording_features`` (decoding, the BC filter,
               all 15 versions of ``augment.versions``, log-mel tensors in the cache's float16)
               and the AC path; ``bc.to_bc`` at 16 kHz; ``features.extract`` in float32
               (log-mel, MFCC, prosody); ``normalize.Normalizer`` in its four modes, with and
               without the log floor
    model      ``model.EmotionNet`` built from the configuration after ``torch.manual_seed(0)``:
               its initial weights, its logits on a fixed input in eval mode and in train mode
               (dropout, BatchNorm's batch statistics), its attention over time
    training   P1/P2/P3/ALL splits of a synthetic catalogue (``pipeline.make_split``); three
               epochs of ``pipeline.train`` (normalisation, class weights, label smoothing,
               Adam, batch order, early stopping) on random float16 features with imbalanced
               classes; the trained model's logits; ``pipeline.save_model`` →
               ``inference.Predictor.load`` → single-clip and speaker-adapted probabilities;
               ``evaluation.evaluate`` and bootstrap intervals on fixed probabilities

Every probe uses ``config.get_config("full")`` (the paper's constants; no environment variable
changes it), so a changed constant moves it as a changed line of code does.

``check()`` compares a run with the committed reference (``provenance.REFERENCE``) within the
reference's tolerance and names each array that moved; ``update()`` rewrites the parts that
moved, each with a new id (``provenance.fingerprints``), and keeps the others as they are, so
that running it on another machine, or after a refactor, changes no id.

How the reference stores an array (``summary``): integers (row numbers) as their count and a
SHA-256 of their values, compared exactly; floats as their shape, mean, standard deviation,
minimum, maximum and up to 24 fixed entries, rounded to 7 significant digits (a small array is
kept whole). Floats compare with ``|a − r| ≤ rtol·|r| + atol·s`` (``s``: the largest magnitude
in the reference array, so that an entry near zero is held to the array's scale) and, for the
cache's float16 tensors, one float16 step more (for the mean and standard deviation, the step of
the largest entry, which bounds their move): a float32 value that lands a hair either side of a
float16 rounding boundary on another machine rounds one step apart.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import tempfile
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import soundfile as sf
import torch

from bcser_utils import config, files, provenance
from bcser_utils.audio import bc, feature_cache, features, names, synthetic
from bcser_utils.audio.normalize import Normalizer
from bcser_utils.learn import evaluation, inference, pipeline
from bcser_utils.learn.model import EmotionNet

RTOL, ATOL = 1e-4, 1e-5  # see the module docstring and docs/design.md, Provenance
SAMPLES = 24  # entries of a large array that the reference keeps
WHOLE = 64  # arrays of at most this many entries are kept whole


def _config() -> config.Config:
    return config.get_config("full")


# ---------------------------------------------------------------------------------------------
# The probes


def probe_features(folder: Path) -> dict[str, np.ndarray]:
    """The features part's arrays, from two synthetic recordings.

    Parameters
    ----------
    folder : Path
        An empty folder for the recordings' WAV files.

    Returns
    -------
    dict of str to numpy.ndarray
    """
    cfg = _config()
    out = {}
    angry = names.parse_name("03-01-05-02-01-01-01.wav")  # angry, strong, actor 1
    sad = names.parse_name("03-01-04-01-02-02-02.wav")  # sad, normal, actor 2
    tensors = {}
    for name, rate, signal, n_versions, seed in ((angry, 48_000, "bc", 15, 0),
                                                  (sad, 16_000, "ac", 3, 7)):
        path = folder / name.filename(".wav")
        sf.write(path, synthetic.synthesize(name, seed=3, sample_rate=rate), rate,
                 subtype="PCM_16")
        tensor, labels = feature_cache.recording_features(path, name.stem, cfg, signal,
                                                          n_versions, seed)
        tensors[signal] = tensor
        out[f"cache_{signal}"] = tensor
        out[f"cache_{signal}_label_lengths"] = np.array([len(label) for label in labels])
    # the BC filter at a rate other than its own, and the float32 features before the cache's
    # float16 (finer than float16's step of 0.008 at a log-mel value of −10)
    audio = synthetic.synthesize(angry, seed=5, sample_rate=16_000)
    heard = bc.to_bc(audio, 16_000, cfg.bc.alpha, cfg.bc.beta, cfg.bc.reference_rate)
    out["bc_16k"] = heard
    for kind in ("logmel", "mfcc", "prosody"):
        out[f"extract_{kind}"] = features.extract(heard, 16_000, kind, cfg.features)
    train, test = tensors["bc"], tensors["ac"]
    for mode, top_db in (("global", None), ("global", 80.0), ("scalar", None),
                         ("utterance", None), ("speaker", 60.0)):
        normalizer = Normalizer(mode, top_db).fit(train)
        if mode == "speaker":
            normalizer.add_speaker(2, test)
        out[f"normalize_{mode}_{top_db}"] = normalizer.transform(test, [2] * len(test))
    return out


def probe_model() -> dict[str, np.ndarray]:
    """The model part's arrays: EmotionNet's initial weights and its outputs on a fixed input.

    Returns
    -------
    dict of str to numpy.ndarray
    """
    cfg = _config()
    torch.manual_seed(0)
    model = EmotionNet(64, cfg.model)  # 64 bands, whatever features.n_mels says
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((4, 101, 64),
                                                                  dtype=np.float32))
    out = {"weights": torch.cat([p.detach().flatten() for p in model.parameters()]).numpy(),
           "n_parameters": np.array([p.numel() for p in model.parameters()])}
    with torch.no_grad():
        out["logits_eval"] = model.eval()(x).numpy()
        out["attention"] = model.last_attention.numpy()
        torch.manual_seed(1)
        out["logits_train"] = model.train()(x).numpy()
    return out


def _catalogue(actors, n_versions: int) -> pd.DataFrame:
    """A feature cache's index for every RAVDESS name of ``actors``, ``n_versions`` each; one
    byte-identical pair, as RAVDESS's Actor_07 has."""
    rows = [{"name": n.stem, "actor": n.actor, "sex": n.sex, "emotion": n.emotion_name,
             "emotion_code": n.emotion, "version": v, "duplicate_group": -1}
            for n in names.expected_names(actors) for v in range(n_versions)]
    index = pd.DataFrame(rows)
    index.loc[index["name"].isin(index["name"].unique()[[3, 4]]), "duplicate_group"] = 0
    return index


def probe_training(folder: Path) -> dict[str, np.ndarray]:
    """The training part's arrays: splits, a short training run, a saved model's
    probabilities and the metrics, on synthetic data.

    Parameters
    ----------
    folder : Path
        A folder for the probe's checkpoints.

    Returns
    -------
    dict of str to numpy.ndarray
    """
    cfg = _config()
    out = {}
    big = SimpleNamespace(cfg=cfg, cache=SimpleNamespace(index=_catalogue(range(1, 7), 5)))
    for protocol in ("P1", "P2", "P3", "ALL"):
        split = pipeline.make_split(big, protocol)
        for side in ("train", "val", "test"):
            out[f"split_{protocol}_{side}"] = np.asarray(getattr(split, side), dtype=np.int64)

    # Training: 3 actors' clips (P3: one actor each to train, stop early and test), 2 versions
    # each, random features with a pattern per class, so that the loss falls; neutral has half
    # the clips of the other emotions (RAVDESS's imbalance, so the class weights differ)
    index = _catalogue((1, 2, 3), 2)
    rng = np.random.default_rng(0)
    width = features.n_features(cfg.features.kind, cfg.features)  # what a checkpoint claims
    pattern = rng.standard_normal((8, 1, width))
    clips = (rng.standard_normal((len(index), 32, width))
             + pattern[index["emotion_code"].to_numpy() - 1] - 12).astype(np.float16)
    prepared = SimpleNamespace(cfg=cfg, cache=SimpleNamespace(index=index, features=clips,
                                                              meta={"signal": "bc"}))
    split = pipeline.make_split(prepared, "P3", n_folds=3)
    trained = pipeline.train(prepared, split, seed=0, progress=False, max_epochs=3)
    history = trained.fit.history
    out["train_loss"] = np.array(history.train_loss)
    out["val_loss"] = np.array(history.val_loss)
    out["class_weights"] = np.array(trained.fit.class_weights)
    out["trained_weights"] = torch.cat([p.detach().flatten()
                                        for p in trained.model.parameters()]).numpy()
    test = clips[split.test[:24]]
    with torch.no_grad():
        x = torch.from_numpy(trained.normalizer.transform(test))
        out["trained_logits"] = trained.model.eval()(x).numpy()

    # A saved model's probabilities: as trained (global statistics), and adapted to a speaker
    # (speaker statistics and a log floor, as the default model)
    for name, normalizer in (("global", trained.normalizer),
                             ("speaker", Normalizer("speaker", 30.0).fit(clips[split.train]))):
        path = pipeline.save_model(folder / f"{name}.pt", replace(trained, normalizer=normalizer),
                                   prepared)
        predictor = inference.Predictor.load(path)
        out[f"predict_{name}_single"] = predictor.single_probabilities(test)
        out[f"predict_{name}_speaker"] = predictor.speaker_probabilities(test)

    # The metrics, on fixed probabilities
    y = rng.integers(0, 8, 60)
    p = rng.dirichlet(np.ones(8), 60)
    p[np.arange(30), y[:30]] += 1.0  # half the clips leaning to their class
    p /= p.sum(axis=1, keepdims=True)
    metrics = evaluation.evaluate(y, p)
    # every metric but the ROC curves' points, whose count scikit-learn's versions thin alike
    # or not (the AUCs stay)
    out["evaluate"] = np.array(list(_numbers({k: v for k, v in metrics.items() if k != "roc"})))
    out["bootstrap"] = np.array([*evaluation.bootstrap_ci(y, p, "accuracy", n_boot=200),
                                 *evaluation.bootstrap_ci(y, p, "mcc", n_boot=200, seed=1,
                                                          groups=np.arange(60) % 6)])
    return out


def _numbers(value):
    """Every number in a nested dict or list, keys in sorted order."""
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _numbers(value[key])
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, (int, float)):
        yield float(value)


PROBES = {"features": probe_features, "model": lambda folder: probe_model(),
          "training": probe_training}  # part → its probe, given a temporary folder


@contextmanager
def _one_thread():
    """One torch thread while the probe runs: the same sums in the same order everywhere."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def run(parts=None) -> dict[str, dict[str, np.ndarray]]:
    """Each part's probe, on one torch thread, in a temporary folder.

    Parameters
    ----------
    parts : iterable of str, optional
        Which parts; default every part of ``provenance.PARTS``.

    Returns
    -------
    dict
        Part → array name → array.
    """
    with tempfile.TemporaryDirectory() as tmp, _one_thread():
        return {part: PROBES[part](Path(tmp)) for part in parts or provenance.PARTS}


# ---------------------------------------------------------------------------------------------
# The reference


def _round(values) -> list:
    return [float(f"{v:.7g}") for v in np.asarray(values, dtype=np.float64).ravel()]


def sampled(size: int) -> np.ndarray:
    """The flat positions of the entries that the reference keeps of a large array.

    Parameters
    ----------
    size : int
        The array's number of entries.

    Returns
    -------
    numpy.ndarray
        ``SAMPLES`` positions, evenly spread, first and last included.
    """
    return np.unique(np.linspace(0, size - 1, SAMPLES).round().astype(int))


def summary(array: np.ndarray) -> dict:
    """What the reference keeps of an array (see the module docstring).

    Parameters
    ----------
    array : numpy.ndarray
        A probe's array.

    Returns
    -------
    dict
        JSON-ready: shape and dtype; for integers a SHA-256 and the first entries; for floats
        the whole array (``WHOLE`` entries at most) or its statistics and sampled entries.
    """
    array = np.asarray(array)
    entry = {"shape": list(array.shape), "dtype": str(array.dtype)}
    if array.dtype.kind in "iub":
        values = array.astype(np.int64)
        return entry | {"sha256": hashlib.sha256(values.tobytes()).hexdigest()[:16],
                        "first": values.ravel()[:8].tolist()}
    flat = array.astype(np.float64).ravel()
    if flat.size <= WHOLE:
        return entry | {"values": _round(flat)}
    return entry | {"mean": _round([flat.mean()])[0], "std": _round([flat.std()])[0],
                    "min": _round([flat.min()])[0], "max": _round([flat.max()])[0],
                    "at": sampled(flat.size).tolist(), "sample": _round(flat[sampled(flat.size)])}


def part_id(arrays: dict) -> str:
    """A part's fingerprint: its reference arrays' id.

    Parameters
    ----------
    arrays : dict
        Array name → ``summary``.

    Returns
    -------
    str
        12 hex digits of the SHA-256 of their JSON (keys sorted).
    """
    text = json.dumps(arrays, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def differences(reference: dict, arrays: dict[str, np.ndarray], rtol: float = RTOL,
                atol: float = ATOL) -> list[str]:
    """How a probe's arrays differ from a part's reference beyond the tolerance.

    Parameters
    ----------
    reference : dict
        Array name → ``summary``, as the reference holds them.
    arrays : dict of str to numpy.ndarray
        What the probe made.
    rtol, atol : float
        The tolerance (see the module docstring).

    Returns
    -------
    list of str
        One line per array that moved, naming it and its largest move beyond the tolerance;
        [] when none did.
    """
    problems = []
    for name in sorted(set(reference) | set(arrays)):
        if name not in arrays:
            problems.append(f"{name}: the probe no longer makes it")
            continue
        if name not in reference:
            problems.append(f"{name}: not in the reference")
            continue
        ref, got = reference[name], summary(arrays[name])
        if ref["shape"] != got["shape"]:
            problems.append(f"{name}: shape {got['shape']}, reference {ref['shape']}")
        elif "sha256" in ref:
            if ref["sha256"] != got["sha256"]:
                problems.append(f"{name}: other values (first {got['first']}, reference "
                                f"{ref['first']})")
        elif worst := _worst(ref, got, np.asarray(arrays[name]).dtype, rtol, atol):
            problems.append(f"{name}: {worst}")
    return problems


def _worst(ref: dict, got: dict, dtype, rtol: float, atol: float) -> str | None:
    """The largest move of ``got`` from ``ref`` beyond the tolerance, in words, or None."""
    keys = ["values"] if "values" in ref else ["mean", "std", "min", "max", "sample"]
    r = np.concatenate([np.ravel(ref[k]) for k in keys]).astype(np.float64)
    g = np.concatenate([np.ravel(got[k]) for k in keys]).astype(np.float64)
    scale = np.abs(r).max()
    allowed = rtol * np.abs(r) + atol * scale
    if dtype == np.float16:
        # one float16 step more: an entry's own; for the mean and the standard deviation the
        # largest entry's, which bounds how far a step of every entry can move them
        steps = np.spacing(np.abs(r).astype(np.float16)).astype(np.float64)
        if "values" not in ref:
            steps[:2] = np.spacing(np.float16(scale))
        allowed += steps
    excess = np.abs(g - r) - allowed
    if not (excess > 0).any() and np.isfinite(g).all():
        return None
    i = int(np.nanargmax(np.where(np.isfinite(g), excess, np.inf)))
    what = (f"entry {i}" if "values" in ref else
            (keys[i] if i < 4 else f"entry {ref['at'][i - 4]}"))
    return f"{what} {g[i]:.7g}, reference {r[i]:.7g} (moved {abs(g[i] - r[i]):.3g})"


def check(reference: dict | None = None, parts=None) -> dict[str, list[str]]:
    """Run the probe and compare it with the reference.

    Parameters
    ----------
    reference : dict, optional
        A reference as ``provenance.reference()`` reads it; default the committed one.
    parts : iterable of str, optional
        Which parts; default all.

    Returns
    -------
    dict of str to list of str
        Part → ``differences`` ([] when nothing moved).
    """
    reference = reference or provenance.reference()
    tolerance = reference["tolerance"]
    ran = run(parts)
    return {part: differences(reference["parts"][part]["arrays"], arrays, tolerance["rtol"],
                              tolerance["atol"])
            for part, arrays in ran.items()}


def update(path: Path | None = None) -> dict[str, str]:
    """Rewrite the reference where the probe moved: each such part gets today's arrays and a new
    id, and results stamped with its old id read as stale from then on. A part that did not move
    keeps its arrays and id, and records today's code text (``provenance.code_texts``) among the
    texts that computed it.

    Parameters
    ----------
    path : Path, optional
        The reference file; default ``provenance.REFERENCE`` (made if it does not exist).

    Returns
    -------
    dict of str to str
        Part → "moved", "code text recorded" or "unchanged".
    """
    path = Path(path or provenance.REFERENCE)
    old = json.loads(path.read_text()) if path.exists() else {
        "tolerance": {"rtol": RTOL, "atol": ATOL}, "parts": {}}
    texts, made = provenance.code_texts(), _made()
    ran = run()
    outcome, parts = {}, {}
    for part, arrays in ran.items():
        before = old["parts"].get(part)
        if before and not differences(before["arrays"], arrays, **old["tolerance"]):
            known = before["code"] + [texts[part]] * (texts[part] not in before["code"])
            outcome[part] = "code text recorded" if known != before["code"] else "unchanged"
            parts[part] = before | {"code": known}
            continue
        kept = {name: summary(array) for name, array in sorted(arrays.items())}
        parts[part] = {"id": part_id(kept), "code": [texts[part]], "made": made, "arrays": kept}
        outcome[part] = "moved"
    text = json.dumps({"about": ABOUT, "tolerance": old["tolerance"], "parts": parts}, indent=1)
    # a list of numbers on one line: a diff of the file then shows which arrays moved
    text = re.sub(r"\[[-+.\deE,\s]*\]", lambda m: re.sub(r"\s+", " ", m.group()[1:-1]).strip()
                  .join("[]"), text)
    files.write_text(path, text + "\n")
    return outcome


ABOUT = ("What each part of the code computes on the probe of bcser_utils/learn/probe.py; "
         "'id' is the part's fingerprint that results record, 'code' the code-text "
         "fingerprints known to compute these values (provenance.code_texts). Rewritten by "
         "python -m bcser_utils provenance --update, never by hand.")


def _made() -> dict:
    """Where a reference part was made: the commit and the versions its numbers depend on."""
    import scipy
    import sklearn

    return {"commit": provenance.commit(), "python": platform.python_version(),
            "numpy": np.__version__, "scipy": scipy.__version__, "torch": torch.__version__,
            "sklearn": sklearn.__version__}
