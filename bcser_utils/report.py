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
    if "bc_minus_ac_baseline" in final:
        d = final["bc_minus_ac_baseline"]
        rows.append((f"BC − AC, classical baseline {d['baseline']} (same clips)",
                     f"{100 * d['difference']:+.1f} points",
                     f"{100 * d['ci95'][0]:+.1f} to {100 * d['ci95'][1]:+.1f}"))
    if "single_clip" in final:
        s = final["single_clip"]
        rows.append((f"one clip at a time (no speaker statistics): {s['recipe']}, chosen on the "
                     "early-stopping actors", _percent(s["test"]["accuracy"]),
                     _interval(s["test"]["accuracy_ci95_by_actor"])))
    if "fusion" in final:
        f = final["fusion"]
        rows.append((f"fusion with {f['baseline']}, weight {f['weight']:g} (chosen on the "
                     "early-stopping actors)", _percent(f["test"]["accuracy"]),
                     _interval(f["test"]["accuracy_ci95_by_actor"])))
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


def default_card(summary: dict) -> str:
    """The model card of ``predict``'s default model (Markdown), from the study's summary."""
    final, source = summary["final"], summary["source"].removeprefix("Data: ")
    gap = summary["final"]["fusion"]["minus_baseline"]
    gap = (f"{100 * gap['difference']:+.1f} points (95% CI {100 * gap['ci95'][0]:+.1f} to "
           f"{100 * gap['ci95'][1]:+.1f})")
    chosen, fusion = final["default"], final["fusion"]
    adapts = ("Both models standardise the speaker's features with that speaker's own statistics"
              if final["recipe"]["overrides"].get("normalize.mode") == "speaker" else
              "The baseline standardises the speaker's features with that speaker's own "
              "statistics (the deep model keeps its training statistics)")

    def line(what, s):
        return (f"| {what} | {_percent(s['accuracy'])} | "
                f"{_interval(s['accuracy_ci95_by_actor'])} | {_percent(s['balanced_accuracy'])} | "
                f"{_percent(s['macro_f1'])} |")

    return f"""# Model card: `predict`'s default model

**What it is.** The {chosen['model']} that notebook 09's study chose on the early-stopping actors:
late fusion, weight {chosen['weight']:g} on the deep model ({final['recipe']['description']}) and
{1 - chosen['weight']:g} on the classical baseline ({chosen['baseline']}: eGeMAPS v02 functionals,
standardised per speaker, scikit-learn). Both were refitted on every development actor: the deep
model for {final.get('refit_epochs', '?')} epochs (the median best epoch of its P3 folds), the
baseline on every original clip. Files: `bcser_default.pt`, `bcser_default_egemaps.skops`,
`default.json`.

**How to use it.** `python -m bcser_utils predict --same-speaker a.wav b.wav c.wav d.wav …`: clips
of ONE speaker (at least 4; more is better, notebook 09 section 6). {adapts}, without labels
(transductive adaptation); then the two models' probabilities are averaged with the weight
above. `predict` on files one by one has no speaker statistics: it uses the model that did best
on the early-stopping actors one clip at a time ({final['single_clip']['recipe']};
`default.json` names the file).

**Expected accuracy on a speaker never heard** (8 emotions, chance 12.5%), estimated under P3:
5 actor-disjoint folds of {source}; the fold models (trained without the test actors) predicted
their test actors' original clips, pooled over the folds; 95% intervals resample whole actors.

| what | accuracy | 95% CI (by actor) | balanced accuracy | macro-F1 |
|---|---|---|---|---|
{line("fusion, `--same-speaker` (the default)", fusion["test"])}
{line("deep model alone", fusion["deep_test"])}
{line("classical baseline alone, speaker-standardised", fusion["baseline_test"])}
{line(f"one clip at a time: {final['single_clip']['recipe']} recipe", final["single_clip"]["test"])}

The refitted models saw all 20 actors, so these numbers estimate them; they are not measured on
them. Seeds: {", ".join(map(str, sorted(final.get("bc", {}).get("test", {0: 0}))))}. Fusion minus
baseline on the same clips: {gap}: the fusion won on the early-stopping actors, not on the
test actors. Produced by `{summary['command']}` ({summary['date']}); every number is in
`results/generalize-full.json`.

**Known limits.** Acted speech of 20 North-American actors (two sentences), read in a studio: real
conversations, other languages and other microphones will do worse. The BC signal is synthetic (a
first-order IIR filter on air-conducted speech), not a bone-conduction sensor. Speaker statistics
from fewer than about 8 clips are noisy. A recording level far below the training clips' can still
shift the padded frames of short clips (notebook 09 section 2).

**Data licence.** RAVDESS (Livingstone & Russo, 2018), CC BY-NC-SA 4.0: non-commercial use, with
attribution; the weights derive from it.
"""


def readme_table(summary: dict) -> str:
    """The README's table of notebook 09's results (Markdown), made from the summary so that the
    two cannot disagree (a test checks the README holds exactly these lines)."""
    where = f"{summary['mode']} · `{summary['command']}` · {summary['date']}"
    pooled = "P3, 5 folds pooled (test actors), seed 0"

    def accuracy(s, bold=False):
        text = _percent(s["accuracy"])
        return (f"**{text}**" if bold else text) + \
            f" (95% CI by actor {_interval(s['accuracy_ci95_by_actor'])}), {s['n']:,} clips"

    rows = []
    for key in ("bc-logreg-global", "bc-logreg-speaker", "bc-svm-global", "bc-svm-speaker"):
        tables = [t for name, t in summary["baselines"].items() if name.startswith(key + "-")]
        if tables:
            _, classifier, norm = key.split("-")
            rows.append((f"classical baseline: eGeMAPS + {BASELINE_LABELS[classifier]}, "
                         f"{'each speaker standardised' if norm == 'speaker' else 'global'}",
                         "—", accuracy(tables[0]["P3"]["test"]), f"{pooled} · BC · {where}"))
    paper = summary["recipes"]["paper"]
    rows.append(("deep model, the paper's recipe (strided model)", "—",
                 accuracy(paper["test"][min(paper["test"])]), f"{pooled} · BC · {where}"))
    final = summary.get("final")
    if final and "fusion" in final:
        name = final["recipe"]["name"]
        rows.append((f"deep model, the chosen recipe ({final['recipe']['description']})", "—",
                     accuracy(final["fusion"]["deep_test"]), f"{pooled} · BC · {where}"))
        f, chosen = final["fusion"], final["default"]
        rows.append((f"**`predict --same-speaker`'s default**: the {chosen['model']}, weight "
                     f"{chosen['weight']:g} on the deep model ({name}) and "
                     f"{1 - chosen['weight']:g} on {f['baseline']}, chosen on the early-stopping "
                     "actors", "—", accuracy(f["test"], bold=True), f"{pooled} · BC · {where}"))
        s = final["single_clip"]
        rows.append((f"`predict` one clip at a time (no speaker statistics): the {s['recipe']} "
                     "recipe, chosen on the early-stopping actors", "—", accuracy(s["test"]),
                     f"{pooled} · BC · {where}"))
        if "bc_minus_ac_baseline" in final:
            d = final["bc_minus_ac_baseline"]
            rows.append((f"BC − AC, classical baseline ({d['baseline']}), paired on the same "
                         "clips", "+2.7 points (Hosain et al.)",
                         f"{100 * d['difference']:+.1f} points (95% CI by actor "
                         f"{100 * d['ci95'][0]:+.1f} to {100 * d['ci95'][1]:+.1f})",
                         f"{pooled} · {where}"))
    lines = ["| what | paper | ours | protocol · mode · command · date |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)
