"""Model cards say what THIS model used and measured: every number in a card comes from the
summary it is rendered from (or from the config's constants), and a summary with other features,
versions or actors gives a card that says those."""

import copy
import dataclasses
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bcser_utils import config, provenance
from bcser_utils.present import cards, report
from bcser_utils.present.formatting import NOISE_FREE

ROOT = Path(__file__).resolve().parents[1]
TRANSFORMS = ["time_stretch", "speed_perturbation", "time_shift", "time_mask", "pitch_shift",
              "volume", "gaussian_noise", "clipping", "polarity_inversion", "echo",
              "compression", "vtlp"]


@pytest.fixture(autouse=True)
def _current_code(monkeypatch):
    # the cards' stale marks have their own tests (test_provenance); here every result is current
    monkeypatch.setattr(provenance, "changed", lambda result: [])


def run_summary() -> dict:
    return json.loads((ROOT / "bcser_utils" / "models" / "bcser_p3.metrics.json").read_text())


def study_summary() -> dict:
    return report.load_summary(ROOT / "results" / "generalize-full.json")


def other_run(features="mfcc", versions=5, test=(5, 6, 17, 18), val=(7, 8)) -> dict:
    """The shipped P3 run's summary as if another run had made it."""
    summary = run_summary()
    m = summary["metrics"]
    scores = list(m["per_actor_accuracy"].values())
    m["per_actor_accuracy"] = {str(a): scores[i % len(scores)] for i, a in enumerate(test)}
    summary.update(features={"kind": features, "sample_rate": 22_050, "max_duration_s": 3.5},
                   versions=versions, actors={"test": list(test), "val": list(val)},
                   description=f"actor-disjoint fold 3/7: test actors {list(test)}")
    return summary


# -- what the card says -----------------------------------------------------------------------


def test_versions_are_named_as_augment_makes_them():
    from bcser_utils.audio import augment

    assert list(augment.TRANSFORMS) == TRANSFORMS  # versions_made's reading of the registry
    assert cards.versions_made(1, TRANSFORMS) == "the original only"
    assert cards.versions_made(5, TRANSFORMS) == (
        "the original and 4 single augmentations (time_stretch, speed_perturbation, time_shift, "
        "time_mask)")
    assert cards.versions_made(15, TRANSFORMS) == (
        f"the original, all 12 single augmentations ({', '.join(TRANSFORMS)}) and 2 random chains")
    assert cards.versions_made(14, TRANSFORMS).endswith("and 1 random chain")


def test_a_run_card_says_the_features_versions_and_actors_of_its_own_run():
    card = cards.model_card(other_run(), "python -m bcser_utils train …", "2026-12-01")
    assert "MFCC (with deltas) features over a fixed 3.5 s window" in card
    assert "resampled to 22.05 kHz" in card and "log-mel" not in card
    assert "× 5\nversions: the original and 4 single augmentations (time_stretch, " in card
    assert "12 augmentations" not in card and "chains" not in card
    assert "held-out test actors 05, 06, 17, 18" in card
    assert "early stopping used actors 07, 08" in card
    assert "Accuracy per evaluated actor: 05: " in card and "4 test actors give" in card


def test_a_run_card_claims_no_features_its_summary_does_not_record():
    summary = run_summary()
    summary.pop("features", None)
    card = cards.model_card(summary, "make reproduce", "2026-12-04")
    assert "log-mel" not in card and "MFCC" not in card
    assert "this summary does not record" in card


def test_a_card_of_a_validation_split_never_calls_it_held_out_actors():
    summary = run_summary()
    summary.update(protocol="P1", evaluated_on="val", description="augment, then split")
    card = cards.model_card(summary, "python -m bcser_utils train --protocol P1", "2026-12-01")
    assert "held-out" not in card and "(speaker-independent" not in card
    assert "not speaker-independent" in card and "other versions of the same recordings" in card
    assert "original clips" not in card  # P1 validates on every version


def test_the_default_card_says_the_actors_and_recipe_of_its_own_study():
    summary = study_summary()
    final = summary["final"]
    final["fusion"]["test"]["actors"] = 17
    final["recipe"]["overrides"]["augment.n_versions"] = 3
    card = cards.default_card(summary)
    assert "all 17 actors" in card and "Acted speech of 17 North-American actors" in card
    assert "20 actors" not in card.replace(summary["source"].removeprefix("Data: "), "")
    assert "3 versions of each recording: the original and 2 single augmentations" in card


def test_the_default_card_repeats_no_finding_its_summary_does_not_hold():
    summary = study_summary()
    card = cards.default_card(summary)
    assert "actor 05" not in card and "8 right" not in card and "section" not in card
    summary["final"].pop("adaptation")
    assert "Speaker statistics from few clips" not in cards.default_card(summary)


def test_a_stale_result_says_so_on_its_card(monkeypatch):
    monkeypatch.setattr(provenance, "changed", lambda result: None)  # made before stamps
    summary = study_summary()
    card = cards.default_card(summary)
    assert card.splitlines()[2] == f"*{provenance.stale_note(summary)}*"
    mark = f"made on {summary['date']}, before provenance stamps: see note"
    rows = [line for line in card.splitlines() if line.startswith("| ") and "%" in line][1:]
    assert len(rows) == 4 and all(mark in row for row in rows)
    high = summary["final"]["fusion"]["minus_baseline"]["ci95"][1]
    assert f"to {100 * high:+.1f}): better on the test actors too, though it was chosen on the " \
        f"early-stopping actors. · *{mark}*" in card


def test_the_noise_free_condition_keeps_the_name_result_files_use():
    summary = report.load_summary(ROOT / "results" / "beyond-full.json")
    assert NOISE_FREE in {row["kind"] for row in summary["ac_vs_bc"]}


