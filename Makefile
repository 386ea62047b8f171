# Two commands for a newcomer (see README.md):
#   make book   set up what building needs, then build the HTML book into _build/html
#   make test   set everything up, then run every test (what CI runs)
SHELL := /bin/bash
PYTHON ?= python3
# Colab's Python (requirements-colab.txt): the first python3.13 that runs (on PATH
# or installed by pyenv), else python3, which works too, less faithfully.
ifndef COLAB_PYTHON
COLAB_PYTHON := $(firstword $(foreach p,python3.13 $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) 	$(PYTHON),$(if $(shell $(p) -c 'print(1)' 2>/dev/null),$(p))))
endif
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
BOOK_STAMP := $(VENV)/.installed-book
STAMP := $(VENV)/.installed
COLAB_VENV := .venv-colab
COLAB_STAMP := $(COLAB_VENV)/.installed
NB ?=
SCALE ?= 2
BACKEND ?= tensorflow
# Debian's Chromium for the browser tests; BNBOOK_CHROMIUM names another one.
CHROMIUM ?= $(or $(BNBOOK_CHROMIUM),/usr/bin/chromium)
# The course package's own tests, which run under every Keras backend.
PACKAGE_TESTS := $(filter-out tests/test_notebooks.py tests/test_exercise_set.py tests/test_colab.py \
	tests/test_translations.py \
	tests/test_kernel_noise.py \
	tests/test_scripts.py tests/test_cpu_numerics.py,$(wildcard tests/test_*.py))
# Strict nbval in two shards, each pinned to one CPU core: the stored outputs must
# reproduce on one core (they were made on two), and the shards run side by side.
NBVAL := $(BIN)/python -m pytest --nbval --nbval-sanitize-with tests/sanitize.cfg \
	--nbval-cell-timeout=600
SHARD_0 := chapters/05_why_bn_helps.ipynb chapters/01_normalizing_data.ipynb \
	chapters/02_activation_drift.ipynb chapters/04_batchnorm_in_keras.ipynb
SHARD_1 := chapters/08_pitfalls_and_alternatives.ipynb chapters/07_finetuning_with_bn.ipynb \
	chapters/06_where_to_put_bn.ipynb chapters/03_batchnorm_from_scratch.ipynb
CPUS := $(shell $(PYTHON) -c "import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[-1])")
PIN_CORE = $(if $(shell command -v taskset),taskset -c $(word $(1),$(CPUS)),)

.PHONY: setup book-setup colab-setup browser-deps book book-ru translations ru-follows test lint unit unit-backends notebooks \
	nbval-0 nbval-1 notebooks-jax notebooks-colab build-check browser execute benchmark scale \
	gpu-wheels clean

setup: $(STAMP)
book-setup: $(BOOK_STAMP)
colab-setup: $(COLAB_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) pip==26.3

# What building the book needs, and no more (make book).
$(BOOK_STAMP): requirements-book.txt | $(BIN)/python
	$(PIP) -r requirements-book.txt
	touch $@

# Everything the tests need (make test): the same pins and more, plus the
# course package in editable mode. Rebuilt when the pins or the metadata change.
$(STAMP): requirements.txt requirements-book.txt pyproject.toml | $(BIN)/python
	$(PIP) -r requirements.txt
	$(PIP) --no-deps -e .
	touch $@ $(BOOK_STAMP)

