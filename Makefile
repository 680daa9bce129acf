# Two entry points, both safe to run twice on a fresh Debian machine with Python 3.11:
#   make demo   set up, generate demo footage into examples/footage/, scan it into examples/case/
#   make test   set up, run the test suite
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := ffmpeg poppler-utils libharfbuzz-subset0 fonts-dejavu-core chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export TF_USE_LEGACY_KERAS := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: setup apt demo test lint bench model

setup: apt $(VENV)/.installed

# Debian packages: installed only when one is missing.
apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# Virtual environment with every dependency pinned. pixellib and tf-keras go in without their
# declared dependencies (see requirements/lock.txt); the package itself goes in editable, no deps.
$(VENV)/.installed: requirements/lock.txt requirements/nodeps.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: Python 3.11 is required" >&2; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv; }
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/lock.txt
	$(PY) -m pip install -q --no-deps --force-reinstall -r requirements/nodeps.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

demo: setup
	$(PY) -m forensic synth demo --out examples/footage
	rm -rf examples/case
	$(VENV)/bin/forensic scan examples/footage --out examples/case --case-id DEMO-0001 --examiner "demo"
	@echo "case folder: examples/case (manifest.json, evidence.csv, segments.csv, findings.csv, report/report.html)"

test: setup lint
	$(PY) -m pytest -q --durations=15 tests

# one formatter and linter (ruff, configured in pyproject.toml)
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# the default model in models/default and the numbers README quotes for it (here, 2 cores: about
# 1 h 40 min to the default in place, 2 h 40 min to 3 h with Table 2; README, "The model")
model: setup
	$(PY) benchmarks/default_model.py

bench: setup
	$(PY) benchmarks/segments_vs_ffmpeg.py
	$(PY) benchmarks/features_timing.py
	$(PY) benchmarks/train_timing.py
	$(PY) benchmarks/pose_accuracy.py
	$(PY) benchmarks/scan_benchmark.py --model models/default
