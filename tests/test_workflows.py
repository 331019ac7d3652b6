"""The GitHub Actions workflows: linted by actionlint, generated from the config, and safe by shape."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from config import load_config
from config.naming import LAYERS
from generators import generate_workflows as generator
from proof import actionlint
from tests.helpers import ROOT, config_from, mutated

ENVIRONMENTS = ("dev", "staging", "prod")

WORKFLOWS = ROOT / ".github" / "workflows"
ZIZMOR = ROOT / ".venv" / "bin" / "zizmor"


def lint(*paths: Path) -> subprocess.CompletedProcess:
    """actionlint (proof/actionlint.py: the pinned release, built from its Go module), nothing suppressed."""
    return actionlint.run([str(path) for path in paths])


def zizmor(*paths: Path) -> subprocess.CompletedProcess:
    """zizmor (PyPI, Pipfile.lock), offline, its default (regular) persona."""
    return subprocess.run(
        [str(ZIZMOR), "--offline", "--no-progress", "--format", "plain", *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def load(path: Path) -> dict[str, Any]:
    return parse(path.read_text(encoding="utf-8"))


def parse(text: str) -> dict[str, Any]:
    workflow = yaml.safe_load(text)
    if True in workflow:  # YAML 1.1 reads the key `on` as a boolean
        workflow["on"] = workflow.pop(True)
    return workflow


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


@pytest.fixture(scope="module")
def workflows() -> dict[str, dict[str, Any]]:
    return {path.stem: load(path) for path in workflow_files()}


LOCAL = ("dev",)  # the default config: dev runs Terraform on the runner, staging and prod on agents


def promotion() -> list[list[str]]:
    """The deploy workflow's stages in order: one stack each, a saved plan and its apply (both modes)."""
    return [[f"{env}-{layer}-plan", f"{env}-{layer}-apply"] for env in ENVIRONMENTS for layer in LAYERS]


def passed(stage: list[str]) -> tuple[list[str], str | None]:
    """(needs, if) of the job after `stage`: the plan passed and its apply passed or had nothing to apply."""
    if len(stage) == 1:
        return stage, None
    plan, apply, *also = stage
    checks = [
        f"needs.{plan}.result == 'success'",
        f"(needs.{apply}.result == 'success' || needs.{apply}.result == 'skipped')",
        *(f"needs.{job}.result == 'success'" for job in also),
    ]
    return stage, "${{ !cancelled() && " + " && ".join(checks) + " }}"


MAIN_HEAD = "python3 ops/main_head.py"


def runs(job: dict[str, Any]) -> list[str]:
    """The job's `run:` scripts besides the main-head check every deploying job starts with."""
    return [step["run"] for step in job["steps"] if "run" in step and step["run"] != MAIN_HEAD]


def step_using(job: dict[str, Any], action: str) -> dict[str, Any]:
    (step,) = [s for s in job["steps"] if s.get("uses", "").startswith(f"{action}@")]
    return step


def saved_plan_pairs(jobs: dict[str, Any]) -> list[tuple[str, str]]:
    """(plan job, apply job) of every saved plan: the jobs that run `make apply`, with the one job each needs."""
    pairs = []
    for job_id, job in jobs.items():
        if any(run.startswith("make apply ") for run in runs(job)):
            assert len(job["needs"]) == 1, job_id
            pairs.append((job["needs"][0], job_id))
    return pairs


# --- actionlint -----------------------------------------------------------------------------------


def test_the_three_workflows_exist():
    assert [p.name for p in workflow_files()] == ["deploy.yml", "maintenance.yml", "pull-request.yml"]


def test_actionlint_passes_on_every_workflow():
    result = lint(*workflow_files())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_fails_on_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  deploy:\n"
        "    needs: [missing]\n"
        "    runs-on: ${{ varz.RUNNER }}\n"  # a misspelt `vars` is still an error
        "    steps:\n"
        "      - run: echo ${{ github.nope }}\n"
    )
    result = lint(broken)
    assert result.returncode == 1
    assert 'job "deploy" needs job "missing" which does not exist' in result.stdout
    assert 'undefined variable "varz"' in result.stdout
    assert 'property "nope" is not defined' in result.stdout


def test_actionlint_is_the_pinned_current_release_and_knows_vars(tmp_path):
    version = subprocess.run([str(actionlint.actionlint_binary()), "-version"], capture_output=True, text=True)
    assert version.stdout.splitlines()[0] == actionlint.ACTIONLINT_VERSION
    workflow = tmp_path / "vars.yml"
    workflow.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ${{ vars.RUNNER || 'ubuntu-latest' }}\n    steps:\n      - run: echo hi\n"
    )
    assert lint(workflow).returncode == 0


# --- supply chain -----------------------------------------------------------------------------------


def test_zizmor_finds_nothing_in_the_committed_workflows():
    result = zizmor(*workflow_files())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_zizmor_finds_nothing_in_freshly_generated_workflows(tmp_path):
    for path, text in generator.rendered(load_config().config).items():
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    result = zizmor(*sorted(tmp_path.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_fails_on_an_unpinned_action_and_a_persisted_token(tmp_path):
    planted = tmp_path / "planted.yml"
    planted.write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions: {}\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo hi\n"
    )
    result = zizmor(planted)
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout and "artipacked" in result.stdout, result.stdout


def test_every_action_is_pinned_to_a_full_sha_with_its_release_as_a_comment():
    for path in workflow_files():
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if "uses:" in line]
        assert lines, path.name
        for line in lines:
            match = re.fullmatch(r"(?:- )?uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40})  # (v\d+\.\d+\.\d+)", line)
            assert match, f"{path.name}: {line}"
            assert generator.ACTIONS[match.group(1)] == (match.group(2), match.group(3)), line


