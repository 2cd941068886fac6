"""A committed notebook opened in JupyterLab without trust (a plain `jupyter lab`, Binder): its
sound players play, and opening it does not rewrite it (no git noise for a teacher who pulls).

JupyterLab renders the outputs of a notebook not trusted on this machine through its sanitiser,
which drops ``<source src>`` but keeps ``<audio src>``; ``course.strip_volatile`` moves each
player's sound there. On connecting its kernel JupyterLab writes the kernelspec's display name
and ``language_info`` (with the Python version) into the metadata, and autosave then writes the
file if that changed anything; ``strip_volatile`` commits exactly that. The notebooks are copies
in a temporary folder, opened with autosave every 2 s. A machine whose kernel runs another
Python version would still see ``language_info.version`` change.
"""

import json
import shutil
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WITH_PLAYERS = ("01_dataset_exploration.ipynb", "02_bc_filter_design.ipynb",
                "03_augmentation_gallery.ipynb")
OPENED = (*WITH_PLAYERS, "06_training.ipynb")
AUTOSAVE_S = 2

pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                    "(make test-browser installs it)")
from browsing import CHROMIUM, DRIVER, serve_lab, start_chrome  # noqa: E402

if not (CHROMIUM and DRIVER):
    pytest.skip("no chromium and chromedriver here: apt-get install chromium chromium-driver",
                allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ready  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

KERNEL_STATUS = ("return document.querySelector('.jp-Notebook-ExecutionIndicator')"
                 "?.getAttribute('data-status') ?? 'none'")


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """Copies of the committed notebooks, served untrusted with autosave on. Yields
    (folder of the copies, url, token)."""
    root, home = tmp_path_factory.mktemp("course"), tmp_path_factory.mktemp("jupyter")
    (root / "notebooks").mkdir()
    for name in OPENED:
        shutil.copy(ROOT / "notebooks" / name, root / "notebooks" / name)
    # the control: metadata as JupyterLab would not write it, so autosave must rewrite this one
    control = json.loads((ROOT / "notebooks" / OPENED[-1]).read_text())
    control["metadata"] = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                          "language": "python"}}
    (root / "notebooks" / "control.ipynb").write_text(json.dumps(control, indent=1) + "\n")
    with serve_lab(root, home) as (url, token):
        # serve_lab turns autosave off (other tests run the committed notebooks); on here, often
        (home / "settings" / "@jupyterlab" / "docmanager-extension"
         / "plugin.jupyterlab-settings").write_text(
            f'{{"autosave": true, "autosaveInterval": {AUTOSAVE_S}}}')
        yield root / "notebooks", url, token


@pytest.fixture(scope="module")
def browser():
    with start_chrome() as driver:
        yield driver


def _open(browser, copies, name: str) -> None:
    _, url, token = copies
    browser.get(f"{url}/lab/tree/notebooks/{name}?token={token}")
    WebDriverWait(browser, 120).until(ready.presence_of_element_located(
        (By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")))
    # the kernel connected: its info reply is what JupyterLab copies into the metadata
    WebDriverWait(browser, 120).until(lambda b: b.execute_script(KERNEL_STATUS) == "idle")


@pytest.mark.parametrize("name", WITH_PLAYERS)
def test_an_untrusted_notebooks_players_play(copies, browser, name):
    _open(browser, copies, name)
    players = WebDriverWait(browser, 60).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, ".jp-OutputArea audio"))
    sources = [p.get_attribute("src") or "" for p in players]
    assert all(s.startswith("data:audio/") for s in sources), [s[:30] for s in sources]
    browser.execute_script("const a = document.querySelector('.jp-OutputArea audio');"
                           "a.muted = true; a.play();")
    WebDriverWait(browser, 30).until(lambda b: b.execute_script(  # it plays: time moves on
        "return document.querySelector('.jp-OutputArea audio').currentTime > 0.2"))


def test_opening_a_committed_notebook_leaves_its_file_unchanged(copies, browser):
    folder = copies[0]
    control = (folder / "control.ipynb").read_text()
    for name in (*OPENED, "control.ipynb"):
        _open(browser, copies, name)
        time.sleep(6 * AUTOSAVE_S)  # past several autosaves
    assert (folder / "control.ipynb").read_text() != control, "autosave never ran: no test"
    for name in OPENED:
        committed = (ROOT / "notebooks" / name).read_text()
        assert (folder / name).read_text() == committed, f"{name}: opening it rewrote it"
