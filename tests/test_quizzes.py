"""Each notebook's objectives and quiz (bcser_utils/quizzes.py): the bank, its cells, the
notebooks."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bcser_utils import quizzes

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = re.compile(r"(## Exercises|### Exercise)\b")


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _first_line(cell: dict) -> str:
    return (_source(cell).splitlines() or [""])[0]


class _Blocks(HTMLParser):
    """The quiz's HTML: every tag opened and closed in order, and each option's summary and text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags, self.options = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "summary" and self.stack[-1:] != ["details"]:
            self.errors.append("a <summary> outside a <details>")
        if tag == "details":
            self.options.append({"class": dict(attrs).get("class"), "summary": "", "text": ""})
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        if "details" in self.stack:
            self.options[-1]["summary" if self.stack[-1] == "summary" else "text"] += data


def _parse(html_text: str) -> _Blocks:
    blocks = _Blocks()
    blocks.feed(html_text)
    blocks.close()
    return blocks


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_holds_one_objectives_cell_and_one_quiz_cell_as_the_bank_renders_them(
        notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    markdown = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown"]
    objectives = [i for i in markdown if _first_line(cells[i]) == quizzes.OBJECTIVES_HEADING]
    quiz = [i for i in markdown if _first_line(cells[i]) == quizzes.QUIZ_HEADING]
    assert len(objectives) == 1 and len(quiz) == 1, notebook.name
    assert _source(cells[objectives[0]]) == quizzes.objectives_markdown(notebook.stem)
    assert _source(cells[quiz[0]]) == quizzes.quiz_markdown(notebook.stem)
    # the objectives open the notebook, right after its title
    assert objectives[0] == markdown[0] + 1 and cells[0]["source"][0].startswith("# ")
    # the quiz comes just before the exercises; last where no cell opens them (none, or their
    # heading sits inside a cell of prose)
    opening = next((c for c in cells if c["cell_type"] == "markdown" and any(
        EXERCISES.match(line) for line in _source(c).splitlines())), None)
    if opening is not None and EXERCISES.match(_first_line(opening)):
        assert cells[quiz[0] + 1] is opening
    else:
        assert quiz[0] == len(cells) - 1


def test_the_notebooks_are_up_to_date_with_the_bank_and_the_bank_covers_every_notebook():
    assert sorted(quizzes.BANK) == [p.stem for p in NOTEBOOKS]
    assert quizzes.update(ROOT / "notebooks") == [], \
        "run: python -m bcser_utils.quizzes --write"


@pytest.mark.parametrize("stem", sorted(quizzes.BANK))
def test_every_unit_has_3_to_5_objectives_and_questions_each_with_one_right_option_explained(stem):
    unit = quizzes.BANK[stem]
    assert 3 <= len(unit.objectives) <= 5
    assert 3 <= len(unit.questions) <= 5
    for objective in unit.objectives:
        # each completes "You will be able to …" with a verb
        assert re.match(r"[a-z]+ ", objective) and objective.endswith((";", ".")), objective
    for question in unit.questions:
        assert 3 <= len(question.options) <= 4, question.text
        assert sum(option.right for option in question.options) == 1, question.text
        texts = [option.text for option in question.options]
        assert len(set(texts)) == len(texts), question.text
        for option in question.options:
            # an explanation of a sentence or two, not a bare verdict
            assert len(option.why.split()) >= 5 and option.why.count(". ") <= 3, option.why


def test_the_right_answer_is_not_given_away_by_its_place_or_its_length():
    questions = [q for unit in quizzes.BANK.values() for q in unit.questions]
    places = [next(i for i, o in enumerate(q.options) if o.right) for q in questions]
    assert {0, 1, 2} <= set(places)
    assert max(places.count(i) for i in set(places)) <= len(questions) / 2
    longest = [max(q.options, key=lambda o: len(o.text)).right for q in questions]
    assert sum(longest) <= len(questions) / 2


@pytest.mark.parametrize("stem", sorted(quizzes.BANK))
def test_the_quiz_is_well_formed_html_with_one_tick_per_question_and_no_script(stem):
    text = quizzes.quiz_markdown(stem)
    assert text.splitlines()[0] == "## Quiz"
    # no JavaScript, and no "$" that a Markdown renderer would read as the start of maths
    assert "<script" not in text.lower() and "$" not in text
    assert not re.search(r"<[^>]+\son\w+=", text)  # no event handler either
    questions = re.split(r"^\*\*Q\d\.\*\* .*$", text, flags=re.M)[1:]
    unit = quizzes.BANK[stem]
    assert len(questions) == len(unit.questions)
    assert re.findall(r"^\*\*Q(\d)\.\*\*", text, flags=re.M) == [
        str(i) for i in range(1, len(unit.questions) + 1)]
    for block, question in zip(questions, unit.questions, strict=True):
        parsed = _parse(block)
        assert parsed.errors == [] and parsed.stack == [], parsed.errors
        assert set(parsed.tags) <= {"details", "summary", "code"}
        assert parsed.tags.count("details") == parsed.tags.count("summary") == len(
            question.options)
        verdicts = [option["text"].strip()[:1] for option in parsed.options]
        assert verdicts.count("✅") == 1 and verdicts.count("❌") == len(verdicts) - 1
        for letter, option, shown in zip("ABCD", question.options, parsed.options, strict=False):
            assert shown["class"] == "quiz-option"
            assert shown["summary"] == f"{letter}. {option.text.replace('`', '')}"
            assert shown["text"].startswith("✅ Right. " if option.right else "❌ Not quite. ")
            assert shown["text"].endswith(option.why.replace("`", ""))


def test_the_objectives_cell_is_a_quote_of_one_line_per_objective():
    for stem, unit in quizzes.BANK.items():
        lines = quizzes.objectives_markdown(stem).splitlines()
        assert lines[0] == "> **You will be able to**"
        assert lines[1:] == [f"> - {o}" for o in unit.objectives]
        assert "$" not in "".join(lines) and "<" not in "".join(lines)


def _notebook(*cells: tuple[str, str]) -> dict:
    return {"cells": [{"cell_type": kind, "id": f"c{i}", "metadata": {},
                       "source": text.splitlines(keepends=True),
                       **({"outputs": [], "execution_count": None} if kind == "code" else {})}
                      for i, (kind, text) in enumerate(cells)],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


STEM = "02_bc_filter_design"


def test_with_quiz_inserts_both_cells_in_place_and_changes_no_other_cell():
    nb = _notebook(("markdown", "# 02 · Title"), ("code", "x = 1"),
                   ("markdown", "## What we learned"), ("markdown", "## Exercises\n\nintro"),
                   ("markdown", "### Exercise 2.1 · …"))
    new = quizzes.with_quiz(nb, STEM)
    firsts = [_first_line(c) for c in new["cells"]]
    assert firsts == ["# 02 · Title", quizzes.OBJECTIVES_HEADING, "x = 1", "## What we learned",
                      "## Quiz", "## Exercises", "### Exercise 2.1 · …"]
    assert [c for c in new["cells"] if c["id"].startswith("c")] == nb["cells"]
    assert len(nb["cells"]) == 5  # the argument is not changed
    # twice is once
    assert quizzes.with_quiz(new, STEM) == new


def test_with_quiz_updates_moves_and_dedupes_its_own_cells_and_keeps_their_ids():
    old = {"cell_type": "markdown", "id": "kept-id", "metadata": {"tags": ["x"]},
           "source": ["## Quiz\n", "an older quiz"]}
    nb = _notebook(("markdown", "# 05 · Title"), ("markdown", "## Exercises"))
    nb["cells"][1:1] = [old, dict(old, id="second")]   # in the wrong place, and twice
    new = quizzes.with_quiz(nb, STEM)
    quiz = [c for c in new["cells"] if _first_line(c) == "## Quiz"]
    assert len(quiz) == 1 and quiz[0]["id"] == "kept-id" and quiz[0]["metadata"] == {"tags": ["x"]}
    assert _source(quiz[0]) == quizzes.quiz_markdown(STEM)
    assert [_first_line(c) for c in new["cells"]][-2:] == ["## Quiz", "## Exercises"]


def test_with_quiz_puts_the_quiz_last_where_the_exercises_open_inside_a_cell_of_prose():
    # a heading in the middle of a cell cannot have the quiz just before it
    nb = _notebook(("markdown", "# 10 · Title"),
                   ("markdown", "prose\n\n## Exercises\n\n### Exercise 10.1"),
                   ("code", "check()"), ("markdown", "### Exercise 10.2"), ("code", "check()"))
    assert _first_line(quizzes.with_quiz(nb, STEM)["cells"][-1]) == "## Quiz"
    # and with no exercises at all, last too
    nb = _notebook(("markdown", "# 10 · Title"), ("code", "x = 1"))
    assert _first_line(quizzes.with_quiz(nb, STEM)["cells"][-1]) == "## Quiz"


def test_a_notebook_without_a_bank_entry_or_a_title_is_refused_in_one_line():
    with pytest.raises(ValueError, match="11_new: no objectives or quiz"):
        quizzes.with_quiz(_notebook(("markdown", "# 11")), "11_new")
    with pytest.raises(ValueError, match="no Markdown title cell"):
        quizzes.with_quiz(_notebook(("code", "x = 1")), STEM)


def test_main_checks_then_writes_only_the_stale_notebooks_and_nothing_else(tmp_path, capsys):
    stale = tmp_path / f"{STEM}.ipynb"
    old = _notebook(("markdown", "# 02"), ("markdown", "## Exercises"))
    stale.write_text(quizzes.notebook_text(old), encoding="utf-8")
    fresh_nb = quizzes.with_quiz(_notebook(("markdown", "# 01")), "01_dataset_exploration")
    fresh = tmp_path / "01_dataset_exploration.ipynb"
    fresh.write_text(quizzes.notebook_text(fresh_nb), encoding="utf-8")
    before = fresh.stat().st_mtime_ns

    assert quizzes.main(["--notebooks", str(tmp_path)]) == 1
    assert f"out of date: {stale}" in capsys.readouterr().out
    assert quizzes.main(["--write", "--notebooks", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == f"updated: {stale}"
    assert fresh.stat().st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([stale.name, fresh.name])
    written = json.loads(stale.read_text(encoding="utf-8"))
    assert [_first_line(c) for c in written["cells"]] == [
        "# 02", quizzes.OBJECTIVES_HEADING, "## Quiz", "## Exercises"]
    assert stale.read_text(encoding="utf-8") == quizzes.notebook_text(written)
    assert quizzes.main(["--notebooks", str(tmp_path)]) == 0


def test_main_says_a_broken_notebook_in_one_line(tmp_path, capsys):
    (tmp_path / f"{STEM}.ipynb").write_text("{not json", encoding="utf-8")
    assert quizzes.main(["--notebooks", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{STEM}.ipynb: not a notebook" in err
