"""The real databricks provider against the local workspace: one environment's databricks and serving
stacks, applied, planned by each deployer, changed out of band and destroyed (tests/test_lifecycle.py).

A synthesized stack is copied into a scratch folder and changed in exactly what a run on 127.0.0.1
cannot have, nothing else:

- the backend goes (state is a local file in the folder), as in the mock apply;
- the databricks provider block points at the local workspace (`host`) and authenticates with the
  token of whoever runs Terraform (`DATABRICKS_TOKEN`, `pat`), which the workspace takes as that
  identity's Entra ID token, instead of Entra ID against Azure;
- the read-only lookup of the ML app in Entra ID (`data.azuread_application`) becomes a local value
  with the app's client id and owners, since Entra ID is not on 127.0.0.1 (the mock apply checks the
  lookup and its postcondition); its provider goes with it. Each project has an app of its own
  (`ml_app`): several projects' stacks can share one workspace, each principal bound to its own app.

Every other block, expression, condition and argument is the synthesized one. The workspace is
arranged from the environment's config as a platform team would have it before the first deploy:
the deployers are workspace admins, the groups the stacks name exist, and the Unity Catalog
securables exist with the deployers holding what the table of docs/access.md says (`arrange`, once per
project of the workspace).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config import EnvironmentSettings
from config.naming import key_vault_id
from ops.preflight.needs import existing_groups, needs
from proof.terraform_check import terraform_binary
from tests.local_workspace import LocalWorkspace

APP_CLIENT_ID = "9f405162-0000-4000-8000-0000000000c2"
"""The ML app's client id, which Entra ID would generate: the databricks layer binds its principal to
it (the value the mocks use too, proof/mock_apply.py)."""
PRINCIPAL_TOKEN = "token-ml-principal"
"""The ML principal's token: what the training and deployment jobs run with."""


@dataclass(frozen=True)
class MlApp:
    """A project's ML app as the workspace meets it: the Entra client id its principal is bound to, and the
    token its training and deployment jobs run with (which the workspace takes as the principal's)."""

    client_id: str
    token: str


ML_APP = MlApp(APP_CLIENT_ID, PRINCIPAL_TOKEN)
"""The app of an environment without projects."""


def ml_app(project: str | None) -> MlApp:
    """The ML app of `project` (None: an environment without projects, `ML_APP`): a client id of its own,
    as Entra ID generates one per app (a UUID derived from the project's name, stable across runs), and a
    token of its own (`token-ml-principal-<project>`)."""
    if project is None:
        return ML_APP
    return MlApp(str(uuid.uuid5(uuid.UUID(APP_CLIENT_ID), project)), f"{PRINCIPAL_TOKEN}-{project}")


_LOOKUP = re.compile(r"data\.azuread_application\.([A-Za-z0-9_]+)")


def local_stack(stack: Mapping[str, Any], host: str, client_id: str = APP_CLIENT_ID) -> dict[str, Any]:
    """`stack` for the local workspace at `host`, the app lookup answering `client_id` (module docstring)."""
    module = json.loads(json.dumps(stack))
    terraform = module.get("terraform", {})
    for block in ("backend", "cloud"):
        terraform.pop(block, None)
    terraform.get("required_providers", {}).pop("azuread", None)
    module.get("provider", {}).pop("azuread", None)
    module["provider"]["databricks"] = [{"host": host}]
    lookups = module.get("data", {}).pop("azuread_application", {})
    if not module.get("data"):
        module.pop("data", None)
    module = json.loads(_LOOKUP.sub(lambda m: f"local.entra_{m.group(1)}", json.dumps(module)))
    for name in lookups:
        owners = next((v for k, v in module.get("locals", {}).items() if "expected_owners" in k), [])
        module.setdefault("locals", {})[f"entra_{name}"] = {"client_id": client_id, "owners": owners}
    return module


@dataclass(frozen=True)
class Deployer:
    """A configured deployer as the workspace knows it: its Databricks name and its token."""

    name: str
    token: str


CI_PLAN_IDENTITY = Deployer("a1a2a3a4-0000-4000-8000-00000000c1a0", "token-ci-plan-identity")
"""CI's plan identity (docs/ci-cd.md: Who can do what): a workspace admin that is no deployer, so no ACL of
the stacks names it; its plans of the databricks and serving layers must show no change either."""


def deployers_of(environment: EnvironmentSettings) -> list[Deployer]:
    return [Deployer(d.databricks_name, f"token-deployer-{i}") for i, d in enumerate(environment.azure.deployers)]


