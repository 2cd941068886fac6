"""A result that other code than today's made (``provenance.stale_note``) says so wherever it is
quoted: ``stale_lines`` above a table or a card, ``stale_mark`` on each of its rows
(``readme_table``) and on every line of prose that quotes it. tests/test_provenance.py checks
every page line by line.

Notebook: 08_beyond_the_paper, 09_towards_unseen_speakers.
"""

from __future__ import annotations

from bcser_utils import provenance


def stale_lines(summary: dict) -> list[str]:
    """What a rendered table of ``summary`` says first when other code than today's made it
    (``provenance.stale_note``): the note in italics and a blank line; nothing otherwise.

    Parameters
    ----------
    summary : dict
        A result the package wrote (with its ``provenance`` stamp, or a ``date`` without one).

    Returns
    -------
    list of str
    """
    note = provenance.stale_note(summary)
    return [f"*{note}*", ""] if note else []


def stale_mark(summary: dict) -> str | None:
    """The few words that every line quoting ``summary`` carries while ``provenance.stale_note``
    has a note for it, the note itself standing once on the page: "made on 2026-11-30, before
    provenance stamps: see note", or "made with commit 1a2b3c4; code changed since: see note";
    None when today's code made it.

    Parameters
    ----------
    summary : dict
        A result the package wrote.

    Returns
    -------
    str or None
    """
    parts = provenance.changed(summary)  # what stale_note reads: [] is today's code
    if parts == []:
        return None
    if parts is None:
        when = f"on {summary['date']}, " if summary.get("date") else ""
        return f"made {when}before provenance stamps: see note"
    return f"made with {provenance.commit_words(summary['provenance'].get('commit'))}; code " \
        "changed since: see note"


def marked(text: str, mark: str | None) -> str:
    """``text`` with `` · *mark*`` after it when there is a mark (a row of a stale result)."""
    return f"{text} · *{mark}*" if mark else text


def readme_table(summary: dict, rows: list[tuple[str, str, str, str]]) -> str:
    """A README table (Markdown) of rows made from ``summary``: when other code than today's
    made it, ``stale_lines`` above it and ``stale_mark`` on every row.

    Parameters
    ----------
    summary : dict
        The result the rows quote.
    rows : list of (what, paper, ours, where)

    Returns
    -------
    str
    """
    mark = stale_mark(summary)
    lines = [*stale_lines(summary), "| what | paper | ours | protocol · mode · command · date |",
             "|---|---|---|---|"]
    return "\n".join(lines + [f"| {a} | {b} | {c} | {marked(d, mark)} |" for a, b, c, d in rows])
