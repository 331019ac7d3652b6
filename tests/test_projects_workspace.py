"""Two projects in one workspace stay apart, with the real databricks provider against the local workspace.

Both projects of dev in the two-projects example (config/examples/two-projects.yaml, the `two-projects`
config variant of tests/config_variants.py: `churn` and `fraud`) are deployed into ONE local workspace, each
principal bound to its project's own Entra app (its own client id and token, tests/lifecycle.py `ml_app`):
each project's databricks stack is applied, then its serving stack (no endpoint yet); its training and
deployment jobs register a version and set the alias, as its own principal; its serving stack is applied
again and creates the endpoint. Then each project's next plan of both layers shows no change (the other
project's deploy disturbed nothing of it), and each project's principal, through the Databricks SDK for
Python, tries the other project's objects:

- list the secrets of its Key Vault-backed scope (`secrets.reading_needs_read_acl`);
- register a version of its registered model and move its alias (`uc.owner_writes_versions_and_aliases`);
- read and query its serving endpoint (`serving.endpoint_permissions_enforced`).

Each is refused 403 PERMISSION_DENIED, and the same call on the principal's own object succeeds, so the
refusal is the access rule, not a missing object or a malformed call. The same deploy into a workspace
with those rules switched off (`ISOLATION_RULES`) lets each cross-project call through: the refusals rest
on those rules, each of which tests/local_workspace/rules.py names with its source. What this proves is
that no stack grants one project's principal anything on the other's objects, under the API's documented
access rules; that Databricks enforces them as documented is the documentation's claim, not this test's.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError, PermissionDenied
from databricks.sdk.service.serving import ServingEndpointDetailedPermissionLevel

from config import EnvironmentSettings
from config.naming import secret_scope_name
from tests.lifecycle import Layer, Run, arrange, deployers_of, layers, ml_app, serve_versions, train
from tests.local_workspace import LocalWorkspace, serve

VARIANT = "two-projects"
ENVIRONMENT = "dev"
PROJECTS = ("churn", "fraud")
ISOLATION_RULES = (
    "secrets.reading_needs_read_acl",
    "uc.owner_writes_versions_and_aliases",
    "serving.endpoint_permissions_enforced",
)
"""The local workspace's rules that refuse one project's principal the other's scope, model and endpoint."""
RULES_ON, RULES_OFF, OFFBOARDED = "every rule on", "isolation rules off", "fraud offboarded"
DIRECTIONS = [("churn", "fraud"), ("fraud", "churn")]
"""(the project whose principal calls, the project whose objects it calls on)."""
RECORDS = [{"tenure_months": 7, "monthly_charges": 42.5}]
"""A scoring request's input (the local workspace answers one prediction per record)."""


@dataclass
class Shared:
    """One workspace holding both projects' stacks, served for the module."""

    workspace: LocalWorkspace
    url: str
    projects: dict[str, EnvironmentSettings]
    """Project -> its settings (dev of the example)."""
    prefix: str
    layers: dict[str, tuple[Layer, Layer]] = field(default_factory=dict)
    """Project -> its (databricks, serving) layers, applied."""
    runs: dict[str, Run] = field(default_factory=dict)
    """`<project> <layer>: <step>` -> the Terraform run."""

    def client(self, project: str) -> WorkspaceClient:
        """The Databricks SDK as `project`'s ML principal (its app's token)."""
        return WorkspaceClient(host=self.url, token=ml_app(project).token, auth_type="pat")

    def scope(self, project: str) -> str:
        settings = self.projects[project]
        return settings.databricks.secret_scope.name or secret_scope_name(self.prefix, settings.label)

    def model(self, project: str) -> str:
        workflows = self.projects[project].databricks.workflows
        assert workflows is not None
        return workflows.model

    def endpoint(self, project: str) -> str:
        return self.projects[project].databricks.serving.name


