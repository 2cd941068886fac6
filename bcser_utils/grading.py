"""The course as graded homework: student assignments and a CSV of scores, with nbgrader.

    python -m bcser_utils.grading assignment [--only 02 03] [--out build/assignment]
    python -m bcser_utils.grading grade SUBMISSIONS [--out build/grades.csv] [--timeout 600]

``assignment`` turns each notebook into an nbgrader assignment (``build/assignment/``): the
student copy (``course.clean_text``: no outputs, solutions hidden) whose check cells, the cells
that call ``exercises.<name>(..., answer=my_...)`` for an exercise of ``exercises.CHECKED``, are
locked grade cells worth one point each, with a hidden test (the check's verdict is right)
that only the grader runs. A locked cell before them sets ``$BCSER_SOLUTIONS=hidden``, which
the exercises honour by not revealing a solution. The copies to hand out are
``build/assignment/student/NN_*.ipynb``; the rest (source/, release/, gradebook.db) is nbgrader's
course folder, kept for grading.

``grade`` scores a folder of submissions: one folder per student,
``SUBMISSIONS/<student>/NN_name.ipynb``, or flat files, ``SUBMISSIONS/<student>_NN_name.ipynb``.
A file is matched to its notebook by its number ``NN_`` (so "Copy of 02_bc_filter_design.ipynb",
as Colab names a copy, is notebook 02). Each submission runs in a fresh kernel in quick mode
through nbgrader's autograde (locked cells restored from the assignment, so an edited check is
graded as handed out), within ``--timeout`` seconds. The CSV has one row per student: one column
per checked exercise (1 right, 0 not), the total, and notes (a check's hint, a notebook that did
not run or was not handed in, a call to ``show_solution=True``). A submission that fails scores 0
for what it did not answer; the run goes on. The graded notebooks stay in ``<csv name>-nbgrader/``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from bcser_utils import course, exercises, files, messages
from bcser_utils.config import MODE_ENV, REPO_ROOT, RUNS_DIR_ENV

ASSIGNMENT = REPO_ROOT / "build" / "assignment"
GRADES = REPO_ROOT / "build" / "grades.csv"
# Honoured by the exercises: show_solution=True reveals nothing while it is "hidden".
SOLUTIONS_ENV = "BCSER_SOLUTIONS"
TIMEOUT_S = 600  # one submitted notebook, quick mode (notebook 02 takes about 20 s)

_HIDE = (f'import os\nos.environ["{SOLUTIONS_ENV}"] = "hidden"  '
         "# an assignment: the checks say right or not; the solutions stay hidden")
_NOTE = ("> **Assignment.** Put each answer in its `my_...` variable and run the check cell below "
         "it: it says ✓ or ✗ and names a likely mistake. The check cells are locked and are what "
         "is graded, on a fresh run of the whole notebook: make sure it runs from top to bottom "
         "(Kernel → Restart and Run All). Solutions stay hidden in an assignment.")
_NUMBER = re.compile(r"(?<!\d)(\d\d)_")
_REVEALED = re.compile(r"show_solution\s*=\s*True")


class GradingError(Exception):
    """A user's mistake (a missing folder, no assignment): one line, no traceback."""


def grade_id(exercise: str) -> str:
    """nbgrader's name of an exercise's grade cell: "2.1" → "ex2_1" (letters, digits, _ only).

    Parameters
    ----------
    exercise : str
        An exercise number of ``exercises.CHECKED``.

    Returns
    -------
    str
        The grade cell's id.
    """
    return "ex" + exercise.replace(".", "_")


def _order(exercise: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in exercise.split("."))


def checked_in(stem: str) -> dict[str, str]:
    """``{exercise number: function name}`` of the checked exercises of one notebook, in order."""
    found = {n: fn for n, (nb, fn) in exercises.CHECKED.items() if nb == stem}
    return dict(sorted(found.items(), key=lambda item: _order(item[0])))


