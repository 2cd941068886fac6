"""The display spectrogram, the speech finder and the compact figure display, checked on
synthetic signals whose answer is known."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bcser_utils.present import display  # noqa: E402

RATE = 16_000


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def tone(hz, seconds=1.0, amplitude=0.5, rate=RATE):
    return amplitude * np.sin(2 * np.pi * hz * np.arange(int(seconds * rate)) / rate)


def test_spectrogram_is_32_ms_windows_every_10_ms_and_peaks_at_the_tone():
    spec = display.spectrogram_db(tone(1000), RATE)
    assert spec.db.shape == (512 // 2 + 1, 1 + (RATE - 512) // 160)  # 257 bins of 31.25 Hz
    assert spec.freqs_hz[1] == pytest.approx(31.25)
    assert np.diff(spec.times_s) == pytest.approx(0.010)
    assert spec.times_s[0] == pytest.approx(0.016)  # the first window's centre
    peaks = spec.freqs_hz[spec.db.argmax(axis=0)]
    assert np.all(peaks == 1000)  # in every frame
    assert spec.db.max() == pytest.approx(0) and spec.db.min() >= -120
    far = spec.freqs_hz > 2000
    assert spec.db[far].max() < -60  # the Hann window's side lobes, far from the tone


def test_the_same_settings_in_seconds_at_another_rate():
    spec = display.spectrogram_db(tone(3000, rate=48_000), 48_000)
    assert spec.freqs_hz[1] == pytest.approx(48_000 / 1536)  # 32 ms windows
    assert np.diff(spec.times_s) == pytest.approx(0.010)
    assert spec.freqs_hz[spec.db[:, 5].argmax()] == pytest.approx(3000, abs=48_000 / 1536 / 2)


def test_a_shared_reference_puts_two_clips_on_one_scale():
    loud = display.spectrogram_db(tone(500), RATE)
    quiet = display.spectrogram_db(tone(500, amplitude=0.25), RATE, loud.ref)
    assert quiet.ref == loud.ref
    assert quiet.db.max() == pytest.approx(20 * np.log10(0.5), abs=0.01)  # half the amplitude


def test_draw_spectrogram_axes_are_seconds_and_khz_up_to_nyquist():
    audio = tone(1000, seconds=1.5)
    ax = plt.figure().add_subplot()
    image = display.draw_spectrogram(ax, audio, RATE, vmin=-80)
    assert ax.get_xlim() == pytest.approx((0, 1.5)) and ax.get_ylim() == pytest.approx((0, 8))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("time (s)", "frequency (kHz)")
    assert image.get_clim() == (-80, 0)
    np.testing.assert_allclose(image.get_array(), display.spectrogram_db(audio, RATE).db)
    row = image.get_array().max(axis=1).argmax()  # the tone's row, in kHz on the axis
    assert (row + 0.5) * 8 / image.get_array().shape[0] == pytest.approx(1.0, abs=0.02)
    bare = plt.figure().add_subplot()
    display.draw_spectrogram(bare, audio, RATE, labels=False)
    assert (bare.get_xlabel(), bare.get_ylabel()) == ("", "")


def test_speech_span_finds_the_tone_between_silences_with_its_margin():
    rng = np.random.default_rng(0)
    clip = np.concatenate([np.zeros(RATE), tone(200), np.zeros(RATE)])
    clip += 1e-4 * rng.standard_normal(clip.size)  # a noise floor 71 dB below the tone
    start, stop = display.speech_span(clip, RATE)
    assert (start, stop) == (RATE - 1600, 2 * RATE + 1600)  # 1–2 s, widened by 0.1 s each side
    assert display.speech_span(clip, RATE, margin_s=0) == (RATE, 2 * RATE)


def test_speech_span_stays_inside_the_clip():
    clip = np.concatenate([tone(200, seconds=0.5), np.zeros(RATE // 2)])
    assert display.speech_span(clip, RATE) == (0, RATE // 2 + 1600)


def test_show_displays_a_256_colour_png_of_the_figure_and_closes_it(monkeypatch):
    from IPython import display as ipython
    from PIL import Image

    shown = []
    monkeypatch.setattr(ipython, "display", shown.append)
    fig, ax = plt.subplots(figsize=(4, 3), dpi=50)
    ax.imshow(np.random.default_rng(0).random((64, 64)))
    display.show(fig)
    assert not plt.fignum_exists(fig.number)
    (image,) = shown
    png = Image.open(io.BytesIO(image.data))
    assert png.format == "PNG" and png.mode == "P" and len(png.getcolors(256)) <= 256
    # the figure's own size at its dpi, or less where the style crops to a tight bounding box
    assert 4 * 50 / 2 < png.width <= 4 * 50 and 3 * 50 / 2 < png.height <= 3 * 50


def test_a_widget_with_a_picture_keeps_the_picture_once_saved():
    import base64

    import ipywidgets as widgets
    import nbformat

    from bcser_utils import course

    png = b"\x89PNG\r\n\x1a\n a picture"
    bundle = display.WithPicture(widgets.VBox([]), png)._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == png and course._WIDGET in bundle
    bar = widgets.IntProgress()._repr_mimebundle_()
    bar["text/plain"] = " 40%|████      | 4/10"  # what a tqdm bar's text form looks like
    outputs = [nbformat.v4.new_output("display_data", data=data)
               for data in (bundle, widgets.VBox([])._repr_mimebundle_(), bar)]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=outputs)])
    saved = course.strip_volatile(nb).cells[0].outputs
    assert [dict(o.data) for o in saved] == [
        {"image/png": bundle["image/png"], "text/plain": course._WIDGET_NOTE},
        {"text/plain": course._WIDGET_NOTE}]  # no live widget left; the progress bar is gone


def test_a_saved_player_keeps_its_sound_where_an_untrusted_notebook_plays_it():
    # JupyterLab's sanitiser keeps <audio src> and drops <source src> (test_open_no_diff.py)
    import re

    import nbformat
    from IPython.display import Audio

    from bcser_utils import course

    html = Audio(tone(440, 0.1), rate=RATE)._repr_html_()
    sound = re.search(r'src="(data:audio/wav;base64,[^"]+)"', html).group(1)
    output = nbformat.v4.new_output("display_data", data={"text/html": f"<b>a</b>{html}"})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=[output])])
    saved = course.strip_volatile(nb).cells[0].outputs[0].data["text/html"]
    assert "<source" not in saved and saved.startswith("<b>a</b>")
    assert re.search(r'<audio\b[^>]*\bsrc="([^"]+)"', saved).group(1) == sound


def test_saved_metadata_is_what_jupyterlab_writes_on_opening():
    import nbformat

    from bcser_utils import course

    info = {"name": "python", "version": "3.11.7", "mimetype": "text/x-python"}
    nb = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": dict(info), "widgets": {"state": {}}})
    saved = course.strip_volatile(nb).metadata
    # the kernel's language_info whole, version included: JupyterLab writes it back otherwise
    assert saved == {"kernelspec": course.KERNELSPEC, "language_info": info}


def test_a_progress_bar_written_as_text_is_not_saved_but_the_lines_around_it_are():
    import nbformat

    from bcser_utils import course

    bar = ("features:   0%|          | 0/3 [00:00<?, ?it/s]\rfeatures: 100%|██████████| 3/3 "
           "[00:02<00:00,  1.40it/s]\n")
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"building\n{bar}built\n"),
               nbformat.v4.new_output("stream", name="stderr", text=bar)]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=outputs)])
    saved = course.strip_volatile(nb).cells[0].outputs
    assert [o.text for o in saved] == ["building\nbuilt\n"]
