"""The deploy flow's Makefile targets: what they would run (make -n), and their guards."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.helpers import DEPLOYABLE, ROOT, deployable_text

_DEPLOYABLE = Path(tempfile.mkdtemp(prefix="mlplatform-deployable-")) / "environments.yaml"
_DEPLOYABLE.write_text(deployable_text(), encoding="utf-8")
atexit.register(shutil.rmtree, _DEPLOYABLE.parent, True)  # made at import (make() needs it), gone at exit
"""A team's config (the default without its placeholders): the deploying targets refuse placeholders."""


def _two_projects_text() -> str:
    text = (ROOT / "config" / "examples" / "two-projects.yaml").read_text(encoding="utf-8")
    for placeholder, own in DEPLOYABLE:
        text = text.replace(placeholder, own)
    return text


TWO_PROJECTS = _DEPLOYABLE.parent / "two-projects.yaml"
TWO_PROJECTS.write_text(_two_projects_text(), encoding="utf-8")
"""config/examples/two-projects.yaml without its placeholders: dev and prod, each with projects churn and fraud."""


def make(
    *args: str,
    ci: bool = False,
    stdin: str | None = None,
    extra_env: dict[str, str] | None = None,
    config: Path = _DEPLOYABLE,
) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLPLATFORM_", "MAKE", "DATABRICKS_")) and k not in ("CI", "PROJECT")
    }
    env["MLPLATFORM_CONFIG"] = str(config)
    if ci:
        env["CI"] = "true"
    env.update(extra_env or {})
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env=env,
        input=stdin or "",
        capture_output=True,
        text=True,
        timeout=120,
    )


def commands(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stdout.splitlines() if " cdktf " in f" {line}"]


@pytest.mark.parametrize(
    "args,ci,expected",
    [
        (
            ("deploy", "ENV=dev"),
            False,
            "MLPLATFORM_ENVIRONMENTS='dev' cdktf deploy mlplatform-dev-azure mlplatform-dev-databricks mlplatform-dev-serving",
        ),
        (
            ("deploy", "ENV=prod"),
            True,
            "MLPLATFORM_ENVIRONMENTS='prod' cdktf deploy mlplatform-prod-azure mlplatform-prod-databricks mlplatform-prod-serving --auto-approve",
        ),
        (
            ("deploy", "ENV=dev", "LAYER=databricks"),
            False,
            "MLPLATFORM_ENVIRONMENTS='dev' cdktf deploy mlplatform-dev-databricks --ignore-missing-stack-dependencies",
        ),
        (
            ("output", "ENV=staging"),
            False,
            "MLPLATFORM_ENVIRONMENTS='staging' cdktf output mlplatform-staging-azure mlplatform-staging-databricks mlplatform-staging-serving",
        ),
    ],
    ids=["both-layers", "ci-auto-approves", "one-layer", "output"],
)
def test_deploy_targets_run_the_environment_stacks(args, ci, expected):
    result = make("-n", *args, ci=ci)
    assert result.returncode == 0, result.stderr
    assert [" ".join(c.split()) for c in commands(result)] == [expected]


def test_diff_plans_each_stack_of_the_environment_after_one_synthesis():
    result = make("-n", "diff", "ENV=dev")
    assert result.returncode == 0, result.stderr
    lines = [" ".join(c.split()) for c in commands(result)]
    assert lines[0] == "MLPLATFORM_ENVIRONMENTS='dev' cdktf synth"
    assert "cdktf diff --skip-synth" in lines[1]


@pytest.mark.parametrize("target", ["deploy", "diff", "output", "destroy", "preflight"])
def test_env_is_required(target):
    result = make(target)
    assert result.returncode != 0
    assert f"error: ENV is required, e.g. make {target} ENV=dev" in result.stderr


