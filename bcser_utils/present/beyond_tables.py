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


def _pct(x) -> str:
    """An accuracy as a percentage with one decimal."""
    return f"{x:.1%}"


def _pct_span(pair) -> str:
    """An interval of accuracies, "a%–b%"."""
    return f"{pair[0]:.1%}–{pair[1]:.1%}"


def _pts(x) -> str:
    """A difference of accuracies, in signed percentage points."""
    return f"{100 * x:+.1f}"


def findings(summary: dict) -> str:
    """The headline numbers of a summary in plain sentences, each with its interval."""
    lines = [*_protocol_findings(summary), *_p3_findings(summary),
             *_ac_vs_bc_findings(summary), _ece_finding(summary)]
    if smoothing := summary.get("label_smoothing"):
        lines.append(_smoothing_finding(smoothing))
    return "\n".join(f"- {line}" for line in lines)


def _protocol_findings(summary: dict) -> list[str]:
    """P1 and P2: accuracy, and how much of what they evaluate on training heard."""
    runs, leak = summary["runs"], {row["protocol"]: row for row in summary["leakage"]}
    lines = []
    for protocol in ("P1", "P2"):
        r, heard = runs[f"{protocol.lower()}-bc-fold0"], leak[protocol]
        by_actor = f", {_pct_span(r['ci95_by_actor'])} by actor" if r["ci95_by_actor"] else ""
        lines.append(
            f"{protocol} BC: {_pct(r['accuracy'])} (95% CI {_pct_span(r['ci95'])} by clip"
            f"{by_actor}) on"
            f" {r['n']:,} {r['evaluated_on']} clips, of which {heard['sibling_fraction']:.0%}"
            f" have a sibling in training and {heard['actor_fraction']:.0%} an actor heard in"
            f" training;"
            f" best epoch {r['best_epoch']} of {r['stopped_epoch']}.")
    lines[0] += f" The paper reports {summary['paper']['p1_accuracy']:.2%} under P1."
    return lines


def _p3_findings(summary: dict) -> list[str]:
    """P3 on each signal: pooled accuracy, and its spread over folds and actors."""
    folds = f"{len(summary['folds'])} of {summary['n_folds']} folds"
    lines = []
    for signal, r in summary["p3"].items():
        per_actor, per_fold = r["per_actor_accuracy"].values(), r["per_fold_accuracy"].values()
        lines.append(
            f"P3 {signal.upper()} ({folds}, {r['n']:,} test clips of actors never heard in"
            f" training): {_pct(r['accuracy'])} (95% CI {_pct_span(r['ci95_by_actor'])}"
            f" resampling actors,"
            f" {_pct_span(r['ci95'])} by clip); per fold {min(per_fold):.1%}–{max(per_fold):.1%},"
            f" per actor {min(per_actor):.1%}–{max(per_actor):.1%}.")
    return lines


def _ac_vs_bc_findings(summary: dict) -> list[str]:
    """BC − AC, paired, without noise (against Hosain et al.) and under each quoted noise."""
    rows, seeds, paper = summary["ac_vs_bc"], summary.get("seeds", [])[1:], summary["paper"]
    clean = _noise_free(rows)

    def other_seeds(kind, snr_db):
        if not seeds:
            return ""
        return "; with seed " + ", seed ".join(
            f"{s['seed']}: {_pts(_condition(s['ac_vs_bc'], kind, snr_db)['difference'])}"
            for s in seeds)

    lines = [
        f"BC − AC under P3, paired on the same {clean['n']:,} clips: {_pts(clean['difference'])}"
        f" points (95% CI {_pts(clean['ci95_by_actor'][0])} to {_pts(clean['ci95_by_actor'][1])}"
        f" resampling actors, {_pts(clean['ci95'][0])} to {_pts(clean['ci95'][1])} by clip)"
        f"{other_seeds(NOISE_FREE, clean['snr_db'])}; Hosain et al. report"
        f" {_pts(paper['hosain_bc_accuracy'] - paper['hosain_ac_accuracy'])}."]
    for kind, snr_db in _noise_rows(rows):
        r = _condition(rows, kind, snr_db)
        lines.append(
            f"{condition_label(kind, snr_db)} SNR: BC {_pct(r['bc'])}, AC {_pct(r['ac'])} (clean:"
            f" BC {_pct(clean['bc'])}, AC {_pct(clean['ac'])}); BC − AC {_pts(r['difference'])}"
            f" points (95% CI {_pts(r['ci95_by_actor'][0])} to {_pts(r['ci95_by_actor'][1])}"
            f" resampling actors){other_seeds(kind, snr_db)}.")
    return lines


def _ece_finding(summary: dict) -> str:
    """The calibration error of P1, P2 and pooled P3 BC."""
    runs = summary["runs"]
    return (f"ECE: P1 {runs['p1-bc-fold0']['ece']:.3f}, P2 {runs['p2-bc-fold0']['ece']:.3f}, P3"
            f" BC pooled {summary['p3']['bc']['calibration']['ece']:.3f}.")


def _smoothing_finding(smoothing: dict) -> str:
    """Label smoothing 0.1 against none: accuracy, ECE, log loss, and on how many folds."""
    a, b = smoothing["smoothed"], smoothing["plain"]
    lower = sum(f["ece"][0] < f["ece"][1] for f in smoothing["per_fold"])
    return (
        f"Label smoothing, P3 BC over {_folds(smoothing['folds'])}, {a['n']:,} test clips:"
        f" ε = 0.1 gives accuracy {_pct(a['accuracy'])}, ECE {a['calibration']['ece']:.3f},"
        f" log loss {a['log_loss']:.3f}; ε = 0 gives {_pct(b['accuracy'])}, ECE"
        f" {b['calibration']['ece']:.3f}, log loss {b['log_loss']:.3f}; the ECE is lower with"
        f" smoothing on {lower} of {len(smoothing['folds'])} folds.")


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
    made = _made_with(summary)
    rows = [*_protocol_rows(summary, made), *_p3_rows(summary, made),
            *_ac_vs_bc_rows(summary, made), _ece_row(summary, made)]
    if smoothing := summary.get("label_smoothing"):
        rows.append(_smoothing_row(smoothing, made))
    return readme_table(summary, rows)


