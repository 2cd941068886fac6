"""Checks of the student's answers, and reference solutions, for the exercises of every notebook.

Each exercise is one function, ``exercises.<name>(..., show_solution=False, answer=None)``.
Given the student's ``answer`` (the notebook's ``my_…`` variable) it prints one line, a
``Verdict``: right, or not yet with the likely mistake it recognises (each check computes what the
usual slips would give: kHz for Hz, the wrong sample rate, a percentage for a fraction, the test
actors for the early-stopping ones …), never the reference answer. ``verdicts()`` keeps the latest
verdict per exercise, for a grader; ``CHECKED`` lists the checked exercises. Without an answer it
says which variable to fill in. With ``show_solution=True`` it computes the answer with the package
(never a copy of its logic), prints it and returns the numbers as a dict, which
``tests/test_exercises.py`` checks by property. The pattern is libpcp's
``exercise_…(show_result=…)``. Every check and solution is cheap in quick mode: the checks never
train (where the solution trains, the check tests the principle), and the solutions that train use
a few epochs on the original (un-augmented) clips only. Exercise 9.3 is a threshold task: its check
measures the student's trained model itself.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
from contextlib import contextmanager

import numpy as np
import pandas as pd

from bcser_utils import config
from bcser_utils.audio import bc
from bcser_utils.learn import splits

# "hidden" in a graded assignment (make assignment sets it in a locked cell, the grader in its
# environment): show_solution=True then reveals nothing.
SOLUTIONS_ENV = "BCSER_SOLUTIONS"


def solutions_hidden() -> bool:
    """Whether this is a graded assignment, whose solutions stay hidden.

    Returns
    -------
    bool
        True when ``$BCSER_SOLUTIONS`` is "hidden".
    """
    return os.environ.get(SOLUTIONS_ENV, "").strip().lower() == "hidden"


def _hint(name: str) -> None:
    """Say that a solution exists and how to see it, without a single number of the answer."""
    if solutions_hidden():
        print("Solution hidden in this assignment. Work it out in the cell above first.")
        return
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
        if self.ok:   # a threshold task says by how much in ``hint``; the others leave it empty
            return f"✓ Exercise {self.exercise}: right." + (f" {self.hint}" if self.hint else "")
        return f"✗ Exercise {self.exercise}: not yet. {self.hint}"

    def _ipython_display_(self) -> None:
        """The check has already printed the one line; a notebook shows nothing more."""


# The latest verdict per exercise in this Python process: a grader executes a submitted notebook
# and reads them all with verdicts().
_VERDICTS: dict[str, Verdict] = {}

# Every checked exercise: {number: (notebook stem, function name)}; tests/test_exercises.py checks
# that each is called with answer= in its notebook.
CHECKED: dict[str, tuple[str, str]] = {
    "1.1": ("01_dataset_exploration", "files_per_actor"),
    "1.2": ("01_dataset_exploration", "neutral_class_weight"),
    "2.1": ("02_bc_filter_design", "cutoff_for_alpha"),
    "2.2": ("02_bc_filter_design", "wrong_rate_cutoff"),
    "2.3": ("02_bc_filter_design", "energy_below_1khz"),
    "3.1": ("03_augmentation_gallery", "paper_clip_counts"),
    "3.2": ("03_augmentation_gallery", "versions_and_seeds"),
    "4.1": ("04_features", "frames_for_settings"),
    "4.2": ("04_features", "normalise_on_everything"),
    "5.1": ("05_model_build", "parameters_for_width"),
    "5.2": ("05_model_build", "any_length_clip"),
    "6.1": ("06_training", "siblings_by_protocol"),
    "6.2": ("06_training", "smoothing_floor_for"),
    "6.3": ("06_training", "without_class_weights"),
    "7.1": ("07_evaluation", "accuracy_interval"),
    "7.2": ("07_evaluation", "tuning_on_the_test_fold"),
    "7.3": ("07_evaluation", "leak_one_actor"),
    "8.1": ("08_beyond_the_paper", "p1_sibling_share"),
    "8.2": ("08_beyond_the_paper", "paired_or_separate"),
    "9.1": ("09_towards_unseen_speakers", "speaker_zscores"),
    "9.2": ("09_towards_unseen_speakers", "fusion_on_validation"),
    "9.3": ("09_towards_unseen_speakers", "beat_the_baseline"),
    "10.1": ("10_your_own_voice", "adapt_on_a_subset"),
    "10.2": ("10_your_own_voice", "hop_and_alignment"),
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
    reveal = ("" if solutions_hidden() else
              f" (exercises.{name}(..., show_solution=True) reveals the solution)")
    print(f"Put your {what} in {variable}, then run this cell again{reveal}.")


def _before_solution(shown: bool, name: str, variable: str, what: str, answer,
                     check) -> Verdict | None:
    """What every checked exercise does first: check an answer (``check(answer)``), or, when no
    solution is ``shown`` either, say which variable to fill in. The caller returns this unless
    a solution is asked for."""
    if not (answer is None or isinstance(answer, dict) and all(v is None for v in answer.values())):
        return check(answer)   # a template such as {2: None, 3: None} is not an answer yet
    if not shown:
        _ask(name, variable, what)
    return None


def _check_choice(exercise: str, answer, right: str, options: dict[str, tuple[str, ...]],
                  hints: dict[str, str], unclear: dict[str, str] | None = None) -> Verdict:
    """A short choice: ``options`` maps each choice to the words that mean it (lower case);
    ``hints`` says, for each wrong choice, the reasoning it likely missed; ``unclear``: words
    that could mean more than one choice, and what to say to them."""
    listed = " or ".join(repr(o) for o in options)
    if not isinstance(answer, str):
        return _verdict(exercise, False, f"Give one of {listed} (a string).")
    said = " ".join(answer.strip().lower().replace("_", " ").split())
    chosen = next((o for o, words in options.items() if said == o or said in words), None)
    if chosen is None and said in (unclear or {}):
        return _verdict(exercise, False, unclear[said])
    if chosen is None:
        return _verdict(exercise, False, f"{answer!r} is not one of {listed}.")
    return _verdict(exercise, chosen == right, hints.get(chosen, ""))


def _verdict(exercise: str, ok: bool, hint: str = "", note: str = "") -> Verdict:
    """Record and print one verdict: ``hint`` when wrong, ``note`` (usually none) when right."""
    verdict = Verdict(exercise, bool(ok), note if ok else hint)
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
    for slip, hint in slips:
        if (slip(value) if callable(slip) else
                np.isfinite(slip) and _close(value, slip, rel, tol)):
            return _verdict(exercise, False, hint)
    direction = "too high" if value > reference else "too low"
    return _verdict(exercise, False, f"Your answer is {direction}. {otherwise}".strip())


# ---------------------------------------------------------------- 01 · dataset exploration

def _check_files_per_actor(answer) -> Verdict:
    cfg = config.get_config("full")
    right = cfg.corpus.n_files // cfg.corpus.n_actors
    slips = [(64, "Neutral has only one intensity (normal): it does not come in strong."),
             (56, "You left out neutral: it is one of the eight, in normal intensity only."),
             (32, "Emotions other than neutral come in two intensities."),
             (30, "Each sentence is said twice (2 repetitions), and there are 2 statements."),
             (15, "Multiply by the 2 statements and the 2 repetitions."),
             (120, "One factor of 2 too many: 2 statements × 2 repetitions × the emotions and "
                   "intensities."),
             (cfg.corpus.n_files, "That is the whole corpus; divide by the number of actors."),
             (cfg.corpus.n_actors, "That is the number of actors, not files per actor."),
             (right * cfg.augment.n_versions, "You counted augmented clips (15 versions), not "
                                              "recordings: count the files on disk.")]
    return _check_number("1.1", answer, right, slips, rel=0, tol=0.01,
                         what="a whole number of files",
                         otherwise="Multiply statements × repetitions × (neutral's intensities "
                                   "+ 7 emotions × their intensities).")


def files_per_actor(df: pd.DataFrame, show_solution: bool = False,
                    answer=None) -> dict | Verdict | None:
    """How many files a complete actor has (from the config's facts), and who falls short.

    Notebook: 01_dataset_exploration. ``answer``: the student's files per actor
    (``my_files_per_actor``).
    """
    checked = _before_solution(show_solution, "files_per_actor", "my_files_per_actor",
                               "files per actor", answer, _check_files_per_actor)
    if not show_solution:
        return checked
    corpus = config.get_config().corpus
    expected = corpus.n_files // corpus.n_actors
    per_actor = df.groupby("actor").size()
    incomplete = {int(a): int(n) for a, n in per_actor.items() if n != expected}
    print(f"a complete actor has {corpus.n_files:,} / {corpus.n_actors} = {expected} files: "
          "2 statements × 2 repetitions × (1 neutral intensity + 7 emotions × 2 intensities)")
    print(f"{len(per_actor)} actors here; incomplete: {incomplete or 'none'}")
    return {"expected": expected, "per_actor": {int(a): int(n) for a, n in per_actor.items()},
            "incomplete": incomplete}


def _check_neutral_class_weight(answer, df: pd.DataFrame) -> Verdict:
    counts = df["emotion"].value_counts()
    right = float(counts["calm"] / counts["neutral"])   # balanced weights ∝ 1 / count
    slips = [(1 / right, "Upside down: a 'balanced' weight is inversely proportional to the "
                         "class's count, so the rarer class gets the larger weight."),
             (1.0, "The weights differ because the counts do: how many neutral files are there "
                   "per calm file?"),
             (100 * right, "That looks like a percentage: give the ratio of the two weights."),
             (100 / right, "Upside down, and as a percentage: give weight(neutral) / "
                           "weight(calm).")]
    return _check_number("1.2", answer, right, slips, rel=0.01,
                         what="the ratio weight(neutral) / weight(calm)",
                         otherwise="Write both weights with the formula: n_classes and "
                                   "n_samples cancel in the ratio, the counts remain.")


def neutral_class_weight(df: pd.DataFrame, show_solution: bool = False,
                         answer=None) -> dict | Verdict | None:
    """The 'balanced' class weights of this catalog: neutral's is twice the others'.

    Notebook: 01_dataset_exploration. ``answer``: the student's weight(neutral) / weight(calm)
    (``my_neutral_over_calm``), checked against the counts of ``df``.
    """
    checked = _before_solution(show_solution, "neutral_class_weight", "my_neutral_over_calm",
                               "ratio weight(neutral) / weight(calm)", answer,
                               lambda a: _check_neutral_class_weight(a, df))
    if not show_solution:
        return checked
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
    checked = _before_solution(show_solution, "cutoff_for_alpha", "my_cutoff_hz", "cut-off in Hz",
                               answer, lambda a: _check_cutoff_for_alpha(a, alpha, sample_rate))
    if not show_solution:
        return checked
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


def _check_wrong_rate_cutoff(answer, wrong_rate: float) -> Verdict:
    right_rate = config.get_config().bc.reference_rate
    right, designed = bc.cutoff_hz(wrong_rate), bc.cutoff_hz(right_rate)
    slips = [(designed, f"That is the cut-off at {right_rate / 1000:g} kHz, where the "
                        "coefficients were designed; the filter you applied ran at "
                        f"{wrong_rate / 1000:g} kHz."),
             (designed * right_rate / wrong_rate, "Wrong way round: the same ω = 2πf/f_s at a "
                                                  "lower f_s is a lower frequency f."),
             (right / 1000, "That looks like kHz: give the cut-off in Hz."),
             (2 * np.pi * right / wrong_rate, "That is ω_c in radians per sample: convert "
                                              "with f = ω·f_s / (2π)."),
             (2 * np.pi * right, "That is the angular frequency 2πf (rad/s): divide by 2π.")]
    # white-noise measurement resolves ±one Welch bin (16 Hz at 16 kHz): 5% covers it
    return _check_number("2.2", answer, right, slips, rel=0.05, what="the cut-off in Hz",
                         otherwise="Only f_s changes in ω = 2πf/f_s: ω_c stays the same.")


def wrong_rate_cutoff(wrong_rate: float = 16_000, show_solution: bool = False,
                      answer=None) -> dict | Verdict | None:
    """The 48 kHz coefficients run directly at ``wrong_rate``: measured with white noise.

    Notebook: 02_bc_filter_design. ``answer``: the student's predicted cut-off in Hz
    (``my_wrong_cutoff_hz``).
    """
    checked = _before_solution(show_solution, "wrong_rate_cutoff", "my_wrong_cutoff_hz",
                               "predicted cut-off in Hz", answer,
                               lambda a: _check_wrong_rate_cutoff(a, wrong_rate))
    if not show_solution:
        return checked
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


def _check_energy_below_1khz(answer, audio, sample_rate) -> Verdict:
    before = bc.band_energy_shares(audio, sample_rate)[0]
    after = bc.band_energy_shares(bc.to_bc(audio, sample_rate), sample_rate)[0]
    right = "raise" if after > before else "lower"
    hints = {"raise": "Measure it: on this clip the share went the other way.",
             "lower": "The filter takes energy away, but mostly above its cut-off: the share "
                      "is low band ÷ (low + high), and the high band shrinks more."}
    return _check_choice("2.3", answer, right,
                         {"raise": ("raises", "rise", "rises", "higher", "up", "increase"),
                          "lower": ("lowers", "fall", "falls", "down", "decrease", "reduce")},
                         hints)


def energy_below_1khz(audio: np.ndarray, sample_rate: int, show_solution: bool = False,
                      answer=None) -> dict | Verdict | None:
    """The share of a clip's energy below 1 kHz, before and after the BC filter.

    Notebook: 02_bc_filter_design. ``answer``: "raise" or "lower" (``my_direction``), checked
    against this clip's measured shares.
    """
    checked = _before_solution(show_solution, "energy_below_1khz", "my_direction",
                               'choice ("raise" or "lower")', answer,
                               lambda a: _check_energy_below_1khz(a, audio, sample_rate))
    if not show_solution:
        return checked
    before = bc.band_energy_shares(audio, sample_rate)
    after = bc.band_energy_shares(bc.to_bc(audio, sample_rate), sample_rate)
    print(f"energy below 1 kHz: {before[0]:.1%} of the clip (AC) → {after[0]:.1%} (BC)")
    print("the low-pass keeps the low band and removes much of the high one, so the low "
          "band's share rises")
    return {"ac_share_below": float(before[0]), "bc_share_below": float(after[0])}


# ---------------------------------------------------------------- 03 · augmentation

def _check_paper_clip_counts(answer) -> Verdict:
    cfg = config.get_config("full")
    val, files = cfg.reported.val_support, cfg.corpus.n_files
    right = val / (files * cfg.training.val_fraction)
    slips = [(val / files, "That treats 4,320 as every clip: it is the validation side, "
                           f"{cfg.training.val_fraction:.0%} of them."),
             (val / (files * (1 - cfg.training.val_fraction)), "You used the training share: "
                                                               "validation is the 20%."),
             (right * files, "That is the number of clips in all; the question is versions "
                             "per recording."),
             (right - 1, "The original recording is one of the versions: count it too."),
             (right + 1, "The original recording is already one of the versions.")]
    return _check_number("3.1", answer, right, slips, rel=0, tol=0.01,
                         what="a number of versions",
                         otherwise="validation clips = recordings × versions × validation share.")


def paper_clip_counts(show_solution: bool = False, answer=None) -> dict | Verdict | None:
    """How many clips 15 versions give, and what an 80:20 split leaves for validation.

    Notebook: 03_augmentation_gallery. ``answer``: the versions per recording that 4,320
    validation clips imply (``my_versions``).
    """
    checked = _before_solution(show_solution, "paper_clip_counts", "my_versions",
                               "versions per recording", answer, _check_paper_clip_counts)
    if not show_solution:
        return checked
    cfg = config.get_config("full")  # the paper's scale, whatever the mode
    clips = cfg.corpus.n_files * cfg.augment.n_versions
    val = round(clips * cfg.training.val_fraction)
    print(f"{cfg.corpus.n_files:,} recordings × {cfg.augment.n_versions} versions = {clips:,} "
          f"clips; {cfg.training.val_fraction:.0%} of them = {val:,} validation clips")
    print(f"the paper's Table III support: {cfg.reported.val_support:,}")
    print("multiplying every class by 15 keeps neutral at half of every other class")
    return {"clips": clips, "val_clips": val, "paper_val_support": cfg.reported.val_support}


def _unchanged_versions(audio, sample_rate: int, seed: int) -> tuple[list, list, list]:
    """(versions with ``seed``, versions with ``seed + 1``, labels identical under both)."""
    from bcser_utils.audio import augment

    first = augment.versions(audio, sample_rate, seed=seed)
    other = augment.versions(audio, sample_rate, seed=seed + 1)
    unchanged = [label for (label, a), (_, b) in zip(first, other, strict=True)
                 if len(a) == len(b) and np.array_equal(a, b)]
    return first, other, unchanged


def _check_versions_and_seeds(answer, audio, sample_rate: int, seed: int) -> Verdict:
    first, _, unchanged = _unchanged_versions(audio, sample_rate, seed)
    labels = [label for label, _ in first]
    if isinstance(answer, str) or not all(isinstance(a, str) for a in np.atleast_1d(answer)):
        return _verdict("3.2", False, "Give a list of version labels (strings), as "
                                      "augment.versions names them.")
    said, right = set(np.atleast_1d(answer).tolist()), set(unchanged)
    unknown = sorted(said - set(labels))
    if unknown:
        return _verdict("3.2", False, f"Not labels of these versions: {', '.join(unknown)[:80]} "
                                      "(use the labels augment.versions returns).")
    if said == right:
        return _verdict("3.2", True)
    if said == set(labels):
        hint = "Some versions draw a random parameter (Table II): another seed changes them."
    elif not said:
        hint = "Some versions draw nothing at random: they are the same under every seed."
    elif said == set(labels) - right:
        hint = "Those are the versions that change with the seed; the question asks which stay."
    else:
        parts = []
        if said - right:
            parts.append(f"{len(said - right)} of yours draw something at random (a parameter, "
                         "or the transforms of a chain), so another seed changes them.")
        if right - said:
            parts.append(f"You left out {len(right - said)} that draw nothing at random.")
        hint = " ".join(parts)
    return _verdict("3.2", False, hint)


def versions_and_seeds(audio: np.ndarray, sample_rate: int, seed: int = 0,
                       show_solution: bool = False, answer=None) -> dict | Verdict | None:
    """Which of the 15 versions change with the seed, and are they reproducible with one?

    Notebook: 03_augmentation_gallery. ``answer``: the labels of the versions that are the same
    under ``seed`` and ``seed + 1`` (``my_unchanged``), checked by making both.
    """
    checked = _before_solution(show_solution, "versions_and_seeds", "my_unchanged",
                               "list of the labels that another seed leaves unchanged", answer,
                               lambda a: _check_versions_and_seeds(a, audio, sample_rate, seed))
    if not show_solution:
        return checked
    from bcser_utils.audio import augment

    first, other, unchanged = _unchanged_versions(audio, sample_rate, seed)
    again = augment.versions(audio, sample_rate, seed=seed)
    reproducible = all(np.array_equal(a, b) for (_, a), (_, b) in zip(first, again, strict=True))
    print(f"the same seed gives identical versions: {reproducible}")
    print(f"identical under another seed (no randomness in them): {', '.join(unchanged)}")
    print(f"changed: {len(first) - len(unchanged)} of {len(first)} (the random chains can even "
          "pick other transforms)")
    return {"reproducible": reproducible, "unchanged": unchanged,
            "labels": [label for label, _ in first],
            "labels_other_seed": [label for label, _ in other]}


# ---------------------------------------------------------------- 04 · features

def _check_frames_for_settings(answer, hop_length: int, max_duration_s: float) -> Verdict:
    from bcser_utils.audio import features

    f = config.get_config(overrides={"features.hop_length": hop_length,
                                     "features.max_duration_s": max_duration_s}).features
    n, khz = features.n_samples(f), f"{f.sample_rate / 1000:g} kHz"
    right = features.n_frames(f)
    at = lambda rate: 1 + int(rate * max_duration_s) // hop_length  # noqa: E731
    slips = [(n // hop_length, "One frame short: centred frames (librosa's center=True) give "
                               "1 + samples // hop."),
             (1 + n // config.Features().hop_length, "That is T for the default hop, not for "
                                                     f"{hop_length} samples."),
             ((n - f.n_fft) // hop_length + 1, "That counts frames without padding "
                                               "(center=False); the features pad the clip."),
             (at(config.get_config().corpus.sample_rate), f"Wrong sample rate: the features are "
                                                          f"computed at {khz}, not at the "
                                                          "recordings' rate."),
             (at(22_050), f"Wrong sample rate: librosa's default 22,050 Hz is not the features' "
                          f"{khz}."),
             (at(44_100), f"Wrong sample rate: the features are computed at {khz}.")]
    return _check_number("4.1", answer, right, slips, rel=0, tol=0.01,
                         what="a whole number of frames",
                         otherwise="T = 1 + samples // hop, with samples = f_s × the clip's "
                                   "length.")


def frames_for_settings(hop_length: int = 160, max_duration_s: float = 4.0,
                        show_solution: bool = False, answer=None) -> dict | Verdict | None:
    """T for another hop and clip length, from the formula and from a real extraction.

    Notebook: 04_features. ``answer``: the student's T (``my_T``).
    """
    checked = _before_solution(show_solution, "frames_for_settings", "my_T",
                               "number of frames T", answer,
                               lambda a: _check_frames_for_settings(a, hop_length, max_duration_s))
    if not show_solution:
        return checked
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


def _held_out_offsets(cache, split: splits.Split) -> tuple[float, float]:
    """Mean |band mean| of held-out clips standardised with training statistics, and with
    statistics of every clip."""
    from bcser_utils.learn.pipeline import fit_standardizer

    held_out = split.test if len(split.test) else split.val
    honest = fit_standardizer(cache, split.train)
    leaky = fit_standardizer(cache, np.concatenate([split.train, held_out]))
    sample = np.sort(held_out)[:512]
    x = np.asarray(cache.features[sample], dtype=np.float32)
    return (float(np.abs(honest.transform(x).mean(axis=(0, 1))).mean()),
            float(np.abs(leaky.transform(x).mean(axis=(0, 1))).mean()))


def _check_normalise_on_everything(answer, cache, split: splits.Split) -> Verdict:
    honest, leaky = _held_out_offsets(cache, split)
    hints = {"closer": "Measure it: here the held-out side moved the other way.",
             "farther": "Fitted on everything, the mean and spread include the held-out clips' "
                        "own: they are standardised partly with their own statistics."}
    return _check_choice("4.2", answer, "closer" if leaky < honest else "farther",
                         {"closer": ("closer to 0", "closer to zero", "nearer", "toward 0",
                                     "towards 0"),
                          "farther": ("farther from 0", "further", "further from 0",
                                      "away from 0", "farther from zero")}, hints)


def normalise_on_everything(cache, split: splits.Split, show_solution: bool = False,
                            answer=None) -> dict | Verdict | None:
    """Fit the standardiser on every clip (the leak) and see the held-out side move to 0.

    Notebook: 04_features. ``answer``: do the held-out clips' standardised band means move
    "closer" to 0 or "farther" from it (``my_direction``)? Checked by measuring.
    """
    checked = _before_solution(show_solution, "normalise_on_everything", "my_direction",
                               'choice ("closer" or "farther")', answer,
                               lambda a: _check_normalise_on_everything(a, cache, split))
    if not show_solution:
        return checked
    offset_honest, offset_leaky = _held_out_offsets(cache, split)
    print(f"held-out clips, mean |band mean| after standardising: {offset_honest:.3f} "
          f"(fitted on training only) vs {offset_leaky:.3f} (fitted on everything)")
    print(f"fitting on everything moves the held-out side {1 - offset_leaky / offset_honest:.0%} "
          "closer to 0: the test statistics have leaked into the model's input. The shift is as "
          "large as the held-out data are different, so it is worst exactly where it matters")
    return {"offset_train_only": offset_honest, "offset_everything": offset_leaky}


# ---------------------------------------------------------------- 05 · model

def _counts_for_width(n_features: int, d_model: int) -> tuple[dict, dict, int]:
    """Parameters per block at the configured width and at ``d_model``, and the configured one."""
    from bcser_utils.learn import model

    base_cfg = config.get_config().model
    base = model.parameter_counts(model.EmotionNet(n_features, base_cfg))
    wide = model.parameter_counts(
        model.EmotionNet(n_features, dataclasses.replace(base_cfg, d_model=d_model)))
    return base, wide, base_cfg.d_model


def _check_parameters_for_width(answer, n_features: int, d_model: int) -> Verdict:
    base, wide, d0 = _counts_for_width(n_features, d_model)
    blocks = [b for b in base if b != "total" and base[b] > 0]
    if not isinstance(answer, dict):
        return _verdict("5.1", False, "Give a dict {block: factor}, one factor (×1, ×2 or ×4) "
                                      f"for each of: {', '.join(blocks)}.")
    said = {str(k): _as_number(v) for k, v in answer.items()}
    missing = [b for b in blocks if said.get(b) is None]
    unknown = [k for k in said if k not in base]
    if unknown:
        return _verdict("5.1", False, f"Not blocks of this model: {', '.join(unknown)[:60]}; "
                                      f"give a number for each of {', '.join(blocks)}.")
    if missing:
        return _verdict("5.1", False, f"Give a number for each block: {', '.join(blocks)}.")
    r = d_model / d0
    measured = {b: wide[b] / base[b] for b in blocks}
    # the factor each block's matrices imply: d_model on none, one or both of their sides
    right = {b: min((1, r, r * r), key=lambda f: abs(np.log(f / m))) for b, m in measured.items()}
    wrong = [b for b in blocks
             if not (_close(said[b], right[b], 0.15) or _close(said[b], measured[b], 0.15))]
    if not wrong:
        return _verdict("5.1", True)
    if all(_close(said[b], r, 0.01) for b in blocks):
        return _verdict("5.1", False, "You scaled every block with the width: a matrix with "
                                      "d_model on both sides grows with its square, and a block "
                                      "with no d_model side does not grow.")
    return _verdict("5.1", False, f"Not yet for {', '.join(wrong)}: count how many sides of each "
                                  "weight matrix there are d_model (none: ×1, one: ×2, both: ×4).")


def parameters_for_width(n_features: int = 64, d_model: int = 128, show_solution: bool = False,
                         answer=None) -> dict | Verdict | None:
    """Double the Transformer's width: which blocks grow, and by how much?

    Notebook: 05_model_build. ``answer``: {block: factor} for the blocks of
    ``model.parameter_counts`` that hold parameters (``my_factors``).
    """
    checked = _before_solution(show_solution, "parameters_for_width", "my_factors",
                               "factor per block ({block: factor})", answer,
                               lambda a: _check_parameters_for_width(a, n_features, d_model))
    if not show_solution:
        return checked
    base, wide, _ = _counts_for_width(n_features, d_model)
    base_cfg = config.get_config().model
    table = pd.DataFrame({f"d_model={base_cfg.d_model}": base, f"d_model={d_model}": wide})
    table["ratio"] = (table.iloc[:, 1] / table.iloc[:, 0]).round(2)
    print(table.to_string())
    print("the encoder's weight matrices are d × d, so they grow with the square of the width; "
          "the convolutions do not depend on it")
    return {"base": base, "wide": wide}


def _check_any_length_clip(answer) -> Verdict:
    # The architecture's property (checked by the solution on random clips): attention pooling
    # turns however many steps there are into one vector.
    hints = {"conv": "The convolutions slide over any length, but give one output per step: "
                     "which block turns many steps into one vector?",
             "project": "The projection works frame by frame: it keeps the number of steps.",
             "position": "The positional table covers far more steps than a clip has, so it "
                         "allows other lengths, but it keeps one vector per step.",
             "encoder": "The encoder's self-attention accepts any length, but it returns one "
                        "vector per step.",
             "classify": "The classifier needs an input of fixed size: which block gives it "
                         "one, whatever T is?"}
    return _check_choice("5.2", answer, "pool",
                         {"conv": ("convolution", "convolutions", "cnn", "conv block"),
                          "project": ("projection", "linear projection"),
                          "position": ("positional encoding", "positional", "positions"),
                          "encoder": ("transformer", "transformer encoder", "self-attention"),
                          "pool": ("pooling", "attention pooling", "attentive pooling"),
                          "classify": ("classifier", "head", "linear")}, hints,
                         {"attention": "Two blocks use attention, the encoder and the pooling: "
                                       "name the block."})


def any_length_clip(n_features: int = 64, lengths=(51, 101, 201, 401),
                    show_solution: bool = False, answer=None) -> dict | Verdict | None:
    """Does the model need exactly T = 201 frames? Feed it other lengths.

    Notebook: 05_model_build. ``answer``: the block (a name of ``model.parameter_counts``) that
    makes any length work (``my_block``).
    """
    checked = _before_solution(show_solution, "any_length_clip", "my_block",
                               "block's name (as model.parameter_counts names it)", answer,
                               _check_any_length_clip)
    if not show_solution:
        return checked
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

def _sibling_counts(index: pd.DataFrame) -> dict:
    """For P1 and P2: validation clips, how many have a sibling in training, and their share."""
    cfg = config.get_config()
    out = {}
    for name, make in (("P1", splits.p1), ("P2", splits.p2)):
        split = make(index, cfg.training.val_fraction, cfg.mode.seed)
        leaky = splits.siblings_in_training(index, split)
        out[name] = {"validation": len(split.val), "with_sibling": int(leaky.sum()),
                     "share": float(leaky.mean()) if len(leaky) else 0.0}
    return out


def _check_siblings_by_protocol(answer, index: pd.DataFrame) -> Verdict:
    counts = _sibling_counts(index)
    p1, p2 = counts["P1"], counts["P2"]
    slips = [(p1["with_sibling"], "That is P1's count: under P2 the recordings are split first."),
             (p1["share"], "That is P1's share; give P2's count of clips."),
             (100 * p1["share"], "That is P1's share, as a percentage; give P2's count of clips."),
             (p2["validation"], "That is every validation clip under P2: which of them have "
                                "another version of their recording on the training side?")]
    slips = [(v, h) for v, h in slips if v != p2["with_sibling"]]
    return _check_number("6.1", answer, p2["with_sibling"], slips, rel=0, tol=0.5,
                         what="a number of clips",
                         otherwise="Where do a recording's versions go when P2 splits the "
                                   "recordings first?")


def siblings_by_protocol(index: pd.DataFrame, show_solution: bool = False,
                         answer=None) -> dict | Verdict | None:
    """How many validation clips have another version of their recording in training?

    Notebook: 06_training. ``answer``: the number under P2 (``my_p2_siblings``), counted here.
    """
    checked = _before_solution(show_solution, "siblings_by_protocol", "my_p2_siblings",
                               "count of P2 validation clips with a sibling in training", answer,
                               lambda a: _check_siblings_by_protocol(a, index))
    if not show_solution:
        return checked
    cfg = config.get_config()
    out = _sibling_counts(index)
    for name, r in out.items():
        print(f"{name}: {r['with_sibling']:,} of {r['validation']:,} validation clips "
              f"({r['share']:.1%}) have a sibling version in training")
    n = int(index["version"].max()) + 1
    print(f"under P1 a clip escapes only if all {n - 1} siblings also land in validation, "
          f"about {cfg.training.val_fraction:g}^{n - 1} — never, in practice")
    return out


def _check_smoothing_floor_for(answer, label_smoothing: float, n_classes: int) -> Verdict:
    from bcser_utils.learn import training

    eps, k = label_smoothing, n_classes
    right = training.smoothing_floor(k, eps)
    other = -(1 - eps) * np.log(1 - eps) - eps * np.log(eps / (k - 1)) if 0 < eps < 1 else 0.0
    slips = [(0.0, "Not with smoothing: the target is no longer one-hot, so even a perfect "
                   "prediction leaves the target's own entropy."),
             (right / np.log(2), "That is in bits: PyTorch's cross-entropy uses the natural "
                                 "log."),
             (right / np.log(10), "That uses log10: PyTorch's cross-entropy uses the natural "
                                  "log."),
             (training.smoothing_floor(k, config.get_config().training.label_smoothing),
              "That is the floor for the paper's ε, not for this one."),
             (other, "That spreads ε over the K − 1 other classes; PyTorch spreads it over all "
                     "K classes (ε/K each, the true class included)."),
             (-np.log(1 - eps + eps / k), "That is the loss against the one-hot label; the floor "
                                          "is reached by predicting the smoothed target itself.")]
    slips = [(v, h) for v, h in slips if not _close(v, right, 0.01)]
    return _check_number("6.2", answer, right, slips, rel=0.01, tol=1e-4,
                         what="a loss (a number)",
                         otherwise="The floor is the entropy of the smoothed target: 1 − ε + ε/K "
                                   "on the true class and ε/K on each other.")


def smoothing_floor_for(label_smoothing: float = 0.2, n_classes: int = 8,
                        show_solution: bool = False, answer=None) -> dict | Verdict | None:
    """The lowest loss with label smoothing ε: formula, and the loss of the best prediction.

    Notebook: 06_training. ``answer``: the student's floor (``my_floor``).
    """
    checked = _before_solution(show_solution, "smoothing_floor_for", "my_floor",
                               "lowest possible loss", answer,
                               lambda a: _check_smoothing_floor_for(a, label_smoothing, n_classes))
    if not show_solution:
        return checked
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


def _check_without_class_weights(answer) -> Verdict:
    # Checked against the principle, not a training run: the solution's two short runs are too
    # noisy to decide a single answer (it says so). An unweighted loss is dominated by the
    # frequent classes, and neutral has half the files of every other emotion.
    hints = {"more": "Class weights raise the loss of a rare class's mistakes; without them, "
                     "which classes dominate the loss, and is neutral one of them?",
             "same": "The weights change what the loss rewards: neutral has half the files of "
                     "each other emotion."}
    return _check_choice("6.3", answer, "less",
                         {"more": ("more often", "higher", "increase"),
                          "less": ("less often", "fewer", "lower", "decrease"),
                          "same": ("the same", "unchanged", "no change")}, hints)


def without_class_weights(prepared, epochs: int = 3, show_solution: bool = False,
                          answer=None) -> dict | Verdict | None:
    """Train twice on the original clips, with and without class weights; neutral's recall.

    Notebook: 06_training. ``answer``: without weights, is neutral predicted "more" or "less"
    often (``my_prediction``)? Checked against the principle (no training: see the solution).
    """
    checked = _before_solution(show_solution, "without_class_weights", "my_prediction",
                               'choice ("more" or "less")', answer, _check_without_class_weights)
    if not show_solution:
        return checked
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

def _interval_widths(y_true, probabilities) -> dict:
    """Accuracy, its 95% interval on all clips and on a random quarter of them, and widths."""
    from bcser_utils.learn import evaluation

    y, p = np.asarray(y_true), np.asarray(probabilities)
    if p.ndim != 2 or len(y) != len(p) or len(y) < 8:  # a quarter of them must still be scored
        raise ValueError(f"accuracy_interval needs labels (N,) and probabilities (N, classes) "
                         f"for N ≥ 8 clips; got {y.shape} and {p.shape}")
    quarter = np.random.default_rng(0).permutation(len(y))[:len(y) // 4]
    full = evaluation.bootstrap_ci(y, p, "accuracy", n_boot=500)
    small = evaluation.bootstrap_ci(y[quarter], p[quarter], "accuracy", n_boot=500)
    return {"accuracy": float((p.argmax(1) == y).mean()), "ci": full, "ci_quarter": small,
            "width": full[1] - full[0], "width_quarter": small[1] - small[0], "n": len(y)}


def _check_accuracy_interval(answer, y_true, probabilities) -> Verdict:
    # The property: the width falls like 1/√n, so a quarter of the clips gives twice the width;
    # the ratio these clips' bootstrap measures is accepted too.
    widths = _interval_widths(y_true, probabilities)
    measured = widths["width_quarter"] / widths["width"] if widths["width"] > 0 else 2.0
    slips = [(4.0, "The width falls like 1/√n, not 1/n."),
             (0.5, "Upside down: fewer clips give a wider interval."),
             (0.25, "Upside down, and the width falls like 1/√n, not 1/n."),
             (np.sqrt(2), "The width goes like 1/√n, and n changed by a factor of 4, not 2."),
             (200.0, "That looks like a percentage: give the ratio of the two widths.")]
    value = _as_number(answer)
    if value is not None and _close(value, measured, 0.05):
        return _verdict("7.1", True)
    return _check_number("7.1", answer, 2.0, slips, rel=0.1, what="a ratio of two widths",
                         otherwise="How does the width of an interval on n clips depend on n?")


def accuracy_interval(y_true, probabilities, show_solution: bool = False,
                      answer=None) -> dict | Verdict | None:
    """How wide is the 95% interval, and how does it shrink with four times the clips?

    Notebook: 07_evaluation. ``answer``: how many times wider the interval is on a quarter of
    the clips (``my_width_ratio``).
    """
    checked = _before_solution(show_solution, "accuracy_interval", "my_width_ratio",
                               "ratio (width on a quarter of the clips ÷ width on all)", answer,
                               lambda a: _check_accuracy_interval(a, y_true, probabilities))
    if not show_solution:
        return checked
    widths = _interval_widths(y_true, probabilities)
    accuracy, full, small = widths["accuracy"], widths["ci"], widths["ci_quarter"]
    width, small_width, y = widths["width"], widths["width_quarter"], np.asarray(y_true)
    print(f"accuracy {accuracy:.1%} on {len(y):,} clips, 95% CI {full[0]:.1%}–{full[1]:.1%} "
          f"(width {width:.1%})")
    print(f"on a quarter of the clips the interval is {small_width / width:.1f}× as wide: "
          "the width falls like 1/√n, so halving it takes four times the clips")
    return {"accuracy": accuracy, "ci": full, "ci_quarter": small, "width": width,
            "width_quarter": small_width, "n": len(y)}


def _best_of_guessers(n_clips: int, n_settings: int, n_classes: int) -> tuple[float, float]:
    """The mean and standard deviation of the best accuracy among ``n_settings`` models that
    guess at random on ``n_clips`` clips, exactly (each model's hits are binomial)."""
    from scipy import stats

    k = np.arange(n_clips + 1)
    below = stats.binom.cdf(k, n_clips, 1 / n_classes) ** n_settings   # P(best ≤ k)
    chance_of = np.diff(np.concatenate([[0.0], below]))
    mean = float((chance_of * k).sum() / n_clips)
    return mean, float(np.sqrt((chance_of * (k / n_clips - mean) ** 2).sum()))


def _check_tuning_on_the_test_fold(answer, n_clips: int, n_settings: int) -> Verdict:
    n_classes = len(config.get_config().emotions)
    mean, sd = _best_of_guessers(n_clips, n_settings, n_classes)
    band = max(2 * sd, 0.02)   # an estimate, not a draw: within two standard deviations
    inside = lambda v: abs(v - mean) <= band  # noqa: E731
    slips = [(lambda v: v > 1 and inside(v / 100), "That looks like a percentage: give the "
                                                   "accuracy as a fraction."),
             (lambda v: abs(v - 1 / n_classes) < 0.01, "That is one random model's expected "
                                                       "accuracy; you keep the best of "
                                                       f"{n_settings} on the same clips."),
             (lambda v: v >= 0.5, "Far too high: they guess at random. How far above chance "
                                  f"does the luckiest of {n_settings} get on {n_clips} clips?")]
    return _check_number("7.2", answer, mean, slips, rel=0, tol=band,
                         what="an accuracy, as a fraction",
                         otherwise=f"Each model's accuracy scatters around chance by about "
                                   f"√(p(1 − p)/n); the best of {n_settings} sits a couple of "
                                   "those above it.")


def tuning_on_the_test_fold(n_clips: int = 120, n_settings: int = 20, n_fresh: int = 2000,
                            seed: int = 0, show_solution: bool = False,
                            answer=None) -> dict | Verdict | None:
    """Pick the best of many useless models on the test fold; then score it on fresh clips.

    Notebook: 07_evaluation. ``answer``: the accuracy the best one shows on the test fold, as a
    fraction (``my_expected_best``), checked against the exact distribution of that maximum.
    """
    checked = _before_solution(show_solution, "tuning_on_the_test_fold", "my_expected_best",
                               "expected accuracy of the best guesser on the test fold "
                               "(a fraction)", answer,
                               lambda a: _check_tuning_on_the_test_fold(a, n_clips, n_settings))
    if not show_solution:
        return checked
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


def _check_leak_one_actor(answer) -> Verdict:
    # Checked against the principle, not by training twice (the solution does that): a model
    # that has heard these very clips recalls them.
    hints = {"lower": "The leaked model was trained on these very clips: can that make it worse "
                      "on them?",
             "same": "Once the actor's clips are in training, the model is scored on clips it "
                     "has learnt: does that leave the accuracy where it was?"}
    return _check_choice("7.3", answer, "higher",
                         {"higher": ("up", "better", "rises", "increase"),
                          "lower": ("down", "worse", "falls", "decrease"),
                          "same": ("the same", "unchanged", "no change")}, hints)


def leak_one_actor(prepared, epochs: int = 6, show_solution: bool = False,
                   answer=None) -> dict | Verdict | None:
    """Put one P3 test actor's clips into training and compare test accuracy on that actor.

    Notebook: 07_evaluation. ``answer``: the direction of that actor's accuracy once leaked,
    "higher", "lower" or "same" (``my_prediction``), checked against the principle.
    """
    checked = _before_solution(show_solution, "leak_one_actor", "my_prediction",
                               'choice ("higher", "lower" or "same")', answer,
                               _check_leak_one_actor)
    if not show_solution:
        return checked
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

def _check_p1_sibling_share(answer, n_versions) -> Verdict:
    f = config.get_config().training.val_fraction
    asked = [n for n in n_versions if n != config.get_config("full").augment.n_versions]
    if not isinstance(answer, dict):
        return _verdict("8.1", False, "Give a dict {versions: share}, one share for each of "
                                      f"{', '.join(map(str, asked))} versions.")
    said = {int(k): _as_number(v) for k, v in answer.items()
            if str(k).isdigit() and int(k) in n_versions}
    missing = [n for n in asked if said.get(n) is None]
    if missing:
        return _verdict("8.1", False, "Give a share between 0 and 1 for "
                                      + ", ".join(f"n = {n}" for n in missing) + ".")
    right = {n: 1 - f ** (n - 1) for n in said}
    wrong = [n for n in said if abs(said[n] - right[n]) > 0.01]
    if not wrong:
        return _verdict("8.1", True)
    slips = [(lambda n: f ** (n - 1), "That is the share with NO sibling in training; the "
                                      "question asks for the share with one."),
             (lambda n: 1 - f ** n, "Off by one: a clip has n − 1 sibling versions, not n."),
             (lambda n: 100 * (1 - f ** (n - 1)), "Those look like percentages: give shares "
                                                  "between 0 and 1."),
             (lambda n: 1 - (1 - f) ** (n - 1), f"You used the training share: a clip escapes "
                                                f"only if every sibling lands in validation "
                                                f"({f:.0%})."),
             (lambda n: (n - 1) * (1 - f), "Shares do not add up over the siblings: find the "
                                           "chance that NONE of them is in training first.")]
    for slip, hint in slips:
        if all(abs(said[n] - slip(n)) <= max(0.01, 0.01 * abs(slip(n))) for n in wrong):
            return _verdict("8.1", False, hint)
    return _verdict("8.1", False, "Not yet for " + ", ".join(f"n = {n}" for n in wrong)
                    + ": a clip has no sibling in training only if every other version of its "
                      "recording is in validation.")


def p1_sibling_share(catalog: pd.DataFrame, n_versions=(2, 3, 5, 15),
                     show_solution: bool = False, answer=None) -> dict | Verdict | None:
    """Under P1, the share of validation clips with a sibling in training: predicted, counted.

    A validation clip lacks a sibling in training only if the other n − 1 versions of its
    recording all went to validation too, about f^(n−1) for a random split with validation share
    f. Notebook: 08_beyond_the_paper. ``answer``: {n: predicted share} for the ``n_versions``
    other than the paper's 15 (``my_prediction``), checked against the formula within 0.01.
    """
    checked = _before_solution(show_solution, "p1_sibling_share", "my_prediction",
                               "shares {versions: share}", answer,
                               lambda a: _check_p1_sibling_share(a, n_versions))
    if not show_solution:
        return checked
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


def _noise_free_arrays(robust: pd.DataFrame):
    """(labels, BC probabilities, AC probabilities) of the noise-free clips, clip by clip."""
    from bcser_utils.learn import evaluation
    from bcser_utils.present.formatting import NOISE_FREE

    emotions = config.get_config().emotions
    clean = robust[robust["kind"] == NOISE_FREE]
    y, p_bc, _ = evaluation.prediction_arrays(clean[clean["signal"] == "bc"], emotions)
    _, p_ac, _ = evaluation.prediction_arrays(clean[clean["signal"] == "ac"], emotions)
    return y, p_bc, p_ac


def _check_paired_or_separate(answer, robust: pd.DataFrame) -> Verdict:
    y, p_bc, p_ac = _noise_free_arrays(robust)
    same = p_bc.argmax(1) == p_ac.argmax(1)
    n, right = len(y), int(same.sum())
    value = _as_number(answer)
    # a count of clips (within one) or their share (within half a point) are both right
    if value is not None and (abs(value - right) <= 1 or abs(value - right / n) <= 0.005):
        return _verdict("8.2", True)
    both = int(((p_bc.argmax(1) == y) & (p_ac.argmax(1) == y)).sum())
    accuracies = [float((p.argmax(1) == y).mean()) for p in (p_bc, p_ac)]

    def matches(count):   # the same quantity, as a count or as a share
        return lambda v: abs(v - count) <= 1 or abs(v - count / n) <= 0.005

    slips = [(lambda v: v > 1 and abs(v / 100 - right / n) <= 0.005,
              "That looks like a percentage: give the share (0 to 1) or the number of clips."),
             (matches(n - right), "Those are the clips where the two models DIFFER."),
             (matches(both), "Those are the clips both get right; a same answer can be a same "
                             "wrong answer too."),
             (lambda v: any(abs(v - a) <= 0.005 or abs(v - a * n) <= 1 for a in accuracies),
              "That is a model's accuracy: compare the two models' predicted classes with each "
              "other, not with the labels.")]
    as_share = value is not None and value <= 1   # compare like with like for the hint
    return _check_number("8.2", answer, right / n if as_share else right, slips, rel=0,
                         tol=0.005 if as_share else 1,
                         what=f"a number of clips (of {n}) or a share",
                         otherwise="Count the clips where p_bc.argmax(1) equals p_ac.argmax(1).")


def paired_or_separate(robust: pd.DataFrame, show_solution: bool = False,
                       answer=None) -> dict | Verdict | None:
    """BC − AC from two separate accuracy intervals, and from one paired interval.

    Notebook: 08_beyond_the_paper. ``answer``: on how many of the noise-free clips the BC and
    AC models give the same answer, as a count or a share (``my_same_answer``).
    """
    checked = _before_solution(show_solution, "paired_or_separate", "my_same_answer",
                               "number (or share) of clips where the two models agree", answer,
                               lambda a: _check_paired_or_separate(a, robust))
    if not show_solution:
        return checked
    from bcser_utils.learn import evaluation

    y, p_bc, p_ac = _noise_free_arrays(robust)
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

def _zscores(values: pd.DataFrame, names: list[str]) -> dict:
    """The solution's numbers: pandas against the package, and one speaker's loudness
    functionals × 0.66 before and after standardisation (``signed_change``: the mean change of
    their standardised values)."""
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
                                                  - package[own][:, columns]).max()),
              "signed_change": float((after[own][:, columns] - package[own][:, columns]).mean()),
              "speaker": speaker}
    return result


