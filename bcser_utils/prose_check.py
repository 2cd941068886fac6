"""Catch a notebook's Markdown that contradicts the committed outputs beside it.

A sentence written for one run ("3 of 360 clips (1%)… so a large share…", "about 11 of 14",
"while this notebook ran, a training job was running") stays when the mode, the seed or the
machine changes the numbers. The course's rule: a sentence that quotes or judges a number that
depends on the run is printed by the code, or is phrased so that it holds in every mode. This
module checks the committed notebooks against that rule (``tests/test_prose.py``).

What it catches, in each Markdown cell (quiz and exercise cells are skipped: their numbers are
hypothetical):

1. **Run numbers.** Every number that looks like a run's result (a percentage "63.6%", a count
   "3 of 360", a duration "70 s", "2.4 min", "0.8 ms") must appear among the numbers the code
   cells near it print (``NEARBY`` code cells on each side; the whole notebook for a "What we
   learned" summary), allowing the prose's rounding, a fraction's other form (63.6% ↔ 0.636)
   and, after "about", "~", "≈", "nearly", ``APPROXIMATE`` relative slack; or it must be a
   fixed fact: an accuracy the paper reports (``config.Reported``, ``fixed_values``), a number
   of a committed result file the notebook's code reads (``results/*.json``: the same in every
   mode), or an entry of ``FIXED`` (settings, targets, corpus facts), each with its reason.
2. **Judgements.** A size word beside a share or a ratio ("a large share", "most of", "only a
   few", "comparable", "on an equal footing": ``JUDGEMENTS``) is checked against the share it
   speaks of: one in its own sentence, or else the output line of the code cell above (of any
   code cell, in a summary) that shares the most words with the sentence. "A large share" of
   1% is flagged, and so is "comparable" for 5.66 against 1.10.
3. **Claims about the run.** Prose cannot know what happened while a notebook ran ("while this
   notebook ran", "a training job was running", ``RUN_CLAIMS``).
4. **Which model.** A paragraph right under a code cell (before any heading) that names a
   protocol (P1, P2, P3) the output above it does not name, and none it does: prose about a P1
   model under a prediction the shipped P3 model made.

What it cannot catch: a number written in words ("half", "twice"), a judgement without a size
word ("the model is weak"), one whose share is not on the nearest output line sharing its
words, a sentence that is wrong about a figure (figures are pixels), a number that agrees with
some other output near it by chance, and anything in another notebook or document (README.md,
TEACHING.md). A declared fixed fact is trusted. Outputs are read as committed: run the
notebooks first (``make notebooks``) for the check to mean today's run.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

NEARBY = 3          # code cells on each side whose outputs a Markdown number may come from
APPROXIMATE = 0.15  # relative slack for a number after "about", "~", "≈", "nearly", "roughly"

# Numbers that are facts, not results of a run: (notebook stem or "*", the number as written)
# → why. Keep it short; a run's number belongs in the output, printed by the code.
FIXED = {
    ("*", "12.5%"): "chance for eight classes, 1/8",
    ("*", "4.5%"): "the paper's error rate, 1 − 95.51%",
    ("*", "4 s"): "the fixed window of every clip (cfg.features.window_s)",
    ("*", "20 ms"): "the hop (cfg.features.hop_length at 16 kHz)",
    ("*", "32 ms"): "the analysis frame (cfg.features.n_fft at 16 kHz)",
    ("*", "80 ms"): "one step after two stride-2 blocks: 4 hops of 20 ms",
    ("*", "140 ms"): "the receptive field of two 3 × 3 stride-2 blocks: 7 hops of 20 ms",
    ("*", "50 ms"): "the course's target for predicting one clip (docs/design.md, Targets)",
    ("*", "5 minutes"): "the course's target for a cold build (docs/design.md, Targets)",
    ("*", "70%"): "the paper's losses as a probability on the true class (06 §3); 08's calibration "
                  "example",
    ("*", "91%"): "the smoothed target 0.9125 (notebook 06, §3)",
    ("*", "0 s"): "a time axis: where the first frame sits",
    ("*", "80%"): "the training share of the paper's 80:20 split (cfg.training.val_fraction); 07's "
                  "calibration example",
    ("01_dataset_exploration", "60 of 1,440"): "RAVDESS's design: 60 of its 1,440 files per actor",
    ("02_bc_filter_design", "10 ms"): "a pitch period's upper end, and the display's hop",
    ("02_bc_filter_design", "20 s"): "the length of white noise the cell below feeds to_bc",
    ("02_bc_filter_design", "0.1 s"): "the margin the trimming cell keeps around speech",
    ("03_augmentation_gallery", "100 ms"): "the compressor's release (cfg.augment)",
    ("03_augmentation_gallery", "0.5 s"): "the echo's delay (cfg.augment)",
    ("03_augmentation_gallery", "25 ms"): "the comparison's window (gallery.logmel_change)",
    ("04_features", "5.3 s"): "the longest RAVDESS recording (notebook 01)",
    ("08_beyond_the_paper", "0.16%"): "arithmetic: 0.2⁴, the chance the sentence derives",
    ("08_beyond_the_paper", "11 minutes"): "the committed full-mode P1 run's time, dated there",
    ("05_model_build", "27 s"): "benchmarks/training.py, cited with its source",
    ("05_model_build", "94 s"): "benchmarks/training.py, cited with its source",
    ("05_model_build", "95.5%"): "the paper's accuracy, reproduced (README, results)",
}

# size word → (what it speaks of, the test its share or ratio must pass)
JUDGEMENTS = {
    r"\ba large (?:share|part|fraction|proportion)\b": ("share", lambda s: s >= 0.25),
    r"\b(?:most|the majority) of\b(?! all)": ("share", lambda s: s > 0.5),
    r"\b(?:a small (?:share|part|fraction)|a handful|only a few)\b": ("share", lambda s: s <= 0.25),
    r"\b(?:comparable|on an equal footing|of (?:the same|similar) size)\b":
        ("ratio", lambda r: r <= 3),
}

RUN_CLAIMS = (r"while this notebook ran", r"\bjob (?:was|is) running", r"this busy machine",
              r"\bthis run took\b")

_NUMBER = r"\d[\d,]*(?:\.\d+)?"
_APPROX = r"(?:about|around|roughly|nearly|almost|some|~|≈|~ |≈ )\s*$"
_TOKEN = re.compile(
    rf"(?P<of>(?P<n>{_NUMBER}) of (?:its |the |their )?(?P<m>{_NUMBER})(?![\d.]))"
    rf"|(?P<pct>(?P<p>{_NUMBER})\s?%)"
    rf"|(?P<dur>(?P<d>{_NUMBER})\s?(?P<unit>ms|s|min|minutes|seconds|h|hours)\b)")
_STOP = set("""the and that this with from into when what which their there these those they them
then than have been were will would could should about also only each every other more less most
some such here where while after before under over does done just like same clip clips""".split())


@dataclass(frozen=True)
class Finding:
    """One place where a Markdown cell disagrees with the rule."""

    notebook: str
    cell: int
    kind: str     # "number", "judgement", "run claim" or "model"
    text: str     # the words at fault
    why: str

    def __str__(self) -> str:
        return f"{self.notebook} cell {self.cell}: {self.kind} «{self.text}»: {self.why}"


def _value(text: str) -> float:
    return float(text.replace(",", ""))


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def prose_text(markdown: str) -> str:
    """The words of a Markdown cell a reader reads as prose: without code, maths, HTML and links.

    Parameters
    ----------
    markdown : str

    Returns
    -------
    str
    """
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", " ", text)
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"<[^>\n]+>", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return text.replace("*", "").replace("\u202f", " ").replace("\xa0", " ")


def output_text(cell: dict) -> str:
    """What a code cell printed or showed as text (streams and plain-text results)."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append("".join(output["text"]))
        elif "text/plain" in output.get("data", {}):
            parts.append("".join(output["data"]["text/plain"]))
    return "\n".join(parts)


