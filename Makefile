# mlplatform-cdktf: two commands on a fresh machine.
#   make synth   installs what synthesis needs, validates the config, synthesizes every stack into cdktf.out/
#   make test    installs everything (test tools and scanner too), runs the whole test suite
# Python deps come from Pipfile.lock (Pipenv, .venv in the project); the cdktf CLI and Node 22 from
# package-lock.json. `cdktf` here is node_modules/.bin/cdktf, i.e. ops/cdktf: the real CLI with
# telemetry off, Node 22 first on PATH and the config checked first (exit 2 on a mistake).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
PIPENV_VERSION := 2026.10.3
# Pipenv lives in its own small venv in the project: `pip install --user` is refused by "externally
# managed" Pythons (Debian, Homebrew), and a venv needs nothing but the interpreter.
PIPENV_HOME := .tools/pipenv

export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export PIPENV_NOSPIN := 1
export PIPENV_IGNORE_VIRTUALENVS := 1
export CHECKPOINT_DISABLE := 1
export CDKTF_DISABLE_PLUGIN_CACHE_ENV := 1

PIPENV := $(PIPENV_HOME)/bin/pipenv
VENV_PYTHON := .venv/bin/python
STEP := ops/step.sh
BENCH_RUNS ?= 3

# Deploy flow: ENV names one environment of the config; PROJECT narrows it to one of its projects
# (docs/projects.md; passed as MLPLATFORM_PROJECTS); LAYER (azure, databricks or serving) to one layer, i.e. that
# layer's stack of every selected project; AUTO_APPROVE=1 skips the CLI's own confirmation (CI); CONFIRM=<env>
# (CONFIRM=<env>/<project> with PROJECT) answers `make destroy`. ENV, PROJECT and LAYER count only when given on the
# command line: ENV is also a shell startup variable, and PROJECT a name shells and other tools set for their own use.
# PROJECT in the environment would be ignored, and a target meant for one project would act on every project of the
# environment (`PROJECT=fraud make destroy ENV=dev` destroying churn's stacks too): refused by every target that acts on
# stacks, as is an empty PROJECT= on the command line (a value lost on its way, as a script's variable that came out
# empty) by every target.
# Only targets that act on an environment's stacks refuse it: `make synth` and `make test` ignore PROJECT.
PROJECT_TARGETS := deploy diff plan apply output destroy drift rotate preflight smoke agent-probe
ifneq ($(filter environment%,$(origin PROJECT)),)
ifneq ($(filter $(PROJECT_TARGETS),$(MAKECMDGOALS)),)
$(error PROJECT='$(PROJECT)' is set in the environment, where make does not take it: a target meant for one project would act on every project of the environment; unset it (env -u PROJECT make ...) and give PROJECT=<name> on make's command line for one project)
endif
endif
ifeq ($(origin PROJECT):$(strip $(PROJECT)),command line:)
$(error PROJECT is empty on the command line: give PROJECT=<name> for one project, or leave PROJECT= out for every project of the environment)
endif
override ENV := $(if $(filter command line,$(origin ENV)),$(ENV))
override PROJECT := $(if $(filter command line,$(origin PROJECT)),$(PROJECT))
override LAYER := $(if $(filter command line,$(origin LAYER)),$(LAYER))
AUTO_APPROVE ?=
CONFIRM ?=

.PHONY: help install install-dev synth test lint check docs bench snapshot-update scan clean providers validate \
        deploy diff output destroy bootstrap preflight smoke agent-probe require-env require-layer require-passphrase \
        require-project plan apply

help:
	@echo "make synth   install, validate config/environments.yaml, synthesize every stack into cdktf.out/"
	@echo "make test    install (with test tools), lint (ruff, mypy), run the whole test suite"
	@echo "make lint    ruff check, ruff format --check, mypy"
	@echo "make check   validate the config only (MLPLATFORM_CONFIG, MLPLATFORM_ENVIRONMENTS apply)"
	@echo "make deploy ENV=dev [LAYER=azure|databricks|serving] [AUTO_APPROVE=1]   deploy one environment (azure first)"
	@echo "   PROJECT=churn   only that project of the environment (deploy, diff, plan, apply, output, destroy,"
	@echo "                   preflight, smoke; drift, rotate); without it, every project of the environment"
	@echo "make diff ENV=dev [LAYER=...]        plan one environment's stacks without changing anything"
	@echo "make plan ENV=dev LAYER=azure        save that layer's plan of each project, sealed with PLAN_PASSPHRASE, into plans/"
	@echo "make apply ENV=dev LAYER=azure       apply exactly those saved plans (no new plan; refused if stale)"
	@echo "make output ENV=dev                  print one environment's stack outputs"
	@echo "make preflight ENV=dev               ask the workspace what a plan cannot check (credentials needed; read-only)"
	@echo "make smoke ENV=dev                   after a deploy: entitlements, scope, jobs' identity, endpoint (read-only)"
	@echo "make agent-probe ENV=staging         print the token probe to run on an agent host (azure-msi)"
	@echo "make destroy ENV=dev [CONFIRM=dev]   destroy one environment, every project of it (asks for its name)"
	@echo "   PROJECT=fraud [CONFIRM=dev/fraud]   only that project's stacks (asks for dev/fraud)"
	@echo "make bootstrap       deploy the Terraform Cloud bootstrap stack (<prefix>-tfc), once, first"
	@echo "make scan    synthesize, then checkov (offline) over every stack"
	@echo "make providers   the pinned providers into the mirror in ~/.cache (PROVIDER_SOURCE=source|registry|cache)"
	@echo "make validate    synthesize, then terraform validate of every stack with the pinned providers"
	@echo "make snapshot-update   regenerate tests/__snapshots__/ after an intended change"
	@echo "make rotate [ENV=prod]               the rotation heartbeat by hand: deploy the azure stack (every env if unset)"
	@echo "make drift [ENV=prod]                fail naming each stack whose plan is not empty (every env if unset)"
	@echo "make install       install what synthesis needs (make synth does it first); make install-dev: and the test tools"
	@echo "make clean         remove cdktf.out/ and .pytest_cache/"
	@echo "make docs    regenerate the config reference in docs/configuration.md from config/*.py"
	@echo "make workflows   regenerate .github/workflows/deploy.yml and maintenance.yml from the config"
	@echo "make workflows-check   fail when a generated workflow differs from the config"
	@echo "make lint-workflows    actionlint and zizmor over .github/workflows/"
	@echo "make ci-environments   the environments in order, with execution mode and stacks, as JSON (for CI)"
	@echo "make bench   time synthesis: stock vs lazy provider loading, 1/3/12 environments"

$(PIPENV):
	@$(STEP) "installing Pipenv $(PIPENV_VERSION) into $(PIPENV_HOME)/ for $(PYTHON)" \
	  bash -c '$(PYTHON) -m venv $(PIPENV_HOME) && $(PIPENV_HOME)/bin/pip install --quiet "pipenv==$(PIPENV_VERSION)"'

# Runtime packages only: what `make synth` and the deploy targets need.
.venv/.synced-runtime: Pipfile.lock | $(PIPENV)
	@$(STEP) "installing the Python packages of Pipfile.lock into .venv/ (first time: 1-3 min, 0.5 GB)" \
	  $(PIPENV) sync
	@touch $@

# Runtime and development packages (pytest, syrupy, checkov): what `make test` needs.
.venv/.synced-dev: Pipfile.lock .venv/.synced-runtime
	@$(STEP) "installing the test tools, scanner and linters of Pipfile.lock into .venv/ (first time: about 1 min, 0.35 GB)" \
	  $(PIPENV) sync --dev
	@touch $@

node_modules/.synced: package-lock.json package.json
	@$(STEP) "installing the cdktf CLI and Node 22 of package-lock.json into node_modules/ (first time: about 1 min)" \
	  npm ci --no-audit --no-fund
	@touch $@

install: .venv/.synced-runtime node_modules/.synced
install-dev: .venv/.synced-dev node_modules/.synced

check: .venv/.synced-runtime
	@$(VENV_PYTHON) main.py --check

# Validate first: a config mistake exits 2 with one clean line per problem, cdktf.out/ untouched.
synth: install check
	cdktf synth

test: install-dev lint
	$(VENV_PYTHON) -m pytest

# ruff (lint, import order, formatting) and mypy over the app's code; configured in ruff.toml and mypy.ini.
lint: install-dev
	$(VENV_PYTHON) -m ruff check .
	$(VENV_PYTHON) -m ruff format --check .
	$(VENV_PYTHON) -m mypy

snapshot-update: install-dev
	$(VENV_PYTHON) -m pytest tests/test_snapshots.py --snapshot-update

# checkov, offline, over every synthesized stack (.checkov.yaml: framework, no skips).
scan: install-dev synth
	.venv/bin/checkov -d cdktf.out/stacks --config-file .checkov.yaml

# The real providers (docs/proof.md: What the providers check): the versions the synthesized stacks pin,
# in a filesystem mirror outside the checkout (MLPLATFORM_PROVIDER_CACHE, default ~/.cache/mlplatform-cdktf/
# providers), from PROVIDER_SOURCE: `source` (built with Go from the Go module proxy), `registry`
# (the Terraform registry) or `cache` (only what is there); MLPLATFORM_PROVIDER_SOURCE in the
# environment sets it for the tests too. `make test` runs the same checks.
PROVIDER_SOURCE ?= $(or $(MLPLATFORM_PROVIDER_SOURCE),source)

providers: synth
	$(VENV_PYTHON) -m proof.provider_mirror --source $(PROVIDER_SOURCE) --stacks cdktf.out

validate: synth
	$(VENV_PYTHON) -m proof.terraform_check --source $(PROVIDER_SOURCE) --stacks cdktf.out

# The config reference (docs/configuration.md) is generated from config/*.py (tests/test_readme.py checks it).
docs: .venv/.synced-runtime
	$(VENV_PYTHON) -m generators.config_reference

bench: install
	$(VENV_PYTHON) -m proof.benchmark --runs $(BENCH_RUNS)

# --- deploy flow (docs/deploying.md): one environment at a time, its stacks in dependency order ---

require-env: install
	@if [ -z "$(ENV)" ]; then echo "error: ENV is required, e.g. make $(MAKECMDGOALS) ENV=dev" >&2; exit 2; fi
	@case '$(ENV)' in *[!a-z0-9]*) echo "error: ENV names one environment (got '$(ENV)'); deploy them one at a time, in order" >&2; exit 2;; esac
	@$(CHECK_PROJECT)
	@case '$(LAYER)' in ''|azure|databricks|serving) ;; *) echo "error: LAYER must be azure, databricks or serving (got '$(LAYER)')" >&2; exit 2;; esac
	@$(SELECT) $(VENV_PYTHON) main.py --check --quiet --deploying
	@for variable in $(DATABRICKS_SHADOWING); do \
	  if [ -n "$${!variable:-}" ]; then \
	    echo "error: $$variable is set: the Databricks provider would authenticate with it before any Entra ID method, and a Key Vault-backed secret scope can only be created with an Entra ID token; unset it (docs/credentials.md)" >&2; exit 2; \
	  fi; \
	done
	@case "$${DATABRICKS_AUTH_TYPE:-}" in ''|azure-cli|azure-msi|github-oidc-azure|azure-client-secret) ;; \
	  *) echo "error: DATABRICKS_AUTH_TYPE=$$DATABRICKS_AUTH_TYPE is not an Entra ID method (azure-cli, azure-msi, github-oidc-azure, azure-client-secret): a Key Vault-backed secret scope needs an Entra ID token" >&2; exit 2;; esac

