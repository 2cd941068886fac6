"""Sphinx configuration of the course's website (`make site` builds it into build/site/).

Run from the repository root as the source folder (``sphinx-build -c site . build/site``), so the
relative links written for GitHub (``notebooks/01_dataset_exploration.ipynb``, ``docs/design.md``)
resolve on the site as they do there. The notebooks are rendered from their committed outputs,
never executed. Sphinx + MyST-NB + sphinx-book-theme rather than Jupyter Book 2 (mystmd), because
mystmd fetches its site theme from the internet at build time and this site must build offline.
"""

import ast
import contextlib
import importlib.util
import json
import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY = "https://github.com/bcser/bcser"
BRANCH = "main"

project = "bcser"
author = "the bcser authors"
copyright = "the bcser authors; RAVDESS: CC BY-NC-SA 4.0"

# The pages, in reading order: the README is the landing page, then the course, then the notes.
NOTEBOOKS = sorted(p.relative_to(ROOT).with_suffix("").as_posix()
                   for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAGES = ["README", *NOTEBOOKS, "TEACHING", "results/README", "benchmarks/README", "docs/design"]
root_doc = "README"
include_patterns = ["README.md", "notebooks/[0-9][0-9]_*.ipynb", "TEACHING.md",
                    "results/README.md", "benchmarks/README.md", "docs/design.md"]
exclude_patterns = ["build", ".venv", "clean", "**/.ipynb_checkpoints"]

extensions = ["myst_nb", "sphinx.ext.githubpages"]  # githubpages: .nojekyll
# The notebooks as committed (their outputs: figures, audio players, widgets' pictures).
nb_execution_mode = "off"
# GitHub's heading anchors, so README's `docs/design.md#predict` finds its section here too.
myst_heading_anchors = 4
myst_enable_extensions = ["dollarmath", "amsmath"]
# Links starting with these schemes are web links; anything else is looked for in the repository.
myst_url_schemes = ["http", "https", "mailto"]

# MathJax served by the site itself, so that formulas render offline (a classroom without internet):
# MathJax 3.2.2 as the package sphinx-mathjax-offline ships it (the `site` extra). Not loaded as its
# extension, which copies all of MathJax (24 MB: SVG output, speech, every bundle) into the site;
# _finish copies the TeX-to-HTML bundle, its fonts, and the TeX extensions it loads on demand
# (\boldsymbol, \cancel, ...): 2 MB. Its licence is site/_static/mathjax/LICENSE (Apache 2.0).
_mathjax = importlib.util.find_spec("sphinx-mathjax-offline")
if _mathjax is None:
    raise ConfigError("site/conf.py: MathJax is missing: pip install -e '.[site]' "
                      "(it brings sphinx-mathjax-offline)")
MATHJAX = Path(_mathjax.submodule_search_locations[0]) / "static" / "mathjax"
MATHJAX_FILES = ["tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions"]
mathjax_path = "mathjax/tex-chtml.js"  # under _static/

# README's Colab and Binder badges come from their hosts: offline they would be broken pictures.
# The site shows these local ones instead (drawn for it, site/_static/badges/); README.md keeps the
# hosts' for GitHub.
BADGES = {"https://colab.research.google.com/assets/colab-badge.svg": "colab.svg",
          "https://mybinder.org/badge_logo.svg": "binder.svg"}

html_theme = "sphinx_book_theme"
html_baseurl = "https://bcser.github.io/bcser/"
html_title = "bcser: bone-conducted speech emotion recognition, a course"
html_static_path = ["_static"]
html_css_files = ["quiz.css"]
html_favicon = "_static/favicon.svg"  # else browsers ask the server's root for /favicon.ico
html_copy_source = False   # the notebooks are on GitHub; a second copy would double the site
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": REPOSITORY,
    "repository_branch": BRANCH,
    "path_to_docs": "",
    "use_repository_button": True,
    "use_issues_button": False,
    "use_edit_page_button": False,
    "use_download_button": False,
    "launch_buttons": {
        "colab_url": "https://colab.research.google.com",
        "binderhub_url": "https://mybinder.org",
        "notebook_interface": "jupyterlab",
    },
    "show_toc_level": 2,
}
# the theme's script starts from the reader's saved choice, or this; left empty it logs an error
html_context = {"default_mode": "auto"}


def _append_toctree(app, docname, source):
    """Order the pages in the sidebar: a hidden toctree appended to the README as it is read
    (README.md itself stays as GitHub shows it)."""
    if docname == root_doc:
        entries = "\n".join(PAGES[1:])
        source[0] += f"\n\n```{{toctree}}\n:hidden:\n:maxdepth: 1\n\n{entries}\n```\n"


def _github_url(path: Path) -> str:
    kind = "tree" if path.is_dir() else "blob"
    return f"{REPOSITORY}/{kind}/{BRANCH}/{path.relative_to(ROOT).as_posix()}"


