"""How the package speaks to its user: paths as they are printed.

Notebooks: every notebook prints paths through ``display_path``.
"""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: str | Path) -> str:
    """``path`` relative to the working folder, so printed output carries no machine's layout."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
