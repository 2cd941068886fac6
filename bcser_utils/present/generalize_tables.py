"""Notebook 09's results rendered for people: the baselines, the ablation, the final model and
the README rows.

Every function reads the study's summary (``generalize.summarize`` with ``final_model.summarize``
under "final"; committed as ``results/generalize-full.json``, read with ``report.load_summary``)
and returns a pandas DataFrame or Markdown; nothing here computes a number that is not already in
the summary (or, for the paper's and Hosain et al.'s values, in the config). The default model's
card is ``cards.default_card``.

Notebook: 09_towards_unseen_speakers.
"""

from __future__ import annotations

import pandas as pd

from bcser_utils import config
from bcser_utils.present.formatting import interval, percent
from bcser_utils.present.staleness import readme_table, stale_lines, stale_mark

BASELINE_LABELS = {"logreg": "logistic regression", "svm": "SVM (RBF)"}
_POOLED = "P3, 5 folds pooled (test actors), seed 0"  # the README's "made with" of seed 0's folds


def baseline_rows(summary: dict) -> pd.DataFrame:
    """One row per baseline and protocol: accuracy with its interval by actor."""
    rows = []
    for key, protocols in summary["baselines"].items():
        signal, classifier, norm = key.split("-")[:3]
        for protocol, sides in protocols.items():
            side = sides.get("test") or sides["val"]
            ci = side.get("accuracy_ci95_by_actor") or (side["accuracy"], side["accuracy"])
            rows.append({
                "label": f"{signal.upper()} · {BASELINE_LABELS[classifier]} · {norm} · {protocol}",
                "signal": signal, "classifier": classifier, "standardised": norm,
                "protocol": protocol, "evaluated on": "test actors" if "test" in sides
                else "validation clips", "accuracy": side["accuracy"], "low": ci[0],
                "high": ci[1], "balanced accuracy": side["balanced_accuracy"],
                "macro-F1": side["macro_f1"]})
    return pd.DataFrame(rows).sort_values(["protocol", "signal", "classifier", "standardised"],
                                          ignore_index=True)


def ablation_table(summary: dict) -> pd.DataFrame:
    """One row per recipe: the gain on the early-stopping actors the selection read (over its
    seeds), the mean gain over every seed the recipe has, then the test accuracy per seed, the
    gain over the paper's recipe on the test actors (paired, with its interval by actor, seed 0)
    and the ensemble of the seeds."""
    chosen = set(summary["selection"]["chosen"])
    read, seeds_read = (summary["selection"].get(k) for k in ("val_gains", "seeds"))
    rule_column = f"val gain the rule read (seeds {', '.join(map(str, seeds_read or []))})"
    rows = []
    for name, r in summary["recipes"].items():
        seeds = sorted(r["test"])
        paired = r.get("vs_paper", {}).get(seeds[0], {}).get("test") if seeds else None
        rows.append({
            "recipe": name, "knob": r["knob"], "seeds": len(seeds),
            **({rule_column: percent(read.get(name)) if name != "paper" else "—"}
               if read is not None else {}),
            "chosen": "✓" if name in chosen else "",
            "val gain, mean of all seeds": percent(r.get("val_gain")) if name != "paper" else "—",
            "test accuracy per seed": ", ".join(percent(r["test"][s]["accuracy"]) for s in seeds),
            "test gain, seed 0 (95% CI by actor)": "—" if paired is None else
                f"{100 * paired['difference']:+.1f} ({100 * paired['ci95'][0]:+.1f} to "
                f"{100 * paired['ci95'][1]:+.1f})",
            "ensemble of the seeds": percent(r.get("ensemble", {}).get("test", {})
                                              .get("accuracy"))})
    return pd.DataFrame(rows).set_index("recipe")


def reference_lines(summary: dict) -> dict[str, float]:
    """The accuracies the ablation figure marks: the best classical baseline on P3's test
    actors, and the default model (the fusion) once the final recipe is in."""
    rows = baseline_rows(summary)
    p3 = rows[(rows.protocol == "P3") & (rows.signal == "bc")]
    if not len(p3):
        return {}
    best = p3.loc[p3.accuracy.idxmax()]
    lines = {f"eGeMAPS + {BASELINE_LABELS[best.classifier]}, {best.standardised} standardised "
             "(the classical baseline)": float(best.accuracy)}
    fusion = summary.get("final", {}).get("fusion")
    if fusion:
        lines[f"the default: deep + baseline fused, weight {fusion['weight']:g}"] = \
            float(fusion["test"]["accuracy"])
    return lines