def _check_speaker_zscores(answer, values: pd.DataFrame, names: list[str]) -> Verdict:
    change = _zscores(values, names)
    right = ("unchanged" if change["standardised_change"] < 0.01
             else "smaller" if change["signed_change"] < 0 else "larger")
    hints = {"smaller": "Every raw value shrinks, but so do that speaker's mean and standard "
                        "deviation: what is (0.66·x − 0.66·μ) / (0.66·σ)?",
             "larger": "A smaller raw value does not give a larger one here: the speaker's mean "
                       "and standard deviation scale with the values.",
             "unchanged": "Measure it: here the standardised values moved."}
    return _check_choice("9.1", answer, right,
                         {"unchanged": ("the same", "same", "no change", "unchanged"),
                          "smaller": ("lower", "decrease", "shrink", "smaller"),
                          "larger": ("higher", "increase", "grow", "bigger", "larger")}, hints)


def speaker_zscores(values: pd.DataFrame, names: list[str], show_solution: bool = False,
                    answer=None) -> dict | Verdict | None:
    """Per-speaker standardisation with pandas alone equals ``normalize.standardize_groups``,
    and a constant factor on one speaker's loudness functionals leaves their z-scores as they
    were. Notebook: 09_towards_unseen_speakers. ``answer``: what happens to that speaker's
    standardised loudness functionals: "unchanged", "smaller" or "larger" (``my_prediction``),
    checked by measuring."""
    checked = _before_solution(show_solution, "speaker_zscores", "my_prediction",
                               'choice ("unchanged", "smaller" or "larger")', answer,
                               lambda a: _check_speaker_zscores(a, values, names))
    if not show_solution:
        return checked
    result = _zscores(values, names)
    speaker, loud = result.pop("speaker"), result["loudness_functionals"]
    result.pop("signed_change")
    print(f"pandas against standardize_groups: largest difference "
          f"{result['max_difference_pandas_vs_package']:.2g}")
    print(f"speaker {speaker}, {len(loud)} loudness functionals × 0.66: raw values move by up to "
          f"{result['raw_change']:.3g}, standardised ones by {result['standardised_change']:.2g} "
          "(a factor on every clip of a speaker changes their mean and spread alike)")
    return result