def _nbgrader(cell, grade_id: str, grade: bool = False) -> None:
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade_id": grade_id, "locked": True,
                                 "grade": grade, "solution": False, "task": False,
                                 **({"points": 1} if grade else {})}


def assignment_notebook(path: Path) -> tuple[nbformat.NotebookNode, list[str]]:
    """The nbgrader source of one notebook, and the exercises it grades.

    Parameters
    ----------
    path : Path
        A course notebook, ``notebooks/NN_name.ipynb``.

    Returns
    -------
    (NotebookNode, list of str)
        The student copy with each check cell a locked grade cell (its hidden test asserts the
        verdict is right), a locked cell hiding the solutions before the exercises are imported,
        and a note for the student; and the numbers of the exercises graded.
    """
    nb = nbformat.reads(course.clean_text(path), as_version=4)
    graded = []
    for number, function in checked_in(path.stem).items():
        call = re.compile(rf"exercises\.{function}\((?s:.*)\banswer\s*=")
        cells = [c for c in nb.cells if c.cell_type == "code" and call.search(c.source)]
        if len(cells) != 1:
            print(f"{path.name}: exercise {number} has {len(cells)} check cells calling "
                  f"exercises.{function}(..., answer=...), not one: not graded")
            continue
        cell = cells[0]
        # locked in the assignment: no invitation to reveal the solution there
        cell.source = re.sub(r",\s*show_solution\s*=\s*False", "", cell.source.rstrip())
        cell.source = (cell.source + "\n### BEGIN HIDDEN TESTS\n"
                       f'assert exercises.verdicts()["{number}"].ok, "not right"\n'
                       "### END HIDDEN TESTS")
        _nbgrader(cell, grade_id(number), grade=True)
        graded.append(number)
    importing = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                      and "import exercises" in c.source), None)
    if importing is not None:
        hide = nbformat.v4.new_code_cell(_HIDE)
        _nbgrader(hide, "hide_solutions")
        note = nbformat.v4.new_markdown_cell(_NOTE)
        nb.cells[importing:importing] = [note, hide]
    return nb, graded


def _env(**extra: str) -> dict[str, str]:
    """The environment of nbgrader's runs: this Python's scripts first (nbgrader calls its
    ``alembic`` by name), the solutions hidden, quick mode, figures kept out of the course's."""
    env = {**os.environ, **extra, SOLUTIONS_ENV: "hidden"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _last_line(text: str) -> str:
    """The most telling line of nbgrader's log: its last error, else its last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR" in line or "Error" in line]
    return messages.escape((errors or lines or ["no output"])[-1])[:200]


def _config(timeout: int) -> str:
    """nbgrader's settings: one cell may take a third of a notebook's time (at least 30 s); a
    cell past it is interrupted and the notebook goes on, so a student's endless loop costs only
    that cell."""
    return ("c = get_config()  # written by python -m bcser_utils.grading\n"
            'c.CourseDirectory.course_id = "bcser"\n'
            f"c.Execute.timeout = {max(30, int(timeout) // 3)}  # seconds per cell\n")


def build_assignment(notebooks: list[Path], out: Path = ASSIGNMENT) -> dict[str, list[str]]:
    """Write nbgrader's course folder for ``notebooks`` into ``out``, and the student copies
    into ``out/student/``.

    Parameters
    ----------
    notebooks : list of Path
        Course notebooks.
    out : Path
        The assignment folder (replaced).

    Returns
    -------
    dict
        ``{notebook stem: [exercise numbers graded]}``.
    """
    _need_nbgrader()
    with _claimed(out, "assignment"):
        files.write_text(out / "nbgrader_config.py", _config(TIMEOUT_S))
        return {path.stem: _generate(path, out) for path in notebooks}


def _generate(path: Path, out: Path) -> list[str]:
    """One notebook's nbgrader assignment in ``out``, its student copy in ``out/student/``."""
    nb, graded = assignment_notebook(path)
    source = out / "source" / path.stem / path.name
    source.parent.mkdir(parents=True)
    files.write_text(source, nbformat.writes(nb) + "\n")
    run = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", path.stem,
                          "--force"], cwd=out, env=_env(), capture_output=True, text=True)
    release = out / "release" / path.stem / path.name
    if run.returncode or not release.exists():
        raise GradingError(f"{path.name}: nbgrader could not make the assignment: "
                           f"{_last_line(run.stdout + run.stderr)}")
    (out / "student").mkdir(exist_ok=True)
    files.copy(release, out / "student" / path.name)
    print(f"{path.name}: {len(graded)} graded exercise(s) "
          f"{', '.join(graded) or '(none: the notebook is handed out as it is)'}")
    return graded