def test_every_checkout_keeps_no_credentials(workflows):
    for name, workflow in workflows.items():
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, name


def test_permissions_are_per_job_and_least(workflows):
    for name, workflow in workflows.items():
        assert workflow["permissions"] in ({}, {"contents": "read"}), name
        for job_id, job in workflow["jobs"].items():
            granted = job.get("permissions", workflow["permissions"])
            assert set(granted) <= {"contents", "id-token"}, (name, job_id)
            assert granted.get("contents") == "read", (name, job_id)


def test_no_expression_expands_inside_a_run_script(workflows):
    """`${{ }}` in `run:` is template injection; values reach scripts through `env:` only."""
    for name, workflow in workflows.items():
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                assert "${{" not in step.get("run", ""), (name, step)


def test_dependabot_updates_the_action_pins():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    assert config["version"] == 2
    assert [(u["package-ecosystem"], u["directory"]) for u in config["updates"]] == [("github-actions", "/")]


# --- generated from the config ----------------------------------------------------------------------


def test_generated_workflows_are_up_to_date_with_the_config():
    for path, text in generator.rendered(load_config().config).items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run `make workflows`"


@pytest.mark.parametrize("name", ["deploy", "maintenance"])
def test_every_deploying_job_stops_first_unless_it_runs_main_s_current_head(workflows, name):
    """Right after checkout and Python, before npm, Terraform, a credential or a make target
    (ops/main_head.py; tests/test_main_head.py runs it)."""
    for job_id, job in workflows[name]["jobs"].items():
        if "environment" not in job:  # the test job: no GitHub environment, no identity, no secret
            assert job_id == "test" and MAIN_HEAD not in yaml.safe_dump(job)
            continue
        steps = job["steps"]
        assert [s.get("uses", "").split("@")[0] for s in steps[:2]] == ["actions/checkout", "actions/setup-python"]
        assert steps[2] == {
            "name": "stop unless this is main's current head",
            "run": MAIN_HEAD,
            "env": {"GH_TOKEN": "${{ github.token }}"},
        }, job_id
        assert [s for s in steps if s.get("run") == MAIN_HEAD] == [steps[2]]


def test_promotion_is_one_chain_in_config_order_azure_databricks_serving(workflows):
    jobs = workflows["deploy"]["jobs"]
    stages = promotion()
    assert list(jobs) == ["test", *(job_id for stage in stages for job_id in stage)]  # nothing outside the chain
    previous = ["test"]
    for stage in stages:
        needs, condition = passed(previous)
        assert (jobs[stage[0]]["needs"], jobs[stage[0]].get("if")) == (needs, condition), stage[0]
        if len(stage) == 2:  # the apply needs only its plan, and runs only when that plan has changes
            assert jobs[stage[1]]["needs"] == [stage[0]]
            assert jobs[stage[1]]["if"] == f"${{{{ needs.{stage[0]}.outputs.changes == 'true' }}}}"
        previous = stage
    assert workflows["deploy"]["on"] == {"push": {"branches": ["main"]}, "workflow_dispatch": None}


def test_each_agent_mode_stack_applies_exactly_its_saved_cloud_plan(workflows):
    """Agents: `terraform plan -out` is a saved-plan run of Terraform Cloud, applied as reviewed."""
    jobs = workflows["deploy"]["jobs"]
    for env in ("staging", "prod"):
        for layer in LAYERS:
            plan_id, apply_id = f"{env}-{layer}-plan", f"{env}-{layer}-apply"
            assert_applies_exactly_the_saved_plan(jobs, plan_id, apply_id, env, layer, local=False)
            assert "runs on Terraform Cloud agents" in jobs[plan_id]["name"]
            runner = f"${{{{ vars.DEPLOY_RUNNER_{env.upper()} || vars.DEPLOY_RUNNER || 'ubuntu-latest' }}}}"
            assert jobs[plan_id]["runs-on"] == jobs[apply_id]["runs-on"] == runner


# --- the reviewed plan is the applied plan ----------------------------------------------------------


def assert_applies_exactly_the_saved_plan(
    jobs: dict[str, Any], plan_id: str, apply_id: str, env: str, layer: str, *, local: bool = True
):
    plan, apply = jobs[plan_id], jobs[apply_id]
    stack = f"mlplatform-{env}-{layer}"
    # the plan job: no reviewers, its plan in the summary; the apply job: the environment with the reviewers
    assert (plan["environment"], apply["environment"]) == (f"{env}-plan", env)
    # read-only, before the plan, where CI holds the environment's identity
    preflight = [f"make preflight ENV={env}"] if layer == "databricks" and local else []
    assert runs(plan) == [f"make plan ENV={env} LAYER={layer}"]
    assert plan["outputs"] == {
        "changes": "${{ steps.plan.outputs.changes }}",
        "plan_sha256": "${{ steps.plan.outputs.plan_sha256 }}",  # the one file the apply job may apply
    }
    (make_plan,) = [s for s in plan["steps"] if "run" in s and s["run"].startswith("make plan ")]
    (make_apply,) = [s for s in apply["steps"] if s.get("run", "").startswith("make apply ")]
    assert make_plan["id"] == "plan"
    upload = step_using(plan, "actions/upload-artifact")
    assert upload["if"] == "steps.plan.outputs.changes == 'true'"
    # ciphertext only: the sealed file `make plan` writes, never a plan file in clear
    assert upload["with"]["path"] == f"plans/{stack}.tfplan.enc"
    assert upload["with"]["if-no-files-found"] == "error"
    assert 1 <= upload["with"]["retention-days"] <= 5
    # the apply job consumes that artifact: same stack, same commit, into the folder `make apply` reads
    download = step_using(apply, "actions/download-artifact")
    assert upload["with"]["name"] == download["with"]["name"] == f"sealed-plan-{stack}-${{{{ github.sha }}}}"
    assert download["with"]["path"] == "plans"
    assert apply["needs"] == [plan_id]
    # ... and runs no plan of its own (the databricks apply first asks the workspace, as the applying identity)
    assert runs(apply) == [*preflight, f"make apply ENV={env} LAYER={layer}"]
    assert apply["steps"].index(download) < apply["steps"].index(make_apply)
    text = yaml.safe_dump(apply)
    for planning in ("make plan", "make diff", "make deploy", "make rotate", "terraform plan", "cdktf diff"):
        assert planning not in text, (apply_id, planning)
    # the passphrase reaches only the steps that seal and unseal; the apply opens only the published file
    secret = {"PLAN_PASSPHRASE": "${{ secrets.PLAN_ENCRYPTION_KEY }}"}
    assert make_plan["env"] == secret
    assert make_apply["env"] == {**secret, "PLAN_SHA256": f"${{{{ needs.{plan_id}.outputs.plan_sha256 }}}}"}
    assert "PLAN_PASSPHRASE" not in plan["env"] and "PLAN_PASSPHRASE" not in apply["env"]


