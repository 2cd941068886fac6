"""Notebook 09's conclusions and the README's rows are written from the study's summary: each
judgement must follow the numbers, so each test moves a number of the committed summary and
checks that the sentence turns with it."""

import copy
import re
from pathlib import Path

import pytest

from bcser_utils.present import generalize_tables, report

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
    text = generalize_tables.findings(summary)
    assert len(re.findall(r"^\* \*\*", text, flags=re.M)) == 7
    default = _bullet(text, "The default model")
    assert f"**{_pct(summary['final']['fusion']['test']['accuracy'])}**" in default
    seeds = _bullet(text, "One seed") if "One seed" in text else _bullet(text, "The seeds")
    for name in summary["selection"]["chosen"]:
        assert f"`{name}`" in seeds.split("picks")[1].split("; not")[0]


def test_a_fusion_below_the_baseline_is_said_to_fall_behind(summary):
    summary["final"]["fusion"]["minus_baseline"] |= {"difference": -0.04, "ci95": [-0.07, -0.01]}
    default = _bullet(generalize_tables.findings(summary), "The default model")
    assert "falls behind the baseline" in default and "beats" not in default
    summary["final"]["fusion"]["minus_baseline"]["ci95"] = [-0.07, 0.01]
    assert "level with the baseline" in generalize_tables.findings(summary)


def test_a_deep_model_above_the_baseline_is_named_as_the_one_that_beat_it(summary):
    summary["recipes"]["two-sided"]["test"][1]["accuracy"] = 0.70
    lead = _bullet(generalize_tables.findings(summary), "The classical baseline")
    assert "no deep model beat it" not in lead and "`two-sided` seed 1 beat it alone" in lead


def test_ensembles_worse_than_their_seeds_did_not_help(summary):
    for r in [*summary["recipes"].values(), summary["final"]["bc"]]:
        if "ensemble" in r:
            r["ensemble"]["test"]["accuracy"] = 0.30
    text = generalize_tables.findings(summary)
    assert "did not help" in _bullet(text, "Averaging models")
    assert "gained −" in _bullet(text, "What would help next")


def test_the_targets_are_judged_against_the_defaults_test_accuracy(summary):
    test = summary["final"]["fusion"]["test"]
    for accuracy, target, goal in ((0.55, "not met", "is not"), (0.64, "met", "is not"),
                                   (0.72, "met", "is met")):
        test["accuracy"] = accuracy
        default = _bullet(generalize_tables.findings(summary), "The default model")
        assert f"on unseen speakers is {target};" in default and f"70% {goal}." in default


def test_bc_against_ac_follows_the_sign_of_its_interval(summary):
    d = summary["final"]["bc_minus_ac_final"]["0"]
    for ci, word in (([-0.06, -0.01], "BC *worse*"), ([0.01, 0.06], "BC better"),
                     ([-0.02, 0.03], "BC level with AC")):
        d["ci95"] = ci
        assert word in _bullet(generalize_tables.findings(summary), "BC against AC")


def test_a_change_that_costs_is_listed_and_a_chosen_one_is_never_too_small(summary):
    summary["recipes"]["plateau"]["val_gain"] = -0.05
    matters = _bullet(generalize_tables.findings(summary), "What clearly matters")
    assert "`plateau`: 5.0 points less there" in matters
    for name in summary["selection"]["chosen"]:
        assert f"`{name}` adds" not in matters


def test_the_headline_rows_say_which_model_is_the_default(summary):
    rows = generalize_tables.headline_rows(summary)
    assert "two seeds' deep models + baseline fused" in rows
    summary["final"]["default"] = {**summary["final"]["default"], "model": "deep model"}
    rows = generalize_tables.headline_rows(summary)
    assert "`--same-speaker`: the deep model)" in rows and "fused" not in rows
    assert rows.count("\n") == 1


def test_the_adaptation_sentence_follows_the_curve(summary):
    text = generalize_tables.adaptation_finding(summary)
    curve = summary["final"]["adaptation"]
    every = next(r["accuracy"] for r in curve if r["all"])
    assert f"from all 60 of them {_pct(every)}" in text
    for row in curve:  # a curve that is flat from the fewest clips on
        row["accuracy"] = every
    assert "within 1 point of all clips from 4 clips on" in \
        generalize_tables.adaptation_finding(summary)
    assert "not in this file" in generalize_tables.adaptation_finding({"final": {}})


def test_every_bullet_carries_the_stale_mark_until_todays_code_made_the_file(summary, monkeypatch):
    from bcser_utils import provenance

    bullets = [line for line in generalize_tables.findings(summary).splitlines()
               if line.startswith("* **")]
    assert all("before provenance stamps: see note" in b for b in bullets)
    monkeypatch.setattr(provenance, "changed", lambda result: [])  # as if made by today's code
    text = generalize_tables.findings(summary) + generalize_tables.adaptation_finding(summary)
    assert "see note" not in text


def test_what_moved_says_by_how_much_and_whether_inside_the_old_interval(summary):
    new = copy.deepcopy(summary)
    new["final"]["fusion"]["test"]["accuracy"] = 0.71  # above the old interval (58.2–70.0%)
    new["recipes"]["paper"]["test"][0]["accuracy"] -= 0.034
    table = generalize_tables.moved_rows(summary, new)
    default = table.loc["**`predict --same-speaker`'s default**"]
    assert default["change (points)"] == "+6.9" and default["inside the old interval"] == "no"
    paper = table.loc["the paper's recipe, seed 0"]
    assert paper["change (points)"] == "−3.4" and paper["inside the old interval"] == "yes"
    new["final"]["recipe"]["name"] = "another"  # another final recipe: its seeds are not compared
    compared = generalize_tables.moved_rows(summary, new).index
    assert not any("final recipe" in what for what in compared)
