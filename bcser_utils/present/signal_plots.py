"""Figures of the corpus, signals, filters and features: what the corpus holds, the BC filter's
impulse and step responses and its interactive designer, a frequency axis in Hz, the BC filter as
the features see it, and how speakers differ in a feature before and after standardising each one.

Each takes plain numbers (arrays, tables) and returns a matplotlib Figure (or draws on an axis);
``style.save_fig`` saves it.

Notebook: 01_dataset_exploration, 02_bc_filter_design, 09_towards_unseen_speakers.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bcser_utils.present.style import (
    BLUE,
    INTENSITY_COLORS,
    PALETTE,
    RATE_COLORS,
    SEX_COLORS,
    SIGNAL_COLORS,
    legend_outside,
)

DESIGNER_FLOOR_DB = -80.0  # the designer's quietest colour, re the original's loudest bin


def hz_axis(ax, lo: float = 20, hi: float = 24_000) -> None:
    """A logarithmic frequency axis from ``lo`` to ``hi`` Hz, ticks labelled 20 … 500, 1k … 20k.
    Notebook: 02_bc_filter_design."""
    ticks = [t for t in (20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000) if lo <= t <= hi]
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.set_xticks(ticks, [f"{t // 1000}k" if t >= 1000 else str(t) for t in ticks])
    ax.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    ax.set_xlabel("frequency (Hz)")


def corpus_counts(table: pd.DataFrame, emotions) -> plt.Figure:
    """Files per emotion, per sex and intensity, and per actor (odd actors are male).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per file, with columns emotion, sex ("female", "male"), intensity ("normal",
        "strong") and actor.
    emotions : sequence of str
        The emotions in the paper's order.

    Returns
    -------
    matplotlib Figure
        Three panels; their legends sit beside the bars, never on them.

    Notebook: 01_dataset_exploration.
    """
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6), gridspec_kw={"width_ratios": [3, 1.2, 4]})
    counts = table["emotion"].value_counts().reindex(emotions, fill_value=0)
    axes[0].bar(list(emotions), counts, color=[PALETTE[e] for e in emotions])
    axes[0].set(title="Files per emotion", ylabel="files")
    axes[0].tick_params(axis="x", rotation=45)
    crossed = pd.crosstab(table["sex"], table["intensity"])
    crossed.plot.bar(ax=axes[1], stacked=True, rot=0,
                     color=[INTENSITY_COLORS[i] for i in crossed.columns])
    axes[1].set(title="Sex × intensity", xlabel="", ylabel="files")
    legend_outside(axes[1], title="intensity")
    per_actor = table.groupby(["actor", "sex"]).size().unstack(fill_value=0)
    per_actor.plot.bar(ax=axes[2], stacked=True, rot=0,
                       color=[SEX_COLORS[s] for s in per_actor.columns])
    axes[2].set(title="Files per actor (odd = male)", xlabel="actor", ylabel="files")
    legend_outside(axes[2], title="sex")
    fig.tight_layout()
    return fig


def impulse_step(impulse: np.ndarray, step: np.ndarray, alpha: float, beta: float,
                 rate: int) -> plt.Figure:
    """The BC filter's impulse and step responses, sample by sample, beside their closed forms.

    Parameters
    ----------
    impulse, step : numpy.ndarray
        The filter's output for a unit impulse and a unit step at n = 0, 1, …
    alpha, beta : float
        Its coefficients (the closed forms β·αⁿ and β/(1 − α) are drawn from them).
    rate : int
        The rate, in Hz, at which the coefficients are defined (one sample = 1/rate s).

    Returns
    -------
    matplotlib Figure
        Two panels; each legend sits above the data, in headroom kept free for it.

    Notebook: 02_bc_filter_design.
    """
    n = np.arange(len(impulse))
    dc_gain, tau = beta / (1 - alpha), -1 / np.log(alpha)
    fig, axes = plt.subplots(1, 2, figsize=(13, 3.8))
    for ax, response, title in [(axes[0], impulse, "Impulse response  h[n] = β·αⁿ"),
                                (axes[1], step, "Step response  s[n] = β(1 − αⁿ⁺¹)/(1 − α)")]:
        markers, stems, _ = ax.stem(n, response, basefmt=" ")
        plt.setp(markers, color=RATE_COLORS["right"], markersize=5)
        plt.setp(stems, color=RATE_COLORS["right"], linewidth=1.2)
        ax.set(title=title, ylabel="output",
               xlabel=f"n (samples; one sample = {1e6 / rate:.1f} µs at {rate // 1000} kHz)")
    axes[0].plot(n, beta * alpha ** n, color=RATE_COLORS["pitfall"], lw=1, ls=":",
                 label="β·αⁿ (closed form)")
    axes[0].axvline(tau, color="0.5", ls="--", lw=1)
    top = max(np.max(impulse), np.max(step), dc_gain)
    axes[0].annotate(f"time constant −1/ln α = {tau:.2f} samples\n= {tau / rate * 1e6:.0f} µs at "
                     f"{rate // 1000} kHz", xy=(tau, 0.1 * top), xytext=(tau + 2, 0.35 * top),
                     arrowprops={"arrowstyle": "->", "color": "0.4"})
    axes[1].axhline(dc_gain, color=RATE_COLORS["pitfall"], ls="--", lw=1.2,
                    label=f"β/(1 − α) = {dc_gain:.3f} = {20 * np.log10(dc_gain):.2f} dB (DC gain)")
    for ax in axes:
        ax.set_ylim(0, 1.3 * top)  # the top quarter is headroom: the legend goes there
        ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


def gain_extremes_db(alphas: tuple[float, float],
                     betas: tuple[float, float]) -> tuple[float, float]:
    """The lowest and highest gain, in dB, that H(z) = β / (1 − αz⁻¹) reaches at any frequency
    for α and β within these ranges (0 < α < 1): β/(1 + α) at Nyquist and β/(1 − α) at DC, at
    the largest α.

    Parameters
    ----------
    alphas, betas : (float, float)
        The ranges of α and β (e.g. the designer's sliders).

    Returns
    -------
    (float, float)
        Lowest and highest gain in dB.
    """
    alpha = max(alphas)
    return (20 * float(np.log10(min(betas) / (1 + alpha))),
            20 * float(np.log10(max(betas) / (1 - alpha))))


def bc_designer(response, paper, spectrogram, extremes_db: tuple[float, float], pitfall: bool,
                title: str) -> plt.Figure:
    """Notebook 02's filter designer: the magnitude response beside the filtered clip's
    spectrogram, both on fixed scales, so that what changes between two settings is the filter.

    The gain axis holds the curve at any setting the sliders allow (``extremes_db``); the
    spectrogram's colours run from ``DESIGNER_FLOOR_DB`` to the highest gain, in dB re the
    original clip's loudest bin, so the loudest setting fills the scale and none saturates it.

    Parameters
    ----------
    response, paper : bc.FrequencyResponse
        The filter as set (``freqs_hz``, ``magnitude_db``, ``cutoff_hz``, ``dc_gain_db``,
        ``alpha``, ``beta``, ``sample_rate``), and the paper's at 48 kHz, drawn behind it.
    spectrogram : display.Spectrogram
        The filtered clip's, in dB re the original's loudest bin.
    extremes_db : (float, float)
        ``gain_extremes_db`` of the sliders' ranges.
    pitfall : bool
        Whether the coefficients run at the audio's rate directly (the pitfall's colour).
    title : str
        The spectrogram's title.

    Returns
    -------
    matplotlib Figure

    Notebook: 02_bc_filter_design.
    """
    fig, (ax_f, ax_s) = plt.subplots(1, 2, figsize=(13, 3.8),
                                     gridspec_kw={"width_ratios": [1, 1.3]})
    ax_f.semilogx(paper.freqs_hz[1:], paper.magnitude_db[1:], color="0.6", lw=3, alpha=0.6,
                  label="paper, at 48 kHz")
    ax_f.semilogx(response.freqs_hz[1:], response.magnitude_db[1:], lw=2,
                  color=RATE_COLORS["pitfall" if pitfall else "right"],
                  label=f"α = {response.alpha:.3f}, β = {response.beta:.3f} at "
                        f"{response.sample_rate / 1000:g} kHz")
    finite = np.isfinite(response.cutoff_hz)
    if finite:
        ax_f.plot(response.cutoff_hz, response.dc_gain_db - 3.01, "o", color="k")
    cutoff = f"cut-off {response.cutoff_hz / 1000:.2f} kHz" if finite else "never 3 dB below DC"
    hz_axis(ax_f)
    low, high = 10 * np.floor(extremes_db[0] / 10), 10 * np.ceil(extremes_db[1] / 10)
    ax_f.set(title=f"DC gain {response.dc_gain_db:+.2f} dB · {cutoff}", ylabel="gain (dB)",
             ylim=(low - 5, high + 5))
    ax_f.legend(loc="lower left", fontsize=8)
    spec = spectrogram
    image = ax_s.imshow(spec.db, origin="lower", aspect="auto", interpolation="nearest",
                        vmin=DESIGNER_FLOOR_DB, vmax=high,
                        extent=(0, spec.times_s[-1] + spec.times_s[0], 0, spec.freqs_hz[-1] / 1000))
    ax_s.grid(False)
    if finite and response.cutoff_hz < spec.freqs_hz[-1]:
        ax_s.axhline(response.cutoff_hz / 1000, color="white", lw=0.8, ls="--")
    ax_s.set(title=title, xlabel="time (s)", ylabel="frequency (kHz)")
    fig.colorbar(image, ax=ax_s, pad=0.01, label="dB re the original's loudest")
    fig.tight_layout()
    return fig


def filter_in_features(bands: pd.DataFrame, overall: dict) -> plt.Figure:
    """Left: BC − AC per mel band, measured on the clips' features, beside the filter's own gain
    at each band's centre. Right: how different the BC and AC features are, as cached and after
    each standardisation."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [1.6, 1]})
    khz = bands["centre_hz"] / 1000
    left.fill_between(khz, bands["offset_db"] - bands["clip_spread_db"],
                      bands["offset_db"] + bands["clip_spread_db"], color=SIGNAL_COLORS["bc"],
                      alpha=0.25,
                      label="± its spread over clips")
    left.plot(khz, bands["offset_db"], color=SIGNAL_COLORS["bc"], lw=2,
              label="BC − AC in the features")
    left.plot(khz, bands["filter_gain_db"], "k--", lw=1.2, label="the filter's gain |H(f)|")
    left.set(xlabel="mel band centre (kHz)", ylabel="dB",
             title="The BC filter: nearly a constant offset per band")
    left.legend(fontsize=8)
    labels = ["as cached", "one scalar\nstandardisation", "per-band\nstandardisation"]
    values = [overall["as_cached"], overall["scalar_standardised"],
              overall["per_band_standardised"]]
    right.bar(range(3), values, color=[SIGNAL_COLORS["bc"]] * 2 + [BLUE], alpha=0.7)
    for i, v in enumerate(values):
        right.text(i, v, f"{v:.2f}", ha="center", va="bottom")
    right.set(xticks=range(3), ylabel="RMS(BC − AC) / std(AC)",
              title=f"What reaches the model ({overall['clips']:,} clips)")
    right.set_xticklabels(labels)
    fig.tight_layout()
    return fig