# For the targets that take PROJECT without ENV (drift, rotate): checked before anything runs.
require-project:
	@$(CHECK_PROJECT)

# Variables that make databricks-sdk-go v0.93.0 (config/auth_default.go: pat, basic, oauth-m2m, ... come before
# every Azure method; config/config.go names the variables) pick a Databricks credential over Entra ID.
DATABRICKS_SHADOWING := DATABRICKS_TOKEN DATABRICKS_USERNAME DATABRICKS_PASSWORD DATABRICKS_CLIENT_ID \
  DATABRICKS_CLIENT_SECRET DATABRICKS_CONFIG_PROFILE DATABRICKS_METADATA_SERVICE_URL DATABRICKS_OIDC_TOKEN_ENV \
  DATABRICKS_OIDC_TOKEN_FILEPATH

# Entra ID through the Azure CLI unless the caller chose another Entra method (CI sets github-oidc-azure;
# agents' provider blocks pin azure-msi): without an auth type the SDK would also try a cached
# `databricks auth login` token (databricks-cli, before every Azure method), which no variable reveals.
export DATABRICKS_AUTH_TYPE ?= azure-cli

# The selection every command of the deploy flow runs with: the environment, and the project when one is named
# (config/loader.py reads both; an unknown project is a config error naming the environment's projects).
SELECT = MLPLATFORM_ENVIRONMENTS='$(ENV)'$(if $(PROJECT), MLPLATFORM_PROJECTS='$(PROJECT)')
# A project's name follows the rule of an environment's (config/projects.py): one name, never a list.
CHECK_PROJECT = case '$(PROJECT)' in *[!a-z0-9]*) echo "error: PROJECT names one project of the environment, in lowercase letters and digits (got '$(PROJECT)'); leave it out for every project" >&2; exit 2;; esac
STACKS = $(shell $(SELECT) $(VENV_PYTHON) main.py --stacks $(LAYER))
# One layer alone: the other layer's stack is not in the command (its state is read, not changed),
# which the CLI refuses unless told; both layers together keep the CLI's dependency check.
APPROVE = $(if $(filter 1 true yes,$(AUTO_APPROVE) $(CI)),--auto-approve)
ONE_LAYER = $(if $(LAYER),--ignore-missing-stack-dependencies)