def _numbers(text: str) -> list[float]:
    return [_value(m) for m in re.findall(_NUMBER, text)]


def _matches(written: str, value: float, printed: list[float], approximate: bool,
             percent: bool) -> bool:
    """Whether a number as written agrees with one of the printed numbers."""
    digits = _decimals(written)
    candidates = list(printed)
    if percent:  # 63.6% is printed as 63.6% or as the fraction 0.636
        candidates += [100 * x for x in printed if abs(x) <= 1]
    for x in candidates:
        if approximate and math.isclose(x, value, rel_tol=APPROXIMATE, abs_tol=0.5 * 10 ** -digits):
            return True
        if abs(round(x, digits) - value) < 10 ** -(digits + 3) or \
                abs(x - value) <= 0.5 * 10 ** -digits + 1e-9:
            return True
    return False


def fixed_values(notebook: str) -> set[str]:
    """The numbers, as written, that are facts in ``notebook``: ``FIXED`` and the paper's.

    Parameters
    ----------
    notebook : str
        The notebook's stem, e.g. "07_evaluation".

    Returns
    -------
    set of str
    """
    from bcser_utils import config

    reported = config.Reported()
    facts = {text for (where, text) in FIXED if where in ("*", notebook)}
    for value in (reported.train_accuracy, reported.val_accuracy, reported.balanced_accuracy,
                  reported.hosain_bc_accuracy, reported.hosain_ac_accuracy):
        facts |= {f"{100 * value:.2f}%", f"{100 * value:.1f}%", f"{100 * value:.0f}%"}
    return facts


