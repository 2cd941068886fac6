"""Every result records what the code that made it computes, nothing shows an old result as
current, and no refactor marks a result stale that today's code still computes."""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bcser_utils import config, provenance
from bcser_utils.app import provenance_check
from bcser_utils.learn import probe, training
from bcser_utils.present import report, staleness

ROOT = Path(__file__).resolve().parents[1]
# the fingerprints of commit fe022df's code text, which made the committed results
FE022DF = {"features": "50fd3fb5d1d2", "model": "a24167b76daf", "training": "c42c93ade28f"}


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


@pytest.fixture(scope="module")
def probe_run():
    """One run of the probe on this machine (a few seconds), shared by the tests."""
    return probe.run()


# ---------------------------------------------------------------------------------------------
# The probe and its reference


def test_the_probe_computes_what_the_reference_records_on_this_machine(probe_run):
    reference = provenance.reference()
    for part, arrays in probe_run.items():
        assert probe.differences(reference["parts"][part]["arrays"], arrays) == [], part
    assert set(probe_run) == set(provenance.PARTS) == set(reference["parts"])


def test_each_part_is_fingerprinted_by_its_reference_numbers_not_by_where_they_were_made():
    for part, entry in provenance.reference()["parts"].items():
        assert entry["id"] == probe.part_id(entry["arrays"]), part
    assert provenance.fingerprints() == {part: entry["id"] for part, entry
                                         in provenance.reference()["parts"].items()}


def test_the_tolerance_passes_rounding_and_fails_a_real_move():
    x = np.linspace(-3.0, 5.0, 1000, dtype=np.float32)
    reference = {"x": probe.summary(x)}
    assert probe.differences(reference, {"x": x * (1 + 3e-5)}) == []  # another machine's sums
    moved = probe.differences(reference, {"x": x * (1 + 3e-4)})
    assert len(moved) == 1 and moved[0].startswith("x: ")
    # a float16 tensor may round one step apart (a float32 value near a rounding boundary)
    h = np.linspace(-23.0, 4.0, 500).astype(np.float16)
    step = h + np.spacing(h)
    assert probe.differences({"h": probe.summary(h)}, {"h": step}) == []
    assert probe.differences({"h": probe.summary(h)}, {"h": step + 3 * np.spacing(h)}) != []
    rows = np.arange(10)
    assert probe.differences({"rows": probe.summary(rows)}, {"rows": rows[::-1]}) != []
    assert probe.differences({"rows": probe.summary(rows)}, {"x": rows}) == [
        "rows: the probe no longer makes it", "x: not in the reference"]


def _patched_config(monkeypatch, overrides):
    cfg = config.get_config("full", {k: v for k, v in overrides.items() if k != "mode.seed"})
    if "mode.seed" in overrides:
        cfg = replace(cfg, mode=replace(cfg.mode, seed=overrides["mode.seed"]))
    monkeypatch.setattr(probe, "_config", lambda: cfg)


@pytest.mark.parametrize("overrides, part, array", [
    ({"training.label_smoothing": 0.11}, "training", "train_loss"),
    ({"training.learning_rate": 1.01e-3}, "training", "trained_logits"),
    ({"mode.seed": 1}, "training", "split_P1_train"),
    ({"bc.alpha": 0.756}, "features", "cache_bc"),
    ({"features.n_mels": 65}, "features", "extract_logmel"),
])
def test_a_changed_constant_moves_its_part_of_the_probe(monkeypatch, overrides, part, array):
    _patched_config(monkeypatch, overrides)
    moved = probe.check(parts=[part])[part]
    assert any(line.startswith(f"{array}: ") for line in moved), moved


def test_a_changed_class_weight_formula_moves_the_training_probe(monkeypatch):
    balanced = training.class_weights
    monkeypatch.setattr(training, "class_weights", lambda labels, n=8: balanced(labels, n).sqrt())
    moved = probe.check(parts=["training"])["training"]
    assert any(line.startswith("class_weights: ") for line in moved), moved


