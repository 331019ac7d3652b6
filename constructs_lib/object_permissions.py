"""One authoritative `databricks_permissions` per workspace object, fed by grant methods.

`databricks_permissions` replaces the whole access control list of its object, so two of them on
one cluster or endpoint would overwrite each other on every apply. Constructs therefore own one
`ObjectPermissions` each and route every grant through it; the resource appears with the first grant.
"""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_databricks.permissions import Permissions
from constructs import Construct

from .principals import Principal


class ObjectPermissions(Construct):
    """Accumulates (principal -> level) grants for one object, e.g. `cluster_id=...`."""

    def __init__(self, scope: Construct, construct_id: str, *, count: Any = None, **object_reference: Any):
        """`count`: the object's own `count` (0 or 1) when the object may not exist yet."""
        super().__init__(scope, construct_id)
        self._count = count
        if len(object_reference) != 1:
            raise ValueError("ObjectPermissions takes exactly one object reference, e.g. cluster_id=...")
        self._object_reference = object_reference
        self.grants: dict[Principal, str] = {}
        """Principal -> the level granted, in grant order."""
        self.resource: Permissions | None = None

    def grant(self, principal: Principal, permission_level: str) -> Permissions:
        """Give `principal` `permission_level`; a later grant to the same principal replaces the earlier.

        Returns the object's one `databricks_permissions` resource, which now holds the grant."""
        self.grants[principal] = permission_level
        access_control = [p.access_control(level) for p, level in self.grants.items()]
        if self.resource is None:
            self.resource = Permissions(
                self, "permissions", count=self._count, access_control=access_control, **self._object_reference
            )
        else:
            self.resource.put_access_control(access_control)
        return self.resource
