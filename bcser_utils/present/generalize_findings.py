"""Notebook 09's conclusions written from its study's summary, and the pages that quote the study
rewritten from it.

A sentence that judges a number ("beats", "worse", "a target met") goes stale when the study is
remade. So every sentence here is decided from the summary: a difference is called a win or a
loss only when it is at least ``SETTLED`` (3 points: the same recipe's two seeds differ by about
that much on the test actors) and its interval by actor, where there is one, excludes zero;
otherwise it is "level". ``findings`` is notebook 09's section 7 and results/README.md's "how to
read it"; ``render_readme`` and ``render_results_readme`` rewrite the pages
(``generalize --pages``); ``moved_rows`` compares two versions of the study.

Notebook: 09_towards_unseen_speakers.
"""

from __future__ import annotations

import pandas as pd

from bcser_utils import config
from bcser_utils.present import generalize_tables
from bcser_utils.present.formatting import interval, percent
from bcser_utils.present.generalize_tables import BASELINE_LABELS
from bcser_utils.present.staleness import stale_mark

UNSEEN_TARGET = 0.60  # docs/design.md, Targets: predict --same-speaker's default, pooled P3 test
UNSEEN_GOAL = 0.70    # the same page's goal for it
SETTLED = 0.03        # a difference smaller than this is read as unsettled (see the module)
_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}

FINDINGS_MARKS = ("<!-- generalize-full findings -->", "<!-- /generalize-full findings -->")
TABLE_MARKS = ("<!-- generalize-full table -->", "<!-- /generalize-full table -->")
MOVED_MARKS = ("<!-- generalize-full moved -->", "<!-- /generalize-full moved -->")
HEADLINE_START = "| test accuracy, P3, all 5 folds pooled:"  # README's two rows start so


def findings(summary: dict) -> str:
    """What the study means for the paper's claims (Markdown: a line on how to read it, then one
    bullet per finding), every number and verdict decided here from ``summary``.

    Parameters
    ----------
    summary : dict
        Notebook 09's study (``results/generalize-full.json``).

    Returns
    -------
    str
        Each bullet carries ``staleness.stale_mark`` while other code than today's made the file.

    Examples
    --------
    >>> from bcser_utils.config import REPO_ROOT
    >>> from bcser_utils.present import report
    >>> text = findings(report.load_summary(REPO_ROOT / "results" / "generalize-full.json"))
    >>> sum(line.startswith("* **") for line in text.splitlines())
    7
    """
    final = summary.get("final", {})
    parts = [_baseline_finding(summary), _selection_finding(summary), _ensemble_finding(summary),
             _costs_finding(summary)]
    if "fusion" in final and final.get("default"):
        parts.append(_default_finding(summary))
    if final.get("bc_minus_ac_final"):
        parts.append(_bc_ac_finding(final))
    parts.append(_next_finding(summary))
    mark = stale_mark(summary)
    if mark:  # after each bullet's bold lead
        parts = [f"{part[:part.index('**', 2) + 2]} (*{mark}*){part[part.index('**', 2) + 2:]}"
                 for part in parts]
    return "\n".join([_reading_line(summary), ""] + [f"* {part}" for part in parts])


# --- small pieces ---------------------------------------------------------------------------

def _points(d: float) -> str:
    """0.034 → "+3.4"; -0.034 → "−3.4" (a minus sign, not a hyphen)."""
    return f"{100 * d:+.1f}".replace("-", "−")


def _change(d: float) -> str:
    """A change between two studies in points: "+6.0", "−0.3", and "0.0" (no sign) for none."""
    return _points(d) if round(100 * d, 1) else "0.0"


def _paired(d: dict) -> str:
    """A paired difference with its interval: "+5.3 points (95% CI by actor +3.2 to +7.5)"."""
    return f"{_points(d['difference'])} points (95% CI by actor {_points(d['ci95'][0])} to " \
           f"{_points(d['ci95'][1])})"


def _verdict(difference: float, ci=None) -> str:
    """"above", "below" or "level": above or below only by at least ``SETTLED`` and, with an
    interval, only when it excludes zero."""
    if difference >= SETTLED and (ci is None or ci[0] > 0):
        return "above"
    if difference <= -SETTLED and (ci is None or ci[1] < 0):
        return "below"
    return "level"


def _at(by_seed: dict, seed):
    """``by_seed[seed]`` whether the file's keys came back as numbers or as text."""
    return by_seed[seed] if seed in by_seed else by_seed[str(seed)]


