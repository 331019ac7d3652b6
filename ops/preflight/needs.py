"""What one environment's plan needs to find in Unity Catalog, derived from its validated settings.

The "Unity Catalog privileges" table of docs/access.md, as data: every securable the databricks and serving
stacks touch, the privileges the deploying identity must hold on it, and whether the plan grants
the ML principal something there (the deployer then needs the right to grant: ownership of it or of
its catalog or schema, MANAGE, or the metastore admin role; Databricks: "Manage privileges in Unity
Catalog"). tests/test_preflight.py checks that the securables granted here are exactly those of the
synthesized `databricks_grant` resources.

Securable kinds are the Unity Catalog API's (`catalog`, `schema`, `table`, `function`): a registered
model is a `function` to the grants API (databricks 1.99.0 `catalog/permissions/permissions.go` maps
the `model` argument to it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from config import EnvironmentSettings

KIND_NOUNS = {"catalog": "catalog", "schema": "schema", "table": "table", "function": "model"}
"""How a message names each securable kind."""


@dataclass
class Need:
    """One securable: what the deploying identity must hold there, and why (the docs' wording)."""

    kind: str
    """`catalog`, `schema`, `table` or `function` (a registered model)."""
    full_name: str
    """`catalog`, `catalog.schema` or `catalog.schema.name`, as written in config."""
    privileges: list[str] = field(default_factory=list)
    """Privileges the deployer itself uses here (e.g. EXECUTE to serve a model), in a stable order."""
    grants: bool = False
    """The plan grants the ML principal something here: the deployer must be able to grant."""

    @property
    def label(self) -> str:
        return f"{KIND_NOUNS[self.kind]} '{self.full_name}'"


@dataclass(frozen=True)
class ServedVersion:
    """One served model's version as config names it: by alias or pinned."""

    model: str
    alias: str | None
    version: str | None
    trained_by_plan: bool
    """The model is the workflows' own: before training runs it has no version (docs/serving.md: First deploy of a fresh environment)."""


class _Needs:
    """Collects needs, one per securable (Unity Catalog compares names ignoring case)."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], Need] = {}

    def add(self, kind: str, full_name: str, *privileges: str, grants: bool = False) -> None:
        need = self.by_key.setdefault((kind, full_name.lower()), Need(kind, full_name))
        need.privileges.extend(p for p in privileges if p not in need.privileges)
        need.grants = need.grants or grants

    def in_schema(self, kind: str, full_name: str, *privileges: str, grants: bool = False) -> None:
        """`kind` at `catalog.schema.name`, with USE_SCHEMA / USE_CATALOG above it (granted too when it is)."""
        catalog, schema, _ = full_name.split(".")
        self.add("catalog", catalog, "USE_CATALOG", grants=grants)
        self.add("schema", f"{catalog}.{schema}", "USE_SCHEMA", grants=grants)
        self.add(kind, full_name, *privileges, grants=grants)


def needs(environment: EnvironmentSettings) -> list[Need]:
    """Every securable the environment's plan touches, in the order a reader checks them."""
    databricks = environment.databricks
    workflows = databricks.workflows
    owned = workflows.model.lower() if workflows else None
    collected = _Needs()
    for served in databricks.serving.served_models:
        if served.model.lower() == owned:
            continue  # the workflows' model: the deployer reaches it through its schema (below)
        # The endpoint loads the model as its creator (EXECUTE); the principal gets the same grants.
        collected.in_schema("function", served.model, "EXECUTE", grants=True)
    gateway = databricks.serving.ai_gateway
    table = gateway.inference_table if gateway else None
    if table is not None:  # the endpoint creates the inference table as its creator
        collected.add("catalog", table.catalog, "USE_CATALOG")
        collected.add("schema", f"{table.catalog}.{table.schema_name}", "USE_SCHEMA", "CREATE_TABLE")
    if workflows is not None:
        catalog, schema, _ = workflows.model.split(".")
        # Create the model (handed to the principal in the same step), then serve and manage it
        # through the schema's inherited privileges only; the principal gets USE_* to reach it.
        collected.add("catalog", catalog, "USE_CATALOG", grants=True)
        collected.add("schema", f"{catalog}.{schema}", "USE_SCHEMA", "CREATE_MODEL", "EXECUTE", "MANAGE", grants=True)
        for input_table in workflows.input_tables:
            collected.in_schema("table", input_table, grants=True)
        output_catalog = workflows.output_schema.split(".")[0]
        collected.add("catalog", output_catalog, "USE_CATALOG", grants=True)
        collected.add("schema", workflows.output_schema, "USE_SCHEMA", grants=True)
    return list(collected.by_key.values())


def served_versions(environment: EnvironmentSettings) -> list[ServedVersion]:
    """The versions the serving stack resolves, one per served model."""
    workflows = environment.databricks.workflows
    owned = workflows.model.lower() if workflows else None
    return [
        ServedVersion(m.model, m.alias, m.version, trained_by_plan=m.model.lower() == owned)
        for m in environment.databricks.serving.served_models
    ]


def existing_groups(environment: EnvironmentSettings) -> list[tuple[str, str]]:
    """Workspace groups the stacks name but do not create, as (config field, group name): they must
    exist before the first apply (the principal's group when `create: false`, the groups of its rule
    set, the scope's manage group, the cluster's users group, the workflows' engineers group), in a
    stable order, each group once (under the first field that names it)."""
    databricks = environment.databricks
    principal = databricks.service_principal
    field = "databricks.service_principal"
    named: list[tuple[str, str | None]] = [
        (f"{field}.group.name", principal.group.name if not principal.group.create else None),
        *((f"{field}.user_groups", g) for g in principal.user_groups),
        *((f"{field}.manager_groups", g) for g in principal.manager_groups),
        ("databricks.secret_scope.manage_group", databricks.secret_scope.manage_group),
        ("databricks.cluster.users_group", databricks.cluster.users_group),
        (
            "databricks.workflows.engineers_group",
            databricks.workflows.engineers_group if databricks.workflows else None,
        ),
    ]
    first: dict[str, str] = {}
    for field_name, group in named:
        if group:
            first.setdefault(group, field_name)
    return [(field_name, group) for group, field_name in first.items()]
