"""The local workspace: identities with their tokens, the API families, the rules in force, the log.

    workspace = LocalWorkspace()
    workspace.add_user("ana@example.com", token="token-ana", admin=True)
    with serve(workspace) as url:           # http://127.0.0.1:<port>
        ...                                  # the provider, preflight or the SDK talk to `url`

State lives in memory, one object per family (`scim`, `secrets`, `compute`, `jobs`, `permissions`,
`uc`, `serving`, `access_control`); `snapshot()` gives all of it as plain data, so a test can compare
the workspace before an apply and after the destroy. `rules_off` switches named rules off
(`rules.RULES`), to show which rule a finding rests on.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from dataclasses import asdict, is_dataclass
from typing import Any

from .access_control import AccessControl
from .compute import Compute
from .errors import ApiError
from .jobs import Jobs
from .permissions import Permissions
from .rules import RULES, Rule
from .scim import Scim
from .secrets import Secrets
from .server import Call, Request, compile_routes
from .serving import Serving
from .unity_catalog import UnityCatalog

TENANT = "11111111-2222-3333-4444-555555555555"
"""The Entra ID tenant the workspace says it belongs to (`/aad/auth` redirects there)."""


class LocalWorkspace:
    def __init__(self, *, rules_off: Iterable[str] = ()):
        unknown = set(rules_off) - set(RULES)
        if unknown:
            raise ValueError(f"unknown rules: {sorted(unknown)}")
        self.rules_off = frozenset(rules_off)
        self.lock = threading.RLock()
        self.requests: list[Request] = []
        self.unhandled: list[tuple[str, str]] = []
        self.faults: list[str] = []
        """Tracebacks of requests the emulator itself failed on (answered 500)."""
        self.tokens: dict[str, tuple[str, bool]] = {}
        """Bearer token -> (the identity's user name or application id, whether it is an Entra ID token)."""
        self._ids = itertools.count(1001)
        self._clock = itertools.count(1_733_300_000_000, 1000)
        self.scim = Scim(self)
        self.secrets = Secrets(self)
        self.compute = Compute(self)
        self.jobs = Jobs(self)
        self.permissions = Permissions(self)
        self.uc = UnityCatalog(self)
        self.serving = Serving(self)
        self.access_control = AccessControl(self)
        families = (self.scim, self.secrets, self.compute, self.jobs, self.permissions, self.uc, self.serving)
        self._routes = compile_routes([r for family in (*families, self.access_control) for r in family.routes()])
        self.scim.add_group("admins")
        self.scim.add_group("users")

    # --- identities (tests arrange them) ---

    def add_user(self, user_name: str, *, token: str | None = None, admin: bool = False) -> None:
        self._add("user", user_name, user_name, token, admin)

    def add_service_principal(
        self, application_id: str, display_name: str | None = None, *, token: str | None = None, admin: bool = False
    ) -> None:
        self._add("service_principal", application_id, display_name or application_id, token, admin)

    def _add(self, kind: str, name: str, display_name: str, token: str | None, admin: bool) -> None:
        principal = self.scim.add_principal(kind, name, display_name, entitlements=["workspace-access"])
        for group_name in ("users", *(("admins",) if admin else ())):
            group = self.scim.group_named(group_name)
            assert group is not None
            group.members.append(principal.id)
        if token:
            self.add_token(name, token)

    def add_token(self, name: str, token: str, *, entra: bool = True) -> None:
        """`token` authenticates `name` (an identity that exists now or will, e.g. a principal an apply
        creates). `entra`: an Entra ID token (False: a Databricks personal access token)."""
        self.tokens[token] = (name, entra)

    def caller(self, token: str) -> str | None:
        """Who `token` belongs to, if that identity is in the workspace and active."""
        found = self.tokens.get(token)
        if found is None or self.scim.find(found[0]) is None:
            return None
        return found[0]

    def identities_of(self, name: str) -> set[str]:
        """`name` and the display names of its groups (what Unity Catalog matches owners and grants to)."""
        principal = self.scim.find(name)
        groups = {g.display_name for g in self.scim.groups_of(principal.id)} if principal else set()
        return {name, *groups}

    def is_admin(self, name: str) -> bool:
        return "admins" in self.identities_of(name)

    def principal_known(self, name: str) -> bool:
        """A user, service principal or group of this name exists in the workspace."""
        return self.scim.find(name) is not None or self.scim.group_named(name) is not None

    def may_use_service_principal(self, caller: str, application_id: str) -> bool:
        """`caller` (or one of its groups) holds the principal's user or manager role."""
        _, rules = self.access_control._current(application_id)
        mine = {f"users/{caller}", f"servicePrincipals/{caller}"} | {
            f"groups/{g}" for g in self.identities_of(caller) - {caller}
        }
        return any(set(r.get("principals", [])) & mine for r in rules)

    def creator_of_principal(self, application_id: str) -> str | None:
        principal = self.scim.find(application_id)
        return principal.created_by if principal else None

    def forget_principal(self, kind: str, name: str) -> None:
        """A principal or group was deleted: its rule set goes with it."""
        if kind == "service_principal":
            self.access_control.rule_sets.pop(name, None)

    # --- rules, ids, time ---

    def applies(self, rule: Rule) -> bool:
        return rule.name not in self.rules_off

    def next_id(self) -> int:
        return next(self._ids)

    def now_ms(self) -> int:
        return next(self._clock)

    # --- HTTP (server.py) ---

    def public(self, path: str) -> tuple[int, Any, dict[str, str]]:
        """Answers to the paths a workspace serves without a token."""
        if path == "/aad/auth":  # where the SDKs learn the tenant of an Azure workspace
            return 302, None, {"Location": f"https://login.microsoftonline.com/{TENANT}/oauth2/authorize"}
        if path == "/.well-known/databricks-config":
            return (
                200,
                {"oidc_endpoint": "https://login.example/oidc", "workspace_id": "1234567890123456", "cloud": "AZURE"},
                {},
            )
        return 404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"No API found for 'GET {path}'"}, {}

    def dispatch(self, method: str, path: str, call: Call) -> Any:
        for route_method, pattern, handler in self._routes:
            match = pattern.match(path)
            if match and route_method == method:
                call.params = match.groupdict()
                return handler(call)
        self.unhandled.append((method, path))
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")

    # --- what the workspace holds ---

    def snapshot(self) -> dict[str, Any]:
        """Everything the families hold, as plain data (ids and clocks included)."""

        def plain(value: Any) -> Any:
            if is_dataclass(value) and not isinstance(value, type):
                return asdict(value)
            if isinstance(value, dict):
                return {str(k): plain(v) for k, v in value.items()}
            return value

        return {
            "principals": plain(self.scim.principals),
            "groups": plain(self.scim.groups),
            "scopes": plain(self.secrets.scopes),
            "clusters": plain(self.compute.clusters),
            "policies": plain(self.compute.policies),
            "jobs": plain(self.jobs.jobs),
            "acls": plain(self.permissions.acls),
            "securables": plain(self.uc.securables),
            "endpoints": plain(self.serving.endpoints),
            "rule_sets": plain(self.access_control.rule_sets),
        }
