"""Names an environment takes where other environments could take them too: the same tenant,
subscription, workspace or Key Vault namespace. Each entry of `UNIQUE_ACROSS_ENVIRONMENTS` names the
config field, how to read its values (with the scope within which each must be unique) and why; the
root model reports every collision, one line each (config/root.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .naming import github_actions_identity_name, ml_identity_name, secret_scope_name


def collisions(config: Any, key: Callable[[Any, Any], list[tuple[str, str]]]) -> list[tuple[Any, Any, str]]:
    """(first, later, value) for each environment (each project of one) whose `key(environment, config)` an
    earlier one already has."""
    seen: dict[Any, Any] = {}
    found = []
    for environment in config.environments:
        for value, scope in key(environment, config):
            if (scope, value.lower()) in seen:
                found.append((seen[(scope, value.lower())], environment, value))
            else:
                seen[(scope, value.lower())] = environment
    return found


def _created_resource_group(e: Any, _config: Any):
    group = e.azure.resource_group
    return [(group.name, e.azure.subscription_id)] if group.create else []


def _created_group(e: Any, _config: Any):
    group = e.databricks.service_principal.group
    return [(group.name, e.databricks.workspace.host)] if group.create else []


def _app_names(e: Any, config: Any):
    """The Entra app names an environment takes in its tenant: the ML app (configured or default) and,
    with `ci.create_identity`, its GitHub Actions app; names as the stacks make them."""

    names = [e.azure.application.display_name or ml_identity_name(config.prefix, e.label)]
    first_project = config.projects_of(e.name)[0] is e  # the environment's CI identity, named once
    if config.ci is not None and config.ci.create_identity and e.execution_mode == "local" and first_project:
        names.append(github_actions_identity_name(config.prefix, e.name))
    return [(name, e.azure.tenant_id) for name in names]


def _scope_name(e: Any, config: Any):
    return [(e.databricks.secret_scope.name or secret_scope_name(config.prefix, e.label), e.databricks.workspace.host)]


def _workflows_model(e: Any, _config: Any):
    workflows = e.databricks.workflows
    return [(workflows.model, e.databricks.workspace.host)] if workflows else []


def _inference_table(e: Any, _config: Any):
    """The table Databricks writes an endpoint's inference log to: `<catalog>.<schema>.<prefix>_payload`
    (prefix: the endpoint name by default)."""
    gateway = e.databricks.serving.ai_gateway
    table = gateway.inference_table if gateway else None
    if table is None:
        return []
    prefix = table.table_prefix or e.databricks.serving.name
    return [(f"{table.catalog}.{table.schema_name}.{prefix}_payload", e.databricks.workspace.host)]


# (field, values of one environment as (value, scope within which it must be unique), why)
UNIQUE_ACROSS_ENVIRONMENTS = (
    ("azure.key_vault.name", lambda e, _: [(e.azure.key_vault.name, "azure")], "Key Vault names are globally unique"),
    (
        "azure.resource_group.name",
        _created_resource_group,
        "two environments cannot both create one resource group in the same subscription",
    ),
    (
        "azure.application.display_name",
        _app_names,
        "app registrations refuse duplicate display names in a tenant (defaults included)",
    ),
    (
        "databricks.secret_scope.name",
        _scope_name,
        "secret scope names are unique within a workspace (defaults included)",
    ),
    (
        "databricks.serving.name",
        lambda e, _: [(e.databricks.serving.name, e.databricks.workspace.host)],
        "serving endpoint names are unique within a workspace",
    ),
    (
        "databricks.service_principal.group.name",
        _created_group,
        "two environments cannot both create one group in the same workspace; set create: false in one",
    ),
    (
        "databricks.workflows.model",
        _workflows_model,
        "each environment's workflows create and own their registered model: two in one workspace would both create it",
    ),
    (
        "databricks.serving.ai_gateway.inference_table",
        _inference_table,
        "two endpoints in one workspace would write one inference table (<catalog>.<schema>.<prefix>_payload)",
    ),
)


def workspace_identity_problems(environments: list[Any]) -> list[str]:
    """One workspace host names one workspace resource id across environments, and the other way round:
    the provider reaches the host and authenticates for the resource id (azure_workspace_resource_id), so
    a mismatch would deploy to one workspace with the identity of another."""
    problems = []
    by_host: dict[str, Any] = {}
    by_id: dict[str, Any] = {}
    for e in environments:
        host, resource_id = e.databricks.workspace.host.rstrip("/").lower(), e.databricks.workspace.resource_id.lower()
        first = by_host.setdefault(host, e)
        if first.databricks.workspace.resource_id.lower() != resource_id:
            problems.append(
                f"environment '{e.name}': databricks.workspace.resource_id differs from environment '{first.name}''s "
                f"for the same host {e.databricks.workspace.host}: one workspace has one resource id"
            )
        first = by_id.setdefault(resource_id, e)
        if first.databricks.workspace.host.rstrip("/").lower() != host:
            problems.append(
                f"environment '{e.name}': databricks.workspace.host differs from environment '{first.name}''s for the "
                f"same resource id: one workspace has one host"
            )
    return problems