def test_preflight_checks_the_one_environment_with_the_deploys_entra_id_method():
    result = make("-n", "preflight", "ENV=staging")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "MLPLATFORM_ENVIRONMENTS='staging' .venv/bin/python -m ops.preflight"


def test_an_unknown_layer_is_an_error_before_anything_runs():
    result = make("diff", "ENV=dev", "LAYER=azur")
    assert result.returncode != 0
    assert "error: LAYER must be azure, databricks or serving (got 'azur')" in result.stderr
    assert "cdktf" not in result.stdout


@pytest.mark.parametrize("value", ["0", "false", "no"])
def test_auto_approve_means_yes_only(value):
    result = make("-n", "deploy", "ENV=dev", f"AUTO_APPROVE={value}")
    assert "--auto-approve" not in result.stdout


@pytest.mark.parametrize(
    "variable", ["DATABRICKS_TOKEN", "DATABRICKS_CLIENT_SECRET", "DATABRICKS_CLIENT_ID", "DATABRICKS_CONFIG_PROFILE"]
)
@pytest.mark.parametrize("target", ["deploy", "diff", "destroy", "preflight"])
def test_databricks_credentials_that_would_shadow_entra_id_are_refused(variable, target):
    result = make(target, "ENV=dev", "CONFIRM=dev", extra_env={variable: "x"})
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"error: {variable} is set: the Databricks provider would authenticate with it before any Entra ID method, "
        "and a Key Vault-backed secret scope can only be created with an Entra ID token; unset it "
        "(docs/credentials.md)"
    )
    assert "cdktf" not in result.stdout


def test_only_entra_id_auth_types_are_accepted():
    assert make("require-env", "ENV=dev", extra_env={"DATABRICKS_AUTH_TYPE": "azure-cli"}).returncode == 0
    result = make("diff", "ENV=dev", extra_env={"DATABRICKS_AUTH_TYPE": "pat"})
    assert result.returncode == 2
    assert "error: DATABRICKS_AUTH_TYPE=pat is not an Entra ID method" in result.stderr


def test_an_unknown_environment_is_a_config_error():
    result = make("deploy", "ENV=qa")
    assert result.returncode != 0
    assert "error: MLPLATFORM_ENVIRONMENTS: unknown environment 'qa'" in result.stderr


def test_destroy_asks_for_the_environment_name_and_destroys_nothing_without_it():
    result = make("destroy", "ENV=dev", stdin="prod\n")
    assert result.returncode != 0
    assert "no terminal to confirm on; pass CONFIRM=dev" in result.stderr
    assert "cdktf destroy" not in result.stdout


def test_every_prerequisite_is_a_rule_or_a_file_of_the_repository():
    """A prerequisite nothing can make (e.g. an old stamp name) works only on trees that happen to have it."""
    import re

    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    rules = dict(re.findall(r"^([A-Za-z.$][\w./()-]*)\s*:(?!=)([^\n#]*)", text, re.M))
    tracked = set(subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split())
    missing = {
        (target, prerequisite)
        for target, prerequisites in rules.items()
        if target != ".PHONY"
        for prerequisite in prerequisites.split()
        if prerequisite != "|" and prerequisite not in rules and prerequisite not in tracked
    }
    assert missing == set()


def test_env_names_exactly_one_environment():
    result = make("deploy", "ENV=dev,prod")
    assert result.returncode != 0
    assert "error: ENV names one environment (got 'dev,prod'); deploy them one at a time, in order" in result.stderr


