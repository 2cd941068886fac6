"""Results rendered for people: the tables notebook 09 shows and the README rows it shares.

Every function reads a summary that ``generalize.summarize`` wrote (a dict, as in
``results/generalize-full.json``) and returns a pandas DataFrame or Markdown text; nothing here
computes a number that is not already in the summary.

Notebook: 09_towards_unseen_speakers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

BASELINE_LABELS = {"logreg": "logistic regression", "svm": "SVM (RBF)"}


def load_summary(path: str | Path) -> dict:
    """A summary written by ``generalize.save_json`` (seeds come back as ints)."""
    summary = json.loads(Path(path).read_text())
    for recipe in summary.get("recipes", {}).values():
        for key in ("val", "test", "vs_paper"):
            recipe[key] = {int(seed): value for seed, value in recipe.get(key, {}).items()}
    return summary


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _interval(ci) -> str:
    return "" if not ci else f"{100 * ci[0]:.1f}–{100 * ci[1]:.1f}%"


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
    """One row per recipe: the gain on the early-stopping actors the selection read, then the
    test accuracy per seed, the gain over the paper's recipe on the test actors (paired, with
    its interval by actor, seed 0) and the ensemble of the seeds."""
    chosen = set(summary["selection"]["chosen"])
    rows = []
    for name, r in summary["recipes"].items():
        seeds = sorted(r["test"])
        paired = r.get("vs_paper", {}).get(seeds[0], {}).get("test") if seeds else None
        rows.append({
            "recipe": name, "knob": r["knob"], "seeds": len(seeds),
            "val gain (mean of seeds)": _percent(r.get("val_gain")) if name != "paper" else "—",
            "chosen": "✓" if name in chosen else "",
            "test accuracy per seed": ", ".join(_percent(r["test"][s]["accuracy"]) for s in seeds),
            "test gain, seed 0 (95% CI by actor)": "—" if paired is None else
                f"{100 * paired['difference']:+.1f} ({100 * paired['ci95'][0]:+.1f} to "
                f"{100 * paired['ci95'][1]:+.1f})",
            "ensemble of the seeds": _percent(r.get("ensemble", {}).get("test", {})
                                              .get("accuracy"))})
    return pd.DataFrame(rows).set_index("recipe")


def reference_lines(summary: dict) -> dict[str, float]:
    """The accuracies the ablation figure marks: the best classical baseline on P3's test
    actors."""
    rows = baseline_rows(summary)
    p3 = rows[(rows.protocol == "P3") & (rows.signal == "bc")]
    if not len(p3):
        return {}
    best = p3.loc[p3.accuracy.idxmax()]
    return {f"eGeMAPS + {best.classifier}, {best.standardised}": float(best.accuracy)}


def final_table(summary: dict) -> pd.DataFrame:
    """The final recipe on BC and AC against the paper's, BC − AC, the ensemble and the fusion,
    as rows of (what, number, interval)."""
    final = summary.get("final")
    if not final:
        return pd.DataFrame({"what": ["the final recipe has not been trained yet"]})
    rows = []
    for signal in ("bc", "ac"):
        if signal not in final:
            continue
        r = final[signal]
        for seed, s in sorted(r["test"].items(), key=lambda kv: int(kv[0])):
            rows.append((f"final recipe, {signal.upper()}, seed {seed}: test accuracy",
                         _percent(s["accuracy"]), _interval(s["accuracy_ci95_by_actor"])))
        if "ensemble" in r:
            s = r["ensemble"]["test"]
            rows.append((f"final recipe, {signal.upper()}, ensemble of the seeds",
                         _percent(s["accuracy"]), _interval(s["accuracy_ci95_by_actor"])))
    for name in ("paper", "final"):
        for seed, d in sorted(final.get(f"bc_minus_ac_{name}", {}).items(),
                              key=lambda kv: int(kv[0])):
            rows.append((f"BC − AC, {name} recipe, seed {seed} (same clips)",
                         f"{100 * d['difference']:+.1f} points",
                         f"{100 * d['ci95'][0]:+.1f} to {100 * d['ci95'][1]:+.1f}"))
    if "fusion" in final:
        f = final["fusion"]
        rows.append((f"fusion with {f['baseline']}, weight {f['weight']:g} (chosen on the "
                     "early-stopping actors)", _percent(f["test"]["accuracy"]),
                     _interval(f["test"]["accuracy_ci95_by_actor"])))
    if not rows:
        return pd.DataFrame({"what": [f"the final recipe ({final['recipe']['name']}) has not "
                                      "finished in this file"]})
    return pd.DataFrame(rows, columns=["what", "test", "95% CI (by actor)"]).set_index("what")