@contextlib.contextmanager
def _claimed(folder: Path, what: str):
    """``folder`` emptied for a fresh build, if it is ours (``files.claim``: a folder of the
    user's is refused with one line, untouched)."""
    try:
        with files.claim(folder, what, known=None):
            for entry in folder.iterdir():
                if entry.name != files.MARKER:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            yield folder
    except files.Claimed as error:  # NotOurs too
        raise GradingError(str(error)) from None


def _need_nbgrader() -> None:
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        raise GradingError('nbgrader is not installed: pip install -e ".[teach]" '
                           "(make assignment and make grade install it)") from None


@dataclass
class Student:
    """One student's submitted notebooks ``{stem: path}`` and the notes on what was skipped."""

    name: str
    notebooks: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def find_submissions(folder: Path, stems: list[str]) -> dict[str, Student]:
    """The submissions in ``folder``, by student.

    Parameters
    ----------
    folder : Path
        Either ``<student>/<…NN_name….ipynb>`` or flat ``<student>_<NN_name>.ipynb`` files.
    stems : list of str
        The notebooks of the assignment (``NN_name``).

    Returns
    -------
    dict
        ``{student: Student}``, sorted by name. A file that is not a notebook, or no notebook of
        the assignment, is skipped with one line (and a note when its student is known).
    """
    if not folder.is_dir():
        raise GradingError(f"{messages.named(folder)}: no such folder of submissions")
    by_number = {stem[:2]: stem for stem in stems}
    students: dict[str, Student] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_dir() or path.name == "timestamp.txt" or \
                any(p.startswith(".") for p in path.relative_to(folder).parts):
            continue  # .ipynb_checkpoints, .DS_Store, nbgrader collect's timestamp
        relative = path.relative_to(folder)
        if len(relative.parts) == 1:  # flat: the student is the name before _NN_
            match = re.match(r"(.+?)[_ -]+(\d\d_.*)$", path.name)
            name, rest = (match.group(1), match.group(2)) if match else (None, path.name)
        else:
            name, rest = relative.parts[0], path.name
        student = students.setdefault(name, Student(name)) if name else None
        number = next((n for n in _NUMBER.findall(rest) if n in by_number), None)
        if path.suffix != ".ipynb":
            why = "not a notebook (.ipynb)"
        elif student is None:
            why = "whose student? name it <student>_NN_name.ipynb or put it in <student>/"
        elif number is None:
            why = f"no notebook of the assignment ({', '.join(sorted(by_number))}) in its name"
        elif by_number[number] in student.notebooks:
            why = f"a second copy of notebook {number}: graded " \
                  f"{student.notebooks[by_number[number]].name}"
        else:
            student.notebooks[by_number[number]] = path
            continue
        print(f"{messages.named(relative)}: {why}; skipped")
        if student is not None:
            student.notes.append(f"{relative.name}: skipped, {why}")
    return dict(sorted(students.items()))