def _seed_tests(r: dict) -> list[tuple[int, float]]:
    """(seed, test accuracy) of a recipe's seeds, in seed order."""
    return sorted((int(s), v["accuracy"]) for s, v in r["test"].items())


def _gain(g) -> float:
    """A gain as the selection stores it: a number, or {"val_gain": number}."""
    return g["val_gain"] if isinstance(g, dict) else g


def _label(summary: dict, name: str) -> str:
    """`name` and the first words of its description: "`narrow` (half the width)"."""
    description = summary["recipes"].get(name, {}).get("description", "")
    return f"`{name}` ({description.split(' (')[0]})" if description else f"`{name}`"


def _count(n: int, what: str) -> str:
    """(2, "seed") → "two seeds"."""
    return f"{_WORDS.get(n, n)} {what}{'s' if n != 1 else ''}"


def _deep_name(seeds) -> str:
    return "the deep ensemble" if len(seeds) > 1 else "the deep model"


# --- the findings ---------------------------------------------------------------------------

def _reading_line(summary: dict) -> str:
    """How many recipes and seeds, how far one recipe's seeds differ, and what did not run."""
    recipes = summary["recipes"]
    by_seeds = {}
    for r in recipes.values():
        by_seeds.setdefault(len(r["seeds"]), []).append(r)
    counts = ", ".join(f"{len(rs)} with {_count(n, 'seed')}" for n, rs in sorted(by_seeds.items()))
    spreads = [max(a for _, a in _seed_tests(r)) - min(a for _, a in _seed_tests(r))
               for r in recipes.values() if len(r["test"]) > 1]
    paper = next(iter(recipes["paper"]["test"].values()))
    text = f"*({len(recipes)} recipes ({counts}), {paper['actors']} actors"
    if spreads:
        text += (f"; the same recipe's seeds differ by up to {100 * max(spreads):.1f} points on "
                 "the test actors")
    text += (f". A difference under {100 * SETTLED:.0f} points, or one whose interval includes "
             "zero, is called level below.")
    if summary.get("not_run"):
        text += f" Not run, for lack of time: {', '.join(f'`{n}`' for n in summary['not_run'])}."
    return text + ")*"


def _baseline_finding(summary: dict) -> str:
    """The best classical baseline against every deep model alone."""
    final, recipes = summary.get("final", {}), summary["recipes"]
    name = final.get("fusion", {}).get("baseline") or "bc-svm-speaker-v1-P2-P3"
    best = summary["baselines"][name]["P3"]["test"]
    glob = summary["baselines"].get(name.replace("-speaker-", "-global-"), {}).get("P3", {})
    deep = {f"`{r}` seed {s}": a for r, v in recipes.items() for s, a in _seed_tests(v)}
    deep |= {f"the mean of `{r}`'s seeds' models": v["ensemble"]["test"]["accuracy"]
             for r, v in recipes.items() if "ensemble" in v}
    final_name = final.get("recipe", {}).get("name")
    if "bc" in final and final_name not in recipes:
        deep |= {f"the final recipe, seed {s}": a for s, a in _seed_tests(final["bc"])}
        if "ensemble" in final["bc"]:
            deep["the mean of the final recipe's seeds' models"] = \
                final["bc"]["ensemble"]["test"]["accuracy"]
    top = max(deep, key=deep.get)
    verdict = _verdict(deep[top] - best["accuracy"])
    lead = {"level": "**The classical baseline is the number to beat, and no deep model alone "
                     "beat it by a settled margin.**",
            "below": "**The classical baseline is the number to beat, and no deep model alone "
                     "came near it.**",
            "above": "**A deep model alone beat the classical baseline.**"}[verdict]
    _, classifier, norm = name.split("-")[:3]
    clips = best["n"] // best["actors"]
    text = (f"{lead} eGeMAPS functionals, {'each speaker' if norm == 'speaker' else 'globally'} "
            f"standardised, and scikit-learn's {BASELINE_LABELS[classifier]}: "
            f"{percent(best['accuracy'])} on actors never heard in training (95% CI by actor "
            f"{interval(best['accuracy_ci95_by_actor'])})")
    if norm == "speaker":
        text += f", each test actor standardised with statistics from all {clips} of their " \
                "unlabelled clips"
        if glob.get("test"):
            text += f"; with global standardisation {percent(glob['test']['accuracy'])}"
    paper = " and ".join(f"{percent(a)} with seed {s}" for s, a in _seed_tests(recipes["paper"]))
    text += f". The paper's network with the paper's recipe: {paper}"
    if final_name == "paper" and "ensemble" in recipes["paper"]:
        text += f"; the mean of those models (the rule kept the paper's recipe), " \
                f"{percent(recipes['paper']['ensemble']['test']['accuracy'])}"
    if "bc" in final and final_name != "paper":  # the paper's own numbers are just above
        chosen = " and ".join(percent(a) for _, a in _seed_tests(final["bc"]))
        text += f"; the recipe the rule chose, {chosen}"
        if "ensemble" in final["bc"]:
            text += f"; the mean of those models, " \
                    f"{percent(final['bc']['ensemble']['test']['accuracy'])}"
    return text + (f". The best deep model alone, the highest of {len(deep)} test numbers (and "
                   f"so flattered by being picked afterwards): {top}, {percent(deep[top])}, "
                   f"{_points(deep[top] - best['accuracy'])} points against the baseline.")


