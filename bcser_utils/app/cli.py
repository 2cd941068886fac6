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
    provenance ...              which code made each committed result (``provenance_check``)

Each command is its own module (``COMMANDS``: ``add_arguments(parser)`` and ``run(args)``);
this one only parses and calls, and says an error in one line (``main``).
"""

from __future__ import annotations

import argparse
import errno
import importlib
import json
import signal
import sys
from pathlib import Path

from bcser_utils import config, messages
from bcser_utils.app import command
from bcser_utils.app.command import InputError, say_error
from bcser_utils.app.predict_command import run as _predict  # by name: tests replace it
from bcser_utils.audio import audio_input, ravdess
from bcser_utils.learn import splits

# Each command is a module of bcser_utils/app with add_arguments(parser) and run(args) -> int
# (and HELP, its line in --help); registered in this order.
COMMANDS = {"data": "data_command", "bc": "bc_command", "train": "train_command",
            "reproduce": "reproduce_command", "beyond": "beyond_command",
            "generalize": "generalize_command", "evaluate": "evaluate_command",
            "predict": "predict_command", "provenance": "provenance_check"}
_run_config = command.run_config  # the configuration of --mode, --seed and --versions

__all__ = ["COMMANDS", "InputError", "build_parser", "input_errors", "main"]


def _command_module(module: str):
    """A command's module; None for one not written yet (only ``provenance_check`` may be
    missing), so the others still run."""
    try:
        return importlib.import_module(f"bcser_utils.app.{module}")
    except ModuleNotFoundError as err:
        if err.name != f"bcser_utils.app.{module}" or module != "provenance_check":
            raise
        return None


def build_parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per module of ``COMMANDS``, each adding its own
    arguments.

    Returns
    -------
    argparse.ArgumentParser
        The parser; a usage error raises ``InputError`` (code 2) instead of exiting.
    """
    parser = _Parser(prog="python -m bcser_utils", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, module_name in COMMANDS.items():
        module = _command_module(module_name)
        if module is None:
            continue
        sub = commands.add_parser(name, help=getattr(module, "HELP", None),
                                  description=getattr(module, "DESCRIPTION", None))
        module.add_arguments(sub)
        sub.set_defaults(run=_predict if name == "predict" else module.run)
    return parser


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, raised to ``main`` (which exits with 2 after
    it, as argparse does; under --json also as ``{"error": …}`` on stdout)."""

    def error(self, message):
        # argparse quotes the user's values in its message: escaped, they cannot forge a line
        raise InputError(f"{self.prog}: {messages.escape(message)} (see {self.prog} --help)",
                         code=2)


def input_errors() -> tuple[type, ...]:
    """The ValueErrors our modules raise for a user's input (a file, a folder, a setting, a
    run folder, a study step asked for too early): each names it and says why. One of a module
    that is not loaded cannot have been raised, so this imports nothing (``predict`` and ``bc``
    start without torch's training side).

    Returns
    -------
    tuple of type
        The exception classes, for an ``except`` clause or ``isinstance``.
    """
    found = [InputError, audio_input.AudioError, ravdess.CorpusError, splits.SplitError,
             config.SettingError]
    for module, name in (("bcser_utils.learn.artifacts", "CheckpointError"),
                         ("bcser_utils.learn.artifacts", "ShipError"),
                         ("bcser_utils.learn.pipeline", "RunFolderMismatch"),
                         ("bcser_utils.learn.runs", "RunFolderError"),
                         ("bcser_utils.learn.inference", "SpeakerError"),
                         ("bcser_utils.app.timeline", "WindowError"),
                         ("bcser_utils.audio.names", "BadNameError"),
                         ("bcser_utils.studies.generalize", "StudyError")):
        if module in sys.modules:
            found.append(getattr(sys.modules[module], name))
    return tuple(found)


# the commands that read a whole corpus, and resume where an interruption left them
CORPUS_COMMANDS = ("train", "reproduce", "beyond", "generalize", "evaluate")
RESUMING = ("train", "reproduce", "beyond", "generalize", "data")


def _one_line_error(err: BaseException, command: str | None = None) -> str | None:
    """THE place that turns an error raised from a user's input or the machine (an OSError,
    or one of ``input_errors``) into one line, without "error: ", with advice only where it
    fits ``command``; None for any other error, an error in our own code, whose traceback then
    shows."""
    if isinstance(err, audio_input.AudioError) and command in CORPUS_COMMANDS:
        # a bad recording met while building a corpus's features: stop, name it, and the rest
        return f"{err}; `python -m bcser_utils data check <corpus>` lists every bad file"
    if isinstance(err, input_errors()):
        return str(err)
    if not isinstance(err, OSError):
        return None
    if err.strerror is None:  # ours: FileNotFoundError("<folder>: no such corpus folder")
        return str(err)
    where = (f"{messages.named(err.filename)} → {messages.named(err.filename2)}"
             if err.filename2 else messages.named(err.filename) if err.filename else None)
    if isinstance(err, PermissionError) or err.errno == errno.EROFS:
        in_data = err.filename and _inside(err.filename, ravdess.data_dir())
        advice = (f"; point {config.DATA_DIR_ENV} at a writable folder" if in_data else
                  "; choose a folder you can write to")
        return f"{where or err.strerror}: not writable ({err.strerror}){advice}"
    cause = err.strerror
    if err.errno == errno.ENOSPC:
        cause += "; free some space and run the same command again" + (
            ": it resumes" if command in RESUMING else "")
    return f"{where}: {cause}" if where else f"{cause} (errno {err.errno})"


def _inside(path, folder) -> bool:
    """Whether ``path`` lies in ``folder`` (the data folder's advice fits only there)."""
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, ValueError):
        return False


def _one_line(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"  # a user reads the message, not our source line


def main(argv: list[str] | None = None) -> int:
    """Run one command; exit status 0 on success, 1 when it failed on its input, 2 for a usage
    or environment mistake. A failure is one line "error: …" on stderr naming the input and the
    cause (and, under --json, ``{"error": …}`` on stdout); no traceback, unless our own code
    failed.

    Parameters
    ----------
    argv : list of str or None, optional
        The arguments after the program's name; None: ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0, 1, 2, or 130 after Ctrl-C.

    Raises
    ------
    SystemExit
        With status 2 for a usage mistake or a bad environment variable (e.g. ``$BCSER_MODE``),
        after the one line.
    """
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
        _say_error("interrupted; " + (
            "run the same command again to resume (finished recordings and runs are kept)"
            if args.command in RESUMING else "nothing was written half-way"), as_json)
        return 130
    except (ValueError, OSError) as err:
        line = _one_line_error(err, args.command)
        if line is None:
            raise
        _say_error(line, as_json)
        return getattr(err, "code", 1) if isinstance(err, InputError) else 1


def _say_error(line: str, as_json: bool) -> None:
    say_error(line)
    if as_json:  # stdout stays valid JSON when the command fails as a whole
        print(json.dumps({"error": messages.escape(line)}))
