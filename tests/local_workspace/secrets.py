"""Secret scopes and their ACLs (`/api/2.0/secrets/*`), Databricks-backed or Azure Key Vault-backed.

A Key Vault-backed scope holds no secrets of its own: listing it lists the vault's secrets, which a
test arranges in `vaults` (vault resource id -> secret names), since the vault is Azure's, not the
workspace's. Answers are shaped by the Databricks SDK's `workspace` types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from databricks.sdk.service import workspace as ws

from .errors import ApiError, already_exists, denied, not_found
from .rules import rule
from .server import Call, Route

if TYPE_CHECKING:
    from .workspace import LocalWorkspace

BASE = "/api/2.0/secrets"

KEY_VAULT_NEEDS_ENTRA_TOKEN = rule(
    "secrets.key_vault_scope_needs_entra_token",
    "Creating an Azure Key Vault-backed scope with anything but an Entra ID token is refused (400)",
    "Databricks docs, 'Secret scopes' (Azure: a Key Vault-backed scope is created with a Microsoft Entra ID "
    "token, not a personal access token); terraform-provider-databricks docs/resources/secret_scope.md",
)
CREATOR_MANAGES_SCOPE = rule(
    "secrets.creator_manages_scope",
    "The scope's creator (or initial_manage_principal) holds MANAGE on it from creation",
    "Databricks REST API, POST /api/2.0/secrets/scopes/create: initial_manage_principal",
)
SCOPE_READS_THE_VAULT = rule(
    "secrets.key_vault_scope_reads_the_vault",
    "Listing a Key Vault-backed scope reads the vault as the AzureDatabricks app: a vault it cannot read (one a "
    "test has not arranged in `vaults`) answers 403 PERMISSION_DENIED",
    "Databricks docs, 'Secret scopes' (Azure Key Vault-backed: the AzureDatabricks application reads the vault; "
    "Key Vault Secrets User, firewall: trusted Microsoft services)",
)
ACL_PRINCIPAL_MUST_EXIST = rule(
    "secrets.acl_principal_must_exist",
    "An ACL for a principal the workspace does not know is refused (404 RESOURCE_DOES_NOT_EXIST)",
    "Databricks REST API, POST /api/2.0/secrets/acls/put (principal: a user, service principal or group)",
)
READING_NEEDS_READ = rule(
    "secrets.reading_needs_read_acl",
    "Listing a scope's secrets needs READ, WRITE or MANAGE on the scope, held by the caller or one of its groups "
    "(403 PERMISSION_DENIED otherwise); workspace admins may read every scope",
    "Databricks REST API, GET /api/2.0/secrets/list ('Users need the READ permission to make this call') and "
    "POST /api/2.0/secrets/acls/put (MANAGE and WRITE include READ); Databricks docs, 'Secret scopes' (workspace "
    "admins, secret creators and users who have been granted permission can read secrets)",
)


@dataclass
class Scope:
    name: str
    backend_type: str
    keyvault: dict[str, str] | None
    acls: dict[str, str] = field(default_factory=dict)
    """principal -> READ | WRITE | MANAGE."""


class Secrets:
    def __init__(self, workspace: LocalWorkspace):
        self.workspace = workspace
        self.scopes: dict[str, Scope] = {}
        self.vaults: dict[str, list[str]] = {}
        """Key Vault resource id (lower-cased) -> the names of the secrets it holds (arranged by a test)."""

    def routes(self) -> list[Route]:
        return [
            ("POST", f"{BASE}/scopes/create", self.create_scope),
            ("GET", f"{BASE}/scopes/list", self.list_scopes),
            ("POST", f"{BASE}/scopes/delete", self.delete_scope),
            ("GET", f"{BASE}/list", self.list_secrets),
            ("POST", f"{BASE}/acls/put", self.put_acl),
            ("GET", f"{BASE}/acls/get", self.get_acl),
            ("GET", f"{BASE}/acls/list", self.list_acls),
            ("POST", f"{BASE}/acls/delete", self.delete_acl),
        ]

    def _scope(self, name: str | None) -> Scope:
        found = self.scopes.get(name or "")
        if found is None:
            raise not_found(f"Scope {name} does not exist!")
        return found

    def create_scope(self, call: Call) -> None:
        name = call.body.get("scope", "")
        if name in self.scopes:
            raise already_exists(f"Scope {name} already exists!")
        backend = call.body.get("scope_backend_type") or "DATABRICKS"
        metadata = call.body.get("backend_azure_keyvault")
        keyvault = ws.AzureKeyVaultSecretScopeMetadata.from_dict(metadata).as_dict() if metadata else None
        if backend == "AZURE_KEYVAULT" and self.workspace.applies(KEY_VAULT_NEEDS_ENTRA_TOKEN) and not call.entra:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "Scope with Azure KeyVault must have userAADToken defined!")
        scope = Scope(name, backend, keyvault)
        if self.workspace.applies(CREATOR_MANAGES_SCOPE):
            scope.acls[call.body.get("initial_manage_principal") or call.caller] = "MANAGE"
        self.scopes[scope.name] = scope

    def list_scopes(self, call: Call) -> dict[str, Any]:
        scopes = [
            ws.SecretScope(
                name=s.name,
                backend_type=ws.ScopeBackendType(s.backend_type),
                keyvault_metadata=ws.AzureKeyVaultSecretScopeMetadata.from_dict(s.keyvault) if s.keyvault else None,
            )
            for s in self.scopes.values()
        ]
        return ws.ListScopesResponse(scopes=scopes or None).as_dict()

    def delete_scope(self, call: Call) -> None:
        del self.scopes[self._scope(call.body.get("scope")).name]

    def may_read(self, caller: str, scope: Scope) -> bool:
        """`caller` holds READ, WRITE or MANAGE on `scope` itself or through a group, or is a workspace admin."""
        return self.workspace.is_admin(caller) or bool(self.workspace.identities_of(caller) & set(scope.acls))

    def list_secrets(self, call: Call) -> dict[str, Any]:
        scope = self._scope(call.arg("scope"))
        if self.workspace.applies(READING_NEEDS_READ) and not self.may_read(call.caller, scope):
            raise denied(f"User {call.caller} does not have READ permission on scope {scope.name}.")
        vault = (scope.keyvault or {}).get("resource_id", "").lower()
        if scope.keyvault and vault not in self.vaults and self.workspace.applies(SCOPE_READS_THE_VAULT):
            raise ApiError(
                403,
                "PERMISSION_DENIED",
                f"Failed to list secrets: Azure Key Vault {vault} denied access to AzureDatabricks.",
            )
        names = self.vaults.get(vault, [])
        return ws.ListSecretsResponse(secrets=[ws.SecretMetadata(key=n) for n in names] or None).as_dict()

    def put_acl(self, call: Call) -> None:
        scope = self._scope(call.body.get("scope"))
        principal, permission = call.body.get("principal", ""), call.body.get("permission", "")
        if permission not in ("READ", "WRITE", "MANAGE"):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Invalid permission {permission}")
        if self.workspace.applies(ACL_PRINCIPAL_MUST_EXIST) and not self.workspace.principal_known(principal):
            raise not_found(f"Principal {principal} does not exist!")
        scope.acls[principal] = permission

    def get_acl(self, call: Call) -> dict[str, Any]:
        scope = self._scope(call.arg("scope"))
        principal = call.arg("principal") or ""
        if principal not in scope.acls:
            raise not_found(f"No ACLs for principal {principal} in scope {scope.name}")
        return ws.AclItem(principal=principal, permission=ws.AclPermission(scope.acls[principal])).as_dict()

    def list_acls(self, call: Call) -> dict[str, Any]:
        scope = self._scope(call.arg("scope"))
        items = [ws.AclItem(principal=p, permission=ws.AclPermission(level)) for p, level in scope.acls.items()]
        return ws.ListAclsResponse(items=items or None).as_dict()

    def delete_acl(self, call: Call) -> None:
        scope = self._scope(call.body.get("scope"))
        principal = call.body.get("principal", "")
        if principal not in scope.acls:
            raise not_found(f"No ACLs for principal {principal} in scope {scope.name}")
        del scope.acls[principal]