def _link_files_to_github(app, doctree):
    """A link to a file of the repository that is not a page (`bcser_utils/exercises.py`,
    `Makefile`, a folder) goes to its source on GitHub, instead of a copy on the site or a 404.
    Runs before Sphinx collects download links (priority below the collectors' 500)."""
    env = app.env
    for node in list(doctree.findall(addnodes.download_reference)) + [
            n for n in doctree.findall(addnodes.pending_xref) if n.get("reftype") == "myst"]:
        target = node["reftarget"].split("#")[0]
        if node.get("refdomain") == "doc":
            # a Markdown file or notebook that is not a page (a model card, clean/): MyST made it
            # a page link
            if target in env.found_docs:
                continue
            path = next((p for p in (ROOT / f"{target}.md", ROOT / f"{target}.ipynb")
                         if p.exists()), ROOT / target)
        else:
            _, path = env.relfn2path(target, env.docname)
            path = Path(path).resolve()
        if not path.exists() or ROOT not in path.parents:
            continue
        link = nodes.reference("", "", *node.children, refuri=_github_url(path),
                               classes=["github-source"])
        node.replace_self(link)


def _local_badges(app, doctree):
    """README's badge pictures point to the local copies (BADGES). Runs before Sphinx collects the
    pictures (priority below the collectors' 500), which then copies them into _images/."""
    for image in doctree.findall(nodes.image):
        if image["uri"] in BADGES:
            image["uri"] = f"/site/_static/badges/{BADGES[image['uri']]}"  # "/": the source root


# the acronyms in figures' names, spelled out letter by letter by a screen reader
ACRONYMS = {"ac", "bc", "auc", "roc", "iou", "mse", "mfcc", "ltas", "vtlp"}


def _saved_names(source: str) -> list[str]:
    """The names a cell's code saves its figures under, in order: `style.save_fig(fig,
    "02_frequency_response", source)` -> ["02_frequency_response"]."""
    # IPython's magics and shell lines are not Python
    code = "\n".join(line for line in source.splitlines()
                     if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    saved = []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and ast.unparse(call.func).endswith("save_fig")):
            continue
        name = call.args[1] if len(call.args) > 1 else next(
            (k.value for k in call.keywords if k.arg == "name"), None)
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            saved.append((call.lineno, call.col_offset, name.value))
    return [name for *_, name in sorted(saved)]  # ast.walk is breadth-first, not in order


def _figure_name(saved: str) -> str:
    """'08_full_ac_vs_bc' -> 'full AC vs BC': the words of a saved figure's name."""
    words = re.sub(r"^\d+_", "", saved).split("_")
    return " ".join(word.upper() if word in ACRONYMS else word for word in words)


def _alt_texts(app, doctree):
    """A picture without an alt text gets one that a screen reader can use. MyST-NB gives a
    notebook's figure none, so the page showed its file path ("../_images/4af7….png"). The alt
    says what the figure is, from its cell (the name save_fig saves it under) and the section
    it is in: 'Figure: frequency response (section “3 · Frequency response, …”)'. An alt that a
    notebook gives (cell metadata mystnb.image.alt) is kept."""
    # the cells' code, from the notebook itself: a cell may hide its input from the page
    path = Path(app.env.doc2path(app.env.docname))
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"] if path.suffix == ".ipynb" else []
    for image in doctree.findall(nodes.image):
        if image.get("alt"):
            continue
        ancestors = []
        node = image.parent
        while node is not None:
            ancestors.append(node)
            node = node.parent
        section = next((n for n in ancestors if isinstance(n, nodes.section)), None)
        heading = section[0].astext() if section is not None else app.env.docname
        cell = next((n for n in ancestors if n.get("nb_element") == "cell_code"), None)
        names = []
        if cell is not None and cell.get("cell_index") is not None and cells:
            names = _saved_names("".join(cells[cell["cell_index"]]["source"]))
            # the k-th picture of the cell is the k-th figure it saved
            order = list(cell.findall(nodes.image)).index(image)
            names = names[order:order + 1]
        if names:
            image["alt"] = f"Figure: {_figure_name(names[0])} (section “{heading}”)"
        else:  # numbered in its section (a widget's picture, a figure not saved)
            pictures = (doctree if section is None else section).findall(nodes.image)
            number = list(pictures).index(image) + 1
            image["alt"] = f"Figure {number} of the section “{heading}”"


def _finish(app, exception):
    """GitHub Pages serves index.html at the site's address: the README's page, under that name
    too (a copy, so the address shows the landing page without a redirect). Less what no reader
    downloads."""
    if exception is None and app.builder.format == "html":
        out = Path(app.outdir)
        shutil.copyfile(out / f"{root_doc}.html", out / "index.html")
        with contextlib.suppress(OSError):  # left empty: no sources are copied
            (out / "_sources").rmdir()
        # the theme's source maps (3.4 MB, a fifth of the site) serve only its own developers
        for source_map in (out / "_static").rglob("*.map"):
            source_map.unlink()
        # the part of MathJax that the pages use (see MATHJAX above)
        for name in MATHJAX_FILES:
            source, target = MATHJAX / name, out / "_static" / "mathjax" / name
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)


def setup(app):
    app.connect("source-read", _append_toctree)
    app.connect("doctree-read", _link_files_to_github, priority=100)
    app.connect("doctree-read", _local_badges, priority=100)
    app.connect("doctree-read", _alt_texts)
    app.connect("build-finished", _finish)
    return {"parallel_read_safe": True}

