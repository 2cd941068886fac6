"""Sphinx configuration of the course's website (`make site` builds it into build/site/).

Run from the repository root as the source folder (``sphinx-build -c site . build/site``), so the
relative links written for GitHub (``notebooks/01_dataset_exploration.ipynb``, ``docs/design.md``)
resolve on the site as they do there. The notebooks are rendered from their committed outputs,
never executed. Sphinx + MyST-NB + sphinx-book-theme rather than Jupyter Book 2 (mystmd), because
mystmd fetches its site theme from the internet at build time and this site must build offline.
"""

import contextlib
import shutil
from pathlib import Path

from docutils import nodes
from sphinx import addnodes

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


def setup(app):
    app.connect("source-read", _append_toctree)
    app.connect("doctree-read", _link_files_to_github, priority=100)
    app.connect("build-finished", _finish)
    return {"parallel_read_safe": True}

