"""Which code made a result, so that no number outlives its code silently, and no refactor
marks a number stale that the code still computes.

Every result the package writes (a run's ``metrics.json``, notebook 08's and 09's summaries in
``results/``, the shipped models' cards and ``*.metrics.json``) carries ``stamp()``: the commit
of the checkout that made it, and a fingerprint of what each part of the code computes:

    features   a clip's tensors: decoding, the BC filter, the augmentations, the features, the
               normalisation (audio/)
    model      the network (learn/model.py)
    training   the splits, training, a saved model's probabilities, the metrics (learn/)

**A fingerprint is the id of a committed reference of numbers**, not a hash of the code's text.
``bcser_utils/learn/probe.py`` runs each part's real code on small fixed inputs made from seeds
(a few seconds on one CPU thread) and ``provenance_reference.json`` (beside this module) holds
what they computed, each part under an id. Renaming a variable, moving a function or changing
an import moves no number, so the probe still matches and every result stays current. A change
that moves a number (a constant in config.py, a formula) makes the probe differ from the
reference beyond its tolerance; tests/test_provenance.py fails and names the part and the array,
and the developer runs ``python -m bcser_utils provenance --update``: the part gets a new id, and
every result stamped with the old one reads as stale from then on, honestly.

**The code text, the cheap second signal.** ``code_texts()`` hashes each part's code (the files
of ``PARTS``) without comments, docstrings and layout, as the stamps did before the probe. The
reference lists, per part, the code texts known to compute its numbers (each checked by running
the probe on that code). A result stamped with one of them (a stamp from before the probe: commit
fe022df's, for the committed results) counts as current; ``--check`` says when today's text is
new but the probe still matches ("still current"; ``--update`` records the text).

**What the probe can miss.** It sees only what its inputs reach: a change to a branch the probe
does not take (a feature kind, an augmentation setting, a normalisation mode or a training option
it leaves at its default, a clip longer than its recordings) moves no probe number, the id stays,
and results made before and after the change both read as current. To widen it, make the probe
take that branch (``probe.py``: another input, another setting, another array), run
``--update`` and commit the reference: the parts whose numbers the new arrays add get new ids, so
every result made before reads as stale (conservative: the old code may have computed the same,
but nobody checked). A result made before stamps existed records none (``changed`` says None) and
is never taken for current.

``stale_note(result)`` is the line a notebook or a README table puts first when a result was made
by other code than today's: "Made with commit 1a2b3c4; the training code has changed since."
Notebooks: 08_beyond_the_paper, 09_towards_unseen_speakers.
"""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import textwrap
from collections.abc import Iterable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
REFERENCE = PACKAGE / "provenance_reference.json"
# the code whose text each part's code-text fingerprint hashes: files whole, or some of a
# file's top-level functions ("audio/audio_input.py:load_audio")
# THE list of the code that shapes a clip's tensors as the feature cache stores them: the features
# part below hashes it (with the normalisation applied after the cache), and so does the cache's
# own key (``feature_cache.code_fingerprint``), so that new code never reuses tensors the old code
# made. The code around it (catalog, download, how shards, locks and files are written and read)
# changes no number and is left out.
CACHED_FEATURES = (
    "audio/bc.py", "audio/augment.py", "audio/features.py", "audio/clip.py",
    "audio/audio_input.py:load_audio,inspect,check_samples,_wav_declared_data_bytes",
    "audio/feature_cache.py:recording_features")
PARTS = {
    "features": (*CACHED_FEATURES, "audio/normalize.py"),
    "model": ("learn/model.py",),
    "training": ("learn/splits.py", "learn/training.py", "learn/evaluation.py",
                 "learn/inference.py", "learn/pipeline.py"),
}


def reference() -> dict:
    """The committed reference (``REFERENCE``), as ``learn.probe.update`` wrote it.

    Returns
    -------
    dict
        "tolerance" and "parts": part → "id" (its fingerprint), "code" (the code texts known to
        compute its numbers), "made" and "arrays" (the numbers).

    Raises
    ------
    FileNotFoundError
        When the file is missing or unreadable; the message says how to restore it.
    """
    try:
        return json.loads(REFERENCE.read_text())
    except (OSError, ValueError) as err:
        raise FileNotFoundError(f"{REFERENCE}: unreadable ({err}); restore it from git, or make "
                                "it with python -m bcser_utils provenance --update") from None


