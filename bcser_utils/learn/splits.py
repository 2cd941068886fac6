"""Train / validation / test protocols over the rows of a feature cache.

A cache row is one version of one recording (version 0 is the untouched original). Every protocol
returns a ``Split`` of row numbers:

- **P1, the paper's:** augment first, then a random stratified 80:20 split of all the *versions*.
  Versions of one recording land on both sides, so the model is validated on near-copies of what
  it trained on. Faithful, and leaky; notebook 08 measures how much.
- **P2:** a stratified 80:20 split of the *recordings*, then augmentation of the training side
  only: training gets every version of its recordings, validation only the originals.
- **ALL:** every recording and version in training, nothing held out: the final refit of
  notebook 09, whose epoch count comes from P3's cross-validation.
- **P3, speaker-independent:** actor-disjoint folds. For fold k the test actors are fold k, the
  early-stopping (validation) actors are fold k+1, and training uses the rest, so nothing about
  the test speakers ever steers training. Validation and test use originals only.

Identical clips always land on one side: under P2 and P3 the unit is the recording (and the
byte-identical pair of Actor_07 counts as one recording); under P1 the unit is the clip, and the
same version of the two identical recordings counts as one clip.

Notebook: 06_training (P1) and 08_beyond_the_paper (P1 vs P2 vs P3).

Examples
--------
A catalogue of 6 actors × 8 emotions × 2 statements, each recording in 3 versions:

>>> from bcser_utils.audio import names
>>> index = pd.DataFrame([{"name": n.stem, "actor": n.actor, "emotion": n.emotion_name,
...                        "version": v, "duplicate_group": None}
...                       for n in names.expected_names(range(1, 7))
...                       if n.intensity == 1 and n.repetition == 1 for v in range(3)])
>>> len(index)
288
>>> for split in (p1(index), p2(index), p3(index, fold=0, n_folds=3)):
...     leak = siblings_in_training(index, split).mean()
...     print(split.protocol, len(split.train), len(split.val), len(split.test), round(leak, 2))
P1 230 58 0 0.9
P2 228 20 0 0.0
P3 96 32 32 0.0
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

PROTOCOLS = ("P1", "P2", "P3", "ALL")


@dataclass(frozen=True)
class Split:
    """The row numbers of a cache's index on each side of one protocol's split.

    Parameters
    ----------
    protocol : {"P1", "P2", "P3", "ALL"}
        Which protocol made it.
    train, val, test : numpy.ndarray
        Integer row numbers (positions, not index labels); ``test`` is empty except under P3,
        ``val`` is empty under ALL.
    description : str
        One line for a report.
    fold : int, optional
        P3's fold, numbered from 0.
    """

    protocol: str
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    description: str = ""
    fold: int | None = None


def recording_groups(index: pd.DataFrame) -> pd.Series:
    """One group per recording, except that byte-identical recordings share a group.

    Parameters
    ----------
    index : pandas.DataFrame
        A cache's index, with columns "name" and "duplicate_group" (NaN or None when unique).

    Returns
    -------
    pandas.Series
        The group of every row: its name, or "duplicate:<k>" for duplicate group k.
    """
    dup = index["duplicate_group"].fillna(-1).astype(int)
    return index["name"].where(dup < 0, "duplicate:" + dup.astype(str))


def _stratified_group_split(index: pd.DataFrame, groups: pd.Series, fraction: float,
                            seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split the groups (not the rows) 1−fraction : fraction, stratified by emotion."""
    first = index.groupby(groups, sort=True)["emotion"].first()
    train_groups, val_groups = train_test_split(first.index.to_numpy(), test_size=fraction,
                                                stratify=first.to_numpy(), random_state=seed)
    in_val = groups.isin(set(val_groups)).to_numpy()
    return np.flatnonzero(~in_val), np.flatnonzero(in_val)


def p1(index: pd.DataFrame, val_fraction: float = 0.2, seed: int = 0) -> Split:
    """The paper's protocol: every version is a sample; split them 80:20 at random, stratified.

    Notebook: 06_training.

    Parameters
    ----------
    index : pandas.DataFrame
        A cache's index: "name", "duplicate_group", "version" and "emotion" (the stratum).
    val_fraction : float
        The validation share of the clips.
    seed : int
        The shuffle's seed.

    Returns
    -------
    Split
        Versions of one recording fall on both sides.
    """
    clips = recording_groups(index) + ":" + index["version"].astype(str)
    train, val = _stratified_group_split(index, clips, val_fraction, seed)
    return Split("P1", train, val, description="augment, then a random stratified "
                                               f"{1 - val_fraction:.0%}:{val_fraction:.0%} split")


def p2(index: pd.DataFrame, val_fraction: float = 0.2, seed: int = 0) -> Split:
    """Split the recordings first; train on all their versions, validate on originals only.

    Notebook: 08_beyond_the_paper.

    Parameters
    ----------
    index : pandas.DataFrame
        A cache's index: "name", "duplicate_group", "version" and "emotion" (the stratum).
    val_fraction : float
        The validation share of the recordings.
    seed : int
        The shuffle's seed.

    Returns
    -------
    Split
    """
    train, val = _stratified_group_split(index, recording_groups(index), val_fraction, seed)
    val = val[index["version"].to_numpy()[val] == 0]
    return Split("P2", train, val, description="split recordings, then augment the training "
                                               "side only")


