"""Command line: ``python -m bcser_utils <command>``.

    data check DIR [--json]     validate a RAVDESS folder, decoding every file (exit 1 if a
                                file is bad or none is usable)
    data download [--dir D]     fetch and verify the official archive from Zenodo
    bc IN OUT                   convert one audio file (any rate, any channels) to synthetic BC
    train --protocol P1|P2|P3   train the model under a protocol; writes a run folder
    reproduce [--mode full]     P1 and P3 fold 0 at paper scale, end to end, resumable
    beyond [--mode full]        notebook 08's grid (protocols, AC vs BC, noise, calibration);
           [--seeds S ...]      the P3 AC/BC grid again with further seeds
    generalize [--recipes R …]  notebook 09: recipes on every P3 fold; --final trains the
               [--final] [--refit] [--refit-single]   chosen one, --refit it on every actor,
               [--summary] [--ship]   --summary writes the numbers, --ship the default model
    evaluate RUN [--json]       every metric of the paper for a trained run
    predict FILE... [--json]    the emotion of any audio file (default: bcser_utils/models/
                                default.json);
            [--same-speaker]    the files are one speaker's: adapt to that speaker first
            [--timeline]        a long recording window by window ([--window 4] [--hop 1])
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import signal
import sys
import time
from pathlib import Path

from bcser_utils import config, files, messages
from bcser_utils.audio import audio_input, bc, ravdess
from bcser_utils.learn import splits


class InputError(ValueError):
    """A command's input that it cannot use (a folder, a run's files, an argument): the message
    names it and says why; ``main`` prints it as one line and exits with ``code``."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def _data_check(args) -> int:
    try:
        report = ravdess.validate(args.dir)
    except FileNotFoundError as err:
        raise InputError(str(err), code=2) from None
    print(ravdess.report_json(report) if args.json else report.summary())
    if not report.usable:
        print(f"error: {args.dir} holds no usable RAVDESS speech file", file=sys.stderr)
        return 1
    for path, cause in report.unreadable:
        print(f"error: {path}: {cause}", file=sys.stderr)
    return 1 if report.unreadable else 0


def _data_download(args) -> int:
    if os.environ.get(config.OFFLINE_ENV, "0") == "1":
        raise InputError(f"data download: {config.OFFLINE_ENV}=1 says this machine is offline; "
                         f"unset it to download", code=2)
    try:
        folder = ravdess.download(dest=args.dir)
    except Exception as err:  # network or checksum failure: say which, exit non-zero
        print(f"error: download failed: {err}", file=sys.stderr)
        return 1
    print(ravdess.validate(folder).summary())
    return 0


def _bc(args) -> int:
    from bcser_utils.app import convert

    source, target = Path(args.input), Path(args.output)
    if target.exists() and source.exists() and target.samefile(source):
        raise InputError(f"{target}: refusing to overwrite the input file")
    info = convert.file_to_bc(source, target)  # streamed: any length in bounded memory
    print(f"{messages.display_path(target)}: synthetic BC speech, {info.samplerate} Hz, "
          f"{info.channels} channel(s), {info.frames / info.samplerate:.2f} s")
    return 0


def _run_config(mode: str | None, seed: int | None, versions: int | None) -> config.Config:
    overrides = {"augment.n_versions": versions} if versions is not None else {}
    return config.get_config(mode, overrides={**overrides, **({"mode.seed": seed}
                                                              if seed is not None else {})})


# --- a run folder's files, checked before they are trusted -------------------------------------

_NOT_OURS = "use another --out, or delete the folder"


def _read_json(path: Path):
    """A run's JSON file; an ``InputError`` naming it if it cannot be read."""
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        cause = getattr(err, "strerror", None) or getattr(err, "msg", None) or str(err)
        raise InputError(f"{path}: unreadable ({cause})") from None


def _run_spec(run: Path) -> dict:
    """A run folder's run.json, as ``pipeline.run_protocol`` writes it: a table, its config a
    table of sections; an ``InputError`` naming the file otherwise."""
    path = run / "run.json"
    spec = _read_json(path)
    if not isinstance(spec, dict):
        raise InputError(f"{path}: a JSON {type(spec).__name__}, not the settings train "
                         f"writes; {_NOT_OURS}")
    sections = spec.get("config", {})
    if not isinstance(sections, dict) or not all(isinstance(v, dict) for v in sections.values()):
        raise InputError(f"{path}: its config is not a table of settings; {_NOT_OURS}")
    return spec