def _selection_finding(summary: dict) -> str:
    """Each seed's gains on the early-stopping actors, what the rule chose and why, the
    combination, and the chosen changes on the test actors."""
    recipes, selection = summary["recipes"], summary["selection"]
    seeds = [int(s) for s in selection.get("seeds", [0])]
    gains, chosen = selection["val_gains"], selection["chosen"]
    points = 100 * selection["threshold"]
    threshold = f"{points:g} point{'' if points == 1 else 's'}"

    def gain(name, seed):
        return _at(recipes[name]["vs_paper"], seed)["val"]["difference"]

    by_seed = "; ".join(f"seed {s} gave " + ", ".join(f"`{n}` {_points(gain(n, s))}" for n in gains)
                        for s in seeds)
    if len(seeds) == 1:
        text = (f"**One seed only.** On the early-stopping actors (points over the paper's "
                f"recipe with the same seed), {by_seed}. On seed {seeds[0]}, the rule")
    else:
        spread = max(abs(gain(n, a) - gain(n, b)) for n in gains for a in seeds for b in seeds)
        lead = "**One seed says little.**" if spread >= SETTLED else \
            "**The seeds agree within a few points.**"
        text = (f"{lead} On the early-stopping actors (points over the paper's recipe with the "
                f"same seed), {by_seed}: one change's gain moved by up to {100 * spread:.1f} "
                f"points between seeds. Averaged over seeds {' and '.join(map(str, seeds))}, the "
                "rule")
    text += (f" (a gain of at least {threshold}, one change per knob) reads the "
             f"{_count(len(gains), 'change')} run with {'these seeds' if len(seeds) > 1 else 'it'}"
             " and ")
    text += ("picks " + ", ".join(f"`{n}` ({_points(_gain(gains[n]))})" for n in chosen)
             if chosen else "picks nothing: the final recipe is the paper's")
    left = [f"`{n}` ({_points(_gain(gains[n]))}{_why_not(summary, n)})" for n in gains
            if n not in chosen]
    text += ("; not " + ", ".join(left) if left else "") + "."
    combined = summary.get("combined")
    if combined and len(chosen) > 1:
        best = max(chosen, key=lambda n: _gain(gains[n]))
        mine = sum(_at(combined["val_accuracy"], s) for s in seeds) / len(seeds)
        theirs = sum(_at(recipes[best]["val"], s)["accuracy"] for s in seeds) / len(seeds)
        text += (f" The {_WORDS.get(len(chosen), len(chosen))} together scored {percent(mine)} "
                 f"there against `{best}`'s {percent(theirs)}, so ")
        text += "they are the final recipe." if combined["kept"] else \
            f"`{best}` alone is the final recipe."
    return text + _chosen_on_test(summary, chosen)


def _why_not(summary: dict, name: str) -> str:
    """Why the rule left a change out: under the threshold, or another on its knob gained more."""
    selection = summary["selection"]
    if _gain(selection["val_gains"][name]) < selection["threshold"]:
        return ""
    knob = summary["recipes"][name]["knob"]
    winner = selection.get("best_per_knob", {}).get(knob, {}).get("recipe")
    return f": same knob as `{winner}`, which gained more" if winner and winner != name else ""


