"""One clip's way from a recording to the model's input: the one path that the feature cache,
``predict`` and notebook 08's noise study all take, so the model hears in use exactly what it
was trained on, bit for bit.

    read(path, cfg)                     decode at the augmentation rate (48 kHz), mono
    heard(audio, rate, signal, bc)      the signal the model hears: the BC filter, or the audio
    tensor(audio, rate, features)       16 kHz → features → the cache's dtype (float16)
    clip_tensor(...)                    both: what ``predict`` feeds a model for a recording

The cache reads a recording with ``read``, applies ``heard`` to it, augments it
(``augment.versions``), then ``tensor`` to each version; version 0 is the untouched original, so
a recording's version-0 row in the cache equals ``clip_tensor`` of the same file read with
``read`` (a test checks it, bit for bit).

Notebooks: 04_features, 07_evaluation, 08_beyond_the_paper.
"""

from __future__ import annotations

import numpy as np

from bcser_utils import config
from bcser_utils.audio import audio_input, bc, features

SIGNALS = ("ac", "bc")  # air-conducted as recorded, or the synthetic bone-conducted version


def check_signal(signal: str) -> str:
    """``signal`` if it is one we know; never a silent fallback to AC.

    Parameters
    ----------
    signal : str
        "ac" or "bc".

    Returns
    -------
    str
        ``signal``.

    Raises
    ------
    ValueError
        Naming an unknown signal.
    """
    if signal not in SIGNALS:
        raise ValueError(f"signal {signal!r}: expected one of {', '.join(SIGNALS)}")
    return signal


def read(path, cfg: config.Config | None = None,
         centre_s: float | None = None) -> tuple[np.ndarray, int]:
    """A recording decoded as training decodes it: mono, at ``cfg.augment.sample_rate``.

    48 kHz is the rate where the BC filter is defined and the augmentations run.
    Notebook: 04_features.

    Parameters
    ----------
    path : str or Path
        An audio file (WAV, FLAC …).
    cfg : config.Config, optional
        Default: ``config.get_config()``.
    centre_s : float, optional
        Decode only the centre ``centre_s`` seconds of a longer file (``audio_input.load_audio``).

    Returns
    -------
    audio : numpy.ndarray
        1-D float32 samples.
    rate : int
        The sample rate in Hz (48,000).

    Raises
    ------
    audio_input.AudioError
        For a file that cannot be decoded or checked, naming the file and the cause.

    Examples
    --------
    >>> import tempfile
    >>> import soundfile as sf
    >>> from bcser_utils.audio import names, synthetic
    >>> name = names.parse_name("03-01-05-02-01-02-12")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     sf.write(f"{folder}/{name.filename()}", synthetic.synthesize(name), 16_000)
    ...     audio, rate = read(f"{folder}/{name.filename()}")
    >>> audio.dtype, rate, round(len(audio) / rate, 2)  # seconds
    (dtype('float32'), 48000, 2.59)
    >>> clip_tensor(audio, rate, "bc", config.get_config().bc, config.get_config().features).shape
    (201, 64)
    """
    cfg = cfg or config.get_config()
    return audio_input.load_audio(path, sample_rate=cfg.augment.sample_rate, cfg=cfg,
                                  centre_s=centre_s)


def heard(audio: np.ndarray, rate: int, signal: str, bc_cfg: config.BCFilter) -> np.ndarray:
    """The signal a model of ``signal`` hears.

    Parameters
    ----------
    audio : numpy.ndarray
        1-D audio.
    rate : int
        Its sample rate in Hz.
    signal : {"ac", "bc"}
        "bc": the BC filter (defined at its reference rate, whatever ``rate`` is); "ac": the audio
        itself.
    bc_cfg : config.BCFilter
        The filter's α, β and reference rate.

    Returns
    -------
    numpy.ndarray
        1-D audio at ``rate``.
    """
    if check_signal(signal) == "bc":
        return bc.to_bc(audio, rate, bc_cfg.alpha, bc_cfg.beta, bc_cfg.reference_rate)
    return audio


def dtype(kind: str) -> type:
    """The dtype the cache stores features of ``kind`` in.

    float16 halves the memory of frame-level features at no cost to the model; the eGeMAPS
    functionals stay float32 (a coefficient of variation can exceed float16's 65,504).

    Parameters
    ----------
    kind : str
        A feature kind (``features.KINDS``).

    Returns
    -------
    type
        ``numpy.float32`` for "egemaps", ``numpy.float16`` otherwise.
    """
    return np.float32 if kind == "egemaps" else np.float16


def tensor(audio: np.ndarray, rate: int, f: config.Features) -> np.ndarray:
    """One clip's features, as the cache stores them.

    Parameters
    ----------
    audio : numpy.ndarray
        1-D audio.
    rate : int
        Its sample rate in Hz (resampled to ``f.sample_rate``).
    f : config.Features
        The kind and its settings.

    Returns
    -------
    numpy.ndarray
        (T, F) in ``dtype(f.kind)``: (201, 64) float16 for the default log-mel.
    """
    return features.extract(audio, rate, f.kind, f).astype(dtype(f.kind))


def clip_tensor(audio: np.ndarray, rate: int, signal: str, bc_cfg: config.BCFilter,
                f: config.Features) -> np.ndarray:
    """A recording as a model of ``signal`` takes it: ``tensor(heard(...))``.

    Notebooks: 04_features, 07_evaluation.

    Parameters
    ----------
    audio : numpy.ndarray
        1-D audio, as ``read`` returns it.
    rate : int
        Its sample rate in Hz.
    signal : {"ac", "bc"}
        Which signal the model was trained on.
    bc_cfg : config.BCFilter
        The BC filter's settings.
    f : config.Features
        The feature kind and its settings.

    Returns
    -------
    numpy.ndarray
        (T, F) features in the cache's dtype; see ``read``'s example.
    """
    return tensor(heard(audio, rate, signal, bc_cfg), rate, f)
