"""Notebook 09's conclusions and the README's rows are written from the study's summary: each
judgement must follow the numbers, so each test moves a number of the committed summary and
checks that the sentence turns with it."""

import copy
import re
from pathlib import Path

import pytest

from bcser_utils.present import generalize_findings, generalize_tables, report

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def summary():
    return copy.deepcopy(report.load_summary(ROOT / "results" / "generalize-full.json"))


def _bullet(text: str, lead: str) -> str:
    """The one bullet of ``findings`` whose bold lead starts with ``lead``."""
    found = [line for line in text.splitlines() if line.startswith(f"* **{lead}")]
    assert len(found) == 1, (lead, text)
    return found[0]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def test_the_findings_quote_the_default_and_name_every_chosen_change(summary):
    text = generalize_findings.findings(summary)
    assert len(re.findall(r"^\* \*\*", text, flags=re.M)) == 7
    default = _bullet(text, "The default model")
    assert f"**{_pct(summary['final']['fusion']['test']['accuracy'])}**" in default
    seeds = _bullet(text, "One seed") if "One seed" in text else _bullet(text, "The seeds")
    for name in summary["selection"]["chosen"]:
        assert f"`{name}`" in seeds.split("picks")[1].split("; not")[0]


def test_a_fusion_below_the_baseline_is_said_to_fall_behind(summary):
    summary["final"]["fusion"]["minus_baseline"] |= {"difference": -0.04, "ci95": [-0.07, -0.01]}
    default = _bullet(generalize_findings.findings(summary), "The default model")
    assert "falls behind the baseline" in default and "beats" not in default
    summary["final"]["fusion"]["minus_baseline"]["ci95"] = [-0.07, 0.01]
    assert "level with the baseline" in generalize_findings.findings(summary)


def test_a_deep_model_above_the_baseline_is_named_as_the_one_that_beat_it(summary):
    summary["recipes"]["two-sided"]["test"][1]["accuracy"] = 0.70
    lead = _bullet(generalize_findings.findings(summary), "A deep model alone beat")
    assert "`two-sided` seed 1, 70.0%, +11.2 points against the baseline" in lead
    summary["recipes"]["two-sided"]["test"][1]["accuracy"] = 0.60  # +1.2: not a settled win
    lead = _bullet(generalize_findings.findings(summary), "The classical baseline")
    assert "no deep model alone beat it by a settled margin" in lead


def test_ensembles_worse_than_their_seeds_did_not_help(summary):
    for r in [*summary["recipes"].values(), summary["final"]["bc"]]:
        if "ensemble" in r:
            r["ensemble"]["test"]["accuracy"] = 0.30
    text = generalize_findings.findings(summary)
    assert "did not help" in _bullet(text, "Averaging models")
    assert "gained −" in _bullet(text, "What would help next")


def test_the_targets_are_judged_against_the_defaults_test_accuracy(summary):
    test = summary["final"]["fusion"]["test"]
    for accuracy, ci, target, goal in (
            (0.55, [0.50, 0.61], "falls short of the target", "is not met."),
            (0.64, [0.58, 0.70], "its interval by actor reaches below it", "is inside its "
             "interval, not met."),
            (0.72, [0.65, 0.78], "meets the target", "is met."),
            (0.66, [0.61, 0.69], "and so does its whole interval", "is not met.")):
        test["accuracy"], test["accuracy_ci95_by_actor"] = accuracy, ci
        default = _bullet(generalize_findings.findings(summary), "The default model")
        assert target in default and f"the goal of 70% {goal}" in default, default


def test_bc_against_ac_follows_the_sign_of_its_interval(summary):
    d = summary["final"]["bc_minus_ac_final"]["0"]
    for difference, ci, word in ((-0.036, [-0.06, -0.01], "(BC worse)"),
                                 (0.036, [0.01, 0.06], "(BC better)"),
                                 (0.005, [-0.02, 0.03], "(level)"),
                                 (0.02, [0.005, 0.035], "(level)")):  # under 3 points
        d["difference"], d["ci95"] = difference, ci
        assert word in _bullet(generalize_findings.findings(summary), "BC against AC")


def test_a_change_that_costs_is_listed_and_a_chosen_one_is_never_too_small(summary):
    summary["recipes"]["plateau"]["val_gain"] = -0.05
    costs = _bullet(generalize_findings.findings(summary), "What cost most")
    assert "`plateau` (" in costs and "−5.0 points there, one seed only" in costs
    summary["recipes"]["plateau"]["val_gain"] = 0.02  # a gain the rule cannot read (one seed)
    costs = _bullet(generalize_findings.findings(summary), "What cost most")
    unread = costs.split("Not read by the rule")[1]
    assert "`plateau` (" in unread and "+2.0, one seed only" in unread
    assert not any(f"`{name}`" in unread for name in summary["selection"]["chosen"])


