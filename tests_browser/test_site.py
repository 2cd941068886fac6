"""The course's website (``make site`` builds it into build/site/) in headless Chromium.

Every page loads without a console error or a broken picture (README's badges included); notebook
03's players play; notebook 02's figures are drawn; the formulas are typeset by the site's own
MathJax; every figure has an alt text that says what it is; every link between pages reaches a page
(and the section a ``#fragment`` names); the search finds "bone-conducted"; the quizzes' answers
open; every notebook's page has its Colab and Binder buttons. The site is served from loopback as
static files, as GitHub Pages serves it, and Chromium may reach nothing else: a page that needs the
internet to work (a picture or a script from another host) would fail here.
"""

import html.parser
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from browsing import CHROMIUM, DRIVER, ROOT, serve_site, start_chrome

SITE = ROOT / "build" / "site"

if not (SITE / "index.html").is_file():
    pytest.skip(f"{SITE} has no index.html: build the site first (make site)",
                allow_module_level=True)
if not (CHROMIUM and DRIVER):
    pytest.skip("chromium and chromedriver are missing (apt-get install chromium chromium-driver)",
                allow_module_level=True)
pytest.importorskip("selenium", reason="selenium is missing (pip install -e '.[browser]')")

# Only the site's own server resolves, as for a reader offline: a picture or script from another
# host fails to load (the console's "Failed to load resource" for it is not the site's error, but a
# broken picture is, and formulas left as TeX are).
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
REPOSITORY = "github.com/bcser/bcser"


@pytest.fixture(scope="module")
def site():
    with serve_site(SITE) as url:
        yield url


@pytest.fixture(scope="module")
def chrome():
    with start_chrome(OFFLINE) as driver:
        yield driver


def _open(driver, url: str) -> None:
    driver.get(url)
    for _ in range(100):
        if driver.execute_script("return document.readyState") == "complete":
            return
        time.sleep(0.1)


def _own_errors(driver, site: str) -> list[str]:
    """The console's errors (SEVERE) since the last call, less a resource from another host that
    could not be loaded (offline here by design; the reader online gets it)."""
    errors = [entry["message"] for entry in driver.get_log("browser")
              if entry["level"] == "SEVERE"]
    return [message for message in errors
            if not (re.match(r"https?://", message) and not message.startswith(site)
                    and "Failed to load resource" in message)]


def _dead_media(driver, site: str) -> list[str]:
    """The page's pictures that did not load (its own, or from another host: offline, a badge from
    its host is broken), and its players whose audio cannot be read (an error, or no duration once
    the browser has read what it could)."""
    return driver.execute_async_script("""
        const [site, done] = arguments;
        const players = [...document.querySelectorAll('audio')];
        const ready = p => p.error || p.readyState >= 1;
        const waited = Date.now();
        (function wait() {
            if (!players.every(ready) && Date.now() - waited < 20000) return setTimeout(wait, 100);
            const pictures = [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))
                .map(i => 'picture ' + i.src);
            const dead = players.map((p, i) => [p, i]).filter(([p]) => p.error || !(p.duration > 0))
                .map(([p, i]) => `player ${i}: error ${p.error && p.error.code}`);
            done([...pictures, ...dead]);
        })();
    """, site)


@pytest.fixture(scope="module")
def visits(site, chrome):
    """Every page of the site, visited once: crawled from index.html along the links and also every
    .html file built. Returns {page path: (what failed: console errors, pictures that did not load,
    dead players; hrefs of its links; page title)}."""
    built = {path.relative_to(SITE).as_posix() for path in SITE.rglob("*.html")}
    queue, seen, found = ["index.html"], set(), {}
    while queue:
        page = queue.pop(0)
        if page in seen:
            continue
        seen.add(page)
        _open(chrome, f"{site}/{page}")
        links = chrome.execute_script(
            "return [...document.querySelectorAll('a[href]')].map(a => a.href)")
        found[page] = (_own_errors(chrome, site) + _dead_media(chrome, site), links, chrome.title)
        for link in links:
            path = urllib.parse.urlsplit(link).path.lstrip("/")
            if link.startswith(site) and path.endswith(".html") and path not in seen:
                queue.append(path)
        if not queue:
            queue = sorted(built - seen)
    return found


def test_every_page_loads_without_console_errors_missing_pictures_or_dead_players(visits):
    assert len(visits) >= 16, sorted(visits)  # README, 10 notebooks, 4 notes, search, index
    pages = ["notebooks/01_dataset_exploration.html", "notebooks/10_your_own_voice.html",
             "TEACHING.html", "results/README.html", "benchmarks/README.html",
             "docs/design.html", "README.html"]
    assert set(pages) <= set(visits), sorted(visits)
    errors = {page: found[0] for page, found in visits.items() if found[0]}
    assert not errors, errors


