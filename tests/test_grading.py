"""Grading for the teacher (bcser_utils.grading, nbgrader): the assignment's checks are locked and
its solutions hidden, a right submission scores every exercise and a wrong one none, and a
corrupt, foreign or missing input is one line, never a traceback.

Needs nbgrader (the optional extra teach, ``pip install -e ".[teach]"``) and, for the graded
run of notebook 02, the RAVDESS development copy; each test skips, saying why, without them."""

from __future__ import annotations

import contextlib
import csv
import io
import re

import nbformat
import pytest

from bcser_utils import exercises, grading
from bcser_utils.course import NOTEBOOKS

pytest.importorskip("nbgrader", reason='nbgrader is not installed: pip install -e ".[teach]"')

STEM = "02_bc_filter_design"  # the fastest notebook with a checked exercise (about 20 s)


def _solution(function: str, key: str, **arguments):
    with contextlib.redirect_stdout(io.StringIO()):   # the solution's own printout
        return getattr(exercises, function)(show_solution=True, **arguments)[key]


# exercise → (the student's variable, a right answer, a wrong one that a check names)
ANSWERS = {
    "2.1": ("my_cutoff_hz", lambda: _solution("cutoff_for_alpha", "cutoff_hz", alpha=0.8),
            lambda right: right / 1000),   # kHz for Hz
    "2.2": ("my_wrong_cutoff_hz", lambda: _solution("wrong_rate_cutoff", "wrong_hz"),
            lambda right: right / 1000),
    # the low band's share rises on speech (notebook 02's demo clip among it)
    "2.3": ("my_direction", lambda: "raise", lambda right: "lower"),
}


@pytest.fixture(scope="module")
def assignment(tmp_path_factory):
    out = tmp_path_factory.mktemp("assignment") / "assignment"
    graded = grading.build_assignment([NOTEBOOKS / f"{STEM}.ipynb"], out)
    return out, graded[STEM]


def _answered(student_copy, answers: dict, keep_only: bool = False) -> nbformat.NotebookNode:
    """The student copy with each ``my_... = None`` set to its answer; ``keep_only``: only the
    cells an answer needs (the imports, the answers, the locked cells), as a student who deleted
    the rest would hand it in."""
    nb = nbformat.read(student_copy, as_version=4)
    for variable, value in answers.items():
        for cell in nb.cells:
            cell.source = re.sub(rf"^{variable}\s*=\s*None", f"{variable} = {value!r}",
                                 cell.source, flags=re.M)
    if keep_only:
        nb.cells = [c for c in nb.cells if c.cell_type == "code" and (
            "nbgrader" in c.metadata or "import exercises" in c.source
            or any(re.search(rf"^{v} =", c.source, re.M) for v in answers))]
        nb.cells.insert(0, nbformat.v4.new_code_cell("from bcser_utils.audio import bc"))
    return nb


def test_the_assignment_locks_each_check_and_hides_its_test_and_the_solutions(assignment):
    out, graded = assignment
    assert graded == list(grading.checked_in(STEM)) and graded   # every checked exercise
    student = nbformat.read(out / "student" / f"{STEM}.ipynb", as_version=4)
    locked = {c.metadata["nbgrader"]["grade_id"]: c for c in student.cells
              if "nbgrader" in c.metadata}
    for number in graded:
        cell = locked[grading.grade_id(number)]
        assert cell.metadata["editable"] is False and cell.metadata["deletable"] is False
        assert "answer=" in cell.source and "show_solution" not in cell.source
    text = nbformat.writes(student)
    assert "HIDDEN TESTS" not in text and "verdicts()" not in text   # only the grader has them
    assert f'os.environ["{grading.SOLUTIONS_ENV}"] = "hidden"' in locked["hide_solutions"].source
    # the grader's copy holds the test the student never sees
    source = (out / "source" / STEM / f"{STEM}.ipynb").read_text()
    assert all(f'verdicts()[\\"{n}\\"].ok' in source for n in graded)


