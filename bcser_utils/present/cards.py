"""Model cards (Markdown): one trained run's (``model_card``) and ``predict``'s default model's
(``default_card``).

A card says what THIS model used and measured, read from the summary it is rendered from: the
features, the versions of each recording, the actors it was tested and stopped on, every number.
What a summary does not hold, a card does not claim; the only other numbers are the config's
constants (the 8 emotions, the filter's reference rate, the clip window) and the data's licence
and citation below. A result that other code than today's made says so (``staleness``): the note
on top and a mark on every line that quotes one of its intervals.

Notebook: 07_evaluation (a run's card), 09_towards_unseen_speakers (the default's).
"""

from __future__ import annotations

from bcser_utils import config, provenance
from bcser_utils.present.formatting import interval, percent
from bcser_utils.present.generalize_tables import deep_models, seed_list
from bcser_utils.present.staleness import marked, stale_lines, stale_mark

DATA_LICENCE = "CC BY-NC-SA 4.0"
CITATION = "Livingstone & Russo (2018), PLoS ONE 13(5): e0196391"
FEATURE_NAMES = {"logmel": "log-mel", "mfcc": "MFCC (with deltas)", "prosody": "prosodic",
                 "logmel+prosody": "log-mel and prosodic", "egemaps": "eGeMAPS"}  # features.KINDS


def versions_made(n: int, transforms: list[str] | None = None) -> str:
    """Which versions of each recording ``n`` versions are, as ``augment.versions`` makes them:
    the original, then the single Table II transforms in registry order, then random chains.

    Parameters
    ----------
    n : int
        Versions per recording (``augment.n_versions`` of the run).
    transforms : list of str, optional
        The transforms' names in registry order (default ``augment.TRANSFORMS``).

    Returns
    -------
    str
        e.g. "the original and 4 single augmentations (time_stretch, speed_perturbation,
        time_shift, time_mask)".
    """
    if transforms is None:
        from bcser_utils.audio import augment  # its libraries load only when a card is made

        transforms = list(augment.TRANSFORMS)
    singles, chains = transforms[:max(n - 1, 0)], max(n - 1 - len(transforms), 0)
    if not singles:
        return "the original only"
    named = ("all " if len(singles) == len(transforms) else "") + \
        f"{len(singles)} single augmentation{'s' * (len(singles) > 1)} ({', '.join(singles)})"
    if not chains:
        return f"the original and {named}"
    return f"the original, {named} and {chains} random chain{'s' * (chains > 1)}"


def _features(summary: dict) -> str:
    """How the run's input became features, as its summary records them (``pipeline.summary``'s
    "features": the kind, or the whole ``config.Features`` section with its rate and window)."""
    recorded = summary.get("features")
    section = recorded if isinstance(recorded, dict) else {"kind": recorded}
    kind, rate, window = (section.get(k) for k in ("kind", "sample_rate", "max_duration_s"))
    if not kind:
        return ("resampled and turned into features over a fixed window (which features, this "
                "summary does not record: the checkpoint holds them)")
    return (f"resampled{f' to {rate / 1000:g} kHz' if rate else ''} and turned into "
            f"{FEATURE_NAMES.get(kind, kind)} features over a fixed "
            f"{f'{window:g} s ' if window else ''}window")


def _actors(actors) -> str:
    return ", ".join(f"{int(a):02d}" for a in actors)


def model_card(summary: dict, command: str, date: str) -> str:
    """A model card (Markdown) for a trained run.

    Parameters
    ----------
    summary : dict
        The run's ``metrics.json`` (``pipeline.summary``): its protocol and split, data, features,
        versions, epochs, metrics with confidence intervals, and provenance.
    command : str
        The command that trained it.
    date : str
        When.

    Returns
    -------
    str
        Markdown: what the model does, data, protocol, metrics, known limits and licence.

    Notebook: 07_evaluation.
    """
    top = "".join(f"{line}\n" for line in stale_lines(summary))  # the note, a blank line
    return "\n\n".join([
        f"# Model card: bcser attention CNN–Transformer ({summary['protocol']}, "
        f"{summary['signal'].upper()})",
        top + _what_it_does(summary),
        _data(summary),
        _protocol(summary),
        f"**Command.** `{command}` ({date})",
        f"**Code.** {_code(summary)}",
        _results(summary),
        _run_limits(summary),
        _run_licence(),
    ])