def test_the_headline_rows_say_which_model_is_the_default(summary):
    rows = generalize_tables.headline_rows(summary)
    assert "two seeds' deep models + baseline fused" in rows
    summary["final"]["default"] = {**summary["final"]["default"], "model": "deep model",
                                   "weight": 1.0}
    rows = generalize_tables.headline_rows(summary)
    assert "`--same-speaker`: the deep model alone)" in rows and "fused" not in rows
    summary["final"]["default"] |= {"model": "classical baseline", "weight": 0.0}
    assert "the classical baseline alone, the row above" in generalize_tables.headline_rows(summary)
    summary["final"]["default"] |= {"model": "fusion", "weight": 0.5, "deep_seeds": [1]}
    assert "(`--same-speaker`: one seed's deep model + baseline fused)" in \
        generalize_tables.headline_rows(summary)
    assert rows.count("\n") == 1


def test_the_adaptation_sentence_follows_the_curve(summary):
    text = generalize_findings.adaptation_finding(summary)
    curve = summary["final"]["adaptation"]
    every = next(r["accuracy"] for r in curve if r["all"])
    assert f"with all 60 of them {_pct(every)}" in text
    assert f"`{summary['final']['adaptation_recipe']}`" in text
    for row in curve:  # a curve that is flat from the fewest clips on
        row["accuracy"] = every
    assert "from 4 clips on, the curve stays within 1 point of all" in \
        generalize_findings.adaptation_finding(summary)
    for row in curve:  # close at 16 clips, not at 32: the curve is close only from all on
        row["accuracy"] -= 0.02 * (row["clips"] == 32)
    assert "no number of clips short of all" in generalize_findings.adaptation_finding(summary)
    assert "not in this file" in generalize_findings.adaptation_finding({"final": {}})


def test_every_bullet_carries_the_stale_mark_until_todays_code_made_the_file(summary, monkeypatch):
    from bcser_utils import provenance

    monkeypatch.setattr(provenance, "changed", lambda result: None)  # as if made before stamps
    summary["date"] = "2026-11-30"
    bullets = [line for line in generalize_findings.findings(summary).splitlines()
               if line.startswith("* **")]
    assert all("before provenance stamps: see note" in b for b in bullets)
    monkeypatch.setattr(provenance, "changed", lambda result: [])  # as if made by today's code
    text = generalize_findings.findings(summary) + generalize_findings.adaptation_finding(summary)
    assert "see note" not in text


def test_what_moved_says_by_how_much_and_whether_inside_the_old_interval(summary):
    new = copy.deepcopy(summary)
    new["final"]["fusion"]["test"]["accuracy"] = 0.71  # above the old interval (58.2–70.0%)
    new["recipes"]["paper"]["test"][0]["accuracy"] -= 0.034
    table = generalize_findings.moved_rows(summary, new)
    default = table.loc["**`predict --same-speaker`'s default**"]
    inside = generalize_findings.INSIDE
    moved = 0.71 - summary["final"]["fusion"]["test"]["accuracy"]
    assert default["change (points)"] == f"{100 * moved:+.1f}" and default[inside] == "no"
    paper = table.loc["the paper's recipe, seed 0"]
    assert paper["change (points)"] == "−3.4" and paper[inside] == "yes"
    new["final"]["recipe"]["name"] = "another"  # another final recipe: its seeds are not compared
    compared = generalize_findings.moved_rows(summary, new).index
    assert not any("final recipe" in what for what in compared)


def test_one_selection_seed_is_said_and_a_dropped_ensemble_is_not_counted_twice(summary):
    summary["selection"]["seeds"] = [0]
    selection = _bullet(generalize_findings.findings(summary), "One seed only")
    assert "On seed 0, the rule" in selection and "between seeds" not in selection
    summary["final"]["recipe"]["name"] = "log-floor"  # a single change as the final recipe
    ensemble = _bullet(generalize_findings.findings(summary), "Averaging models")
    assert "the final recipe" not in ensemble.split("On the test actors")[1]


def test_a_default_alone_is_not_compared_with_itself(summary):
    final = summary["final"]
    final["default"] |= {"model": "classical baseline", "weight": 0.0}
    default = _bullet(generalize_findings.findings(summary), "The default model is the classical")
    assert "over the baseline alone" not in default and "over the deep ensemble alone" in default
    final["default"] |= {"model": "deep model", "weight": 1.0}
    default = _bullet(generalize_findings.findings(summary), "The default model is the deep")
    assert "over the deep ensemble alone" not in default and "over the baseline alone" in default