# Colab's runtime (requirements-colab.txt) plus what each chapter's Colab cell
# installs (the book's Keras and `executing`, then the package, from this
# working tree instead of the release tag), and a Jupyter kernel for it.
$(COLAB_STAMP): requirements-colab.txt $(STAMP) $(wildcard code/bnbook/*.py code/bnbook/*/*.py)
	test -x $(COLAB_VENV)/bin/python || $(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
	  -r requirements-colab.txt
	$(COLAB_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
	  $$($(BIN)/python code/scripts/notebooks.py colab-extras) .
	$(COLAB_VENV)/bin/python -m ipykernel install --prefix $(COLAB_VENV) --name bnbook-colab \
	  --display-name "Python (Colab's packages)" >/dev/null
	touch $@

browser-deps:
	@test -x $(CHROMIUM) || command -v chromium >/dev/null || ( \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium)

# The English book into _build/html, then the Russian edition (ru/) into
# _build/html/ru: two Sphinx projects, each with its own search and contents.
book: book-setup
	$(BIN)/jupyter-book build . -W -n --keep-going
	$(MAKE) --no-print-directory book-ru
	@echo "The book is in _build/html; open _build/html/index.html in a browser."

book-ru: book-setup
	$(BIN)/jupyter-book build ru --path-output _build/ru -W -n --keep-going
	rm -rf _build/html/ru
	cp -r _build/ru/_build/html _build/html/ru

# After editing English text: bring the Russian catalogues (locale/ru) in step,
# write ru/ and colab/ru from them (English where a translation is missing or
# stale), and list what is left to translate (see README, "The Russian edition").
translations: setup
	$(BIN)/python code/scripts/translations.py update
	$(BIN)/python code/scripts/translations.py render --draft >/dev/null
	$(BIN)/python code/scripts/translations.py check

lint: setup
	$(BIN)/ruff check code tests chapters
	$(BIN)/actionlint -shellcheck=$(BIN)/shellcheck .github/workflows/*.yml

unit: setup
	$(BIN)/python -m pytest tests --ignore=tests/browser

# The package's unit tests again under JAX and PyTorch (TensorFlow ran above).
unit-backends: setup
	KERAS_BACKEND=jax $(BIN)/python -m pytest -p no:cacheprovider $(PACKAGE_TESTS)
	KERAS_BACKEND=torch $(BIN)/python -m pytest -p no:cacheprovider $(PACKAGE_TESTS)

# Strict nbval: every stored output of every chapter must reproduce. The CPU
# is printed first: one CPU model is known to differ in the last digits (README).
notebooks: setup
	@echo "CPU: $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')," \
	  "family $$(grep -m1 'cpu family' /proc/cpuinfo | tr -dc 0-9)," \
	  "model $$(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | tr -dc 0-9);" \
	  "$$(lscpu 2>/dev/null | grep -E '^L1d|^L2' | tr -s ' ' | paste -sd ';')"
	$(MAKE) --no-print-directory -j2 --output-sync=target nbval-0 nbval-1

nbval-0 nbval-1: setup
	$(call PIN_CORE,$(if $(filter nbval-0,$@),1,2)) $(NBVAL) \
	  $(if $(filter nbval-0,$@),$(SHARD_0),$(SHARD_1))

# Every chapter executed under JAX at book scale: no error, and every claim
# holds (outputs not compared: the stored ones are TensorFlow's).
notebooks-jax: setup
	$(BIN)/python code/scripts/scale.py --scale 1 --backend jax --jobs 2 --strict-claims \
	  --timeout 900

# Every chapter executed in Colab's runtime: no error; claims are evaluated and
# reported (outputs not compared: other versions give slightly other numbers).
notebooks-colab: setup colab-setup
	JUPYTER_PATH=$(CURDIR)/$(COLAB_VENV)/share/jupyter $(BIN)/python code/scripts/scale.py \
	  --scale 1 --backend tensorflow --kernel bnbook-colab --jobs 2 --timeout 900 \
	  --results _build/colab/results.json

# A clean build with warnings as errors.
build-check: setup
	rm -rf _build/html _build/.doctrees _build/jupyter_execute _build/ru
	$(BIN)/jupyter-book build . -W -n --keep-going
	$(MAKE) --no-print-directory book-ru

# The built HTML in a real browser: errors, math, figures, accessibility,
# links, navigation, search; screenshots land in _build/screenshots.
browser: setup browser-deps
	BNBOOK_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest tests/browser

test: lint unit unit-backends notebooks notebooks-jax notebooks-colab build-check browser

# Re-execute notebooks (NB="chapters/01_normalizing_data.ipynb"; default all)
# and store them in canonical form.
# The Russian chapters follow: same code and outputs, the catalogues' prose.
execute: setup
	$(BIN)/python code/scripts/notebooks.py execute $(NB)
	$(MAKE) --no-print-directory ru-follows

# Per-notebook execution time, kernel start included: stores no notebook, but
# the times in results/benchmark.json and the chapters' "Time" lines from them.
benchmark: setup
	$(BIN)/python code/scripts/notebooks.py benchmark $(NB)
	$(BIN)/python code/scripts/notebooks.py times
	$(MAKE) --no-print-directory ru-follows

# After the English chapters changed by script: catalogues in step (a new whole
# number is carried over by itself), ru/ and colab/ru rewritten.
ru-follows: setup
	$(BIN)/python code/scripts/translations.py update >/dev/null
	$(BIN)/python code/scripts/translations.py render --draft >/dev/null

# Every chapter at a larger scale with papermill (SCALE=2 BACKEND=jax NB=...):
# per-chapter time and claims in _build/scale/<backend>-<scale>/results.json.
scale: setup
	$(BIN)/python code/scripts/scale.py --scale $(SCALE) --backend $(BACKEND) $(NB)

# Wheels for the GPU machine (git-ignored .whl/), see code/scripts/gpu_suite.sh.
gpu-wheels: setup
	bash code/scripts/gpu_wheels.sh

clean:
	rm -rf _build