def arranged_workspace(environment: EnvironmentSettings, app: MlApp = ML_APP, **options: Any) -> LocalWorkspace:
    """A workspace as the environment's first deploy finds it, `app` its ML app (module docstring);
    `options` go to `LocalWorkspace` (e.g. `rules_off`)."""
    workspace = LocalWorkspace(**options)
    arrange(workspace, environment, app)
    return workspace


def arrange(workspace: LocalWorkspace, environment: EnvironmentSettings, app: MlApp = ML_APP) -> None:
    """Make `workspace` what `environment`'s first deploy finds, `app` its ML app (module docstring).

    Called once per project of a shared workspace: what the projects of an environment share (its
    deployers, CI's plan identity, a group or securable another project named too) is arranged once and
    kept; each project's own (its app's token, its vault's secret, its securables) is added."""
    for deployer, settings in zip(deployers_of(environment), environment.azure.deployers, strict=True):
        if workspace.scim.find(deployer.name) is not None:
            continue
        if settings.kind == "user":
            workspace.add_user(deployer.name, token=deployer.token, admin=True)
        else:
            workspace.add_service_principal(deployer.name, token=deployer.token, admin=True)
    if workspace.scim.find(CI_PLAN_IDENTITY.name) is None:
        workspace.add_service_principal(CI_PLAN_IDENTITY.name, token=CI_PLAN_IDENTITY.token, admin=True)
    workspace.add_token(app.client_id, app.token)
    for _, group in existing_groups(environment):
        if workspace.scim.group_named(group) is None:
            workspace.scim.add_group(group)
    vault = environment.azure.key_vault
    vault_id = key_vault_id(environment.azure.subscription_id, environment.azure.resource_group.name, vault.name)
    workspace.secrets.vaults[vault_id.lower()] = [vault.secret_name]  # what the azure layer wrote
    for need in needs(environment):
        if need.kind == "function" and _is_workflows_model(environment, need.full_name):
            continue  # created by the databricks layer
        if workspace.uc.find(need.kind, need.full_name) is None:
            workspace.uc.add(need.kind, need.full_name)
        for deployer in deployers_of(environment):
            workspace.uc.grant(need.kind, need.full_name, deployer.name, *need.privileges)


def _is_workflows_model(environment: EnvironmentSettings, name: str) -> bool:
    workflows = environment.databricks.workflows
    return workflows is not None and workflows.model.lower() == name.lower()


@dataclass(frozen=True)
class Run:
    """One Terraform command: its exit code and what it printed (stdout, then stderr)."""

    args: tuple[str, ...]
    code: int
    output: str
    seconds: float

    def __str__(self) -> str:
        return f"terraform {' '.join(self.args)} -> {self.code}\n{self.output[-6000:]}"


class Layer:
    """One stack in its scratch folder, initialised once against the provider mirror."""

    def __init__(self, folder: Path, stack: Mapping[str, Any], cli_config: Path):
        self.folder = folder
        self.cli_config = cli_config
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "main.tf.json").write_text(json.dumps(stack, indent=2), encoding="utf-8")
        init = self.terraform(["init", "-input=false", "-no-color"], token="")
        if init.code != 0:
            raise RuntimeError(str(init))

    def terraform(self, args: list[str], *, token: str) -> Run:
        """`terraform <args>` as the identity of `token`, with no other credential in reach."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DATABRICKS_", "ARM_", "AZURE_", "TF_")) and key != "HOME"
        }
        env.update(
            HOME=str(self.folder),  # no ~/.databrickscfg, no ~/.azure
            TF_CLI_CONFIG_FILE=str(self.cli_config),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
            DATABRICKS_TOKEN=token,
            DATABRICKS_AUTH_TYPE="pat",
        )
        start = time.monotonic()
        result = subprocess.run(
            [str(terraform_binary()), *args], cwd=self.folder, env=env, capture_output=True, text=True, timeout=600
        )
        return Run(tuple(args), result.returncode, result.stdout + result.stderr, time.monotonic() - start)

    def apply(self, deployer: Deployer) -> Run:
        return self.terraform(["apply", "-auto-approve", "-input=false", "-no-color"], token=deployer.token)

    def plan(self, deployer: Deployer) -> Run:
        """`plan -detailed-exitcode`: 0 no change, 2 changes, 1 an error."""
        return self.terraform(["plan", "-detailed-exitcode", "-input=false", "-no-color"], token=deployer.token)

    def destroy(self, deployer: Deployer) -> Run:
        return self.terraform(["destroy", "-auto-approve", "-input=false", "-no-color"], token=deployer.token)

    def resources(self, kind: str) -> list[dict[str, Any]]:
        """The instances of `kind` in the state, as Terraform recorded their attributes."""
        state = json.loads((self.folder / "terraform.tfstate").read_text())
        return [
            instance["attributes"]
            for resource in state.get("resources", [])
            if resource["mode"] == "managed" and resource["type"] == kind
            for instance in resource["instances"]
        ]


NEW_ML_LTS = {"key": "18.3.x-cpu-ml-scala2.13", "name": "18.3 LTS ML (includes Apache Spark 4.1.0, Scala 2.13)"}
"""A runtime Databricks releases during the day (docs/ml-workflows.md: ML runtime)."""

ENTITLEMENTS = {
    "workspace_access": "workspace-access",
    "databricks_sql_access": "databricks-sql-access",
    "allow_cluster_create": "allow-cluster-create",
}
"""Config's entitlement fields and the SCIM values they stand for (provider 1.99.0 scim/scim.go)."""


