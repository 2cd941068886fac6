"""While a long cell of the course works, JupyterLab's status bar says the kernel is busy.

Found (2026-12-07, JupyterLab 4.6.6, ipykernel 7): the first widget a kernel shows makes
JupyterLab open a kernel subshell for its comms (the setting "Kernel Comms over subshells",
``commsOverSubshells``, default "perCommTarget"). The kernel answers that request with a busy and
an idle status on IOPub, and the status bar shows the last status it received, so it reads "Idle"
while the cell that showed the widget still runs. tqdm's notebook bars (``tqdm.auto``) are
widgets: notebook 06's cache build was the first widget of its kernel, and the status bar read
"Idle" for the whole build. A progress bar written as text (``tqdm.std`` on stdout) opens no comm.

The test runs one cell that makes a small synthetic corpus with the package's own progress bar,
and samples the status bar while the cell's prompt says [*].
"""

import time

import pytest

pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                    "(make test-browser installs it)")
from browsing import CHROMIUM, DRIVER, run_all, serve_lab, start_chrome  # noqa: E402

if not (CHROMIUM and DRIVER):
    pytest.skip("no chromium and chromedriver here: apt-get install chromium chromium-driver",
                allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ready  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

LONG_CELL = """\
from bcser_utils.audio import synthetic
synthetic.make_corpus("corpus", actors=range(1, 4))   # 180 files, with a progress bar
print("done")
"""
STATE = ("return [document.querySelector('.jp-CodeCell .jp-InputPrompt')?.textContent ?? '',"
         " document.querySelector('#jp-main-statusbar')?.innerText ?? '']")


def test_the_status_bar_says_busy_while_a_cell_with_a_progress_bar_runs(tmp_path):
    import nbformat

    root, home = tmp_path / "course", tmp_path / "home"
    root.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(LONG_CELL)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nbformat.write(nb, root / "busy.ipynb")
    seen = []
    with serve_lab(root, home) as (url, token), start_chrome() as browser:
        browser.get(f"{url}/lab/tree/busy.ipynb?token={token}")
        WebDriverWait(browser, 120).until(ready.presence_of_element_located(
            (By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")))
        WebDriverWait(browser, 120).until(lambda b: "Idle" in b.execute_script(STATE)[1])
        run_all(browser)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            prompt, bar = browser.execute_script(STATE)
            if "*" not in prompt:
                break
            seen.append("Idle" if "Idle" in bar else "Busy" if "Busy" in bar else bar)
            time.sleep(0.25)
        output = browser.find_element(By.CSS_SELECTOR, ".jp-OutputArea").text
    assert "done" in output, output[-500:]
    assert len(seen) > 8, "the cell ended too soon to tell"
    # the first samples may precede the kernel's first status of the cell
    assert "Idle" not in seen[4:], f"the status bar read Idle while the cell ran: {seen}"