def _deploy(shared: Shared, project: str, stacks: dict[str, Any], cli_config: Path, folder: Path) -> None:
    """`project`'s first deploy into the shared workspace, as the first deployer; stops at a failed run."""
    environment = shared.projects[project]
    app = ml_app(project)
    first = deployers_of(environment)[0]
    databricks, endpoint = shared.layers[project] = layers(stacks, shared.url, cli_config, folder / project, app)
    for step, layer in (("databricks: apply", databricks), ("serving: first apply", endpoint)):
        shared.runs[f"{project} {step}"] = run = layer.apply(first)
        if run.code != 0:
            return
    serve_versions(shared.url, environment, app)  # the training job, then the deployment job
    shared.runs[f"{project} serving: apply once a version exists"] = endpoint.apply(first)


def _offboard(shared: Shared, gone: str, staying: str) -> None:
    """`gone`'s reviewed destroy (serving, then databricks), then `staying`'s next plan of each layer."""
    first = deployers_of(shared.projects[gone])[0]
    databricks, endpoint = shared.layers[gone]
    for step, layer in (("serving: destroy", endpoint), ("databricks: destroy", databricks)):
        shared.runs[f"{gone} {step}"] = layer.destroy(first)
    _plan_again(shared, staying)


def _plan_again(shared: Shared, project: str) -> None:
    """Each layer of `project` planned by the first deployer once both projects are deployed."""
    first = deployers_of(shared.projects[project])[0]
    for name, layer in zip(("databricks", "serving"), shared.layers[project], strict=True):
        shared.runs[f"{project} {name}: next plan"] = layer.plan(first)


@pytest.fixture(scope="module")
def workspaces(provider_cli_config, variant_configs, variant_stacks, tmp_path_factory):
    """RULES_ON and RULES_OFF -> a `Shared` workspace with both projects deployed (two deploys at a time)."""
    config = variant_configs[VARIANT]
    projects = {e.project: e for e in config.environments if e.name == ENVIRONMENT and e.project in PROJECTS}
    stacks = {
        project: {layer: variant_stacks[f"{config.prefix}-{e.label}-{layer}"] for layer in ("databricks", "serving")}
        for project, e in projects.items()
    }
    with ExitStack() as served:
        shared = {}
        for name, off in ((RULES_ON, ()), (RULES_OFF, ISOLATION_RULES), (OFFBOARDED, ())):
            workspace = LocalWorkspace(rules_off=off)
            for project, environment in projects.items():
                arrange(workspace, environment, ml_app(project))
            url = served.enter_context(serve(workspace))
            shared[name] = Shared(workspace, url, projects, config.prefix)
        folder = tmp_path_factory.mktemp("projects-workspace")
        with ThreadPoolExecutor(max_workers=2) as pool:
            deploys = [
                pool.submit(
                    _deploy, one, project, stacks[project], provider_cli_config, folder / name.replace(" ", "-")
                )
                for name, one in shared.items()
                for project in PROJECTS
            ]
            for deploy in deploys:
                deploy.result()
            plans = [pool.submit(_plan_again, shared[RULES_ON], project) for project in PROJECTS]
            plans.append(pool.submit(_offboard, shared[OFFBOARDED], "fraud", "churn"))
            for plan in plans:
                plan.result()
        yield shared


@pytest.fixture
def shared(workspaces) -> Shared:
    return workspaces[RULES_ON]


def _refused(call) -> DatabricksError:
    """The error `call()` raised; it must be the SDK's PermissionDenied (error code PERMISSION_DENIED)."""
    with pytest.raises(PermissionDenied) as caught:
        call()
    assert caught.value.error_code == "PERMISSION_DENIED"
    return caught.value


def _last_answer(shared: Shared, project: str) -> tuple[str, str, int]:
    """(method, path, HTTP status) of the last request `project`'s principal made."""
    last = [r for r in shared.workspace.requests if r.caller == ml_app(project).client_id][-1]
    return last.method, last.path, last.status


# --- both projects in one workspace ---------------------------------------------------------------


