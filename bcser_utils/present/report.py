"""Results rendered for people: the tables, sentences, README rows and model cards.

Every function reads a summary that the package wrote (a dict, as in the committed
``results/*.json``) and returns a pandas DataFrame, Markdown or plain text; nothing here computes
a number that is not already in the summary. Three kinds of summary:

- notebook 09's study (``results/generalize-full.json``): its renderers are ``study_report``;
  ``load_summary`` reads it here;
- notebook 08's grid (``beyond.summarize``, ``results/beyond-full.json``):
  ``headline_table``, ``findings``, ``beyond_readme_table``, and ``condition_label``, the one name
  of a noise condition that tables, sentences and figures share;
- one run (``pipeline.summary``): ``model_card``.

A result that other code than today's made (``provenance.stale_note``) says so wherever it is
quoted: ``stale_lines`` above a table, ``stale_mark`` on each of its rows (``readme_table``) and on
every line of prose that quotes it.

Notebook: 08_beyond_the_paper, 09_towards_unseen_speakers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from bcser_utils import config, provenance


def load_summary(path: str | Path) -> dict:
    """A summary written by ``evaluation.save_json`` (seeds come back as ints)."""
    summary = json.loads(Path(path).read_text())
    for recipe in summary.get("recipes", {}).values():
        for key in ("val", "test", "vs_paper"):
            recipe[key] = {int(seed): value for seed, value in recipe.get(key, {}).items()}
    return summary


def percent(value: float | None) -> str:
    """0.585 → "58.5%"; None → "—"."""
    return "—" if value is None else f"{100 * value:.1f}%"


def interval(ci) -> str:
    """(0.535, 0.637) → "53.5–63.7%"; none → ""."""
    return "" if not ci else f"{100 * ci[0]:.1f}–{100 * ci[1]:.1f}%"


# ---------------------------------------------------------------------------------------------
# Notebook 08: the paper's protocol beside honest ones (a summary of ``beyond.beyond``)

CLEAN = "clean"  # the noise-free condition's kind


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
    clean = _clean(summary["ac_vs_bc"])
    rows.append({"result": f"P3 BC − AC (paired), {folds}",
                 "evaluated on": f"{clean['n']:,} test clips", "accuracy": clean["difference"],
                 "95% CI (clips)": span(clean["ci95"]),
                 "95% CI (actors)": span(clean["ci95_by_actor"]), "ECE": np.nan})
    for replicate in summary.get("seeds", [])[1:]:
        r = _clean(replicate["ac_vs_bc"])
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


def _clean(rows: list[dict]) -> dict:
    return next(r for r in rows if r["kind"] == CLEAN)


def _condition(rows: list[dict], kind: str, snr_db: float) -> dict:
    return next(r for r in rows if r["kind"] == kind and r["snr_db"] == snr_db)


def condition_label(kind: str, snr_db: float) -> str:
    """How a noise condition of a summary is named in every table, sentence and figure."""
    return CLEAN if kind == CLEAN else f"{kind.replace('_', '-')} noise at {snr_db:g} dB"


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
    clean = _clean(rows)
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
        f"{other_seeds(CLEAN, clean['snr_db'])}; Hosain et al. report"
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
    for kind in dict.fromkeys(r["kind"] for r in rows if r["kind"] != CLEAN):
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

    clean = _clean(summary["ac_vs_bc"])
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
                 f"{points_ci(clean['ci95_by_actor'])}){other_seeds(CLEAN, clean['snr_db'])}",
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


def readme_table(summary: dict, rows: list[tuple[str, str, str, str]]) -> str:
    """A README table (Markdown) of rows made from ``summary`` (what, paper, ours, where): when
    other code than today's made it, ``stale_lines`` above it and ``stale_mark`` on every row."""
    mark = stale_mark(summary)
    lines = [*stale_lines(summary), "| what | paper | ours | protocol · mode · command · date |",
             "|---|---|---|---|"]
    return "\n".join(lines + [f"| {a} | {b} | {c} | {d}{f' · *{mark}*' if mark else ''} |"
                               for a, b, c, d in rows])


def stale_lines(summary: dict) -> list[str]:
    """What a rendered table of ``summary`` says first when other code than today's made it
    (``provenance.stale_note``): the note in italics and a blank line; nothing otherwise."""
    note = provenance.stale_note(summary)
    return [f"*{note}*", ""] if note else []


def stale_mark(summary: dict) -> str | None:
    """The few words that every line quoting ``summary`` carries while ``provenance.stale_note``
    has a note for it, the note itself standing once on the page: "made on 2026-11-30, before
    provenance stamps: see note", or "made with commit 1a2b3c4; code changed since: see note";
    None when today's code made it. tests/test_provenance.py checks every page line by line."""
    parts = provenance.changed(summary)  # what stale_note reads: [] is today's code
    if parts == []:
        return None
    if parts is None:
        when = f"on {summary['date']}, " if summary.get("date") else ""
        return f"made {when}before provenance stamps: see note"
    return f"made with commit {summary['provenance'].get('commit') or 'unknown'}; code changed " \
        "since: see note"