def test_update_renews_only_a_part_that_moved_and_its_old_stamps_turn_stale(
        probe_run, tmp_path, monkeypatch):
    reference = tmp_path / "reference.json"
    shutil.copy(provenance.REFERENCE, reference)
    monkeypatch.setattr(provenance, "REFERENCE", reference)
    old = provenance.stamp()
    moved = {**probe_run, "training": {**probe_run["training"],
                                       "train_loss": probe_run["training"]["train_loss"] * 1.01}}
    monkeypatch.setattr(probe, "run", lambda parts=None: moved)
    outcome = probe.update()
    assert outcome["training"] == "moved" and outcome["features"] != "moved" \
        and outcome["model"] != "moved"
    new = provenance.fingerprints()
    assert new["training"] != old["code"]["training"]
    assert {part: new[part] for part in ("features", "model")} == {
        part: old["code"][part] for part in ("features", "model")}
    assert provenance.changed({"provenance": old}) == ["training"]
    assert provenance.changed({"provenance": provenance.stamp()}) == []
    assert provenance.changed({"provenance": {"code": FE022DF}}) == ["training"]
    assert probe.update() == {"features": "unchanged", "model": "unchanged",
                              "training": "unchanged"}  # nothing moved: no id changes


# ---------------------------------------------------------------------------------------------
# A refactor and a changed constant, in a copy of the package


@pytest.fixture
def whole_package(tmp_path):
    """A copy of the whole package (without the shipped models' weights), to edit and run."""
    copy = tmp_path / "bcser_utils"
    shutil.copytree(provenance.PACKAGE, copy,
                    ignore=shutil.ignore_patterns("*.pt", "__pycache__"))
    return copy


def _run_in(copy: Path, code: str) -> dict:
    """``code`` run by Python with ``copy`` first on the path; what it prints, as JSON."""
    script = textwrap.dedent(f"""
        import json
        from bcser_utils import provenance
        from bcser_utils.learn import probe
        assert provenance.__file__.startswith({str(copy)!r}), provenance.__file__
        beyond = json.loads(open({str(ROOT / "results" / "beyond-full.json")!r}).read())
    """) + textwrap.dedent(code)
    env = {**os.environ, "PYTHONPATH": str(copy.parent)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          cwd=copy.parent, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path.name} has no {old!r}: the test is out of date"
    path.write_text(text.replace(old, new, 1))


def _move_to_end(path: Path, function: str) -> None:
    """Move a top-level function to the end of its module."""
    text = path.read_text()
    found = re.search(rf"^def {function}\(.*?(?=^(?:def |class |@|[A-Z_]+ = ))", text,
                      re.S | re.M)
    assert found, f"{path.name} has no function {function}: the test is out of date"
    path.write_text(text.replace(found.group(), "") + "\n\n" + found.group())


CHECK = """
moved = {part: lines for part, lines in probe.check().items() if lines}
texts = provenance.code_texts()
known = {part: texts[part] in entry["code"]
         for part, entry in provenance.reference()["parts"].items()}
seen = {"moved": moved, "known": known, "changed": provenance.changed(beyond)}
"""


def test_a_refactor_keeps_results_current(whole_package):
    # a renamed local variable, a moved function, in the training and the features code
    training_py, features_py = whole_package / "learn" / "training.py", \
        whole_package / "audio" / "features.py"
    _edit(training_py, "    true = 1 - label_smoothing + label_smoothing / n_classes\n"
                       "    other = label_smoothing / n_classes\n"
                       "    return float(-(xlogy(true, true) + (n_classes - 1) * "
                       "xlogy(other, other)))",
          "    kept = 1 - label_smoothing + label_smoothing / n_classes\n"
          "    other = label_smoothing / n_classes\n"
          "    return float(-(xlogy(kept, kept) + (n_classes - 1) * xlogy(other, other)))")
    _move_to_end(training_py, "class_weights")
    _edit(features_py, "    basis = mel_basis(f.sample_rate, f.n_fft, f.n_mels)\n"
                       "    mel = np.einsum(\"ft,mf->mt\", power_spectrogram(audio, f), basis,",
          "    filters = mel_basis(f.sample_rate, f.n_fft, f.n_mels)\n"
          "    mel = np.einsum(\"ft,mf->mt\", power_spectrogram(audio, f), filters,")
    _move_to_end(features_py, "fix_length_plan")
    seen = _run_in(whole_package, CHECK + "print(json.dumps(seen))")
    assert seen["known"] == {"features": False, "model": True, "training": False}  # new text
    assert seen["moved"] == {} and seen["changed"] == []  # the same numbers: still current