def final_table(summary: dict) -> pd.DataFrame:
    """The final recipe on BC and AC against the paper's, BC − AC, the ensemble and the fusion,
    as rows of (what, number, interval)."""
    final = summary.get("final")
    if not final:
        return pd.DataFrame({"what": ["the final recipe has not been trained yet"]})
    rows = _final_recipe_rows(final)
    for name in ("paper", "final"):
        for seed, d in sorted(final.get(f"bc_minus_ac_{name}", {}).items(),
                              key=lambda kv: int(kv[0])):
            rows.append((f"BC − AC, {name} recipe, seed {seed} (same clips)",
                         f"{100 * d['difference']:+.1f} points",
                         f"{100 * d['ci95'][0]:+.1f} to {100 * d['ci95'][1]:+.1f}"))
    if "bc_minus_ac_baseline" in final:
        d = final["bc_minus_ac_baseline"]
        rows.append((f"BC − AC, classical baseline {d['baseline']} (same clips)",
                     f"{100 * d['difference']:+.1f} points",
                     f"{100 * d['ci95'][0]:+.1f} to {100 * d['ci95'][1]:+.1f}"))
    if "single_clip" in final:
        s = final["single_clip"]
        rows.append((f"one clip at a time (no speaker statistics): {s['recipe']}, chosen on the "
                     "early-stopping actors", percent(s["test"]["accuracy"]),
                     interval(s["test"]["accuracy_ci95_by_actor"])))
    if "fusion" in final:
        f = final["fusion"]
        rows.append((f"fusion with {f['baseline']}, weight {f['weight']:g} (chosen on the "
                     "early-stopping actors)", percent(f["test"]["accuracy"]),
                     interval(f["test"]["accuracy_ci95_by_actor"])))
        for other in ("baseline", "deep"):
            d = f.get(f"minus_{other}")
            if d:
                rows.append((f"fusion − {other} alone (same clips)",
                             f"{100 * d['difference']:+.1f} points",
                             f"{100 * d['ci95'][0]:+.1f} to {100 * d['ci95'][1]:+.1f}"))
    if not rows:
        return pd.DataFrame({"what": [f"the final recipe ({final['recipe']['name']}) has not "
                                      "finished in this file"]})
    return pd.DataFrame(rows, columns=["what", "test", "95% CI (by actor)"]).set_index("what")


def _final_recipe_rows(final: dict) -> list[tuple]:
    """The final recipe's test accuracy on BC and AC: each seed, then their ensemble."""
    rows = []
    for signal in ("bc", "ac"):
        if signal not in final:
            continue
        r = final[signal]
        for seed, s in sorted(r["test"].items(), key=lambda kv: int(kv[0])):
            rows.append((f"final recipe, {signal.upper()}, seed {seed}: test accuracy",
                         percent(s["accuracy"]), interval(s["accuracy_ci95_by_actor"])))
        if "ensemble" in r:
            s = r["ensemble"]["test"]
            rows.append((f"final recipe, {signal.upper()}, ensemble of the seeds",
                         percent(s["accuracy"]), interval(s["accuracy_ci95_by_actor"])))
    return rows


def deep_models(final: dict) -> str:
    """Which fold models stand for the deep model that ships: one seed's, or the mean of
    several seeds' (the ensemble, kept if it paid on the early-stopping actors)."""
    seeds = final.get("default", {}).get("deep_seeds", [0])
    if len(seeds) == 1:
        return f"seed {seeds[0]}'s fold models"
    return f"the fold models of {seed_list(seeds)}, averaged (an ensemble)"


def seed_list(seeds) -> str:
    """[0] → "seed 0"; [0, 1] → "seeds 0 and 1"."""
    return f"seed{'s' if len(seeds) > 1 else ''} " + " and ".join(map(str, seeds))


def generalize_readme_table(summary: dict) -> str:
    """The README's table of notebook 09's results (Markdown), made from the summary so that the
    two cannot disagree (a test checks results/README.md holds exactly these lines)."""
    where = f"{summary['mode']} · `{summary['command']}` · {summary['date']}"
    rows = [*_baseline_readme_rows(summary, where)]
    text, seeds = _by_seed(summary["recipes"]["paper"]["test"])
    rows.append(("deep model, the paper's recipe (strided model)", "—", text,
                 f"{seeds} · BC · {where}"))
    final = summary.get("final")
    if final and "fusion" in final:
        rows += [*_final_readme_rows(final, where), *_bc_minus_ac_readme_rows(final, where)]
    return readme_table(summary, rows)