def _chosen_on_test(summary: dict, chosen: list[str]) -> str:
    """The chosen changes against the paper's recipe on the test actors, seed by seed."""
    if not chosen:
        return ""
    groups = {"above": [], "level": [], "below": []}
    for name in chosen:
        for seed, d in sorted(summary["recipes"][name]["vs_paper"].items(),
                              key=lambda kv: int(kv[0])):
            side = "above" if d["test"]["ci95"][0] > 0 else "below" if d["test"]["ci95"][1] < 0 \
                else "level"
            groups[side].append(f"`{name}` seed {seed} {_paired(d['test'])}")
    n = sum(map(len, groups.values()))
    level = f"all {n}" if len(groups["level"]) == n else f"{len(groups['level'])} of the {n}"
    text = f" On the test actors, paired with the paper's recipe of the same seed, {level} " \
           "intervals of the chosen changes include zero"
    for side, words in (("above", "lies above zero"), ("below", "lies below zero")):
        if groups[side]:
            text += f"; {'; '.join(groups[side])} {words}"
    return text + "."


def _ensemble_finding(summary: dict) -> str:
    """The mean of the seeds' models against each seed's model alone."""
    recipes, final = summary["recipes"], summary.get("final", {})
    pairs = {f"`{n}`": (r["ensemble"]["test"]["accuracy"], [a for _, a in _seed_tests(r)])
             for n, r in recipes.items() if "ensemble" in r}
    if "ensemble" in final.get("bc", {}) and final.get("recipe", {}).get("name") not in recipes:
        pairs["the final recipe"] = (final["bc"]["ensemble"]["test"]["accuracy"],
                                     [a for _, a in _seed_tests(final["bc"])])
    if not pairs:
        return "**Averaging models.** Not measured: no recipe has two seeds in this file."
    gains = {n: e - sum(s) / len(s) for n, (e, s) in pairs.items()}
    mean_gain = sum(gains.values()) / len(gains)
    changes = {n: r["test_gain"] for n, r in recipes.items()
               if n != "paper" and len(r["seeds"]) > 1 and "test_gain" in r}
    best = max(changes, key=changes.get) if changes else None
    best_gain = changes[best] if best else 0.0
    if _verdict(mean_gain) == "above" and mean_gain - max(best_gain, 0) >= 0.01:
        lead = "**Averaging models helps more than any single change.**"
    elif _verdict(mean_gain) == "above":
        lead = "**Averaging models helps.**"
    else:
        lead = "**Averaging models did not help by a settled margin on the test actors.**"
    text = lead
    choice = final.get("ensemble_choice")
    if choice and "val_accuracy_ensemble" in choice:
        alone = " and ".join(percent(a) for _, a in sorted(
            (int(s), a) for s, a in choice["val_accuracy_by_seed"].items()))
        text += (f" The mean of the final recipe's seeds' models scored "
                 f"{percent(choice['val_accuracy_ensemble'])} on the early-stopping actors (each "
                 f"alone {alone}), so the rule {'keeps' if choice['kept'] else 'drops'} it.")
    singles = [a for _, s in pairs.values() for a in s]
    text += (" On the test actors the mean of the seeds' models: "
             + "; ".join(f"{n} {percent(e)}" for n, (e, _) in pairs.items())
             + f", where their single-seed models scored {percent(min(singles))}–"
             f"{percent(max(singles))}: {_points(mean_gain)} points over a single seed on "
             "average")
    if best:
        text += f", against the best single change's {_points(best_gain)} (`{best}`, mean of " \
                "its seeds)"
    return text + "."


def _costs_finding(summary: dict) -> str:
    """The changes that cost clearly on the early-stopping actors, with their test numbers, and
    the recipes the rule could not read (too few seeds)."""
    recipes, selection = summary["recipes"], summary["selection"]
    read = selection["val_gains"]
    costly, unread = [], []
    for name, r in recipes.items():
        if name == "paper" or "val_gain" not in r:
            continue
        eligible = name in read
        gain = _gain(read[name]) if eligible else r["val_gain"]
        seeds = "" if eligible else f", {_count(len(r['seeds']), 'seed')} only"
        if gain <= -SETTLED:
            if len(r["seeds"]) == 1:
                d = _at(r["vs_paper"], r["seeds"][0])["test"]
                on_test = f"; on the test actors {_paired(d)}"
            else:
                on_test = f"; on the test actors {_points(r['test_gain'])} (mean of its seeds)"
            costly.append(f"{_label(summary, name)}: {_points(gain)} points there{seeds}{on_test}")
        elif not eligible:
            unread.append(f"{_label(summary, name)} {_points(gain)}{seeds}")
    text = "**What cost most on the early-stopping actors.** " + (
        "; ".join(costly) + "." if costly else
        f"No change cost {100 * SETTLED:.0f} points or more there.")
    if unread:
        seeds = " and ".join(map(str, selection.get("seeds", [0])))
        text += f" Not read by the rule, which needs seeds {seeds}: " + "; ".join(unread) + "."
    return text


