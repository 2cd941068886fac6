"""Command line: ``python -m bcser_utils <command>``.

    data check DIR [--json]     validate a RAVDESS folder (exit 1 if it holds no usable file)
    data download [--dir D]     fetch and verify the official archive from Zenodo
    bc IN OUT                   convert one audio file (any rate, any channels) to synthetic BC
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import soundfile as sf

from . import bc, data


def _data_check(args) -> int:
    try:
        report = data.validate(args.dir)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(data.report_json(report) if args.json else report.summary())
    if not report.usable:
        print(f"error: {args.dir} holds no usable RAVDESS speech file", file=sys.stderr)
        return 1
    return 0


def _data_download(args) -> int:
    try:
        folder = data.download(dest=args.dir)
    except Exception as err:  # network or checksum failure: say which, exit non-zero
        print(f"error: download failed: {err}", file=sys.stderr)
        return 1
    print(data.validate(folder).summary())
    return 0


def _bc(args) -> int:
    source, target = Path(args.input), Path(args.output)
    if target.exists() and source.exists() and target.samefile(source):
        print(f"error: {target}: refusing to overwrite the input file", file=sys.stderr)
        return 1
    try:
        audio, rate = data.load_audio(source, mono=False)
        subtype = sf.info(str(source)).subtype
    except data.AudioError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    converted = bc.to_bc(audio, rate).T  # every channel filtered alike; (samples, channels)
    kind = target.suffix.lstrip(".").upper()
    if kind not in sf.available_formats():
        print(f"error: {target}: unknown output format {target.suffix!r} (use .wav or .flac)",
              file=sys.stderr)
        return 1
    subtype = subtype if sf.check_format(kind, subtype) else None  # keep the input's bit depth
    tmp = target.with_name(f".{target.name}.partial")
    try:  # write beside the target, then rename: a failure never leaves half a file
        sf.write(tmp, converted, rate, subtype=subtype, format=kind)
        os.replace(tmp, target)
    except (sf.LibsndfileError, ValueError, TypeError, OSError) as err:
        tmp.unlink(missing_ok=True)
        print(f"error: {target}: cannot write ({err})", file=sys.stderr)
        return 1
    print(f"{data.display_path(target)}: synthetic BC speech, {rate} Hz, "
          f"{converted.shape[1]} channel(s), {converted.shape[0] / rate:.2f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bcser_utils", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    data_parser = commands.add_parser("data", help="check or download the RAVDESS corpus")
    data_commands = data_parser.add_subparsers(dest="data_command", required=True)
    check = data_commands.add_parser("check", help="validate a corpus folder")
    check.add_argument("dir", help="folder holding Actor_NN/ subfolders of .wav or .flac files")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(run=_data_check)
    fetch = data_commands.add_parser("download", help="fetch and verify the Zenodo archive")
    fetch.add_argument("--dir", default=None,
                       help="download folder (default: $BCSER_DATA_DIR or the checkout's data/)")
    fetch.set_defaults(run=_data_download)

    convert = commands.add_parser("bc", help="convert an audio file to synthetic BC speech",
                                  description=bc.to_bc.__doc__.split("\n\n")[0])
    convert.add_argument("input", help="any file soundfile reads, at any rate and channel count")
    convert.add_argument("output", help="output file (.wav or .flac), written at the input's rate")
    convert.set_defaults(run=_bc)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
