"""Every constant of the paper, with its value and where it comes from, plus the quick/full switch.

The paper is Shad et al., "Attention-Based Deep Learning for Scalable Speech Emotion Recognition
with Synthetic Bone-Conducted Speech". Each field's ``metadata["source"]`` says where its value
comes from; ``constants_table()`` lists them all. A notebook overrides values in one visible cell::

    cfg = config.get_config(mode="quick", overrides={"bc.alpha": 0.8})

Notebook: every notebook starts from ``get_config()``; 01_dataset_exploration shows the table.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

PAPER = "Shad et al., Attention-based deep learning for scalable SER with synthetic BC speech"
RAVDESS_PAPER = "Livingstone & Russo (2018), PLoS ONE 13(5): e0196391"

MODE_ENV = "BCSER_MODE"  # "quick" (default) or "full"
DATA_DIR_ENV = "BCSER_DATA_DIR"  # where downloads and caches go
RAVDESS_DIR_ENV = "BCSER_RAVDESS_DIR"  # an existing RAVDESS copy to use instead of downloading
OFFLINE_ENV = "BCSER_OFFLINE"  # 1/true/yes/on: never try to download (tests and CI set it)
FIGURES_DIR_ENV = "BCSER_FIGURES_DIR"

REPO_SLUG = "bcser/bcser"  # GitHub owner/name used by the Colab and Binder badges
REPO_ROOT = Path(__file__).resolve().parents[1]  # the checkout, when installed editable
# the shipped models: package data, so that `pip install` users get `predict` too
MODELS_DIR = Path(__file__).resolve().parent / "models"
RUNS_DIR_ENV = "BCSER_RUNS_DIR"  # another folder for the runs (the grader gives each student one)
# training runs (gitignored); every run command takes --out
RUNS_DIR = Path(os.environ.get(RUNS_DIR_ENV, "").strip() or REPO_ROOT / "runs").absolute()


def _c(value, source: str):
    """A config field: its default value and where that value comes from."""
    if isinstance(value, (list, dict, set)):
        raise TypeError("use tuples for sequence constants so configs stay immutable")
    return field(default=value, metadata={"source": source})


@dataclass(frozen=True)
class Corpus:
    """RAVDESS audio-only speech: the facts a loader and validator need."""

    n_files: int = _c(1440, f"{RAVDESS_PAPER}; paper §data")
    n_actors: int = _c(24, f"{RAVDESS_PAPER} (odd actor numbers are male)")
    sample_rate: int = _c(48_000, f"{RAVDESS_PAPER}: 48 kHz, 16-bit WAV")
    emotions: tuple = _c(
        ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"),
        f"{RAVDESS_PAPER}: emotion codes 01..08 in this order",
    )
    modality: int = _c(3, "RAVDESS file names: 03 = audio-only")
    vocal_channel: int = _c(1, "RAVDESS file names: 01 = speech (02 = song)")
    statements: tuple = _c(("Kids are talking by the door", "Dogs are sitting by the door"),
                           f"{RAVDESS_PAPER}: statement codes 01, 02")
    url: str = _c("https://zenodo.org/records/1188976/files/Audio_Speech_Actors_01-24.zip?download=1",
                  "Zenodo record 1188976")
    archive_name: str = _c("Audio_Speech_Actors_01-24.zip", "Zenodo record 1188976")
    archive_bytes: int = _c(208_468_073, "Zenodo record 1188976")
    archive_md5: str = _c("bc696df654c87fed845eb13823edef8a",
                          "Zenodo record 1188976")


@dataclass(frozen=True)
class Audio:
    """What the loaders accept. Not from the paper: our bounds (docs/design.md, Robustness)."""

    min_duration_s: float = _c(0.5, "ours: shorter clips hold too little speech to classify")
    min_sample_rate: int = _c(8_000, "ours: below telephone band the features are meaningless")
    max_sample_rate: int = _c(384_000, "ours: the highest rate audio interfaces record; a "
                                       "header above it is damaged or hostile")
    max_channels: int = _c(2, "ours: mono or stereo (RAVDESS ships 5 stereo files)")
    silence_peak: float = _c(1e-5, "ours: a peak below -100 dBFS is treated as silence")
    cancelled_mix_db: float = _c(60.0, "ours: a mono mix 60 dB below its channels means they "
                                       "cancel (one is the other inverted), up to rounding")
    predict_read_s: float = _c(60.0, "ours: predict decodes only the centre 60 s of a longer "
                                     "file (the model hears the centre 4 s of it)")


@dataclass(frozen=True)
class BCFilter:
    """AC→BC: first-order IIR low-pass H(z) = β / (1 − α z⁻¹), i.e. y[n] = β·x[n] + α·y[n−1]."""

    alpha: float = _c(0.755, "paper, BC synthesis filter H(z) = β/(1 − αz⁻¹)")
    beta: float = _c(0.205, "paper, BC synthesis filter H(z) = β/(1 − αz⁻¹)")
    reference_rate: int = _c(48_000, "ours: the paper gives no rate; "
                                     "RAVDESS's own rate")


@dataclass(frozen=True)
class Augment:
    """Table II of the paper. Each transform is applied with probability ``p``."""

    p: float = _c(1.0, "paper, Table II says only 'random probability'; ours: apply() uses p, "
                       "versions() always applies, since it picks the transforms itself")
    time_stretch_rate: float = _c(1.2, "paper, Table II")
    speed_factor: float = _c(1.1, "paper, Table II")
    shift_fraction: float = _c(0.2, "paper, Table II: ±20% of the length")
    time_mask_fraction: float = _c(0.1, "paper, Table II: at most 10% of the audio")
    pitch_semitones: float = _c(2.0, "paper, Table II: +2 semitones")
    gain_range: tuple = _c((0.5, 1.5), "paper, Table II: volume ×0.5–1.5 (linear)")
    noise_std: float = _c(0.005, "paper, Table II: Gaussian noise level 0.005")
    clip_level: float = _c(0.5, "paper, Table II: clipping at ±0.5")
    echo_delay_s: float = _c(0.5, "paper, Table II")
    echo_decay: float = _c(0.5, "paper, Table II")
    compressor_threshold_db: float = _c(-20.0, "paper, Table II")
    compressor_ratio: float = _c(4.0, "paper, Table II")
    compressor_attack_ms: float = _c(1.0, "ours: pedalboard's default; the paper gives none")
    compressor_release_ms: float = _c(100.0, "ours: pedalboard's default; the paper gives none")
    vtlp_alpha: float = _c(1.1, "paper, Table II")
    vtlp_boundary_hz: float = _c(4800.0, "Jaitly & Hinton (2013): F_hi, where the linear warp "
                                         "hands over")
    shift_rollover: bool = _c(False, "ours: zero-fill, since a later or earlier onset is the "
                                     "real-world variation (audiomentations defaults to rollover)")
    two_sided: bool = _c(False, "ours, for notebook 09's ablation: True draws speed from "
                                "2 − speed_factor … speed_factor (0.9–1.1), pitch from "
                                "±pitch_semitones and VTLP α from 2 − vtlp_alpha … vtlp_alpha "
                                "(0.9–1.1) for each version, instead of Table II's fixed points")
    sample_rate: int = _c(48_000, "paper: augment the recordings, then resample to 16 kHz; the "
                                  "rate every recording is loaded and augmented at. Note "
                                  "white noise of std 0.005 added at 48 kHz keeps std ≈ 0.0029 "
                                  "after resampling to 16 kHz")
    n_versions: int = _c(15, "paper, Table III: 4,320 validation clips = 20% of 1,440 × 15; "
                             "read as original + 12 single augmentations + 2 random chains")
    chain_length: int = _c(3, "ours: the paper does not say how long a random chain is")


@dataclass(frozen=True)
class Features:
    sample_rate: int = _c(16_000, "paper: everything is resampled to 16 kHz after augmentation")
    kind: str = _c("logmel", "ours: the paper says 'local spectral and prosodic features'; "
                             "log-mel is our default (notebook 04 compares)")
    n_mels: int = _c(64, "ours")
    n_fft: int = _c(512, "ours: 32 ms at 16 kHz")
    hop_length: int = _c(320, "ours: 20 ms at 16 kHz; 10 ms frames made training 3× slower "
                              "on 2 CPU cores (docs/design.md, Targets)")
    n_mfcc: int = _c(20, "ours")
    max_duration_s: float = _c(4.0, "ours: RAVDESS clips last 2.9–5.3 s")


@dataclass(frozen=True)
class Model:
    n_classes: int = _c(8, "paper: 8 emotions")
    conv_channels: tuple = _c((16, 32), "ours: the paper gives no sizes; sized so paper-scale "
                                        "training fitted 45 min on 2 CPU cores (docs/design.md)")
    d_model: int = _c(64, "ours")
    n_heads: int = _c(4, "ours")
    n_layers: int = _c(2, "ours")
    dropout: float = _c(0.1, "ours")
    block: str = _c("strided-conv-bn-relu",
                    "ours: the paper fixes neither a block's order nor how it downsamples. A "
                    "stride-2 convolution (no pooling) trains a full P1 epoch 3.5× faster than "
                    "conv → BatchNorm → ReLU → max-pool on 2 CPU cores (benchmarks/training.py, "
                    "model.conv_block). Runs before 2026-11-29 used 'conv-bn-relu-pool'")


@dataclass(frozen=True)
class Training:
    val_fraction: float = _c(0.2, "paper: 80:20 train/validation split")
    batch_size: int = _c(64, "paper")
    optimizer: str = _c("adam", "paper: Adam")
    learning_rate: float = _c(1e-3, "ours: Adam's default; the paper gives none")
    class_weight: str = _c("balanced",
                           "paper: inverse-frequency class weights (sklearn 'balanced')")
    label_smoothing: float = _c(0.1, "paper")
    patience: int = _c(5, "paper: early stopping on validation loss, patience 5")
    epoch_repeats: int = _c(1, "ours (notebook 09): an epoch passes over the training clips this "
                               "many times (reshuffled); 15 makes an epoch of the originals alone "
                               "as long as the paper's epoch of 15 versions, so that patience "
                               "means the same number of steps")
    weight_decay: float = _c(0.0, "paper: plain Adam. > 0 uses AdamW's decoupled weight decay "
                                  "(notebook 09's ablation)")
    lr_schedule: str = _c("constant", "paper: none given. 'plateau' halves the learning rate "
                                      "after 2 epochs without a lower validation loss "
                                      "(notebook 09)")
    spec_augment: bool = _c(False, "ours (notebook 09): SpecAugment's time and band masks on "
                                   "each training batch (Park et al. 2019); 2 + 2 masks of "
                                   "≤ 20 frames and ≤ 8 bands")
    mixup_alpha: float = _c(0.0, "ours (notebook 09): > 0 blends training clips and their "
                                 "labels, λ ~ Beta(α, α) (Zhang et al. 2018)")
    max_epochs: int = _c(100, "ours: an upper bound; the paper stopped at epoch 22")
    paper_stop_epoch: int = _c(22, "paper")


@dataclass(frozen=True)
class Normalize:
    """Between the cache and the model (``normalize``). Not from the paper."""

    mode: str = _c("global", "ours: the paper does not say; 'global' = one mean and std per "
                             "band from the training clips. 'speaker' and 'utterance': "
                             "notebook 09")
    top_db: float | None = _c(None, "ours: None keeps the cache's ln(power + 1e-10); a number "
                                    "floors each clip that many dB below its maximum, as "
                                    "librosa.power_to_db(top_db=…) (notebook 09)")
    min_speaker_clips: int = _c(4, "ours: predict --same-speaker needs this many clips of the "
                                   "speaker for its statistics (notebook 09 measures accuracy "
                                   "against the number of clips)")


@dataclass(frozen=True)
class Reported:
    """What the paper reports (Tables III and IV) and the prior work it cites."""

    train_accuracy: float = _c(0.9450, "paper, Table IV")
    val_accuracy: float = _c(0.9551, "paper, Table IV")
    balanced_accuracy: float = _c(0.9532, "paper, Table IV")
    mcc: float = _c(0.9487, "paper, Table IV")
    train_loss: float = _c(0.6226, "paper, Table IV")
    val_loss: float = _c(0.6019, "paper, Table IV")
    mean_iou: float = _c(0.9163, "paper, Table IV")
    mse: float = _c(0.0812, "paper, Table IV")
    log_loss: float = _c(1.4105, "paper, Table IV")
    auc: float = _c(1.0, "paper, Table IV: every class")
    val_support: int = _c(4320, "paper, Table III")
    # emotion: (precision, recall, f1, support)
    per_class: tuple = _c((
        ("angry", 1.00, 0.93, 0.97, 568), ("calm", 0.98, 0.97, 0.98, 508),
        ("disgust", 0.98, 0.96, 0.97, 514), ("fearful", 0.90, 0.99, 0.94, 607),
        ("happy", 0.88, 0.97, 0.92, 615), ("neutral", 0.98, 0.92, 0.95, 303),
        ("sad", 0.97, 0.91, 0.94, 606), ("surprised", 0.98, 0.96, 0.97, 599),
    ), "paper, Table III")
    hosain_bc_accuracy: float = _c(0.7250, "Hosain et al. 2023: CNN on log-mel, synthetic BC")
    hosain_ac_accuracy: float = _c(0.6983, "Hosain et al. 2023: CNN on log-mel, AC")


@dataclass(frozen=True)
class Mode:
    """Quick mode keeps the course and CI fast on two CPU cores; full mode is paper scale."""

    name: str = "quick"
    actors: tuple | None = (1, 2, 3, 4, 5, 6)  # None: every actor present
    max_epochs: int | None = 3  # None: Training.max_epochs
    # None: Augment.n_versions (the paper's 15). Quick mode's 5 keep the original and the first 4 of
    # them (augment.versions keeps the first n): a third of the cache to build, so that each
    # notebook runs in under 2 minutes on a fresh 2-core machine (cold_notebooks.py) ...
    versions: int | None = None
    # ... and its epochs pass 3 times over them (Training.epoch_repeats), as many steps as an
    # epoch of 15 versions: with 1 pass, 3 epochs left P3 at chance (9% on fold 1, best epoch 1)
    epoch_repeats: int = 1
    seed: int = 0


QUICK = Mode(versions=5, epoch_repeats=3)
FULL = Mode(name="full", actors=None, max_epochs=None)


@dataclass(frozen=True)
class Config:
    corpus: Corpus = field(default_factory=Corpus)
    audio: Audio = field(default_factory=Audio)
    bc: BCFilter = field(default_factory=BCFilter)
    augment: Augment = field(default_factory=Augment)
    features: Features = field(default_factory=Features)
    model: Model = field(default_factory=Model)
    training: Training = field(default_factory=Training)
    normalize: Normalize = field(default_factory=Normalize)
    reported: Reported = field(default_factory=Reported)
    mode: Mode = field(default_factory=Mode)

    @property
    def emotions(self) -> tuple:
        return self.corpus.emotions


def mode_from_env(default: str = "quick") -> str:
    """The mode ``$BCSER_MODE`` names.

    Parameters
    ----------
    default : str
        The mode when the variable is unset.

    Returns
    -------
    str
        "quick" or "full"; any other value raises ``ValueError`` naming the variable.
    """
    mode = os.environ.get(MODE_ENV, default).strip().lower()
    if mode not in ("quick", "full"):
        raise ValueError(f"{MODE_ENV}={mode!r}: expected 'quick' or 'full'")
    return mode


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


def offline() -> bool:
    """Whether ``$BCSER_OFFLINE`` says never to download.

    Returns
    -------
    bool
        True for 1/true/yes/on, False for 0/false/no/off or unset (case and surrounding spaces
        ignored); any other value raises ``ValueError`` naming the variable, as an odd
        ``$BCSER_MODE`` does.
    """
    value = os.environ.get(OFFLINE_ENV, "0")
    word = value.strip().lower()
    if word not in TRUE_WORDS + FALSE_WORDS:
        raise ValueError(f"{OFFLINE_ENV}={value!r}: expected one of "
                         f"{'/'.join(TRUE_WORDS)} (never download) or "
                         f"{'/'.join(w for w in FALSE_WORDS if w)}")
    return word in TRUE_WORDS


def check_environment() -> None:
    """Our environment variables, checked before anything reads them: a ``ValueError`` that
    names the variable, its value and why it cannot work (the command line says it in one line;
    some modules read the mode as they are imported)."""
    mode_from_env()
    offline()
    folder = os.environ.get(DATA_DIR_ENV)
    if folder and Path(folder).expanduser().exists() and not Path(folder).expanduser().is_dir():
        raise ValueError(f"{DATA_DIR_ENV}={folder}: not a folder (downloads and caches go in it)")


class SettingError(ValueError):
    """A setting out of its bounds or of the wrong kind; the message names the setting, its
    value and the bound (and the file it came from, when it came from one)."""


# "section.name" → (lowest, highest) allowed: ours, not the paper's, except where said. A value
# beyond them makes a run that cannot finish (100,000 versions: tens of GB), divides by zero or
# overflows. Integer settings must be integers; every number must be finite.
BOUNDS = {
    "audio.min_duration_s": (0.01, 60.0), "audio.min_sample_rate": (1_000, 384_000),
    "audio.max_sample_rate": (8_000, 768_000),
    "audio.max_channels": (1, 2), "audio.silence_peak": (0.0, 1.0),
    "audio.cancelled_mix_db": (1.0, 200.0), "audio.predict_read_s": (1.0, 3_600.0),
    "bc.alpha": (0.001, 0.999),  # 0 < α < 1: a stable low-pass (bc.coefficients)
    "bc.beta": (1e-6, 100.0), "bc.reference_rate": (8_000, 384_000),
    "augment.p": (0.0, 1.0), "augment.time_stretch_rate": (0.1, 10.0),
    "augment.speed_factor": (0.1, 10.0), "augment.shift_fraction": (0.0, 1.0),
    "augment.time_mask_fraction": (0.0, 1.0), "augment.pitch_semitones": (-24.0, 24.0),
    "augment.gain_range": (0.0, 100.0), "augment.noise_std": (0.0, 1.0),
    "augment.clip_level": (1e-6, 1.0), "augment.echo_delay_s": (0.0, 10.0),
    "augment.echo_decay": (0.0, 1.0), "augment.compressor_threshold_db": (-120.0, 0.0),
    "augment.compressor_ratio": (1.0, 1_000.0), "augment.compressor_attack_ms": (0.0, 10_000.0),
    "augment.compressor_release_ms": (0.0, 10_000.0), "augment.vtlp_alpha": (0.5, 2.0),
    "augment.vtlp_boundary_hz": (1.0, 24_000.0), "augment.sample_rate": (8_000, 192_000),
    "augment.n_versions": (1, 15),  # the paper's 15 versions: augment.versions makes no more
    "augment.chain_length": (1, 12),
    "features.sample_rate": (8_000, 48_000), "features.n_mels": (1, 256),
    "features.n_fft": (16, 16_384), "features.hop_length": (1, 16_384),
    "features.n_mfcc": (1, 256), "features.max_duration_s": (0.1, 60.0),
    "model.n_classes": (2, 64), "model.conv_channels": (1, 1_024), "model.d_model": (1, 4_096),
    "model.n_heads": (1, 64), "model.n_layers": (0, 48), "model.dropout": (0.0, 0.99),
    "training.val_fraction": (0.01, 0.99), "training.batch_size": (1, 65_536),
    "training.learning_rate": (1e-9, 10.0), "training.label_smoothing": (0.0, 0.99),
    "training.patience": (0, 10_000), "training.epoch_repeats": (1, 100),
    "training.weight_decay": (0.0, 10.0), "training.mixup_alpha": (0.0, 100.0),
    "training.max_epochs": (1, 10_000), "training.paper_stop_epoch": (1, 10_000),
    "normalize.top_db": (1.0, 300.0), "normalize.min_speaker_clips": (1, 10_000),
    "mode.seed": (0, 2**32 - 1), "mode.max_epochs": (1, 10_000), "mode.versions": (1, 15),
    "mode.actors": (1, 24), "mode.epoch_repeats": (1, 100),
}


def check_setting(key: str, value, default=None):
    """``value`` for the setting ``key`` ("section.name"), checked against ``BOUNDS``.

    Parameters
    ----------
    key : str
        "section.name", e.g. "augment.n_versions".
    value : object
        The value given (a tuple's items are each checked).
    default : object
        The setting's default: its kind (int, float, str, bool, tuple, None) is the one wanted.

    Returns
    -------
    object
        ``value``, unchanged.

    Raises
    ------
    SettingError
        Naming the setting, its value and the bound.
    """
    bound = BOUNDS.get(key)
    items = value if isinstance(value, tuple) else (value,)
    if value is None and (default is None or key.startswith("mode.")):  # None: "all", "off"
        return value
    if value is None:
        raise SettingError(f"{key}=None: a value is needed")
    if isinstance(default, str) and isinstance(value, str):
        return value
    if isinstance(default, bool) or isinstance(value, bool):
        if isinstance(default, bool) is isinstance(value, bool):
            return value
        wanted = "true or false" if isinstance(default, bool) else "a number"
        raise SettingError(f"{key}={value!r}: expected {wanted}")
    if isinstance(default, str):
        raise SettingError(f"{key}={value!r}: expected text")
    if isinstance(default, tuple) and not isinstance(value, tuple):
        raise SettingError(f"{key}={value!r}: expected a list")
    for item in items:
        if isinstance(default, tuple) and isinstance(item, (tuple, str)):  # names, rows
            continue
        if not isinstance(item, (int, float)) or isinstance(item, bool) or item != item or \
                item in (float("inf"), float("-inf")):
            raise SettingError(f"{key}={value!r}: expected a finite number")
        wants_int = isinstance(default, int) or (
            isinstance(default, tuple) and default and isinstance(default[0], int))
        if wants_int and not isinstance(item, int):
            raise SettingError(f"{key}={value!r}: expected a whole number")
        if bound and not bound[0] <= item <= bound[1]:
            name = key.partition(".")[2]
            low, high = (f"{b:g}" if isinstance(b, float) else str(b) for b in bound)
            raise SettingError(f"{key}={value!r}: out of bounds, expected "
                               f"{low} ≤ {name} ≤ {high}")
    return value


def check(cfg: Config) -> Config:
    """Every setting of ``cfg`` within its bounds, and the settings that depend on each other
    consistent.

    Parameters
    ----------
    cfg : Config
        A configuration built from overrides or a run.json.

    Returns
    -------
    Config
        ``cfg``, unchanged.

    Raises
    ------
    SettingError
        Naming the setting, its value and the bound.
    """
    for section in dataclasses.fields(cfg):
        part = getattr(cfg, section.name)
        for f in dataclasses.fields(part):
            default = f.default if f.default is not dataclasses.MISSING else None
            check_setting(f"{section.name}.{f.name}", getattr(part, f.name), default)
    features, model = cfg.features, cfg.model
    if features.n_mels > features.n_fft // 2 + 1:
        raise SettingError(f"features.n_mels={features.n_mels}: more mel bands than the "
                           f"{features.n_fft // 2 + 1} frequencies of features.n_fft="
                           f"{features.n_fft}")
    if features.n_mfcc > features.n_mels:
        raise SettingError(f"features.n_mfcc={features.n_mfcc}: more than features.n_mels="
                           f"{features.n_mels}")
    if model.d_model % model.n_heads:
        raise SettingError(f"model.d_model={model.d_model}: not a multiple of model.n_heads="
                           f"{model.n_heads}")
    low, high = cfg.augment.gain_range
    if not (len(cfg.augment.gain_range) == 2 and 0 < low <= high):
        raise SettingError(f"augment.gain_range={cfg.augment.gain_range!r}: expected two "
                           "gains, 0 < low ≤ high")
    return cfg


def get_config(mode: str | None = None, overrides: dict | None = None) -> Config:
    """The configuration for ``mode`` ("quick" or "full"; default: $BCSER_MODE, else quick).

    Parameters
    ----------
    mode : str or None
        "quick" or "full".
    overrides : dict or None
        "section.name" → a new value, e.g. ``{"bc.alpha": 0.8}``; each is checked against its
        bounds (``BOUNDS``: ``SettingError``), an unknown key is a ``KeyError``.

    Returns
    -------
    Config
        The configuration.
    """
    mode = mode_from_env() if mode is None else mode.lower()
    if mode not in ("quick", "full"):
        raise ValueError(f"mode {mode!r}: expected 'quick' or 'full'")
    cfg = Config(mode=QUICK if mode == "quick" else FULL)
    for key, value in _set_by_mode(cfg.mode).items():  # before the overrides, which may set them
        section, _, name = key.partition(".")
        cfg = dataclasses.replace(cfg, **{section: dataclasses.replace(getattr(cfg, section),
                                                                       **{name: value})})
    for key, value in (overrides or {}).items():
        section, _, name = key.partition(".")
        part = getattr(cfg, section, None)
        if part is None or not dataclasses.is_dataclass(part) or name not in {
            f.name for f in dataclasses.fields(part)
        }:
            raise KeyError(f"unknown config key {key!r}")
        cfg = dataclasses.replace(cfg, **{section: dataclasses.replace(part, **{name: value})})
    return check(cfg) if overrides else cfg


def _set_by_mode(mode: Mode) -> dict:
    """The constants a mode sets in place of their defaults ("section.name" → value)."""
    return ({"augment.n_versions": mode.versions} if mode.versions is not None else {}) | \
        ({"training.epoch_repeats": mode.epoch_repeats} if mode.epoch_repeats != 1 else {})


def from_dict(sections: dict, mode: str = "quick", source: str | None = None) -> Config:
    """The configuration that ``asdict``-style ``sections`` describe (as a run.json records
    them, lists for tuples); a section or setting not given keeps its default.

    Parameters
    ----------
    sections : dict
        Section name → {setting: value}.
    mode : str
        The mode whose defaults fill in what is not given.
    source : str or None
        The file the sections came from, named first in an error.

    Returns
    -------
    Config
        The configuration, every setting within its bounds (``check``).

    Raises
    ------
    SettingError
        An unknown section or setting, a section that is not a table, a value of the wrong kind
        or out of its bounds; the message names the file, the setting, the value and the bound.
    """
    def tuples(value):
        return tuple(tuples(v) for v in value) if isinstance(value, list) else value

    where = f"{source}: " if source else ""
    if not isinstance(sections, dict):
        raise SettingError(f"{where}the settings are not a table ({type(sections).__name__})")
    cfg = get_config(mode)
    names = {f.name for f in dataclasses.fields(cfg)}
    for section, values in sections.items():
        if section not in names:
            raise SettingError(f"{where}unknown settings section {section!r}")
        if not isinstance(values, dict):
            raise SettingError(f"{where}{section}: not a table ({type(values).__name__})")
        part = getattr(cfg, section)
        known = {f.name for f in dataclasses.fields(part)}
        if unknown := sorted(map(str, set(values) - known)):
            raise SettingError(f"{where}unknown {section} setting(s) {', '.join(unknown)}")
        cfg = dataclasses.replace(cfg, **{section: dataclasses.replace(
            part, **{k: tuples(v) for k, v in values.items()})})
    try:
        return check(cfg)
    except SettingError as err:
        raise SettingError(f"{where}{err}") from None


def constants_table(cfg: Config | None = None):
    """Every constant with its value and source, as a pandas DataFrame (one row per constant)."""
    import pandas as pd

    cfg = cfg or get_config()
    rows = []
    for section in dataclasses.fields(cfg):
        part = getattr(cfg, section.name)
        for f in dataclasses.fields(part):
            if "source" in f.metadata:
                value, source = getattr(part, f.name), f.metadata["source"]
                if value != f.default:  # say who changed it, and keep the default's source
                    by_mode = _set_by_mode(cfg.mode).get(f"{section.name}.{f.name}") == value
                    by = f"{cfg.mode.name} mode" if by_mode else "an override"
                    source = f"{by}; the default, {f.default!r}: {source}"
                rows.append({"section": section.name, "name": f.name, "value": value,
                             "source": source})
    return pd.DataFrame(rows)