def _check_run_folder(run: Path) -> None:
    """What ``train`` finds in its run folder before it reads any of it back: a run.json of
    ours and, beside it, a readable metrics.json."""
    if not run.exists():
        return
    if not run.is_dir():
        raise InputError(f"{run}: not a folder (a run folder holds run.json, model.pt, …)")
    if (run / "run.json").exists():
        _run_spec(run)
    if (run / "metrics.json").exists():
        if not (run / "run.json").exists():
            raise InputError(f"{run / 'metrics.json'}: results without the run.json that says "
                             f"what made them; {_NOT_OURS}")
        if not isinstance(_read_json(run / "metrics.json"), dict):
            raise InputError(f"{run / 'metrics.json'}: not the results train writes; {_NOT_OURS}")


def _is_number(value) -> bool:
    import numbers

    return isinstance(value, numbers.Real) and not isinstance(value, bool)  # numpy's too


def _check_summary(run: Path, summary: dict, asked: dict) -> None:
    """A summary read back from metrics.json: made by the run asked for, and holding what
    ``train`` prints."""
    path = run / "metrics.json"
    differ = [k for k, v in asked.items() if k in summary and summary[k] != v]
    if differ:
        shown = ", ".join(f"{k} = {summary[k]!r} there, {asked[k]!r} now" for k in differ[:3])
        raise InputError(f"{path}: the results of another run ({shown}); {_NOT_OURS}")
    m = summary.get("metrics")
    low_high = (m.get("ci95") or {}).get("accuracy") if isinstance(m, dict) else None
    if not (all(isinstance(summary.get(k), str) for k in ("source", "description",
                                                          "evaluated_on"))
            and isinstance(m, dict) and _is_number(m.get("accuracy"))
            and isinstance(low_high, list | tuple) and len(low_high) == 2
            and all(map(_is_number, low_high)) and _is_number(summary.get("best_epoch"))
            and (summary.get("seconds_per_epoch") is None
                 or _is_number(summary["seconds_per_epoch"]))):
        raise InputError(f"{path}: not the results train writes (no accuracy, interval or best "
                         f"epoch); {_NOT_OURS}")


def _spec_config(path: Path, spec: dict) -> config.Config:
    """The configuration a run.json records, each setting of the type its default has."""
    import dataclasses

    kinds = {"protocol": ("P1", "P2", "P3"), "signal": ("bc", "ac"), "mode": ("quick", "full")}
    for key, allowed in kinds.items():
        if spec.get(key) not in allowed:
            raise InputError(f"{path}: {key} {spec.get(key)!r}, not one of {', '.join(allowed)}")
    fold = spec.get("fold")
    if not isinstance(fold, int) or isinstance(fold, bool) or fold < 0 or \
            not isinstance(spec.get("data"), str):
        raise InputError(f"{path}: fold {fold!r} or data {spec.get('data')!r} is not what train "
                         "writes")
    try:
        cfg = (config.from_dict(spec["config"], spec["mode"]) if "config" in spec  # every setting
               else _run_config(spec["mode"], spec.get("seed"), spec.get("versions")))  # older
    except (TypeError, ValueError, KeyError) as err:  # a setting this version does not have
        raise InputError(f"{path}: its settings do not fit this version of bcser ({err})"
                         ) from None
    for section in dataclasses.fields(cfg):
        part = getattr(cfg, section.name)
        for f in dataclasses.fields(part):
            value, default = getattr(part, f.name), getattr(type(part)(), f.name)
            if value is None and "None" in str(f.type) or default is None:
                continue
            fits = (isinstance(value, bool) if isinstance(default, bool) else
                    _is_number(value) if isinstance(default, float) else
                    isinstance(value, type(default)) and not isinstance(value, bool))
            if not fits:
                expected = {"bool": "true or false", "int": "a whole number", "float": "a number",
                            "str": "a string", "tuple": "a list"}.get(type(default).__name__,
                                                                       type(default).__name__)
                raise InputError(f"{path}: {section.name}.{f.name} = {value!r}, where this "
                                 f"version expects {expected}")
    return cfg