def test_the_landing_page_shows_its_badges_offline(visits):
    """README's Colab and Binder badges (one pair per notebook) are the site's own pictures, so
    they show without the internet too (visits finds any that did not load)."""
    for page in ("index.html", "README.html"):
        assert not visits[page][0], visits[page][0]
    badges = [(alt, src) for alt, src in _pictures(SITE / "README.html")
              if alt in ("Colab", "Binder")]
    assert {alt for alt, _ in badges} == {"Colab", "Binder"}, badges
    remote = [src for _, src in badges if re.match(r"(https?:)?//", src)]
    assert not remote, remote


def test_formulas_are_typeset_offline(site, chrome):
    """Every page with formulas loads MathJax from the site itself: each formula becomes MathJax's
    output, and no TeX source (`$\\alpha$`, `\\(H(z)\\)`) is left in the text the reader sees."""
    pages = sorted(path.relative_to(SITE).as_posix() for path in SITE.rglob("*.html")
                   if 'class="math' in path.read_text(encoding="utf-8"))
    assert len(pages) >= 3, pages  # notebooks 02, 06 and 07 at least
    for page in pages:
        _own_errors(chrome, site)  # only this page's
        _open(chrome, f"{site}/{page}")
        found = chrome.execute_async_script(r"""
            const done = arguments[arguments.length - 1];
            const waited = Date.now();
            (function wait() {
                const startup = window.MathJax && MathJax.startup && MathJax.startup.promise;
                if (!startup) {
                    if (Date.now() - waited < 30000) return setTimeout(wait, 100);
                    return done({loaded: false});
                }
                startup.then(() => {
                    const maths = [...document.querySelectorAll('.math')];
                    const raw = [];
                    const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                    for (let text; (text = texts.nextNode());) {
                        if (text.parentElement.closest('pre, code, script, style, mjx-container'))
                            continue;
                        if (/\$\\|\\\(|\\\[|\\[a-zA-Z]+\{/.test(text.textContent))
                            raw.push(text.textContent.trim().slice(0, 80));
                    }
                    done({loaded: true, formulas: maths.length, raw: raw,
                          typeset: document.querySelectorAll('mjx-container').length,
                          untypeset: maths.filter(m => !m.querySelector('mjx-container'))
                              .map(m => m.textContent.slice(0, 60))});
                });
            })();
        """)
        assert found["loaded"], f"{page}: MathJax did not load"
        assert found["formulas"] > 0 and found["typeset"] >= found["formulas"], (page, found)
        assert not found["untypeset"], (page, found["untypeset"])
        assert not found["raw"], (page, found["raw"])
        # MathJax's own files (its fonts, a TeX extension it loads for a macro) are all there
        assert not _own_errors(chrome, site), page