def _check_fusion_on_validation(answer, deep: pd.DataFrame, classical: pd.DataFrame,
                                weights) -> Verdict:
    from bcser_utils.learn.evaluation import fuse, part, table_score
    from bcser_utils.studies import final_model

    val = final_model.fusion_weights(part(deep, "val"), part(classical, "val"), weights)
    right = max(val, key=lambda w: (val[w], w))
    test = {w: table_score(part(fuse(deep, classical, w), "test"), n_boot=0)["accuracy"]
            for w in weights}
    on_test = max(test, key=lambda w: (test[w], w))
    slips = [(on_test, "That weight is the best on the TEST actors: choose it on the "
                       "early-stopping actors (part 'val'), the course's rule."),
             (1 - right, "Upside down: w is the deep model's weight (1 = the deep model alone)."),
             (100 * right, "That looks like a percentage: give w between 0 and 1.")]
    slips = [(v, h) for v, h in slips if abs(v - right) > 1e-9]
    return _check_number("9.2", answer, right, slips, rel=0, tol=0.01, what="a weight w",
                         otherwise="Score the fusion at each w on the early-stopping actors and "
                                   "keep the best (the larger w on a tie).")


def fusion_on_validation(deep: pd.DataFrame, classical: pd.DataFrame,
                         weights=(0.0, 0.25, 0.5, 0.75, 1.0), show_solution: bool = False,
                         answer=None) -> dict | Verdict | None:
    """Late fusion of two predictions tables, its weight chosen on the early-stopping actors
    ("val") and only then scored on the test actors. Notebook: 09_towards_unseen_speakers.
    ``answer``: the weight w chosen (``my_weight``)."""
    checked = _before_solution(show_solution, "fusion_on_validation", "my_weight",
                               "weight w (from the early-stopping actors)", answer,
                               lambda a: _check_fusion_on_validation(a, deep, classical, weights))
    if not show_solution:
        return checked
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