def _train(args) -> int:
    from bcser_utils.learn import pipeline

    cfg = _run_config(args.mode, args.seed, args.versions)
    run = Path(args.out) if args.out else pipeline.run_folder(args.protocol, args.signal, cfg,
                                                              args.fold)
    # The folder is this process's from before it is checked until its results are read back:
    # a second train into it stops at once (files.Claimed) instead of mixing its files with
    # these. Under torchrun the ranks share one run, and rank 0 holds it.
    holder = files.claim(run) if os.environ.get("RANK", "0") == "0" else contextlib.nullcontext()
    with holder:
        _check_run_folder(run)
        try:
            summary = pipeline.run_protocol(cfg, args.protocol, args.fold, args.signal,
                                            args.data, run, max_epochs=args.epochs)
        except pipeline.RunFolderMismatch as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        if not summary:  # a helper process under torchrun: rank 0 reports
            return 0
        _check_summary(run, summary, {"protocol": args.protocol, "signal": args.signal,
                                      "mode": cfg.mode.name, "seed": cfg.mode.seed,
                                      "versions": cfg.augment.n_versions})
    m, per_epoch = summary["metrics"], summary["seconds_per_epoch"]
    print(f"{summary['source']}\n{summary['description']}\n"
          f"{summary['evaluated_on']} accuracy {m['accuracy']:.4f} "
          f"(95% CI {m['ci95']['accuracy'][0]:.4f}–{m['ci95']['accuracy'][1]:.4f}), "
          f"best epoch {summary['best_epoch']}, "
          + (f"{per_epoch:.1f} s/epoch" if per_epoch is not None else "no epoch timed")
          + f"\nrun folder: {messages.display_path(run)}")
    return 0


def _reproduce(args) -> int:
    from bcser_utils.learn import pipeline, runs

    began = time.perf_counter()
    try:
        result = runs.reproduce(args.mode, args.signal, args.data, args.out)
    except pipeline.RunFolderMismatch as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if not result:  # a helper process under torchrun: rank 0 reports
        return 0
    print(result["source"])
    for name, r in result["runs"].items():
        low, high = r["accuracy_ci95"]
        print(f"{name}: {r['evaluated_on']} accuracy {r['accuracy']:.4f} (95% CI {low:.4f}–"
              f"{high:.4f}), best epoch {r['best_epoch']} of {r['stopped_epoch']}, "
              f"{r['seconds_per_epoch']:.0f} s/epoch, {r['n_train']:,} training clips")
    print(f"this call: {time.perf_counter() - began:.0f} s; results in "
          f"{messages.display_path(result['folder'])}")
    if args.ship:
        return _ship_p3(result)
    return 0


def _ship_p3(result: dict) -> int:
    """The P3 fold-0 run of a full-mode, real-data ``reproduce`` becomes the shipped
    paper-recipe checkpoint: bcser_p3.pt, bcser_p3.metrics.json and MODEL_CARD.md."""
    import shutil

    from bcser_utils.learn import artifacts
    from bcser_utils.present import report

    run = Path(result["folder"]) / f"p3-{result['signal']}-fold0"
    summary = json.loads((run / "metrics.json").read_text())
    if summary["mode"] != "full" or summary["synthetic"]:
        print(f"error: {run} is a {summary['mode']}-mode run"
              + (" on the SYNTHETIC corpus" if summary["synthetic"] else "")
              + ": only a full-mode run on real recordings is shipped", file=sys.stderr)
        return 1
    models = artifacts.P3_CHECKPOINT.parent
    shutil.copyfile(run / "model.pt", artifacts.P3_CHECKPOINT)
    shutil.copyfile(run / "metrics.json", models / "bcser_p3.metrics.json")
    (models / "MODEL_CARD.md").write_text(report.model_card(summary, "make reproduce",
                                                            result["date"]))
    print(f"shipped {messages.display_path(run / 'model.pt')} as "
          f"{messages.display_path(artifacts.P3_CHECKPOINT)}, with its metrics and MODEL_CARD.md")
    return 0


