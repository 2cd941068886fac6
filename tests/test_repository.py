"""The README's promises about the repository itself."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


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