def test_env_from_the_shell_is_not_taken_for_an_environment():
    """ENV is also the POSIX shell's startup-file variable: only ENV=... on make's command line counts."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("MLPLATFORM_", "MAKE")) and k not in ("CI", "PROJECT")
    }
    result = subprocess.run(
        ["make", "--no-print-directory", "deploy"],
        cwd=ROOT,
        env={**env, "ENV": "/root/.shrc"},
        input="",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "error: ENV is required, e.g. make deploy ENV=dev" in result.stderr


@pytest.mark.parametrize("action", ["plan", "apply"])
def test_plan_and_apply_handle_one_stack_sealed_plan_after_synthesis(action):
    result = make("-n", action, "ENV=prod", "LAYER=databricks")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    synth = lines.index("MLPLATFORM_ENVIRONMENTS='prod' cdktf synth")
    assert lines[synth + 1 :] == [f"ops/saved_plan.sh {action} plans cdktf.out/stacks/mlplatform-prod-databricks"]


@pytest.mark.parametrize("action", ["plan", "apply"])
def test_a_saved_plan_needs_one_layer(action):
    result = make(action, "ENV=dev")
    assert result.returncode != 0
    assert f"error: LAYER is required: a saved plan is one stack's, e.g. make {action} ENV=dev LAYER=azure" in (
        result.stderr
    )
    assert "cdktf" not in result.stdout


@pytest.mark.parametrize("target", ["deploy", "diff", "plan", "apply", "output", "destroy", "preflight", "smoke"])
def test_every_deploying_target_refuses_placeholders_before_anything_runs(target):
    """`main.py --check --deploying` (tests/test_main.py) comes before any cdktf, Terraform or SDK call."""
    result = make("-n", target, "ENV=dev", "LAYER=azure", "CONFIRM=dev")
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    check = next(i for i, line in enumerate(lines) if "main.py --check --quiet --deploying" in line)
    assert all(" cdktf " not in f" {line}" and "ops.preflight" not in line for line in lines[:check])


def test_bootstrap_refuses_placeholders_before_it_deploys():
    lines = [" ".join(line.split()) for line in make("-n", "bootstrap").stdout.splitlines()]
    assert any("main.py --check --quiet --deploying" in line for line in lines)


INTERNAL_TARGETS = {"help", "require-env", "require-layer", "require-passphrase", "require-project"}
"""Prerequisites of other targets, never run by a person."""


def test_make_help_lists_every_target_a_person_runs():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    phony = {t for line in re.findall(r"^\.PHONY:((?:.*\\\n)*.*)$", makefile, re.MULTILINE) for t in line.split()}
    phony -= {"\\"}
    listed = set(re.findall(r"^make ([a-z][a-z-]*)", make("help").stdout, re.MULTILINE))
    listed |= set(re.findall(r"; make ([a-z][a-z-]*):", make("help").stdout))
    assert phony - INTERNAL_TARGETS - listed == set()
    assert listed - phony == set()


@pytest.mark.parametrize("action", ["plan", "apply"])
def test_a_saved_plan_without_its_passphrase_stops_before_anything_is_installed_or_synthesized(action):
    result = make(action, "ENV=dev", "LAYER=azure", extra_env={"PLAN_PASSPHRASE": ""})
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "error: PLAN_PASSPHRASE is not set: the passphrase saved plans are sealed with "
        "(docs/ci-cd.md: One-time set-up, PLAN_ENCRYPTION_KEY)"
    )
    assert result.stdout == ""


# --- projects: PROJECT narrows an environment to one of its projects --------------------------------------------

FRAUD = "mlplatform-dev-fraud-azure mlplatform-dev-fraud-databricks mlplatform-dev-fraud-serving"
SELECT_FRAUD = "MLPLATFORM_ENVIRONMENTS='dev' MLPLATFORM_PROJECTS='fraud'"


@pytest.mark.parametrize(
    "args,expected",
    [
        (("deploy",), f"{SELECT_FRAUD} cdktf deploy {FRAUD}"),
        (
            ("deploy", "LAYER=serving"),
            f"{SELECT_FRAUD} cdktf deploy mlplatform-dev-fraud-serving --ignore-missing-stack-dependencies",
        ),
        (("diff",), f'for stack in {FRAUD}; do {SELECT_FRAUD} cdktf diff --skip-synth "$stack"; done'),
        (("output",), f"{SELECT_FRAUD} cdktf output {FRAUD}"),
        (("destroy", "CONFIRM=dev/fraud"), f"{SELECT_FRAUD} cdktf destroy {FRAUD}"),
        (("preflight",), f"{SELECT_FRAUD} .venv/bin/python -m ops.preflight"),
        (("smoke",), f"{SELECT_FRAUD} .venv/bin/python -m ops.preflight --after-deploy"),
    ],
    ids=["deploy", "deploy-one-layer", "diff", "output", "destroy", "preflight", "smoke"],
)
def test_project_narrows_a_deploy_target_to_that_project_s_stacks(args, expected):
    result = make("-n", args[0], "ENV=dev", "PROJECT=fraud", *args[1:], config=TWO_PROJECTS)
    assert result.returncode == 0, result.stderr
    assert " ".join(result.stdout.splitlines()[-1].split()) == expected
    assert "churn" not in result.stdout


@pytest.mark.parametrize("action", ["plan", "apply"])
def test_a_saved_plan_covers_every_stack_of_every_selected_project_in_one_run(action):
    """One ops/saved_plan.sh for the layer's stack of every project: it goes on past a stack that fails, so one
    project's failing plan stops no other project's plan or apply (tests/test_saved_plan.py runs it), and names the
    failures at the end. Each stack keeps its own sealed file, plans/<stack>.tfplan.enc."""

    def saved_plans(*project: str) -> list[str]:
        result = make("-n", action, "ENV=dev", "LAYER=azure", *project, config=TWO_PROJECTS)
        assert result.returncode == 0, result.stderr
        return [line for line in result.stdout.splitlines() if line.startswith("ops/saved_plan.sh")]

    def folder(project: str) -> str:
        return f"cdktf.out/stacks/mlplatform-dev-{project}-azure"

    assert saved_plans() == [f"ops/saved_plan.sh {action} plans {folder('churn')} {folder('fraud')}"]
    assert saved_plans("PROJECT=fraud") == [f"ops/saved_plan.sh {action} plans {folder('fraud')}"]


def test_destroy_of_one_project_names_only_its_stacks_and_asks_for_env_slash_project():
    dry = make("-n", "destroy", "ENV=dev", "PROJECT=fraud", config=TWO_PROJECTS)
    assert dry.returncode == 0, dry.stderr
    assert f"Destroy every resource of project 'fraud' of environment 'dev' ({FRAUD})? Type dev/fraud to confirm: " in (
        dry.stdout
    )
    assert "if [ \"$answer\" != 'dev/fraud' ]; then" in dry.stdout
    assert "churn" not in dry.stdout
    unanswered = make("destroy", "ENV=dev", "PROJECT=fraud", stdin="dev/fraud\n", config=TWO_PROJECTS)
    assert unanswered.returncode == 2 and "no terminal to confirm on; pass CONFIRM=dev/fraud" in unanswered.stderr
    assert "cdktf destroy" not in unanswered.stdout


@pytest.mark.parametrize(
    "args",
    [("PROJECT=fraud", "CONFIRM=dev"), ("PROJECT=fraud", "CONFIRM=fraud"), ("CONFIRM=dev/fraud",)],
    ids=["one-project-confirmed-with-the-environment", "one-project-confirmed-with-its-name", "environment"],
)
def test_destroy_is_confirmed_only_by_the_answer_for_what_it_destroys(args):
    """The environment's name does not confirm one project's destroy, nor `dev/fraud` the whole environment's."""
    result = make("destroy", "ENV=dev", *args, config=TWO_PROJECTS)
    assert result.returncode != 0
    assert "not confirmed; nothing destroyed" in result.stderr
    assert "cdktf destroy" not in result.stdout


