"""The 12 audio augmentations of the paper's Table II, and the 15 versions of one recording.

Notebook: 03_augmentation_gallery

``TRANSFORMS`` is an ordered registry, name → transform, in Table II order. Every transform has
the signature ``(audio, sample_rate, rng, params) -> audio``: ``audio`` is float32 and 1-D,
``rng`` is a ``numpy.random.Generator`` that drives every random choice, and ``params`` is the
``Augment`` section of the config, which holds each transform's paper parameter. Each returns
finite float32 audio of the input's length, except time_stretch and speed_perturbation, which
change the length by definition. ``DESCRIPTIONS`` says what real-world variation each one
simulates. ``LIBRARY_NOTES`` lists where a library's parameters mean something other than the
paper's words, and how we bridge the gap.

Seeding: audiomentations draws its parameters from Python's global ``random`` module (and
AddGaussianNoise draws from the global ``np.random``). We never let it draw. We sample every
parameter from our own Generator, write it into the transform's ``parameters`` dict and call its
``apply`` method. The same seed therefore gives bit-identical output, whatever other code does to
the global random state. That dict is private to audiomentations, so its keys are checked by
tests/test_augment.py and requirements.txt caps audiomentations at the minor versions tested.

Notebook 03's tools for showing and measuring these transforms (the Table II summary, the
explorer's knobs, what one draw did, the VTLP envelope, a log-mel probe) are in
``bcser_utils.present.gallery``. ``apply`` and ``versions`` show examples.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import audiomentations as am
import librosa
import numpy as np
import pedalboard
import soxr
from scipy.fft import dct, idct
from scipy.interpolate import interp1d

from bcser_utils.config import Augment, get_config

Transform = Callable[[np.ndarray, int, np.random.Generator, Augment], np.ndarray]

TRANSFORMS: dict[str, Transform] = {}
DESCRIPTIONS: dict[str, str] = {}
LIBRARY_NOTES: dict[str, str] = {}

# VTLP analysis settings. They are implementation details of our warp, not paper constants.
VTLP_WINDOW_S = 0.04  # STFT window >= 40 ms, so that harmonics of a voice are resolved
VTLP_ENVELOPE_ITERATIONS = 5  # "true envelope" iterations (Roebel & Rodet 2005)


def _register(name: str, description: str, note: str | None = None):
    """Add a transform to TRANSFORMS (in definition order), with its description and note."""

    def add(fn: Transform) -> Transform:
        TRANSFORMS[name] = fn
        DESCRIPTIONS[name] = description
        if note:
            LIBRARY_NOTES[name] = note
        return fn

    return add


def _run(transform, audio: np.ndarray, sample_rate: int, **parameters) -> np.ndarray:
    """Run an audiomentations transform with parameters that we drew, never its global RNG."""
    transform.parameters = {"should_apply": True, **parameters}
    return transform.apply(audio, sample_rate)


@_register(
    "time_stretch",
    "Faster speaking rate at the same voice pitch: tempo x{time_stretch_rate}, "
    "duration / {time_stretch_rate}.",
    "audiomentations TimeStretch's 'rate' > 1 speeds up, as the paper's 1.2 means; we pass "
    "leave_length_unchanged=False (its default True would pad or crop back to the input length) "
    "and method='signalsmith_stretch' (its default; the librosa phase vocoder also keeps F0, "
    "but is slower and, in audiomentations' words, 'low quality').",
)
def _time_stretch(audio, sample_rate, rng, params):
    """Time stretch by ``params.time_stretch_rate`` keeping pitch; length becomes N / rate.

    audiomentations TimeStretch with min_rate = max_rate = rate and the Signalsmith Stretch
    method, which keeps F0 within 0.1% on a harmonic tone. Notebook: 03_augmentation_gallery.
    """
    rate = params.time_stretch_rate
    stretch = am.TimeStretch(min_rate=rate, max_rate=rate, leave_length_unchanged=False,
                             method="signalsmith_stretch", p=1.0)
    return _run(stretch, audio, sample_rate, rate=rate)


@_register(
    "speed_perturbation",
    "A faster talker or a tape played fast: tempo and pitch both x{speed_factor}, duration / "
    "{speed_factor} (Kaldi-style speed perturbation).",
    "Not in audiomentations or pedalboard; written with soxr: the signal is read as if it had "
    "been sampled at speed_factor * sample_rate and resampled to sample_rate.",
)
def _speed_perturbation(audio, sample_rate, rng, params):
    """Speed perturbation: resample so that tempo and pitch both go up by ``speed_factor``
    (or by a factor drawn from 2 − speed_factor … speed_factor, if ``params.two_sided``).

    ``soxr.resample(audio, in_rate=factor * sr, out_rate=sr)``: N samples become N / factor, and
    every frequency goes up by the factor. Notebook: 03_augmentation_gallery.
    """
    factor = _two_sided(params.speed_factor, rng) if params.two_sided else params.speed_factor
    return soxr.resample(audio, factor * sample_rate, sample_rate, quality="HQ")


@_register(
    "time_shift",
    "A different onset time in the recording window: shifted by up to +/-{shift_fraction:.0%} of "
    "its length, the gap filled with silence.",
    "audiomentations Shift defaults to rollover=True (the end wraps round to the start); we use "
    "rollover=False, zero-fill, because a later or earlier onset is the real-world variation and "
    "a wrapped-round word is not. Its 5 ms fade at the edge is kept to avoid a click.",
)
def _time_shift(audio, sample_rate, rng, params):
    """Shift by a uniform fraction in [-shift_fraction, +shift_fraction] of the length.

    audiomentations Shift, rollover=False: samples pushed past either end are dropped and the gap
    is zero-filled (with a 5 ms fade at the stitch). Notebook: 03_augmentation_gallery.
    """
    f = params.shift_fraction
    shift = am.Shift(min_shift=-f, max_shift=f, shift_unit="fraction",
                     rollover=params.shift_rollover, p=1.0)
    return _run(shift, audio, sample_rate, shift_amount=float(rng.uniform(-f, f)))


@_register(
    "time_mask",
    "A dropout or an occluded stretch of speech: a random {time_mask_fraction:.0%} or less of the "
    "audio is silenced.",
    "audiomentations TimeMask draws the mask length between min_band_part and max_band_part; we "
    "draw it uniformly in [0, time_mask_fraction] of the length ourselves. Its 5 ms fades sit "
    "inside the mask, so fewer than that many samples are exactly zero.",
)
def _time_mask(audio, sample_rate, rng, params):
    """Silence one random stretch of at most ``time_mask_fraction`` of the length.

    audiomentations TimeMask (fade 5 ms inside the mask). The length t is uniform in
    [0, floor(fraction * N)] samples and the start uniform over the valid positions.
    Notebook: 03_augmentation_gallery.
    """
    n = audio.shape[-1]
    t = int(rng.integers(0, int(n * params.time_mask_fraction), endpoint=True))
    t0 = int(rng.integers(0, n - t, endpoint=True))
    mask = am.TimeMask(min_band_part=0.0, max_band_part=params.time_mask_fraction, p=1.0)
    return _run(mask, audio, sample_rate, t=t, t0=t0)


@_register(
    "pitch_shift",
    "A higher-pitched voice at the same tempo: +{pitch_semitones:g} semitones, i.e. F0 and "
    "formants x 2^(semitones / 12).",
    "audiomentations PitchShift with min = max = the paper's semitones; method "
    "'signalsmith_stretch' (its default) has no formant preservation: formants move up with F0 "
    "(measured x1.12), unlike vtlp.",
)
def _pitch_shift(audio, sample_rate, rng, params):
    """Shift pitch by ``pitch_semitones`` (or a draw from ±that, if ``params.two_sided``),
    keeping the duration (audiomentations PitchShift).

    Notebook: 03_augmentation_gallery.
    """
    st = rng.uniform(-params.pitch_semitones, params.pitch_semitones) if params.two_sided \
        else params.pitch_semitones
    shift = am.PitchShift(min_semitones=st, max_semitones=st, method="signalsmith_stretch", p=1.0)
    return _run(shift, audio, sample_rate, num_semitones=st)


@_register(
    "volume",
    "A louder or quieter talker, or a microphone nearer or farther: amplitude x{gain_range[0]:g} "
    "to x{gain_range[1]:g}.",
    "audiomentations Gain draws its gain uniformly in dB (min_gain_db..max_gain_db); the paper's "
    "x0.5-1.5 is a linear factor. We draw the factor uniformly in linear units and hand it to "
    "Gain as its amplitude_ratio, so factors above 1 are as likely as below.",
)
def _volume(audio, sample_rate, rng, params):
    """Multiply by one factor drawn uniformly (linear, not dB) in ``gain_range``.

    Applied through audiomentations Gain with its ``amplitude_ratio`` set to our linear draw;
    uniform in dB over [-6.0, +3.5] dB would instead favour quiet factors.
    Notebook: 03_augmentation_gallery.
    """
    low, high = params.gain_range
    return _run(am.Gain(p=1.0), audio, sample_rate, amplitude_ratio=float(rng.uniform(low, high)))


@_register(
    "gaussian_noise",
    "Microphone and background hiss: white Gaussian noise of standard deviation {noise_std:g} "
    "(about -46 dBFS).",
    "The paper's 'level 0.005' is read as the noise standard deviation (audiomentations' "
    "'amplitude'). AddGaussianNoise draws from the global np.random, so we add "
    "noise_std * rng.standard_normal(N) ourselves.",
)
def _gaussian_noise(audio, sample_rate, rng, params):
    """Add white Gaussian noise of standard deviation ``noise_std``, from our Generator.

    Notebook: 03_augmentation_gallery.
    """
    return audio + np.float32(params.noise_std) * rng.standard_normal(audio.shape, np.float32)


@_register(
    "clipping",
    "An overdriven recording chain: every sample beyond +/-{clip_level:g} is cut to "
    "+/-{clip_level:g}.",
    "audiomentations ClippingDistortion clips at a random percentile of the samples, not at a "
    "fixed level; we use its Clip(a_min=-level, a_max=level), which is np.clip. Most RAVDESS "
    "clips (median peak about 0.09) never reach +/-0.5, so for them this is the identity.",
)
def _clipping(audio, sample_rate, rng, params):
    """Hard-clip at +/-``clip_level`` (audiomentations Clip). Notebook: 03_augmentation_gallery."""
    level = params.clip_level
    return am.Clip(a_min=-level, a_max=level, p=1.0).apply(audio, sample_rate)


@_register(
    "polarity_inversion",
    "A microphone or cable wired the other way round: the waveform is multiplied by -1.",
    "Invisible to any magnitude spectrogram (log-mel, MFCC): the augmented copy has the same "
    "features as the original.",
)
def _polarity_inversion(audio, sample_rate, rng, params):
    """Return -audio (audiomentations PolarityInversion). Notebook: 03_augmentation_gallery."""
    return am.PolarityInversion(p=1.0).apply(audio, sample_rate)


@_register(
    "echo",
    "A hard reflecting wall: one echo {echo_delay_s:g} s later at {echo_decay:g} of the "
    "amplitude.",
    "pedalboard.Delay's mix is a linear crossfade, (1 - mix) * dry + mix * wet, and its feedback "
    "feeds the wet signal back, giving a train of echoes decaying as feedback^k. Neither is "
    "'decay'. A single echo of decay d is feedback=0 with mix=1 (the pure delayed signal), added "
    "to the dry signal as x + d * x(t - delay); it equals mix = d / (1 + d) scaled by (1 + d). "
    "The length is kept, so the echo of the last delay seconds is cut off.",
)
def _echo(audio, sample_rate, rng, params):
    """One echo: ``y[n] = x[n] + decay * x[n - delay * sample_rate]``, same length as x.

    The delayed copy comes from pedalboard.Delay(delay_seconds, feedback=0, mix=1). Reading
    "decay 0.5" as feedback=0.5 would instead give echoes of 0.5, 0.25, 0.125, ...
    Notebook: 03_augmentation_gallery.
    """
    delay = pedalboard.Delay(delay_seconds=params.echo_delay_s, feedback=0.0, mix=1.0)
    return audio + np.float32(params.echo_decay) * delay(audio, sample_rate)


@_register(
    "compression",
    "Broadcast or phone-style dynamic range compression: above {compressor_threshold_db:g} dBFS "
    "the level grows only 1 dB per {compressor_ratio:g} dB.",
    "pedalboard.Compressor (JUCE dsp::Compressor) detects the PEAK level, |x| through a one-pole "
    "attack/release follower (defaults attack 1 ms, release 100 ms, as time constants "
    "t / (2 pi)), with a hard knee, no look-ahead and no make-up gain. The paper gives no "
    "attack, release or level detector; we keep pedalboard's defaults. A sine's RMS is 3 dB "
    "below its peak, so the threshold is met 3 dB earlier than an RMS reading would suggest. "
    "About half of RAVDESS clips never peak above -20 dBFS, so for them this is the identity.",
)
def _compression(audio, sample_rate, rng, params):
    """Compress above ``compressor_threshold_db`` (dBFS peak) at ``compressor_ratio``:1.

    gain = (env / threshold) ** (1 / ratio - 1) when the peak envelope env exceeds the
    threshold, else 1. Notebook: 03_augmentation_gallery.
    """
    compressor = pedalboard.Compressor(threshold_db=params.compressor_threshold_db,
                                       ratio=params.compressor_ratio,
                                       attack_ms=params.compressor_attack_ms,
                                       release_ms=params.compressor_release_ms)
    return compressor(audio, sample_rate)


def vtlp_warp(freqs, alpha: float, sample_rate: int, boundary_hz: float | None = None):
    """The piecewise-linear VTLP frequency warp of Jaitly & Hinton (2013), vectorised.

    ``w(f) = alpha * f`` for ``f <= b = boundary * min(alpha, 1) / alpha``; above b, the straight
    line from ``(b, alpha * b)`` to ``(nyquist, nyquist)``, so the warp maps [0, nyquist] onto
    itself. A spectral feature at frequency f moves to w(f): alpha > 1 moves formants UP, as a
    shorter vocal tract does. Notebook: 03_augmentation_gallery (plots this warp).

    Parameters
    ----------
    freqs : array-like
        Frequencies in Hz, 0 to sample_rate / 2.
    alpha : float
        The warp factor (1.1 in Table II).
    sample_rate : int
        In Hz.
    boundary_hz : float, optional
        Where the linear warp hands over; default the config's ``vtlp_boundary_hz`` (4.8 kHz),
        capped at 0.9 × nyquist for low sample rates.

    Returns
    -------
    numpy.ndarray
        w(freqs), in Hz.
    """
    nyquist = sample_rate / 2
    if boundary_hz is None:
        boundary_hz = get_config().augment.vtlp_boundary_hz
    b = min(boundary_hz, 0.9 * nyquist) * min(alpha, 1.0) / alpha
    return np.interp(freqs, [0.0, b, nyquist], [0.0, alpha * b, nyquist])


def _log_envelope(log_mag: np.ndarray, n_lifter: int) -> np.ndarray:
    """Spectral envelope of each row (one frame) of a log-magnitude STFT, in the same units.

    Cepstral smoothing keeps the real cepstrum up to ``n_lifter`` samples of quefrency (the
    DCT-I of a log-magnitude row is its real cepstrum); the "true envelope" iterations then
    raise the curve onto the harmonic peaks instead of through their valleys.
    """

    def smooth(a):
        cepstrum = dct(a, type=1)
        cepstrum[..., n_lifter + 1:] = 0.0
        return idct(cepstrum, type=1)

    env = smooth(log_mag)
    for _ in range(VTLP_ENVELOPE_ITERATIONS):
        env = smooth(np.maximum(log_mag, env))
    return env


@_register(
    "vtlp",
    "A shorter or longer vocal tract (another speaker's anatomy): formants x{vtlp_alpha:g}, "
    "pitch and timing unchanged.",
    "No kept library does VTLP; written here. Jaitly & Hinton warp the mel filterbank, which on "
    "a waveform would move the harmonics (F0) too. We warp only the spectral envelope (source-"
    "filter split), so formants move by alpha below 4.8 kHz and F0 stays.",
)
def _vtlp(audio, sample_rate, rng, params):
    """Vocal-tract-length perturbation: formants x ``vtlp_alpha``, F0 and length unchanged.

    1. STFT X (window >= 40 ms, hop 1/4). 2. Per frame, the log spectral envelope E(f) by the
       "true envelope" method: cepstral smoothing iterated onto the harmonic peaks, with a
       lifter of 0.5 / F0 seconds (F0: median cepstral-peak estimate, 60-500 Hz, over the
       louder frames; the lifter is kept in 1-6 ms). 3. The warped envelope
       E'(f) = E(w^-1(f)), with w = ``vtlp_warp``, so a formant at f moves to w(f), which is
       alpha * f below the boundary. 4. Y = X * exp(E' - E): the harmonic fine structure and
       the phase stay the original ones, so F0 is untouched. 5. Inverse STFT to the input
       length. Deterministic (rng unused) unless ``params.two_sided`` draws α.
       Notebook: 03_augmentation_gallery.
    """
    if not np.any(audio):
        return audio.copy()
    n_fft = int(2 ** np.ceil(np.log2(VTLP_WINDOW_S * sample_rate)))
    hop = n_fft // 4
    spec = librosa.stft(audio, n_fft=n_fft, hop_length=hop).T  # frames x frequencies
    power = np.abs(spec) ** 2
    log_mag = 0.5 * np.log(power + 1e-18)

    energy = power.sum(axis=1)
    lo, hi = sample_rate // 500, sample_rate // 60  # F0 search range, as periods in samples
    cepstrum = dct(log_mag[energy >= 0.01 * energy.max()], type=1)
    period = np.median(lo + np.argmax(cepstrum[:, lo:hi], axis=1))
    n_lifter = int(np.clip(0.5 * period, 0.001 * sample_rate, 0.006 * sample_rate))

    log_env = _log_envelope(log_mag, n_lifter)
    freqs = librosa.fft_frequencies(sr=sample_rate, n_fft=n_fft)
    alpha = _two_sided(params.vtlp_alpha, rng) if params.two_sided else params.vtlp_alpha
    source = np.interp(freqs, vtlp_warp(freqs, alpha, sample_rate,
                                        params.vtlp_boundary_hz), freqs)  # w^-1
    warped = interp1d(freqs, log_env, axis=1, assume_sorted=True)(source)
    return librosa.istft((spec * np.exp(warped - log_env)).T, hop_length=hop,
                         length=audio.shape[-1])


def _two_sided(factor: float, rng: np.random.Generator) -> float:
    """A factor drawn uniformly between 2 − ``factor`` and ``factor`` (1.1 → 0.9 … 1.1): the
    two-sided range ``Augment.two_sided`` asks for in place of Table II's fixed point."""
    low, high = sorted((2 - factor, factor))
    return float(rng.uniform(low, high))


def _check(audio) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1 or audio.size == 0:
        raise ValueError(f"expected 1-D mono audio with samples, got shape {audio.shape}")
    if not np.all(np.isfinite(audio)):
        raise ValueError("audio contains NaN or inf samples")
    return audio


def apply(name: str, audio: np.ndarray, sample_rate: int,
          rng: int | np.random.Generator = 0, params: Augment | None = None,
          p: float | None = None) -> np.ndarray:
    """Apply the Table II transform ``name`` with probability ``p``.

    Notebook: 03_augmentation_gallery.

    Parameters
    ----------
    name : str
        A key of ``TRANSFORMS`` ("time_stretch", "pitch_shift", …).
    audio : numpy.ndarray
        1-D finite mono audio.
    sample_rate : int
        In Hz.
    rng : int or numpy.random.Generator
        A seed or a generator; it decides whether to apply (one draw, always made) and every
        random parameter.
    params : config.Augment, optional
        The transforms' parameters; default ``get_config().augment``.
    p : float, optional
        The probability of applying; default ``params.p``.

    Returns
    -------
    numpy.ndarray
        1-D float32 audio; a copy of the input when the transform is not applied. The input's
        length, except after time_stretch and speed_perturbation.

    Raises
    ------
    KeyError
        For an unknown transform.
    ValueError
        For audio that is not 1-D, empty, or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(16_000) / 16_000
    >>> audio = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)  # 1 s of 220 Hz
    >>> y = apply("pitch_shift", audio, 16_000, rng=0)  # +2 semitones, same length
    >>> y.dtype, y.shape
    (dtype('float32'), (16000,))
    >>> np.array_equal(y, apply("pitch_shift", audio, 16_000, rng=0))  # same seed, same audio
    True
    """
    if name not in TRANSFORMS:
        raise KeyError(f"unknown augmentation {name!r}; expected one of {', '.join(TRANSFORMS)}")
    params = get_config().augment if params is None else params
    p = params.p if p is None else p
    rng = np.random.default_rng(rng)
    audio = _check(audio)
    if rng.random() >= p:
        return audio.copy()
    out = np.asarray(TRANSFORMS[name](audio, sample_rate, rng, params), dtype=np.float32)
    if not np.all(np.isfinite(out)):
        raise FloatingPointError(f"augmentation {name!r} produced NaN or inf samples")
    return out


def apply_chain(names: Sequence[str], audio: np.ndarray, sample_rate: int,
                rng: int | np.random.Generator = 0, params: Augment | None = None) -> np.ndarray:
    """Apply the transforms ``names`` one after another, each for certain (p = 1).

    Notebook: 03_augmentation_gallery.

    Parameters
    ----------
    names : sequence of str
        Keys of ``TRANSFORMS``, in the order to apply them.
    audio : numpy.ndarray
        1-D finite mono audio.
    sample_rate : int
        In Hz.
    rng : int or numpy.random.Generator
        A seed or a generator, shared by the whole chain.
    params : config.Augment, optional
        Default ``get_config().augment``.

    Returns
    -------
    numpy.ndarray
        1-D float32 audio.
    """
    rng = np.random.default_rng(rng)
    for name in names:
        audio = apply(name, audio, sample_rate, rng, params, p=1.0)
    return _check(audio)


def versions(audio: np.ndarray, sample_rate: int, n: int | None = None, seed: int = 0,
             params: Augment | None = None) -> list[tuple[str, np.ndarray]]:
    """The paper's versions of ONE recording, as (label, audio) pairs.

    Our reading of the paper: Table III's 4,320 validation clips are 20% of 21,600 = 1,440 x 15,
    so each recording has ``params.n_versions`` = 15 versions: the original, the 12 single
    Table II transforms (registry order), and 2 random chains of ``params.chain_length``
    distinct transforms in random order.

    Every transform is applied for certain (p = 1; the paper's "random probability" is which
    transforms a version gets). Version i draws from its own child of ``SeedSequence(seed)``, so
    ``versions(n=5)`` is the first 5 of ``versions(n=15)``. Working on one recording at a time
    lets a train/validation split come before augmentation (protocol P2).
    Notebook: 03_augmentation_gallery.

    Parameters
    ----------
    audio : numpy.ndarray
        1-D finite mono audio.
    sample_rate : int
        In Hz.
    n : int, optional
        How many versions: default ``params.n_versions`` (15); fewer keeps the first n, more
        adds random chains.
    seed : int
        The recording's seed (``recording_seed``).
    params : config.Augment, optional
        Default: the paper's ``config.Augment()``, whatever the mode.

    Returns
    -------
    list of (str, numpy.ndarray)
        Labels "original", "time_stretch", …, "chain:pitch_shift+echo+volume", each with 1-D
        float32 audio.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(16_000) / 16_000
    >>> audio = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    >>> [label for label, _ in versions(audio, 16_000, n=4, seed=0)]
    ['original', 'time_stretch', 'speed_perturbation', 'time_shift']
    >>> [len(a) for _, a in versions(audio, 16_000, n=4, seed=0)]  # stretch and speed shorten
    [16000, 13333, 14545, 16000]
    """
    # the paper's augmentation unless told: quick mode's cache asks for fewer versions itself
    params = Augment() if params is None else params
    n = params.n_versions if n is None else n
    audio = _check(audio)
    names = list(TRANSFORMS)
    out = []
    for i, child in enumerate(np.random.SeedSequence(seed).spawn(n)):
        rng = np.random.default_rng(child)
        if i == 0:
            out.append(("original", audio.copy()))
        elif i <= len(names):
            name = names[i - 1]
            out.append((name, apply(name, audio, sample_rate, rng, params, p=1.0)))
        else:
            picked = [names[j] for j in rng.choice(len(names), params.chain_length, replace=False)]
            out.append(("chain:" + "+".join(picked),
                        apply_chain(picked, audio, sample_rate, rng, params)))
    return out


# Put each paper parameter into its description, from the defaults in config.
DESCRIPTIONS.update({k: v.format(**vars(Augment())) for k, v in DESCRIPTIONS.items()})


def recording_seed(seed: int, name: str | Path) -> int:
    """The seed for one recording's ``versions``: CRC-32 of its name, started from ``seed``.

    ``versions(audio, sr, seed=s)`` with one ``s`` for every recording would give every recording
    the SAME draws (the same shift, gain, mask and chains). Seeding each by its name keeps the
    draws independent across recordings, reproducible, and independent of the file's suffix,
    folder or processing order. It matches bcser_utils.audio.feature_cache's seeds.
    Notebook: 03_augmentation_gallery.

    Parameters
    ----------
    seed : int
        The run's seed.
    name : str or Path
        A catalog name or a path; its stem is used.

    Returns
    -------
    int
        ``zlib.crc32(stem, seed)``, 0 to 2³² − 1.
    """
    return zlib.crc32(Path(str(name)).stem.encode(), int(seed) & 0xFFFFFFFF)