deploy: require-env
	$(SELECT) cdktf deploy $(STACKS) $(APPROVE) $(ONE_LAYER)

diff: require-env
	$(SELECT) cdktf synth
	for stack in $(STACKS); do $(SELECT) cdktf diff --skip-synth "$$stack"; done

# The reviewed plan is the applied plan (docs/ci-cd.md: Approve, then apply): `plan` saves the plan of the layer's
# stack of every selected project, each on its own: shown in its own section, sealed into plans/<stack>.tfplan.enc
# (the clear plan file holds the state's client passwords and is deleted); `apply` unseals each of those files in
# its stack folder and applies exactly it, with no plan of its own, skipping a stack whose plan had no changes.
# Both go through every stack even after one fails (one project's failing plan must not stop the others' plans and
# applies, their rotation included), name the ones that failed at the end and then fail (ops/saved_plan.sh). Both
# need PLAN_PASSPHRASE; both synthesize once, at the commit checked out (`terraform init` needs the folders).
PLAN_DIR := plans
SAVED_PLAN = ops/saved_plan.sh $(1) $(PLAN_DIR) $(addprefix cdktf.out/stacks/,$(STACKS))

require-layer:
	@if [ -z "$(LAYER)" ]; then echo "error: LAYER is required: a saved plan is one stack's, e.g. make $(MAKECMDGOALS) ENV=dev LAYER=azure" >&2; exit 2; fi

