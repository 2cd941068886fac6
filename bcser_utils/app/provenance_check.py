"""``python -m bcser_utils provenance --check`` and ``--update``: does today's code compute what
the committed reference records (``learn.probe``), and which committed results are current.

``--check`` runs the probe (a few seconds), names every part and array that moved, then lists
each committed result (``results/*.json``, ``bcser_utils/models/*.metrics.json`` and the default
model's ``default.json``) as current or says why it is stale. Exit status 1 if the probe moved or
a result is stale, else 0.

``--update`` rewrites the reference where the probe moved (each such part gets a new id: every
result stamped with the old one reads as stale from then on) and records today's code text where
it did not; then lists the results as ``--check`` does. Run it when a change that moves a number
is meant, and commit ``bcser_utils/provenance_reference.json`` with the change.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from bcser_utils import config, provenance
from bcser_utils.learn import probe

HELP = "check that today's code computes what made the committed results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--check`` (the default) or ``--update``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser.
    """
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--check", action="store_true",
                      help="run the probe against the reference and list each committed result "
                           "as current or stale (the default)")
    what.add_argument("--update", action="store_true",
                      help="rewrite the reference where the probe moved (a new id: results "
                           "stamped with the old one become stale), then list the results")


def run(args) -> int:
    """Check or update, then list the committed results.

    Parameters
    ----------
    args : argparse.Namespace
        With ``check`` and ``update`` (booleans).

    Returns
    -------
    int
        ``--check``: 1 if the probe moved or a committed result is stale, else 0. ``--update``:
        0.
    """
    update = bool(getattr(args, "update", False))
    if not update:
        try:
            provenance.reference()
        except FileNotFoundError as err:  # --update makes it
            print(f"error: {err}", file=sys.stderr)
            return 1
    began = time.perf_counter()
    moved = set() if update else _check_probe(began)
    if update:
        for part, outcome in probe.update().items():
            new = f" (new id {provenance.fingerprints()[part]})" if outcome == "moved" else ""
            print(f"{part}: {outcome}{new}")
    stale = _list_results(moved)
    return 0 if update or not (moved or stale) else 1


def _check_probe(began: float) -> set[str]:
    """Run the probe, say what moved; the parts that moved."""
    moved = {part: problems for part, problems in probe.check().items() if problems}
    seconds = time.perf_counter() - began
    texts, reference = provenance.code_texts(), provenance.reference()["parts"]
    for part in provenance.PARTS:
        if part in moved:
            print(f"probe: the {part} code computes other numbers than the reference records:")
            for problem in moved[part]:
                print(f"  {part}: {problem}")
        elif texts[part] not in reference[part]["code"]:
            print(f"probe: {part}: the code text changed, the probe is identical: still current "
                  "(--update records the text)")
        else:
            print(f"probe: {part}: as the reference records")
    print(f"probe: {seconds:.1f} s")
    if moved:
        print("If the change is meant: python -m bcser_utils provenance --update, and commit "
              "bcser_utils/provenance_reference.json with it (results stamped with the old ids "
              "then read as stale).")
    return set(moved)


def committed_results() -> list[Path]:
    """The committed results that record (or should record) the code that made them.

    Returns
    -------
    list of Path
        ``results/*.json`` of the checkout (none in an installed package), the shipped
        models' ``*.metrics.json`` and ``default.json``, those that exist.
    """
    found = sorted((config.REPO_ROOT / "results").glob("*.json"))
    found += sorted(config.MODELS_DIR.glob("*.metrics.json"))
    return found + [path for path in [config.MODELS_DIR / "default.json"] if path.exists()]


def status(path: Path, moved: set[str] = frozenset()) -> str | None:
    """Why the result in ``path`` is stale, in one line, or None if it is current.

    Parameters
    ----------
    path : Path
        A result: a JSON object with a "provenance" stamp, or a model manifest that names
        the summary which chose it ("results/<name>.json" in its text).
    moved : set of str
        Parts whose probe moved from the reference: a result stamped with their reference's
        id is stale too.

    Returns
    -------
    str or None
    """
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        return f"unreadable ({err})"
    if "provenance" not in result and (summary := _summary_of(result)) is not None:
        why = status(summary, moved)
        return why and f"chosen by {_shown(summary)}, which is stale: {why}"
    parts = provenance.changed(result)
    if parts == [] and (still := [part for part in provenance.PARTS if part in moved]):
        return f"the {' and '.join(still)} code computes other numbers than the reference"
    return provenance.stale_note(result)


def _summary_of(manifest: dict) -> Path | None:
    """The committed summary a manifest names in its text (default.json: "… chosen on … of
    every P3 fold (results/generalize-full.json)"), or None."""
    for value in manifest.values():
        for name in re.findall(r"results/[\w.-]+\.json", value if isinstance(value, str) else ""):
            if (config.REPO_ROOT / name).exists():
                return config.REPO_ROOT / name
    return None


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(config.REPO_ROOT))
    except ValueError:
        return str(path)


def _list_results(moved: set[str]) -> list[Path]:
    """Print each committed result as current or stale; the stale ones."""
    stale = []
    for path in committed_results():
        why = status(path, moved)
        print(f"{'current' if why is None else 'stale':8s}{_shown(path)}" +
              (f": {why}" if why else ""))
        if why:
            stale.append(path)
    return stale
