"""Which code made a result, so that no number outlives its code silently.

Every result the package writes (a run's ``metrics.json``, notebook 08's and 09's summaries in
``results/``, the shipped models' cards and ``*.metrics.json``) carries ``stamp()``: the commit
of the checkout that made it, and a fingerprint of each part of the code that shapes a number:

    features   the code that computes a clip's tensors: audio/{bc, augment, features, clip,
               normalize}.py whole, data's loader and dataset's ``recording_features``
               (not the catalog and download code around the loader, nor the cache's
               storage: how shards, locks and files are written changes no number)
    model      learn/model.py
    training   learn/{splits, training, evaluation, inference, pipeline}.py

A part is a list of files, whole, or of functions in a file ("audio/audio_input.py:load_audio").
A fingerprint hashes each one's syntax tree without its comments and docstrings
(``code_digest``), so editing prose never marks a result stale; any other edit of that code
does, even one that changes no number (the check is deliberately conservative). The tree is
written out by ``code_of`` itself, not ``ast.dump``, whose text differs between Python versions
(3.13 leaves out empty fields): a result made on Python 3.11 reads as current on Colab's 3.13.
The constants themselves are recorded beside each result (its mode, command and run settings),
not here.

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
                 "audio/normalize.py", "audio/audio_input.py:load_audio,_wav_declared_data_bytes",
                 "audio/feature_cache.py:recording_features"),
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
    return _written(tree).encode()


def _written(node) -> str:
    """A syntax tree as text, the same on every Python: a node's type and its fields, leaving
    out the empty lists (the fields newer Pythons added, such as 3.12's ``type_params``, are
    empty lists in code that does not use them)."""
    if isinstance(node, ast.AST):
        fields = [f"{name}={_written(value)}" for name in node._fields
                  if (value := getattr(node, name, None)) != []]
        return f"{type(node).__name__}({', '.join(fields)})"
    if isinstance(node, list):
        return f"[{', '.join(_written(item) for item in node)}]"
    return repr(node)


def code_digest(sources: Iterable[str]) -> str:
    """12 hex digits that change when the code of any of ``sources`` changes (not its prose)."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(code_of(source))
    return digest.hexdigest()[:12]


def fingerprints() -> dict[str, str]:
    """Today's fingerprint of each part (``PARTS``), from the files this package runs."""
    return {part: code_digest(source for name in names for source in _sources(name))
            for part, names in PARTS.items()}


def _sources(name: str) -> list[str]:
    """The source of a file of the package ("audio/clip.py"), or of some of its top-level
    functions ("audio/audio_input.py:load_audio,_wav_declared_data_bytes"), in the order named."""
    path, _, only = name.partition(":")
    source = (PACKAGE / path).read_text()
    if not only:
        return [source]
    defined = {node.name: ast.get_source_segment(source, node) for node in ast.parse(source).body
               if isinstance(node, ast.FunctionDef)}
    return [defined[function] for function in only.split(",")]  # a KeyError: PARTS is wrong


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