# Before any install or synthesis: without the passphrase the plan could not be sealed (nor the apply unseal it).
require-passphrase:
	@if [ -z "$${PLAN_PASSPHRASE:-}" ]; then echo "error: PLAN_PASSPHRASE is not set: the passphrase saved plans are sealed with (docs/ci-cd.md: One-time set-up, PLAN_ENCRYPTION_KEY)" >&2; exit 2; fi

plan: require-layer require-passphrase require-env
	$(SELECT) cdktf synth
	$(call SAVED_PLAN,plan)

apply: require-layer require-passphrase require-env
	$(SELECT) cdktf synth
	$(call SAVED_PLAN,apply)

output: require-env
	$(SELECT) cdktf output $(STACKS)

# Read-only checks with the Databricks SDK for Python and the same Entra ID method as the deploy
# (docs/deploying.md: Preflight): the workspace answers, the Unity Catalog securables, served aliases and
# versions exist, the deployer holds what it uses and may grant what the plan grants. Exit 2 on a problem.
preflight: require-env
	$(SELECT) $(VENV_PYTHON) -m ops.preflight

# The one command that shows, on an agent host, whether the agents' identity gets its Databricks token.
agent-probe: install
	@if [ -z "$(ENV)" ]; then echo "error: ENV is required, e.g. make agent-probe ENV=staging" >&2; exit 2; fi
	@MLPLATFORM_ENVIRONMENTS='$(ENV)' $(VENV_PYTHON) -m ops.agent_probe

# After a deploy: what a plan cannot see (entitlements removed by hand, the scope reading the vault,
# the jobs' identity, the endpoint's readiness); read-only, as preflight.
smoke: require-env
	$(SELECT) $(VENV_PYTHON) -m ops.preflight --after-deploy