@dataclass
class Day:
    """What happened to one environment in a day of its operators' life (`live_a_day`)."""

    runs: dict[str, Run]
    """Step name -> the Terraform run, in the order they ran."""
    before: dict[str, Any]
    """The workspace before the first apply (`LocalWorkspace.snapshot`)."""
    after: dict[str, Any]
    """The workspace after both layers were destroyed."""
    endpoints: dict[str, list[str]]
    """Step name -> the endpoints the workspace had right after it."""
    smoke: dict[str, Any]
    """Step name -> what `make smoke` reported (ops/preflight/after_deploy.py `Report`)."""
    workspace: LocalWorkspace
    name: str = ""
    """Which day this was (set by the test that reads it)."""


def _client(url: str, token: str) -> Any:
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient(host=url, token=token, auth_type="pat")


def train(url: str, model: str, app: MlApp = ML_APP) -> int:
    """Register a new version of `model` as the training job does (as `app`'s principal); its number."""
    api = _client(url, app.token).api_client
    created = api.do(
        "POST", "/api/2.0/mlflow/unity-catalog/model-versions/create", body={"name": model, "source": "runs:/0/model"}
    )
    version = created["model_version"]["version"]
    api.do("POST", "/api/2.0/mlflow/unity-catalog/model-versions/finalize", body={"name": model, "version": version})
    return int(version)


def serve_versions(url: str, environment: EnvironmentSettings, app: MlApp = ML_APP) -> None:
    """What the first runs of the training and deployment jobs do, as `app`'s principal: register versions
    of every served model (up to the highest pinned one) and point the configured aliases at the newest."""
    serving = environment.databricks.serving
    client = _client(url, app.token)
    for model in sorted({m.model for m in serving.served_models}):
        pinned = [int(m.version) for m in serving.served_models if m.model == model and m.version]
        while (versions := train(url, model, app)) < max(pinned, default=1):
            pass
        for served in serving.served_models:
            if served.model == model and served.alias:
                client.registered_models.set_alias(model, served.alias, versions)


def layers(
    stacks: Mapping[str, Mapping[str, Any]], url: str, cli_config: Path, folder: Path, app: MlApp = ML_APP
) -> tuple[Layer, Layer]:
    """(databricks, serving): the environment's two stacks for the workspace at `url`, bound to `app`,
    each initialised in its folder under `folder`."""
    return (
        Layer(folder / "databricks", local_stack(stacks["databricks"], url, app.client_id), cli_config),
        Layer(folder / "serving", local_stack(stacks["serving"], url, app.client_id), cli_config),
    )


