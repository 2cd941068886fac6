"""The browser tests' shared fixtures (the helpers behind them are in browsing.py)."""

import pytest
from browsing import ROOT, serve_lab, start_chrome


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving the repository, with the committed notebooks trusted (as `make lab`)."""
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    with serve_lab(ROOT, tmp_path_factory.mktemp("jupyter"), trust=notebooks) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with start_chrome() as driver:
        yield driver
