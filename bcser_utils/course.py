"""Run the whole course headless: every notebook in ``notebooks/``, in order.

    python -m bcser_utils.course [--out build/course | --inplace] [--only 01 02]
    python -m bcser_utils.course --clean       # student copies in clean/, nothing executed
    python -m bcser_utils.course --fork you/bcser   # badges and Colab cells point at your fork

Each notebook runs in a fresh kernel in the notebooks folder (so relative paths behave as in
Jupyter). Executed copies go to ``--out`` (their figures to build/figures/); ``--inplace``
rewrites the committed notebooks and their figures in figures/, with
volatile metadata stripped so a re-run changes only what really changed. A table of wall time and
the kernel's peak memory per notebook is printed at the end (budgets in docs/design.md, Targets:
10 min and 2 GB).
``--clean`` writes the copies a class starts from, ``clean/NN_*.ipynb``: no outputs, no execution
counts, and every exercise solution hidden again (``show_solution=True`` becomes ``False``).
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from bcser_utils import config, files
from bcser_utils.config import REPO_ROOT

NOTEBOOKS = REPO_ROOT / "notebooks"
STUDENT_COPIES = REPO_ROOT / "clean"  # the class's copies of the notebooks (make clean-notebooks)
_REVEALED = re.compile(r"show_solution\s*=\s*True")
_PEAK_MEMORY = ("import resource, sys\n"
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss "
                "* (1 if sys.platform == 'darwin' else 1024))")


KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_WIDGET = "application/vnd.jupyter.widget-view+json"
_WIDGET_NOTE = "(an interactive widget: run this cell to use it)"
# IPython's player puts its sound in <audio><source src="data:…">; JupyterLab's sanitiser, which
# renders the outputs of a notebook not trusted on this machine, keeps only <source>'s type, so
# the player is dead (0:00). It keeps <audio>'s own src, whatever its scheme: the same sound
# moved there plays, trusted or not (tests_browser/test_open_no_diff.py).
_TEXT_BAR = re.compile(r"[^\r\n]*\d+%\|[^\r\n]*[\r\n]?")  # a tqdm bar written as text, each redraw
_PLAYER = re.compile(r'(<audio\b[^>]*?)\s*>(\s*)<source src="(data:[^"]*)" type="[^"]*"\s*/>')


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what changes on every run without meaning anything (timings), and what a saved
    notebook cannot show: a widget's view needs its live kernel, so a committed notebook would
    show its text form (``VBox(children=…``, a progress bar frozen at 0%). Progress bars go; any
    other widget becomes a one-line note to run the cell, under the picture of its first state if
    it was displayed with one (``display.WithPicture``); a bar written as text goes too (its
    timings would change the file on every run). A sound player keeps its sound in
    ``<audio src>``, where it plays in a notebook that is not trusted (``_PLAYER``).

    The metadata kept is exactly what JupyterLab writes when it opens the notebook and connects
    its kernel: the kernelspec as it names it, and ``language_info`` whole, as the kernel reports
    it (Python version included), so opening a committed notebook leaves its file unchanged
    (tests_browser/test_open_no_diff.py). Only a kernel on another Python version changes it.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook; changed in place.

    Returns
    -------
    nbformat.NotebookNode
        The same notebook, ready to save.
    """
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")}
    nb.metadata["kernelspec"] = KERNELSPEC  # as JupyterLab writes it on opening: no diff then
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        if "outputs" in cell:
            kept = []
            for output in cell.outputs:
                output.get("metadata", {}).pop("transient", None)
                data = output.get("data", {})
                if _WIDGET in data:
                    if "%|" in "".join(data.get("text/plain", "")):  # a tqdm bar
                        continue
                    picture = {"image/png": data["image/png"]} if "image/png" in data else {}
                    output.data = {**picture, "text/plain": _WIDGET_NOTE}  # display.WithPicture
                if output.get("output_type") == "stream" and "%|" in "".join(output.text):
                    output.text = _TEXT_BAR.sub("", "".join(output.text))  # its times change
                    if not output.text:
                        continue
                if "text/html" in data:
                    data["text/html"] = _PLAYER.sub(r'\1 src="\3">\2', "".join(data["text/html"]))
                kept.append(output)
            cell.outputs = kept
    return nb


def clean_text(path: Path) -> str:
    """The student copy of one notebook, as the exact text ``write_clean`` saves.

    Outputs and execution counts go (a class runs the cells itself), and so does any revealed
    solution; the exercise prompts and the cells that call the solutions stay.
    """
    nb = strip_volatile(copy.deepcopy(nbformat.read(path, as_version=4)))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.source = _REVEALED.sub("show_solution=False", cell.source)
    return nbformat.writes(nb) + "\n"


