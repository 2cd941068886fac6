"""Command line: ``python -m bcser_utils <command>``.

    data check DIR [--json]     validate a RAVDESS folder (exit 1 if it holds no usable file)
    data download [--dir D]     fetch and verify the official archive from Zenodo
"""

from __future__ import annotations

import argparse
import sys

from . import data


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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