def test_each_local_mode_stack_applies_exactly_the_plan_its_plan_job_saved(workflows):
    jobs = workflows["deploy"]["jobs"]
    pairs = [tuple(stage) for stage in promotion()]
    assert saved_plan_pairs(jobs) == pairs
    for layer in LAYERS:
        assert_applies_exactly_the_saved_plan(jobs, f"dev-{layer}-plan", f"dev-{layer}-apply", "dev", layer)


def test_the_databricks_apply_asks_the_workspace_first_as_the_identity_that_applies(workflows):
    """A missing Unity Catalog privilege of the applying identity fails in one line, before anything is applied
    (the plan job acts as the plan identity, whose privileges are not the ones that count)."""
    jobs = workflows["deploy"]["jobs"]
    assert runs(jobs["dev-databricks-apply"]) == ["make preflight ENV=dev", "make apply ENV=dev LAYER=databricks"]
    preflighted = {job_id for job_id, job in jobs.items() if any("make preflight" in run for run in runs(job))}
    assert preflighted == {"dev-databricks-apply"}


def assert_every_upload_is_a_sealed_plan(workflow: dict[str, Any]) -> None:
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/upload-artifact@"):
                paths = step["with"]["path"].splitlines()  # a job of several projects: one sealed file per stack
                assert paths and all(re.fullmatch(r"plans/[\w-]+\.tfplan\.enc", path) for path in paths), step


def test_every_uploaded_artifact_of_a_deploying_workflow_is_a_sealed_plan(workflows):
    for name in ("deploy", "maintenance"):
        assert_every_upload_is_a_sealed_plan(workflows[name])


def test_where_the_reviewers_are_only_a_saved_plan_is_applied(workflows):
    """In an environment's own GitHub environment (its reviewers), no job plans or deploys anew."""
    for name in ("deploy", "maintenance"):
        for job_id, job in workflows[name]["jobs"].items():
            env = job.get("environment")
            if env in ENVIRONMENTS:
                applying = [run for run in runs(job) if run != f"make preflight ENV={env}"]  # read-only
                assert [re.fullmatch(rf"make apply ENV={env} LAYER=[a-z]+", run) is not None for run in applying] == [
                    True
                ], job_id


def test_prod_has_its_own_github_environment(workflows):
    for name in ("deploy", "maintenance"):
        jobs = workflows[name]["jobs"]
        prod = {job["environment"] for job_id, job in jobs.items() if job_id.startswith("prod-")}
        others = {job.get("environment") for job_id, job in jobs.items() if not job_id.startswith("prod-")}
        assert prod == {"prod", "prod-plan"} and not others & {"prod", "prod-plan"}


def test_local_mode_jobs_use_github_oidc_from_environment_variables(workflows):
    jobs = workflows["deploy"]["jobs"]
    local = [job_id for job_id in jobs if job_id.startswith("dev-")]  # dev: local, the rest: agents
    assert local == [f"dev-{layer}-{step}" for layer in LAYERS for step in ("plan", "apply")]
    for job_id in local:
        job = jobs[job_id]
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        expected = {
            "ARM_USE_OIDC": "true",
            "ARM_CLIENT_ID": "${{ vars.ARM_CLIENT_ID }}",
            "ARM_TENANT_ID": "${{ vars.ARM_TENANT_ID }}",
            "ARM_SUBSCRIPTION_ID": "${{ vars.ARM_SUBSCRIPTION_ID }}",
            "TF_TOKEN_app_terraform_io": "${{ secrets.TF_API_TOKEN }}",
        }
        if "-azure-" not in job_id:  # the databricks and serving layers
            expected["DATABRICKS_AUTH_TYPE"] = "github-oidc-azure"
        if job_id.endswith("-plan"):  # the plan identity reads the state, never locks it (the apply does)
            expected["TF_CLI_ARGS_plan"] = "-lock=false"
        assert job["env"] == expected
        # ARM_CLIENT_ID is the GitHub environment's own: the plan identity in <env>-plan, the apply one in <env>
        assert job["environment"] == ("dev-plan" if job_id.endswith("-plan") else "dev")


def test_jobs_on_agents_never_skip_terraform_cloud_s_lock(workflows):
    """Agents: the runs are Terraform Cloud's, locked by it; only the local plan identity plans without a lock."""
    for workflow in workflows.values():
        for job_id, job in workflow["jobs"].items():
            if "TF_CLI_ARGS_plan" in job.get("env", {}):
                assert job_id.startswith("dev-") and job["environment"] == "dev-plan", job_id


HEARTBEAT = [f"{env}-{job}" for env in ENVIRONMENTS for job in ("rotation-plan", "rotation-apply", "drift")]


