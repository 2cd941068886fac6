"""The course as a student meets it: JupyterLab on 127.0.0.1, headless Chromium (make test-browser).

Needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver) and
selenium and jupyterlab in .venv (make test-browser installs those two); without a browser every
test here skips and says why. The notebooks are trusted first, as `make lab` does (the `lab` and
`browser` fixtures are in conftest.py).
"""

import shutil
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                                "(make test-browser installs it)")
if not (CHROMIUM and DRIVER):
    pytest.skip("no chromium and chromedriver here: apt-get install chromium chromium-driver",
                allow_module_level=True)

from browsing import run_all  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ready  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def _open(browser, lab, name: str, timeout: float = 60):
    url, token = lab
    browser.get(f"{url}/lab/tree/notebooks/{name}?token={token}")
    WebDriverWait(browser, timeout).until(
        ready.presence_of_element_located((By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")))
    WebDriverWait(browser, timeout).until(  # the kernel started and went idle
        lambda b: b.execute_script(
            "return document.querySelector('.jp-Notebook-ExecutionIndicator')"
            "?.getAttribute('data-status') ?? 'idle'") == "idle")
    time.sleep(2)  # outputs render after the cells


def _errors(browser) -> list[str]:
    # leaving a page: the browser's own note on a blocked "leave this page?" dialog is not ours
    return [entry["message"] for entry in browser.get_log("browser")
            if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
            and "beforeunload" not in entry["message"]]


def test_every_committed_notebook_opens_without_console_errors(lab, browser):
    for name in NOTEBOOKS:
        _open(browser, lab, name)
        assert _errors(browser) == [], name
        text = browser.execute_script("return document.querySelector('.jp-Notebook').innerText")
        assert "VBox(children" not in text and "0%|" not in text, name


def test_notebook_03s_saved_players_have_a_playable_source(lab, browser):
    _open(browser, lab, "03_augmentation_gallery.ipynb")
    players = browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea audio")
    assert len(players) >= 13
    for player in players:
        source = player.get_attribute("src") or player.find_element(
            By.TAG_NAME, "source").get_attribute("src")
        assert source.startswith("data:audio/"), source[:40]
    assert browser.execute_script(
        "const a = document.querySelector('.jp-OutputArea audio'); a.muted = true;"
        "return a.play().then(() => true, () => false);")


def test_notebook_02s_alpha_slider_redraws_the_designer(lab, browser):
    _open(browser, lab, "02_bc_filter_design.ipynb")
    run_all(browser)
    handle = WebDriverWait(browser, 300).until(ready.element_to_be_clickable(
        (By.CSS_SELECTOR, ".widget-slider .noUi-handle")))

    def drawn():  # read in one script: the figure's <img> is replaced while it redraws
        return browser.execute_script(
            "return document.querySelector('.widget-output img')?.getAttribute('src') ?? null")

    before = WebDriverWait(browser, 120).until(lambda b: drawn())
    handle.click()
    for _ in range(10):
        handle.send_keys(Keys.ARROW_RIGHT)
    WebDriverWait(browser, 120).until(lambda b: drawn() not in (None, before))
    assert _errors(browser) == []