@pytest.mark.parametrize("name", [RULES_ON, RULES_OFF])
def test_both_projects_deploy_into_one_workspace_each_bound_to_its_own_app(workspaces, name):
    one = workspaces[name]
    for step, run in one.runs.items():
        assert run.code == 0, f"{step}: {run}"
    assert len([step for step in one.runs if step.endswith("apply once a version exists")]) == 2
    assert sorted(one.workspace.serving.endpoints) == sorted(one.endpoint(p) for p in PROJECTS)
    for project in PROJECTS:
        principal = one.workspace.scim.find(ml_app(project).client_id)
        assert principal is not None and principal.kind == "service_principal"
        assert principal.display_name == f"{one.prefix}-{ENVIRONMENT}-{project}-ml"
    assert ml_app("churn").client_id != ml_app("fraud").client_id
    assert (one.workspace.unhandled, one.workspace.faults) == ([], [])


@pytest.mark.parametrize("project", PROJECTS)
def test_after_both_deploys_each_project_s_next_plan_shows_no_change(shared, project):
    """docs/projects.md: one project's deploy changes nothing of another's, so its plans stay empty."""
    for layer in ("databricks", "serving"):
        run = shared.runs[f"{project} {layer}: next plan"]
        assert run.code == 0, run


def test_offboarding_one_project_destroys_only_its_objects_and_the_other_plans_no_change(workspaces):
    """docs/projects.md: Removing a team. fraud's reviewed destroy of its two workspace layers, in a workspace
    holding both projects: fraud's principal, scope, jobs, model and endpoint are gone, churn's are all there, and
    churn's next plan of each layer shows no change."""
    one = workspaces[OFFBOARDED]
    for step, run in one.runs.items():
        assert run.code == 0, f"{step}: {run}"
    assert {"fraud serving: destroy", "fraud databricks: destroy", "churn databricks: next plan"} <= set(one.runs)
    workspace = one.workspace
    assert workspace.scim.find(ml_app("fraud").client_id) is None
    assert workspace.scim.find(ml_app("churn").client_id) is not None
    assert sorted(workspace.serving.endpoints) == [one.endpoint("churn")]
    assert workspace.uc.find("function", one.model("fraud")) is None
    assert workspace.uc.find("function", one.model("churn")) is not None
    assert one.scope("fraud") not in workspace.secrets.scopes and one.scope("churn") in workspace.secrets.scopes
    jobs = sorted(job.settings["name"] for job in workspace.jobs.jobs.values())
    assert jobs == sorted(f"{one.prefix}-dev-churn-{kind}" for kind in ("batch-inference", "deployment", "training"))
    assert (workspace.unhandled, workspace.faults) == ([], [])


# --- each principal: its own objects yes, the other project's no ------------------------------------


@pytest.mark.parametrize("caller, other", DIRECTIONS)
def test_a_principal_lists_its_own_scope_and_is_refused_the_other_s(shared, caller, other):
    client = shared.client(caller)
    secret = shared.projects[caller].azure.key_vault.secret_name
    assert [s.key for s in client.secrets.list_secrets(shared.scope(caller))] == [secret]
    error = _refused(lambda: list(client.secrets.list_secrets(shared.scope(other))))
    assert str(error).startswith(
        f"User {ml_app(caller).client_id} does not have READ permission on scope {shared.scope(other)}."
    )
    assert _last_answer(shared, caller) == ("GET", "/api/2.0/secrets/list", 403)


