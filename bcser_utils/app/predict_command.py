"""``python -m bcser_utils predict FILE … [--json]``: the emotion of any audio file, with the
default model (bcser_utils/models/default.json) or ``--checkpoint``; ``--same-speaker`` adapts to
the files' one speaker first; ``--timeline`` reads long recordings window by window.

A file that cannot be predicted is said on its own line and the others still are (exit 1); a
model that cannot be loaded fails the command as a whole (``cli.main`` says why)."""

from __future__ import annotations

from bcser_utils import messages
from bcser_utils.app import command
from bcser_utils.app.command import InputError, say_error

HELP = "the emotion of audio files"


def add_arguments(parser) -> None:
    """The files, the model, and how to read them.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser, which gets the arguments.
    """
    parser.add_argument("files", nargs="+", help="any files soundfile reads")
    parser.add_argument("--checkpoint", default=None, help="a model.pt; default: the model "
                        "bcser_utils/models/default.json names (else "
                        "bcser_utils/models/bcser_p3.pt)")
    parser.add_argument("--same-speaker", action="store_true",
                        help="the files are clips of one speaker, spanning their range of "
                             "emotions: adapt to that speaker (no labels needed) before "
                             "predicting each")
    parser.add_argument("--timeline", action="store_true",
                        help="each file is a long recording: predict it window by window "
                             "(silent windows are marked, not predicted)")
    parser.add_argument("--window", type=command.positive_float, default=4.0,
                        help="--timeline: seconds per window (default 4, what the model hears)")
    parser.add_argument("--hop", type=command.positive_float, default=1.0,
                        help="--timeline: seconds from one window's start to the next's "
                             "(default 1)")
    parser.add_argument("--json", action="store_true")


def run(args) -> int:
    """Predict every file (or, with ``--timeline``, each file window by window).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``add_arguments``'s arguments).

    Returns
    -------
    int
        The exit status: 0 when every file was predicted, 1 if any could not be (each one said on
        stderr, the others still predicted).

    Raises
    ------
    SpeakerError
        With ``--same-speaker``, when too few clips are usable to adapt to the speaker.
    InputError
        With ``--timeline``, for a window or hop the model cannot use (exit status 2).
    """
    if args.timeline:
        return _timeline(args)
    from bcser_utils.app.predict import SpeakerError, predict_files
    from bcser_utils.learn.artifacts import not_a_file

    # a folder, FIFO or symbolic-link loop is said to be one (and a FIFO never blocks a read)
    why = {path: not_a_file(path) for path in args.files}
    unusable = [f"{messages.named(path)}: {cause}" for path, cause in why.items() if cause]
    try:
        results, errors = predict_files([p for p in args.files if not why[p]], args.checkpoint,
                                        args.same_speaker)
    except SpeakerError as err:  # too few usable clips: the bad ones met first, then main's line
        for message in unusable + err.errors:
            say_error(message)
        raise
    for message in unusable + errors:
        say_error(message)
    if args.json:
        print(messages.json_text(results))
    else:
        for r in results:
            if not r["speech"]:
                print(f"{messages.named(r['file'])}: {r['reason']}")
                continue
            ranked = sorted(r["probabilities"].items(), key=lambda kv: -kv[1])
            said = f"uncertain, perhaps {r['emotion']}" if r["uncertain"] else r["emotion"]
            print(f"{messages.named(r['file'])}: {said}  (" +
                  ", ".join(f"{e} {p:.2f}" for e, p in ranked) + ")")
    return 1 if unusable or errors else 0


def _timeline(args) -> int:
    """Each file window by window; a file that fails is said, and the others still run."""
    from bcser_utils.app import predict, timeline
    from bcser_utils.audio.audio_input import AudioError

    try:  # the window's bounds, before any file: a usage error, said once
        timeline.check_window(args.window, args.hop)
    except timeline.WindowError as err:
        raise InputError(str(err), code=2) from None
    model = predict.load_model(args.checkpoint, args.same_speaker)  # main says why it failed
    if args.same_speaker and not model.deep.adapts and model.classical is None:
        # the model cannot adapt to anyone: said once, before any file is read
        raise predict.SpeakerError("this checkpoint was not trained with speaker normalisation; "
                                   "--same-speaker needs one that was (the default model is)")
    threshold = predict.uncertainty_threshold()
    rows, failed = [], 0
    for path in args.files:
        try:
            found = timeline.timeline(path, model, args.window, args.hop, args.same_speaker,
                                      threshold)
        except (AudioError, predict.SpeakerError) as err:
            say_error(str(err))
            failed += 1
            continue
        rows.extend(found)
        if not args.json:
            _print_timeline(path, found, threshold)
    if args.json:
        print(messages.json_text(rows))
    return 1 if failed else 0


def _print_timeline(path: str, found: list[dict], threshold: float | None) -> None:
    print(messages.named(path) + (f"  (?: uncertain, the top probability below {threshold:.0%})"
                  if threshold else ""))
    for r in found:
        span = f"  {r['start']:7.1f}–{r['end']:.1f} s".ljust(20)
        if not r["speech"]:
            print(span + f"({r['reason']})")
        else:
            ranked = sorted(r["probabilities"].items(), key=lambda kv: -kv[1])
            said = f"{r['emotion']}?" if r["uncertain"] else r["emotion"]
            print(span + f"{said:<10} " + ", ".join(f"{e} {p:.2f}" for e, p in ranked[:3]))