def test_heartbeat_is_scheduled_weekly_and_rotates_then_checks_drift_everywhere(workflows):
    maintenance = workflows["maintenance"]
    assert maintenance["on"] == {"schedule": [{"cron": "17 4 * * 1"}], "workflow_dispatch": None}
    jobs = maintenance["jobs"]
    assert list(jobs) == HEARTBEAT
    # in promotion order: main's azure stack never reaches an environment past one it failed in
    assert jobs["dev-rotation-plan"].get("needs") is None
    assert (jobs["staging-rotation-plan"]["needs"], jobs["staging-rotation-plan"]["if"]) == passed(HEARTBEAT[:3])
    assert (jobs["prod-rotation-plan"]["needs"], jobs["prod-rotation-plan"]["if"]) == passed(HEARTBEAT[3:6])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_heartbeat_rotates_by_a_reviewed_saved_plan_then_checks_drift_without_reviewers(workflows, env):
    jobs = workflows["maintenance"]["jobs"]
    plan_id, apply_id = f"{env}-rotation-plan", f"{env}-rotation-apply"
    assert (plan_id, apply_id) in saved_plan_pairs(jobs)
    assert_applies_exactly_the_saved_plan(jobs, plan_id, apply_id, env, "azure", local=env in LOCAL)
    drift = jobs[f"{env}-drift"]
    # and, where CI holds the environment's identity, asks what no plan can see, even after drift
    smoke = [f"make smoke ENV={env}"] if env in LOCAL else []
    assert (drift["environment"], runs(drift)) == (f"{env}-plan", [f"make drift ENV={env}", *smoke])
    if smoke:
        assert drift["steps"][-1]["if"] == "${{ !cancelled() }}"
    # after the rotation, even a failed one, so a due rotation is not reported as drift
    assert drift["needs"] == [plan_id, apply_id]
    assert drift["if"] == f"${{{{ !cancelled() && needs.{plan_id}.result != 'skipped' }}}}"


def assert_one_concurrency_group_per_environment(workflows: dict[str, dict[str, Any]]) -> None:
    for name in ("deploy", "maintenance"):
        assert "concurrency" not in workflows[name]  # per job: a prod approval holds prod only
        for job_id, job in workflows[name]["jobs"].items():
            if job_id != "test":  # a plan job holds its environment's state too
                assert job["concurrency"] == {
                    "group": f"mlplatform-terraform-{job['environment'].removesuffix('-plan')}",
                    "cancel-in-progress": False,
                }


def test_promotion_and_heartbeat_never_run_terraform_on_one_environment_at_the_same_time(workflows):
    assert_one_concurrency_group_per_environment(workflows)


def test_pull_request_job_has_no_credentials_no_environment_and_no_secrets(workflows):
    pr = workflows["pull-request"]
    assert pr["on"] == {"pull_request": {"branches": ["main"]}}
    assert pr["permissions"] == {"contents": "read"}
    (job,) = pr["jobs"].values()
    assert "environment" not in job and "permissions" not in job
    # The real-provider checks: providers from the registry, and a missing one fails (never skips).
    assert job["env"] == {"MLPLATFORM_PROVIDER_SOURCE": "registry", "MLPLATFORM_REQUIRE_PROVIDERS": "1"}
    assert job["runs-on"] == "ubuntu-latest"  # never a self-hosted runner for pull-request code
    text = yaml.safe_dump(pr)  # everything but the comments
    assert "id-token" not in text and "secrets." not in text and "vars." not in text
    assert [s["run"] for s in job["steps"] if "run" in s] == ["make test", "make synth", "make scan", "make validate"]
    (terraform,) = [s for s in job["steps"] if s.get("uses", "").startswith("hashicorp/setup-terraform@")]
    assert terraform["with"] == {"terraform_version": "1.11.4", "terraform_wrapper": False}
    (upload,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["with"]["path"] == "cdktf.out/"


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_no_workflow_mentions_a_client_secret_or_a_databricks_token(path):
    text = path.read_text(encoding="utf-8")
    for forbidden in (
        "CLIENT_SECRET",
        "client-secret",
        "DATABRICKS_TOKEN",
        "ARM_CLIENT_CERTIFICATE",
        "pull_request_target",
    ):
        assert forbidden.lower() not in text.lower(), forbidden
    assert set(re.findall(r"secrets\.(\w+)", text)) <= {"TF_API_TOKEN", "PLAN_ENCRYPTION_KEY"}


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w.-]*)\s*:(?!=)", text, re.M))


def make_targets_run_by(path: Path) -> set[str]:
    called = set()
    for job in load(path)["jobs"].values():
        for step in job["steps"]:
            if "run" in step and step["run"] != MAIN_HEAD:  # the one script that runs before the install
                assert re.fullmatch(r"make [a-z-]+( [A-Z]+=[a-z0-9]+)*", step["run"]), step["run"]
                called.add(step["run"].split()[1])
    return called


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_every_make_target_a_workflow_runs_exists(path):
    called = make_targets_run_by(path)
    assert called
    missing = called - makefile_targets()
    assert not missing, f"workflow runs make targets the Makefile lacks: {sorted(missing)}"


def test_the_workflows_run_the_documented_targets_and_nothing_else():
    called = set().union(*(make_targets_run_by(path) for path in workflow_files()))
    # diff, deploy and rotate are for people: in CI every change is a reviewed saved plan
    assert called == {"test", "synth", "scan", "validate", "plan", "apply", "drift", "preflight", "smoke"}


def test_the_ci_makefile_targets_exist():
    assert {
        "ci-environments",
        "workflows",
        "workflows-check",
        "lint-workflows",
        "rotate",
        "drift",
    } <= makefile_targets()


# --- agent execution mode ---------------------------------------------------------------------------