def _bar(prepared, fold: int, baseline: tuple[str, str], table: pd.DataFrame | None):
    """(the baseline's predictions on the original clips of P3 ``fold``'s early-stopping actors,
    its name, those cache rows)."""
    from bcser_utils.learn import pipeline
    from bcser_utils.studies import generalize

    classifier, normalisation = baseline
    if table is None:
        table = generalize.baseline_tables(prepared.cfg.mode.name, prepared.cache.meta["signal"],
                                           classifier, normalisation, protocols=("P3",),
                                           progress=False)
    table = table[table["part"] == "val"]   # never the test actors: the course's rule
    if "fold" in table:
        table = table[table["fold"] == fold]
    split = pipeline.make_split(prepared, "P3", fold)
    index = prepared.cache.index
    rows = np.asarray(split.val, dtype=int)
    rows = rows[(index["version"].to_numpy()[rows] == 0)
                & index["name"].iloc[rows].isin(set(table["name"])).to_numpy()]
    if not len(rows):
        raise ValueError(f"beat_the_baseline: the baseline table has no early-stopping clip of "
                         f"P3 fold {fold + 1} in this cache (another corpus or mode?)")
    name = (f"eGeMAPS baseline ({'logistic regression' if classifier == 'logreg' else 'SVM'}, "
            f"{normalisation} standardisation)")
    return table[table["name"].isin(set(index["name"].iloc[rows]))], name, rows


