"""SCIM 2.0 of the workspace (`/api/2.0/preview/scim/v2`): Me, Users, ServicePrincipals, Groups.

Users and service principals are one kind of entry (`Principal`): a user is named by its user name, a
service principal by its application id, which is also its SCIM `userName` as `Me` reports it
(Databricks: "Service principals"). Group membership is kept on the group and shown on each member.
Answers are shaped by the Databricks SDK's `iam` types (`as_dict()` omits what is unset, as the API does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from databricks.sdk.service import iam

from .errors import ApiError, scim_conflict, scim_not_found
from .rules import rule
from .server import Call, Route

if TYPE_CHECKING:
    from .workspace import LocalWorkspace

BASE = "/api/2.0/preview/scim/v2"

USER_NAMES_LOWER_CASE = rule(
    "scim.user_names_lower_case",
    "A user's name is kept and answered in lower case, in SCIM and in every ACL",
    "terraform-provider-databricks #5183 and PR #5391 ('The Databricks API normalizes user emails to lowercase')",
)
SP_UNIQUE_APPLICATION_ID = rule(
    "scim.service_principal_unique",
    "A second service principal with an application id already in the workspace is refused (409)",
    "terraform-provider-databricks v1.99.0 scim/resource_service_principal.go (the known 'already exists' error)",
)
GROUP_UNIQUE_NAME = rule(
    "scim.group_unique",
    "A second group of the same display name is refused (409 'Group with name ... already exists.')",
    "terraform-provider-databricks v1.99.0 scim/resource_group.go (createForceOverridesManuallyAddedGroup)",
)


@dataclass
class Principal:
    """A user or a service principal of the workspace."""

    id: str
    kind: str
    """`user` or `service_principal`."""
    name: str
    """The user name, or the service principal's application id."""
    display_name: str
    entitlements: list[str] = field(default_factory=list)
    active: bool = True
    external_id: str | None = None
    created_by: str | None = None
    """Who created it through the API (None: arranged by a test)."""


@dataclass
class Group:
    id: str
    display_name: str
    members: list[str] = field(default_factory=list)
    """SCIM ids of the member principals and groups."""
    entitlements: list[str] = field(default_factory=list)
    external_id: str | None = None


_FILTER = re.compile(r'^\s*(\w+)\s+eq\s+(?:"((?:[^"\\]|\\.)*)"|(\S+))\s*$', re.IGNORECASE)
"""`<attribute> eq "<value>"` (RFC 7644 3.4.2.2; `\\"` and `\\\\` escaped) or an unquoted value."""


def _filter_value(match: re.Match[str]) -> str:
    quoted = match.group(2)
    return re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else match.group(3)


_VALUE_PATH = re.compile(r'^(\w+)\[value eq "?([^"\]]*)"?\]$')


def _values(items: Any) -> list[str]:
    return [str(item["value"]) for item in items or () if isinstance(item, dict) and item.get("value")]


