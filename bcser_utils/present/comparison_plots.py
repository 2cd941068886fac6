"""Figures that compare runs: protocols (what training already heard, and the accuracy each
reports), AC against BC (per actor, per seed, under noise), classical baselines, the recipes of
the ablation, and adapting to a speaker from few clips.

Each takes a study's summary (``beyond.summarize``, ``generalize.summarize``) or tables made from
it and returns a matplotlib Figure; ``style.save_fig`` saves it.

Notebook: 08_beyond_the_paper, 09_towards_unseen_speakers.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bcser_utils.present.formatting import NOISE_FREE, condition_label
from bcser_utils.present.style import (
    BLUE,
    GREY,
    LEAK_COLORS,
    ORANGE,
    RECIPE_COLORS,
    RED,
    REFERENCE_COLORS,
    SEED_COLORS,
    SEX_COLORS,
    SIGNAL_COLORS,
)

CHANCE, HOSAIN, PAPER = (REFERENCE_COLORS[k] for k in ("chance", "hosain", "paper"))


def _interval(ax, x, value, ci, color, **kw):
    if ci is not None:
        ax.errorbar([x], [value], yerr=[[value - ci[0]], [ci[1] - value]], fmt="o",
                    color=color, ms=8, capsize=5, lw=2, zorder=3, **kw)


def protocol_ladder(summary: dict) -> plt.Figure:
    """Left: how much of each protocol's evaluation set the model has (nearly) heard in training.
    Right: the accuracy each protocol reports, with its 95% interval resampling actors, and one
    dot per actor. Notebook: 08_beyond_the_paper."""
    leak = {row["protocol"]: row for row in summary["leakage"]}
    runs = {r["protocol"]: r for r in summary["runs"].values()
            if r["signal"] == "bc" and r["label_smoothing"] == 0.1 and r["protocol"] != "P3"}
    pooled = summary["p3"]["bc"]
    protocols = ["P1", "P2", "P3"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2),
                                      gridspec_kw={"width_ratios": [1, 1.3]})
    y = range(len(protocols))
    for offset, key, label, color in ((-0.18, "sibling_fraction",
                                       "another version of the same recording",
                                       LEAK_COLORS["sibling"]),
                                      (0.18, "actor_fraction", "the same actor",
                                       LEAK_COLORS["actor"])):
        values = [leak[p][key] for p in protocols]
        left.barh([i + offset for i in y], values, height=0.34, color=color, label=label)
        for i, v in zip(y, values, strict=True):
            left.text(v + 0.02, i + offset, f"{v:.0%}", va="center", fontsize=9)
    left.set(yticks=list(y), xlim=(0, 1.18), xlabel="share of the evaluated clips",
             title="What training already heard")
    left.set_yticklabels([f"{p}\n{leak[p]['clips']:,} {leak[p]['evaluated_on']} clips"
                          for p in protocols])
    left.invert_yaxis()
    left.legend(loc="lower right", fontsize=8, title="training holds…", title_fontsize=8)
    for x, protocol in enumerate(protocols):
        r = pooled if protocol == "P3" else runs.get(protocol)
        if r is None:
            continue
        per_actor = list(r["per_actor_accuracy"].values())
        jitter = np.linspace(-0.12, 0.12, len(per_actor))
        right.scatter(x + jitter, per_actor, s=14, color=GREY, zorder=2,
                      label="one actor" if x == 0 else None)
        _interval(right, x, r["accuracy"], r.get("ci95_by_actor") or r["ci95"], BLUE)
        right.annotate(f"{r['accuracy']:.1%}", (x + 0.16, r["accuracy"]), va="center",
                       fontsize=10, weight="bold")
    right.axhline(summary["paper"]["p1_accuracy"], color=PAPER, ls="--", lw=1)
    right.text(2.45, summary["paper"]["p1_accuracy"], "paper (P1)", color=PAPER,
               va="bottom", ha="right", fontsize=8)
    right.axhline(1 / 8, color=CHANCE, ls=":", lw=1)
    right.text(2.45, 1 / 8, "chance", color=CHANCE, va="bottom", ha="right", fontsize=8)
    folds = f"{len(summary['folds'])} of {summary['n_folds']} folds"
    right.set(xticks=range(3), ylim=(0, 1.02), ylabel="accuracy", xlim=(-0.5, 2.5),
              title="Same model, same recipe, three protocols")
    right.set_xticklabels(["P1 (paper)\naugment,\nthen split", "P2\nsplit,\nthen augment",
                           f"P3\nunseen actors\n({folds})"])
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def ac_bc_actors(summary: dict) -> plt.Figure:
    """Each actor's P3 accuracy (as a test actor) with the AC-trained model against the
    BC-trained one, and the paired BC − AC difference with its 95% interval.
    Notebook: 08_beyond_the_paper."""
    ac, bc = summary["p3"]["ac"], summary["p3"]["bc"]
    actors = sorted(set(ac["per_actor_accuracy"]) & set(bc["per_actor_accuracy"]), key=int)
    x = [ac["per_actor_accuracy"][a] for a in actors]
    y = [bc["per_actor_accuracy"][a] for a in actors]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 4.3),
                                      gridspec_kw={"width_ratios": [1, 1.2]})
    left.plot([0, 1], [0, 1], color="0.5", ls="--", lw=1)
    for a, xa, ya in zip(actors, x, y, strict=True):
        left.scatter(xa, ya, color=SEX_COLORS["male" if int(a) % 2 else "female"], s=30, zorder=3)
        left.annotate(f"{int(a):02d}", (xa, ya), xytext=(3, 3), textcoords="offset points",
                      fontsize=7)
    low = min(x + y) - 0.05
    left.set(xlim=(low, 1), ylim=(low, 1), xlabel="accuracy, AC-trained model",
             ylabel="accuracy, BC-trained model",
             title="Each test actor (blue male, red female)")
    left.text(0.97, low + 0.02, "above the line: BC better", ha="right", fontsize=8,
              color="0.3")
    rows = summary["ac_vs_bc"]
    labels = [condition_label(r["kind"], r["snr_db"]) for r in rows]
    for i, r in enumerate(rows):
        low_, high_ = r["ci95_by_actor"]
        right.errorbar([r["difference"]], [i], xerr=[[r["difference"] - low_],
                                                     [high_ - r["difference"]]],
                       fmt="o", capsize=4,
                       color=SIGNAL_COLORS["bc"] if r["kind"] != NOISE_FREE else "k")
    right.axvline(0, color="0.4", lw=1)
    hosain = summary["paper"]["hosain_bc_accuracy"] - summary["paper"]["hosain_ac_accuracy"]
    right.axvline(hosain, color=HOSAIN, ls="--", lw=1)
    right.text(hosain, len(rows) - 0.4, " Hosain et al.", color=HOSAIN, fontsize=8)
    right.set(yticks=range(len(rows)), xlabel="BC − AC accuracy (95% CI, resampling actors)",
              title="Does synthetic BC help? Paired, same clips")
    right.set_yticklabels(labels)
    right.invert_yaxis()
    fig.tight_layout()
    return fig


def seed_differences(summary: dict) -> plt.Figure:
    """BC − AC under P3 (paired, 95% interval resampling actors) in every condition, once per seed
    of the grid: a difference that changes sign from seed to seed is not a finding.
    Notebook: 08_beyond_the_paper."""
    replicates = summary["seeds"]
    conditions = [(r["kind"], r["snr_db"]) for r in replicates[0]["ac_vs_bc"]]
    offsets = np.linspace(-0.25, 0.25, len(replicates)) if len(replicates) > 1 else [0.0]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(conditions) + 1.4))
    for offset, replicate, color in zip(offsets, replicates, SEED_COLORS, strict=False):
        rows = {(r["kind"], r["snr_db"]): r for r in replicate["ac_vs_bc"]}
        for i, key in enumerate(conditions):
            r = rows[key]
            low, high = r["ci95_by_actor"]
            ax.errorbar([r["difference"]], [i + offset], xerr=[[r["difference"] - low],
                                                              [high - r["difference"]]],
                        fmt="o", ms=4, color=color, capsize=3,
                        label=f"seed {replicate['seed']}" if i == 0 else None)
    ax.axvline(0, color="0.4", lw=1)
    hosain = summary["paper"]["hosain_bc_accuracy"] - summary["paper"]["hosain_ac_accuracy"]
    ax.axvline(hosain, color=HOSAIN, ls="--", lw=1)
    ax.text(hosain, len(conditions) - 0.55, " Hosain et al. (clean)",
            color=HOSAIN,
            fontsize=8)
    n_folds, n_seeds = len(replicates[0]["folds"]), len(replicates)
    ax.set(yticks=range(len(conditions)),
           xlabel="BC − AC accuracy, paired (95% CI, resampling actors)",
           title=f"P3, {n_folds} fold{'s' * (n_folds > 1)} pooled: the same grid with "
                 f"{n_seeds} seed{'s' * (n_seeds > 1)}")
    ax.set_yticklabels([condition_label(kind, snr) for kind, snr in conditions])
    ax.invert_yaxis()
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def snr_curves(summary: dict) -> plt.Figure:
    """Accuracy against SNR for the AC- and BC-trained models, one panel per noise kind, with
    95% intervals resampling actors; the clean accuracy sits at the left. Notebook: 08."""
    rows = summary["ac_vs_bc"]
    clean = next(r for r in rows if r["kind"] == NOISE_FREE)
    kinds = [k for k in dict.fromkeys(r["kind"] for r in rows) if k != NOISE_FREE]
    fig, axes = plt.subplots(1, len(kinds), figsize=(5.2 * len(kinds), 4), sharey=True,
                             squeeze=False)
    for ax, kind in zip(axes[0], kinds, strict=True):
        part = sorted((r for r in rows if r["kind"] == kind), key=lambda r: -r["snr_db"])
        snrs = [r["snr_db"] for r in part]
        clean_x = max(snrs) + 8
        for signal in ("ac", "bc"):
            xs = [clean_x, *snrs]
            values = [clean[signal], *(r[signal] for r in part)]
            cis = [clean[f"{signal}_ci95_by_actor"], *(r[f"{signal}_ci95_by_actor"]
                                                      for r in part)]
            color = SIGNAL_COLORS[signal]
            ax.plot(xs, values, "o-", color=color, label=f"{signal.upper()}-trained model")
            ax.fill_between(xs, [c[0] for c in cis], [c[1] for c in cis], color=color,
                            alpha=0.15)
        ax.axhline(1 / 8, color=CHANCE, ls=":", lw=1)
        ax.set(xticks=[clean_x, *snrs], xlim=(clean_x + 3, min(snrs) - 3),
               xlabel="SNR of the noise added to the microphone signal (dB)",
               title=f"{kind.replace('_', '-')} noise", ylim=(0, None))
        ax.set_xticklabels(["clean", *(f"{s:g}" for s in snrs)])
    axes[0, 0].set_ylabel("P3 test accuracy")
    axes[0, 0].legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    return fig


def baselines(rows: pd.DataFrame, chance: float = 1 / 8) -> plt.Figure:
    """P3 test accuracy of each classical baseline (rows: label, signal, accuracy, low, high),
    with its interval resampling actors."""
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(rows) + 1.4))
    for i, r in enumerate(rows.itertuples(index=False)):
        colour = SIGNAL_COLORS[r.signal]
        ax.barh(i, r.accuracy, color=colour, alpha=0.35)
        ax.errorbar([r.accuracy], [i], xerr=[[r.accuracy - r.low], [r.high - r.accuracy]],
                    fmt="o", color=colour, capsize=4)
        ax.text(r.high + 0.01, i, f"{r.accuracy:.1%}", va="center", fontsize=9)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows["label"])
    ax.axvline(chance, color=CHANCE, ls=":", lw=1)
    ax.text(chance, -0.6, " chance", color=CHANCE, fontsize=8, va="bottom")
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="P3 test accuracy, all folds pooled (95% CI by actor)",
           title="The classical baseline on unseen actors: eGeMAPS functionals + a linear model")
    fig.tight_layout()
    return fig


def ablation(summary: dict, references: dict[str, float] | None = None) -> plt.Figure:
    """Left: each change's gain over the paper's recipe on the early-stopping actors, the only
    numbers the selection reads (one dot per seed; the bar is the gain the rule read, over its
    seeds, ``summary["selection"]["val_gains"]``, else the mean of the dots).
    Right: the same runs on the test actors, looked at after the choice (accuracy per seed with
    its interval by actor).
    ``references``: vertical lines on the right, e.g. the classical baseline."""
    recipes = summary["recipes"]
    names = [n for n in recipes if n != "paper"]
    names = ["paper", *sorted(names, key=lambda n: -recipes[n].get("val_gain", -1))]
    chosen = set(summary["selection"]["chosen"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 0.42 * len(names) + 1.8), sharey=True,
                                      gridspec_kw={"width_ratios": [1, 1.25]})
    for i, name in enumerate(names):
        r = recipes[name]
        gains = [100 * d["val"]["difference"] for d in r.get("vs_paper", {}).values()]
        if gains:
            colour = RECIPE_COLORS["chosen" if name in chosen else "other"]
            read = summary["selection"].get("val_gains", {}).get(name)
            left.barh(i, np.mean(gains) if read is None else 100 * read, color=colour, alpha=0.5)
            left.plot(gains, [i] * len(gains), "o", color=colour, ms=4)
        for k, (_, s) in enumerate(sorted(r["test"].items())):
            y = i + (k - (len(r["test"]) - 1) / 2) * 0.22
            ci = s.get("accuracy_ci95_by_actor")
            right.errorbar([100 * s["accuracy"]], [y], xerr=None if ci is None else
                           [[100 * (s["accuracy"] - ci[0])], [100 * (ci[1] - s["accuracy"])]],
                           fmt="o", ms=4, capsize=2, lw=1,
                           color=RECIPE_COLORS["test" if name != "paper" else "paper"])
    left.axvline(0, color="k", lw=0.8)
    left.axvline(100 * summary["selection"]["threshold"], color=RECIPE_COLORS["chosen"], ls="--",
                 lw=1,
                 label="the rule's threshold, +1 point")
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
    left.set(yticks=range(len(names)),
             xlabel="gain over the paper's recipe on the early-stopping actors (points)",
             title="What the selection reads (green: chosen; bar: seeds "
                   f"{', '.join(map(str, summary['selection'].get('seeds', [])))})")
    left.set_yticklabels(names)
    left.invert_yaxis()
    paper_test = np.mean([s["accuracy"] for s in recipes["paper"]["test"].values()])
    right.axvline(100 * paper_test, color=RECIPE_COLORS["paper"], ls=":", lw=1,
                  label="the paper's recipe")
    for (label, value), colour in zip((references or {}).items(), (ORANGE, RED, GREY),
                                      strict=False):
        right.axvline(100 * value, color=colour, ls="--", lw=1.2, label=label)
    right.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False,
                 ncol=2)
    right.set(xlabel="test accuracy (%), 5 folds pooled (one dot per seed, 95% CI by actor)",
              title="The same runs on the test actors, after the choice")
    fig.tight_layout()
    return fig


def adaptation(curve: pd.DataFrame, alone: float | None = None) -> plt.Figure:
    """Accuracy against the number of a speaker's clips its statistics come from (one dot per
    random draw, the line through their means); ``alone``: each clip normalised by itself."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    draws = curve[~curve["all"]]
    ax.plot(draws["clips"], draws["accuracy"], "o", color=BLUE, alpha=0.35, ms=4)
    means = draws.groupby("clips")["accuracy"].mean()
    every = curve[curve["all"]]
    xs = [*means.index, *every["clips"]]
    ax.plot(xs, [*means.to_numpy(), *every["accuracy"]], "-o", color=BLUE, lw=2,
            label="statistics from k clips of the speaker")
    if alone is not None:
        ax.axhline(alone, color=SIGNAL_COLORS["bc"], ls="--", lw=1.2, label="each clip on its own")
    ax.set_xscale("log", base=2)
    ax.set(xlabel="clips of the speaker (k)", ylabel="accuracy on the speaker's clips",
           title="How many clips a speaker's statistics need")
    ax.set_xticks(xs)
    ax.set_xticklabels([str(int(x)) for x in xs])
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
