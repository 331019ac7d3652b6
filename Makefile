# mlplatform-cdktf: two commands on a fresh machine.
#   make synth   installs what it needs, validates the config, synthesizes every stack into cdktf.out/
#   make test    installs what it needs, runs the whole test suite
# Python deps come from Pipfile.lock (Pipenv, .venv in the project); the cdktf CLI and Node 22 from
# package-lock.json (node_modules/.bin is put first on PATH, so jsii and the CLI run on Node 22).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
PIPENV_VERSION := 2026.10.3
USER_BIN := $(shell $(PYTHON) -c 'import site; print(site.USER_BASE)' 2>/dev/null)/bin

export PATH := $(CURDIR)/node_modules/.bin:$(USER_BIN):$(PATH)
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export PIPENV_NOSPIN := 1
export PIPENV_IGNORE_VIRTUALENVS := 1
export CHECKPOINT_DISABLE := 1
export CDKTF_DISABLE_PLUGIN_CACHE_ENV := 1

PIPENV := $(PYTHON) -m pipenv
BENCH_RUNS ?= 3

.PHONY: help install synth test check bench snapshot-update scan clean

help:
	@echo "make synth   install, validate config/environments.yaml, synthesize every stack into cdktf.out/"
	@echo "make test    install, run the whole test suite"
	@echo "make check   validate the config only (MLPLATFORM_CONFIG, MLPLATFORM_ENVIRONMENTS apply)"
	@echo "make scan    synthesize, then checkov (offline) over every stack"
	@echo "make snapshot-update   regenerate tests/__snapshots__/ after an intended change"
	@echo "make bench   time synthesis: stock vs lazy provider loading, 1/3/12 environments"

.venv/.synced: Pipfile.lock
	@$(PIPENV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user "pipenv==$(PIPENV_VERSION)"
	$(PIPENV) sync --dev
	@touch $@

node_modules/.synced: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: .venv/.synced node_modules/.synced

check: .venv/.synced
	@$(PIPENV) run python main.py --check

# Validate first: a config mistake exits 2 with one clean line per problem, cdktf.out/ untouched.
synth: install check
	cdktf synth

test: install
	$(PIPENV) run pytest

snapshot-update: install
	$(PIPENV) run pytest tests/test_snapshots.py --snapshot-update

# checkov, offline, over every synthesized stack (.checkov.yaml: framework, skips with reasons).
scan: synth
	$(PIPENV) run checkov -d cdktf.out/stacks --config-file .checkov.yaml

bench: install
	$(PIPENV) run python -m tests.benchmark --runs $(BENCH_RUNS)

clean:
	rm -rf cdktf.out .pytest_cache
