"""Reads a summary that the package wrote (``load_summary``) for the renderers: ``formatting``
(how numbers and noise conditions are written), ``staleness`` (what a result made by other code
says), ``beyond_tables`` (notebook 08's tables), ``generalize_tables`` (notebook 09's) and
``cards`` (model cards).

Notebook: 07_evaluation, 08_beyond_the_paper, 09_towards_unseen_speakers, 10_your_own_voice.
"""

from __future__ import annotations

import json
from pathlib import Path


def load_summary(path: str | Path) -> dict:
    """A summary written by ``evaluation.save_json`` (seeds come back as ints). A thin reader of
    plain JSON: the study's own check of what it holds is ``final_model.check_summary``."""
    summary = json.loads(Path(path).read_text())
    recipes = summary.get("recipes") if isinstance(summary, dict) else None
    for recipe in recipes.values() if isinstance(recipes, dict) else ():
        for key in ("val", "test", "vs_paper"):
            if isinstance(recipe, dict) and isinstance(recipe.get(key, {}), dict):
                recipe[key] = {int(seed): value for seed, value in recipe.get(key, {}).items()}
    return summary