def _held_out(summary: dict) -> bool:
    """Whether the run was evaluated on actors it never heard (protocol P3)."""
    return summary["protocol"] == "P3"


def _evaluated(summary: dict) -> list[str]:
    """The actors the run was evaluated on, in order."""
    return sorted(summary["metrics"]["per_actor_accuracy"], key=int)


def _what_it_does(summary: dict) -> str:
    """The card's first paragraph: the emotions, the signal and the features."""
    cfg = config.get_config()
    signal = ("synthetic bone-conducted speech: the input is mixed to mono, passed through the "
              f"paper's BC filter (defined at {cfg.bc.reference_rate / 1000:g} kHz)"
              if summary["signal"] == "bc" else "air-conducted speech: the input is mixed to mono")
    return (f"**What it does.** Classifies one speech clip into the {len(cfg.emotions)} RAVDESS "
            f"emotions\n({', '.join(cfg.emotions)}) from {signal}, {_features(summary)}.")


def _data(summary: dict) -> str:
    """The data paragraph: the corpus, and the clips and versions training used."""
    versions = summary.get("versions", config.Augment().n_versions)  # older summaries: the paper's
    return (f"**Data.** {summary['source'].removeprefix('Data: ')}.\n"
            "Acted, studio-quality North-American English: two fixed sentences spoken by "
            "professional actors.\n"
            f"Training used {summary['n_train']} clips (each recording × {versions}\n"
            f"versions: {versions_made(versions)}).")


def _protocol(summary: dict) -> str:
    """The protocol paragraph: the split, whether it is speaker-independent, seed and epochs."""
    split = summary.get("actors", {})  # {"val": [...], "test": [...]} when the summary has it
    if _held_out(summary):
        kind = ("speaker-independent: no test actor was heard in training"
                + (f"; early stopping used actors {_actors(split['val'])}" if "val" in split
                   else ", and early stopping used separate actors"))
    else:
        kind = ("not speaker-independent: the evaluated clips' actors were heard in training"
                + (", and other versions of the same recordings too"
                   if summary["protocol"] == "P1" else ""))
    epochs = (f"Best epoch {summary['best_epoch']} of {summary['stopped_epoch']}" +
              (f"; {summary['seconds_per_epoch']:.0f} s per epoch on the machine that trained it."
               if summary.get("seconds_per_epoch") else "."))
    return (f"**Protocol.** {summary['description']} ({kind}). Seed {summary['seed']}, mode\n"
            f"{summary['mode']}.\n{epochs}")


def _code(summary: dict) -> str:
    """The code that made the run: its commit and fingerprints, if the summary recorded them."""
    stamp = summary.get("provenance")
    if not stamp:
        return "not recorded (made before results recorded their code)"
    return (f"{provenance.commit_words(stamp['commit'])}; fingerprints " +
            ", ".join(f"{part} {value}" for part, value in stamp["code"].items()) +
            " (bcser_utils.provenance)")


def _results(summary: dict) -> str:
    """The results section: where it was evaluated, the metrics, per actor and per emotion."""
    m, mark, evaluated = summary["metrics"], stale_mark(summary), _evaluated(summary)
    if _held_out(summary):
        tested = summary.get("actors", {}).get("test", evaluated)
        where = f"the held-out test actors {_actors(tested)}"
    else:
        where = f"the {summary['evaluated_on']} clips (actors {_actors(evaluated)})"
    clips = "clips" if summary["protocol"] == "P1" else "original clips"
    by_actor = m.get("ci95_by_actor", {}).get("accuracy")
    by_actor_line = (marked(f"Accuracy interval resampling whole actors: {by_actor[0]:.3f}–"
                            f"{by_actor[1]:.3f}.", mark) if by_actor else "")
    actors = ", ".join(f"{int(a):02d}: {m['per_actor_accuracy'][a]:.2f}" for a in evaluated)
    emotions = config.get_config().emotions
    return f"""## Results on {where} ({summary['n_evaluated']} {clips})

{_metrics_table(m, mark)}

{by_actor_line}
Accuracy per evaluated actor: {actors}. Chance is {1 / len(emotions):.3f}.

{_per_emotion_table(m['report'], emotions)}"""