# ---------------------------------------------------------------------------------------------
# One run (``pipeline.run_protocol``)


def model_card(summary: dict, command: str, date: str) -> str:
    """A model card (Markdown) for a trained run's ``summary``: data, protocol, metrics with
    confidence intervals, known limits and the data's licence."""
    m = summary["metrics"]
    versions = summary.get("versions", config.Augment().n_versions)  # older summaries: the paper's
    stamp = summary.get("provenance")
    code = ("not recorded (made before results recorded their code)" if not stamp else
            f"commit {stamp['commit'] or 'unknown'}; fingerprints " +
            ", ".join(f"{part} {value}" for part, value in stamp["code"].items()) +
            " (bcser_utils.provenance)")
    made = ("the original, 12 augmentations, 2 chains" if versions == 15 else
            "the original and the first of the 12 augmentations")
    ci, by_actor = m["ci95"], m.get("ci95_by_actor", {}).get("accuracy")
    per_class = "\n".join(
        f"| {e} | {m['report'][e]['precision']:.2f} | {m['report'][e]['recall']:.2f} | "
        f"{m['report'][e]['f1-score']:.2f} | {int(m['report'][e]['support'])} |"
        for e in config.get_config().emotions)
    actors = ", ".join(f"{int(a):02d}: {v:.2f}" for a, v in m["per_actor_accuracy"].items())
    def interval(metric):
        return f"{ci[metric][0]:.3f}–{ci[metric][1]:.3f}"

    by_actor_line = (f"Accuracy interval resampling whole actors: {by_actor[0]:.3f}–"
                     f"{by_actor[1]:.3f}." if by_actor else "")
    name = f"{summary['protocol']}, {summary['signal'].upper()}"
    epochs = (f"Best epoch {summary['best_epoch']} of {summary['stopped_epoch']}; "
              f"{summary['seconds_per_epoch']:.0f} s per epoch on the machine that trained it.")
    return f"""# Model card: bcser attention CNN–Transformer ({name})

**What it does.** Classifies one speech clip into the 8 RAVDESS emotions (neutral, calm, happy,
sad, angry, fearful, disgust, surprised) from synthetic bone-conducted speech: the input is mixed
to mono, passed through the paper's BC filter (defined at 48 kHz), resampled to 16 kHz and turned
into log-mel features over a fixed 4 s window.

**Data.** {summary["source"].removeprefix("Data: ")}.
Acted, studio-quality North-American English: two fixed sentences spoken by professional actors.
Training used {summary['n_train']} clips (each recording × {versions}
versions: {made}).

**Protocol.** {summary['description']} (speaker-independent: no test actor was heard in training,
and early stopping used separate actors). Seed {summary['seed']}, mode {summary['mode']}.
{epochs}

**Command.** `{command}` ({date})

**Code.** {code}

## Results on the held-out test actors ({summary['n_evaluated']} original clips)

| metric | value | 95% CI (clips) |
|---|---|---|
| accuracy | {m['accuracy']:.3f} | {ci['accuracy'][0]:.3f}–{ci['accuracy'][1]:.3f} |
| balanced accuracy | {m['balanced_accuracy']:.3f} | {interval('balanced_accuracy')} |
| MCC | {m['mcc']:.3f} | {ci['mcc'][0]:.3f}–{ci['mcc'][1]:.3f} |
| macro mean IoU | {m['mean_iou']:.3f} | |
| log loss (multi-class) | {m['log_loss_overall']:.3f} | |
| ECE (10 bins) | {m['calibration']['ece']:.3f} | |

{by_actor_line}
Accuracy per test actor: {actors}. Chance is 0.125.

| emotion | precision | recall | F1 | support |
|---|---|---|---|---|
{per_class}

## Known limits
- Four test actors give a wide interval; one fold is one draw of speakers. Notebook 08 reports all
  folds.
- Acted emotions in two sentences: expect much lower accuracy on spontaneous speech, other
  languages, other microphones and noisy rooms.
- The BC signal is *synthetic* (a first-order low-pass); real bone-conduction microphones differ.
- Not for decisions about people: emotion recognition from voice is unreliable and sensitive.

## Licence
Model weights: trained on RAVDESS, licensed CC BY-NC-SA 4.0 (non-commercial, share-alike), so these
weights are shared under the same terms. Cite Livingstone & Russo (2018), PLoS ONE 13(5): e0196391,
and the paper this course reproduces (Shad et al.).
"""