def all_local(raw):
    """Every environment runs Terraform where CI runs it (no agents)."""
    for environment in raw["environments"].values():
        environment["execution_mode"] = "local"
        environment.pop("agent", None)


@pytest.fixture(scope="module")
def prod_on_agents(tmp_path_factory):
    def change(raw):
        all_local(raw)
        raw["environments"]["prod"]["execution_mode"] = "agent"
        raw["environments"]["prod"]["agent"] = {
            "pool": "mlplatform-prod",
            "client_id": "55555555-5555-5555-5555-555555555555",
        }

    files = generator.rendered(config_from(mutated(change)))
    folder = tmp_path_factory.mktemp("workflows")
    for path, text in files.items():
        (folder / path.name).write_text(text)
    return folder


def test_agent_mode_jobs_only_start_runs_with_no_azure_credential(prod_on_agents):
    for name in ("deploy", "maintenance"):
        jobs = load(prod_on_agents / f"{name}.yml")["jobs"]
        for job_id, job in jobs.items():
            if job_id.startswith("prod-"):
                assert job["permissions"] == {"contents": "read"}
                assert job["env"] == {"TF_TOKEN_app_terraform_io": "${{ secrets.TF_API_TOKEN }}"}
                assert job["environment"] in ("prod", "prod-plan")
            elif job_id != "test":
                assert job["permissions"]["id-token"] == "write"
    text = (prod_on_agents / "deploy.yml").read_text()
    assert "runs on Terraform Cloud agents" in text


def test_every_environment_applies_exactly_its_saved_plans_in_either_mode(prod_on_agents):
    deploy = load(prod_on_agents / "deploy.yml")["jobs"]
    maintenance = load(prod_on_agents / "maintenance.yml")["jobs"]
    expected = [(f"{env}-{layer}-plan", f"{env}-{layer}-apply") for env in ENVIRONMENTS for layer in LAYERS]
    assert saved_plan_pairs(deploy) == expected
    for plan_id, apply_id in expected:
        env, layer, _ = plan_id.split("-")
        assert_applies_exactly_the_saved_plan(deploy, plan_id, apply_id, env, layer, local=env != "prod")
    assert saved_plan_pairs(maintenance) == [(f"{env}-rotation-plan", f"{env}-rotation-apply") for env in ENVIRONMENTS]
    assert (deploy["prod-azure-plan"]["needs"], deploy["prod-azure-plan"]["if"]) == passed(
        ["staging-serving-plan", "staging-serving-apply"]
    )


def test_agent_mode_workflows_pass_actionlint(prod_on_agents):
    result = lint(*sorted(prod_on_agents.glob("*.yml")))
    assert result.returncode == 0, result.stdout


def test_non_cloud_state_needs_no_terraform_cloud_token():
    def change(raw):
        raw["state"] = {"backend": "local"}
        all_local(raw)

    workflow = generator.deploy_workflow(config_from(mutated(change)))
    assert all(not any(k.startswith("TF_TOKEN_") for k in job.get("env", {})) for job in workflow["jobs"].values())


def test_ci_environments_lists_each_environment_once_with_its_stacks_by_layer():
    (dev, staging, prod) = generator.environments(load_config().config)
    assert (dev["name"], dev["execution_mode"], dev["projects"]) == ("dev", "local", [])
    assert dev["stacks"] == {layer: [f"mlplatform-dev-{layer}"] for layer in LAYERS}
    assert (staging["name"], prod["name"], prod["execution_mode"]) == ("staging", "prod", "agent")
    with_projects = generator.environments(load_config(EXAMPLE).config)
    assert [(e["name"], e["projects"]) for e in with_projects] == [("dev", list(PROJECTS)), ("prod", list(PROJECTS))]
    assert with_projects[1]["stacks"]["azure"] == ["mlplatform-prod-churn-azure", "mlplatform-prod-fraud-azure"]


def test_environment_listing_for_the_make_targets(tmp_path):
    """`make rotate` and `make drift` list environments and stacks with main.py, as the deploy targets do."""
    from tests.test_main import run_main

    assert run_main(tmp_path, args=["--environments"]).stdout == "dev\nstaging\nprod\n"
    prod = run_main(tmp_path, selection="prod", args=["--stacks"])
    assert prod.stdout == "mlplatform-prod-azure\nmlplatform-prod-databricks\nmlplatform-prod-serving\n"
    unknown = run_main(tmp_path, selection="qa", args=["--stacks"])
    assert unknown.returncode == 2 and "unknown environment 'qa'" in unknown.stderr


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_every_step_is_written_out_where_it_runs_without_yaml_aliases(path):
    """A reviewer reads each job as it is: no `&anchor` / `*alias` to resolve by hand."""
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"(^|\s)[&*][A-Za-z0-9_]+\s*$", text, re.MULTILINE)
    assert "*id0" not in text and "&id0" not in text


# --- projects: one plan job and one apply job per environment and layer, whatever the number of projects ----------

EXAMPLE = ROOT / "config" / "examples" / "two-projects.yaml"
PROJECTS = ("churn", "fraud")
TWO_PROJECT_ENVIRONMENTS = {"dev": "local", "prod": "agent"}
PROJECT_PROMOTION = [
    [f"{env}-{layer}-plan", f"{env}-{layer}-apply"] for env in TWO_PROJECT_ENVIRONMENTS for layer in LAYERS
]


@pytest.fixture(scope="module")
def two_projects(tmp_path_factory) -> Path:
    """deploy.yml and maintenance.yml generated for config/examples/two-projects.yaml."""
    folder = tmp_path_factory.mktemp("two-projects-workflows")
    for path, text in generator.rendered(load_config(EXAMPLE).config).items():
        (folder / path.name).write_text(text, encoding="utf-8")
    return folder


