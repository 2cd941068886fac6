# The short verbs the README uses. Everything runs in a local virtual environment, .venv/.
#   make course   install, then run every notebook headless in quick mode (figures/ is written)
#   make test     install, then run the unit tests and the notebooks under nbval
#   make reproduce  the paper-scale runs, P1 and P3 fold 0, in full mode (about an hour on 2 cores)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The CPU build of torch is installed first, so nothing later pulls a CUDA build.
TORCH  ?= torch==2.13.0
MODE   ?= quick

.PHONY: install course test lint notebooks reproduce clean

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

# Executed copies go to build/course/; the committed notebooks are left untouched.
course: install
	BCSER_MODE=$(MODE) $(PY) -m bcser_utils.course --out build/course

test: install
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check bcser_utils tests

# Re-execute the committed notebooks in place (outputs kept, volatile metadata stripped).
notebooks: install
	BCSER_MODE=$(MODE) $(PY) -m bcser_utils.course --inplace

# Student copies of the notebooks (no outputs, solutions hidden) in clean/; commit them.
.PHONY: clean-notebooks
clean-notebooks: install
	$(PY) -m bcser_utils.course --clean

# The paper-scale pipeline end to end (P1, then P3 fold 0), resumable: runs/reproduce-full/.
REPRODUCE_MODE ?= full
reproduce: install
	$(PY) -m bcser_utils reproduce --mode $(REPRODUCE_MODE)

clean:
	rm -rf build .pytest_cache