def write_clean(notebooks: list[Path], folder: Path = STUDENT_COPIES) -> list[Path]:
    """Write ``clean_text`` of each notebook into ``folder`` (byte for byte reproducible)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        target = folder / path.name
        files.write_text(target, clean_text(path))
        written.append(target)
    return written


def fork(slug: str, root: Path = REPO_ROOT) -> list[Path]:
    """Point the course at another GitHub repository ("owner/name"): every Colab and Binder
    badge, every notebook's Colab cell and ``config.REPO_SLUG`` are rewritten. Returns the
    files that changed."""
    from bcser_utils.config import REPO_SLUG

    if not re.fullmatch(r"[\w.-]+/[\w.-]+", slug):
        raise ValueError(f"{slug!r}: expected a GitHub owner/name, e.g. you/bcser")
    changed = []
    pointing = [root / "README.md", root / "bcser_utils" / "config.py",
                *sorted((root / "notebooks").glob("*.ipynb")),
                *sorted((root / "clean").glob("*.ipynb"))]
    for path in pointing:
        text = path.read_text(encoding="utf-8")
        new = text.replace(f'REPO_SLUG = "{REPO_SLUG}"', f'REPO_SLUG = "{slug}"')
        # the Colab cell's constant, as a notebook's JSON holds it
        new = new.replace(f'REPO = \\"{REPO_SLUG}\\"', f'REPO = \\"{slug}\\"')
        new = re.sub(rf"(github\.com/|mybinder\.org/v2/gh/|github/){re.escape(REPO_SLUG)}/",
                     rf"\g<1>{slug}/", new)
        if new != text:
            files.write_text(path, new)
            changed.append(path)
    return changed


def execute_notebook(path: Path, timeout: int = 600) -> tuple[nbformat.NotebookNode, float, int]:
    """Execute one notebook; return it as executed (without the probe cell, with nbclient's
    timings in each cell's metadata), wall seconds and the kernel's peak bytes."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_PEAK_MEMORY))
    start = time.perf_counter()
    # the kernel's own log (e.g. "running over TCP without encryption", on loopback) is not the
    # notebook's output; warnings a cell raises still reach the cell
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   extra_arguments=["--IPKernelApp.log_level=ERROR"],
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    probe = nb.cells.pop()
    peak = int(probe.outputs[0]["text"].strip())
    return nb, seconds, peak


def run_notebook(path: Path, timeout: int = 600) -> tuple[nbformat.NotebookNode, float, int]:
    """Execute one notebook; return it ready to save (``strip_volatile``), wall seconds and peak
    bytes."""
    nb, seconds, peak = execute_notebook(path, timeout)
    return strip_volatile(nb), seconds, peak


def cell_seconds(nb: nbformat.NotebookNode) -> list[tuple[int, float, str]]:
    """(cell number, seconds, first source line) of each executed code cell, from the timings
    nbclient records, slowest first."""
    from datetime import datetime

    rows = []
    for number, cell in enumerate(nb.cells):
        timing = cell.metadata.get("execution", {})
        if cell.cell_type == "code" and "iopub.execute_input" in timing and \
                "shell.execute_reply" in timing:
            began, ended = (datetime.fromisoformat(timing[k].replace("Z", "+00:00"))
                            for k in ("iopub.execute_input", "shell.execute_reply"))
            first = next((line for line in cell.source.splitlines() if line.strip()), "")
            rows.append((number, (ended - began).total_seconds(), first))
    return sorted(rows, key=lambda row: -row[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, default=REPO_ROOT / "build" / "course")
    where.add_argument("--inplace", action="store_true")
    where.add_argument("--clean", action="store_true",
                       help="write student copies to clean/ (no outputs, solutions hidden)")
    where.add_argument("--fork", metavar="OWNER/NAME",
                       help="point every badge and Colab cell at your fork on GitHub")
    parser.add_argument("--only", nargs="*", help="notebook number prefixes, e.g. 01 03")
    args = parser.parse_args(argv)

    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.only:
        notebooks = [p for p in notebooks if p.name[:2] in args.only]
    if args.fork:
        for path in fork(args.fork):
            print("rewrote", path.relative_to(REPO_ROOT))
        return 0
    if args.clean:
        for target in write_clean(notebooks):
            print("wrote", target.relative_to(REPO_ROOT))
        return 0
    if args.inplace:  # the committed notebooks' figures are the committed figures/
        os.environ.setdefault(config.FIGURES_DIR_ENV, str(REPO_ROOT / "figures"))
    rows, total = [], time.perf_counter()
    for path in notebooks:
        print(f"running {path.name} …", flush=True)
        nb, seconds, peak = run_notebook(path)
        target = path if args.inplace else args.out / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        rows.append((path.name, seconds, peak / 2**20))
    print(f"\n{'notebook':40s} {'wall s':>8s} {'peak MiB':>9s}")
    for name, seconds, mib in rows:
        print(f"{name:40s} {seconds:8.1f} {mib:9.0f}")
    print(f"{'total':40s} {time.perf_counter() - total:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