def _metrics_table(m: dict, mark: str | None) -> str:
    """The metrics with their intervals by clip; a stale result's intervals carry its mark."""
    ci = m["ci95"]

    def row(metric, label):
        span = f"{ci[metric][0]:.3f}–{ci[metric][1]:.3f}" if metric in ci else ""
        return f"| {marked(label, mark if span else None)} | {m[metric]:.3f} | {span} |"

    return f"""| metric | value | 95% CI (clips) |
|---|---|---|
{row('accuracy', 'accuracy')}
{row('balanced_accuracy', 'balanced accuracy')}
{row('mcc', 'MCC')}
| macro mean IoU | {m['mean_iou']:.3f} | |
| log loss (multi-class) | {m['log_loss_overall']:.3f} | |
| ECE (10 bins) | {m['calibration']['ece']:.3f} | |"""


def _per_emotion_table(scores: dict, emotions) -> str:
    """Precision, recall, F1 and support of each emotion (sklearn's classification report)."""
    return "| emotion | precision | recall | F1 | support |\n|---|---|---|---|---|\n" + "\n".join(
        f"| {e} | {scores[e]['precision']:.2f} | {scores[e]['recall']:.2f} | "
        f"{scores[e]['f1-score']:.2f} | {int(scores[e]['support'])} |" for e in emotions)


def _run_limits(summary: dict) -> str:
    """The run card's known limits, the first one about who it was evaluated on."""
    if _held_out(summary):
        limit = (f"- {len(_evaluated(summary))} test actors give a wide interval; one fold is one "
                 "draw of speakers. Notebook 08 reports all folds.")
    else:
        limit = ("- The evaluated clips share their actors with training: this accuracy is not "
                 "what a new speaker gets (protocol P3 measures that; notebook 08).")
    return f"""## Known limits
{limit}
- Acted emotions in two sentences: expect much lower accuracy on spontaneous speech, other
  languages, other microphones and noisy rooms.
- The BC signal is *synthetic* (a first-order low-pass); real bone-conduction microphones differ.
- Not for decisions about people: emotion recognition from voice is unreliable and sensitive."""


def _run_licence() -> str:
    """The run card's licence section: the weights inherit the data's terms."""
    return f"""## Licence
Model weights: trained on RAVDESS, licensed {DATA_LICENCE} (non-commercial, share-alike), so these
weights are shared under the same terms. Cite {CITATION},
and the paper this course reproduces (Shad et al.).
"""


def default_card(summary: dict, files: list[str] | None = None) -> str:
    """The model card of ``predict``'s default model (Markdown), from notebook 09's study.

    Parameters
    ----------
    summary : dict
        The study's summary with its "final" part (``results/generalize-full.json``).
    files : list of str, optional
        What ``default.json`` names.

    Returns
    -------
    str
        Markdown: what the model is, how to use it, its expected accuracy on a new speaker (every
        number from ``summary``), known limits and the data's licence.

    Notebook: 09_towards_unseen_speakers.
    """
    top = "".join(f"{line}\n" for line in stale_lines(summary))  # the note, a blank line
    mark = stale_mark(summary)
    return "\n\n".join([
        "# Model card: `predict`'s default model",
        top + _what_it_is(summary["final"], files or ["bcser_default.pt",
                                                      "bcser_default_egemaps.pt"]),
        _how_to_use(summary["final"]),
        _expected_accuracy(summary),
        _accuracy_table(summary["final"], mark),
        _what_the_numbers_are(summary, mark),
        _default_limits(summary["final"]),
        f"**Data licence.** RAVDESS ({CITATION}), {DATA_LICENCE}: non-commercial use, with "
        "attribution;\nthe weights derive from it.\n",
    ])


