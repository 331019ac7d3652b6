"""Who a grant is for. Every `grant_*` method in constructs_lib takes one of these and returns the
resource it made, in the manner of aws-cdk-lib's `grant(grantee, ...)`:

- `Principal`: a Databricks workspace service principal, group or user, named as Databricks ACLs
  name them (`workspace_principal.principal`, `Principal.group("ml-engineers")`);
- `AzurePrincipal`: an Entra ID object that Azure RBAC assigns roles to (`identity.principal`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_databricks.permissions import PermissionsAccessControl

PrincipalKind = Literal["service_principal", "group", "user"]
AzurePrincipalType = Literal["ServicePrincipal", "User", "Group"]


def construct_label(text: str) -> str:
    """A stable snake_case fragment for construct ids, e.g. 'ML Engineers' -> 'ml_engineers'."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def distinct_label(taken: dict[str, str], label: str, name: str) -> str:
    """`label` for `name`, unless another name already has it ('churn-a' and 'churn_a' both make
    'churn_a'): then `label` plus a short hash of `name`, so both get stable, distinct construct ids.
    `taken` maps labels handed out to their names; the first name keeps the plain label."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    for candidate in (label, *(f"{label}_{digest[:n]}" for n in range(8, 65, 8))):
        if taken.setdefault(candidate, name) == name:
            return candidate
    raise ValueError(f"no distinct construct id for {name!r} (label {label!r})")


@dataclass(frozen=True)
class Principal:
    """A Databricks grantee. `name` is what Databricks ACLs use: the application id of a service
    principal, the display name of a group, the user name of a user. `label` is a stable, readable
    id for the constructs a grant creates (the name may be a Terraform reference)."""

    kind: PrincipalKind
    name: str
    label: str

    @classmethod
    def group(cls, display_name: str) -> Principal:
        return cls("group", display_name, "group_" + construct_label(display_name))

    @classmethod
    def service_principal(cls, application_id: str, label: str) -> Principal:
        return cls("service_principal", application_id, label)

    @classmethod
    def user(cls, user_name: str) -> Principal:
        return cls("user", user_name, "user_" + construct_label(user_name))

    @property
    def acl_principal_id(self) -> str:
        """How account access control rule sets name it: `users/<user name>`,
        `servicePrincipals/<application id>`, `groups/<display name>`."""
        kind = {"service_principal": "servicePrincipals", "group": "groups", "user": "users"}[self.kind]
        return f"{kind}/{self.name}"

    def access_control(self, permission_level: str) -> PermissionsAccessControl:
        """One entry of a `databricks_permissions` access control list."""
        key = {"service_principal": "service_principal_name", "group": "group_name", "user": "user_name"}[self.kind]
        return PermissionsAccessControl(permission_level=permission_level, **{key: self.name})


@dataclass(frozen=True)
class AzurePrincipal:
    """An Azure RBAC grantee: an Entra ID object id (often a Terraform reference) and a label.

    `principal_type` is set when it is known: Azure then skips its directory lookup, so a role
    assignment to a service principal created in the same apply does not fail with
    PrincipalNotFound before Entra ID has replicated it. Leave it None for the deploying
    identity, which may be a user (laptop) or a service principal (CI).
    """

    object_id: str
    label: str
    principal_type: AzurePrincipalType | None = None

    @classmethod
    def service_principal(cls, object_id: str, label: str) -> AzurePrincipal:
        return cls(object_id, label, "ServicePrincipal")
