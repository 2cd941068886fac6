"""Reference solutions to the exercises at the end of every notebook.

Each exercise is one function, ``exercises.<name>(..., show_solution=False)``. With the default
it prints only how to reveal the answer, so a student can work first; with
``show_solution=True`` it computes the answer with the package (never a copy of its logic),
prints it and returns the numbers as a dict, which ``tests/test_exercises.py`` checks by property.
The pattern is libpcp's ``exercise_…(show_result=…)``. Every solution is cheap in quick mode:
the two that train use a few epochs on the original (un-augmented) clips only.
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager

import numpy as np
import pandas as pd

from bcser_utils import config
from bcser_utils.audio import bc
from bcser_utils.learn import splits


def _hint(name: str) -> None:
    """Say that a solution exists and how to see it, without a single number of the answer."""
    print(f"Solution hidden. Work it out in the cell above first; then call "
          f"exercises.{name}(..., show_solution=True) with the same arguments to compare.")


# ---------------------------------------------------------------- checking the student's answer

@dataclasses.dataclass(frozen=True)
class Verdict:
    """What a check said about a student's answer.

    ``exercise``: the number in the notebook's heading ("2.1"); ``ok``: right or not;
    ``hint``: empty when right, otherwise the likely mistake (never the reference answer).
    """

    exercise: str
    ok: bool
    hint: str

    def __str__(self) -> str:
        if self.ok:
            return f"✓ Exercise {self.exercise}: right."
        return f"✗ Exercise {self.exercise}: not yet. {self.hint}"

    def _ipython_display_(self) -> None:
        """The check has already printed the one line; a notebook shows nothing more."""


# The latest verdict per exercise in this Python process: a grader executes a submitted notebook
# and reads them all with verdicts().
_VERDICTS: dict[str, Verdict] = {}

# Every checked exercise: {number: (notebook stem, function name)}; tests/test_exercises.py checks
# that each is called with answer= in its notebook.
CHECKED: dict[str, tuple[str, str]] = {
    "2.1": ("02_bc_filter_design", "cutoff_for_alpha"),
}


def verdicts() -> dict[str, Verdict]:
    """The latest verdict of every exercise checked in this Python process.

    Returns
    -------
    dict
        ``{exercise number: Verdict}``, e.g. ``{"2.1": Verdict("2.1", True, "")}``.
    """
    return dict(_VERDICTS)


def _ask(name: str, variable: str, what: str) -> None:
    """One line: which variable to fill in (no number, so nothing of the answer)."""
    print(f"Put your {what} in {variable}, then run this cell again "
          f"(exercises.{name}(..., show_solution=True) reveals the solution).")


def _verdict(exercise: str, ok: bool, hint: str = "") -> Verdict:
    """Record and print one verdict."""
    verdict = Verdict(exercise, bool(ok), "" if ok else hint)
    _VERDICTS[exercise] = verdict
    print(verdict)
    return verdict


def _as_number(answer) -> float | None:
    """The answer as a float, or None when it is not one number."""
    if isinstance(answer, bool | str | bytes):
        return None
    try:
        value = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return None
    return float(value) if value.size == 1 and np.isfinite(value).all() else None


def _close(value: float, target: float, rel: float, tol: float = 0.0) -> bool:
    return abs(value - target) <= max(rel * abs(target), tol)


def _check_number(exercise: str, answer, reference: float, slips=(), rel: float = 0.02,
                  tol: float = 0.0, what: str = "a number", otherwise: str = "") -> Verdict:
    """Right when ``answer`` is within ``rel`` (or ``tol``) of ``reference``; otherwise the hint
    of the first slip ``(value it would give, hint)`` the answer matches, or a general hint that
    says only whether it is too high or too low."""
    value = _as_number(answer)
    if value is None:
        return _verdict(exercise, False, f"Give {what}, not {type(answer).__name__} "
                                         f"{str(answer)[:40]!r}.")
    if _close(value, reference, rel, tol):
        return _verdict(exercise, True)
    for slip_value, hint in slips:
        if np.isfinite(slip_value) and _close(value, slip_value, rel, tol):
            return _verdict(exercise, False, hint)
    direction = "too high" if value > reference else "too low"
    return _verdict(exercise, False, f"Your answer is {direction}. {otherwise}".strip())


# ---------------------------------------------------------------- 01 · dataset exploration

def files_per_actor(df: pd.DataFrame, show_solution: bool = False) -> dict | None:
    """How many files a complete actor has (from the config's facts), and who falls short.

    Notebook: 01_dataset_exploration.
    """
    if not show_solution:
        return _hint("files_per_actor")
    corpus = config.get_config().corpus
    expected = corpus.n_files // corpus.n_actors
    per_actor = df.groupby("actor").size()
    incomplete = {int(a): int(n) for a, n in per_actor.items() if n != expected}
    print(f"a complete actor has {corpus.n_files:,} / {corpus.n_actors} = {expected} files: "
          "2 statements × 2 repetitions × (1 neutral intensity + 7 emotions × 2 intensities)")
    print(f"{len(per_actor)} actors here; incomplete: {incomplete or 'none'}")
    return {"expected": expected, "per_actor": {int(a): int(n) for a, n in per_actor.items()},
            "incomplete": incomplete}


def neutral_class_weight(df: pd.DataFrame, show_solution: bool = False) -> dict | None:
    """The 'balanced' class weights of this catalog: neutral's is twice the others'.

    Notebook: 01_dataset_exploration.
    """
    if not show_solution:
        return _hint("neutral_class_weight")
    from bcser_utils.learn import training

    emotions = config.get_config().emotions
    weights = training.class_weights(df["emotion_code"].to_numpy() - 1, len(emotions)).numpy()
    counts = df["emotion"].value_counts().reindex(emotions).fillna(0).astype(int)
    ratio = float(weights[0] / np.median(weights[1:]))
    print(pd.DataFrame({"files": counts, "class weight": weights.round(4)}).to_string())
    print(f"neutral's weight / the median of the others = {ratio:.2f}: half the files, "
          "twice the weight (weight × count is the same for every class)")
    return {"weights": dict(zip(emotions, weights.tolist(), strict=True)),
            "counts": counts.to_dict(), "neutral_ratio": ratio}


# ---------------------------------------------------------------- 02 · BC filter design

def _read_cutoff(freqs_hz: np.ndarray, gain_db: np.ndarray, dc_gain_db: float) -> float:
    """The first frequency of a curve at half the DC power (−3.01 dB), the closed form's
    definition. The DC gain is given: a Welch estimate removes the mean, so its DC bin is noise."""
    below = np.flatnonzero((freqs_hz > 0) & (gain_db <= dc_gain_db - 10 * np.log10(2)))
    return float(freqs_hz[below[0]]) if len(below) else float("nan")


def _check_cutoff_for_alpha(answer, alpha: float, sample_rate: float) -> Verdict:
    right = bc.cutoff_hz(sample_rate, alpha=alpha)
    omega = 2 * np.pi * right / sample_rate
    slips = [(right / 1000, "That looks like kHz: give the cut-off in Hz."),
             (bc.cutoff_hz(sample_rate), "That is the paper's pole: set α to the exercise's "
                                         "value before you solve for ω_c."),
             (omega, "That is ω_c in radians per sample: convert with f = ω·f_s / (2π)."),
             (np.degrees(omega), "That is ω_c in degrees: take arccos in radians, then "
                                 "f = ω·f_s / (2π)."),
             (2 * np.pi * right, "That is the angular frequency 2πf (rad/s): divide by 2π."),
             (2 * right, "You divided by π, not 2π: f = ω·f_s / (2π)."),
             (right / 2, "Use the full sample rate, not Nyquist: f = ω·f_s / (2π)."),
             (right * 16_000 / sample_rate, "That is the cut-off at 16 kHz: the exercise asks "
                                            f"for f_s = {sample_rate:g} Hz."),
             (right * 44_100 / sample_rate, "That is the cut-off at 44.1 kHz: the exercise asks "
                                            f"for f_s = {sample_rate:g} Hz.")]
    return _check_number("2.1", answer, right, slips, rel=0.01, what="the cut-off in Hz",
                         otherwise="Solve cos ω_c = (4α − 1 − α²) / (2α) for ω_c (radians), then "
                                   "f = ω_c·f_s / (2π).")


def cutoff_for_alpha(alpha: float = 0.8, sample_rate: float = 48_000,
                     show_solution: bool = False, answer=None) -> dict | Verdict | None:
    """Move the pole to ``alpha``: the −3 dB cut-off, in closed form and read off the curve.

    Notebook: 02_bc_filter_design. ``answer``: the student's cut-off in Hz (``my_cutoff_hz``).
    """
    if answer is not None:
        verdict = _check_cutoff_for_alpha(answer, alpha, sample_rate)
        if not show_solution:
            return verdict
    elif not show_solution:
        return _ask("cutoff_for_alpha", "my_cutoff_hz", "cut-off in Hz")
    paper = bc.frequency_response(sample_rate)
    moved = bc.frequency_response(sample_rate, alpha=alpha)
    read = _read_cutoff(moved.freqs_hz, moved.magnitude_db, moved.dc_gain_db)
    print(f"paper's pole α = {paper.alpha}: cut-off {paper.cutoff_hz:,.0f} Hz at "
          f"{sample_rate / 1000:g} kHz")
    print(f"pole moved to α = {alpha}: cut-off {moved.cutoff_hz:,.0f} Hz (closed form), "
          f"{read:,.0f} Hz read off the response curve")
    print("a pole nearer z = 1 means a longer memory, so a narrower low-pass: the cut-off falls")
    return {"alpha": alpha, "cutoff_hz": moved.cutoff_hz, "cutoff_read_hz": read,
            "paper_cutoff_hz": paper.cutoff_hz,
            "bin_hz": float(moved.freqs_hz[1] - moved.freqs_hz[0])}


def wrong_rate_cutoff(wrong_rate: float = 16_000, show_solution: bool = False) -> dict | None:
    """The 48 kHz coefficients run directly at ``wrong_rate``: measured with white noise.

    Notebook: 02_bc_filter_design.
    """
    if not show_solution:
        return _hint("wrong_rate_cutoff")
    right_rate = config.get_config().bc.reference_rate
    right = bc.cutoff_hz(right_rate)
    wrong = bc.cutoff_hz(wrong_rate)
    dc_db = bc.frequency_response(wrong_rate).dc_gain_db   # the same at every rate
    freqs, h = bc.measured_response(wrong_rate, seconds=10, reference_rate=wrong_rate)
    measured = _read_cutoff(freqs, 20 * np.log10(np.abs(h)), dc_db)
    freqs_ok, h_ok = bc.measured_response(wrong_rate, seconds=10)   # to_bc's own resampling
    measured_ok = _read_cutoff(freqs_ok, 20 * np.log10(np.abs(h_ok)), dc_db)
    print(f"defined at {right_rate / 1000:g} kHz: cut-off {right:,.0f} Hz")
    print(f"the same coefficients run at {wrong_rate / 1000:g} kHz: {wrong:,.0f} Hz "
          f"(measured with white noise: {measured:,.0f} Hz), {right / wrong:.2f}× lower")
    print(f"bc.to_bc at {wrong_rate / 1000:g} kHz (resamples to the reference rate): "
          f"{measured_ok:,.0f} Hz measured")
    return {"right_hz": right, "wrong_hz": wrong, "wrong_measured_hz": measured,
            "to_bc_measured_hz": measured_ok, "ratio": right / wrong,
            "rate_ratio": right_rate / wrong_rate}


def energy_below_1khz(audio: np.ndarray, sample_rate: int,
                      show_solution: bool = False) -> dict | None:
    """The share of a clip's energy below 1 kHz, before and after the BC filter.

    Notebook: 02_bc_filter_design.
    """
    if not show_solution:
        return _hint("energy_below_1khz")
    before = bc.band_energy_shares(audio, sample_rate)
    after = bc.band_energy_shares(bc.to_bc(audio, sample_rate), sample_rate)
    print(f"energy below 1 kHz: {before[0]:.1%} of the clip (AC) → {after[0]:.1%} (BC)")
    print("the low-pass keeps the low band and removes much of the high one, so the low "
          "band's share rises")
    return {"ac_share_below": float(before[0]), "bc_share_below": float(after[0])}


# ---------------------------------------------------------------- 03 · augmentation

def paper_clip_counts(show_solution: bool = False) -> dict | None:
    """How many clips 15 versions give, and what an 80:20 split leaves for validation.

    Notebook: 03_augmentation_gallery.
    """
    if not show_solution:
        return _hint("paper_clip_counts")
    cfg = config.get_config("full")  # the paper's scale, whatever the mode
    clips = cfg.corpus.n_files * cfg.augment.n_versions
    val = round(clips * cfg.training.val_fraction)
    print(f"{cfg.corpus.n_files:,} recordings × {cfg.augment.n_versions} versions = {clips:,} "
          f"clips; {cfg.training.val_fraction:.0%} of them = {val:,} validation clips")
    print(f"the paper's Table III support: {cfg.reported.val_support:,}")
    print("multiplying every class by 15 keeps neutral at half of every other class")
    return {"clips": clips, "val_clips": val, "paper_val_support": cfg.reported.val_support}


def versions_and_seeds(audio: np.ndarray, sample_rate: int, seed: int = 0,
                       show_solution: bool = False) -> dict | None:
    """Which of the 15 versions change with the seed, and are they reproducible with one?

    Notebook: 03_augmentation_gallery.
    """
    if not show_solution:
        return _hint("versions_and_seeds")
    from bcser_utils.audio import augment

    first = augment.versions(audio, sample_rate, seed=seed)
    again = augment.versions(audio, sample_rate, seed=seed)
    other = augment.versions(audio, sample_rate, seed=seed + 1)
    reproducible = all(np.array_equal(a, b) for (_, a), (_, b) in zip(first, again, strict=True))
    unchanged = [label for (label, a), (_, b) in zip(first, other, strict=True)
                 if len(a) == len(b) and np.array_equal(a, b)]
    print(f"the same seed gives identical versions: {reproducible}")
    print(f"identical under another seed (no randomness in them): {', '.join(unchanged)}")
    print(f"changed: {len(first) - len(unchanged)} of {len(first)} (the random chains can even "
          "pick other transforms)")
    return {"reproducible": reproducible, "unchanged": unchanged,
            "labels": [label for label, _ in first],
            "labels_other_seed": [label for label, _ in other]}


# ---------------------------------------------------------------- 04 · features

def frames_for_settings(hop_length: int = 160, max_duration_s: float = 4.0,
                        show_solution: bool = False) -> dict | None:
    """T for another hop and clip length, from the formula and from a real extraction.

    Notebook: 04_features.
    """
    if not show_solution:
        return _hint("frames_for_settings")
    from bcser_utils.audio import features

    f = config.get_config(overrides={"features.hop_length": hop_length,
                                     "features.max_duration_s": max_duration_s}).features
    predicted = features.n_frames(f)
    silence = np.zeros(int(f.sample_rate * 1.5), dtype=np.float32)   # any length: it is fixed
    extracted = features.extract(silence, f.sample_rate, "logmel", f).shape[0]
    print(f"hop {hop_length} samples ({1000 * hop_length / f.sample_rate:g} ms), "
          f"{max_duration_s:g} s clips: T = 1 + {features.n_samples(f):,} // {hop_length} = "
          f"{predicted} (an extracted clip has {extracted} frames)")
    print("halving the hop doubles T, and the attention inside the Transformer costs T², "
          "so about four times the attention work")
    return {"predicted": predicted, "extracted": extracted}


def normalise_on_everything(cache, split: splits.Split, show_solution: bool = False) -> dict | None:
    """Fit the standardiser on every clip (the leak) and see the held-out side move to 0.

    Notebook: 04_features.
    """
    if not show_solution:
        return _hint("normalise_on_everything")
    from bcser_utils.learn.pipeline import fit_standardizer

    held_out = split.test if len(split.test) else split.val
    honest = fit_standardizer(cache, split.train)
    leaky = fit_standardizer(cache, np.concatenate([split.train, held_out]))
    sample = np.sort(held_out)[:512]
    x = np.asarray(cache.features[sample], dtype=np.float32)
    offset_honest = float(np.abs(honest.transform(x).mean(axis=(0, 1))).mean())
    offset_leaky = float(np.abs(leaky.transform(x).mean(axis=(0, 1))).mean())
    print(f"held-out clips, mean |band mean| after standardising: {offset_honest:.3f} "
          f"(fitted on training only) vs {offset_leaky:.3f} (fitted on everything)")
    print(f"fitting on everything moves the held-out side {1 - offset_leaky / offset_honest:.0%} "
          "closer to 0: the test statistics have leaked into the model's input. The shift is as "
          "large as the held-out data are different, so it is worst exactly where it matters")
    return {"offset_train_only": offset_honest, "offset_everything": offset_leaky}


# ---------------------------------------------------------------- 05 · model

def parameters_for_width(n_features: int = 64, d_model: int = 128,
                         show_solution: bool = False) -> dict | None:
    """Double the Transformer's width: which blocks grow, and by how much?

    Notebook: 05_model_build.
    """
    if not show_solution:
        return _hint("parameters_for_width")
    import dataclasses

    from bcser_utils.learn import model

    base_cfg = config.get_config().model
    base = model.parameter_counts(model.EmotionNet(n_features, base_cfg))
    wide = model.parameter_counts(
        model.EmotionNet(n_features, dataclasses.replace(base_cfg, d_model=d_model)))
    table = pd.DataFrame({f"d_model={base_cfg.d_model}": base, f"d_model={d_model}": wide})
    table["ratio"] = (table.iloc[:, 1] / table.iloc[:, 0]).round(2)
    print(table.to_string())
    print("the encoder's weight matrices are d × d, so they grow with the square of the width; "
          "the convolutions do not depend on it")
    return {"base": base, "wide": wide}


def any_length_clip(n_features: int = 64, lengths=(51, 101, 201, 401),
                    show_solution: bool = False) -> dict | None:
    """Does the model need exactly T = 201 frames? Feed it other lengths.

    Notebook: 05_model_build.
    """
    if not show_solution:
        return _hint("any_length_clip")
    import torch

    from bcser_utils.learn import model

    torch.manual_seed(0)
    net = model.EmotionNet(n_features).eval()
    shapes, steps = {}, {}
    with torch.no_grad():
        for n in lengths:
            logits = net(torch.randn(1, n, n_features))
            shapes[n] = tuple(logits.shape)
            steps[n] = int(net.last_attention.shape[-1])
            total = float(net.last_attention.sum())
            print(f"T = {n:4d} frames → logits {shapes[n]}, attention over {steps[n]} steps "
                  f"(weights sum to {total:.3f})")
    print("attention pooling averages over however many steps there are, so any length works; "
          "the fixed length is for batching and for a fair comparison, not for the network")
    return {"logit_shapes": shapes, "attention_steps": steps}


# ---------------------------------------------------------------- 06 · training

def siblings_by_protocol(index: pd.DataFrame, show_solution: bool = False) -> dict | None:
    """How many validation clips have another version of their recording in training?

    Notebook: 06_training.
    """
    if not show_solution:
        return _hint("siblings_by_protocol")
    cfg = config.get_config()
    out = {}
    for name, make in (("P1", splits.p1), ("P2", splits.p2)):
        split = make(index, cfg.training.val_fraction, cfg.mode.seed)
        leaky = splits.siblings_in_training(index, split)
        out[name] = {"validation": len(split.val), "with_sibling": int(leaky.sum()),
                     "share": float(leaky.mean()) if len(leaky) else 0.0}
        print(f"{name}: {leaky.sum():,} of {len(split.val):,} validation clips "
              f"({out[name]['share']:.1%}) have a sibling version in training")
    n = int(index["version"].max()) + 1
    print(f"under P1 a clip escapes only if all {n - 1} siblings also land in validation, "
          f"about {cfg.training.val_fraction:g}^{n - 1} — never, in practice")
    return out


def smoothing_floor_for(label_smoothing: float = 0.2, n_classes: int = 8,
                        show_solution: bool = False) -> dict | None:
    """The lowest loss with label smoothing ε: formula, and the loss of the best prediction.

    Notebook: 06_training.
    """
    if not show_solution:
        return _hint("smoothing_floor_for")
    import torch

    from bcser_utils.learn import training

    label_smoothing = config.check_setting("training.label_smoothing", label_smoothing)
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"n_classes {n_classes!r}: expected a whole number of classes, 2 or more")
    floor = training.smoothing_floor(n_classes, label_smoothing)
    target = torch.full((1, n_classes), label_smoothing / n_classes)
    target[0, 0] += 1 - label_smoothing
    measured = training.make_loss(None, label_smoothing)(torch.log(target),
                                                         torch.tensor([0])).item()
    paper = training.smoothing_floor(n_classes, config.get_config().training.label_smoothing)
    print(f"ε = {label_smoothing}: floor {floor:.4f} (the loss of predicting exactly the smoothed "
          f"target: {measured:.4f}); with the paper's ε it is {paper:.4f}")
    print("a perfect classifier cannot get below this, so a loss that plateaus near it is not "
          "underfitting")
    return {"floor": floor, "measured": measured, "paper_floor": paper}


@contextmanager
def _one_thread():
    """Train the exercises' tiny models on one CPU thread: as fast on an idle machine, and on a
    busy 2-core one two threads wait on each other (measured: 90 s → 23 s for one exercise)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _originals(prepared, split: splits.Split) -> splits.Split:
    """The same split with only version 0 (the untouched recordings): a cheap training set."""
    original = prepared.cache.index["version"].to_numpy() == 0
    keep = lambda rows: np.asarray(rows)[original[np.asarray(rows, dtype=int)]]  # noqa: E731
    return splits.Split(split.protocol, keep(split.train), keep(split.val), keep(split.test),
                        split.description + " (original versions only)", split.fold)


def _recall(trained, prepared, rows) -> dict:
    from bcser_utils.learn import evaluation, pipeline

    proba = pipeline.predict_rows(trained, prepared.cache, rows)
    y = prepared.cache.index["emotion_code"].to_numpy()[np.asarray(rows)] - 1
    result = evaluation.evaluate(y, proba, prepared.cfg.emotions)
    predicted_share = np.bincount(proba.argmax(1), minlength=len(prepared.cfg.emotions)) / len(y)
    return {"neutral_recall": result["report"]["neutral"]["recall"],
            "accuracy": result["accuracy"], "neutral_predicted_share": float(predicted_share[0])}


def without_class_weights(prepared, epochs: int = 3, show_solution: bool = False) -> dict | None:
    """Train twice on the original clips, with and without class weights; neutral's recall.

    Notebook: 06_training.
    """
    if not show_solution:
        return _hint("without_class_weights")
    from bcser_utils.learn import pipeline

    split = _originals(prepared, pipeline.make_split(prepared, "P2"))
    with _one_thread():
        weighted = pipeline.train(prepared, split, progress=False, max_epochs=epochs)
        cfg = dataclasses.replace(prepared.cfg, training=dataclasses.replace(
            prepared.cfg.training, class_weight="none"))
        uniform = pipeline.train(dataclasses.replace(prepared, cfg=cfg), split, progress=False,
                                 max_epochs=epochs)
    out = {"weighted": _recall(weighted, prepared, split.val),
           "uniform": _recall(uniform, prepared, split.val)}
    out["weighted"]["class_weights"] = weighted.fit.class_weights
    out["uniform"]["class_weights"] = uniform.fit.class_weights
    print(f"{len(split.train)} training, {len(split.val)} validation clips, {epochs} epoch(s)")
    for name, r in out.items():
        print(f"{name:>8}: neutral weight {r['class_weights'][0]:.2f}, neutral recall "
              f"{r['neutral_recall']:.2f}, neutral predicted for {r['neutral_predicted_share']:.1%}"
              f" of clips, accuracy {r['accuracy']:.2f}")
    print("without weights the rarest class is predicted less often; with so few epochs and clips "
          "the difference is noisy: repeat with another seed before you believe it")
    return out


# ---------------------------------------------------------------- 07 · evaluation

def accuracy_interval(y_true, probabilities, show_solution: bool = False) -> dict | None:
    """How wide is the 95% interval, and how does it shrink with four times the clips?

    Notebook: 07_evaluation.
    """
    if not show_solution:
        return _hint("accuracy_interval")
    from bcser_utils.learn import evaluation

    y, p = np.asarray(y_true), np.asarray(probabilities)
    if p.ndim != 2 or len(y) != len(p) or len(y) < 8:  # a quarter of them must still be scored
        raise ValueError(f"accuracy_interval needs labels (N,) and probabilities (N, classes) "
                         f"for N ≥ 8 clips; got {y.shape} and {p.shape}")
    quarter = np.random.default_rng(0).permutation(len(y))[:len(y) // 4]
    accuracy = float((p.argmax(1) == y).mean())
    full = evaluation.bootstrap_ci(y, p, "accuracy", n_boot=500)
    small = evaluation.bootstrap_ci(y[quarter], p[quarter], "accuracy", n_boot=500)
    width, small_width = full[1] - full[0], small[1] - small[0]
    print(f"accuracy {accuracy:.1%} on {len(y):,} clips, 95% CI {full[0]:.1%}–{full[1]:.1%} "
          f"(width {width:.1%})")
    print(f"on a quarter of the clips the interval is {small_width / width:.1f}× as wide: "
          "the width falls like 1/√n, so halving it takes four times the clips")
    return {"accuracy": accuracy, "ci": full, "ci_quarter": small, "width": width,
            "width_quarter": small_width, "n": len(y)}


def tuning_on_the_test_fold(n_clips: int = 120, n_settings: int = 20, n_fresh: int = 2000,
                            seed: int = 0, show_solution: bool = False) -> dict | None:
    """Pick the best of many useless models on the test fold; then score it on fresh clips.

    Notebook: 07_evaluation.
    """
    if not show_solution:
        return _hint("tuning_on_the_test_fold")
    from bcser_utils.learn import evaluation

    rng = np.random.default_rng(seed)
    n_classes = len(config.get_config().emotions)
    y_test, y_fresh = rng.integers(0, n_classes, n_clips), rng.integers(0, n_classes, n_fresh)
    # n_settings "models" that guess at random: none of them knows anything about emotion
    test_scores = [evaluation.evaluate(y_test, rng.random((n_clips, n_classes)))["accuracy"]
                   for _ in range(n_settings)]
    best = int(np.argmax(test_scores))
    fresh = evaluation.evaluate(y_fresh, rng.random((n_fresh, n_classes)))["accuracy"]
    print(f"{n_settings} models that guess at random, chance = {1 / n_classes:.1%}")
    print(f"the one chosen on the test fold scores {test_scores[best]:.1%} there, and "
          f"{fresh:.1%} on {n_fresh:,} fresh clips")
    print("choosing on the test fold turns noise into an apparent gain; choose on validation "
          "data and touch the test fold once")
    return {"chance": 1 / n_classes, "selected_test_accuracy": float(test_scores[best]),
            "fresh_accuracy": float(fresh), "test_accuracies": test_scores}


def leak_one_actor(prepared, epochs: int = 6, show_solution: bool = False) -> dict | None:
    """Put one P3 test actor's clips into training and compare test accuracy on that actor.

    Notebook: 07_evaluation.
    """
    if not show_solution:
        return _hint("leak_one_actor")
    from bcser_utils.learn import pipeline

    honest = _originals(prepared, pipeline.make_split(prepared, "P3"))
    actors = prepared.cache.index["actor"].to_numpy()
    leaked_actor = int(actors[honest.test].min())
    on_actor = honest.test[actors[honest.test] == leaked_actor]
    leaky = splits.Split("P3", np.concatenate([honest.train, on_actor]), honest.val, honest.test,
                         honest.description + f", actor {leaked_actor} leaked", honest.fold)
    out = {"actor": leaked_actor}
    for name, split in (("honest", honest), ("leaked", leaky)):
        with _one_thread():
            trained = pipeline.train(prepared, split, progress=False, max_epochs=epochs)
        out[name] = _recall(trained, prepared, on_actor)["accuracy"]
    print(f"{len(honest.train)} training clips, {epochs} epochs; test accuracy on actor "
          f"{leaked_actor}: {out['honest']:.1%} honest, {out['leaked']:.1%} once their clips are "
          "in training")
    print("the leaked model has heard these very clips: that is recall of training data, not "
          "recognition of a new speaker")
    return out


# ---------------------------------------------------------------- 08 · beyond the paper

def p1_sibling_share(catalog: pd.DataFrame, n_versions=(2, 3, 5, 15),
                     show_solution: bool = False) -> dict | None:
    """Under P1, the share of validation clips with a sibling in training: predicted, counted.

    A validation clip lacks a sibling in training only if the other n − 1 versions of its
    recording all went to validation too, about f^(n−1) for a random split with validation share
    f. Notebook: 08_beyond_the_paper.
    """
    if not show_solution:
        return _hint("p1_sibling_share")
    from bcser_utils.studies import beyond

    cfg = config.get_config()
    shares = {}
    for n in n_versions:
        leak = beyond.leakage(beyond.version_index(catalog, n), cfg)
        predicted = 1 - cfg.training.val_fraction ** (n - 1)
        counted = float(leak.loc["P1", "sibling_fraction"])
        shares[n] = {"predicted": predicted, "counted": counted}
        print(f"{n:>2} versions: predicted 1 − {cfg.training.val_fraction:g}^{n - 1} = "
              f"{predicted:.2%}, counted {counted:.2%} of {leak.loc['P1', 'clips']:,} clips")
    print("Even 2 versions leak 80% of the validation side; at the paper's 15 nothing is unseen.")
    return {"shares": shares}


def paired_or_separate(robust: pd.DataFrame, show_solution: bool = False) -> dict | None:
    """BC − AC from two separate accuracy intervals, and from one paired interval.

    Notebook: 08_beyond_the_paper.
    """
    if not show_solution:
        return _hint("paired_or_separate")
    from bcser_utils.learn import evaluation
    from bcser_utils.present.formatting import NOISE_FREE

    emotions = config.get_config().emotions
    clean = robust[robust["kind"] == NOISE_FREE]
    y, p_bc, _ = evaluation.prediction_arrays(clean[clean["signal"] == "bc"], emotions)
    _, p_ac, _ = evaluation.prediction_arrays(clean[clean["signal"] == "ac"], emotions)
    bc_ci, ac_ci = evaluation.bootstrap_ci(y, p_bc), evaluation.bootstrap_ci(y, p_ac)
    separate = (bc_ci[0] - ac_ci[1], bc_ci[1] - ac_ci[0])  # all the two intervals allow
    paired = evaluation.paired_difference(y, p_bc, p_ac)
    agreement = float(np.mean(p_bc.argmax(1) == p_ac.argmax(1)))
    print(f"BC {paired['a']:.1%} (95% CI {bc_ci[0]:.1%}–{bc_ci[1]:.1%}), AC {paired['b']:.1%} "
          f"({ac_ci[0]:.1%}–{ac_ci[1]:.1%}) on the same {len(y)} clips")
    print(f"what the two intervals allow for BC − AC: {separate[0]:+.1%} to {separate[1]:+.1%} "
          f"(width {separate[1] - separate[0]:.1%})")
    print(f"paired bootstrap: {paired['difference']:+.1%}, 95% CI {paired['ci95'][0]:+.1%} to "
          f"{paired['ci95'][1]:+.1%} (width {paired['ci95'][1] - paired['ci95'][0]:.1%})")
    print(f"The models give the same answer on {agreement:.0%} of the clips; a paired draw keeps "
          "those clips together, so only the clips where they differ move the difference.")
    return {"separate": separate, "paired": paired["ci95"], "difference": paired["difference"],
            "agreement": agreement}


# ---------------------------------------------------------------- 09 · towards unseen speakers

def speaker_zscores(values: pd.DataFrame, names: list[str],
                    show_solution: bool = False) -> dict | None:
    """Per-speaker standardisation with pandas alone equals ``normalize.standardize_groups``,
    and a constant factor on one speaker's loudness functionals leaves their z-scores as they
    were. Notebook: 09_towards_unseen_speakers."""
    if not show_solution:
        return _hint("speaker_zscores")
    from bcser_utils.audio import normalize

    by_hand = values.groupby("speaker")[names].transform(
        lambda v: (v - v.mean()) / (v.std(ddof=0) + 1e-5))
    package = normalize.standardize_groups(values[names].to_numpy(), values["speaker"])
    loud = [n for n in names if n.startswith("loudness") and "stddevNorm" not in n
            and "Rising" not in n and "Falling" not in n and "Peaks" not in n]
    farther = values.copy()
    speaker = farther["speaker"].iloc[0]
    farther.loc[farther.speaker == speaker, loud] *= 0.66
    after = normalize.standardize_groups(farther[names].to_numpy(), farther["speaker"])
    own = (values["speaker"] == speaker).to_numpy()
    columns = [names.index(n) for n in loud]
    result = {"max_difference_pandas_vs_package": float(np.abs(by_hand.to_numpy() - package).max()),
              "loudness_functionals": loud,
              "raw_change": float(np.abs(farther.loc[own, loud].to_numpy()
                                         - values.loc[own, loud].to_numpy()).max()),
              "standardised_change": float(np.abs(after[own][:, columns]
                                                  - package[own][:, columns]).max())}
    print(f"pandas against standardize_groups: largest difference "
          f"{result['max_difference_pandas_vs_package']:.2g}")
    print(f"speaker {speaker}, {len(loud)} loudness functionals × 0.66: raw values move by up to "
          f"{result['raw_change']:.3g}, standardised ones by {result['standardised_change']:.2g} "
          "(a factor on every clip of a speaker changes their mean and spread alike)")
    return result


def fusion_on_validation(deep: pd.DataFrame, classical: pd.DataFrame,
                         weights=(0.0, 0.25, 0.5, 0.75, 1.0),
                         show_solution: bool = False) -> dict | None:
    """Late fusion of two predictions tables, its weight chosen on the early-stopping actors
    ("val") and only then scored on the test actors. Notebook: 09_towards_unseen_speakers."""
    if not show_solution:
        return _hint("fusion_on_validation")
    from bcser_utils.learn.evaluation import fuse, part, table_score
    from bcser_utils.studies import final_model

    val = final_model.fusion_weights(part(deep, "val"),
                                    part(classical, "val"), weights)
    best = max(val, key=lambda w: (val[w], w))
    test = {name: table_score(part(t, "test"), n_boot=0)["accuracy"]
            for name, t in (("deep", deep), ("baseline", classical),
                            ("fusion", fuse(deep, classical, best)))}
    print("accuracy on the early-stopping actors by weight: "
          + ", ".join(f"w = {w:g}: {a:.1%}" for w, a in val.items()))
    print(f"chosen w = {best:g}; on the test actors: deep {test['deep']:.1%}, baseline "
          f"{test['baseline']:.1%}, fusion {test['fusion']:.1%}. Choosing w on the test actors "
          "would make the fusion's test number a maximum over five tries: optimistic by "
          "construction (exercise 7.2).")
    return {"val_by_weight": val, "weight": best, "test": test}


# ---------------------------------------------------------------- 10 · your own voice

def adapt_on_a_subset(clips: dict, emotions, model=None,
                      show_solution: bool = False) -> dict | None:
    """Adapt to the clips of ``emotions`` only (at least 4), and count how many of them are named
    right, against the same clips adapted to among all of ``clips``.

    Notebook: 10_your_own_voice.
    """
    if not show_solution:
        return _hint("adapt_on_a_subset")
    from bcser_utils.app import voice

    emotions = list(emotions)
    among_all = voice.compare(clips, model).set_index("intended").loc[emotions, "adapted"]
    alone = voice.compare({e: clips[e] for e in emotions}, model)["adapted"]
    result = {"n": len(emotions), "among_all": int((among_all == emotions).sum()),
              "subset_alone": int((alone.to_numpy() == np.array(emotions)).sum())}
    print(f"{', '.join(emotions)}: named right {result['among_all']} of {result['n']} when "
          f"adapting to all {len(clips)} clips, {result['subset_alone']} of {result['n']} when "
          "adapting to these alone. The speaker's statistics are their average voice: from a "
          "narrow range of emotions that average is one of them, and the model hears every clip "
          "as a departure from it.")
    return result


def hop_and_alignment(path, spans, hops=(1.0, 0.5, 0.25), model=None,
                      show_solution: bool = False) -> dict | None:
    """For each hop, how many clips the window nearest each clip's centre names right
    (``spans``: (emotion, start s, end s), as ``voice.join`` returns them).

    Notebook: 10_your_own_voice.
    """
    if not show_solution:
        return _hint("hop_and_alignment")
    from bcser_utils.app import predict, timeline

    model = model or predict.load_model()
    right = {}
    for hop in hops:
        rows = timeline.timeline(path, model, hop_s=hop)
        centres = np.array([(r["start"] + r["end"]) / 2 for r in rows])
        nearest = [rows[int(np.argmin(abs(centres - (start + end) / 2)))]
                   for _, start, end in spans]
        right[float(hop)] = sum(r["emotion"] == e for r, (e, _, _) in zip(nearest, spans,
                                                                          strict=True))
    print("clips named right by the window nearest their centre: "
          + ", ".join(f"hop {h:g} s: {n} of {len(spans)}" for h, n in right.items())
          + ". A coarse hop can leave the nearest window half a second off the sentence, and "
          "the model heard every training clip centred.")
    return right

