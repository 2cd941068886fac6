"""The course as a student meets it: JupyterLab on 127.0.0.1, headless Chromium (make test-browser).

Needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver) and
selenium and jupyterlab in .venv (make test-browser installs those two); without a browser every
test here skips and says why. The notebooks are trusted first, as `make lab` does.
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
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

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ready  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback only, with its own settings and trust database."""
    home = tmp_path_factory.mktemp("jupyter")
    env = dict(os.environ, BCSER_MODE="quick", BCSER_FIGURES_DIR=str(home / "figures"),
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    # every cell in the page, not only those scrolled into view (JupyterLab 4's windowing)
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    jupyter = [sys.executable, "-m", "jupyter"]
    subprocess.run([*jupyter, "trust", *(str(ROOT / "notebooks" / n) for n in NOTEBOOKS)],
                   env=env, check=True, capture_output=True)
    port, token = _free_port(), secrets.token_hex(16)
    log = open(home / "lab.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen([*jupyter, "lab", "--no-browser", "--ip=127.0.0.1",
                               f"--port={port}", f"--IdentityProvider.token={token}",
                               f"--ServerApp.root_dir={ROOT}",
                               f"--LabApp.user_settings_dir={home / 'settings'}",
                               *(["--allow-root"] if os.geteuid() == 0 else [])],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail(f"JupyterLab did not start: {(home / 'lab.log').read_text()[-2000:]}")
    yield url, token
    server.terminate()
    server.wait(30)
    log.close()


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1600,1000", "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    driver.set_script_timeout(120)  # a busy 2-core machine can block the page's thread for 30 s
    driver.set_page_load_timeout(300)
    yield driver
    driver.quit()


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
    browser.find_element(By.XPATH, "//div[contains(@class,'lm-MenuBar-itemLabel')]"
                                   "[text()='Run']").click()
    browser.find_element(By.XPATH, "//div[contains(@class,'lm-Menu-itemLabel')]"
                                   "[text()='Run All Cells']").click()
    handle = WebDriverWait(browser, 300).until(ready.element_to_be_clickable(
        (By.CSS_SELECTOR, ".widget-slider .noUi-handle")))
    figure = ".widget-output img"

    def drawn():
        images = browser.find_elements(By.CSS_SELECTOR, figure)
        return images[0].get_attribute("src") if images else None

    before = WebDriverWait(browser, 120).until(lambda b: drawn())
    handle.click()
    for _ in range(10):
        handle.send_keys(Keys.ARROW_RIGHT)
    WebDriverWait(browser, 120).until(lambda b: drawn() not in (None, before))
    assert _errors(browser) == []