class _Pictures(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str | None, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            attrs = dict(attrs)
            self.found.append((attrs.get("alt"), attrs.get("src", "")))


def _pictures(page) -> list[tuple[str | None, str]]:
    """(alt, src) of each <img> of a built page."""
    parser = _Pictures()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.found


# what a screen reader would read out instead of a description: a path, a file's name, a hash
NOT_A_DESCRIPTION = re.compile(r"[/\\]|\.(png|jpe?g|svg|gif|webp)\b|[0-9a-f]{16}", re.IGNORECASE)


def test_every_figure_has_an_alt_text_that_says_what_it_is():
    """Each picture of a notebook's page has an alt text for a screen reader, not its file's path
    (MyST-NB's default)."""
    bad, figures = [], 0
    for page in sorted((SITE / "notebooks").glob("*.html")):
        for alt, src in _pictures(page):
            figures += "_images/" in src
            if not (alt and alt.strip()) or NOT_A_DESCRIPTION.search(alt):
                bad.append(f"{page.name}: {src} has alt {alt!r}")
    assert figures >= 50, figures  # every notebook's figures
    assert not bad, "\n".join(bad)


def _fragments(html: str) -> set[str]:
    return set(re.findall(r'\s(?:id|name)="([^"]+)"', html))


def test_the_links_between_pages_resolve(site, visits):
    """Each link to the site answers 200, and a #fragment names an element of its page."""
    pages: dict[str, str] = {}
    broken = []
    for page, (_, links, _) in visits.items():
        for link in links:
            if not link.startswith(site):
                continue
            address, _, fragment = link.partition("#")
            if address not in pages:
                try:
                    with urllib.request.urlopen(address, timeout=30) as answer:
                        pages[address] = answer.read().decode("utf-8", "replace")
                except urllib.error.HTTPError as error:
                    pages[address] = ""
                    broken.append(f"{page}: {link} answered {error.code}")
                    continue
            fragment = urllib.parse.unquote(fragment)
            if fragment and pages[address] and fragment not in _fragments(pages[address]):
                broken.append(f"{page}: {link} has no element with id {fragment!r}")
    assert len(pages) >= 16
    assert not broken, "\n".join(sorted(set(broken)))


def test_links_to_files_that_are_not_pages_go_to_github(visits):
    """README links the exercises' solutions and the model cards: on the site they open the
    source on GitHub, not a copy or a 404."""
    readme = visits["README.html"][1]
    assert any(f"{REPOSITORY}/blob/main/bcser_utils/models/MODEL_CARD.md" in link
               for link in readme), readme
    assert any(f"{REPOSITORY}/tree/main/bcser_utils/models" in link for link in readme)


def test_every_notebook_has_colab_and_binder_buttons(visits):
    notebooks = sorted(path.stem for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert len(notebooks) == 10
    for stem in notebooks:
        links = visits[f"notebooks/{stem}.html"][1]
        colab = f"colab.research.google.com/github/bcser/bcser/blob/main/notebooks/{stem}.ipynb"
        assert any(colab in link for link in links), (stem, "no Colab button")
        assert any(link.startswith("https://mybinder.org/v2/gh/bcser/bcser/main")
                   and f"notebooks/{stem}.ipynb" in link for link in links), (stem, "no Binder")


def test_notebook_03_players_play(site, chrome):
    _open(chrome, f"{site}/notebooks/03_augmentation_gallery.html")
    count = chrome.execute_script("return document.querySelectorAll('audio').length")
    assert count >= 13  # the original and its 12 transforms, and the leakage pair
    # Start them all, then read how far each got: a dead player stays at 0 or has an error.
    states = chrome.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const players = [...document.querySelectorAll('audio')];
        const late = () => new Promise(r => setTimeout(() => r('play() did not settle'), 10000));
        const failures = players.map(p => Promise.race([p.play().then(() => 0, String), late()]));
        Promise.all(failures).then(started => setTimeout(() => done(players.map((p, i) => ({
            started: started[i], time: p.currentTime, duration: p.duration,
            error: p.error && p.error.code, source: (p.currentSrc || '').slice(0, 30)}))), 1500));
    """)
    dead = [(i, state) for i, state in enumerate(states)
            if state["started"] or state["error"] or not state["time"] > 0
            or not state["duration"] > 0]
    assert not dead, dead
    assert all(state["source"].startswith("data:audio/") for state in states)


def test_each_clip_is_embedded_once_per_player():
    """A player's audio is in its page once: the rendered output only, not also a second copy of
    the notebook's output bundle (the site would double)."""
    for page in sorted((SITE / "notebooks").glob("*.html")):
        html = page.read_text(encoding="utf-8")
        players, clips = html.count("<audio"), len(re.findall(r"data:audio/[a-z]+;base64,", html))
        assert clips == players, f"{page.name}: {clips} clips for {players} players"


def test_notebook_02_figures_are_drawn(site, chrome):
    _open(chrome, f"{site}/notebooks/02_bc_filter_design.html")
    images = chrome.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const images = [...document.querySelectorAll('article img')];
        images.forEach(i => i.scrollIntoView());
        Promise.all(images.map(i => i.decode().catch(() => null))).then(() => done(
            images.map(i => ({src: i.getAttribute('src'), width: i.naturalWidth}))));
    """)
    # every figure of the committed notebook, the designer widget's picture among them
    assert len(images) >= 8, images
    missing = [image for image in images if not image["width"] > 0]
    assert not missing, missing


def test_search_finds_bone_conducted(site, chrome):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _open(chrome, f"{site}/search.html?q=bone-conducted")
    results = WebDriverWait(chrome, 60).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, "#search-results ul.search li a"))
    pages = {urllib.parse.urlsplit(a.get_attribute("href")).path for a in results}
    assert "/README.html" in pages or "/index.html" in pages, pages
    assert any(page.startswith("/notebooks/02_") for page in pages), pages


def test_the_quizzes_answers_open(site, chrome):
    """Where the quizzes have landed ([classroom-feedback]), each option opens to its explanation,
    with no script: plain <details> blocks."""
    quizzes = [path.stem for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
               if "quiz-option" in path.read_text(encoding="utf-8")]
    if not quizzes:
        pytest.skip("no notebook has a quiz yet")
    from selenium.webdriver.common.by import By

    for stem in quizzes:
        _open(chrome, f"{site}/notebooks/{stem}.html")
        options = chrome.find_elements(By.CSS_SELECTOR, "details.quiz-option")
        # at least 3 questions of 2 options; none at all: the site predates the quiz (make site)
        assert len(options) >= 6, f"{stem}: {len(options)} quiz options on its page"
        summary = options[0].find_element(By.TAG_NAME, "summary")
        chrome.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
        summary.click()
        assert options[0].get_attribute("open") is not None, stem
        assert re.search("Right|Not quite", options[0].text), (stem, options[0].text)