def test_a_changed_constant_makes_results_stale_and_names_its_part(whole_package):
    _edit(whole_package / "config.py", "label_smoothing: float = _c(0.1,",
          "label_smoothing: float = _c(0.11,")
    seen = _run_in(whole_package, CHECK + """
from argparse import Namespace
from bcser_utils.app import provenance_check
provenance_check.run(Namespace(check=False, update=True))
print(json.dumps({**seen, "updated": provenance.changed(beyond),
                  "note": provenance.stale_note(beyond)}))
""")
    assert set(seen["moved"]) == {"training"}
    assert any(line.startswith("train_loss: ") for line in seen["moved"]["training"])
    assert seen["changed"] == []  # until the reference is updated, as the check says
    assert seen["updated"] == ["training"]
    assert seen["note"].endswith("the training code has changed since.")


# ---------------------------------------------------------------------------------------------
# Stamps


def test_the_results_made_at_fe022df_are_current_and_one_made_before_stamps_is_not():
    # fe022df's code computes the probe's numbers (checked when the reference was made)
    for part, text in FE022DF.items():
        assert text in provenance.reference()["parts"][part]["code"]
    for name in ("results/beyond-full.json", "bcser_utils/models/bcser_p3.metrics.json"):
        result = json.loads((ROOT / name).read_text())
        assert result["provenance"]["code"] == FE022DF
        assert provenance.changed(result) == [] and provenance.stale_note(result) is None
    # notebook 09's study, remade from today's code; the first one, kept, predates stamps
    assert provenance.changed(json.loads((ROOT / "results/generalize-full.json")
                                         .read_text())) == []
    assert provenance.changed(json.loads(
        (ROOT / "results/history/generalize-full-2026-11-30.json").read_text())) is None


def test_an_edit_of_code_changes_its_part_text_and_an_edit_of_prose_changes_none(package_copy):
    before = provenance.code_texts()
    training_py = package_copy / "learn" / "training.py"
    training_py.write_text(training_py.read_text().replace('"""', '"""A reworded docstring. ', 1)
                           + "\n# a comment\n")
    assert provenance.code_texts() == before
    training_py.write_text(training_py.read_text() + "\nEXTRA_CONSTANT = 1\n")
    assert provenance.code_texts() == {**before, "training": provenance.code_texts()["training"]}
    assert provenance.code_texts()["training"] != before["training"]


def test_only_the_functions_a_part_names_count_in_a_file_it_names_by_function(package_copy):
    before = provenance.code_texts()
    cache = package_copy / "audio" / "feature_cache.py"
    source = cache.read_text()
    cache.write_text(source.replace("def _build_shard(job)", "def _build_shard(job, extra=1)"))
    assert provenance.code_texts() == before  # the cache's storage, not what a tensor holds
    cache.write_text(source.replace("def recording_features(", "def recording_features(extra, ",
                                    1))
    assert provenance.code_texts()["features"] != before["features"]


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
        "Made on 2026-11-24 before results recorded the code that made them")


def test_a_study_of_runs_made_by_different_code_reads_as_changed_where_they_differ():
    today = provenance.fingerprints()
    one = {"commit": "aaa", "code": dict(today)}
    other = {"commit": "bbb", "code": {**today, "model": "0123456789ab"}}
    mixed = provenance.common([one, other])
    assert mixed["code"]["model"] == "several" and mixed["code"]["training"] == today["training"]
    assert provenance.changed({"provenance": mixed}) == ["model"]
    assert provenance.common([one, None]) is None  # one run without a stamp: unknown
    # runs stamped before and after the probe, by code that computes the same: current
    legacy = {"commit": "fe022df", "code": FE022DF}
    assert provenance.common([one, legacy])["code"] == today


def test_a_stamp_names_this_checkout_and_todays_fingerprints():
    stamp = provenance.stamp()
    assert stamp["code"] == provenance.fingerprints()
    assert set(stamp["code"]) == {"features", "model", "training"}
    if (ROOT / ".git").exists() and shutil.which("git"):
        assert stamp["commit"] and len(stamp["commit"].split("+")[0]) >= 7
    else:  # an installed package, or no git: the commit is unknown, never invented
        assert stamp["commit"] is None


# ---------------------------------------------------------------------------------------------
# The command


