"""The notebooks' words agree with the numbers beside them (bcser_utils.prose_check, issue 39)."""

import json
import subprocess
from pathlib import Path

import pytest

from bcser_utils import prose_check, provenance
from bcser_utils.present import formatting

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BEFORE = "fe022df"  # the commit the classroom walk-through (issue 39) read


def _cells(markdown_and_outputs):
    """Cells from (kind, text) pairs: ("md", text) or ("out", what a code cell printed)."""
    cells = []
    for kind, text in markdown_and_outputs:
        if kind == "md":
            cells.append({"cell_type": "markdown", "source": [text]})
        else:
            cells.append({"cell_type": "code", "source": ["print(...)"],
                          "outputs": [{"output_type": "stream", "name": "stdout", "text": [text]}]})
    return cells


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebooks_prose_agrees_with_its_committed_outputs(path):
    findings = prose_check.check_notebook(path)
    assert not findings, "\n".join(map(str, findings))


def _old(name: str) -> list[dict]:
    shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{BEFORE}:notebooks/{name}.ipynb"],
                           capture_output=True, text=True)
    if shown.returncode:
        pytest.skip(f"commit {BEFORE} is not in this clone")
    return json.loads(shown.stdout)["cells"]


@pytest.mark.parametrize("name, kind, words", [
    ("07_evaluation", "judgement", "a large share"),    # §9a: 3 of 360 (1%) called a large share
    ("07_evaluation", "model", "P1"),                   # §10: P1 prose under the P3 model's output
    ("05_model_build", "judgement", "comparable"),      # §4: 5.66 against 1.10
    ("06_training", "number", "11 of 14"),              # 11 of 14 beside 3.2 of 4
    ("04_features", "run claim", "job was running"),    # the author's machine, in every run
])
def test_it_finds_each_contradiction_the_classroom_walk_through_found(name, kind, words):
    findings = prose_check.check_cells(_old(name), name)
    assert any(f.kind == kind and words in f.text for f in findings), \
        "\n".join(map(str, findings)) or "no findings"


def test_a_number_must_be_among_the_outputs_beside_it_allowing_the_prose_rounding():
    agree = _cells([("out", "accuracy 0.6361 on 360 clips; 3.2 of 4 siblings"),
                    ("md", "It scores 63.6%, about 64%, and keeps 3.2 of 4 siblings.")])
    assert prose_check.check_cells(agree, "x") == []
    differ = _cells([("out", "accuracy 0.6361 on 360 clips"), ("md", "It scores 61.7%.")])
    assert [f.text for f in prose_check.check_cells(differ, "x")] == ["61.7%"]


def test_a_number_far_from_its_output_is_not_excused_by_it_except_in_a_summary():
    far = _cells([("out", "accuracy 0.6361")] + [("out", "nothing")] * prose_check.NEARBY
                 + [("md", "It scores 63.6%.")])
    assert [f.text for f in prose_check.check_cells(far, "x")] == ["63.6%"]
    summary = far[:-1] + _cells([("md", "## What we learned\n\n* It scores 63.6%.")])
    assert prose_check.check_cells(summary, "x") == []


def test_declared_facts_and_the_papers_numbers_need_no_output():
    cells = _cells([("out", "nothing"),
                    ("md", "The paper reports 95.51% (95.5%); chance is 12.5%; a 4 s window.")])
    assert prose_check.check_cells(cells, "x") == []


def test_a_judgement_is_checked_against_the_share_it_speaks_of():
    small = _cells([("out", "3 of 360 validation clips (1%) have a twin in training\n"
                            "accuracy on those clips: 66.7%"),
                    ("md", "So a large share of the validation set is in the training set.")])
    assert [f.kind for f in prose_check.check_cells(small, "x")] == ["judgement"]
    large = _cells([("out", "200 of 360 validation clips (56%) have a twin in training"),
                    ("md", "So a large share of the validation set is in the training set.")])
    assert prose_check.check_cells(large, "x") == []
    idiom = _cells([("out", "8.9% of BC's energy above 1 kHz"),
                    ("md", "Noise hurts BC clips, most of all at high frequencies.")])
    assert prose_check.check_cells(idiom, "x") == []


def test_comparable_is_checked_against_the_two_sizes_it_compares():
    cells = _cells([("out", "size added per step: position 5.66, content 1.10"),
                    ("md", "The sizes are comparable: position and content on an equal footing.")])
    assert {f.kind for f in prose_check.check_cells(cells, "x")} == {"judgement"}
    close = _cells([("out", "size added per step: position 5.66, content 4.10"),
                    ("md", "The two sizes are comparable: position and content mix.")])
    assert prose_check.check_cells(close, "x") == []


def test_quiz_and_exercise_cells_are_not_read_as_results():
    cells = _cells([("out", "nothing"), ("md", "## Quiz\n\n**Q1.** Is 37% a large share?")])
    assert prose_check.check_cells(cells, "x") == []


def test_prose_text_leaves_out_code_maths_and_html():
    text = prose_check.prose_text(
        "Set `lr = 50%` and $x = 3 of 4$; <!-- 9 s --> see [it](http://x/5%) now.")
    assert "50%" not in text and "3 of 4" not in text and "9 s" not in text and "5%" not in text


def test_a_steady_epoch_leaves_out_the_first_epochs_one_off_cost():
    # a fresh quick run (issue 39): 62 s for epoch 1, about 6.5 s for each later one
    assert formatting.steady_epoch_seconds([62.0, 6.5, 6.4, 6.6]) == 6.5
    assert formatting.steady_epoch_seconds([9.0]) == 9.0          # one epoch: all there is
    assert formatting.steady_epoch_seconds([]) != formatting.steady_epoch_seconds([])  # nan


@pytest.mark.parametrize("commit, words", [
    ("17803b9+changes", "commit 17803b9 with uncommitted changes"),
    ("1a2b3c4", "commit 1a2b3c4"),
    (None, "an unknown commit"),
    ("1a2b3c4, 5d6e7f8+changes", "commits 1a2b3c4 and 5d6e7f8 with uncommitted changes"),
])
def test_a_recorded_commit_is_said_in_words_a_student_reads(commit, words):
    assert provenance.commit_words(commit) == words