def _default_finding(summary: dict) -> str:
    """The default model: what the rule chose on the early-stopping actors, and its test score."""
    final = summary["final"]
    fusion, default = final["fusion"], final["default"]
    test, w = fusion["test"], default["weight"]
    by_weight = {float(k): a for k, a in fusion["val_accuracy_by_weight"].items()}
    deep = _deep_name(default.get("deep_seeds", [0]))
    against = {"baseline": (fusion.get("minus_baseline"), "the baseline alone"),
               "deep": (fusion.get("minus_deep"), f"{deep} alone")}
    if w == 0:
        lead = "**The default model is the classical baseline alone.**"
        del against["baseline"]
    elif w == 1:
        lead = f"**The default model is {deep} alone.**"
        del against["deep"]
    else:
        d = against["baseline"][0]
        verdict = _verdict(d["difference"], d["ci95"]) if d else "level"
        lead = ("**The default model is a fusion, " + {
            "above": "and it beats the baseline.**", "below": "and it falls behind the "
            "baseline.**", "level": "level with the baseline.**"}[verdict])
    inner = {k: a for k, a in by_weight.items() if 0 < k < 1}
    middle = max(inner, key=inner.get) if inner else None
    text = (f"{lead} On the early-stopping actors, the baseline alone scored "
            f"{percent(by_weight.get(0.0))}, {deep} alone {percent(by_weight.get(1.0))}"
            + (f" and the best fusion (weight {middle:g} on the deep model) "
               f"{percent(inner[middle])}" if middle is not None else "")
            + f", so the rule chose weight {w:g}. On the test actors it scores "
            f"**{percent(test['accuracy'])}** (95% CI by actor "
            f"{interval(test['accuracy_ci95_by_actor'])})")
    compared = [f"{_paired(d)} over {what} on the same clips" for d, what in against.values() if d]
    if compared:
        text += ", " + " and ".join(compared)
    clips = test["n"] // test["actors"]
    low, high = test["accuracy_ci95_by_actor"]
    text += (f", with each test actor's statistics from all {clips} of their unlabelled clips "
             "(notebook 09, section 6: fewer clips, lower). The point estimate "
             + (f"meets the target of {UNSEEN_TARGET:.0%} on unseen speakers"
                + (", and so does its whole interval" if low >= UNSEEN_TARGET else
                   "; its interval by actor reaches below it")
                if test["accuracy"] >= UNSEEN_TARGET else
                f"falls short of the target of {UNSEEN_TARGET:.0%} on unseen speakers")
             + f"; the goal of {UNSEEN_GOAL:.0%} "
             + ("is met." if test["accuracy"] >= UNSEEN_GOAL else
                "is inside its interval, not met." if high >= UNSEEN_GOAL else "is not met."))
    if "single_clip" in final:
        s = final["single_clip"]
        text += (f" One clip at a time, with no speaker to adapt to, `predict` uses `{s['recipe']}`"
                 f" and scores {percent(s['test']['accuracy'])} (95% CI by actor "
                 f"{interval(s['test']['accuracy_ci95_by_actor'])}).")
    return text


