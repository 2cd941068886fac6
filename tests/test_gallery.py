"""Notebook 03's gallery tools (bcser_utils.present.gallery): each checked on what it measures or
draws."""

import ast
import doctest
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.signal as ss  # noqa: E402
from signals import harmonic_tone, noise, vowel  # noqa: E402

from bcser_utils.audio import augment
from bcser_utils.config import Augment, get_config  # noqa: E402
from bcser_utils.present import gallery  # noqa: E402

SR = 16_000
PARAMS = Augment()  # the paper's (quick mode's cache makes fewer versions)
TABLE_II = tuple(augment.TRANSFORMS)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_table_and_parameter_labels_follow_the_config():
    df = gallery.table(PARAMS)
    assert tuple(df["transform"]) == TABLE_II and df.parameter.str.len().min() > 0
    assert gallery.parameter_label("vtlp", PARAMS) == "α = 1.1"
    assert gallery.parameter_label("volume", PARAMS) == "×0.5–1.5"
    other = get_config(overrides={"augment.vtlp_alpha": 0.9}).augment
    assert gallery.parameter_label("vtlp", other) == "α = 0.9"
    md = gallery.table_markdown(PARAMS).splitlines()
    assert len(md) == 2 + len(TABLE_II) and all(line.count("|") >= 6 for line in md)
    with pytest.raises(KeyError):
        gallery.parameter_label("reverb")


def test_knobs_cover_the_paper_value_and_set_it():
    assert set(gallery.KNOBS) == set(TABLE_II)
    x = noise(0.5)
    for name, knob in gallery.KNOBS.items():
        value = gallery.knob_value(name, PARAMS)
        if knob is None:
            assert value is None and gallery.with_knob(name, 1.0, PARAMS) == PARAMS
            continue
        assert knob.low <= value <= knob.high and knob.step > 0, name
        if name != "volume":  # volume's knob fixes the factor instead of drawing it
            assert gallery.with_knob(name, value, PARAMS) == PARAMS, name
    louder = gallery.with_knob("volume", 0.7, PARAMS)
    np.testing.assert_allclose(augment.apply("volume", x, SR, rng=3, params=louder), 0.7 * x,
                               rtol=1e-6)
    assert gallery.knob_value("vtlp", gallery.with_knob("vtlp", 0.9, PARAMS)) == 0.9


def test_realised_measures_what_the_draw_did():
    x = noise(1.0)
    gain = augment.apply("volume", x, SR, rng=5) / x
    assert gallery.realised("volume", x, x * gain[0], SR) == f"this draw: ×{gain[0]:.2f}"
    shifted = np.concatenate([np.zeros(1600, np.float32), x[:-1600]])  # +100 ms
    assert gallery.realised("time_shift", x, shifted, SR) == "this draw: +100 ms"
    masked = x.copy()
    masked[:800] = 0
    assert gallery.realised("time_mask", x, masked, SR) == "this draw: 50 ms at 0.00 s"
    assert gallery.realised("time_mask", x, x, SR) == "this draw: nothing masked"
    assert gallery.realised("time_stretch", x, x[:8000], SR) == "1.00 s → 0.50 s"
    assert gallery.realised("polarity_inversion", x, -x, SR) == "y = −x"
    noisy = x + np.float32(0.01) * np.random.default_rng(0).standard_normal(len(x), np.float32)
    assert gallery.realised("gaussian_noise", x, noisy, SR) == "SNR 20.0 dB"
    assert gallery.realised("vtlp", x, x, SR) == ""


def test_spectral_envelope_moves_by_alpha_under_vtlp():
    x = vowel()
    freqs, spectrum, envelope = gallery.spectral_envelope(x, SR)
    assert freqs.shape == spectrum.shape == envelope.shape
    peaks = freqs[ss.find_peaks(envelope, prominence=3)[0]]  # the envelope's humps: formants
    np.testing.assert_allclose(peaks, [700, 1200, 2600], rtol=0.05)
    _, _, warped = gallery.spectral_envelope(augment.apply("vtlp", x, SR), SR)
    assert gallery.envelope_scale(freqs, envelope, warped) == pytest.approx(PARAMS.vtlp_alpha,
                                                                            abs=0.02)
    assert gallery.envelope_scale(freqs, envelope, envelope) == pytest.approx(1.0, abs=1e-9)


def test_probe_logmel_sees_no_polarity_and_gain_as_an_offset():
    x = harmonic_tone(seconds=1.0) + 0.1 * noise(1.0)
    probe = gallery.probe_logmel(x, SR)
    assert probe.shape == (gallery.PROBE_N_MELS, 1 + len(x) // gallery.PROBE_HOP)
    inverted = gallery.logmel_change(probe, gallery.probe_logmel(-x, SR))
    assert inverted["max_abs_db"] == 0.0 and inverted["mad_db"] == 0.0
    half = gallery.logmel_change(probe, gallery.probe_logmel(0.5 * x, SR))
    assert half["offset_db"] == pytest.approx(20 * np.log10(0.5), abs=1e-3)
    assert half["spread_db"] < 1e-3
    probe48 = gallery.probe_logmel(soxr_up(x), 48_000)  # resampled to 16 kHz first
    assert probe48.shape == probe.shape


def soxr_up(x):
    import soxr

    return soxr.resample(x, SR, 48_000)


def test_augmented_counts_keep_the_imbalance_ratio():
    from bcser_utils.audio.names import expected_names

    counts = gallery.augmented_counts([n.emotion_name for n in expected_names()])
    assert list(counts.index) == list(get_config().emotions)
    assert counts.loc["neutral", "recordings"] == 96 and counts.loc["calm", "recordings"] == 192
    assert counts.versions.sum() == 1440 * PARAMS.n_versions == 21_600
    ratio = counts.max() / counts.min()
    assert ratio.recordings == ratio.versions == 2.0
    assert gallery.augmented_counts(["sad"], n_versions=3).loc["sad"].tolist() == [1, 3]


def test_draw_wave_spans_each_1_ms_block_from_its_min_to_its_max():
    rate = 48_000
    y = np.zeros(rate // 2 + 17, np.float32)  # 500 whole 1 ms blocks and a partial one
    y[4800] = 0.7  # in the block that starts at 0.1 s
    y[9650] = -0.4
    fig, ax = plt.subplots()
    area = gallery.draw_wave(ax, y, rate, color="k")
    x0, y0, x1, y1 = area.get_datalim(ax.transData).bounds
    assert (x0, x1) == (0.0, pytest.approx(0.499))  # block starts in s; the partial block dropped
    assert (y0, y0 + y1) == (pytest.approx(-0.4), pytest.approx(0.7))
    assert area.get_linewidth()[0] == 0


def test_loudest_window_finds_the_loud_stretch():
    x = 0.01 * noise(1.0)
    x[6000:8400] *= 50  # 150 ms, 34 dB louder
    assert gallery.loudest_window(x, SR, 0.15) == slice(6000, 8400)
    with pytest.raises(ValueError):
        gallery.loudest_window(x, SR, 2.0)


def test_the_module_docstring_examples_run():
    result = doctest.testmod(gallery)
    assert result.attempted > 0 and result.failed == 0


def test_only_notebooks_import_the_gallery_not_the_package():
    package = Path(gallery.__file__).parent
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                    for alias in node.names}
        imported |= {node.module.rsplit(".", 1)[-1] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module}
        imported |= {alias.name.rsplit(".", 1)[-1] for node in ast.walk(tree)
                     if isinstance(node, ast.Import) for alias in node.names}
        assert "gallery" not in imported, path.name
