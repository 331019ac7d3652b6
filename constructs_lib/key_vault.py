"""A hardened Azure Key Vault with RBAC grants and secrets that carry their expiry.

Hardening: RBAC authorization (no access policies to drift), purge protection (a deleted vault
and its secrets stay recoverable for the whole retention period), soft-delete retention, a
firewall with `AzureServices` bypass (Azure Databricks reads a Key Vault-backed scope as a trusted
service) and optional IP allow-list. Access is granted with intent-named methods, AWS-CDK style:
`vault.grant_secrets_officer(principal)`, `vault.grant_secrets_user(principal)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from cdktf import Fn, ITerraformDependable, Op, Postcondition, TerraformLocal, TerraformResourceLifecycle, TerraformSelf
from cdktf_cdktf_provider_azurerm.key_vault import KeyVault, KeyVaultNetworkAcls
from cdktf_cdktf_provider_azurerm.key_vault_secret import KeyVaultSecret
from cdktf_cdktf_provider_azurerm.role_assignment import RoleAssignment
from cdktf_cdktf_provider_time.sleep import Sleep
from constructs import Construct

from .principals import AzurePrincipal, construct_label

VaultRole = Literal["Key Vault Secrets Officer", "Key Vault Secrets User"]
SECRETS_OFFICER: VaultRole = "Key Vault Secrets Officer"
SECRETS_USER: VaultRole = "Key Vault Secrets User"
# Azure RBAC assignments take minutes to reach the Key Vault data plane (azurerm #23927): a secret
# written right after the officer assignment gets 403 ForbiddenByRbac. `depends_on` only orders the
# calls; a `time_sleep` after the assignment is what makes the first apply succeed.
RBAC_PROPAGATION_WAIT = "120s"
ROLE_DEFINITION_IDS: Mapping[VaultRole, str] = {
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
}
"""Built-in role definition ids (Azure built-in roles reference; the same in every tenant)."""
DELEGATION_ROLE = "Role Based Access Control Administrator"


@dataclass(frozen=True)
class KeyVaultProps:
    """Values come from config (`azure.key_vault`), which states their defaults and ranges."""

    name: str
    """Globally unique, 3-24 letters, digits and hyphens (validated in config)."""
    resource_group_name: str
    location: str
    tenant_id: str
    sku: Literal["standard", "premium"]
    soft_delete_retention_days: int
    public_network_access_enabled: bool
    network_default_action: Literal["Allow", "Deny"]
    """`Deny` lets through only `allowed_ip_ranges`, private endpoints and trusted Azure services."""
    allowed_ip_ranges: tuple[str, ...]
    prevent_destroy: bool
    tags: Mapping[str, str] = field(default_factory=dict)
    expected_id: str | None = None
    """The resource id other stacks derive from config for this vault (they read no state); with
    `expected_uri`, a postcondition fails the apply if Azure's id or URI differ (case-insensitively)."""
    expected_uri: str | None = None
    """The URI other stacks derive from config, `https://<name>.vault.azure.net/`."""


