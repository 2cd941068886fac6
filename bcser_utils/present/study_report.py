"""The old home of notebook 09's renderers, kept only for callers outside ``present`` that still
import them from here (``studies.final_model``: ``default_card``; tests/test_repository.py:
``generalize_readme_table``). New code imports them from ``generalize_tables`` and ``cards``.

Notebook: 09_towards_unseen_speakers.
"""

from __future__ import annotations

from bcser_utils.present.cards import default_card  # noqa: F401
from bcser_utils.present.generalize_tables import generalize_readme_table  # noqa: F401