def _student_model(answer, prepared):
    """(a model with ``speaker_probabilities``, its training actors) or (None, why not)."""
    from pathlib import Path

    from bcser_utils.learn import artifacts, pipeline, runs
    from bcser_utils.learn.inference import Predictor

    if isinstance(answer, pipeline.Trained):
        actors = prepared.cache.index["actor"].to_numpy()[np.asarray(answer.split.train, int)]
        return answer, {int(a) for a in actors}
    if _as_number(answer) is not None:
        return None, ("A number is not checked: give your trained model (what pipeline.train "
                      "returns) or its run folder, and the check measures it.")
    if not isinstance(answer, str | Path):
        return None, (f"Give your trained model (what pipeline.train returns) or its run folder, "
                      f"not a {type(answer).__name__}.")
    run = Path(answer)
    run = run.parent if run.suffix == ".pt" else run
    if not (run / "model.pt").is_file():
        return None, f"No model.pt in {run}: give the run folder of a finished run."
    try:
        model = Predictor.load(run / "model.pt")
        train = runs.read_metrics(run)["actors"]["train"]
    except (artifacts.CheckpointError, runs.RunFolderError, KeyError, TypeError) as err:
        return None, f"{run}: not a finished training run ({str(err).splitlines()[0][:100]})."
    if model.signal != prepared.cache.meta["signal"]:
        return None, f"Your model was trained on {model.signal.upper()}; the task is on " \
                     f"{prepared.cache.meta['signal'].upper()}."
    return model, {int(a) for a in train}