def _pct_range(pair) -> str:
    """An interval of accuracies, "a% to b%"."""
    return f"{pair[0]:.1%} to {pair[1]:.1%}"


def _points(x) -> str:
    """A difference of accuracies, in percentage points."""
    return f"{100 * x:+.1f} points"


def _points_ci(pair) -> str:
    """An interval of differences of accuracies, in percentage points."""
    return f"{100 * pair[0]:+.1f} to {100 * pair[1]:+.1f} points"


def _made_with(summary: dict) -> dict[str, str]:
    """The README's "made with" cells: the run ("where"), its seed, its folds, the noise grid."""
    seeds = summary.get("seeds", [])[1:]
    where = f"{summary['mode']} · `{summary['command']}` · {summary['date']}"
    folds = f"{len(summary['folds'])} of {summary['n_folds']} folds pooled"
    seed = f"seed {summary['seed']}"
    grid = f"P3, {folds}, {seed}" + (" and further seeds" if seeds else "") + f" · {where}"
    return {"where": where, "folds": folds, "seed": seed, "grid": grid}


def _protocol_rows(summary: dict, made: dict) -> list[tuple]:
    """P1 and P2 BC: validation accuracy, beside the paper's for P1."""
    rows = []
    for protocol, paper_value in (("P1", f"{summary['paper']['p1_accuracy']:.2%}"), ("P2", "—")):
        r = summary["runs"][f"{protocol.lower()}-bc-fold0"]
        rows.append((f"{protocol} BC, validation accuracy", paper_value,
                     f"**{r['accuracy']:.1%}** (95% CI {_pct_range(r['ci95'])}; by actor "
                     f"{_pct_range(r['ci95_by_actor'])}), {r['n']:,} clips",
                     f"{protocol}, {made['seed']} · {made['where']}"))
    return rows


def _p3_rows(summary: dict, made: dict) -> list[tuple]:
    """P3 BC and AC: test accuracy on actors never heard."""
    rows = []
    for signal in ("bc", "ac"):
        r = summary["p3"][signal]
        rows.append((f"P3 {signal.upper()}, test accuracy on unseen actors", "—",
                     f"**{r['accuracy']:.1%}** (95% CI by actor {_pct_range(r['ci95_by_actor'])}), "
                     f"{r['n']:,} clips", f"P3, {made['folds']}, {made['seed']} · {made['where']}"))
    return rows


def _ac_vs_bc_rows(summary: dict, made: dict) -> list[tuple]:
    """BC − AC, paired: without noise (against Hosain et al.), then under each quoted noise."""
    paper, conditions = summary["paper"], summary["ac_vs_bc"]
    seeds = summary.get("seeds", [])[1:]

    def other_seeds(kind, snr_db):
        return "".join(f"; seed {s['seed']}: "
                       f"{_points(_condition(s['ac_vs_bc'], kind, snr_db)['difference'])} (95% CI "
                       f"{_points_ci(_condition(s['ac_vs_bc'], kind, snr_db)['ci95_by_actor'])})"
                       for s in seeds)

    clean = _noise_free(conditions)
    rows = [("P3 BC − AC, paired on the same clips",
             f"{_points(paper['hosain_bc_accuracy'] - paper['hosain_ac_accuracy'])} "
             "(Hosain et al.)",
             f"**{_points(clean['difference'])}** (95% CI by actor "
             f"{_points_ci(clean['ci95_by_actor'])}){other_seeds(NOISE_FREE, clean['snr_db'])}",
             made["grid"])]
    for kind, snr_db in _noise_rows(conditions):
        r = _condition(conditions, kind, snr_db)
        rows.append((f"P3 accuracy, {condition_label(kind, snr_db)} (added before BC)", "—",
                     f"BC {r['bc']:.1%}, AC {r['ac']:.1%}; BC − AC {_points(r['difference'])} "
                     f"(95% CI by actor {_points_ci(r['ci95_by_actor'])})"
                     f"{other_seeds(kind, snr_db)}", made["grid"]))
    return rows


def _ece_row(summary: dict, made: dict) -> tuple:
    """The calibration error of P1, P2 and pooled P3 BC."""
    runs = summary["runs"]
    return ("ECE (10 bins)", "—", f"P1 {runs['p1-bc-fold0']['ece']:.3f}, P2 "
            f"{runs['p2-bc-fold0']['ece']:.3f}, P3 BC "
            f"{summary['p3']['bc']['calibration']['ece']:.3f}", f"{made['seed']} · {made['where']}")


def _smoothing_row(smoothing: dict, made: dict) -> tuple:
    """Label smoothing 0.1 against none: accuracy, ECE and log loss."""
    a, b = smoothing["smoothed"], smoothing["plain"]
    return (f"label smoothing 0.1 vs 0, P3 BC ({_folds(smoothing['folds'])} pooled)", "—",
            f"accuracy {a['accuracy']:.1%} vs {b['accuracy']:.1%}; ECE "
            f"{a['calibration']['ece']:.3f} vs {b['calibration']['ece']:.3f}; log loss "
            f"{a['log_loss']:.3f} vs {b['log_loss']:.3f}; {a['n']:,} clips",
            f"P3, {made['seed']} · {made['where']}")