def headline_rows(summary: dict) -> str:
    """The README's two headline rows of notebook 09 (Markdown table rows, no header): the
    classical baseline and ``predict --same-speaker``'s default, both pooled over the 5 P3 folds,
    made from the summary so that the front page cannot disagree with it (tests/test_repository.py
    checks README.md holds exactly these lines).

    Parameters
    ----------
    summary : dict
        Notebook 09's study (``results/generalize-full.json``), with its "final" part.

    Returns
    -------
    str
        Two lines, each marked (``staleness.stale_mark``) while other code than today's made it.

    Examples
    --------
    >>> from bcser_utils.config import REPO_ROOT
    >>> from bcser_utils.present import report
    >>> rows = headline_rows(report.load_summary(REPO_ROOT / "results" / "generalize-full.json"))
    >>> [row.split(":")[0] for row in rows.splitlines()]
    ['| test accuracy, P3, all 5 folds pooled', '| test accuracy, P3, all 5 folds pooled']
    """
    final = summary["final"]
    fusion, chosen = final["fusion"], final["default"]
    where = f"P3 · {summary['mode']} · `{summary['command']}` (notebook 09) · {summary['date']}"
    baseline = _accuracy(fusion["baseline_test"])
    paper = " and ".join(f"{percent(s['accuracy'])} (seed {seed})"
                      for seed, s in sorted(summary["recipes"]["paper"]["test"].items(),
                                            key=lambda item: int(item[0])))
    if chosen["model"] == "fusion":
        seeds = chosen.get("deep_seeds", [0])
        deep = "the deep ensemble" if len(seeds) > 1 else "the deep model"
        what = (f"`predict`'s default model (`--same-speaker`: {_count_words(len(seeds))} "
                f"deep model{'s' if len(seeds) > 1 else ''} + baseline fused)")
        d = fusion["minus_baseline"]
        ours = (f"{_accuracy(fusion['test'], bold=True).rsplit(', ', 1)[0]}, "
                f"{100 * d['difference']:+.1f} points over the baseline on the same clips "
                f"(95% CI {100 * d['ci95'][0]:+.1f} to {100 * d['ci95'][1]:+.1f}); {deep} alone "
                f"{percent(fusion['deep_test']['accuracy'])}, the paper's recipe {paper}")
    else:  # the early-stopping actors chose one model alone
        what = f"`predict`'s default model (`--same-speaker`: the {chosen['model']})"
        ours = f"{_accuracy(fusion['test'], bold=True).rsplit(', ', 1)[0]}; the paper's recipe " \
               f"{paper}"
    _, classifier, norm = fusion["baseline"].split("-")[:3]
    label = f"the classical baseline (eGeMAPS + {BASELINE_LABELS[classifier].split(' (')[0]}, " \
            f"{'each speaker standardised' if norm == 'speaker' else 'global standardisation'})"
    rows = [(f"test accuracy, P3, all 5 folds pooled: {label}", "—", baseline, where),
            (f"test accuracy, P3, all 5 folds pooled: {what}", "—", ours, "same")]
    return readme_table(summary, rows).split("\n", 2 + len(stale_lines(summary)))[-1]


def _count_words(n: int) -> str:
    """2 → "two seeds'"; 1 → "one seed's"."""
    words = {1: "one", 2: "two", 3: "three", 4: "four"}.get(n, str(n))
    return f"{words} seed{'s' if n > 1 else ''}{chr(39)}"


def _accuracy(s: dict, bold: bool = False) -> str:
    """An accuracy with its interval by actor and its number of clips."""
    text = percent(s["accuracy"])
    return (f"**{text}**" if bold else text) + \
        f" (95% CI by actor {interval(s['accuracy_ci95_by_actor'])}), {s['n']:,} clips"


def _by_seed(tests: dict) -> tuple[str, str]:
    """A deep recipe's accuracy for every seed it was trained with, and its "made with" cell."""
    seeds = sorted(tests, key=int)
    text = "; ".join(f"seed {seed}: {percent(tests[seed]['accuracy'])} (95% CI by actor "
                     f"{interval(tests[seed]['accuracy_ci95_by_actor'])})" for seed in seeds)
    made = f"P3, 5 folds pooled (test actors), {seed_list(seeds)}"
    return f"{text}, {tests[seeds[0]]['n']:,} clips", made


def _baseline_readme_rows(summary: dict, where: str) -> list[tuple]:
    """The classical baselines on BC, each classifier globally and per speaker standardised."""
    rows = []
    for key in ("bc-logreg-global", "bc-logreg-speaker", "bc-svm-global", "bc-svm-speaker"):
        tables = [t for name, t in summary["baselines"].items() if name.startswith(key + "-")]
        if tables:
            _, classifier, norm = key.split("-")
            rows.append((f"classical baseline: eGeMAPS + {BASELINE_LABELS[classifier]}, "
                         f"{'each speaker standardised' if norm == 'speaker' else 'global'}",
                         "—", _accuracy(tables[0]["P3"]["test"]), f"{_POOLED} · BC · {where}"))
    return rows