def _beyond(args) -> int:
    from bcser_utils.present import report
    from bcser_utils.studies import beyond

    began = time.perf_counter()
    overrides = {"augment.n_versions": args.versions} if args.versions else None
    command = " ".join(["python -m bcser_utils beyond --mode", args.mode,
                        *(["--folds", *map(str, args.folds)] if args.folds else []),
                        *(["--epochs", str(args.epochs)] if args.epochs else []),
                        *(["--versions", str(args.versions)] if args.versions else []),
                        *(["--seeds", *map(str, args.seeds)] if args.seeds else [])])
    try:
        summary = beyond.beyond(args.mode, args.data, args.out, args.folds,
                                     max_epochs=args.epochs, overrides=overrides,
                                     command=command, seeds=args.seeds or ())
    except beyond.pipeline.RunFolderMismatch as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(summary["source"])
    print(report.headline_table(summary).round(3).to_string())
    folder = Path(args.out) if args.out else beyond.default_folder(summary["mode"])
    print(f"this call: {time.perf_counter() - began:.0f} s; summary in "
          f"{messages.display_path(folder / 'summary.json')}")
    return 0


def _generalize(args) -> int:
    from bcser_utils.learn import pipeline
    from bcser_utils.studies import final_model, generalize

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    unknown = sorted(set(args.recipes or ()) - set(generalize.RECIPES))
    if unknown:
        print(f"error: unknown recipe(s) {', '.join(unknown)}; known: "
              f"{', '.join(generalize.RECIPES)}", file=sys.stderr)
        return 2
    try:
        final_model.study(
            args.mode, baselines=args.baselines, recipes=args.recipes or (), final=args.final,
            refit=args.refit, refit_single=args.refit_single, summary=args.summary,
            ship=args.ship, signal=args.signal, folds=args.folds, seeds=args.seeds,
            selection_seeds=args.selection_seeds, versions=args.versions, corpus=args.data,
            out=args.out, models=args.models, say=lambda line: print(line, flush=True))
    except (pipeline.RunFolderMismatch, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def _evaluate(args) -> int:
    from bcser_utils.learn import evaluation, pipeline
    from bcser_utils.learn.inference import Predictor

    run = Path(args.folder)
    from bcser_utils.learn.artifacts import CheckpointError

    if run.exists() and not run.is_dir():
        raise InputError(f"{run}: a file, not a run folder: evaluate takes the folder train "
                         f"wrote ({messages.display_path(run.parent)})")
    if not (run / "run.json").exists():
        raise InputError(f"{run}: not a finished run folder (no run.json)")
    spec = _run_spec(run)
    cfg = _spec_config(run / "run.json", spec)
    try:
        predictor = Predictor.load(run / "model.pt")
    except CheckpointError as err:
        raise InputError(f"{run}: not a finished run folder ({err})") from None
    prepared = pipeline.prepare(cfg, spec["signal"], spec["data"], progress=False)
    split = pipeline.make_split(prepared, spec["protocol"], spec["fold"])
    rows = split.test if spec["protocol"] == "P3" else split.val
    result = pipeline.evaluate_rows(predictor, prepared, rows)
    if args.json:
        print(json.dumps(evaluation.plain(result), indent=1))
    else:
        print(f"{prepared.source}\n{split.description}")
        print(evaluation.paper_table(result).round(4).to_string())
    return 0


def _predict(args) -> int:
    from bcser_utils.app.predict import CheckpointError, SpeakerError, predict_files

    if args.timeline:
        return _timeline(args)
    from bcser_utils.learn.artifacts import not_a_file

    # a folder, FIFO or symbolic-link loop is said to be one (and a FIFO never blocks a read)
    why = {path: not_a_file(path) for path in args.files}
    unusable = [f"{path}: {cause}" for path, cause in why.items() if cause]
    try:
        results, errors = predict_files([p for p in args.files if not why[p]], args.checkpoint,
                                        args.same_speaker)
    except (FileNotFoundError, CheckpointError, SpeakerError) as err:
        if isinstance(err, SpeakerError):  # too few usable clips: the bad ones met first
            for message in unusable + err.errors:
                print(f"error: {message}", file=sys.stderr)
        raise  # the command fails as a whole: main says why, in one line
    errors = unusable + errors
    for message in errors:
        print(f"error: {message}", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        for r in results:
            ranked = sorted(r["probabilities"].items(), key=lambda kv: -kv[1])
            said = f"uncertain, perhaps {r['emotion']}" if r["uncertain"] else r["emotion"]
            print(f"{r['file']}: {said}  (" +
                  ", ".join(f"{e} {p:.2f}" for e, p in ranked) + ")")
    return 1 if errors else 0


def _timeline(args) -> int:
    from bcser_utils.app import predict, timeline

    model = predict.load_model(args.checkpoint, args.same_speaker)  # main says why it failed
    threshold = predict.uncertainty_threshold()
    rows, failed = [], 0
    for path in args.files:
        try:
            found = timeline.timeline(path, model, args.window, args.hop, args.same_speaker,
                                      threshold)
        except (audio_input.AudioError, predict.SpeakerError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            failed += 1
            continue
        rows.extend(found)
        if not args.json:
            print(path + (f"  (?: uncertain, the top probability below {threshold:.0%})"
                          if threshold else ""))
            for r in found:
                span = f"  {r['start']:7.1f}–{r['end']:.1f} s".ljust(20)
                if r["silent"]:
                    print(span + "(no speech)")
                else:
                    ranked = sorted(r["probabilities"].items(), key=lambda kv: -kv[1])
                    said = f"{r['emotion']}?" if r["uncertain"] else r["emotion"]
                    print(span + f"{said:<10} " +
                          ", ".join(f"{e} {p:.2f}" for e, p in ranked[:3]))
    if args.json:
        print(json.dumps(rows, indent=1))
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m bcser_utils", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    data_parser = commands.add_parser("data", help="check or download the RAVDESS corpus")
    data_commands = data_parser.add_subparsers(dest="data_command", required=True)
    check = data_commands.add_parser("check", help="validate a corpus folder")
    check.add_argument("dir", help="folder holding Actor_NN/ subfolders of .wav or .flac files")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(run=_data_check)
    fetch = data_commands.add_parser("download", help="fetch and verify the Zenodo archive")
    fetch.add_argument("--dir", default=None,
                       help="download folder (default: $BCSER_DATA_DIR or the checkout's data/)")
    fetch.set_defaults(run=_data_download)

    convert = commands.add_parser("bc", help="convert an audio file to synthetic BC speech",
                                  description=bc.to_bc.__doc__.split("\n\n")[0])
    convert.add_argument("input", help="any file soundfile reads, at any rate and channel count")
    convert.add_argument("output", help="output file (.wav or .flac), written at the input's rate")
    convert.set_defaults(run=_bc)

    train = commands.add_parser("train", help="train the model under a protocol")
    train.add_argument("--protocol", choices=("P1", "P2", "P3"), default="P1")
    train.add_argument("--fold", type=_index, default=0, help="P3 fold (0-based)")
    train.add_argument("--signal", choices=("bc", "ac"), default="bc")
    train.add_argument("--mode", choices=("quick", "full"), default=None,
                       help="default: $BCSER_MODE, else quick")
    train.add_argument("--data", default=None, help="corpus folder (default: found for you)")
    train.add_argument("--epochs", type=_count, default=None, help="cap on epochs")
    train.add_argument("--seed", type=_seed, default=None)
    train.add_argument("--versions", type=_count, default=None,
                       help="versions per recording (default: the paper's 15)")
    train.add_argument("--out", type=_folder, default=None,
                       help="run folder (default: runs/<protocol>-…)")
    train.set_defaults(run=_train)

    again = commands.add_parser(
        "reproduce", help="the paper-scale pipeline end to end: P1, then P3 fold 0 (resumable)")
    again.add_argument("--mode", choices=("quick", "full"), default="full")
    again.add_argument("--signal", choices=("bc", "ac"), default="bc")
    again.add_argument("--data", default=None, help="corpus folder (default: found for you)")
    again.add_argument("--out", type=_folder, default=None, help="default: runs/reproduce-<mode>/")
    again.add_argument("--ship", action="store_true",
                       help="then make the P3 run the shipped bcser_utils/models/bcser_p3.pt, "
                            "with its metrics and model card (full mode, real data only)")
    again.set_defaults(run=_reproduce)

    beyond = commands.add_parser(
        "beyond", help="notebook 08's grid: P1, P2, P3 folds × AC/BC, noise, calibration "
                       "(resumable)")
    beyond.add_argument("--mode", choices=("quick", "full"), default="full")
    beyond.add_argument("--data", default=None, help="corpus folder (default: found for you)")
    beyond.add_argument("--out", type=_folder, default=None, help="default: runs/beyond-<mode>/")
    beyond.add_argument("--folds", type=_index, nargs="+", default=None,
                        help="P3 folds (0-based; default: all)")
    beyond.add_argument("--epochs", type=_count, default=None, help="cap on epochs")
    beyond.add_argument("--versions", type=_count, default=None,
                        help="versions per recording (default: the paper's 15)")
    beyond.add_argument("--seeds", type=_seed, nargs="+", default=None,
                        help="train and test the P3 AC/BC grid again with these further seeds")
    beyond.set_defaults(run=_beyond)

    study = commands.add_parser(
        "generalize", help="notebook 09: train recipes on every P3 fold (resumable)")
    study.add_argument("--mode", choices=("quick", "full"), default="full")
    study.add_argument("--recipes", nargs="+", default=None, metavar="NAME",
                       help="recipes of generalize.RECIPES to train")
    study.add_argument("--signal", choices=("bc", "ac"), default="bc")
    study.add_argument("--seeds", type=_seed, nargs="+", default=[0])
    study.add_argument("--folds", type=_index, nargs="+", default=None,
                       help="P3 folds (0-based; default: all)")
    study.add_argument("--final", action="store_true",
                       help="also train the recipe the selection rule builds from the "
                            "finished ablation runs")
    study.add_argument("--refit", action="store_true",
                       help="train that recipe on every actor, for the CV's median best epoch")
    study.add_argument("--refit-single", action="store_true",
                       help="likewise for the model that predicts one clip at a time (the best "
                            "recipe without speaker statistics on the early-stopping actors)")
    study.add_argument("--ship", action="store_true",
                       help="make the summary's choice predict's default "
                            "(bcser_utils/models/default.json, its files and "
                            "DEFAULT_MODEL_CARD.md)")
    study.add_argument("--baselines", action="store_true",
                       help="the classical baseline (eGeMAPS; logistic regression and SVM; "
                            "global and per-speaker standardisation; BC and AC) on P2 and P3")
    study.add_argument("--versions", type=_count, default=None,
                       help="Table II versions per recording for the recipes that use them "
                            "(default: the paper's 15); a smaller study, e.g. for a test")
    study.add_argument("--models", type=_folder, default=None,
                       help="where --ship writes (default: bcser_utils/models/)")
    study.add_argument("--summary", action="store_true",
                       help="write runs/generalize-<mode>/summary.json from what has finished")
    study.add_argument("--selection-seeds", type=_seed, nargs="+", default=[0, 1],
                       help="the seeds every ablation recipe must have finished (default 0 1)")
    study.add_argument("--threads", type=_count, default=None,
                       help="torch threads (default: one per core)")
    study.add_argument("--data", default=None, help="corpus folder (default: found for you)")
    study.add_argument("--out", type=_folder, default=None, help="default: runs/generalize-<mode>/")
    study.set_defaults(run=_generalize)

    evaluate = commands.add_parser("evaluate", help="every metric for a trained run")
    evaluate.add_argument("folder", metavar="RUN", help="a run folder written by train")
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(run=_evaluate)

    predict = commands.add_parser("predict", help="the emotion of audio files")
    predict.add_argument("files", nargs="+", help="any files soundfile reads")
    predict.add_argument("--checkpoint", default=None, help="a model.pt; default: the model "
                         "bcser_utils/models/default.json names (else "
                         "bcser_utils/models/bcser_p3.pt)")
    predict.add_argument("--same-speaker", action="store_true",
                         help="the files are clips of one speaker, spanning their range of "
                              "emotions: adapt to that speaker (no labels needed) before "
                              "predicting each")
    predict.add_argument("--timeline", action="store_true",
                         help="each file is a long recording: predict it window by window "
                              "(silent windows are marked, not predicted)")
    predict.add_argument("--window", type=_positive_float, default=4.0,
                         help="--timeline: seconds per window (default 4, what the model hears)")
    predict.add_argument("--hop", type=_positive_float, default=1.0,
                         help="--timeline: seconds from one window's start to the next's "
                              "(default 1)")
    predict.add_argument("--json", action="store_true")
    predict.set_defaults(run=_predict)
    return parser


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text}: expected a positive number of seconds")
    return value


def _one_line(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"  # a user reads the message, not our source line


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, raised to ``main`` (which exits with 2 after
    it, as argparse does; under --json also as ``{"error": …}`` on stdout)."""

    def error(self, message):
        raise InputError(f"{self.prog}: {message} (see {self.prog} --help)", code=2)


def _whole(least: int, most: int | None = None, what: str = "a whole number"):
    """An argparse type: a whole number in [least, most]."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least or (most is not None and value > most):
            raise argparse.ArgumentTypeError(f"{value}: expected {what}")
        return value
    return parse


_count = _whole(1, what="a positive whole number (1 or more)")  # epochs, versions, threads
_index = _whole(0, what="a whole number from 0 (0-based)")  # folds
_seed = _whole(0, 2**32 - 1, what="a seed from 0 to 4294967295")


def _folder(text: str) -> str:
    """An argparse type: a folder to write into, which may not exist yet but is no file."""
    if Path(text).exists() and not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text}: exists and is not a folder")
    return text


def _input_errors() -> tuple[type, ...]:
    """The ValueErrors our modules raise for a user's input (a file, a folder, a setting): each
    names it and says why. One of a module that is not loaded cannot have been raised, so
    this imports nothing (``predict`` and ``bc`` start without torch's training side)."""
    found = [InputError, audio_input.AudioError, ravdess.CorpusError, splits.SplitError]
    for module, name in (("bcser_utils.learn.artifacts", "CheckpointError"),
                         ("bcser_utils.learn.pipeline", "RunFolderMismatch"),
                         ("bcser_utils.learn.inference", "SpeakerError"),
                         ("bcser_utils.audio.names", "BadNameError")):
        if module in sys.modules:
            found.append(getattr(sys.modules[module], name))
    return tuple(found)


def _one_line_error(err: BaseException) -> str | None:
    """THE place that turns an error raised from a user's input or the machine (an OSError,
    or one of ``_input_errors``) into one line, without "error: "; None for any other error,
    an error in our own code, whose traceback then shows."""
    if isinstance(err, audio_input.AudioError):  # a bad file met building features: stop, name it
        return f"{err}; `python -m bcser_utils data check <corpus>` lists every bad file"
    if isinstance(err, _input_errors()):
        return str(err)
    if not isinstance(err, OSError):
        return None
    if err.strerror is None:  # ours: FileNotFoundError("<folder>: no such corpus folder")
        return str(err)
    where = f"{err.filename} → {err.filename2}" if err.filename2 else err.filename
    if isinstance(err, PermissionError) or err.errno == errno.EROFS:  # e.g. a read-only data
        # folder for the feature cache
        return (f"{where or err}: not writable ({err.strerror}); point {config.DATA_DIR_ENV} at "
                "a writable folder")
    cause = err.strerror
    if err.errno == errno.ENOSPC:
        cause += "; free some space and run the same command again: it resumes"
    return f"{where}: {cause}" if where else f"{cause} (errno {err.errno})"


def main(argv: list[str] | None = None) -> int:
    """Run one command; exit status 0 on success, 1 when it failed on its input, 2 for a usage
    or environment mistake. A failure is one line "error: …" on stderr naming the input and the
    cause (and, under --json, ``{"error": …}`` on stdout); no traceback, unless our own code
    failed."""
    import warnings

    argv = sys.argv[1:] if argv is None else list(argv)
    as_json = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
        config.check_environment()
    except ValueError as err:  # argparse's usage errors (InputError), or $BCSER_MODE=banana
        _say_error(str(err), as_json)
        raise SystemExit(2) from None
    warnings.formatwarning = _one_line
    try:
        return args.run(args)
    except KeyboardInterrupt:  # Ctrl-C: one line, and a second Ctrl-C cannot break the exit
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _say_error("interrupted; run the same command again to resume (finished recordings "
                   "and runs are kept)", as_json)
        return 130
    except (ValueError, OSError) as err:
        line = _one_line_error(err)
        if line is None:
            raise
        _say_error(line, as_json)
        return getattr(err, "code", 1) if isinstance(err, InputError) else 1


def _say_error(line: str, as_json: bool) -> None:
    print(f"error: {line}", file=sys.stderr)
    if as_json:  # stdout stays valid JSON when the command fails as a whole
        print(json.dumps({"error": line}))
