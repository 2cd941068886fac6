"""The README's promises about the repository itself."""

import re
from pathlib import Path

import pytest

from bcser_utils import config

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
RESULTS = (ROOT / "results" / "README.md").read_text()  # the full result tables


def test_every_notebook_has_both_badges_and_every_badge_points_at_a_notebook():
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    colab = re.findall(r"colab\.research\.google\.com/github/[\w-]+/[\w-]+/blob/main/"
                       r"notebooks/([\w.]+\.ipynb)", README)
    binder = re.findall(r"mybinder\.org/v2/gh/[\w-]+/[\w-]+/main\?labpath=notebooks%2F"
                        r"([\w.]+\.ipynb)", README)
    assert notebooks and sorted(colab) == notebooks == sorted(binder)


def test_ci_runs_the_readme_test_command():
    assert "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_requirements_never_pin_a_cuda_torch():
    text = (ROOT / "requirements.txt").read_text() + (ROOT / "pyproject.toml").read_text()
    assert "cu1" not in text and "nvidia" not in text.lower()
    assert "torch==2.13.0" in (ROOT / "Makefile").read_text()


def test_binder_and_make_install_get_the_cpu_torch_and_ci_never_tries_its_index():
    cpu_index = "https://download.pytorch.org/whl/cpu"
    binder = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    assert f"--extra-index-url {cpu_index}" in binder and "-r ../requirements.txt" in binder
    assert [line for line in binder if line.startswith("torch")] == ["torch==2.13.0+cpu"]
    assert f"TORCH_INDEX ?= {cpu_index}" in (ROOT / "Makefile").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index("export TORCH_INDEX=\n") < ci.index("make test")  # CI: no unreachable host


