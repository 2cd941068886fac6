"""bcser_utils: the tested helper package behind the bcser course notebooks.

Modules follow the data flow (DESIGN.md §3): config → data → bc → augment → features → splits →
model → training → evaluation → plots, cli. A module imports only those before it, plus config.
"""

__version__ = "0.1.0"