def _committed_numbers(code: str) -> list[float]:
    """The numbers of the committed result files (results/*.json) a notebook's code reads: they
    are fixed facts, the same in every mode (tests/test_provenance.py checks they are current)."""
    from bcser_utils import config

    numbers = []
    for name in sorted(set(re.findall(r"""results["'/ ]+(?:/\s*)?["']?([\w.-]+\.json)""", code))):
        path = config.REPO_ROOT / "results" / name
        if path.is_file():
            numbers += _numbers(json.dumps(json.loads(path.read_text(encoding="utf-8"))))
    return numbers


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?:;])\s+(?=[A-Z*(])|\n\s*\n|\n\s*[-*] ", text)
    return [part for part in parts if part.strip()]


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z]{4,}", text.lower())} - _STOP


def _share_of(sentence: str, lines: list[str]) -> tuple[float, str] | None:
    """The share a judgement speaks of: in the sentence, else on the best-matching output line."""
    for source in [sentence, *_best_lines(sentence, lines)]:
        for m in _TOKEN.finditer(source):
            if m.group("of") and _value(m.group("m")):
                return _value(m.group("n")) / _value(m.group("m")), m.group(0)
            if m.group("pct"):
                return _value(m.group("p")) / 100, m.group(0)
    return None


def _ratio_of(sentence: str, lines: list[str]) -> tuple[float, str] | None:
    """The ratio a "comparable" speaks of: two numbers that follow words of the sentence."""
    words = _words(sentence)
    for line in _best_lines(sentence, lines):
        values = [_value(m.group(2)) for m in re.finditer(rf"([a-z]+)\s+({_NUMBER})", line.lower())
                  if m.group(1).rstrip("s") in words]
        values = [v for v in values if v > 0]
        if len(values) >= 2:
            return max(values) / min(values), line.strip()
    return None


def _best_lines(sentence: str, lines: list[str]) -> list[str]:
    """Output lines that share words with ``sentence``, the most shared first."""
    words = _words(sentence)
    scored = [(len(words & _words(line)), i, line) for i, line in enumerate(lines)]
    return [line for score, i, line in sorted(scored, key=lambda t: (-t[0], t[1])) if score]


def _protocols(text: str) -> set[str]:
    return {f"P{n}" for n in re.findall(r"(?:\bP|[_/]p|\bp)([123])(?=\b|-|\.)", text)}


