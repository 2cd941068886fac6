"""Every result records the code that made it, and nothing shows an old result as current."""

import shutil
from pathlib import Path

import pytest

from bcser_utils import provenance, report

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
    dataset = package_copy / "audio" / "dataset.py"
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


@pytest.mark.parametrize("source, page", [
    ("results/beyond-full.json", "results/README.md"),
    ("results/generalize-full.json", "results/README.md"),
    ("results/generalize-full.json", "README.md"),
    ("bcser_utils/models/bcser_p3.metrics.json", "README.md"),
])
def test_a_page_quoting_a_result_made_by_other_code_says_so(source, page):
    note = provenance.stale_note(report.load_summary(ROOT / source))
    if note is not None:
        assert note in (ROOT / page).read_text(), f"{page} shows {source} as current"