def _final_readme_rows(final: dict, where: str) -> list[tuple]:
    """The chosen deep recipe, ``predict --same-speaker``'s default and the one-clip model."""
    name = final["recipe"]["name"]
    text, seeds = _by_seed(final["bc"]["test"])
    f, chosen = final["fusion"], final["default"]
    shipped = chosen.get("deep_seeds", [0])
    if len(shipped) > 1:  # the ensemble shipped: its own number beside each seed's
        text = text.replace(", 1,", f"; the mean of the {len(shipped)} seeds' models: "
                            f"{percent(f['deep_test']['accuracy'])} (95% CI by actor "
                            f"{interval(f['deep_test']['accuracy_ci95_by_actor'])}), 1,", 1)
    s = final["single_clip"]
    return [
        (f"deep model, the chosen recipe ({final['recipe']['description']})", "—",
         text, f"{seeds} · BC · {where}"),
        (f"**`predict --same-speaker`'s default**: the {chosen['model']}, weight "
         f"{chosen['weight']:g} on the deep model ({name}, {deep_models(final)}, as "
         f"the shipped refits) and {1 - chosen['weight']:g} on {f['baseline']}, "
         "chosen on the early-stopping actors", "—", _accuracy(f["test"], bold=True),
         f"{_POOLED.replace('seed 0', seed_list(shipped))} · BC · {where}"),
        (f"`predict` one clip at a time (no speaker statistics): the {s['recipe']} "
         "recipe, chosen on the early-stopping actors", "—", _accuracy(s["test"]),
         f"{_POOLED.replace('seed 0', seed_list(s.get('seeds', [0])))} · BC · "
         f"{where}")]


def _bc_minus_ac_readme_rows(final: dict, where: str) -> list[tuple]:
    """BC − AC, paired, of the chosen deep recipe's seeds and of the baseline, beside Hosain's."""
    paired = [(f"the chosen deep recipe, seed {seed}", d, seed_list([seed]))
              for seed, d in final.get("bc_minus_ac_final", {}).items()]
    if "bc_minus_ac_baseline" in final:
        d = final["bc_minus_ac_baseline"]
        paired.append((f"classical baseline ({d['baseline']})", d, "seed 0"))
    reported = config.get_config().reported
    hosain = reported.hosain_bc_accuracy - reported.hosain_ac_accuracy
    return [(f"BC − AC, {what}, paired on the same clips",
             f"{100 * hosain:+.1f} points (Hosain et al.)",
             f"{100 * d['difference']:+.1f} points (95% CI by actor "
             f"{100 * d['ci95'][0]:+.1f} to {100 * d['ci95'][1]:+.1f})",
             f"{_POOLED.replace('seed 0', seeds)} · {where}") for what, d, seeds in paired]


# --- notebook 09's conclusions, written from the numbers --------------------------------------

UNSEEN_TARGET = 0.60  # docs/design.md, Targets: predict --same-speaker's default, pooled P3 test
UNSEEN_GOAL = 0.70    # the same page's goal for it
_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}
SETTLED = 0.03        # a difference under 3 points of two seeds on 20 actors reads as unsettled


def findings(summary: dict) -> str:
    """Section 7 of notebook 09 (Markdown bullets): what the study means for the paper's claims,
    every number and every judgement in it ("beat", "level with", "worse") decided here from the
    summary, so that the prose cannot contradict the file it quotes.

    Parameters
    ----------
    summary : dict
        Notebook 09's study (``results/generalize-full.json``).

    Returns
    -------
    str
        Markdown: a line on the seeds, then one bullet per finding.

    Examples
    --------
    >>> from bcser_utils.config import REPO_ROOT
    >>> from bcser_utils.present import report
    >>> text = findings(report.load_summary(REPO_ROOT / "results" / "generalize-full.json"))
    >>> sum(line.startswith("* **") for line in text.splitlines())
    7
    """
    final = summary.get("final", {})
    parts = [_baseline_finding(summary), _seeds_finding(summary), _ensemble_finding(summary),
             _matters_finding(summary)]
    if "fusion" in final:
        parts.append(_default_finding(summary))
    if final.get("bc_minus_ac_final"):
        parts.append(_bc_ac_finding(final))
    parts.append(_next_finding(summary))
    mark = stale_mark(summary)  # while other code than today's made the file, every bullet says so
    if mark:
        parts = [part.replace(".** ", f".** (*{mark}*) ", 1) for part in parts]
    return "\n".join([_seeds_line(summary), ""] + [f"* {part}" for part in parts])


def _points(d: float) -> str:
    """0.034 → "+3.4"; -0.034 → "−3.4" (a minus sign, not a hyphen)."""
    return f"{100 * d:+.1f}".replace("-", "−")


def _paired(d: dict) -> str:
    """A paired difference with its interval: "+5.3 points (95% CI by actor +3.2 to +7.5)"."""
    return f"{_points(d['difference'])} points (95% CI by actor {_points(d['ci95'][0])} to " \
           f"{_points(d['ci95'][1])})"


def _sign_word(d: dict, better: str, worse: str, level: str) -> str:
    """Which side of zero a paired interval lies on: ``better``, ``worse``, or ``level``."""
    low, high = d["ci95"]
    return better if low > 0 else worse if high < 0 else level