def _bc_ac_finding(final: dict) -> str:
    """BC − AC of the final recipe's seeds and of the baseline, beside Hosain et al.'s."""
    reported = config.get_config().reported
    hosain = reported.hosain_bc_accuracy - reported.hosain_ac_accuracy
    seeds = sorted(final["bc_minus_ac_final"].items(), key=lambda kv: int(kv[0]))
    words = {"above": "BC better", "below": "BC worse", "level": "level"}
    per_seed = "; ".join(f"{_paired(d)} with seed {s} "
                         f"({words[_verdict(d['difference'], d['ci95'])]})" for s, d in seeds)
    text = (f"**BC against AC.** Hosain et al. report BC {_points(abs(hosain))[1:]} points "
            f"{'above' if hosain > 0 else 'below'} AC (one split, no interval). Under the final "
            f"deep recipe (every fold, the same clips), BC − AC is {per_seed}")
    if len(seeds) == 1:
        text += ", one seed only"
    else:
        signs = {d["difference"] > 0 for _, d in seeds}
        text += "; the seeds agree in sign" if len(signs) == 1 else "; the seeds disagree in sign"
    if final.get("recipe", {}).get("name") != "paper":  # else the same runs as just above
        for s, d in sorted(final.get("bc_minus_ac_paper", {}).items(), key=lambda kv: int(kv[0])):
            text += f". The paper's recipe, seed {s}: {_paired(d)}"
    if "bc_minus_ac_baseline" in final:
        text += f". The classical baseline: {_paired(final['bc_minus_ac_baseline'])}"
    return text + (". A fixed filter is an offset per mel band, and per-band standardisation "
                   "removes nearly all of it (notebook 09, section 4).")


def _next_finding(summary: dict) -> str:
    """What would help next, with the one measured hint: the ensembles' gain over one seed."""
    recipes = summary["recipes"]
    with_seeds = [r for r in recipes.values() if "ensemble" in r]
    gains = [r["ensemble"]["test"]["accuracy"] - a for r in with_seeds for _, a in _seed_tests(r)]
    n = max((len(r["seeds"]) for r in with_seeds), default=0)
    seeds = (f" (the mean of {_count(n, 'seed')}' models gained {_points(min(gains))} to "
             f"{_points(max(gains))} points over one seed's model on the test actors)"
             if gains else "")
    return (f"**What would help next.** Untested here: more seeds in the ensemble{seeds}, a "
            "60 dB log floor (notebook 09, section 2), a pre-trained speech encoder (the "
            "published anchors with frozen self-supervised encoders reach 70–75% on "
            "actor-disjoint folds), and more speakers.")


def adaptation_finding(summary: dict) -> str:
    """How many of a speaker's clips ``predict --same-speaker`` needs, in one sentence from the
    study's adaptation curve: which models were measured, the fewest clips against all of them,
    and from how many clips on the curve stays within 1 point of all.

    Parameters
    ----------
    summary : dict
        Notebook 09's study, with "final" → "adaptation" (rows of clips, all, draw, accuracy).

    Returns
    -------
    str
        One sentence, or a line saying the curve is not in the file.

    Examples
    --------
    >>> rows = [{"clips": 4, "all": False, "draw": 0, "accuracy": 0.40},
    ...         {"clips": 16, "all": False, "draw": 0, "accuracy": 0.495},
    ...         {"clips": 60, "all": True, "draw": 0, "accuracy": 0.50}]
    >>> print(adaptation_finding({"final": {"adaptation": rows, "adaptation_recipe": "r"}}))
    With statistics from 4 clips of each test speaker, seed 0's fold models of `r` (the deep
    model alone, without the baseline) got 40.0% right (40.0–40.0% over the draws), with all
    60 of them 50.0%: 10.0 points more; from 16 clips on, the curve stays within 1 point of all.
    """
    rows = summary.get("final", {}).get("adaptation")
    curve = pd.DataFrame(rows or [])
    if curve.empty or not curve["all"].any():
        return "The adaptation curve is not in this file."
    mark = stale_mark(summary) if "date" in summary or "provenance" in summary else None
    draws = curve[~curve["all"]].groupby("clips")["accuracy"]
    means, lows, highs = draws.mean(), draws.min(), draws.max()
    every = curve[curve["all"]].iloc[0]
    fewest = means.index.min()
    close = [k for k in means.index  # from k on, every larger k is close too
             if all(every["accuracy"] - means[j] < 0.01 for j in means.index if j >= k)]
    recipe = summary["final"].get("adaptation_recipe", "the speaker-normalised recipe")
    return (f"With statistics from {fewest} clips of each test speaker, seed 0's fold models of "
            f"`{recipe}` (the deep model alone, without the baseline) got "
            f"{percent(means[fewest])} right ({100 * lows[fewest]:.1f}–{percent(highs[fewest])} "
            f"over the draws), with all {int(every['clips'])} of them "
            f"{percent(every['accuracy'])}: {100 * (every['accuracy'] - means[fewest]):.1f} "
            "points more; "
            + (f"from {min(close)} clips on, the curve stays within 1 point of all" if close else
               "no number of clips short of all came within 1 point of all")
            + (f" (*{mark}*)." if mark else "."))