def speaker_levels(table: pd.DataFrame, feature: str, emotions) -> plt.Figure:
    """One functional (e.g. mean F0 in semitones) per speaker and emotion, as measured (left) and
    standardised per speaker (right). ``table``: columns speaker, sex, emotion, raw, normalised
    (one row per clip). Speakers differ more than emotions do until each speaker is measured
    against their own voice."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharex=True)
    order = [e for e in emotions if e in set(table["emotion"])]
    x = np.arange(len(order))
    for ax, column, title in ((axes[0], "raw", "as measured"),
                              (axes[1], "normalised", "standardised per speaker")):
        means = table.groupby(["speaker", "emotion"])[column].mean().unstack()[order]
        sexes = table.groupby("speaker")["sex"].first()
        for speaker, row in means.iterrows():
            colour = SEX_COLORS["female" if sexes[speaker] == "female" else "male"]
            ax.plot(x, row.to_numpy(), "-", color=colour, alpha=0.45, lw=1)
        ax.plot(x, means.mean().to_numpy(), "k-o", lw=2.2, ms=5, label="mean of the speakers")
        ax.set(title=f"{feature}: {title}", xticks=x)
        ax.set_xticklabels(order, rotation=30)
    axes[0].plot([], [], color=SEX_COLORS["female"], label="a female speaker")
    axes[0].plot([], [], color=SEX_COLORS["male"], label="a male speaker")
    axes[0].legend(fontsize=8, loc="best")
    axes[1].set_ylabel("standard deviations from the speaker's own mean")
    fig.tight_layout()
    return fig