def _at(by_seed: dict, seed):
    """``by_seed[seed]`` whether the file's keys came back as numbers or as text."""
    return by_seed[seed] if seed in by_seed else by_seed[str(seed)]


def _seed_tests(r: dict) -> list[tuple[int, float]]:
    """(seed, test accuracy) of a recipe's seeds, in seed order."""
    return sorted(((int(s), v["accuracy"]) for s, v in r["test"].items()))


def _seeds_line(summary: dict) -> str:
    recipes = summary["recipes"]
    two = [name for name, r in recipes.items() if len(r["seeds"]) > 1]
    return (f"*({len(recipes)} recipes with seed 0, {len(two)} of them also with seed 1, 20 "
            "actors, models trained on two CPU cores: read every difference under "
            f"{100 * SETTLED:.0f} points as unsettled."
            + (f" Not run, for lack of time: {', '.join(f'`{n}`' for n in summary['not_run'])}."
               if summary.get("not_run") else "") + ")*")


def _baseline_finding(summary: dict) -> str:
    """The best classical baseline against every deep model alone."""
    final, recipes = summary.get("final", {}), summary["recipes"]
    name = final.get("fusion", {}).get("baseline") or "bc-svm-speaker-v1-P2-P3"
    best = summary["baselines"][name]["P3"]["test"]
    glob = summary["baselines"].get(name.replace("-speaker-", "-global-"), {}).get("P3", {})
    deep = {f"`{r}` seed {s}": a for r, v in recipes.items() for s, a in _seed_tests(v)}
    deep |= {f"the mean of `{r}`'s seeds' models": v["ensemble"]["test"]["accuracy"]
             for r, v in recipes.items() if "ensemble" in v}
    if "bc" in final:
        deep |= {f"the final recipe, seed {s}": a for s, a in _seed_tests(final["bc"])}
        if "ensemble" in final["bc"]:
            deep["the mean of the final recipe's seeds' models"] = \
                final["bc"]["ensemble"]["test"]["accuracy"]
    top = max(deep, key=deep.get)
    _, classifier, norm = name.split("-")[:3]
    lead = ("**The classical baseline is the number to beat, and no deep model beat it alone.**"
            if deep[top] <= best["accuracy"] else
            f"**The classical baseline is the number to beat; {top} beat it alone, by "
            f"{100 * (deep[top] - best['accuracy']):.1f} points.**")
    paper = " and ".join(f"{percent(a)} with seed {s}" for s, a in _seed_tests(recipes["paper"]))
    text = (f"{lead} eGeMAPS functionals, {'each speaker' if norm == 'speaker' else 'globally'} "
            f"standardised, and scikit-learn's {BASELINE_LABELS[classifier]}: "
            f"{percent(best['accuracy'])} on actors never heard (95% CI by actor "
            f"{interval(best['accuracy_ci95_by_actor'])})")
    if glob.get("test") and norm == "speaker":
        text += f"; with global standardisation {percent(glob['test']['accuracy'])}"
    text += f". The paper's network with the paper's recipe: {paper}"
    if "bc" in final:
        chosen = " and ".join(percent(a) for _, a in _seed_tests(final["bc"]))
        text += f"; the recipe the rule chose, {chosen}"
        if "ensemble" in final["bc"]:
            ensemble = final["bc"]["ensemble"]["test"]["accuracy"]
            text += f"; the mean of those models, {percent(ensemble)}"
    return text + f". The best deep model alone: {top}, {percent(deep[top])}."


def _seeds_finding(summary: dict) -> str:
    """Each seed's gains on the early-stopping actors, what the rule chose, and the combination."""
    recipes, selection = summary["recipes"], summary["selection"]
    seeds = [int(s) for s in selection.get("seeds", [0])]
    both = [n for n, r in recipes.items()
            if n != "paper" and set(seeds) <= {int(s) for s in r["vs_paper"]}]

    def gain(name, seed):
        return _at(recipes[name]["vs_paper"], seed)["val"]["difference"]

    by_seed = "; ".join(f"seed {s} gave " + ", ".join(f"`{n}` {_points(gain(n, s))}" for n in both)
                        for s in seeds)
    spread = max((abs(gain(n, a) - gain(n, b)) for n in both for a in seeds for b in seeds),
                 default=0.0)
    gains = selection["val_gains"]
    chosen = selection["chosen"]
    lead = ("**One seed says little.**" if spread >= SETTLED else
            "**The seeds agree within a few points.**")
    text = (f"{lead} On the early-stopping actors (points over the paper's recipe with the same "
            f"seed) {by_seed}: one change's gain moved by up to {100 * spread:.1f} points between "
            f"seeds. Averaged over seeds {' and '.join(map(str, seeds))}, the rule (a gain of at "
            f"least {100 * selection['threshold']:.0f} point) ")
    if chosen:
        text += "picks " + ", ".join(f"`{n}` ({_points(_gain(gains[n]))})" for n in chosen)
    else:
        text += "picks nothing: the final recipe is the paper's"
    left = [n for n in gains if n not in chosen]
    if left:
        text += "; not " + ", ".join(f"`{n}` ({_points(_gain(gains[n]))})" for n in left)
    text += "."
    combined = summary.get("combined")
    if combined and len(chosen) > 1:
        best = max(chosen, key=lambda n: _gain(gains[n]))
        mine = sum(combined["val_accuracy"].values()) / len(combined["val_accuracy"])
        theirs = recipes[best]["val_mean_accuracy"]
        text += (f" The {_WORDS.get(len(chosen), len(chosen))} together scored {percent(mine)} "
                 f"there against `{best}`'s {percent(theirs)}, so ")
        text += "they are the final recipe." if combined["kept"] else \
            f"`{best}` alone is the final recipe."
    excluded = [n for n in chosen if any(
        min(recipes[n]["vs_paper"][s]["test"]["ci95"]) > 0 for s in recipes[n]["vs_paper"])]
    text += (" On the test actors every chosen change's gain has an interval that includes zero."
             if chosen and not excluded else
             f" On the test actors {', '.join(f'`{n}`' for n in excluded)} gained with an "
             "interval above zero." if excluded else "")
    return text


