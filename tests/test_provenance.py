"""Every result records the code that made it, and nothing shows an old result as current."""

import json
import re
import shutil
from pathlib import Path

import pytest

from bcser_utils import provenance
from bcser_utils.present import report

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """The package's source files in a folder of their own, to edit."""
    copy = tmp_path / "bcser_utils"
    for names in provenance.PARTS.values():
        for name in {name.partition(":")[0] for name in names}:
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(provenance.PACKAGE / name, copy / name)
    monkeypatch.setattr(provenance, "PACKAGE", copy)
    return copy


def test_an_edit_of_code_marks_its_part_changed_and_an_edit_of_prose_marks_nothing(package_copy):
    made = {"date": "2026-12-04", "provenance": {"commit": "1a2b3c4",
                                                 "code": provenance.fingerprints()}}
    assert provenance.changed(made) == [] and provenance.stale_note(made) is None
    training = package_copy / "learn" / "training.py"
    training.write_text(training.read_text().replace('"""', '"""A reworded docstring. ', 1)
                        + "\n# a comment\n")
    assert provenance.changed(made) == []
    training.write_text(training.read_text() + "\nEXTRA_CONSTANT = 1\n")
    assert provenance.changed(made) == ["training"]
    model = package_copy / "learn" / "model.py"
    model.write_text(model.read_text() + "\nEXTRA_CONSTANT = 2\n")
    assert provenance.stale_note(made) == (
        "Made on 2026-12-04 with commit 1a2b3c4; the model and training code has changed since.")


def test_only_the_functions_a_part_names_count_in_a_file_it_names_by_function(package_copy):
    made = {"provenance": {"commit": "1a2b3c4", "code": provenance.fingerprints()}}
    dataset = package_copy / "audio" / "feature_cache.py"
    source = dataset.read_text()
    dataset.write_text(source.replace("def _build_shard(job)", "def _build_shard(job, extra=1)"))
    assert provenance.changed(made) == []  # the cache's storage, not what a tensor holds
    dataset.write_text(source.replace("def recording_features(",
                                      "def recording_features(extra, ", 1))
    assert provenance.changed(made) == ["features"]


def test_the_written_tree_is_the_same_on_every_python():
    # ast.dump's text differs between 3.11 and 3.13; code_of's must not (Colab runs 3.13)
    assert provenance.code_of('def f(x=None):\n    """Doc."""\n    return [x]  # why\n') == (
        b"Module(body=[FunctionDef(name='f', args=arguments(args=[arg(arg='x', annotation=None, "
        b"type_comment=None)], vararg=None, kwarg=None, defaults=[Constant(value=None, "
        b"kind=None)]), body=[Return(value=List(elts=[Name(id='x', ctx=Load())], "
        b"ctx=Load()))], returns=None, type_comment=None)])")


def test_a_result_without_a_stamp_is_never_taken_for_current():
    assert provenance.changed({"date": "2026-11-24"}) is None
    assert provenance.stale_note({"date": "2026-11-24"}).startswith(
        "Made on 2026-11-24 before results recorded the code")


def test_a_study_of_runs_made_by_different_code_reads_as_changed_where_they_differ():
    today = provenance.fingerprints()
    one = {"commit": "aaa", "code": dict(today)}
    other = {"commit": "bbb", "code": {**today, "model": "0123456789ab"}}
    mixed = provenance.common([one, other])
    assert mixed["code"]["model"] == "several" and mixed["code"]["training"] == today["training"]
    assert provenance.changed({"provenance": mixed}) == ["model"]
    assert provenance.common([one, None]) is None  # one run without a stamp: unknown


def test_a_stamp_names_this_checkout_and_todays_fingerprints():
    stamp = provenance.stamp()
    assert stamp["code"] == provenance.fingerprints()
    assert set(stamp["code"]) == {"features", "model", "training"}
    if (ROOT / ".git").exists() and shutil.which("git"):
        assert stamp["commit"] and len(stamp["commit"].split("+")[0]) >= 7
    else:  # an installed package, or no git: the commit is unknown, never invented
        assert stamp["commit"] is None