def with_projects(count: int) -> dict[str, Any]:
    """The two-projects example with `count` projects in each of three environments (dev, staging, prod), each
    project the example's first with names of its own."""
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    dev, prod = raw["environments"]["dev"], raw["environments"]["prod"]
    staging = copy.deepcopy(prod)
    staging["agent"]["pool"] = "mlplatform-staging"
    workspace = staging["databricks"]["workspace"]
    workspace["host"] = "https://adb-2222222222222222.12.azuredatabricks.net"
    workspace["resource_id"] = workspace["resource_id"].replace("prod", "staging")
    raw["environments"] = {"dev": dev, "staging": staging, "prod": prod}
    for env, body in raw["environments"].items():
        template = next(iter(body["projects"].values()))
        body["projects"] = {}
        for index in range(count):
            project = body["projects"][f"p{index}"] = copy.deepcopy(template)
            project["azure"]["key_vault"]["name"] = f"kv-p{index}-{env[:3]}-0000"
            databricks = project["databricks"]
            databricks["service_principal"]["group"]["name"] = f"p{index}-{env}-automation"
            model = databricks["workflows"]["model"] = f"ml_{env}.p{index}.model"
            databricks["workflows"]["output_schema"] = f"ml_{env}.p{index}_scoring"  # no project reads another's
            databricks["serving"]["name"] = f"mlplatform-{env}-p{index}"
            databricks["serving"]["served_models"][0]["model"] = model
    return raw


def stacks_of(env: str, layer: str, projects: tuple[str, ...] = PROJECTS) -> list[str]:
    return [f"mlplatform-{env}-{project}-{layer}" for project in projects]


def variable_of(stack: str) -> str:
    """How the apply step names a stack's published SHA-256 (ops/saved_plan.sh reads it)."""
    return "PLAN_SHA256_" + stack.upper().replace("-", "_")


def assert_applies_exactly_each_project_s_saved_plan(
    jobs: dict[str, Any], plan_id: str, apply_id: str, env: str, layer: str, *, local: bool
) -> None:
    """One plan job and one apply job for `layer`'s stack of every project: each stack planned and sealed on its own,
    its SHA-256 its own job output, and each stack applied only with its own."""
    plan, apply = jobs[plan_id], jobs[apply_id]
    stacks = stacks_of(env, layer)
    assert (plan["environment"], apply["environment"]) == (f"{env}-plan", env)
    assert runs(plan) == [f"make plan ENV={env} LAYER={layer}"]  # every project's stack, one by one (the Makefile)
    # `changes`: `make plan` publishes whether any stack's plan was sealed, having planned every stack
    assert plan["outputs"] == {
        "changes": "${{ steps.plan.outputs.changes }}",
        **{f"plan_sha256_{stack}": f"${{{{ steps.plan.outputs.plan_sha256_{stack} }}}}" for stack in stacks},
    }
    upload = step_using(plan, "actions/upload-artifact")
    # the other stacks' sealed plans are uploaded when the step failed for one of them
    assert upload["if"] == "${{ !cancelled() && steps.plan.outputs.changes == 'true' }}"
    assert upload["with"]["path"].splitlines() == [f"plans/{stack}.tfplan.enc" for stack in stacks]
    assert upload["with"]["if-no-files-found"] == "error" and 1 <= upload["with"]["retention-days"] <= 5
    download = step_using(apply, "actions/download-artifact")
    artifact = f"sealed-plans-mlplatform-{env}-{layer}-${{{{ github.sha }}}}"
    assert upload["with"]["name"] == download["with"]["name"] == artifact
    assert download["with"]["path"] == "plans"
    assert apply["needs"] == [plan_id]
    # also when the plan job failed for some stacks: the others' reviewed plans are still applied
    assert apply["if"] == f"${{{{ !cancelled() && needs.{plan_id}.outputs.changes == 'true' }}}}"
    preflight = [f"make preflight ENV={env}"] if layer == "databricks" and local else []
    assert runs(apply) == [*preflight, f"make apply ENV={env} LAYER={layer}"]
    (make_apply,) = [s for s in apply["steps"] if s.get("run", "").startswith("make apply ")]
    assert apply["steps"].index(download) < apply["steps"].index(make_apply)
    # each stack its own SHA-256, from its own output; no SHA-256 that would stand for every stack
    assert make_apply["env"] == {
        "PLAN_PASSPHRASE": "${{ secrets.PLAN_ENCRYPTION_KEY }}",
        **{variable_of(stack): f"${{{{ needs.{plan_id}.outputs.plan_sha256_{stack} }}}}" for stack in stacks},
    }
    text = yaml.safe_dump(apply)
    for planning in ("make plan", "make diff", "make deploy", "make rotate", "terraform plan", "cdktf diff"):
        assert planning not in text, (apply_id, planning)


def test_with_projects_the_promotion_keeps_one_plan_and_one_apply_job_per_environment_and_layer(two_projects):
    jobs = load(two_projects / "deploy.yml")["jobs"]
    assert list(jobs) == ["test", *(job_id for stage in PROJECT_PROMOTION for job_id in stage)]
    previous = ["test"]
    for stage in PROJECT_PROMOTION:
        assert (jobs[stage[0]]["needs"], jobs[stage[0]].get("if")) == passed(previous), stage[0]
        previous = stage
    assert saved_plan_pairs(jobs) == [tuple(stage) for stage in PROJECT_PROMOTION]


