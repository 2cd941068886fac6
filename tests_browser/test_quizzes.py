"""The notebooks' quizzes and objectives as a student meets them: in JupyterLab (headless
Chromium), trusted as `make lab` opens them and untrusted as a plain `jupyter lab` does, and in
the static view nbconvert's HTML exporter makes (the committed notebook, as a page).

Each quiz option is a closed ``<details>`` block: its explanation is hidden until the student
clicks the option's summary, and exactly one option per question opens to ✅. Needs what
test_browser.py needs (selenium, chromium and chromedriver); skips without them.
"""

import time
from pathlib import Path

import pytest

from bcser_utils import quizzes

ROOT = Path(__file__).resolve().parents[1]
TRUSTED = ["01_dataset_exploration", "10_your_own_voice"]  # 10: its quiz is the last cell
UNTRUSTED = "06_training"
STATIC = "02_bc_filter_design"

pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                    "(make test-browser installs it)")
from browsing import CHROMIUM, DRIVER, serve_lab  # noqa: E402

if not (CHROMIUM and DRIVER):
    pytest.skip("no chromium and chromedriver here: apt-get install chromium chromium-driver",
                allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ready  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# The quiz in the page, read in one script: its questions in order, each with its options'
# state (open, the text a reader sees now, the summary) and the <details> elements to click.
READ_QUIZ = """
const root = arguments[0];
const questions = [];
for (const node of root.querySelectorAll('p, details')) {
    if (node.tagName === 'P' && /^Q\\d+\\./.test(node.textContent.trim())) {
        questions.push({text: node.textContent.trim(), options: []});
    } else if (node.tagName === 'DETAILS' && questions.length) {
        questions[questions.length - 1].options.push({
            element: node, open: node.open, shown: node.innerText.trim(),
            summary: node.querySelector('summary')?.innerText.trim() ?? null,
            cls: node.getAttribute('class')});
    }
}
return questions;
"""


# the notebook in view: JupyterLab keeps the notebooks opened before in hidden tabs
PANEL = "document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)')"


def _open_notebook(browser, lab, stem: str, timeout: float = 120):
    url, token = lab
    browser.get(f"{url}/lab/tree/notebooks/{stem}.ipynb?token={token}")
    WebDriverWait(browser, timeout).until(
        ready.presence_of_element_located((By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")))
    first = quizzes.BANK[stem].questions[0].text.replace("`", "")
    # the quiz cell of this notebook rendered: a heading "Quiz", then its first question
    return WebDriverWait(browser, timeout).until(lambda b: b.execute_script(
        f"return [...({PANEL}?.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown') ?? [])]"
        ".find(r => r.querySelector('h2')?.textContent.trim().startsWith('Quiz')"
        "           && r.textContent.includes(arguments[0])) ?? null", first))


def _click_every_option_and_check(browser, root, stem: str) -> None:
    unit = quizzes.BANK[stem]
    questions = browser.execute_script(READ_QUIZ, root)
    assert [q["text"] for q in questions] == [
        f"Q{i}. {q.text}".replace("`", "") for i, q in enumerate(unit.questions, 1)]
    for question, asked in zip(questions, unit.questions, strict=True):
        assert len(question["options"]) == len(asked.options), question["text"]
        for option, meant in zip(question["options"], asked.options, strict=True):
            # closed: the reader sees the option, not its verdict or explanation
            assert not option["open"] and option["shown"] == option["summary"], option["shown"]
            assert option["cls"] == "quiz-option"
            assert "Right." not in option["shown"] and "Not quite." not in option["shown"]
            summary = option["element"].find_element(By.TAG_NAME, "summary")
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
            summary.click()
            WebDriverWait(browser, 10).until(
                lambda b, e=option["element"]: b.execute_script("return arguments[0].open", e))
            shown = option["element"].text
            verdict = "✅ Right." if meant.right else "❌ Not quite."
            assert verdict in shown and meant.why.replace("`", "") in shown, shown
    # every option is open now: exactly one ✅ per question, on the bank's right option
    for question, asked in zip(browser.execute_script(READ_QUIZ, root), unit.questions,
                               strict=True):
        ticks = [i for i, o in enumerate(question["options"]) if "✅" in o["shown"]]
        assert all(o["open"] for o in question["options"])
        assert ticks == [next(i for i, o in enumerate(asked.options) if o.right)]


def _objectives_shown(browser) -> list[str]:
    return browser.execute_script(
        f"const b = [...{PANEL}.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown')]"
        "  .find(r => r.querySelector('blockquote')?.textContent.includes('You will be able to'));"
        "return b ? [...b.querySelectorAll('blockquote li')].map(li => li.innerText.trim()) : [];")


@pytest.mark.parametrize("stem", TRUSTED)
def test_the_quiz_opens_option_by_option_in_a_trusted_notebook(lab, browser, stem):
    root = _open_notebook(browser, lab, stem)
    # the objectives box, right under the title, one list item per objective
    assert _objectives_shown(browser) == [
        o.replace("`", "") for o in quizzes.BANK[stem].objectives]
    _click_every_option_and_check(browser, root, stem)


def test_the_quiz_works_in_an_untrusted_notebook_too(browser, tmp_path):
    # a plain `jupyter lab`, or a notebook opened from a link: nothing trusted, the Markdown
    # sanitised; <details> and <summary> must survive that
    with serve_lab(ROOT, tmp_path) as server:
        root = _open_notebook(browser, server, UNTRUSTED)
        _click_every_option_and_check(browser, root, UNTRUSTED)


def test_the_static_html_view_shows_the_quiz_as_closed_details(browser, tmp_path):
    # the committed notebook as nbconvert's HTML exporter renders it (what a static view serves)
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_filename(str(ROOT / "notebooks" / f"{STATIC}.ipynb"))
    assert "&lt;details" not in body  # the HTML was not escaped into text
    page = tmp_path / f"{STATIC}.html"
    page.write_text(body, encoding="utf-8")
    browser.get(page.as_uri())
    root = WebDriverWait(browser, 60).until(lambda b: b.execute_script(
        "return [...document.querySelectorAll('.jp-RenderedMarkdown, .text_cell_render')]"
        ".find(r => r.querySelector('h2')?.textContent.trim().startsWith('Quiz')) ?? null"))
    time.sleep(1)  # the page's own scripts (offline here) have given up
    _click_every_option_and_check(browser, root, STATIC)