def live_a_day(
    environment: EnvironmentSettings,
    stacks: Mapping[str, Mapping[str, Any]],
    cli_config: Path,
    folder: Path,
    prefix: str = "mlplatform",
    app: MlApp = ML_APP,
) -> Day:
    """Apply, re-plan as every deployer, change things out of band as operators do, ask `make smoke`,
    destroy.

    `stacks`: the environment's synthesized `databricks` and `serving` stacks, of the config whose
    `prefix` is given; `app`: its ML app (`ml_app(environment.project)`). Every step's run is kept;
    nothing is asserted here (tests/test_lifecycle.py does)."""
    from ops.preflight.after_deploy import after_deploy
    from tests.local_workspace import serve

    workspace = arranged_workspace(environment, app)
    deployers = deployers_of(environment)
    first = deployers[0]
    runs: dict[str, Run] = {}
    endpoints: dict[str, list[str]] = {}
    smoke: dict[str, Any] = {}
    before = workspace.snapshot()
    with serve(workspace) as url:
        databricks, endpoint = layers(stacks, url, cli_config, folder, app)
        runs["databricks: first apply"] = databricks.apply(first)
        runs["serving: first apply"] = endpoint.apply(first)
        endpoints["serving: first apply"] = sorted(workspace.serving.endpoints)

        serve_versions(url, environment, app)  # the training job, then the deployment job
        runs["serving: apply once a version exists"] = endpoint.apply(first)
        endpoints["serving: apply once a version exists"] = sorted(workspace.serving.endpoints)
        # The same deploy (or the heartbeat) unpauses a scheduled batch inference now that its model serves.
        runs["databricks: plan once the model can serve"] = databricks.plan(first)
        runs["databricks: apply once the model can serve"] = databricks.apply(first)

        for deployer in [*deployers, CI_PLAN_IDENTITY]:
            runs[f"databricks: next plan by {deployer.name}"] = databricks.plan(deployer)
            runs[f"serving: next plan by {deployer.name}"] = endpoint.plan(deployer)
        as_first = _client(url, first.token)
        smoke["after the deploy"] = after_deploy(as_first, environment, prefix)

        _out_of_band(environment, workspace, url, (databricks, endpoint), first, app, runs)
        principal = workspace.scim.find(app.client_id)
        if principal is not None and principal.entitlements:
            removed = principal.entitlements.pop()  # as an admin unticks it in the UI
            smoke["after an entitlement is removed by hand"] = after_deploy(as_first, environment, prefix)
            principal.entitlements.append(removed)

        # Databricks releases a new ML LTS: the next plan moves the cluster and the policy to it (unless the
        # runtime is pinned), and the last deployer, who did not create the cluster, applies it.
        last = deployers[-1]
        workspace.compute.spark_versions.append(NEW_ML_LTS)
        runs["databricks: plan after a new ML LTS is released"] = databricks.plan(last)
        runs["databricks: apply of the new runtime by the last deployer"] = databricks.apply(last)
        runs["databricks: plan after the new runtime"] = databricks.plan(first)

        runs["serving: destroy"] = endpoint.destroy(first)
        runs["databricks: destroy"] = databricks.destroy(first)
    return Day(runs, before, workspace.snapshot(), endpoints, smoke, workspace)


def _out_of_band(
    environment: EnvironmentSettings,
    workspace: LocalWorkspace,
    url: str,
    stacks: tuple[Layer, Layer],
    first: Deployer,
    app: MlApp,
    runs: dict[str, Run],
) -> None:
    """The changes the docs say a plan catches, or cannot see, each made and then undone (`stacks`: the
    databricks and serving layers; `app`: the environment's ML app)."""
    databricks, endpoint = stacks
    entitlements = environment.databricks.service_principal.entitlements
    held = next((value for field, value in ENTITLEMENTS.items() if getattr(entitlements, field)), None)
    principal = workspace.scim.find(app.client_id)
    if held and principal is not None:
        principal.entitlements.remove(held)  # an admin unticks it in the workspace UI
        runs["databricks: plan after an entitlement is removed by hand"] = databricks.plan(first)
        principal.entitlements.append(held)

    serving = environment.databricks.serving
    aliased = next((m for m in serving.served_models if m.alias), None)
    if aliased is not None:
        version = train(url, aliased.model, app)
        _client(url, app.token).registered_models.set_alias(aliased.model, aliased.alias, version)
        runs["serving: plan after the alias moves"] = endpoint.plan(first)
        runs["serving: apply after the alias moves"] = endpoint.apply(first)
        runs["serving: plan after following the alias"] = endpoint.plan(first)

    deployed = workspace.serving.endpoints.get(serving.name)
    gateway = dict(deployed.ai_gateway or {}) if deployed else {}
    switched = _a_gateway_feature_on(environment, gateway) if deployed else None
    if switched is not None:
        api = _client(url, first.token).api_client
        path = f"/api/2.0/serving-endpoints/{serving.name}/ai-gateway"
        api.do("PUT", path, body=switched)  # someone uses Serving > endpoint > Edit AI Gateway
        runs["serving: plan after a gateway feature is switched on by hand"] = endpoint.plan(first)
        api.do("PUT", path, body=gateway)


def _a_gateway_feature_on(environment: EnvironmentSettings, gateway: dict[str, Any]) -> dict[str, Any] | None:
    """`gateway` with one feature the config has off switched on (usage tracking, else an inference
    table in the workflows' output schema), or None when config has every feature on."""
    if not (gateway.get("usage_tracking_config") or {}).get("enabled"):
        return {**gateway, "usage_tracking_config": {"enabled": True}}
    workflows = environment.databricks.workflows
    if not (gateway.get("inference_table_config") or {}).get("enabled") and workflows:
        catalog, schema = workflows.output_schema.split(".")
        table = {"enabled": True, "catalog_name": catalog, "schema_name": schema, "table_name_prefix": "by_hand"}
        return {**gateway, "inference_table_config": table}
    return None
