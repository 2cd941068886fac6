"""Which code made a result, so that no number outlives its code silently.

Every result the package writes (a run's ``metrics.json``, notebook 08's and 09's summaries in
``results/``, the shipped models' cards and ``*.metrics.json``) carries ``stamp()``: the commit
of the checkout that made it, and a fingerprint of each part of the code that shapes a number:

    features   the clip path and the cache builder: audio/{bc, augment, features, clip, data,
               dataset, normalize}.py
    model      learn/model.py
    training   learn/{splits, training, evaluation, inference, pipeline}.py

A fingerprint hashes each file's syntax tree without its comments and docstrings
(``code_digest``), so editing prose never marks a result stale; any other edit of those files
does, even one that changes no number (the check is deliberately conservative). The constants
themselves are recorded beside each result (its mode, command and run settings), not here.

``stale_note(result)`` is the line a notebook or a README table puts first when a result was made
by other code than today's: "Made with commit 1a2b3c4; the training code has changed since."
Notebooks: 08_beyond_the_paper, 09_towards_unseen_speakers.
"""

from __future__ import annotations

import ast
import hashlib
import subprocess
import textwrap
from collections.abc import Iterable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
PARTS = {
    "features": ("audio/bc.py", "audio/augment.py", "audio/features.py", "audio/clip.py",
                 "audio/data.py", "audio/dataset.py", "audio/normalize.py"),
    "model": ("learn/model.py",),
    "training": ("learn/splits.py", "learn/training.py", "learn/evaluation.py",
                 "learn/inference.py", "learn/pipeline.py"),
}


def code_of(source: str) -> bytes:
    """``source``'s syntax tree without its comments, docstrings and layout."""
    tree = ast.parse(textwrap.dedent(source))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


def code_digest(sources: Iterable[str]) -> str:
    """12 hex digits that change when the code of any of ``sources`` changes (not its prose)."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(code_of(source))
    return digest.hexdigest()[:12]


def fingerprints() -> dict[str, str]:
    """Today's fingerprint of each part (``PARTS``), from the files this package runs."""
    return {part: code_digest((PACKAGE / name).read_text() for name in names)
            for part, names in PARTS.items()}


def commit() -> str | None:
    """The checkout's commit (short), with "+changes" when the package has uncommitted edits;
    None outside a git checkout (an installed package)."""
    def git(*args):
        return subprocess.run(["git", "-C", str(PACKAGE), *args], capture_output=True,
                              text=True, timeout=10)

    try:
        head = git("rev-parse", "--short", "HEAD")
        if head.returncode:
            return None
        edited = git("status", "--porcelain", "--", ".").stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+changes" if edited else "")


def stamp() -> dict:
    """What a result records about the code that made it."""
    return {"commit": commit(), "code": fingerprints()}


def common(stamps: Iterable[dict | None]) -> dict | None:
    """One stamp for a result made of several runs: a part whose runs disagree is "several"
    (so it reads as changed); None if any run recorded no stamp."""
    stamps = list(stamps)
    if not stamps or not all(stamps):
        return None
    code = {part: stamps[0]["code"].get(part)
            if len({s["code"].get(part) for s in stamps}) == 1 else "several" for part in PARTS}
    return {"commit": ", ".join(sorted({s.get("commit") or "unknown" for s in stamps})),
            "code": code}


def changed(result: dict) -> list[str] | None:
    """The parts whose code differs from what made ``result`` (a dict with a "provenance"
    stamp): [] when none, None when the result recorded none (made before stamps existed)."""
    recorded = (result.get("provenance") or {}).get("code")
    if not recorded:
        return None
    today = fingerprints()
    return [part for part in PARTS if recorded.get(part) != today[part]]


def stale_note(result: dict) -> str | None:
    """One line saying that ``result`` came from other code than today's, or None if it did not.
    """
    parts = changed(result)
    if parts == []:
        return None
    made = result.get("provenance", {}).get("commit")
    when = f" on {result['date']}" if result.get("date") else ""
    if parts is None:
        return (f"Made{when} before results recorded the code that made them: the model, "
                "features or training code may have changed since.")
    names = " and ".join(", ".join(parts).rsplit(", ", 1))
    return (f"Made{when} with commit {made or 'unknown'}; the {names} code has changed since.")