def _gain(g) -> float:
    """A gain as the selection stores it: a number, or {"val_gain": number}."""
    return g["val_gain"] if isinstance(g, dict) else g


def _ensemble_finding(summary: dict) -> str:
    """The mean of the seeds' models against each seed's model alone."""
    recipes, final = summary["recipes"], summary.get("final", {})
    pairs = {n: (r["ensemble"]["test"]["accuracy"], [a for _, a in _seed_tests(r)])
             for n, r in recipes.items() if "ensemble" in r}
    if "ensemble" in final.get("bc", {}):
        pairs["the final recipe"] = (final["bc"]["ensemble"]["test"]["accuracy"],
                                     [a for _, a in _seed_tests(final["bc"])])
    if not pairs:
        return "**Averaging models** was not measured: no recipe has two seeds in this file."
    gains = {n: e - sum(s) / len(s) for n, (e, s) in pairs.items()}
    best_change = max((r["test_gain"] for n, r in recipes.items()
                       if n != "paper" and len(r["seeds"]) > 1 and "test_gain" in r), default=0.0)
    mean_gain = sum(gains.values()) / len(gains)
    lead = ("**Averaging models helps more than any single change.**"
            if mean_gain > max(best_change, 0) else
            "**Averaging models helps, though less than the best single change.**"
            if mean_gain > 0 else "**Averaging models did not help on the test actors.**")
    text = lead
    choice = final.get("ensemble_choice")
    if choice and "val_accuracy_ensemble" in choice:
        alone = " and ".join(percent(a) for _, a in sorted(
            ((int(s), a) for s, a in choice["val_accuracy_by_seed"].items())))
        text += (f" The mean of the final recipe's seeds' models scored "
                 f"{percent(choice['val_accuracy_ensemble'])} on the early-stopping actors (each "
                 f"alone {alone}), so the rule {'keeps' if choice['kept'] else 'drops'} it.")
    singles = [a for _, s in pairs.values() for a in s]
    text += (" On the test actors: " + "; ".join(f"{n if n.startswith('the ') else f'`{n}`'} "
                                                 f"{percent(e)}" for n, (e, _) in pairs.items())
             + f", where any one seed's model scored {percent(min(singles))}–"
             f"{percent(max(singles))}; the mean gain over a single seed is "
             f"{_points(mean_gain)} points, the best single change's {_points(best_change)}.")
    return text


def _matters_finding(summary: dict) -> str:
    """The changes that cost clearly on the early-stopping actors, and those too small to join."""
    recipes, threshold = summary["recipes"], summary["selection"]["threshold"]
    costly, small = [], []
    for name, r in recipes.items():
        if name == "paper" or "val_gain" not in r:
            continue
        seeds = ", seed 0" if len(r["seeds"]) == 1 else ""
        if r["val_gain"] <= -SETTLED:
            d = _at(r["vs_paper"], r["seeds"][0])["test"]
            on_test = (f", and {_points(-d['difference'])[1:]} on the test actors (95% CI "
                       f"{_points(d['ci95'][0])} to {_points(d['ci95'][1])})"
                       if d["ci95"][1] < 0 else "")
            costly.append(f"`{name}`: {100 * -r['val_gain']:.1f} points less there{seeds}"
                          f"{on_test}")
        elif 0 < r["val_gain"] < threshold and name not in summary["selection"]["chosen"]:
            small.append(f"`{name}` adds {100 * r['val_gain']:.1f}{seeds}")
    text = "**What clearly matters.** On the early-stopping actors, " + (
        "; ".join(costly) + "." if costly else
        f"no change cost {100 * SETTLED:.0f} points or more.")
    if small:
        text += " Too little to join: " + "; ".join(small) + "."
    return text