def test_destroy_of_an_environment_with_projects_names_every_project_and_its_stacks():
    dry = make("-n", "destroy", "ENV=dev", config=TWO_PROJECTS)
    assert dry.returncode == 0, dry.stderr
    every = " ".join(
        f"mlplatform-dev-{p}-{layer}" for p in ("churn", "fraud") for layer in ("azure", "databricks", "serving")
    )
    assert (
        "Destroy every resource of environment 'dev', the stacks of every one of its projects: churn, fraud "
        f"({every})? Type the environment's name to confirm: "
    ) in dry.stdout
    assert "if [ \"$answer\" != 'dev' ]; then" in dry.stdout
    assert " ".join(dry.stdout.splitlines()[-1].split()) == f"MLPLATFORM_ENVIRONMENTS='dev' cdktf destroy {every}"
    # without projects, as ever
    single = make("-n", "destroy", "ENV=dev")
    assert (
        "Destroy every resource of environment 'dev' (mlplatform-dev-azure mlplatform-dev-databricks "
        "mlplatform-dev-serving)? Type the environment's name to confirm: "
    ) in single.stdout


@pytest.mark.parametrize("value", ["Fraud", "churn,fraud", "fr-aud", "fraud x", "../dev"])
@pytest.mark.parametrize("target", ["deploy", "plan", "destroy", "drift", "rotate"])
def test_project_names_one_project_in_lowercase_letters_and_digits(target, value):
    result = make(
        target,
        "ENV=dev",
        f"PROJECT={value}",
        "LAYER=azure",
        "CONFIRM=dev",
        config=TWO_PROJECTS,
        extra_env={"PLAN_PASSPHRASE": "x"},
    )
    assert result.returncode == 2
    assert (
        "error: PROJECT names one project of the environment, in lowercase letters and digits "
        f"(got '{value}'); leave it out for every project"
    ) in result.stderr
    assert "cdktf" not in result.stdout and "terraform" not in result.stdout


