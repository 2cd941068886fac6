"""Settings for every test, including the notebooks nbval runs (their kernels inherit os.environ).

Tests never reach the network, run in quick mode, and write figures to a temporary folder.
Notebook checks run on the development copy of RAVDESS (../shared/data/ravdess); where it is
absent they are skipped with a reason, since their checked outputs are RAVDESS facts.
"""

import os
import tempfile
from pathlib import Path

import pytest

os.environ["BCSER_OFFLINE"] = "1"
os.environ.setdefault("BCSER_MODE", "quick")
os.environ.setdefault("BCSER_FIGURES_DIR", tempfile.mkdtemp(prefix="bcser-figures-"))

DEV_RAVDESS = Path(__file__).resolve().parent.parent / "shared" / "data" / "ravdess"


def pytest_collection_modifyitems(config, items):
    if DEV_RAVDESS.is_dir() or os.environ.get("BCSER_RAVDESS_DIR"):
        return
    skip = pytest.mark.skip(reason=f"notebook checks need the RAVDESS development copy at "
                                   f"{DEV_RAVDESS} (or $BCSER_RAVDESS_DIR)")
    for item in items:
        if str(item.fspath).endswith(".ipynb"):
            item.add_marker(skip)
