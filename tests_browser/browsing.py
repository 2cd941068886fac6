"""What the browser tests share: a JupyterLab server on loopback and a headless Chromium.

``serve_lab(root, home)`` and ``start_chrome(*arguments)``; conftest.py's ``lab`` and ``browser``
fixtures are the repository's notebooks in a plain Chromium, and a test that needs its own (a
notebook outside the repository, a fake microphone) calls these itself. selenium is imported only
when a browser starts: each test module skips first, and says why, where selenium or Chromium is
missing. ``serve_site(folder)`` serves the built website (test_site.py).
"""

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_lab(root: Path, home: Path, trust: Iterable[Path] = ()) -> Iterator[tuple[str, str]]:
    """A JupyterLab server on loopback only, serving ``root``, with its own settings and trust
    database under ``home``; the ``trust`` notebooks are trusted first. Yields (url, token)."""
    env = dict(os.environ, BCSER_MODE="quick", BCSER_FIGURES_DIR=str(home / "figures"),
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    # every cell in the page, not only those scrolled into view (JupyterLab 4's windowing)
    settings = home / "settings" / "@jupyterlab"
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        '{"windowingMode": "none"}')
    # no autosave: a test runs the committed notebooks, and must not write them back
    (settings / "docmanager-extension").mkdir()
    (settings / "docmanager-extension" / "plugin.jupyterlab-settings").write_text(
        '{"autosave": false}')
    jupyter = [sys.executable, "-m", "jupyter"]
    if trust := [str(path) for path in trust]:
        subprocess.run([*jupyter, "trust", *trust], env=env, check=True, capture_output=True)
    port, token = _free_port(), secrets.token_hex(16)
    log = open(home / "lab.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen([*jupyter, "lab", "--no-browser", "--ip=127.0.0.1",
                               f"--port={port}", f"--IdentityProvider.token={token}",
                               f"--ServerApp.root_dir={root}",
                               f"--LabApp.user_settings_dir={home / 'settings'}",
                               *(["--allow-root"] if os.geteuid() == 0 else [])],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"JupyterLab did not start: {(home / 'lab.log').read_text()[-2000:]}")
        yield url, token
    finally:
        server.terminate()
        server.wait(30)
        log.close()


@contextlib.contextmanager
def start_chrome(*arguments: str) -> Iterator[object]:
    """Headless Chromium (run as root here) driven by chromedriver, with ``arguments`` added."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1600,1000", "--autoplay-policy=no-user-gesture-required",
                     *arguments):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    driver.set_script_timeout(120)  # a busy 2-core machine can block the page's thread for 30 s
    driver.set_page_load_timeout(300)
    try:
        yield driver
    finally:
        driver.quit()


@contextlib.contextmanager
def serve_site(folder: Path) -> Iterator[str]:
    """The built website (``make site``: build/site/) served as static files on loopback, as
    GitHub Pages would serve it. Yields its address, e.g. ``http://127.0.0.1:PORT``."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # the tests report what fails; no line per request
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


STARTED_CELLS = ("return [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
                 ".some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))")


def run_all(browser, tries: int = 3) -> None:
    """Run > Run All Cells, until a cell has started. A kernel that has only just started can drop
    Run All (seen on the first notebook a server opens, on loaded cores): click again then."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    for _ in range(tries):
        time.sleep(2)
        browser.find_element(By.XPATH, "//div[contains(@class,'lm-MenuBar-itemLabel')]"
                                       "[text()='Run']").click()
        browser.find_element(By.XPATH, "//div[contains(@class,'lm-Menu-itemLabel')]"
                                       "[text()='Run All Cells']").click()
        try:
            WebDriverWait(browser, 30).until(lambda b: b.execute_script(STARTED_CELLS))
            return
        except TimeoutException:
            continue