def _default_finding(summary: dict) -> str:
    """The default model: what the rule chose on the early-stopping actors, and its test score."""
    final = summary["final"]
    fusion, default = final["fusion"], final["default"]
    test, vs_base = fusion["test"], fusion.get("minus_baseline")
    by_weight = {float(w): a for w, a in fusion["val_accuracy_by_weight"].items()}
    if default["model"] == "fusion":
        w = default["weight"]
        verdict = _sign_word(vs_base, "and it beats the baseline", "and it falls behind the "
                             "baseline", "level with the baseline") if vs_base else ""
        text = (f"**The default model is a fusion, {verdict}.** Weight {w:g} on the deep "
                f"model's probabilities and {1 - w:g} on the baseline's scored "
                f"{percent(by_weight[w])} on the early-stopping actors (baseline alone "
                f"{percent(by_weight[0.0])}, deep alone {percent(by_weight[1.0])}), so the rule "
                "made it the default.")
    else:
        text = (f"**The default model is the {default['model']}.** On the early-stopping actors "
                "no fusion of the two did better.")
    text += (f" On the test actors it scores **{percent(test['accuracy'])}** (95% CI by actor "
             f"{interval(test['accuracy_ci95_by_actor'])})")
    if vs_base:
        text += f", {_paired(vs_base)} over the baseline on the same clips"
    if fusion.get("minus_deep"):
        text += f" and {_paired(fusion['minus_deep'])} over the deep model alone"
    met = [f"the target of {UNSEEN_TARGET:.0%} on unseen speakers is "
           f"{'met' if test['accuracy'] >= UNSEEN_TARGET else 'not met'}",
           f"the goal of {UNSEEN_GOAL:.0%} "
           f"{'is met' if test['accuracy'] >= UNSEEN_GOAL else 'is not'}"]
    text += ". " + "; ".join(met).capitalize() + "."
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
    per_seed = "; ".join(
        f"{_paired(d)} with seed {s} (BC {_sign_word(d, 'better', '*worse*', 'level with AC')})"
        for s, d in sorted(final["bc_minus_ac_final"].items(), key=lambda kv: int(kv[0])))
    text = (f"**BC against AC.** Hosain et al. report BC {_points(hosain)[1:]} points "
            f"{'above' if hosain > 0 else 'below'} AC. Under the final deep recipe (every fold, "
            f"the same clips), BC − AC is {per_seed}")
    if "bc_minus_ac_baseline" in final:
        text += f"; for the classical baseline {_paired(final['bc_minus_ac_baseline'])}"
    return text + (". One seed's sign says little (notebook 08 compares three seeds of the "
                   "paper's recipe). A fixed filter is an offset per mel band, and per-band "
                   "standardisation removes nearly all of it (notebook 09, section 4).")


def _next_finding(summary: dict) -> str:
    """What would help next, with the one measured hint: the ensembles' gain over one seed."""
    recipes = summary["recipes"]
    gains = [r["ensemble"]["test"]["accuracy"] - a for r in recipes.values()
             if "ensemble" in r for _, a in _seed_tests(r)]
    seeds = (f" (two seeds' mean gained {_points(min(gains))} to {_points(max(gains))} points "
             "over one seed's model on the test actors)" if gains else "")
    return (f"**What would help next.** Untested here: more seeds in the ensemble{seeds}, a "
            "60 dB log floor (notebook 09, section 2), a pre-trained speech encoder (the "
            "published anchors with frozen self-supervised encoders reach 70–75% on "
            "actor-disjoint folds), and more speakers.")


def adaptation_finding(summary: dict) -> str:
    """How many of a speaker's clips ``predict --same-speaker`` needs, in one sentence from the
    study's adaptation curve: the fewest clips, all of them, and from how many clips on the mean
    of the draws comes within 1 point of all.

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
    >>> print(adaptation_finding({"final": {"adaptation": rows}}))
    Statistics from 4 clips of each speaker gave 40.0% (40.0–40.0% over the draws), from all 60
    of them 50.0%: 10.0 points more; the mean of the draws comes within 1 point of all clips from
    16 clips on.
    """
    rows = summary.get("final", {}).get("adaptation")
    if not rows:
        return "The adaptation curve is not in this file."
    mark = stale_mark(summary) if "date" in summary or "provenance" in summary else None
    curve = pd.DataFrame(rows)
    draws = curve[~curve["all"]].groupby("clips")["accuracy"]
    means, lows, highs = draws.mean(), draws.min(), draws.max()
    every = curve[curve["all"]].iloc[0]
    fewest = means.index.min()
    close = [k for k in means.index if every["accuracy"] - means[k] < 0.01]
    return (f"Statistics from {fewest} clips of each speaker gave {percent(means[fewest])} "
            f"({100 * lows[fewest]:.1f}–{percent(highs[fewest])} over the draws), from all "
            f"{int(every['clips'])} of them {percent(every['accuracy'])}: "
            f"{100 * (every['accuracy'] - means[fewest]):.1f} points more; "
            + (f"the mean of the draws comes within 1 point of all clips from {min(close)} clips "
               "on" if close else "no number of clips short of all came within 1 point")
            + (f" (*{mark}*)." if mark else "."))