@pytest.mark.parametrize("env", TWO_PROJECT_ENVIRONMENTS)
@pytest.mark.parametrize("layer", LAYERS)
def test_each_project_s_stack_is_planned_sealed_and_applied_on_its_own(two_projects, env, layer):
    jobs = load(two_projects / "deploy.yml")["jobs"]
    local = TWO_PROJECT_ENVIRONMENTS[env] == "local"
    assert_applies_exactly_each_project_s_saved_plan(
        jobs, f"{env}-{layer}-plan", f"{env}-{layer}-apply", env, layer, local=local
    )
    where = "runs on this runner" if local else "runs on Terraform Cloud agents"
    assert jobs[f"{env}-{layer}-plan"]["name"] == (
        f"{env}: {layer} plans of 2 projects ({where}; one section each in the job summary)"
    )


def test_a_stack_s_sha256_reaches_the_apply_under_its_own_name(two_projects):
    """Spelled out once: fraud's dev azure plan is applied with fraud's published SHA-256, not churn's."""
    step = [s for s in load(two_projects / "deploy.yml")["jobs"]["dev-azure-apply"]["steps"] if "run" in s][-1]
    assert step["env"]["PLAN_SHA256_MLPLATFORM_DEV_FRAUD_AZURE"] == (
        "${{ needs.dev-azure-plan.outputs.plan_sha256_mlplatform-dev-fraud-azure }}"
    )


