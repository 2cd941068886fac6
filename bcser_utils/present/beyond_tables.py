"""Notebook 08's results rendered for people: the paper's protocol beside honest ones, AC
against BC under noise, and label smoothing.

Every function reads a summary of ``beyond.beyond`` (``beyond.summarize``; committed as
``results/beyond-full.json``, read with ``report.load_summary``) and returns a pandas DataFrame,
Markdown or plain text; nothing here computes a number that is not already in the summary.

Notebook: 08_beyond_the_paper.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bcser_utils.present.formatting import NOISE_FREE, condition_label
from bcser_utils.present.staleness import readme_table


def headline_table(summary: dict) -> pd.DataFrame:
    """One line per result: the paper's protocol, the honest ones, AC against BC, and label
    smoothing, with 95% intervals (by clip, and resampling whole actors)."""
    def span(ci):
        return "" if ci is None else f"{ci[0]:.3f}–{ci[1]:.3f}"

    rows = []
    for name, r in summary["runs"].items():
        what = f"{r['protocol']} {r['signal'].upper()}"
        if r["protocol"] == "P3":  # folds counted from 1 here, as in the split descriptions
            what += f", fold {int(name.split('fold')[1].split('-')[0]) + 1}"
        if r["label_smoothing"] != 0.1:
            what += f", label smoothing {r['label_smoothing']:g}"
        rows.append({"result": what, "evaluated on": f"{r['n']:,} {r['evaluated_on']} clips",
                     "accuracy": r["accuracy"], "95% CI (clips)": span(r["ci95"]),
                     "95% CI (actors)": span(r["ci95_by_actor"]), "ECE": r["ece"]})
    folds = f"{len(summary['folds'])} of {summary['n_folds']} folds pooled"
    for signal, r in summary["p3"].items():
        rows.append({"result": f"P3 {signal.upper()}, {folds}",
                     "evaluated on": f"{r['n']:,} test clips", "accuracy": r["accuracy"],
                     "95% CI (clips)": span(r["ci95"]),
                     "95% CI (actors)": span(r["ci95_by_actor"]),
                     "ECE": r["calibration"]["ece"]})
    clean = _noise_free(summary["ac_vs_bc"])
    rows.append({"result": f"P3 BC − AC (paired), {folds}",
                 "evaluated on": f"{clean['n']:,} test clips", "accuracy": clean["difference"],
                 "95% CI (clips)": span(clean["ci95"]),
                 "95% CI (actors)": span(clean["ci95_by_actor"]), "ECE": np.nan})
    for replicate in summary.get("seeds", [])[1:]:
        r = _noise_free(replicate["ac_vs_bc"])
        rows.append({"result": f"P3 BC − AC (paired), {folds}, seed {replicate['seed']}",
                     "evaluated on": f"{r['n']:,} test clips", "accuracy": r["difference"],
                     "95% CI (clips)": span(r["ci95"]),
                     "95% CI (actors)": span(r["ci95_by_actor"]), "ECE": np.nan})
    if smoothing := summary.get("label_smoothing"):
        for key, eps in (("smoothed", 0.1), ("plain", 0)):
            r = smoothing[key]
            rows.append({"result": f"P3 BC, label smoothing {eps:g}, "
                                   f"{_folds(smoothing['folds'])} pooled",
                         "evaluated on": f"{r['n']:,} test clips", "accuracy": r["accuracy"],
                         "95% CI (clips)": "", "95% CI (actors)": "",
                         "ECE": r["calibration"]["ece"]})
    return pd.DataFrame(rows).set_index("result")


def _folds(folds) -> str:
    return f"{len(folds)} fold" + ("" if len(folds) == 1 else "s")


def _noise_free(rows: list[dict]) -> dict:
    return next(r for r in rows if r["kind"] == NOISE_FREE)


def _condition(rows: list[dict], kind: str, snr_db: float) -> dict:
    return next(r for r in rows if r["kind"] == kind and r["snr_db"] == snr_db)


def findings(summary: dict) -> str:
    """The headline numbers of a summary in plain sentences, each with its interval."""
    def pct(x):
        return f"{x:.1%}"

    def ci(pair):
        return f"{pair[0]:.1%}–{pair[1]:.1%}"

    def pts(x):  # a difference of accuracies, in percentage points
        return f"{100 * x:+.1f}"

    runs, leak = summary["runs"], {row["protocol"]: row for row in summary["leakage"]}
    folds = f"{len(summary['folds'])} of {summary['n_folds']} folds"
    lines = []
    for protocol in ("P1", "P2"):
        r, heard = runs[f"{protocol.lower()}-bc-fold0"], leak[protocol]
        by_actor = f", {ci(r['ci95_by_actor'])} by actor" if r["ci95_by_actor"] else ""
        lines.append(
            f"{protocol} BC: {pct(r['accuracy'])} (95% CI {ci(r['ci95'])} by clip{by_actor}) on"
            f" {r['n']:,} {r['evaluated_on']} clips, of which {heard['sibling_fraction']:.0%}"
            f" have a sibling in training and {heard['actor_fraction']:.0%} an actor heard in"
            f" training;"
            f" best epoch {r['best_epoch']} of {r['stopped_epoch']}.")
    lines[0] += f" The paper reports {summary['paper']['p1_accuracy']:.2%} under P1."
    for signal, r in summary["p3"].items():
        per_actor, per_fold = r["per_actor_accuracy"].values(), r["per_fold_accuracy"].values()
        lines.append(
            f"P3 {signal.upper()} ({folds}, {r['n']:,} test clips of actors never heard in"
            f" training): {pct(r['accuracy'])} (95% CI {ci(r['ci95_by_actor'])} resampling actors,"
            f" {ci(r['ci95'])} by clip); per fold {min(per_fold):.1%}–{max(per_fold):.1%},"
            f" per actor {min(per_actor):.1%}–{max(per_actor):.1%}.")
    rows, seeds = summary["ac_vs_bc"], summary.get("seeds", [])[1:]
    clean = _noise_free(rows)
    paper = summary["paper"]

    def other_seeds(kind, snr_db):
        if not seeds:
            return ""
        return "; with seed " + ", seed ".join(
            f"{s['seed']}: {pts(_condition(s['ac_vs_bc'], kind, snr_db)['difference'])}"
            for s in seeds)

    lines.append(
        f"BC − AC under P3, paired on the same {clean['n']:,} clips: {pts(clean['difference'])}"
        f" points (95% CI {pts(clean['ci95_by_actor'][0])} to {pts(clean['ci95_by_actor'][1])}"
        f" resampling actors, {pts(clean['ci95'][0])} to {pts(clean['ci95'][1])} by clip)"
        f"{other_seeds(NOISE_FREE, clean['snr_db'])}; Hosain et al. report"
        f" {pts(paper['hosain_bc_accuracy'] - paper['hosain_ac_accuracy'])}.")
    for kind, snr_db in _noise_rows(rows):
        r = _condition(rows, kind, snr_db)
        lines.append(
            f"{condition_label(kind, snr_db)} SNR: BC {pct(r['bc'])}, AC {pct(r['ac'])} (clean: BC"
            f" {pct(clean['bc'])}, AC {pct(clean['ac'])}); BC − AC {pts(r['difference'])} points"
            f" (95% CI {pts(r['ci95_by_actor'][0])} to {pts(r['ci95_by_actor'][1])} resampling"
            f" actors){other_seeds(kind, snr_db)}.")
    lines.append(
        f"ECE: P1 {runs['p1-bc-fold0']['ece']:.3f}, P2 {runs['p2-bc-fold0']['ece']:.3f}, P3 BC"
        f" pooled {summary['p3']['bc']['calibration']['ece']:.3f}.")
    if smoothing := summary.get("label_smoothing"):
        a, b = smoothing["smoothed"], smoothing["plain"]
        lower = sum(f["ece"][0] < f["ece"][1] for f in smoothing["per_fold"])
        lines.append(
            f"Label smoothing, P3 BC over {_folds(smoothing['folds'])}, {a['n']:,} test clips:"
            f" ε = 0.1 gives accuracy {pct(a['accuracy'])}, ECE {a['calibration']['ece']:.3f},"
            f" log loss {a['log_loss']:.3f}; ε = 0 gives {pct(b['accuracy'])}, ECE"
            f" {b['calibration']['ece']:.3f}, log loss {b['log_loss']:.3f}; the ECE is lower with"
            f" smoothing on {lower} of {len(smoothing['folds'])} folds.")
    return "\n".join(f"- {line}" for line in lines)


def _noise_rows(rows: list[dict]) -> list[tuple[str, float]]:
    """The noise conditions the README and ``findings`` quote: each kind at its highest and its
    lowest SNR (the first cost of noise, and the floor)."""
    chosen = []
    for kind in dict.fromkeys(r["kind"] for r in rows if r["kind"] != NOISE_FREE):
        snrs = sorted({r["snr_db"] for r in rows if r["kind"] == kind}, reverse=True)
        chosen += [(kind, snr) for snr in dict.fromkeys((snrs[0], snrs[-1]))]
    return chosen


def beyond_readme_table(summary: dict) -> str:
    """The README's table of notebook 08's results (Markdown), made from a summary so that the
    two cannot disagree (a test checks results/README.md holds exactly these lines)."""
    def ci(pair):
        return f"{pair[0]:.1%} to {pair[1]:.1%}"

    def points(x):  # a difference of accuracies, in percentage points
        return f"{100 * x:+.1f} points"

    def points_ci(pair):
        return f"{100 * pair[0]:+.1f} to {100 * pair[1]:+.1f} points"

    runs, p3, paper = summary["runs"], summary["p3"], summary["paper"]
    seeds = summary.get("seeds", [])[1:]
    where = f"{summary['mode']} · `{summary['command']}` · {summary['date']}"
    folds = f"{len(summary['folds'])} of {summary['n_folds']} folds pooled"
    seed = f"seed {summary['seed']}"
    grid = f"P3, {folds}, {seed}" + (" and further seeds" if seeds else "") + f" · {where}"

    def other_seeds(kind, snr_db):
        return "".join(f"; seed {s['seed']}: "
                       f"{points(_condition(s['ac_vs_bc'], kind, snr_db)['difference'])} (95% CI "
                       f"{points_ci(_condition(s['ac_vs_bc'], kind, snr_db)['ci95_by_actor'])})"
                       for s in seeds)

    clean = _noise_free(summary["ac_vs_bc"])
    rows = []
    for protocol, paper_value in (("P1", f"{paper['p1_accuracy']:.2%}"), ("P2", "—")):
        r = runs[f"{protocol.lower()}-bc-fold0"]
        rows.append((f"{protocol} BC, validation accuracy", paper_value,
                     f"**{r['accuracy']:.1%}** (95% CI {ci(r['ci95'])}; by actor "
                     f"{ci(r['ci95_by_actor'])}), {r['n']:,} clips",
                     f"{protocol}, {seed} · {where}"))
    for signal in ("bc", "ac"):
        r = p3[signal]
        rows.append((f"P3 {signal.upper()}, test accuracy on unseen actors", "—",
                     f"**{r['accuracy']:.1%}** (95% CI by actor {ci(r['ci95_by_actor'])}), "
                     f"{r['n']:,} clips", f"P3, {folds}, {seed} · {where}"))
    rows.append(("P3 BC − AC, paired on the same clips",
                 f"{points(paper['hosain_bc_accuracy'] - paper['hosain_ac_accuracy'])} "
                 "(Hosain et al.)",
                 f"**{points(clean['difference'])}** (95% CI by actor "
                 f"{points_ci(clean['ci95_by_actor'])}){other_seeds(NOISE_FREE, clean['snr_db'])}",
                 grid))
    for kind, snr_db in _noise_rows(summary["ac_vs_bc"]):
        r = _condition(summary["ac_vs_bc"], kind, snr_db)
        rows.append((f"P3 accuracy, {condition_label(kind, snr_db)} (added before BC)", "—",
                     f"BC {r['bc']:.1%}, AC {r['ac']:.1%}; BC − AC {points(r['difference'])} "
                     f"(95% CI by actor {points_ci(r['ci95_by_actor'])})"
                     f"{other_seeds(kind, snr_db)}", grid))
    rows.append(("ECE (10 bins)", "—", f"P1 {runs['p1-bc-fold0']['ece']:.3f}, P2 "
                 f"{runs['p2-bc-fold0']['ece']:.3f}, P3 BC {p3['bc']['calibration']['ece']:.3f}",
                 f"{seed} · {where}"))
    if smoothing := summary.get("label_smoothing"):
        a, b = smoothing["smoothed"], smoothing["plain"]
        rows.append((f"label smoothing 0.1 vs 0, P3 BC ({_folds(smoothing['folds'])} pooled)",
                     "—",
                     f"accuracy {a['accuracy']:.1%} vs {b['accuracy']:.1%}; ECE "
                     f"{a['calibration']['ece']:.3f} vs {b['calibration']['ece']:.3f}; log loss "
                     f"{a['log_loss']:.3f} vs {b['log_loss']:.3f}; {a['n']:,} clips",
                     f"P3, {seed} · {where}"))
    return readme_table(summary, rows)
