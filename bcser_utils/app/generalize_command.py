"""``python -m bcser_utils generalize``: notebook 09's study, each step on request, resumable:
``--baselines``, ``--recipes R …`` on every P3 fold, ``--final`` (the recipe the selection rule
builds), ``--refit`` and ``--refit-single`` (on every actor), ``--summary`` and ``--ship`` (the
default model). The steps are ``final_model``'s, called in that order."""

from __future__ import annotations

from bcser_utils.app import command
from bcser_utils.app.command import InputError

HELP = "notebook 09: train recipes on every P3 fold (resumable)"
STEPS = {  # flag → what it does, in the order of the study
    "--baselines": "the classical baseline (eGeMAPS; logistic regression and SVM; global and "
                   "per-speaker standardisation; BC and AC) on P2 and P3",
    "--final": "also train the recipe the selection rule builds from the finished ablation runs",
    "--refit": "train that recipe on every actor, for the CV's median best epoch",
    "--refit-single": "likewise for the model that predicts one clip at a time (the best recipe "
                      "without speaker statistics on the early-stopping actors)",
    "--summary": "write runs/generalize-<mode>/summary.json from what has finished",
    "--ship": "make the summary's choice predict's default (bcser_utils/models/default.json, "
              "its files and DEFAULT_MODEL_CARD.md)",
    "--pages": "full mode, in a checkout: copy the summary to results/generalize-full.json and "
               "rewrite the README's and results/README.md's notebook-09 tables and findings "
               "from it",
}


def add_arguments(parser) -> None:
    """What to run (the steps), and at which scale, on which folds and seeds, where.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser, which gets the arguments.
    """
    command.add_mode(parser)
    parser.add_argument("--recipes", nargs="+", default=None, metavar="NAME",
                        help="recipes of generalize.RECIPES to train")
    parser.add_argument("--signal", choices=("bc", "ac"), default="bc")
    parser.add_argument("--seeds", type=command.seed, nargs="+", default=[0])
    parser.add_argument("--folds", type=command.index, nargs="+", default=None,
                        help="P3 folds (0-based; default: all)")
    for flag, said in STEPS.items():
        parser.add_argument(flag, action="store_true", help=said)
    parser.add_argument("--versions", type=command.versions, default=None,
                        help="Table II versions per recording for the recipes that use them "
                             "(default: the paper's 15); a smaller study, e.g. for a test")
    parser.add_argument("--models", type=command.folder, default=None,
                        help="where --ship writes (default: bcser_utils/models/)")
    parser.add_argument("--selection-seeds", type=command.seed, nargs="+", default=[0, 1],
                        help="the seeds every ablation recipe must have finished (default 0 1)")
    parser.add_argument("--threads", type=command.count, default=None,
                        help="torch threads (default: one per core)")
    command.add_data(parser)
    parser.add_argument("--out", type=command.folder, default=None,
                        help="default: runs/generalize-<mode>/")



def run(args) -> int:
    """The steps asked for, in the study's order (``final_model``).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``add_arguments``'s arguments).

    Returns
    -------
    int
        The exit status: 0 once every step asked for is done.

    Raises
    ------
    InputError
        For an unknown recipe name (exit status 2).
    """
    from bcser_utils.studies import final_model, generalize

    unknown = sorted(set(args.recipes or ()) - set(generalize.RECIPES))
    if unknown:
        raise InputError(f"unknown recipe(s) {', '.join(unknown)}; known: "
                         f"{', '.join(generalize.RECIPES)}", code=2)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    with command.study_out(args.out):
        _steps(args, final_model, generalize)
    return 0


def _steps(args, final_model, generalize) -> None:
    """The study's steps that the flags ask for, in their order."""
    study = final_model.Study(args.mode, args.out, args.data, args.versions,
                              say=lambda line: print(line, flush=True))
    if args.baselines:
        final_model.baselines(study)
    chosen = None
    if args.final or args.refit or args.refit_single or args.summary:  # the selection
        chosen = final_model.choose_final(study, args.selection_seeds)
    recipes = [generalize.RECIPES[name] for name in args.recipes or ()]
    final_model.train_recipes(study, recipes + ([chosen] if args.final else []), args.signal,
                              args.folds, args.seeds)
    if args.refit:
        final_model.refit(study, chosen, args.signal, args.seeds)
    if args.refit_single:
        final_model.refit_single(study, chosen, args.signal)
    if args.summary:
        final_model.write_summary(study, chosen, args.selection_seeds)
    if args.ship:
        final_model.ship(study, args.models)
    if args.pages:
        pages(study.out, args.mode, say=study.say)


def pages(out, mode: str, root=None, say=print) -> None:
    """The study's summary (``out/summary.json``) into the checkout's ``results/`` and the pages
    that quote it rewritten from it (``generalize_findings.render_readme``,
    ``render_results_readme``), so that no page can quote another study than the committed one;
    with the study it replaces kept in ``results/history/``, what moved since.

    Parameters
    ----------
    out : Path
        The study's folder.
    mode : str
        Only "full" is quoted by the pages.
    root : Path, optional
        The checkout (default ``config.REPO_ROOT``).
    say : callable
        Where each written file is said.

    Raises
    ------
    InputError
        In quick mode, or outside a checkout (no README.md or results/README.md).
    """
    from pathlib import Path

    from bcser_utils import config, files
    from bcser_utils.present import generalize_findings, report
    from bcser_utils.studies import final_model

    root = Path(root or config.REPO_ROOT)
    if mode != "full":
        raise InputError("--pages: the pages quote the full-mode study only (add --mode full)",
                         code=2)
    readme, results = root / "README.md", root / "results" / "README.md"
    for page in (readme, results):
        if not page.is_file():
            raise InputError(f"{page}: not found; --pages rewrites a checkout's pages", code=2)
    source, target = Path(out) / "summary.json", root / "results" / "generalize-full.json"
    if not source.is_file():
        raise InputError(f"{source}: no summary yet (run --summary first)", code=2)
    final_model.read_summary(source)  # a damaged summary is refused in one line, unpublished
    summary = report.load_summary(source)
    if not (summary.get("final") or {}).get("default"):
        raise InputError(f"{source}: no default model chosen yet (generalize --final, --refit, "
                         "then --summary)", code=2)
    history = root / "results" / "history"
    replaced = report.load_summary(target) if target.is_file() else None
    if replaced is not None and replaced != summary:  # the study this one replaces is kept
        files.copy(target, history / f"generalize-full-{replaced['date']}.json")
    kept = sorted(history.glob("generalize-full-*.json"))
    old = report.load_summary(kept[-1]) if kept else None
    pages = {readme: generalize_findings.render_readme(readme.read_text(), summary, old),
             results: generalize_findings.render_results_readme(results.read_text(), summary,
                                                                old)}
    files.copy(source, target)  # every page rendered first: a failure publishes nothing
    for page, text in pages.items():
        files.write_text(page, text)
    say(f"pages: {target}, {readme} and {results} rewritten from {Path(out) / 'summary.json'}")