def _measure_against_the_bar(answer, prepared, fold, baseline, table) -> Verdict:
    from bcser_utils.learn import evaluation, pipeline
    from bcser_utils.learn.inference import CacheRows

    model, train = _student_model(answer, prepared)
    if model is None:
        return _verdict("9.3", False, train)
    base, name, rows = _bar(prepared, fold, baseline, table)
    index, emotions = prepared.cache.index, list(prepared.cfg.emotions)
    actors = index["actor"].to_numpy()[rows]
    heard = sorted(train & set(actors.tolist()))
    if heard:
        return _verdict("9.3", False, f"Your model was trained on actor(s) "
                                      f"{', '.join(map(str, heard))}, early-stopping actors of "
                                      f"P3 fold {fold + 1}: train on that fold "
                                      f"(folds=[{fold}]).")
    proba = np.zeros((len(rows), len(emotions)), dtype=np.float32)
    try:   # each actor's clips together: a speaker-normalised model adapts to them, unlabelled
        for actor in np.unique(actors):
            own = actors == actor
            proba[own] = model.speaker_probabilities(CacheRows(prepared.cache.features, rows[own]))
    except RuntimeError as err:
        return _verdict("9.3", False, "Your model does not fit these features (made with other "
                                      f"feature settings?): {str(err).splitlines()[0][:80]}")
    mine = pipeline.prediction_table("val", index.iloc[rows], proba, emotions)
    y, p_mine, _ = evaluation.prediction_arrays(mine, emotions)
    _, p_base, _ = evaluation.prediction_arrays(base, emotions)
    paired = evaluation.paired_difference(y, p_mine, p_base)
    low, high = paired["ci95"]
    said = (f"Your model {paired['a']:.1%}, the {name} {paired['b']:.1%}, on the {len(y)} "
            f"original clips of the early-stopping actors of P3 fold {fold + 1} "
            f"({', '.join(map(str, np.unique(actors)))}): {100 * paired['difference']:+.1f} "
            f"points (paired 95% interval over clips {100 * low:+.1f} to {100 * high:+.1f}).")
    return _verdict("9.3", paired["difference"] > 0, said, note=said)


