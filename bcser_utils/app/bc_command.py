"""``python -m bcser_utils bc IN OUT``: convert one audio file (any rate, any channels) to
synthetic BC speech, streamed, at the input's rate."""

from __future__ import annotations

from pathlib import Path

from bcser_utils import messages
from bcser_utils.app.command import InputError
from bcser_utils.audio import bc

HELP = "convert an audio file to synthetic BC speech"
DESCRIPTION = bc.to_bc.__doc__.split("\n\n")[0]


def add_arguments(parser) -> None:
    """The input and output files.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser, which gets the arguments.
    """
    parser.add_argument("input", help="any file soundfile reads, at any rate and channel count")
    parser.add_argument("output", help="output file (.wav or .flac), written at the input's rate")


def run(args) -> int:
    """Convert; never over the input file.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``add_arguments``'s arguments).

    Returns
    -------
    int
        The exit status: 0 once the output is written.

    Raises
    ------
    InputError
        If the output is the input file (exit status 1).
    """
    from bcser_utils.app import convert

    source, target = Path(args.input), Path(args.output)
    if target.exists() and source.exists() and target.samefile(source):
        raise InputError(f"{target}: refusing to overwrite the input file")
    info = convert.file_to_bc(source, target)  # streamed: any length in bounded memory
    print(f"{messages.display_path(target)}: synthetic BC speech, {info.samplerate} Hz, "
          f"{info.channels} channel(s), {info.frames / info.samplerate:.2f} s")
    return 0
