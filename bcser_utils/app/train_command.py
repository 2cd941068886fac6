"""``python -m bcser_utils train``: train the model under a protocol into a run folder
(resumable; a finished run is read back)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from bcser_utils import files, messages
from bcser_utils.app import command

HELP = "train the model under a protocol"


def add_arguments(parser) -> None:
    """The run (protocol, fold, signal, seed), its scale and its folder.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser, which gets the arguments.
    """
    parser.add_argument("--protocol", choices=("P1", "P2", "P3"), default="P1")
    parser.add_argument("--fold", type=command.index, default=0, help="P3 fold (0-based)")
    parser.add_argument("--signal", choices=("bc", "ac"), default="bc")
    command.add_mode(parser, default=None)
    command.add_data(parser)
    parser.add_argument("--epochs", type=command.count, default=None, help="cap on epochs")
    parser.add_argument("--seed", type=command.seed, default=None)
    parser.add_argument("--versions", type=command.versions, default=None,
                        help="versions per recording (default: the paper's 15)")
    parser.add_argument("--out", type=command.folder, default=None,
                        help="run folder (default: runs/<protocol>-…)")


def run(args) -> int:
    """Train (or resume, or read back) the run, then print its accuracy and folder.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``add_arguments``'s arguments).

    Returns
    -------
    int
        The exit status: 0 once the run is done; also 0 in a helper process under torchrun, where
        rank 0 reports.

    Raises
    ------
    RunFolderError
        If the folder holds another run's files (``runs.check_folder``).
    files.Claimed
        If another process is writing the same run folder.
    """
    from bcser_utils.learn import runs

    cfg = command.run_config(args.mode, args.seed, args.versions)
    spec = runs.RunSpec(args.protocol, args.fold, args.signal, cfg.mode.seed)
    folder = Path(args.out) if args.out else spec.folder(None, cfg.mode.name)  # --out: the run's
    scale = {"augment.n_versions": args.versions} if args.versions is not None else None
    # The folder is this process's from before it is checked until its results are read back:
    # a second train into it stops at once (files.Claimed) instead of mixing its files with
    # these. Under torchrun the ranks share one run, and rank 0 holds it.
    holder = files.claim(folder) if os.environ.get("RANK", "0") == "0" else \
        contextlib.nullcontext()
    with holder:
        runs.check_folder(folder)
        summary = spec.run(cfg.mode.name, None, args.data, args.epochs, scale=scale,
                           folder=folder)
        if not summary:  # a helper process under torchrun: rank 0 reports
            return 0
        runs.check_metrics(folder / "metrics.json", summary, {
            "protocol": args.protocol, "signal": args.signal, "mode": cfg.mode.name,
            "seed": cfg.mode.seed, "versions": cfg.augment.n_versions})
    m, per_epoch = summary["metrics"], summary["seconds_per_epoch"]
    print(f"{summary['source']}\n{summary['description']}\n"
          f"{summary['evaluated_on']} accuracy {m['accuracy']:.4f} "
          f"(95% CI {m['ci95']['accuracy'][0]:.4f}–{m['ci95']['accuracy'][1]:.4f}), "
          f"best epoch {summary['best_epoch']}, "
          + (f"{per_epoch:.1f} s/epoch" if per_epoch is not None else "no epoch timed")
          + f"\nrun folder: {messages.display_path(folder)}")
    return 0
