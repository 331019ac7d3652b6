"""Object permissions (`/api/2.0/permissions/<object type>/<id>`) for clusters, jobs, cluster policies
and serving endpoints, with the owner rules of the API.

An ACL here is what `PUT` (set) last replaced: the direct entries, principal -> permission level. On
read the workspace admins' inherited level is added (the provider drops it: `allowConfiguringAdmins`
is false for these types, permissions/permission_definitions.go at v1.99.0). Answers are shaped by
the Databricks SDK's `iam.ObjectPermissions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from databricks.sdk.service import iam

from .errors import ApiError, invalid, not_found
from .rules import rule
from .scim import USER_NAMES_LOWER_CASE
from .server import Call, Route

if TYPE_CHECKING:
    from .workspace import LocalWorkspace

OBJECT_TYPES = {
    "clusters": ("cluster", {"CAN_ATTACH_TO", "CAN_RESTART", "CAN_MANAGE"}),
    "jobs": ("job", {"CAN_VIEW", "CAN_MANAGE_RUN", "IS_OWNER", "CAN_MANAGE"}),
    "cluster-policies": ("cluster-policy", {"CAN_USE"}),
    "serving-endpoints": ("serving-endpoint", {"CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"}),
}
"""Request object type -> (the object type an ACL reports, the levels it takes), as provider 1.99.0
lists them (permissions/permission_definitions.go)."""

ADMINS_INHERIT = rule(
    "permissions.admins_inherit",
    "The workspace admins group holds an inherited CAN_MANAGE on clusters, jobs and serving endpoints "
    "(CAN_USE on cluster policies), listed on read and never set",
    "Databricks docs, 'Access control lists' (workspace admins have CAN MANAGE on all objects); "
    "terraform-provider-databricks v1.99.0 permissions/permission_definitions.go (prepareResponse skips it)",
)
CREATOR_MANAGES = rule(
    "permissions.creator_manages",
    "The identity that creates a cluster or a serving endpoint holds CAN_MANAGE on it (a job: IS_OWNER) "
    "until a permissions update replaces the ACL",
    "Databricks docs, 'Compute permissions' and 'Serving endpoint ACLs'; terraform-provider-databricks #3730, #4734",
)
SET_REPLACES_DIRECT = rule(
    "permissions.set_replaces_direct_entries",
    "PUT replaces every direct entry of the object's ACL; a job keeps its owner when the request names none, "
    "and a request naming two owners is refused",
    "Databricks REST API, PUT /api/2.0/permissions/{type}/{id} ('Sets permissions on an object, replacing "
    "existing permissions'); provider 1.99.0 permissions/resource_permissions.go (safePutWithOwner)",
)
PRINCIPALS_MUST_EXIST = rule(
    "permissions.principals_must_exist",
    "An entry for a user, service principal or group the workspace does not know is refused (400)",
    "Databricks REST API, PUT /api/2.0/permissions/{type}/{id} (INVALID_PARAMETER_VALUE 'Principal ... does "
    "not exist')",
)

KEYS = ("user_name", "service_principal_name", "group_name")
Entry = tuple[str, str]
"""(`user_name` | `service_principal_name` | `group_name`, name)."""


class Permissions:
    def __init__(self, workspace: LocalWorkspace):
        self.workspace = workspace
        self.acls: dict[tuple[str, str], dict[Entry, str]] = {}
        """(request object type, object id) -> entry -> permission level."""

    def routes(self) -> list[Route]:
        types = "|".join(OBJECT_TYPES)
        path = f"/api/2.0/permissions/(?P<type>{types})/(?P<id>[^/]+)"
        return [("GET", path, self.get), ("PUT", path, self.set), ("PATCH", path, self.update)]

    # --- called by the other families ---

    def initial(self, object_type: str, object_id: str, creator: str, level: str | None) -> None:
        """A new object's ACL: its creator at `level` (CREATOR_MANAGES), or nothing (`level` None)."""
        acl: dict[Entry, str] = {}
        if level and self.workspace.applies(CREATOR_MANAGES):
            acl[(self._key_of(creator), creator)] = level
        self.acls[(object_type, object_id)] = acl

    def forget(self, object_type: str, object_id: str) -> None:
        self.acls.pop((object_type, object_id), None)

    def entries(self, object_type: str, object_id: str) -> dict[Entry, str]:
        return dict(self.acls.get((object_type, object_id), {}))

    # --- helpers ---

    def _key_of(self, name: str) -> str:
        principal = self.workspace.scim.find(name)
        return "service_principal_name" if principal and principal.kind == "service_principal" else "user_name"

    def _acl(self, call: Call) -> dict[Entry, str]:
        key = (call.params["type"], call.params["id"])
        if key not in self.acls:
            raise not_found(f"{OBJECT_TYPES[key[0]][0]} {key[1]} does not exist.")
        return self.acls[key]

    def _entries(self, call: Call) -> dict[Entry, str]:
        _, levels = OBJECT_TYPES[call.params["type"]]
        wanted: dict[Entry, str] = {}
        for item in call.body.get("access_control_list", []):
            named = [(k, item[k]) for k in KEYS if item.get(k)]
            if len(named) != 1:
                raise invalid("Each access control entry names exactly one user, service principal or group.")
            level = item.get("permission_level", "")
            if level not in levels:
                raise invalid(f"Permission level {level} is not supported for {call.params['type']}.")
            key, name = named[0]
            if key == "user_name" and self.workspace.applies(USER_NAMES_LOWER_CASE):
                name = name.lower()
            if self.workspace.applies(PRINCIPALS_MUST_EXIST) and not self._known(key, name):
                noun = {"user_name": "UserName", "service_principal_name": "ServicePrincipalName"}.get(key, "GroupName")
                raise invalid(f"Principal: {noun}({name}) does not exist")
            wanted[(key, name)] = level
        return wanted

    def _known(self, key: str, name: str) -> bool:
        if key == "group_name":
            return self.workspace.scim.exists("group", name)
        # A user_name naming a service principal's application id is taken, as provider 1.99.0 sends the
        # caller as user_name whatever it is (permissions/update/customizers.go, AddCurrentUserAsManage).
        return self.workspace.principal_known(name)

    def _answer(self, call: Call, acl: dict[Entry, str]) -> dict[str, Any]:
        object_type, _ = OBJECT_TYPES[call.params["type"]]
        listed = []
        for (key, name), level in acl.items():
            listed.append(
                iam.AccessControlResponse(
                    **{key: name},
                    all_permissions=[iam.Permission(permission_level=iam.PermissionLevel(level), inherited=False)],
                )
            )
        if self.workspace.applies(ADMINS_INHERIT):
            level = "CAN_USE" if call.params["type"] == "cluster-policies" else "CAN_MANAGE"
            listed.append(
                iam.AccessControlResponse(
                    group_name="admins",
                    all_permissions=[
                        iam.Permission(
                            permission_level=iam.PermissionLevel(level),
                            inherited=True,
                            inherited_from_object=[f"/{call.params['type']}/"],
                        )
                    ],
                )
            )
        return iam.ObjectPermissions(
            object_id=f"/{call.params['type']}/{call.params['id']}", object_type=object_type, access_control_list=listed
        ).as_dict()

    # --- routes ---

    def get(self, call: Call) -> dict[str, Any]:
        return self._answer(call, self._acl(call))

    def set(self, call: Call) -> dict[str, Any]:
        acl = self._acl(call)
        wanted = self._entries(call)
        if call.params["type"] == "jobs" and self.workspace.applies(SET_REPLACES_DIRECT):
            owners = [entry for entry, level in wanted.items() if level == "IS_OWNER"]
            if len(owners) > 1:
                raise invalid("A job can have only one owner (IS_OWNER).")
            if not owners:
                current = [(entry, level) for entry, level in acl.items() if level == "IS_OWNER"]
                if not current:
                    raise ApiError(
                        400, "INVALID_PARAMETER_VALUE", "Job with no existing owner must provide a new owner."
                    )
                wanted.update(current)
        acl.clear()
        acl.update(wanted)
        return self._answer(call, acl)

    def update(self, call: Call) -> dict[str, Any]:
        acl = self._acl(call)
        acl.update(self._entries(call))
        return self._answer(call, acl)