def beat_the_baseline(prepared, fold: int = 0, baseline: tuple[str, str] = ("logreg", "global"),
                      baseline_table: pd.DataFrame | None = None, show_solution: bool = False,
                      answer=None) -> dict | Verdict | None:
    """The threshold task: does the student's model beat the eGeMAPS baseline on the
    early-stopping actors of P3 fold ``fold + 1``?

    The check measures the model itself on those actors' original clips (each actor's clips
    together, so a speaker-normalised model adapts to them), never a number typed in and never
    the test actors, and scores the baseline on the same clips. Notebook:
    09_towards_unseen_speakers.

    Parameters
    ----------
    prepared : pipeline.Prepared
        The deep model's features (the notebook's ``prepared``).
    fold : int
        The P3 fold, counted from 0 (0 is "fold 1").
    baseline : (classifier, standardisation)
        Which eGeMAPS baseline sets the bar: ("logreg" or "svm", "global" or "speaker").
    baseline_table : pandas.DataFrame, optional
        Its predictions (``generalize.baseline_tables``); default: read or made for this mode.
    show_solution : bool
        Print the bar: the baseline's accuracy on those clips.
    answer : pipeline.Trained, or str or Path
        The student's model (``my_model``): what ``pipeline.train`` returns, or a run folder
        (with model.pt and metrics.json, e.g. ``generalize.run_folder(...)``).

    Returns
    -------
    Verdict, dict or None
        The verdict (its hint says by how much); with ``show_solution`` the bar as a dict.
    """
    checked = _before_solution(show_solution, "beat_the_baseline", "my_model",
                               "trained model (or its run folder)", answer,
                               lambda a: _measure_against_the_bar(a, prepared, fold, baseline,
                                                                  baseline_table))
    if not show_solution:
        return checked
    from bcser_utils.learn import evaluation

    base, name, rows = _bar(prepared, fold, baseline, baseline_table)
    accuracy = evaluation.table_score(base, n_boot=0)["accuracy"]
    actors = sorted({int(a) for a in prepared.cache.index["actor"].to_numpy()[rows]})
    print(f"the bar: the {name} scores {accuracy:.1%} on the {len(base)} original clips of the "
          f"early-stopping actors of P3 fold {fold + 1} ({', '.join(map(str, actors))}); "
          "your model must score more on the same clips")
    return {"baseline": name, "accuracy": accuracy, "clips": len(base), "actors": actors}


