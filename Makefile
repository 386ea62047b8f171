# Two commands for a newcomer (see README.md):
#   make book   set everything up, then build the HTML book into _build/html
#   make test   set everything up, then run every test (what CI runs)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NB ?=
SCALE ?= 2
BACKEND ?= tensorflow
# The course package's own tests, which run under every Keras backend.
PACKAGE_TESTS := $(filter-out tests/test_notebooks.py tests/test_colab.py tests/test_kernel_noise.py \
	tests/test_scripts.py,$(wildcard tests/test_*.py))

.PHONY: setup browser-deps book test lint unit unit-backends notebooks notebooks-jax build-check browser \
	execute benchmark scale gpu-wheels clean

setup: $(STAMP)

# The virtual environment is created once and reused; it is rebuilt when the
# pinned requirements or the package metadata change.
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip==26.3
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# Debian's Chromium for the browser tests (Playwright drives it; no browser
# download, which fails offline).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser-deps:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium)

book: setup
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is in _build/html; open _build/html/index.html in a browser."

lint: setup
	$(BIN)/ruff check code tests chapters

unit: setup
	$(BIN)/python -m pytest tests --ignore=tests/browser

# The package's unit tests again under JAX and PyTorch (TensorFlow ran above).
unit-backends: setup
	KERAS_BACKEND=jax $(BIN)/python -m pytest -p no:cacheprovider $(PACKAGE_TESTS)
	KERAS_BACKEND=torch $(BIN)/python -m pytest -p no:cacheprovider $(PACKAGE_TESTS)

# Strict nbval: every stored output of every chapter must reproduce.
notebooks: setup
	$(BIN)/python -m pytest --nbval --nbval-sanitize-with tests/sanitize.cfg --nbval-cell-timeout=600 chapters

# Every chapter executed under JAX at book scale: no error, every claim holds
# (outputs not compared: the stored ones are TensorFlow's).
notebooks-jax: setup
	$(BIN)/python code/scripts/scale.py --scale 1 --backend jax --timeout 900

# A clean build with warnings as errors.
build-check: setup
	rm -rf _build
	$(BIN)/jupyter-book build . -W -n --keep-going

# The built HTML in a real browser: errors, math, figures, accessibility,
# links, navigation, search; screenshots land in _build/screenshots.
browser: setup browser-deps
	$(BIN)/python -m pytest tests/browser

test: lint unit unit-backends notebooks notebooks-jax build-check browser

# Re-execute notebooks (NB="chapters/01_normalizing_data.ipynb"; default all)
# and store them in canonical form.
execute: setup
	$(BIN)/python code/scripts/notebooks.py execute $(NB)

# Per-notebook execution time, kernel start included; writes nothing back.
benchmark: setup
	$(BIN)/python code/scripts/notebooks.py benchmark $(NB)

# Every chapter at a larger scale with papermill (SCALE=2 BACKEND=jax NB=...):
# per-chapter time and claims in _build/scale/<backend>-<scale>/results.json.
scale: setup
	$(BIN)/python code/scripts/scale.py --scale $(SCALE) --backend $(BACKEND) $(NB)

# Wheels for the GPU machine (git-ignored .whl/), see code/scripts/gpu_suite.sh.
gpu-wheels: setup
	bash code/scripts/gpu_wheels.sh

clean:
	rm -rf _build