# --- the pages that quote the study ----------------------------------------------------------

def moved_sentence(old: dict, new: dict) -> str:
    """README's one sentence on what moved since the study ``new`` replaces: the default and the
    one-clip model, each with the change and whether it lies inside the old 95% CI by actor.

    Parameters
    ----------
    old, new : dict
        The replaced study and the current one.

    Returns
    -------
    str

    Examples
    --------
    >>> from bcser_utils.config import REPO_ROOT
    >>> from bcser_utils.present import report
    >>> study = report.load_summary(REPO_ROOT / "results" / "generalize-full.json")
    >>> "(0.0 points, inside the old 95% CI by actor" in moved_sentence(study, study)
    True
    """
    wanted = {"**`predict --same-speaker`'s default**": "`predict --same-speaker`'s default",
              "`predict`, one clip at a time": "one clip at a time"}
    parts = []
    for what, a, b in _headline_pairs(old, new):
        if what in wanted:
            change = b["accuracy"] - a["accuracy"]
            low, high = a["accuracy_ci95_by_actor"]
            inside = "inside" if low <= b["accuracy"] <= high else "outside"
            moved = _change(change)
            parts.append(f"{wanted[what]} from {percent(a['accuracy'])} to "
                         f"{percent(b['accuracy'])} ({moved} points, {inside} the old 95% CI by "
                         f"actor, {interval((low, high))})")
    return (f"Notebook 09's study was remade on {new['date']} from today's code (the first one, "
            f"of {old['date']}, predates provenance stamps): it moved " + " and ".join(parts)
            + ". Every number then and now is in [results/README.md](results/README.md"
            "#what-moved-since-the-first-study).")


def render_readme(text: str, summary: dict, old: dict | None = None) -> str:
    """README.md's text with its two notebook-09 rows replaced by ``headline_rows(summary)``, and
    with ``old`` (the study it replaces) ``moved_sentence`` between ``MOVED_MARKS``.

    Parameters
    ----------
    text : str
        README.md as it is.
    summary : dict
        Notebook 09's study.
    old : dict, optional
        The study it replaces (``results/history/``).

    Returns
    -------
    str

    Examples
    --------
    >>> from bcser_utils.config import REPO_ROOT
    >>> from bcser_utils.present import report
    >>> readme = (REPO_ROOT / "README.md").read_text()
    >>> study = report.load_summary(REPO_ROOT / "results" / "generalize-full.json")
    >>> first = report.load_summary(REPO_ROOT / "results" / "history" /
    ...                             "generalize-full-2026-11-30.json")
    >>> render_readme(readme, study, first) == readme  # the committed page is up to date
    True
    """
    lines = text.split("\n")
    at = [i for i, line in enumerate(lines) if line.startswith(HEADLINE_START)]
    if len(at) != 2 or at[1] != at[0] + 1:
        raise ValueError(f"README.md: expected two adjacent rows starting {HEADLINE_START!r}")
    text = "\n".join([*lines[:at[0]], generalize_tables.headline_rows(summary),
                      *lines[at[1] + 1:]])
    if MOVED_MARKS[0] in text:
        text = between(text, MOVED_MARKS, moved_sentence(old, summary) if old else "")
    return text


def render_results_readme(text: str, summary: dict, old: dict | None = None) -> str:
    """results/README.md's text with notebook 09's table and findings (between their
    ``TABLE_MARKS`` and ``FINDINGS_MARKS``) rendered from ``summary``, and what moved since
    ``old`` (``moved_rows``, between ``MOVED_MARKS``; emptied without one).

    Parameters
    ----------
    text : str
        results/README.md as it is.
    summary : dict
        Notebook 09's study.
    old : dict, optional
        The study it replaces (``results/history/``).

    Returns
    -------
    str

    Examples
    --------
    >>> page = "a\\n<!-- generalize-full table -->\\nold\\n<!-- /generalize-full table -->\\nb"
    >>> between(page, TABLE_MARKS, "new")
    'a\\n<!-- generalize-full table -->\\nnew\\n<!-- /generalize-full table -->\\nb'
    """
    text = between(text, TABLE_MARKS, generalize_tables.generalize_readme_table(summary))
    text = between(text, FINDINGS_MARKS, findings(summary))
    moved = ""
    if old is not None:
        moved = (f"Test actors, pooled over the 5 P3 folds: the study of {old['date']} "
                 f"(`results/history/`) against this one of {summary['date']}. Both score the "
                 "same 20 actors, so the interval by actor is not the spread of a rerun: a "
                 "second seed alone moves a recipe by several points (the findings above).\n\n"
                 + _markdown(moved_rows(old, summary)))
    return between(text, MOVED_MARKS, moved)


