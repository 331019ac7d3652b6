"""A Databricks secret scope backed by Azure Key Vault, with ACL grants and `{{secrets/...}}` references.

The client secret never enters Databricks storage: the scope is a window onto the vault, read by
the AzureDatabricks first-party app (which the vault's RBAC allows). Creating such a scope needs
the caller's Entra ID token, which is why the databricks layer must not authenticate with a PAT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_databricks.secret_acl import SecretAcl
from cdktf_cdktf_provider_databricks.secret_scope import SecretScope, SecretScopeKeyvaultMetadata
from constructs import Construct

from .principals import Principal

ScopePermission = Literal["READ", "WRITE", "MANAGE"]


@dataclass(frozen=True)
class KeyVaultBackedSecretScopeProps:
    name: str
    key_vault_id: str
    """The vault's Azure resource id."""
    key_vault_uri: str
    """The vault's URI (`https://<name>.vault.azure.net/`)."""


class KeyVaultBackedSecretScope(Construct):
    """Attributes: `name` (a reference, so users of the scope depend on it)."""

    def __init__(self, scope: Construct, construct_id: str, props: KeyVaultBackedSecretScopeProps):
        super().__init__(scope, construct_id)
        self.scope = SecretScope(
            self,
            "scope",
            name=props.name,
            keyvault_metadata=SecretScopeKeyvaultMetadata(resource_id=props.key_vault_id, dns_name=props.key_vault_uri),
        )
        self.name: str = self.scope.name

    def grant(self, principal: Principal, permission: ScopePermission) -> SecretAcl:
        """Give `principal` one ACL permission on the scope; returns the `databricks_secret_acl`."""
        return SecretAcl(
            self,
            f"{permission.lower()}_{principal.label}",
            scope=self.scope.name,
            principal=principal.name,
            permission=permission,
        )

    def grant_read(self, principal: Principal) -> SecretAcl:
        """Let `principal` read secrets (what a job or cluster running as it needs)."""
        return self.grant(principal, "READ")

    def grant_manage(self, principal: Principal) -> SecretAcl:
        """Let `principal` administer the scope's ACLs."""
        return self.grant(principal, "MANAGE")

    def reference(self, key: str) -> str:
        """`{{secrets/<scope>/<key>}}`: Databricks resolves it at run time; the value never appears here."""
        return secret_reference(self.scope.name, key)


def secret_reference(scope_name: str, key: str) -> str:
    """`{{secrets/<scope>/<key>}}`, for a scope named in config (e.g. from another stack): Databricks
    resolves it in Spark conf and serving environment variables at run time."""
    return f"{{{{secrets/{scope_name}/{key}}}}}"