class HardenedKeyVault(Construct):
    """An RBAC-authorized, purge-protected vault. Attributes: `vault_id`, `vault_uri`, `name`."""

    def __init__(self, scope: Construct, construct_id: str, props: KeyVaultProps):
        super().__init__(scope, construct_id)
        self.vault = KeyVault(
            self,
            "vault",
            name=props.name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            tenant_id=props.tenant_id,
            sku_name=props.sku,
            rbac_authorization_enabled=True,
            purge_protection_enabled=True,
            soft_delete_retention_days=props.soft_delete_retention_days,
            public_network_access_enabled=props.public_network_access_enabled,
            network_acls=KeyVaultNetworkAcls(
                default_action=props.network_default_action,
                # Trusted Azure services (Azure Databricks among them) pass the firewall.
                bypass="AzureServices",
                ip_rules=list(props.allowed_ip_ranges),
            ),
            tags=dict(props.tags),
            lifecycle=self._lifecycle(props),
        )
        self.vault_id: str = self.vault.id
        self.vault_uri: str = self.vault.vault_uri
        self.name: str = self.vault.name
        self._officer_waits: list[Sleep] = []
        self._grantees: list[str] = []
        self._network_paths: list[ITerraformDependable] = []
        self._secrets: list[KeyVaultSecret] = []

    def _lifecycle(self, props: KeyVaultProps) -> TerraformResourceLifecycle | None:
        postconditions = self._derived_address_conditions(props)
        if not props.prevent_destroy and not postconditions:
            return None
        return TerraformResourceLifecycle(
            prevent_destroy=True if props.prevent_destroy else None, postcondition=postconditions
        )

    def _derived_address_conditions(self, props: KeyVaultProps) -> list[Postcondition] | None:
        """`lower(self.id) == lower(<expected id>)`, likewise for `vault_uri`. The expected values are
        a `locals` entry (plain strings), never spliced into the expression."""
        if props.expected_id is None or props.expected_uri is None:
            return None
        expected = TerraformLocal(self, "expected_address", {"id": props.expected_id, "uri": props.expected_uri})
        return [
            Postcondition(
                condition=Op.eq(
                    Fn.lower(TerraformSelf.get_string(attribute)), Fn.lower(Fn.lookup(expected.as_any_map, key))
                ),
                error_message=(
                    f"The vault's {attribute} differs from the one the databricks layer derives from config "
                    f"({key} = config/naming.py key_vault_{key}); its secret scope would point elsewhere."
                ),
            )
            for attribute, key in (("id", "id"), ("vault_uri", "uri"))
        ]

    def grant(self, principal: AzurePrincipal, role: VaultRole) -> RoleAssignment:
        """Assign `principal` one data-plane role on this vault; returns the role assignment."""
        self._grantees.append(principal.object_id)
        grant = RoleAssignment(
            self,
            f"{principal.label}_{construct_label(role.removeprefix('Key Vault '))}",
            scope=self.vault.id,
            role_definition_name=role,
            principal_id=principal.object_id,
            principal_type=principal.principal_type,
            # A service principal created in this apply may not have replicated yet: with its type
            # given, Azure skips the directory check instead of failing with PrincipalNotFound.
            skip_service_principal_aad_check=True if principal.principal_type == "ServicePrincipal" else None,
        )
        if role == SECRETS_OFFICER:
            self._officer_waits.append(
                Sleep(
                    self,
                    f"{principal.label}_officer_propagation",
                    create_duration=RBAC_PROPAGATION_WAIT,
                    # A replaced assignment (new principal) waits again.
                    triggers={"role_assignment_id": grant.id},
                    depends_on=[grant],
                )
            )
        return grant

    def delegate_grants(self, delegates: list[AzurePrincipal]) -> list[RoleAssignment]:
        """Let each of `delegates` (the deployers) make and remove exactly this vault's grants, and nothing else:
        "Role Based Access Control Administrator" on the vault, with an ABAC condition (version 2.0) that allows
        a role assignment write or delete only for the two Key Vault secret roles and only for the principals
        granted through this vault (Microsoft Learn, "Delegate Azure role assignment management to others
        with conditions"). So the apply identity needs no User Access Administrator, no Owner and no
        subscription- or resource-group-wide role-assignment right: it cannot grant itself, or an app it
        creates, any other role, nor these roles to anyone else. Call after every `grant`.

        Its own assignment is outside its condition: only a person with a wider right (the first deploy's)
        can create or change it, which happens when `azure.deployers` changes (`condition` is ForceNew in
        azurerm 4.55.0, internal/services/authorization/role_assignment_resource.go)."""
        roles = ", ".join(ROLE_DEFINITION_IDS[role] for role in (SECRETS_OFFICER, SECRETS_USER))
        principals = ", ".join(self._grantees)
        allowed = {
            action: (
                f"@{side}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{roles}}}"
                f" AND @{side}[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAnyValues:GuidEquals {{{principals}}}"
            )
            for action, side in (("write", "Request"), ("delete", "Resource"))
        }
        condition = " AND ".join(
            f"((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/{action}'}})) OR ({allowed[action]}))"
            for action in ("write", "delete")
        )
        return [
            RoleAssignment(
                self,
                f"{delegate.label}_grant_delegation",
                scope=self.vault.id,
                role_definition_name=DELEGATION_ROLE,
                principal_id=delegate.object_id,
                principal_type=delegate.principal_type,
                condition=condition,
                condition_version="2.0",
                description="mlplatform-cdktf: may grant only the Key Vault secret roles of this vault, only to its grantees",
            )
            for delegate in delegates
        ]

    def grant_secrets_officer(self, principal: AzurePrincipal) -> RoleAssignment:
        """Manage secrets (the deploying identity writes the client secret)."""
        return self.grant(principal, SECRETS_OFFICER)

    def grant_secrets_user(self, principal: AzurePrincipal) -> RoleAssignment:
        """Read secret values (Azure Databricks, for the Key Vault-backed scope)."""
        return self.grant(principal, SECRETS_USER)

    def reached_through(self, path: ITerraformDependable) -> None:
        """The data plane is reached through `path` (e.g. the vault's private endpoint, with public
        access off): every secret is written only once it exists. Call before `add_secret`."""
        if self._secrets:
            raise ValueError(
                "reached_through(...) after add_secret(...): secrets already added would not wait for this "
                "network path; declare the vault's private endpoint before adding secrets"
            )
        self._network_paths.append(path)

    def add_secret(
        self,
        construct_id: str,
        *,
        name: str,
        value: str,
        expiration_date: str,
        content_type: str,
        tags: Mapping[str, str] | None = None,
    ) -> KeyVaultSecret:
        """Store a secret that expires with its source, written only after the officer grant has propagated.

        Call `grant_secrets_officer` (the identity that runs Terraform) first: the secret depends on
        the wait after that grant, and an `add_secret` without one is a ValueError, not a silently
        missing dependency.
        """
        if not self._officer_waits:
            raise ValueError(
                f"add_secret({construct_id!r}) before grant_secrets_officer(...): the identity that runs Terraform "
                "needs 'Key Vault Secrets Officer' on this vault, and the secret must wait for that grant to "
                "propagate; call vault.grant_secrets_officer(deployer) first"
            )
        # The write needs the grant propagated and, behind a private endpoint, the endpoint in place.
        depends_on: list[ITerraformDependable] = [*self._officer_waits, *self._network_paths]
        secret = KeyVaultSecret(
            self,
            construct_id,
            key_vault_id=self.vault.id,
            name=name,
            value=value,
            expiration_date=expiration_date,
            content_type=content_type,
            tags=dict(tags or {}),
            depends_on=depends_on,
        )
        self._secrets.append(secret)
        return secret
