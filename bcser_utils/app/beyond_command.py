"""``python -m bcser_utils beyond [--mode full] [--seeds S …]``: notebook 08's grid (protocols,
AC against BC, noise, calibration), resumable; ``--seeds`` trains and tests the P3 AC/BC grid
again with further seeds."""

from __future__ import annotations

import time
from pathlib import Path

from bcser_utils import messages
from bcser_utils.app import command

HELP = "notebook 08's grid: P1, P2, P3 folds × AC/BC, noise, calibration (resumable)"


def add_arguments(parser) -> None:
    """Mode, corpus, folder, folds, scale and further seeds.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser, which gets the arguments.
    """
    command.add_mode(parser)
    command.add_data(parser)
    parser.add_argument("--out", type=command.folder, default=None,
                        help="default: runs/beyond-<mode>/")
    parser.add_argument("--folds", type=command.index, nargs="+", default=None,
                        help="P3 folds (0-based; default: all)")
    parser.add_argument("--epochs", type=command.count, default=None, help="cap on epochs")
    parser.add_argument("--versions", type=command.versions, default=None,
                        help="versions per recording (default: the paper's 15)")
    parser.add_argument("--seeds", type=command.seed, nargs="+", default=None,
                        help="train and test the P3 AC/BC grid again with these further seeds")


def run(args) -> int:
    """Run (or read back) the grid, write its summary, print the headline table.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``add_arguments``'s arguments).

    Returns
    -------
    int
        The exit status: 0 once the summary is written (a failure raises, and ``cli.main`` says it).
    """
    from bcser_utils.present import beyond_tables
    from bcser_utils.studies import beyond

    began = time.perf_counter()
    overrides = {"augment.n_versions": args.versions} if args.versions else None
    with command.study_out(args.out):
        summary = beyond.beyond(args.mode, args.data, args.out, args.folds,
                                max_epochs=args.epochs, overrides=overrides,
                                command=_command_line(args), seeds=args.seeds or ())
    print(summary["source"])
    print(beyond_tables.headline_table(summary).round(3).to_string())
    folder = Path(args.out) if args.out else beyond.default_folder(summary["mode"])
    print(f"this call: {time.perf_counter() - began:.0f} s; summary in "
          f"{messages.display_path(folder / 'summary.json')}")
    return 0


def _command_line(args) -> str:
    """The command that made the summary, as the summary records it."""
    return " ".join(["python -m bcser_utils beyond --mode", args.mode,
                     *(["--folds", *map(str, args.folds)] if args.folds else []),
                     *(["--epochs", str(args.epochs)] if args.epochs else []),
                     *(["--versions", str(args.versions)] if args.versions else []),
                     *(["--seeds", *map(str, args.seeds)] if args.seeds else [])])