# ---------------------------------------------------------------- 10 · your own voice

def _check_adapt_on_a_subset(answer) -> Verdict:
    # Checked against the principle (section 3 of the notebook), not against one voice's run,
    # which can go either way for a few clips: the speaker's statistics are their average voice,
    # and four quiet emotions make a quiet average.
    hints = {"more": "Adapting subtracts the speaker's average: what is the average of four "
                     "quiet emotions, and how do they look measured against it?",
             "same": "The statistics come from the clips adapted to: four quiet emotions give "
                     "another average than all eight."}
    return _check_choice("10.1", answer, "fewer",
                         {"fewer": ("less", "lower", "down", "decrease", "worse"),
                          "same": ("the same", "unchanged", "no change"),
                          "more": ("higher", "up", "increase", "better")}, hints)


def adapt_on_a_subset(clips: dict, emotions, model=None, show_solution: bool = False,
                      answer=None) -> dict | Verdict | None:
    """Adapt to the clips of ``emotions`` only (at least 4), and count how many of them are named
    right, against the same clips adapted to among all of ``clips``.

    Notebook: 10_your_own_voice. ``answer``: "fewer", "same" or "more" named right when adapting
    to the four alone (``my_prediction``), checked against the principle.
    """
    checked = _before_solution(show_solution, "adapt_on_a_subset", "my_prediction",
                               'choice ("fewer", "same" or "more")', answer,
                               _check_adapt_on_a_subset)
    if not show_solution:
        return checked
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


def _check_hop_and_alignment(answer, hops) -> Verdict:
    # Geometry, no model: window centres lie a hop apart, so a clip's centre is at most half a
    # hop from the nearest one.
    if not isinstance(answer, dict):
        return _verdict("10.2", False, "Give a dict {hop: farthest offset in seconds}, one for "
                                       f"each hop: {', '.join(f'{h:g}' for h in hops)}.")
    said = {}
    for key, value in answer.items():
        try:
            said[float(key)] = _as_number(value)
        except (TypeError, ValueError):
            continue   # not a hop: reported as missing below
    missing = [h for h in hops if said.get(float(h)) is None]
    if missing:
        return _verdict("10.2", False, "Give an offset in seconds for hop "
                                       + ", ".join(f"{h:g} s" for h in missing) + ".")
    got = np.array([said[float(h)] for h in hops])
    hop = np.asarray(hops, dtype=float)
    if np.allclose(got, hop / 2, atol=0.01):
        return _verdict("10.2", True)
    slips = [(hop, "A whole hop is the distance between two window centres; a clip's centre "
                   "lies between two of them."),
             (hop * 500, "Those look like milliseconds: give seconds."),
             (hop / 4, "Too close: between two window centres a hop apart, how far can a point "
                       "be from the nearer one?"),
             (np.full_like(hop, 2.0), "That is half a window; the question is how far apart the "
                                      "window centres are.")]
    for slip, hint in slips:
        if np.allclose(got, slip, atol=0.01):
            return _verdict("10.2", False, hint)
    return _verdict("10.2", False, "Window centres lie one hop apart: how far from the nearest "
                                   "centre can a clip's centre be?")


def hop_and_alignment(path, spans, hops=(1.0, 0.5, 0.25), model=None, show_solution: bool = False,
                      answer=None) -> dict | Verdict | None:
    """For each hop, how many clips the window nearest each clip's centre names right
    (``spans``: (emotion, start s, end s), as ``voice.join`` returns them).

    Notebook: 10_your_own_voice. ``answer``: {hop: the farthest a clip's centre can be from the
    nearest window's centre, in seconds} (``my_max_offset_s``).
    """
    checked = _before_solution(show_solution, "hop_and_alignment", "my_max_offset_s",
                               "farthest offsets {hop: seconds}", answer,
                               lambda a: _check_hop_and_alignment(a, hops))
    if not show_solution:
        return checked
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


def _solutions_may_be_hidden(exercise):
    """``exercise`` with ``show_solution=True`` turned into a plain check (one line says so)
    while ``solutions_hidden()``: in a graded assignment the solution stays hidden."""
    signature = inspect.signature(exercise)

    @functools.wraps(exercise)
    def honouring(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        if bound.arguments.get("show_solution") and solutions_hidden():
            print(f"Solutions are hidden in this assignment: exercises.{exercise.__name__}(...) "
                  "only checks your answer.")
            bound.arguments["show_solution"] = False
        return exercise(*bound.args, **bound.kwargs)
    return honouring


# Every exercise (each public function with a show_solution parameter) honours a hidden solution.
for _name, _function in list(globals().items()):
    if (inspect.isfunction(_function) and not _name.startswith("_")
            and _function.__module__ == __name__
            and "show_solution" in inspect.signature(_function).parameters):
        globals()[_name] = _solutions_may_be_hidden(_function)