@pytest.mark.parametrize(
    "config,error",
    [
        (TWO_PROJECTS, "error: MLPLATFORM_PROJECTS: environment 'dev' has no project 'ads'; it defines: churn, fraud"),
        (_DEPLOYABLE, "error: MLPLATFORM_PROJECTS: environment 'dev' has no project 'ads'; it has no projects"),
    ],
    ids=["unknown-project", "environment-without-projects"],
)
def test_a_project_the_environment_does_not_have_is_a_config_error(config, error):
    result = make("deploy", "ENV=dev", "PROJECT=ads", config=config)
    assert result.returncode == 2
    assert error in result.stderr
    assert "cdktf" not in result.stdout


ENVIRONMENT_PROJECT = (
    "PROJECT='fraud' is set in the environment, where make does not take it: a target meant for one project would act "
    "on every project of the environment; unset it (env -u PROJECT make ...) and give PROJECT=<name> on make's command "
    "line for one project.  Stop."
)


@pytest.mark.parametrize(
    "args",
    [
        ("destroy", "ENV=dev", "CONFIRM=dev"),
        ("deploy", "ENV=dev"),
        ("plan", "ENV=dev", "LAYER=azure"),
        ("drift",),
        ("rotate", "ENV=dev"),
        ("smoke", "ENV=dev"),
        ("-e", "destroy", "ENV=dev", "CONFIRM=dev"),  # environment variables over the Makefile's
    ],
    ids=["destroy", "deploy", "plan", "drift", "rotate", "smoke", "environment-override"],
)
def test_project_from_the_environment_is_refused_by_every_target_that_acts_on_stacks(args):
    """PROJECT is a name other tools export too, and make takes it only from its command line: one from the environment
    would be ignored and the target act on every project (`PROJECT=fraud make destroy ENV=dev` destroying churn's
    stacks too). Refused in one line, before anything runs or is printed."""
    result = make("-n", *args, config=TWO_PROJECTS, extra_env={"PROJECT": "fraud", "PLAN_PASSPHRASE": "x"})
    assert result.returncode == 2
    assert re.fullmatch(r"Makefile:\d+: \*\*\* (.*)\n", result.stderr).group(1) == ENVIRONMENT_PROJECT
    assert result.stdout == ""