# --- the pages that quote the study, rewritten from it ------------------------------------------

FINDINGS_MARKS = ("<!-- generalize-full findings -->", "<!-- /generalize-full findings -->")
TABLE_MARKS = ("<!-- generalize-full table -->", "<!-- /generalize-full table -->")
MOVED_MARKS = ("<!-- generalize-full moved -->", "<!-- /generalize-full moved -->")
HEADLINE_START = "| test accuracy, P3, all 5 folds pooled:"  # README's two rows start so


def render_readme(text: str, summary: dict) -> str:
    """README.md's text with its two notebook-09 rows replaced by ``headline_rows(summary)``.

    Parameters
    ----------
    text : str
        README.md as it is.
    summary : dict
        Notebook 09's study.

    Returns
    -------
    str

    Examples
    --------
    >>> from bcser_utils.config import REPO_ROOT
    >>> from bcser_utils.present import report
    >>> readme = (REPO_ROOT / "README.md").read_text()
    >>> study = report.load_summary(REPO_ROOT / "results" / "generalize-full.json")
    >>> render_readme(readme, study) == readme  # the committed page is up to date
    True
    """
    lines = text.split("\n")
    at = [i for i, line in enumerate(lines) if line.startswith(HEADLINE_START)]
    if len(at) != 2 or at[1] != at[0] + 1:
        raise ValueError(f"README.md: expected two adjacent rows starting {HEADLINE_START!r}")
    return "\n".join([*lines[:at[0]], headline_rows(summary), *lines[at[1] + 1:]])


def render_results_readme(text: str, summary: dict, old: dict | None = None) -> str:
    """results/README.md's text with notebook 09's table and findings (between their
    ``TABLE_MARKS`` and ``FINDINGS_MARKS``) rendered from ``summary``, and with ``old`` (an
    earlier version of the study) what moved since (``moved_rows``, between ``MOVED_MARKS``).

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
    text = between(text, TABLE_MARKS, generalize_readme_table(summary))
    text = between(text, FINDINGS_MARKS, findings(summary))
    if old is not None:
        moved = moved_rows(old, summary).to_markdown(disable_numparse=True)
        text = between(text, MOVED_MARKS, f"Test actors, pooled over the 5 P3 folds; the old "
                       f"study of {old['date']} (`results/history/`) against this one of "
                       f"{summary['date']}.\n\n{moved}")
    return text


def between(text: str, marks: tuple[str, str], inside: str) -> str:
    """``text`` with what lies between the two ``marks`` lines replaced by ``inside``."""
    start, end = marks
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"expected one {start} … {end} block")
    head, rest = text.split(start + "\n", 1)
    return f"{head}{start}\n{inside}\n{end}{rest.split(end, 1)[1]}"


def moved_rows(old: dict, new: dict) -> pd.DataFrame:
    """What moved between two versions of the study (``old``, ``new``: summaries): each headline
    accuracy on the test actors, pooled over the P3 folds, with its interval by actor, the change
    in points, and whether the new value lies inside the old one's 95% interval.

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
    >>> sorted(set(table["change (points)"])), sorted(set(table["inside the old interval"]))
    (['0.0'], ['yes'])
    """
    rows = []
    for what, a, b in _headline_pairs(old, new):
        ci, change = a.get("accuracy_ci95_by_actor"), b["accuracy"] - a["accuracy"]
        rows.append({"what": what,
                     "old": f"{percent(a['accuracy'])} ({interval(ci)})",
                     "new": f"{percent(b['accuracy'])} "
                            f"({interval(b.get('accuracy_ci95_by_actor'))})",
                     "change (points)": _points(change) if round(100 * change, 1) else "0.0",
                     "inside the old interval":
                         "yes" if ci and ci[0] <= b["accuracy"] <= ci[1] else "no"})
    return pd.DataFrame(rows).set_index("what")


def _headline_pairs(old: dict, new: dict):
    """(what, old score, new score) for each headline number both studies hold."""
    def pick(summary, path):
        value = summary
        for key in path:  # a seed's key is a number or its text, as the file came back
            value = value.get(key, value.get(str(key))) if isinstance(value, dict) else None
        return value if isinstance(value, dict) and "accuracy" in value else None

    baseline = (old.get("final", {}).get("fusion", {}).get("baseline")
                or "bc-svm-speaker-v1-P2-P3")
    paths = {"classical baseline (eGeMAPS + SVM, each speaker standardised)":
             ("baselines", baseline, "P3", "test")}
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