def _checked(monkeypatch, capsys, moved: dict) -> tuple[int, str]:
    monkeypatch.setattr(probe, "check", lambda reference=None, parts=None: {
        part: moved.get(part, []) for part in provenance.PARTS})
    parser = argparse.ArgumentParser()
    provenance_check.add_arguments(parser)
    code = provenance_check.run(parser.parse_args(["--check"]))
    return code, capsys.readouterr().out


def test_the_check_lists_each_committed_result_and_fails_on_a_stale_one(monkeypatch, capsys):
    code, out = _checked(monkeypatch, capsys, {})
    assert code == 0  # every committed result is today's (results/history/ is not checked)
    for name in ("results/beyond-full.json", "results/generalize-full.json",
                 "bcser_utils/models/bcser_p3.metrics.json", "bcser_utils/models/default.json"):
        assert f"current {name}\n" in out
    assert "stale" not in out and "history" not in out
    monkeypatch.setattr(provenance, "changed", lambda result: None)  # as if made before stamps
    code, out = _checked(monkeypatch, capsys, {})
    assert code == 1
    assert "stale   results/generalize-full.json: Made on 2026-12-07 before results" in out
    assert "stale   bcser_utils/models/default.json: " in out


def test_the_check_names_a_part_and_array_that_moved_and_its_results_turn_stale(monkeypatch,
                                                                               capsys):
    code, out = _checked(monkeypatch, capsys, {"training": ["train_loss: entry 0 2.1, "
                                                            "reference 2.0 (moved 0.1)"]})
    assert code == 1
    assert "  training: train_loss: entry 0 2.1, reference 2.0 (moved 0.1)\n" in out
    assert "provenance --update" in out
    assert ("stale   results/beyond-full.json: the training code computes other numbers than "
            "the reference\n") in out


def test_the_check_passes_when_every_result_is_current(monkeypatch, capsys, tmp_path):
    current = tmp_path / "now.json"
    current.write_text(json.dumps({"provenance": provenance.stamp()}))
    monkeypatch.setattr(provenance_check, "committed_results", lambda: [current])
    code, out = _checked(monkeypatch, capsys, {})
    assert code == 0 and f"current {current}" in out


# Every page that quotes a committed result, with the result it quotes
QUOTED = [
    ("results/beyond-full.json", "results/README.md"),
    ("results/beyond-full.json", "notebooks/08_beyond_the_paper.ipynb"),
    ("results/generalize-full.json", "README.md"),
    ("results/generalize-full.json", "results/README.md"),
    ("results/generalize-full.json", "notebooks/09_towards_unseen_speakers.ipynb"),
    ("results/generalize-full.json", "bcser_utils/models/DEFAULT_MODEL_CARD.md"),
    ("bcser_utils/models/bcser_p3.metrics.json", "README.md"),
    ("bcser_utils/models/bcser_p3.metrics.json", "bcser_utils/models/MODEL_CARD.md"),
]


@pytest.mark.parametrize("source, page", QUOTED)
def test_every_line_quoting_a_result_made_by_other_code_says_so(source, page):
    result = report.load_summary(ROOT / source)
    note, mark = provenance.stale_note(result), staleness.stale_mark(result)
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
    assert staleness.stale_mark({"date": "2026-11-30"}) == (
        "made on 2026-11-30, before provenance stamps: see note")
    current = {"provenance": provenance.stamp()}
    assert staleness.stale_mark(current) is None
    older = {"provenance": {"commit": "1a2b3c4", "code": {**current["provenance"]["code"],
                                                         "model": "0123456789ab"}}}
    assert staleness.stale_mark(older) == "made with commit 1a2b3c4; code changed since: see note"
    rows = staleness.readme_table({"date": "2026-11-30"}, [("P3", "—", "50.0%", "seed 0")])
    assert rows.splitlines()[-1] == (
        "| P3 | — | 50.0% | seed 0 · *made on 2026-11-30, before provenance stamps: see note* |")


def _lines(page: Path):
    """A page's lines as a reader meets them: each table row, heading and list item, and each
    paragraph with its wrapped lines joined; of a notebook, its markdown cells and the Markdown
    its code displays (prose the package writes, such as notebook 09's findings; its code prints
    ``stale_note`` itself)."""
    if page.suffix == ".ipynb":
        cells = json.loads(page.read_text())["cells"]
        texts = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"]
        texts += ["".join(output["data"]["text/markdown"]) for cell in cells
                  for output in cell.get("outputs", [])
                  if "text/markdown" in output.get("data", {})]
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