@pytest.mark.parametrize("target", ["help", "check"])
def test_project_from_the_environment_is_ignored_where_no_stack_is_acted_on(target):
    """`make synth` and `make test` are the two commands of a fresh machine: a PROJECT another tool exported must
    not stop them."""
    result = make("-n", target, config=TWO_PROJECTS, extra_env={"PROJECT": "fraud"})
    assert result.returncode == 0, result.stderr


def test_project_from_the_environment_is_refused_even_empty_or_beside_the_command_line():
    empty = make("-n", "destroy", "ENV=dev", "CONFIRM=dev", config=TWO_PROJECTS, extra_env={"PROJECT": ""})
    assert empty.returncode == 2 and "PROJECT='' is set in the environment" in empty.stderr and empty.stdout == ""
    # given on the command line too: the command line's counts (as for ENV)
    both = make("-n", "deploy", "ENV=dev", "PROJECT=fraud", config=TWO_PROJECTS, extra_env={"PROJECT": "churn"})
    assert both.returncode == 0, both.stderr
    assert " ".join(commands(both)[-1].split()) == f"{SELECT_FRAUD} cdktf deploy {FRAUD}"


@pytest.mark.parametrize("target", ["destroy", "deploy", "plan", "drift", "rotate", "help"])
def test_an_empty_project_on_the_command_line_is_refused(target):
    """`PROJECT=` (a script's variable that came out empty) would widen the target to every project."""
    result = make("-n", target, "ENV=dev", "PROJECT=", "LAYER=azure", "CONFIRM=dev", config=TWO_PROJECTS)
    assert result.returncode == 2
    assert re.fullmatch(r"Makefile:\d+: \*\*\* (.*)\n", result.stderr).group(1) == (
        "PROJECT is empty on the command line: give PROJECT=<name> for one project, or leave PROJECT= out for every "
        "project of the environment.  Stop."
    )
    assert result.stdout == ""


def test_rotate_and_drift_narrow_to_the_project():
    rotate = make("-n", "rotate", "ENV=dev", "PROJECT=fraud", config=TWO_PROJECTS)
    assert rotate.returncode == 0, rotate.stderr
    assert [" ".join(c.split()) for c in commands(rotate)] == [
        f"{SELECT_FRAUD} cdktf deploy mlplatform-dev-fraud-azure --ignore-missing-stack-dependencies"
    ]
    drift = make("-n", "drift", "ENV=dev", "PROJECT=fraud", config=TWO_PROJECTS)
    assert drift.returncode == 0, drift.stderr
    assert f"{SELECT_FRAUD} .venv/bin/python main.py --stacks" in drift.stdout


def test_preflight_checks_each_project_of_the_environment_or_the_one_named():
    """ops.preflight runs once per selected project (the databricks apply and the drift job run it for every
    project); azure-msi stops each run at once, before any call, so nothing here reaches a workspace."""
    msi = {"DATABRICKS_AUTH_TYPE": "azure-msi"}

    def checked(*project: str) -> list[str]:
        result = make("preflight", "ENV=dev", *project, config=TWO_PROJECTS, extra_env=msi)
        assert result.returncode != 0
        return re.findall(r"^error: preflight ([\w/]+): DATABRICKS_AUTH_TYPE=azure-msi", result.stderr, re.M)

    assert checked() == ["dev/churn", "dev/fraud"]
    assert checked("PROJECT=fraud") == ["dev/fraud"]


def test_make_help_says_what_project_does():
    help_text = make("help").stdout
    assert "PROJECT=churn   only that project of the environment (deploy, diff, plan, apply" in help_text
    assert "PROJECT=fraud [CONFIRM=dev/fraud]   only that project's stacks (asks for dev/fraud)" in help_text
