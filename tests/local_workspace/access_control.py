"""Account access control rule sets through the workspace (`/api/2.0/preview/accounts/access-control/
rule-sets`), the path provider 1.99.0 takes when its provider block names no account id
(permissions/resource_access_control_rule_set.go, `AccountAccessControlProxy`).

A service principal's rule set exists as soon as the principal does; updates carry the etag of the
version they replace. Principals are named `users/<user name>`, `servicePrincipals/<application id>`
and `groups/<display name>`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from databricks.sdk.service import iam

from .errors import ApiError, invalid, not_found
from .rules import rule
from .server import Call, Route

if TYPE_CHECKING:
    from .workspace import LocalWorkspace

PATH = "/api/2.0/preview/accounts/access-control/rule-sets"
NAME = re.compile(r"^accounts/[^/]+/servicePrincipals/(?P<application_id>[^/]+)/ruleSets/default$")

ETAG_MUST_MATCH = rule(
    "access_control.etag_must_match",
    "An update whose etag is not the rule set's current one is refused (409 RESOURCE_CONFLICT)",
    "Databricks REST API, PUT /api/2.0/preview/accounts/access-control/rule-sets (etag: optimistic concurrency)",
)
CREATOR_MANAGES_SERVICE_PRINCIPAL = rule(
    "access_control.creator_manages_service_principal",
    "The identity that creates a service principal holds its roles/servicePrincipal.manager until the rule set "
    "is replaced",
    "Databricks docs, 'Roles for managing service principals' (the creator gets the Service Principal Manager role)",
)


class AccessControl:
    def __init__(self, workspace: LocalWorkspace):
        self.workspace = workspace
        self.rule_sets: dict[str, tuple[int, list[dict[str, Any]]]] = {}
        """Service principal application id -> (version, grant rules)."""

    def routes(self) -> list[Route]:
        return [("GET", PATH, self.get), ("PUT", PATH, self.update)]

    def _application_id(self, name: str) -> str:
        match = NAME.match(name or "")
        if not match:
            raise invalid(f"Rule set name {name} is not a service principal's default rule set.")
        application_id = match.group("application_id")
        if not self.workspace.scim.exists("service_principal", application_id):
            raise not_found(f"Service principal {application_id} does not exist.")
        return application_id

    def _current(self, application_id: str) -> tuple[int, list[dict[str, Any]]]:
        if application_id not in self.rule_sets:
            creator = self.workspace.creator_of_principal(application_id)
            rules = []
            if creator and self.workspace.applies(CREATOR_MANAGES_SERVICE_PRINCIPAL):
                kind = "servicePrincipals" if self.workspace.scim.exists("service_principal", creator) else "users"
                rules = [{"role": "roles/servicePrincipal.manager", "principals": [f"{kind}/{creator}"]}]
            self.rule_sets[application_id] = (1, rules)
        return self.rule_sets[application_id]

    def _answer(self, name: str, version: int, rules: list[dict[str, Any]]) -> dict[str, Any]:
        return iam.RuleSetResponse(
            name=name, etag=f"etag-{version}", grant_rules=[iam.GrantRule.from_dict(r) for r in rules] or None
        ).as_dict()

    def get(self, call: Call) -> dict[str, Any]:
        name = call.arg("name") or ""
        version, rules = self._current(self._application_id(name))
        return self._answer(name, version, rules)

    def update(self, call: Call) -> dict[str, Any]:
        name = call.body.get("name", "")
        rule_set = iam.RuleSetUpdateRequest.from_dict(call.body.get("rule_set") or {})
        application_id = self._application_id(name)
        version, _ = self._current(application_id)
        if self.workspace.applies(ETAG_MUST_MATCH) and rule_set.etag != f"etag-{version}":
            raise ApiError(409, "RESOURCE_CONFLICT", "The rule set was changed by another request; read it again.")
        rules = [r.as_dict() for r in rule_set.grant_rules or []]
        self.rule_sets[application_id] = (version + 1, rules)
        return self._answer(name, version + 1, rules)