def test_the_jobs_name_the_stacks_the_makefile_plans(two_projects):
    """The stacks a job publishes SHA-256s for are the ones `make plan` / `make apply` loop over (main.py --stacks)."""
    jobs = load(two_projects / "deploy.yml")["jobs"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPLATFORM_")}
    for name in TWO_PROJECT_ENVIRONMENTS:
        for layer in LAYERS:
            listed = subprocess.run(
                [sys.executable, str(ROOT / "main.py"), "--stacks", layer],
                cwd=ROOT,
                env={**env, "MLPLATFORM_CONFIG": str(EXAMPLE), "MLPLATFORM_ENVIRONMENTS": name},
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            published = [
                o.removeprefix("plan_sha256_") for o in jobs[f"{name}-{layer}-plan"]["outputs"] if o != "changes"
            ]
            assert published == listed == stacks_of(name, layer)


def test_the_heartbeat_rotates_every_project_s_azure_stack_then_checks_drift_and_smoke_of_every_project(two_projects):
    jobs = load(two_projects / "maintenance.yml")["jobs"]
    assert list(jobs) == [
        f"{env}-{job}" for env in TWO_PROJECT_ENVIRONMENTS for job in ("rotation-plan", "rotation-apply", "drift")
    ]
    for env, mode in TWO_PROJECT_ENVIRONMENTS.items():
        plan_id, apply_id = f"{env}-rotation-plan", f"{env}-rotation-apply"
        assert_applies_exactly_each_project_s_saved_plan(jobs, plan_id, apply_id, env, "azure", local=mode == "local")
        # `make drift ENV=` and `make smoke ENV=` cover every project of the environment (tests/test_makefile.py)
        smoke = [f"make smoke ENV={env}"] if mode == "local" else []
        assert runs(jobs[f"{env}-drift"]) == [f"make drift ENV={env}", *smoke]
    assert (jobs["prod-rotation-plan"]["needs"], jobs["prod-rotation-plan"]["if"]) == passed(
        ["dev-rotation-plan", "dev-rotation-apply", "dev-drift"]
    )


def runs_after(jobs: dict[str, Any], job_id: str, results: dict[str, str], outputs: dict[str, dict[str, str]]) -> bool:
    """Whether GitHub starts `job_id` once the jobs it needs ended with `results` and published `outputs`: its `if`,
    with GitHub's implicit `success() &&` when the condition names no status function (only the forms the generator
    writes: `!cancelled()`, `success()`, needs.<job>.result / .outputs.<name>, ==, !=, &&, ||, parentheses)."""
    job = jobs[job_id]
    needs = job.get("needs", [])
    condition = job.get("if", "").strip()
    if condition.startswith("${{"):
        condition = condition.removeprefix("${{").removesuffix("}}").strip()
    if not re.search(r"\b(always|cancelled|failure|success)\(\)", condition):
        condition = "success()" + (f" && ({condition})" if condition else "")

    def value(match: re.Match) -> str:
        need, field = match.group(1), match.group(2)
        assert need in needs, (job_id, need)
        if field == "result":
            return repr(results[need])
        return repr(outputs.get(need, {}).get(field.removeprefix("outputs."), ""))

    python = re.sub(r"needs\.([\w-]+)\.(result|outputs\.[\w-]+)", value, condition)
    python = python.replace("success()", repr(all(results[need] == "success" for need in needs)))
    python = python.replace("!cancelled()", "True").replace("&&", " and ").replace("||", " or ")
    assert "!" not in python.replace("!=", ""), python
    return bool(eval(python))  # the generator's own expressions, rewritten above into Python


@pytest.mark.parametrize(
    "name,plan,apply,after",
    [
        ("deploy", "dev-azure-plan", "dev-azure-apply", ["dev-databricks-plan"]),
        ("maintenance", "dev-rotation-plan", "dev-rotation-apply", ["prod-rotation-plan"]),
    ],
)
def test_with_projects_a_plan_job_failing_for_one_project_still_applies_the_others_then_stops_the_promotion(
    two_projects, name, plan, apply, after
):
    """churn's plan fails, fraud's has changes (its rotation, say): `make plan` went on past churn and published
    `changes=true`; the apply job still runs (fraud applied, churn refused by `make apply`), the drift check too, and
    nothing after this environment-layer starts."""
    jobs = load(two_projects / f"{name}.yml")["jobs"]
    before = dict.fromkeys(jobs[plan].get("needs", []), "success")
    assert runs_after(jobs, plan, before, {})
    published = {plan: {"changes": "true", "plan_sha256_mlplatform-dev-churn-azure": "failed"}}
    results = {**before, plan: "failure"}
    assert runs_after(jobs, apply, results, published)
    # the upload of the others' sealed plans runs after the failed step
    upload = step_using(jobs[plan], "actions/upload-artifact")
    assert upload["if"].startswith("${{ !cancelled() && ")
    for apply_result in ("success", "failure"):
        finished = {**results, apply: apply_result, "dev-drift": "success"}
        if name == "maintenance":
            assert runs_after(jobs, "dev-drift", finished, published)
        for job_id in after:
            assert not runs_after(jobs, job_id, finished, published), job_id
    # every stack failed (nothing sealed): nothing to apply, and still nothing after it
    assert not runs_after(jobs, apply, results, {plan: {"changes": "false"}})
    # a cancelled run applies nothing: `!cancelled()` is false then (not modelled here), so only the condition's shape
    assert jobs[apply]["if"].startswith("${{ !cancelled() && ")


def test_without_projects_a_failed_plan_job_is_followed_by_nothing(workflows):
    """The default config's jobs (one stack each) are unchanged: a plan that failed published `changes=false`."""
    jobs = workflows["deploy"]["jobs"]
    results = {"test": "success", "dev-azure-plan": "failure"}
    for changes in ("false", ""):
        assert not runs_after(jobs, "dev-azure-apply", results, {"dev-azure-plan": {"changes": changes}})
    assert runs_after(
        jobs, "dev-azure-apply", {**results, "dev-azure-plan": "success"}, {"dev-azure-plan": {"changes": "true"}}
    )
    finished = {**results, "dev-azure-apply": "skipped"}
    assert not runs_after(jobs, "dev-databricks-plan", finished, {})
    assert runs_after(jobs, "dev-databricks-plan", {**finished, "dev-azure-plan": "success"}, {})


def test_with_projects_every_job_is_still_in_its_environment_s_one_concurrency_group(two_projects):
    """A job holds that layer's stack of every project of its environment: one group per environment's states."""
    assert_one_concurrency_group_per_environment(
        {name: load(two_projects / f"{name}.yml") for name in ("deploy", "maintenance")}
    )


def test_with_projects_only_sealed_plans_are_uploaded_and_no_secret_is_named(two_projects):
    for name in ("deploy", "maintenance"):
        assert_every_upload_is_a_sealed_plan(load(two_projects / f"{name}.yml"))
        text = (two_projects / f"{name}.yml").read_text(encoding="utf-8")
        assert set(re.findall(r"secrets\.(\w+)", text)) <= {"TF_API_TOKEN", "PLAN_ENCRYPTION_KEY"}
        assert "CLIENT_SECRET" not in text and "DATABRICKS_TOKEN" not in text
        for job in load(two_projects / f"{name}.yml")["jobs"].values():
            for step in job["steps"]:
                assert "${{" not in step.get("run", "")


def test_with_projects_the_workflows_pass_actionlint_and_zizmor(two_projects):
    files = sorted(two_projects.glob("*.yml"))
    result = lint(*files)
    assert result.returncode == 0, result.stdout
    result = zizmor(*files)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def fifty_projects(tmp_path_factory) -> dict[str, Path]:
    """The workflows for 50 projects in each of three environments (150 projects, 450 stacks)."""
    folder = tmp_path_factory.mktemp("fifty-projects-workflows")
    files = generator.rendered(config_from(with_projects(50)))
    assert generator.beyond_github_limits(files) == []
    for path, text in files.items():
        (folder / path.name).write_text(text, encoding="utf-8")
    return {path.stem: folder / path.name for path in files}


def test_the_number_of_jobs_does_not_grow_with_the_projects(fifty_projects):
    """GitHub runs at most 256 jobs per workflow run: 150 jobs per stack would not fit, one per layer does."""
    two = {path.stem: parse(text) for path, text in generator.rendered(config_from(with_projects(2))).items()}
    fifty = {name: load(path) for name, path in fifty_projects.items()}
    assert {name: len(w["jobs"]) for name, w in fifty.items()} == {"deploy": 19, "maintenance": 9}
    assert {name: len(w["jobs"]) for name, w in two.items()} == {"deploy": 19, "maintenance": 9}
    assert list(fifty["deploy"]["jobs"]) == list(two["deploy"]["jobs"])
    assert len(fifty["deploy"]["jobs"]) <= generator.MAX_JOBS
    stacks = [o for o in fifty["deploy"]["jobs"]["prod-serving-plan"]["outputs"] if o != "changes"]
    assert stacks == [f"plan_sha256_mlplatform-prod-p{i}-serving" for i in range(50)]


def test_the_workflow_files_for_fifty_projects_stay_under_github_s_size_limit_and_pass_the_linters(fifty_projects):
    sizes = {name: path.stat().st_size for name, path in fifty_projects.items()}
    assert all(size < generator.MAX_FILE_BYTES for size in sizes.values()), sizes
    result = lint(*fifty_projects.values())
    assert result.returncode == 0, result.stdout
    result = zizmor(*fifty_projects.values())
    assert result.returncode == 0, result.stdout + result.stderr


def test_generation_refuses_a_workflow_github_would_not_run(monkeypatch, capsys):
    monkeypatch.setenv("MLPLATFORM_CONFIG", str(EXAMPLE))
    monkeypatch.delenv("MLPLATFORM_ENVIRONMENTS", raising=False)
    monkeypatch.delenv("MLPLATFORM_PROJECTS", raising=False)
    monkeypatch.setattr(generator, "MAX_FILE_BYTES", 20_000)
    monkeypatch.setattr(generator, "MAX_JOBS", 10)
    assert generator.main(["--check"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert errors[0] == "error: deploy.yml has 13 jobs; GitHub runs at most 10 per workflow run"
    assert re.fullmatch(
        r"error: deploy\.yml is \d+ bytes; GitHub starts no run of a workflow file over 20000 bytes "
        r"\(fewer environments or projects per config\)",
        errors[1],
    )
