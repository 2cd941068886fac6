"""How the package speaks to its user: paths as they are printed.

Every message prints a path through ``display_path`` (or, in an error, ``named``: the path as
given): relative to the working folder (printed
output carries no machine's layout), with its control characters escaped, so a file named
``"x\\nerror: fake line"`` or holding an ESC sequence cannot forge a line or drive the terminal.

Notebooks: every notebook prints paths through ``display_path``.
"""

from __future__ import annotations

import json
import math
import os
import sys
import unicodedata
from pathlib import Path

# control characters, line and paragraph separators, invisible format characters (bidi
# overrides among them), and the surrogates that stand for undecodable bytes (which cannot even
# be printed: UnicodeEncodeError)
_UNSAFE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def escape(text: str) -> str:
    """``text`` with every character that is not printable text escaped as Python writes it.

    Parameters
    ----------
    text : str
        Any text (a file name, a value given by the user).

    Returns
    -------
    str
        The same text on one line: a newline becomes ``\\n``, ESC ``\\x1b``, an undecodable byte
        ``\\udcff``; printable characters, unicode letters included, are kept.
    """
    if text.isprintable():
        return text
    return "".join(repr(c)[1:-1] if c != " " and unicodedata.category(c) in _UNSAFE else c
                   for c in text)


def named(path: str | Path) -> str:
    """``path`` as an error message names it: as given (a user finds the name typed), with
    control characters escaped (``escape``).

    Parameters
    ----------
    path : str or Path
        Any path.

    Returns
    -------
    str
        One line of printable text.
    """
    return escape(os.fspath(path))


def display_path(path: str | Path) -> str:
    """``path`` as a message prints it: relative to the working folder, control characters
    escaped (``escape``).

    Parameters
    ----------
    path : str or Path
        Any path.

    Returns
    -------
    str
        One line of printable text.
    """
    try:
        shown = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        shown = str(path)
    return escape(shown)


def json_text(value, indent: int | None = 1) -> str:
    """``value`` as strict JSON for a user's program to read (``--json``): NaN and infinities,
    which JSON has no words for (Python would write ``NaN``, which no JSON parser accepts),
    become null.

    Parameters
    ----------
    value : object
        Dicts, lists, tuples, strings, numbers (numpy's too), None.
    indent : int or None
        ``json.dumps``'s indent.

    Returns
    -------
    str
        Text that every JSON parser reads.

    Examples
    --------
    >>> json_text({"accuracy": float("nan"), "n": 3}, indent=None)
    '{"accuracy": null, "n": 3}'
    """
    return json.dumps(_finite(value), indent=indent, allow_nan=False)


def _finite(value):
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # a numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def progress_bar(iterable=None, **options):
    """A progress bar drawn as text: on stdout in a Jupyter kernel, on stderr elsewhere.

    Not tqdm's widget bar: the first widget a kernel shows makes JupyterLab 4.6 open a comms
    subshell, whose own busy/idle reply leaves the status bar reading "Idle" while the cell that
    builds a cache still runs (measured in notebook 06). Text bars also stay readable in a saved
    notebook, a terminal and Colab. Off a kernel they go to stderr, so ``--json`` output on stdout
    stays clean.

    Parameters
    ----------
    iterable : iterable, optional
        What to iterate over, as ``tqdm(iterable)``.
    **options
        tqdm's own (``total``, ``desc``, ``disable``, ``initial``, …).

    Returns
    -------
    tqdm.std.tqdm
        The bar (iterate it, or ``update`` it in a ``with`` block).
    """
    from tqdm.std import tqdm

    # a notebook's kernel, Colab's included; not merely ipykernel imported (pytest's nbval does)
    zmqshell, ipython = sys.modules.get("ipykernel.zmqshell"), sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    in_kernel = zmqshell is not None and isinstance(shell, zmqshell.ZMQInteractiveShell)
    options.setdefault("mininterval", 1.0 if in_kernel else 0.1)  # few redraws in a notebook
    return tqdm(iterable, file=sys.stdout if in_kernel else sys.stderr, **options)