def _what_it_is(final: dict, files: list[str]) -> str:
    """What the default is: the fusion's weight, the deep recipe and the baseline, and its files."""
    chosen, seeds = final["default"], final["default"].get("deep_seeds", [0])
    overrides = final["recipe"]["overrides"]
    n_versions = overrides.get("augment.n_versions", config.Augment().n_versions)
    features = overrides.get("features.kind", config.Features().kind)
    made = (f"{FEATURE_NAMES.get(features, features)} features of {n_versions} "
            f"version{'s' * (n_versions > 1)} of each recording: {versions_made(n_versions)}")
    refit = (f"the deep model{'s' if len(seeds) > 1 else ''} for {final['refit_epochs']} epochs "
             "(the median best epoch of its P3 folds)" if "refit_epochs" in final else
             f"the deep model{'s' if len(seeds) > 1 else ''}")
    listed, model = ", ".join(f"`{f}`" for f in files), chosen["model"]
    return f"""**What it is.** The {model} that notebook 09's study chose on the early-stopping
actors: late fusion, weight {chosen['weight']:g} on the deep model
({final['recipe']['description']}; {_seeds(seeds)}; {made}) and
{1 - chosen['weight']:g} on the classical baseline ({chosen['baseline']}: eGeMAPS functionals,
standardised per speaker, scikit-learn). All were refitted on every development actor: {refit},
the baseline on every original clip. Files: {listed}, `default.json`."""


def _how_to_use(final: dict) -> str:
    """How to call it: clips of one speaker, whose statistics adapt the models; or one by one."""
    adapts = ("Both models standardise the speaker's features with that speaker's own statistics"
              if final["recipe"]["overrides"].get("normalize.mode") == "speaker" else
              "The baseline standardises the speaker's features with that speaker's own "
              "statistics (the deep model keeps its training statistics)")
    usage = "`python -m bcser_utils predict --same-speaker a.wav b.wav c.wav d.wav …`"
    least = config.get_config().normalize.min_speaker_clips
    return f"""**How to use it.** {usage}: clips
of ONE speaker (at least {least}; more is better, notebook 09). {adapts},
without labels (transductive adaptation); then the two models' probabilities are averaged with
the weight above. `predict` on files one by one has no speaker statistics: it uses the model that
did best on the early-stopping actors one clip at a time ({final['single_clip']['recipe']};
`default.json` names the file)."""


def _expected_accuracy(summary: dict) -> str:
    """How the accuracy on a new speaker was estimated: P3's folds, pooled, intervals by actor."""
    emotions, tested = config.get_config().emotions, summary["final"]["fusion"]["test"]
    actors, source = tested.get("actors"), summary["source"].removeprefix("Data: ")
    return f"""**Expected accuracy on a speaker never heard** ({len(emotions)} emotions, chance
{percent(1 / len(emotions))}), estimated under P3: actor-disjoint folds of {source}; the fold
models (trained without the test actors) predicted their test actors' original clips, pooled over
the folds ({tested['n']} clips{f' of {actors} actors' if actors else ''}); 95% intervals resample
whole actors."""


def _accuracy_table(final: dict, mark: str | None) -> str:
    """The fusion, each of its models alone, and the one-clip model on the test actors."""
    fusion, single = final["fusion"], final["single_clip"]

    def line(what, s):
        return (f"| {marked(what, mark)} | {percent(s['accuracy'])} | "
                f"{interval(s['accuracy_ci95_by_actor'])} | {percent(s['balanced_accuracy'])} | "
                f"{percent(s['macro_f1'])} |")

    return f"""| what | accuracy | 95% CI (by actor) | balanced accuracy | macro-F1 |
|---|---|---|---|---|
{line("fusion, `--same-speaker` (the default)", fusion["test"])}
{line("deep model alone", fusion["deep_test"])}
{line("classical baseline alone, speaker-standardised", fusion["baseline_test"])}
{line(f"one clip at a time: {single['recipe']} recipe", single["test"])}"""


