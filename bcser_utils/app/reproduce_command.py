"""``python -m bcser_utils reproduce [--mode full] [--ship]``: P1 and P3 fold 0 at paper scale,
end to end, resumable; ``--ship`` makes the P3 run the shipped paper-recipe checkpoint."""

from __future__ import annotations

import time
from pathlib import Path

from bcser_utils import messages
from bcser_utils.app import command

HELP = "the paper-scale pipeline end to end: P1, then P3 fold 0 (resumable)"


def add_arguments(parser) -> None:
    """Mode, signal, corpus, folder, and whether to ship.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser, which gets the arguments.
    """
    command.add_mode(parser)
    parser.add_argument("--signal", choices=("bc", "ac"), default="bc")
    command.add_data(parser)
    parser.add_argument("--out", type=command.folder, default=None,
                        help="default: runs/reproduce-<mode>/")
    parser.add_argument("--ship", action="store_true",
                        help="then make the P3 run the shipped bcser_utils/models/bcser_p3.pt, "
                             "with its metrics and model card (full mode, real data only)")


def run(args) -> int:
    """Train (or read back) both runs, print each, and ship the P3 run if asked.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``add_arguments``'s arguments).

    Returns
    -------
    int
        The exit status: 0 once both runs are done (and shipped, with ``--ship``); also 0 in a
        helper process under torchrun, where rank 0 reports.
    """
    from bcser_utils.learn import artifacts, runs

    began = time.perf_counter()
    with command.study_out(args.out):
        result = runs.reproduce(args.mode, args.signal, args.data, args.out)
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
        p3 = runs.RunSpec("P3", 0, result["signal"]).folder(result["folder"], result["mode"])
        written = artifacts.ship_p3(p3, "make reproduce", result["date"])
        print(f"shipped {messages.display_path(Path(p3) / 'model.pt')} as "
              f"{messages.display_path(written[0])}, with its metrics and MODEL_CARD.md")
    return 0
