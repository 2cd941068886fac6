"""``python -m bcser_utils data check DIR [--json]`` and ``data download [--dir D]``: validate a
RAVDESS folder, decoding every file, or fetch and verify the official archive from Zenodo."""

from __future__ import annotations

import os

from bcser_utils import config
from bcser_utils.app.command import InputError, say_error
from bcser_utils.audio import ravdess

HELP = "check or download the RAVDESS corpus"


def add_arguments(parser) -> None:
    """``check`` and ``download``, each with its own arguments.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser, which gets the arguments.
    """
    commands = parser.add_subparsers(dest="data_command", required=True)
    check = commands.add_parser("check", help="validate a corpus folder")
    check.add_argument("dir", help="folder holding Actor_NN/ subfolders of .wav or .flac files")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(data_run=_check)
    fetch = commands.add_parser("download", help="fetch and verify the Zenodo archive")
    fetch.add_argument("--dir", default=None,
                       help="download folder (default: $BCSER_DATA_DIR or the checkout's data/)")
    fetch.set_defaults(data_run=_download)


def run(args) -> int:
    """The subcommand asked for: ``check`` validates a corpus folder, ``download`` fetches it.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``add_arguments``'s arguments).

    Returns
    -------
    int
        The exit status: 0 on success; 1 if a file is bad or none is usable, or the download failed.

    Raises
    ------
    InputError
        If the folder to check does not exist (exit status 2), the machine is offline
        (``$BCSER_OFFLINE``, exit status 2) or the download failed (exit status 1).
    """
    return args.data_run(args)


def _check(args) -> int:
    try:
        report = ravdess.validate(args.dir)
    except FileNotFoundError as err:
        raise InputError(str(err), code=2) from None
    print(ravdess.report_json(report) if args.json else report.summary())
    # after the report (stdout stays the report alone, even under --json): what is wrong
    if not report.usable:
        say_error(f"{args.dir} holds no usable RAVDESS speech file")
        return 1
    for path, cause in report.unreadable:  # every bad file named
        say_error(f"{path}: {cause}")
    return 1 if report.unreadable else 0


def _download(args) -> int:
    if config.offline():  # 1, true, yes or on (check_environment refused any other spelling)
        said = os.environ.get(config.OFFLINE_ENV, "").strip()
        raise InputError(f"data download: {config.OFFLINE_ENV}={said} says this machine is "
                         "offline; unset it to download", code=2)
    try:
        folder = ravdess.download(dest=args.dir)
    except (OSError, ValueError) as err:  # the network's, or pooch's checksum mismatch
        raise InputError(f"download failed: {err}") from None
    print(ravdess.validate(folder).summary())
    return 0
