"""What keeps the projects of a workspace apart, beyond unique names (config/uniqueness.py): no project may be given
what another owns, or rest on what another creates
(docs/projects.md: What the projects of an environment share, and why it leaks nothing).

A project's stacks grant its own principal what its config names: EXECUTE on served models it does not own,
SELECT on input tables, CREATE TABLE on its output schema (stacks/databricks.py, stacks/workflows.py). So a config
naming another project's model or output schema there would hand that project's data to this one; and `admins`
holds MANAGE on every secret scope of the workspace, so a principal in it reads every project's client secret.
Joining a group or resource group another project creates ties this one to that project's lifetime: its destroy
would remove the group under this principal (or fail on this vault in its resource group).

Each rule compares every environment and project sharing a workspace (or a subscription, for resource groups),
whatever the environment: two environments in one workspace are as separate as two projects.
"""

from __future__ import annotations

from typing import Any


def _schema(name: str) -> str:
    return ".".join(name.lower().split(".")[:2])


def _owned(e: Any) -> tuple[str | None, str | None]:
    """(the workflows' model, their output schema), lower case; None where there are no workflows."""
    workflows = e.databricks.workflows
    if workflows is None:
        return None, None
    return workflows.model.lower(), workflows.output_schema.lower()


def unity_catalog_problems(environments: list[Any]) -> list[str]:
    """A served model, input table or output schema that is another environment's or project's in the same
    workspace: one line each."""
    problems = []
    for at, e in enumerate(environments):
        host = e.databricks.workspace.host  # normalized: https://<host, lower case> (config/addresses.py)
        for other_at, other in enumerate(environments):
            if other is e or other.databricks.workspace.host != host:
                continue
            model, schema = _owned(other)
            own_model = _owned(e)[0]
            for index, served in enumerate(e.databricks.serving.served_models):
                # (two projects' workflows creating one model are refused as a collision: config/uniqueness.py)
                if model and served.model.lower() == model != own_model:
                    problems.append(
                        f"{e.described}: databricks.serving.served_models[{index}].model: {served.model} is the "
                        f"workflows' model of {other.described}; serving it would grant this principal EXECUTE on "
                        "it and CAN_QUERY on an endpoint of it: serve this project's own models"
                    )
            workflows = e.databricks.workflows
            if workflows is None or schema is None:
                continue
            for table in workflows.input_tables:
                if _schema(table) == schema:
                    problems.append(
                        f"{e.described}: databricks.workflows.input_tables: {table} is in {schema}, the output schema "
                        f"of {other.described}; reading it would grant this principal SELECT on another's results"
                    )
            if workflows.output_schema.lower() == schema and other_at < at:  # the later one, as for collisions
                problems.append(
                    f"{e.described}: databricks.workflows.output_schema: {workflows.output_schema} is also the "
                    f"output schema of {other.described}; each writes its own schema"
                )
    return problems


def admins_problems(environments: list[Any], projects_of: Any) -> list[str]:
    """The workspace's `admins` group for a principal of an environment with several projects."""
    return [
        f"{e.described}: databricks.service_principal.group.name: 'admins' makes the principal a workspace "
        "administrator, with MANAGE on every secret scope: it could read every project's client secret; refused in "
        "an environment with several projects"
        for e in environments
        if e.project is not None
        and len(projects_of(e.name)) > 1
        and e.databricks.service_principal.group.name.lower() == "admins"
    ]


def joined_problems(environments: list[Any]) -> list[str]:
    """A group (workspace) or resource group (subscription) that one environment or project creates and another
    only joins (`create: false`)."""
    created_groups: dict[tuple[str, str], Any] = {}
    created_rgs: dict[tuple[str, str], Any] = {}
    for e in environments:
        group = e.databricks.service_principal.group
        if group.create:
            created_groups.setdefault((e.databricks.workspace.host, group.name.lower()), e)
        rg = e.azure.resource_group
        if rg.create:
            created_rgs.setdefault((e.azure.subscription_id, rg.name.lower()), e)
    problems = []
    for e in environments:
        group = e.databricks.service_principal.group
        creator = created_groups.get((e.databricks.workspace.host, group.name.lower()))
        if not group.create and creator is not None:
            problems.append(
                f"{e.described}: databricks.service_principal.group.name: {group.name} is created by "
                f"{creator.described}; its destroy would take the group from under this principal: give this "
                "project its own group, or make the shared group outside this app (then create: false in both)"
            )
        rg = e.azure.resource_group
        creator = created_rgs.get((e.azure.subscription_id, rg.name.lower()))
        if not rg.create and creator is not None:
            problems.append(
                f"{e.described}: azure.resource_group.name: {rg.name} is created by {creator.described}; its "
                "destroy would fail on this vault in it: give this project its own resource group, or make the "
                "shared one outside this app (then create: false in both)"
            )
    return problems