# PROJECT=<name>: that project's stacks only (every other project's stays), confirmed by typing `<env>/<project>`;
# without it, every stack of the environment, confirmed by typing its name: with projects, the question names every
# one of them (their stacks are all destroyed). Two answers, so that neither stands in for the other.
CONFIRM_AS = $(ENV)$(if $(PROJECT),/$(PROJECT))
PROJECTS_OF_ENV = $(shell MLPLATFORM_ENVIRONMENTS='$(ENV)' $(WORKFLOW_TOOL) --environments | \
  $(VENV_PYTHON) -c 'import json, sys; print(", ".join(json.load(sys.stdin)[0]["projects"]))')
DESTROYED = $(if $(PROJECT),project '$(PROJECT)' of )environment '$(ENV)'$(if $(PROJECT),,$(if \
  $(PROJECTS_OF_ENV),$(comma) the stacks of every one of its projects: $(PROJECTS_OF_ENV))) ($(STACKS))
comma := ,

destroy: require-env
	@answer='$(CONFIRM)'; if [ -z "$$answer" ] && [ ! -t 0 ]; then echo "error: no terminal to confirm on; pass CONFIRM=$(CONFIRM_AS)" >&2; exit 2; fi; \
	if [ -z "$$answer" ]; then read -r -p "Destroy every resource of $(DESTROYED)? Type $(if $(PROJECT),$(CONFIRM_AS),the environment's name) to confirm: " answer; fi; \
	if [ "$$answer" != '$(CONFIRM_AS)' ]; then echo "not confirmed; nothing destroyed" >&2; exit 1; fi
	$(SELECT) cdktf destroy $(STACKS) $(APPROVE) $(ONE_LAYER)

bootstrap: install check
	@$(VENV_PYTHON) main.py --check --quiet --deploying
	@stack="$$($(VENV_PYTHON) main.py --bootstrap-stack)"; \
	echo "cdktf deploy $$stack $(APPROVE)"; cdktf deploy "$$stack" $(APPROVE)

clean:
	rm -rf cdktf.out .pytest_cache

# --- CI ------------------------------------------------------------------------------------------
# Targets the GitHub Actions workflows run (docs/ci-cd.md); a person can run them the same way.
# The workflows in .github/workflows/ (except pull-request.yml) are generated from the config.
WORKFLOW_TOOL := $(VENV_PYTHON) -m generators.generate_workflows

.PHONY: ci-environments workflows workflows-check lint-workflows rotate drift

ci-environments: .venv/.synced-runtime ## the configured environments in order, with execution mode and stacks, as JSON
	@$(WORKFLOW_TOOL) --environments

workflows: .venv/.synced-runtime ## rewrite the generated workflows from the config
	$(WORKFLOW_TOOL)

workflows-check: .venv/.synced-runtime ## fail when a generated workflow is out of date with the config
	$(WORKFLOW_TOOL) --check

lint-workflows: .venv/.synced-dev   ## actionlint (pinned, built with Go) and zizmor (offline) on the workflows
	$(VENV_PYTHON) -m proof.actionlint .github/workflows/*.yml
	.venv/bin/zizmor --offline --no-progress .github/workflows/

# The rotation heartbeat: a plan of the azure stack is what replaces a client secret whose
# rotation is due. ENV=<env> for one environment, every environment when unset; PROJECT=<name> for one project.
rotate: require-project install
	@envs="$(ENV)"; [ -n "$$envs" ] || envs="$$($(VENV_PYTHON) main.py --environments)"; \
	for env in $$envs; do $(MAKE) --no-print-directory deploy ENV=$$env LAYER=azure$(if $(PROJECT), PROJECT=$(PROJECT)); done

# Drift: every stack of ENV (every environment when unset; of PROJECT only, when set) must plan to no change.
# Terraform's -detailed-exitcode says 2 when it would change something; the stack is named and the target fails.
drift: require-project synth
	@stacks="$$($(if $(ENV),MLPLATFORM_ENVIRONMENTS='$(ENV)' )$(if $(PROJECT),MLPLATFORM_PROJECTS='$(PROJECT)' )$(VENV_PYTHON) main.py --stacks)"; drifted=""; \
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