def check_cells(cells: list[dict], notebook: str) -> list[Finding]:
    """Every place in ``cells`` where Markdown disagrees with the outputs beside it.

    Parameters
    ----------
    cells : list of dict
        A notebook's cells, as in its JSON ("cell_type", "source", "outputs").
    notebook : str
        Its stem, for the messages and ``FIXED``.

    Returns
    -------
    list of Finding
        Empty when the prose holds.
    """
    code = [i for i, cell in enumerate(cells) if cell["cell_type"] == "code"]
    printed = {i: output_text(cells[i]) for i in code}
    facts = fixed_values(notebook)
    all_numbers = [x for i in code for x in _numbers(printed[i])]
    committed = _committed_numbers("".join("".join(cells[i]["source"]) for i in code))
    findings = []
    for index, cell in enumerate(cells):
        source = "".join(cell["source"])
        if cell["cell_type"] != "markdown" or _hypothetical(cell, source):
            continue
        before = [i for i in code if i < index][-NEARBY:]
        after = [i for i in code if i > index][:NEARBY]
        summary = re.search(r"^#+ .*(learned|summary)", source, flags=re.I | re.M)
        nearby = all_numbers if summary else [x for i in before + after
                                              for x in _numbers(printed[i])]
        nearby += committed
        above = next((printed[i] for i in reversed(before) if printed[i].strip()), "")
        lines = [line for i in code for line in printed[i].splitlines()] if summary \
            else above.splitlines()
        text = prose_text(source)

        def flag(kind, words, why, cell=index):
            findings.append(Finding(notebook, cell, kind, " ".join(words.split())[:120], why))

        for m in _TOKEN.finditer(text):
            written = m.group(0)
            approximate = bool(re.search(_APPROX, text[:m.start()][-12:]))
            if " ".join(written.split()) in facts:
                continue
            if m.group("of"):
                n, total = m.group("n"), m.group("m")
                ok = (_matches(n, _value(n), nearby, approximate, False)
                      and _matches(total, _value(total), nearby, False, False))
            elif m.group("pct"):
                ok = _matches(m.group("p"), _value(m.group("p")), nearby, approximate, True)
            else:
                ok = _matches(m.group("d"), _value(m.group("d")), nearby, approximate, False)
            if not ok:
                flag("number", written, "not among the numbers the code beside it prints, and not "
                     "a declared fact (prose_check.FIXED): print it from the code, or word it for "
                     "every mode")
        for sentence in _sentences(text):
            for pattern, (what, holds) in JUDGEMENTS.items():
                said = re.search(pattern, sentence, flags=re.I)
                if not said:
                    continue
                measured = (_share_of if what == "share" else _ratio_of)(sentence, lines)
                if measured and not holds(measured[0]):
                    flag("judgement", said.group(0), f"the {what} it speaks of is "
                         f"{measured[0]:.3g} ({measured[1][:80]})")
            for pattern in RUN_CLAIMS:
                said = re.search(pattern, sentence, flags=re.I)
                if said:
                    flag("run claim", said.group(0), "prose cannot know what happened while the "
                         "notebook ran: print it from the code, or word it for every run")
        lead = re.split(r"^#", text, maxsplit=1, flags=re.M)[0]
        shown, named = _protocols(above), _protocols(lead)
        if before and before[-1] == index - 1 and shown and named and not shown & named:
            flag("model", ", ".join(sorted(named)), f"the output above is about "
                 f"{', '.join(sorted(shown))}")
    return findings


def _hypothetical(cell: dict, source: str) -> bool:
    """Quiz and exercise cells: their numbers are questions, not results."""
    return (str(cell.get("id", "")).startswith("exercises-") or source.startswith("## Quiz")
            or source.startswith("## Exercises")
            or source.lstrip().startswith("> **You will be able to**"))


def check_notebook(path: str | Path) -> list[Finding]:
    """``check_cells`` of the notebook at ``path`` (its committed outputs).

    Parameters
    ----------
    path : str or Path
        An ``.ipynb`` file.

    Returns
    -------
    list of Finding
    """
    path = Path(path)
    return check_cells(json.loads(path.read_text(encoding="utf-8"))["cells"], path.stem)