def test_every_badge_url_is_well_formed_and_points_at_an_existing_notebook():
    # a badge is [![name](image)](target): check every image and every target
    badges = re.findall(r"\[!\[\w+\]\((\S+?)\)\]\((\S+?)\)", README)
    images = {image for image, _ in badges}
    assert images == {"https://colab.research.google.com/assets/colab-badge.svg",
                      "https://mybinder.org/badge_logo.svg"}
    urls = [target for _, target in badges]
    assert len(urls) == 2 * len(list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    slug = re.escape(config.REPO_SLUG)
    colab = re.compile(rf"https://colab\.research\.google\.com/github/{slug}/blob/main/"
                       r"(notebooks/\d\d_\w+\.ipynb)")
    binder = re.compile(rf"https://mybinder\.org/v2/gh/{slug}/main\?labpath="
                        r"(notebooks%2F\d\d_\w+\.ipynb)")
    for url in urls:
        match = colab.fullmatch(url) or binder.fullmatch(url)
        assert match, f"not a Colab or Binder notebook URL of this repository: {url}"
        assert (ROOT / match.group(1).replace("%2F", "/")).is_file(), url


def _code_cells(notebook: Path) -> list[str]:
    import nbformat
    from IPython.core.inputtransformer2 import TransformerManager

    to_python = TransformerManager().transform_cell   # `!pip …` and `%matplotlib` → Python
    return [to_python(cell.source) for cell in nbformat.read(notebook, as_version=4).cells
            if cell.cell_type == "code"]


def _imported_top_level_modules(source: str) -> set[str]:
    import ast

    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules.add(node.module.split(".")[0])
    return modules


# import name → distribution name, where they differ
DISTRIBUTION = {"sklearn": "scikit-learn", "PIL": "pillow"}
# Imported but deliberately not in requirements.txt, each for a stated reason.
NOT_REQUIRED = {
    "IPython": "Jupyter itself provides it (every kernel runs on it)",
    "ipykernel": "Jupyter itself provides it",
    "nbformat": "Jupyter itself provides it; only the course runner uses it",
    "nbclient": "Jupyter itself provides it; only the course runner uses it",
    "google": "google.colab exists only on Colab, and the notebooks import it only there",
    "nbgrader": "the optional extra teach (make assignment, make grade); grading.py imports it "
                "only to grade",
}


def test_requirements_cover_every_third_party_import_of_notebooks_and_package():
    import sys

    sources = [s for nb in sorted((ROOT / "notebooks").glob("*.ipynb")) for s in _code_cells(nb)]
    sources += [p.read_text() for p in sorted((ROOT / "bcser_utils").glob("*.py"))]
    imported = set().union(*(_imported_top_level_modules(s) for s in sources))
    third_party = imported - set(sys.stdlib_module_names) - {"bcser_utils"}
    required = {re.split(r"[<>=!~\[; ]", line.strip())[0].lower()
                for line in (ROOT / "requirements.txt").read_text().splitlines()
                if line.strip() and not line.startswith(("#", "-"))}
    missing = {m for m in third_party - set(NOT_REQUIRED)
               if DISTRIBUTION.get(m, m).lower() not in required}
    assert {"numpy", "torch", "sklearn", "soundfile"} <= third_party   # the parse found imports
    assert not missing, f"imported but not in requirements.txt: {sorted(missing)}"


def test_first_cell_sets_up_colab_only_with_device_and_checksummed_download():
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        first = _code_cells(notebook)[0]
        assert 'if "google.colab" in sys.modules' in first, notebook.name
        assert "training.pick_device()" in first, notebook.name
        assert "find_corpus(allow_download=True, progress=True)" in first, notebook.name
        assert f'REPO = "{config.REPO_SLUG}"' in first and "raise RuntimeError" in first


def test_fork_points_every_badge_and_colab_cell_at_the_fork(tmp_path):
    import shutil

    from bcser_utils import course

    for part in ("README.md", "bcser_utils/config.py"):
        (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / part, tmp_path / part)
    for folder in ("notebooks", "clean"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    changed = course.fork("someone/bcser-fork", tmp_path)
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert len(changed) == 2 + 2 * len(notebooks)
    readme = (tmp_path / "README.md").read_text()
    assert f"/{config.REPO_SLUG}/" not in readme
    assert readme.count("github/someone/bcser-fork/blob/main/notebooks/") == len(notebooks)
    assert readme.count("mybinder.org/v2/gh/someone/bcser-fork/main?labpath=") == len(notebooks)
    assert 'REPO_SLUG = "someone/bcser-fork"' in (tmp_path / "bcser_utils/config.py").read_text()
    for notebook in ("notebooks", "clean"):
        first = _code_cells(tmp_path / notebook / notebooks[0])[0]
        assert 'REPO = "someone/bcser-fork"' in first
    with pytest.raises(ValueError, match="owner/name"):
        course.fork("not a slug", tmp_path)


def test_clean_copies_are_in_sync_with_the_notebooks():
    from bcser_utils import course

    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    clean = sorted((ROOT / "clean").glob("*.ipynb"))
    assert [p.name for p in clean] == [p.name for p in notebooks], "run: make clean-notebooks"
    for notebook in notebooks:
        text = (ROOT / "clean" / notebook.name).read_bytes()
        assert text == course.clean_text(notebook).encode(), \
            f"clean/{notebook.name} is stale: run make clean-notebooks"


def test_clean_copies_have_no_outputs_no_solutions_and_every_exercise(tmp_path):
    import nbformat

    from bcser_utils import course

    notebook = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))[0]
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[-1].source = nb.cells[-1].source.replace("show_solution=False",
                                                      "show_solution = True")
    revealed = tmp_path / notebook.name
    nbformat.write(nb, revealed)
    clean = nbformat.reads(course.clean_text(revealed), as_version=4)
    code = [c for c in clean.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert not any("show_solution=True" in c.source.replace(" ", "") for c in code)
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    assert [c.source.splitlines()[0] for c in clean.cells if c.cell_type == "markdown"] == headings
    assert sum(h.startswith("### Exercise") for h in headings) >= 2


def test_readme_quotes_the_committed_full_mode_results_of_notebook_08():
    # results/README.md's notebook-08 table is made from results/beyond-full.json by
    # beyond_tables.beyond_readme_table, so a re-run that changes a number must change the page too.
    from bcser_utils.present import beyond_tables, report

    summary = report.load_summary(ROOT / "results" / "beyond-full.json")
    assert summary["mode"] == "full" and not summary["synthetic"]
    assert summary["command"].startswith("python -m bcser_utils beyond --mode full")
    assert beyond_tables.beyond_readme_table(summary) in RESULTS


def test_readme_quotes_the_committed_full_mode_results_of_notebook_09():
    # results/README.md's notebook-09 table, made from results/generalize-full.json by
    # generalize_tables.generalize_readme_table, as for notebook 08
    from bcser_utils.present import generalize_tables, report

    summary = report.load_summary(ROOT / "results" / "generalize-full.json")
    assert summary["mode"] == "full" and "SYNTHETIC" not in summary["source"]
    assert summary["command"].startswith("python -m bcser_utils generalize --mode full")
    assert generalize_tables.generalize_readme_table(summary) in RESULTS


def test_the_front_page_quotes_notebook_09s_headline_rows_as_the_summary_renders_them():
    # README.md's two pooled-P3 rows are generalize_tables.headline_rows of the committed study,
    # so remaking the study changes them or fails here
    from bcser_utils.present import generalize_tables, report

    summary = report.load_summary(ROOT / "results" / "generalize-full.json")
    rows = generalize_tables.headline_rows(summary)
    assert len(rows.splitlines()) == 2 and "5 folds pooled" in rows
    assert rows in (ROOT / "README.md").read_text(), \
        "README.md's notebook-09 rows: paste generalize_tables.headline_rows(summary)"


def test_committed_notebooks_hold_no_widget_views_or_frozen_progress_bars():
    # a saved widget view shows as "VBox(children=…" or a bar stuck at 0% until the cell runs
    import nbformat

    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(notebook, as_version=4).cells:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                assert "application/vnd.jupyter.widget-view+json" not in data, notebook.name
                text = "".join(data.get("text/plain", "")) + "".join(output.get("text", ""))
                assert "%|" not in text and "VBox(children" not in text, notebook.name


def test_notebooks_carry_the_kernelspec_jupyterlab_writes_so_opening_one_changes_nothing():
    import nbformat

    from bcser_utils import course

    for folder in ("notebooks", "clean"):
        for notebook in sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb")):
            kernelspec = nbformat.read(notebook, as_version=4).metadata["kernelspec"]
            assert kernelspec == course.KERNELSPEC, notebook


def test_every_module_imports_only_modules_before_it_in_its_layer_or_a_lower_one():
    # Data flows one way (docs/design.md): bcser_utils.LAYERS lists the layers and their modules
    # in that order; an import of a later module, even inside a function, would be a cycle
    # waiting to happen, and an import up a layer a layer that is not one.
    import ast

    import bcser_utils

    order = [name for names in bcser_utils.LAYERS.values() for name in names]
    package = ROOT / "bcser_utils"
    on_disk = {p.stem for p in package.rglob("*.py") if not p.stem.startswith("__")}
    assert sorted(order) == sorted(on_disk)
    homes = {name: Path(*bcser_utils.HOMES[name].split(".")[1:]) for name in order}
    for position, name in enumerate(order):
        tree = ast.parse((package / homes[name]).with_suffix(".py").read_text())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and \
                    node.module.startswith("bcser_utils"):
                assert not node.level, f"{name}: relative import"
                parts = node.module.split(".")[1:]
                imported |= {parts[-1]} if parts and parts[-1] in order else \
                    {a.name for a in node.names if a.name in order}
            elif isinstance(node, ast.Import):
                imported |= {a.name.split(".")[-1] for a in node.names
                             if a.name.startswith("bcser_utils.")}
        later = imported - set(order[:position])
        assert not later, f"{name} imports {later}, listed after it in bcser_utils.LAYERS"


def test_predicting_a_file_loads_no_training_or_study_module():
    import subprocess
    import sys

    code = ("import sys; from bcser_utils.app import predict; "
            "predict.load_default(same_speaker=True); "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('bcser_utils', "
            "'sklearn')))))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True, cwd=ROOT).stdout.split())
    assert "bcser_utils.learn.inference" in loaded  # the probe saw the package
    training = {m for m in loaded if m.split(".")[-1] in
                {"training", "pipeline", "dataset", "augment", "splits", "evaluation"}
                or ".studies" in m or ".present" in m}
    assert not training, f"predict loads {sorted(training)}"
    assert not any(m.startswith("sklearn") for m in loaded)  # the classical model is arrays


def test_every_document_the_repository_cites_is_in_the_repository():
    # A reader of the repository can open every design reference: "DESIGN.md" is a development
    # file outside it, and docs/design.md is its published counterpart.
    skipped = {".git", ".venv", "build", "data", "runs"}
    texts = [path for path in ROOT.rglob("*") if path.suffix in {".py", ".md", ".ipynb", ".toml"}
             and not skipped & set(path.relative_to(ROOT).parts) and path != Path(__file__)]
    assert [path for path in texts if "DESIGN.md" in path.read_text(errors="replace")] == []
    assert (ROOT / "docs" / "design.md").is_file()


def test_requirements_and_pyproject_give_the_same_bounds_and_this_environment_meets_them():
    # make test-colab runs this in the Colab emulation too: the lower bounds are versions run there
    import tomllib
    from importlib import metadata

    from packaging.requirements import Requirement

    listed = [Requirement(line.strip()) for line in (ROOT / "requirements.txt").read_text()
              .splitlines() if line.strip() and not line.startswith(("#", "-"))]
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(map(str, listed)) == sorted(map(str, map(Requirement, declared)))
    unmet = {str(r): metadata.version(r.name) for r in listed
             if not r.specifier.contains(metadata.version(r.name).split("+")[0], prereleases=True)}
    assert unmet == {}


# --- docstrings -------------------------------------------------------------------------------
# Every public function, class and method of the audio, learn and app layers says what it takes
# and what it gives, numpy-style (as librosa and scikit-learn write them). The rule, checked on
# the source (AST), so that it needs no import:
# - public: a module-level function or class, or a method of a public class, whose name has no
#   leading underscore; nested functions, dunder methods (``__init__``, ``__call__`` …) and
#   properties (and their setters) are exempt; a dataclass's fields need no section;
# - a docstring, always;
# - a "Parameters" section when the function takes an argument besides self/cls (a class: when
#   its own ``__init__`` does, in the class's docstring or in ``__init__``'s);
# - a "Returns" section when its body returns a value other than None, "Yields" when it yields.
DOCUMENTED_LAYERS = ("audio", "learn", "app")


def _section(doc: str | None, *names: str) -> bool:
    return bool(doc) and any(re.search(rf"^\s*{name}\n\s*-{{3,}}\s*$", doc, re.MULTILINE)
                             for name in names)


def _own_nodes(function):
    """The nodes of a function's body, without those of the functions and classes inside it."""
    import ast

    todo = list(function.body)
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                 ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))


def _arguments(function) -> list[str]:
    a = function.args
    names = [x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    return names[1:] if names[:1] in (["self"], ["cls"]) else names


def _docstring_problems(function, where: str) -> list[str]:
    import ast

    doc = ast.get_docstring(function)
    if doc is None:
        return [f"{where}: no docstring"]
    problems = []
    if _arguments(function) and not _section(doc, "Parameters"):
        problems.append(f"{where}: no Parameters section")
    own = list(_own_nodes(function))
    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in own):
        if not _section(doc, "Yields"):
            problems.append(f"{where}: no Yields section")
    elif any(isinstance(n, ast.Return) and n.value is not None
             and not (isinstance(n.value, ast.Constant) and n.value.value is None) for n in own):
        if not _section(doc, "Returns"):
            problems.append(f"{where}: no Returns section")
    return problems


def _exempt(function) -> bool:
    import ast

    decorators = {d.id if isinstance(d, ast.Name) else d.attr for d in function.decorator_list
                  if isinstance(d, (ast.Name, ast.Attribute))}
    return (function.name.startswith("_") or bool({"property", "cached_property", "setter"}
                                                  & decorators))


def docstring_problems(path: Path) -> list[str]:
    """Every public definition of the module at ``path`` that breaks the rule above."""
    import ast

    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    problems = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, functions) and not _exempt(node):
            problems += _docstring_problems(node, f"{node.name} (line {node.lineno})")
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            where = f"{node.name} (line {node.lineno})"
            doc = ast.get_docstring(node)
            if doc is None:
                problems.append(f"{where}: no docstring")
            for item in node.body:
                if not isinstance(item, functions):
                    continue
                if item.name == "__init__" and _arguments(item) and not (
                        _section(doc, "Parameters")
                        or _section(ast.get_docstring(item), "Parameters")):
                    problems.append(f"{where}: __init__ takes arguments, no Parameters section")
                elif not _exempt(item):
                    problems += _docstring_problems(
                        item, f"{node.name}.{item.name} (line {item.lineno})")
    return problems


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT).as_posix() for layer in
                                        DOCUMENTED_LAYERS
                                        for p in (ROOT / "bcser_utils" / layer).glob("*.py")))
def test_every_public_definition_has_a_numpy_style_docstring(path):
    problems = docstring_problems(ROOT / path)
    assert not problems, f"{path}: {len(problems)} definition(s):\n" + "\n".join(problems)


def test_the_docstring_rule_finds_what_it_should(tmp_path):
    # the checker itself can fail: each kind of problem is found, and a good docstring passes
    source = tmp_path / "sample.py"
    source.write_text('''
def bare(x):
    return x

def no_sections(x):
    """Something."""
    return x

def good(x):
    """Something.

    Parameters
    ----------
    x : int
        A number.

    Returns
    -------
    int
        The same number.
    """
    return x

def generator():
    """Numbers.

    Returns
    -------
    int
    """
    yield 1

def _private(x):
    return x

class Thing:
    """A thing."""

    def __init__(self, size):
        self.size = size

    @property
    def double(self):
        return 2 * self.size

    def method(self):
        """Nothing back."""
        return None
''')
    assert [re.sub(r" \(line \d+\)", "", p) for p in docstring_problems(source)] == [
        "bare: no docstring",
        "no_sections: no Parameters section",
        "no_sections: no Returns section",
        "generator: no Yields section",
        "Thing: __init__ takes arguments, no Parameters section",
    ]