def fingerprints() -> dict[str, str]:
    """Each part's fingerprint today: the id of its committed reference.

    Returns
    -------
    dict of str to str
        Part → 12 hex digits.
    """
    return {part: entry["id"] for part, entry in reference()["parts"].items()}


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


def code_texts() -> dict[str, str]:
    """Today's code-text fingerprint of each part, from the files of ``PARTS`` under ``PACKAGE``:
    the cheap signal (see the module docstring), not what a result records.

    Returns
    -------
    dict of str to str
        Part → ``code_digest`` of its code.
    """
    return {part: code_digest(source for name in names for source in sources(name))
            for part, names in PARTS.items()}


def sources(name: str) -> list[str]:
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


def commit_words(commit: str | None) -> str:
    """A recorded commit in words a student can read: "17803b9+changes" → "commit 17803b9 with
    uncommitted changes" (the code of that commit, edited after it and not committed again).

    Parameters
    ----------
    commit : str or None
        As ``commit()`` or ``common()`` record it: one commit, or several joined by ", ".

    Returns
    -------
    str
        "commit 1a2b3c4", "commit 1a2b3c4 with uncommitted changes", "commits 1a2b3c4 and
        5d6e7f8", or "an unknown commit" (recorded outside a git checkout).
    """
    names = [name.strip() for name in (commit or "").split(",") if name.strip()]
    names = [name for name in names if name != "unknown"]
    if not names:
        return "an unknown commit"
    words = [name.removesuffix("+changes") + (" with uncommitted changes"
                                              if name.endswith("+changes") else "")
             for name in names]
    return ("commit " if len(words) == 1 else "commits ") + " and ".join(
        ", ".join(words).rsplit(", ", 1))


def stamp() -> dict:
    """What a result records about the code that made it.

    Returns
    -------
    dict
        "commit" (``commit()``) and "code": each part's fingerprint (``fingerprints()``).
    """
    return {"commit": commit(), "code": fingerprints()}


def common(stamps: Iterable[dict | None]) -> dict | None:
    """One stamp for a result made of several runs.

    Parameters
    ----------
    stamps : iterable of dict or None
        Each run's stamp (None for a run that recorded none).

    Returns
    -------
    dict or None
        The runs' commits, and per part their common fingerprint: "several" (so it reads as
        changed) where they disagree, unless each of them is current (then today's). None if
        any run recorded no stamp.
    """
    stamps = list(stamps)
    if not stamps or not all(stamps):
        return None
    current = _current()

    def one(part):
        values = {s["code"].get(part) for s in stamps}
        if len(values) == 1:
            return values.pop()
        return fingerprints()[part] if values <= current[part] else "several"

    return {"commit": ", ".join(sorted({s.get("commit") or "unknown" for s in stamps})),
            "code": {part: one(part) for part in PARTS}}


def changed(result: dict) -> list[str] | None:
    """The parts whose code computes other numbers today than when ``result`` was made.

    A part is current when the stamp records its reference's id, or a code text the reference
    lists as computing the same numbers (a stamp from before the probe).

    Parameters
    ----------
    result : dict
        A result the package wrote, with its "provenance" stamp (or without one).

    Returns
    -------
    list of str or None
        The changed parts in ``PARTS`` order, [] when none; None when the result recorded no
        stamp (made before stamps existed).
    """
    recorded = (result.get("provenance") or {}).get("code")
    if not recorded:
        return None
    current = _current()
    return [part for part in PARTS if recorded.get(part) not in current[part]]


def _current() -> dict[str, set]:
    """Part → the recorded values that count as today's: its reference's id and the code texts
    known to compute the same numbers."""
    return {part: {entry["id"], *entry["code"]} for part, entry in reference()["parts"].items()}


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
    return f"Made{when} with {commit_words(made)}; the {names} code has changed since."
