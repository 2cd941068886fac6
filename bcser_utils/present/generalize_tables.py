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
from bcser_utils.present.staleness import readme_table, stale_lines

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
    final = summary.get("final") or {}
    if not final.get("default") or "fusion" not in final:
        raise ValueError("the study's summary has no default model yet (generalize --final, "
                         "--refit, then --summary)")
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
        alone = "the classical baseline alone, the row above" if chosen["weight"] == 0 else \
            f"the {chosen['model']} alone"
        what = f"`predict`'s default model (`--same-speaker`: {alone})"
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
    return f"{words} seeds'" if n > 1 else f"{words} seed's"


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