def _what_the_numbers_are(summary: dict, mark: str | None) -> str:
    """What the table's numbers estimate, the fusion's paired gain, and the command behind them."""
    final = summary["final"]
    actors = final["fusion"]["test"].get("actors")
    saw = f"all {actors}" if actors else "all the"
    gain = _fusion_gain(final["fusion"]["minus_baseline"], mark)
    made = f"`{summary['command']}` ({summary['date']})"
    return f"""The refitted models saw {saw} actors, so these numbers
estimate them; they are not measured on them, with {deep_models(final)}, as shipped
({_other_seeds(final)}).
{gain} Produced by {made}; every number is in the study's
summary (`results/generalize-full.json`)."""


def _fusion_gain(gap: dict, mark: str | None) -> str:
    """The fusion minus the baseline on the same clips, and whether it held on the test actors."""
    verdict = ("better on the test actors too, though it was chosen on the early-stopping actors"
               if gap["ci95"][0] > 0 else "the fusion won on the early-stopping actors, not "
               "clearly on the test actors")
    return marked(f"Fusion minus baseline on the same clips: {100 * gap['difference']:+.1f} points "
                  f"(95% CI {100 * gap['ci95'][0]:+.1f} to {100 * gap['ci95'][1]:+.1f}): "
                  f"{verdict}.", mark)


def _default_limits(final: dict) -> str:
    """The default's known limits: acted speech, a synthetic BC signal, speaker statistics."""
    actors = final["fusion"]["test"].get("actors")
    who = f"{actors} " if actors else ""
    return f"""**Known limits.** Acted speech of {who}North-American actors (two
sentences), read in a studio: real conversations, other languages and other microphones will do
worse. The BC signal is synthetic (a first-order IIR filter on air-conducted speech), not a
bone-conduction sensor. {_adaptation(final)}The models subtract the speaker's average, so
they assume the clips span the speaker's range of emotions, as RAVDESS's do: clips of one or two
emotions become the speaker's "average" and can be predicted as something else."""


def _adaptation(final: dict) -> str:
    """What notebook 09 measured of speaker statistics from few clips, if the summary has it:
    the accuracy over the random draws of the fewest clips, and with every clip of the speaker."""
    rows = final.get("adaptation") or []
    draws = [r for r in rows if not r["all"]]
    every = [r["accuracy"] for r in rows if r["all"]]
    if not draws or not every:
        return ""
    fewest = min(r["clips"] for r in draws)
    at = [r["accuracy"] for r in draws if r["clips"] == fewest]
    spread = percent(min(at)) if len(at) == 1 else f"{percent(min(at))} to {percent(max(at))}"
    recipe = final.get("adaptation_recipe", "the chosen")
    return (f"Speaker statistics from few clips are noisy: the {recipe} recipe's fold models got "
            f"{spread} of their test actors' clips right with statistics from {fewest} clips of "
            f"each speaker (random draws), {percent(max(every))} with all of them. ")


def _seeds(seeds) -> str:
    if len(seeds) == 1:
        return f"one model, seed {seeds[0]}"
    return f"the mean of {len(seeds)} models, {seed_list(seeds)}"


def _other_seeds(final: dict) -> str:
    """Each seed's deep model alone on the test actors, for the seeds that do not ship alone."""
    tests = final.get("bc", {}).get("test", {})
    shipped = final.get("default", {}).get("deep_seeds", [0])
    others = [f"seed {seed}: {percent(t['accuracy'])}" for seed, t in sorted(tests.items(),
              key=lambda kv: int(kv[0])) if [int(seed)] != shipped]
    return ("each seed's deep model alone, " + ", ".join(others)) if others else "one seed"
