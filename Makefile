# The short verbs the README uses. Everything runs in a local virtual environment, .venv/.
#   make course   install, then run every notebook headless in quick mode (build/figures/)
#   make test     install, then run the unit tests and the notebooks under nbval
#   make lab      install JupyterLab too, trust the notebooks, open them (DIR=clean for students)
#   make reproduce  the paper-scale runs, P1 and P3 fold 0, in full mode (about an hour on 2 cores)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The CPU build of torch is installed first, so nothing later pulls a CUDA build. Plain PyPI
# gives Linux the CUDA build (about 3 GB of nvidia-* wheels), so it comes from PyTorch's CPU index;
# where that index cannot be reached (an offline mirror, this project's CI: TORCH_INDEX= skips the
# attempt), pip's configured sources are used instead.
TORCH       ?= torch==2.13.0
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
MODE        ?= quick

.PHONY: install course test test-browser lint fuzz notebooks reproduce clean lab site

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(if $(TORCH_INDEX),$(PY) -m pip install --quiet --retries 0 --timeout 15 \
	    --index-url $(TORCH_INDEX) --extra-index-url https://pypi.org/simple "$(TORCH)" ||) \
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

# The tests and the quick course in a Colab-like environment instead of .venv: a Debian trixie chroot
# with Python 3.13, Colab's versions (envs/colab/versions.txt) and Debian's CPU torch, built from the
# package registries alone (about 2.5 GB, a few minutes, once). Needs root. See envs/colab/build.sh.
COLAB_ENV ?= build/colab-env
.PHONY: colab-env test-colab
colab-env:
	bash envs/colab/build.sh $(COLAB_ENV)

test-colab: colab-env
	bash envs/colab/run.sh $(COLAB_ENV) python -m pytest   # tests/ and notebooks/ (nbval, quick mode)

# The course as a website in build/site/: Sphinx, MyST-NB and sphinx-book-theme render the committed
# notebooks without running them (site/conf.py). Only pyproject.toml's `site` extra is installed
# (not torch nor the course's stack: nothing is executed), and nothing is fetched but those
# packages, so it builds offline from a fresh clone; no node. -W: a broken link fails the build.
$(VENV)/.site-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $$($(PY) -c "import tomllib; \
	    print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['site'])")
	touch $@

site: $(VENV)/.site-installed
	$(PY) -m sphinx -b html -c site -d build/site-doctrees -W --keep-going -q . build/site
	@echo "the site is in build/site/ (open build/site/index.html)"

# The course in a real browser: JupyterLab on 127.0.0.1 and headless Chromium open the committed
# notebooks, play notebook 03's players and move notebook 02's slider, and the recorder records a
# RAVDESS clip from Chromium's fake microphone (test_recorder.py; skips without the data). Needs
# Debian's chromium and chromium-driver (apt-get install chromium chromium-driver); without them
# every test skips. The website's pages are checked too (test_site.py), so the site is built first.
test-browser: install site
	$(PY) -m pip install --quiet -e ".[browser]"
	$(PY) -m pytest tests_browser

lint: install
	$(PY) -m ruff check bcser_utils tests

# The generated hostile tests with many more examples (tests/test_hostile.py; `make test` runs a
# fixed-seed slice of them).
fuzz: install
	BCSER_FUZZ_EXAMPLES=2000 $(PY) -m pytest tests/test_hostile.py -q -p no:cacheprovider --hypothesis-show-statistics

# Re-execute the committed notebooks in place (outputs kept, volatile metadata stripped).
notebooks: install
	BCSER_MODE=$(MODE) $(PY) -m bcser_utils.course --inplace

# Student copies of the notebooks (no outputs, solutions hidden) in clean/; commit them.
.PHONY: clean-notebooks
clean-notebooks: install
	$(PY) -m bcser_utils.course --clean

# Grading with nbgrader (the optional extra teach; TEACHING.md): `make assignment` writes the
# student assignments, build/assignment/student/NN_*.ipynb to hand out (locked checks, solutions
# hidden), and keeps nbgrader's course folder beside them; `make grade SUBMISSIONS=dir` runs each
# submitted notebook (dir/<student>/NN_name.ipynb or dir/<student>_NN_name.ipynb) in quick mode
# and writes one row per student, one column per exercise and the total into $(GRADES).
.PHONY: assignment grade
GRADES ?= build/grades.csv
GRADE_TIMEOUT ?= 600
assignment: install
	$(PY) -c "import nbgrader" 2>/dev/null || $(PY) -m pip install --quiet -e ".[teach]"
	$(PY) -m bcser_utils.grading assignment --out build/assignment

grade: install
	$(PY) -c "import nbgrader" 2>/dev/null || $(PY) -m pip install --quiet -e ".[teach]"
	$(PY) -m bcser_utils.grading grade "$(SUBMISSIONS)" --out "$(GRADES)" --timeout $(GRADE_TIMEOUT)

# The paper-scale pipeline end to end (P1, then P3 fold 0), resumable: runs/reproduce-full/.
REPRODUCE_MODE ?= full
reproduce: install
	$(PY) -m bcser_utils reproduce --mode $(REPRODUCE_MODE)

# Notebook 09's full study, remade by the commands results/README.md lists, in their order; every
# run resumes from its checkpoint, so an interrupted `make study` picks up where it stopped.
# `make -j2 study` runs two processes at a time, one torch thread each, as the committed study did:
# about 2.8 h on 2 CPU cores (benchmarks/README.md). Output: runs/generalize-full/, then the summary in
# results/generalize-full.json and the default model shipped from it.
STUDY    := $(PY) -m bcser_utils generalize --mode full
STUDY_1T := $(STUDY) --threads 1
STUDY_SEED0 := paper speaker-norm log-floor two-sided utterance-norm no-augmentation weight-decay \
               plateau narrow
STUDY_SEED1 := paper speaker-norm log-floor weight-decay two-sided
.PHONY: study study-baselines study-ablation study-final-bc study-final study-refit
study-baselines: install
	$(STUDY) --baselines
study-seed0-%: study-baselines
	$(STUDY_1T) --seeds 0 --recipes $*
study-seed1-%: study-baselines
	$(STUDY_1T) --seeds 1 --recipes $*
study-ablation: $(addprefix study-seed0-,$(STUDY_SEED0)) $(addprefix study-seed1-,$(STUDY_SEED1))
# the tail stays two processes wide: one per seed, then the AC folds in two halves, then one
# refit per seed (each run alone is one thread, so the split changes no number)
study-final-bc-seed%: study-ablation
	$(STUDY_1T) --seeds $* --selection-seeds 0 1 --final
study-final-bc: study-final-bc-seed0 study-final-bc-seed1
study-final-ac-%: study-final-bc
	$(STUDY_1T) --seeds 0 --selection-seeds 0 1 --final --signal ac --folds $(subst _, ,$*)
study-final: study-final-ac-0_1_2 study-final-ac-3_4
study-refit-seed0: study-final
	$(STUDY_1T) --seeds 0 --selection-seeds 0 1 --refit --refit-single
study-refit-seed1: study-final
	$(STUDY_1T) --seeds 1 --selection-seeds 0 1 --refit
study-refit: study-refit-seed0 study-refit-seed1
study: study-refit
	$(STUDY) --selection-seeds 0 1 --summary --ship --pages

clean:
	rm -rf build .pytest_cache

# JupyterLab on this machine: the notebooks are trusted first (an untrusted notebook's audio players
# are stripped by the sanitiser until it is re-run). DIR=clean opens the students' copies.
DIR ?= notebooks
lab: install
	$(PY) -m pip install --quiet -e ".[lab]"
	$(VENV)/bin/jupyter trust $(DIR)/*.ipynb
	$(VENV)/bin/jupyter lab $(DIR)