# -- every number of a card is traced ---------------------------------------------------------

NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
# labels of the method, not numbers of a result: the 95% intervals, the ECE's 10 bins, F1 and
# the protocols' names, the notebooks' numbers, and the licence and citation
LABELS = [r"95%", r"\(10 bins\)", r"F1", r"\bP[123]\b", r"[Nn]otebook \d\d", r"\d\d_\w+",
          re.escape(cards.DATA_LICENCE), re.escape(cards.CITATION)]


def _walk(value, numbers: set, strings: set):
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (int, float)):
        numbers.add(float(value))
    elif isinstance(value, str):
        strings.add(value)
        if re.fullmatch(r"\d+(\.\d+)?", value):  # actors, seeds and weights as keys
            numbers.add(float(value))
    elif isinstance(value, dict):
        numbers.add(float(len(value)))
        for key, item in value.items():
            _walk(key, numbers, strings)
            _walk(item, numbers, strings)
    elif isinstance(value, (list, tuple)):
        numbers.add(float(len(value)))
        for item in value:
            _walk(item, numbers, strings)


def _config_numbers() -> set:
    numbers, strings = set(), set()
    cfg = config.get_config()
    for section in dataclasses.fields(cfg):
        value = getattr(cfg, section.name)
        if dataclasses.is_dataclass(value):  # this mode's values and the paper's defaults
            _walk(dataclasses.asdict(value), numbers, strings)
            _walk(dataclasses.asdict(type(value)()), numbers, strings)
    _walk(list(cfg.emotions), numbers, strings)
    return numbers | {1 / len(cfg.emotions)}


def untraced(card: str, summary: dict, quoted=()) -> list[str]:
    """The numbers in ``card`` that neither ``summary`` nor the config holds (as written: a
    fraction, a percentage or points, kHz; to the decimals shown). ``quoted``: the strings the
    card was given besides the summary (a command, a date, file names)."""
    numbers, strings = set(), set(quoted)
    _walk(summary, numbers, strings)
    strings |= {s.removesuffix("+changes") for s in strings}  # provenance.commit_words' form
    numbers |= _config_numbers()
    numbers |= {1 - v for v in numbers if 0 <= v <= 1}  # a fusion's weight on the other model
    shown = {(decimals, round(abs(v) * scale, decimals)) for v in numbers
             for scale in (1, 100, 1 / 1000) for decimals in range(7)}
    text = card
    for string in sorted(strings, key=len, reverse=True):  # quoted verbatim
        if len(string) > 2 and re.search(r"\d", string):  # never a part of a longer number
            text = re.sub(rf"(?<![\d.]){re.escape(string)}(?!\d)", " ", text)
    for label in LABELS:
        text = re.sub(label, " ", text)
    return [token for token in NUMBER.findall(text)
            if (len(token.partition(".")[2]), float(token.replace(",", ""))) not in shown]


def test_every_number_of_the_shipped_cards_is_in_their_summaries():
    summary = study_summary()
    assert untraced(cards.default_card(summary), summary) == []
    run = run_summary()
    assert untraced(cards.model_card(run, "make reproduce", "2026-12-04"), run,
                    ["2026-12-04"]) == []


def test_the_tracer_finds_a_number_that_no_summary_holds():
    summary = study_summary()
    card = cards.default_card(summary)
    assert untraced(card + "\nEight clips of actor 4711: 1 right; 83.3% overall.", summary) == [
        "4711", "83.3"]


def _scaled(value, factor):
    """Every accuracy-like number of a summary scaled: a card must follow."""
    if isinstance(value, dict):
        return {k: _scaled(v, factor) for k, v in value.items()}
    if isinstance(value, list):
        return [_scaled(v, factor) for v in value]
    if isinstance(value, float) and 0 < value < 1:
        return value * factor
    return value


def _only_what_a_card_reads(summary: dict, actors: int) -> dict:
    """The study's summary cut to what ``default_card`` reads, with ``actors`` actors: so a
    number the card did not read from it (e.g. a fixed "20 actors") has nowhere to hide."""
    def recount(value):
        if isinstance(value, dict):
            return {k: actors if k == "actors" else recount(v) for k, v in value.items()}
        return [recount(v) for v in value] if isinstance(value, list) else value

    final = {k: summary["final"][k] for k in ("recipe", "bc", "fusion", "single_clip",
                                                "adaptation_recipe", "adaptation", "refit_epochs",
                                                "default")}
    return {"source": f"Data: a corpus of {actors} actors", "command": summary["command"],
            "date": summary["date"], "final": recount(final)}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(factor=st.floats(0.3, 0.99), actors=st.integers(3, 24), epochs=st.integers(2, 60),
       versions=st.integers(1, 30))
def test_a_card_holds_no_number_that_is_not_in_its_summary(factor, actors, epochs, versions):
    summary = _only_what_a_card_reads(STUDY, actors)
    summary["final"] = _scaled(summary["final"], factor)
    summary["final"]["refit_epochs"] = epochs
    summary["final"]["recipe"]["overrides"]["augment.n_versions"] = versions
    # the versions' names count singles and chains from the registry (its own test above)
    named = cards.versions_made(versions)
    assert untraced(cards.default_card(summary), summary, [named]) == []
    run = _scaled(copy.deepcopy(RUN), factor)
    run.update(best_epoch=epochs, stopped_epoch=epochs + 5, versions=versions,
               features={"kind": "logmel", "sample_rate": 16_000, "max_duration_s": 4.0})
    assert untraced(cards.model_card(run, "make reproduce", "2026-12-04"), run,
                    ["2026-12-04", named]) == []


STUDY, RUN = study_summary(), run_summary()
