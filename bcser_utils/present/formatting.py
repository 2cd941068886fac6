"""How numbers and noise conditions are written in every table, sentence, card and figure.

Notebook: 06_training, 08_beyond_the_paper, 09_towards_unseen_speakers.
"""

from __future__ import annotations

import statistics

NOISE_FREE = "clean"  # the noise-free condition's kind, as result files (results/*.json) write it


def percent(value: float | None) -> str:
    """0.585 → "58.5%"; None → "—".

    Parameters
    ----------
    value : float or None
        A fraction.

    Returns
    -------
    str
    """
    return "—" if value is None else f"{100 * value:.1f}%"


def interval(ci) -> str:
    """(0.535, 0.637) → "53.5–63.7%"; none → "".

    Parameters
    ----------
    ci : pair of floats, or None
        A confidence interval of a fraction.

    Returns
    -------
    str
    """
    return "" if not ci else f"{100 * ci[0]:.1f}–{100 * ci[1]:.1f}%"


def condition_label(kind: str, snr_db: float) -> str:
    """How a noise condition of a summary is named in every table, sentence and figure.

    Parameters
    ----------
    kind : str
        ``NOISE_FREE`` or a noise kind of ``audio.noise`` ("white", "speech_shaped", …).
    snr_db : float
        Its signal-to-noise ratio (ignored for ``NOISE_FREE``).

    Returns
    -------
    str
        "clean", or e.g. "speech-shaped noise at 20 dB".
    """
    return NOISE_FREE if kind == NOISE_FREE else f"{kind.replace('_', '-')} noise at {snr_db:g} dB"


def steady_epoch_seconds(seconds) -> float:
    """The time of a training epoch at its steady pace: the median of epochs 2 and later.

    Epoch 1 also pays one-off start-up costs, several times a later epoch's time on a two-core
    machine (notebook 06), so an extrapolation from it or from a mean that includes it
    overstates every later epoch.

    Parameters
    ----------
    seconds : sequence of float
        Each epoch's wall time, epoch 1 first (``FitResult.history.seconds``).

    Returns
    -------
    float
        The median of ``seconds[1:]``; ``seconds[0]`` when there is only one epoch (it then
        overstates the pace); nan when there is none.
    """
    seconds = [float(s) for s in seconds]
    if not seconds:
        return float("nan")
    return statistics.median(seconds[1:]) if len(seconds) > 1 else seconds[0]