def _markdown(table: pd.DataFrame) -> str:
    """A table as Markdown, its index first (pandas' ``to_markdown`` needs tabulate, which the
    package does not install)."""
    head = [table.index.name or "", *table.columns]
    rows = [[str(i), *map(str, row)] for i, row in zip(table.index, table.to_numpy(), strict=True)]
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
                      *("| " + " | ".join(row) + " |" for row in rows)])


def between(text: str, marks: tuple[str, str], inside: str) -> str:
    """``text`` with what lies between the two ``marks`` lines replaced by ``inside``."""
    start, end = marks
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"expected one {start} … {end} block")
    head, rest = text.split(start + "\n", 1)
    return f"{head}{start}\n{inside + chr(10) if inside else ''}{end}{rest.split(end, 1)[1]}"


def moved_rows(old: dict, new: dict) -> pd.DataFrame:
    """What moved between two versions of the study (``old``, ``new``: summaries): each headline
    accuracy on the test actors, pooled over the P3 folds, with its interval by actor, the change
    in points, and whether the new value lies inside the old one's 95% interval by actor.

    Parameters
    ----------
    old, new : dict
        Two summaries of notebook 09's study (``results/generalize-full.json`` then and now).

    Returns
    -------
    pandas.DataFrame
        One row per number both summaries hold, indexed by what it is.

    Examples
    --------
    >>> from bcser_utils.config import REPO_ROOT
    >>> from bcser_utils.present import report
    >>> study = report.load_summary(REPO_ROOT / "results" / "generalize-full.json")
    >>> table = moved_rows(study, study)
    >>> sorted(set(table["change (points)"])), sorted(set(table[INSIDE]))
    (['0.0'], ['yes'])
    """
    rows = []
    for what, a, b in _headline_pairs(old, new):
        ci, change = a.get("accuracy_ci95_by_actor"), b["accuracy"] - a["accuracy"]
        rows.append({"what": what,
                     "old": f"{percent(a['accuracy'])} ({interval(ci)})",
                     "new": f"{percent(b['accuracy'])} "
                            f"({interval(b.get('accuracy_ci95_by_actor'))})",
                     "change (points)": _change(change),
                     INSIDE: "yes" if ci and ci[0] <= b["accuracy"] <= ci[1] else "no"})
    return pd.DataFrame(rows).set_index("what")


INSIDE = "inside the old 95% CI by actor"


def _headline_pairs(old: dict, new: dict):
    """(what, old score, new score) for each headline number both studies hold."""
    def pick(summary, path):
        value = summary
        for key in path:  # a seed's key is a number or its text, as the file came back
            value = value.get(key, value.get(str(key))) if isinstance(value, dict) else None
        return value if isinstance(value, dict) and "accuracy" in value else None

    baseline = (old.get("final", {}).get("fusion", {}).get("baseline")
                or "bc-svm-speaker-v1-P2-P3")
    _, classifier, norm = baseline.split("-")[:3]
    label = (f"classical baseline (eGeMAPS + {BASELINE_LABELS[classifier].split(' (')[0]}, "
             f"{'each speaker standardised' if norm == 'speaker' else 'global'})")
    paths = {label: ("baselines", baseline, "P3", "test")}
    for seed in (0, 1):
        paths[f"the paper's recipe, seed {seed}"] = ("recipes", "paper", "test", seed)
    same_final = old.get("final", {}).get("recipe", {}).get("name") == \
        new.get("final", {}).get("recipe", {}).get("name")
    if same_final:
        for seed in (0, 1):
            paths[f"the final recipe, seed {seed}"] = ("final", "bc", "test", seed)
    paths |= {"the deep model that ships (alone)": ("final", "fusion", "deep_test"),
              "**`predict --same-speaker`'s default**": ("final", "fusion", "test"),
              "`predict`, one clip at a time": ("final", "single_clip", "test")}
    for what, path in paths.items():
        a, b = pick(old, path), pick(new, path)
        if a and b:
            yield what, a, b
