"""What every command of the command line shares: its input error, the types of its arguments,
and the one way a line of error is said.

A command is a module of ``bcser_utils/app`` with ``add_arguments(parser)`` and ``run(args) ->
int`` (its exit status); ``cli`` registers it. A command raises an input error (``InputError``
here, or one of the package's own, ``cli.input_errors``) and ``cli.main`` prints it as one line;
only a command that goes on with its other files says a file's error itself (``say_error``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bcser_utils import config, messages


class InputError(ValueError):
    """A command's input that it cannot use (a folder, a run's files, an argument): the message
    names it and says why; ``main`` prints it as one line and exits with ``code``.

    Parameters
    ----------
    message : str
        The line said, naming the input and the cause.
    code : int, optional
        The exit status (default 1: a failed input; 2: a usage mistake).
    """

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def say_error(line: str) -> None:
    """``error: <line>`` on stderr: a command's failure, or one file's among several.

    Parameters
    ----------
    line : str
        The message, without "error: ". Every character that is not printable text is escaped
        here (``messages.escape``), whoever built the message: a file name holding a newline or
        an ESC sequence can neither forge a line nor reach the terminal raw.
    """
    print(f"error: {messages.escape(line)}", file=sys.stderr)


def run_config(mode: str | None, seed: int | None, versions: int | None) -> config.Config:
    """The configuration of ``--mode``, ``--seed`` and ``--versions`` (None: the default).

    Parameters
    ----------
    mode : str or None
        "quick" or "full"; None: ``$BCSER_MODE``, else quick.
    seed : int or None
        The run's seed (``mode.seed``); None keeps the mode's.
    versions : int or None
        Augmented versions per recording (``augment.n_versions``); None keeps the default.

    Returns
    -------
    config.Config
        The configuration with those overrides.
    """
    overrides = {"augment.n_versions": versions} if versions is not None else {}
    return config.get_config(mode, overrides={**overrides, **({"mode.seed": seed}
                                                              if seed is not None else {})})


def whole(least: int, most: int | None = None, what: str = "a whole number"):
    """An argparse type: a whole number in [least, most].

    Parameters
    ----------
    least : int
        The smallest value accepted.
    most : int or None, optional
        The largest value accepted; None: no bound.
    what : str, optional
        What the argument expects, said when a value is out of range.

    Returns
    -------
    callable
        ``parse(text) -> int``, which raises ``argparse.ArgumentTypeError`` (a usage error)
        for text that is not a whole number in range.
    """
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least or (most is not None and value > most):
            raise argparse.ArgumentTypeError(f"{value}: expected {what}")
        return value
    return parse


count = whole(1, what="a positive whole number (1 or more)")  # epochs, threads


def setting(key: str):
    """An argparse type: a whole number within the bounds of the setting ``key``
    (``config.BOUNDS``), e.g. ``--versions`` for "augment.n_versions": 1 to 15.

    Parameters
    ----------
    key : str
        The setting, as ``config.check_setting`` names it.

    Returns
    -------
    callable
        ``parse(text) -> int``, which raises ``argparse.ArgumentTypeError`` (a usage error)
        for text that is not a whole number within the setting's bounds.
    """
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        try:
            return config.check_setting(key, value)
        except config.SettingError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
    return parse


versions = setting("augment.n_versions")
index = whole(0, what="a whole number from 0 (0-based)")  # folds
seed = whole(0, 2**32 - 1, what="a seed from 0 to 4294967295")


def positive_float(text: str) -> float:
    """An argparse type: a positive number of seconds.

    Parameters
    ----------
    text : str
        The argument as typed.

    Returns
    -------
    float
        The number of seconds, finite and above 0.

    Raises
    ------
    argparse.ArgumentTypeError
        For text that is not a positive, finite number (argparse says it as a usage error).
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text}: expected a positive number of seconds")
    return value


def folder(text: str) -> str:
    """An argparse type: a folder to write into, which may not exist yet but is no file.

    Parameters
    ----------
    text : str
        The argument as typed.

    Returns
    -------
    str
        ``text`` unchanged.

    Raises
    ------
    argparse.ArgumentTypeError
        If ``text`` names an existing file that is not a folder.
    """
    try:
        exists, folder_ = Path(text).exists(), Path(text).is_dir()
    except OSError as err:  # e.g. a name too long for the file system
        raise argparse.ArgumentTypeError(f"{messages.named(text)}: {err.strerror}") from None
    if exists and not folder_:
        raise argparse.ArgumentTypeError(f"{messages.named(text)}: exists and is not a folder")
    return text


def add_mode(parser, default: str | None = "full") -> None:
    """``--mode quick|full``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    default : str or None, optional
        The mode when none is given (default "full"); None: ``$BCSER_MODE``, else quick.
    """
    parser.add_argument("--mode", choices=("quick", "full"), default=default,
                        **({} if default else {"help": "default: $BCSER_MODE, else quick"}))


def add_data(parser) -> None:
    """``--data``: the corpus folder.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    """
    parser.add_argument("--data", default=None, help="corpus folder (default: found for you)")


def study_out(out: str | None):
    """The ``--out`` a study command (``reproduce``, ``beyond``, ``generalize``) writes into,
    claimed (``files.claim``) while it runs: refused with one line if it holds the user's files
    (a folder of our runs and summaries, an earlier version's included, is adopted); held by one
    process at a time. Nothing to claim without ``--out`` (the package's own runs/ folder) or in
    a helper process under torchrun (rank 0 holds it).

    Parameters
    ----------
    out : str or None
        ``--out`` as given.

    Returns
    -------
    contextlib.AbstractContextManager
        Enter it around the study's work.
    """
    import contextlib
    import os

    from bcser_utils import files
    from bcser_utils.learn import runs

    if out is None or os.environ.get("RANK", "0") != "0":
        return contextlib.nullcontext()
    return files.claim(out, "study", known=None, adopt=runs.study_folder)
