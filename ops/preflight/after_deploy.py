"""`make smoke ENV=<env>`: after a deploy, ask the workspace what a plan cannot see.

Read-only, through the Databricks SDK for Python, as the deploying identity:

- the ML principal's entitlements are the configured ones: provider 1.99.0 reads entitlements only as
  true (scim/scim.go), so one removed by hand is invisible to `make drift` (terraform-provider-databricks
  #4104) while the jobs that run as the principal then fail;
- the Key Vault-backed scope lists the vault's client secret: Databricks really reads the vault through
  the scope (whether it can with the vault's public access off is disputed: MicrosoftDocs/azure-docs
  #116736 vs #119004; this asks the workspace);
- each workflow job runs as the principal;
- the serving endpoint, once it exists, is ready and not mid-update.
"""

from __future__ import annotations

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError, NotFound

from config import EnvironmentSettings
from config.naming import ml_identity_name, ml_job_name, secret_scope_name

from .checks import Report, reason, scim_filter

ENTITLEMENTS = {
    "workspace_access": "workspace-access",
    "databricks_sql_access": "databricks-sql-access",
    "allow_cluster_create": "allow-cluster-create",
}
"""Config's entitlement fields and the SCIM values the workspace knows them by."""


def after_deploy(client: WorkspaceClient, environment: EnvironmentSettings, prefix: str) -> Report:
    """Every after-deploy check of one environment; stops after the first line when the principal is missing."""
    report = Report()
    settings = environment.databricks
    name = settings.service_principal.display_name or ml_identity_name(prefix, environment.label)
    try:
        found = list(client.service_principals.list(filter=scim_filter("displayName", name)))
    except DatabricksError as error:
        report.problems.append(f"service principal '{name}': cannot be read: {reason(error)}")
        return report
    principal = next((p for p in found if p.display_name == name), None)
    if principal is None or not principal.application_id:
        report.problems.append(f"service principal '{name}' does not exist: deploy the databricks layer first")
        return report
    _entitlements(principal, environment, report)
    _scope(client, environment, prefix, report)
    _jobs(client, environment, prefix, principal.application_id, report)
    _endpoint(client, environment, report)
    return report


def _entitlements(principal, environment: EnvironmentSettings, report: Report) -> None:
    configured = environment.databricks.service_principal.entitlements
    held = {e.value for e in principal.entitlements or () if e.value}
    wanted = {value for field, value in ENTITLEMENTS.items() if getattr(configured, field)}
    label = f"service principal '{principal.display_name}'"
    missing, extra = sorted(wanted - held), sorted(held & set(ENTITLEMENTS.values()) - wanted)
    if missing:
        report.problems.append(
            f"{label} lacks {', '.join(missing)}, which config gives it: removed by hand? The plan cannot see it "
            "(terraform-provider-databricks #4104); add it back in the workspace (Settings > Identity and access > "
            "Service principals)"
        )
    if extra:
        report.problems.append(f"{label} holds {', '.join(extra)}, which config does not give it")
    if not missing and not extra:
        report.passed.append(
            f"{label} holds exactly the configured entitlements ({', '.join(sorted(wanted)) or 'none'})"
        )


def _scope(client: WorkspaceClient, environment: EnvironmentSettings, prefix: str, report: Report) -> None:
    scope = environment.databricks.secret_scope.name or secret_scope_name(prefix, environment.label)
    secret = environment.azure.key_vault.secret_name
    try:
        keys = {s.key for s in client.secrets.list_secrets(scope)}
    except DatabricksError as error:
        report.problems.append(
            f"scope '{scope}' cannot list the vault's secrets: {reason(error)} (the AzureDatabricks app needs Key Vault "
            "Secrets User, and the firewall must let trusted Azure services through; "
            "docs/access.md: Where the client secret lives)"
        )
        return
    if secret in keys:
        report.passed.append(f"scope '{scope}' lists '{secret}': Databricks reads the vault")
    else:
        report.problems.append(f"scope '{scope}' does not list '{secret}': has the azure layer written it?")


def _jobs(
    client: WorkspaceClient, environment: EnvironmentSettings, prefix: str, principal: str, report: Report
) -> None:
    workflows = environment.databricks.workflows
    for kind in workflows.jobs() if workflows else ():
        job_name = ml_job_name(prefix, environment.label, kind)
        try:
            found = [j for j in client.jobs.list(name=job_name) if j.job_id is not None]
            run_as = [client.jobs.get(j.job_id).run_as_user_name for j in found if j.job_id is not None]
        except DatabricksError as error:
            report.problems.append(f"job '{job_name}': cannot be read: {reason(error)}")
            continue
        if not run_as:
            report.problems.append(f"job '{job_name}' does not exist: deploy the databricks layer")
        elif set(run_as) != {principal}:
            report.problems.append(
                f"job '{job_name}' runs as {', '.join(sorted(map(str, set(run_as))))}, not the ML principal"
            )
        else:
            report.passed.append(f"job '{job_name}' runs as the ML principal")


def _endpoint(client: WorkspaceClient, environment: EnvironmentSettings, report: Report) -> None:
    name = environment.databricks.serving.name
    try:
        endpoint = client.serving_endpoints.get(name)
    except NotFound:
        report.notes.append(
            f"serving endpoint '{name}' does not exist yet: the serving stack creates it once the served aliases and "
            "versions exist (docs/serving.md follows the registry)"
        )
        return
    except DatabricksError as error:
        report.problems.append(f"serving endpoint '{name}': cannot be read: {reason(error)}")
        return
    state = endpoint.state
    ready = getattr(state.ready, "value", None) if state and state.ready else None
    update = getattr(state.config_update, "value", None) if state and state.config_update else None
    if ready == "READY" and update == "NOT_UPDATING":
        report.passed.append(f"serving endpoint '{name}' is ready")
    else:
        report.problems.append(f"serving endpoint '{name}' is {ready or 'not ready'} ({update or 'no config'})")