# Every page that quotes a committed result, with the result it quotes
QUOTED = [
    ("results/beyond-full.json", "results/README.md"),
    ("results/beyond-full.json", "notebooks/08_beyond_the_paper.ipynb"),
    ("results/generalize-full.json", "README.md"),
    ("results/generalize-full.json", "results/README.md"),
    ("results/generalize-full.json", "notebooks/09_towards_unseen_speakers.ipynb"),
    ("results/generalize-full.json", "bcser_utils/models/DEFAULT_MODEL_CARD.md"),
    ("results/generalize-full.json", "docs/design.md"),
    ("bcser_utils/models/bcser_p3.metrics.json", "README.md"),
    ("bcser_utils/models/bcser_p3.metrics.json", "bcser_utils/models/MODEL_CARD.md"),
]


@pytest.mark.parametrize("source, page", QUOTED)
def test_every_line_quoting_a_result_made_by_other_code_says_so(source, page):
    result = report.load_summary(ROOT / source)
    note, mark = provenance.stale_note(result), report.stale_mark(result)
    quoting = [line for line in _lines(ROOT / page) if _interval_of(result).search(line)]
    assert quoting, f"{page} quotes no interval of {source}: QUOTED is out of date"
    if note is None:  # today's code made it: no table row (one result each) may call it stale
        stale = [line for line in quoting if line.startswith("|") and ": see note" in line]
        assert not stale, f"{page} calls {source} stale: {stale[0][:120]}…"
        return
    assert note in (ROOT / page).read_text(), f"{page} never says of {source}: {note}"
    unmarked = [line for line in quoting if mark not in line]
    assert not unmarked, f"{page} shows a number of {source} as current: {unmarked[0][:120]}…"


def test_a_stale_result_marks_each_line_in_a_few_words_and_a_current_one_none():
    assert report.stale_mark({"date": "2026-11-30"}) == (
        "made on 2026-11-30, before provenance stamps: see note")
    current = {"provenance": provenance.stamp()}
    assert report.stale_mark(current) is None
    older = {"provenance": {"commit": "1a2b3c4", "code": {**current["provenance"]["code"],
                                                         "model": "0123456789ab"}}}
    assert report.stale_mark(older) == "made with commit 1a2b3c4; code changed since: see note"
    rows = report.readme_table({"date": "2026-11-30"}, [("P3", "—", "50.0%", "seed 0")])
    assert rows.splitlines()[-1] == (
        "| P3 | — | 50.0% | seed 0 · *made on 2026-11-30, before provenance stamps: see note* |")


def _lines(page: Path):
    """A page's lines as a reader meets them: each table row, heading and list item, and each
    paragraph with its wrapped lines joined; of a notebook, its markdown cells (its code prints
    ``stale_note`` itself)."""
    if page.suffix == ".ipynb":
        texts = ["".join(cell["source"]) for cell in json.loads(page.read_text())["cells"]
                 if cell["cell_type"] == "markdown"]
    else:
        texts = [page.read_text()]
    for text in texts:
        block = []
        for line in [*text.splitlines(), ""]:
            if block and (not line.strip() or re.match(r"\s*(\||#|[-*] |\d+\. )", line)):
                yield " ".join(block)
                block = []
            if line.strip():
                block.append(line.strip())


def _interval_of(result: dict) -> re.Pattern:
    """Any of ``result``'s 95% intervals, as the pages write them: "53.5–64.0%", "95.0% to
    96.3%", "+3.2 to +7.5" points (or with "−") and a card's "0.525–0.650". A line quoting a
    number of a result quotes its interval."""
    def pairs(value, inside=False):
        if isinstance(value, dict):
            for key, item in value.items():
                yield from pairs(item, inside or "ci95" in str(key))
        elif isinstance(value, list):
            if inside and len(value) == 2 and all(isinstance(v, float) for v in value):
                yield value
            else:
                for item in value:
                    yield from pairs(item, inside)

    written = {form for a, b in pairs(result) for form in (
        f"{a:.1%}"[:-1] + "–" + f"{b:.1%}", f"{a:.1%} to {b:.1%}",
        f"{100 * a:+.1f} to {100 * b:+.1f}", f"{a:.3f}–{b:.3f}")}
    alternatives = "|".join(re.escape(form).replace("\\-", "[-−]") for form in sorted(written))
    return re.compile(rf"(?<![\d.])({alternatives})(?!\d)")
