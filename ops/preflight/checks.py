"""The checks `make preflight` runs against one workspace, with the Databricks SDK for Python.

What a plan cannot see: that the workspace answers the deployer's Entra ID token, that the Unity
Catalog securables config names exist, that the served aliases and versions exist, and that the
deployer holds what it uses and can grant what the plan grants the ML principal. Read-only: every
call is a GET (SCIM Me, metastore summary, catalogs/schemas/tables/models, effective permissions,
model versions and aliases).

Unity Catalog rules relied on (Databricks, "Manage privileges in Unity Catalog" and "Manage Unity
Catalog object ownership"): an object's owner holds every privilege on it and may grant on it and
on its children; the owner of the containing catalog or schema, a holder of MANAGE (inherited
too) and a metastore admin may grant. ALL_PRIVILEGES is taken to cover everything but MANAGE.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.config import Config
from databricks.sdk.environments import ALL_ENVS, Cloud, DatabricksEnvironment
from databricks.sdk.errors import DatabricksError, NotFound

from config import EnvironmentSettings
from config.loader import safe_line

from .needs import KIND_NOUNS, Need, ServedVersion, existing_groups, needs, served_versions

ENTRA_AUTH_TYPES = ("azure-cli", "github-oidc-azure", "azure-client-secret")
"""The Entra ID methods of the Databricks SDK for Python 0.162.0 (credentials_provider.py): a Key
Vault-backed scope is created only with an Entra ID token. It has no `azure-msi` (the Go SDK the
provider uses has): preflight runs where a person or CI deploys, not on Terraform Cloud agents."""

# The SDK's own log lines are silenced: preflight reports each problem once, in its own words.
logging.getLogger("databricks").addHandler(logging.NullHandler())
logging.getLogger("databricks").propagate = False

AZURE_PUBLIC: DatabricksEnvironment = next(
    e for e in ALL_ENVS if e.cloud == Cloud.AZURE and e.dns_zone == ".azuredatabricks.net"
)
"""Azure public cloud, said by config (the app's only cloud) rather than guessed from the host name."""


def connect(
    host: str, resource_id: str, auth_type: str, *, timeout_seconds: int = 20, base_url: str | None = None
) -> WorkspaceClient:
    """A client that authenticates with `auth_type` only (no fallback to another method).

    `base_url` replaces the host for the HTTP calls (tests: a local fake); raises ValueError when
    the SDK finds no credential of that type."""
    config = Config(
        host=base_url or host,
        azure_workspace_resource_id=resource_id,
        auth_type=auth_type,
        databricks_environment=AZURE_PUBLIC,
        http_timeout_seconds=timeout_seconds,
        retry_timeout_seconds=timeout_seconds,
    )
    return WorkspaceClient(config=config)


@dataclass
class Report:
    """The outcome: `problems` fail the preflight (exit 2), `notes` and `passed` only inform."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)


MAX_REASON = 300
"""Characters of an error kept in a line; a longer one ends at its last clause that fits."""
_UNREACHABLE = (
    (re.compile(r"Failed to resolve '([^']+)'"), "the name {0} does not resolve here (DNS)"),
    (re.compile(r"host='([^']+)'.*(?:Connection refused|ConnectTimeout|timed out|Network is unreachable)"), "{0}"),
)


def reason(error: BaseException) -> str:
    """The first line of an error without the SDK's appended config dump, bounded at a clause, never
    inside a word (the SDK masks credentials in its own messages; the dump is dropped all the same).
    A connection that never reached the workspace (urllib3's NameResolutionError, refused, timed out)
    is said as such, instead of urllib3's nested repr."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = text.split(" Config: ")[0]
    for pattern, words in _UNREACHABLE:
        found = pattern.search(text)
        if found:
            if words == "{0}":
                return safe_line(f"cannot connect to {found.group(1)} (refused or timed out)")
            return safe_line(words.format(found.group(1)))
    return safe_line(_clause_bounded(text, MAX_REASON))


def _clause_bounded(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = max(text.rfind(mark, 0, limit) for mark in (". ", "; ", ": ", ", ", " ("))
    return (text[:cut] if cut > limit // 2 else text[: text.rfind(" ", 0, limit)]).rstrip(" .;:,") + " (cut)"


class Catalog:
    """Unity Catalog as the deploying identity sees it, each object read once."""

    def __init__(self, client: WorkspaceClient, identities: set[str], metastore_admin: bool):
        self.client = client
        self.identities = identities
        self.metastore_admin = metastore_admin
        self._owners: dict[tuple[str, str], str | None] = {}
        self.missing: set[tuple[str, str]] = set()
        """Securables found missing: what is inside them is not reported again."""
        self._readers: dict[str, Callable[[str], Any]] = {
            "catalog": client.catalogs.get,
            "schema": client.schemas.get,
            "table": client.tables.get,
            "function": client.registered_models.get,
        }

    def owner(self, kind: str, full_name: str) -> str | None:
        """The object's owner; raises NotFound (it does not exist) or another DatabricksError."""
        key = (kind, full_name.lower())
        if key not in self._owners:
            self._owners[key] = self._readers[kind](full_name).owner
        return self._owners[key]

    def owns(self, kind: str, full_name: str) -> bool:
        return self.owner(kind, full_name) in self.identities

    def effective(self, kind: str, full_name: str) -> set[str]:
        """Privileges the deployer or one of its groups holds here, inherited ones included."""
        listed = self.client.grants.get_effective(kind, full_name)
        return {
            str(getattr(p.privilege, "value", p.privilege))
            for a in listed.privilege_assignments or ()
            if a.principal in self.identities
            for p in a.privileges or ()
        }


def _parents(full_name: str) -> list[tuple[str, str]]:
    """The catalog and schema containing `full_name` (none for a catalog, the catalog for a schema)."""
    parts = full_name.split(".")
    return [("catalog", parts[0]), ("schema", ".".join(parts[:2]))][: len(parts) - 1]


def _check_need(catalog: Catalog, need: Need, me: str, report: Report) -> None:
    parents = _parents(need.full_name)
    if any((kind, name.lower()) in catalog.missing for kind, name in parents):
        return  # its catalog or schema is reported missing already: one line per problem
    try:
        owner = catalog.owns(need.kind, need.full_name)
        held = catalog.effective(need.kind, need.full_name)
        parent_owner = any(catalog.owns(kind, name) for kind, name in parents)
    except NotFound:
        catalog.missing.add((need.kind, need.full_name.lower()))
        report.problems.append(f"{need.label} does not exist (or {me} cannot see it)")
        return
    except DatabricksError as error:
        report.problems.append(f"{need.label}: cannot be read by {me}: {reason(error)}")
        return

    def holds(privilege: str) -> bool:
        return owner or privilege in held or ("ALL_PRIVILEGES" in held and privilege != "MANAGE")

    missing = [p for p in need.privileges if not holds(p)]
    can_grant = catalog.metastore_admin or owner or parent_owner or "MANAGE" in held
    lacks = []
    if missing:
        lacks.append(", ".join(missing))
    if need.grants and not can_grant:
        lacks.append(
            "the right to grant the ML principal its privileges here (ownership of it or of its catalog or "
            "schema, or MANAGE)"
        )
    if lacks:
        report.problems.append(
            f"{need.label}: {me} lacks {'; and '.join(lacks)} (docs/access.md: Unity Catalog privileges)"
        )
    else:
        report.passed.append(f"{need.label}: {me} holds {', '.join(need.privileges) or 'the right to grant'}")


def _check_served(client: WorkspaceClient, served: ServedVersion, report: Report) -> None:
    what = f"alias '{served.alias}'" if served.alias else f"version {served.version}"
    label = f"{KIND_NOUNS['function']} '{served.model}' {what}"
    try:
        if served.alias:
            found = client.model_versions.get_by_alias(served.model, served.alias)
        else:
            found = client.model_versions.get(served.model, int(served.version or 0))
    except NotFound as error:
        if served.trained_by_plan:
            report.notes.append(
                f"{label} does not exist yet ({reason(error)}): the serving stack creates no endpoint until the "
                "training and deployment jobs produce it (docs/serving.md: First deploy of a fresh environment)"
            )
        else:
            report.problems.append(
                f"{label} does not exist ({reason(error)}): the endpoint cannot serve it; create it or change "
                "serving.served_models"
            )
        return
    except DatabricksError as error:
        report.problems.append(f"{label}: cannot be read: {reason(error)}")
        return
    report.passed.append(f"{label} exists (version {found.version})")


def scim_filter(attribute: str, value: str) -> str:
    """A SCIM `eq` filter with `value` as a quoted string (RFC 7644 3.4.2.2: `"` and `\\` escaped)."""
    quoted = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{attribute} eq "{quoted}"'


def _check_groups(client: WorkspaceClient, environment: EnvironmentSettings, report: Report) -> None:
    """The groups the stacks name but do not create exist (the first apply fails on a missing one)."""
    for field_name, group in existing_groups(environment):
        try:
            found = [g for g in client.groups.list(filter=scim_filter("displayName", group)) if g.display_name == group]
        except DatabricksError as error:
            report.problems.append(f"group '{group}' ({field_name}): cannot be read: {reason(error)}")
            continue
        if found:
            report.passed.append(f"group '{group}' ({field_name}) exists")
        else:
            report.problems.append(
                f"group '{group}' ({field_name}) does not exist in the workspace: create it, or sync it from "
                "Entra ID, before the first apply"
            )


def check(client: WorkspaceClient, environment: EnvironmentSettings) -> Report:
    """Every check for one environment; stops after the first line when the workspace does not answer."""
    report = Report()
    host = environment.databricks.workspace.host
    try:
        me = client.current_user.me()
    except (DatabricksError, ValueError, OSError) as error:
        report.problems.append(
            f"workspace {host} does not answer the {client.config.auth_type} Entra ID token: {reason(error)}"
        )
        return report
    name = me.user_name or me.id or "the deploying identity"
    identities = {name, *(g.display for g in me.groups or () if g.display)}
    report.passed.append(f"workspace {host} answers the {client.config.auth_type} token of {name}")
    try:
        metastore_admin = client.metastores.summary().owner in identities
    except DatabricksError as error:
        report.problems.append(f"workspace {host}: no Unity Catalog metastore answers: {reason(error)}")
        return report
    _check_groups(client, environment, report)
    catalog = Catalog(client, identities, metastore_admin)
    for need in needs(environment):
        _check_need(catalog, need, name, report)
    for served in served_versions(environment):
        _check_served(client, served, report)
    return report