def _read(path: Path) -> nbformat.NotebookNode | str:
    """The notebook, or why it cannot be graded (one line)."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # a corrupt file raises json's, nbformat's or unicode's errors
        return f"not a readable notebook ({messages.escape(str(error).splitlines()[0])[:120]})"
    return nb


def _autograde(work: Path, stem: str, sid: str, timeout: int) -> str | None:
    """Run nbgrader's autograde of one submission; None, or why it did not finish (one line).
    The whole process group goes at the timeout; the kernel then ends with its parent."""
    command = [sys.executable, "-m", "nbgrader", "autograde", stem, "--student", sid, "--force",
               "--Autograde.create_student=True"]
    # each student trains into runs of their own: notebooks 06-09 resume a run they find
    env = _env(**{MODE_ENV: "quick", "BCSER_FIGURES_DIR": str(work / "figures"),
                  RUNS_DIR_ENV: str(work / "runs" / sid)})
    process = subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        log, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return f"did not finish in {timeout} s"
    if process.returncode:
        return f"nbgrader failed: {_last_line(log)}"
    return None


def _hints(graded: Path) -> list[str]:
    """The hints of the checks that said ✗ in a graded notebook: "2.1: <hint>" (the teacher sees
    the likely mistake without opening it)."""
    try:
        nb = nbformat.read(graded, as_version=4)
    except (OSError, ValueError):
        return []
    lines = [line for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade")
             for output in cell.get("outputs", []) if output.get("name") == "stdout"
             for line in output.get("text", "").splitlines()]
    found = [re.match(r"✗ Exercise (\S+): not yet\. (.*)", line) for line in lines]
    return [f"{m.group(1)}: {m.group(2)[:100]}" for m in found if m]


def _scores(work: Path, sid: str, stem: str) -> dict[tuple[str, str], float]:
    """``{(student id, exercise): score}`` of one submission from nbgrader's gradebook; a grade
    it lacks (the notebook never got that far) is 0."""
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gradebook:
        for number in checked_in(stem):
            try:
                grade = gradebook.find_grade(grade_id(number), stem, stem, sid)
                scores[sid, number] = float(grade.score or 0)
            except MissingEntry:
                scores[sid, number] = 0.0
    return scores


def _grade_one(work: Path, sid: str, stem: str, path: Path,
               timeout: int) -> tuple[dict[tuple[str, str], float], list[str], str | None]:
    """Autograde one submitted notebook: its scores ``{(student id, exercise): 0 or 1}``, the
    notes on it (the hints of its wrong checks, a revealed solution) and why it did not run
    through (None when it did)."""
    nb = _read(path)
    if isinstance(nb, str):
        return {(sid, n): 0.0 for n in checked_in(stem)}, [], nb
    notes = []
    if _REVEALED.search("".join(c.source for c in nb.cells if c.cell_type == "code")):
        notes.append(f"{stem}: calls show_solution=True")
    target = work / "submitted" / sid / stem / f"{stem}.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(nb, target)
    problem = _autograde(work, stem, sid, timeout)
    notes += _hints(work / "autograded" / sid / stem / f"{stem}.ipynb")
    return _scores(work, sid, stem), notes, problem


def grade(submissions: Path, out: Path = GRADES, assignment: Path = ASSIGNMENT,
          timeout: int = TIMEOUT_S) -> list[dict]:
    """Score every submission in ``submissions`` into the CSV ``out``.

    Parameters
    ----------
    submissions : Path
        The folder of submissions (``find_submissions``).
    out : Path
        The CSV to write.
    assignment : Path
        The assignment the students got (``build_assignment``); built from notebooks/ if missing.
    timeout : int
        Seconds one submitted notebook may run.

    Returns
    -------
    list of dict
        The CSV's rows: ``student``, one key per exercise, ``total``, ``notes``.
    """
    _need_nbgrader()
    if not (assignment / "gradebook.db").exists():
        print(f"no assignment in {messages.display_path(assignment)} yet: making it from "
              "notebooks/ (make assignment)")
        build_assignment(sorted(course.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), assignment)
    stems = sorted(p.name for p in (assignment / "source").iterdir() if p.is_dir())
    students = find_submissions(submissions, stems)
    if not any(s.notebooks for s in students.values()):
        raise GradingError(f"{messages.named(submissions)}: no submitted notebook of the "
                           f"assignment ({', '.join(stems)})")
    handed_in = sorted({stem for s in students.values() for stem in s.notebooks})
    columns = sorted((n for stem in handed_in for n in checked_in(stem)), key=_order)

    # a fresh nbgrader course folder: the assignment's gradebook, the submissions under ids
    # (s001, …: nbgrader wants plain names, a student's may hold anything)
    ids = {name: f"s{i:03d}" for i, name in enumerate(students, start=1)}
    todo = [(name, stem) for name, s in students.items() for stem in s.notebooks]
    scores = {}
    with _claimed(out.parent / f"{out.stem}-nbgrader", "grading") as work:
        shutil.copytree(assignment / "source", work / "source")
        shutil.copyfile(assignment / "gradebook.db", work / "gradebook.db")
        files.write_text(work / "nbgrader_config.py", _config(timeout))
        for done, (name, stem) in enumerate(todo, start=1):
            started = time.perf_counter()
            path = students[name].notebooks[stem]
            got, notes, problem = _grade_one(work, ids[name], stem, path, timeout)
            scores.update(got)
            students[name].notes += notes + ([f"{stem}: {problem}"] if problem else [])
            print(f"[{done}/{len(todo)}] {messages.named(path.relative_to(submissions))}: "
                  f"{sum(got.values()):g} of {len(checked_in(stem))} right"
                  f"{'; ' + problem if problem else ''} "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)

    rows = []
    for name, student in students.items():
        row = {"student": name}
        for number in columns:
            row[number] = scores.get((ids[name], number), 0.0)
        row["total"] = sum(row[n] for n in columns)
        missing = [stem for stem in handed_in if stem not in student.notebooks]
        notes = student.notes + [f"{stem}: not handed in" for stem in missing]
        row["notes"] = "; ".join(notes)
        rows.append(row)
    text = io.StringIO()
    writer = csv.DictWriter(text, ["student", *columns, "total", "notes"], lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: (f"{v:g}" if isinstance(v, float) else v) for k, v in row.items()}
                     for row in rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    files.write_text(out, text.getvalue())
    print(f"wrote {messages.display_path(out)}: {len(rows)} student(s), "
          f"{len(columns)} exercise(s), 1 point each")
    return rows


def main(argv: list[str] | None = None) -> int:
    """The command line (module docstring); a user's mistake is one line on stderr, status 2."""
    parser = argparse.ArgumentParser(prog="python -m bcser_utils.grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", required=True)
    make = verbs.add_parser("assignment", help="the notebooks as nbgrader assignments")
    make.add_argument("--out", type=Path, default=ASSIGNMENT)
    make.add_argument("--only", nargs="*", help="notebook number prefixes, e.g. 02 04")
    score = verbs.add_parser("grade", help="a folder of submissions into a CSV")
    score.add_argument("submissions", nargs="?")  # a str: Path("") would be "."
    score.add_argument("--out", type=Path, default=GRADES)
    score.add_argument("--assignment", type=Path, default=ASSIGNMENT)
    score.add_argument("--timeout", type=int, default=TIMEOUT_S,
                       help="seconds one submitted notebook may run (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        if args.verb == "assignment":
            notebooks = sorted(course.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
            if args.only:
                notebooks = [p for p in notebooks if p.name[:2] in args.only]
                if not notebooks:
                    raise GradingError(f"--only {' '.join(args.only)}: no such notebook")
            build_assignment(notebooks, args.out)
            print(f"hand out {messages.display_path(args.out / 'student')}/*.ipynb; keep "
                  f"{messages.display_path(args.out)} for grading")
        else:
            if not (args.submissions or "").strip():
                raise GradingError("give the folder of submissions: make grade SUBMISSIONS=dir")
            if args.timeout <= 0:
                raise GradingError(f"--timeout {args.timeout}: give seconds above 0")
            grade(Path(args.submissions), args.out, args.assignment, args.timeout)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