class Scim:
    def __init__(self, workspace: LocalWorkspace):
        self.workspace = workspace
        self.principals: dict[str, Principal] = {}
        self.groups: dict[str, Group] = {}

    # --- arranging (tests) and lookups (other families) ---

    def add_principal(self, kind: str, name: str, display_name: str | None = None, **extra: Any) -> Principal:
        principal = Principal(str(self.workspace.next_id()), kind, name, display_name or name, **extra)
        self.principals[principal.id] = principal
        return principal

    def add_group(self, display_name: str, *member_names: str) -> Group:
        group = Group(str(self.workspace.next_id()), display_name)
        group.members = [self.by_name(n).id for n in member_names]
        self.groups[group.id] = group
        return group

    def by_name(self, name: str) -> Principal:
        for principal in self.principals.values():
            if principal.name == name:
                return principal
        raise scim_not_found(f"User {name}")

    def find(self, name: str) -> Principal | None:
        return next((p for p in self.principals.values() if p.name == name and p.active), None)

    def group_named(self, display_name: str) -> Group | None:
        return next((g for g in self.groups.values() if g.display_name == display_name), None)

    def groups_of(self, member_id: str) -> list[Group]:
        return [g for g in self.groups.values() if member_id in g.members]

    def exists(self, kind: str, name: str) -> bool:
        """A principal (`user`, `service_principal`) or `group` of this name exists."""
        if kind == "group":
            return self.group_named(name) is not None
        return any(p.kind == kind and p.name == name and p.active for p in self.principals.values())

    # --- shapes ---

    def _principal(self, p: Principal) -> dict[str, Any]:
        groups = [iam.ComplexValue(display=g.display_name, value=g.id) for g in self.groups_of(p.id)] or None
        entitlements = [iam.ComplexValue(value=e) for e in p.entitlements] or None
        if p.kind == "service_principal":
            return iam.ServicePrincipal(
                id=p.id,
                application_id=p.name,
                display_name=p.display_name,
                active=p.active,
                entitlements=entitlements,
                groups=groups,
                external_id=p.external_id,
                schemas=[iam.ServicePrincipalSchema.URN_IETF_PARAMS_SCIM_SCHEMAS_CORE_2_0_SERVICE_PRINCIPAL],
            ).as_dict()
        return iam.User(
            id=p.id,
            user_name=p.name,
            display_name=p.display_name,
            active=p.active,
            entitlements=entitlements,
            groups=groups,
            external_id=p.external_id,
            schemas=[iam.UserSchema.URN_IETF_PARAMS_SCIM_SCHEMAS_CORE_2_0_USER],
        ).as_dict()

    def _me(self, p: Principal) -> dict[str, Any]:
        """`Me`: a service principal is reported as a user whose userName is its application id."""
        answer = self._principal(p)
        if p.kind == "service_principal":
            answer.pop("applicationId", None)
            answer["userName"] = p.name
        return answer

    def _group(self, g: Group) -> dict[str, Any]:
        members = []
        for member_id in g.members:
            if member_id in self.principals:
                members.append(iam.ComplexValue(display=self.principals[member_id].display_name, value=member_id))
            elif member_id in self.groups:
                members.append(iam.ComplexValue(display=self.groups[member_id].display_name, value=member_id))
        return iam.Group(
            id=g.id,
            display_name=g.display_name,
            members=members or None,
            entitlements=[iam.ComplexValue(value=e) for e in g.entitlements] or None,
            external_id=g.external_id,
            meta=iam.ResourceMeta(resource_type="WorkspaceGroup"),
            schemas=[iam.GroupSchema.URN_IETF_PARAMS_SCIM_SCHEMAS_CORE_2_0_GROUP],
        ).as_dict()

    @staticmethod
    def _list(call: Call, resources: list[dict[str, Any]]) -> dict[str, Any]:
        """One page of a listing (RFC 7644 3.4.2.4: `startIndex` from 1, `count` per page): clients
        page until a page comes back empty, as the Databricks SDKs do."""
        start = max(int(call.arg("startIndex") or 1), 1)
        count = int(call.arg("count") or 10000)
        page = resources[start - 1 : start - 1 + count]
        return {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": len(resources),
            "startIndex": start,
            "itemsPerPage": len(page),
            **({"Resources": page} if page else {}),
        }

    # --- routes ---

    def routes(self) -> list[Route]:
        return [
            ("GET", f"{BASE}/Me", self.me),
            ("GET", f"{BASE}/(?P<collection>Users|ServicePrincipals)", self.list_principals),
            ("POST", f"{BASE}/(?P<collection>Users|ServicePrincipals)", self.create_principal),
            ("GET", f"{BASE}/(?P<collection>Users|ServicePrincipals)/(?P<id>[^/]+)", self.get_principal),
            ("PUT", f"{BASE}/(?P<collection>Users|ServicePrincipals)/(?P<id>[^/]+)", self.put_principal),
            ("PATCH", f"{BASE}/(?P<collection>Users|ServicePrincipals)/(?P<id>[^/]+)", self.patch_principal),
            ("DELETE", f"{BASE}/(?P<collection>Users|ServicePrincipals)/(?P<id>[^/]+)", self.delete_principal),
            ("GET", f"{BASE}/Groups", self.list_groups),
            ("POST", f"{BASE}/Groups", self.create_group),
            ("GET", f"{BASE}/Groups/(?P<id>[^/]+)", self.get_group),
            ("PATCH", f"{BASE}/Groups/(?P<id>[^/]+)", self.patch_group),
            ("PUT", f"{BASE}/Groups/(?P<id>[^/]+)", self.put_group),
            ("DELETE", f"{BASE}/Groups/(?P<id>[^/]+)", self.delete_group),
        ]

    def me(self, call: Call) -> dict[str, Any]:
        return self._me(self.by_name(call.caller))

    @staticmethod
    def _kind(call: Call) -> str:
        return "service_principal" if call.params["collection"] == "ServicePrincipals" else "user"

    def _principal_by_id(self, call: Call) -> Principal:
        found = self.principals.get(call.params["id"])
        if found is None or found.kind != self._kind(call):
            raise scim_not_found(f"{'Service principal' if self._kind(call) != 'user' else 'User'} {call.params['id']}")
        return found

    def list_principals(self, call: Call) -> dict[str, Any]:
        kind = self._kind(call)
        found = [p for p in self.principals.values() if p.kind == kind]
        wanted = call.arg("filter")
        if wanted:
            match = _FILTER.match(wanted)
            if not match:
                raise ApiError(400, "SCIM_400", f"Unsupported filter {wanted}", scim=True)
            attribute, value = match.group(1).lower(), _filter_value(match)
            pick = {"applicationid": "name", "username": "name", "displayname": "display_name", "id": "id"}[attribute]
            found = [p for p in found if getattr(p, pick) == value]
        return self._list(call, [self._principal(p) for p in found])

    def create_principal(self, call: Call) -> dict[str, Any]:
        kind = self._kind(call)
        body = call.body
        name = body.get("applicationId") if kind == "service_principal" else body.get("userName")
        if not name:
            raise ApiError(400, "SCIM_400", "applicationId or userName is required", scim=True)
        if kind == "user" and self.workspace.applies(USER_NAMES_LOWER_CASE):
            name = name.lower()
        if self.workspace.applies(SP_UNIQUE_APPLICATION_ID) and self.find(name):
            noun = "Service principal with application ID" if kind == "service_principal" else "User with email"
            raise scim_conflict(f"{noun} {name} already exists.")
        principal = self.add_principal(
            kind,
            name,
            body.get("displayName") or name,
            entitlements=_values(body.get("entitlements")),
            active=body.get("active", True) is not False,
            external_id=body.get("externalId"),
            created_by=call.caller,
        )
        return self._principal(principal)

    def get_principal(self, call: Call) -> dict[str, Any]:
        return self._principal(self._principal_by_id(call))

    def put_principal(self, call: Call) -> dict[str, Any]:
        principal = self._principal_by_id(call)
        body = call.body
        principal.display_name = body.get("displayName") or principal.display_name
        principal.entitlements = _values(body.get("entitlements"))
        principal.active = body.get("active", True) is not False
        principal.external_id = body.get("externalId")
        return self._principal(principal)

    def patch_principal(self, call: Call) -> None:
        principal = self._principal_by_id(call)
        for operation in call.body.get("Operations", []):
            self._patch(principal, operation)

    def delete_principal(self, call: Call) -> None:
        principal = self._principal_by_id(call)
        del self.principals[principal.id]
        for group in self.groups.values():
            if principal.id in group.members:
                group.members.remove(principal.id)
        self.workspace.forget_principal(principal.kind, principal.name)

    def _patch(self, target: Principal | Group, operation: dict[str, Any]) -> None:
        op, path, value = operation.get("op", "").lower(), operation.get("path", ""), operation.get("value")
        where = _VALUE_PATH.match(path)
        attribute = where.group(1) if where else path
        if attribute == "active" and isinstance(target, Principal):
            target.active = str(value).lower() != "false"
            return
        if attribute not in ("entitlements", "members"):
            raise ApiError(400, "SCIM_400", f"Unsupported patch path {path}", scim=True)
        if attribute == "members" and not isinstance(target, Group):
            raise ApiError(400, "SCIM_400", f"Unsupported patch path {path}", scim=True)
        current: list[str] = getattr(target, attribute)
        if op == "add":
            current.extend(v for v in _values(value) if v not in current)
        elif op == "remove":
            removed = {where.group(2)} if where else set(_values(value))
            setattr(target, attribute, [v for v in current if v not in removed])
        elif op == "replace":
            setattr(target, attribute, _values(value))
        else:
            raise ApiError(400, "SCIM_400", f"Unsupported patch op {op}", scim=True)

    def list_groups(self, call: Call) -> dict[str, Any]:
        found = list(self.groups.values())
        wanted = call.arg("filter")
        if wanted:
            match = _FILTER.match(wanted)
            if not match or match.group(1).lower() not in ("displayname", "id"):
                raise ApiError(400, "SCIM_400", f"Unsupported filter {wanted}", scim=True)
            attribute = "display_name" if match.group(1).lower() == "displayname" else "id"
            found = [g for g in found if getattr(g, attribute) == _filter_value(match)]
        return self._list(call, [self._group(g) for g in found])

    def _group_by_id(self, call: Call) -> Group:
        found = self.groups.get(call.params["id"])
        if found is None:
            raise scim_not_found(f"Group with id {call.params['id']}")
        return found

    def create_group(self, call: Call) -> dict[str, Any]:
        name = call.body.get("displayName", "")
        if self.workspace.applies(GROUP_UNIQUE_NAME) and self.group_named(name):
            raise scim_conflict(f"Group with name {name} already exists.")
        group = Group(str(self.workspace.next_id()), name, _values(call.body.get("members")))
        group.entitlements = _values(call.body.get("entitlements"))
        group.external_id = call.body.get("externalId")
        self.groups[group.id] = group
        return self._group(group)

    def get_group(self, call: Call) -> dict[str, Any]:
        return self._group(self._group_by_id(call))

    def patch_group(self, call: Call) -> None:
        group = self._group_by_id(call)
        for operation in call.body.get("Operations", []):
            self._patch(group, operation)

    def put_group(self, call: Call) -> dict[str, Any]:
        group = self._group_by_id(call)
        group.display_name = call.body.get("displayName", group.display_name)
        group.members = _values(call.body.get("members"))
        group.entitlements = _values(call.body.get("entitlements"))
        return self._group(group)

    def delete_group(self, call: Call) -> None:
        group = self._group_by_id(call)
        del self.groups[group.id]
        self.workspace.forget_principal("group", group.display_name)
