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
    """``signal`` if it is one we know; ValueError naming it otherwise (never a silent AC)."""
    if signal not in SIGNALS:
        raise ValueError(f"signal {signal!r}: expected one of {', '.join(SIGNALS)}")
    return signal


def read(path, cfg: config.Config | None = None,
         centre_s: float | None = None) -> tuple[np.ndarray, int]:
    """A recording decoded as training decodes it: mono, at ``cfg.augment.sample_rate`` (48 kHz,
    where the BC filter is defined and the augmentations run); ``centre_s``: only the centre of
    a longer file (``audio_input.load_audio``)."""
    cfg = cfg or config.get_config()
    return audio_input.load_audio(path, sample_rate=cfg.augment.sample_rate, cfg=cfg,
                                  centre_s=centre_s)


def heard(audio: np.ndarray, rate: int, signal: str, bc_cfg: config.BCFilter) -> np.ndarray:
    """The signal a model of ``signal`` hears: the BC filter (defined at its reference rate,
    whatever ``rate`` is) for "bc", the audio itself for "ac"."""
    if check_signal(signal) == "bc":
        return bc.to_bc(audio, rate, bc_cfg.alpha, bc_cfg.beta, bc_cfg.reference_rate)
    return audio


def dtype(kind: str) -> type:
    """float16 halves the memory of frame-level features at no cost to the model; the eGeMAPS
    functionals stay float32 (a coefficient of variation can exceed float16's 65,504)."""
    return np.float32 if kind == "egemaps" else np.float16


def tensor(audio: np.ndarray, rate: int, f: config.Features) -> np.ndarray:
    """One clip's (T, F) features, as the cache stores them (``dtype``)."""
    return features.extract(audio, rate, f.kind, f).astype(dtype(f.kind))


def clip_tensor(audio: np.ndarray, rate: int, signal: str, bc_cfg: config.BCFilter,
                f: config.Features) -> np.ndarray:
    """A recording as a model of ``signal`` takes it: ``tensor(heard(...))``."""
    return tensor(heard(audio, rate, signal, bc_cfg), rate, f)