class SplitError(ValueError):
    """A split that this corpus cannot make (too few actors, a fold that does not exist)."""


def actor_folds(actors, n_folds: int) -> list[list[int]]:
    """Deal the actors into ``n_folds`` folds, alternating male (odd) and female (even) actors,
    so every fold has both sexes when it can.

    Parameters
    ----------
    actors : iterable of int
        Actor numbers.
    n_folds : int
        3 to the number of actors.

    Returns
    -------
    list of list of int
        The folds, each sorted.

    Raises
    ------
    SplitError
        For fewer than 3 folds or more folds than actors.

    Examples
    --------
    >>> actor_folds(range(1, 7), 3)
    [[1, 2], [3, 4], [5, 6]]
    """
    ordered = sorted(a for a in actors if a % 2) + sorted(a for a in actors if not a % 2)
    if n_folds < 3 or n_folds > len(ordered):
        raise SplitError(f"P3 needs at least 3 actors and 3 ≤ folds ≤ actors (training, early "
                         f"stopping and test actors apart); got {n_folds} folds of "
                         f"{len(ordered)} actor(s)")
    folds = [[] for _ in range(n_folds)]
    for i, actor in enumerate(ordered):
        folds[i % n_folds].append(actor)
    return [sorted(f) for f in folds]


def default_folds(n_actors: int) -> int:
    """P3's number of folds for a corpus of ``n_actors``.

    Parameters
    ----------
    n_actors : int
        The number of actors in the corpus.

    Returns
    -------
    int
        5 (4 actors each on the 20-actor development copy), or 3 for fewer than 10 actors
        (quick mode's 6).
    """
    return 5 if n_actors >= 10 else 3


def p3_actors(actors, fold: int = 0, n_folds: int = 5) -> tuple[list, list, list]:
    """P3 fold ``fold`` as actors: test, early-stopping (the next fold) and training (the rest).

    Parameters
    ----------
    actors : iterable of int
        Actor numbers.
    fold : int
        0 to n_folds − 1.
    n_folds : int
        The number of folds (``actor_folds``).

    Returns
    -------
    (train, val, test) : tuple of list of int
        Sorted actor numbers.

    Raises
    ------
    SplitError
        For a fold that does not exist, or folds the actors cannot fill.

    Examples
    --------
    >>> p3_actors(range(1, 7), fold=0, n_folds=3)
    ([5, 6], [3, 4], [1, 2])
    """
    folds = actor_folds([int(a) for a in actors], n_folds)
    if not 0 <= fold < n_folds:
        raise SplitError(f"fold {fold}: P3 has {n_folds} folds here, numbered 0 to {n_folds - 1}")
    test, val = folds[fold], folds[(fold + 1) % n_folds]
    return sorted(set(sum(folds, [])) - set(test) - set(val)), val, test


def p3(index: pd.DataFrame, fold: int = 0, n_folds: int = 5) -> Split:
    """Speaker-independent fold ``fold``: test actors, separate early-stopping actors, the rest
    for training. Validation and test keep originals only.

    Notebook: 08_beyond_the_paper.

    Parameters
    ----------
    index : pandas.DataFrame
        A cache's index, with "actor" and "version".
    fold : int
        0 to n_folds − 1.
    n_folds : int
        The number of folds (``default_folds``).

    Returns
    -------
    Split
        With ``test`` and ``fold`` set.

    Raises
    ------
    SplitError
        For a fold that does not exist, or too few actors.
    """
    _, val_actors, test_actors = p3_actors(index["actor"].unique(), fold, n_folds)
    actor, original = index["actor"].to_numpy(), index["version"].to_numpy() == 0
    in_test, in_val = np.isin(actor, test_actors), np.isin(actor, val_actors)
    return Split("P3", np.flatnonzero(~in_test & ~in_val), np.flatnonzero(in_val & original),
                 np.flatnonzero(in_test & original), fold=fold,
                 description=f"actor-disjoint fold {fold + 1}/{n_folds}: test actors "
                             f"{test_actors}, early-stopping actors {val_actors}")


def everything(index: pd.DataFrame) -> Split:
    """Every row for training, none held out (a refit with a fixed number of epochs).

    Parameters
    ----------
    index : pandas.DataFrame
        A cache's index.

    Returns
    -------
    Split
        Protocol "ALL", empty ``val`` and ``test``.
    """
    return Split("ALL", np.arange(len(index)), np.array([], dtype=int),
                 description="every actor in training, nothing held out (a refit)")


def siblings_in_training(index: pd.DataFrame, split: Split) -> np.ndarray:
    """For each validation row, whether another version of the same recording is in training:
    the leak that P1 has and P2/P3 do not. Notebooks: 06_training, 08_beyond_the_paper.

    Parameters
    ----------
    index : pandas.DataFrame
        The cache's index the split was made from.
    split : Split
        The split.

    Returns
    -------
    numpy.ndarray
        One bool per row of ``split.val``.
    """
    groups = recording_groups(index).to_numpy()
    return np.isin(groups[split.val], groups[split.train])