@pytest.mark.parametrize("caller, other", DIRECTIONS)
def test_a_principal_versions_and_aliases_its_own_model_and_is_refused_the_other_s(shared, caller, other):
    app = ml_app(caller)
    version = train(shared.url, shared.model(caller), app)
    shared.client(caller).registered_models.set_alias(shared.model(caller), "challenger", version)
    assert shared.workspace.uc.get("function", shared.model(caller)).aliases["challenger"] == version

    other_model = shared.workspace.uc.get("function", shared.model(other))
    before = (dict(other_model.aliases), sorted(other_model.versions))
    error = _refused(lambda: train(shared.url, shared.model(other), app))
    assert str(error).startswith(f"User does not have CREATE MODEL VERSION on Registered model '{shared.model(other)}'")
    assert _last_answer(shared, caller) == ("POST", "/api/2.0/mlflow/unity-catalog/model-versions/create", 403)
    champion = other_model.aliases["champion"]
    _refused(lambda: shared.client(caller).registered_models.set_alias(shared.model(other), "champion", champion))
    path = f"/api/2.1/unity-catalog/models/{shared.model(other)}/aliases/champion"
    assert _last_answer(shared, caller) == ("PUT", path, 403)
    assert (other_model.aliases, sorted(other_model.versions)) == before  # nothing of it changed


@pytest.mark.parametrize("caller, other", DIRECTIONS)
def test_a_principal_reads_and_queries_its_own_endpoint_and_is_refused_the_other_s(shared, caller, other):
    """The serving stack gives the principal CAN_QUERY on its own endpoint (docs/projects.md), nothing else."""
    endpoints = shared.client(caller).serving_endpoints
    own = endpoints.get(shared.endpoint(caller))
    assert (own.name, own.permission_level) == (
        shared.endpoint(caller),
        ServingEndpointDetailedPermissionLevel.CAN_QUERY,
    )
    assert endpoints.query(shared.endpoint(caller), dataframe_records=RECORDS).predictions == [0]

    name, principal = shared.endpoint(other), ml_app(caller).client_id
    error = _refused(lambda: endpoints.get(name))
    assert str(error).startswith(f"User {principal} does not have CAN_VIEW permission on serving endpoint '{name}'.")
    assert _last_answer(shared, caller) == ("GET", f"/api/2.0/serving-endpoints/{name}", 403)
    error = _refused(lambda: endpoints.query(name, dataframe_records=RECORDS))
    assert str(error).startswith(f"User {principal} does not have CAN_QUERY permission on serving endpoint '{name}'.")
    assert _last_answer(shared, caller) == ("POST", f"/serving-endpoints/{name}/invocations", 403)


# --- the refusals rest on the workspace's access rules ------------------------------------------------


@pytest.mark.parametrize("caller, other", DIRECTIONS)
def test_with_the_rule_off_the_other_project_s_scope_is_listed(workspaces, caller, other):
    """`secrets.reading_needs_read_acl` off: the scope's ACL (READ for its own principal) no longer matters."""
    off = workspaces[RULES_OFF]
    secrets = off.client(caller).secrets.list_secrets(off.scope(other))
    assert [s.key for s in secrets] == [off.projects[other].azure.key_vault.secret_name]


@pytest.mark.parametrize("caller, other", DIRECTIONS)
def test_with_the_rule_off_the_other_project_s_model_is_versioned_and_its_alias_moved(workspaces, caller, other):
    """`uc.owner_writes_versions_and_aliases` off: the model's owner (the other principal) no longer matters."""
    off = workspaces[RULES_OFF]
    version = train(off.url, off.model(other), ml_app(caller))
    off.client(caller).registered_models.set_alias(off.model(other), "champion", version)
    assert off.workspace.uc.get("function", off.model(other)).aliases["champion"] == version


@pytest.mark.parametrize("caller, other", DIRECTIONS)
def test_with_the_rule_off_the_other_project_s_endpoint_is_read_and_queried(workspaces, caller, other):
    """`serving.endpoint_permissions_enforced` off: the endpoint's ACL (CAN_QUERY for its own principal) no
    longer matters; the caller holds no level on it."""
    off = workspaces[RULES_OFF]
    endpoints = off.client(caller).serving_endpoints
    assert endpoints.get(off.endpoint(other)).permission_level is None
    assert endpoints.query(off.endpoint(other), dataframe_records=RECORDS).predictions == [0]
