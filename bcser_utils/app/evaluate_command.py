"""``python -m bcser_utils evaluate RUN [--json]``: every metric of the paper for a trained run,
recomputed from its run folder."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from bcser_utils import messages
from bcser_utils.app.command import InputError

HELP = "every metric for a trained run"


def add_arguments(parser) -> None:
    """The run folder, and --json.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser, which gets the arguments.
    """
    parser.add_argument("folder", metavar="RUN", help="a run folder written by train")
    parser.add_argument("--json", action="store_true")


def run(args) -> int:
    """Check the run folder, load its model, evaluate it where it was evaluated.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``add_arguments``'s arguments).

    Returns
    -------
    int
        The exit status: 0 once the table (or JSON) is printed.

    Raises
    ------
    InputError
        If the folder is a file, or not a finished run folder (no run.json, a bad
        model.pt), or its run.json's features or signal differ from its model.pt's.
    """
    from bcser_utils.learn import evaluation, pipeline, runs
    from bcser_utils.learn.artifacts import CheckpointError
    from bcser_utils.learn.inference import Predictor

    run_ = Path(args.folder)
    if run_.exists() and not run_.is_dir():
        raise InputError(f"{messages.named(run_)}: a file, not a run folder: evaluate takes the "
                         f"folder train wrote ({messages.display_path(run_.parent)})")
    if not (run_ / "run.json").exists():
        raise InputError(f"{messages.named(run_)}: not a finished run folder (no run.json)")
    spec = runs.read_spec(run_)
    cfg = runs.spec_config(run_, spec)
    try:
        predictor = Predictor.load(run_ / "model.pt")
    except CheckpointError as err:
        raise InputError(f"{messages.named(run_)}: not a finished run folder ({err})") from None
    same = json.dumps(asdict(predictor.features), sort_keys=True) == \
        json.dumps(asdict(cfg.features), sort_keys=True)
    if not same or predictor.signal != spec["signal"]:  # before any feature is computed
        raise InputError(f"{messages.named(run_ / 'run.json')}: its features or signal differ "
                         "from those its model.pt was trained on; the folder's files are not "
                         "one run's")
    location, catalog = pipeline.find_catalog(cfg, spec["data"], progress=False)
    pipeline.check_corpus(run_, spec.get("corpus"), location.root, catalog)  # before any feature
    prepared = pipeline.prepare(cfg, spec["signal"], spec["data"], progress=False)
    split = pipeline.make_split(prepared, spec["protocol"], spec["fold"])
    rows = split.test if spec["protocol"] == "P3" else split.val
    result = pipeline.evaluate_rows(predictor, prepared, rows)
    if args.json:
        print(messages.json_text(result))
    else:
        print(f"{prepared.source}\n{split.description}")
        print(evaluation.paper_table(result).round(4).to_string())
    return 0
