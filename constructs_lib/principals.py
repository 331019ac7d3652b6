"""Who a grant is for: a workspace service principal, group or user, named as Databricks names them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_databricks.permissions import PermissionsAccessControl

PrincipalKind = Literal["service_principal", "group", "user"]


@dataclass(frozen=True)
class Principal:
    """A grantee. `name` is what Databricks ACLs use: the application id of a service principal,
    the display name of a group, the user name of a user. `label` is a stable, readable id for
    the constructs a grant creates (the name may be a Terraform reference)."""

    kind: PrincipalKind
    name: str
    label: str

    @classmethod
    def group(cls, display_name: str) -> "Principal":
        return cls("group", display_name, "group_" + re.sub(r"[^a-z0-9]+", "_", display_name.lower()).strip("_"))

    @classmethod
    def service_principal(cls, application_id: str, label: str) -> "Principal":
        return cls("service_principal", application_id, label)

    def access_control(self, permission_level: str) -> PermissionsAccessControl:
        """One entry of a `databricks_permissions` access control list."""
        key = {"service_principal": "service_principal_name", "group": "group_name", "user": "user_name"}[self.kind]
        return PermissionsAccessControl(permission_level=permission_level, **{key: self.name})