def test_a_right_and_a_wrong_submission_score_all_and_nothing(assignment, ravdess_dir, tmp_path,
                                                             monkeypatch, capsys):
    out, graded = assignment
    missing = set(graded) - set(ANSWERS)
    assert not missing, f"add a right and a wrong answer of exercise(s) {missing} to ANSWERS"
    monkeypatch.setenv("BCSER_RAVDESS_DIR", str(ravdess_dir))
    monkeypatch.setenv("BCSER_OFFLINE", "1")
    right = {ANSWERS[n][0]: ANSWERS[n][1]() for n in graded}
    wrong = {ANSWERS[n][0]: ANSWERS[n][2](right[ANSWERS[n][0]]) for n in graded}
    submissions = tmp_path / "submissions"
    (submissions / "alice").mkdir(parents=True)
    student_copy = out / "student" / f"{STEM}.ipynb"
    # Colab names a saved copy "Copy of …"; the whole notebook runs
    nbformat.write(_answered(student_copy, right),
                   submissions / "alice" / f"Copy of {STEM}.ipynb")
    # flat, and cut down to its answers (faster, and a student may delete cells)
    nbformat.write(_answered(student_copy, wrong, keep_only=True),
                   submissions / f"bob_{STEM}.ipynb")
    (submissions / "alice" / "notes.txt").write_text("not a notebook")

    rows = grading.grade(submissions, tmp_path / "grades.csv", out, timeout=300)
    printed = capsys.readouterr().out

    with open(tmp_path / "grades.csv", newline="") as f:
        table = {row["student"]: row for row in csv.DictReader(f)}
    assert list(next(iter(table.values()))) == ["student", *graded, "total", "notes"]
    assert [table["alice"][n] for n in graded] == ["1"] * len(graded)
    assert table["alice"]["total"] == str(len(graded))
    assert [table["bob"][n] for n in graded] == ["0"] * len(graded)
    assert table["bob"]["total"] == "0"
    assert "kHz" in table["bob"]["notes"]            # the check's hint reaches the teacher
    assert "notes.txt" in table["alice"]["notes"] and len(rows) == 2
    # one progress line per submission, and one for the file that is not a notebook
    assert re.search(rf"\[1/2\] alice/Copy of {STEM}\.ipynb: {len(graded)} of", printed)
    assert re.search(rf"\[2/2\] bob_{STEM}\.ipynb: 0 of", printed)
    assert "alice/notes.txt: not a notebook (.ipynb); skipped" in printed


def test_a_corrupt_or_endless_submission_is_one_line_scores_zero_and_the_run_goes_on(
        assignment, tmp_path, capsys):
    out, graded = assignment
    submissions = tmp_path / "submissions"
    (submissions / "carol").mkdir(parents=True)
    (submissions / "carol" / f"{STEM}.ipynb").write_text('{"cells": [')   # cut off mid-upload
    endless = _answered(out / "student" / f"{STEM}.ipynb", {}, keep_only=True)
    endless.cells.insert(1, nbformat.v4.new_code_cell("import time\ntime.sleep(600)"))
    nbformat.write(endless, submissions / f"dave_{STEM}.ipynb")

    grading.grade(submissions, tmp_path / "grades.csv", out, timeout=15)
    printed = capsys.readouterr()

    lines = [line for line in printed.out.splitlines() if line.startswith("[")]
    assert lines[0].startswith(f"[1/2] carol/{STEM}.ipynb: 0 of {len(graded)} right; "
                               "not a readable notebook (")
    assert lines[1].startswith(f"[2/2] dave_{STEM}.ipynb: 0 of {len(graded)} right; "
                               "did not finish in 15 s")
    assert "Traceback" not in printed.out + printed.err
    with open(tmp_path / "grades.csv", newline="") as f:
        table = {row["student"]: row for row in csv.DictReader(f)}
    assert table["carol"]["total"] == table["dave"]["total"] == "0"
    assert "not a readable notebook" in table["carol"]["notes"]
    assert "did not finish in 15 s" in table["dave"]["notes"]


def test_bad_input_is_one_line_naming_it(assignment, tmp_path, capsys):
    out, _ = assignment
    cases = [(["grade", str(tmp_path / "nowhere"), "--assignment", str(out)],
              "nowhere: no such folder of submissions"),
             (["grade", "", "--assignment", str(out)], "give the folder of submissions"),
             (["grade", str(tmp_path), "--assignment", str(out)],
              "no submitted notebook of the assignment")]
    for argv, says in cases:
        assert grading.main(argv) == 2
        printed = capsys.readouterr()
        assert printed.out == "" and len(printed.err.splitlines()) == 1, printed.err
        assert says in printed.err
    # a folder of the user's is never emptied for an assignment
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("keep me")
    assert grading.main(["assignment", "--only", "02", "--out", str(mine)]) == 2
    assert "thesis.tex" in capsys.readouterr().err and (mine / "thesis.tex").exists()


def test_in_an_assignment_show_solution_reveals_nothing(monkeypatch, capsys):
    # the locked cell the assignment adds sets $BCSER_SOLUTIONS=hidden; so does the grader
    if not hasattr(exercises, "SOLUTIONS_ENV"):
        pytest.skip("exercises does not honour $BCSER_SOLUTIONS yet (exercises.SOLUTIONS_ENV)")
    assert exercises.SOLUTIONS_ENV == grading.SOLUTIONS_ENV
    right = _solution("cutoff_for_alpha", "cutoff_hz", alpha=0.8)
    monkeypatch.setenv(grading.SOLUTIONS_ENV, "hidden")
    assert exercises.cutoff_for_alpha(alpha=0.8, show_solution=True) is None
    verdict = exercises.cutoff_for_alpha(alpha=0.8, answer=right / 1000, show_solution=True)
    assert verdict is not None and not verdict.ok    # the check still answers
    printed = capsys.readouterr().out
    assert f"{right:,.0f}" not in printed and f"{right:.0f}" not in printed
